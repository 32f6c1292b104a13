/* SPDX-License-Identifier: MIT
 * token.h: signed reply addresses. Pure: no I/O, no logging.
 *
 * A reply address is LOCAL+N-TOKEN@DOMAIN for the support address
 * LOCAL@DOMAIN, ticket N and TOKEN, the first 50 bits of
 *
 *	HMAC-SHA256(secret, "postdesk-reply-v1:" N ":" lower(recipient))
 *
 * in lower-case RFC 4648 base32 ("a".."z", "2".."7"), without padding: ten
 * characters. N is decimal without leading zeros; lower() is ASCII-only
 * (locale-independent), so any script can recompute a token, e.g.
 *	base64.b32encode(hmac.new(k, m, "sha256").digest())[:10].lower()
 * The "postdesk-reply-v1:" prefix keeps these MACs apart from any other use
 * of the same secret. The token proves that a reply comes from someone who
 * received mail about ticket N sent to RECIPIENT. */
#ifndef POSTDESK_TOKEN_H
#define POSTDESK_TOKEN_H
#include <glib.h>

#define TOKEN_LEN 10                           /* characters of a token */
#define TOKEN_TICKET_MAX G_GINT64_CONSTANT(9007199254740992) /* 2^53 */
#define TOKEN_ADDRESS_MAX 254                  /* RFC 5321 4.5.3.1.3, less <> */

/* New token string (TOKEN_LEN characters; caller frees with g_free) for
 * TICKET and RECIPIENT (an addr-spec) under KEY (KEYLEN bytes).
 * KEY must be non-empty, TICKET in 1..TOKEN_TICKET_MAX and RECIPIENT not
 * NULL: callers pass the configured secret and stored values, so anything
 * else is a bug (g_assert). */
char *token_make(const guint8 *key, gsize keylen, gint64 ticket,
		 const char *recipient);

/* TRUE when TOKEN is the token of TICKET and RECIPIENT under KEY.
 * TOKEN is compared case-insensitively (some MTAs fold local parts) and
 * in constant time. FALSE for a NULL or malformed TOKEN or RECIPIENT, or a
 * TICKET out of range. KEY as for token_make(). */
gboolean token_verify(const guint8 *key, gsize keylen, gint64 ticket,
		      const char *recipient, const char *token);

/* "LOCAL+N-TOKEN@DOMAIN" from SUPPORT_ADDRESS "LOCAL@DOMAIN" (split at its
 * last '@'). New string, caller frees with g_free. SUPPORT_ADDRESS comes
 * from the config and must hold an '@' with text on both sides; TICKET
 * must be in range and TOKEN a token (g_assert). */
char *token_reply_address(const char *support_address, gint64 ticket,
			  const char *token);

/* Parse ADDRESS (a bare addr-spec of at most TOKEN_ADDRESS_MAX bytes).
 * TRUE with *TICKET and *TOKEN (new, lower-cased, caller frees with
 * g_free) when it is LOCAL+N-TOKEN@DOMAIN for one of SUPPORT_ADDRESSES
 * (NULL-terminated, "LOCAL@DOMAIN"). LOCAL and DOMAIN compare ASCII
 * case-insensitively; N must be digits only, without leading zeros, in
 * 1..TOKEN_TICKET_MAX; TOKEN exactly TOKEN_LEN base32 characters (either
 * case). FALSE otherwise, leaving *TICKET and *TOKEN untouched. Parsing
 * says nothing about validity: check the token with token_verify(). */
gboolean token_parse_address(const char *address,
			     const char *const *support_addresses,
			     gint64 *ticket, char **token);
#endif
