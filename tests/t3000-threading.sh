#!/bin/bash
# t3000: a six-message conversation threads onto one ticket: the customer's
# mail, postdesk's ack, a follow-up from another client that drops
# References, a reply with only the subject tag, a reply to the signed
# address, and a duplicate delivery; an unrelated mail opens a new ticket.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup' 'setup_gateway'

outbox_file() {  # the newest spool file whose content matches $1
	grep -l -- "$1" var/outbox/new/* | tail -n 1
}

test_expect_success '1: the customer writes; ticket 1 is opened' '
	cat >m1.eml <<-EOF &&
	From: Dana Doe <dana@customer.example>
	To: support@example.org
	Subject: VPN drops every hour
	Date: Fri, 20 Nov 2026 09:00:00 +0000
	Message-ID: <m1@customer.example>

	Our VPN connection drops every hour on the hour.
	EOF
	pd deliver <m1.eml 2>err && test_grep "ticket 1: new" err
'

test_expect_success '2: postdesk acks, threaded on the customer mail' '
	pd queue --flush >out && test_grep "sent 1" out &&
	ack=$(outbox_file "In-Reply-To: <m1@customer.example>") && test -n "$ack" &&
	test "$(header "$ack" Subject)" = "[Support #1] VPN drops every hour" &&
	test "$(header "$ack" To)" = "Dana Doe <dana@customer.example>" &&
	test "$(header "$ack" Auto-Submitted)" = auto-replied &&
	test_grep "^X-Postdesk-Rcpt: dana@customer.example" "$ack" &&
	header "$ack" Reply-To | grep -q "support+1-[a-z2-7]\{10\}@example.org" &&
	header "$ack" Message-ID >ack.mid && test_grep "^<pd\.1\." ack.mid
'

test_expect_success '3: a follow-up from another client (In-Reply-To the ack, no References)' '
	ackid=$(cat ack.mid) &&
	cat >m3.eml <<-EOF &&
	From: Dana Doe <dana@customer.example>
	To: support@example.org
	Subject: AW: Ihr Anliegen
	Message-ID: <m3@webmail.customer.example>
	In-Reply-To: $ackid

	It happened again at 10:00.
	EOF
	pd deliver <m3.eml 2>err && test_grep "ticket 1: follow-up" err
'

test_expect_success '4: a reply with only the subject tag' '
	cat >m4.eml <<-EOF &&
	From: dana@customer.example
	To: support@example.org
	Subject: RE : [ Support #1 ] VPN drops every hour
	Message-ID: <m4@customer.example>

	And at 11:00.
	EOF
	pd deliver <m4.eml 2>err && test_grep "ticket 1: follow-up" err
'

test_expect_success '5: a reply to the signed address, with a fresh subject' '
	ack=$(outbox_file "In-Reply-To: <m1@customer.example>") &&
	addr=$(header "$ack" Reply-To | sed "s/.*<\(.*\)>.*/\1/") &&
	cat >m5.eml <<-EOF &&
	From: Dana Doe <dana@customer.example>
	To: $addr
	Subject: logs
	Message-ID: <m5@customer.example>

	Logs attached inline: timeout after 3600 s.
	EOF
	pd deliver --recipient "$addr" <m5.eml 2>err && test_grep "ticket 1: follow-up" err
'

test_expect_success '6: a duplicate delivery changes nothing' '
	pd deliver <m4.eml 2>err && test_grep duplicate err
'

test_expect_success 'ticket 1 holds the conversation, each threaded as expected' '
	pd ticket show 1 --json >t.json &&
	test "$(json_get t.json "[(m[\"direction\"], m[\"threaded_by\"]) for m in d[\"messages\"]]")" = \
	"[('"'"'in'"'"', '"'"'new'"'"'), ('"'"'out'"'"', '"'"'sent'"'"'), ('"'"'in'"'"', '"'"'reference'"'"'), ('"'"'in'"'"', '"'"'tag'"'"'), ('"'"'in'"'"', '"'"'token'"'"')]" &&
	test "$(json_get t.json "all(m[\"verified\"] for m in d[\"messages\"])")" = True &&
	test "$(sqlite3 var/postdesk.db "select count(*) from tickets")" = 1
'

test_expect_success 'a token used by another sender does not thread: a new ticket' '
	addr=$(header "$(outbox_file "In-Reply-To: <m1@customer.example>")" Reply-To | sed "s/.*<\(.*\)>.*/\1/") &&
	sed "s/^From: .*/From: eve@other.example/; s/m5@/m5b@/" m5.eml >m5b.eml &&
	pd deliver --recipient "$addr" <m5b.eml 2>err && test_grep "ticket 2: new" err &&
	pd ticket show 1 --json >t.json && test "$(json_get t.json "len(d[\"messages\"])")" = 5
'

test_expect_success 'a new unrelated mail opens ticket 3, with its own ack' '
	cat >m7.eml <<-EOF &&
	From: Erik <erik@else.example>
	To: support@example.org
	Subject: Invoice question
	Message-ID: <m7@else.example>

	Where is my invoice?
	EOF
	pd deliver <m7.eml 2>err && test_grep "ticket 3: new" err &&
	pd queue --flush >out && test_grep "sent 2" out
'

test_expect_success 'no automatic answer to automatic mail' '
	for h in "Auto-Submitted: auto-replied" "Precedence: bulk" "X-Postdesk-Loop: support@example.org"; do
		n=$(ls var/outbox/new | wc -l)
		printf "From: bot@else.example\nTo: support@example.org\nSubject: auto %s\nMessage-ID: <auto-%s@else.example>\n%s\n\nI am a robot.\n" "$n" "$n" "$h" | pd deliver || exit 1
		pd queue --flush >/dev/null && test "$(ls var/outbox/new | wc -l)" = "$n" || { echo "answered: $h"; exit 1; }
	done
'

test_expect_success 'at most auto_replies_per_hour acks to one address' '
	for i in 1 2 3 4 5 6 7; do
		printf "From: flood@else.example\nTo: support@example.org\nSubject: flood %s\nMessage-ID: <flood-%s@else.example>\n\nagain\n" $i $i | pd deliver || exit 1
	done &&
	pd queue --flush >/dev/null &&
	test "$(grep -l "^X-Postdesk-Rcpt: flood@else.example" var/outbox/new/* | wc -l)" = 5
'

test_expect_success 'scan: no mail to a customer shows another customer'\''s address' '
	scan_customer dana@customer.example eve@other.example erik@else.example \
		flood@else.example &&
	scan_customer_mail var/outbox
'
test_done
