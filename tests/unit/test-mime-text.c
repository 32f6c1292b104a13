/* SPDX-License-Identifier: MIT
 * test-mime-text.c: the visible-text splitter, rule by rule, and its
 * bounds on hostile input (size, invalid UTF-8, backtracking traps). */
#include "autodefs.h"
#include <string.h>
#include <glib.h>
#include "mime-text.h"

typedef struct {
	const char *name;
	const char *in;
	const char *visible;
	const char *hidden;  /* NULL: not checked */
	gboolean has_quote;
	gboolean has_signature;
} split_case_t;

static void
check_case(const split_case_t *c)
{
	mime_text_split_t split;

	mime_text_split(c->in, -1, &split);
	if (g_strcmp0(split.visible, c->visible) != 0)
		g_error("%s: visible is\n[%s]\nexpected\n[%s]", c->name,
			split.visible, c->visible);
	if (c->hidden != NULL && g_strcmp0(split.hidden, c->hidden) != 0)
		g_error("%s: hidden is\n[%s]\nexpected\n[%s]", c->name,
			split.hidden, c->hidden);
	if (split.has_quote != c->has_quote)
		g_error("%s: has_quote is %d", c->name, split.has_quote);
	if (split.has_signature != c->has_signature)
		g_error("%s: has_signature is "
			"%d", c->name, split.has_signature);
	mime_text_split_clear(&split);
	g_assert_null(split.visible);
}

static void
check_cases(const split_case_t *cases, gsize n)
{
	for (gsize i = 0; i < n; i++)
		check_case(&cases[i]);
}

static const split_case_t basics_cases[] = {
	{ "empty", "", "", "", FALSE, FALSE },
	{ "blank lines", "\n \n\t\n", "", "", FALSE, FALSE },
	{ "text only", "Hello\nWorld\n", "Hello\nWorld", "", FALSE, FALSE },
	{ "leading and trailing blank lines", "\n\n  Indented\n\nEnd\n\n\n",
	  "  Indented\n\nEnd", "", FALSE, FALSE },
	{ "crlf", "One\r\nTwo\r\n\r\nOn Mon, Jan 1, 2024 at 9:00 AM Bob "
	  "<b@x.org> wrote:\r\n> old\r\n",
	  "One\nTwo", "On Mon, Jan 1, 2024 at 9:00 AM Bob <b@x.org> "
	  "wrote:\n> old", TRUE, FALSE },
	{ "lone cr", "One\rTwo\r", "One\nTwo", "", FALSE, FALSE },
	{ "quote only is kept", "> only a quote\n", "> only a quote", "",
	  FALSE, FALSE },
	{ "quote then text is kept", "> question\n\nanswer\n",
	  "> question\n\nanswer", "", FALSE, FALSE },
	{ "trailing quote", "answer\n\n> question\n> more\n", "answer",
	  "> question\n> more", TRUE, FALSE },
	{ "inline reply keeps quotes", "Intro\n\n> q1\n\na1\n\n> q2\n\na2\n",
	  "Intro\n\n> q1\n\na1\n\n> q2\n\na2", "", FALSE, FALSE },
	{ "supercite quote", "Yes.\n\nRichard> Is it?\nRichard> Sure?\n",
	  "Yes.", "Richard> Is it?\nRichard> Sure?", TRUE, FALSE },
	{ "decoration at the end", "text\n\n=====\n", "text", NULL,
	  FALSE, FALSE },
	{ "decoration in the middle", "a\n----\nb\n", "a\n----\nb", "",
	  FALSE, FALSE },
	{ "tracker glyph", "Hi\n\n\xE1\x90\xA7\n", "Hi", NULL, FALSE, FALSE },
	{ "only quoted attributions",
	  "> On Thu, Apr 30, 2020 at 10:07 AM, \"a\" <a@example.com> wrote:\n"
	  ">\n>> On Thu, Apr 30, 2020 at 10:06 AM, \"a\" <a@example.com> "
	  "wrote:\n", "", NULL, TRUE, FALSE },
};

static void
test_basics(void)
{
	check_cases(basics_cases, G_N_ELEMENTS(basics_cases));
}

static const split_case_t attributions_cases[] = {
	{ "english", "Thanks!\n\nOn Tue, Mar 1, 2011 at 6:02 PM, Some One "
	  "<some@one.org> wrote:\n> old\n", "Thanks!", NULL, TRUE, FALSE },
	{ "no blank line before", "Thanks!\nOn Dec 15, 2024, at 3:00 PM, "
	  "John <john@example.com> wrote:\n> old\n", "Thanks!", NULL,
	  TRUE, FALSE },
	{ "gmail wrapped address", "Ok.\n\nOn Mon, Aug 26, 2019 at 4:37 PM "
	  "The Hiring Engine <\nhr@example.com> wrote:\n\n> old\n", "Ok.",
	  NULL, TRUE, FALSE },
	{ "wrapped over three lines", "Ok.\n\nOn Dec 16, 2011, at 12:47 PM, "
	  "Corey\n<reply@example.com>\nwrote:\n\n> old\n", "Ok.",
	  "On Dec 16, 2011, at 12:47 PM, Corey\n<reply@example.com>\n"
	  "wrote:\n\n> old", TRUE, FALSE },
	{ "apple wrapped date", "New.\n\nOn Nov 21, 2014,\nat 10:18,\nJohn "
	  "Doe <john@doe.com> wrote:\n\n> Ok.\n", "New.", NULL, TRUE, FALSE },
	{ "unquoted history", "Reply.\n\nOn Mon, Feb 1, 2016 at 4:58 AM "
	  "-0800, \"Some One\" <foo@bar.com> wrote:\n\nOld text.\n",
	  "Reply.", NULL, TRUE, FALSE },
	{ "no colon, zoho", "Text\n\n---- On Wed, 24 Feb 2021 14:02:50 "
	  "+0530 john@gmail.com wrote ----\n\nJava\n", "Text", NULL,
	  TRUE, FALSE },
	{ "android", "Test reply\n\n---- John Smith wrote ----\n\n> q\n",
	  "Test reply", NULL, TRUE, FALSE },
	{ "name only above a quote", "Agreed.\n\nJohn Smith wrote:\n> q\n",
	  "Agreed.", NULL, TRUE, FALSE },
	{ "german", "Ja.\n\nAm 03.02.2016 3:35 nachm. schrieb Max "
	  "<max@example.de>:\n\n> alt\n", "Ja.", NULL, TRUE, FALSE },
	{ "german thunderbird", "Danke!\n\nAm 04.02.2015 um 11:39 schrieb "
	  "Bob:\n> Hallo\n", "Danke!", NULL, TRUE, FALSE },
	{ "german gmail verb first", "Gut.\n\nMax <max@example.de> schrieb "
	  "am Fr., 28.\nApr. 2017 um 11:53 Uhr:\n\n> alt\n", "Gut.", NULL,
	  TRUE, FALSE },
	{ "french nbsp", "Oui.\n\nLe 2016-11-16 02:22, Erlend a "
	  "\xC3\xA9" "crit\xC2\xA0:\n> old\n", "Oui.", NULL, TRUE, FALSE },
	{ "french wrapped", "Oui.\nLe 4 janv. 2016 19:03, \"Neil\"\n"
	  "<info@example.org>\na \xC3\xA9" "crit :\n\n> old\n", "Oui.",
	  NULL, TRUE, FALSE },
	{ "spanish", "S\xC3\xAD.\n\nEl jueves, 21 de noviembre de 2013, "
	  "codinghorror escribi\xC3\xB3:\n\n> old\n", "S\xC3\xAD.", NULL,
	  TRUE, FALSE },
	{ "italian", "Ok.\n\nIl giorno mer 2 gen 2019 alle ore 16:54 Bob "
	  "<bob@example.com> ha scritto:\n> old\n", "Ok.", NULL, TRUE, FALSE },
	{ "dutch", "Ok.\nOp 16 aug. 2014 05:13 schreef \"ch\" "
	  "<info@example.org> het\nvolgende geschreven:\n\n> old\n", "Ok.",
	  NULL, TRUE, FALSE },
	{ "portuguese", "Ol\xC3\xA1.\n\nEm 2 de fevereiro de 2015 10:58, "
	  "discourse <\ninfo@example.org> escreveu:\n\n> old\n",
	  "Ol\xC3\xA1.", NULL, TRUE, FALSE },
	{ "swedish", "Tack.\n\nDen 10 dec 2013 kl. 18:02 skrev Bob "
	  "<bob@example.com>:\n\n> old\n", "Tack.", NULL, TRUE, FALSE },
	{ "norwegian gmail", "Takk.\n\ntir. 18. apr. 2017 kl. 13:09 skrev "
	  "Test <test@example.com\n>:\n\n> old\n", "Takk.", NULL, TRUE, FALSE },
	{ "finnish", "Kiitos.\n\npe 20. lokakuuta 2017 klo 17.50 John Coe\n"
	  "<s@test.com> "
	  "kirjoitti:\n\nThanks!\n", "Kiitos.", NULL, TRUE, FALSE },
	{ "polish", "Ok.\n\nW dniu 2017-01-09 11:59:39 u\xC5\xBCytkownik Q "
	  "<q@example.com> "
	  "napisa\xC5\x82:\n\nold\n", "Ok.", NULL, TRUE, FALSE },
	{ "polish (a)", "Ok.\n\nDnia 27 grudnia 2016 12:08 Q <q@example.com> "
	  "napisa\xC5\x82(a):\n\nold\n", "Ok.", NULL, TRUE, FALSE },
	{ "russian gmail", "Da.\n\n\xD1\x81\xD1\x80, 30 \xD0\xB0\xD0\xBF\xD1"
	  "\x80. 2025 \xD0\xB3. \xD0\xB2 15:19, John <doe@example.com>:\n\n"
	  "old\n", "Da.", NULL, TRUE, FALSE },
	{ "chinese", "\xE5\xA5\xBD\n\n\xE5\x9C\xA8 2016\xE5\xB9\xB4" "12\xE6"
	  "\x9C\x88" "12\xE6\x97\xA5\xEF\xBC\x8C" "Erlend <m@example.com> "
	  "\xE5\x86\x99\xE9\x81\x93\xEF\xBC\x9A\n> old\n", "\xE5\xA5\xBD",
	  NULL, TRUE, FALSE },
	{ "japanese gmail", "OK\n\n2019\xE5\xB9\xB4" "1\xE6\x9C\x88" "2\xE6"
	  "\x97\xA5(\xE6\xB0\xB4) 16:54 Bob <bob@example.com>:\n\n> old\n",
	  "OK", NULL, TRUE, FALSE },
	{ "dutch thunderbird", "Dank\n\nOp 16-feb-2015, om 13:18 heeft Isaac "
	  "het volgende geschreven:\n\nold\n", "Dank", NULL, TRUE, FALSE },
	{ "vietnamese", "Hello\n\nV\xC3\xA0o 14:24 8 th\xC3\xA1ng 6, 2017, "
	  "H\xC3\xB9ng <h@x.com> \xC4\x91\xC3\xA3 vi\xE1\xBA\xBFt:\n\n"
	  "> old\n", "Hello", NULL, TRUE, FALSE },
	{ "korean gmail", "OK\n\n2014\xEB\x85\x84 2\xEC\x9B\x94 26\xEC"
	  "\x9D\xBC (\xEC\x88\x98) 2:42, Bob <bob@example.com>\xEB\x8B\x98"
	  "\xEC\x9D\xB4 \xEC\x9E\x91\xEC\x84\xB1:\n\n> old\n", "OK", NULL,
	  TRUE, FALSE },
	{ "apple japanese", "OK\n\n2014/02/26 14:42\xE3\x80\x81" "Bob "
	  "<b@b.com> \xE3\x81\xAE\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB:\n"
	  "\n> old\n", "OK", NULL, TRUE, FALSE },
	{ "turkish", "Tamam\n\n26 \xC5\x9E" "ub 2014 14:42 tarihinde Bob "
	  "<bob@example.com> \xC5\x9Funu yazd\xC4\xB1:\n\n> old\n", "Tamam",
	  NULL, TRUE, FALSE },
	{ "on weekday, no date", "Sure.\n\nOn Monday, John Smith wrote:\n\n"
	  "old\n", "Sure.", NULL, TRUE, FALSE },
	{ "quoting", "Reply\n\nQuoting Bob <bob@example.com>:\n\n> old\n",
	  "Reply", NULL, TRUE, FALSE },
	{ "date first gmail", "Thank you!\n\n2016-10-24 15:36 GMT+02:00 Foo "
	  "bar <\ninfo@foo.bar>:\n\n> old\n", "Thank you!", NULL, TRUE, FALSE },
	{ "date first, address lost", "Before\n\n2016-03-03 17:21 GMT+01:00 "
	  "Some One\n\nAfter\n", "Before", NULL, TRUE, FALSE },
	{ "bottom-posted reply", "On Mon, Aug 19, 2013 at 2:36 AM, Some One "
	  "<\ninfo@example.org> wrote:\n\n> old\n>\n\nnew answer\n",
	  "new answer", NULL, TRUE, FALSE },
	{ "message starts with attribution over unquoted text",
	  "On 8 May 2017 17:34, \"Andy\" <a@example.com> wrote:\n\n    code\n"
	  "\nIt should be:\n", "    code\n\nIt should be:", NULL, TRUE,
	  FALSE },
	{ "inline reply hides the attribution", "Intro.\nOn Tue, 2011-03-01 "
	  "at 18:02 +0530, Some One wrote:\n> Hello\n\nAnswer.\n\n> more\n"
	  "\nAnswer 2.\n", "Intro.\n> Hello\n\nAnswer.\n\n> more\n\nAnswer 2.",
	  "On Tue, 2011-03-01 at 18:02 +0530, Some One wrote:", TRUE, FALSE },
	{ "text after a top-posted quote is trailing matter",
	  "Before.\n\nOn Wed, Sep 25, 2013, at 03:57 PM, rc wrote:\n\n> old\n"
	  "\nsignature-ish\n", "Before.", NULL, TRUE, FALSE },
	{ "greedy on", "On your remote host you can run:\n\n     telnet "
	  "127.0.0.1 52698\n\nOn 9 Jan 2014, at 2:47, George wrote:\n\n> old\n",
	  "On your remote host you can run:\n\n     telnet 127.0.0.1 52698",
	  NULL, TRUE, FALSE },
};

static void
test_attributions(void)
{
	check_cases(attributions_cases, G_N_ELEMENTS(attributions_cases));
}

static const split_case_t outlook_cases[] = {
	{ "original message", "Reply\n\n-----Original Message-----\nFrom: "
	  "a@b.c\nSent: Monday\nTo: d@e.f\nSubject: x\n\nold\n", "Reply",
	  NULL, TRUE, FALSE },
	{ "underscores and block", "Reply\n________________________________\n"
	  "From: CRM [crm@example.com]\nSent: Friday, 23 March 2012 5:08 p.m.\n"
	  "To: John\nSubject: hi\n\nold\n", "Reply", NULL, TRUE, FALSE },
	{ "bare block", "Reply\n\nFrom: CRM [crm@example.com]\nSent: Friday\n"
	  "To: John\nSubject: hi\n\n> old\n", "Reply", NULL, TRUE, FALSE },
	{ "bold block", "Reply\n\n ------------------------------\n\n*From:* "
	  "Team [mailto:t@example.com]\n*Sent:* Thursday\n*To:* j@x.com\n"
	  "*Subject:* News\n\nold\n", "Reply", NULL, TRUE, FALSE },
	{ "german block", "Gru\xC3\x9F\n\n-----Urspr\xC3\xBCngliche "
	  "Nachricht-----\nVon: T <t@example.org>\nGesendet: Don 11 Februar "
	  "2016\nAn: S <s@example.org>\nBetreff: x\n\nalt\n",
	  "Gru\xC3\x9F", NULL, TRUE, FALSE },
	{ "german block without separator", "Hallo\n\nVon: J <s@example.de>\n"
	  "Gesendet: Donnerstag, 23. M\xC3\xA4rz 2023 17:11\nAn: J "
	  "<s@example.de>\nBetreff: AW: x\n\nalt\n", "Hallo", NULL, TRUE,
	  FALSE },
	{ "french block", "Merci\n\n   De : Q<mailto:q@example.com>\n   Envoy"
	  "\xC3\xA9 le :jeudi 15 d\xC3\xA9" "cembre 2016 09:35\n   \xC3\x80 : "
	  "s@example.fr\n   Objet :x\n\nold\n", "Merci", NULL, TRUE, FALSE },
	{ "spanish block", "Igual\n\n-----Mensaje original-----\nDe: \"M\" "
	  "<foo@bar.es>\nEnviado: 16/02/2016 14:53\nPara: d@x.org\nAsunto: "
	  "x\n\nold\n", "Igual", NULL, TRUE, FALSE },
	{ "wrapped from", "Reply\n\nFrom: Human Resources \n<long@example.com>"
	  " \nSent: Monday\nTo: A <a@example.com>\nSubject: x\n\nold\n",
	  "Reply", NULL, TRUE, FALSE },
	{ "blank lines between keys", "Reply\n\nFrom: Bob <b@x.com>\n\nSent: "
	  "Monday\n\nTo: Alice\n\nSubject: x\n\nold\n", "Reply", NULL, TRUE,
	  FALSE },
	{ "sender and date with an address", "8.45am-1pm\n\nFrom: "
	  "somebody@example.com\nDate: Wed, 16 May 2012 00:15:02 "
	  "-0600\n\nold\n",
	  "8.45am-1pm", NULL, TRUE, FALSE },
	{ "forward at the top keeps the body", "---------- Forwarded message "
	  "----------\nFrom: Some One <foo@bar.com>\nDate: Thu, Jan 28, 2016\n"
	  "Subject: Some subject that\nspans over 2 lines\nTo: i@example.org\n"
	  "\n\nThe forwarded text.\n", "The forwarded "
	  "text.", NULL, TRUE, FALSE },
	{ "forward below text", "See below.\n\n---------- Forwarded message "
	  "---------\nFrom: J <j@example.com>\nDate: Mon\nSubject: x\nTo: t\n"
	  "\nbody\n", "See below.", NULL, TRUE, FALSE },
	{ "apple forward, quoted", "Fwd from Apple Mail.\n\n> Begin forwarded "
	  "message:\n>\n> From: Foo <foo@example.org>\n> Subject: x\n>\n> "
	  "body\n",
	  "Fwd from Apple Mail.", NULL, TRUE, FALSE },
	{ "dash separator, other language", "Text\n\n-------- Oprindelig "
	  "besked --------\nFra: A <a@b.org>\nDato: 04.07.2024\nTil: x@y.dk\n",
	  "Text", NULL, TRUE, FALSE },
	{ "original message alone", "Foo\n\n*-------- Original Message "
	  "--------*\n\nTHE END.\n", "Foo", NULL, TRUE, FALSE },
	{ "zimbra french", "Oui\n\n----- Mail original -----\nDe: \"A\" "
	  "<a@b.fr>\n\nold\n", "Oui", NULL, TRUE, FALSE },
	{ "lotus forward", "FYI\n\n----- Forwarded by John Doe/ACME on "
	  "01/02/2019 04:54 PM -----\n\nold\n", "FYI", NULL, TRUE, FALSE },
	{ "help desk marker", "Fixed, thanks.\n\n##- Please type your reply "
	  "above this line -##\n\nYour request #12 was updated.\n",
	  "Fixed, thanks.", NULL, TRUE, FALSE },
	{ "help desk marker first", "##- Please type your reply above this "
	  "line -##\nTicket text\n", "", NULL, TRUE, FALSE },
	{ "flattened block", "Reply\n\nFrom: John Doe <j@x.com> Sent: Monday, "
	  "Jan 1 To: Jane Subject: Hi\n\nold\n", "Reply", NULL, TRUE, FALSE },
};

static void
test_outlook(void)
{
	check_cases(outlook_cases, G_N_ELEMENTS(outlook_cases));
}

static const split_case_t signatures_cases[] = {
	{ "rfc 3676", "Body\n\n-- \nrick\n", "Body", "-- \nrick", FALSE, TRUE },
	{ "dashes without space", "Body\n--\nrick\n", "Body", "--\nrick",
	  FALSE, TRUE },
	{ "signature before the quote", "Body\n\n-- \nJohn\n\nOn Mon, Jan 1, "
	  "2024 at 9:00 AM Bob <b@x.org> wrote:\n> q\n", "Body", NULL, TRUE,
	  TRUE },
	{ "list footer", "Body\n\n-Name\n\n\n______________________\nlist\n",
	  "Body\n\n-Name", NULL, FALSE, TRUE },
	{ "iphone", "Here\n\nSent from my "
	  "iPhone\n", "Here", NULL, FALSE, TRUE },
	{ "blackberry", "Here\n\nSent from my Verizon Wireless BlackBerry\n",
	  "Here", NULL, FALSE, TRUE },
	{ "possessive, unknown device", "Here\n\nSent from my TI-85\n", "Here",
	  NULL, FALSE, TRUE },
	{ "tagline then unquoted history", "Here\n\nSent from my Wiko RIDGE "
	  "FAB 4G\n\nold body\n", "Here", NULL, FALSE, TRUE },
	{ "french", "Ici\n\nEnvoy\xC3\xA9 de mon iPhone\n", "Ici", NULL, FALSE,
	  TRUE },
	{ "german", "Hier\n\nVon meinem iPhone gesendet\n", "Hier", NULL,
	  FALSE, TRUE },
	{ "spanish", "Aqu\xC3\xAD\n\nEnviado desde mi iPhone\n",
	  "Aqu\xC3\xAD", NULL, FALSE, TRUE },
	{ "outlook ios", "Thanks\n\nGet Outlook for "
	  "iOS<https://aka.ms/o0ukef>\n"
	  "________________________________\nFrom: a@b.c\nSent: x\nTo: y\n"
	  "Subject: z\n", "Thanks", NULL, TRUE, TRUE },
	{ "outlook mobile with link", "Thanks\n\nSent from Outlook Mobile"
	  "<https://foo.bar>\n", "Thanks", NULL, FALSE, TRUE },
	{ "bracketed", "Ok\n\n(Sent from mobile device)\n", "Ok", NULL, FALSE,
	  TRUE },
	{ "chinese", "\xE5\xA5\xBD\n\n\xE5\x8F\x91\xE8\x87\xAA\xE6\x88\x91"
	  "\xE7\x9A\x84 iPhone\n", "\xE5\xA5\xBD", NULL, FALSE, TRUE },
	{ "japanese", "OK\n\niPhone\xE3\x81\x8B\xE3\x82\x89\xE9\x80\x81\xE4"
	  "\xBF\xA1\n", "OK", NULL, FALSE, TRUE },
};

static void
test_signatures(void)
{
	check_cases(signatures_cases, G_N_ELEMENTS(signatures_cases));
}

/* Text that looks like a marker but is not one. */
static const split_case_t false_positives_cases[] = {
	{ "sent from my, a sentence", "Here is another email\n\nSent from my "
	  "desk, is much easier then my mobile phone.\n",
	  "Here is another email\n\nSent from my desk, is much easier then my "
	  "mobile phone.", "", FALSE, FALSE },
	{ "sent via, no device", "Sent via FedEx yesterday.\n123456\n",
	  "Sent via FedEx yesterday.\n123456", "", FALSE, FALSE },
	{ "sent from in running text", "The note was sent from my iPhone app "
	  "to all users.\nNot Sent from my iPad.\n", "The note was sent from "
	  "my iPhone app to all users.\nNot Sent from my iPad.", "", FALSE,
	  FALSE },
	{ "from in running text", "Emails come from: a@b.c and from: d@e.f\n"
	  "\nThe data comes From: our database.\n", "Emails come from: a@b.c "
	  "and from: d@e.f\n\nThe data comes From: our database.", "", FALSE,
	  FALSE },
	{ "one header key is not a block", "Subject: the report\n\nTo: all of "
	  "you, thanks.\n", "Subject: the report\n\nTo: all of you, thanks.",
	  "", FALSE, FALSE },
	{ "wrote in a url", "See https://example.com/on-date-someone-wrote-"
	  "about-parsing\nand \"wrote:\" in text.\n", "See https://example.com"
	  "/on-date-someone-wrote-about-parsing\nand \"wrote:\" in text.", "",
	  FALSE, FALSE },
	{ "on at the start of a sentence", "On the surface, fine.\n\nOn the "
	  "other hand, careful.\nOn average, good.\n", "On the surface, fine."
	  "\n\nOn the other hand, careful.\nOn average, good.", "", FALSE,
	  FALSE },
	{ "on ... : without a verb", "On Thursday:\n\nLorem ipsum.\n",
	  "On Thursday:\n\nLorem ipsum.", "", FALSE, FALSE },
	{ "on ... wrote in prose before an attribution", "On this day\n\nI "
	  "wrote something\n\nOn 28 Jan 2016, at 19:04, Some One wrote:\n\n> "
	  "q\n",
	  "On this day\n\nI wrote something", NULL, TRUE, FALSE },
	{ "sentence before an attribution stays", "Meeting at 10:30 "
	  "tomorrow.\nOn Dec 15, 2024, John <j@x.com> wrote:\n> q\n",
	  "Meeting at 10:30 tomorrow.", NULL, TRUE, FALSE },
	{ "timestamps", "2024-01-15 14:30:25\n15.01.2024 14:30\n01/15/2024 at "
	  "2:30 PM\n", "2024-01-15 14:30:25\n15.01.2024 14:30\n01/15/2024 at "
	  "2:30 PM", "", FALSE, FALSE },
	{ "dashes inside a line", "And here is a fix -- not a signature.\n"
	  "-- and this neither\n", "And here is a fix -- not a signature.\n"
	  "-- and this neither", "", FALSE, FALSE },
	{ "sign-off stays", "Thanks,\n\nBest regards,\n\nJohn\n",
	  "Thanks,\n\nBest regards,\n\nJohn", "", FALSE, FALSE },
	{ "em dash signature is "
	  "text", "\xF0\x9F\x8E\x89\n\n\xE2\x80\x94\nJohn\n",
	  "\xF0\x9F\x8E\x89\n\n\xE2\x80\x94\nJohn", "", FALSE, FALSE },
	{ "code fence", "Code:\n\n```\n-- \n> not a quote\nSent from my "
	  "iPhone\n####\n```\n\nEnd.\n", "Code:\n\n```\n-- \n> not a quote\n"
	  "Sent from my iPhone\n####\n```\n\nEnd.", "", FALSE, FALSE },
	{ "html entities", "The data should be &gt; 100.\n", "The data should "
	  "be &gt; 100.", "", FALSE, FALSE },
	{ "wrapped quote tail is quote", "Top.\n\nIl 8 dicembre 2016, Q "
	  "<q@example.com>\nha scritto:\n> Lorem ipsum dolor sit amet, "
	  "consectetur adipiscing elit. Nullam pharetra d\nignissim odio?\n>\n"
	  "> end\n", "Top.", NULL, TRUE, FALSE },
};

static void
test_false_positives(void)
{
	check_cases(false_positives_cases, G_N_ELEMENTS(false_positives_cases));
}

static void
test_bytes(void)
{
	static const char invalid[] = "Hi \xFF\xFE there \xC3\x28\n\nOn Mon, "
		"Jan 1, "
		"2024, Bob <b@x.org> wrote:\n> \xE2\x82\n";
	static const char with_nul[] = "A\0B\n\n> q\n";
	mime_text_split_t split;
	char *v;

	mime_text_split(invalid, -1, &split);
	g_assert_cmpstr(split.visible, ==, "Hi \xFF\xFE there \xC3\x28");
	g_assert_true(split.has_quote);
	mime_text_split_clear(&split);

	mime_text_split(with_nul, sizeof(with_nul) - 1, &split);
	g_assert_cmpstr(split.visible, ==, "A\xEF\xBF\xBD" "B");
	g_assert_cmpstr(split.hidden, ==, "> q");
	mime_text_split_clear(&split);

	/* Only LEN bytes are read. */
	v = mime_text_visible("Hello world", 5);
	g_assert_cmpstr(v, ==, "Hello");
	g_free(v);

	v = mime_text_visible(NULL, -1);
	g_assert_cmpstr(v, ==, "");
	g_free(v);

	mime_text_split_clear(NULL);
}

/* Every byte value in every position of a short attribution: no crash, no
 * sanitizer report, always a result. */
static void
test_bytes_fuzz(void)
{
	static const char base[] = "Hi\n\nOn Mon, Jan 1, 2024 at 9:00 AM Bob "
		"<\nb@x.org> wrote:\n> q\n-- \nx\n";
	char buf[sizeof(base)];

	for (gsize pos = 0; pos < sizeof(base) - 1; pos++) {
		for (int b = 0; b < 256; b += 7) {
			char *v;

			memcpy(buf, base, sizeof(base));
			buf[pos] = (char)b;
			v = mime_text_visible(buf, sizeof(base) - 1);
			g_assert_nonnull(v);
			g_free(v);
		}
	}
}

#define ONE_MB (1024 * 1024)

static char *
repeat(const char *unit, gsize total)
{
	GString *s = g_string_sized_new(total + strlen(unit));

	while (s->len < total)
		g_string_append(s, unit);
	return g_string_free(s, FALSE);
}

/* Each 1 MB input must be split well within a second, even under the
 * sanitizers: the work is linear. */
static void
test_big_inputs(void)
{
	static const struct {
		const char *unit;
		const char *prefix;
	} cases[] = {
		{ "> quoted line of a long history\n", "Reply\n" },
		{ ">", NULL },                       /* one 1 MB line */
		{ ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>\nA>>>>>>>>>>>>\n", NULL },
		{ "On On On On On On On On wrote wrote ", NULL },
		{ "On Mon, Jan 1, 2024 at 9:00 AM Bob <\nb@x.org> "
		  "wrote:\n", "Hi\n" },
		{ "On 1\n\n", NULL },
		{ "From: a\nSent: b\nTo: c\n", "Hi\n" },
		{ "From: a\nTo: b\n", "Hi\n" },
		{ "@@@@@@@@@@@@@@a@b.c@d.e@@@@@@@@@:\n", NULL },
		{ "a@b.cc ", NULL },
		{ "2016-03-03 17:21 GMT+01:00 x y z\n", NULL },
		{ "Sent from my Sent from my Sent from my ", NULL },
		{ "Sent from my iPhone\n", "Hi\n" },
		{ "-", NULL },
		{ "--\n", NULL },
		{ "\n", NULL },
		{ "\r\n\r", NULL },
		{ "______________________________\n", NULL },
		{ "```\n", NULL },
		{ "> am 09.09.2017 um 21:42 sssssss\n\xC3\x9F\xC3\x9F\xC3\x9F "
		  "fffffff\n\n> in message from sssssss\n", NULL },
		{ "name: gi|253409428|ref|GQ227366.1| Influenza A virus "
		  "(A/pika/Qinghai/BI/2007(H5N1)) "
		  "______________________ ", NULL },
		{ "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n"
		  "> quoted\nunquoted\n", "Top\n" },
		{ "\xFF\xFE\xC3", NULL },
		{ "----- Original Message -----\n", NULL },
		{ "Le 4 janv. 2016 19:03, \"N\"\n<i@d.org>\na "
		  "\xC3\xA9" "crit :\n", "Oui\n" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *prefix = cases[i].prefix ? cases[i].prefix : "";
		g_autofree char *body = repeat(cases[i].unit, ONE_MB);
		g_autofree char *text = g_strconcat(prefix, body, NULL);
		mime_text_split_t split;
		gint64 start = g_get_monotonic_time(), usec;

		mime_text_split(text, -1, &split);
		usec = g_get_monotonic_time() - start;
		g_assert_nonnull(split.visible);
		g_assert_nonnull(split.hidden);
		mime_text_split_clear(&split);
		if (g_test_verbose())
			g_printerr("case %" G_GSIZE_FORMAT ": %" G_GINT64_FORMAT
				   " us\n", i, usec);
		if (usec > 2 * G_USEC_PER_SEC)
			g_error("case %" G_GSIZE_FORMAT " (%.20s...) took "
				"%" G_GINT64_FORMAT
				" us", i, cases[i].unit, usec);
	}
}

static void
test_big_results(void)
{
	g_autofree char *quotes = repeat("> q\n", ONE_MB);
	g_autofree char *text = g_strconcat("Reply on top\n\n", quotes, NULL);
	mime_text_split_t split;

	mime_text_split(text, -1, &split);
	g_assert_cmpstr(split.visible, ==, "Reply on top");
	g_assert_true(split.has_quote);
	g_assert_cmpuint(strlen(split.hidden), ==, strlen(quotes) - 1);
	mime_text_split_clear(&split);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mime-text/basics", test_basics);
	g_test_add_func("/mime-text/attributions", test_attributions);
	g_test_add_func("/mime-text/outlook", test_outlook);
	g_test_add_func("/mime-text/signatures", test_signatures);
	g_test_add_func("/mime-text/false-positives", test_false_positives);
	g_test_add_func("/mime-text/bytes", test_bytes);
	g_test_add_func("/mime-text/bytes-fuzz", test_bytes_fuzz);
	g_test_add_func("/mime-text/big-inputs", test_big_inputs);
	g_test_add_func("/mime-text/big-results", test_big_results);
	return g_test_run();
}
