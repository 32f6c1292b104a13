/* SPDX-License-Identifier: MIT
 * test-token.c: reply tokens and reply addresses. The known vectors were
 * computed independently with Python's hmac and base64 modules. */
#include "autodefs.h"
#include <string.h>
#include "token.h"
#include "banned.h"

static const guint8 key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof key - 1)
static const guint8 other_key[] = "0123456789abcdef0123456789abcdeF";

typedef struct {
	gint64 ticket;
	const char *recipient;
	const char *token;
} vector_t;

static const vector_t vectors[] = {
	{ 12, "alice@example.org", "4oxhfcjmyc" },
	{ 12, "ALICE@Example.ORG", "4oxhfcjmyc" }, /* lower-cased first */
	{ 1, "Bob@Example.COM", "7itxgusn45" },
	{ TOKEN_TICKET_MAX, "x@y", "gpgh6byk7o" },
	{ 12, "", "tfzlj2x4t6" },
	{ 7, "jürgen@bücher.example", "x2oc2of37f" },
};

static void
test_make_vectors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		const vector_t *v = &vectors[i];
		g_autofree char *t = token_make(key, KEYLEN, v->ticket, v->recipient);

		g_assert_cmpstr(t, ==, v->token);
		g_assert_true(token_verify(key, KEYLEN, v->ticket, v->recipient, t));
	}
	{
		g_autofree char *t = token_make((const guint8 *)"k", 1, 12,
						"alice@example.org");
		g_assert_cmpstr(t, ==, "g6f2yvbxpo");
	}
}

static void
test_make_shape(void)
{
	for (gint64 n = 1; n < 200; n++) {
		g_autofree char *r = g_strdup_printf("user%" G_GINT64_FORMAT "@example.org", n);
		g_autofree char *t = token_make(key, KEYLEN, n, r);

		g_assert_cmpuint(strlen(t), ==, TOKEN_LEN);
		g_assert_cmpuint(strspn(t, "abcdefghijklmnopqrstuvwxyz234567"), ==, TOKEN_LEN);
	}
}

typedef struct {
	const char *name;
	gint64 ticket;
	const char *recipient;
	const char *token;
	gboolean ok;
} verify_case_t;

static const verify_case_t verify_cases[] = {
	{ "good", 12, "alice@example.org", "4oxhfcjmyc", TRUE },
	{ "upper-case token", 12, "alice@example.org", "4OXHFCJMYC", TRUE },
	{ "recipient case", 12, "Alice@EXAMPLE.org", "4oxhfcjmyc", TRUE },
	{ "wrong recipient", 12, "mallory@example.org", "4oxhfcjmyc", FALSE },
	{ "recipient prefix", 12, "alice@example.or", "4oxhfcjmyc", FALSE },
	{ "recipient spaces", 12, " alice@example.org", "4oxhfcjmyc", FALSE },
	{ "wrong ticket", 13, "alice@example.org", "4oxhfcjmyc", FALSE },
	{ "ticket 0", 0, "alice@example.org", "4oxhfcjmyc", FALSE },
	{ "ticket negative", -12, "alice@example.org", "4oxhfcjmyc", FALSE },
	{ "ticket huge", G_MAXINT64, "alice@example.org", "4oxhfcjmyc", FALSE },
	{ "tampered first", 12, "alice@example.org", "5oxhfcjmyc", FALSE },
	{ "tampered last", 12, "alice@example.org", "4oxhfcjmyd", FALSE },
	{ "short", 12, "alice@example.org", "4oxhfcjmy", FALSE },
	{ "long", 12, "alice@example.org", "4oxhfcjmyca", FALSE },
	{ "trailing newline", 12, "alice@example.org", "4oxhfcjmyc\n", FALSE },
	{ "empty", 12, "alice@example.org", "", FALSE },
	{ "bad alphabet", 12, "alice@example.org", "4oxhfcjmy1", FALSE },
	{ "non-ascii", 12, "alice@example.org", "4oxhfcjm\xc3\xbf", FALSE },
	{ "NULL token", 12, "alice@example.org", NULL, FALSE },
	{ "NULL recipient", 12, NULL, "4oxhfcjmyc", FALSE },
};

static void
test_verify(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(verify_cases); i++) {
		const verify_case_t *c = &verify_cases[i];

		g_test_message("case %s", c->name);
		g_assert_cmpint(token_verify(key, KEYLEN, c->ticket, c->recipient,
					     c->token), ==, c->ok);
	}
	g_assert_false(token_verify(other_key, KEYLEN, 12, "alice@example.org",
				    "4oxhfcjmyc"));
}

typedef struct {
	const char *support;
	gint64 ticket;
	const char *token;
	const char *expected;
} reply_case_t;

static const reply_case_t reply_cases[] = {
	{ "support@example.org", 12, "k3j2x2m4qa", "support+12-k3j2x2m4qa@example.org" },
	{ "support@example.org", 12, "K3J2X2M4QA", "support+12-k3j2x2m4qa@example.org" },
	{ "help+desk@example.org", 1, "aaaaaaaaaa", "help+desk+1-aaaaaaaaaa@example.org" },
	{ "\"odd@local\"@example.org", 5, "aaaaaaaaaa", "\"odd@local\"+5-aaaaaaaaaa@example.org" },
	{ "s@x", TOKEN_TICKET_MAX, "2222222222", "s+9007199254740992-2222222222@x" },
};

static void
test_reply_address(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reply_cases); i++) {
		const reply_case_t *c = &reply_cases[i];
		g_autofree char *a = token_reply_address(c->support, c->ticket, c->token);

		g_assert_cmpstr(a, ==, c->expected);
	}
}

static const char *const supports[] = {
	"support@example.org", "Help+Desk@Other.Example", "core@example.org", NULL,
};

typedef struct {
	const char *address;
	gboolean ok;
	gint64 ticket;
	const char *token;
} parse_case_t;

static const parse_case_t parse_cases[] = {
	{ "support+12-k3j2x2m4qa@example.org", TRUE, 12, "k3j2x2m4qa" },
	{ "SUPPORT+12-K3J2X2M4QA@EXAMPLE.ORG", TRUE, 12, "k3j2x2m4qa" },
	{ "support+1-aaaaaaaaaa@Example.Org", TRUE, 1, "aaaaaaaaaa" },
	{ "help+desk+7-aaaaaaaaaa@other.example", TRUE, 7, "aaaaaaaaaa" },
	{ "core+99-bbbbbbbbbb@example.org", TRUE, 99, "bbbbbbbbbb" },
	{ "support+9007199254740992-2222222222@example.org", TRUE, TOKEN_TICKET_MAX, "2222222222" },
	/* Numbers. */
	{ "support+9007199254740993-2222222222@example.org", FALSE, 0, NULL },
	{ "support+99999999999999999-2222222222@example.org", FALSE, 0, NULL },
	{ "support+99999999999999999999999999-2222222222@example.org", FALSE, 0, NULL },
	{ "support+0-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+012-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+-12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support++12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+1 2-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12a-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+\xd9\xa1\xd9\xa2-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	/* Tokens. */
	{ "support+12-aaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaa1@example.org", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaa.@example.org", FALSE, 0, NULL },
	{ "support+12-@example.org", FALSE, 0, NULL },
	{ "support+12aaaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12_aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12--aaaaaaaaa@example.org", FALSE, 0, NULL },
	/* Local part and domain. */
	{ "support+12-aaaaaaaaaa@evil.example", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa@example.org.evil.example", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa@sub.example.org", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa@example.or", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa@", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa", FALSE, 0, NULL },
	{ "xsupport+12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "supporta+12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "suppor+12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support@example.org", FALSE, 0, NULL },
	{ "support+@example.org", FALSE, 0, NULL },
	{ "help+12-aaaaaaaaaa@other.example", FALSE, 0, NULL },
	{ "help+desk+12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa@example.org@example.org", FALSE, 0, NULL },
	{ "<support+12-aaaaaaaaaa@example.org>", FALSE, 0, NULL },
	{ " support+12-aaaaaaaaaa@example.org", FALSE, 0, NULL },
	{ "support+12-aaaaaaaaaa@example.org ", FALSE, 0, NULL },
	{ "", FALSE, 0, NULL },
	{ "@", FALSE, 0, NULL },
	{ NULL, FALSE, 0, NULL },
};

static void
test_parse_address(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		const parse_case_t *c = &parse_cases[i];
		gint64 ticket = -1;
		char *token = NULL;
		gboolean ok;

		g_test_message("case %s", c->address ? c->address : "(null)");
		ok = token_parse_address(c->address, supports, &ticket, &token);
		g_assert_cmpint(ok, ==, c->ok);
		if (ok) {
			g_assert_cmpint(ticket, ==, c->ticket);
			g_assert_cmpstr(token, ==, c->token);
		} else {
			g_assert_cmpint(ticket, ==, -1);
			g_assert_null(token);
		}
		g_free(token);
	}
}

static void
test_parse_bounds(void)
{
	const char *const none[] = { NULL };
	const char *const bad[] = { "nodomain", "@example.org", "support@", NULL };
	gint64 ticket = -1;
	char *token = NULL;

	g_assert_false(token_parse_address("support+1-aaaaaaaaaa@example.org",
					   none, &ticket, &token));
	g_assert_false(token_parse_address("support+1-aaaaaaaaaa@example.org",
					   NULL, &ticket, &token));
	g_assert_false(token_parse_address("support+1-aaaaaaaaaa@example.org",
					   bad, &ticket, &token));
	g_assert_false(token_parse_address("+1-aaaaaaaaaa@example.org",
					   bad, &ticket, &token));
	g_assert_false(token_parse_address("support+1-aaaaaaaaaa@", bad,
					   &ticket, &token));

	/* An address of exactly TOKEN_ADDRESS_MAX bytes parses; one more
	 * byte and it is refused before anything else is looked at. */
	for (int extra = 0; extra <= 1; extra++) {
		gsize domain_len = TOKEN_ADDRESS_MAX - 100 - strlen("+1-aaaaaaaaaa@") + extra;
		g_autofree char *local = g_strnfill(100, 'l');
		g_autofree char *domain = g_strnfill(domain_len, 'd');
		g_autofree char *support = g_strconcat(local, "@", domain, NULL);
		g_autofree char *address = g_strconcat(local, "+1-aaaaaaaaaa@", domain, NULL);
		const char *list[] = { support, NULL };

		g_assert_cmpuint(strlen(address), ==, TOKEN_ADDRESS_MAX + extra);
		ticket = -1;
		token = NULL;
		g_assert_cmpint(token_parse_address(address, list, &ticket, &token), ==, !extra);
		g_assert_cmpint(ticket, ==, extra ? -1 : 1);
		g_assert_cmpstr(token, ==, extra ? NULL : "aaaaaaaaaa");
		g_free(token);
	}
}

static void
test_round_trip(void)
{
	static const char *const recipients[] = {
		"alice@example.org", "Bob.Smith@Example.COM", "x@y",
		"jürgen@bücher.example",
	};
	static const gint64 tickets[] = { 1, 12, 999999, TOKEN_TICKET_MAX };

	for (gsize i = 0; i < G_N_ELEMENTS(recipients); i++) {
		for (gsize j = 0; j < G_N_ELEMENTS(tickets); j++) {
			g_autofree char *t = token_make(key, KEYLEN, tickets[j], recipients[i]);
			g_autofree char *a = token_reply_address("help+desk@other.example",
								 tickets[j], t);
			g_autofree char *upper = g_ascii_strup(a, -1);
			g_autofree char *parsed = NULL;
			gint64 n = 0;

			g_assert_true(token_parse_address(upper, supports, &n, &parsed));
			g_assert_cmpint(n, ==, tickets[j]);
			g_assert_cmpstr(parsed, ==, t);
			g_assert_true(token_verify(key, KEYLEN, n, recipients[i], parsed));
			g_assert_false(token_verify(key, KEYLEN, n, "other@example.org", parsed));
			g_assert_false(token_verify(other_key, KEYLEN, n, recipients[i], parsed));
			if (n > 1)
				g_assert_false(token_verify(key, KEYLEN, n - 1, recipients[i], parsed));
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/token/make/vectors", test_make_vectors);
	g_test_add_func("/token/make/shape", test_make_shape);
	g_test_add_func("/token/verify", test_verify);
	g_test_add_func("/token/reply-address", test_reply_address);
	g_test_add_func("/token/parse-address", test_parse_address);
	g_test_add_func("/token/parse-bounds", test_parse_bounds);
	g_test_add_func("/token/round-trip", test_round_trip);
	return g_test_run();
}
