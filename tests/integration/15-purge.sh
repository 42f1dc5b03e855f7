#!/bin/bash
# pdns's caches: without a purge, pdns keeps serving the old serial from its
# packet cache after we wrote the new one; with pdns.control-socket set,
# every zone written is purged and pdns serves the new data at once.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
for z in p1.test p2.test p3.test; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t15
add_slaves t15 127.0.1.1:5300 p1.test p2.test p3.test
write_conf t15
run_once
PDNS_EXTRA="cache-ttl=60
query-cache-ttl=60" pdns_start srv t15 127.0.2.3:5303 serve || exit 1
served() { dig +short +norec -p 5303 @127.0.2.3 "$1" SOA | awk '{ print $3 }'; }
for z in p1.test p2.test p3.test; do served $z >/dev/null; done	# now in pdns's caches

# No purge: the new serial is in MySQL, pdns still answers the old one.
make_zone "$T/z/p1.test.zone" p1.test 2
nsd_reload a
run_once --zone p1.test
check "no purge: the new serial is in MySQL" eq "$(zone_serial t15 p1.test)" "2"
check "no purge: pdns still serves the old one from its cache" eq "$(served p1.test)" "1"

# With the control socket: purged with the write.
write_conf t15 "pdns {
    control-socket = \"$T/pdns-srv/pdns.controlsocket\"
}"
make_zone "$T/z/p2.test.zone" p2.test 2
nsd_reload a
: > "$DLOG"
run_once --zone p2.test
check "purge: the new serial is in MySQL" eq "$(zone_serial t15 p2.test)" "2"
check "purge: pdns serves it at once" eq "$(served p2.test)" "2"
check "purge: logged with the count pdns gave" grep -q "zone p2.test: pdns cache purged ([0-9]* entries)" "$DLOG"

# A control socket that is not there: one warning, the zone is written anyway.
write_conf t15 "pdns {
    control-socket = \"$T/nowhere.sock\"
}"
make_zone "$T/z/p3.test.zone" p3.test 2
nsd_reload a
: > "$DLOG"
run_once --zone p3.test; rc=$?
check "no control socket: the zone is still written" bash -c "[ $rc -eq 0 ] && [ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t15 -e \"SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'p3.test' AND r.type = 'SOA' AND r.content LIKE '% 2 %'\")\" = 1 ]"
check "no control socket: a warning with the path and the reason" \
    grep -q "zone p3.test: purging pdns's cache through $T/nowhere.sock failed (connect: No such file or directory)" "$DLOG"

# A control socket of our own (pdns's protocol: a line in, the answer until
# EOF), logging each line it reads: "answer" replies, "stall" reads and
# never answers (a hung pdns).
ctl() {	# ctl MODE: serve $T/ctl.sock, lines to $T/ctl.lines
	rm -f "$T/ctl.sock"
	perl -MIO::Socket::UNIX -e '
		my ($path, $mode, $log) = @ARGV;
		my $s = IO::Socket::UNIX->new(Local => $path, Listen => 64) or die "listen: $!";
		$| = 1; print "ready\n";
		while (my $c = $s->accept) {
			my $l = <$c>;
			open(my $f, ">>", $log); print $f $l; close($f);
			if ($mode eq "stall") { push @keep, $c; next }
			print $c "3\n"; close($c);
		}' "$T/ctl.sock" "$1" "$T/ctl.lines" > "$T/ctl.out" 2>&1 &
	CTL_PID=$!
	PIDS="$PIDS $CTL_PID"
	wait_for 5 grep -q ready "$T/ctl.out"
}

# One line for a group of zones, not a connection per zone.
ctl answer
: > "$T/ctl.lines"
write_conf t15 "workers = 1
pdns {
    control-socket = \"$T/ctl.sock\"
}"
for z in p1.test p2.test p3.test; do make_zone "$T/z/$z.zone" "$z" 3; done
nsd_reload a
sql t15 "UPDATE domains SET last_check = last_check - 7200"
: > "$DLOG"
run_once
check "batched: the three zones written" \
    sql_is t15 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 3 %'" 3
check "batched: each purged once ($(tr '\n' '|' < "$T/ctl.lines"))" \
    eq "$(tr ' ' '\n' < "$T/ctl.lines" | grep -c 'p[123]\.test\$$')" "3"
check "batched: fewer lines than zones (one a group)" [ "$(grep -c '^purge ' "$T/ctl.lines")" -lt 3 ]
kill "$CTL_PID" 2>/dev/null; wait "$CTL_PID" 2>/dev/null

# A pdns that takes the line and never answers: a second per purge at most,
# and after three failures in a row no purge for a while, in one warning.
ctl stall
: > "$T/ctl.lines"
write_conf t15 "workers = 1
timers {
    max-refresh = 1
}
pdns {
    control-socket = \"$T/ctl.sock\"
}"
: > "$DLOG"
daemon_start
for s in 4 5 6 7; do
	make_zone "$T/z/p1.test.zone" p1.test $s
	nsd_reload a
	check "hung pdns: change $s written all the same" wait_for 20 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t15 -e \"SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% $s %'\")\" = 1 ]"
done
check "hung pdns: three tries, then the breaker holds ($(grep -c . "$T/ctl.lines") lines)" \
    eq "$(grep -c '^purge p1.test\$$' "$T/ctl.lines")" "3"
check "hung pdns: each try ended at its deadline, logged" \
    grep -q "zone p1.test: purging pdns's cache through $T/ctl.sock failed (no answer: Connection timed out)" "$DLOG"
check "hung pdns: the pause is one warning" \
    eq "$(grep -c "failed (no answer: Connection timed out), 3 times in a row: no purges for 30 s" "$DLOG")" "1"
daemon_stop
kill "$CTL_PID" 2>/dev/null; wait "$CTL_PID" 2>/dev/null
finish
