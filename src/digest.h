/* SPDX-License-Identifier: MIT
 * digest.h: digests, mail that sums up many tickets for one person.
 *
 *  - member (digest-member): to each member, their open tickets (owned,
 *    or offered and not yet taken), with group, age, due time in the
 *    member's time zone, breach or warning marks and each ticket's own
 *    signed reply address; [member:ADDR] digest = daily|weekly|off.
 *  - group (digest-group): to each member of a group whose
 *    [group:NAME] digest is daily or weekly, every open ticket of the
 *    group, those nobody owns first.
 *  - moderator (digest-moderator): per moderator, the open tickets opened
 *    from their forwards and from the list posts of their groups, which
 *    of them nobody has answered, and the forwards whose original author
 *    could not be found.
 *
 * An empty digest is never sent. A member who is away (away = true, or
 * #away) gets no member or group digest. Member and group digests go out
 * at [gateway] digest_time in the member's time zone (else their first
 * group's, else UTC), weekly ones on Mondays; the database remembers the
 * period each was done for (digest_sent), so none goes out twice. All the
 * open tickets are read with one query, whatever the number of members. */
#ifndef POSTDESK_DIGEST_H
#define POSTDESK_DIGEST_H
#include <glib.h>
#include "config.h"
#include "notice.h"
#include "store.h"

typedef enum {
	DIGEST_MEMBER = 1 << 0,
	DIGEST_GROUP = 1 << 1,
	DIGEST_MODERATOR = 1 << 2,
} digest_kind_t;
#define DIGEST_ALL (DIGEST_MEMBER | DIGEST_GROUP | DIGEST_MODERATOR)

/* The period key of a digest sent FREQ ("daily" or "weekly"; anything
 * else: none) at NOW in TZ (borrowed; NULL: UTC):
 * "2026-11-23" for a day, "week 2026-11-23" for the week of that Monday.
 * With SCHEDULED, only when it is due at NOW: at or after AT_MINUTES
 * past local midnight, and for weekly on a Monday; NULL (no error)
 * otherwise. New string. Pure. */
char *digest_period(const char *freq, GTimeZone *tz, gint64 at_minutes, gint64 now,
		    gboolean scheduled);

/* How many member and group digests are due at NOW and not yet done for
 * their period (for run's timers, to read templates only when needed);
 * -1 on error. */
gint64 digest_due(const config_t *cfg, store_t *st, gint64 now, GError **error);

/* Queue, in the caller's transaction, the digests of KINDS (DIGEST_*
 * bits) for every member (only ONLY, an address, when not NULL) at NOW,
 * and record the member and group digests as done for their period.
 * SCHEDULED (run's timers): only the member and group digests due and
 * not yet done, and no moderator digests. Otherwise (postdesk digest)
 * every digest whose setting is not off, now. *SENT gets how many were
 * queued. Errors of the store, PD_ERROR_CONFIG for a template missing. */
gboolean digest_send(const config_t *cfg, store_t *st, notice_t *notice, const char *only,
		     guint kinds, gboolean scheduled, gint64 now, guint *sent, GError **error);
#endif
