/* SPDX-License-Identifier: MIT
 * cli-init.c: postdesk init — create or migrate the database, the spool
 * Maildir and the reply-token secret. Idempotent: a second run changes
 * nothing and says the schema is current. */
#include "autodefs.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "cli.h"
#include "error.h"
#include "util.h"
#include "banned.h"

static gboolean
make_dir(const char *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0750) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* A new random secret, mode 0600, unless one exists. */
static gboolean
make_secret(const char *path, gboolean *made, GError **error)
{
	guint8 key[32];
	g_autofree char *hex = NULL;
	g_autofree char *dir = g_path_get_dirname(path);

	*made = FALSE;
	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	if (!make_dir(dir, error))
		return FALSE;
	if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "no random bytes for the secret: %s", g_strerror(errno));
		return FALSE;
	}
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, key, sizeof key);
	if (!util_write_file_atomic(path, hex, strlen(hex), 0600, error))
		return FALSE;
	*made = TRUE;
	return TRUE;
}

gboolean
cli_init(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autoptr(store_t) st = NULL;
	g_autofree char *outbox = NULL;
	const char *sub[] = { "tmp", "new", "cur" };
	gboolean made;
	int from, to;

	if (!cli_parse_options(cli, &argc, &argv, NULL, NULL,
			       "Create or migrate the database, the spool and the secret.",
			       error))
		return FALSE;
	if (argc > 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "init takes no arguments");
		return FALSE;
	}
	outbox = g_build_filename(cli->cfg->spool, "outbox", NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(sub); i++) {
		g_autofree char *d = g_build_filename(outbox, sub[i], NULL);

		if (!make_dir(d, error))
			return FALSE;
	}
	if (!make_secret(cli->cfg->secret_file, &made, error))
		return FALSE;
	if (made)
		printf("secret %s: created\n", cli->cfg->secret_file);
	st = store_open(cli->cfg->database, TRUE, error);
	if (st == NULL || !store_migrate(st, &from, &to, error))
		return FALSE;
	if (from == to)
		printf("database %s: schema is current (version %d)\n", cli->cfg->database, to);
	else if (from == 0)
		printf("database %s: created (schema version %d)\n", cli->cfg->database, to);
	else
		printf("database %s: migrated from schema version %d to %d\n",
		       cli->cfg->database, from, to);
	printf("spool %s: ready\n", outbox);
	return TRUE;
}
