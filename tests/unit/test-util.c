/* SPDX-License-Identifier: MIT
 * test-util.c: sizes, durations, times, addresses, the content of secrets. */
#include "autodefs.h"
#include <glib/gstdio.h>
#include <string.h>
#include "error.h"
#include "util.h"

static void
test_sizes(void)
{
	static const struct {
		const char *in;
		gboolean ok;
		guint64 out;
	} cases[] = {
		{ "512", TRUE, 512 },        { "25k", TRUE, 25 * 1024 },
		{ "50M", TRUE, 50u << 20 },  { "1G", TRUE, 1u << 30 },
		{ "50MB", TRUE, 50u << 20 }, { "2MiB", TRUE, 2u << 20 },
		{ " 7 k ", TRUE, 7 * 1024 }, { "", FALSE, 0 },
		{ "M", FALSE, 0 },           { "5X", FALSE, 0 },
		{ "-1", FALSE, 0 },          { "99999999999999999999", FALSE, 0 },
		{ "5000000000G", FALSE, 0 }, { "1.5M", FALSE, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint64 v = 0;

		g_assert_cmpint(util_parse_size(cases[i].in, &v), ==, cases[i].ok);
		if (cases[i].ok)
			g_assert_cmpuint(v, ==, cases[i].out);
	}
}

static void
test_durations(void)
{
	static const struct {
		const char *in;
		gboolean ok;
		gint64 out;
	} cases[] = {
		{ "90", TRUE, 90 },     { "90s", TRUE, 90 },      { "30m", TRUE, 1800 },
		{ "24h", TRUE, 86400 }, { "2d", TRUE, 172800 },   { "1w", TRUE, 604800 },
		{ "h", FALSE, 0 },      { "3 days", FALSE, 0 },   { "", FALSE, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		gint64 v = 0;

		g_assert_cmpint(util_parse_duration(cases[i].in, &v), ==, cases[i].ok);
		if (cases[i].ok)
			g_assert_cmpint(v, ==, cases[i].out);
	}
}

static void
test_clock(void)
{
	gint64 t;

	g_assert_true(util_parse_time("2026-11-20T15:30:00Z", &t));
	g_assert_cmpint(t, ==, 1795188600);
	g_assert_true(util_parse_time("2026-11-20T16:30:00+01:00", &t));
	g_assert_cmpint(t, ==, 1795188600);
	g_assert_false(util_parse_time("yesterday", &t));
	g_setenv("POSTDESK_NOW", "2026-11-20T15:30:00Z", TRUE);
	g_assert_cmpint(util_now(), ==, 1795188600);
	g_unsetenv("POSTDESK_NOW");
	g_assert_cmpint(util_now(), >, 1795188600 - 86400 * 365 * 10);
}

static void
test_addresses(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Alice@Example.ORG", "Alice@example.org" },
		{ " <bob@EXAMPLE.com> ", "bob@example.com" },
		{ "support+12-abc@Example.org", "support+12-abc@example.org" },
		{ "no-at-sign", NULL },
		{ "@example.org", NULL },
		{ "a@", NULL },
		{ "a b@example.org", NULL },
		{ "a@b@example.org", "a@b@example.org" },
		{ "", NULL },
		{ "a\r\nBcc: x@example.org", NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = util_address_normalize(cases[i].in);

		g_assert_cmpstr(got, ==, cases[i].out);
	}
	g_assert_true(util_address_equal("a@X.org", "<a@x.ORG>"));
	g_assert_false(util_address_equal("A@x.org", "a@x.org"));
}

static void
test_secret(void)
{
	g_autofree char *dir = g_dir_make_tmp("pd-util-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "secret", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) b = NULL;

	g_assert_true(util_write_file_atomic(path, "0123456789abcdef\n", 17, 0600, &error));
	b = util_read_secret(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_bytes_get_size(b), ==, 16);
	g_chmod(path, 0640);
	g_assert_null(util_read_secret(path, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	/* The message names the file, never the secret. */
	g_assert_null(strstr(error->message, "0123456789"));
	g_clear_error(&error);
	g_chmod(path, 0600);
	g_assert_true(util_write_file_atomic(path, "short", 5, 0600, &error));
	g_assert_null(util_read_secret(path, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	g_unlink(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/util/sizes", test_sizes);
	g_test_add_func("/util/durations", test_durations);
	g_test_add_func("/util/clock", test_clock);
	g_test_add_func("/util/addresses", test_addresses);
	g_test_add_func("/util/secret", test_secret);
	return g_test_run();
}
