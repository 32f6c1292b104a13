/* SPDX-License-Identifier: MIT
 * incoming.h: taking the incoming queue (store_incoming_*) into tickets.
 * The LMTP listener answers 250 once a message is committed there, a
 * small write to a database file of its own; postdesk run then ingests
 * the queue in batches, each one transaction of the main database, and
 * removes what it took. A crash between the two commits leaves messages
 * that were taken in the queue: taken again, they are duplicates. */
#ifndef POSTDESK_INCOMING_H
#define POSTDESK_INCOMING_H
#include <glib.h>
#include "ingest.h"
#include "store.h"

/* Ingest up to LIMIT messages of the queue IN with ING (whose store is
 * the main database), for at most BUDGET_MS, in one transaction; then
 * remove them from IN. *TAKEN says how many were taken. A message that
 * ingest cannot take now stays, is tried again later with a growing
 * delay and shows in postdesk status. FALSE on a failure of either
 * database: nothing is removed. */
gboolean incoming_drain(store_t *in, ingest_t *ing, guint limit, gint64 budget_ms,
			guint *taken, GError **error);
#endif
