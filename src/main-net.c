/* SPDX-License-Identifier: MIT
 * main-net.c: the entry point of postdesk-net, the same command line with
 * the commands that talk to servers (see cli.h, cli_net_command_t). */
#include "autodefs.h"
#include <stddef.h>
#include <curl/curl.h>
#include "cli.h"

static const cli_net_command_t NET_COMMANDS[] = {
	{ "queue", cli_queue },
	{ "run", cli_run },
	{ "webhook", cli_webhook },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	int status;

	/* libcurl's global state, set up once before any thread starts
	 * (run's workers), as curl_global_init(3) asks. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	status = cli_main(argc, argv, NET_COMMANDS);
	curl_global_cleanup();
	return status;
}
