/* SPDX-License-Identifier: MIT
 * authres.h: Authentication-Results (RFC 8601), read the one way DESIGN.md
 * "Who is a member" allows. Pure. Anyone can write such a header, so only
 * the topmost one carrying our own MTA's authserv-id counts (it prepends
 * its own above whatever came in), and every other one is ignored. */
#ifndef POSTDESK_AUTHRES_H
#define POSTDESK_AUTHRES_H
#include <glib.h>

/* Whether HEADERS (the Authentication-Results values, top to bottom,
 * NULL-terminated) show, in the topmost one whose authserv-id is
 * AUTHSERV_ID, a pass for DOMAIN (the From domain): dkim=pass with
 * header.d (or header.i) of DOMAIN or a parent of it, spf=pass with
 * smtp.mailfrom in DOMAIN or a parent of it, or dmarc=pass with
 * header.from DOMAIN. *WHY (may be NULL) gets a static reason when not. */
gboolean authres_verifies(const char *const *headers, const char *authserv_id,
			  const char *domain, const char **why);
#endif
