#!/bin/bash
# IXFR.  Every conformance corpus zone goes through a chain of versions on
# Knot (which serves IXFR from its journal): records at new deep names (new
# empty non-terminals), a delegation with glue and DS, a changed TTL, a
# deleted record, then names removed (ENTs gone), the delegation removed
# (its glue authoritative again), changed text.  The rows left by IXFR
# must be exactly those an AXFR of the final version leaves (which the
# conformance harness proves equal to pdns 4.7's own), in both
# gmysql-dnssec modes, metadata included.  Then: strict deltas, an
# AXFR-style answer (NSD), and masters that do not do IXFR.
. tests/lib/env.sh
. tests/conformance/lib.sh
set -u
db_start || exit 1
C=$T/c K=$T/k
corpus_write "$C" 5000 || { nok "corpus"; exit 1; }
# Knot's zone file template has no name for the root zone, and Knot's
# parser refuses types.test's generic records whose length statement does
# not match (NSD takes them): the rest.
mkdir -p "$K"
for f in "$C"/*.zone; do
	case $(basename "$f") in _root.zone|types.test.zone) ;; *) cp "$f" "$K/" ;; esac
done
zones=$(ls "$K" | sed -n 's/\.zone$//p' | sort)
nz=$(echo $zones | wc -w)
nu=$(grep -L RRSIG "$K"/*.zone | wc -l)	# the unsigned ones: by IXFR

# version N ZONE: the next version of ZONE's file in $K.
version() {
	local n=$1 z=$2 f=$K/$2.zone
	awk -v s="$n" '!done { for (i = 2; i + 3 <= NF; i++) if ($i == "SOA" && $(i - 1) == "IN") {
	    $(i + 3) = s; done = 1; break } } { print }' "$f" > "$f.new"
	case $n in
	2)	# new deep names, a delegation with glue and DS, a changed TTL
		sed -i '/^ixfr-/d' "$f.new"
		cat >> "$f.new" <<EOV
ixfr-a.x.y.$z. 300 IN A 192.0.2.77
ixfr-a.x.y.$z. 300 IN TXT "deleted in 3"
ixfr-b.$z. 300 IN TXT "v2"
ixfr-ttl.$z. 300 IN A 192.0.2.80
ixfr-sub.$z. 300 IN NS ns.ixfr-sub.$z.
ixfr-sub.$z. 300 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.ixfr-sub.$z. 300 IN A 192.0.2.78
EOV
		;;
	3)	# names gone, the delegation gone, changed text and TTL, a new deep name
		sed -i -e "/^ixfr-a\.x\.y\./d" -e "/^ixfr-sub\.$z\. 300 IN NS/d" \
		    -e 's/"v2"/"v3"/' -e "s/^ixfr-ttl\.$z\. 300/ixfr-ttl.$z. 600/" "$f.new"
		echo "deep.ixfr-c.ixfr-b.$z. 300 IN A 192.0.2.79" >> "$f.new"
		;;
	esac
	mv "$f.new" "$f"
}
# Knot version: every zone at serial N (7 for the deep one, whose serial is 7).
bump() {
	local n=$1 z
	for z in $zones; do version "$n" "$z"; done
	knotc -c "$KNOT_CONF_k" zone-reload >/dev/null 2>&1
	for z in $zones; do
		wait_for 60 sh -c "[ \"\$(dig +short +time=1 +tries=1 -p 5300 @127.0.6.1 $z SOA | awk '{print \$3}')\" = '$n' ]" ||
		    { echo "# Knot does not serve $z at serial $n"; tail -5 "$T/knot-k/knot.log"; return 1; }
	done
}
for z in $zones; do version 1 "$z"; done
knot_start k 127.0.6.1 5300 "$K" || exit 1

due() { sql "$1" "UPDATE domains SET last_check = 0"; }
ixfr_zones() { grep -c "by IXFR\( over UDP\)\?:" "$DLOG"; }
for mode in no yes; do
	flag=$([ $mode = yes ] && echo true || echo false)
	db_create "ix_$mode"; db_create "ax_$mode"
	corpus_seed "ix_$mode" 127.0.6.1:5300 $zones
	corpus_seed "ax_$mode" 127.0.6.1:5300 $zones
done
# Version 1 by AXFR into the IXFR databases.
for mode in no yes; do
	write_conf "ix_$mode" "dnssec = $([ $mode = yes ] && echo true || echo false)"
	run_once
	check "gmysql-dnssec=$mode: version 1 of all $nz zones stored" \
	    sql_is "ix_$mode" "SELECT COUNT(*) FROM records WHERE type='SOA'" "$nz"
done
# Version 2: dnssec=no takes it by IXFR; dnssec=yes skips it and later
# takes two versions in one IXFR.
bump 2 || exit 1
due ix_no
write_conf ix_no "dnssec = false" "transfer {
    ixfr-udp = all
}"
: > "$DLOG"
run_once
n2=$(ixfr_zones)
check "version 2: every unsigned zone by IXFR ($n2 of $nz)" eq "$n2" "$nu"
check "version 2: Knot answers the IXFR check with AA clear: its zones are checked by SOA" \
    grep -q "master 127.0.6.1:5300: no IXFR over UDP from it (reply not authoritative (AA clear), zone .*): SOA checks for 60 minutes" "$DLOG"
check "version 2: deleg.test by IXFR, one version" grep -q "zone deleg.test: serial 1 -> 2 from 127.0.6.1:5300 by IXFR\( over UDP\)\?: [0-9]* records changed in 1 version" "$DLOG"
check "version 2: the presigned nsec.test whole, and why" \
    grep -q "zone nsec.test: IXFR from 127.0.6.1:5300 not used (the zone is signed): asking AXFR" "$DLOG"
written=$(grep -o "zone big.test: serial 1 -> 2 .* by IXFR.*: .* \([0-9]*\) rows stored (\([0-9]*\) already so" "$DLOG" |
    sed 's/.* \([0-9]*\) rows stored (\([0-9]*\) already so/\1 - \2/' | bc)
check "version 2: the 5,000-record zone's IXFR wrote only what changed ($written rows)" \
    [ "${written:-99}" -le 12 ]
reused=$(grep -o "TCP connections opened, [0-9]* kept ones used again" "$DLOG" | awk '{ print $4 }')
check "version 2: transfers from one master reuse kept TCP connections (${reused:-none})" \
    [ "${reused:-0}" -ge 1 ]
check "version 2: all stored" sql_is ix_no "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 2 3600 %'" "$nz"
bump 3 || exit 1
for mode in no yes; do
	flag=$([ $mode = yes ] && echo true || echo false)
	due "ix_$mode"
	write_conf "ix_$mode" "dnssec = $flag"
	: > "$DLOG"
	run_once
	cp "$DLOG" "$T/ix_$mode.log"
	n3=$(ixfr_zones)
	check "gmysql-dnssec=$mode: version 3 of every unsigned zone by IXFR ($n3 of $nz)" eq "$n3" "$nu"
	write_conf "ax_$mode" "dnssec = $flag" "transfer {
    ixfr = false
}"
	: > "$DLOG"
	run_once
	check "gmysql-dnssec=$mode: with ixfr = false, only AXFR" [ "$(ixfr_zones)" -eq 0 ]
	rows "ax_$mode" > "$T/ax.rows"; rows "ix_$mode" > "$T/ix.rows"
	diff "$T/ax.rows" "$T/ix.rows" > "$T/rows.diff"
	d=$(grep -c '^[<>]' "$T/rows.diff")
	[ "$d" -eq 0 ] || sed 's/^/#   /' "$T/rows.diff" | head -40
	check "gmysql-dnssec=$mode: rows after IXFR are the rows of an AXFR ($(wc -l < "$T/ax.rows") rows, $d differ)" [ "$d" -eq 0 ]
	check "gmysql-dnssec=$mode: the chain's ENTs, glue and DS are there" \
	    sql_is "ix_$mode" "SELECT COUNT(*) FROM records WHERE name IN ('ixfr-c.ixfr-b.deleg.test', 'ns.ixfr-sub.deleg.test', 'ixfr-sub.deleg.test') AND (type IS NULL OR type IN ('A','DS'))" 3
	check "gmysql-dnssec=$mode: ENTs of removed names are gone" \
	    sql_is "ix_$mode" "SELECT COUNT(*) FROM records WHERE name LIKE '%x.y.deleg.test' OR name = 'y.deleg.test'" 0
	meta "ax_$mode" > "$T/ax.meta"; meta "ix_$mode" > "$T/ix.meta"
	check "gmysql-dnssec=$mode: domainmetadata as an AXFR leaves it" cmp -s "$T/ax.meta" "$T/ix.meta"
done
check "gmysql-dnssec=yes: two versions in one IXFR" \
    grep -q "zone big.test: serial 1 -> 3 from 127.0.6.1:5300 by IXFR\( over UDP\)\?: [0-9]* records changed in 2 versions" "$T/ix_yes.log"
check "gmysql-dnssec=yes: a zone pdns signs live from its keys by IXFR" \
    grep -q "zone live.test: serial 1 -> 3 from 127.0.6.1:5300 by IXFR" "$T/ix_yes.log"
knot_stop k

# Masters that break IXFR: the scriptable fake master.  Each zone is at
# serial 1 here; the master's file says 2; its IXFR answer is scripted.
F=$T/f
mkdir -p "$F"
fz="strict-del strict-add chain notimp soaonly empty offm offz"
for z in $fz; do
	make_zone "$F/$z.v1" "$z.test" 1
	make_zone "$F/$z.v2" "$z.test" 2 "new IN A 192.0.2.99"
done
soa() { echo "$1. 3600 IN SOA ns1.$1. hostmaster.$1. $2 3600 600 604800 300"; }
ds() {	# ds ZONE LINE...: its IXFR answer from 1 to 2: SOA 2, SOA 1, LINEs, SOA 2
	local z=$1; shift
	{ soa "$z.test" 2; soa "$z.test" 1; printf '%s\n' "$@"; soa "$z.test" 2; } > "$F/$z.ixfr"
}
ds strict-del "gone.strict-del.test. 3600 IN A 192.0.2.1" "$(soa strict-del.test 2)" \
    "new.strict-del.test. 3600 IN A 192.0.2.99"
ds strict-add "$(soa strict-add.test 2)" "mail.strict-add.test. 3600 IN A 192.0.2.25"
ds chain "$(soa chain.test 3)" "$(soa chain.test 2)"
{
	for z in $fz; do echo "zone $z.test $F/$z.v1"; done
	for z in strict-del strict-add chain; do echo "ixfr $z.test stream $F/$z.ixfr"; done
	echo "ixfr notimp.test rcode NOTIMPL"
	echo "ixfr soaonly.test soaonly"
} > "$T/script"
fake_start "$T/script" 127.0.3.1 127.0.3.2 127.0.3.3 127.0.3.4 || exit 1
db_create fk
# notimp on an address of its own: another zone's refusal (soaonly, empty)
# may make 127.0.3.1 AXFR-only before notimp's transfer asks
add_slaves fk 127.0.3.1:5300 $(for z in $fz; do [ $z = notimp ] || echo "$z.test"; done)
add_slaves fk 127.0.3.4:5300 notimp.test
write_conf fk "" "transfer {
    ixfr-off-masters = { \"127.0.3.9\" }
    ixfr-off-zones = { \"OFFZ.test.\" }
}"
run_once
check "fake master: version 1 of every zone by AXFR" \
    sql_is fk "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 1 3600 %'" 8
{
	for z in $fz; do echo "zone $z.test $F/$z.v2"; done
	for z in strict-del strict-add chain; do echo "ixfr $z.test stream $F/$z.ixfr"; done
	echo "ixfr notimp.test rcode NOTIMPL"
	echo "ixfr soaonly.test soaonly"
} > "$T/script"
sql fk "UPDATE domains SET last_check = 0"
: > "$DLOG"; : > "$FAKELOG"
run_once
why() { grep -q "zone $1.test: IXFR from 127.0.3.[14]:5300 not used ($2): asking AXFR" "$DLOG"; }
check "strict: a deletion of a record we do not have means AXFR" \
    why strict-del "IXFR deletes gone.strict-del.test A 192.0.2.1, which we do not have"
check "strict: an addition of a record we have means AXFR" \
    why strict-add "IXFR adds mail.strict-add.test A 192.0.2.25, which we have"
check "versions that do not chain mean AXFR" why chain "IXFR delta begins at serial 2, not at 3"
check "NOTIMP to IXFR means AXFR" why notimp "master answered NOTIMPL to IXFR"
check "a lone newer SOA means AXFR" why soaonly "master answered IXFR with its SOA only"
check "an empty answer means AXFR" why empty "empty message 1 in transfer"
check "a master that refuses IXFR is AXFR-only for an hour" \
    grep -q "master 127.0.3.1:5300: .* AXFR only from it for 60 minutes" "$DLOG"
check "every zone at version 2 all the same, rows as the master's" \
    sql_is fk "SELECT COUNT(*) FROM records WHERE name LIKE 'new.%' AND content = '192.0.2.99'" 8
check "ixfr-off-zones: no IXFR for that zone" eq "$(fake_queries IXFR offz.test)" 0
check "...but for the others" [ "$(awk '$2 == "tcp" && $3 == "IXFR" && $4 == "chain.test."' "$FAKELOG" | wc -l)" -eq 1 ]
write_conf fk "" "transfer {
    ixfr-off-masters = { \"127.0.3.1:5300\" }
}"
for z in $fz; do make_zone "$F/$z.v2" "$z.test" 3; done
touch "$T/script"
sql fk "UPDATE domains SET last_check = 0"
: > "$FAKELOG"
run_once
check "ixfr-off-masters: no IXFR to that master" eq "$(awk '$3 == "IXFR" && $4 != "notimp.test."' "$FAKELOG" | wc -l)" 0
check "ixfr-off-masters: every zone by AXFR" \
    sql_is fk "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 3 3600 %'" 8

# A kept connection the master leaves silent (a middlebox forgot it): the
# transfer opens a new one after 2 s instead of failing on the idle timeout.
for z in ks1 ks2; do make_zone "$F/$z.v1" "$z.test" 1; done
for z in ks1 ks2; do printf 'zone %s.test %s\naxfr %s.test keepsilent\n' "$z" "$F/$z.v1" "$z"; done >> "$T/script"
db_create ks
add_slaves ks 127.0.3.1:5300 ks1.test ks2.test
write_conf ks
sed -i 's/^workers = 4$/workers = 1/' "$T/refresher.conf"	# one worker: one after the other
: > "$DLOG"
run_once
check "a silent kept connection: both zones stored" \
    sql_is ks "SELECT COUNT(*) FROM records WHERE type = 'SOA'" 2
check "a silent kept connection: used, then a new one (no failure)" \
    grep -q "0 failed attempts.*" "$DLOG"
check "a silent kept connection: 2 opened, 1 used again" \
    grep -q "2 TCP connections opened, 1 kept ones used again" "$DLOG"

# The check as an IXFR over UDP (transfer.ixfr-udp = all; by default only
# after a NOTIFY, which 24-notify-direct covers): a
# delta that fits in the datagram is applied without TCP; a longer one
# (the master sends its SOA alone) comes by TCP; a master that answers
# NOTIMP is asked by SOA, and its zone still comes.
for z in udpd udpbig udpn; do
	make_zone "$F/$z.v1" "$z.test" 1
	make_zone "$F/$z.v2" "$z.test" 2 "new IN A 192.0.2.99"
	printf 'zone %s.test %s\n' "$z" "$F/$z.v1" >> "$T/script"
done
ds udpd "$(soa udpd.test 2)" "new.udpd.test. 3600 IN A 192.0.2.99"
pads=()
for i in $(seq 1 20); do pads+=("pad$i.udpbig.test. 3600 IN TXT \"padding-padding-padding-$i\""); done
ds udpbig "$(soa udpbig.test 2)" "new.udpbig.test. 3600 IN A 192.0.2.99" "${pads[@]}"
for i in $(seq 1 20); do echo "pad$i IN TXT \"padding-padding-padding-$i\""; done >> "$F/udpbig.v2"
db_create fu
add_slaves fu 127.0.3.2:5300 udpd.test udpbig.test
add_slaves fu 127.0.3.3:5300 udpn.test
write_conf fu "" "transfer {
    ixfr-udp = all
}"
run_once
check "ixfr-udp: version 1 by AXFR" sql_is fu "SELECT COUNT(*) FROM records WHERE type='SOA'" 3
{
	grep -v '^zone udp' "$T/script"
	for z in udpd udpbig udpn; do echo "zone $z.test $F/$z.v2"; done
	echo "ixfr udpd.test stream $F/udpd.ixfr"
	echo "ixfr udpbig.test stream $F/udpbig.ixfr"
	echo "ixfr udpn.test rcode NOTIMPL"
} > "$T/script.new"
mv "$T/script.new" "$T/script"
sql fu "UPDATE domains SET last_check = 0"
: > "$DLOG"; : > "$FAKELOG"
run_once
q() { awk -v p="$1" -v t="$2" -v z="$3." '$2 == p && $3 == t && $4 == z' "$FAKELOG" | wc -l; }
check "ixfr-udp: a delta that fits, applied from the datagram" \
    grep -q "zone udpd.test: serial 1 -> 2 from 127.0.3.2:5300 by IXFR over UDP: 3 records changed" "$DLOG"
check "ixfr-udp: ... with no TCP connection for it" eq "$(awk '$2 == "tcp" && $4 == "udpd.test."' "$FAKELOG" | wc -l)" 0
check "ixfr-udp: ... and the new record stored" \
    sql_is fu "SELECT COUNT(*) FROM records WHERE name = 'new.udpd.test' AND content = '192.0.2.99'" 1
check "ixfr-udp: a delta too long for it (the SOA alone): by TCP" \
    grep -q "zone udpbig.test: serial 1 -> 2 from 127.0.3.2:5300 by IXFR: 23 records changed" "$DLOG"
check "ixfr-udp: ... one IXFR over UDP, one over TCP" \
    [ "$(q udp IXFR udpbig.test)" -eq 1 -a "$(q tcp IXFR udpbig.test)" -eq 1 ]
check "ixfr-udp: NOTIMP over UDP: the master is asked by SOA, and said so" \
    grep -q "master 127.0.3.3:5300: no IXFR over UDP from it (master answered NOTIMPL, zone udpn.test): SOA checks for 60 minutes" "$DLOG"
check "ixfr-udp: ... the SOA query went at once, the zone came" \
    [ "$(q udp SOA udpn.test)" -eq 1 ] && sql_is fu "SELECT COUNT(*) FROM records WHERE name = 'new.udpn.test'" 1
sql fu "UPDATE domains SET last_check = 0"
: > "$FAKELOG"
run_once
check "ixfr-udp: a refusal is remembered (SOA checks; this run only: --once forgets)" \
    [ "$(q udp IXFR udpd.test)" -eq 1 ]

# NSD answers IXFR with the whole zone (AXFR-style): stored as an AXFR.
mkdir -p "$T/n"
make_zone "$T/n/nsd.test.zone" nsd.test 1
nsd_start a 127.0.6.2 5300 "$T/n" || exit 1
db_create nd
add_slaves nd 127.0.6.2:5300 nsd.test
write_conf nd
run_once
make_zone "$T/n/nsd.test.zone" nsd.test 2 "new IN A 192.0.2.99"
nsd_reload a
sql nd "UPDATE domains SET last_check = 0"
: > "$DLOG"
run_once
check "AXFR-style answer: stored as an AXFR, and said so" \
    grep -q "zone nsd.test: serial 1 -> 2 from 127.0.6.2:5300: .* (IXFR answered with the whole zone)" "$DLOG"
check "AXFR-style answer: the new record" sql_is nd "SELECT COUNT(*) FROM records WHERE name='new.nsd.test'" 1
# ... and to the IXFR check over UDP, the whole small zone in the datagram
make_zone "$T/n/nsd.test.zone" nsd.test 3 "new IN A 192.0.2.98"
nsd_reload a
sql nd "UPDATE domains SET last_check = 0"
write_conf nd "" "transfer {
    ixfr-udp = all
}"
: > "$DLOG"
run_once
check "AXFR-style answer over UDP: stored with no TCP connection, and said so" \
    grep -q "zone nsd.test: serial 2 -> 3 from 127.0.6.2:5300: .* (IXFR answered with the whole zone, over UDP)" "$DLOG"
check "AXFR-style answer over UDP: the new record" \
    sql_is nd "SELECT COUNT(*) FROM records WHERE name='new.nsd.test' AND content = '192.0.2.98'" 1
finish
