#!/bin/bash
# t5000: the outbound transports. SMTP through libcurl to an aiosmtpd sink
# (plain, STARTTLS and implicit TLS with a verified certificate, refusals,
# a server that is down, several mails over one connection) and the spool Maildir when the
# config has no [smtp]. What the server received is checked, not only what
# pd-test printed.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/servers/smtp-sink.sh"

test_require "$PYTHON3" -c 'import aiosmtpd'
test_require openssl version

# A mail with a spool envelope line (to be stripped), LF line ends (to be
# sent as CRLF) and lines starting with dots (stuffed by libcurl on the
# wire, unstuffed by the sink).
cat >"$T/msg.eml" <<'EOF'
X-Postdesk-Rcpt: stale@example.com
From: Support <support@example.org>
To: a@example.com
Subject: [Support #7] transport test
Message-ID: <t5000.1@example.org>

Hello,
.
..two dots
.leading dot
the end
EOF

# postdesk.conf sending through the sink; TLS is the tls key's value.
smtp_config() {
	write_config <<CONF

[smtp]
url = smtp://127.0.0.1:$SMTP_PORT
tls = $1
CONF
}

# send [--from=ADDR] [--repeat=N] FILE RCPT...
send() {
	local opts=()
	while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do opts+=("$1"); shift; done
	"$PD_TEST" send "${opts[@]}" "$T/postdesk.conf" "$@"
}

# The body of the newest mail the sink received.
last_mail() { cat "$(sink_files | tail -n 1)"; }

start_smtp_sink || exit 1
smtp_config none

test_expect_success 'plain SMTP: one mail for every recipient, envelope lines stripped' '
	send "$T/msg.eml" a@example.com b@example.net >out &&
	test "$(cat out)" = sent &&
	test "$(sink_count)" = 1 &&
	last_mail >got &&
	test_grep "^X-RcptTo: a@example.com, b@example.net$" got &&
	test_grep "^X-MailFrom: support@example.org$" got &&
	test_grep -v "X-Postdesk-Rcpt" got &&
	test_grep "^Subject: \[Support #7\] transport test$" got &&
	sed -n "/^\$/,\$p" got | tail -n +2 >body &&
	sed -n "/^\$/,\$p" "$T/msg.eml" | tail -n +2 >want &&
	test_cmp want body
'
test_expect_success 'the server saw EHLO with the support domain, then MAIL FROM' '
	test_grep ">> b.EHLO example.org." "$SINK_LOG" &&
	test_grep ">> b.MAIL FROM:<support@example.org>" "$SINK_LOG"
'
test_expect_success 'the null sender goes out as MAIL FROM:<>' '
	send --from= "$T/msg.eml" a@example.com >out &&
	test "$(cat out)" = sent &&
	test_grep ">> b.MAIL FROM:<>." "$SINK_LOG"
'
test_expect_success 'several mails over one connection' '
	before_mails=$(sink_count) && before_conns=$(sink_connections) &&
	send --repeat=3 "$T/msg.eml" a@example.com >out &&
	test "$(grep -c "^sent$" out)" = 3 &&
	test "$(sink_count)" = $((before_mails + 3)) &&
	test "$(sink_connections)" = $((before_conns + 1))
'
stop_smtp_sink

test_expect_code 1 'server down: a temporary error naming the refused connection' '
	send "$T/msg.eml" a@example.com >out; rc=$?
	cat out
	test_grep "^error (temp): smtp 127.0.0.1:$SMTP_PORT: .*Connection refused" out || exit 9
	exit $rc
'

start_smtp_sink --refuse || exit 1
smtp_config none

test_expect_code 1 'a refused recipient fails the whole mail, permanently, quoting the server' '
	send "$T/msg.eml" a@example.com reject@example.com >out; rc=$?
	cat out
	test_grep "^error (input): .*RCPT TO refused: 550 5.1.1 <reject@example.com>: no such user here" out || exit 9
	test "$(sink_count)" = 0 || exit 9
	exit $rc
'
test_expect_code 1 'a 4xx answer to RCPT is temporary' '
	send "$T/msg.eml" defer@example.com >out; rc=$?
	cat out
	test_grep "^error (temp): .*RCPT TO refused: 451 4.2.1" out || exit 9
	exit $rc
'
test_expect_code 1 'a refused sender is permanent' '
	send --from=reject@example.org "$T/msg.eml" a@example.com >out; rc=$?
	cat out
	test_grep "^error (input): .*MAIL FROM refused: 553 5.7.1" out || exit 9
	test "$(sink_count)" = 0 || exit 9
	exit $rc
'
test_expect_success 'the refusing sink still takes ordinary mail' '
	send "$T/msg.eml" a@example.com >out && test "$(cat out)" = sent &&
	test "$(sink_count)" = 1
'
stop_smtp_sink

start_smtp_sink --tls || exit 1
smtp_config starttls

test_expect_success 'STARTTLS with the sink certificate as CA (POSTDESK_CA_FILE)' '
	POSTDESK_CA_FILE="$SINK_CA" send "$T/msg.eml" a@example.com >out &&
	test "$(cat out)" = sent &&
	test "$(sink_count)" = 1 &&
	test_grep ">> b.STARTTLS." "$SINK_LOG" &&
	last_mail >got && test_grep "^X-RcptTo: a@example.com$" got
'
test_expect_code 1 'STARTTLS without that CA: a configuration error about the certificate' '
	send "$T/msg.eml" a@example.com >out; rc=$?
	cat out
	test_grep "^error (config): .*TLS certificate verification failed" out || exit 9
	test "$(sink_count)" = 1 || exit 9
	exit $rc
'
test_expect_code 1 'a CA file that is not there is a configuration error' '
	POSTDESK_CA_FILE="$T/missing.pem" send "$T/msg.eml" a@example.com >out; rc=$?
	cat out
	test_grep "^error (config): smtp: POSTDESK_CA_FILE" out || exit 9
	exit $rc
'
test_expect_code 1 'plain text to a server that requires STARTTLS is refused, as configuration' '
	smtp_config none &&
	send "$T/msg.eml" a@example.com >out; rc=$?
	cat out
	test_grep "^error (config): .*MAIL FROM refused: 530" out || exit 9
	exit $rc
'
test_expect_success 'STARTTLS: several mails share one connection and one handshake' '
	smtp_config starttls &&
	before_conns=$(sink_connections) &&
	POSTDESK_CA_FILE="$SINK_CA" send --repeat=3 "$T/msg.eml" a@example.com >out &&
	test "$(grep -c "^sent$" out)" = 3 &&
	test "$(sink_connections)" = $((before_conns + 1))
'
stop_smtp_sink

start_smtp_sink --smtps || exit 1

test_expect_success 'implicit TLS: tls = tls on an smtp:// url' '
	smtp_config tls &&
	POSTDESK_CA_FILE="$SINK_CA" send "$T/msg.eml" a@example.com >out &&
	test "$(cat out)" = sent && test "$(sink_count)" = 1
'
test_expect_success 'implicit TLS: an smtps:// url' '
	smtp_config starttls &&
	sed -i "s|^url = smtp://|url = smtps://|" postdesk.conf &&
	POSTDESK_CA_FILE="$SINK_CA" send "$T/msg.eml" a@example.com >out &&
	test "$(cat out)" = sent && test "$(sink_count)" = 2
'
test_expect_code 1 'implicit TLS without the CA: a certificate error' '
	send "$T/msg.eml" a@example.com >out; rc=$?
	cat out
	test_grep "^error (config): .*TLS certificate verification failed" out || exit 9
	exit $rc
'
stop_smtp_sink

test_expect_success 'spool mode: one file in outbox/new with the envelope, then the exact bytes' '
	write_config </dev/null &&
	send "$T/msg.eml" a@example.com b@example.net >out &&
	test "$(cat out)" = sent &&
	test "$(ls var/outbox/new | wc -l)" = 1 &&
	test "$(ls var/outbox/tmp | wc -l)" = 0 &&
	f=var/outbox/new/$(ls var/outbox/new) &&
	printf "%s\n" "X-Postdesk-Rcpt: a@example.com" "X-Postdesk-Rcpt: b@example.net" \
		"X-Postdesk-Mail-From: <support@example.org>" >want &&
	cat "$T/msg.eml" >>want &&
	cmp want "$f"
'
test_expect_success 'spool mode: every mail its own file' '
	send --repeat=2 "$T/msg.eml" a@example.com >out &&
	test "$(ls var/outbox/new | wc -l)" = 3
'

test_done
