#!/bin/bash
# t4100: a moderator forwards a list post in; the ticket belongs to the
# original author, who gets the ack and whose reply threads on; a member's
# answer reaches the author, not the moderator; a forward of mail already
# on a ticket joins it; an unattributable forward is the moderator's; a
# customer's forward is that customer's own mail.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a moderator and a member' '
	setup_gateway &&
	write_gateway_config <<-EOF
	[group:community]
	name = Community offering
	addresses = community@example.org

	[group:lists]
	name = List moderation

	[member:mod@example.org]
	name = Mo Moderator
	moderator = true
	groups = lists

	[member:erin@example.org]
	name = Erin Expert
	groups = community
	EOF
'

reply_address() { header "$1" Reply-To | sed "s/.*<\(.*\)>.*/\1/"; }
ticket_json() { pd ticket show --json "$1" >t.json; }

test_expect_success 'an inline forward opens the ticket for the original author' '
	cat >fwd.eml <<-\EOF &&
	From: Mo Moderator <mod@example.org>
	To: community@example.org
	Subject: Fwd: Build fails on ARM
	Message-ID: <fwd1@example.org>

	Pat asked this on the users list, can someone help?

	---------- Forwarded message ---------
	From: Pat Poster <pat@users.example>
	Date: Thu, 19 Nov 2026 at 10:15
	Subject: Build fails on ARM
	To: <users@lists.example.org>

	The build fails on ARM with an illegal instruction.
	EOF
	pd deliver <fwd.eml &&
	ticket_json 1 &&
	test "$(json_get t.json "d[\"requester\"][\"address\"]")" = pat@users.example &&
	test "$(json_get t.json "d[\"requester\"][\"name\"]")" = "Pat Poster" &&
	test "$(json_get t.json "d[\"subject\"]")" = "Build fails on ARM" &&
	json_get t.json "[(p[\"address\"], p[\"role\"]) for p in d[\"participants\"]]" >parts &&
	test_grep "mod@example.org.*forwarder" parts &&
	json_get t.json "[m[\"visible\"] for m in d[\"messages\"] if m[\"kind\"] == \"note\"]" >notes &&
	test_grep "Pat asked this on the users list" notes &&
	json_get t.json "[m[\"visible\"] for m in d[\"messages\"] if m[\"kind\"] == \"forward\"]" >fw &&
	test_grep "illegal instruction" fw &&
	collect fwd &&
	ack=$(to fwd pat@users.example) && test -n "$ack" &&
	test_grep "opened ticket #1" "$ack" &&
	! grep "Pat asked this" "$ack" &&
	test_grep "opened this ticket for its original author" "$(to fwd mod@example.org)" &&
	test_grep "illegal instruction" "$(to fwd erin@example.org)"
'

test_expect_success 'the author replies to the ack: it threads onto the ticket' '
	ack=$(to fwd pat@users.example) &&
	printf "From: Pat Poster <pat@users.example>\nTo: %s\nSubject: Re: [Support #1] Build fails on ARM\nMessage-ID: <pat2@users.example>\nIn-Reply-To: %s\n\nIt is a Cortex-A53.\n" \
		"$(reply_address "$ack")" "$(header "$ack" Message-ID)" | pd deliver 2>err &&
	test_grep "ticket 1: follow-up" err
'

test_expect_success 'a member answer reaches the author, not the moderator' '
	collect followup &&
	notice=$(to fwd erin@example.org) &&
	printf "From: erin@example.org\nTo: %s\nSubject: Re\nMessage-ID: <erin1@example.org>\n\nUse the armv8 build flags.\n" \
		"$(reply_address "$notice")" | pd deliver &&
	collect answer &&
	test_grep "armv8 build flags" "$(to answer pat@users.example)" &&
	test -z "$(to answer mod@example.org)"
'

test_expect_success 'a forward of mail already on a ticket joins that ticket' '
	cat >fwd2.eml <<-\EOF &&
	From: Mo Moderator <mod@example.org>
	To: community@example.org
	Subject: Fwd: Re: Build fails on ARM
	Message-ID: <fwd2@example.org>
	MIME-Version: 1.0
	Content-Type: multipart/mixed; boundary=b

	--b
	Content-Type: text/plain

	Same thread again.
	--b
	Content-Type: message/rfc822

	From: Pat Poster <pat@users.example>
	Subject: Re: [Support #1] Build fails on ARM
	Message-ID: <pat2@users.example>

	It is a Cortex-A53.
	--b--
	EOF
	pd deliver <fwd2.eml &&
	pd ticket list --json >list.json &&
	test "$(json_get list.json "len(d)")" = 1 &&
	ticket_json 1 &&
	json_get t.json "[e[\"kind\"] for e in d[\"events\"]].count(\"forward\")" >n &&
	echo 2 >expect && test_cmp expect n
'

test_expect_success 'a forward without an author is the moderator'\''s, and says so' '
	cat >fwd3.eml <<-\EOF &&
	From: Mo Moderator <mod@example.org>
	To: community@example.org
	Subject: Fwd: something
	Message-ID: <fwd3@example.org>

	No idea who sent this.

	Begin forwarded message:

	Subject: something
	Date: 19 November 2026 at 10:15:00 CET

	Anonymous text.
	EOF
	pd deliver <fwd3.eml &&
	ticket_json 2 &&
	test "$(json_get t.json "d[\"requester\"][\"address\"]")" = mod@example.org &&
	json_get t.json "[m[\"visible\"] for m in d[\"messages\"] if m[\"kind\"] == \"note\"]" >notes &&
	test_grep "could not be found" notes &&
	collect unattributed &&
	test_grep "could not be found" "$(to unattributed mod@example.org)"
'

test_expect_success 'a customer forwarding someone else'\''s mail is that customer'\''s mail' '
	sed -e "s/Mo Moderator <mod@example.org>/Joe Customer <joe@customer.example>/" \
	    -e "s/fwd1@example.org/fwd4@customer.example/" fwd.eml | pd deliver &&
	ticket_json 3 &&
	test "$(json_get t.json "d[\"requester\"][\"address\"]")" = joe@customer.example &&
	json_get t.json "[m[\"kind\"] for m in d[\"messages\"]]" >kinds &&
	test_grep customer kinds && ! test_grep forward kinds
'

test_expect_success 'a forward as attachment: the ack threads on the original Message-ID' '
	cat >fwd5.eml <<-\EOF &&
	From: Mo Moderator <mod@example.org>
	To: community@example.org
	Subject: Fwd: Docs unclear
	Message-ID: <fwd5@example.org>
	MIME-Version: 1.0
	Content-Type: multipart/mixed; boundary=b

	--b
	Content-Type: text/plain

	From the users list.
	--b
	Content-Type: message/rfc822

	From: Quinn Q <quinn@users.example>
	Subject: Docs unclear
	Message-ID: <quinn1@users.example>
	References: <thread0@lists.example.org>

	Which config file wins?
	--b--
	EOF
	pd deliver <fwd5.eml 2>err && test_grep "ticket 4: new" err &&
	collect attached &&
	ack=$(to attached quinn@users.example) && test -n "$ack" &&
	test "$(header "$ack" In-Reply-To)" = "<quinn1@users.example>" &&
	header "$ack" References | grep -q "<thread0@lists.example.org> <quinn1@users.example>" &&
	printf "From: quinn@users.example\nTo: users@lists.example.org\nSubject: Re: Docs unclear\nMessage-ID: <quinn2@users.example>\nIn-Reply-To: <quinn1@users.example>\nList-Id: <users.lists.example.org>\n\nAnyone?\n" |
		pd deliver 2>err && test_grep "ticket 4: follow-up" err
'

test_expect_success 'the moderator digest lists the forwarded tickets, the unanswered and the unattributed' '
	pd digest --kind moderator --dry-run >out &&
	test_grep "^----- digest to mod@example.org" out &&
	test_grep "#1 Build fails on ARM" out &&
	test_grep "#2 something" out && test_grep "#4 Docs unclear" out &&
	test_grep "new, unanswered" out &&
	test_grep "1 forward could not be attributed" out &&
	test_grep "1 digest would be sent" out &&
	pd digest --kind moderator --member erin@example.org --dry-run >out && test_grep "0 digests would be sent" out &&
	collect pre && pd digest --kind moderator >out && test_grep "1 digest queued" out &&
	collect digest && test -n "$(to digest mod@example.org)" && test -z "$(to digest erin@example.org)"
'


test_expect_success 'scan: no mail to a customer shows a forwarder'\''s note or a member' '
	scan_member mod@example.org erin@example.org &&
	scan_customer pat@users.example joe@customer.example &&
	scan_secret "Pat asked this on the users list" &&
	scan_customer_mail mail var/outbox
'
test_done
