#!/bin/bash
# The direct NOTIFY path with the very file an operator installs,
# conf/notify-redirect.nft: pdns_server answers queries on port 53 of this
# host, masters notify that address, and the rule set hands the NOTIFYs (and
# nothing else) to the daemon, with the master's real address.
#
# Two network namespaces the test creates: "sec" (pdns, the daemon, the rule
# set, a master on loopback) and "net" (two NSD masters, IPv4 and IPv6), one
# veth pair between them, so NOTIFYs come both from the network (nft's
# prerouting) and from the host itself (output).
set -u
if [ -z "${IN_NETNS:-}" ]; then
	NS_SEC=prsec$$ NS_NET=prnet$$
	ip netns add "$NS_SEC" && ip netns add "$NS_NET" ||
	    { echo "not ok - network namespaces: cannot create them (ip netns add)"; exit 1; }
	trap 'ip netns del "$NS_SEC" 2>/dev/null; ip netns del "$NS_NET" 2>/dev/null' EXIT
	ip link add vs$$ netns "$NS_SEC" type veth peer name vn$$ netns "$NS_NET" &&
	ip -n "$NS_SEC" link set lo up && ip -n "$NS_NET" link set lo up &&
	ip -n "$NS_SEC" addr add 10.53.0.1/24 dev vs$$ &&
	ip -n "$NS_SEC" addr add fd53::1/64 dev vs$$ nodad &&
	ip -n "$NS_NET" addr add 10.53.0.2/24 dev vn$$ &&
	ip -n "$NS_NET" addr add fd53::2/64 dev vn$$ nodad &&
	ip -n "$NS_SEC" link set vs$$ up && ip -n "$NS_NET" link set vn$$ up ||
	    { echo "not ok - network namespaces: cannot link them"; exit 1; }
	IN_NETNS=1 NS_NET=$NS_NET ip netns exec "$NS_SEC" bash "$0"
	exit $?
fi
. tests/lib/env.sh
mkdir -p "$T/za" "$T/zb" "$T/zc"

# NSD in the other namespace when NSD_IN names it (nsd_start runs it in the
# background: exec replaces that subshell).
nsd() {
	if [ -n "${NSD_IN:-}" ]; then
		exec ip netns exec "$NSD_IN" /usr/sbin/nsd "$@"
	fi
	exec /usr/sbin/nsd "$@"
}
in_net() { ip netns exec "$NS_NET" "$@"; }

check "the rule set loads as shipped (nft -f conf/notify-redirect.nft), and again over itself" \
    sh -c "nft -f conf/notify-redirect.nft && nft -f conf/notify-redirect.nft && [ \$(nft list ruleset | grep -c 'redirect to :5300') -eq 2 ]"
check "its listen port is on a line of its own near the top" \
    sh -c "head -n 5 conf/notify-redirect.nft | grep -qx 'define notify_port = 5300'"

make_zone "$T/za/net.test.zone" net.test 1
make_zone "$T/zb/v6.test.zone" v6.test 1
make_zone "$T/zc/local.test.zone" local.test 1
NSD_IN=$NS_NET NSD_PATTERN="notify: 10.53.0.1 NOKEY" nsd_start a 10.53.0.2 53 "$T/za" || exit 1
NSD_IN=$NS_NET NSD_PATTERN="notify: fd53::1 NOKEY" nsd_start b fd53::2 53 "$T/zb" || exit 1
NSD_PATTERN="notify: 127.0.0.1 NOKEY
	outgoing-interface: 127.0.0.2" nsd_start c 127.0.0.2 53 "$T/zc" || exit 1
db_create t24
add_slaves t24 10.53.0.2 net.test
add_slaves t24 fd53::2 v6.test
add_slaves t24 127.0.0.2 local.test
pdns_start serve t24 "10.53.0.1, 127.0.0.1, fd53::1" serve || exit 1
write_conf t24 "notify {
    listen = {\"0.0.0.0:5300\", \"[::]:5300\"}
}
timers {
    min-refresh = 3600
}
pdns {
    control-socket = \"$T/pdns-serve/pdns.controlsocket\"
}"
daemon_start
check "first load: the three zones at serial 1" \
    wait_for 30 sql_is t24 "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 1 3600 %'" 3

# change NAME ZONE FILE: serial 2 on master NAME; NSD notifies as it reloads.
change() {
	make_zone "$3" "$2" 2
	: > "$T/when"
	nsd_reload "$1" || return 1
}
export -f zone_serial sql
export SOCK
for c in "a net.test 10.53.0.2 network" "b v6.test fd53::2 network-over-IPv6" "c local.test 127.0.0.2 host-itself"; do
	set -- $c
	name=$1 zone=$2 addr=$3 from=${4//-/ }
	case $name in a) dir=$T/za ;; b) dir=$T/zb ;; c) dir=$T/zc ;; esac
	t0=$(date +%s%N)
	change "$name" "$zone" "$dir/$zone.zone"
	check "from the $from: $zone's new serial is in MySQL within 5 s of the master's reload" \
	    wait_for 5 bash -c "[ \"\$(zone_serial t24 $zone)\" = 2 ]"
	echo "# $zone: $(( ($(date +%s%N) - t0) / 1000000 )) ms from the reload to the commit"
	case $addr in *:*) who="\\[$addr\\]" ;; *) who=$addr ;; esac
	check "from the $from: the NOTIFY reached the daemon from the master's own address ($addr)" \
	    grep -q "zone $zone: NOTIFY from $who:[0-9]*; checking now" "$DLOG"
	# transfer.ixfr-udp = notify (the default): the check a NOTIFY set off
	# is an IXFR over UDP, and NSD sends the small zone in its answer
	check "from the $from: the change came in the check's datagram, no TCP connection" \
	    grep -q "zone $zone: serial 1 -> 2 from .* (IXFR answered with the whole zone, over UDP)" "$DLOG"
done

check "pdns still answers queries on port 53 from the network: the new serial, authoritative" \
    sh -c "ip netns exec $NS_NET dig +time=2 +tries=1 @10.53.0.1 net.test SOA +norec | grep -q 'flags: qr aa' &&
        [ \"\$(ip netns exec $NS_NET dig +short +time=2 +tries=1 @10.53.0.1 net.test SOA | awk '{print \$3}')\" = 2 ]"
check "... over IPv6" \
    eq "$(in_net dig +short +time=2 +tries=1 @fd53::1 v6.test SOA | awk '{print $3}')" "2"
check "... and from the host itself" \
    eq "$(dig +short +time=2 +tries=1 @127.0.0.1 local.test SOA | awk '{print $3}')" "2"
check "pdns saw no NOTIFY: the rule set took every one" \
    eq "$(grep -c NOTIFY "$T/pdns-serve.log")" "0"
# A NOTIFY by hand from the master's address: the answer comes back from
# port 53 (the sender's socket is connected: an answer from 5300 would not
# reach it), with the daemon's NOERROR and AA.
check "a NOTIFY to port 53 is answered from port 53 by the daemon (NOERROR, AA, opcode NOTIFY)" \
    eq "$(in_net bash -c "$(declare -f notify_send); notify_send 10.53.0.2 10.53.0.1 53 net.test")" "NOERROR aa notify"
check "a NOTIFY from a stranger is refused by the daemon, not served by pdns" \
    eq "$(in_net bash -c "$(declare -f notify_send); notify_send 10.53.0.2 10.53.0.1 53 local.test")" "REFUSED notify"
check "both chains counted what they redirected (network and host)" \
    sh -c "nft list table inet pdns_refresher_notify | grep 'redirect' | grep -v 'packets 0 ' | wc -l | grep -qx 2"

check "SIGTERM: exit 0" daemon_stop
nft delete table inet pdns_refresher_notify
finish
