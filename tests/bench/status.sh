#!/bin/bash
# What refresher_zone_status costs: N SLAVE domains (default 170,000) whose
# every check fails (the fake master refuses them all: the worst case, a
# row written for every zone), one --once pass without the table, then two
# with it (the first fills it, the second updates every row).  Prints the
# pass times and the rows.
# Usage: tests/bench/status.sh [N]
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-170000}
. tests/lib/env.sh
db_start >/dev/null || exit 1
db_create st
seq 1 "$N" | awk '{ printf "%d\tz%d.example\t127.0.3.%d:5300\tSLAVE\n", $1, $1, 1 + $1 % 16 }' > "$T/d.tsv"
seq 1 "$N" | awk '{ printf "%d\tz%d.example\tSOA\tns1.z%d.example hostmaster.z%d.example 1 3600 600 604800 300\t3600\t0\n",
    $1, $1, $1, $1 }' > "$T/r.tsv"
mariadb --no-defaults -S "$SOCK" -uroot --local-infile=1 st -e \
    "LOAD DATA LOCAL INFILE '$T/d.tsv' INTO TABLE domains (id, name, master, type);
     LOAD DATA LOCAL INFILE '$T/r.tsv' INTO TABLE records (domain_id, name, type, content, ttl, prio)"
: > "$T/script"
fake_start "$T/script" $(seq 1 16 | sed 's/^/127.0.3./') >/dev/null || exit 1
write_conf st "soa {
    queries-per-second = 100000
    timeout = 2000
    tries = 2
}
master {
    queries-per-second = 100000
    in-flight = 200
}
log { level = \"info\" }"
pass() {	# pass NAME: one --once run, its elapsed seconds
	local t0 t1
	t0=$(date +%s%N)
	"$BIN" -c "$T/refresher.conf" --once > "$T/$1.log" 2>&1
	t1=$(date +%s%N)
	grep -q "stopped: $N zones" "$T/$1.log" || { echo "status bench: pass $1 did not run:" >&2; tail -3 "$T/$1.log" >&2; }
	echo "scale=2; ($t1 - $t0) / 1000000000" | bc
}
a=$(pass without)
mariadb --no-defaults -S "$SOCK" -uroot st < sql/pdns-refresher.sql
b=$(pass fill)
rows=$(sql st "SELECT COUNT(*) FROM refresher_zone_status WHERE state = 'failing'")
c=$(pass update)
f=$(sql st "SELECT MIN(failures) FROM refresher_zone_status")
printf '\nrefresher_zone_status, %d zones all failing (--once): %s s without the table, %s s filling it (%s rows), %s s updating every row (failures now %s)\n' \
    "$N" "$a" "$b" "$rows" "$c" "$f"
