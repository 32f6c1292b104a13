/* SPDX-License-Identifier: MIT
 * ingest.c: the pipeline of DESIGN.md, "Data flow": size check, parse,
 * visible text, thread, store, events, in the caller's transaction.
 *
 * Threading follows DESIGN.md "Mail conventions": the signed reply
 * address first (RFC 5322 addresses are forgeable; the token is not), then
 * In-Reply-To and References (RFC 5322 section 3.6.4) against every
 * Message-ID stored or sent, then the subject tag, else a new ticket. */
#include "autodefs.h"
#include <string.h>
#include "bounce.h"
#include "action.h"
#include "authres.h"
#include "command.h"
#include "error.h"
#include "event.h"
#include "filter.h"
#include "ingest.h"
#include "log.h"
#include "mime-forward.h"
#include "mime-text.h"
#include "mime.h"
#include "notice.h"
#include "route.h"
#include "template.h"
#include "thread.h"
#include "token.h"
#include "json.h"
#include "util.h"
#include "banned.h"

struct ingest {
	const config_t *cfg;
	store_t *st;
	GBytes *secret;
	mime_limits_t limits;
	notice_t *notice;
	filter_set_t *filters;
};

void
ingest_result_clear(ingest_result_t *res)
{
	g_clear_pointer(&res->reason, g_free);
	g_clear_pointer(&res->message_id, g_free);
	memset(res, 0, sizeof *res);
}

ingest_t *
ingest_new(const config_t *cfg, store_t *st, GError **error)
{
	g_autoptr(ingest_t) ing = g_new0(ingest_t, 1);

	ing->cfg = cfg;
	ing->st = st;
	ing->secret = util_read_secret(cfg->secret_file, error);
	if (ing->secret == NULL)
		return NULL;
	ing->notice = notice_new(cfg, st, ing->secret, error);
	if (ing->notice == NULL)
		return NULL;
	ing->filters = ingest_load_filters(cfg, NULL, error);
	if (ing->filters == NULL)
		return NULL;
	mime_init();
	mime_limits_init(&ing->limits);
	ing->limits.max_message_size = cfg->max_message_size;
	ing->limits.max_attachment_size = cfg->max_attachment_size;
	ing->limits.max_depth = (guint)cfg->max_mime_depth;
	ing->limits.max_parts = (guint)cfg->max_parts;
	ing->limits.max_headers = (guint)cfg->max_headers;
	ing->limits.max_header_length = cfg->max_header_length;
	ing->limits.max_text_size = cfg->max_text_size;
	ing->limits.fallback_charsets = cfg->fallback_charsets;
	return g_steal_pointer(&ing);
}

char *
ingest_filters_dir(const config_t *cfg)
{
	g_autofree char *beside = NULL;
	g_autofree char *inst = NULL;

	if (cfg->filters != NULL)
		return g_strdup(cfg->filters);
	beside = util_path_relative_to(cfg->path, "filters");
	if (g_file_test(beside, G_FILE_TEST_IS_DIR))
		return g_steal_pointer(&beside);
	inst = notice_installed_dir("filters");
	if (g_file_test(inst, G_FILE_TEST_IS_DIR))
		return g_steal_pointer(&inst);
	return NULL;
}

filter_set_t *
ingest_load_filters(const config_t *cfg, char **dir_out, GError **error)
{
	g_autofree char *dir = ingest_filters_dir(cfg);
	g_autoptr(filter_set_t) set = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) groups = g_ptr_array_new();
	g_autoptr(GPtrArray) members = g_ptr_array_new();
	filter_limits_t lim;

	filter_limits_init(&lim);
	lim.match_limit = (guint32)cfg->regex_match_limit;
	lim.depth_limit = (guint32)cfg->regex_depth_limit;
	set = dir != NULL ? filter_set_load_dir(dir, &lim, error) : filter_set_new(&lim);
	if (set == NULL)
		return NULL;
	for (guint i = 0; i < cfg->groups->len; i++)
		g_ptr_array_add(groups, ((config_group_t *)cfg->groups->pdata[i])->name);
	g_ptr_array_add(groups, NULL);
	for (guint i = 0; i < cfg->members->len; i++)
		g_ptr_array_add(members, ((config_member_t *)cfg->members->pdata[i])->address);
	g_ptr_array_add(members, NULL);
	if (!filter_set_validate(set, (const char *const *)groups->pdata,
				 (const char *const *)members->pdata, problems)) {
		g_ptr_array_add(problems, NULL);
		g_autofree char *all = g_strjoinv("\n", (char **)problems->pdata);

		g_set_error_literal(error, PD_ERROR, PD_ERROR_CONFIG, all);
		return NULL;
	}
	if (dir_out != NULL)
		*dir_out = g_steal_pointer(&dir);
	return g_steal_pointer(&set);
}

void
ingest_free(ingest_t *ing)
{
	if (ing == NULL)
		return;
	if (ing->secret != NULL)
		g_bytes_unref(ing->secret);
	notice_free(ing->notice);
	filter_set_free(ing->filters);
	g_free(ing);
}

/* Header fields an MTA prepends on the way in; they differ between two
 * deliveries of the same mail. */
static gboolean
is_trace_field(const char *line, gsize len)
{
	static const char *const names[] = {
		"return-path:", "delivered-to:", "x-original-to:", "received:",
		"envelope-to:", "x-envelope-to:", "x-rcpt-to:", "x-mailfrom:",
		"x-peer:", "authentication-results:", "received-spf:",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		gsize n = strlen(names[i]);

		if (len >= n && g_ascii_strncasecmp(line, names[i], n) == 0)
			return TRUE;
	}
	return FALSE;
}

char *
ingest_content_hash(const char *data, gsize len)
{
	util_sha256_t *sum = util_sha256_new();
	const char *p = data, *end = data + len;
	gboolean skipping = TRUE, in_trace = FALSE;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *next = nl ? nl + 1 : end;
		gsize n = (gsize)((nl ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (skipping) {
			gboolean cont = n > 0 && (p[0] == ' ' || p[0] == '\t');

			if ((cont && in_trace) || (!cont && is_trace_field(p, n))) {
				in_trace = TRUE;
				p = next;
				continue;
			}
			skipping = FALSE;
		}
		util_sha256_update(sum, p, n);
		util_sha256_update(sum, "\n", 1);
		p = next;
	}
	return util_sha256_finish(sum);
}

/* RFC 3834 and common practice: mail that a machine sent. WHY says which
 * sign showed it. Such mail never gets an automatic answer. */
static gboolean
is_automatic(const mime_msg_t *msg, const config_t *cfg, const char **why)
{
	const char *v;

	if ((v = mime_msg_header(msg, "Auto-Submitted")) != NULL) {
		while (g_ascii_isspace(*v))
			v++;
		/* RFC 3834 section 5: "no" (possibly with parameters) is human. */
		if (g_ascii_strncasecmp(v, "no", 2) == 0 &&
		    (v[2] == '\0' || v[2] == ';' || g_ascii_isspace(v[2])))
			v = NULL;
	}
	if (v != NULL) {
		*why = "Auto-Submitted";
		return TRUE;
	}
	if ((v = mime_msg_header(msg, "Precedence")) != NULL &&
	    (g_ascii_strcasecmp(v, "bulk") == 0 || g_ascii_strcasecmp(v, "junk") == 0 ||
	     g_ascii_strcasecmp(v, "list") == 0)) {
		*why = "Precedence";
		return TRUE;
	}
	if (mime_msg_header(msg, "X-Postdesk-Loop") != NULL) {
		*why = "our own loop header";
		return TRUE;
	}
	if (mime_msg_header(msg, "List-Id") != NULL) {
		*why = "List-Id";
		return TRUE;
	}
	if (msg->is_report) {
		*why = "a delivery or disposition report";
		return TRUE;
	}
	if ((v = mime_msg_header(msg, "Return-Path")) != NULL && strstr(v, "<>") != NULL) {
		*why = "null sender";
		return TRUE;
	}
	if (msg->from != NULL && msg->from->addr != NULL) {
		const char *at = strchr(msg->from->addr, '@');
		gsize n = at ? (gsize)(at - msg->from->addr) : 0;

		if ((n == 13 && g_ascii_strncasecmp(msg->from->addr, "mailer-daemon", 13) == 0) ||
		    (n == 10 && g_ascii_strncasecmp(msg->from->addr, "postmaster", 10) == 0)) {
			*why = "mailer-daemon sender";
			return TRUE;
		}
		if (config_is_own_address(cfg, msg->from->addr)) {
			*why = "sent from our own address";
			return TRUE;
		}
	}
	return FALSE;
}

/* The address the customer wants answers at: a sane Reply-To, else From,
 * else Sender. Not one of ours (a loop), not a list. */
static const mime_address_t *
pick_requester(const mime_msg_t *msg, const config_t *cfg)
{
	if (msg->reply_to != NULL && msg->reply_to->addr != NULL &&
	    !config_is_own_address(cfg, msg->reply_to->addr) &&
	    mime_msg_header(msg, "List-Id") == NULL)
		return msg->reply_to;
	if (msg->from != NULL && msg->from->addr != NULL)
		return msg->from;
	if (msg->sender != NULL && msg->sender->addr != NULL)
		return msg->sender;
	return NULL;
}

/* Addresses the mail was sent to, envelope first: where a reply token or
 * a group address may be. New array of borrowed strings. */
static GPtrArray *
recipients(const mime_msg_t *msg, const ingest_opts_t *opts)
{
	GPtrArray *out = g_ptr_array_new();
	const char *v;

	if (opts->recipient != NULL)
		g_ptr_array_add(out, (gpointer)opts->recipient);
	if ((v = mime_msg_header(msg, "Delivered-To")) != NULL)
		g_ptr_array_add(out, (gpointer)v);
	if ((v = mime_msg_header(msg, "X-Original-To")) != NULL)
		g_ptr_array_add(out, (gpointer)v);
	for (guint i = 0; i < msg->to->len; i++)
		g_ptr_array_add(out, ((mime_address_t *)msg->to->pdata[i])->addr);
	for (guint i = 0; i < msg->cc->len; i++)
		g_ptr_array_add(out, ((mime_address_t *)msg->cc->pdata[i])->addr);
	return out;
}

/* The group the mail was sent to: the source's, else the first recipient
 * that is a group address, else the mailing list's; NULL when none (the
 * filters, then the default group decide). */
static const config_group_t *
pick_group(ingest_t *ing, const mime_msg_t *msg, const ingest_opts_t *opts,
	   GPtrArray *rcpts)
{
	const config_t *cfg = ing->cfg;
	const config_group_t *g = opts->group ? config_group(cfg, opts->group) : NULL;

	for (guint i = 0; g == NULL && i < rcpts->len; i++) {
		g_autofree char *a = util_address_normalize(rcpts->pdata[i]);
		char *plus;

		/* support+12-token@ belongs to support@ */
		if (a != NULL && (plus = strchr(a, '+')) != NULL) {
			char *at = strchr(plus, '@');

			if (at != NULL)
				memmove(plus, at, strlen(at) + 1);
		}
		if (a != NULL && strcmp(a, cfg->support_address) != 0)
			g = config_group_for_address(cfg, a);
	}
	if (g == NULL)
		g = config_group_for_list(cfg, mime_msg_header(msg, "List-Id"));
	return g;
}

/* A verified reply token among the recipients: the ticket, else 0. The
 * token binds the ticket to the address it was sent to, so it must verify
 * for this sender (or, for a member writing from an alias, for the
 * member's own address MEMBER, which their notices go to). */
static gint64
token_ticket(ingest_t *ing, GPtrArray *rcpts, const char *sender, const char *member)
{
	gsize keylen;
	const guint8 *key = g_bytes_get_data(ing->secret, &keylen);

	if (sender == NULL)
		return 0;
	for (guint i = 0; i < rcpts->len; i++) {
		g_autofree char *token = NULL;
		gint64 ticket;

		if (!token_parse_address(rcpts->pdata[i], config_own_addresses(ing->cfg),
					 &ticket, &token))
			continue;
		if ((token_verify(key, keylen, ticket, sender, token) ||
		     (member != NULL && token_verify(key, keylen, ticket, member, token))) &&
		    store_ticket_exists(ing->st, ticket))
			return ticket;
		log_debug("ingest", "reply token for ticket %" G_GINT64_FORMAT
			  " does not verify for this sender", ticket);
	}
	return 0;
}

/* Whether the mail of member SENDER is authenticated: by the reply token
 * (BY_TOKEN), and where [gateway] trusted_authserv_id is set by that
 * server's Authentication-Results too (which alone suffices on a plain
 * address). */
static gboolean
member_authenticated(ingest_t *ing, const mime_msg_t *msg, const char *sender,
		     gboolean by_token)
{
	const char *id = ing->cfg->trusted_authserv_id;
	g_autoptr(GPtrArray) ar = NULL;
	const char *why = NULL;
	gboolean ok;

	if (id == NULL)
		return by_token;
	ar = mime_msg_headers(msg, "Authentication-Results");
	g_ptr_array_add(ar, NULL);
	ok = authres_verifies((const char *const *)ar->pdata, id, strrchr(sender, '@') + 1, &why);
	if (!ok)
		log_info("mail from member %s is treated as a customer's: %s", sender, why);
	return ok;
}

/* The newest ticket that In-Reply-To or References points at, else 0:
 * In-Reply-To first, then References from the nearest ancestor back. */
static gint64
reference_ticket(ingest_t *ing, const mime_msg_t *msg, GError **error)
{
	GError *local = NULL;
	gint64 t;

	if (msg->in_reply_to != NULL) {
		t = store_ticket_by_message_id(ing->st, msg->in_reply_to, &local);
		if (local != NULL) {
			g_propagate_error(error, local);
			return -1;
		}
		if (t > 0)
			return t;
	}
	for (guint i = msg->references->len; i > 0; i--) {
		t = store_ticket_by_message_id(ing->st, msg->references->pdata[i - 1], &local);
		if (local != NULL) {
			g_propagate_error(error, local);
			return -1;
		}
		if (t > 0)
			return t;
	}
	return 0;
}

/* The header block of DATA parsed on its own: enough to know who sent a
 * message too large or too broken to parse whole. NULL when there is none. */
static mime_msg_t *
parse_header_only(ingest_t *ing, const char *data, gsize len)
{
	gsize cap = MIN(len, 256 * 1024), end = 0;

	for (gsize i = 0; i + 1 < cap && end == 0; i++) {
		if (data[i] == '\n' && data[i + 1] == '\n')
			end = i + 1;
		else if (data[i] == '\n' && data[i + 1] == '\r' && i + 2 < cap && data[i + 2] == '\n')
			end = i + 1;
	}
	if (end == 0)
		return NULL;
	return mime_parse(data, end, &ing->limits, NULL);
}

/* A short notice to the sender of a quarantined mail (the rejected
 * template): never to a machine, at most auto_replies_per_hour. */
static gboolean
tell_rejected(ingest_t *ing, const char *data, gsize len, const ingest_opts_t *opts,
	      const mime_msg_t *msg, const char *reason, GError **error)
{
	g_autoptr(mime_msg_t) head = NULL;
	g_autoptr(template_vars_t) vars = template_vars_new();
	const mime_address_t *to;
	const char *why = NULL;
	notice_mail_t m = { 0 };
	GError *local = NULL;
	gboolean queued;

	if (opts->quiet)
		return TRUE;
	if (msg == NULL)
		msg = head = parse_header_only(ing, data, len);
	if (msg == NULL || (to = pick_requester(msg, ing->cfg)) == NULL)
		return TRUE;
	if (is_automatic(msg, ing->cfg, &why)) {
		log_debug("ingest", "no rejection notice: %s", why);
		return TRUE;
	}
	template_vars_set(vars, "reason", reason);
	template_vars_set(vars, "message.subject", msg->subject);
	if (msg->date != 0) {
		g_autofree char *date = json_format_time(msg->date);

		template_vars_set(vars, "message.date", date);
	}
	m.template_name = "rejected";
	m.to_address = to->addr;
	m.to_name = to->name;
	m.in_reply_to = msg->message_id;
	m.automatic = TRUE;
	m.vars = vars;
	if (!notice_send(ing->notice, &m, &queued, &local)) {
		/* The mail is kept either way: a notice that cannot be written
		 * (a template over max_template_output) must not make the MTA
		 * retry it for ever. Only a temporary failure is passed on. */
		if (local->domain == PD_ERROR && local->code == PD_ERROR_TEMP) {
			g_propagate_error(error, local);
			return FALSE;
		}
		log_warn("no rejection notice to %s: %s", to->addr, local->message);
		g_error_free(local);
	}
	return TRUE;
}

/* Keep the message whole in quarantine, answering nobody. */
static gboolean
quarantine_silently(ingest_t *ing, const char *data, gsize len, const char *hash,
		    const ingest_opts_t *opts, const mime_msg_t *msg, const char *reason,
		    ingest_result_t *res, GError **error)
{
	store_quarantine_t q = { 0 };
	gint64 existing;
	GError *local = NULL;

	/* The same broken mail again is a duplicate of the quarantined one. */
	existing = store_quarantine_find(ing->st, hash, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (existing > 0) {
		res->outcome = INGEST_DUPLICATE;
		res->quarantine = existing;
		return TRUE;
	}
	q.received = util_now();
	q.reason = (char *)reason;
	q.sender = msg && msg->from ? msg->from->addr : NULL;
	q.subject = msg ? msg->subject : NULL;
	q.recipient = (char *)opts->recipient;
	q.source = (char *)opts->source;
	q.content_hash = (char *)hash;
	q.raw_id = store_raw_insert(ing->st, data, len, error);
	if (q.raw_id == 0)
		return FALSE;
	res->quarantine = store_quarantine_add(ing->st, &q, error);
	if (res->quarantine == 0)
		return FALSE;
	res->outcome = INGEST_QUARANTINED;
	res->reason = g_strdup(reason);
	log_info("quarantined %" G_GINT64_FORMAT " (%s): %s", res->quarantine,
		 opts->source ? opts->source : "input", reason);
	return TRUE;
}

/* Quarantine, and tell the sender their mail was not taken. */
static gboolean
quarantine(ingest_t *ing, const char *data, gsize len, const char *hash,
	   const ingest_opts_t *opts, const mime_msg_t *msg, const char *reason,
	   ingest_result_t *res, GError **error)
{
	return quarantine_silently(ing, data, len, hash, opts, msg, reason, res, error) &&
	       (res->outcome == INGEST_DUPLICATE ||
		tell_rejected(ing, data, len, opts, msg, reason, error));
}

/* Store the message itself, its ids and attachments, on TICKET. */
static gint64
store_msg(ingest_t *ing, const mime_msg_t *msg, const char *data, gsize len,
	  const char *hash, const char *message_id, gint64 ticket, const char *kind,
	  const char *visible, const char *how, gboolean verified, const ingest_opts_t *opts,
	  gint64 now, GError **error)
{
	store_message_t m = { 0 };
	gint64 id;

	m.ticket_id = ticket;
	m.direction = (char *)"in";
	m.kind = (char *)kind;
	m.message_id = (char *)message_id;
	m.content_hash = (char *)hash;
	m.from_name = msg->from ? msg->from->name : NULL;
	m.from_address = msg->from ? msg->from->addr : NULL;
	m.subject = msg->subject;
	m.date = msg->date;
	m.received = now;
	m.text = msg->text;
	m.visible = (char *)visible;
	m.verified = verified;
	m.threaded_by = (char *)how;
	m.source = (char *)opts->source;
	m.raw_id = store_raw_insert(ing->st, data, len, error);
	id = m.raw_id ? store_message_insert(ing->st, &m, error) : 0;
	if (id == 0 || !store_message_id_add(ing->st, message_id, ticket, "in", error))
		return 0;
	for (guint i = 0; i < msg->attachments->len; i++) {
		mime_attachment_t *a = msg->attachments->pdata[i];

		if (!store_attachment_add(ing->st, id, a->filename, a->content_type,
					  a->content, error))
			return 0;
	}
	return id;
}

static gint64
new_ticket(ingest_t *ing, const mime_msg_t *msg, const char *subject_in,
	   const mime_address_t *requester, const config_group_t *group,
	   const filter_outcome_t *fo, gint64 linked_to, gint64 now, GError **error)
{
	store_ticket_t t = { 0 };
	g_autofree char *subject = thread_subject_clean(subject_in ? subject_in : msg->subject,
							 ing->cfg->tag);
	g_autofree char *detail = NULL;
	const char *at = strrchr(requester->addr, '@');
	const config_plan_t *plan;
	gint64 id;

	t.subject = *subject != '\0' ? subject : (char *)"(no subject)";
	t.state = (char *)"new";
	t.group = group->name;
	t.priority = fo->priority ? fo->priority : (char *)"normal";
	t.tier = fo->tier > 0 ? fo->tier : group->tier;
	t.requester_name = requester->name;
	t.requester_address = requester->addr;
	t.language = msg->content_language ? msg->content_language
					   : group->language ? group->language
							     : ing->cfg->language;
	t.org = at != NULL ? (char *)at + 1 : NULL;
	plan = config_plan_for(ing->cfg, t.org);
	/* Emergency engagement: the customer's own word makes it urgent. */
	if (config_plan_emergency(plan) && route_subject_urgent(t.subject))
		t.priority = (char *)"urgent";
	t.linked_to = linked_to;
	t.created = now;
	id = store_ticket_insert(ing->st, &t, error);
	if (id == 0)
		return 0;
	{
		/* The first-response clock starts now, so the ack can promise. */
		action_t act = { ing->cfg, ing->st, NULL, now };
		g_autoptr(store_ticket_t) fresh = store_ticket_get(ing->st, id, error);

		if (fresh == NULL || !action_sla_start(&act, fresh, error))
			return 0;
	}
	detail = linked_to ? g_strdup_printf("group %s, follows ticket %" G_GINT64_FORMAT,
					     group->name, linked_to)
			   : g_strdup_printf("group %s", group->name);
	if (config_plan_emergency(plan) && strcmp(t.priority, "urgent") == 0) {
		g_autofree char *d = g_steal_pointer(&detail);

		detail = g_strdup_printf("%s, urgent by subject (plan %s: emergency)", d,
					 plan->name);
	}
	if (!store_participant_add(ing->st, id, requester->addr, requester->name,
				   "requester", now, error) ||
	    !event_add(ing->cfg, ing->st, id, now, "created", requester->addr, detail, error))
		return 0;
	if (group->copy_cc) {
		for (guint i = 0; i < msg->cc->len; i++) {
			mime_address_t *a = msg->cc->pdata[i];

			if (a->addr == NULL || config_is_own_address(ing->cfg, a->addr) ||
			    strcmp(a->addr, requester->addr) == 0)
				continue;
			if (!store_participant_add(ing->st, id, a->addr, a->name, "cc", now,
						   error))
				return 0;
		}
	}
	return id;
}

/* A delivery failure report: a multipart/report of type delivery-status,
 * or a mailer-daemon's mail whose subject says it is one. */
static gboolean
is_bounce(const mime_msg_t *msg, const config_t *cfg)
{
	const char *why = NULL;

	if (msg->is_report)
		return g_strcmp0(msg->report_type, "delivery-status") == 0;
	return is_automatic(msg, cfg, &why) &&
	       (g_strcmp0(why, "mailer-daemon sender") == 0 ||
		g_strcmp0(why, "null sender") == 0) &&
	       bounce_subject_is_failure(msg->subject);
}

/* The outbound mail a bounce reports, by the Message-IDs it quotes: of
 * the returned message (message/rfc822 or text/rfc822-headers) or, in
 * non-standard bounces, quoted in the text. NULL when none is ours. */
static store_outbound_t *
bounce_find(ingest_t *ing, const mime_msg_t *msg, bounce_status_t *status, GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	GError *local = NULL;

	for (guint i = 0; i < msg->embedded->len; i++) {
		const mime_msg_t *e = msg->embedded->pdata[i];

		if (e->message_id != NULL)
			g_ptr_array_add(ids, g_strdup(e->message_id));
	}
	for (guint i = 0; i < msg->attachments->len; i++) {
		const mime_attachment_t *a = msg->attachments->pdata[i];
		gsize len = 0;
		const char *data = a->content ? g_bytes_get_data(a->content, &len) : NULL;

		if (data == NULL)
			continue;
		if (g_strcmp0(a->content_type, "message/delivery-status") == 0 &&
		    status->recipient == NULL)
			bounce_parse_status(data, len, status);
		else if (g_str_has_prefix(a->content_type, "text/") ||
			 g_strcmp0(a->content_type, "message/rfc822") == 0)
			bounce_quoted_ids(data, len, ids);
	}
	if (msg->text != NULL)
		bounce_quoted_ids(msg->text, strlen(msg->text), ids);
	for (guint i = 0; i < ids->len; i++) {
		store_outbound_t *o = store_outbound_by_message_id(ing->st, ids->pdata[i], &local);

		if (local != NULL) {
			g_propagate_error(error, local);
			return NULL;
		}
		if (o != NULL)
			return o;
	}
	return NULL;
}

/* Record a bounce on the ticket of the mail it reports, mark that mail
 * failed (unless only delayed), and tell the ticket's owner. Never opens
 * a ticket: a bounce of mail we do not know is quarantined. */
static gboolean
ingest_bounce(ingest_t *ing, const mime_msg_t *msg, const char *data, gsize len,
	      const char *hash, const ingest_opts_t *opts, ingest_result_t *res,
	      GError **error)
{
	bounce_status_t st = { 0 };
	g_autoptr(store_outbound_t) o = NULL;
	g_autoptr(store_ticket_t) t = NULL;
	g_autofree char *detail = NULL;
	g_autofree char *rcpt = NULL;
	GError *local = NULL;
	gint64 now = util_now();
	gboolean delayed, ok = FALSE;

	o = bounce_find(ing, msg, &st, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		goto out;
	}
	if (o == NULL || o->ticket_id == 0) {
		ok = quarantine(ing, data, len, hash, opts, msg,
				"bounce of a mail postdesk did not send (or no longer knows)",
				res, error);
		goto out;
	}
	t = store_ticket_get(ing->st, o->ticket_id, error);
	if (t == NULL)
		goto out;
	rcpt = g_strdelimit(g_strdup(st.recipient ? st.recipient : o->rcpt), "\n", ',');
	delayed = g_strcmp0(st.action, "delayed") == 0;
	detail = g_strdup_printf("%s <%s> to %s: %s%s%s%s", delayed ? "delayed" : "bounced",
				 o->message_id, rcpt, st.status ? st.status : "failed",
				 st.diagnostic ? " (" : "", st.diagnostic ? st.diagnostic : "",
				 st.diagnostic ? ")" : "");
	res->ticket = t->id;
	res->outcome = INGEST_FOLLOWUP;
	res->message = store_msg(ing, msg, data, len, hash, res->message_id, t->id, "system",
				 msg->text, "bounce", FALSE, opts, now, error);
	if (res->message == 0 ||
	    !event_add(ing->cfg, ing->st, t->id, now, "bounce", msg->from ? msg->from->addr : NULL,
			     detail, error))
		goto out;
	if (!delayed && !store_outbound_mark(ing->st, o->id, "failed", o->attempts,
					     o->next_attempt, o->sent_at, detail, error))
		goto out;
	if (!delayed && t->owner != NULL && !opts->quiet) {
		g_autoptr(template_vars_t) vars = template_vars_new();
		const config_member_t *m = config_member(ing->cfg, t->owner);
		notice_mail_t n = { 0 };
		gboolean queued;

		template_vars_set(vars, "bounce.recipient", rcpt);
		template_vars_set(vars, "bounce.status", st.status ? st.status : "failed");
		template_vars_set(vars, "bounce.diagnostic", st.diagnostic);
		n.template_name = "bounce-notice";
		n.ticket = t;
		n.to_address = t->owner;
		n.to_name = m ? m->name : NULL;
		n.vars = vars;
		if (!notice_send(ing->notice, &n, &queued, error))
			goto out;
	}
	log_info("ticket %" G_GINT64_FORMAT ": %s", t->id, detail);
	ok = TRUE;
out:
	bounce_status_clear(&st);
	return ok;
}

/* An automatic answer about a new ticket (ack, over-quota), threaded on
 * the customer's mail. */
static gboolean
send_notice(ingest_t *ing, const char *template_name, gint64 ticket,
	    const mime_address_t *requester, const char *message_id, GPtrArray *references,
	    template_vars_t *vars, GError **error)
{
	g_autoptr(store_ticket_t) t = store_ticket_get(ing->st, ticket, error);
	notice_mail_t m = { 0 };
	gboolean queued;

	if (t == NULL)
		return FALSE;
	m.template_name = template_name;
	m.ticket = t;
	m.to_address = requester->addr;
	m.to_name = requester->name;
	m.in_reply_to = message_id;
	m.references = references;
	m.automatic = TRUE;
	m.vars = vars;
	return notice_send(ing->notice, &m, &queued, error);
}

static GPtrArray *
msg_headers(gpointer msg, const char *name)
{
	return mime_msg_headers(msg, name);
}

void
ingest_filter_message(const filter_set_t *set, const mime_msg_t *msg,
		      const char *envelope_rcpt, const char *visible, filter_outcome_t *out)
{
	ingest_opts_t opts = { .recipient = envelope_rcpt };
	g_autoptr(GPtrArray) rcpts = recipients(msg, &opts);
	g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
	filter_input_t in = { 0 };

	for (guint i = 0; i < rcpts->len; i++) {
		char *a = util_address_normalize(rcpts->pdata[i]);

		if (a != NULL)
			g_ptr_array_add(to, a);
	}
	g_ptr_array_add(to, NULL);
	in.from = msg->from && msg->from->addr ? msg->from->addr
		  : msg->sender ? msg->sender->addr : NULL;
	in.from_name = msg->from ? msg->from->name : NULL;
	in.to = (const char *const *)to->pdata;
	in.subject = msg->subject;
	in.body = msg->text;
	in.visible = visible;
	in.list_id = mime_msg_header(msg, "List-Id");
	in.headers = msg_headers;
	in.headers_ctx = (gpointer)msg;
	filter_eval(set, &in, out);
	for (guint i = 0; i < out->errors->len; i++)
		log_warn("filters: %s", (char *)out->errors->pdata[i]);
}

/* Whether the commands include #note: the mail is an internal note. */
static gboolean
has_note(const command_list_t *cmds)
{
	for (guint i = 0; i < cmds->commands->len; i++)
		if (((command_t *)cmds->commands->pdata[i])->kind == COMMAND_NOTE)
			return TRUE;
	return FALSE;
}

/* Ticket ID, or the ticket it was merged into (followed a few steps). */
static store_ticket_t *
merged_target(ingest_t *ing, gint64 id, GError **error)
{
	store_ticket_t *t = store_ticket_get(ing->st, id, error);

	for (int i = 0; t != NULL && t->merged_into != 0 && i < 8; i++) {
		gint64 next = t->merged_into;

		store_ticket_free(t);
		t = store_ticket_get(ing->st, next, error);
	}
	return t;
}

/* The end of the local day DATE (YYYYMMDD) in MEMBER's time zone. */
static gint64
end_of_day(const config_member_t *member, gint64 date)
{
	g_autoptr(GTimeZone) tz = member->timezone ? g_time_zone_new_identifier(member->timezone)
						   : NULL;
	g_autoptr(GDateTime) dt = NULL;

	if (tz == NULL)
		tz = g_time_zone_new_utc();
	dt = g_date_time_new(tz, (gint)(date / 10000), (gint)(date / 100 % 100),
			     (gint)(date % 100), 23, 59, 59);
	return dt != NULL ? g_date_time_to_unix(dt) : G_MAXINT64;
}

/* Carry out one command C of MEMBER on T. */
static gboolean
exec_command(action_t *act, store_ticket_t *t, const config_member_t *member,
	     const command_t *c, const char *rest, const action_msg_t *am, GError **error)
{
	const char *who = member->address;

	switch (c->kind) {
	case COMMAND_TAKE:
		return action_take(act, t, who, error);
	case COMMAND_REFUSE:
		return action_refuse(act, t, who, c->arg, FALSE, error);
	case COMMAND_RESOLVE:
		return action_set_state(act, t, "resolved", who, error);
	case COMMAND_REOPEN:
		return action_set_state(act, t, "open", who, error);
	case COMMAND_WAIT:
		return action_set_state(act, t, "waiting", who, error);
	case COMMAND_NOTE: {
		g_autofree char *text = g_strconcat(c->arg ? c->arg : "", c->arg && *rest ? "\n\n" : "",
						   rest, NULL);
		action_msg_t note = *am;

		note.visible = text;
		return action_note(act, t, who, &note, error);
	}
	case COMMAND_GROUP:
		return action_set_group(act, t, c->arg, who, error);
	case COMMAND_TIER:
		return action_set_tier(act, t, c->number, who, error);
	case COMMAND_ESCALATE:
		return action_escalate(act, t, who, c->arg, error);
	case COMMAND_PRIORITY:
		return action_set_priority(act, t, c->arg, who, error);
	case COMMAND_CC:
		return action_cc(act, t, who, c->arg, error);
	case COMMAND_MERGE:
		return action_merge(act, t, c->number, who, error);
	case COMMAND_AWAY:
		return action_away(act, who, c->number ? end_of_day(member, c->number) : G_MAXINT64,
				   error);
	case COMMAND_BACK:
		return action_away(act, who, 0, error);
	case COMMAND_REFER:
		return action_refer(act, t, who, c->arg, error);
	}
	g_assert_not_reached();
}

/* A member's mail with commands: all of them or none (a savepoint), then
 * the rest relayed unless it is a note, and a receipt line by line. */
static gboolean
member_commands(ingest_t *ing, action_t *act, store_ticket_t *t,
		const config_member_t *member, const command_list_t *cmds,
		const action_msg_t *am, gboolean is_new, GError **error)
{
	g_autoptr(template_vars_t) v = template_vars_new();
	g_autofree char *failed = NULL;
	notice_mail_t n = { 0 };
	gboolean queued;
	guint i;

	for (i = 0; i < cmds->errors->len; i++) {
		template_vars_t *item = template_vars_append(v, "receipt");

		template_vars_set(item, "line", cmds->errors->pdata[i]);
		template_vars_set(item, "result", "not understood");
	}
	if (cmds->errors->len > 0)
		failed = g_strdup_printf("%u line(s) not understood", cmds->errors->len);
	if (!store_savepoint(ing->st, error))
		return FALSE;
	for (i = 0; failed == NULL && i < cmds->commands->len; i++) {
		const command_t *c = cmds->commands->pdata[i];
		template_vars_t *item = template_vars_append(v, "receipt");
		GError *local = NULL;

		template_vars_set(item, "line", c->source);
		if (exec_command(act, t, member, c, cmds->rest, am, &local)) {
			template_vars_set(item, "result", "done");
			continue;
		}
		if (local->domain != PD_ERROR || local->code != PD_ERROR_INPUT) {
			store_savepoint_rollback(ing->st);
			g_propagate_error(error, local);
			return FALSE;
		}
		template_vars_set(item, "result", local->message);
		failed = g_strdup_printf("%s: %s", c->source, local->message);
		g_error_free(local);
	}
	if (failed == NULL && !is_new && !has_note(cmds) && *cmds->rest != '\0') {
		action_msg_t reply = *am;

		reply.visible = cmds->rest;
		if (!action_relay(act, t, member->address, &reply, error)) {
			store_savepoint_rollback(ing->st);
			return FALSE;
		}
	}
	if (failed != NULL) {
		g_autofree char *d = g_strdup_printf("commands of <%s> not run: %s",
						     am->message_id, failed);
		g_autofree char *note = g_strdup_printf(
			"Nothing was changed and nothing was sent to the customer: %s. "
			"Send the mail again with the commands corrected.", failed);

		store_savepoint_rollback(ing->st);
		if (!event_add(ing->cfg, ing->st, t->id, act->now, "command", member->address, d,
			       error))
			return FALSE;
		template_vars_set(v, "note", note);
	} else if (!store_savepoint_release(ing->st, error)) {
		return FALSE;
	}
	n.template_name = "receipt";
	n.ticket = t;
	n.to_address = member->address;
	n.to_name = member->name;
	n.in_reply_to = am->message_id;
	n.vars = v;
	return notice_send(ing->notice, &n, &queued, error);
}

/* OK, or a request that could not be done (PD_ERROR_INPUT), logged and
 * cleared: FALSE only for real failures. */
static gboolean
soft(gboolean ok, const char *what, GError **error)
{
	if (ok || error == NULL || *error == NULL || (*error)->code != PD_ERROR_INPUT)
		return ok;
	log_warn("filter %s: %s", what, (*error)->message);
	g_clear_error(error);
	return TRUE;
}

/* The strings of A joined by SEP. New string. */
static char *
join_strings(GPtrArray *a, const char *sep)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < a->len; i++)
		g_string_append_printf(out, "%s%s", i ? sep : "", (char *)a->pdata[i]);
	return g_string_free(out, FALSE);
}

/* What a stored mail causes: a new ticket is routed; a member's mail runs
 * its commands or is relayed to the customer; a customer's follow-up is
 * told to the members on the ticket. */
static gboolean
after_store(ingest_t *ing, action_t *act, const action_msg_t *am, gint64 ticket,
	    gboolean is_new, const config_member_t *member, const command_list_t *cmds,
	    const filter_outcome_t *fo, gboolean automatic, GError **error)
{
	g_autoptr(store_ticket_t) t = store_ticket_get(ing->st, ticket, error);
	gboolean has_cmds;

	if (t == NULL)
		return FALSE;
	has_cmds = cmds->commands->len > 0 || cmds->errors->len > 0;
	if (is_new && fo->matched->len > 0) {
		g_autofree char *rules = join_strings(fo->matched, ", ");
		g_autofree char *tags = join_strings(fo->tags, ", ");
		g_autofree char *d = g_strdup_printf("rules %s%s%s", rules, *tags ? "; tags " : "",
						     tags);

		if (!event_add(ing->cfg, ing->st, ticket, act->now, "filter", NULL, d, error))
			return FALSE;
	}
	/* A rule's cc= or assign= that cannot be done is logged, not fatal. */
	for (guint i = 0; is_new && i < fo->cc->len; i++)
		if (!soft(action_cc(act, t, NULL, fo->cc->pdata[i], error), "cc=", error))
			return FALSE;
	if (is_new && fo->assign != NULL) {
		if (!soft(action_assign(act, t, NULL, fo->assign, error), "assign=", error))
			return FALSE;
	} else if (is_new && !action_route(act, t, am, error)) {
		return FALSE;
	}
	if (member != NULL && has_cmds)
		return member_commands(ing, act, t, member, cmds, am, is_new, error);
	if (member != NULL && !is_new)
		return *am->visible == '\0' || action_relay(act, t, member->address, am, error);
	if (!is_new && !automatic)
		return action_notify_update(act, t, am->from_address, am, error);
	return TRUE;
}

/* Whether SENDER may forward mail in for someone else: a member, or one
 * of [gateway] moderators (DESIGN.md: attributed by From; commands on it
 * run only when the mail is authenticated). */
static gboolean
is_forwarder(const config_t *cfg, const char *sender)
{
	g_autofree char *a = util_address_normalize(sender);

	return config_member(cfg, sender) != NULL ||
	       (a != NULL && cfg->moderators != NULL &&
		g_strv_contains((const char *const *)cfg->moderators, a));
}

/* The forward to attribute in MSG: the first with an author who is not
 * the forwarder nor one of our addresses; else the first (unattributed);
 * NULL when MSG forwards nothing. Borrowed from FORWARDS. */
static const mime_forward_t *
pick_forward(const config_t *cfg, GPtrArray *forwards, const char *sender)
{
	for (guint i = 0; i < forwards->len; i++) {
		const mime_forward_t *f = forwards->pdata[i];

		if (f->author_address != NULL && strcmp(f->author_address, sender) != 0 &&
		    !config_is_own_address(cfg, f->author_address))
			return f;
	}
	return forwards->len > 0 ? forwards->pdata[0] : NULL;
}

/* The ticket the forwarded message F is on already, 0 if none. */
static gint64
forward_ticket(ingest_t *ing, const mime_forward_t *f, GError **error)
{
	GError *local = NULL;
	gint64 t = 0;

	if (f->message_id != NULL)
		t = store_ticket_by_message_id(ing->st, f->message_id, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return -1;
	}
	return t;
}

/* A moderator's (or member's) forward: the ticket belongs to the original
 * author, the forwarder is recorded as such, their words above the
 * forward become an internal note (its #commands run when the mail is
 * authenticated), the author gets the ack threaded on the original. */
static gboolean
ingest_forward(ingest_t *ing, const mime_msg_t *msg, const mime_forward_t *f,
	       const char *data, gsize len, const char *hash, const char *sender,
	       gboolean authed, const config_group_t *group, const filter_outcome_t *fo,
	       const ingest_opts_t *opts, ingest_result_t *res, GError **error)
{
	const config_t *cfg = ing->cfg;
	const config_member_t *member = config_member(cfg, sender);
	const char *who = member ? member->address : sender;
	mime_address_t author = { f->author_name, f->author_address };
	gboolean attributed = f->author_address != NULL && strcmp(f->author_address, sender) != 0 &&
			      !config_is_own_address(cfg, f->author_address);
	action_t act = { cfg, ing->st, opts->quiet ? NULL : ing->notice, util_now() };
	g_autoptr(store_ticket_t) t = NULL;
	g_autoptr(template_vars_t) v = template_vars_new();
	g_auto(command_list_t) cmds = { 0 };
	g_autofree char *detail = NULL, *note = NULL;
	action_msg_t am = { 0 };
	gint64 existing;

	if ((existing = forward_ticket(ing, f, error)) < 0)
		return FALSE;
	if (existing > 0) {
		res->outcome = INGEST_FOLLOWUP;
		res->ticket = existing;
	} else {
		mime_address_t self = { msg->from ? msg->from->name : NULL, (char *)sender };

		res->ticket = new_ticket(ing, msg, f->subject, attributed ? &author : &self, group,
					 fo, 0, act.now, error);
		if (res->ticket == 0)
			return FALSE;
		res->outcome = INGEST_NEW;
	}
	if (!store_participant_add(ing->st, res->ticket, who, msg->from ? msg->from->name : NULL,
				   "forwarder", act.now, error))
		return FALSE;
	res->message = store_msg(ing, msg, data, len, hash, res->message_id, res->ticket,
				 "forward", f->body, "forward", TRUE, opts, act.now, error);
	if (res->message == 0 ||
	    (f->message_id != NULL &&
	     !store_message_id_add(ing->st, f->message_id, res->ticket, "in", error)))
		return FALSE;
	detail = attributed ? g_strdup_printf("forwarded by %s for %s (%s)", who, f->author_address,
					      f->style)
			    : g_strdup_printf("forwarded by %s; the original author could not be "
					      "found (%s)", who, f->style);
	if (!event_add(cfg, ing->st, res->ticket, act.now, "forward", who, detail, error) ||
	    (t = store_ticket_get(ing->st, res->ticket, error)) == NULL)
		return FALSE;
	/* The forwarder's words, and what could not be done, stay internal. */
	command_parse(f->note, &cmds);
	note = attributed ? g_strdup(cmds.rest)
			  : g_strdup_printf("The original author of this forward could not be "
					    "found: the ticket is opened for %s.%s%s", who,
					    *cmds.rest ? "\n\n" : "", cmds.rest);
	if (*note != '\0' && !action_note_store(&act, t, who, note, FALSE, NULL, error))
		return FALSE;
	am.message_id = res->message_id;
	am.from_name = f->author_name;
	am.from_address = f->author_address;
	am.subject = f->subject ? f->subject : msg->subject;
	am.visible = f->body;
	am.attachments = msg->attachments;
	if (existing > 0)
		return opts->quiet || action_notify_update(&act, t, who, &am, error);
	if (!opts->quiet && attributed && group->ack_forwarded &&
	    !send_notice(ing, "ack", res->ticket, &author, f->message_id, f->references, NULL,
			 error))
		return FALSE;
	if (opts->quiet)
		return TRUE;
	if (!action_route(&act, t, &am, error))
		return FALSE;
	if (authed && (cmds.commands->len > 0 || cmds.errors->len > 0))
		return member_commands(ing, &act, t, member, &cmds, &am, TRUE, error);
	/* The forwarder hears what became of it. */
	template_vars_set(v, "note", attributed
			  ? (cmds.commands->len > 0
			     ? "Your forward opened this ticket for its original author. Its "
			       "commands were not run: only authenticated mail runs commands."
			     : "Your forward opened this ticket for its original author, who "
			       "was sent an acknowledgement.")
			  : "Your forward opened this ticket, but its original author could not "
			    "be found, so the ticket is yours. Please forward the original as an "
			    "attachment, or answer the customer directly.");
	{
		notice_mail_t n = { 0 };
		gboolean queued;

		n.template_name = "receipt";
		n.ticket = t;
		n.to_address = who;
		n.to_name = member ? member->name : NULL;
		n.in_reply_to = res->message_id;
		n.vars = v;
		return notice_send(ing->notice, &n, &queued, error);
	}
}

/* The start (UTC) of the plan period that NOW falls in. */
static gint64
period_start(const char *period, gint64 now)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now);
	int month = g_date_time_get_month(t);
	g_autoptr(GDateTime) start = NULL;

	if (g_strcmp0(period, "month") != 0)
		month = g_strcmp0(period, "quarter") == 0 ? (month - 1) / 3 * 3 + 1 : 1;
	start = g_date_time_new_utc(g_date_time_get_year(t), month, 1, 0, 0, 0);
	return g_date_time_to_unix(start);
}

/* Check new ticket T against its organisation's plan: the plan must
 * reach T's group, and T must be within the quota of the period. If not,
 * the ticket is marked (event not-covered or over-quota, priority low, or
 * held unrouted with over_quota = hold); *REASON (NULL when neither) names
 * the event for the over-quota answer, which replaces the ack, and *HELD
 * says whether it is held. */
static gboolean
check_quota(ingest_t *ing, gint64 ticket, gint64 now, const char **reason, gboolean *held,
	    GError **error)
{
	g_autoptr(store_ticket_t) t = store_ticket_get(ing->st, ticket, error);
	const config_plan_t *plan;
	g_autofree char *why = NULL;
	g_autofree char *detail = NULL;
	gint64 n;

	*reason = NULL;
	*held = FALSE;
	if (t == NULL)
		return FALSE;
	plan = config_plan_for(ing->cfg, t->org);
	if (plan == NULL || t->org == NULL)
		return TRUE;
	if (!config_plan_reaches(plan, t->group)) {
		*reason = "not-covered";
		why = g_strdup_printf("group %s is not in plan %s of %s", t->group, plan->name,
				      t->org);
	} else if (plan->quota > 0) {
		if ((n = store_ticket_count_org(ing->st, t->org, period_start(plan->period, now),
						error)) < 0)
			return FALSE;
		if (n > plan->quota) {
			*reason = "over-quota";
			why = g_strdup_printf("ticket %" G_GINT64_FORMAT " of %s this %s, plan %s "
					      "allows %" G_GINT64_FORMAT, n, t->org, plan->period,
					      plan->name, plan->quota);
		}
	}
	if (*reason == NULL)
		return TRUE;
	*held = g_strcmp0(plan->over_quota, "hold") == 0;
	detail = g_strdup_printf("%s%s", why, *held ? "; held" : "; priority low");
	g_free(t->priority);
	t->priority = g_strdup("low");
	if (!*held) {
		action_t act = { ing->cfg, ing->st, NULL, now };

		/* Priority low has its own targets. */
		if (!store_ticket_update(ing->st, t, now, error) ||
		    !action_sla_recompute(&act, t, NULL, error))
			return FALSE;
	}
	return event_add(ing->cfg, ing->st, ticket, now, *reason, NULL, detail, error);
}

/* The over-quota answer, saying why (quota.reason): REASON is the event
 * check_quota() recorded. */
static gboolean
send_over_quota(ingest_t *ing, gint64 ticket, const char *reason,
		const mime_address_t *requester, const mime_msg_t *msg, const char *message_id,
		GError **error)
{
	g_autoptr(template_vars_t) v = template_vars_new();

	template_vars_set(v, "quota.reason", reason);
	template_vars_set(v, "quota.not_covered",
			  strcmp(reason, "not-covered") == 0 ? "yes" : NULL);
	return send_notice(ing, "over-quota", ticket, requester, message_id, msg->references,
			   v, error);
}

/* Whether DOMAIN is an [org:DOMAIN]: a customer the gateway knows. */
static gboolean
known_org(const config_t *cfg, const char *domain)
{
	for (guint i = 0; i < cfg->orgs->len; i++)
		if (g_ascii_strcasecmp(((config_org_t *)cfg->orgs->pdata[i])->domain, domain) == 0)
			return TRUE;
	return FALSE;
}

/* A flood of new tickets from one unknown sender or domain (a mail loop,
 * a script, a spam run) must not be answered every time: past
 * new_tickets_per_sender_per_hour or new_tickets_per_domain_per_hour the
 * mail is held in quarantine, where an operator sees it and may release
 * it, instead of opening a ticket, being acknowledged and offered to
 * members. Senders of an [org:] domain are known customers (their plan's
 * quota applies instead). *REASON is a new string when the mail is to be
 * held, NULL when it may open a ticket; FALSE on a store error. The flood
 * is recorded once an hour per sender or domain as an event "flood". */
static gboolean
flood_check(ingest_t *ing, const char *addr, gint64 now, char **reason, GError **error)
{
	const config_t *cfg = ing->cfg;
	const char *at = strrchr(addr, '@');
	g_autofree char *actor = NULL;
	gint64 n, events;

	*reason = NULL;
	if (at == NULL || known_org(cfg, at + 1))
		return TRUE;
	if (cfg->new_tickets_per_sender > 0) {
		if ((n = store_ticket_count_requester(ing->st, addr, now - 3600, error)) < 0)
			return FALSE;
		if (n >= cfg->new_tickets_per_sender) {
			actor = g_strdup(addr);
			*reason = g_strdup_printf("flood: %" G_GINT64_FORMAT " new tickets from %s in "
						  "the last hour (new_tickets_per_sender_per_hour)",
						  n, addr);
		}
	}
	if (*reason == NULL && cfg->new_tickets_per_domain > 0) {
		if ((n = store_ticket_count_org(ing->st, at + 1, now - 3600, error)) < 0)
			return FALSE;
		if (n >= cfg->new_tickets_per_domain) {
			actor = g_strdup(at);
			*reason = g_strdup_printf("flood: %" G_GINT64_FORMAT " new tickets from "
						  "domain %s in the last hour "
						  "(new_tickets_per_domain_per_hour)", n, at + 1);
		}
	}
	if (*reason == NULL)
		return TRUE;
	if ((events = store_event_count_unticketed(ing->st, "flood", actor, now - 3600,
						   error)) < 0 ||
	    (events == 0 && !event_add(cfg, ing->st, 0, now, "flood", actor, *reason, error))) {
		g_clear_pointer(reason, g_free);
		return FALSE;
	}
	if (events == 0)
		log_warn("%s: mail held in quarantine from now on", *reason);
	return TRUE;
}

/* Everything after parsing, inside the savepoint. */
static gboolean
ingest_parsed(ingest_t *ing, const mime_msg_t *msg, const char *data, gsize len,
	      const char *hash, const ingest_opts_t *opts, ingest_result_t *res,
	      GError **error)
{
	const config_t *cfg = ing->cfg;
	g_autoptr(GPtrArray) rcpts = recipients(msg, opts);
	const mime_address_t *requester = pick_requester(msg, cfg);
	const char *sender = msg->from && msg->from->addr ? msg->from->addr
							  : requester ? requester->addr : NULL;
	const config_group_t *group = pick_group(ing, msg, opts, rcpts);
	thread_input_t tin = { 0 };
	thread_result_t tr;
	gint64 now = util_now(), tag = 0, dup, ticket;
	GError *local = NULL;
	const char *kind, *why = NULL;
	gboolean automatic = is_automatic(msg, cfg, &why);
	g_autofree char *detail = NULL;
	const config_member_t *member;
	gboolean authed;
	g_auto(mime_text_split_t) split = { 0 };
	g_auto(command_list_t) cmds = { 0 };
	g_auto(filter_outcome_t) fo = { 0 };
	const char *over_quota = NULL;
	gboolean held = FALSE;

	res->message_id = msg->message_id
		? g_strdup(msg->message_id)
		: g_strdup_printf("%.32s@postdesk.invalid", hash);
	dup = store_message_find(ing->st, res->message_id, hash, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (dup > 0) {
		res->outcome = INGEST_DUPLICATE;
		res->message = dup;
		return TRUE;
	}
	if (is_bounce(msg, cfg))
		return ingest_bounce(ing, msg, data, len, hash, opts, res, error);
	if (sender == NULL)
		return quarantine(ing, data, len, hash, opts, msg,
				  "no sender address (no usable From, Reply-To or Sender)",
				  res, error);

	member = config_member(cfg, sender);
	tin.token_ticket = token_ticket(ing, rcpts, sender, member ? member->address : NULL);
	tin.reference_ticket = reference_ticket(ing, msg, error);
	if (tin.reference_ticket < 0)
		return FALSE;
	if (thread_subject_tag(msg->subject, cfg->tag, &tag) &&
	    store_ticket_exists(ing->st, tag)) {
		tin.tag_ticket = tag;
		tin.sender_on_tag_ticket = store_participant_has(ing->st, tag, sender);
	}
	thread_decide(&tin, &tr);

	/* A member's mail counts as one only when authenticated (DESIGN.md
	 * "Who is a member"); anything else is a customer's, whatever its
	 * From says, and its #lines are plain text. */
	authed = member != NULL &&
		 member_authenticated(ing, msg, sender, tr.how == THREAD_BY_TOKEN);
	mime_text_split(msg->text, -1, &split);
	command_parse(authed ? split.visible : NULL, &cmds);
	/* Filters judge customers' mail; members are trusted. */
	filter_outcome_init(&fo);
	if (!authed) {
		ingest_filter_message(ing->filters, msg, opts->recipient, split.visible, &fo);
		if (fo.drop || fo.spam) {
			g_autofree char *rules = join_strings(fo.matched, ", ");
			g_autofree char *reason = NULL;

			reason = g_strdup_printf("%s by filter rule %s", fo.spam ? "spam" : "dropped",
						 rules);
			return quarantine_silently(ing, data, len, hash, opts, msg, reason, res,
						   error);
		}
		if (group == NULL && fo.group != NULL)
			group = config_group(cfg, fo.group);
	}
	if (group == NULL)
		group = config_group(cfg, cfg->default_group);
	/* A forward from a moderator or member opens the ticket for the mail's
	 * original author; anyone else's forward is their own mail. */
	if (tr.how == THREAD_NEW && is_forwarder(cfg, sender)) {
		g_autoptr(GPtrArray) forwards = mime_forward_find(msg);
		const mime_forward_t *f = pick_forward(cfg, forwards, sender);

		if (f != NULL)
			return ingest_forward(ing, msg, f, data, len, hash, sender, authed, group,
					      &fo, opts, res, error);
	}
	kind = !authed ? "customer" : has_note(&cmds) ? "note" : "member";
	if ((opts->list_id != NULL || mime_msg_header(msg, "List-Id") != NULL) &&
	    g_strcmp0(kind, "customer") == 0)
		kind = "list";
	ticket = tr.ticket;
	if (tr.how != THREAD_NEW) {
		g_autoptr(store_ticket_t) t = merged_target(ing, ticket, error);
		thread_followup_t f;

		if (t == NULL)
			return FALSE;
		ticket = t->id;
		/* Agrees with close_after: what the timer would close is not
		 * reopened in the minute before it does. */
		f = thread_followup(t->state, t->resolved_at, now,
				    config_reopen_window(cfg, config_group(cfg, t->group)));
		if (f == THREAD_NEW_LINKED) {
			if (requester == NULL)
				requester = msg->from;
			ticket = new_ticket(ing, msg, NULL, requester, group, &fo, t->id, now, error);
			if (ticket == 0)
				return FALSE;
			res->outcome = INGEST_NEW;
		} else {
			res->outcome = INGEST_FOLLOWUP;
			/* A customer's answer reopens; a member's commands decide. */
			if (!authed && (f == THREAD_REOPEN || g_strcmp0(t->state, "waiting") == 0)) {
				action_t act = { cfg, ing->st, NULL, now };

				/* The customer answered: the ticket's clock runs again. */
				if (!action_set_state(&act, t, "open", sender, error))
					return FALSE;
			} else if (!store_ticket_touch(ing->st, ticket, now, error)) {
				return FALSE;
			}
			if (!authed && !automatic && strcmp(kind, "customer") == 0) {
				action_t act = { cfg, ing->st, NULL, now };

				/* After an answer, the next one is due (next_response). */
				if (!action_sla_customer(&act, t, error))
					return FALSE;
			}
			/* A subject tag alone from a stranger threads but does not make
			 * them a participant. */
			if (tr.verified &&
			    !store_participant_add(ing->st, ticket, authed ? member->address : sender,
						   authed ? member->name
							  : msg->from ? msg->from->name : NULL,
						   authed ? "member" : "cc", now, error))
				return FALSE;
		}
	} else {
		g_autofree char *flood = NULL;

		if (!authed && !opts->quiet && !opts->no_flood_limit &&
		    !flood_check(ing, requester ? requester->addr : sender, now, &flood, error))
			return FALSE;
		if (flood != NULL)
			return quarantine_silently(ing, data, len, hash, opts, msg, flood, res,
						   error);
		ticket = new_ticket(ing, msg, NULL, requester, group, &fo, 0, now, error);
		if (ticket == 0)
			return FALSE;
		res->outcome = INGEST_NEW;
	}
	res->ticket = ticket;
	res->message = store_msg(ing, msg, data, len, hash, res->message_id, ticket, kind,
				 split.visible, thread_how_name(tr.how), tr.verified, opts, now,
				 error);
	if (res->message == 0)
		return FALSE;
	detail = g_strdup_printf("%s mail <%s> by %s%s%s", kind, res->message_id,
				 thread_how_name(tr.how), tr.verified ? "" : " (unverified)",
				 automatic ? ", automatic" : "");
	if (!event_add(ing->cfg, ing->st, ticket, now, "message", sender, detail, error))
		return FALSE;
	if (res->outcome == INGEST_NEW && !opts->quiet &&
	    !check_quota(ing, ticket, now, &over_quota, &held, error))
		return FALSE;
	if (over_quota != NULL && !automatic && requester != NULL &&
	    !send_over_quota(ing, ticket, over_quota, requester, msg, res->message_id, error))
		return FALSE;
	/* List traffic is automatic mail, acknowledged only where the group
	 * asks for it (ack_lists). */
	if (res->outcome == INGEST_NEW && !opts->quiet && group->ack && !fo.noack &&
	    over_quota == NULL &&
	    (!automatic || (group->ack_lists && g_strcmp0(why, "List-Id") == 0)) &&
	    requester != NULL && !config_is_own_address(cfg, requester->addr) &&
	    !send_notice(ing, "ack", ticket, requester, res->message_id, msg->references, NULL,
			 error))
		return FALSE;
	if (!opts->quiet) {
		action_t act = { cfg, ing->st, ing->notice, now };
		action_msg_t am = { 0 };

		am.message_id = res->message_id;
		am.from_name = msg->from ? msg->from->name : NULL;
		am.from_address = sender;
		am.subject = msg->subject;
		am.visible = split.visible;
		am.attachments = msg->attachments;
		if (!after_store(ing, &act, &am, ticket, res->outcome == INGEST_NEW && !held,
				 authed ? member : NULL, &cmds, &fo, automatic, error))
			return FALSE;
	}
	log_debug("ingest", "ticket %" G_GINT64_FORMAT ": %s <%s> by %s", ticket,
		  res->outcome == INGEST_NEW ? "new" : "follow-up", res->message_id,
		  thread_how_name(tr.how));
	(void)why;
	return TRUE;
}

static gboolean
ingest_inner(ingest_t *ing, const char *data, gsize len, const char *hash,
	     const ingest_opts_t *opts, ingest_result_t *res, GError **error)
{
	g_autoptr(mime_msg_t) msg = NULL;
	g_autoptr(GError) perr = NULL;
	g_autofree char *reason = NULL;

	if (len > ing->cfg->max_message_size) {
		reason = g_strdup_printf("message is %" G_GSIZE_FORMAT " bytes, over "
					 "max_message_size (%" G_GUINT64_FORMAT ")",
					 len, ing->cfg->max_message_size);
		return quarantine(ing, data, len, hash, opts, NULL, reason, res, error);
	}
	msg = mime_parse(data, len, &ing->limits, &perr);
	if (msg == NULL) {
		if (perr->domain == PD_ERROR && perr->code == PD_ERROR_TEMP) {
			g_propagate_error(error, g_steal_pointer(&perr));
			return FALSE;
		}
		return quarantine(ing, data, len, hash, opts, NULL, perr->message, res, error);
	}
	return ingest_parsed(ing, msg, data, len, hash, opts, res, error);
}

gboolean
ingest_message(ingest_t *ing, const char *data, gsize len, const ingest_opts_t *opts,
	       ingest_result_t *res, GError **error)
{
	g_autofree char *hash = NULL;
	GError *local = NULL;

	memset(res, 0, sizeof *res);
	/* Postfix local(8) and some other MDAs put an mbox envelope line
	 * ("From sender date") before the header; it is not part of the
	 * RFC 5322 message. */
	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);

		if (nl != NULL) {
			len -= (gsize)(nl + 1 - data);
			data = nl + 1;
		}
	}
	if (len > ing->cfg->max_quarantine_size) {
		g_set_error(error, PD_ERROR, PD_ERROR_TOO_LARGE,
			    "message is %" G_GSIZE_FORMAT " bytes, over max_quarantine_size (%"
			    G_GUINT64_FORMAT "): refused", len, ing->cfg->max_quarantine_size);
		return FALSE;
	}
	hash = ingest_content_hash(data, len);
	if (!store_savepoint(ing->st, error))
		return FALSE;
	if (ingest_inner(ing, data, len, hash, opts, res, &local))
		return store_savepoint_release(ing->st, error);
	store_savepoint_rollback(ing->st);
	if (local->domain == PD_ERROR &&
	    (local->code == PD_ERROR_TEMP || local->code == PD_ERROR_TOO_LARGE)) {
		ingest_result_clear(res);
		g_propagate_error(error, local);
		return FALSE;
	}
	/* Anything else is a fault of ours with this mail: keep it whole in
	 * quarantine with the reason rather than bounce or lose it. */
	{
		g_autofree char *reason = g_strdup_printf("internal error: %s", local->message);

		g_error_free(local);
		ingest_result_clear(res);
		if (!store_savepoint(ing->st, error))
			return FALSE;
		if (!quarantine(ing, data, len, hash, opts, NULL, reason, res, error)) {
			store_savepoint_rollback(ing->st);
			ingest_result_clear(res);
			return FALSE;
		}
		return store_savepoint_release(ing->st, error);
	}
}

store_t *
ingest_store(ingest_t *ing)
{
	return ing->st;
}

void
ingest_defer_acks(ingest_t *ing)
{
	notice_defer(ing->notice, TRUE);
}

gboolean
ingest_one(ingest_t *ing, const char *data, gsize len, const ingest_opts_t *opts,
	   ingest_result_t *res, GError **error)
{
	if (!store_begin(ing->st, error))
		return FALSE;
	util_crash_point("ingest-begun");
	if (!ingest_message(ing, data, len, opts, res, error)) {
		store_rollback(ing->st);
		return FALSE;
	}
	util_crash_point("ingest-before-commit");
	if (!store_commit(ing->st, error)) {
		/* Nothing was stored (a full disk, say): no result to report. */
		ingest_result_clear(res);
		return FALSE;
	}
	return TRUE;
}

gboolean
ingest_release(ingest_t *ing, gint64 quarantine_id, ingest_result_t *res, GError **error)
{
	g_autoptr(store_quarantine_t) q = store_quarantine_get(ing->st, quarantine_id, error);
	g_autoptr(GBytes) raw = NULL;
	g_autofree char *hash = NULL;
	ingest_opts_t opts = { 0 };
	gsize len;
	const char *data;

	if (q == NULL)
		return FALSE;
	if (g_strcmp0(q->state, "held") != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "quarantined message %" G_GINT64_FORMAT " is %s, not held",
			    quarantine_id, q->state);
		return FALSE;
	}
	raw = store_raw_get(ing->st, q->raw_id, error);
	if (raw == NULL)
		return FALSE;
	data = g_bytes_get_data(raw, &len);
	opts.source = q->source;
	opts.recipient = q->recipient;
	opts.no_flood_limit = TRUE;
	memset(res, 0, sizeof *res);
	hash = ingest_content_hash(data, len);
	if (!store_begin(ing->st, error))
		return FALSE;
	/* Marked first, so the held entry is not taken for a duplicate of
	 * itself; rolled back if the message still fails. */
	if (!store_quarantine_set_state(ing->st, quarantine_id, "released", error)) {
		store_rollback(ing->st);
		return FALSE;
	}
	if (!ingest_inner(ing, data, len, hash, &opts, res, error) ||
	    res->outcome == INGEST_QUARANTINED || res->outcome == INGEST_DUPLICATE) {
		store_rollback(ing->st);
		if (error != NULL && *error == NULL)
			g_set_error(error, PD_ERROR, PD_ERROR_INPUT,
				    "quarantined message %" G_GINT64_FORMAT " still fails: %s",
				    quarantine_id, res->reason ? res->reason : "duplicate");
		return FALSE;
	}
	return store_commit(ing->st, error);
}
