#!/bin/bash
# pdns-refresher-control: ask the running daemon why a zone is as it is and
# when it is checked next, make it check or transfer now and say the result,
# list the zones in trouble and the masters, reload; text for people, one
# JSON object for scripts; all answered from memory, with the database gone
# too.  The socket is the daemon's alone: 0660, a stale one replaced, a
# second daemon refused.
. tests/lib/env.sh
SOCK=""		# a private server: this test stops it
set -u
db_start || exit 1
mkdir -p "$T/z"
for z in c1.test c2.test c3.test; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t20
add_slaves t20 127.0.1.1:5300 c1.test c2.test c3.test nx.test	# nx: NSD refuses it
add_slaves t20 127.0.1.9:5300 dead.test				# nothing there
write_conf t20 "soa {
    timeout = 300
    tries = 1
}"

# json PATH: a value from the JSON object on stdin ("a.b.0.c"); "null" for null.
json() {
	perl -MJSON::PP -e '
		my $v = eval { decode_json(join("", <STDIN>)) }; defined $v or do { print "INVALID\n"; exit 1 };
		for my $k (split /\./, $ARGV[0]) { $v = ref($v) eq "ARRAY" ? $v->[$k] : $v->{$k}; }
		print !defined($v) ? "null" : JSON::PP::is_bool($v) ? ($v ? 1 : 0) :
		    ref($v) ? "OBJECT" : "$v", "\n";' "$1"
}
export -f json sql sql_is zone_serial; export SOCK

check "no daemon: exit 3 and the socket named" bash -c \
    "\"$CTL\" -c $T/refresher.conf status 2>$T/err; [ \$? -eq 3 ] && grep -q 'cannot reach the daemon on $T/control.sock' $T/err"
daemon_start
check "daemon up: the three zones loaded" wait_for 30 sql_is t20 "SELECT COUNT(*) FROM records WHERE type='SOA'" 3
check "the socket is mode 0660" eq "$(stat -c %a "$T/control.sock")" 660

# status
out=$(ctl status); rc=$?
check "status: exit 0, text with the totals" bash -c "[ $rc -eq 0 ] && grep -q '^  total: 5$' <<<'$out' && grep -q '^version: ' <<<'$out'"
ctl -j status > "$T/st.json"
check "status --json: one valid object, zones.total 5" eq "$(json zones.total < "$T/st.json")" 5
check "status --json: the states sum to the total" eq "$(perl -MJSON::PP -e '$j=decode_json(join("",<STDIN>))->{zones}; $s=0; $s += $j->{$_} for qw(idle queued querying xfr-queued transferring writing done); print "$s\n"' < "$T/st.json")" 5
check "status --json: database ok, version, uptime" bash -c "[ \"\$(json database.ok < $T/st.json)\" = 1 ] && [ \"\$(json version < $T/st.json)\" != null ] && [ \"\$(json uptime < $T/st.json)\" -ge 0 ]"

# zone: a good one and a failing one
ctl -j zone c1.test > "$T/z1.json"
for k in name state serial last_check last_success failures next_check masters last_error; do
	check "zone --json: has $k" perl -MJSON::PP -e 'exit !exists decode_json(join("",<STDIN>))->{$ARGV[0]}' "$k" < "$T/z1.json"
done
check "zone --json: serial 1, no failure, last_error null" bash -c "[ \"\$(json serial < $T/z1.json)\" = 1 ] && [ \"\$(json failures < $T/z1.json)\" = 0 ] && [ \"\$(json last_error < $T/z1.json)\" = null ]"
check "zone --json: next_check is in the future (Unix seconds)" bash -c "[ \"\$(json next_check < $T/z1.json)\" -gt $(date +%s) ]"
check "zone --json: its master, up" eq "$(json masters.0.address < "$T/z1.json") $(json masters.0.health < "$T/z1.json")" "127.0.1.1:5300 up"
check "zone nx.test fails: failures >= 1" wait_for 30 bash -c "[ \"\$(\"$CTL\" -c $T/refresher.conf -j zone nx.test | json failures)\" -ge 1 ]"
ctl -j zone nx.test > "$T/nx.json"
check "zone --json: last_error has time, master and the exact reason" bash -c \
    "[ \"\$(json last_error.master < $T/nx.json)\" = 127.0.1.1:5300 ] && json last_error.reason < $T/nx.json | grep -q REFUSED && [ \"\$(json last_error.time < $T/nx.json)\" -ge $(($(date +%s) - 60)) ]"
check "zone --json: never loaded, serial null" eq "$(json serial < "$T/nx.json")" null
out=$(ctl zone nx.test)
check "zone (text): the reason and the next check, for a person" bash -c "grep -q '^  reason: .*REFUSED' <<<'$out' && grep -Eq '^next_check: .*\((in [0-9]+ s|now)\)' <<<'$out'"
ctl zone nope.test 2>"$T/err"; rc=$?
check "zone of an unknown name: exit 1, said why" bash -c "[ $rc -eq 1 ] && grep -q 'nope.test: not a SLAVE domain' $T/err"

# list
check "list failing: nx.test and dead.test" wait_for 30 bash -c "\"$CTL\" -c $T/refresher.conf list failing | grep -q '^dead.test ' && \"$CTL\" -c $T/refresher.conf list failing | grep -q '^nx.test '"
out=$(ctl list failing --reason "answered refused")
check "list failing --reason: only the refused one" bash -c "grep -q '^nx.test ' <<<'$out' && ! grep -q '^dead.test' <<<'$out'"
check "list never-loaded --json: total 2" eq "$(ctl -j list never-loaded | json total)" 2
check "list never-loaded --limit 1: one row and a note" bash -c "[ \$(\"$CTL\" -c $T/refresher.conf list never-loaded --limit 1 | grep -vc '^#') -eq 1 ] && \"$CTL\" -c $T/refresher.conf list never-loaded --limit 1 | grep -q 'the first shown'"
check "list expired: none" eq "$(ctl -j list expired | json total)" 0
ctl list bogus 2>/dev/null; rc=$?
check "list of an unknown kind: exit 2" eq "$rc" 2

# masters
check "masters --down: the dead master, paused" wait_for 30 bash -c "\"$CTL\" -c $T/refresher.conf masters --down | grep -q '^127.0.1.9:5300 .*health=down'"
check "masters --down: not the live one" bash -c "! \"$CTL\" -c $T/refresher.conf masters --down | grep -q '^127.0.1.1'"
check "masters --json: both, with zone counts" eq "$(ctl -j masters | json masters.0.zones)" 4

# refresh: check now and wait for the outcome
make_zone "$T/z/c1.test.zone" c1.test 2
nsd_reload a
out=$(ctl refresh c1.test); rc=$?
check "refresh: exit 0 and 'transferred serial 2'" bash -c "[ $rc -eq 0 ] && grep -q '^result: transferred serial 2 from 127.0.1.1:5300' <<<'$out'"
check "refresh: the new serial is in MySQL when it returns" eq "$(zone_serial t20 c1.test)" 2
out=$(ctl refresh c1.test); rc=$?
check "refresh again: unchanged" bash -c "[ $rc -eq 0 ] && grep -q '^result: serial 2 unchanged' <<<'$out'"
ctl -j refresh nx.test > "$T/r.json"; rc=$?
check "refresh of a failing zone: exit 1, the reason in JSON" bash -c "[ $rc -eq 1 ] && json result < $T/r.json | grep -q 'failed: .*REFUSED' && [ \"\$(json zone.name < $T/r.json)\" = nx.test ]"

# retransfer: the way out of a serial the customer rolled back
make_zone "$T/z/c2.test.zone" c2.test 5
nsd_reload a
ctl refresh c2.test >/dev/null
check "c2.test at serial 5" eq "$(zone_serial t20 c2.test)" 5
make_zone "$T/z/c2.test.zone" c2.test 1 "rolled 300 IN A 192.0.2.77"	# a reinstalled panel
nsd_reload a
out=$(ctl refresh c2.test)
check "refresh with the master's serial lower: ours kept, said so" grep -q "does not have a newer serial than our 5" <<<"$out"
out=$(ctl retransfer c2.test); rc=$?
check "retransfer: transferred whatever the serial" bash -c "[ $rc -eq 0 ] && grep -q '^result: transferred serial 1' <<<'$out'"
check "retransfer: MySQL has the master's zone again" bash -c "[ \"\$(zone_serial t20 c2.test)\" = 1 ] && sql_is t20 \"SELECT COUNT(*) FROM records WHERE name='rolled.c2.test'\" 1"
out=$(ctl retransfer c3.test 127.0.1.1:5300); rc=$?
check "retransfer from a named master" bash -c "[ $rc -eq 0 ] && grep -q 'transferred serial 1 from 127.0.1.1:5300' <<<'$out'"
ctl retransfer c3.test 127.0.1.8 2>"$T/err"; rc=$?
check "retransfer from a master not in its list: exit 1" bash -c "[ $rc -eq 1 ] && grep -q 'not one of its masters' $T/err"
check "log: each request said" grep -q "zone c2.test: retransfer requested on the control socket" "$DLOG"

# reload
out=$(ctl reload); rc=$?
check "reload: exit 0" bash -c "[ $rc -eq 0 ] && grep -q 'configuration reloaded' <<<'$out'"
cp "$T/refresher.conf" "$T/good.conf"
echo "soa { tries = 0 }" >> "$T/refresher.conf"
ctl -s "$T/control.sock" reload 2>"$T/err"; rc=$?
check "reload of a broken file: exit 1, the line, the old one kept" bash -c "[ $rc -eq 1 ] && grep -q 'soa.tries = 0 is out of range' $T/err"
cp "$T/good.conf" "$T/refresher.conf"

# bad requests, written to the socket directly
raw() {	# raw: stdin to the control socket, the answer to stdout
	timeout 20 perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		$SIG{PIPE} = "IGNORE"; local $/; my $in = <STDIN>;
		syswrite($s, $in); print while <$s>;' "$T/control.sock"
}
ctl frobnicate 2>/dev/null; rc=$?
check "unknown command: exit 2" eq "$rc" 2
perl -e 'print "x" x 10000' | raw > "$T/long.out" 2>&1
check "a request over 4 KiB: refused" grep -q "request longer than 4096 bytes" "$T/long.out"
printf 'status\t--limit\t-5\n' | raw > "$T/neg.out" 2>&1
check "a bad option value: refused with exit status 2" grep -qx 2 <(head -n 1 "$T/neg.out")
for i in $(seq 1 40); do
	timeout 8 perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0]); sleep 7' "$T/control.sock" &
done
check "40 idle clients: the daemon still answers (later ones told it is busy)" \
    wait_for 30 bash -c "\"$CTL\" -c $T/refresher.conf status >/dev/null"

# The database gone: the answers still come, from memory.
db_stop
ctl reload >/dev/null
check "database gone: status says so" wait_for 30 bash -c "[ \"\$(\"$CTL\" -c $T/refresher.conf -j status | json database.ok)\" = 0 ]"
check "database gone: zone still answers" eq "$(ctl -j zone c1.test | json serial)" 2
db_restart_same

# A refresh waiting when the daemon stops: told, not left hanging.
ctl refresh dead.test > "$T/wait.out" 2>&1 & CP=$!
wait_for 10 grep -q "zone dead.test: refresh requested" "$DLOG"
daemon_stop
wait "$CP"; rc=$?
check "a refresh waiting at SIGTERM: exit 1, 'shutting down'" bash -c "[ $rc -eq 1 ] && grep -q 'shutting down' $T/wait.out"
check "the socket is removed at exit" test ! -e "$T/control.sock"

# The socket is the daemon's: a stale one is replaced, a live one refused.
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1) or die' "$T/control.sock"
check "a stale socket (its daemon died) is there" test -S "$T/control.sock"
: > "$DLOG"
daemon_start
check "stale socket: replaced, the daemon answers" wait_for 30 bash -c "\"$CTL\" -c $T/refresher.conf status >/dev/null"
"$BIN" -c "$T/refresher.conf" -f > "$T/second.log" 2>&1; rc=$?
check "a second daemon on the same socket: refused, exit 1, says why" bash -c "[ $rc -eq 1 ] && grep -q 'another pdns-refresher answers on it' $T/second.log"
check "the first one still answers" bash -c "\"$CTL\" -c $T/refresher.conf status >/dev/null"
daemon_stop
finish
