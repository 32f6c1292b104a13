/* SPDX-License-Identifier: MIT
 * command.c: see command.h. */
#include "autodefs.h"
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "util.h"
#include "banned.h"

enum { ARG_NONE, ARG_OPTIONAL, ARG_REQUIRED };

static const struct {
	const char *name;
	command_kind_t kind;
	int arg;
} COMMANDS[] = {
	{ "take", COMMAND_TAKE, ARG_NONE },
	{ "refuse", COMMAND_REFUSE, ARG_OPTIONAL },
	{ "resolve", COMMAND_RESOLVE, ARG_NONE },
	{ "reopen", COMMAND_REOPEN, ARG_NONE },
	{ "wait", COMMAND_WAIT, ARG_NONE },
	{ "note", COMMAND_NOTE, ARG_OPTIONAL },
	{ "group", COMMAND_GROUP, ARG_REQUIRED },
	{ "tier", COMMAND_TIER, ARG_REQUIRED },
	{ "escalate", COMMAND_ESCALATE, ARG_OPTIONAL },
	{ "priority", COMMAND_PRIORITY, ARG_REQUIRED },
	{ "cc", COMMAND_CC, ARG_REQUIRED },
	{ "merge", COMMAND_MERGE, ARG_REQUIRED },
	{ "away", COMMAND_AWAY, ARG_OPTIONAL },
	{ "back", COMMAND_BACK, ARG_NONE },
	{ "refer", COMMAND_REFER, ARG_REQUIRED },
};

static const char *const PRIORITIES[] = { "low", "normal", "high", "urgent", NULL };

const char *
command_name(command_kind_t kind)
{
	for (gsize i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
		if (COMMANDS[i].kind == kind)
			return COMMANDS[i].name;
	return "?";
}

gboolean
command_is_personal(command_kind_t kind)
{
	return kind == COMMAND_AWAY || kind == COMMAND_BACK;
}

gboolean
command_priority_valid(const char *priority)
{
	return priority != NULL && g_strv_contains(PRIORITIES, priority);
}

void
command_list_clear(command_list_t *out)
{
	g_clear_pointer(&out->commands, g_ptr_array_unref);
	g_clear_pointer(&out->errors, g_ptr_array_unref);
	g_clear_pointer(&out->rest, g_free);
}

static void
command_free(command_t *c)
{
	g_free(c->arg);
	g_free(c->source);
	g_free(c);
}

/* "#away until 2026-12-01", "#away 2026-12-01", "#away": the date as
 * YYYYMMDD in *DATE (0 when none). */
static const char *
parse_away(const char *arg, gint64 *date)
{
	int y, m, d, n = 0;

	*date = 0;
	if (arg == NULL)
		return NULL;
	if (g_ascii_strncasecmp(arg, "until", 5) == 0 && g_ascii_isspace(arg[5]))
		arg = g_strchug((char *)arg + 5);
	if (sscanf(arg, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || arg[n] != '\0' ||
	    !g_date_valid_dmy(d, m, y))
		return "expects a date: #away [until YYYY-MM-DD]";
	*date = (gint64)y * 10000 + m * 100 + d;
	return NULL;
}

/* Check ARG for C and fill its fields; the reason it is wrong, or NULL. */
static const char *
parse_arg(command_t *c, char *arg)
{
	switch (c->kind) {
	case COMMAND_TIER:
		if (!util_parse_int(arg, 1, 4, &c->number))
			return "expects a tier from 1 to 4";
		return NULL;
	case COMMAND_MERGE:
		if (*arg == '#')
			arg++;
		if (!util_parse_int(arg, 1, G_MAXINT64, &c->number))
			return "expects a ticket number";
		return NULL;
	case COMMAND_PRIORITY:
		c->arg = g_ascii_strdown(arg, -1);
		return command_priority_valid(c->arg) ? NULL
						      : "expects low, normal, high or urgent";
	case COMMAND_CC:
	case COMMAND_REFER:
	case COMMAND_ESCALATE:
		c->arg = util_address_normalize(arg);
		return c->arg != NULL ? NULL : "expects a mail address";
	case COMMAND_GROUP:
		if (strpbrk(arg, " \t") != NULL)
			return "expects one group name";
		c->arg = g_strdup(arg);
		return NULL;
	case COMMAND_AWAY:
		return parse_away(arg, &c->number);
	default:
		c->arg = g_strdup(arg);
		return NULL;
	}
}

/* One command line (without its '#'); NULL with *WHY when it is wrong. */
static command_t *
parse_line(const char *line, guint lineno, const char **why)
{
	g_autofree char *copy = g_strstrip(g_strdup(line));
	char *arg = copy;
	command_t *c;
	gsize i;

	while (*arg != '\0' && !g_ascii_isspace(*arg))
		arg++;
	if (*arg != '\0')
		*arg++ = '\0';
	arg = g_strchug(arg);
	for (i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
		if (g_ascii_strcasecmp(copy, COMMANDS[i].name) == 0)
			break;
	if (i == G_N_ELEMENTS(COMMANDS)) {
		*why = "unknown command";
		return NULL;
	}
	if (*arg != '\0' && COMMANDS[i].arg == ARG_NONE) {
		*why = "takes no argument";
		return NULL;
	}
	if (*arg == '\0' && COMMANDS[i].arg == ARG_REQUIRED) {
		*why = "needs an argument";
		return NULL;
	}
	c = g_new0(command_t, 1);
	c->kind = COMMANDS[i].kind;
	c->line = lineno;
	if (*arg != '\0' && (*why = parse_arg(c, arg)) != NULL) {
		command_free(c);
		return NULL;
	}
	return c;
}

/* A command line: '#' then a letter. */
static gboolean
is_command_line(const char *line)
{
	return line[0] == '#' && g_ascii_isalpha(line[1]);
}

void
command_parse(const char *text, command_list_t *out)
{
	g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
	guint i = 0, seen = 0;

	out->commands = g_ptr_array_new_with_free_func((GDestroyNotify)command_free);
	out->errors = g_ptr_array_new_with_free_func(g_free);
	for (; lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(lines[i]));
		const char *why = NULL;
		command_t *c;

		if (*line == '\0')
			continue;
		if (!is_command_line(line))
			break;
		if (++seen > COMMAND_MAX) {
			g_ptr_array_add(out->errors,
					g_strdup_printf("line %u: more than %d commands",
							i + 1, COMMAND_MAX));
			break;
		}
		if (strlen(line) > 200)
			line[200] = '\0';
		c = parse_line(line + 1, i + 1, &why);
		if (c == NULL) {
			g_autofree char *name = g_strndup(line, strcspn(line, " \t"));

			g_ptr_array_add(out->errors,
					g_strdup_printf("line %u: %s: %s", i + 1, name, why));
			continue;
		}
		c->source = g_strdup(line);
		g_ptr_array_add(out->commands, c);
	}
	/* The rest, from the first line after the commands. */
	while (seen > 0 && lines[i] != NULL && *g_strstrip(lines[i]) == '\0')
		i++;
	if (seen == 0)
		i = 0;
	{
		g_autofree char *rest = g_strjoinv("\n", lines + i);

		out->rest = g_strdup(g_strstrip(rest));
	}
}
