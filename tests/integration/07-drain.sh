#!/bin/bash
# A start with everything due drains at the configured rate, not as a storm,
# and the log shows progress: done, left, rate, time left.  Every zone is
# new: the first ones of a master are asked for their SOA, the rest go
# straight to the transfer once the master answered; both kinds of check
# share the rate.
. tests/lib/env.sh
set -u
N=1500
# NSD logs its counters every second: the master's side of the rate.
NSD_EXTRA="statistics: 1" simple_setup t07 $N r || exit 1
write_conf t07
sed -i 's/^    tries = 2$/    tries = 2\n    queries-per-second = 120/; s/queries-per-second = 1000/queries-per-second = 100/' "$T/refresher.conf"
"$BIN" -c "$T/refresher.conf" -n >/dev/null 2>&1; [ $? -le 1 ] || exit 1
: > "$DLOG"
daemon_start
check "drain: every zone transferred" \
    wait_for 40 sql_is t07 "SELECT COUNT(*) FROM records WHERE type='SOA'" $N
daemon_stop
check "drain: a progress line with done, left, rate and time left" \
    grep -Eq "progress: [0-9]+ checks done since start, [0-9]+ zones due or in progress, [0-9]+ checks/s over the last 10 s, about [0-9]+ s left" "$DLOG"
# Checks started per second (an SOA query, or a first load sent straight
# to the transfer), from the daemon's own log.
started='queued -> \(querying\|xfr-queued\)'
peak=$(grep "$started" "$DLOG" | cut -c1-8 | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
direct=$(grep -c "no SOA stored: first load straight from" "$DLOG")
echo "# busiest second: $peak checks (one master: 100/s, burst 10; global 120/s); $direct of $N first loads without a SOA query"
check "drain: the first loads after the master answered went straight to the transfer ($direct of $N)" \
    [ "$direct" -ge $((N - 100)) ]
check "drain: no second above the master's rate plus its burst ($peak)" [ "${peak:-999}" -le 112 ]
secs=$(grep "$started" "$DLOG" | cut -c1-8 | sort -u | wc -l)
check "drain: spread over about N/rate seconds ($secs s for $N zones at 100/s)" [ "$secs" -ge 14 ]
# SOA and AXFR (TYPE252) queries per second as the master counted them (NSTATS is
# cumulative).  Each check is one of them; the zones asked by SOA first
# also transfer, at most a burst of them: rate 100 + burst 10 + 10.
mpeak=$(grep -o 'NSTATS [0-9]* [0-9]* .*' "$T/nsd-a.log" | awk '{
    q = 0; for (i = 4; i <= NF; i++) if ($i ~ /^(SOA|TYPE252)=/) { split($i, kv, "="); q += kv[2] }
    if (NR > 1 && q - last > peak) peak = q - last; last = q } END { print peak + 0 }')
echo "# busiest second at the master (NSD's own counters): $mpeak SOA and AXFR queries"
check "drain: the master never saw more than its rate plus bursts ($mpeak SOA and AXFR/s)" \
    [ "$mpeak" -gt 0 -a "$mpeak" -le 120 ]

# Three masters of 400 zones each; per master 100/s, all together 150/s.
soa_per_second() {	# NSD log -> "epoch count" lines of SOA and AXFR queries in that second
	grep -o 'NSTATS [0-9]* [0-9]* .*' "$1" | awk '{
	    q = 0; for (i = 4; i <= NF; i++) if ($i ~ /^(SOA|TYPE252)=/) { split($i, kv, "="); q += kv[2] }
	    if (NR > 1) print $2, q - last; last = q }'
}
db_create t07b
for m in 1 2 3; do
	mkdir -p "$T/zm$m"
	mz=$(for i in $(seq 1 400); do echo "m$m-$i.test"; done)
	for z in $mz; do make_zone "$T/zm$m/$z.zone" "$z" 1; done
	NSD_EXTRA="statistics: 1" nsd_start "m$m" "127.0.2.$((30 + m))" 5300 "$T/zm$m" || exit 1
	add_slaves t07b "127.0.2.$((30 + m)):5300" $mz
done
write_conf t07b
sed -i 's/^    tries = 2$/    tries = 2\n    queries-per-second = 150/; s/queries-per-second = 1000/queries-per-second = 100/' "$T/refresher.conf"
: > "$DLOG"
daemon_start
check "three masters: all 1200 zones transferred" \
    wait_for 40 sql_is t07b "SELECT COUNT(*) FROM records WHERE type='SOA'" 1200
daemon_stop
for m in 1 2 3; do soa_per_second "$T/nsd-m$m.log"; done > "$T/persec"
each=$(sort -k2 -n "$T/persec" | tail -1 | awk '{print $2}')
total=$(awk '{ s[$1] += $2 } END { for (t in s) if (s[t] > p) p = s[t]; print p + 0 }' "$T/persec")
echo "# busiest second: one master $each, all three $total SOA and AXFR queries (limits 100 and 150, bursts 10 and 15, and the bursts' transfers)"
check "three masters: no master above its own rate ($each/s)" [ "${each:-999}" -le 120 ]
check "three masters: the total held the global rate ($total/s)" [ "$total" -gt 0 -a "$total" -le 180 ]
finish
