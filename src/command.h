/* SPDX-License-Identifier: MIT
 * command.h: the #commands a member puts at the top of a mail. Pure: it
 * reads text and says what is asked; ingest and action.c decide whether
 * the sender may ask it and carry it out.
 *
 * Commands are the lines at the very top of the newly written text, one
 * a line, "#name args"; blank lines between them are allowed, the first
 * other line ends them. "#" must be followed by a letter, so "# Title"
 * or "#1" are text. Names are case-insensitive. */
#ifndef POSTDESK_COMMAND_H
#define POSTDESK_COMMAND_H
#include <glib.h>

typedef enum {
	COMMAND_TAKE,
	COMMAND_REFUSE,     /* arg: the reason, or NULL */
	COMMAND_RESOLVE,
	COMMAND_REOPEN,
	COMMAND_WAIT,
	COMMAND_NOTE,       /* arg: text on the command line, or NULL; the
			     * rest of the mail belongs to the note */
	COMMAND_GROUP,      /* arg: group name */
	COMMAND_TIER,       /* number: 1..4 */
	COMMAND_ESCALATE,   /* arg: member address, or NULL for the next tier */
	COMMAND_PRIORITY,   /* arg: low | normal | high | urgent */
	COMMAND_CC,         /* arg: address, normalised */
	COMMAND_MERGE,      /* number: the ticket to merge into */
	COMMAND_AWAY,       /* number: until (local date as YYYYMMDD), 0: no date */
	COMMAND_BACK,
	COMMAND_REFER,      /* arg: the partner member's address */
} command_kind_t;

typedef struct {
	command_kind_t kind;
	char *arg;          /* see above; NULL when none */
	gint64 number;      /* see above; 0 when none */
	guint line;         /* 1-based line of the text */
	char *source;       /* the line as written (trimmed, at most 200 bytes) */
} command_t;

typedef struct {
	GPtrArray *commands; /* command_t*, in order; never NULL */
	GPtrArray *errors;   /* char* "line N: #x: why", never NULL */
	char *rest;          /* the text after the command lines (trimmed of
			      * leading blank lines); never NULL */
} command_list_t;

/* At most this many command lines are read; more is an error. */
#define COMMAND_MAX 20

/* Read the commands at the top of TEXT (may be NULL) into OUT, which the
 * caller clears with command_list_clear(). A line that looks like a
 * command but is not a valid one is an error in OUT->errors; the caller
 * runs nothing when there is any (all or nothing). */
void command_parse(const char *text, command_list_t *out);
void command_list_clear(command_list_t *out);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(command_list_t, command_list_clear)

/* The command's name as written in mail ("take"), for receipts. */
const char *command_name(command_kind_t kind);
/* TRUE for commands that need no ticket (#away, #back). */
gboolean command_is_personal(command_kind_t kind);
/* TRUE when PRIORITY is one of low, normal, high, urgent. */
gboolean command_priority_valid(const char *priority);
#endif
