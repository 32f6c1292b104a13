/* SPDX-License-Identifier: MIT
 * lmtp.h: the LMTP listener of postdesk run (RFC 2033). An MTA (Postfix's
 * lmtp transport, Dovecot) hands mail over without a process per message.
 * Each recipient's 250 comes only after the message is committed to the
 * incoming queue (store_incoming_*, a database file of its own, so the
 * answer never waits for the main database); a temporary failure answers
 * 451 so the MTA keeps the mail. run takes the queue into tickets
 * (incoming.h); a message to several of our addresses is one ticket. */
#ifndef POSTDESK_LMTP_H
#define POSTDESK_LMTP_H
#include <glib.h>
#include "config.h"

typedef struct lmtp lmtp_t;

/* Listen on CFG's [lmtp] listen (unix:PATH, relative to the config file,
 * or loopback HOST:PORT) and serve every connection in a thread of its
 * own, until lmtp_stop(). CFG must outlive the listener. */
/* COMMITTED (may be NULL) is called, from a session's thread, after each
 * message is queued: the daemon takes it at once. */
lmtp_t *lmtp_start(const config_t *cfg, void (*committed)(void), GError **error);
/* Stop listening; open sessions end after the message in hand (an idle
 * client gets 421); wait for them. */
void lmtp_stop(lmtp_t *l);
#endif
