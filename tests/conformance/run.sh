#!/bin/bash
# The conformance harness: pdns-refresher must store every zone exactly as
# pdns_server 4.7's own secondary does, and pdns serving our rows must
# answer as the master does.
#
#   tests/conformance/run.sh [BIG_RECORDS]     (default 50000)
#
# 1. Writes the corpus (corpus.sh) and serves it from NSD.
# 2. For gmysql-dnssec=no and =yes: pdns_server (secondary) transfers every
#    zone into ref_MODE, pdns-refresher --once (dnssec = MODE) into
#    ours_MODE; every records row and the domainmetadata we touch are
#    compared.  Some domains start with cryptokeys (pdns signs them live)
#    or stale DNSSEC metadata, as a hoster's database may have.
# 3. Round two: zones change their signing on the master (NSEC -> NSEC3,
#    NSEC3 -> unsigned, opt-out -> plain NSEC3, the root NSEC -> NSEC3
#    opt-out); pdns re-transfers them
#    (pdns_control retrieve) and so do we; compared again.
# 4. pdns_server (secondary=no, gmysql-dnssec=yes) serves ours_yes and, as
#    a witness, ref_yes: AXFR of every zone and a query for every name and
#    type are compared with the master.  A difference that pdns shows on its
#    own rows too is pdns's behaviour: printed and counted, not failed.
#
# Prints every difference and a summary; "ok"/"not ok" lines for the test
# runner; exits 1 on any difference between our rows or answers and pdns's.
set -u
cd "$(dirname "$0")/../.." || exit 1
BIG=${1:-50000}
. tests/lib/env.sh
. tests/conformance/lib.sh
db_start || exit 1
Z=$T/z
corpus_write "$Z" "$BIG" || { nok "corpus"; exit 1; }
nsd_start m 127.0.3.1 5300 "$Z" || exit 1
zones=$(ls "$Z" | sed -n 's/\.zone$//p' | sed 's/^_root$/./' | sort)
nzones=$(echo $zones | wc -w)
echo "# corpus: $nzones zones, $(cat "$Z"/*.zone | grep -c .) lines"
seed() { corpus_seed "$1" 127.0.3.1:5300 $zones; }
compare() {	# compare MODE LABEL: rows and metadata of ours_MODE against ref_MODE
	local mode=$1 label=$2 d
	rows "ref_$mode" > "$T/ref.rows"; rows "ours_$mode" > "$T/ours.rows"
	meta "ref_$mode" > "$T/ref.meta"; meta "ours_$mode" > "$T/ours.meta"
	diff "$T/ref.rows" "$T/ours.rows" > "$T/rows.diff"
	d=$(grep -c '^[<>]' "$T/rows.diff")
	ROWDIFF=$((ROWDIFF + d))
	echo "# $label: rows pdns $(wc -l < "$T/ref.rows"), ours $(wc -l < "$T/ours.rows"), differing $d"
	[ "$d" -eq 0 ] || sed 's/^/#   /' "$T/rows.diff" | head -40
	check "$label: every records row as pdns 4.7 writes it" [ "$d" -eq 0 ]
	diff "$T/ref.meta" "$T/ours.meta" > "$T/meta.diff"
	d=$(grep -c '^[<>]' "$T/meta.diff")
	ROWDIFF=$((ROWDIFF + d))
	[ "$d" -eq 0 ] || sed 's/^/#   /' "$T/meta.diff"
	check "$label: domainmetadata as pdns leaves it ($(wc -l < "$T/ref.meta") rows)" [ "$d" -eq 0 ]
	cut -f3 "$T/ours.rows" >> "$T/types.seen"
}
soa_count() { sql "$1" "SELECT COUNT(*) FROM records WHERE type='SOA'"; }

ROWDIFF=0
: > "$T/types.seen"
for mode in no yes; do
	db_create "ref_$mode"; db_create "ours_$mode"
	seed "ref_$mode"; seed "ours_$mode"
	PDNS_DNSSEC=$mode pdns_start "ref$mode" "ref_$mode" "127.0.3.$([ $mode = no ] && echo 11 || echo 14):5301" secondary || exit 1
	wait_for 600 sql_is ref_$mode "SELECT COUNT(*) FROM records WHERE type='SOA'" $nzones ||
	    echo "# pdns stored only $(soa_count "ref_$mode") of $nzones zones"
	write_conf "ours_$mode" "dnssec = $([ $mode = yes ] && echo true || echo false)"
	run_once || echo "# --once exited $?"
	check "gmysql-dnssec=$mode: pdns and pdns-refresher stored all $nzones zones" \
	    [ "$(soa_count "ref_$mode")" = "$nzones" -a "$(soa_count "ours_$mode")" = "$nzones" ]
	compare "$mode" "gmysql-dnssec=$mode"
done

# Round two: the signing changes on the master.
work=$(mktemp -d); PIDS_TMP=$work
(
	cd "$work"
	resign() {	# resign ZONE SERIAL FLAGS...: the deleg body, signed anew
		local z=$1 s=$2; shift 2
		sed -n '1,/^sip/p' "$Z/deleg.test.zone" | sed "s/deleg\.test/$z/g; s/ 1 3600 600/ $s 3600 600/" > "$z.in"
		if [ $# -eq 1 ] && [ "$1" = unsigned ]; then cp "$z.in" "$Z/$z.zone"; return; fi
		k=$(ldns-keygen -a ECDSAP256SHA256 -k "$z" 2>/dev/null); s2=$(ldns-keygen -a ECDSAP256SHA256 "$z" 2>/dev/null)
		cat "$k.key" "$s2.key" >> "$z.in"
		ldns-signzone -e 20400101000000 -i 20240101000000 "$@" -f "$Z/$z.zone" "$z.in" "$k" "$s2"
	}
	resign nsec.test 2 -n -s 0102 -t 2
	resign nsec3.test 2 unsigned
	resign optout.test 2 -n -s 00ff -t 1
)
# the root: NSEC -> NSEC3 with opt-out
tests/conformance/corpus.sh --root 2 "$Z/_root.zone" -n -p -s 00ff -t 1
rm -rf "$work"
nsd_reload m
for mode in no yes; do
	dir=$T/pdns-ref$mode
	for z in nsec.test nsec3.test optout.test .; do
		pdns_control --config-dir="$dir" --socket-dir="$dir" retrieve "$z" >/dev/null
	done
	wait_for 60 sql_is ref_$mode "SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 2 3600 600 %'" 4 ||
	    echo "# pdns did not re-transfer all four changed zones"
	write_conf "ours_$mode" "dnssec = $([ $mode = yes ] && echo true || echo false)"
	for z in nsec.test nsec3.test optout.test .; do run_once --zone "$z"; done
	compare "$mode" "round two, gmysql-dnssec=$mode"
done
pdns_stop refno; pdns_stop refyes

# Served answers.
PDNS_DNSSEC=yes pdns_start srvours ours_yes 127.0.3.12:5302 serve || exit 1
PDNS_DNSSEC=yes pdns_start srvref ref_yes 127.0.3.13:5303 serve || exit 1
ANSDIFF=0; PDNSDEV=0; QUERIES=0
# judge ZONE WHAT: $T/m.WHAT (master), o.WHAT (pdns on our rows) and r.WHAT
# (pdns on its own rows).  Ours must equal pdns's own; where both differ
# from the master, that is pdns's behaviour: printed and counted.
judge() {
	if ! cmp -s "$T/o.$2" "$T/r.$2"; then
		ANSDIFF=$((ANSDIFF + 1)); echo "# $1: $2 from our rows differs from pdns's own rows"
		diff "$T/r.$2" "$T/o.$2" | head -10 | sed 's/^/#   /'
	elif ! cmp -s "$T/m.$2" "$T/o.$2"; then
		PDNSDEV=$((PDNSDEV + 1))
		echo "# $1: pdns's $2 differs from the master's (same from pdns's own rows: pdns behaviour)"
		diff "$T/m.$2" "$T/o.$2" | grep '^[<>]' | head -4 | sed 's/^/#   /'
	fi
}
# Lowercase owners, one space; RRSIGs without the signature itself, which
# pdns makes anew (ECDSA is randomized) when it signs a zone live.
norm() {
	grep -v '^;' | grep . | awk '{ $1 = tolower($1);
	    if ($4 == "RRSIG") { NF = 12 } print }' | tr -s ' \t' ' ' | sort
}
for z in $zones; do
	# AXFR
	axfr_norm 127.0.3.1 5300 "$z" | norm > "$T/m.axfr"
	axfr_norm 127.0.3.12 5302 "$z" | norm > "$T/o.axfr"
	axfr_norm 127.0.3.13 5303 "$z" | norm > "$T/r.axfr"
	judge "$z" axfr
	# A query for every name and type the master has (a sample of the big zone).
	awk '$4 != "RRSIG" && $4 != "NSEC" && $4 != "NSEC3" { print $1, $4 }' "$T/m.axfr" | sort -u |
	    { [ "$z" = big.test ] && awk 'NR % 250 == 1' || cat; } > "$T/q"
	printf '%s\n' "nonexistent.${z#.} A" "x.wild.odd.test MX" "anything.odd.test A" \
	    "host.child.deleg.test A" "deep.below.child.${z#.} A" >> "$T/q"
	# denial proofs (NSEC, NSEC3) come only with the DO bit, and only
	# from ordernames: a name that is not there, and one below a cut
	echo "nonexistent.${z#.} A +dnssec" >> "$T/q"
	[ "$z" = . ] && printf '%s\n' "nothere.x.y.ent-chain A +dnssec" \
	    "deep.below.xx A +dnssec" "deep.below.yy A +dnssec" >> "$T/q"
	QUERIES=$((QUERIES + $(wc -l < "$T/q")))
	sed 's/$/ +norec +noall +answer +authority/' "$T/q" > "$T/qf"
	dig -p 5300 @127.0.3.1 -f "$T/qf" 2>/dev/null | norm > "$T/m.answers"
	dig -p 5302 @127.0.3.12 -f "$T/qf" 2>/dev/null | norm > "$T/o.answers"
	dig -p 5303 @127.0.3.13 -f "$T/qf" 2>/dev/null | norm > "$T/r.answers"
	judge "$z" answers
done
check "pdns serving our rows answers exactly as pdns serving its own rows ($QUERIES queries, $nzones AXFRs)" [ $ANSDIFF -eq 0 ]
TYPES=$(grep -v '^NULL$' "$T/types.seen" | sort -u | wc -l)
echo "# summary: $nzones zones, $(wc -l < "$T/ours.rows") rows (last round), $TYPES record types stored," \
    "row and metadata differences $ROWDIFF, answer differences $ANSDIFF," \
    "answers where pdns itself differs from the master $PDNSDEV"
echo "# types: $(grep -v '^NULL$' "$T/types.seen" | sort -u | tr '\n' ' ')"
finish
