/* SPDX-License-Identifier: MIT
 * test-webhook.c: which events a webhook gets (kinds, "*", notes, group
 * filter), the signature, what a status means, and the body of a
 * delivery. The signature vectors were computed independently with
 * Python's hmac module and openssl dgst -hmac. */
#include "autodefs.h"
#include <string.h>
#include "event.h"
#include "webhook.h"
#include "banned.h"

static void
test_kinds(void)
{
	/* DESIGN.md's kinds, the housekeeping's and the plans' (issue 8). */
	const char *const design[] = { "created", "message", "assigned", "refused",
				       "taken", "state", "escalated", "note", "breach",
				       "over-quota", "not-covered", "forward", "bounce", "wait-reminder",
				       "auto-resolved", "closed", "flood" };

	for (gsize i = 0; i < G_N_ELEMENTS(design); i++)
		g_assert_true(webhook_kind_known(design[i]));
	g_assert_cmpuint(g_strv_length((char **)webhook_kinds()), ==, G_N_ELEMENTS(design));
	g_assert_false(webhook_kind_known("*"));
	g_assert_false(webhook_kind_known(WEBHOOK_TEST_KIND));
	g_assert_false(webhook_kind_known("Created"));
	g_assert_false(webhook_kind_known(""));
	g_assert_false(webhook_kind_known(NULL));
}

typedef struct {
	const char *events;   /* ';'-separated, "" for none */
	const char *groups;   /* ';'-separated, "" for none */
	const char *kind;
	const char *group;    /* the ticket's, NULL: no ticket */
	gboolean wants;
} wants_case_t;

static const wants_case_t wants_cases[] = {
	{ "created", "", "created", "core", TRUE },
	{ "created", "", "message", "core", FALSE },
	{ "created;bounce", "", "bounce", "core", TRUE },
	{ "*", "", "message", "core", TRUE },
	{ "*", "", "bounce", NULL, TRUE },
	/* Internal notes only when named, never through "*". */
	{ "*", "", "note", "core", FALSE },
	{ "*;note", "", "note", "core", TRUE },
	{ "note", "", "note", "core", TRUE },
	{ "note", "", "created", "core", FALSE },
	/* The group filter: other groups and no ticket are left out. */
	{ "*", "core", "created", "core", TRUE },
	{ "*", "core", "created", "community", FALSE },
	{ "*", "core", "created", NULL, FALSE },
	{ "*", "core;community", "created", "community", TRUE },
	{ "note", "core", "note", "community", FALSE },
	{ "note", "core", "note", "core", TRUE },
	/* Names are compared exactly. */
	{ "created", "core", "created", "Core", FALSE },
	{ "created", "", "CREATED", "core", FALSE },
	{ "", "", "created", "core", FALSE },
};

static void
test_wants(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(wants_cases); i++) {
		const wants_case_t *c = &wants_cases[i];
		g_auto(GStrv) events = g_strsplit(c->events, ";", -1);
		g_auto(GStrv) groups = *c->groups ? g_strsplit(c->groups, ";", -1)
						  : g_new0(char *, 1);
		config_webhook_t wh = { .name = (char *)"t", .events = events, .groups = groups };

		if (webhook_wants(&wh, c->kind, c->group) != c->wants)
			g_error("case %" G_GSIZE_FORMAT ": events %s groups %s kind %s group %s: "
				"expected %d", i, c->events, c->groups, c->kind,
				c->group ? c->group : "(none)", c->wants);
	}
	{
		/* No groups array at all is no filter either. */
		char *events[] = { (char *)"created", NULL };
		config_webhook_t wh = { .name = (char *)"t", .events = events };

		g_assert_true(webhook_wants(&wh, "created", NULL));
		g_assert_false(webhook_wants(&wh, NULL, "core"));
	}
}

typedef struct {
	const char *key;
	gint64 ts;
	const char *body;
	const char *signature;
} sig_case_t;

static const sig_case_t sig_cases[] = {
	{ "0123456789abcdef0123456789abcdef", 1795447625, "{\"event\": \"test\"}",
	  "t=1795447625,v1=c8bbadd0a2bd433aeac7883d22ccf1010c8c933a97dbe1e5ae78f960ffe295c5" },
	{ "0123456789abcdef0123456789abcdef", 0, "",
	  "t=0,v1=b5b3fbed5b59d925316d6d39db497aba70820961dda53dfe23a87559dab1eb6b" },
};

static void
test_signature(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(sig_cases); i++) {
		const sig_case_t *c = &sig_cases[i];
		g_autoptr(GBytes) key = g_bytes_new_static(c->key, strlen(c->key));
		g_autofree char *sig = webhook_signature(key, c->ts, c->body, strlen(c->body));

		g_assert_cmpstr(sig, ==, c->signature);
	}
	{
		/* Each input counts: another key, time or body, another MAC. */
		g_autoptr(GBytes) key = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
		g_autoptr(GBytes) other = g_bytes_new_static("0123456789abcdef0123456789abcdeF", 32);
		g_autofree char *a = webhook_signature(key, 100, "{}", 2);
		g_autofree char *b = webhook_signature(other, 100, "{}", 2);
		g_autofree char *c = webhook_signature(key, 101, "{}", 2);
		g_autofree char *d = webhook_signature(key, 100, "{ }", 3);
		g_autofree char *e = webhook_signature(key, 100, "{}\0x", 4);

		g_assert_true(g_str_has_prefix(a, "t=100,v1="));
		g_assert_cmpuint(strlen(a), ==, strlen("t=100,v1=") + 64);
		g_assert_cmpstr(a + 9, !=, b + 9);
		g_assert_cmpstr(a + 9, !=, c + 9);
		g_assert_cmpstr(a + 9, !=, d + 9);
		g_assert_cmpstr(a + 9, !=, e + 9);
	}
}

static void
test_status(void)
{
	static const struct {
		long status;
		webhook_outcome_t outcome;
	} cases[] = {
		{ 200, WEBHOOK_DELIVERED }, { 201, WEBHOOK_DELIVERED }, { 204, WEBHOOK_DELIVERED },
		{ 299, WEBHOOK_DELIVERED }, { 429, WEBHOOK_RETRY },     { 500, WEBHOOK_RETRY },
		{ 502, WEBHOOK_RETRY },     { 503, WEBHOOK_RETRY },     { 599, WEBHOOK_RETRY },
		{ 400, WEBHOOK_REFUSED },   { 401, WEBHOOK_REFUSED },   { 404, WEBHOOK_REFUSED },
		{ 410, WEBHOOK_REFUSED },   { 413, WEBHOOK_REFUSED },   { 301, WEBHOOK_REFUSED },
		{ 302, WEBHOOK_REFUSED },   { 100, WEBHOOK_REFUSED },   { 600, WEBHOOK_REFUSED },
		{ 0, WEBHOOK_REFUSED },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(webhook_status_outcome(cases[i].status), ==, cases[i].outcome);
}

static void
test_body(void)
{
	store_ticket_t t = {
		.id = 12, .subject = (char *)"Printer \"on fire\"\n", .state = (char *)"open",
		.group = (char *)"core", .priority = (char *)"normal", .tier = 2,
		.requester_name = NULL, .requester_address = (char *)"carla@cust.example",
		.owner = (char *)"alice@example.org", .created = 1795447625,
		.updated = 1795447685,
	};
	g_autoptr(GBytes) with = event_webhook_body("d-1", "created", 1795447685,
						    "carla@cust.example", &t, "group core");
	g_autoptr(GBytes) without = event_webhook_body("d-2", "test", 0, NULL, NULL, NULL);
	g_autofree char *a = g_strndup(g_bytes_get_data(with, NULL), g_bytes_get_size(with));
	g_autofree char *b = g_strndup(g_bytes_get_data(without, NULL),
				       g_bytes_get_size(without));

	g_assert_cmpstr(a, ==,
			"{\"event\": \"created\", \"id\": \"d-1\", \"at\": \"2026-11-23T15:28:05Z\", "
			"\"actor\": \"carla@cust.example\", \"ticket\": {\"id\": 12, \"subject\": "
			"\"Printer \\\"on fire\\\"\\n\", \"state\": \"open\", \"group\": \"core\", "
			"\"priority\": \"normal\", \"tier\": 2, \"requester\": {\"name\": null, "
			"\"address\": \"carla@cust.example\"}, \"owner\": \"alice@example.org\", "
			"\"created\": \"2026-11-23T15:27:05Z\", \"updated\": "
			"\"2026-11-23T15:28:05Z\"}, \"detail\": \"group core\"}");
	g_assert_cmpstr(b, ==,
			"{\"event\": \"test\", \"id\": \"d-2\", \"at\": null, \"actor\": null, "
			"\"ticket\": null, \"detail\": null}");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/webhook/kinds", test_kinds);
	g_test_add_func("/webhook/wants", test_wants);
	g_test_add_func("/webhook/signature", test_signature);
	g_test_add_func("/webhook/status", test_status);
	g_test_add_func("/webhook/body", test_body);
	return g_test_run();
}
