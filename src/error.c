/* SPDX-License-Identifier: MIT
 * error.c: the PD_ERROR domain and its mapping onto sysexits(3). */
#include "autodefs.h"
#include <sysexits.h>
#include "error.h"

G_DEFINE_QUARK(postdesk-error-quark, pd_error)

void
pd_error_reclass(GError **error, pd_error_code_t code, const char *where)
{
	if (error == NULL || *error == NULL)
		return;
	(*error)->domain = PD_ERROR;
	(*error)->code = code;
	if (where != NULL)
		g_prefix_error(error, "%s: ", where);
}

int
pd_error_exit_status(const GError *error)
{
	if (error == NULL)
		return EX_OK;
	if (error->domain != PD_ERROR)
		return EX_SOFTWARE;
	switch ((pd_error_code_t)error->code) {
	case PD_ERROR_TEMP:
		return EX_TEMPFAIL;
	case PD_ERROR_INPUT:
	case PD_ERROR_TOO_LARGE:
		return EX_DATAERR;
	case PD_ERROR_CONFIG:
		return EX_CONFIG;
	case PD_ERROR_USAGE:
		return EX_USAGE;
	case PD_ERROR_NOT_FOUND:
		return EX_NOINPUT;
	case PD_ERROR_UNAVAILABLE:
		return EX_UNAVAILABLE;
	case PD_ERROR_INTERNAL:
		break;
	}
	return EX_SOFTWARE;
}
