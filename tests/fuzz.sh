#!/bin/bash
# Run the libFuzzer targets of `make fuzz`: each one first replays its
# regression inputs (fuzz/regress/AREA/, no fuzzing), then fuzzes for
# FUZZ_SECONDS on a corpus built from the tree's own inputs. Prints TAP,
# two lines per target, and writes it to BUILDDIR/fuzz/fuzz.log, where
# tests/suite.sh counts it. Exit status 1 on any crash, leak, timeout or
# broken property; the input that did it is kept in BUILDDIR/fuzz/artifacts/.
#
#   tests/fuzz.sh SRCDIR BUILDDIR fuzz/fuzz-mime ...   (make fuzz-run does this)
#
# FUZZ_SECONDS (default 60) per target; FUZZ_JOBS (default 2) targets at
# once; FUZZ_MAX_LEN (default 65536) bytes at most per generated input. The working corpus (BUILDDIR/fuzz/corpus/AREA) is kept between runs,
# so each run starts where the last one stopped.
set -u
src=$(cd "$1" && pwd) || exit 2
build=$(cd "$2" && pwd) || exit 2
shift 2
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
max_len=${FUZZ_MAX_LEN:-65536}
case "$seconds$jobs$max_len" in
*[!0-9]*) echo "FUZZ_SECONDS, FUZZ_JOBS and FUZZ_MAX_LEN must be whole numbers" >&2; exit 2 ;;
esac
work=$build/fuzz
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs" || exit 2

# seed DIR FILE...: copy each regular FILE into DIR under a name made of
# its path, so files of the same name from different places all count.
seed() {
	local dir=$1 f name
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		name=${f#"$src"/}
		name=${name//\//_}
		[ -e "$dir/$name" ] || cp "$f" "$dir/$name"
	done
}

# seed_area AREA DIR: the tree's inputs for one target, as mail, subject
# lines, rules, templates and configs come in.
seed_area() {
	local area=$1 dir=$2 f n=0
	shopt -s nullglob globstar
	seed "$dir" "$src"/fuzz/seeds/"$area"/*
	case $area in
	mime)
		seed "$dir" "$src"/tests/data/**/*.eml "$src"/tests/corpus/**/*.txt
		[ -d "$src/../shared/corpus" ] && seed "$dir" "$src"/../shared/corpus/**/*.txt
		;;
	thread)
		for f in "$src"/tests/data/**/*.eml; do
			n=$((n + 1))
			sed -n 's/^Subject: *//p' "$f" | head -n 1 | tr -d '\r' >"$dir/subject-$n"
		done
		;;
	command) seed "$dir" "$src"/tests/corpus/email_reply_parser/**/*.txt ;;
	filter) seed "$dir" "$src"/filters/*.rules ;;
	template) seed "$dir" "$src"/templates/*.tmpl "$src"/templates/*/*.tmpl ;;
	config) seed "$dir" "$src"/contrib/postdesk.conf.example ;;
	esac
	shopt -u nullglob globstar
}

# run_target BIN: replay, then fuzz; writes AREA.result (two TAP lines
# without numbers) and AREA.log.
run_target() {
	local bin=$1 area=${1##*/fuzz-} corpus rc regress files
	local log=$work/logs/$area.log res=$work/logs/$area.result
	corpus=$work/corpus/$area
	regress=$src/fuzz/regress/$area
	mkdir -p "$corpus" "$work/artifacts/$area"
	seed_area "$area" "$corpus"
	: >"$res"
	files=()
	[ -d "$regress" ] && files=("$regress"/*)
	if [ ${#files[@]} = 0 ] || [ ! -e "${files[0]}" ]; then
		echo "ok - $area: no regression inputs" >>"$res"
	elif "$bin" -artifact_prefix="$work/artifacts/$area/" "${files[@]}" >"$log.replay" 2>&1; then
		echo "ok - $area: replayed ${#files[@]} regression inputs" >>"$res"
	else
		echo "not ok - $area: a regression input fails again (log: $log.replay)" >>"$res"
		tail -n 30 "$log.replay" | sed 's/^/# /' >>"$res"
	fi
	# -timeout: an input that takes 20 s is a finding (unbounded work).
	# -max_len: larger seeds are cut there; otherwise libFuzzer takes the
	# largest seed's size (a 750 KB mail) and runs at a few exec/s.
	"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$area/" \
		"$corpus" >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|INITED)' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ $rc = 0 ]; then
		echo "ok - $area: fuzzed $seconds s, $stats, ${execs:-?} exec/s" >>"$res"
	else
		echo "not ok - $area: fuzzing failed (exit $rc; log: $log; input in $work/artifacts/$area/)" >>"$res"
		grep -E 'ERROR|SUMMARY|property failed|Test unit written' "$log" | head -n 10 | sed 's/^/# /' >>"$res"
	fi
}

running=0
for bin in "$@"; do
	case $bin in /*) ;; *) bin=$build/$bin ;; esac
	if [ ! -x "$bin" ]; then
		echo "$bin: not built (make fuzz)" >&2
		exit 2
	fi
	run_target "$bin" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

n=0
status=0
{
	echo "1..$(($# * 2))"
	for bin in "$@"; do
		area=${bin##*/fuzz-}
		while IFS= read -r line; do
			case $line in
			ok*) n=$((n + 1)); echo "ok $n${line#ok}" ;;
			"not ok"*) n=$((n + 1)); status=1; echo "not ok $n${line#not ok}" ;;
			*) echo "$line" ;;
			esac
		done <"$work/logs/$area.result"
	done
} >"$work/fuzz.log"
cat "$work/fuzz.log"
grep -q '^not ok' "$work/fuzz.log" && status=1
exit $status
