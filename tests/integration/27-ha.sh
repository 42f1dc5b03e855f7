#!/bin/bash
# Two daemons, one writer (ha {}), on one MariaDB: exactly one holds the
# lease and works, the other waits; kill -9 of the holder: the other takes
# over within the lease and finishes the work; a fence moved under the
# holder: its write rolls back and it steps down; SIGSTOP of the holder past
# its lease, then SIGCONT: not one row written by it after it lost the
# lease, and it steps down; a clean stop: takeover within 2 s.  Who wrote
# what is read from the database itself: each daemon has its own MySQL
# user, and triggers log the user of every row written.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
zones=$(for i in $(seq 1 20); do echo "h$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t27
add_slaves t27 127.0.1.1:5300 $zones
mariadb --no-defaults -S "$SOCK" -uroot t27 < sql/pdns-refresher.sql
sql t27 "CREATE TABLE writes (who VARCHAR(80), at DATETIME(3), what VARCHAR(16));
    CREATE TRIGGER w_ins AFTER INSERT ON records FOR EACH ROW INSERT INTO writes VALUES (USER(), NOW(3), 'insert');
    CREATE TRIGGER w_del AFTER DELETE ON records FOR EACH ROW INSERT INTO writes VALUES (USER(), NOW(3), 'delete');
    CREATE TRIGGER w_upd AFTER UPDATE ON domains FOR EACH ROW INSERT INTO writes VALUES (USER(), NOW(3), 'last_check')"
for n in a b; do
	sql t27 "CREATE USER IF NOT EXISTS 'ha_$n'@'localhost' IDENTIFIED BY 'pw$n';
	    GRANT ALL ON t27.* TO 'ha_$n'@'localhost'"
done
check "sql/pdns-refresher.sql: the lease row is there, free" \
    sql_is t27 "SELECT CONCAT(COUNT(*), holder, epoch) FROM refresher_lease" "10"
sql t27 "DELETE FROM refresher_lease"	# a table made without its row: the daemon adds it

# conf_for NODE: the test's configuration as node NODE, with its own user
# and control socket.
conf_for() {
	write_conf t27 "ha {
    node = \"$1\"
    lease = 4
    renew = 1
    step-down = 3
}
timers {
    min-refresh = 1
    max-refresh = 2
}"
	sed -e "s/user = \"root\"/user = \"ha_$1\"\n    password = \"pw$1\"/" \
	    -e "s|$T/control.sock|$T/control-$1.sock|" "$T/refresher.conf" > "$T/ha-$1.conf"
	chmod 600 "$T/ha-$1.conf"
}
start() {	# start NODE: its daemon in the background, log in $T/ha-NODE.log
	"$BIN" -c "$T/ha-$1.conf" -f -v >> "$T/ha-$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}
holder() { sql t27 "SELECT IF(expires > NOW(3), holder, '') FROM refresher_lease"; }
export -f sql sql_is
export SOCK
conf_for a
conf_for b
out=$("$BIN" -c "$T/ha-a.conf" --once 2>&1); rc=$?
check "--once with ha.node set: refused (it would write without the lease)" \
    sh -c "[ $rc -eq 1 ] && echo '$out' | grep -q 'write without the lease, and ha.node is set'"
start a
check "node a takes the lease" wait_for 10 sql_is t27 "SELECT holder FROM refresher_lease" a
start b
check "node b waits, and says who holds the lease" wait_for 10 grep -q "ha: node b waits: the lease is held by a" "$T/ha-b.log"
check "the holder transfers every zone" \
    wait_for 20 sql_is t27 "SELECT COUNT(*) FROM records WHERE type='SOA'" 20
check "the waiting node sends no query and writes nothing" \
    sh -c "! grep -q 'querying\|first transfer\|unchanged at' $T/ha-b.log &&
        [ \$(mariadb --no-defaults -S $SOCK -uroot -N -B t27 -e \"SELECT COUNT(*) FROM writes WHERE who LIKE 'ha_b@%'\") = 0 ]"
check "status on the waiting node: standby, holder a" \
    sh -c "'$CTL' -c '$T/ha-b.conf' -j status | grep -q '\"role\": *\"standby\", *\"epoch\": *0, *\"holder\": *\"a\"'"
check "refresh on the waiting node: refused, pointing at the holder" \
    sh -c "'$CTL' -c '$T/ha-b.conf' refresh h1.test 2>&1 | grep -q 'standby (ha): a holds the lease'"

# kill -9 of the holder: b takes over within the lease (4 s) and a poll.
t0=$(date +%s%N)
kill -9 "$PID_a"
check "kill -9 of the holder: b takes over within the lease and a second" \
    wait_for 8 sql_is t27 "SELECT holder FROM refresher_lease" b
echo "# takeover after kill -9: $(( ($(date +%s%N) - t0) / 1000000 )) ms (lease 4 s)"
check "b reads every zone's state from the database first" \
    wait_for 5 grep -q "ha: every zone's next check taken from the database (20 zones)" "$T/ha-b.log"
for z in h1.test h2.test h3.test; do make_zone "$T/z/$z.zone" "$z" 2; done
nsd_reload a
check "b finishes the work: the changes are stored" \
    wait_for 20 sql_is t27 "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 2 3600 %'" 3

# A fence moved under the holder (as a takeover would): its next write
# rolls back, it steps down, and takes the lease again once it expired.
ep=$(sql t27 "SELECT epoch FROM refresher_lease")
sql t27 "UPDATE refresher_fence SET epoch = epoch + 1000"
make_zone "$T/z/h4.test.zone" h4.test 2
nsd_reload a
check "fence moved: b's write is rolled back and b steps down" \
    wait_for 15 grep -q "ha: node b steps down: the lease went to another node (our epoch $ep no longer fences slot" "$T/ha-b.log"
check "fence moved: the write rolled back (h4 still at serial 1 when b stepped down)" \
    sql_is t27 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'h4.test' AND r.type = 'SOA' AND r.content LIKE '% 1 3600 %'" 1
check "fence moved: b takes the lease again with a new epoch once its own expired, and writes" \
    wait_for 20 sql_is t27 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'h4.test' AND r.type = 'SOA' AND r.content LIKE '% 2 3600 %'" 1
check "... under an epoch above the old one" sh -c "[ \$(mariadb --no-defaults -S $SOCK -uroot -N -B t27 -e 'SELECT epoch FROM refresher_lease') -gt $ep ]"

# SIGSTOP of the holder past its lease: a takes over; SIGCONT: b must not
# write a single row after it lost the lease, and steps down.
: > "$T/ha-a.log"
start a
kill -STOP "$PID_b"
stopped=$(sql t27 "SELECT NOW(3)")
check "SIGSTOP of the holder: a takes over once the lease expired" \
    wait_for 12 sql_is t27 "SELECT holder FROM refresher_lease" a
for z in h5.test h6.test; do make_zone "$T/z/$z.zone" "$z" 2; done
nsd_reload a
check "a stores the changes" \
    wait_for 20 sql_is t27 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name IN ('h5.test', 'h6.test') AND r.type = 'SOA' AND r.content LIKE '% 2 3600 %'" 2
kill -CONT "$PID_b"
check "SIGCONT: b steps down" wait_for 10 grep -q "ha: node b steps down" "$T/ha-b.log"
taken=$(sql t27 "SELECT MIN(at) FROM writes WHERE who LIKE 'ha_a@%' AND at > '$stopped'")
check "SIGCONT: not one row written by b after a took over (the database's own log)" \
    sql_is t27 "SELECT COUNT(*) FROM writes WHERE who LIKE 'ha_b@%' AND at >= '$stopped'" 0
echo "# a's first write after the takeover: $taken"
check "b waits again, holder a" wait_for 10 grep -q "ha: node b waits: the lease is held by a" "$T/ha-b.log"

# A clean stop of the holder releases the lease: b takes over within 2 s.
t0=$(date +%s%N)
kill -TERM "$PID_a"
wait "$PID_a"
check "clean stop: a released the lease" grep -q "ha: node a released the lease" "$T/ha-a.log"
check "clean stop: b holds the lease within 2 s" wait_for 2 sql_is t27 "SELECT holder FROM refresher_lease" b
echo "# takeover after a clean stop: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "every zone ends as the master has it" \
    wait_for 20 sql_is t27 "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 2 3600 %'" 6
kill -TERM "$PID_b"
wait "$PID_b"
check "b stops cleanly too, releasing the lease" sql_is t27 "SELECT holder FROM refresher_lease" ""
finish
