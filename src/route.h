/* SPDX-License-Identifier: MIT
 * route.h: who gets a ticket. Pure: the caller gathers the members of the
 * ticket's group with their queue position, load and availability, and
 * route_pick() says whom to offer it to.
 *
 * Tiers: a ticket of tier T goes to the members of the lowest tier >= T
 * that has anyone available, so tier-1 work stays with tier 1 while a
 * tier-1 member is free, and escalation (T+1) reaches the next tier. */
#ifndef POSTDESK_ROUTE_H
#define POSTDESK_ROUTE_H
#include <glib.h>

typedef enum {
	ROUTE_ROUND_ROBIN, /* the head of the group's queue, who goes to the back */
	ROUTE_LEAST_LOADED, /* the fewest open tickets, then queue order */
	ROUTE_MANUAL,       /* nobody: the whole group is told, first #take wins */
} route_policy_t;

/* "round-robin", "least-loaded", "manual"; FALSE for anything else. */
gboolean route_policy_parse(const char *text, route_policy_t *policy);

typedef struct {
	const char *address;
	gint64 tier;        /* 1..4 */
	gint64 capacity;    /* open tickets at most; 0: no limit */
	gint64 open;        /* open tickets now */
	gint64 pos;         /* place in the group's queue; lower is nearer the head */
	gboolean away;
	gboolean offered;   /* this ticket was offered to them before */
} route_member_t;

/* Why a member cannot have the ticket, or NULL when they can. */
const char *route_unavailable(const route_member_t *m, gint64 tier);

/* The index in MEMBERS (N of them) of the member to offer a ticket of
 * TIER to under POLICY, or -1 when there is nobody (or POLICY is manual). */
gint route_pick(route_policy_t policy, const route_member_t *members, guint n,
		gint64 tier);

/* Whether SUBJECT (may be NULL) contains "urgent" or "emergency" as a
 * word, in any case: what opens an urgent ticket on an emergency plan.
 * A word is bounded by the ends or by bytes that are not ASCII letters,
 * digits or UTF-8 (so "urgently" and "nonurgent" do not count). */
gboolean route_subject_urgent(const char *subject);
#endif
