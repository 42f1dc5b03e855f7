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
rcfile=$(mktemp /tmp/pdnsr-rc.XXXXXX)
trap 'rm -f "$rcfile"' EXIT
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

# units DIR: every unit test built in DIR (a sanitized build: under it)
units() {
	local dir=$1 t label
	for t in "$dir"/tests/*; do
		[ -x "$t" ] || continue
		[ -n "$FILTER" ] && case "$t" in *"$FILTER"*) ;; *) continue ;; esac
		label=$(basename "$t")
		[ "$dir" != "$BUILD" ] && label="$label (${dir#build-})"
		echo "# unit: $label"
		before=$((pass + fail))
		count "$label" < <(
			[ "$dir" != "$BUILD" ] && export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 \
			    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1
			"$t" 2>&1; rc=$?; [ $rc -eq 0 ] || echo "not ok - $label exited $rc")
		if [ $((pass + fail)) -eq "$before" ]; then
			echo "not ok - $label asserted nothing"
			fail=$((fail + 1)); failed_names="$failed_names\n  $label: asserted nothing"
		fi
	done
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	units "$BUILD"
	for s in ${SANITIZED:-}; do
		[ -d "${s%%:*}/tests" ] && units "${s%%:*}"
	done
fi

# integration SANDIR WHICH: every integration test (WHICH: comma-separated
# name prefixes, or all), with SANDIR's binary when given
integration() {
	local sandir=$1 which=$2 t name label start
	for t in tests/integration/*.sh; do
		name=$(basename "$t")
		[ -n "$FILTER" ] && case "$t" in *"$FILTER"*) ;; *) continue ;; esac
		if [ -n "$sandir" ] && [ "$which" != all ]; then
			case ",$which," in *",${name%%-*}-,"*) ;; *) continue ;; esac
		fi
		label=$name${sandir:+ (${sandir#build-})}
		echo "# integration: $label"
		start=$(date +%s)
		before=$((pass + fail))
		failed_before=$fail
		rm -f "$rcfile"
		count "$label" < <(
			[ -n "$sandir" ] && export BIN=$PWD/$sandir/pdns-refresher SANITIZED_RUN=1 \
			    ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 \
			    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			    TSAN_OPTIONS=halt_on_error=1
			timeout 900 bash "$t" 2>&1; echo "$?" > "$rcfile")
		rc=$(cat "$rcfile" 2>/dev/null)
		rc=${rc:-255}
		# A test that dies in its set-up, is killed by the timeout, or
		# asserts nothing has failed, whatever it printed before.
		if [ "$rc" -ne 0 ] && [ "$fail" -eq "$failed_before" ]; then
			echo "not ok - $label exited $rc"
			fail=$((fail + 1)); failed_names="$failed_names\n  $label: exited $rc"
		elif [ $((pass + fail)) -eq "$before" ]; then
			echo "not ok - $label asserted nothing"
			fail=$((fail + 1)); failed_names="$failed_names\n  $label: asserted nothing"
		fi
		echo "# $label took $(( $(date +%s) - start )) s"
	done
}

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
	) || { echo "not ok - MariaDB for the integration tests did not start"; fail=$((fail + 1))
	    failed_names="$failed_names\n  MariaDB did not start"; }
	if [ -f "$T_SHARED/sock" ]; then
		export SOCK
		SOCK=$(cat "$T_SHARED/sock")
		integration "" ""
		# SANITIZED="DIR:all DIR:03-,08-": the same tests with a sanitized
		# binary; a report stops the daemon and fails the test (env.sh).
		for s in ${SANITIZED:-}; do
			dir=${s%%:*} which=${s#*:}
			[ -x "$dir/pdns-refresher" ] || { echo "not ok - $dir/pdns-refresher was not built"; fail=$((fail + 1)); continue; }
			integration "$dir" "$which"
		done
		kill "$(cat "$T_SHARED/dbpid")" 2>/dev/null
		sleep 1
	fi
	rm -rf "$T_SHARED"
fi

[ -n "$failed_names" ] && printf "failed:%b\n" "$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
