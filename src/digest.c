/* SPDX-License-Identifier: MIT
 * digest.c: see digest.h. RFC 6068 (the mailto: of each ticket). */
#include "autodefs.h"
#include <string.h>
#include "digest.h"
#include "json.h"
#include "sla.h"
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

static gboolean
digest_moderators(const config_t *cfg, store_t *st, notice_t *notice, const char *only,
		  guint *sent, GError **error)
{
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

char *
digest_period(const char *freq, GTimeZone *tz, gint64 at_minutes, gint64 now,
	      gboolean scheduled)
{
	g_autoptr(GTimeZone) utc_tz = tz == NULL ? g_time_zone_new_utc() : NULL;
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now);
	g_autoptr(GDateTime) local = NULL;
	g_autoptr(GDateTime) monday = NULL;
	g_autofree char *day = NULL;
	gboolean weekly = g_strcmp0(freq, "weekly") == 0;
	int dow;

	if ((!weekly && g_strcmp0(freq, "daily") != 0) || utc == NULL)
		return NULL;
	local = g_date_time_to_timezone(utc, tz != NULL ? tz : utc_tz);
	dow = g_date_time_get_day_of_week(local);
	if (scheduled &&
	    (g_date_time_get_hour(local) * 60 + g_date_time_get_minute(local) < at_minutes ||
	     (weekly && dow != 1)))
		return NULL;
	if (!weekly)
		return g_date_time_format(local, "%Y-%m-%d");
	monday = g_date_time_add_days(local, 1 - dow);
	day = g_date_time_format(monday, "%Y-%m-%d");
	return g_strdup_printf("week %s", day);
}

/* The zone M's day is read in: their own, else their first group's
 * (NULL: UTC). ZONES caches them by name for one run: loading a zone
 * reads and parses its tzdata file. Borrowed from ZONES. */
static GTimeZone *
member_zone(const config_t *cfg, GHashTable *zones, const config_member_t *m)
{
	const config_group_t *g;
	const char *name = m->timezone;
	GTimeZone *tz;

	if (name == NULL && m->groups != NULL && m->groups[0] != NULL &&
	    (g = config_group(cfg, m->groups[0])) != NULL)
		name = g->timezone;
	if (name == NULL)
		return NULL;
	if ((tz = g_hash_table_lookup(zones, name)) == NULL) {
		/* config_load() checked the name; NULL only if tzdata went away. */
		tz = g_time_zone_new_identifier(name);
		if (tz == NULL)
			return NULL;
		g_hash_table_insert(zones, (gpointer)name, tz);
	}
	return tz;
}

static GHashTable *
zones_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				     (GDestroyNotify)g_time_zone_unref);
}

/* One member or group digest to make. */
typedef struct {
	const config_member_t *m;
	const config_group_t *g;   /* NULL: the member digest */
	const char *freq;          /* daily | weekly */
	GTimeZone *tz;             /* the member's, borrowed; NULL: UTC */
	char *kind;                /* "member" or "group:NAME" */
	char *period;
} job_t;

static void
job_free(job_t *j)
{
	g_free(j->kind);
	g_free(j->period);
	g_free(j);
}

/* Add M's digest of G (NULL: the member digest) to JOBS when FREQ makes
 * one at NOW (SCHEDULED: due and not yet done). */
static gboolean
job_add(const config_t *cfg, store_t *st, GPtrArray *jobs, const config_member_t *m,
	GTimeZone *tz, const config_group_t *g, const char *freq, gboolean scheduled,
	gint64 now, GError **error)
{
	g_autofree char *period = digest_period(freq, tz, cfg->digest_time, now, scheduled);
	g_autofree char *kind = NULL;
	job_t *j;

	if (period == NULL)
		return TRUE;
	kind = g != NULL ? g_strdup_printf("group:%s", g->name) : g_strdup("member");
	if (scheduled) {
		gint64 done = store_digest_sent(st, m->address, kind, period, error);

		if (done != 0)
			return done > 0;
	}
	j = g_new0(job_t, 1);
	j->m = m;
	j->g = g;
	j->freq = freq;
	j->tz = tz;
	j->kind = g_steal_pointer(&kind);
	j->period = g_steal_pointer(&period);
	g_ptr_array_add(jobs, j);
	return TRUE;
}

/* The member and group digests of KINDS to make at NOW for every member
 * not away (only ONLY when not NULL). Array of job_t*, whose zones are
 * borrowed from ZONES. */
static GPtrArray *
jobs_collect(const config_t *cfg, store_t *st, GHashTable *zones, const char *only,
	     guint kinds, gboolean scheduled, gint64 now, GError **error)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func((GDestroyNotify)job_free);
	const config_member_t *want = only != NULL ? config_member(cfg, only) : NULL;

	for (guint i = 0; i < cfg->members->len; i++) {
		const config_member_t *m = cfg->members->pdata[i];
		guint before = jobs->len;
		GError *local = NULL;
		GTimeZone *tz;
		gint64 away;

		if ((only != NULL && m != want) || m->away)
			continue;
		tz = member_zone(cfg, zones, m);
		if ((kinds & DIGEST_MEMBER) &&
		    !job_add(cfg, st, jobs, m, tz, NULL, m->digest, scheduled, now, error))
			return NULL;
		for (guint k = 0; (kinds & DIGEST_GROUP) && k < cfg->groups->len; k++) {
			const config_group_t *g = cfg->groups->pdata[k];

			if (strcmp(g->digest, "off") != 0 && config_member_in_group(m, g->name) &&
			    !job_add(cfg, st, jobs, m, tz, g, g->digest, scheduled, now, error))
				return NULL;
		}
		if (jobs->len == before)
			continue;
		/* #away: asked only of members with something due. */
		away = store_member_away_until(st, m->address, &local);
		if (local != NULL) {
			g_propagate_error(error, local);
			return NULL;
		}
		if (away > now)
			g_ptr_array_remove_range(jobs, before, jobs->len - before);
	}
	return g_steal_pointer(&jobs);
}

gint64
digest_due(const config_t *cfg, store_t *st, gint64 now, GError **error)
{
	g_autoptr(GHashTable) zones = zones_new();
	g_autoptr(GPtrArray) jobs = jobs_collect(cfg, st, zones, NULL,
						 DIGEST_MEMBER | DIGEST_GROUP, TRUE, now, error);

	return jobs != NULL ? (gint64)jobs->len : -1;
}

/* An open ticket and what every digest line of it shows whoever reads
 * it, made on its first line (a ticket is in a group digest per member). */
typedef struct {
	const store_ticket_t *t;
	char *tagged;            /* "[Support #12] subject" */
	char *tagged_q;          /* the same, escaped for a mailto: URL */
	char *age;
} pool_ticket_t;

/* Every open ticket, read once and sorted out for all the digests. */
typedef struct {
	GPtrArray *open;         /* store_ticket_t*, by id */
	pool_ticket_t *items;    /* one per ticket of OPEN */
	GPtrArray *offers;       /* store_offer_t* still offered */
	GHashTable *by_owner;    /* address -> GPtrArray* of items (borrowed) */
	GHashTable *by_group;    /* group -> GPtrArray*, nobody's tickets first */
	GHashTable *offered;     /* &ticket id -> member offered it (borrowed) */
} pool_t;

static void
pool_clear(pool_t *p)
{
	g_clear_pointer(&p->by_owner, g_hash_table_unref);
	g_clear_pointer(&p->by_group, g_hash_table_unref);
	g_clear_pointer(&p->offered, g_hash_table_unref);
	g_clear_pointer(&p->offers, g_ptr_array_unref);
	for (guint i = 0; p->items != NULL && i < p->open->len; i++) {
		g_free(p->items[i].tagged);
		g_free(p->items[i].tagged_q);
		g_free(p->items[i].age);
	}
	g_clear_pointer(&p->items, g_free);
	g_clear_pointer(&p->open, g_ptr_array_unref);
}

static void
pool_add(GHashTable *h, const char *key, pool_ticket_t *item)
{
	GPtrArray *list = g_hash_table_lookup(h, key);

	if (list == NULL) {
		list = g_ptr_array_new();
		g_hash_table_insert(h, (gpointer)key, list);
	}
	g_ptr_array_add(list, item);
}

static gboolean
pool_load(pool_t *p, store_t *st, GError **error)
{
	if ((p->open = store_ticket_list_open(st, error)) == NULL ||
	    (p->offers = store_offer_pending(st, G_MAXINT64, error)) == NULL)
		return FALSE;
	p->items = g_new0(pool_ticket_t, p->open->len);
	p->by_owner = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)g_ptr_array_unref);
	p->by_group = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)g_ptr_array_unref);
	p->offered = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (guint i = 0; i < p->offers->len; i++) {
		store_offer_t *o = p->offers->pdata[i];

		g_hash_table_insert(p->offered, &o->ticket_id, o->member);
	}
	for (guint i = 0; i < p->open->len; i++) {
		store_ticket_t *t = p->open->pdata[i];

		p->items[i].t = t;
		if (t->owner != NULL)
			pool_add(p->by_owner, t->owner, &p->items[i]);
		else
			pool_add(p->by_group, t->group, &p->items[i]);
	}
	for (guint i = 0; i < p->open->len; i++) {
		store_ticket_t *t = p->open->pdata[i];

		if (t->owner != NULL)
			pool_add(p->by_group, t->group, &p->items[i]);
	}
	return TRUE;
}

/* How many of a digest's tickets are offered, unowned, breached. */
typedef struct {
	guint offered, unowned, breached;
} tally_t;

/* Append ticket PT to V's "tickets" as recipient M sees it. */
static void
ticket_item(const config_t *cfg, notice_t *notice, const pool_t *p, const config_member_t *m,
	    pool_ticket_t *pt, template_vars_t *v, gint64 now, tally_t *tally)
{
	const store_ticket_t *t = pt->t;
	const config_group_t *g = config_group(cfg, t->group);
	template_vars_t *item = template_vars_append(v, "tickets");
	g_autofree char *reply = notice_reply_address(notice, t->id, m->address);
	g_autofree char *mailto = NULL;
	g_autofree char *due = NULL;
	gboolean offered = t->owner != NULL &&
			   g_strcmp0(g_hash_table_lookup(p->offered, &t->id), t->owner) == 0;

	if (pt->tagged == NULL) {
		pt->tagged = thread_subject_tagged(t->subject, cfg->tag, t->id);
		pt->tagged_q = g_uri_escape_string(pt->tagged, NULL, FALSE);
		pt->age = age(t->created, now);
	}
	mailto = g_strdup_printf("mailto:%s?subject=%s", reply, pt->tagged_q);
	if (t->due_at != 0 && t->paused_at == 0 && g != NULL && g->calendar != NULL)
		due = sla_phrase(g->calendar, t->due_at, now, m->timezone, cfg->language);
	tally->offered += offered;
	tally->unowned += t->owner == NULL;
	tally->breached += t->breached_at != 0;
	template_vars_set_int(item, "id", t->id);
	template_vars_set(item, "subject", t->subject);
	template_vars_set(item, "tagged_subject", pt->tagged);
	template_vars_set(item, "state", t->state);
	template_vars_set(item, "group", t->group);
	template_vars_set(item, "owner", t->owner);
	template_vars_set(item, "age", pt->age);
	template_vars_set(item, "due", due);
	template_vars_set(item, "offered", offered ? "yes" : NULL);
	template_vars_set(item, "mark", t->breached_at != 0 ? "BREACHED"
					: t->warned_at != 0 ? "deadline near" : NULL);
	template_vars_set(item, "reply_address", reply);
	template_vars_set(item, "mailto", mailto);
}

/* A count for a template section: empty when 0. */
static void
set_count(template_vars_t *v, const char *name, guint n)
{
	if (n > 0)
		template_vars_set_int(v, name, n);
	else
		template_vars_set(v, name, NULL);
}

/* Make job J from P at NOW: queue it unless it is empty, and record it
 * done for its period either way. */
static gboolean
job_run(const config_t *cfg, store_t *st, notice_t *notice, const pool_t *p, const job_t *j,
	gint64 now, guint *sent, GError **error)
{
	GPtrArray *list = g_hash_table_lookup(j->g ? p->by_group : p->by_owner,
					      j->g ? j->g->name : j->m->address);
	g_autoptr(template_vars_t) v = NULL;
	g_autofree char *date = NULL;
	notice_mail_t mail = { 0 };
	tally_t tally = { 0 };
	gboolean queued = FALSE;

	if (list != NULL && list->len > 0) {
		v = template_vars_new();
		for (guint i = 0; i < list->len; i++)
			ticket_item(cfg, notice, p, j->m, list->pdata[i], v, now, &tally);
		date = digest_period("daily", j->tz, 0, now, FALSE);
		template_vars_set(v, "digest.member_name", j->m->name ? j->m->name : j->m->address);
		template_vars_set(v, "digest.date", date);
		template_vars_set(v, "digest.period", j->freq);
		template_vars_set(v, "digest.group", j->g ? j->g->name : NULL);
		template_vars_set(v, "digest.group_name", j->g ? j->g->display_name : NULL);
		template_vars_set_int(v, "digest.count", list->len);
		set_count(v, "digest.offered", tally.offered);
		set_count(v, "digest.unowned", tally.unowned);
		set_count(v, "digest.breached", tally.breached);
		mail.template_name = j->g ? "digest-group" : "digest-member";
		mail.to_address = j->m->address;
		mail.to_name = j->m->name;
		mail.vars = v;
		if (!notice_send(notice, &mail, &queued, error)) {
			g_prefix_error(error, "%s digest of %s: ", j->kind, j->m->address);
			return FALSE;
		}
	}
	*sent += queued;
	return store_digest_mark(st, j->m->address, j->kind, j->period, now, error);
}

gboolean
digest_send(const config_t *cfg, store_t *st, notice_t *notice, const char *only,
	    guint kinds, gboolean scheduled, gint64 now, guint *sent, GError **error)
{
	g_autoptr(GHashTable) zones = zones_new();
	g_autoptr(GPtrArray) jobs = NULL;
	pool_t pool = { 0 };
	gboolean ok = TRUE;

	*sent = 0;
	if (kinds & (DIGEST_MEMBER | DIGEST_GROUP)) {
		jobs = jobs_collect(cfg, st, zones, only, kinds, scheduled, now, error);
		if (jobs == NULL)
			return FALSE;
		if (jobs->len > 0)
			ok = pool_load(&pool, st, error);
		for (guint i = 0; ok && i < jobs->len; i++)
			ok = job_run(cfg, st, notice, &pool, jobs->pdata[i], now, sent, error);
		pool_clear(&pool);
		if (!ok)
			return FALSE;
	}
	if (!scheduled && (kinds & DIGEST_MODERATOR))
		return digest_moderators(cfg, st, notice, only, sent, error);
	return TRUE;
}
