/* SPDX-License-Identifier: MIT
 * cli.c: postdesk's entry point: global options, the command table, the
 * setup each command needs, and the one place where errors become exit
 * statuses (sysexits(3)). */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include "cli.h"
#include "error.h"
#include "log.h"
#include "banned.h"

/* --help must answer without a config or database, so the setup a command
 * needs is skipped when it is asked for. */
static gboolean
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "-?") == 0 || g_str_has_prefix(argv[i], "--help-"))
			return TRUE;
	return FALSE;
}

static const struct {
	const char *name;
	cli_fn_t fn;
	int needs;
	const char *summary;
} COMMANDS[] = {
	{ "init", cli_init, CLI_NEEDS_CONFIG, "create or migrate the database and spool" },
	{ "check", cli_check, 0, "validate the config and the templates" },
	{ "deliver", cli_deliver, CLI_MTA, "take one message on stdin (MTA pipe)" },
	{ "import", cli_import, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "import Maildir folders, mbox files and .eml files" },
	{ "ticket", cli_ticket, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE, "list, show and search tickets" },
	{ "message", cli_message, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "the stored bytes of a message" },
	{ "quarantine", cli_quarantine, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "list, show, release or drop quarantined mail" },
	{ "backup", cli_backup, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "consistent copy of the database (while run runs)" },
	{ "run", NULL, CLI_NET | CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "daemon: IMAP accounts and the outbound queue" },
	{ "status", cli_status, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "accounts, last UIDs, errors, queue depth" },
	{ "queue", NULL, CLI_NET | CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "show, flush or retry the outbound queue" },
	{ "webhook", NULL, CLI_NET | CLI_NEEDS_CONFIG,
	  "test a webhook, list and retry its deliveries" },
	{ "digest", cli_digest, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "send (or print) the member, group and moderator digests now" },
	{ "filter", cli_filter, CLI_NEEDS_CONFIG, "which filter rules match a message" },
	{ "report", cli_report, CLI_NEEDS_CONFIG | CLI_NEEDS_STORE,
	  "per member contributions: work, referrals, breaches" },
};

static void
cli_usage(FILE *out)
{
	fprintf(out,
		"Usage: postdesk [-c FILE] [--debug=AREAS] COMMAND [ARGS...]\n"
		"\n"
		"An email-driven support gateway: mail becomes tickets.\n"
		"\n"
		"Options:\n"
		"  -c, --config=FILE   config file (else $POSTDESK_CONF, ./postdesk.conf,\n"
		"                      " SYSCONFDIR "/postdesk.conf)\n"
		"  --debug=AREAS       debug log for areas (all, imap, ingest, notice, outbound,\n"
		"                      webhook)\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version\n"
		"\n"
		"Commands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
		fprintf(out, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
	fprintf(out, "\n'postdesk COMMAND --help' describes a command; see postdesk(1).\n");
}

gboolean
cli_parse_options(cli_t *cli, int *argc, char ***argv, const GOptionEntry *entries,
		  const char *args, const char *summary, GError **error)
{
	g_autofree char *param = g_strdup_printf("%s%s%s", cli->name, args ? " " : "",
						 args ? args : "");
	g_autoptr(GOptionContext) ctx = g_option_context_new(param);
	g_autofree char *prgname = g_strdup_printf("%s %s", cli->prog, cli->name);

	g_set_prgname(prgname);
	g_option_context_set_summary(ctx, summary);
	if (entries != NULL)
		g_option_context_add_main_entries(ctx, entries, NULL);
	/* Our argv[0] is the command name: GOption skips argv[0]. */
	if (!g_option_context_parse(ctx, argc, argv, error)) {
		pd_error_reclass(error, PD_ERROR_USAGE, NULL);
		g_prefix_error(error, "%s %s: ", cli->prog, cli->name);
		return FALSE;
	}
	return TRUE;
}

gboolean
cli_need(cli_t *cli, cli_needs_t needs, GError **error)
{
	if ((needs & (CLI_NEEDS_CONFIG | CLI_NEEDS_STORE)) && cli->cfg == NULL) {
		g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

		cli->cfg = config_load(cli->config_path, warnings, error);
		for (guint i = 0; i < warnings->len; i++)
			log_warn("%s", (char *)warnings->pdata[i]);
		if (cli->cfg == NULL)
			return FALSE;
		if (g_strcmp0(cli->cfg->log, "syslog") == 0)
			log_init("postdesk", TRUE);
	}
	if ((needs & CLI_NEEDS_STORE) && cli->st == NULL) {
		cli->st = store_open(cli->cfg->database, FALSE, error);
		if (cli->st == NULL || !store_check_current(cli->st, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
cli_dispatch(cli_t *cli, const cli_subcommand_t *table, gsize n, int argc, char **argv,
	     GError **error)
{
	g_autoptr(GString) help = g_string_new("Commands:\n");

	for (gsize i = 0; i < n; i++)
		g_string_append_printf(help, "  %-8s %s\n", table[i].name, table[i].summary);
	if (argc >= 2 && argv[1][0] != '-') {
		for (gsize i = 0; i < n; i++) {
			if (strcmp(argv[1], table[i].name) != 0)
				continue;
			g_free(cli->name_buf);
			cli->name_buf = g_strdup_printf("%s %s", cli->name, argv[1]);
			cli->name = cli->name_buf;
			return table[i].fn(cli, argc - 1, argv + 1, error);
		}
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "unknown %s command '%s'\n%s",
			    cli->name, argv[1], help->str);
		return FALSE;
	}
	if (!cli_parse_options(cli, &argc, &argv, NULL, "COMMAND [ARGS...]", help->str, error))
		return FALSE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s needs a command\n%s", cli->name,
		    help->str);
	return FALSE;
}

/* The exit status for ERROR. An MTA bounces on anything but 75, so for
 * deliver every failure is temporary except mail over the absolute cap. */
static int
cli_exit_status(const GError *error, gboolean mta)
{
	if (error == NULL)
		return EX_OK;
	if (!mta)
		return pd_error_exit_status(error);
	if (error->domain == PD_ERROR && error->code == PD_ERROR_TOO_LARGE)
		return EX_DATAERR;
	/* Even a usage error: a typo in the MTA's pipe line must defer mail,
	 * not bounce it. */
	return EX_TEMPFAIL;
}

/* Run ARGV again as postdesk-net: beside this binary (a build tree, or a
 * package that keeps both in one directory), else in PKGLIBEXECDIR. */
static int
cli_exec_net(char **argv)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
	g_autofree char *beside = dir ? g_build_filename(dir, "postdesk-net", NULL) : NULL;
	const char *net = beside && g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE)
				  ? beside
				  : PKGLIBEXECDIR "/postdesk-net";

	execv(net, argv);
	log_error_errno("cannot run %s", net);
	return EX_UNAVAILABLE;
}

int
cli_main(int argc, char **argv, const cli_net_command_t *net)
{
	cli_t cli = { .prog = "postdesk" };
	g_autoptr(GError) error = NULL;
	const char *config_opt = NULL;
	int i, status;
	gsize c;
	gboolean ok;
	cli_fn_t fn;

	log_init("postdesk", FALSE);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli_usage(stdout);
			return EX_OK;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("postdesk %s\n", PACKAGE_VERSION);
			return EX_OK;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "postdesk: %s needs a file\n", a);
				cli_usage(stderr);
				return EX_USAGE;
			}
			config_opt = argv[++i];
		} else if (g_str_has_prefix(a, "--config=")) {
			config_opt = a + strlen("--config=");
		} else if (strcmp(a, "--debug") == 0) {
			log_set_debug("all");
		} else if (g_str_has_prefix(a, "--debug=")) {
			log_set_debug(a + strlen("--debug="));
		} else {
			fprintf(stderr, "postdesk: unknown option %s\n", a);
			cli_usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	for (c = 0; c < G_N_ELEMENTS(COMMANDS); c++)
		if (strcmp(COMMANDS[c].name, argv[i]) == 0)
			break;
	if (c == G_N_ELEMENTS(COMMANDS)) {
		fprintf(stderr, "postdesk: unknown command '%s'\n\n", argv[i]);
		cli_usage(stderr);
		return EX_USAGE;
	}
	cli.name = COMMANDS[c].name;
	fn = COMMANDS[c].fn;
	if (COMMANDS[c].needs & CLI_NET) {
		if (net == NULL)
			return cli_exec_net(argv);
		for (; net->name != NULL && strcmp(net->name, cli.name) != 0; net++)
			;
		g_assert(net->fn != NULL);
		fn = net->fn;
	}
	cli.config_path = config_find(config_opt);
	ok = (cli_wants_help(argc - i, argv + i) || cli_need(&cli, COMMANDS[c].needs, &error)) &&
	     fn(&cli, argc - i, argv + i, &error);
	status = ok ? EX_OK : cli_exit_status(error, COMMANDS[c].needs & CLI_MTA);
	if (!ok && error != NULL) {
		g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);

		for (char **l = lines; *l != NULL; l++)
			log_error("%s", *l);
		if (error->domain == PD_ERROR && error->code == PD_ERROR_USAGE)
			fprintf(stderr, "Try 'postdesk %s --help'.\n", cli.name);
	}
	store_close(cli.st);
	config_free(cli.cfg);
	g_free(cli.config_path);
	g_free(cli.name_buf);
	return status;
}
