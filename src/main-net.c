/* SPDX-License-Identifier: MIT
 * main-net.c: the entry point of postdesk-net, the same command line with
 * the commands that talk to servers (see cli.h, cli_net_command_t). */
#include "autodefs.h"
#include <stddef.h>
#include "cli.h"

static const cli_net_command_t NET_COMMANDS[] = {
	{ "queue", cli_queue },
	{ "run", cli_run },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, NET_COMMANDS);
}
