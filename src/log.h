/* SPDX-License-Identifier: MIT
 * log.h: one small logging module for the edges (cli, ingest, outbound,
 * imap). Pure modules return errors instead of logging. Output goes to
 * stderr (the journal under systemd, the MTA under deliver) or syslog.
 * Never log bodies, passwords or tokens: ticket numbers, Message-IDs and
 * account names are what a log line carries. */
#ifndef POSTDESK_LOG_H
#define POSTDESK_LOG_H
#include <glib.h>

typedef enum { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG } log_level_t;

/* IDENT names the program in syslog; USE_SYSLOG picks the target. */
void log_init(const char *ident, gboolean use_syslog);
/* AREAS is a comma-separated list ("imap,smtp,sql" or "all"); enables debug. */
void log_set_debug(const char *areas);
gboolean log_debug_enabled(const char *area);

void log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Appends ": strerror(errno)". */
void log_error_errno(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_warn_errno(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_debug(const char *area, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
#endif
