/* SPDX-License-Identifier: MIT
 * cli.h: the command table and what every cli-<cmd>.c gets. Only cli.c
 * turns an error into an exit status. */
#ifndef POSTDESK_CLI_H
#define POSTDESK_CLI_H
#include <glib.h>
#include "config.h"
#include "store.h"

typedef enum {
	CLI_NEEDS_CONFIG = 1 << 0, /* load and validate the config first */
	CLI_NEEDS_STORE = 1 << 1,  /* open the database (schema current) */
	CLI_MTA = 1 << 2,          /* exit codes for an MTA: 75 unless too large */
	CLI_NET = 1 << 3,          /* talks to servers: runs in postdesk-net */
} cli_needs_t;

/* What a command runs with; cli.c sets it up and tears it down. */
typedef struct {
	const char *prog;       /* "postdesk" */
	const char *name;       /* the command, e.g. "ticket" or "ticket show" */
	char *name_buf;         /* owns a two-word name */
	char *config_path;      /* resolved config file */
	config_t *cfg;          /* with CLI_NEEDS_CONFIG */
	store_t *st;            /* with CLI_NEEDS_STORE */
} cli_t;

typedef gboolean (*cli_fn_t)(cli_t *cli, int argc, char **argv, GError **error);

/* Parse ARGV (argv[0] is the command name) with ENTRIES; --help prints
 * and exits 0, an unknown option is PD_ERROR_USAGE. ARGS describes the
 * positional arguments for the usage line, SUMMARY the command. */
gboolean cli_parse_options(cli_t *cli, int *argc, char ***argv,
			   const GOptionEntry *entries, const char *args,
			   const char *summary, GError **error);
/* Load the config and open the store if the command did not ask for them
 * in its table entry (for commands whose subcommands differ). */
gboolean cli_need(cli_t *cli, cli_needs_t needs, GError **error);

/* Two-word commands (ticket show): a table per command, as git's and
 * smtpctl's. */
typedef struct {
	const char *name;
	cli_fn_t fn;
	const char *summary;
} cli_subcommand_t;
/* Run the subcommand named by argv[1] from TABLE (N entries); --help or no
 * subcommand lists them. */
gboolean cli_dispatch(cli_t *cli, const cli_subcommand_t *table, gsize n, int argc,
		      char **argv, GError **error);

/* The commands that talk to servers (SMTP, IMAP, HTTP) and so link
 * libcurl and libetpan. They live in postdesk-net, which postdesk execs
 * for them: the mail path (deliver, import) stays free of those libraries
 * and starts several times faster. */
typedef struct {
	const char *name;
	cli_fn_t fn;
} cli_net_command_t;

/* NET is the table of server commands in postdesk-net, NULL in postdesk. */
int cli_main(int argc, char **argv, const cli_net_command_t *net);

gboolean cli_init(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_check(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_deliver(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_import(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_ticket(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_filter(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_digest(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_report(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_ticket_assign(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_ticket_resolve(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_ticket_note(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_ticket_create(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_message(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_quarantine(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_run(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_status(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_queue(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_backup(cli_t *cli, int argc, char **argv, GError **error);
gboolean cli_webhook(cli_t *cli, int argc, char **argv, GError **error);

/* What postdesk queue and postdesk webhook share (cli-queue.c), for the
 * outbound mail or (WEBHOOKS) the webhook deliveries: list them, sent
 * ones only with ALL, a line each or (AS_JSON) a JSON array on stdout;
 * and make failed ID (ARG, or "all") due again, saying how many. */
gboolean cli_queue_list(cli_t *cli, gboolean webhooks, gboolean all, gboolean as_json,
			GError **error);
gboolean cli_queue_retry(cli_t *cli, const char *arg, gboolean webhooks, GError **error);
#endif
