/* SPDX-License-Identifier: MIT
 * cli-report.c: postdesk report contributions --from DATE --to DATE
 * [--csv]: per member work, referrals and breaches from the events (the
 * counting is report.c's). */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "report.h"
#include "util.h"
#include "banned.h"

/* TEXT as a moment: an RFC 3339 time, or a day YYYY-MM-DD in UTC: its
 * start, or with END the start of the next day (so --to names the last
 * day included). FALSE when it is neither. */
static gboolean
parse_when(const char *text, gboolean end, gint64 *out)
{
	g_autofree char *full = NULL;

	if (strlen(text) == 10 && text[4] == '-' && text[7] == '-') {
		full = g_strdup_printf("%sT00:00:00Z", text);
		if (!util_parse_time(full, out))
			return FALSE;
		*out += end ? 86400 : 0;
		return TRUE;
	}
	return strlen(text) <= 64 && util_parse_time(text, out);
}

static gboolean
contributions(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *from_text = NULL, *to_text = NULL, *text = NULL;
	gboolean csv = FALSE;
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from_text,
		  "the first day (YYYY-MM-DD, UTC) or moment (RFC 3339)", "DATE" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &to_text,
		  "the last day included, or the moment the window ends", "DATE" },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "RFC 4180 CSV instead of a table", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GPtrArray) events = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GArray) in = g_array_new(FALSE, FALSE, sizeof(report_event_t));
	gint64 from, to;

	if (!cli_parse_options(cli, &argc, &argv, entries, "--from DATE --to DATE",
			       "Per member, from the events of the window: tickets taken, "
			       "replies relayed to customers, resolutions, the median first "
			       "response (wall-clock time from the ticket's creation to its "
			       "first reply, for the tickets the member answered first), "
			       "referrals made and received, and deadline breaches of the "
			       "tickets the member held. See postdesk(1).",
			       error))
		return FALSE;
	if (argc != 1 || from_text == NULL || to_text == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk report contributions --from DATE --to DATE [--csv]");
		return FALSE;
	}
	if (!parse_when(from_text, FALSE, &from) || !parse_when(to_text, TRUE, &to)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "'%s': not a day YYYY-MM-DD or an RFC 3339 time",
			    parse_when(from_text, FALSE, &from) ? to_text : from_text);
		return FALSE;
	}
	if (to <= from) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "--to %s is not after --from %s",
			    to_text, from_text);
		return FALSE;
	}
	if ((events = store_event_list_window(cli->st, from, to, error)) == NULL)
		return FALSE;
	for (guint i = 0; i < events->len; i++) {
		const store_event_t *e = events->pdata[i];
		report_event_t r = { e->ticket_id, e->at, e->kind, e->actor, e->detail };

		g_array_append_val(in, r);
	}
	rows = report_contributions(cli->cfg, (report_event_t *)(void *)in->data, in->len, from,
				    to);
	text = report_format(rows, csv);
	fputs(text, stdout);
	return TRUE;
}

static const cli_subcommand_t REPORT_COMMANDS[] = {
	{ "contributions", contributions, "per member work, referrals and breaches" },
};

gboolean
cli_report(cli_t *cli, int argc, char **argv, GError **error)
{
	return cli_dispatch(cli, REPORT_COMMANDS, G_N_ELEMENTS(REPORT_COMMANDS), argc, argv,
			    error);
}
