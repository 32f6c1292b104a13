/* SPDX-License-Identifier: MIT
 * test-mime.c: mime_parse() on inline messages (table-driven), the caps
 * and their timing, HTML to text, and every .eml of the corpus
 * (PD_CORPUS, default $top_srcdir/tests/corpus). */
#include "autodefs.h"
#include <string.h>
#include "error.h"
#include "mime-html.h"
#include "mime.h"
#include "util.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static mime_msg_t *
parse_ok(const char *raw, gssize len, const mime_limits_t *lim)
{
	g_autoptr(GError) err = NULL;
	mime_msg_t *msg = mime_parse(raw, len < 0 ? strlen(raw) : (gsize)len, lim, &err);

	if (msg == NULL)
		g_test_message("unexpected error: %s", err->message);
	g_assert_no_error(err);
	g_assert_nonnull(msg);
	g_assert_true(g_utf8_validate(msg->text, -1, NULL));
	g_assert_true(g_utf8_validate(msg->subject, -1, NULL));
	return msg;
}

static gboolean
has_note(const mime_msg_t *msg, const char *needle)
{
	for (guint i = 0; i < msg->notes->len; i++)
		if (strstr(msg->notes->pdata[i], needle) != NULL)
			return TRUE;
	return FALSE;
}

static void
dump_notes(const mime_msg_t *msg)
{
	for (guint i = 0; i < msg->notes->len; i++)
		g_test_message("note: %s", (char *)msg->notes->pdata[i]);
}

static char *
b64(const char *s, gsize len)
{
	return g_base64_encode((const guchar *)s, len);
}

/* ------------------------------------------------------------------ */
/* Table of whole messages                                            */

typedef struct {
	const char *name;
	const char *raw;
	int error;                /* -1: must parse, else the PD_ERROR code */
	const char *from_addr;    /* NULL: from must be NULL; "*": don't check */
	const char *from_name;
	const char *subject;      /* NULL: don't check */
	const char *message_id;   /* NULL: must be NULL; "*": don't check */
	const char *text_has;
	const char *text_lacks;
	gboolean from_html;
	int n_attachments;        /* -1: don't check */
	int n_embedded;
	const char *note_has;
} mime_case_t;

#define ANY "*"

static const mime_case_t cases[] = {
	{ "rfc2047-headers",
	  "From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <Juergen.M@Example.COM>\n"
	  "To: a@b.example\n"
	  "Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?= =?utf-8?q?_=E2=82=AC?=\n"
	  "Message-ID: <abc.123@host.example>\n"
	  "\n"
	  "Hallo\n",
	  -1, "Juergen.M@example.com", "Jürgen Müller", "Grüße aus Köln €",
	  "abc.123@host.example", "Hallo", NULL, FALSE, 0, 0, NULL },
	{ "rfc2047-comma-in-name",
	  "From: =?utf-8?q?Doe=2C_John?= <john@doe.example>\n"
	  "Subject: x\n\nbody\n",
	  -1, "john@doe.example", "Doe, John", "x", NULL, "body", NULL, FALSE, 0, 0, NULL },
	{ "8bit-utf8-headers",
	  "From: Jürgen <j@example.org>\nSubject: Grüße – schön\n\nText\n",
	  -1, "j@example.org", "Jürgen", "Grüße – schön", NULL, "Text", NULL, FALSE, 0, 0, NULL },
	{ "8bit-latin1-subject",
	  "From: J\xfcrgen <j@example.org>\nSubject: Gr\xfc\xdf" "e aus K\xf6ln\n\nText\n",
	  -1, "j@example.org", "Jürgen", "Grüße aus Köln", NULL, "Text", NULL, FALSE, 0, 0,
	  "subject: 8-bit bytes decoded as windows-1252" },
	{ "8bit-subject-body-charset",
	  "From: a@example.org\nSubject: \xf0\xd2\xc9\xd7\xc5\xd4\n"
	  "Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n",
	  -1, "a@example.org", NULL, "Привет", NULL, "Привет", NULL, FALSE, 0, 0,
	  "subject: 8-bit bytes decoded as koi8-r (the body's charset)" },
	{ "missing-from",
	  "To: someone@example.org\nSubject: no sender\n\nhello\n",
	  -1, NULL, NULL, "no sender", NULL, "hello", NULL, FALSE, 0, 0, NULL },
	{ "unparseable-from",
	  "From: just some words\nSubject: s\n\nhello\n",
	  -1, NULL, NULL, "s", NULL, "hello", NULL, FALSE, 0, 0, NULL },
	{ "from-without-brackets",
	  "From: Big Bug bb@Bug.example\nSubject: s\n\nhello\n",
	  -1, "bb@bug.example", "Big Bug", "s", NULL, "hello", NULL, FALSE, 0, 0, NULL },
	{ "empty-message-id",
	  "From: a@b.example\nMessage-ID: <>\nSubject: s\n\nx\n",
	  -1, "a@b.example", NULL, "s", NULL, "x", NULL, FALSE, 0, 0, NULL },
	{ "no-message-id-no-subject",
	  "From: a@b.example\n\nx\n",
	  -1, "a@b.example", NULL, "", NULL, "x", NULL, FALSE, 0, 0, NULL },
	{ "alternative-plain-wins",
	  "From: a@b.example\nSubject: alt\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=\"XX\"\n\n"
	  "preamble\n--XX\nContent-Type: text/plain; charset=utf-8\n\nplain version\n"
	  "--XX\nContent-Type: text/html; charset=utf-8\n\n<p>html <b>version</b></p>\n"
	  "--XX--\nepilogue\n",
	  -1, "a@b.example", NULL, "alt", NULL, "plain version", "html version", FALSE, 0, 0,
	  NULL },
	{ "html-only",
	  "From: a@b.example\nSubject: h\nContent-Type: text/html; charset=\"iso-8859-1\"\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n"
	  "<html><head><style>p{}</style></head><body><p>Gr=FC=DFe &amp; <a href=3D\"https://x.example/\">link</a></p>"
	  "<ul><li>one</li><li>two</li></ul></body></html>\n",
	  -1, "a@b.example", NULL, "h", NULL, "Grüße & link <https://x.example/>\n\n- one\n- two",
	  "p{}", TRUE, 0, 0, NULL },
	{ "nested-multipart",
	  "From: a@b.example\nSubject: nested\n"
	  "Content-Type: multipart/mixed; boundary=outer\n\n"
	  "--outer\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
	  "--alt\nContent-Type: text/plain\n\nthe plain body\n"
	  "--alt\nContent-Type: multipart/related; boundary=rel\n\n"
	  "--rel\nContent-Type: text/html\n\n<p>the html body <img src=\"cid:img1\"></p>\n"
	  "--rel\nContent-Type: image/png\nContent-ID: <img1>\nContent-Transfer-Encoding: base64\n\n"
	  "iVBORw0KGgo=\n--rel--\n--alt--\n"
	  "--outer\nContent-Type: application/pdf; name=\"report.pdf\"\n"
	  "Content-Disposition: attachment; filename=\"report.pdf\"\nContent-Transfer-Encoding: base64\n\n"
	  "JVBERi0xLjQK\n--outer--\n",
	  -1, "a@b.example", NULL, "nested", NULL, "the plain body", "html body", FALSE, 2, 0,
	  NULL },
	{ "mixed-joins-plain-parts",
	  "From: a@b.example\nSubject: j\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nfirst\n--b\nContent-Type: image/gif\n\nGIF\n"
	  "--b\nContent-Type: text/plain\n\nsecond\n--b--\n",
	  -1, "a@b.example", NULL, "j", NULL, "first\nsecond", NULL, FALSE, 1, 0, NULL },
	{ "text-attachment-not-body",
	  "From: a@b.example\nSubject: t\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nbody text\n"
	  "--b\nContent-Type: text/plain; name=log.txt\nContent-Disposition: attachment; filename=log.txt\n\nLOG LINE\n"
	  "--b--\n",
	  -1, "a@b.example", NULL, "t", NULL, "body text", "LOG LINE", FALSE, 1, 0, NULL },
	{ "rfc822-attachment",
	  "From: fwd@b.example\nSubject: Fwd: original\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nsee below\n"
	  "--b\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
	  "From: Original Author <orig@c.example>\nSubject: original\nMessage-ID: <o1@c.example>\n\n"
	  "original body\n--b--\n",
	  -1, "fwd@b.example", NULL, "Fwd: original", NULL, "see below", "original body", FALSE, 1,
	  1, NULL },
	{ "base64-garbage",
	  "From: a@b.example\nSubject: g\nContent-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\n!!!!@@@@####$$$$%%%%\n====\nQUJD*&^%\n",
	  -1, "a@b.example", NULL, "g", NULL, NULL, NULL, FALSE, 0, 0, NULL },
	{ "unknown-charset",
	  "From: a@b.example\nSubject: u\nContent-Type: text/plain; charset=x-klingon\n\n"
	  "caf\xe9 cr\xe8me br\xfbl\xe9" "e\n",
	  -1, "a@b.example", NULL, "u", NULL, "caf", NULL, FALSE, 0, 0, "unknown charset x-klingon" },
	{ "iso-2022-jp-unlabelled",
	  "From: a@b.example\nSubject: \x1b$B$3$s$K$A$O\x1b(B\n\n"
	  "\x1b$B$3$s$K$A$O!\"@$3&\x1b(B\n",
	  -1, "a@b.example", NULL, "こんにちは", NULL, "こんにちは、世界", NULL, FALSE, 0, 0,
	  "decoded as ISO-2022-JP" },
	{ "iso-2022-jp-labelled-utf8",
	  "From: a@b.example\nSubject: s\nContent-Type: text/plain; charset=utf-8\n\n"
	  "\x1b$B$3$s$K$A$O\x1b(B\n",
	  -1, "a@b.example", NULL, "s", NULL, "こんにちは", "\x1b", FALSE, 0, 0,
	  "declared charset does not fit, decoded as ISO-2022-JP" },
	{ "cp932-labelled-shift_jis",
	  "From: a@b.example\nSubject: s\nContent-Type: text/plain; charset=shift_jis\n\n"
	  "\x87\x40\x82\xa0\x82\xa2\x82\xa4\n",
	  -1, "a@b.example", NULL, "s", NULL, "①あいう", NULL, FALSE, 0, 0, NULL },
	{ "gbk-labelled-gb2312",
	  "From: a@b.example\nSubject: s\nContent-Type: text/plain; charset=gb2312\n\n"
	  "\xc8\xdc\x82\x83\n",
	  -1, "a@b.example", NULL, "s", NULL, "溶們", NULL, FALSE, 0, 0, NULL },
	{ "utf8-labelled-latin1",
	  "From: a@b.example\nSubject: s\nContent-Type: text/plain; charset=iso-8859-1\n\n"
	  "Gr\xc3\xbc\xc3\x9f" "e\n",
	  -1, "a@b.example", NULL, "s", NULL, "Grüße", NULL, FALSE, 0, 0,
	  "declared iso-8859-1, bytes are UTF-8" },
	{ "invalid-utf8",
	  "From: a@b.example\nSubject: s\nContent-Type: text/plain; charset=utf-8\n\n"
	  "na\xefve caf\xe9\n",
	  -1, "a@b.example", NULL, "s", NULL, "caf", NULL, FALSE, 0, 0, "bytes invalid in utf-8" },
	{ "empty", "", PD_ERROR_INPUT, NULL, NULL, NULL, NULL, NULL, NULL, FALSE, -1, -1, NULL },
	{ "binary-garbage",
	  "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", PD_ERROR_INPUT, NULL, NULL, NULL,
	  NULL, NULL, NULL, FALSE, -1, -1, NULL },
	{ "no-header-just-text",
	  "Hello there, this is not a mail.\nJust text.\n", PD_ERROR_INPUT, NULL, NULL, NULL,
	  NULL, NULL, NULL, FALSE, -1, -1, NULL },
	{ "blank-first-line", "\nFrom: a@b.example\n\nx\n", PD_ERROR_INPUT, NULL, NULL, NULL,
	  NULL, NULL, NULL, FALSE, -1, -1, NULL },
	{ "header-only",
	  "From: a@b.example\nSubject: only headers", -1, "a@b.example", NULL, "only headers",
	  NULL, NULL, NULL, FALSE, 0, 0, NULL },
	{ "mbox-from-line",
	  "From someone@example.org Mon Jan  1 00:00:00 2024\nFrom: a@b.example\nSubject: m\n\nx\n",
	  -1, "a@b.example", NULL, "m", NULL, "x", NULL, FALSE, 0, 0, NULL },
	{ "crlf",
	  "From: a@b.example\r\nSubject: crlf\r\n\r\nline one\r\nline two\r\n",
	  -1, "a@b.example", NULL, "crlf", NULL, "line one\nline two\n", "\r", FALSE, 0, 0, NULL },
	{ "dsn",
	  "From: MAILER-DAEMON@mx.example\nTo: a@b.example\nSubject: Undelivered Mail\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
	  "--R\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
	  "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
	  "Final-Recipient: rfc822; nobody@c.example\nAction: failed\nStatus: 5.1.1\n"
	  "--R\nContent-Type: message/rfc822\n\nFrom: a@b.example\nTo: nobody@c.example\n"
	  "Subject: hello\nMessage-ID: <orig@b.example>\n\nthe original\n--R--\n",
	  -1, "MAILER-DAEMON@mx.example", NULL, "Undelivered Mail", NULL,
	  "could not be delivered", NULL, FALSE, 2, 1, NULL },
	{ "encoded-rfc822",
	  "From: fwd@b.example\nSubject: fwd\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nsee attached\n"
	  "--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  "RnJvbTogSW5uZXIgPGlubmVyQGMuZXhhbXBsZT4KU3ViamVjdDogaW5uZXIgc3ViamVjdAoKaW5u\n"
	  "ZXIgYm9keQo=\n--b--\n",
	  -1, "fwd@b.example", NULL, "fwd", NULL, "see attached", NULL, FALSE, 1, 1, NULL },
	{ "digest",
	  "From: list@b.example\nSubject: digest\nContent-Type: multipart/digest; boundary=d\n\n"
	  "--d\n\nFrom: one@c.example\nSubject: one\n\nfirst\n"
	  "--d\n\nFrom: two@c.example\nSubject: two\n\nsecond\n--d--\n",
	  -1, "list@b.example", NULL, "digest", NULL, "", NULL, FALSE, 2, 2, NULL },
	{ "missing-end-boundary",
	  "From: a@b.example\nSubject: trunc\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nunfinished\n",
	  -1, "a@b.example", NULL, "trunc", NULL, "unfinished", NULL, FALSE, 0, 0, NULL },
	{ "part-headers-cut-by-boundary",
	  "From: a@b.example\nSubject: cut\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n--b\nContent-Type: text/plain\n\nsecond\n--b--\n",
	  -1, "a@b.example", NULL, "cut", NULL, "second", NULL, FALSE, 0, 0, NULL },
	{ "multipart-without-boundary",
	  "From: a@b.example\nSubject: nb\nContent-Type: multipart/mixed\n\nsome text\n",
	  -1, "a@b.example", NULL, "nb", NULL, NULL, NULL, FALSE, -1, 0, NULL },
	{ "last-content-type-wins",
	  "From: a@b.example\nSubject: two types\nContent-Type: text/plain\n"
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n\nfirst\n--a\n\nsecond\n--a--\n",
	  -1, "a@b.example", NULL, "two types", NULL, "first\nsecond", "--a", FALSE, 0, 0,
	  NULL },
	{ "rfc2231-filename",
	  "From: a@b.example\nSubject: f\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: application/octet-stream\n"
	  "Content-Disposition: attachment;\n filename*0*=UTF-8''%E2%82%AC%20rates;\n filename*1=\".pdf\"\n\nX\n"
	  "--b\nContent-Type: application/octet-stream; name=\"=?utf-8?B?w6TDtsO8LnR4dA==?=\"\n\nY\n"
	  "--b\nContent-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename=\"../../etc/pass\xe9.txt\"\n\nZ\n--b--\n",
	  -1, "a@b.example", NULL, "f", NULL, "", NULL, FALSE, 3, 0, "directories dropped" },
	{ "bad-date",
	  "From: a@b.example\nDate: the day after tomorrow\nSubject: d\n\nx\n",
	  -1, "a@b.example", NULL, "d", NULL, "x", NULL, FALSE, 0, 0, "date" },
	{ "two-from-fields",
	  "From: first@b.example\nFrom: second@b.example\nSubject: two\n\nx\n",
	  -1, "first@b.example", NULL, "two", NULL, "x", NULL, FALSE, 0, 0, NULL },
	{ "empty-plain-html-wins",
	  "From: a@b.example\nSubject: e\nContent-Type: multipart/alternative; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\n\n--b\nContent-Type: text/html\n\n<div>from html</div>\n--b--\n",
	  -1, "a@b.example", NULL, "e", NULL, "from html", NULL, TRUE, 0, 0, "plain part is empty" },
	{ "html-meta-charset",
	  "From: a@b.example\nSubject: m\nContent-Type: text/html\n\n"
	  "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"></head>"
	  "<body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>\n",
	  -1, "a@b.example", NULL, "m", NULL, "Привет", NULL, TRUE, 0, 0, NULL },
};

static const char *
case_raw(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		if (strcmp(cases[i].name, name) == 0)
			return cases[i].raw;
	g_assert_not_reached();
	return NULL;
}

static void
check_case(gconstpointer data)
{
	const mime_case_t *c = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(mime_msg_t) msg = NULL;
	gsize len = strlen(c->raw);

	if (strcmp(c->name, "binary-garbage") == 0)
		len = 24; /* it holds NULs */
	msg = mime_parse(c->raw, len, NULL, &err);
	if (c->error >= 0) {
		g_assert_null(msg);
		g_assert_error(err, PD_ERROR, c->error);
		g_test_message("%s: %s", c->name, err->message);
		return;
	}
	if (msg == NULL)
		g_test_message("%s: %s", c->name, err->message);
	g_assert_no_error(err);
	g_assert_nonnull(msg);
	dump_notes(msg);
	g_assert_true(g_utf8_validate(msg->text, -1, NULL));
	if (c->from_addr == NULL) {
		g_assert_null(msg->from);
	} else if (strcmp(c->from_addr, ANY) != 0) {
		g_assert_nonnull(msg->from);
		g_assert_cmpstr(msg->from->addr, ==, c->from_addr);
		if (c->from_name != NULL)
			g_assert_cmpstr(msg->from->name, ==, c->from_name);
	}
	if (c->subject != NULL)
		g_assert_cmpstr(msg->subject, ==, c->subject);
	if (c->message_id == NULL)
		g_assert_null(msg->message_id);
	else if (strcmp(c->message_id, ANY) != 0)
		g_assert_cmpstr(msg->message_id, ==, c->message_id);
	if (c->text_has != NULL && strstr(msg->text, c->text_has) == NULL) {
		g_test_message("text: [%s]", msg->text);
		g_assert_nonnull(strstr(msg->text, c->text_has));
	}
	if (c->text_lacks != NULL)
		g_assert_null(strstr(msg->text, c->text_lacks));
	g_assert_cmpint(msg->text_from_html, ==, c->from_html);
	if (c->n_attachments >= 0)
		g_assert_cmpuint(msg->attachments->len, ==, (guint)c->n_attachments);
	if (c->n_embedded >= 0)
		g_assert_cmpuint(msg->embedded->len, ==, (guint)c->n_embedded);
	if (c->note_has != NULL)
		g_assert_true(has_note(msg, c->note_has));
}

/* ------------------------------------------------------------------ */
/* Details the table cannot say                                       */

static void
test_alternative_html_kept(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("alternative-plain-wins"), -1, NULL);

	g_assert_nonnull(msg->html);
	g_assert_nonnull(strstr(msg->html, "<b>version</b>"));
	g_assert_false(msg->text_from_html);
}

static void
test_nested_attachments(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("nested-multipart"), -1, NULL);
	mime_attachment_t *img, *pdf;

	g_assert_cmpuint(msg->attachments->len, ==, 2);
	img = msg->attachments->pdata[0];
	pdf = msg->attachments->pdata[1];
	g_assert_cmpstr(img->content_type, ==, "image/png");
	g_assert_cmpstr(img->content_id, ==, "img1");
	g_assert_true(img->is_inline);
	g_assert_cmpuint(img->size, ==, 8);
	g_assert_cmpstr(pdf->content_type, ==, "application/pdf");
	g_assert_cmpstr(pdf->filename, ==, "report.pdf");
	g_assert_false(pdf->is_inline);
	g_assert_cmpuint(pdf->size, ==, 9);
	g_assert_cmpmem(g_bytes_get_data(pdf->content, NULL), 9, "%PDF-1.4\n", 9);
	g_assert_nonnull(msg->html);
	g_assert_nonnull(strstr(msg->html, "the html body"));
}

static void
test_rfc822_embedded(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("rfc822-attachment"), -1, NULL);
	mime_attachment_t *a = msg->attachments->pdata[0];
	mime_msg_t *e = msg->embedded->pdata[0];
	gsize n;
	const char *d = g_bytes_get_data(a->content, &n);

	g_assert_cmpstr(a->content_type, ==, "message/rfc822");
	g_assert_true(n > 20 && strncmp(d, "From: Original Author", 21) == 0);
	g_assert_cmpstr(e->subject, ==, "original");
	g_assert_cmpstr(e->message_id, ==, "o1@c.example");
	g_assert_cmpstr(e->from->addr, ==, "orig@c.example");
	g_assert_cmpstr(e->from->name, ==, "Original Author");
	g_assert_nonnull(strstr(e->text, "original body"));
	g_assert_cmpstr(mime_msg_header(e, "subject"), ==, "original");
}

static void
test_encoded_rfc822(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("encoded-rfc822"), -1, NULL);
	mime_msg_t *e;

	g_assert_cmpstr(msg->subject, ==, "fwd");
	g_assert_cmpuint(msg->embedded->len, ==, 1);
	e = msg->embedded->pdata[0];
	g_assert_cmpstr(e->subject, ==, "inner subject");
	g_assert_cmpstr(e->from->addr, ==, "inner@c.example");
	g_assert_nonnull(strstr(e->text, "inner body"));
}

static void
test_dsn(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("dsn"), -1, NULL);
	mime_attachment_t *ds = msg->attachments->pdata[0];
	mime_msg_t *orig = msg->embedded->pdata[0];

	g_assert_true(msg->is_report);
	g_assert_cmpstr(msg->report_type, ==, "delivery-status");
	g_assert_cmpstr(ds->content_type, ==, "message/delivery-status");
	g_assert_cmpstr(orig->message_id, ==, "orig@b.example");
	g_assert_cmpuint(msg->to->len, ==, 1);
}

static void
test_filenames(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("rfc2231-filename"), -1, NULL);
	mime_attachment_t *a0 = msg->attachments->pdata[0];
	mime_attachment_t *a1 = msg->attachments->pdata[1];
	mime_attachment_t *a2 = msg->attachments->pdata[2];

	g_assert_cmpstr(a0->filename, ==, "€ rates.pdf");
	g_assert_cmpstr(a1->filename, ==, "äöü.txt");
	g_assert_cmpstr(a2->filename, ==, "passé.txt");
}

static void
test_threading_headers(void)
{
	static const char raw[] =
		"From: \"Smith, Ann\" <ann@Example.ORG>\n"
		"Reply-To: Support <help@Example.Org>\n"
		"Sender: list-bounces@lists.example\n"
		"To: Bob <bob@b.example>, team: c1@c.example, C2 <c2@C.example>;, broken,\n"
		"  \"Quoted Local\"@q.example\n"
		"Cc: =?utf-8?q?Ren=C3=A9?= <rene@d.example>\n"
		"Message-ID:   <m3@host>  \n"
		"In-Reply-To: <m2@host> (comment)\n"
		"References: <m0@host>\n  <m1@host> <m2@host>\n"
		"Date: Tue, 28 Jun 2005 01:02:11 -0700\n"
		"Content-Language: de-CH, en\n"
		"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"Received: from c\n by d; Mon, 1 Jan 2024 00:00:01 +0000\n"
		"Subject: Re: thread\n\nx\n";
	g_autoptr(mime_msg_t) msg = parse_ok(raw, -1, NULL);
	g_autoptr(GPtrArray) rec = NULL;
	mime_address_t *a;

	g_assert_cmpstr(msg->from->addr, ==, "ann@example.org");
	g_assert_cmpstr(msg->from->name, ==, "Smith, Ann");
	g_assert_cmpstr(msg->reply_to->addr, ==, "help@example.org");
	g_assert_cmpstr(msg->sender->addr, ==, "list-bounces@lists.example");
	g_assert_cmpuint(msg->to->len, ==, 4);
	a = msg->to->pdata[0];
	g_assert_cmpstr(a->addr, ==, "bob@b.example");
	g_assert_cmpstr(a->name, ==, "Bob");
	a = msg->to->pdata[2];
	g_assert_cmpstr(a->addr, ==, "c2@c.example");
	a = msg->to->pdata[3];
	g_assert_cmpstr(a->addr, ==, "\"Quoted Local\"@q.example");
	g_assert_cmpuint(msg->cc->len, ==, 1);
	g_assert_cmpstr(((mime_address_t *)msg->cc->pdata[0])->name, ==, "René");
	g_assert_cmpstr(msg->message_id, ==, "m3@host");
	g_assert_cmpstr(msg->in_reply_to, ==, "m2@host");
	g_assert_cmpuint(msg->references->len, ==, 3);
	g_assert_cmpstr(msg->references->pdata[0], ==, "m0@host");
	g_assert_cmpstr(msg->references->pdata[2], ==, "m2@host");
	g_assert_cmpint(msg->date, ==, 1119945731);
	g_assert_cmpstr(msg->content_language, ==, "de-CH");
	g_assert_cmpstr(mime_msg_header(msg, "received"), ==,
			"from a by b; Mon, 1 Jan 2024 00:00:00 +0000");
	g_assert_cmpstr(mime_msg_header(msg, "CC"), ==, "René <rene@d.example>");
	g_assert_null(mime_msg_header(msg, "X-Nothing"));
	rec = mime_msg_headers(msg, "Received");
	g_assert_cmpuint(rec->len, ==, 2);
	g_assert_cmpstr(rec->pdata[1], ==, "from c by d; Mon, 1 Jan 2024 00:00:01 +0000");
}

static void
test_content_header_lookup(void)
{
	g_autoptr(mime_msg_t) msg = parse_ok(case_raw("alternative-plain-wins"), -1, NULL);

	g_assert_cmpstr(mime_msg_header(msg, "Content-Type"), ==,
			"multipart/alternative; boundary=\"XX\"");
	g_assert_cmpstr(mime_msg_header(msg, "mime-version"), ==, "1.0");
}

static void
test_address_normalize(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "  <John.Doe@Example.COM>  ", "John.Doe@example.com" },
		{ "mailto:a@B.c", "a@b.c" },
		{ "a@example.org.", "a@example.org" },
		{ "\"a b\"@Example.org", "\"a b\"@example.org" },
		{ "jörg@BÜCHER.example", "jörg@bücher.example" },
		{ "no-at-sign", NULL },
		{ "@example.org", NULL },
		{ "a@", NULL },
		{ "a b@example.org", NULL },
		{ "a@exa mple.org", NULL },
		{ "a@example.org>, b@c", NULL },
		{ "", NULL },
		{ "a\n@b.c", NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *got = util_address_normalize(t[i].in);

		g_assert_cmpstr(got, ==, t[i].out);
	}
	g_assert_null(util_address_normalize(NULL));
}

static void
test_charset_decode(void)
{
	static const struct {
		const char *in;
		const char *charset;
		const char *out;
	} t[] = {
		{ "plain ascii", NULL, "plain ascii" },
		{ "Gr\xfc\xdf" "e", "iso-8859-1", "Grüße" },
		{ "\x80 5", "windows-1252", "€ 5" },
		{ "\xa4", "iso-8859-15", "€" },
		{ "\x87\x40", "Shift_JIS", "①" },
		{ "\xb0\xa1", "ks_c_5601-1987", "가" },
		{ "\xa4\xa4\xa4\xe5", "big5", "中文" },
		{ "+AOk-t+AOk-", "utf-7", "été" },
		{ "\x00h\x00i", "utf-16be", "hi" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(t); i++) {
		gssize len = strcmp(t[i].charset ? t[i].charset : "", "utf-16be") == 0 ? 4 : -1;
		g_autofree char *got = mime_charset_decode(t[i].in, len, t[i].charset, NULL, NULL);

		g_assert_cmpstr(got, ==, t[i].out);
	}
}

static void
test_sjis_mislabelled(void)
{
	/* Shift_JIS text declared as ISO-8859-1: every byte is valid
	 * Latin-1, so only the detector can tell. */
	static const char jp[] = "日本語のテキストです。メールの文字コードが間違っています。"
				 "これは長めの文章で、検出器が正しく判定できるようにしています。";
	g_autofree char *sjis = g_convert(jp, -1, "SHIFT_JIS", "UTF-8", NULL, NULL, NULL);
	g_autofree char *raw = g_strdup_printf(
		"From: a@b.example\nSubject: sjis\nContent-Type: text/plain; charset=iso-8859-1\n\n%s\n",
		sjis);
	g_autofree char *raw2 = g_strdup_printf(
		"From: a@b.example\nSubject: sjis\nContent-Type: text/plain; charset=iso-2022-jp\n\n%s\n",
		sjis);
	g_autoptr(mime_msg_t) msg = parse_ok(raw, -1, NULL);
	g_autoptr(mime_msg_t) msg2 = parse_ok(raw2, -1, NULL);

	g_assert_nonnull(sjis);
	dump_notes(msg);
	g_assert_nonnull(strstr(msg->text, "日本語のテキスト"));
	g_assert_true(has_note(msg, "declared iso-8859-1, detected"));
	dump_notes(msg2);
	g_assert_nonnull(strstr(msg2->text, "日本語のテキスト"));
	g_assert_true(has_note(msg2, "bytes invalid in iso-2022-jp"));
}

static void
test_fallback_charsets_option(void)
{
	static const char raw[] = "From: a@b.example\nSubject: \xc0\xe1\xe2\n\nx\n";
	char *fb[] = { (char *)"windows-1251", NULL };
	mime_limits_t lim;
	g_autoptr(mime_msg_t) msg = NULL;

	mime_limits_init(&lim);
	lim.fallback_charsets = fb;
	msg = parse_ok(raw, -1, &lim);
	g_assert_cmpstr(msg->subject, ==, "Абв");
	g_assert_true(has_note(msg, "subject: 8-bit bytes decoded as windows-1251"));
}

static void
test_text_truncated(void)
{
	mime_limits_t lim;
	g_autoptr(GString) raw = g_string_new("From: a@b.example\nSubject: big\n"
					      "Content-Type: text/plain; charset=utf-8\n\n");
	g_autoptr(mime_msg_t) msg = NULL;

	for (int i = 0; i < 5000; i++)
		g_string_append(raw, "äöü line of text\n");
	mime_limits_init(&lim);
	lim.max_text_size = 4096;
	msg = parse_ok(raw->str, (gssize)raw->len, &lim);
	g_assert_cmpuint(strlen(msg->text), <=, 4096);
	g_assert_cmpuint(strlen(msg->text), >, 4000);
	g_assert_true(has_note(msg, "text truncated at 4 KiB"));
}

/* ------------------------------------------------------------------ */
/* Caps                                                               */

static void
expect_input_error(const char *raw, gsize len, const mime_limits_t *lim, const char *what,
		   double max_seconds)
{
	g_autoptr(GError) err = NULL;
	gint64 t0 = g_get_monotonic_time();
	mime_msg_t *msg = mime_parse(raw, len, lim, &err);
	double secs = (double)(g_get_monotonic_time() - t0) / 1e6;

	g_test_message("%s: %.1f ms: %s", what, secs * 1000, err != NULL ? err->message : "(none)");
	g_assert_null(msg);
	g_assert_error(err, PD_ERROR, PD_ERROR_INPUT);
	g_assert_cmpfloat(secs, <, max_seconds);
}

static void
test_depth_1000(void)
{
	g_autoptr(GString) s = g_string_new("From: a@b.example\nSubject: deep\n"
					    "Content-Type: multipart/mixed; boundary=\"b0\"\n\n");

	for (int i = 1; i <= 1000; i++)
		g_string_append_printf(s, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n",
				       i - 1, i);
	g_string_append(s, "--b1000\nContent-Type: text/plain\n\nhello\n");
	for (int i = 1000; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	expect_input_error(s->str, s->len, NULL, "depth 1000", 1.0);
}

static void
test_depth_messages(void)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (int i = 0; i < 1000; i++)
		g_string_append_printf(s, "From: a%d@b.example\nContent-Type: message/rfc822\n\n", i);
	g_string_append(s, "From: z@b.example\n\nbottom\n");
	expect_input_error(s->str, s->len, NULL, "1000 nested message/rfc822", 1.0);
}

static void
test_depth_encoded_messages(void)
{
	/* Each level base64-encoded: GMime sees one leaf, we parse on. */
	g_autofree char *inner = g_strdup("From: z@b.example\nSubject: bottom\n\nbottom\n");

	for (int i = 0; i < 34; i++) {
		g_autofree char *enc = b64(inner, strlen(inner));
		char *next = g_strdup_printf("From: a%d@b.example\nContent-Type: message/rfc822\n"
					     "Content-Transfer-Encoding: base64\n\n%s\n",
					     i, enc);

		g_free(inner);
		inner = next;
	}
	expect_input_error(inner, strlen(inner), NULL, "34 nested base64 message/rfc822", 2.0);
}

static void
test_depth_within_limit(void)
{
	g_autoptr(GString) s = g_string_new("From: a@b.example\nSubject: ok\n"
					    "Content-Type: multipart/mixed; boundary=\"b0\"\n\n");
	g_autoptr(mime_msg_t) msg = NULL;

	/* 31 nested multiparts: the text part sits at depth 32. */
	for (int i = 1; i <= 31; i++)
		g_string_append_printf(s, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n",
				       i - 1, i);
	g_string_append(s, "--b31\nContent-Type: text/plain\n\ndeep hello\n");
	for (int i = 31; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	msg = parse_ok(s->str, (gssize)s->len, NULL);
	g_assert_nonnull(strstr(msg->text, "deep hello"));
}

static void
test_parts_10000(void)
{
	g_autoptr(GString) s = g_string_new("From: a@b.example\nSubject: wide\n"
					    "Content-Type: multipart/mixed; boundary=\"b\"\n\n");

	for (int i = 0; i < 10000; i++)
		g_string_append_printf(s, "--b\nContent-Type: text/plain\n\npart %d\n", i);
	g_string_append(s, "--b--\n");
	expect_input_error(s->str, s->len, NULL, "10,000 parts", 1.0);
}

static void
test_parts_within_limit(void)
{
	g_autoptr(GString) s = g_string_new("From: a@b.example\nSubject: wide\n"
					    "Content-Type: multipart/mixed; boundary=\"b\"\n\n");
	g_autoptr(mime_msg_t) msg = NULL;

	for (int i = 0; i < 999; i++)
		g_string_append_printf(s, "--b\nContent-Type: application/x-y\n\npart %d\n", i);
	g_string_append(s, "--b--\n");
	msg = parse_ok(s->str, (gssize)s->len, NULL);
	g_assert_cmpuint(msg->attachments->len, ==, 999);
}

static void
test_too_large(void)
{
	gsize len = 100 * 1024 * 1024;
	g_autofree char *big = g_malloc(len);
	g_autoptr(GError) err = NULL;
	gint64 t0;
	mime_msg_t *msg;
	double ms;

	memset(big, 'a', len);
	memcpy(big, "From: a@b.example\n\n", 19);
	t0 = g_get_monotonic_time();
	msg = mime_parse(big, len, NULL, &err);
	ms = (double)(g_get_monotonic_time() - t0) / 1000;
	g_test_message("100 MB: %.3f ms: %s", ms, err->message);
	g_assert_null(msg);
	g_assert_error(err, PD_ERROR, PD_ERROR_TOO_LARGE);
	g_assert_cmpfloat(ms, <, 50);
}

static void
test_attachment_over_cap(void)
{
	mime_limits_t lim;
	g_autofree char *blob = g_malloc(3000);
	g_autofree char *enc = NULL;
	g_autofree char *raw = NULL;

	memset(blob, 'x', 3000);
	enc = b64(blob, 3000);
	raw = g_strdup_printf("From: a@b.example\nSubject: a\nContent-Type: multipart/mixed; boundary=b\n\n"
			      "--b\nContent-Type: text/plain\n\nsee file\n"
			      "--b\nContent-Type: application/octet-stream\n"
			      "Content-Disposition: attachment; filename=big.bin\n"
			      "Content-Transfer-Encoding: base64\n\n%s\n--b--\n",
			      enc);
	mime_limits_init(&lim);
	lim.max_attachment_size = 2048;
	expect_input_error(raw, strlen(raw), &lim, "attachment over cap", 1.0);
	lim.max_attachment_size = 3000;
	{
		g_autoptr(mime_msg_t) msg = parse_ok(raw, -1, &lim);

		g_assert_cmpuint(((mime_attachment_t *)msg->attachments->pdata[0])->size, ==, 3000);
	}
}

static void
test_header_caps(void)
{
	g_autoptr(GString) longh = g_string_new("From: a@b.example\nSubject: x");
	g_autoptr(GString) many = g_string_new("From: a@b.example\n");
	g_autoptr(GString) folded = g_string_new("From: a@b.example\nX-Long: a");

	for (int i = 0; i < 70000; i++)
		g_string_append_c(longh, 'y');
	g_string_append(longh, "\n\nbody\n");
	expect_input_error(longh->str, longh->len, NULL, "70 KB header", 1.0);
	for (int i = 0; i < 1001; i++)
		g_string_append_printf(many, "X-H%d: v\n", i);
	g_string_append(many, "\nbody\n");
	expect_input_error(many->str, many->len, NULL, "1001 header fields", 1.0);
	for (int i = 0; i < 10000; i++)
		g_string_append(folded, "\n folded continuation");
	g_string_append(folded, "\n\nbody\n");
	expect_input_error(folded->str, folded->len, NULL, "folded 200 KB header", 1.0);
}

static void
test_many_boundary_lines(void)
{
	/* A few parts but a million lines that look like boundaries of a
	 * closed multipart: linear time, no parts. */
	g_autoptr(GString) s = g_string_new("From: a@b.example\nSubject: lines\n"
					    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
					    "--b\nContent-Type: text/plain\n\nx\n--b--\n");
	gint64 t0;
	g_autoptr(GError) err = NULL;
	mime_msg_t *msg;

	for (int i = 0; i < 300000; i++)
		g_string_append(s, "--c\n--b--\n");
	t0 = g_get_monotonic_time();
	msg = mime_parse(s->str, s->len, NULL, &err);
	g_test_message("300k stray boundary lines: %.1f ms",
		       (double)(g_get_monotonic_time() - t0) / 1000);
	mime_msg_free(msg);
}

/* ------------------------------------------------------------------ */
/* HTML to text                                                       */

typedef struct {
	const char *name;
	const char *html;
	const char *text;
} html_case_t;

static const html_case_t html_cases[] = {
	{ "paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo" },
	{ "whitespace", "<div>  a \n\t b&nbsp;&nbsp;c  </div>", "a b c" },
	{ "br", "a<br>b<br><br>c", "a\nb\n\nc" },
	{ "div-br-div", "<div>a</div><div><br></div><div>b</div>", "a\n\nb" },
	{ "entities", "<p>&lt;tag&gt; &amp; &eacute;&#233;&#x20AC; &quot;q&quot;</p>",
	  "<tag> & éé€ \"q\"" },
	{ "script-style", "<style>.x{}</style><script>var a=1;</script><p>visible</p>",
	  "visible" },
	{ "head-title", "<html><head><title>T</title></head><body>b</body></html>", "b" },
	{ "list", "<ul><li>one</li><li>two <b>bold</b></li></ul>", "- one\n- two bold" },
	{ "nested-list", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c" },
	{ "ordered-list", "<p>x</p><ol><li>first</li><li>second</li></ol><p>y</p>",
	  "x\n\n- first\n- second\n\ny" },
	{ "link-differs", "see <a href=\"https://example.org/x\">the page</a>.",
	  "see the page <https://example.org/x>." },
	{ "link-same", "<a href=\"https://example.org/\">https://example.org</a>",
	  "https://example.org" },
	{ "link-mailto", "<a href=\"mailto:a@b.example\">a@b.example</a>", "a@b.example" },
	{ "link-javascript", "<a href=\"javascript:alert(1)\">click</a>", "click" },
	{ "link-image-only", "<a href=\"https://x.example\"><img src=\"logo.png\"></a>text",
	  "text" },
	{ "blockquote",
	  "<div>Reply</div><div>On Mon, Bob wrote:</div><blockquote>quoted 1<br>quoted 2"
	  "<p>para</p><blockquote>deeper</blockquote></blockquote><div>after</div>",
	  "Reply\nOn Mon, Bob wrote:\n\n> quoted 1\n> quoted 2\n>\n> para\n>\n> > deeper\n\nafter" },
	{ "pre", "<pre>  a  b\n   c</pre>", "  a  b\n   c" },
	{ "table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
	  "a b\nc d" },
	{ "empty", "", "" },
	{ "only-tags", "<div><span></span></div>", "" },
	{ "comment", "a<!-- hidden -->b", "ab" },
	{ "unclosed", "<p>one<p>two<div>three", "one\n\ntwo\n\nthree" },
	{ "invalid-utf8", "caf\xe9 <b>ok</b>", "caf\xef\xbf\xbd ok" },
	{ "zero-width", "a\xe2\x80\x8b" "b", "ab" },
	{ "many-blank-br", "a<br><br><br><br><br>b", "a\n\n\nb" },
	{ "trailing-quote", "x<blockquote>q<br><br></blockquote>", "x\n\n> q" },
};

static void
check_html(gconstpointer data)
{
	const html_case_t *c = data;
	g_autofree char *got = mime_html_to_text(c->html, -1);

	g_assert_cmpstr(got, ==, c->text);
}

static void
test_html_hostile(void)
{
	static const char *const pieces[] = { "<div>", "<b>", "<blockquote>", "<li>",
					      "<table><tr><td>", "<a href=\"http://x\">" };
	gsize n = 2 * 1024 * 1024;

	for (gsize k = 0; k < G_N_ELEMENTS(pieces); k++) {
		g_autoptr(GString) s = g_string_sized_new(n);
		gint64 t0;
		g_autofree char *out = NULL;
		double ms;

		while (s->len < n)
			g_string_append(s, pieces[k]);
		g_string_append(s, "end");
		t0 = g_get_monotonic_time();
		out = mime_html_to_text(s->str, (gssize)s->len);
		ms = (double)(g_get_monotonic_time() - t0) / 1000;
		g_test_message("html %s x %zu: %.0f ms, %zu bytes out", pieces[k],
			       n / strlen(pieces[k]), ms, strlen(out));
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_cmpuint(strlen(out), <=, 2 * s->len + 65536);
		g_assert_cmpfloat(ms, <, 10000);
	}
	{
		/* 200,000 attributes on one tag: quadratic in libxml2 alone. */
		g_autoptr(GString) s = g_string_new("<div ");
		gint64 t0;
		g_autofree char *out = NULL;
		double ms;

		for (int i = 0; i < 200000; i++)
			g_string_append_printf(s, "a%d=\"1>\" ", i);
		g_string_append(s, ">text</div>");
		t0 = g_get_monotonic_time();
		out = mime_html_to_text(s->str, (gssize)s->len);
		ms = (double)(g_get_monotonic_time() - t0) / 1000;
		g_test_message("html 200,000 attributes: %.0f ms", ms);
		g_assert_cmpstr(out, ==, "text");
		g_assert_cmpfloat(ms, <, 5000);
	}
}

/* ------------------------------------------------------------------ */
/* The corpus                                                         */

static void
collect_eml(const char *dir, GPtrArray *out, int level)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL || level > 16)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			collect_eml(path, out, level + 1);
		else if (g_str_has_suffix(name, ".eml"))
			g_ptr_array_add(out, g_steal_pointer(&path));
	}
}

static int
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
corpus_dir(void)
{
	const char *env = g_getenv("PD_CORPUS");
	const char *top = g_getenv("top_srcdir");

	if (env != NULL && *env != '\0')
		return g_strdup(env);
	if (top != NULL && *top != '\0')
		return g_build_filename(top, "tests", "corpus", NULL);
	if (g_file_test("tests/corpus", G_FILE_TEST_IS_DIR))
		return g_strdup("tests/corpus");
	return g_strdup(".");
}

/* Whether header NAME has a non-blank value in the top header block. */
static gboolean
raw_has_header(const char *data, gsize len, const char *name)
{
	gsize nlen = strlen(name);
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		gsize l = (gsize)((nl != NULL ? nl : end) - p);

		if (l == 0 || (l == 1 && p[0] == '\r'))
			return FALSE;
		if (l > nlen + 1 && g_ascii_strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			for (gsize i = nlen + 1; i < l; i++)
				if (!g_ascii_isspace(p[i]))
					return TRUE;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	return FALSE;
}

static void
test_corpus(void)
{
	g_autofree char *dir = corpus_dir();
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	guint parsed = 0, rejected = 0, want_from = 0, got_from = 0, want_subj = 0,
	      got_subj = 0, got_text = 0, attachments = 0, embedded = 0;
	gint64 t0 = g_get_monotonic_time();
	double slowest = 0;
	const char *slowest_file = "";

	collect_eml(dir, files, 0);
	g_ptr_array_sort(files, cmp_str);
	if (files->len == 0) {
		g_test_skip("no .eml files under the corpus directory (PD_CORPUS)");
		return;
	}
	for (guint i = 0; i < files->len; i++) {
		const char *path = files->pdata[i];
		g_autofree char *data = NULL;
		g_autoptr(GError) err = NULL;
		g_autoptr(mime_msg_t) msg = NULL;
		gsize len;
		gint64 t1;
		double ms;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		t1 = g_get_monotonic_time();
		msg = mime_parse(data, len, NULL, &err);
		ms = (double)(g_get_monotonic_time() - t1) / 1000;
		if (ms > slowest) {
			slowest = ms;
			slowest_file = path;
		}
		if (msg == NULL) {
			g_assert_error(err, PD_ERROR, PD_ERROR_INPUT);
			g_test_message("rejected %s: %s", path, err->message);
			rejected++;
			continue;
		}
		parsed++;
		g_assert_true(g_utf8_validate(msg->text, -1, NULL));
		g_assert_true(g_utf8_validate(msg->subject, -1, NULL));
		if (raw_has_header(data, len, "From")) {
			want_from++;
			got_from += msg->from != NULL;
			if (msg->from == NULL)
				g_test_message("no From in %s: [%s]", path,
					       mime_msg_header(msg, "From"));
		}
		if (raw_has_header(data, len, "Subject")) {
			want_subj++;
			got_subj += *msg->subject != '\0';
		}
		got_text += *msg->text != '\0' || msg->attachments->len > 0;
		attachments += msg->attachments->len;
		embedded += msg->embedded->len;
		for (guint k = 0; k < msg->notes->len; k++)
			g_test_message("%s: %s", path + strlen(dir), (char *)msg->notes->pdata[k]);
	}
	g_test_message("corpus %s: %u files, %u parsed, %u rejected; From %u/%u, Subject "
		       "%u/%u, text or attachment %u/%u; %u attachments, %u forwards; %.0f ms",
		       dir, files->len, parsed, rejected, got_from, want_from, got_subj,
		       want_subj, got_text, parsed, attachments, embedded,
		       (double)(g_get_monotonic_time() - t0) / 1000);
	g_test_message("slowest: %s, %.1f ms", slowest_file, slowest);
	/* Any corpus, including deliberately broken mail: most of it must
	 * come through, and where it does, with sender, subject and body. */
	g_assert_cmpuint(parsed * 2, >=, files->len);
	g_assert_cmpuint(got_from * 10, >=, want_from * 8);
	g_assert_cmpuint(got_subj * 10, >=, want_subj * 8);
	g_assert_cmpuint(got_text * 10, >=, parsed * 6);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	mime_init(); /* twice is fine */
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/mime/parse/%s", cases[i].name);

		g_test_add_data_func(path, &cases[i], check_case);
	}
	g_test_add_func("/mime/alternative-html-kept", test_alternative_html_kept);
	g_test_add_func("/mime/nested-attachments", test_nested_attachments);
	g_test_add_func("/mime/rfc822-embedded", test_rfc822_embedded);
	g_test_add_func("/mime/encoded-rfc822", test_encoded_rfc822);
	g_test_add_func("/mime/dsn", test_dsn);
	g_test_add_func("/mime/filenames", test_filenames);
	g_test_add_func("/mime/threading-headers", test_threading_headers);
	g_test_add_func("/mime/content-header-lookup", test_content_header_lookup);
	g_test_add_func("/mime/address-normalize", test_address_normalize);
	g_test_add_func("/mime/charset-decode", test_charset_decode);
	g_test_add_func("/mime/sjis-mislabelled", test_sjis_mislabelled);
	g_test_add_func("/mime/fallback-charsets", test_fallback_charsets_option);
	g_test_add_func("/mime/text-truncated", test_text_truncated);
	g_test_add_func("/mime/caps/depth-1000", test_depth_1000);
	g_test_add_func("/mime/caps/depth-messages", test_depth_messages);
	g_test_add_func("/mime/caps/depth-encoded-messages", test_depth_encoded_messages);
	g_test_add_func("/mime/caps/depth-within-limit", test_depth_within_limit);
	g_test_add_func("/mime/caps/parts-10000", test_parts_10000);
	g_test_add_func("/mime/caps/parts-within-limit", test_parts_within_limit);
	g_test_add_func("/mime/caps/too-large", test_too_large);
	g_test_add_func("/mime/caps/attachment", test_attachment_over_cap);
	g_test_add_func("/mime/caps/headers", test_header_caps);
	g_test_add_func("/mime/caps/boundary-lines", test_many_boundary_lines);
	for (gsize i = 0; i < G_N_ELEMENTS(html_cases); i++) {
		g_autofree char *path = g_strdup_printf("/mime/html/%s", html_cases[i].name);

		g_test_add_data_func(path, &html_cases[i], check_html);
	}
	g_test_add_func("/mime/html/hostile", test_html_hostile);
	g_test_add_func("/mime/corpus", test_corpus);
	return g_test_run();
}
