/* SPDX-License-Identifier: MIT
 * log.c: levels, debug areas, stderr or syslog. */
#include "autodefs.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include "log.h"
#include "banned.h"

static gboolean log_syslog;
static log_level_t log_level = LOG_LEVEL_INFO;
static char **log_areas;
static const char *log_ident = "postdesk";

void
log_init(const char *ident, gboolean use_syslog)
{
	log_ident = ident;
	if (use_syslog && !log_syslog)
		openlog(ident, LOG_PID, LOG_MAIL);
	log_syslog = use_syslog;
}

void
log_set_debug(const char *areas)
{
	g_strfreev(log_areas);
	log_areas = g_strsplit(areas, ",", -1);
	log_level = LOG_LEVEL_DEBUG;
}

gboolean
log_debug_enabled(const char *area)
{
	if (log_level < LOG_LEVEL_DEBUG || log_areas == NULL)
		return FALSE;
	for (char **a = log_areas; *a != NULL; a++)
		if (strcmp(*a, "all") == 0 || strcmp(*a, area) == 0)
			return TRUE;
	return FALSE;
}

static void
log_emit(log_level_t level, const char *area, int errnum, const char *fmt,
	 va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);

	if (level > log_level)
		return;
	/* A line break in a message (from a hostile header, say) would let a
	 * sender forge log lines: fold control characters to spaces. */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (log_syslog) {
		if (errnum != 0)
			syslog(prio[level], "%s%s%s: %s", area ? area : "",
			       area ? ": " : "", msg, strerror(errnum));
		else
			syslog(prio[level], "%s%s%s", area ? area : "",
			       area ? ": " : "", msg);
		return;
	}
	fprintf(stderr, "%s: %s%s%s: %s%s%s\n", log_ident, names[level],
		area ? " " : "", area ? area : "", msg,
		errnum ? ": " : "", errnum ? strerror(errnum) : "");
}

#define LOG_DEFINE(fn, level, with_errno)                                     \
	void fn(const char *fmt, ...)                                         \
	{                                                                     \
		int saved = errno;                                            \
		va_list ap;                                                   \
		va_start(ap, fmt);                                            \
		log_emit(level, NULL, with_errno ? saved : 0, fmt, ap);       \
		va_end(ap);                                                   \
	}

LOG_DEFINE(log_error, LOG_LEVEL_ERROR, FALSE)
LOG_DEFINE(log_warn, LOG_LEVEL_WARN, FALSE)
LOG_DEFINE(log_info, LOG_LEVEL_INFO, FALSE)
LOG_DEFINE(log_error_errno, LOG_LEVEL_ERROR, TRUE)
LOG_DEFINE(log_warn_errno, LOG_LEVEL_WARN, TRUE)

void
log_debug(const char *area, const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_enabled(area))
		return;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_DEBUG, area, 0, fmt, ap);
	va_end(ap);
}
