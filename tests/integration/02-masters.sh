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
    grep -q "master 127.0.1.1:5300: SOA check failed: Connection refused" "$DLOG"
check "master down: one warning per master, the rest at debug" \
    eq "$(grep -c 'warning: zone .*: master 127.0.1.1:5300: SOA check failed' "$DLOG")" "1"

# The daemon retries (RETRY, backoff) and picks the change up once the master is back.
: > "$DLOG"
daemon_start
check "master down: daemon retries the zones" \
    wait_for 15 sh -c "[ \$(grep -c 'zone m1.test: ready -> querying' $DLOG) -ge 2 ]"
check "master down: rows still untouched while it retries" eq "$(all_rows t02)" "$before"
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
check "master back: every zone gets the new serial" \
    wait_for 30 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t02 -e \"SELECT COUNT(*) FROM records WHERE type='A' AND name LIKE 'changed.%'\")\" = 20 ]"
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
finish
