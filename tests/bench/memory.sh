#!/bin/bash
# Memory with N SLAVE domains (default 170,000 over 250 masters), all fresh:
# the daemon loads the list and idles.  Prints peak and steady RSS.
# Usage: tests/bench/memory.sh [N]
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-170000}
. tests/lib/env.sh
db_start >/dev/null || exit 1
db_create mem
now=$(date +%s)
seq 1 "$N" | awk -v now="$now" '{ printf "%d\tz%d.example\t127.0.%d.%d:5300\t%d\tSLAVE\n",
    $1, $1, 10 + int(($1 % 250) / 200), 1 + ($1 % 250) % 200, now }' > "$T/d.tsv"
seq 1 "$N" | awk '{ printf "%d\tz%d.example\tSOA\tns1.z%d.example hostmaster.z%d.example 1 3600 600 604800 300\t3600\t0\n",
    $1, $1, $1, $1 }' > "$T/r.tsv"
mariadb --no-defaults -S "$SOCK" -uroot --local-infile=1 mem -e \
    "LOAD DATA LOCAL INFILE '$T/d.tsv' INTO TABLE domains (id, name, master, last_check, type);
     LOAD DATA LOCAL INFILE '$T/r.tsv' INTO TABLE records (domain_id, name, type, content, ttl, prio)"
write_conf mem
"$BIN" -c "$T/refresher.conf" -f > "$T/d.log" 2>&1 &
p=$!
PIDS="$PIDS $p"
wait_for 60 grep -q "loaded" "$T/d.log" || { echo "the daemon did not load"; exit 1; }
sleep 2
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$p/status)
rss=$(awk '/VmRSS/ { print $2 }' /proc/$p/status)
printf '\n%d zones: peak RSS %.1f MiB, idle RSS %.1f MiB (%s)\n' "$N" "$(echo "$hwm / 1024" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$(grep -o 'loaded .*' "$T/d.log")"
