# tests/servers/smtp-sink.sh: an SMTP sink (aiosmtpd) on 127.0.0.1 for
# end-to-end tests of what postdesk sends. Source it after tests/lib.sh,
# which gives $T, $PYTHON3, free_port, wait_port and PIDS (killed on exit).
# See doc notes "build-and-test-servers", section 5.
#
#   start_smtp_sink [--tls | --smtps] [--refuse]
#       --tls     offer STARTTLS with a fresh self-signed EC certificate for
#                 IP:127.0.0.1, and require it (aiosmtpd's default then)
#       --smtps   implicit TLS (RFC 8314) with such a certificate
#       --refuse  refuse recipients whose local part starts with "reject"
#                 (550 5.1.1) or "defer" (451 4.2.1), and senders starting
#                 with "reject" (553 5.7.1); everything else as usual
#     listens on $SINK_PORT when set (a restart on the same port), else a
#     free port; exports SMTP_PORT, SINK_DIR (a Maildir: each mail is one file in
#     $SINK_DIR/new, with X-MailFrom, X-RcptTo and X-Peer headers added),
#     SINK_CA (the certificate, with --tls or --smtps) and SINK_LOG (aiosmtpd's debug
#     log: every command received).
#   stop_smtp_sink        stop it (SINK_DIR stays until the next start)
#   sink_count            number of mails in $SINK_DIR/new
#   sink_connections      number of SMTP connections the sink accepted
#   sink_files            the mail files, oldest first
#
# Call start/stop at the top level of a script, not inside
# test_expect_success: those run in a subshell, which would own the process.

SINK_PID=

start_smtp_sink() {
	local tls= refuse= class=aiosmtpd.handlers.Mailbox
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls) tls=starttls ;;
		--smtps) tls=smtps ;;
		--refuse) refuse=t ;;
		*) echo "start_smtp_sink: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	SMTP_PORT=${SINK_PORT:-$(free_port)} || return 1
	SINK_DIR="$T/sink"
	SINK_LOG="$T/sink.log"
	SINK_CA=
	# Each sink starts empty. The Mailbox handler does not make
	# tmp/new/cur in an existing empty directory, and every DATA would
	# then fail with 500.
	rm -rf "$SINK_DIR"
	mkdir -p "$SINK_DIR/tmp" "$SINK_DIR/new" "$SINK_DIR/cur" || return 1
	set -- -n -d -l "127.0.0.1:$SMTP_PORT"
	if [ -n "$tls" ]; then
		make_cert "$T/sink-cert.pem" "$T/sink-key.pem" || return 1
		SINK_CA="$T/sink-cert.pem"
		if [ "$tls" = smtps ]; then
			set -- "$@" --smtpscert "$SINK_CA" --smtpskey "$T/sink-key.pem"
		else
			set -- "$@" --tlscert "$SINK_CA" --tlskey "$T/sink-key.pem"
		fi
	fi
	if [ -n "$refuse" ]; then
		cat >"$T/pd_sink.py" <<'PY'
from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    async def handle_MAIL(self, server, session, envelope, address, options):
        if address.startswith("reject"):
            return "553 5.7.1 <%s>: sender refused by test sink" % address
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("reject"):
            return "550 5.1.1 <%s>: no such user here" % address
        if address.startswith("defer"):
            return "451 4.2.1 <%s>: mailbox busy, try later" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"
PY
		class=pd_sink.RefusingMailbox
	fi
	PYTHONPATH="$T${PYTHONPATH:+:$PYTHONPATH}" \
		"$PYTHON3" -m aiosmtpd "$@" -c "$class" "$SINK_DIR" \
		</dev/null >"$SINK_LOG" 2>&1 &
	SINK_PID=$!
	PIDS="$PIDS $SINK_PID"
	export SMTP_PORT SINK_DIR SINK_CA SINK_LOG
	if ! wait_port "$SMTP_PORT"; then
		echo "start_smtp_sink: aiosmtpd did not listen on $SMTP_PORT" >&2
		cat "$SINK_LOG" >&2
		return 1
	fi
}

stop_smtp_sink() {
	[ -n "$SINK_PID" ] || return 0
	stop_pid "$SINK_PID"
	SINK_PID=
}

sink_count() {
	find "$SINK_DIR/new" -type f | wc -l
}

sink_connections() {
	grep -c ' handling connection$' "$SINK_LOG"
}

sink_files() {
	ls -tr "$SINK_DIR/new" | sed "s|^|$SINK_DIR/new/|"
}
