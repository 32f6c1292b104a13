/* SPDX-License-Identifier: MIT
 * cli-check.c: postdesk check — validate the config (and what it points
 * at: the secret files, the templates) and print every problem as
 * FILE:LINE: message. Exit 78 when any. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "ingest.h"
#include "error.h"
#include "notice.h"
#include "template.h"
#include "util.h"
#include "banned.h"

/* Every template the gateway would use: the override directory and the
 * installed ones, each problem as FILE:LINE. */
static void
check_templates(const config_t *cfg, GPtrArray *problems)
{
	g_autofree char *over = notice_template_dir(cfg);
	g_autofree char *inst = notice_installed_dir("templates");
	g_autoptr(GError) err = NULL;
	g_autoptr(template_set_t) set = NULL;

	/* Not installed (a build tree): the override must have them all. */
	if (over != NULL && !g_file_test(inst, G_FILE_TEST_IS_DIR))
		g_clear_pointer(&inst, g_free);
	set = template_set_load(over, inst, &err);

	if (set == NULL) {
		g_auto(GStrv) lines = g_strsplit(err->message, "\n", -1);

		for (char **l = lines; *l != NULL; l++)
			g_ptr_array_add(problems, g_strdup(*l));
		return;
	}
	template_set_check(set, problems);
}

/* Compile every filter rule and check its group= and assign=. */
static void
check_filters(const config_t *cfg, GPtrArray *problems)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(filter_set_t) set = ingest_load_filters(cfg, NULL, &err);

	if (set == NULL) {
		g_auto(GStrv) lines = g_strsplit(err->message, "\n", -1);

		for (char **l = lines; *l != NULL; l++)
			g_ptr_array_add(problems, g_strdup(*l));
	}
}

/* Each webhook's secret file: there (postdesk init does not make it),
 * private and long enough, as [gateway] secret_file must be. */
static void
check_webhook_secrets(const config_t *cfg, GPtrArray *problems)
{
	for (guint i = 0; i < cfg->webhooks->len; i++) {
		const config_webhook_t *wh = cfg->webhooks->pdata[i];
		g_autofree char *section = g_strdup_printf("webhook:%s", wh->name);
		g_autoptr(GError) err = NULL;
		g_autoptr(GBytes) secret = util_read_secret(wh->secret_file, &err);

		if (secret == NULL)
			g_ptr_array_add(problems, g_strdup_printf(
				"%s:%" G_GINT64_FORMAT ": [%s] secret_file: %s", cfg->path,
				config_line(cfg, section, "secret_file"), section, err->message));
	}
}

/* A password file of SECTION (NULL: none): there, private, one line. */
static void
check_password_file(const config_t *cfg, const char *section, const char *path,
		    GPtrArray *problems)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *password = NULL;

	if (path == NULL)
		return;
	password = util_read_password(path, &err);
	if (password == NULL)
		g_ptr_array_add(problems, g_strdup_printf(
			"%s:%" G_GINT64_FORMAT ": [%s] password_file: %s", cfg->path,
			config_line(cfg, section, "password_file"), section, err->message));
	else
		explicit_bzero(password, strlen(password));
}

/* The SMTP and IMAP password files, as run will read them. */
static void
check_password_files(const config_t *cfg, GPtrArray *problems)
{
	check_password_file(cfg, "smtp", cfg->smtp_password_file, problems);
	for (guint i = 0; i < cfg->imap->len; i++) {
		const config_imap_t *a = cfg->imap->pdata[i];
		g_autofree char *section = g_strdup_printf("imap:%s", a->name);

		check_password_file(cfg, section, a->password_file, problems);
	}
}

gboolean
cli_check(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	g_autoptr(config_t) cfg = NULL;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print problems only", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Validate the config, the filter rules and the templates; print every "
			       "problem as FILE:LINE: message.",
			       error))
		return FALSE;
	cfg = config_load(cli->config_path, warnings, &local);
	if (cfg == NULL) {
		g_auto(GStrv) lines = g_strsplit(local->message, "\n", -1);

		for (char **l = lines; *l != NULL; l++)
			g_ptr_array_add(problems, g_strdup(*l));
	} else {
		g_autoptr(GBytes) secret = NULL;
		g_autoptr(GError) serr = NULL;

		/* init creates the secret; a wrong mode is a problem. */
		if (g_file_test(cfg->secret_file, G_FILE_TEST_EXISTS)) {
			secret = util_read_secret(cfg->secret_file, &serr);
			if (secret == NULL)
				g_ptr_array_add(problems, g_strdup_printf(
					"%s:%" G_GINT64_FORMAT ": [gateway] secret_file: %s",
					cfg->path, config_line(cfg, "gateway", "secret_file"),
					serr->message));
		} else {
			g_ptr_array_add(warnings, g_strdup_printf(
				"%s:%" G_GINT64_FORMAT ": [gateway] secret_file: %s does not "
				"exist yet (postdesk init creates it)", cfg->path,
				config_line(cfg, "gateway", "secret_file"), cfg->secret_file));
		}
		check_templates(cfg, problems);
		check_filters(cfg, problems);
		check_webhook_secrets(cfg, problems);
		check_password_files(cfg, problems);
		if (cfg->trusted_authserv_id == NULL && cfg->members->len > 0)
			g_ptr_array_add(warnings, g_strdup_printf(
				"%s:%" G_GINT64_FORMAT ": [gateway] trusted_authserv_id is not "
				"set: mail to a plain support address cannot be authenticated "
				"as a member's", cfg->path,
				config_line(cfg, "gateway", NULL)));
	}
	for (guint i = 0; i < warnings->len; i++)
		fprintf(stderr, "%s (warning)\n", (char *)warnings->pdata[i]);
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)problems->pdata[i]);
	if (problems->len > 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: %u problem%s found",
			    cli->config_path, problems->len, problems->len == 1 ? "" : "s");
		return FALSE;
	}
	if (!quiet)
		printf("%s: OK\n", cli->config_path);
	return TRUE;
}
