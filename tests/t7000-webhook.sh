#!/bin/bash
# t7000: webhooks against a real HTTP receiver on 127.0.0.1 (Python's
# http.server, tests/servers/http-sink.py): what postdesk check refuses;
# events that arrive signed, checked by the very script postdesk.conf(5)
# shows; nothing lost while the receiver is down, one connection for
# all; nothing more than twice across SIGKILLs of the sender; retries on
# 500 and none on 400, failures visible and retryable; the group and note
# filters; postdesk webhook test; timeouts, long answers and TLS
# verification.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/servers/http-sink.sh"
test_require openssl version
# libcurl honours proxy variables; these requests stay on loopback.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY

start_http_sink

for s in crm chat ops; do (umask 077 && openssl rand -hex 32 >"$T/$s.secret"); done
hook() {  # hook NAME EVENTS SECRET [LINE...]: [webhook:NAME] for the sink's /NAME
	printf "[webhook:%s]\nurl = http://127.0.0.1:%s/%s\ntls = none\nevents = %s\nsecret_file = %s\n" \
		"$1" "$HTTP_PORT" "$1" "$2" "$3"
	shift 3
	for line in "$@"; do printf "%s\n" "$line"; done
}
{
	cat <<-EOF
	[gateway]
	support_address = support@example.org
	secret_file = secret

	# Carla opens dozens of tickets within the test's one fixed minute:
	# not a flood here.
	[limits]
	new_tickets_per_sender_per_hour = 0

	# No deadlines: one run below uses the real clock on tickets of a
	# fixed past time, and a breach would add events.
	[group:core]
	addresses = core@example.org
	ack = false
	first_response = 0

	[group:community]
	addresses = community@example.org
	ack = false
	first_response = 0

	# Away: routing offers nothing, so the events below are the ones counted.
	[member:alice@example.org]
	groups = core
	away = true

	# New tickets and messages of every group; a token in the query.
	[webhook:crm]
	url = http://127.0.0.1:$HTTP_PORT/crm?token=s3cr3t
	tls = none
	events = created; message
	secret_file = crm.secret
	EOF
	# Everything of the community group (which leaves internal notes out).
	hook chat "*" chat.secret "groups = community"
	# Internal notes only.
	hook notes note ops.secret
	# New community tickets to receivers that will answer 500 and 400.
	hook flaky created ops.secret "groups = community" "max_age = 1h"
	hook strict created ops.secret "groups = community"
} >"$T/postdesk.conf"
pd init >/dev/null || exit 99

mail() {  # mail ID TO SUBJECT: a customer mail on stdout
	printf "From: Carla <carla@cust.example>\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\nHello, please help.\n" "$2" "$3" "$1"
}
reqs_to() {  # reqs_to SEGMENT: the .head files of requests to /SEGMENT
	for f in $(http_requests); do
		head -n 1 "$f" | grep -q "^POST /$1[/? ]" && echo "$f"
	done
	return 0
}
ids_to() {  # ids_to SEGMENT: the delivery ids of those requests, in order
	for f in $(reqs_to "$1"); do http_header "$f" X-Postdesk-Delivery; done
}
field() {  # field HEAD EXPR: EXPR on the JSON body `d` of a request
	json_get "$(http_body "$1")" "$2"
}
community_ticket() {  # the first ticket of the community group
	pd ticket list --json >tickets.json &&
		json_get tickets.json "[t[\"id\"] for t in d if t[\"group\"] == \"community\"][0]"
}
# The verification script of postdesk.conf(5), as it stands there.
sed -n '/verify-begin/,/verify-end/p' "$top_srcdir/man/postdesk.conf.5" |
	grep -v '^\.' | sed 's/\\-/-/g; s/\\e/\\/g' >"$T/verify.py"
verify() {  # verify SECRET HEAD [BODY]: run it on a captured request
	"$PYTHON3" "$T/verify.py" "$1" "$(http_header "$2" X-Postdesk-Signature)" \
		<"${3:-$(http_body "$2")}"
}

test_expect_success 'check: URL, TLS, events, groups, timeout of each webhook' '
	check_broken "[gateway]
support_address = s@example.org
[group:core]
[webhook:plain]
url = http://hooks.example.com/x
events = created
secret_file = crm.secret
[webhook:contra]
url = https://127.0.0.1/x
tls = none
events = created
secret_file = crm.secret
[webhook:far]
url = http://hooks.example.com/x
tls = none
events = created
secret_file = crm.secret
[webhook:kinds]
url = https://hooks.example.com/x
events = created; bogus
groups = core; nosuch
secret_file = crm.secret
[webhook:cred]
url = https://user:pw@hooks.example.com/x
events = ;
secret_file = crm.secret
timeout = 0s" \
	"bad.conf:5: \[webhook:plain\] url: http:// sends events in clear text" \
	"bad.conf:10: \[webhook:contra\] tls: \"none\" contradicts an https:// URL" \
	"bad.conf:15: \[webhook:far\] tls: \"none\" is only allowed for a loopback" \
	"bad.conf:20: \[webhook:kinds\] events: unknown event kind \"bogus\"" \
	"bad.conf:21: \[webhook:kinds\] groups: no \[group:nosuch\] section" \
	"bad.conf:24: \[webhook:cred\] url: must not hold a user or password" \
	"bad.conf:25: \[webhook:cred\] events: names no event kind" \
	"bad.conf:27: \[webhook:cred\] timeout: must be from 1s to 10m" &&
	! grep -q "pw@" err
'

test_expect_success 'check: scheme, required keys, secret files' '
	check_broken "[gateway]
support_address = s@example.org
[webhook:ftp]
url = ftp://hooks.example.com/x
events = created
secret_file = crm.secret
[webhook:bare]
url = https://hooks.example.com/x" \
	"bad.conf:4: \[webhook:ftp\] url: \"ftp://hooks.example.com/x\" is not a URL of scheme https|http" \
	"bad.conf:7: \[webhook:bare\] missing required key \"events\"" \
	"bad.conf:7: \[webhook:bare\] missing required key \"secret_file\"" &&
	printf "0123456789abcdef0123\n" >open.secret && chmod 644 open.secret &&
	check_broken "[gateway]
support_address = s@example.org
[webhook:missing]
url = https://hooks.example.com/x
events = *
secret_file = nope.secret
[webhook:open]
url = https://hooks.example.com/x
events = *
secret_file = open.secret" \
	"bad.conf:6: \[webhook:missing\] secret_file: .*nope.secret" \
	"bad.conf:10: \[webhook:open\] secret_file: .*open.secret.*chmod 600"
'

test_expect_success 'the test config passes check' '
	pd check >out && test_grep OK out
'

test_expect_success 'a new ticket: its events arrive, signed, with the ticket summary' '
	mail c1@cust.example core@example.org "Broken login" | pd deliver &&
	pd webhook list --json >q.json &&
	test "$(json_get q.json "\" \".join(w[\"webhook\"] + \":\" + w[\"event\"] for w in d)")" = "crm:created crm:message" &&
	(unset POSTDESK_NOW; pd run --once 2>log) && test_grep "webhooks: sent 2, deferred 0, failed 0" log &&
	test "$(reqs_to crm | wc -l)" = 2 && test "$(http_count)" = 2 &&
	set -- $(reqs_to crm) &&
	head -n 1 "$1" | grep -q "^POST /crm?token=s3cr3t HTTP/1.1" &&
	test "$(http_header "$1" X-Postdesk-Event)" = created &&
	test "$(http_header "$2" X-Postdesk-Event)" = message &&
	test "$(http_header "$1" Content-Type)" = application/json &&
	http_header "$1" User-Agent | grep -q "^postdesk/" &&
	http_header "$1" X-Postdesk-Signature | grep -Eq "^t=[0-9]+,v1=[0-9a-f]{64}$" &&
	test "$(field "$1" "d[\"id\"]")" = "$(http_header "$1" X-Postdesk-Delivery)" &&
	test "$(field "$1" "d[\"event\"]")" = created &&
	test "$(field "$1" "d[\"at\"]")" = 2026-11-20T15:30:00Z &&
	test "$(field "$1" "d[\"actor\"]")" = carla@cust.example &&
	test "$(field "$1" "d[\"detail\"]")" = "group core" &&
	pd ticket list --json >t.json &&
	test "$(field "$1" "d[\"ticket\"]")" = "$(json_get t.json "d[0]")" &&
	test "$(field "$2" "d[\"ticket\"][\"id\"]")" = 1 &&
	pd webhook list --all --json >q.json &&
	json_get q.json "\"\\n\".join(w[\"delivery_id\"] for w in d)" >stored && ids_to crm >sent &&
	test_cmp stored sent &&
	test "$(json_get q.json "\" \".join(\"%s/%s/%s\" % (w[\"state\"], w[\"status\"], w[\"attempts\"]) for w in d)")" = "sent/200/1 sent/200/1"
'

test_expect_success 'the signature check of postdesk.conf(5) verifies them' '
	grep -q "hmac.compare_digest" verify.py && grep -q "^import hashlib" verify.py &&
	for f in $(reqs_to crm); do verify crm.secret "$f" || { echo "rejected: $f"; exit 1; }; done
'

test_expect_success 'and rejects another body, another secret, a stale time' '
	set -- $(reqs_to crm) &&
	sed "s/Broken/Fixed/" "$(http_body "$1")" >changed && ! cmp -s changed "$(http_body "$1")" &&
	! verify crm.secret "$1" changed &&
	! verify chat.secret "$1" &&
	sig=$(http_header "$1" X-Postdesk-Signature) &&
	"$PYTHON3" - crm.secret "$(http_body "$1")" "${sig#t=}" >stale <<-\EOF &&
	import hashlib, hmac, sys
	key = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
	body = open(sys.argv[2], "rb").read()
	t = str(int(sys.argv[3].split(",")[0]) - 3600)
	print("t=%s,v1=%s" % (t, hmac.new(key, t.encode() + b"." + body, hashlib.sha256).hexdigest()))
	EOF
	! "$PYTHON3" verify.py crm.secret "$(cat stale)" <"$(http_body "$1")"
'

stop_http_sink
test_expect_success 'receiver down: 20 new tickets, every event deferred, none lost' '
	for i in $(seq 1 20); do mail "down$i@cust.example" core@example.org "Question $i" | pd deliver 2>/dev/null || exit 1; done &&
	pd run --once 2>log && test_grep "webhooks: sent 0, deferred 40, failed 0" log &&
	pd webhook list --json >q.json && test "$(json_get q.json "len(d)")" = 40 &&
	test "$(json_get q.json "\" \".join(sorted(set(w[\"state\"] for w in d)))")" = queued &&
	json_get q.json "d[0][\"last_error\"]" >err && test_grep "webhook crm (http://127.0.0.1:$HTTP_PORT): cannot connect" err &&
	test_grep -v "s3cr3t" err &&
	pd queue >out && test "$(grep -c " webhook crm " out)" = 40 &&
	{ pd webhook test crm >out 2>err; test $? = 75; } && test_grep "cannot connect" err
'

start_http_sink
test_expect_success 'receiver back: all 20 created events arrive, each id once, over one connection' '
	conns=$(http_connections) && before=$(http_count) && old=$(reqs_to crm | wc -l) &&
	POSTDESK_NOW=2026-11-20T18:00:00Z pd run --once 2>log &&
	test_grep "webhooks: sent 40, deferred 0, failed 0" log &&
	test "$(($(http_count) - before))" = 40 &&
	test "$(http_connections)" = $((conns + 1)) &&
	for f in $(reqs_to crm | tail -n +$((old + 1))); do
		test "$(http_header "$f" X-Postdesk-Event)" = created || continue
		field "$f" "d[\"ticket\"][\"id\"]"
	done | sort -n >created &&
	seq 2 21 >expect && test_cmp expect created &&
	ids_to crm | sort | uniq -d >dups && ! test -s dups &&
	pd webhook list --all --json >q.json &&
	test "$(json_get q.json "len([w for w in d if w[\"state\"] == \"sent\"])")" = 42
'

# With no ack and no other webhook due, a drain's crash points are: the
# commit marking the chunk (1, 2), webhook-marked-sending (3), then one
# webhook-sent per request (4...).
test_expect_success 'SIGKILL after 7 of 20 requests: those 7 arrive again, same id, the rest once' '
	for i in $(seq 1 10); do mail "kill$i@cust.example" core@example.org "Kill $i" >kill$i.eml; done &&
	pd import kill?.eml kill10.eml >out && test_grep "10 new tickets" out &&
	before=$(http_count) && old=$(reqs_to crm | wc -l) &&
	{ POSTDESK_CRASH_TRACE=1 POSTDESK_CRASH_AT=10 pd run --once >/dev/null 2>trace; true; } &&
	test "$(grep "^crash-point 10 " trace)" = "crash-point 10 webhook-sent" &&
	test "$(($(http_count) - before))" = 7 &&
	pd webhook list --json >q.json && test "$(json_get q.json "len([w for w in d if w[\"state\"] == \"sending\"])")" = 20 &&
	pd run --once 2>log && test_grep "webhooks: sent 20, deferred 0, failed 0" log &&
	test "$(($(http_count) - before))" = 27 &&
	ids_to crm | tail -n +$((old + 1)) | sort | uniq -c | awk "{print \$1}" | sort | uniq -c |
		awk "{print \$2, \$1}" >counts &&
	printf "1 13\n2 7\n" >expect && test_cmp expect counts &&
	pd webhook list --json >q.json && test "$(cat q.json)" = "[]"
'

test_expect_success 'SIGKILL ten times over a drain: each delivery once or twice, never lost unseen' '
	for i in $(seq 11 25); do mail "kill$i@cust.example" core@example.org "Kill $i" >kill$i.eml; done &&
	pd import kill1?.eml kill2?.eml >out && test_grep "15 new tickets" out &&
	pd webhook list --json >q.json && json_get q.json "\"\\n\".join(w[\"delivery_id\"] for w in d)" >ids &&
	test "$(wc -l <ids)" = 30 &&
	for at in 3 7 11 16 22 29 37 46 56 67; do
		POSTDESK_CRASH_AT=$at pd run --once >/dev/null 2>&1
	done &&
	pd run --once 2>/dev/null &&
	ids_to crm | sort | uniq -c >counts &&
	! awk "\$1 > 2" counts | grep -q . &&
	pd webhook list --json >q.json &&
	json_get q.json "\"\\n\".join(w[\"delivery_id\"] for w in d if w[\"state\"] == \"failed\" and \"not sent a third time\" in w[\"last_error\"])" >doubt &&
	test "$(json_get q.json "len([w for w in d if w[\"state\"] != \"failed\"])")" = 0 &&
	while read -r id; do
		grep -q " $id$" counts || grep -qx "$id" doubt || { echo "lost: $id"; exit 1; }
	done <ids &&
	echo "30 deliveries: $(awk "\$1 == 2" counts | wc -l) arrived twice, $(grep -c . doubt) left in doubt" &&
	if test -s doubt; then pd webhook retry all >out && test_grep "requeued" out && pd run --once 2>/dev/null; fi &&
	pd webhook list --json >q.json && test "$(cat q.json)" = "[]"
'

test_expect_success 'a receiver answering 500 gets retries with the same id; one answering 400 none' '
	printf "500\nbackend down\n" >"$HTTP_DIR/status.flaky" && http_answer 400 strict &&
	mail comm1@cust.example community@example.org "Plugin crash" | pd deliver &&
	t=$(community_ticket) &&
	pd queue --flush >out &&
	test_grep "webhooks: sent 5, deferred 1, failed 1" out &&
	test "$(reqs_to flaky | wc -l)" = 1 && test "$(reqs_to strict | wc -l)" = 1 &&
	pd queue >out &&
	grep " failed .* webhook strict .*HTTP 400: ok" out &&
	grep " queued .* webhook flaky .*attempts 1 .*HTTP 500: backend down" out &&
	POSTDESK_NOW=2026-11-20T15:45:00Z pd run --once 2>log &&
	test_grep "webhooks: sent 0, deferred 1, failed 0" log &&
	test "$(reqs_to flaky | wc -l)" = 2 && test "$(reqs_to strict | wc -l)" = 1 &&
	test "$(ids_to flaky | sort -u | wc -l)" = 1 &&
	set -- $(reqs_to flaky) &&
	test "$(http_header "$1" X-Postdesk-Signature | cut -d, -f1)" != "$(http_header "$2" X-Postdesk-Signature | cut -d, -f1)" &&
	cmp "$(http_body "$1")" "$(http_body "$2")" &&
	test "$(field "$1" "d[\"ticket\"][\"id\"]")" = "$t"
'

test_expect_success 'past max_age the 500s give up: failed, visible, retryable' '
	POSTDESK_NOW=2026-11-20T18:00:00Z pd run --once 2>log &&
	test_grep "webhooks: sent 0, deferred 0, failed 1" log &&
	test "$(reqs_to flaky | wc -l)" = 3 && test "$(reqs_to strict | wc -l)" = 1 &&
	pd webhook list --json >q.json &&
	test "$(json_get q.json "\" \".join(sorted(\"%s/%s/%s/%s\" % (w[\"webhook\"], w[\"state\"], w[\"status\"], w[\"attempts\"]) for w in d))")" = "flaky/failed/500/3 strict/failed/400/1" &&
	pd status >out && test_grep "^webhooks: 0 queued, 0 sending, 2 failed, " out &&
	flaky=$(json_get q.json "[w[\"id\"] for w in d if w[\"webhook\"] == \"flaky\"][0]") &&
	{ pd webhook retry 999999 2>err; test $? = 66; } &&
	http_answer - flaky && pd webhook retry "$flaky" >out && test_grep "requeued 1 delivery" out &&
	POSTDESK_NOW=2026-11-20T18:05:00Z pd run --once 2>log && test_grep "webhooks: sent 1," log &&
	test "$(reqs_to flaky | wc -l)" = 4 && test "$(ids_to flaky | sort -u | wc -l)" = 1 &&
	pd webhook list --json >q.json && test "$(json_get q.json "\" \".join(w[\"webhook\"] for w in d)")" = strict
'

test_expect_success 'group filter: chat sees only community tickets, every kind of them (created, message, assigned, state)' '
	t=$(community_ticket) &&
	test "$(reqs_to chat | wc -l)" = 3 &&
	for f in $(reqs_to chat); do field "$f" "d[\"ticket\"][\"group\"]"; done | sort -u >groups &&
	echo community >expect && test_cmp expect groups &&
	pd webhook list --all --json >q.json &&
	test "$(json_get q.json "\" \".join(sorted(set(str(w[\"ticket\"]) for w in d if w[\"webhook\"] in (\"chat\", \"flaky\", \"strict\"))))")" = "$t" &&
	"$PD_TEST" event postdesk.conf state "$t" alice@example.org "new -> open" >out && test_grep "^ok$" out &&
	"$PD_TEST" event postdesk.conf state 1 alice@example.org "new -> open" >out &&
	"$PD_TEST" event postdesk.conf bounce 0 "" "a bounce of no ticket" >out &&
	pd run --once 2>/dev/null &&
	test "$(reqs_to chat | wc -l)" = 4 &&
	f=$(reqs_to chat | tail -n 1) && test "$(http_header "$f" X-Postdesk-Event)" = state &&
	test "$(field "$f" "d[\"ticket\"][\"id\"]")" = "$t"
'

test_expect_success 'an internal note goes only to the webhook that names note' '
	t=$(community_ticket) &&
	"$PD_TEST" event postdesk.conf note "$t" alice@example.org "internal: a reseller" >out &&
	"$PD_TEST" event postdesk.conf note 1 alice@example.org "internal: VIP" >out &&
	pd webhook list --json >q.json &&
	test "$(json_get q.json "\" \".join(sorted(w[\"webhook\"] for w in d if w[\"event\"] == \"note\"))")" = "notes notes" &&
	pd run --once 2>/dev/null &&
	test "$(reqs_to notes | wc -l)" = 2 &&
	for f in $(reqs_to notes); do http_header "$f" X-Postdesk-Event; done | sort -u >kinds &&
	echo note >expect && test_cmp expect kinds &&
	! grep -l "internal:" $(for f in $(reqs_to chat) $(reqs_to crm); do http_body "$f"; done)
'

test_expect_success 'webhook test: a signed test event, the status printed' '
	before=$(http_count) &&
	pd webhook test crm >out && test "$(($(http_count) - before))" = 1 &&
	f=$(http_requests | tail -n 1) && id=$(http_header "$f" X-Postdesk-Delivery) &&
	test "$(cat out)" = "webhook crm: HTTP 200 (delivery $id)" &&
	test "$(http_header "$f" X-Postdesk-Event)" = test &&
	test "$(field "$f" "\" \".join(map(str, (d[\"event\"], d[\"id\"], d[\"ticket\"], d[\"actor\"])))")" = "test $id None None" &&
	(unset POSTDESK_NOW; pd webhook test notes >/dev/null) &&
	verify ops.secret "$(http_requests | tail -n 1)" &&
	http_answer 503 crm && { pd webhook test crm >out 2>err; test $? = 75; } &&
	test_grep "^webhook crm: HTTP 503" out && test_grep "HTTP 503: ok" err &&
	http_answer 404 crm && { pd webhook test crm >out 2>err; test $? = 65; } &&
	test_grep "^webhook crm: HTTP 404" out &&
	http_answer - crm &&
	{ pd webhook test nosuch 2>err; test $? = 66; } && test_grep "no \[webhook:nosuch\]" err &&
	{ pd webhook test 2>err; test $? = 64; } &&
	pd webhook list --all --json >q.json && ! grep -q "\"test\"" q.json
'

test_expect_success 'a slow receiver times out; a long answer is cut and still counts' '
	{ printf "[gateway]\nsupport_address = support@example.org\n" &&
	  hook slow created ops.secret "timeout = 1s" && hook long created ops.secret; } >one.conf &&
	echo 3 >"$HTTP_DIR/delay.slow" &&
	{ "$POSTDESK" -c one.conf webhook test slow >out 2>err; test $? = 75; } &&
	test_grep "webhook slow (http://127.0.0.1:$HTTP_PORT): timed out" err &&
	{ echo 200; head -c 100000 /dev/zero | tr "\\0" x; echo; } >"$HTTP_DIR/status.long" &&
	"$POSTDESK" -c one.conf webhook test long >out && test_grep "HTTP 200" out &&
	{ echo 500; head -c 100000 /dev/zero | tr "\\0" y; echo; } >"$HTTP_DIR/status.long" &&
	{ "$POSTDESK" -c one.conf webhook test long >out 2>err; test $? = 75; } &&
	test "$(wc -c <err)" -lt 600 && test_grep "HTTP 500: yyyy" err
'

stop_http_sink
HTTP_PORT=
start_http_sink --tls
test_expect_success 'https: the certificate is verified; trusted through POSTDESK_CA_FILE' '
	cat >tls.conf <<-EOF &&
	[gateway]
	support_address = support@example.org
	[webhook:secure]
	url = https://127.0.0.1:$HTTP_PORT/secure
	events = created
	secret_file = crm.secret
	EOF
	"$POSTDESK" -c tls.conf check >out && test_grep OK out &&
	before=$(http_count) &&
	{ "$POSTDESK" -c tls.conf webhook test secure >out 2>err; test $? = 75; } &&
	test_grep "certificate verification failed" err && test "$(http_count)" = "$before" &&
	POSTDESK_CA_FILE="$HTTP_CA" "$POSTDESK" -c tls.conf webhook test secure >out &&
	test_grep "^webhook secure: HTTP 200" out && test "$(http_count)" = $((before + 1)) &&
	test "$(http_header "$(http_requests | tail -n 1)" X-Postdesk-Event)" = test
'
stop_http_sink
test_done
