#!/bin/bash
# dnsdist in front of pdns (Debian's dnsdist 1.7): OpcodeRule(DNSOpcode.Notify)
# sends NOTIFYs to the daemon with useProxyProtocol=true, everything else to
# pdns_server.  The daemon takes the PROXY v2 header only from
# notify.proxy-protocol-from and checks the master's real address; dnsdist's
# health checks (a LOCAL header and a query) keep the backend up.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
make_zone "$T/z/d1.test.zone" d1.test 1
NSD_PATTERN="notify: 127.0.3.53@5353 NOKEY
	outgoing-interface: 127.0.1.1" nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t26
add_slaves t26 127.0.1.1:5300 d1.test
pdns_start serve t26 127.0.3.1:5301 serve || exit 1
write_conf t26 "notify {
    listen = {\"127.0.0.1:5300\"}
    proxy-protocol-from = {\"127.0.0.1\"}
}
timers {
    min-refresh = 3600
}"
daemon_start
check "first load: serial 1" wait_for 20 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t26 -e \"SELECT COUNT(*) FROM records WHERE type='SOA'\")\" = 1 ]"

cat > "$T/dnsdist.conf" <<EOD
setLocal("127.0.3.53:5353")
setACL({"127.0.0.0/8"})
setSecurityPollSuffix("")
newServer({address="127.0.3.1:5301", name="pdns"})
newServer({address="127.0.0.1:5300", name="refresher", pool="notify", useProxyProtocol=true, checkInterval=1})
addAction(OpcodeRule(DNSOpcode.Notify), PoolAction("notify"))
EOD
dnsdist --supervised --disable-syslog -C "$T/dnsdist.conf" > "$T/dnsdist.log" 2>&1 &
PIDS="$PIDS $!"
check "dnsdist answers queries from pdns" \
    wait_for 20 sh -c "dig +time=1 +tries=1 -p 5353 @127.0.3.53 d1.test SOA +norec | grep -q 'flags: qr aa'"
check "dnsdist marks the daemon up: its health checks (LOCAL header, a query) are answered" \
    wait_for 10 grep -q "Marking downstream refresher (127.0.0.1:5300) as 'up'" "$T/dnsdist.log"

make_zone "$T/z/d1.test.zone" d1.test 2
nsd_reload a
check "NSD notifies dnsdist; the change is in MySQL within 5 s" \
    wait_for 5 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t26 -e \"SELECT SUBSTRING_INDEX(SUBSTRING_INDEX(content, ' ', 3), ' ', -1) FROM records WHERE type='SOA'\")\" = 2 ]"
check "the daemon saw the master's own address, not dnsdist's" \
    grep -q "zone d1.test: NOTIFY from 127.0.1.1:[0-9]*; checking now" "$DLOG"
check "pdns serves it through dnsdist, and saw no NOTIFY" \
    sh -c "[ \"\$(dig +short +time=1 +tries=1 -p 5353 @127.0.3.53 d1.test SOA | awk '{print \$3}')\" = 2 ] && ! grep -q NOTIFY $T/pdns-serve.log"
check "a stranger's NOTIFY through dnsdist: refused by the daemon (answer relayed)" \
    eq "$(notify_send 127.0.1.5 127.0.3.53 5353 d1.test)" "REFUSED notify"
check "... under the stranger's address" grep -q "notify for d1.test from 127.0.1.5:[0-9]* refused" "$DLOG"
check "a datagram from the proxy's address without a PROXY header: dropped, unanswered" \
    eq "$(notify_send 127.0.0.1 127.0.0.1 5300 d1.test)" "none"
check "... and logged" grep -q "notify: a datagram from proxy 127.0.0.1:[0-9]* without a valid PROXY v2 header: dropped" "$DLOG"
check "the master may still notify the daemon directly (no header from other addresses)" \
    eq "$(notify_send 127.0.1.1 127.0.0.1 5300 d1.test)" "NOERROR aa notify"
check "SIGTERM: exit 0" daemon_stop
finish
