/* SPDX-License-Identifier: MIT
 * test-spool.c: the outbound transports without a server. The spool
 * writes one Maildir file per mail into outbox/new/, its envelope lines
 * first and then the exact bytes given; the SMTP transport's wire format
 * strips those lines again and makes line ends CRLF; its configuration
 * errors and a refused connection come back with the right error codes.
 * Sending through a real server is tests/t5000-transport.sh. */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "config.h"
#include "error.h"
#include "outbound-transport.h"
#include "banned.h"

/* A scratch directory, removed with everything in it. */
static void
rm_rf(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);

	if (dir != NULL) {
		const char *name;

		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *sub = g_build_filename(path, name, NULL);

			rm_rf(sub);
		}
		g_dir_close(dir);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

/* Sorted names of the files in DIR. */
static GPtrArray *
list_dir(const char *dir)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, (GCompareFunc)(void *)g_strcmp0);
	return names;
}

static gsize
count_dir(const char *dir)
{
	g_autoptr(GPtrArray) names = list_dir(dir);

	return names->len;
}

typedef struct {
	char *root;
	config_t cfg;
} fixture_t;

static void
fixture_set_up(fixture_t *f, gconstpointer data)
{
	f->root = g_dir_make_tmp("pd-spool-XXXXXX", NULL);
	g_assert_nonnull(f->root);
	memset(&f->cfg, 0, sizeof f->cfg);
	f->cfg.spool = g_build_filename(f->root, "var", NULL);
	f->cfg.support_address = g_strdup("support@example.org");
}

static void
fixture_tear_down(fixture_t *f, gconstpointer data)
{
	rm_rf(f->root);
	g_free(f->root);
	g_free(f->cfg.spool);
	g_free(f->cfg.support_address);
	g_free(f->cfg.smtp_url);
	g_free(f->cfg.smtp_tls);
	g_free(f->cfg.smtp_user);
	g_free(f->cfg.smtp_password_file);
}

static char *
outbox_dir(const fixture_t *f, const char *sub)
{
	return g_build_filename(f->cfg.spool, "outbox", sub, NULL);
}

/* The only file in new/, read whole; its name in *NAME when wanted. */
static char *
read_only_file(const fixture_t *f, gsize *len, char **name)
{
	g_autofree char *dir = outbox_dir(f, "new");
	g_autoptr(GPtrArray) names = list_dir(dir);
	g_autofree char *path = NULL;
	char *data = NULL;

	g_assert_cmpuint(names->len, ==, 1);
	path = g_build_filename(dir, names->pdata[0], NULL);
	g_assert_true(g_file_get_contents(path, &data, len, NULL));
	if (name != NULL)
		*name = g_strdup(names->pdata[0]);
	return data;
}

static gboolean
spool_one(fixture_t *f, const char *from, const char *const *rcpts,
	  const char *msg, gsize len, GError **error)
{
	const outbound_transport_t *t = &outbound_spool_transport;
	g_autoptr(GBytes) bytes = g_bytes_new(msg, len);
	outbound_conn_t *conn = t->open(&f->cfg, error);
	gboolean ok;

	if (conn == NULL)
		return FALSE;
	ok = t->send(conn, from, rcpts, bytes, error);
	t->close(conn);
	return ok;
}

static void
test_spool_one_file(fixture_t *f, gconstpointer data)
{
	static const char msg[] = "From: support@example.org\nTo: a@example.com\n"
				  "Subject: [Support #1] hello\n\nbody\n.\n..dots\n";
	static const char *const rcpts[] = { "a@example.com", "b@example.net", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;
	g_autofree char *want = NULL;
	g_autofree char *name = NULL;
	g_autofree char *tmp = outbox_dir(f, "tmp");
	g_autofree char *cur = outbox_dir(f, "cur");
	g_autoptr(GRegex) re = NULL;
	gsize len = 0;
	struct stat st;

	g_assert_true(spool_one(f, "bounces@example.org", rcpts, msg,
				sizeof msg - 1, &error));
	g_assert_no_error(error);
	got = read_only_file(f, &len, &name);
	want = g_strconcat("X-Postdesk-Rcpt: a@example.com\n"
			   "X-Postdesk-Rcpt: b@example.net\n"
			   "X-Postdesk-Mail-From: <bounces@example.org>\n",
			   msg, NULL);
	g_assert_cmpuint(len, ==, strlen(want));
	g_assert_cmpmem(got, len, want, strlen(want));
	/* time.pid_counter.host, and nothing left in tmp/. */
	re = g_regex_new("^[0-9]+\\.[0-9]+_[0-9]+\\.[^/:]+$", 0, 0, NULL);
	g_assert_true(g_regex_match(re, name, 0, NULL));
	g_assert_cmpuint(count_dir(tmp), ==, 0);
	g_assert_cmpint(g_stat(cur, &st), ==, 0);
	{
		g_autofree char *newdir = outbox_dir(f, "new");
		g_autofree char *path = g_build_filename(newdir, name, NULL);

		g_assert_cmpint(g_stat(path, &st), ==, 0);
		g_assert_cmpint(st.st_mode & 077, ==, 0);
	}
}

static void
test_spool_crlf_and_binary(fixture_t *f, gconstpointer data)
{
	/* CRLF lines, 8-bit bytes and a NUL: stored as they are. */
	static const char msg[] = "Subject: x\r\n\r\nbody \xc3\xa4\x00 end\r\n";
	static const char *const rcpts[] = { "a@example.com", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;
	g_autoptr(GString) want = g_string_new("X-Postdesk-Rcpt: a@example.com\r\n"
					       "X-Postdesk-Mail-From: <>\r\n");
	gsize len = 0;

	g_string_append_len(want, msg, sizeof msg - 1);
	g_assert_true(spool_one(f, "", rcpts, msg, sizeof msg - 1, &error));
	g_assert_no_error(error);
	got = read_only_file(f, &len, NULL);
	g_assert_cmpmem(got, len, want->str, want->len);
}

static void
test_spool_several(fixture_t *f, gconstpointer data)
{
	const outbound_transport_t *t = &outbound_spool_transport;
	static const char *const rcpts[] = { "a@example.com", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *newdir = outbox_dir(f, "new");
	outbound_conn_t *conn = t->open(&f->cfg, &error);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GHashTable) bodies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	g_assert_no_error(error);
	g_assert_nonnull(conn);
	for (int i = 0; i < 5; i++) {
		g_autofree char *msg = g_strdup_printf("Subject: %d\n\nmail %d\n", i, i);
		g_autoptr(GBytes) bytes = g_bytes_new(msg, strlen(msg));

		g_assert_true(t->send(conn, "support@example.org", rcpts, bytes, &error));
		g_assert_no_error(error);
	}
	t->close(conn);
	names = list_dir(newdir);
	g_assert_cmpuint(names->len, ==, 5);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(newdir, names->pdata[i], NULL);
		g_autofree char *text = NULL;
		const char *body;

		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		body = strstr(text, "\n\nmail ");
		g_assert_nonnull(body);
		g_hash_table_add(bodies, g_strdup(body));
	}
	g_assert_cmpuint(g_hash_table_size(bodies), ==, 5);
}

static void
test_spool_bad_envelope(fixture_t *f, gconstpointer data)
{
	static const char msg[] = "Subject: x\n\nbody\n";
	static const char *const none[] = { NULL };
	static const char *const injected[] = { "a@example.com\r\nX-Evil: 1", NULL };
	static const char *const spaced[] = { "a b@example.com", NULL };
	static const char *const nodomain[] = { "a@", NULL };
	static const char *const good[] = { "a@example.com", NULL };
	const struct {
		const char *from;
		const char *const *rcpts;
	} cases[] = {
		{ "support@example.org", none },
		{ "support@example.org", injected },
		{ "support@example.org", spaced },
		{ "support@example.org", nodomain },
		{ "x\n@example.org", good },
		{ "<support@example.org>", good },
	};
	g_autofree char *newdir = outbox_dir(f, "new");

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_false(spool_one(f, cases[i].from, cases[i].rcpts, msg,
					 sizeof msg - 1, &error));
		g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	}
	g_assert_cmpuint(count_dir(newdir), ==, 0);
}

static void
test_spool_not_a_directory(fixture_t *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* The spool path is a file: nothing a retry would fix. */
	g_assert_true(g_file_set_contents(f->cfg.spool, "x", 1, NULL));
	g_assert_null(outbound_spool_transport.open(&f->cfg, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "outbox"));
}

static void
test_transport_for(fixture_t *f, gconstpointer data)
{
	g_assert_true(outbound_transport_for(&f->cfg) == &outbound_spool_transport);
	g_assert_cmpstr(outbound_transport_for(&f->cfg)->name, ==, "spool");
	f->cfg.has_smtp = TRUE;
	g_assert_true(outbound_transport_for(&f->cfg) == &outbound_smtp_transport);
	g_assert_cmpstr(outbound_transport_for(&f->cfg)->name, ==, "smtp");
}

static void
test_wire_format(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "Subject: a\n\nb\n", "Subject: a\r\n\r\nb\r\n" },
		{ "Subject: a\r\n\r\nb\r\n", "Subject: a\r\n\r\nb\r\n" },
		{ "Subject: a\n\nno final newline", "Subject: a\r\n\r\nno final newline" },
		{ "Subject: a\r\rb\r", "Subject: a\r\n\r\nb\r\n" },
		{ "X-Postdesk-Rcpt: a@x\nx-postdesk-rcpt : b@x\n"
		  "X-Postdesk-Mail-From: <s@x>\nSubject: a\n\nb\n",
		  "Subject: a\r\n\r\nb\r\n" },
		/* Continuations go with their field. */
		{ "Subject: a\nX-Postdesk-Rcpt: a@x\n\tb@x\nTo: t@x\n\tu@x\n\nb\n",
		  "Subject: a\r\nTo: t@x\r\n\tu@x\r\n\r\nb\r\n" },
		/* Only header fields: the body keeps such lines. */
		{ "Subject: a\n\nX-Postdesk-Rcpt: kept@x\n",
		  "Subject: a\r\n\r\nX-Postdesk-Rcpt: kept@x\r\n" },
		/* Similar names are not ours. */
		{ "X-Postdesk-Rcpts: a\nX-Postdesk-Rcpt-Other: b\n\n",
		  "X-Postdesk-Rcpts: a\r\nX-Postdesk-Rcpt-Other: b\r\n\r\n" },
		/* Dots are libcurl's to stuff, not ours. */
		{ "S: a\n\n.\n..\n", "S: a\r\n\r\n.\r\n..\r\n" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) in = g_bytes_new_static(cases[i].in, strlen(cases[i].in));
		g_autoptr(GBytes) out = outbound_smtp_wire_format(in);
		gsize len;
		const char *got = g_bytes_get_data(out, &len);

		g_test_message("case %" G_GSIZE_FORMAT, i);
		g_assert_cmpmem(got, len, cases[i].out, strlen(cases[i].out));
	}
}

/* What the spool wrote, put on the wire, is the mail given in CRLF. */
static void
test_spool_then_wire(fixture_t *f, gconstpointer data)
{
	static const char msg[] = "From: s@example.org\nSubject: x\n\nbody\n";
	static const char *const rcpts[] = { "a@example.com", "b@example.com", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;
	g_autoptr(GBytes) spooled = NULL;
	g_autoptr(GBytes) wire = NULL;
	static const char want[] = "From: s@example.org\r\nSubject: x\r\n\r\nbody\r\n";
	gsize len = 0;
	const char *w;

	g_assert_true(spool_one(f, "s@example.org", rcpts, msg, sizeof msg - 1, &error));
	got = read_only_file(f, &len, NULL);
	spooled = g_bytes_new(got, len);
	wire = outbound_smtp_wire_format(spooled);
	w = g_bytes_get_data(wire, &len);
	g_assert_cmpmem(w, len, want, sizeof want - 1);
}

static void
write_password(const char *path, int mode)
{
	g_assert_true(g_file_set_contents(path, "pass word\n", -1, NULL));
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static void
test_smtp_config_errors(fixture_t *f, gconstpointer data)
{
	g_autofree char *pw = g_build_filename(f->root, "smtp-password", NULL);
	const struct {
		const char *url, *tls;
		gboolean user;
		int mode;
		const char *says;
	} cases[] = {
		{ "smtp://127.0.0.1:2525", "none", TRUE, 0644, "chmod 600" },
		{ "smtp://127.0.0.1:2525", "none", TRUE, -1, "No such file" },
		{ "smtps://127.0.0.1:2525", "none", FALSE, 0, "contradicts" },
		{ "smtp://u:p@127.0.0.1:2525", "none", FALSE, 0, "credentials" },
		{ "http://127.0.0.1/", "starttls", FALSE, 0, "smtp://" },
		{ "smtp://127.0.0.1:2525", "sometimes", FALSE, 0, "starttls, tls or none" },
		{ "smtp:///nohost", "starttls", FALSE, 0, "smtp://" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i, cases[i].says);
		g_unlink(pw);
		g_free(f->cfg.smtp_url);
		g_free(f->cfg.smtp_tls);
		g_free(f->cfg.smtp_user);
		g_free(f->cfg.smtp_password_file);
		f->cfg.has_smtp = TRUE;
		f->cfg.smtp_url = g_strdup(cases[i].url);
		f->cfg.smtp_tls = g_strdup(cases[i].tls);
		f->cfg.smtp_user = cases[i].user ? g_strdup("postdesk") : NULL;
		f->cfg.smtp_password_file = cases[i].user ? g_strdup(pw) : NULL;
		if (cases[i].user && cases[i].mode >= 0)
			write_password(pw, cases[i].mode);
		g_assert_null(outbound_smtp_transport.open(&f->cfg, &error));
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_nonnull(strstr(error->message, cases[i].says));
		/* A password never shows in a message. */
		g_assert_null(strstr(error->message, "pass word"));
	}
}

/* A port nobody listens on: bind, note the port, close. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	g_assert_cmpint(fd, >=, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void
test_smtp_open_and_refused(fixture_t *f, gconstpointer data)
{
	const outbound_transport_t *t = &outbound_smtp_transport;
	static const char *const rcpts[] = { "a@example.com", NULL };
	g_autofree char *pw = g_build_filename(f->root, "smtp-password", NULL);
	g_autoptr(GBytes) msg = g_bytes_new_static("Subject: x\n\nb\n", 14);
	g_autoptr(GError) error = NULL;
	outbound_conn_t *conn;

	write_password(pw, 0600);
	f->cfg.has_smtp = TRUE;
	f->cfg.smtp_url = g_strdup_printf("smtp://127.0.0.1:%d", closed_port());
	f->cfg.smtp_tls = g_strdup("none");
	f->cfg.smtp_user = g_strdup("postdesk");
	f->cfg.smtp_password_file = g_strdup(pw);
	/* Opening does not connect: only configuration can fail there. */
	conn = t->open(&f->cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(conn);
	g_assert_false(t->send(conn, "support@example.org", rcpts, msg, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_TEMP);
	g_assert_nonnull(strstr(error->message, "Connection refused"));
	g_assert_nonnull(strstr(error->message, "127.0.0.1:"));
	g_assert_null(strstr(error->message, "pass word"));
	g_clear_error(&error);
	/* The envelope is checked before any connection. */
	g_assert_false(t->send(conn, "a b@example.org", rcpts, msg, &error));
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	t->close(conn);
}

#define ADD(path, fn) \
	g_test_add(path, fixture_t, NULL, fixture_set_up, fn, fixture_tear_down)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/spool/one-file", test_spool_one_file);
	ADD("/spool/crlf-and-binary", test_spool_crlf_and_binary);
	ADD("/spool/several", test_spool_several);
	ADD("/spool/bad-envelope", test_spool_bad_envelope);
	ADD("/spool/not-a-directory", test_spool_not_a_directory);
	ADD("/spool/then-wire", test_spool_then_wire);
	ADD("/outbound/transport-for", test_transport_for);
	g_test_add_func("/smtp/wire-format", test_wire_format);
	ADD("/smtp/config-errors", test_smtp_config_errors);
	ADD("/smtp/refused", test_smtp_open_and_refused);
	return g_test_run();
}
