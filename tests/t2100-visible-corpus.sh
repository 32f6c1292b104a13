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

"$PYTHON3" "$top_srcdir/tests/corpus_visible.py" \
	--pd-test "$pd_test" --corpus "$top_srcdir/tests/corpus"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "t2100: failed; rerun alone with: bash $top_srcdir/tests/t2100-visible-corpus.sh" >&2
	exit 1
fi
exit 0
