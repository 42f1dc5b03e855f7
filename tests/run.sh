#!/bin/bash
# Runs every test and prints one closing line: "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR [unit|integration] [test-name-filter]
set -u
BUILD=${1:-build}
WHAT=${2:-all}
FILTER=${3:-}
export BUILD
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
failed_names=""
count() {	# count NAME: read test output on stdin, tally ok / not ok lines
	local name=$1 out
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok - "*) pass=$((pass + 1)) ;;
		"not ok - "*) fail=$((fail + 1)); failed_names="$failed_names\n  $name: ${line#not ok - }" ;;
		esac
	done
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	for t in "$BUILD"/tests/*; do
		[ -x "$t" ] || continue
		[ -n "$FILTER" ] && case "$t" in *"$FILTER"*) ;; *) continue ;; esac
		echo "# unit: $(basename "$t")"
		count "$(basename "$t")" < <("$t" 2>&1; rc=$?; [ $rc -eq 0 ] || echo "not ok - $(basename "$t") exited $rc")
	done
fi

if [ "$WHAT" = all ] || [ "$WHAT" = integration ]; then
	# One MariaDB for every integration test; each test makes its own databases.
	export T_SHARED
	T_SHARED=$(mktemp -d /tmp/pdnsr-db.XXXXXX)
	(
		T=$T_SHARED
		. tests/lib/env.sh
		trap - EXIT
		db_start || exit 1
		echo "$SOCK" > "$T_SHARED/sock"
		echo "$DBPID" > "$T_SHARED/dbpid"
	) || { echo "not ok - MariaDB for the integration tests did not start"; fail=$((fail + 1)); }
	if [ -f "$T_SHARED/sock" ]; then
		export SOCK
		SOCK=$(cat "$T_SHARED/sock")
		for t in tests/integration/*.sh; do
			[ -n "$FILTER" ] && case "$t" in *"$FILTER"*) ;; *) continue ;; esac
			echo "# integration: $(basename "$t")"
			start=$(date +%s)
			count "$(basename "$t")" < <(timeout 900 bash "$t" 2>&1; rc=$?; [ $rc -eq 0 ] || echo "# $(basename "$t") exited $rc")
			echo "# $(basename "$t") took $(( $(date +%s) - start )) s"
		done
		kill "$(cat "$T_SHARED/dbpid")" 2>/dev/null
		sleep 1
	fi
	rm -rf "$T_SHARED"
fi

[ -n "$failed_names" ] && printf "failed:%b\n" "$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
