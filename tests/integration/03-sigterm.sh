#!/bin/bash
# SIGTERM, then kill -9, in the middle of a storm of transfers: no zone is
# left half written; each has all its old rows or all its new ones, and a
# restart transfers only the zones that were not done.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
N=300
OLD=150
NEW=250

zones=$(for i in $(seq 1 $N); do echo "s$i.test"; done)
for z in $zones; do big_zone "$T/z/$z.zone" "$z" 100 $OLD; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t03
add_slaves t03 127.0.1.1:5300 $zones
# One transfer at a time, so that the storm lasts long enough to be cut.
write_conf t03 "transfer {
    idle-timeout = 10
}
workers = 2
master {
    transfers = 1
}"
run_once
check "setup: $N zones of $((OLD + 4)) rows" \
    eq "$(sql t03 "SELECT COUNT(*) FROM records")" "$((N * (OLD + 4)))"

for z in $zones; do big_zone "$T/z/$z.zone" "$z" 101 $NEW; done
nsd_reload a
sql t03 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
daemon_start
# Wait until the storm is under way, then stop it.
wait_for 30 sh -c "grep -q 'serial 100 -> 101' $DLOG" || true
daemon_stop; rc=$?
check "SIGTERM during transfers: exit status 0" [ $rc -eq 0 ]
check "SIGTERM during transfers: shutdown logged with work in flight" \
    grep -q "shutting down (SIGTERM)" "$DLOG"
done_new=$(sql t03 "SELECT COUNT(*) FROM records WHERE type='TXT' AND content='\"101\"'")
echo "# zones with new rows when stopped: $done_new of $N"
check "SIGTERM during transfers: stopped mid-storm (some zones done, not all)" \
    [ "$done_new" -gt 0 -a "$done_new" -lt "$N" ]

# mixed OLDSERIAL OLDHOSTS NEWSERIAL NEWHOSTS: zones not wholly one version
mixed() {
	sql t03 "
	    SELECT d.name, v.content, COUNT(r.id)
	    FROM domains d
	    LEFT JOIN records v ON v.domain_id = d.id AND v.type = 'TXT'
	    LEFT JOIN records r ON r.domain_id = d.id
	    GROUP BY d.id, v.content
	    HAVING NOT ((v.content = '\"$1\"' AND COUNT(r.id) = $(($2 + 4)) AND SUM(r.type='SOA') = 1
	                 AND SUM(r.type='A' AND r.name LIKE 'h%-$1.%') = $2)
	             OR (v.content = '\"$3\"' AND COUNT(r.id) = $(($4 + 4)) AND SUM(r.type='SOA') = 1
	                 AND SUM(r.type='A' AND r.name LIKE 'h%-$3.%') = $4))"
}
serial_mismatch() {
	sql t03 "SELECT COUNT(*) FROM records s JOIN records v ON v.domain_id=s.domain_id AND v.type='TXT'
	    WHERE s.type='SOA' AND SUBSTRING_INDEX(SUBSTRING_INDEX(s.content,' ',3),' ',-1) <> REPLACE(v.content,'\"','')"
}

# Each zone: exactly one version, and the right number of rows for it.
check "SIGTERM during transfers: every zone wholly old or wholly new" eq "$(mixed 100 $OLD 101 $NEW)" ""
check "SIGTERM during transfers: SOA serial matches the version of every zone" eq "$(serial_mismatch)" "0"

# A restart finishes the job and re-transfers only what was not done.
: > "$DLOG"
run_once; rc=$?
check "restart: --once finishes the rest" [ $rc -eq 0 ]
check "restart: every zone new" eq "$(sql t03 "SELECT COUNT(*) FROM records WHERE type='TXT' AND content='\"101\"'")" "$N"
check "restart: zones done before the stop are not transferred again" \
    eq "$(grep -c 'serial 100 -> 101' "$DLOG")" "$((N - done_new))"

# kill -9 in the middle of the next storm: no shutdown at all.
for z in $zones; do big_zone "$T/z/$z.zone" "$z" 102 $OLD; done
nsd_reload a
sql t03 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
daemon_start
wait_for 30 sh -c "grep -q 'serial 101 -> 102' $DLOG" || true
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
done_new=$(sql t03 "SELECT COUNT(*) FROM records WHERE type='TXT' AND content='\"102\"'")
echo "# zones with new rows when killed: $done_new of $N"
check "kill -9 during transfers: killed mid-storm (some zones done, not all)" \
    [ "$done_new" -gt 0 -a "$done_new" -lt "$N" ]
check "kill -9 during transfers: every zone wholly old or wholly new" eq "$(mixed 101 $NEW 102 $OLD)" ""
check "kill -9 during transfers: SOA serial matches the version of every zone" eq "$(serial_mismatch)" "0"
: > "$DLOG"
run_once; rc=$?
check "restart after kill -9: --once finishes the rest" [ $rc -eq 0 ]
check "restart after kill -9: every zone new" eq "$(sql t03 "SELECT COUNT(*) FROM records WHERE type='TXT' AND content='\"102\"'")" "$N"
check "restart after kill -9: zones done before the kill are not transferred again" \
    eq "$(grep -c 'serial 101 -> 102' "$DLOG")" "$((N - done_new))"
finish
