/* SPDX-License-Identifier: MIT
 * cli-webhook.c: postdesk webhook test|list|retry — send a signed test
 * event, show the deliveries, make failed ones due again. Sending the
 * queue is postdesk run's and postdesk queue --flush's. */
#include "autodefs.h"
#include <stdio.h>
#include "cli.h"
#include "error.h"
#include "webhook-send.h"
#include "banned.h"

static gboolean
webhook_list(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean all = FALSE, as_json = FALSE;
	GOptionEntry entries[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all, "also show sent deliveries", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "JSON array", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Show the webhook deliveries that are queued, being sent or "
			       "failed (with --all also those sent).",
			       error))
		return FALSE;
	if (argc != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "webhook list takes no arguments");
		return FALSE;
	}
	return cli_need(cli, CLI_NEEDS_STORE, error) &&
	       cli_queue_list(cli, TRUE, all, as_json, error);
}

static gboolean
webhook_retry_cmd(cli_t *cli, int argc, char **argv, GError **error)
{
	if (!cli_parse_options(cli, &argc, &argv, NULL, "ID|all",
			       "Make failed delivery ID (or all failed deliveries) due again "
			       "now; postdesk run or postdesk queue --flush sends them.",
			       error))
		return FALSE;
	if (argc != 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk webhook retry ID|all");
		return FALSE;
	}
	return cli_need(cli, CLI_NEEDS_STORE, error) && cli_queue_retry(cli, argv[1], TRUE, error);
}

static gboolean
webhook_test(cli_t *cli, int argc, char **argv, GError **error)
{
	const config_webhook_t *wh;
	g_autoptr(webhook_sender_t) s = NULL;
	g_autofree char *id = NULL;
	long status = 0;
	gboolean ok;

	if (!cli_parse_options(cli, &argc, &argv, NULL, "NAME",
			       "Send [webhook:NAME] a signed event of kind \"test\" now and "
			       "print the receiver's HTTP status.",
			       error))
		return FALSE;
	if (argc != 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "usage: postdesk webhook test NAME");
		return FALSE;
	}
	wh = config_webhook(cli->cfg, argv[1]);
	if (wh == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
			    "%s: no [webhook:%s] section", cli->cfg->path, argv[1]);
		return FALSE;
	}
	s = webhook_sender_new(cli->cfg);
	ok = webhook_send_test(s, wh, &status, &id, error);
	if (status > 0)
		printf("webhook %s: HTTP %ld (delivery %s)\n", wh->name, status, id);
	return ok;
}

static const cli_subcommand_t WEBHOOK_COMMANDS[] = {
	{ "test", webhook_test, "send a signed test event NAME" },
	{ "list", webhook_list, "deliveries [--all] [--json]" },
	{ "retry", webhook_retry_cmd, "make failed deliveries due ID|all" },
};

gboolean
cli_webhook(cli_t *cli, int argc, char **argv, GError **error)
{
	return cli_dispatch(cli, WEBHOOK_COMMANDS, G_N_ELEMENTS(WEBHOOK_COMMANDS), argc, argv,
			    error);
}
