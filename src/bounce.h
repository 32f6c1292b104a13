/* SPDX-License-Identifier: MIT
 * bounce.h: what a delivery failure report says. Pure: plain text in,
 * plain values out. RFC 3464 (message/delivery-status) and the common
 * non-standard bounces (Postfix, Exim, qmail, Exchange texts quoting the
 * original headers). */
#ifndef POSTDESK_BOUNCE_H
#define POSTDESK_BOUNCE_H
#include <glib.h>

typedef struct {
	char *recipient;    /* Final-Recipient (or Original-Recipient), or NULL */
	char *status;       /* "5.1.1", or NULL */
	char *action;       /* failed | delayed | delivered | relayed | expanded, or NULL */
	char *diagnostic;   /* Diagnostic-Code text, or NULL */
} bounce_status_t;
void bounce_status_clear(bounce_status_t *b);

/* Read the first per-recipient block of a message/delivery-status body
 * (LEN bytes) into OUT; fields it lacks stay NULL. */
void bounce_parse_status(const char *text, gsize len, bounce_status_t *out);

/* Every Message-ID a bounce quotes in TEXT ("Message-ID: <id>" header
 * lines of the returned original, at any indentation), without <>, in
 * order, each once. Appended to IDS (char*, owned). */
void bounce_quoted_ids(const char *text, gsize len, GPtrArray *ids);

/* TRUE when SUBJECT is one that common MTAs give their non-standard
 * bounces ("Undelivered Mail Returned to Sender", "Delivery Status
 * Notification (Failure)", "Mail delivery failed", ...). */
gboolean bounce_subject_is_failure(const char *subject);
#endif
