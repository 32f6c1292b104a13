#!/bin/bash
# t8200: limits that hostile or broken input must not get past, each a
# [limits] value: PCRE2 match limits of filter rules (catastrophic
# backtracking ends and is reported), the rendered size of a template,
# floods of new tickets from one unknown sender or domain (held in the
# quarantine, unanswered, reported), and auto_replies_per_hour over every
# automatic answer (ack, over-quota, rejection notice).
. "$(dirname "$0")/lib.sh"
test_require sqlite3 -version

# mail ID FROM SUBJECT [BODY]: a customer mail on stdout.
mail() {
	printf "From: %s\nTo: support@example.org\nSubject: %s\nMessage-ID: <%s>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\n%s\n" \
		"$2" "$3" "$1" "${4:-Hello, please help.}"
}
sql() { sqlite3 var/postdesk.db "$1"; }
# sent_to ADDR: the templates of the mail queued for ADDR, one a line.
sent_to() { sql "select template from outbound where rcpt = '$1' order by id"; }

setup_gateway
mkdir flt && echo 'subject /^(a+)+$/ tag=slow' >flt/50-slow.rules
cat >>postdesk.conf <<EOF
[limits]
auto_replies_per_hour = 2
new_tickets_per_sender_per_hour = 3
new_tickets_per_domain_per_hour = 4
max_attachment_size = 1k
EOF
sed -i "s|^secret_file = secret|secret_file = secret\nfilters = flt|" postdesk.conf
pd check >/dev/null 2>&1 || { pd check; exit 1; }

test_expect_success 'catastrophic backtracking in a filter rule ends quickly and is reported' '
	start=$(date +%s%N) &&
	mail slow1@cust.example slow@cust.example "$(printf "a%.0s" $(seq 1 40))b" | pd deliver 2>err &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) && echo "deliver took $ms ms" &&
	test $ms -lt 10000 &&
	test_grep "filters: .*50-slow.rules:1: match limit exceeded in subject" err &&
	test "$(sql "select count(*) from tickets")" = 1
'
test_expect_success 'regex_match_limit is honoured: a rule fine by default fails under a low one' '
	mail slow2@cust.example slow2@cust.example "aaaaaaaaaaaab" | pd deliver 2>err &&
	! grep -q "match limit" err &&
	sed "s/^\[limits\]/[limits]\nregex_match_limit = 1000/" postdesk.conf >low.conf &&
	mail slow3@cust.example slow3@cust.example "aaaaaaaaaaaab" |
		"$POSTDESK" -c "$T/low.conf" deliver 2>err &&
	test_grep "50-slow.rules:1: match limit exceeded in subject" err
'
test_expect_success 'regex limits out of range: check names the key' '
	check_broken "$(printf "[gateway]\nsupport_address = s@example.org\n[limits]\nregex_depth_limit = 5\n")" \
		"\[limits\] regex_depth_limit: .*100 to 10000000"
'

test_expect_success 'a template rendering over max_template_output fails clearly; the mail is kept' '
	sed "s/^\[limits\]/[limits]\nmax_template_output = 2k/" postdesk.conf >small.conf &&
	mail big1@cust.example big@cust.example "$(printf "word %.0s" $(seq 1 500))" |
		"$POSTDESK" -c "$T/small.conf" deliver 2>err &&
	test_grep "template ack to big@cust.example (max_template_output): .*ack.tmpl:[0-9]*: rendered output over the cap of 2048 bytes" err &&
	pd quarantine list >q && test_grep "max_template_output" q &&
	test -z "$(sent_to big@cust.example)"
'

test_expect_success 'a flood from one sender: 3 tickets, the rest held unanswered, reported once' '
	pd status >st0 && held=$(sed -n "s/^quarantine: \([0-9]*\) held$/\1/p" st0) &&
	for i in 1 2 3 4 5 6; do
		mail "fl$i@flood.example" "Flo <flo@flood.example>" "Question $i" | pd deliver 2>>flood.err || exit 1
	done &&
	test "$(sql "select count(*) from tickets where requester_address = \"flo@flood.example\"")" = 3 &&
	pd quarantine list >q && test "$(grep -c "flood: 3 new tickets from flo@flood.example" q)" = 3 &&
	test "$(sent_to flo@flood.example | wc -l)" = 2 &&
	test "$(grep -c "held in quarantine from now on" flood.err)" = 1 &&
	test "$(sql "select count(*) from events where kind = \"flood\" and actor = \"flo@flood.example\" and ticket_id is null")" = 1 &&
	pd status >st && test_grep "quarantine: $((held + 3)) held" st
'
test_expect_success 'the flooder still reaches their own tickets; a release opens a ticket' '
	printf "From: flo@flood.example\nTo: support@example.org\nSubject: Re: Question 1\nIn-Reply-To: <fl1@flood.example>\nMessage-ID: <fl1r@flood.example>\n\nmore\n" | pd deliver &&
	test "$(sql "select ticket_id from messages where message_id = \"fl1r@flood.example\"")" = \
		"$(sql "select ticket_id from messages where message_id = \"fl1@flood.example\"")" &&
	id=$(pd quarantine list | grep -m1 flood | awk "{print \$1}") &&
	pd quarantine release "$id" &&
	test "$(sql "select count(*) from tickets where requester_address = \"flo@flood.example\"")" = 4
'
test_expect_success 'an hour later the sender opens tickets again' '
	mail fl7@flood.example flo@flood.example "Question 7" |
		POSTDESK_NOW=2026-11-20T17:00:00Z pd deliver &&
	test "$(sql "select count(*) from tickets where requester_address = \"flo@flood.example\"")" = 5
'
test_expect_success 'a flood from one domain: 4 tickets from 5 senders, the fifth held' '
	for i in 1 2 3 4 5; do
		mail "d$i@many.example" "user$i@many.example" "Domain $i" | pd deliver 2>>dom.err || exit 1
	done &&
	test "$(sql "select count(*) from tickets where org = \"many.example\"")" = 4 &&
	pd quarantine list >q && test_grep "flood: 4 new tickets from domain many.example" q &&
	test -z "$(sent_to user5@many.example)" &&
	test "$(sql "select count(*) from events where kind = \"flood\" and actor = \"@many.example\"")" = 1
'
test_expect_success 'senders of an [org:] are known customers: not held' '
	printf "[plan:big]\nquota = 100\nperiod = month\n[org:known.example]\nplan = big\n" >>postdesk.conf &&
	for i in 1 2 3 4 5 6; do
		mail "k$i@known.example" "kim@known.example" "Known $i" | pd deliver || exit 1
	done &&
	test "$(sql "select count(*) from tickets where requester_address = \"kim@known.example\"")" = 6
'
test_expect_success 'import (archives the operator chose) is not held' '
	mkdir arch && for i in 1 2 3 4 5; do
		mail "im$i@arch.example" "ina@arch.example" "Old $i" >arch/$i.eml || exit 1
	done &&
	pd import arch/*.eml >out && test_grep "5 new tickets" out &&
	test "$(sql "select count(*) from tickets where requester_address = \"ina@arch.example\"")" = 5
'
test_expect_success 'flood limits 0: off' '
	sed "s/^new_tickets_per_sender_per_hour = 3/new_tickets_per_sender_per_hour = 0/" postdesk.conf >off.conf &&
	for i in 1 2 3 4 5; do
		mail "o$i@off.example" "otto@off.example" "Off $i" | "$POSTDESK" -c "$T/off.conf" deliver || exit 1
	done &&
	test "$(sql "select count(*) from tickets where requester_address = \"otto@off.example\"")" = 4
'

# auto_replies_per_hour = 2 over every automatic answer.
test_expect_success 'auto_replies_per_hour caps acks' '
	for i in 1 2 3; do mail "a$i@acks.example" ack@acks.example "Ack $i" | pd deliver || exit 1; done &&
	test "$(sent_to ack@acks.example | sort | uniq -c | sed "s/^ *//")" = "2 ack"
'
test_expect_success 'auto_replies_per_hour caps over-quota answers (counted with the ack)' '
	printf "[plan:one]\nquota = 1\nperiod = month\n[org:quota.example]\nplan = one\n" >>postdesk.conf &&
	for i in 1 2 3 4; do mail "q$i@quota.example" q@quota.example "Quota $i" | pd deliver || exit 1; done &&
	test "$(sent_to q@quota.example | tr "\n" " ")" = "ack over-quota "
'
test_expect_success 'auto_replies_per_hour caps rejection notices' '
	for i in 1 2 3; do
		{ printf "From: rej@cust.example\nTo: support@example.org\nSubject: Big %s\nMessage-ID: <r%s@cust.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" $i $i;
		  head -c 3000 /dev/zero | base64; printf -- "--b--\n"; } | pd deliver || exit 1
	done &&
	test "$(sql "select count(*) from quarantine where reason like \"attachment %\"")" = 3 &&
	test "$(sent_to rej@cust.example | sort | uniq -c | sed "s/^ *//")" = "2 rejected"
'

test_expect_success 'scan: no mail to a customer shows another customer'\''s address' '
	scan_customer flo@flood.example big@cust.example ack@acks.example q@quota.example \
		rej@cust.example kim@known.example &&
	pd queue --flush >/dev/null && scan_customer_mail var/outbox
'
test_done
