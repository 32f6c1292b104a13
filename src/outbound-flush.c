/* SPDX-License-Identifier: MIT
 * outbound-flush.c: sending the queue (see outbound.h). Apart from
 * outbound.c because only postdesk-net sends: the lean binary queues. */
#include "autodefs.h"
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "log.h"
#include "outbound-transport.h"
#include "outbound.h"
#include "util.h"
#include "banned.h"

/* Mail is sent in chunks: one transaction marks a chunk "sending", the
 * mails go out over the connection, one transaction records what became
 * of each. Two commits per chunk instead of two per mail; a crash resends
 * at most the chunk in flight, each of its mails once more. */
#define FLUSH_CHUNK 20

typedef struct {
	const config_t *cfg;
	const outbound_transport_t *tr;
	outbound_conn_t *conn;
	guint on_conn;          /* mails sent over conn */
	GError *down;           /* the connection failure that stops this flush */
	/* The chunk being sent and its outcomes so far: what a failed settle
	 * takes back. */
	GPtrArray *chunk;
	struct outcome *out;
} flush_t;

/* What became of one mail, decided in memory, recorded in the chunk's
 * closing transaction. */
typedef struct outcome {
	const char *state;      /* sent | queued | failed */
	gint64 attempts, next_attempt, sent_at;
	char *error;
} outcome_t;

static void not_sent(flush_t *f, store_outbound_t *o, outcome_t *out, outbound_stats_t *stats,
		     const GError *serr);

/* The transport's settle for what the chunk sent so far; when it fails,
 * those count as not sent. */
static void
settle(flush_t *f, outbound_stats_t *stats)
{
	g_autoptr(GError) serr = NULL;

	if (f->tr->settle == NULL || f->conn == NULL || f->tr->settle(f->conn, &serr))
		return;
	/* Not reused; and so not_sent below has no connection to settle. */
	f->tr->close(f->conn);
	f->conn = NULL;
	for (guint i = 0; i < f->chunk->len; i++) {
		if (g_strcmp0(f->out[i].state, "sent") != 0)
			continue;
		stats->sent--;
		f->out[i].sent_at = 0;
		not_sent(f, f->chunk->pdata[i], &f->out[i], stats, serr);
	}
}

/* Close the connection, after settling what went over it. */
static void
close_conn(flush_t *f, outbound_stats_t *stats)
{
	if (f->conn == NULL)
		return;
	settle(f, stats);
	if (f->conn != NULL)
		f->tr->close(f->conn);
	f->conn = NULL;
}

/* O was not sent (SERR): retry later, or give up when SERR is
 * permanent or O too old. */
static void
not_sent(flush_t *f, store_outbound_t *o, outcome_t *out, outbound_stats_t *stats,
	 const GError *serr)
{
	gint64 now = util_now();
	gboolean permanent = serr->domain == PD_ERROR && serr->code == PD_ERROR_INPUT;

	if (!permanent && f->conn != NULL) {
		/* A broken connection is not reused for the next mail. */
		close_conn(f, stats);
	}
	if (!permanent && f->down == NULL &&
	    !(serr->domain == PD_ERROR && serr->code == PD_ERROR_TEMP && f->on_conn > 1))
		f->down = g_error_copy(serr);
	out->error = g_strdup(serr->message);
	if (permanent || now - o->created > f->cfg->retry_max_age) {
		out->state = "failed";
		stats->failed++;
		log_warn("mail %" G_GINT64_FORMAT " <%s> failed for good: %s", o->id, o->message_id,
			 serr->message);
	} else {
		out->state = "queued";
		out->next_attempt = now + outbound_backoff(o->attempts, g_random_double());
		stats->retried++;
		log_info("mail %" G_GINT64_FORMAT " <%s> deferred (attempt %" G_GINT64_FORMAT "): %s",
			 o->id, o->message_id, out->attempts, serr->message);
	}
}

static void
send_one(flush_t *f, store_outbound_t *o, outcome_t *out, outbound_stats_t *stats)
{
	g_auto(GStrv) rcpts = g_strsplit(o->rcpt, "\n", -1);
	g_autoptr(GError) serr = NULL;
	gint64 now = util_now();
	gboolean sent;

	out->attempts = o->attempts;
	out->next_attempt = o->next_attempt;
	if (f->down != NULL) {
		/* The server is unreachable: do not knock again for every mail. */
		serr = g_error_copy(f->down);
		sent = FALSE;
	} else {
		/* Relays limit mails per connection; so do we. */
		if (f->conn != NULL && f->cfg->has_smtp &&
		    f->on_conn >= (guint)f->cfg->smtp_max_per_connection)
			close_conn(f, stats);
		if (f->conn == NULL) {
			f->conn = f->tr->open(f->cfg, &serr);
			f->on_conn = 0;
		}
		sent = f->conn != NULL &&
		       f->tr->send(f->conn, o->mail_from, (const char *const *)rcpts, o->bytes,
				   &serr);
		util_crash_point("outbound-sent");
		out->attempts++;
		f->on_conn++;
	}
	if (sent) {
		out->state = "sent";
		out->sent_at = now;
		stats->sent++;
		log_debug("outbound", "mail %" G_GINT64_FORMAT " <%s> sent", o->id, o->message_id);
		return;
	}
	not_sent(f, o, out, stats, serr);
}


/* Send CHUNK (store_outbound_t*): mark, send, record. A chunk of mail
 * left "sending" by a crash (RECOVER) is marked in doubt first. */
static gboolean
flush_chunk(store_t *st, flush_t *f, GPtrArray *chunk, gboolean recover,
	    outbound_stats_t *stats, GError **error)
{
	outcome_t out[FLUSH_CHUNK] = { { 0 } };
	gboolean ok = store_begin(st, error);

	for (guint i = 0; ok && i < chunk->len; i++) {
		store_outbound_t *o = chunk->pdata[i];

		ok = store_outbound_mark(st, o->id, "sending", o->attempts, o->next_attempt, 0,
					 NULL, error) &&
		     (!recover || store_outbound_set_doubt(st, o->id, error));
	}
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	if (!store_commit(st, error))
		return FALSE;
	util_crash_point("outbound-marked-sending");
	f->chunk = chunk;
	f->out = out;
	for (guint i = 0; i < chunk->len; i++)
		send_one(f, chunk->pdata[i], &out[i], stats);
	settle(f, stats);
	ok = store_begin(st, error);
	for (guint i = 0; ok && i < chunk->len; i++) {
		store_outbound_t *o = chunk->pdata[i];

		ok = store_outbound_mark(st, o->id, out[i].state, out[i].attempts,
					 out[i].next_attempt, out[i].sent_at, out[i].error, error);
	}
	for (guint i = 0; i < chunk->len; i++)
		g_free(out[i].error);
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	return store_commit(st, error);
}

/* Mail still "sending" was in flight when a flusher died (we hold the
 * lock, so none is running): the server may or may not have it. Each is
 * resent once, alone, marked in doubt; one found in doubt again was
 * interrupted twice and is not sent a third time, but marked failed for
 * an operator to look at ("postdesk queue --retry ID"). */
static gboolean
flush_recover(store_t *st, flush_t *f, outbound_stats_t *stats, GError **error)
{
	g_autoptr(GPtrArray) left = store_outbound_due(st, util_now(), TRUE, G_MAXINT, error);

	if (left == NULL)
		return FALSE;
	for (guint i = 0; i < left->len; i++) {
		store_outbound_t *o = left->pdata[i];
		g_autoptr(GPtrArray) one = g_ptr_array_new();

		if (o->in_doubt) {
			if (!store_begin(st, error) ||
			    !store_outbound_mark(st, o->id, "failed", o->attempts, o->next_attempt, 0,
						 "two sending attempts were interrupted; not sent a "
						 "third time (it may have arrived): postdesk queue "
						 "--retry sends it again",
						 error)) {
				store_rollback(st);
				return FALSE;
			}
			if (!store_commit(st, error))
				return FALSE;
			stats->failed++;
			log_warn("mail %" G_GINT64_FORMAT " <%s> in doubt after two interrupted "
				 "attempts: not resent", o->id, o->message_id);
			continue;
		}
		g_ptr_array_add(one, o);
		if (!flush_chunk(st, f, one, TRUE, stats, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
outbound_flush(store_t *st, const config_t *cfg, guint limit, outbound_stats_t *stats,
	       GError **error)
{
	flush_t f = { .cfg = cfg, .tr = outbound_transport_for(cfg) };
	g_autofree char *lock_path = g_build_filename(cfg->spool, "outbound.lock", NULL);
	gboolean ok = TRUE;
	guint done = 0;
	GError *local = NULL;
	int lock;

	memset(stats, 0, sizeof *stats);
	/* One flusher at a time: while we hold this lock, a row still marked
	 * "sending" was left by a process that died, so sending it again is
	 * the "at most once more" of outbound.h and never a race with a live
	 * sender. */
	lock = util_lock_file(lock_path, &local);
	if (lock < 0) {
		if (local == NULL) {
			log_debug("outbound", "another process is flushing the queue");
			return TRUE;
		}
		g_propagate_error(error, local);
		return FALSE;
	}
	ok = flush_recover(st, &f, stats, error);
	while (ok) {
		guint want = limit > 0 ? MIN(FLUSH_CHUNK, limit - done) : FLUSH_CHUNK;
		g_autoptr(GPtrArray) due = store_outbound_due(st, util_now(), FALSE, want, error);

		if (due == NULL) {
			ok = FALSE;
			break;
		}
		if (due->len == 0)
			break;
		ok = flush_chunk(st, &f, due, FALSE, stats, error);
		done += due->len;
		if ((limit > 0 && done >= limit) || due->len < want)
			break;
	}
	if (f.conn != NULL)
		f.tr->close(f.conn);
	g_clear_error(&f.down);
	close(lock);
	return ok;
}

gint64
outbound_retry(store_t *st, gint64 id, GError **error)
{
	return store_outbound_requeue(st, id, util_now(), error);
}
