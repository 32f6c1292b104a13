/* SPDX-License-Identifier: MIT
 * mime.h: parse one RFC 5322 message with GMime into plain values: decoded
 * headers, addresses, the body as UTF-8 text, attachments and forwarded
 * messages. Everything from mail is hostile: every size has a cap in
 * mime_limits_t, and bad input gives PD_ERROR_INPUT, never a crash. */
#ifndef POSTDESK_MIME_H
#define POSTDESK_MIME_H
#include <glib.h>
#include <gmime/gmime.h>

/* GMime 3 ships no g_autoptr() cleanups; these are the project's only
 * ones (STYLE section 4). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimePart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMultipart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessagePart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeContentType, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeContentDisposition, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeReferences, g_mime_references_free)

typedef struct {
	gsize max_message_size;    /* default 50 MiB */
	gsize max_attachment_size; /* default 25 MiB (decoded size of one attachment) */
	guint max_depth;           /* MIME nesting, default 32 */
	guint max_parts;           /* default 1000 */
	guint max_headers;         /* header fields per entity, default 1000 */
	gsize max_header_length;   /* one unfolded header field, default 64 KiB */
	gsize max_text_size;       /* decoded text kept per message, default 4 MiB
				    * (truncated, with a note) */
	char **fallback_charsets;  /* NULL-terminated, borrowed; NULL means
				    * {"windows-1252", "iso-8859-1"} */
	gsize max_decoded_total;   /* all decoded bytes kept for one message,
				    * forwards included; default 100 MiB (two
				    * copies of a message at the size cap) */
} mime_limits_t;

/* Fill LIM with the defaults above. */
void mime_limits_init(mime_limits_t *lim);

typedef struct {
	char *name; /* display name, UTF-8, or NULL */
	char *addr; /* local part as written, domain lower-cased */
} mime_address_t;

typedef struct {
	char *filename;     /* UTF-8 (RFC 2231/2047 decoded), may be NULL */
	char *content_type; /* lower-case "type/subtype" */
	char *content_id;   /* without <>, may be NULL */
	gboolean is_inline;
	gsize size;         /* decoded size */
	GBytes *content;    /* decoded bytes */
} mime_attachment_t;

typedef struct mime_msg mime_msg_t;
struct mime_msg {
	char *message_id;         /* without <>, NULL when absent or empty */
	char *subject;            /* decoded UTF-8, "" when absent */
	mime_address_t *from;     /* first From mailbox, NULL when absent/unparseable */
	mime_address_t *reply_to; /* first Reply-To mailbox or NULL */
	mime_address_t *sender;   /* Sender mailbox or NULL */
	GPtrArray *to, *cc;       /* of mime_address_t *, never NULL */
	char *in_reply_to;        /* first id of In-Reply-To, without <>, or NULL */
	GPtrArray *references;    /* char * ids without <>, in order, never NULL */
	gint64 date;              /* Unix seconds, 0 when missing or unparseable */
	char *text;               /* the body as UTF-8 text, never NULL: the
				   * text/plain parts that are not attachments,
				   * joined; when there is none, the HTML body
				   * turned into text. LF line ends. */
	gboolean text_from_html;
	char *html;               /* the HTML body decoded to UTF-8, or NULL */
	GPtrArray *attachments;   /* mime_attachment_t *, never NULL; a
				   * message/rfc822 part is one too (content:
				   * the embedded message's bytes) */
	GPtrArray *embedded;      /* mime_msg_t * parsed from message/rfc822
				   * parts (forwards), never NULL */
	char *content_language;   /* or NULL */
	gboolean is_report;       /* multipart/report (DSN/MDN) */
	char *report_type;        /* "delivery-status", "disposition-notification"
				   * or NULL */
	GPtrArray *notes;         /* char *: what was repaired or guessed, never
				   * NULL ("subject: 8-bit bytes decoded as
				   * windows-1252", "text truncated at 4 MiB") */

	/* private: the GMime tree, for header lookups */
	GMimeMessage *gmime;
	GMimeParserOptions *options;
	char *hint_charset;       /* charset of the first text part */
	char **fallbacks;
	GHashTable *header_cache; /* lower-case name -> decoded value */
};

/* Once per process before any parse; safe to call again (and from any
 * thread). mime_parse() calls it too. */
void mime_init(void);

/* Parse LEN bytes of DATA (borrowed; the result keeps a copy). LIM may be
 * NULL for the defaults. Returns a new message (free with mime_msg_free),
 * or NULL with PD_ERROR_TOO_LARGE when LEN > max_message_size (checked
 * before anything else), or PD_ERROR_INPUT "why" when the input cannot
 * become a message: empty, no header at all or binary garbage, nesting
 * over max_depth, more than max_parts parts, an attachment over
 * max_attachment_size, a header over max_headers/max_header_length,
 * decoded content over max_decoded_total. Forwarded message/rfc822 parts
 * are parsed within the same depth and part budget; one that cannot be
 * parsed stays an attachment, with a note. */
mime_msg_t *mime_parse(const char *data, gsize len, const mime_limits_t *lim,
		       GError **error);
void mime_msg_free(mime_msg_t *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mime_msg_t, mime_msg_free)

/* Decoded UTF-8 value of the first header NAME (case-insensitive) of the
 * message (its Content-* headers included), unfolded, with control
 * characters turned into spaces; NULL if absent. Borrowed, valid until
 * mime_msg_free(MSG). */
const char *mime_msg_header(const mime_msg_t *msg, const char *name);
/* Every value of header NAME, top to bottom, decoded as above. New array
 * of new strings (free with g_ptr_array_unref), empty when absent. */
GPtrArray *mime_msg_headers(const mime_msg_t *msg, const char *name);


/* Decode LEN bytes of text (LEN < 0: NUL-terminated) in CHARSET (a MIME
 * label, may be NULL) to UTF-8, as body parts are: the label is trusted
 * unless the bytes are invalid in it, else uchardet guesses, else
 * FALLBACKS (NULL: the defaults) are tried. *USED (may be NULL) gets the
 * iconv name of the charset used ("UTF-8" when bytes were only made
 * valid), new string. NULs are dropped. Never NULL: new valid UTF-8. */
char *mime_charset_decode(const char *data, gssize len, const char *charset,
			  char *const *fallbacks, char **used);
#endif
