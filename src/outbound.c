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

char *
outbound_enqueue(store_t *st, const config_t *cfg, gint64 ticket, const char *kind,
		 const char *template_name, const char *mail_from, const char *const *rcpts,
		 GMimeMessage *msg, GError **error)
{
	g_autofree char *mid = make_message_id(cfg, ticket);
	g_autofree char *rcpt = g_strjoinv("\n", (char **)rcpts);
	g_autofree char *text = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(util_now());
	g_autofree char *hash = NULL;
	InternetAddressList *from;
	store_outbound_t o = { 0 };
	store_message_t m = { 0 };

	g_mime_message_set_message_id(msg, mid);
	g_mime_message_set_date(msg, now);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0", NULL);
	/* Recognised on the way in: mail we sent never gets an answer. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Postdesk-Loop", cfg->support_address,
				 NULL);
	bytes = template_message_to_bytes(msg);
	o.ticket_id = ticket;
	o.message_id = mid;
	o.template_name = (char *)template_name;
	o.mail_from = (char *)mail_from;
	o.rcpt = rcpt;
	o.bytes = bytes;
	o.created = util_now();
	if (store_outbound_add(st, &o, error) == 0)
		return NULL;
	if (ticket == 0)
		return g_steal_pointer(&mid);
	text = message_text(msg);
	hash = util_sha256_hex(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	from = g_mime_message_get_from(msg);
	m.ticket_id = ticket;
	m.direction = (char *)"out";
	m.kind = (char *)kind;
	m.message_id = mid;
	m.content_hash = hash;
	if (from != NULL && internet_address_list_length(from) > 0) {
		InternetAddress *a = internet_address_list_get_address(from, 0);

		m.from_name = (char *)internet_address_get_name(a);
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			m.from_address = (char *)internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(a));
	}
	m.subject = (char *)g_mime_message_get_subject(msg);
	m.date = o.created;
	m.received = o.created;
	m.text = text;
	m.visible = text;
	m.verified = TRUE;
	m.threaded_by = (char *)"sent";
	m.source = (char *)template_name;
	if (store_message_insert(st, &m, error) == 0 ||
	    !store_message_id_add(st, mid, ticket, "out", error))
		return NULL;
	return g_steal_pointer(&mid);
}

