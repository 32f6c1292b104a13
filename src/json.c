/* SPDX-License-Identifier: MIT
 * json.c: a streaming JSON writer (RFC 8259) with a stack of open
 * containers, so callers never count commas; RFC 3339 times in UTC.
 * Modelled on notmuch's sprinter-json.c. Pure. */
#include "autodefs.h"
#include <string.h>
#include "json.h"
#include "banned.h"

typedef enum {
	FRAME_OBJECT,
	FRAME_ARRAY,
} frame_kind_t;

typedef struct {
	frame_kind_t kind;
	gsize count;       /* members or elements written so far */
	gboolean have_key; /* object: a key waits for its value */
} frame_t;

struct json {
	GString *out;
	gboolean pretty;
	gboolean done; /* the top-level value is complete */
	GArray *stack; /* of frame_t, innermost last */
};

json_t *
json_new(GString *out, gboolean pretty)
{
	json_t *j = g_new0(json_t, 1);

	g_assert(out != NULL);
	j->out = out;
	j->pretty = pretty;
	j->stack = g_array_new(FALSE, FALSE, sizeof(frame_t));
	return j;
}

void
json_free(json_t *j)
{
	if (j == NULL)
		return;
	g_array_unref(j->stack);
	g_free(j);
}

gboolean
json_complete(const json_t *j)
{
	return j->done;
}

static frame_t *
top(json_t *j)
{
	if (j->stack->len == 0)
		return NULL;
	return &g_array_index(j->stack, frame_t, j->stack->len - 1);
}

static void
newline_indent(json_t *j, guint depth)
{
	g_string_append_c(j->out, '\n');
	for (guint i = 0; i < depth; i++)
		g_string_append(j->out, "  ");
}

/* Before an array element or an object member's key: the separator. */
static void
separate(json_t *j, frame_t *f)
{
	if (f->count > 0)
		g_string_append(j->out, j->pretty ? "," : ", ");
	if (j->pretty)
		newline_indent(j, j->stack->len);
	f->count++;
}

/* Before any value: check it may come here, write what goes before it. */
static void
before_value(json_t *j)
{
	frame_t *f = top(j);

	if (f == NULL) {
		g_assert(!j->done && "one top-level value only");
		return;
	}
	if (f->kind == FRAME_OBJECT) {
		g_assert(f->have_key && "object member needs json_key() first");
		f->have_key = FALSE;
		return;
	}
	separate(j, f);
}

/* After any complete value. */
static void
after_value(json_t *j)
{
	if (j->stack->len == 0)
		j->done = TRUE;
}

static void
begin(json_t *j, frame_kind_t kind)
{
	frame_t f = { kind, 0, FALSE };

	before_value(j);
	g_string_append_c(j->out, kind == FRAME_OBJECT ? '{' : '[');
	g_array_append_val(j->stack, f);
}

static void
end(json_t *j, frame_kind_t kind)
{
	frame_t *f = top(j);
	gsize count;

	g_assert(f != NULL && f->kind == kind && "end does not match begin");
	g_assert(!f->have_key && "key without a value");
	count = f->count;
	g_array_set_size(j->stack, j->stack->len - 1);
	if (j->pretty && count > 0)
		newline_indent(j, j->stack->len);
	g_string_append_c(j->out, kind == FRAME_OBJECT ? '}' : ']');
	after_value(j);
}

void
json_begin_object(json_t *j)
{
	begin(j, FRAME_OBJECT);
}

void
json_end_object(json_t *j)
{
	end(j, FRAME_OBJECT);
}

void
json_begin_array(json_t *j)
{
	begin(j, FRAME_ARRAY);
}

void
json_end_array(json_t *j)
{
	end(j, FRAME_ARRAY);
}

/* S (LEN bytes) quoted and escaped. */
static void
append_string(GString *out, const char *s, gsize len)
{
	const char *p = s;
	const char *end = s + len;

	g_string_append_c(out, '"');
	while (p < end) {
		guchar b = (guchar)*p;
		gunichar c;
		gsize n;

		if (b < 0x80) {
			switch (b) {
			case '"':
				g_string_append(out, "\\\"");
				break;
			case '\\':
				g_string_append(out, "\\\\");
				break;
			case '\b':
				g_string_append(out, "\\b");
				break;
			case '\f':
				g_string_append(out, "\\f");
				break;
			case '\n':
				g_string_append(out, "\\n");
				break;
			case '\r':
				g_string_append(out, "\\r");
				break;
			case '\t':
				g_string_append(out, "\\t");
				break;
			default:
				if (b < 0x20 || b == 0x7f)
					g_string_append_printf(out, "\\u%04x", b);
				else
					g_string_append_c(out, (char)b);
			}
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* One replacement per bad byte, as g_utf8_make_valid(). */
			g_string_append(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		n = (gsize)(g_utf8_next_char(p) - p);
		/* C1 controls confuse terminals; U+2028/9 break JavaScript. */
		if ((c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_len(out, p, n);
		p += n;
	}
	g_string_append_c(out, '"');
}

void
json_key(json_t *j, const char *key)
{
	frame_t *f = top(j);

	g_assert(key != NULL);
	g_assert(f != NULL && f->kind == FRAME_OBJECT && "key outside an object");
	g_assert(!f->have_key && "two keys in a row");
	separate(j, f);
	append_string(j->out, key, strlen(key));
	g_string_append(j->out, ": ");
	f->have_key = TRUE;
}

void
json_string_len(json_t *j, const char *s, gsize len)
{
	g_assert(s != NULL || len == 0);
	before_value(j);
	append_string(j->out, s != NULL ? s : "", len);
	after_value(j);
}

void
json_string(json_t *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_string_len(j, s, strlen(s));
}

void
json_int(json_t *j, gint64 v)
{
	before_value(j);
	g_string_append_printf(j->out, "%" G_GINT64_FORMAT, v);
	after_value(j);
}

void
json_bool(json_t *j, gboolean v)
{
	before_value(j);
	g_string_append(j->out, v ? "true" : "false");
	after_value(j);
}

void
json_null(json_t *j)
{
	before_value(j);
	g_string_append(j->out, "null");
	after_value(j);
}

void
json_time(json_t *j, gint64 unix_secs)
{
	g_autofree char *text = unix_secs != 0 ? json_format_time(unix_secs) : NULL;

	json_string(j, text);
}

char *
json_format_time(gint64 secs)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(secs);

	if (dt == NULL)
		return NULL;
	/* By hand: GLib's %Y does not pad years below 1000 to four digits. */
	return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ",
			       g_date_time_get_year(dt), g_date_time_get_month(dt),
			       g_date_time_get_day_of_month(dt),
			       g_date_time_get_hour(dt), g_date_time_get_minute(dt),
			       g_date_time_get_second(dt));
}
