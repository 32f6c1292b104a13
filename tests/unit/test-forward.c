/* SPDX-License-Identifier: MIT
 * test-forward.c: forward detection. The fixtures of tests/data/forward
 * (one message per client style and language, NAME.expected beside each),
 * the forwards other projects' corpora state (tests/corpus), messages that
 * are not forwards, hostile text, dates and author forms. */
#include "autodefs.h"
#include <string.h>
#include "mime-forward.h"
#include "mime.h"
#include "banned.h"

/* A path below the source tree: $top_srcdir, else this file's ../.. */
static char *
src_path(const char *rel)
{
	const char *top = g_getenv("top_srcdir");
	g_autofree char *here = NULL;

	if (top != NULL && *top != '\0')
		return g_build_filename(top, rel, NULL);
	here = g_path_get_dirname(__FILE__);
	return g_build_filename(here, "..", "..", rel, NULL);
}

static char *
read_text(const char *path)
{
	g_autoptr(GError) err = NULL;
	char *data = NULL;

	if (!g_file_get_contents(path, &data, NULL, &err))
		g_error("%s", err->message);
	return data;
}

static char *
date_iso(gint64 t)
{
	g_autoptr(GDateTime) dt = NULL;

	if (t == 0)
		return g_strdup("0");
	dt = g_date_time_new_from_unix_utc(t);
	return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

static void
assert_valid(const mime_forward_t *f)
{
	const char *fields[] = { f->style, f->author_name, f->author_address, f->date_text,
				 f->subject, f->message_id, f->body, f->note };

	g_assert_nonnull(f->style);
	g_assert_nonnull(f->body);
	g_assert_nonnull(f->note);
	g_assert_nonnull(f->references);
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		g_assert_true(fields[i] == NULL || g_utf8_validate(fields[i], -1, NULL));
	for (guint i = 0; i < f->references->len; i++)
		g_assert_true(g_utf8_validate(f->references->pdata[i], -1, NULL));
}

/* ------------------------------------------------------------------ */
/* Fixtures: tests/data/forward/NAME.eml and NAME.expected             */

/* "\n", "\t" and "\\" in an expected value. New string. */
static char *
unescape(const char *s)
{
	GString *out = g_string_new(NULL);

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			g_string_append_c(out, *s == 'n' ? '\n' : *s == 't' ? '\t' : *s);
		} else {
			g_string_append_c(out, *s);
		}
	}
	return g_string_free(out, FALSE);
}

/* The string fields of a forward, by their names in .expected files. */
static const struct {
	const char *key;
	glong offset;
} string_fields[] = {
	{ "style", G_STRUCT_OFFSET(mime_forward_t, style) },
	{ "author_name", G_STRUCT_OFFSET(mime_forward_t, author_name) },
	{ "author_address", G_STRUCT_OFFSET(mime_forward_t, author_address) },
	{ "date_text", G_STRUCT_OFFSET(mime_forward_t, date_text) },
	{ "subject", G_STRUCT_OFFSET(mime_forward_t, subject) },
	{ "message_id", G_STRUCT_OFFSET(mime_forward_t, message_id) },
	{ "note", G_STRUCT_OFFSET(mime_forward_t, note) },
};

/* The value of field KEY of F as the .expected files write it. New
 * string or NULL; *KNOWN is FALSE for an unknown key. */
static char *
field_value(const mime_forward_t *f, const char *key, gboolean *known)
{
	*known = TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(string_fields); i++)
		if (strcmp(key, string_fields[i].key) == 0)
			return g_strdup(G_STRUCT_MEMBER(const char *, f, string_fields[i].offset));
	if (strcmp(key, "date") == 0)
		return date_iso(f->date);
	if (strcmp(key, "references") == 0) {
		GString *s = g_string_new(NULL);

		for (guint i = 0; i < f->references->len; i++)
			g_string_append_printf(s, "%s%s", i > 0 ? " " : "",
					       (char *)f->references->pdata[i]);
		return g_string_free(s, FALSE);
	}
	*known = FALSE;
	return NULL;
}

/* Compare FWDS with the expectations in EXPECTED (text of FILE). Returns
 * the number of mismatches, each logged. */
static guint
check_expected(const char *file, const char *expected, GPtrArray *fwds)
{
	g_auto(GStrv) lines = g_strsplit(expected, "\n", -1);
	const mime_forward_t *f = NULL;
	guint bad = 0;

	for (guint n = 0; lines[n] != NULL; n++) {
		const char *line = lines[n];
		const char *colon = strchr(line, ':');
		g_autofree char *key = NULL;
		g_autofree char *want = NULL;
		g_autofree char *got = NULL;
		gboolean known = TRUE, ok;

		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[') {
			guint64 k = g_ascii_strtoull(line + 1, NULL, 10);

			f = k >= 1 && k <= fwds->len ? fwds->pdata[k - 1] : NULL;
			if (f == NULL) {
				g_test_message("%s:%u: no forward %s", file, n + 1, line);
				return bad + 1;
			}
			continue;
		}
		g_assert_nonnull(colon); /* a broken .expected file is a bug */
		key = g_strndup(line, (gsize)(colon - line));
		want = unescape(colon[1] == ' ' ? colon + 2 : colon + 1);
		if (strcmp(key, "count") == 0) {
			got = g_strdup_printf("%u", fwds->len);
			ok = strcmp(got, want) == 0;
		} else {
			g_assert_nonnull(f);
			if (strcmp(key, "body-starts") == 0) {
				ok = g_str_has_prefix(f->body, want);
				got = g_strndup(f->body, MIN(strlen(f->body), strlen(want) + 20));
			} else if (strcmp(key, "body-not-contains") == 0) {
				ok = strstr(f->body, want) == NULL;
				got = g_strdup(f->body);
			} else {
				got = field_value(f, key, &known);
				g_assert_true(known);
				ok = strcmp(want, "(null)") == 0 ? got == NULL
								 : got != NULL && strcmp(got, want) == 0;
			}
		}
		if (!ok) {
			g_test_message("%s:%u: %s: want [%s], got [%s]", file, n + 1, key, want,
				       got != NULL ? got : "(null)");
			bad++;
		}
	}
	return bad;
}

static int
cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_fixtures(void)
{
	g_autofree char *dir = src_path("tests/data/forward");
	g_autoptr(GError) err = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	guint bad = 0;
	const char *name;

	g_assert_no_error(err);
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".eml"))
			g_ptr_array_add(names, g_strndup(name, strlen(name) - 4));
	g_ptr_array_sort(names, cmp_names);
	g_assert_cmpuint(names->len, >=, 30);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *eml = g_strdup_printf("%s/%s.eml", dir, (char *)names->pdata[i]);
		g_autofree char *exp = g_strdup_printf("%s/%s.expected", dir, (char *)names->pdata[i]);
		g_autofree char *data = read_text(eml);
		g_autofree char *expected = read_text(exp);
		g_autoptr(mime_msg_t) msg = mime_parse(data, strlen(data), NULL, &err);
		g_autoptr(GPtrArray) fwds = NULL;
		guint b;

		g_assert_no_error(err);
		fwds = mime_forward_find(msg);
		for (guint k = 0; k < fwds->len; k++)
			assert_valid(fwds->pdata[k]);
		b = check_expected(exp, expected, fwds);
		g_test_message("%s: %s", (char *)names->pdata[i], b == 0 ? "ok" : "FAILED");
		bad += b;
	}
	g_assert_cmpuint(bad, ==, 0);
}

/* ------------------------------------------------------------------ */
/* Corpora of other projects                                           */

/* The original authors of email_reply_trimmer's embedded messages, read
 * off their From lines (test/embedded/NAME.txt); NULL: none written. */
static const struct {
	const char *name;
	const char *author_name;
	const char *author_address;
} trimmer_authors[] = {
	{ "email_headers_1", "Outlook user", NULL },
	{ "email_headers_2", "Discourse", "info@discourse.org" }, /* "<info@discourse.org." */
	{ "email_headers_3", "Some One", "discuss@foo.bar" },
	{ "email_headers_4", "Sally54721", NULL },
	{ "embedded_email_10", "Arpit Jalan", "arpit.jalan@discourse.org" },
	{ "embedded_email_german_3", "Discourse Team", "team@discourse.org" },
	{ "embedded_email_spanish_2", "Miguel", "foo@bar.es" },
	{ "forwarded_apple", "Foo Discourse", "foo@discourse.org" },
	{ "forwarded_gmail", "Foo Discourse", "foo@discourse.org" },
	{ "forwarded_message", "Some One", "foo@bar.com" },
};

/* The first non-blank line after the header block of an embedded message
 * (its first blank line), trimmed. New string. */
static char *
embedded_first_body_line(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	gboolean in_body = FALSE;

	for (guint i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(lines[i]);

		if (*l == '\0')
			in_body = TRUE;
		else if (in_body)
			return g_strdup(l);
	}
	return g_strdup("");
}

static char *
first_line(const char *text)
{
	const char *s = text + strspn(text, " \t\n");

	return g_strstrip(g_strndup(s, strcspn(s, "\n")));
}

/* Every message with an embedded/forwarded expectation upstream: the
 * forward is found, its note is upstream's "before" text, its body starts
 * where upstream's embedded message does, and the author is the one on
 * that message's From line. Upstream: extract_embedded_email(strip(email))
 * == [strip(embedded), strip(before)]. */
static void
test_corpus_trimmer(void)
{
	g_autofree char *dir = src_path("tests/corpus/email_reply_trimmer/test");
	g_autofree char *probe = g_build_filename(dir, "embedded", NULL);
	g_autoptr(GDir) d = g_dir_open(probe, 0, NULL);
	guint seen = 0, bad = 0;
	const char *file;

	if (d == NULL) {
		g_test_skip("no tests/corpus/email_reply_trimmer");
		return;
	}
	while ((file = g_dir_read_name(d)) != NULL) {
		g_autofree char *name = g_strndup(file, strcspn(file, "."));
		g_autofree char *email = g_strdup_printf("%s/emails/%s", dir, file);
		g_autofree char *emb = g_strdup_printf("%s/embedded/%s", dir, file);
		g_autofree char *bef = g_strdup_printf("%s/before/%s", dir, file);
		g_autofree char *text = read_text(email);
		g_autofree char *embedded = read_text(emb);
		g_autofree char *before = g_strstrip(read_text(bef));
		g_autofree char *want_body = embedded_first_body_line(embedded);
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(text);
		g_autofree char *got_body = NULL;
		gsize k;

		for (k = 0; k < G_N_ELEMENTS(trimmer_authors); k++)
			if (strcmp(trimmer_authors[k].name, name) == 0)
				break;
		g_assert_cmpuint(k, <, G_N_ELEMENTS(trimmer_authors)); /* a new fixture */
		seen++;
		if (f == NULL) {
			g_test_message("%s: no forward found", name);
			bad++;
			continue;
		}
		assert_valid(f);
		got_body = first_line(f->body);
		if (strcmp(f->note, before) != 0 || strcmp(got_body, want_body) != 0 ||
		    g_strcmp0(f->author_name, trimmer_authors[k].author_name) != 0 ||
		    g_strcmp0(f->author_address, trimmer_authors[k].author_address) != 0) {
			g_test_message("%s: note [%s] body [%s] author [%s] <%s>; want [%s] [%s] "
				       "[%s] <%s>", name, f->note, got_body, f->author_name,
				       f->author_address, before, want_body,
				       trimmer_authors[k].author_name,
				       trimmer_authors[k].author_address);
			bad++;
		}
	}
	g_test_message("email_reply_trimmer: %u embedded expectations, %u failed", seen, bad);
	g_assert_cmpuint(seen, ==, G_N_ELEMENTS(trimmer_authors));
	g_assert_cmpuint(bad, ==, 0);
}

/* Whole messages of the mail gem's corpus that carry forwards. */
static const struct {
	const char *path;
	const char *style;
	const char *author_address;
	const char *subject;
	const char *body_starts;
} gem_forwards[] = {
	{ "mime_emails/raw_email2.eml", "gmail", "xxxxxxxx@xxx.com",
	  "Signed email causes file attachments", "Hi," },
	{ "plain_emails/raw_email8.eml", "gmail", "xxxxxxxx@xxx.com",
	  "Signed email causes file attachments", "Hi," },
	{ "attachment_emails/attachment_message_rfc822.eml", "attached", "xxxx@xxxx.com",
	  "Another PDF", "Just attaching another PDF" },
};

static void
test_corpus_gem(void)
{
	g_autofree char *dir = src_path("tests/corpus/mail-gem/spec/fixtures/emails");

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("no tests/corpus/mail-gem");
		return;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(gem_forwards); i++) {
		g_autofree char *path = g_build_filename(dir, gem_forwards[i].path, NULL);
		g_autofree char *data = NULL;
		g_autoptr(GError) err = NULL;
		g_autoptr(mime_msg_t) msg = NULL;
		g_autoptr(GPtrArray) fwds = NULL;
		mime_forward_t *f;
		gsize len;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		msg = mime_parse(data, len, NULL, &err);
		g_assert_no_error(err);
		fwds = mime_forward_find(msg);
		g_assert_cmpuint(fwds->len, ==, 1);
		f = fwds->pdata[0];
		g_assert_cmpstr(f->style, ==, gem_forwards[i].style);
		g_assert_cmpstr(f->author_address, ==, gem_forwards[i].author_address);
		g_assert_cmpstr(f->subject, ==, gem_forwards[i].subject);
		g_assert_true(g_str_has_prefix(f->body, gem_forwards[i].body_starts));
	}
}

/* Every text and message of the corpora: no crash, valid fields, time. */
static void
scan_corpus(const char *dir, guint depth, guint *files, guint *found)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL || depth > 8)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *data = NULL;
		gsize len;

		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			scan_corpus(path, depth + 1, files, found);
			continue;
		}
		if (!g_file_get_contents(path, &data, &len, NULL))
			continue;
		if (g_str_has_suffix(name, ".eml")) {
			g_autoptr(mime_msg_t) msg = mime_parse(data, len, NULL, NULL);
			g_autoptr(GPtrArray) fwds = msg != NULL ? mime_forward_find(msg) : NULL;

			for (guint i = 0; fwds != NULL && i < fwds->len; i++)
				assert_valid(fwds->pdata[i]);
			*found += fwds != NULL && fwds->len > 0;
		} else if (g_str_has_suffix(name, ".txt")) {
			g_autoptr(mime_forward_t) f = mime_forward_parse_text(data);

			if (f != NULL)
				assert_valid(f);
			*found += f != NULL;
		} else {
			continue;
		}
		(*files)++;
	}
}

static void
test_corpus_all(void)
{
	g_autofree char *dir = src_path("tests/corpus");
	gint64 t0 = g_get_monotonic_time();
	guint files = 0, found = 0;

	scan_corpus(dir, 0, &files, &found);
	if (files == 0) {
		g_test_skip("no tests/corpus");
		return;
	}
	g_test_message("corpus: %u files, %u with a forward, %.0f ms", files, found,
		       (double)(g_get_monotonic_time() - t0) / 1000);
}

/* ------------------------------------------------------------------ */
/* Inline text: not forwards, author forms, hostile input               */

static const char *const not_forwards[] = {
	/* Replies with quoted history. */
	"Thanks!\n\nOn Mon, Nov 16, 2026 at 9:15 AM Alice <alice@example.com> wrote:\n"
	"> Hello,\n> the printer is broken.\n",
	"Ok.\n\nAm 16.11.2026 um 09:15 schrieb Alice:\n> ---------- Forwarded message "
	"---------\n> From: Bob <bob@example.com>\n> Subject: x\n",
	"Ok.\n\nLe 16 nov. 2026 à 09:15, Alice a écrit :\n> Begin forwarded message:\n>\n"
	"> From: Bob <bob@example.com>\n",
	/* A forward marker deep inside a quote, not where it starts. */
	"Ok.\n\n> Hello\n> ---------- Forwarded message ---------\n> From: Bob <bob@x.example>\n",
	/* "From:" in running text and in signatures. */
	"The header From: is missing in my mails.\nSubject: lines too.\n",
	"Hi,\nFrom: here on, it works.\nTo: be sure, I rebooted.\n",
	"Thanks\n-- \nJane\nFrom: Acme Sales\n",
	"Question about From: addresses.\n\nFrom: me\nTo: you\n",
	/* Fields that only add up across blank lines, not starting with From. */
	"Subject: printing\n\nFrom: a@b.example\nTo: c@d.example\n\n____________\n",
	/* Decoration and words that are close to markers. */
	"Hello\n________________________________\nRegards\n",
	"----------\nforwarded message text in a sentence\n----------\n",
	"Please see the forwarded message below.\n",
	/* A forward inside a quote that started above it. */
	"Ok.\n\n> Hello\n>\n>> Begin forwarded message:\n>>\n>> From: Bob <bob@x.example>\n",
	"--- Weather report ---\nSunny.\n",
	"",
	"\n\n\n",
};

static void
test_not_forwards(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(not_forwards); i++) {
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(not_forwards[i]);

		if (f != NULL)
			g_test_message("case %zu: found a %s forward by %s", i, f->style,
				       f->author_address);
		g_assert_null(f);
	}
	g_assert_null(mime_forward_parse_text(NULL));
}

static const struct {
	const char *from;   /* the From value in a Gmail forward */
	const char *name;
	const char *address;
} author_cases[] = {
	{ "Alice Example <alice@example.com>", "Alice Example", "alice@example.com" },
	{ "\"Example, Alice\" <alice@EXAMPLE.com>", "Example, Alice", "alice@example.com" },
	{ "<alice@example.com>", NULL, "alice@example.com" },
	{ "alice@example.com", NULL, "alice@example.com" },
	{ "alice@example.com (Alice Example)", "Alice Example", "alice@example.com" },
	{ "Alice Example [mailto:alice@example.com]", "Alice Example", "alice@example.com" },
	{ "Alice Example [alice@example.com]", "Alice Example", "alice@example.com" },
	{ "Alice <alice@example.com<mailto:alice@example.com>>", "Alice", "alice@example.com" },
	{ "Alice <mailto:alice@example.com>", "Alice", "alice@example.com" },
	{ "Alice Example <alice@example.com", "Alice Example", "alice@example.com" },
	{ "Alice Example <alice@\n example.com>", "Alice Example", "alice@example.com" },
	{ "*Alice Example* <alice@example.com>", "Alice Example", "alice@example.com" },
	{ "Alice Example", "Alice Example", NULL },
	{ "Alice <not an address>", "Alice", NULL },
	{ "Alice <@>", "Alice", NULL },
	{ "<>", NULL, NULL },
	{ "=?iso-8859-1?q?Ren=E9_Roe?= <rene@roe.example>", "René Roe", "rene@roe.example" },
	{ "Ünal Ünsal <ünal@exämple.com>", "Ünal Ünsal", "ünal@exämple.com" },
};

static void
test_author_forms(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(author_cases); i++) {
		g_autofree char *text = g_strdup_printf(
			"note\n\n---------- Forwarded message ---------\nFrom: %s\n"
			"Subject: s\n\nbody\n", author_cases[i].from);
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(text);

		g_test_message("case %zu: %s", i, author_cases[i].from);
		g_assert_nonnull(f);
		g_assert_cmpstr(f->author_name, ==, author_cases[i].name);
		g_assert_cmpstr(f->author_address, ==, author_cases[i].address);
		g_assert_cmpstr(f->note, ==, "note");
		g_assert_cmpstr(f->body, ==, "body");
	}
}

/* Line ends and blank lines between marker and headers, and a forward
 * with no header block at all. */
static void
test_layouts(void)
{
	g_autoptr(mime_forward_t) crlf = mime_forward_parse_text(
		"Hi\r\n\r\n-----Original Message-----\r\nFrom: A <a@b.example>\r\n"
		"Sent: Monday, November 16, 2026 3:45 PM\r\nSubject: x\r\n\r\nbody\r\n");
	g_autoptr(mime_forward_t) cr = mime_forward_parse_text(
		"Hi\r\r-----Original Message-----\rFrom: A <a@b.example>\rSubject: x\r\rbody\r");
	g_autoptr(mime_forward_t) bare = mime_forward_parse_text(
		"see below\n---------- Forwarded message ---------\n\nThe text only.\n");
	g_autoptr(mime_forward_t) folded = mime_forward_parse_text(
		"---------- Forwarded message ---------\nFrom: A <a@b.example>\n"
		"Subject: a subject\n\tfolded once\n   and twice\nTo: c@d.example\n\nbody\n");
	g_autoptr(mime_forward_t) wrapped = mime_forward_parse_text(
		"-----Original Message-----\nFrom: A <a@b.example>\nTo: c@d.example, e@f.example,\n"
		"g@h.example\nSubject: s\n\nbody\n");
	g_autoptr(mime_forward_t) spaced = mime_forward_parse_text(
		"FYI\n\nFrom: A <a@b.example>\n\nSent: Monday, November 16, 2026 3:45 PM\n\n"
		"To: c@d.example\n\nSubject: s\n\nSubject: not a header\n\nFrom: me\n");
	g_autoptr(mime_forward_t) notes = mime_forward_parse_text(
		"FYI\n----- Forwarded by Moritz Moderator/Community on 16.11.2026 15:45 -----\n\n"
		"From:\tAlice Example <alice@example.com>\nTo:\tusers@lists.example.org\n"
		"Date:\t16.11.2026 15:40\nSubject:\tHelp\n\nPlease help.\n");
	g_autoptr(mime_forward_t) deeper = mime_forward_parse_text(
		"x\n\n> Begin forwarded message:\n>\n> From: A <a@b.example>\n>\n> one\n"
		">> two\n> three\nafter the quote\n");

	g_assert_nonnull(crlf);
	g_assert_cmpstr(crlf->author_address, ==, "a@b.example");
	g_assert_cmpstr(crlf->body, ==, "body");
	g_assert_cmpstr(crlf->style, ==, "outlook");
	g_assert_nonnull(cr);
	g_assert_cmpstr(cr->subject, ==, "x");
	g_assert_cmpstr(cr->body, ==, "body");
	g_assert_nonnull(bare);
	g_assert_null(bare->author_name);
	g_assert_null(bare->author_address);
	g_assert_cmpstr(bare->body, ==, "The text only.");
	g_assert_cmpstr(bare->note, ==, "see below");
	g_assert_nonnull(folded);
	g_assert_cmpstr(folded->subject, ==, "a subject folded once and twice");
	g_assert_nonnull(wrapped);
	g_assert_cmpstr(wrapped->subject, ==, "s");
	g_assert_cmpstr(wrapped->body, ==, "body");
	g_assert_nonnull(spaced);
	g_assert_cmpstr(spaced->author_address, ==, "a@b.example");
	g_assert_cmpstr(spaced->subject, ==, "s");
	g_assert_cmpstr(spaced->body, ==, "Subject: not a header\n\nFrom: me");
	g_assert_nonnull(notes);
	g_assert_cmpstr(notes->style, ==, "generic");
	g_assert_cmpstr(notes->author_address, ==, "alice@example.com");
	g_assert_cmpstr(notes->date_text, ==, "16.11.2026 15:40");
	g_assert_cmpint(notes->date, ==, 0);
	g_assert_cmpstr(notes->note, ==, "FYI");
	g_assert_nonnull(deeper);
	g_assert_cmpstr(deeper->style, ==, "apple");
	g_assert_cmpstr(deeper->body, ==, "one\n> two\nthree");
}

/* Hostile text: truncated blocks, huge lines, many lines, deep quotes,
 * invalid UTF-8. Nothing crashes, results are valid, time is bounded. */
static void
test_hostile(void)
{
	static const char *const small[] = {
		"---------- Forwarded message ---------",
		"---------- Forwarded message ---------\n",
		"---------- Forwarded message ---------\nFrom:",
		"---------- Forwarded message ---------\nFrom: <",
		"---------- Forwarded message ---------\nFrom: A [mailto:",
		"---------- Forwarded message ---------\nFrom: \"",
		"---------- Forwarded message ---------\nFrom: (((((\nDate: (((\n",
		"---------- Forwarded message ---------\nMessage-ID: <<<<>>>>\nReferences: <\n",
		"---------- Forwarded message ---------\nDate: +99999 -:: 99:99:99\n",
		"----- Forwarded message from -----",
		"----- Forwarded message from <> -----\n----- End forwarded message -----",
		"> Begin forwarded message:",
		">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> Begin forwarded message:\n>",
		"Begin forwarded message:\n\xff\xfe\n\xc3",
		"From: \xff\nSent: \xfe\nTo: \xc3\nSubject: \xe2\x82\n",
		"Begin forwarded message :\nFrom: a@b.example\nSubject: \x01\x02\x7f\n\n\x01",
		"--\n-----Original Message-----\n--",
	};
	GString *s = g_string_new(NULL);
	gint64 t0;

	for (gsize i = 0; i < G_N_ELEMENTS(small); i++) {
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(small[i]);

		if (f != NULL)
			assert_valid(f);
	}
	t0 = g_get_monotonic_time();
	/* A 4 MiB From line is no header line: the forward has no author
	 * and the line starts its body. */
	g_string_append(s, "---------- Forwarded message ---------\nFrom: ");
	for (int i = 0; i < 4 << 20; i++)
		g_string_append_c(s, i % 7 == 0 ? '<' : '-');
	g_string_append(s, "\nSubject: ok\n\nbody");
	{
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(s->str);

		g_assert_nonnull(f);
		assert_valid(f);
		g_assert_null(f->author_name);
		g_assert_null(f->subject);
		g_assert_true(g_str_has_prefix(f->body, "From: <------<"));
	}
	/* 100000 header lines, no marker: a block is read at most
	 * MIME_FORWARD_HEADER_LINES lines each time. */
	g_string_truncate(s, 0);
	for (int i = 0; i < 100000; i++)
		g_string_append(s, i % 2 ? "To: a@b.example\n" : "Cc: c@d.example\n");
	{
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(s->str);

		g_assert_null(f);
	}
	/* Many short blocks that almost make a forward. */
	g_string_truncate(s, 0);
	for (int i = 0; i < 50000; i++)
		g_string_append(s, "From: a@b.example\nTo: c@d.example\n\n");
	{
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(s->str);

		g_assert_null(f);
	}
	/* Deep quotes on every line, and a marker past the scan limit. */
	g_string_truncate(s, 0);
	for (int i = 0; i < MIME_FORWARD_SCAN_LINES + 10; i++)
		g_string_append(s, ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> x\n");
	g_string_append(s, "---------- Forwarded message ---------\nFrom: a@b.example\n\nbody\n");
	{
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(s->str);

		g_assert_null(f);
	}
	/* Huge body after a quoted marker: one pass. */
	g_string_assign(s, "> Begin forwarded message:\n> From: a@b.example\n>\n");
	for (int i = 0; i < 200000; i++)
		g_string_append(s, "> > line\n");
	{
		g_autoptr(mime_forward_t) f = mime_forward_parse_text(s->str);

		g_assert_nonnull(f);
		g_assert_cmpuint(strlen(f->body), ==, 200000 * 7 - 1);
	}
	g_string_free(s, TRUE);
	g_test_message("hostile inputs: %.0f ms", (double)(g_get_monotonic_time() - t0) / 1000);
	/* Linear work: far under a second even with sanitizers. */
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 20 * G_USEC_PER_SEC);
}

/* Random texts made of markers, header lines, quotes, folds, broken
 * bytes and plain text: whatever comes out is well formed. Reproducible
 * with --seed. */
static void
test_random(void)
{
	static const char *const pieces[] = {
		"---------- Forwarded message ---------", "-----Original Message-----",
		"-------- Forwarded Message --------", "Begin forwarded message:",
		"----- Forwarded message from A <a@b.example> -----",
		"----- End forwarded message -----", "________________________________",
		"Forwarded message:", "From: A <a@b.example>", "From: ", "From: <",
		"Von: B [mailto:b@c.example]", "Sent: Monday, November 16, 2026 3:45 PM",
		"Date: Mon, 16 Nov 2026 21:00:00 +0100", "Date: 99:99 PM GMT+99",
		"Subject: x", "Subject: =?utf-8?q?=C3=A4?=", "To: y@z.example,", "Cc:",
		"Message-ID: <m@n.example>", "References: <a@b> <c", "In-Reply-To: <",
		"  folded", "\tfolded", ">", "> ", ">> ", "", "text line",
		"On Mon, Nov 16, 2026 Alice wrote:", "-- ", "--", "\xff\xfe", "\xc3",
		"\xe2\x80\xaf", "*From:* C <c@d.example>", "De : D <d@e.example>",
	};
	static const char *const quotes[] = { "", "", "", "> ", ">", ">> ", "  > " };

	for (int n = 0; n < 3000; n++) {
		GString *s = g_string_new(NULL);
		int count = g_test_rand_int_range(0, 60);
		g_autoptr(mime_forward_t) f = NULL;
		gint64 secs;

		for (int k = 0; k < count; k++) {
			g_string_append(s, quotes[g_test_rand_int_range(0, G_N_ELEMENTS(quotes))]);
			g_string_append(s, pieces[g_test_rand_int_range(0, G_N_ELEMENTS(pieces))]);
			g_string_append(s, g_test_rand_bit() ? "\n" : g_test_rand_bit() ? "\r\n" : " ");
		}
		f = mime_forward_parse_text(s->str);
		if (f != NULL)
			assert_valid(f);
		(void)mime_forward_parse_date(s->len < 200 ? s->str : "", &secs);
		g_string_free(s, TRUE);
	}
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */

static const struct {
	const char *text;
	const char *utc; /* NULL: not parsed */
} date_cases[] = {
	/* RFC 5322 */
	{ "Mon, 16 Nov 2026 21:00:00 +0100", "2026-11-16T20:00:00Z" },
	{ "Mon, 16 Nov 2026 21:00:00 +0100 (CET)", "2026-11-16T20:00:00Z" },
	{ "16 Nov 2026 21:00 -0500", "2026-11-17T02:00:00Z" },
	{ "Mon, 16 Nov 2026 21:00:00 GMT", "2026-11-16T21:00:00Z" },
	{ "Mon, 16 Nov 2026 21:00:00 EST", "2026-11-17T02:00:00Z" },
	/* Gmail */
	{ "Mon, Nov 16, 2026 at 9:15 AM", "2026-11-16T09:15:00Z" },
	{ "Tue, Jan 01, 2019 at 12:00 PM", "2019-01-01T12:00:00Z" },
	{ "Tue, Jan 1, 2019 at 12:30 AM", "2019-01-01T00:30:00Z" },
	{ "Mon, 16 Nov 2026 at 09:15", "2026-11-16T09:15:00Z" },
	{ "May 8, 2005 1:17 PM", "2005-05-08T13:17:00Z" },
	/* Outlook */
	{ "Monday, November 16, 2026 3:45 PM", "2026-11-16T15:45:00Z" },
	{ "Thursday, 28 January 2016 8:16 p.m.", "2016-01-28T20:16:00Z" },
	{ "Monday, 16 November 2026 15:45", "2026-11-16T15:45:00Z" },
	{ "Monday, November 16, 2026, 11:45:00 PM GMT+1", "2026-11-16T22:45:00Z" },
	/* Apple */
	{ "16 November 2026 at 19:05:00 CET", "2026-11-16T18:05:00Z" },
	{ "November 17, 2026 at 9:41:00\xe2\x80\xaf" "AM GMT+1", "2026-11-17T08:41:00Z" },
	{ "01 January 2019 at 12:00:00 EET", "2019-01-01T10:00:00Z" },
	{ "Nov 16, 2026, at 7:05 PM", "2026-11-16T19:05:00Z" },
	/* Java / K-9 */
	{ "Mon Nov 16 23:30:00 CET 2026", "2026-11-16T22:30:00Z" },
	{ "November 16, 2026 11:30:00 PM GMT+01:00", "2026-11-16T22:30:00Z" },
	{ "Nov 16, 2026 11:30:00 PM UTC+5:30", "2026-11-16T18:00:00Z" },
	/* ISO 8601 and plain days */
	{ "2016-01-27", "2016-01-27T00:00:00Z" },
	{ "2026-11-16 09:15", "2026-11-16T09:15:00Z" },
	{ "2026-11-16T09:15:00Z", "2026-11-16T09:15:00Z" },
	{ "2026-11-16T09:15:00.123+02:00", "2026-11-16T07:15:00Z" },
	{ "16th November 2026", "2026-11-16T00:00:00Z" },
	{ "Sept. 1, 2026", "2026-09-01T00:00:00Z" },
	/* Not parsed: other languages, ambiguous, broken, out of range. */
	{ "Mo., 16. Nov. 2026 um 10:05 Uhr", NULL },
	{ "lundi 16 novembre 2026 17:30", NULL },
	{ "16/11/2026 14:53", NULL },
	{ "16.11.2026", NULL },
	{ "=E2=80=8E16/=E2=80=8E02/=E2=80=8E2016 14:53", NULL },
	{ "Feb 30, 2026", NULL },
	{ "Nov 16, 2026 25:00", NULL },
	{ "Nov 16, 2026 13:00 PM", NULL },
	{ "Nov 16 2026 Nov", NULL },
	{ "Nov 2026", NULL },
	{ "16, 2026", NULL },
	{ "yesterday", NULL },
	{ "Mon, 16 Nov 26 21:00:00 +0100", NULL },
	{ "", NULL },
	{ "Supercalifragilistic 16, 2026", NULL },
};

static void
test_dates(void)
{
	gint64 secs;

	for (gsize i = 0; i < G_N_ELEMENTS(date_cases); i++) {
		gboolean ok = mime_forward_parse_date(date_cases[i].text, &secs);
		g_autofree char *got = ok ? date_iso(secs) : NULL;

		g_test_message("%s -> %s", date_cases[i].text, got);
		g_assert_cmpstr(got, ==, date_cases[i].utc);
	}
	g_assert_false(mime_forward_parse_date(NULL, &secs));
	{
		g_autofree char *longer = g_strnfill(300, ' ');

		memcpy(longer, "Nov 16, 2026", 12);
		g_assert_false(mime_forward_parse_date(longer, &secs));
	}
}

/* RFC 5322 dates agree with GMime's parser. */
static void
test_dates_gmime(void)
{
	static const char *const rfc[] = {
		"Mon, 16 Nov 2026 21:00:00 +0100", "Tue, 1 Jan 2019 00:00:01 -0800",
		"29 Feb 2028 23:59:59 +1400", "Thu, 31 Dec 1998 12:00:00 +0000",
		"Fri, 06 Jun 2025 08:09:10 -0330",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rfc); i++) {
		g_autoptr(GDateTime) dt = g_mime_utils_header_decode_date(rfc[i]);
		gint64 secs = 0;

		g_assert_nonnull(dt);
		g_assert_true(mime_forward_parse_date(rfc[i], &secs));
		g_assert_cmpint(secs, ==, g_date_time_to_unix(dt));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/forward/fixtures", test_fixtures);
	g_test_add_func("/forward/corpus/trimmer", test_corpus_trimmer);
	g_test_add_func("/forward/corpus/mail-gem", test_corpus_gem);
	g_test_add_func("/forward/corpus/all", test_corpus_all);
	g_test_add_func("/forward/not-forwards", test_not_forwards);
	g_test_add_func("/forward/author-forms", test_author_forms);
	g_test_add_func("/forward/layouts", test_layouts);
	g_test_add_func("/forward/hostile", test_hostile);
	g_test_add_func("/forward/random", test_random);
	g_test_add_func("/forward/dates", test_dates);
	g_test_add_func("/forward/dates-gmime", test_dates_gmime);
	return g_test_run();
}
