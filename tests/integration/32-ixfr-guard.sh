#!/bin/bash
# An IXFR applies its deltas to the rows it read (issue 16).  If the rows
# change between that read and the write (a panel, another writer), the
# write sees it (row count and ids) and compares with what is stored now:
# the zone ends as the master's version all the same.  The window is opened
# with one worker: g.test's IXFR is read, then the worker takes a slow AXFR
# of another zone before the group is written, and the test changes
# g.test's rows meanwhile.
. tests/lib/env.sh
set -u
F=$T/f
mkdir -p "$F"
make_zone "$F/g.v1" g.test 1
make_zone "$F/g.v2" g.test 2 "new IN A 192.0.2.99"
make_zone "$F/slow.v1" slow.test 1
make_zone "$F/slow.v2" slow.test 2
soa() { echo "$1. 3600 IN SOA ns1.$1. hostmaster.$1. $2 3600 600 604800 300"; }
{ soa g.test 2; soa g.test 1; soa g.test 2; echo "new.g.test. 3600 IN A 192.0.2.99"; soa g.test 2; } > "$F/g.ixfr"
printf 'zone g.test %s\nzone slow.test %s\n' "$F/g.v1" "$F/slow.v1" > "$T/script"
fake_start "$T/script" 127.0.3.1 127.0.3.2 || exit 1
db_create t32
add_slaves t32 127.0.3.1:5300 g.test
add_slaves t32 127.0.3.2:5300 slow.test
conf() {
	write_conf "$1" "workers = 1
transfer {
    ixfr-off-zones = { \"slow.test\" }
}"
}
conf t32
run_once
check "version 1 of both zones by AXFR" \
    sql_is t32 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 1 3600 %'" 2

# g.test's IXFR comes 3 s after its query; slow.test's AXFR a record
# every 200 ms (about 3 s).
printf 'zone g.test %s\nixfr g.test late %s\nzone slow.test %s\naxfr slow.test drip 200\n' \
    "$F/g.v2" "$F/g.ixfr" "$F/slow.v2" > "$T/script"
: > "$DLOG"; : > "$FAKELOG"
daemon_start
check "daemon: up" wait_for 10 grep -q "loaded 2 SLAVE domains" "$DLOG"
ctl refresh g.test > "$T/refresh-g.out" 2>&1 &
rg=$!
check "g.test: its IXFR is asked" wait_for 10 bash -c "[ \$(awk '\$3 == \"IXFR\" && \$4 == \"g.test.\"' '$FAKELOG' | wc -l) -ge 1 ]"
# while the worker waits for it, slow.test's transfer queues behind it
ctl refresh slow.test > "$T/refresh-slow.out" 2>&1 &
rs=$!
check "slow.test: its AXFR starts once g.test's IXFR is read (the group waits for it)" \
    wait_for 10 bash -c "[ \$(awk '\$3 == \"AXFR\" && \$4 == \"slow.test.\"' '$FAKELOG' | wc -l) -ge 1 ]"
gid=$(sql t32 "SELECT id FROM domains WHERE name = 'g.test'")
sql t32 "INSERT INTO records (domain_id, name, type, content, ttl, auth)
        VALUES ($gid, 'stray.g.test', 'A', '192.0.2.77', 3600, 1);
    DELETE FROM records WHERE domain_id = $gid AND name = 'mail.g.test'"
check "the rows changed under the IXFR (nothing written yet: $(zone_serial t32 g.test))" \
    eq "$(zone_serial t32 g.test)" 1
wait "$rg"; wait "$rs"
check "the write saw it and compared with what is stored now" \
    grep -q "domain $gid: its rows changed since its IXFR read them: comparing with what is stored now" "$DLOG"
check "g.test went by IXFR" grep -q "zone g.test: .*IXFR" "$DLOG"
daemon_stop

# What an AXFR of version 2 leaves, in a database of its own.
db_create t32ref
add_slaves t32ref 127.0.3.1:5300 g.test
printf 'zone g.test %s\n' "$F/g.v2" > "$T/script"
conf t32ref
run_once
zone_rows t32 g.test > "$T/ixfr.rows"
zone_rows t32ref g.test > "$T/axfr.rows"
check "g.test's rows are exactly those of an AXFR of version 2 (stray row gone, deleted row back)" \
    bash -c "[ -s '$T/axfr.rows' ] && cmp -s '$T/ixfr.rows' '$T/axfr.rows' &&
        ! grep -q stray '$T/ixfr.rows' && grep -q '^mail.g.test' '$T/ixfr.rows'"
finish
