#!/bin/bash
# What one small change to a big zone costs: a zone of RECORDS address
# records on Knot (which serves IXFR from its journal), CHANGED of them
# given new addresses at each step.  For pdns-refresher by IXFR (the
# default), pdns-refresher by AXFR (transfer.ixfr = false), pdns_server
# 4.7 with the zone's IXFR metadata, and pdns_server by AXFR: the bytes
# Knot sent (its log), the time from the request (pdns-refresher-control
# refresh, pdns_control retrieve) to the new serial in MariaDB, as a session
# polling there every 2 ms sees it, and MariaDB's CPU over it.  One run,
# figures not a test.
# Usage: tests/bench/ixfr.sh [RECORDS] [CHANGED]
set -u
cd "$(dirname "$0")/../.." || exit 1
REC=${1:-50000} CH=${2:-10}
. tests/lib/env.sh
db_start >/dev/null || exit 1
HZ=$(getconf CLK_TCK)
Z=big.bench K=$T/k A=127.0.6.1
say() { printf '# %s  %s\n' "$(date +%T)" "$*"; }

version() {	# version S: the zone at serial S; CHANGED records differ from S - 1
	awk -v n="$REC" -v s="$1" -v c="$CH" -v z="$Z" 'BEGIN {
	    printf "$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster %d 3600 600 604800 300\n", z, s
	    printf "@ IN NS ns1\nns1 IN A 192.0.2.1\n"
	    for (i = 1; i <= n - 3; i++) {
		v = i <= c ? s : 0	# the first CHANGED hosts move at every version
		printf "h%d IN A 10.%d.%d.%d\n", i, v % 256, int(i / 256) % 256, i % 256 } }' > "$K/$Z.zone"
}
to() {		# to S: Knot serves serial S
	version "$1"
	knotc -c "$KNOT_CONF_k" zone-reload >/dev/null 2>&1
	wait_for 60 sh -c "[ \"\$(dig +short +time=1 +tries=1 -p 5300 @$A $Z SOA | awk '{print \$3}')\" = '$1' ]" ||
	    { echo "bench: Knot does not serve serial $1"; exit 1; }
}
db_ticks() { awk '{ print $14 + $15 }' "/proc/$DBPID/stat"; }
stored() { sql "$1" "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% $2 3600 %'" ; }
# knot_sent S: "TYPE BYTES" of Knot's last outgoing transfer that ended at serial S
knot_sent() {
	grep -E "(AXFR|IXFR), outgoing.*(started, serial|finished)" "$T/knot-k/knot.log" |
	    awk -v s="$1" '/started/ { t = $0 ~ /IXFR/ ? "IXFR" : "AXFR"; ok = ($0 ~ ("serial " s "$") || $0 ~ ("-> " s "$")) }
	    /finished/ && ok { for (i = 1; i <= NF; i++) if ($i ~ /^bytes/) b = $(i - 1); r = t " " b }
	    END { print r }'
}
declare -A R
# measure NAME DB SERIAL COMMAND...: run COMMAND; the time until SERIAL is
# in DB is when a session already polling there (every 2 ms, inside the
# server, so no client starts in the measured time) first sees it
measure() {
	local name=$1 db=$2 s=$3 t0 t1 d0 poller; shift 3
	mariadb --no-defaults -S "$SOCK" -uroot -N -B --delimiter=// "$db" -e "BEGIN NOT ATOMIC
	    DECLARE n INT DEFAULT 0;
	    WHILE n = 0 DO
		SELECT COUNT(*) INTO n FROM records WHERE name = '$Z' AND type = 'SOA' AND content LIKE '% $s 3600 %';
		IF n = 0 THEN DO SLEEP(0.002); END IF;
	    END WHILE;
	    SELECT UNIX_TIMESTAMP(NOW(6)) * 1000000;
	END//" > "$T/seen-$name" 2>&1 &
	poller=$!
	wait_for 30 sh -c "[ \"\$(mariadb --no-defaults -S '$SOCK' -uroot -N -B -e \"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(0.002)%' AND ID <> CONNECTION_ID()\")\" -ge 1 ]" ||
	    { echo "bench: $name: the poller did not start"; exit 1; }
	d0=$(db_ticks); t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	wait_for 120 sh -c "! kill -0 $poller 2>/dev/null" || { echo "bench: $name: serial $s not stored"; exit 1; }
	wait "$poller"
	t1=$(awk 'NR == 1 { printf "%d", $1 }' "$T/seen-$name")
	[ -n "$t1" ] || { echo "bench: $name: the poller said $(cat "$T/seen-$name")"; exit 1; }
	R[$name]="$(( (t1 - t0 / 1000) / 1000 )) $(echo "($(db_ticks) - $d0) / $HZ" | bc -l) $(knot_sent "$s")"
}

mkdir -p "$K"
version 1
knot_start k "$A" 5300 "$K" >/dev/null || exit 1
# dig's last line: ";; XFR size: 50003 records (messages 34, bytes 1140855)"
axfr_bytes=$(dig -p 5300 @$A $Z AXFR | awk '/XFR size/ { for (i = 1; i < NF; i++) if ($i == "bytes") print $(i + 1) + 0 }')
say "$Z: $REC records, an AXFR is $axfr_bytes bytes; $CH records change at each step"

# pdns-refresher, a daemon with the shipped defaults
db_create ours
add_slaves ours "$A:5300" $Z
cat > "$T/refresher.conf" <<EOC
mysql {
    socket = "$SOCK"
    user = "root"
    database = "ours"
}
control { socket = "$T/control.sock" }
EOC
chmod 600 "$T/refresher.conf"
"$BIN" -c "$T/refresher.conf" -f > "$T/ours.log" 2>&1 &
OURS=$!; PIDS="$PIDS $OURS"
wait_for 120 sh -c "[ \"\$(mariadb --no-defaults -S '$SOCK' -uroot -N -B ours -e \"SELECT COUNT(*) FROM records WHERE type='SOA'\")\" = 1 ]" ||
    { echo "bench: the first load failed"; tail "$T/ours.log"; exit 1; }
to 2
measure ours_ixfr ours 2 "$CTL" -c "$T/refresher.conf" refresh $Z
grep -q "zone $Z: serial 1 -> 2 .* by IXFR" "$T/ours.log" || say "ours did not use IXFR: $(grep "zone $Z: " "$T/ours.log" | tail -2)"
ours_job=$(grep -o "zone $Z: serial 1 -> 2 .* in [0-9]* ms" "$T/ours.log" | grep -o "[0-9]* ms$")
kill "$OURS"; wait "$OURS" 2>/dev/null
printf 'transfer {\n    ixfr = false\n}\n' >> "$T/refresher.conf"
"$BIN" -c "$T/refresher.conf" -f >> "$T/ours.log" 2>&1 &
OURS=$!; PIDS="$PIDS $OURS"
wait_for 30 sh -c "\"$CTL\" -c \"$T/refresher.conf\" status >/dev/null"
to 3
measure ours_axfr ours 3 "$CTL" -c "$T/refresher.conf" refresh $Z
kill "$OURS"; wait "$OURS" 2>/dev/null

# pdns_server 4.7 as the secondary, with the zone's IXFR metadata, then without
db_create ref
add_slaves ref "$A:5300" $Z
sql ref "INSERT INTO domainmetadata (domain_id, kind, content) SELECT id, 'IXFR', '1' FROM domains"
PDNS_EXTRA="xfr-cycle-interval=3600" pdns_start ref ref 127.0.6.9:5301 secondary >/dev/null || exit 1
wait_for 300 sh -c "[ \"\$(mariadb --no-defaults -S '$SOCK' -uroot -N -B ref -e \"SELECT COUNT(*) FROM records WHERE type='SOA' AND content LIKE '% 3 3600 %'\")\" = 1 ]" ||
    { echo "bench: pdns did not load the zone"; exit 1; }
dir=$T/pdns-ref
to 4
measure pdns_ixfr ref 4 pdns_control --config-dir="$dir" --socket-dir="$dir" retrieve $Z
sql ref "DELETE FROM domainmetadata WHERE kind = 'IXFR'"
to 5
measure pdns_axfr ref 5 pdns_control --config-dir="$dir" --socket-dir="$dir" retrieve $Z
pdns_stop ref

row() {	# row LABEL NAME
	read -r ms cpu type bytes <<<"${R[$2]}"
	printf '| %-38s | %-4s | %12s | %9s | %11.2f |\n' "$1" "$type" "$bytes" "$ms" "$cpu"
}
echo
echo "One change of $CH records in a zone of $REC records (Knot 3.2 master, one run):"
echo
echo "| secondary                              | sent | bytes (Knot) | ms to SQL | MariaDB CPU |"
echo "|----------------------------------------|------|--------------|-----------|-------------|"
row "pdns-refresher, defaults (IXFR)" ours_ixfr
row "pdns-refresher, transfer.ixfr = false" ours_axfr
row "pdns_server 4.7, IXFR metadata" pdns_ixfr
row "pdns_server 4.7, AXFR" pdns_axfr
echo
echo "pdns-refresher's own log for the IXFR: fetched, applied and committed in $ours_job."
read -r _ _ _ ib <<<"${R[ours_ixfr]}"; read -r _ _ _ ab <<<"${R[ours_axfr]}"
[ -n "$ib" ] && [ -n "$ab" ] && echo "AXFR / IXFR bytes: $(echo "$ab / $ib" | bc)x"
