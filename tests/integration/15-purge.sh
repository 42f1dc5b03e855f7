#!/bin/bash
# pdns's caches: without a purge, pdns keeps serving the old serial from its
# packet cache after we wrote the new one; with pdns.control-socket set,
# every zone written is purged and pdns serves the new data at once.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
for z in p1.test p2.test p3.test; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t15
add_slaves t15 127.0.1.1:5300 p1.test p2.test p3.test
write_conf t15
run_once
PDNS_EXTRA="cache-ttl=60
query-cache-ttl=60" pdns_start srv t15 127.0.2.3:5303 serve || exit 1
served() { dig +short +norec -p 5303 @127.0.2.3 "$1" SOA | awk '{ print $3 }'; }
for z in p1.test p2.test p3.test; do served $z >/dev/null; done	# now in pdns's caches

# No purge: the new serial is in MySQL, pdns still answers the old one.
make_zone "$T/z/p1.test.zone" p1.test 2
nsd_reload a
run_once --zone p1.test
check "no purge: the new serial is in MySQL" eq "$(zone_serial t15 p1.test)" "2"
check "no purge: pdns still serves the old one from its cache" eq "$(served p1.test)" "1"

# With the control socket: purged with the write.
write_conf t15 "pdns {
    control-socket = \"$T/pdns-srv/pdns.controlsocket\"
}"
make_zone "$T/z/p2.test.zone" p2.test 2
nsd_reload a
: > "$DLOG"
run_once --zone p2.test
check "purge: the new serial is in MySQL" eq "$(zone_serial t15 p2.test)" "2"
check "purge: pdns serves it at once" eq "$(served p2.test)" "2"
check "purge: logged with the count pdns gave" grep -q "zone p2.test: pdns cache purged ([0-9]* entries)" "$DLOG"

# A control socket that is not there: one warning, the zone is written anyway.
write_conf t15 "pdns {
    control-socket = \"$T/nowhere.sock\"
}"
make_zone "$T/z/p3.test.zone" p3.test 2
nsd_reload a
: > "$DLOG"
run_once --zone p3.test; rc=$?
check "no control socket: the zone is still written" bash -c "[ $rc -eq 0 ] && [ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t15 -e \"SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'p3.test' AND r.type = 'SOA' AND r.content LIKE '% 2 %'\")\" = 1 ]"
check "no control socket: a warning with the path and the reason" \
    grep -q "zone p3.test: purging pdns's cache through $T/nowhere.sock failed (connect: No such file or directory)" "$DLOG"
finish
