/* SPDX-License-Identifier: MIT
 * sla.c: business-hours calendars, deadlines and how to say them. Pure.
 *
 * Local days are numbered from 1970-01-01 (day 0) in the calendar's zone;
 * a day's ranges are wall-clock seconds of that day, turned into Unix
 * seconds one range at a time with the zone's offset changes (read from
 * GTimeZone once per calendar), so a 23- or 25-hour day needs no special
 * case and an opening stays at 09:00 across a daylight saving change.
 * Holidays are one bit per local day up to SLA_YEAR_MAX.
 * Every walk over days stops after SLA_HORIZON_DAYS days in a row without
 * business time, or at the end of SLA_YEAR_MAX.
 *
 * Holiday files in iCalendar follow RFC 5545 (3.6.1 VEVENT, 3.8.5.3
 * RRULE, 3.8.5.1 EXDATE, 3.8.5.2 RDATE), parsed and expanded by libical;
 * their dates are checked here too, as libical reads "2026013x" as a
 * date. */
#include "autodefs.h"
#include <string.h>
#include <libical/ical.h>
#include "error.h"
#include "sla.h"
#include "banned.h"

#define DAY_SECONDS 86400
/* Local days from 1970-01-01 to 2099-12-31. */
#define SLA_DAYS 47482
/* Longest duration text: "1w 2d 3h 4m 5s" with room to spare. */
#define DURATION_TEXT_MAX 64
/* How much of an offending part a message quotes. */
#define PART_MAX 40

typedef struct {
	gint32 open, close; /* seconds of the local day, open < close */
	gsize offset;       /* in the hours text, for messages */
} sla_range_t;

typedef struct {
	sla_range_t ranges[SLA_RANGES_MAX];
	int n;
} sla_weekday_t;

/* From START (Unix seconds) on, the zone is OFFSET seconds east of UTC. */
typedef struct {
	gint64 start;
	gint32 offset;
} sla_shift_t;

struct sla_calendar {
	GTimeZone *tz;
	char *tz_name;
	sla_shift_t *shifts; /* by start, the first from G_MININT64 */
	guint n_shifts;
	sla_weekday_t week[7]; /* 0 is Monday */
	gint64 day_seconds, week_seconds;
	guint8 holidays[(SLA_DAYS + 7) / 8];
};

static const char *const DAY_NAMES[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday",
};

/* ---- Dates and the time zone ---- */

static gint64
floor_div(gint64 a, gint64 b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days from 1970-01-01 to the proleptic Gregorian Y-M-D (H. Hinnant's
 * days_from_civil). */
static gint64
days_from_civil(gint64 y, int m, int d)
{
	gint64 era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* 0 for Monday; day 0 was a Thursday. */
static int
weekday_of(gint64 day)
{
	return (int)((day % 7 + 7 + 3) % 7);
}

/* The day number of a date, or -1 when it is no date or outside the
 * calendar's years. */
static gint64
date_day(int year, int month, int day)
{
	if (year < SLA_YEAR_MIN || year > SLA_YEAR_MAX || month < 1 ||
	    month > 12 || day < 1 ||
	    !g_date_valid_dmy((GDateDay)day, (GDateMonth)month,
			      (GDateYear)year))
		return -1;
	return days_from_civil(year, month, day);
}

/* The index of the offset change in effect at T. */
static guint
shift_index(const sla_calendar_t *cal, gint64 t)
{
	guint lo = 0, hi = cal->n_shifts;

	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;

		if (cal->shifts[mid].start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static gint64
offset_at(const sla_calendar_t *cal, gint64 t)
{
	return cal->shifts[shift_index(cal, t)].offset;
}

static gint64
local_day(const sla_calendar_t *cal, gint64 t)
{
	return floor_div(t + offset_at(cal, t), DAY_SECONDS);
}

/* The instant the wall clock shows SECS into local day DAY. A time that a
 * change to daylight saving time skips: the first instant after the gap.
 * A time that a change back shows twice: its first occurrence when
 * EARLIEST, else its second, so an opening and a closing in the repeated
 * hour both keep the longer span. */
static gint64
local_to_unix(const sla_calendar_t *cal, gint64 day, gint64 secs,
	      gboolean earliest)
{
	gint64 wall = day * DAY_SECONDS + secs, best = -1;
	/* Offsets are less than two days, so every instant that may show
	 * WALL lies within two days of it. */
	guint first = shift_index(cal, wall - 2 * DAY_SECONDS);
	guint last = shift_index(cal, wall + 2 * DAY_SECONDS);
	gboolean found = FALSE;

	if (first == last)
		return wall - cal->shifts[first].offset;
	for (guint k = first; k <= last; k++) {
		gint64 u = wall - cal->shifts[k].offset;
		gint64 end = k + 1 < cal->n_shifts ? cal->shifts[k + 1].start
						   : G_MAXINT64;

		if (u < cal->shifts[k].start || u >= end)
			continue;
		if (!found)
			best = u;
		best = earliest ? MIN(best, u) : MAX(best, u);
		found = TRUE;
	}
	if (found)
		return best;
	for (guint k = first + 1; k <= last; k++)
		if (cal->shifts[k].start + cal->shifts[k].offset > wall)
			return cal->shifts[k].start;
	g_assert_not_reached();
}

static gint
zone_interval(const sla_calendar_t *cal, gint64 t)
{
	return g_time_zone_find_interval(cal->tz, G_TIME_TYPE_UNIVERSAL, t);
}

/* The offset changes of CAL's zone from before 1970 to after 2099 as GLib
 * has them, so a lookup is a binary search and not GLib's walk over every
 * change (g_time_zone_find_interval in GLib 2.74). A change is found by
 * galloping from the one before, then bisecting. */
static void
zone_shifts(sla_calendar_t *cal)
{
	GArray *shifts = g_array_new(FALSE, FALSE, sizeof(sla_shift_t));
	const gint64 end = SLA_TIME_MAX + 3 * DAY_SECONDS;
	gint64 t = -3 * DAY_SECONDS;
	gint interval = zone_interval(cal, t);
	sla_shift_t shift = { G_MININT64,
			      g_time_zone_get_offset(cal->tz, interval) };

	g_array_append_val(shifts, shift);
	while (t < end) {
		gint64 step = DAY_SECONDS, lo = t, hi;

		while (t + step < end &&
		       zone_interval(cal, t + step) == interval)
			step *= 2;
		hi = MIN(t + step, end);
		if (zone_interval(cal, hi) == interval)
			break;
		/* The first instant in (LO, HI] of another interval. */
		while (hi - lo > 1) {
			gint64 mid = lo + (hi - lo) / 2;

			if (zone_interval(cal, mid) == interval)
				lo = mid;
			else
				hi = mid;
		}
		t = hi;
		interval = zone_interval(cal, t);
		shift.start = t;
		shift.offset = g_time_zone_get_offset(cal->tz, interval);
		/* A new abbreviation alone is no change here. */
		if (shift.offset !=
		    g_array_index(shifts, sla_shift_t, shifts->len - 1).offset)
			g_array_append_val(shifts, shift);
	}
	cal->n_shifts = shifts->len;
	cal->shifts = (sla_shift_t *)(void *)g_array_free(shifts, FALSE);
}

static gboolean
holiday_bit(const sla_calendar_t *cal, gint64 day)
{
	return day >= 0 && day < SLA_DAYS &&
	       (cal->holidays[day / 8] >> (day % 8)) & 1;
}

/* GLib reads and parses a zone's file anew (about a millisecond) unless a
 * zone of that name is still referenced, so keep the zones asked for:
 * phrases name a member's zone each time. At most ZONES_MAX names. */
#define ZONES_MAX 1024
G_LOCK_DEFINE_STATIC(zones);
static GHashTable *zones; /* name -> GTimeZone */

/* A zone GTimeZone knows (a new reference), or NULL. The name must look
 * like a tzdata file name: GLib also takes POSIX TZ rules and file paths,
 * which no config should. */
static GTimeZone *
zone_get(const char *name)
{
	GTimeZone *tz;

	if (name == NULL || *name == '\0' || strlen(name) > SLA_TIMEZONE_MAX ||
	    name[0] == '/' || strstr(name, "..") != NULL)
		return NULL;
	for (const char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("/_+-", *p) == NULL)
			return NULL;
	G_LOCK(zones);
	if (zones == NULL)
		zones = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free,
			(GDestroyNotify)g_time_zone_unref);
	tz = g_hash_table_lookup(zones, name);
	if (tz != NULL) {
		g_time_zone_ref(tz);
	} else {
		tz = g_time_zone_new_identifier(name);
		if (tz != NULL && g_hash_table_size(zones) < ZONES_MAX)
			g_hash_table_insert(zones, g_strdup(name),
					    g_time_zone_ref(tz));
	}
	G_UNLOCK(zones);
	return tz;
}

/* PART of TEXT for a message: at most PART_MAX bytes, escaped. */
static char *
quote_part(const char *text, gsize len)
{
	g_autofree char *raw = g_strndup(text, MIN(len, PART_MAX));

	return g_strescape(raw, NULL);
}

/* ---- Weekly hours ---- */

typedef struct {
	const char *text;
	gsize pos;
} cursor_t;

static void
cursor_skip_space(cursor_t *c)
{
	while (c->text[c->pos] == ' ' || c->text[c->pos] == '\t')
		c->pos++;
}

static gsize
cursor_run(const cursor_t *c, gboolean (*is)(gchar))
{
	gsize n = 0;

	while (c->text[c->pos + n] != '\0' && is(c->text[c->pos + n]))
		n++;
	return n;
}

static gboolean
is_alpha(gchar ch)
{
	return g_ascii_isalpha(ch);
}

static gboolean
is_digit(gchar ch)
{
	return g_ascii_isdigit(ch);
}

static gboolean
is_part(gchar ch)
{
	return !g_ascii_isspace(ch) && ch != ',' && ch != ';';
}

/* Fail with "WHAT 'PART' at offset N", PART the LEN bytes at the cursor
 * (at least one), or "WHAT the end at offset N". */
static gboolean G_GNUC_PRINTF(4, 5)
cursor_fail(const cursor_t *c, gsize len, GError **error, const char *fmt, ...)
{
	g_autofree char *part = quote_part(c->text + c->pos, MAX(len, 1));
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (c->text[c->pos] == '\0')
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s the end at offset %zu", what, c->pos);
	else
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s '%s' at offset %zu", what, part, c->pos);
	return FALSE;
}

/* A day name ("Mon", "monday") at the cursor: its index, or -1 with an
 * error. */
static int
hours_day(cursor_t *c, GError **error)
{
	gsize n = cursor_run(c, is_alpha);

	for (int i = 0; i < 7 && n > 0; i++) {
		const char *name = DAY_NAMES[i];

		if ((n == 3 || n == strlen(name)) &&
		    g_ascii_strncasecmp(c->text + c->pos, name, n) == 0) {
			c->pos += n;
			return i;
		}
	}
	if (n == 0)
		cursor_fail(c, cursor_run(c, is_part), error,
			    "expected a day (Mon to Sun), found");
	else
		cursor_fail(c, n, error, "unknown day");
	return -1;
}

/* DAY or DAY-DAY: a bit per weekday in *MASK. */
static gboolean
hours_days(cursor_t *c, guint *mask, GError **error)
{
	int first = hours_day(c, error), last;

	if (first < 0)
		return FALSE;
	last = first;
	if (c->text[c->pos] == '-' && g_ascii_isalpha(c->text[c->pos + 1])) {
		c->pos++;
		if ((last = hours_day(c, error)) < 0)
			return FALSE;
	}
	*mask = 0;
	for (int d = first;; d = (d + 1) % 7) {
		*mask |= 1u << d;
		if (d == last)
			break;
	}
	return TRUE;
}

/* HH:MM (H:MM too), 00:00 to 24:00, as seconds of the day. */
static gboolean
hours_time(cursor_t *c, gint32 *secs, GError **error)
{
	gsize h = cursor_run(c, is_digit), m;
	const char *p = c->text + c->pos;
	int hour, minute;

	if (h < 1 || h > 2 || p[h] != ':')
		return cursor_fail(c, cursor_run(c, is_part), error,
				   "expected a time HH:MM, found");
	m = 0;
	while (g_ascii_isdigit(p[h + 1 + m]))
		m++;
	if (m != 2)
		return cursor_fail(c, h + 1 + m, error,
				   "expected a time HH:MM, found");
	hour = h == 1 ? p[0] - '0' : (p[0] - '0') * 10 + (p[1] - '0');
	minute = (p[h + 1] - '0') * 10 + (p[h + 2] - '0');
	if (hour > 24 || minute > 59 || (hour == 24 && minute != 0))
		return cursor_fail(c, h + 3, error, "no such time");
	*secs = hour * 3600 + minute * 60;
	c->pos += h + 3;
	return TRUE;
}

static gboolean
hours_add(sla_calendar_t *cal, guint mask, const sla_range_t *r,
	  const cursor_t *c, GError **error)
{
	for (int d = 0; d < 7; d++) {
		sla_weekday_t *wd = &cal->week[d];

		if ((mask & (1u << d)) == 0)
			continue;
		if (wd->n == SLA_RANGES_MAX) {
			cursor_t at = { c->text, r->offset };

			return cursor_fail(&at, c->pos - r->offset, error,
					   "more than %d ranges on %c%.2s:",
					   SLA_RANGES_MAX,
					   g_ascii_toupper(DAY_NAMES[d][0]),
					   DAY_NAMES[d] + 1);
		}
		wd->ranges[wd->n++] = *r;
	}
	return TRUE;
}

static int
range_compare(gconstpointer a, gconstpointer b)
{
	const sla_range_t *x = a, *y = b;

	return (x->open > y->open) - (x->open < y->open);
}

/* Sort each day's ranges, refuse overlaps, and work out the standard day
 * and week. */
static gboolean
hours_finish(sla_calendar_t *cal, const char *text, GError **error)
{
	gint64 lengths[7];

	cal->week_seconds = 0;
	for (int d = 0; d < 7; d++) {
		sla_weekday_t *wd = &cal->week[d];

		qsort(wd->ranges, (gsize)wd->n, sizeof wd->ranges[0],
		      range_compare);
		lengths[d] = 0;
		for (int i = 0; i < wd->n; i++) {
			const sla_range_t *r = &wd->ranges[i], *prev = r - 1;

			if (i > 0 && r->open < prev->close) {
				cursor_t at = { text,
						MAX(r->offset, prev->offset) };

				return cursor_fail(
					&at, cursor_run(&at, is_part), error,
					"overlapping ranges on %c%.2s:",
					g_ascii_toupper(DAY_NAMES[d][0]),
					DAY_NAMES[d] + 1);
			}
			lengths[d] += r->close - r->open;
		}
		cal->week_seconds += lengths[d];
	}
	/* The standard day: the length most open weekdays share. */
	cal->day_seconds = 0;
	for (int best = 0, d = 0; d < 7; d++) {
		int count = 0;

		if (lengths[d] == 0)
			continue;
		for (int e = 0; e < 7; e++)
			count += lengths[e] == lengths[d];
		if (count > best ||
		    (count == best && lengths[d] > cal->day_seconds)) {
			best = count;
			cal->day_seconds = lengths[d];
		}
	}
	if (cal->week_seconds == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "no open time in the hours");
		return FALSE;
	}
	return TRUE;
}

static gboolean
hours_parse(sla_calendar_t *cal, const char *text, GError **error)
{
	cursor_t c = { text, 0 };
	guint mask = 0;
	g_autofree char *trimmed = NULL;

	if (strlen(text) > SLA_HOURS_MAX) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "hours longer than %d bytes", SLA_HOURS_MAX);
		return FALSE;
	}
	trimmed = g_strstrip(g_strdup(text));
	if (g_ascii_strcasecmp(trimmed, "24x7") == 0) {
		for (int d = 0; d < 7; d++)
			cal->week[d] =
				(sla_weekday_t){ { { 0, DAY_SECONDS, 0 } }, 1 };
		return hours_finish(cal, text, error);
	}
	cursor_skip_space(&c);
	while (text[c.pos] != '\0') {
		sla_range_t r = { 0, 0, 0 };

		if (g_ascii_isalpha(text[c.pos])) {
			if (!hours_days(&c, &mask, error))
				return FALSE;
			cursor_skip_space(&c);
		} else if (mask == 0) {
			return cursor_fail(
				&c, cursor_run(&c, is_part), error,
				"a time range without days before it:");
		}
		r.offset = c.pos;
		if (!hours_time(&c, &r.open, error))
			return FALSE;
		cursor_skip_space(&c);
		if (text[c.pos] != '-') {
			return cursor_fail(
				&c, cursor_run(&c, is_part), error,
				"expected '-' and a closing time, found");
		}
		c.pos++;
		cursor_skip_space(&c);
		if (!hours_time(&c, &r.close, error))
			return FALSE;
		if (r.close <= r.open) {
			cursor_t at = { text, r.offset };

			return cursor_fail(
				&at, c.pos - r.offset, error,
				"range does not end after it starts:");
		}
		if (!hours_add(cal, mask, &r, &c, error))
			return FALSE;
		cursor_skip_space(&c);
		if (text[c.pos] == '\0')
			break;
		if (text[c.pos] != ',' && text[c.pos] != ';')
			return cursor_fail(&c, cursor_run(&c, is_part), error,
					   "expected ',' or ';', found");
		c.pos++;
		cursor_skip_space(&c);
		if (text[c.pos] == '\0') {
			cursor_t at = { text, r.offset };

			return cursor_fail(&at, cursor_run(&at, is_part) + 1,
					   error,
					   "nothing after the separator in");
		}
	}
	return hours_finish(cal, text, error);
}

/* ---- The calendar ---- */

sla_calendar_t *
sla_calendar_new(const char *zone, const char *hours, GError **error)
{
	g_autoptr(sla_calendar_t) cal = g_new0(sla_calendar_t, 1);

	cal->tz_name = g_strdup(zone != NULL ? zone : "UTC");
	cal->tz = zone == NULL ? g_time_zone_new_utc() : zone_get(zone);
	if (cal->tz == NULL) {
		g_autofree char *part = quote_part(zone, strlen(zone));

		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "unknown timezone '%s'", part);
		return NULL;
	}
	if (!hours_parse(cal, hours != NULL ? hours : "24x7", error))
		return NULL;
	zone_shifts(cal);
	return g_steal_pointer(&cal);
}

void
sla_calendar_free(sla_calendar_t *cal)
{
	if (cal == NULL)
		return;
	if (cal->tz != NULL)
		g_time_zone_unref(cal->tz);
	g_free(cal->tz_name);
	g_free(cal->shifts);
	g_free(cal);
}

const char *
sla_calendar_timezone(const sla_calendar_t *cal)
{
	return cal->tz_name;
}

gint64
sla_calendar_day_seconds(const sla_calendar_t *cal)
{
	return cal->day_seconds;
}

gint64
sla_calendar_week_seconds(const sla_calendar_t *cal)
{
	return cal->week_seconds;
}

gboolean
sla_calendar_add_holiday(sla_calendar_t *cal, int year, int month, int day)
{
	gint64 d = date_day(year, month, day);

	if (d < 0)
		return FALSE;
	cal->holidays[d / 8] |= (guint8)(1u << (d % 8));
	return TRUE;
}

gboolean
sla_calendar_is_holiday(const sla_calendar_t *cal, int year, int month, int day)
{
	return holiday_bit(cal, date_day(year, month, day));
}

/* ---- Holiday files ---- */

/* Where a holiday file's dates collect before they are all added. */
typedef struct {
	const char *file;
	GArray *days; /* gint64 day numbers */
} holiday_load_t;

static gboolean G_GNUC_PRINTF(4, 5)
load_fail(const holiday_load_t *ld, gsize line, GError **error,
	  const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s:%zu: %s", ld->file,
		    line, what);
	return FALSE;
}

static gboolean
load_add(holiday_load_t *ld, gint64 day, gsize line, GError **error)
{
	if (day < 0 || day >= SLA_DAYS)
		return TRUE;
	if (ld->days->len >= SLA_HOLIDAY_DATES_MAX)
		return load_fail(ld, line, error, "more than %d holiday dates",
				 SLA_HOLIDAY_DATES_MAX);
	g_array_append_val(ld->days, day);
	return TRUE;
}

/* "YYYY-MM-DD" (SEP '-') or "YYYYMMDD" (SEP 0) at the start of TEXT into
 * YMD, not checked for a valid date. The number of bytes read, or 0 when
 * TEXT does not start with that shape. */
static gsize
date_scan(const char *text, char sep, int *ymd)
{
	const int widths[] = { 4, 2, 2 };
	gsize pos = 0;

	for (int i = 0; i < 3; i++) {
		if (i > 0 && sep != 0 && text[pos++] != sep)
			return 0;
		ymd[i] = 0;
		for (int k = 0; k < widths[i]; k++, pos++) {
			if (!g_ascii_isdigit(text[pos]))
				return 0;
			ymd[i] = ymd[i] * 10 + (text[pos] - '0');
		}
	}
	return g_ascii_isdigit(text[pos]) ? 0 : pos;
}

static gboolean
holidays_lines(holiday_load_t *ld, const char *text, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (gsize i = 0; lines[i] != NULL; i++) {
		const char *p = lines[i];
		int ymd[3];
		gint64 day;
		gsize n;

		while (g_ascii_isspace(*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		n = date_scan(p, '-', ymd);
		if (n == 0 || (p[n] != '\0' && !g_ascii_isspace(p[n]))) {
			g_autofree char *part =
				quote_part(p, strcspn(p, " \t\r"));

			return load_fail(
				ld, i + 1, error,
				"expected a date YYYY-MM-DD, found '%s'", part);
		}
		day = date_day(ymd[0], ymd[1], ymd[2]);
		if (day < 0)
			return load_fail(
				ld, i + 1, error,
				"no date %04d-%02d-%02d in the years %d to %d",
				ymd[0], ymd[1], ymd[2], SLA_YEAR_MIN,
				SLA_YEAR_MAX);
		if (!load_add(ld, day, i + 1, error))
			return FALSE;
	}
	return TRUE;
}

/* The line of each "BEGIN:VEVENT" in TEXT, in order: libical keeps no
 * line numbers, but it keeps the events in the order of the file. */
static GArray *
ics_event_lines(const char *text)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(gsize));
	gsize line = 1;

	for (const char *p = text; *p != '\0'; line++) {
		const char *end = strchr(p, '\n');

		if (g_ascii_strncasecmp(p, "BEGIN:VEVENT", 12) == 0)
			g_array_append_val(lines, line);
		if (end == NULL)
			break;
		p = end + 1;
	}
	return lines;
}

/* VALUE is "YYYYMMDD" or "YYYYMMDDTHHMMSS[Z]" (RFC 5545 3.3.4, 3.3.5),
 * or for a period (3.3.9) starts with one and a '/'. */
static gboolean
ics_value_ok(const char *value, gsize len)
{
	int ymd[3];
	gsize n = date_scan(value, 0, ymd), k;

	if (n == 0 || n > len)
		return FALSE;
	if (n < len && value[n] == 'T') {
		for (k = 1; k <= 6; k++)
			if (n + k >= len || !g_ascii_isdigit(value[n + k]))
				return FALSE;
		n += 7;
		if (n < len && value[n] == 'Z')
			n++;
	}
	return n == len || value[n] == '/';
}

/* libical reads some malformed dates without a word ("2026013x" as
 * 2026-01-03), so check the raw values of the date properties first,
 * where their lines are known. Folded lines (3.1) are joined. */
static gboolean
ics_check_dates(const holiday_load_t *ld, const char *text, GError **error)
{
	static const char *const names[] = { "DTSTART", "DTEND", "EXDATE",
					     "RDATE" };
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (gsize i = 0; lines[i] != NULL; i++) {
		g_autoptr(GString) value = NULL;
		gsize name_len = strcspn(lines[i], ";:"), at = 0;
		gboolean quoted = FALSE, known = FALSE;

		for (gsize k = 0; k < G_N_ELEMENTS(names); k++)
			known |= name_len == strlen(names[k]) &&
				 g_ascii_strncasecmp(lines[i], names[k],
						     name_len) == 0;
		if (!known)
			continue;
		value = g_string_new(lines[i]);
		for (gsize j = i + 1; lines[j] != NULL; j++) {
			if (lines[j][0] != ' ' && lines[j][0] != '\t')
				break;
			g_string_truncate(value, strcspn(value->str, "\r"));
			g_string_append(value, lines[j] + 1);
		}
		g_string_truncate(value, strcspn(value->str, "\r"));
		/* The value starts after the first ':' outside quotes. */
		for (at = name_len;
		     at < value->len && (quoted || value->str[at] != ':'); at++)
			if (value->str[at] == '"')
				quoted = !quoted;
		for (const char *v = value->str + MIN(at + 1, value->len);;) {
			gsize len = strcspn(v, ",");

			if (!ics_value_ok(v, len)) {
				g_autofree char *part = quote_part(v, len);

				return load_fail(
					ld, i + 1, error,
					"%.*s value '%s' is not a date",
					(int)name_len, lines[i], part);
			}
			if (v[len] == '\0')
				break;
			v += len + 1;
		}
	}
	return TRUE;
}

/* The date of a DATE property (DTSTART, DTEND, EXDATE, RDATE) as a day
 * number, whatever its year. FALSE with an error when the value is not a
 * date: a time, or a malformed value that libical took anyway. */
static gboolean
ics_date(const holiday_load_t *ld, gsize line, icalproperty *prop,
	 const char *name, gint64 *day, GError **error)
{
	const char *value = icalproperty_get_value_as_string(prop);
	int ymd[3];
	gsize n;

	if (value == NULL)
		value = "";
	n = date_scan(value, 0, ymd);
	if (n == 0 || value[n] != '\0' ||
	    !g_date_valid_dmy((GDateDay)ymd[2], (GDateMonth)ymd[1],
			      (GDateYear)ymd[0])) {
		g_autofree char *part = quote_part(value, strlen(value));

		return load_fail(
			ld, line, error,
			"%s '%s' is not a date: a holiday is an all-day "
			"event (%s;VALUE=DATE:YYYYMMDD)",
			name, part, name);
	}
	*day = days_from_civil(ymd[0], ymd[1], ymd[2]);
	return TRUE;
}

/* Add the SPAN days from START unless START is in EXCLUDED. */
static gboolean
ics_occurrence(holiday_load_t *ld, gsize line, gint64 start, gint64 span,
	       GHashTable *excluded, GError **error)
{
	if (g_hash_table_contains(excluded, &start))
		return TRUE;
	for (gint64 d = start; d < start + span; d++)
		if (!load_add(ld, d, line, error))
			return FALSE;
	return TRUE;
}

/* Every occurrence of RRULE from DTSTART up to the end of SLA_YEAR_MAX. */
static gboolean
ics_rrule(holiday_load_t *ld, gsize line, icalproperty *prop,
	  struct icaltimetype dtstart, gint64 span, GHashTable *excluded,
	  GError **error)
{
	struct icalrecurrencetype rule = icalproperty_get_rrule(prop);
	icalrecur_iterator *it;
	gboolean ok = TRUE;
	guint steps = 0;

	if (rule.freq == ICAL_NO_RECURRENCE ||
	    (it = icalrecur_iterator_new(rule, dtstart)) == NULL) {
		const char *value = icalproperty_get_value_as_string(prop);
		g_autofree char *part = quote_part(value ? value : "",
						   value ? strlen(value) : 0);

		icalerror_clear_errno();
		return load_fail(ld, line, error,
				 "RRULE '%s' is invalid or matches no date",
				 part);
	}
	for (struct icaltimetype t = icalrecur_iterator_next(it);
	     ok && !icaltime_is_null_time(t) && t.year <= SLA_YEAR_MAX;
	     t = icalrecur_iterator_next(it)) {
		/* A rule finer than a day repeats the same date: bound the
		 * steps as well as the dates. */
		if (++steps > SLA_HOLIDAY_DATES_MAX) {
			ok = load_fail(ld, line, error,
				       "RRULE expands to more than %d dates",
				       SLA_HOLIDAY_DATES_MAX);
			break;
		}
		if (t.year >= SLA_YEAR_MIN)
			ok = ics_occurrence(
				ld, line,
				days_from_civil(t.year, t.month, t.day), span,
				excluded, error);
	}
	icalrecur_iterator_free(it);
	return ok;
}

static gboolean
ics_errors(const holiday_load_t *ld, gsize line, icalcomponent *comp,
	   GError **error)
{
	icalproperty *err =
		icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
	const char *msg;

	if (err == NULL)
		return TRUE;
	msg = icalproperty_get_xlicerror(err);
	return load_fail(ld, line, error, "not valid iCalendar: %s",
			 msg ? msg : "?");
}

/* The days from DTSTART to DTEND (exclusive), or of DURATION, or 1. */
static gboolean
ics_span(const holiday_load_t *ld, gsize line, icalcomponent *ev, gint64 start,
	 gint64 *span, GError **error)
{
	icalproperty *end =
		icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	icalproperty *dur =
		icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
	gint64 end_day;

	*span = 1;
	if (end != NULL) {
		if (!ics_date(ld, line, end, "DTEND", &end_day, error))
			return FALSE;
		*span = end_day - start;
	} else if (dur != NULL) {
		struct icaldurationtype d = icalproperty_get_duration(dur);

		if (d.is_neg || d.hours != 0 || d.minutes != 0 ||
		    d.seconds != 0)
			return load_fail(ld, line, error,
					 "DURATION of an all-day event must be "
					 "whole days (P1D)");
		*span = (gint64)d.days + 7 * (gint64)d.weeks;
	}
	if (*span < 1 || *span > SLA_HOLIDAY_SPAN_MAX)
		return load_fail(ld, line, error,
				 "the event must last 1 to %d days, not "
				 "%" G_GINT64_FORMAT,
				 SLA_HOLIDAY_SPAN_MAX, *span);
	return TRUE;
}

static gboolean
ics_event(holiday_load_t *ld, gsize line, icalcomponent *ev, GError **error)
{
	icalproperty *start =
		icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	g_autoptr(GHashTable) excluded = g_hash_table_new_full(
		g_int64_hash, g_int64_equal, g_free, NULL);
	gint64 day, span;

	if (!ics_errors(ld, line, ev, error))
		return FALSE;
	if (icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED)
		return TRUE;
	if (start == NULL)
		return load_fail(ld, line, error, "VEVENT without DTSTART");
	if (!ics_date(ld, line, start, "DTSTART", &day, error) ||
	    !ics_span(ld, line, ev, day, &span, error))
		return FALSE;
	for (icalproperty *p =
		     icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
		gint64 ex;

		if (!ics_date(ld, line, p, "EXDATE", &ex, error))
			return FALSE;
		g_hash_table_add(excluded, g_memdup2(&ex, sizeof ex));
	}
	for (icalproperty *p =
		     icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY))
		if (!ics_rrule(ld, line, p, icalproperty_get_dtstart(start),
			       span, excluded, error))
			return FALSE;
	for (icalproperty *p =
		     icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY);
	     p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
		gint64 rday;

		if (!ics_date(ld, line, p, "RDATE", &rday, error) ||
		    !ics_occurrence(ld, line, rday, span, excluded, error))
			return FALSE;
	}
	/* RFC 5545 3.8.5.3: DTSTART is the first instance even when the
	 * rule does not match it. */
	return ics_occurrence(ld, line, day, span, excluded, error);
}

static gboolean
holidays_ics(holiday_load_t *ld, const char *text, GError **error)
{
	icalcomponent *root, *ev;
	g_autoptr(GArray) lines = ics_event_lines(text);
	gboolean ok = TRUE;
	guint index = 0;

	if (!ics_check_dates(ld, text, error))
		return FALSE;
	root = icalparser_parse_string(text);
	icalerror_clear_errno();
	if (root == NULL ||
	    icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
		if (root != NULL)
			icalcomponent_free(root);
		return load_fail(ld, 1, error,
				 "not an iCalendar file (one VCALENDAR from "
				 "BEGIN to END)");
	}
	ok = ics_errors(ld, 1, root, error);
	ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	for (; ok && ev != NULL; index++) {
		gsize line = 1;

		if (index < lines->len)
			line = g_array_index(lines, gsize, index);
		ok = ics_event(ld, line, ev, error);
		ev = icalcomponent_get_next_component(root,
						      ICAL_VEVENT_COMPONENT);
	}
	icalcomponent_free(root);
	return ok;
}

gboolean
sla_calendar_load_holidays(sla_calendar_t *cal, const char *file,
			   const char *text, GError **error)
{
	g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(gint64));
	holiday_load_t ld = { file, days };
	const char *p;
	gboolean ok;

	if (strnlen(text, SLA_HOLIDAY_TEXT_MAX + 1) > SLA_HOLIDAY_TEXT_MAX)
		return load_fail(&ld, 1, error, "larger than %d bytes",
				 SLA_HOLIDAY_TEXT_MAX);
	/* A byte order mark is how some calendar programs start a file. */
	if (g_str_has_prefix(text, "\xef\xbb\xbf"))
		text += 3;
	for (p = text; g_ascii_isspace(*p); p++)
		;
	if (g_ascii_strncasecmp(p, "BEGIN:VCALENDAR", 15) == 0)
		ok = holidays_ics(&ld, text, error);
	else
		ok = holidays_lines(&ld, text, error);
	if (!ok)
		return FALSE;
	for (guint i = 0; i < days->len; i++) {
		gint64 d = g_array_index(days, gint64, i);

		cal->holidays[d / 8] |= (guint8)(1u << (d % 8));
	}
	return TRUE;
}

/* ---- Walking business time ---- */

/* Yields the business ranges of a calendar in time order, each clipped to
 * start no earlier than the end of the one before (and than the start):
 * ranges of a repeated hour may overlap. */
typedef struct {
	const sla_calendar_t *cal;
	gint64 day;       /* local day being walked */
	int range;        /* next range of DAY */
	gint64 idle_from; /* the first day after the last with business hours */
	gint64 last;      /* nothing before this is yielded again */
} span_iter_t;

static void
span_iter_init(span_iter_t *it, const sla_calendar_t *cal, gint64 t)
{
	it->cal = cal;
	/* The day before too: its closing at 24:00 may be the second
	 * occurrence of a midnight that a change repeats. */
	it->day = local_day(cal, t) - 1;
	it->range = 0;
	it->idle_from = it->day;
	it->last = t;
}

/* The next range [*OPEN, *CLOSE), *OPEN < *CLOSE. FALSE after
 * SLA_HORIZON_DAYS days in a row without business hours or at the end of
 * the calendar. */
static gboolean
span_iter_next(span_iter_t *it, gint64 *open, gint64 *close)
{
	const sla_calendar_t *cal = it->cal;

	while (it->day < SLA_DAYS &&
	       it->day - it->idle_from <= SLA_HORIZON_DAYS) {
		const sla_weekday_t *wd = &cal->week[weekday_of(it->day)];
		const sla_range_t *r;

		if (it->range >= wd->n || holiday_bit(cal, it->day)) {
			it->day++;
			it->range = 0;
			continue;
		}
		r = &wd->ranges[it->range++];
		it->idle_from = it->day + 1;
		*close = local_to_unix(cal, it->day, r->close, FALSE);
		if (*close <= it->last)
			continue;
		*open = MAX(local_to_unix(cal, it->day, r->open, TRUE),
			    it->last);
		if (*open >= *close)
			continue;
		it->last = *close;
		return TRUE;
	}
	return FALSE;
}

static gint64
clamp_time(gint64 t)
{
	return CLAMP(t, 0, SLA_TIME_MAX);
}

gint64
sla_deadline(const sla_calendar_t *cal, gint64 start, gint64 seconds)
{
	gint64 left = MAX(seconds, 0), open, close;
	span_iter_t it;

	span_iter_init(&it, cal, clamp_time(start));
	while (span_iter_next(&it, &open, &close)) {
		if (left <= close - open)
			return open + left < SLA_TIME_MAX ? open + left
							  : SLA_NEVER;
		left -= close - open;
	}
	return SLA_NEVER;
}

gint64
sla_business_seconds(const sla_calendar_t *cal, gint64 a, gint64 b)
{
	gint64 total = 0, open, close;
	span_iter_t it;

	a = clamp_time(a);
	b = clamp_time(b);
	if (b <= a)
		return 0;
	span_iter_init(&it, cal, a);
	while (span_iter_next(&it, &open, &close) && open < b)
		total += MIN(close, b) - open;
	return total;
}

gint64
sla_next_open(const sla_calendar_t *cal, gint64 t)
{
	return sla_deadline(cal, t, 0);
}

gboolean
sla_is_open(const sla_calendar_t *cal, gint64 t)
{
	return t == clamp_time(t) && sla_next_open(cal, t) == t;
}

/* ---- Durations ---- */

/* KIND ("duration", "targets") TEXT is wrong at POS: PD_ERROR_CONFIG. */
static gboolean G_GNUC_PRINTF(5, 6)
text_fail(const char *kind, const char *text, gsize pos, GError **error, const char *fmt,
	  ...)
{
	g_autofree char *quoted = quote_part(text, strlen(text));
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
		    "%s '%s': %s at offset %zu", kind, quoted, what, pos);
	return FALSE;
}

/* Parse TEXT into its weeks, days and seconds, bounded with a week of
 * WEEK_S and a day of DAY_S seconds. */
static gboolean
duration_parse(const char *text, gint64 week_s, gint64 day_s, sla_target_t *out,
	       GError **error)
{
	static const char UNITS[] = "wdhms";
	const gint64 muls[] = { week_s, day_s, 3600, 60, 1 };
	gint64 parts[5] = { 0 };
	gint64 total = 0;
	gsize pos = 0;
	int last = -1;

	if (text == NULL)
		text = "";
	if (strlen(text) > DURATION_TEXT_MAX)
		return text_fail("duration", text, DURATION_TEXT_MAX, error,
				     "longer than %d bytes", DURATION_TEXT_MAX);
	while (g_ascii_isspace(text[pos]))
		pos++;
	if (text[pos] == '\0')
		return text_fail("duration", text, pos, error, "no number");
	while (text[pos] != '\0') {
		gsize start = pos;
		gint64 n = 0;
		const char *u;

		if (!g_ascii_isdigit(text[pos]))
			return text_fail("duration", text, pos, error,
					     "expected a number");
		for (; g_ascii_isdigit(text[pos]); pos++) {
			n = n * 10 + (text[pos] - '0');
			if (n > SLA_DURATION_MAX)
				return text_fail("duration", text, start, error,
						     "more than %d days",
						     SLA_HORIZON_DAYS);
		}
		while (g_ascii_isspace(text[pos]))
			pos++;
		if (text[pos] == '\0')
			return text_fail("duration",
				text, pos, error,
				"no unit (s, m, h, d or w) after the number");
		u = g_ascii_isalpha(text[pos])
			    ? strchr(UNITS, g_ascii_tolower(text[pos]))
			    : NULL;
		if (u == NULL)
			return text_fail("duration",
				text, pos, error,
				"unknown unit (use s, m, h, d or w)");
		if (u - UNITS <= last)
			return text_fail("duration",
				text, pos, error,
				"unit '%c' after a smaller or the same unit",
				*u);
		last = (int)(u - UNITS);
		parts[last] = n;
		total += n * muls[last];
		if (total > SLA_DURATION_MAX)
			return text_fail("duration", text, start, error,
					     "more than %d days",
					     SLA_HORIZON_DAYS);
		pos++;
		while (g_ascii_isspace(text[pos]))
			pos++;
	}
	if (total == 0)
		return text_fail("duration", text, 0, error, "zero");
	out->set = TRUE;
	out->weeks = parts[0];
	out->days = parts[1];
	out->seconds = parts[2] * 3600 + parts[3] * 60 + parts[4];
	return TRUE;
}

gboolean
sla_parse_duration(const sla_calendar_t *cal, const char *text, gint64 *seconds,
		   GError **error)
{
	sla_target_t t = { 0 };

	if (!duration_parse(text, cal != NULL ? cal->week_seconds : 7 * DAY_SECONDS,
			    cal != NULL ? cal->day_seconds : DAY_SECONDS, &t, error))
		return FALSE;
	*seconds = sla_target_seconds(cal, &t);
	return TRUE;
}

/* ---- Targets per priority ---- */

static const char *const PRIORITY_NAMES[SLA_PRIORITIES] = {
	"low", "normal", "high", "urgent",
};

int
sla_priority_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < SLA_PRIORITIES; i++)
		if (g_ascii_strcasecmp(name, PRIORITY_NAMES[i]) == 0)
			return i;
	return -1;
}

gint64
sla_target_seconds(const sla_calendar_t *cal, const sla_target_t *t)
{
	if (t == NULL || !t->set)
		return 0;
	/* Bounded when parsed with the longest day and week there is. */
	return t->weeks * (cal != NULL ? cal->week_seconds : 7 * DAY_SECONDS) +
	       t->days * (cal != NULL ? cal->day_seconds : DAY_SECONDS) + t->seconds;
}

/* The length of a "PRIORITY:" label at TEXT (letters, blanks, a colon),
 * 0 when there is none; *NAME_LEN gets the letters' length. */
static gsize
targets_label(const char *text, gsize *name_len)
{
	gsize n = 0, i;

	while (g_ascii_isalpha(text[n]))
		n++;
	for (i = n; text[i] == ' ' || text[i] == '\t'; i++)
		;
	if (n == 0 || text[i] != ':')
		return 0;
	*name_len = n;
	return i + 1;
}

/* One item of TEXT, from START to END (trimmed, not empty): its target
 * into OUT, or for all priorities not named into *BARE. */
static gboolean
targets_item(const char *text, gsize start, gsize end, sla_targets_t *out,
	     sla_target_t *bare, gboolean *have_bare, GError **error)
{
	gsize name_len = 0;
	gsize label = targets_label(text + start, &name_len);
	g_autofree char *dur = NULL;
	g_autoptr(GError) derr = NULL;
	sla_target_t t = { 0 };
	int prio = -1;

	if (label > end - start)
		label = 0;
	if (label > 0) {
		g_autofree char *name = g_strndup(text + start, name_len);

		prio = sla_priority_from_name(name);
		if (prio < 0)
			return text_fail("targets", text, start, error,
					    "unknown priority '%s' (use low, normal, "
					    "high or urgent)", name);
		if (out->of[prio].set)
			return text_fail("targets", text, start, error,
					    "priority %s given twice",
					    PRIORITY_NAMES[prio]);
	} else if (*have_bare) {
		return text_fail("targets", text, start, error,
				    "a second target without a priority "
				    "(write PRIORITY:DURATION)");
	}
	dur = g_strstrip(g_strndup(text + start + label, end - start - label));
	if (strcmp(dur, "0") == 0) {
		t.set = TRUE;
	} else if (!duration_parse(dur, 7 * DAY_SECONDS, DAY_SECONDS, &t, &derr)) {
		g_autofree char *quoted = quote_part(text, strlen(text));

		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "targets '%s': %s: %s",
			    quoted, prio >= 0 ? PRIORITY_NAMES[prio] : "default",
			    derr->message);
		return FALSE;
	}
	if (prio >= 0) {
		out->of[prio] = t;
	} else {
		*bare = t;
		*have_bare = TRUE;
	}
	return TRUE;
}

gboolean
sla_targets_parse(const char *text, sla_targets_t *out, GError **error)
{
	sla_targets_t res = { 0 };
	sla_target_t bare = { 0 };
	gboolean have_bare = FALSE;
	gsize len, pos = 0;

	if (text == NULL)
		text = "";
	len = strlen(text);
	if (len > SLA_TARGETS_TEXT_MAX)
		return text_fail("targets", text, SLA_TARGETS_TEXT_MAX, error,
				    "longer than %d bytes", SLA_TARGETS_TEXT_MAX);
	while (pos <= len) {
		gsize start, end, name_len;

		while (g_ascii_isspace(text[pos]))
			pos++;
		start = pos;
		/* An item ends at ',' or ';', or where blanks are followed by
		 * the next "PRIORITY:" (a duration may hold blanks: "1d 4h"). */
		for (end = pos; end < len && text[end] != ',' && text[end] != ';';
		     end++)
			if (end > start && g_ascii_isspace(text[end - 1]) &&
			    targets_label(text + end, &name_len) > 0)
				break;
		pos = end;
		while (end > start && g_ascii_isspace(text[end - 1]))
			end--;
		if (end == start)
			return text_fail("targets", text, start, error,
					    start == len && start == 0
						    ? "empty"
						    : "empty item");
		if (!targets_item(text, start, end, &res, &bare, &have_bare,
				  error))
			return FALSE;
		if (text[pos] == ',' || text[pos] == ';')
			pos++;
		else if (pos >= len)
			break;
	}
	for (int i = 0; have_bare && i < SLA_PRIORITIES; i++)
		if (!res.of[i].set)
			res.of[i] = bare;
	*out = res;
	return TRUE;
}

/* ---- Phrases ---- */

typedef struct {
	const char *today, *tomorrow, *never;
	const char *days[7], *short_days[7], *months[12];
	gboolean german; /* the order of a full date */
} phrase_lang_t;

static const phrase_lang_t LANG_EN = {
	"today",
	"tomorrow",
	"never",
	{ "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	  "Sunday" },
	{ "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" },
	{ "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	  "Nov", "Dec" },
	FALSE,
};

/* Abbreviations as the Duden has them. */
static const phrase_lang_t LANG_DE = {
	"heute",
	"morgen",
	"nie",
	{ "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
	  "Sonntag" },
	{ "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So." },
	{ "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.",
	  "Sept.", "Okt.", "Nov.", "Dez." },
	TRUE,
};

static const phrase_lang_t *
phrase_lang(const char *lang)
{
	if (lang != NULL && g_ascii_strncasecmp(lang, "de", 2) == 0 &&
	    (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_'))
		return &LANG_DE;
	return &LANG_EN;
}

static GDateTime *
phrase_time(gint64 t, GTimeZone *tz)
{
	g_autoptr(GDateTime) utc = NULL;

	if (t == SLA_NEVER || (utc = g_date_time_new_from_unix_utc(t)) == NULL)
		return NULL;
	return g_date_time_to_timezone(utc, tz);
}

static gint64
phrase_day(GDateTime *dt)
{
	int y, m, d;

	g_date_time_get_ymd(dt, &y, &m, &d);
	return days_from_civil(y, m, d);
}

char *
sla_phrase(const sla_calendar_t *cal, gint64 t, gint64 now,
	   const char *zone, const char *lang)
{
	const phrase_lang_t *l = phrase_lang(lang);
	g_autoptr(GTimeZone) tz = zone != NULL ? zone_get(zone) : NULL;
	g_autoptr(GDateTime) when = phrase_time(t, tz != NULL ? tz : cal->tz);
	g_autoptr(GDateTime) today =
		phrase_time(now, tz != NULL ? tz : cal->tz);
	g_autofree char *clock = NULL;
	const char *abbr;
	gint64 days;
	int wday;

	if (when == NULL)
		return g_strdup(l->never);
	clock = g_strdup_printf("%02d:%02d", g_date_time_get_hour(when),
				g_date_time_get_minute(when));
	abbr = g_date_time_get_timezone_abbreviation(when);
	wday = g_date_time_get_day_of_week(when) - 1;
	days = today != NULL ? phrase_day(when) - phrase_day(today) : -1;
	if (days == 0)
		return g_strdup_printf("%s %s %s", l->today, clock, abbr);
	if (days == 1)
		return g_strdup_printf("%s %s %s", l->tomorrow, clock, abbr);
	if (days > 1 && days < 7)
		return g_strdup_printf("%s %s %s", l->days[wday], clock, abbr);
	if (l->german)
		return g_strdup_printf(
			"%s, %d. %s %d, %s %s", l->short_days[wday],
			g_date_time_get_day_of_month(when),
			l->months[g_date_time_get_month(when) - 1],
			g_date_time_get_year(when), clock, abbr);
	return g_strdup_printf("%s %d %s %d %s %s", l->short_days[wday],
			       g_date_time_get_day_of_month(when),
			       l->months[g_date_time_get_month(when) - 1],
			       g_date_time_get_year(when), clock, abbr);
}
