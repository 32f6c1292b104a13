/* SPDX-License-Identifier: MIT
 * event.h: one place where ticket events are recorded, so that whatever
 * reacts to events (webhooks, digests) sees every one of them, written in
 * the caller's transaction. */
#ifndef POSTDESK_EVENT_H
#define POSTDESK_EVENT_H
#include <glib.h>
#include "config.h"
#include "store.h"

/* Record event KIND of TICKET (0: none) at AT by ACTOR (may be NULL) with
 * DETAIL (may be NULL), inside the caller's transaction, and queue a
 * webhook delivery of it for every [webhook:NAME] of CFG that wants it
 * (webhook_wants(): its events, its groups, notes only when named), so
 * the event and its deliveries commit or roll back together. Errors as
 * store_event_add(), and PD_ERROR_NOT_FOUND when TICKET does not exist
 * while a webhook is configured. */
gboolean event_add(const config_t *cfg, store_t *st, gint64 ticket, gint64 at,
		   const char *kind, const char *actor, const char *detail,
		   GError **error);

/* The JSON body of webhook delivery DELIVERY_ID of event KIND at AT by
 * ACTOR with DETAIL (each may be NULL: null) about TICKET (NULL:
 * "ticket": null): {"event", "id", "at", "actor", "ticket", "detail"},
 * the ticket as its summary in "ticket list --json". New bytes, caller
 * unrefs; no trailing newline. */
GBytes *event_webhook_body(const char *delivery_id, const char *kind, gint64 at,
			   const char *actor, const store_ticket_t *ticket,
			   const char *detail);
#endif
