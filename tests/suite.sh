#!/bin/bash
# The whole test suite, as the README says: a normal build (-Werror) with
# unit and end-to-end tests, the same under ASan+UBSan, a short run of
# each fuzz target (FUZZ_SECONDS, default 60), and make distcheck.
# Ends with "N passed, N failed" (test cases, summed over every log) and
# exits non-zero on any failure. Builds go to _build/ in the source tree.
#
#   tests/suite.sh            everything
#   tests/suite.sh --quick    the normal build's make check only
set -u
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
quick=
[ "${1:-}" = --quick ] && quick=t
status=0
stage_times=""

stage() {  # stage NAME COMMAND...: run, time, remember failure
	local name=$1 start end rc
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@"
	rc=$?
	end=$(date +%s)
	stage_times="$stage_times$name: $((end - start)) s (exit $rc)\n"
	[ $rc = 0 ] || status=1
	return $rc
}

configure_in() {  # configure_in DIR FLAGS...
	local dir=$1
	shift
	mkdir -p "$dir" && cd "$dir" && "$top/configure" -q "$@" && cd "$top"
}

[ -x configure ] || stage autoreconf autoreconf -fi || exit 1

stage "configure (default)" configure_in _build/default &&
	stage "make (default)" make -C _build/default -j"$jobs" -s &&
	stage "make check (default)" make -C _build/default -j"$jobs" check

if [ -z "$quick" ]; then
	stage "configure (asan+ubsan)" configure_in _build/asan --enable-sanitizers &&
		stage "make check (asan+ubsan)" make -C _build/asan -j"$jobs" check
	# libFuzzer targets under ASan+UBSan: replay fuzz/regress/, then
	# FUZZ_SECONDS of fuzzing each (two at a time); TAP in fuzz/fuzz.log.
	# Skipped, with a message, where configure found no clang.
	rm -f _build/default/fuzz/fuzz.log
	stage "make fuzz" make -C _build/default -j"$jobs" -s fuzz &&
		stage "fuzz (${FUZZ_SECONDS:-60} s per target)" \
			make -C _build/default -s fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
	stage "make distcheck" make -C _build/default -j"$jobs" distcheck
fi

# Count test cases: TAP lines of every test log (GTest and our scripts
# both print "ok N"/"not ok N"); a test that failed without a "not ok"
# line (a crash) counts as one failure.
passed=0
failed=0
for d in _build/default _build/asan; do
	[ -d "$d/tests" ] || continue
	while IFS= read -r log; do
		ok=$(grep -c '^ok ' "$log")
		nok=$(grep -c '^not ok ' "$log")
		trs=${log%.log}.trs
		if [ -f "$trs" ] && grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" && [ "$nok" = 0 ]; then
			nok=1
			echo "FAILED without a test line: $log"
			tail -n 20 "$log"
		fi
		passed=$((passed + ok))
		failed=$((failed + nok))
	done < <(find "$d/tests" -name '*.log' ! -name test-suite.log
		[ -f "$d/fuzz/fuzz.log" ] && echo "$d/fuzz/fuzz.log")
done
for d in _build/default _build/asan; do
	if [ -f "$d/test-suite.log" ] && grep -q '^# FAIL: *[1-9]\|^# ERROR: *[1-9]' "$d/test-suite.log"; then
		echo "--- failures in $d/test-suite.log:"
		sed -n '/^FAIL\|^ERROR/,$p' "$d/test-suite.log" | head -n 200
	fi
done
printf "\nStage times:\n$stage_times"
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
