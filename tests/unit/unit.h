/* SPDX-License-Identifier: MIT
 * unit.h: helpers shared by the unit tests. */
#ifndef POSTDESK_TESTS_UNIT_H
#define POSTDESK_TESTS_UNIT_H
#include <glib.h>

/* DIR of the source tree ("templates", "filters"): below $top_srcdir,
 * which `make check` sets, else found from this file's path (a test run
 * by hand). New string, caller frees with g_free. */
static inline char *
unit_srcdir_path(const char *dir)
{
	const char *top = g_getenv("top_srcdir");
	g_autofree char *here = NULL;

	if (top != NULL)
		return g_build_filename(top, dir, NULL);
	here = g_path_get_dirname(__FILE__);
	return g_build_filename(here, "..", "..", dir, NULL);
}
#endif
