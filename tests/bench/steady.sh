#!/bin/bash
# The steady-state test at scale (make bench): 100,000 zones with a REFRESH
# of 60 s over 100 masters, serials changing every few seconds, 3 silent
# zones and 2 silent masters, for five refresh cycles.  Prints zones late,
# change-to-MySQL median, p99 and max, and RSS over time.
# Usage: tests/bench/steady.sh [ZONES [MASTERS [REFRESH [SECONDS]]]]
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d /tmp/pdnsr-steady.XXXXXX)
(
	. tests/lib/env.sh
	trap - EXIT
	DB_POOL=1G db_start >/dev/null || exit 1
	echo "$SOCK" > "$T/sock"
	echo "$DBPID" > "$T/dbpid"
) || { echo "steady: MariaDB did not start"; exit 1; }
export SOCK=$(cat "$T/sock")
STEADY_ZONES=${1:-100000} STEADY_MASTERS=${2:-100} STEADY_REFRESH=${3:-60} \
    STEADY_SECONDS=${4:-300} STEADY_MARGIN=${STEADY_MARGIN:-15} NSD_WAIT=300 \
    bash tests/integration/17-steady.sh
rc=$?
kill "$(cat "$T/dbpid")" 2>/dev/null
rm -rf "$T"
exit $rc
