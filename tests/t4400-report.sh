#!/bin/bash
# t4400: postdesk report contributions counts what members did, from the
# events: Alice answers and resolves one ticket and refers another to
# Bob, a partner, who answers it; a third ticket offered to Alice misses
# its deadline. Known events, known numbers, as a table and as CSV.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a Berlin group with a 4-hour target, a core member and a partner' '
	setup_gateway &&
	write_gateway_config <<-EOF &&
	[group:core]
	name = Core offering
	addresses = core@example.org
	timezone = Europe/Berlin
	hours = Mon-Fri 09:00-17:00
	first_response = 4h
	assign = manual
	offer_timeout = 0
	on_breach = none

	[member:alice@example.org]
	name = Alice Example
	digest = off

	[member:bob@partner.example]
	name = Bob, Partner
	kind = partner
	digest = off
	EOF
	pd check
'

# Mail is queued at its POSTDESK_NOW: collect (lib.sh) flushes when all is due.
COLLECT_NOW=2026-12-31T00:00:00Z
# The reply address of ticket $3 in the mail of step $1 to $2.
reply_address() {
	f=$(grep -l "^Subject: .*#$3\]" $(grep -l "^X-Postdesk-Rcpt: $2" mail/"$1"/*) | head -n 1) &&
	header "$f" Reply-To | sed "s/.*<\(.*\)>.*/\1/"
}
member() {
	printf "From: %s\nTo: %s\nSubject: Re\nMessage-ID: <%s>\n\n%s\n" "$1" "$2" "$3" "$4" | pd deliver
}
customer() {
	printf "From: %s\nTo: core@example.org\nSubject: %s\nMessage-ID: <%s>\n\n%s\n" "$2" "$3" "$1" "$4" | pd deliver
}

# Friday 2026-11-20, 16:30 in Berlin.
test_expect_success 'Alice answers ticket 1 after 30 minutes and resolves it' '
	POSTDESK_NOW=2026-11-20T15:30:00Z customer s1@x dana@customer.example "VPN" "It drops." &&
	POSTDESK_NOW=2026-11-20T15:31:00Z pd ticket assign 1 alice@example.org &&
	collect t1 &&
	a=$(reply_address t1 alice@example.org 1) && test -n "$a" &&
	POSTDESK_NOW=2026-11-20T16:00:00Z member alice@example.org "$a" r1@alice "Restart the router." &&
	POSTDESK_NOW=2026-11-20T16:10:00Z member alice@example.org "$a" r2@alice "#resolve" &&
	pd ticket show --json 1 | json_get /dev/stdin "d[\"state\"]" >state &&
	echo resolved >expect && test_cmp expect state
'

test_expect_success 'Alice refers ticket 2 to Bob, who answers two hours after it came' '
	POSTDESK_NOW=2026-11-20T15:40:00Z customer s2@x erik@customer.example "Disk" "Full." &&
	POSTDESK_NOW=2026-11-20T15:41:00Z pd ticket assign 2 alice@example.org &&
	collect t2 &&
	POSTDESK_NOW=2026-11-20T15:45:00Z member alice@example.org "$(reply_address t2 alice@example.org 2)" \
		r3@alice "#refer bob@partner.example" &&
	collect t2b &&
	b=$(reply_address t2b bob@partner.example 2) && test -n "$b" &&
	POSTDESK_NOW=2026-11-20T17:40:00Z member bob@partner.example "$b" r4@bob "Delete the logs."
'

test_expect_success 'ticket 3, offered to Alice, breaches on Monday 12:50 CET' '
	POSTDESK_NOW=2026-11-20T15:50:00Z customer s3@x fay@customer.example "Printer" "Jammed." &&
	POSTDESK_NOW=2026-11-20T15:55:00Z pd ticket assign 3 alice@example.org &&
	POSTDESK_NOW=2026-11-23T12:00:00Z pd run --once 2>err && test_grep "1 breach" err
'

test_expect_success 'the table over both days' '
	pd report contributions --from 2026-11-20 --to 2026-11-23 >out &&
	cat >expect <<-EOF &&
	member               taken replies resolved  first response referred received breaches
	alice@example.org        1       1        1         30m (1)        1        0        1
	bob@partner.example      1       1        0       2h00m (1)        0        1        0
	EOF
	test_cmp expect out
'

test_expect_success 'RFC 4180 CSV: CRLF, a name with a comma quoted, the median in seconds' '
	pd report contributions --from 2026-11-20 --to 2026-11-23 --csv >out.csv &&
	printf "%s\r\n" \
		"member,name,taken,replies,resolved,first_responses,first_response_median_s,referred,received,breaches" \
		"alice@example.org,Alice Example,1,1,1,1,1800,1,0,1" \
		"bob@partner.example,\"Bob, Partner\",1,1,0,1,7200,0,1,0" >expect.csv &&
	test_cmp expect.csv out.csv
'

test_expect_success 'a window of the weekend and Monday holds only the breach' '
	pd report contributions --from 2026-11-21 --to 2026-11-23 --csv >out.csv &&
	printf "%s\r\n" \
		"member,name,taken,replies,resolved,first_responses,first_response_median_s,referred,received,breaches" \
		"alice@example.org,Alice Example,0,0,0,0,,0,0,1" \
		"bob@partner.example,\"Bob, Partner\",0,0,0,0,,0,0,0" >expect.csv &&
	test_cmp expect.csv out.csv &&
	pd report contributions --from 2026-11-20T15:00:00Z --to 2026-11-20T16:30:00Z --csv >out.csv &&
	grep "^alice" out.csv | tr -d "\r" >a && echo "alice@example.org,Alice Example,1,1,1,1,1800,1,0,0" >expect &&
	test_cmp expect a
'

test_expect_code 64 'a date that is none is a usage error' '
	pd report contributions --from 2026-13-01 --to 2026-11-23
'

test_done
