/* SPDX-License-Identifier: MIT
 * store.c: SQLite store, every SQL statement of postdesk.
 *
 * Statements are prepared once per connection and cached by their text.
 * Parameters are bound through one small binder (store_bind) whose format
 * string names their types, so no statement is ever built from data.
 * WAL mode lets readers (postdesk ticket, status) run beside a writer;
 * BEGIN IMMEDIATE takes the write lock up front so a busy database is a
 * clean PD_ERROR_TEMP, not a failure halfway through a message. */
#include "autodefs.h"
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include "error.h"
#include "store.h"
#include "store-schema.h"
#include "util.h"
#include "banned.h"

struct store {
	sqlite3 *db;
	char *path;
	GHashTable *stmts; /* SQL text -> sqlite3_stmt* */
	gint64 busy_since; /* monotonic µs of the first retry of this wait */
	gint64 fts_from;   /* messages from this id on are not in the index yet */
};

#define STORE_BUSY_TIMEOUT_US (5 * G_USEC_PER_SEC)

/* Wait for another connection's write lock. SQLite's own handler sleeps
 * 1, 2, 5, 10 ... ms: in the daemon, whose threads take turns at the
 * lock every millisecond or so, that idles most of the time. Short
 * sleeps, growing to 2 ms, for at most STORE_BUSY_TIMEOUT_US. */
static int
store_busy(void *data, int count)
{
	store_t *st = data;
	gint64 now = g_get_monotonic_time();

	if (count == 0)
		st->busy_since = now;
	else if (now - st->busy_since >= STORE_BUSY_TIMEOUT_US)
		return 0;
	g_usleep((gulong)MIN(50 * (count + 1), 2000));
	return 1;
}

/* Translate a SQLite failure into our domain: what the caller should do. */
static void
store_fail(store_t *st, int rc, GError **error, const char *what)
{
	int code = PD_ERROR_INTERNAL;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		code = PD_ERROR_TEMP;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		code = PD_ERROR_CONFIG;
		break;
	default:
		break;
	}
	g_set_error(error, PD_ERROR, code, "database %s: %s: %s",
		    st->path, what,
		    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static sqlite3_stmt *
store_stmt(store_t *st, const char *sql, GError **error)
{
	sqlite3_stmt *s = g_hash_table_lookup(st->stmts, sql);
	int rc;

	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, rc, error, "prepare");
		return NULL;
	}
	g_hash_table_insert(st->stmts, (gpointer)sql, s);
	return s;
}

/* Bind parameters by FMT: i gint64, z gint64 with 0 as NULL, s string
 * (NULL as NULL), b GBytes* (NULL as NULL), B pointer + gsize. */
static void
store_bind(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	for (int i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			sqlite3_bind_int64(s, i, va_arg(ap, gint64));
			break;
		case 'z': {
			gint64 v = va_arg(ap, gint64);

			if (v == 0)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_int64(s, i, v);
			break;
		}
		case 's': {
			const char *v = va_arg(ap, const char *);

			if (v == NULL)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
			break;
		}
		case 'b': {
			GBytes *b = va_arg(ap, GBytes *);
			gsize len;
			const void *data = b ? g_bytes_get_data(b, &len) : NULL;

			if (b == NULL)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_blob64(s, i, data ? data : "", len, SQLITE_STATIC);
			break;
		}
		case 'B': {
			const void *data = va_arg(ap, const void *);
			gsize len = va_arg(ap, gsize);

			sqlite3_bind_blob64(s, i, data ? data : "", len, SQLITE_STATIC);
			break;
		}
		default:
			g_assert_not_reached();
		}
	}
}

/* Prepare SQL, bind, and return it ready to step; NULL on error. */
static sqlite3_stmt *
store_query(store_t *st, const char *sql, GError **error, const char *fmt, ...)
{
	sqlite3_stmt *s = store_stmt(st, sql, error);
	va_list ap;

	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	store_bind(s, fmt, ap);
	va_end(ap);
	return s;
}

/* Run a statement that returns no rows. */
static gboolean
store_exec(store_t *st, const char *sql, GError **error, const char *fmt, ...)
{
	sqlite3_stmt *s = store_stmt(st, sql, error);
	va_list ap;
	int rc;

	if (s == NULL)
		return FALSE;
	va_start(ap, fmt);
	store_bind(s, fmt, ap);
	va_end(ap);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, rc, error, "write");
		return FALSE;
	}
	return TRUE;
}

/* Step S once; TRUE with a row, FALSE at the end or on error (*ERROR set). */
static gboolean
store_row(store_t *st, sqlite3_stmt *s, GError **error)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return TRUE;
	if (rc != SQLITE_DONE)
		store_fail(st, rc, error, "read");
	sqlite3_reset(s);
	return FALSE;
}

/* The single integer a query returns, or DEF when it returns no row. */
static gint64
store_scalar(store_t *st, sqlite3_stmt *s, gint64 def, GError **error)
{
	gint64 v = def;

	if (s == NULL)
		return def;
	if (store_row(st, s, error)) {
		v = sqlite3_column_type(s, 0) == SQLITE_NULL ? def : sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	return v;
}

/* The count a query S returns, -1 on error (*ERROR set). */
static gint64
store_count(store_t *st, sqlite3_stmt *s, GError **error)
{
	GError *local = NULL;
	gint64 n;

	if (s == NULL)
		return -1;
	n = store_scalar(st, s, 0, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return -1;
	}
	return n;
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? g_strdup((const char *)t) : NULL;
}

static void
stmt_finalize(gpointer s)
{
	sqlite3_finalize(s);
}

/* Run the statements of SQL (no parameters); WHAT names it in errors. */
static gboolean
store_script(store_t *st, const char *sql, const char *what, GError **error)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		store_fail(st, rc, error, what);
		return FALSE;
	}
	return TRUE;
}

store_t *
store_open(const char *path, gboolean create, GError **error)
{
	g_autoptr(store_t) st = g_new0(store_t, 1);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc;

	st->path = g_strdup(path);
	st->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					  stmt_finalize);
	if (create) {
		g_autofree char *dir = g_path_get_dirname(path);

		flags |= SQLITE_OPEN_CREATE;
		if (g_mkdir_with_parents(dir, 0750) != 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: %s", dir,
				    g_strerror(errno));
			return NULL;
		}
	} else if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "database %s does not exist: run postdesk init", path);
		return NULL;
	}
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, rc, error, "open");
		return NULL;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* A deliver process is one short connection: checkpointing the WAL
	 * each time it closes would cost fsyncs per message. But the first
	 * connection to open a database rebuilds the WAL index by reading the
	 * whole WAL, so it must stay small: checkpoint every 64 pages
	 * (wal_autocheckpoint below), and store_close() truncates a WAL that
	 * a long writer (import) left large. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_handler(st->db, store_busy, st);
	/* journal_mode=WAL is persistent in the file; the rest is per
	 * connection. synchronous=FULL: a message we answered 0 for must
	 * survive a power cut, not only a crash. */
	if (!store_script(st,
			  "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=ON;"
			  "PRAGMA wal_autocheckpoint=64;"
			  "PRAGMA temp_store=MEMORY;",
			  "setup", error))
		return NULL;
	return g_steal_pointer(&st);
}

void
store_close(store_t *st)
{
	g_autofree char *wal = NULL;
	struct stat sb;

	if (st == NULL)
		return;
	wal = g_strconcat(st->path, "-wal", NULL);
	if (st->db != NULL && stat(wal, &sb) == 0 && sb.st_size > 1024 * 1024)
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	g_hash_table_destroy(st->stmts);
	if (st->db != NULL)
		sqlite3_close(st->db);
	g_free(st->path);
	g_free(st);
}

gboolean
store_long_lived(store_t *st, GError **error)
{
	return store_script(st, "PRAGMA wal_autocheckpoint=1000;", "wal_autocheckpoint", error);
}

int
store_schema_latest(void)
{
	return (int)G_N_ELEMENTS(STORE_MIGRATIONS);
}

int
store_schema_version(store_t *st)
{
	sqlite3_stmt *s = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

gboolean
store_migrate(store_t *st, int *from, int *to, GError **error)
{
	int v, latest = store_schema_latest();

	if (!store_begin(st, error))
		return FALSE;
	v = store_schema_version(st);
	if (from != NULL)
		*from = v;
	if (to != NULL)
		*to = v;
	if (v > latest) {
		store_rollback(st);
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "database %s has schema %d, newer than this postdesk (%d)",
			    st->path, v, latest);
		return FALSE;
	}
	for (; v < latest; v++) {
		g_autofree char *bump = g_strdup_printf("PRAGMA user_version=%d", v + 1);
		int rc = sqlite3_exec(st->db, STORE_MIGRATIONS[v], NULL, NULL, NULL);

		if (rc == SQLITE_OK)
			rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			g_autofree char *what = g_strdup_printf("migration %d", v + 1);

			store_fail(st, rc, error, what);
			store_rollback(st);
			return FALSE;
		}
	}
	if (!store_commit(st, error))
		return FALSE;
	if (to != NULL)
		*to = latest;
	return TRUE;
}

gboolean
store_check_current(store_t *st, GError **error)
{
	int v = store_schema_version(st);

	if (v == store_schema_latest())
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
		    "database %s has schema %d, this postdesk needs %d: run postdesk init",
		    st->path, v, store_schema_latest());
	return FALSE;
}

static gboolean
store_simple(store_t *st, const char *sql, GError **error)
{
	return store_script(st, sql, sql, error);
}

gboolean
store_begin(store_t *st, GError **error)
{
	return store_simple(st, "BEGIN IMMEDIATE", error);
}

/* The transaction's new messages into the full-text index, with one
 * statement. Row by row (a trigger) FTS5 wrote a segment of its index for
 * every message: each statement's savepoint flushes what it holds. */
static gboolean
store_fts_catch_up(store_t *st, GError **error)
{
	gint64 from = st->fts_from;

	st->fts_from = 0;
	return from == 0 ||
	       store_exec(st,
			  "INSERT INTO messages_fts (rowid, subject, text) "
			  "SELECT id, subject, text FROM messages WHERE id >= ?",
			  error, "i", from);
}

gboolean
store_commit(store_t *st, GError **error)
{
	if (!store_fts_catch_up(st, error)) {
		store_rollback(st);
		return FALSE;
	}
	util_crash_point("before-commit");
	if (!store_simple(st, "COMMIT", error)) {
		store_rollback(st);
		return FALSE;
	}
	util_crash_point("after-commit");
	return TRUE;
}

void
store_rollback(store_t *st)
{
	st->fts_from = 0;
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
store_savepoint(store_t *st, GError **error)
{
	return store_simple(st, "SAVEPOINT message", error);
}

gboolean
store_savepoint_release(store_t *st, GError **error)
{
	return store_simple(st, "RELEASE message", error);
}

void
store_savepoint_rollback(store_t *st)
{
	sqlite3_exec(st->db, "ROLLBACK TO message; RELEASE message", NULL, NULL, NULL);
}

gboolean
store_backup(store_t *st, const char *path, GError **error)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc = sqlite3_open(path, &dst);

	if (rc == SQLITE_OK) {
		b = sqlite3_backup_init(dst, "main", st->db, "main");
		if (b != NULL) {
			/* Copy in steps so a running daemon is not blocked long. */
			do {
				rc = sqlite3_backup_step(b, 256);
				if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
					sqlite3_sleep(20);
			} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
			sqlite3_backup_finish(b);
		}
		rc = sqlite3_errcode(dst);
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "backup to %s: %s", path,
			    dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close(dst);
		return FALSE;
	}
	sqlite3_close(dst);
	return TRUE;
}

/* Tickets */

void
store_ticket_free(store_ticket_t *t)
{
	if (t == NULL)
		return;
	g_free(t->subject);
	g_free(t->state);
	g_free(t->group);
	g_free(t->priority);
	g_free(t->requester_name);
	g_free(t->requester_address);
	g_free(t->owner);
	g_free(t->language);
	g_free(t->org);
	g_free(t->due_kind);
	g_free(t);
}

#define TICKET_COLUMNS \
	"id, subject, state, grp, priority, tier, requester_name, " \
	"requester_address, owner, language, org, linked_to, created, updated, resolved_at, " \
	"merged_into, due_at, due_kind, first_response_at, paused_at, warned_at, breached_at, " \
	"due_from, paused_seconds, pause_base, sla_next, state_at, reminded_at"

static store_ticket_t *
ticket_from_row(sqlite3_stmt *s)
{
	store_ticket_t *t = g_new0(store_ticket_t, 1);

	t->id = sqlite3_column_int64(s, 0);
	t->subject = col_text(s, 1);
	t->state = col_text(s, 2);
	t->group = col_text(s, 3);
	t->priority = col_text(s, 4);
	t->tier = sqlite3_column_int64(s, 5);
	t->requester_name = col_text(s, 6);
	t->requester_address = col_text(s, 7);
	t->owner = col_text(s, 8);
	t->language = col_text(s, 9);
	t->org = col_text(s, 10);
	t->linked_to = sqlite3_column_int64(s, 11);
	t->created = sqlite3_column_int64(s, 12);
	t->updated = sqlite3_column_int64(s, 13);
	t->resolved_at = sqlite3_column_int64(s, 14);
	t->merged_into = sqlite3_column_int64(s, 15);
	t->due_at = sqlite3_column_int64(s, 16);
	t->due_kind = col_text(s, 17);
	t->first_response_at = sqlite3_column_int64(s, 18);
	t->paused_at = sqlite3_column_int64(s, 19);
	t->warned_at = sqlite3_column_int64(s, 20);
	t->breached_at = sqlite3_column_int64(s, 21);
	t->due_from = sqlite3_column_int64(s, 22);
	t->paused_seconds = sqlite3_column_int64(s, 23);
	t->pause_base = sqlite3_column_int64(s, 24);
	t->sla_next = sqlite3_column_int64(s, 25);
	t->state_at = sqlite3_column_int64(s, 26);
	t->reminded_at = sqlite3_column_int64(s, 27);
	return t;
}

/* Collect every row of S through FROM_ROW into a new array. */
static GPtrArray *
store_collect(store_t *st, sqlite3_stmt *s, gpointer (*from_row)(sqlite3_stmt *),
	      GDestroyNotify free_fn, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(free_fn);
	GError *local = NULL;

	if (s == NULL)
		return NULL;
	while (store_row(st, s, &local))
		g_ptr_array_add(out, from_row(s));
	if (local != NULL) {
		g_propagate_error(error, local);
		return NULL;
	}
	return g_steal_pointer(&out);
}

/* The first row of S through FROM_ROW, or NULL when there is none (no
 * error) or on an error (*ERROR set). */
static gpointer
store_first(store_t *st, sqlite3_stmt *s, gpointer (*from_row)(sqlite3_stmt *),
	    GDestroyNotify free_fn, GError **error)
{
	g_autoptr(GPtrArray) rows = store_collect(st, s, from_row, free_fn, error);

	return rows != NULL && rows->len > 0 ? g_ptr_array_steal_index(rows, 0) : NULL;
}

gint64
store_ticket_insert(store_t *st, const store_ticket_t *t, GError **error)
{
	if (!store_exec(st,
			"INSERT INTO tickets (subject, state, grp, priority, tier, "
			"requester_name, requester_address, owner, language, org, "
			"linked_to, created, updated, state_at) "
			"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			error, "ssssisssssz" "iii", t->subject, t->state ? t->state : "new",
			t->group, t->priority ? t->priority : "normal", t->tier,
			t->requester_name, t->requester_address, t->owner, t->language,
			t->org, t->linked_to, t->created, t->created, t->created))
		return 0;
	return sqlite3_last_insert_rowid(st->db);
}

store_ticket_t *
store_ticket_get(store_t *st, gint64 id, GError **error)
{
	sqlite3_stmt *s = store_query(st, "SELECT " TICKET_COLUMNS " FROM tickets WHERE id = ?",
				      error, "i", id);
	GError *local = NULL;
	store_ticket_t *t;

	if (s == NULL)
		return NULL;
	if (!store_row(st, s, &local)) {
		if (local != NULL)
			g_propagate_error(error, local);
		else
			g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
				    "no ticket %" G_GINT64_FORMAT, id);
		return NULL;
	}
	t = ticket_from_row(s);
	sqlite3_reset(s);
	return t;
}

gboolean
store_ticket_exists(store_t *st, gint64 id)
{
	return store_scalar(st, store_query(st, "SELECT 1 FROM tickets WHERE id = ?", NULL,
					    "i", id), 0, NULL) == 1;
}

gboolean
store_ticket_set_state(store_t *st, gint64 id, const char *state, gint64 now,
		       GError **error)
{
	return store_exec(st,
			  "UPDATE tickets SET state = ?1, updated = ?2, state_at = ?2, "
			  "reminded_at = NULL, "
			  "resolved_at = CASE WHEN ?1 = 'resolved' THEN ?2 "
			  "  WHEN ?1 = 'closed' THEN resolved_at ELSE NULL END "
			  "WHERE id = ?3",
			  error, "sii", state, now, id);
}

gboolean
store_ticket_touch(store_t *st, gint64 id, gint64 now, GError **error)
{
	return store_exec(st, "UPDATE tickets SET updated = ? WHERE id = ?", error,
			  "ii", now, id);
}

gboolean
store_ticket_update(store_t *st, const store_ticket_t *t, gint64 now, GError **error)
{
	return store_exec(st,
			  "UPDATE tickets SET grp = ?, priority = ?, tier = ?, owner = ?, "
			  "updated = ? WHERE id = ?",
			  error, "ssisii", t->group, t->priority, t->tier, t->owner, now, t->id);
}

gboolean
store_ticket_set_sla(store_t *st, const store_ticket_t *t, GError **error)
{
	return store_exec(st,
			  "UPDATE tickets SET due_at = ?, due_kind = ?, first_response_at = ?, "
			  "paused_at = ?, warned_at = ?, breached_at = ?, due_from = ?, "
			  "paused_seconds = ?, pause_base = ?, sla_next = ? WHERE id = ?",
			  error, "zszzzzziizi", t->due_at, t->due_kind, t->first_response_at,
			  t->paused_at, t->warned_at, t->breached_at, t->due_from,
			  t->paused_seconds, t->pause_base, t->sla_next, t->id);
}

/* Every row of the ticket query S. */
static GPtrArray *
store_tickets(store_t *st, sqlite3_stmt *s, GError **error)
{
	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))ticket_from_row,
			     (GDestroyNotify)store_ticket_free, error);
}

GPtrArray *
store_ticket_list_sla_due(store_t *st, gint64 now, guint limit, GError **error)
{
	return store_tickets(st,
			     store_query(st,
					 "SELECT " TICKET_COLUMNS " FROM tickets "
					 "WHERE sla_next IS NOT NULL AND sla_next <= ? "
					 "ORDER BY sla_next LIMIT ?",
					 error, "ii", now, (gint64)limit),
			     error);
}

GPtrArray *
store_ticket_list_timed(store_t *st, GError **error)
{
	return store_tickets(st,
			     store_query(st,
					 "SELECT " TICKET_COLUMNS " FROM tickets "
					 "WHERE due_at IS NOT NULL OR (first_response_at IS NULL "
					 "AND state IN ('new','open','waiting')) ORDER BY id",
					 error, ""),
			     error);
}

GPtrArray *
store_ticket_list_in_state(store_t *st, const char *group, const char *state, gint64 before,
			   gboolean unreminded, guint limit, GError **error)
{
	/* tickets_housekeeping (state, grp, state_at) bounds the scan. */
	return store_tickets(st,
			     store_query(st,
					 "SELECT " TICKET_COLUMNS " FROM tickets "
					 "WHERE state = ? AND grp = ? AND state_at <= ? "
					 "AND (? = 0 OR reminded_at IS NULL) "
					 "ORDER BY state_at LIMIT ?",
					 error, "ssiii", state, group, before, (gint64)unreminded,
					 (gint64)limit),
			     error);
}

gboolean
store_ticket_set_reminded(store_t *st, gint64 id, gint64 at, GError **error)
{
	return store_exec(st, "UPDATE tickets SET reminded_at = ? WHERE id = ?", error, "ii",
			  at, id);
}

gint64
store_ticket_was_resolved(store_t *st, gint64 id, GError **error)
{
	return store_count(st,
			   store_query(st,
				       "SELECT count(*) FROM events WHERE ticket_id = ? "
				       "AND kind = 'state' AND detail LIKE '% -> resolved'",
				       error, "i", id),
			   error);
}

gboolean
store_ticket_merge(store_t *st, gint64 from, gint64 into, gint64 now, GError **error)
{
	/* A Message-ID or participant on both tickets keeps INTO's row. */
	return store_exec(st, "UPDATE messages SET ticket_id = ?1 WHERE ticket_id = ?2",
			  error, "ii", into, from) &&
	       store_exec(st,
			  "INSERT OR IGNORE INTO message_ids (message_id, ticket_id, direction) "
			  "SELECT message_id, ?1, direction FROM message_ids WHERE ticket_id = ?2",
			  error, "ii", into, from) &&
	       store_exec(st, "DELETE FROM message_ids WHERE ticket_id = ?", error, "i", from) &&
	       store_exec(st,
			  "INSERT OR IGNORE INTO participants (ticket_id, address, name, role, added) "
			  "SELECT ?1, address, name, role, added FROM participants "
			  "WHERE ticket_id = ?2",
			  error, "ii", into, from) &&
	       store_exec(st,
			  "UPDATE tickets SET merged_into = ?1, state = 'closed', owner = NULL, "
			  "updated = ?3, state_at = ?3, sla_next = NULL, "
			  "resolved_at = coalesce(resolved_at, ?3) WHERE id = ?2",
			  error, "iii", into, from, now) &&
	       store_ticket_touch(st, into, now, error);
}

GPtrArray *
store_ticket_list_forwarded_by(store_t *st, const char *address, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " TICKET_COLUMNS " FROM tickets WHERE state != 'closed' "
				      "AND id IN (SELECT ticket_id FROM events "
				      "  WHERE kind = 'forward' AND actor = ?) ORDER BY id",
				      error, "s", address);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))ticket_from_row,
			     (GDestroyNotify)store_ticket_free, error);
}

GPtrArray *
store_ticket_list_from_lists(store_t *st, const char *group, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " TICKET_COLUMNS " FROM tickets WHERE state != 'closed' "
				      "AND grp = ? AND id IN (SELECT ticket_id FROM messages "
				      "  WHERE kind = 'list') ORDER BY id",
				      error, "s", group);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))ticket_from_row,
			     (GDestroyNotify)store_ticket_free, error);
}

gint64
store_ticket_count_org(store_t *st, const char *org, gint64 since, GError **error)
{
	return store_count(st,
			   store_query(st,
				       "SELECT count(*) FROM tickets WHERE org = ? AND created >= ? "
				       "AND merged_into IS NULL",
				       error, "si", org, since),
			   error);
}

gint64
store_ticket_count_requester(store_t *st, const char *address, gint64 since,
			     GError **error)
{
	return store_count(st,
			   store_query(st,
				       "SELECT count(*) FROM tickets WHERE requester_address = ? "
				       "AND created >= ?",
				       error, "si", address, since),
			   error);
}

gint64
store_event_count_unticketed(store_t *st, const char *kind, const char *actor, gint64 since,
			     GError **error)
{
	/* ticket_id IS NULL keeps to the events_ticket index. */
	return store_count(st,
			   store_query(st,
				       "SELECT count(*) FROM events WHERE ticket_id IS NULL "
				       "AND kind = ? AND actor = ? AND at >= ?",
				       error, "ssi", kind, actor, since),
			   error);
}

gint64
store_event_count(store_t *st, gint64 ticket, const char *kind, GError **error)
{
	return store_count(st,
			   store_query(st, "SELECT count(*) FROM events WHERE ticket_id = ? AND kind = ?",
				       error, "is", ticket, kind),
			   error);
}

gint64
store_ticket_open_count(store_t *st, const char *owner, GError **error)
{
	return store_count(st,
			   store_query(st,
				       "SELECT count(*) FROM tickets WHERE owner = ? "
				       "AND state IN ('new','open','waiting')",
				       error, "s", owner),
			   error);
}

/* Most tickets of a busy gateway are open: a scan of the table in id
 * order beats the state index (a lookup and a sort per row); the unary
 * plus keeps the planner off it. */
GPtrArray *
store_ticket_list_open(store_t *st, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " TICKET_COLUMNS " FROM tickets "
				      "WHERE +state IN ('new','open','waiting') AND merged_into IS NULL "
				      "ORDER BY id",
				      error, "");

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))ticket_from_row,
			     (GDestroyNotify)store_ticket_free, error);
}

GPtrArray *
store_ticket_list(store_t *st, const char *state, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " TICKET_COLUMNS " FROM tickets "
				      "WHERE ?1 IS NULL OR state = ?1 ORDER BY id",
				      error, "s", state);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))ticket_from_row,
			     (GDestroyNotify)store_ticket_free, error);
}

GPtrArray *
store_ticket_search(store_t *st, const char *query, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " TICKET_COLUMNS " FROM tickets WHERE id IN "
				      "(SELECT m.ticket_id FROM messages_fts f "
				      " JOIN messages m ON m.id = f.rowid "
				      " WHERE messages_fts MATCH ? AND m.kind != 'note') "
				      "ORDER BY updated DESC, id DESC",
				      error, "s", query);
	GPtrArray *out = store_collect(st, s, (gpointer (*)(sqlite3_stmt *))ticket_from_row,
				       (GDestroyNotify)store_ticket_free, error);

	/* A query FTS5 cannot parse is the user's input, not our fault. */
	if (out == NULL && error != NULL && *error != NULL &&
	    (*error)->code == PD_ERROR_INTERNAL)
		(*error)->code = PD_ERROR_INPUT;
	return out;
}

/* Messages */

void
store_message_free(store_message_t *m)
{
	if (m == NULL)
		return;
	g_free(m->direction);
	g_free(m->kind);
	g_free(m->message_id);
	g_free(m->content_hash);
	g_free(m->from_name);
	g_free(m->from_address);
	g_free(m->subject);
	g_free(m->text);
	g_free(m->visible);
	g_free(m->threaded_by);
	g_free(m->source);
	g_free(m);
}

gint64
store_message_insert(store_t *st, const store_message_t *m, GError **error)
{
	gint64 id;

	if (!store_exec(st,
			"INSERT INTO messages (ticket_id, direction, kind, message_id, "
			"content_hash, from_name, from_address, subject, date, received, "
			"text, visible, verified, threaded_by, source, raw_id) "
			"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			error, "issssssszississz", m->ticket_id, m->direction, m->kind,
			m->message_id, m->content_hash, m->from_name, m->from_address,
			m->subject ? m->subject : "", m->date, m->received,
			m->text ? m->text : "", m->visible ? m->visible : "",
			(gint64)m->verified, m->threaded_by, m->source, m->raw_id))
		return 0;
	/* Indexed at the commit (store_fts_catch_up); ids only grow while we
	 * hold the write lock, so all from the first are this transaction's. */
	id = sqlite3_last_insert_rowid(st->db);
	if (st->fts_from == 0)
		st->fts_from = id;
	if (sqlite3_get_autocommit(st->db) && !store_fts_catch_up(st, error))
		return 0;
	return id;
}

gint64
store_message_find(store_t *st, const char *message_id, const char *content_hash,
		   GError **error)
{
	return store_scalar(st, store_query(st,
					    "SELECT id FROM messages WHERE message_id = ? "
					    "AND content_hash = ?",
					    error, "ss", message_id, content_hash),
			    0, error);
}

static store_message_t *
message_from_row(sqlite3_stmt *s)
{
	store_message_t *m = g_new0(store_message_t, 1);

	m->id = sqlite3_column_int64(s, 0);
	m->ticket_id = sqlite3_column_int64(s, 1);
	m->direction = col_text(s, 2);
	m->kind = col_text(s, 3);
	m->message_id = col_text(s, 4);
	m->content_hash = col_text(s, 5);
	m->from_name = col_text(s, 6);
	m->from_address = col_text(s, 7);
	m->subject = col_text(s, 8);
	m->date = sqlite3_column_int64(s, 9);
	m->received = sqlite3_column_int64(s, 10);
	m->text = col_text(s, 11);
	m->visible = col_text(s, 12);
	m->verified = sqlite3_column_int(s, 13) != 0;
	m->threaded_by = col_text(s, 14);
	m->source = col_text(s, 15);
	m->raw_id = sqlite3_column_int64(s, 16);
	return m;
}

GPtrArray *
store_message_list(store_t *st, gint64 ticket, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, ticket_id, direction, kind, message_id, "
				      "content_hash, from_name, from_address, subject, date, "
				      "received, text, visible, verified, threaded_by, source, "
				      "raw_id FROM messages WHERE ticket_id = ? ORDER BY id",
				      error, "i", ticket);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))message_from_row,
			     (GDestroyNotify)store_message_free, error);
}

char *
store_message_last_in(store_t *st, gint64 ticket, const char *kind, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT message_id FROM messages WHERE ticket_id = ?1 "
				      "AND direction = 'in' AND (?2 IS NULL OR kind = ?2) "
				      "ORDER BY id DESC LIMIT 1",
				      error, "is", ticket, kind);
	char *id = NULL;

	if (s != NULL && store_row(st, s, error)) {
		id = col_text(s, 0);
		sqlite3_reset(s);
	}
	return id;
}

gint64
store_raw_insert(store_t *st, const void *data, gsize len, GError **error)
{
	g_autofree char *hash = util_sha256_hex(data, len);

	if (!store_exec(st, "INSERT INTO raw (size, sha256, bytes) VALUES (?,?,?)", error,
			"isB", (gint64)len, hash, data, len))
		return 0;
	return sqlite3_last_insert_rowid(st->db);
}

GBytes *
store_raw_get(store_t *st, gint64 raw_id, GError **error)
{
	sqlite3_stmt *s = store_query(st, "SELECT bytes FROM raw WHERE id = ?", error, "i",
				      raw_id);
	GError *local = NULL;
	GBytes *b;

	if (s == NULL)
		return NULL;
	if (!store_row(st, s, &local)) {
		if (local != NULL)
			g_propagate_error(error, local);
		else
			g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
				    "no raw bytes %" G_GINT64_FORMAT, raw_id);
		return NULL;
	}
	b = g_bytes_new(sqlite3_column_blob(s, 0), (gsize)sqlite3_column_bytes(s, 0));
	sqlite3_reset(s);
	return b;
}

GBytes *
store_message_raw(store_t *st, gint64 message, GError **error)
{
	GError *local = NULL;
	gint64 raw = store_scalar(st, store_query(st,
						  "SELECT raw_id FROM messages WHERE id = ?",
						  error, "i", message),
				  0, &local);

	if (local != NULL) {
		g_propagate_error(error, local);
		return NULL;
	}
	if (raw == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
			    "message %" G_GINT64_FORMAT " has no stored bytes", message);
		return NULL;
	}
	return store_raw_get(st, raw, error);
}

gboolean
store_message_id_add(store_t *st, const char *message_id, gint64 ticket,
		     const char *direction, GError **error)
{
	return store_exec(st,
			  "INSERT OR IGNORE INTO message_ids (message_id, ticket_id, direction) "
			  "VALUES (?,?,?)",
			  error, "sis", message_id, ticket, direction);
}

gint64
store_ticket_by_message_id(store_t *st, const char *message_id, GError **error)
{
	return store_scalar(st, store_query(st,
					    "SELECT max(ticket_id) FROM message_ids "
					    "WHERE message_id = ?",
					    error, "s", message_id),
			    0, error);
}

/* Participants */

void
store_participant_free(store_participant_t *p)
{
	if (p == NULL)
		return;
	g_free(p->address);
	g_free(p->name);
	g_free(p->role);
	g_free(p);
}

gboolean
store_participant_add(store_t *st, gint64 ticket, const char *address,
		      const char *name, const char *role, gint64 now, GError **error)
{
	return store_exec(st,
			  "INSERT OR IGNORE INTO participants (ticket_id, address, name, role, added) "
			  "VALUES (?,?,?,?,?)",
			  error, "isssi", ticket, address, name, role, now);
}

gboolean
store_participant_has(store_t *st, gint64 ticket, const char *address)
{
	return store_scalar(st, store_query(st,
					    "SELECT 1 FROM participants WHERE ticket_id = ? "
					    "AND address = ?",
					    NULL, "is", ticket, address),
			    0, NULL) == 1;
}

static store_participant_t *
participant_from_row(sqlite3_stmt *s)
{
	store_participant_t *p = g_new0(store_participant_t, 1);

	p->address = col_text(s, 0);
	p->name = col_text(s, 1);
	p->role = col_text(s, 2);
	return p;
}

GPtrArray *
store_participant_list(store_t *st, gint64 ticket, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT address, name, role FROM participants "
				      "WHERE ticket_id = ? ORDER BY added, rowid",
				      error, "i", ticket);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))participant_from_row,
			     (GDestroyNotify)store_participant_free, error);
}

/* Events */

void
store_event_free(store_event_t *e)
{
	if (e == NULL)
		return;
	g_free(e->kind);
	g_free(e->actor);
	g_free(e->detail);
	g_free(e);
}

gboolean
store_event_add(store_t *st, gint64 ticket, gint64 at, const char *kind,
		const char *actor, const char *detail, GError **error)
{
	return store_exec(st,
			  "INSERT INTO events (ticket_id, at, kind, actor, detail) "
			  "VALUES (?,?,?,?,?)",
			  error, "zisss", ticket, at, kind, actor, detail);
}

static store_event_t *
event_from_row(sqlite3_stmt *s)
{
	store_event_t *e = g_new0(store_event_t, 1);

	e->id = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 1);
	e->kind = col_text(s, 2);
	e->actor = col_text(s, 3);
	e->detail = col_text(s, 4);
	e->ticket_id = sqlite3_column_int64(s, 5);
	return e;
}

GPtrArray *
store_event_list(store_t *st, gint64 ticket, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, at, kind, actor, detail, ticket_id FROM events "
				      "WHERE ticket_id = ? ORDER BY id",
				      error, "i", ticket);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))event_from_row,
			     (GDestroyNotify)store_event_free, error);
}

GPtrArray *
store_event_list_window(store_t *st, gint64 from, gint64 to, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, at, kind, actor, detail, ticket_id FROM events "
				      "WHERE at < ?2 AND ticket_id IN (SELECT DISTINCT ticket_id "
				      "  FROM events WHERE at >= ?1 AND at < ?2) "
				      "ORDER BY ticket_id, id",
				      error, "ii", from, to);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))event_from_row,
			     (GDestroyNotify)store_event_free, error);
}

/* Attachments */

void
store_attachment_free(store_attachment_t *a)
{
	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a);
}

gboolean
store_attachment_add(store_t *st, gint64 message, const char *filename,
		     const char *content_type, GBytes *content, GError **error)
{
	return store_exec(st,
			  "INSERT INTO attachments (message, filename, content_type, size, content) "
			  "VALUES (?,?,?,?,?)",
			  error, "issib", message, filename, content_type,
			  (gint64)(content ? g_bytes_get_size(content) : 0), content);
}

static store_attachment_t *
attachment_from_row(sqlite3_stmt *s)
{
	store_attachment_t *a = g_new0(store_attachment_t, 1);

	a->id = sqlite3_column_int64(s, 0);
	a->filename = col_text(s, 1);
	a->content_type = col_text(s, 2);
	a->size = sqlite3_column_int64(s, 3);
	return a;
}

GPtrArray *
store_attachment_list(store_t *st, gint64 message, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, filename, content_type, size FROM attachments "
				      "WHERE message = ? ORDER BY id",
				      error, "i", message);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))attachment_from_row,
			     (GDestroyNotify)store_attachment_free, error);
}

/* Quarantine */

void
store_quarantine_free(store_quarantine_t *q)
{
	if (q == NULL)
		return;
	g_free(q->reason);
	g_free(q->sender);
	g_free(q->subject);
	g_free(q->recipient);
	g_free(q->source);
	g_free(q->content_hash);
	g_free(q->state);
	g_free(q);
}

gint64
store_quarantine_add(store_t *st, const store_quarantine_t *q, GError **error)
{
	if (!store_exec(st,
			"INSERT INTO quarantine (received, reason, sender, subject, recipient, "
			"source, content_hash, raw_id) VALUES (?,?,?,?,?,?,?,?)",
			error, "issssssi", q->received, q->reason, q->sender, q->subject,
			q->recipient, q->source, q->content_hash, q->raw_id))
		return 0;
	return sqlite3_last_insert_rowid(st->db);
}

gint64
store_quarantine_find(store_t *st, const char *content_hash, GError **error)
{
	return store_scalar(st, store_query(st,
					    "SELECT min(id) FROM quarantine WHERE content_hash = ? "
					    "AND state = 'held'",
					    error, "s", content_hash),
			    0, error);
}

#define QUARANTINE_COLUMNS \
	"q.id, q.received, q.reason, q.sender, q.subject, q.recipient, q.source, " \
	"q.content_hash, q.state, q.raw_id, r.size FROM quarantine q JOIN raw r ON r.id = q.raw_id"

static store_quarantine_t *
quarantine_from_row(sqlite3_stmt *s)
{
	store_quarantine_t *q = g_new0(store_quarantine_t, 1);

	q->id = sqlite3_column_int64(s, 0);
	q->received = sqlite3_column_int64(s, 1);
	q->reason = col_text(s, 2);
	q->sender = col_text(s, 3);
	q->subject = col_text(s, 4);
	q->recipient = col_text(s, 5);
	q->source = col_text(s, 6);
	q->content_hash = col_text(s, 7);
	q->state = col_text(s, 8);
	q->raw_id = sqlite3_column_int64(s, 9);
	q->size = sqlite3_column_int64(s, 10);
	return q;
}

store_quarantine_t *
store_quarantine_get(store_t *st, gint64 id, GError **error)
{
	sqlite3_stmt *s = store_query(st, "SELECT " QUARANTINE_COLUMNS " WHERE q.id = ?",
				      error, "i", id);
	GError *local = NULL;
	store_quarantine_t *q = store_first(st, s,
					    (gpointer (*)(sqlite3_stmt *))quarantine_from_row,
					    (GDestroyNotify)store_quarantine_free, &local);

	if (q == NULL && local == NULL)
		g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
			    "no quarantined message %" G_GINT64_FORMAT, id);
	else if (local != NULL)
		g_propagate_error(error, local);
	return q;
}

GPtrArray *
store_quarantine_list(store_t *st, const char *state, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " QUARANTINE_COLUMNS
				      " WHERE ?1 IS NULL OR q.state = ?1 ORDER BY q.id",
				      error, "s", state);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))quarantine_from_row,
			     (GDestroyNotify)store_quarantine_free, error);
}

gboolean
store_quarantine_set_state(store_t *st, gint64 id, const char *state, GError **error)
{
	return store_exec(st, "UPDATE quarantine SET state = ? WHERE id = ?", error, "si",
			  state, id);
}

/* Automatic replies */

gint64
store_auto_reply_count(store_t *st, const char *address, gint64 since, GError **error)
{
	return store_scalar(st, store_query(st,
					    "SELECT count(*) FROM auto_replies "
					    "WHERE address = ? AND at >= ?",
					    error, "si", address, since),
			    0, error);
}

gboolean
store_auto_reply_add(store_t *st, const char *address, gint64 at, GError **error)
{
	/* Keep the table small: what is older than a day no longer counts. */
	return store_exec(st, "DELETE FROM auto_replies WHERE at < ?", error, "i",
			  at - 86400) &&
	       store_exec(st, "INSERT INTO auto_replies (address, at) VALUES (?,?)", error,
			  "si", address, at);
}

/* Notices to write */

void
store_notice_free(store_notice_t *n)
{
	if (n == NULL)
		return;
	g_free(n->template_name);
	g_free(n->to_address);
	g_free(n->to_name);
	g_free(n->kind);
	g_free(n->in_reply_to);
	g_free(n->refs);
	g_free(n);
}

gboolean
store_notice_add(store_t *st, const store_notice_t *n, GError **error)
{
	return store_exec(st,
			  "INSERT INTO notices (template, ticket_id, to_address, to_name, kind, "
			  "in_reply_to, refs, automatic, at) VALUES (?,?,?,?,?,?,?,?,?)",
			  error, "sisssssii", n->template_name, n->ticket_id, n->to_address,
			  n->to_name, n->kind, n->in_reply_to, n->refs, (gint64)n->automatic,
			  n->at);
}

static store_notice_t *
notice_from_row(sqlite3_stmt *s)
{
	store_notice_t *n = g_new0(store_notice_t, 1);

	n->id = sqlite3_column_int64(s, 0);
	n->template_name = col_text(s, 1);
	n->ticket_id = sqlite3_column_int64(s, 2);
	n->to_address = col_text(s, 3);
	n->to_name = col_text(s, 4);
	n->kind = col_text(s, 5);
	n->in_reply_to = col_text(s, 6);
	n->refs = col_text(s, 7);
	n->automatic = sqlite3_column_int64(s, 8) != 0;
	n->at = sqlite3_column_int64(s, 9);
	return n;
}

GPtrArray *
store_notice_due(store_t *st, gint64 after, guint limit, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, template, ticket_id, to_address, to_name, kind, "
				      "in_reply_to, refs, automatic, at FROM notices WHERE id > ? "
				      "ORDER BY id LIMIT ?",
				      error, "ii", after, (gint64)limit);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))notice_from_row,
			     (GDestroyNotify)store_notice_free, error);
}

gint64
store_notice_take(store_t *st, gint64 id, GError **error)
{
	if (!store_exec(st, "DELETE FROM notices WHERE id = ?", error, "i", id))
		return -1;
	return sqlite3_changes(st->db);
}

gint64
store_notice_count(store_t *st, GError **error)
{
	return store_scalar(st, store_query(st, "SELECT count(*) FROM notices", error, ""), 0,
			    error);
}

/* Queues: the outbound mail and the webhook deliveries. Both tables
 * keep state (queued, sending, sent, failed), attempts, next_attempt and
 * in_doubt alike, so every statement but those on the rows' own columns is
 * the same for both, made from one template per table. */

typedef struct {
	const char *due;      /* ?1 now, ?2 include_sending, ?3 limit */
	const char *list;     /* ?1 state or NULL */
	const char *doubt;    /* ?1 id */
	const char *requeue;  /* ?1 now, ?2 id or 0 */
	const char *count;    /* ?1 state or NULL */
	gpointer (*from_row)(sqlite3_stmt *);
	GDestroyNotify free_fn;
} queue_sql_t;

#define QUEUE_SQL(table, columns, from_row, free_fn) { \
	"SELECT " columns " FROM " table " WHERE (NOT ?2 AND state = 'queued' " \
	"AND next_attempt <= ?1) OR (?2 AND state = 'sending') ORDER BY id LIMIT ?3", \
	"SELECT " columns " FROM " table " WHERE ?1 IS NULL OR state = ?1 ORDER BY id", \
	"UPDATE " table " SET in_doubt = 1 WHERE id = ?", \
	"UPDATE " table " SET state = 'queued', next_attempt = ?1, attempts = 0, " \
	"in_doubt = 0 WHERE state = 'failed' AND (?2 = 0 OR id = ?2)", \
	"SELECT count(*) FROM " table " WHERE ?1 IS NULL OR state = ?1", \
	(gpointer (*)(sqlite3_stmt *))from_row, (GDestroyNotify)free_fn }

/* Both tables end their column lists with these (QUEUE_COLUMNS), read
 * from column FIRST on into a row's fields. */
#define QUEUE_COLUMNS "state, attempts, created, next_attempt, sent_at, last_error, in_doubt"

static void
queue_from_row(sqlite3_stmt *s, int first, char **state, gint64 *attempts, gint64 *created,
	       gint64 *next_attempt, gint64 *sent_at, char **last_error, gboolean *in_doubt)
{
	*state = col_text(s, first);
	*attempts = sqlite3_column_int64(s, first + 1);
	*created = sqlite3_column_int64(s, first + 2);
	*next_attempt = sqlite3_column_int64(s, first + 3);
	*sent_at = sqlite3_column_int64(s, first + 4);
	*last_error = col_text(s, first + 5);
	*in_doubt = sqlite3_column_int(s, first + 6) != 0;
}

static GPtrArray *
queue_due(store_t *st, const queue_sql_t *q, gint64 now, gboolean include_sending,
	  guint limit, GError **error)
{
	sqlite3_stmt *s = store_query(st, q->due, error, "iii", now, (gint64)include_sending,
				      (gint64)limit);

	return store_collect(st, s, q->from_row, q->free_fn, error);
}

static GPtrArray *
queue_list(store_t *st, const queue_sql_t *q, const char *state, GError **error)
{
	return store_collect(st, store_query(st, q->list, error, "s", state), q->from_row,
			     q->free_fn, error);
}

static gint64
queue_requeue(store_t *st, const queue_sql_t *q, gint64 id, gint64 now, GError **error)
{
	if (!store_exec(st, q->requeue, error, "ii", now, id))
		return -1;
	return sqlite3_changes(st->db);
}

static gint64
queue_count(store_t *st, const queue_sql_t *q, const char *state, GError **error)
{
	GError *local = NULL;
	gint64 n = store_scalar(st, store_query(st, q->count, &local, "s", state), 0, &local);

	if (local != NULL) {
		g_propagate_error(error, local);
		return -1;
	}
	return n;
}

/* Outbound queue */

void
store_outbound_free(store_outbound_t *o)
{
	if (o == NULL)
		return;
	g_free(o->message_id);
	g_free(o->template_name);
	g_free(o->mail_from);
	g_free(o->rcpt);
	if (o->bytes != NULL)
		g_bytes_unref(o->bytes);
	g_free(o->state);
	g_free(o->last_error);
	g_free(o);
}

gint64
store_outbound_add(store_t *st, const store_outbound_t *o, GError **error)
{
	if (!store_exec(st,
			"INSERT INTO outbound (ticket_id, message_id, template, mail_from, rcpt, "
			"bytes, created, next_attempt) VALUES (?,?,?,?,?,?,?,?)",
			error, "zssssbii", o->ticket_id, o->message_id, o->template_name,
			o->mail_from, o->rcpt, o->bytes, o->created, o->created))
		return 0;
	return sqlite3_last_insert_rowid(st->db);
}

#define OUTBOUND_COLUMNS \
	"id, ticket_id, message_id, template, mail_from, rcpt, bytes, " QUEUE_COLUMNS

static store_outbound_t *
outbound_from_row(sqlite3_stmt *s)
{
	store_outbound_t *o = g_new0(store_outbound_t, 1);

	o->id = sqlite3_column_int64(s, 0);
	o->ticket_id = sqlite3_column_int64(s, 1);
	o->message_id = col_text(s, 2);
	o->template_name = col_text(s, 3);
	o->mail_from = col_text(s, 4);
	o->rcpt = col_text(s, 5);
	o->bytes = g_bytes_new(sqlite3_column_blob(s, 6), (gsize)sqlite3_column_bytes(s, 6));
	queue_from_row(s, 7, &o->state, &o->attempts, &o->created, &o->next_attempt,
		       &o->sent_at, &o->last_error, &o->in_doubt);
	return o;
}

static const queue_sql_t OUTBOUND_SQL =
	QUEUE_SQL("outbound", OUTBOUND_COLUMNS, outbound_from_row, store_outbound_free);

GPtrArray *
store_outbound_due(store_t *st, gint64 now, gboolean include_sending, guint limit,
		   GError **error)
{
	return queue_due(st, &OUTBOUND_SQL, now, include_sending, limit, error);
}

GPtrArray *
store_outbound_list(store_t *st, const char *state, GError **error)
{
	return queue_list(st, &OUTBOUND_SQL, state, error);
}

gboolean
store_outbound_mark(store_t *st, gint64 id, const char *state, gint64 attempts,
		    gint64 next_attempt, gint64 sent_at, const char *last_error,
		    GError **error)
{
	return store_exec(st,
			  "UPDATE outbound SET state = ?, attempts = ?, next_attempt = ?, "
			  "sent_at = ?, last_error = ? WHERE id = ?",
			  error, "siizsi", state, attempts, next_attempt, sent_at, last_error,
			  id);
}

gint64
store_outbound_count(store_t *st, const char *state, GError **error)
{
	return queue_count(st, &OUTBOUND_SQL, state, error);
}

gint64
store_outbound_requeue(store_t *st, gint64 id, gint64 now, GError **error)
{
	return queue_requeue(st, &OUTBOUND_SQL, id, now, error);
}

store_outbound_t *
store_outbound_by_message_id(store_t *st, const char *message_id, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT " OUTBOUND_COLUMNS " FROM outbound WHERE message_id = ?",
				      error, "s", message_id);

	return store_first(st, s, (gpointer (*)(sqlite3_stmt *))outbound_from_row,
			   (GDestroyNotify)store_outbound_free, error);
}

gboolean
store_outbound_set_doubt(store_t *st, gint64 id, GError **error)
{
	return store_exec(st, OUTBOUND_SQL.doubt, error, "i", id);
}

/* Webhook deliveries */

void
store_webhook_free(store_webhook_t *w)
{
	if (w == NULL)
		return;
	g_free(w->webhook);
	g_free(w->delivery_id);
	g_free(w->kind);
	if (w->body != NULL)
		g_bytes_unref(w->body);
	g_free(w->state);
	g_free(w->last_error);
	g_free(w);
}

gint64
store_webhook_add(store_t *st, const store_webhook_t *w, GError **error)
{
	if (!store_exec(st,
			"INSERT INTO webhook_deliveries (webhook, delivery_id, ticket_id, kind, "
			"body, created, next_attempt) VALUES (?,?,?,?,?,?,?)",
			error, "sszsbii", w->webhook, w->delivery_id, w->ticket_id, w->kind,
			w->body, w->created, w->created))
		return 0;
	return sqlite3_last_insert_rowid(st->db);
}

#define WEBHOOK_COLUMNS \
	"id, webhook, delivery_id, ticket_id, kind, body, status, " QUEUE_COLUMNS

static store_webhook_t *
webhook_from_row(sqlite3_stmt *s)
{
	store_webhook_t *w = g_new0(store_webhook_t, 1);

	w->id = sqlite3_column_int64(s, 0);
	w->webhook = col_text(s, 1);
	w->delivery_id = col_text(s, 2);
	w->ticket_id = sqlite3_column_int64(s, 3);
	w->kind = col_text(s, 4);
	w->body = g_bytes_new(sqlite3_column_blob(s, 5), (gsize)sqlite3_column_bytes(s, 5));
	w->status = sqlite3_column_int64(s, 6);
	queue_from_row(s, 7, &w->state, &w->attempts, &w->created, &w->next_attempt,
		       &w->sent_at, &w->last_error, &w->in_doubt);
	return w;
}

static const queue_sql_t WEBHOOK_SQL =
	QUEUE_SQL("webhook_deliveries", WEBHOOK_COLUMNS, webhook_from_row, store_webhook_free);

GPtrArray *
store_webhook_due(store_t *st, gint64 now, gboolean include_sending, guint limit,
		  GError **error)
{
	return queue_due(st, &WEBHOOK_SQL, now, include_sending, limit, error);
}

GPtrArray *
store_webhook_list(store_t *st, const char *state, GError **error)
{
	return queue_list(st, &WEBHOOK_SQL, state, error);
}

gboolean
store_webhook_mark(store_t *st, gint64 id, const char *state, gint64 attempts,
		   gint64 next_attempt, gint64 sent_at, gint64 status, const char *last_error,
		   GError **error)
{
	return store_exec(st,
			  "UPDATE webhook_deliveries SET state = ?, attempts = ?, "
			  "next_attempt = ?, sent_at = ?, status = ?, last_error = ? WHERE id = ?",
			  error, "siizzsi", state, attempts, next_attempt, sent_at, status,
			  last_error, id);
}

gboolean
store_webhook_set_doubt(store_t *st, gint64 id, GError **error)
{
	return store_exec(st, WEBHOOK_SQL.doubt, error, "i", id);
}

gint64
store_webhook_requeue(store_t *st, gint64 id, gint64 now, GError **error)
{
	return queue_requeue(st, &WEBHOOK_SQL, id, now, error);
}

gint64
store_webhook_count(store_t *st, const char *state, GError **error)
{
	return queue_count(st, &WEBHOOK_SQL, state, error);
}

/* Sources */

void
store_source_free(store_source_t *s)
{
	if (s == NULL)
		return;
	g_free(s->name);
	g_free(s->last_error);
	g_free(s);
}

static store_source_t *
source_from_row(sqlite3_stmt *s)
{
	store_source_t *src = g_new0(store_source_t, 1);

	src->name = col_text(s, 0);
	src->uidvalidity = sqlite3_column_int64(s, 1);
	src->last_uid = sqlite3_column_int64(s, 2);
	src->last_contact = sqlite3_column_int64(s, 3);
	src->last_error = col_text(s, 4);
	return src;
}

store_source_t *
store_source_get(store_t *st, const char *name, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT name, uidvalidity, last_uid, last_contact, last_error "
				      "FROM sources WHERE name = ?",
				      error, "s", name);

	return store_first(st, s, (gpointer (*)(sqlite3_stmt *))source_from_row,
			   (GDestroyNotify)store_source_free, error);
}

GPtrArray *
store_source_list(store_t *st, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT name, uidvalidity, last_uid, last_contact, last_error "
				      "FROM sources ORDER BY name",
				      error, "");

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))source_from_row,
			     (GDestroyNotify)store_source_free, error);
}

gboolean
store_source_update(store_t *st, const char *name, gint64 uidvalidity, gint64 last_uid,
		    gint64 now, const char *last_error, GError **error)
{
	return store_exec(st,
			  "INSERT INTO sources (name, uidvalidity, last_uid, last_contact, last_error) "
			  "VALUES (?1, CASE WHEN ?2 >= 0 THEN ?2 END, CASE WHEN ?3 >= 0 THEN ?3 END, "
			  "?4, ?5) ON CONFLICT(name) DO UPDATE SET "
			  "uidvalidity = CASE WHEN ?2 >= 0 THEN ?2 ELSE uidvalidity END, "
			  "last_uid = CASE WHEN ?3 >= 0 THEN ?3 ELSE last_uid END, "
			  "last_contact = ?4, last_error = ?5",
			  error, "siiis", name, uidvalidity, last_uid, now, last_error);
}

gboolean
store_source_uid_taken(store_t *st, const char *name, gint64 uidvalidity, gint64 uid)
{
	return store_scalar(st, store_query(st,
					    "SELECT 1 FROM source_uids WHERE source = ? AND "
					    "uidvalidity = ? AND uid = ?",
					    NULL, "sii", name, uidvalidity, uid),
			    0, NULL) == 1;
}

gboolean
store_source_uid_add(store_t *st, const char *name, gint64 uidvalidity, gint64 uid,
		     gint64 now, GError **error)
{
	return store_exec(st,
			  "INSERT OR IGNORE INTO source_uids (source, uidvalidity, uid, taken) "
			  "VALUES (?,?,?,?)",
			  error, "siii", name, uidvalidity, uid, now);
}

/* The incoming queue */

void
store_incoming_free(store_incoming_t *m)
{
	if (m == NULL)
		return;
	g_free(m->source);
	g_free(m->recipient);
	g_free(m->error);
	g_free(m);
}

char *
store_incoming_path(const char *database)
{
	gsize n = strlen(database);

	if (n > 3 && strcmp(database + n - 3, ".db") == 0)
		return g_strdup_printf("%.*s-incoming.db", (int)(n - 3), database);
	return g_strconcat(database, "-incoming", NULL);
}

store_t *
store_incoming_open(const char *database, GError **error)
{
	g_autofree char *path = store_incoming_path(database);
	g_autoptr(store_t) st = store_open(path, TRUE, error);

	/* A queue, not a record: no migrations, it is created as it is. */
	if (st == NULL || !store_script(st,
					"CREATE TABLE IF NOT EXISTS incoming ("
					"  id INTEGER PRIMARY KEY,"
					"  received INTEGER NOT NULL,"
					"  source TEXT NOT NULL,"
					"  recipient TEXT,"
					"  raw BLOB NOT NULL,"
					"  attempts INTEGER NOT NULL DEFAULT 0,"
					"  next_try INTEGER NOT NULL DEFAULT 0,"
					"  error TEXT);",
					"incoming queue", error))
		return NULL;
	return g_steal_pointer(&st);
}

gint64
store_incoming_add(store_t *st, const char *source, const char *recipient, const char *data,
		   gsize len, gint64 now, GError **error)
{
	if (!store_exec(st,
			"INSERT INTO incoming (received, source, recipient, raw) VALUES (?,?,?,?)",
			error, "issB", now, source, recipient, data, len))
		return 0;
	return sqlite3_last_insert_rowid(st->db);
}

static store_incoming_t *
incoming_from_row(sqlite3_stmt *s)
{
	store_incoming_t *m = g_new0(store_incoming_t, 1);

	m->id = sqlite3_column_int64(s, 0);
	m->received = sqlite3_column_int64(s, 1);
	m->source = col_text(s, 2);
	m->recipient = col_text(s, 3);
	m->size = sqlite3_column_int64(s, 4);
	m->attempts = sqlite3_column_int64(s, 5);
	m->error = col_text(s, 6);
	return m;
}

GPtrArray *
store_incoming_due(store_t *st, gint64 now, guint limit, GError **error)
{
	/* In id order: the scan stops after LIMIT rows due, nearly always
	 * the first ones. */
	sqlite3_stmt *s = store_query(st,
				      "SELECT id, received, source, recipient, length(raw), attempts, "
				      "error FROM incoming WHERE next_try <= ? ORDER BY id LIMIT ?",
				      error, "ii", now, (gint64)limit);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))incoming_from_row,
			     (GDestroyNotify)store_incoming_free, error);
}

GBytes *
store_incoming_raw(store_t *st, gint64 id, GError **error)
{
	sqlite3_stmt *s = store_query(st, "SELECT raw FROM incoming WHERE id = ?", error, "i", id);
	GBytes *raw;

	if (s == NULL)
		return NULL;
	if (!store_row(st, s, error)) {
		if (error == NULL || *error == NULL)
			g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND,
				    "incoming message %" G_GINT64_FORMAT " is gone", id);
		return NULL;
	}
	raw = g_bytes_new(sqlite3_column_blob(s, 0), (gsize)sqlite3_column_bytes(s, 0));
	sqlite3_reset(s);
	return raw;
}

gboolean
store_incoming_remove(store_t *st, gint64 id, GError **error)
{
	return store_exec(st, "DELETE FROM incoming WHERE id = ?", error, "i", id);
}

gboolean
store_incoming_retry(store_t *st, gint64 id, gint64 next, const char *why, GError **error)
{
	return store_exec(st,
			  "UPDATE incoming SET attempts = attempts + 1, next_try = ?, error = ? "
			  "WHERE id = ?",
			  error, "isi", next, why, id);
}

gint64
store_incoming_count(store_t *st, gint64 *failing, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT count(*), count(error) FROM incoming", error, "");
	gint64 n = -1;

	if (s == NULL)
		return -1;
	if (store_row(st, s, error)) {
		n = sqlite3_column_int64(s, 0);
		if (failing != NULL)
			*failing = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
	}
	return n;
}

/* The round-robin queues */

void
store_queue_entry_free(store_queue_entry_t *e)
{
	if (e == NULL)
		return;
	g_free(e->address);
	g_free(e);
}

static store_queue_entry_t *
member_queue_from_row(sqlite3_stmt *s)
{
	store_queue_entry_t *e = g_new0(store_queue_entry_t, 1);

	e->address = col_text(s, 0);
	e->pos = sqlite3_column_int64(s, 1);
	return e;
}

GPtrArray *
store_queue_list(store_t *st, const char *group, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT address, pos FROM member_queue WHERE grp = ? "
				      "ORDER BY pos, address",
				      error, "s", group);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))member_queue_from_row,
			     (GDestroyNotify)store_queue_entry_free, error);
}

gboolean
store_queue_to_back(store_t *st, const char *group, const char *address, GError **error)
{
	return store_exec(st,
			  "INSERT INTO member_queue (grp, address, pos) VALUES (?1, ?2, "
			  "  (SELECT coalesce(max(pos), 0) + 1 FROM member_queue WHERE grp = ?1)) "
			  "ON CONFLICT (grp, address) DO UPDATE SET pos = excluded.pos",
			  error, "ss", group, address);
}

gboolean
store_queue_add(store_t *st, const char *group, const char *address, GError **error)
{
	return store_exec(st,
			  "INSERT OR IGNORE INTO member_queue (grp, address, pos) VALUES (?1, ?2, "
			  "  (SELECT coalesce(max(pos), 0) + 1 FROM member_queue WHERE grp = ?1))",
			  error, "ss", group, address);
}

/* Offers */

void
store_offer_free(store_offer_t *o)
{
	if (o == NULL)
		return;
	g_free(o->member);
	g_free(o->state);
	g_free(o->reason);
	g_free(o);
}

static store_offer_t *
offer_from_row(sqlite3_stmt *s)
{
	store_offer_t *o = g_new0(store_offer_t, 1);

	o->ticket_id = sqlite3_column_int64(s, 0);
	o->member = col_text(s, 1);
	o->at = sqlite3_column_int64(s, 2);
	o->state = col_text(s, 3);
	o->reason = col_text(s, 4);
	return o;
}

gboolean
store_offer_add(store_t *st, gint64 ticket, const char *member, gint64 at, GError **error)
{
	return store_exec(st,
			  "INSERT INTO offers (ticket_id, member, at, state) VALUES (?,?,?,'offered')",
			  error, "isi", ticket, member, at);
}

gboolean
store_offer_set(store_t *st, gint64 ticket, const char *member, gint64 at,
		const char *state, const char *reason, GError **error)
{
	return store_exec(st,
			  "INSERT INTO offers (ticket_id, member, at, state, reason) "
			  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ticket_id, member) "
			  "DO UPDATE SET state = ?4, reason = ?5",
			  error, "isiss", ticket, member, at, state, reason);
}

GPtrArray *
store_offer_list(store_t *st, gint64 ticket, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT ticket_id, member, at, state, reason FROM offers "
				      "WHERE ticket_id = ? ORDER BY at, rowid",
				      error, "i", ticket);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))offer_from_row,
			     (GDestroyNotify)store_offer_free, error);
}

GPtrArray *
store_offer_pending(store_t *st, gint64 before, GError **error)
{
	sqlite3_stmt *s = store_query(st,
				      "SELECT ticket_id, member, at, state, reason FROM offers "
				      "WHERE state = 'offered' AND at < ? ORDER BY at, rowid",
				      error, "i", before);

	return store_collect(st, s, (gpointer (*)(sqlite3_stmt *))offer_from_row,
			     (GDestroyNotify)store_offer_free, error);
}

/* Digests */

gint64
store_digest_sent(store_t *st, const char *member, const char *kind, const char *period,
		  GError **error)
{
	return store_count(st,
			   store_query(st,
				       "SELECT count(*) FROM digest_sent WHERE member = ? "
				       "AND kind = ? AND period = ?",
				       error, "sss", member, kind, period),
			   error);
}

gboolean
store_digest_mark(store_t *st, const char *member, const char *kind, const char *period,
		  gint64 at, GError **error)
{
	return store_exec(st,
			  "INSERT OR IGNORE INTO digest_sent (member, kind, period, at) "
			  "VALUES (?,?,?,?)",
			  error, "sssi", member, kind, period, at);
}

/* Members away */

gint64
store_member_away_until(store_t *st, const char *address, GError **error)
{
	return store_scalar(st,
			    store_query(st, "SELECT away_until FROM members WHERE address = ?",
					error, "s", address),
			    0, error);
}

gboolean
store_member_set_away(store_t *st, const char *address, gint64 until, GError **error)
{
	return store_exec(st,
			  "INSERT INTO members (address, away_until) VALUES (?1, ?2) "
			  "ON CONFLICT (address) DO UPDATE SET away_until = ?2",
			  error, "sz", address, until);
}
