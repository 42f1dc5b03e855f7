#!/bin/bash
# systemd as the peers do it (Type=notify): READY=1 once the domain list is
# loaded, STATUS= with the counts, WATCHDOG=1 from the loop, RELOADING=1 and
# READY=1 again around SIGHUP, STOPPING=1 at SIGTERM, and no fork when
# systemd waits for us.  No systemd here: the test binds $NOTIFY_SOCKET
# itself and logs every datagram, one line each (newlines as " | ").
. tests/lib/env.sh
set -u
simple_setup t19 3 sd || exit 1
write_conf t19

NLOG=$T/notify.lines
notify_listen() {	# notify_listen PATH: datagrams on PATH to $NLOG
	rm -f "$1"; : > "$NLOG"
	perl -MIO::Socket::UNIX -MSocket -e '
		my ($path, $log) = @ARGV;
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "bind: $!";
		open(my $o, ">>", $log) or die; $o->autoflush(1);
		print STDOUT "ready\n"; STDOUT->flush;
		while (defined $s->recv(my $d, 4096)) { $d =~ s/\n/ | /g; print $o "$d\n"; }
	' "$1" "$NLOG" > "$T/listen.out" &
	PIDS="$PIDS $!"
	wait_for 10 grep -q ready "$T/listen.out"
}
seen() { grep -c -- "$1" "$NLOG"; }

notify_listen "$T/notify.sock" || { nok "notify socket"; finish; exit; }

# Not in the foreground and no -f: under systemd it must not fork, or
# systemd would take the parent's exit for the end of the service.
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 "$BIN" -c "$T/refresher.conf" -v &
DPID=$!; PIDS="$PIDS $DPID"
check "READY=1 comes" wait_for 30 grep -q "READY=1" "$NLOG"
check "READY=1 carries a STATUS= with the zones loaded" grep -q "READY=1 | STATUS=3 zones" "$NLOG"
check "no fork: the process systemd started is the daemon, still running" \
    bash -c "kill -0 $DPID && grep -qx pdns-refresher /proc/$DPID/comm"
check "WATCHDOG=1 is fed again and again (WatchdogSec=1s: every 0.5 s)" \
    wait_for 30 bash -c "[ \$(grep -c '^WATCHDOG=1$' $NLOG) -ge 3 ]"
check "the zones are loaded" wait_for 30 sql_is t19 "SELECT COUNT(*) FROM records WHERE type='SOA'" 3
check "STATUS= is updated with what it did (every 10 s)" \
    wait_for 30 grep -q "^STATUS=3 zones, 0 due or in progress, 0 transfers in flight; since start 3 checks, 3 transfers" "$NLOG"
kill -HUP "$DPID"
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC" wait_for 30 grep -q "^RELOADING=1 | MONOTONIC_USEC=[0-9]*$" "$NLOG"
check "SIGHUP: READY=1 again after it" \
    wait_for 30 bash -c "sed -n '/^RELOADING=1/,\$p' $NLOG | grep -q '^READY=1 | STATUS='"
kill -TERM "$DPID"
check "SIGTERM: STOPPING=1" wait_for 30 grep -q "^STOPPING=1 | STATUS=shutting down (SIGTERM)" "$NLOG"
wait "$DPID"; rc=$?
check "SIGTERM: exit status 0" eq "$rc" 0

# READY=1 waits for the domain list: with the database not there the
# daemon runs but is not ready; it is once the database is (its socket
# appears: a link to the test's server).
notify_listen "$T/notify2.sock"
REALSOCK=$SOCK; SOCK=$T/later.sock write_conf t19
: > "$DLOG"
NOTIFY_SOCKET=$T/notify2.sock "$BIN" -c "$T/refresher.conf" -f -v >>"$DLOG" 2>&1 &
DPID=$!; PIDS="$PIDS $DPID"
check "database down: the list load fails, said in the log" \
    wait_for 30 grep -q "cannot load the domain list" "$DLOG"
check "database down: not READY" eq "$(seen READY=1)" 0
ln -s "$REALSOCK" "$T/later.sock"
check "database back: READY=1 with the list" wait_for 60 grep -q "^READY=1 | STATUS=3 zones" "$NLOG"
check "no WATCHDOG=1 without WATCHDOG_USEC" eq "$(seen WATCHDOG=1)" 0
daemon_stop

# The abstract namespace ("@name"), as systemd may pass it.
rm -f "$T/abs.out"; : > "$NLOG"
perl -MIO::Socket::UNIX -MSocket -e '
	my ($name, $log) = @ARGV;
	socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die;
	bind($s, pack_sockaddr_un("\0$name")) or die "bind: $!";
	open(my $o, ">>", $log) or die; $o->autoflush(1);
	print STDOUT "ready\n"; STDOUT->flush;
	while (defined recv($s, my $d, 4096, 0)) { $d =~ s/\n/ | /g; print $o "$d\n"; }
' "pdnsr-$$" "$NLOG" > "$T/abs.out" &
PIDS="$PIDS $!"
wait_for 10 grep -q ready "$T/abs.out"
NOTIFY_SOCKET=@pdnsr-$$ "$BIN" -c "$T/refresher.conf" &
DPID=$!; PIDS="$PIDS $DPID"
check "abstract socket: READY=1 comes" wait_for 30 grep -q "^READY=1" "$NLOG"
daemon_stop

# Without NOTIFY_SOCKET and without -f it still detaches, as before.
"$BIN" -c "$T/refresher.conf" & P=$!
wait "$P"; rc=$?
check "no NOTIFY_SOCKET: forks, the parent exits 0" eq "$rc" 0
P=$(pgrep -f "^$BIN -c $T/refresher.conf\$")
check "no NOTIFY_SOCKET: the detached daemon runs" [ -n "$P" ]
kill -TERM $P 2>/dev/null
check "no NOTIFY_SOCKET: the detached daemon stops on SIGTERM" \
    wait_for 30 bash -c "! kill -0 ${P:-0} 2>/dev/null"
finish
