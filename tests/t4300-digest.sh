#!/bin/bash
# t4300: the members' and groups' digests with the POSTDESK_NOW clock.
# Alice (Berlin) owns one ticket, Bob (New York) is offered another, a
# third has no owner; carol is away. postdesk digest --dry-run prints
# every digest and queues nothing; run sends each member's digests once,
# at 08:00 of the member's own day.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a Berlin group with a daily group digest, two members' '
	setup_gateway &&
	write_gateway_config <<-EOF &&
	[group:core]
	name = Core offering
	addresses = core@example.org
	timezone = Europe/Berlin
	hours = Mon-Fri 09:00-17:00
	first_response = 4h
	on_breach = none
	assign = manual
	offer_timeout = 0
	digest = daily

	[group:other]
	name = Other offering
	addresses = other@example.org

	[member:alice@example.org]
	name = Alice Example
	groups = core
	timezone = Europe/Berlin

	[member:bob@example.org]
	name = Bob Senior
	groups = core
	timezone = America/New_York

	[member:carol@example.org]
	name = Carol Away
	groups = core
	away = true
	EOF
	pd check
'

# lib.sh fixes the clock at Friday 15:30Z: flush at the end of the year,
# so that all mail queued is due.
# Mail is queued at its POSTDESK_NOW: collect (lib.sh) flushes when all is due.
COLLECT_NOW=2026-12-31T00:00:00Z
# How many digests in mail/$1 went to $2.
digests() {
	grep -l "^Subject: \(Your tickets\|Open tickets in\)" $(to "$1" "$2") /dev/null | wc -l
}
reply_address() { header "$1" Reply-To | sed "s/.*<\(.*\)>.*/\1/"; }
customer() {
	printf "From: %s\nTo: core@example.org\nSubject: %s\nMessage-ID: <%s>\n\n%s\n" "$2" "$3" "$1" "$4" | pd deliver
}
# The part of the dry-run output F that goes to $2 with subject $3.
digest_of() {
	"$PYTHON3" - "$1" "$2" "$3" <<-PY
	import sys
	text = open(sys.argv[1], encoding="utf-8").read()
	for part in text.split("----- digest to ")[1:]:
	    rcpt, _, body = part.partition("\n")
	    if rcpt.strip() == sys.argv[2] and ("Subject: " + sys.argv[3]) in body:
	        sys.stdout.write(body.replace("\r", ""))
	PY
}

# Friday 2026-11-20: 16:30, 16:40 and 16:50 in Berlin.
test_expect_success 'three tickets: Alice takes one, Bob is offered one, one has no owner' '
	POSTDESK_NOW=2026-11-20T15:30:00Z customer s1@x dana@customer.example "VPN drops" "It drops." &&
	POSTDESK_NOW=2026-11-20T15:40:00Z customer s2@x erik@customer.example "Disk full" "Full." &&
	POSTDESK_NOW=2026-11-20T15:50:00Z customer s3@x fay@customer.example "Printer jam" "Jammed." &&
	POSTDESK_NOW=2026-11-20T15:55:00Z customer s4@x gus@customer.example "Done already" "Fixed." &&
	POSTDESK_NOW=2026-11-20T15:56:00Z pd ticket resolve 4 &&
	POSTDESK_NOW=2026-11-20T15:57:00Z pd ticket assign 1 alice@example.org &&
	POSTDESK_NOW=2026-11-20T15:58:00Z pd ticket assign 2 bob@example.org &&
	collect open &&
	printf "From: alice@example.org\nTo: %s\nSubject: Re\nMessage-ID: <t1@alice>\n\n#take\n" \
		"$(reply_address "$(grep -l "^Subject: .*#1\]" $(to open alice@example.org) | head -n 1)")" |
		POSTDESK_NOW=2026-11-20T16:00:00Z pd deliver &&
	pd ticket show --json 1 | json_get /dev/stdin "d[\"owner\"]" >owner &&
	echo alice@example.org >expect && test_cmp expect owner &&
	collect taken
'

# Monday 2026-11-23 06:00Z: 07:00 in Berlin, 01:00 in New York.
test_expect_success 'digest --dry-run prints the four digests and queues nothing' '
	POSTDESK_NOW=2026-11-23T06:00:00Z pd digest --dry-run >out &&
	test_grep "^4 digests would be sent$" out &&
	test "$(grep -c "^----- digest to " out)" = 4 &&
	! grep -q "^----- digest to carol@example.org" out &&
	collect dry && test -z "$(ls mail/dry)" &&
	POSTDESK_NOW=2026-11-23T06:00:00Z pd digest --dry-run >again &&
	test_grep "^4 digests would be sent$" again
'

test_expect_success 'Alice sees her ticket due today 12:30 CET, not Bob'"'"'s' '
	digest_of out alice@example.org "Your tickets" >alice &&
	test_grep "^Subject: Your tickets, 2026-11-23" alice &&
	test_grep "^\[Support #1\] VPN drops" alice &&
	test_grep "^    open, core, open 2d, due today 12:30 CET" alice &&
	test_grep "answer: <mailto:support+1-[A-Za-z0-9_-]*@example.org?subject=%5BSupport%20%231%5D%20VPN%20drops>" alice &&
	! grep -q "#2\|#3\|Disk full\|Printer jam\|Done already" alice
'

test_expect_success 'Bob sees the offer, due in New York time; his reply address is his own' '
	digest_of out bob@example.org "Your tickets" >bob &&
	test_grep "offered to you wait for #take" bob &&
	test_grep "^\[Support #2\] Disk full" bob &&
	test_grep "^    new, offered to you: reply #take or #refuse, core, open 2d, due today 06:40 EST" bob &&
	! grep -q "#1\]\|#3\]\|VPN drops\|Printer jam" bob &&
	a=$(sed -n "s/.*<mailto:\(support+2-[^?]*\)?.*/\1/p" bob) && test -n "$a" &&
	! grep -q "$a" alice
'

test_expect_success 'the group digest lists the unowned ticket first, to each member' '
	digest_of out alice@example.org "Open tickets in Core offering" >galice &&
	test_grep "Core offering has 3 open ticket(s); 1 without an owner" galice &&
	grep "^\[Support #" galice >order &&
	printf "[Support #3] Printer jam\n[Support #1] VPN drops\n[Support #2] Disk full\n" >expect &&
	test_cmp expect order &&
	test_grep "NO OWNER: reply #take" galice &&
	test_grep "offered to bob@example.org" galice &&
	test_grep "owner alice@example.org" galice &&
	digest_of out bob@example.org "Open tickets in Core offering" >gbob &&
	test_grep "^\[Support #3\] Printer jam" gbob &&
	test_grep "due today 06:50 EST" gbob
'

test_expect_success 'digest --kind and --member pick one kind and one member' '
	POSTDESK_NOW=2026-11-23T06:00:00Z pd digest --dry-run --kind member --member bob@example.org >one &&
	test_grep "^1 digest would be sent$" one &&
	test_grep "^----- digest to bob@example.org" one
'

test_expect_code 64 'digest --kind weekly is a usage error' '
	pd digest --kind weekly
'

test_expect_success 'run at 07:59 Berlin sends nothing, at 08:01 Alice'"'"'s two, at 08:05 none' '
	POSTDESK_NOW=2026-11-23T06:59:00Z pd run --once 2>err &&
	! grep -q "digest" err && collect d0759 && test -z "$(ls mail/d0759)" &&
	POSTDESK_NOW=2026-11-23T07:01:00Z pd run --once 2>err &&
	test_grep "timers: 2 digests sent" err && collect d0801 &&
	test "$(ls mail/d0801 | wc -l)" = 2 && test "$(digests d0801 alice@example.org)" = 2 &&
	POSTDESK_NOW=2026-11-23T07:05:00Z pd run --once 2>err &&
	! grep -q "digest" err && collect d0805 && test -z "$(ls mail/d0805)"
'

test_expect_success 'Bob'"'"'s come at 08:01 New York; a daemon back later that day sends none twice' '
	POSTDESK_NOW=2026-11-23T12:59:00Z pd run --once 2>err && ! grep -q "digest" err &&
	POSTDESK_NOW=2026-11-23T15:00:00Z pd run --once 2>err &&
	test_grep "timers: 2 digests sent" err && collect d1500 &&
	test "$(digests d1500 bob@example.org)" = 2 && test "$(digests d1500 alice@example.org)" = 0 &&
	POSTDESK_NOW=2026-11-23T22:00:00Z pd run --once 2>err && ! grep -q "digest" err &&
	POSTDESK_NOW=2026-11-24T07:30:00Z pd run --once 2>err &&
	test_grep "timers: 2 digests sent" err
'

test_done
