#!/bin/bash
# bench/digest.sh [MEMBERS] [TICKETS] [RUNS] — computing and rendering
# every member's digest: a gateway with MEMBERS members (default 1000) in
# 10 groups and 4 time zones, TICKETS tickets (default 100000), then
# `postdesk digest --dry-run >/dev/null` RUNS times (default 5): the
# median, the fastest and the slowest wall time.
#
# The tickets are written straight into the database by sqlite3, in one
# transaction from a recursive CTE (a second or two), not mailed in: 90 %
# are open (new, open or waiting), 10 % resolved; 2 % have no owner; every
# open one has a first-response deadline (its due phrase is computed in
# the member's zone), 3 % are breached, 5 % warned, and the new ones are
# offered to their owner and not yet taken. Each member so has about 90
# open tickets: 1,000 digests of ~90 lines, each line with its own signed
# reply address. Group digests are off (the default) and nobody is a
# moderator, so what is timed is the member digests: one query of all
# open tickets, 1,000 renderings, 1,000 outbound rows written and, as
# --dry-run does, printed and rolled back.
#
# Uses the optimised build in _build/bench (made if missing; PD_BENCH_BUILD
# names another directory).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
MEMBERS=${1:-1000}; TICKETS=${2:-100000}; RUNS=${3:-5}
build=${PD_BENCH_BUILD:-$top/_build/bench}
mkdir -p "$build" && (cd "$build" && { [ -f Makefile ] || "$top/configure" -q --disable-crash-points "CFLAGS=-O2 -g"; } &&
	make -j2 -s src/postdesk) || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-bench-digest.XXXXXX")
[ -n "${PD_KEEP:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT
cd "$work"
export POSTDESK_DATADIR=$top POSTDESK_NOW=2026-11-23T12:00:00Z
zones=(Europe/Berlin America/New_York Asia/Tokyo UTC)
{
	printf '[gateway]\ndatabase = var/postdesk.db\nspool = var\n'
	printf 'support_address = support@example.org\nsecret_file = secret\n'
	printf 'templates = %s/templates\n\n' "$top"
	for g in $(seq 0 9); do
		printf '[group:g%d]\naddresses = g%d@example.org\ntimezone = %s\n' \
			"$g" "$g" "${zones[g % 4]}"
		printf 'hours = Mon-Fri 09:00-17:00\nfirst_response = 8h\n\n'
	done
	for m in $(seq 0 $((MEMBERS - 1))); do
		printf '[member:m%d@example.org]\nname = Member %d\ngroups = g%d\ntimezone = %s\n\n' \
			"$m" "$m" $((m % 10)) "${zones[(m / 10) % 4]}"
	done
} >postdesk.conf
head -c 32 /dev/urandom | base64 >secret && chmod 600 secret
"$build/src/postdesk" -c postdesk.conf init >/dev/null
# Created over the 30 days before POSTDESK_NOW; ticket i belongs to member
# m((i / 10) % MEMBERS), in that member's group as the config has it, so
# every member gets tickets of every state.
t0=$(date +%s.%N)
sqlite3 var/postdesk.db <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $TICKETS)
INSERT INTO tickets (id, subject, state, grp, priority, tier, requester_name,
	requester_address, owner, created, updated, due_at, due_kind, warned_at, breached_at)
SELECT i, 'Question number ' || i || ' about the product',
	CASE WHEN i % 10 = 0 THEN 'resolved' WHEN i % 10 < 4 THEN 'new'
	     WHEN i % 10 < 8 THEN 'open' ELSE 'waiting' END,
	'g' || ((i / 10) % $MEMBERS % 10), 'normal', 1, 'Customer ' || i, 'c' || i || '@customer.example',
	CASE WHEN i % 50 = 1 THEN NULL ELSE 'm' || ((i / 10) % $MEMBERS) || '@example.org' END,
	1795435200 - 2592000 + (i * 7919) % 2592000, 1795435200,
	CASE WHEN i % 10 = 0 THEN NULL ELSE 1795435200 + (i * 104729) % 604800 - 86400 END,
	CASE WHEN i % 10 = 0 THEN NULL ELSE 'first_response' END,
	CASE WHEN i % 20 = 3 THEN 1795435200 - 3600 END,
	CASE WHEN i % 33 = 2 THEN 1795435200 - 600 END
FROM n;
INSERT INTO offers (ticket_id, member, at, state)
SELECT id, owner, created, 'offered' FROM tickets WHERE state = 'new' AND owner IS NOT NULL;
COMMIT;
SQL
t1=$(date +%s.%N)
open=$(sqlite3 var/postdesk.db "SELECT count(*) FROM tickets WHERE state != 'resolved'")
printf 'generated %d tickets (%d open) for %d members in %.2f s\n' "$TICKETS" "$open" \
	"$MEMBERS" "$(echo "$t1 - $t0" | bc)"
"$build/src/postdesk" -c postdesk.conf digest --dry-run >out
printf '%s, %d bytes of output\n' "$(tail -n 1 out)" "$(wc -c <out)"
# Wall and CPU (user + system) seconds of each run; the machine is shared,
# so CPU time is the steadier figure.
for _ in $(seq 1 "$RUNS"); do
	/usr/bin/time -f '%e %U %S' -o time.txt \
		"$build/src/postdesk" -c postdesk.conf digest --dry-run >/dev/null
	cat time.txt
done | sort -n | awk '
	{ wall[NR] = $1; cpu[NR] = $2 + $3 }
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END { printf "postdesk digest --dry-run, %d runs: wall median %.2f s (min %.2f, max %.2f), CPU median %.2f s\n",
	      NR, median(wall, NR), wall[1], wall[NR], median(cpu, NR) }'
