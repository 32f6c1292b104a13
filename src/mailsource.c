/* SPDX-License-Identifier: MIT
 * mailsource.c: read the messages of Maildirs, mbox files, single message
 * files and directory trees of those, for `postdesk import`. It hands out
 * bytes; parsing is mime's job, and it never writes: no Maildir flags, no
 * mbox locks (import reads a quiescent mailbox or a copy).
 *
 * Maildir: https://cr.yp.to/proto/maildir.html. mbox: RFC 4155 and the
 * "mboxo"/"mboxrd" variants it describes. We cannot tell the variants
 * apart from the file, so one reader serves both: a message starts at a
 * "From " line at the start of the file or after a blank line (a "From "
 * line anywhere else is body text an mboxo writer did not quote), and one
 * '>' is removed from every line matching ^>+From , which undoes mboxrd
 * quoting exactly and mboxo quoting as well as it can be undone. CRLF
 * files work unchanged: their bytes are passed on as they are.
 *
 * mbox files can be gigabytes, so they are read through a fixed buffer a
 * line at a time (a longer line in pieces), and a message is kept only
 * while it is under the caller's cap. */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "error.h"
#include "mailsource.h"
#include "banned.h"

/* Bytes read at once, and the longest piece of a line looked at whole. */
#define MAILSOURCE_BUFSIZE (64 * 1024)
#define MBOX_FROM "From "
#define MBOX_FROM_LEN 5

typedef struct {
	gsize max_size;        /* effective cap, never 0 */
	mailsource_fn fn;
	gpointer user;
	GHashTable *visited;   /* "dev:ino" of every directory walked */
} walk_t;

/* A buffered reader over a file descriptor. */
typedef struct {
	const char *path;      /* for messages */
	int fd;
	guint8 *buf;           /* MAILSOURCE_BUFSIZE bytes */
	gsize start;           /* first unread byte */
	gsize end;             /* end of the bytes read */
	gboolean eof;
} reader_t;

/* The message being collected: bytes while under the cap, the size always. */
typedef struct {
	GByteArray *data;      /* NULL once over the cap */
	gsize size;
} msgbuf_t;

static gboolean
set_errno_error(GError **error, const char *path, int err)
{
	g_set_error(error, PD_ERROR,
		    err == ENOENT || err == ENOTDIR ? PD_ERROR_NOT_FOUND
						    : PD_ERROR_INPUT,
		    "%s: %s", path, g_strerror(err));
	return FALSE;
}

static int
open_read(const char *path)
{
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	return fd;
}

/* Read once more into the buffer, after moving unread bytes to its start.
 * One read(2) per call, so a pipe is not waited on for a full buffer. */
static gboolean
reader_fill(reader_t *r, GError **error)
{
	gssize n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->eof || r->end == MAILSOURCE_BUFSIZE)
		return TRUE;
	do
		n = read(r->fd, r->buf + r->end, MAILSOURCE_BUFSIZE - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return set_errno_error(error, r->path, errno);
	if (n == 0)
		r->eof = TRUE;
	r->end += (gsize)n;
	return TRUE;
}

/* The next piece of input: a whole line with its "\n", or the next
 * MAILSOURCE_BUFSIZE bytes of a longer line. *EOL says whether the piece
 * ends its line (the last line of a file ends it even without "\n").
 * *LEN is 0 at end of file. *PIECE is valid until the next call. */
static gboolean
reader_next(reader_t *r, const guint8 **piece, gsize *len, gboolean *eol,
	    GError **error)
{
	gsize scanned = 0;

	for (;;) {
		gsize avail = r->end - r->start;
		const guint8 *p = r->buf + r->start;
		const guint8 *nl = memchr(p + scanned, '\n', avail - scanned);

		if (nl != NULL || r->eof || avail == MAILSOURCE_BUFSIZE) {
			*piece = p;
			*len = nl != NULL ? (gsize)(nl + 1 - p) : avail;
			*eol = nl != NULL || r->eof;
			r->start += *len;
			return TRUE;
		}
		scanned = avail;
		if (!reader_fill(r, error))
			return FALSE;
	}
}

static void
msgbuf_init(msgbuf_t *m)
{
	m->data = g_byte_array_new();
	m->size = 0;
}

static void
msgbuf_clear(msgbuf_t *m)
{
	if (m->data != NULL)
		g_byte_array_unref(m->data);
	m->data = NULL;
	m->size = 0;
}

static void
msgbuf_append(msgbuf_t *m, gsize max_size, const guint8 *p, gsize len)
{
	m->size += len;
	if (m->data == NULL)
		return;
	if (m->size > max_size) {
		g_byte_array_unref(m->data);
		m->data = NULL;
		return;
	}
	g_byte_array_append(m->data, p, (guint)len);
}

/* Hand the message to the callback and clear M. */
static gboolean
emit(walk_t *w, const char *origin, msgbuf_t *m, GError **error)
{
	g_autoptr(GBytes) data = NULL;
	GError *local = NULL;
	mailsource_msg_t msg = { origin, NULL, m->size };

	if (m->data != NULL) {
		data = g_byte_array_free_to_bytes(m->data);
		m->data = NULL;
	}
	msg.data = data;
	m->size = 0;
	if (w->fn(&msg, w->user, &local))
		return TRUE;
	if (local == NULL)
		local = g_error_new(PD_ERROR, PD_ERROR_INTERNAL,
				    "%s: stopped without a reason", origin);
	g_propagate_error(error, local);
	return FALSE;
}

/* A message whose size alone says it is over the cap: not read at all. */
static gboolean
emit_too_large(walk_t *w, const char *origin, gsize size, GError **error)
{
	msgbuf_t m = { NULL, size };

	return emit(w, origin, &m, error);
}

static gboolean
is_from_line(const guint8 *p, gsize len)
{
	return len >= MBOX_FROM_LEN && memcmp(p, MBOX_FROM, MBOX_FROM_LEN) == 0;
}

static gboolean
is_blank_line(const guint8 *p, gsize len)
{
	return (len == 1 && p[0] == '\n') ||
	       (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* The messages of an mbox whose first bytes R holds. A blank line is held
 * back until the next line shows whether it separates messages. */
static gboolean
walk_mbox(walk_t *w, reader_t *r, GError **error)
{
	msgbuf_t m = { NULL, 0 };
	guint n = 0;
	gboolean at_bol = TRUE, prev_blank = TRUE, in_from = FALSE;
	guint8 blank[2];
	gsize blank_len = 0;
	gboolean ok = TRUE;

	for (;;) {
		const guint8 *p;
		gsize len;
		gboolean eol, bol;

		if (!reader_next(r, &p, &len, &eol, error)) {
			ok = FALSE;
			break;
		}
		if (len == 0)
			break;
		bol = at_bol;
		at_bol = eol;
		if (in_from) {
			/* The rest of a From_ line longer than the buffer. */
			in_from = !eol;
			continue;
		}
		if (bol && prev_blank && is_from_line(p, len)) {
			if (n > 0) {
				g_autofree char *origin =
					g_strdup_printf("%s:%u", r->path, n);

				blank_len = 0;
				if (!emit(w, origin, &m, error)) {
					ok = FALSE;
					break;
				}
			}
			n++;
			msgbuf_clear(&m);
			msgbuf_init(&m);
			prev_blank = FALSE;
			in_from = !eol;
			continue;
		}
		if (n == 0)
			continue; /* not an mbox after all; cannot happen */
		if (blank_len > 0) {
			msgbuf_append(&m, w->max_size, blank, blank_len);
			blank_len = 0;
		}
		if (bol && eol && is_blank_line(p, len)) {
			memcpy(blank, p, len);
			blank_len = len;
			prev_blank = TRUE;
			continue;
		}
		prev_blank = FALSE;
		if (bol && p[0] == '>') {
			gsize k = 1;

			while (k < len && p[k] == '>')
				k++;
			if (is_from_line(p + k, len - k)) {
				p++;
				len--;
			}
		}
		msgbuf_append(&m, w->max_size, p, len);
	}
	if (ok && n > 0) {
		/* The blank line before end of file ends the last message. */
		g_autofree char *origin = g_strdup_printf("%s:%u", r->path, n);

		ok = emit(w, origin, &m, error);
	}
	msgbuf_clear(&m);
	return ok;
}

/* The rest of R as one message. */
static gboolean
walk_single(walk_t *w, reader_t *r, GError **error)
{
	msgbuf_t m;

	msgbuf_init(&m);
	for (;;) {
		const guint8 *p;
		gsize len;
		gboolean eol;

		if (!reader_next(r, &p, &len, &eol, error)) {
			msgbuf_clear(&m);
			return FALSE;
		}
		if (len == 0)
			break;
		msgbuf_append(&m, w->max_size, p, len);
	}
	if (m.size == 0) {
		msgbuf_clear(&m);
		return TRUE;
	}
	return emit(w, r->path, &m, error);
}

/* The message or messages in the open file FD. SNIFF: an mbox when it
 * starts with "From " (otherwise, in a Maildir, always one message). */
static gboolean
walk_fd(walk_t *w, int fd, const char *path, gboolean sniff, GError **error)
{
	g_autofree guint8 *buf = NULL;
	reader_t r = { path, fd, NULL, 0, 0, FALSE };
	struct stat st;
	gboolean sized;

	if (fstat(fd, &st) != 0)
		return set_errno_error(error, path, errno);
	if (S_ISDIR(st.st_mode))
		return set_errno_error(error, path, EISDIR);
	sized = S_ISREG(st.st_mode);
	if (sized && st.st_size == 0)
		return TRUE;
	if (!sniff && sized && (guint64)st.st_size > w->max_size)
		return emit_too_large(w, path, (gsize)st.st_size, error);

	buf = g_malloc(MAILSOURCE_BUFSIZE);
	r.buf = buf;
	if (sniff) {
		while (!r.eof && r.end < MBOX_FROM_LEN)
			if (!reader_fill(&r, error))
				return FALSE;
		if (is_from_line(r.buf, r.end))
			return walk_mbox(w, &r, error);
		if (sized && (guint64)st.st_size > w->max_size)
			return emit_too_large(w, path, (gsize)st.st_size,
					      error);
	}
	return walk_single(w, &r, error);
}

/* Open and read one file. *VANISHED (when not NULL) allows the file to be
 * gone: TRUE is returned with *VANISHED set, for the caller to decide. */
static gboolean
walk_file(walk_t *w, const char *path, gboolean sniff, gboolean *vanished,
	  GError **error)
{
	gboolean ok;
	int fd = open_read(path);

	if (vanished != NULL)
		*vanished = FALSE;
	if (fd < 0) {
		if (vanished != NULL && errno == ENOENT) {
			*vanished = TRUE;
			return TRUE;
		}
		return set_errno_error(error, path, errno);
	}
	ok = walk_fd(w, fd, path, sniff, error);
	close(fd);
	return ok;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory PATH but dot files, sorted bytewise. New array
 * (caller unrefs), or NULL with PD_ERROR_INPUT. */
static GPtrArray *
list_sorted(const char *path, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) dir = g_dir_open(path, 0, error);
	const char *name;

	if (dir == NULL) {
		pd_error_reclass(error, PD_ERROR_INPUT, NULL);
		return NULL;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		if (name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	return g_steal_pointer(&names);
}

static gboolean
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static gboolean
is_maildir(const char *path)
{
	g_autofree char *cur = g_build_filename(path, "cur", NULL);
	g_autofree char *new = g_build_filename(path, "new", NULL);

	return is_dir(cur) || is_dir(new);
}

/* A file of cur/ renamed since it was listed: a mail client changed its
 * flags, the part of the name before ':' stays. New path, or NULL. */
static char *
maildir_find_renamed(const char *dir, const char *name)
{
	g_autoptr(GPtrArray) names = list_sorted(dir, NULL);
	gsize unique = strcspn(name, ":");

	if (names == NULL)
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		const char *other = names->pdata[i];

		if (strncmp(other, name, unique) == 0 && other[unique] == ':')
			return g_build_filename(dir, other, NULL);
	}
	return NULL;
}

static gboolean
walk_maildir(walk_t *w, const char *path, GError **error)
{
	static const char *const subdirs[] = { "new", "cur" };

	for (gsize s = 0; s < G_N_ELEMENTS(subdirs); s++) {
		g_autofree char *dir = g_build_filename(path, subdirs[s], NULL);
		g_autoptr(GPtrArray) names = NULL;

		if (!is_dir(dir))
			continue;
		names = list_sorted(dir, error);
		if (names == NULL)
			return FALSE;
		for (guint i = 0; i < names->len; i++) {
			g_autofree char *file =
				g_build_filename(dir, names->pdata[i], NULL);
			g_autofree char *renamed = NULL;
			struct stat st;
			gboolean vanished;

			if (stat(file, &st) == 0 && !S_ISREG(st.st_mode))
				continue;
			if (!walk_file(w, file, FALSE, &vanished, error))
				return FALSE;
			/* Moved from new/ to cur/: found there later. */
			if (!vanished || s == 0)
				continue;
			renamed = maildir_find_renamed(dir, names->pdata[i]);
			if (renamed != NULL &&
			    !walk_file(w, renamed, FALSE, &vanished, error))
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean walk_dir(walk_t *w, const char *path, const struct stat *st,
			 GError **error);

static gboolean
walk_tree(walk_t *w, const char *path, GError **error)
{
	g_autoptr(GPtrArray) names = list_sorted(path, error);

	if (names == NULL)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *child =
			g_build_filename(path, names->pdata[i], NULL);
		struct stat st;
		gboolean vanished;

		if (stat(child, &st) != 0) {
			if (errno == ENOENT) /* gone, or a dangling symlink */
				continue;
			return set_errno_error(error, child, errno);
		}
		if (S_ISDIR(st.st_mode)) {
			if (!walk_dir(w, child, &st, error))
				return FALSE;
		} else if (S_ISREG(st.st_mode)) {
			if (!walk_file(w, child, TRUE, &vanished, error))
				return FALSE;
		}
		/* A FIFO found in a tree could block the walk forever. */
	}
	return TRUE;
}

static gboolean
walk_dir(walk_t *w, const char *path, const struct stat *st, GError **error)
{
	char *key = g_strdup_printf("%ju:%ju", (uintmax_t)st->st_dev,
				    (uintmax_t)st->st_ino);

	if (!g_hash_table_add(w->visited, key))
		return TRUE; /* walked already: a symlink loop, a second name */
	if (is_maildir(path))
		return walk_maildir(w, path, error);
	return walk_tree(w, path, error);
}

gboolean
mailsource_walk(const char *path, gsize max_size, mailsource_fn fn,
		gpointer user, GError **error)
{
	g_autoptr(GHashTable) visited =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	walk_t w = { max_size, fn, user, visited };
	struct stat st;

	g_return_val_if_fail(path != NULL && fn != NULL, FALSE);
	/* GByteArray lengths are guint. */
	if (w.max_size == 0 || w.max_size > G_MAXUINT)
		w.max_size = G_MAXUINT;
	if (stat(path, &st) != 0)
		return set_errno_error(error, path, errno);
	if (S_ISDIR(st.st_mode))
		return walk_dir(&w, path, &st, error);
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
			    "%s: not a file or directory", path);
		return FALSE;
	}
	return walk_file(&w, path, TRUE, NULL, error);
}

const char *
mailsource_kind(const char *path)
{
	char head[MBOX_FROM_LEN];
	struct stat st;
	gssize n;
	int fd;

	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? NULL : "file";
	if (S_ISDIR(st.st_mode))
		return is_maildir(path) ? "maildir" : "directory";
	if (!S_ISREG(st.st_mode))
		return "file";
	if (st.st_size == 0)
		return "mbox";
	fd = open_read(path);
	if (fd < 0)
		return "file";
	do
		n = read(fd, head, sizeof(head));
	while (n < 0 && errno == EINTR);
	close(fd);
	return n > 0 && is_from_line((const guint8 *)head, (gsize)n) ? "mbox"
								     : "file";
}
