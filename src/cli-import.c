/* SPDX-License-Identifier: MIT
 * cli-import.c: postdesk import — Maildir folders, mbox files and .eml
 * files through the ingest pipeline, many messages per transaction. A
 * re-run after an interruption is safe: what was committed is recognised
 * as duplicates. */
#include "autodefs.h"
#include <stdio.h>
#include <unistd.h>
#include "cli.h"
#include "error.h"
#include "ingest.h"
#include "log.h"
#include "mailsource.h"
#include "banned.h"

typedef struct {
	cli_t *cli;
	ingest_t *ing;
	ingest_opts_t opts;
	gint64 batch, in_batch;
	gint64 counts[4];   /* by ingest_outcome_t */
	gint64 total, refused;
	gboolean progress;
	gint64 last_progress;
	GArray *timings;    /* µs per message, with --timings */
} import_t;

static void
import_progress(import_t *im, gboolean final)
{
	gint64 now = g_get_monotonic_time();

	if (!im->progress || (!final && now - im->last_progress < 200000))
		return;
	im->last_progress = now;
	fprintf(stderr, "\rimporting: %" G_GINT64_FORMAT " messages%s", im->total,
		final ? "\n" : "");
}

static int
cmp_gint64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

/* Median and p99 of the time ingest took per message (the commits of the
 * batches are not in it: they are in the total). */
static void
import_print_timings(GArray *t)
{
	gint64 med, p99;

	if (t->len == 0)
		return;
	g_array_sort(t, cmp_gint64);
	med = g_array_index(t, gint64, t->len / 2);
	p99 = g_array_index(t, gint64, MIN(t->len - 1, (guint)(t->len * 0.99)));
	fprintf(stderr, "per message: median %.3f ms, p99 %.3f ms over %u messages\n",
		med / 1000.0, p99 / 1000.0, t->len);
}

static gboolean
import_one(const mailsource_msg_t *m, gpointer user, GError **error)
{
	import_t *im = user;
	ingest_result_t res = { 0 };
	gint64 start;
	const char *data;
	gsize len;

	if (m->data == NULL) {
		log_warn("%s: %" G_GSIZE_FORMAT " bytes, over max_quarantine_size: not imported",
			 m->origin, m->size);
		im->refused++;
		return TRUE;
	}
	if (im->in_batch == 0 && !store_begin(im->cli->st, error))
		return FALSE;
	data = g_bytes_get_data(m->data, &len);
	start = g_get_monotonic_time();
	if (!ingest_message(im->ing, data ? data : "", len, &im->opts, &res, error)) {
		g_prefix_error(error, "%s: ", m->origin);
		if ((*error)->code == PD_ERROR_TOO_LARGE) {
			log_warn("%s", (*error)->message);
			g_clear_error(error);
			im->refused++;
			return TRUE;
		}
		store_rollback(im->cli->st);
		im->in_batch = 0;
		return FALSE;
	}
	if (im->timings != NULL) {
		gint64 us = g_get_monotonic_time() - start;

		g_array_append_val(im->timings, us);
	}
	im->counts[res.outcome]++;
	im->total++;
	ingest_result_clear(&res);
	if (++im->in_batch >= im->batch) {
		if (!store_commit(im->cli->st, error))
			return FALSE;
		im->in_batch = 0;
	}
	import_progress(im, FALSE);
	return TRUE;
}

gboolean
cli_import(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *as_list = NULL;
	g_autofree char *group = NULL;
	gint64 batch = 500;
	gboolean quiet_mail = FALSE, timings = FALSE;
	import_t im = { .cli = cli };
	gboolean ok = TRUE;
	GOptionEntry entries[] = {
		{ "as-list", 0, 0, G_OPTION_ARG_STRING, &as_list,
		  "import a mailing-list archive: no mail is sent", "LISTID" },
		{ "group", 'g', 0, G_OPTION_ARG_STRING, &group,
		  "group for new tickets (default: by address)", "NAME" },
		{ "no-mail", 0, 0, G_OPTION_ARG_NONE, &quiet_mail,
		  "send no mail for the imported messages", NULL },
		{ "batch", 0, 0, G_OPTION_ARG_INT64, &batch,
		  "messages per transaction (default 500)", "N" },
		{ "timings", 0, 0, G_OPTION_ARG_NONE, &timings,
		  "print the median and p99 time per message on stderr", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, "PATH...",
			       "Import Maildir folders, mbox files and .eml files.\n"
			       "Ends with: imported N messages: T new tickets, F follow-ups, "
			       "D duplicates, Q quarantined",
			       error))
		return FALSE;
	if (argc < 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "import needs at least one PATH");
		return FALSE;
	}
	if (batch < 1 || batch > 100000) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "--batch takes 1 to 100000");
		return FALSE;
	}
	if (group != NULL && config_group(cli->cfg, group) == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "no group %s", group);
		return FALSE;
	}
	if (as_list != NULL) {
		const config_group_t *g = config_group_for_list(cli->cfg, as_list);

		if (group == NULL && g != NULL)
			group = g_strdup(g->name);
		quiet_mail = TRUE;
	}
	im.ing = ingest_new(cli->cfg, cli->st, error);
	if (im.ing == NULL)
		return FALSE;
	im.opts.source = "import";
	im.opts.group = group;
	im.opts.list_id = as_list;
	im.opts.quiet = quiet_mail;
	/* The operator chose these archives: a customer's many old tickets
	 * are not a flood. */
	im.opts.no_flood_limit = TRUE;
	im.batch = batch;
	im.progress = isatty(STDERR_FILENO);
	if (timings)
		im.timings = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (int i = 1; i < argc && ok; i++)
		ok = mailsource_walk(argv[i], cli->cfg->max_quarantine_size, import_one, &im,
				     error);
	if (ok && im.in_batch > 0)
		ok = store_commit(cli->st, error);
	else if (!ok && im.in_batch > 0)
		store_rollback(cli->st);
	import_progress(&im, TRUE);
	ingest_free(im.ing);
	if (im.timings != NULL) {
		import_print_timings(im.timings);
		g_array_unref(im.timings);
	}
	if (!ok) {
		g_prefix_error(error, "import stopped (messages before this batch are "
			       "stored; run it again to continue): ");
		return FALSE;
	}
	printf("imported %" G_GINT64_FORMAT " messages: %" G_GINT64_FORMAT " new tickets, %"
	       G_GINT64_FORMAT " follow-ups, %" G_GINT64_FORMAT " duplicates, %"
	       G_GINT64_FORMAT " quarantined\n",
	       im.total, im.counts[INGEST_NEW], im.counts[INGEST_FOLLOWUP],
	       im.counts[INGEST_DUPLICATE], im.counts[INGEST_QUARANTINED]);
	if (im.refused > 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
			    "%" G_GINT64_FORMAT " messages over max_quarantine_size were "
			    "not imported", im.refused);
		return FALSE;
	}
	return TRUE;
}
