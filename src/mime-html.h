/* SPDX-License-Identifier: MIT
 * mime-html.h: turn an HTML mail body into readable plain text. Pure. */
#ifndef POSTDESK_MIME_HTML_H
#define POSTDESK_MIME_HTML_H
#include <glib.h>

/* Readable text from LEN bytes of UTF-8 HTML (LEN < 0: NUL-terminated).
 * Block elements end lines, <br> breaks a line, list items start with
 * "- ", a link whose text differs from its target reads "text <url>",
 * lines inside <blockquote> start with "> " (one per level) so the quote
 * stripper treats them as quoted, <script>, <style> and <head> are
 * dropped, entities are decoded and white space is collapsed (kept inside
 * <pre>). Hostile input is fine: nesting, output size and time are
 * bounded (the output is at most about twice the input), and the result
 * is valid UTF-8. Never NULL: new string, caller frees with g_free(). */
char *mime_html_to_text(const char *html, gssize len);
#endif
