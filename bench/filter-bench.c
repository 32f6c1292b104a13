/* SPDX-License-Identifier: MIT
 * filter-bench.c: time filter_eval() with many rules on real messages.
 *
 *	filter-bench [--rules N] [--evals N] [--seed N] [--no-jit]
 *		     [--no-prefilter] [--dump-rules] PATH...
 *
 * Builds N rules (default 500) the way a support team writes them, from a
 * fixed seed: words and alternations on the subject, anchored sender
 * domains, recipients, header rules, body and visible-text phrases, a few
 * negations. PATH is an .eml file or a directory of them (searched
 * recursively); each is parsed with mime_parse() and split with
 * mime_text_visible() once, before timing. Then every message is
 * evaluated once to warm up, and --evals evaluations (default 10000) go
 * round the messages, each timed alone; header lookups go through
 * mime_msg_headers() as in ingest. Prints the median, p90, p99 and maximum
 * microseconds per evaluation. bench/filter.py builds and runs it on a
 * generated corpus; see bench/README.md. */
#include "autodefs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "filter.h"
#include "mime.h"
#include "mime-text.h"
#include "util.h"
#include "banned.h"

/* Words of support mail (many occur in bench/gen-corpus.py's topics, so
 * some rules match, as in a real set) and names of products and tools. */
static const char *const words[] = {
	"invoice", "refund", "login", "password", "portal", "sso", "saml", "crash",
	"timeout", "export", "import", "csv", "api", "webhook", "billing", "upgrade",
	"license", "outage", "database", "backup", "restore", "certificate", "tls",
	"dns", "smtp", "calendar", "sync", "mobile", "android", "ios", "report",
	"dashboard", "plugin", "integration", "slack", "salesforce", "quota",
	"storage", "latency", "error", "vat", "users", "permissions", "reset",
	"endpoint", "orders", "gdpr", "contract", "renewal", "trial", "pricing",
	"downgrade", "cancel", "subscription", "sandbox", "token", "oauth",
	"firewall", "proxy", "vpn", "printer", "scanner", "upload", "download",
	"attachment", "notification", "reminder", "schedule", "timezone", "locale",
};

static const char *const domains[] = {
	"example.com", "example.org", "example.net", "acme.example", "globex.example",
	"initech.example", "umbrella.example", "hooli.example", "mail.example.co.uk",
	"kunde.example.de",
};

static const char *const groups[] = { "core", "community", "billing", "enterprise",
				      "partners", "mobile", "api" };
static const char *const langs[] = { "de", "fr", "es", "ja", "zh", "pt", "it", "nl" };

static const char *
pick(GRand *rnd, const char *const *list, gsize n)
{
	return list[g_rand_int_range(rnd, 0, (gint32)n)];
}
#define PICK(rnd, list) pick((rnd), (list), G_N_ELEMENTS(list))

/* "\.": a domain as a literal in a pattern. */
static char *
escape_dots(const char *s)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (; *s != '\0'; s++) {
		if (*s == '.')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *s);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
append_alternation(GString *line, GRand *rnd, guint n)
{
	g_string_append(line, "(?:");
	for (guint i = 0; i < n; i++)
		g_string_append_printf(line, "%s%s", i > 0 ? "|" : "", PICK(rnd, words));
	g_string_append(line, ")");
}

/* A header rule of one of the kinds teams write. DOM: an escaped domain. */
static void
append_header_rule(GString *line, GRand *rnd, guint i, const char *dom)
{
	switch (g_rand_int_range(rnd, 0, 8)) {
	case 0:
		g_string_append_printf(line, "header:X-Mailer /\\b%s\\b/i", PICK(rnd, words));
		break;
	case 1:
		g_string_append_printf(line, "header:X-Spam-Status /^Yes, score=%u/", i % 20);
		break;
	case 2:
		g_string_append_printf(line, "header:Received /from mx%u\\.%s\\b/", i, dom);
		break;
	case 3:
		g_string_append(line, "header:X-Priority /^\\s*[12]\\b/");
		break;
	case 4:
		g_string_append_printf(line, "header:Organization /%s/i", PICK(rnd, words));
		break;
	case 5:
		g_string_append_printf(line, "header:Content-Language /^%s\\b/", PICK(rnd, langs));
		break;
	case 6:
		g_string_append_printf(line, "header:Reply-To /@%s>?$/", dom);
		break;
	default:
		g_string_append_printf(line, "header:X-Original-To /^%s\\+/", PICK(rnd, groups));
		break;
	}
}

/* One rule's field and pattern. */
static void
append_condition(GString *line, GRand *rnd, guint i)
{
	guint kind = (guint)g_rand_int_range(rnd, 0, 100);
	g_autofree char *dom = escape_dots(PICK(rnd, domains));

	if (kind < 25) {
		g_string_append_printf(line, "subject /\\b%s\\b/i", PICK(rnd, words));
	} else if (kind < 40) {
		g_string_append(line, "subject /\\b");
		append_alternation(line, rnd, (guint)g_rand_int_range(rnd, 2, 6));
		g_string_append(line, "\\b/i");
	} else if (kind < 55) {
		/* Most customers' domains are not in the corpus. */
		if (g_rand_boolean(rnd))
			g_string_append_printf(line, "from /@customer%u\\.example$/i", i);
		else
			g_string_append_printf(line, "from /@(?:[\\w-]+\\.)?%s$/i", dom);
	} else if (kind < 60) {
		g_string_append_printf(line, "to /^(?:%s|%s)@/", PICK(rnd, groups),
				       PICK(rnd, words));
	} else if (kind < 72) {
		append_header_rule(line, rnd, i, dom);
	} else if (kind < 84) {
		g_string_append_printf(line, "body /\\b%s (?:is|was|does not|cannot) \\w+/i",
				       PICK(rnd, words));
	} else if (kind < 92) {
		g_string_append(line, "visible /\\b");
		append_alternation(line, rnd, (guint)g_rand_int_range(rnd, 2, 4));
		g_string_append(line, "\\b/i");
	} else if (kind < 95) {
		g_string_append_printf(line, "list-id /<%s\\.lists\\.%s>/", PICK(rnd, words),
				       dom);
	} else if (kind < 98) {
		g_string_append_printf(line, "subject !/\\b%s\\b/i", PICK(rnd, words));
	} else {
		g_string_append_printf(line, "body /(?:ticket|case|order)[ #:-]*%u\\b/i",
				       10000 + i);
	}
}

static void
append_actions(GString *line, GRand *rnd, guint i)
{
	guint kind = (guint)g_rand_int_range(rnd, 0, 100);

	if (kind < 40)
		g_string_append_printf(line, " group=%s", PICK(rnd, groups));
	else if (kind < 55)
		g_string_append_printf(line, " priority=%s",
				       g_rand_boolean(rnd) ? "high" : "low");
	else if (kind < 65)
		g_string_append_printf(line, " tier=%d", g_rand_int_range(rnd, 1, 5));
	else if (kind < 72)
		g_string_append_printf(line, " assign=member%u@support.example.test", i % 40);
	else if (kind < 78)
		g_string_append_printf(line, " cc=expert%u@partner.example", i % 10);
	else if (kind < 80)
		g_string_append(line, " noack");
	g_string_append_printf(line, " tag=%s", PICK(rnd, words));
}

static char *
make_rules(guint n, guint32 seed)
{
	g_autoptr(GRand) rnd = g_rand_new_with_seed(seed);
	GString *text = g_string_new("# generated by filter-bench\n");

	for (guint i = 0; i < n; i++) {
		append_condition(text, rnd, i);
		append_actions(text, rnd, i);
		g_string_append_c(text, '\n');
	}
	return g_string_free(text, FALSE);
}

typedef struct {
	mime_msg_t *msg;
	char *visible;
	char *list_id;
	char **to;
} bench_msg_t;

static void
bench_msg_free(gpointer p)
{
	bench_msg_t *m = p;

	mime_msg_free(m->msg);
	g_free(m->visible);
	g_free(m->list_id);
	g_strfreev(m->to);
	g_free(m);
}

static GPtrArray *
headers_of(gpointer ctx, const char *name)
{
	return mime_msg_headers(ctx, name);
}

static void
add_addresses(GPtrArray *to, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const mime_address_t *a = list->pdata[i];

		if (a->addr != NULL)
			g_ptr_array_add(to, g_strdup(a->addr));
	}
}

static void
load_message(GPtrArray *msgs, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) raw = util_read_file(path, 50 * 1024 * 1024, &error);
	g_autoptr(GPtrArray) to = g_ptr_array_new();
	bench_msg_t *m;
	const char *v;
	gsize len = 0;
	const char *data;

	if (raw == NULL) {
		fprintf(stderr, "filter-bench: %s\n", error->message);
		return;
	}
	data = g_bytes_get_data(raw, &len);
	m = g_new0(bench_msg_t, 1);
	m->msg = mime_parse(data, len, NULL, &error);
	if (m->msg == NULL) {
		fprintf(stderr, "filter-bench: %s: %s (skipped)\n", path, error->message);
		g_free(m);
		return;
	}
	m->visible = mime_text_visible(m->msg->text, -1);
	v = mime_msg_header(m->msg, "List-Id");
	m->list_id = g_strdup(v);
	add_addresses(to, m->msg->to);
	add_addresses(to, m->msg->cc);
	g_ptr_array_add(to, NULL);
	m->to = (char **)g_ptr_array_free(g_steal_pointer(&to), FALSE);
	g_ptr_array_add(msgs, m);
}

static int
compare_path(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_path(GPtrArray *msgs, const char *path)
{
	GDir *d;
	const char *name;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		load_message(msgs, path);
		return;
	}
	d = g_dir_open(path, 0, NULL);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_build_filename(path, name, NULL));
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_sort(names, compare_path);
	for (guint i = 0; i < names->len; i++) {
		const char *p = names->pdata[i];

		if (g_file_test(p, G_FILE_TEST_IS_DIR) || g_str_has_suffix(p, ".eml"))
			load_path(msgs, p);
	}
}

static filter_input_t
input_of(const bench_msg_t *m)
{
	filter_input_t in = {
		.from = m->msg->from != NULL ? m->msg->from->addr : NULL,
		.from_name = m->msg->from != NULL ? m->msg->from->name : NULL,
		.to = (const char *const *)m->to,
		.subject = m->msg->subject,
		.body = m->msg->text,
		.visible = m->visible,
		.list_id = m->list_id,
		.headers = headers_of,
		.headers_ctx = m->msg,
	};
	return in;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
compare_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(const double *sorted, guint n, double p)
{
	guint i = (guint)(n * p);

	return sorted[MIN(i, n - 1)];
}

int
main(int argc, char **argv)
{
	gint n_rules = 500, evals = 10000, seed = 42;
	gboolean no_jit = FALSE, no_prefilter = FALSE, dump = FALSE;
	GOptionEntry entries[] = {
		{ "rules", 0, 0, G_OPTION_ARG_INT, &n_rules, "rules to generate (500)", "N" },
		{ "evals", 0, 0, G_OPTION_ARG_INT, &evals, "timed evaluations (10000)", "N" },
		{ "seed", 0, 0, G_OPTION_ARG_INT, &seed, "seed of the rule generator (42)", "N" },
		{ "no-jit", 0, 0, G_OPTION_ARG_NONE, &no_jit, "PCRE2 interpreter only", NULL },
		{ "no-prefilter", 0, 0, G_OPTION_ARG_NONE, &no_prefilter,
		  "run every pattern, without the literal prefilter", NULL },
		{ "dump-rules", 0, 0, G_OPTION_ARG_NONE, &dump, "print the rules and exit", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - time filter_eval()");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func(bench_msg_free);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(filter_set_t) set = NULL;
	g_autofree char *rules = NULL;
	g_autofree double *times = NULL;
	filter_limits_t lim;
	double t0, compile_ms, sum = 0;
	guint64 matched = 0, errors = 0;
	guint with_literals = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || n_rules < 1 || evals < 1) {
		fprintf(stderr, "filter-bench: %s\n",
			error != NULL ? error->message : "--rules and --evals must be positive");
		return 64;
	}
	rules = make_rules((guint)n_rules, (guint32)seed);
	if (dump) {
		fputs(rules, stdout);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "filter-bench: no messages (give .eml files or directories)\n");
		return 64;
	}

	filter_limits_init(&lim);
	lim.jit = !no_jit;
	lim.prefilter = !no_prefilter;
	t0 = now_us();
	set = filter_set_new(&lim);
	if (!filter_set_add_text(set, "bench.rules", rules, problems)) {
		for (guint i = 0; i < problems->len; i++)
			fprintf(stderr, "%s\n", (char *)problems->pdata[i]);
		return 70;
	}
	compile_ms = (now_us() - t0) / 1e3;
	for (guint i = 0; i < filter_set_count(set); i++)
		with_literals += filter_set_rule_literals(set, i) != NULL;

	for (int i = 1; i < argc; i++)
		load_path(msgs, argv[i]);
	if (msgs->len == 0) {
		fprintf(stderr, "filter-bench: no message could be parsed\n");
		return 65;
	}

	/* Warm up: every message once (caches, lazily built tables). */
	for (guint i = 0; i < msgs->len; i++) {
		filter_input_t in = input_of(msgs->pdata[i]);
		filter_outcome_t out;

		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		filter_outcome_clear(&out);
	}

	times = g_new(double, evals);
	for (gint i = 0; i < evals; i++) {
		filter_input_t in = input_of(msgs->pdata[(guint)i % msgs->len]);
		filter_outcome_t out;
		double start = now_us();

		filter_outcome_init(&out);
		filter_eval(set, &in, &out);
		matched += out.matched->len;
		errors += out.errors->len;
		filter_outcome_clear(&out);
		times[i] = now_us() - start;
		sum += times[i];
	}
	qsort(times, (size_t)evals, sizeof *times, compare_double);

	printf("rules %u (%u with a literal prefilter%s, compiled in %.1f ms, %s), "
	       "messages %u, evaluations %d\n", filter_set_count(set), with_literals,
	       no_prefilter ? " (off)" : "",
	       compile_ms, no_jit ? "interpreter" : "JIT", msgs->len, evals);
	printf("matched rules per message %.2f, limit errors %" G_GUINT64_FORMAT "\n",
	       (double)matched / evals, errors);
	printf("us per message: median %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f\n",
	       percentile(times, (guint)evals, 0.5), percentile(times, (guint)evals, 0.9),
	       percentile(times, (guint)evals, 0.99), times[evals - 1], sum / evals);
	return 0;
}
