/* SPDX-License-Identifier: MIT
 * notice.c: see notice.h. RFC 3834 (Auto-Submitted), RFC 5322 3.6.4
 * (In-Reply-To, References). */
#include "autodefs.h"
#include <string.h>
#include "error.h"
#include "json.h"
#include "log.h"
#include "mime.h"
#include "notice.h"
#include "outbound.h"
#include "sla.h"
#include "thread.h"
#include "token.h"
#include "util.h"
#include "banned.h"

#define NOTICE_WRITE_BATCH 200   /* kept notices written per transaction */

struct notice {
	const config_t *cfg;
	store_t *st;
	GBytes *secret;
	template_set_t *templates;
	gboolean defer;         /* automatic answers wait in notices */
	GHashTable *warned;     /* gint64* ids of kept notices that failed */
};

char *
notice_installed_dir(const char *what)
{
	const char *env = g_getenv("POSTDESK_DATADIR");

	return g_build_filename(env != NULL && *env != '\0' ? env : DATADIR, what, NULL);
}

char *
notice_template_dir(const config_t *cfg)
{
	g_autofree char *beside = NULL;

	if (cfg->templates != NULL)
		return g_strdup(cfg->templates);
	beside = util_path_relative_to(cfg->path, "templates");
	if (g_file_test(beside, G_FILE_TEST_IS_DIR))
		return g_steal_pointer(&beside);
	return NULL;
}

notice_t *
notice_new(const config_t *cfg, store_t *st, GBytes *secret, GError **error)
{
	g_autoptr(notice_t) n = g_new0(notice_t, 1);
	g_autofree char *over = notice_template_dir(cfg);
	g_autofree char *inst = notice_installed_dir("templates");

	/* Not installed (a build tree): the override must have them all. */
	if (over != NULL && !g_file_test(inst, G_FILE_TEST_IS_DIR))
		g_clear_pointer(&inst, g_free);

	mime_init();  /* rendering builds GMime messages */
	n->cfg = cfg;
	n->st = st;
	n->secret = g_bytes_ref(secret);
	n->warned = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	n->templates = template_set_load(over, inst, error);
	if (n->templates == NULL)
		return NULL;
	return g_steal_pointer(&n);
}

void
notice_free(notice_t *n)
{
	if (n == NULL)
		return;
	if (n->secret != NULL)
		g_bytes_unref(n->secret);
	template_set_free(n->templates);
	g_hash_table_unref(n->warned);
	g_free(n);
}

static void
set_ticket_vars(notice_t *n, template_vars_t *v, const store_ticket_t *t, const char *to)
{
	const config_group_t *g = config_group(n->cfg, t->group);
	const config_member_t *owner = t->owner ? config_member(n->cfg, t->owner) : NULL;
	g_autofree char *tagged = thread_subject_tagged(t->subject, n->cfg->tag, t->id);
	g_autofree char *created = json_format_time(t->created);
	const config_plan_t *plan;

	template_vars_set_int(v, "ticket.id", t->id);
	template_vars_set(v, "ticket.subject", t->subject);
	template_vars_set(v, "ticket.tagged_subject", tagged);
	template_vars_set(v, "ticket.state", t->state);
	template_vars_set(v, "ticket.group", t->group);
	template_vars_set(v, "ticket.group_name", g ? g->display_name : t->group);
	template_vars_set(v, "ticket.group_address",
			  g && g->addresses && g->addresses[0] ? g->addresses[0]
							     : n->cfg->support_address);
	template_vars_set(v, "ticket.priority", t->priority);
	template_vars_set_int(v, "ticket.tier", t->tier);
	template_vars_set(v, "ticket.owner", t->owner);
	template_vars_set(v, "ticket.owner_name", owner ? owner->name : NULL);
	template_vars_set(v, "ticket.created", created);
	template_vars_set(v, "ticket.requester_name", t->requester_name);
	template_vars_set(v, "ticket.requester_address", t->requester_address);
	plan = config_plan_for(n->cfg, t->org);
	template_vars_set(v, "ticket.plan", plan ? plan->name : NULL);
	template_vars_set(v, "ticket.engagement", plan ? plan->engagement : NULL);
	if (t->due_at != 0 && t->paused_at == 0 && g != NULL && g->calendar != NULL) {
		/* In the recipient's terms: a member's own zone, else the group's. */
		const config_member_t *rm = to ? config_member(n->cfg, to) : NULL;
		g_autofree char *when = sla_phrase(g->calendar, t->due_at, util_now(),
						   rm ? rm->timezone : NULL,
						   t->language ? t->language : n->cfg->language);
		const char *lang = t->language ? t->language : n->cfg->language;
		g_autofree char *by = g_strdup_printf("%s %s",
						      g_str_has_prefix(lang, "de") ? "bis" : "by",
						      when);

		template_vars_set(v, "ticket.due", by);
	}
}

/* Make MSG's body multipart/mixed of its body and ATTACHMENTS
 * (mime_attachment_t*), each base64. */
static void
attach(GMimeMessage *msg, GPtrArray *attachments)
{
	g_autoptr(GMimeMultipart) mixed = NULL;

	if (attachments == NULL || attachments->len == 0)
		return;
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, g_mime_message_get_body(msg));
	for (guint i = 0; i < attachments->len; i++) {
		const mime_attachment_t *a = attachments->pdata[i];
		g_autoptr(GMimeContentType) ct = g_mime_content_type_parse(
			NULL, a->content_type ? a->content_type : "application/octet-stream");
		g_autoptr(GMimePart) part = g_mime_part_new();
		gsize len;
		const void *data = g_bytes_get_data(a->content, &len);
		g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(data, len);
		g_autoptr(GMimeDataWrapper) w = g_mime_data_wrapper_new_with_stream(
			stream, GMIME_CONTENT_ENCODING_DEFAULT);

		g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
		g_mime_part_set_content(part, w);
		g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
		g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
		if (a->filename != NULL)
			g_mime_part_set_filename(part, a->filename);
		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
}

/* The signed reply address for ADDRESS on TICKET. New string. */
static char *
reply_address(notice_t *n, gint64 ticket, const char *address)
{
	gsize keylen;
	const guint8 *key = g_bytes_get_data(n->secret, &keylen);
	g_autofree char *token = token_make(key, keylen, ticket, address);

	return token_reply_address(n->cfg->support_address, ticket, token);
}

char *
notice_reply_address(notice_t *n, gint64 ticket, const char *address)
{
	return reply_address(n, ticket, address);
}

/* Render M with TEXT (and HTML) into a mail ready to queue (no
 * database), or NULL (*ERROR set). */
static outbound_mail_t *
notice_render(notice_t *n, const notice_mail_t *m, const template_t *text,
	      const template_t *html, GError **error)
{
	const config_t *cfg = n->cfg;
	const store_ticket_t *t = m->ticket;
	g_autoptr(template_vars_t) own = m->vars ? NULL : template_vars_new();
	template_vars_t *v = m->vars ? m->vars : own;
	g_autofree char *reply = NULL;
	GMimeMessage *msg;
	const char *rcpts[] = { m->to_address, NULL };
	outbound_mail_t *om;

	template_vars_set(v, "gateway.support_address", cfg->support_address);
	template_vars_set(v, "gateway.tag", cfg->tag);
	template_vars_set(v, "gateway.name", cfg->name);
	template_vars_set(v, "recipient.address", m->to_address);
	template_vars_set(v, "recipient.name", m->to_name);
	if (t != NULL) {
		set_ticket_vars(n, v, t, m->to_address);
		reply = reply_address(n, t->id, m->to_address);
		template_vars_set(v, "reply_address", reply);
	} else {
		template_vars_set(v, "reply_address", cfg->support_address);
	}
	msg = template_render(text, html, v, cfg->max_template_output, error);
	if (msg == NULL) {
		g_prefix_error(error, "template %s to %s (max_template_output): ", m->template_name,
			       m->to_address);
		return NULL;
	}
	attach(msg, m->attachments);
	/* Every mail about a ticket carries its tag, whatever the template. */
	if (t != NULL) {
		const char *subject = g_mime_message_get_subject(msg);
		gint64 tagged;

		if (subject == NULL || !thread_subject_tag(subject, cfg->tag, &tagged) ||
		    tagged != t->id) {
			g_autofree char *s = thread_subject_tagged(subject ? subject : t->subject,
								   cfg->tag, t->id);

			g_mime_message_set_subject(msg, s, "utf-8");
		}
	}
	if (m->in_reply_to != NULL) {
		g_autofree char *irt = g_strdup_printf("<%s>", m->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", irt, NULL);
	}
	if (m->references != NULL || m->in_reply_to != NULL) {
		g_autoptr(GString) r = g_string_new(NULL);

		for (guint i = 0; m->references != NULL && i < m->references->len; i++)
			g_string_append_printf(r, "%s<%s>", r->len ? " " : "",
					       (char *)m->references->pdata[i]);
		if (m->in_reply_to != NULL)
			g_string_append_printf(r, "%s<%s>", r->len ? " " : "", m->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", r->str, NULL);
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 m->automatic ? "auto-replied" : "auto-generated", NULL);
	om = outbound_prepare(cfg, t ? t->id : 0, m->kind ? m->kind : "system", m->template_name,
			      cfg->support_address, rcpts, msg);
	g_object_unref(msg);
	return om;
}

/* Render M and queue it in the caller's transaction; *MID the queued
 * mail's Message-ID. */
static gboolean
notice_write(notice_t *n, const notice_mail_t *m, const template_t *text,
	     const template_t *html, char **mid, GError **error)
{
	g_autoptr(outbound_mail_t) om = notice_render(n, m, text, html, error);

	*mid = om ? g_strdup(outbound_queue(n->st, om, error)) : NULL;
	return *mid != NULL;
}

/* The templates of M, or NULL (*ERROR set). */
static const template_t *
notice_templates(notice_t *n, const notice_mail_t *m, const template_t **html, GError **error)
{
	const store_ticket_t *t = m->ticket;
	const template_t *text = template_set_get(n->templates, m->template_name,
						  t && t->language ? t->language : n->cfg->language,
						  html);

	if (text == NULL)
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "no template \"%s\"",
			    m->template_name);
	return text;
}

void
notice_defer(notice_t *n, gboolean defer)
{
	n->defer = defer;
}

/* Keep M for notice_write_due: only what the notices table can hold (a
 * ticket's mail with the usual variables and no attachments). */
static gboolean
notice_keep(notice_t *n, const notice_mail_t *m, gint64 now, GError **error)
{
	g_autoptr(GString) refs = g_string_new(NULL);
	store_notice_t row = { 0 };

	for (guint i = 0; m->references != NULL && i < m->references->len; i++)
		g_string_append_printf(refs, "%s%s", refs->len ? " " : "",
				       (char *)m->references->pdata[i]);
	row.template_name = (char *)m->template_name;
	row.ticket_id = m->ticket->id;
	row.to_address = (char *)m->to_address;
	row.to_name = (char *)m->to_name;
	row.kind = (char *)(m->kind ? m->kind : "system");
	row.in_reply_to = (char *)m->in_reply_to;
	row.refs = refs->len > 0 ? refs->str : NULL;
	row.automatic = m->automatic;
	row.at = now;
	return store_notice_add(n->st, &row, error);
}

gboolean
notice_send(notice_t *n, const notice_mail_t *m, gboolean *queued, GError **error)
{
	const config_t *cfg = n->cfg;
	const template_t *html = NULL;
	const template_t *text = notice_templates(n, m, &html, error);
	g_autofree char *mid = NULL;
	gint64 now = util_now();

	*queued = FALSE;
	if (text == NULL)
		return FALSE;
	if (m->automatic) {
		gint64 sent = store_auto_reply_count(n->st, m->to_address, now - 3600, error);

		if (sent < 0)
			return FALSE;
		if (sent >= cfg->auto_replies_per_hour) {
			log_info("no %s to %s: %" G_GINT64_FORMAT " automatic mails in the last "
				 "hour (auto_replies_per_hour)",
				 m->template_name, m->to_address, sent);
			return TRUE;
		}
	}
	if (n->defer && m->automatic && m->ticket != NULL && m->vars == NULL &&
	    m->attachments == NULL) {
		if (!notice_keep(n, m, now, error))
			return FALSE;
	} else if (!notice_write(n, m, text, html, &mid, error)) {
		return FALSE;
	}
	if (m->automatic && !store_auto_reply_add(n->st, m->to_address, now, error))
		return FALSE;
	*queued = TRUE;
	log_debug("notice", "%s to %s %s <%s>", m->template_name, m->to_address,
		  mid ? "queued as" : "to be written", mid ? mid : "");
	return TRUE;
}

/* The mail of the kept notice D, rendered outside any transaction, or
 * NULL: *GONE when its ticket is gone, else *ERROR set. */
static outbound_mail_t *
notice_render_kept(notice_t *n, const store_notice_t *d, gboolean *gone, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(store_ticket_t) t = store_ticket_get(n->st, d->ticket_id, &local);
	g_auto(GStrv) refs = d->refs ? g_strsplit(d->refs, " ", -1) : NULL;
	g_autoptr(GPtrArray) ref_array = g_ptr_array_new();
	notice_mail_t m = { 0 };
	const template_t *html = NULL, *text;

	*gone = t == NULL && g_error_matches(local, PD_ERROR, PD_ERROR_NOT_FOUND);
	if (t == NULL) {
		if (!*gone)
			g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	for (guint i = 0; refs != NULL && refs[i] != NULL; i++)
		g_ptr_array_add(ref_array, refs[i]);
	m.template_name = d->template_name;
	m.ticket = t;
	m.to_address = d->to_address;
	m.to_name = d->to_name;
	m.kind = d->kind;
	m.in_reply_to = d->in_reply_to;
	m.references = ref_array->len > 0 ? ref_array : NULL;
	m.automatic = d->automatic;
	text = notice_templates(n, &m, &html, error);
	return text ? notice_render(n, &m, text, html, error) : NULL;
}

/* Render the kept notices DUE (outside any transaction): an array as
 * long, each a mail to queue or NULL, and in TAKE whether each row is to
 * be taken. One that cannot be rendered (a template gone or wrong since
 * it was kept, output over max_template_output) stays kept (not taken),
 * counted in status, warned about once per process: it holds back no
 * other. A ticket gone takes its notice with it (taken, no mail, a
 * warning). NULL when the store failed. */
static GPtrArray *
notice_render_due(notice_t *n, GPtrArray *due, gboolean *take, GError **error)
{
	g_autoptr(GPtrArray) mails = g_ptr_array_new_with_free_func(
		(GDestroyNotify)outbound_mail_free);

	for (guint i = 0; i < due->len; i++) {
		const store_notice_t *d = due->pdata[i];
		g_autoptr(GError) local = NULL;
		gboolean is_gone;
		outbound_mail_t *om = notice_render_kept(n, d, &is_gone, &local);

		g_ptr_array_add(mails, om);
		take[i] = om != NULL || is_gone;
		if (om != NULL)
			continue;
		if (is_gone) {
			log_warn("%s to %s not written: ticket %" G_GINT64_FORMAT " is gone",
				 d->template_name, d->to_address, d->ticket_id);
		} else if (!g_error_matches(local, PD_ERROR, PD_ERROR_CONFIG) &&
			   !g_error_matches(local, PD_ERROR, PD_ERROR_INPUT)) {
			g_propagate_prefixed_error(error, g_steal_pointer(&local),
						   "notice %" G_GINT64_FORMAT " (%s to %s): ", d->id,
						   d->template_name, d->to_address);
			return NULL;
		} else if (g_hash_table_add(n->warned, g_memdup2(&d->id, sizeof d->id))) {
			log_warn("notice %" G_GINT64_FORMAT " (%s to %s) stays unwritten: %s",
				 d->id, d->template_name, d->to_address, local->message);
		}
	}
	return g_steal_pointer(&mails);
}

gboolean
notice_write_due(notice_t *n, gint64 *after, guint limit, guint *seen, GError **error)
{
	g_autoptr(GPtrArray) due = store_notice_due(n->st, *after, limit, error);
	g_autoptr(GPtrArray) mails = NULL;
	g_autofree gboolean *take = NULL;
	guint written = 0;
	gboolean ok;

	*seen = 0;
	if (due == NULL)
		return FALSE;
	/* Nearly always none: no transaction for that. */
	if (due->len == 0)
		return TRUE;
	/* Rendering is most of the work: it is done before the transaction,
	 * so that the write lock is held only to store the mails. */
	take = g_new0(gboolean, due->len);
	mails = notice_render_due(n, due, take, error);
	if (mails == NULL)
		return FALSE;
	*after = ((store_notice_t *)due->pdata[due->len - 1])->id;
	*seen = due->len;
	if (!store_begin(n->st, error))
		return FALSE;
	ok = TRUE;
	for (guint i = 0; ok && i < due->len; i++) {
		const store_notice_t *d = due->pdata[i];
		gint64 took;

		if (!take[i])
			continue;
		/* Taken by another writer (queue --flush beside run) meanwhile:
		 * that one wrote it. */
		took = store_notice_take(n->st, d->id, error);
		ok = took >= 0 && (took == 0 || mails->pdata[i] == NULL ||
				   outbound_queue(n->st, mails->pdata[i], error) != NULL);
		written += took > 0;
	}
	if (!ok) {
		store_rollback(n->st);
		return FALSE;
	}
	if (written == 0) {
		store_rollback(n->st);
		return TRUE;
	}
	if (!store_commit(n->st, error)) {
		store_rollback(n->st);
		return FALSE;
	}
	return TRUE;
}

gboolean
notice_write_all(notice_t *n, GError **error)
{
	gint64 after = 0;
	guint seen = NOTICE_WRITE_BATCH;

	while (seen == NOTICE_WRITE_BATCH)
		if (!notice_write_due(n, &after, NOTICE_WRITE_BATCH, &seen, error))
			return FALSE;
	return TRUE;
}
