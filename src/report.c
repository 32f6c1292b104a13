/* SPDX-License-Identifier: MIT
 * report.c: see report.h. RFC 4180 (CSV). */
#include "autodefs.h"
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "banned.h"

/* Per member while counting: the row and the first-response times. */
typedef struct {
	report_row_t *row;
	GArray *times;        /* gint64 seconds */
} tally_t;

static void
tally_free(tally_t *t)
{
	g_array_unref(t->times);
	g_free(t);
}

static int
cmp_gint64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

/* The member "offered to X (...)" or "to X, tier ..." names, as
 * action.c writes them; NULL when DETAIL names none. Borrowed from
 * CFG. */
static const config_member_t *
named_member(const config_t *cfg, const char *detail, const char *prefix)
{
	g_autofree char *addr = NULL;
	gsize len;

	if (detail == NULL || !g_str_has_prefix(detail, prefix))
		return NULL;
	detail += strlen(prefix);
	len = strcspn(detail, " ,");
	addr = g_strndup(detail, len);
	return config_member(cfg, addr);
}

/* Who holds the ticket after event E, given HOLDER before it. */
static const config_member_t *
next_holder(const config_t *cfg, const report_event_t *e, const config_member_t *holder)
{
	if (strcmp(e->kind, "assigned") == 0)
		return named_member(cfg, e->detail, "offered to ");
	if (strcmp(e->kind, "taken") == 0)
		return e->actor != NULL ? config_member(cfg, e->actor) : NULL;
	if (strcmp(e->kind, "referral") == 0)
		return e->detail != NULL ? config_member(cfg, e->detail) : NULL;
	if (strcmp(e->kind, "escalated") == 0)
		return named_member(cfg, e->detail, "to ");
	if (strcmp(e->kind, "refused") == 0 || strcmp(e->kind, "group") == 0)
		return NULL;
	return holder;
}

GPtrArray *
report_contributions(const config_t *cfg, const report_event_t *events, gsize n, gint64 from,
		     gint64 to)
{
	g_autoptr(GHashTable) tallies = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
							      (GDestroyNotify)tally_free);
	GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
	const config_member_t *holder = NULL;
	gint64 ticket = 0, created = 0;
	gboolean answered = FALSE;

	for (guint i = 0; i < cfg->members->len; i++) {
		tally_t *t = g_new0(tally_t, 1);

		t->row = g_new0(report_row_t, 1);
		t->row->member = cfg->members->pdata[i];
		t->row->first_response_median = -1;
		t->times = g_array_new(FALSE, FALSE, sizeof(gint64));
		g_ptr_array_add(rows, t->row);
		g_hash_table_insert(tallies, (gpointer)t->row->member, t);
	}
	for (gsize i = 0; i < n; i++) {
		const report_event_t *e = &events[i];
		const config_member_t *m = e->actor != NULL ? config_member(cfg, e->actor) : NULL;
		tally_t *by = m != NULL ? g_hash_table_lookup(tallies, m) : NULL;
		gboolean inside = e->at >= from && e->at < to;

		if (e->ticket != ticket) {
			ticket = e->ticket;
			holder = NULL;
			created = e->at;   /* the first event of a ticket opens it */
			answered = FALSE;
		}
		if (strcmp(e->kind, "created") == 0)
			created = e->at;
		if (strcmp(e->kind, "reply") == 0 && !answered) {
			answered = TRUE;
			if (inside && by != NULL) {
				gint64 took = MAX(e->at - created, 0);

				g_array_append_val(by->times, took);
			}
		}
		if (inside && strcmp(e->kind, "breach") == 0 && holder != NULL)
			((tally_t *)g_hash_table_lookup(tallies, holder))->row->breaches++;
		if (inside && strcmp(e->kind, "referral") == 0 && e->detail != NULL) {
			const config_member_t *p = config_member(cfg, e->detail);

			if (p != NULL)
				((tally_t *)g_hash_table_lookup(tallies, p))->row->received++;
		}
		holder = next_holder(cfg, e, holder);
		if (!inside || by == NULL)
			continue;
		if (strcmp(e->kind, "taken") == 0)
			by->row->taken++;
		else if (strcmp(e->kind, "reply") == 0)
			by->row->replies++;
		else if (strcmp(e->kind, "referral") == 0)
			by->row->referred++;
		else if (strcmp(e->kind, "state") == 0 && e->detail != NULL &&
			 g_str_has_suffix(e->detail, "-> resolved"))
			by->row->resolved++;
	}
	for (guint i = 0; i < rows->len; i++) {
		report_row_t *r = rows->pdata[i];
		tally_t *t = g_hash_table_lookup(tallies, r->member);
		guint k = t->times->len;

		r->first_responses = k;
		if (k == 0)
			continue;
		g_array_sort(t->times, cmp_gint64);
		r->first_response_median = k % 2 ? g_array_index(t->times, gint64, k / 2)
						 : (g_array_index(t->times, gint64, k / 2 - 1) +
						    g_array_index(t->times, gint64, k / 2)) / 2;
	}
	return rows;
}

/* "45m", "2h05m", "3d04h": a duration for people; "-" for none. */
static char *
human(gint64 s)
{
	if (s < 0)
		return g_strdup("-");
	if (s >= 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "d%02" G_GINT64_FORMAT "h", s / 86400,
				       s % 86400 / 3600);
	if (s >= 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", s / 3600,
				       s % 3600 / 60);
	return g_strdup_printf("%" G_GINT64_FORMAT "m", (s + 59) / 60);
}

/* Append FIELD to OUT as one RFC 4180 field. */
static void
csv_field(GString *out, const char *field)
{
	if (field == NULL)
		return;
	if (strpbrk(field, ",\"\r\n") == NULL) {
		g_string_append(out, field);
		return;
	}
	g_string_append_c(out, '"');
	for (const char *p = field; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

char *
report_format(GPtrArray *rows, gboolean csv)
{
	GString *out = g_string_new(NULL);
	int width = (int)strlen("member");

	for (guint i = 0; i < rows->len; i++)
		width = MAX(width, (int)strlen(((report_row_t *)rows->pdata[i])->member->address));
	if (csv)
		g_string_append(out, "member,name,taken,replies,resolved,first_responses,"
				     "first_response_median_s,referred,received,breaches\r\n");
	else
		g_string_append_printf(out, "%-*s %6s %7s %8s %15s %8s %8s %8s\n", width, "member",
				       "taken", "replies", "resolved", "first response",
				       "referred", "received", "breaches");
	for (guint i = 0; i < rows->len; i++) {
		const report_row_t *r = rows->pdata[i];
		g_autofree char *median = human(r->first_response_median);

		if (!csv) {
			g_autofree char *fr = g_strdup_printf("%s (%u)", median, r->first_responses);

			g_string_append_printf(out, "%-*s %6u %7u %8u %15s %8u %8u %8u\n", width,
					       r->member->address, r->taken, r->replies, r->resolved,
					       r->first_responses ? fr : "-", r->referred, r->received,
					       r->breaches);
			continue;
		}
		csv_field(out, r->member->address);
		g_string_append_c(out, ',');
		csv_field(out, r->member->name);
		g_string_append_printf(out, ",%u,%u,%u,%u,", r->taken, r->replies, r->resolved,
				       r->first_responses);
		if (r->first_response_median >= 0)
			g_string_append_printf(out, "%" G_GINT64_FORMAT, r->first_response_median);
		g_string_append_printf(out, ",%u,%u,%u\r\n", r->referred, r->received, r->breaches);
	}
	return g_string_free(out, FALSE);
}
