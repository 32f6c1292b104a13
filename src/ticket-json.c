/* SPDX-License-Identifier: MIT
 * ticket-json.c: see ticket-json.h. */
#include "autodefs.h"
#include "ticket-json.h"
#include "banned.h"

void
ticket_json_address(json_t *j, const char *name, const char *address)
{
	json_begin_object(j);
	json_key(j, "name");
	json_string(j, name);
	json_key(j, "address");
	json_string(j, address);
	json_end_object(j);
}

void
ticket_json_summary(json_t *j, const store_ticket_t *t)
{
	json_key(j, "id");
	json_int(j, t->id);
	json_key(j, "subject");
	json_string(j, t->subject);
	json_key(j, "state");
	json_string(j, t->state);
	json_key(j, "group");
	json_string(j, t->group);
	json_key(j, "priority");
	json_string(j, t->priority);
	json_key(j, "tier");
	json_int(j, t->tier);
	json_key(j, "requester");
	ticket_json_address(j, t->requester_name, t->requester_address);
	json_key(j, "owner");
	json_string(j, t->owner);
	json_key(j, "created");
	json_time(j, t->created);
	json_key(j, "updated");
	json_time(j, t->updated);
}
