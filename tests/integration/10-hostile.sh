#!/bin/bash
# Broken and hostile masters (tests/fake/fakemaster.c): every fault leaves
# the zone's rows byte-identical and every other zone's too, the log names
# zone, master and reason, failing zones back off, a master that does not
# answer is paused as a whole, healthy zones keep their pace, and everything
# recovers once the masters behave.  Names and text full of SQL and escape
# characters are stored exactly as pdns_server stores them.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"

# hz FILE ZONE SERIAL: a small zone whose rows depend on its serial.
hz() {
	cat > "$1" <<EOZ
\$ORIGIN $2.
\$TTL 300
@	IN SOA ns1 hostmaster $3 3600 600 604800 300
@	IN NS ns1
ns1	IN A 192.0.2.1
www	IN A 192.0.2.2
version	IN TXT "$3"
v-$3	IN A 192.0.2.3
EOZ
}

# zone  master  SOA fault  AXFR fault  expected (old|new)  reason in the log
CASES=$(cat <<'EOC'
ok		1 ok		ok		new	-
refused		1 rcode:REFUSED	ok		old	SOA check failed: master answered REFUSED
notauth		1 rcode:NOTAUTH	ok		old	SOA check failed: master answered NOTAUTH
servfail	1 rcode:SERVFAIL ok		old	SOA check failed: master answered SERVFAIL
nxdomain	1 nxdomain	ok		old	SOA check failed: master answered NXDOMAIN
noaa		1 noaa		ok		old	SOA check failed: reply not authoritative (AA clear)
wrongq		1 wrongq	ok		old	SOA check failed: reply question differs from ours
tc		1 tc		ok		new	-
tcalways	1 tcalways	ok		old	SOA check failed: truncated reply over TCP
spoof		1 spoof		ok		old	serial 10 unchanged
lower		1 ok		ok		old	serial 5 is older than ours 10, keeping ours
far		1 ok		ok		old	serial 2147483658 is exactly 2^31 from ours 10
silent		2 silent	ok		old	SOA check failed: no reply after 2 tries of 500 ms
otheraddr	3 otheraddr	ok		old	SOA check failed: no reply after 2 tries of 500 ms
otherport	4 otherport	ok		old	SOA check failed: no reply after 2 tries of 500 ms
wrongid		5 wrongid	ok		old	SOA check failed: no reply after 2 tries of 500 ms
x-refused	1 ok		rcode:REFUSED	old	transfer failed, rows kept: master answered REFUSED
x-stop		1 ok		stop:4		old	transfer failed, rows kept: master closed the connection mid-transfer
x-nolast	1 ok		nolast		old	transfer failed, rows kept: master closed the connection mid-transfer
x-hang		1 ok		hang		old	transfer failed, rows kept: master sent nothing for transfer.idle-timeout
x-lastdiffers	1 ok		lastdiffers	old	transfer failed, rows kept: closing SOA differs from the opening SOA
x-afterlast	1 ok		afterlast	old	transfer failed, rows kept: records after the closing SOA
x-bigrecords	1 ok		many:600		old	transfer failed, rows kept: more than 500 records (transfer.max-records)
x-bigbytes	1 ok		big:100		old	transfer failed, rows kept: more than 65536 bytes (transfer.max-bytes)
x-drip		1 ok		drip:700	old	transfer failed, rows kept: transfer took longer than transfer.timeout
x-wrongid	1 ok		wrongid		old	transfer failed, rows kept: message 2 is not a reply to our AXFR
x-nosoa		1 ok		nosoa		old	transfer failed, rows kept: transfer does not begin with the zone's SOA
x-garbage	1 ok		garbage		old	transfer failed, rows kept: malformed message 1
x-older		1 ok		file:OLDER	old	transfer has serial 9, not newer than our 10; rows kept
x-bigttl	1 ok		file:BIGTTL	old	transfer failed, rows kept: record big.x-bigttl.test. A has TTL 2147483648, over 2^31-1
x-foreign	1 ok		foreign:victim.test new	records outside the zone
victim		1 ok		ok		old	-
EOC
)
names=$(echo "$CASES" | awk '{ print $1 ".test" }')
addr_of() { echo "$CASES" | awk -v z="${1%.test}" '$1 == z { print "127.0.3." $2 ":5300" }'; }

# Version 1: every zone at serial 10, every master behaving.
for z in $names; do hz "$T/z/$z.zone" "$z" 10; done
for z in $names; do echo "zone $z $T/z/$z.zone"; done > "$T/script"
fake_start "$T/script" 127.0.3.1 127.0.3.2 127.0.3.3 127.0.3.4 127.0.3.5 || exit 1
db_create t10
tables0=$(sql t10 "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='t10'")
sql t10 "INSERT INTO domains (name, master, type) VALUES $(for z in $names; do
    printf "('%s','%s','SLAVE')," "$z" "$(addr_of "$z")"; done | sed 's/,$//')"
write_conf t10 "transfer {
    idle-timeout = 2
    timeout = 3
    max-records = 500
    max-bytes = 65536
}"
run_once
n=$(echo "$names" | wc -l)
check "setup: all $n zones loaded from the fake master at serial 10" \
    eq "$(sql t10 "SELECT COUNT(*) FROM records WHERE type='TXT' AND name LIKE 'version.%' AND content='\"10\"'")" "$n"
for z in $names; do zone_rows t10 "$z" > "$T/$z.old"; done
before=$(all_rows t10)

# Version 2: serial 11 everywhere, except the serial cases; then the faults.
for z in $names; do hz "$T/z/$z.zone" "$z" 11; done
hz "$T/z/spoof.test.zone" spoof.test 10
hz "$T/z/victim.test.zone" victim.test 10
hz "$T/z/lower.test.zone" lower.test 5
hz "$T/z/far.test.zone" far.test 2147483658
hz "$T/OLDER" x-older.test 9
hz "$T/BIGTTL" x-bigttl.test 11
echo "big 2147483648 IN A 192.0.2.9" >> "$T/BIGTTL"
{
	for z in $names; do echo "zone $z $T/z/$z.zone"; done
	echo "$CASES" | while read -r z _ s a _; do
		[ "$s" = ok ] || echo "soa $z.test ${s/:/ }"
		[ "$a" = ok ] || echo "axfr $z.test ${a/:/ }" | sed "s|OLDER|$T/OLDER|; s|BIGTTL|$T/BIGTTL|"
	done
} > "$T/script.new"
mv "$T/script.new" "$T/script"
sql t10 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
: > "$FAKELOG"
run_once; rc=$?
check "faults: --once reports failure (exit 1)" [ $rc -eq 1 ]

# Each zone: old rows byte for byte, or the complete new version; the reason
# in one log line with the zone and its master.
echo "$CASES" | while IFS=$'\t' read -r line; do
	set -- $line
	z=$1.test want=$5
	reason=$(echo "$line" | awk -F'\t+' '{ print $NF }')
	m=$(addr_of "$z")
	zone_rows t10 "$z" > "$T/$z.now"
	if [ "$want" = old ]; then
		check "$1: rows byte-identical to before" cmp -s "$T/$z.old" "$T/$z.now"
	else
		check "$1: the new version stored" eq "$(zone_serial t10 "$z")" "11"
	fi
	case $reason in
	-) ;;
	"serial "*) check "$1: logged: $reason" grep -q "zone $z: .*$reason" "$DLOG" ;;
	"records outside"*)
		check "$1: logged: records of other zones dropped, with the zone and master" \
		    grep -q "zone $z: master $m sent 3 records outside the zone (first: victim.test.); dropped" "$DLOG" ;;
	*) check "$1: logged in one line with zone, master and reason" \
	    grep -qF "zone $z: master $m: $reason" "$DLOG" ;;
	esac
done | tee "$T/cases.out"
PASS=$((PASS + $(grep -c '^ok - ' "$T/cases.out")))
FAIL=$((FAIL + $(grep -c '^not ok - ' "$T/cases.out")))

others=$(sql t10 "SELECT domain_id, id, name, type, content, ttl, auth FROM records
    WHERE domain_id NOT IN (SELECT id FROM domains WHERE name IN ('ok.test','tc.test','x-foreign.test')) ORDER BY id")
check "faults: no row of any other zone changed" \
    eq "$others" "$(echo "$before" | awk -F'\t' -v ids="$(sql t10 "SELECT GROUP_CONCAT(id) FROM domains WHERE name IN ('ok.test','tc.test','x-foreign.test')")" \
        'BEGIN { n = split(ids, a, ","); for (i = 1; i <= n; i++) skip[a[i]] = 1 } !($1 in skip) { print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 "\t" $8 }')"
check "foreign records: nothing planted in the other zone" \
    eq "$(sql t10 "SELECT COUNT(*) FROM records WHERE content LIKE '%planted%' OR content = '203.0.113.66'")" "0"
check "forged replies: no transfer asked for on their word" eq "$(fake_queries AXFR spoof.test)" "0"
check "serial older or 2^31 away: no transfer asked for" \
    eq "$(( $(fake_queries AXFR lower.test) + $(fake_queries AXFR far.test) ))" "0"
# the checks: SOA queries, and IXFR ones for zones we have (transfer.ixfr-udp)
nq=$(awk '$2 == "udp" && ($3 == "SOA" || $3 == "IXFR")' "$FAKELOG" | wc -l)
ports=$(awk '$2 == "udp" && ($3 == "SOA" || $3 == "IXFR") { print $6 }' "$FAKELOG" | sort -u | wc -l)
ids=$(awk '$2 == "udp" && ($3 == "SOA" || $3 == "IXFR") { print $7 }' "$FAKELOG" | sort -u | wc -l)
# a port serves one master: used towards a second one within 10 s (a
# socket's life) it would be shared across masters
mixed=$(awk '$2 == "udp" && ($3 == "SOA" || $3 == "IXFR") { if (($6 in to) && to[$6] != $8 && $1 - at[$6] < 10000) n++
    to[$6] = $8; at[$6] = $1 } END { print n + 0 }' "$FAKELOG")
check "queries: $nq SOA and IXFR queries from $ports source ports with $ids IDs (a random ID each; queries to one master share a port)" \
    [ "$nq" -ge 30 -a "$ports" -lt "$nq" -a "$ids" -ge $((nq * 9 / 10)) ]
check "queries: no source port asked two masters" eq "$mixed" 0
check "truncated over UDP: the check went on over TCP" eq "$(awk '$2 == "tcp" && $3 == "SOA" && $4 == "tc.test."' "$FAKELOG" | wc -l)" "1"
check "the schema is intact (no statement was pasted together)" \
    eq "$(sql t10 "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='t10'")" "$tables0"

# The daemon under the same faults for 12 s: failing zones back off per
# SOA RETRY (clamped to timers.max-retry = 2 s, doubling up to 4 s), the
# four silent masters are paused as a whole, the per-master warning is
# rate-limited, and a healthy zone on the same master keeps its pace.
write_conf t10 "transfer {
    idle-timeout = 2
    timeout = 3
    max-records = 500
    max-bytes = 65536
}
timers {
    max-refresh = 2
}"
: > "$DLOG"
: > "$FAKELOG"
daemon_start
sleep 4
hz "$T/z/ok.test.zone" ok.test 12
touch "$T/script"
t0=$(date +%s%N)
# Its bound: the next check (timers.max-refresh, 2 s), the fake master's
# look at its script (1 s), and the one transfer the master is held to
# since x-hang and x-drip broke a limit (at most transfer.timeout, 3 s,
# when a faulty one holds it; the faulty ones queued wait behind ok.test):
# 6 s, 10 on a busy machine.
check "healthy zone beside the faulty ones: a change arrives within 10 s" \
    wait_for 10 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t10 -e \"SELECT content FROM records WHERE name='version.ok.test'\")\" = '\"12\"' ]"
echo "# the change took $(( ($(date +%s%N) - t0) / 1000000 )) ms to arrive"
left=$(( 12 - 4 - ($(date +%s%N) - t0) / 1000000000 ))
[ "$left" -le 0 ] || sleep "$left"
gaps=$(awk '$3 == "SOA" && $4 == "refused.test." { if (p) print $1 - p; p = $1 }' "$FAKELOG" | tr '\n' ' ')
nq=$(fake_queries SOA refused.test)
check "refused zone: retried with backoff, $nq queries in 12 s (gaps: $gaps ms)" \
    [ "$nq" -ge 2 -a "$nq" -le 6 ]
check "refused zone: the retry interval grows to max-backoff (a gap of 3.6 s or more)" \
    awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); for (i = 1; i <= n; i++) if (a[i] >= 3600) exit 0; exit 1 }'
check "silent master: paused as a whole, with one warning in 12 s (failed probes at debug)" \
    eq "$(grep -c "warning: master 127.0.3.2:5300: no answer (no reply after 2 tries of 500 ms); no queries to it" "$DLOG")" "1"
check "silent master: probed again and again meanwhile" \
    [ "$(grep -c "debug: master 127.0.3.2:5300: no answer" "$DLOG")" -ge 2 ]
nwarn=$(grep -c "warning: zone .*: master 127.0.3.1:5300" "$DLOG")
check "busy faulty master: $nwarn warnings in 12 s for its 24 failing zones (one a minute for failures, one per zone for an old serial)" [ "$nwarn" -le 4 ]
check "a serial not newer: warned once per zone, not at every check" \
    eq "$(grep -c "warning: zone lower.test: master 127.0.3.1:5300 serial 5 is older" "$DLOG")" "1"
check "busy faulty master: the rest are counted in the next warning, not lost" \
    grep -q "debug: zone .*: master 127.0.3.1:5300: SOA check failed" "$DLOG"

# The masters behave again: everything arrives, the daemon never stopped.
for z in $names; do hz "$T/z/$z.zone" "$z" 12; done
for z in $names; do echo "zone $z $T/z/$z.zone"; done > "$T/script.new"
mv "$T/script.new" "$T/script"
check "masters repaired: every zone reaches serial 12 in the running daemon" \
    wait_for 40 sql_is t10 "SELECT COUNT(*) FROM records WHERE name LIKE 'version.%' AND content='\"12\"'" "$n"
check "masters repaired: each zone has exactly its 6 rows" \
    eq "$(sql t10 "SELECT COUNT(*) FROM domains d WHERE (SELECT COUNT(*) FROM records r WHERE r.domain_id = d.id) <> 6")" "0"
daemon_stop
check "after all the faults: SIGTERM, exit 0" [ $? -eq 0 ]

# Hostile text: quotes, backslashes, semicolons, NUL bytes and SQL in names
# and TXT data, stored as pdns_server stores them from the same master.
cat > "$T/z/hostile.test.zone" <<'EOZ'
$ORIGIN hostile.test.
$TTL 300
@	IN SOA ns1 h 10 3600 600 604800 300
@	IN NS ns1
ns1	IN A 192.0.2.1
quote\"name	IN TXT "it's \"quoted\""
back\\slash	IN TXT "back\\slash" "\\\\'"
semi\;colon	IN TXT "semi;colon"
nul\000byte	IN TXT "nul\000byte" "\000"
sql\'\;DROP\032TABLE\032records\;--	IN TXT "'; DROP TABLE records; --"
x	IN TXT "\"; DELETE FROM domains; --" "' OR '1'='1"
pct%_	IN TXT "%_ LIKE wildcards" "\255\254 high bytes"
Robert\'\)\;DROP\032TABLE\032domains\;--	IN CNAME ns1
EOZ
echo "zone hostile.test $T/z/hostile.test.zone" >> "$T/script"
db_create t10pdns
add_slaves t10 127.0.3.1:5300 hostile.test
add_slaves t10pdns 127.0.3.1:5300 hostile.test
: > "$DLOG"
run_once --zone hostile.test; rc=$?
check "hostile text: transferred (exit 0)" [ $rc -eq 0 ]
pdns_start sec t10pdns 127.0.2.1:5301 secondary || exit 1
wait_for 30 sql_is t10pdns "SELECT COUNT(*) FROM records WHERE type='SOA'" 1
pdns_stop sec
zone_rows t10 hostile.test > "$T/hostile.ours"
zone_rows t10pdns hostile.test > "$T/hostile.pdns"
check "hostile text: pdns stored the zone too ($(wc -l < "$T/hostile.pdns") rows)" [ "$(wc -l < "$T/hostile.pdns")" -eq 11 ]
check "hostile text: our rows equal pdns_server's, byte for byte" cmp "$T/hostile.pdns" "$T/hostile.ours"
check "hostile text: every table still there and the other zones whole" \
    eq "$(sql t10 "SELECT COUNT(*) FROM domains")/$(sql t10 "SELECT COUNT(*) FROM records WHERE domain_id <> (SELECT id FROM domains WHERE name='hostile.test')")" \
    "$((n + 1))/$((n * 6))"
finish
