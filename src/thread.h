/* SPDX-License-Identifier: MIT
 * thread.h: which ticket a message belongs to. Pure: the caller looks up
 * tokens, Message-IDs and tickets; this module reads subjects and decides.
 * Subjects are UTF-8 (decoded RFC 2047); invalid bytes never match and are
 * replaced by U+FFFD in strings returned. */
#ifndef POSTDESK_THREAD_H
#define POSTDESK_THREAD_H
#include <glib.h>

#define THREAD_TICKET_MAX G_GINT64_CONSTANT(9007199254740992) /* 2^53 */

/* Find the first subject tag "[TAG #N]" in SUBJECT (NULL: none). Tolerant
 * of case (TAG compares case-insensitively, Unicode simple case mapping),
 * of white space (any amount, none included, around TAG, '#' and N, and
 * for each run of white space inside TAG), of full-width '［', '＃', '］',
 * of any prefixes, and of the tag anywhere in SUBJECT. N is ASCII digits,
 * leading zeros allowed, value in 1..THREAD_TICKET_MAX; a tag with N out
 * of range is not a tag. TRUE with *TICKET set when found, else FALSE and
 * *TICKET untouched. TAG (from the config) must be non-empty (g_assert). */
gboolean thread_subject_tag(const char *subject, const char *tag,
			    gint64 *ticket);

/* The longest subject tag, in bytes. */
#define THREAD_TAG_MAX 64

/* TRUE when TAG can be a subject tag: 1..THREAD_TAG_MAX bytes of valid
 * UTF-8 without control characters, without '[', ']', '#' (nor their
 * full-width forms) and without white space at either end, so that
 * thread_subject_tagged() writes a header-safe subject that
 * thread_subject_tag() reads back. The config refuses other tags. */
gboolean thread_tag_valid(const char *tag);

/* SUBJECT (NULL: "") without reply/forward prefixes at its start
 * ("Re:", "RE :", "Re[2]:", "AW:", "Fwd:", "WG:", "SV:", "Antw:", "R:",
 * "Réf:", "回复：", ... repeated and mixed with tags), without any [TAG #N]
 * anywhere, control characters and runs of white space made one space,
 * trimmed, invalid UTF-8 replaced by U+FFFD. Safe for a header value (no
 * CR or LF). New string, caller frees with g_free. */
char *thread_subject_clean(const char *subject, const char *tag);

/* "[TAG #N] SUBJECT" for outbound mail, SUBJECT cleaned first; "[TAG #N]"
 * when nothing is left of it. New string, caller frees with g_free.
 * TICKET must be in 1..THREAD_TICKET_MAX (g_assert). */
char *thread_subject_tagged(const char *subject, const char *tag,
			    gint64 ticket);

typedef enum {
	THREAD_NEW,
	THREAD_BY_TOKEN,
	THREAD_BY_REFERENCE,
	THREAD_BY_TAG,
} thread_how_t;

/* What the caller found; a ticket <= 0 means none. */
typedef struct {
	gint64 token_ticket;     /* ticket of a reply token that verified for this sender */
	gint64 reference_ticket; /* ticket found by In-Reply-To/References, looked up in order */
	gint64 tag_ticket;       /* ticket of the subject tag, when that ticket exists */
	gboolean sender_on_tag_ticket; /* the sender is a participant of tag_ticket */
} thread_input_t;

typedef struct {
	thread_how_t how;
	gint64 ticket;     /* 0 for THREAD_NEW */
	gboolean verified; /* FALSE only for a tag match from a non-participant */
} thread_result_t;

/* Token first, then references, then subject tag (verified only when the
 * sender is on that ticket), else a new ticket (verified: the sender is
 * its requester). Fills *OUT. */
void thread_decide(const thread_input_t *in, thread_result_t *out);

/* "new", "token", "reference", "tag". Static string. */
const char *thread_how_name(thread_how_t how);

typedef enum {
	THREAD_APPEND,
	THREAD_REOPEN,
	THREAD_NEW_LINKED,
} thread_followup_t;

/* What a follow-up to a ticket in STATE does at time NOW (Unix seconds):
 * "new", "open", "waiting": append to it. "resolved": reopen it when it was
 * resolved at RESOLVED_AT (Unix seconds, > 0) no more than REOPEN_WINDOW
 * seconds before NOW (a RESOLVED_AT after NOW counts as within); a new
 * linked ticket when later, when RESOLVED_AT is 0 (unknown) or
 * REOPEN_WINDOW <= 0. "closed", NULL or any other state: a new ticket
 * linked to it, so no mail is lost on a ticket we cannot reason about. */
thread_followup_t thread_followup(const char *state, gint64 resolved_at,
				  gint64 now, gint64 reopen_window);
#endif
