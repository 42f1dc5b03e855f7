#!/bin/bash
# NOTIFY latency: N changes (default 100), one at a time, on an NSD master
# that notifies two pdns_server 4.7 at once: one serving with secondary=no
# and forward-notify at pdns-refresher, one running its own secondary mode.
# For each change: time from NSD's reload signal to the new serial in
# MySQL, for both, polled every few ms in one query.  Then the same with NSD
# notifying pdns-refresher directly too.  Prints median and worst.
# Usage: tests/bench/notify.sh [N]
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-100}
. tests/lib/env.sh
db_start >/dev/null || exit 1
mkdir -p "$T/z"
zones=$(for i in $(seq 1 "$N"); do echo "b$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
NSD_PATTERN="notify: 127.0.2.1@5301 NOKEY
	notify: 127.0.2.2@5302 NOKEY
	outgoing-interface: 127.0.1.1" nsd_start a 127.0.1.1 5300 "$T/z" >/dev/null || exit 1
db_create nours
db_create npdns
add_slaves nours 127.0.1.1:5300 $zones
add_slaves npdns 127.0.1.1:5300 $zones
write_conf nours "notify {
    listen = {\"127.0.0.1:5353\"}
    trusted = {\"127.0.0.1\"}
}
timers {
    min-refresh = 3600
}"
"$BIN" -c "$T/refresher.conf" --once >/dev/null 2>&1
"$BIN" -c "$T/refresher.conf" -f > "$T/d.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 grep -q "notify: listening" "$T/d.log" || { echo "the daemon did not start"; exit 1; }
PDNS_EXTRA="forward-notify=127.0.0.1:5353" pdns_start fwd nours 127.0.2.1:5301 serve || exit 1
pdns_start sec npdns 127.0.2.2:5302 secondary || exit 1
wait_for 120 sql_is npdns "SELECT COUNT(*) FROM records WHERE type='SOA'" "$N" ||
    { echo "pdns's secondary did not load the $N zones"; exit 1; }
sleep 2

# One mariadb client for the whole run: a query every 5 ms, printing the
# time at which each database first holds the serial asked for.
mkfifo "$T/q"
exec 3<>"$T/q"
mariadb --no-defaults -S "$SOCK" -uroot -N -B -n < "$T/q" > "$T/a" 2>&1 &
PIDS="$PIDS $!"
poll() {	# poll ZONE SERIAL: prints "ours_ms pdns_ms" after NSD's signal
	local z=$1 s=$2 t0 now o="" p="" line
	t0=$(date +%s%N)
	kill -HUP "$NSD_PID_a"
	while :; do
		: > "$T/a"
		printf "SELECT (SELECT COUNT(*) FROM nours.records WHERE name='v%s.%s'), (SELECT COUNT(*) FROM npdns.records WHERE name='v%s.%s');\n" \
		    "$s" "$z" "$s" "$z" >&3
		until [ -s "$T/a" ]; do sleep 0.002; done
		now=$(( ($(date +%s%N) - t0) / 1000000 ))
		read -r a b < "$T/a"
		[ -z "$o" ] && [ "$a" = 1 ] && o=$now
		[ -z "$p" ] && [ "$b" = 1 ] && p=$now
		[ -n "$o" ] && [ -n "$p" ] && break
		[ "$now" -gt 10000 ] && break
		sleep 0.003
	done
	echo "${o:-10000} ${p:-10000}"
}
# changes SERIAL FILE: every zone changed once, a random 0-1 s apart (pdns
# relays and checks on a one-second tick: no phase lock with it)
changes() {
	: > "$2"
	for i in $(seq 1 "$N"); do
		z=b$i.test
		make_zone "$T/z/$z.zone" "$z" "$1" "v$1 IN A 192.0.2.$1"
		sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
		poll "$z" "$1" >> "$2"
	done
}
stat() {	# stat FILE COLUMN: median and worst in ms
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END {
	    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "median %4d ms, worst %5d ms", m, v[NR] }'
}
changes 2 "$T/lat"

# Then NSD also notifies pdns-refresher directly (a master may).
nsd_stop a
NSD_PATTERN="notify: 127.0.2.1@5301 NOKEY
	notify: 127.0.2.2@5302 NOKEY
	notify: 127.0.0.1@5353 NOKEY
	outgoing-interface: 127.0.1.1" nsd_start a 127.0.1.1 5300 "$T/z" >/dev/null || exit 1
sleep 3
changes 3 "$T/lat.direct"

echo
echo "NOTIFY: $N changes on the master, one at a time, a random 0-1 s apart,"
echo "time from NSD's reload signal to the new serial in MySQL (polled every 5 ms):"
echo "  pdns-refresher via pdns forward-notify: $(stat "$T/lat" 1)"
echo "  pdns 4.7's own secondary:                $(stat "$T/lat" 2)   (same NOTIFYs, same run)"
echo "  pdns-refresher notified by NSD directly: $(stat "$T/lat.direct" 1)"
echo "  changes ours had first: $(awk '$1 < $2' "$T/lat" | wc -l) of $N; ours over 2 s: $(cat "$T/lat" "$T/lat.direct" | awk '$1 > 2000' | wc -l)"
