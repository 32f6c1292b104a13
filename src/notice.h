/* SPDX-License-Identifier: MIT
 * notice.h: the mail postdesk writes. Renders a template for one
 * recipient, sets the headers of DESIGN.md "Mail conventions" (subject
 * tag, signed Reply-To, In-Reply-To/References, Auto-Submitted, the loop
 * header through outbound), holds back automatic mail over the hourly cap
 * per address, and queues it in the caller's transaction. */
#ifndef POSTDESK_NOTICE_H
#define POSTDESK_NOTICE_H
#include <glib.h>
#include "config.h"
#include "store.h"
#include "template.h"

typedef struct notice notice_t;

/* Templates come from [gateway] templates, then templates/ beside the
 * config file, then the installed ones ($POSTDESK_DATADIR or DATADIR).
 * SECRET signs reply addresses. PD_ERROR_CONFIG for broken templates. */
notice_t *notice_new(const config_t *cfg, store_t *st, GBytes *secret, GError **error);
void notice_free(notice_t *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(notice_t, notice_free)

/* The directory override and installed directory notice_new() uses. */
char *notice_template_dir(const config_t *cfg);
char *notice_installed_dir(const char *what);

typedef struct {
	const char *template_name;
	const store_ticket_t *ticket;   /* NULL for mail about no ticket */
	const char *to_address;
	const char *to_name;
	const char *kind;               /* how it shows on the ticket: system, member */
	const char *in_reply_to;        /* Message-ID answered (without <>), or NULL */
	GPtrArray *references;          /* char* ids without <>, or NULL */
	gboolean automatic;             /* an automatic answer: Auto-Submitted:
					 * auto-replied and the hourly cap;
					 * otherwise auto-generated, no cap */
	GPtrArray *attachments;         /* mime_attachment_t* to attach (a
					 * member's reply relayed), or NULL */
	template_vars_t *vars;          /* the caller's variables (borrowed; the
					 * gateway, ticket, recipient and reply
					 * address are added to them), or NULL */
} notice_mail_t;

/* The signed reply address of TICKET for ADDRESS. New string. */
char *notice_reply_address(notice_t *n, gint64 ticket, const char *address);

/* Render and queue M. *QUEUED is FALSE (and TRUE returned) when the hourly
 * cap for the address held an automatic mail back. */
gboolean notice_send(notice_t *n, const notice_mail_t *m, gboolean *queued, GError **error);

/* With DEFER, notice_send keeps an automatic answer about a ticket (with
 * no variables or attachments of the caller's: an ack) in the notices
 * table instead of rendering it: the cap is counted and the row written
 * in the caller's transaction, so it is as durable as the ticket, and
 * notice_write_due renders it later. run's takers use it: rendering is
 * half of taking a message, and run's sender does it on the other core. */
void notice_defer(notice_t *n, gboolean defer);

/* Render and queue up to LIMIT kept notices after id *AFTER, oldest
 * first, in one transaction; *AFTER becomes the last one looked at, *SEEN
 * how many were (fewer than LIMIT: none is left). One that cannot be
 * rendered (a template gone or wrong since, output over the cap) stays
 * kept, warned about once; FALSE only when the store fails, and then none
 * is written. */
gboolean notice_write_due(notice_t *n, gint64 *after, guint limit, guint *seen,
			  GError **error);
/* All of them, a transaction per 200. */
gboolean notice_write_all(notice_t *n, GError **error);
#endif
