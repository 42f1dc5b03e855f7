#!/bin/bash
# refresher_zone_status (sql/pdns-refresher.sql): a panel answers "why is
# this zone stale" with one SELECT.  Without the table the daemon runs and
# says so; with it, rows are written in batches when a zone's state changes
# or a check fails, never for a check that changed nothing; a removed
# domain's row goes; a restart resumes a failing zone's backoff instead of
# asking its master at once.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
for z in s1.test s2.test; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t22
add_slaves t22 127.0.1.1:5300 s1.test s2.test nx.test	# NSD refuses nx
write_conf t22 "timers {
    min-retry = 120
    max-retry = 300
    max-backoff = 600
}"
export -f sql sql_is; export SOCK
row() { sql t22 "SELECT s.state, s.failures FROM refresher_zone_status s JOIN domains d ON d.id = s.domain_id WHERE d.name = '$1'" | tr '\t' ' '; }

# Without the table: said at start, everything else as before.
daemon_start
check "no table: said so at start" wait_for 30 grep -q "no table refresher_zone_status: zone status is kept in memory only" "$DLOG"
check "no table: the zones are transferred all the same" wait_for 30 sql_is t22 "SELECT COUNT(*) FROM records WHERE type='SOA'" 2

# The table, made with the shipped file; a SIGHUP notices it.
mariadb --no-defaults -S "$SOCK" -uroot t22 < sql/pdns-refresher.sql
check "sql/pdns-refresher.sql loads twice without error (IF NOT EXISTS)" \
    mariadb --no-defaults -S "$SOCK" -uroot t22 -e "source sql/pdns-refresher.sql"
kill -HUP "$DPID"
check "SIGHUP: the table is found" wait_for 30 grep -q "table refresher_zone_status found" "$DLOG"
ctl refresh s1.test >/dev/null; ctl refresh s2.test >/dev/null; ctl refresh nx.test >/dev/null
check "a zone checked: its row, state ok, no failure" wait_for 30 bash -c "[ \"\$(sql t22 \"SELECT s.state, s.failures FROM refresher_zone_status s JOIN domains d ON d.id = s.domain_id WHERE d.name = 's1.test'\")\" = \"$(printf 'ok\t0')\" ]"
check "a failing zone: state never-loaded, failures counted" wait_for 30 bash -c "sql t22 \"SELECT s.state, s.failures FROM refresher_zone_status s JOIN domains d ON d.id = s.domain_id WHERE d.name = 'nx.test'\" | grep -qP '^never-loaded\t[1-9]'"
out=$(sql t22 "SELECT d.name, s.last_error, s.last_error_master, s.last_error_time >= UNIX_TIMESTAMP() - 120, s.next_check > UNIX_TIMESTAMP(), s.last_success IS NULL FROM domains d LEFT JOIN refresher_zone_status s ON s.domain_id = d.id WHERE d.name = 'nx.test'")
check "one SELECT for the panel: the exact reason, the master, when, the next check" \
    eq "$out" "$(printf 'nx.test\tmaster answered REFUSED\t127.0.1.1:5300\t1\t1\t1')"

# A check that changes nothing writes nothing (a trigger counts the writes).
sql t22 "CREATE TABLE w (n INT); INSERT INTO w VALUES (0);
    CREATE TRIGGER wu AFTER UPDATE ON refresher_zone_status FOR EACH ROW UPDATE w SET n = n + 1;
    CREATE TRIGGER wi AFTER INSERT ON refresher_zone_status FOR EACH ROW UPDATE w SET n = n + 1"
for i in 1 2 3; do ctl refresh s1.test >/dev/null; done
ctl refresh s2.test >/dev/null
lcwait() { wait_for 10 bash -c "[ \"\$(sql t22 \"SELECT last_check >= $1 FROM domains WHERE name = 's2.test'\")\" = 1 ]"; }
lcwait "$(($(date +%s) - 1))"		# the flush after those checks has run
check "4 checks that changed nothing: no row written" eq "$(sql t22 'SELECT n FROM w')" 0
make_zone "$T/z/s1.test.zone" s1.test 2
nsd_reload a
ctl refresh s1.test >/dev/null
check "a new serial transferred, state still ok: no row written" eq "$(sql t22 'SELECT n FROM w')" 0
ctl refresh nx.test >/dev/null
check "a failure: its row written (failures and next check)" wait_for 10 bash -c "[ \"\$(sql t22 'SELECT n FROM w')\" -ge 1 ]"

# Its master fixed (NSD reads its zone list at start): the state goes back to ok.
make_zone "$T/z/nx.test.zone" nx.test 1
nsd_stop a; nsd_start a 127.0.1.1 5300 "$T/z" >/dev/null
ctl refresh nx.test >/dev/null
check "fixed: state ok, failures 0, the last error kept for the record" \
    wait_for 30 bash -c "[ \"\$(sql t22 \"SELECT s.state, s.failures, s.last_error FROM refresher_zone_status s JOIN domains d ON d.id = s.domain_id WHERE d.name = 'nx.test'\")\" = \"$(printf 'ok\t0\tmaster answered REFUSED')\" ]"

# A removed domain: its row goes.
id2=$(sql t22 "SELECT id FROM domains WHERE name = 's2.test'")
sql t22 "UPDATE domains SET type = 'NATIVE' WHERE id = $id2"
kill -HUP "$DPID"
check "no longer SLAVE: its row deleted" wait_for 30 sql_is t22 "SELECT COUNT(*) FROM refresher_zone_status WHERE domain_id = $id2" 0
daemon_stop

# A restart resumes the backoff: a zone failing 5 times with its next check
# an hour away is not asked at start; its error and count are kept.
rm "$T/z/nx.test.zone"
nsd_stop a; nsd_start a 127.0.1.1 5300 "$T/z" >/dev/null
idn=$(sql t22 "SELECT id FROM domains WHERE name = 'nx.test'")
later=$(($(date +%s) + 3600))
sql t22 "UPDATE domains SET last_check = 0 WHERE id = $idn"	# overdue: due at once, but for the backoff
sql t22 "UPDATE refresher_zone_status SET state = 'failing', failures = 5, last_error = 'master answered REFUSED', last_error_master = '127.0.1.1:5300', last_error_time = UNIX_TIMESTAMP() - 60, next_check = $later WHERE domain_id = $idn"
: > "$DLOG"
daemon_start
check "restart: loaded" wait_for 30 grep -q "loaded 2 SLAVE domains" "$DLOG"
ctl -j zone nx.test > "$T/nx.json"
check "restart: failures 5 resumed" perl -MJSON::PP -e 'exit(decode_json(join("",<STDIN>))->{failures} != 5)' < "$T/nx.json"
check "restart: the next check is the stored one, an hour away" perl -MJSON::PP -e 'exit(decode_json(join("",<STDIN>))->{next_check} < $ARGV[0] - 5)' "$later" < "$T/nx.json"
check "restart: the last error kept" perl -MJSON::PP -e 'exit(decode_json(join("",<STDIN>))->{last_error}{reason} ne "master answered REFUSED")' < "$T/nx.json"
ctl refresh s1.test >/dev/null		# a check after start: nx.test would have gone before it
check "restart: its master was not asked for it" bash -c "! grep -q 'zone nx.test: .*querying' $DLOG"

# The table dropped under the running daemon: a warning, work goes on.
sql t22 "DROP TABLE refresher_zone_status"
check "(the table is dropped)" sql_is t22 "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'refresher_zone_status' AND table_schema = 't22'" 0
ctl retransfer s1.test >/dev/null; ctl refresh nx.test >/dev/null
check "table dropped: one warning" wait_for 30 grep -q "refresher_zone_status is gone" "$DLOG"
out=$(ctl refresh s1.test); rc=$?
check "table dropped: the daemon carries on" bash -c "[ $rc -eq 0 ] && grep -q 'unchanged' <<<'$out'"
daemon_stop
finish
