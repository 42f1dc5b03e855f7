#!/bin/bash
# What the pdns cache purge costs: N zones (default 2,000) all change
# serial; --once writes them without the purge, then again with it, pdns
# serving the same database with its default caches.  Prints both times
# and the cost per zone.  Usage: tests/bench/purge.sh [N]
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-2000}
. tests/lib/env.sh
db_start >/dev/null || exit 1
mkdir -p "$T/z"
zones=$(for i in $(seq 1 "$N"); do echo "c$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" >/dev/null || exit 1
db_create purge
add_slaves purge 127.0.1.1:5300 $zones
write_conf purge
"$BIN" -c "$T/refresher.conf" --once >/dev/null 2>&1
PDNS_EXTRA="cache-ttl=20
query-cache-ttl=20" pdns_start srv purge 127.0.2.4:5304 serve || exit 1
pass() {	# pass SERIAL [control socket]: milliseconds for a --once over all zones
	for z in $zones; do make_zone "$T/z/$z.zone" "$z" "$1"; done
	nsd_reload a
	for z in $zones; do echo "$z SOA"; done > "$T/q"
	dig +norec +short -p 5304 @127.0.2.4 -f "$T/q" > /dev/null	# fill pdns's caches
	local extra="soa {
    queries-per-second = 100000
    in-flight = 2000
}
master {
    queries-per-second = 100000
    in-flight = 1000
    transfers = 8
}"
	[ -n "${2:-}" ] && extra="$extra
pdns {
    control-socket = \"$2\"
}"
	write_conf purge "$extra"
	sql purge "UPDATE domains SET last_check = 0"
	local t0=$(date +%s%N)
	"$BIN" -c "$T/refresher.conf" --once -v > "$T/once.log" 2>&1 || { echo "--once failed:" >&2; grep -v debug "$T/once.log" | tail -3 >&2; }
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
off=$(pass 2)
on=$(pass 3 "$T/pdns-srv/pdns.controlsocket")
purged=$(grep -c "pdns cache purged" "$T/once.log")
echo
echo "pdns cache purge: $N zones, every serial changed, --once"
echo "  without purge: $off ms; with purge: $on ms ($purged zones purged): $(( (on - off) * 1000 / N )) us a zone"
