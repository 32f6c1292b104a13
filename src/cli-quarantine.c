/* SPDX-License-Identifier: MIT
 * cli-quarantine.c: postdesk quarantine list|show|release|drop — mail
 * that could not become a ticket, kept whole with the reason. */
#include "autodefs.h"
#include <stdio.h>
#include "cli.h"
#include "error.h"
#include "ingest.h"
#include "json.h"
#include "util.h"
#include "banned.h"

/* The one numeric argument of show, release and drop. */
static gboolean
quarantine_id(cli_t *cli, int *argc, char ***argv, const GOptionEntry *entries,
	      const char *summary, gint64 *id, GError **error)
{
	if (!cli_parse_options(cli, argc, argv, entries, "ID", summary, error))
		return FALSE;
	if (*argc != 2 || !util_parse_int((*argv)[1], 1, G_MAXINT64, id)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "usage: postdesk %s ID", cli->name);
		return FALSE;
	}
	return TRUE;
}

static gboolean
quarantine_list(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean all = FALSE, as_json = FALSE;
	g_autoptr(GPtrArray) rows = NULL;
	GOptionEntry entries[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all, "also released and dropped", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "JSON array", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "List quarantined mail (held, unless --all).", error))
		return FALSE;
	rows = store_quarantine_list(cli->st, all ? NULL : "held", error);
	if (rows == NULL)
		return FALSE;
	if (as_json) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		json_begin_array(j);
		for (guint i = 0; i < rows->len; i++) {
			store_quarantine_t *q = rows->pdata[i];

			json_begin_object(j);
			json_key(j, "id");
			json_int(j, q->id);
			json_key(j, "received");
			json_time(j, q->received);
			json_key(j, "state");
			json_string(j, q->state);
			json_key(j, "reason");
			json_string(j, q->reason);
			json_key(j, "sender");
			json_string(j, q->sender);
			json_key(j, "subject");
			json_string(j, q->subject);
			json_key(j, "size");
			json_int(j, q->size);
			json_end_object(j);
		}
		json_end_array(j);
		g_string_append_c(out, '\n');
		fputs(out->str, stdout);
		return TRUE;
	}
	for (guint i = 0; i < rows->len; i++) {
		store_quarantine_t *q = rows->pdata[i];
		g_autofree char *when = json_format_time(q->received);

		printf("%5" G_GINT64_FORMAT "  %s  %-8s %9" G_GINT64_FORMAT "  %s  %s\n", q->id,
		       when, q->state, q->size, q->sender ? q->sender : "-", q->reason);
	}
	return TRUE;
}

static gboolean
quarantine_show(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean raw = FALSE;
	gint64 id;
	g_autoptr(store_quarantine_t) q = NULL;
	GOptionEntry entries[] = {
		{ "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "print the stored bytes", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!quarantine_id(cli, &argc, &argv, entries,
			   "Show a quarantined message: why, from whom, and (--raw) its bytes.",
			   &id, error))
		return FALSE;
	q = store_quarantine_get(cli->st, id, error);
	if (q == NULL)
		return FALSE;
	if (raw) {
		g_autoptr(GBytes) b = store_raw_get(cli->st, q->raw_id, error);
		gsize len;
		const char *data;

		if (b == NULL)
			return FALSE;
		data = g_bytes_get_data(b, &len);
		return fwrite(data, 1, len, stdout) == len;
	}
	{
		g_autofree char *when = json_format_time(q->received);

		printf("Quarantine: %" G_GINT64_FORMAT "\nState:      %s\nReceived:   %s\n"
		       "Reason:     %s\nSender:     %s\nSubject:    %s\nRecipient:  %s\n"
		       "Source:     %s\nSize:       %" G_GINT64_FORMAT " bytes\n",
		       q->id, q->state, when, q->reason, q->sender ? q->sender : "-",
		       q->subject ? q->subject : "-", q->recipient ? q->recipient : "-",
		       q->source ? q->source : "-", q->size);
	}
	return TRUE;
}

static gboolean
quarantine_release(cli_t *cli, int argc, char **argv, GError **error)
{
	gint64 id;
	g_autoptr(ingest_t) ing = NULL;
	ingest_result_t res = { 0 };

	if (!quarantine_id(cli, &argc, &argv, NULL,
			   "Put a quarantined message through ingest again (after a fix).", &id,
			   error))
		return FALSE;
	ing = ingest_new(cli->cfg, cli->st, error);
	if (ing == NULL || !ingest_release(ing, id, &res, error)) {
		ingest_result_clear(&res);
		return FALSE;
	}
	printf("released %" G_GINT64_FORMAT ": ticket %" G_GINT64_FORMAT "\n", id, res.ticket);
	ingest_result_clear(&res);
	return TRUE;
}

static gboolean
quarantine_drop(cli_t *cli, int argc, char **argv, GError **error)
{
	gint64 id;
	g_autoptr(store_quarantine_t) q = NULL;

	if (!quarantine_id(cli, &argc, &argv, NULL,
			   "Mark a quarantined message dropped (its bytes stay for audit).",
			   &id, error))
		return FALSE;
	q = store_quarantine_get(cli->st, id, error);
	if (q == NULL)
		return FALSE;
	if (g_strcmp0(q->state, "held") != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "quarantined message %" G_GINT64_FORMAT " is %s, not held", id, q->state);
		return FALSE;
	}
	if (!store_quarantine_set_state(cli->st, id, "dropped", error))
		return FALSE;
	printf("dropped %" G_GINT64_FORMAT "\n", id);
	return TRUE;
}

static const cli_subcommand_t QUARANTINE_COMMANDS[] = {
	{ "list", quarantine_list, "list held mail [--all] [--json]" },
	{ "show", quarantine_show, "why a message is held [--raw] ID" },
	{ "release", quarantine_release, "take a message in after a fix ID" },
	{ "drop", quarantine_drop, "give up on a message ID" },
};

gboolean
cli_quarantine(cli_t *cli, int argc, char **argv, GError **error)
{
	return cli_dispatch(cli, QUARANTINE_COMMANDS, G_N_ELEMENTS(QUARANTINE_COMMANDS), argc,
			    argv, error);
}
