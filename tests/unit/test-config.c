/* SPDX-License-Identifier: MIT
 * test-config.c: loading, defaults, lookups and problem reports. */
#include "autodefs.h"
#include <glib/gstdio.h>
#include <string.h>
#include "config.h"
#include "error.h"

static char *tmpdir;

static config_t *
load(const char *text, GPtrArray *warnings, GError **error)
{
	g_autofree char *path = g_build_filename(tmpdir, "t.conf", NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return config_load(path, warnings, error);
}

static void
test_defaults(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(config_t) cfg = load("[gateway]\nsupport_address = Help@Example.ORG\n", NULL,
				       &error);

	g_assert_no_error(error);
	g_assert_cmpstr(cfg->support_address, ==, "Help@example.org");
	g_assert_cmpstr(cfg->tag, ==, "Support");
	g_assert_true(g_str_has_suffix(cfg->database, "/var/postdesk.db"));
	g_assert_true(g_path_is_absolute(cfg->database));
	g_assert_cmpuint(cfg->max_message_size, ==, 50u << 20);
	g_assert_cmpint(cfg->max_mime_depth, ==, 32);
	g_assert_cmpint(cfg->reopen_window, ==, 30 * 86400);
	g_assert_false(cfg->has_smtp);
	/* No group configured: one implicit group takes all. */
	g_assert_cmpuint(cfg->groups->len, ==, 1);
	g_assert_cmpstr(cfg->default_group, ==, "support");
	g_assert_cmpstr(cfg->fallback_charsets[0], ==, "windows-1252");
}

static void
test_lookups(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(config_t) cfg = load(
		"[gateway]\nsupport_address = support@example.org\n"
		"[group:core]\naddresses = core@example.org; Core2@Example.org\n"
		"list_ids = users.lists.example.org\n"
		"[group:community]\naddresses = community@example.org\n"
		"[member:alice@example.org]\ngroups = core\naliases = alice@home.example\n",
		NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(config_group_for_address(cfg, "Core2@EXAMPLE.org")->name, ==, "core");
	g_assert_cmpstr(config_group_for_address(cfg, "community@example.org")->name, ==,
			"community");
	g_assert_cmpstr(config_group_for_address(cfg, "support@example.org")->name, ==,
			"core");
	g_assert_null(config_group_for_address(cfg, "other@example.org"));
	g_assert_cmpstr(config_group_for_list(cfg, "Users <users.lists.example.org>")->name,
			==, "core");
	g_assert_nonnull(config_member(cfg, "alice@HOME.example"));
	g_assert_null(config_member(cfg, "Alice@example.org")); /* local part is exact */
	g_assert_true(config_is_own_address(cfg, "core@example.org"));
	g_assert_false(config_is_own_address(cfg, "alice@example.org"));
	g_assert_cmpuint(g_strv_length((char **)config_own_addresses(cfg)), ==, 4);
}

static void
test_problems(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(config_t) cfg = load("[gateway]\nsupport_address = x@example.org\n"
				       "shade = blue\n[limits]\nmax_parts = many\n"
				       "max_mime_depth = 0\n[nope]\n",
				       warnings, &error);

	g_assert_null(cfg);
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "t.conf:5: [limits] max_parts"));
	g_assert_nonnull(strstr(error->message, "t.conf:6: [limits] max_mime_depth"));
	g_assert_nonnull(strstr(error->message, "t.conf:7: [nope] unknown section"));
	g_assert_cmpuint(warnings->len, ==, 1);
	g_assert_nonnull(strstr(warnings->pdata[0], "t.conf:3: [gateway] shade"));
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("pd-config-XXXXXX", NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/lookups", test_lookups);
	g_test_add_func("/config/problems", test_problems);
	rc = g_test_run();
	{
		g_autofree char *p = g_build_filename(tmpdir, "t.conf", NULL);

		g_unlink(p);
		g_rmdir(tmpdir);
		g_free(tmpdir);
	}
	return rc;
}
