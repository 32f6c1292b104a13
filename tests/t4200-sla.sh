#!/bin/bash
# t4200: service levels with the POSTDESK_NOW clock. A ticket opened
# Friday 16:30 (Berlin) with a 4-business-hour first response target is
# due Monday 12:30: the ack says so, run warns before and breaches then,
# escalating to tier 2; #wait pauses the clock and the customer's answer
# resumes it with the time that was left.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a Berlin group, 4 business hours, two tiers' '
	setup_gateway &&
	write_gateway_config <<-EOF &&
	[group:core]
	name = Core offering
	addresses = core@example.org
	timezone = Europe/Berlin
	hours = Mon-Fri 09:00-17:00
	first_response = 4h
	warn_at = 75
	on_breach = escalate
	offer_timeout = 0

	[plan:basic]
	quota = 2
	period = year

	[org:acme.example]
	name = ACME
	plan = basic

	[member:alice@example.org]
	name = Alice Example
	tier = 1
	# Digests are tested in t4300; here they would be more mail to alice.
	digest = off

	[member:bob@example.org]
	name = Bob Senior
	tier = 2
	timezone = America/New_York
	digest = off
	EOF
	pd check
'

reply_address() { header "$1" Reply-To | sed "s/.*<\(.*\)>.*/\1/"; }
field() { pd ticket show --json "$1" >t.json && json_get t.json "d[\"$2\"]"; }
customer() {
	printf "From: %s\nTo: core@example.org\nSubject: %s\nMessage-ID: <%s>\n\n%s\n" "$2" "$3" "$1" "$4" | pd deliver
}

# Friday 2026-11-20 16:30 in Berlin is 15:30 UTC.
test_expect_success 'the ack promises Monday 12:30 in the group time zone' '
	POSTDESK_NOW=2026-11-20T15:30:00Z customer s1@x dana@customer.example "VPN" "It drops." &&
	collect open &&
	test_grep "We will answer by Monday 12:30 CET" "$(to open dana@customer.example)" &&
	test_grep "Due: *by Monday 12:30 CET" "$(to open alice@example.org)"
'

test_expect_success 'Monday 11:45: a warning to the owner, no breach yet' '
	POSTDESK_NOW=2026-11-23T10:45:00Z pd run --once 2>err &&
	test_grep "1 deadline warning, 0 breaches" err &&
	collect warn && test_grep "is due by today 12:30 CET" "$(to warn alice@example.org)" &&
	test "$(field 1 owner)" = alice@example.org
'

test_expect_success 'Monday 12:31: breached and escalated to tier 2' '
	POSTDESK_NOW=2026-11-23T11:31:00Z pd run --once 2>err &&
	test_grep "0 deadline warnings, 1 breach" err &&
	test "$(field 1 tier)" = 2 && test "$(field 1 owner)" = bob@example.org &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"breach\"]" >ev &&
	test_grep "first_response due 2026-11-23T11:30:00Z missed (escalate)" ev &&
	collect breach &&
	test_grep "deadline of this ticket has passed" "$(to breach alice@example.org)" &&
	test_grep "offered to you" "$(to breach bob@example.org)" &&
	POSTDESK_NOW=2026-11-23T12:00:00Z pd run --once 2>err && ! grep -q "breach" err
'

test_expect_success '#wait pauses the clock; the customer answer resumes it' '
	POSTDESK_NOW=2026-11-20T15:30:00Z customer s2@x eve@customer.example "Disk" "Full." &&
	collect open2 &&
	notice=$(to open2 alice@example.org) &&
	printf "From: alice@example.org\nTo: %s\nSubject: Re\nMessage-ID: <w1@alice>\n\n#wait\n" \
		"$(reply_address "$notice")" >wait.eml &&
	POSTDESK_NOW=2026-11-23T08:30:00Z pd deliver <wait.eml &&
	test "$(field 2 state)" = waiting &&
	POSTDESK_NOW=2026-11-23T12:00:00Z pd run --once 2>err && ! grep -q "1 breach" err &&
	printf "From: eve@customer.example\nTo: core@example.org\nSubject: Re: [Support #2] Disk\nMessage-ID: <s2b@x>\n\nStill full.\n" |
		POSTDESK_NOW=2026-11-23T13:00:00Z pd deliver &&
	test "$(field 2 state)" = open &&
	POSTDESK_NOW=2026-11-23T15:59:00Z pd run --once 2>err && ! grep -q "1 breach" err &&
	POSTDESK_NOW=2026-11-23T16:01:00Z pd run --once 2>err && test_grep "1 breach" err
'

test_expect_success 'a 2-ticket plan: the third ticket of the organisation is over quota' '
	collect before-quota &&
	for i in 1 2 3; do
		POSTDESK_NOW=2026-11-20T14:0${i}:00Z customer q$i@x "user$i@acme.example" "Q$i" "Help." || return 1
	done &&
	collect quota &&
	test_grep "opened ticket" "$(to quota user1@acme.example)" &&
	test_grep "opened ticket" "$(to quota user2@acme.example)" &&
	over=$(to quota user3@acme.example) && test -n "$over" &&
	test_grep "used all the support requests its plan includes" "$over" &&
	! grep -q "opened ticket" "$over" &&
	n=$(pd ticket list --json | json_get /dev/stdin "[t[\"id\"] for t in d if t[\"requester\"][\"address\"] == \"user3@acme.example\"][0]") &&
	test "$(field $n priority)" = low &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"over-quota\"]" >ev &&
	test_grep "ticket 3 of acme.example this year, plan basic allows 2" ev &&
	POSTDESK_NOW=2026-11-20T14:05:00Z customer q4@x other@else.example "Other" "Hi." &&
	collect quota2 && test_grep "opened ticket" "$(to quota2 other@else.example)"
'

test_done
