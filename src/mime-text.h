/* SPDX-License-Identifier: MIT
 * mime-text.h: split the decoded text of a reply into what its author newly
 * wrote (the visible reply) and what the mail client appended: quoted
 * history, attribution lines ("On ... wrote:", in many languages),
 * forwarded or Outlook header blocks, signatures ("-- ", RFC 3676 section
 * 4.3) and mobile taglines ("Sent from my iPhone"). Pure: no I/O, no
 * logging. Input is plain text, not MIME: mime.c decodes first. */
#ifndef POSTDESK_MIME_TEXT_H
#define POSTDESK_MIME_TEXT_H
#include <glib.h>

typedef struct {
	char *visible;  /* newly written text, without leading and trailing
			 * blank lines; new, freed by _clear */
	char *hidden;   /* what was cut off (quotes, quote headers, signatures),
			 * "" if none; new, freed by _clear */
	gboolean has_quote;     /* quoted history or an attribution was cut */
	gboolean has_signature; /* the text was cut at a signature separator,
				 * a mobile tagline or a mailing-list footer */
} mime_text_split_t;

/* Split TEXT (LEN bytes, or -1 for NUL-terminated; NULL counts as "").
 * TEXT is UTF-8 and may contain invalid bytes: they are passed through
 * unchanged. CRLF and lone CR become LF and NUL bytes become U+FFFD, so
 * both results are ordinary C strings with LF line ends.
 *
 * Cut, in the order they appear:
 * - a signature separator ("-- " or "--" alone on a line), a mobile
 *   tagline ("Sent from my iPhone", "Von meinem iPhone gesendet", "Get
 *   Outlook for iOS", ...) or a line of underscores (Outlook, list
 *   footers): the rest is hidden;
 * - a help desk's "Please type your reply above this line": the rest is
 *   hidden, wherever it is;
 * - "-----Original Message-----"/"Forwarded message" separators and
 *   From:/Sent:/To:/Subject: blocks (localised): the rest is hidden; at
 *   the very start (a forward) only the marker is;
 * - an attribution ("On <date>, <who> wrote:" and its equivalents in
 *   other languages and clients, possibly wrapped over several lines):
 *   - over unquoted history: the rest is hidden (at the very start, the
 *     attribution only);
 *   - over a quote that ends the message: the rest is hidden;
 *   - over a quote followed by text and then more quotes (an inline
 *     reply): the attribution only;
 *   - over a quote followed by text and no more quotes: at the very start
 *     (a bottom-posted reply) the attribution and the quote; after the
 *     author's text the rest, as the text is trailing matter under a
 *     top-posted reply (unless the message started bottom-posted);
 * - quoted lines (">", "Name>") and blank or "-----" lines at the end.
 *   Quotes followed by text are kept; a message of quotes alone is kept.
 * Lines inside ``` fences are never taken for quotes or signatures.
 *
 * OUT is overwritten (it need not be initialised). Time and memory are
 * linear in LEN: every pattern runs on a bounded window of short lines
 * under a PCRE2 match limit. */
void mime_text_split(const char *text, gssize len, mime_text_split_t *out);

/* Free the strings of SPLIT and zero it. SPLIT may be NULL or zeroed. */
void mime_text_split_clear(mime_text_split_t *split);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mime_text_split_t, mime_text_split_clear)

/* Convenience: the visible part only (as mime_text_split()). Never NULL:
 * new string, caller frees with g_free(). */
char *mime_text_visible(const char *text, gssize len);
#endif
