# tests/lib.sh: harness for the end-to-end scripts (in the spirit of git's
# t/test-lib.sh). Source it first; each script runs in its own trash dir,
# against the built binary, and ends with test_done.
#
#   test_expect_success 'what' 'commands'   # pass when commands succeed
#   test_expect_code 78 'what' 'commands'   # pass when they exit 78
#   test_cmp expected actual                # diff, shown on failure
#
# Run one script alone: bash tests/t0000-cli.sh [-v] (from the build dir
# or with top_builddir set). Exit: 0 all passed, 1 a failure, 77 skipped.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
export top_srcdir top_builddir PYTHON3
PYTHON3=/usr/bin/python3   # Debian's, which sees python3-aiosmtpd

POSTDESK="$top_builddir/src/postdesk"
PD_TEST="$top_builddir/tests/helper/pd-test"
DATA="$top_srcdir/tests/data"
TEST_NAME=$(basename "$0" .sh)
verbose=
case "${1:-}" in -v|--verbose) verbose=t ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/pd-$TEST_NAME.XXXXXX") || exit 99
chmod 755 "$T"
PIDS=""
test_count=0
test_failed=0
test_skipped=0

# Fixed clock and a clean environment: tests must not depend on the host.
POSTDESK_NOW=2026-11-20T15:30:00Z
POSTDESK_DATADIR="$top_srcdir"   # templates and filters from the source tree
export POSTDESK_DATADIR
export POSTDESK_NOW
unset POSTDESK_CONF POSTDESK_CRASH_AT
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top_srcdir/tests/lsan.supp:print_suppressions=0}"
export LC_ALL=C.UTF-8 TZ=UTC

# Time limits in the scripts are multiplied by this (valgrind is ~20x slower).
TIME_SCALE=1
# PD_VALGRIND=1 (make check-valgrind): every postdesk process, and the
# helper (pd-test, which reaches the IMAP, SMTP and MIME modules directly),
# runs under valgrind memcheck; test_done fails on any error or definite
# leak. Use a build without sanitizers.
if [ -n "${PD_VALGRIND:-}" ]; then
	mkdir -p "$T/.valgrind"
	for vg_bin in "$POSTDESK" "$PD_TEST"; do
		# A process given a crash point (POSTDESK_CRASH_AT) kills itself
		# with SIGKILL in the middle of its work, and valgrind runs its
		# leak check on such a self-inflicted SIGKILL: what the dying
		# thread held (an LMTP session's line buffer, a queue chunk in
		# flight) is reported definitely lost. Those processes are checked
		# for memory errors only; the same commands without a crash point
		# are leak-checked throughout the scripts.
		cat >"$T/.valgrind/${vg_bin##*/}" <<VG
#!/bin/sh
leaks=full
[ -z "\${POSTDESK_CRASH_AT:-}" ] || leaks=no
exec valgrind -q --trace-children=yes --leak-check=\$leaks --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --num-callers=30 --log-file="$T/.valgrind/log.%p" \\
	"$vg_bin" "\$@"
VG
		chmod +x "$T/.valgrind/${vg_bin##*/}"
	done
	POSTDESK="$T/.valgrind/postdesk"
	PD_TEST="$T/.valgrind/pd-test"
	export POSTDESK_NO_JIT=1   # valgrind cannot follow PCRE2's JIT code
	TIME_SCALE=20
fi

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	if [ -z "${PD_KEEP:-}" ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT
cd "$T" || exit 99

say() { printf '%s\n' "$*"; }

# Run the commands of a test in a subshell so a failing one cannot leave
# the script in another directory or with other variables.
test_run_() {
	if [ -n "$verbose" ]; then
		(eval "${trace:+set -x;}$1")
	else
		(eval "$1") >"$T/.test-out" 2>&1
	fi
}

test_report_() {
	if [ "$1" = 0 ]; then
		say "ok $test_count - $2"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $2"
		if [ -z "$verbose" ] && [ -s "$T/.test-out" ]; then
			sed 's/^/#   /' "$T/.test-out" | head -n 80
		fi
		say "#   rerun alone: bash $top_srcdir/tests/$TEST_NAME.sh -v"
	fi
}

test_expect_success() {
	test_count=$((test_count + 1))
	test_run_ "$2"
	test_report_ $? "$1"
}

test_expect_code() {
	local want=$1 rc
	test_count=$((test_count + 1))
	test_run_ "$3"
	rc=$?
	if [ "$rc" = "$want" ]; then
		test_report_ 0 "$2"
	else
		echo "#   expected exit $want, got $rc" >>"$T/.test-out"
		test_report_ 1 "$2 (exit $rc, expected $want)"
	fi
}

# Show expected and actual on a difference.
test_cmp() {
	diff -u "$1" "$2" || { echo "expected ($1) and actual ($2) differ"; return 1; }
}

# Fails with the pattern and the file when PATTERN is not in FILE.
test_grep() {
	local flags=
	[ "$1" = "-v" ] && { flags=-v; shift; }
	if grep -q $flags -e "$1" "$2"; then return 0; fi
	echo "pattern '$1' ${flags:+un}expected in $2:"; sed 's/^/|   /' "$2"; return 1
}

# A prerequisite that is missing skips the test (exit 77), but under CI a
# green run must mean every test ran, so there it fails.
test_require() {
	if ! "$@" >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			say "not ok - prerequisite missing under CI: $*"
			exit 1
		fi
		say "# skip: prerequisite missing: $*"
		trap - EXIT; cleanup; exit 77
	fi
}

test_done() {
	if [ -n "${PD_VALGRIND:-}" ]; then
		# Daemons still running write their leak report when they stop.
		for p in $PIDS; do kill "$p" 2>/dev/null; done
		for p in $PIDS; do wait "$p" 2>/dev/null; done
		PIDS=
		test_expect_success 'valgrind: no memory errors, nothing definitely lost' '
			! grep -l . "$T"/.valgrind/log.* 2>/dev/null | grep -q . ||
			{ cat $(grep -l . "$T"/.valgrind/log.*); false; }
		'
	fi
	say "# $TEST_NAME: $((test_count - test_failed)) passed, $test_failed failed"
	[ "$test_failed" = 0 ] && exit 0
	exit 1
}

# header FILE NAME: the unfolded, decoded values of the NAME headers, one a
# line (nothing when there is none).
header() {
	"$PYTHON3" -c '
import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
v = m.get_all(sys.argv[2]); print("" if v is None else "\n".join(str(x) for x in v))' "$1" "$2"
}

# postdesk with the test's config.
pd() { "$POSTDESK" -c "$T/postdesk.conf" "$@"; }

# collect NAME: send the queue to the spool and keep what went out in
# mail/NAME/. A script whose mail is queued at later clocks sets
# COLLECT_NOW to a time when all of it is due.
collect() {
	POSTDESK_NOW=${COLLECT_NOW:-$POSTDESK_NOW} pd queue --flush >/dev/null && mkdir -p "mail/$1" &&
	for f in var/outbox/new/*; do [ -e "$f" ] && mv "$f" "mail/$1/"; done; true
}
# to NAME ADDR: the mails of mail/NAME/ to ADDR.
to() { grep -l "^X-Postdesk-Rcpt: $2[[:space:]]*$" mail/"$1"/* 2>/dev/null; }

# A working config in $T: support@example.org, two groups, members, the
# spool as outbound. Extra lines on stdin are appended.
write_config() {
	write_gateway_config <<CONF
[group:core]
name = Core offering
addresses = core@example.org

[group:community]
name = Community offering
addresses = community@example.org
CONF
	[ -t 0 ] || cat >>"$T/postdesk.conf"
}

# Only the [gateway] section; the sections on stdin follow it. The file
# is $T/postdesk.conf, or FILE when given (paths in it are relative to
# its directory).
write_gateway_config() {
	local conf=${1:-$T/postdesk.conf}
	cat >"$conf" <<CONF
[gateway]
database = var/postdesk.db
spool = var
support_address = support@example.org
tag = Support
secret_file = secret

CONF
	cat >>"$conf"
}

# Config plus init: a ready gateway.
setup_gateway() {
	write_config </dev/null && pd init >/dev/null
}

# A fresh self-signed EC certificate for IP:127.0.0.1, valid two days:
# make_cert CERT KEY writes both PEM files (openssl's words on failure).
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$2" -out "$1" >"$T/openssl.log" 2>&1 ||
		{ cat "$T/openssl.log" >&2; return 1; }
}

free_port() {
	"$PYTHON3" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 1 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# check_broken CONFIG-TEXT PATTERN...: postdesk check of a config made of
# CONFIG-TEXT ($T/bad.conf) exits 78 and prints every PATTERN on stderr
# (grep patterns); stdout and stderr are left in ./out and ./err.
check_broken() {
	local rc
	printf "%s\n" "$1" >"$T/bad.conf"
	"$POSTDESK" -c "$T/bad.conf" check >out 2>err
	rc=$?
	[ "$rc" = 78 ] || { echo "exit $rc, expected 78"; cat err; return 1; }
	shift
	for want in "$@"; do test_grep "$want" err || return 1; done
}

# Stop the background process PID (started at the top level of a script)
# and drop it from PIDS.
stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(printf '%s\n' $PIDS | grep -vx "$1" | tr '\n' ' ')
	return 0
}

# lock_database SECONDS [DB]: hold the write lock of DB (var/postdesk.db)
# from another process, in the background, for SECONDS times TIME_SCALE: a
# process under valgrind starts so slowly that it could reach the database
# only after an unscaled lock was gone. Returns once the lock is held;
# unlock_database ends it (early) and waits for it.
lock_database() {
	rm -f "$T/.locked"
	"$PYTHON3" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))' "${2:-$T/var/postdesk.db}" "$T/.locked" \
		"$(($1 * TIME_SCALE))" &
	LOCK_PID=$!
	while ! test -e "$T/.locked"; do sleep 0.05; done
}
unlock_database() {
	kill "$LOCK_PID" 2>/dev/null
	wait "$LOCK_PID" 2>/dev/null
	return 0
}

# JSON field by a Python expression on `d`: json_get FILE 'd[0]["id"]'.
json_get() {
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# Privacy scan (SECURITY.md): what a customer must never see in mail from
# us. A script registers the secrets it creates as it goes:
#   scan_member ADDR...     members' addresses (mail to them is not scanned)
#   scan_customer ADDR...   customers' addresses: none may reach another
#   scan_secret TEXT...     internal note texts and anything else no customer
#                           may read
# and ends with scan_customer_mail FILE-OR-DIR... (default var/outbox):
# every mail there whose recipient (X-Postdesk-Rcpt of the spool, X-RcptTo
# of the SMTP sink) is not a member is read, headers and decoded parts,
# and the scan fails naming the mail and the secret it shows. It prints
# how many mails it read and fails when there were none.
scan_member() { for a in "$@"; do printf 'member\t%s\n' "$a"; done >>"$T/.scan"; }
scan_customer() { for a in "$@"; do printf 'customer\t%s\n' "$a"; done >>"$T/.scan"; }
scan_secret() { for s in "$@"; do printf 'secret\t%s\n' "$s"; done >>"$T/.scan"; }
scan_customer_mail() {
	[ $# -gt 0 ] || set -- var/outbox
	touch "$T/.scan"
	"$PYTHON3" - "$T/.scan" "$@" <<-\PY
	import email, email.policy, os, sys
	kinds = {"member": set(), "customer": set(), "secret": set()}
	for line in open(sys.argv[1], encoding="utf-8"):
	    k, v = line.rstrip("\n").split("\t", 1)
	    kinds[k].add(v if k == "secret" else v.lower())
	files = []
	for p in sys.argv[2:]:
	    if os.path.isdir(p):
	        for d, _, names in os.walk(p):
	            files += [os.path.join(d, n) for n in names if not n.startswith(".")]
	    elif os.path.exists(p):
	        files.append(p)
	read = bad = 0
	for f in sorted(files):
	    raw = open(f, "rb").read()
	    m = email.message_from_bytes(raw, policy=email.policy.default)
	    rcpts = [str(v).strip().lower() for h in ("X-Postdesk-Rcpt", "X-RcptTo")
	             for v in (m.get_all(h) or [])]
	    if not rcpts or all(r in kinds["member"] for r in rcpts):
	        continue
	    read += 1
	    text = [raw.decode("utf-8", "replace")]
	    text += ["%s: %s" % (k, v) for k, v in m.items()]
	    for part in m.walk():
	        if part.is_multipart():
	            continue
	        try:
	            c = part.get_content()
	        except Exception:
	            c = part.get_payload(decode=True) or b""
	        text.append(c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c))
	    hay = "\n".join(text)
	    low = hay.lower()
	    seen = [s for s in kinds["secret"] if s in hay]
	    seen += [a for a in kinds["member"] | kinds["customer"] if a in low and a not in rcpts]
	    for s in seen:
	        print("%s (to %s) shows %r" % (f, ", ".join(rcpts), s))
	        bad += 1
	print("scanned %d mails to customers, %d leaks" % (read, bad))
	sys.exit(1 if bad or read == 0 else 0)
	PY
}
