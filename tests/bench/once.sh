#!/bin/bash
# Time a first load of N zones (default 1,000 and 10,000): pdns-refresher
# --once against pdns_server 4.7's own secondary, same zones, same machine,
# same run, MariaDB with durable commits (innodb_flush_log_at_trx_commit=1).
# Usage: tests/bench/once.sh [N ...]
set -u
cd "$(dirname "$0")/../.." || exit 1
export DB_FLUSH=1
. tests/lib/env.sh
db_start || exit 1
[ $# -gt 0 ] || set -- 1000 10000
printf '\n%-8s %14s %14s %8s %10s %16s\n' zones "refresher (s)" "pdns (s)" ratio "rows" "no-change (s)"
for N in "$@"; do
	rm -rf "$T/z"; mkdir -p "$T/z"
	zones=$(for i in $(seq 1 "$N"); do echo "b$i.bench"; done)
	for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
	nsd_stop bench
	nsd_start bench 127.0.1.1 5300 "$T/z" >/dev/null || exit 1
	db_create ours; db_create theirs
	add_slaves ours 127.0.1.1:5300 $zones
	add_slaves theirs 127.0.1.1:5300 $zones
	write_conf ours "master {
    queries-per-second = 100000
    in-flight = 1000
    transfers = 64
}
soa {
    queries-per-second = 100000
    in-flight = 2000
    timeout = 2000
}
workers = 8"
	start=$(date +%s%N)
	"$BIN" -c "$T/refresher.conf" --once >"$T/once-$N.log" 2>&1 || echo "# --once exited $? (see $T/once-$N.log)"
	ours=$(( ($(date +%s%N) - start) / 1000000 ))
	# A pass in which nothing changed: every zone due, same serial.
	sql ours "UPDATE domains SET last_check = last_check - 7200"
	start=$(date +%s%N)
	"$BIN" -c "$T/refresher.conf" --once >"$T/same-$N.log" 2>&1 || echo "# no-change --once exited $?"
	same=$(( ($(date +%s%N) - start) / 1000000 ))
	grep -q "($N unchanged)" "$T/same-$N.log" || echo "# no-change pass: not every zone unchanged (see $T/same-$N.log)"
	start=$(date +%s%N)
	pdns_start bench$N theirs 127.0.2.1:5301 secondary >/dev/null || exit 1
	wait_for 1800 sql_is theirs "SELECT COUNT(*) FROM records WHERE type='SOA'" $N
	theirs=$(( ($(date +%s%N) - start) / 1000000 ))
	pdns_stop bench$N
	rows=$(sql ours "SELECT COUNT(*) FROM records")
	awk -v n="$N" -v o="$ours" -v t="$theirs" -v r="$rows" -v s="$same" \
	    'BEGIN { printf "%-8d %14.2f %14.2f %7.1fx %10d %16.2f\n", n, o / 1000, t / 1000, t / o, r, s / 1000 }'
done
