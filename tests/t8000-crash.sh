#!/bin/bash
# t8000: crash safety. A generated corpus goes in through deliver, import
# and LMTP while the process taking it is killed with SIGKILL, at every
# crash point in turn (POSTDESK_CRASH_AT=1, 2, ...) and at random moments,
# and restarted until everything is in. Then, compared with the corpus:
# every message accepted (deliver exit 0, LMTP 250, counted by import) is
# stored exactly once; every queued mail is in the spool at least once
# and at most twice (a mail whose sending was interrupted twice is kept
# back "in doubt" for an operator, and said so); every webhook delivery
# reaches the receiver at least once and at most twice. Also: the
# database locked by another process and the disk full make deliver exit
# 75 and leave nothing half-written; afterwards the same mail is stored.
#
# Quick by default (a small corpus, for make check). CRASH_LONG=1 (or
# bench/crash.sh) uses a larger corpus and many more random kills.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/servers/http-sink.sh"
test_require sqlite3 -version
test_require "$PYTHON3" -c 'import smtplib'
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY

if [ -n "${CRASH_LONG:-}" ]; then
	N=${CRASH_N:-300} ROUNDS=${CRASH_ROUNDS:-60}
else
	N=${CRASH_N:-15} ROUNDS=${CRASH_ROUNDS:-6}
fi
say "# corpus of $N messages, $ROUNDS random kills per random-kill test"

"$PYTHON3" "$top_srcdir/bench/gen-corpus.py" "$N" corpus 8000 --rtname Support \
	--to support@example.org --attach-kb 20 >/dev/null || exit 99
cut -f8 corpus/manifest.tsv | sed 1d | tr -d '<>' | sort >corpus.ids
ls corpus/*.eml >corpus.files

start_http_sink || exit 99
(umask 077 && printf 'a webhook secret of the crash test\n' >"$T/hook.secret")

# gateway DIR: a gateway of its own in DIR (config DIR/postdesk.conf, the
# database and the spool in DIR/var), with a webhook to the sink's /DIR.
gateway() {
	mkdir -p "$1" &&
	write_gateway_config "$1/postdesk.conf" <<-EOF &&
	[limits]
	auto_replies_per_hour = 1000

	[group:core]
	addresses = core@example.org

	[lmtp]
	listen = unix:var/lmtp.sock

	[webhook:$1]
	url = http://127.0.0.1:$HTTP_PORT/$1
	tls = none
	events = created; message
	secret_file = $T/hook.secret
	EOF
	"$POSTDESK" -c "$1/postdesk.conf" init >/dev/null
}
# at DIR CMD...: postdesk on the gateway in DIR.
at() { local d=$1; shift; "$POSTDESK" -c "$T/$d/postdesk.conf" "$@"; }

# random_sleep ROUND: sleep a random time up to 0.2 s + ROUND * 0.05 s, so
# that a kill loop comes to an end on a slow machine too; times TIME_SCALE,
# or under valgrind the process would be killed before it got anywhere.
random_sleep() {
	local ms=$((RANDOM * 32768 + RANDOM))
	ms=$((ms % ((200 + $1 * 50) * TIME_SCALE)))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}

# crash_each INPUT DIR CMD...: run postdesk CMD on DIR's gateway with
# POSTDESK_CRASH_AT=1, 2, ... (stdin from INPUT) until a run is not
# killed; its exit code is returned, the kills are counted in ./kills.
crash_each() {
	local input=$1 dir=$2 n=1 rc
	shift 2
	while :; do
		POSTDESK_CRASH_AT=$n at "$dir" "$@" <"$input" >last.out 2>last.err
		rc=$?
		[ $rc = 137 ] || return $rc
		grep -q "crash point $n " last.err || { echo "killed, but not at point $n"; cat last.err; return 1; }
		echo "$n" >>kills
		n=$((n + 1))
		[ $n -le 500 ] || { echo "still killed at crash point 500"; return 1; }
	done
}

# stored DIR: the Message-IDs of the mail stored as received, sorted, a
# duplicate twice (so test_cmp with corpus.ids shows lost and doubled).
stored() {
	sqlite3 "$1/var/postdesk.db" "select message_id from messages where direction = 'in'" | sort
}

# spool_check DIR: every mail queued in DIR's database is in its spool once
# or twice, or was kept back in doubt (failed, for queue --retry: it may be
# in the spool 0, 1 or 2 times); none is in the spool three times. Prints
# "queued Q: once A, twice B, in doubt D (in the spool N,... times)".
spool_check() {
	sqlite3 -separator ' ' "$1/var/postdesk.db" \
		"select message_id, state, in_doubt from outbound" >queued &&
	"$PYTHON3" - "$1/var/outbox" queued <<-\PY
	import email, email.policy, os, sys
	from collections import Counter
	seen = Counter()
	for sub in ("new", "cur"):
	    d = os.path.join(sys.argv[1], sub)
	    for f in os.listdir(d) if os.path.isdir(d) else []:
	        with open(os.path.join(d, f), "rb") as fh:
	            m = email.message_from_binary_file(fh, policy=email.policy.compat32)
	        seen[m["Message-ID"].strip().strip("<>")] += 1
	once = twice = doubt = bad = 0
	doubt_copies = []
	for line in open(sys.argv[2]):
	    mid, state, in_doubt = line.split()
	    n = seen.pop(mid, 0)
	    if state == "failed" and in_doubt == "1" and n <= 2:
	        doubt += 1; doubt_copies.append(str(n))
	    elif state != "sent" or n not in (1, 2):
	        print("mail <%s>: state %s, in the spool %d times" % (mid, state, n)); bad += 1
	    elif n == 1:
	        once += 1
	    else:
	        twice += 1
	for mid, n in seen.items():
	    print("in the spool but not queued: <%s>" % mid); bad += 1
	print("queued %d: once %d, twice %d, in doubt %d%s" % (once + twice + doubt + bad, once, twice,
	      doubt, " (in the spool %s times)" % ",".join(doubt_copies) if doubt else ""))
	sys.exit(1 if bad else 0)
	PY
}

# hooks_check DIR: every webhook delivery of DIR's database reached the
# sink (path /DIR) once or twice, or failed in doubt.
hooks_check() {
	sqlite3 -separator ' ' "$1/var/postdesk.db" \
		"select delivery_id, state, in_doubt from webhook_deliveries" >deliveries &&
	for f in $(http_requests); do
		tr -d '\r' <"$f" | grep -q "^POST /$1 " && http_header "$f" X-Postdesk-Delivery
	done | sort | uniq -c >received &&
	awk -v dir="$1" '
		FILENAME == ARGV[1] { n[$2] = $1; next }
		{ c = n[$1] + 0; delete n[$1]
		  if ($2 == "failed" && $3 == 1 && c <= 2) doubt++
		  else if ($2 != "sent" || c < 1 || c > 2) { print "delivery " $1 ": " $2 ", received " c " times"; bad++ }
		  else if (c == 1) once++; else twice++ }
		END { for (d in n) { print "received but not queued: " d; bad++ }
		      printf "deliveries %d: once %d, twice %d, in doubt %d\n", once + twice + doubt + bad, once, twice, doubt
		      exit bad > 0 }' received deliveries
}

test_expect_success 'setup: the corpus and three gateways' '
	test "$(wc -l <corpus.ids)" = "$N" && test "$(sort -u corpus.ids | wc -l)" = "$N" &&
	gateway dlv && gateway imp && gateway lmt
'

# deliver: each message is killed at every crash point on its way in, in
# turn, and redelivered, as an MTA would, until deliver exits 0. Every
# third message, run --once (the queue and the webhooks) is killed at the
# next point of its own, then restarted to the end.
test_expect_success 'deliver and run killed at every crash point: each message stored once' '
	: >kills && i=0 && runat=0 &&
	while read -r f; do
		crash_each "$f" dlv deliver || { echo "$f: exit $? (expected 0)"; cat last.err; exit 1; }
		i=$((i + 1))
		if [ $((i % 3)) = 0 ]; then
			runat=$((runat + 1))
			POSTDESK_CRASH_AT=$runat at dlv run --once </dev/null >/dev/null 2>&1
			at dlv run --once </dev/null >/dev/null 2>run.err || { cat run.err; exit 1; }
		fi
	done <corpus.files &&
	at dlv run --once >/dev/null 2>run.err || { cat run.err; exit 1; }
	echo "$(wc -l <kills) kills of deliver, $runat runs killed" &&
	stored dlv >ids && test_cmp corpus.ids ids
'
test_expect_success 'deliver: every ack in the spool once or twice' '
	spool_check dlv >out; rc=$?; cat out; test $rc = 0 &&
	test "$(sqlite3 dlv/var/postdesk.db "select count(*) from outbound")" -gt 0
'
test_expect_success 'deliver: every webhook delivery received once or twice' '
	hooks_check dlv >out; rc=$?; cat out; test $rc = 0 &&
	test "$(sqlite3 dlv/var/postdesk.db "select count(*) from webhook_deliveries")" -gt 0
'

# import: batches of 4, killed at every point; the run that is not killed
# counts the whole corpus (what earlier runs committed as duplicates).
test_expect_success 'import killed at every crash point: each message stored once, all counted' '
	: >kills &&
	crash_each /dev/null imp import --batch 4 $(cat corpus.files) || { cat last.err; exit 1; }
	echo "$(wc -l <kills) kills of import" && test "$(wc -l <kills)" -ge 2 &&
	test_grep "^imported $N messages" last.out &&
	stored imp >ids && test_cmp corpus.ids ids
'
test_expect_success 'import killed at random moments until it finishes' '
	gateway imp2 && rounds=0 &&
	while :; do
		"$POSTDESK" -c "$T/imp2/postdesk.conf" import --batch 3 $(cat corpus.files) \
			>last.out 2>last.err &
		pid=$!
		random_sleep $rounds && kill -KILL $pid 2>/dev/null
		wait $pid; rc=$?
		[ $rc = 0 ] && break
		[ $rc = 137 ] || { echo "import exit $rc"; cat last.err; exit 1; }
		rounds=$((rounds + 1)) && [ $rounds -lt $((ROUNDS * 10)) ] || { echo "never finished"; exit 1; }
	done &&
	echo "killed $rounds times" && test_grep "^imported $N messages" last.out &&
	stored imp2 >ids && test_cmp corpus.ids ids
'

# LMTP: the daemon (LMTP, queue, webhooks) is killed at random moments
# while a client sends the corpus; the client resends whatever was not
# answered 250, as an MTA does, and notes what was. Run in the background:
# exec, so that killing $! stops the client, not a subshell around it.
lmtp_client() {
	exec "$PYTHON3" -u - "$T/lmt/var/lmtp.sock" accepted <<-\PY
	import smtplib, sys, time
	sock, log = sys.argv[1], open(sys.argv[2], "a")
	files = [l.strip() for l in open("corpus.files")]
	i = c = 0
	while i < len(files):
	    try:
	        if c is None or c == 0:
	            c = smtplib.LMTP(sock)
	        c.sendmail("mta@example.net", ["support@example.org"], open(files[i], "rb").read())
	        log.write(files[i] + "\n"); log.flush(); i += 1
	    except (OSError, smtplib.SMTPException):
	        c = None; time.sleep(0.05)
	PY
}
test_expect_success 'LMTP daemon killed at random moments: what was answered 250 is stored once' '
	: >accepted && lmtp_client & client=$! &&
	kills=0 &&
	while kill -0 $client 2>/dev/null; do
		"$POSTDESK" -c "$T/lmt/postdesk.conf" run </dev/null >/dev/null 2>>run.log &
		pid=$!
		random_sleep $kills
		kill -KILL $pid 2>/dev/null && kills=$((kills + 1))
		wait $pid
		[ $kills -lt $((ROUNDS * 20)) ] || { echo "client not done"; kill $client; exit 1; }
	done &&
	wait $client &&
	echo "daemon killed $kills times" &&
	test "$(wc -l <accepted)" = "$N" &&
	at lmt run --once >/dev/null 2>run.err || { cat run.err; exit 1; }
	stored lmt >ids && test_cmp corpus.ids ids
'
test_expect_success 'LMTP: every ack once or twice (or in doubt), every webhook delivery too' '
	spool_check lmt >out; rc=$?; cat out; test $rc = 0 &&
	hooks_check lmt >out; rc=$?; cat out; test $rc = 0
'

# lmtp_once FILE: one try at sending FILE (the socket awaited); prints
# "250" or what went wrong.
lmtp_once() {
	"$PYTHON3" - "$T/lmt/var/lmtp.sock" "$1" <<-\PY
	import smtplib, sys, time
	for _ in range(400):
	    try:
	        c = smtplib.LMTP(sys.argv[1]); break
	    except OSError:
	        time.sleep(0.05)
	try:
	    c.sendmail("mta@example.net", ["support@example.org"], open(sys.argv[2], "rb").read())
	    print("250")
	except (OSError, smtplib.SMTPException) as e:
	    print("lost:", type(e).__name__)
	PY
}
# one_mail NAME: a message from NAME@example.com with Message-ID <NAME@example.com>.
one_mail() {
	printf "From: %s@example.com\r\nTo: support@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\nhello\r\n" "$1" "$1" "$1" >"$1.eml"
}
# crash_at POINT NAME: a daemon that dies at POINT, NAME.eml sent to it
# once (the answer in NAME.first); returns the daemon's exit status.
crash_at() {
	POSTDESK_CRASH_AT=$1 "$POSTDESK" -c "$T/lmt/postdesk.conf" run </dev/null >/dev/null 2>crash.log &
	local pid=$!
	lmtp_once "$2.eml" >"$2.first"; wait $pid
}
# count_of NAME: how often NAME's message is stored.
count_of() {
	sqlite3 lmt/var/postdesk.db "select count(*) from messages where message_id = '$1@example.com'"
}
test_expect_success 'LMTP: killed after the commit, before the 250: the resend is a duplicate' '
	one_mail late && { crash_at lmtp-committed late; rc=$?; }
	"$POSTDESK" -c "$T/lmt/postdesk.conf" run </dev/null >/dev/null 2>>run.log &
	pid=$!
	lmtp_once late.eml >second; kill -TERM $pid; wait $pid
	at lmt run --once >/dev/null 2>run.err || { cat run.err; exit 1; }
	echo "killed: $rc; first try: $(cat late.first), second: $(cat second)" &&
	test $rc = 137 && test_grep "crash point .*lmtp-committed" crash.log &&
	test_grep lost late.first && test "$(cat second)" = 250 && test "$(count_of late)" = 1
'
# The batch's acks are kept in its transaction (run's sender writes them):
# queue --flush writes what a killed run left.
test_expect_success 'LMTP: killed after a batch became tickets, before it left the incoming queue: taken again as duplicates, the kept ack written once' '
	one_mail twice && { crash_at drain-committed twice; rc=$?; }
	at lmt status >st.before &&
	at lmt queue --flush >/dev/null && at lmt status >st.after &&
	test "$(grep -l "twice@example.com" lmt/var/outbox/new/* | wc -l)" = 1 &&
	at lmt run --once >/dev/null 2>run.err || { cat run.err; exit 1; }
	echo "killed: $rc; answer: $(cat twice.first)" &&
	test $rc = 137 && test_grep "crash point .*drain-committed" crash.log &&
	test_grep "^acks: 1 to write" st.before && test_grep "^acks: 0 to write" st.after &&
	test "$(cat twice.first)" = 250 && test "$(count_of twice)" = 1 &&
	test "$(sqlite3 lmt/var/postdesk-incoming.db "select count(*) from incoming")" = 0 &&
	test "$(grep -l "twice@example.com" lmt/var/outbox/new/* | wc -l)" = 1
'

test_expect_success 'a kept ack that cannot be rendered (over max_template_output) stays kept and visible, and is written later' '
	one_mail capped && { crash_at drain-committed capped; rc=$?; } && test $rc = 137 &&
	sed "s/^auto_replies_per_hour = 1000$/&\nmax_template_output = 64/" lmt/postdesk.conf >lmt/small.conf &&
	"$POSTDESK" -c "$T/lmt/small.conf" queue --flush >/dev/null 2>warn &&
	test_grep "notice [0-9]* (ack to capped@example.com) stays unwritten: .*" warn &&
	at lmt status >st && test_grep "^acks: 1 to write" st &&
	test "$(grep -l "capped@example.com" lmt/var/outbox/new/* | wc -l)" = 0 &&
	at lmt queue --flush >/dev/null && at lmt status >st && test_grep "^acks: 0 to write" st &&
	test "$(grep -l "capped@example.com" lmt/var/outbox/new/* | wc -l)" = 1 &&
	at lmt run --once >/dev/null 2>&1 && test "$(count_of capped)" = 1
'

test_expect_success 'database locked by another process: deliver exits 75, later the mail is stored' '
	gateway lck && f=$(head -n 1 corpus.files) &&
	lock_database 8 "$T/lck/var/postdesk.db" &&
	{ at lck deliver <"$f" 2>err; rc=$?; } &&
	unlock_database && test $rc = 75 && test_grep "locked\|busy" err &&
	test "$(stored lck | wc -l)" = 0 &&
	at lck deliver <"$f" && test "$(stored lck | wc -l)" = 1
'

# Disk full: var/ on a 2 MiB tmpfs (needs root and mount). A filler takes
# the free space; deliver must exit 75, the database stay intact and
# nothing be stored; the queue flush defers and leaves no spool file
# behind. With the filler gone, the same mail is stored and sent.
disk_full_possible() {
	mkdir -p full/var && mount -t tmpfs -o size=2m,mode=0755 tmpfs full/var 2>/dev/null
}
if disk_full_possible; then
	trap 'umount "$T/full/var" 2>/dev/null; cleanup' EXIT
	test_expect_success 'disk full: deliver exits 75, nothing half-written; after space is freed it is stored' '
		sed "/^\[webhook:/,\$d" dlv/postdesk.conf >full/postdesk.conf &&
		at full init >/dev/null &&
		sed -n 2,3p corpus.files | while read -r f; do at full deliver <"$f" || exit 1; done &&
		{ dd if=/dev/zero of=full/var/filler bs=4k 2>/dev/null; true; } &&
		f=$(sed -n 1p corpus.files) &&
		{ at full deliver <"$f" 2>err; rc=$?; } && test $rc = 75 &&
		echo "deliver: $(tail -n 1 err)" &&
		test "$(sqlite3 full/var/postdesk.db "pragma integrity_check")" = ok &&
		test "$(stored full | wc -l)" = 2 &&
		{ dd if=/dev/zero of=full/var/filler2 bs=1k 2>/dev/null; true; } &&
		{ at full queue --flush >flush.out 2>flush.err; true; } &&
		echo "flush: $(cat flush.out flush.err | tail -n 1)" &&
		test -z "$(ls full/var/outbox/tmp)" && test -z "$(ls full/var/outbox/new)" &&
		rm full/var/filler full/var/filler2 &&
		at full deliver <"$f" && test "$(stored full | wc -l)" = 3 &&
		test "$(sqlite3 full/var/postdesk.db "pragma integrity_check")" = ok &&
		POSTDESK_NOW=2026-11-20T18:00:00Z at full queue --flush >/dev/null &&
		spool_check full
	'
	umount full/var
	trap cleanup EXIT
else
	say "# skip: disk full (cannot mount a tmpfs here; needs root)"
fi

stop_http_sink
test_done
