#!/bin/bash
# TSIG from PowerDNS's tables (domainmetadata AXFR-MASTER-TSIG naming a
# tsigkeys row) against NSD requiring keys for transfers: good keys in two
# algorithms, a zone of 93 signed messages, a wrong secret, an unknown
# algorithm, a key missing from tsigkeys, no key, an unsigned answer (the
# fake master), and signed NOTIFYs.  Then AXFR-SOURCE.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
S256=$(head -c 32 /dev/urandom | base64)
SNSD=$(head -c 32 /dev/urandom | base64)	# kwrong as NSD has it; the database has another
SMD5=$(head -c 16 /dev/urandom | base64)
for z in t256 tmd5 wrong badalg nokey nosig; do make_zone "$T/z/$z.test.zone" "$z.test" 1; done
make_zone "$T/z/big.test.zone" big.test 1
awk 'BEGIN { for (i = 1; i <= 30000; i++) printf "h%d IN TXT \"host number %d of a big zone\"\n", i, i }' >> "$T/z/big.test.zone"
cat > "$T/nsd-k.conf" <<EOC
server:
	ip-address: 127.0.1.7@5300
	username: ""
	chroot: ""
	zonesdir: "$T/z"
	pidfile: "$T/nsd-k.pid"
	database: ""
	zonelistfile: "$T/nsd-k.zonelist"
	xfrdfile: "$T/nsd-k.xfrd"
	xfrdir: "$T"
	logfile: "$T/nsd-k.log"
	server-count: 1
	verbosity: 2
remote-control:
	control-enable: no
key:
	name: "k256."
	algorithm: hmac-sha256
	secret: "$S256"
key:
	name: "kwrong."
	algorithm: hmac-sha256
	secret: "$SNSD"
key:
	name: "kmd5."
	algorithm: hmac-md5
	secret: "$SMD5"
pattern:
	name: "k256"
	provide-xfr: 0.0.0.0/0 k256.
EOC
for z in t256 big badalg nokey nosig; do
	printf 'zone:\n\tname: "%s.test"\n\tzonefile: "%s/%s.test.zone"\n\tinclude-pattern: "k256"\n' "$z" "$T/z" "$z"
done >> "$T/nsd-k.conf"
printf 'zone:\n\tname: "tmd5.test"\n\tzonefile: "%s/tmd5.test.zone"\n\tprovide-xfr: 0.0.0.0/0 kmd5.\n' "$T/z" >> "$T/nsd-k.conf"
printf 'zone:\n\tname: "wrong.test"\n\tzonefile: "%s/wrong.test.zone"\n\tprovide-xfr: 0.0.0.0/0 kwrong.\n' "$T/z" >> "$T/nsd-k.conf"
nsd -c "$T/nsd-k.conf" -d > "$T/nsd-k.out" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 sh -c "dig +time=1 +tries=1 -p 5300 @127.0.1.7 t256.test SOA +norec | grep -q 'flags: qr aa'" ||
    { echo "NSD with keys did not start"; cat "$T/nsd-k.out"; exit 1; }

# The fake master answers unsigned, whatever the query.
make_zone "$T/z/unsigned.test.zone" unsigned.test 1
make_zone "$T/z/src.test.zone" src.test 1
make_zone "$T/z/badsrc.test.zone" badsrc.test 1
printf 'zone %s %s\n' unsigned.test "$T/z/unsigned.test.zone" src.test "$T/z/src.test.zone" \
    badsrc.test "$T/z/badsrc.test.zone" > "$T/script"
fake_start "$T/script" 127.0.3.1 || exit 1

db_create t14
sql t14 "INSERT INTO domains (name, master, type) VALUES
    ('t256.test', '127.0.1.7:5300', 'SLAVE'), ('tmd5.test', '127.0.1.7:5300', 'SLAVE'),
    ('big.test', '127.0.1.7:5300', 'SLAVE'), ('wrong.test', '127.0.1.7:5300', 'SLAVE'),
    ('badalg.test', '127.0.1.7:5300', 'SLAVE'), ('nokey.test', '127.0.1.7:5300', 'SLAVE'),
    ('nosig.test', '127.0.1.7:5300', 'SLAVE'), ('unsigned.test', '127.0.3.1:5300', 'SLAVE'),
    ('src.test', '127.0.3.1:5300', 'SLAVE'), ('badsrc.test', '127.0.3.1:5300', 'SLAVE');
    INSERT INTO tsigkeys (name, algorithm, secret) VALUES
    ('k256', 'hmac-sha256', '$S256'), ('kmd5', 'hmac-md5', '$SMD5'),
    ('kwrong', 'hmac-sha256', '$(head -c 32 /dev/urandom | base64)'),
    ('kwhirl', 'hmac-whirlpool', '$S256');
    INSERT INTO domainmetadata (domain_id, kind, content)
    SELECT id, 'AXFR-MASTER-TSIG', CASE name WHEN 'tmd5.test' THEN 'kmd5'
        WHEN 'wrong.test' THEN 'kwrong' WHEN 'badalg.test' THEN 'kwhirl'
        WHEN 'nokey.test' THEN 'kmissing' ELSE 'k256' END
    FROM domains WHERE name NOT IN ('nosig.test', 'src.test', 'badsrc.test');
    INSERT INTO domainmetadata (domain_id, kind, content)
    SELECT id, 'AXFR-SOURCE', IF(name = 'src.test', '127.0.6.6', '192.0.2.99')
    FROM domains WHERE name IN ('src.test', 'badsrc.test')"
write_conf t14 "notify {
    listen = {\"127.0.0.1:5354\"}
}"
: > "$DLOG"
run_once; rc=$?
check "--once: exit 1 (some zones cannot be signed for)" [ $rc -eq 1 ]
check "hmac-sha256: transferred with the key" grep -q "zone t256.test: first transfer, serial 1" "$DLOG"
check "hmac-md5: transferred with the key" grep -q "zone tmd5.test: first transfer, serial 1" "$DLOG"
check "big zone (30,000 records, NSD signs only some messages): transferred whole" \
    eq "$(sql t14 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='big.test' AND r.type='TXT'")" "30002"
axfr=$(dig -y "hmac-sha256:k256.:$S256" -p 5300 @127.0.1.7 big.test AXFR 2>&1)
msgs=$(sed -n 's/.*XFR size: .*messages \([0-9]*\).*/\1/p' <<<"$axfr")
signed=$(grep -c "TSIG" <<<"$axfr")
# (NSD 4.6 signs every message; test_tsig covers unsigned ones in between)
check "big zone: $msgs messages, $signed signed by NSD, every one verified" \
    [ "${msgs:-0}" -gt 2 -a "$signed" -ge 2 ]
for z in wrong badalg nokey nosig unsigned; do
	check "$z.test: no rows written" eq "$(zone_rows t14 $z.test)" ""
done
check "wrong secret: NSD's BADSIG named" \
    grep -q "zone wrong.test: master 127.0.1.7:5300: SOA check failed: TSIG: the master answered BADSIG" "$DLOG"
check "unknown algorithm: named, and the zone fails with it" \
    grep -q "zone badalg.test: key kwhirl: algorithm 'hmac-whirlpool' is not one of" "$DLOG"
check "key missing from tsigkeys: named" \
    grep -q "zone nokey.test: TSIG key 'kmissing' (AXFR-MASTER-TSIG) is not in tsigkeys" "$DLOG"
check "no key where NSD requires one: the transfer is refused, rows kept" \
    grep -Eq "zone nosig.test: master 127.0.1.7:5300: transfer failed, rows kept: master answered (REFUSED|NOTAUTH)" "$DLOG"
check "an unsigned answer to a signed query: refused" \
    grep -q "zone unsigned.test: master 127.0.3.1:5300: SOA check failed: TSIG: the answer is not signed" "$DLOG"

check "AXFR-SOURCE: transferred" grep -q "zone src.test: first transfer, serial 1" "$DLOG"
check "AXFR-SOURCE: the SOA query and the transfer came from 127.0.6.6" \
    bash -c "awk '\$4 == \"src.test.\" { print \$2, \$3, \$5 }' '$FAKELOG' | sort -u | tr '\n' ' ' |
        grep -qx 'tcp AXFR 127.0.6.6 udp SOA 127.0.6.6 '"
check "AXFR-SOURCE not on this host: the zone fails with the reason, rows kept" \
    bash -c "grep -q 'zone badsrc.test: master 127.0.3.1:5300: SOA check failed: cannot use AXFR-SOURCE 192.0.2.99:0: Cannot assign requested address' '$DLOG' &&
        [ -z \"\$(mariadb --no-defaults -S $SOCK -uroot -N -B t14 -e \"SELECT 1 FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='badsrc.test'\")\" ]"
check "AXFR-SOURCE not on this host: the master is not blamed (no pause)" \
    bash -c "! grep -q 'master 127.0.3.1:5300: no answer' '$DLOG'"

# A change on the master: the signed check sees it, the signed transfer brings it.
make_zone "$T/z/t256.test.zone" t256.test 2 "changed IN A 192.0.2.2"
kill -HUP "$(cat "$T/nsd-k.pid")"; sleep 1
: > "$DLOG"
run_once --zone t256.test; rc=$?
check "signed refresh: serial 1 -> 2" bash -c "[ $rc -eq 0 ] && grep -q 'zone t256.test: serial 1 -> 2' '$DLOG'"

# Signed NOTIFYs: the zone's key makes one count from any address; another fails.
: > "$DLOG"
daemon_start
wait_for 10 grep -q "notify: listening" "$DLOG"
out=$(dig -y "hmac-sha256:k256.:$S256" +opcode=notify +norec -b 127.0.5.5 -p 5354 @127.0.0.1 t256.test SOA 2>&1)
check "signed NOTIFY with the zone's key, from any address: NOERROR" grep -q "status: NOERROR" <<<"$out"
check "signed NOTIFY: the answer is signed and dig verifies it" \
    bash -c "grep -q 'k256.*TSIG.*NOERROR' <<<\"\$1\" && ! grep -qi \"couldn't verify\|failure\" <<<\"\$1\"" _ "$out"
check "signed NOTIFY: logged as signed" wait_for 5 grep -q "zone t256.test: NOTIFY from 127.0.5.5:[0-9]* (signed); checking now" "$DLOG"
out=$(dig -y "hmac-sha256:k256.:$(head -c 32 /dev/urandom | base64)" +opcode=notify +norec -b 127.0.1.7 -p 5354 @127.0.0.1 t256.test SOA 2>&1)
check "NOTIFY signed with a wrong secret, even from the master: NOTAUTH" grep -q "status: NOTAUTH" <<<"$out"
check "wrong signature: logged" wait_for 5 grep -q "notify for t256.test from 127.0.1.7:[0-9]* refused: TSIG: bad signature" "$DLOG"
daemon_stop
finish
