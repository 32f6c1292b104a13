/* SPDX-License-Identifier: MIT
 * template.h: render templates/ into RFC 5322 messages. Pure: no I/O but
 * template_set_load(), no logging, no database.
 *
 * A template file NAME.tmpl is a message: header lines ("Subject: ...",
 * continuation lines start with white space; a line holding only a
 * {{! comment }} is skipped), a blank line, the body. NAME.html.tmpl beside
 * it is an HTML body only (no header part) for a multipart/alternative
 * part. Language variants live in LANG/NAME.tmpl.
 *
 * The language is logic-less, after mustache:
 *	{{name}}		value of NAME ("ticket.id": dotted names)
 *	{{#name}}...{{/name}}	once for each item of list NAME, names
 *				resolving in the item first, then outwards;
 *				once when NAME is a non-empty string
 *	{{^name}}...{{/name}}	when NAME is missing, "" or an empty list
 *	{{! comment }}		nothing
 * A section or comment tag alone on a line takes the line with it.
 * Values are escaped for where they land: in a header, control
 * characters (CR and LF included) become spaces, encoded-word look-alikes
 * are decoded first, and non-ASCII is RFC 2047 encoded by GMime. In
 * From/To/Cc/Bcc/Reply-To/Sender a value inside <...> or standing alone
 * between commas must be a plain addr-spec (else the render fails), one
 * inside the template's own "..." is backslash-escaped, and any other is
 * quoted as (part of) a display name; a header left with nothing but
 * punctuation ("Name <addr>" with both empty) is left out. In an HTML
 * body values are HTML-escaped; in a text body they go in as they are. */
#ifndef POSTDESK_TEMPLATE_H
#define POSTDESK_TEMPLATE_H
#include <glib.h>
#include <gmime/gmime.h>

#define TEMPLATE_MAX_OUTPUT (1024 * 1024) /* rendered bytes, default cap */
#define TEMPLATE_MAX_FILE (1024 * 1024)   /* bytes of one template file */
#define TEMPLATE_MAX_DEPTH 32             /* nested sections */

typedef struct template template_t; /* one parsed file */

/* Parse LEN bytes of TEXT (LEN < 0: NUL-terminated) read from FILE. FILE
 * names the template in messages; when it ends in ".html.tmpl" TEXT is an
 * HTML body only, else headers, blank line, body. CRLF counts as LF.
 * Returns a new template (free with template_free), or NULL with
 * PD_ERROR_CONFIG "FILE:LINE: msg": invalid UTF-8, a header line that is
 * not "Name: value", a header postdesk sets itself (MIME-Version,
 * Content-Type, Content-Transfer-Encoding) or one given twice that may
 * appear once, an unterminated tag, unknown tag syntax, a section not
 * closed or closed by the wrong name, sections nested deeper than
 * TEMPLATE_MAX_DEPTH. Unknown variables are template_check()'s job. */
template_t *template_parse(const char *file, const char *text, gssize len,
			   GError **error);
void template_free(template_t *tpl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(template_t, template_free)

/* FILE as given to template_parse(). Borrowed, valid until template_free. */
const char *template_file(const template_t *tpl);
/* TRUE for an HTML body template (".html.tmpl"). */
gboolean template_is_html(const template_t *tpl);

/* Append every problem of TPL (a variable or section name not in the table
 * of known variables nor a field of an enclosing list, a list used as a
 * plain value) to PROBLEMS as a new string "FILE:LINE: msg" (PROBLEMS
 * frees with g_free). TRUE when there is none. */
gboolean template_check(const template_t *tpl, GPtrArray *problems);

/* Values for rendering: names to strings or to lists of nested values. */
typedef struct template_vars template_vars_t;

/* New empty set of values (free with template_vars_free). */
template_vars_t *template_vars_new(void);
void template_vars_free(template_vars_t *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(template_vars_t, template_vars_free)

/* Set NAME (dotted names allowed: "ticket.id") to a copy of VALUE,
 * replacing a string or list of that name. NULL VALUE means "". Invalid
 * UTF-8 is replaced by U+FFFD. */
void template_vars_set(template_vars_t *v, const char *name, const char *value);
/* Set NAME to VALUE in decimal. */
void template_vars_set_int(template_vars_t *v, const char *name, gint64 value);
/* Append a new empty item to the list LIST (created when missing; a string
 * of that name is replaced) and return it to be filled in. Borrowed, owned
 * by V. */
template_vars_t *template_vars_append(template_vars_t *v, const char *list);
/* The string NAME in V itself (not outer scopes), or NULL when missing or
 * a list. Borrowed, valid until NAME is set again or V is freed. */
const char *template_vars_get(const template_vars_t *v, const char *name);

/* Render TEXT (a message template) and HTML (an HTML body template, or
 * NULL) with VARS (NULL: no values) into a new message (caller unrefs with
 * g_object_unref). The headers of TEXT are set through GMime, in the
 * order GMime gives them: From/To/Cc/Bcc/Reply-To/Sender parsed as address
 * lists, Subject and the rest with charset utf-8; a header whose value
 * renders empty is left out. The body is a text/plain part in UTF-8, or
 * multipart/alternative of that and a text/html part; each is 7bit when it
 * can be, else quoted-printable (lines CRLF when written with
 * template_message_to_bytes). Date and Message-Id are the caller's.
 * GMime is initialised (mime_init()) if it was not yet.
 * MAX_OUTPUT (0: TEMPLATE_MAX_OUTPUT) caps the rendered bytes, headers and
 * bodies together. NULL with PD_ERROR_INPUT "FILE:LINE: msg" when over the
 * cap (or the rendering is too much work: nested lists), or when an
 * address header gets a value that is not a mail address. */
GMimeMessage *template_render(const template_t *text, const template_t *html,
			      const template_vars_t *vars, gsize max_output,
			      GError **error);

/* MSG as RFC 5322 bytes with CRLF line ends, as SMTP wants. New bytes,
 * caller frees with g_bytes_unref. */
GBytes *template_message_to_bytes(GMimeMessage *msg);

/* A directory set: OVERRIDE searched before INSTALLED. */
typedef struct template_set template_set_t;

/* Parse every NAME.tmpl and NAME.html.tmpl in OVERRIDE_DIR and
 * INSTALLED_DIR (either may be NULL) and in their language subdirectories
 * (names like "de" or "pt-BR"; other files and directories are ignored).
 * Returns a new set (free with template_set_free), or NULL with
 * PD_ERROR_CONFIG listing every problem, one "FILE:LINE: msg" a line: a
 * directory that cannot be read, a file that cannot be read or is over
 * TEMPLATE_MAX_FILE, a parse error, an HTML template without its
 * NAME.tmpl. */
template_set_t *template_set_load(const char *override_dir,
				  const char *installed_dir, GError **error);
void template_set_free(template_set_t *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(template_set_t, template_set_free)

/* The template NAME for LANG ("pt-BR" tries pt-BR, then pt, then the
 * default; NULL or "" the default; case and "_" for "-" do not matter),
 * the override directory winning within one language. *HTML (HTML may be
 * NULL) is set to the NAME.html.tmpl from the same directory, or NULL.
 * Borrowed, valid until template_set_free; NULL when there is none. */
const template_t *template_set_get(const template_set_t *set, const char *name,
				   const char *lang, const template_t **html);

/* template_check() on every template of SET, plus a message template with
 * no Subject header. Problems appended as there, sorted by file. TRUE
 * when none. */
gboolean template_set_check(const template_set_t *set, GPtrArray *problems);
#endif
