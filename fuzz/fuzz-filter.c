/* SPDX-License-Identifier: MIT
 * fuzz-filter.c: a rules file (filter.c): parse and compile it, check
 * its actions against a fixed config and run it on a fixed message. */
#include "autodefs.h"
#include <string.h>
#include "fuzz.h"
#include "filter.h"
#include "banned.h"

static const char *const fuzz_to[] = {
	"support@example.org", "Ünïcode@exämple.de", "list@lists.example.net", NULL
};
static const char *const fuzz_groups[] = { "support", "billing", NULL };
static const char *const fuzz_members[] = { "alice@example.org", NULL };

/* Every header of the fixed message has two values, one non-ASCII. */
static GPtrArray *
fuzz_headers(gpointer ctx, const char *name)
{
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(values, g_strdup_printf("%s: value one", name));
	g_ptr_array_add(values, g_strdup("zwei \xc3\xa4\xc3\xb6 =?utf-8?q?x?="));
	return values;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(filter_set_t) set = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_auto(filter_outcome_t) out = { 0 };
	g_autofree char *text = NULL;
	filter_limits_t lim;
	filter_input_t in = { 0 };

	if (size > FUZZ_MAX_INPUT)
		return -1;
	/* Lower PCRE2 limits than the defaults: the point is that a limit
	 * stops a pattern, not how far it lets it run. */
	filter_limits_init(&lim);
	lim.match_limit = 20000;
	lim.depth_limit = 2000;
	lim.max_rules = 500;
	set = filter_set_new(&lim);
	text = g_strndup((const char *)data, size);
	if (!filter_set_add_text(set, "fuzz.rules", text, problems))
		FUZZ_CHECK(problems->len > 0);
	for (guint i = 0; i < problems->len; i++)
		FUZZ_CHECK(g_str_has_prefix(problems->pdata[i], "fuzz.rules:"));
	FUZZ_CHECK(filter_set_count(set) <= lim.max_rules);
	for (guint i = 0; i < filter_set_count(set); i++) {
		FUZZ_CHECK(filter_set_rule_text(set, i) != NULL);
		(void)filter_set_rule_literals(set, i);
	}
	(void)filter_set_validate(set, fuzz_groups, fuzz_members, problems);

	in.from = "Customer.One@Example.COM";
	in.from_name = "Jörg \"the customer\" Müller";
	in.to = fuzz_to;
	in.subject = "Re: [Support #12] Invoice 2024-001 overdue?! ünïcödé";
	in.body = "Hello,\n\nmy invoice is wrong.\n\n> On Mon, 8 Jan 2024 wrote:\n"
		  "> quoted text\n\n-- \nSent from my phone\n";
	in.visible = "Hello,\n\nmy invoice is wrong.";
	in.list_id = "<announce.lists.example.net>";
	in.headers = fuzz_headers;
	filter_outcome_init(&out);
	filter_eval(set, &in, &out);
	if (out.tier != 0)
		FUZZ_CHECK(out.tier >= 1 && out.tier <= 4);
	return 0;
}
