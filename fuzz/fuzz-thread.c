/* SPDX-License-Identifier: MIT
 * fuzz-thread.c: subject tags, subject cleaning and reply tokens
 * (thread.c, token.c). The input is "TAG\nSUBJECT" (a first line that
 * thread_tag_valid() takes is the tag) or a subject alone with the tag "Support";
 * the subject doubles as a recipient address and as a reply address. */
#include "autodefs.h"
#include <string.h>
#include "fuzz.h"
#include "thread.h"
#include "token.h"
#include "banned.h"

static const guint8 fuzz_key[] = "fuzz-secret-0123456789";
static const char *const fuzz_support[] = {
	"support@example.org", "help+desk@example.net", NULL
};

/* Subject work: a header-safe result, and a tagged subject carries its
 * own ticket back (the reply from a customer threads by it). */
static void
fuzz_subject(const char *subject, const char *tag)
{
	g_autofree char *clean = thread_subject_clean(subject, tag);
	g_autofree char *tagged = NULL;
	g_autofree char *fixed = NULL;
	gint64 ticket = 0;
	gint64 back = 0;

	FUZZ_CHECK(strpbrk(clean, "\r\n") == NULL);
	FUZZ_CHECK(g_utf8_validate(clean, -1, NULL));
	if (!thread_subject_tag(subject, tag, &ticket))
		ticket = 42;
	FUZZ_CHECK(ticket >= 1 && ticket <= THREAD_TICKET_MAX);
	tagged = thread_subject_tagged(subject, tag, ticket);
	FUZZ_CHECK(strpbrk(tagged, "\r\n") == NULL);
	FUZZ_CHECK(thread_subject_tag(tagged, tag, &back) && back == ticket);
	fixed = thread_subject_tagged(subject, "Support", 4711);
	FUZZ_CHECK(thread_subject_tag(fixed, "Support", &back) && back == 4711);
}

/* Reply tokens: whatever address they are made for, the reply address
 * parses back to the same ticket and token, which verifies. */
static void
fuzz_token(const char *address)
{
	g_autofree char *token = token_make(fuzz_key, sizeof fuzz_key - 1, 4711, address);
	g_autofree char *reply = token_reply_address(fuzz_support[0], 4711, token);
	g_autofree char *parsed = NULL;
	g_autofree char *found = NULL;
	gint64 ticket = 0;

	FUZZ_CHECK(token_verify(fuzz_key, sizeof fuzz_key - 1, 4711, address, token));
	FUZZ_CHECK(token_parse_address(reply, fuzz_support, &ticket, &parsed));
	FUZZ_CHECK(ticket == 4711 && strcmp(parsed, token) == 0);
	ticket = 0;
	if (token_parse_address(address, fuzz_support, &ticket, &found)) {
		FUZZ_CHECK(ticket >= 1 && ticket <= TOKEN_TICKET_MAX);
		FUZZ_CHECK(strlen(found) == TOKEN_LEN);
		(void)token_verify(fuzz_key, sizeof fuzz_key - 1, ticket, "a@example.com", found);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = NULL;
	g_autofree char *tag = NULL;
	const char *subject;
	char *nl;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	text = g_strndup((const char *)data, size);
	nl = strchr(text, '\n');
	if (nl != NULL && nl > text && nl - text <= THREAD_TAG_MAX)
		tag = g_strndup(text, (gsize)(nl - text));
	/* The config refuses other tags (a CR in one broke the header). */
	if (tag != NULL && thread_tag_valid(tag)) {
		subject = nl + 1;
	} else {
		g_free(tag);
		tag = g_strdup("Support");
		subject = text;
	}
	fuzz_subject(subject, tag);
	fuzz_token(subject);
	return 0;
}
