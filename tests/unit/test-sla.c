/* SPDX-License-Identifier: MIT
 * test-sla.c: business-hours calendars: hours and their errors, deadlines
 * across weekends, holidays and daylight saving changes both ways (Berlin
 * and New York, 2026), business seconds, holiday files (lines and
 * iCalendar), durations, phrases in another zone and language, the
 * bounds, and a reference that reads the wall clock of every quarter hour. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "error.h"
#include "sla.h"
#include "util.h"
#include "banned.h"

#define HOUR 3600

/* RFC 3339 to Unix seconds; the offset in the text is the local time the
 * test means, so "12:30:00+02:00" fails a result at 12:30 CET. */
static gint64
at(const char *rfc3339)
{
	gint64 t = 0;

	if (!util_parse_time(rfc3339, &t))
		g_error("bad time in test: %s", rfc3339);
	return t;
}

static sla_calendar_t *
calendar(const char *tz, const char *hours)
{
	GError *error = NULL;
	sla_calendar_t *cal = sla_calendar_new(tz, hours, &error);

	g_assert_no_error(error);
	g_assert_nonnull(cal);
	return cal;
}

static void
assert_time(gint64 got, const char *want)
{
	if (want == NULL) {
		g_assert_cmpint(got, ==, SLA_NEVER);
		return;
	}
	if (got != at(want)) {
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(got);
		g_autofree char *s = dt != NULL ? g_date_time_format_iso8601(dt)
						: g_strdup("?");

		g_error("got %s, want %s", s, want);
	}
}

/* ---- Hours ---- */

typedef struct {
	const char *hours;
	gint64 day, week; /* sla_calendar_day_seconds, _week_seconds */
} hours_case_t;

static const hours_case_t hours_cases[] = {
	{ NULL, 24 * HOUR, 7 * 24 * HOUR },
	{ "24x7", 24 * HOUR, 7 * 24 * HOUR },
	{ " 24X7 ", 24 * HOUR, 7 * 24 * HOUR },
	{ "Mon-Fri 09:00-17:00", 8 * HOUR, 40 * HOUR },
	{ "mon-FRI 9:00-17:00", 8 * HOUR, 40 * HOUR },
	{ "Monday-Friday 09:00-17:00", 8 * HOUR, 40 * HOUR },
	{ "Mon-Fri 09:00-17:00, Sat 10:00-12:00", 8 * HOUR, 42 * HOUR },
	{ "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-14:00", 8 * HOUR,
	  38 * HOUR },
	{ "Mon-Thu 08:00-17:00; Fri 08:00-14:00", 9 * HOUR, 42 * HOUR },
	/* A tie between 3 and 4 hours: the longer. */
	{ "Mon-Tue 08:00-11:00; Wed-Thu 08:00-12:00", 4 * HOUR, 14 * HOUR },
	{ "Mon-Tue 08:00-12:00; Wed-Thu 08:00-11:00", 4 * HOUR, 14 * HOUR },
	/* Ranges may touch; the order of items does not matter. */
	{ "Mon 13:00-17:00, Mon 09:00-13:00", 8 * HOUR, 8 * HOUR },
	{ "Fri-Mon 10:00-12:00", 2 * HOUR, 8 * HOUR },
	{ "Sun 00:00-24:00", 24 * HOUR, 24 * HOUR },
	{ "Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00", 8 * HOUR, 40 * HOUR },
	{ "Mon 00:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00,08:00-09:00,"
	  "10:00-11:00,12:00-13:00,14:00-15:00",
	  8 * HOUR, 8 * HOUR },
};

static void
test_hours(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(hours_cases); i++) {
		const hours_case_t *c = &hours_cases[i];
		g_autoptr(sla_calendar_t) cal = NULL;

		g_test_message("case %zu: %s", i,
			       c->hours ? c->hours : "(null)");
		cal = calendar("UTC", c->hours);
		g_assert_cmpint(sla_calendar_day_seconds(cal), ==, c->day);
		g_assert_cmpint(sla_calendar_week_seconds(cal), ==, c->week);
	}
}

typedef struct {
	const char *tz, *hours, *message;
} bad_calendar_t;

static const bad_calendar_t bad_calendars[] = {
	{ "Mars/Olympus", NULL, "unknown timezone 'Mars/Olympus'" },
	{ "europe/berlin", NULL, "unknown timezone 'europe/berlin'" },
	{ "", NULL, "unknown timezone ''" },
	{ "../../etc/passwd", NULL, "unknown timezone '../../etc/passwd'" },
	{ "/usr/share/zoneinfo/UTC", NULL,
	  "unknown timezone '/usr/share/zoneinfo/UTC'" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", NULL,
	  "unknown timezone 'CET-1CEST,M3.5.0,M10.5.0/3'" },
	{ "Europe/Berlin\n", NULL, "unknown timezone 'Europe/Berlin\\n'" },
	{ "UTC", "", "no open time in the hours" },
	{ "UTC", "   ", "no open time in the hours" },
	{ "UTC", "Mon-Fry 09:00-17:00", "unknown day 'Fry' at offset 4" },
	{ "UTC", "Mo-Fr 09:00-17:00", "unknown day 'Mo' at offset 0" },
	{ "UTC", "Mon-Fri",
	  "expected a time HH:MM, found the end at offset 7" },
	{ "UTC", "Mon-Fri 9-17",
	  "expected a time HH:MM, found '9-17' at offset 8" },
	{ "UTC", "Mon-Fri 09:00",
	  "expected '-' and a closing time, found the end at offset 13" },
	{ "UTC", "Mon-Fri 09:00 17:00",
	  "expected '-' and a closing time, found '17:00' at offset 14" },
	{ "UTC", "Mon-Fri 09:00-5pm",
	  "expected a time HH:MM, found '5pm' at offset 14" },
	{ "UTC", "Mon-Fri 09:00-17:000",
	  "expected a time HH:MM, found '17:000' at offset 14" },
	{ "UTC", "Mon-Fri 25:00-26:00", "no such time '25:00' at offset 8" },
	{ "UTC", "Mon-Fri 09:60-17:00", "no such time '09:60' at offset 8" },
	{ "UTC", "Mon-Fri 09:00-24:30", "no such time '24:30' at offset 14" },
	{ "UTC", "Mon-Fri 17:00-09:00",
	  "range does not end after it starts: '17:00-09:00' at offset 8" },
	{ "UTC", "Mon-Fri 09:00-09:00",
	  "range does not end after it starts: '09:00-09:00' at offset 8" },
	{ "UTC", "09:00-17:00",
	  "a time range without days before it: '09:00-17:00' at offset 0" },
	{ "UTC", "Mon-Fri 09:00-12:00, Mon 11:00-13:00",
	  "overlapping ranges on Mon: '11:00-13:00' at offset 25" },
	{ "UTC", "Mon-Fri 09:00-17:00, Mon-Fri 09:00-17:00",
	  "overlapping ranges on Mon: '09:00-17:00' at offset 29" },
	{ "UTC", "Mon-Fri 09:00-17:00,",
	  "nothing after the separator in '09:00-17:00,' at offset 8" },
	{ "UTC", "Mon-Fri 09:00-17:00 Sat 10:00-12:00",
	  "expected ',' or ';', found 'Sat' at offset 20" },
	{ "UTC", "Mon-Fri 09:00-17:00;; Sat 10:00-12:00",
	  "expected a time HH:MM, found ';' at offset 20" },
	{ "UTC", "24x7; Mon 09:00-10:00",
	  "a time range without days before it: '24x7' at offset 0" },
	{ "UTC",
	  "Mon 00:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00,08:00-09:00,"
	  "10:00-11:00,12:00-13:00,14:00-15:00,16:00-17:00",
	  "more than 8 ranges on Mon: '16:00-17:00' at offset 100" },
};

static void
test_hours_bad(void)
{
	g_autofree char *long_hours = g_strnfill(SLA_HOURS_MAX + 1, ' ');

	for (gsize i = 0; i < G_N_ELEMENTS(bad_calendars); i++) {
		const bad_calendar_t *c = &bad_calendars[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(sla_calendar_t) cal = NULL;

		g_test_message("case %zu: %s / %s", i, c->tz,
			       c->hours ? c->hours : "(null)");
		cal = sla_calendar_new(c->tz, c->hours, &error);
		g_assert_null(cal);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==, c->message);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(sla_calendar_t) cal =
			sla_calendar_new("UTC", long_hours, &error);

		g_assert_null(cal);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==,
				"hours longer than 1024 bytes");
	}
}

static void
test_timezone_names(void)
{
	g_autoptr(sla_calendar_t) utc = calendar(NULL, NULL);
	g_autoptr(sla_calendar_t) utc2 = calendar("UTC", NULL);
	g_autoptr(sla_calendar_t) berlin = calendar("Europe/Berlin", NULL);

	g_assert_cmpstr(sla_calendar_timezone(utc), ==, "UTC");
	g_assert_cmpstr(sla_calendar_timezone(utc2), ==, "UTC");
	g_assert_cmpstr(sla_calendar_timezone(berlin), ==, "Europe/Berlin");
}

/* ---- Deadlines ---- */

typedef struct {
	const char *tz, *hours;
	const char *holiday; /* YYYY-MM-DD or NULL */
	const char *start;
	gint64 seconds;
	const char *due; /* NULL: SLA_NEVER */
} deadline_case_t;

#define BERLIN "Europe/Berlin"
#define NEW_YORK "America/New_York"
#define OFFICE "Mon-Fri 09:00-17:00"

static const deadline_case_t deadline_cases[] = {
	/* Issue 8: Friday 16:30 + 4 business hours is Monday 12:30. */
	{ BERLIN, OFFICE, NULL, "2026-11-20T16:30:00+01:00", 4 * HOUR,
	  "2026-11-23T12:30:00+01:00" },
	/* A holiday on that Monday moves it to Tuesday. */
	{ BERLIN, OFFICE, "2026-11-23", "2026-11-20T16:30:00+01:00", 4 * HOUR,
	  "2026-11-24T12:30:00+01:00" },
	{ BERLIN, OFFICE, "2026-11-20", "2026-11-20T16:30:00+01:00", 4 * HOUR,
	  "2026-11-23T13:00:00+01:00" },
	/* Starts outside hours count from the next opening. */
	{ BERLIN, OFFICE, NULL, "2026-11-21T11:00:00+01:00", 4 * HOUR,
	  "2026-11-23T13:00:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-20T17:00:00+01:00", 4 * HOUR,
	  "2026-11-23T13:00:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T06:00:00+01:00", 1,
	  "2026-11-23T09:00:01+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T06:00:00+01:00", 0,
	  "2026-11-23T09:00:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T10:00:00+01:00", 0,
	  "2026-11-23T10:00:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T10:00:00+01:00", -5,
	  "2026-11-23T10:00:00+01:00" },
	/* Using up a day ends at its closing, one second more the next day. */
	{ BERLIN, OFFICE, NULL, "2026-11-23T09:00:00+01:00", 8 * HOUR,
	  "2026-11-23T17:00:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T09:00:00+01:00", 8 * HOUR + 1,
	  "2026-11-24T09:00:01+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T09:00:00+01:00", 40 * HOUR,
	  "2026-11-27T17:00:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-11-23T09:00:00+01:00", 80 * HOUR,
	  "2026-12-04T17:00:00+01:00" },
	/* A lunch break: a start inside it, a deadline across it. */
	{ BERLIN, "Mon-Fri 09:00-12:00,13:00-17:00", NULL,
	  "2026-11-23T12:15:00+01:00", HOUR, "2026-11-23T14:00:00+01:00" },
	{ BERLIN, "Mon-Fri 09:00-12:00,13:00-17:00", NULL,
	  "2026-11-23T11:30:00+01:00", HOUR, "2026-11-23T13:30:00+01:00" },
	{ BERLIN, "Mon-Fri 09:00-12:00,13:00-17:00", NULL,
	  "2026-11-23T12:00:00+01:00", 0, "2026-11-23T13:00:00+01:00" },
	/* Several ranges a day and a shorter Friday. */
	{ BERLIN, "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-14:00", NULL,
	  "2026-11-20T13:00:00+01:00", 2 * HOUR, "2026-11-23T09:00:00+01:00" },
	{ BERLIN, "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-14:00", NULL,
	  "2026-11-19T11:00:00+01:00", 6 * HOUR, "2026-11-20T09:00:00+01:00" },
	/* Ranges either side of midnight make one shift. */
	{ BERLIN, "Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00", NULL,
	  "2026-11-23T23:00:00+01:00", 2 * HOUR, "2026-11-24T01:00:00+01:00" },
	{ BERLIN, "Fri-Mon 10:00-12:00", NULL, "2026-11-24T10:00:00+01:00",
	  3 * HOUR, "2026-11-28T11:00:00+01:00" },
	/* Berlin, 2026-03-29 02:00 CET becomes 03:00 CEST. */
	{ BERLIN, "24x7", NULL, "2026-03-28T12:00:00+01:00", 24 * HOUR,
	  "2026-03-29T13:00:00+02:00" },
	{ BERLIN, "24x7", NULL, "2026-03-29T01:30:00+01:00", HOUR,
	  "2026-03-29T03:30:00+02:00" },
	{ BERLIN, OFFICE, NULL, "2026-03-27T16:30:00+01:00", 4 * HOUR,
	  "2026-03-30T12:30:00+02:00" },
	{ BERLIN, OFFICE, NULL, "2026-03-27T09:00:00+01:00", 16 * HOUR,
	  "2026-03-30T17:00:00+02:00" },
	/* Opening hours the change cuts short: 2 hours that day, not 3. */
	{ BERLIN, "Sun 01:00-04:00", NULL, "2026-03-29T01:00:00+01:00",
	  2 * HOUR, "2026-03-29T04:00:00+02:00" },
	{ BERLIN, "Sun 02:15-02:45", NULL, "2026-03-28T12:00:00+01:00", 1,
	  "2026-04-05T02:15:01+02:00" },
	/* Berlin, 2026-10-25 03:00 CEST becomes 02:00 CET. */
	{ BERLIN, "24x7", NULL, "2026-10-24T12:00:00+02:00", 24 * HOUR,
	  "2026-10-25T11:00:00+01:00" },
	{ BERLIN, "24x7", NULL, "2026-10-25T02:30:00+02:00", HOUR,
	  "2026-10-25T02:30:00+01:00" },
	{ BERLIN, OFFICE, NULL, "2026-10-23T16:30:00+02:00", 4 * HOUR,
	  "2026-10-26T12:30:00+01:00" },
	/* Hours that hold the repeated hour count it twice: 4 hours. */
	{ BERLIN, "Sun 01:00-04:00", NULL, "2026-10-25T01:00:00+02:00",
	  4 * HOUR, "2026-10-25T04:00:00+01:00" },
	/* New York, 2026-03-08 02:00 EST becomes 03:00 EDT. */
	{ NEW_YORK, "24x7", NULL, "2026-03-07T12:00:00-05:00", 24 * HOUR,
	  "2026-03-08T13:00:00-04:00" },
	{ NEW_YORK, OFFICE, NULL, "2026-03-06T16:30:00-05:00", 4 * HOUR,
	  "2026-03-09T12:30:00-04:00" },
	{ NEW_YORK, "Sun 00:30-02:30", NULL, "2026-03-08T00:00:00-05:00",
	  2 * HOUR, "2026-03-15T01:00:00-04:00" },
	/* New York, 2026-11-01 02:00 EDT becomes 01:00 EST. */
	{ NEW_YORK, "24x7", NULL, "2026-10-31T12:00:00-04:00", 24 * HOUR,
	  "2026-11-01T11:00:00-05:00" },
	{ NEW_YORK, OFFICE, NULL, "2026-10-30T16:30:00-04:00", 4 * HOUR,
	  "2026-11-02T12:30:00-05:00" },
	{ NEW_YORK, "Sun 00:30-02:30", NULL, "2026-11-01T00:00:00-04:00",
	  3 * HOUR, "2026-11-01T02:30:00-05:00" },
	/* UTC, and the limits of the calendar. */
	{ NULL, OFFICE, NULL, "2026-11-20T16:30:00Z", 4 * HOUR,
	  "2026-11-23T12:30:00Z" },
	{ NULL, "24x7", NULL, "1960-01-01T00:00:00Z", HOUR,
	  "1970-01-01T01:00:00Z" },
	{ NULL, "24x7", NULL, "2099-12-31T23:00:00Z", HOUR - 1,
	  "2099-12-31T23:59:59Z" },
	{ NULL, "24x7", NULL, "2099-12-31T23:00:00Z", HOUR, NULL },
	{ NULL, "24x7", NULL, "2150-01-01T00:00:00Z", 0, NULL },
	{ NULL, OFFICE, NULL, "2026-11-20T16:30:00Z", G_MAXINT64, NULL },
};

static void
test_deadline(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(deadline_cases); i++) {
		const deadline_case_t *c = &deadline_cases[i];
		g_autoptr(sla_calendar_t) cal = calendar(c->tz, c->hours);
		gint64 start = at(c->start), due;

		g_test_message(
			"case %zu: %s %s from %s + %" G_GINT64_FORMAT " s", i,
			c->tz ? c->tz : "UTC", c->hours, c->start, c->seconds);
		if (c->holiday != NULL) {
			int y = 0, m = 0, d = 0;

			g_assert_cmpint(
				sscanf(c->holiday, "%d-%d-%d", &y, &m, &d), ==,
				3);
			g_assert_true(sla_calendar_add_holiday(cal, y, m, d));
		}
		due = sla_deadline(cal, start, c->seconds);
		assert_time(due, c->due);
		/* Start to deadline is the target in business time. */
		if (c->due != NULL && c->seconds > 0 && start >= 0)
			g_assert_cmpint(sla_business_seconds(cal, start, due),
					==, c->seconds);
	}
}

/* ---- Business seconds, open and next opening ---- */

typedef struct {
	const char *tz, *hours, *a, *b;
	gint64 seconds;
} between_case_t;

static const between_case_t between_cases[] = {
	{ BERLIN, OFFICE, "2026-11-20T16:30:00+01:00",
	  "2026-11-23T12:30:00+01:00", 4 * HOUR },
	{ BERLIN, OFFICE, "2026-11-20T12:00:00+01:00",
	  "2026-11-20T13:00:00+01:00", HOUR },
	{ BERLIN, OFFICE, "2026-11-21T00:00:00+01:00",
	  "2026-11-23T00:00:00+01:00", 0 },
	{ BERLIN, OFFICE, "2026-11-23T00:00:00+01:00",
	  "2026-11-30T00:00:00+01:00", 40 * HOUR },
	{ BERLIN, OFFICE, "2026-11-23T10:00:00+01:00",
	  "2026-11-23T10:00:00+01:00", 0 },
	{ BERLIN, OFFICE, "2026-11-23T12:00:00+01:00",
	  "2026-11-23T10:00:00+01:00", 0 },
	{ BERLIN, "Mon-Fri 09:00-12:00,13:00-17:00",
	  "2026-11-23T11:00:00+01:00", "2026-11-23T14:00:00+01:00", 2 * HOUR },
	/* A paused week (#wait): Monday noon to Monday noon. */
	{ BERLIN, "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-14:00",
	  "2026-11-23T12:00:00+01:00", "2026-11-30T12:00:00+01:00", 38 * HOUR },
	/* Days of 23 and 25 hours. */
	{ BERLIN, "24x7", "2026-03-29T00:00:00+01:00",
	  "2026-03-30T00:00:00+02:00", 23 * HOUR },
	{ BERLIN, "24x7", "2026-10-25T00:00:00+02:00",
	  "2026-10-26T00:00:00+01:00", 25 * HOUR },
	{ NEW_YORK, "24x7", "2026-03-08T00:00:00-05:00",
	  "2026-03-09T00:00:00-04:00", 23 * HOUR },
	{ NEW_YORK, "24x7", "2026-11-01T00:00:00-04:00",
	  "2026-11-02T00:00:00-05:00", 25 * HOUR },
	/* Office hours stay eight hours on the days around a change. */
	{ BERLIN, OFFICE, "2026-03-27T00:00:00+01:00",
	  "2026-03-31T00:00:00+02:00", 16 * HOUR },
	{ NEW_YORK, OFFICE, "2026-10-30T00:00:00-04:00",
	  "2026-11-03T00:00:00-05:00", 16 * HOUR },
	{ NEW_YORK, "Sun 00:30-02:30", "2026-03-08T00:00:00-05:00",
	  "2026-03-09T00:00:00-04:00", 90 * 60 },
	{ NEW_YORK, "Sun 00:30-02:30", "2026-11-01T00:00:00-04:00",
	  "2026-11-02T00:00:00-05:00", 3 * HOUR },
	/* An opening in the repeated hour is its first occurrence, a closing
	 * its second: 02:30 CEST to 05:00 CET, and 01:00 CEST to 02:30 CET. */
	{ BERLIN, "Sun 02:30-05:00", "2026-10-25T00:00:00+02:00",
	  "2026-10-26T00:00:00+01:00", 7 * HOUR / 2 },
	{ BERLIN, "Sun 01:00-02:30", "2026-10-25T00:00:00+02:00",
	  "2026-10-26T00:00:00+01:00", 5 * HOUR / 2 },
	{ "America/Havana", "Sat 20:00-24:00", "2025-11-01T00:00:00-04:00",
	  "2025-11-03T00:00:00-05:00", 5 * HOUR },
	/* Before 1970 counts from 1970. */
	{ NULL, "24x7", "1969-12-31T00:00:00Z", "1970-01-01T02:00:00Z",
	  2 * HOUR },
};

static void
test_business_seconds(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(between_cases); i++) {
		const between_case_t *c = &between_cases[i];
		g_autoptr(sla_calendar_t) cal = calendar(c->tz, c->hours);

		g_test_message("case %zu: %s %s %s", i, c->hours, c->a, c->b);
		g_assert_cmpint(sla_business_seconds(cal, at(c->a), at(c->b)),
				==, c->seconds);
	}
}

typedef struct {
	const char *tz, *hours, *t;
	gboolean open;
	const char *next;
} open_case_t;

static const open_case_t open_cases[] = {
	{ BERLIN, OFFICE, "2026-11-23T09:00:00+01:00", TRUE,
	  "2026-11-23T09:00:00+01:00" },
	{ BERLIN, OFFICE, "2026-11-23T08:59:59+01:00", FALSE,
	  "2026-11-23T09:00:00+01:00" },
	{ BERLIN, OFFICE, "2026-11-23T16:59:59+01:00", TRUE,
	  "2026-11-23T16:59:59+01:00" },
	{ BERLIN, OFFICE, "2026-11-23T17:00:00+01:00", FALSE,
	  "2026-11-24T09:00:00+01:00" },
	{ BERLIN, OFFICE, "2026-11-20T17:00:00+01:00", FALSE,
	  "2026-11-23T09:00:00+01:00" },
	{ BERLIN, OFFICE, "2026-11-22T23:59:59+01:00", FALSE,
	  "2026-11-23T09:00:00+01:00" },
	{ BERLIN, "Mon-Fri 09:00-12:00,13:00-17:00",
	  "2026-11-23T12:00:00+01:00", FALSE, "2026-11-23T13:00:00+01:00" },
	{ BERLIN, "Mon-Fri 09:00-12:00,13:00-17:00",
	  "2026-11-23T12:59:59+01:00", FALSE, "2026-11-23T13:00:00+01:00" },
	{ BERLIN, "24x7", "2026-03-29T03:00:00+02:00", TRUE,
	  "2026-03-29T03:00:00+02:00" },
	{ BERLIN, "Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00",
	  "2026-11-24T00:00:00+01:00", TRUE, "2026-11-24T00:00:00+01:00" },
	{ BERLIN, "Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00",
	  "2026-11-23T21:00:00+01:00", FALSE, "2026-11-23T22:00:00+01:00" },
	{ BERLIN, "24x7", "1969-12-31T00:00:00Z", FALSE,
	  "1970-01-01T00:00:00Z" },
	{ BERLIN, "24x7", "2100-01-01T00:00:00Z", FALSE, NULL },
	/* Havana repeats midnight (2025-11-02 01:00 CDT is 00:00 CST):
	 * Saturday's 24:00 is the second midnight, so the hour between the
	 * two is still Saturday's. */
	{ "America/Havana", "Sat 20:00-24:00", "2025-11-02T00:30:00-04:00",
	  TRUE, "2025-11-02T00:30:00-04:00" },
	{ "America/Havana", "Sat 20:00-24:00", "2025-11-02T00:59:59-04:00",
	  TRUE, "2025-11-02T00:59:59-04:00" },
	{ "America/Havana", "Sat 20:00-24:00", "2025-11-02T00:00:00-05:00",
	  FALSE, "2025-11-08T20:00:00-05:00" },
	{ "America/Havana", "Sat 20:00-24:00", "2025-11-02T01:00:00-05:00",
	  FALSE, "2025-11-08T20:00:00-05:00" },
};

static void
test_open(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(open_cases); i++) {
		const open_case_t *c = &open_cases[i];
		g_autoptr(sla_calendar_t) cal = calendar(c->tz, c->hours);

		g_test_message("case %zu: %s %s at %s", i, c->tz, c->hours,
			       c->t);
		g_assert_cmpint(sla_is_open(cal, at(c->t)), ==, c->open);
		assert_time(sla_next_open(cal, at(c->t)), c->next);
	}
}

/* Searches end: every day a holiday for years, or the end of the calendar. */
static void
test_bounds(void)
{
	g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
	g_autoptr(sla_calendar_t) sunday = calendar(BERLIN, "Sun 10:00-11:00");
	g_autoptr(GDate) d = g_date_new_dmy(1, 1, 2026);
	gint64 start = at("2026-01-01T00:00:00+01:00");

	for (int i = 0; i < 4 * 366; i++) {
		g_assert_true(sla_calendar_add_holiday(cal, g_date_get_year(d),
						       g_date_get_month(d),
						       g_date_get_day(d)));
		g_date_add_days(d, 1);
	}
	g_assert_cmpint(sla_next_open(cal, start), ==, SLA_NEVER);
	g_assert_cmpint(sla_deadline(cal, start, HOUR), ==, SLA_NEVER);
	g_assert_false(sla_is_open(cal, at("2027-06-01T10:00:00+02:00")));
	g_assert_cmpint(sla_business_seconds(cal, start, SLA_NEVER), ==, 0);
	/* The first day after the holidays is beyond SLA_HORIZON_DAYS, but
	 * reached from a start within the horizon of it. */
	assert_time(sla_next_open(cal, at("2029-12-01T00:00:00+01:00")),
		    "2030-01-04T09:00:00+01:00");
	/* Business time in a long span: 52 Sundays of 2026, one hour each. */
	g_assert_cmpint(sla_business_seconds(sunday, start,
					     at("2027-01-01T00:00:00+01:00")),
			==, 52 * HOUR);
	g_assert_cmpint(sla_business_seconds(sunday, start, SLA_NEVER), >,
			52 * 70 * HOUR);
	assert_time(sla_deadline(sunday, start, 52 * HOUR),
		    "2026-12-27T11:00:00+01:00");
	/* Dates outside the calendar's years are no holidays. */
	g_assert_false(sla_calendar_add_holiday(cal, 1969, 12, 31));
	g_assert_false(sla_calendar_add_holiday(cal, 2100, 1, 1));
	g_assert_false(sla_calendar_add_holiday(cal, 2026, 2, 29));
	g_assert_false(sla_calendar_add_holiday(cal, 2026, 13, 1));
	g_assert_false(sla_calendar_add_holiday(cal, 2026, 0, 1));
	g_assert_false(sla_calendar_add_holiday(cal, 2026, 1, 0));
	g_assert_true(sla_calendar_add_holiday(cal, 2028, 2, 29));
	g_assert_true(sla_calendar_add_holiday(cal, 1970, 1, 1));
	g_assert_true(sla_calendar_add_holiday(cal, 2099, 12, 31));
	g_assert_true(sla_calendar_is_holiday(cal, 1970, 1, 1));
	g_assert_true(sla_calendar_is_holiday(cal, 2099, 12, 31));
	g_assert_false(sla_calendar_is_holiday(cal, 2099, 12, 30));
	g_assert_false(sla_calendar_is_holiday(cal, 2100, 1, 1));
}

/* ---- Holiday files ---- */

static void
test_holidays_lines(void)
{
	g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
	GError *error = NULL;

	g_assert_true(sla_calendar_load_holidays(cal, "h.txt",
						 "# Holidays of the office\r\n"
						 "\r\n"
						 "2026-01-01 New Year's Day\r\n"
						 "  2026-12-24\tChristmas Eve\n"
						 "2026-12-25\n"
						 "# 2026-12-31 not this one\n"
						 "2026-11-23",
						 &error));
	g_assert_no_error(error);
	g_assert_true(sla_calendar_is_holiday(cal, 2026, 1, 1));
	g_assert_true(sla_calendar_is_holiday(cal, 2026, 12, 24));
	g_assert_true(sla_calendar_is_holiday(cal, 2026, 12, 25));
	g_assert_false(sla_calendar_is_holiday(cal, 2026, 12, 31));
	g_assert_false(sla_calendar_is_holiday(cal, 2026, 12, 26));
	assert_time(
		sla_deadline(cal, at("2026-11-20T16:30:00+01:00"), 4 * HOUR),
		"2026-11-24T12:30:00+01:00");
	g_assert_true(sla_calendar_load_holidays(cal, "empty.txt", "", &error));
	g_assert_no_error(error);
}

typedef struct {
	const char *text, *message;
} bad_holidays_t;

static const bad_holidays_t bad_holidays[] = {
	{ "2026-13-01",
	  "h.txt:1: no date 2026-13-01 in the years 1970 to 2099" },
	{ "2026-02-29 not a leap year",
	  "h.txt:1: no date 2026-02-29 in the years 1970 to 2099" },
	{ "1969-12-31",
	  "h.txt:1: no date 1969-12-31 in the years 1970 to 2099" },
	{ "2100-01-01",
	  "h.txt:1: no date 2100-01-01 in the years 1970 to 2099" },
	{ "# fine\n\n2026-01-01\n26-01-01",
	  "h.txt:4: expected a date YYYY-MM-DD, found '26-01-01'" },
	{ "2026-1-1", "h.txt:1: expected a date YYYY-MM-DD, found '2026-1-1'" },
	{ "2026-01-01x",
	  "h.txt:1: expected a date YYYY-MM-DD, found '2026-01-01x'" },
	{ "2026/01/01",
	  "h.txt:1: expected a date YYYY-MM-DD, found '2026/01/01'" },
	{ "New Year 2026-01-01",
	  "h.txt:1: expected a date YYYY-MM-DD, found 'New'" },
	{ "2026-01-01\r\n\r\n 20260102\r\n",
	  "h.txt:3: expected a date YYYY-MM-DD, found '20260102'" },
	/* iCalendar. */
	{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261224T100000\r\nEND:"
	  "VEVENT\r\nEND:VCALENDAR\r\n",
	  "h.txt:2: DTSTART '20261224T100000' is not a date: a holiday is an "
	  "all-day event "
	  "(DTSTART;VALUE=DATE:YYYYMMDD)" },
	{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:"
	  "2026013x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	  "h.txt:3: DTSTART value '2026013x' is not a date" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261301\nEND:"
	  "VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: DTSTART '20261301' is not a date: a holiday is an all-day "
	  "event "
	  "(DTSTART;VALUE=DATE:YYYYMMDD)" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nEXDATE;"
	  "VALUE=DATE:20270101,2028\n"
	  "RRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:4: EXDATE value '2028' is not a date" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:no "
	  "start\nEND:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: VEVENT without DTSTART" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nDTEND;"
	  "VALUE=DATE:20261225\n"
	  "END:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: the event must last 1 to 366 days, not 0" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;"
	  "VALUE=DATE:20280101\n"
	  "END:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: the event must last 1 to 366 days, not 730" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:"
	  "20260101\nDURATION:PT4H\n"
	  "END:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: DURATION of an all-day event must be whole days (P1D)" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:"
	  "FREQ=YEERLY\n"
	  "END:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: not valid iCalendar: Can't parse as RECUR value in RRULE "
	  "property. "
	  "Removing entire property: FREQ=YEERLY" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20240101\n"
	  "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\nEND:"
	  "VCALENDAR\n",
	  "h.txt:2: RRULE 'FREQ=YEARLY;BYMONTHDAY=30;BYMONTH=2' is invalid or "
	  "matches no date" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:"
	  "FREQ=SECONDLY\n"
	  "END:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:2: RRULE expands to more than 100000 dates" },
	{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nEND:"
	  "VEVENT\n"
	  "BEGIN:VEVENT\nDTSTART;VALUE=DATE:19900101\nDTEND;VALUE=DATE:"
	  "19900201\n"
	  "RRULE:FREQ=DAILY\nEND:VEVENT\nEND:VCALENDAR\n",
	  "h.txt:5: more than 100000 holiday dates" },
	{ "BEGIN:VCALENDAR\ngarbage\n",
	  "h.txt:1: not an iCalendar file (one VCALENDAR from BEGIN to END)" },
	{ "BEGIN:VCALENDAR\ngarbage\nEND:VCALENDAR\n",
	  "h.txt:1: not valid iCalendar: Got a data line, but could "
	  "not find a property name or component begin tag: garbage" },
	{ "BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VCALENDAR\nEND:VCALENDAR\n",
	  "h.txt:1: not an iCalendar file (one VCALENDAR from BEGIN to END)" },
	{ "BEGIN:VCALENDARX\n",
	  "h.txt:1: not an iCalendar file (one VCALENDAR from BEGIN to END)" },
};

static void
test_holidays_bad(void)
{
	g_autoptr(GString) big = g_string_new(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(bad_holidays); i++) {
		const bad_holidays_t *c = &bad_holidays[i];
		g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
		g_autoptr(GError) error = NULL;

		g_test_message("case %zu: %s", i, c->text);
		g_assert_false(sla_calendar_load_holidays(cal, "h.txt", c->text,
							  &error));
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==, c->message);
		/* All or nothing: dates before the bad one are not added. */
		g_assert_false(sla_calendar_is_holiday(cal, 2026, 1, 1));
	}
	while (big->len <= SLA_HOLIDAY_TEXT_MAX)
		g_string_append(big, "2026-01-01\n");
	{
		g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
		g_autoptr(GError) error = NULL;

		g_assert_false(sla_calendar_load_holidays(cal, "big.txt",
							  big->str, &error));
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==,
				"big.txt:1: larger than 1048576 bytes");
	}
}

static char *
read_fixture(const char *name)
{
	const char *top = g_getenv("top_srcdir");
	g_autofree char *path = g_build_filename(top != NULL ? top : ".",
						 "tests", "data", name, NULL);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, &error))
		g_error("%s (set top_srcdir to the source tree)",
			error->message);
	return text;
}

typedef struct {
	int y, m, d;
	gboolean holiday;
} ics_date_t;

static const ics_date_t ics_dates[] = {
	{ 2020, 1, 1, TRUE },    { 2026, 1, 1, TRUE },
	{ 2099, 1, 1, TRUE },    { 2026, 1, 2, FALSE },
	{ 2019, 1, 1, FALSE }, /* before DTSTART */
	{ 2026, 12, 24, FALSE }, { 2026, 12, 25, TRUE },
	{ 2026, 12, 26, TRUE },  { 2026, 12, 27, FALSE },
	{ 2045, 12, 26, TRUE }, /* DTEND spans, yearly */
	{ 2025, 5, 1, TRUE },    { 2026, 5, 1, TRUE },
	{ 2027, 5, 1, FALSE },                          /* EXDATE */
	{ 2030, 5, 1, TRUE },    { 2031, 5, 1, FALSE }, /* UNTIL */
	{ 2026, 6, 5, TRUE },    { 2027, 6, 5, FALSE }, /* once */
	{ 2026, 11, 6, TRUE },   { 2026, 12, 4, TRUE }, /* RDATE */
	{ 2026, 9, 7, TRUE },    { 2026, 9, 9, TRUE },
	{ 2026, 9, 10, FALSE }, /* DURATION:P3D */
	{ 2026, 7, 1, FALSE },  /* CANCELLED */
};

static void
test_holidays_ics(void)
{
	g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
	g_autofree char *text = read_fixture("holidays.ics");
	GError *error = NULL;

	g_assert_true(
		sla_calendar_load_holidays(cal, "holidays.ics", text, &error));
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(ics_dates); i++) {
		const ics_date_t *c = &ics_dates[i];

		g_test_message("%04d-%02d-%02d", c->y, c->m, c->d);
		g_assert_cmpint(sla_calendar_is_holiday(cal, c->y, c->m, c->d),
				==, c->holiday);
	}
	/* Thursday 2026-12-24 16:00 + 2 h: Christmas and the weekend pass. */
	assert_time(
		sla_deadline(cal, at("2026-12-24T16:00:00+01:00"), 2 * HOUR),
		"2026-12-28T10:00:00+01:00");
	/* The retreat (Monday to Wednesday) and a Friday start. */
	assert_time(
		sla_deadline(cal, at("2026-09-04T16:30:00+02:00"), 4 * HOUR),
		"2026-09-10T12:30:00+02:00");
}

/* A rule that misses DTSTART, starts before 1970 and a BOM. */
static void
test_holidays_ics_odd(void)
{
	g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
	GError *error = NULL;
	gboolean ok;

	ok = sla_calendar_load_holidays(
		cal, "odd.ics",
		"\xef\xbb\xbf"
		"BEGIN:VCALENDAR\n"
		"BEGIN:VEVENT\nDTSTART;VALUE=DATE:20240101\n"
		"RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=1\nEND:VEVENT\n"
		"BEGIN:VEVENT\nDTSTART;VALUE=DATE:19600704\nRRULE:FREQ="
		"YEARLY\nEND:VEVENT\n"
		"BEGIN:VEVENT\nDTSTART;VALUE=DATE:19500101\nEND:VEVENT\n"
		"END:VCALENDAR\n",
		&error);
	g_assert_no_error(error);
	g_assert_true(ok);
	/* DTSTART is always an instance, even when the rule misses it. */
	g_assert_true(sla_calendar_is_holiday(cal, 2024, 1, 1));
	g_assert_true(sla_calendar_is_holiday(cal, 2024, 1, 31));
	g_assert_false(sla_calendar_is_holiday(cal, 2024, 3, 31));
	g_assert_true(sla_calendar_is_holiday(cal, 1970, 7, 4));
	g_assert_true(sla_calendar_is_holiday(cal, 2099, 7, 4));
}

/* ---- Durations ---- */

typedef struct {
	const char *hours, *text;
	gint64 seconds; /* -1: an error */
	const char *message;
} duration_case_t;

static const duration_case_t duration_cases[] = {
	{ OFFICE, "4h", 4 * HOUR, NULL },
	{ OFFICE, "90m", 90 * 60, NULL },
	{ OFFICE, "30s", 30, NULL },
	{ OFFICE, "2d", 16 * HOUR, NULL },
	{ OFFICE, "1d4h", 12 * HOUR, NULL },
	{ OFFICE, " 1d 4h 30m ", 12 * HOUR + 30 * 60, NULL },
	{ OFFICE, "1D4H", 12 * HOUR, NULL },
	{ OFFICE, "1w", 40 * HOUR, NULL },
	{ OFFICE, "1w1d", 48 * HOUR, NULL },
	{ OFFICE, "48h", 48 * HOUR, NULL },
	{ "24x7", "2d", 48 * HOUR, NULL },
	{ "24x7", "1w", 168 * HOUR, NULL },
	{ "Mon-Thu 08:00-17:00; Fri 08:00-14:00", "1d", 9 * HOUR, NULL },
	{ "Mon-Thu 08:00-17:00; Fri 08:00-14:00", "1w", 42 * HOUR, NULL },
	{ NULL, "1d", 24 * HOUR, NULL }, /* no calendar */
	{ "24x7", "1098d", 1098 * 24 * HOUR, NULL },
	{ OFFICE, "", -1, "duration '': no number at offset 0" },
	{ OFFICE, "  ", -1, "duration '  ': no number at offset 2" },
	{ OFFICE, NULL, -1, "duration '': no number at offset 0" },
	{ OFFICE, "4", -1,
	  "duration '4': no unit (s, m, h, d or w) after the number at offset "
	  "1" },
	{ OFFICE, "4x", -1,
	  "duration '4x': unknown unit (use s, m, h, d or w) at offset 1" },
	{ OFFICE, "4hours", -1,
	  "duration '4hours': expected a number at offset 2" },
	{ OFFICE, "h", -1, "duration 'h': expected a number at offset 0" },
	{ OFFICE, "-4h", -1, "duration '-4h': expected a number at offset 0" },
	{ OFFICE, "1.5h", -1,
	  "duration '1.5h': unknown unit (use s, m, h, d or w) at offset 1" },
	{ OFFICE, "30m4h", -1,
	  "duration '30m4h': unit 'h' after a smaller or the same unit at "
	  "offset 4" },
	{ OFFICE, "4h4h", -1,
	  "duration '4h4h': unit 'h' after a smaller or the same unit at "
	  "offset 3" },
	{ OFFICE, "0h", -1, "duration '0h': zero at offset 0" },
	{ OFFICE, "0d0h", -1, "duration '0d0h': zero at offset 0" },
	{ "24x7", "1099d", -1,
	  "duration '1099d': more than 1098 days at offset 0" },
	{ OFFICE, "99999999999999999999h", -1,
	  "duration '99999999999999999999h': more than 1098 days at offset 0" },
	{ OFFICE, "1d 99999999s", -1,
	  "duration '1d 99999999s': more than 1098 days at offset 3" },
	{ OFFICE, "1h\xc3\xa4", -1,
	  "duration '1h\\303\\244': expected a number at offset 2" },
	{ OFFICE,
	  "1234567890123456789012345678901234567890123456789012345678901234h",
	  -1,
	  "duration '1234567890123456789012345678901234567890': longer than 64 "
	  "bytes at offset 64" },
};

static void
test_duration(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(duration_cases); i++) {
		const duration_case_t *c = &duration_cases[i];
		g_autoptr(sla_calendar_t) cal =
			c->hours != NULL ? calendar(BERLIN, c->hours) : NULL;
		g_autoptr(GError) error = NULL;
		gint64 seconds = -7;
		gboolean ok;

		g_test_message("case %zu: %s", i, c->text ? c->text : "(null)");
		ok = sla_parse_duration(cal, c->text, &seconds, &error);
		if (c->seconds >= 0) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpint(seconds, ==, c->seconds);
		} else {
			g_assert_false(ok);
			g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
			g_assert_cmpstr(error->message, ==, c->message);
			g_assert_cmpint(seconds, ==, -7);
		}
	}
}

/* "2d" from Friday 16:30 is Tuesday 16:30 where days are alike, and
 * shorter where a short Friday is on the way. */
static void
test_duration_days(void)
{
	g_autoptr(sla_calendar_t) office = calendar(BERLIN, OFFICE);
	g_autoptr(sla_calendar_t) fri = calendar(
		BERLIN, "Mon-Thu 08:00-17:00; Fri 08:00-14:00");
	gint64 seconds = 0;

	g_assert_true(sla_parse_duration(office, "2d", &seconds, NULL));
	assert_time(sla_deadline(office, at("2026-11-20T16:30:00+01:00"),
				 seconds),
		    "2026-11-24T16:30:00+01:00");
	/* 18 h: 5 on Thursday, 6 on Friday, 7 on Monday. */
	g_assert_true(sla_parse_duration(fri, "2d", &seconds, NULL));
	assert_time(sla_deadline(fri, at("2026-11-19T12:00:00+01:00"),
				 seconds),
		    "2026-11-23T15:00:00+01:00");
}

/* ---- Targets per priority ---- */

/* Business seconds per priority (low, normal, high, urgent) in the
 * Mon-Fri 09:00-17:00 office, -1 for unset; or the error. */
typedef struct {
	const char *text;
	gint64 low, normal, high, urgent;
	const char *message;
} targets_case_t;

#define H 3600
static const targets_case_t targets_cases[] = {
	{ "24h", 24 * H, 24 * H, 24 * H, 24 * H, NULL },
	{ "urgent:2h high:4h normal:24h low:3d", 24 * H, 24 * H, 4 * H, 2 * H,
	  NULL },
	{ "URGENT: 2h ; High : 1d 4h, low:0", 0, -1, 12 * H, 2 * H, NULL },
	{ "1d urgent:30m", 8 * H, 8 * H, 8 * H, 30 * 60, NULL },
	{ "urgent:1h, 1w", 40 * H, 40 * H, 40 * H, H, NULL },
	{ "urgent:1h", -1, -1, -1, H, NULL },
	{ "0", 0, 0, 0, 0, NULL },
	{ "8h low:0", 0, 8 * H, 8 * H, 8 * H, NULL },
	{ "  high:1h 30m  ", -1, -1, 90 * 60, -1, NULL },
	{ "", 0, 0, 0, 0, "targets '': empty at offset 0" },
	{ "urgent:2h,", 0, 0, 0, 0,
	  "targets 'urgent:2h,': empty item at offset 10" },
	{ "urgent:2h,,4h", 0, 0, 0, 0,
	  "targets 'urgent:2h,,4h': empty item at offset 10" },
	{ "asap:2h", 0, 0, 0, 0,
	  "targets 'asap:2h': unknown priority 'asap' (use low, normal, high "
	  "or urgent) at offset 0" },
	{ "urgent:2h urgent:1h", 0, 0, 0, 0,
	  "targets 'urgent:2h urgent:1h': priority urgent given twice at "
	  "offset 10" },
	{ "4h, 8h", 0, 0, 0, 0,
	  "targets '4h, 8h': a second target without a priority (write "
	  "PRIORITY:DURATION) at offset 4" },
	/* A default after a priority needs a comma: here "2h 24h" is one
	 * duration, and a wrong one. */
	{ "urgent:2h 24h", 0, 0, 0, 0,
	  "targets 'urgent:2h 24h': urgent: duration '2h 24h': unit 'h' after "
	  "a smaller or the same unit at offset 5" },
	{ "high:", 0, 0, 0, 0,
	  "targets 'high:': high: duration '': no number at offset 0" },
	{ "low:4x", 0, 0, 0, 0,
	  "targets 'low:4x': low: duration '4x': unknown unit (use s, m, h, d "
	  "or w) at offset 1" },
	{ "4y", 0, 0, 0, 0,
	  "targets '4y': default: duration '4y': unknown unit (use s, m, h, d "
	  "or w) at offset 1" },
	{ "low:1099d", 0, 0, 0, 0,
	  "targets 'low:1099d': low: duration '1099d': more than 1098 days at "
	  "offset 0" },
};
#undef H

static void
test_targets(void)
{
	g_autoptr(sla_calendar_t) office = calendar(BERLIN, OFFICE);

	for (gsize i = 0; i < G_N_ELEMENTS(targets_cases); i++) {
		const targets_case_t *c = &targets_cases[i];
		const gint64 want[SLA_PRIORITIES] = { c->low, c->normal, c->high,
						      c->urgent };
		g_autoptr(GError) error = NULL;
		sla_targets_t t;
		gboolean ok;

		memset(&t, 0x5a, sizeof t);
		g_test_message("case %zu: %s", i, c->text);
		ok = sla_targets_parse(c->text, &t, &error);
		if (c->message != NULL) {
			g_assert_false(ok);
			g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
			g_assert_cmpstr(error->message, ==, c->message);
			/* Untouched on failure. */
			g_assert_cmpint(t.of[0].weeks, ==, 0x5a5a5a5a5a5a5a5a);
			continue;
		}
		g_assert_no_error(error);
		g_assert_true(ok);
		for (int p = 0; p < SLA_PRIORITIES; p++) {
			g_assert_cmpint(t.of[p].set, ==, want[p] >= 0);
			if (want[p] >= 0)
				g_assert_cmpint(sla_target_seconds(office, &t.of[p]),
						==, want[p]);
		}
	}
}

/* The same text is business days of whichever calendar uses it. */
static void
test_targets_calendars(void)
{
	g_autoptr(sla_calendar_t) office = calendar(BERLIN, OFFICE);
	g_autoptr(sla_calendar_t) short_fri =
		calendar(BERLIN, "Mon-Thu 08:00-17:00; Fri 08:00-14:00");
	g_autoptr(sla_calendar_t) always = calendar(BERLIN, "24x7");
	sla_targets_t t;
	gint64 direct = 0;

	g_assert_true(sla_targets_parse("low:1w 2d 3h", &t, NULL));
	g_assert_cmpint(sla_target_seconds(office, &t.of[SLA_PRIORITY_LOW]), ==,
			(40 + 16 + 3) * 3600);
	g_assert_cmpint(sla_target_seconds(short_fri, &t.of[SLA_PRIORITY_LOW]),
			==, (42 + 18 + 3) * 3600);
	g_assert_cmpint(sla_target_seconds(always, &t.of[SLA_PRIORITY_LOW]), ==,
			(168 + 48 + 3) * 3600);
	g_assert_cmpint(sla_target_seconds(NULL, &t.of[SLA_PRIORITY_LOW]), ==,
			(168 + 48 + 3) * 3600);
	/* What sla_parse_duration() says of the same words. */
	g_assert_true(sla_parse_duration(short_fri, "1w 2d 3h", &direct, NULL));
	g_assert_cmpint(direct, ==, (42 + 18 + 3) * 3600);
	g_assert_cmpint(sla_target_seconds(office, &t.of[SLA_PRIORITY_URGENT]),
			==, 0);
	g_assert_cmpint(sla_target_seconds(office, NULL), ==, 0);
	g_assert_cmpint(sla_priority_from_name("Urgent"), ==, SLA_PRIORITY_URGENT);
	g_assert_cmpint(sla_priority_from_name("low"), ==, SLA_PRIORITY_LOW);
	g_assert_cmpint(sla_priority_from_name("lowest"), ==, -1);
	g_assert_cmpint(sla_priority_from_name(NULL), ==, -1);
}

/* ---- Phrases ---- */

typedef struct {
	const char *t, *now, *tz, *lang, *phrase;
} phrase_case_t;

#define FRI_1630 "2026-11-20T16:30:00+01:00"

static const phrase_case_t phrase_cases[] = {
	{ "2026-11-23T12:30:00+01:00", FRI_1630, NULL, "en",
	  "Monday 12:30 CET" },
	{ "2026-11-20T16:45:00+01:00", FRI_1630, NULL, "en",
	  "today 16:45 CET" },
	{ "2026-11-21T09:30:00+01:00", FRI_1630, NULL, "en",
	  "tomorrow 09:30 CET" },
	{ "2026-11-26T12:30:00+01:00", FRI_1630, NULL, "en",
	  "Thursday 12:30 CET" },
	{ "2026-11-27T12:30:00+01:00", FRI_1630, NULL, "en",
	  "Fri 27 Nov 2026 12:30 CET" },
	{ "2026-12-07T12:30:00+01:00", FRI_1630, NULL, "en",
	  "Mon 7 Dec 2026 12:30 CET" },
	{ "2026-11-19T12:30:00+01:00", FRI_1630, NULL, "en",
	  "Thu 19 Nov 2026 12:30 CET" },
	{ "2026-07-06T12:30:00+02:00", FRI_1630, NULL, "en",
	  "Mon 6 Jul 2026 12:30 CEST" },
	/* A member elsewhere sees the same moment in their own time. */
	{ "2026-11-23T12:30:00+01:00", FRI_1630, NEW_YORK, "en",
	  "Monday 06:30 EST" },
	{ "2026-11-23T12:30:00+01:00", FRI_1630, "Asia/Tokyo", "en",
	  "Monday 20:30 JST" },
	{ "2026-11-23T12:30:00+01:00", FRI_1630, "UTC", "en",
	  "Monday 11:30 UTC" },
	/* Berlin's "tomorrow 02:00" is still today in New York... */
	{ "2026-11-21T02:00:00+01:00", FRI_1630, NULL, "en",
	  "tomorrow 02:00 CET" },
	{ "2026-11-21T02:00:00+01:00", FRI_1630, NEW_YORK, "en",
	  "today 20:00 EST" },
	/* ...and in Tokyo, where it is Saturday already, Berlin's "today
	 * 23:30" is "today" there too, and Sunday 00:30 is "tomorrow". */
	{ "2026-11-20T23:30:00+01:00", FRI_1630, NULL, "en",
	  "today 23:30 CET" },
	{ "2026-11-20T23:30:00+01:00", FRI_1630, "Asia/Tokyo", "en",
	  "today 07:30 JST" },
	{ "2026-11-23T01:30:00+01:00", FRI_1630, "Asia/Tokyo", "en",
	  "Monday 09:30 JST" },
	{ "2026-11-22T00:30:00+01:00", FRI_1630, "Asia/Tokyo", "en",
	  "tomorrow 08:30 JST" },
	{ "2026-03-30T12:30:00+02:00", "2026-03-27T16:30:00+01:00", NULL, "en",
	  "Monday 12:30 CEST" },
	{ "2026-11-02T12:30:00-05:00", "2026-10-30T16:30:00-04:00", NEW_YORK,
	  "en", "Monday 12:30 EST" },
	/* German, and languages that fall back to English. */
	{ "2026-11-23T12:30:00+01:00", FRI_1630, NULL, "de",
	  "Montag 12:30 CET" },
	{ "2026-11-20T16:45:00+01:00", FRI_1630, NULL, "de",
	  "heute 16:45 CET" },
	{ "2026-11-21T09:30:00+01:00", FRI_1630, NULL, "de-AT",
	  "morgen 09:30 CET" },
	{ "2026-12-07T12:30:00+01:00", FRI_1630, NULL, "de_CH",
	  "Mo., 7. Dez. 2026, 12:30 CET" },
	{ "2026-03-02T08:05:00+01:00", FRI_1630, NULL, "DE",
	  "Mo., 2. März 2026, 08:05 CET" },
	{ "2026-11-23T12:30:00+01:00", FRI_1630, NULL, "fr",
	  "Monday 12:30 CET" },
	{ "2026-11-23T12:30:00+01:00", FRI_1630, NULL, "dee",
	  "Monday 12:30 CET" },
	{ "2026-11-23T12:30:00+01:00", FRI_1630, NULL, NULL,
	  "Monday 12:30 CET" },
	/* An unknown zone falls back to the calendar's. */
	{ "2026-11-23T12:30:00+01:00", FRI_1630, "Mars/Olympus", "en",
	  "Monday 12:30 CET" },
};

static void
test_phrase(void)
{
	g_autoptr(sla_calendar_t) cal = calendar(BERLIN, OFFICE);
	g_autoptr(sla_calendar_t) ny = calendar(NEW_YORK, OFFICE);

	for (gsize i = 0; i < G_N_ELEMENTS(phrase_cases); i++) {
		const phrase_case_t *c = &phrase_cases[i];
		g_autofree char *got = NULL;

		g_test_message("case %zu: %s", i, c->phrase);
		got = sla_phrase(cal, at(c->t), at(c->now), c->tz, c->lang);
		g_assert_cmpstr(got, ==, c->phrase);
	}
	{
		g_autofree char *never =
			sla_phrase(cal, SLA_NEVER, at(FRI_1630), NULL, "en");
		g_autofree char *nie =
			sla_phrase(cal, SLA_NEVER, at(FRI_1630), NULL, "de");
		g_autofree char *own =
			sla_phrase(ny, at("2026-11-23T12:30:00+01:00"),
				   at(FRI_1630), NULL, "en");

		g_assert_cmpstr(never, ==, "never");
		g_assert_cmpstr(nie, ==, "nie");
		g_assert_cmpstr(own, ==, "Monday 06:30 EST");
	}
}

/* ---- Against a reference ---- */

/* The calendars below, spelt out for a reference that reads the local
 * wall clock of each moment with GDateTime. */
typedef struct {
	guint days;      /* bit 0: Monday */
	int open, close; /* minutes of the day */
} ref_range_t;

typedef struct {
	const char *tz, *hours, *holiday; /* holiday: YYYY-MM-DD */
	ref_range_t ranges[4];
	const char *from; /* the 30 days checked */
} ref_calendar_t;

static const ref_calendar_t ref_calendars[] = {
	{ BERLIN,
	  "Mon-Fri 09:00-12:00,13:00-17:00; Sat 10:00-14:00",
	  "2026-03-31",
	  { { 0x1f, 540, 720 }, { 0x1f, 780, 1020 }, { 0x20, 600, 840 } },
	  "2026-03-15T00:00:00Z" },
	{ BERLIN,
	  "Sun 01:00-04:00; Mon-Fri 08:00-18:00",
	  "2026-10-27",
	  { { 0x40, 60, 240 }, { 0x1f, 480, 1080 } },
	  "2026-10-10T00:00:00Z" },
	{ NEW_YORK,
	  "Sun 00:30-02:30, Mon-Fri 08:00-18:00; Sat 22:00-24:00",
	  "2026-03-10",
	  { { 0x40, 30, 150 }, { 0x1f, 480, 1080 }, { 0x20, 1320, 1440 } },
	  "2026-02-25T00:00:00Z" },
	{ NEW_YORK,
	  "Sun 00:30-02:30, Mon-Fri 08:00-18:00; Sat 22:00-24:00",
	  "2026-11-03",
	  { { 0x40, 30, 150 }, { 0x1f, 480, 1080 }, { 0x20, 1320, 1440 } },
	  "2026-10-20T00:00:00Z" },
	{ "Australia/Sydney",
	  "Mon-Sun 02:00-03:30",
	  NULL,
	  { { 0x7f, 120, 210 } },
	  "2026-03-25T00:00:00Z" },
	/* Santiago changes at midnight: Saturday 24:00 is 23:00 again
	 * (2026-04-04), and Sunday starts at 01:00 (2026-09-06). */
	{ "America/Santiago",
	  "Sat 20:00-24:00; Sun 00:00-02:00",
	  NULL,
	  { { 0x20, 1200, 1440 }, { 0x40, 0, 120 } },
	  "2026-03-25T00:00:00Z" },
	{ "America/Santiago",
	  "Sat 20:00-24:00; Sun 00:00-02:00",
	  NULL,
	  { { 0x20, 1200, 1440 }, { 0x40, 0, 120 } },
	  "2026-08-25T00:00:00Z" },
};

#define STEP 900 /* every boundary above falls on a quarter hour */

static gboolean
ref_open(const ref_calendar_t *rc, GTimeZone *tz, gint64 t)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
	g_autofree char *date = g_date_time_format(local, "%Y-%m-%d");
	int wday = g_date_time_get_day_of_week(local) - 1;
	int minute = g_date_time_get_hour(local) * 60 +
		     g_date_time_get_minute(local);

	if (g_strcmp0(date, rc->holiday) == 0)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(rc->ranges); i++) {
		const ref_range_t *r = &rc->ranges[i];

		if ((r->days & (1u << wday)) && minute >= r->open &&
		    minute < r->close)
			return TRUE;
	}
	return FALSE;
}

/* The reference deadline for WANT business seconds from step I: the end
 * of the step where WANT is reached, or the first open step when WANT is
 * 0. BEFORE[s] holds the business seconds before step s. -1 when beyond
 * the STEPS steps. */
static gint64
ref_deadline(const gboolean *open, const gint64 *before, gint64 steps,
	     gint64 from, gint64 i, gint64 want)
{
	for (gint64 s = i; s < steps; s++) {
		gint64 used = before[s] - before[i];

		if (!open[s] || used + STEP < want)
			continue;
		return from + s * STEP + (want == 0 ? 0 : want - used);
	}
	return -1;
}

static void
test_reference(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(8);

	for (gsize k = 0; k < G_N_ELEMENTS(ref_calendars); k++) {
		const ref_calendar_t *rc = &ref_calendars[k];
		g_autoptr(sla_calendar_t) cal = calendar(rc->tz, rc->hours);
		g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(rc->tz);
		gint64 from = at(rc->from), steps = 30 * 86400 / STEP;
		g_autofree gboolean *open = g_new(gboolean, steps);
		g_autofree gint64 *before = g_new(gint64, steps + 1);
		int y, m, d;

		g_test_message("calendar %zu: %s %s", k, rc->tz, rc->hours);
		if (rc->holiday != NULL) {
			g_assert_cmpint(sscanf(rc->holiday, "%d-%d-%d", &y, &m,
					       &d), ==, 3);
			g_assert_true(sla_calendar_add_holiday(cal, y, m, d));
		}
		before[0] = 0;
		for (gint64 i = 0; i < steps; i++) {
			gint64 t = from + i * STEP;

			open[i] = ref_open(rc, tz, t);
			before[i + 1] = before[i] + (open[i] ? STEP : 0);
			if (sla_is_open(cal, t) != open[i])
				g_error("%s at %" G_GINT64_FORMAT ": open %d",
					rc->tz, t, open[i]);
		}
		for (int n = 0; n < 2000; n++) {
			gint64 i = g_rand_int_range(rand, 0, (gint32)steps);
			gint64 j = g_rand_int_range(rand, (gint32)i,
						    (gint32)steps + 1);
			gint64 a = from + i * STEP, b = from + j * STEP;
			gint64 want = before[j] - before[i];
			gint64 due = ref_deadline(open, before, steps, from,
						  i, want);

			g_assert_cmpint(sla_business_seconds(cal, a, b), ==,
					want);
			if (due >= 0)
				g_assert_cmpint(sla_deadline(cal, a, want), ==,
						due);
		}
	}
}

/* Every year the calendar covers, in zones with odd offsets and many
 * changes: the next opening at 12:00 after a random moment (or the moment
 * itself, within the minute) shows 12:00 in GDateTime. */
static void
test_zones(void)
{
	static const char *const zones[] = {
		BERLIN,
		NEW_YORK,
		"Australia/Sydney",
		"America/Santiago",
		"Asia/Kolkata",
		"Pacific/Chatham",
		"Asia/Tehran",
		"Africa/Casablanca",
		"Australia/Lord_Howe",
	};
	g_autoptr(GRand) rand = g_rand_new_with_seed(12);

	for (gsize z = 0; z < G_N_ELEMENTS(zones); z++) {
		g_autoptr(sla_calendar_t) cal =
			calendar(zones[z], "Mon-Sun 12:00-12:01");
		g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(zones[z]);

		for (int i = 0; i < 3000; i++) {
			gint64 t = (gint64)(g_rand_double(rand) *
					    (double)(SLA_TIME_MAX - 2 * 86400));
			gint64 next = sla_next_open(cal, t);
			g_autoptr(GDateTime) utc =
				g_date_time_new_from_unix_utc(next);
			g_autoptr(GDateTime) local =
				g_date_time_to_timezone(utc, tz);

			if (g_date_time_get_hour(local) != 12 ||
			    g_date_time_get_minute(local) != 0 ||
			    (next != t && g_date_time_get_second(local) != 0) ||
			    next < t || next - t > 86400 + 3600)
				g_error("%s: next 12:00 after %" G_GINT64_FORMAT
					" is %" G_GINT64_FORMAT,
					zones[z], t, next);
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sla/hours", test_hours);
	g_test_add_func("/sla/hours-bad", test_hours_bad);
	g_test_add_func("/sla/timezone-names", test_timezone_names);
	g_test_add_func("/sla/deadline", test_deadline);
	g_test_add_func("/sla/business-seconds", test_business_seconds);
	g_test_add_func("/sla/open", test_open);
	g_test_add_func("/sla/bounds", test_bounds);
	g_test_add_func("/sla/holidays-lines", test_holidays_lines);
	g_test_add_func("/sla/holidays-bad", test_holidays_bad);
	g_test_add_func("/sla/holidays-ics", test_holidays_ics);
	g_test_add_func("/sla/holidays-ics-odd", test_holidays_ics_odd);
	g_test_add_func("/sla/duration", test_duration);
	g_test_add_func("/sla/duration-days", test_duration_days);
	g_test_add_func("/sla/targets", test_targets);
	g_test_add_func("/sla/targets-calendars", test_targets_calendars);
	g_test_add_func("/sla/phrase", test_phrase);
	g_test_add_func("/sla/reference", test_reference);
	g_test_add_func("/sla/zones", test_zones);
	return g_test_run();
}
