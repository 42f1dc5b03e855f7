#!/bin/bash
# The scheduler against real sockets: no zone is starved by its neighbours.
# Each case is a defect that was found on the running daemon (issue 11):
#  - a few silent zones must not stall every other zone of their master;
#  - a domains.master change reaches a zone that is busy at the reload;
#  - domains deleted while their masters have queued work, then a rescan
#    (a use-after-free under ASan before);
#  - a burst of NOTIFYs stays inside master.in-flight and soa.in-flight,
#    and an honest zone of another master is still checked at once.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"

# sz FILE ZONE SERIAL: a zone with REFRESH 5 s whose rows depend on its serial
sz() {
	cat > "$1" <<EOZ
\$ORIGIN $2.
\$TTL 300
@	IN SOA ns1 hostmaster $3 5 5 604800 300
@	IN NS ns1
ns1	IN A 192.0.2.1
v-$3	IN A 192.0.2.3
EOZ
}
serials() {	# serials DB PATTERN SERIAL: zones LIKE PATTERN at SERIAL
	sql "$1" "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id
	    WHERE d.name LIKE '$2' AND r.type = 'SOA' AND r.content LIKE '% $3 5 5 %'"
}

q=$(for i in $(seq 1 50); do echo "q$i.test"; done)	# 127.0.3.1, q1..q5 silent
b=$(for i in $(seq 1 5); do echo "b$i.test"; done)	# a black hole, then 127.0.3.1
n=$(for i in $(seq 1 150); do echo "n$i.test"; done)	# 127.0.3.3, NOTIFY burst
o="o1.test"						# 127.0.3.4, honest
for z in $q $b $n $o; do sz "$T/z/$z.zone" "$z" 1; done
script() {	# script [soa rules...]: every zone served, then the rules
	{ for z in $q $b $n $o; do echo "zone $z $T/z/$z.zone"; done; printf '%s\n' "$@"; } > "$T/script.new"
	mv "$T/script.new" "$T/script"
}
script
fake_start "$T/script" 127.0.3.1 127.0.3.3 127.0.3.4 || exit 1
blackhole_start 127.0.3.2 5300

# ---- silent zones on a healthy master; a master change while busy ----
db_create t16a
add_slaves t16a 127.0.3.1:5300 $q
add_slaves t16a 127.0.3.2:5300 $b
write_conf t16a "master {
    queries-per-second = 1000
    down-backoff = 5
    max-down-backoff = 3600
}"
sql t16a "UPDATE domains SET master = '127.0.3.1:5300' WHERE name LIKE 'b%'"
run_once
sql t16a "UPDATE domains SET master = '127.0.3.2:5300' WHERE name LIKE 'b%'"
check "setup: 55 zones at serial 1" eq "$(serials t16a '%' 1)" "55"
for z in $q $b; do sz "$T/z/$z.zone" "$z" 2; done
script "$(for i in 1 2 3 4 5; do echo "soa q$i.test silent"; done)"
: > "$DLOG"
daemon_start
# REFRESH is 5 s; the 45 answering zones must not wait behind the 5 silent ones.
check "5 silent zones on a master: the other 45 get their change within 30 s" \
    wait_for 30 sql_is t16a "$(printf "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name LIKE 'q%%' AND r.type = 'SOA' AND r.content LIKE '%% 2 5 5 %%'")" 45
echo "# q zones at serial 2: $(serials t16a 'q%' 2) of 45"
check "5 silent zones on a master: the silent ones are logged with zone and master" \
    wait_for 10 grep -q "zone q[1-5].test: master 127.0.3.1:5300: SOA check failed: no reply" "$DLOG"
check "5 silent zones on a master: the master itself is never paused" \
    bash -c "! grep -q 'master 127.0.3.1:5300: no answer' '$DLOG'"
# The b zones are busy on the black hole now; the customer fixes the master.
wait_for 10 grep -q "zone b1.test: master 127.0.3.2:5300" "$DLOG"
sql t16a "UPDATE domains SET master = '127.0.3.1:5300' WHERE name LIKE 'b%'"
kill -HUP "$DPID"
check "master changed while the zones were busy: all 5 transferred from the new one" \
    wait_for 30 sql_is t16a "$(printf "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name LIKE 'b%%' AND r.type = 'SOA' AND r.content LIKE '%% 2 5 5 %%'")" 5
check "master changed while busy: logged" grep -q "zone b1.test: masters changed to '127.0.3.1:5300'" "$DLOG"
daemon_stop; rc=$?
check "silent zones: clean exit on SIGTERM" [ $rc -eq 0 ]

# ---- domains deleted while their masters have queued work ----
db_create t16b
for i in $(seq 1 60); do add_slaves t16b "127.0.4.$i:5300" "u$i.test"; done
write_conf t16b "soa {
    queries-per-second = 1
}
master {
    queries-per-second = 1
}"
: > "$DLOG"
daemon_start
wait_for 10 grep -q "loaded 60 SLAVE domains" "$DLOG"
sql t16b "DELETE FROM domains WHERE id > 20"
kill -HUP "$DPID"
check "40 domains deleted while queued: dropped at the rescan" \
    wait_for 20 grep -q "domain list re-read: 0 added, 40 removed" "$DLOG"
# The loop goes on with the 20 zones that are left.
mark=$(wc -l < "$DLOG")
check "40 domains deleted while queued: the 20 left are still checked" \
    wait_for 30 bash -c "tail -n +$mark '$DLOG' | grep -qE 'zone u([1-9]|1[0-9]|20)\.test: '"
check "40 domains deleted while queued: the daemon is alive" kill -0 "$DPID"
daemon_stop; rc=$?
check "40 domains deleted while queued: clean exit on SIGTERM" [ $rc -eq 0 ]

# ---- a NOTIFY burst inside every cap ----
db_create t16c
add_slaves t16c 127.0.3.3:5300 $n
add_slaves t16c 127.0.3.4:5300 $o
write_conf t16c "notify {
    listen = {\"127.0.0.1:5354\"}
    trusted = {\"127.0.0.1\"}
    trusted-rate = 5000
}
soa {
    in-flight = 10
    timeout = 1000
}
master {
    in-flight = 5
}
timers {
    min-refresh = 3600
}"
script
run_once
check "setup: 151 zones at serial 1" eq "$(serials t16c '%' 1)" "151"
sz "$T/z/$o.zone" "$o" 2
script "$(for z in $n; do echo "soa $z silent"; done)"
# The fake master reads its script again at the next query: let that be now,
# so its log times the burst's queries, not its reload.
dig +short +time=5 +tries=1 -p 5300 @127.0.3.4 "$o" SOA >/dev/null
: > "$DLOG"
daemon_start
wait_for 10 grep -q "notify: listening on 127.0.0.1:5354" "$DLOG"
: > "$FAKELOG"
npids=""
for z in $n; do notify_send 127.0.0.1 127.0.0.1 5354 "$z" "" 1 >/dev/null & npids="$npids $!"; done
wait $npids
notify_send 127.0.0.1 127.0.0.1 5354 "$o" 2 >/dev/null
check "NOTIFY burst: the honest zone of another master is checked and transferred" \
    wait_for 10 sql_is t16c "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 2 5 5 %'" 1
# The master's own log: queries for n zones in the first 800 ms (under one
# timeout of 1000 ms, so no query could have ended and freed a slot).
first=$(awk '$3 == "SOA" && $4 ~ /^n/ { print $1; exit }' "$FAKELOG")
inwin=$(awk -v f="${first:-0}" '$3 == "SOA" && $4 ~ /^n/ && $1 < f + 800' "$FAKELOG" | wc -l)
echo "# SOA queries for the notified zones in their first 800 ms: $inwin"
check "NOTIFY burst: at most master.in-flight (5) queries out at once" [ "${first:-0}" -gt 0 -a "$inwin" -le 5 ]
daemon_stop; rc=$?
check "NOTIFY burst: clean exit on SIGTERM" [ $rc -eq 0 ]
finish
