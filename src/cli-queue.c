/* SPDX-License-Identifier: MIT
 * cli-queue.c: postdesk queue [--flush] [--retry ID|all] [--all] [--json]
 * — show the outbound queue, send what is due now, or make failed mail
 * due again. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "json.h"
#include "outbound.h"
#include "util.h"
#include "banned.h"

static void
queue_print(GPtrArray *rows, gboolean as_json)
{
	if (as_json) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		json_begin_array(j);
		for (guint i = 0; i < rows->len; i++) {
			store_outbound_t *o = rows->pdata[i];
			g_auto(GStrv) rcpts = g_strsplit(o->rcpt, "\n", -1);

			json_begin_object(j);
			json_key(j, "id");
			json_int(j, o->id);
			json_key(j, "ticket");
			if (o->ticket_id)
				json_int(j, o->ticket_id);
			else
				json_null(j);
			g_autofree char *mid = g_strdup_printf("<%s>", o->message_id);

			json_key(j, "message_id");
			json_string(j, mid);
			json_key(j, "template");
			json_string(j, o->template_name);
			json_key(j, "rcpt");
			json_begin_array(j);
			for (char **r = rcpts; *r != NULL; r++)
				json_string(j, *r);
			json_end_array(j);
			json_key(j, "state");
			json_string(j, o->state);
			json_key(j, "attempts");
			json_int(j, o->attempts);
			json_key(j, "created");
			json_time(j, o->created);
			json_key(j, "next_attempt");
			json_time(j, g_strcmp0(o->state, "queued") == 0 ? o->next_attempt : 0);
			json_key(j, "sent");
			json_time(j, o->sent_at);
			json_key(j, "last_error");
			json_string(j, o->last_error);
			json_end_object(j);
		}
		json_end_array(j);
		g_string_append_c(out, '\n');
		fputs(out->str, stdout);
		return;
	}
	for (guint i = 0; i < rows->len; i++) {
		store_outbound_t *o = rows->pdata[i];
		g_autofree char *rcpt = g_strdelimit(g_strdup(o->rcpt), "\n", ',');

		printf("%6" G_GINT64_FORMAT "  %-7s  ticket %-6" G_GINT64_FORMAT " %-14s %s  "
		       "attempts %" G_GINT64_FORMAT "%s%s\n",
		       o->id, o->state, o->ticket_id, o->template_name ? o->template_name : "-",
		       rcpt, o->attempts, o->last_error ? "  last error: " : "",
		       o->last_error ? o->last_error : "");
	}
}

gboolean
cli_queue(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean flush = FALSE, all = FALSE, as_json = FALSE;
	g_autofree char *retry = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	GOptionEntry entries[] = {
		{ "flush", 'f', 0, G_OPTION_ARG_NONE, &flush, "send what is due now", NULL },
		{ "retry", 'r', 0, G_OPTION_ARG_STRING, &retry,
		  "make failed mail ID (or all) due again now", "ID|all" },
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all, "also show sent mail", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "JSON array", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Show the outbound queue (queued, sending and failed mail), "
			       "send it now, or retry failed mail.",
			       error))
		return FALSE;
	if (argc != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "queue takes no arguments");
		return FALSE;
	}
	if (retry != NULL) {
		gint64 id = 0, n;

		if (strcmp(retry, "all") != 0 && !util_parse_int(retry, 1, G_MAXINT64, &id)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "--retry takes a mail id or \"all\"");
			return FALSE;
		}
		n = outbound_retry(cli->st, id, error);
		if (n < 0)
			return FALSE;
		if (id != 0 && n == 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
				    "no failed mail %" G_GINT64_FORMAT, id);
			return FALSE;
		}
		printf("requeued %" G_GINT64_FORMAT " mail%s\n", n, n == 1 ? "" : "s");
	}
	if (flush) {
		outbound_stats_t stats;

		if (!outbound_flush(cli->st, cli->cfg, 0, &stats, error))
			return FALSE;
		printf("sent %u, deferred %u, failed %u\n", stats.sent, stats.retried,
		       stats.failed);
		return TRUE;
	}
	if (retry != NULL)
		return TRUE;
	rows = store_outbound_list(cli->st, NULL, error);
	if (rows == NULL)
		return FALSE;
	if (!all)
		for (guint i = rows->len; i > 0; i--)
			if (g_strcmp0(((store_outbound_t *)rows->pdata[i - 1])->state, "sent") == 0)
				g_ptr_array_remove_index(rows, i - 1);
	queue_print(rows, as_json);
	return TRUE;
}
