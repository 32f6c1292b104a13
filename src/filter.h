/* SPDX-License-Identifier: MIT
 * filter.h: rules from the *.rules files of filters/, PCRE2 patterns on
 * the fields of a message and the actions they ask for. Pure but for
 * filter_set_load_dir(), which reads the directory; no store, no log.
 *
 * A rule is one line; blank lines and lines starting with '#' (after
 * white space) are skipped:
 *
 *	FIELD [!]/PATTERN/FLAGS ACTION...
 *
 * FIELD, written in lower case:
 *	from        the sender's address ("a@b.example", no name, no <>)
 *	from-name   the sender's display name
 *	to          each recipient address (To, Cc, envelope)
 *	subject     the decoded subject
 *	body        the whole decoded text
 *	visible     the newly written part of the text
 *	list-id     the List-Id header
 *	header:NAME each decoded occurrence of header NAME (any case)
 * Every field is a list of values: one for from, from-name, subject,
 * body, visible and list-id (the empty string when absent), one per
 * recipient for to and per occurrence for header:NAME (none when absent).
 * A rule matches when its pattern matches any of the values; with '!'
 * right before the pattern, when it matches none of them.
 *
 * PATTERN is PCRE2 syntax in UTF mode with Unicode properties (\w, \b and
 * [[:alpha:]] know about non-ASCII letters); a '/' inside it is written
 * "\/", also inside [...]. FLAGS: i (caseless), m (^ and $ at every
 * line), s (. matches a newline), x (extended: white space and #
 * comments in the pattern are ignored), u (Unicode: always on, accepted
 * for the habit of other regex dialects). Inline options such as (?i)
 * work too. Patterns never see invalid UTF-8: such bytes never match.
 *
 * ACTION:
 *	group=NAME     the ticket's product group
 *	priority=P     low, normal, high or urgent
 *	tier=N         1 to 4
 *	assign=ADDR    the member who owns the ticket
 *	tag=WORD       a tag; several accumulate
 *	cc=ADDR        a collaborator (anyone); several accumulate
 *	drop           keep the mail in quarantine, do not answer
 *	spam           quarantine it as spam, do not answer
 *	noack          open the ticket but send no automatic acknowledgement
 *	stop           no later rule is evaluated when this one matches
 * Rules run in file order, files in name order (bytewise). A later
 * matching rule overrides group, priority, tier and assign of earlier
 * ones; tag and cc accumulate; drop, spam and noack stay once set. */
#ifndef POSTDESK_FILTER_H
#define POSTDESK_FILTER_H
#include <glib.h>

typedef struct filter_set filter_set_t;

typedef struct {
	guint32 match_limit;  /* PCRE2 match limit, default 1000000 */
	guint32 depth_limit;  /* PCRE2 depth limit (interpreter only), default 10000 */
	gsize max_rules;      /* rules in a set, default 10000 */
	gsize max_line;       /* bytes in a line without its newline, default 8 KiB */
	gsize max_file_size;  /* bytes of one rules file, default 1 MiB */
	gsize max_files;      /* *.rules files in a directory, default 1000 */
	gboolean jit;         /* JIT-compile patterns when PCRE2 can, default
			       * TRUE; FALSE runs the interpreter only */
	gboolean prefilter;   /* skip a pattern when a value lacks a literal
			       * it needs, default TRUE; the outcome is the
			       * same either way, FALSE is for comparison */
} filter_limits_t;

/* Fill LIM with the defaults above. */
void filter_limits_init(filter_limits_t *lim);

/* A new empty set with a copy of LIM (NULL: the defaults). Free with
 * filter_set_free. */
filter_set_t *filter_set_new(const filter_limits_t *lim);
void filter_set_free(filter_set_t *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(filter_set_t, filter_set_free)

/* Parse TEXT (NUL-terminated, UTF-8) read from FILE (used in messages
 * only) and add its good rules to SET. Every problem is appended to
 * PROBLEMS (a GPtrArray with g_free as free function) as a new string
 * "FILE:LINE: what", e.g. "f.rules:3: error at offset 4: missing closing
 * parenthesis" for a pattern PCRE2 refuses (N counts bytes from the
 * pattern's first character), "f.rules:5: unknown action 'grup=x'". A line
 * with a problem adds no rule. Returns FALSE when there was any problem. */
gboolean filter_set_add_text(filter_set_t *set, const char *file,
			     const char *text, GPtrArray *problems);

/* A new set of every regular "*.rules" file in DIR (dot files skipped),
 * in bytewise name order; a missing DIR gives an empty set. NULL with
 * PD_ERROR_CONFIG when a file cannot be read or has problems: the message
 * holds all of them, one "FILE:LINE: what" per line (LINE 0 for a whole
 * file). LIM: NULL for the defaults. */
filter_set_t *filter_set_load_dir(const char *dir, const filter_limits_t *lim,
				  GError **error);

/* Number of rules in SET. */
guint filter_set_count(const filter_set_t *set);

/* Rule INDEX (< filter_set_count) as "FILE:LINE: FIELD [!]/PATTERN/FLAGS
 * ACTIONS", for `filter test`. Borrowed, valid until filter_set_free. */
const char *filter_set_rule_text(const filter_set_t *set, guint index);

/* The literals (ASCII, lower case) of which a value must contain one for
 * the pattern of rule INDEX to match it, as found by reading the pattern;
 * NULL when none is known or the prefilter is off. Values without them
 * are not given to PCRE2. Borrowed, valid until filter_set_free. */
const char *const *filter_set_rule_literals(const filter_set_t *set,
					    guint index);

/* Check the actions against the config: group= must name one of GROUPS,
 * assign= one of MEMBERS (addresses, compared normalised; NULL-terminated
 * lists, NULL for none). cc= may name anyone. Problems are appended to
 * PROBLEMS as "FILE:LINE: unknown group 'x'", "FILE:LINE: unknown member
 * 'x'". Returns FALSE when there was any. */
gboolean filter_set_validate(const filter_set_t *set, const char *const *groups,
			     const char *const *members, GPtrArray *problems);

/* One message as the rules see it. Every string is borrowed UTF-8. */
typedef struct {
	const char *from;         /* sender address, may be NULL */
	const char *from_name;    /* may be NULL */
	const char *const *to;    /* recipient addresses, NULL-terminated,
				   * may be NULL */
	const char *subject;      /* may be NULL */
	const char *body;         /* whole decoded text, may be NULL */
	const char *visible;      /* may be NULL */
	const char *list_id;      /* may be NULL */
	/* Every decoded value of header NAME (lower case; the callee compares
	 * case-insensitively) as a new GPtrArray of new strings with its free
	 * function set (mime_msg_headers() is one), NULL or empty when absent.
	 * Called at most once per name and evaluation, and only for names
	 * a rule reads. May be NULL: no headers. */
	GPtrArray *(*headers)(gpointer ctx, const char *name);
	gpointer headers_ctx;
} filter_input_t;

typedef struct {
	char *group, *priority, *assign; /* NULL when no rule set them */
	gint64 tier;                     /* 0 when none */
	GPtrArray *tags, *cc;            /* char *, never NULL, no duplicates */
	gboolean drop, spam, noack;
	GPtrArray *matched;  /* char * "FILE:LINE" of each rule that matched,
			      * in order */
	GPtrArray *errors;   /* char * "FILE:LINE: match limit exceeded in FIELD":
			      * a rule that hit a PCRE2 limit (or failed
			      * otherwise) counts as not matching, negated or
			      * not, and is reported here */
} filter_outcome_t;

/* Make OUT an empty outcome. Release with filter_outcome_clear. */
void filter_outcome_init(filter_outcome_t *out);
/* Free what OUT holds and leave it empty (init again to reuse it). */
void filter_outcome_clear(filter_outcome_t *out);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(filter_outcome_t, filter_outcome_clear)

/* Run the rules of SET on IN and add their effect to OUT (initialised by
 * the caller; normally empty). SET is only read: several threads may
 * evaluate one set at once. */
void filter_eval(const filter_set_t *set, const filter_input_t *in,
		 filter_outcome_t *out);
#endif
