/* SPDX-License-Identifier: MIT
 * store-schema.h: the numbered schema migrations. Migration N takes the
 * database from user_version N-1 to N; a released migration is never
 * edited, only followed by a new one. Included by store.c only.
 *
 * Times are Unix seconds (UTC). Raw message bytes live in their own table
 * so scans of messages stay small. The SQL is kept portable (no SQLite
 * specific types) except for the FTS5 index, so that a PostgreSQL backend
 * can follow. */
#ifndef POSTDESK_STORE_SCHEMA_H
#define POSTDESK_STORE_SCHEMA_H

static const char *const STORE_MIGRATIONS[] = {
	/* 1: the foundation. */
	"CREATE TABLE raw ("
	"  id INTEGER PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  bytes BLOB NOT NULL);"

	"CREATE TABLE groups ("
	"  name TEXT PRIMARY KEY,"
	"  display_name TEXT NOT NULL,"
	"  rr_next INTEGER NOT NULL DEFAULT 0);"

	"CREATE TABLE members ("
	"  address TEXT PRIMARY KEY,"
	"  name TEXT,"
	"  away_until INTEGER,"
	"  rr_seq INTEGER NOT NULL DEFAULT 0);"

	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  subject TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'new'"
	"    CHECK (state IN ('new','open','waiting','resolved','closed')),"
	"  grp TEXT NOT NULL,"
	"  priority TEXT NOT NULL DEFAULT 'normal',"
	"  tier INTEGER NOT NULL DEFAULT 1,"
	"  requester_name TEXT,"
	"  requester_address TEXT NOT NULL,"
	"  owner TEXT,"
	"  language TEXT,"
	"  org TEXT,"
	"  linked_to INTEGER REFERENCES tickets(id),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  resolved_at INTEGER);"
	"CREATE INDEX tickets_state ON tickets(state, updated);"
	"CREATE INDEX tickets_requester ON tickets(requester_address, created);"

	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
	"  kind TEXT NOT NULL CHECK (kind IN"
	"    ('customer','member','note','list','forward','system')),"
	"  message_id TEXT NOT NULL,"
	"  content_hash TEXT NOT NULL,"
	"  from_name TEXT,"
	"  from_address TEXT,"
	"  subject TEXT NOT NULL,"
	"  date INTEGER,"
	"  received INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  visible TEXT NOT NULL,"
	"  verified INTEGER NOT NULL DEFAULT 1,"
	"  threaded_by TEXT,"
	"  source TEXT,"
	"  raw_id INTEGER REFERENCES raw(id));"
	"CREATE UNIQUE INDEX messages_dedupe ON messages(message_id, content_hash);"
	"CREATE INDEX messages_ticket ON messages(ticket_id, id);"

	/* Every Message-ID stored or sent, for threading by In-Reply-To and
	 * References. */
	"CREATE TABLE message_ids ("
	"  message_id TEXT NOT NULL,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
	"  PRIMARY KEY (message_id, ticket_id));"

	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER NOT NULL REFERENCES messages(id),"
	"  filename TEXT,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  content BLOB);"
	"CREATE INDEX attachments_message ON attachments(message);"

	"CREATE TABLE participants ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  address TEXT NOT NULL,"
	"  name TEXT,"
	"  role TEXT NOT NULL CHECK (role IN ('requester','member','cc','forwarder')),"
	"  added INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket_id, address));"
	"CREATE INDEX participants_address ON participants(address);"

	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  actor TEXT,"
	"  detail TEXT);"
	"CREATE INDEX events_ticket ON events(ticket_id, id);"

	"CREATE TABLE outbound ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  template TEXT,"
	"  mail_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  bytes BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','sending','sent','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  next_attempt INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  last_error TEXT);"
	"CREATE INDEX outbound_due ON outbound(state, next_attempt);"

	/* Where mail came from: IMAP accounts (UIDVALIDITY, last UID),
	 * "deliver", "import". */
	"CREATE TABLE sources ("
	"  name TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER,"
	"  last_uid INTEGER,"
	"  last_contact INTEGER,"
	"  last_error TEXT);"
	"CREATE TABLE source_uids ("
	"  source TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  taken INTEGER NOT NULL,"
	"  PRIMARY KEY (source, uidvalidity, uid));"

	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY,"
	"  received INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  sender TEXT,"
	"  subject TEXT,"
	"  recipient TEXT,"
	"  source TEXT,"
	"  content_hash TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'held'"
	"    CHECK (state IN ('held','released','dropped')),"
	"  raw_id INTEGER NOT NULL REFERENCES raw(id));"
	"CREATE INDEX quarantine_hash ON quarantine(content_hash);"

	/* Automatic mail sent per address, for the hourly cap (RFC 3834). */
	"CREATE TABLE auto_replies ("
	"  address TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX auto_replies_address ON auto_replies(address, at);"

	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	"  subject, text, content='messages', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts(rowid, subject, text)"
	"    VALUES (new.id, new.subject, new.text);"
	"END;"
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, text)"
	"    VALUES ('delete', old.id, old.subject, old.text);"
	"END;",

	/* 2: a mail resent after a crash is "in doubt": if the resend is
	 * interrupted too, it is not sent a third time. */
	"ALTER TABLE outbound ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;",

	/* 3: routing. The round-robin queue of each group (lowest pos is the
	 * head), every offer of a ticket to a member (nobody is offered the
	 * same ticket twice), and merged tickets. */
	"CREATE TABLE member_queue ("
	"  grp TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  pos INTEGER NOT NULL,"
	"  PRIMARY KEY (grp, address));"
	"CREATE TABLE offers ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  member TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'offered'"
	"    CHECK (state IN ('offered','taken','refused','expired','withdrawn')),"
	"  reason TEXT,"
	"  PRIMARY KEY (ticket_id, member));"
	"CREATE INDEX offers_pending ON offers(state, at);"
	"ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets(id);"
	"CREATE INDEX tickets_owner ON tickets(owner, state);",

	/* 4: webhook deliveries, the outbound queue's twin for HTTP: one row
	 * per event and matching [webhook:NAME], written in the event's
	 * transaction. The body is fixed then (the ticket as it was);
	 * delivery_id is what receivers deduplicate on, the same in every
	 * attempt. status is the last HTTP status (NULL: no answer). */
	"CREATE TABLE webhook_deliveries ("
	"  id INTEGER PRIMARY KEY,"
	"  webhook TEXT NOT NULL,"
	"  delivery_id TEXT NOT NULL UNIQUE,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  kind TEXT NOT NULL,"
	"  body BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','sending','sent','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  next_attempt INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  status INTEGER,"
	"  last_error TEXT,"
	"  in_doubt INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt);",

	/* 5: service levels. The ticket's next deadline (first response, then
	 * resolution), when its clock was paused (#wait), when a warning went
	 * out and when it was breached. */
	"ALTER TABLE tickets ADD COLUMN due_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN due_kind TEXT;"
	"ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN paused_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN warned_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN breached_at INTEGER;"
	"CREATE INDEX tickets_due ON tickets(due_at);",

	/* 6: digests. Which digest (KIND: member, or group:NAME) went to a
	 * member for which PERIOD (a daily or weekly key in the member's time
	 * zone), so that a restart never sends one twice; and events by time,
	 * for postdesk report contributions. */
	"CREATE TABLE digest_sent ("
	"  member TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  period TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (member, kind, period));"
	"CREATE INDEX events_at ON events(at);",

	/* 7: service levels per priority and plan, next response, and
	 * housekeeping. The running clock started at due_from and does not
	 * count paused_seconds - pause_base (business seconds waiting on the
	 * customer since it started: paused_seconds adds up every pause of
	 * the ticket); sla_next is when the timer next has work (a warning or
	 * the deadline), NULL when none, so a tick reads only what is due.
	 * state_at is when the ticket entered its state (a wait, a
	 * resolution), reminded_at when this wait's reminder went out. */
	"ALTER TABLE tickets ADD COLUMN due_from INTEGER;"
	"ALTER TABLE tickets ADD COLUMN paused_seconds INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN pause_base INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN sla_next INTEGER;"
	"ALTER TABLE tickets ADD COLUMN state_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN reminded_at INTEGER;"
	"UPDATE tickets SET state_at = coalesce(resolved_at, updated);"
	"UPDATE tickets SET due_from = created WHERE due_at IS NOT NULL;"
	/* Looked at once by the next tick, which schedules them anew. */
	"UPDATE tickets SET sla_next = created WHERE due_at IS NOT NULL "
	"  AND paused_at IS NULL AND breached_at IS NULL AND state IN ('new','open');"
	"CREATE INDEX tickets_sla_next ON tickets(sla_next);"
	"CREATE INDEX tickets_housekeeping ON tickets(state, grp, state_at);",

	/* 8: the flood limit counts a domain's new tickets of the last hour
	 * for every mail that would open one. New messages are indexed for
	 * search once per transaction (store_commit), not by a trigger. */
	/* (Parenthesised: clang takes two adjacent literals in an array for
	 * a missing comma.) */
	("CREATE INDEX tickets_org ON tickets(org, created);"
	 "DROP TRIGGER messages_fts_insert;"),

	/* 9: every automatic reply drops the rows older than a day; without
	 * an index on the time that was a scan of the day's replies each. */
	"CREATE INDEX auto_replies_at ON auto_replies(at);",

	/* 10: automatic answers decided in a message's transaction and
	 * written later by run's sender (notice_defer): what to render, for
	 * whom, threaded on which mail. refs: Message-IDs without <>, one
	 * space between them. */
	"CREATE TABLE notices ("
	"  id INTEGER PRIMARY KEY,"
	"  template TEXT NOT NULL,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  to_address TEXT NOT NULL,"
	"  to_name TEXT,"
	"  kind TEXT NOT NULL,"
	"  in_reply_to TEXT,"
	"  refs TEXT,"
	"  automatic INTEGER NOT NULL,"
	"  at INTEGER NOT NULL);",
};

#endif
