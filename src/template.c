/* SPDX-License-Identifier: MIT
 * template.c: parse templates/ files and render them into GMime messages.
 * Pure but for template_set_load(), which reads the directories.
 *
 * Not here: choosing recipients, Message-Id, Date, In-Reply-To and the
 * RFC 3834 headers (outbound), or the values themselves (the callers).
 *
 * Follows RFC 5322 (headers, address lists), RFC 2045 (transfer
 * encodings), RFC 2046 5.1.4 (multipart/alternative: plainest part
 * first) and RFC 2047 (encoded words, written by GMime). The tag syntax is
 * the subset of mustache(5) in template.h, with mustache's "standalone
 * line" rule so section tags on their own lines leave no blank lines. */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "error.h"
#include "mime.h"
#include "template.h"
#include "banned.h"

/* Every name a template may use: the single table that template_check()
 * holds templates to. An entry with a LIST names a field of that list's
 * items; a list entry with any_field accepts any field name. */
typedef struct {
	const char *list;        /* NULL: top level; else the enclosing list */
	const char *name;
	gboolean is_list;
	gboolean any_field;
	const char *description;
} var_info_t;

static const var_info_t known_vars[] = {
	{ NULL, "gateway.support_address", FALSE, FALSE, "the address customers write to" },
	{ NULL, "gateway.tag", FALSE, FALSE, "the subject tag word, e.g. Support" },
	{ NULL, "gateway.name", FALSE, FALSE, "the name the gateway signs with" },
	{ NULL, "ticket.id", FALSE, FALSE, "the ticket number" },
	{ NULL, "ticket.subject", FALSE, FALSE, "the ticket's subject, without tag" },
	{ NULL, "ticket.tagged_subject", FALSE, FALSE, "\"[Support #12] subject\"" },
	{ NULL, "ticket.state", FALSE, FALSE, "new, open, waiting or resolved" },
	{ NULL, "ticket.group", FALSE, FALSE, "the product group's key, e.g. core" },
	{ NULL, "ticket.group_name", FALSE, FALSE, "the product group's display name" },
	{ NULL, "ticket.group_address", FALSE, FALSE, "the group's address, else the support address" },
	{ NULL, "ticket.priority", FALSE, FALSE, "the ticket's priority" },
	{ NULL, "ticket.tier", FALSE, FALSE, "the support tier handling the ticket" },
	{ NULL, "ticket.owner", FALSE, FALSE, "the owning member's address, or empty" },
	{ NULL, "ticket.owner_name", FALSE, FALSE, "the owning member's name, or empty" },
	{ NULL, "ticket.created", FALSE, FALSE, "when the ticket was opened" },
	{ NULL, "ticket.due", FALSE, FALSE, "the promise, \"by Monday 12:30 CET\", may be empty" },
	{ NULL, "ticket.requester_name", FALSE, FALSE, "the customer's name" },
	{ NULL, "ticket.requester_address", FALSE, FALSE, "the customer's address" },
	{ NULL, "ticket.plan", FALSE, FALSE, "the customer's plan ([plan:NAME]), or empty" },
	{ NULL, "ticket.engagement", FALSE, FALSE, "the plan's engagement: mail or emergency" },
	{ NULL, "quota.reason", FALSE, FALSE, "over-quota or not-covered (the plan misses the group)" },
	{ NULL, "quota.not_covered", FALSE, FALSE, "\"yes\" when the plan misses the group, else empty" },
	{ NULL, "recipient.name", FALSE, FALSE, "the name of whom this mail goes to" },
	{ NULL, "recipient.address", FALSE, FALSE, "the address this mail goes to" },
	{ NULL, "reply_address", FALSE, FALSE, "the signed reply address for this recipient" },
	{ NULL, "message.from_name", FALSE, FALSE, "the sender's name of the message at hand" },
	{ NULL, "message.from_address", FALSE, FALSE, "the sender's address of the message at hand" },
	{ NULL, "message.subject", FALSE, FALSE, "the subject of the message at hand" },
	{ NULL, "message.visible", FALSE, FALSE, "the newly written text, without quotes" },
	{ NULL, "message.text", FALSE, FALSE, "the full text of the message" },
	{ NULL, "message.date", FALSE, FALSE, "when the message was written" },
	{ NULL, "member.name", FALSE, FALSE, "the member's name (notices to members)" },
	{ NULL, "member.address", FALSE, FALSE, "the member's address" },
	{ NULL, "attachments", TRUE, FALSE, "the message's attachments" },
	{ "attachments", "filename", FALSE, FALSE, "the file name" },
	{ "attachments", "type", FALSE, FALSE, "the content type, e.g. image/png" },
	{ "attachments", "size", FALSE, FALSE, "the size in bytes" },
	{ "attachments", "size_human", FALSE, FALSE, "the size for people, e.g. 1.2 MB" },
	{ NULL, "reason", FALSE, FALSE, "why mail was rejected" },
	{ NULL, "bounce.recipient", FALSE, FALSE, "the address that bounced" },
	{ NULL, "bounce.status", FALSE, FALSE, "the DSN status code, e.g. 5.1.1" },
	{ NULL, "bounce.diagnostic", FALSE, FALSE, "the remote server's explanation" },
	{ NULL, "receipt", TRUE, FALSE, "one item per command of a member's mail" },
	{ "receipt", "line", FALSE, FALSE, "the command as written" },
	{ "receipt", "result", FALSE, FALSE, "what it did, or why not" },
	{ NULL, "note", FALSE, FALSE, "a free-form note (quota, SLA, operator)" },
	{ NULL, "digest.member_name", FALSE, FALSE, "the digest recipient's name" },
	{ NULL, "digest.date", FALSE, FALSE, "the day the digest covers" },
	{ NULL, "digest.period", FALSE, FALSE, "daily or weekly" },
	{ NULL, "digest.group", FALSE, FALSE, "the group of a group digest (its key)" },
	{ NULL, "digest.group_name", FALSE, FALSE, "the group of a group digest (its name)" },
	{ NULL, "digest.count", FALSE, FALSE, "how many tickets the digest lists" },
	{ NULL, "digest.offered", FALSE, FALSE, "how many of them wait for #take, or empty" },
	{ NULL, "digest.unowned", FALSE, FALSE, "how many of them nobody owns, or empty" },
	{ NULL, "digest.breached", FALSE, FALSE, "how many of them missed a deadline, or empty" },
	{ NULL, "tickets", TRUE, FALSE, "the tickets in a digest" },
	{ "tickets", "id", FALSE, FALSE, "the ticket number" },
	{ "tickets", "subject", FALSE, FALSE, "the ticket's subject" },
	{ "tickets", "state", FALSE, FALSE, "the ticket's state" },
	{ "tickets", "group", FALSE, FALSE, "the ticket's group" },
	{ "tickets", "due", FALSE, FALSE, "the promise, may be empty" },
	{ "tickets", "reply_address", FALSE, FALSE, "the signed reply address for this ticket" },
	{ "tickets", "tagged_subject", FALSE, FALSE, "\"[Support #12] subject\"" },
	{ "tickets", "owner", FALSE, FALSE, "the owner's address, or empty" },
	{ "tickets", "age", FALSE, FALSE, "how long it has been open, e.g. 3d" },
	{ "tickets", "offered", FALSE, FALSE, "\"yes\" when offered and not yet taken" },
	{ "tickets", "mark", FALSE, FALSE, "BREACHED, \"deadline near\" or empty" },
	{ "tickets", "mailto", FALSE, FALSE, "mailto: URL of the reply address, subject tagged" },
	{ NULL, "items", TRUE, TRUE, "a generic list; its items may hold any field" },
};

/* The entry for NAME in LIST (NULL: top level), or NULL. */
static const var_info_t *
var_find(const char *list, const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(known_vars); i++) {
		const var_info_t *v = &known_vars[i];

		if (g_strcmp0(v->list, list) == 0 && strcmp(v->name, name) == 0)
			return v;
	}
	return NULL;
}

/* The first list that has a field NAME, for hints; or NULL. */
static const char *
var_field_of(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(known_vars); i++)
		if (known_vars[i].list != NULL && strcmp(known_vars[i].name, name) == 0)
			return known_vars[i].list;
	return NULL;
}

/* The parsed form. */

typedef enum {
	NODE_TEXT,
	NODE_VAR,
	NODE_SECTION,
	NODE_INVERTED,
} node_kind_t;

/* Where a value lands in an address header (RFC 5322 3.4). */
typedef enum {
	SLOT_PLAIN,  /* not an address header */
	SLOT_PHRASE, /* part of a display name: quoted */
	SLOT_QUOTED, /* inside a quoted string the template wrote: escaped */
	SLOT_ADDR,   /* an addr-spec: must be one */
} slot_t;

typedef struct node node_t;
struct node {
	node_kind_t kind;
	guint line;
	slot_t slot;
	char *text;          /* TEXT: the literal; else the name */
	gsize len;           /* TEXT: bytes */
	GPtrArray *children; /* SECTION, INVERTED: node_t */
};

typedef enum {
	HDR_OTHER,
	HDR_SUBJECT,
	HDR_ADDRESS,
	HDR_FORBIDDEN,
} header_kind_t;

typedef struct {
	char *name;
	guint line;
	header_kind_t kind;
	GMimeAddressType atype;
	GPtrArray *nodes;
} header_t;

struct template {
	char *file;
	gboolean html;
	GPtrArray *headers; /* header_t */
	GPtrArray *body;    /* node_t */
};

/* Headers RFC 5322 3.6 allows once, those with address lists, and those
 * that describe the body we build (a template setting them would produce
 * a message whose header lies about its body). */
static const struct {
	const char *name;
	header_kind_t kind;
	GMimeAddressType atype;
	gboolean once;
} header_rules[] = {
	{ "Subject", HDR_SUBJECT, 0, TRUE },
	{ "From", HDR_ADDRESS, GMIME_ADDRESS_TYPE_FROM, TRUE },
	{ "Sender", HDR_ADDRESS, GMIME_ADDRESS_TYPE_SENDER, TRUE },
	{ "Reply-To", HDR_ADDRESS, GMIME_ADDRESS_TYPE_REPLY_TO, TRUE },
	{ "To", HDR_ADDRESS, GMIME_ADDRESS_TYPE_TO, TRUE },
	{ "Cc", HDR_ADDRESS, GMIME_ADDRESS_TYPE_CC, TRUE },
	{ "Bcc", HDR_ADDRESS, GMIME_ADDRESS_TYPE_BCC, TRUE },
	{ "Date", HDR_OTHER, 0, TRUE },
	{ "Message-ID", HDR_OTHER, 0, TRUE },
	{ "In-Reply-To", HDR_OTHER, 0, TRUE },
	{ "References", HDR_OTHER, 0, TRUE },
	{ "MIME-Version", HDR_FORBIDDEN, 0, TRUE },
	{ "Content-Type", HDR_FORBIDDEN, 0, TRUE },
	{ "Content-Transfer-Encoding", HDR_FORBIDDEN, 0, TRUE },
};

static void
node_free(gpointer p)
{
	node_t *n = p;

	if (n == NULL)
		return;
	g_free(n->text);
	if (n->children != NULL)
		g_ptr_array_unref(n->children);
	g_free(n);
}

static GPtrArray *
nodes_new(void)
{
	return g_ptr_array_new_with_free_func(node_free);
}

static void
header_free(gpointer p)
{
	header_t *h = p;

	if (h == NULL)
		return;
	g_free(h->name);
	if (h->nodes != NULL)
		g_ptr_array_unref(h->nodes);
	g_free(h);
}

void
template_free(template_t *tpl)
{
	if (tpl == NULL)
		return;
	g_free(tpl->file);
	if (tpl->headers != NULL)
		g_ptr_array_unref(tpl->headers);
	if (tpl->body != NULL)
		g_ptr_array_unref(tpl->body);
	g_free(tpl);
}

const char *
template_file(const template_t *tpl)
{
	return tpl->file;
}

gboolean
template_is_html(const template_t *tpl)
{
	return tpl->html;
}

/* Parsing. */

/* Where in TEXT a pattern of two equal characters C starts, from FROM;
 * LEN when there is none. */
static gsize
find_pair(const char *text, gsize len, gsize from, char c)
{
	for (gsize i = from; i + 1 < len; i++)
		if (text[i] == c && text[i + 1] == c)
			return i;
	return len;
}

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* NAME of N bytes is dot-separated words of [A-Za-z_][A-Za-z0-9_-]*. */
static gboolean
name_valid(const char *s, gsize n)
{
	gboolean word_start = TRUE;

	if (n == 0)
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (word_start)
				return FALSE;
			word_start = TRUE;
		} else if (word_start) {
			if (!g_ascii_isalpha(c) && c != '_')
				return FALSE;
			word_start = FALSE;
		} else if (!g_ascii_isalnum(c) && c != '_' && c != '-') {
			return FALSE;
		}
	}
	return !word_start;
}

/* A tag as it may appear in a message: at most 40 bytes of it, cut at a
 * character boundary, control characters as spaces. New string. */
static char *
tag_display(const char *tag, gsize n)
{
	GString *out = g_string_new(NULL);
	gsize keep = MIN(n, 40);

	while (keep < n && keep > 0 && ((guchar)tag[keep] & 0xc0) == 0x80)
		keep--;
	for (gsize i = 0; i < keep; i++)
		g_string_append_c(out, (guchar)tag[i] < 0x20 ? ' ' : tag[i]);
	if (keep < n)
		g_string_append(out, "…");
	return g_string_free(out, FALSE);
}

typedef struct {
	const char *file;
	const char *text;
	gsize len;
	gboolean header;  /* a header value: one logical line */
	gboolean address; /* an address header: note each value's slot */
	gboolean quoted;  /* address scan state: inside "..." */
	gboolean angle;   /* address scan state: inside <...> */
} seg_t;

/* Follow the quoting state of an address header over literal TEXT. */
static void
address_scan(seg_t *s, const char *text, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (s->quoted) {
			if (text[i] == '\\' && i + 1 < n)
				i++;
			else if (text[i] == '"')
				s->quoted = FALSE;
		} else if (text[i] == '"') {
			s->quoted = TRUE;
		} else if (text[i] == '<') {
			s->angle = TRUE;
		} else if (text[i] == '>') {
			s->angle = FALSE;
		}
	}
}

/* TRUE when the tag TEXT[A, B) ("{{" to "}}" inclusive) is a section,
 * inverted, close or comment tag: it renders nothing by itself. */
static gboolean
tag_is_control(const char *text, gsize a, gsize b)
{
	gsize i = a + 2;

	while (i < b && g_ascii_isspace(text[i]))
		i++;
	return i < b && strchr("#^/!", text[i]) != NULL;
}

/* TRUE when the value tag at TEXT[TS, TE) stands alone between list
 * separators: nothing but white space and control tags between it and the
 * start or a ',' before, and the end or a ',' after. */
static gboolean
address_alone(const seg_t *s, gsize ts, gsize te)
{
	const char *t = s->text;
	gsize i = ts, j = te;

	for (;;) {
		while (i > 0 && g_ascii_isspace(t[i - 1]))
			i--;
		if (i >= 2 && t[i - 1] == '}' && t[i - 2] == '}') {
			gsize k = i - 2;

			while (k >= 2 && !(t[k - 1] == '{' && t[k - 2] == '{'))
				k--;
			if (k < 2 || !tag_is_control(t, k - 2, i))
				return FALSE;
			i = k - 2;
			continue;
		}
		break;
	}
	if (i > 0 && t[i - 1] != ',')
		return FALSE;
	for (;;) {
		while (j < s->len && g_ascii_isspace(t[j]))
			j++;
		if (j + 1 < s->len && t[j] == '{' && t[j + 1] == '{') {
			gsize k = find_pair(t, s->len, j + 2, '}');

			if (k == s->len || !tag_is_control(t, j, k + 2))
				return FALSE;
			j = k + 2;
			continue;
		}
		break;
	}
	return j == s->len || t[j] == ',';
}

static void
add_text(seg_t *s, GPtrArray *to, gsize from, gsize end, guint line)
{
	node_t *n;

	if (end <= from)
		return;
	if (s->address)
		address_scan(s, s->text + from, end - from);
	n = g_new0(node_t, 1);
	n->kind = NODE_TEXT;
	n->line = line;
	n->text = g_strndup(s->text + from, end - from);
	n->len = end - from;
	if (s->header) {
		/* Continuation lines were joined with LF: unfold. */
		for (gsize i = 0; i < n->len; i++)
			if (n->text[i] == '\n' || n->text[i] == '\t')
				n->text[i] = ' ';
	}
	g_ptr_array_add(to, n);
}

/* Parse S into nodes; LINE is the line of its first byte. */
static GPtrArray *
parse_segment(seg_t *s, guint line, GError **error)
{
	g_autoptr(GPtrArray) root = nodes_new();
	GPtrArray *level[TEMPLATE_MAX_DEPTH + 1];
	node_t *open[TEMPLATE_MAX_DEPTH + 1];
	guint depth = 0;
	const char *t = s->text;
	gsize pos = 0, lit = 0, counted = 0;
	guint cur = line, lit_line = line;

	level[0] = root;
	for (;;) {
		gsize ts = find_pair(t, s->len, pos, '{');
		gsize te, a, b, lit_end, next;
		g_autofree char *shown = NULL;
		char sigil = 0;
		guint tline;
		node_t *n;

		if (ts == s->len)
			break;
		for (; counted < ts; counted++)
			if (t[counted] == '\n')
				cur++;
		tline = cur;
		te = find_pair(t, s->len, ts + 2, '}');
		if (te == s->len) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "%s:%u: unterminated tag: \"{{\" without \"}}\"",
				    s->file, tline);
			return NULL;
		}
		te += 2;
		shown = tag_display(t + ts, te - ts);
		a = ts + 2;
		b = te - 2;
		while (a < b && g_ascii_isspace(t[a]))
			a++;
		while (b > a && g_ascii_isspace(t[b - 1]))
			b--;
		if (a < b && strchr("!#^/", t[a]) != NULL) {
			sigil = t[a++];
			while (a < b && g_ascii_isspace(t[a]))
				a++;
		}
		if (sigil != '!' && !name_valid(t + a, b - a)) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "%s:%u: unknown tag syntax \"%s\"", s->file, tline, shown);
			return NULL;
		}

		/* mustache's standalone rule: a control tag alone on its line
		 * takes the line, newline included, with it. */
		lit_end = ts;
		next = te;
		if (sigil != 0 && !s->header) {
			gsize ls = ts, e = te;

			while (ls > 0 && is_blank(t[ls - 1]))
				ls--;
			while (e < s->len && is_blank(t[e]))
				e++;
			if ((ls == 0 || t[ls - 1] == '\n') && ls >= lit &&
			    (e == s->len || t[e] == '\n')) {
				lit_end = ls;
				next = e < s->len ? e + 1 : e;
			}
		}
		add_text(s, level[depth], lit, lit_end, lit_line);

		switch (sigil) {
		case '!':
			break;
		case '#':
		case '^':
			if (depth == TEMPLATE_MAX_DEPTH) {
				g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
					    "%s:%u: sections nested deeper than %d",
					    s->file, tline, TEMPLATE_MAX_DEPTH);
				return NULL;
			}
			n = g_new0(node_t, 1);
			n->kind = sigil == '#' ? NODE_SECTION : NODE_INVERTED;
			n->line = tline;
			n->text = g_strndup(t + a, b - a);
			n->children = nodes_new();
			g_ptr_array_add(level[depth], n);
			open[++depth] = n;
			level[depth] = n->children;
			break;
		case '/':
			if (depth == 0) {
				g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
					    "%s:%u: \"%s\" closes no open section",
					    s->file, tline, shown);
				return NULL;
			}
			n = open[depth];
			if (strlen(n->text) != b - a || memcmp(n->text, t + a, b - a) != 0) {
				g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
					    "%s:%u: \"%s\" does not close \"{{%c%s}}\" "
					    "from line %u",
					    s->file, tline, shown,
					    n->kind == NODE_SECTION ? '#' : '^', n->text,
					    n->line);
				return NULL;
			}
			depth--;
			break;
		default:
			n = g_new0(node_t, 1);
			n->kind = NODE_VAR;
			n->line = tline;
			n->text = g_strndup(t + a, b - a);
			if (!s->address)
				n->slot = SLOT_PLAIN;
			else if (s->quoted)
				n->slot = SLOT_QUOTED;
			else if (s->angle || address_alone(s, ts, te))
				n->slot = SLOT_ADDR;
			else
				n->slot = SLOT_PHRASE;
			g_ptr_array_add(level[depth], n);
			break;
		}
		pos = lit = next;
		for (; counted < lit; counted++)
			if (t[counted] == '\n')
				cur++;
		lit_line = cur;
	}
	add_text(s, level[depth], lit, s->len, lit_line);
	if (depth > 0) {
		node_t *n = open[depth];

		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s:%u: section \"{{%c%s}}\" is not closed", s->file,
			    n->line, n->kind == NODE_SECTION ? '#' : '^', n->text);
		return NULL;
	}
	return g_steal_pointer(&root);
}

/* A line of the header part that holds only a comment tag. */
static gboolean
line_is_comment(const char *line, gsize n)
{
	gsize a = 0, b = n;

	while (a < b && is_blank(line[a]))
		a++;
	while (b > a && is_blank(line[b - 1]))
		b--;
	return b - a >= 5 && memcmp(line + a, "{{!", 3) == 0 &&
	       memcmp(line + b - 2, "}}", 2) == 0 &&
	       find_pair(line, b - 2, a + 3, '}') == b - 2;
}

/* Parse the header collected in VALUE into a header_t added to TPL. */
static gboolean
header_finish(template_t *tpl, char *name, guint line, GString *value,
	      GError **error)
{
	header_t *h;
	seg_t seg = { 0 };

	for (guint i = 0; i < tpl->headers->len; i++) {
		header_t *o = tpl->headers->pdata[i];

		if (g_ascii_strcasecmp(o->name, name) != 0)
			continue;
		for (gsize r = 0; r < G_N_ELEMENTS(header_rules); r++) {
			if (header_rules[r].once &&
			    g_ascii_strcasecmp(header_rules[r].name, name) == 0) {
				g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
					    "%s:%u: header %s given twice (first on "
					    "line %u)", tpl->file, line, name, o->line);
				return FALSE;
			}
		}
	}
	h = g_new0(header_t, 1);
	h->name = g_strdup(name);
	h->line = line;
	h->kind = HDR_OTHER;
	for (gsize r = 0; r < G_N_ELEMENTS(header_rules); r++) {
		if (g_ascii_strcasecmp(header_rules[r].name, name) == 0) {
			h->kind = header_rules[r].kind;
			h->atype = header_rules[r].atype;
		}
	}
	if (h->kind == HDR_FORBIDDEN) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s:%u: header %s is postdesk's to set, from the body",
			    tpl->file, line, name);
		header_free(h);
		return FALSE;
	}
	seg.file = tpl->file;
	seg.text = value->str;
	seg.len = value->len;
	seg.header = TRUE;
	seg.address = h->kind == HDR_ADDRESS;
	h->nodes = parse_segment(&seg, line, error);
	if (h->nodes == NULL) {
		header_free(h);
		return FALSE;
	}
	g_ptr_array_add(tpl->headers, h);
	return TRUE;
}

/* Parse the header part of TEXT; *BODY and *BODY_LINE get where the body
 * starts. */
static gboolean
parse_headers(template_t *tpl, const char *text, gsize len, gsize *body,
	      guint *body_line, GError **error)
{
	g_autoptr(GString) value = g_string_new(NULL);
	g_autofree char *name = NULL;
	guint name_line = 0, line = 1;
	gsize pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		gsize eol = nl != NULL ? (gsize)(nl - text) : len;
		const char *l = text + pos;
		gsize n = eol - pos, colon;

		for (gsize i = 0; i < n; i++) {
			if (((guchar)l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f) {
				g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
					    "%s:%u: control character in the header part",
					    tpl->file, line);
				return FALSE;
			}
		}
		if (n > 0 && is_blank(l[0])) {
			gsize i = 0;

			if (name == NULL) {
				g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
					    "%s:%u: continuation line without a header",
					    tpl->file, line);
				return FALSE;
			}
			while (i < n && is_blank(l[i]))
				i++;
			g_string_append_c(value, '\n');
			g_string_append_len(value, l + i, n - i);
		} else {
			if (name != NULL) {
				if (!header_finish(tpl, name, name_line, value, error))
					return FALSE;
				g_clear_pointer(&name, g_free);
			}
			if (n == 0) {
				*body = eol + 1;
				*body_line = line + 1;
				return TRUE;
			}
			if (!line_is_comment(l, n)) {
				for (colon = 0; colon < n; colon++)
					if (l[colon] == ':' || (guchar)l[colon] <= ' ' ||
					    (guchar)l[colon] > '~')
						break;
				if (colon == 0 || colon == n || l[colon] != ':') {
					g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
						    "%s:%u: expected \"Name: value\" or a "
						    "blank line before the body",
						    tpl->file, line);
					return FALSE;
				}
				name = g_strndup(l, colon);
				name_line = line;
				colon++;
				while (colon < n && is_blank(l[colon]))
					colon++;
				g_string_assign(value, "");
				g_string_append_len(value, l + colon, n - colon);
			}
		}
		pos = eol < len ? eol + 1 : len;
		line++;
	}
	/* No blank line: headers only, the body is empty. */
	if (name != NULL && !header_finish(tpl, name, name_line, value, error))
		return FALSE;
	*body = len;
	*body_line = line;
	return TRUE;
}

template_t *
template_parse(const char *file, const char *text, gssize len, GError **error)
{
	g_autoptr(template_t) tpl = g_new0(template_t, 1);
	g_autofree char *norm = NULL;
	const char *bad = NULL;
	gsize n, j = 0, body = 0;
	guint body_line = 1;
	seg_t seg = { 0 };

	g_return_val_if_fail(file != NULL && text != NULL, NULL);
	n = len < 0 ? strlen(text) : (gsize)len;
	tpl->file = g_strdup(file);
	tpl->html = g_str_has_suffix(file, ".html.tmpl");
	tpl->headers = g_ptr_array_new_with_free_func(header_free);
	if (!g_utf8_validate_len(text, n, &bad)) {
		guint line = 1;

		for (const char *p = text; p < bad; p++)
			line += *p == '\n';
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s:%u: not valid UTF-8", file, line);
		return NULL;
	}
	/* CRLF counts as LF; line numbers stay the same. */
	norm = g_malloc(n + 1);
	for (gsize i = 0; i < n; i++)
		if (!(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n'))
			norm[j++] = text[i];
	norm[j] = '\0';
	n = j;
	if (!tpl->html && !parse_headers(tpl, norm, n, &body, &body_line, error))
		return NULL;
	seg.file = file;
	seg.text = norm + MIN(body, n);
	seg.len = n - MIN(body, n);
	tpl->body = parse_segment(&seg, body_line, error);
	if (tpl->body == NULL)
		return NULL;
	return g_steal_pointer(&tpl);
}

/* Checking. */

typedef struct {
	const template_t *tpl;
	GPtrArray *problems;
	const var_info_t *scopes[TEMPLATE_MAX_DEPTH + 1]; /* enclosing lists */
	guint depth;
	gboolean ok;
} check_t;

/* Whether NAME may be used here; *INFO gets its entry (NULL for a field
 * of a generic list). */
static gboolean
check_known(const check_t *c, const char *name, const var_info_t **info)
{
	for (guint i = c->depth; i-- > 0;) {
		const var_info_t *list = c->scopes[i];

		if (list == NULL || list->any_field) {
			*info = var_find(NULL, name);
			return TRUE;
		}
		if ((*info = var_find(list->name, name)) != NULL)
			return TRUE;
	}
	*info = var_find(NULL, name);
	return *info != NULL;
}

static void G_GNUC_PRINTF(3, 4)
check_problem(check_t *c, guint line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(c->problems, g_strdup_printf("%s:%u: %s", c->tpl->file, line, msg));
	c->ok = FALSE;
}

static void
check_nodes(check_t *c, const GPtrArray *nodes)
{
	for (guint i = 0; i < nodes->len; i++) {
		const node_t *n = nodes->pdata[i];
		const var_info_t *info = NULL;
		gboolean known;

		if (n->kind == NODE_TEXT)
			continue;
		known = check_known(c, n->text, &info);
		if (!known) {
			const char *list = var_field_of(n->text);

			if (list != NULL)
				check_problem(c, n->line, "unknown variable \"%s\" (a field "
					      "of the items of {{#%s}})", n->text, list);
			else
				check_problem(c, n->line, "unknown variable \"%s\"", n->text);
		} else if (n->kind == NODE_VAR && info != NULL && info->is_list) {
			check_problem(c, n->line, "\"%s\" is a list: use "
				      "{{#%s}}...{{/%s}}", n->text, n->text, n->text);
		}
		if (n->kind == NODE_SECTION && known && (info == NULL || info->is_list)) {
			/* Parsing bounds the depth. */
			c->scopes[c->depth++] = info;
			check_nodes(c, n->children);
			c->depth--;
		} else if (n->children != NULL) {
			check_nodes(c, n->children);
		}
	}
}

gboolean
template_check(const template_t *tpl, GPtrArray *problems)
{
	check_t c = { .tpl = tpl, .problems = problems, .ok = TRUE };

	for (guint i = 0; i < tpl->headers->len; i++)
		check_nodes(&c, ((header_t *)tpl->headers->pdata[i])->nodes);
	check_nodes(&c, tpl->body);
	return c.ok;
}

/* Values. */

typedef struct {
	char *str;       /* or NULL for a list */
	GPtrArray *list; /* template_vars_t */
} value_t;

struct template_vars {
	GHashTable *values; /* name -> value_t */
};

static void
value_free(gpointer p)
{
	value_t *v = p;

	g_free(v->str);
	if (v->list != NULL)
		g_ptr_array_unref(v->list);
	g_free(v);
}

template_vars_t *
template_vars_new(void)
{
	template_vars_t *v = g_new0(template_vars_t, 1);

	v->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free);
	return v;
}

void
template_vars_free(template_vars_t *v)
{
	if (v == NULL)
		return;
	g_hash_table_unref(v->values);
	g_free(v);
}

void
template_vars_set(template_vars_t *v, const char *name, const char *value)
{
	value_t *val;

	g_return_if_fail(v != NULL && name != NULL);
	val = g_new0(value_t, 1);
	val->str = value != NULL ? g_utf8_make_valid(value, -1) : g_strdup("");
	g_hash_table_replace(v->values, g_strdup(name), val);
}

void
template_vars_set_int(template_vars_t *v, const char *name, gint64 value)
{
	char buf[32];

	g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, value);
	template_vars_set(v, name, buf);
}

template_vars_t *
template_vars_append(template_vars_t *v, const char *list)
{
	template_vars_t *item;
	value_t *val;

	g_return_val_if_fail(v != NULL && list != NULL, NULL);
	val = g_hash_table_lookup(v->values, list);
	if (val == NULL || val->list == NULL) {
		val = g_new0(value_t, 1);
		val->list = g_ptr_array_new_with_free_func(
			(GDestroyNotify)template_vars_free);
		g_hash_table_replace(v->values, g_strdup(list), val);
	}
	item = template_vars_new();
	g_ptr_array_add(val->list, item);
	return item;
}

const char *
template_vars_get(const template_vars_t *v, const char *name)
{
	const value_t *val = g_hash_table_lookup(v->values, name);

	return val != NULL ? val->str : NULL;
}

/* Rendering. */

typedef enum {
	ESC_NONE,
	ESC_HEADER,
	ESC_HTML,
} escape_t;

typedef struct {
	const template_t *tpl;
	GPtrArray *scopes; /* const template_vars_t *, outermost first */
	gsize used, max;   /* rendered bytes, over all parts */
	guint64 steps, max_steps;
	escape_t escape;
} render_t;

static const value_t *
render_lookup(const render_t *r, const char *name)
{
	for (guint i = r->scopes->len; i-- > 0;) {
		const template_vars_t *v = r->scopes->pdata[i];
		const value_t *val = g_hash_table_lookup(v->values, name);

		if (val != NULL)
			return val;
	}
	return NULL;
}

static gboolean
render_append(render_t *r, GString *out, const char *s, gsize n, guint line,
	      GError **error)
{
	if (n > r->max - r->used) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
			    "%s:%u: rendered output over the cap of %" G_GSIZE_FORMAT
			    " bytes", r->tpl->file, line, r->max);
		return FALSE;
	}
	r->used += n;
	g_string_append_len(out, s, n);
	return TRUE;
}

/* Control characters (C0, DEL, C1, the Unicode line and paragraph
 * separators) become spaces: a header value never gets a line break. */
static char *
header_clean(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));

	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(out, FALSE);
}

/* A value for a header. GMime writes encoded-word look-alikes in a value
 * as they are, so "=?utf-8?b?DQpCY2M6...?=" would reach the reader as a
 * line break after all: decode them here (a few rounds, for nesting) and
 * clean what they decoded to. New string. */
static char *
header_value(const char *s)
{
	char *v = header_clean(s);

	for (int round = 0; round < 4 && strstr(v, "=?") != NULL; round++) {
		g_autofree char *d = g_mime_utils_header_decode_text(NULL, v);
		g_autofree char *valid = g_utf8_make_valid(d, -1);
		gboolean same = strcmp(valid, v) == 0;

		g_free(v);
		v = header_clean(valid);
		if (same)
			break;
	}
	return v;
}

/* A plain addr-spec: LOCAL@DOMAIN, one '@', no space, control character
 * or RFC 5322 special that could start another address or a comment. */
static gboolean
addr_spec_valid(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return FALSE;
	for (const char *p = s; *p != '\0'; p++)
		if ((guchar)*p <= ' ' || *p == 0x7f || strchr("\"(),:;<>[\\]", *p) != NULL)
			return FALSE;
	return TRUE;
}

/* Append VALUE escaped for where node N lands. */
static gboolean
render_value(render_t *r, GString *out, const node_t *n, const char *value,
	     GError **error)
{
	g_autoptr(GString) esc = NULL;
	g_autofree char *clean = NULL;

	switch (r->escape) {
	case ESC_NONE:
		return render_append(r, out, value, strlen(value), n->line, error);
	case ESC_HTML:
		esc = g_string_sized_new(strlen(value));
		for (const char *p = value; *p != '\0'; p++) {
			switch (*p) {
			case '&': g_string_append(esc, "&amp;"); break;
			case '<': g_string_append(esc, "&lt;"); break;
			case '>': g_string_append(esc, "&gt;"); break;
			case '"': g_string_append(esc, "&quot;"); break;
			case '\'': g_string_append(esc, "&#39;"); break;
			default: g_string_append_c(esc, *p); break;
			}
		}
		return render_append(r, out, esc->str, esc->len, n->line, error);
	case ESC_HEADER:
		break;
	}
	if (n->slot == SLOT_ADDR) {
		clean = header_clean(value);
		g_strstrip(clean);
		if (*clean != '\0' && !addr_spec_valid(clean)) {
			g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
				    "%s:%u: {{%s}} is not a mail address",
				    r->tpl->file, n->line, n->text);
			return FALSE;
		}
		return render_append(r, out, clean, strlen(clean), n->line, error);
	}
	clean = header_value(value);
	if (n->slot == SLOT_PLAIN)
		return render_append(r, out, clean, strlen(clean), n->line, error);
	g_strstrip(clean);
	if (*clean == '\0')
		return TRUE;
	esc = g_string_new(n->slot == SLOT_PHRASE ? "\"" : "");
	for (const char *p = clean; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(esc, '\\');
		g_string_append_c(esc, *p);
	}
	if (n->slot == SLOT_PHRASE)
		g_string_append_c(esc, '"');
	return render_append(r, out, esc->str, esc->len, n->line, error);
}

static gboolean
render_nodes(render_t *r, GString *out, const GPtrArray *nodes, GError **error)
{
	for (guint i = 0; i < nodes->len; i++) {
		const node_t *n = nodes->pdata[i];
		const value_t *val;

		if (++r->steps > r->max_steps) {
			g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
				    "%s:%u: rendering takes too much work "
				    "(lists nested in lists?)", r->tpl->file, n->line);
			return FALSE;
		}
		if (n->kind == NODE_TEXT) {
			if (!render_append(r, out, n->text, n->len, n->line, error))
				return FALSE;
			continue;
		}
		val = render_lookup(r, n->text);
		switch (n->kind) {
		case NODE_TEXT:
			break;
		case NODE_VAR:
			if (val != NULL && val->str != NULL &&
			    !render_value(r, out, n, val->str, error))
				return FALSE;
			break;
		case NODE_SECTION:
			if (val == NULL)
				break;
			if (val->str != NULL) {
				if (*val->str != '\0' &&
				    !render_nodes(r, out, n->children, error))
					return FALSE;
				break;
			}
			for (guint k = 0; k < val->list->len; k++) {
				gboolean ok;

				g_ptr_array_add(r->scopes, val->list->pdata[k]);
				ok = render_nodes(r, out, n->children, error);
				g_ptr_array_remove_index(r->scopes, r->scopes->len - 1);
				if (!ok)
					return FALSE;
			}
			break;
		case NODE_INVERTED:
			if ((val == NULL || (val->str != NULL && *val->str == '\0') ||
			     (val->list != NULL && val->list->len == 0)) &&
			    !render_nodes(r, out, n->children, error))
				return FALSE;
			break;
		}
	}
	return TRUE;
}

/* Check and clean every mailbox of LIST (groups included): each has an
 * addr-spec, display names carry no control characters, and names are
 * encoded as UTF-8 rather than GMime's smallest charset. */
static gboolean
addresses_fix(InternetAddressList *list)
{
	for (int i = 0; i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *name = internet_address_get_name(ia);

		if (name != NULL) {
			g_autofree char *clean = header_clean(name);

			if (strcmp(clean, name) != 0)
				internet_address_set_name(ia, clean);
		}
		internet_address_set_charset(ia, "utf-8");
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (!addresses_fix(internet_address_group_get_members(
				    INTERNET_ADDRESS_GROUP(ia))))
				return FALSE;
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia));

			if (addr == NULL || !addr_spec_valid(addr))
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean
render_header(render_t *r, GMimeMessage *msg, const header_t *h, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *value = NULL;
	InternetAddressList *list;
	gboolean ok;

	r->escape = ESC_HEADER;
	if (!render_nodes(r, out, h->nodes, error))
		return FALSE;
	value = g_strstrip(g_string_free(g_steal_pointer(&out), FALSE));
	/* "Name <addr>" with every value empty leaves only punctuation:
	 * no header, as for any other header that renders empty. */
	if (h->kind == HDR_ADDRESS && value[strspn(value, " <>\",")] == '\0')
		*value = '\0';
	if (*value == '\0')
		return TRUE;
	switch (h->kind) {
	case HDR_SUBJECT:
		g_mime_message_set_subject(msg, value, "utf-8");
		break;
	case HDR_ADDRESS:
		list = internet_address_list_parse(NULL, value);
		ok = list != NULL && internet_address_list_length(list) > 0 &&
		     addresses_fix(list);
		if (ok)
			internet_address_list_append(
				g_mime_message_get_addresses(msg, h->atype), list);
		if (list != NULL)
			g_object_unref(list);
		if (!ok) {
			g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
				    "%s:%u: %s: not a list of mail addresses",
				    r->tpl->file, h->line, h->name);
			return FALSE;
		}
		break;
	case HDR_OTHER:
	case HDR_FORBIDDEN:
		g_mime_object_append_header(GMIME_OBJECT(msg), h->name, value, "utf-8");
		break;
	}
	return TRUE;
}

/* A text/SUBTYPE part in UTF-8 holding BODY, LF line ends. 7bit when it
 * can be; else quoted-printable, which g_mime_object_encode() would trade
 * for base64 on short non-ASCII text: QP keeps mail readable raw and in
 * the spool, which matters more here than a few bytes. */
static GMimeObject *
text_part(const char *subtype, const GString *body)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(body->str, body->len);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);
	GMimeContentEncoding enc;

	g_mime_part_set_content(GMIME_PART(part), content);
	g_object_unref(content);
	g_object_unref(stream);
	g_mime_text_part_set_charset(part, "utf-8");
	enc = g_mime_part_get_best_content_encoding(GMIME_PART(part),
						    GMIME_ENCODING_CONSTRAINT_7BIT);
	/* DEFAULT from that means nothing needs encoding. */
	g_mime_part_set_content_encoding(GMIME_PART(part),
					 enc == GMIME_CONTENT_ENCODING_DEFAULT ||
							 enc == GMIME_CONTENT_ENCODING_7BIT ?
						 GMIME_CONTENT_ENCODING_7BIT :
						 GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return GMIME_OBJECT(part);
}

/* Render TPL's body with ESCAPE into *OUT, line ends LF (values may carry
 * CRLF or CR). */
static gboolean
render_body(render_t *r, const template_t *tpl, escape_t escape, GString **out,
	    GError **error)
{
	g_autoptr(GString) s = g_string_new(NULL);
	gsize j = 0;

	r->tpl = tpl;
	r->escape = escape;
	if (!render_nodes(r, s, tpl->body, error))
		return FALSE;
	for (gsize i = 0; i < s->len; i++) {
		if (s->str[i] == '\r') {
			if (i + 1 < s->len && s->str[i + 1] == '\n')
				continue;
			s->str[j++] = '\n';
		} else {
			s->str[j++] = s->str[i];
		}
	}
	g_string_truncate(s, j);
	*out = g_steal_pointer(&s);
	return TRUE;
}

GMimeMessage *
template_render(const template_t *text, const template_t *html,
		const template_vars_t *vars, gsize max_output, GError **error)
{
	g_autoptr(template_vars_t) none = NULL;
	g_autoptr(GPtrArray) scopes = g_ptr_array_new();
	g_autoptr(GString) body = NULL;
	g_autoptr(GString) html_body = NULL;
	GMimeMessage *msg;
	GMimeObject *part;
	render_t r = { 0 };

	g_return_val_if_fail(text != NULL && !text->html, NULL);
	g_return_val_if_fail(html == NULL || html->html, NULL);
	/* GMime objects are built below: without g_mime_init() the first
	 * one dereferences unset parser options (found by fuzz-template). */
	mime_init();
	if (vars == NULL)
		vars = none = template_vars_new();
	g_ptr_array_add(scopes, (gpointer)vars);
	r.tpl = text;
	r.scopes = scopes;
	r.max = max_output > 0 ? max_output : TEMPLATE_MAX_OUTPUT;
	/* Every node visited may output nothing (a list in a list in a list
	 * of empty items), so the work is capped apart from the bytes. */
	r.max_steps = MAX((guint64)r.max * 4, (guint64)1 << 20);

	msg = g_mime_message_new(TRUE);
	for (guint i = 0; i < text->headers->len; i++) {
		if (!render_header(&r, msg, text->headers->pdata[i], error)) {
			g_object_unref(msg);
			return NULL;
		}
	}
	if (!render_body(&r, text, ESC_NONE, &body, error) ||
	    (html != NULL && !render_body(&r, html, ESC_HTML, &html_body, error))) {
		g_object_unref(msg);
		return NULL;
	}
	part = text_part("plain", body);
	if (html_body != NULL) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		GMimeObject *hpart = text_part("html", html_body);

		g_mime_multipart_add(alt, part);
		g_mime_multipart_add(alt, hpart);
		g_object_unref(part);
		g_object_unref(hpart);
		part = GMIME_OBJECT(alt);
	}
	g_mime_message_set_mime_part(msg, part);
	g_object_unref(part);
	return msg;
}

GBytes *
template_message_to_bytes(GMimeMessage *msg)
{
	GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
	GMimeStream *stream = g_mime_stream_mem_new();
	GByteArray *bytes;
	GBytes *out;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, stream);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	out = g_bytes_new(bytes->data, bytes->len);
	g_object_unref(stream);
	g_mime_format_options_free(fo);
	return out;
}

/* Directory sets. */

typedef struct {
	template_t *text;
	template_t *html;
} entry_t;

struct template_set {
	GHashTable *dirs[2]; /* override, installed: "lang/name" -> entry_t */
};

static void
entry_free(gpointer p)
{
	entry_t *e = p;

	template_free(e->text);
	template_free(e->html);
	g_free(e);
}

void
template_set_free(template_set_t *set)
{
	if (set == NULL)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(set->dirs); i++)
		if (set->dirs[i] != NULL)
			g_hash_table_unref(set->dirs[i]);
	g_free(set);
}

/* "de", "pt-BR", "zh_Hant_TW": a language tag as a directory name. */
static gboolean
lang_valid(const char *s)
{
	gsize n = 0;

	while (g_ascii_isalpha(s[n]))
		n++;
	if (n < 2 || n > 3)
		return FALSE;
	while (s[n] != '\0') {
		gsize k = 0;

		if (s[n] != '-' && s[n] != '_')
			return FALSE;
		n++;
		while (g_ascii_isalnum(s[n + k]))
			k++;
		if (k < 1 || k > 8)
			return FALSE;
		n += k;
	}
	return n <= 35;
}

/* LANG lower-cased with '_' as '-'. New string. */
static char *
lang_normalize(const char *lang)
{
	char *l = g_ascii_strdown(lang, -1);

	g_strdelimit(l, "_", '-');
	return l;
}

/* Read PATH, a regular file of at most MAX bytes. New string with *LEN. */
static char *
read_bounded(const char *path, gsize max, gsize *len, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	struct stat st;
	int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0) {
		int e = errno;

		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s", g_strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "not a regular file");
		close(fd);
		return NULL;
	}
	for (;;) {
		guint8 chunk[65536];
		ssize_t got = read(fd, chunk, sizeof chunk);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s", g_strerror(e));
			close(fd);
			return NULL;
		}
		if (got == 0)
			break;
		if ((gsize)got > max - buf->len) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "larger than %" G_GSIZE_FORMAT " bytes", max);
			close(fd);
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)got);
	}
	close(fd);
	*len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

static void
load_file(GHashTable *entries, const char *path, const char *lang,
	  const char *fname, GPtrArray *problems)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *data = NULL;
	g_autofree char *name = g_strndup(fname, strlen(fname) - strlen(".tmpl"));
	g_autofree char *key = NULL;
	gboolean html = g_str_has_suffix(name, ".html");
	template_t *tpl;
	entry_t *e;
	gsize len = 0;

	if (html)
		name[strlen(name) - strlen(".html")] = '\0';
	if (*name == '\0')
		return;
	data = read_bounded(path, TEMPLATE_MAX_FILE, &len, &err);
	if (data == NULL) {
		g_ptr_array_add(problems, g_strdup_printf("%s:0: %s", path, err->message));
		return;
	}
	tpl = template_parse(path, data, (gssize)len, &err);
	if (tpl == NULL) {
		g_ptr_array_add(problems, g_strdup(err->message));
		return;
	}
	key = g_strconcat(lang, "/", name, NULL);
	e = g_hash_table_lookup(entries, key);
	if (e == NULL) {
		e = g_new0(entry_t, 1);
		g_hash_table_insert(entries, g_steal_pointer(&key), e);
	}
	if (html)
		e->html = tpl;
	else
		e->text = tpl;
}

/* Load DIR (LANG "" at the top, where language subdirectories are
 * looked for) into ENTRIES. */
static void
load_dir(GHashTable *entries, const char *dir, const char *lang,
	 GPtrArray *problems)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, &err);
	const char *fname;

	if (d == NULL) {
		g_ptr_array_add(problems, g_strdup_printf("%s:0: %s", dir, err->message));
		return;
	}
	while ((fname = g_dir_read_name(d)) != NULL)
		if (fname[0] != '.')
			g_ptr_array_add(names, g_strdup(fname));
	g_dir_close(d);
	g_ptr_array_sort(names, (GCompareFunc)g_ascii_strcasecmp);
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];
		g_autofree char *path = g_build_filename(dir, n, NULL);

		if (*lang == '\0' && lang_valid(n) &&
		    g_file_test(path, G_FILE_TEST_IS_DIR)) {
			g_autofree char *l = lang_normalize(n);

			load_dir(entries, path, l, problems);
		} else if (g_str_has_suffix(n, ".tmpl") &&
			   g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			load_file(entries, path, lang, n, problems);
		}
	}
}

static int
compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

template_set_t *
template_set_load(const char *override_dir, const char *installed_dir,
		  GError **error)
{
	g_autoptr(template_set_t) set = g_new0(template_set_t, 1);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const char *dirs[2] = { override_dir, installed_dir };

	for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
		GHashTableIter it;
		gpointer value;

		set->dirs[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						     entry_free);
		if (dirs[i] == NULL)
			continue;
		load_dir(set->dirs[i], dirs[i], "", problems);
		g_hash_table_iter_init(&it, set->dirs[i]);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			entry_t *e = value;

			if (e->text == NULL)
				g_ptr_array_add(problems, g_strdup_printf(
					"%s:0: no plain-text template beside it "
					"(NAME.tmpl for NAME.html.tmpl)", e->html->file));
		}
	}
	if (problems->len > 0) {
		g_autoptr(GString) msg = g_string_new(NULL);

		g_ptr_array_sort(problems, compare_str);
		for (guint i = 0; i < problems->len; i++)
			g_string_append_printf(msg, "%s%s", i > 0 ? "\n" : "",
					       (char *)problems->pdata[i]);
		g_set_error_literal(error, PD_ERROR, PD_ERROR_CONFIG, msg->str);
		return NULL;
	}
	return g_steal_pointer(&set);
}

const template_t *
template_set_get(const template_set_t *set, const char *name, const char *lang,
		 const template_t **html)
{
	g_autofree char *l = lang_normalize(lang != NULL && strlen(lang) <= 35 ? lang : "");

	if (html != NULL)
		*html = NULL;
	for (;;) {
		g_autofree char *key = g_strconcat(l, "/", name, NULL);
		char *dash;

		for (gsize i = 0; i < G_N_ELEMENTS(set->dirs); i++) {
			const entry_t *e = g_hash_table_lookup(set->dirs[i], key);

			if (e != NULL && e->text != NULL) {
				if (html != NULL)
					*html = e->html;
				return e->text;
			}
		}
		if (*l == '\0')
			return NULL;
		dash = strrchr(l, '-');
		*(dash != NULL ? dash : l) = '\0';
	}
}

static int
compare_tpl(gconstpointer a, gconstpointer b)
{
	const template_t *x = *(const template_t *const *)a;
	const template_t *y = *(const template_t *const *)b;

	return strcmp(x->file, y->file);
}

gboolean
template_set_check(const template_set_t *set, GPtrArray *problems)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	gboolean ok = TRUE;

	for (gsize i = 0; i < G_N_ELEMENTS(set->dirs); i++) {
		GHashTableIter it;
		gpointer value;

		g_hash_table_iter_init(&it, set->dirs[i]);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			entry_t *e = value;

			if (e->text != NULL)
				g_ptr_array_add(all, e->text);
			if (e->html != NULL)
				g_ptr_array_add(all, e->html);
		}
	}
	g_ptr_array_sort(all, compare_tpl);
	for (guint i = 0; i < all->len; i++) {
		const template_t *tpl = all->pdata[i];
		gboolean subject = FALSE;

		if (!template_check(tpl, problems))
			ok = FALSE;
		if (tpl->html)
			continue;
		for (guint h = 0; h < tpl->headers->len; h++)
			subject |= ((header_t *)tpl->headers->pdata[h])->kind == HDR_SUBJECT;
		if (!subject) {
			g_ptr_array_add(problems, g_strdup_printf(
				"%s:1: no Subject header", tpl->file));
			ok = FALSE;
		}
	}
	return ok;
}
