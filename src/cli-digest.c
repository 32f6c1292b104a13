/* SPDX-License-Identifier: MIT
 * cli-digest.c: postdesk digest [--member ADDR] [--kind KIND] [--dry-run].
 * With --dry-run the digests are written in a transaction that is rolled
 * back after printing them: what would go out, exactly, and nothing sent
 * or recorded. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "digest.h"
#include "error.h"
#include "util.h"
#include "banned.h"

gboolean
cli_digest(cli_t *cli, int argc, char **argv, GError **error)
{
	g_autofree char *member = NULL, *only = NULL, *kind = NULL;
	gboolean dry_run = FALSE;
	GOptionEntry entries[] = {
		{ "member", 0, 0, G_OPTION_ARG_STRING, &member, "only the digests of ADDR", "ADDR" },
		{ "kind", 0, 0, G_OPTION_ARG_STRING, &kind,
		  "only digests of KIND: member, group or moderator", "KIND" },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
		  "print the digests that would go out; send nothing", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GBytes) secret = NULL;
	g_autoptr(notice_t) notice = NULL;
	g_autoptr(GPtrArray) before = NULL;
	gint64 last = 0;
	guint sent = 0, kinds = DIGEST_ALL;

	if (!cli_parse_options(cli, &argc, &argv, entries, NULL,
			       "Queue the digests now: each member's open tickets "
			       "(digest-member, unless digest = off), the open tickets of "
			       "each group with a digest (digest-group), and the moderators' "
			       "(digest-moderator). Members away get none; an empty digest is "
			       "not sent. Member and group digests are recorded as sent for "
			       "today (or this week), so run does not send them again.",
			       error))
		return FALSE;
	if (argc != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "digest takes no arguments");
		return FALSE;
	}
	if (kind != NULL) {
		if (strcmp(kind, "member") == 0)
			kinds = DIGEST_MEMBER;
		else if (strcmp(kind, "group") == 0)
			kinds = DIGEST_GROUP;
		else if (strcmp(kind, "moderator") == 0)
			kinds = DIGEST_MODERATOR;
		else {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "--kind '%s': use member, group or moderator", kind);
			return FALSE;
		}
	}
	if (member != NULL && (only = util_address_normalize(member)) == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "'%s' is not a mail address", member);
		return FALSE;
	}
	if ((secret = util_read_secret(cli->cfg->secret_file, error)) == NULL ||
	    (notice = notice_new(cli->cfg, cli->st, secret, error)) == NULL ||
	    (before = store_outbound_list(cli->st, NULL, error)) == NULL ||
	    !store_begin(cli->st, error))
		return FALSE;
	if (before->len > 0)
		last = ((store_outbound_t *)before->pdata[before->len - 1])->id;
	if (!digest_send(cli->cfg, cli->st, notice, only, kinds, FALSE, util_now(), &sent,
			 error)) {
		store_rollback(cli->st);
		return FALSE;
	}
	if (!dry_run) {
		if (!store_commit(cli->st, error))
			return FALSE;
		printf("%u digest%s queued\n", sent, sent == 1 ? "" : "s");
		return TRUE;
	}
	{
		g_autoptr(GPtrArray) after = store_outbound_list(cli->st, NULL, error);

		for (guint i = 0; after != NULL && i < after->len; i++) {
			store_outbound_t *o = after->pdata[i];
			gsize len;
			const char *data = g_bytes_get_data(o->bytes, &len);

			if (o->id <= last)
				continue;
			printf("----- digest to %s\n", o->rcpt);
			fwrite(data, 1, len, stdout);
			printf("\n");
		}
		store_rollback(cli->st);
		if (after == NULL)
			return FALSE;
	}
	printf("%u digest%s would be sent\n", sent, sent == 1 ? "" : "s");
	return TRUE;
}
