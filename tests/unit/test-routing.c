/* SPDX-License-Identifier: MIT
 * test-routing.c: the pure parts of routing and member mail: the #command
 * reader, the choice of member, and Authentication-Results. */
#include "autodefs.h"
#include <string.h>
#include "authres.h"
#include "command.h"
#include "route.h"
#include "banned.h"

static void
test_command_basic(void)
{
	g_auto(command_list_t) l = { 0 };
	const command_t *c;

	command_parse("\n#take\n#Priority HIGH\n\n#cc  Expert@Partner.EXAMPLE \n"
		      "Thanks, looking into it.\n#resolve\n", &l);
	g_assert_cmpuint(l.errors->len, ==, 0);
	g_assert_cmpuint(l.commands->len, ==, 3);
	c = l.commands->pdata[0];
	g_assert_cmpint(c->kind, ==, COMMAND_TAKE);
	g_assert_cmpuint(c->line, ==, 2);
	c = l.commands->pdata[1];
	g_assert_cmpint(c->kind, ==, COMMAND_PRIORITY);
	g_assert_cmpstr(c->arg, ==, "high");
	c = l.commands->pdata[2];
	g_assert_cmpint(c->kind, ==, COMMAND_CC);
	g_assert_cmpstr(c->arg, ==, "Expert@partner.example");
	g_assert_cmpstr(c->source, ==, "#cc  Expert@Partner.EXAMPLE");
	/* A command after text is text. */
	g_assert_cmpstr(l.rest, ==, "Thanks, looking into it.\n#resolve");
}

static void
test_command_args(void)
{
	static const struct {
		const char *text;
		command_kind_t kind;
		const char *arg;
		gint64 number;
	} ok[] = {
		{ "#refuse", COMMAND_REFUSE, NULL, 0 },
		{ "#refuse on holiday next week", COMMAND_REFUSE, "on holiday next week", 0 },
		{ "#note", COMMAND_NOTE, NULL, 0 },
		{ "#note call them back", COMMAND_NOTE, "call them back", 0 },
		{ "#group community", COMMAND_GROUP, "community", 0 },
		{ "#tier 3", COMMAND_TIER, NULL, 3 },
		{ "#escalate", COMMAND_ESCALATE, NULL, 0 },
		{ "#escalate <bob@example.org>", COMMAND_ESCALATE, "bob@example.org", 0 },
		{ "#merge 12", COMMAND_MERGE, NULL, 12 },
		{ "#merge #12", COMMAND_MERGE, NULL, 12 },
		{ "#away", COMMAND_AWAY, NULL, 0 },
		{ "#away until 2026-12-24", COMMAND_AWAY, NULL, 20261224 },
		{ "#away 2027-01-02", COMMAND_AWAY, NULL, 20270102 },
		{ "#BACK", COMMAND_BACK, NULL, 0 },
		{ "#wait", COMMAND_WAIT, NULL, 0 },
		{ "#reopen", COMMAND_REOPEN, NULL, 0 },
		{ "#refer partner@example.net", COMMAND_REFER, "partner@example.net", 0 },
	};
	static const struct {
		const char *text;
		const char *error;
	} bad[] = {
		{ "#frobnicate", "line 1: #frobnicate: unknown command" },
		{ "#take it now", "line 1: #take: takes no argument" },
		{ "#group", "line 1: #group: needs an argument" },
		{ "#group a b", "line 1: #group: expects one group name" },
		{ "#tier 5", "line 1: #tier: expects a tier from 1 to 4" },
		{ "#tier two", "line 1: #tier: expects a tier from 1 to 4" },
		{ "#priority asap", "line 1: #priority: expects low, normal, high or urgent" },
		{ "#cc not an address", "line 1: #cc: expects a mail address" },
		{ "#merge x", "line 1: #merge: expects a ticket number" },
		{ "#away until 2026-02-30", "line 1: #away: expects a date: #away [until YYYY-MM-DD]" },
		{ "\n\n#take\n#bogus", "line 4: #bogus: unknown command" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_auto(command_list_t) l = { 0 };
		const command_t *c;

		g_test_message("%s", ok[i].text);
		command_parse(ok[i].text, &l);
		g_assert_cmpuint(l.errors->len, ==, 0);
		g_assert_cmpuint(l.commands->len, ==, 1);
		c = l.commands->pdata[0];
		g_assert_cmpint(c->kind, ==, ok[i].kind);
		g_assert_cmpstr(c->arg, ==, ok[i].arg);
		g_assert_cmpint(c->number, ==, ok[i].number);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_auto(command_list_t) l = { 0 };

		g_test_message("%s", bad[i].text);
		command_parse(bad[i].text, &l);
		g_assert_cmpuint(l.errors->len, ==, 1);
		g_assert_cmpstr(l.errors->pdata[0], ==, bad[i].error);
	}
}

static void
test_command_not_commands(void)
{
	static const char *const texts[] = {
		"# Heading\n#take",          /* markdown heading first: all text */
		"#1 is the issue\n",         /* a digit after # */
		"Hello\n#take",              /* text first */
		"",
		NULL,
	};

	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_auto(command_list_t) l = { 0 };
		g_autofree char *want = g_strstrip(g_strdup(texts[i] ? texts[i] : ""));

		command_parse(texts[i], &l);
		g_assert_cmpuint(l.commands->len, ==, 0);
		g_assert_cmpuint(l.errors->len, ==, 0);
		g_assert_cmpstr(l.rest, ==, want);
	}
}

static void
test_command_bounds(void)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_auto(command_list_t) l = { 0 };

	for (int i = 0; i < COMMAND_MAX + 5; i++)
		g_string_append(text, "#take\n");
	command_parse(text->str, &l);
	g_assert_cmpuint(l.commands->len, ==, COMMAND_MAX);
	g_assert_cmpuint(l.errors->len, ==, 1);
	g_assert_nonnull(strstr(l.errors->pdata[0], "more than 20 commands"));
}

#define M(addr, tier, cap, open, pos, away, offered) \
	{ addr, tier, cap, open, pos, away, offered }

static void
test_route_pick(void)
{
	route_member_t m[] = {
		M("a@x", 1, 10, 3, 5, FALSE, FALSE),
		M("b@x", 1, 10, 1, 2, FALSE, FALSE),
		M("c@x", 1, 10, 0, 3, FALSE, FALSE),
		M("d@x", 2, 10, 0, 1, FALSE, FALSE),
	};
	route_policy_t p;

	/* Round-robin: the head of the queue among the lowest tier. */
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 1), ==, 1);
	/* Least-loaded: fewest open tickets. */
	g_assert_cmpint(route_pick(ROUTE_LEAST_LOADED, m, 4, 1), ==, 2);
	/* Manual: nobody. */
	g_assert_cmpint(route_pick(ROUTE_MANUAL, m, 4, 1), ==, -1);
	/* Tier 2 work goes to tier 2 and up only. */
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 2), ==, 3);
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 3), ==, -1);
	/* Skipped: offered before, away, at capacity. */
	m[1].offered = TRUE;
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 1), ==, 2);
	m[2].away = TRUE;
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 1), ==, 0);
	m[0].open = 10;
	g_assert_cmpstr(route_unavailable(&m[0], 1), ==, "is at capacity");
	/* Nobody left at tier 1: the next tier up takes it. */
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 1), ==, 3);
	m[3].capacity = 0; /* no limit */
	m[3].open = 1000;
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 4, 1), ==, 3);
	g_assert_cmpint(route_pick(ROUTE_ROUND_ROBIN, m, 0, 1), ==, -1);

	g_assert_true(route_policy_parse("least-loaded", &p));
	g_assert_cmpint(p, ==, ROUTE_LEAST_LOADED);
	g_assert_false(route_policy_parse("random", &p));
}

static void
test_route_subject_urgent(void)
{
	static const struct {
		const char *subject;
		gboolean urgent;
	} cases[] = {
		{ "URGENT: the database is down", TRUE },
		{ "Re: [Support #3] urgent", TRUE },
		{ "an Emergency in production", TRUE },
		{ "(urgent)", TRUE },
		{ "urgent-ish", TRUE },
		{ "not urgently needed", FALSE },
		{ "nonurgent question", FALSE },
		{ "urgent2", FALSE },
		{ "emergencyexit", FALSE },
		{ "\xc3\xbcurgent", FALSE },
		{ "urgen", FALSE },
		{ "", FALSE },
		{ "a plain question", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("subject \"%s\"", cases[i].subject);
		g_assert_cmpint(route_subject_urgent(cases[i].subject), ==, cases[i].urgent);
	}
	g_assert_false(route_subject_urgent(NULL));
}

static void
test_authres(void)
{
	const char *why = NULL;
	const char *const ours[] = {
		"mx.example.org; dkim=pass header.d=example.org header.s=s1; spf=fail",
		"evil.example; dkim=pass header.d=example.org",
		NULL,
	};
	const char *const spf[] = {
		"mx.example.org 1; spf=pass (sender ok) smtp.mailfrom=alice@mail.example.org",
		NULL,
	};
	const char *const forged_below[] = {
		"mx.example.org; dkim=fail header.d=example.org; spf=none",
		"mx.example.org; dkim=pass header.d=example.org",
		NULL,
	};
	const char *const forged_other[] = {
		"mx.attacker.example; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org",
		NULL,
	};
	const char *const other_domain[] = {
		"MX.Example.Org; DKIM=pass header.d=attacker.example; dmarc=pass header.from=attacker.example",
		NULL,
	};
	const char *const dmarc[] = {
		"mx.example.org; dmarc=pass (p=reject) header.from=example.org",
		NULL,
	};
	const char *const versioned[] = {
		"mx.example.org; dkim/1=pass header.i=@example.org",
		NULL,
	};
	const char *const garbage[] = { "", ";;;", "mx.example.org;", "mx.example.org; =", NULL };

	g_assert_true(authres_verifies(ours, "mx.example.org", "example.org", &why));
	g_assert_true(authres_verifies(spf, "mx.example.org", "mail.example.org", NULL));
	/* smtp.mailfrom of a subdomain does not vouch for the parent. */
	g_assert_false(authres_verifies(spf, "mx.example.org", "example.org", NULL));
	/* Only the topmost header of our server counts. */
	g_assert_false(authres_verifies(forged_below, "mx.example.org", "example.org", &why));
	g_assert_nonnull(strstr(why, "no DKIM, SPF or DMARC pass"));
	g_assert_false(authres_verifies(forged_other, "mx.example.org", "example.org", &why));
	g_assert_nonnull(strstr(why, "no Authentication-Results header of the trusted server"));
	g_assert_false(authres_verifies(other_domain, "mx.example.org", "example.org", NULL));
	g_assert_true(authres_verifies(dmarc, "mx.example.org", "example.org", NULL));
	g_assert_true(authres_verifies(versioned, "mx.example.org", "example.org", NULL));
	g_assert_false(authres_verifies(garbage, "mx.example.org", "example.org", NULL));
	g_assert_false(authres_verifies(NULL, "mx.example.org", "example.org", NULL));
	g_assert_false(authres_verifies(ours, NULL, "example.org", NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/command/basic", test_command_basic);
	g_test_add_func("/command/args", test_command_args);
	g_test_add_func("/command/not-commands", test_command_not_commands);
	g_test_add_func("/command/bounds", test_command_bounds);
	g_test_add_func("/route/pick", test_route_pick);
	g_test_add_func("/route/subject-urgent", test_route_subject_urgent);
	g_test_add_func("/authres/verifies", test_authres);
	return g_test_run();
}
