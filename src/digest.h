/* SPDX-License-Identifier: MIT
 * digest.h: digests, mail that sums up many tickets for one person. This
 * version writes the moderators' digest (digest-moderator): per
 * moderator, the open tickets opened from their forwards and from the
 * list posts of their groups, which of them nobody has answered, and the
 * forwards whose original author could not be found. */
#ifndef POSTDESK_DIGEST_H
#define POSTDESK_DIGEST_H
#include <glib.h>
#include "config.h"
#include "notice.h"
#include "store.h"

/* Queue the digest of every moderator (only ONLY, when not NULL) in the
 * caller's transaction; an empty digest is not sent. *SENT gets how many
 * were queued. */
gboolean digest_moderators(const config_t *cfg, store_t *st, notice_t *notice,
			   const char *only, guint *sent, GError **error);
#endif
