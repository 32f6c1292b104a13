/* SPDX-License-Identifier: MIT
 * main.c: the entry point of postdesk; everything is in cli.c. */
#include "autodefs.h"
#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, NULL);
}
