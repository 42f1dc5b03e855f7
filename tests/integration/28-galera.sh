#!/bin/bash
# Two name servers, one writer, on a three-node Galera cluster started by
# the test: one daemon per node (a on node 1, b on 2, c on 3), each on its
# own node's socket with its own MySQL user.  Exactly one works; kill -9
# of the holder, SIGSTOP past its lease, a clean stop, and the holder's
# database node killed: another daemon takes over within the lease (2 s
# after a clean stop), the paused one writes nothing once it lost the
# lease, and every zone ends as a daemon alone would have written it, with
# no domain ever written by two daemons in overlapping transactions.
. tests/lib/env.sh
. tests/lib/ha.sh
. tests/lib/galera.sh
set -u
SOCK=""
galera_start || exit 1
check "a three-node Galera cluster, every node synced" eq "$(galera_size 1)" 3
simple_setup t28 20 g || exit 1		# g1..g20.test, NSD "a" on 127.0.1.1:5300
ha_db_setup t28
node_of() { case $1 in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; esac; }
for n in a b c; do
	ha_user t28 "$n"
	ha_conf "$n" t28 "$(galera_sock "$(node_of "$n")")"
done
export -f sql sql_is ha_holder ha_holder_is
export SOCK
synced_holder() {	# synced_holder: the holder, the same on every live node, or ""
	local h="" x s
	for s in $LIVE; do
		x=$(SOCK=$(galera_sock "$s") ha_holder t28 2>/dev/null) || return 1
		[ -n "$h" ] && [ "$x" != "$h" ] && { echo ""; return; }
		h=$x
	done
	echo "$h"
}
LIVE="1 2 3"
one_holder() { local h; h=$(synced_holder); [ -n "$h" ] && [ "$h" != "${1:-}" ]; }
soa_at() {	# soa_at SERIAL: how many zones the database has at SERIAL
	sql t28 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% $1 3600 %'"
}
change() {	# change SERIAL zone...: new versions at the master
	local s=$1 z; shift
	for z in "$@"; do make_zone "$T/z/$z.zone" "$z" "$s"; done
	nsd_reload a
}

for n in a b c; do ha_start "$n"; done
check "one of the three daemons takes the lease" wait_for 15 one_holder
h=$(synced_holder)
echo "# holder: $h (node $(node_of "$h"))"
check "the holder transfers every zone" wait_for 30 sql_is t28 "SELECT COUNT(*) FROM records WHERE type = 'SOA'" 20
others=$(echo a b c | tr ' ' '\n' | grep -v "^$h$")
for o in $others; do
	check "$o waits and says $h holds the lease" wait_for 10 grep -q "ha: node $o waits: the lease is held by $h" "$T/ha-$o.log"
done
check "the waiting daemons wrote nothing" \
    sql_is t28 "SELECT COUNT(*) FROM writes WHERE who NOT LIKE 'ha_$h@%'" 0

# kill -9 of the holder: another takes over within the lease and a poll
t0=$(date +%s%N)
eval "kill -9 \$PID_$h"
check "kill -9 of $h: another daemon takes over within the lease (4 s) and a second" \
    wait_for 8 one_holder "$h"
echo "# Galera, takeover after kill -9: $(ha_ms_since "$t0") ms (lease 4 s)"
old=$h; h=$(synced_holder)
change 2 g1.test g2.test
check "the new holder $h stores the changes" wait_for 20 sql_is t28 "$(echo "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 2 3600 %'")" 2
mv "$T/ha-$old.log" "$T/ha-$old.1.log"
ha_start "$old"
check "$old, started again, waits" wait_for 10 grep -q "ha: node $old waits: the lease is held by $h" "$T/ha-$old.log"

# SIGSTOP of the holder past its lease, then SIGCONT
eval "kill -STOP \$PID_$h"
stopped=$(sql t28 "SELECT NOW(6)")
check "SIGSTOP of $h: another daemon takes over once the lease expired" \
    wait_for 12 one_holder "$h"
paused=$h; h=$(synced_holder)
change 3 g3.test g4.test
check "the new holder $h stores the changes" wait_for 20 sql_is t28 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 3 3600 %'" 2
eval "kill -CONT \$PID_$paused"
check "SIGCONT: $paused steps down" wait_for 10 grep -q "ha: node $paused steps down" "$T/ha-$paused.log"
check "SIGCONT: not one row written by $paused after it was stopped (every node's copy)" \
    sh -c "for s in $LIVE; do [ \$(mariadb --no-defaults -S $T/g\$s/mysql.sock -uroot -N -B t28 -e \"SELECT COUNT(*) FROM writes WHERE who LIKE 'ha_$paused@%' AND at >= '$stopped'\") = 0 ] || exit 1; done"

# a clean stop: takeover within 2 s
t0=$(date +%s%N)
eval "kill -TERM \$PID_$h; wait \$PID_$h"
check "clean stop: $h released the lease" grep -q "ha: node $h released the lease" "$T/ha-$h.log"
check "clean stop: another daemon holds the lease within 2 s" wait_for 2 one_holder "$h"
echo "# Galera, takeover after a clean stop: $(ha_ms_since "$t0") ms"
old=$h; h=$(synced_holder)
mv "$T/ha-$old.log" "$T/ha-$old.2.log"
ha_start "$old"

# The holder's database node killed: its daemon steps down (no renew for
# step-down seconds), and a daemon on a live node takes over.
hn=$(node_of "$h")
LIVE=$(echo 1 2 3 | tr ' ' '\n' | grep -v "^$hn$" | tr '\n' ' ')
SOCK=$(galera_sock "${LIVE%% *}")
t0=$(date +%s%N)
galera_kill "$hn"
check "node $hn killed: the cluster goes on with two" wait_for 20 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B -e \"SHOW STATUS LIKE 'wsrep_cluster_size'\" | cut -f2)\" = 2 ]"
check "node $hn killed: $h steps down" wait_for 10 grep -q "ha: node $h steps down: no renew for 3 s" "$T/ha-$h.log"
check "node $hn killed: a daemon on a live node holds the lease once the cluster dropped the node and the lease expired" \
    wait_for 20 one_holder "$h"
echo "# Galera, takeover after the holder's node was killed: $(ha_ms_since "$t0") ms"
dead=$h; h=$(synced_holder)
change 4 g5.test g6.test
check "the new holder $h stores the changes" wait_for 20 sql_is t28 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 4 3600 %'" 2
galera_run "$hn"
check "node $hn joins again" wait_for 120 galera_synced "$hn"
LIVE="1 2 3"
check "$dead, its node back, waits" wait_for 15 grep -q "ha: node $dead waits: the lease is held by $h" "$T/ha-$dead.log"

# The end: every zone as a daemon alone writes it, on every node; no
# domain written by two daemons in overlapping transactions.
change 5 g7.test
check "the changes made after the node came back are stored" \
    wait_for 20 sql_is t28 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 5 3600 %'" 1
for n in a b c; do eval "kill -TERM \$PID_$n 2>/dev/null"; done
for n in a b c; do eval "wait \$PID_$n"; done
check "every daemon stopped, the lease released" sql_is t28 "SELECT holder FROM refresher_lease" ""
ha_reference t28 ref28 127.0.1.1:5300
for s in 1 2 3; do
	SOCK=$(galera_sock "$s") check "node $s: every zone ends identical to the master (as a daemon alone writes it)" \
	    ha_same_rows t28 ref28
done
check "every row written went through a fence (the next check has data: $(sql t28 "SELECT COUNT(*) FROM writes WHERE what = 'commit'") transactions)" \
    eq "$(ha_uncommitted t28)" 0
check "no domain was written by two daemons in overlapping transactions" eq "$(ha_overlaps t28)" 0
finish
