#!/bin/bash
# t4210: service-level targets per priority and plan, next response, and
# housekeeping, with the POSTDESK_NOW clock and "run --once" as cron
# would call it. A 24x7 UTC group keeps the arithmetic plain: normal
# tickets are due in 8 h, urgent ones in 1 h (15 min on the gold plan),
# a customer's follow-up after an answer in 2 h; a ticket waiting on the
# customer is reminded after 3 days, resolved after 7, closed 14 days
# after that, and mail then opens a new linked ticket.
. "$(dirname "$0")/lib.sh"

conf() {
	write_gateway_config <<-EOF
	[group:core]
	name = Core offering
	addresses = core@example.org
	timezone = UTC
	hours = 24x7
	first_response = 8h urgent:1h
	next_response = 2h
	warn_at = 0
	on_breach = none
	offer_timeout = 0
	wait_reminder = 3d
	wait_resolve = 7d
	close_after = 14d

	[plan:gold]
	first_response = urgent:15m high:30m

	[plan:silver]
	first_response = 4h

	[org:gold.example]
	plan = $1

	[member:alice@example.org]
	name = Alice Example
	EOF
}

test_expect_success 'setup: one 24x7 group with targets per priority, two plans' '
	setup_gateway && conf gold && pd check
'

test_expect_success 'check: targets and housekeeping are validated where they are written' '
	check_broken "[gateway]
support_address = support@example.org
[group:core]
first_response = asap:1h
wait_reminder = 7d
wait_resolve = 3d
[plan:p]
next_response = urgent:2h 24h" \
	"bad.conf:4: \[group:core\] first_response: targets .asap:1h.: unknown priority .asap. (use low, normal, high or urgent) at offset 0" \
	"bad.conf:5: \[group:core\] wait_reminder: must be shorter than wait_resolve" \
	"bad.conf:8: \[plan:p\] next_response: targets .urgent:2h 24h.: urgent: duration .2h 24h.: unit .h. after a smaller or the same unit at offset 5"
'

# Mail is queued at its POSTDESK_NOW: collect (lib.sh) flushes when all is due.
COLLECT_NOW=2027-01-01T00:00:00Z
# A mail to Alice about ticket N, with a reply address signed for her.
notice() {
	grep -l "^X-Postdesk-Rcpt: alice@example.org" mail/*/* |
		xargs grep -l "^Subject:.*\[Support #$1\]" | head -1
}
reply_address() { header "$1" Reply-To | sed "s/.*<\(.*\)>.*/\1/"; }
customer() {
	printf "From: %s\nTo: core@example.org\nSubject: %s\nMessage-ID: <%s>\n\n%s\n" "$2" "$3" "$1" "$4" | pd deliver
}
# alice MID NOTICE TEXT: Alice answers the notice mail NOTICE.
alice() {
	printf "From: alice@example.org\nTo: %s\nSubject: Re\nMessage-ID: <%s>\n\n%b\n" \
		"$(reply_address "$2")" "$1" "$3" | pd deliver
}
# The database's answer to SQL, one row a line, columns joined by '|'.
dbq() {
	"$PYTHON3" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]):
    print("|".join("" if x is None else str(x) for x in r))' var/postdesk.db "$1"
}
utc() { date -u -d "$1" +%s; }
due() { dbq "SELECT due_kind, due_at FROM tickets WHERE id = $1"; }
events() { dbq "SELECT detail FROM events WHERE ticket_id = $1 AND kind = '$2' ORDER BY id"; }
state() { dbq "SELECT state FROM tickets WHERE id = $1"; }
# fires BEFORE AT LOG: run --once logs no LOG at BEFORE, and LOG at AT.
fires() {
	POSTDESK_NOW=$1 pd run --once 2>err && ! grep -q "$3" err &&
	POSTDESK_NOW=$2 pd run --once 2>err && test_grep "$3" err
}

# Monday 2026-11-02 10:00 UTC.
T0=2026-11-02T10:00:00Z

test_expect_success 'a normal ticket is due in 8 h; #priority urgent brings it to 1 h' '
	POSTDESK_NOW=$T0 customer s1@x dana@customer.example "VPN" "It drops." &&
	POSTDESK_NOW=$T0 customer s2@x erin@customer.example "Down" "All down." &&
	collect open &&
	test "$(due 1)" = "first_response|$(utc 2026-11-02T18:00:00Z)" &&
	test "$(due 2)" = "first_response|$(utc 2026-11-02T18:00:00Z)" &&
	POSTDESK_NOW=2026-11-02T10:02:00Z alice p2@alice "$(notice 2)" "#priority urgent" &&
	test "$(due 2)" = "first_response|$(utc 2026-11-02T11:00:00Z)" &&
	test "$(due 1)" = "first_response|$(utc 2026-11-02T18:00:00Z)"
'

test_expect_success 'the gold plan overrides urgent (15 min); normal stays the group'"'"'s' '
	POSTDESK_NOW=$T0 customer s3@x gus@gold.example "Crash" "It crashed." &&
	collect open3 &&
	test "$(due 3)" = "first_response|$(utc 2026-11-02T18:00:00Z)" &&
	POSTDESK_NOW=2026-11-02T10:03:00Z alice p3@alice "$(notice 3)" "#priority urgent" &&
	test "$(due 3)" = "first_response|$(utc 2026-11-02T10:15:00Z)"
'

test_expect_success 'the organisation moves to the silver plan: run recomputes its deadline' '
	conf silver && pd check &&
	POSTDESK_NOW=2026-11-02T10:05:00Z pd run --once 2>err &&
	test_grep "timers: 1 deadline moved by the configuration" err &&
	test "$(due 3)" = "first_response|$(utc 2026-11-02T14:00:00Z)" &&
	test "$(due 2)" = "first_response|$(utc 2026-11-02T11:00:00Z)"
'

test_expect_success 'the urgent ticket breaches at 11:00, the normal one does not' '
	fires 2026-11-02T10:59:00Z 2026-11-02T11:01:00Z "0 deadline warnings, 1 breach$" &&
	test "$(events 2 breach)" = "first_response due 2026-11-02T11:00:00Z missed (none)" &&
	test -z "$(events 1 breach)"
'

test_expect_success 'after an answer, a customer follow-up is due within next_response' '
	POSTDESK_NOW=2026-11-02T12:00:00Z alice a1@alice "$(notice 1)" "Restart the client, please." &&
	test "$(due 1)" = "|" &&
	collect answer && test_grep "Restart the client" "$(to answer dana@customer.example)" &&
	printf "From: dana@customer.example\nTo: core@example.org\nSubject: Re: [Support #1] VPN\nMessage-ID: <s1b@x>\n\nStill drops.\n" |
		POSTDESK_NOW=2026-11-02T13:00:00Z pd deliver &&
	test "$(due 1)" = "next_response|$(utc 2026-11-02T15:00:00Z)" &&
	printf "From: dana@customer.example\nTo: core@example.org\nSubject: Re: [Support #1] VPN\nMessage-ID: <s1c@x>\n\nAnd again.\n" |
		POSTDESK_NOW=2026-11-02T14:00:00Z pd deliver &&
	test "$(due 1)" = "next_response|$(utc 2026-11-02T15:00:00Z)" &&
	POSTDESK_NOW=2026-11-02T14:59:00Z pd run --once 2>err && test -z "$(events 1 breach)" &&
	POSTDESK_NOW=2026-11-02T15:01:00Z pd run --once 2>err &&
	test "$(events 1 breach)" = "next_response due 2026-11-02T15:00:00Z missed (none)"
'

test_expect_success 'a member answer ends the next response; nothing more is due' '
	POSTDESK_NOW=2026-11-02T16:00:00Z alice a2@alice "$(notice 1)" "Try the new version." &&
	test "$(due 1)" = "|" &&
	test "$(dbq "SELECT sla_next FROM tickets WHERE id = 1")" = ""
'

test_expect_success '#wait: the customer is reminded once after 3 days' '
	POSTDESK_NOW=$T0 customer s4@x fay@customer.example "Logs" "Broken." &&
	collect open4 &&
	POSTDESK_NOW=2026-11-03T10:00:00Z alice w4@alice "$(notice 4)" "#wait\nPlease send the logs." &&
	test "$(state 4)" = waiting &&
	collect asked &&
	fires 2026-11-06T09:59:00Z 2026-11-06T10:00:00Z "1 wait reminder, 0 resolved after waiting, 0 closed" &&
	collect reminded &&
	reminder=$(to reminded fay@customer.example) && test -n "$reminder" &&
	test_grep "^Subject: Waiting for your answer: \[Support #4\] Logs" "$reminder" &&
	test_grep "waiting for an answer from you" "$reminder" &&
	test "$(events 4 wait-reminder)" = "waiting on the customer since 259200s (wait_reminder)" &&
	POSTDESK_NOW=2026-11-07T10:00:00Z pd run --once 2>err && ! grep -q "wait reminder" err &&
	collect again && test -z "$(to again fay@customer.example)" &&
	test "$(events 4 wait-reminder | wc -l)" = 1
'

test_expect_success 'no answer for 7 days: resolved with the auto-resolved mail' '
	fires 2026-11-10T09:59:00Z 2026-11-10T10:00:00Z "0 wait reminders, 1 resolved after waiting, 0 closed" &&
	test "$(state 4)" = resolved &&
	test "$(events 4 state | tail -1)" = "waiting -> resolved" &&
	test "$(events 4 auto-resolved)" = "no answer from the customer for 604800s (wait_resolve)" &&
	collect resolved && mail=$(to resolved fay@customer.example) &&
	test_grep "we have not heard from you" "$mail" &&
	! grep -q "we have marked ticket" "$mail"
'

test_expect_success 'resolved 14 days: closed; the customer mail opens a new linked ticket' '
	fires 2026-11-24T09:59:00Z 2026-11-24T10:00:00Z "0 wait reminders, 0 resolved after waiting, 1 closed" &&
	test "$(state 4)" = closed &&
	test "$(events 4 closed)" = "resolved 1209600s ago (close_after); mail opens a new ticket" &&
	printf "From: fay@customer.example\nTo: core@example.org\nSubject: Re: [Support #4] Logs\nMessage-ID: <s4b@x>\n\nHere they are.\n" |
		POSTDESK_NOW=2026-11-24T11:00:00Z pd deliver &&
	test "$(dbq "SELECT id, state, linked_to FROM tickets WHERE requester_address = '"'fay@customer.example'"' ORDER BY id")" = "4|closed|
5|new|4"
'

test_expect_success 'the reopen window ends with close_after, also before the timer runs' '
	POSTDESK_NOW=2026-11-24T12:00:00Z customer s6@x gil@customer.example "Printer" "Jammed." &&
	collect open6 &&
	POSTDESK_NOW=2026-11-24T12:10:00Z alice r6@alice "$(notice 6)" "#resolve\nFixed it." &&
	test "$(state 6)" = resolved &&
	printf "From: gil@customer.example\nTo: core@example.org\nSubject: Re: [Support #6] Printer\nMessage-ID: <s6b@x>\n\nAgain.\n" |
		POSTDESK_NOW=2026-12-01T12:00:00Z pd deliver &&
	test "$(state 6)" = open &&
	POSTDESK_NOW=2026-12-01T12:05:00Z alice r6b@alice "$(notice 6)" "#resolve\nFixed again." &&
	printf "From: gil@customer.example\nTo: core@example.org\nSubject: Re: [Support #6] Printer\nMessage-ID: <s6c@x>\n\nAnd again.\n" |
		POSTDESK_NOW=2026-12-15T12:06:00Z pd deliver &&
	test "$(state 6)" = resolved &&
	test "$(dbq "SELECT linked_to FROM tickets WHERE id = 7")" = 6
'

test_done
