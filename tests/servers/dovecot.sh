# tests/servers/dovecot.sh: a private Dovecot (IMAP) on 127.0.0.1 for
# end-to-end tests of the IMAP client. Source it after tests/lib.sh, which
# gives $T, $PYTHON3, free_port, wait_port and PIDS (killed on exit).
# See doc notes "build-and-test-servers", section 4. Needs root: mail
# processes run as Debian's "mail" user (uid 8).
#
#   start_dovecot     start it (on $DOVECOT_IMAP_PORT/$DOVECOT_IMAPS_PORT when
#                     set, for a restart); one user "support", password "secret",
#                     Maildir under $T/dc/mail owned by mail:mail
#     exports IMAP_PORT (plain, STARTTLS offered), IMAPS_PORT (implicit
#     TLS), DOVECOT_CA (its self-signed certificate for IP:127.0.0.1, to
#     use as POSTDESK_CA_FILE), DOVECOT_LOG and DOVECOT_RAWLOG
#   stop_dovecot      stop it (the mail stays, a new start serves it again)
#   imap_append FILE [FOLDER]   append FILE (default folder INBOX) as
#                     "support", through Python's imaplib; prints nothing
#   imap_count FOLDER number of messages in FOLDER (0 if it does not exist)
#   imap_account_conf [<extra lines]  an [imap:hosted] config section for it
#   imap_flags FOLDER flags of every message in FOLDER, one line each
#   imap_rawlog       every command clients sent after login (Dovecot's
#                     rawlog), since the last imap_rawlog_clear
#
# A second address, 127.0.0.2 (same ports), is a poorer server: no IDLE,
# no MOVE, plaintext login allowed. For the client's fallbacks.
#
# Call start/stop at the top level of a script, not inside
# test_expect_success: those run in a subshell, which would own the process.

DOVECOT_BIN=${DOVECOT:-/usr/sbin/dovecot}
DOVECOT_PID=
DOVECOT_RUN=

start_dovecot() {
	local dc="$T/dc"

	mkdir -p "$dc/state" "$dc/mail" "$dc/rawlog" || return 1
	chown mail:mail "$dc/mail" "$dc/rawlog" || return 1
	echo 'support:{PLAIN}secret' >"$dc/users"
	if [ ! -f "$dc/cert.pem" ]; then
		make_cert "$dc/cert.pem" "$dc/key.pem" || return 1
	fi
	# base_dir holds unix sockets, whose paths are limited to 107 bytes
	# (the longest name inside is about 25): when $T is too long, a
	# short directory in /tmp, removed on exit as well.
	if [ -z "$DOVECOT_RUN" ]; then
		if [ ${#dc} -le 70 ]; then
			DOVECOT_RUN="$dc/run"
			mkdir -p "$DOVECOT_RUN" || return 1
		else
			DOVECOT_RUN=$(mktemp -d /tmp/dcXXXXXX) || return 1
			chmod 755 "$DOVECOT_RUN"
			trap 'stop_dovecot; cleanup' EXIT
		fi
	fi
	IMAP_PORT=${DOVECOT_IMAP_PORT:-$(free_port)} || return 1
	IMAPS_PORT=${DOVECOT_IMAPS_PORT:-$(free_port)} || return 1
	while [ "$IMAPS_PORT" = "$IMAP_PORT" ]; do IMAPS_PORT=$(free_port); done
	DOVECOT_CA="$dc/cert.pem"
	DOVECOT_LOG="$dc/dovecot.log"
	cat >"$dc/dovecot.conf" <<EOF
base_dir = $DOVECOT_RUN
state_dir = $dc/state
log_path = $DOVECOT_LOG
protocols = imap
listen = 127.0.0.1 127.0.0.2
ssl = yes
ssl_cert = <$dc/cert.pem
ssl_key = <$dc/key.pem
auth_mechanisms = plain login
# No 2 s pause before answering a wrong password. (The penalty that
# delays the next logins from the same IP stays: test a wrong password
# last.)
auth_failure_delay = 0
mail_location = maildir:$dc/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 8
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
  }
}
# Every IMAP session after login, as the server saw it (*.in) and
# answered (*.out): what tests check the client sent.
protocol imap {
  rawlog_dir = $dc/rawlog
}
# A poorer server on 127.0.0.2 (same ports), for the client's fallbacks:
# no IDLE and no MOVE. Dovecot counts only 127.0.0.1 as secure.
local 127.0.0.2 {
  disable_plaintext_auth = no
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ UIDPLUS
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dc/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$dc/mail/%u
}
EOF
	"$DOVECOT_BIN" -F -c "$dc/dovecot.conf" </dev/null >"$dc/stdout" 2>&1 &
	DOVECOT_PID=$!
	PIDS="$PIDS $DOVECOT_PID"
	DOVECOT_RAWLOG="$dc/rawlog"
	export IMAP_PORT IMAPS_PORT DOVECOT_CA DOVECOT_LOG DOVECOT_RAWLOG
	if ! wait_port "$IMAP_PORT" || ! wait_port "$IMAPS_PORT"; then
		echo "start_dovecot: dovecot did not listen on $IMAP_PORT/$IMAPS_PORT" >&2
		cat "$dc/stdout" "$DOVECOT_LOG" >&2 2>/dev/null
		stop_dovecot
		return 1
	fi
}

stop_dovecot() {
	if [ -n "$DOVECOT_PID" ]; then
		kill "$DOVECOT_PID" 2>/dev/null
		wait "$DOVECOT_PID" 2>/dev/null
		PIDS=$(printf '%s\n' $PIDS | grep -vx "$DOVECOT_PID" | tr '\n' ' ')
		DOVECOT_PID=
	fi
	case "$DOVECOT_RUN" in
	/tmp/dc*) [ -n "${PD_KEEP:-}" ] || rm -rf "$DOVECOT_RUN"; DOVECOT_RUN= ;;
	esac
	return 0
}

# Python's imaplib against the plain port, as the test user.
dovecot_py_() {
	"$PYTHON3" - "$IMAP_PORT" "$@" <<'PY'
import imaplib, sys

port, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
m = imaplib.IMAP4("127.0.0.1", port)
m.login("support", "secret")
if cmd == "append":
    data = open(args[0], "rb").read()
    folder = args[1] if len(args) > 1 else "INBOX"
    typ, resp = m.append(folder, None, None, data)
    if typ != "OK":
        sys.exit("APPEND %s: %s" % (folder, resp))
elif cmd == "count":
    typ, resp = m.select(args[0], readonly=True)
    print(int(resp[0]) if typ == "OK" else 0)
elif cmd == "flags":
    typ, resp = m.select(args[0], readonly=True)
    if typ == "OK" and int(resp[0]) > 0:
        typ, resp = m.fetch("1:*", "(FLAGS)")
        for line in resp:
            print(line.decode())
m.logout()
PY
}

imap_append() { dovecot_py_ append "$@"; }
# The [imap:hosted] section for this Dovecot (plain, loopback), moving
# taken mail to Processed; extra "key = value" lines on stdin follow it.
imap_account_conf() {
	printf '[imap:hosted]\nurl = imap://127.0.0.1:%s/INBOX\nuser = support\npassword_file = imap-password\ntls = none\nprocessed = Processed\n' "$IMAP_PORT"
	[ -t 0 ] || cat
}
# What clients sent after login, every session since the last
# imap_rawlog_clear (imap_append's and imap_count's included).
imap_rawlog() { cat "$DOVECOT_RAWLOG"/*.in 2>/dev/null; }
imap_rawlog_clear() { rm -f "$DOVECOT_RAWLOG"/*; }
imap_count() { dovecot_py_ count "$1"; }
imap_flags() { dovecot_py_ flags "$1"; }
