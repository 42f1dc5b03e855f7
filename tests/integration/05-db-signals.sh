#!/bin/bash
# Database faults the daemon must ride out (lock waits retried, other errors
# rolled back, a restarted server reconnected), SIGHUP, and expiry.
. tests/lib/env.sh
set -u
SOCK=""		# a private server: this test stops and starts it
db_start || exit 1
simple_setup t05 10 d || exit 1
write_conf t05
run_once
check "setup: 10 zones" eq "$(sql t05 "SELECT COUNT(*) FROM records WHERE type='SOA'")" "10"

# A lock wait timeout is retried: hold the domain row for 3 s, lock waits of 1 s.
sql t05 "SET GLOBAL innodb_lock_wait_timeout = 1"
make_zone "$T/z/d1.test.zone" d1.test 2
nsd_reload a
mariadb --no-defaults -S "$SOCK" -uroot t05 -e \
    "START TRANSACTION; SELECT id FROM domains WHERE name='d1.test' FOR UPDATE; SELECT SLEEP(3); COMMIT" >/dev/null &
locker=$!
sleep 0.3
: > "$DLOG"
start=$(date +%s%N)
run_once --zone d1.test; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
wait $locker
check "lock wait timeout: retried until the lock is gone, then written" [ $rc -eq 0 ]
check "lock wait timeout: new serial stored" eq "$(zone_serial t05 d1.test)" "2"
check "lock wait timeout: it really waited for the lock (${took} ms)" [ "$took" -ge 2500 ]
sql t05 "SET GLOBAL innodb_lock_wait_timeout = 50"

# Any other error rolls back: a trigger refuses one record of the new zone.
mariadb --no-defaults -S "$SOCK" -uroot t05 <<'SQL'
DELIMITER //
CREATE TRIGGER refuse_boom BEFORE INSERT ON records FOR EACH ROW
  IF NEW.name = 'boom.d2.test' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom refused'; END IF //
DELIMITER ;
SQL
make_zone "$T/z/d2.test.zone" d2.test 2 "boom IN A 192.0.2.66"
nsd_reload a
before=$(all_rows t05)
lc=$(last_check t05 d2.test)
: > "$DLOG"
run_once --zone d2.test; rc=$?
check "database error: --zone exits 1" [ $rc -eq 1 ]
check "database error: rolled back, every row as before" eq "$(all_rows t05)" "$before"
check "database error: last_check not moved" eq "$(last_check t05 d2.test)" "$lc"
check "database error: logged with zone and the server's message" \
    grep -q "zone d2.test: database write failed, rolled back, old rows kept: boom refused" "$DLOG"
sql t05 "DROP TRIGGER refuse_boom"

# The server restarts under a running daemon: it reconnects and carries on.
# (A running daemon keeps its timers in memory: short refresh timers here.)
write_conf t05 "timers {
    max-refresh = 2
}"
: > "$DLOG"
daemon_start
sleep 1
db_stop
for i in 3 4 5; do make_zone "$T/z/d$i.test.zone" "d$i.test" 2 "after IN A 192.0.2.$i"; done
nsd_reload a
sql() { mariadb --no-defaults -S "$SOCK" -uroot -N -B "$1" -e "$2"; }
db_restart_same || { nok "MariaDB did not come back"; finish; exit 1; }
check "database restart: the daemon reconnects and writes the new zones" \
    wait_for 40 sql_is t05 "SELECT COUNT(*) FROM records WHERE name LIKE 'after.%'" 3

# SIGHUP: a broken file is refused and the old configuration stays.
cp "$T/refresher.conf" "$T/good.conf"
printf 'soa {\n  tries = 0\n}\n' >> "$T/refresher.conf"
kill -HUP "$DPID"
check "SIGHUP with a bad file: refused with file:line" \
    wait_for 5 grep -q "SIGHUP: configuration not reloaded, keeping the old one: .*refresher.conf:[0-9]*: soa.tries = 0 is out of range" "$DLOG"
check "SIGHUP with a bad file: the daemon carries on" kill -0 "$DPID"
cp "$T/good.conf" "$T/refresher.conf"
sed -i 's/max-refresh = 2/max-refresh = 3/' "$T/refresher.conf"
kill -HUP "$DPID"
check "SIGHUP with a good file: reloaded" wait_for 5 grep -q "SIGHUP: configuration reloaded" "$DLOG"
make_zone "$T/z/d6.test.zone" d6.test 2 "afterhup IN A 192.0.2.6"
nsd_reload a
check "SIGHUP: work goes on with the new configuration" \
    wait_for 20 sql_is t05 "SELECT COUNT(*) FROM records WHERE name = 'afterhup.d6.test'" 1
daemon_stop
check "SIGTERM after all that: exit 0" [ $? -eq 0 ]

# Expiry: no good check for longer than SOA EXPIRE (604800 s here).
nsd_stop a
sql t05 "UPDATE domains SET last_check = UNIX_TIMESTAMP() - 700000 WHERE name = 'd7.test'"
: > "$DLOG"
run_once --zone d7.test
check "expiry: a zone unchecked past EXPIRE is logged as expired" \
    grep -q "zone d7.test: expired: no successful check for over 604800 s" "$DLOG"
check "expiry: its rows are kept" eq "$(sql t05 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='d7.test'")" "18"
finish
