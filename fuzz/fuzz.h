/* SPDX-License-Identifier: MIT
 * fuzz.h: what the libFuzzer targets of fuzz/ share. Each target is one
 * file fuzz-AREA.c defining LLVMFuzzerTestOneInput(); `make fuzz` builds
 * them with clang -fsanitize=fuzzer,address,undefined and
 * tests/fuzz.sh runs them (doc in bench/README.md, "Fuzzing"). */
#ifndef POSTDESK_FUZZ_H
#define POSTDESK_FUZZ_H
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Inputs over this are skipped: the modules have their own caps (a
 * message's is 50 MiB), but time spent on huge inputs is time not spent
 * on varied ones, and libFuzzer's default -max_len is far below it. */
#define FUZZ_MAX_INPUT (1024 * 1024)

/* A property the code promises, checked on every input: a violation is a
 * finding like a crash, so it aborts (g_assert may be compiled out). */
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: property failed: %s\n",      \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
