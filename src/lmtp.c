/* SPDX-License-Identifier: MIT
 * lmtp.c: see lmtp.h. RFC 2033 (LMTP), RFC 5321 (the SMTP it is built
 * on: replies, dot-stuffing), RFC 2034 (enhanced status codes). */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "error.h"
#include "lmtp.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "banned.h"

#define LMTP_LINE_MAX 4096       /* command lines; RFC 5321 4.5.3.1.4 says 512 */
#define LMTP_RCPT_MAX 100        /* recipients per message */
#define LMTP_IDLE_TIMEOUT 300    /* seconds without a command */
#define LMTP_SESSIONS_MAX 32     /* at once; an MTA opens a few, more is abuse */

struct lmtp {
	const config_t *cfg;
	int fd;
	int stop_fd;                 /* quit pipe's read end: readable = stop */
	int quit[2];
	char *path;                  /* the unix socket, removed on stop */
	void (*committed)(void);
	GThread *acceptor;
	GMutex lock;
	GCond ended;                 /* signalled as each session ends */
	guint sessions;              /* running; under lock */
	volatile gint stopping;
};

typedef struct {
	lmtp_t *l;
	int fd;
	char buf[65536];             /* read buffer: buf[start..end) unread */
	gsize start, end;
	store_t *st;
	char *from;
	GPtrArray *rcpts;            /* char* */
} session_t;

static gboolean
reply(session_t *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
reply(session_t *s, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *line = NULL;
	gsize len;
	const char *p;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	len = strlen(line);
	for (p = line; len > 0;) {
		ssize_t n = write(s->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* One line, with its line end, into LINE (emptied first); at most CAP
 * bytes are kept (a longer line is read to its end and *LONG set). FALSE
 * at the end of the connection, on a timeout, or, BETWEEN_COMMANDS, when
 * told to stop: a message in hand is always finished first. */
static gboolean
read_line(session_t *s, GString *line, gsize cap, gboolean between_commands,
	  gboolean *long_line)
{
	g_string_truncate(line, 0);
	*long_line = FALSE;
	for (;;) {
		char *nl = memchr(s->buf + s->start, '\n', s->end - s->start);
		gsize take = nl ? (gsize)(nl + 1 - (s->buf + s->start)) : s->end - s->start;
		struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
				       { .fd = s->l->stop_fd, .events = POLLIN } };
		ssize_t n;

		if (line->len + take > cap)
			*long_line = TRUE;
		else
			g_string_append_len(line, s->buf + s->start, (gssize)take);
		s->start += take;
		if (nl != NULL)
			return TRUE;
		s->start = s->end = 0;
		if (poll(p, between_commands ? 2 : 1, LMTP_IDLE_TIMEOUT * 1000) <= 0 ||
		    (between_commands && line->len == 0 && (p[1].revents & POLLIN)))
			return FALSE;
		n = read(s->fd, s->buf, sizeof s->buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		s->end = (gsize)n;
	}
}

/* LINE without its CRLF. */
static void
chomp(GString *line)
{
	while (line->len > 0 && (line->str[line->len - 1] == '\n' || line->str[line->len - 1] == '\r'))
		g_string_truncate(line, line->len - 1);
}

/* The address inside "<...>" after VERB:, or NULL. */
static char *
path_arg(const char *line, const char *verb)
{
	gsize n = strlen(verb);
	const char *lt, *gt;

	if (g_ascii_strncasecmp(line, verb, n) != 0)
		return NULL;
	lt = strchr(line + n, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt == NULL || gt == NULL)
		return NULL;
	return g_strndup(lt + 1, (gsize)(gt - lt - 1));
}

/* Is ADDR one of ours, with or without a +detail? */
static gboolean
our_address(const config_t *cfg, const char *addr)
{
	g_autofree char *a = util_address_normalize(addr);
	char *plus, *at;

	if (a == NULL)
		return FALSE;
	if (config_is_own_address(cfg, a))
		return TRUE;
	plus = strchr(a, '+');
	at = strrchr(a, '@');
	if (plus == NULL || at == NULL || plus > at)
		return FALSE;
	memmove(plus, at, strlen(at) + 1);
	return config_is_own_address(cfg, a);
}

/* Commit MSG to the incoming queue: after that the MTA may forget it. */
static gboolean
accept_message(session_t *s, GByteArray *msg, GError **error)
{
	gint64 id;

	if (!store_begin(s->st, error))
		return FALSE;
	id = store_incoming_add(s->st, "lmtp", s->rcpts->pdata[0], (const char *)msg->data, msg->len,
				util_now(), error);
	if (id == 0) {
		store_rollback(s->st);
		return FALSE;
	}
	if (!store_commit(s->st, error))
		return FALSE;
	log_debug("lmtp", "accepted %u bytes for %u recipient%s (incoming %" G_GINT64_FORMAT ")",
		  msg->len, s->rcpts->len, s->rcpts->len == 1 ? "" : "s", id);
	return TRUE;
}

/* DATA: read the dot-stuffed message, queue it once, answer per
 * recipient. FALSE when the connection is gone. */
static gboolean
data(session_t *s, GString *line)
{
	GByteArray *msg = g_byte_array_new();
	gsize max = s->l->cfg->max_quarantine_size, seen = 0;
	gboolean ended = FALSE;
	g_autoptr(GError) error = NULL;
	int code = 250;

	if (!reply(s, "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n")) {
		g_byte_array_unref(msg);
		return FALSE;
	}
	for (;;) {
		gboolean long_line;
		char *l;
		gsize n;

		if (!read_line(s, line, max + 2, FALSE, &long_line))
			break;
		l = line->str;
		n = line->len;
		if (long_line)
			seen = max + 1;
		if (strcmp(l, ".\r\n") == 0 || strcmp(l, ".\n") == 0) {
			ended = TRUE;
			break;
		}
		/* RFC 5321 4.5.2: a leading dot was doubled by the client. */
		if (l[0] == '.') {
			l++;
			n--;
		}
		seen += n;
		if (seen <= max)
			g_byte_array_append(msg, (const guint8 *)l, (guint)n);
	}
	if (!ended) {
		g_byte_array_unref(msg);
		return FALSE;
	}
	if (seen > max) {
		g_set_error(&error, PD_ERROR, PD_ERROR_TOO_LARGE,
			    "message is %" G_GSIZE_FORMAT " bytes, over max_quarantine_size", seen);
		code = 552;
	} else if (!accept_message(s, msg, &error)) {
		code = 451;
	}
	g_byte_array_unref(msg);
	/* Stored but not yet answered: the MTA must retry and get a duplicate. */
	if (code == 250)
		util_crash_point("lmtp-committed");
	if (code == 250 && s->l->committed != NULL)
		s->l->committed();
	if (code != 250)
		log_warn("lmtp: message refused with %d: %s", code, error->message);
	/* RFC 2033 4.2: one reply per accepted recipient, in order. The 250s
	 * come after the commit: the MTA may forget the mail then. */
	for (guint i = 0; i < s->rcpts->len; i++) {
		gboolean ok = code == 250 ? reply(s, "250 2.0.0 <%s> stored\r\n", (char *)s->rcpts->pdata[i])
			    : code == 552 ? reply(s, "552 5.3.4 <%s> %s\r\n", (char *)s->rcpts->pdata[i],
						   error->message)
					  : reply(s, "451 4.3.0 <%s> try again later\r\n",
						  (char *)s->rcpts->pdata[i]);
		if (!ok)
			return FALSE;
	}
	g_ptr_array_set_size(s->rcpts, 0);
	g_clear_pointer(&s->from, g_free);
	return TRUE;
}

static gpointer
session_main(gpointer data_)
{
	session_t *s = data_;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) buf = g_string_new(NULL);
	gboolean lhlo = FALSE, long_line;

	s->rcpts = g_ptr_array_new_with_free_func(g_free);
	s->st = store_incoming_open(s->l->cfg->database, &error);
	if (s->st != NULL && !store_long_lived(s->st, &error))
		g_clear_pointer(&s->st, store_close);
	if (s->st == NULL) {
		reply(s, "421 4.3.0 postdesk cannot take mail now\r\n");
		log_error("lmtp: %s", error ? error->message : g_strerror(errno));
		goto out;
	}
	if (!reply(s, "220 %s LMTP postdesk ready\r\n", strrchr(s->l->cfg->support_address, '@') + 1))
		goto out;
	while (read_line(s, buf, LMTP_LINE_MAX, TRUE, &long_line)) {
		g_autofree char *arg = NULL;
		const char *line;

		chomp(buf);
		line = buf->str;
		if (long_line) {
			reply(s, "500 5.5.2 line too long\r\n");
		} else if (g_ascii_strncasecmp(line, "LHLO", 4) == 0) {
			lhlo = TRUE;
			reply(s, "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
				 "250-8BITMIME\r\n250 SIZE %" G_GUINT64_FORMAT "\r\n",
			      strrchr(s->l->cfg->support_address, '@') + 1,
			      s->l->cfg->max_quarantine_size);
		} else if ((arg = path_arg(line, "MAIL FROM:")) != NULL) {
			if (!lhlo)
				reply(s, "503 5.5.1 LHLO first\r\n");
			else if (s->from != NULL)
				reply(s, "503 5.5.1 nested MAIL\r\n");
			else {
				s->from = g_steal_pointer(&arg);
				reply(s, "250 2.1.0 sender ok\r\n");
			}
		} else if ((arg = path_arg(line, "RCPT TO:")) != NULL) {
			if (s->from == NULL)
				reply(s, "503 5.5.1 MAIL first\r\n");
			else if (s->rcpts->len >= LMTP_RCPT_MAX)
				reply(s, "452 4.5.3 too many recipients\r\n");
			else if (!our_address(s->l->cfg, arg))
				reply(s, "550 5.1.1 <%s> is not an address of this gateway\r\n", arg);
			else {
				g_ptr_array_add(s->rcpts, g_steal_pointer(&arg));
				reply(s, "250 2.1.5 recipient ok\r\n");
			}
		} else if (g_ascii_strcasecmp(line, "DATA") == 0) {
			if (s->rcpts->len == 0)
				reply(s, "503 5.5.1 no valid recipients\r\n");
			else if (!data(s, buf))
				break;
		} else if (g_ascii_strcasecmp(line, "RSET") == 0) {
			g_ptr_array_set_size(s->rcpts, 0);
			g_clear_pointer(&s->from, g_free);
			reply(s, "250 2.0.0 ok\r\n");
		} else if (g_ascii_strcasecmp(line, "NOOP") == 0) {
			reply(s, "250 2.0.0 ok\r\n");
		} else if (g_ascii_strncasecmp(line, "VRFY", 4) == 0) {
			reply(s, "252 2.5.0 cannot verify, send it\r\n");
		} else if (g_ascii_strcasecmp(line, "QUIT") == 0) {
			reply(s, "221 2.0.0 bye\r\n");
			goto out;
		} else {
			reply(s, "500 5.5.1 unknown command\r\n");
		}
	}
	/* Told to stop while the client was idle (RFC 5321 3.8). */
	if (g_atomic_int_get(&s->l->stopping))
		reply(s, "421 4.3.2 postdesk is shutting down\r\n");
out:
	close(s->fd);
	store_close(s->st);
	g_ptr_array_unref(s->rcpts);
	g_free(s->from);
	/* The thread is detached: the last touch of L, which lmtp_stop frees
	 * once the count is zero. */
	g_mutex_lock(&s->l->lock);
	s->l->sessions--;
	g_cond_signal(&s->l->ended);
	g_mutex_unlock(&s->l->lock);
	g_free(s);
	return NULL;
}

/* Turn away connection C: too many sessions at once. */
static void
refuse(int c)
{
	static const char busy[] = "421 4.3.2 too many connections, try again later\r\n";

	(void)!write(c, busy, sizeof busy - 1);
	close(c);
}

static gpointer
acceptor_main(gpointer data_)
{
	lmtp_t *l = data_;

	for (;;) {
		struct pollfd p[2] = { { .fd = l->fd, .events = POLLIN },
				       { .fd = l->stop_fd, .events = POLLIN } };
		session_t *s;
		int c;

		if (poll(p, 2, 500) < 0 && errno != EINTR)
			break;
		if (g_atomic_int_get(&l->stopping) || (p[1].revents & POLLIN))
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			/* Out of descriptors: let sessions end rather than spin. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
				g_usleep(100 * 1000);
			continue;
		}
		g_mutex_lock(&l->lock);
		if (l->sessions >= LMTP_SESSIONS_MAX) {
			g_mutex_unlock(&l->lock);
			log_warn("lmtp: %d sessions at once; turning a connection away",
				 LMTP_SESSIONS_MAX);
			refuse(c);
			continue;
		}
		l->sessions++;
		g_mutex_unlock(&l->lock);
		s = g_new0(session_t, 1);
		s->l = l;
		s->fd = c;
		/* Detached: a finished session leaves nothing behind. */
		g_thread_unref(g_thread_new("lmtp", session_main, s));
	}
	return NULL;
}

lmtp_t *
lmtp_start(const config_t *cfg, void (*committed)(void), GError **error)
{
	const char *spec = cfg->lmtp_listen;
	lmtp_t *l;
	int fd;

	if (g_str_has_prefix(spec, "unix:")) {
		g_autofree char *path = util_path_relative_to(cfg->path, spec + 5);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(path) >= sizeof sa.sun_path) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: socket path too long", path);
			return NULL;
		}
		memcpy(sa.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		unlink(path);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "lmtp: listen on %s: %s", path,
				    g_strerror(errno));
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		l = g_new0(lmtp_t, 1);
		l->path = g_steal_pointer(&path);
	} else {
		const char *colon = strrchr(spec, ':');
		g_autofree char *host = colon ? g_strndup(spec, (gsize)(colon - spec)) : NULL;
		gint64 port;
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int one = 1;

		if (host == NULL || !util_parse_int(colon + 1, 1, 65535, &port) ||
		    inet_pton(AF_INET, g_strcmp0(host, "localhost") == 0 ? "127.0.0.1" : host,
			      &sa.sin_addr) != 1) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "[lmtp] listen: \"%s\" is not unix:PATH or IPv4-HOST:PORT", spec);
			return NULL;
		}
		sa.sin_port = htons((guint16)port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "lmtp: listen on %s: %s", spec,
				    g_strerror(errno));
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		l = g_new0(lmtp_t, 1);
	}
	l->cfg = cfg;
	l->committed = committed;
	l->fd = fd;
	if (pipe2(l->quit, O_CLOEXEC) != 0)
		g_error("pipe: %s", g_strerror(errno));
	l->stop_fd = l->quit[0];
	g_mutex_init(&l->lock);
	g_cond_init(&l->ended);
	l->acceptor = g_thread_new("lmtp-accept", acceptor_main, l);
	log_info("lmtp: listening on %s", spec);
	return l;
}

void
lmtp_stop(lmtp_t *l)
{
	if (l == NULL)
		return;
	g_atomic_int_set(&l->stopping, 1);
	(void)!write(l->quit[1], "q", 1);
	g_thread_join(l->acceptor);
	close(l->fd);
	if (l->path != NULL)
		unlink(l->path);
	/* Sessions end after the message in hand (they poll stop_fd). */
	g_mutex_lock(&l->lock);
	while (l->sessions > 0)
		g_cond_wait(&l->ended, &l->lock);
	g_mutex_unlock(&l->lock);
	g_cond_clear(&l->ended);
	g_mutex_clear(&l->lock);
	close(l->quit[0]);
	close(l->quit[1]);
	g_free(l->path);
	g_free(l);
}
