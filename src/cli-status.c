/* SPDX-License-Identifier: MIT
 * cli-status.c: postdesk status [--json] — per IMAP account the last UID
 * taken, last contact and last error; the incoming queue, the outbound
 * queue, the webhook deliveries and the quarantine. */
#include "autodefs.h"
#include <stdio.h>
#include "action.h"
#include "cli.h"
#include "error.h"
#include "json.h"
#include "banned.h"

/* The incoming queue (LMTP mail accepted, not yet taken): none when
 * there is no queue file. */
static gboolean
incoming_depth(const config_t *cfg, gint64 *waiting, gint64 *failing, GError **error)
{
	g_autofree char *path = store_incoming_path(cfg->database);
	g_autoptr(store_t) in = NULL;

	*waiting = *failing = 0;
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	in = store_incoming_open(cfg->database, error);
	return in != NULL && (*waiting = store_incoming_count(in, failing, error)) >= 0;
}

gboolean
cli_status(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean as_json = FALSE;
	g_autoptr(GPtrArray) sources = NULL;
	g_autoptr(GPtrArray) held = NULL;
	const char *states[] = { "queued", "sending", "failed", "sent" };
	gint64 counts[G_N_ELEMENTS(states)];
	gint64 hooks[G_N_ELEMENTS(states)];
	gint64 incoming, incoming_failing, notices;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "one JSON object", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Accounts (last UID, last contact, last error), the incoming "
			       "queue (LMTP mail not yet taken), the outbound queue and the quarantine.",
			       error))
		return FALSE;
	sources = store_source_list(cli->st, error);
	held = sources ? store_quarantine_list(cli->st, "held", error) : NULL;
	if (held == NULL)
		return FALSE;
	if (!incoming_depth(cli->cfg, &incoming, &incoming_failing, error) ||
	    (notices = store_notice_count(cli->st, error)) < 0)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(states); i++)
		if ((counts[i] = store_outbound_count(cli->st, states[i], error)) < 0 ||
		    (hooks[i] = store_webhook_count(cli->st, states[i], error)) < 0)
			return FALSE;
	if (as_json) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		json_begin_object(j);
		json_key(j, "accounts");
		json_begin_array(j);
		for (guint i = 0; i < cli->cfg->imap->len; i++) {
			const config_imap_t *a = cli->cfg->imap->pdata[i];
			g_autofree char *name = g_strdup_printf("imap:%s", a->name);
			store_source_t *s = NULL;

			for (guint k = 0; k < sources->len && s == NULL; k++)
				if (g_strcmp0(((store_source_t *)sources->pdata[k])->name, name) == 0)
					s = sources->pdata[k];
			json_begin_object(j);
			json_key(j, "name");
			json_string(j, a->name);
			json_key(j, "uidvalidity");
			if (s && s->uidvalidity)
				json_int(j, s->uidvalidity);
			else
				json_null(j);
			json_key(j, "last_uid");
			if (s && s->last_uid)
				json_int(j, s->last_uid);
			else
				json_null(j);
			json_key(j, "last_contact");
			json_time(j, s ? s->last_contact : 0);
			json_key(j, "last_error");
			json_string(j, s ? s->last_error : NULL);
			json_end_object(j);
		}
		json_end_array(j);
		for (int q = 0; q < 2; q++) {
			json_key(j, q == 0 ? "queue" : "webhooks");
			json_begin_object(j);
			for (gsize i = 0; i < G_N_ELEMENTS(states); i++) {
				json_key(j, states[i]);
				json_int(j, q == 0 ? counts[i] : hooks[i]);
			}
			json_end_object(j);
		}
		json_key(j, "incoming");
		json_begin_object(j);
		json_key(j, "waiting");
		json_int(j, incoming);
		json_key(j, "failing");
		json_int(j, incoming_failing);
		json_end_object(j);
		json_key(j, "acks_to_write");
		json_int(j, notices);
		json_key(j, "quarantine_held");
		json_int(j, held->len);
		json_key(j, "groups");
		json_begin_array(j);
		for (guint i = 0; i < cli->cfg->groups->len; i++) {
			const config_group_t *g = cli->cfg->groups->pdata[i];
			g_autoptr(GPtrArray) q = action_group_queue(cli->cfg, cli->st, g->name, error);

			if (q == NULL)
				return FALSE;
			json_begin_object(j);
			json_key(j, "name");
			json_string(j, g->name);
			json_key(j, "assign");
			json_string(j, g->assign);
			json_key(j, "queue");
			json_begin_array(j);
			for (guint k = 0; k < q->len; k++)
				json_string(j, ((config_member_t *)q->pdata[k])->address);
			json_end_array(j);
			json_end_object(j);
		}
		json_end_array(j);
		json_end_object(j);
		g_string_append_c(out, '\n');
		fputs(out->str, stdout);
		return TRUE;
	}
	for (guint i = 0; i < cli->cfg->imap->len; i++) {
		const config_imap_t *a = cli->cfg->imap->pdata[i];
		g_autofree char *name = g_strdup_printf("imap:%s", a->name);
		store_source_t *s = NULL;
		g_autofree char *when = NULL;

		for (guint k = 0; k < sources->len && s == NULL; k++)
			if (g_strcmp0(((store_source_t *)sources->pdata[k])->name, name) == 0)
				s = sources->pdata[k];
		when = s ? json_format_time(s->last_contact) : NULL;
		printf("account %-12s last UID %-8" G_GINT64_FORMAT " last contact %s%s%s\n",
		       a->name, s ? s->last_uid : 0, when ? when : "never",
		       s && s->last_error ? "  error: " : "",
		       s && s->last_error ? s->last_error : "");
	}
	for (int q = 0; q < 2; q++) {
		const gint64 *n = q == 0 ? counts : hooks;

		printf("%s: %" G_GINT64_FORMAT " queued, %" G_GINT64_FORMAT " sending, %"
		       G_GINT64_FORMAT " failed, %" G_GINT64_FORMAT " sent\n",
		       q == 0 ? "queue" : "webhooks", n[0], n[1], n[2], n[3]);
	}
	printf("incoming: %" G_GINT64_FORMAT " waiting, %" G_GINT64_FORMAT " failing\n", incoming,
	       incoming_failing);
	printf("acks: %" G_GINT64_FORMAT " to write\n", notices);
	printf("quarantine: %u held\n", held->len);
	for (guint i = 0; i < cli->cfg->groups->len; i++) {
		const config_group_t *g = cli->cfg->groups->pdata[i];
		g_autoptr(GPtrArray) q = action_group_queue(cli->cfg, cli->st, g->name, error);

		if (q == NULL)
			return FALSE;
		printf("group %s (%s):", g->name, g->assign);
		for (guint k = 0; k < q->len; k++)
			printf("%s %s", k ? "," : "", ((config_member_t *)q->pdata[k])->address);
		printf("%s\n", q->len ? "" : " no members");
	}
	return TRUE;
}
