#!/bin/bash
# SPDX-License-Identifier: MIT
# t2100: the visible-text splitter (src/mime-text.c) against the expected
# results of the reply-parser corpora in tests/corpus (see corpus_visible.py
# and tests/corpus-known-failures.txt). Exit 0 pass, 1 fail, 77 skip.
#
# Run alone: bash tests/t2100-visible-corpus.sh (from the build directory,
# or with top_builddir set).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"

pd_test="$top_builddir/tests/helper/pd-test"
if [ ! -x "$pd_test" ]; then
	echo "t2100: $pd_test is not built" >&2
	exit 1
fi
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
	echo "t2100: no python3 ($PYTHON3): skipped" >&2
	exit 77
fi

# PD_VALGRIND=1 (make check-valgrind): pd-test runs under valgrind
# memcheck, like postdesk in tests/lib.sh; an error or a definite leak makes
# it exit 99, which fails the run with valgrind's report.
time_scale=1
if [ -n "${PD_VALGRIND:-}" ]; then
	vg_dir=$(mktemp -d "${TMPDIR:-/tmp}/pd-t2100.XXXXXX") || exit 99
	trap 'rm -rf "$vg_dir"' EXIT
	cat >"$vg_dir/pd-test" <<VG
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --num-callers=30 --error-exitcode=99 \\
	"$pd_test" "\$@"
VG
	chmod +x "$vg_dir/pd-test"
	pd_test=$vg_dir/pd-test
	export POSTDESK_NO_JIT=1
	time_scale=20
fi

"$PYTHON3" "$top_srcdir/tests/corpus_visible.py" --time-scale "$time_scale" \
	--pd-test "$pd_test" --corpus "$top_srcdir/tests/corpus"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "t2100: failed; rerun alone with: bash $top_srcdir/tests/t2100-visible-corpus.sh" >&2
	exit 1
fi
exit 0
