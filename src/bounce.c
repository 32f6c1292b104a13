/* SPDX-License-Identifier: MIT
 * bounce.c: see bounce.h. */
#include "autodefs.h"
#include <string.h>
#include "bounce.h"
#include "banned.h"

void
bounce_status_clear(bounce_status_t *b)
{
	g_clear_pointer(&b->recipient, g_free);
	g_clear_pointer(&b->status, g_free);
	g_clear_pointer(&b->action, g_free);
	g_clear_pointer(&b->diagnostic, g_free);
}

/* The value of a "Name: value" line if LINE (LEN bytes) is one, else NULL.
 * "type;" prefixes such as "rfc822;" are dropped. */
static char *
field_value(const char *line, gsize len, const char *name)
{
	gsize n = strlen(name);
	const char *v, *semi;
	g_autofree char *out = NULL;

	if (len <= n || g_ascii_strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	v = line + n + 1;
	out = g_strstrip(g_strndup(v, len - n - 1));
	semi = strchr(out, ';');
	if (semi != NULL && g_ascii_strcasecmp(name, "Action") != 0) {
		char *rest = g_strstrip(g_strdup(semi + 1));

		g_free(out);
		out = rest;
	}
	return *out != '\0' ? g_steal_pointer(&out) : NULL;
}

void
bounce_parse_status(const char *text, gsize len, bounce_status_t *out)
{
	const char *p = text, *end = text + len;
	gboolean in_recipient = FALSE;

	memset(out, 0, sizeof *out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		gsize n = (gsize)((nl ? nl : end) - p);
		char *v;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((v = field_value(p, n, "Final-Recipient")) != NULL) {
			/* Only the first recipient block counts. */
			if (out->recipient != NULL) {
				g_free(v);
				break;
			}
			out->recipient = v;
			in_recipient = TRUE;
		} else if ((v = field_value(p, n, "Original-Recipient")) != NULL) {
			if (out->recipient == NULL)
				out->recipient = v;
			else
				g_free(v);
		} else if (in_recipient && (v = field_value(p, n, "Status")) != NULL) {
			g_free(out->status);
			out->status = v;
		} else if (in_recipient && (v = field_value(p, n, "Action")) != NULL) {
			g_free(out->action);
			out->action = g_ascii_strdown(v, -1);
			g_free(v);
		} else if (in_recipient && (v = field_value(p, n, "Diagnostic-Code")) != NULL) {
			g_free(out->diagnostic);
			out->diagnostic = v;
		}
		p = nl ? nl + 1 : end;
	}
}

void
bounce_quoted_ids(const char *text, gsize len, GPtrArray *ids)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *e = nl ? nl : end;
		const char *q = p;

		while (q < e && (*q == ' ' || *q == '\t' || *q == '>'))
			q++;
		if ((gsize)(e - q) > 11 && g_ascii_strncasecmp(q, "message-id:", 11) == 0) {
			const char *lt = memchr(q, '<', (gsize)(e - q));
			const char *gt = lt ? memchr(lt, '>', (gsize)(e - lt)) : NULL;

			if (gt != NULL && gt - lt > 1 && gt - lt < 512) {
				g_autofree char *id = g_strndup(lt + 1, (gsize)(gt - lt - 1));
				gboolean seen = FALSE;

				for (guint i = 0; i < ids->len && !seen; i++)
					seen = strcmp(ids->pdata[i], id) == 0;
				if (!seen)
					g_ptr_array_add(ids, g_steal_pointer(&id));
			}
		}
		p = nl ? nl + 1 : end;
	}
}

gboolean
bounce_subject_is_failure(const char *subject)
{
	static const char *const phrases[] = {
		"undelivered mail returned to sender", "delivery status notification",
		"mail delivery failed", "undeliverable", "delivery failure",
		"failure notice", "returned mail", "mail delivery system",
		"nicht zustellbar", "non remis", "unzustellbar",
	};
	g_autofree char *s = subject ? g_utf8_strdown(subject, -1) : NULL;

	for (gsize i = 0; s != NULL && i < G_N_ELEMENTS(phrases); i++)
		if (strstr(s, phrases[i]) != NULL)
			return TRUE;
	return FALSE;
}
