#!/bin/bash
# A start with everything due drains at the configured rate, not as a storm,
# and the log shows progress: done, left, rate, time left.
. tests/lib/env.sh
set -u
N=1500
simple_setup t07 $N r || exit 1
write_conf t07
sed -i 's/^    tries = 2$/    tries = 2\n    queries-per-second = 120/; s/queries-per-second = 1000/queries-per-second = 100/' "$T/refresher.conf"
"$BIN" -c "$T/refresher.conf" -n >/dev/null 2>&1; [ $? -le 1 ] || exit 1
: > "$DLOG"
daemon_start
check "drain: every zone transferred" \
    wait_for 40 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t07 -e \"SELECT COUNT(*) FROM records WHERE type='SOA'\")\" = $N ]"
daemon_stop
check "drain: a progress line with done, left, rate and time left" \
    grep -Eq "progress: [0-9]+ checks done since start, [0-9]+ zones due or in progress, [0-9]+ checks/s over the last 10 s, about [0-9]+ s left" "$DLOG"
# Queries started per second, from the daemon's own log.
peak=$(grep 'ready -> querying' "$DLOG" | cut -c1-8 | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
echo "# busiest second: $peak queries (one master: 100/s, burst 10; global 120/s)"
check "drain: no second above the master's rate plus its burst ($peak)" [ "${peak:-999}" -le 112 ]
secs=$(grep 'ready -> querying' "$DLOG" | cut -c1-8 | sort -u | wc -l)
check "drain: spread over about N/rate seconds ($secs s for $N zones at 100/s)" [ "$secs" -ge 14 ]
finish
