/* SPDX-License-Identifier: MIT
 * util.c: see util.h. */
#include "autodefs.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>
#include "error.h"
#include "util.h"
#include "banned.h"

gboolean
util_parse_time(const char *text, gint64 *secs)
{
	g_autoptr(GDateTime) dt = NULL;

	if (text == NULL || *text == '\0')
		return FALSE;
	dt = g_date_time_new_from_iso8601(text, NULL);
	if (dt == NULL)
		return FALSE;
	*secs = g_date_time_to_unix(dt);
	return TRUE;
}

gint64
util_now(void)
{
	const char *fixed = g_getenv("POSTDESK_NOW");
	gint64 secs;

	if (fixed != NULL && util_parse_time(fixed, &secs))
		return secs;
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* A number followed by one optional unit letter from UNITS, whose
 * multipliers are in MULS. */
static gboolean
parse_scaled(const char *text, const char *units, const guint64 *muls,
	     guint64 *out)
{
	guint64 n = 0;
	const char *p = text;

	if (text == NULL)
		return FALSE;
	while (g_ascii_isspace(*p))
		p++;
	if (!g_ascii_isdigit(*p))
		return FALSE;
	for (; g_ascii_isdigit(*p); p++) {
		if (n > (G_GUINT64_CONSTANT(1) << 62) / 10)
			return FALSE;
		n = n * 10 + (guint64)(*p - '0');
	}
	while (g_ascii_isspace(*p))
		p++;
	if (*p != '\0') {
		const char *u = strchr(units, g_ascii_tolower(*p));
		guint64 m;

		if (u == NULL)
			return FALSE;
		m = muls[u - units];
		if (n != 0 && m > (G_GUINT64_CONSTANT(1) << 62) / n)
			return FALSE;
		n *= m;
		p++;
		/* Sizes also take "50MB" and "50MiB". */
		if (strchr(units, 'b') != NULL && strchr("kmg", *u) != NULL) {
			if (g_ascii_tolower(*p) == 'i')
				p++;
			if (g_ascii_tolower(*p) == 'b')
				p++;
		}
		while (g_ascii_isspace(*p))
			p++;
		if (*p != '\0')
			return FALSE;
	}
	*out = n;
	return TRUE;
}

gboolean
util_parse_size(const char *text, guint64 *bytes)
{
	static const guint64 muls[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024, 1 };

	return parse_scaled(text, "kmgb", muls, bytes);
}

gboolean
util_parse_duration(const char *text, gint64 *secs)
{
	static const guint64 muls[] = { 1, 60, 3600, 86400, 7 * 86400 };
	guint64 n;

	if (!parse_scaled(text, "smhdw", muls, &n) || n > G_MAXINT64)
		return FALSE;
	*secs = (gint64)n;
	return TRUE;
}

gboolean
util_parse_int(const char *text, gint64 min, gint64 max, gint64 *out)
{
	gint64 v;
	char *end = NULL;

	if (text == NULL || *text == '\0')
		return FALSE;
	errno = 0;
	v = g_ascii_strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return FALSE;
	*out = v;
	return TRUE;
}

GBytes *
util_read_fd(int fd, gsize max, gsize *total, GError **error)
{
	struct stat st;
	gsize cap = 65536, len = 0, seen = 0;
	guint8 *buf;
	guint8 sink[65536];

	/* A regular file says how large it is; a pipe does not. Grow by a
	 * quarter, not by doubling: a 34 MB message must not take 64 MB, and
	 * glibc's realloc moves large blocks with mremap, without a copy. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = MIN((gsize)st.st_size + 1, max + 1);
	buf = g_malloc(cap);
	for (;;) {
		gboolean storing = seen <= max;
		guint8 *dst = storing ? buf + len : sink;
		gsize room = storing ? cap - len : sizeof sink;
		ssize_t n;

		if (storing && room == 0) {
			cap = MIN(cap + cap / 4 + 65536, max + 65536);
			buf = g_realloc(buf, cap);
			continue;
		}
		n = read(fd, dst, MIN(room, (gsize)1 << 20));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			g_free(buf);
			g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "reading input: %s",
				    g_strerror(e));
			return NULL;
		}
		if (n == 0)
			break;
		seen += (gsize)n;
		/* Past the cap keep reading (and counting) but stop storing, so
		 * the caller can say how large it was. */
		if (storing)
			len += (gsize)n;
	}
	if (total != NULL)
		*total = seen;
	if (seen > max) {
		g_free(buf);
		g_set_error(error, PD_ERROR, PD_ERROR_TOO_LARGE,
			    "input is %" G_GSIZE_FORMAT " bytes, over the cap of %" G_GSIZE_FORMAT,
			    seen, max);
		return NULL;
	}
	return g_bytes_new_take(g_realloc(buf, MAX(len, 1)), len);
}

GBytes *
util_read_file(const char *path, gsize max, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	GBytes *bytes;

	if (fd < 0) {
		int e = errno;

		g_set_error(error, PD_ERROR,
			    e == ENOENT ? PD_ERROR_NOT_FOUND : PD_ERROR_INPUT,
			    "%s: %s", path, g_strerror(e));
		return NULL;
	}
	bytes = util_read_fd(fd, max, NULL, error);
	close(fd);
	if (bytes == NULL)
		g_prefix_error(error, "%s: ", path);
	return bytes;
}

/* A file holding a secret: regular, and neither readable nor writable by
 * group or others. Errors name the file, never its content. */
static gboolean
secret_file_check(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: not a regular file", path);
		return FALSE;
	}
	if ((st.st_mode & 077) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s: secret file must not be accessible to group or others "
			    "(mode %04o; chmod 600 it)",
			    path, (unsigned)(st.st_mode & 07777));
		return FALSE;
	}
	return TRUE;
}

/* The checked file's content without its final line end. */
static GBytes *
secret_file_read(const char *path, gsize max, const char **data, gsize *len, GError **error)
{
	GBytes *raw;

	if (!secret_file_check(path, error))
		return NULL;
	raw = util_read_file(path, max, error);
	if (raw == NULL) {
		pd_error_reclass(error, PD_ERROR_CONFIG, NULL);
		return NULL;
	}
	*data = g_bytes_get_data(raw, len);
	while (*len > 0 && ((*data)[*len - 1] == '\n' || (*data)[*len - 1] == '\r'))
		(*len)--;
	return raw;
}

GBytes *
util_read_secret(const char *path, GError **error)
{
	const char *data = NULL;
	gsize len = 0;
	g_autoptr(GBytes) raw = secret_file_read(path, 64 * 1024, &data, &len, error);

	if (raw == NULL)
		return NULL;
	if (len < 16) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s: secret is too short (need at least 16 bytes)", path);
		return NULL;
	}
	return g_bytes_new(data, len);
}

char *
util_read_password(const char *path, GError **error)
{
	const char *data = NULL;
	gsize len = 0;
	g_autoptr(GBytes) raw = secret_file_read(path, 4096, &data, &len, error);
	char *password = NULL;

	if (raw == NULL)
		return NULL;
	if (len == 0 || memchr(data, '\0', len) != NULL || memchr(data, '\n', len) != NULL ||
	    memchr(data, '\r', len) != NULL)
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s: must hold one non-empty line", path);
	else
		password = g_strndup(data, len);
	/* We hold the only reference: clear the copy before it is freed. */
	data = g_bytes_get_data(raw, &len);
	if (len > 0)
		explicit_bzero((void *)data, len);
	return password;
}

gboolean
util_write_file_atomic(const char *path, const void *data, gsize len, int mode,
		       GError **error)
{
	g_autofree char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;

	if (fd < 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			unlink(tmp);
			errno = e;
			goto fail;
		}
		p += n;
		len -= (gsize)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		goto fail;
	}
	return TRUE;
fail:
	g_set_error(error, PD_ERROR,
		    errno == ENOSPC || errno == EDQUOT ? PD_ERROR_TEMP : PD_ERROR_INTERNAL,
		    "%s: %s", path, g_strerror(errno));
	return FALSE;
}

int
util_lock_file(const char *path, GError **error)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

char *
util_path_relative_to(const char *base_file, const char *path)
{
	g_autofree char *dir = NULL;

	if (g_path_is_absolute(path))
		return g_strdup(path);
	dir = g_path_get_dirname(base_file);
	return g_build_filename(dir, path, NULL);
}

struct util_sha256 {
	struct sha256_ctx ctx;
};

util_sha256_t *
util_sha256_new(void)
{
	util_sha256_t *h = g_new(util_sha256_t, 1);

	sha256_init(&h->ctx);
	return h;
}

void
util_sha256_update(util_sha256_t *h, const void *data, gsize len)
{
	sha256_update(&h->ctx, len, data);
}

char *
util_sha256_finish(util_sha256_t *h)
{
	guint8 digest[SHA256_DIGEST_SIZE];
	char *hex = g_malloc(2 * SHA256_DIGEST_SIZE + 1);

	sha256_digest(&h->ctx, sizeof digest, digest);
	g_free(h);
	for (gsize i = 0; i < sizeof digest; i++) {
		hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
	}
	hex[2 * SHA256_DIGEST_SIZE] = '\0';
	return hex;
}

char *
util_sha256_hex(const void *data, gsize len)
{
	util_sha256_t *h = util_sha256_new();

	util_sha256_update(h, data, len);
	return util_sha256_finish(h);
}

void
util_crash_point(const char *name)
{
#ifdef PD_CRASH_POINTS
	static gint64 target = -1;
	static gint64 count;
	static gboolean trace;
	static const char *target_name;

	if (target < 0) {
		const char *at = g_getenv("POSTDESK_CRASH_AT");

		target = at != NULL ? g_ascii_strtoll(at, NULL, 10) : 0;
		/* A name instead of a number: the first time that point is hit. */
		if (at != NULL && target == 0 && *at != '\0' && !g_ascii_isdigit(*at))
			target_name = at;
		trace = g_getenv("POSTDESK_CRASH_TRACE") != NULL;
	}
	count++;
	if (trace)
		fprintf(stderr, "crash-point %" G_GINT64_FORMAT " %s\n", count, name);
	if ((target > 0 && count == target) ||
	    (target_name != NULL && strcmp(target_name, name) == 0)) {
		fprintf(stderr, "postdesk: crash point %" G_GINT64_FORMAT " (%s)\n",
			count, name);
		kill(getpid(), SIGKILL);
	}
#else
	(void)name;
#endif
}

/* Characters never allowed outside quotes in an address. */
static gboolean
addr_bad_char(guchar c)
{
	return c <= 0x20 || c == 0x7F || strchr("<>(),;:\\\"[]", c) != NULL;
}

char *
util_address_normalize(const char *addr)
{
	g_autofree char *s = NULL;
	char *start, *end, *at = NULL;
	gboolean quoted = FALSE;
	GString *out;

	if (addr == NULL)
		return NULL;
	s = g_strstrip(g_strdup(addr));
	start = s;
	if (g_ascii_strncasecmp(start, "mailto:", 7) == 0)
		start += 7;
	while (*start == ' ' || *start == '\t' || *start == '<')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '>'))
		end--;
	*end = '\0';
	if (end - start > 254 || end == start || !g_utf8_validate(start, -1, NULL))
		return NULL;
	/* The last '@' outside quotes separates local part and domain. */
	for (char *p = start; p < end; p++) {
		if (*p == '\\' && quoted && p + 1 < end) {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '@')
			at = p;
		else if (!quoted && addr_bad_char((guchar)*p) && *p != '[' && *p != ']')
			return NULL;
		else if ((guchar)*p < 0x20 || *p == 0x7F)
			return NULL;
	}
	if (quoted || at == NULL || at == start || at + 1 >= end)
		return NULL;
	for (char *p = at + 1; p < end; p++)
		if (addr_bad_char((guchar)*p) && *p != '[' && *p != ']')
			return NULL;
	if (end[-1] == '.') /* an absolute domain name: "example.org." */
		*--end = '\0';
	if (at + 1 >= end || at[1] == '.')
		return NULL;
	out = g_string_new_len(start, at - start + 1);
	{
		g_autofree char *dom = g_utf8_strdown(at + 1, -1);

		g_string_append(out, dom);
	}
	return g_string_free(out, FALSE);
}

gboolean
util_address_equal(const char *a, const char *b)
{
	g_autofree char *na = util_address_normalize(a);
	g_autofree char *nb = util_address_normalize(b);

	return na != NULL && nb != NULL && strcmp(na, nb) == 0;
}
