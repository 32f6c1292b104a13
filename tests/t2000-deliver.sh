#!/bin/bash
# t2000: deliver and import: new tickets, follow-ups, duplicates, raw bytes
# kept, quarantine, and the exit codes an MTA relies on. Bad input is taken
# or quarantined whole, never dropped, never a crash.
. "$(dirname "$0")/lib.sh"
D="$DATA/ingest"

test_expect_success 'setup' 'setup_gateway'

test_expect_success 'deliver: a new mail becomes ticket 1' '
	pd deliver --recipient support@example.org <"$D/new.eml" 2>err &&
	test_grep "ticket 1: new" err &&
	pd ticket show 1 --json >t1.json &&
	test "$(json_get t1.json "d[\"state\"]")" = new &&
	test "$(json_get t1.json "d[\"subject\"]")" = "Printer driver crashes on start" &&
	test "$(json_get t1.json "d[\"requester\"][\"address\"]")" = carol@acme.example &&
	test "$(json_get t1.json "d[\"requester\"][\"name\"]")" = "Carol Chen" &&
	test "$(json_get t1.json "d[\"group\"]")" = core &&
	test "$(json_get t1.json "d[\"messages\"][0][\"message_id\"]")" = "<c1@acme.example>" &&
	test "$(json_get t1.json "d[\"messages\"][0][\"kind\"]")" = customer &&
	test "$(json_get t1.json "d[\"events\"][0][\"kind\"]")" = created
'

test_expect_success 'visible text drops the signature, full text keeps it' '
	json_get t1.json "d[\"messages\"][0][\"visible\"]" >vis &&
	json_get t1.json "d[\"messages\"][0][\"text\"]" >txt &&
	test_grep "Version 4.2" vis && test_grep -v "Carol Chen, ACME" vis &&
	test_grep "Carol Chen, ACME" txt
'

test_expect_success 'message raw gives the bytes back identical' '
	pd message raw 1 >raw && cmp raw "$D/new.eml"
'

test_expect_success 'the same mail again is a duplicate, stored once' '
	pd deliver <"$D/new.eml" 2>err && test_grep duplicate err &&
	test "$(sqlite3 var/postdesk.db "select count(*) from messages where direction=\"in\"")" = 1
'

test_expect_success 'the same mail with other trace headers is still a duplicate' '
	{ printf "Delivered-To: core@example.org\nReturn-Path: <carol@acme.example>\nReceived: from x by y; Fri, 20 Nov 2026 09:00:01 +0000\n"; cat "$D/new.eml"; } |
	pd deliver 2>err && test_grep duplicate err
'

test_expect_success 'a follow-up by In-Reply-To lands on ticket 1, quote hidden' '
	pd deliver <"$D/followup-refs.eml" 2>err && test_grep "ticket 1: follow-up" err &&
	pd ticket show 1 --json >t1.json &&
	test "$(json_get t1.json "len([m for m in d[\"messages\"] if m[\"direction\"] == \"in\"])")" = 2 &&
	test "$(json_get t1.json "d[\"messages\"][-1][\"visible\"]")" = "Here is the log you will ask for: segfault at 0x0."
'

test_expect_success 'a guessed subject tag threads but is unverified, sender not added' '
	pd deliver <"$D/stranger-tag.eml" &&
	pd ticket show 1 --json >t1.json &&
	test "$(json_get t1.json "d[\"messages\"][-1][\"verified\"]")" = False &&
	test "$(json_get t1.json "\",\".join(p[\"address\"] for p in d[\"participants\"])")" = carol@acme.example
'

test_expect_success 'an unrelated mail to a group address opens ticket 2 in that group' '
	pd deliver --recipient core@example.org <"$D/unrelated.eml" &&
	pd ticket show 2 --json >t2.json &&
	test "$(json_get t2.json "d[\"group\"]")" = core &&
	test "$(json_get t2.json "d[\"subject\"]")" = "Löschen von Konten" &&
	test "$(json_get t2.json "d[\"requester\"][\"address\"]")" = soren.hansen@kunde.example.de &&
	test "$(json_get t2.json "d[\"messages\"][0][\"attachments\"][0][\"filename\"]")" = screenshot.pdf &&
	json_get t2.json "d[\"messages\"][0][\"text\"]" >txt && test_grep "Wie lösche ich ein Konto" txt &&
	json_get t2.json "[p[\"address\"] for p in d[\"participants\"] if p[\"role\"]==\"cc\"]" >cc &&
	test_grep ops@kunde.example.de cc && test_grep -v support@example.org cc
'

test_expect_success 'ticket list and search' '
	pd ticket list >list && test_grep "^ *1  new" list && test_grep "^ *2  new" list &&
	pd ticket list --json >l.json && test "$(json_get l.json "[t[\"id\"] for t in d]")" = "[1, 2]" &&
	pd ticket search segfault --json >s.json && test "$(json_get s.json "[t[\"id\"] for t in d]")" = "[1]" &&
	pd ticket search "Konto" --json >s.json && test "$(json_get s.json "[t[\"id\"] for t in d]")" = "[2]"
'
test_expect_code 65 'a malformed search query is a data error' 'pd ticket search "\"unbalanced" 2>err'
test_expect_code 66 'ticket show of a missing ticket' 'pd ticket show 99'

# Bad input: each is taken or quarantined whole, exit 0, nothing dropped.
bad_input() {  # bad_input NAME: deliver stdin, expect 0, a stored message or a quarantine entry more
	local before after
	before=$(sqlite3 var/postdesk.db "select (select count(*) from messages where direction=\"in\")+(select count(*) from quarantine)")
	pd deliver 2>"err.$1" || { echo "exit $?"; cat "err.$1"; return 1; }
	after=$(sqlite3 var/postdesk.db "select (select count(*) from messages where direction=\"in\")+(select count(*) from quarantine)")
	[ "$after" = $((before + 1)) ] || { echo "not stored: $before -> $after"; cat "err.$1"; return 1; }
}

test_expect_success 'empty input is quarantined' '
	bad_input empty </dev/null && test_grep quarantined err.empty
'
test_expect_success 'binary garbage is quarantined whole' '
	head -c 65536 /dev/urandom >garbage && bad_input garbage <garbage &&
	id=$(sqlite3 var/postdesk.db "select max(id) from quarantine") &&
	pd quarantine show --raw "$id" >back && cmp back garbage
'
test_expect_success 'a header-only message is taken' 'bad_input ho <"$D/header-only.eml"'
test_expect_success 'a message without From is quarantined with the reason' '
	bad_input nofrom <"$D/no-from.eml" && pd quarantine list >q && test_grep "no sender" q
'
test_expect_success '8-bit headers and an unknown charset are decoded' '
	bad_input 8bit <"$D/bad-8bit-headers.eml" &&
	id=$(sqlite3 var/postdesk.db "select max(ticket_id) from messages") &&
	pd ticket show "$id" --json >t.json &&
	test "$(json_get t.json "d[\"subject\"]")" = "Grüße aus Köln" &&
	test "$(json_get t.json "d[\"requester\"][\"name\"]")" = "Jürgen Müller" &&
	json_get t.json "d[\"messages\"][0][\"text\"]" >txt && test_grep "café crème" txt
'
test_expect_success 'base64 with garbage is taken' 'bad_input b64 <"$D/base64-garbage.eml"'
test_expect_success 'a message nested 1,000 levels deep is quarantined fast' '
	"$PYTHON3" - >deep.eml <<-PY &&
	print("From: d@example.com\nTo: support@example.org\nSubject: deep\nMIME-Version: 1.0")
	for i in range(1000):
	    print("Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d" % (i, i))
	print("Content-Type: text/plain\n\nbottom")
	for i in reversed(range(1000)):
	    print("--b%d--" % i)
	PY
	start=$SECONDS && bad_input deep <deep.eml && test $((SECONDS - start)) -lt $((10 * TIME_SCALE)) &&
	pd quarantine list >q && test_grep "depth\|deep\|nest" q
'
test_expect_success 'a message with 10,000 parts is quarantined' '
	"$PYTHON3" - >parts.eml <<-PY &&
	print("From: p@example.com\nTo: support@example.org\nSubject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n")
	for i in range(10000):
	    print("--B\nContent-Type: text/plain\n\npart %d" % i)
	print("--B--")
	PY
	start=$SECONDS && bad_input parts <parts.eml && test $((SECONDS - start)) -lt $((10 * TIME_SCALE)) &&
	pd quarantine list >q && test_grep "part" q
'
test_expect_success 'an attachment over max_attachment_size is quarantined' '
	sed -i "/^\[limits\]/d" postdesk.conf &&
	printf "[limits]\nmax_attachment_size = 1M\nmax_message_size = 4M\nmax_quarantine_size = 8M\n" >>postdesk.conf &&
	"$PYTHON3" - >big.eml <<-PY &&
	import base64, os
	print("From: big@example.com\nTo: support@example.org\nSubject: big\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n")
	print("--B\nContent-Type: text/plain\n\nsee attachment\n--B\nContent-Type: application/octet-stream; name=\"x.bin\"\nContent-Transfer-Encoding: base64\n")
	print(base64.encodebytes(os.urandom(2*1024*1024)).decode())
	print("--B--")
	PY
	bad_input big <big.eml && pd quarantine list >q && test_grep "max_attachment_size\|attachment" q
'
test_expect_success 'a message over max_message_size is quarantined whole' '
	head -c 5000000 /dev/zero | tr "\0" "a" | fold -w 70 | { printf "From: huge@example.com\nSubject: huge\n\n"; cat; } >huge.eml &&
	bad_input huge <huge.eml && pd quarantine list >q && test_grep "max_message_size" q
'
test_expect_success 'the sender of the oversized mail is told why (rejected notice)' '
	pd queue --flush >/dev/null &&
	f=$(grep -l "^X-Postdesk-Rcpt: huge@example.com" var/outbox/new/*) && test -n "$f" &&
	test_grep "^Reason: message is [0-9]* bytes, over max_message_size" "$f" &&
	test_grep "^Auto-Submitted: auto-replied" "$f"
'
test_expect_code 65 'over max_quarantine_size: refused with 65 (the MTA bounces)' '
	head -c 9000000 /dev/zero | pd deliver 2>err
'
test_expect_success 'quarantine release after the limit is raised' '
	id=$(sqlite3 var/postdesk.db "select id from quarantine where reason like \"%max_message_size%\"") &&
	sed -i "s/^max_message_size = 4M/max_message_size = 7M/" postdesk.conf &&
	pd quarantine release "$id" >out && test_grep "released $id: ticket" out &&
	test "$(sqlite3 var/postdesk.db "select state from quarantine where id=$id")" = released
'
test_expect_success 'quarantine drop' '
	id=$(sqlite3 var/postdesk.db "select min(id) from quarantine where state=\"held\"") &&
	pd quarantine drop "$id" && pd quarantine list --all --json >q.json &&
	test "$(json_get q.json "[q[\"state\"] for q in d if q[\"id\"]==$id][0]")" = dropped
'

test_expect_code 75 'a locked database: 75, and the mail is not lost' '
	lock_database 8
	sed "s/c1@acme/locked@acme/" "$D/new.eml" | pd deliver 2>err; rc=$?
	unlock_database
	test_grep "locked\|busy" err >&2
	exit $rc
'
test_expect_success '... and delivered again later it is stored' '
	sed "s/c1@acme/locked@acme/" "$D/new.eml" | pd deliver 2>err && test_grep "new" err
'

test_expect_success 'a leading mbox From_ line (Postfix local pipe) is skipped' '
	{ echo "From carol@acme.example Fri Nov 20 09:00:00 2026"; sed "s/c1@acme/fromline@acme/" "$D/new.eml"; } | pd deliver 2>err &&
	test_grep new err
'

test_expect_success 'import: Maildir, mbox and .eml with the summary line' '
	rm -rf imp && mkdir -p imp/md/new imp/md/cur imp/md/tmp &&
	for i in 1 2 3; do sed "s/c1@acme/imp$i@acme/; s/Printer driver/Import $i/" "$D/new.eml" >imp/md/new/$i.eml; done &&
	{ for i in 4 5; do echo "From x@y Fri Nov 20 09:00:00 2026"; sed "s/c1@acme/imp$i@acme/; s/Printer driver/Import $i/" "$D/new.eml"; echo; done; } >imp/box.mbox &&
	cp "$D/new.eml" imp/dup.eml &&
	pd import imp/md imp/box.mbox imp/dup.eml >out &&
	test "$(cat out)" = "imported 6 messages: 5 new tickets, 0 follow-ups, 1 duplicates, 0 quarantined"
'
test_expect_success 'import again: all duplicates' '
	pd import imp/md imp/box.mbox >out &&
	test "$(cat out)" = "imported 5 messages: 0 new tickets, 0 follow-ups, 5 duplicates, 0 quarantined"
'
test_expect_code 66 'import of a missing path' 'pd import imp/nope 2>err'
test_done
