/* SPDX-License-Identifier: MIT
 * test-json.c: the JSON writer, compared byte for byte. */
#include "autodefs.h"
#include <string.h>
#include "json.h"
#include "banned.h"

typedef struct {
	const char *in;
	gssize len; /* -1: strlen */
	const char *out;
} escape_case_t;

static const escape_case_t escape_cases[] = {
	{ "", -1, "\"\"" },
	{ "plain", -1, "\"plain\"" },
	{ "a\"b", -1, "\"a\\\"b\"" },
	{ "a\\b", -1, "\"a\\\\b\"" },
	{ "/", -1, "\"/\"" },
	{ "\b\f\n\r\t", -1, "\"\\b\\f\\n\\r\\t\"" },
	{ "\x01\x02\x1b\x1f", -1, "\"\\u0001\\u0002\\u001b\\u001f\"" },
	{ " ~\x7f", -1, "\" ~\\u007f\"" },
	{ "a\0b", 3, "\"a\\u0000b\"" },
	{ "\xc2\x80\xc2\x9f\xc2\xa0", -1, "\"\\u0080\\u009f\xc2\xa0\"" },    /* C1, NBSP */
	{ "x\xe2\x80\xa8y\xe2\x80\xa9z", -1, "\"x\\u2028y\\u2029z\"" },
	{ "\xe2\x80\xa7\xe2\x80\xaa", -1, "\"\xe2\x80\xa7\xe2\x80\xaa\"" },  /* neighbours */
	{ "J\xc3\xbcrgen \xe6\x89\x93 \xf0\x9f\x98\x80", -1,
	  "\"J\xc3\xbcrgen \xe6\x89\x93 \xf0\x9f\x98\x80\"" },
	/* Invalid UTF-8: one U+FFFD per bad byte. */
	{ "a\xff" "b", -1, "\"a\xef\xbf\xbd" "b\"" },
	{ "\xc3", -1, "\"\xef\xbf\xbd\"" },                                  /* truncated */
	{ "\xc3(", -1, "\"\xef\xbf\xbd(\"" },
	{ "\xe6\x89", -1, "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "\xc0\xaf", -1, "\"\xef\xbf\xbd\xef\xbf\xbd\"" },                  /* overlong '/' */
	{ "\xed\xa0\x80", -1, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },  /* surrogate */
	{ "\xf4\x90\x80\x80", -1,
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },          /* > U+10FFFF */
	{ "\x80\"", -1, "\"\xef\xbf\xbd\\\"\"" },
	/* A valid character cut by LEN is invalid. */
	{ "\xc3\xbc", 1, "\"\xef\xbf\xbd\"" },
};

static void
test_escape(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(escape_cases); i++) {
		const escape_case_t *c = &escape_cases[i];
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		g_test_message("case %zu", i);
		json_string_len(j, c->in, c->len < 0 ? strlen(c->in) : (gsize)c->len);
		g_assert_cmpstr(out->str, ==, c->out);
		g_assert_true(g_utf8_validate(out->str, out->len, NULL));
		g_assert_true(json_complete(j));
	}
}

static void
test_scalars(void)
{
	static const struct {
		int kind;
		gint64 v;
		const char *s;
		const char *out;
	} cases[] = {
		{ 0, 0, NULL, "0" },
		{ 0, -1, NULL, "-1" },
		{ 0, G_MAXINT64, NULL, "9223372036854775807" },
		{ 0, G_MININT64, NULL, "-9223372036854775808" },
		{ 1, TRUE, NULL, "true" },
		{ 1, FALSE, NULL, "false" },
		{ 2, 0, NULL, "null" },
		{ 3, 0, NULL, "null" },                     /* json_string(NULL) */
		{ 3, 0, "x", "\"x\"" },
		{ 4, 0, NULL, "null" },                     /* json_time(0) */
		{ 4, 1, NULL, "\"1970-01-01T00:00:01Z\"" },
		{ 4, G_GINT64_CONSTANT(1795188600), NULL, "\"2026-11-20T15:30:00Z\"" },
		{ 4, -1, NULL, "\"1969-12-31T23:59:59Z\"" },
		{ 4, G_MAXINT64, NULL, "null" },
		{ 4, G_MININT64, NULL, "null" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, i % 2 == 0);

		g_assert_false(json_complete(j));
		switch (cases[i].kind) {
		case 0:
			json_int(j, cases[i].v);
			break;
		case 1:
			json_bool(j, (gboolean)cases[i].v);
			break;
		case 2:
			json_null(j);
			break;
		case 3:
			json_string(j, cases[i].s);
			break;
		case 4:
			json_time(j, cases[i].v);
			break;
		}
		g_assert_cmpstr(out->str, ==, cases[i].out);
		g_assert_true(json_complete(j));
	}
}

static void
test_format_time(void)
{
	static const struct {
		gint64 secs;
		const char *out;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ G_GINT64_CONSTANT(1795188600), "2026-11-20T15:30:00Z" },
		{ G_GINT64_CONSTANT(951782400), "2000-02-29T00:00:00Z" },
		{ G_GINT64_CONSTANT(2147483648), "2038-01-19T03:14:08Z" },
		{ G_GINT64_CONSTANT(253402300799), "9999-12-31T23:59:59Z" },
		{ G_GINT64_CONSTANT(253402300800), NULL },
		{ G_GINT64_CONSTANT(-62135596800), "0001-01-01T00:00:00Z" },
		{ G_GINT64_CONSTANT(-62135596801), NULL },
		{ G_GINT64_CONSTANT(-59042995200), "0099-01-01T00:00:00Z" },
		{ G_MAXINT64, NULL },
		{ G_MININT64, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *s = json_format_time(cases[i].secs);

		g_assert_cmpstr(s, ==, cases[i].out);
	}
}

/* The same document, written once compact and once pretty. */
static void
write_document(json_t *j)
{
	json_begin_object(j);
	json_key(j, "id");
	json_int(j, 12);
	json_key(j, "subject");
	json_string(j, "Printer \"broken\"\n");
	json_key(j, "owner");
	json_string(j, NULL);
	json_key(j, "verified");
	json_bool(j, TRUE);
	json_key(j, "created");
	json_time(j, G_GINT64_CONSTANT(1795188600));
	json_key(j, "closed");
	json_time(j, 0);
	json_key(j, "participants");
	json_begin_array(j);
	json_begin_object(j);
	json_key(j, "address");
	json_string(j, "a@example.org");
	json_key(j, "role");
	json_string(j, "requester");
	json_end_object(j);
	json_begin_object(j);
	json_end_object(j);
	json_end_array(j);
	json_key(j, "empty");
	json_begin_array(j);
	json_end_array(j);
	json_key(j, "nested");
	json_begin_array(j);
	json_int(j, 1);
	json_begin_array(j);
	json_int(j, 2);
	json_null(j);
	json_end_array(j);
	json_end_array(j);
	json_key(j, "we\"ird\x01key");
	json_bool(j, FALSE);
	json_end_object(j);
}

static void
test_document(void)
{
	static const char compact[] =
		"{\"id\": 12, \"subject\": \"Printer \\\"broken\\\"\\n\", "
		"\"owner\": null, \"verified\": true, "
		"\"created\": \"2026-11-20T15:30:00Z\", \"closed\": null, "
		"\"participants\": [{\"address\": \"a@example.org\", "
		"\"role\": \"requester\"}, {}], \"empty\": [], "
		"\"nested\": [1, [2, null]], \"we\\\"ird\\u0001key\": false}";
	static const char pretty[] =
		"{\n"
		"  \"id\": 12,\n"
		"  \"subject\": \"Printer \\\"broken\\\"\\n\",\n"
		"  \"owner\": null,\n"
		"  \"verified\": true,\n"
		"  \"created\": \"2026-11-20T15:30:00Z\",\n"
		"  \"closed\": null,\n"
		"  \"participants\": [\n"
		"    {\n"
		"      \"address\": \"a@example.org\",\n"
		"      \"role\": \"requester\"\n"
		"    },\n"
		"    {}\n"
		"  ],\n"
		"  \"empty\": [],\n"
		"  \"nested\": [\n"
		"    1,\n"
		"    [\n"
		"      2,\n"
		"      null\n"
		"    ]\n"
		"  ],\n"
		"  \"we\\\"ird\\u0001key\": false\n"
		"}";
	g_autoptr(GString) out = g_string_new("prefix:");
	g_autoptr(json_t) j = json_new(out, FALSE);
	g_autoptr(GString) out2 = g_string_new(NULL);
	g_autoptr(json_t) j2 = json_new(out2, TRUE);

	write_document(j);
	g_assert_cmpstr(out->str + strlen("prefix:"), ==, compact);
	g_assert_true(json_complete(j));
	write_document(j2);
	g_assert_cmpstr(out2->str, ==, pretty);
	g_assert_true(json_complete(j2));
}

static void
test_empty_top(void)
{
	static const struct {
		gboolean pretty;
		gboolean object;
		const char *out;
	} cases[] = {
		{ FALSE, TRUE, "{}" },
		{ FALSE, FALSE, "[]" },
		{ TRUE, TRUE, "{}" },
		{ TRUE, FALSE, "[]" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, cases[i].pretty);

		if (cases[i].object) {
			json_begin_object(j);
			g_assert_false(json_complete(j));
			json_end_object(j);
		} else {
			json_begin_array(j);
			json_end_array(j);
		}
		g_assert_cmpstr(out->str, ==, cases[i].out);
		g_assert_true(json_complete(j));
	}
}

static void
test_deep(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);
	g_autoptr(GString) expect = g_string_new(NULL);

	for (int i = 0; i < 1000; i++) {
		json_begin_array(j);
		g_string_append_c(expect, '[');
	}
	json_int(j, 7);
	g_string_append_c(expect, '7');
	for (int i = 0; i < 1000; i++) {
		json_end_array(j);
		g_string_append_c(expect, ']');
	}
	g_assert_cmpstr(out->str, ==, expect->str);
	g_assert_true(json_complete(j));
}

/* Misuse is a bug: each of these must abort (run in a subprocess). */
static void
misuse_value_for_key(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_object(j);
	json_int(j, 1);
}

static void
misuse_key_in_array(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_array(j);
	json_key(j, "k");
}

static void
misuse_key_at_top(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_key(j, "k");
}

static void
misuse_two_keys(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_object(j);
	json_key(j, "a");
	json_key(j, "b");
}

static void
misuse_key_without_value(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_object(j);
	json_key(j, "a");
	json_end_object(j);
}

static void
misuse_mismatched_end(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_object(j);
	json_end_array(j);
}

static void
misuse_end_at_top(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_end_object(j);
}

static void
misuse_two_top_values(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_int(j, 1);
	json_int(j, 2);
}

static void
misuse_null_key(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(json_t) j = json_new(out, FALSE);

	json_begin_object(j);
	json_key(j, NULL);
}

static const struct {
	const char *name;
	void (*func)(void);
} misuses[] = {
	{ "value-for-key", misuse_value_for_key },
	{ "key-in-array", misuse_key_in_array },
	{ "key-at-top", misuse_key_at_top },
	{ "two-keys", misuse_two_keys },
	{ "key-without-value", misuse_key_without_value },
	{ "mismatched-end", misuse_mismatched_end },
	{ "end-at-top", misuse_end_at_top },
	{ "two-top-values", misuse_two_top_values },
	{ "null-key", misuse_null_key },
};

static void
test_misuse(gconstpointer data)
{
	gsize i = GPOINTER_TO_SIZE(data);

	if (g_test_subprocess()) {
		misuses[i].func();
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*assertion failed*");
}

static void
test_free_incomplete(void)
{
	/* An error path may drop a half-written document: no assert. */
	g_autoptr(GString) out = g_string_new(NULL);
	json_t *j = json_new(out, TRUE);

	json_begin_object(j);
	json_key(j, "a");
	json_begin_array(j);
	json_free(j);
	json_free(NULL);
	g_assert_cmpstr(out->str, ==, "{\n  \"a\": [");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/json/escape", test_escape);
	g_test_add_func("/json/scalars", test_scalars);
	g_test_add_func("/json/format-time", test_format_time);
	g_test_add_func("/json/document", test_document);
	g_test_add_func("/json/empty-top", test_empty_top);
	g_test_add_func("/json/deep", test_deep);
	g_test_add_func("/json/free-incomplete", test_free_incomplete);
	for (gsize i = 0; i < G_N_ELEMENTS(misuses); i++) {
		g_autofree char *path = g_strdup_printf("/json/misuse/%s", misuses[i].name);

		g_test_add_data_func(path, GSIZE_TO_POINTER(i), test_misuse);
	}
	return g_test_run();
}
