/* SPDX-License-Identifier: MIT
 * event.c: see event.h. */
#include "autodefs.h"
#include "event.h"

gboolean
event_add(const config_t *cfg, store_t *st, gint64 ticket, gint64 at, const char *kind,
	  const char *actor, const char *detail, GError **error)
{
	(void)cfg;
	return store_event_add(st, ticket, at, kind, actor, detail, error);
}
