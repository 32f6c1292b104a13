#!/bin/bash
# t6000: the IMAP client (src/imap.c) against a private Dovecot, through
# pd-test imap-fetch and imap-wait: fetch with exact sizes and without
# setting \Seen, batches, moving to the processed folder (created on first
# use; MOVE, or COPY + EXPUNGE on a server without MOVE), keep-and-flag,
# implicit TLS and STARTTLS with our own certificate check, a wrong
# password, IDLE (and its latency), polling, the wakeup fd, and a server
# that goes away. What Dovecot saw comes from its rawlog.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"

test_require test "$(id -u)" = 0
test_require "${DOVECOT:-/usr/sbin/dovecot}" --version
test_require openssl version

# Three messages with CRLF line ends, so their size on the server is
# their size here.
crlf() { sed 's/$/\r/' >"$1"; }
crlf "$T/m1.eml" <<'EOF'
From: Alice <alice@example.com>
To: support@example.org
Subject: first
Message-ID: <t6000.1@example.com>

one
EOF
crlf "$T/m2.eml" <<'EOF'
From: Bob <bob@example.com>
To: support@example.org
Subject: second, a little longer
Message-ID: <t6000.2@example.com>

two
and more
EOF
crlf "$T/m3.eml" <<'EOF'
From: Carol <carol@example.com>
To: support@example.org
Subject: third
Message-ID: <t6000.3@example.com>

three
EOF
size() { wc -c <"$1" | tr -d ' '; }

start_dovecot || exit 1

printf 'secret\n' >"$T/imap-password"
printf 'not-the-password\n' >"$T/wrong-password"
chmod 600 "$T/imap-password" "$T/wrong-password"

# One account per way of connecting; 127.0.0.2 is the poorer server
# (no IDLE, no MOVE).
write_config <<CONF

[imap:plain]
url = imap://127.0.0.1:$IMAP_PORT/INBOX
user = support
password_file = imap-password
tls = none
processed = Processed

[imap:keep]
url = imap://127.0.0.1:$IMAP_PORT
user = support
password_file = imap-password
tls = none

[imap:imaps]
url = imaps://127.0.0.1:$IMAPS_PORT/INBOX
user = support
password_file = imap-password

[imap:starttls]
url = imap://127.0.0.1:$IMAP_PORT/INBOX
user = support
password_file = imap-password

[imap:byname]
url = imaps://localhost:$IMAPS_PORT/INBOX
user = support
password_file = imap-password

[imap:wrong]
url = imap://127.0.0.1:$IMAP_PORT/INBOX
user = support
password_file = wrong-password
tls = none

[imap:poor]
url = imap://127.0.0.2:$IMAP_PORT/INBOX
user = support
password_file = imap-password
tls = none
processed = Done
CONF

fetch() { "$PD_TEST" imap-fetch "$T/postdesk.conf" "$@"; }
wait_cmd() { "$PD_TEST" imap-wait "$T/postdesk.conf" "$@"; }
# The uidvalidity is the server's choice.
mask() { sed 's/^uidvalidity [0-9]* /uidvalidity V /'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Wait (up to 5 s) until FILE has a line "waiting".
await_waiting() {
	for _ in $(seq 1 250); do
		grep -q '^waiting$' "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "no 'waiting' in $1"; cat "$1"; return 1
}

imap_append "$T/m1.eml" && imap_append "$T/m2.eml" || exit 1

test_expect_success 'plain: two messages with their exact sizes' '
	fetch plain >out 2>err &&
	mask <out >actual &&
	cat >expected <<-EOF &&
	uidvalidity V uidnext 3
	uid 1 size $(size "$T/m1.eml")
	uid 2 size $(size "$T/m2.eml")
	EOF
	test_cmp expected actual
'
test_expect_success 'the server saw BODY.PEEK[]; nothing got \Seen' '
	imap_rawlog >raw &&
	test_grep " UID FETCH 1:2 (UID BODY.PEEK\[\])" raw &&
	imap_flags INBOX >flags &&
	test_grep -v "Seen" flags
'
test_expect_success 'a backlog comes in batches; the N:* quirk is dropped' '
	imap_append "$T/m3.eml" &&
	imap_rawlog_clear &&
	fetch plain >out &&
	test_grep "^uid 3 size $(size "$T/m3.eml")$" out &&
	imap_rawlog >raw &&
	test_grep " UID FETCH 1:2 (UID BODY.PEEK\[\])" raw &&
	test_grep " UID FETCH 3 (UID BODY.PEEK\[\])" raw &&
	test_grep " UID FETCH 4:\* (UID RFC822.SIZE)" raw &&
	test "$(grep -c "^uid " out)" = 3
'
test_expect_success 'a batch also ends before its byte cap, with one message at least' '
	imap_rawlog_clear &&
	PD_TEST_BATCH_BYTES=1 fetch plain >out &&
	test "$(grep -c "^uid " out)" = 3 &&
	imap_rawlog >raw &&
	test_grep " UID FETCH 1 (UID BODY.PEEK\[\])" raw &&
	test_grep " UID FETCH 2 (UID BODY.PEEK\[\])" raw &&
	test_grep " UID FETCH 3 (UID BODY.PEEK\[\])" raw &&
	imap_rawlog_clear &&
	PD_TEST_BATCH_BYTES=$(($(size "$T/m1.eml") + $(size "$T/m2.eml"))) fetch plain >out &&
	test "$(grep -c "^uid " out)" = 3 &&
	imap_rawlog >raw && test_grep " UID FETCH 1:2 (UID BODY.PEEK\[\])" raw
'
test_expect_success '--done moves them to Processed, created on first use' '
	imap_rawlog_clear &&
	fetch plain --done >out 2>err &&
	test "$(grep -c "^done " out)" = 3 &&
	test "$(imap_count Processed)" = 3 &&
	test "$(imap_count INBOX)" = 0 &&
	imap_rawlog >raw &&
	test_grep " UID MOVE 1 Processed" raw &&
	test_grep " CREATE Processed" raw &&
	test "$(grep -c " CREATE " raw)" = 1 &&
	test_grep "created folder Processed" err
'
test_expect_success 'an empty mailbox: no messages, no error' '
	fetch plain >out &&
	mask <out >actual &&
	echo "uidvalidity V uidnext 4" >expected &&
	test_cmp expected actual
'
test_expect_success 'keep-and-flag (no processed folder): \Seen, left in INBOX' '
	imap_append "$T/m1.eml" &&
	fetch keep --done >out &&
	test_grep "^done 4$" out &&
	test "$(imap_count INBOX)" = 1 &&
	imap_flags INBOX >flags &&
	test_grep "Seen" flags
'
test_expect_success 'without MOVE: UID COPY, \Deleted, UID EXPUNGE' '
	imap_rawlog_clear &&
	fetch poor --done >out 2>err &&
	test_grep "^done 4$" out &&
	test "$(imap_count INBOX)" = 0 &&
	test "$(imap_count Done)" = 1 &&
	imap_rawlog >raw &&
	test_grep " UID COPY 4 Done" raw &&
	test_grep " UID STORE 4 +FLAGS.SILENT (.Deleted)" raw &&
	test_grep " UID EXPUNGE 4" raw &&
	test_grep -v " MOVE " raw
'

imap_append "$T/m2.eml" || exit 1

test_expect_success 'IMAPS with the test CA: works' '
	POSTDESK_CA_FILE=$DOVECOT_CA fetch imaps >out &&
	test_grep "^uid 5 size $(size "$T/m2.eml")$" out
'
test_expect_success 'STARTTLS with the test CA: works' '
	imap_rawlog_clear &&
	POSTDESK_CA_FILE=$DOVECOT_CA fetch starttls >out &&
	test_grep "^uid 5 size $(size "$T/m2.eml")$" out &&
	test_grep "Login: user=<support>, method=PLAIN, .*, TLS" "$DOVECOT_LOG"
'
logins() { grep -c "Login: user=<support>" "$DOVECOT_LOG"; }
test_expect_code 1 'IMAPS without the CA: certificate not trusted, no LOGIN sent' '
	before=$(logins) &&
	fetch imaps >out;
	rc=$? && cat out &&
	test_grep "^error (config): imap imaps: certificate of 127.0.0.1 not trusted: .*issuer is unknown" out &&
	test "$(logins)" = "$before" &&
	exit $rc
'
test_expect_code 1 'STARTTLS without the CA: certificate not trusted, no LOGIN sent' '
	before=$(logins) &&
	fetch starttls >out;
	rc=$? && cat out &&
	test_grep "^error (config): imap starttls: certificate of 127.0.0.1 not trusted" out &&
	test "$(logins)" = "$before" &&
	exit $rc
'
test_expect_code 1 'a trusted certificate for another name is refused' '
	POSTDESK_CA_FILE=$DOVECOT_CA fetch byname >out;
	rc=$? && cat out &&
	test_grep "^error (config): imap byname: certificate of localhost not trusted: it is issued for another name" out &&
	exit $rc
'
test_expect_code 1 'a password file others can read is refused' '
	chmod 644 "$T/wrong-password" &&
	fetch wrong >out;
	rc=$? && cat out && chmod 600 "$T/wrong-password" &&
	test_grep "^error (config): imap wrong: password_file .* must not be accessible" out &&
	exit $rc
'

test_expect_success 'IDLE wakes up within a second of an APPEND' '
	wait_cmd plain 10000 >out 2>err &
	pid=$! &&
	await_waiting out &&
	sleep 0.3 &&
	imap_append "$T/m3.eml" &&
	t0=$(now_ms) &&
	wait $pid &&
	t1=$(now_ms) &&
	test "$(tail -n 1 out)" = news &&
	echo "# IDLE woke $((t1 - t0)) ms after the APPEND completed" >&3 &&
	test $((t1 - t0)) -lt 1500
' 3>&1
test_expect_success 'the server saw IDLE and DONE' '
	imap_rawlog >raw &&
	test_grep "^[0-9.]* [0-9]* IDLE" raw &&
	test_grep "^[0-9.]* DONE" raw
'
# stalled OPTION FILE: pd-test imap-wait OPTION stalls before it waits;
# FILE is appended meanwhile. Prints the ms from the APPEND to the answer
# (the last line of out).
stalled() {
	rm -f fifo && mkfifo fifo &&
	{ wait_cmd plain 10000 "$1" <fifo >out 2>err & } &&
	local pid=$! t0 &&
	exec 4>fifo &&
	await_waiting out &&
	imap_append "$2" &&
	t0=$(now_ms) &&
	echo go >&4 && exec 4>&- &&
	wait $pid &&
	echo $(($(now_ms) - t0))
}
test_expect_success 'news from before the IDLE: returns at once' '
	ms=$(stalled --stall "$T/m1.eml") &&
	test "$(tail -n 1 out)" = news &&
	echo "# news from before the IDLE: $ms ms" >&3 &&
	test "$ms" -lt 1500
' 3>&1
test_expect_success 'news that came with the answer to a FETCH: returns at once, without IDLE' '
	imap_rawlog_clear &&
	ms=$(stalled --stall-fetch "$T/m2.eml") &&
	test "$(tail -n 1 out)" = news &&
	echo "# news with a FETCH answer: $ms ms" >&3 &&
	test "$ms" -lt 1500 &&
	# Dovecot may also say RECENT after "+ idling"; the EXISTS alone must do.
	imap_rawlog >raw && test_grep "UID FETCH 1000000:" raw && ! grep -q "^[0-9.]* [0-9]* IDLE" raw
' 3>&1
test_expect_success 'IDLE with nothing new: returns after the timeout' '
	t0=$(now_ms) &&
	wait_cmd plain 400 >out &&
	t1=$(now_ms) &&
	test "$(tail -n 1 out)" = timeout &&
	test $((t1 - t0)) -ge 400
'
test_expect_success 'the wakeup fd ends the wait early' '
	t0=$(now_ms) &&
	(sleep 0.3; echo wake) | wait_cmd plain 10000 --wakeup >out &&
	t1=$(now_ms) &&
	test "$(tail -n 1 out)" = wakeup &&
	test $((t1 - t0)) -lt 5000
'
# A 4 s interval: on a loaded machine the APPEND can come more than a
# second after "waiting", and would then be news only for the next poll.
test_expect_success 'without IDLE: poll, NOOP, news after the interval' '
	wait_cmd poor 4000 >out 2>err &
	pid=$! &&
	await_waiting out &&
	imap_append "$T/m1.eml" &&
	wait $pid &&
	test "$(tail -n 1 out)" = news &&
	imap_rawlog >raw &&
	test_grep " NOOP" raw
'

test_expect_success 'the server drops the connection during IDLE: a temporary error' '
	wait_cmd plain 20000 >out 2>err &
	pid=$! &&
	await_waiting out &&
	sleep 0.2 &&
	doveadm -c "$T/dc/dovecot.conf" kick support >/dev/null &&
	{ wait $pid; rc=$?; } &&
	cat out &&
	test "$rc" = 1 &&
	test_grep "^error (temp): imap plain: IDLE: connection to 127.0.0.1:$IMAP_PORT lost" out
'

# Last before the end: Dovecot delays the next logins from an IP after a
# failed one.
test_expect_code 1 'a wrong password: login refused, with the server text' '
	fetch wrong >out;
	rc=$? && cat out &&
	test_grep "^error (config): imap wrong: login refused for support: Authentication failed" out &&
	test_grep -v "not-the-password" out &&
	exit $rc
'

stop_dovecot

test_expect_code 1 'the server is down: a temporary error' '
	fetch plain >out;
	rc=$? && cat out &&
	test_grep "^error (temp): imap plain: cannot connect to 127.0.0.1:$IMAP_PORT" out &&
	exit $rc
'

test_done
