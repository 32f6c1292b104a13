/* SPDX-License-Identifier: MIT
 * cli-message.c: postdesk message raw ID — the stored bytes, identical to
 * what came in; and postdesk backup FILE. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "util.h"
#include "banned.h"

gboolean
cli_message(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autoptr(GBytes) raw = NULL;
	gint64 id;
	gsize len;
	const char *data;

	if (!cli_parse_options(cli, &argc, &argv, NULL, "raw ID",
			       "Print the stored bytes of message ID, identical to what came in.",
			       error))
		return FALSE;
	if (argc != 3 || strcmp(argv[1], "raw") != 0 ||
	    !util_parse_int(argv[2], 1, G_MAXINT64, &id)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "usage: postdesk message raw ID");
		return FALSE;
	}
	raw = store_message_raw(cli->st, id, error);
	if (raw == NULL)
		return FALSE;
	data = g_bytes_get_data(raw, &len);
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "writing standard output failed");
		return FALSE;
	}
	return TRUE;
}

gboolean
cli_backup(cli_t *cli, int argc, char **argv, GError **error)
{
	if (!cli_parse_options(cli, &argc, &argv, NULL, "FILE",
			       "Write a consistent copy of the database to FILE, also while "
			       "postdesk run is running (SQLite online backup).",
			       error))
		return FALSE;
	if (argc != 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "usage: postdesk backup FILE");
		return FALSE;
	}
	if (!store_backup(cli->st, argv[1], error))
		return FALSE;
	printf("backup written to %s\n", argv[1]);
	return TRUE;
}
