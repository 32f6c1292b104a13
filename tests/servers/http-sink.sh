# tests/servers/http-sink.sh: an HTTP receiver (tests/servers/http-sink.py,
# Python's http.server) on 127.0.0.1 for end-to-end tests of webhooks.
# Source it after tests/lib.sh, which gives $T, $PYTHON3, free_port,
# wait_port and PIDS (killed on exit).
#
#   start_http_sink [--tls]
#                       listen on $HTTP_PORT when set (a restart on the same
#                       port), else on a free one; exports HTTP_PORT and
#                       HTTP_DIR (requests and settings, kept across restarts);
#                       --tls: HTTPS with a fresh self-signed certificate for
#                       IP:127.0.0.1, exported as HTTP_CA
#   stop_http_sink      stop it (HTTP_DIR stays)
#   http_answer CODE [SEGMENT]
#                       answer CODE from now on: every request, or those whose
#                       path starts with /SEGMENT; "-" removes the setting
#   http_requests       the .head files of the requests, oldest first
#   http_count          number of requests received
#   http_connections    number of TCP connections accepted
#   http_header FILE NAME   the value of header NAME in a .head file
#   http_body FILE      the .body file beside a .head file
#
# Call start/stop at the top level of a script, not inside
# test_expect_success: those run in a subshell, which would own the process.

HTTP_SINK_PID=

start_http_sink() {
	local tls=
	[ "${1:-}" = --tls ] && tls=t
	HTTP_DIR="$T/http"
	HTTP_CA=
	mkdir -p "$HTTP_DIR" || return 1
	rm -f "$HTTP_DIR/port"
	set --
	if [ -n "$tls" ]; then
		make_cert "$T/http-cert.pem" "$T/http-key.pem" || return 1
		HTTP_CA="$T/http-cert.pem"
		set -- --tls "$HTTP_CA" "$T/http-key.pem"
	fi
	"$PYTHON3" "$top_srcdir/tests/servers/http-sink.py" "$HTTP_DIR" \
		--port "${HTTP_PORT:-0}" "$@" </dev/null >"$T/http-sink.log" 2>&1 &
	HTTP_SINK_PID=$!
	PIDS="$PIDS $HTTP_SINK_PID"
	for _ in $(seq 1 300); do
		[ -s "$HTTP_DIR/port" ] && break
		sleep 0.02
	done
	HTTP_PORT=$(cat "$HTTP_DIR/port" 2>/dev/null)
	export HTTP_PORT HTTP_DIR HTTP_CA
	if [ -z "$HTTP_PORT" ] || ! wait_port "$HTTP_PORT"; then
		echo "start_http_sink: the sink did not listen" >&2
		cat "$T/http-sink.log" >&2
		return 1
	fi
}

stop_http_sink() {
	[ -n "$HTTP_SINK_PID" ] || return 0
	stop_pid "$HTTP_SINK_PID"
	HTTP_SINK_PID=
}

http_answer() {
	local f="$HTTP_DIR/status${2:+.$2}"
	if [ "$1" = - ]; then rm -f "$f"; else echo "$1" >"$f"; fi
}

http_requests() {
	ls "$HTTP_DIR/req" 2>/dev/null | grep '\.head$' | sort | sed "s|^|$HTTP_DIR/req/|"
}

http_count() {
	http_requests | wc -l
}

http_connections() {
	if [ -f "$HTTP_DIR/connections" ]; then wc -l <"$HTTP_DIR/connections"; else echo 0; fi
}

http_header() {
	tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | head -n 1
}

http_body() {
	printf '%s\n' "${1%.head}.body"
}
