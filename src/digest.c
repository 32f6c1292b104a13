/* SPDX-License-Identifier: MIT
 * digest.c: see digest.h. */
#include "autodefs.h"
#include <string.h>
#include "digest.h"
#include "json.h"
#include "template.h"
#include "thread.h"
#include "util.h"
#include "banned.h"

/* "3d", "5h", "20m": how long ago SINCE was, for people. New string. */
static char *
age(gint64 since, gint64 now)
{
	gint64 s = MAX(now - since, 0);

	if (s >= 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "d", s / 86400);
	if (s >= 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT "h", s / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT "m", s / 60);
}

/* Add the tickets of LIST not yet in SEEN to V's "tickets". */
static gboolean
add_tickets(const config_t *cfg, store_t *st, notice_t *notice, const char *to,
	    GPtrArray *list, GHashTable *seen, template_vars_t *v, guint *unanswered,
	    gint64 now, GError **error)
{
	for (guint i = 0; i < list->len; i++) {
		const store_ticket_t *t = list->pdata[i];
		template_vars_t *item;
		g_autofree char *tagged = NULL, *reply = NULL, *ago = NULL, *state = NULL;
		gint64 replies;

		if (g_hash_table_contains(seen, &t->id))
			continue;
		g_hash_table_add(seen, g_memdup2(&t->id, sizeof t->id));
		if ((replies = store_event_count(st, t->id, "reply", error)) < 0)
			return FALSE;
		tagged = thread_subject_tagged(t->subject, cfg->tag, t->id);
		reply = notice_reply_address(notice, t->id, to);
		ago = age(t->created, now);
		state = g_strdup_printf("%s%s", t->state,
					replies == 0 && strcmp(t->state, "resolved") != 0
					? ", unanswered" : "");
		*unanswered += replies == 0;
		item = template_vars_append(v, "tickets");
		template_vars_set_int(item, "id", t->id);
		template_vars_set(item, "subject", t->subject);
		template_vars_set(item, "tagged_subject", tagged);
		template_vars_set(item, "state", state);
		template_vars_set(item, "group", t->group);
		template_vars_set(item, "owner", t->owner);
		template_vars_set(item, "age", ago);
		template_vars_set(item, "reply_address", reply);
	}
	return TRUE;
}

/* The digest of moderator ADDRESS (NAME may be NULL) in GROUPS (NULL:
 * every group); *SENT is incremented when one is queued. */
static gboolean
moderator_digest(const config_t *cfg, store_t *st, notice_t *notice, const char *address,
		 const char *name, char **groups, guint *sent, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
							   NULL);
	g_autoptr(template_vars_t) v = template_vars_new();
	g_autoptr(GPtrArray) forwarded = store_ticket_list_forwarded_by(st, address, error);
	g_autoptr(GString) note = g_string_new(NULL);
	g_autoptr(GDateTime) today = NULL;
	g_autofree char *date = NULL;
	notice_mail_t m = { 0 };
	gint64 now = util_now();
	guint unanswered = 0, lost = 0;
	gboolean queued;

	if (forwarded == NULL ||
	    !add_tickets(cfg, st, notice, address, forwarded, seen, v, &unanswered, now, error))
		return FALSE;
	for (guint i = 0; i < forwarded->len; i++)
		lost += strcmp(((store_ticket_t *)forwarded->pdata[i])->requester_address,
			       address) == 0;
	for (guint i = 0; i < cfg->groups->len; i++) {
		const config_group_t *g = cfg->groups->pdata[i];
		g_autoptr(GPtrArray) lists = NULL;

		if (groups != NULL && groups[0] != NULL &&
		    !g_strv_contains((const char *const *)groups, g->name))
			continue;
		if ((lists = store_ticket_list_from_lists(st, g->name, error)) == NULL ||
		    !add_tickets(cfg, st, notice, address, lists, seen, v, &unanswered, now, error))
			return FALSE;
	}
	if (g_hash_table_size(seen) == 0)
		return TRUE;  /* an empty digest is not sent */
	if (unanswered > 0)
		g_string_append_printf(note, "%u of them unanswered. ", unanswered);
	if (lost > 0)
		g_string_append_printf(note, "%u forward%s could not be attributed to an "
				       "original author: those tickets are yours.", lost,
				       lost == 1 ? "" : "s");
	today = g_date_time_new_from_unix_utc(now);
	date = g_date_time_format(today, "%Y-%m-%d");
	template_vars_set(v, "digest.member_name", name ? name : address);
	template_vars_set(v, "digest.date", date);
	template_vars_set(v, "note", g_strstrip(note->str));
	m.template_name = "digest-moderator";
	m.to_address = address;
	m.to_name = name;
	m.vars = v;
	if (!notice_send(notice, &m, &queued, error))
		return FALSE;
	*sent += queued;
	return TRUE;
}

gboolean
digest_moderators(const config_t *cfg, store_t *st, notice_t *notice, const char *only,
		  guint *sent, GError **error)
{
	*sent = 0;
	for (guint i = 0; i < cfg->members->len; i++) {
		const config_member_t *m = cfg->members->pdata[i];

		if (!m->moderator || (only != NULL && strcmp(only, m->address) != 0))
			continue;
		if (!moderator_digest(cfg, st, notice, m->address, m->name, m->groups, sent, error))
			return FALSE;
	}
	for (char **a = cfg->moderators; a != NULL && *a != NULL; a++) {
		const config_member_t *m = config_member(cfg, *a);

		if ((m != NULL && m->moderator) || (only != NULL && strcmp(only, *a) != 0))
			continue;  /* a moderating member had theirs above */
		if (!moderator_digest(cfg, st, notice, m ? m->address : *a, m ? m->name : NULL,
				      m ? m->groups : NULL, sent, error))
			return FALSE;
	}
	return TRUE;
}
