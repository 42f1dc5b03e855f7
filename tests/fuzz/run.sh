#!/bin/bash
# make fuzz: both libFuzzer targets at once (one per core) for SECONDS each,
# from seeds made of the conformance zone; the corpus stays in BUILD/corpus
# and grows from run to run.  Any crash, leak or sanitizer report is kept as
# BUILD/crash-* and fails the run.
# Usage: tests/fuzz/run.sh BUILD SECONDS
set -u
B=${1:-build-fuzz}
SECS=${2:-600}
cd "$(dirname "$0")/../.." || exit 1
mkdir -p "$B/corpus/axfr" "$B/corpus/soa"
sed 's/@ZONE@/example/g' tests/conformance/types.zone.in > "$B/seed.zone"
ASAN_OPTIONS=detect_leaks=0 "$B/seeds" "$B/seed.zone" example "$B/corpus/axfr/seed-types" "$B/corpus/soa/seed-types" ||
    { echo "fuzz: cannot make the seeds"; exit 1; }
rm -f "$B"/crash-* "$B"/leak-* "$B"/timeout-* "$B"/oom-*
echo "fuzzing fuzz_axfr and fuzz_soa for $SECS s each (logs: $B/fuzz_*.log)"
for t in axfr soa; do
	"$B/fuzz_$t" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$B/" "$B/corpus/$t" > "$B/fuzz_$t.log" 2>&1 &
done
wait
bad=0
for t in axfr soa; do
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz_$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$B/fuzz_$t.log" | tail -n 1)
	echo "fuzz_$t: ${runs:-?} inputs in $SECS s, ${cov:-cov: ?} edges, corpus $(ls "$B/corpus/$t" | wc -l) files"
	if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:" "$B/fuzz_$t.log"; then
		bad=1
		grep -m1 -A15 -E "ERROR: |runtime error:" "$B/fuzz_$t.log"
	fi
done
ls "$B"/crash-* "$B"/leak-* "$B"/timeout-* "$B"/oom-* 2>/dev/null && bad=1
[ $bad -eq 0 ] && echo "fuzz: no crash, leak, timeout or sanitizer report" || echo "fuzz: FAILED (inputs kept in $B)"
exit $bad
