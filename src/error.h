/* SPDX-License-Identifier: MIT
 * error.h: postdesk's GError domain. The code tells the caller what to do
 * with the failure, not what went wrong; the message says what and where. */
#ifndef POSTDESK_ERROR_H
#define POSTDESK_ERROR_H
#include <glib.h>

#define PD_ERROR (pd_error_quark())
GQuark pd_error_quark(void);

typedef enum {
	PD_ERROR_TEMP,      /* try again later: database busy, disk full, 4xx */
	PD_ERROR_INPUT,     /* this input is bad: quarantine or reject it */
	PD_ERROR_TOO_LARGE, /* input over the absolute cap: even quarantine refuses */
	PD_ERROR_CONFIG,    /* configuration, filter or template is wrong */
	PD_ERROR_USAGE,     /* the command line is wrong */
	PD_ERROR_NOT_FOUND, /* the thing asked for does not exist */
	PD_ERROR_UNAVAILABLE, /* a service or feature is not available */
	PD_ERROR_INTERNAL,  /* a bug or an unexpected library failure */
} pd_error_code_t;

/* Turn any error in *ERROR into domain PD_ERROR with CODE, keeping the
 * message and prefixing it with "WHERE: " when WHERE is not NULL. */
void pd_error_reclass(GError **error, pd_error_code_t code, const char *where);

/* The sysexits(3) status for ERROR (NULL: 0). */
int pd_error_exit_status(const GError *error);
#endif
