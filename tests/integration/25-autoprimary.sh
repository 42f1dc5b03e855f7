#!/bin/bash
# Autoprimary against the real thing: pdns 4.7 with its own autosecondary
# (secondary=yes, autosecondary=yes, database t25p) and the daemon
# (notify.autosecondary, database t25o) take the same NOTIFYs from NSD
# primaries for zones neither has, with the same supermasters and tsigkeys
# rows.  The domains rows (name, type, master, account), domainmetadata and
# records must come out the same.  Cases: several IPs under one nameserver
# and account, no matching NS (REFUSED), a notifier that does not answer
# (SERVFAIL), a signed NOTIFY, an IPv6 notifier, a flood of NOTIFYs for
# random names from one supermaster, a NOTIFY for a zone we have.
#
# Masters must answer on port 53 (autoprimary asks the notifier there), so
# the test runs in a network namespace of its own.
set -u
if [ -z "${IN_NETNS:-}" ]; then
	NS=prap$$
	ip netns add "$NS" || { echo "not ok - network namespace: cannot create one (ip netns add)"; exit 1; }
	trap 'ip netns del "$NS" 2>/dev/null' EXIT
	ip -n "$NS" link set lo up && ip -n "$NS" addr add fd00::2/128 dev lo nodad &&
	    ip -n "$NS" addr add fd00::53/128 dev lo nodad ||
	    { echo "not ok - network namespace: cannot set up its loopback"; exit 1; }
	IN_NETNS=1 ip netns exec "$NS" bash "$0"
	exit $?
fi
. tests/lib/env.sh
mkdir -p "$T/za" "$T/zb" "$T/zc"
KEY=$(head -c 32 /dev/urandom | base64)

# apz FILE ZONE SERIAL NS1 NS2: a zone whose NS names are NS1 and NS2.
apz() {
	cat > "$1" <<EOZ
\$ORIGIN $2.
\$TTL 3600
@	IN SOA $4. hostmaster.$2. $3 3600 600 604800 300
@	IN NS $4.
@	IN NS $5.
@	IN A 192.0.2.1
www	IN A 192.0.2.2
mail	IN MX 10 www
sub	IN NS ns.sub
ns.sub	IN A 192.0.2.53
txt	IN TXT "serial $3"
EOZ
}
apz "$T/za/multi1.test.zone" multi1.test 1 ns1.multi.test ns2.other.test
apz "$T/za/nomatch.test.zone" nomatch.test 1 ns1.unknown.test ns2.unknown.test
apz "$T/zb/signed1.test.zone" signed1.test 1 ns1.signed.test ns2.signed.test
apz "$T/zc/v6one.test.zone" v6one.test 1 ns2.elsewhere.test ns1.v6.test
# A name already in domains (a NATIVE zone of the hoster's): "already there".
apz "$T/za/native.test.zone" native.test 1 ns1.multi.test ns2.other.test

for db in t25o t25p; do
	db_create $db
	sql $db "INSERT INTO supermasters (ip, nameserver, account) VALUES
	    ('127.0.1.1', 'ns1.multi.test', 'acct-multi'),
	    ('127.0.1.2', 'ns1.multi.test', 'acct-multi'),
	    ('127.0.1.3', 'ns1.multi.test', 'acct-other'),
	    ('127.0.2.1', 'ns1.signed.test', 'acct-signed'),
	    ('fd00::2', 'ns1.v6.test', 'acct-v6'),
	    ('127.0.1.9', 'ns1.dead.test', 'acct-dead');
	    INSERT INTO tsigkeys (name, algorithm, secret) VALUES ('ap-key', 'hmac-sha256', '$KEY');
	    INSERT INTO domains (name, type) VALUES ('native.test', 'NATIVE')"
done
# A zone the daemon has already, to be notified normally.
make_zone "$T/zb/known.test.zone" known.test 1
add_slaves t25o 127.0.2.1 known.test
sql t25o "INSERT INTO domainmetadata (domain_id, kind, content) SELECT id, 'AXFR-MASTER-TSIG', 'ap-key' FROM domains WHERE name = 'known.test'"

# pdns's own autosecondary on 127.0.0.53; pdns serving our database on
# 127.0.0.54 (its zone cache learns our new zones through rediscover).
PDNS_EXTRA="autosecondary=yes" pdns_start sec t25p "127.0.0.53, fd00::53" secondary || exit 1
PDNS_EXTRA="zone-cache-refresh-interval=300" pdns_start serve t25o 127.0.0.54 serve || exit 1
write_conf t25o "notify {
    listen = {\"127.0.0.1:5300\", \"[::]:5300\"}
    autosecondary = true
    per-source-rate = 50
    autoprimary-per-source = 4
}
soa {
    timeout = 200
    tries = 2
}
timers {
    min-refresh = 3600
}
pdns {
    control-socket = \"$T/pdns-serve/pdns.controlsocket\"
}"
daemon_start
check "the daemon read the supermasters (6 addresses) and tsigkeys (1)" \
    wait_for 10 grep -q "autoprimary: 6 supermaster addresses, 1 TSIG keys" "$DLOG"

# NSD a answers on both addresses of ns1.multi.test's rows: pdns picks a
# master at random, and one that does not answer suspends the zone.
NSD_EXTRA="ip-address: 127.0.1.2@53" NSD_PATTERN="notify: 127.0.0.53 NOKEY
	notify: 127.0.0.1@5300 NOKEY
	outgoing-interface: 127.0.1.1" nsd_start a 127.0.1.1 53 "$T/za" || exit 1
NSD_EXTRA="
key:
	name: ap-key
	algorithm: hmac-sha256
	secret: \"$KEY\"" NSD_PATTERN="notify: 127.0.0.53 ap-key
	notify: 127.0.0.1@5300 ap-key
	provide-xfr: 0.0.0.0/0 ap-key
	outgoing-interface: 127.0.2.1" nsd_start b 127.0.2.1 53 "$T/zb" || exit 1
NSD_PATTERN="notify: fd00::53 NOKEY
	notify: fd00::53@5300 NOKEY
	outgoing-interface: fd00::2" nsd_start c fd00::2 53 "$T/zc" || exit 1

export -f sql
export SOCK
check "several IPs under one nameserver and account: created, transferred" \
    wait_for 15 sql_is t25o "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'multi1.test' AND r.type = 'SOA'" 1
check "signed NOTIFY: created with AXFR-MASTER-TSIG, transferred with the key" \
    wait_for 15 sql_is t25o "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'signed1.test' AND r.type = 'SOA'" 1
check "IPv6 notifier: created, transferred" \
    wait_for 15 sql_is t25o "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'v6one.test' AND r.type = 'SOA'" 1
check "pdns's own autosecondary made and transferred the same three" \
    wait_for 30 sql_is t25p "SELECT COUNT(*) FROM records WHERE type = 'SOA'" 3

q() { sql "$1" "$2"; }
check "domains rows (name, type, master, account) as pdns 4.7 writes them" \
    eq "$(q t25o "SELECT name, type, master, account, IFNULL(notified_serial, 'NULL') FROM domains WHERE name <> 'known.test' ORDER BY name")" \
       "$(q t25p "SELECT name, type, master, account, IFNULL(notified_serial, 'NULL') FROM domains ORDER BY name")"
check "... that is: masters of the nameserver and account, in pdns's format" \
    eq "$(q t25o "SELECT master FROM domains WHERE name = 'multi1.test'")" "127.0.1.1, 127.0.1.2"
check "... the IPv6 notifier's address as pdns prints it, its account from the second NS name" \
    eq "$(q t25o "SELECT CONCAT(master, ' ', account) FROM domains WHERE name = 'v6one.test'")" "fd00::2 acct-v6"
check "domainmetadata as pdns writes it (AXFR-MASTER-TSIG for the signed one)" \
    eq "$(q t25o "SELECT d.name, m.kind, m.content FROM domainmetadata m JOIN domains d ON d.id = m.domain_id WHERE d.name <> 'known.test' ORDER BY d.name, m.kind")" \
       "$(q t25p "SELECT d.name, m.kind, m.content FROM domainmetadata m JOIN domains d ON d.id = m.domain_id ORDER BY d.name, m.kind")"
rows="SELECT d.name, r.name, IFNULL(r.type, ''), IFNULL(r.content, ''), IFNULL(r.ttl, ''), IFNULL(r.prio, ''), r.disabled, IFNULL(r.ordername, ''), r.auth FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name <> 'known.test' ORDER BY 1, 2, 3, 4"
check "records row for row as pdns's own secondary stored them" eq "$(q t25o "$rows")" "$(q t25p "$rows")"
check "a name already in domains: NOERROR, logged as already there, nothing written" \
    sh -c "grep -q 'autoprimary: zone native.test from 127.0.1.1:[0-9]*: a domain of that name is there already' $DLOG &&
        [ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t25o -e \"SELECT CONCAT(COUNT(*), type, IFNULL(master, '-')) FROM domains WHERE name = 'native.test'\")\" = 1NATIVE- ]"
check "no matching NS: no domain, in either" \
    eq "$(q t25o "SELECT COUNT(*) FROM domains WHERE name = 'nomatch.test'")$(q t25p "SELECT COUNT(*) FROM domains WHERE name = 'nomatch.test'")" "00"
check "no matching NS: refused with the names it tried, logged" \
    wait_for 5 grep -q "autoprimary: NOTIFY for nomatch.test from 127.0.1.1:[0-9]* refused: no supermasters row for 127.0.1.1 with any of its NS names (ns1.unknown.test, ns2.unknown.test)" "$DLOG"
check "no matching NS: answered REFUSED" \
    eq "$(notify_send 127.0.1.1 127.0.0.1 5300 nomatch.test)" "REFUSED notify"
check "the creation logged with the nameserver, account and masters" \
    grep -q "autoprimary: zone multi1.test created (domain id [0-9]*) for supermaster 127.0.1.1:[0-9]*: nameserver ns1.multi.test, account 'acct-multi', masters 127.0.1.1, 127.0.1.2" "$DLOG"
check "pdns (serving our database, zone cache on) answers for the new zone at once: rediscovered" \
    sh -c "dig +time=2 +tries=1 @127.0.0.54 multi1.test SOA +norec | grep -q 'flags: qr aa'"
check "rediscover logged" grep -q "zone .*: pdns rediscovered its zones" "$DLOG"

check "a notifier that does not answer SOA and NS: SERVFAIL" \
    eq "$(notify_send 127.0.1.9 127.0.0.1 5300 dead1.test)" "SERVFAIL notify"
check "... logged with the reason, no domain" \
    sh -c "grep -q 'autoprimary: zone dead1.test from 127.0.1.9:[0-9]* not created: SOA query to 127.0.1.9:53: no reply' $DLOG &&
        [ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t25o -e \"SELECT COUNT(*) FROM domains WHERE name = 'dead1.test'\")\" = 0 ]"
notify_send 127.0.1.9 127.0.0.53 53 dead1.test >/dev/null
check "... pdns's autosecondary fails on it too, and makes no domain either" \
    wait_for 15 sh -c "grep -q 'Error resolving SOA or NS for dead1.test' $T/pdns-sec.log &&
        [ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t25p -e \"SELECT COUNT(*) FROM domains WHERE name = 'dead1.test'\")\" = 0 ]"
check "not a supermaster: REFUSED at once, nothing asked" \
    eq "$(notify_send 127.0.3.3 127.0.0.1 5300 stranger.test)" "REFUSED notify"
check "... logged" grep -q "autoprimary: NOTIFY for stranger.test from 127.0.3.3:[0-9]* refused: its address is in no supermasters row" "$DLOG"

out=$(dig -y "hmac-sha256:ap-key:$KEY" +opcode=notify +norec +time=2 +tries=1 -b 127.0.3.3 -p 5300 @127.0.0.1 signed-stranger.test SOA 2>&1)
check "a signed NOTIFY from a sender not in supermasters: REFUSED, the answer signed with its key" \
    bash -c "grep -q 'status: REFUSED' <<<\"\$1\" && grep -q 'ap-key.*TSIG.*NOERROR' <<<\"\$1\" && ! grep -qi \"couldn't verify\|failure\" <<<\"\$1\"" _ "$out"
out=$(dig -y "hmac-sha256:ap-key:$(head -c 32 /dev/urandom | base64)" +opcode=notify +norec +time=2 +tries=1 -b 127.0.2.1 -p 5300 @127.0.0.1 badsig.test SOA 2>&1)
check "a NOTIFY signed with a wrong secret, from a supermaster: NOTAUTH, nothing asked" \
    bash -c "grep -q 'status: NOTAUTH' <<<\"\$1\" && ! grep -q 'unknown zone badsig.test' $DLOG" _ "$out"

# A flood: 400 NOTIFYs for random names from one supermaster address, as
# fast as perl sends them.  Meanwhile the known zone changes and must
# arrive as ever.
before=$(grep -c "asking it for SOA and NS" "$DLOG")
apz "$T/zb/known.test.zone" known.test 2 ns1.known.test ns2.known.test
t0=$(date +%s)
perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.1.1", PeerAddr => "127.0.0.1", PeerPort => 5300, Proto => "udp") or die;
    for my $i (1 .. 400) {
        my $z = sprintf("r%d-%d.flood.test", $i, int(rand(1e9)));
        my $q = join("", map { chr(length $_) . $_ } split(/\./, $z)) . "\0";
        $s->send(pack("n n n n n n", int(rand(65536)), 0x2000, 1, 0, 0, 0) . $q . pack("n n", 6, 1));
    }'
nsd_reload b
check "during the flood, the known zone's NOTIFY is checked and the change stored" \
    wait_for 10 sh -c "[ \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t25o -e \"SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = 'known.test' AND r.content = '\\\"serial 2\\\"'\")\" = 1 ]"
check "... by its signed NOTIFY (a normal check)" grep -q "zone known.test: NOTIFY from 127.0.2.1:[0-9]* (signed); checking now" "$DLOG"
secs=$(( $(date +%s) - t0 + 1 ))
asked=$(( $(grep -c "asking it for SOA and NS" "$DLOG") - before ))
check "flood: $asked of 400 asked the master (at most the per-source rate, 50 a second, over $secs s)" \
    [ "$asked" -le $(( 50 * secs + 50 )) -a "$asked" -ge 1 ]
check "flood: the rest dropped, counted in one rate-limited line" \
    grep -q "notify: over 50 a second from 127.0.1.1: dropping\|autoprimary: NOTIFY for .* from 127.0.1.1:[0-9]* dropped" "$DLOG"
check "flood: no domain made for any of them" eq "$(q t25o "SELECT COUNT(*) FROM domains WHERE name LIKE '%flood.test'")" "0"
check "flood: the daemon answers its control socket meanwhile" sh -c "'$CTL' -c '$T/refresher.conf' status >/dev/null"
st=$("$CTL" -c "$T/refresher.conf" -j status)
check "status: autoprimary on, 6 supermaster addresses, 3 created, nothing under way" \
    sh -c "echo '$st' | grep -q '\"autoprimary\": *{\"on\": *true, *\"supermaster_addresses\": *6, *\"checking\": *0, *\"created\": *3,'"

# A supermaster added while the daemon runs is taken within a few
# domains-reload periods (5 s here), without a SIGHUP: after the timer has
# fired once already.
check "supermasters and tsigkeys are read again every domains-reload" \
    wait_for 20 grep -q "autoprimary: supermasters and tsigkeys read again" "$DLOG"
sql t25o "INSERT INTO supermasters (ip, nameserver, account) VALUES ('127.0.4.4', 'ns1.late.test', 'acct-late')"
export -f notify_send
check "a supermasters row added while running: taken on the reload timer, no SIGHUP" \
    wait_for 20 bash -c "[ \"\$(notify_send 127.0.4.4 127.0.0.1 5300 late.test)\" = 'SERVFAIL notify' ]"

# pdns's two switches, through a reload.
sed -i 's/autosecondary = true/autosecondary = true\n    allow-unsigned-autoprimary = false\n    allow-notify-from = {"127.0.2.0\/24", "::\/0"}/' "$T/refresher.conf"
kill -HUP "$DPID"
check "reloaded with allow-unsigned-autoprimary off and allow-notify-from narrowed" \
    wait_for 10 grep -q "configuration reloaded" "$DLOG"
check "allow-unsigned-autoprimary off: an unsigned NOTIFY for a new zone from a supermaster is refused" \
    eq "$(notify_send 127.0.2.1 127.0.0.1 5300 new-unsigned.test)" "REFUSED notify"
check "... with the reason" grep -q "autoprimary: NOTIFY for new-unsigned.test from 127.0.2.1:[0-9]* refused: unsigned, and notify.allow-unsigned-autoprimary is off" "$DLOG"
check "allow-notify-from: an unsigned NOTIFY from outside it is refused, even from the zone's master" \
    eq "$(notify_send 127.0.1.1 127.0.0.1 5300 multi1.test)" "REFUSED notify"
check "... with the reason" grep -q "notify for multi1.test from 127.0.1.1:[0-9]* refused: unsigned, and not in notify.allow-notify-from" "$DLOG"

check "SIGTERM: exit 0" daemon_stop
finish
