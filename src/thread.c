/* SPDX-License-Identifier: MIT
 * thread.c: subject tags, subject cleaning and the threading decision.
 * Pure. Subjects arrive decoded (RFC 2047) as UTF-8 from mime; anything
 * invalid is replaced by U+FFFD first so the scanners below walk valid
 * UTF-8 only. Every scan moves forward; a subject is read a bounded number
 * of times whatever it holds.
 *
 * Reply and forward prefixes: RFC 5322 3.6.5 suggests "Re: " only; the
 * rest is what mail clients write in other languages (the lists kept by
 * Thunderbird's mail.reply_prefixes and Outlook's localisations). */
#include "autodefs.h"
#include <string.h>
#include "thread.h"
#include "banned.h"

/* Reply and forward prefixes, compared case-insensitively, each followed
 * by an optional counter ("[2]", "(2)", "^2"), optional white space and
 * ':' or the full-width '：'. "I:" (Italian forward) and "Ref:" are left
 * out: they start ordinary subjects too often. */
static const char *const subject_prefixes[] = {
	"Re", "Fwd", "Fw", "Aw", "Wg", "Sv", "Vs", "Vb", "Vl", "Fs",
	"Antw", "Antwort", "Doorst", "R", "Rif", "Réf", "Tr", "Rv", "Res", "Enc",
	"Odp", "Pd", "Ynt", "İlt", "Atb", "Ats", "Vá", "Bls", "Trs",
	"ΑΠ", "ΣΧΕΤ", "ΠΡΘ", "Отв", "Ответ", "Пересл", "השב", "הועבר", "رد",
	"回复", "答复", "回覆", "答覆", "转发", "轉發", "转寄", "轉寄",
	"返信", "転送", "회신", "답장", "전달",
	NULL,
};

static gboolean
chars_equal(gunichar a, gunichar b)
{
	return a == b || g_unichar_tolower(a) == g_unichar_tolower(b) ||
	       g_unichar_toupper(a) == g_unichar_toupper(b);
}

static const char *
skip_space(const char *p)
{
	while (*p != '\0' && g_unichar_isspace(g_utf8_get_char(p)))
		p = g_utf8_next_char(p);
	return p;
}

/* P past A or B when P starts with either, else NULL. */
static const char *
match_char(const char *p, gunichar a, gunichar b)
{
	gunichar c;

	if (*p == '\0')
		return NULL;
	c = g_utf8_get_char(p);
	return c == a || c == b ? g_utf8_next_char(p) : NULL;
}

/* P past TEXT when P starts with it, case-insensitively, each run of white
 * space in TEXT matching any run (or none) in P. Else NULL. */
static const char *
match_words(const char *p, const char *text)
{
	while (*text != '\0') {
		gunichar t = g_utf8_get_char(text);

		if (g_unichar_isspace(t)) {
			text = skip_space(text);
			p = skip_space(p);
			continue;
		}
		if (*p == '\0' || !chars_equal(g_utf8_get_char(p), t))
			return NULL;
		p = g_utf8_next_char(p);
		text = g_utf8_next_char(text);
	}
	return p;
}

/* P past a tag "[TAG #N]" starting at P, with *TICKET (when not NULL) set
 * to N; NULL when P does not start a tag. */
static const char *
parse_tag_at(const char *p, const char *tag, gint64 *ticket)
{
	const char *digits;
	gint64 n = 0;

	if ((p = match_char(p, '[', 0xFF3B)) == NULL)
		return NULL;
	if ((p = match_words(skip_space(p), tag)) == NULL)
		return NULL;
	if ((p = match_char(skip_space(p), '#', 0xFF03)) == NULL)
		return NULL;
	p = skip_space(p);
	while (*p == '0')
		p++;
	digits = p;
	while (g_ascii_isdigit(*p))
		p++;
	if (p == digits) /* no digits, or only zeros */
		return NULL;
	if (p - digits > 16) /* 2^53 has 16 digits: no overflow below */
		return NULL;
	for (const char *d = digits; d < p; d++)
		n = n * 10 + (*d - '0');
	if (n > THREAD_TICKET_MAX)
		return NULL;
	if ((p = match_char(skip_space(p), ']', 0xFF3D)) == NULL)
		return NULL;
	if (ticket != NULL)
		*ticket = n;
	return p;
}

/* P past a reply or forward prefix at P, else NULL. */
static const char *
match_prefix(const char *p)
{
	for (gsize i = 0; subject_prefixes[i] != NULL; i++) {
		const char *q = match_words(p, subject_prefixes[i]);
		const char *r;

		if (q == NULL)
			continue;
		/* Counters: "Re[2]:", "Re(2):", "Re^2:". */
		if (*q == '[' || *q == '(' || *q == '^') {
			char close = *q == '[' ? ']' : *q == '(' ? ')' : '\0';
			const char *d = q + 1;

			while (g_ascii_isdigit(*d))
				d++;
			if (d > q + 1 && (close == '\0' || *d == close))
				q = close == '\0' ? d : d + 1;
		}
		r = match_char(skip_space(q), ':', 0xFF1A);
		if (r != NULL)
			return r;
	}
	return NULL;
}

/* TEXT as valid UTF-8 with control characters made spaces. New string. */
static char *
subject_sanitize(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c))
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(out, FALSE);
}

gboolean
thread_subject_tag(const char *subject, const char *tag, gint64 *ticket)
{
	g_autofree char *s = NULL;
	g_autofree char *t = NULL;

	g_assert(tag != NULL && *tag != '\0');
	if (subject == NULL)
		return FALSE;
	s = g_utf8_make_valid(subject, -1);
	t = g_utf8_make_valid(tag, -1);
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p))
		if (parse_tag_at(p, t, ticket) != NULL)
			return TRUE;
	return FALSE;
}

char *
thread_subject_clean(const char *subject, const char *tag)
{
	g_autofree char *s = subject_sanitize(subject);
	g_autofree char *t = NULL;
	GString *out = g_string_sized_new(strlen(s));
	gboolean space = FALSE;
	const char *p = s;
	/* Every prefix ends in a colon (or a full-width one): without one,
	 * the list of prefixes need not be tried (digests clean thousands). */
	gboolean colon = strchr(s, ':') != NULL || strstr(s, "\xef\xbc\x9a") != NULL;

	g_assert(tag != NULL && *tag != '\0');
	t = g_utf8_make_valid(tag, -1);
	/* Prefixes and tags mix at the start: "Re: [Support #1] AW: ...". */
	for (;;) {
		const char *q;

		p = skip_space(p);
		if ((!colon || (q = match_prefix(p)) == NULL) &&
		    (q = parse_tag_at(p, t, NULL)) == NULL)
			break;
		p = q;
	}
	while (*p != '\0') {
		const char *q;

		if (g_unichar_isspace(g_utf8_get_char(p))) {
			space = TRUE;
			p = g_utf8_next_char(p);
			continue;
		}
		if ((q = parse_tag_at(p, t, NULL)) != NULL) {
			space = TRUE;
			p = q;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = FALSE;
		q = g_utf8_next_char(p);
		g_string_append_len(out, p, q - p);
		p = q;
	}
	return g_string_free(out, FALSE);
}

gboolean
thread_tag_valid(const char *tag)
{
	const char *end;

	if (tag == NULL || *tag == '\0' || strlen(tag) > THREAD_TAG_MAX ||
	    !g_utf8_validate(tag, -1, &end))
		return FALSE;
	if (g_unichar_isspace(g_utf8_get_char(tag)) ||
	    g_unichar_isspace(g_utf8_get_char(g_utf8_prev_char(end))))
		return FALSE;
	for (const char *p = tag; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || c == '[' || c == ']' || c == '#' ||
		    c == 0xFF3B || c == 0xFF3D || c == 0xFF03)
			return FALSE;
	}
	return TRUE;
}

char *
thread_subject_tagged(const char *subject, const char *tag, gint64 ticket)
{
	g_autofree char *clean = thread_subject_clean(subject, tag);

	g_assert(ticket >= 1 && ticket <= THREAD_TICKET_MAX);
	return g_strdup_printf("[%s #%" G_GINT64_FORMAT "]%s%s", tag, ticket,
			       *clean != '\0' ? " " : "", clean);
}

void
thread_decide(const thread_input_t *in, thread_result_t *out)
{
	out->verified = TRUE;
	if (in->token_ticket > 0) {
		out->how = THREAD_BY_TOKEN;
		out->ticket = in->token_ticket;
	} else if (in->reference_ticket > 0) {
		out->how = THREAD_BY_REFERENCE;
		out->ticket = in->reference_ticket;
	} else if (in->tag_ticket > 0) {
		out->how = THREAD_BY_TAG;
		out->ticket = in->tag_ticket;
		out->verified = in->sender_on_tag_ticket;
	} else {
		out->how = THREAD_NEW;
		out->ticket = 0;
	}
}

const char *
thread_how_name(thread_how_t how)
{
	switch (how) {
	case THREAD_NEW:
		return "new";
	case THREAD_BY_TOKEN:
		return "token";
	case THREAD_BY_REFERENCE:
		return "reference";
	case THREAD_BY_TAG:
		return "tag";
	}
	g_assert_not_reached();
}

thread_followup_t
thread_followup(const char *state, gint64 resolved_at, gint64 now,
		gint64 reopen_window)
{
	if (g_strcmp0(state, "new") == 0 || g_strcmp0(state, "open") == 0 ||
	    g_strcmp0(state, "waiting") == 0)
		return THREAD_APPEND;
	if (g_strcmp0(state, "resolved") != 0)
		return THREAD_NEW_LINKED;
	if (resolved_at <= 0 || reopen_window <= 0)
		return THREAD_NEW_LINKED;
	/* Both positive here, so the difference cannot overflow. */
	if (now <= resolved_at || now - resolved_at <= reopen_window)
		return THREAD_REOPEN;
	return THREAD_NEW_LINKED;
}
