/* SPDX-License-Identifier: MIT
 * test-digest.c: when a digest is due and which period it is for
 * (digest_period), in the member's time zone, across DST and weeks. */
#include "autodefs.h"
#include "digest.h"
#include "util.h"
#include "banned.h"

typedef struct {
	const char *freq;
	const char *zone;
	gint64 at;            /* minutes after local midnight */
	const char *now;      /* RFC 3339 */
	gboolean scheduled;
	const char *expect;   /* NULL: not due */
} period_case_t;

static const period_case_t period_cases[] = {
	/* Monday 2026-11-23: 07:59 and 08:00 in Berlin (CET, UTC+1). */
	{ "daily", "Europe/Berlin", 480, "2026-11-23T06:59:59Z", TRUE, NULL },
	{ "daily", "Europe/Berlin", 480, "2026-11-23T07:00:00Z", TRUE, "2026-11-23" },
	{ "daily", "Europe/Berlin", 480, "2026-11-23T22:59:00Z", TRUE, "2026-11-23" },
	/* 23:00Z is already Tuesday in Berlin. */
	{ "daily", "Europe/Berlin", 480, "2026-11-23T23:00:00Z", TRUE, NULL },
	{ "daily", "Europe/Berlin", 480, "2026-11-23T23:00:00Z", FALSE, "2026-11-24" },
	/* The same moment is still Monday morning in New York (EST). */
	{ "daily", "America/New_York", 480, "2026-11-23T12:59:00Z", TRUE, NULL },
	{ "daily", "America/New_York", 480, "2026-11-23T13:00:00Z", TRUE, "2026-11-23" },
	/* Summer time: 08:00 CEST is 06:00Z. */
	{ "daily", "Europe/Berlin", 480, "2026-07-01T06:00:00Z", TRUE, "2026-07-01" },
	{ "daily", "Europe/Berlin", 480, "2026-07-01T05:59:00Z", TRUE, NULL },
	/* The night clocks go forward (Sunday 2026-03-29) and back (25 Oct). */
	{ "daily", "Europe/Berlin", 480, "2026-03-29T06:00:00Z", TRUE, "2026-03-29" },
	{ "daily", "Europe/Berlin", 480, "2026-10-25T06:59:00Z", TRUE, NULL },
	{ "daily", "Europe/Berlin", 480, "2026-10-25T07:00:00Z", TRUE, "2026-10-25" },
	/* No zone: UTC. */
	{ "daily", NULL, 480, "2026-11-23T08:00:00Z", TRUE, "2026-11-23" },
	{ "daily", NULL, 480, "2026-11-23T07:59:00Z", TRUE, NULL },
	/* Weekly: Mondays only when scheduled; the week of its Monday. */
	{ "weekly", "Europe/Berlin", 480, "2026-11-23T07:00:00Z", TRUE, "week 2026-11-23" },
	{ "weekly", "Europe/Berlin", 480, "2026-11-24T07:00:00Z", TRUE, NULL },
	{ "weekly", "Europe/Berlin", 480, "2026-11-29T22:00:00Z", FALSE, "week 2026-11-23" },
	{ "weekly", "Europe/Berlin", 480, "2026-11-29T23:00:00Z", FALSE, "week 2026-11-30" },
	/* Across a year: Friday 2027-01-01 is in the week of 2026-12-28. */
	{ "weekly", "UTC", 0, "2027-01-01T12:00:00Z", FALSE, "week 2026-12-28" },
	/* Midnight and the last minute of the day. */
	{ "daily", "UTC", 0, "2026-11-23T00:00:00Z", TRUE, "2026-11-23" },
	{ "daily", "UTC", 1439, "2026-11-23T23:58:59Z", TRUE, NULL },
	{ "daily", "UTC", 1439, "2026-11-23T23:59:00Z", TRUE, "2026-11-23" },
	/* Off, or nonsense: never. */
	{ "off", "UTC", 0, "2026-11-23T12:00:00Z", TRUE, NULL },
	{ "off", "UTC", 0, "2026-11-23T12:00:00Z", FALSE, NULL },
	{ NULL, "UTC", 0, "2026-11-23T12:00:00Z", FALSE, NULL },
};

static void
test_period(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(period_cases); i++) {
		const period_case_t *c = &period_cases[i];
		g_autoptr(GTimeZone) tz = c->zone ? g_time_zone_new_identifier(c->zone) : NULL;
		g_autofree char *got = NULL;
		gint64 now;

		g_test_message("case %zu: %s %s %s", i, c->freq ? c->freq : "(null)",
			       c->zone ? c->zone : "(null)", c->now);
		g_assert_true(util_parse_time(c->now, &now));
		g_assert_true(c->zone == NULL || tz != NULL);
		got = digest_period(c->freq, tz, c->at, now, c->scheduled);
		g_assert_cmpstr(got, ==, c->expect);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/digest/period", test_period);
	return g_test_run();
}
