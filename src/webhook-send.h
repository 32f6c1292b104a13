/* SPDX-License-Identifier: MIT
 * webhook-send.h: sending webhook deliveries over HTTP(S) with libcurl,
 * in postdesk-net only (the mail path queues them, event.c).
 *
 * Deliveries go out in chunks, as outbound mail does: a chunk is marked
 * "sending" (committed) before any request and its outcomes are recorded
 * after, so nothing is sent from inside a transaction and a crash resends
 * the chunk in flight: each of its deliveries once more, alone, marked in
 * doubt; interrupted again, it is not sent a third time but left failed.
 * A delivery is thus received at least once and at most twice, always
 * with the same delivery id. A 2xx answer delivers it; 429, 5xx and
 * network failures are retried with backoff (outbound_backoff()) until
 * [webhook:NAME] max_age has passed since its event; any other status is
 * final. Failed deliveries stay listed (postdesk queue, postdesk webhook
 * list) until requeued (webhook_retry()). */
#ifndef POSTDESK_WEBHOOK_SEND_H
#define POSTDESK_WEBHOOK_SEND_H
#include <glib.h>
#include "config.h"
#include "store.h"

typedef struct webhook_sender webhook_sender_t;

/* A sender for the webhooks of CFG (borrowed: it must outlive the
 * sender). Each webhook gets one libcurl handle at its first request,
 * kept with its connection until webhook_sender_free(), so that the
 * deliveries of one pass, and of later passes of postdesk run, reuse the
 * connection. Certificates and host names are always verified; the CA
 * bundle is the system's, or the PEM file POSTDESK_CA_FILE names. New;
 * free with webhook_sender_free(). */
webhook_sender_t *webhook_sender_new(const config_t *cfg);
void webhook_sender_free(webhook_sender_t *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(webhook_sender_t, webhook_sender_free)

typedef struct {
	guint sent;
	guint retried;      /* failed temporarily, due again later */
	guint failed;       /* given up: refused, too old, or in doubt twice */
} webhook_stats_t;

/* Send every delivery due now (at most LIMIT, 0: no limit). One process
 * at a time: while another holds SPOOL/webhook.lock this sends nothing.
 * FALSE only when the queue could not be read or marked (database
 * trouble): a refused delivery is counted, not an error. */
gboolean webhook_flush(webhook_sender_t *s, store_t *st, guint limit,
		       webhook_stats_t *stats, GError **error);

/* Make failed delivery ID (0: every failed one) due again now, with no
 * attempts counted. Returns how many were requeued, -1 on error. */
gint64 webhook_retry(store_t *st, gint64 id, GError **error);

/* Send WH a signed event of kind "test" (no ticket, not stored) now.
 * *STATUS gets the HTTP status of the answer (0: none). TRUE on 2xx;
 * else FALSE with PD_ERROR_TEMP (no answer, 429, 5xx), PD_ERROR_INPUT
 * (any other status) or PD_ERROR_CONFIG (the secret file). *DELIVERY_ID (may be
 * NULL) gets the test's delivery id, new, caller frees. */
gboolean webhook_send_test(webhook_sender_t *s, const config_webhook_t *wh, long *status,
			   char **delivery_id, GError **error);
#endif
