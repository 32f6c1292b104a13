/* SPDX-License-Identifier: MIT
 * cli-queue.c: postdesk queue [--flush] [--retry ID|all] [--all] [--json]
 * — show the outbound queue, send what is due now, or make failed mail
 * due again. The listing and --flush cover webhook deliveries too, and
 * postdesk webhook list|retry (cli-webhook.c) list and requeue them
 * through the functions here. */
#include "autodefs.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "json.h"
#include "notice.h"
#include "outbound.h"
#include "util.h"
#include "webhook-send.h"
#include "banned.h"

/* The members that open a mail's and a delivery's object. */
static void
json_head(json_t *j, gint64 id, gint64 ticket)
{
	json_begin_object(j);
	json_key(j, "id");
	json_int(j, id);
	json_key(j, "ticket");
	if (ticket)
		json_int(j, ticket);
	else
		json_null(j);
}

/* The members of an item's attempts, the same for mail and deliveries. */
static void
json_attempts(json_t *j, const char *state, gint64 attempts, gint64 created,
	      gint64 next_attempt, gint64 sent)
{
	json_key(j, "state");
	json_string(j, state);
	json_key(j, "attempts");
	json_int(j, attempts);
	json_key(j, "created");
	json_time(j, created);
	json_key(j, "next_attempt");
	json_time(j, g_strcmp0(state, "queued") == 0 ? next_attempt : 0);
	json_key(j, "sent");
	json_time(j, sent);
}

static void
mail_json(json_t *j, const store_outbound_t *o)
{
	g_auto(GStrv) rcpts = g_strsplit(o->rcpt, "\n", -1);
	g_autofree char *mid = g_strdup_printf("<%s>", o->message_id);

	json_head(j, o->id, o->ticket_id);
	json_key(j, "message_id");
	json_string(j, mid);
	json_key(j, "template");
	json_string(j, o->template_name);
	json_key(j, "rcpt");
	json_begin_array(j);
	for (char **r = rcpts; *r != NULL; r++)
		json_string(j, *r);
	json_end_array(j);
	json_attempts(j, o->state, o->attempts, o->created, o->next_attempt, o->sent_at);
	json_key(j, "last_error");
	json_string(j, o->last_error);
	json_end_object(j);
}

static void
mail_text(const store_outbound_t *o)
{
	g_autofree char *rcpt = g_strdelimit(g_strdup(o->rcpt), "\n", ',');

	printf("%6" G_GINT64_FORMAT "  %-7s  ticket %-6" G_GINT64_FORMAT " %-14s %s  "
	       "attempts %" G_GINT64_FORMAT "%s%s\n",
	       o->id, o->state, o->ticket_id, o->template_name ? o->template_name : "-", rcpt,
	       o->attempts, o->last_error ? "  last error: " : "",
	       o->last_error ? o->last_error : "");
}

static void
delivery_json(json_t *j, const store_webhook_t *w)
{
	json_head(j, w->id, w->ticket_id);
	json_key(j, "webhook");
	json_string(j, w->webhook);
	json_key(j, "delivery_id");
	json_string(j, w->delivery_id);
	json_key(j, "event");
	json_string(j, w->kind);
	json_attempts(j, w->state, w->attempts, w->created, w->next_attempt, w->sent_at);
	json_key(j, "status");
	if (w->status)
		json_int(j, w->status);
	else
		json_null(j);
	json_key(j, "last_error");
	json_string(j, w->last_error);
	json_end_object(j);
}

static void
delivery_text(const store_webhook_t *w)
{
	printf("%6" G_GINT64_FORMAT "  %-7s  ticket %-6" G_GINT64_FORMAT " webhook %-12s %-10s "
	       "attempts %" G_GINT64_FORMAT "%s%s\n",
	       w->id, w->state, w->ticket_id, w->webhook, w->kind, w->attempts,
	       w->last_error ? "  last error: " : "", w->last_error ? w->last_error : "");
}

/* How one kind of queue is read and shown. */
typedef struct {
	GPtrArray *(*list)(store_t *st, const char *state, GError **error);
	gsize state_offset;   /* of the char *state in a row */
	void (*json)(json_t *j, gconstpointer row);
	void (*text)(gconstpointer row);
	gint64 (*retry)(store_t *st, gint64 id, GError **error);
	const char *what;       /* "mail", "webhook delivery" */
	const char *one, *many; /* counted: "mail", "mails" */
} queue_kind_t;

static const queue_kind_t MAIL = {
	store_outbound_list, offsetof(store_outbound_t, state),
	(void (*)(json_t *, gconstpointer))mail_json, (void (*)(gconstpointer))mail_text,
	outbound_retry, "mail", "mail", "mails",
};

static const queue_kind_t DELIVERIES = {
	store_webhook_list, offsetof(store_webhook_t, state),
	(void (*)(json_t *, gconstpointer))delivery_json, (void (*)(gconstpointer))delivery_text,
	webhook_retry, "webhook delivery", "delivery", "deliveries",
};

gboolean
cli_queue_list(cli_t *cli, gboolean webhooks, gboolean all, gboolean as_json, GError **error)
{
	const queue_kind_t *k = webhooks ? &DELIVERIES : &MAIL;
	g_autoptr(GPtrArray) rows = k->list(cli->st, NULL, error);

	if (rows == NULL)
		return FALSE;
	for (guint i = rows->len; !all && i > 0; i--)
		if (g_strcmp0(*(char **)((char *)rows->pdata[i - 1] + k->state_offset), "sent") == 0)
			g_ptr_array_remove_index(rows, i - 1);
	if (as_json) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		json_begin_array(j);
		for (guint i = 0; i < rows->len; i++)
			k->json(j, rows->pdata[i]);
		json_end_array(j);
		g_string_append_c(out, '\n');
		fputs(out->str, stdout);
		return TRUE;
	}
	for (guint i = 0; i < rows->len; i++)
		k->text(rows->pdata[i]);
	return TRUE;
}

gboolean
cli_queue_retry(cli_t *cli, const char *arg, gboolean webhooks, GError **error)
{
	const queue_kind_t *k = webhooks ? &DELIVERIES : &MAIL;
	gint64 id = 0, n;

	if (strcmp(arg, "all") != 0 && !util_parse_int(arg, 1, G_MAXINT64, &id)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "retry takes a %s id or \"all\"",
			    k->what);
		return FALSE;
	}
	n = k->retry(cli->st, id, error);
	if (n < 0)
		return FALSE;
	if (id != 0 && n == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND, "no failed %s %" G_GINT64_FORMAT,
			    k->what, id);
		return FALSE;
	}
	printf("requeued %" G_GINT64_FORMAT " %s\n", n, n == 1 ? k->one : k->many);
	return TRUE;
}

/* Acks a run kept and had not written when it stopped (notice_defer)
 * go into the queue first. */
static gboolean
write_kept_acks(cli_t *cli, GError **error)
{
	g_autoptr(GBytes) secret = NULL;
	g_autoptr(notice_t) n = NULL;
	gint64 kept = store_notice_count(cli->st, error);

	if (kept <= 0)
		return kept == 0;
	return (secret = util_read_secret(cli->cfg->secret_file, error)) != NULL &&
	       (n = notice_new(cli->cfg, cli->st, secret, error)) != NULL &&
	       notice_write_all(n, error);
}

gboolean
cli_queue(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean flush = FALSE, all = FALSE, as_json = FALSE;
	g_autofree char *retry = NULL;
	GOptionEntry entries[] = {
		{ "flush", 'f', 0, G_OPTION_ARG_NONE, &flush, "send what is due now", NULL },
		{ "retry", 'r', 0, G_OPTION_ARG_STRING, &retry,
		  "make failed mail ID (or all) due again now", "ID|all" },
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all, "also show sent mail", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "JSON array", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Show the outbound queue (queued, sending and failed mail, then "
			       "webhook deliveries), send it now (webhook deliveries too), or "
			       "retry failed mail.",
			       error))
		return FALSE;
	if (argc != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "queue takes no arguments");
		return FALSE;
	}
	if (retry != NULL && !cli_queue_retry(cli, retry, FALSE, error))
		return FALSE;
	if (flush) {
		outbound_stats_t stats;
		webhook_stats_t hooks;
		g_autoptr(webhook_sender_t) s = webhook_sender_new(cli->cfg);

		if (!write_kept_acks(cli, error) || !outbound_flush(cli->st, cli->cfg, 0, &stats, error))
			return FALSE;
		printf("sent %u, deferred %u, failed %u\n", stats.sent, stats.retried,
		       stats.failed);
		if (!webhook_flush(s, cli->st, 0, &hooks, error))
			return FALSE;
		if (cli->cfg->webhooks->len > 0 || hooks.sent + hooks.retried + hooks.failed > 0)
			printf("webhooks: sent %u, deferred %u, failed %u\n", hooks.sent,
			       hooks.retried, hooks.failed);
		return TRUE;
	}
	if (retry != NULL)
		return TRUE;
	/* JSON stays an array of mail, as doc/json.md says; the deliveries
	 * are postdesk webhook list --json's. */
	return cli_queue_list(cli, FALSE, all, as_json, error) &&
	       (as_json || cli_queue_list(cli, TRUE, all, FALSE, error));
}
