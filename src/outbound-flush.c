/* SPDX-License-Identifier: MIT
 * outbound-flush.c: sending the queue (see outbound.h). Apart from
 * outbound.c because only postdesk-net sends: the lean binary queues. */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "error.h"
#include "log.h"
#include "outbound-transport.h"
#include "outbound.h"
#include "util.h"
#include "banned.h"

/* One mail: mark sending, send, mark the outcome; each mark committed. */
static gboolean
flush_one(store_t *st, const config_t *cfg, const outbound_transport_t *tr,
	  outbound_conn_t **conn, store_outbound_t *o, outbound_stats_t *stats,
	  GError **error)
{
	g_auto(GStrv) rcpts = g_strsplit(o->rcpt, "\n", -1);
	g_autoptr(GError) serr = NULL;
	gint64 now = util_now();
	gboolean ok;

	if (!store_begin(st, error) ||
	    !store_outbound_mark(st, o->id, "sending", o->attempts, o->next_attempt, 0, NULL,
				 error) ||
	    !store_commit(st, error))
		return FALSE;
	util_crash_point("outbound-marked-sending");
	if (*conn == NULL)
		*conn = tr->open(cfg, &serr);
	ok = *conn != NULL &&
	     tr->send(*conn, o->mail_from, (const char *const *)rcpts, o->bytes, &serr);
	util_crash_point("outbound-sent");
	if (!store_begin(st, error))
		return FALSE;
	if (ok) {
		ok = store_outbound_mark(st, o->id, "sent", o->attempts + 1, o->next_attempt, now,
					 NULL, error);
		stats->sent++;
		log_debug("outbound", "mail %" G_GINT64_FORMAT " <%s> sent", o->id, o->message_id);
	} else {
		gboolean permanent = serr->domain == PD_ERROR && serr->code == PD_ERROR_INPUT;
		gboolean too_old = now - o->created > cfg->retry_max_age;
		gint64 attempts = o->attempts + 1;

		/* A broken connection is not reused for the next mail. */
		if (*conn != NULL && !permanent) {
			tr->close(*conn);
			*conn = NULL;
		}
		if (permanent || too_old) {
			ok = store_outbound_mark(st, o->id, "failed", attempts, o->next_attempt, 0,
						 serr->message, error);
			stats->failed++;
			log_warn("mail %" G_GINT64_FORMAT " <%s> failed for good: %s", o->id,
				 o->message_id, serr->message);
		} else {
			gint64 next = now + outbound_backoff(o->attempts, g_random_double());

			ok = store_outbound_mark(st, o->id, "queued", attempts, next, 0,
						 serr->message, error);
			stats->retried++;
			log_info("mail %" G_GINT64_FORMAT " <%s> deferred (attempt %" G_GINT64_FORMAT
				 "): %s", o->id, o->message_id, attempts, serr->message);
		}
	}
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	return store_commit(st, error);
}

/* One flusher at a time: while we hold this lock, a row still marked
 * "sending" was left by a process that died, so sending it again is the
 * "at most once more" of outbound.h and never a race with a live sender.
 * Returns the locked fd, -1 when another flusher runs (*ERROR unset) or
 * on error (*ERROR set). */
static int
flush_lock(const config_t *cfg, GError **error)
{
	g_autofree char *path = g_build_filename(cfg->spool, "outbound.lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

gboolean
outbound_flush(store_t *st, const config_t *cfg, guint limit, outbound_stats_t *stats,
	       GError **error)
{
	const outbound_transport_t *tr = outbound_transport_for(cfg);
	outbound_conn_t *conn = NULL;
	gboolean ok = TRUE;
	guint done = 0;
	GError *local = NULL;
	int lock;

	memset(stats, 0, sizeof *stats);
	lock = flush_lock(cfg, &local);
	if (lock < 0) {
		if (local == NULL) {
			log_debug("outbound", "another process is flushing the queue");
			return TRUE;
		}
		g_propagate_error(error, local);
		return FALSE;
	}
	/* Mail left "sending" by a crash is due again: it may be resent once. */
	for (gboolean first = TRUE; ok; first = FALSE) {
		g_autoptr(GPtrArray) due = store_outbound_due(st, util_now(), first, 100, error);

		if (due == NULL)
			ok = FALSE;
		else if (due->len == 0)
			break;
		for (guint i = 0; ok && due != NULL && i < due->len; i++) {
			ok = flush_one(st, cfg, tr, &conn, due->pdata[i], stats, error);
			if (limit > 0 && ++done >= limit)
				goto out;
		}
		/* Everything due was tried; retried mail is due later. */
		if (due != NULL && due->len < 100)
			break;
	}
out:
	if (conn != NULL)
		tr->close(conn);
	close(lock);
	return ok;
}

gint64
outbound_retry(store_t *st, gint64 id, GError **error)
{
	return store_outbound_requeue(st, id, util_now(), error);
}
