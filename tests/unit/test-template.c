/* SPDX-License-Identifier: MIT
 * test-template.c: template parsing, checking, rendering and escaping,
 * directory sets with language fallback, and the shipped templates/. */
#include "autodefs.h"
#include <string.h>
#include <glib/gstdio.h>
#include "error.h"
#include "template.h"
#include "unit.h"
#include "banned.h"

/* Values from a list of strings: "name=value" sets NAME in the current
 * scope, "+list" starts a new item of LIST in it (the item becomes the
 * current scope), "-" goes back out. */
static template_vars_t *
vars_from(const char *const *spec)
{
	template_vars_t *root = template_vars_new();
	template_vars_t *stack[8] = { root };
	guint depth = 0;

	for (; spec != NULL && *spec != NULL; spec++) {
		const char *s = *spec;
		const char *eq = strchr(s, '=');

		if (s[0] == '+') {
			g_assert_cmpuint(depth, <, G_N_ELEMENTS(stack) - 1);
			stack[depth + 1] = template_vars_append(stack[depth], s + 1);
			depth++;
		} else if (strcmp(s, "-") == 0) {
			g_assert_cmpuint(depth, >, 0);
			depth--;
		} else {
			g_autofree char *name = NULL;

			g_assert_nonnull(eq);
			name = g_strndup(s, eq - s);
			template_vars_set(stack[depth], name, eq + 1);
		}
	}
	return root;
}

static template_t *
parse_ok(const char *file, const char *text)
{
	g_autoptr(GError) error = NULL;
	template_t *tpl = template_parse(file, text, -1, &error);

	g_assert_no_error(error);
	g_assert_nonnull(tpl);
	return tpl;
}

/* The decoded text of the first text part of MSG. New string. */
static char *
body_text(GMimeMessage *msg, const char *subtype)
{
	GMimeObject *part = g_mime_message_get_mime_part(msg);

	if (GMIME_IS_MULTIPART(part)) {
		GMimeMultipart *mp = GMIME_MULTIPART(part);

		part = NULL;
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
			GMimeObject *p = g_mime_multipart_get_part(mp, i);
			GMimeContentType *ct = g_mime_object_get_content_type(p);

			if (g_mime_content_type_is_type(ct, "text", subtype))
				part = p;
		}
	}
	g_assert_nonnull(part);
	g_assert_true(GMIME_IS_TEXT_PART(part));
	return g_mime_text_part_get_text(GMIME_TEXT_PART(part));
}

static char *
message_bytes(GMimeMessage *msg)
{
	g_autoptr(GBytes) bytes = template_message_to_bytes(msg);
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);

	return g_strndup(data, len);
}

/* Parse BYTES back into a message. Caller unrefs. */
static GMimeMessage *
reparse(const char *bytes)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(bytes, strlen(bytes));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	g_assert_nonnull(msg);
	return msg;
}

/* TRUE when a header line NAME: starts a line of the header of the
 * written BYTES. */
static gboolean
has_header_line(const char *bytes, const char *name)
{
	const char *end = strstr(bytes, "\r\n\r\n");
	g_autofree char *at_start = g_strconcat(name, ":", NULL);
	g_autofree char *in_middle = g_strconcat("\n", name, ":", NULL);
	g_autofree char *lower = g_ascii_strdown(bytes, end != NULL ? end - bytes + 2 : -1);
	g_autofree char *l_start = g_ascii_strdown(at_start, -1);
	g_autofree char *l_middle = g_ascii_strdown(in_middle, -1);

	return g_str_has_prefix(lower, l_start) || strstr(lower, l_middle) != NULL;
}

/* Every LF is part of a CRLF. */
static void
assert_crlf(const char *bytes)
{
	for (const char *p = bytes; *p != '\0'; p++)
		if (*p == '\n')
			g_assert_true(p > bytes && p[-1] == '\r');
}

typedef struct {
	const char *name;
	const char *body;             /* after "Subject: x\n\n" */
	const char *const vars[16];
	const char *expected;
} render_case_t;

static const render_case_t render_cases[] = {
	{ "plain", "Hello {{who}}!\n", { "who=World" }, "Hello World!\n" },
	{ "spaces in tag", "Hello {{ who }}!\n", { "who=World" }, "Hello World!\n" },
	{ "dotted", "#{{ticket.id}} {{ticket.subject}}\n",
	  { "ticket.id=12", "ticket.subject=Printer" }, "#12 Printer\n" },
	{ "missing is empty", "[{{ticket.owner}}]\n", { NULL }, "[]\n" },
	{ "text body as is", "{{x}}\n", { "x=<b>&amp;\"quoted\"</b>" },
	  "<b>&amp;\"quoted\"</b>\n" },
	{ "value line ends", "{{x}}\n", { "x=a\r\nb\rc\nd" }, "a\nb\nc\nd\n" },
	{ "template CRLF", "a\r\nb{{x}}\r\n", { "x=1" }, "a\nb1\n" },
	{ "utf-8", "{{x}} – ok\n", { "x=Grüße" }, "Grüße – ok\n" },
	{ "list", "{{#items}}<{{name}}>{{/items}}\n",
	  { "+items", "name=a", "-", "+items", "name=b", "-" }, "<a><b>\n" },
	{ "list standalone lines",
	  "Files:\n{{#attachments}}\n- {{filename}} ({{size}})\n{{/attachments}}\nend\n",
	  { "+attachments", "filename=a.txt", "size=1", "-",
	    "+attachments", "filename=b.png", "size=2", "-" },
	  "Files:\n- a.txt (1)\n- b.png (2)\nend\n" },
	{ "indented standalone", "a\n  {{#x}}  \nb\n\t{{/x}}\nc\n", { "x=1" }, "a\nb\nc\n" },
	{ "standalone at end", "a\n{{#x}}\nb\n{{/x}}", { "x=1" }, "a\nb\n" },
	{ "not standalone", "a {{#x}}\nb\n{{/x}} c\n", { "x=1" }, "a \nb\n c\n" },
	{ "item then outer", "{{#items}}{{name}}@{{gateway.tag}} {{/items}}\n",
	  { "gateway.tag=S", "name=outer", "+items", "name=in", "-", "+items", "-" },
	  "in@S outer@S \n" },
	{ "empty list", "[{{#items}}x{{/items}}]\n", { "+items", "-", "items=" }, "[]\n" },
	{ "no list", "[{{#items}}x{{/items}}]\n", { NULL }, "[]\n" },
	{ "inverted missing", "[{{^items}}none{{/items}}]\n", { NULL }, "[none]\n" },
	{ "inverted empty string", "[{{^x}}none{{/x}}]\n", { "x=" }, "[none]\n" },
	{ "inverted empty list", "[{{^x}}none{{/x}}]\n", { "+x", "-" }, "[]\n" },
	{ "inverted non-empty", "[{{^x}}none{{/x}}]\n", { "x=0" }, "[]\n" },
	{ "if string", "[{{#ticket.due}}due {{ticket.due}}{{/ticket.due}}]\n",
	  { "ticket.due=by Monday 12:30 CET" }, "[due by Monday 12:30 CET]\n" },
	{ "if empty string", "[{{#ticket.due}}due {{ticket.due}}{{/ticket.due}}]\n",
	  { "ticket.due=" }, "[]\n" },
	{ "nested lists",
	  "{{#tickets}}#{{id}}:{{#items}}{{name}},{{/items}}{{^items}}-{{/items}};{{/tickets}}\n",
	  { "+tickets", "id=1", "+items", "name=a", "-", "+items", "name=b", "-", "-",
	    "+tickets", "id=2", "-" },
	  "#1:a,b,;#2:-;\n" },
	{ "inner shadows outer", "{{#items}}{{id}}{{#sub}}{{id}}{{/sub}}{{/items}}\n",
	  { "id=0", "+items", "id=1", "+sub", "id=2", "-", "+sub", "-", "-" }, "121\n" },
	{ "comment inline", "a{{! not shown }}b\n", { NULL }, "ab\n" },
	{ "comment standalone", "a\n{{! one line }}\nb\n", { NULL }, "a\nb\n" },
	{ "comment multi-line", "a\n{{! one\n  two\n}}\nb\n", { NULL }, "a\nb\n" },
	{ "comment ends at }}", "a{{! {{x}} }}b\n", { "x=1" }, "a }}b\n" },
	{ "braces alone", "{ x } } {\n", { NULL }, "{ x } } {\n" },
	{ "set replaces list", "{{x}}\n", { "+x", "-", "x=s" }, "s\n" },
	{ "invalid utf-8 value", "{{x}}\n", { "x=a\xff" "b" }, "a\xef\xbf\xbd" "b\n" },
};

static void
test_render(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(render_cases); i++) {
		const render_case_t *c = &render_cases[i];
		g_autofree char *text = g_strconcat("Subject: x\n\n", c->body, NULL);
		g_autoptr(template_t) tpl = NULL;
		g_autoptr(template_vars_t) vars = vars_from(c->vars);
		g_autoptr(GError) error = NULL;
		g_autofree char *got = NULL;
		GMimeMessage *msg;

		g_test_message("case %s", c->name);
		tpl = parse_ok("t.tmpl", text);
		msg = template_render(tpl, NULL, vars, 0, &error);
		g_assert_no_error(error);
		got = body_text(msg, "plain");
		g_assert_cmpstr(got, ==, c->expected);
		g_object_unref(msg);
	}
}

static void
test_vars(void)
{
	g_autoptr(template_vars_t) v = template_vars_new();
	template_vars_t *item;

	template_vars_set_int(v, "ticket.id", G_GINT64_CONSTANT(9007199254740992));
	g_assert_cmpstr(template_vars_get(v, "ticket.id"), ==, "9007199254740992");
	template_vars_set_int(v, "n", -3);
	g_assert_cmpstr(template_vars_get(v, "n"), ==, "-3");
	template_vars_set(v, "x", NULL);
	g_assert_cmpstr(template_vars_get(v, "x"), ==, "");
	g_assert_null(template_vars_get(v, "missing"));
	item = template_vars_append(v, "x");
	g_assert_nonnull(item);
	g_assert_null(template_vars_get(v, "x")); /* now a list */
	template_vars_set(item, "a", "b");
	g_assert_cmpstr(template_vars_get(item, "a"), ==, "b");
	g_assert_true(template_vars_append(v, "x") != item);
}

typedef struct {
	const char *file;
	const char *text;
	const char *message;
} error_case_t;

static const error_case_t error_cases[] = {
	{ "t.tmpl", "Subject: x\n\n{{#a}}\nfoo\n", "t.tmpl:3: section \"{{#a}}\" is not closed" },
	{ "t.tmpl", "Subject: x\n\n{{^a}}\nfoo\n", "t.tmpl:3: section \"{{^a}}\" is not closed" },
	{ "t.tmpl", "Subject: x\n\none\n{{#a}}{{#b}}\n{{/b}}\n",
	  "t.tmpl:4: section \"{{#a}}\" is not closed" },
	{ "t.tmpl", "Subject: x\n\n{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}\n",
	  "t.tmpl:5: \"{{/a}}\" does not close \"{{#b}}\" from line 4" },
	{ "t.tmpl", "Subject: x\n\nfoo\n{{/a}}\n", "t.tmpl:4: \"{{/a}}\" closes no open section" },
	{ "t.tmpl", "Subject: x\n\n{{&a}}\n", "t.tmpl:3: unknown tag syntax \"{{&a}}\"" },
	{ "t.tmpl", "Subject: x\n\n\n{{{a}}}\n", "t.tmpl:4: unknown tag syntax \"{{{a}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{>partial}}\n", "t.tmpl:3: unknown tag syntax \"{{>partial}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{=<% %>=}}\n", "t.tmpl:3: unknown tag syntax \"{{=<% %>=}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{}}\n", "t.tmpl:3: unknown tag syntax \"{{}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{a b}}\n", "t.tmpl:3: unknown tag syntax \"{{a b}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{a..b}}\n", "t.tmpl:3: unknown tag syntax \"{{a..b}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{.a}}\n", "t.tmpl:3: unknown tag syntax \"{{.a}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{1a}}\n", "t.tmpl:3: unknown tag syntax \"{{1a}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{#}}{{/}}\n", "t.tmpl:3: unknown tag syntax \"{{#}}\"" },
	{ "t.tmpl", "Subject: x\n\nok\n{{a\n", "t.tmpl:4: unterminated tag: \"{{\" without \"}}\"" },
	{ "t.tmpl", "Subject: x\n\n{{! a\nb\n}}{{a\n",
	  "t.tmpl:5: unterminated tag: \"{{\" without \"}}\"" },
	{ "t.tmpl", "Subject: x\r\n\r\na\r\n\r\n{{/a}}\r\n", "t.tmpl:5: \"{{/a}}\" closes no open section" },
	{ "t.tmpl", "Hello Alice,\n\nthanks\n",
	  "t.tmpl:1: expected \"Name: value\" or a blank line before the body" },
	{ "t.tmpl", "Subject: x\nTo : a@b\n\n",
	  "t.tmpl:2: expected \"Name: value\" or a blank line before the body" },
	{ "t.tmpl", " folded\nSubject: x\n\n", "t.tmpl:1: continuation line without a header" },
	{ "t.tmpl", "Subject: x\nContent-Type: text/html\n\n",
	  "t.tmpl:2: header Content-Type is postdesk's to set, from the body" },
	{ "t.tmpl", "Subject: x\nmime-version: 1.0\n\n",
	  "t.tmpl:2: header mime-version is postdesk's to set, from the body" },
	{ "t.tmpl", "Subject: x\nTo: a@b.example\nsubject: y\n\n",
	  "t.tmpl:3: header subject given twice (first on line 1)" },
	{ "t.tmpl", "Subject: x\x01y\n\n", "t.tmpl:1: control character in the header part" },
	{ "t.tmpl", "Subject: x\n\nok\n\xff\n", "t.tmpl:4: not valid UTF-8" },
	{ "t.tmpl", "To: a@b.example\nSubject: {{#x}}y\n\n",
	  "t.tmpl:2: section \"{{#x}}\" is not closed" },
	{ "t.tmpl", "Subject: x\n  {{#x}}\n  y\n  {{/z}}\n\n",
	  "t.tmpl:4: \"{{/z}}\" does not close \"{{#x}}\" from line 2" },
	{ "t.html.tmpl", "<p>\n{{#a}}</p>\n", "t.html.tmpl:2: section \"{{#a}}\" is not closed" },
	{ "dir/de/t.tmpl", "Subject: {{&x}}\n\n", "dir/de/t.tmpl:1: unknown tag syntax \"{{&x}}\"" },
};

static void
test_parse_errors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		const error_case_t *c = &error_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(template_t) tpl = NULL;

		g_test_message("case %s", c->message);
		tpl = template_parse(c->file, c->text, -1, &error);
		g_assert_null(tpl);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==, c->message);
	}
	{
		/* A NUL inside the given length. */
		static const char nul[] = "Subject: x\n\nok\0nul\n";
		g_autoptr(GError) error = NULL;
		g_autoptr(template_t) tpl = template_parse("t.tmpl", nul, sizeof nul - 1,
							   &error);

		g_assert_null(tpl);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==, "t.tmpl:3: not valid UTF-8");
	}
}

static void
test_parse_limits(void)
{
	g_autoptr(GString) deep = g_string_new("Subject: x\n\n");
	g_autoptr(GString) ok = g_string_new("Subject: x\n\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(template_t) tpl = NULL;
	g_autoptr(template_t) fine = NULL;
	g_autofree char *longtag = NULL;
	g_autofree char *longtext = NULL;

	for (int i = 0; i < TEMPLATE_MAX_DEPTH; i++)
		g_string_append(ok, "{{#items}}");
	for (int i = 0; i < TEMPLATE_MAX_DEPTH; i++)
		g_string_append(ok, "{{/items}}");
	fine = parse_ok("t.tmpl", ok->str);
	for (int i = 0; i <= TEMPLATE_MAX_DEPTH; i++)
		g_string_append(deep, "{{#items}}");
	tpl = template_parse("t.tmpl", deep->str, -1, &error);
	g_assert_null(tpl);
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	g_assert_cmpstr(error->message, ==, "t.tmpl:3: sections nested deeper than 32");
	g_clear_error(&error);

	/* A long bad tag is shown cut, at a character boundary. */
	longtag = g_strdup_printf("Subject: x\n\n{{ä%s}}\n", "üüüüüüüüüüüüüüüüüüüüüüüüüüü");
	tpl = template_parse("t.tmpl", longtag, -1, &error);
	g_assert_null(tpl);
	g_assert_true(g_str_has_suffix(error->message, "…\""));
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	g_clear_error(&error);

	/* Headers only, no blank line: an empty body. */
	g_clear_pointer(&fine, template_free);
	fine = parse_ok("t.tmpl", "Subject: x");
	g_clear_pointer(&fine, template_free);
	fine = parse_ok("t.tmpl", "");
	g_assert_cmpstr(template_file(fine), ==, "t.tmpl");
	g_assert_false(template_is_html(fine));
	g_clear_pointer(&fine, template_free);
	fine = parse_ok("x.html.tmpl", "Subject: not a header here\n");
	g_assert_true(template_is_html(fine));

	/* An explicit length stops early. */
	longtext = g_strdup("Subject: x\n\nabc{{#broken");
	g_clear_pointer(&fine, template_free);
	fine = template_parse("t.tmpl", longtext, 15, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fine);
}

typedef struct {
	const char *text;
	const char *problems; /* joined by '\n', "" for none */
} check_case_t;

static const check_case_t check_cases[] = {
	{ "Subject: {{ticket.tagged_subject}}\nTo: {{recipient.name}} <{{recipient.address}}>\n\n"
	  "{{ticket.id}} {{gateway.tag}} {{reply_address}}\n", "" },
	{ "Subject: x\n\n\n{{ticket.idd}}\n", "t.tmpl:4: unknown variable \"ticket.idd\"" },
	{ "Subject: {{subject}}\n\n", "t.tmpl:1: unknown variable \"subject\" (a field of the "
	  "items of {{#tickets}})" },
	{ "Subject: x\nX-Foo: a\n  {{nope}}\n\n", "t.tmpl:3: unknown variable \"nope\"" },
	{ "Subject: x\n\n{{#nope}}\n{{alsonot}}\n{{/nope}}\n{{^ticket}}{{/ticket}}\n",
	  "t.tmpl:3: unknown variable \"nope\"\nt.tmpl:4: unknown variable \"alsonot\"\n"
	  "t.tmpl:6: unknown variable \"ticket\"" },
	{ "Subject: x\n\n{{attachments}}\n",
	  "t.tmpl:3: \"attachments\" is a list: use {{#attachments}}...{{/attachments}}" },
	{ "Subject: x\n\n{{#attachments}}{{filename}} {{size_human}} {{ticket.id}}{{/attachments}}\n", "" },
	{ "Subject: x\n\n{{#attachments}}{{line}}{{/attachments}}\n",
	  "t.tmpl:3: unknown variable \"line\" (a field of the items of {{#receipt}})" },
	{ "Subject: x\n\n{{^attachments}}{{filename}}{{/attachments}}\n",
	  "t.tmpl:3: unknown variable \"filename\" (a field of the items of {{#attachments}})" },
	{ "Subject: x\n\n{{#receipt}}{{line}}: {{result}}{{/receipt}}\n", "" },
	{ "Subject: x\n\n{{#tickets}}{{id}} {{#due}}{{due}}{{/due}} {{owner}} {{age}}{{/tickets}}\n", "" },
	{ "Subject: x\n\n{{#items}}{{anything}}{{#sub}}{{deeper}}{{/sub}}{{/items}}\n", "" },
	{ "Subject: x\n\n{{#items}}{{#attachments}}{{filename}}{{/attachments}}{{/items}}\n", "" },
	{ "Subject: x\n\n{{#tickets}}{{#attachments}}{{filename}} {{id}}{{/attachments}}{{/tickets}}\n", "" },
	{ "Subject: x\n\n{{! nope is in a comment }}\n", "" },
};

static void
test_check(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(check_cases); i++) {
		const check_case_t *c = &check_cases[i];
		g_autoptr(template_t) tpl = parse_ok("t.tmpl", c->text);
		g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
		g_autofree char *joined = NULL;
		gboolean ok;

		g_test_message("case %" G_GSIZE_FORMAT, i);
		ok = template_check(tpl, problems);
		g_ptr_array_add(problems, NULL);
		joined = g_strjoinv("\n", (char **)problems->pdata);
		g_assert_cmpstr(joined, ==, c->problems);
		g_assert_true(ok == (*c->problems == '\0'));
	}
}

static const char injection[] = "x\r\nBcc: evil@example.org";

static void
test_header_injection(void)
{
	g_autoptr(template_t) tpl = parse_ok(
		"t.tmpl",
		"From: {{gateway.name}} <{{gateway.support_address}}>\n"
		"To: {{recipient.name}} <{{recipient.address}}>\n"
		"Subject: {{ticket.tagged_subject}}\n"
		"X-Note: {{note}}\n"
		"\n"
		"Body {{note}}\n");
	const char *const spec[] = {
		"gateway.name=Support\nBcc: evil2@example.org",
		"gateway.support_address=support@example.org",
		"recipient.address=alice@example.org",
		NULL,
	};
	g_autoptr(template_vars_t) vars = vars_from(spec);
	g_autoptr(GError) error = NULL;
	g_autofree char *bytes = NULL;
	GMimeMessage *msg, *back;
	InternetAddressList *to;

	template_vars_set(vars, "ticket.tagged_subject", injection);
	template_vars_set(vars, "recipient.name", injection);
	template_vars_set(vars, "note", "a\rBcc: evil3@example.org\x7f\xc2\x85\xe2\x80\xa8z");
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	bytes = message_bytes(msg);
	g_assert_false(has_header_line(bytes, "Bcc"));
	assert_crlf(bytes);

	back = reparse(bytes);
	g_assert_cmpstr(g_mime_message_get_subject(back), ==, "x  Bcc: evil@example.org");
	to = g_mime_message_get_to(back);
	g_assert_cmpint(internet_address_list_length(to), ==, 1);
	g_assert_cmpstr(internet_address_get_name(internet_address_list_get_address(to, 0)),
			==, "x  Bcc: evil@example.org");
	g_assert_cmpstr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
				internet_address_list_get_address(to, 0))),
			==, "alice@example.org");
	g_assert_cmpint(internet_address_list_length(g_mime_message_get_from(back)), ==, 1);
	g_assert_cmpint(internet_address_list_length(g_mime_message_get_bcc(back)), ==, 0);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(back), "X-Note"), ==,
			"a Bcc: evil3@example.org   z");
	/* The body takes values as they are. */
	g_assert_nonnull(strstr(bytes, "Body a\r\nBcc: evil3@example.org"));
	g_object_unref(back);
	g_object_unref(msg);
}

/* Encoded words in a value are decoded before the header is written, so
 * a reader cannot decode them into a line break either. */
static void
test_header_encoded_word(void)
{
	g_autoptr(template_t) tpl = parse_ok(
		"t.tmpl", "To: {{recipient.name}} <a@example.org>\nSubject: {{x}}\n\n");
	g_autoptr(template_vars_t) vars = template_vars_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *bytes = NULL;
	GMimeMessage *msg, *back;
	const char *subject, *name;

	template_vars_set(vars, "x", "Hi =?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5vcmc=?= there");
	template_vars_set(vars, "recipient.name",
			  "=?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5vcmc=?=");
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	bytes = message_bytes(msg);
	g_assert_false(has_header_line(bytes, "Bcc"));
	back = reparse(bytes);
	subject = g_mime_message_get_subject(back);
	g_assert_null(strchr(subject, '\r'));
	g_assert_null(strchr(subject, '\n'));
	g_assert_nonnull(strstr(subject, "Bcc: evil@example.org"));
	name = internet_address_get_name(internet_address_list_get_address(
		g_mime_message_get_to(back), 0));
	g_assert_null(strchr(name, '\r'));
	g_assert_null(strchr(name, '\n'));
	g_assert_cmpint(internet_address_list_length(g_mime_message_get_bcc(back)), ==, 0);
	g_object_unref(back);
	g_object_unref(msg);
}

typedef struct {
	const char *name;
	const char *header;     /* one address header line */
	const char *const vars[6];
	const char *expected;   /* the list as GMime formats it, or NULL: error */
} address_case_t;

static const address_case_t address_cases[] = {
	{ "name and address", "To: {{recipient.name}} <{{recipient.address}}>",
	  { "recipient.name=Alice Example", "recipient.address=alice@example.org" },
	  "Alice Example <alice@example.org>" },
	{ "name with specials", "To: {{recipient.name}} <{{recipient.address}}>",
	  { "recipient.name=Doe, \"John\" \\ <j@x>", "recipient.address=j@example.org" },
	  "\"Doe, \\\"John\\\" \\\\ <j@x>\" <j@example.org>" },
	{ "empty name", "To: {{recipient.name}} <{{recipient.address}}>",
	  { "recipient.address=alice@example.org" }, "alice@example.org" },
	{ "bare address", "To: {{recipient.address}}",
	  { "recipient.address=alice@example.org" }, "alice@example.org" },
	{ "list of bare", "Cc: {{a}}, {{b}} ,{{c}}",
	  { "a=a@example.org", "b=b@example.org", "c=c@example.org" },
	  "a@example.org, b@example.org, c@example.org" },
	{ "bare in a section", "To: {{#owner}}{{owner}}{{/owner}}", { "owner=o@example.org" },
	  "o@example.org" },
	{ "name via gateway", "From: {{member.name}} via {{gateway.name}} <{{gateway.support_address}}>",
	  { "member.name=Alice", "gateway.name=Example Support",
	    "gateway.support_address=support@example.org" },
	  "Alice via Example Support <support@example.org>" },
	{ "quoted by the template", "To: \"{{recipient.name}} (customer)\" <{{recipient.address}}>",
	  { "recipient.name=Bob \"the\" Builder", "recipient.address=bob@example.org" },
	  "\"Bob \\\"the\\\" Builder (customer)\" <bob@example.org>" },
	{ "address injection in <>", "To: {{recipient.name}} <{{recipient.address}}>",
	  { "recipient.name=A", "recipient.address=a@example.org>, evil@example.org" }, NULL },
	{ "bare injection", "To: {{recipient.address}}",
	  { "recipient.address=a@example.org, evil@example.org" }, NULL },
	{ "name where an address goes", "To: {{recipient.name}}",
	  { "recipient.name=Alice Example" }, NULL },
	{ "not an address", "To: {{recipient.address}}", { "recipient.address=alice" }, NULL },
	{ "literal not an address", "To: support", { NULL }, NULL },
	{ "all empty: no header", "To: {{recipient.name}} <{{recipient.address}}>", { NULL }, NULL },
	{ "section empty: no header", "Reply-To: {{#r}}{{n}} <{{r}}>{{/r}}", { "n=X" }, "" },
};

static void
test_addresses(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(address_cases); i++) {
		const address_case_t *c = &address_cases[i];
		g_autofree char *text = g_strconcat("Subject: x\n", c->header, "\n\n", NULL);
		g_autoptr(template_t) tpl = NULL;
		g_autoptr(template_vars_t) vars = vars_from(c->vars);
		g_autoptr(GError) error = NULL;
		g_autofree char *name = NULL;
		GMimeMessage *msg;

		g_test_message("case %s", c->name);
		tpl = parse_ok("t.tmpl", text);
		msg = template_render(tpl, NULL, vars, 0, &error);
		if (c->expected == NULL && strstr(c->name, "empty") == NULL) {
			g_assert_null(msg);
			g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
			g_assert_true(g_str_has_prefix(error->message, "t.tmpl:2: "));
			continue;
		}
		g_assert_no_error(error);
		name = g_strndup(c->header, strchr(c->header, ':') - c->header);
		if (c->expected == NULL || *c->expected == '\0') {
			/* The header rendered empty and was left out. */
			g_autofree char *bytes = message_bytes(msg);

			g_assert_false(has_header_line(bytes, name));
		} else {
			InternetAddressList *list = NULL;
			g_autofree char *got = NULL;

			if (strcmp(name, "To") == 0)
				list = g_mime_message_get_to(msg);
			else if (strcmp(name, "Cc") == 0)
				list = g_mime_message_get_cc(msg);
			else if (strcmp(name, "From") == 0)
				list = g_mime_message_get_from(msg);
			g_assert_nonnull(list);
			got = internet_address_list_to_string(list, NULL, FALSE);
			g_assert_cmpstr(got, ==, c->expected);
		}
		g_object_unref(msg);
	}
}

static void
test_rfc2047(void)
{
	g_autoptr(template_t) tpl = parse_ok(
		"t.tmpl",
		"From: {{member.name}} <m@example.org>\n"
		"Subject: [Support #{{ticket.id}}] {{ticket.subject}}\n"
		"X-Group: {{ticket.group_name}}\n"
		"\n"
		"{{ticket.subject}}\n");
	const char *const spec[] = {
		"ticket.id=12", "ticket.subject=Grüße aus Köln – 東京",
		"member.name=Jürgen Müller", "ticket.group_name=Bücher", NULL,
	};
	g_autoptr(template_vars_t) vars = vars_from(spec);
	g_autoptr(GError) error = NULL;
	g_autofree char *bytes = NULL;
	g_autofree char *body = NULL;
	g_auto(GStrv) lines = NULL;
	GMimeMessage *msg, *back;
	gsize header_end;

	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	bytes = message_bytes(msg);
	assert_crlf(bytes);
	/* The header is 7-bit: encoded words, in UTF-8. */
	header_end = strstr(bytes, "\r\n\r\n") - bytes;
	for (gsize i = 0; i < header_end; i++)
		g_assert_cmpuint((guchar)bytes[i], <, 0x80);
	lines = g_strsplit(bytes, "\r\n", -1);
	g_assert_true(g_str_has_prefix(bytes, "From: =?UTF-8?") ||
		      g_str_has_prefix(bytes, "From: =?utf-8?"));
	g_assert_nonnull(strstr(bytes, "Subject: [Support #12] =?UTF-8?"));
	g_assert_nonnull(strstr(bytes, "X-Group: =?UTF-8?"));
	g_assert_nonnull(strstr(bytes, "Content-Type: text/plain; charset=utf-8\r\n"));
	g_assert_nonnull(strstr(bytes, "Content-Transfer-Encoding: quoted-printable\r\n"));
	g_assert_nonnull(strstr(bytes, "MIME-Version: 1.0\r\n"));

	back = reparse(bytes);
	g_assert_cmpstr(g_mime_message_get_subject(back), ==,
			"[Support #12] Grüße aus Köln – 東京");
	g_assert_cmpstr(internet_address_get_name(internet_address_list_get_address(
				g_mime_message_get_from(back), 0)), ==, "Jürgen Müller");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(back), "X-Group"), ==, "Bücher");
	body = body_text(back, "plain");
	/* Parsed back from the wire: CRLF. */
	g_assert_cmpstr(body, ==, "Grüße aus Köln – 東京\r\n");
	g_object_unref(back);
	g_object_unref(msg);
}

static void
test_body_encoding(void)
{
	g_autoptr(template_t) tpl = parse_ok("t.tmpl", "Subject: x\n\n{{x}}\nline two\n");
	g_autoptr(template_vars_t) vars = template_vars_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *bytes = NULL;
	g_autofree char *long_line = g_strnfill(1200, 'a');
	g_autofree char *body = NULL;
	GMimeMessage *msg, *back;

	template_vars_set(vars, "x", "plain ascii");
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	bytes = message_bytes(msg);
	g_assert_nonnull(strstr(bytes, "Content-Type: text/plain; charset=utf-8\r\n"));
	g_assert_nonnull(strstr(bytes, "Content-Transfer-Encoding: 7bit\r\n"));
	g_assert_true(g_str_has_suffix(bytes, "\r\n\r\nplain ascii\r\nline two\r\n"));
	g_object_unref(msg);
	g_clear_pointer(&bytes, g_free);

	/* Over 998 bytes a line: quoted-printable even in ASCII. */
	template_vars_set(vars, "x", long_line);
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	bytes = message_bytes(msg);
	g_assert_nonnull(strstr(bytes, "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_crlf(bytes);
	back = reparse(bytes);
	body = body_text(back, "plain");
	g_assert_true(g_str_has_prefix(body, long_line));
	g_object_unref(back);
	g_object_unref(msg);
}

static void
test_html(void)
{
	g_autoptr(template_t) text = parse_ok(
		"t.tmpl", "Subject: {{x}}\n\nText: {{x}}\n");
	g_autoptr(template_t) html = parse_ok(
		"t.html.tmpl", "<p title=\"{{x}}\">{{x}}</p>\n{{#items}}<li>{{name}}</li>\n{{/items}}");
	const char *const spec[] = {
		"x=<script>alert('x')</script> & \"Grüße\"",
		"+items", "name=a<b", "-", NULL,
	};
	g_autoptr(template_vars_t) vars = vars_from(spec);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *bytes = NULL;
	g_autofree char *got_html = NULL;
	g_autofree char *got_text = NULL;
	GMimeMessage *msg, *back;
	GMimeObject *top;

	msg = template_render(text, html, vars, 0, &error);
	g_assert_no_error(error);
	bytes = message_bytes(msg);
	assert_crlf(bytes);
	back = reparse(bytes);
	top = g_mime_message_get_mime_part(back);
	g_assert_true(GMIME_IS_MULTIPART(top));
	g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(top),
						  "multipart", "alternative"));
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 2);
	/* RFC 2046 5.1.4: the plainest part first. */
	g_assert_true(g_mime_content_type_is_type(
		g_mime_object_get_content_type(g_mime_multipart_get_part(GMIME_MULTIPART(top), 0)),
		"text", "plain"));
	got_html = body_text(back, "html");
	g_assert_cmpstr(got_html, ==,
			"<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
			"&quot;Grüße&quot;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
			"&amp; &quot;Grüße&quot;</p>\r\n<li>a&lt;b</li>\r\n");
	got_text = body_text(back, "plain");
	g_assert_cmpstr(got_text, ==, "Text: <script>alert('x')</script> & \"Grüße\"\r\n");
	g_assert_cmpstr(g_mime_message_get_subject(back), ==,
			"<script>alert('x')</script> & \"Grüße\"");
	/* HTML templates are checked the same way. */
	g_assert_false(template_check(html, problems));
	g_assert_cmpuint(problems->len, ==, 2);
	g_assert_cmpstr(problems->pdata[0], ==, "t.html.tmpl:1: unknown variable \"x\"");
	g_object_unref(back);
	g_object_unref(msg);
}

static void
test_output_cap(void)
{
	g_autoptr(template_t) tpl = parse_ok("t.tmpl", "Subject: {{s}}\n\n{{x}}\n");
	g_autoptr(template_t) html = parse_ok("t.html.tmpl", "{{x}}");
	g_autoptr(template_t) nested = NULL;
	g_autoptr(template_vars_t) vars = template_vars_new();
	g_autoptr(template_vars_t) many = template_vars_new();
	g_autoptr(GString) deep = g_string_new("Subject: x\n\n");
	g_autoptr(GError) error = NULL;
	g_autofree char *big = g_strnfill(2 * TEMPLATE_MAX_OUTPUT, 'x');
	GMimeMessage *msg;

	/* "ab" + "0123456789\n" = 13 bytes. */
	template_vars_set(vars, "s", "ab");
	template_vars_set(vars, "x", "0123456789");
	msg = template_render(tpl, NULL, vars, 13, &error);
	g_assert_no_error(error);
	g_object_unref(msg);
	msg = template_render(tpl, NULL, vars, 12, &error);
	g_assert_null(msg);
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	g_assert_cmpstr(error->message, ==, "t.tmpl:3: rendered output over the cap of 12 bytes");
	g_clear_error(&error);
	/* The HTML part counts too. */
	msg = template_render(tpl, html, vars, 20, &error);
	g_assert_null(msg);
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	g_assert_true(g_str_has_prefix(error->message, "t.html.tmpl:1: "));
	g_clear_error(&error);
	/* A header value counts. */
	template_vars_set(vars, "s", big);
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_null(msg);
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	g_assert_true(g_str_has_prefix(error->message, "t.tmpl:1: "));
	g_clear_error(&error);
	/* The default cap is TEMPLATE_MAX_OUTPUT. */
	template_vars_set(vars, "s", "ok");
	template_vars_set(vars, "x", big);
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_null(msg);
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	g_clear_error(&error);
	big[TEMPLATE_MAX_OUTPUT - 10] = '\0';
	template_vars_set(vars, "x", big);
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	g_object_unref(msg);

	/* Lists nested in lists that output nothing are capped by work. */
	for (int i = 0; i < 10; i++)
		template_vars_append(many, "items");
	for (int i = 0; i < 8; i++)
		g_string_append(deep, "{{#items}}");
	for (int i = 0; i < 8; i++)
		g_string_append(deep, "{{/items}}");
	nested = parse_ok("t.tmpl", deep->str);
	msg = template_render(nested, NULL, many, 0, &error);
	g_assert_null(msg);
	g_assert_error(error, PD_ERROR, PD_ERROR_INPUT);
	g_assert_nonnull(strstr(error->message, "too much work"));
}

static void
test_headers_misc(void)
{
	g_autoptr(template_t) tpl = parse_ok(
		"t.tmpl",
		"{{! a comment line in the header part }}\n"
		"Subject: {{a}}\n"
		"  {{b}}\n"
		"\tend\n"
		"X-Empty: {{missing}}\n"
		"X-Two: 1\n"
		"X-Two: 2\n"
		"Content-Language: de\n"
		"\n"
		"body\n");
	g_autoptr(template_vars_t) vars = template_vars_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *bytes = NULL;
	GMimeMessage *msg;

	template_vars_set(vars, "a", "one");
	template_vars_set(vars, "b", "two");
	msg = template_render(tpl, NULL, vars, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_mime_message_get_subject(msg), ==, "one two end");
	bytes = message_bytes(msg);
	g_assert_false(has_header_line(bytes, "X-Empty"));
	g_assert_nonnull(strstr(bytes, "X-Two: 1\r\nX-Two: 2\r\n"));
	g_assert_nonnull(strstr(bytes, "Content-Language: de\r\n"));
	g_assert_null(strstr(bytes, "comment"));
	g_object_unref(msg);
}

static char *tmpdir;

static void
write_file(const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(tmpdir, rel, NULL);
	g_autofree char *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void
remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *sub = g_build_filename(path, name, NULL);

			remove_tree(sub);
		}
		g_dir_close(dir);
		g_assert_cmpint(g_rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
}

static const char *
subject_of(const template_t *tpl)
{
	static char buf[128];
	g_autoptr(GError) error = NULL;
	GMimeMessage *msg = template_render(tpl, NULL, NULL, 0, &error);

	g_assert_no_error(error);
	g_strlcpy(buf, g_mime_message_get_subject(msg), sizeof buf);
	g_object_unref(msg);
	return buf;
}

typedef struct {
	const char *name, *lang;
	const char *subject; /* NULL: none */
	gboolean html;
} lookup_case_t;

static const lookup_case_t lookup_cases[] = {
	{ "ack", NULL, "inst ack", TRUE },
	{ "ack", "", "inst ack", TRUE },
	{ "ack", "en", "inst ack", TRUE },
	{ "ack", "de", "inst de ack", FALSE },
	{ "ack", "de-AT", "inst de ack", FALSE },
	{ "ack", "DE_at", "inst de ack", FALSE },
	{ "ack", "pt-BR", "over pt-br ack", FALSE },
	{ "ack", "pt_br", "over pt-br ack", FALSE },
	{ "ack", "pt", "inst pt ack", FALSE },
	{ "ack", "pt-PT", "inst pt ack", FALSE },
	{ "reply", NULL, "over reply", FALSE }, /* override's, without inst's html */
	{ "reply", "de", "over reply", FALSE },
	{ "resolved", "pt-BR", "inst resolved", FALSE },
	{ "nothing", "de", NULL, FALSE },
	{ "ack", "../../etc", "inst ack", TRUE },
};

static void
test_set(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(template_set_t) set = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *over = NULL;
	g_autofree char *inst = NULL;
	g_autofree char *expected = NULL;

	tmpdir = g_dir_make_tmp("test-template-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	over = g_build_filename(tmpdir, "over", NULL);
	inst = g_build_filename(tmpdir, "inst", NULL);
	write_file("inst/ack.tmpl", "Subject: inst ack\n\nbody\n");
	write_file("inst/ack.html.tmpl", "<p>inst</p>\n");
	write_file("inst/reply.tmpl", "Subject: inst reply\n\n");
	write_file("inst/reply.html.tmpl", "<p>inst</p>\n");
	write_file("inst/resolved.tmpl", "Subject: inst resolved\n\n");
	write_file("inst/de/ack.tmpl", "Subject: inst de ack\n\n");
	write_file("inst/pt/ack.tmpl", "Subject: inst pt ack\n\n");
	write_file("inst/README", "not a template\n");
	write_file("inst/ack.tmpl~", "Subject: {{#broken\n\n");
	write_file("inst/.hidden.tmpl", "Subject: {{#broken\n\n");
	write_file("inst/notalang/ack.tmpl", "Subject: {{#broken\n\n");
	write_file("over/reply.tmpl", "Subject: over reply\n\n");
	write_file("over/pt_BR/ack.tmpl", "Subject: over pt-br ack\n\n");

	set = template_set_load(over, inst, &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(lookup_cases); i++) {
		const lookup_case_t *c = &lookup_cases[i];
		const template_t *html = (const template_t *)1;
		const template_t *tpl = template_set_get(set, c->name, c->lang, &html);

		g_test_message("case %s %s", c->name, c->lang);
		if (c->subject == NULL) {
			g_assert_null(tpl);
			g_assert_null(html);
			continue;
		}
		g_assert_nonnull(tpl);
		g_assert_cmpstr(subject_of(tpl), ==, c->subject);
		g_assert_true((html != NULL) == c->html);
		if (html != NULL)
			g_assert_true(template_is_html(html));
	}
	g_assert_nonnull(template_set_get(set, "ack", "de", NULL));
	g_assert_true(template_set_check(set, problems));
	g_assert_cmpuint(problems->len, ==, 0);
	g_clear_pointer(&set, template_set_free);

	/* Without an override. */
	set = template_set_load(NULL, inst, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(subject_of(template_set_get(set, "reply", NULL, NULL)), ==, "inst reply");
	g_clear_pointer(&set, template_set_free);

	/* Every problem of every file, sorted; check finds what parsing does not. */
	write_file("over/bad.tmpl", "Subject: x\n\n{{#a}}\n");
	write_file("over/de/bad.tmpl", "Subject: {{/a}}\n\n");
	write_file("over/lonely.html.tmpl", "<p></p>\n");
	set = template_set_load(over, inst, &error);
	g_assert_null(set);
	g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
	expected = g_strdup_printf(
		"%s/bad.tmpl:3: section \"{{#a}}\" is not closed\n"
		"%s/de/bad.tmpl:1: \"{{/a}}\" closes no open section\n"
		"%s/lonely.html.tmpl:0: no plain-text template beside it "
		"(NAME.tmpl for NAME.html.tmpl)",
		over, over, over);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);

	write_file("over/bad.tmpl", "X-Foo: y\n\n{{ticket.idd}}\n");
	write_file("over/de/bad.tmpl", "Subject: {{ticket.id}}\n\n");
	write_file("over/lonely.tmpl", "Subject: {{nope}}\n\n");
	write_file("over/lonely.html.tmpl", "<p>{{reason}}</p>\n");
	set = template_set_load(over, inst, &error);
	g_assert_no_error(error);
	g_assert_false(template_set_check(set, problems));
	g_ptr_array_add(problems, NULL);
	g_clear_pointer(&expected, g_free);
	expected = g_strdup_printf("%s/bad.tmpl:3: unknown variable \"ticket.idd\"\n"
				   "%s/bad.tmpl:1: no Subject header\n"
				   "%s/lonely.tmpl:1: unknown variable \"nope\"",
				   over, over, over);
	{
		g_autofree char *joined = g_strjoinv("\n", (char **)problems->pdata);

		g_assert_cmpstr(joined, ==, expected);
	}
	g_clear_pointer(&set, template_set_free);

	/* A missing directory and an oversized file are problems. */
	write_file("over/huge.tmpl", "");
	{
		g_autofree char *huge = g_build_filename(over, "huge.tmpl", NULL);
		g_autofree char *missing = g_build_filename(tmpdir, "missing", NULL);
		g_autofree char *data = g_strnfill(TEMPLATE_MAX_FILE + 1, 'x');

		g_assert_true(g_file_set_contents(huge, data, -1, NULL));
		set = template_set_load(over, missing, &error);
		g_assert_null(set);
		g_assert_error(error, PD_ERROR, PD_ERROR_CONFIG);
		g_assert_nonnull(strstr(error->message, "huge.tmpl:0: larger than"));
		g_assert_nonnull(strstr(error->message, missing));
		g_clear_error(&error);
	}
	remove_tree(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
}

/* Sample values for every known variable, as callers will set them. */
static template_vars_t *
sample_vars(void)
{
	static const char *const spec[] = {
		"gateway.support_address=support@example.org", "gateway.tag=Support",
		"gateway.name=Example Support", "ticket.id=12", "ticket.subject=Printer on fire",
		"ticket.tagged_subject=[Support #12] Printer on fire", "ticket.state=open",
		"ticket.group=core", "ticket.group_name=Core offering",
		"ticket.group_address=core@example.org", "ticket.priority=normal",
		"ticket.tier=1", "ticket.owner=alice@example.org", "ticket.owner_name=Alice Example",
		"ticket.created=2026-11-20T15:30:00Z", "ticket.due=by Monday 12:30 CET",
		"ticket.requester_name=Carol Customer", "ticket.requester_address=carol@customer.example",
		"recipient.name=Carol Customer", "recipient.address=carol@customer.example",
		"reply_address=support+12-4oxhfcjmyc@example.org",
		"message.from_name=Carol Customer", "message.from_address=carol@customer.example",
		"message.subject=Printer on fire", "message.visible=It smokes.",
		"message.text=It smokes.\n> old", "message.date=2026-11-20T15:30:00Z",
		"member.name=Alice Example", "member.address=alice@example.org",
		"reason=the message is larger than 50 MB", "bounce.recipient=carol@customer.example",
		"bounce.status=5.1.1", "bounce.diagnostic=user unknown",
		"note=Quota resets on 1 January.", "digest.member_name=Alice Example",
		"digest.date=2026-11-20",
		"+attachments", "filename=smoke.jpg", "type=image/jpeg", "size=120000",
		"size_human=117 KB", "-",
		"+receipt", "line=#take", "result=you own ticket 12 now", "-",
		"+tickets", "id=12", "subject=Printer on fire", "state=open", "group=core",
		"due=by Monday 12:30 CET", "reply_address=support+12-4oxhfcjmyc@example.org",
		"tagged_subject=[Support #12] Printer on fire", "owner=", "age=2d", "-",
		NULL,
	};
	return vars_from(spec);
}

static const char *const shipped[] = {
	"ack", "reply", "notify-new", "notify-update", "resolved", "rejected",
	"bounce-notice", "receipt", "sla-warning", "over-quota", "digest-member",
	"digest-moderator", "digest-group",
};

static void
test_shipped(void)
{
	g_autofree char *dir = unit_srcdir_path("templates");
	g_autoptr(GError) error = NULL;
	g_autoptr(template_set_t) set = template_set_load(NULL, dir, &error);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(template_vars_t) vars = sample_vars();
	g_autoptr(template_vars_t) empty = template_vars_new();

	g_assert_no_error(error);
	g_assert_nonnull(set);
	if (!template_set_check(set, problems)) {
		for (guint i = 0; i < problems->len; i++)
			g_test_message("%s", (char *)problems->pdata[i]);
	}
	g_assert_cmpuint(problems->len, ==, 0);

	for (gsize i = 0; i < G_N_ELEMENTS(shipped); i++) {
		const template_t *html = NULL;
		const template_t *tpl = template_set_get(set, shipped[i], NULL, &html);
		g_autofree char *bytes = NULL;
		GMimeMessage *msg;

		g_test_message("template %s", shipped[i]);
		g_assert_nonnull(tpl);
		msg = template_render(tpl, html, vars, 0, &error);
		g_assert_no_error(error);
		g_assert_nonnull(g_mime_message_get_subject(msg));
		g_assert_cmpuint(internet_address_list_length(g_mime_message_get_to(msg)), ==, 1);
		g_assert_cmpuint(internet_address_list_length(g_mime_message_get_from(msg)), ==, 1);
		bytes = message_bytes(msg);
		assert_crlf(bytes);
		g_assert_null(strstr(bytes, "{{"));
		if (strcmp(shipped[i], "rejected") != 0 && strcmp(shipped[i], "digest-member") != 0 &&
		    strcmp(shipped[i], "digest-moderator") != 0 &&
		    strcmp(shipped[i], "digest-group") != 0)
			g_assert_nonnull(strstr(g_mime_message_get_subject(msg), "[Support #12]"));
		g_object_unref(msg);
	}

	/* The promise and the German variant. */
	{
		const template_t *html = NULL;
		const template_t *tpl = template_set_get(set, "ack", "de-CH", &html);
		g_autofree char *body = NULL;
		GMimeMessage *msg;

		g_assert_nonnull(tpl);
		g_assert_null(html);
		msg = template_render(tpl, NULL, vars, 0, &error);
		g_assert_no_error(error);
		body = body_text(msg, "plain");
		g_assert_nonnull(strstr(body, "Ticket #12"));
		g_object_unref(msg);

		tpl = template_set_get(set, "ack", "en", &html);
		g_assert_nonnull(html);
		msg = template_render(tpl, html, vars, 0, &error);
		g_assert_no_error(error);
		g_clear_pointer(&body, g_free);
		body = body_text(msg, "plain");
		g_assert_nonnull(strstr(body, "We will answer by Monday 12:30 CET.\n"));
		g_clear_pointer(&body, g_free);
		body = body_text(msg, "html");
		g_assert_nonnull(strstr(body, "We will answer by Monday 12:30 CET."));
		g_object_unref(msg);

		template_vars_set(vars, "ticket.due", "");
		msg = template_render(tpl, NULL, vars, 0, &error);
		g_assert_no_error(error);
		g_clear_pointer(&body, g_free);
		body = body_text(msg, "plain");
		g_assert_null(strstr(body, "We will answer"));
		g_assert_null(strstr(body, "\n\n\n"));
		g_object_unref(msg);
	}

	/* The ones that need no ticket render with almost nothing set. */
	template_vars_set(empty, "recipient.address", "carol@customer.example");
	template_vars_set(empty, "gateway.support_address", "support@example.org");
	{
		const char *const bare[] = { "rejected", "over-quota", "digest-member" };

		for (gsize i = 0; i < G_N_ELEMENTS(bare); i++) {
			const template_t *tpl = template_set_get(set, bare[i], NULL, NULL);
			GMimeMessage *msg = template_render(tpl, NULL, empty, 0, &error);

			g_test_message("template %s, bare", bare[i]);
			g_assert_no_error(error);
			g_object_unref(msg);
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/template/render", test_render);
	g_test_add_func("/template/vars", test_vars);
	g_test_add_func("/template/parse-errors", test_parse_errors);
	g_test_add_func("/template/parse-limits", test_parse_limits);
	g_test_add_func("/template/check", test_check);
	g_test_add_func("/template/header-injection", test_header_injection);
	g_test_add_func("/template/header-encoded-word", test_header_encoded_word);
	g_test_add_func("/template/addresses", test_addresses);
	g_test_add_func("/template/rfc2047", test_rfc2047);
	g_test_add_func("/template/body-encoding", test_body_encoding);
	g_test_add_func("/template/html", test_html);
	g_test_add_func("/template/output-cap", test_output_cap);
	g_test_add_func("/template/headers-misc", test_headers_misc);
	g_test_add_func("/template/set", test_set);
	g_test_add_func("/template/shipped", test_shipped);
	return g_test_run();
}
