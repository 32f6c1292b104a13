/* SPDX-License-Identifier: MIT
 * report.h: postdesk report contributions, from the events of tickets.
 * Pure: events in, rows and text out; it reads no database and no clock.
 *
 * Per member, in a window [FROM, TO) of time:
 *  - taken: "taken" events by the member (a #take, or answering an offer);
 *  - replies: "reply" events by the member (a reply relayed to customers);
 *  - resolved: "state" events "... -> resolved" by the member;
 *  - first response: for each ticket whose first "reply" falls in the
 *    window and is the member's, the wall-clock time from the ticket's
 *    "created" event to it; the median of them (not business hours: a
 *    calendar can change, the events stay);
 *  - referred / received: "referral" events by the member, and naming
 *    the member as the partner;
 *  - breaches: "breach" events, counted against the member who held the
 *    ticket then (offered to or taken by; followed through "assigned",
 *    "taken", "referral", "escalated", "refused" and "group" events). A
 *    breach of a ticket nobody held is counted for nobody.
 * Actors are matched to members by address or alias; other actors (the
 * operator, customers) are not listed. */
#ifndef POSTDESK_REPORT_H
#define POSTDESK_REPORT_H
#include <glib.h>
#include "config.h"

/* One event as the report needs it; strings borrowed. */
typedef struct {
	gint64 ticket;
	gint64 at;
	const char *kind;
	const char *actor;    /* may be NULL */
	const char *detail;   /* may be NULL */
} report_event_t;

typedef struct {
	const config_member_t *member;  /* borrowed from the config */
	guint taken, replies, resolved, referred, received, breaches;
	guint first_responses;          /* how many first responses */
	gint64 first_response_median;   /* seconds; -1 when none */
} report_row_t;

/* The contributions of every member of CFG (file order) over EVENTS (N of
 * them, ordered by ticket and then as they happened; the whole history of
 * each ticket up to TO, so holders and creation times are known) within
 * [FROM, TO). New array of report_row_t*, caller unrefs. */
GPtrArray *report_contributions(const config_t *cfg, const report_event_t *events, gsize n,
				gint64 from, gint64 to);

/* ROWS as an aligned text table with a header line, or (CSV) as RFC 4180
 * CSV: a header record, CRLF line ends, fields quoted when they hold a
 * comma, a quote or a line end. The median is "1h05m" in the table and
 * seconds in CSV; empty when there is none. New string. */
char *report_format(GPtrArray *rows, gboolean csv);
#endif
