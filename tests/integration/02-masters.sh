#!/bin/bash
# Masters that fail: down (refused), silent (black hole), a dead first master
# with a live second one, and recovery once a master is back.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
zones=$(for i in $(seq 1 20); do echo "m$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 100; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t02
add_slaves t02 127.0.1.1:5300 $zones
write_conf t02
run_once
check "setup: all 20 zones transferred" eq "$(sql t02 "SELECT COUNT(*) FROM records WHERE type='SOA'")" "20"

# The master goes down while the zones change there.
nsd_stop a
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 101 "changed IN A 192.0.2.99"; done
sql t02 "UPDATE domains SET last_check = last_check - 7200"
before=$(all_rows t02)
: > "$DLOG"
run_once; rc=$?
check "master down: --once exits 1" [ $rc -eq 1 ]
check "master down: every row untouched" eq "$(all_rows t02)" "$before"
check "master down: reason logged with zone and master" \
    grep -q "master 127.0.1.1:5300: SOA check failed: no reply after 2 tries of 500 ms (ICMP: Connection refused)" "$DLOG"
check "master down: one warning per master, the rest at debug" \
    eq "$(grep -c 'warning: zone .*: master 127.0.1.1:5300: SOA check failed' "$DLOG")" "1"

# The daemon retries (RETRY, backoff) and picks the change up once the master is back.
: > "$DLOG"
daemon_start
check "master down: the daemon pauses the master as a whole" \
    wait_for 15 grep -q "master 127.0.1.1:5300: no answer (no reply after 2 tries of 500 ms (ICMP: Connection refused)); no queries to it for 1 s" "$DLOG"
check "master down: then probes it with one query" \
    wait_for 15 sh -c "[ \$(grep -c 'master 127.0.1.1:5300: probing' $DLOG) -ge 2 ]"
sleep 2
q=$(grep -c 'queued -> querying' "$DLOG")
check "master down: probes, not a query per zone per retry ($q queries for 20 zones in ~5 s)" [ "$q" -le 30 ]
check "master down: rows still untouched while it retries" eq "$(all_rows t02)" "$before"
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
check "master back: every zone gets the new serial" \
    wait_for 30 sql_is t02 "SELECT COUNT(*) FROM records WHERE type='A' AND name LIKE 'changed.%'" 20
daemon_stop

# First master dead (refused), second alive.
mkdir -p "$T/z2"
make_zone "$T/z2/two.test.zone" two.test 5
make_zone "$T/z2/silent.test.zone" silent.test 5
nsd_start b 127.0.1.2 5300 "$T/z2" || exit 1
sql t02 "INSERT INTO domains (name, master, type) VALUES ('two.test', '127.0.1.8:5300, 127.0.1.2:5300', 'SLAVE')"
: > "$DLOG"
run_once --zone two.test; rc=$?
check "first master refused, second alive: exits 0" [ $rc -eq 0 ]
check "first master refused, second alive: transferred from the second" \
    grep -q "zone two.test: first transfer, serial 5 from 127.0.1.2:5300" "$DLOG"

# First master silent (black hole), second alive: one timeout per try, then the second.
blackhole_start 127.0.1.9 5300
sql t02 "INSERT INTO domains (name, master, type) VALUES ('silent.test', '127.0.1.9:5300 127.0.1.2:5300', 'SLAVE')"
: > "$DLOG"
start=$(date +%s%N)
run_once --zone silent.test; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "first master silent, second alive: exits 0" [ $rc -eq 0 ]
check "first master silent: timeout logged with the tries" \
    grep -q "zone silent.test: master 127.0.1.9:5300: SOA check failed: no reply after 2 tries of 500 ms" "$DLOG"
check "first master silent: second master used" grep -q "zone silent.test: first transfer, serial 5 from 127.0.1.2:5300" "$DLOG"
check "first master silent: gave up after about tries * timeout (${took} ms)" [ "$took" -lt 5000 ]

# A transfer that fails (master refuses AXFR) leaves the rows; logged with reason.
sql t02 "INSERT INTO domains (name, master, type) VALUES ('noxfr.test', '127.0.1.3:5300', 'SLAVE')"
mkdir -p "$T/z3"
make_zone "$T/z3/noxfr.test.zone" noxfr.test 9
NSD_PATTERN='' nsd_start c 127.0.1.3 5300 "$T/z3" || exit 1
sed -i 's/provide-xfr:.*NOKEY/provide-xfr: 127.0.0.254 NOKEY/' "$T/nsd-c.conf"
nsd_stop c
nsd -c "$T/nsd-c.conf" -d >"$T/nsd-c.out" 2>&1 & PIDS="$PIDS $!"
wait_for 10 sh -c "dig +time=1 +tries=1 -p 5300 @127.0.1.3 noxfr.test SOA | grep -q 'flags: qr aa'"
: > "$DLOG"
run_once --zone noxfr.test; rc=$?
check "AXFR refused: exits 1" [ $rc -eq 1 ]
check "AXFR refused: no rows written" eq "$(zone_rows t02 noxfr.test)" ""
check "AXFR refused: logged with zone, master and reason" \
    grep -Eq "zone noxfr.test: master 127.0.1.3:5300: transfer failed, rows kept: master answered (REFUSED|NOTAUTH)" "$DLOG"

# A descriptor limit of 20: SOA queries are capped below it so transfers and
# MySQL keep their sockets; nothing fails for it and no master is blamed.
mkdir -p "$T/z4"
many=$(for i in $(seq 1 100); do echo "fd$i.test"; done)
for z in $many; do make_zone "$T/z4/$z.zone" "$z" 1; done
nsd_start d 127.0.1.4 5300 "$T/z4" || exit 1
sql t02 "DELETE FROM domains WHERE name = 'noxfr.test'"
add_slaves t02 127.0.1.4:5300 $many
: > "$DLOG"
(ulimit -n 20; exec "$BIN" -c "$T/refresher.conf" --once >>"$DLOG" 2>&1); rc=$?
check "fd limit: --once still ends with every zone fresh" [ $rc -eq 0 ]
check "fd limit: all 100 zones transferred" \
    eq "$(sql t02 "SELECT COUNT(*) FROM records WHERE type='SOA' AND name LIKE 'fd%'")" "100"
check "fd limit: the cap is logged" grep -q "open files limited to 20; .* at most 1 SOA queries will be in flight" "$DLOG"
check "fd limit: no socket error anywhere" bash -c "! grep -q 'Too many open files' '$DLOG'"

# A silent master costs one timeout, not one per zone: 40 zones list it first
# and a live master second; 40 more list only it.
mkdir -p "$T/z5"
both=$(for i in $(seq 1 40); do echo "bh$i.test"; done)
only=$(for i in $(seq 1 40); do echo "bo$i.test"; done)
for z in $both; do make_zone "$T/z5/$z.zone" "$z" 1; done
nsd_start e 127.0.1.5 5300 "$T/z5" || exit 1
blackhole_start 127.0.1.10 5300 "$T/bh.count"
sql t02 "DELETE FROM domains WHERE name LIKE 'fd%'"
add_slaves t02 "127.0.1.10:5300 127.0.1.5:5300" $both
: > "$DLOG"
start=$(date +%s%N)
run_once; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
n=$(cat "$T/bh.count" 2>/dev/null || echo 0)
check "silent first master: --once ends with every zone fresh" [ $rc -eq 0 ]
check "silent first master: all 40 zones from the second master" \
    eq "$(sql t02 "SELECT COUNT(*) FROM records WHERE type='SOA' AND name LIKE 'bh%'")" "40"
check "silent first master: paused once, logged once" \
    eq "$(grep -c 'master 127.0.1.10:5300: no answer' "$DLOG")" "1"
# One round (20 in flight x 2 tries), and the one test query that confirms
# the silence before the pause (a first timeout alone may be one zone's).
check "silent first master: at most one round of queries and one test reached it ($n datagrams)" \
    [ "$n" -le 42 ]
check "silent first master: one round and one test, not a timeout per zone (${took} ms)" [ "$took" -lt 4000 ]

# Daemon: zones whose only master is silent wait for probes.
add_slaves t02 127.0.1.10:5300 $only
write_conf t02 "master {
    queries-per-second = 1000
    down-backoff = 2
    max-down-backoff = 4
}"
n0=$(cat "$T/bh.count" 2>/dev/null || echo 0)	# the black hole counts since it started
: > "$DLOG"
daemon_start
sleep 9
daemon_stop
n=$(( $(cat "$T/bh.count" 2>/dev/null || echo 0) - n0 ))
check "silent only master: paused with its zones waiting" \
    grep -q "master 127.0.1.10:5300: no answer (no reply after 2 tries of 500 ms); no queries to it for 2 s, [0-9]* zones waiting" "$DLOG"
check "silent only master: probed with capped doubling (2 s, then 4 s)" \
    grep -q "master 127.0.1.10:5300: no answer .* no queries to it for 4 s" "$DLOG"
check "silent only master: $n datagrams in 9 s for 40 zones (one round, then probes)" [ "$n" -le 50 ]
finish
