/* SPDX-License-Identifier: MIT
 * mime.c: parse one message with GMime 3 and turn it into plain values
 * (mime.h). The quote and signature work on the text is mime-text.c's,
 * HTML to text is mime-html.c's.
 *
 * Follows RFC 5322 (message format), RFC 2045-2049 (MIME), RFC 2047
 * (encoded words), RFC 2231 (parameter encoding), RFC 6532 (UTF-8
 * headers), RFC 6522 (multipart/report) with RFC 3464 (DSN) and RFC 8098
 * (MDN), and is lenient where real mail is not.
 *
 * Everything from mail is hostile. Before GMime sees a byte, a linear scan
 * (scan_*) mirrors how GMime's parser finds header blocks and boundaries,
 * and refuses input whose nesting, part count or header sizes are over
 * the caps: GMime itself builds an object per part and checks every line
 * against every open boundary, so a message of 10^6 parts or 10^3 levels
 * would cost gigabytes or minutes before we could count anything.
 * GMime 3.2 does stop recursing at 1024 levels, but by then it compares
 * each line with 1024 boundaries. The mirror was checked against GMime
 * 3.2.13 with a differential fuzzer (GMime's tree never exceeded the caps
 * the scan accepted); it follows GMime's quirks: the last Content-Type
 * field wins, type and subtype are raw tokens (a stray CR ends them), a
 * boundary line with a NUL is no boundary, an unparseable type in a
 * digest is a message. As a backstop whatever the structure, lines equal
 * to any boundary declared anywhere and Content-Type fields anywhere are
 * counted too. The walk over GMime's tree counts again, with the same
 * budget, including forwarded messages parsed from base64
 * message/rfc822 parts (scanned in turn).
 *
 * Charsets: a declared charset is trusted unless the bytes are invalid in
 * it; then, or when none is declared, uchardet guesses, then the fallback
 * list is tried. Everything returned is valid UTF-8. */
#include "autodefs.h"
#include <errno.h>
#include <string.h>
#include <libxml/parser.h>
#include <uchardet/uchardet.h>
#include "error.h"
#include "mime-html.h"
#include "mime.h"
#include "util.h"
#include "banned.h"

#define MIME_MAX_NOTES 64          /* notes kept per message */
#define MIME_DETECT_BYTES 65536    /* bytes given to uchardet */
#define MIME_DETECT_MIN_8BIT 8     /* fewer 8-bit bytes: do not ask uchardet */
#define MIME_MAX_ADDRESSES 1000    /* mailboxes kept per To or Cc */
#define MIME_MAX_FILENAME 255      /* bytes of an attachment file name */
#define MIME_META_SCAN 4096        /* HTML bytes searched for <meta charset> */
#define SCAN_MAX_BOUNDS 1          /* boundaries per frame: GMime uses one */
#define SCAN_MAX_CTYPES 8          /* Content-Type fields read per header block */

/* ------------------------------------------------------------------ */
/* Limits, init, small helpers                                        */

void
mime_limits_init(mime_limits_t *lim)
{
	memset(lim, 0, sizeof *lim);
	lim->max_message_size = 50 * 1024 * 1024;
	lim->max_attachment_size = 25 * 1024 * 1024;
	lim->max_depth = 32;
	lim->max_parts = 1000;
	lim->max_headers = 1000;
	lim->max_header_length = 64 * 1024;
	lim->max_text_size = 4 * 1024 * 1024;
	lim->fallback_charsets = NULL;
	lim->max_decoded_total = 0;
}

/* LIM with zero fields replaced by the defaults. */
static void
limits_resolve(const mime_limits_t *lim, mime_limits_t *out)
{
	mime_limits_t def;

	mime_limits_init(&def);
	if (lim == NULL) {
		*out = def;
	} else {
		*out = *lim;
		if (out->max_message_size == 0)
			out->max_message_size = def.max_message_size;
		if (out->max_attachment_size == 0)
			out->max_attachment_size = def.max_attachment_size;
		if (out->max_depth == 0)
			out->max_depth = def.max_depth;
		if (out->max_parts == 0)
			out->max_parts = def.max_parts;
		if (out->max_headers == 0)
			out->max_headers = def.max_headers;
		if (out->max_header_length == 0)
			out->max_header_length = def.max_header_length;
		if (out->max_text_size == 0)
			out->max_text_size = def.max_text_size;
	}
	if (out->max_decoded_total == 0)
		out->max_decoded_total = out->max_message_size > G_MAXSIZE / 2
						 ? G_MAXSIZE
						 : out->max_message_size * 2;
}

void
mime_init(void)
{
	static gsize once = 0;

	if (g_once_init_enter(&once)) {
		g_mime_init();
		xmlInitParser();
		g_once_init_leave(&once, 1);
	}
}

/* "4 MiB", "64 KiB", "1234 bytes" */
static char *
size_text(gsize n)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " MiB", n / (1024 * 1024));
	if (n >= 1024 && n % 1024 == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " KiB", n / 1024);
	return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", n);
}

/* A value from the mail, fit for a note or an error message: printable
 * ASCII only, at most MAX bytes. New string. */
static char *
safe_label(const char *s, gsize max)
{
	GString *out = g_string_new(NULL);

	for (; s != NULL && *s != '\0' && out->len < max; s++)
		g_string_append_c(out, g_ascii_isprint(*s) ? *s : '?');
	return g_string_free(out, FALSE);
}

static void note_add(GPtrArray *notes, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
note_add(GPtrArray *notes, const char *fmt, ...)
{
	g_autofree char *s = NULL;
	va_list ap;

	if (notes == NULL || notes->len > MIME_MAX_NOTES)
		return;
	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (guint i = 0; i < notes->len; i++)
		if (strcmp(notes->pdata[i], s) == 0)
			return;
	if (notes->len == MIME_MAX_NOTES)
		g_ptr_array_add(notes, g_strdup("further notes left out"));
	else
		g_ptr_array_add(notes, g_steal_pointer(&s));
}

static gsize
count_8bit(const char *data, gsize len)
{
	gsize n = 0;

	for (gsize i = 0; i < len; i++)
		n += (guchar)data[i] >= 0x80;
	return n;
}

/* ISO-2022 escape sequences (ESC $ ... or ESC ( ...): 7-bit Japanese,
 * often sent without a charset label. */
static gboolean
has_iso2022(const char *data, gsize len)
{
	const char *p = data, *end = data + len;

	while ((p = memchr(p, 0x1B, (gsize)(end - p))) != NULL) {
		if (end - p >= 3 && (p[1] == '$' || p[1] == '('))
			return TRUE;
		p++;
	}
	return FALSE;
}

/* Valid UTF-8 with at least one multi-byte sequence. */
static gboolean
is_utf8_multibyte(const char *data, gsize len)
{
	return count_8bit(data, len) > 0 && g_utf8_validate(data, (gssize)len, NULL);
}

/* ------------------------------------------------------------------ */
/* Charsets                                                           */

static const char *const cs_utf8[] = { "UTF-8", NULL };
static const char *const cs_ascii[] = { "US-ASCII", NULL };
static const char *const cs_latin1[] = { "WINDOWS-1252", "ISO-8859-1", NULL };
/* GB2312-labelled mail is usually GBK; GB18030 decodes both. */
static const char *const cs_gb[] = { "GB18030", NULL };
static const char *const cs_sjis[] = { "CP932", "SHIFT_JIS", NULL };
static const char *const cs_kr[] = { "CP949", "EUC-KR", NULL };
static const char *const cs_big5[] = { "CP950", "BIG5-HKSCS", NULL };
static const char *const cs_jis[] = { "ISO-2022-JP", "ISO-2022-JP-2", "ISO-2022-JP-3", NULL };
static const char *const cs_eucjp[] = { "EUC-JP", "EUC-JP-MS", NULL };
static const char *const cs_thai[] = { "CP874", "TIS-620", NULL };
static const char *const cs_utf7[] = { "UTF-7", NULL };
static const char *const cs_mac[] = { "MACINTOSH", NULL };

static const struct {
	const char *label;
	const char *const *names;
} charset_aliases[] = {
	{ "utf-8", cs_utf8 }, { "utf8", cs_utf8 }, { "unicode-1-1-utf-8", cs_utf8 },
	{ "x-unicode20utf8", cs_utf8 },
	{ "us-ascii", cs_ascii }, { "ascii", cs_ascii }, { "ansi_x3.4-1968", cs_ascii },
	{ "iso646-us", cs_ascii }, { "us", cs_ascii }, { "cp367", cs_ascii },
	{ "iso-8859-1", cs_latin1 }, { "iso8859-1", cs_latin1 }, { "iso_8859-1", cs_latin1 },
	{ "latin1", cs_latin1 }, { "l1", cs_latin1 }, { "cp819", cs_latin1 },
	{ "ibm819", cs_latin1 }, { "windows-1252", cs_latin1 }, { "cp1252", cs_latin1 },
	{ "x-cp1252", cs_latin1 },
	{ "gb2312", cs_gb }, { "gbk", cs_gb }, { "x-gbk", cs_gb }, { "cp936", cs_gb },
	{ "ms936", cs_gb }, { "windows-936", cs_gb }, { "euc-cn", cs_gb }, { "x-euc-cn", cs_gb },
	{ "csgb2312", cs_gb }, { "cn-gb", cs_gb }, { "gb_2312-80", cs_gb }, { "chinese", cs_gb },
	{ "gb18030", cs_gb },
	{ "shift_jis", cs_sjis }, { "shift-jis", cs_sjis }, { "sjis", cs_sjis },
	{ "x-sjis", cs_sjis }, { "ms_kanji", cs_sjis }, { "csshiftjis", cs_sjis },
	{ "windows-31j", cs_sjis }, { "cp932", cs_sjis }, { "x-ms-cp932", cs_sjis },
	{ "ms932", cs_sjis },
	{ "euc-kr", cs_kr }, { "ks_c_5601-1987", cs_kr }, { "ks_c_5601-1989", cs_kr },
	{ "ks_c_5601", cs_kr }, { "ksc5601", cs_kr }, { "ksc_5601", cs_kr }, { "korean", cs_kr },
	{ "cp949", cs_kr }, { "windows-949", cs_kr }, { "x-windows-949", cs_kr },
	{ "csksc56011987", cs_kr }, { "iso-ir-149", cs_kr }, { "uhc", cs_kr },
	{ "cseuckr", cs_kr },
	{ "big5", cs_big5 }, { "big-5", cs_big5 }, { "x-x-big5", cs_big5 },
	{ "cn-big5", cs_big5 }, { "csbig5", cs_big5 }, { "cp950", cs_big5 },
	{ "big5-hkscs", cs_big5 },
	{ "iso-2022-jp", cs_jis }, { "csiso2022jp", cs_jis }, { "iso-2022-jp-2", cs_jis },
	{ "iso-2022-jp-3", cs_jis },
	{ "euc-jp", cs_eucjp }, { "x-euc-jp", cs_eucjp }, { "cseucpkdfmtjapanese", cs_eucjp },
	{ "tis-620", cs_thai }, { "windows-874", cs_thai }, { "iso-8859-11", cs_thai },
	{ "cp874", cs_thai },
	{ "utf-7", cs_utf7 }, { "unicode-1-1-utf-7", cs_utf7 },
	{ "macintosh", cs_mac }, { "x-mac-roman", cs_mac }, { "mac", cs_mac },
};

/* Labels that say nothing about the bytes. */
static const char *const charset_void[] = {
	"unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined", "default",
	"none", "charset", "binary", "x-binaryenc",
};

typedef struct {
	const char *const *names; /* iconv names to try, in order */
	const char *one[2];       /* storage when the label is used as is */
	char label[64];           /* the label, cleaned, lower case */
} cs_list_t;

/* The iconv names to try for MIME charset LABEL. FALSE when there is no
 * label, or one that says nothing ("unknown-8bit"). */
static gboolean
cs_lookup(const char *label, cs_list_t *cs)
{
	gsize n = 0;

	memset(cs, 0, sizeof *cs);
	if (label == NULL)
		return FALSE;
	while (*label == ' ' || *label == '\t' || *label == '"' || *label == '\'')
		label++;
	for (; *label != '\0' && n < sizeof cs->label - 1; label++) {
		char c = g_ascii_tolower(*label);

		if (!(g_ascii_isalnum(c) || strchr("-_.:+()", c) != NULL))
			break;
		cs->label[n++] = c;
	}
	cs->label[n] = '\0';
	if (n == 0)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(charset_void); i++)
		if (strcmp(cs->label, charset_void[i]) == 0)
			return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(charset_aliases); i++) {
		if (strcmp(cs->label, charset_aliases[i].label) == 0) {
			cs->names = charset_aliases[i].names;
			return TRUE;
		}
	}
	cs->one[0] = cs->label;
	cs->one[1] = NULL;
	cs->names = cs->one;
	return TRUE;
}

static gboolean
cs_known(const char *name)
{
	GIConv cd = g_iconv_open("UTF-8", name);

	if (cd == (GIConv)-1)
		return FALSE;
	g_iconv_close(cd);
	return TRUE;
}

/* One byte, one character, Latin or Cyrillic: any byte string is "valid"
 * in them, so validity proves nothing. */
static gboolean
cs_single_byte(const cs_list_t *cs)
{
	const char *n = cs->names[0];

	return cs->names == cs_latin1 || g_ascii_strncasecmp(n, "windows-125", 11) == 0 ||
	       g_ascii_strncasecmp(n, "iso-8859-", 9) == 0 ||
	       g_ascii_strncasecmp(n, "iso8859-", 8) == 0 ||
	       g_ascii_strncasecmp(n, "koi8", 4) == 0 || g_ascii_strncasecmp(n, "cp125", 5) == 0;
}

static gboolean
cs_multibyte_cjk(const cs_list_t *cs)
{
	return cs->names == cs_gb || cs->names == cs_sjis || cs->names == cs_kr ||
	       cs->names == cs_big5 || cs->names == cs_eucjp ||
	       g_ascii_strcasecmp(cs->names[0], "euc-tw") == 0;
}

/* LEN bytes from CHARSET to UTF-8, strictly: NULL when iconv does not know
 * CHARSET or a byte sequence is invalid in it. With PARTIAL_OK an
 * incomplete character at the very end (we cut the input) is dropped. */
static GString *
iconv_strict(const char *data, gsize len, const char *charset, gboolean partial_ok)
{
	GIConv cd = g_iconv_open("UTF-8", charset);
	GString *out;
	gchar *in = (gchar *)data;
	gsize inleft = len;
	gboolean ok = TRUE;

	if (cd == (GIConv)-1)
		return NULL;
	out = g_string_sized_new(len + len / 2 + 16);
	for (;;) {
		char buf[8192];
		gchar *op = buf;
		gsize oleft = sizeof buf, r;
		gboolean flush = inleft == 0;
		int err;

		if (flush)
			r = g_iconv(cd, NULL, NULL, &op, &oleft); /* end the shift state */
		else
			r = g_iconv(cd, &in, &inleft, &op, &oleft);
		err = errno;
		g_string_append_len(out, buf, (gssize)(sizeof buf - oleft));
		if (r == (gsize)-1) {
			if (err == E2BIG)
				continue;
			if (err == EINVAL && partial_ok && !flush) {
				inleft = 0;
				continue;
			}
			ok = FALSE;
			break;
		}
		if (flush)
			break;
	}
	g_iconv_close(cd);
	if (!ok) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return out;
}

/* Try each iconv name of CS; *USED (a new string) says which worked. */
static GString *
cs_try(const cs_list_t *cs, const char *data, gsize len, gboolean partial_ok, char **used)
{
	for (gsize i = 0; cs->names[i] != NULL; i++) {
		GString *s = iconv_strict(data, len, cs->names[i], partial_ok);

		if (s != NULL) {
			g_free(*used);
			*used = g_strdup(cs->names[i]);
			return s;
		}
	}
	return NULL;
}

static void
set_used(char **used, const char *name)
{
	g_free(*used);
	*used = g_strdup(name);
}

/* uchardet's guess, or NULL. New string. */
static char *
charset_detect(const char *data, gsize len)
{
	uchardet_t ud = uchardet_new();
	const char *cs;
	char *res = NULL;

	if (ud == NULL)
		return NULL;
	if (uchardet_handle_data(ud, data, MIN(len, MIME_DETECT_BYTES)) == 0) {
		uchardet_data_end(ud);
		cs = uchardet_get_charset(ud);
		if (cs != NULL && *cs != '\0')
			res = g_strdup(cs);
	}
	uchardet_delete(ud);
	return res;
}

typedef struct {
	const char *what;         /* "text", "subject": the start of a note */
	const char *hint;         /* a charset to try before guessing, or NULL */
	char *const *fallbacks;   /* NULL: the defaults */
	gboolean partial_ok;      /* the input was cut: an end mid-character is fine */
	gboolean header;          /* short text: uchardet only with enough 8-bit bytes */
	GPtrArray *notes;         /* may be NULL */
	char *used;               /* out: the charset used, new string */
} decode_opts_t;

static const char *const default_fallbacks[] = { "windows-1252", "iso-8859-1", NULL };

/* UTF-16, UTF-32 and UTF-7 text can be all ASCII bytes and still not be
 * ASCII. */
static gboolean
cs_ascii_compatible(const cs_list_t *cs)
{
	const char *n = cs->names[0];

	return cs->names != cs_utf7 && g_ascii_strncasecmp(n, "utf-16", 6) != 0 &&
	       g_ascii_strncasecmp(n, "utf-32", 6) != 0 && g_ascii_strncasecmp(n, "ucs", 3) != 0 &&
	       g_ascii_strncasecmp(n, "utf16", 5) != 0 && g_ascii_strncasecmp(n, "utf32", 5) != 0 &&
	       g_ascii_strncasecmp(n, "unicode", 7) != 0;
}

static GString *
charset_decode_inner(const char *data, gsize len, const char *label, decode_opts_t *o,
		     char **used);

/* LEN bytes in charset LABEL (may be NULL) to UTF-8. Never NULL; the result
 * may hold NULs when the text did. See the top of the file for the rules.
 * O->used gets the iconv name of the charset used. */
static GString *
charset_decode(const char *data, gsize len, const char *label, decode_opts_t *o)
{
	char *used = NULL;
	GString *s = charset_decode_inner(data, len, label, o, &used);

	g_free(o->used);
	o->used = used != NULL ? used : g_strdup("UTF-8");
	return s;
}

static GString *
charset_decode_inner(const char *data, gsize len, const char *label, decode_opts_t *o,
		     char **used)
{
	char *const *fallbacks = o->fallbacks != NULL ? o->fallbacks
						      : (char *const *)default_fallbacks;
	g_autofree char *reason = NULL;
	g_autofree char *safe = NULL;
	g_autofree char *guess = NULL;
	gsize high = count_8bit(data, len);
	gboolean esc = high == 0 && has_iso2022(data, len);
	cs_list_t cs, det;
	gboolean labelled;
	GString *out;

	labelled = cs_lookup(label, &cs);
	safe = safe_label(labelled ? cs.label : "", 40);
	if (high == 0 && !esc && (!labelled || cs_ascii_compatible(&cs))) {
		set_used(used, "US-ASCII");
		return g_string_new_len(data, (gssize)len);
	}
	/* ISO-2022-JP escapes (7-bit, so "valid" in any ASCII superset)
	 * under no label or a wrong one: Japanese mailers do that. */
	if (esc && !(labelled && g_str_has_prefix(cs.label, "iso-2022"))) {
		cs_list_t jis = { .names = cs_jis };

		if ((out = cs_try(&jis, data, len, o->partial_ok, used)) != NULL) {
			note_add(o->notes, "%s: %s, decoded as ISO-2022-JP", o->what,
				 labelled ? "declared charset does not fit" : "no charset");
			return out;
		}
	}
	if (!labelled || cs.names == cs_ascii) {
		if (g_utf8_validate(data, (gssize)len, NULL)) {
			set_used(used, "UTF-8");
			if (!o->header)
				note_add(o->notes, "%s: %s, bytes are UTF-8", o->what,
					 labelled ? "declared us-ascii" : "no charset");
			return g_string_new_len(data, (gssize)len);
		}
		reason = g_strdup(o->header ? "8-bit bytes"
				  : labelled ? "8-bit bytes in us-ascii" : "no charset");
	} else if (!cs_known(cs.names[0])) {
		reason = g_strdup_printf("unknown charset %s", safe);
	} else {
		if (cs_single_byte(&cs)) {
			/* Latin-1 labels on UTF-8 and on Shift_JIS or GBK bytes
			 * are common: every byte is valid Latin-1, so look. */
			if (is_utf8_multibyte(data, len)) {
				note_add(o->notes, "%s: declared %s, bytes are UTF-8", o->what, safe);
				set_used(used, "UTF-8");
				return g_string_new_len(data, (gssize)len);
			}
			if (high >= MIME_DETECT_MIN_8BIT && high * 100 / len >= 15 &&
			    (guess = charset_detect(data, len)) != NULL &&
			    cs_lookup(guess, &det) && cs_multibyte_cjk(&det) &&
			    (out = cs_try(&det, data, len, o->partial_ok, used)) != NULL) {
				g_autofree char *g = g_ascii_strdown(guess, -1);

				note_add(o->notes, "%s: declared %s, detected %s", o->what, safe, g);
				return out;
			}
		}
		if ((out = cs_try(&cs, data, len, o->partial_ok, used)) != NULL)
			return out;
		reason = g_strdup_printf("bytes invalid in %s", safe);
	}

	if (o->hint != NULL) {
		cs_list_t h;

		if (cs_lookup(o->hint, &h) && h.names != cs_ascii && h.names != cs_utf8 &&
		    (out = cs_try(&h, data, len, o->partial_ok, used)) != NULL) {
			g_autofree char *hs = safe_label(h.label, 40);

			note_add(o->notes, "%s: %s decoded as %s (the body's charset)", o->what,
				 reason, hs);
			return out;
		}
	}
	if (guess == NULL && (!o->header || high >= MIME_DETECT_MIN_8BIT))
		guess = charset_detect(data, len);
	if (guess != NULL && cs_lookup(guess, &det) && det.names != cs_ascii &&
	    (out = cs_try(&det, data, len, o->partial_ok, used)) != NULL) {
		g_autofree char *g = safe_label(det.label, 40);

		note_add(o->notes, "%s: %s decoded as %s (detected)", o->what, reason, g);
		return out;
	}
	for (gsize i = 0; fallbacks[i] != NULL; i++) {
		cs_list_t f;

		if (cs_lookup(fallbacks[i], &f) &&
		    (out = cs_try(&f, data, len, o->partial_ok, used)) != NULL) {
			g_autofree char *fs = safe_label(fallbacks[i], 40);

			note_add(o->notes, "%s: %s decoded as %s", o->what, reason, fs);
			return out;
		}
	}
	note_add(o->notes, "%s: %s, invalid bytes replaced", o->what, reason);
	set_used(used, "UTF-8");
	{
		char *valid = g_utf8_make_valid(data, (gssize)len);
		GString *s = g_string_new(valid);

		g_free(valid);
		return s;
	}
}

char *
mime_charset_decode(const char *data, gssize len, const char *charset,
		    char *const *fallbacks, char **used)
{
	decode_opts_t o = { .what = "text", .fallbacks = fallbacks };
	gsize n;
	GString *s;

	if (data == NULL)
		data = "";
	n = len < 0 ? strlen(data) : (gsize)len;
	s = charset_decode(data, n, charset, &o);
	if (memchr(s->str, '\0', s->len) != NULL) {
		gsize w = 0;

		for (gsize r = 0; r < s->len; r++)
			if (s->str[r] != '\0')
				s->str[w++] = s->str[r];
		g_string_truncate(s, w);
	}
	if (used != NULL)
		*used = g_steal_pointer(&o.used);
	g_free(o.used);
	return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------------ */
/* The structure scan: GMime's view of the boundaries, without GMime   */

typedef struct {
	const char *bound[SCAN_MAX_BOUNDS]; /* as declared, owned by scan_t.strings */
	const char *key[SCAN_MAX_BOUNDS];   /* trailing blanks cut, in scan_t.bounds */
	guint nb;                           /* 0: an embedded message */
	gboolean digest;
} scan_frame_t;

typedef struct {
	const mime_limits_t *lim;
	GMimeParserOptions *options;
	guint depth0;         /* depth of the scanned data's top entity */
	guint parts_max;      /* parts left in the budget */
	guint parts;          /* counted as GMime will see them */
	guint loose;          /* lines equal to any boundary ever declared */
	GArray *stack;        /* scan_frame_t */
	GHashTable *bounds;   /* every boundary declared, trailing blanks cut */
	GPtrArray *strings;   /* boundaries as declared */
	GHashTable *live;     /* boundary -> frames on the stack using it */
	GString *scratch;
	GString *ctype;       /* the Content-Type field being read, anywhere */
	gboolean in_ctype;
	guint ctypes;         /* Content-Type fields anywhere */
	gboolean fatal;       /* the error is a limit, not garbage */
} scan_t;

typedef struct {
	guint fields;
	gboolean in_field;
	gsize flen;
	int keep;             /* 1: Content-Type, 2: Content-Transfer-Encoding */
	GString *value;
	GPtrArray *ctypes;
	char *cte;
} scan_block_t;

static gboolean scan_fail(scan_t *sc, gboolean fatal, GError **error, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static gboolean
scan_fail(scan_t *sc, gboolean fatal, GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(PD_ERROR, PD_ERROR_INPUT, fmt, ap));
	va_end(ap);
	sc->fatal = fatal;
	return FALSE;
}

static gboolean
is_lwsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void
scan_block_field_end(scan_block_t *blk)
{
	if (blk->keep == 1 && blk->ctypes->len < SCAN_MAX_CTYPES) {
		g_ptr_array_add(blk->ctypes, g_strdup(blk->value->str));
	} else if (blk->keep == 1) { /* keep the last one: GMime uses it */
		g_free(blk->ctypes->pdata[blk->ctypes->len - 1]);
		blk->ctypes->pdata[blk->ctypes->len - 1] = g_strdup(blk->value->str);
	} else if (blk->keep == 2 && blk->cte == NULL)
		blk->cte = g_strdup(blk->value->str);
	blk->keep = 0;
	blk->in_field = FALSE;
	g_string_truncate(blk->value, 0);
}

static void
scan_block_reset(scan_block_t *blk)
{
	blk->fields = 0;
	blk->in_field = FALSE;
	blk->flen = 0;
	blk->keep = 0;
	g_string_truncate(blk->value, 0);
	g_ptr_array_set_size(blk->ctypes, 0);
	g_clear_pointer(&blk->cte, g_free);
}

/* The field name of LINE, as GMime checks it: up to ':', blanks only
 * between the name and the colon, no control characters. Returns the
 * offset of the colon, or -1. */
static gssize
scan_field_colon(const char *line, gsize len)
{
	gboolean blank = FALSE;

	if (len == 0 || line[0] == ':')
		return -1;
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)line[i];

		if (c == ':')
			return (gssize)i;
		if (c == ' ' || c == '\t')
			blank = TRUE;
		else if (blank || c < 0x20 || c == 0x7F)
			return -1;
	}
	return -1;
}

static gboolean
scan_is_mbox_marker(const char *line, gsize len)
{
	if (len > 0 && line[0] == '>') {
		line++;
		len--;
	}
	return len >= 5 && memcmp(line, "From ", 5) == 0;
}

/* GMime unfolds values by dropping every CR and LF. */
static void
scan_append_value(GString *value, const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n')
			g_string_append_c(value, s[i]);
}

static gboolean
scan_header_line(scan_t *sc, scan_block_t *blk, const char *line, gsize len, gboolean top,
		 GError **error)
{
	gssize colon;
	gsize nlen;

	if ((line[0] == ' ' || line[0] == '\t') && blk->in_field) {
		blk->flen += len;
		if (blk->flen > sc->lim->max_header_length) {
			g_autofree char *cap = size_text(sc->lim->max_header_length);

			return scan_fail(sc, TRUE, error, "a header field is longer than %s", cap);
		}
		if (blk->keep != 0) {
			g_string_append_c(blk->value, '\n');
			g_string_append_len(blk->value, line, (gssize)len);
		}
		return TRUE;
	}
	scan_block_field_end(blk);
	colon = scan_field_colon(line, len);
	if (colon < 0 && top && blk->fields == 0 && !scan_is_mbox_marker(line, len))
		return scan_fail(sc, FALSE, error, "no header: the first line is not a header field");
	blk->in_field = TRUE;
	blk->flen = len;
	if (blk->flen > sc->lim->max_header_length) {
		g_autofree char *cap = size_text(sc->lim->max_header_length);

		return scan_fail(sc, TRUE, error, "a header field is longer than %s", cap);
	}
	if (colon < 0)
		return TRUE; /* GMime ignores the line and its continuations */
	if (++blk->fields > sc->lim->max_headers)
		return scan_fail(sc, TRUE, error, "more than %u header fields in one part",
				 sc->lim->max_headers);
	nlen = (gsize)colon;
	while (nlen > 0 && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 12 && g_ascii_strncasecmp(line, "Content-Type", 12) == 0)
		blk->keep = 1;
	else if (nlen == 25 && g_ascii_strncasecmp(line, "Content-Transfer-Encoding", 25) == 0)
		blk->keep = 2;
	if (blk->keep != 0)
		g_string_append_len(blk->value, line + colon + 1, (gssize)(len - (gsize)colon - 1));
	return TRUE;
}

/* Record boundary B; returns its key (trailing blanks cut, as lines are
 * looked up), valid while SC lives. */
static const char *
scan_intern(scan_t *sc, const char *b)
{
	g_autofree char *key = g_strdup(b);
	gsize n = strlen(key);
	gpointer orig;

	while (n > 0 && is_lwsp(key[n - 1]))
		key[--n] = '\0';
	if (g_hash_table_lookup_extended(sc->bounds, key, &orig, NULL))
		return orig;
	g_hash_table_add(sc->bounds, key);
	return g_steal_pointer(&key);
}

static gboolean
scan_push(scan_t *sc, const scan_frame_t *f, GError **error)
{
	g_array_append_val(sc->stack, *f);
	for (guint k = 0; k < f->nb; k++) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(sc->live, f->key[k]));

		g_hash_table_insert(sc->live, (gpointer)f->key[k], GUINT_TO_POINTER(n + 1));
	}
	if (sc->depth0 + sc->stack->len > sc->lim->max_depth)
		return scan_fail(sc, TRUE, error, "MIME nesting deeper than %u levels",
				 sc->lim->max_depth);
	return TRUE;
}

static void
scan_pop_to(scan_t *sc, guint len)
{
	while (sc->stack->len > len) {
		scan_frame_t *f = &g_array_index(sc->stack, scan_frame_t, sc->stack->len - 1);

		for (guint k = 0; k < f->nb; k++) {
			guint n = GPOINTER_TO_UINT(g_hash_table_lookup(sc->live, f->key[k]));

			if (n <= 1)
				g_hash_table_remove(sc->live, f->key[k]);
			else
				g_hash_table_insert(sc->live, (gpointer)f->key[k],
						    GUINT_TO_POINTER(n - 1));
		}
		g_array_set_size(sc->stack, sc->stack->len - 1);
	}
}

static gboolean
scan_count_part(scan_t *sc, GError **error)
{
	if (++sc->parts > sc->parts_max)
		return scan_fail(sc, TRUE, error, "more than %u MIME parts", sc->lim->max_parts);
	return TRUE;
}

static const char *
skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		for (int depth = 0; *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

/* A MIME token as GMime reads it: 8-bit bytes count as token bytes. */
static const char *
skip_token(const char *p)
{
	while ((guchar)*p > 0x20 && *p != 0x7F && strchr("()<>@,;:\\\"/[]?=", *p) == NULL)
		p++;
	return p;
}

typedef enum {
	SCAN_TYPE_INVALID, /* GMime's parser falls back to its default */
	SCAN_TYPE_MULTIPART,
	SCAN_TYPE_MESSAGE, /* message/rfc822 and kin: parsed as a message */
	SCAN_TYPE_OTHER,
} scan_type_t;

/* What GMime's parser makes of a raw Content-Type value: "type/subtype"
 * as tokens, where a stray CR ends a token. */
static scan_type_t
scan_type_kind(const char *raw)
{
	static const char *const messages[] = { "rfc822", "rfc2822", "global", "news" };
	const char *t = skip_cfws(raw), *te = skip_token(t), *st, *se;

	if (te == t)
		return SCAN_TYPE_INVALID;
	st = skip_cfws(te);
	if (*st != '/')
		return SCAN_TYPE_INVALID;
	st = skip_cfws(st + 1);
	se = skip_token(st);
	if (se == st)
		return SCAN_TYPE_INVALID;
	if (te - t == 9 && g_ascii_strncasecmp(t, "multipart", 9) == 0)
		return SCAN_TYPE_MULTIPART;
	if (te - t == 7 && g_ascii_strncasecmp(t, "message", 7) == 0) {
		for (gsize i = 0; i < G_N_ELEMENTS(messages); i++)
			if ((gsize)(se - st) == strlen(messages[i]) &&
			    g_ascii_strncasecmp(st, messages[i], (gsize)(se - st)) == 0)
				return SCAN_TYPE_MESSAGE;
	}
	return SCAN_TYPE_OTHER;
}

/* The header block ended: what comes next? Pushes a frame for a multipart
 * with a boundary or an embedded message, as GMime will. */
static gboolean
scan_block_end(scan_t *sc, scan_block_t *blk, gboolean top, gboolean *parent_digest,
	       gboolean *in_headers, GError **error)
{
	scan_frame_t f = { 0 };
	scan_type_t kind = SCAN_TYPE_INVALID;
	gboolean multipart, message = FALSE;

	scan_block_field_end(blk);
	if (top && blk->fields == 0)
		return scan_fail(sc, FALSE, error, "no header fields");
	/* GMime's parser goes by the last Content-Type field, read as raw
	 * tokens; the multipart it makes takes its boundary and subtype from
	 * the unfolded value. Boundaries of the other fields only count for
	 * scan_loose(): a frame GMime does not push would hide the parent's
	 * (a digest's children would stop being messages). */
	if (blk->ctypes->len > 0)
		kind = scan_type_kind(blk->ctypes->pdata[blk->ctypes->len - 1]);
	if (kind == SCAN_TYPE_INVALID)
		message = *parent_digest;
	multipart = kind == SCAN_TYPE_MULTIPART;
	message = message || kind == SCAN_TYPE_MESSAGE;
	for (guint j = blk->ctypes->len; j > 0; j--) {
		GString *v = g_string_new(NULL);
		g_autoptr(GMimeContentType) ct = NULL;
		const char *b;

		scan_append_value(v, blk->ctypes->pdata[j - 1], strlen(blk->ctypes->pdata[j - 1]));
		ct = g_mime_content_type_parse(sc->options, v->str);
		g_string_free(v, TRUE);
		if (ct == NULL)
			continue;
		if (j == blk->ctypes->len)
			f.digest = g_mime_content_type_is_type(ct, "multipart", "digest");
		if ((b = g_mime_content_type_get_parameter(ct, "boundary")) != NULL) {
			const char *in = scan_intern(sc, b);

			if (multipart && j == blk->ctypes->len) {
				f.key[f.nb] = in;
				f.bound[f.nb] = g_strdup(b);
				g_ptr_array_add(sc->strings, (gpointer)f.bound[f.nb]);
				f.nb++;
			}
		}
	}
	if (message && blk->cte != NULL) {
		g_autofree char *cte = g_strstrip(g_strdup(blk->cte));

		switch (g_mime_content_encoding_from_string(cte)) {
		case GMIME_CONTENT_ENCODING_BASE64:
		case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		case GMIME_CONTENT_ENCODING_UUENCODE:
			message = FALSE; /* GMime keeps it as a leaf: we parse it later */
			break;
		default:
			break;
		}
	}
	scan_block_reset(blk);
	*parent_digest = FALSE;
	*in_headers = FALSE;
	if (multipart && f.nb > 0)
		return scan_push(sc, &f, error);
	if (multipart || !message)
		return TRUE;
	f.nb = 0;
	f.digest = FALSE;
	*in_headers = TRUE;
	return scan_push(sc, &f, error) && scan_count_part(sc, error);
}

/* GMime's test: R (a line without its "--") is B, or B "--" when FINAL,
 * then only blanks. */
static gboolean
scan_is_boundary(const char *r, gsize rlen, const char *b, gboolean final)
{
	gsize blen = strlen(b), need = blen + (final ? 2 : 0);

	if (rlen < need || memcmp(r, b, blen) != 0 || (final && memcmp(r + blen, "--", 2) != 0))
		return FALSE;
	for (gsize i = need; i < rlen; i++)
		if (!is_lwsp(r[i]))
			return FALSE;
	return TRUE;
}

/* The top-most frame with a boundary of key KEY that R matches. */
static guint
scan_frame_of(scan_t *sc, const char *key, const char *r, gsize rlen, gboolean final)
{
	for (guint i = sc->stack->len; i > 0; i--) {
		scan_frame_t *f = &g_array_index(sc->stack, scan_frame_t, i - 1);

		for (guint k = 0; k < f->nb; k++)
			if (f->key[k] == key && scan_is_boundary(r, rlen, f->bound[k], final))
				return i;
	}
	return 0;
}

/* Is LINE (no end of line) a boundary of a frame on the stack: "--B" or
 * "--B--", blanks after? Returns the frame's index + 1, or 0. The top-most
 * frame wins, and a frame's end boundary before its boundary, as in GMime.
 * Lines are looked up by key, so this costs no more for a deep stack. */
static guint
scan_boundary(scan_t *sc, const char *line, gsize len, gboolean *final)
{
	GString *k = sc->scratch;
	gpointer key1 = NULL, key2 = NULL;
	const char *r;
	gsize rlen, n;
	guint i1 = 0, i2 = 0;

	if (len < 2 || line[0] != '-' || line[1] != '-' || g_hash_table_size(sc->live) == 0)
		return 0;
	r = line + 2;
	rlen = len - 2;
	n = rlen;
	while (n > 0 && is_lwsp(r[n - 1]))
		n--;
	if (memchr(r, '\0', rlen) != NULL) /* NUL is no blank, and in no boundary */
		return 0;
	g_string_truncate(k, 0);
	g_string_append_len(k, r, (gssize)n);
	if (g_hash_table_lookup_extended(sc->live, k->str, &key1, NULL))
		i1 = scan_frame_of(sc, key1, r, rlen, FALSE);
	if (n >= 2 && r[n - 1] == '-' && r[n - 2] == '-') {
		n -= 2;
		while (n > 0 && is_lwsp(r[n - 1]))
			n--;
		g_string_truncate(k, n);
		if (g_hash_table_lookup_extended(sc->live, k->str, &key2, NULL))
			i2 = scan_frame_of(sc, key2, r, rlen, TRUE);
	}
	if (i1 == 0 && i2 == 0)
		return 0;
	*final = i2 >= i1;
	return MAX(i1, i2);
}

static void
scan_ctype_end(scan_t *sc)
{
	if (sc->in_ctype) {
		g_autoptr(GMimeContentType) ct = g_mime_content_type_parse(sc->options,
									     sc->ctype->str);
		const char *b = ct != NULL ? g_mime_content_type_get_parameter(ct, "boundary")
					   : NULL;

		if (b != NULL)
			scan_intern(sc, b);
	}
	sc->in_ctype = FALSE;
	g_string_truncate(sc->ctype, 0);
}

/* Every Content-Type field, wherever it is, declares its boundary: GMime
 * can only split at a line that is "--" and a boundary from one of them,
 * and a message part needs a Content-Type field or such a line (in a
 * digest). So whatever the structure, GMime builds at most about twice
 * (boundary lines + Content-Type fields) objects. */
static gboolean
scan_ctype_line(scan_t *sc, const char *line, gsize len, GError **error)
{
	gsize k = 12;

	if (sc->in_ctype && len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		if (sc->ctype->len + len <= sc->lim->max_header_length)
			scan_append_value(sc->ctype, line, len);
		return TRUE;
	}
	scan_ctype_end(sc);
	if (len < 13 || g_ascii_strncasecmp(line, "Content-Type", 12) != 0)
		return TRUE;
	while (k < len && (line[k] == ' ' || line[k] == '\t'))
		k++;
	if (k >= len || line[k] != ':')
		return TRUE;
	if (++sc->ctypes > 4 * sc->parts_max + 4)
		return scan_fail(sc, TRUE, error, "more than %u MIME parts", sc->lim->max_parts);
	sc->in_ctype = TRUE;
	scan_append_value(sc->ctype, line + k + 1, MIN(len - k - 1, sc->lim->max_header_length));
	return TRUE;
}

/* Count lines equal to any boundary ever declared, wherever they are: a
 * backstop in case our idea of the structure and GMime's differ. */
static gboolean
scan_loose(scan_t *sc, const char *line, gsize len, GError **error)
{
	GString *k = sc->scratch;

	if (len < 2 || line[0] != '-' || line[1] != '-')
		return TRUE;
	line += 2;
	len -= 2;
	while (len > 0 && is_lwsp(line[len - 1]))
		len--;
	if (memchr(line, '\0', len) != NULL)
		return TRUE;
	g_string_truncate(k, 0);
	g_string_append_len(k, line, (gssize)len);
	if (!g_hash_table_contains(sc->bounds, k->str))
		return TRUE;
	if (++sc->loose > sc->parts_max)
		return scan_fail(sc, TRUE, error, "more than %u MIME parts", sc->lim->max_parts);
	return TRUE;
}

/* Check LEN bytes of DATA against the caps before GMime parses them.
 * DEPTH0 is the depth of their top entity, PARTS_MAX the parts left. On
 * error *FATAL says whether it is a limit (TRUE) or garbage. */
static gboolean
scan_message(const char *data, gsize len, const mime_limits_t *lim,
	     GMimeParserOptions *options, guint depth0, guint parts_max, gboolean *fatal,
	     GError **error)
{
	scan_t sc = { 0 };
	scan_block_t blk = { 0 };
	const char *p = data, *end = data + len;
	gboolean in_headers = TRUE, top = TRUE, digest = FALSE, ok = TRUE;

	sc.lim = lim;
	sc.options = options;
	sc.depth0 = depth0;
	sc.parts_max = parts_max;
	sc.stack = g_array_new(FALSE, TRUE, sizeof(scan_frame_t));
	sc.bounds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	sc.live = g_hash_table_new(g_str_hash, g_str_equal);
	sc.strings = g_ptr_array_new_with_free_func(g_free);
	sc.scratch = g_string_new(NULL);
	sc.ctype = g_string_new(NULL);
	blk.value = g_string_new(NULL);
	blk.ctypes = g_ptr_array_new_with_free_func(g_free);

	if (depth0 > lim->max_depth)
		ok = scan_fail(&sc, TRUE, error, "MIME nesting deeper than %u levels",
			       lim->max_depth);
	else
		ok = scan_count_part(&sc, error);
	while (ok && p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;
		gsize llen = (gsize)((nl != NULL ? nl : end) - p);
		gboolean final = FALSE;
		guint idx;

		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (!(ok = scan_ctype_line(&sc, p, llen, error) && scan_loose(&sc, p, llen, error)))
			break;
		idx = scan_boundary(&sc, p, llen, &final);
		if (in_headers && idx == 0) {
			if (llen == 0) {
				ok = scan_block_end(&sc, &blk, top, &digest, &in_headers, error);
				top = FALSE;
			} else {
				ok = scan_header_line(&sc, &blk, p, llen, top, error);
			}
			p = next;
			continue;
		}
		if (in_headers) {
			/* A boundary ends the header block (GMime agrees). */
			ok = scan_block_end(&sc, &blk, top, &digest, &in_headers, error);
			top = FALSE;
			if (ok)
				idx = scan_boundary(&sc, p, llen, &final);
		}
		if (ok && idx > 0) {
			scan_frame_t *f = &g_array_index(sc.stack, scan_frame_t, idx - 1);
			gboolean parent_digest = f->digest;

			scan_pop_to(&sc, final ? idx - 1 : idx);
			if (!final) {
				ok = scan_count_part(&sc, error);
				in_headers = TRUE;
				digest = parent_digest;
				scan_block_reset(&blk);
			}
		}
		p = next;
	}
	if (ok && in_headers && top)
		ok = scan_block_end(&sc, &blk, top, &digest, &in_headers, error);

	*fatal = sc.fatal;
	g_array_unref(sc.stack);
	g_hash_table_unref(sc.live);
	g_ptr_array_unref(sc.strings);
	g_hash_table_unref(sc.bounds);
	g_string_free(sc.scratch, TRUE);
	g_string_free(sc.ctype, TRUE);
	g_string_free(blk.value, TRUE);
	g_ptr_array_unref(blk.ctypes);
	g_free(blk.cte);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Parsing with GMime, and the walk over its tree                       */

typedef struct {
	mime_limits_t lim;
	char *const *fallbacks;
	guint parts;          /* parts walked, over every nested message */
	gsize decoded;        /* attachment bytes kept, over every nested message */
	GPtrArray *warnings;  /* notes from GMime's parser */
	GMimeParserOptions *options;
} mime_ctx_t;

/* Where GMime's parser warnings go while mime_parse() runs in this
 * thread. GMime copies the parser options, callback and all, into every
 * header list it builds, and may call back long after we returned: the
 * callback therefore gets no pointer of ours, only this, NULL outside. */
static GPrivate warning_sink = G_PRIVATE_INIT(NULL);

typedef struct {
	int plain_branch;     /* child of the multipart/alternative we read */
	int html_branch;
} alt_t;

typedef struct {
	mime_ctx_t *ctx;
	mime_msg_t *msg;
	GString *text;
	GString *html;
	gboolean have_plain;
} build_t;

static void
parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user_data)
{
	GPtrArray *sink = g_private_get(&warning_sink);
	g_autofree char *it = NULL;

	if (sink == NULL)
		return;
	it = safe_label(item, 40);

	switch (code) {
	case GMIME_WARN_MALFORMED_MULTIPART:
		note_add(sink, "structure: multipart/%s is not closed properly", it);
		break;
	case GMIME_WARN_TRUNCATED_MESSAGE:
		note_add(sink, "structure: the message is truncated");
		break;
	case GMIME_WARN_MALFORMED_MESSAGE:
		note_add(sink, "structure: the message is malformed");
		break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		note_add(sink, "structure: multipart/%s without a boundary, read as text",
			 it);
		break;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		note_add(sink, "structure: lines that are not header fields were ignored");
		break;
	case GMIME_CRIT_CONFLICTING_HEADER:
		note_add(sink, "header: %s appears more than once, with different values", it);
		break;
	case GMIME_WARN_PART_WITHOUT_CONTENT:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		note_add(sink, "structure: a part has no content");
		break;
	case GMIME_CRIT_NESTING_OVERFLOW:
		note_add(sink, "structure: nesting too deep for GMime");
		break;
	default:
		break;
	}
	(void)offset;
	(void)user_data;
}

static GMimeParserOptions *
options_new(char *const *fallbacks)
{
	GMimeParserOptions *o = g_mime_parser_options_new();
	char *const *fb = fallbacks != NULL ? fallbacks : (char *const *)default_fallbacks;
	g_autoptr(GPtrArray) cs = g_ptr_array_new();

	/* For encoded words in unknown charsets and 8-bit parameters: our
	 * own 8-bit handling runs before GMime sees header values. */
	g_ptr_array_add(cs, (gpointer) "UTF-8");
	for (gsize i = 0; fb[i] != NULL; i++)
		g_ptr_array_add(cs, fb[i]);
	g_ptr_array_add(cs, NULL);
	g_mime_parser_options_set_fallback_charsets(o, (const char **)cs->pdata);
	g_mime_parser_options_set_rfc2047_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
	return o;
}

/* Scan, then parse LEN bytes with GMime. NULL with an error (and *FATAL)
 * when the scan refuses them or GMime finds no message. */
static GMimeMessage *
gmime_parse(mime_ctx_t *ctx, const char *data, gsize len, guint depth0, gboolean *fatal,
	    GError **error)
{
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	GMimeMessage *gm;
	guint left = ctx->lim.max_parts > ctx->parts ? ctx->lim.max_parts - ctx->parts : 0;

	*fatal = FALSE;
	if (len == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT, "empty message");
		return NULL;
	}
	if (!scan_message(data, len, &ctx->lim, ctx->options, depth0, left, fatal, error))
		return NULL;
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, TRUE);
	gm = g_mime_parser_construct_message(parser, ctx->options);
	if (gm == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT, "no message: GMime found no header");
		return NULL;
	}
	return gm;
}

static gboolean ctx_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
ctx_fail(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(PD_ERROR, PD_ERROR_INPUT, fmt, ap));
	va_end(ap);
	return FALSE;
}

static gboolean
check_headers(mime_ctx_t *ctx, GMimeObject *obj, GError **error)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	if (n > 0 && (guint)n > ctx->lim.max_headers)
		return ctx_fail(error, "more than %u header fields in one part",
				ctx->lim.max_headers);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;

		if (raw != NULL && strlen(raw) > ctx->lim.max_header_length) {
			g_autofree char *cap = size_text(ctx->lim.max_header_length);

			return ctx_fail(error, "a header field is longer than %s", cap);
		}
	}
	return TRUE;
}

/* Turn C0 controls and DEL into spaces, trim, make valid UTF-8. Takes S. */
static char *
clean_line(char *s)
{
	if (s == NULL)
		return NULL;
	if (!g_utf8_validate(s, -1, NULL)) {
		char *v = g_utf8_make_valid(s, -1);

		g_free(s);
		s = v;
	}
	for (char *p = s; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	return g_strstrip(s);
}

/* Remove NULs, turn CRLF and lone CR into LF, make valid UTF-8. */
static void
clean_text(GString *s)
{
	gsize w = 0;

	for (gsize r = 0; r < s->len; r++) {
		char c = s->str[r];

		if (c == '\0')
			continue;
		if (c == '\r') {
			if (r + 1 < s->len && s->str[r + 1] == '\n')
				continue;
			c = '\n';
		}
		s->str[w++] = c;
	}
	g_string_truncate(s, w);
	if (!g_utf8_validate(s->str, (gssize)s->len, NULL)) {
		char *v = g_utf8_make_valid(s->str, (gssize)s->len);

		g_string_assign(s, v);
		g_free(v);
	}
}

/* Cut S to at most MAX bytes at a character boundary. TRUE if cut. */
static gboolean
utf8_truncate(GString *s, gsize max)
{
	const char *cut;

	if (s->len <= max)
		return FALSE;
	cut = s->str + max;
	while (cut > s->str && ((guchar)*cut & 0xC0) == 0x80)
		cut--;
	g_string_truncate(s, (gsize)(cut - s->str));
	return TRUE;
}

/* The decoded content of PART (transfer encoding undone). New bytes. */
static GBytes *
part_content(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) out = NULL;
	GByteArray *arr;

	if (w == NULL)
		return g_bytes_new(NULL, 0);
	out = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(w, out) < 0)
		return g_bytes_new(NULL, 0);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	return g_byte_array_free_to_bytes(arr);
}

/* The raw bytes of an embedded message (GMime writes parsed headers and
 * content back as they came). New bytes. */
static GBytes *
message_bytes(GMimeMessage *m)
{
	g_autoptr(GMimeStream) out = g_mime_stream_mem_new();
	GByteArray *arr;

	if (m != NULL && g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, out) < 0)
		return g_bytes_new(NULL, 0);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	return g_byte_array_free_to_bytes(arr);
}

static GMimeHeader *
find_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);

	return hl != NULL ? g_mime_header_list_get_header(hl, name) : NULL;
}

/* Raw header value: drop CR and LF (unfolding) and the blanks around. */
static char *
unfold(const char *raw)
{
	GString *s = g_string_sized_new(strlen(raw));

	for (const char *p = raw; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n')
			g_string_append_c(s, *p);
	return g_strstrip(g_string_free(s, FALSE));
}

/* RAW (a header value as it came) to UTF-8: valid UTF-8 stays (RFC
 * 6532), other 8-bit bytes are decoded as the body's charset, a guess or
 * a fallback; encoded words are left for GMime. NAME is for notes. */
static char *
header_utf8(const mime_msg_t *msg, const char *name, const char *raw, GPtrArray *notes)
{
	g_autofree char *u = unfold(raw);
	g_autofree char *what = g_ascii_strdown(name, -1);
	decode_opts_t o = { .what = what, .hint = msg->hint_charset,
			    .fallbacks = msg->fallbacks, .header = TRUE, .notes = notes };
	gsize len = strlen(u);
	GString *s;

	if (count_8bit(u, len) == 0 && !has_iso2022(u, len))
		return g_steal_pointer(&u);
	s = charset_decode(u, len, NULL, &o);
	g_free(o.used);
	return g_string_free(s, FALSE);
}

/* RAW decoded for display: 8-bit bytes, then encoded words, then no
 * control characters. New string. */
static char *
header_text(const mime_msg_t *msg, const char *name, const char *raw, GPtrArray *notes)
{
	g_autofree char *u = header_utf8(msg, name, raw, notes);

	return clean_line(g_mime_utils_header_decode_text(msg->options, u));
}

/* The header lists of MSG that may hold NAME: its own, and its body's
 * for Content-* fields (GMime files them there). */
static int
msg_header_lists(const mime_msg_t *msg, const char *name, GMimeHeaderList *lists[2])
{
	GMimeObject *body;
	int n = 0;

	if (msg->gmime == NULL)
		return 0;
	lists[n++] = g_mime_object_get_header_list(GMIME_OBJECT(msg->gmime));
	body = g_mime_message_get_mime_part(msg->gmime);
	if (body != NULL && g_ascii_strncasecmp(name, "Content-", 8) == 0)
		lists[n++] = g_mime_object_get_header_list(body);
	return n;
}

static const char *
msg_raw_header(const mime_msg_t *msg, const char *name)
{
	GMimeHeaderList *lists[2];
	int n = msg_header_lists(msg, name, lists);

	for (int l = 0; l < n; l++) {
		GMimeHeader *h = lists[l] != NULL ? g_mime_header_list_get_header(lists[l], name)
						  : NULL;

		if (h != NULL)
			return g_mime_header_get_raw_value(h);
	}
	return NULL;
}

const char *
mime_msg_header(const mime_msg_t *msg, const char *name)
{
	g_autofree char *key = NULL;
	const char *raw, *hit;
	char *val;

	if (msg == NULL || name == NULL)
		return NULL;
	key = g_ascii_strdown(name, -1);
	if ((hit = g_hash_table_lookup(msg->header_cache, key)) != NULL)
		return hit;
	if ((raw = msg_raw_header(msg, name)) == NULL)
		return NULL;
	val = header_text(msg, name, raw, NULL);
	g_hash_table_insert(msg->header_cache, g_steal_pointer(&key), val);
	return val;
}

GPtrArray *
mime_msg_headers(const mime_msg_t *msg, const char *name)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GMimeHeaderList *lists[2];
	int n;

	if (msg == NULL || name == NULL)
		return out;
	n = msg_header_lists(msg, name, lists);
	for (int l = 0; l < n; l++) {
		int count = lists[l] != NULL ? g_mime_header_list_get_count(lists[l]) : 0;

		for (int i = 0; i < count; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(lists[l], i);
			const char *raw;

			if (h == NULL || g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0 ||
			    (raw = g_mime_header_get_raw_value(h)) == NULL)
				continue;
			g_ptr_array_add(out, header_text(msg, name, raw, NULL));
		}
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                          */

static void
address_free(gpointer p)
{
	mime_address_t *a = p;

	if (a == NULL)
		return;
	g_free(a->name);
	g_free(a->addr);
	g_free(a);
}

static void
collect_mailboxes(InternetAddressList *list, GPtrArray *out, guint max, int level)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && out->len < max; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		mime_address_t *a;
		char *addr, *name;

		if (ia == NULL)
			continue;
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (level == 0)
				collect_mailboxes(internet_address_group_get_members(
							  INTERNET_ADDRESS_GROUP(ia)),
						  out, max, 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		addr = util_address_normalize(
			internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
		if (addr == NULL)
			continue;
		name = clean_line(g_strdup(internet_address_get_name(ia)));
		if (name != NULL && *name == '\0')
			g_clear_pointer(&name, g_free);
		a = g_new0(mime_address_t, 1);
		a->addr = addr;
		a->name = name;
		g_ptr_array_add(out, a);
	}
}

/* For a field where the parser found no mailbox ("From: Big Bug
 * bb@bug.example"): the first word with an '@' that is an address, the
 * words before it as the name. */
static void
mailbox_fallback(const char *text, GPtrArray *out)
{
	g_auto(GStrv) words = g_strsplit_set(text, " \t,;", -1);
	GString *name = g_string_new(NULL);

	for (guint i = 0; words[i] != NULL; i++) {
		char *w = g_strstrip(words[i]);
		char *addr;

		if (*w == '\0')
			continue;
		if (strchr(w, '@') == NULL) {
			if (name->len > 0)
				g_string_append_c(name, ' ');
			g_string_append(name, w);
			continue;
		}
		g_strdelimit(w, "()\"'", ' ');
		if ((addr = util_address_normalize(g_strstrip(w))) != NULL) {
			mime_address_t *a = g_new0(mime_address_t, 1);

			g_strdelimit(name->str, "\"", ' ');
			a->addr = addr;
			a->name = clean_line(g_strdup(name->str));
			if (*a->name == '\0')
				g_clear_pointer(&a->name, g_free);
			g_ptr_array_add(out, a);
			break;
		}
	}
	g_string_free(name, TRUE);
}

/* Mailboxes of every NAME field, in order, at most MAX. */
static void
msg_mailboxes(mime_msg_t *msg, const char *name, GPtrArray *out, guint max)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg->gmime));
	int count = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < count && out->len < max; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		g_autoptr(InternetAddressList) list = NULL;
		g_autofree char *u = NULL;
		guint before = out->len;
		const char *raw;

		if (h == NULL || g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0 ||
		    (raw = g_mime_header_get_raw_value(h)) == NULL)
			continue;
		u = header_utf8(msg, name, raw, msg->notes);
		list = internet_address_list_parse(msg->options, u);
		collect_mailboxes(list, out, max, 0);
		if (out->len == before) {
			g_autofree char *d = g_mime_utils_header_decode_text(msg->options, u);

			mailbox_fallback(d, out);
		}
	}
}

static mime_address_t *
msg_first_mailbox(mime_msg_t *msg, const char *name)
{
	g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func(address_free);

	msg_mailboxes(msg, name, one, 1);
	return one->len > 0 ? g_ptr_array_steal_index(one, 0) : NULL;
}

/* A message id as found, without <>, no blanks or controls; NULL if none. */
static char *
clean_id(const char *id)
{
	GString *s;

	if (id == NULL)
		return NULL;
	s = g_string_new(NULL);
	for (const char *p = id; *p != '\0'; p++)
		if ((guchar)*p > 0x20 && *p != 0x7F && *p != '<' && *p != '>')
			g_string_append_c(s, *p);
	if (s->len == 0 || !g_utf8_validate(s->str, (gssize)s->len, NULL)) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static void
msg_read_headers(mime_msg_t *msg)
{
	const char *raw;

	if ((raw = msg_raw_header(msg, "Subject")) != NULL)
		msg->subject = header_text(msg, "Subject", raw, msg->notes);
	if (msg->subject == NULL)
		msg->subject = g_strdup("");
	if ((raw = msg_raw_header(msg, "Message-ID")) != NULL) {
		g_autofree char *u = header_utf8(msg, "Message-ID", raw, msg->notes);
		g_autofree char *id = g_mime_utils_decode_message_id(u);

		msg->message_id = clean_id(id);
	}
	msg->from = msg_first_mailbox(msg, "From");
	msg->reply_to = msg_first_mailbox(msg, "Reply-To");
	msg->sender = msg_first_mailbox(msg, "Sender");
	msg_mailboxes(msg, "To", msg->to, MIME_MAX_ADDRESSES);
	msg_mailboxes(msg, "Cc", msg->cc, MIME_MAX_ADDRESSES);
	if ((raw = msg_raw_header(msg, "In-Reply-To")) != NULL) {
		g_autofree char *u = header_utf8(msg, "In-Reply-To", raw, msg->notes);
		g_autoptr(GMimeReferences) refs = g_mime_references_parse(msg->options, u);

		if (refs != NULL && g_mime_references_length(refs) > 0)
			msg->in_reply_to = clean_id(g_mime_references_get_message_id(refs, 0));
		if (msg->in_reply_to == NULL && *u != '\0' && strchr(u, '@') != NULL &&
		    strchr(u, ' ') == NULL) {
			g_autofree char *id = g_mime_utils_decode_message_id(u);

			msg->in_reply_to = clean_id(id);
		}
	}
	if ((raw = msg_raw_header(msg, "References")) != NULL) {
		g_autofree char *u = header_utf8(msg, "References", raw, msg->notes);
		g_autoptr(GMimeReferences) refs = g_mime_references_parse(msg->options, u);
		int n = refs != NULL ? g_mime_references_length(refs) : 0;

		for (int i = 0; i < n; i++) {
			char *id = clean_id(g_mime_references_get_message_id(refs, i));

			if (id != NULL)
				g_ptr_array_add(msg->references, id);
		}
	}
	if ((raw = msg_raw_header(msg, "Date")) != NULL) {
		g_autofree char *u = header_utf8(msg, "Date", raw, NULL);
		GDateTime *dt = g_mime_utils_header_decode_date(u);

		if (dt != NULL) {
			msg->date = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		} else {
			note_add(msg->notes, "date: unparseable, left out");
		}
	}
	if ((raw = msg_raw_header(msg, "Content-Language")) != NULL) {
		g_autofree char *v = header_text(msg, "Content-Language", raw, NULL);
		gsize n = strcspn(v, ", \t;");

		if (n > 0 && n <= 64)
			msg->content_language = g_strndup(v, n);
	}
}

/* ------------------------------------------------------------------ */
/* Building a message                                                 */

static void
attachment_free(gpointer p)
{
	mime_attachment_t *a = p;

	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->content_id);
	if (a->content != NULL)
		g_bytes_unref(a->content);
	g_free(a);
}

static mime_msg_t *
msg_new(mime_ctx_t *ctx)
{
	mime_msg_t *msg = g_new0(mime_msg_t, 1);

	msg->to = g_ptr_array_new_with_free_func(address_free);
	msg->cc = g_ptr_array_new_with_free_func(address_free);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->attachments = g_ptr_array_new_with_free_func(attachment_free);
	msg->embedded = g_ptr_array_new_with_free_func((GDestroyNotify)mime_msg_free);
	msg->notes = g_ptr_array_new_with_free_func(g_free);
	msg->header_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	msg->fallbacks = ctx->fallbacks != NULL ? g_strdupv((char **)ctx->fallbacks) : NULL;
	msg->options = options_new(msg->fallbacks);
	return msg;
}

void
mime_msg_free(mime_msg_t *msg)
{
	if (msg == NULL)
		return;
	g_free(msg->message_id);
	g_free(msg->subject);
	address_free(msg->from);
	address_free(msg->reply_to);
	address_free(msg->sender);
	g_ptr_array_unref(msg->to);
	g_ptr_array_unref(msg->cc);
	g_free(msg->in_reply_to);
	g_ptr_array_unref(msg->references);
	g_free(msg->text);
	g_free(msg->html);
	g_ptr_array_unref(msg->attachments);
	g_ptr_array_unref(msg->embedded);
	g_free(msg->content_language);
	g_free(msg->report_type);
	g_ptr_array_unref(msg->notes);
	if (msg->gmime != NULL)
		g_object_unref(msg->gmime);
	if (msg->options != NULL)
		g_mime_parser_options_free(msg->options);
	g_free(msg->hint_charset);
	g_strfreev(msg->fallbacks);
	g_hash_table_unref(msg->header_cache);
	g_free(msg);
}

/* A parameter of the Content-Disposition (or Content-Type) field of OBJ,
 * redone from the raw field when that has undeclared 8-bit bytes. */
static char *
part_param(build_t *b, GMimeObject *obj, const char *field, const char *param)
{
	gboolean disp = g_ascii_strcasecmp(field, "Content-Disposition") == 0;
	GMimeHeader *h = find_header(obj, field);
	const char *raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;
	const char *v;

	if (raw != NULL && count_8bit(raw, strlen(raw)) > 0 && !g_utf8_validate(raw, -1, NULL)) {
		g_autofree char *u = header_utf8(b->msg, param, raw, b->msg->notes);

		if (disp) {
			g_autoptr(GMimeContentDisposition) d =
				g_mime_content_disposition_parse(b->msg->options, u);

			v = d != NULL ? g_mime_content_disposition_get_parameter(d, param) : NULL;
			return v != NULL ? g_strdup(v) : NULL;
		} else {
			g_autoptr(GMimeContentType) ct = g_mime_content_type_parse(b->msg->options, u);

			v = ct != NULL ? g_mime_content_type_get_parameter(ct, param) : NULL;
			return v != NULL ? g_strdup(v) : NULL;
		}
	}
	v = disp ? g_mime_object_get_content_disposition_parameter(obj, param)
		 : g_mime_object_get_content_type_parameter(obj, param);
	return v != NULL ? g_strdup(v) : NULL;
}

/* The file name of OBJ, decoded, without directories, or NULL. */
static char *
part_filename(build_t *b, GMimeObject *obj)
{
	char *f = part_param(b, obj, "Content-Disposition", "filename");
	const char *base;
	GString *s;

	if (f == NULL || *f == '\0') {
		g_free(f);
		f = part_param(b, obj, "Content-Type", "name");
	}
	f = clean_line(f);
	if (f == NULL || *f == '\0') {
		g_free(f);
		return NULL;
	}
	base = f;
	for (const char *p = f; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if (base != f)
		note_add(b->msg->notes, "attachment: directories dropped from a file name");
	s = g_string_new(base);
	g_free(f);
	utf8_truncate(s, MIME_MAX_FILENAME);
	if (s->len == 0 || strcmp(s->str, ".") == 0 || strcmp(s->str, "..") == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static char *
lower_mime_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	g_autofree char *t = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *l;

	if (t == NULL || strchr(t, '/') == NULL)
		return g_strdup("application/octet-stream");
	l = clean_line(g_ascii_strdown(t, -1));
	for (char *p = l; *p != '\0'; p++)
		if (*p == ' ')
			*p = '_';
	return l;
}

static gboolean
is_message_type(const char *type)
{
	return strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/rfc2822") == 0 ||
	       strcmp(type, "message/global") == 0 || strcmp(type, "message/news") == 0;
}

static gboolean
attachment_add(build_t *b, GMimeObject *obj, const char *type, char *filename,
	       GBytes *content, GError **error)
{
	mime_ctx_t *ctx = b->ctx;
	gsize size = g_bytes_get_size(content);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *dv = disp != NULL ? g_mime_content_disposition_get_disposition(disp) : NULL;
	mime_attachment_t *a;

	if (size > ctx->lim.max_attachment_size) {
		g_autofree char *what = safe_label(filename != NULL ? filename : type, 60);
		g_autofree char *got = size_text(size);
		g_autofree char *cap = size_text(ctx->lim.max_attachment_size);

		g_free(filename);
		return ctx_fail(error, "attachment %s is %s, over the %s cap", what, got, cap);
	}
	if (size > ctx->lim.max_decoded_total - ctx->decoded) {
		g_autofree char *cap = size_text(ctx->lim.max_decoded_total);

		g_free(filename);
		return ctx_fail(error, "decoded content over %s", cap);
	}
	ctx->decoded += size;
	a = g_new0(mime_attachment_t, 1);
	a->filename = filename;
	a->content_type = g_strdup(type);
	a->content_id = clean_id(g_mime_object_get_content_id(obj));
	a->is_inline = dv != NULL ? g_ascii_strcasecmp(dv, "inline") == 0 : a->content_id != NULL;
	a->size = size;
	a->content = g_bytes_ref(content);
	g_ptr_array_add(b->msg->attachments, a);
	return TRUE;
}

static mime_msg_t *msg_build(mime_ctx_t *ctx, GMimeMessage *gm, guint depth, GError **error);

/* The charset of an HTML part that has none in its Content-Type: the
 * first <meta ... charset=...> (HTML's own rule looks at 1024 bytes). */
static char *
html_meta_charset(const char *data, gsize len)
{
	gsize n = MIN(len, MIME_META_SCAN);
	g_autofree char *low = g_ascii_strdown(data, (gssize)n);
	const char *p = strstr(low, "charset=");
	gsize k = 0;

	if (p == NULL || strstr(low, "<meta") == NULL || strstr(low, "<meta") > p)
		return NULL;
	p += 8;
	while (*p == '"' || *p == '\'' || *p == ' ')
		p++;
	while (p[k] != '\0' && (g_ascii_isalnum(p[k]) || strchr("-_.:", p[k]) != NULL) && k < 40)
		k++;
	return k > 0 ? g_strndup(p, k) : NULL;
}

/* A text/plain or text/html body part: decode, append, cap.
 * NEEDSWORK: format=flowed (RFC 3676) lines are kept as sent, not joined.
 * NEEDSWORK: part_content() undoes the whole transfer encoding before we
 * cut at max_text_size; a filter stream read up to the cap would keep a
 * 50 MiB inline text part from costing 50 MiB more for a moment. */
static gboolean
take_text(build_t *b, GMimePart *part, gboolean plain)
{
	mime_ctx_t *ctx = b->ctx;
	GMimeObject *obj = GMIME_OBJECT(part);
	GString *dst = plain ? b->text : b->html;
	const char *declared = g_mime_object_get_content_type_parameter(obj, "charset");
	g_autofree char *meta = NULL;
	g_autoptr(GBytes) raw = part_content(part);
	gsize len, room, n;
	const char *data = g_bytes_get_data(raw, &len);
	decode_opts_t o = { .what = plain ? "text" : "html", .fallbacks = ctx->fallbacks,
			    .notes = b->msg->notes };
	GString *s;

	if (plain)
		b->have_plain = TRUE;
	if (declared != NULL && b->msg->hint_charset == NULL)
		b->msg->hint_charset = g_strdup(declared);
	if (len == 0 || data == NULL)
		return TRUE;
	if (dst->len >= ctx->lim.max_text_size) {
		g_autofree char *cap = size_text(ctx->lim.max_text_size);

		note_add(b->msg->notes, "%s truncated at %s", o.what, cap);
		return TRUE;
	}
	if (!plain && declared == NULL)
		declared = meta = html_meta_charset(data, len);
	/* Four input bytes make at least one output byte in any charset:
	 * decode no more than can be kept. */
	room = ctx->lim.max_text_size - dst->len;
	n = len;
	if (room < G_MAXSIZE / 4 - 16 && len > room * 4 + 16) {
		/* Cut after a line end when there is one near, so that no
		 * character is split (partial_ok covers the rest). */
		n = room * 4 + 16;
		for (gsize k = n; k > 0 && n - k < 4096; k--) {
			if (data[k - 1] == '\n') {
				n = k;
				break;
			}
		}
		o.partial_ok = TRUE;
	}
	s = charset_decode(data, n, declared, &o);
	g_free(o.used);
	clean_text(s);
	if (dst->len > 0 && dst->str[dst->len - 1] != '\n')
		g_string_append_c(dst, '\n');
	g_string_append_len(dst, s->str, (gssize)s->len);
	g_string_free(s, TRUE);
	if (utf8_truncate(dst, ctx->lim.max_text_size) || n < len) {
		g_autofree char *cap = size_text(ctx->lim.max_text_size);

		note_add(b->msg->notes, "%s truncated at %s", o.what, cap);
	}
	return TRUE;
}

/* A forwarded message GMime left as a leaf (base64 or quoted-printable
 * message/rfc822): keep it as an attachment and parse it ourselves. */
static gboolean
take_encoded_message(build_t *b, GMimeObject *obj, const char *type, char *filename,
		     guint depth, GError **error)
{
	mime_ctx_t *ctx = b->ctx;
	g_autoptr(GBytes) content = part_content(GMIME_PART(obj));
	g_autoptr(GError) err = NULL;
	g_autoptr(GMimeMessage) gm = NULL;
	mime_msg_t *emb;
	gboolean fatal = FALSE;
	gsize len;
	const char *data;

	if (!attachment_add(b, obj, type, filename, content, error))
		return FALSE;
	data = g_bytes_get_data(content, &len);
	gm = gmime_parse(ctx, data != NULL ? data : "", len, depth + 1, &fatal, &err);
	if (gm == NULL) {
		if (fatal) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		note_add(b->msg->notes, "forwarded message kept as attachment only: %s",
			 err->message);
		return TRUE;
	}
	if ((emb = msg_build(ctx, gm, depth + 1, error)) == NULL)
		return FALSE;
	g_ptr_array_add(b->msg->embedded, emb);
	return TRUE;
}

static gboolean
walk_leaf(build_t *b, GMimePart *part, guint depth, alt_t *alt, int branch, GError **error)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	g_autofree char *type = lower_mime_type(obj);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *dv = disp != NULL ? g_mime_content_disposition_get_disposition(disp) : NULL;
	gboolean attach = dv != NULL && g_ascii_strcasecmp(dv, "attachment") == 0;
	gboolean inl = dv != NULL && g_ascii_strcasecmp(dv, "inline") == 0;
	char *filename = part_filename(b, obj);
	gboolean plain = strcmp(type, "text/plain") == 0;
	gboolean html = strcmp(type, "text/html") == 0;
	g_autoptr(GBytes) content = NULL;

	if ((plain || html) && !attach && (filename == NULL || inl)) {
		if (alt != NULL) {
			int *br = plain ? &alt->plain_branch : &alt->html_branch;

			if (*br == -1)
				*br = branch;
			if (*br != branch) { /* another rendering of what we have */
				g_free(filename);
				return TRUE;
			}
		}
		g_free(filename);
		return take_text(b, part, plain);
	}
	if (is_message_type(type))
		return take_encoded_message(b, obj, type, filename, depth, error);
	content = part_content(part);
	return attachment_add(b, obj, type, filename, content, error);
}

static gboolean walk(build_t *b, GMimeObject *obj, guint depth, alt_t *alt, int branch,
		     GError **error);

static gboolean
walk_message_part(build_t *b, GMimeMessagePart *mp, guint depth, GError **error)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	g_autofree char *type = lower_mime_type(obj);
	g_autoptr(GBytes) content = message_bytes(inner);
	mime_msg_t *emb;

	if (!attachment_add(b, obj, type, part_filename(b, obj), content, error))
		return FALSE;
	if (inner == NULL)
		return TRUE;
	if ((emb = msg_build(b->ctx, inner, depth + 1, error)) == NULL)
		return FALSE;
	g_ptr_array_add(b->msg->embedded, emb);
	return TRUE;
}

static gboolean
walk(build_t *b, GMimeObject *obj, guint depth, alt_t *alt, int branch, GError **error)
{
	mime_ctx_t *ctx = b->ctx;

	if (depth > ctx->lim.max_depth)
		return ctx_fail(error, "MIME nesting deeper than %u levels", ctx->lim.max_depth);
	if (++ctx->parts > ctx->lim.max_parts)
		return ctx_fail(error, "more than %u MIME parts", ctx->lim.max_parts);
	if (!check_headers(ctx, obj, error))
		return FALSE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		gboolean is_alt = ct != NULL &&
				  g_mime_content_type_is_type(ct, "multipart", "alternative");
		alt_t mine = { -1, -1 };
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);

			if (child != NULL && !walk(b, child, depth + 1, is_alt ? &mine : alt,
						   is_alt ? i : branch, error))
				return FALSE;
		}
		return TRUE;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return walk_message_part(b, GMIME_MESSAGE_PART(obj), depth, error);
	if (GMIME_IS_PART(obj))
		return walk_leaf(b, GMIME_PART(obj), depth, alt, branch, error);
	return TRUE;
}

static void
msg_finish_text(build_t *b)
{
	mime_msg_t *msg = b->msg;
	const char *t = b->text->str;

	while (*t == ' ' || *t == '\t' || *t == '\n')
		t++;
	if (b->html->len > 0)
		msg->html = g_strdup(b->html->str);
	if (*t == '\0' && msg->html != NULL) {
		GString *s = g_string_new(NULL);
		char *conv = mime_html_to_text(msg->html, (gssize)b->html->len);

		g_string_assign(s, conv);
		g_free(conv);
		if (utf8_truncate(s, b->ctx->lim.max_text_size)) {
			g_autofree char *cap = size_text(b->ctx->lim.max_text_size);

			note_add(msg->notes, "text truncated at %s", cap);
		}
		if (b->have_plain)
			note_add(msg->notes, "text: the plain part is empty, text taken from HTML");
		msg->text = g_string_free(s, FALSE);
		msg->text_from_html = TRUE;
	} else {
		msg->text = g_strdup(b->text->str);
	}
}

static mime_msg_t *
msg_build(mime_ctx_t *ctx, GMimeMessage *gm, guint depth, GError **error)
{
	mime_msg_t *msg = msg_new(ctx);
	build_t b = { .ctx = ctx, .msg = msg };
	GMimeObject *body = g_mime_message_get_mime_part(gm);
	gboolean ok;

	msg->gmime = g_object_ref(gm);
	b.text = g_string_new(NULL);
	b.html = g_string_new(NULL);
	ok = check_headers(ctx, GMIME_OBJECT(gm), error) &&
	     (body == NULL || walk(&b, body, depth, NULL, -1, error));
	if (ok)
		msg_finish_text(&b);
	g_string_free(b.text, TRUE);
	g_string_free(b.html, TRUE);
	if (!ok) {
		mime_msg_free(msg);
		return NULL;
	}
	if (body != NULL && GMIME_IS_MULTIPART(body)) {
		GMimeContentType *ct = g_mime_object_get_content_type(body);

		if (ct != NULL && g_mime_content_type_is_type(ct, "multipart", "report")) {
			const char *rt = g_mime_content_type_get_parameter(ct, "report-type");

			msg->is_report = TRUE;
			if (rt != NULL && (g_ascii_strcasecmp(rt, "delivery-status") == 0 ||
					   g_ascii_strcasecmp(rt, "disposition-notification") == 0))
				msg->report_type = g_ascii_strdown(rt, -1);
		}
	}
	msg_read_headers(msg);
	return msg;
}

mime_msg_t *
mime_parse(const char *data, gsize len, const mime_limits_t *lim, GError **error)
{
	mime_ctx_t ctx = { 0 };
	g_autoptr(GMimeMessage) gm = NULL;
	mime_msg_t *msg = NULL;
	GPtrArray *prev_sink;
	gboolean fatal;

	limits_resolve(lim, &ctx.lim);
	if (len > ctx.lim.max_message_size) {
		g_autofree char *got = size_text(len);
		g_autofree char *cap = size_text(ctx.lim.max_message_size);

		g_set_error(error, PD_ERROR, PD_ERROR_TOO_LARGE,
			    "message is %s, over the %s cap", got, cap);
		return NULL;
	}
	if (data == NULL || len == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT, "empty message");
		return NULL;
	}
	mime_init();
	ctx.fallbacks = ctx.lim.fallback_charsets;
	ctx.warnings = g_ptr_array_new_with_free_func(g_free);
	ctx.options = options_new(ctx.fallbacks);
	g_mime_parser_options_set_warning_callback(ctx.options, parser_warning, NULL);
	prev_sink = g_private_get(&warning_sink);
	g_private_set(&warning_sink, ctx.warnings);
	gm = gmime_parse(&ctx, data, len, 0, &fatal, error);
	if (gm != NULL)
		msg = msg_build(&ctx, gm, 0, error);
	g_private_set(&warning_sink, prev_sink);
	if (msg != NULL) {
		/* GMime's complaints first: they explain the repairs after. */
		for (guint i = 0; i < msg->notes->len; i++)
			note_add(ctx.warnings, "%s", (char *)msg->notes->pdata[i]);
		g_ptr_array_unref(msg->notes);
		msg->notes = g_steal_pointer(&ctx.warnings);
	}
	if (ctx.warnings != NULL)
		g_ptr_array_unref(ctx.warnings);
	g_mime_parser_options_free(ctx.options);
	return msg;
}
