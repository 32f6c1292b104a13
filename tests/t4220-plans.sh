#!/bin/bash
# t4220: what a plan reaches. [plan:gold] reaches the core group only, up
# to tier 2, with emergency engagement; [plan:plain] is the default. A
# ticket outside the plan's groups is not covered (the over-quota answer,
# a not-covered event); #tier beyond max_tier is refused in the receipt;
# "URGENT" in a gold customer's subject makes the ticket urgent and tells
# the whole group, while a plain customer's stays normal.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: two groups, a gold and a plain plan' '
	setup_gateway &&
	write_gateway_config <<-EOF &&
	[group:core]
	addresses = core@example.org
	offer_timeout = 0

	[group:enterprise]
	addresses = enterprise@example.org

	[plan:gold]
	groups = core
	max_tier = 2
	engagement = emergency

	[plan:plain]

	[org:acme.example]
	plan = gold

	[org:plain.example]
	plan = plain

	[member:alice@example.org]
	groups = core
	digest = off

	[member:bob@example.org]
	groups = core
	digest = off

	[member:carol@example.org]
	groups = core
	tier = 3
	digest = off

	[member:dave@example.org]
	groups = enterprise
	digest = off
	EOF
	pd check
'

field() { pd ticket show --json "$1" >t.json && json_get t.json "d[\"$2\"]"; }
events() {
	pd ticket show --json "$1" >t.json &&
	json_get t.json "[e[\"detail\"] for e in d[\"events\"] if e[\"kind\"] == \"$2\"]"
}
# mail MID FROM TO SUBJECT: a customer's mail.
mail() {
	printf "From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n\nHelp.\n" "$2" "$3" "$4" "$1" |
	POSTDESK_NOW=2026-11-20T10:00:00Z pd deliver
}

test_expect_success 'a group the plan does not reach: not covered, over-quota answer' '
	mail n1@x user@acme.example enterprise@example.org "Billing question" &&
	test "$(field 1 group)" = enterprise &&
	test "$(field 1 priority)" = low &&
	events 1 not-covered >ev &&
	test_grep "group enterprise is not in plan gold of acme.example; priority low" ev &&
	test "$(events 1 over-quota)" = "[]" &&
	collect covered &&
	answer=$(to covered user@acme.example) && test -n "$answer" &&
	test_grep "support plan does not include" "$answer" &&
	test_grep "(reason: not-covered)" "$answer" &&
	! grep -q "opened ticket" "$answer"
'

test_expect_success 'emergency plan: URGENT in the subject, every member is told' '
	mail u1@x user@acme.example core@example.org "URGENT: the database is down" &&
	test "$(field 2 priority)" = urgent &&
	events 2 created >ev &&
	test_grep "urgent by subject (plan gold: emergency)" ev &&
	test "$(events 2 not-covered)" = "[]" &&
	collect urgent &&
	owner=$(field 2 owner) && test -n "$owner" &&
	for m in alice bob carol; do
		f=$(to urgent $m@example.org) && test -n "$f" &&
		test_grep "Priority: urgent" "$f" &&
		test_grep "Plan:     gold (emergency)" "$f" || return 1
	done &&
	test_grep "offered to you" "$(to urgent $owner)" &&
	test $(grep -l "whole group is told" mail/urgent/* | wc -l) = 2 &&
	test -z "$(to urgent dave@example.org)"
'

test_expect_success 'a plain plan: the same subject stays normal, one member is told' '
	mail p1@x user@plain.example core@example.org "URGENT: the database is down" &&
	test "$(field 3 priority)" = normal &&
	collect plain &&
	test $(grep -l "^X-Postdesk-Rcpt: .*@example.org" mail/plain/* | wc -l) = 1 &&
	test_grep "Plan:     plain (mail)" "$(grep -l "offered to you" mail/plain/*)"
'

# reply FROM FILE ID TEXT: FROM answers the notice FILE by its signed address.
reply() {
	printf "From: %s\nTo: %s\nSubject: Re: %s\nMessage-ID: <%s>\nIn-Reply-To: %s\n\n%s\n" \
		"$1" "$(header "$2" Reply-To | sed "s/.*<\(.*\)>.*/\1/")" \
		"$(header "$2" Subject)" "$3" "$(header "$2" Message-ID)" "$4" |
	POSTDESK_NOW=2026-11-20T10:05:00Z pd deliver
}

test_expect_success '#tier beyond max_tier is refused in the receipt; up to it works' '
	owner=$(field 2 owner) &&
	reply $owner "$(to urgent $owner)" t1@m "#tier 3" &&
	test "$(field 2 tier)" = 1 &&
	collect tier3 &&
	test_grep "plan gold reaches tier 2 at most" "$(to tier3 $owner)" &&
	reply $owner "$(to urgent $owner)" t2@m "#tier 2" &&
	test "$(field 2 tier)" = 2 &&
	reply $owner "$(to urgent $owner)" t3@m "#escalate" &&
	test "$(field 2 tier)" = 2 &&
	collect escalate &&
	grep -l "plan gold reaches tier 2 at most" $(to escalate $owner) >refused &&
	test $(wc -l <refused) = 1
'

test_expect_success 'a plain plan reaches every tier' '
	owner=$(field 3 owner) &&
	reply $owner "$(grep -l "offered to you" mail/plain/*)" t4@m "#tier 3" &&
	test "$(field 3 tier)" = 3
'

test_expect_success 'check: an unknown group in a plan, with its line' '
	cp postdesk.conf good.conf &&
	sed "/^\[plan:gold\]/,/^\[/s/^groups = core\$/groups = core; nosuch/" good.conf >postdesk.conf &&
	line=$(grep -n "^groups = core; nosuch" postdesk.conf | cut -d: -f1) &&
	{ pd check 2>err; test $? = 78; } &&
	test $(grep -c "nosuch" err) = 1 &&
	test_grep "postdesk.conf:$line: \[plan:gold\] groups: no \[group:nosuch\] section" err &&
	cp good.conf postdesk.conf
'

test_done
