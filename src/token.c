/* SPDX-License-Identifier: MIT
 * token.c: reply-address tokens, HMAC-SHA256 (GHmac, RFC 2104) truncated
 * to 50 bits and written in RFC 4648 base32, and the LOCAL+N-TOKEN@DOMAIN
 * addresses that carry them (RFC 5233 subaddressing). Pure: the secret is
 * passed in, nothing is read, logged or stored here. */
#include "autodefs.h"
#include <string.h>
#include "token.h"
#include "banned.h"

#define TOKEN_CONTEXT "postdesk-reply-v1:"
#define TICKET_DIGITS_MAX 16 /* digits of TOKEN_TICKET_MAX */

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static gboolean
is_base32(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '2' && c <= '7');
}

/* TRUE when TOKEN is exactly TOKEN_LEN base32 characters (either case).
 * Reads at most TOKEN_LEN + 1 bytes. */
static gboolean
token_is_wellformed(const char *token)
{
	for (gsize i = 0; i < TOKEN_LEN; i++)
		if (!is_base32(token[i]))
			return FALSE;
	return token[TOKEN_LEN] == '\0';
}

/* Write the TOKEN_LEN characters of the token (no NUL) into OUT. */
static void
token_compute(const guint8 *key, gsize keylen, gint64 ticket,
	      const char *recipient, char out[TOKEN_LEN])
{
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
	g_autofree char *lower = g_ascii_strdown(recipient, -1);
	g_autofree char *head = g_strdup_printf(TOKEN_CONTEXT "%" G_GINT64_FORMAT ":",
						ticket);
	guint8 digest[32];
	gsize digest_len = sizeof digest;
	guint64 bits = 0;

	g_hmac_update(hmac, (const guchar *)head, strlen(head));
	g_hmac_update(hmac, (const guchar *)lower, strlen(lower));
	g_hmac_get_digest(hmac, digest, &digest_len);
	g_assert(digest_len == sizeof digest);

	/* The first 50 bits, most significant first, as base32 does. */
	for (gsize i = 0; i < 8; i++)
		bits = (bits << 8) | digest[i];
	for (gsize i = 0; i < TOKEN_LEN; i++)
		out[i] = base32_alphabet[(bits >> (64 - 5 * (i + 1))) & 31];
	memset(digest, 0, sizeof digest);
}

char *
token_make(const guint8 *key, gsize keylen, gint64 ticket,
	   const char *recipient)
{
	char *token = g_malloc(TOKEN_LEN + 1);

	g_assert(key != NULL && keylen > 0);
	g_assert(ticket >= 1 && ticket <= TOKEN_TICKET_MAX);
	g_assert(recipient != NULL);
	token_compute(key, keylen, ticket, recipient, token);
	token[TOKEN_LEN] = '\0';
	return token;
}

gboolean
token_verify(const guint8 *key, gsize keylen, gint64 ticket,
	     const char *recipient, const char *token)
{
	char expected[TOKEN_LEN];
	guint diff = 0;

	g_assert(key != NULL && keylen > 0);
	if (recipient == NULL || token == NULL || !token_is_wellformed(token))
		return FALSE;
	if (ticket < 1 || ticket > TOKEN_TICKET_MAX)
		return FALSE;
	token_compute(key, keylen, ticket, recipient, expected);
	/* Constant time: every byte is compared, whatever differs first. */
	for (gsize i = 0; i < TOKEN_LEN; i++)
		diff |= (guint)(guchar)(expected[i] ^ g_ascii_tolower(token[i]));
	memset(expected, 0, sizeof expected);
	return diff == 0;
}

char *
token_reply_address(const char *support_address, gint64 ticket,
		    const char *token)
{
	const char *at;
	g_autofree char *lower = NULL;

	g_assert(support_address != NULL);
	at = strrchr(support_address, '@');
	g_assert(at != NULL && at > support_address && at[1] != '\0');
	g_assert(ticket >= 1 && ticket <= TOKEN_TICKET_MAX);
	g_assert(token != NULL && token_is_wellformed(token));
	lower = g_ascii_strdown(token, -1);
	return g_strdup_printf("%.*s+%" G_GINT64_FORMAT "-%s%s",
			       (int)(at - support_address), support_address,
			       ticket, lower, at);
}

/* Parse REST ("N-TOKEN", REST_LEN bytes, not NUL-terminated). */
static gboolean
parse_ticket_token(const char *rest, gsize rest_len, gint64 *ticket,
		   char **token)
{
	gsize ndigits = 0;
	gint64 n = 0;

	while (ndigits < rest_len && g_ascii_isdigit(rest[ndigits]))
		ndigits++;
	/* Canonical numbers only: what token_reply_address() writes. */
	if (ndigits == 0 || ndigits > TICKET_DIGITS_MAX || rest[0] == '0')
		return FALSE;
	if (rest_len != ndigits + 1 + TOKEN_LEN || rest[ndigits] != '-')
		return FALSE;
	for (gsize i = 0; i < TOKEN_LEN; i++)
		if (!is_base32(rest[ndigits + 1 + i]))
			return FALSE;
	for (gsize i = 0; i < ndigits; i++)
		n = n * 10 + (rest[i] - '0'); /* 16 digits cannot overflow */
	if (n > TOKEN_TICKET_MAX)
		return FALSE;
	*ticket = n;
	*token = g_ascii_strdown(rest + ndigits + 1, TOKEN_LEN);
	return TRUE;
}

gboolean
token_parse_address(const char *address, const char *const *support_addresses,
		    gint64 *ticket, char **token)
{
	const char *at;
	const char *domain;
	gsize len = 0;
	gsize local_len;

	if (address == NULL || support_addresses == NULL)
		return FALSE;
	while (len <= TOKEN_ADDRESS_MAX && address[len] != '\0')
		len++;
	if (len > TOKEN_ADDRESS_MAX)
		return FALSE;
	at = strrchr(address, '@');
	if (at == NULL)
		return FALSE;
	local_len = (gsize)(at - address);
	domain = at + 1;
	if (*domain == '\0')
		return FALSE;

	for (gsize i = 0; support_addresses[i] != NULL; i++) {
		const char *s = support_addresses[i];
		const char *s_at = strrchr(s, '@');
		gsize s_len;

		if (s_at == NULL || s_at == s)
			continue;
		s_len = (gsize)(s_at - s);
		if (g_ascii_strcasecmp(domain, s_at + 1) != 0)
			continue;
		if (local_len <= s_len + 1 || address[s_len] != '+' ||
		    g_ascii_strncasecmp(address, s, s_len) != 0)
			continue;
		if (parse_ticket_token(address + s_len + 1,
				       local_len - s_len - 1, ticket, token))
			return TRUE;
	}
	return FALSE;
}
