/* SPDX-License-Identifier: MIT
 * outbound-transport.h: the two ways a finished mail leaves postdesk,
 * behind one small table of function pointers (as OpenSMTPD's
 * queue_backend.c): SMTP through libcurl (outbound-smtp.c, used when the
 * config has an [smtp] section) and the spool Maildir SPOOL/outbox/
 * (outbound-spool.c, the embedded default). The queue, retries and RFC 3834
 * headers are outbound.c's job, not this one's.
 *
 * The spool's envelope record: a spooled mail starts with one
 * "X-Postdesk-Rcpt: ADDR" line per envelope recipient and one
 * "X-Postdesk-Mail-From: <ADDR>" line ("<>" for the null sender), then the
 * bytes it was given, unchanged. The SMTP transport strips those lines from
 * the header before sending, so a spooled file can be sent as it is. */
#ifndef POSTDESK_OUTBOUND_TRANSPORT_H
#define POSTDESK_OUTBOUND_TRANSPORT_H
#include <glib.h>
#include "config.h"

#define OUTBOUND_HEADER_RCPT "X-Postdesk-Rcpt"
#define OUTBOUND_HEADER_MAIL_FROM "X-Postdesk-Mail-From"

typedef struct outbound_conn outbound_conn_t; /* opaque, one per transport */

typedef struct {
	const char *name; /* "smtp" or "spool" */
	/* Open a connection (SMTP: a libcurl handle that connects on the
	 * first send and is reused for the rest of the batch; spool: the
	 * checked outbox directories) for a batch. CFG is borrowed for the
	 * call only. Returns a new handle for close(), or NULL with
	 * PD_ERROR_CONFIG (bad URL, unreadable password file, ...) or
	 * PD_ERROR_TEMP. */
	outbound_conn_t *(*open)(const config_t *cfg, GError **error);
	/* Send MSG (RFC 5322 bytes, CRLF or LF line ends) from envelope
	 * sender MAIL_FROM ("" for the null sender <>) to RCPTS
	 * (NULL-terminated, at least one). All arguments are borrowed.
	 * FALSE with PD_ERROR_TEMP for anything worth retrying (connection
	 * refused, timeout, 4xx, TLS handshake failure, disk full),
	 * PD_ERROR_INPUT for a permanent refusal of this mail (5xx on
	 * MAIL/RCPT/DATA; an address with spaces, CR or LF, no recipients),
	 * PD_ERROR_CONFIG for a configuration problem (certificate
	 * verification failure, authentication failure, bad URL, spool not
	 * writable). The message says what the server answered (code and
	 * text). Any refused recipient fails the whole send. */
	gboolean (*send)(outbound_conn_t *conn, const char *mail_from,
			 const char *const *rcpts, GBytes *msg, GError **error);
	/* Make every mail send() accepted since the last settle durable, so
	 * that they can be recorded as sent (spool: one sync of the
	 * filesystem for a chunk of files instead of two fsyncs each). FALSE
	 * with PD_ERROR_TEMP when that failed: those mails were taken back and
	 * count as not sent. NULL when send() itself is final (SMTP). */
	gboolean (*settle)(outbound_conn_t *conn, GError **error);
	/* Close CONN (SMTP: QUIT) and free it. NULL is ignored. */
	void (*close)(outbound_conn_t *conn);
} outbound_transport_t;

extern const outbound_transport_t outbound_smtp_transport;
extern const outbound_transport_t outbound_spool_transport;

/* The transport the config asks for: smtp with [smtp], else the spool.
 * Static, never NULL. */
const outbound_transport_t *outbound_transport_for(const config_t *cfg);

/* Shared by both transports. TRUE when MAIL_FROM ("" allowed) and every
 * address in RCPTS (at least one) can go into an SMTP command or a header
 * line: non-empty LOCAL@DOMAIN, no spaces, controls, '<' or '>'. Else
 * FALSE with PD_ERROR_INPUT naming the address. (outbound-spool.c) */
gboolean outbound_envelope_check(const char *mail_from,
				 const char *const *rcpts, GError **error);

/* MSG as the SMTP transport puts it on the wire: the spool's envelope
 * lines (X-Postdesk-Rcpt, X-Postdesk-Mail-From, with any continuation
 * lines) removed from the header section, and every line ending (LF, CR
 * or CRLF) made CRLF. Dot-stuffing is left to libcurl. New bytes.
 * (outbound-smtp.c) */
GBytes *outbound_smtp_wire_format(GBytes *msg);
#endif
