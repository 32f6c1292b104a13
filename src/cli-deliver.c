/* SPDX-License-Identifier: MIT
 * cli-deliver.c: postdesk deliver — one message on stdin from an MTA.
 *
 * Exit codes are the MTA's (see DESIGN.md): 0 once the message is stored
 * (a quarantined message is stored), 65 only for input over the absolute
 * size cap, 75 for everything else so the MTA keeps the mail and retries.
 * cli.c does that mapping (CLI_MTA); the last log line says why. */
#include "autodefs.h"
#include <unistd.h>
#include "cli.h"
#include "error.h"
#include "ingest.h"
#include "log.h"
#include "util.h"
#include "banned.h"

gboolean
cli_deliver(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *recipient = NULL;
	g_autofree char *account = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(ingest_t) ing = NULL;
	ingest_result_t res = { 0 };
	ingest_opts_t opts = { .source = "deliver" };
	const config_imap_t *acct = NULL;
	const char *data;
	gsize len, total = 0;
	GOptionEntry entries[] = {
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING, &recipient,
		  "envelope recipient (the MTA's ${recipient})", "ADDR" },
		{ "account", 'a', 0, G_OPTION_ARG_STRING, &account,
		  "the [imap:NAME] account (its group) the mail belongs to", "NAME" },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Take one RFC 5322 message on standard input, as an MTA "
			       "pipe does.\nExit 0: stored (or quarantined); 65: over the "
			       "absolute size cap; 75: try again later.",
			       error))
		return FALSE;
	if (argc > 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "deliver reads the message on standard input and takes no "
			    "arguments");
		return FALSE;
	}
	if (!cli_need(cli, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE, error))
		return FALSE;
	if (account != NULL) {
		acct = config_imap(cli->cfg, account);
		if (acct == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "no [imap:%s] account",
				    account);
			return FALSE;
		}
		opts.group = acct->group;
	}
	opts.recipient = recipient;
	input = util_read_fd(STDIN_FILENO, cli->cfg->max_quarantine_size, &total, error);
	if (input == NULL)
		return FALSE;
	ing = ingest_new(cli->cfg, cli->st, error);
	if (ing == NULL)
		return FALSE;
	data = g_bytes_get_data(input, &len);
	if (!ingest_one(ing, data != NULL ? data : "", len, &opts, &res, error))
		return FALSE;
	switch (res.outcome) {
	case INGEST_NEW:
		log_info("ticket %" G_GINT64_FORMAT ": new, message <%s>", res.ticket,
			 res.message_id);
		break;
	case INGEST_FOLLOWUP:
		log_info("ticket %" G_GINT64_FORMAT ": follow-up, message <%s>", res.ticket,
			 res.message_id);
		break;
	case INGEST_DUPLICATE:
		log_info("duplicate of a stored message <%s>: nothing to do",
			 res.message_id ? res.message_id : "?");
		break;
	case INGEST_QUARANTINED:
		/* Logged by ingest with the reason. */
		break;
	}
	ingest_result_clear(&res);
	return TRUE;
}
