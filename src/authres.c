/* SPDX-License-Identifier: MIT
 * authres.c: see authres.h. RFC 8601 section 2.2 grammar, read loosely
 * where real MTAs are loose (case, white space, comments anywhere). */
#include "autodefs.h"
#include <string.h>
#include "authres.h"
#include "banned.h"

/* A header value is bounded by the parser's max_header_length; this
 * bound keeps a hostile one from costing more than it must. */
#define AUTHRES_MAX 8192

/* VALUE without comments "(...)" (nested) and with quotes kept, lower-case.
 * New string. */
static char *
strip_comments(const char *value)
{
	GString *out = g_string_new(NULL);
	int depth = 0;
	gboolean quoted = FALSE;

	for (const char *p = value; *p != '\0' && out->len < AUTHRES_MAX; p++) {
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = FALSE;
			g_string_append_c(out, g_ascii_tolower(*p));
		} else if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
		} else if (*p == '(') {
			depth++;
			g_string_append_c(out, ' ');
		} else {
			if (*p == '"')
				quoted = TRUE;
			g_string_append_c(out, g_ascii_tolower(*p));
		}
	}
	return g_string_free(out, FALSE);
}

/* DOMAIN is D or a subdomain of D (relaxed alignment). */
static gboolean
in_domain(const char *domain, const char *d)
{
	gsize dl = strlen(domain), l = strlen(d);

	if (l == 0)
		return FALSE;
	if (dl == l)
		return g_ascii_strcasecmp(domain, d) == 0;
	return dl > l && domain[dl - l - 1] == '.' &&
	       g_ascii_strcasecmp(domain + dl - l, d) == 0;
}

/* The value of property NAME ("header.d") in the tokens of one resinfo,
 * without quotes, or NULL. Borrowed from TOKENS after unquoting in place. */
static const char *
prop(char **tokens, const char *name)
{
	gsize n = strlen(name);

	for (guint i = 1; tokens[i] != NULL; i++) {
		char *v = tokens[i];
		gsize l;

		if (strncmp(v, name, n) != 0 || v[n] != '=')
			continue;
		v += n + 1;
		l = strlen(v);
		if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
			v[l - 1] = '\0';
			v++;
		}
		return v;
	}
	return NULL;
}

/* Whether one "method=result props..." shows a pass for DOMAIN. */
static gboolean
resinfo_passes(char *resinfo, const char *domain)
{
	g_auto(GStrv) tokens = g_strsplit_set(g_strstrip(resinfo), " \t\r\n", -1);
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	const char *v;
	char *slash, *eq;

	for (guint i = 0; tokens[i] != NULL; i++)
		if (*tokens[i] != '\0')
			g_ptr_array_add(words, tokens[i]);
	g_ptr_array_add(words, NULL);
	if (words->len < 2)
		return FALSE;
	/* "dkim/1=pass": a method version is allowed */
	if ((slash = strchr(words->pdata[0], '/')) != NULL && (eq = strchr(slash, '=')) != NULL)
		memmove(slash, eq, strlen(eq) + 1);
	if (strcmp(words->pdata[0], "dkim=pass") == 0) {
		if ((v = prop((char **)words->pdata, "header.d")) != NULL)
			return in_domain(domain, v);
		if ((v = prop((char **)words->pdata, "header.i")) != NULL)
			return in_domain(domain, strchr(v, '@') ? strchr(v, '@') + 1 : v);
	} else if (strcmp(words->pdata[0], "spf=pass") == 0) {
		if ((v = prop((char **)words->pdata, "smtp.mailfrom")) != NULL)
			return in_domain(domain, strchr(v, '@') ? strrchr(v, '@') + 1 : v);
	} else if (strcmp(words->pdata[0], "dmarc=pass") == 0) {
		if ((v = prop((char **)words->pdata, "header.from")) != NULL)
			return g_ascii_strcasecmp(domain, v) == 0;
	}
	return FALSE;
}

gboolean
authres_verifies(const char *const *headers, const char *authserv_id, const char *domain,
		 const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = "no Authentication-Results header of the trusted server";
	if (headers == NULL || authserv_id == NULL || domain == NULL || *domain == '\0')
		return FALSE;
	for (guint i = 0; headers[i] != NULL; i++) {
		g_autofree char *v = strip_comments(headers[i]);
		g_auto(GStrv) parts = g_strsplit(v, ";", 64);
		g_auto(GStrv) id = NULL;

		if (parts[0] == NULL)
			continue;
		id = g_strsplit_set(g_strstrip(parts[0]), " \t", 2);
		if (id[0] == NULL || g_ascii_strcasecmp(id[0], authserv_id) != 0)
			continue;
		/* The topmost one with our id decides. */
		for (guint j = 1; parts[j] != NULL; j++)
			if (resinfo_passes(parts[j], domain))
				return TRUE;
		*why = "the trusted Authentication-Results shows no DKIM, SPF or DMARC pass "
		       "for the From domain";
		return FALSE;
	}
	return FALSE;
}
