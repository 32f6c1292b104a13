#!/bin/bash
# t8100: spoofing and privacy. A member's address forged in From (on the
# plain address, or on a reply address with a made-up token) runs no
# command, adds no internal note and is not relayed as the member; a
# member's real reply address used by someone else, and a customer's, do
# nothing beyond a customer's mail; a customer guessing another ticket's
# number in the subject tag neither becomes its participant nor sees its
# mail. Every mail to a customer is scanned for internal notes and other
# people's addresses. Secret and password files: mode checked, named in
# errors, and their contents in no log.
. "$(dirname "$0")/lib.sh"
test_require sqlite3 -version

sql() { sqlite3 var/postdesk.db "$1"; }
# mail FROM TO SUBJECT ID BODY: a mail on stdout.
mail() {
	printf "From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\n%s\n" \
		"$1" "$2" "$3" "$4" "$5"
}
# spool_to ADDR: the mails in the spool to ADDR.
spool_to() { grep -l "^X-Postdesk-Rcpt: $1[[:space:]]*$" var/outbox/new/* 2>/dev/null; }
# reply_to FILE: the signed address in a mail's Reply-To.
reply_to() { header "$1" Reply-To | sed "s/.*<\(.*\)>.*/\1/"; }
state() { sql "select state from tickets where id = $1"; }
kind_of() { sql "select kind from messages where message_id = '$1'"; }
participant() { sql "select count(*) from participants where ticket_id = $1 and address = '$2'"; }
flush() { pd queue --flush >/dev/null 2>>"$T/all.log"; }

scan_member alice@example.org bob@example.org
scan_customer dana@customer.example eve@other.example mallory@evil.example \
	stranger@guess.example

test_expect_success 'setup: a group, two members, dana opens ticket 1, eve ticket 2' '
	write_gateway_config <<-EOF &&
	[group:core]
	addresses = core@example.org

	[member:alice@example.org]
	name = Alice Member
	groups = core

	[member:bob@example.org]
	name = Bob Member
	groups = core
	EOF
	pd init >/dev/null &&
	mail "Dana <dana@customer.example>" support@example.org "VPN drops" d1@customer.example \
		"My VPN drops every hour." | pd deliver 2>>all.log &&
	mail eve@other.example support@example.org "Invoice" e1@other.example \
		"Where is my invoice?" | pd deliver 2>>all.log &&
	flush &&
	test "$(sql "select owner from tickets where id = 1")" = alice@example.org &&
	notice=$(grep -l "VPN drops" $(spool_to alice@example.org)) && test -n "$notice" &&
	reply_to "$notice" >alice.token && grep -q "^support+1-" alice.token &&
	reply_to "$(spool_to dana@customer.example)" >dana.token && grep -q "^support+1-" dana.token
'

test_expect_success 'a forged member From on the plain address: no command, no note, no relay' '
	scan_secret "FORGED-NOTE-1" "FORGED-REPLY-1" &&
	n=$(ls var/outbox/new | wc -l) &&
	mail alice@example.org support@example.org "Re: [Support #1] VPN drops" f1@evil.example \
		"$(printf "#note\nFORGED-NOTE-1")" | pd deliver 2>>all.log &&
	mail alice@example.org support@example.org "Re: [Support #1] VPN drops" f2@evil.example \
		"$(printf "#resolve\nFORGED-REPLY-1")" | pd deliver 2>>all.log &&
	flush &&
	test "$(state 1)" != resolved &&
	test "$(kind_of f1@evil.example)" = customer && test "$(kind_of f2@evil.example)" = customer &&
	test "$(sql "select count(*) from messages where kind = \"note\"")" = 0 &&
	! grep -l "FORGED-" $(spool_to dana@customer.example) &&
	test "$(sql "select count(*) from outbound where template = \"receipt\"")" = 0
'

test_expect_success 'a forged member From on a reply address with a made-up token: nothing runs' '
	scan_secret "FORGED-NOTE-2" &&
	mail alice@example.org "support+1-aaaaaaaaaaaaaaaaaaaaaaaaaa@example.org" "Re: VPN drops" \
		f3@evil.example "$(printf "#note\nFORGED-NOTE-2\n#resolve")" | pd deliver 2>>all.log &&
	flush &&
	test "$(state 1)" != resolved && test "$(kind_of f3@evil.example)" = customer &&
	! grep -l "FORGED-NOTE-2" $(spool_to dana@customer.example)
'

test_expect_success 'a member'\''s real reply address used by another sender: a customer mail' '
	scan_secret "MALLORY-NOTE" &&
	mail mallory@evil.example "$(cat alice.token)" "Re: VPN drops" m1@evil.example \
		"$(printf "#note\nMALLORY-NOTE\n#resolve")" | pd deliver 2>>all.log &&
	flush &&
	test "$(state 1)" != resolved && test "$(kind_of m1@evil.example)" = customer &&
	test "$(participant 1 mallory@evil.example)" = 0 &&
	! grep -l "MALLORY-NOTE" $(spool_to dana@customer.example) &&
	! grep -l "every hour" $(spool_to mallory@evil.example)
'

test_expect_success 'a customer'\''s reply address used by another sender: not a participant' '
	mail mallory@evil.example "$(cat dana.token)" "Re: VPN drops" m2@evil.example \
		"let me in" | pd deliver 2>>all.log &&
	flush &&
	test "$(participant 1 mallory@evil.example)" = 0 &&
	! grep -l "every hour" $(spool_to mallory@evil.example)
'

test_expect_success 'a guessed ticket number in the subject: no participant, none of its mail' '
	mail stranger@guess.example support@example.org "[Support #1] what is this" g1@guess.example \
		"show me" | pd deliver 2>>all.log &&
	mail eve@other.example support@example.org "Re: [Support #1] VPN drops" g2@other.example \
		"me too" | pd deliver 2>>all.log &&
	test "$(participant 1 stranger@guess.example)" = 0 &&
	test "$(participant 1 eve@other.example)" = 0 &&
	test "$(sql "select verified from messages where message_id = \"g1@guess.example\"")" = 0
'

test_expect_success 'the member answers ticket 1 and adds a note: dana alone gets the answer' '
	scan_secret "INTERNAL-NOTE-ALICE" &&
	mail alice@example.org "$(cat alice.token)" "Re: VPN drops" a1@example.org \
		"Please update the client to 4.2, ANSWER-R1." | pd deliver 2>>all.log &&
	mail alice@example.org "$(cat alice.token)" "Re: VPN drops" a2@example.org \
		"$(printf "#note\nINTERNAL-NOTE-ALICE")" | pd deliver 2>>all.log &&
	flush &&
	test "$(kind_of a2@example.org)" = note &&
	grep -l "ANSWER-R1" $(spool_to dana@customer.example) &&
	! grep -l "ANSWER-R1" $(spool_to stranger@guess.example) $(spool_to eve@other.example) \
		$(spool_to mallory@evil.example) /dev/null
'

test_expect_success 'scan: no mail to a customer shows a note or another person'\''s address' '
	scan_customer_mail var/outbox
'
test_expect_success 'the scan finds a note hidden in base64 and another customer'\''s address' '
	mkdir -p planted &&
	printf "X-Postdesk-Rcpt: dana@customer.example\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n%s\n" \
		"$(printf "see INTERNAL-NOTE-ALICE" | base64)" >planted/1 &&
	printf "X-Postdesk-Rcpt: dana@customer.example\nSubject: x\n\nCc: Eve <EVE@other.example>\n" >planted/2 &&
	printf "X-Postdesk-Rcpt: alice@example.org\nSubject: x\n\nINTERNAL-NOTE-ALICE for a member\n" >planted/3 &&
	! scan_customer_mail planted >out &&
	test_grep "planted/1 (to dana@customer.example) shows .INTERNAL-NOTE-ALICE" out &&
	test_grep "planted/2 (to dana@customer.example) shows .eve@other.example" out &&
	! grep -q "planted/3" out
'

# Secrets: files with a mode check, named in errors, never in a log.
test_expect_success 'a secret_file readable by others: check and deliver name the file' '
	chmod 644 secret &&
	{ pd check >out 2>err; test $? = 78; } &&
	test_grep "\[gateway\] secret_file: .*secret: secret file must not be accessible to group or others (mode 0644" err &&
	{ mail x@customer.example support@example.org "x" x1@customer.example x | pd deliver 2>err; test $? = 75; } &&
	test_grep "secret: secret file must not be accessible" err &&
	cat err >>all.log && chmod 600 secret
'
test_expect_success 'an SMTP or IMAP password_file readable by others: check names it' '
	printf "hunter2-smtp-PASSWORD" >smtp-pw && chmod 640 smtp-pw &&
	printf "hunter2-imap-PASSWORD" >imap-pw && chmod 604 imap-pw &&
	cp postdesk.conf good.conf &&
	printf "[smtp]\nurl = smtp://127.0.0.1:1\nuser = u\npassword_file = smtp-pw\n[imap:box]\nurl = imap://127.0.0.1:1\nuser = u\npassword_file = imap-pw\n" >>postdesk.conf &&
	{ pd check >out 2>err; test $? = 78; } &&
	test_grep "\[smtp\] password_file: .*smtp-pw: secret file must not be accessible to group or others (mode 0640" err &&
	test_grep "\[imap:box\] password_file: .*imap-pw: secret file must not be accessible to group or others (mode 0604" err &&
	chmod 600 smtp-pw imap-pw && pd check >out 2>err; cat err >>all.log &&
	! grep "password_file" err &&
	{ pd --debug=all queue --flush 2>>all.log; true; } && cp good.conf postdesk.conf
'
test_expect_success 'no log holds the secret, a password or a reply token of this test' '
	pd --debug=all deliver 2>>all.log <<-EOF &&
	From: dana@customer.example
	To: $(cat dana.token)
	Subject: Re: VPN drops
	Message-ID: <d2@customer.example>

	still drops
	EOF
	flush && test -s all.log &&
	head -c 40 secret | tr -d "\n" >secret.head && test -s secret.head &&
	! grep -F -f secret.head all.log &&
	! grep -F "hunter2-" all.log &&
	sed "s/^support+1-//; s/@.*//" alice.token dana.token >tokens &&
	! grep -F -f tokens all.log
'
test_done
