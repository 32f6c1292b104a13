/* SPDX-License-Identifier: MIT
 * webhook-send.c: webhook deliveries over HTTP(S) through libcurl (see
 * webhook-send.h). RFC 9110 (HTTP semantics: status classes, 429 from
 * RFC 6585), RFC 2104 (HMAC, webhook.c). Not here: which events become
 * deliveries (event.c) and the signature (webhook.c).
 *
 * Every webhook has its own easy handle, so libcurl keeps one connection
 * per receiver alive across deliveries. TLS is verified, peer and host
 * name; redirects are not followed; a response body is read up to
 * WEBHOOK_RESPONSE_MAX bytes and only its start is kept, for the error
 * message. Messages name a webhook by NAME and scheme://host:port, never
 * by its whole URL: paths and queries often carry the receiver's token. */
#include "autodefs.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include "error.h"
#include "event.h"
#include "log.h"
#include "outbound.h"
#include "util.h"
#include "webhook-send.h"
#include "webhook.h"
#include "banned.h"

/* Deliveries are marked and recorded in chunks: two commits per chunk;
 * a crash resends at most one chunk once. */
#define WEBHOOK_CHUNK 20
#define WEBHOOK_RESPONSE_KEEP 200       /* bytes of an answer quoted in errors */
#define WEBHOOK_RESPONSE_MAX (64 * 1024) /* a longer answer is cut off */
#define WEBHOOK_CONNECT_TIMEOUT 10L     /* seconds, at most [webhook] timeout */

/* One webhook's handle and what this pass knows about it. */
typedef struct {
	const config_webhook_t *wh;
	CURL *curl;             /* NULL until the first request */
	GBytes *secret;
	char *where;            /* "NAME (scheme://host:port)" for messages */
	GError *down;           /* a failure that defers the rest of this pass */
	GString *answer;        /* the start of the response body */
	gsize answer_len;       /* all of it, to enforce the cap */
	char errbuf[CURL_ERROR_SIZE];
} hook_t;

struct webhook_sender {
	const config_t *cfg;
	GHashTable *hooks;      /* name -> hook_t* */
};

static void
hook_free(hook_t *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	if (h->secret != NULL)
		g_bytes_unref(h->secret);
	g_free(h->where);
	g_clear_error(&h->down);
	g_string_free(h->answer, TRUE);
	g_free(h);
}

webhook_sender_t *
webhook_sender_new(const config_t *cfg)
{
	webhook_sender_t *s = g_new0(webhook_sender_t, 1);

	s->cfg = cfg;
	s->hooks = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 (GDestroyNotify)hook_free);
	return s;
}

void
webhook_sender_free(webhook_sender_t *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->hooks);
	g_free(s);
}

/* "NAME (scheme://host:port)": what a message may show of a webhook. */
static char *
hook_where(const config_webhook_t *wh)
{
	g_autoptr(GUri) uri = g_uri_parse(wh->url, G_URI_FLAGS_NONE, NULL);
	const char *scheme = uri ? g_uri_get_scheme(uri) : "?";
	const char *host = uri ? g_uri_get_host(uri) : NULL;
	int port = uri ? g_uri_get_port(uri) : -1;

	if (port < 0)
		port = g_ascii_strcasecmp(scheme, "http") == 0 ? 80 : 443;
	return g_strdup_printf("webhook %s (%s://%s%s%s:%d)", wh->name, scheme,
			       host && strchr(host, ':') ? "[" : "", host ? host : "?",
			       host && strchr(host, ':') ? "]" : "", port);
}

/* The handle of WH for this sender, made on first use (no I/O yet). */
static hook_t *
hook_get(webhook_sender_t *s, const config_webhook_t *wh)
{
	hook_t *h = g_hash_table_lookup(s->hooks, wh->name);

	if (h != NULL)
		return h;
	h = g_new0(hook_t, 1);
	h->wh = wh;
	h->where = hook_where(wh);
	h->answer = g_string_new(NULL);
	g_hash_table_insert(s->hooks, wh->name, h);
	return h;
}

/* Keep the start of the answer, printable; refuse more than the cap. */
static size_t
hook_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	hook_t *h = userp;
	gsize n = size * nmemb;

	h->answer_len += n;
	if (h->answer_len > WEBHOOK_RESPONSE_MAX)
		return 0; /* CURLE_WRITE_ERROR: the status line has been read */
	for (gsize i = 0; i < n && h->answer->len < WEBHOOK_RESPONSE_KEEP; i++) {
		unsigned char c = (unsigned char)data[i];

		g_string_append_c(h->answer, c < ' ' || c == 0x7f ? ' ' : (char)c);
	}
	return n;
}

/* Read the secret and make the handle, once per sender; a failure is
 * tried again at the next pass (the secret file may be fixed by then). */
static gboolean
hook_ready(hook_t *h, GError **error)
{
	const char *ca_file = g_getenv("POSTDESK_CA_FILE");
	long timeout = (long)h->wh->timeout;
	g_autofree char *agent = g_strdup_printf("postdesk/%s", PACKAGE_VERSION);
	CURL *c;

	if (h->curl != NULL)
		return TRUE;
	if (h->secret == NULL) {
		h->secret = util_read_secret(h->wh->secret_file, error);
		if (h->secret == NULL) {
			g_prefix_error(error, "%s: secret_file ", h->where);
			return FALSE;
		}
	}
	if (ca_file != NULL && *ca_file != '\0' && access(ca_file, R_OK) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: POSTDESK_CA_FILE %s: %s",
			    h->where, ca_file, g_strerror(errno));
		return FALSE;
	}
	c = curl_easy_init();
	if (c == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL, "%s: curl_easy_init failed",
			    h->where);
		return FALSE;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, h->wh->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    (ca_file != NULL && *ca_file != '\0' &&
	     curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK) ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			     MIN(timeout, WEBHOOK_CONNECT_TIMEOUT)) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, agent) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hook_write_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, h) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK) {
		curl_easy_cleanup(c);
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s: libcurl refused an option (built without TLS or HTTP?)",
			    h->where);
		return FALSE;
	}
	h->curl = c;
	return TRUE;
}

/* Add "NAME: VALUE" to LIST; FALSE when libcurl is out of memory. */
static gboolean
header_add(struct curl_slist **list, const char *name, const char *value)
{
	g_autofree char *line = g_strdup_printf("%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(*list, line);

	if (l == NULL)
		return FALSE;
	*list = l;
	return TRUE;
}

/* The error for an attempt that did not deliver: the receiver's status
 * and the start of its answer, or libcurl's reason. */
static void
hook_set_error(hook_t *h, CURLcode rc, long status, GError **error)
{
	const char *why = h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(rc);

	if (status > 0) {
		g_strchomp(h->answer->str);
		g_set_error(error, PD_ERROR,
			    webhook_status_outcome(status) == WEBHOOK_RETRY ? PD_ERROR_TEMP
									   : PD_ERROR_INPUT,
			    "%s: HTTP %ld%s%s", h->where, status,
			    *h->answer->str != '\0' ? ": " : "", h->answer->str);
		return;
	}
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		/* Retried like any failure to reach the receiver: it may fix
		 * its certificate; the log says what is wrong meanwhile. */
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "%s: TLS certificate verification failed: %s", h->where, why);
		return;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "%s: cannot connect: %s", h->where,
			    why);
		return;
	case CURLE_OPERATION_TIMEDOUT:
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "%s: timed out after %" G_GINT64_FORMAT
			    " s: %s", h->where, h->wh->timeout, why);
		return;
	default:
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "%s: %s", h->where, why);
		return;
	}
}

/* POST BODY as delivery DELIVERY_ID of event KIND, signed now. *STATUS
 * gets the HTTP status (0: no answer). TRUE on 2xx; else PD_ERROR_TEMP
 * (retry) or PD_ERROR_INPUT (refused for good). */
static gboolean
hook_post(hook_t *h, const char *delivery_id, const char *kind, GBytes *body, long *status,
	  GError **error)
{
	gsize len;
	const char *data = g_bytes_get_data(body, &len);
	g_autofree char *sig = webhook_signature(h->secret, util_now(), data, len);
	struct curl_slist *list = NULL;
	long code = 0;
	CURLcode rc;

	*status = 0;
	/* An empty Expect: no "100-continue" round trip before the body. */
	if (!header_add(&list, "Content-Type", "application/json") ||
	    !header_add(&list, "X-Postdesk-Delivery", delivery_id) ||
	    !header_add(&list, "X-Postdesk-Event", kind) ||
	    !header_add(&list, "X-Postdesk-Signature", sig) ||
	    !header_add(&list, "Expect", "")) {
		curl_slist_free_all(list);
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "%s: out of memory", h->where);
		return FALSE;
	}
	h->errbuf[0] = '\0';
	g_string_truncate(h->answer, 0);
	h->answer_len = 0;
	if (curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
	    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, data ? data : "") != CURLE_OK ||
	    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK)
		rc = CURLE_BAD_FUNCTION_ARGUMENT;
	else
		rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	/* An answer over the cap was cut off after its status line: the
	 * status still says what became of the delivery. */
	if (rc == CURLE_WRITE_ERROR && h->answer_len > WEBHOOK_RESPONSE_MAX && code > 0)
		rc = CURLE_OK;
	if (rc == CURLE_OK)
		*status = code;
	if (rc == CURLE_OK && webhook_status_outcome(code) == WEBHOOK_DELIVERED)
		return TRUE;
	hook_set_error(h, rc, *status, error);
	return FALSE;
}

/* One pass of webhook_flush(). */
typedef struct {
	webhook_sender_t *s;
	webhook_stats_t *stats;
} pass_t;

/* What became of one delivery, decided in memory, recorded in the
 * chunk's closing transaction. */
typedef struct {
	const char *state;      /* sent | queued | failed */
	gint64 attempts, next_attempt, sent_at, status;
	char *error;
} outcome_t;

static void
send_one(pass_t *p, const store_webhook_t *w, outcome_t *out)
{
	const config_webhook_t *wh = config_webhook(p->s->cfg, w->webhook);
	g_autoptr(GError) err = NULL;
	gint64 now = util_now();
	hook_t *h = NULL;
	long status = 0;
	gboolean sent = FALSE;

	out->attempts = w->attempts;
	out->next_attempt = w->next_attempt;
	out->status = w->status;
	if (wh == NULL) {
		g_set_error(&err, PD_ERROR, PD_ERROR_INPUT,
			    "webhook %s: no [webhook:%s] section in the configuration",
			    w->webhook, w->webhook);
	} else if ((h = hook_get(p->s, wh))->down != NULL) {
		/* The receiver is unreachable or failing: do not knock again
		 * for every delivery of this pass. */
		err = g_error_copy(h->down);
	} else {
		sent = hook_ready(h, &err) && hook_post(h, w->delivery_id, w->kind, w->body,
							&status, &err);
		util_crash_point("webhook-sent");
		out->attempts++;
		if (status > 0)
			out->status = status;
		if (!sent && !(err->domain == PD_ERROR && err->code == PD_ERROR_INPUT))
			h->down = g_error_copy(err);
	}
	if (sent) {
		out->state = "sent";
		out->sent_at = now;
		p->stats->sent++;
		log_debug("webhook", "delivery %" G_GINT64_FORMAT " (%s %s) to %s: HTTP %ld",
			  w->id, w->kind, w->delivery_id, h->where, status);
		return;
	}
	out->error = g_strdup(err->message);
	if ((err->domain == PD_ERROR && err->code == PD_ERROR_INPUT) ||
	    now - w->created > wh->max_age) {
		out->state = "failed";
		p->stats->failed++;
		log_warn("webhook delivery %" G_GINT64_FORMAT " (%s %s) failed for good: %s",
			 w->id, w->kind, w->delivery_id, err->message);
	} else {
		out->state = "queued";
		out->next_attempt = now + outbound_backoff(w->attempts, g_random_double());
		p->stats->retried++;
		/* Deferred untried behind a failure already logged: debug only. */
		if (out->attempts > w->attempts)
			log_info("webhook delivery %" G_GINT64_FORMAT " (%s) deferred (attempt %"
				 G_GINT64_FORMAT "): %s", w->id, w->kind, out->attempts,
				 err->message);
		else
			log_debug("webhook", "delivery %" G_GINT64_FORMAT " (%s) deferred untried",
				  w->id, w->kind);
	}
}

/* Record OUT for each delivery of CHUNK in one transaction. */
static gboolean
record_chunk(store_t *st, GPtrArray *chunk, outcome_t *out, GError **error)
{
	gboolean ok = store_begin(st, error);

	for (guint i = 0; ok && i < chunk->len; i++) {
		const store_webhook_t *w = chunk->pdata[i];

		ok = store_webhook_mark(st, w->id, out[i].state, out[i].attempts,
					out[i].next_attempt, out[i].sent_at, out[i].status,
					out[i].error, error);
	}
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	return store_commit(st, error);
}

/* Send CHUNK (store_webhook_t*): mark, send, record. A chunk left
 * "sending" by a crash (RECOVER) is marked in doubt first. */
static gboolean
send_chunk(store_t *st, pass_t *p, GPtrArray *chunk, gboolean recover, GError **error)
{
	outcome_t out[WEBHOOK_CHUNK] = { { 0 } };
	gboolean ok = store_begin(st, error);

	g_assert(chunk->len <= WEBHOOK_CHUNK);
	for (guint i = 0; ok && i < chunk->len; i++) {
		const store_webhook_t *w = chunk->pdata[i];

		ok = store_webhook_mark(st, w->id, "sending", w->attempts, w->next_attempt, 0,
					w->status, w->last_error, error) &&
		     (!recover || store_webhook_set_doubt(st, w->id, error));
	}
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	if (!store_commit(st, error))
		return FALSE;
	util_crash_point("webhook-marked-sending");
	for (guint i = 0; i < chunk->len; i++)
		send_one(p, chunk->pdata[i], &out[i]);
	ok = record_chunk(st, chunk, out, error);
	for (guint i = 0; i < chunk->len; i++)
		g_free(out[i].error);
	return ok;
}

/* Deliveries still "sending" were in flight when a sender died (we hold
 * the lock, so none runs): the receiver may or may not have them. Each
 * is resent once, alone, in doubt; one in doubt already was interrupted
 * twice and is left failed for an operator ("postdesk webhook retry"). */
static gboolean
recover(store_t *st, pass_t *p, GError **error)
{
	g_autoptr(GPtrArray) left = store_webhook_due(st, util_now(), TRUE, G_MAXINT, error);

	if (left == NULL)
		return FALSE;
	for (guint i = 0; i < left->len; i++) {
		store_webhook_t *w = left->pdata[i];
		g_autoptr(GPtrArray) one = g_ptr_array_new();

		if (w->in_doubt) {
			outcome_t out = {
				.state = "failed", .attempts = w->attempts,
				.next_attempt = w->next_attempt, .status = w->status,
				.error = (char *)"two sending attempts were interrupted; not sent a "
					 "third time (it may have arrived): postdesk webhook retry "
					 "sends it again",
			};

			g_ptr_array_add(one, w);
			if (!record_chunk(st, one, &out, error))
				return FALSE;
			p->stats->failed++;
			log_warn("webhook delivery %" G_GINT64_FORMAT " (%s) in doubt after two "
				 "interrupted attempts: not resent", w->id, w->delivery_id);
			continue;
		}
		g_ptr_array_add(one, w);
		if (!send_chunk(st, p, one, TRUE, error))
			return FALSE;
	}
	return TRUE;
}

static void
clear_down(gpointer key, gpointer value, gpointer data)
{
	g_clear_error(&((hook_t *)value)->down);
}

gboolean
webhook_flush(webhook_sender_t *s, store_t *st, guint limit, webhook_stats_t *stats,
	      GError **error)
{
	g_autofree char *lock_path = g_build_filename(s->cfg->spool, "webhook.lock", NULL);
	pass_t p = { .s = s, .stats = stats };
	GError *local = NULL;
	guint done = 0;
	gboolean ok;
	int lock;

	memset(stats, 0, sizeof *stats);
	lock = util_lock_file(lock_path, &local);
	if (lock < 0) {
		if (local == NULL) {
			log_debug("webhook", "another process is sending webhook deliveries");
			return TRUE;
		}
		g_propagate_error(error, local);
		return FALSE;
	}
	/* A receiver that was down in the last pass gets another chance. */
	g_hash_table_foreach(s->hooks, clear_down, NULL);
	ok = recover(st, &p, error);
	while (ok) {
		guint want = limit > 0 ? MIN(WEBHOOK_CHUNK, limit - done) : WEBHOOK_CHUNK;
		g_autoptr(GPtrArray) due = store_webhook_due(st, util_now(), FALSE, want, error);

		if (due == NULL) {
			ok = FALSE;
			break;
		}
		if (due->len == 0)
			break;
		ok = send_chunk(st, &p, due, FALSE, error);
		done += due->len;
		if ((limit > 0 && done >= limit) || due->len < want)
			break;
	}
	close(lock);
	return ok;
}

gint64
webhook_retry(store_t *st, gint64 id, GError **error)
{
	return store_webhook_requeue(st, id, util_now(), error);
}

gboolean
webhook_send_test(webhook_sender_t *s, const config_webhook_t *wh, long *status,
		  char **delivery_id, GError **error)
{
	hook_t *h = hook_get(s, wh);
	g_autofree char *id = g_uuid_string_random();
	g_autoptr(GBytes) body = event_webhook_body(id, WEBHOOK_TEST_KIND, util_now(), NULL,
						    NULL, "a test event from postdesk webhook test");

	*status = 0;
	if (delivery_id != NULL)
		*delivery_id = g_strdup(id);
	return hook_ready(h, error) && hook_post(h, id, WEBHOOK_TEST_KIND, body, status, error);
}
