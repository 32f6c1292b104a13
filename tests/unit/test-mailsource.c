/* SPDX-License-Identifier: MIT
 * test-mailsource.c: Maildirs, mboxes (mboxo, mboxrd, CRLF), single files
 * and directory trees, built in a temporary directory for each case. */
#include "autodefs.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "error.h"
#include "mailsource.h"

#define MAX_FILES 12
#define MAX_WANT 8

typedef struct {
	const char *path;    /* relative to the case's directory */
	const char *content; /* NULL: a directory */
} file_t;

typedef struct {
	const char *origin;  /* relative to the case's directory */
	const char *data;    /* NULL: over the cap */
	gsize size;          /* checked when DATA is NULL */
} want_t;

typedef struct {
	const char *name;
	file_t files[MAX_FILES];
	const char *walk;    /* the PATH given to mailsource_walk */
	gsize max_size;
	const char *kind;    /* what mailsource_kind says of WALK */
	int error_code;      /* PD_ERROR code, or -1 for success */
	want_t want[MAX_WANT];
} case_t;

static const case_t cases[] = {
	{ "maildir-order",
	  { { "md/new/2.b", "Subject: new 2\n\nx\n" },
	    { "md/new/1.a", "Subject: new 1\n\nx\n" },
	    { "md/cur/3.c:2,S", "Subject: cur 3\n\nx\n" },
	    { "md/cur/0.z:2,", "Subject: cur 0\n\nx\n" },
	    { "md/cur/4.f:2,", "From x\nSubject: kept whole\n" },
	    { "md/cur/5.empty:2,", "" },
	    { "md/tmp/9.x", "Subject: tmp\n\n" },
	    { "md/new/.hidden", "Subject: hidden\n" },
	    { "md/.Sent/cur/s:2,S", "Subject: sent\n" },
	    { "md/other/o", "Subject: other\n" } },
	  "md", 0, "maildir", -1,
	  { { "md/new/1.a", "Subject: new 1\n\nx\n", 0 },
	    { "md/new/2.b", "Subject: new 2\n\nx\n", 0 },
	    { "md/cur/0.z:2,", "Subject: cur 0\n\nx\n", 0 },
	    { "md/cur/3.c:2,S", "Subject: cur 3\n\nx\n", 0 },
	    { "md/cur/4.f:2,", "From x\nSubject: kept whole\n", 0 } } },
	{ "mboxrd-quoting",
	  { { "rd.mbox",
	      "From a@example.org Mon Jan  1 00:00:00 2024\n"
	      "Subject: 1\n\n"
	      ">From here\n>>From there\n>>>From deep\n"
	      "> From not\n>Fromage\n>\n\n"
	      "From b@example.org Mon Jan  1 00:00:01 2024\n"
	      "Subject: 2\n\nbody\n\n" } },
	  "rd.mbox", 0, "mbox", -1,
	  { { "rd.mbox:1",
	      "Subject: 1\n\nFrom here\n>From there\n>>From deep\n"
	      "> From not\n>Fromage\n>\n", 0 },
	    { "rd.mbox:2", "Subject: 2\n\nbody\n", 0 } } },
	{ "mboxo-quoting",
	  { { "o.mbox",
	      "From a Mon Jan  1 00:00:00 2024\nSubject: o\n\n"
	      ">From the start\n\n"
	      "From b Mon Jan  1 00:00:00 2024\nSubject: o2\n\n"
	      ">>From x\nno final blank line\n" } },
	  "o.mbox", 0, "mbox", -1,
	  { { "o.mbox:1", "Subject: o\n\nFrom the start\n", 0 },
	    { "o.mbox:2", "Subject: o2\n\n>From x\nno final blank line\n",
	      0 } } },
	{ "mbox-crlf",
	  { { "crlf.mbox",
	      "From a Mon Jan  1 00:00:00 2024\r\nSubject: 1\r\n\r\n"
	      "body\r\n>From x\r\n\r\n"
	      "From b Mon Jan  1 00:00:00 2024\r\nSubject: 2\r\n\r\n"
	      "b2\r\n\r\n" } },
	  "crlf.mbox", 0, "mbox", -1,
	  { { "crlf.mbox:1", "Subject: 1\r\n\r\nbody\r\nFrom x\r\n", 0 },
	    { "crlf.mbox:2", "Subject: 2\r\n\r\nb2\r\n", 0 } } },
	{ "mbox-from-in-body",
	  { { "body.mbox",
	      "From a Mon Jan  1 00:00:00 2024\nSubject: 1\n\n"
	      "line\nFrom me to you\nFrom again\n\n\n"
	      "From b Mon Jan  1 00:00:00 2024\nSubject: 2\n\nx\n" } },
	  "body.mbox", 0, "mbox", -1,
	  { { "body.mbox:1",
	      "Subject: 1\n\nline\nFrom me to you\nFrom again\n\n", 0 },
	    { "body.mbox:2", "Subject: 2\n\nx\n", 0 } } },
	{ "mbox-empty",
	  { { "empty.mbox", "" } },
	  "empty.mbox", 0, "mbox", -1, { { NULL, NULL, 0 } } },
	{ "mbox-empty-message-unterminated",
	  { { "u.mbox", "From a\n\nFrom b\nS: 2\n\nno newline" } },
	  "u.mbox", 0, "mbox", -1,
	  { { "u.mbox:1", "", 0 },
	    { "u.mbox:2", "S: 2\n\nno newline", 0 } } },
	{ "single-file",
	  { { "one.eml",
	      "Received: x\nSubject: one\n\nFrom here on, body\n\n" } },
	  "one.eml", 0, "file", -1,
	  { { "one.eml",
	      "Received: x\nSubject: one\n\nFrom here on, body\n\n", 0 } } },
	{ "single-file-over-cap",
	  { { "big.eml", "Subject: big\n\n0123456789012345678901234567\n" } },
	  "big.eml", 20, "file", -1,
	  { { "big.eml", NULL, 43 } } },
	{ "cap",
	  { { "d/a.eml", "Subject: a\n\n1234567\n" },  /* 20: at the cap */
	    { "d/b.eml", "Subject: b\n\n12345678\n" }, /* 21 */
	    { "d/c.mbox",
	      "From x\nSubject: c\n\n>From 1234567890\n\n"
	      "From y\nS: d\n\nok\n\n"
	      "From z\nSubject: e\n\n12345678\n" } },
	  "d", 20, "directory", -1,
	  { { "d/a.eml", "Subject: a\n\n1234567\n", 0 },
	    { "d/b.eml", NULL, 21 },
	    { "d/c.mbox:1", NULL, 28 }, /* size after unquoting */
	    { "d/c.mbox:2", "S: d\n\nok\n", 0 },
	    { "d/c.mbox:3", NULL, 21 } } },
	{ "missing",
	  { { NULL, NULL } },
	  "nope", 0, NULL, PD_ERROR_NOT_FOUND, { { NULL, NULL, 0 } } },
	{ "missing-below-file",
	  { { "f.eml", "Subject: f\n" } },
	  "f.eml/x", 0, NULL, PD_ERROR_NOT_FOUND, { { NULL, NULL, 0 } } },
	{ "nested",
	  { { "root/z.eml", "Subject: z\n" },
	    { "root/a.eml", "Subject: a\n" },
	    { "root/.dot", "Subject: dot\n" },
	    { "root/b/c.mbox", "From x\nS: c1\n\nFrom y\nS: c2\n" },
	    { "root/b/md/new/x", "Subject: x\n" },
	    { "root/b/md/tmp/t", "Subject: t\n" },
	    { "root/b/d/e/f.eml", "Subject: f\n" },
	    { "root/b/empty", NULL },
	    { "root/b/.git/config", "[core]\n" } },
	  "root", 0, "directory", -1,
	  { { "root/a.eml", "Subject: a\n", 0 },
	    { "root/b/c.mbox:1", "S: c1\n", 0 },
	    { "root/b/c.mbox:2", "S: c2\n", 0 },
	    { "root/b/d/e/f.eml", "Subject: f\n", 0 },
	    { "root/b/md/new/x", "Subject: x\n", 0 },
	    { "root/z.eml", "Subject: z\n", 0 } } },
};

typedef struct {
	char *origin; /* relative to PREFIX */
	GBytes *data;
	gsize size;
} got_t;

static void
got_free(gpointer p)
{
	got_t *g = p;

	g_free(g->origin);
	if (g->data != NULL)
		g_bytes_unref(g->data);
	g_free(g);
}

typedef struct {
	const char *prefix; /* "DIR/" */
	GPtrArray *got;
	guint fail_at;      /* fail on this message (1-based); 0: never */
} collect_t;

static gboolean
collect(const mailsource_msg_t *msg, gpointer user, GError **error)
{
	collect_t *c = user;
	got_t *g = g_new0(got_t, 1);

	g_assert_true(g_str_has_prefix(msg->origin, c->prefix));
	if (msg->data != NULL)
		g_assert_cmpuint(g_bytes_get_size(msg->data), ==, msg->size);
	g->origin = g_strdup(msg->origin + strlen(c->prefix));
	g->data = msg->data != NULL ? g_bytes_ref(msg->data) : NULL;
	g->size = msg->size;
	g_ptr_array_add(c->got, g);
	if (c->got->len == c->fail_at) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "stop at %u",
			    c->fail_at);
		return FALSE;
	}
	return TRUE;
}

static void
rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		GDir *dir;
		const char *name;

		g_chmod(path, 0700);
		dir = g_dir_open(path, 0, NULL);
		if (dir != NULL) {
			while ((name = g_dir_read_name(dir)) != NULL) {
				g_autofree char *child =
					g_build_filename(path, name, NULL);

				rm_rf(child);
			}
			g_dir_close(dir);
		}
		g_assert_cmpint(g_rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
}

static void
write_file(const char *dir, const char *rel, const char *content, gsize len)
{
	g_autofree char *path = g_build_filename(dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	if (content == NULL) {
		g_assert_cmpint(g_mkdir_with_parents(path, 0700), ==, 0);
		return;
	}
	g_file_set_contents(path, content, (gssize)len, &error);
	g_assert_no_error(error);
}

static char *
make_tmp(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("pd-mailsource-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

/* Walk REL below DIR with CAP; the messages seen, and the walk's result
 * in *OK and *ERROR. */
static GPtrArray *
run_walk(const char *dir, const char *rel, gsize cap, guint fail_at,
	 gboolean *ok, GError **error)
{
	g_autofree char *path = g_build_filename(dir, rel, NULL);
	g_autofree char *prefix = g_strconcat(dir, "/", NULL);
	collect_t c = { prefix, g_ptr_array_new_with_free_func(got_free),
			fail_at };

	*ok = mailsource_walk(path, cap, collect, &c, error);
	return c.got;
}

static void
check_case(gconstpointer data)
{
	const case_t *tc = data;
	g_autofree char *dir = make_tmp();
	g_autofree char *path = g_build_filename(dir, tc->walk, NULL);
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;
	guint nwant = 0;

	for (gsize i = 0; i < MAX_FILES && tc->files[i].path != NULL; i++) {
		const char *content = tc->files[i].content;

		write_file(dir, tc->files[i].path, content,
			   content != NULL ? strlen(content) : 0);
	}
	g_assert_cmpstr(mailsource_kind(path), ==, tc->kind);
	got = run_walk(dir, tc->walk, tc->max_size, 0, &ok, &error);
	if (tc->error_code >= 0) {
		g_assert_error(error, PD_ERROR, tc->error_code);
		g_assert_false(ok);
		g_assert_nonnull(strstr(error->message, tc->walk));
	} else {
		g_assert_no_error(error);
		g_assert_true(ok);
	}
	while (nwant < MAX_WANT && tc->want[nwant].origin != NULL)
		nwant++;
	for (guint i = 0; i < MIN(nwant, got->len); i++) {
		const want_t *w = &tc->want[i];
		const got_t *g = got->pdata[i];

		g_assert_cmpstr(g->origin, ==, w->origin);
		if (w->data == NULL) {
			g_assert_null(g->data);
			g_assert_cmpuint(g->size, ==, w->size);
		} else {
			gsize len;
			const char *bytes;

			g_assert_nonnull(g->data);
			bytes = g_bytes_get_data(g->data, &len);
			g_assert_cmpmem(bytes, len, w->data, strlen(w->data));
			g_assert_cmpuint(g->size, ==, strlen(w->data));
		}
	}
	g_assert_cmpuint(got->len, ==, nwant);
	rm_rf(dir);
}

/* Lines longer than the read buffer: a From_ line, a body line, and a
 * quoted line right after one. */
static void
test_long_lines(void)
{
	g_autofree char *dir = make_tmp();
	g_autoptr(GString) mbox = g_string_new("From ");
	g_autoptr(GString) want1 = g_string_new("Subject: long\n\n");
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;
	const got_t *g;
	gsize len;
	const char *bytes;

	for (int i = 0; i < 100000; i++)
		g_string_append_c(mbox, 'x');
	g_string_append(mbox, "\nSubject: long\n\n");
	for (int i = 0; i < 200000; i++) {
		g_string_append_c(mbox, i % 70000 == 0 ? '>' : 'y');
		g_string_append_c(want1, i % 70000 == 0 ? '>' : 'y');
	}
	g_string_append(mbox, "\n>From z\n\nFrom b\nS: 2\n");
	g_string_append(want1, "\nFrom z\n");
	write_file(dir, "long.mbox", mbox->str, mbox->len);

	got = run_walk(dir, "long.mbox", 0, 0, &ok, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_cmpuint(got->len, ==, 2);
	g = got->pdata[0];
	bytes = g_bytes_get_data(g->data, &len);
	g_assert_cmpmem(bytes, len, want1->str, want1->len);
	g = got->pdata[1];
	bytes = g_bytes_get_data(g->data, &len);
	g_assert_cmpmem(bytes, len, "S: 2\n", 5);
	g_clear_pointer(&got, g_ptr_array_unref);

	/* The same over a cap smaller than the buffer: size only. */
	got = run_walk(dir, "long.mbox", 1000, 0, &ok, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(got->len, ==, 2);
	g = got->pdata[0];
	g_assert_null(g->data);
	g_assert_cmpuint(g->size, ==, want1->len);
	rm_rf(dir);
}

/* The callback's error stops the walk and comes back unchanged. */
static void
test_callback_error(void)
{
	static const char three[] = "From a\nS: 1\n\nFrom b\nS: 2\n\nFrom c\n";
	g_autofree char *dir = make_tmp();
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	write_file(dir, "three.mbox", three, strlen(three));
	got = run_walk(dir, "three.mbox", 0, 2, &ok, &error);
	g_assert_false(ok);
	g_assert_error(error, PD_ERROR, PD_ERROR_TEMP);
	g_assert_cmpstr(error->message, ==, "stop at 2");
	g_assert_cmpuint(got->len, ==, 2);
	rm_rf(dir);
}

/* A symlink back up the tree does not make the walk go round. */
static void
test_symlink_loop(void)
{
	g_autofree char *dir = make_tmp();
	g_autofree char *loop = g_build_filename(dir, "root/sub/loop", NULL);
	g_autofree char *dangling = g_build_filename(dir, "root/gone", NULL);
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	write_file(dir, "root/sub/m.eml", "Subject: m\n", 11);
	g_assert_cmpint(symlink("..", loop), ==, 0);
	g_assert_cmpint(symlink("nowhere", dangling), ==, 0);
	got = run_walk(dir, "root", 0, 0, &ok, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_cmpuint(got->len, ==, 1);
	g_assert_cmpstr(((got_t *)got->pdata[0])->origin, ==, "root/sub/m.eml");
	rm_rf(dir);
}

typedef struct {
	collect_t c;
	const char *dir;
} rename_t;

/* A mail client at work during the walk: after new/1 it moves new/2 to
 * cur/, and after cur/ has been listed it flags cur/b as seen. Both are
 * still read once, under their new names. */
static gboolean
collect_and_rename(const mailsource_msg_t *msg, gpointer user, GError **error)
{
	rename_t *r = user;
	const char *from = NULL, *to = NULL;

	if (g_str_has_suffix(msg->origin, "/md/new/1")) {
		from = "md/new/2";
		to = "md/cur/2:2,S";
	} else if (g_str_has_suffix(msg->origin, "/md/cur/2:2,S")) {
		from = "md/cur/b:2,";
		to = "md/cur/b:2,S";
	}
	if (from != NULL) {
		g_autofree char *src = g_build_filename(r->dir, from, NULL);
		g_autofree char *dst = g_build_filename(r->dir, to, NULL);

		g_assert_cmpint(g_rename(src, dst), ==, 0);
	}
	return collect(msg, &r->c, error);
}

static void
test_maildir_renamed(void)
{
	static const char *const want[] = { "md/new/1", "md/cur/2:2,S",
					    "md/cur/a:2,", "md/cur/b:2,S" };
	g_autofree char *dir = make_tmp();
	g_autofree char *path = g_build_filename(dir, "md", NULL);
	g_autofree char *prefix = g_strconcat(dir, "/", NULL);
	g_autoptr(GError) error = NULL;
	rename_t r = { { prefix, g_ptr_array_new_with_free_func(got_free), 0 },
		       dir };

	write_file(dir, "md/new/1", "Subject: 1\n", 11);
	write_file(dir, "md/new/2", "Subject: 2\n", 11);
	write_file(dir, "md/cur/a:2,", "Subject: a\n", 11);
	write_file(dir, "md/cur/b:2,", "Subject: b\n", 11);
	g_assert_true(mailsource_walk(path, 0, collect_and_rename, &r, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(r.c.got->len, ==, G_N_ELEMENTS(want));
	for (guint i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_cmpstr(((got_t *)r.c.got->pdata[i])->origin, ==,
				want[i]);
	g_ptr_array_unref(r.c.got);
	rm_rf(dir);
}

/* A file that cannot be read stops the walk with PD_ERROR_INPUT. */
static void
test_unreadable(void)
{
	g_autofree char *dir = make_tmp();
	g_autofree char *path = g_build_filename(dir, "d/secret.eml", NULL);
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	write_file(dir, "d/secret.eml", "Subject: s\n", 11);
	g_assert_cmpint(g_chmod(path, 0), ==, 0);
	if (access(path, R_OK) == 0) {
		g_test_skip("running with privileges that read any file");
		rm_rf(dir);
		return;
	}
	got = run_walk(dir, "d", 0, 0, &ok, &error);
	g_assert_false(ok);
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	g_assert_cmpuint(got->len, ==, 0);
	rm_rf(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name =
			g_strdup_printf("/mailsource/%s", cases[i].name);

		g_test_add_data_func(name, &cases[i], check_case);
	}
	g_test_add_func("/mailsource/long-lines", test_long_lines);
	g_test_add_func("/mailsource/callback-error", test_callback_error);
	g_test_add_func("/mailsource/symlink-loop", test_symlink_loop);
	g_test_add_func("/mailsource/maildir-renamed", test_maildir_renamed);
	g_test_add_func("/mailsource/unreadable", test_unreadable);
	return g_test_run();
}
