/* SPDX-License-Identifier: MIT
 * mime-forward.h: find forwarded mail in a message and say who wrote it.
 * A forward is a message/rfc822 part ("forward as attachment") or an
 * inline forward as mail clients write it: Gmail ("---------- Forwarded
 * message ---------"), Outlook desktop and web ("-----Original
 * Message-----", a line of underscores, From:/Sent:/To:/Subject: blocks),
 * Apple Mail ("Begin forwarded message:"), Thunderbird ("--------
 * Forwarded Message --------"), mutt/neomutt ("----- Forwarded message
 * from ... -----"), K-9 Mail and FairEmail ("-------- Original Message
 * --------"), in the languages these clients are localised to. Pure: it
 * reads text and the plain values of a parsed mime_msg_t; it decides
 * nothing about tickets or moderators (ingest does). */
#ifndef POSTDESK_MIME_FORWARD_H
#define POSTDESK_MIME_FORWARD_H
#include <glib.h>
#include "mime.h"

typedef struct {
	char *style;           /* "attached" (message/rfc822), "gmail",
				* "outlook", "apple", "thunderbird", "mutt",
				* "k9" (K-9 Mail, FairEmail), "generic" */
	char *author_name;     /* original author, UTF-8, or NULL */
	char *author_address;  /* normalised as mime addresses are (domain
				* lower-cased), or NULL when it cannot be found */
	char *date_text;       /* the date as written, or NULL */
	gint64 date;           /* Unix seconds when it could be parsed, else 0 */
	char *subject;         /* original subject, or NULL */
	char *message_id;      /* original Message-ID without <> when the forward
				* carries it (attached forwards, mutt and some
				* Thunderbird inline ones), else NULL */
	GPtrArray *references; /* char *, without <>: the original's References
				* then its In-Reply-To (when not already there);
				* never NULL, often empty */
	char *body;            /* the original message's text, never NULL */
	char *note;            /* the forwarder's own words above the forward,
				* trimmed, "" when none; a signature below a
				* "-- " line is cut off */
} mime_forward_t;

/* Free F and everything in it. F may be NULL. */
void mime_forward_free(mime_forward_t *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mime_forward_t, mime_forward_free)

/* The first (outermost) inline forward in TEXT (UTF-8, LF or CRLF line
 * ends, NULL counts as ""), or NULL when TEXT holds none. Not forwards: a
 * reply whose history is quoted ("On ... wrote:" then "> " lines, even
 * when the quoted mail was itself a forward), a lone "From:" line in
 * running text or a signature. Outlook writes the same From:/Sent:/To:/
 * Subject: block above a reply's history as above a forward, so such a
 * reply is found as an "outlook" forward: callers that must tell them
 * apart look at the subject ("RE:" or "FW:") and at who sent the mail. A
 * forward of which no author can be read (no From: line, or one without
 * an address) is returned with author_address NULL. All strings are valid
 * UTF-8 (invalid bytes of TEXT become U+FFFD). Bounded work on any input: the start of a forward is
 * looked for in the first MIME_FORWARD_SCAN_LINES lines, a header block is
 * at most MIME_FORWARD_HEADER_LINES lines, and lines longer than
 * MIME_FORWARD_LINE_MAX bytes are never markers or header fields. New
 * forward, caller frees with mime_forward_free(). */
#define MIME_FORWARD_SCAN_LINES 20000
#define MIME_FORWARD_HEADER_LINES 60
#define MIME_FORWARD_LINE_MAX 1000
mime_forward_t *mime_forward_parse_text(const char *text);

/* Every forward in MSG (borrowed): one per message/rfc822 part
 * (msg->embedded), in order, with style "attached", the author, date,
 * subject, Message-ID and references from the embedded message's headers
 * and as note the text of MSG itself; when MSG has no such part, the
 * inline forward of msg->text, if any. A multipart/report (a bounce or
 * receipt: the returned message is not a forward) has none; the messages
 * of a multipart/digest are message/rfc822 parts and count. New array of
 * mime_forward_t * that frees them, caller unrefs; empty when none. */
GPtrArray *mime_forward_find(const mime_msg_t *msg);

/* Parse a date as mail clients write it in a forward's header block:
 * RFC 5322 ("Mon, 8 Jan 2024 10:15:00 +0100"), Gmail ("Mon, Jan 8, 2024
 * at 10:15 AM"), Outlook ("Monday, January 8, 2024 10:15 AM"), Apple
 * ("8 January 2024 at 10:15:00 CET"), Java/K-9 ("Mon Jan 08 10:15:00 CET
 * 2024"), ISO 8601 ("2024-01-08 10:15"), in English. A missing time is
 * midnight, a missing zone UTC; the common zone abbreviations, "GMT+1"
 * and numeric offsets are understood. TRUE with *SECS set (Unix seconds),
 * FALSE for anything else (other languages, "08/01/2024": day and month
 * cannot be told apart) or text over 200 bytes. */
gboolean mime_forward_parse_date(const char *text, gint64 *secs);
#endif
