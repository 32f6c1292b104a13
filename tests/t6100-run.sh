#!/bin/bash
# t6100: postdesk run against a real Dovecot: messages present before the
# start and appended while it idles become tickets, land in Processed,
# acks go out; status shows the account; SIGHUP with a broken config keeps
# the old one; SIGTERM exits 0; a restart resumes without duplicates;
# SIGKILL at every step loses nothing and doubles nothing; a wrong
# password is retried with backoff, not hammered.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
test_require test -x /usr/sbin/dovecot
test_require test "$(id -u)" = 0

start_dovecot
setup_gateway
printf secret >imap-password && chmod 600 imap-password
echo "group = community" | imap_account_conf >>postdesk.conf

msg() {  # msg N: a customer mail in mN.eml
	printf "From: Cust %s <cust%s@example.com>\nTo: support@example.org\nSubject: Question %s\nMessage-ID: <imap-%s@example.com>\n\nPlease help with %s.\n" "$1" "$1" "$1" "$1" "$1" >"m$1.eml"
}
inbound() { sqlite3 var/postdesk.db "select count(*) from messages where direction='in'"; }
for i in 1 2 3; do msg $i; imap_append "m$i.eml"; done

test_expect_success 'run --once takes what is there, moves it to Processed, queues acks' '
	pd run --once 2>err &&
	test "$(sqlite3 var/postdesk.db "select count(*) from tickets")" = 3 &&
	test "$(imap_count INBOX)" = 0 && test "$(imap_count Processed)" = 3 &&
	pd ticket show 1 --json >t.json && test "$(json_get t.json "d[\"group\"]")" = community &&
	test "$(ls var/outbox/new | wc -l)" = 3
'

test_expect_success 'status shows the account, its last UID and the queue' '
	pd status >out && test_grep "account hosted .*last UID 3 " out &&
	test_grep "queue: 0 queued" out &&
	pd status --json >s.json && test "$(json_get s.json "d[\"accounts\"][0][\"last_uid\"]")" = 3
'

"$POSTDESK" -c "$T/postdesk.conf" run 2>run.log & RUN=$!   # its own pid (pd is a function)
PIDS="$PIDS $RUN"
test_expect_success 'the daemon takes mail appended while it idles' '
	for _ in $(seq 1 $((200 * TIME_SCALE))); do grep -q connected run.log && break; sleep 0.05; done &&
	msg 4 && start=$(date +%s%N) && imap_append m4.eml &&
	for _ in $(seq 1 $((300 * TIME_SCALE))); do test "$(inbound)" = 4 && break; sleep 0.01; done &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) && echo "APPEND to stored ticket: $ms ms" &&
	test "$(inbound)" = 4 && test $ms -lt $((3000 * TIME_SCALE)) &&
	for _ in $(seq 1 $((100 * TIME_SCALE))); do test "$(imap_count Processed)" = 4 && break; sleep 0.05; done &&
	test "$(imap_count Processed)" = 4
'
test_expect_success 'SIGHUP with a broken config keeps the old one running' '
	cp postdesk.conf good.conf && echo "[frob]" >>postdesk.conf && kill -HUP $RUN &&
	for _ in $(seq 1 $((100 * TIME_SCALE))); do grep -q "keeping the running" run.log && break; sleep 0.05; done &&
	test_grep "keeping the running configuration" run.log && cp good.conf postdesk.conf &&
	msg 5 && imap_append m5.eml &&
	for _ in $(seq 1 $((200 * TIME_SCALE))); do test "$(imap_count Processed)" = 5 && break; sleep 0.05; done &&
	test "$(imap_count Processed)" = 5
'
# Dovecot goes away while the daemon idles and comes back on the same port.
test_expect_success 'backup while the daemon runs is consistent' '
	pd backup "$T/live.db" >out &&
	test "$(sqlite3 "$T/live.db" "PRAGMA integrity_check")" = ok &&
	test "$(sqlite3 "$T/live.db" "select count(*) from tickets")" -ge 5
'
DOVECOT_IMAP_PORT=$IMAP_PORT DOVECOT_IMAPS_PORT=$IMAPS_PORT
export DOVECOT_IMAP_PORT DOVECOT_IMAPS_PORT
# Stopping the master leaves a running imap process for a while: kick the
# session too, so the daemon sees the server go away.
doveadm -c "$T/dc/dovecot.conf" kick support >/dev/null 2>&1
stop_dovecot
sleep 1
start_dovecot
test_expect_success 'Dovecot restarted under the idling daemon: nothing lost, nothing doubled' '
	for i in 21 22; do msg $i; imap_append m$i.eml; done &&
	for _ in $(seq 1 $((300 * TIME_SCALE))); do test "$(imap_count Processed)" = 7 && break; sleep 0.1; done &&
	test "$(imap_count Processed)" = 7 && test "$(imap_count INBOX)" = 0 &&
	test "$(inbound)" = 7 &&
	test "$(sqlite3 var/postdesk.db "select count(distinct message_id) from messages where direction=\"in\"")" = 7 &&
	test_grep "trying again in" run.log
'
test_expect_success 'a message that cannot become a ticket goes to the Quarantine folder' '
	head -c 3000 /dev/urandom >junk.eml && imap_append junk.eml &&
	for _ in $(seq 1 $((300 * TIME_SCALE))); do test "$(imap_count Quarantine)" = 1 && break; sleep 0.05; done &&
	test "$(imap_count Quarantine)" = 1 && test "$(imap_count INBOX)" = 0
'

kill -TERM $RUN; wait $RUN; run_rc=$?   # at the top level: the daemon is our child
test_expect_success 'SIGTERM: the daemon exits 0' '
	test $run_rc = 0 && test_grep "run: stopped" run.log
'

test_expect_success 'restart resumes: nothing taken twice' '
	msg 6 && imap_append m6.eml && pd run --once 2>err &&
	test "$(sqlite3 var/postdesk.db "select count(*) from tickets")" = 8 && test "$(inbound)" = 8
'

test_expect_success 'SIGKILL after the commit, before the move: moved on restart, not doubled' '
	msg 7 && imap_append m7.eml &&
	{ POSTDESK_CRASH_AT=run-committed pd run --once 2>crash.log; true; } &&
	test_grep "crash point .*run-committed" crash.log &&
	test "$(imap_count INBOX)" = 1 && test "$(inbound)" = 9 &&
	pd run --once 2>err &&
	test "$(inbound)" = 9 && test "$(imap_count INBOX)" = 0 && test "$(imap_count Processed)" = 9
'

test_expect_success 'SIGKILL at every step of taking six messages: each stored exactly once' '
	for i in 8 9 10 11 12 13; do msg $i; imap_append m$i.eml; done &&
	for at in $(seq 1 40); do
		POSTDESK_CRASH_AT=$at pd run --once >/dev/null 2>&1
	done &&
	pd run --once 2>err &&
	test "$(inbound)" = 15 &&
	test "$(sqlite3 var/postdesk.db "select count(distinct message_id) from messages where direction=\"in\"")" = 15 &&
	test "$(imap_count INBOX)" = 0 && test "$(imap_count Processed)" = 15
'

test_expect_success 'a backlog of 450 (batches taken while the next is fetched): each once, a broken one in quarantine' '
	head -c 3000 /dev/urandom >junk2.eml &&
	"$PYTHON3" - "$IMAP_PORT" <<-\PY &&
	import imaplib, sys
	m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1])); m.login("support", "secret")
	for i in range(450):
	    # A domain each: the flood limit is not what this tests.
	    m.append("INBOX", None, None, (f"From: C{i} <c{i}@b{i}.example.com>\r\nTo: support@example.org\r\n"
	             f"Subject: Backlog {i}\r\nMessage-ID: <backlog-{i}@example.com>\r\n\r\nHelp {i}.\r\n").encode())
	    if i == 300:
	        m.append("INBOX", None, None, open("junk2.eml", "rb").read())
	m.logout()
	PY
	pd run --once 2>err &&
	test "$(sqlite3 var/postdesk.db "select count(distinct message_id) from messages where message_id like \"backlog-%\"")" = 450 &&
	test "$(inbound)" = 465 && test "$(imap_count INBOX)" = 0 &&
	test "$(imap_count Processed)" = 465 && test "$(imap_count Quarantine)" = 2
'

test_expect_success 'a wrong password: a clear error, backoff instead of hammering' '
	printf wrong >imap-password || exit 1
	"$POSTDESK" -c "$T/postdesk.conf" run 2>bad.log & pid=$!
	# Four seconds from the first refusal (which the daemon, under
	# valgrind, reaches only after seconds of its own).
	for _ in $(seq $((40 * TIME_SCALE))); do
		grep -q "login refused" bad.log && break
		sleep 0.1
	done
	sleep 4; kill -TERM $pid; wait $pid &&
	test_grep "login refused" bad.log &&
	n=$(grep -c "login refused" bad.log) && echo "login attempts in 4 s: $n" && test "$n" -le 4 &&
	pd status >out && test_grep "error: .*login refused" out &&
	printf secret >imap-password
'

stop_dovecot
test_expect_code 75 'the server down: run --once says so and exits 75' '
	pd run --once 2>err; rc=$?; test_grep "hosted" err >&2; exit $rc
'
test_done
