#!/bin/bash
# t0100: config validation: every problem as FILE:LINE: message, exit 78,
# nothing written to the database.
. "$(dirname "$0")/lib.sh"

test_expect_success 'the shipped example config passes check' '
	cp "$top_srcdir/contrib/postdesk.conf.example" "$T/example.conf" &&
	"$POSTDESK" -c "$T/example.conf" check >out 2>err &&
	test_grep "OK" out
'

test_expect_success 'postdesk.conf(5) and the example config document exactly the keys config.c reads' '
	"$PD_TEST" config-keys >keys && test "$(wc -l <keys)" -gt 50 &&
	"$PYTHON3" "$top_srcdir/tests/config_keys.py" keys \
		"$top_srcdir/man/postdesk.conf.5" "$top_srcdir/contrib/postdesk.conf.example" &&
	grep -v "^webhook: max_age$" keys >fewer &&
	! "$PYTHON3" "$top_srcdir/tests/config_keys.py" fewer \
		"$top_srcdir/man/postdesk.conf.5" "$top_srcdir/contrib/postdesk.conf.example" >out &&
	test_grep "\[webhook:\] max_age is not a key config.c reads" out
'

test_expect_success 'a good config passes check' '
	setup_gateway && pd check >out && test_grep "postdesk.conf: OK" out
'

test_expect_success 'unknown section: error with its line' '
	check_broken "[gateway]
support_address = s@example.org

[frobnicate]
x = 1" "bad.conf:4: \[frobnicate\] unknown section"
'

test_expect_success 'missing required key: error with the section line' '
	check_broken "[gateway]
tag = Help" "bad.conf:1: \[gateway\] missing required key \"support_address\""
'

test_expect_success 'a tag that would break the subject header is refused' '
	check_broken "[gateway]
support_address = s@example.org
tag = Help [desk]" "bad.conf:3: \[gateway\] tag: must be 1 to 64 bytes"
'

test_expect_success 'missing [gateway]' '
	check_broken "[limits]
max_parts = 10" "missing required section \[gateway\]"
'

test_expect_success 'bad values: every problem reported, each with its line' '
	check_broken "[gateway]
support_address = not-an-address
log = loud
reopen_window = soon

[limits]
max_message_size = huge
max_mime_depth = 0

[group:core]
timezone = Mars/Olympus
hours = Mon-Fri 17:00-09:00
tier = 7
assign = lottery

[member:bob@example.org]
groups = nosuchgroup
capacity = -1" \
	"bad.conf:2: \[gateway\] support_address" \
	"bad.conf:3: \[gateway\] log: \"loud\" is not one of" \
	"bad.conf:4: \[gateway\] reopen_window" \
	"bad.conf:7: \[limits\] max_message_size" \
	"bad.conf:8: \[limits\] max_mime_depth" \
	"bad.conf:11: \[group:core\] timezone: unknown time zone" \
	"bad.conf:12: \[group:core\] hours" \
	"bad.conf:13: \[group:core\] tier" \
	"bad.conf:14: \[group:core\] assign" \
	"bad.conf:18: \[member:bob@example.org\] capacity"
'

test_expect_success 'references to missing sections' '
	check_broken "[gateway]
support_address = s@example.org
default_group = nope

[member:bob@example.org]
groups = nosuchgroup

[org:acme.example]
plan = gold" \
	"bad.conf:3: \[gateway\] default_group: no \[group:nope\]" \
	"bad.conf:6: \[member:bob@example.org\] groups: no \[group:nosuchgroup\]" \
	"bad.conf:9: \[org:acme.example\] plan: no \[plan:gold\]"
'

test_expect_success 'syntax errors carry their line' '
	check_broken "[gateway]
support_address = s@example.org
this line has no equals sign
[broken" "bad.conf:3: expected \"key = value\"" "bad.conf:4: malformed section header"
'

test_expect_success 'unknown key is a warning, not an error' '
	printf "[gateway]\nsupport_address = s@example.org\ncolour = blue\n" >"$T/warn.conf" &&
	"$POSTDESK" -c "$T/warn.conf" check >out 2>err &&
	test_grep "warn.conf:3: \[gateway\] colour: unknown key" err
'

test_expect_success 'trailing comments after values are ignored' '
	printf "[gateway]\nsupport_address = s@example.org   # where customers write\ntag = Help # subject tag\n" >"$T/c.conf" &&
	"$POSTDESK" -c "$T/c.conf" check >out 2>err && test_grep OK out
'

test_expect_success 'smtp tls = none only for loopback' '
	check_broken "[gateway]
support_address = s@example.org
[smtp]
url = smtp://mail.example.org:25
tls = none" "bad.conf:5: \[smtp\] tls: \"none\" is only allowed for a loopback"
'

test_expect_success 'a broken config writes nothing: no database appears' '
	printf "[gateway]\nsupport_address = nope\ndatabase = fresh.db\n" >"$T/b.conf" &&
	for c in init "ticket list" "import /dev/null"; do
		"$POSTDESK" -c "$T/b.conf" $c 2>err; rc=$?
		[ $rc = 78 ] || { echo "$c: exit $rc"; exit 1; }
		test_grep "b.conf:2:" err || exit 1
	done &&
	! test -e "$T/fresh.db"
'

test_expect_success 'deliver with a broken config: 75 so the MTA retries' '
	printf "[gateway]\nsupport_address = nope\n" >"$T/b.conf" &&
	echo "Subject: x" | "$POSTDESK" -c "$T/b.conf" deliver 2>err; test $? = 75 &&
	test_grep "b.conf:2:" err
'

test_expect_success 'secret file readable by others is a problem' '
	setup_gateway && chmod 644 "$T/secret" &&
	{ pd check 2>err; test $? = 78; } && test_grep "secret_file: .*chmod 600" err &&
	chmod 600 "$T/secret"
'
test_expect_success 'check reports a broken template with FILE:LINE' '
	setup_gateway && mkdir -p templates &&
	printf "From: {{gateway.support_address}}\nSubject: {{ticket.subjekt}}\n\nHello {{#ticket.id}}\n" >templates/ack.tmpl &&
	{ pd check 2>err; test $? = 78; } &&
	test_grep "templates/ack.tmpl:[0-9]*:" err &&
	rm -r templates && pd check >out && test_grep OK out
'
test_done
