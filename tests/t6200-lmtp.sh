#!/bin/bash
# t6200: LMTP in postdesk run, with Python's smtplib.LMTP as the client:
# 250 per recipient after the commit to the incoming queue, one ticket for
# several of our addresses, 550 for strangers, 451 while the queue is
# locked (the MTA keeps the mail), mail taken while the main database is
# busy, and a SIGKILL mid-session loses nothing that was answered 250.
. "$(dirname "$0")/lib.sh"
test_require "$PYTHON3" -c 'import smtplib'

setup_gateway
echo "[lmtp]" >>postdesk.conf
echo "listen = unix:var/lmtp.sock" >>postdesk.conf

lmtp() {  # lmtp RCPTS FILE...: send each FILE, print the replies per recipient
	"$PYTHON3" -u - "$T/var/lmtp.sock" "$@" <<'PY'
import smtplib, sys, time
sock, rcpts, files = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
for attempt in range(600):  # a daemon just started may not listen yet
    try:
        c = smtplib.LMTP(sock)
        break
    except (ConnectionRefusedError, FileNotFoundError):
        time.sleep(0.05)
else:
    c = smtplib.LMTP(sock)
for f in files:
    data = open(f, "rb").read()
    try:
        refused = c.sendmail("sender@example.com", rcpts, data)
        print("accepted", " ".join(r for r in rcpts if r not in refused))
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", " ".join("%s:%d" % (r, v[0]) for r, v in e.recipients.items()))
    except smtplib.SMTPDataError as e:
        print("data-error", e.smtp_code)
c.quit()
PY
}
# settled: wait until the daemon has taken the incoming queue.
settled() {
	for _ in $(seq 1 $((600 * TIME_SCALE))); do
		test "$(sqlite3 var/postdesk-incoming.db "select count(*) from incoming")" = 0 && return 0
		sleep 0.05
	done
	echo "incoming queue not taken"; return 1
}
stored() { sqlite3 var/postdesk.db "select count(*) from messages where message_id=\"$1\""; }
# One domain per customer: the flood limit (100 new tickets a domain an
# hour) is not what this script tests.
mail() { printf "From: Lou <lou%s@d%s.example.com>\nTo: support@example.org\nSubject: LMTP %s\nMessage-ID: <lmtp-%s@example.com>\n\nhello\n" "$1" "$1" "$1" "$1" >"l$1.eml"; }

"$POSTDESK" -c "$T/postdesk.conf" run 2>run.log & RUN=$!
PIDS="$PIDS $RUN"
for _ in $(seq 1 600); do test -S var/lmtp.sock && break; sleep 0.05; done

test_expect_success 'a message to two of our addresses: one ticket, 250 for each' '
	mail 1 && lmtp support@example.org,core@example.org l1.eml >out &&
	test "$(cat out)" = "accepted support@example.org core@example.org" &&
	settled && test "$(sqlite3 var/postdesk.db "select count(*) from tickets")" = 1 &&
	test_grep "lmtp: ticket 1 (new) <lmtp-1@example.com>" run.log
'
test_expect_success 'a reply address with a +detail is ours' '
	mail 2 && lmtp "support+1-abcdefghij@example.org" l2.eml >out && test_grep accepted out
'
test_expect_success 'a stranger is refused at RCPT with 550' '
	mail 3 && lmtp someone@elsewhere.example l3.eml >out && test_grep "refused someone@elsewhere.example:550" out
'
test_expect_success 'dot-stuffed lines come back unstuffed; raw bytes kept' '
	printf "From: dot@example.com\r\nTo: support@example.org\r\nSubject: dots\r\nMessage-ID: <dots@example.com>\r\n\r\n.leading dot\r\n..two\r\n" >dots.eml &&
	lmtp support@example.org dots.eml >out && test_grep accepted out && settled &&
	id=$(sqlite3 var/postdesk.db "select id from messages where message_id=\"dots@example.com\"") &&
	pd message raw "$id" >back && cmp back dots.eml
'
test_expect_success 'incoming queue locked: 451, the mail is not taken; later it is' '
	lock_database 7 var/postdesk-incoming.db
	mail 4 && lmtp support@example.org l4.eml >out; unlock_database
	test_grep "data-error 451\|refused support@example.org:451" out &&
	settled && test "$(stored lmtp-4@example.com)" = 0 &&
	lmtp support@example.org l4.eml >out && test_grep accepted out &&
	settled && test "$(stored lmtp-4@example.com)" = 1
'
test_expect_success 'main database busy: the mail is answered 250 at once, a ticket once it is free' '
	lock_database 3
	mail 6 && lmtp support@example.org l6.eml >out &&
	test_grep accepted out && test "$(stored lmtp-6@example.com)" = 0 &&
	kill -0 $LOCK_PID && wait $LOCK_PID &&
	settled && test "$(stored lmtp-6@example.com)" = 1 &&
	pd status >st && test_grep "incoming: 0 waiting, 0 failing" st
'
test_expect_success 'many messages over one session' '
	for i in $(seq 100 149); do mail $i; done &&
	lmtp support@example.org $(for i in $(seq 100 149); do echo l$i.eml; done) >out &&
	test "$(grep -c accepted out)" = 50 && settled &&
	test "$(sqlite3 var/postdesk.db "select count(*) from messages where message_id like \"lmtp-1__@example.com\"")" = 50
'
test_expect_success 'at most 32 sessions at once: the 33rd is told 421, and they all end' '
	"$PYTHON3" - "$T/var/lmtp.sock" <<-\PY >out &&
	import socket, sys
	def greet():
	    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(30)
	    return s, s.recv(200).decode()
	held = [greet() for _ in range(32)]
	print("held", sum(g.startswith("220") for _, g in held))
	extra, g = greet(); print("extra", g.split()[0])
	for s, _ in held: s.sendall(b"QUIT\r\n"); s.recv(200); s.close()
	PY
	test_grep "held 32" out && test_grep "extra 421" out &&
	mail 5 && lmtp support@example.org l5.eml >out && test_grep accepted out
'
test_expect_success 'SIGKILL mid-session: every message answered 250 is stored' '
	for i in $(seq 200 399); do mail $i; done &&
	# A file of its own: polling one that still holds the answers of an
	# earlier case would kill the daemon before this session even began.
	{ lmtp support@example.org $(for i in $(seq 200 399); do echo l$i.eml; done) >killed.out 2>&1 & client=$!; } &&
	# Kill once part of the session is answered, however busy the machine.
	for _ in $(seq 1 1200); do
		test "$(grep -c "^accepted" killed.out 2>/dev/null)" -ge 20 && break; sleep 0.05
	done
	kill -9 $RUN; wait $client
	n=$(grep -c "^accepted" killed.out); echo "answered 250 before the kill: $n of 200" &&
	{ test "$n" -gt 0 || { head -n 20 killed.out; tail -n 20 run.log; false; }; }
'

# A daemon started again after that kill takes mail again, and SIGTERM
# stops it cleanly. The killed one left its socket file: remove it, so the
# wait below is for the new daemon's socket, not the stale one.
rm -f var/lmtp.sock
"$POSTDESK" -c "$T/postdesk.conf" run 2>run2.log & RUN=$!
PIDS="$PIDS $RUN"
for _ in $(seq 1 600); do test -S var/lmtp.sock && break; sleep 0.05; done
test_expect_success 'after the kill, a new daemon takes mail again' '
	mail 500 && lmtp support@example.org l500.eml >out && test_grep accepted out
'
test_expect_success 'every message answered 250 before the kill is stored, once' '
	settled &&
	for id in $(grep -n "^accepted" killed.out | cut -d: -f1); do
		m=$((id + 199))
		test "$(stored lmtp-$m@example.com)" = 1 || { echo "lost: $m"; exit 1; }
	done &&
	test "$(stored lmtp-500@example.com)" = 1
'
kill -TERM $RUN; wait $RUN; rc=$?
test_expect_success 'SIGTERM: exits 0 and removes the socket' 'test $rc = 0 && ! test -e var/lmtp.sock'
test_expect_success 'a queued message that cannot be taken stays, counted as failing, and is tried again after a delay' '
	cp postdesk.conf small.conf && printf "[limits]\nmax_quarantine_size = 1K\n" >>small.conf &&
	mail 600 && { head -c 2000 /dev/zero | tr "\\0" x && echo; } >>l600.eml &&
	sqlite3 var/postdesk-incoming.db "insert into incoming (received, source, recipient, raw) values (strftime(\"%s\"), \"lmtp\", \"support@example.org\", readfile(\"l600.eml\"))" &&
	"$POSTDESK" -c small.conf run --once 2>once.log &&
	test_grep "incoming message .* not taken yet: .*max_quarantine_size" once.log &&
	"$POSTDESK" -c small.conf status >st && test_grep "incoming: 1 waiting, 1 failing" st &&
	test "$(stored lmtp-600@example.com)" = 0 &&
	pd run --once 2>once.log && test "$(stored lmtp-600@example.com)" = 0 &&
	POSTDESK_NOW=2026-11-20T15:30:02Z pd run --once 2>once.log &&
	test "$(stored lmtp-600@example.com)" = 1 &&
	pd status >st && test_grep "incoming: 0 waiting, 0 failing" st
'
test_expect_success 'the search index holds every message taken in batches, and nothing else' '
	sqlite3 var/postdesk.db "INSERT INTO messages_fts(messages_fts, rank) VALUES (\"integrity-check\", 1)" &&
	pd ticket search leading --json >s.json &&
	test "$(json_get s.json "len(d)")" = 1 && test "$(json_get s.json "d[0][\"subject\"]")" = dots
'
test_done
