/* SPDX-License-Identifier: MIT
 * action.h: what can be done to a ticket, the same whether a member asks
 * by mail (#take, #refuse, ...) or an operator on the command line
 * (postdesk ticket assign/resolve/note): the change, its event, and the
 * mails it causes, all in the caller's transaction.
 *
 * A request that cannot be done (a group that does not exist, a ticket
 * someone else has taken) fails with PD_ERROR_INPUT and a message for the
 * member's receipt; PD_ERROR_TEMP means the database is busy. On any
 * failure the caller rolls back what the action had written. */
#ifndef POSTDESK_ACTION_H
#define POSTDESK_ACTION_H
#include <glib.h>
#include "config.h"
#include "notice.h"
#include "store.h"

typedef struct {
	const config_t *cfg;
	store_t *st;
	notice_t *notice;     /* NULL: send no mail (quiet imports) */
	gint64 now;
} action_t;

/* The mail that caused an action, for the notices it sends. */
typedef struct {
	const char *message_id;     /* without <> */
	const char *from_name;
	const char *from_address;
	const char *subject;
	const char *visible;        /* the text to show or relay */
	GPtrArray *attachments;     /* mime_attachment_t*, or NULL */
} action_msg_t;

/* Give new ticket T an owner by its group's policy (round-robin,
 * least-loaded, manual) and tell the member it is offered to, or the
 * whole group when nobody is chosen. M (may be NULL) is shown to them. */
gboolean action_route(action_t *a, store_ticket_t *t, const action_msg_t *m,
		      GError **error);
/* MEMBER takes T: they become its owner; a pending offer to someone else
 * is withdrawn; a ticket another member has taken is refused. */
gboolean action_take(action_t *a, store_ticket_t *t, const char *member, GError **error);
/* The owner MEMBER passes T on (REASON may be NULL); EXPIRED when the
 * offer timed out. The refuser goes to the back of the queue and the next
 * member who was not offered T before gets it. */
gboolean action_refuse(action_t *a, store_ticket_t *t, const char *member,
		       const char *reason, gboolean expired, GError **error);
/* Set T's state (open, waiting, resolved) by ACTOR; resolving tells the
 * requester with the resolved template. The same state again does
 * nothing. */
gboolean action_set_state(action_t *a, store_ticket_t *t, const char *state,
			  const char *actor, GError **error);
gboolean action_set_group(action_t *a, store_ticket_t *t, const char *group,
			  const char *actor, GError **error);
gboolean action_set_tier(action_t *a, store_ticket_t *t, gint64 tier, const char *actor,
			 GError **error);
gboolean action_set_priority(action_t *a, store_ticket_t *t, const char *priority,
			     const char *actor, GError **error);
/* Hand T to the next tier of its group (MEMBER NULL), or to MEMBER. */
gboolean action_escalate(action_t *a, store_ticket_t *t, const char *actor,
			 const char *member, GError **error);
/* An operator hands T to MEMBER (who may still #refuse it). */
gboolean action_assign(action_t *a, store_ticket_t *t, const char *actor,
		       const char *member, GError **error);
/* Refer T to the partner member PARTNER: recorded, and offered to them. */
gboolean action_refer(action_t *a, store_ticket_t *t, const char *actor,
		      const char *partner, GError **error);
/* Copy ADDRESS in on T: a member joins as a collaborator and is told; any
 * other address gets the ticket's mail to the customer from now on. */
gboolean action_cc(action_t *a, store_ticket_t *t, const char *actor, const char *address,
		   GError **error);
/* Merge T into ticket INTO. */
gboolean action_merge(action_t *a, store_ticket_t *t, gint64 into, const char *actor,
		      GError **error);
/* MEMBER is away until UNTIL (G_MAXINT64: until #back), or back (0). */
gboolean action_away(action_t *a, const char *member, gint64 until, GError **error);

/* Record an internal note by ACTOR on T: the message is the caller's
 * (stored as kind note); the other members on T are told. */
gboolean action_note(action_t *a, store_ticket_t *t, const char *actor,
		     const action_msg_t *m, GError **error);
/* Store TEXT as an internal note by AUTHOR (an address, or a word such as
 * "operator") on T, with its event; with NOTIFY the members on T are told
 * (action_note). *MID (may be NULL) gets the note's Message-ID. */
gboolean action_note_store(action_t *a, store_ticket_t *t, const char *author,
			   const char *text, gboolean notify, char **mid, GError **error);
/* Relay MEMBER's reply M to the customer (requester and copied-in
 * addresses) with the reply template, from the group's address under the
 * member's name; the member takes T if nobody has taken it; the other
 * members on T are told. */
gboolean action_relay(action_t *a, store_ticket_t *t, const char *member,
		      const action_msg_t *m, GError **error);
/* Tell the members on T (the owner and member collaborators; the group
 * when T has no owner), but EXCLUDE, of new mail M with notify-update. */
gboolean action_notify_update(action_t *a, const store_ticket_t *t, const char *exclude,
			      const action_msg_t *m, GError **error);
/* The members of GROUP in queue order (head first; members the queue has
 * not seen yet at the back, in config order). New array of borrowed
 * config_member_t*, or NULL on error. Reads only. */
GPtrArray *action_group_queue(const config_t *cfg, store_t *st, const char *group,
			      GError **error);
/* Service levels (sla.c computes; these keep the ticket's clock). A
 * ticket has one clock at a time (due_kind): first_response from its
 * opening, then resolution from its opening, or next_response from a
 * customer's follow-up; each counts business time of the ticket's group
 * less the time it waited on the customer, towards the target of the
 * ticket's priority (its organisation's plan first, then its group:
 * config_target()).
 *
 * Start new ticket T's first-response clock. */
gboolean action_sla_start(action_t *a, store_ticket_t *t, GError **error);
/* A member's answer reached T's customer: a first or next response is
 * met and the resolution clock runs again (not for a ticket that was
 * resolved once: it had its resolution). */
gboolean action_sla_answered(action_t *a, store_ticket_t *t, GError **error);
/* T's customer wrote again (after T's state followed): once a member has
 * answered, the next answer is due within next_response from now, unless
 * a next response is already due or a resolution deadline comes first. */
gboolean action_sla_customer(action_t *a, store_ticket_t *t, GError **error);
/* T's priority or plan (or the configuration) changed: its deadline is
 * derived again from its clock; a target that appears starts the
 * first-response clock of a ticket not answered yet. *CHANGED (may be
 * NULL) says whether anything was written. */
gboolean action_sla_recompute(action_t *a, store_ticket_t *t, gboolean *changed,
			      GError **error);
/* action_sla_recompute() for every ticket with a clock or waiting for
 * its first answer (a scan: for a start or a reload of the
 * configuration, not for every tick). *COUNT (may be NULL) gets how many
 * changed. */
gboolean action_sla_recompute_all(action_t *a, guint *count, GError **error);

/* What one tick does at most per kind of work (and per group for
 * housekeeping); the rest waits for the next tick. */
#define ACTION_TICK_MAX 500
/* Warn about deadlines near (sla-warning, at [group] warn_at per cent of
 * the time) and act on breached ones by [group] on_breach. Reads only
 * tickets whose sla_next is due. *WARNED and *BREACHED (may be NULL) get
 * how many. */
gboolean action_sla_tick(action_t *a, guint *warned, guint *breached, GError **error);
/* Whether a tick has anything to do (reads only); -1 on error. */
gint64 action_sla_due(action_t *a, GError **error);

/* Housekeeping of [group] wait_resolve, wait_reminder and close_after
 * (0: never), in this order. */
typedef enum {
	ACTION_HOUSE_RESOLVE, /* waiting that long: resolved (auto-resolved) */
	ACTION_HOUSE_REMIND,  /* waiting that long: reminded once (wait-reminder) */
	ACTION_HOUSE_CLOSE,   /* resolved that long: closed (closed) */
	ACTION_HOUSE_JOBS
} action_house_job_t;
/* How many tickets have housekeeping due (reads only); -1 on error. */
gint64 action_housekeeping_due(action_t *a, GError **error);
/* Do the housekeeping that is due: each ticket gets its event (kinds
 * auto-resolved, wait-reminder, closed) and mail (the auto-resolved
 * template to the requester, or wait-reminder; nothing for closing).
 * COUNTS gets how many of each job. */
gboolean action_housekeeping(action_t *a, guint counts[ACTION_HOUSE_JOBS], GError **error);
/* How many offers are older than their group's offer_timeout (reads
 * only, so the timer opens no write transaction for nothing); -1 on
 * error. */
gint64 action_offers_due(action_t *a, GError **error);
/* Pass on every offer older than its group's offer_timeout. *COUNT (may
 * be NULL) gets how many. */
gboolean action_expire_offers(action_t *a, guint *count, GError **error);
#endif
