/* SPDX-License-Identifier: MIT
 * ticket-json.h: the ticket summary of "postdesk ticket list --json"
 * (doc/json.md, "Ticket summary"), written by one function wherever a
 * ticket is shown to scripts: ticket list, search and show, and the
 * bodies of webhook deliveries. Writes through json.h; reads no
 * database. */
#ifndef POSTDESK_TICKET_JSON_H
#define POSTDESK_TICKET_JSON_H
#include <glib.h>
#include "json.h"
#include "store.h"

/* An address object {"name": NAME, "address": ADDRESS} (either may be
 * NULL: null) as the next value of J. */
void ticket_json_address(json_t *j, const char *name, const char *address);

/* The members of T's summary ("id" ... "updated") into the object J is
 * writing: the caller begins and ends the object. T is borrowed. */
void ticket_json_summary(json_t *j, const store_ticket_t *t);
#endif
