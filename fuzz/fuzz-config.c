/* SPDX-License-Identifier: MIT
 * fuzz-config.c: a postdesk.conf (config.c) loaded from memory. Paths in
 * it (holidays) are read but nothing is written. */
#include "autodefs.h"
#include <string.h>
#include "fuzz.h"
#include "config.h"
#include "banned.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(config_t) cfg = NULL;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	cfg = config_load_data("fuzz.conf", (const char *)data, size, warnings, &error);
	if (cfg == NULL) {
		FUZZ_CHECK(error != NULL && error->message[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(cfg->groups->len > 0 && cfg->own_addresses != NULL);
	for (guint i = 0; i < cfg->groups->len; i++) {
		const config_group_t *g = cfg->groups->pdata[i];

		FUZZ_CHECK(config_group(cfg, g->name) != NULL);
	}
	for (char *const *a = cfg->own_addresses; *a != NULL; a++)
		FUZZ_CHECK(config_is_own_address(cfg, *a));
	return 0;
}
