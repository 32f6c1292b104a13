/* SPDX-License-Identifier: MIT
 * filter.c: parse the *.rules files of filters/ into compiled PCRE2
 * patterns and run them on a message. Pure but for filter_set_load_dir(),
 * which reads the directory. The rule syntax is in filter.h.
 *
 * Not here: where the values come from (ingest, `filter test`), or what
 * an outcome does to a ticket (ingest, route).
 *
 * Patterns are compiled with PCRE2_UTF | PCRE2_UCP: mail is international,
 * and without UCP "\bcafé\b" would not match "café" (é would be a
 * non-word character). PCRE2_MATCH_INVALID_UTF lets a match run on bytes
 * that are not valid UTF-8 without undefined behaviour and without the
 * validity check pcre2_match() would otherwise make over the whole
 * subject on every call (500 rules on one body). \C is refused: in UTF
 * mode it can split a character. Each pattern is JIT-compiled when PCRE2
 * can; pcre2_jit_match() then runs it. The match and depth limits bound
 * what one hostile message can cost; JIT ignores the depth limit and uses
 * its default 32 KiB stack instead, which fails just as cleanly. */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "error.h"
#include "filter.h"
#include "util.h"
#include "banned.h"

#define FILTER_NAME_MAX 128   /* group names and header names */
#define FILTER_TAG_MAX 64

typedef enum {
	FIELD_FROM,
	FIELD_FROM_NAME,
	FIELD_TO,
	FIELD_SUBJECT,
	FIELD_BODY,
	FIELD_VISIBLE,
	FIELD_LIST_ID,
	FIELD_HEADER, /* the last: header N has slot FIELD_HEADER + N */
} field_t;

static const char *const field_names[] = {
	[FIELD_FROM] = "from",
	[FIELD_FROM_NAME] = "from-name",
	[FIELD_TO] = "to",
	[FIELD_SUBJECT] = "subject",
	[FIELD_BODY] = "body",
	[FIELD_VISIBLE] = "visible",
	[FIELD_LIST_ID] = "list-id",
};

static const char *const priorities[] = {
	"low", "normal", "high", "urgent", NULL,
};

/* A literal of the prefilter (see literal_need). */
typedef struct {
	const char *text; /* folded; borrowed from rule_t.need */
	gsize len;
	guint16 *grams;   /* gram_hash() of each of its len - 2 trigrams */
} literal_t;

typedef struct {
	char *where;      /* "FILE:LINE" */
	char *text;       /* "FILE:LINE: field /pattern/flags actions" */
	char *field;      /* as written, for messages */
	guint slot;       /* field_t, or FIELD_HEADER + header index */
	gboolean negate;
	pcre2_code *code;
	gboolean jit;
	char **need;      /* folded literals, one of which a value must
			   * hold; NULL when none is known */
	literal_t *lits;  /* the same with their trigrams, n_lits of them */
	guint n_lits;
	char *group, *priority, *assign; /* NULL when not set */
	gint64 tier;                     /* 0 when not set */
	GPtrArray *tags, *cc;            /* char *, never NULL */
	gboolean drop, spam, noack, stop;
} rule_t;

struct filter_set {
	filter_limits_t lim;
	GPtrArray *rules;   /* rule_t * in evaluation order */
	GPtrArray *headers; /* char *: lower-case names of header:NAME fields */
	pcre2_compile_context *cctx;
	pcre2_match_context *mctx;
};

void
filter_limits_init(filter_limits_t *lim)
{
	lim->match_limit = 1000000;
	lim->depth_limit = 10000;
	lim->max_rules = 10000;
	lim->max_line = 8192;
	lim->max_file_size = 1024 * 1024;
	lim->max_files = 1000;
	/* POSTDESK_NO_JIT: for valgrind, which cannot follow JIT code
	 * (tests/lib.sh sets it under PD_VALGRIND). */
	lim->jit = g_getenv("POSTDESK_NO_JIT") == NULL;
	lim->prefilter = TRUE;
}

static void
rule_free(gpointer p)
{
	rule_t *r = p;

	g_free(r->where);
	g_free(r->text);
	g_free(r->field);
	pcre2_code_free(r->code);
	for (guint i = 0; i < r->n_lits; i++)
		g_free(r->lits[i].grams);
	g_free(r->lits);
	g_strfreev(r->need);
	g_free(r->group);
	g_free(r->priority);
	g_free(r->assign);
	g_ptr_array_unref(r->tags);
	g_ptr_array_unref(r->cc);
	g_free(r);
}

filter_set_t *
filter_set_new(const filter_limits_t *lim)
{
	filter_set_t *set = g_new0(filter_set_t, 1);

	if (lim != NULL)
		set->lim = *lim;
	else
		filter_limits_init(&set->lim);
	set->rules = g_ptr_array_new_with_free_func(rule_free);
	set->headers = g_ptr_array_new_with_free_func(g_free);
	set->cctx = pcre2_compile_context_create(NULL);
	set->mctx = pcre2_match_context_create(NULL);
	if (set->cctx == NULL || set->mctx == NULL)
		g_error("pcre2: out of memory");
	/* A rule line bounds the pattern already; this keeps PCRE2 from
	 * being asked for more even if max_line is raised. */
	pcre2_set_max_pattern_length(set->cctx, set->lim.max_line);
	pcre2_set_match_limit(set->mctx, set->lim.match_limit);
	pcre2_set_depth_limit(set->mctx, set->lim.depth_limit);
	return set;
}

void
filter_set_free(filter_set_t *set)
{
	if (set == NULL)
		return;
	g_ptr_array_unref(set->rules);
	g_ptr_array_unref(set->headers);
	pcre2_compile_context_free(set->cctx);
	pcre2_match_context_free(set->mctx);
	g_free(set);
}

guint
filter_set_count(const filter_set_t *set)
{
	return set->rules->len;
}

const char *
filter_set_rule_text(const filter_set_t *set, guint index)
{
	g_assert(index < set->rules->len);
	return ((rule_t *)set->rules->pdata[index])->text;
}

const char *const *
filter_set_rule_literals(const filter_set_t *set, guint index)
{
	g_assert(index < set->rules->len);
	return (const char *const *)((rule_t *)set->rules->pdata[index])->need;
}

/* Parsing. A line is a slice [p, end) walked with a cursor; problems are
 * collected per line so one line can report several. */

typedef struct {
	filter_set_t *set;
	const char *where;   /* "FILE:LINE" of the line at hand */
	GPtrArray *problems;
	guint count;         /* problems added for this line */
} parser_t;

static void G_GNUC_PRINTF(2, 3)
problem(parser_t *ps, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(ps->problems, g_strdup_printf("%s: %s", ps->where, msg));
	ps->count++;
}

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_blank(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

static const char *
token_end(const char *p, const char *end)
{
	while (p < end && !is_blank(*p))
		p++;
	return p;
}

/* The slot of header NAME (lower-cased), adding it on first use. */
static guint
header_slot(filter_set_t *set, const char *name, gsize len)
{
	g_autofree char *lower = g_ascii_strdown(name, (gssize)len);

	for (guint i = 0; i < set->headers->len; i++)
		if (strcmp(set->headers->pdata[i], lower) == 0)
			return FIELD_HEADER + i;
	g_ptr_array_add(set->headers, g_steal_pointer(&lower));
	return FIELD_HEADER + set->headers->len - 1;
}

/* RFC 5322 2.2: a field name is printable US-ASCII but ':'. */
static gboolean
header_name_valid(const char *name, gsize len)
{
	if (len == 0 || len > FILTER_NAME_MAX)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (name[i] < 33 || name[i] > 126 || name[i] == ':')
			return FALSE;
	return TRUE;
}

static gboolean
parse_field(parser_t *ps, rule_t *r, const char *p, const char *end)
{
	gsize len = (gsize)(end - p);

	r->field = g_strndup(p, len);
	if (g_str_has_prefix(r->field, "header:")) {
		const char *name = r->field + strlen("header:");

		if (!header_name_valid(name, strlen(name))) {
			problem(ps, "bad header name '%s' (printable ASCII but ':', "
				"1 to %d characters)", name, FILTER_NAME_MAX);
			return FALSE;
		}
		r->slot = header_slot(ps->set, name, strlen(name));
		return TRUE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(field_names); i++) {
		if (strcmp(r->field, field_names[i]) == 0) {
			r->slot = i;
			return TRUE;
		}
	}
	problem(ps, "unknown field '%s' (from, from-name, to, subject, body, "
		"visible, list-id, header:NAME)", r->field);
	return FALSE;
}

/* The literal prefilter. Most rules look for a word or a domain, and a
 * pattern that needs "invoice" cannot match a text without it. Finding
 * that out with memmem() on a case-folded copy of the text costs a tenth
 * of what running the caseless pattern does (PCRE2 JIT tries a match at
 * every 'i' or 'I'), and the copy is made once per value, not per rule.
 *
 * literal_need() reads a pattern for ASCII text that every match must
 * contain: the longest run of literal characters outside groups, or,
 * failing that, a group (?:a|b|c) of literal alternatives. It gives up
 * (no prefilter) on whatever it does not fully understand: a top-level
 * '|', \Q, (*VERB) anywhere, extended mode. Quantified characters and
 * groups are left out of runs. Runs are folded to lower case, and so is
 * the text:
 * with PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS an ASCII character matches
 * only itself, its other case, U+017F (matching 's') and U+212A ('k'),
 * which fold_value() folds too; test-filter.c checks this on every code
 * point. The prefilter only ever skips a pattern that could not match. */

#define LITERAL_MIN 3   /* shorter runs rarely rule a text out */

/* Index past the quantifier at P[I] ("?", "*", "+", "{n,m}", with a
 * lazy or possessive suffix), or I when there is none. */
static gsize
skip_quantifier(const char *p, gsize n, gsize i)
{
	gsize j = i;

	if (i < n && (p[i] == '?' || p[i] == '*' || p[i] == '+')) {
		j = i + 1;
	} else if (i < n && p[i] == '{') {
		/* Digits, commas and spaces: a quantifier in some PCRE2
		 * version; anything else makes the brace a literal. */
		j = i + 1;
		while (j < n && (g_ascii_isdigit(p[j]) || p[j] == ',' || p[j] == ' '))
			j++;
		if (j >= n || p[j] != '}' || j == i + 1)
			return i;
		j++;
	}
	if (j > i && j < n && (p[j] == '?' || p[j] == '+'))
		j++;
	return j;
}

/* Index past the character class opening at P[I], or 0 when it does not
 * end (cannot happen in a pattern PCRE2 compiled). */
static gsize
skip_class(const char *p, gsize n, gsize i)
{
	gsize j = i + 1;

	if (j < n && p[j] == '^')
		j++;
	if (j < n && p[j] == ']')
		j++;
	while (j < n && p[j] != ']') {
		if (p[j] == '\\') {
			j += 2;
		} else if (p[j] == '[' && j + 1 < n && strchr(":.=", p[j + 1]) != NULL) {
			const char *close = g_strstr_len(p + j + 2, (gssize)(n - j - 2), ":]");

			if (close == NULL)
				return 0;
			j = (gsize)(close - p) + 2;
		} else {
			j++;
		}
	}
	return j < n ? j + 1 : 0;
}

/* Index past the escape at P[I] ('\\'), its argument included ("\x{41}",
 * "\p{Lu}", "\k<name>", "\cA", "\12"). */
static gsize
skip_escape(const char *p, gsize n, gsize i)
{
	gsize j = i + 2;
	char e;
	const char *close;

	if (i + 1 >= n)
		return n;
	e = p[i + 1];
	if (j < n && strchr("{<'", p[j]) != NULL && strchr("xopPNgk", e) != NULL) {
		char want = p[j] == '{' ? '}' : p[j] == '<' ? '>' : '\'';

		close = memchr(p + j + 1, want, n - j - 1);
		return close != NULL ? (gsize)(close - p) + 1 : n;
	}
	if (e == 'c' || e == 'p' || e == 'P')
		return MIN(j + 1, n);
	if (e == 'g' && j < n && (p[j] == '-' || p[j] == '+'))
		j++;
	if (e == 'x') {
		while (j < n && j < i + 4 && g_ascii_isxdigit(p[j]))
			j++;
	} else if (g_ascii_isdigit(e) || e == 'o' || e == 'g') {
		while (j < n && g_ascii_isdigit(p[j]))
			j++;
	}
	return j;
}

/* Index of the ')' closing the group opening at P[I], or 0 when the
 * group holds something literal_need() does not read (\Q). */
static gsize
group_close(const char *p, gsize n, gsize i)
{
	guint depth = 0;

	if (i + 2 < n && p[i + 1] == '?' && p[i + 2] == '#') {
		const char *close = memchr(p + i, ')', n - i);

		return close != NULL ? (gsize)(close - p) : 0;
	}
	for (gsize j = i; j < n;) {
		if (p[j] == '\\') {
			if (j + 1 < n && (p[j + 1] == 'Q' || p[j + 1] == 'E'))
				return 0;
			j += 2;
		} else if (p[j] == '[') {
			j = skip_class(p, n, j);
			if (j == 0)
				return 0;
		} else if (p[j] == '(') {
			depth++;
			j++;
		} else if (p[j] == ')') {
			if (--depth == 0)
				return j;
			j++;
		} else {
			j++;
		}
	}
	return 0;
}

/* The literal alternatives of the group P[START..END) ("a|bc|d", the
 * inside of (?:...) or (...)), folded; NULL unless every alternative is
 * LITERAL_MIN or more plain ASCII characters. */
static char **
group_alternatives(const char *p, gsize start, gsize end)
{
	g_autoptr(GPtrArray) alts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) cur = g_string_new(NULL);

	for (gsize j = start; j <= end; j++) {
		if (j == end || p[j] == '|') {
			if (cur->len < LITERAL_MIN)
				return NULL;
			g_ptr_array_add(alts, g_strdup(cur->str));
			g_string_truncate(cur, 0);
		} else if (p[j] == '\\' && j + 1 < end && !g_ascii_isalnum(p[j + 1]) &&
			   (guchar)p[j + 1] < 0x80) {
			g_string_append_c(cur, p[++j]);
		} else if (g_ascii_isalnum(p[j]) ||
			   strchr(" @-_:#%&=~,;'\"!<>", p[j]) != NULL) {
			g_string_append_c(cur, g_ascii_tolower(p[j]));
		} else {
			return NULL;
		}
	}
	g_ptr_array_add(alts, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&alts), FALSE);
}

/* Is P[I] "(?" followed by option letters and ')' or ':', one of them x? */
static gboolean
sets_extended(const char *p, gsize n, gsize i)
{
	gboolean x = FALSE;
	gsize j;

	if (i + 1 >= n || p[i + 1] != '?')
		return FALSE;
	for (j = i + 2; j < n && (g_ascii_isalpha(p[j]) || strchr("-^", p[j])); j++)
		x = x || p[j] == 'x';
	return x && j < n && (p[j] == ')' || p[j] == ':');
}

/* Keep RUN in *BEST when it is the longest so far; empty RUN. */
static void
run_end(GString *run, char **best)
{
	if (run->len >= LITERAL_MIN && (*best == NULL || run->len > strlen(*best))) {
		g_free(*best);
		*best = g_strdup(run->str);
	}
	g_string_truncate(run, 0);
}

/* What every match of the pattern P (N bytes, compiled without
 * PCRE2_EXTENDED) must contain: a NULL-terminated list of folded strings,
 * one of which must occur; NULL when nothing is known. New, g_strfreev. */
static char **
literal_need(const char *p, gsize n)
{
	g_autoptr(GString) run = g_string_new(NULL);
	g_autofree char *best = NULL;
	g_auto(GStrv) alts = NULL;
	gsize next;

	/* (*ACCEPT) ends a match wherever it stands, even inside a group. */
	if (g_strstr_len(p, (gssize)n, "(*") != NULL)
		return NULL;
	for (gsize i = 0; i < n; i = MAX(next, skip_quantifier(p, n, next))) {
		char c = p[i];
		gboolean literal = FALSE;

		if (c == '\\' && i + 1 < n && (p[i + 1] == 'Q' || p[i + 1] == 'E')) {
			return NULL;
		} else if (c == '\\' && i + 1 < n && (guchar)p[i + 1] < 0x80 &&
			   !g_ascii_isalnum(p[i + 1])) {
			c = p[i + 1];
			next = i + 2;
			literal = TRUE;
		} else if (c == '\\') {
			next = skip_escape(p, n, i);
		} else if (c == '[') {
			next = skip_class(p, n, i);
			if (next == 0)
				return NULL;
		} else if (c == '(') {
			gsize close = group_close(p, n, i);

			if (close == 0 || sets_extended(p, n, i))
				return NULL;
			next = close + 1;
			if (alts == NULL && skip_quantifier(p, n, next) == next) {
				if (p[i + 1] != '?')
					alts = group_alternatives(p, i + 1, close);
				else if (p[i + 2] == ':')
					alts = group_alternatives(p, i + 3, close);
			}
		} else if (c == '|') {
			return NULL;
		} else if (c == '{' && skip_quantifier(p, n, i) > i) {
			next = skip_quantifier(p, n, i);
		} else if ((guchar)c < 0x80 && strchr(".^$?*+", c) == NULL) {
			next = i + 1;
			literal = TRUE;
		} else {
			next = i + 1;
		}
		/* A quantified character may be absent or repeated: it ends
		 * the run and is not part of it. */
		if (literal && skip_quantifier(p, n, next) == next)
			g_string_append_c(run, g_ascii_tolower(c));
		else
			run_end(run, &best);
	}
	run_end(run, &best);
	if (best != NULL) {
		char **one = g_new0(char *, 2);

		one[0] = g_steal_pointer(&best);
		return one;
	}
	return g_steal_pointer(&alts);
}

/* A value's trigrams go into a table of GRAM_BITS bits, so that a literal
 * with a trigram the value lacks is ruled out in a few nanoseconds; only
 * when all are there (or collide) does memmem() look. 8192 bits keep the
 * table sparse for texts of a few KiB, the usual mail. */
#define GRAM_BITS 8192

static inline guint
gram_hash(guchar a, guchar b, guchar c)
{
	return (((guint32)a * 0x9e3779b1u) ^ ((guint32)b * 0x85ebca77u) ^
		((guint32)c * 0xc2b2ae3du)) >> (32 - 13);
}

/* Set NEED (new, taken) as R's literals. */
static void
literals_set(rule_t *r, char **need)
{
	r->need = need;
	r->n_lits = need != NULL ? g_strv_length(need) : 0;
	r->lits = g_new0(literal_t, r->n_lits);
	for (guint i = 0; i < r->n_lits; i++) {
		literal_t *l = &r->lits[i];
		const guchar *t = (const guchar *)need[i];

		l->text = need[i];
		l->len = strlen(need[i]);
		l->grams = g_new(guint16, l->len - 2);
		for (gsize j = 0; j + 2 < l->len; j++)
			l->grams[j] = (guint16)gram_hash(t[j], t[j + 1], t[j + 2]);
	}
}

/* VALUE (LEN bytes) with ASCII upper case, U+017F and U+212A folded to
 * lower-case ASCII; other bytes as they are. New string. */
static char *
fold_value(const char *value, gsize len, gsize *out_len)
{
	char *out = g_malloc(len + 1);
	gsize o = 0;

	for (gsize i = 0; i < len; i++) {
		guchar b = (guchar)value[i];

		if (b == 0xc5 && i + 1 < len && (guchar)value[i + 1] == 0xbf) {
			out[o++] = 's';
			i++;
		} else if (b == 0xe2 && i + 2 < len && (guchar)value[i + 1] == 0x84 &&
			   (guchar)value[i + 2] == 0xaa) {
			out[o++] = 'k';
			i += 2;
		} else {
			out[o++] = (char)(b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* The pattern starting at *P ('/' expected, '!' before it allowed). On
 * success *P is past the flags. */
static gboolean
parse_pattern(parser_t *ps, rule_t *r, const char **pp, const char *end)
{
	const char *p = *pp, *q;
	guint32 options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF |
			  PCRE2_NEVER_BACKSLASH_C;
	int errcode = 0;
	PCRE2_SIZE erroffset = 0;
	gboolean ok = TRUE;

	if (p < end && *p == '!') {
		r->negate = TRUE;
		p++;
	}
	if (p >= end || *p != '/') {
		g_autofree char *found = g_strndup(p, (gsize)(token_end(p, end) - p));

		if (*found == '\0' && r->negate)
			problem(ps, "'!' goes right before the pattern: !/PATTERN/");
		else if (*found == '\0')
			problem(ps, "no pattern after '%s' (expected /PATTERN/)", r->field);
		else
			problem(ps, "expected /PATTERN/ after '%s%s', found '%s'",
				r->field, r->negate ? " !" : "", found);
		return FALSE;
	}
	/* A backslash escapes the next character, so "\/" stays in the
	 * pattern (PCRE2 reads it as '/') and "\\/" ends it. */
	for (q = p + 1; q < end && *q != '/'; q++)
		if (*q == '\\' && q + 1 < end)
			q++;
	if (q >= end) {
		problem(ps, "pattern not closed: no '/' after '%.*s' (write a '/' "
			"inside the pattern as '\\/')", (int)(end - p), p);
		return FALSE;
	}
	for (*pp = q + 1; *pp < end && !is_blank(**pp); *pp = g_utf8_next_char(*pp)) {
		switch (**pp) {
		case 'i': options |= PCRE2_CASELESS; break;
		case 'm': options |= PCRE2_MULTILINE; break;
		case 's': options |= PCRE2_DOTALL; break;
		case 'x': options |= PCRE2_EXTENDED; break;
		case 'u': break; /* UTF and UCP are always on */
		default:
			problem(ps, "unknown flag '%.*s' (i, m, s, x, u)",
				(int)(g_utf8_next_char(*pp) - *pp), *pp);
			ok = FALSE;
		}
	}
	if (!ok)
		return FALSE;
	r->code = pcre2_compile((PCRE2_SPTR)(p + 1), (PCRE2_SIZE)(q - p - 1), options,
				&errcode, &erroffset, ps->set->cctx);
	if (r->code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof msg);
		problem(ps, "error at offset %zu: %s", (size_t)erroffset, (char *)msg);
		return FALSE;
	}
	/* Without JIT support (some architectures, or SELinux refusing
	 * executable memory) the interpreter runs the pattern instead. */
	r->jit = ps->set->lim.jit &&
		 pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	if (ps->set->lim.prefilter && (options & PCRE2_EXTENDED) == 0)
		literals_set(r, literal_need(p + 1, (gsize)(q - p - 1)));
	return TRUE;
}

/* Letters, digits and - _ . : + / of any script: safe on a command line,
 * in a URL path and in JSON. */
static gboolean
tag_valid(const char *tag)
{
	if (*tag == '\0' || strlen(tag) > FILTER_TAG_MAX)
		return FALSE;
	for (const char *p = tag; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (!g_unichar_isalnum(c) && (c >= 0x80 || strchr("-_.:+/", (int)c) == NULL))
			return FALSE;
	}
	return TRUE;
}

/* Set the single-valued action KEY to VALUE in *SLOT, once per rule. */
static gboolean
set_once(parser_t *ps, char **slot, const char *key, const char *value)
{
	if (*slot != NULL) {
		problem(ps, "%s= given twice", key);
		return FALSE;
	}
	*slot = g_strdup(value);
	return TRUE;
}

static gboolean
parse_action(parser_t *ps, rule_t *r, const char *tok)
{
	static const char *const keys[] = {
		"group", "priority", "tier", "assign", "tag", "cc", NULL,
	};
	const char *eq = strchr(tok, '=');
	g_autofree char *key = g_strndup(tok, eq != NULL ? (gsize)(eq - tok) : strlen(tok));
	const char *value = eq != NULL ? eq + 1 : NULL;
	g_autofree char *addr = NULL;
	gint64 tier = 0;

	if (value == NULL) {
		gboolean *flag = strcmp(tok, "drop") == 0 ? &r->drop :
				 strcmp(tok, "spam") == 0 ? &r->spam :
				 strcmp(tok, "noack") == 0 ? &r->noack :
				 strcmp(tok, "stop") == 0 ? &r->stop : NULL;

		if (flag == NULL) {
			problem(ps, "unknown action '%s'", tok);
			return FALSE;
		}
		*flag = TRUE;
		return TRUE;
	}
	if (!g_strv_contains(keys, key)) {
		problem(ps, "unknown action '%s'", tok);
		return FALSE;
	}
	if (*value == '\0') {
		problem(ps, "%s= needs a value", key);
		return FALSE;
	}
	if (strcmp(key, "group") == 0) {
		if (strlen(value) > FILTER_NAME_MAX) {
			problem(ps, "group=%s: longer than %d bytes", value, FILTER_NAME_MAX);
			return FALSE;
		}
		return set_once(ps, &r->group, key, value);
	}
	if (strcmp(key, "priority") == 0) {
		if (!g_strv_contains(priorities, value)) {
			problem(ps, "priority=%s: not one of low, normal, high, urgent", value);
			return FALSE;
		}
		return set_once(ps, &r->priority, key, value);
	}
	if (strcmp(key, "tier") == 0) {
		if (!util_parse_int(value, 1, 4, &tier)) {
			problem(ps, "tier=%s: not a tier from 1 to 4", value);
			return FALSE;
		}
		if (r->tier != 0) {
			problem(ps, "tier= given twice");
			return FALSE;
		}
		r->tier = tier;
		return TRUE;
	}
	if (strcmp(key, "tag") == 0) {
		if (!tag_valid(value)) {
			problem(ps, "tag=%s: a tag is 1 to %d bytes of letters, digits "
				"and - _ . : + /", value, FILTER_TAG_MAX);
			return FALSE;
		}
		g_ptr_array_add(r->tags, g_strdup(value));
		return TRUE;
	}
	/* assign= and cc= */
	addr = util_address_normalize(value);
	if (addr == NULL) {
		problem(ps, "%s=%s: not a mail address", key, value);
		return FALSE;
	}
	if (strcmp(key, "assign") == 0)
		return set_once(ps, &r->assign, key, addr);
	g_ptr_array_add(r->cc, g_steal_pointer(&addr));
	return TRUE;
}

/* Parse the rule in [P, END) (not blank, not a comment). A new rule, or
 * NULL when the line has problems. The actions are checked after a bad
 * field or pattern too, so one run reports everything wrong with a line;
 * only an unclosed pattern hides where they start. */
static rule_t *
parse_rule(parser_t *ps, const char *p, const char *end)
{
	rule_t *r = g_new0(rule_t, 1);
	const char *tok_end = token_end(p, end);
	const char *pat;
	guint actions = 0;
	g_autoptr(GString) text = g_string_new(ps->where);

	r->tags = g_ptr_array_new_with_free_func(g_free);
	r->cc = g_ptr_array_new_with_free_func(g_free);
	parse_field(ps, r, p, tok_end);
	pat = p = skip_blank(tok_end, end);
	if (!parse_pattern(ps, r, &p, end) && p == pat) {
		rule_free(r);
		return NULL;
	}
	g_string_append_printf(text, ": %s %.*s", r->field, (int)(p - pat), pat);
	for (p = skip_blank(p, end); p < end; p = skip_blank(tok_end, end)) {
		g_autofree char *tok = NULL;

		tok_end = token_end(p, end);
		tok = g_strndup(p, (gsize)(tok_end - p));
		parse_action(ps, r, tok);
		g_string_append_printf(text, " %s", tok);
		actions++;
	}
	if (actions == 0)
		problem(ps, "no action after the pattern (group=, priority=, tier=, "
			"assign=, tag=, cc=, drop, spam, noack, stop)");
	if (ps->count > 0) {
		rule_free(r);
		return NULL;
	}
	r->where = g_strdup(ps->where);
	r->text = g_string_free(g_steal_pointer(&text), FALSE);
	return r;
}

gboolean
filter_set_add_text(filter_set_t *set, const char *file, const char *text,
		    GPtrArray *problems)
{
	guint before = problems->len;
	const char *p = text;

	for (guint line = 1; *p != '\0'; line++) {
		const char *nl = strchr(p, '\n');
		const char *end = nl != NULL ? nl : p + strlen(p);
		const char *next = nl != NULL ? nl + 1 : end;
		g_autofree char *where = g_strdup_printf("%s:%u", file, line);
		parser_t ps = { set, where, problems, 0 };
		rule_t *r;

		if (end > p && end[-1] == '\r')
			end--;
		if ((gsize)(end - p) > set->lim.max_line) {
			problem(&ps, "line longer than %" G_GSIZE_FORMAT " bytes",
				set->lim.max_line);
			p = next;
			continue;
		}
		if (!g_utf8_validate(p, end - p, NULL)) {
			problem(&ps, "not valid UTF-8");
			p = next;
			continue;
		}
		p = skip_blank(p, end);
		if (p == end || *p == '#') {
			p = next;
			continue;
		}
		if (set->rules->len >= set->lim.max_rules) {
			problem(&ps, "more than %" G_GSIZE_FORMAT " rules", set->lim.max_rules);
			break;
		}
		r = parse_rule(&ps, p, end);
		if (r != NULL)
			g_ptr_array_add(set->rules, r);
		p = next;
	}
	return problems->len == before;
}

/* Read one rules file into SET; problems as "PATH:LINE: ...". */
static void
load_file(filter_set_t *set, const char *path, GPtrArray *problems)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *text = NULL;
	const char *data;
	gsize len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		g_ptr_array_add(problems,
				g_strdup_printf("%s:0: %s", path, g_strerror(errno)));
		return;
	}
	bytes = util_read_fd(fd, set->lim.max_file_size, NULL, &err);
	close(fd);
	if (bytes == NULL) {
		g_ptr_array_add(problems, g_strdup_printf("%s:0: %s", path, err->message));
		return;
	}
	data = g_bytes_get_data(bytes, &len);
	if (len > 0 && memchr(data, '\0', len) != NULL) {
		g_ptr_array_add(problems, g_strdup_printf("%s:0: holds a NUL byte: not a "
							  "rules file", path));
		return;
	}
	text = g_strndup(data, len);
	filter_set_add_text(set, path, text, problems);
}

static int
compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

filter_set_t *
filter_set_load_dir(const char *dir, const filter_limits_t *lim, GError **error)
{
	g_autoptr(filter_set_t) set = filter_set_new(lim);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;
	GDir *d = g_dir_open(dir, 0, &err);
	const char *name;

	if (d == NULL) {
		if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&set);
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s:0: %s", dir, err->message);
		return NULL;
	}
	while ((name = g_dir_read_name(d)) != NULL && names->len <= set->lim.max_files)
		if (name[0] != '.' && g_str_has_suffix(name, ".rules"))
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	if (names->len > set->lim.max_files) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s:0: more than %" G_GSIZE_FORMAT " *.rules files", dir,
			    set->lim.max_files);
		return NULL;
	}
	/* strcmp is the C locale's order: "10-a" before "9-b" before "a". */
	g_ptr_array_sort(names, compare_str);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			load_file(set, path, problems);
	}
	if (problems->len > 0) {
		g_autofree char *msg = NULL;

		g_ptr_array_add(problems, NULL);
		msg = g_strjoinv("\n", (char **)problems->pdata);
		g_set_error_literal(error, PD_ERROR, PD_ERROR_CONFIG, msg);
		return NULL;
	}
	return g_steal_pointer(&set);
}

static gboolean
address_listed(const char *addr, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (util_address_equal(addr, *list))
			return TRUE;
	return FALSE;
}

gboolean
filter_set_validate(const filter_set_t *set, const char *const *groups,
		    const char *const *members, GPtrArray *problems)
{
	guint before = problems->len;

	for (guint i = 0; i < set->rules->len; i++) {
		const rule_t *r = set->rules->pdata[i];

		if (r->group != NULL &&
		    (groups == NULL || !g_strv_contains(groups, r->group)))
			g_ptr_array_add(problems, g_strdup_printf("%s: unknown group '%s'",
								  r->where, r->group));
		if (r->assign != NULL && !address_listed(r->assign, members))
			g_ptr_array_add(problems, g_strdup_printf("%s: unknown member '%s'",
								  r->where, r->assign));
	}
	return problems->len == before;
}

void
filter_outcome_init(filter_outcome_t *out)
{
	memset(out, 0, sizeof *out);
	out->tags = g_ptr_array_new_with_free_func(g_free);
	out->cc = g_ptr_array_new_with_free_func(g_free);
	out->matched = g_ptr_array_new_with_free_func(g_free);
	out->errors = g_ptr_array_new_with_free_func(g_free);
}

void
filter_outcome_clear(filter_outcome_t *out)
{
	g_free(out->group);
	g_free(out->priority);
	g_free(out->assign);
	g_clear_pointer(&out->tags, g_ptr_array_unref);
	g_clear_pointer(&out->cc, g_ptr_array_unref);
	g_clear_pointer(&out->matched, g_ptr_array_unref);
	g_clear_pointer(&out->errors, g_ptr_array_unref);
	memset(out, 0, sizeof *out);
}

/* A value as the prefilter reads it. */
typedef struct {
	char *text;  /* fold_value() of the value */
	gsize len;
	guint64 grams[GRAM_BITS / 64];
} folded_t;

static folded_t *
folded_new(const char *value, gsize len)
{
	folded_t *f = g_new0(folded_t, 1);
	const guchar *t;

	f->text = fold_value(value, len, &f->len);
	t = (const guchar *)f->text;
	for (gsize j = 0; j + 2 < f->len; j++) {
		guint h = gram_hash(t[j], t[j + 1], t[j + 2]);

		f->grams[h / 64] |= G_GUINT64_CONSTANT(1) << (h % 64);
	}
	return f;
}

/* Evaluation. The values of each field are gathered once per evaluation,
 * on first use, with their lengths: a header is asked for once however
 * many rules read it, and strlen() of a body runs once, not per rule. */

typedef struct {
	gboolean ready;
	guint n;
	const char **values;
	gsize *lens;
	GPtrArray *owned;      /* header values from the callback, or NULL */
	const char *one;       /* storage for single-valued fields */
	gsize one_len;
	folded_t **folded;     /* of each value, made on first use */
} slot_t;

static void
slot_set(slot_t *s, const char *const *values, guint n)
{
	if (n == 1) {
		s->one = values[0];
		s->one_len = strlen(values[0]);
		s->values = &s->one;
		s->lens = &s->one_len;
	} else if (n > 1) {
		s->values = g_new(const char *, n);
		s->lens = g_new(gsize, n);
		for (guint i = 0; i < n; i++) {
			s->values[i] = values[i];
			s->lens[i] = strlen(values[i]);
		}
	}
	s->n = n;
	s->ready = TRUE;
}

static void
slot_fill(const filter_set_t *set, const filter_input_t *in, guint index,
	  slot_t *s)
{
	const char *single = NULL;

	switch (index) {
	case FIELD_FROM: single = in->from; break;
	case FIELD_FROM_NAME: single = in->from_name; break;
	case FIELD_SUBJECT: single = in->subject; break;
	case FIELD_BODY: single = in->body; break;
	case FIELD_VISIBLE: single = in->visible; break;
	case FIELD_LIST_ID: single = in->list_id; break;
	case FIELD_TO:
		slot_set(s, in->to, in->to != NULL ? g_strv_length((char **)in->to) : 0);
		return;
	default:
		if (in->headers != NULL)
			s->owned = in->headers(in->headers_ctx,
					       set->headers->pdata[index - FIELD_HEADER]);
		if (s->owned != NULL)
			slot_set(s, (const char *const *)s->owned->pdata, s->owned->len);
		else
			slot_set(s, NULL, 0);
		return;
	}
	if (single == NULL)
		single = "";
	slot_set(s, &single, 1);
}

static void
slot_clear(slot_t *s)
{
	if (s->n > 1) {
		g_free(s->values);
		g_free(s->lens);
	}
	if (s->owned != NULL)
		g_ptr_array_unref(s->owned);
	if (s->folded != NULL) {
		for (guint i = 0; i < s->n; i++) {
			if (s->folded[i] != NULL)
				g_free(s->folded[i]->text);
			g_free(s->folded[i]);
		}
		g_free(s->folded);
	}
}

/* Can value I of S hold one of the literals of R? FALSE only when not. */
static gboolean
slot_may_hold(slot_t *s, guint i, const rule_t *r)
{
	folded_t *f;

	if (s->folded == NULL)
		s->folded = g_new0(folded_t *, s->n);
	if (s->folded[i] == NULL)
		s->folded[i] = folded_new(s->values[i], s->lens[i]);
	f = s->folded[i];
	for (guint k = 0; k < r->n_lits; k++) {
		const literal_t *l = &r->lits[k];
		gboolean grams = l->len <= f->len;

		for (gsize j = 0; grams && j + 2 < l->len; j++)
			grams = (f->grams[l->grams[j] / 64] >> (l->grams[j] % 64)) & 1;
		if (grams && memmem(f->text, f->len, l->text, l->len) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Does R match the values of S? TRUE or FALSE, with a PCRE2 failure
 * (limits) appended to ERRORS and counted as no match. */
static gboolean
rule_matches(const filter_set_t *set, const rule_t *r, slot_t *s,
	     pcre2_match_data *md, GPtrArray *errors)
{
	for (guint i = 0; i < s->n; i++) {
		PCRE2_SPTR subject = (PCRE2_SPTR)s->values[i];
		int rc;

		if (r->n_lits > 0 && !slot_may_hold(s, i, r))
			continue;
		if (r->jit)
			rc = pcre2_jit_match(r->code, subject, s->lens[i], 0, 0, md,
					     set->mctx);
		else
			rc = pcre2_match(r->code, subject, s->lens[i], 0, 0, md,
					 set->mctx);
		if (rc >= 0)
			return !r->negate;
		if (rc != PCRE2_ERROR_NOMATCH) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(rc, msg, sizeof msg);
			g_ptr_array_add(errors, g_strdup_printf("%s: %s in %s", r->where,
								(char *)msg, r->field));
			return FALSE;
		}
	}
	return r->negate;
}

static void
add_unique(GPtrArray *to, GPtrArray *from)
{
	for (guint i = 0; i < from->len; i++)
		if (!g_ptr_array_find_with_equal_func(to, from->pdata[i], g_str_equal, NULL))
			g_ptr_array_add(to, g_strdup(from->pdata[i]));
}

static void
replace_str(char **slot, const char *value)
{
	if (value != NULL) {
		g_free(*slot);
		*slot = g_strdup(value);
	}
}

static void
apply(const rule_t *r, filter_outcome_t *out)
{
	replace_str(&out->group, r->group);
	replace_str(&out->priority, r->priority);
	replace_str(&out->assign, r->assign);
	if (r->tier != 0)
		out->tier = r->tier;
	add_unique(out->tags, r->tags);
	add_unique(out->cc, r->cc);
	out->drop |= r->drop;
	out->spam |= r->spam;
	out->noack |= r->noack;
	g_ptr_array_add(out->matched, g_strdup(r->where));
}

void
filter_eval(const filter_set_t *set, const filter_input_t *in,
	    filter_outcome_t *out)
{
	guint nslots = FIELD_HEADER + set->headers->len;
	g_autofree slot_t *slots = g_new0(slot_t, nslots);
	/* Per evaluation, not per set, so that one set serves several
	 * threads; one pair is enough, no capture is read. */
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);

	if (md == NULL)
		g_error("pcre2: out of memory");
	for (guint i = 0; i < set->rules->len; i++) {
		const rule_t *r = set->rules->pdata[i];
		slot_t *s = &slots[r->slot];

		if (!s->ready)
			slot_fill(set, in, r->slot, s);
		if (!rule_matches(set, r, s, md, out->errors))
			continue;
		apply(r, out);
		if (r->stop)
			break;
	}
	for (guint i = 0; i < nslots; i++)
		slot_clear(&slots[i]);
	pcre2_match_data_free(md);
}
