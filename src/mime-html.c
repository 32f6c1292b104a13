/* SPDX-License-Identifier: MIT
 * mime-html.c: HTML mail bodies to readable text, for the quote stripper,
 * the full-text index and the moderator's terminal. It is not a renderer
 * and not a sanitizer: its output is never shown as HTML.
 *
 * libxml2's HTML parser (HTML 4 rules, recovering) builds the tree; we walk
 * it without recursion, so nesting depth costs no stack. The text is built
 * line by line: breaks asked for by block elements are merged and written
 * only when more text follows, so empty <div>s do not pile up blank lines,
 * and every line inside <blockquote> starts with "> " like a quoted plain
 * text reply (RFC 3676 section 4.5 quoting style). */
#include "autodefs.h"
#include <string.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include "mime-html.h"
#include "banned.h"

#define HTML_MAX_QUOTE 8     /* "> " marks written per line, at most */
#define HTML_MAX_LIST 8      /* list indentation levels written, at most */
#define HTML_MAX_ANCHORS 32  /* nested <a> whose text we compare */
#define HTML_MAX_URL 2048    /* longer link targets are not shown */
#define HTML_MAX_EMPTY 2     /* consecutive empty lines kept */
#define HTML_OUT_SLACK 65536 /* output cap: twice the input plus this */
#define HTML_MAX_ATTRS 64    /* attributes per tag passed to libxml2 */

typedef enum {
	TAG_INLINE,
	TAG_SKIP,  /* dropped with its content */
	TAG_LINE,  /* a block: starts and ends a line */
	TAG_PARA,  /* a block with a blank line around it */
	TAG_BR,
	TAG_LI,
	TAG_LIST,
	TAG_QUOTE,
	TAG_PRE,
	TAG_A,
	TAG_CELL,
} html_tag_t;

static const struct {
	const char *name;
	html_tag_t kind;
} html_tags[] = {
	{ "a", TAG_A },	{ "address", TAG_LINE }, { "applet", TAG_SKIP },
	{ "article", TAG_LINE }, { "aside", TAG_LINE }, { "blockquote", TAG_QUOTE },
	{ "br", TAG_BR }, { "caption", TAG_LINE }, { "center", TAG_LINE },
	{ "dd", TAG_LINE }, { "details", TAG_LINE }, { "dir", TAG_LIST },
	{ "div", TAG_LINE }, { "dl", TAG_PARA }, { "dt", TAG_LINE },
	{ "embed", TAG_SKIP }, { "fieldset", TAG_LINE }, { "figcaption", TAG_LINE },
	{ "figure", TAG_LINE }, { "footer", TAG_LINE }, { "form", TAG_LINE },
	{ "frameset", TAG_SKIP }, { "h1", TAG_PARA }, { "h2", TAG_PARA },
	{ "h3", TAG_PARA }, { "h4", TAG_PARA }, { "h5", TAG_PARA },
	{ "h6", TAG_PARA }, { "head", TAG_SKIP }, { "header", TAG_LINE },
	{ "hr", TAG_PARA }, { "iframe", TAG_SKIP }, { "legend", TAG_LINE },
	{ "li", TAG_LI }, { "listing", TAG_PRE }, { "main", TAG_LINE },
	{ "map", TAG_SKIP }, { "math", TAG_SKIP }, { "menu", TAG_LIST },
	{ "nav", TAG_LINE }, { "noscript", TAG_SKIP }, { "object", TAG_SKIP },
	{ "ol", TAG_LIST }, { "p", TAG_PARA }, { "plaintext", TAG_PRE },
	{ "pre", TAG_PRE }, { "script", TAG_SKIP }, { "section", TAG_LINE },
	{ "select", TAG_SKIP }, { "style", TAG_SKIP }, { "summary", TAG_LINE },
	{ "svg", TAG_SKIP }, { "table", TAG_PARA }, { "td", TAG_CELL },
	{ "template", TAG_SKIP }, { "textarea", TAG_LINE }, { "th", TAG_CELL },
	{ "title", TAG_SKIP }, { "tr", TAG_LINE }, { "ul", TAG_LIST },
	{ "xmp", TAG_PRE },
};

typedef struct {
	GString *out;
	gsize cap;
	gboolean full;        /* the cap was reached: stop */
	guint nl;             /* breaks asked for: 1 new line, 2 blank line */
	gboolean space;       /* a space is due before the next word */
	gboolean line_start;  /* nothing written on this line yet */
	guint empty_run;      /* empty lines just written */
	guint quote;          /* <blockquote> depth */
	guint list;           /* list depth */
	guint pre;            /* <pre> depth */
	gboolean li_marker;   /* the next line starts a list item */
	guint n_anchors;
	gsize anchor_start[HTML_MAX_ANCHORS];
	char *anchor_href[HTML_MAX_ANCHORS];
} html_out_t;

static html_tag_t
html_tag_kind(const xmlNode *n)
{
	const char *name = (const char *)n->name;

	if (name == NULL)
		return TAG_INLINE;
	for (gsize i = 0; i < G_N_ELEMENTS(html_tags); i++)
		if (g_ascii_strcasecmp(name, html_tags[i].name) == 0)
			return html_tags[i].kind;
	return TAG_INLINE;
}

static void
html_put(html_out_t *st, const char *s, gsize n)
{
	if (st->full)
		return;
	if (st->out->len + n > st->cap) {
		st->full = TRUE;
		return;
	}
	g_string_append_len(st->out, s, (gssize)n);
}

/* An empty line; inside a quote it carries the quote marks, so the quoted
 * block stays one block for the quote stripper. */
static void
html_empty_line(html_out_t *st)
{
	guint q = MIN(st->quote, HTML_MAX_QUOTE);

	for (guint i = 0; i < q; i++)
		html_put(st, ">", 1);
	html_put(st, "\n", 1);
	st->empty_run++;
}

static void
html_break(html_out_t *st, guint n)
{
	if (n > st->nl)
		st->nl = n;
	st->space = FALSE;
}

/* Write the breaks asked for, now that text follows them. */
static void
html_flush(html_out_t *st)
{
	if (st->nl == 0)
		return;
	if (st->out->len == 0) {
		st->nl = 0;
		return;
	}
	if (!st->line_start) {
		html_put(st, "\n", 1);
		st->line_start = TRUE;
		st->empty_run = 0;
	}
	if (st->nl >= 2 && st->empty_run == 0)
		html_empty_line(st);
	st->nl = 0;
}

static void
html_line_begin(html_out_t *st)
{
	guint q = MIN(st->quote, HTML_MAX_QUOTE);

	for (guint i = 0; i < q; i++)
		html_put(st, "> ", 2);
	if (st->list > 0) {
		guint l = MIN(st->list, HTML_MAX_LIST);

		for (guint i = 1; i < l; i++)
			html_put(st, "  ", 2);
		html_put(st, st->li_marker ? "- " : "  ", 2);
		st->li_marker = FALSE;
	}
	st->line_start = FALSE;
	st->empty_run = 0;
	st->space = FALSE;
}

/* N bytes of text without white space (or verbatim, inside <pre>). */
static void
html_word(html_out_t *st, const char *s, gsize n)
{
	html_flush(st);
	if (st->line_start)
		html_line_begin(st);
	else if (st->space)
		html_put(st, " ", 1);
	st->space = FALSE;
	html_put(st, s, n);
}

static void
html_br(html_out_t *st)
{
	if (st->out->len == 0)
		return;
	if (st->nl > 0)
		st->nl = 2;
	else if (!st->line_start) {
		html_put(st, "\n", 1);
		st->line_start = TRUE;
		st->empty_run = 0;
	} else if (st->empty_run < HTML_MAX_EMPTY)
		html_empty_line(st);
	st->space = FALSE;
}

/* 0: part of a word; 1: white space; 2: invisible, dropped. *LEN is the
 * length of the character at P. */
static int
html_char_class(const char *p, const char *end, gsize *len)
{
	const guchar *u = (const guchar *)p;

	*len = 1;
	switch (u[0]) {
	case ' ': case '\t': case '\n': case '\r': case '\f': case '\v':
		return 1;
	case 0xC2:
		if (end - p >= 2 && u[1] == 0xA0) { /* U+00A0 no-break space */
			*len = 2;
			return 1;
		}
		return 0;
	case 0xE2: /* U+200B zero width space */
		if (end - p >= 3 && u[1] == 0x80 && u[2] == 0x8B) {
			*len = 3;
			return 2;
		}
		return 0;
	case 0xEF: /* U+FEFF byte order mark */
		if (end - p >= 3 && u[1] == 0xBB && u[2] == 0xBF) {
			*len = 3;
			return 2;
		}
		return 0;
	default:
		return 0;
	}
}

static void
html_text(html_out_t *st, const char *text)
{
	const char *p = text, *end;

	if (text == NULL)
		return;
	end = text + strlen(text);
	if (st->pre > 0) {
		while (p < end && !st->full) {
			const char *nl = memchr(p, '\n', (gsize)(end - p));
			const char *stop = nl != NULL ? nl : end;
			gsize n = (gsize)(stop - p);

			if (n > 0 && p[n - 1] == '\r')
				n--;
			if (n > 0)
				html_word(st, p, n);
			if (nl == NULL)
				break;
			html_flush(st);
			if (st->line_start && st->out->len > 0)
				html_empty_line(st);
			else if (st->out->len > 0) {
				html_put(st, "\n", 1);
				st->line_start = TRUE;
				st->empty_run = 0;
			}
			p = nl + 1;
		}
		return;
	}
	while (p < end && !st->full) {
		gsize clen;
		int cls = html_char_class(p, end, &clen);
		const char *start;

		if (cls == 1) {
			if (!st->line_start || st->nl > 0)
				st->space = TRUE;
			p += clen;
			continue;
		}
		if (cls == 2) {
			p += clen;
			continue;
		}
		start = p;
		while (p < end && html_char_class(p, end, &clen) == 0)
			p += clen;
		html_word(st, start, (gsize)(p - start));
	}
}

static const char *
html_skip_scheme(const char *s, gsize *len)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };

	for (gsize i = 0; i < G_N_ELEMENTS(schemes); i++) {
		gsize n = strlen(schemes[i]);

		if (*len >= n && g_ascii_strncasecmp(s, schemes[i], n) == 0) {
			*len -= n;
			return s + n;
		}
	}
	return s;
}

/* TRUE when the link text already says where HREF goes (or says
 * nothing), so "<url>" would only repeat it. */
static gboolean
html_link_redundant(const char *text, gsize tlen, const char *href, gsize hlen)
{
	while (tlen > 0 && g_ascii_isspace(*text)) {
		text++;
		tlen--;
	}
	while (tlen > 0 && g_ascii_isspace(text[tlen - 1]))
		tlen--;
	if (tlen == 0)
		return TRUE;
	text = html_skip_scheme(text, &tlen);
	href = html_skip_scheme(href, &hlen);
	while (tlen > 0 && text[tlen - 1] == '/')
		tlen--;
	while (hlen > 0 && href[hlen - 1] == '/')
		hlen--;
	return tlen == hlen && g_ascii_strncasecmp(text, href, tlen) == 0;
}

static gboolean
html_url_shown(const char *href, gsize len)
{
	static const char *const hidden[] = { "#", "javascript:", "vbscript:", "data:",
					      "cid:", "about:" };

	if (len == 0 || len > HTML_MAX_URL)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if ((guchar)href[i] < 0x20 || href[i] == 0x7F)
			return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(hidden); i++)
		if (g_ascii_strncasecmp(href, hidden[i], strlen(hidden[i])) == 0)
			return FALSE;
	return TRUE;
}

static void
html_anchor_open(html_out_t *st, xmlNode *n)
{
	if (st->n_anchors < HTML_MAX_ANCHORS) {
		xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");

		st->anchor_start[st->n_anchors] = st->out->len;
		st->anchor_href[st->n_anchors] = href != NULL ? g_strdup((char *)href) : NULL;
		xmlFree(href);
	}
	st->n_anchors++;
}

static void
html_anchor_close(html_out_t *st)
{
	g_autofree char *href = NULL;
	g_autofree char *shown = NULL;
	const char *h;
	gsize start, hlen;

	if (st->n_anchors == 0)
		return;
	st->n_anchors--;
	if (st->n_anchors >= HTML_MAX_ANCHORS)
		return;
	href = g_steal_pointer(&st->anchor_href[st->n_anchors]);
	start = st->anchor_start[st->n_anchors];
	if (href == NULL || st->full)
		return;
	h = href;
	hlen = strlen(h);
	while (hlen > 0 && g_ascii_isspace(*h)) {
		h++;
		hlen--;
	}
	while (hlen > 0 && g_ascii_isspace(h[hlen - 1]))
		hlen--;
	if (!html_url_shown(h, hlen) || start > st->out->len ||
	    html_link_redundant(st->out->str + start, st->out->len - start, h, hlen))
		return;
	shown = g_strdup_printf("<%.*s>", (int)hlen, h);
	if (!st->line_start || st->nl > 0)
		st->space = TRUE;
	html_word(st, shown, strlen(shown));
}

static gboolean
html_enter(html_out_t *st, xmlNode *n)
{
	switch (html_tag_kind(n)) {
	case TAG_SKIP:
		return FALSE;
	case TAG_INLINE:
		break;
	case TAG_LINE:
		html_break(st, 1);
		break;
	case TAG_PARA:
		html_break(st, st->list > 0 ? 1 : 2);
		break;
	case TAG_BR:
		html_br(st);
		break;
	case TAG_LI:
		html_break(st, 1);
		st->li_marker = TRUE;
		break;
	case TAG_LIST:
		html_break(st, st->list > 0 ? 1 : 2);
		st->list++;
		break;
	case TAG_QUOTE:
		/* The blank line before the quote belongs to the text around
		 * it: write it before the depth changes. */
		html_break(st, 2);
		html_flush(st);
		st->quote++;
		break;
	case TAG_PRE:
		html_break(st, 2);
		st->pre++;
		break;
	case TAG_A:
		html_anchor_open(st, n);
		break;
	case TAG_CELL:
		if (!st->line_start)
			st->space = TRUE;
		break;
	}
	return TRUE;
}

static void
html_leave(html_out_t *st, xmlNode *n)
{
	switch (html_tag_kind(n)) {
	case TAG_SKIP:
	case TAG_INLINE:
	case TAG_BR:
		break;
	case TAG_LINE:
		html_break(st, 1);
		break;
	case TAG_LI:
		html_break(st, 1);
		st->li_marker = FALSE;
		break;
	case TAG_PARA:
		html_break(st, st->list > 0 ? 1 : 2);
		break;
	case TAG_LIST:
		if (st->list > 0)
			st->list--;
		html_break(st, st->list > 0 ? 1 : 2);
		break;
	case TAG_QUOTE:
		if (st->quote > 0)
			st->quote--;
		html_break(st, 2);
		break;
	case TAG_PRE:
		if (st->pre > 0)
			st->pre--;
		html_break(st, 2);
		break;
	case TAG_A:
		html_anchor_close(st);
		break;
	case TAG_CELL:
		if (!st->line_start)
			st->space = TRUE;
		break;
	}
}

static void
html_walk(html_out_t *st, xmlDoc *doc)
{
	xmlNode *n = doc->children;

	while (n != NULL && !st->full) {
		gboolean descend = FALSE;

		if (n->type == XML_ELEMENT_NODE)
			descend = html_enter(st, n);
		else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			html_text(st, (const char *)n->content);
		if (descend && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL) {
			if (n->type == XML_ELEMENT_NODE)
				html_leave(st, n);
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (n == NULL || n == (xmlNode *)doc)
				n = NULL;
		}
	}
}

/* Drop trailing white space and trailing lines of bare quote marks. */
static void
html_trim_end(GString *s)
{
	for (;;) {
		gsize len = s->len, i;

		while (len > 0 && (s->str[len - 1] == '\n' || s->str[len - 1] == ' '))
			len--;
		g_string_truncate(s, len);
		i = len;
		while (i > 0 && s->str[i - 1] == '>')
			i--;
		if (i == len || (i > 0 && s->str[i - 1] != '\n'))
			return;
		g_string_truncate(s, i);
	}
}

static gboolean
html_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* libxml2 (2.9) checks each attribute of a start tag against all earlier
 * ones: a tag with 400,000 attributes took minutes. Cut every tag after
 * HTML_MAX_ATTRS attributes, tokenising the way htmlParseStartTag() does
 * (quoted values may hold '>'). Returns NULL when nothing was cut, else a
 * new string of *OUT_LEN bytes. */
static char *
html_limit_attributes(const char *html, gsize n, gsize *out_len)
{
	GString *out = NULL;
	gsize copied = 0, i = 0;

	while (i < n) {
		const char *lt = memchr(html + i, '<', n - i);
		gsize j, cut = 0;
		guint count = 0;

		if (lt == NULL)
			break;
		i = (gsize)(lt - html);
		if (i + 3 < n && memcmp(html + i, "<!--", 4) == 0) {
			const char *end = g_strstr_len(html + i + 4, (gssize)(n - i - 4), "-->");

			i = end != NULL ? (gsize)(end - html) + 3 : n;
			continue;
		}
		if (i + 1 >= n || !g_ascii_isalpha(html[i + 1])) {
			i++;
			continue;
		}
		j = i + 1;
		while (j < n && !html_is_space(html[j]) && html[j] != '>' && html[j] != '/')
			j++;
		for (;;) {
			while (j < n && (html_is_space(html[j]) || html[j] == '/'))
				j++;
			if (j >= n || html[j] == '>')
				break;
			if (++count > HTML_MAX_ATTRS && cut == 0)
				cut = j;
			while (j < n && !html_is_space(html[j]) && html[j] != '=' && html[j] != '>')
				j++;
			while (j < n && html_is_space(html[j]))
				j++;
			if (j >= n || html[j] != '=')
				continue;
			j++;
			while (j < n && html_is_space(html[j]))
				j++;
			if (j < n && (html[j] == '"' || html[j] == '\'')) {
				const char *q = memchr(html + j + 1, html[j], n - j - 1);

				j = q != NULL ? (gsize)(q - html) + 1 : n;
			} else {
				while (j < n && !html_is_space(html[j]) && html[j] != '>')
					j++;
			}
		}
		if (cut > 0) {
			if (out == NULL)
				out = g_string_sized_new(n);
			g_string_append_len(out, html + copied, (gssize)(cut - copied));
			copied = j;
		}
		i = j;
	}
	if (out == NULL)
		return NULL;
	g_string_append_len(out, html + copied, (gssize)(n - copied));
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

char *
mime_html_to_text(const char *html, gssize len)
{
	const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			 HTML_PARSE_NONET | HTML_PARSE_NODEFDTD | HTML_PARSE_COMPACT |
			 HTML_PARSE_IGNORE_ENC;
	g_autofree char *clean = NULL;
	g_autofree char *cut = NULL;
	html_out_t st = { 0 };
	xmlDoc *doc;
	gsize n;

	if (html == NULL)
		return g_strdup("");
	n = len < 0 ? strlen(html) : (gsize)len;
	if (n > G_MAXINT / 2)
		n = G_MAXINT / 2;
	/* libxml2 switches to Latin-1 at the first bad UTF-8 byte; give it
	 * valid UTF-8 without NULs so one bad byte cannot garble the rest. */
	if (!g_utf8_validate(html, (gssize)n, NULL)) {
		/* g_utf8_make_valid() replaces NULs as well. */
		clean = g_utf8_make_valid(html, (gssize)n);
		n = strlen(clean);
		html = clean;
	}
	if (n == 0)
		return g_strdup("");
	if ((cut = html_limit_attributes(html, n, &n)) != NULL)
		html = cut;
	doc = htmlReadMemory(html, (int)n, NULL, "UTF-8", opts);
	if (doc == NULL)
		return g_strdup("");
	st.out = g_string_sized_new(MIN(n, 65536));
	st.cap = n * 2 + HTML_OUT_SLACK;
	st.line_start = TRUE;
	html_walk(&st, doc);
	xmlFreeDoc(doc);
	for (guint i = 0; i < MIN(st.n_anchors, HTML_MAX_ANCHORS); i++)
		g_free(st.anchor_href[i]);
	html_trim_end(st.out);
	if (!g_utf8_validate(st.out->str, (gssize)st.out->len, NULL)) {
		/* The cap may have cut nothing mid-character (we write whole
		 * words or nothing), but stay safe. */
		char *valid = g_utf8_make_valid(st.out->str, (gssize)st.out->len);

		g_string_free(st.out, TRUE);
		return valid;
	}
	return g_string_free(st.out, FALSE);
}
