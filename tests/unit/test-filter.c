/* SPDX-License-Identifier: MIT
 * test-filter.c: rule syntax and its errors, every field and action, rule
 * order, PCRE2 limits, directories of rule files, validation against the
 * config, and the shipped filters/. */
#include "autodefs.h"
#include <string.h>
#include <glib/gstdio.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "error.h"
#include "filter.h"
#include "unit.h"
#include "banned.h"

/* The values of header NAME in LINES ("Name: value", NULL-terminated) as
 * filter_input_t.headers gives them: a new array, NULL when absent. */
static GPtrArray *
header_values(const char *const *lines, const char *name)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	gsize n = strlen(name);

	for (const char *const *l = lines; l != NULL && *l != NULL; l++)
		if (g_ascii_strncasecmp(*l, name, n) == 0 && (*l)[n] == ':')
			g_ptr_array_add(out, g_strstrip(g_strdup(*l + n + 1)));
	return out->len > 0 ? g_steal_pointer(&out) : NULL;
}

/* Headers of a test message; the callback counts how often each name is
 * asked for. */
typedef struct {
	const char *const *lines;
	GHashTable *asked; /* lower-case name -> count */
} headers_t;

static GPtrArray *
headers_get(gpointer ctx, const char *name)
{
	headers_t *h = ctx;
	guint asked = GPOINTER_TO_UINT(g_hash_table_lookup(h->asked, name));

	g_hash_table_insert(h->asked, g_strdup(name), GUINT_TO_POINTER(asked + 1));
	return header_values(h->lines, name);
}

static const char *const sample_to[] = { "support@example.org", "core@example.org", NULL };
static const char *const sample_headers[] = {
	"X-Spam-Flag: YES",
	"Received: from a.example",
	"Received: from b.example",
	"X-Mailer: Thunderbird 115",
	NULL,
};

/* The message most tests run on. H may be NULL. */
static filter_input_t
sample_input(headers_t *h)
{
	filter_input_t in = {
		.from = "alice@partner.example",
		.from_name = "Alice Example",
		.to = sample_to,
		.subject = "Plugin crash in version 2/1",
		.body = "Hello,\nthe plugin crashes.\n\nOn Monday Bob wrote:\n> quoted old text\n",
		.visible = "Hello,\nthe plugin crashes.",
		.list_id = "<dev.lists.example.org>",
		.headers = h != NULL ? headers_get : NULL,
		.headers_ctx = h,
	};
	return in;
}

static filter_set_t *
set_from(const char *text)
{
	filter_set_t *set = filter_set_new(NULL);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	filter_set_add_text(set, "t.rules", text, problems);
	for (guint i = 0; i < problems->len; i++)
		g_test_message("%s", (char *)problems->pdata[i]);
	g_assert_cmpuint(problems->len, ==, 0);
	return set;
}

typedef struct {
	const char *rule;
	gboolean match;
} field_case_t;

static const field_case_t field_cases[] = {
	{ "from /@partner\\.example$/ tag=x", TRUE },
	{ "from /^alice@/ tag=x", TRUE },
	/* from is the address only; the name is from-name. */
	{ "from /Alice/ tag=x", FALSE },
	{ "from /</ tag=x", FALSE },
	{ "from-name /^Alice Example$/ tag=x", TRUE },
	{ "from-name /partner/ tag=x", FALSE },
	/* to: any recipient. */
	{ "to /^core@/ tag=x", TRUE },
	{ "to /^support@example\\.org$/ tag=x", TRUE },
	{ "to /^sales@/ tag=x", FALSE },
	{ "to !/^sales@/ tag=x", TRUE },
	{ "to !/^core@/ tag=x", FALSE },
	{ "subject /\\bplugin\\b/i tag=x", TRUE },
	{ "subject /\\bplugin\\b/ tag=x", FALSE },
	{ "subject /(?i)\\bPLUGIN\\b/ tag=x", TRUE },
	{ "subject !/plugin/i tag=x", FALSE },
	{ "subject !/printer/ tag=x", TRUE },
	{ "subject /version 2\\/1$/ tag=x", TRUE },
	{ "subject /[\\/]1$/ tag=x", TRUE },
	{ "subject /\\\\/ tag=x", FALSE },
	{ "body /quoted old text/ tag=x", TRUE },
	{ "visible /quoted old text/ tag=x", FALSE },
	{ "visible /crashes\\.$/ tag=x", TRUE },
	{ "list-id /^<dev\\.lists\\.example\\.org>$/ tag=x", TRUE },
	{ "list-id /other/ tag=x", FALSE },
	{ "header:X-Spam-Flag /^YES$/ tag=x", TRUE },
	{ "header:x-spam-flag /^YES$/ tag=x", TRUE },
	{ "header:X-SPAM-FLAG /^yes$/i tag=x", TRUE },
	{ "header:X-Spam-Flag /^NO$/ tag=x", FALSE },
	/* Every occurrence of a header. */
	{ "header:Received /b\\.example/ tag=x", TRUE },
	{ "header:Received !/c\\.example/ tag=x", TRUE },
	{ "header:Received !/example/ tag=x", FALSE },
	/* An absent header has no value: nothing matches it, '!' always does. */
	{ "header:X-Absent /^$/ tag=x", FALSE },
	{ "header:X-Absent !/./ tag=x", TRUE },
	/* Flags. */
	{ "body /^the plugin/ tag=x", FALSE },
	{ "body /^the plugin/m tag=x", TRUE },
	{ "body /crashes\\.$/ tag=x", FALSE },
	{ "body /crashes\\.$/m tag=x", TRUE },
	{ "body /Hello,.the/ tag=x", FALSE },
	{ "body /Hello,.the/s tag=x", TRUE },
	{ "subject /plugin \\s crash # a comment/ix tag=x", TRUE },
	{ "subject /plugin \\s crash/i tag=x", FALSE },
	{ "subject /^Plugin/u tag=x", TRUE },
	{ "subject /PLUGIN/imsxu tag=x", TRUE },
	/* An empty pattern matches anything, an empty value too. */
	{ "subject // tag=x", TRUE },
	{ "header:X-Absent // tag=x", FALSE },
};

static void
test_fields(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(field_cases); i++) {
		const field_case_t *c = &field_cases[i];
		g_autoptr(filter_set_t) set = set_from(c->rule);
		g_autoptr(GHashTable) asked = g_hash_table_new_full(g_str_hash, g_str_equal,
								    g_free, NULL);
		headers_t h = { sample_headers, asked };
		filter_input_t in = sample_input(&h);
		filter_outcome_t out;

		g_test_message("case %zu: %s", i, c->rule);
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		g_assert_cmpuint(out.errors->len, ==, 0);
		g_assert_cmpuint(out.matched->len, ==, c->match ? 1 : 0);
		g_assert_cmpuint(out.tags->len, ==, c->match ? 1 : 0);
		if (c->match)
			g_assert_cmpstr(out.matched->pdata[0], ==, "t.rules:1");
		filter_outcome_clear(&out);
	}
}

/* Absent single-valued fields are the empty string. */
static void
test_absent(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"from /^$/ tag=from\n"
		"from-name /^$/ tag=name\n"
		"to /./ tag=to\n"
		"to !/./ tag=noto\n"
		"subject /^$/ tag=subject\n"
		"body /^$/ tag=body\n"
		"visible /^$/ tag=visible\n"
		"list-id /^$/ tag=list\n"
		"header:Subject !/./ tag=header\n");
	filter_input_t in = { 0 };
	const char *const empty[] = { NULL };
	const char *const expect[] = {
		"from", "name", "noto", "subject", "body", "visible", "list", "header",
	};
	filter_outcome_t out;

	for (int round = 0; round < 2; round++) {
		in.to = round == 0 ? NULL : empty;
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		g_assert_cmpuint(out.tags->len, ==, G_N_ELEMENTS(expect));
		for (gsize i = 0; i < G_N_ELEMENTS(expect); i++)
			g_assert_cmpstr(out.tags->pdata[i], ==, expect[i]);
		filter_outcome_clear(&out);
	}
}

/* Unicode: \b and \w know letters beyond ASCII, caseless matching folds
 * them, and invalid UTF-8 in a value neither crashes nor matches '.'. */
static void
test_unicode(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"subject /\\bcafé\\b/ tag=word\n"
		"subject /^\\w+ \\w+ NOIR$/i tag=caseless\n"
		"subject /ÉTÉ/i tag=fold\n"
		"body /a.b/ tag=dot\n"
		"body /^a/ tag=start\n"
		"body /c$/ tag=end\n");
	filter_input_t in = { .subject = "Un café noir", .body = "a\xff" "b \xc3 c" };
	filter_outcome_t out;

	/* \b after café and "\w+ \w+ NOIR" need é to be a word character. */
	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	g_assert_cmpuint(out.errors->len, ==, 0);
	g_assert_cmpuint(out.tags->len, ==, 4);
	g_assert_cmpstr(out.tags->pdata[0], ==, "word");
	g_assert_cmpstr(out.tags->pdata[1], ==, "caseless");
	g_assert_cmpstr(out.tags->pdata[2], ==, "start");
	g_assert_cmpstr(out.tags->pdata[3], ==, "end");
	filter_outcome_clear(&out);

	in.subject = "L'été";
	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	g_assert_true(g_ptr_array_find_with_equal_func(out.tags, "fold", g_str_equal, NULL));
	g_assert_false(g_ptr_array_find_with_equal_func(out.tags, "word", g_str_equal, NULL));
	filter_outcome_clear(&out);
}

static void
test_actions(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"# every action\n"
		"subject /Plugin/ group=core priority=high tier=2 assign=Bob@EXAMPLE.org "
		"tag=plugin tag=crash cc=expert@partner.example cc=x@y.example\n"
		"\n"
		"   # an indented comment\n"
		"from /partner/ group=external tier=3 tag=crash tag=partner "
		"cc=EXPERT@partner.example\n"
		"from /nomatch/ group=never drop spam noack\n"
		"subject /crash/ priority=urgent assign=carol@example.org noack\n"
		"body /Hello/ drop\n"
		"visible /Hello/ spam\n");
	filter_input_t in = sample_input(NULL);
	filter_outcome_t out;

	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	g_assert_cmpuint(out.errors->len, ==, 0);
	/* Later rules override single-valued actions. */
	g_assert_cmpstr(out.group, ==, "external");
	g_assert_cmpstr(out.priority, ==, "urgent");
	g_assert_cmpint(out.tier, ==, 3);
	g_assert_cmpstr(out.assign, ==, "carol@example.org");
	/* Tags and cc accumulate in order, without duplicates; addresses are
	 * normalised (domain lower-cased, local part as written). */
	g_assert_cmpuint(out.tags->len, ==, 3);
	g_assert_cmpstr(out.tags->pdata[0], ==, "plugin");
	g_assert_cmpstr(out.tags->pdata[1], ==, "crash");
	g_assert_cmpstr(out.tags->pdata[2], ==, "partner");
	g_assert_cmpuint(out.cc->len, ==, 3);
	g_assert_cmpstr(out.cc->pdata[0], ==, "expert@partner.example");
	g_assert_cmpstr(out.cc->pdata[1], ==, "x@y.example");
	g_assert_cmpstr(out.cc->pdata[2], ==, "EXPERT@partner.example");
	g_assert_true(out.noack);
	g_assert_true(out.drop);
	g_assert_true(out.spam);
	g_assert_cmpuint(out.matched->len, ==, 5);
	g_assert_cmpstr(out.matched->pdata[0], ==, "t.rules:2");
	g_assert_cmpstr(out.matched->pdata[1], ==, "t.rules:5");
	g_assert_cmpstr(out.matched->pdata[2], ==, "t.rules:7");
	g_assert_cmpstr(out.matched->pdata[3], ==, "t.rules:8");
	g_assert_cmpstr(out.matched->pdata[4], ==, "t.rules:9");
	filter_outcome_clear(&out);

	/* Nothing matches: the outcome stays empty. */
	in = (filter_input_t){ .subject = "hello" };
	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	g_assert_null(out.group);
	g_assert_null(out.priority);
	g_assert_null(out.assign);
	g_assert_cmpint(out.tier, ==, 0);
	g_assert_cmpuint(out.tags->len, ==, 0);
	g_assert_cmpuint(out.cc->len, ==, 0);
	g_assert_false(out.drop || out.spam || out.noack);
	g_assert_cmpuint(out.matched->len, ==, 0);
	filter_outcome_clear(&out);
}

static void
test_stop(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"subject /Plugin/ group=core tag=a\n"
		"subject /nomatch/ stop\n"
		"subject /crash/ group=community tag=b stop\n"
		"subject /Plugin/ group=never tag=c spam\n");
	g_autoptr(GHashTable) asked = g_hash_table_new_full(g_str_hash, g_str_equal,
							    g_free, NULL);
	filter_input_t in = sample_input(NULL);
	filter_outcome_t out;

	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	g_assert_cmpstr(out.group, ==, "community");
	g_assert_cmpuint(out.tags->len, ==, 2);
	g_assert_cmpstr(out.tags->pdata[1], ==, "b");
	g_assert_false(out.spam);
	g_assert_cmpuint(out.matched->len, ==, 2);
	filter_outcome_clear(&out);

	/* A stopping rule that does not match stops nothing; after a stop,
	 * later headers are not even asked for. */
	{
		g_autoptr(filter_set_t) s2 = set_from(
			"header:X-Spam-Flag /^NO$/ spam stop\n"
			"header:X-Spam-Flag /^YES$/ spam stop\n"
			"header:X-Later /./ tag=later\n");
		headers_t h = { sample_headers, asked };

		in = sample_input(&h);
		filter_outcome_init(&out);
		filter_eval(s2, &in, &out);
		g_assert_true(out.spam);
		g_assert_cmpuint(out.matched->len, ==, 1);
		g_assert_cmpstr(out.matched->pdata[0], ==, "t.rules:2");
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(asked, "x-spam-flag")), ==, 1);
		g_assert_false(g_hash_table_contains(asked, "x-later"));
		filter_outcome_clear(&out);
	}
}

/* A header is asked for once per evaluation however many rules read it. */
static void
test_header_once(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"header:Received /a\\.example/ tag=a\n"
		"header:RECEIVED /b\\.example/ tag=b\n"
		"subject /x/ tag=s\n"
		"header:received /c\\.example/ tag=c\n"
		"header:X-Mailer /Thunderbird/ tag=t\n"
		"header:X-Absent /./ tag=n\n"
		"header:x-absent !/./ tag=m\n");
	g_autoptr(GHashTable) asked = g_hash_table_new_full(g_str_hash, g_str_equal,
							    g_free, NULL);
	headers_t h = { sample_headers, asked };
	filter_input_t in = sample_input(&h);
	filter_outcome_t out;

	for (guint round = 1; round <= 2; round++) {
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		g_assert_cmpuint(out.tags->len, ==, 4);
		g_assert_cmpuint(g_hash_table_size(asked), ==, 3);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(asked, "received")), ==, round);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(asked, "x-mailer")), ==, round);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(asked, "x-absent")), ==, round);
		filter_outcome_clear(&out);
	}
}

typedef struct {
	const char *text;
	const char *problem; /* the first problem, exactly; NULL: none */
	guint count;         /* how many problems */
} syntax_case_t;

static const syntax_case_t syntax_cases[] = {
	{ "subject /(abc/ tag=x", "t.rules:1: error at offset 4: missing closing parenthesis", 1 },
	{ "\n\n# c\nbody /a[b/ tag=x",
	  "t.rules:4: error at offset 3: missing terminating ] for character class", 1 },
	{ "subject /a{2,1}/ tag=x",
	  "t.rules:1: error at offset 5: numbers out of order in {} quantifier", 1 },
	{ "subject /(?<n>a)(?<n>b)/ tag=x",
	  "t.rules:1: error at offset 12: two named subpatterns have the same name "
	  "(PCRE2_DUPNAMES not set)", 1 },
	{ "subject /a\\C/ tag=x",
	  "t.rules:1: error at offset 3: using \\C is disabled by the application", 1 },
	{ "subjet /x/ tag=x",
	  "t.rules:1: unknown field 'subjet' (from, from-name, to, subject, body, "
	  "visible, list-id, header:NAME)", 1 },
	{ "Subject /x/ tag=x",
	  "t.rules:1: unknown field 'Subject' (from, from-name, to, subject, body, "
	  "visible, list-id, header:NAME)", 1 },
	{ "header: /x/ tag=x",
	  "t.rules:1: bad header name '' (printable ASCII but ':', 1 to 128 characters)", 1 },
	{ "header:a:b /x/ tag=x",
	  "t.rules:1: bad header name 'a:b' (printable ASCII but ':', 1 to 128 characters)", 1 },
	{ "subject /x/ grup=core", "t.rules:1: unknown action 'grup=core'", 1 },
	{ "subject /x/ tag=a dropp", "t.rules:1: unknown action 'dropp'", 1 },
	{ "subject /x/ tier=9", "t.rules:1: tier=9: not a tier from 1 to 4", 1 },
	{ "subject /x/ tier=0", "t.rules:1: tier=0: not a tier from 1 to 4", 1 },
	{ "subject /x/ tier=two", "t.rules:1: tier=two: not a tier from 1 to 4", 1 },
	{ "subject /x/ priority=x",
	  "t.rules:1: priority=x: not one of low, normal, high, urgent", 1 },
	{ "subject /x/ priority=High",
	  "t.rules:1: priority=High: not one of low, normal, high, urgent", 1 },
	{ "subject /x/ group=", "t.rules:1: group= needs a value", 1 },
	{ "subject /x/ group=a group=b", "t.rules:1: group= given twice", 1 },
	{ "subject /x/ tier=1 tier=2", "t.rules:1: tier= given twice", 1 },
	{ "subject /x/ assign=bob", "t.rules:1: assign=bob: not a mail address", 1 },
	{ "subject /x/ cc=@example.org", "t.rules:1: cc=@example.org: not a mail address", 1 },
	{ "subject /x/ tag=a,b",
	  "t.rules:1: tag=a,b: a tag is 1 to 64 bytes of letters, digits and - _ . : + /", 1 },
	{ "subject /x/", "t.rules:1: no action after the pattern (group=, priority=, "
	  "tier=, assign=, tag=, cc=, drop, spam, noack, stop)", 1 },
	{ "subject", "t.rules:1: no pattern after 'subject' (expected /PATTERN/)", 1 },
	{ "subject x/ tag=a", "t.rules:1: expected /PATTERN/ after 'subject', found 'x/'", 1 },
	{ "subject ! /x/ tag=a", "t.rules:1: '!' goes right before the pattern: !/PATTERN/", 1 },
	{ "subject !x tag=a", "t.rules:1: expected /PATTERN/ after 'subject !', found 'x'", 1 },
	{ "subject /abc tag=x",
	  "t.rules:1: pattern not closed: no '/' after '/abc tag=x' (write a '/' inside "
	  "the pattern as '\\/')", 1 },
	{ "subject /abc\\/ tag=x",
	  "t.rules:1: pattern not closed: no '/' after '/abc\\/ tag=x' (write a '/' "
	  "inside the pattern as '\\/')", 1 },
	{ "subject /x/q tag=a", "t.rules:1: unknown flag 'q' (i, m, s, x, u)", 1 },
	{ "subject /x/ig tag=a", "t.rules:1: unknown flag 'g' (i, m, s, x, u)", 1 },
	{ "subject /x/é tag=a", "t.rules:1: unknown flag 'é' (i, m, s, x, u)", 1 },
	{ "subject /x/ tag=a\u202Fb",
	  "t.rules:1: tag=a\u202Fb: a tag is 1 to 64 bytes of letters, digits and - _ . : + /", 1 },
	{ "subject /x/ tag=Größe tag=工单 tag=a-b_c.d:e+f/g", NULL, 0 },
	{ "subject /x\xff/ tag=a", "t.rules:1: not valid UTF-8", 1 },
	/* Several problems on a line are all reported. */
	{ "subjet /(x/ tier=7 frob", "t.rules:1: unknown field 'subjet' (from, from-name, "
	  "to, subject, body, visible, list-id, header:NAME)", 4 },
	/* Each bad line is reported; good lines around them still count. */
	{ "subject /a/ tag=a\nsubject /(/ tag=b\nsubject /b/ tag=c\nbody /x/ tier=5\n",
	  "t.rules:2: error at offset 1: missing closing parenthesis", 2 },
	/* CRLF line ends are fine. */
	{ "subject /a$/ tag=a\r\nsubject /b/ tag=b\r\n", NULL, 0 },
	{ "  \t\n\t# comment\n# subject /(/\n", NULL, 0 },
	{ "", NULL, 0 },
};

static void
test_syntax(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(syntax_cases); i++) {
		const syntax_case_t *c = &syntax_cases[i];
		g_autoptr(filter_set_t) set = filter_set_new(NULL);
		g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
		g_autofree char *shown = g_strescape(c->text, NULL);
		gboolean ok;

		g_test_message("case %zu: %s", i, shown);
		ok = filter_set_add_text(set, "t.rules", c->text, problems);
		for (guint j = 0; j < problems->len; j++)
			g_test_message("  %s", (char *)problems->pdata[j]);
		g_assert_cmpint(ok, ==, c->problem == NULL);
		g_assert_cmpuint(problems->len, ==, c->count);
		if (c->problem != NULL)
			g_assert_cmpstr(problems->pdata[0], ==, c->problem);
	}
}

static void
test_several_problems(void)
{
	g_autoptr(filter_set_t) set = filter_set_new(NULL);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const char *const expect[] = {
		"f.rules:1: unknown field 'subjet' (from, from-name, to, subject, body, "
		"visible, list-id, header:NAME)",
		"f.rules:1: error at offset 2: missing closing parenthesis",
		"f.rules:1: tier=7: not a tier from 1 to 4",
		"f.rules:1: unknown action 'frob'",
		"f.rules:3: priority=soon: not one of low, normal, high, urgent",
	};

	g_assert_false(filter_set_add_text(set, "f.rules",
					   "subjet /(x/ tier=7 frob\n"
					   "subject /ok/ tag=ok\n"
					   "subject /x/ priority=soon\n", problems));
	g_assert_cmpuint(problems->len, ==, G_N_ELEMENTS(expect));
	for (gsize i = 0; i < G_N_ELEMENTS(expect); i++)
		g_assert_cmpstr(problems->pdata[i], ==, expect[i]);
	/* The good line is a rule. */
	g_assert_cmpuint(filter_set_count(set), ==, 1);
	g_assert_cmpstr(filter_set_rule_text(set, 0), ==, "f.rules:2: subject /ok/ tag=ok");
}

static void
test_rule_text(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"  subject\t\t!/a\\/b/ix   group=core \t tag=t stop  \n"
		"header:X-Foo /^x$/ spam\n");

	g_assert_cmpuint(filter_set_count(set), ==, 2);
	g_assert_cmpstr(filter_set_rule_text(set, 0), ==,
			"t.rules:1: subject !/a\\/b/ix group=core tag=t stop");
	g_assert_cmpstr(filter_set_rule_text(set, 1), ==, "t.rules:2: header:X-Foo /^x$/ spam");
}

static void
test_line_limits(void)
{
	filter_limits_t lim;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) text = g_string_new("subject /a/ tag=a\nsubject /");

	filter_limits_init(&lim);
	lim.max_line = 100;
	lim.max_rules = 3;
	{
		g_autoptr(filter_set_t) set = filter_set_new(&lim);

		g_autofree char *x84 = g_strnfill(84, 'x');

		/* Exactly max_line bytes is allowed, one more is not; the CR of
		 * a CRLF does not count. */
		g_assert_cmpuint(strlen("subject /") + 84 + strlen("/ tag=b"), ==, 100);
		g_string_append_printf(text, "%s/ tag=b\r\n", x84);
		g_string_append_printf(text, "subject /%sx/ tag=c\n", x84);
		g_assert_false(filter_set_add_text(set, "t.rules", text->str, problems));
		g_assert_cmpuint(problems->len, ==, 1);
		g_assert_cmpstr(problems->pdata[0], ==, "t.rules:3: line longer than 100 bytes");
		g_assert_cmpuint(filter_set_count(set), ==, 2);
	}
	g_ptr_array_set_size(problems, 0);
	{
		g_autoptr(filter_set_t) set = filter_set_new(&lim);

		/* More rules than max_rules: the rest of the text is not read. */
		g_assert_false(filter_set_add_text(set, "t.rules",
						   "subject /a/ tag=a\n# c\n\nsubject /b/ tag=b\n"
						   "subject /c/ tag=c\nsubject /d/ tag=d\n"
						   "subject /e/ tag=e\n", problems));
		g_assert_cmpuint(problems->len, ==, 1);
		g_assert_cmpstr(problems->pdata[0], ==, "t.rules:6: more than 3 rules");
		g_assert_cmpuint(filter_set_count(set), ==, 3);
	}
}

/* Catastrophic backtracking hits the match limit: the rule does not match
 * (negated or not), the error names it, and later rules still run. With
 * the interpreter, deep recursion hits the depth limit the same way. */
static void
test_match_limit(void)
{
	for (int jit = 0; jit < 2; jit++) {
		filter_limits_t lim;
		g_autoptr(filter_set_t) set = NULL;
		g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
		g_autofree char *body = g_strnfill(40, 'a');
		g_autofree char *subject = g_strconcat(body, "b", NULL);
		filter_input_t in = { .subject = subject, .body = body };
		filter_outcome_t out;
		gint64 start;

		filter_limits_init(&lim);
		lim.jit = jit;
		set = filter_set_new(&lim);
		g_assert_true(filter_set_add_text(set, "t.rules",
						  "subject /(a+)+$/ tag=bad\n"
						  "subject !/(a+)+$/ tag=negated\n"
						  "body /(a+)+$/ tag=fine\n"
						  "subject /b$/ tag=after\n", problems));
		g_test_message("jit %d", jit);
		start = g_get_monotonic_time();
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		/* Bounded: a million steps take milliseconds, not 2^40. */
		g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
		g_assert_cmpuint(out.errors->len, ==, 2);
		g_assert_cmpstr(out.errors->pdata[0], ==, "t.rules:1: match limit exceeded in subject");
		g_assert_cmpstr(out.errors->pdata[1], ==, "t.rules:2: match limit exceeded in subject");
		g_assert_cmpuint(out.tags->len, ==, 2);
		g_assert_cmpstr(out.tags->pdata[0], ==, "fine");
		g_assert_cmpstr(out.tags->pdata[1], ==, "after");
		g_assert_cmpuint(out.matched->len, ==, 2);
		g_assert_cmpstr(out.matched->pdata[0], ==, "t.rules:3");
		filter_outcome_clear(&out);
	}
	{
		/* The interpreter's depth limit: each repetition of a group
		 * with alternatives keeps a backtracking point. */
		filter_limits_t lim;
		g_autoptr(filter_set_t) set = NULL;
		g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
		g_autofree char *as = g_strnfill(5000, 'a');
		g_autofree char *subject = g_strconcat(as, "c", NULL);
		filter_input_t in = { .subject = subject };
		filter_outcome_t out;

		filter_limits_init(&lim);
		lim.jit = FALSE;
		lim.depth_limit = 100;
		set = filter_set_new(&lim);
		g_assert_true(filter_set_add_text(set, "t.rules", "subject /(a|b)*c/ tag=x\n",
						  problems));
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		g_assert_cmpuint(out.errors->len, ==, 1);
		g_assert_cmpstr(out.errors->pdata[0], ==,
				"t.rules:1: matching depth limit exceeded in subject");
		g_assert_cmpuint(out.matched->len, ==, 0);
		filter_outcome_clear(&out);
	}
}

static void
test_validate(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"subject /a/ group=core assign=alice@example.org\n"
		"subject /b/ group=nope\n"
		"subject /c/ assign=ALICE@Example.ORG cc=anyone@else.example\n"
		"subject /d/ assign=mallory@example.org group=community\n");
	const char *const groups[] = { "core", "community", NULL };
	const char *const members[] = { "bob@example.org", "ALICE@example.org", NULL };
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	g_assert_false(filter_set_validate(set, groups, members, problems));
	g_assert_cmpuint(problems->len, ==, 3);
	/* Local parts are case-sensitive (RFC 5321), domains are not. */
	g_assert_cmpstr(problems->pdata[0], ==, "t.rules:1: unknown member 'alice@example.org'");
	g_assert_cmpstr(problems->pdata[1], ==, "t.rules:2: unknown group 'nope'");
	g_assert_cmpstr(problems->pdata[2], ==, "t.rules:4: unknown member 'mallory@example.org'");

	/* No config lists: every group= and assign= is unknown. */
	g_ptr_array_set_size(problems, 0);
	g_assert_false(filter_set_validate(set, NULL, NULL, problems));
	g_assert_cmpuint(problems->len, ==, 6);

	g_ptr_array_set_size(problems, 0);
	{
		g_autoptr(filter_set_t) ok = set_from("subject /a/ group=core tag=x\n");

		g_assert_true(filter_set_validate(ok, groups, NULL, problems));
		g_assert_cmpuint(problems->len, ==, 0);
	}
}

typedef struct {
	const char *pattern;  /* between the slashes */
	const char *literals; /* "a|b": one of them; NULL: none known */
} literal_case_t;

static const literal_case_t literal_cases[] = {
	{ "\\bstorage\\b", "storage" },
	{ "@partner\\.example$", "@partner.example" },
	{ "^\\s*YES\\b", "yes" },
	{ "ABC", "abc" },
	{ "(?i)\\bPLUGIN\\b", "plugin" },
	{ "a\\.b\\/c", "a.b/c" },
	{ "\\d+ tickets", " tickets" },
	{ "\\b(?:ios|csv)\\b", "ios|csv" },
	{ "(?:abc|DEF)", "abc|def" },
	{ "(abc|def)x", "abc|def" },
	{ "(a|b)+abcd", "abcd" },
	/* The longest run wins over a group. */
	{ "(?:abc|def) ghij", " ghij" },
	/* Quantified characters and groups are left out. */
	{ "abcd?", "abc" },
	{ "abc*def", "def" },
	{ "ab{2}cde", "cde" },
	{ "x{,3}abc", "abc" },
	{ "a++bcd", "bcd" },
	{ "x*?yzw", "yzw" },
	{ "(abc)+xyz", "xyz" },
	{ "(?:abcd|efgh)?", NULL },
	{ "(?:abcd|efgh){0,1}", NULL },
	/* A brace that is no quantifier is a literal. */
	{ "a{x}yz", "a{x}yz" },
	/* Escapes with arguments, classes and comments are skipped. */
	{ "\\x{41}bcd", "bcd" },
	{ "\\x41bcd", "bcd" },
	{ "\\p{Lu}abc", "abc" },
	{ "\\pLabc", "abc" },
	{ "(?<n>x)\\k<n>abc", "abc" },
	{ "\\cAabc", "abc" },
	{ "(a)\\1bcd", "bcd" },
	{ "[abc]def", "def" },
	{ "[]abc]xyz", "xyz" },
	{ "[^]a]xyz", "xyz" },
	{ "[[:alpha:]]xyz", "xyz" },
	{ "[\\]]xyz", "xyz" },
	{ "(?#comment ( )abc", "abc" },
	{ "(?=abc)\\w+", NULL },
	{ "(?<name>abc)", NULL },
	{ "(?:abc|(def))", NULL },
	{ "(?:a.c|def)", NULL },
	{ "(a)\\g1bcd", "bcd" },
	{ "(a)\\g-1bcd", "bcd" },
	{ "(a)\\g{1}bcd", "bcd" },
	{ "(?:abc(*ACCEPT))defg", NULL },
	{ "\\b(?:a|csv)\\b", NULL },
	{ "café", "caf" },
	{ "ab\\Bcd", NULL },
	{ "[a-z]{3}", NULL },
	{ "", NULL },
	/* What it does not read, it leaves alone. */
	{ "foo|barbaz", NULL },
	{ "\\Qa.b\\E", NULL },
	{ "(*UTF)abcdef", NULL },
	{ "abc(*ACCEPT)def", NULL },
	{ "(?x) a b c", NULL },
	{ "abc(?x: d e)", NULL },
};

static void
test_literals(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(literal_cases); i++) {
		const literal_case_t *c = &literal_cases[i];
		g_autofree char *rule = g_strdup_printf("subject /%s/ tag=x", c->pattern);
		g_autoptr(filter_set_t) set = set_from(rule);
		const char *const *lits = filter_set_rule_literals(set, 0);
		g_autofree char *joined = lits != NULL ? g_strjoinv("|", (char **)lits) : NULL;

		g_test_message("case %zu: %s", i, c->pattern);
		g_assert_cmpstr(joined, ==, c->literals);
	}
	{
		/* Extended mode is not read; the prefilter can be off. */
		g_autoptr(filter_set_t) set = set_from("subject /abc/x tag=x");
		filter_limits_t lim;
		g_autoptr(filter_set_t) off = NULL;
		g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

		g_assert_null(filter_set_rule_literals(set, 0));
		filter_limits_init(&lim);
		lim.prefilter = FALSE;
		off = filter_set_new(&lim);
		g_assert_true(filter_set_add_text(off, "t.rules", "subject /abc/ tag=x", problems));
		g_assert_null(filter_set_rule_literals(off, 0));
	}
}

/* The prefilter folds ASCII case, U+017F and U+212A: exactly the code
 * points PCRE2 (UTF, UCP, caseless) lets an ASCII character match besides
 * its own two cases. Checked on all of Unicode, so that a PCRE2 with other
 * case folding fails here rather than losing matches. */
static void
test_fold_codepoints(void)
{
	int err = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "^[\\x{20}-\\x{7e}]$", PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &err, &off, NULL);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	g_autoptr(GString) found = g_string_new(NULL);

	g_assert_nonnull(re);
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	for (gunichar u = 0x80; u < 0x110000; u++) {
		char buf[8];
		int len;

		if (u >= 0xd800 && u < 0xe000)
			continue;
		len = g_unichar_to_utf8(u, buf);
		if (pcre2_match(re, (PCRE2_SPTR)buf, (PCRE2_SIZE)len, 0, 0, md, NULL) >= 0)
			g_string_append_printf(found, "U+%04X ", u);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	g_assert_cmpstr(found->str, ==, "U+017F U+212A ");

	{
		/* And the prefilter lets them through. */
		g_autoptr(filter_set_t) set = set_from(
			"subject /storage/i tag=s\nsubject /\\bkelvin\\b/i tag=k\n"
			"subject /STORAGE/ tag=no\n");
		filter_input_t in = { .subject = "ſtorage of \xe2\x84\xaa" "ELVIN" };
		filter_outcome_t out;

		g_assert_nonnull(filter_set_rule_literals(set, 0));
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		g_assert_cmpuint(out.tags->len, ==, 2);
		g_assert_cmpstr(out.tags->pdata[0], ==, "s");
		g_assert_cmpstr(out.tags->pdata[1], ==, "k");
		filter_outcome_clear(&out);
	}
}

/* Random patterns from pieces that the literal reader must get right,
 * on random texts: the prefilter never changes an outcome. */
static const char *const pattern_pieces[] = {
	"abc", "ABC", "s", "S", "k", "K", "tor", "age", "x", "yz", "\\.", "\\/", " ", "é",
	"(?:abc|xyz)", "(abc|kel)", "(?:ab|c)", "(?i)", "(?-i)", "[a-c]", "[]s]", "[^k]",
	"\\d", "\\w", "\\s", "\\b", "\\B", ".", "^", "$", "*", "+", "?", "{2}", "{1,}", "{,2}",
	"{x}", "*?", "++", "(?=ab)", "(?!s)", "(?<=c)", "\\x{73}", "\\x6b", "\\p{Ll}",
	"(?#c)", "|", "(", ")", "\\Q.\\E", "\\1", "(a)", "(?:t.r|abc)", "(?:s e|kst)",
	"\\g1", "\\g{-1}", "(*ACCEPT)", "(?:x(*ACCEPT))", "\\x{17f}", "a{}", "{", "}", "]",
};
static const char *const text_pieces[] = {
	"a", "b", "c", "s", "S", "ſ", "k", "K", "\xe2\x84\xaa", "t", "o", "r", "g", "e", "x",
	"y", "z", " ", ".", "/", "\n", "1", "é", "É", "ABC", "abc", "storage", "\xff",
};

static void
test_prefilter_same(void)
{
	g_autoptr(GRand) rnd = g_rand_new_with_seed(7);
	g_autoptr(GString) rules = g_string_new(NULL);
	g_autoptr(filter_set_t) with = filter_set_new(NULL);
	g_autoptr(filter_set_t) without = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	filter_limits_t lim;
	guint with_literals = 0, matches = 0;

	filter_limits_init(&lim);
	lim.prefilter = FALSE;
	without = filter_set_new(&lim);
	for (gsize i = 0; i < G_N_ELEMENTS(literal_cases); i++)
		g_string_append_printf(rules, "subject /%s/i tag=x\nsubject /%s/ tag=x\n",
				       literal_cases[i].pattern, literal_cases[i].pattern);
	for (int i = 0; i < 3000; i++) {
		int pieces = g_rand_int_range(rnd, 1, 7);

		g_string_append(rules, g_rand_boolean(rnd) ? "subject /" : "subject !/");
		for (int j = 0; j < pieces; j++)
			g_string_append(rules, pattern_pieces[g_rand_int_range(
				rnd, 0, G_N_ELEMENTS(pattern_pieces))]);
		g_string_append(rules, g_rand_boolean(rnd) ? "/ tag=x\n" : "/i tag=x\n");
	}
	/* Some random patterns do not compile; both sets skip them alike. */
	filter_set_add_text(with, "t.rules", rules->str, problems);
	filter_set_add_text(without, "t.rules", rules->str, problems);
	g_assert_cmpuint(filter_set_count(with), ==, filter_set_count(without));
	g_assert_cmpuint(filter_set_count(with), >, 2000);
	for (guint i = 0; i < filter_set_count(with); i++)
		with_literals += filter_set_rule_literals(with, i) != NULL;
	g_assert_cmpuint(with_literals, >, 500);

	for (int t = 0; t < 300; t++) {
		g_autoptr(GString) text = g_string_new(NULL);
		/* Short texts, and long ones that fill the trigram table. */
		int pieces = t < 270 ? g_rand_int_range(rnd, 0, 30) : g_rand_int_range(rnd, 500, 5000);
		filter_input_t in = { 0 };
		filter_outcome_t a, b;

		for (int j = 0; j < pieces; j++)
			g_string_append(text, text_pieces[g_rand_int_range(
				rnd, 0, G_N_ELEMENTS(text_pieces))]);
		in.subject = text->str;
		filter_outcome_init(&a);
		filter_outcome_init(&b);
		filter_eval(with, &in, &a);
		filter_eval(without, &in, &b);
		g_assert_cmpuint(a.matched->len, ==, b.matched->len);
		for (guint j = 0; j < a.matched->len; j++)
			g_assert_cmpstr(a.matched->pdata[j], ==, b.matched->pdata[j]);
		g_assert_cmpuint(a.errors->len, ==, 0);
		matches += a.matched->len;
		filter_outcome_clear(&a);
		filter_outcome_clear(&b);
	}
	g_test_message("%u rules, %u with literals, %u matches", filter_set_count(with),
		       with_literals, matches);
	g_assert_cmpuint(matches, >, 1000);
}

static void
write_file(const char *dir, const char *name, const char *text, gssize len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, text, len, &error));
	g_assert_no_error(error);
}

static void
remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			remove_tree(path);
		else
			g_unlink(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

static void
test_load_dir(void)
{
	g_autofree char *dir = g_dir_make_tmp("pd-filter-XXXXXX", NULL);
	g_autofree char *sub = g_build_filename(dir, "dir.rules", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(filter_set_t) set = NULL;
	filter_input_t in = { .subject = "x" };
	filter_outcome_t out;
	const char *const order[] = { "10-a", "20-b", "9-c", "B-upper", "a-lower" };

	/* Name order is bytewise: digits, upper case, lower case. */
	write_file(dir, "a-lower.rules", "subject /x/ tag=a-lower group=a\n", -1);
	write_file(dir, "9-c.rules", "subject /x/ tag=9-c group=c\n", -1);
	write_file(dir, "B-upper.rules", "subject /x/ tag=B-upper\n", -1);
	write_file(dir, "20-b.rules", "# b\nsubject /x/ tag=20-b\n", -1);
	write_file(dir, "10-a.rules", "subject /x/ tag=10-a group=first\n", -1);
	/* Not read: other names, dot files, directories. */
	write_file(dir, "README", "not a rule\n", -1);
	write_file(dir, "old.rules.bak", "not a rule\n", -1);
	write_file(dir, ".hidden.rules", "not a rule\n", -1);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);

	set = filter_set_load_dir(dir, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(filter_set_count(set), ==, 5);
	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	g_assert_cmpuint(out.tags->len, ==, G_N_ELEMENTS(order));
	for (gsize i = 0; i < G_N_ELEMENTS(order); i++) {
		g_autofree char *where = g_strdup_printf("%s/%s.rules:%d", dir, order[i],
							 i == 1 ? 2 : 1);

		g_assert_cmpstr(out.tags->pdata[i], ==, order[i]);
		g_assert_cmpstr(out.matched->pdata[i], ==, where);
	}
	g_assert_cmpstr(out.group, ==, "a");
	filter_outcome_clear(&out);
	g_clear_pointer(&set, filter_set_free);

	/* A missing directory is no rules. */
	set = filter_set_load_dir(missing, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(filter_set_count(set), ==, 0);
	g_clear_pointer(&set, filter_set_free);

	/* Problems of every file, one a line, in file order. */
	write_file(dir, "15-bad.rules", "subject /(/ tag=x\n\nsubject /x/ tier=5\n", -1);
	write_file(dir, "30-nul.rules", "subject /x/\0 tag=x\n", 19);
	set = filter_set_load_dir(dir, NULL, &error);
	g_assert_null(set);
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	{
		g_autofree char *expect = g_strdup_printf(
			"%s/15-bad.rules:1: error at offset 1: missing closing parenthesis\n"
			"%s/15-bad.rules:3: tier=5: not a tier from 1 to 4\n"
			"%s/30-nul.rules:0: holds a NUL byte: not a rules file",
			dir, dir, dir);

		g_assert_cmpstr(error->message, ==, expect);
	}
	g_clear_error(&error);

	/* Bounds: file size and number of files. */
	{
		filter_limits_t lim;

		filter_limits_init(&lim);
		lim.max_file_size = 30;
		set = filter_set_load_dir(dir, &lim, &error);
		g_assert_null(set);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_nonnull(strstr(error->message, "/15-bad.rules:0: input is 38 bytes, "
					"over the cap of 30"));
		g_clear_error(&error);

		filter_limits_init(&lim);
		lim.max_files = 6;
		set = filter_set_load_dir(dir, &lim, &error);
		g_assert_null(set);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		{
			g_autofree char *expect = g_strdup_printf("%s:0: more than 6 *.rules files",
								  dir);

			g_assert_cmpstr(error->message, ==, expect);
		}
		g_clear_error(&error);
	}

	/* A file where the directory should be. */
	{
		g_autofree char *file = g_build_filename(dir, "README", NULL);

		set = filter_set_load_dir(file, NULL, &error);
		g_assert_null(set);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_true(g_str_has_prefix(error->message, file));
		g_clear_error(&error);
	}
	remove_tree(dir);
}

typedef struct {
	const char *name;
	const char *from;
	const char *subject;
	const char *const headers[5]; /* NULL-terminated */
	const char *list_id;
	gboolean noack, spam;
	const char *tag; /* the first tag, NULL: none */
} shipped_case_t;

static const shipped_case_t shipped_cases[] = {
	{ "plain customer mail", "ann@customer.example", "Printer broken",
	  { "X-Mailer: Thunderbird 115", "Auto-Submitted: no" }, NULL, FALSE, FALSE, NULL },
	{ "customer writes about auto-replies", "ann@customer.example",
	  "The automatic reply feature: it is broken", { NULL }, NULL, FALSE, FALSE, NULL },
	{ "RFC 3834 auto-reply", "ann@customer.example", "Re: Printer broken",
	  { "Auto-Submitted: auto-replied" }, NULL, TRUE, FALSE, "auto-reply" },
	{ "RFC 3834 generated", "ann@customer.example", "Your order",
	  { "Auto-Submitted: auto-generated" }, NULL, TRUE, FALSE, "automatic" },
	{ "Auto-Submitted no with a comment", "ann@customer.example", "Hi",
	  { "Auto-Submitted: no (a person wrote this)" }, NULL, FALSE, FALSE, NULL },
	{ "X-Autoreply", "ann@customer.example", "Re: Printer",
	  { "X-Autoreply: yes" }, NULL, TRUE, FALSE, "auto-reply" },
	{ "Precedence auto_reply", "ann@customer.example", "Re: Printer",
	  { "Precedence: auto_reply" }, NULL, TRUE, FALSE, "auto-reply" },
	{ "Outlook", "ann@customer.example", "Automatic reply: Printer broken",
	  { "X-Auto-Response-Suppress: All" }, NULL, TRUE, FALSE, "automatic" },
	{ "English out of office", "ann@customer.example", "Out of Office: Printer broken",
	  { NULL }, NULL, TRUE, FALSE, "auto-reply" },
	{ "German", "ann@customer.example", "Abwesenheitsnotiz: Drucker", { NULL }, NULL,
	  TRUE, FALSE, "auto-reply" },
	{ "French", "ann@customer.example", "Réponse automatique : Imprimante", { NULL }, NULL,
	  TRUE, FALSE, "auto-reply" },
	{ "Spanish", "ann@customer.example", "Respuesta automática: Impresora", { NULL }, NULL,
	  TRUE, FALSE, "auto-reply" },
	{ "Chinese", "ann@customer.example", "自动回复：打印机", { NULL }, NULL, TRUE, FALSE,
	  "auto-reply" },
	{ "Russian", "ann@customer.example", "Автоответ: Принтер", { NULL }, NULL, TRUE, FALSE,
	  "auto-reply" },
	{ "no-reply sender", "no-reply@shop.example", "Your order", { NULL }, NULL, TRUE, FALSE,
	  "automatic" },
	{ "noreply with a suffix", "noreply+bounces@shop.example", "Your order", { NULL }, NULL,
	  TRUE, FALSE, "automatic" },
	{ "a person called Noreen", "noreen@customer.example", "Hi", { NULL }, NULL, FALSE, FALSE,
	  NULL },
	{ "bulk", "news@shop.example", "Sale", { "Precedence: bulk" }, NULL, TRUE, FALSE, "bulk" },
	{ "list", "dev@lists.example", "[dev] patch", { NULL }, "<dev.lists.example>", TRUE, FALSE,
	  "list" },
	{ "newsletter", "news@shop.example", "Sale",
	  { "List-Unsubscribe: <https://shop.example/u/1>" }, NULL, TRUE, FALSE, "bulk" },
	{ "Mailchimp", "news@shop.example", "Sale", { "X-Mailer: MailChimp Mailer - **CIDabc**" },
	  NULL, TRUE, FALSE, "bulk" },
	{ "SpamAssassin yes", "x@spam.example", "Win", { "X-Spam-Flag: YES" }, NULL, FALSE, TRUE,
	  "spam" },
	{ "SpamAssassin status", "x@spam.example", "Win",
	  { "X-Spam-Status: Yes, score=12.1 required=5.0 tests=BAYES_99" }, NULL, FALSE, TRUE,
	  "spam" },
	{ "SpamAssassin says no", "ann@customer.example", "Printer",
	  { "X-Spam-Status: No, score=-0.1 required=5.0", "X-Spam-Flag: NO",
	    "X-Spam-Level: " }, NULL, FALSE, FALSE, NULL },
	{ "forged NO besides the real YES", "x@spam.example", "Win",
	  { "X-Spam-Flag: NO", "X-Spam-Flag: YES" }, NULL, FALSE, TRUE, "spam" },
	{ "SpamAssassin level", "x@spam.example", "Win", { "X-Spam-Level: *********" }, NULL,
	  FALSE, TRUE, "spam" },
	{ "SpamAssassin low level", "ann@customer.example", "Win", { "X-Spam-Level: ***" }, NULL,
	  FALSE, FALSE, NULL },
	{ "rspamd", "x@spam.example", "Win", { "X-Rspamd-Action: add header" }, NULL, FALSE, TRUE,
	  "spam" },
	{ "rspamd no action", "ann@customer.example", "Printer",
	  { "X-Rspamd-Action: no action", "X-Spam: No" }, NULL, FALSE, FALSE, NULL },
	{ "rspamd X-Spam", "x@spam.example", "Win", { "X-Spam: Yes" }, NULL, FALSE, TRUE, "spam" },
	{ "Exchange SCL", "x@spam.example", "Win", { "X-MS-Exchange-Organization-SCL: 9" }, NULL,
	  FALSE, TRUE, "spam" },
	{ "Exchange trusted", "ann@customer.example", "Printer",
	  { "X-MS-Exchange-Organization-SCL: -1" }, NULL, FALSE, FALSE, NULL },
	/* Spam that is also bulk: the bulk rule came first, spam stops. */
	{ "spam newsletter", "news@spam.example", "Win", { "Precedence: bulk", "X-Spam-Flag: YES" },
	  NULL, TRUE, TRUE, "bulk" },
};

static GPtrArray *
case_headers(gpointer ctx, const char *name)
{
	return header_values(((const shipped_case_t *)ctx)->headers, name);
}

static void
test_shipped(void)
{
	g_autofree char *dir = unit_srcdir_path("filters");
	g_autoptr(GError) error = NULL;
	g_autoptr(filter_set_t) set = filter_set_load_dir(dir, NULL, &error);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	g_assert_no_error(error);
	g_assert_cmpuint(filter_set_count(set), >=, 20);
	/* They name no group or member, so any config accepts them. */
	g_assert_true(filter_set_validate(set, NULL, NULL, problems));
	for (gsize i = 0; i < G_N_ELEMENTS(shipped_cases); i++) {
		const shipped_case_t *c = &shipped_cases[i];
		const char *const to[] = { "support@example.org", NULL };
		filter_input_t in = {
			.from = c->from, .subject = c->subject, .to = to,
			.body = "Hello", .visible = "Hello", .list_id = c->list_id,
			.headers = case_headers, .headers_ctx = (gpointer)c,
		};
		filter_outcome_t out;

		g_test_message("case %zu: %s", i, c->name);
		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		for (guint j = 0; j < out.matched->len; j++)
			g_test_message("  matched %s", (char *)out.matched->pdata[j]);
		g_assert_cmpuint(out.errors->len, ==, 0);
		g_assert_cmpint(out.noack, ==, c->noack);
		g_assert_cmpint(out.spam, ==, c->spam);
		g_assert_false(out.drop);
		g_assert_null(out.group);
		if (c->tag == NULL)
			g_assert_cmpuint(out.tags->len, ==, 0);
		else
			g_assert_cmpstr(out.tags->len > 0 ? out.tags->pdata[0] : NULL, ==, c->tag);
		filter_outcome_clear(&out);
	}
}

/* One set, several threads: filter_eval only reads the set. */
typedef struct {
	const filter_set_t *set;
	guint matches;
} thread_arg_t;

static gpointer
eval_thread(gpointer p)
{
	thread_arg_t *a = p;
	g_autoptr(GHashTable) asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	headers_t h = { sample_headers, asked };
	filter_input_t in = sample_input(&h);

	for (int i = 0; i < 300; i++) {
		filter_outcome_t out;

		filter_outcome_init(&out);
		filter_eval(a->set, &in, &out);
		a->matches += out.matched->len;
		filter_outcome_clear(&out);
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autoptr(filter_set_t) set = set_from(
		"subject /\\bplugin\\b/i tag=a\n"
		"header:Received /b\\.example$/ tag=b\n"
		"body /(?:crash|hang|freeze)e?s?/ tag=c\n"
		"from /@nomatch\\.example$/ tag=d\n");
	thread_arg_t args[4];
	GThread *threads[G_N_ELEMENTS(args)];

	for (gsize i = 0; i < G_N_ELEMENTS(args); i++) {
		args[i] = (thread_arg_t){ set, 0 };
		threads[i] = g_thread_new("eval", eval_thread, &args[i]);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(args); i++) {
		g_thread_join(threads[i]);
		g_assert_cmpuint(args[i].matches, ==, 300 * 3);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/filter/fields", test_fields);
	g_test_add_func("/filter/absent", test_absent);
	g_test_add_func("/filter/unicode", test_unicode);
	g_test_add_func("/filter/actions", test_actions);
	g_test_add_func("/filter/stop", test_stop);
	g_test_add_func("/filter/header-once", test_header_once);
	g_test_add_func("/filter/syntax", test_syntax);
	g_test_add_func("/filter/several-problems", test_several_problems);
	g_test_add_func("/filter/rule-text", test_rule_text);
	g_test_add_func("/filter/line-limits", test_line_limits);
	g_test_add_func("/filter/match-limit", test_match_limit);
	g_test_add_func("/filter/validate", test_validate);
	g_test_add_func("/filter/literals", test_literals);
	g_test_add_func("/filter/fold-codepoints", test_fold_codepoints);
	g_test_add_func("/filter/prefilter-same", test_prefilter_same);
	g_test_add_func("/filter/load-dir", test_load_dir);
	g_test_add_func("/filter/shipped", test_shipped);
	g_test_add_func("/filter/threads", test_threads);
	return g_test_run();
}
