/* SPDX-License-Identifier: MIT
 * cli-run.c: postdesk run [--once] — the daemon: every [imap:NAME]
 * account, LMTP, the outbound queue and webhook deliveries, and every
 * minute the timers: offers, SLA deadlines, housekeeping and the
 * members' digests.
 *
 * One thread per IMAP account, each with its own SQLite connection and
 * ingest pipeline, which a second thread of the account's session runs
 * so that the next batch is fetched while one is taken. LMTP sessions
 * (lmtp.h) only queue what they accept; the intake thread takes that
 * incoming queue into tickets. The main thread sends the outbound queue
 * and then the webhook deliveries whenever mail was committed, and at
 * least every 30 seconds. The webhook sender (one libcurl handle per
 * webhook) lives as long as a configuration, so its connections are
 * reused from pass to pass. A message from IMAP is taken in one
 * transaction that also records (account, UIDVALIDITY, UID); only after
 * the commit is it moved (or flagged), so a crash in between leaves it in
 * the INBOX, where the next pass recognises it as taken and only moves
 * it. SIGTERM/SIGINT finish the message in hand and exit 0; SIGHUP loads
 * the config again and, when it is valid, restarts the workers with it (a
 * broken one is logged and the old one kept). */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>
#include "action.h"
#include "cli.h"
#include "digest.h"
#include "error.h"
#include "imap.h"
#include "incoming.h"
#include "ingest.h"
#include "lmtp.h"
#include "log.h"
#include "notice.h"
#include "outbound.h"
#include "util.h"
#include "webhook-send.h"
#include "banned.h"

#define RUN_FETCH_BATCH 200
#define RUN_FLUSH_EVERY_MS 30000
#define RUN_FLUSH_GAP_MS 100     /* at least this between two flushes */
#define RUN_TIMERS_EVERY_S 60
#define RUN_BACKOFF_MAX 300
#define RUN_INCOMING_BATCH 100   /* messages per transaction */
#define RUN_INCOMING_BATCH_MS 100
#define RUN_INCOMING_ROUND_MS 500
#define RUN_BG_NICE 10       /* the intake's and the sender's */

/* Signals land in pipes: STOP stays readable once written (every thread
 * polls it, nobody reads it), WAKE is drained by the main loop. */
static int stop_pipe[2] = { -1, -1 };
static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_stop, got_hup;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	/* A full pipe already wakes its reader: a failed write is fine. */
	if (sig == SIGHUP) {
		got_hup = 1;
		(void)!write(wake_pipe[1], &c, 1);
	} else if (!got_stop) {
		got_stop = 1;
		(void)!write(stop_pipe[1], &c, 1);
	}
	errno = saved;
}

static void sender_kick_current(void);

/* Something was committed: the main loop and the sender have work. */
static void
wake_main(void)
{
	char c = 'w';

	if (write(wake_pipe[1], &c, 1) < 0 && errno != EAGAIN)
		log_warn_errno("waking the main loop");
	sender_kick_current();
}

/* One account's worker: everything it owns. */
typedef struct {
	const config_t *cfg;
	const config_imap_t *acct;
	char *source;         /* "imap:NAME" */
	int stop_fd;          /* readable: stop (the global stop or a reload) */
	gboolean once;
	GThread *thread;
} worker_t;

static gboolean
stopping(const worker_t *w)
{
	struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };

	return got_stop || poll(&p, 1, 0) > 0;
}

/* Sleep MS or until told to stop; FALSE when told to stop. */
static gboolean
pause_ms(const worker_t *w, int ms)
{
	struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };

	return poll(&p, 1, ms) == 0 && !got_stop;
}

/* A fetched batch on its way from the IMAP side of a session to its
 * ingest side and back: the UIDs to move once it is committed. */
typedef struct {
	GPtrArray *msgs;        /* imap_msg_t*, as fetched */
	GArray *done, *aside;   /* guint32 UIDs: to the processed folder, to quarantine */
	gboolean ok;
	GError *error;
} batch_t;

static void
batch_free(batch_t *b)
{
	g_ptr_array_unref(b->msgs);
	g_array_unref(b->done);
	g_array_unref(b->aside);
	g_clear_error(&b->error);
	g_free(b);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(batch_t, batch_free)

/* Take a fetched batch: every message not taken before is ingested with
 * its UID, all in one transaction. A message seen before (a crash after a
 * commit) is only moved; one over the size cap, or quarantined by ingest,
 * goes to the account's quarantine folder. */
static gboolean
take_batch(worker_t *w, store_t *st, ingest_t *ing, guint32 uidvalidity, batch_t *b,
	   GError **error)
{
	ingest_opts_t opts = { .source = w->source, .group = w->acct->group };
	guint32 last = 0;
	guint stored = 0;
	gboolean ok = store_begin(st, error);

	for (guint i = 0; ok && i < b->msgs->len && !stopping(w); i++) {
		const imap_msg_t *m = b->msgs->pdata[i];
		ingest_result_t res = { 0 };

		last = m->uid;
		if (store_source_uid_taken(st, w->source, uidvalidity, m->uid)) {
			g_array_append_val(b->done, m->uid);
			continue;
		}
		if (m->data == NULL) {
			log_warn("%s: UID %u is %" G_GSIZE_FORMAT " bytes, over max_quarantine_size: "
				 "moved to %s", w->source, m->uid, m->size, w->acct->quarantine);
			g_array_append_val(b->aside, m->uid);
			continue;
		}
		ok = ingest_message(ing, g_bytes_get_data(m->data, NULL), g_bytes_get_size(m->data),
				    &opts, &res, error) &&
		     store_source_uid_add(st, w->source, uidvalidity, m->uid, util_now(), error);
		if (ok && res.outcome == INGEST_QUARANTINED)
			g_array_append_val(b->aside, m->uid);
		else if (ok)
			g_array_append_val(b->done, m->uid);
		if (ok && (res.outcome == INGEST_NEW || res.outcome == INGEST_FOLLOWUP))
			log_info("%s: UID %u: ticket %" G_GINT64_FORMAT " (%s)", w->source, m->uid,
				 res.ticket, res.outcome == INGEST_NEW ? "new" : "follow-up");
		stored++;
		ingest_result_clear(&res);
	}
	if (ok && last != 0)
		ok = store_source_update(st, w->source, uidvalidity, last, util_now(), NULL, error);
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	util_crash_point("run-before-commit");
	if (!store_commit(st, error))
		return FALSE;
	util_crash_point("run-committed");
	if (stored > 0)
		wake_main();
	return TRUE;
}

/* The ingest side of a session: batches come in on IN (a batch with no
 * messages ends it), each is taken and goes back on OUT, so that the
 * IMAP side fetches the next batch and moves the last one meanwhile. */
typedef struct {
	worker_t *w;
	store_t *st;
	ingest_t *ing;
	guint32 uidvalidity;
	GAsyncQueue *in, *out;
	gboolean failed;        /* a batch failed: the session ends, take no more */
} taker_t;

static gpointer
taker_main(gpointer data)
{
	taker_t *t = data;

	for (;;) {
		batch_t *b = g_async_queue_pop(t->in);

		if (b->msgs->len == 0) {
			batch_free(b);
			return NULL;
		}
		/* After a failure nothing more is taken: the session ends. */
		if (t->failed)
			g_set_error(&b->error, PD_ERROR, PD_ERROR_TEMP, "an earlier batch failed");
		else
			t->failed = !(b->ok = take_batch(t->w, t->st, t->ing, t->uidvalidity, b,
							 &b->error));
		g_async_queue_push(t->out, b);
	}
}

static batch_t *
batch_new(GPtrArray *msgs)
{
	batch_t *b = g_new0(batch_t, 1);

	b->msgs = msgs;
	b->done = g_array_new(FALSE, FALSE, sizeof(guint32));
	b->aside = g_array_new(FALSE, FALSE, sizeof(guint32));
	return b;
}

/* The next taken batch: moved (or flagged) with one command per
 * destination. FALSE with the error of its taking or moving. */
static gboolean
move_taken(worker_t *w, imap_conn_t *c, taker_t *t, GError **error)
{
	g_autoptr(batch_t) b = g_async_queue_pop(t->out);

	if (!b->ok) {
		g_propagate_error(error, g_steal_pointer(&b->error));
		return FALSE;
	}
	return imap_done_many(c, (guint32 *)(void *)b->done->data, b->done->len, w->acct->processed,
			      error) &&
	       imap_done_many(c, (guint32 *)(void *)b->aside->data, b->aside->len,
			      w->acct->quarantine, error);
}

/* One connection's life: resume, take the backlog, wait for news. FALSE
 * with the error that ended it. */
static gboolean
session(worker_t *w, store_t *st, ingest_t *ing, gboolean *connected, GError **error)
{
	g_autoptr(store_source_t) src = store_source_get(st, w->source, error);
	imap_conn_t *c;
	guint32 uidvalidity, from;
	gboolean ok = TRUE;
	taker_t t;
	GThread *taker;
	guint out = 0;              /* batches handed to the taker, not moved yet */

	if (error != NULL && *error != NULL)
		return FALSE;
	c = imap_connect(w->acct, error);
	if (c == NULL)
		return FALSE;
	imap_set_wakeup_fd(c, w->stop_fd);
	/* Larger than the quarantine takes: not downloaded, moved aside. */
	imap_set_max_size(c, w->cfg->max_quarantine_size);
	*connected = TRUE;
	uidvalidity = imap_uidvalidity(c);
	log_info("%s: connected (UIDVALIDITY %u, %s)", w->source, uidvalidity,
		 w->acct->idle && imap_has_idle(c) ? "IDLE" : "polling");
	if (src != NULL && src->uidvalidity != (gint64)uidvalidity && src->uidvalidity != 0)
		log_warn("%s: UIDVALIDITY changed from %" G_GINT64_FORMAT " to %u: reading the "
			 "mailbox again (what was taken is recognised as duplicate)",
			 w->source, src->uidvalidity, uidvalidity);
	/* Moving mail: what is still in the INBOX is either new or taken and
	 * not yet moved (a crash), so read it all. Flagging: resume after the
	 * last UID taken. */
	from = w->acct->processed == NULL && src != NULL && src->uidvalidity == uidvalidity
		       ? (guint32)src->last_uid + 1
		       : 1;
	if (!store_source_update(st, w->source, uidvalidity, -1, util_now(), NULL, error))
		ok = FALSE;
	t.w = w;
	t.st = st;
	t.ing = ing;
	t.uidvalidity = uidvalidity;
	t.failed = FALSE;
	t.in = g_async_queue_new();
	t.out = g_async_queue_new();
	taker = g_thread_new("taker", taker_main, &t);
	/* A backlog goes in a pipeline: batch N+1 is fetched, and batch N-1
	 * moved, while batch N is taken. At most two are out at once. */
	while (ok && !stopping(w)) {
		GPtrArray *msgs = imap_fetch_since(c, from, RUN_FETCH_BATCH, error);
		guint n;

		if (msgs == NULL) {
			ok = FALSE;
			break;
		}
		n = msgs->len;
		if (n > 0) {
			from = ((imap_msg_t *)msgs->pdata[n - 1])->uid + 1;
			g_async_queue_push(t.in, batch_new(msgs));
			out++;
		} else {
			g_ptr_array_unref(msgs);
		}
		/* Moved as soon as a batch is behind; all of them at the end. */
		while (ok && (out == 2 || (out > 0 && n < RUN_FETCH_BATCH))) {
			ok = move_taken(w, c, &t, error);
			out--;
		}
		if (!ok || n == RUN_FETCH_BATCH)
			continue;
		if (w->once)
			break;
		/* IDLE is re-issued by imap_wait within RFC 2177's 29 minutes. */
		ok = imap_wait(c, w->acct->idle ? 25 * 60 * 1000 : (int)w->acct->poll_interval * 1000,
			       error);
	}
	/* What is still being taken is committed or not; not moved: the next
	 * session finds it taken and only moves it. */
	for (; out > 0; out--)
		batch_free(g_async_queue_pop(t.out));
	g_async_queue_push(t.in, batch_new(g_ptr_array_new()));
	g_thread_join(taker);
	g_async_queue_unref(t.in);
	g_async_queue_unref(t.out);
	imap_close(c);
	return ok;
}

static gpointer
worker_main(gpointer data)
{
	worker_t *w = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(store_t) st = store_open(w->cfg->database, FALSE, &error);
	g_autoptr(ingest_t) ing = st && store_long_lived(st, &error) ? ingest_new(w->cfg, st, &error)
								       : NULL;
	gint64 backoff = 1;

	if (ing == NULL) {
		log_error("%s: %s", w->source, error->message);
		return GINT_TO_POINTER(FALSE);
	}
	ingest_defer_acks(ing);
	while (!stopping(w)) {
		gboolean connected = FALSE;

		if (session(w, st, ing, &connected, &error)) {
			if (w->once)
				return GINT_TO_POINTER(TRUE);
			continue;
		}
		if (stopping(w))
			break;
		/* A connection that worked was lost: start the backoff again. */
		if (connected)
			backoff = 1;
		store_source_update(st, w->source, -1, -1, util_now(), error->message, NULL);
		if (w->once) {
			log_error("%s: %s", w->source, error->message);
			return GINT_TO_POINTER(FALSE);
		}
		/* Back off with jitter so a server coming back is not hammered by
		 * every account at once, and a wrong password is not retried in a
		 * loop. */
		{
			gint64 wait = backoff + g_random_int_range(0, (gint32)backoff / 2 + 1);

			log_warn("%s: %s; trying again in %" G_GINT64_FORMAT " s", w->source,
				 error->message, wait);
			g_clear_error(&error);
			if (!pause_ms(w, (int)wait * 1000))
				break;
			backoff = MIN(backoff * 2, RUN_BACKOFF_MAX);
		}
	}
	log_info("%s: stopped", w->source);
	return GINT_TO_POINTER(TRUE);
}

/* The workers of one config generation, sharing a stop pipe. */
typedef struct {
	GPtrArray *workers;
	int stop[2];
} crew_t;

static void
crew_start(crew_t *crew, const config_t *cfg, gboolean once)
{
	crew->workers = g_ptr_array_new();
	if (pipe2(crew->stop, O_CLOEXEC) != 0)
		g_error("pipe: %s", g_strerror(errno));
	for (guint i = 0; i < cfg->imap->len; i++) {
		worker_t *w = g_new0(worker_t, 1);

		w->cfg = cfg;
		w->acct = cfg->imap->pdata[i];
		w->source = g_strdup_printf("imap:%s", w->acct->name);
		/* The crew's pipe: written on SIGTERM and on a reload. */
		w->stop_fd = crew->stop[0];
		w->once = once;
		w->thread = g_thread_new(w->source, worker_main, w);
		g_ptr_array_add(crew->workers, w);
	}
}

/* Stop (when STOP) and join every worker; TRUE when all ended well. */
static gboolean
crew_join(crew_t *crew, gboolean stop)
{
	gboolean ok = TRUE;
	char c = 's';

	if (stop && write(crew->stop[1], &c, 1) < 0)
		log_warn_errno("stopping the workers");
	for (guint i = 0; i < crew->workers->len; i++) {
		worker_t *w = crew->workers->pdata[i];

		ok = GPOINTER_TO_INT(g_thread_join(w->thread)) && ok;
		g_free(w->source);
		g_free(w);
	}
	g_ptr_array_unref(crew->workers);
	close(crew->stop[0]);
	close(crew->stop[1]);
	return ok;
}

/* Send the outbound queue, then the webhook deliveries (with HOOKS, made
 * for CFG); FALSE when either could not be read or marked. */
static gboolean
flush(store_t *st, const config_t *cfg, webhook_sender_t *hooks)
{
	outbound_stats_t stats;
	webhook_stats_t hs;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) herror = NULL;
	gboolean ok = TRUE;

	if (!outbound_flush(st, cfg, 0, &stats, &error)) {
		log_warn("outbound queue: %s", error->message);
		ok = FALSE;
	} else if (stats.sent + stats.retried + stats.failed > 0) {
		log_info("outbound: sent %u, deferred %u, failed %u", stats.sent, stats.retried,
			 stats.failed);
	}
	if (!webhook_flush(hooks, st, 0, &hs, &herror)) {
		log_warn("webhook deliveries: %s", herror->message);
		ok = FALSE;
	} else if (hs.sent + hs.retried + hs.failed > 0) {
		log_info("webhooks: sent %u, deferred %u, failed %u", hs.sent, hs.retried,
			 hs.failed);
	}
	return ok;
}

/* A background thread of run's that waits to be kicked: the sender and
 * the intake. */
typedef struct {
	GThread *thread;
	GMutex lock;
	GCond cond;
	gboolean kicked, stop;  /* under lock */
} bg_t;

static void
bg_init(bg_t *bg)
{
	g_mutex_init(&bg->lock);
	g_cond_init(&bg->cond);
}

static void
bg_kick(bg_t *bg)
{
	g_mutex_lock(&bg->lock);
	bg->kicked = TRUE;
	g_cond_signal(&bg->cond);
	g_mutex_unlock(&bg->lock);
}

/* In the thread: wait until kicked or TIMEOUT_US passed (not at all when
 * BUSY); TRUE when told to stop. */
static gboolean
bg_wait(bg_t *bg, gint64 timeout_us, gboolean busy)
{
	gboolean stop;

	g_mutex_lock(&bg->lock);
	if (!busy && !bg->kicked && !bg->stop)
		g_cond_wait_until(&bg->cond, &bg->lock, g_get_monotonic_time() + timeout_us);
	bg->kicked = FALSE;
	stop = bg->stop;
	g_mutex_unlock(&bg->lock);
	return stop;
}

/* Tell the thread (if started) to stop, wait for it, free the rest. */
static void
bg_join(bg_t *bg)
{
	if (bg->thread != NULL) {
		g_mutex_lock(&bg->lock);
		bg->stop = TRUE;
		g_cond_signal(&bg->cond);
		g_mutex_unlock(&bg->lock);
		g_thread_join(bg->thread);
	}
	g_mutex_clear(&bg->lock);
	g_cond_clear(&bg->cond);
}

/* Run's background threads give way to the LMTP sessions and the IMAP
 * accounts (Linux: a thread's own nice value). */
static void
bg_lower_priority(const char *name)
{
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RUN_BG_NICE) != 0)
		log_debug("run", "%s: setpriority: %s", name, g_strerror(errno));
}

/* The sender: a thread that writes the acks the takers kept
 * (notice_defer), then sends the outbound queue and the webhook
 * deliveries (flush), with a database connection of its own, at the same
 * lower priority as the intake, so that answering the MTA and taking
 * mail come first. Kicked whenever mail was committed, at most every
 * RUN_FLUSH_GAP_MS so that mail goes out in chunks; every
 * RUN_FLUSH_EVERY_MS anyway. */
typedef struct {
	bg_t bg;
	const config_t *cfg;
	store_t *st;
	GBytes *secret;
	notice_t *notice;
	webhook_sender_t *hooks;
	gboolean ok;          /* the last round's */
} sender_t;

/* The one sender (the takers and the intake kick it): set and cleared by
 * the main thread while none of them runs. */
static sender_t *sender_current;

/* Write the kept notices, then flush; FALSE when a part failed (logged). */
static gboolean
sender_round(sender_t *sd)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = notice_write_all(sd->notice, &error);

	if (!ok)
		log_warn("acks to write: %s", error->message);
	return flush(sd->st, sd->cfg, sd->hooks) && ok;
}

static gpointer
sender_main(gpointer data)
{
	sender_t *sd = data;

	bg_lower_priority("sender");
	do {
		sender_round(sd);
		g_usleep(RUN_FLUSH_GAP_MS * 1000);
	} while (!bg_wait(&sd->bg, RUN_FLUSH_EVERY_MS * 1000, FALSE));
	/* What the last moments caused goes out before the thread ends. */
	sd->ok = sender_round(sd);
	return NULL;
}

static void
sender_kick(sender_t *sd)
{
	if (sd != NULL)
		bg_kick(&sd->bg);
}

static void
sender_kick_current(void)
{
	sender_kick(sender_current);
}

/* Stop (after a last round) and free SD; FALSE when that round failed.
 * NULL is ignored. Whatever kicks it (the crew, the intake) has stopped. */
static gboolean
sender_stop(sender_t *sd)
{
	gboolean ok;

	if (sd == NULL)
		return TRUE;
	if (sender_current == sd)
		sender_current = NULL;
	bg_join(&sd->bg);
	ok = sd->ok;
	webhook_sender_free(sd->hooks);
	notice_free(sd->notice);
	g_clear_pointer(&sd->secret, g_bytes_unref);
	store_close(sd->st);
	g_free(sd);
	return ok;
}

/* The sender of CFG (borrowed: it must outlive the sender), running. */
static sender_t *
sender_start(const config_t *cfg, GError **error)
{
	sender_t *sd = g_new0(sender_t, 1);

	bg_init(&sd->bg);
	sd->cfg = cfg;
	sd->hooks = webhook_sender_new(cfg);
	if ((sd->st = store_open(cfg->database, FALSE, error)) == NULL ||
	    !store_long_lived(sd->st, error) ||
	    (sd->secret = util_read_secret(cfg->secret_file, error)) == NULL ||
	    (sd->notice = notice_new(cfg, sd->st, sd->secret, error)) == NULL) {
		sender_stop(sd);
		return NULL;
	}
	sd->bg.thread = g_thread_new("sender", sender_main, sd);
	sender_current = sd;
	return sd;
}

/* The timers of the tickets: offers not answered in time pass on,
 * deadline warnings and breaches, housekeeping (wait reminders, waits
 * resolved, resolved tickets closed), the members' digests due (once per
 * period: the database remembers, so a restart sends none twice and a
 * daemon down at digest_time sends them when it is back that day). With
 * RECOMPUTE (a start, a reload) every deadline is first derived again
 * from CFG: targets, priorities' targets or an organisation's plan may
 * have changed. One transaction a run. */
static gboolean
timers(store_t *st, const config_t *cfg, gboolean recompute)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) secret = NULL;
	g_autoptr(notice_t) notice = NULL;
	action_t a = { cfg, st, NULL, util_now() };
	guint expired = 0, warned = 0, breached = 0, moved = 0, digests = 0;
	guint house[ACTION_HOUSE_JOBS] = { 0 };
	gint64 offers, sla, due, digests_due;
	gboolean open = FALSE;

	if (recompute && (!(open = store_begin(st, &error)) ||
			  !action_sla_recompute_all(&a, &moved, &error)))
		goto fail;
	/* Most minutes nothing is due: look before reading the secret and
	 * the templates the mails need. */
	if ((offers = action_offers_due(&a, &error)) < 0 ||
	    (sla = action_sla_due(&a, &error)) < 0 ||
	    (due = action_housekeeping_due(&a, &error)) < 0 ||
	    (digests_due = digest_due(cfg, st, a.now, &error)) < 0)
		goto fail;
	due += digests_due;
	if (offers + sla + due > 0) {
		if ((secret = util_read_secret(cfg->secret_file, &error)) == NULL ||
		    (notice = notice_new(cfg, st, secret, &error)) == NULL ||
		    (!open && !(open = store_begin(st, &error))))
			goto fail;
		a.notice = notice;
		if (!action_expire_offers(&a, &expired, &error) ||
		    !action_sla_tick(&a, &warned, &breached, &error) ||
		    !action_housekeeping(&a, house, &error) ||
		    (digests_due > 0 && !digest_send(cfg, st, notice, NULL, DIGEST_MEMBER | DIGEST_GROUP,
						     TRUE, a.now, &digests, &error)))
			goto fail;
	}
	/* Nothing written: no commit (and none of its crash points). */
	if (open && offers + sla + due == 0 && moved == 0)
		store_rollback(st);
	else if (open && !store_commit(st, &error))
		goto fail_committing;
	open = FALSE;
	if (moved > 0)
		log_info("timers: %u deadline%s moved by the configuration", moved,
			 moved == 1 ? "" : "s");
	if (expired > 0)
		log_info("timers: %u offer%s passed on (not taken in time)", expired,
			 expired == 1 ? "" : "s");
	if (warned + breached > 0)
		log_info("timers: %u deadline warning%s, %u breach%s", warned,
			 warned == 1 ? "" : "s", breached, breached == 1 ? "" : "es");
	if (house[ACTION_HOUSE_REMIND] + house[ACTION_HOUSE_RESOLVE] + house[ACTION_HOUSE_CLOSE] > 0)
		log_info("timers: %u wait reminder%s, %u resolved after waiting, %u closed",
			 house[ACTION_HOUSE_REMIND], house[ACTION_HOUSE_REMIND] == 1 ? "" : "s",
			 house[ACTION_HOUSE_RESOLVE], house[ACTION_HOUSE_CLOSE]);
	if (digests_due > 0)
		log_info("timers: %u digest%s sent", digests, digests == 1 ? "" : "s");
	return TRUE;
fail:
	if (open)
		store_rollback(st);
fail_committing:
	log_warn("timers: %s", error->message);
	return FALSE;
}

/* The intake: a thread that takes the incoming queue (mail LMTP accepted)
 * into tickets, with a database connection and pipeline of its own, for
 * one configuration; the main thread meanwhile sends what it causes. */
typedef struct {
	bg_t bg;
	store_t *st;
	store_t *queue;
	ingest_t *ing;
} intake_t;

/* Take the incoming queue in batches for at most BUDGET_MS (-1: until it
 * is empty, or fails). TRUE when some of it may still be due. */
static gboolean
intake_take(intake_t *in, gint64 budget_ms)
{
	gint64 until = g_get_monotonic_time() + budget_ms * 1000;
	guint taken = 1;

	while (taken > 0 && (budget_ms < 0 || g_get_monotonic_time() < until)) {
		g_autoptr(GError) error = NULL;

		if (!incoming_drain(in->queue, in->ing, RUN_INCOMING_BATCH, RUN_INCOMING_BATCH_MS,
				    &taken, &error)) {
			log_warn("incoming queue: %s", error->message);
			return FALSE;
		}
		if (taken > 0)
			wake_main();
	}
	return taken > 0;
}

static gpointer
intake_main(gpointer data)
{
	intake_t *in = data;

	/* Answering the MTA comes first: on a busy machine the LMTP sessions
	 * get the CPU and the queue waits a little longer. Woken by LMTP;
	 * once a second anyway, for messages whose retry has come. */
	bg_lower_priority("intake");
	while (!bg_wait(&in->bg, G_USEC_PER_SEC, intake_take(in, RUN_INCOMING_ROUND_MS)))
		;
	return NULL;
}

/* The running intake, for lmtp_start's callback. */
static intake_t *intake_current;

static void
intake_kick(void)
{
	intake_t *in = intake_current;

	if (in != NULL)
		bg_kick(&in->bg);
}

/* Stop the thread (after its batch in hand: the rest waits in the queue
 * for the next run) and free IN. NULL is ignored. */
static void
intake_stop(intake_t *in)
{
	if (in == NULL)
		return;
	bg_join(&in->bg);
	if (intake_current == in)
		intake_current = NULL;
	ingest_free(in->ing);
	store_close(in->queue);
	store_close(in->st);
	g_free(in);
}

/* The intake of CFG, when LMTP is on or an earlier run left a queue (else
 * NULL without an error); with THREAD it runs on its own, else the caller
 * takes the queue with intake_take. */
static intake_t *
intake_start(const config_t *cfg, gboolean thread, GError **error)
{
	g_autofree char *path = store_incoming_path(cfg->database);
	intake_t *in;

	if (cfg->lmtp_listen == NULL && !g_file_test(path, G_FILE_TEST_EXISTS))
		return NULL;
	in = g_new0(intake_t, 1);
	bg_init(&in->bg);
	if ((in->st = store_open(cfg->database, FALSE, error)) == NULL ||
	    !store_long_lived(in->st, error) ||
	    (in->queue = store_incoming_open(cfg->database, error)) == NULL ||
	    !store_long_lived(in->queue, error) || (in->ing = ingest_new(cfg, in->st, error)) == NULL) {
		intake_stop(in);
		return NULL;
	}
	ingest_defer_acks(in->ing);
	if (thread) {
		intake_current = in;
		in->bg.thread = g_thread_new("intake", intake_main, in);
	}
	return in;
}

static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

gboolean
cli_run(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean once = FALSE, ok = TRUE, recompute = FALSE;
	gint64 last_timers;
	sender_t *sender = NULL;
	crew_t crew;
	intake_t *intake = NULL;
	lmtp_t *lmtp = NULL;
	struct sigaction sa = { 0 };
	GOptionEntry entries[] = {
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once,
		  "one pass of every job (IMAP accounts, outbound queue, webhooks), then exit",
		  NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "The daemon: watch the IMAP accounts (IDLE or polling), take LMTP, "
			       "send the outbound queue and the webhook deliveries.\nSIGTERM stops after the message in hand; SIGHUP "
			       "reloads the configuration.",
			       error))
		return FALSE;
	if (argc != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "run takes no arguments");
		return FALSE;
	}
	if (pipe2(stop_pipe, O_CLOEXEC) != 0 || pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL, "pipe: %s", g_strerror(errno));
		return FALSE;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("run: %u IMAP account%s, outbound via %s%s", cli->cfg->imap->len,
		 cli->cfg->imap->len == 1 ? "" : "s", cli->cfg->has_smtp ? "SMTP" : "the spool",
		 once ? " (once)" : "");
	if (!store_long_lived(cli->st, error))
		return FALSE;
	if ((sender = sender_start(cli->cfg, error)) == NULL)
		return FALSE;
	/* The queue an earlier run left is taken first. */
	intake = intake_start(cli->cfg, !once, error);
	if (intake == NULL && error != NULL && *error != NULL) {
		sender_stop(sender);
		return FALSE;
	}
	crew_start(&crew, cli->cfg, once);
	if (once) {
		/* The sender writes the acks and sends while the accounts are
		 * taken; its last round comes after everything. */
		ok = crew_join(&crew, FALSE);
		if (intake != NULL)
			intake_take(intake, -1);
		intake_stop(intake);
		ok = timers(cli->st, cli->cfg, TRUE) && ok;
		ok = sender_stop(sender) && ok;
		if (!ok)
			g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
				    "run --once: some jobs failed (see above)");
		return ok;
	}
	if (cli->cfg->lmtp_listen != NULL &&
	    (lmtp = lmtp_start(cli->cfg, intake_kick, error)) == NULL) {
		crew_join(&crew, TRUE);
		intake_stop(intake);
		sender_stop(sender);
		return FALSE;
	}
	timers(cli->st, cli->cfg, TRUE);
	last_timers = util_now();
	while (!got_stop) {
		struct pollfd p[2] = { { .fd = stop_pipe[0], .events = POLLIN },
				       { .fd = wake_pipe[0], .events = POLLIN } };

		if (poll(p, 2, RUN_FLUSH_EVERY_MS) < 0 && errno != EINTR)
			log_warn_errno("poll");
		if (got_stop)
			break;
		drain(wake_pipe[0]);
		if (got_hup) {
			g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
			g_autoptr(GError) cerr = NULL;
			config_t *fresh;

			got_hup = 0;
			fresh = config_load(cli->config_path, warnings, &cerr);
			for (guint i = 0; i < warnings->len; i++)
				log_warn("SIGHUP: %s", (char *)warnings->pdata[i]);
			if (fresh == NULL) {
				log_error("SIGHUP: %s: keeping the running configuration",
					  cerr->message);
			} else {
				log_info("SIGHUP: configuration reloaded, restarting the accounts");
				crew_join(&crew, TRUE);
				lmtp_stop(lmtp);
				lmtp = NULL;
				/* They borrow the old configuration. The intake
				 * kicks the sender: it stops first. */
				intake_stop(intake);
				sender_stop(sender);
				config_free(cli->cfg);
				cli->cfg = fresh;
				if ((sender = sender_start(cli->cfg, &cerr)) == NULL) {
					/* The database was there a moment ago: stop, and
					 * let a supervisor start run again. */
					log_error("SIGHUP: %s: stopping", cerr->message);
					g_clear_error(&cerr);
					got_stop = 1;
				}
				intake = intake_start(cli->cfg, TRUE, &cerr);
				if (cerr != NULL) {
					log_error("SIGHUP: incoming queue: %s: LMTP mail waits there "
						  "until the next reload", cerr->message);
					g_clear_error(&cerr);
				}
				crew_start(&crew, cli->cfg, FALSE);
				recompute = TRUE;
				if (cli->cfg->lmtp_listen != NULL &&
				    (lmtp = lmtp_start(cli->cfg, intake_kick, &cerr)) == NULL)
					log_error("SIGHUP: %s: LMTP is off until the next reload",
						  cerr->message);
			}
		}
		if (recompute || util_now() - last_timers >= RUN_TIMERS_EVERY_S) {
			timers(cli->st, cli->cfg, recompute);
			recompute = FALSE;
			last_timers = util_now();
		}
		sender_kick(sender);
	}
	log_info("run: stopping");
	lmtp_stop(lmtp);
	/* The workers poll their crew's pipe; tell them too. */
	ok = crew_join(&crew, TRUE);
	/* What is left of the incoming queue waits there for the next run. */
	intake_stop(intake);
	/* After a last flush. */
	sender_stop(sender);
	log_info("run: stopped");
	return TRUE;
}
