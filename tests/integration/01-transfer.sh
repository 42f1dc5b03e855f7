#!/bin/bash
# First transfer, serial bump, unchanged serial, zone gone from the master,
# --zone, -n, and the domain list re-read by a running daemon.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
N=200
zones=$(for i in $(seq 1 $N); do echo "z$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 100; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t01
add_slaves t01 127.0.1.1:5300 $zones
write_conf t01

# -n: configuration and database
check "-n accepts a good configuration and the PowerDNS schema" \
    "$BIN" -c "$T/refresher.conf" -n
mariadb --no-defaults -S "$SOCK" -uroot -e "DROP DATABASE IF EXISTS notpdns; CREATE DATABASE notpdns; CREATE TABLE notpdns.domains (id int)"
sed 's/database = "t01"/database = "notpdns"/' "$T/refresher.conf" > "$T/bad-schema.conf"
out=$("$BIN" -c "$T/bad-schema.conf" -n 2>&1); rc=$?
check "-n refuses a database without the PowerDNS schema" [ $rc -eq 1 ]
check "-n says which table is wrong" grep -q "table domains" <<<"$out"
printf 'mysql {\n  socket = "%s"\n}\nsoa {\n  tries = 99\n}\n' "$SOCK" > "$T/bad.conf"
out=$("$BIN" -c "$T/bad.conf" -n 2>&1); rc=$?
check "-n refuses an out-of-range value with file:line" \
    bash -c "[ $rc -eq 1 ] && grep -q 'bad.conf:5: soa.tries = 99 is out of range' <<<'$out'"

# First transfer of every zone.
run_once; rc=$?
check "--once exits 0 when every zone ended fresh" [ $rc -eq 0 ]
n=$(sql t01 "SELECT COUNT(DISTINCT domain_id) FROM records WHERE type='SOA'")
check "first transfer: all $N zones have their SOA" eq "$n" "$N"
rows=$(sql t01 "SELECT COUNT(*) FROM records")
check "first transfer: 18 rows per zone (15 records + 3 ENTs)" eq "$rows" "$((N * 18))"
check "first transfer: MX prio cut from content" \
    eq "$(sql t01 "SELECT CONCAT(prio,' ',content) FROM records WHERE name='z7.test' AND type='MX' ORDER BY prio LIMIT 1")" "10 mail.z7.test"
check "first transfer: ENT rows with NULL type, content, ttl" \
    eq "$(sql t01 "SELECT COUNT(*) FROM records WHERE name='_tcp.z7.test' AND type IS NULL AND content IS NULL AND ttl IS NULL AND prio IS NULL AND auth=1")" "1"
check "first transfer: last_check set for every zone" \
    eq "$(sql t01 "SELECT COUNT(*) FROM domains WHERE last_check IS NULL")" "0"
check "log names zone, master, serial and rows" \
    grep -q "zone z7.test: first transfer, serial 100 from 127.0.1.1:5300: 15 records, 18 rows" "$DLOG"

# Nothing due: a second --once right away does nothing at all.
before=$(all_rows t01)
: > "$DLOG"
run_once; rc=$?
check "--once with nothing due exits 0" [ $rc -eq 0 ]
check "--once with nothing due sends no query" grep -q "0 checks" "$DLOG"

# Same serial: rows untouched, last_check advanced.
sql t01 "UPDATE domains SET last_check = last_check - 7200"
lc_before=$(last_check t01 z3.test)
# Run under strace: the pass logs hundreds of lines (-v), and syslog(3)
# would try /dev/log again for each where no syslog daemon takes them.
lines0=$(wc -l < "$DLOG")
strace -f -qq -e trace=connect -o "$T/connects" "$BIN" -c "$T/refresher.conf" -v --once >>"$DLOG" 2>&1
check "same serial: every row untouched (same ids, same content)" eq "$(all_rows t01)" "$before"
nlines=$(( $(wc -l < "$DLOG") - lines0 )); nlog=$(grep -c '"/dev/log"' "$T/connects")
check "syslog: $nlines lines logged, /dev/log tried $nlog times (a few, not a line each)" \
    bash -c "[ $nlines -ge 200 ] && [ $nlog -le 10 ]"
lc_after=$(last_check t01 z3.test)
check "same serial: last_check advanced" [ "$lc_after" -gt "$lc_before" ]
check "same serial: counted as unchanged" grep -q "($N unchanged)" "$DLOG"

# The stored serial is read by pdns's (name, type) index, and still found
# without it: a SOA row not under domains.name, then a table without the
# domain_id index, then without either.  Found means no zone is taken for a first transfer.
z3=$(sql t01 "SELECT id FROM domains WHERE name = 'z3.test'")
sql t01 "UPDATE records SET name = 'elsewhere.test' WHERE type = 'SOA' AND domain_id = $z3"
sql t01 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
run_once
check "stored serial: a SOA row under another name is found through domain_id" \
    bash -c "grep -q '($N unchanged)' '$DLOG' && ! grep -q 'z3.test: first transfer' '$DLOG'"
sql t01 "UPDATE records SET name = 'z3.test' WHERE type = 'SOA' AND domain_id = $z3"
sql t01 "ALTER TABLE records DROP INDEX domain_id"
sql t01 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
run_once; rc=$?
check "stored serial: read without pdns's domain_id index too" \
    bash -c "[ $rc -eq 0 ] && grep -q '($N unchanged)' '$DLOG'"
sql t01 "ALTER TABLE records DROP INDEX nametype_index"
sql t01 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
run_once; rc=$?
check "stored serial: read without either index too" \
    bash -c "[ $rc -eq 0 ] && grep -q '($N unchanged)' '$DLOG'"
sql t01 "CREATE INDEX nametype_index ON records (name, type)"
sql t01 "CREATE INDEX domain_id ON records (domain_id)"

# Serial bump on a few zones: new rows for them only.
for i in 1 2 3; do make_zone "$T/z/z$i.test.zone" "z$i.test" 101 "new$i IN A 192.0.2.$i"; done
nsd_reload a
others_before=$(sql t01 "SELECT GROUP_CONCAT(r.id ORDER BY r.id) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name NOT IN ('z1.test','z2.test','z3.test')")
sql t01 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
run_once
check "serial bump: new serial stored" eq "$(zone_serial t01 z2.test)" "101"
check "serial bump: new record present" \
    eq "$(sql t01 "SELECT content FROM records WHERE name='new2.z2.test'")" "192.0.2.2"
check "serial bump: rows replaced, not added to (19 rows)" \
    eq "$(sql t01 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='z2.test'")" "19"
check "serial bump: other zones' rows untouched" \
    eq "$(sql t01 "SELECT GROUP_CONCAT(r.id ORDER BY r.id) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name NOT IN ('z1.test','z2.test','z3.test')")" "$others_before"
check "serial bump: log shows old and new serial" grep -q "zone z2.test: serial 100 -> 101 from 127.0.1.1:5300" "$DLOG"

# Serial lower at the master: keep ours, log it.
make_zone "$T/z/z4.test.zone" z4.test 99
nsd_reload a
rows4=$(zone_rows t01 z4.test)
: > "$DLOG"
run_once --zone z4.test
check "older serial at the master: rows kept" eq "$(zone_rows t01 z4.test)" "$rows4"
check "older serial at the master: logged" grep -q "zone z4.test: master 127.0.1.1:5300 serial 99 is older than ours 100" "$DLOG"

# Zone removed from the master: rows untouched, failure logged with the reason.
rm "$T/z/z5.test.zone"
nsd_stop a
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
rows5=$(zone_rows t01 z5.test)
: > "$DLOG"
run_once --zone z5.test; rc=$?
check "zone gone from the master: --zone exits 1" [ $rc -eq 1 ]
check "zone gone from the master: rows untouched" eq "$(zone_rows t01 z5.test)" "$rows5"
check "zone gone from the master: reason logged with zone and master" \
    grep -Eq "zone z5.test: master 127.0.1.1:5300: SOA check failed: master answered (REFUSED|NOTAUTH|SERVFAIL)" "$DLOG"

# --zone checks a zone now even when it is not due.
lc=$(last_check t01 z6.test)
sleep 1.1
run_once --zone z6.test; rc=$?
check "--zone on a fresh zone exits 0" [ $rc -eq 0 ]
check "--zone checks it although not due (last_check moved)" [ "$(last_check t01 z6.test)" -gt "$lc" ]
run_once --zone nosuch.test; rc=$?
check "--zone on an unknown domain exits 1" [ $rc -eq 1 ]
check "--zone on an unknown domain says so" grep -q "zone nosuch.test is not a SLAVE domain" "$DLOG"
# the name is bound, not pasted into the SQL: a quote is only a character
sql t01 "UPDATE domains SET last_check = 1 WHERE name = 'z6.test'"
run_once --zone "z6.test' OR '1'='1"; rc=$?
check "--zone with a quote in the name: an unknown domain (exit 1)" [ $rc -eq 1 ]
check "--zone with a quote in the name: no zone checked" eq "$(last_check t01 z6.test)" 1

# A running daemon picks up added and removed domains.
mkdir -p "$T/z2"
make_zone "$T/z2/late.test.zone" late.test 7
nsd_start b 127.0.1.2 5300 "$T/z2" || exit 1
: > "$DLOG"
daemon_start
sleep 1
add_slaves t01 127.0.1.2:5300 late.test
check "daemon: a domain added to the DB is transferred after the re-read" \
    wait_for 20 sql_is t01 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='late.test' AND r.type='SOA'" 1
check "daemon: it was found by its new id, without reading the whole list" \
    grep -q "domain list: 1 new rows in" "$DLOG"
sql t01 "DELETE FROM domains WHERE name='z9.test'"
sql t01 "UPDATE domains SET master = '127.0.1.2:5300, 127.0.1.1:5300' WHERE name = 'z8.test'"
sleep 6
check "daemon: the frequent check reads no list (a deletion waits for the rescan)" \
    bash -c "grep -q 'domain list unchanged (no new id)' '$DLOG' && ! grep -q 'zone z9.test: no longer' '$DLOG'"
kill -HUP "$DPID"
check "daemon: SIGHUP rescans: a domain deleted from the DB is dropped" \
    wait_for 20 grep -q "zone z9.test: no longer a SLAVE domain; dropped" "$DLOG"
check "daemon: SIGHUP rescans: a changed domains.master is picked up" \
    wait_for 20 grep -q "zone z8.test: masters changed to '127.0.1.2:5300, 127.0.1.1:5300'" "$DLOG"
n=$(grep -c "domain list: .* rows in" "$DLOG")
kill -HUP "$DPID"
check "daemon: a rescan of an unchanged list compares its signature" \
    wait_for 5 grep -Eq 'domain list unchanged \([0-9]+/' "$DLOG"
check "daemon: ... and loads nothing" eq "$(grep -c 'domain list: .* rows in' "$DLOG")" "$n"
daemon_stop; rc=$?
check "daemon: SIGTERM exits 0" [ $rc -eq 0 ]
check "daemon: shutdown line with counts" grep -q "stopped: .* zones" "$DLOG"
finish
