/* SPDX-License-Identifier: MIT
 * cli-ticket-edit.c: postdesk ticket assign|resolve|note|create, the
 * operator's equivalents of the mail commands: the same actions, events
 * and mails (action.c), one transaction each. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "action.h"
#include "cli.h"
#include "error.h"
#include "ingest.h"
#include "mime.h"
#include "template.h"
#include "util.h"
#include "banned.h"

/* Who the events name when an operator acts. */
#define OPERATOR "operator"

typedef gboolean (*edit_fn_t)(action_t *a, store_ticket_t *t, const char *arg, GError **error);

/* Load ticket ID (text), run FN on it with ARG inside one transaction,
 * with notices. */
static gboolean
edit(cli_t *cli, const char *ticket, edit_fn_t fn, const char *arg, GError **error)
{
	g_autoptr(GBytes) secret = util_read_secret(cli->cfg->secret_file, error);
	g_autoptr(notice_t) notice = NULL;
	g_autoptr(store_ticket_t) t = NULL;
	action_t a = { cli->cfg, cli->st, NULL, util_now() };
	gint64 id;

	if (!util_parse_int(ticket, 1, G_MAXINT64, &id)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "'%s' is not a ticket number",
			    ticket);
		return FALSE;
	}
	if (secret == NULL || (notice = notice_new(cli->cfg, cli->st, secret, error)) == NULL)
		return FALSE;
	a.notice = notice;
	if (!store_begin(cli->st, error))
		return FALSE;
	if ((t = store_ticket_get(cli->st, id, error)) == NULL || !fn(&a, t, arg, error)) {
		store_rollback(cli->st);
		return FALSE;
	}
	return store_commit(cli->st, error);
}

static gboolean
do_assign(action_t *a, store_ticket_t *t, const char *arg, GError **error)
{
	g_autofree char *member = util_address_normalize(arg);

	if (member == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "'%s' is not a mail address", arg);
		return FALSE;
	}
	return action_assign(a, t, OPERATOR, member, error);
}

gboolean
cli_ticket_assign(cli_t *cli, int argc, char **argv, GError **error)
{
	if (!cli_parse_options(cli, &argc, &argv, NULL, "N MEMBER",
			       "Offer ticket N to MEMBER (a member address), who is told by "
			       "mail and may #take or #refuse it.",
			       error))
		return FALSE;
	if (argc != 3) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk ticket assign N MEMBER");
		return FALSE;
	}
	return edit(cli, argv[1], do_assign, argv[2], error) &&
	       printf("ticket %s offered to %s\n", argv[1], argv[2]) > 0;
}

static gboolean
do_resolve(action_t *a, store_ticket_t *t, const char *arg, GError **error)
{
	return action_set_state(a, t, "resolved", OPERATOR, error);
}

gboolean
cli_ticket_resolve(cli_t *cli, int argc, char **argv, GError **error)
{
	if (!cli_parse_options(cli, &argc, &argv, NULL, "N",
			       "Resolve ticket N; the requester gets the resolved mail.", error))
		return FALSE;
	if (argc != 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "usage: postdesk ticket resolve N");
		return FALSE;
	}
	return edit(cli, argv[1], do_resolve, NULL, error) &&
	       printf("ticket %s resolved\n", argv[1]) > 0;
}

/* Store NOTE_TEXT on T as an internal note and tell the members. */
static gboolean
do_note(action_t *a, store_ticket_t *t, const char *note_text, GError **error)
{
	return action_note_store(a, t, OPERATOR, note_text, TRUE, NULL, error);
}

gboolean
cli_ticket_note(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *text = NULL;

	if (!cli_parse_options(cli, &argc, &argv, NULL, "N [TEXT...]",
			       "Add an internal note to ticket N: TEXT, or standard input. The "
			       "members on the ticket are told; the customer never sees it.",
			       error))
		return FALSE;
	if (argc < 2) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk ticket note N [TEXT...]");
		return FALSE;
	}
	if (argc > 2) {
		text = g_strjoinv(" ", argv + 2);
	} else {
		gsize len;
		g_autoptr(GBytes) in = util_read_fd(STDIN_FILENO, 1024 * 1024, &len, error);

		if (in == NULL)
			return FALSE;
		text = g_strndup(g_bytes_get_data(in, NULL), g_bytes_get_size(in));
	}
	if (!g_utf8_validate(text, -1, NULL) || *g_strstrip(text) == '\0') {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the note must be non-empty UTF-8 text");
		return FALSE;
	}
	return edit(cli, argv[1], do_note, text, error) && printf("note added to ticket %s\n", argv[1]) > 0;
}

/* ticket create: a message written for the customer, put through the
 * same pipeline as mail (ack, routing, filters). */
gboolean
cli_ticket_create(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *from = NULL, *name = NULL, *subject = NULL, *group = NULL;
	g_autofree char *addr = NULL, *body = NULL;
	gboolean no_ack = FALSE;
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from, "the requester's address", "ADDR" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name, "the requester's name", "NAME" },
		{ "subject", 0, 0, G_OPTION_ARG_STRING, &subject, "the subject", "TEXT" },
		{ "group", 0, 0, G_OPTION_ARG_STRING, &group, "the product group", "NAME" },
		{ "no-ack", 0, 0, G_OPTION_ARG_NONE, &no_ack, "send the requester no ack", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GBytes) bytes = NULL, in = NULL;
	g_autoptr(GDateTime) now = NULL;
	g_autoptr(ingest_t) ing = NULL;
	g_autofree char *mid = NULL;
	ingest_opts_t opts = { 0 };
	ingest_result_t res = { 0 };
	GMimeTextPart *part;
	gsize len;

	if (!cli_parse_options(cli, &argc, &argv, entries, "--from ADDR --subject TEXT < BODY",
			       "Open a ticket for a customer (a phone call, say): the body is "
			       "read from standard input; the customer gets the ack and the "
			       "ticket is routed like mail.",
			       error))
		return FALSE;
	if (argc != 1 || from == NULL || subject == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "usage: postdesk ticket create --from ADDR --subject TEXT "
			    "[--name NAME] [--group NAME] [--no-ack] < BODY");
		return FALSE;
	}
	if ((addr = util_address_normalize(from)) == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "'%s' is not a mail address", from);
		return FALSE;
	}
	if (group != NULL && config_group(cli->cfg, group) == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "there is no group '%s'", group);
		return FALSE;
	}
	if ((in = util_read_fd(STDIN_FILENO, cli->cfg->max_text_size, &len, error)) == NULL)
		return FALSE;
	body = g_strndup(g_bytes_get_data(in, NULL), g_bytes_get_size(in));
	mime_init();
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, name, addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, cli->cfg->support_address);
	g_mime_message_set_subject(msg, subject, "utf-8");
	now = g_date_time_new_from_unix_utc(util_now());
	g_mime_message_set_date(msg, now);
	mid = g_strdup_printf("cli.%" G_GINT64_FORMAT ".%08x@postdesk.invalid", util_now(),
			      g_random_int());
	g_mime_message_set_message_id(msg, mid);
	if (no_ack)
		g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated",
					 NULL);
	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, g_utf8_validate(body, -1, NULL) ? body : "");
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	g_object_unref(part);
	bytes = template_message_to_bytes(msg);
	if ((ing = ingest_new(cli->cfg, cli->st, error)) == NULL)
		return FALSE;
	opts.source = "cli";
	opts.group = group;
	if (!ingest_one(ing, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), &opts,
			&res, error))
		return FALSE;
	if (res.outcome == INGEST_QUARANTINED)
		printf("quarantined as %" G_GINT64_FORMAT ": %s\n", res.quarantine, res.reason);
	else
		printf("ticket %" G_GINT64_FORMAT " created\n", res.ticket);
	ingest_result_clear(&res);
	return TRUE;
}
