/* SPDX-License-Identifier: MIT
 * util.h: the clock, sizes and durations in config syntax, bounded file
 * reading, secrets, and the crash-test hook. */
#ifndef POSTDESK_UTIL_H
#define POSTDESK_UTIL_H
#include <glib.h>

/* Seconds since the epoch: POSTDESK_NOW (RFC 3339) when set, else the
 * real clock. Tests fix time with it. */
gint64 util_now(void);
/* Parse an RFC 3339 time ("2026-11-20T15:30:00Z", offsets allowed).
 * TRUE with *SECS set, FALSE when malformed. */
gboolean util_parse_time(const char *text, gint64 *secs);

/* "50M", "25k", "1G", "512" (bytes). FALSE when malformed or over 2^62. */
gboolean util_parse_size(const char *text, guint64 *bytes);
/* "24h", "30m", "2d", "90s", "1w"; a bare number is seconds. */
gboolean util_parse_duration(const char *text, gint64 *secs);
/* A whole number in [MIN, MAX]. */
gboolean util_parse_int(const char *text, gint64 min, gint64 max, gint64 *out);

/* Read all of FD (stdin, say) up to MAX bytes. Returns new bytes, or NULL
 * with PD_ERROR_TOO_LARGE (*TOTAL says how much was there, reading on to
 * the end so the sender is not cut off) or PD_ERROR_TEMP on a read error. */
GBytes *util_read_fd(int fd, gsize max, gsize *total, GError **error);
/* Read a file of at most MAX bytes. PD_ERROR_NOT_FOUND, PD_ERROR_INPUT. */
GBytes *util_read_file(const char *path, gsize max, GError **error);

/* Read a secret from PATH: must be a regular file not readable or
 * writable by group or others, at least 16 bytes after trimming a final
 * newline. New bytes; PD_ERROR_CONFIG says why without showing them. */
GBytes *util_read_secret(const char *path, GError **error);

/* A password from PATH: the same file checks as util_read_secret(), any
 * length, one line without NUL, CR or LF. New string: the caller wipes
 * (explicit_bzero) and frees it. PD_ERROR_CONFIG names the file only. */
char *util_read_password(const char *path, GError **error);

/* Write DATA to PATH atomically (temp file, fsync, rename). */
gboolean util_write_file_atomic(const char *path, const void *data, gsize len,
				int mode, GError **error);

/* Take an exclusive lock (flock) on PATH, created with mode 0600 when
 * missing, without waiting. Returns the open fd that holds it (close it
 * to release), -1 with *ERROR unset when another process holds it, or -1
 * with PD_ERROR_TEMP when PATH cannot be opened. */
int util_lock_file(const char *path, GError **error);

/* Resolve PATH relative to the directory of BASE_FILE. New string. */
char *util_path_relative_to(const char *base_file, const char *path);

/* Lower-case hex SHA-256 of DATA. New string. */
char *util_sha256_hex(const void *data, gsize len);
/* The same over pieces: new, update as often as needed, then finish
 * (which frees the state and returns the lowercase hex digest). */
typedef struct util_sha256 util_sha256_t;
util_sha256_t *util_sha256_new(void);
void util_sha256_update(util_sha256_t *h, const void *data, gsize len);
char *util_sha256_finish(util_sha256_t *h);

/* Crash tests: when built with PD_CRASH_POINTS and POSTDESK_CRASH_AT=N is
 * set, the N-th call (counted over the process) kills the process with
 * SIGKILL; POSTDESK_CRASH_AT=NAME kills it at the first call named NAME.
 * POSTDESK_CRASH_TRACE=1 prints every call's number and name. */
void util_crash_point(const char *name);

/* Normalise a mail address: trim, strip <> (and a "mailto:"), lower-case
 * the domain (the local part is case-sensitive by RFC 5321 and kept as
 * written), drop a trailing dot of the domain. New string, or NULL when
 * ADDR is not an address (no local part or domain, white space or control
 * characters outside quotes, more than 254 bytes). The one normaliser:
 * mail, config and reply tokens must agree on what an address is. */
char *util_address_normalize(const char *addr);
/* TRUE when A and B are the same address after normalisation. */
gboolean util_address_equal(const char *a, const char *b);
#endif
