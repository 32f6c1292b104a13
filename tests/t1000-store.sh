#!/bin/bash
# t1000: the store: init is idempotent, WAL mode, schema version, backup.
. "$(dirname "$0")/lib.sh"

test_expect_success 'init creates database, spool and secret' '
	write_config </dev/null && pd init >out &&
	test_grep "created (schema version" out &&
	test -f var/postdesk.db && test -d var/outbox/new && test -d var/outbox/tmp &&
	test -f secret && test "$(stat -c %a secret)" = 600
'
test_expect_success 'init twice: the schema is current, nothing changes' '
	sqlite3 var/postdesk.db .dump >before &&
	cp secret secret.before &&
	pd init >out && test_grep "schema is current" out &&
	sqlite3 var/postdesk.db .dump >after &&
	test_cmp before after && cmp secret secret.before
'
test_expect_success 'journal mode is WAL, foreign keys declared' '
	test "$(sqlite3 var/postdesk.db "PRAGMA journal_mode")" = wal &&
	test "$(sqlite3 var/postdesk.db "PRAGMA user_version")" -ge 1
'
test_expect_success 'the tables of the design exist, FTS5 too' '
	for t in tickets messages message_ids participants members groups events outbound sources source_uids quarantine raw attachments messages_fts; do
		sqlite3 var/postdesk.db "SELECT count(*) FROM $t" >/dev/null || exit 1
	done
'
test_expect_code 78 'a command on a database that was not initialised' '
	sed -i "s|database = var/postdesk.db|database = var/other.db|" postdesk.conf &&
	pd ticket list 2>err; rc=$?; test_grep "run postdesk init" err; exit $rc
'
test_expect_code 78 'a database newer than this build is refused' '
	sed -i "s|database = var/other.db|database = var/postdesk.db|" postdesk.conf &&
	cp var/postdesk.db var/saved.db &&
	sqlite3 var/postdesk.db "PRAGMA user_version=999" &&
	pd init 2>err; rc=$?; cp var/saved.db var/postdesk.db; rm -f var/postdesk.db-wal var/postdesk.db-shm; test_grep "newer than this postdesk" err; exit $rc
'
test_expect_success 'backup writes a consistent copy' '
	pd backup "$T/copy.db" >out &&
	test "$(sqlite3 "$T/copy.db" "PRAGMA user_version")" = "$(sqlite3 var/postdesk.db "PRAGMA user_version")" &&
	test "$(sqlite3 "$T/copy.db" "PRAGMA integrity_check")" = ok
'
test_expect_success 'ticket list on an empty store prints nothing, JSON []' '
	pd ticket list >out && ! test -s out &&
	pd ticket list --json >out.json && test "$(cat out.json)" = "[]"
'
test_done
