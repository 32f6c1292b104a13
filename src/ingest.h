/* SPDX-License-Identifier: MIT
 * ingest.h: the pipeline every message takes, whatever brought it
 * (deliver, import, IMAP, LMTP): size check, parse, visible text, thread,
 * store, events, and the mail it causes, in the caller's transaction.
 *
 * A message either becomes part of a ticket, is recognised as a duplicate,
 * or is quarantined whole with the reason; only a temporary failure
 * (PD_ERROR_TEMP: retry later) or input over the absolute size cap
 * (PD_ERROR_TOO_LARGE) leaves it with its source. */
#ifndef POSTDESK_INGEST_H
#define POSTDESK_INGEST_H
#include <glib.h>
#include "config.h"
#include "filter.h"
#include "mime.h"
#include "store.h"

typedef struct ingest ingest_t;

typedef struct {
	const char *source;     /* "deliver", "import", "imap:NAME"; stored with the message */
	const char *recipient;  /* envelope recipient (the MTA's), or NULL */
	const char *group;      /* group the source feeds (IMAP account), or NULL */
	const char *list_id;    /* the mail is a post of this list (import --as-list) */
	gboolean quiet;         /* send no mail (archive imports) */
	gboolean no_flood_limit; /* an operator put it in (import, a release
				  * from quarantine): no new-ticket flood limit */
} ingest_opts_t;

typedef enum {
	INGEST_NEW,         /* a new ticket */
	INGEST_FOLLOWUP,    /* added to an existing ticket */
	INGEST_DUPLICATE,   /* seen before: nothing stored */
	INGEST_QUARANTINED, /* kept whole in quarantine */
} ingest_outcome_t;

typedef struct {
	ingest_outcome_t outcome;
	gint64 ticket;      /* the ticket, or 0 */
	gint64 message;     /* the stored message, or 0 */
	gint64 quarantine;  /* the quarantine entry, or 0 */
	char *reason;       /* why it was quarantined, or NULL; freed by _clear */
	char *message_id;   /* the Message-ID used (synthetic when missing) */
} ingest_result_t;
void ingest_result_clear(ingest_result_t *res);

/* The filter rules directory: [gateway] filters, else filters/ beside the
 * config file, else the installed one; NULL when there is none. New
 * string. */
char *ingest_filters_dir(const config_t *cfg);
/* Load the filter rules of CFG and check their group= and assign= against
 * it. *DIR_OUT (may be NULL) gets the directory read (NULL: none). NULL
 * with PD_ERROR_CONFIG, every problem "FILE:LINE: ..." on a line. */
filter_set_t *ingest_load_filters(const config_t *cfg, char **dir_out, GError **error);

/* Run the rules of SET on MSG (ENVELOPE_RCPT: the MTA's recipient, or
 * NULL; VISIBLE: its newly written text) into OUT, as ingest does for a
 * customer's mail; rules that hit a limit are logged. */
void ingest_filter_message(const filter_set_t *set, const mime_msg_t *msg,
			   const char *envelope_rcpt, const char *visible,
			   filter_outcome_t *out);

/* A pipeline over CFG and ST (both borrowed; they must outlive it).
 * Reads the secret: PD_ERROR_CONFIG when it is missing or unsafe. */
ingest_t *ingest_new(const config_t *cfg, store_t *st, GError **error);
void ingest_free(ingest_t *ing);
/* The store it writes to. */
store_t *ingest_store(ingest_t *ing);
/* Keep the acks for later writing instead of rendering them in the
 * message's transaction (notice_defer): run's takers. */
void ingest_defer_acks(ingest_t *ing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ingest_t, ingest_free)

/* Take one message of LEN bytes inside the caller's transaction. On
 * failure nothing of the message is left in the transaction (a savepoint
 * is rolled back), RES is cleared and *ERROR says PD_ERROR_TEMP or
 * PD_ERROR_TOO_LARGE; other failures quarantine the message and succeed. */
gboolean ingest_message(ingest_t *ing, const char *data, gsize len,
			const ingest_opts_t *opts, ingest_result_t *res,
			GError **error);

/* ingest_message() in a transaction of its own, committed before it
 * returns: what deliver and LMTP use. On failure (the commit's too) RES
 * is cleared. */
gboolean ingest_one(ingest_t *ing, const char *data, gsize len,
		    const ingest_opts_t *opts, ingest_result_t *res, GError **error);

/* Put a quarantined message through the pipeline again (after a config
 * fix, say). On success the entry is marked released. */
gboolean ingest_release(ingest_t *ing, gint64 quarantine_id, ingest_result_t *res,
			GError **error);

/* The content hash used for dedupe: SHA-256 of the message without the
 * trace header fields an MTA prepends (Return-Path, Delivered-To,
 * X-Original-To, Received, ...), line endings folded to LF, so the same
 * mail delivered to two of our addresses is one mail. New string. */
char *ingest_content_hash(const char *data, gsize len);
#endif
