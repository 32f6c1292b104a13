/* SPDX-License-Identifier: MIT
 * pd-test.c: exposes pure functions to the shell tests, one subcommand
 * each (as git's t/helper/test-tool.c). Add a command: write a function
 * taking argc/argv (argv[0] is the command name) and returning an exit
 * status, and add a row to cmds[].
 *
 *   pd-test visible FILE...   the visible text of each file
 *   pd-test split FILE        visible text, "----- hidden -----", hidden
 *   pd-test forward FILE      the forwards found in a message, field by field
 *   pd-test config-keys       every key the config reads, "SECTION KEY"
 *   pd-test event CONFIG KIND TICKET ACTOR DETAIL
 *                             record a ticket event through event_add()
 */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "mime-text.h"
#include "mime-forward.h"
#include "mime.h"
#include "config.h"
#include "error.h"
#include "event.h"
#include "store.h"
#include "util.h"
#include "outbound-transport.h"
#include "imap.h"
#ifdef __has_include
#if __has_include("banned.h")
#include "banned.h"
#endif
#endif

/* Read FILE whole ("-" is stdin). Returns FALSE with a message printed. */
static gboolean
read_input(const char *file, char **data, gsize *len)
{
	g_autoptr(GError) error = NULL;

	if (strcmp(file, "-") == 0) {
		GString *buf = g_string_new(NULL);
		char chunk[65536];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			g_string_append_len(buf, chunk, (gssize)n);
		*len = buf->len;
		*data = g_string_free(buf, FALSE);
		return TRUE;
	}
	if (!g_file_get_contents(file, data, len, &error)) {
		fprintf(stderr, "pd-test: %s\n", error->message);
		return FALSE;
	}
	return TRUE;
}

/* One file: its visible text and a newline. Several: each visible text
 * followed by a NUL byte, so one call serves a whole corpus. A file that
 * cannot be read gives an empty record and exit status 1. */
static int
cmd_visible(int argc, char **argv)
{
	gboolean several = argc > 2;
	int status = 0;

	if (argc < 2)
		return 2;
	for (int i = 1; i < argc; i++) {
		g_autofree char *data = NULL;
		g_autofree char *visible = NULL;
		gsize len = 0;

		if (read_input(argv[i], &data, &len))
			visible = mime_text_visible(data, (gssize)len);
		else
			status = 1;
		if (visible)
			fputs(visible, stdout);
		if (several)
			fputc('\0', stdout);
		else
			fputc('\n', stdout);
	}
	return fflush(stdout) == 0 ? status : 1;
}

static int
cmd_split(int argc, char **argv)
{
	g_autofree char *data = NULL;
	mime_text_split_t split;
	gsize len = 0;

	if (argc != 2)
		return 2;
	if (!read_input(argv[1], &data, &len))
		return 1;
	mime_text_split(data, (gssize)len, &split);
	printf("%s\n----- hidden -----\n%s\n", split.visible, split.hidden);
	printf("----- flags -----\nquote=%d signature=%d\n", split.has_quote,
	       split.has_signature);
	mime_text_split_clear(&split);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* VALUE on one line: backslash, newline and tab escaped; NULL as
 * "(null)". */
static void
print_field(const char *key, const char *value)
{
	printf("%s: ", key);
	if (value == NULL) {
		puts("(null)");
		return;
	}
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

/* forward [--text] FILE: "count: N", then for each forward "[N]" and its
 * fields as "key: value" lines (the format of tests/data/forward/
 * *.expected). With --text, FILE is a message body, not a message. */
static int
cmd_forward(int argc, char **argv)
{
	g_autoptr(GPtrArray) fwds = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gboolean text = argc == 3 && strcmp(argv[1], "--text") == 0;
	gsize len = 0;

	if (argc != 2 + text)
		return 2;
	if (!read_input(argv[argc - 1], &data, &len))
		return 1;
	if (text) {
		mime_forward_t *f = mime_forward_parse_text(data);

		fwds = g_ptr_array_new_with_free_func((GDestroyNotify)mime_forward_free);
		if (f != NULL)
			g_ptr_array_add(fwds, f);
	} else {
		g_autoptr(mime_msg_t) msg = mime_parse(data, len, NULL, &error);

		if (msg == NULL) {
			fprintf(stderr, "pd-test: %s: %s\n", argv[argc - 1], error->message);
			return 1;
		}
		fwds = mime_forward_find(msg);
	}
	printf("count: %u\n", fwds->len);
	for (guint i = 0; i < fwds->len; i++) {
		mime_forward_t *f = fwds->pdata[i];
		g_autoptr(GDateTime) dt = f->date != 0 ? g_date_time_new_from_unix_utc(f->date) : NULL;
		g_autofree char *date = dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
						   : g_strdup("0");
		g_autoptr(GString) refs = g_string_new(NULL);

		for (guint k = 0; k < f->references->len; k++)
			g_string_append_printf(refs, "%s%s", k > 0 ? " " : "",
					       (char *)f->references->pdata[k]);
		printf("[%u]\n", i + 1);
		print_field("style", f->style);
		print_field("author_name", f->author_name);
		print_field("author_address", f->author_address);
		print_field("date_text", f->date_text);
		print_field("date", date);
		print_field("subject", f->subject);
		print_field("message_id", f->message_id);
		print_field("references", refs->str);
		print_field("note", f->note);
		print_field("body", f->body);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* "error (KIND): MESSAGE" for ERROR and 1, or 0 when there is none and
 * the output was written: the end of the server commands below. */
static int
print_outcome(const GError *error)
{
	static const char *const kinds[] = { "temp", "input", "too-large", "config",
					     "usage", "not-found", "unavailable",
					     "internal" };

	if (error != NULL) {
		printf("error (%s): %s\n",
		       error->domain == PD_ERROR && error->code >= 0 &&
				       (gsize)error->code < G_N_ELEMENTS(kinds)
			       ? kinds[error->code] : "other",
		       error->message);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* send [--from=ADDR] [--repeat=N] CONFIG FILE RCPT...: the transport the
 * config picks (SMTP or the spool) sends FILE N times over one connection,
 * from ADDR (default: the support address; "" is the null sender). Prints
 * "sent" per mail, or "error (temp|input|config|...): MESSAGE" and exits 1. */
static int
cmd_send(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(config_t) cfg = NULL;
	g_autoptr(GBytes) msg = NULL;
	g_autofree char *data = NULL;
	const outbound_transport_t *t;
	outbound_conn_t *conn = NULL;
	const char *from = NULL;
	gint64 repeat = 1;
	gsize len = 0;
	int i = 1;

	for (; i < argc && g_str_has_prefix(argv[i], "--"); i++) {
		if (g_str_has_prefix(argv[i], "--from="))
			from = argv[i] + 7;
		else if (g_str_has_prefix(argv[i], "--repeat="))
			repeat = g_ascii_strtoll(argv[i] + 9, NULL, 10);
		else
			return 2;
	}
	if (argc - i < 3 || repeat < 1)
		return 2;
	cfg = config_load(argv[i], NULL, &error);
	if (cfg != NULL && read_input(argv[i + 1], &data, &len)) {
		msg = g_bytes_new_take(g_steal_pointer(&data), len);
		t = outbound_transport_for(cfg);
		conn = t->open(cfg, &error);
		for (gint64 n = 0; conn != NULL && n < repeat; n++) {
			if (!t->send(conn, from ? from : cfg->support_address,
				     (const char *const *)argv + i + 2, msg, &error))
				break;
			puts("sent");
		}
		if (conn != NULL && error == NULL && t->settle != NULL)
			t->settle(conn, &error);
		if (conn != NULL)
			t->close(conn);
	} else if (error == NULL) {
		return 1;
	}
	return print_outcome(error);
}

/* imap-fetch CONFIG ACCOUNT [--done]: connect, print "uidvalidity N
 * uidnext N", then "uid N size N" for every message from UID 1 on (in
 * batches of 2, to go through the batching), and with --done move each
 * to the account's processed folder (or flag it \Seen): "done N".
 * imap-wait CONFIG ACCOUNT MS [--wakeup|--stall|--stall-fetch]: connect,
 * print "waiting", wait once and print "news", "timeout" or "wakeup".
 * With --wakeup, stdin is the wakeup fd; with --stall, a line is read
 * from stdin before waiting (news that predates the IDLE); --stall-fetch
 * then also fetches past the last UID, so that the news comes with the
 * answer to that FETCH, not with the IDLE. PD_TEST_BATCH_BYTES sets the
 * byte cap of a batch (imap_set_batch_bytes).
 * Errors print "error (temp|config|...): MESSAGE" and exit 1. */
static int
cmd_imap(int argc, char **argv)
{
	static const char *const wakes[] = { "timeout", "news", "wakeup" };
	g_autoptr(GError) error = NULL;
	g_autoptr(config_t) cfg = NULL;
	g_autoptr(imap_conn_t) c = NULL;
	gboolean wait = strcmp(argv[0], "imap-wait") == 0;
	gboolean opt = argc == 4 + wait &&
		       strcmp(argv[argc - 1], wait ? "--wakeup" : "--done") == 0;
	gboolean stall_fetch = wait && argc == 5 && strcmp(argv[4], "--stall-fetch") == 0;
	gboolean stall = stall_fetch || (wait && argc == 5 && strcmp(argv[4], "--stall") == 0);
	const config_imap_t *acct = NULL;

	if (argc != 3 + wait + (opt || stall))
		return 2;
	cfg = config_load(argv[1], NULL, &error);
	if (cfg != NULL && (acct = config_imap(cfg, argv[2])) == NULL)
		g_set_error(&error, PD_ERROR, PD_ERROR_NOT_FOUND,
			    "no [imap:%s] section", argv[2]);
	if (acct != NULL)
		c = imap_connect(acct, &error);
	if (c != NULL && g_getenv("PD_TEST_BATCH_BYTES") != NULL)
		imap_set_batch_bytes(c, g_ascii_strtoull(g_getenv("PD_TEST_BATCH_BYTES"), NULL, 10));
	if (c != NULL && wait) {
		puts("waiting");
		fflush(stdout);
		if (opt)
			imap_set_wakeup_fd(c, 0);
		if (stall) {
			char line[64];

			if (fgets(line, sizeof(line), stdin) == NULL)
				return 1;
		}
		if (stall_fetch) {
			g_autoptr(GPtrArray) none = imap_fetch_since(c, 1000000, 1, &error);

			if (none == NULL || none->len != 0)
				return 1;
		}
		if (imap_wait(c, (int)g_ascii_strtoll(argv[3], NULL, 10), &error))
			puts(wakes[imap_last_wake(c)]);
	} else if (c != NULL) {
		guint32 next = 1;

		printf("uidvalidity %u uidnext %u\n", imap_uidvalidity(c),
		       imap_uidnext(c));
		for (;;) {
			g_autoptr(GPtrArray) msgs = imap_fetch_since(c, next, 2, &error);

			if (msgs == NULL || msgs->len == 0)
				break;
			for (guint i = 0; i < msgs->len && error == NULL; i++) {
				imap_msg_t *m = msgs->pdata[i];

				printf("uid %u size %zu\n", m->uid, m->size);
				if (opt && imap_done(c, m->uid, acct->processed, &error))
					printf("done %u\n", m->uid);
				next = m->uid + 1;
			}
			if (error != NULL)
				break;
		}
	}
	return print_outcome(error);
}

/* config-keys: every key of config.c's table, one "SECTION KEY" a line
 * (named sections by their prefix: "group: tier"), for the test that
 * holds postdesk.conf(5) and the example config to the table. */
static int
cmd_config_keys(int argc, char **argv)
{
	g_auto(GStrv) keys = NULL;

	if (argc != 1)
		return 2;
	keys = config_key_names();
	for (char **k = keys; *k != NULL; k++)
		puts(*k);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* event CONFIG KIND TICKET ACTOR DETAIL: record event KIND of TICKET
 * (0: none) by ACTOR ("" for none) now, through event_add() in a
 * transaction of its own, as every ticket event is; so tests can raise
 * kinds that no command raises yet (an internal note). Prints "ok", or
 * "error (KIND): MESSAGE" and exits 1. */
static int
cmd_event(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(config_t) cfg = NULL;
	g_autoptr(store_t) st = NULL;
	gint64 ticket = 0;

	if (argc != 6 || !util_parse_int(argv[3], 0, G_MAXINT64, &ticket))
		return 2;
	cfg = config_load(argv[1], NULL, &error);
	if (cfg != NULL)
		st = store_open(cfg->database, FALSE, &error);
	if (st != NULL && store_begin(st, &error)) {
		if (event_add(cfg, st, ticket, util_now(), argv[2], *argv[4] ? argv[4] : NULL,
			      argv[5], &error))
			store_commit(st, &error);
		else
			store_rollback(st);
	}
	if (error == NULL)
		puts("ok");
	return print_outcome(error);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "visible", cmd_visible, "visible FILE...  (several: NUL after each)" },
	{ "split", cmd_split, "split FILE  (visible, hidden, flags)" },
	{ "forward", cmd_forward, "forward [--text] FILE  (forwards found: count, then [N] and key: value lines)" },
	{ "send", cmd_send, "send [--from=ADDR] [--repeat=N] CONFIG FILE RCPT...  (via [smtp] or the spool)" },
	{ "imap-fetch", cmd_imap, "imap-fetch CONFIG ACCOUNT [--done]  (uid and size of each; --done: move or flag)" },
	{ "imap-wait", cmd_imap, "imap-wait CONFIG ACCOUNT MS [--wakeup|--stall|--stall-fetch]  (IDLE or poll once: news, timeout or wakeup)" },
	{ "config-keys", cmd_config_keys, "config-keys  (every key config.c reads: SECTION KEY)" },
	{ "event", cmd_event, "event CONFIG KIND TICKET ACTOR DETAIL  (through event_add(), one transaction)" },
};

static int
usage(FILE *to)
{
	fputs("usage: pd-test COMMAND [ARGS]\n", to);
	for (gsize i = 0; i < G_N_ELEMENTS(cmds); i++)
		fprintf(to, "  pd-test %s\n", cmds[i].usage);
	return to == stderr ? 2 : 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)
		return usage(stdout);
	for (gsize i = 0; i < G_N_ELEMENTS(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			int rc = cmds[i].fn(argc - 1, argv + 1);

			if (rc == 2)
				fprintf(stderr, "usage: pd-test %s\n", cmds[i].usage);
			return rc;
		}
	}
	fprintf(stderr, "pd-test: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
