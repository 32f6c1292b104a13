#!/bin/bash
# t4000: routing and members. Three groups, five members of different
# tiers: round-robin offers in queue order, #refuse passes a ticket on and
# sends the refuser to the back, #take, a member's reply relayed to the
# customer under the group's address, #cc, #note, #escalate, #resolve,
# all-or-nothing commands with receipts, manual and least-loaded groups,
# the operator's ticket commands, offers that time out, and forged
# members who get nothing done.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: three groups, five members' '
	setup_gateway &&
	write_gateway_config <<-EOF &&
	[group:core]
	name = Core offering
	addresses = core@example.org
	offer_timeout = 1h

	[group:community]
	name = Community offering
	addresses = community@example.org
	assign = manual

	[group:external]
	name = External offering
	addresses = external@example.org
	assign = least-loaded

	[member:alice@example.org]
	name = Alice Example
	groups = core
	tier = 1

	[member:bob@example.org]
	name = Bob Example
	groups = core
	aliases = bob@home.example
	tier = 1

	[member:carol@example.org]
	name = Carol Expert
	groups = core;external
	tier = 2

	[member:dave@partner.example]
	name = Dave Partner
	groups = external
	tier = 3
	kind = partner

	[member:erin@example.org]
	name = Erin Community
	groups = community
	EOF
	pd check
'

# customer ID FROM TO SUBJECT TEXT: a customer's mail, delivered.
customer() {
	printf "From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\n%s\n" \
		"$2" "$3" "$4" "$1" "$5" | pd deliver
}
# reply_address FILE: the signed address in its Reply-To.
reply_address() { header "$1" Reply-To | sed "s/.*<\(.*\)>.*/\1/"; }
# member FROM FILE ID TEXT: FROM answers the mail FILE (to its signed address).
member() {
	printf "From: %s\nTo: %s\nSubject: Re: %s\nMessage-ID: <%s>\nIn-Reply-To: %s\n\n%s\n\n> quoted notice text\n> #resolve\n" \
		"$1" "$(reply_address "$2")" "$(header "$2" Subject)" "$3" \
		"$(header "$2" Message-ID)" "$4" | pd deliver
}
owner() { pd ticket show --json "$1" >t.json && json_get t.json 'd["owner"]'; }
field() { pd ticket show --json "$1" >t.json && json_get t.json "d[\"$2\"]"; }
# kind N MID: the kind of message <MID> on ticket N.
kind() {
	pd ticket show --json "$1" >t.json &&
	json_get t.json "\",\".join(m[\"kind\"] for m in d[\"messages\"] if m[\"message_id\"] == \"<$2>\")"
}

test_expect_success 'round-robin: tickets are offered in queue order, tier 1 first' '
	customer c1@x dana@customer.example core@example.org "VPN drops" "It drops." &&
	customer c2@x eve@customer.example core@example.org "Disk full" "Full." &&
	customer c3@x finn@customer.example core@example.org "Slow login" "Slow." &&
	test "$(owner 1)" = alice@example.org &&
	test "$(owner 2)" = bob@example.org &&
	test "$(owner 3)" = alice@example.org &&
	collect new &&
	test $(to new alice@example.org | wc -l) = 2 &&
	test $(to new bob@example.org | wc -l) = 1 &&
	test -z "$(to new carol@example.org)" &&
	test_grep "offered to you" "$(to new bob@example.org)" &&
	test_grep "It drops." "$(grep -l "#1\]" $(to new alice@example.org))" &&
	test -n "$(to new dana@customer.example)" &&
	pd ticket show --json 1 >t.json &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"assigned\"]" >ev &&
	test_grep "offered to alice@example.org (round-robin)" ev
'

test_expect_success '#refuse passes the ticket to the next member; the refuser goes to the back' '
	notice=$(grep -l "#1\]" $(to new alice@example.org)) &&
	member alice@example.org "$notice" r1@alice "#refuse busy with a migration" &&
	test "$(owner 1)" = bob@example.org &&
	json_get t.json "[(o[\"member\"], o[\"state\"], o[\"reason\"]) for o in d[\"offers\"]]" >offers &&
	echo "[('\''alice@example.org'\'', '\''refused'\'', '\''busy with a migration'\''), ('\''bob@example.org'\'', '\''offered'\'', None)]" >expect &&
	test_cmp expect offers &&
	collect refuse &&
	test_grep "busy with a migration" "$(to refuse alice@example.org)" &&
	test_grep "done" "$(to refuse alice@example.org)" &&
	test_grep "offered to you" "$(to refuse bob@example.org)" &&
	pd status >st && test_grep "group core (round-robin): carol@example.org, bob@example.org, alice@example.org" st &&
	customer c4@x gil@customer.example core@example.org "Printer" "Jammed." &&
	test "$(owner 4)" = bob@example.org &&
	collect t4
'

test_expect_success 'nobody is offered the same ticket twice: bob refuses too, carol (tier 2) gets it' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	member bob@example.org "$notice" r2@bob "#refuse" &&
	test "$(owner 1)" = carol@example.org &&
	collect refuse2 &&
	test_grep "offered to you" "$(to refuse2 carol@example.org)"
'

test_expect_success '#take: bob takes ticket 1 back from the pending offer to carol' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	member bob@example.org "$notice" r3@bob "#take" &&
	test "$(owner 1)" = bob@example.org && test "$(field 1 state)" = open &&
	json_get t.json "[(o[\"member\"], o[\"state\"]) for o in d[\"offers\"]]" >offers &&
	test_grep "('\''bob@example.org'\'', '\''taken'\'')" offers &&
	test_grep "('\''carol@example.org'\'', '\''withdrawn'\'')" offers &&
	collect take && test_grep "done" "$(to take bob@example.org)"
'

test_expect_success 'a member reply (from an alias) reaches the customer from the group, under the member name only' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	cat >reply.eml <<-EOF &&
	From: Bob at home <bob@home.example>
	To: $(reply_address "$notice")
	Subject: Re: VPN
	Message-ID: <r4@bob>
	MIME-Version: 1.0
	Content-Type: multipart/mixed; boundary=b

	--b
	Content-Type: text/plain

	Please update to 2.4.1, the patch is attached.

	> quoted
	--b
	Content-Type: text/x-diff; name=fix.diff
	Content-Disposition: attachment; filename=fix.diff

	--- a/vpn.c
	+++ b/vpn.c
	--b--
	EOF
	pd deliver <reply.eml &&
	collect reply &&
	mail=$(to reply dana@customer.example) && test -n "$mail" &&
	test "$(header "$mail" From)" = "Bob Example via Support <core@example.org>" &&
	test_grep "Please update to 2.4.1" "$mail" &&
	test_grep "filename=fix.diff" "$mail" &&
	! grep -i "bob@\|bob at home" "$mail" &&
	test "$(header "$mail" In-Reply-To)" = "<c1@x>" &&
	test "$(kind 1 r4@bob)" = member
'

test_expect_success '#cc pulls carol in as a collaborator; the customer gets nothing' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	member bob@example.org "$notice" r5@bob "#cc carol@example.org" &&
	pd ticket show --json 1 >t.json &&
	json_get t.json "[p[\"role\"] for p in d[\"participants\"] if p[\"address\"] == \"carol@example.org\"]" >role &&
	echo "['\''member'\'']" >expect && test_cmp expect role &&
	test "$(owner 1)" = bob@example.org &&
	collect cc &&
	test_grep "copied you in" "$(to cc carol@example.org)" &&
	test -z "$(to cc dana@customer.example)"
'

test_expect_success '#note is internal: carol is told, the customer is not' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	member bob@example.org "$notice" r6@bob "#note
The customer still runs the old kernel 4.19." &&
	collect note &&
	test_grep "old kernel 4.19" "$(to note carol@example.org)" &&
	test_grep "Internal note" "$(to note carol@example.org)" &&
	test -z "$(to note dana@customer.example)" &&
	test "$(kind 1 r6@bob)" = note
'

test_expect_success '#escalate hands ticket 2 to the next tier' '
	notice=$(grep -l "#2\]" $(to new bob@example.org)) &&
	member bob@example.org "$notice" r7@bob "#escalate" &&
	test "$(owner 2)" = carol@example.org && test "$(field 2 tier)" = 2 &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"escalated\"]" >ev &&
	test_grep "tier 1 -> 2" ev &&
	collect escalate &&
	test_grep "offered to you" "$(to escalate carol@example.org)"
'

test_expect_success 'a mail with a failing command changes nothing and says why' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	member bob@example.org "$notice" r8@bob "#priority urgent
#group nosuch

This must not reach the customer." &&
	test "$(field 1 priority)" = normal && test "$(field 1 group)" = core &&
	collect failing &&
	receipt=$(to failing bob@example.org) &&
	test_grep "there is no group '\''nosuch'\''" "$receipt" &&
	test_grep "Nothing was changed" "$receipt" &&
	test -z "$(to failing dana@customer.example)"
'

test_expect_success '#resolve: the ticket is resolved and the customer told' '
	notice=$(grep -l "#1\]" $(to refuse bob@example.org)) &&
	member bob@example.org "$notice" r9@bob "#resolve" &&
	test "$(field 1 state)" = resolved &&
	collect resolve && test -n "$(to resolve dana@customer.example)"
'

test_expect_success 'a forged member From on the plain address gets no command done' '
	printf "From: Bob Example <bob@example.org>\nTo: support@example.org\nSubject: Re: [Support #3] Slow login\nMessage-ID: <forged1@x>\n\n#resolve\n#group community\n" | pd deliver &&
	test "$(field 3 state)" = new && test "$(field 3 group)" = core &&
	test "$(kind 3 forged1@x)" = customer &&
	collect forged && test -z "$(to forged bob@example.org)"
'

test_expect_success 'a member token used by another sender is a customer mail' '
	notice=$(grep -l "#3\]" $(to new alice@example.org)) &&
	member mallory@evil.example "$notice" forged2@x "#resolve" &&
	test "$(field 3 state)" = new
'

test_expect_success 'manual group: the whole group is told, the first #take wins' '
	customer c5@x hal@customer.example community@example.org "Plugin question" "How?" &&
	test "$(owner 5)" = None &&
	collect manual &&
	test_grep "Nobody owns this ticket yet" "$(to manual erin@example.org)" &&
	member erin@example.org "$(to manual erin@example.org)" r10@erin "#take" &&
	test "$(owner 5)" = erin@example.org
'

test_expect_success 'least-loaded, by tier: carol (tier 2) before dave (tier 3)' '
	customer c6@x ivy@customer.example external@example.org "Integration" "API?" &&
	test "$(owner 6)" = carol@example.org &&
	collect external
'

test_expect_success 'with trusted_authserv_id a member also needs that server'\''s header' '
	notice=$(grep -l "#3\]" $(to new alice@example.org)) &&
	sed -i "s/^secret_file = secret/secret_file = secret\ntrusted_authserv_id = mx.example.org/" postdesk.conf &&
	member alice@example.org "$notice" a1@alice "#wait" &&
	test "$(field 3 state)" = new &&
	printf "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: alice@example.org\nTo: %s\nSubject: Re\nMessage-ID: <a2@alice>\n\n#wait\n" \
		"$(reply_address "$notice")" >a2.eml &&
	printf "Authentication-Results: mx.attacker.example; dkim=pass header.d=example.org\n" >a3.eml &&
	sed "s/<a2@alice>/<a3@alice>/" a2.eml | sed 1d >>a3.eml &&
	pd deliver <a3.eml && test "$(field 3 state)" = new &&
	pd deliver <a2.eml && test "$(field 3 state)" = waiting &&
	sed -i "/^trusted_authserv_id/d" postdesk.conf &&
	collect authres
'

test_expect_success 'operator: ticket create, assign, note, resolve' '
	echo "Called about the invoice." |
		pd ticket create --from jo@customer.example --name "Jo Caller" \
			--subject "Invoice" --group community >out &&
	test_grep "ticket 7 created" out &&
	pd ticket assign 7 erin@example.org && test "$(owner 7)" = erin@example.org &&
	pd ticket note 7 "Asked for the invoice number." &&
	pd ticket show --json 7 >t.json &&
	json_get t.json "[m[\"visible\"] for m in d[\"messages\"] if m[\"kind\"] == \"note\"]" >notes &&
	test_grep "Asked for the invoice number." notes &&
	pd ticket resolve 7 && test "$(field 7 state)" = resolved &&
	collect operator &&
	test -n "$(to operator jo@customer.example)" &&
	! grep -l "invoice number" $(to operator jo@customer.example) &&
	! pd ticket assign 7 nobody@example.org 2>err &&
	test_grep "nobody@example.org is not a member" err
'

test_expect_success 'offers not taken within offer_timeout (1h) pass on (run --once)' '
	customer c8@x kim@customer.example core@example.org "Backup" "Fails." &&
	first=$(owner 8) && test -n "$first" &&
	POSTDESK_NOW=2026-11-20T17:00:00Z pd run --once 2>err &&
	test_grep "timers: [0-9]* offers passed on" err &&
	second=$(owner 8) && test "$second" != "$first" && test "$second" != None &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"refused\"]" >ev &&
	test_grep "did not answer the offer in time" ev
'

test_expect_success 'filters route ten sample mails to the groups the rules say' '
	mkdir -p filters &&
	cat >filters/50-routing.rules <<-\EOF &&
	# product questions
	subject       /(?i)\b(plugin|theme)s?\b/      group=community
	from          /@partner\.example$/             group=external tier=3
	body          /(?i)\binvoice\b/                group=external tag=billing
	visible       /(?i)kernel panic/               group=core tier=2 priority=high
	list-id       /users\.lists\.example\.org/     group=community
	subject       /(?i)\burgent\b/                 priority=urgent
	subject       /(?i)webinar/                    cc=expert@consult.example
	header:X-Spam-Flag /^YES$/                     spam stop
	to            /^sales@/                        drop
	subject       /(?i)^out of office/             noack
	EOF
	pd check &&
	customer f1@x u1@customer.example support@example.org "Plugin crashes" "It crashes." &&
	customer f2@x u2@partner.example support@example.org "Integration" "Hi." &&
	customer f3@x u3@customer.example support@example.org "Question" "Where is my invoice?" &&
	customer f4@x u4@customer.example support@example.org "Server down" "Kernel panic at boot." &&
	customer f5@x u5@customer.example core@example.org "Theme question" "Colours?" &&
	customer f6@x u6@customer.example support@example.org "URGENT: login" "Help." &&
	customer f7@x u7@customer.example support@example.org "Webinar recording" "Link?" &&
	printf "X-Spam-Flag: YES\nFrom: u8@spam.example\nTo: support@example.org\nSubject: Win\nMessage-ID: <f8@x>\n\nMoney.\n" | pd deliver &&
	customer f9@x u9@customer.example sales@example.org "Offer" "Buy." &&
	printf "List-Id: Users <users.lists.example.org>\nFrom: u10@customer.example\nTo: support@example.org\nSubject: How do I\nMessage-ID: <f10@x>\n\nQuestion.\n" | pd deliver &&
	pd ticket list --json >list.json &&
	json_get list.json "\" \".join(\"%s:%s\" % (t[\"requester\"][\"address\"].split(\"@\")[0], t[\"group\"]) for t in d if t[\"id\"] > 8)" >groups &&
	echo "u1:community u2:external u3:external u4:core u5:core u6:core u7:core u10:community" >expect &&
	test_cmp expect groups &&
	test "$(field 10 tier)" = 3 && test "$(field 12 tier)" = 2 &&
	test "$(field 12 priority)" = high && test "$(field 14 priority)" = urgent &&
	pd ticket show --json 15 >t.json &&
	json_get t.json "[p[\"address\"] for p in d[\"participants\"] if p[\"role\"] == \"cc\"]" >cc &&
	test_grep expert@consult.example cc &&
	pd quarantine list >q && test_grep "spam by filter rule .*50-routing.rules:9" q &&
	test_grep "dropped by filter rule .*50-routing.rules:10" q &&
	collect filters &&
	test -z "$(to filters u8@spam.example)" && test -z "$(to filters u9@customer.example)"
'

test_expect_success 'filter test shows the rules that match and the outcome' '
	printf "From: u2@partner.example\nTo: support@example.org\nSubject: Urgent plugin bug\nMessage-ID: <ft@x>\n\nHi.\n" >ft.eml &&
	pd filter test ft.eml >out &&
	test_grep "^match: .*50-routing.rules:2: subject" out &&
	test_grep "^match: .*50-routing.rules:3: from" out &&
	test_grep "^match: .*50-routing.rules:7: subject" out &&
	test_grep "^outcome:  a ticket$" out &&
	test_grep "^group:    external" out &&
	test_grep "^priority: urgent" out
'

test_expect_success 'a broken rule: check and filter test name the file, line and offset' '
	printf "subject /(plugin/ group=community\nsubject /x/ group=nosuch\n" >filters/60-broken.rules &&
	{ pd check 2>err; test $? = 78; } &&
	test_grep "60-broken.rules:1: error at offset 7: missing closing parenthesis" err &&
	! pd filter test ft.eml 2>err &&
	test_grep "60-broken.rules:1: error at offset 7" err &&
	printf "From: x@customer.example\nTo: support@example.org\nSubject: s\nMessage-ID: <fb@x>\n\nx\n" >fb.eml &&
	{ pd deliver <fb.eml 2>err; test $? = 75; } &&
	sed -i 1d filters/60-broken.rules &&
	{ pd check 2>err; test $? = 78; } &&
	test_grep "60-broken.rules:1: unknown group '\''nosuch'\''" err &&
	rm filters/60-broken.rules
'

test_expect_success 'no mail to a customer shows a member address or an internal note' '
	collect end && n=0 &&
	for f in mail/*/*; do
		grep -q "^X-Postdesk-Rcpt: .*@customer.example" "$f" || continue
		n=$((n + 1))
		if grep -E "alice@|bob@|carol@|erin@|dave@|old kernel|invoice number|Internal note" "$f"; then
			echo "leak in $f"; false; return
		fi
	done &&
	test $n -ge 10
'


test_expect_success 'scan: every mail to a customer, for notes and other people'\''s addresses' '
	scan_member alice@example.org bob@example.org bob@home.example carol@example.org \
		dave@partner.example erin@example.org &&
	scan_customer dana@customer.example eve@customer.example finn@customer.example \
		hal@customer.example ivy@customer.example jo@customer.example kim@customer.example &&
	scan_secret "old kernel 4.19" "Asked for the invoice number." &&
	scan_customer_mail mail var/outbox
'
test_done
