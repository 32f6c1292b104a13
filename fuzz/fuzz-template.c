/* SPDX-License-Identifier: MIT
 * fuzz-template.c: a template file (template.c): parse it as a message
 * template and as an HTML body, check it, and render it with a fixed set
 * of values that try to break out of where they land (CR LF, encoded
 * words, quotes, angle brackets, non-ASCII). */
#include "autodefs.h"
#include <string.h>
#include "fuzz.h"
#include "mime.h"
#include "template.h"
#include "banned.h"

/* Rendering is capped below TEMPLATE_MAX_OUTPUT to keep runs fast. */
#define FUZZ_MAX_OUTPUT (64 * 1024)

static const char *const fuzz_values[][2] = {
	{ "ticket.id", "12" },
	{ "ticket.subject", "Invoice \"2024\" <wrong>\r\nInjected-Header: yes" },
	{ "ticket.tagged_subject", "[Support #12] =?utf-8?q?Injected-Header=3A_yes?=" },
	{ "ticket.state", "open" },
	{ "ticket.group", "support" },
	{ "ticket.group_name", "Süppört, \"Team\"" },
	{ "ticket.group_address", "support@example.org" },
	{ "ticket.priority", "high" },
	{ "ticket.tier", "2" },
	{ "ticket.owner", "alice@example.org" },
	{ "ticket.owner_name", "Alice <alice@example.org>" },
	{ "ticket.requester_address", "bob@example.com" },
	{ "ticket.requester_name", "Bob \\\" O'Brien\nInjected-Header: yes" },
	{ "ticket.due", "2024-01-08 10:00" },
	{ "gateway.name", "Example Support" },
	{ "gateway.support_address", "support@example.org" },
	{ "gateway.tag", "Support" },
	{ "reply_address", "support+12-abcdefghij@example.org" },
	{ "recipient.address", "bob@example.com" },
	{ "recipient.name", "Bob, \"B\" <x@y>" },
	{ "message.subject", "Re: héllo\r\n\r\nbody injection" },
	{ "message.visible", "line one\r\n.\r\nline three <b>&amp;</b>" },
	{ "message.from_address", "bob@example.com" },
	{ "message.from_name", "=?iso-8859-1?q?B=F6b?=" },
	{ "message.date", "Mon, 8 Jan 2024 10:15:00 +0100" },
	{ "member.name", "Alice" },
	{ "note", "internal\tnote" },
	{ "reason", "too large" },
};

static template_vars_t *
fuzz_vars(void)
{
	template_vars_t *v = template_vars_new();

	for (gsize i = 0; i < G_N_ELEMENTS(fuzz_values); i++)
		template_vars_set(v, fuzz_values[i][0], fuzz_values[i][1]);
	for (int i = 1; i <= 3; i++) {
		template_vars_t *t = template_vars_append(v, "tickets");
		template_vars_t *a = template_vars_append(v, "attachments");

		template_vars_set_int(t, "id", i);
		template_vars_set(t, "subject", i == 2 ? "" : "Subject \xc3\xa9\r\nX: y");
		template_vars_set(t, "state", "open");
		template_vars_set(t, "age", "3 days");
		template_vars_set(a, "filename", "../../etc/passwd\r\n.txt");
		template_vars_set(a, "size_human", "12 KiB");
	}
	return v;
}

/* The header part of BYTES (up to the first empty line) never holds a
 * header that came from a value. */
static void
fuzz_check_headers(GBytes *bytes, gboolean template_says_it)
{
	gsize len;
	const char *p = g_bytes_get_data(bytes, &len);
	g_autofree char *text = g_strndup(p, len);
	char *end = strstr(text, "\r\n\r\n");

	if (end != NULL)
		*end = '\0';
	if (!template_says_it)
		FUZZ_CHECK(strstr(text, "\nInjected-Header:") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(template_t) text = NULL;
	g_autoptr(template_t) html = NULL;
	g_autoptr(template_vars_t) vars = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *input = NULL;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	text = template_parse("fuzz.tmpl", (const char *)data, (gssize)size, &error);
	g_clear_error(&error);
	html = template_parse("fuzz.html.tmpl", (const char *)data, (gssize)size, &error);
	g_clear_error(&error);
	if (html != NULL)
		(void)template_check(html, problems);
	if (text == NULL)
		return 0;
	(void)template_check(text, problems);
	vars = fuzz_vars();
	msg = template_render(text, html, vars, FUZZ_MAX_OUTPUT, &error);
	if (msg == NULL) {
		FUZZ_CHECK(error != NULL);
		return 0;
	}
	bytes = template_message_to_bytes(msg);
	input = g_strndup((const char *)data, size);
	fuzz_check_headers(bytes, strstr(input, "njected") != NULL);
	return 0;
}
