/* SPDX-License-Identifier: MIT
 * outbound-spool.c: the embedded default transport. Each mail becomes one
 * Maildir message in SPOOL/outbox/ (written in tmp/, linked into new/; a
 * chunk of them made durable by one syncfs() at settle, before the queue
 * records them as sent), headed by its envelope record: one
 * "X-Postdesk-Rcpt: ADDR" line per recipient, then
 * "X-Postdesk-Mail-From: <ADDR>", then the bytes given, unchanged. Names
 * follow the Maildir convention (https://cr.yp.to/proto/maildir.html):
 * time.pid_counter.hostname. Also here: the
 * envelope check both transports share. Not here: the queue and retries
 * (outbound.c), SMTP (outbound-smtp.c). */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "error.h"
#include "outbound-transport.h"
#include "banned.h"

struct outbound_conn {
	char *tmp_dir; /* SPOOL/outbox/tmp */
	char *new_dir; /* SPOOL/outbox/new */
	char *host;    /* hostname with '/' and ':' escaped, for file names */
	GPtrArray *unsettled; /* paths in new/ written since the last settle */
};

/* A name must never be used twice, even by two batches in one process
 * within one second. */
static guint spool_counter;


/* An address that is safe inside "<...>" on an SMTP command line and in a
 * header line: no controls, spaces, angle brackets, and one '@' with
 * something on both sides of the last one. */
static gboolean
envelope_address_ok(const char *addr)
{
	const char *at = strrchr(addr, '@');
	gsize len = strlen(addr);

	if (len == 0 || len > 320 || at == NULL || at == addr || at[1] == '\0')
		return FALSE;
	for (const char *p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return FALSE;
	return g_utf8_validate(addr, (gssize)len, NULL);
}

gboolean
outbound_envelope_check(const char *mail_from, const char *const *rcpts,
			GError **error)
{
	if (mail_from == NULL || (*mail_from != '\0' && !envelope_address_ok(mail_from))) {
		g_autofree char *shown = mail_from ? g_strescape(mail_from, NULL) : NULL;

		g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
			    "envelope sender \"%s\" is not a usable address",
			    shown ? shown : "(none)");
		return FALSE;
	}
	if (rcpts == NULL || rcpts[0] == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
			    "no envelope recipients");
		return FALSE;
	}
	for (const char *const *r = rcpts; *r != NULL; r++) {
		if (!envelope_address_ok(*r)) {
			g_autofree char *shown = g_strescape(*r, NULL);

			g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
				    "envelope recipient \"%s\" is not a usable address",
				    shown);
			return FALSE;
		}
	}
	return TRUE;
}

/* Disk full and I/O errors pass; a spool we may not write into is the
 * operator's to fix. */
static void
spool_set_error(GError **error, int e, const char *what, const char *path)
{
	pd_error_code_t code = PD_ERROR_TEMP;

	if (e == EACCES || e == EPERM || e == EROFS || e == ENOTDIR || e == ENOENT)
		code = PD_ERROR_CONFIG;
	g_set_error(error, PD_ERROR, code, "spool: %s %s: %s", what, path,
		    g_strerror(e));
}

/* The hostname as Maildir wants it in a file name: '/' and ':' escaped as
 * octal, so a name is one path component and ':' stays the info
 * separator. */
static char *
spool_host_name(void)
{
	GString *s = g_string_new(NULL);

	for (const char *p = g_get_host_name(); *p != '\0'; p++) {
		if (*p == '/')
			g_string_append(s, "\\057");
		else if (*p == ':')
			g_string_append(s, "\\072");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

static void
spool_close(outbound_conn_t *conn)
{
	if (conn == NULL)
		return;
	g_free(conn->tmp_dir);
	g_free(conn->new_dir);
	g_free(conn->host);
	g_ptr_array_unref(conn->unsettled);
	g_free(conn);
}

static outbound_conn_t *
spool_open(const config_t *cfg, GError **error)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	outbound_conn_t *conn;
	g_autofree char *outbox = NULL;

	if (cfg->spool == NULL || *cfg->spool == '\0') {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "spool: [gateway] spool is not set");
		return NULL;
	}
	outbox = g_build_filename(cfg->spool, "outbox", NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		g_autofree char *dir = g_build_filename(outbox, subdirs[i], NULL);

		if (g_mkdir_with_parents(dir, 0700) != 0) {
			spool_set_error(error, errno, "creating", dir);
			return NULL;
		}
	}
	conn = g_new0(outbound_conn_t, 1);
	conn->tmp_dir = g_build_filename(outbox, "tmp", NULL);
	conn->new_dir = g_build_filename(outbox, "new", NULL);
	conn->host = spool_host_name();
	conn->unsettled = g_ptr_array_new_with_free_func(g_free);
	return conn;
}

static gboolean
spool_write_all(int fd, const char *p, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* The envelope record, in the line ending the message itself uses (that
 * of its first line), so the file does not mix them. */
static GString *
spool_envelope(const char *mail_from, const char *const *rcpts, GBytes *msg)
{
	gsize len;
	const char *data = g_bytes_get_data(msg, &len);
	const char *nl = len > 0 ? memchr(data, '\n', len) : NULL;
	const char *eol = nl != NULL && nl > data && nl[-1] == '\r' ? "\r\n" : "\n";
	GString *env = g_string_new(NULL);

	for (const char *const *r = rcpts; *r != NULL; r++)
		g_string_append_printf(env, OUTBOUND_HEADER_RCPT ": %s%s", *r, eol);
	g_string_append_printf(env, OUTBOUND_HEADER_MAIL_FROM ": <%s>%s",
			       mail_from, eol);
	return env;
}

/* Create a new file in tmp/ with ENV and MSG, closed (synced at settle). Returns
 * its path (new string; its name in *NAME_OUT), or NULL with the error set
 * and nothing left behind. */
static char *
spool_write_tmp(outbound_conn_t *conn, const GString *env, GBytes *msg,
		char **name_out, GError **error)
{
	gsize len;
	const char *data = g_bytes_get_data(msg, &len);

	/* Real time, not util_now(): POSTDESK_NOW fixes the clock in tests,
	 * and names must stay unique there too. O_EXCL catches the rest. */
	for (int attempt = 0; attempt < 100; attempt++) {
		g_autofree char *name = g_strdup_printf(
			"%" G_GINT64_FORMAT ".%d_%u.%s",
			g_get_real_time() / G_USEC_PER_SEC, (int)getpid(),
			(guint)g_atomic_int_add(&spool_counter, 1), conn->host);
		g_autofree char *tmp = g_build_filename(conn->tmp_dir, name, NULL);
		g_autofree char *dst = g_build_filename(conn->new_dir, name, NULL);
		int fd;

		if (access(dst, F_OK) == 0)
			continue;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			spool_set_error(error, errno, "creating", tmp);
			return NULL;
		}
		if (!spool_write_all(fd, env->str, env->len) ||
		    !spool_write_all(fd, data, len)) {
			int e = errno;

			close(fd);
			unlink(tmp);
			spool_set_error(error, e, "writing", tmp);
			return NULL;
		}
		if (close(fd) != 0) {
			int e = errno;

			unlink(tmp);
			spool_set_error(error, e, "writing", tmp);
			return NULL;
		}
		*name_out = g_steal_pointer(&name);
		return g_steal_pointer(&tmp);
	}
	g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
		    "spool: no unique file name in %s", conn->tmp_dir);
	return NULL;
}

/* syncfs(2): every file written in new/ since the last settle, and the
 * names in new/, reach the disk in one call (Linux reports writeback
 * errors from it since 5.8). */
static gboolean
spool_settle(outbound_conn_t *conn, GError **error)
{
	int fd, e = 0;

	if (conn->unsettled->len == 0)
		return TRUE;
	fd = open(conn->new_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) != 0)
		e = errno;
	if (fd >= 0)
		close(fd);
	if (e != 0) {
		/* Not sure to be on disk: take them back, so that the retry does
		 * not send them twice. */
		for (guint i = 0; i < conn->unsettled->len; i++)
			unlink(conn->unsettled->pdata[i]);
		spool_set_error(error, e, "syncing", conn->new_dir);
	}
	g_ptr_array_set_size(conn->unsettled, 0);
	return e == 0;
}

static gboolean
spool_send(outbound_conn_t *conn, const char *mail_from,
	   const char *const *rcpts, GBytes *msg, GError **error)
{
	g_autoptr(GString) env = NULL;
	g_autofree char *name = NULL;
	g_autofree char *tmp = NULL;
	g_autofree char *dst = NULL;

	if (!outbound_envelope_check(mail_from, rcpts, error))
		return FALSE;
	env = spool_envelope(mail_from, rcpts, msg);
	tmp = spool_write_tmp(conn, env, msg, &name, error);
	if (tmp == NULL)
		return FALSE;
	dst = g_build_filename(conn->new_dir, name, NULL);
	/* link() rather than rename(): it refuses to replace a file of the
	 * same name in new/. Filesystems without hard links get rename(),
	 * after the access() check in spool_write_tmp(). */
	if (link(tmp, dst) != 0) {
		int e = errno;

		if ((e != EPERM && e != ENOSYS && e != EOPNOTSUPP) ||
		    rename(tmp, dst) != 0) {
			if (e == EPERM || e == ENOSYS || e == EOPNOTSUPP)
				e = errno;
			unlink(tmp);
			spool_set_error(error, e, "moving into", conn->new_dir);
			return FALSE;
		}
	} else {
		unlink(tmp);
	}
	/* It counts as spooled once settled: its data and its name in new/
	 * on disk. */
	g_ptr_array_add(conn->unsettled, g_steal_pointer(&dst));
	return TRUE;
}

const outbound_transport_t outbound_spool_transport = {
	.name = "spool",
	.open = spool_open,
	.send = spool_send,
	.settle = spool_settle,
	.close = spool_close,
};
