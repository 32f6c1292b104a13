/* SPDX-License-Identifier: MIT
 * json.h: the one JSON writer behind every --json output (RFC 8259), in
 * the manner of notmuch's sprinter. Pure: appends to a caller's GString.
 *
 * Compact output separates with ", " and ": " on one line; pretty output
 * puts each member or element on its own line, indented two spaces, with
 * empty containers as {} and []. No trailing newline either way.
 * Calling these out of order (a value where a key is needed, a key in an
 * array, an end that does not match, a second top-level value) is a bug
 * and fails a g_assert. */
#ifndef POSTDESK_JSON_H
#define POSTDESK_JSON_H
#include <glib.h>

typedef struct json json_t;

/* A writer appending to OUT (borrowed: it must outlive the writer).
 * New; free with json_free(). */
json_t *json_new(GString *out, gboolean pretty);
/* Free J; what was written stays in OUT, complete or not. NULL is fine. */
void json_free(json_t *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_free)

/* TRUE once one complete top-level value has been written. */
gboolean json_complete(const json_t *j);

void json_begin_object(json_t *j);
void json_end_object(json_t *j);
void json_begin_array(json_t *j);
void json_end_array(json_t *j);

/* The next member's name (not NULL), escaped as json_string() does. */
void json_key(json_t *j, const char *key);

/* S (NULL writes null) as a JSON string: '"', '\\' and every control
 * character (C0, DEL, C1) escaped, U+2028 and U+2029 escaped, each byte
 * of invalid UTF-8 replaced by U+FFFD; other characters as UTF-8. */
void json_string(json_t *j, const char *s);
/* LEN bytes of S (which may hold NUL, written as \u0000). */
void json_string_len(json_t *j, const char *s, gsize len);
void json_int(json_t *j, gint64 v);
void json_bool(json_t *j, gboolean v);
void json_null(json_t *j);
/* UNIX_SECS as an RFC 3339 UTC string (json_format_time()); 0, or a time
 * outside years 1..9999, writes null. */
void json_time(json_t *j, gint64 unix_secs);

/* "2026-11-20T15:30:00Z" for SECS (Unix seconds, UTC; 0 is 1970). New
 * string, caller frees with g_free; NULL outside years 1..9999. */
char *json_format_time(gint64 secs);
#endif
