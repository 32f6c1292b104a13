/* SPDX-License-Identifier: MIT
 * action.c: see action.h. The choice of member is route.c's; this file
 * gathers what route_pick() needs and writes what it decided. */
#include "autodefs.h"
#include <string.h>
#include "action.h"
#include "error.h"
#include "event.h"
#include "json.h"
#include "mime.h"
#include "log.h"
#include "route.h"
#include "sla.h"
#include "template.h"
#include "util.h"
#include "banned.h"

static gboolean
fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A request that cannot be done: PD_ERROR_INPUT, for the receipt. */
static gboolean
fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, PD_ERROR, PD_ERROR_INPUT, msg);
	return FALSE;
}

static gboolean
add_event(action_t *a, gint64 ticket, const char *kind, const char *actor,
	  const char *detail, GError **error)
{
	return event_add(a->cfg, a->st, ticket, a->now, kind, actor, detail, error);
}

static const char *
member_name(const config_member_t *m)
{
	return m->name != NULL ? m->name : m->address;
}

/* Whether MEMBER is away now: by config, or by #away until a later time. */
static gboolean
is_away(action_t *a, const config_member_t *m, GError **error)
{
	gint64 until;

	if (m->away)
		return TRUE;
	until = store_member_away_until(a->st, m->address, error);
	return until > a->now;
}

/* The template variables of the mail at hand (MSG may be NULL). */
static void
message_vars(template_vars_t *v, const action_msg_t *msg)
{
	if (msg == NULL)
		return;
	template_vars_set(v, "message.from_name", msg->from_name);
	template_vars_set(v, "message.from_address", msg->from_address);
	template_vars_set(v, "message.subject", msg->subject);
	template_vars_set(v, "message.visible", msg->visible);
	for (guint i = 0; msg->attachments != NULL && i < msg->attachments->len; i++) {
		const mime_attachment_t *at = msg->attachments->pdata[i];
		template_vars_t *item = template_vars_append(v, "attachments");
		g_autofree char *human = g_format_size(at->size);

		template_vars_set(item, "filename", at->filename);
		template_vars_set(item, "type", at->content_type);
		template_vars_set_int(item, "size", (gint64)at->size);
		template_vars_set(item, "size_human", human);
	}
}

/* Send TEMPLATE about T to member M, with the mail at hand and a NOTE. */
static gboolean
tell_member(action_t *a, const store_ticket_t *t, const config_member_t *m,
	    const char *template_name, const action_msg_t *msg, const char *note,
	    GError **error)
{
	g_autoptr(template_vars_t) v = template_vars_new();
	notice_mail_t n = { 0 };
	gboolean queued;

	if (a->notice == NULL)
		return TRUE;
	template_vars_set(v, "member.name", member_name(m));
	template_vars_set(v, "member.address", m->address);
	template_vars_set(v, "note", note);
	message_vars(v, msg);
	n.template_name = template_name;
	n.ticket = t;
	n.to_address = m->address;
	n.to_name = m->name;
	n.in_reply_to = msg != NULL ? msg->message_id : NULL;
	n.vars = v;
	return notice_send(a->notice, &n, &queued, error);
}

/* Tell every member of T's group who is not away, but EXCLUDE (may be
 * NULL): manual assignment, nobody could be chosen, or an emergency. */
static gboolean
tell_group(action_t *a, const store_ticket_t *t, const action_msg_t *msg, const char *note,
	   const char *exclude, GError **error)
{
	for (guint i = 0; i < a->cfg->members->len; i++) {
		const config_member_t *m = a->cfg->members->pdata[i];
		GError *local = NULL;

		if (!config_member_in_group(m, t->group) ||
		    g_strcmp0(m->address, exclude) == 0)
			continue;
		if (is_away(a, m, &local)) {
			continue;
		} else if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (!tell_member(a, t, m, "notify-new", msg, note, error))
			return FALSE;
	}
	return TRUE;
}

/* Whether ADDRESS appears among OFFERS (store_offer_t*). */
static gboolean
was_offered(GPtrArray *offers, const char *address)
{
	for (guint i = 0; i < offers->len; i++)
		if (strcmp(((store_offer_t *)offers->pdata[i])->member, address) == 0)
			return TRUE;
	return FALSE;
}

/* Offer T to the member route_pick() chooses among its group, or to
 * nobody; tell them, or the group. */
static gboolean
offer(action_t *a, store_ticket_t *t, const char *actor, const action_msg_t *msg,
      GError **error)
{
	const config_group_t *g = config_group(a->cfg, t->group);
	route_policy_t policy = ROUTE_ROUND_ROBIN;
	g_autoptr(GArray) cands = g_array_new(FALSE, TRUE, sizeof(route_member_t));
	g_autoptr(GPtrArray) who = g_ptr_array_new();
	g_autoptr(GPtrArray) offers = NULL;
	g_autoptr(GPtrArray) queue = NULL;
	g_autofree char *detail = NULL;
	const config_member_t *m;
	gint pick;

	if (g == NULL)
		return fail(error, "ticket %" G_GINT64_FORMAT " is in group '%s', which the "
			    "configuration no longer has", t->id, t->group);
	route_policy_parse(g->assign, &policy);
	/* Members new to the config join the back of the queue in file order. */
	for (guint i = 0; i < a->cfg->members->len; i++) {
		m = a->cfg->members->pdata[i];
		if (config_member_in_group(m, g->name) &&
		    !store_queue_add(a->st, g->name, m->address, error))
			return FALSE;
	}
	if ((offers = store_offer_list(a->st, t->id, error)) == NULL ||
	    (queue = store_queue_list(a->st, g->name, error)) == NULL)
		return FALSE;
	for (guint i = 0; i < queue->len; i++) {
		store_queue_entry_t *e = queue->pdata[i];
		route_member_t r = { 0 };
		GError *local = NULL;

		m = config_member(a->cfg, e->address);
		if (m == NULL || !config_member_in_group(m, g->name))
			continue;  /* left the group or the config */
		r.address = m->address;
		r.tier = m->tier;
		r.capacity = m->capacity;
		r.pos = e->pos;
		r.offered = was_offered(offers, m->address);
		r.away = is_away(a, m, &local);
		if (local == NULL)
			r.open = store_ticket_open_count(a->st, m->address, &local);
		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		g_array_append_val(cands, r);
		g_ptr_array_add(who, (gpointer)m);
	}
	pick = route_pick(policy, (route_member_t *)cands->data, cands->len, t->tier);
	if (pick < 0) {
		g_free(t->owner);
		t->owner = NULL;
		if (!store_ticket_update(a->st, t, a->now, error))
			return FALSE;
		detail = g_strdup(policy == ROUTE_MANUAL
				  ? "manual assignment: the group is told, the first #take wins"
				  : "nobody in the group is available: the group is told");
		return add_event(a, t->id, "assigned", actor, detail, error) &&
		       tell_group(a, t, msg,
				  policy == ROUTE_MANUAL
				  ? "Nobody owns this ticket yet: reply #take to take it."
				  : "Nobody in the group was free to take this ticket: "
				    "reply #take to take it.",
				  NULL, error);
	}
	m = who->pdata[pick];
	g_free(t->owner);
	t->owner = g_strdup(m->address);
	detail = g_strdup_printf("offered to %s (%s)", m->address,
				 policy == ROUTE_LEAST_LOADED ? "least-loaded" : "round-robin");
	if (!store_ticket_update(a->st, t, a->now, error) ||
	    !store_offer_add(a->st, t->id, m->address, a->now, error) ||
	    (policy == ROUTE_ROUND_ROBIN && !store_queue_to_back(a->st, g->name, m->address,
								    error)) ||
	    !add_event(a, t->id, "assigned", actor, detail, error))
		return FALSE;
	log_info("ticket %" G_GINT64_FORMAT ": %s", t->id, detail);
	return tell_member(a, t, m, "notify-new", msg,
			   "This ticket is offered to you. Reply #take to take it, or "
			   "#refuse [reason] to pass it to the next member.",
			   error);
}

gboolean
action_route(action_t *a, store_ticket_t *t, const action_msg_t *m, GError **error)
{
	const config_plan_t *plan = config_plan_for(a->cfg, t->org);
	g_autofree char *note = NULL;

	if (!offer(a, t, NULL, m, error))
		return FALSE;
	/* An urgent ticket of an emergency plan cannot wait for one member to
	 * read their mail; without an owner the group was told already. */
	if (!config_plan_emergency(plan) || strcmp(t->priority, "urgent") != 0 ||
	    t->owner == NULL)
		return TRUE;
	note = g_strdup_printf("Urgent ticket of emergency plan %s: the whole group is told. "
			       "It is offered to %s.", plan->name, t->owner);
	return tell_group(a, t, m, note, t->owner, error);
}

/* The state of MEMBER's offer of T, or NULL. New string. */
static char *
offer_state(action_t *a, gint64 ticket, const char *member, GError **error)
{
	g_autoptr(GPtrArray) offers = store_offer_list(a->st, ticket, error);

	for (guint i = 0; offers != NULL && i < offers->len; i++) {
		store_offer_t *o = offers->pdata[i];

		if (strcmp(o->member, member) == 0)
			return g_strdup(o->state);
	}
	return NULL;
}

static const config_member_t *
need_member(action_t *a, const char *address, GError **error)
{
	const config_member_t *m = config_member(a->cfg, address);

	if (m == NULL)
		fail(error, "%s is not a member", address);
	return m;
}

gboolean
action_take(action_t *a, store_ticket_t *t, const char *member, GError **error)
{
	const config_member_t *m = need_member(a, member, error);
	g_autofree char *detail = NULL;

	if (m == NULL)
		return FALSE;
	if (t->owner != NULL && strcmp(t->owner, m->address) != 0) {
		GError *local = NULL;
		g_autofree char *state = offer_state(a, t->id, t->owner, &local);

		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (g_strcmp0(state, "offered") != 0)
			return fail(error, "ticket %" G_GINT64_FORMAT " is taken by %s",
				    t->id, t->owner);
		if (!store_offer_set(a->st, t->id, t->owner, a->now, "withdrawn",
				     "taken by another member", error))
			return FALSE;
		detail = g_strdup_printf("from %s", t->owner);
	}
	g_free(t->owner);
	t->owner = g_strdup(m->address);
	if (!store_ticket_update(a->st, t, a->now, error) ||
	    !store_offer_set(a->st, t->id, m->address, a->now, "taken", NULL, error) ||
	    !store_participant_add(a->st, t->id, m->address, m->name, "member", a->now, error) ||
	    !add_event(a, t->id, "taken", m->address, detail, error))
		return FALSE;
	if (strcmp(t->state, "new") == 0)
		return action_set_state(a, t, "open", m->address, error);
	return TRUE;
}

gboolean
action_refuse(action_t *a, store_ticket_t *t, const char *member, const char *reason,
	      gboolean expired, GError **error)
{
	const config_member_t *m = need_member(a, member, error);
	g_autofree char *detail = NULL;

	if (m == NULL)
		return FALSE;
	if (g_strcmp0(t->owner, m->address) != 0)
		return fail(error, "ticket %" G_GINT64_FORMAT " is not yours to refuse (owner: %s)",
			    t->id, t->owner ? t->owner : "nobody");
	detail = expired ? g_strdup_printf("%s did not answer the offer in time", m->address)
			 : reason ? g_strdup_printf("by %s: %s", m->address, reason)
				  : g_strdup_printf("by %s", m->address);
	/* The refuser ends at the very back, behind whoever gets it now. */
	return store_offer_set(a->st, t->id, m->address, a->now, expired ? "expired" : "refused",
			       reason, error) &&
	       add_event(a, t->id, "refused", m->address, detail, error) &&
	       offer(a, t, m->address, NULL, error) &&
	       store_queue_to_back(a->st, t->group, m->address, error);
}

static gboolean sla_schedule_store(action_t *a, store_ticket_t *t, GError **error);

/* Stop T's clock: no deadline, nothing for the timer. */
static void
sla_clear(store_ticket_t *t)
{
	t->due_at = 0;
	t->due_from = 0;
	t->paused_at = 0;
	t->sla_next = 0;
	g_clear_pointer(&t->due_kind, g_free);
}

/* The clock follows the state: waiting on the customer pauses it (#wait),
 * back to open resumes it, the paused business time added to what it
 * does not count; resolved or closed stops it. */
static gboolean
sla_state(action_t *a, store_ticket_t *t, const char *state, GError **error)
{
	const config_group_t *g = config_group(a->cfg, t->group);

	if (t->due_at == 0 || g == NULL || g->calendar == NULL)
		return TRUE;
	if (strcmp(state, "waiting") == 0 && t->paused_at == 0) {
		t->paused_at = a->now;
	} else if (strcmp(state, "open") == 0 && t->paused_at != 0) {
		t->paused_seconds += sla_business_seconds(g->calendar, t->paused_at, a->now);
		t->paused_at = 0;
	} else if (strcmp(state, "resolved") == 0 || strcmp(state, "closed") == 0) {
		sla_clear(t);
		return store_ticket_set_sla(a->st, t, error);
	} else {
		return TRUE;
	}
	return sla_schedule_store(a, t, error);
}

/* Tell T's requester with TEMPLATE. */
static gboolean
tell_requester(action_t *a, const store_ticket_t *t, const char *template_name,
	       GError **error)
{
	notice_mail_t n = { 0 };
	gboolean queued;

	if (a->notice == NULL)
		return TRUE;
	n.template_name = template_name;
	n.ticket = t;
	n.to_address = t->requester_address;
	n.to_name = t->requester_name;
	return notice_send(a->notice, &n, &queued, error);
}

/* Move T to STATE by ACTOR (NULL: postdesk itself); reaching resolved
 * tells the requester with TEMPLATE. */
static gboolean
set_state(action_t *a, store_ticket_t *t, const char *state, const char *actor,
	  const char *template_name, GError **error)
{
	g_autofree char *detail = NULL;

	if (strcmp(t->state, state) == 0)
		return TRUE;
	if (strcmp(t->state, "closed") == 0)
		return fail(error, "ticket %" G_GINT64_FORMAT " is closed", t->id);
	detail = g_strdup_printf("%s -> %s", t->state, state);
	if (!store_ticket_set_state(a->st, t->id, state, a->now, error) ||
	    !add_event(a, t->id, "state", actor, detail, error) ||
	    !sla_state(a, t, state, error))
		return FALSE;
	g_free(t->state);
	t->state = g_strdup(state);
	t->state_at = a->now;
	t->reminded_at = 0;
	return strcmp(state, "resolved") != 0 || tell_requester(a, t, template_name, error);
}

gboolean
action_set_state(action_t *a, store_ticket_t *t, const char *state, const char *actor,
		 GError **error)
{
	return set_state(a, t, state, actor, "resolved", error);
}

/* Take T's owner off it (their pending offer withdrawn) before it moves. */
static gboolean
unassign(action_t *a, store_ticket_t *t, const char *why, GError **error)
{
	GError *local = NULL;
	g_autofree char *state = NULL;

	if (t->owner == NULL)
		return TRUE;
	state = offer_state(a, t->id, t->owner, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (g_strcmp0(state, "offered") == 0 &&
	    !store_offer_set(a->st, t->id, t->owner, a->now, "withdrawn", why, error))
		return FALSE;
	g_clear_pointer(&t->owner, g_free);
	return TRUE;
}

gboolean
action_set_group(action_t *a, store_ticket_t *t, const char *group, const char *actor,
		 GError **error)
{
	const config_group_t *g = config_group(a->cfg, group);
	g_autofree char *detail = NULL;

	if (g == NULL)
		return fail(error, "there is no group '%s'", group);
	if (strcmp(t->group, g->name) == 0)
		return TRUE;
	detail = g_strdup_printf("%s -> %s", t->group, g->name);
	if (!unassign(a, t, "moved to another group", error))
		return FALSE;
	g_free(t->group);
	t->group = g_strdup(g->name);
	if (t->tier < g->tier)
		t->tier = g->tier;
	return store_ticket_update(a->st, t, a->now, error) &&
	       add_event(a, t->id, "group", actor, detail, error) &&
	       offer(a, t, actor, NULL, error);
}

/* Fails (PD_ERROR_INPUT, for the receipt) when raising T to TIER goes
 * beyond what T's plan reaches. */
static gboolean
plan_allows_tier(action_t *a, const store_ticket_t *t, gint64 tier, GError **error)
{
	const config_plan_t *plan = config_plan_for(a->cfg, t->org);

	if (tier <= t->tier || tier <= config_plan_max_tier(plan))
		return TRUE;
	return fail(error, "plan %s reaches tier %" G_GINT64_FORMAT " at most", plan->name,
		    plan->max_tier);
}

gboolean
action_set_tier(action_t *a, store_ticket_t *t, gint64 tier, const char *actor,
		GError **error)
{
	g_autofree char *detail = g_strdup_printf("%" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT,
						  t->tier, tier);

	if (tier < 1 || tier > 4)
		return fail(error, "tier %" G_GINT64_FORMAT " is not from 1 to 4", tier);
	if (!plan_allows_tier(a, t, tier, error))
		return FALSE;
	if (t->tier == tier)
		return TRUE;
	t->tier = tier;
	return store_ticket_update(a->st, t, a->now, error) &&
	       add_event(a, t->id, "tier", actor, detail, error);
}

gboolean
action_set_priority(action_t *a, store_ticket_t *t, const char *priority, const char *actor,
		    GError **error)
{
	g_autofree char *detail = g_strdup_printf("%s -> %s", t->priority, priority);

	if (strcmp(t->priority, priority) == 0)
		return TRUE;
	g_free(t->priority);
	t->priority = g_strdup(priority);
	return store_ticket_update(a->st, t, a->now, error) &&
	       add_event(a, t->id, "priority", actor, detail, error) &&
	       action_sla_recompute(a, t, NULL, error);
}

/* Offer T to member M by name (escalation, referral), even if they were
 * offered it before: a person asked for them. */
static gboolean
offer_to(action_t *a, store_ticket_t *t, const config_member_t *m, const char *actor,
	 GError **error)
{
	g_free(t->owner);
	t->owner = g_strdup(m->address);
	return store_ticket_update(a->st, t, a->now, error) &&
	       store_offer_set(a->st, t->id, m->address, a->now, "offered", NULL, error) &&
	       tell_member(a, t, m, "notify-new", NULL,
			   "This ticket is handed to you. Reply #take to take it, or "
			   "#refuse [reason] to pass it on.",
			   error);
}

gboolean
action_escalate(action_t *a, store_ticket_t *t, const char *actor, const char *member,
		GError **error)
{
	g_autofree char *detail = NULL;
	gint64 from = t->tier;
	const config_member_t *m = NULL;

	if (member != NULL && (m = need_member(a, member, error)) == NULL)
		return FALSE;
	if (m == NULL && t->tier >= 4)
		return fail(error, "ticket %" G_GINT64_FORMAT " is at tier 4 already; "
			    "#escalate ADDRESS hands it to a member", t->id);
	if (!plan_allows_tier(a, t, m != NULL ? m->tier : t->tier + 1, error))
		return FALSE;
	if (!unassign(a, t, "escalated", error))
		return FALSE;
	if (m != NULL) {
		t->tier = MAX(t->tier, m->tier);
		detail = g_strdup_printf("to %s, tier %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT,
					 m->address, from, t->tier);
		return add_event(a, t->id, "escalated", actor, detail, error) &&
		       offer_to(a, t, m, actor, error);
	}
	t->tier++;
	detail = g_strdup_printf("tier %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT, from, t->tier);
	return store_ticket_update(a->st, t, a->now, error) &&
	       add_event(a, t->id, "escalated", actor, detail, error) &&
	       offer(a, t, actor, NULL, error);
}

gboolean
action_assign(action_t *a, store_ticket_t *t, const char *actor, const char *member,
	      GError **error)
{
	const config_member_t *m = need_member(a, member, error);
	g_autofree char *detail = NULL;

	if (m == NULL)
		return FALSE;
	if (g_strcmp0(t->owner, m->address) == 0)
		return TRUE;
	detail = g_strdup_printf("offered to %s (by hand)", m->address);
	return unassign(a, t, "assigned to another member", error) &&
	       add_event(a, t->id, "assigned", actor, detail, error) &&
	       offer_to(a, t, m, actor, error);
}

gboolean
action_refer(action_t *a, store_ticket_t *t, const char *actor, const char *partner,
	     GError **error)
{
	const config_member_t *m = need_member(a, partner, error);

	if (m == NULL)
		return FALSE;
	if (g_strcmp0(m->kind, "partner") != 0)
		return fail(error, "%s is not a partner member (kind = %s)", m->address, m->kind);
	return unassign(a, t, "referred to a partner", error) &&
	       add_event(a, t->id, "referral", actor, m->address, error) &&
	       offer_to(a, t, m, actor, error);
}

gboolean
action_cc(action_t *a, store_ticket_t *t, const char *actor, const char *address,
	  GError **error)
{
	const config_member_t *m = config_member(a->cfg, address);
	g_autofree char *note = NULL;

	if (config_is_own_address(a->cfg, address))
		return fail(error, "%s is an address of this gateway", address);
	if (store_participant_has(a->st, t->id, m != NULL ? m->address : address))
		return TRUE;
	if (!store_participant_add(a->st, t->id, m != NULL ? m->address : address,
				   m != NULL ? m->name : NULL, m != NULL ? "member" : "cc",
				   a->now, error) ||
	    !add_event(a, t->id, "cc", actor, m != NULL ? m->address : address, error))
		return FALSE;
	if (m == NULL)
		return TRUE;
	note = g_strdup_printf("%s copied you in on this ticket: you get its mail and can "
			       "answer; it stays with its owner.", actor ? actor : "An operator");
	return tell_member(a, t, m, "notify-new", NULL, note, error);
}

gboolean
action_merge(action_t *a, store_ticket_t *t, gint64 into, const char *actor, GError **error)
{
	g_autoptr(store_ticket_t) target = NULL;
	g_autofree char *d1 = NULL, *d2 = NULL;
	GError *local = NULL;

	if (into == t->id)
		return fail(error, "a ticket cannot be merged into itself");
	target = store_ticket_get(a->st, into, &local);
	if (target == NULL) {
		if (local->code == PD_ERROR_NOT_FOUND) {
			g_error_free(local);
			return fail(error, "there is no ticket %" G_GINT64_FORMAT, into);
		}
		g_propagate_error(error, local);
		return FALSE;
	}
	if (target->merged_into != 0)
		return fail(error, "ticket %" G_GINT64_FORMAT " was itself merged into %"
			    G_GINT64_FORMAT, into, target->merged_into);
	d1 = g_strdup_printf("merged into ticket %" G_GINT64_FORMAT, into);
	d2 = g_strdup_printf("ticket %" G_GINT64_FORMAT " merged into this one", t->id);
	if (!unassign(a, t, "merged", error) ||
	    !store_ticket_merge(a->st, t->id, into, a->now, error) ||
	    !add_event(a, t->id, "merged", actor, d1, error) ||
	    !add_event(a, into, "merged", actor, d2, error))
		return FALSE;
	g_free(t->state);
	t->state = g_strdup("closed");
	t->merged_into = into;
	return TRUE;
}

gboolean
action_away(action_t *a, const char *member, gint64 until, GError **error)
{
	const config_member_t *m = need_member(a, member, error);
	g_autofree char *detail = NULL;

	if (m == NULL)
		return FALSE;
	if (until == 0) {
		detail = g_strdup("back");
	} else if (until == G_MAXINT64) {
		detail = g_strdup("away until further notice");
	} else {
		g_autofree char *when = json_format_time(until);

		detail = g_strdup_printf("away until %s", when);
	}
	return store_member_set_away(a->st, m->address, until, error) &&
	       add_event(a, 0, until == 0 ? "back" : "away", m->address, detail, error);
}

/* Tell each member on T but EXCLUDE, with TEMPLATE; the group when T has
 * no owner and no member is on it. */
static gboolean
tell_members(action_t *a, const store_ticket_t *t, const char *exclude,
	     const action_msg_t *m, const char *note, GError **error)
{
	g_autoptr(GPtrArray) parts = store_participant_list(a->st, t->id, error);
	g_autoptr(GPtrArray) sent = g_ptr_array_new();

	if (parts == NULL)
		return FALSE;
	if (t->owner != NULL)
		g_ptr_array_add(sent, t->owner);
	for (guint i = 0; i < parts->len; i++) {
		store_participant_t *p = parts->pdata[i];

		if (strcmp(p->role, "member") == 0 &&
		    !g_ptr_array_find_with_equal_func(sent, p->address, g_str_equal, NULL))
			g_ptr_array_add(sent, p->address);
	}
	if (sent->len == 0)
		return tell_group(a, t, m, note, NULL, error);
	for (guint i = 0; i < sent->len; i++) {
		const config_member_t *cm = config_member(a->cfg, sent->pdata[i]);

		if (cm == NULL || g_strcmp0(cm->address, exclude) == 0)
			continue;
		if (!tell_member(a, t, cm, "notify-update", m, note, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
action_notify_update(action_t *a, const store_ticket_t *t, const char *exclude,
		     const action_msg_t *m, GError **error)
{
	return tell_members(a, t, exclude, m, NULL, error);
}

gboolean
action_note(action_t *a, store_ticket_t *t, const char *actor, const action_msg_t *m,
	    GError **error)
{
	g_autofree char *note = g_strdup_printf("Internal note by %s; the customer does not "
						"see it.", actor ? actor : "an operator");

	return add_event(a, t->id, "note", actor, m->message_id, error) &&
	       tell_members(a, t, actor, m, note, error);
}

gboolean
action_note_store(action_t *a, store_ticket_t *t, const char *author, const char *text,
		  gboolean notify, char **mid_out, GError **error)
{
	g_autofree char *mid = g_strdup_printf("note.%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT
					       ".%08x@postdesk.invalid", t->id, a->now,
					       g_random_int());
	g_autofree char *hash = util_sha256_hex(text, strlen(text));
	store_message_t m = { 0 };
	action_msg_t am = { 0 };

	m.ticket_id = t->id;
	m.direction = (char *)"in";
	m.kind = (char *)"note";
	m.message_id = mid;
	m.content_hash = hash;
	m.from_name = strchr(author, '@') ? NULL : (char *)author;
	m.from_address = strchr(author, '@') ? (char *)author : NULL;
	m.subject = t->subject;
	m.date = m.received = a->now;
	m.text = m.visible = (char *)text;
	m.verified = TRUE;
	m.threaded_by = (char *)"note";
	m.source = (char *)"note";
	if (store_message_insert(a->st, &m, error) == 0 ||
	    !store_message_id_add(a->st, mid, t->id, "in", error) ||
	    !store_ticket_touch(a->st, t->id, a->now, error))
		return FALSE;
	am.message_id = mid;
	am.from_name = m.from_name;
	am.from_address = m.from_address;
	am.subject = t->subject;
	am.visible = text;
	if (notify ? !action_note(a, t, author, &am, error)
		   : !add_event(a, t->id, "note", author, mid, error))
		return FALSE;
	if (mid_out != NULL)
		*mid_out = g_steal_pointer(&mid);
	return TRUE;
}

gboolean
action_relay(action_t *a, store_ticket_t *t, const char *member, const action_msg_t *m,
	     GError **error)
{
	const config_member_t *cm = need_member(a, member, error);
	g_autoptr(GPtrArray) parts = NULL;
	g_autofree char *last = NULL;
	GError *local = NULL;

	if (cm == NULL)
		return FALSE;
	/* Answering a ticket nobody has taken (or one offered to someone
	 * else) takes it. */
	if (t->owner == NULL || strcmp(t->owner, cm->address) == 0) {
		if (!action_take(a, t, cm->address, error))
			return FALSE;
	} else {
		g_autofree char *state = offer_state(a, t->id, t->owner, &local);

		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (g_strcmp0(state, "offered") == 0 && !action_take(a, t, cm->address, error))
			return FALSE;
		if (!store_participant_add(a->st, t->id, cm->address, cm->name, "member",
					   a->now, error))
			return FALSE;
	}
	if (strcmp(t->state, "new") == 0 && !action_set_state(a, t, "open", cm->address, error))
		return FALSE;
	if ((parts = store_participant_list(a->st, t->id, error)) == NULL)
		return FALSE;
	last = store_message_last_in(a->st, t->id, "customer", &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	for (guint i = 0; a->notice != NULL && i < parts->len; i++) {
		store_participant_t *p = parts->pdata[i];
		g_autoptr(template_vars_t) v = template_vars_new();
		notice_mail_t n = { 0 };
		gboolean queued;

		/* Customers only: members see the ticket through notify-update. */
		if (strcmp(p->role, "requester") != 0 && strcmp(p->role, "cc") != 0)
			continue;
		if (config_member(a->cfg, p->address) != NULL ||
		    config_is_own_address(a->cfg, p->address))
			continue;
		template_vars_set(v, "member.name", member_name(cm));
		message_vars(v, m);
		/* The customer sees the member's name only, never their address. */
		template_vars_set(v, "message.from_address", NULL);
		n.template_name = "reply";
		n.ticket = t;
		n.to_address = p->address;
		n.to_name = p->name;
		n.kind = "member";
		n.in_reply_to = last;
		n.attachments = m->attachments;
		n.vars = v;
		if (!notice_send(a->notice, &n, &queued, error))
			return FALSE;
	}
	return add_event(a, t->id, "reply", cm->address, m->message_id, error) &&
	       action_sla_answered(a, t, error) &&
	       tell_members(a, t, cm->address, m, NULL, error);
}

/* Whether offer O of T is older than its group's offer_timeout. */
static gboolean
offer_due(action_t *a, const store_offer_t *o, const store_ticket_t *t)
{
	const config_group_t *g = config_group(a->cfg, t->group);

	return g != NULL && g->offer_timeout > 0 && o->at + g->offer_timeout <= a->now;
}

gint64
action_offers_due(action_t *a, GError **error)
{
	g_autoptr(GPtrArray) pending = store_offer_pending(a->st, a->now, error);
	gint64 n = 0;

	if (pending == NULL)
		return -1;
	for (guint i = 0; i < pending->len; i++) {
		store_offer_t *o = pending->pdata[i];
		g_autoptr(store_ticket_t) t = store_ticket_get(a->st, o->ticket_id, error);

		if (t == NULL)
			return -1;
		n += offer_due(a, o, t);
	}
	return n;
}

gboolean
action_expire_offers(action_t *a, guint *count, GError **error)
{
	g_autoptr(GPtrArray) pending = store_offer_pending(a->st, a->now, error);
	guint n = 0;

	if (pending == NULL)
		return FALSE;
	for (guint i = 0; i < pending->len; i++) {
		store_offer_t *o = pending->pdata[i];
		g_autoptr(store_ticket_t) t = store_ticket_get(a->st, o->ticket_id, error);

		if (t == NULL)
			return FALSE;
		if (!offer_due(a, o, t))
			continue;
		if (g_strcmp0(t->owner, o->member) != 0) {
			/* Stale: the ticket moved on without the offer being closed. */
			if (!store_offer_set(a->st, t->id, o->member, o->at, "withdrawn", NULL,
					     error))
				return FALSE;
			continue;
		}
		if (!action_refuse(a, t, o->member, NULL, TRUE, error))
			return FALSE;
		n++;
	}
	if (count != NULL)
		*count = n;
	return TRUE;
}

GPtrArray *
action_group_queue(const config_t *cfg, store_t *st, const char *group, GError **error)
{
	g_autoptr(GPtrArray) queue = store_queue_list(st, group, error);
	GPtrArray *out;

	if (queue == NULL)
		return NULL;
	out = g_ptr_array_new();
	for (guint i = 0; i < queue->len; i++) {
		const config_member_t *m =
			config_member(cfg, ((store_queue_entry_t *)queue->pdata[i])->address);

		if (m != NULL && config_member_in_group(m, group) &&
		    !g_ptr_array_find(out, m, NULL))
			g_ptr_array_add(out, (gpointer)m);
	}
	for (guint i = 0; i < cfg->members->len; i++) {
		const config_member_t *m = cfg->members->pdata[i];

		if (config_member_in_group(m, group) && !g_ptr_array_find(out, m, NULL))
			g_ptr_array_add(out, (gpointer)m);
	}
	return out;
}

static config_target_kind_t
target_kind(const char *due_kind)
{
	if (g_strcmp0(due_kind, "first_response") == 0)
		return CONFIG_FIRST_RESPONSE;
	if (g_strcmp0(due_kind, "next_response") == 0)
		return CONFIG_NEXT_RESPONSE;
	return CONFIG_RESOLUTION;
}

/* The business seconds of T's target of KIND: its priority, in its
 * group, under its organisation's plan. */
static gint64
sla_target(action_t *a, const store_ticket_t *t, const config_group_t *g,
	   config_target_kind_t kind)
{
	return config_target(g, config_plan_for(a->cfg, t->org), kind, t->priority);
}

/* When T's warning is due: WARN_AT per cent of its target gone, or 0
 * when the group warns not. */
static gint64
sla_warn_time(action_t *a, const store_ticket_t *t, const config_group_t *g)
{
	gint64 target = sla_target(a, t, g, target_kind(t->due_kind));
	gint64 w;

	if (g->warn_at <= 0 || g->warn_at >= 100 || target <= 0)
		return 0;
	w = sla_deadline(g->calendar, t->due_from,
			 target * g->warn_at / 100 + t->paused_seconds - t->pause_base);
	return w == SLA_NEVER ? 0 : w;
}

/* Derive T's deadline and the timer's next look from its running clock
 * (due_kind, due_from, the pauses) and its target now: a priority or a
 * plan that changed moves the deadline. A clock whose target is gone
 * stops. */
static void
sla_schedule(action_t *a, store_ticket_t *t)
{
	const config_group_t *g = config_group(a->cfg, t->group);
	gint64 target, warn;

	if (t->due_kind == NULL || g == NULL || g->calendar == NULL) {
		sla_clear(t);
		return;
	}
	target = sla_target(a, t, g, target_kind(t->due_kind));
	if (target <= 0) {
		sla_clear(t);
		return;
	}
	t->due_at = sla_deadline(g->calendar, t->due_from,
				 target + t->paused_seconds - t->pause_base);
	if (t->due_at == SLA_NEVER) {
		sla_clear(t);
		return;
	}
	/* A breach at or after this deadline was this clock's: done. */
	if (t->paused_at != 0 || (t->breached_at != 0 && t->breached_at >= t->due_at)) {
		t->sla_next = 0;
		return;
	}
	warn = t->warned_at == 0 ? sla_warn_time(a, t, g) : 0;
	t->sla_next = warn != 0 && warn < t->due_at ? warn : t->due_at;
}

static gboolean
sla_schedule_store(action_t *a, store_ticket_t *t, GError **error)
{
	sla_schedule(a, t);
	return store_ticket_set_sla(a->st, t, error);
}

/* Start T's clock of KIND at FROM; the pauses before FROM do not count
 * for it (a next response), those since its opening do for the others. */
static gboolean
sla_clock_start(action_t *a, store_ticket_t *t, const char *kind, gint64 from,
		GError **error)
{
	g_free(t->due_kind);
	t->due_kind = g_strdup(kind);
	t->due_from = from;
	t->pause_base = strcmp(kind, "next_response") == 0 ? t->paused_seconds : 0;
	t->warned_at = 0;
	return sla_schedule_store(a, t, error);
}

gboolean
action_sla_start(action_t *a, store_ticket_t *t, GError **error)
{
	return sla_clock_start(a, t, "first_response", t->created, error);
}

gboolean
action_sla_answered(action_t *a, store_ticket_t *t, GError **error)
{
	gint64 resolved;

	if (t->first_response_at == 0)
		t->first_response_at = a->now;
	if (g_strcmp0(t->due_kind, "resolution") == 0)
		return store_ticket_set_sla(a->st, t, error);
	/* Back to the resolution clock, unless the ticket was resolved once:
	 * a reopened ticket has had its resolution. */
	if ((resolved = store_ticket_was_resolved(a->st, t->id, error)) < 0)
		return FALSE;
	if (resolved == 0)
		return sla_clock_start(a, t, "resolution", t->created, error);
	sla_clear(t);
	return store_ticket_set_sla(a->st, t, error);
}

gboolean
action_sla_customer(action_t *a, store_ticket_t *t, GError **error)
{
	const config_group_t *g = config_group(a->cfg, t->group);
	gint64 target, due;

	/* Not answered yet: the first response is still what is due. */
	if (t->first_response_at == 0 || g == NULL || g->calendar == NULL ||
	    g_strcmp0(t->due_kind, "next_response") == 0 ||
	    g_strcmp0(t->due_kind, "first_response") == 0)
		return TRUE;
	target = sla_target(a, t, g, CONFIG_NEXT_RESPONSE);
	if (target <= 0)
		return TRUE;
	due = sla_deadline(g->calendar, a->now, target);
	/* A resolution due before it (and not missed) is the deadline that
	 * binds. */
	if (t->due_kind != NULL && t->due_at != 0 && t->due_at <= due &&
	    !(t->breached_at != 0 && t->breached_at >= t->due_at))
		return TRUE;
	return sla_clock_start(a, t, "next_response", a->now, error);
}

gboolean
action_sla_recompute(action_t *a, store_ticket_t *t, gboolean *changed, GError **error)
{
	gint64 due = t->due_at, next = t->sla_next;
	gboolean was = t->due_kind != NULL;

	if (changed != NULL)
		*changed = FALSE;
	if (strcmp(t->state, "resolved") == 0 || strcmp(t->state, "closed") == 0)
		return TRUE;
	/* A target that appears (a priority raised past "low:0") starts the
	 * first-response clock from the opening. */
	if (t->due_kind == NULL && t->first_response_at == 0) {
		t->due_kind = g_strdup("first_response");
		t->due_from = t->created;
		t->pause_base = 0;
	}
	sla_schedule(a, t);
	if (t->due_at == due && t->sla_next == next && (t->due_kind != NULL) == was)
		return TRUE;
	if (changed != NULL)
		*changed = TRUE;
	return store_ticket_set_sla(a->st, t, error);
}

gboolean
action_sla_recompute_all(action_t *a, guint *count, GError **error)
{
	g_autoptr(GPtrArray) list = store_ticket_list_timed(a->st, error);
	guint n = 0;

	if (list == NULL)
		return FALSE;
	for (guint i = 0; i < list->len; i++) {
		gboolean changed;

		if (!action_sla_recompute(a, list->pdata[i], &changed, error))
			return FALSE;
		n += changed;
	}
	if (count != NULL)
		*count = n;
	return TRUE;
}

gint64
action_sla_due(action_t *a, GError **error)
{
	g_autoptr(GPtrArray) due = store_ticket_list_sla_due(a->st, a->now, 1, error);

	return due != NULL ? (gint64)due->len : -1;
}

/* Tell T's owner (else its group) that its deadline is near or missed. */
static gboolean
sla_tell(action_t *a, store_ticket_t *t, const char *note, GError **error)
{
	const config_member_t *m = t->owner ? config_member(a->cfg, t->owner) : NULL;

	if (m != NULL)
		return tell_member(a, t, m, "sla-warning", NULL, note, error);
	for (guint i = 0; i < a->cfg->members->len; i++) {
		const config_member_t *cm = a->cfg->members->pdata[i];

		if (config_member_in_group(cm, t->group) &&
		    !tell_member(a, t, cm, "sla-warning", NULL, note, error))
			return FALSE;
	}
	return TRUE;
}

/* The deadline of T has passed: record it, tell, act by on_breach. */
static gboolean
sla_breach(action_t *a, store_ticket_t *t, const config_group_t *g, GError **error)
{
	g_autofree char *due = json_format_time(t->due_at);
	const config_plan_t *plan = config_plan_for(a->cfg, t->org);
	const char *how = g->on_breach;
	g_autofree char *capped = NULL;
	g_autofree char *detail = NULL;
	GError *local = NULL;

	/* At its plan's highest tier the ticket is passed on within the tier,
	 * as on_breach = reassign would. */
	if (strcmp(how, "escalate") == 0 && t->tier >= config_plan_max_tier(plan) &&
	    t->tier < 4) {
		how = "reassign";
		capped = g_strdup_printf("; plan %s reaches tier %" G_GINT64_FORMAT
					 " at most: reassign", plan->name, plan->max_tier);
	}
	detail = g_strdup_printf("%s due %s missed (%s%s)", t->due_kind ? t->due_kind : "deadline",
				 due, g->on_breach, capped ? capped : "");

	t->breached_at = a->now;
	t->sla_next = 0;
	if (!store_ticket_set_sla(a->st, t, error) ||
	    !add_event(a, t->id, "breach", NULL, detail, error) ||
	    !sla_tell(a, t, "The deadline of this ticket has passed.", error))
		return FALSE;
	if (strcmp(how, "escalate") == 0)
		action_escalate(a, t, NULL, NULL, &local);
	else if (strcmp(how, "reassign") == 0 && t->owner != NULL)
		action_refuse(a, t, t->owner, "deadline missed", FALSE, &local);
	if (local == NULL)
		return TRUE;
	if (local->code != PD_ERROR_INPUT) {
		g_propagate_error(error, local);
		return FALSE;
	}
	/* Nothing higher to escalate to: the breach and the mail stand. */
	log_warn("ticket %" G_GINT64_FORMAT ": on_breach %s: %s", t->id, g->on_breach,
		 local->message);
	g_error_free(local);
	return TRUE;
}

gboolean
action_sla_tick(action_t *a, guint *warned, guint *breached, GError **error)
{
	g_autoptr(GPtrArray) due = store_ticket_list_sla_due(a->st, a->now, ACTION_TICK_MAX,
							     error);
	guint w = 0, b = 0;

	if (due == NULL)
		return FALSE;
	for (guint i = 0; i < due->len; i++) {
		store_ticket_t *t = due->pdata[i];
		const config_group_t *g = config_group(a->cfg, t->group);
		gint64 warn;

		if (g == NULL || g->calendar == NULL || t->due_at == 0) {
			/* A group gone from the configuration: nothing to time. */
			t->sla_next = 0;
			if (!store_ticket_set_sla(a->st, t, error))
				return FALSE;
			continue;
		}
		if (a->now >= t->due_at) {
			if (!sla_breach(a, t, g, error))
				return FALSE;
			b++;
			continue;
		}
		warn = t->warned_at == 0 ? sla_warn_time(a, t, g) : 0;
		if (warn != 0 && a->now >= warn) {
			t->warned_at = a->now;
			if (!sla_tell(a, t, NULL, error))
				return FALSE;
			w++;
		}
		/* Also what an old row (or a changed warn_at) needs. */
		if (!sla_schedule_store(a, t, error))
			return FALSE;
	}
	if (warned != NULL)
		*warned = w;
	if (breached != NULL)
		*breached = b;
	return TRUE;
}

/* ---- Housekeeping ---- */

/* Run JOB on T; one of housekeeping()'s jobs. */
typedef gboolean (*house_job_t)(action_t *a, store_ticket_t *t, const config_group_t *g,
				GError **error);

static gboolean
house_resolve(action_t *a, store_ticket_t *t, const config_group_t *g, GError **error)
{
	g_autofree char *detail = g_strdup_printf("no answer from the customer for %" G_GINT64_FORMAT
						  "s (wait_resolve)", a->now - t->state_at);

	return set_state(a, t, "resolved", NULL, "auto-resolved", error) &&
	       add_event(a, t->id, "auto-resolved", NULL, detail, error);
}

static gboolean
house_remind(action_t *a, store_ticket_t *t, const config_group_t *g, GError **error)
{
	g_autofree char *detail = g_strdup_printf("waiting on the customer since %" G_GINT64_FORMAT
						  "s (wait_reminder)", a->now - t->state_at);

	return store_ticket_set_reminded(a->st, t->id, a->now, error) &&
	       tell_requester(a, t, "wait-reminder", error) &&
	       add_event(a, t->id, "wait-reminder", NULL, detail, error);
}

static gboolean
house_close(action_t *a, store_ticket_t *t, const config_group_t *g, GError **error)
{
	g_autofree char *detail = g_strdup_printf("resolved %" G_GINT64_FORMAT
						  "s ago (close_after); mail opens a new ticket",
						  a->now - t->state_at);

	return set_state(a, t, "closed", NULL, NULL, error) &&
	       add_event(a, t->id, "closed", NULL, detail, error);
}

/* The jobs by action_house_job_t: a wait past both wait_resolve and
 * wait_reminder (run was down) is resolved without a reminder first. */
static const struct {
	const char *state;
	gsize after;       /* offset of the duration in config_group_t */
	gboolean unreminded;
	house_job_t job;
} HOUSE_JOBS[ACTION_HOUSE_JOBS] = {
	[ACTION_HOUSE_RESOLVE] = { "waiting", G_STRUCT_OFFSET(config_group_t, wait_resolve),
				   FALSE, house_resolve },
	[ACTION_HOUSE_REMIND] = { "waiting", G_STRUCT_OFFSET(config_group_t, wait_reminder),
				  TRUE, house_remind },
	[ACTION_HOUSE_CLOSE] = { "resolved", G_STRUCT_OFFSET(config_group_t, close_after),
				 FALSE, house_close },
};

/* How many tickets job J has due in every group (at most one a group
 * when only looking); with RUN, do it for at most ACTION_TICK_MAX a
 * group. -1 on error. */
static gint64
house_run(action_t *a, action_house_job_t j, gboolean run, GError **error)
{
	gint64 n = 0;

	for (guint i = 0; i < a->cfg->groups->len; i++) {
		const config_group_t *g = a->cfg->groups->pdata[i];
		gint64 after = G_STRUCT_MEMBER(gint64, g, HOUSE_JOBS[j].after);
		g_autoptr(GPtrArray) list = NULL;

		if (after <= 0)
			continue;
		list = store_ticket_list_in_state(a->st, g->name, HOUSE_JOBS[j].state,
						  a->now - after, HOUSE_JOBS[j].unreminded,
						  run ? ACTION_TICK_MAX : 1, error);
		if (list == NULL)
			return -1;
		for (guint k = 0; run && k < list->len; k++)
			if (!HOUSE_JOBS[j].job(a, list->pdata[k], g, error))
				return -1;
		n += list->len;
	}
	return n;
}

gint64
action_housekeeping_due(action_t *a, GError **error)
{
	gint64 n = 0;

	for (int j = 0; j < ACTION_HOUSE_JOBS; j++) {
		gint64 k = house_run(a, j, FALSE, error);

		if (k < 0)
			return -1;
		n += k;
	}
	return n;
}

gboolean
action_housekeeping(action_t *a, guint counts[ACTION_HOUSE_JOBS], GError **error)
{
	for (int j = 0; j < ACTION_HOUSE_JOBS; j++) {
		gint64 k = house_run(a, j, TRUE, error);

		if (k < 0)
			return FALSE;
		counts[j] = (guint)k;
	}
	return TRUE;
}
