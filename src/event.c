/* SPDX-License-Identifier: MIT
 * event.c: see event.h. A webhook delivery is a row, not a request:
 * nothing is sent from inside the caller's transaction (webhook-send.c
 * sends after the commit), and a receiver that is down loses nothing. */
#include "autodefs.h"
#include "event.h"
#include "json.h"
#include "ticket-json.h"
#include "webhook.h"
#include "banned.h"

GBytes *
event_webhook_body(const char *delivery_id, const char *kind, gint64 at, const char *actor,
		   const store_ticket_t *ticket, const char *detail)
{
	GString *out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_object(j);
	json_key(j, "event");
	json_string(j, kind);
	json_key(j, "id");
	json_string(j, delivery_id);
	json_key(j, "at");
	json_time(j, at);
	json_key(j, "actor");
	json_string(j, actor);
	json_key(j, "ticket");
	if (ticket != NULL) {
		json_begin_object(j);
		ticket_json_summary(j, ticket);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_key(j, "detail");
	json_string(j, detail);
	json_end_object(j);
	return g_string_free_to_bytes(out);
}

gboolean
event_add(const config_t *cfg, store_t *st, gint64 ticket, gint64 at, const char *kind,
	  const char *actor, const char *detail, GError **error)
{
	g_autoptr(store_ticket_t) t = NULL;

	if (!store_event_add(st, ticket, at, kind, actor, detail, error))
		return FALSE;
	if (cfg == NULL || cfg->webhooks->len == 0)
		return TRUE;
	/* The group decides which webhooks may see the event, and the body
	 * shows the ticket as it is now, in this transaction. */
	if (ticket != 0 && (t = store_ticket_get(st, ticket, error)) == NULL)
		return FALSE;
	for (guint i = 0; i < cfg->webhooks->len; i++) {
		const config_webhook_t *wh = cfg->webhooks->pdata[i];
		g_autofree char *id = NULL;
		g_autoptr(GBytes) body = NULL;
		store_webhook_t d = { 0 };

		if (!webhook_wants(wh, kind, t != NULL ? t->group : NULL))
			continue;
		/* Random, not the row id: unique across databases, so a
		 * restored backup does not reuse ids a receiver has seen. */
		id = g_uuid_string_random();
		body = event_webhook_body(id, kind, at, actor, t, detail);
		d.webhook = wh->name;
		d.delivery_id = id;
		d.ticket_id = ticket;
		d.kind = (char *)kind;
		d.body = body;
		d.created = at;
		if (store_webhook_add(st, &d, error) == 0)
			return FALSE;
	}
	return TRUE;
}
