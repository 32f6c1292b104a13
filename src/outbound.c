/* SPDX-License-Identifier: MIT
 * outbound.c: queueing outbound mail (see outbound.h; sending is in
 * outbound-flush.c). RFC 5322 section
 * 3.6.4 (Message-ID), RFC 3834 (the loop header we add and recognise). */
#include "autodefs.h"
#include <string.h>
#include "error.h"
#include "outbound.h"
#include "template.h"
#include "util.h"
#include "banned.h"

gint64
outbound_backoff(gint64 attempts, double random)
{
	gint64 base = 60;

	for (gint64 i = 0; i < attempts && base < 6 * 3600; i++)
		base *= 2;
	if (base > 6 * 3600)
		base = 6 * 3600;
	/* Jitter spreads retries so a recovered server is not hit by the
	 * whole queue at once. */
	return base + (gint64)(base * 0.25 * random);
}

/* Our Message-IDs: unique without coordination, and carrying the ticket
 * so a human reading headers can tell where a mail belongs. */
static char *
make_message_id(const config_t *cfg, gint64 ticket)
{
	const char *domain = strrchr(cfg->support_address, '@') + 1;
	guint8 rnd[9];
	g_autofree char *hex = NULL;

	for (gsize i = 0; i < sizeof rnd; i++)
		rnd[i] = (guint8)g_random_int_range(0, 256);
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA1, rnd, sizeof rnd);
	return g_strdup_printf("pd.%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%.16s@%s", ticket,
			       util_now(), hex, domain);
}

/* The text of MSG's first text/plain part, for the ticket's history. */
static char *
message_text(GMimeMessage *msg)
{
	GMimeObject *body = g_mime_message_get_body(msg);

	if (GMIME_IS_MULTIPART(body) && g_mime_multipart_get_count(GMIME_MULTIPART(body)) > 0)
		body = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	if (GMIME_IS_MULTIPART(body) && g_mime_multipart_get_count(GMIME_MULTIPART(body)) > 0)
		body = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	if (GMIME_IS_TEXT_PART(body))
		return g_mime_text_part_get_text(GMIME_TEXT_PART(body));
	return g_strdup("");
}

struct outbound_mail {
	store_outbound_t o;     /* the queue's row */
	store_message_t m;      /* the ticket's history row (a ticket's mail) */
	/* What the rows point to. */
	char *mid, *rcpt, *template_name, *mail_from, *kind, *text, *hash, *from_name,
		*from_address, *subject;
	GBytes *bytes;
};

void
outbound_mail_free(outbound_mail_t *om)
{
	if (om == NULL)
		return;
	g_free(om->mid);
	g_free(om->rcpt);
	g_free(om->template_name);
	g_free(om->mail_from);
	g_free(om->kind);
	g_free(om->text);
	g_free(om->hash);
	g_free(om->from_name);
	g_free(om->from_address);
	g_free(om->subject);
	if (om->bytes != NULL)
		g_bytes_unref(om->bytes);
	g_free(om);
}

outbound_mail_t *
outbound_prepare(const config_t *cfg, gint64 ticket, const char *kind, const char *template_name,
		 const char *mail_from, const char *const *rcpts, GMimeMessage *msg)
{
	outbound_mail_t *om = g_new0(outbound_mail_t, 1);
	g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(util_now());
	InternetAddressList *from;

	om->mid = make_message_id(cfg, ticket);
	om->rcpt = g_strjoinv("\n", (char **)rcpts);
	om->template_name = g_strdup(template_name);
	om->mail_from = g_strdup(mail_from);
	om->kind = g_strdup(kind);
	g_mime_message_set_message_id(msg, om->mid);
	g_mime_message_set_date(msg, now);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0", NULL);
	/* Recognised on the way in: mail we sent never gets an answer. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Postdesk-Loop", cfg->support_address,
				 NULL);
	om->bytes = template_message_to_bytes(msg);
	om->o.ticket_id = ticket;
	om->o.message_id = om->mid;
	om->o.template_name = om->template_name;
	om->o.mail_from = om->mail_from;
	om->o.rcpt = om->rcpt;
	om->o.bytes = om->bytes;
	om->o.created = util_now();
	if (ticket == 0)
		return om;
	om->text = message_text(msg);
	om->hash = util_sha256_hex(g_bytes_get_data(om->bytes, NULL), g_bytes_get_size(om->bytes));
	from = g_mime_message_get_from(msg);
	if (from != NULL && internet_address_list_length(from) > 0) {
		InternetAddress *a = internet_address_list_get_address(from, 0);

		om->from_name = g_strdup(internet_address_get_name(a));
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			om->from_address = g_strdup(internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(a)));
	}
	om->subject = g_strdup(g_mime_message_get_subject(msg));
	om->m.ticket_id = ticket;
	om->m.direction = (char *)"out";
	om->m.kind = om->kind;
	om->m.message_id = om->mid;
	om->m.content_hash = om->hash;
	om->m.from_name = om->from_name;
	om->m.from_address = om->from_address;
	om->m.subject = om->subject;
	om->m.date = om->o.created;
	om->m.received = om->o.created;
	om->m.text = om->text;
	om->m.visible = om->text;
	om->m.verified = TRUE;
	om->m.threaded_by = (char *)"sent";
	om->m.source = om->template_name;
	return om;
}

const char *
outbound_queue(store_t *st, const outbound_mail_t *om, GError **error)
{
	if (store_outbound_add(st, &om->o, error) == 0)
		return NULL;
	if (om->o.ticket_id != 0 &&
	    (store_message_insert(st, &om->m, error) == 0 ||
	     !store_message_id_add(st, om->mid, om->o.ticket_id, "out", error)))
		return NULL;
	return om->mid;
}

