/* SPDX-License-Identifier: MIT
 * outbound.h: the outbound queue. A mail to send is a row written in the
 * same transaction as the change that caused it; outbound_flush() sends
 * what is due through the configured transport (SMTP or the spool
 * Maildir), retries with exponential backoff and jitter, and gives up
 * after [gateway] retry_max_age, leaving the mail visible as failed.
 *
 * Mail is sent in chunks: a chunk is marked "sending" (committed) before
 * the transport is called and its outcomes after, so a crash resends the
 * chunk in flight. A mail left "sending" is resent once, alone, marked in
 * doubt; interrupted again, it is not sent a third time but left failed
 * (outbound-flush.c). */
#ifndef POSTDESK_OUTBOUND_H
#define POSTDESK_OUTBOUND_H
#include <glib.h>
#include <gmime/gmime.h>
#include "config.h"
#include "store.h"

/* A mail to queue, in two steps so that making it is done outside the
 * transaction. outbound_prepare sets the headers of MSG that are left
 * (Message-ID, Date, MIME-Version and the loop header) and makes its bytes
 * for RCPTS (NULL-terminated) and, for TICKET (0: none), the ticket's
 * history row of KIND, so replies to it thread; MAIL_FROM is the envelope
 * sender ("" for <>). No database. outbound_queue stores both in the
 * caller's transaction and returns the Message-ID (without <>, borrowed
 * from OM), or NULL on error. */
typedef struct outbound_mail outbound_mail_t;
outbound_mail_t *outbound_prepare(const config_t *cfg, gint64 ticket, const char *kind,
				  const char *template_name, const char *mail_from,
				  const char *const *rcpts, GMimeMessage *msg);
const char *outbound_queue(store_t *st, const outbound_mail_t *om, GError **error);
void outbound_mail_free(outbound_mail_t *om);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(outbound_mail_t, outbound_mail_free)

typedef struct {
	guint sent;
	guint retried;      /* failed temporarily, due again later */
	guint failed;       /* given up: permanent refusal or too old */
} outbound_stats_t;

/* Send everything due now (at most LIMIT mails, 0: no limit), in chunks
 * of small transactions. FALSE only when the queue could not be read or
 * marked (database trouble): a refused mail is counted, not an error. */
gboolean outbound_flush(store_t *st, const config_t *cfg, guint limit,
			outbound_stats_t *stats, GError **error);

/* Make failed mail ID (0: all failed mail) due again now. Returns how
 * many were requeued. */
gint64 outbound_retry(store_t *st, gint64 id, GError **error);

/* Seconds to wait before attempt ATTEMPTS+1: 1 min doubling to 6 h, with
 * up to 25 % jitter from RANDOM (0..1). Pure; exposed for tests. */
gint64 outbound_backoff(gint64 attempts, double random);
#endif
