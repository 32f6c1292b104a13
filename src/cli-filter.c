/* SPDX-License-Identifier: MIT
 * cli-filter.c: postdesk filter test FILE.eml — which rules match a
 * message and what they do, without storing or sending anything. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "filter.h"
#include "ingest.h"
#include "mime-text.h"
#include "mime.h"
#include "util.h"
#include "banned.h"

static void
print_list(const char *what, GPtrArray *a)
{
	if (a->len == 0)
		return;
	printf("%-9s", what);
	for (guint i = 0; i < a->len; i++)
		printf("%s%s", i ? ", " : " ", (char *)a->pdata[i]);
	printf("\n");
}

static gboolean
filter_test(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *dir = NULL, *data = NULL;
	g_autoptr(filter_set_t) set = NULL;
	g_autoptr(mime_msg_t) msg = NULL;
	g_auto(mime_text_split_t) split = { 0 };
	g_auto(filter_outcome_t) out = { 0 };
	mime_limits_t lim;
	gsize len;

	if (!cli_parse_options(cli, &argc, &argv, NULL, "FILE.eml",
			       "Show which filter rules match the message in FILE.eml (- for "
			       "standard input) and the outcome. Nothing is stored or sent.",
			       error))
		return FALSE;
	if (argc != 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "usage: postdesk filter test FILE.eml");
		return FALSE;
	}
	if ((set = ingest_load_filters(cli->cfg, &dir, error)) == NULL)
		return FALSE;
	if (strcmp(argv[1], "-") == 0) {
		g_autoptr(GBytes) b = util_read_fd(0, cli->cfg->max_message_size, &len, error);

		if (b == NULL)
			return FALSE;
		data = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
		len = g_bytes_get_size(b);
	} else if (!g_file_get_contents(argv[1], &data, &len, error)) {
		g_prefix_error(error, "%s: ", argv[1]);
		(*error)->domain = PD_ERROR;
		(*error)->code = PD_ERROR_INPUT;
		return FALSE;
	}
	mime_limits_init(&lim);
	lim.max_message_size = cli->cfg->max_message_size;
	if ((msg = mime_parse(data, len, &lim, error)) == NULL) {
		g_prefix_error(error, "%s: ", argv[1]);
		return FALSE;
	}
	mime_text_split(msg->text, -1, &split);
	filter_outcome_init(&out);
	ingest_filter_message(set, msg, NULL, split.visible, &out);

	printf("rules:    %u from %s\n", filter_set_count(set), dir ? dir : "(no filters directory)");
	for (guint i = 0; i < filter_set_count(set); i++) {
		const char *text = filter_set_rule_text(set, i);

		for (guint k = 0; k < out.matched->len; k++) {
			const char *where = out.matched->pdata[k];

			if (g_str_has_prefix(text, where) && text[strlen(where)] == ':')
				printf("match:    %s\n", text);
		}
	}
	for (guint i = 0; i < out.errors->len; i++)
		printf("error:    %s\n", (char *)out.errors->pdata[i]);
	printf("outcome:  %s\n", out.drop ? "dropped (kept in quarantine, not answered)"
			       : out.spam ? "spam (kept in quarantine, not answered)"
			       : out.noack ? "a ticket, without an automatic answer"
					   : "a ticket");
	if (out.group)
		printf("group:    %s\n", out.group);
	if (out.priority)
		printf("priority: %s\n", out.priority);
	if (out.tier)
		printf("tier:     %" G_GINT64_FORMAT "\n", out.tier);
	if (out.assign)
		printf("assign:   %s\n", out.assign);
	print_list("tags:", out.tags);
	print_list("cc:", out.cc);
	return TRUE;
}

static const cli_subcommand_t FILTER_COMMANDS[] = {
	{ "test", filter_test, "which rules match a message: FILE.eml" },
};

gboolean
cli_filter(cli_t *cli, int argc, char **argv, GError **error)
{
	return cli_dispatch(cli, FILTER_COMMANDS, G_N_ELEMENTS(FILTER_COMMANDS), argc, argv,
			    error);
}
