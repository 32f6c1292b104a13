/* SPDX-License-Identifier: MIT
 * route.c: see route.h. */
#include "autodefs.h"
#include <string.h>
#include "route.h"
#include "banned.h"

gboolean
route_policy_parse(const char *text, route_policy_t *policy)
{
	if (g_strcmp0(text, "round-robin") == 0)
		*policy = ROUTE_ROUND_ROBIN;
	else if (g_strcmp0(text, "least-loaded") == 0)
		*policy = ROUTE_LEAST_LOADED;
	else if (g_strcmp0(text, "manual") == 0)
		*policy = ROUTE_MANUAL;
	else
		return FALSE;
	return TRUE;
}

const char *
route_unavailable(const route_member_t *m, gint64 tier)
{
	if (m->offered)
		return "was offered this ticket before";
	if (m->away)
		return "is away";
	if (m->capacity > 0 && m->open >= m->capacity)
		return "is at capacity";
	if (m->tier < tier)
		return "is of a lower tier";
	return NULL;
}

/* Whether A comes before B under POLICY. */
static gboolean
route_before(route_policy_t policy, const route_member_t *a, const route_member_t *b)
{
	if (a->tier != b->tier)
		return a->tier < b->tier;
	if (policy == ROUTE_LEAST_LOADED && a->open != b->open)
		return a->open < b->open;
	if (a->pos != b->pos)
		return a->pos < b->pos;
	return strcmp(a->address, b->address) < 0;
}

gint
route_pick(route_policy_t policy, const route_member_t *members, guint n, gint64 tier)
{
	gint best = -1;

	if (policy == ROUTE_MANUAL)
		return -1;
	for (guint i = 0; i < n; i++) {
		if (route_unavailable(&members[i], tier) != NULL)
			continue;
		if (best < 0 || route_before(policy, &members[i], &members[best]))
			best = (gint)i;
	}
	return best;
}

static gboolean
is_word_byte(char c)
{
	return g_ascii_isalnum(c) || (guchar)c >= 0x80;
}

gboolean
route_subject_urgent(const char *subject)
{
	static const char *const words[] = { "urgent", "emergency" };

	for (const char *p = subject; p != NULL && *p != '\0'; p++) {
		if (p != subject && is_word_byte(p[-1]))
			continue;
		for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
			gsize n = strlen(words[i]);

			if (g_ascii_strncasecmp(p, words[i], n) == 0 && !is_word_byte(p[n]))
				return TRUE;
		}
	}
	return FALSE;
}
