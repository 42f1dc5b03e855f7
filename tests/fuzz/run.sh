#!/bin/bash
# make fuzz: the parser targets at once (one per core) for SECONDS each,
# from seeds made of the conformance zone, then the resource target
# (fuzz_budget: programs that expand into large hostile transfers, failing
# on time or memory over budget) alone for SECONDS, so that its clock is
# not shared.  The corpus stays in BUILD/corpus and grows from run to run.
# Any crash, leak, timeout or sanitizer report is kept as BUILD/crash-*
# and fails the run.
# Usage: tests/fuzz/run.sh BUILD SECONDS
set -u
B=${1:-build-fuzz}
SECS=${2:-600}
cd "$(dirname "$0")/../.." || exit 1
mkdir -p "$B/corpus/axfr" "$B/corpus/soa" "$B/corpus/budget"
# Structured seeds for fuzz_budget: mode byte, then (op, count hi, count lo, arg).
seed() { printf "$2" > "$B/corpus/budget/seed-$1"; }
seed deep '\001\000\016\146\177'				# 3,686 x 16 A at a 127-label owner
seed distinct '\001\001\003\204\177'			# 3,600 distinct deep owners
seed bintxt '\000\002\116\040\377'			# 20,000 TXT of 255 binary bytes
seed deleg '\001\003\047\020\040\007\000\000\000'	# 10,000 delegations, NSEC
seed nsec3 '\001\004\000\226\010\005\023\210\001\003\003\350\010\000\000\144\000'	# 150 iterations, opt-out
seed iter '\000\004\377\377\004\000\001\000\000'	# 65,535 iterations
seed wide '\000\006\020\000\003'				# 65,536 siblings under 3 parents
sed 's/@ZONE@/example/g' tests/conformance/types.zone.in > "$B/seed.zone"
ASAN_OPTIONS=detect_leaks=0 "$B/seeds" "$B/seed.zone" example "$B/corpus/axfr/seed-types" "$B/corpus/soa/seed-types" ||
    { echo "fuzz: cannot make the seeds"; exit 1; }
rm -f "$B"/crash-* "$B"/leak-* "$B"/timeout-* "$B"/oom-*
echo "fuzzing fuzz_axfr and fuzz_soa for $SECS s each, then fuzz_budget for $SECS s (logs: $B/fuzz_*.log)"
for t in axfr soa; do
	"$B/fuzz_$t" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$B/" "$B/corpus/$t" > "$B/fuzz_$t.log" 2>&1 &
done
wait
# budget: 64 MiB and 5 s a transfer inside; the process may hold a 32 MB
# transfer, its rows and ASan's quarantine
# (len_control=0: programs of any length at once; an input runs about a second)
"$B/fuzz_budget" -max_total_time="$SECS" -max_len=256 -len_control=0 -rss_limit_mb=1536 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$B/" "$B/corpus/budget" > "$B/fuzz_budget.log" 2>&1
bad=0
for t in axfr soa budget; do
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
