/* SPDX-License-Identifier: MIT
 * imap.h: one IMAP account through libetpan: connect (TLS with our own
 * certificate check), fetch by UID, mark a committed message done, wait
 * for news with IDLE or by polling. It knows nothing of the store or of
 * ingest: UIDs and bytes in, UIDs and bytes out. The caller keeps the UID
 * state (UIDVALIDITY, last UID taken) and reconnects after an error. */
#ifndef POSTDESK_IMAP_H
#define POSTDESK_IMAP_H
#include <glib.h>
#include "config.h"

typedef struct imap_conn imap_conn_t;

/* Connect to ACCT->url (imap://HOST[:PORT]/MAILBOX or imaps://...; no
 * mailbox means INBOX), log in as ACCT->user with the password in
 * ACCT->password_file (a file not accessible to group or others, one
 * line), and SELECT the mailbox.
 *
 * TLS: imaps:// is implicit TLS; imap:// requires STARTTLS unless tls =
 * none (plain text, which config.c allows for loopback only). The peer's
 * certificate chain and host name are verified against the system's
 * trust store plus the PEM file named by $POSTDESK_CA_FILE (for tests),
 * unless tls = none. Nothing is sent before that check passes.
 *
 * The first call sets SIGPIPE to SIG_IGN if it is at its default: a
 * server that drops the connection must give an error, not kill us.
 *
 * Returns a new connection (free with imap_close()), or NULL with
 *   PD_ERROR_CONFIG  "imap NAME: certificate of HOST not trusted: ...",
 *                    "imap NAME: login refused for USER: <server text>",
 *                    a bad URL, password file or mailbox;
 *   PD_ERROR_TEMP    the network, the TLS handshake, a server that
 *                    answers nonsense or goes away. */
imap_conn_t *imap_connect(const config_imap_t *acct, GError **error);
/* LOGOUT (skipped when the connection is broken) and free. NULL is fine. */
void imap_close(imap_conn_t *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(imap_conn_t, imap_close)

/* The selected mailbox's UIDVALIDITY; and UIDNEXT as SELECT reported it,
 * raised past every UID imap_fetch_since() has seen since. */
guint32 imap_uidvalidity(imap_conn_t *c);
guint32 imap_uidnext(imap_conn_t *c);
/* TRUE when the server offers IDLE (the account's idle key aside). */
gboolean imap_has_idle(imap_conn_t *c);

/* Messages larger than this (RFC822.SIZE, as the server states it) are
 * not downloaded: imap_fetch_since() returns them with DATA NULL, so the
 * caller can move them aside. Default IMAP_DEFAULT_MAX_SIZE. */
#define IMAP_DEFAULT_MAX_SIZE ((gsize)256 * 1024 * 1024)
void imap_set_max_size(imap_conn_t *c, gsize max);
/* A batch of imap_fetch_since() ends before the message that would take
 * the bodies it downloads past BYTES (it always has one), so that a
 * backlog of large mail is held in memory a few MiB at a time. Default
 * IMAP_DEFAULT_BATCH_BYTES. */
#define IMAP_DEFAULT_BATCH_BYTES ((gsize)32 * 1024 * 1024)
void imap_set_batch_bytes(imap_conn_t *c, gsize bytes);

typedef struct {
	guint32 uid;
	GBytes *data;   /* the whole message (BODY[]), or NULL: over the cap */
	gsize size;     /* RFC822.SIZE; with DATA, its length */
} imap_msg_t;

/* The messages with UID >= FROM, oldest first, at most MAX of them and
 * the batch bytes (a big backlog comes in batches: call again from the
 * last UID + 1). Fetched
 * with BODY.PEEK[], so \Seen is not set. Returns a new array of
 * imap_msg_t* that frees its elements (g_ptr_array_unref), possibly
 * empty; NULL with PD_ERROR_TEMP when the connection or server fails. */
GPtrArray *imap_fetch_since(imap_conn_t *c, guint32 from, guint max, GError **error);

/* Call after message UID is committed. FOLDER non-NULL: move it there
 * (MOVE when the server has it, else UID COPY, \Deleted, UID EXPUNGE),
 * creating FOLDER once if the first attempt is refused. FOLDER NULL: add
 * \Seen and leave it. FALSE with PD_ERROR_TEMP when that fails (the
 * message stays and is seen again: the caller recognises it). */
gboolean imap_done(imap_conn_t *c, guint32 uid, const char *folder, GError **error);
/* The same for N UIDs in one command (a UID set). */
gboolean imap_done_many(imap_conn_t *c, const guint32 *uids, guint n, const char *folder,
			GError **error);

/* Why the last imap_wait() returned TRUE. */
typedef enum {
	IMAP_WAKE_TIMEOUT, /* TIMEOUT_MS passed */
	IMAP_WAKE_NEWS,    /* the server said something (EXISTS, mostly) */
	IMAP_WAKE_FD,      /* the wakeup fd became readable */
} imap_wake_t;

/* Wait for news on the selected mailbox. With IDLE (offered by the server
 * and not turned off in the account): IDLE, return on the first untagged
 * response, on data already buffered, on the wakeup fd or after
 * TIMEOUT_MS (capped at 25 minutes, under RFC 2177's 29), then DONE.
 * Without: wait TIMEOUT_MS (or for the wakeup fd), then NOOP. Either way
 * the connection is idle again on return and the caller fetches from its
 * last UID + 1. TRUE on news, timeout or wakeup (see imap_last_wake());
 * FALSE with PD_ERROR_TEMP when the connection is broken. */
gboolean imap_wait(imap_conn_t *c, int timeout_ms, GError **error);
imap_wake_t imap_last_wake(imap_conn_t *c);
/* FD (the daemon's signal pipe, -1 for none) ends imap_wait() early when
 * it becomes readable. It is only polled, never read. */
void imap_set_wakeup_fd(imap_conn_t *c, int fd);
#endif
