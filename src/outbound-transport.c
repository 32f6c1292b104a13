/* SPDX-License-Identifier: MIT
 * outbound-transport.c: which transport the config asks for. On its own
 * so that the lean postdesk binary, which never sends, does not link
 * libcurl (see cli.c, "postdesk-net"). */
#include "autodefs.h"
#include "outbound-transport.h"
#include "banned.h"

const outbound_transport_t *
outbound_transport_for(const config_t *cfg)
{
	return cfg->has_smtp ? &outbound_smtp_transport : &outbound_spool_transport;
}
