/* SPDX-License-Identifier: MIT
 * test-thread.c: subject tags, subject cleaning, the threading decision and
 * what a follow-up does. */
#include "autodefs.h"
#include <string.h>
#include "thread.h"
#include "banned.h"

typedef struct {
	const char *subject;
	const char *tag;
	gboolean found;
	gint64 ticket;
} tag_case_t;

static const tag_case_t tag_cases[] = {
	{ "[Support #12] Printer broken", "Support", TRUE, 12 },
	{ "Re: [Support #12] Printer broken", "Support", TRUE, 12 },
	{ "RE : [Support #12] Printer broken", "Support", TRUE, 12 },
	{ "AW: WG: [Support #12] Drucker", "Support", TRUE, 12 },
	{ "Fwd: FW: SV: Antw: R: Réf: [Support #12] x", "Support", TRUE, 12 },
	{ "回复: [Support #12] 打印机", "Support", TRUE, 12 },
	{ "答复：[Support #12] 打印机", "Support", TRUE, 12 },
	{ "Printer broken [Support #12]", "Support", TRUE, 12 },
	{ "Printer [Support #12] broken", "Support", TRUE, 12 },
	/* Case and spacing. */
	{ "[support #12]", "Support", TRUE, 12 },
	{ "[SUPPORT #12]", "Support", TRUE, 12 },
	{ "[Support #12]", "SUPPORT", TRUE, 12 },
	{ "[ Support  # 12 ]", "Support", TRUE, 12 },
	{ "[Support#12]", "Support", TRUE, 12 },
	{ "[\tSupport\t#\t12\t]", "Support", TRUE, 12 },
	{ "[\xc2\xa0Support\xc2\xa0#12]", "Support", TRUE, 12 },   /* NBSP */
	{ "［Support ＃12］ full width", "Support", TRUE, 12 },
	{ "[Support\u3000#12]", "Support", TRUE, 12 },             /* ideographic space */
	{ "[Acme Support #7]", "Acme Support", TRUE, 7 },
	{ "[acme   SUPPORT #7]", "Acme Support", TRUE, 7 },
	{ "[AcmeSupport #7]", "Acme Support", TRUE, 7 },
	{ "[ПОДДЕРЖКА #5]", "Поддержка", TRUE, 5 },
	{ "[Support #012]", "Support", TRUE, 12 },
	/* Numbers. */
	{ "[Support #1]", "Support", TRUE, 1 },
	{ "[Support #0]", "Support", FALSE, 0 },
	{ "[Support #000]", "Support", FALSE, 0 },
	{ "[Support #9007199254740992]", "Support", TRUE, G_GINT64_CONSTANT(9007199254740992) },
	{ "[Support #9007199254740993]", "Support", FALSE, 0 },
	{ "[Support #99999999999999999]", "Support", FALSE, 0 },
	{ "[Support #99999999999999999999999999999999]", "Support", FALSE, 0 },
	{ "[Support #00000000000000000000000000000042]", "Support", TRUE, 42 },
	{ "[Support #-12]", "Support", FALSE, 0 },
	{ "[Support #+12]", "Support", FALSE, 0 },
	{ "[Support #12a]", "Support", FALSE, 0 },
	{ "[Support #1 2]", "Support", FALSE, 0 },
	{ "[Support #1.5]", "Support", FALSE, 0 },
	{ "[Support #\xd9\xa1\xd9\xa2]", "Support", FALSE, 0 },   /* Arabic-Indic digits */
	{ "[Support #１２]", "Support", FALSE, 0 },                /* full-width digits */
	/* Not tags. */
	{ "[Support 12]", "Support", FALSE, 0 },
	{ "[Support #12", "Support", FALSE, 0 },
	{ "Support #12]", "Support", FALSE, 0 },
	{ "Support #12", "Support", FALSE, 0 },
	{ "[Supporter #12]", "Support", FALSE, 0 },
	{ "[Sales #12]", "Support", FALSE, 0 },
	{ "[Support Team #12]", "Support", FALSE, 0 },
	{ "[Support #]", "Support", FALSE, 0 },
	{ "[#12]", "Support", FALSE, 0 },
	{ "Printer broken", "Support", FALSE, 0 },
	{ "", "Support", FALSE, 0 },
	{ NULL, "Support", FALSE, 0 },
	/* The first valid tag wins; broken ones before it are skipped. */
	{ "[Support #0] [Support #x] [[Support #13] [Support #14]", "Support", TRUE, 13 },
	{ "[Sales #3] [Support #4]", "Support", TRUE, 4 },
	/* Invalid UTF-8 around or inside. */
	{ "\xff\xfe [Support #12] \xc3", "Support", TRUE, 12 },
	{ "[Sup\xffport #12]", "Support", FALSE, 0 },
	{ "[Support \xff#12]", "Support", FALSE, 0 },
	{ "[Support #12\xff]", "Support", FALSE, 0 },
};

static void
test_subject_tag(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(tag_cases); i++) {
		const tag_case_t *c = &tag_cases[i];
		gint64 ticket = -1;
		gboolean found;

		g_test_message("case %zu: %s", i, c->subject ? c->subject : "(null)");
		found = thread_subject_tag(c->subject, c->tag, &ticket);
		g_assert_cmpint(found, ==, c->found);
		g_assert_cmpint(ticket, ==, c->found ? c->ticket : -1);
	}
}

static void
test_subject_tag_long(void)
{
	/* Long hostile subjects finish and find what is there. */
	g_autoptr(GString) s = g_string_new(NULL);
	gint64 ticket = 0;

	for (int i = 0; i < 20000; i++)
		g_string_append(s, "[ [Support # [Support #0");
	g_assert_false(thread_subject_tag(s->str, "Support", &ticket));
	g_string_append(s, "[Support #77]");
	g_assert_true(thread_subject_tag(s->str, "Support", &ticket));
	g_assert_cmpint(ticket, ==, 77);
	g_string_truncate(s, 0);
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "Re: ");
	g_string_append(s, "[Support #78] x");
	g_assert_true(thread_subject_tag(s->str, "Support", &ticket));
	g_assert_cmpint(ticket, ==, 78);
	{
		g_autofree char *clean = thread_subject_clean(s->str, "Support");
		g_assert_cmpstr(clean, ==, "x");
	}
}

typedef struct {
	const char *subject;
	const char *clean;
} clean_case_t;

static const clean_case_t clean_cases[] = {
	{ "Printer broken", "Printer broken" },
	{ "Re: Printer broken", "Printer broken" },
	{ "RE: Printer broken", "Printer broken" },
	{ "re: Printer broken", "Printer broken" },
	{ "Re:Printer broken", "Printer broken" },
	{ "RE : Printer broken", "Printer broken" },
	{ "Re : Re : Printer broken", "Printer broken" },
	{ "Re[2]: Printer broken", "Printer broken" },
	{ "Re(3): Printer broken", "Printer broken" },
	{ "Re^4: Printer broken", "Printer broken" },
	{ "Re: Re: Re: Printer broken", "Printer broken" },
	{ "Fwd: Printer broken", "Printer broken" },
	{ "FW: Printer broken", "Printer broken" },
	{ "Fw: Printer broken", "Printer broken" },
	{ "AW: Drucker kaputt", "Drucker kaputt" },
	{ "WG: Drucker kaputt", "Drucker kaputt" },
	{ "Antwort: Drucker kaputt", "Drucker kaputt" },
	{ "SV: Skrivaren", "Skrivaren" },
	{ "VS: Tulostin", "Tulostin" },
	{ "Antw: Printer", "Printer" },
	{ "Doorst: Printer", "Printer" },
	{ "R: Stampante", "Stampante" },
	{ "RIF: Stampante", "Stampante" },
	{ "Réf: Imprimante", "Imprimante" },
	{ "RÉF : Imprimante", "Imprimante" },
	{ "TR: Imprimante", "Imprimante" },
	{ "RV: Impresora", "Impresora" },
	{ "RES: Impressora", "Impressora" },
	{ "ENC: Impressora", "Impressora" },
	{ "Odp: Drukarka", "Drukarka" },
	{ "YNT: Yazıcı", "Yazıcı" },
	{ "İLT: Yazıcı", "Yazıcı" },
	{ "ΑΠ: Εκτυπωτής", "Εκτυπωτής" },
	{ "Отв: Принтер", "Принтер" },
	{ "ОТВЕТ: Принтер", "Принтер" },
	{ "השב: מדפסת", "מדפסת" },
	{ "回复: 打印机", "打印机" },
	{ "回复：打印机", "打印机" },
	{ "答复：打印机", "打印机" },
	{ "回覆：印表機", "印表機" },
	{ "转发: 打印机", "打印机" },
	{ "返信: プリンター", "プリンター" },
	{ "転送：プリンター", "プリンター" },
	{ "회신: 프린터", "프린터" },
	{ "AW: WG: Re[3]: RE : Fwd: FW: SV: Antw: R: Réf: 回复：答复: Printer", "Printer" },
	/* Tags anywhere, mixed with prefixes. */
	{ "[Support #12] Printer broken", "Printer broken" },
	{ "Re: [Support #12] Printer broken", "Printer broken" },
	{ "Re: [Support #12] Re: [support#12] AW: Printer broken", "Printer broken" },
	{ "Printer broken [Support #12]", "Printer broken" },
	{ "Printer [ Support # 12 ] broken", "Printer broken" },
	{ "Printer [Support #12][Support #13] broken", "Printer broken" },
	{ "[Sales #12] Printer", "[Sales #12] Printer" },
	{ "[Support #0] Printer", "[Support #0] Printer" },
	{ "Re: [Support #12]", "" },
	/* Not prefixes. */
	{ "Reply: Printer", "Reply: Printer" },
	{ "Ref: invoice 123", "Ref: invoice 123" },
	{ "Printer: Re: broken", "Printer: Re: broken" },
	{ "Are: you there", "Are: you there" },
	{ "Re Printer", "Re Printer" },
	{ "Re", "Re" },
	{ "Re[x]: Printer", "Re[x]: Printer" },
	{ "Fwd Printer: broken", "Fwd Printer: broken" },
	/* Spacing, control characters, invalid UTF-8. */
	{ "  Printer \t  broken  ", "Printer broken" },
	{ "Printer\r\n broken", "Printer broken" },
	{ "Printer\x01\x7f" "broken", "Printer broken" },
	{ "Printer \xc2\x85 broken", "Printer broken" },          /* U+0085 NEL */
	{ "Printer \xff broken", "Printer \xef\xbf\xbd broken" },
	{ "Printer \xc3", "Printer \xef\xbf\xbd" },
	{ "Re:", "" },
	{ "   ", "" },
	{ "", "" },
	{ NULL, "" },
};

static void
test_subject_clean(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(clean_cases); i++) {
		const clean_case_t *c = &clean_cases[i];
		g_autofree char *clean = NULL;

		g_test_message("case %zu: %s", i, c->subject ? c->subject : "(null)");
		clean = thread_subject_clean(c->subject, "Support");
		g_assert_cmpstr(clean, ==, c->clean);
		g_assert_true(g_utf8_validate(clean, -1, NULL));
	}
}

typedef struct {
	const char *subject;
	gint64 ticket;
	const char *tagged;
} tagged_case_t;

static const tagged_case_t tagged_cases[] = {
	{ "Printer broken", 12, "[Support #12] Printer broken" },
	{ "Re: Printer broken", 12, "[Support #12] Printer broken" },
	{ "Re: [Support #12] Printer broken", 12, "[Support #12] Printer broken" },
	{ "Re: [Support #11] Printer broken", 12, "[Support #12] Printer broken" },
	{ "Printer\r\nbroken", 12, "[Support #12] Printer broken" },
	{ "", 1, "[Support #1]" },
	{ NULL, 1, "[Support #1]" },
	{ "x", G_GINT64_CONSTANT(9007199254740992), "[Support #9007199254740992] x" },
};

static void
test_subject_tagged(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(tagged_cases); i++) {
		const tagged_case_t *c = &tagged_cases[i];
		g_autofree char *tagged = thread_subject_tagged(c->subject, "Support", c->ticket);
		gint64 ticket = 0;

		g_assert_cmpstr(tagged, ==, c->tagged);
		/* What we write, we find again. */
		g_assert_true(thread_subject_tag(tagged, "Support", &ticket));
		g_assert_cmpint(ticket, ==, c->ticket);
	}
}

typedef struct {
	const char *tag;
	gboolean valid;
} tag_valid_case_t;

static const tag_valid_case_t tag_valid_cases[] = {
	{ "Support", TRUE },
	{ "ACME Help Desk", TRUE },
	{ "Süppört", TRUE },
	{ "x", TRUE },
	{ "", FALSE },
	{ " Support", FALSE },
	{ "Support\t", FALSE },
	{ "Sup\rport", FALSE },           /* found by fuzz-thread: a CR in the header */
	{ "Sup\nport", FALSE },
	{ "Sup[port", FALSE },
	{ "Sup]port", FALSE },
	{ "Sup#port", FALSE },
	{ "Sup\xef\xbc\x83port", FALSE }, /* full-width '#' */
	{ "Sup\xffport", FALSE },          /* invalid UTF-8 */
	{ "0123456789012345678901234567890123456789012345678901234567890123", TRUE },
	{ "01234567890123456789012345678901234567890123456789012345678901234", FALSE },
};

static void
test_tag_valid(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(tag_valid_cases); i++) {
		const tag_valid_case_t *c = &tag_valid_cases[i];
		g_autofree char *tagged = NULL;
		gint64 ticket = 0;

		g_assert_cmpint(thread_tag_valid(c->tag), ==, c->valid);
		if (!c->valid)
			continue;
		/* A valid tag makes a header-safe subject that reads back. */
		tagged = thread_subject_tagged("Re: hello", c->tag, 77);
		g_assert_null(strpbrk(tagged, "\r\n"));
		g_assert_true(thread_subject_tag(tagged, c->tag, &ticket));
		g_assert_cmpint(ticket, ==, 77);
	}
	g_assert_false(thread_tag_valid(NULL));
}

typedef struct {
	thread_input_t in;
	thread_how_t how;
	gint64 ticket;
	gboolean verified;
} decide_case_t;

static const decide_case_t decide_cases[] = {
	{ { 0, 0, 0, FALSE }, THREAD_NEW, 0, TRUE },
	{ { 0, 0, 0, TRUE }, THREAD_NEW, 0, TRUE },
	{ { 5, 0, 0, FALSE }, THREAD_BY_TOKEN, 5, TRUE },
	{ { 5, 6, 7, FALSE }, THREAD_BY_TOKEN, 5, TRUE },
	{ { 0, 6, 7, FALSE }, THREAD_BY_REFERENCE, 6, TRUE },
	{ { 0, 6, 0, FALSE }, THREAD_BY_REFERENCE, 6, TRUE },
	{ { 0, 0, 7, TRUE }, THREAD_BY_TAG, 7, TRUE },
	{ { 0, 0, 7, FALSE }, THREAD_BY_TAG, 7, FALSE },
	{ { -1, -2, -3, TRUE }, THREAD_NEW, 0, TRUE },
	{ { -1, 6, 0, FALSE }, THREAD_BY_REFERENCE, 6, TRUE },
};

static void
test_decide(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(decide_cases); i++) {
		const decide_case_t *c = &decide_cases[i];
		thread_result_t r = { THREAD_BY_TAG, -9, FALSE };

		g_test_message("case %zu", i);
		thread_decide(&c->in, &r);
		g_assert_cmpint(r.how, ==, c->how);
		g_assert_cmpint(r.ticket, ==, c->ticket);
		g_assert_cmpint(r.verified, ==, c->verified);
	}
	g_assert_cmpstr(thread_how_name(THREAD_NEW), ==, "new");
	g_assert_cmpstr(thread_how_name(THREAD_BY_TOKEN), ==, "token");
	g_assert_cmpstr(thread_how_name(THREAD_BY_REFERENCE), ==, "reference");
	g_assert_cmpstr(thread_how_name(THREAD_BY_TAG), ==, "tag");
}

#define DAY 86400
#define T0 G_GINT64_CONSTANT(1795000000)

typedef struct {
	const char *state;
	gint64 resolved_at;
	gint64 now;
	gint64 window;
	thread_followup_t expect;
} followup_case_t;

static const followup_case_t followup_cases[] = {
	{ "new", 0, T0, 7 * DAY, THREAD_APPEND },
	{ "open", 0, T0, 7 * DAY, THREAD_APPEND },
	{ "waiting", 0, T0, 7 * DAY, THREAD_APPEND },
	{ "open", T0 - 100 * DAY, T0, 7 * DAY, THREAD_APPEND },
	{ "resolved", T0 - DAY, T0, 7 * DAY, THREAD_REOPEN },
	{ "resolved", T0 - 7 * DAY, T0, 7 * DAY, THREAD_REOPEN },     /* edge: inclusive */
	{ "resolved", T0 - 7 * DAY - 1, T0, 7 * DAY, THREAD_NEW_LINKED },
	{ "resolved", T0 + 60, T0, 7 * DAY, THREAD_REOPEN },          /* clock skew */
	{ "resolved", T0, T0, 0, THREAD_NEW_LINKED },                 /* no window */
	{ "resolved", T0, T0, -5, THREAD_NEW_LINKED },
	{ "resolved", 0, T0, 7 * DAY, THREAD_NEW_LINKED },            /* unknown time */
	{ "resolved", 1, G_MAXINT64, G_MAXINT64, THREAD_REOPEN },     /* no overflow */
	{ "resolved", 1, G_MAXINT64, 7 * DAY, THREAD_NEW_LINKED },
	{ "resolved", G_MAXINT64, G_MININT64, 7 * DAY, THREAD_REOPEN },
	{ "closed", T0 - 60, T0, 7 * DAY, THREAD_NEW_LINKED },
	{ "closed", 0, T0, 7 * DAY, THREAD_NEW_LINKED },
	{ "Open", 0, T0, 7 * DAY, THREAD_NEW_LINKED },
	{ "bogus", 0, T0, 7 * DAY, THREAD_NEW_LINKED },
	{ "", 0, T0, 7 * DAY, THREAD_NEW_LINKED },
	{ NULL, 0, T0, 7 * DAY, THREAD_NEW_LINKED },
};

static void
test_followup(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(followup_cases); i++) {
		const followup_case_t *c = &followup_cases[i];

		g_test_message("case %zu", i);
		g_assert_cmpint(thread_followup(c->state, c->resolved_at, c->now, c->window),
				==, c->expect);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/thread/subject-tag", test_subject_tag);
	g_test_add_func("/thread/subject-tag-long", test_subject_tag_long);
	g_test_add_func("/thread/subject-clean", test_subject_clean);
	g_test_add_func("/thread/subject-tagged", test_subject_tagged);
	g_test_add_func("/thread/tag-valid", test_tag_valid);
	g_test_add_func("/thread/decide", test_decide);
	g_test_add_func("/thread/followup", test_followup);
	return g_test_run();
}
