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
 * DETAIL (may be NULL), inside the caller's transaction. Errors as
 * store_event_add(). */
gboolean event_add(const config_t *cfg, store_t *st, gint64 ticket, gint64 at,
		   const char *kind, const char *actor, const char *detail,
		   GError **error);
#endif
