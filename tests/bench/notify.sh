#!/bin/bash
# NOTIFY latency through the production path: an NSD master notifies the
# address where pdns_server (secondary=no) answers queries, port 53, and
# conf/notify-redirect.nft hands the NOTIFYs to pdns-refresher; the same
# NSD notifies a pdns_server 4.7 running its own secondary mode.  N changes
# (default 100), one at a time, a random 0-1 s apart; for each, the time
# from NSD's reload signal to the new serial in MySQL, for both, polled
# every few ms in one query.  Prints median, p99 and worst.
#
# Two network namespaces joined by a veth pair: "sec" holds the pdns that
# serves our database, the rule set and the daemon; "net" holds NSD (so its
# NOTIFYs come from the network, through nft's prerouting) and pdns's own
# secondary (outside the rule set, which would take its NOTIFYs too).
# Usage: tests/bench/notify.sh [N]
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-100}
if [ -z "${IN_NETNS:-}" ]; then
	NS_SEC=pbsec$$ NS_NET=pbnet$$
	ip netns add "$NS_SEC" && ip netns add "$NS_NET" || { echo "cannot create network namespaces"; exit 1; }
	trap 'ip netns del "$NS_SEC" 2>/dev/null; ip netns del "$NS_NET" 2>/dev/null' EXIT
	ip link add vs$$ netns "$NS_SEC" type veth peer name vn$$ netns "$NS_NET" &&
	ip -n "$NS_SEC" link set lo up && ip -n "$NS_NET" link set lo up &&
	ip -n "$NS_SEC" addr add 10.53.0.1/24 dev vs$$ &&
	ip -n "$NS_NET" addr add 10.53.0.2/24 dev vn$$ &&
	ip -n "$NS_NET" addr add 10.53.0.3/24 dev vn$$ &&
	ip -n "$NS_SEC" link set vs$$ up && ip -n "$NS_NET" link set vn$$ up ||
	    { echo "cannot link the namespaces"; exit 1; }
	IN_NETNS=1 NS_NET=$NS_NET ip netns exec "$NS_SEC" bash "$0" "$N"
	exit $?
fi
. tests/lib/env.sh
db_start >/dev/null || exit 1
in_net() { ip netns exec "$NS_NET" "$@"; }
nsd() { exec ip netns exec "$NS_NET" /usr/sbin/nsd "$@"; }
pdns_server() { if [ -n "${PDNS_IN_NET:-}" ]; then exec ip netns exec "$NS_NET" /usr/sbin/pdns_server "$@"; fi; exec /usr/sbin/pdns_server "$@"; }
mkdir -p "$T/z"
zones=$(for i in $(seq 1 "$N"); do echo "b$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
NSD_PATTERN="notify: 10.53.0.1 NOKEY
	notify: 10.53.0.3 NOKEY
	outgoing-interface: 10.53.0.2" nsd_start a 10.53.0.2 53 "$T/z" >/dev/null || exit 1
db_create nours
db_create npdns
add_slaves nours 10.53.0.2 $zones
add_slaves npdns 10.53.0.2 $zones
nft -f conf/notify-redirect.nft || { echo "nft -f conf/notify-redirect.nft failed"; exit 1; }
write_conf nours "notify {
    listen = {\"0.0.0.0:5300\"}
}
timers {
    min-refresh = 3600
}"
"$BIN" -c "$T/refresher.conf" --once >/dev/null 2>&1
"$BIN" -c "$T/refresher.conf" -f > "$T/d.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 grep -q "notify: listening" "$T/d.log" || { echo "the daemon did not start"; exit 1; }
pdns_start serve nours 10.53.0.1 serve || exit 1
PDNS_IN_NET=1 pdns_start sec npdns 10.53.0.3 secondary || exit 1
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
	local z=$1 s=$2 t0 now o="" p="" a b
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
# checks on a one-second tick: no phase lock with it)
changes() {
	: > "$2"
	for i in $(seq 1 "$N"); do
		z=b$i.test
		make_zone "$T/z/$z.zone" "$z" "$1" "v$1 IN A 192.0.2.$1"
		sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
		poll "$z" "$1" >> "$2"
	done
}
stat() {	# stat FILE COLUMN: median, p99 and worst in ms
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END {
	    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    p = int(NR * 0.99 + 0.999); if (p < 1) p = 1
	    printf "median %4d ms, p99 %5d ms, worst %5d ms", m, v[p], v[NR] }'
}
changes 2 "$T/lat"
redirected=$(nft list chain inet pdns_refresher_notify prerouting | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
relayed=$(grep -c NOTIFY "$T/pdns-serve.log")

echo
echo "NOTIFY: $N changes on the master, one at a time, a random 0-1 s apart,"
echo "time from NSD's reload signal to the new serial in MySQL (polled every 5 ms):"
echo "  pdns-refresher, production path (pdns's address, port 53, notify-redirect.nft):"
echo "                            $(stat "$T/lat" 1)"
echo "  pdns 4.7's own secondary: $(stat "$T/lat" 2)   (same NOTIFYs, same run)"
echo "  changes ours had first: $(awk '$1 < $2' "$T/lat" | wc -l) of $N; NOTIFYs redirected: $redirected; NOTIFYs pdns saw: $relayed"
