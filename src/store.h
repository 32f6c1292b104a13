/* SPDX-License-Identifier: MIT
 * store.h: the SQLite store. Every SQL statement of postdesk is in
 * store.c, prepared once and cached; nothing builds SQL from data.
 *
 * Errors: PD_ERROR_TEMP when trying again may work (database busy or
 * locked, disk full, I/O error), PD_ERROR_NOT_FOUND for a missing row,
 * PD_ERROR_INTERNAL for the rest. Returned structs are new and freed with
 * their _free function; arrays own their elements. */
#ifndef POSTDESK_STORE_H
#define POSTDESK_STORE_H
#include <glib.h>

typedef struct store store_t;

/* Open (and with CREATE, create) the database at PATH: WAL mode, foreign
 * keys on, a busy timeout. The schema is not migrated here. */
store_t *store_open(const char *path, gboolean create, GError **error);
void store_close(store_t *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_t, store_close)
/* For the daemon's connections: checkpoint the WAL every 1,000 pages
 * instead of 64. While the daemon runs, the WAL index lives in shared
 * memory, so a larger WAL costs a process that opens the database
 * nothing, and each checkpoint (two more fsyncs) is paid 15 times less
 * often. */
gboolean store_long_lived(store_t *st, GError **error);

/* The schema version of the open database, and the latest this build knows. */
int store_schema_version(store_t *st);
int store_schema_latest(void);
/* Apply every pending migration in one transaction. *FROM and *TO (may be
 * NULL) say what was done; equal when the schema was current. A database
 * newer than this build is PD_ERROR_CONFIG. */
gboolean store_migrate(store_t *st, int *from, int *to, GError **error);
/* PD_ERROR_CONFIG unless the schema is the latest ("run postdesk init"). */
gboolean store_check_current(store_t *st, GError **error);

/* BEGIN IMMEDIATE: the write lock is taken now, so a busy database fails
 * here (PD_ERROR_TEMP) rather than halfway. */
gboolean store_begin(store_t *st, GError **error);
gboolean store_commit(store_t *st, GError **error);
void store_rollback(store_t *st);
/* A savepoint inside the current transaction, so one message of a batch
 * can be undone without the others. */
gboolean store_savepoint(store_t *st, GError **error);
gboolean store_savepoint_release(store_t *st, GError **error);
void store_savepoint_rollback(store_t *st);
/* Online backup of the whole database to PATH. */
gboolean store_backup(store_t *st, const char *path, GError **error);

typedef struct {
	gint64 id;
	char *subject;
	char *state;          /* new | open | waiting | resolved | closed */
	char *group;
	char *priority;
	gint64 tier;
	char *requester_name;
	char *requester_address;
	char *owner;          /* member address or NULL */
	char *language;
	char *org;
	gint64 linked_to;     /* 0: none */
	gint64 created, updated, resolved_at;
	gint64 merged_into;   /* 0: not merged */
	/* service level (0: none) */
	gint64 due_at;        /* the deadline of the running clock */
	char *due_kind;       /* first_response | next_response | resolution, or NULL */
	gint64 first_response_at, paused_at, warned_at, breached_at;
	gint64 due_from;      /* when the running clock started */
	gint64 paused_seconds; /* business seconds of every pause so far */
	gint64 pause_base;    /* paused_seconds when the running clock started */
	gint64 sla_next;      /* when the timer next has work for it */
	/* housekeeping */
	gint64 state_at;      /* when it entered its state */
	gint64 reminded_at;   /* this wait's reminder went out */
} store_ticket_t;
void store_ticket_free(store_ticket_t *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_ticket_t, store_ticket_free)

/* Insert T (T->id ignored); returns the new id, 0 on error. */
gint64 store_ticket_insert(store_t *st, const store_ticket_t *t, GError **error);
/* NULL with PD_ERROR_NOT_FOUND when there is no ticket ID. */
store_ticket_t *store_ticket_get(store_t *st, gint64 id, GError **error);
gboolean store_ticket_exists(store_t *st, gint64 id);
/* Set the state (resolved_at follows: set on resolve, cleared otherwise),
 * when it was entered (state_at), and the update time; a new state
 * forgets the wait reminder (reminded_at). */
gboolean store_ticket_set_state(store_t *st, gint64 id, const char *state,
				gint64 now, GError **error);
gboolean store_ticket_touch(store_t *st, gint64 id, gint64 now, GError **error);
/* Write T's group, priority, tier and owner (NULL: none), updated = NOW. */
gboolean store_ticket_update(store_t *st, const store_ticket_t *t, gint64 now,
			     GError **error);
/* Write T's service-level fields (due_at ... breached_at, due_from ...
 * sla_next). */
gboolean store_ticket_set_sla(store_t *st, const store_ticket_t *t, GError **error);
/* Tickets whose sla_next is at or before NOW, soonest first, at most
 * LIMIT. Array of store_ticket_t*. */
GPtrArray *store_ticket_list_sla_due(store_t *st, gint64 now, guint limit, GError **error);
/* Tickets that have a deadline (due_at), and those not resolved or
 * closed that no member has answered yet, by id: for recomputing them
 * after the configuration changed. Array of store_ticket_t*. */
GPtrArray *store_ticket_list_timed(store_t *st, GError **error);
/* Tickets of GROUP in STATE since BEFORE or earlier (state_at), with
 * UNREMINDED only those without a reminder in this state, oldest first,
 * at most LIMIT. Array of store_ticket_t*. */
GPtrArray *store_ticket_list_in_state(store_t *st, const char *group, const char *state,
				      gint64 before, gboolean unreminded, guint limit,
				      GError **error);
/* Record that this wait's reminder of ticket ID went out at AT. */
gboolean store_ticket_set_reminded(store_t *st, gint64 id, gint64 at, GError **error);
/* Whether ticket ID was ever resolved (a state event to resolved); -1 on
 * error. */
gint64 store_ticket_was_resolved(store_t *st, gint64 id, GError **error);
/* Move the messages, Message-IDs and participants of FROM to INTO and
 * close FROM as merged into INTO. */
gboolean store_ticket_merge(store_t *st, gint64 from, gint64 into, gint64 now,
			    GError **error);
/* Tickets not closed that ADDRESS forwarded in (a "forward" event by
 * them), by id. Array of store_ticket_t*. */
GPtrArray *store_ticket_list_forwarded_by(store_t *st, const char *address, GError **error);
/* Tickets not closed of GROUP that hold a mailing-list post, by id. */
GPtrArray *store_ticket_list_from_lists(store_t *st, const char *group, GError **error);
/* Tickets whose requester is ADDRESS opened since SINCE; -1 on error. */
gint64 store_ticket_count_requester(store_t *st, const char *address, gint64 since,
				    GError **error);
/* Events of KIND by ACTOR about no ticket since SINCE; -1 on error. */
gint64 store_event_count_unticketed(store_t *st, const char *kind, const char *actor,
				    gint64 since, GError **error);
/* Tickets of organisation ORG opened since SINCE; -1 on error. */
gint64 store_ticket_count_org(store_t *st, const char *org, gint64 since, GError **error);
/* How many events of KIND ticket TICKET has; -1 on error. */
gint64 store_event_count(store_t *st, gint64 ticket, const char *kind, GError **error);
/* Tickets OWNER holds that are not resolved or closed; -1 on error. */
gint64 store_ticket_open_count(store_t *st, const char *owner, GError **error);
/* Tickets not resolved, closed or merged (new, open, waiting), by id,
 * in one query: what the digests list. Array of store_ticket_t*. */
GPtrArray *store_ticket_list_open(store_t *st, GError **error);
/* Tickets by id; STATE NULL for all. Array of store_ticket_t*. */
GPtrArray *store_ticket_list(store_t *st, const char *state, GError **error);
/* Ids of tickets whose messages match the FTS5 QUERY, best first. Array
 * of store_ticket_t*. PD_ERROR_INPUT for a malformed query. */
GPtrArray *store_ticket_search(store_t *st, const char *query, GError **error);

typedef struct {
	gint64 id;
	gint64 ticket_id;
	char *direction;      /* in | out */
	char *kind;           /* customer | member | note | list | forward | system */
	char *message_id;     /* without <> */
	char *content_hash;
	char *from_name;
	char *from_address;
	char *subject;
	gint64 date;
	gint64 received;
	char *text;
	char *visible;
	gboolean verified;
	char *threaded_by;    /* new | token | reference | tag */
	char *source;         /* deliver | import:PATH | imap:NAME | ... */
	gint64 raw_id;        /* 0: none (mail we wrote) */
} store_message_t;
void store_message_free(store_message_t *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_message_t, store_message_free)

gint64 store_message_insert(store_t *st, const store_message_t *m, GError **error);
/* The id of the message with MESSAGE_ID and CONTENT_HASH, 0 if none. */
gint64 store_message_find(store_t *st, const char *message_id,
			  const char *content_hash, GError **error);
/* Messages of TICKET in order. Array of store_message_t*. */
GPtrArray *store_message_list(store_t *st, gint64 ticket, GError **error);

/* The Message-ID of the newest message of TICKET written by someone else
 * than postdesk (direction in) of KIND (NULL: any), or NULL (no error)
 * when there is none. New string. */
char *store_message_last_in(store_t *st, gint64 ticket, const char *kind, GError **error);

/* Raw bytes: insert, and get back those of a message. */
gint64 store_raw_insert(store_t *st, const void *data, gsize len, GError **error);
GBytes *store_raw_get(store_t *st, gint64 raw_id, GError **error);
/* The raw bytes of message ID; PD_ERROR_NOT_FOUND when there are none. */
GBytes *store_message_raw(store_t *st, gint64 message, GError **error);

/* Message-IDs stored or sent, for threading. */
gboolean store_message_id_add(store_t *st, const char *message_id,
			      gint64 ticket, const char *direction, GError **error);
/* The (newest) ticket that MESSAGE_ID belongs to, 0 if none. */
gint64 store_ticket_by_message_id(store_t *st, const char *message_id, GError **error);

typedef struct {
	char *address;
	char *name;
	char *role;           /* requester | member | cc | forwarder */
} store_participant_t;
void store_participant_free(store_participant_t *p);
/* Add ADDRESS to TICKET unless it is there already (its role kept). */
gboolean store_participant_add(store_t *st, gint64 ticket, const char *address,
			       const char *name, const char *role, gint64 now,
			       GError **error);
gboolean store_participant_has(store_t *st, gint64 ticket, const char *address);
GPtrArray *store_participant_list(store_t *st, gint64 ticket, GError **error);

typedef struct {
	gint64 id;
	gint64 at;
	char *kind;
	char *actor;
	char *detail;
	gint64 ticket_id;     /* 0: an event of no ticket */
} store_event_t;
void store_event_free(store_event_t *e);
gboolean store_event_add(store_t *st, gint64 ticket, gint64 at, const char *kind,
			 const char *actor, const char *detail, GError **error);
GPtrArray *store_event_list(store_t *st, gint64 ticket, GError **error);
/* The whole history up to TO (exclusive) of every ticket that has an
 * event in [FROM, TO), by ticket and then in order. Array of
 * store_event_t*. */
GPtrArray *store_event_list_window(store_t *st, gint64 from, gint64 to, GError **error);

typedef struct {
	gint64 id;
	char *filename;
	char *content_type;
	gint64 size;
} store_attachment_t;
void store_attachment_free(store_attachment_t *a);
gboolean store_attachment_add(store_t *st, gint64 message, const char *filename,
			      const char *content_type, GBytes *content, GError **error);
GPtrArray *store_attachment_list(store_t *st, gint64 message, GError **error);

typedef struct {
	gint64 id;
	gint64 received;
	char *reason;
	char *sender;
	char *subject;
	char *recipient;
	char *source;
	char *content_hash;
	char *state;          /* held | released | dropped */
	gint64 raw_id;
	gint64 size;
} store_quarantine_t;
void store_quarantine_free(store_quarantine_t *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_quarantine_t, store_quarantine_free)
gint64 store_quarantine_add(store_t *st, const store_quarantine_t *q, GError **error);
/* The held entry with CONTENT_HASH, 0 if none (the same mail twice). */
gint64 store_quarantine_find(store_t *st, const char *content_hash, GError **error);
store_quarantine_t *store_quarantine_get(store_t *st, gint64 id, GError **error);
/* STATE NULL: all. */
GPtrArray *store_quarantine_list(store_t *st, const char *state, GError **error);
gboolean store_quarantine_set_state(store_t *st, gint64 id, const char *state,
				    GError **error);

/* Sources of mail (IMAP accounts): their UIDVALIDITY, the last UID taken,
 * the last contact and error, for resuming and for postdesk status. */
typedef struct {
	char *name;           /* "imap:NAME" */
	gint64 uidvalidity, last_uid, last_contact;
	char *last_error;
} store_source_t;
void store_source_free(store_source_t *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_source_t, store_source_free)
/* NULL (no error) when the source was never seen. */
store_source_t *store_source_get(store_t *st, const char *name, GError **error);
GPtrArray *store_source_list(store_t *st, GError **error);
/* Record contact (and LAST_ERROR, NULL when fine); UIDVALIDITY and
 * LAST_UID when not negative. */
gboolean store_source_update(store_t *st, const char *name, gint64 uidvalidity,
			     gint64 last_uid, gint64 now, const char *last_error,
			     GError **error);
/* Whether UID of SOURCE under UIDVALIDITY was taken; record one taken. */
gboolean store_source_uid_taken(store_t *st, const char *name, gint64 uidvalidity,
				gint64 uid);
gboolean store_source_uid_add(store_t *st, const char *name, gint64 uidvalidity,
			      gint64 uid, gint64 now, GError **error);

/* The incoming queue: mail the LMTP listener accepted, in a database
 * file of its own (store_incoming_path) so that answering the MTA never
 * waits for the main database's write lock; run ingests it from there. */
typedef struct {
	gint64 id, received, size, attempts;
	char *source;         /* "lmtp" */
	char *recipient;      /* the first envelope recipient */
	char *error;          /* the last failure to ingest it, or NULL */
} store_incoming_t;
void store_incoming_free(store_incoming_t *m);
/* DATABASE's incoming queue: "var/postdesk.db" -> "var/postdesk-incoming.db".
 * New string. */
char *store_incoming_path(const char *database);
/* Open (creating when missing) the incoming queue of DATABASE. */
store_t *store_incoming_open(const char *database, GError **error);
/* Keep LEN bytes of DATA; the id, or 0 on error. */
gint64 store_incoming_add(store_t *st, const char *source, const char *recipient,
			  const char *data, gsize len, gint64 now, GError **error);
/* Up to LIMIT waiting messages due at NOW (without their bytes), oldest
 * first; array of store_incoming_t*. */
GPtrArray *store_incoming_due(store_t *st, gint64 now, guint limit, GError **error);
/* The bytes of message ID, or NULL (*ERROR set). */
GBytes *store_incoming_raw(store_t *st, gint64 id, GError **error);
gboolean store_incoming_remove(store_t *st, gint64 id, GError **error);
/* Count a failure to ingest ID and try it again at NEXT. */
gboolean store_incoming_retry(store_t *st, gint64 id, gint64 next, const char *why,
			      GError **error);
/* How many wait (and, in *FAILING, how many failed before); -1 on error. */
gint64 store_incoming_count(store_t *st, gint64 *failing, GError **error);

/* Notices decided and not yet written (rendered into the outbound
 * queue): see notice_defer() in notice.h. */
typedef struct {
	gint64 id, ticket_id, at;
	char *template_name;
	char *to_address, *to_name;
	char *kind;            /* system, member */
	char *in_reply_to;     /* without <>, or NULL */
	char *refs;            /* ids without <>, space-separated, or NULL */
	gboolean automatic;
} store_notice_t;
void store_notice_free(store_notice_t *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_notice_t, store_notice_free)
/* Keep N (its id is ignored); FALSE on error. */
gboolean store_notice_add(store_t *st, const store_notice_t *n, GError **error);
/* Up to LIMIT with ids after AFTER, oldest first; array of
 * store_notice_t*. */
GPtrArray *store_notice_due(store_t *st, gint64 after, guint limit, GError **error);
/* Remove notice ID: 1 when it was there, 0 when it was not (another
 * writer took it), -1 on error. */
gint64 store_notice_take(store_t *st, gint64 id, GError **error);
/* How many wait; -1 on error. */
gint64 store_notice_count(store_t *st, GError **error);

/* The round-robin queue of a group: members in order, head first. */
typedef struct {
	char *address;
	gint64 pos;
} store_queue_entry_t;
void store_queue_entry_free(store_queue_entry_t *e);
/* Array of store_queue_entry_t*, head first. */
GPtrArray *store_queue_list(store_t *st, const char *group, GError **error);
/* Put ADDRESS at the back of GROUP's queue (added if absent, moved if
 * present). */
gboolean store_queue_to_back(store_t *st, const char *group, const char *address,
			     GError **error);
/* Add ADDRESS at the back unless it is in the queue already. */
gboolean store_queue_add(store_t *st, const char *group, const char *address,
			 GError **error);

/* Offers of a ticket to members. */
typedef struct {
	gint64 ticket_id;
	char *member;
	gint64 at;
	char *state;          /* offered | taken | refused | expired | withdrawn */
	char *reason;
} store_offer_t;
void store_offer_free(store_offer_t *o);
/* Record an offer of TICKET to MEMBER at AT (state offered). */
gboolean store_offer_add(store_t *st, gint64 ticket, const char *member, gint64 at,
			 GError **error);
/* Set the state (and REASON) of MEMBER's offer of TICKET; one is made if
 * there was none (a member taking a ticket never offered to them). */
gboolean store_offer_set(store_t *st, gint64 ticket, const char *member, gint64 at,
			 const char *state, const char *reason, GError **error);
/* Offers of TICKET, oldest first. Array of store_offer_t*. */
GPtrArray *store_offer_list(store_t *st, gint64 ticket, GError **error);
/* Offers still open that were made before BEFORE, oldest first. */
GPtrArray *store_offer_pending(store_t *st, gint64 before, GError **error);

/* Members away (#away): until when, 0 when not away. */
gint64 store_member_away_until(store_t *st, const char *address, GError **error);
/* UNTIL 0: back; G_MAXINT64: away until further notice. */
gboolean store_member_set_away(store_t *st, const char *address, gint64 until,
			       GError **error);

/* Digests: whether MEMBER's digest KIND ("member", "group:NAME") of
 * PERIOD is done (1) or not (0), -1 on error; record it done at AT. */
gint64 store_digest_sent(store_t *st, const char *member, const char *kind,
			 const char *period, GError **error);
gboolean store_digest_mark(store_t *st, const char *member, const char *kind,
			   const char *period, gint64 at, GError **error);

/* Automatic replies: how many went to ADDRESS since SINCE; record one. */
gint64 store_auto_reply_count(store_t *st, const char *address, gint64 since,
			      GError **error);
gboolean store_auto_reply_add(store_t *st, const char *address, gint64 at,
			      GError **error);

typedef struct {
	gint64 id;
	gint64 ticket_id;
	char *message_id;
	char *template_name;
	char *mail_from;
	char *rcpt;           /* recipients, one per line */
	GBytes *bytes;
	char *state;          /* queued | sending | sent | failed */
	gint64 attempts;
	gint64 created, next_attempt, sent_at;
	char *last_error;
	gboolean in_doubt;    /* resent after an interrupted attempt */
} store_outbound_t;
void store_outbound_free(store_outbound_t *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_outbound_t, store_outbound_free)
gint64 store_outbound_add(store_t *st, const store_outbound_t *o, GError **error);
/* The outbound mail with MESSAGE_ID (without <>), or NULL (no error) when
 * there is none. */
store_outbound_t *store_outbound_by_message_id(store_t *st, const char *message_id,
					       GError **error);
/* Queued mail due at NOW (with INCLUDE_SENDING only mail left in
 * "sending" by a crash), oldest first, at most LIMIT. */
GPtrArray *store_outbound_due(store_t *st, gint64 now, gboolean include_sending,
			      guint limit, GError **error);
/* STATE NULL: all. */
GPtrArray *store_outbound_list(store_t *st, const char *state, GError **error);
gboolean store_outbound_mark(store_t *st, gint64 id, const char *state,
			     gint64 attempts, gint64 next_attempt, gint64 sent_at,
			     const char *last_error, GError **error);
/* Mail in STATE (NULL: all); -1 on error. */
gint64 store_outbound_count(store_t *st, const char *state, GError **error);
/* Mark mail ID in doubt: it is being resent after an interrupted attempt. */
gboolean store_outbound_set_doubt(store_t *st, gint64 id, GError **error);
/* Make failed mail ID (0: every failed mail) queued and due at NOW.
 * Returns how many rows changed, -1 on error. */
gint64 store_outbound_requeue(store_t *st, gint64 id, gint64 now, GError **error);

/* Webhook deliveries: the outbound queue's twin for HTTP, one row per
 * event and [webhook:NAME] that asked for it (event.c writes them,
 * webhook-send.c sends them). */
typedef struct {
	gint64 id;
	char *webhook;        /* NAME of [webhook:NAME] */
	char *delivery_id;    /* what receivers deduplicate on */
	gint64 ticket_id;     /* 0: none */
	char *kind;           /* the event kind */
	GBytes *body;         /* the JSON to send */
	char *state;          /* queued | sending | sent | failed */
	gint64 attempts;
	gint64 created, next_attempt, sent_at;
	gint64 status;        /* the last HTTP status, 0: no answer yet */
	char *last_error;
	gboolean in_doubt;    /* resent after an interrupted attempt */
} store_webhook_t;
void store_webhook_free(store_webhook_t *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_webhook_t, store_webhook_free)
/* Queue W (W->id, state and the attempt fields ignored: a new delivery is
 * queued and due at W->created). Returns the new id, 0 on error. */
gint64 store_webhook_add(store_t *st, const store_webhook_t *w, GError **error);
/* Queued deliveries due at NOW (with INCLUDE_SENDING only those left in
 * "sending" by a crash), oldest first, at most LIMIT. Array of
 * store_webhook_t*. */
GPtrArray *store_webhook_due(store_t *st, gint64 now, gboolean include_sending,
			     guint limit, GError **error);
/* STATE NULL: all, oldest first. Array of store_webhook_t*. */
GPtrArray *store_webhook_list(store_t *st, const char *state, GError **error);
/* Record an attempt's outcome (STATUS 0 and SENT_AT 0 are stored as
 * none). */
gboolean store_webhook_mark(store_t *st, gint64 id, const char *state, gint64 attempts,
			    gint64 next_attempt, gint64 sent_at, gint64 status,
			    const char *last_error, GError **error);
/* Mark delivery ID in doubt: it is being resent after an interrupted
 * attempt. */
gboolean store_webhook_set_doubt(store_t *st, gint64 id, GError **error);
/* Make failed delivery ID (0: every failed one) queued and due at NOW.
 * Returns how many rows changed, -1 on error. */
gint64 store_webhook_requeue(store_t *st, gint64 id, gint64 now, GError **error);
/* Deliveries in STATE (NULL: all); -1 on error. */
gint64 store_webhook_count(store_t *st, const char *state, GError **error);
#endif
