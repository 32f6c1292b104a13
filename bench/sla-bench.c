/* SPDX-License-Identifier: MIT
 * sla-bench.c: the cost of sla_deadline(), sla_business_seconds() and
 * sla_phrase() over random starts in a year, and of sla_calendar_new(), in a Mon-Fri 09:00-12:00,
 * 13:00-17:00 Europe/Berlin calendar with the holidays of
 * tests/data/holidays.ics (given as the first argument when there).
 * Prints the median and 99th percentile nanoseconds a call, and the total.
 *
 *   make bench/sla-bench && bench/sla-bench [HOLIDAYS.ics [COUNT]] */
#include "autodefs.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "sla.h"
#include "banned.h"

static gint64
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
compare_ns(const void *a, const void *b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, gint64 *ns, gsize n)
{
	gint64 total = 0;

	for (gsize i = 0; i < n; i++)
		total += ns[i];
	qsort(ns, n, sizeof ns[0], compare_ns);
	printf("%-22s %zu calls: median %" G_GINT64_FORMAT
	       " ns, p99 %" G_GINT64_FORMAT " ns, total %.3f s\n",
	       what, n, ns[n / 2], ns[n * 99 / 100], total / 1e9);
}

int
main(int argc, char **argv)
{
	static const gint64 targets[] = { 4 * 3600, 8 * 3600, 24 * 3600,
					  2 * 8 * 3600, 1800 };
	g_autoptr(GError) error = NULL;
	g_autoptr(sla_calendar_t) cal = sla_calendar_new(
		"Europe/Berlin", "Mon-Fri 09:00-12:00,13:00-17:00", &error);
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	gsize count =
		argc > 2 ? (gsize)g_ascii_strtoull(argv[2], NULL, 10) : 100000;
	g_autofree gint64 *ns = NULL;
	g_autofree gint64 *starts = NULL;
	g_autofree gint64 *dues = NULL;
	gint64 year = 1767225600; /* 2026-01-01T00:00:00Z */
	gint64 sink = 0;

	if (cal == NULL) {
		fprintf(stderr, "sla-bench: %s\n", error->message);
		return 1;
	}
	if (argc > 1) {
		g_autofree char *text = NULL;

		if (!g_file_get_contents(argv[1], &text, NULL, &error) ||
		    !sla_calendar_load_holidays(cal, argv[1], text, &error)) {
			fprintf(stderr, "sla-bench: %s\n", error->message);
			return 1;
		}
	}
	if (count == 0 || count > 10000000) {
		fprintf(stderr, "sla-bench: COUNT must be 1 to 10000000\n");
		return 2;
	}
	ns = g_new(gint64, count);
	starts = g_new(gint64, count);
	dues = g_new(gint64, count);
	for (gsize i = 0; i < count; i++)
		starts[i] = year + g_rand_int_range(rand, 0, 365 * 86400);
	for (gsize i = 0; i < count; i++) {
		gint64 t0 = now_ns();

		dues[i] = sla_deadline(cal, starts[i],
				       targets[i % G_N_ELEMENTS(targets)]);
		ns[i] = now_ns() - t0;
	}
	report("sla_deadline", ns, count);
	for (gsize i = 0; i < count; i++) {
		gint64 t0 = now_ns();

		sink += sla_business_seconds(cal, starts[i], dues[i]);
		ns[i] = now_ns() - t0;
	}
	report("sla_business_seconds", ns, count);
	for (gsize i = 0; i < count; i++) {
		gint64 t0 = now_ns();
		g_autofree char *phrase =
			sla_phrase(cal, dues[i], starts[i],
				   i % 2 ? "America/New_York" : NULL, "en");

		ns[i] = now_ns() - t0;
		sink += phrase[0];
	}
	report("sla_phrase", ns, count);
	/* A calendar is made once per group at config load. */
	for (gsize i = 0; i < 200; i++) {
		static const char *const zones[] = { "Europe/Berlin",
						     "America/New_York",
						     "Asia/Tokyo", "UTC" };
		gint64 t0 = now_ns();
		g_autoptr(sla_calendar_t) c = sla_calendar_new(
			zones[i % 4], "Mon-Fri 09:00-17:00", NULL);

		ns[i] = now_ns() - t0;
		sink += c != NULL;
	}
	report("sla_calendar_new", ns, 200);
	return sink == 42 ? 3 : 0;
}
