#!/bin/bash
# The rows we write are the rows pdns_server 4.7 writes when it transfers the
# same zones itself, and pdns serving our database answers as the master.
. tests/lib/env.sh
set -u
N=${COMPARE_ZONES:-1000}
mkdir -p "$T/z"
zones=$(for i in $(seq 1 $N); do echo "c$i.test"; done)
for z in $zones; do rich_zone "$T/z/$z.zone" "$z" 2024010101; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t04ours
db_create t04pdns
add_slaves t04ours 127.0.1.1:5300 $zones
add_slaves t04pdns 127.0.1.1:5300 $zones

# pdns's own secondary into t04pdns.
start=$(date +%s%N)
pdns_start sec t04pdns 127.0.2.1:5301 secondary || exit 1
wait_for 300 sql_is t04pdns "SELECT COUNT(*) FROM records WHERE type='SOA'" $N
pdns_ms=$(( ($(date +%s%N) - start) / 1000000 ))
pdns_stop sec
check "pdns secondary transferred all $N zones (${pdns_ms} ms)" \
    eq "$(sql t04pdns "SELECT COUNT(*) FROM records WHERE type='SOA'")" "$N"

# Ours into t04ours.
write_conf t04ours
start=$(date +%s%N)
run_once; rc=$?
ours_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# --once for $N zones: ${ours_ms} ms; pdns secondary: ${pdns_ms} ms (from start to the last SOA row)"
check "--once transferred all $N zones" [ $rc -eq 0 ]

rows() {
	sql "$1" "SELECT d.name, r.name, IFNULL(r.type,'NULL'), IFNULL(r.content,'NULL'),
	    IFNULL(r.ttl,'NULL'), IFNULL(r.prio,'NULL'), r.disabled, IFNULL(r.ordername,'NULL'), r.auth
	    FROM records r JOIN domains d ON d.id = r.domain_id ORDER BY 1, 2, 3, 4, 5, 6"
}
rows t04ours > "$T/ours.rows"
rows t04pdns > "$T/pdns.rows"
diff "$T/pdns.rows" "$T/ours.rows" > "$T/rows.diff"
ndiff=$(grep -c '^[<>]' "$T/rows.diff")
echo "# rows: ours $(wc -l < "$T/ours.rows"), pdns $(wc -l < "$T/pdns.rows"), differing lines $ndiff"
[ "$ndiff" -eq 0 ] || head -20 "$T/rows.diff" | sed 's/^/#   /'
check "records rows identical to pdns's own secondary (name type content ttl prio disabled ordername auth)" \
    [ "$ndiff" -eq 0 ]
types=$(cut -f3 "$T/ours.rows" | sort -u | tr '\n' ' ')
echo "# types compared: $types"
check "comparison covered at least 20 types and ENTs" \
    [ "$(cut -f3 "$T/ours.rows" | sort -u | wc -l)" -ge 20 ]

# pdns serving our database answers as the master does.
pdns_start srv t04ours 127.0.2.2:5302 serve || exit 1
bad=0
sample=$(for i in $(seq 1 $((N / 20 > 0 ? N / 20 : 1)) $N); do echo "c$i.test"; done)
for z in $sample; do
	axfr_norm 127.0.1.1 5300 "$z" > "$T/axfr.master"
	if [ "$(wc -l < "$T/axfr.master")" -lt 30 ] ||
	    ! diff "$T/axfr.master" <(axfr_norm 127.0.2.2 5302 "$z") > "$T/axfr.diff"; then
		bad=$((bad + 1))
		[ $bad -le 2 ] && sed 's/^/#   /' "$T/axfr.diff" | head -10
	fi
done
check "pdns serving our rows: AXFR equals the master's for $(echo $sample | wc -w) zones" [ $bad -eq 0 ]

# Individual queries, names with odd bytes, the wildcard and the delegation.
qbad=0
for q in "c1.test SOA" "c1.test MX" "c1.test TXT" "c1.test CAA" "txt.c1.test TXT" \
    'a\.dot.c1.test A' 'sp\032ace.c1.test A' "upper.case.c1.test A" "x.wild.c1.test A" \
    "www.c1.test A" "_sip._udp.c1.test SRV" "c1.test NAPTR" "long.c1.test TXT" "ttl.c1.test A" \
    "c1.test SSHFP" "_443._tcp.www.c1.test TLSA" "old.c1.test DNAME" "c1.test HINFO"; do
	set -- $q
	a=$(dig +norec +noall +answer -p 5300 @127.0.1.1 "$1" "$2" | tr -s ' \t' ' ' | sort)
	b=$(dig +norec +noall +answer -p 5302 @127.0.2.2 "$1" "$2" | tr -s ' \t' ' ' | sort)
	if [ -z "$a" ] || [ "${a,,}" != "${b,,}" ]; then
		qbad=$((qbad + 1))
		echo "#   $q: master '$a' pdns '$b'"
	fi
done
check "pdns serving our rows: every sampled query answered as the master does" [ $qbad -eq 0 ]
deleg_m=$(dig +norec +noall +authority -p 5300 @127.0.1.1 host.sub.c1.test A | tr -s ' \t' ' ' | sort)
deleg_p=$(dig +norec +noall +authority -p 5302 @127.0.2.2 host.sub.c1.test A | tr -s ' \t' ' ' | sort)
check "pdns serving our rows: the delegation refers like the master" \
    bash -c '[ -n "$1" ] && [ "${1,,}" = "${2,,}" ]' _ "$deleg_m" "$deleg_p"
finish
