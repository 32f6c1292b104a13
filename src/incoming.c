/* SPDX-License-Identifier: MIT
 * incoming.c: the incoming queue into tickets (see incoming.h). */
#include "autodefs.h"
#include "error.h"
#include "incoming.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#define INCOMING_RETRY_MAX_S 300

/* Log what became of message M (ingest itself logs a quarantine's
 * reason). */
static void
incoming_log(const store_incoming_t *m, const ingest_result_t *res)
{
	if (res->outcome == INGEST_QUARANTINED)
		log_info("%s: quarantined %" G_GINT64_FORMAT " <%s>", m->source, res->quarantine,
			 res->message_id ? res->message_id : "?");
	else
		log_info("%s: ticket %" G_GINT64_FORMAT " %s<%s>", m->source, res->ticket,
			 res->outcome == INGEST_DUPLICATE ? "(duplicate) "
			 : res->outcome == INGEST_NEW	 ? "(new) "
							 : "(follow-up) ",
			 res->message_id ? res->message_id : "?");
}

gboolean
incoming_drain(store_t *in, ingest_t *ing, guint limit, gint64 budget_ms, guint *taken,
	       GError **error)
{
	store_t *st = ingest_store(ing);
	gint64 now = util_now(), until = g_get_monotonic_time() + budget_ms * 1000;
	g_autoptr(GPtrArray) due = store_incoming_due(in, now, limit, error);
	g_autoptr(GArray) done = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GPtrArray) failed = g_ptr_array_new();    /* store_incoming_t*, borrowed */
	g_autoptr(GPtrArray) why = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = TRUE;

	*taken = 0;
	if (due == NULL || due->len == 0)
		return due != NULL;
	if (!store_begin(st, error))
		return FALSE;
	for (guint i = 0; ok && i < due->len; i++) {
		const store_incoming_t *m = due->pdata[i];
		ingest_opts_t opts = { .source = m->source, .recipient = m->recipient };
		ingest_result_t res = { 0 };
		g_autoptr(GBytes) raw = store_incoming_raw(in, m->id, error);
		g_autoptr(GError) local = NULL;

		if (raw == NULL) {
			ok = FALSE;
			break;
		}
		/* On failure ingest leaves nothing of the message in the
		 * transaction: the others go on. */
		if (ingest_message(ing, g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), &opts,
				   &res, &local)) {
			incoming_log(m, &res);
			g_array_append_val(done, m->id);
		} else {
			log_warn("%s: incoming message %" G_GINT64_FORMAT " not taken yet: %s",
				 m->source, m->id, local->message);
			g_ptr_array_add(failed, (gpointer)m);
			g_ptr_array_add(why, g_strdup(local->message));
		}
		ingest_result_clear(&res);
		if (g_get_monotonic_time() >= until)
			break;
	}
	util_crash_point("drain-before-commit");
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	if (!store_commit(st, error))
		return FALSE;
	util_crash_point("drain-committed");
	/* Taken: gone from the queue. A crash before this commit takes them
	 * again, as duplicates. */
	if (!store_begin(in, error))
		return FALSE;
	for (guint i = 0; ok && i < done->len; i++)
		ok = store_incoming_remove(in, g_array_index(done, gint64, i), error);
	for (guint i = 0; ok && i < failed->len; i++) {
		const store_incoming_t *m = failed->pdata[i];
		gint64 delay = MIN((gint64)1 << MIN(m->attempts, 16), INCOMING_RETRY_MAX_S);

		ok = store_incoming_retry(in, m->id, now + delay, why->pdata[i], error);
	}
	if (!ok) {
		store_rollback(in);
		return FALSE;
	}
	if (!store_commit(in, error))
		return FALSE;
	*taken = done->len;
	return TRUE;
}
