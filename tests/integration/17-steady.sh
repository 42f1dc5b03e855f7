#!/bin/bash
# The daemon in its real mode for many refresh cycles: 2,000 zones with a
# REFRESH of 5 s over 10 healthy masters (one NSD on 10 addresses), serials changing on a schedule,
# 3 silent zones on an otherwise healthy master, and 2 silent masters.
# No zone of a healthy master goes longer than REFRESH + a margin without a
# check, every change reaches MySQL within REFRESH + a margin, RSS and
# descriptors stay flat after warm-up, and SIGTERM ends it cleanly.
# STEADY_ZONES, STEADY_MASTERS, STEADY_REFRESH, STEADY_SECONDS and
# STEADY_MARGIN scale it (tests/bench/steady.sh: 100,000 zones).
. tests/lib/env.sh
set -u
N=${STEADY_ZONES:-2000}
NM=${STEADY_MASTERS:-10}
REFRESH=${STEADY_REFRESH:-5}
RUN=${STEADY_SECONDS:-60}
MARGIN=${STEADY_MARGIN:-3}
mkdir -p "$T/z" "$T/f"

# sz FILE ZONE SERIAL: REFRESH 5 s, rows that depend on the serial
sz() {
	printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 h %s %s 5 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\nv-%s IN A 192.0.2.3\n' \
	    "$2" "$3" "$REFRESH" "$3" > "$1"
}
awk -v n="$N" -v d="$T/z" -v r="$REFRESH" 'BEGIN { for (i = 1; i <= n; i++) {
    f = d "/st" i ".test.zone"
    printf "$ORIGIN st%d.test.\n$TTL 300\n@ IN SOA ns1 h 1 %d 5 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\nv-1 IN A 192.0.2.3\n", i, r > f
    close(f) } }'
extra=""
for m in $(seq 2 $NM); do extra="$extra
	ip-address: 127.0.20.$m@5300"; done
NSD_EXTRA=$extra nsd_start a 127.0.20.1 5300 "$T/z" || exit 1
for i in $(seq 1 20); do sz "$T/f/fq$i.test.zone" "fq$i.test" 1; done
{ for i in $(seq 1 20); do echo "zone fq$i.test $T/f/fq$i.test.zone"; done
  echo "soa fq1.test silent"; echo "soa fq2.test silent"; echo "soa fq3.test silent"; } > "$T/script"
fake_start "$T/script" 127.0.21.1 || exit 1
blackhole_start 127.0.22.1 5300
blackhole_start 127.0.22.2 5300

db_create t17
{
	echo "INSERT INTO domains (name, master, type) VALUES"
	for i in $(seq 1 "$N"); do printf "('st%d.test','127.0.20.%d:5300','SLAVE'),\n" "$i" $((i % NM + 1)); done
	for i in $(seq 1 20); do printf "('fq%d.test','127.0.21.1:5300','SLAVE'),\n" "$i"; done
	for i in $(seq 1 19); do printf "('bh%d.test','127.0.22.%d:5300','SLAVE'),\n" "$i" $((i % 2 + 1)); done
	echo "('bh20.test','127.0.22.1:5300','SLAVE');"
} | mariadb --no-defaults -S "$SOCK" -uroot t17
write_conf t17 "soa {
    queries-per-second = 5000
    in-flight = 2000
}
master {
    queries-per-second = 200
    down-backoff = 5
    max-down-backoff = 60
}
timers {
    max-backoff = 30
}"
: > "$DLOG"
daemon_start
check "start: $((N + 17)) zones transferred" \
    wait_for $((120 + N / 500)) sql_is t17 "SELECT COUNT(*) FROM records WHERE type='SOA'" $((N + 17))

ms_of_day() { date +%H:%M:%S.%3N | awk -F'[:.]' '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }'; }
sample() {	# RSS in kB and open descriptors of the daemon
	echo "$(awk '/^VmRSS/ { print $2 }' /proc/$DPID/status) $(ls /proc/$DPID/fd | wc -l)"
}

# Warm-up: two refresh cycles, then the baseline.
sleep $((2 * REFRESH))	# a duration to run, not a state to wait for
warm=$(sample)
warm_at=$(ms_of_day)
end=$(( $(date +%s) + RUN ))
serial=1
: > "$T/published"
: > "$T/samples"
while [ "$(date +%s)" -lt "$end" ]; do
	serial=$((serial + 1))
	# 50 zones change, spread over the masters
	zs=$(seq "$serial" 37 "$N" | head -n 50)
	for i in $zs; do sz "$T/z/st$i.test.zone" "st$i.test" "$serial"; done
	nsd_reload a || break
	at=$(ms_of_day)
	for i in $zs; do echo "$at st$i.test $serial"; done >> "$T/published"
	sample >> "$T/samples"
	sleep 2
done
last=$(sample)
echo "# RSS kB and descriptors: after warm-up $warm, at the end $last"
echo "# RSS kB over the run (a sample a batch): $(awk '{ printf "%s ", $1 }' "$T/samples")"

# Every change published is in MySQL (the latest serial of each zone).
awk '{ s[$2] = $3 } END { for (z in s) print z, s[z] }' "$T/published" | sort > "$T/want"
check "changes: every published serial reaches MySQL" wait_for $((REFRESH + MARGIN + 10)) bash -c "
    mariadb --no-defaults -S '$SOCK' -uroot -N -B t17 -e \"SELECT d.name, SUBSTRING_INDEX(SUBSTRING_INDEX(r.content,' ',3),' ',-1)
        FROM records r JOIN domains d ON d.id = r.domain_id WHERE r.type = 'SOA' AND d.name LIKE 'st%'\" |
    tr '\t' ' ' | sort | join - '$T/want' | awk '\$2 != \$3 { bad++ } END { exit bad > 0 }'"
daemon_stop; rc=$?
check "SIGTERM: exit 0" [ $rc -eq 0 ]

# Log times to ms of the day.
tolog() { awk '{ split($1, t, /[:.]/); $1 = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]; print }' "$DLOG"; }
# Change to MySQL: publish time to the transfer's log line.
tolog | awk '$3 == "zone" && $5 == "serial" && $7 == "->" { sub(/:$/, "", $4); print $1, $4, $8 }' > "$T/xfrs"
awk 'NR == FNR { t[$2 " " $3] = $1; next } ($2 " " $3) in t { d = t[$2 " " $3] - $1; if (d < -43200000) d += 86400000; print d }' \
    "$T/xfrs" "$T/published" | sort -n > "$T/delays"
cnt=$(wc -l < "$T/delays")
pct() { awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100); if (i < 1) i = 1; print a[i] + 0 }' "$T/delays"; }
med=$(pct 50); p99=$(pct 99); max=$(tail -n 1 "$T/delays")
echo "# change to MySQL: $cnt changes, median $med ms, p99 $p99 ms, max ${max:-?} ms"
check "changes: each within REFRESH + ${MARGIN} s (max ${max:-none} ms of $cnt)" \
    [ "$cnt" -ge "$(wc -l < "$T/published")" -a "${max:-999999}" -le $(( (REFRESH + MARGIN) * 1000 )) ]

# Largest gap between two checks of a zone of a healthy master, after warm-up.
gap=$(tolog | awk -v from="$warm_at" '$1 >= from && $3 == "zone" && $4 ~ /^st/ && $5 == "queued" && $7 == "querying" {
    if ($4 in last) { g = $1 - last[$4]; if (g < 0) g += 86400000; if (g > max) max = g } last[$4] = $1 }
    END { print max + 0 }')
echo "# longest gap between checks of a healthy zone: $gap ms (REFRESH ${REFRESH} s)"
check "checks: no zone of a healthy master waits longer than REFRESH + ${MARGIN} s ($gap ms)" \
    [ "$gap" -gt 0 -a "$gap" -le $(( (REFRESH + MARGIN) * 1000 )) ]
check "silent zones: logged, their master never paused" bash -c "
    grep -q 'zone fq[1-3].test: master 127.0.21.1:5300: SOA check failed: no reply' '$DLOG' &&
    ! grep -q 'master 127.0.21.1:5300: no answer' '$DLOG'"
check "silent masters: paused" bash -c "grep -q 'master 127.0.22.1:5300: no answer' '$DLOG' &&
    grep -q 'master 127.0.22.2:5300: no answer' '$DLOG'"

# Flat: RSS within 10 % + 2 MB and descriptors within 10 of the warm-up.
set -- $warm
wrss=$1 wfd=$2
set -- $last
if [ -n "${SANITIZED_RUN:-}" ]; then	# ASan's quarantine holds freed memory by design
	check "RSS under a sanitizer: sampled ($wrss -> $1 kB)" [ "$1" -gt 0 ]
else
	check "RSS flat after warm-up ($wrss -> $1 kB)" [ "$1" -le $((wrss + wrss / 10 + 2048)) ]
fi
check "descriptors flat after warm-up ($wfd -> $2)" [ "$2" -le $((wfd + 10)) ]
finish
