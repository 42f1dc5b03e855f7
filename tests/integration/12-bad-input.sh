#!/bin/bash
# Bad configuration stops the daemon with file:line and the key; bad rows in
# domains (masters that do not parse, odd names, a SOA that does not parse,
# no SOA) each cost one warning naming the domain and affect only it.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"
for z in g1.test g2.test v6.test badsoa.test nosoa.test m-garbage.test; do make_zone "$T/z/$z.zone" "$z" 7; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
NSD_EXTRA="ip-address: ::1@5301" nsd_start b 127.0.1.2 5300 "$T/z" || exit 1
db_create t12
write_conf t12

# ---- command line (issue 13, item 5) ----
"$BIN" --help > "$T/help.out" 2> "$T/help.err"; rc=$?
check "--help: exit 0, on stdout" bash -c "[ $rc -eq 0 ] && [ ! -s $T/help.err ]"
for f in -c -f -n -v --once --zone --help --version; do
	check "--help names $f" grep -q -- "^ *$f\b" "$T/help.out"
done
"$BIN" --version > "$T/version.out" 2>&1; rc=$?
check "--version: exit 0, the version and the libraries it runs with" \
    bash -c "[ $rc -eq 0 ] && grep -q '^pdns-refresher [0-9][0-9.]*' $T/version.out && grep -q 'ldns' $T/version.out && grep -q 'libevent' $T/version.out"
"$BIN" --bogus > "$T/bogus.out" 2> "$T/bogus.err"; rc=$?
check "an unknown flag: exit 1, the usage on stderr" bash -c "[ $rc -eq 1 ] && grep -q '^usage: pdns-refresher' $T/bogus.err && [ ! -s $T/bogus.out ]"

# ---- configuration ----
conf_fails() {	# conf_fails NAME PATTERN LINES...: the daemon refuses to start
	local name=$1 pat=$2; shift 2
	cp "$T/refresher.conf" "$T/bad.conf"
	printf '%s\n' "$@" >> "$T/bad.conf"
	"$BIN" -c "$T/bad.conf" --once > "$T/bad.out" 2>&1
	local rc=$?
	if [ $rc -eq 1 ] && grep -qE "$pat" "$T/bad.out"; then ok "bad config, $name: exit 1, says: $(head -c 120 "$T/bad.out" | tr '\n' ' ')"
	else nok "bad config, $name (exit $rc): $(cat "$T/bad.out")"; fi
}
conf_fails "unknown key" "bad.conf:[0-9]+: no such option 'bogus'" "bogus = 1"
conf_fails "wrong type" "bad.conf:[0-9]+:.*workers" "workers = many"
conf_fails "impossible limit" "bad.conf:[0-9]+: soa.tries = 0 is out of range" "soa {" "tries = 0" "}"
conf_fails "min above max" "timers.min-refresh .* above timers.max-refresh|min-refresh.*max-refresh" "timers {" "min-refresh = 600" "max-refresh = 60" "}"
conf_fails "unknown section" "bad.conf:[0-9]+: no such option 'nosuch'" "nosuch {" "x = 1" "}"
conf_fails "string for a number" "bad.conf:[0-9]+:.*port" "mysql {" "port = \"x\"" "}"
"$BIN" -c "$T/missing.conf" --once > "$T/bad.out" 2>&1
check "bad config, missing file: exit 1 with the path" \
    bash -c "[ $? -eq 1 ] && grep -q '$T/missing.conf' '$T/bad.out'"
chmod 600 "$T/refresher.conf"
chmod 755 "$T"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" -c "$T/refresher.conf" --once > "$T/bad.out" 2>&1
check "bad config, unreadable file (as nobody): exit 1 with the reason" \
    bash -c "[ $? -eq 1 ] && grep -q 'Permission denied' '$T/bad.out'"
cp "$T/refresher.conf" "$T/open.conf"
chmod 644 "$T/open.conf"
"$BIN" -c "$T/open.conf" -n > "$T/bad.out" 2>&1
check "config readable by others: a warning about the password" grep -q "readable by every user and holds the database password" "$T/bad.out"
sed 's|socket = .*|socket = "/nonexistent/mysql.sock"|' "$T/refresher.conf" > "$T/nodb.conf"
"$BIN" -c "$T/nodb.conf" --once > "$T/bad.out" 2>&1
check "dead database at start: exit 1 with the reason" \
    bash -c "[ $? -ne 0 ] && grep -q 'cannot connect to MySQL /nonexistent/mysql.sock' '$T/bad.out'"

# ---- domains rows ----
l63=$(printf 'y%.0s' $(seq 1 63))
longname=$l63.$l63.$l63.$(printf 'y%.0s' $(seq 1 62))	# 254 characters: 256 bytes on the wire
sql t12 "INSERT INTO domains (name, master, type) VALUES
    ('g1.test', '127.0.1.1:5300', 'SLAVE'),
    ('m-garbage.test', 'not an address!', 'SLAVE'),
    ('m-empty.test', '', 'SLAVE'),
    ('m-null.test', NULL, 'SLAVE'),
    ('m-host.test', 'ns1.example.com', 'SLAVE'),
    ('m-port.test', '127.0.1.1:99999', 'SLAVE'),
    ('$longname', '127.0.1.1:5300', 'SLAVE'),
    ('m-ctl.test', '127.0.1.1\n:53', 'SLAVE'),
    ('v6.test', '[::1]:5301', 'SLAVE'),
    ('bad..name.test', '127.0.1.1:5300', 'SLAVE'),
    ('$(printf 'x%.0s' $(seq 1 64)).test', '127.0.1.1:5300', 'SLAVE'),
    ('badsoa.test', '127.0.1.1:5300', 'SLAVE'),
    ('nosoa.test', '127.0.1.1:5300', 'SLAVE'),
    ('g2.test', '127.0.1.1:5300', 'SLAVE')"
sql t12 "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
    SELECT id, 'badsoa.test', 'SOA', 'this is not a SOA', 3600, 0, 0, 1 FROM domains WHERE name='badsoa.test';
    INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
    SELECT id, 'stray.nosoa.test', 'A', '192.0.2.99', 3600, 0, 0, 1 FROM domains WHERE name='nosoa.test'"
: > "$DLOG"
run_once; rc=$?
check "bad rows: --once exits 1 (some zones could not be refreshed)" [ $rc -eq 1 ]
check "bad rows: the good zones, the bad SOA and the missing SOA are all transferred" \
    eq "$(sql t12 "SELECT GROUP_CONCAT(d.name ORDER BY d.name) FROM domains d JOIN records r ON r.domain_id=d.id AND r.type='SOA' AND r.content LIKE '% 7 %'")" \
    "badsoa.test,g1.test,g2.test,nosoa.test,v6.test"
for z in m-garbage m-empty m-null m-host m-port m-ctl; do
	check "bad master in $z.test: one warning naming the domain" \
	    eq "$(grep -c "warning: zone $z.test: domains.master '.*': .*; zone skipped" "$DLOG")" "1"
done
check "master '[::1]:5301' (IPv6 with a port): transferred from ::1" \
    grep -q "zone v6.test: first transfer, serial 7 from \[::1\]:5301" "$DLOG"
check "bad name 'bad..name.test': one warning naming it" \
    eq "$(grep -c "zone bad..name.test: .*not a valid domain name" "$DLOG")" "1"
check "bad name (a 64-byte label): one warning naming it" \
    eq "$(grep -c "zone x\{64\}.test: .*not a valid domain name" "$DLOG")" "1"
check "bad name (254 characters, over 255 bytes on the wire): one warning naming it" \
    eq "$(grep -c "zone $longname: .*not a valid domain name" "$DLOG")" "1"
check "bad SOA row: a warning, then replaced by a transfer" \
    grep -q "zone badsoa.test: stored SOA 'this is not a SOA' does not parse" "$DLOG"
check "bad SOA row: the garbage row is gone" eq "$(sql t12 "SELECT COUNT(*) FROM records WHERE content='this is not a SOA'")" "0"
check "no SOA row: transferred, the stray row removed" \
    eq "$(sql t12 "SELECT COUNT(*) FROM records WHERE name='stray.nosoa.test'")" "0"
check "bad rows: nothing was written for the skipped domains" \
    eq "$(sql t12 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name LIKE 'm-%' OR d.name LIKE 'bad..%' OR d.name LIKE 'xxxx%' OR d.name LIKE 'yyyy%'")" "0"

# The daemon keeps going with them, and a fixed row is picked up at the rescan.
: > "$DLOG"
daemon_start
sleep 1
sql t12 "UPDATE domains SET master = '127.0.1.1:5300' WHERE name = 'g1.test' OR name = 'm-garbage.test'"
kill -HUP "$DPID"
check "a master fixed in the table: picked up at the rescan and transferred" \
    wait_for 20 grep -q "zone m-garbage.test: first transfer, serial 7" "$DLOG"
check "the daemon runs on beside the bad rows" kill -0 "$DPID"
daemon_stop
check "SIGTERM: exit 0" [ $? -eq 0 ]
finish
