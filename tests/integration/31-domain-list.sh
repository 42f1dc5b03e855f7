#!/bin/bash
# A domain list longer than one part (8,192 domains a statement, issue 16):
# every domain is loaded once, a zone of a late part has its TSIG key from
# its first check, a domain gone from the first or the last part is
# dropped by the next rescan and a new one added.  The masters do not
# answer (nothing listens): the test is about the list, not the checks.
. tests/lib/env.sh
set -u
N=20000
db_create t31
# a stored SOA and a fresh last_check: nothing is due, no query goes out
sql t31 "INSERT INTO domains (name, master, type, last_check)
    SELECT CONCAT('l', seq, '.test'), CONCAT('127.0.31.', seq % 200 + 1, ':5300'), 'SLAVE',
        UNIX_TIMESTAMP() FROM seq_1_to_$N"
sql t31 "INSERT INTO records (domain_id, name, type, content, ttl, auth)
    SELECT id, name, 'SOA', 'ns.test. h.test. 1 86400 600 604800 300', 300, 1 FROM domains"
# l10000.test (the second part) names a key with an algorithm we do not
# have: its checks fail here, with one warning when the zone is loaded
# (the keys come with the first part and again for the list's end).
sql t31 "INSERT INTO tsigkeys (name, algorithm, secret) VALUES ('kw', 'hmac-whirlpool', 'c2VjcmV0');
    INSERT INTO domainmetadata (domain_id, kind, content)
    SELECT id, 'AXFR-MASTER-TSIG', 'kw' FROM domains WHERE name = 'l10000.test'"
write_conf t31 "timers {
    min-refresh = 86400
}"
daemon_start
check "a list of $N: loaded once each" wait_for 30 grep -q "loaded $N SLAVE domains (200 masters), 0 due now" "$DLOG"
total=$(ctl -j status | grep -o '"zones": *{"total": *[0-9]*' | grep -o '[0-9]*$')
check "a list of $N: $N zones in the table ($total)" eq "$total" "$N"
check "a list of $N: the zone of a later part has its (bad) key: warned once" \
    eq "$(grep -c 'zone l10000.test: .*; its checks fail until that is fixed' "$DLOG")" 1
check "a list of $N: nothing due, no query" bash -c "! grep -q -- '-> querying' '$DLOG'"

sql t31 "DELETE FROM domains WHERE name IN ('l5.test', 'l19999.test');
    INSERT INTO domains (name, master, type, last_check) VALUES
        ('l20001.test', '127.0.31.1:5300', 'SLAVE', UNIX_TIMESTAMP())"
kill -HUP "$DPID"
check "rescan: a domain gone from the first part and one from the last dropped, a new one added" \
    wait_for 30 grep -q "domain list re-read: 1 added, 2 removed, 0 with new masters" "$DLOG"
total=$(ctl -j status | grep -o '"zones": *{"total": *[0-9]*' | grep -o '[0-9]*$')
check "rescan: $((N - 1)) zones ($total)" eq "$total" "$((N - 1))"
check "rescan: the bad key, unchanged, is not warned of again" \
    eq "$(grep -c 'zone l10000.test: .*; its checks fail until that is fixed' "$DLOG")" 1
check "rescan: the zones that stay were not dropped" \
    bash -c "! grep -E 'zone l(1|8192|8193|16384|16385|19998|20000)\\.test: no longer a SLAVE domain' '$DLOG'"
daemon_stop
check "SIGTERM: exit 0" [ $? -eq 0 ]
# ---- the first zones are checked while the rest of the list is read ----
# The loop took every part the db thread had ready before it let the
# scheduler run: with the list read faster than merged, no query went out
# before the whole list was in (0.9 s at 170,000 zones).
db_create t31q
sql t31q "INSERT INTO domains (name, master, type)
    SELECT CONCAT('q', seq, '.test'), CONCAT('127.0.31.', seq % 200 + 1, ':5300'), 'SLAVE'
    FROM seq_1_to_$N"
write_conf t31q
: > "$DLOG"
daemon_start
check "while the list is read: all $N loaded" \
    wait_for 60 grep -q "loaded $N SLAVE domains (200 masters)" "$DLOG"
first_query=$(grep -n -m1 -- '-> querying' "$DLOG" | cut -d: -f1)
loaded_at=$(grep -n -m1 "loaded $N SLAVE domains" "$DLOG" | cut -d: -f1)
check "while the list is read: the first query went out before its end (log line ${first_query:-none}, the end $loaded_at)" \
    [ "${first_query:-999999999}" -lt "$loaded_at" ]
daemon_stop
check "while the list is read: SIGTERM, exit 0" [ $? -eq 0 ]

# ---- each zone's SOA is looked up through an index, whatever the statistics ----
# A zone without a SOA row stored under its name (here: new, never loaded)
# is looked up by domain_id.  Statistics taken when records held 20,000
# rows of one domain, and since gone stale, make a lookup by domain_id
# look like reading a fifth of the table: MariaDB read all of records once
# for every such zone (300 zones, 80,000 rows: 24 million rows read).
db_create t31s
sql t31s "INSERT INTO records (domain_id, name, type, content, ttl, prio, auth)
    SELECT 900000, CONCAT('f', seq, '.filler.test'), 'A', '192.0.2.1', 60, 0, 1
    FROM seq_1_to_20000"
sql t31s "ANALYZE TABLE records PERSISTENT FOR COLUMNS () INDEXES (domain_id)" >/dev/null
sql t31s "INSERT INTO records (domain_id, name, type, content, ttl, prio, auth)
    SELECT 910001 + seq DIV 18, CONCAT('g', seq, '.filler.test'), 'A', '192.0.2.1', 60, 0, 1
    FROM seq_1_to_60000"
sql t31s "INSERT INTO domains (name, master, type)
    SELECT CONCAT('s', seq, '.test'), '127.0.31.1:5300', 'SLAVE' FROM seq_1_to_300"
write_conf t31s
status() { sql t31s "SHOW GLOBAL STATUS WHERE Variable_name IN
    ('Handler_read_rnd_next', 'Handler_read_next')" | awk '{ n += $2 } END { print n }'; }
read0=$(status)
: > "$DLOG"
daemon_start
check "stale statistics: the list of 300 loaded" \
    wait_for 60 grep -q "loaded 300 SLAVE domains (1 masters), 300 due now" "$DLOG"
read=$(( $(status) - read0 ))
check "stale statistics: no zone's SOA read all of records ($read rows read; 80,000 in the table)" \
    [ "$read" -lt 1000000 ]
# an index dropped under a running daemon: the list is read without it
sql t31s "ALTER TABLE records DROP INDEX domain_id;
    INSERT INTO domains (name, master, type) VALUES ('s301.test', '127.0.31.1:5300', 'SLAVE')"
kill -HUP "$DPID"
check "stale statistics: the index dropped, the list still re-read" \
    wait_for 30 grep -q "domain list re-read: 1 added, 0 removed" "$DLOG"
daemon_stop
check "stale statistics: SIGTERM, exit 0" [ $? -eq 0 ]
finish
