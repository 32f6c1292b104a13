#!/bin/bash
# t5100: outbound mail through a real SMTP server (aiosmtpd on 127.0.0.1):
# the ack's headers and threading, no header injection, nothing lost or
# doubled across an outage and a SIGKILL mid-flush, bounded mail loops,
# and a bounce recorded on its ticket.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/servers/smtp-sink.sh"
test_require "$PYTHON3" -c 'import aiosmtpd'

start_smtp_sink
SINK_PORT=$SMTP_PORT   # restarts below keep the port the config names
setup_gateway
printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\n' "$SMTP_PORT" >>postdesk.conf

mail() {  # mail ID FROM SUBJECT: a customer mail on stdout
	printf "From: %s\nTo: support@example.org\nSubject: %s\nMessage-ID: <%s>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\nHello, please help.\n" "$2" "$3" "$1"
}

test_expect_success 'the ack reaches the SMTP server with the right headers' '
	mail c1@cust.example "Carla <carla@cust.example>" "Broken login" | pd deliver &&
	pd queue --flush >out && test_grep "sent 1, deferred 0, failed 0" out &&
	test "$(sink_count)" = 1 && f=$(sink_files) &&
	test "$(header "$f" X-RcptTo)" = carla@cust.example &&
	test "$(header "$f" X-MailFrom)" = support@example.org &&
	test "$(header "$f" Subject)" = "[Support #1] Broken login" &&
	test "$(header "$f" In-Reply-To)" = "<c1@cust.example>" &&
	test "$(header "$f" References)" = "<c1@cust.example>" &&
	test "$(header "$f" Auto-Submitted)" = auto-replied &&
	test "$(header "$f" X-Postdesk-Loop)" = support@example.org &&
	header "$f" Reply-To | grep -q "<support+1-[a-z2-7]\{10\}@example.org>" &&
	header "$f" Message-ID | grep -q "^<pd\.1\..*@example.org>$" &&
	test -n "$(header "$f" Date)" && test "$(header "$f" MIME-Version)" = 1.0 &&
	test_grep -v "X-Postdesk-Rcpt" "$f" &&
	pd queue --json >q.json && test "$(cat q.json)" = "[]" &&
	pd queue --all --json >q.json && test "$(json_get q.json "d[0][\"state\"]")" = sent
'

test_expect_success 'a CR/LF in the subject cannot add a header (no Bcc, one recipient)' '
	printf "From: Mal <mal@cust.example>\nTo: support@example.org\nSubject: =?utf-8?q?Help=0D=0ABcc:_evil@evil.example?=\nMessage-ID: <inj@cust.example>\n\nhi\n" | pd deliver &&
	printf "From: =?utf-8?q?Mal=0D=0ABcc:_evil2@evil.example?= <mal2@cust.example>\nTo: support@example.org\nSubject: plain\nMessage-ID: <inj2@cust.example>\n\nhi\n" | pd deliver &&
	pd queue --flush >out && test_grep "sent 2" out &&
	for f in $(sink_files); do
		test -z "$(header "$f" Bcc)" || { echo "Bcc in $f"; cat "$f"; exit 1; }
		! grep -qi "^bcc:" "$f" || exit 1
		test "$(header "$f" X-RcptTo | wc -l)" = 1 || exit 1
		! grep -q "evil.example" <(header "$f" X-RcptTo) || exit 1
	done
'

stop_smtp_sink
test_expect_success 'server down: 50 new tickets, every ack deferred, none lost' '
	for i in $(seq 1 50); do mail "out$i@cust.example" "cust$i@cust.example" "Question $i" | pd deliver 2>/dev/null || exit 1; done &&
	pd queue --flush >out && test_grep "sent 0, deferred 50, failed 0" out &&
	pd queue --json >q.json && test "$(json_get q.json "len(d)")" = 50 &&
	json_get q.json "d[0][\"last_error\"]" | grep -qi "connect"
'
start_smtp_sink
test_expect_success 'server back: exactly 50 acks arrive, none twice' '
	POSTDESK_NOW=2026-11-20T18:00:00Z pd queue --flush >out && test_grep "sent 50, deferred 0, failed 0" out &&
	test "$(sink_count)" = 50 &&
	for f in $(sink_files); do header "$f" Message-ID; done | sort | uniq -d >dups && ! test -s dups
'

# Ten kills in a row, at commits, marks and sends: each mail arrives once
# or twice, or, when its one resend was interrupted too, it is not sent a
# third time but left failed ("in doubt") for an operator to look at.
test_expect_success 'SIGKILL ten times over a flush: nothing lost, nothing more than twice' '
	for i in $(seq 51 80); do mail "k$i@cust.example" "k$i@cust.example" "Kill $i" | pd deliver 2>/dev/null || exit 1; done &&
	for at in 3 7 11 16 22 29 37 46 56 67; do
		POSTDESK_CRASH_AT=$at pd queue --flush >/dev/null 2>&1
	done &&
	pd queue --flush >out &&
	for f in $(sink_files); do header "$f" X-RcptTo; done | grep "^k" | sort | uniq -c >counts &&
	! awk "\$1 > 2" counts | grep -q . &&
	pd queue --json >q.json &&
	json_get q.json "\" \".join(o[\"rcpt\"][0] for o in d if o[\"state\"] == \"failed\" and \"not sent a third time\" in o[\"last_error\"])" >doubt &&
	test "$(json_get q.json "len([o for o in d if o[\"state\"] != \"failed\"])")" = 0 &&
	for i in $(seq 51 80); do
		grep -q " k$i@cust.example$" counts || grep -qw "k$i@cust.example" doubt || { echo "lost: k$i"; exit 1; }
	done &&
	echo "30 mails: $(awk "\$1 == 2" counts | wc -l) arrived twice, $(wc -w <doubt) left in doubt"
'

test_expect_success 'one SIGKILL right after the server accepted a mail: it alone arrives twice' '
	for i in 81 82 83; do mail "s$i@cust.example" "s$i@cust.example" "Once $i" | pd deliver 2>/dev/null || exit 1; done &&
	{ POSTDESK_CRASH_TRACE=1 POSTDESK_CRASH_AT=4 pd queue --flush >/dev/null 2>trace; true; } &&
	test "$(grep "^crash-point 4 " trace)" = "crash-point 4 outbound-sent" &&
	pd queue --flush >out && test_grep "sent 3" out &&
	for f in $(sink_files); do header "$f" X-RcptTo; done | grep "^s8" | sort | uniq -c | awk "{print \$2, \$1}" >counts &&
	printf "s81@cust.example 2\ns82@cust.example 1\ns83@cust.example 1\n" >expect &&
	test_cmp expect counts
'

test_expect_success 'mail loop with another postdesk: bounded' '
	mkdir -p other && cat >other/postdesk.conf <<-EOF &&
	[gateway]
	support_address = help@other.example
	[limits]
	auto_replies_per_hour = 5
	EOF
	"$POSTDESK" -c other/postdesk.conf init >/dev/null &&
	mail loop1@other.example "help@other.example" "Hello from the other desk" | pd deliver &&
	rounds=0 &&
	while [ $rounds -lt 20 ]; do
		rounds=$((rounds + 1))
		pd queue --flush >/dev/null && "$POSTDESK" -c other/postdesk.conf queue --flush >/dev/null
		moved=0
		for f in $(ls var/outbox/new 2>/dev/null) ; do :; done
		for f in $(grep -l "^X-RcptTo: help@other.example" $(sink_files) 2>/dev/null); do
			[ -e "$f.done" ] && continue; touch "$f.done"; moved=1
			"$POSTDESK" -c other/postdesk.conf deliver <"$f" 2>/dev/null
		done
		for f in $(ls other/var/outbox/new/* 2>/dev/null); do
			grep -q "^X-Postdesk-Rcpt: support@example.org" "$f" || continue
			mv "$f" "$f.done"; moved=1; pd deliver <"$f.done" 2>/dev/null
		done
		[ $moved = 0 ] && break
	done &&
	echo "quiet after $rounds rounds" && test $rounds -lt 5 &&
	test "$(ls other/var/outbox/new | grep -vc done)" = 0
'

test_expect_success 'a vacation auto-responder gets no answer' '
	n=$(sink_count) &&
	printf "From: holiday@cust.example\nTo: support@example.org\nSubject: Out of office\nAuto-Submitted: auto-replied\nMessage-ID: <vac1@cust.example>\n\nI am away.\n" | pd deliver &&
	pd queue --flush >/dev/null && test "$(sink_count)" = "$n"
'

test_expect_success 'a responder without auto headers opening new tickets: at most 5 acks an hour' '
	n=$(sink_count) &&
	for i in $(seq 1 12); do mail "dumb$i@bot.example" "dumb@bot.example" "Re: your mail $i" | pd deliver 2>/dev/null || exit 1; done &&
	pd queue --flush >/dev/null &&
	test "$(grep -l "^X-RcptTo: dumb@bot.example" $(sink_files) | wc -l)" = 5
'

test_expect_success 'a DSN for a bounced ack is recorded on its ticket and opens nothing' '
	tickets=$(sqlite3 var/postdesk.db "select count(*) from tickets") &&
	ack=$(grep -l "^X-RcptTo: cust1@cust.example" $(sink_files) | head -1) &&
	mid=$(header "$ack" Message-ID) &&
	t=$(header "$ack" Subject | sed "s/.*#\([0-9]*\)].*/\1/") &&
	{ printf "From: Mail Delivery System <MAILER-DAEMON@mx.cust.example>\nTo: support@example.org\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn1@mx.cust.example>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
	  printf -- "--R\nContent-Type: text/plain\n\nI could not deliver your mail.\n\n--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.cust.example\n\nFinal-Recipient: rfc822; cust1@cust.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\n"
	  printf -- "--R\nContent-Type: text/rfc822-headers\n\nFrom: support@example.org\nMessage-ID: %s\nSubject: [Support #%s] Question 1\n\n--R--\n" "$mid" "$t"; } | pd deliver 2>err &&
	test_grep "ticket $t: bounced" err &&
	test "$(sqlite3 var/postdesk.db "select count(*) from tickets")" = "$tickets" &&
	pd ticket show "$t" --json >t.json &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"bounce\"][0]" >detail &&
	test_grep "5.1.1" detail && test_grep "cust1@cust.example" detail &&
	pd queue --json >q.json && test "$(json_get q.json "[o[\"state\"] for o in d][0]")" = failed
'

test_expect_success 'a bounce of unknown mail is quarantined, not a ticket' '
	tickets=$(sqlite3 var/postdesk.db "select count(*) from tickets") &&
	printf "From: MAILER-DAEMON@mx.example\nTo: support@example.org\nSubject: Mail delivery failed: returning message to sender\nMessage-ID: <dsn2@mx.example>\n\n  Message-ID: <not-ours@elsewhere.example>\n" | pd deliver &&
	test "$(sqlite3 var/postdesk.db "select count(*) from tickets")" = "$tickets" &&
	pd quarantine list >q && test_grep "bounce of a mail" q
'
test_expect_success 'scan: no mail the server received shows another customer'\''s address' '
	scan_customer carla@cust.example mal@cust.example inj@cust.example holiday@cust.example \
		cust1@cust.example &&
	scan_customer_mail "$SINK_DIR/new"
'
stop_smtp_sink
test_done
