/* SPDX-License-Identifier: MIT
 * webhook.c: see webhook.h. */
#include "autodefs.h"
#include <string.h>
#include "webhook.h"
#include "banned.h"

/* DESIGN.md, "Contracts": the event kinds scripts rely on, and the
 * housekeeping's (postdesk.conf(5), wait_reminder ... close_after). */
static const char *const KINDS[] = {
	"created", "message", "assigned", "refused", "taken", "state", "escalated",
	"note", "breach", "over-quota", "not-covered", "forward", "bounce", "wait-reminder",
	"auto-resolved", "closed", "flood", NULL,
};

const char *const *
webhook_kinds(void)
{
	return KINDS;
}

gboolean
webhook_kind_known(const char *kind)
{
	return kind != NULL && g_strv_contains(KINDS, kind);
}

gboolean
webhook_wants(const config_webhook_t *wh, const char *kind, const char *group)
{
	const char *const *events = (const char *const *)wh->events;
	const char *const *groups = (const char *const *)wh->groups;

	if (events == NULL || kind == NULL)
		return FALSE;
	/* An internal note is for members: "*" does not reach it, so a
	 * webhook written for customers' tickets never leaks one. */
	if (!g_strv_contains(events, kind) &&
	    (strcmp(kind, "note") == 0 || !g_strv_contains(events, "*")))
		return FALSE;
	if (groups == NULL || groups[0] == NULL)
		return TRUE;
	return group != NULL && g_strv_contains(groups, group);
}

webhook_outcome_t
webhook_status_outcome(long status)
{
	if (status >= 200 && status <= 299)
		return WEBHOOK_DELIVERED;
	if (status == 429 || (status >= 500 && status <= 599))
		return WEBHOOK_RETRY;
	/* Redirects are not followed: the events would go to a URL nobody
	 * configured. The operator fixes [webhook:NAME] url. */
	return WEBHOOK_REFUSED;
}

char *
webhook_signature(GBytes *key, gint64 timestamp, const void *body, gsize len)
{
	gsize klen = 0;
	const guchar *k = g_bytes_get_data(key, &klen);
	g_autoptr(GHmac) mac = g_hmac_new(G_CHECKSUM_SHA256, k, klen);
	g_autofree char *ts = g_strdup_printf("%" G_GINT64_FORMAT, timestamp);

	g_hmac_update(mac, (const guchar *)ts, (gssize)strlen(ts));
	g_hmac_update(mac, (const guchar *)".", 1);
	if (len > 0)
		g_hmac_update(mac, body, (gssize)len);
	return g_strdup_printf("t=%s,v1=%s", ts, g_hmac_get_string(mac));
}
