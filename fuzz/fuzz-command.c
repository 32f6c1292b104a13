/* SPDX-License-Identifier: MIT
 * fuzz-command.c: the #commands at the top of a member's reply
 * (command.c), on the visible text as ingest gives it and on the raw
 * input. */
#include "autodefs.h"
#include <string.h>
#include "fuzz.h"
#include "command.h"
#include "mime-text.h"
#include "banned.h"

static void
fuzz_commands(const char *text)
{
	g_auto(command_list_t) list = { 0 };

	command_parse(text, &list);
	FUZZ_CHECK(list.commands != NULL && list.errors != NULL && list.rest != NULL);
	FUZZ_CHECK(list.commands->len <= COMMAND_MAX);
	for (guint i = 0; i < list.commands->len; i++) {
		const command_t *c = list.commands->pdata[i];

		FUZZ_CHECK(c->line >= 1 && c->source != NULL && strlen(c->source) <= 200);
		FUZZ_CHECK(command_name(c->kind) != NULL);
		if (c->kind == COMMAND_PRIORITY)
			FUZZ_CHECK(command_priority_valid(c->arg));
		if (c->kind == COMMAND_TIER)
			FUZZ_CHECK(c->number >= 1 && c->number <= 4);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = NULL;
	g_autofree char *visible = NULL;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	text = g_strndup((const char *)data, size);
	fuzz_commands(text);
	visible = mime_text_visible((const char *)data, (gssize)size);
	fuzz_commands(visible);
	return 0;
}
