/* SPDX-License-Identifier: MIT
 * sla.h: business-hours calendars and deadlines. Pure: a calendar is a
 * time zone (GTimeZone, so daylight saving time follows tzdata), weekly
 * hours and holidays; it answers when N business seconds after a moment
 * end, how much business time lies between two moments, and how to say a
 * moment to a person. It stores nothing and reads no clock.
 *
 * Times are Unix seconds. The calendar covers the local days from
 * 1970-01-01 to 2099-12-31: a time before 1970 counts as 1970-01-01T00:00Z
 * (and is never open), and an answer that would lie at or after
 * SLA_TIME_MAX is SLA_NEVER. */
#ifndef POSTDESK_SLA_H
#define POSTDESK_SLA_H
#include <glib.h>

/* "Never": no business time within reach (see SLA_HORIZON_DAYS). */
#define SLA_NEVER G_MAXINT64
/* 2100-01-01T00:00:00Z: the end of the times a calendar answers for. */
#define SLA_TIME_MAX G_GINT64_CONSTANT(4102444800)
#define SLA_YEAR_MIN 1970
#define SLA_YEAR_MAX 2099
/* Searches give up after this many local days in a row without business
 * time (every day a holiday, say), so every call ends: about three years. */
#define SLA_HORIZON_DAYS 1098
/* Bounds on input: hours text, ranges a weekday, time zone name, a
 * holiday file's text, holiday dates one file may expand to, days one
 * holiday event may span. */
#define SLA_HOURS_MAX 1024
#define SLA_RANGES_MAX 8
#define SLA_TIMEZONE_MAX 64
#define SLA_HOLIDAY_TEXT_MAX (1024 * 1024)
#define SLA_HOLIDAY_DATES_MAX 100000
#define SLA_HOLIDAY_SPAN_MAX 366
/* The longest duration sla_parse_duration() accepts: SLA_HORIZON_DAYS
 * days. */
#define SLA_DURATION_MAX ((gint64)SLA_HORIZON_DAYS * 86400)

typedef struct sla_calendar sla_calendar_t;

/* A calendar in ZONE, an IANA name ("Europe/Berlin"; NULL or "UTC"
 * for UTC) that tzdata knows, with weekly HOURS (NULL: "24x7"):
 *
 *   HOURS = "24x7" | ITEM { ("," | ";") ITEM }
 *   ITEM  = [DAYS] HH:MM-HH:MM
 *   DAYS  = DAY | DAY-DAY      (English names, "Mon" or "Monday", any
 *                               case; a range may wrap: "Fri-Mon")
 *
 * An item without DAYS adds a range to the days before it, so
 * "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-14:00" and
 * "Mon-Fri 09:00-17:00, Sat 10:00-12:00" both read as meant. Ranges lie
 * within one local day (00:00 to 24:00), start before they end and do
 * not overlap (they may touch). Times are local wall-clock times: on
 * the days daylight saving time starts or ends, an opening of 09:00 stays
 * 09:00; a time the change skips means the first moment after it, and a
 * time it repeats opens at its first and closes at its second occurrence.
 * Returns a new calendar (free with sla_calendar_free), or NULL with
 * PD_ERROR_CONFIG: "unknown timezone 'x'", or for HOURS (at most
 * SLA_HOURS_MAX bytes) what is wrong, naming the offending part and its
 * byte offset ("unknown day 'Fry' at offset 4"); hours with no open time
 * at all are refused. */
sla_calendar_t *sla_calendar_new(const char *zone, const char *hours,
				 GError **error);
void sla_calendar_free(sla_calendar_t *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sla_calendar_t, sla_calendar_free)

/* The ZONE given to sla_calendar_new ("UTC" for NULL).
 * Borrowed, valid as long as CAL. */
const char *sla_calendar_timezone(const sla_calendar_t *cal);

/* The length of a business day of CAL in seconds, what "1d" means in a
 * duration: the daily open time that most weekdays with any open time
 * share, the longer one on a tie. "Mon-Fri 09:00-17:00": 8 h;
 * "Mon-Thu 08:00-17:00; Fri 08:00-14:00": 9 h; "24x7": 24 h. Holidays and
 * daylight saving time do not change it. */
gint64 sla_calendar_day_seconds(const sla_calendar_t *cal);
/* The open time of a whole week of CAL in seconds, what "1w" means: the
 * sum over the seven weekdays ("Mon-Fri 09:00-17:00": 40 h). */
gint64 sla_calendar_week_seconds(const sla_calendar_t *cal);

/* Make the local day YEAR-MONTH-DAY a holiday: a whole day without
 * business hours. TRUE, or FALSE (and nothing changes) when that is no
 * date or its year is outside SLA_YEAR_MIN..SLA_YEAR_MAX. */
gboolean sla_calendar_add_holiday(sla_calendar_t *cal, int year, int month,
				  int day);
/* Whether the local day YEAR-MONTH-DAY is a holiday of CAL. */
gboolean sla_calendar_is_holiday(const sla_calendar_t *cal, int year,
				 int month, int day);

/* Add the holidays of TEXT (not NULL), read from FILE (used in messages
 * only), at most SLA_HOLIDAY_TEXT_MAX bytes. TEXT is one of:
 *  - lines "YYYY-MM-DD [comment]", blank lines and lines starting with
 *    '#' ignored;
 *  - an iCalendar file (RFC 5545; it starts with BEGIN:VCALENDAR): every
 *    VEVENT not CANCELLED is a holiday from DTSTART;VALUE=DATE (an
 *    all-day event) up to but not including DTEND (or for DURATION; one
 *    day without either), at most SLA_HOLIDAY_SPAN_MAX days, repeated by
 *    RRULE (FREQ=YEARLY for a fixed-date holiday) and RDATE, less EXDATE.
 *    Repetitions are expanded up to the end of SLA_YEAR_MAX; dates of
 *    the file outside SLA_YEAR_MIN..SLA_YEAR_MAX are skipped.
 * A line's date must lie in those years. All or nothing: TRUE with every
 * date added, or FALSE with none added and PD_ERROR_CONFIG
 * "FILE:LINE: what is wrong" (for an iCalendar problem LINE is where its
 * VEVENT begins): a malformed date, a timed event, an end before the
 * start, a span or an expansion over the bounds, text that is no
 * iCalendar. */
gboolean sla_calendar_load_holidays(sla_calendar_t *cal, const char *file,
				    const char *text, GError **error);

/* The moment SECONDS of business time after START: a START outside
 * business hours counts from the next opening; SECONDS <= 0 gives that
 * opening (START itself when open). A deadline that uses up the last
 * second of a range is that range's closing time (17:00, not the next
 * opening). SLA_NEVER when it lies beyond the calendar. */
gint64 sla_deadline(const sla_calendar_t *cal, gint64 start, gint64 seconds);

/* Business seconds in [A, B): 0 when B <= A. For a clock paused from A to
 * B (#wait) and for "how much of the target is used". */
gint64 sla_business_seconds(const sla_calendar_t *cal, gint64 a, gint64 b);

/* Whether T is inside business hours (an opening is inside, a closing
 * outside; a T outside the calendar's times never is). */
gboolean sla_is_open(const sla_calendar_t *cal, gint64 t);
/* The first moment at or after T inside business hours: T when open,
 * else the next opening, SLA_NEVER when none within SLA_HORIZON_DAYS. */
gint64 sla_next_open(const sla_calendar_t *cal, gint64 t);

/* A target in config syntax: one or more of a number and a unit, larger
 * units first, each unit once, white space between allowed: "4h", "90m",
 * "1d4h", "1d 4h 30m", "30s", "2w"; case is ignored. Units: s, m, h; d
 * is a business day of CAL (sla_calendar_day_seconds; 24 h when CAL is
 * NULL), w the open time of a whole week (sla_calendar_week_seconds). The
 * result is business seconds, for sla_deadline(): where all open days are
 * alike, "2d" ends at the same local time two business days later
 * (Friday 16:30 + 2d in Mon-Fri 09:00-17:00 is Tuesday 16:30); a shorter
 * day on the way is a shorter part of it. TRUE with *SECONDS set, or
 * FALSE with PD_ERROR_CONFIG naming the offending part and its offset (at
 * most 64 bytes of text): no number, no or unknown unit, units out of
 * order, zero, more than SLA_DURATION_MAX. */
gboolean sla_parse_duration(const sla_calendar_t *cal, const char *text,
			    gint64 *seconds, GError **error);

/* Priorities of tickets, lowest first. */
typedef enum {
	SLA_PRIORITY_LOW,
	SLA_PRIORITY_NORMAL,
	SLA_PRIORITY_HIGH,
	SLA_PRIORITY_URGENT,
	SLA_PRIORITIES
} sla_priority_t;

/* The sla_priority_t of NAME ("low", "normal", "high", "urgent", any
 * case), or -1 for anything else (NULL too). */
int sla_priority_from_name(const char *name);

/* One target as written: weeks and days stay apart from the rest, so
 * that the same text means business weeks and days of whichever
 * calendar it is used in (a plan's target in each group's). */
typedef struct {
	gboolean set;          /* FALSE: the text says nothing for it */
	gint64 weeks, days;    /* "2w", "3d" */
	gint64 seconds;        /* the h, m and s parts */
} sla_target_t;

typedef struct {
	sla_target_t of[SLA_PRIORITIES]; /* by sla_priority_t */
} sla_targets_t;

/* The longest text sla_targets_parse() reads. */
#define SLA_TARGETS_TEXT_MAX 256

/* Targets per priority in config syntax:
 *
 *   TARGETS = ITEM { SEP ITEM }
 *   ITEM    = [PRIORITY ":"] (DURATION | "0")
 *   SEP     = "," | ";" | blanks before the next PRIORITY ":"
 *
 * with DURATION as for sla_parse_duration() and PRIORITY low, normal,
 * high or urgent (any case): "24h", "urgent:2h high:4h normal:24h low:3d",
 * "1d, urgent: 2h". An item without PRIORITY (at most one; where it is
 * not the first, separate it with ',') is the target of every priority
 * not named; "0" is "no target", so "0" alone sets none and "8h low:0"
 * leaves low without one. A priority no item covers stays unset
 * (.set FALSE). TRUE with *OUT filled, or FALSE (*OUT untouched) with
 * PD_ERROR_CONFIG "targets 'TEXT': what at offset N": empty text or item,
 * an unknown or repeated priority, a second item without one, a bad
 * duration (its own message), more than SLA_TARGETS_TEXT_MAX bytes. */
gboolean sla_targets_parse(const char *text, sla_targets_t *out,
			   GError **error);

/* T in business seconds of CAL (NULL: 24-hour days, 7-day weeks), for
 * sla_deadline(); 0 when T is NULL, unset or "0" (no target). Never more
 * than SLA_DURATION_MAX. */
gint64 sla_target_seconds(const sla_calendar_t *cal, const sla_target_t *t);

/* T for a customer or a member: T shown in ZONE (NULL, or a name
 * GTimeZone does not know: the calendar's) and phrased relative to NOW in
 * that zone: "today 16:00 CET", "tomorrow 09:30 CET", "Monday 12:30 CET"
 * (2 to 6 days ahead), else "Mon 7 Dec 2026 12:30 CET" (also for a T
 * before today). LANG "de" (or "de-AT", "de_CH", ...):
 * "heute 16:00 CET", "morgen 09:30 CET", "Montag 12:30 CET",
 * "Mo., 7. Dez. 2026, 12:30 CET"; any other LANG (NULL too) English. The
 * zone abbreviation is tzdata's, from GDateTime (CET, CEST, EST, UTC).
 * SLA_NEVER and times GDateTime cannot show: "never" ("nie"). The words
 * do not depend on the process locale. New string, free with g_free. */
char *sla_phrase(const sla_calendar_t *cal, gint64 t, gint64 now,
		 const char *zone, const char *lang);
#endif
