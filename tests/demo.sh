#!/bin/bash
# make demo: the main job on this machine, end to end, with nothing installed
# system-wide but the packages: a private MariaDB with the PowerDNS schema,
# an NSD master on 127.0.1.1:5300 with 1,000 zones, the daemon in the
# foreground until every zone is in, then a few zones changed on the master.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
. tests/lib/env.sh
N=${DEMO_ZONES:-1000}
say() { printf '\n==> %s\n' "$*"; }

say "private MariaDB in $T (Unix socket, PowerDNS schema from pdns-backend-mysql)"
db_start || exit 1
db_create pdns

say "NSD master on 127.0.1.1:5300 with $N generated zones"
mkdir -p "$T/zones"
zones=$(for i in $(seq 1 $N); do echo "demo$i.example"; done)
for z in $zones; do make_zone "$T/zones/$z.zone" "$z" 2026010100; done
nsd_start demo 127.0.1.1 5300 "$T/zones" || exit 1
add_slaves pdns 127.0.1.1:5300 $zones
echo "$(sql pdns "SELECT COUNT(*) FROM domains WHERE type='SLAVE'") SLAVE domains in the database, $(sql pdns "SELECT COUNT(*) FROM records") records"

# Short timers so the demo sees changes within seconds (real zones: hours).
write_conf pdns "timers {
    max-refresh = 3
}"
say "pdns-refresher -f (log below, info level)"
: > "$DLOG"
start=$(date +%s%N)
"$BIN" -c "$T/refresher.conf" -f >"$DLOG" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
tail -n +1 -F "$DLOG" --pid=$$ 2>/dev/null | awk '
    /first transfer/ { n++; if (n <= 3) print "  | " $0; else if (n == 4) print "  | ... (one line per zone)"; fflush(); next }
    { print "  | " $0; fflush() }' &
TAILPID=$!
PIDS="$PIDS $TAILPID"
if ! wait_for 300 sql_is pdns "SELECT COUNT(*) FROM records WHERE type='SOA'" $N; then
	echo "not every zone arrived; see the log above"; exit 1
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 0.5
say "every zone is in: $N zones in $ms ms (daemon start to the last commit)"
echo "rows in records: $(sql pdns "SELECT COUNT(*) FROM records") (15 records and 3 empty non-terminals a zone)"
echo "demo1.example as PowerDNS will serve it:"
{ printf 'name\ttype\tcontent\tttl\tprio\tdisabled\tordername\tauth\n'; RAW=1 zone_rows pdns demo1.example; } |
    column -t -s $'\t' | sed 's/^/    /'

say "changing demo1 .. demo5 on the master (new serial, one record added)"
for i in 1 2 3 4 5; do
	make_zone "$T/zones/demo$i.example.zone" "demo$i.example" 2026010101 "changed IN A 192.0.2.$i"
done
nsd_reload demo
if wait_for 60 sql_is pdns "SELECT COUNT(*) FROM records WHERE name LIKE 'changed.demo%'" 5; then
	say "the daemon picked the changes up:"
	grep "serial 2026010100 -> 2026010101" "$DLOG" | sed 's/^/    /'
	sql pdns "SELECT name, type, content FROM records WHERE name LIKE 'changed.%' ORDER BY name" | sed 's/^/    /'
else
	echo "the changes did not arrive in 60 s"; exit 1
fi
say "stopping the daemon (SIGTERM)"
kill -TERM "$DPID"; wait "$DPID"
sleep 0.3
kill "$TAILPID" 2>/dev/null
say "done; everything in $T is removed on exit"
