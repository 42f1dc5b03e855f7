#!/bin/bash
# Customers' mistakes, handled the way hosters asked pdns for: a master
# whose serial went backwards (a reinstalled panel) is followed once it has
# kept the lower serial for transfer.follow-lower-serial (off by default:
# ours is kept, retransfer is the way out); a zone every master refuses
# (the customer moved it away) is listed as orphaned after
# timers.orphaned-after, and never deleted.
. tests/lib/env.sh
set -u
mkdir -p "$T/a" "$T/b"
make_zone "$T/a/low.test.zone" low.test 5
make_zone "$T/a/keep.test.zone" keep.test 5
make_zone "$T/a/half.test.zone" half.test 1
nsd_start a 127.0.1.1 5300 "$T/a" || exit 1
make_zone "$T/b/other.test.zone" other.test 1
nsd_start b 127.0.1.2 5300 "$T/b" || exit 1
db_create t23
add_slaves t23 127.0.1.1:5300 low.test keep.test
add_slaves t23 "127.0.1.1:5300 127.0.1.2:5300" gone.test	# both refuse it
add_slaves t23 "127.0.1.2:5300 127.0.1.9:5300" half.test	# one refuses, one is silent
write_conf t23 "transfer {
    follow-lower-serial = 3
}
timers {
    orphaned-after = 2
    min-retry = 1
    max-retry = 1
    max-backoff = 1
}
soa {
    timeout = 200
    tries = 1
}"
export -f sql sql_is zone_serial; export SOCK
daemon_start
check "loaded at serial 5" wait_for 30 bash -c "[ \"\$(zone_serial t23 low.test)\" = 5 ] && [ \"\$(zone_serial t23 keep.test)\" = 5 ]"

# The panel was reinstalled: serial 2 from now on.
make_zone "$T/a/low.test.zone" low.test 2 "fresh 300 IN A 192.0.2.2"
nsd_reload a
out=$(ctl refresh low.test)
check "a lower serial, first seen: ours kept" grep -q "does not have a newer serial than our 5" <<<"$out"
check "the log says the policy will follow it" grep -q "zone low.test: master 127.0.1.1:5300 serial 2 is older than ours 5, keeping ours until the master has kept it for transfer.follow-lower-serial" "$DLOG"
check "control shows since when" bash -c "\"$CTL\" -c $T/refresher.conf -j zone low.test | grep -q '\"lower_serial\":2'"
t0=$(date +%s)
wait_for 30 bash -c "[ \$(date +%s) -ge $((t0 + 4)) ]"
out=$(ctl refresh low.test)
check "still 2 after follow-lower-serial: transferred" grep -q "^result: transferred serial 2 from 127.0.1.1:5300" <<<"$out"
check "MySQL has the master's zone" bash -c "[ \"\$(zone_serial t23 low.test)\" = 2 ] && sql_is t23 \"SELECT COUNT(*) FROM records WHERE name = 'fresh.low.test'\" 1"
check "said as a warning" grep -q "zone low.test: master 127.0.1.1:5300 has served serial 2, below our 5, for [0-9]* s (transfer.follow-lower-serial 3): transferring it" "$DLOG"

# A serial that keeps moving below ours is not followed until it stops.
make_zone "$T/a/keep.test.zone" keep.test 3
nsd_reload a
ctl refresh keep.test >/dev/null
t0=$(date +%s)
wait_for 30 bash -c "[ \$(date +%s) -ge $((t0 + 4)) ]"
make_zone "$T/a/keep.test.zone" keep.test 4
nsd_reload a
out=$(ctl refresh keep.test)
check "a lower serial that changed meanwhile: ours kept, the clock starts again" \
    bash -c "grep -q 'does not have a newer serial than our 5' <<<'$out' && [ \"\$(zone_serial t23 keep.test)\" = 5 ]"

# Orphaned: every master refuses gone.test; half.test has a silent master.
check "gone.test: listed as orphaned after orphaned-after" \
    wait_for 30 bash -c "\"$CTL\" -c $T/refresher.conf list orphaned | grep -q '^gone.test .*orphaned_since='"
check "half.test (one master silent, not refusing): not orphaned" \
    bash -c "! \"$CTL\" -c $T/refresher.conf list orphaned | grep -q '^half.test'"
check "low.test (answered): not orphaned" bash -c "! \"$CTL\" -c $T/refresher.conf list orphaned | grep -q '^low.test'"
check "zone --json: orphaned true, refused by all since" bash -c "\"$CTL\" -c $T/refresher.conf -j zone gone.test | grep -q '\"orphaned\":true'"
check "never deleted by the daemon" sql_is t23 "SELECT COUNT(*) FROM domains WHERE name = 'gone.test'" 1
# The customer comes back: one master serves it again.
make_zone "$T/b/gone.test.zone" gone.test 1
nsd_stop b; nsd_start b 127.0.1.2 5300 "$T/b" >/dev/null	# NSD reads its zone list at start
ctl refresh gone.test >/dev/null
check "served again: no longer orphaned" bash -c "! \"$CTL\" -c $T/refresher.conf list orphaned | grep -q '^gone.test'"
daemon_stop

# Off by default: a lower serial is kept for ever, retransfer is the way out.
write_conf t23
make_zone "$T/a/keep.test.zone" keep.test 4
nsd_reload a
: > "$DLOG"
daemon_start
wait_for 30 test -S "$T/control.sock"
ctl refresh keep.test >/dev/null
t0=$(date +%s)
wait_for 30 bash -c "[ \$(date +%s) -ge $((t0 + 4)) ]"
out=$(ctl refresh keep.test)
check "default: ours kept, the way out named" bash -c "grep -q 'does not have a newer serial than our 5' <<<'$out' && grep -q 'keeping ours (pdns-refresher-control retransfer takes it)' $DLOG"
daemon_stop
finish
