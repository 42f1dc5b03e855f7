#!/bin/bash
# A query the local packet filter refuses (send fails with EPERM: a rule, a
# full conntrack table) is a datagram lost on the way, not a master that
# does not answer: the next try goes, and the master is not paused.
# Runs in a network namespace of its own, where nftables drops the first
# SOA query and lets the rest through.
if [ -z "${IN_NETNS:-}" ]; then
	ns=pdnsr-t09-$$
	ip netns add "$ns" || { echo "not ok - cannot create a network namespace (root?)"; exit 1; }
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" env IN_NETNS="$ns" bash "$0"
	rc=$?
	ip netns del "$ns"
	exit $rc
fi
. tests/lib/env.sh
set -u
simple_setup t09 1 lost || exit 1
# "until 60 bytes": the first query (about 55 bytes with headers) matches, the second no longer
nft -f - <<'EON' || { echo "not ok - nftables rule"; exit 1; }
table ip t09 {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 127.0.1.1 udp dport 5300 quota until 60 bytes counter drop
	}
}
EON
write_conf t09
run_once; rc=$?
dropped=$(nft list chain ip t09 out | grep -o 'packets [0-9]*' | awk '{ print $2 }')
check "the packet filter refused the first SOA query (EPERM on send)" eq "$dropped" 1
check "--once exits 0: the refused datagram counted as lost and the next try went" [ $rc -eq 0 ]
check "the zone was transferred" \
    eq "$(sql t09 "SELECT COUNT(*) FROM records WHERE type = 'SOA'")" 1
check "the master was not paused for a local refusal" bash -c "! grep -q 'no answer' '$DLOG'"
finish
