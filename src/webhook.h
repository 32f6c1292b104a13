/* SPDX-License-Identifier: MIT
 * webhook.h: what webhooks need that is neither database nor network:
 * the event kinds a [webhook:NAME] section may ask for, which events a
 * webhook gets, and the signature of a delivery. Pure.
 *
 * A delivery is signed with HMAC-SHA256 (RFC 2104, FIPS 180-4) over
 * TIMESTAMP "." BODY under the webhook's secret and carries
 * "X-Postdesk-Signature: t=TIMESTAMP,v1=HEX" (postdesk.conf(5), WEBHOOKS).
 * Queueing is event.c's, sending webhook-send.c's. */
#ifndef POSTDESK_WEBHOOK_H
#define POSTDESK_WEBHOOK_H
#include <glib.h>
#include "config.h"

/* The kind of the event "postdesk webhook test" sends. It is no ticket
 * event: no webhook asks for it, and every one gets it when tested. */
#define WEBHOOK_TEST_KIND "test"

/* The event kinds of DESIGN.md's contract, which a webhook may name in
 * its events: NULL-terminated, borrowed (static). */
const char *const *webhook_kinds(void);
/* TRUE when KIND is one of webhook_kinds(). */
gboolean webhook_kind_known(const char *kind);

/* TRUE when webhook WH gets event KIND of a ticket in GROUP (NULL: an
 * event of no ticket). KIND must be among WH's events, or WH's events
 * hold "*"; but "note" (internal notes) only when named. With a groups
 * filter, only events of tickets in those groups: an event of no ticket
 * goes to no filtered webhook. */
gboolean webhook_wants(const config_webhook_t *wh, const char *kind, const char *group);

/* What an HTTP status answering a delivery means. */
typedef enum {
	WEBHOOK_DELIVERED, /* 2xx */
	WEBHOOK_RETRY,     /* 429 and 5xx: the receiver may take it later */
	WEBHOOK_REFUSED,   /* any other (4xx, a redirect): final */
} webhook_outcome_t;
webhook_outcome_t webhook_status_outcome(long status);

/* The X-Postdesk-Signature value for BODY (LEN bytes) sent at TIMESTAMP
 * (Unix seconds) under KEY: "t=TIMESTAMP,v1=" and the lower-case hex
 * HMAC-SHA256 of "TIMESTAMP.BODY". New string, caller frees. */
char *webhook_signature(GBytes *key, gint64 timestamp, const void *body, gsize len);
#endif
