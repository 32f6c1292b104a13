#!/bin/bash
# bench/crash.sh [N] [ROUNDS] — the long setting of tests/t8000-crash.sh:
# a corpus of N generated messages (default 300) through deliver, import
# and LMTP, killed at every crash point and ROUNDS times (default 60) per
# random-kill test at random moments, then the same proofs as the quick
# setting in make check (each accepted message stored once, each queued
# mail in the spool once or twice or kept back in doubt, each webhook
# delivery received once or twice). Takes minutes.
# Run from a build directory (or with top_builddir set to one).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$PWD}"
if ! test -x "$top_builddir/src/postdesk"; then
	echo "bench/crash.sh: no src/postdesk under $top_builddir (run it from a build directory)" >&2
	exit 2
fi
export top_builddir CRASH_LONG=1 CRASH_N=${1:-300} CRASH_ROUNDS=${2:-60}
exec bash "$top/tests/t8000-crash.sh" -v
