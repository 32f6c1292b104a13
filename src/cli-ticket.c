/* SPDX-License-Identifier: MIT
 * cli-ticket.c: postdesk ticket list|show|search (the changes are in
 * cli-ticket-edit.c). The --json shapes are
 * the contract of DESIGN.md ("Contracts that scripts and tests rely on")
 * and doc/json.md. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "json.h"
#include "ticket-json.h"
#include "util.h"
#include "banned.h"

static gboolean
print_json(GString *out)
{
	g_string_append_c(out, '\n');
	return fwrite(out->str, 1, out->len, stdout) == out->len;
}

static gboolean
ticket_list_print(GPtrArray *tickets, gboolean as_json)
{
	if (as_json) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		json_begin_array(j);
		for (guint i = 0; i < tickets->len; i++) {
			json_begin_object(j);
			ticket_json_summary(j, tickets->pdata[i]);
			json_end_object(j);
		}
		json_end_array(j);
		return print_json(out);
	}
	for (guint i = 0; i < tickets->len; i++) {
		store_ticket_t *t = tickets->pdata[i];
		g_autofree char *when = json_format_time(t->updated);

		printf("%6" G_GINT64_FORMAT "  %-8s  %-10s  %-20s  %s  %s\n", t->id, t->state,
		       t->group, t->owner ? t->owner : "-", when ? when : "-", t->subject);
	}
	return TRUE;
}

static gboolean
ticket_list(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *state = NULL;
	gboolean as_json = FALSE;
	g_autoptr(GPtrArray) tickets = NULL;
	const char *states[] = { "new", "open", "waiting", "resolved", "closed", NULL };
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_STRING, &state,
		  "only tickets in STATE (new, open, waiting, resolved, closed)", "STATE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "JSON array of summaries", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL, "List tickets.", error))
		return FALSE;
	if (argc != 1 || (state != NULL && !g_strv_contains(states, state))) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk ticket list [--state S] [--json]");
		return FALSE;
	}
	tickets = store_ticket_list(cli->st, state, error);
	return tickets != NULL && ticket_list_print(tickets, as_json);
}

static gboolean
ticket_search(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean as_json = FALSE;
	g_autoptr(GPtrArray) tickets = NULL;
	g_autofree char *query = NULL;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "JSON array of summaries", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, "QUERY...",
			       "Full-text search over message subjects and text (SQLite FTS5 "
			       "query syntax).",
			       error))
		return FALSE;
	if (argc < 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk ticket search [--json] QUERY");
		return FALSE;
	}
	query = g_strjoinv(" ", argv + 1);
	tickets = store_ticket_search(cli->st, query, error);
	if (tickets == NULL) {
		g_prefix_error(error, "search \"%s\": ", query);
		return FALSE;
	}
	return ticket_list_print(tickets, as_json);
}

static void
json_ticket_full(json_t *j, store_t *st, const store_ticket_t *t, GPtrArray *parts,
		 GPtrArray *msgs, GPtrArray *events)
{
	json_begin_object(j);
	ticket_json_summary(j, t);
	json_key(j, "participants");
	json_begin_array(j);
	for (guint i = 0; i < parts->len; i++) {
		store_participant_t *p = parts->pdata[i];

		json_begin_object(j);
		json_key(j, "address");
		json_string(j, p->address);
		json_key(j, "name");
		json_string(j, p->name);
		json_key(j, "role");
		json_string(j, p->role);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "linked_to");
	if (t->linked_to)
		json_int(j, t->linked_to);
	else
		json_null(j);
	json_key(j, "merged_into");
	if (t->merged_into)
		json_int(j, t->merged_into);
	else
		json_null(j);
	json_key(j, "offers");
	json_begin_array(j);
	{
		g_autoptr(GPtrArray) offers = store_offer_list(st, t->id, NULL);

		for (guint i = 0; offers != NULL && i < offers->len; i++) {
			store_offer_t *o = offers->pdata[i];

			json_begin_object(j);
			json_key(j, "member");
			json_string(j, o->member);
			json_key(j, "state");
			json_string(j, o->state);
			json_key(j, "at");
			json_time(j, o->at);
			json_key(j, "reason");
			json_string(j, o->reason);
			json_end_object(j);
		}
	}
	json_end_array(j);
	json_key(j, "messages");
	json_begin_array(j);
	for (guint i = 0; i < msgs->len; i++) {
		store_message_t *m = msgs->pdata[i];
		g_autofree char *mid = g_strdup_printf("<%s>", m->message_id);
		g_autoptr(GPtrArray) atts = store_attachment_list(st, m->id, NULL);

		json_begin_object(j);
		json_key(j, "id");
		json_int(j, m->id);
		json_key(j, "message_id");
		json_string(j, mid);
		json_key(j, "direction");
		json_string(j, m->direction);
		json_key(j, "kind");
		json_string(j, m->kind);
		json_key(j, "from");
		ticket_json_address(j, m->from_name, m->from_address);
		json_key(j, "subject");
		json_string(j, m->subject);
		json_key(j, "date");
		json_time(j, m->date ? m->date : m->received);
		json_key(j, "received");
		json_time(j, m->received);
		json_key(j, "text");
		json_string(j, m->text);
		json_key(j, "visible");
		json_string(j, m->visible);
		json_key(j, "verified");
		json_bool(j, m->verified);
		json_key(j, "threaded_by");
		json_string(j, m->threaded_by);
		json_key(j, "attachments");
		json_begin_array(j);
		for (guint k = 0; atts != NULL && k < atts->len; k++) {
			store_attachment_t *a = atts->pdata[k];

			json_begin_object(j);
			json_key(j, "filename");
			json_string(j, a->filename);
			json_key(j, "type");
			json_string(j, a->content_type);
			json_key(j, "size");
			json_int(j, a->size);
			json_end_object(j);
		}
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "events");
	json_begin_array(j);
	for (guint i = 0; i < events->len; i++) {
		store_event_t *e = events->pdata[i];

		json_begin_object(j);
		json_key(j, "at");
		json_time(j, e->at);
		json_key(j, "kind");
		json_string(j, e->kind);
		json_key(j, "actor");
		json_string(j, e->actor);
		json_key(j, "detail");
		json_string(j, e->detail);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

static void
text_ticket_full(store_t *st, const store_ticket_t *t, GPtrArray *parts, GPtrArray *msgs,
		 GPtrArray *events)
{
	g_autofree char *created = json_format_time(t->created);
	g_autofree char *updated = json_format_time(t->updated);

	printf("Ticket:    %" G_GINT64_FORMAT "\n", t->id);
	printf("Subject:   %s\n", t->subject);
	printf("State:     %s\n", t->state);
	printf("Group:     %s (tier %" G_GINT64_FORMAT ", priority %s)\n", t->group, t->tier,
	       t->priority);
	printf("Requester: %s%s<%s>\n", t->requester_name ? t->requester_name : "",
	       t->requester_name ? " " : "", t->requester_address);
	printf("Owner:     %s\n", t->owner ? t->owner : "-");
	printf("Created:   %s\nUpdated:   %s\n", created, updated);
	if (t->linked_to)
		printf("Follows:   ticket %" G_GINT64_FORMAT "\n", t->linked_to);
	for (guint i = 0; i < parts->len; i++) {
		store_participant_t *p = parts->pdata[i];

		printf("Party:     %s (%s)\n", p->address, p->role);
	}
	for (guint i = 0; i < msgs->len; i++) {
		store_message_t *m = msgs->pdata[i];
		g_autofree char *when = json_format_time(m->received);
		g_autoptr(GPtrArray) atts = store_attachment_list(st, m->id, NULL);

		printf("\n--- message %" G_GINT64_FORMAT " (%s, %s%s) from %s at %s\n", m->id,
		       m->direction, m->kind, m->verified ? "" : ", unverified",
		       m->from_address ? m->from_address : "?", when);
		printf("%s\n", m->visible);
		for (guint k = 0; atts != NULL && k < atts->len; k++) {
			store_attachment_t *a = atts->pdata[k];

			printf("[attachment: %s, %s, %" G_GINT64_FORMAT " bytes]\n",
			       a->filename ? a->filename : "(no name)", a->content_type, a->size);
		}
	}
	printf("\n--- events\n");
	for (guint i = 0; i < events->len; i++) {
		store_event_t *e = events->pdata[i];
		g_autofree char *when = json_format_time(e->at);

		printf("%s  %-10s %s  %s\n", when, e->kind, e->actor ? e->actor : "-",
		       e->detail ? e->detail : "");
	}
}

static gboolean
ticket_show(cli_t *cli, int argc, char **argv, GError **error)
{
	gboolean as_json = FALSE;
	gint64 id;
	g_autoptr(store_ticket_t) t = NULL;
	g_autoptr(GPtrArray) parts = NULL;
	g_autoptr(GPtrArray) msgs = NULL;
	g_autoptr(GPtrArray) events = NULL;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "one JSON object", NULL },
		G_OPTION_ENTRY_NULL
	};

	if (!cli_parse_options(cli, &argc, &argv, entries, "N",
			       "Show ticket N: messages in order, visible text, attachments, "
			       "events.",
			       error))
		return FALSE;
	if (argc != 2 || !util_parse_int(argv[1], 1, G_MAXINT64, &id)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk ticket show [--json] N");
		return FALSE;
	}
	t = store_ticket_get(cli->st, id, error);
	if (t == NULL)
		return FALSE;
	parts = store_participant_list(cli->st, id, error);
	msgs = parts ? store_message_list(cli->st, id, error) : NULL;
	events = msgs ? store_event_list(cli->st, id, error) : NULL;
	if (events == NULL)
		return FALSE;
	if (as_json) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(json_t) j = json_new(out, FALSE);

		json_ticket_full(j, cli->st, t, parts, msgs, events);
		return print_json(out);
	}
	text_ticket_full(cli->st, t, parts, msgs, events);
	return TRUE;
}

static const cli_subcommand_t TICKET_COMMANDS[] = {
	{ "list", ticket_list, "list tickets [--state S] [--json]" },
	{ "show", ticket_show, "show one ticket [--json] N" },
	{ "search", ticket_search, "full-text search [--json] QUERY" },
	{ "assign", cli_ticket_assign, "offer a ticket to a member: N MEMBER" },
	{ "resolve", cli_ticket_resolve, "resolve a ticket: N" },
	{ "note", cli_ticket_note, "add an internal note: N [TEXT]" },
	{ "create", cli_ticket_create, "open a ticket: --from ADDR --subject TEXT < BODY" },
};

gboolean
cli_ticket(cli_t *cli, int argc, char **argv, GError **error)
{
	return cli_dispatch(cli, TICKET_COMMANDS, G_N_ELEMENTS(TICKET_COMMANDS), argc, argv,
			    error);
}
