#!/bin/bash
# Prometheus metrics on evhttp in the daemon's loop: GET /metrics only,
# small limits, a page promtool accepts, totals that add up, and a cost
# per scrape that does not grow with the zones (no label per zone or
# master: the page has as many lines for 2,005 zones as for 5).
. tests/lib/env.sh
set -u
PROMTOOL=${PROMTOOL:-$PWD/.tools/promtool}
mkdir -p "$T/z"
for z in m1.test m2.test m3.test; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start a 127.0.1.1 5300 "$T/z" || exit 1
db_create t21
add_slaves t21 127.0.1.1:5300 m1.test m2.test m3.test nx.test	# NSD refuses nx
add_slaves t21 127.0.1.9:5300 dead.test				# nothing there
ADDR=127.0.2.21:9417
write_conf t21 "soa {
    timeout = 300
    tries = 1
}
notify {
    listen = {\"127.0.2.21:5353\"}
}
metrics {
    listen = {\"$ADDR\"}
}"

# get PATH [METHOD]: status line, headers and body of one request
get() {
	perl -MHTTP::Tiny -e '
		my $r = HTTP::Tiny->new(timeout => 10)->request($ARGV[1] || "GET", "http://$ARGV[0]");
		print "$r->{status}\n", join("", map { "$_: $r->{headers}{$_}\n" } sort keys %{$r->{headers}}), "\n", $r->{content} // "";' \
	    "$ADDR$1" "${2:-}"
}
scrape() { get /metrics | sed '1,/^$/d'; }
export -f get sql zone_serial; export ADDR SOCK
metric() { scrape | awk -v m="$1" '$1 == m { print $2 }'; }	# metric 'name{labels}'

daemon_start
check "the zones are loaded" wait_for 30 sql_is t21 "SELECT COUNT(*) FROM records WHERE type='SOA'" 3
get /metrics > "$T/r.txt"
check "GET /metrics: 200, text/plain version 0.0.4" bash -c "head -n 1 $T/r.txt | grep -qx 200 && grep -q '^content-type: text/plain; version=0.0.4' $T/r.txt"
scrape > "$T/m.txt"
out=$("$PROMTOOL" check metrics < "$T/m.txt" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check "promtool check metrics: accepted, nothing to say" [ $rc -eq 0 -a -z "$out" ]
check "every name has the pdns_refresher_ prefix" bash -c "! grep -v '^#' $T/m.txt | grep -qv '^pdns_refresher_'"
check "no label names a zone or a master" bash -c "! grep -E 'test|127\\.0\\.' $T/m.txt"
sum=$(awk '/^pdns_refresher_zones\{state=/ { s += $2 } END { print s }' "$T/m.txt")
check "pdns_refresher_zones{state=...} sums to the zone count (5)" eq "$sum" 5
check "transfers_total{result=written}: the 3 first loads" eq "$(metric 'pdns_refresher_transfers_total{result="written"}')" 3
check "transfers_written_total{how=axfr}: first loads go by AXFR" eq "$(metric 'pdns_refresher_transfers_written_total{how="axfr"}')" 3
check "never loaded: 2 (nx.test, dead.test)" wait_for 30 bash -c "[ \"\$(awk '\$1 == \"pdns_refresher_zones_never_loaded\" { print \$2 }' <(perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(\"http://$ADDR/metrics\")->{content}'))\" = 2 ]"
check "failing: 2" wait_for 30 bash -c "perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(\"http://$ADDR/metrics\")->{content}' | grep -qx 'pdns_refresher_zones_failing 2'"
check "masters: one paused" wait_for 30 bash -c "perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(\"http://$ADDR/metrics\")->{content}' | grep -qx 'pdns_refresher_masters{state=\"paused\"} 1'"
check "SOA queries: ok and timeout counted" bash -c "[ \"\$(awk '\$1 == \"pdns_refresher_soa_queries_total{result=\\\"ok\\\"}\" { print \$2 }' $T/m.txt)\" -ge 3 ]"
check "bytes and records of the written transfers" bash -c "[ \"\$(awk '\$1 == \"pdns_refresher_transfer_records_total\" { print \$2 }' $T/m.txt)\" -ge 45 ] && [ \"\$(awk '\$1 == \"pdns_refresher_transfer_bytes_total\" { print \$2 }' $T/m.txt)\" -gt 500 ]"
check "transfer duration histogram: 3 observed, +Inf = count" bash -c "grep -qx 'pdns_refresher_transfer_duration_seconds_count 3' $T/m.txt && grep -qx 'pdns_refresher_transfer_duration_seconds_bucket{le=\"+Inf\"} 3' $T/m.txt"
check "database up, build info" bash -c "grep -qx 'pdns_refresher_database_up 1' $T/m.txt && grep -q '^pdns_refresher_build_info{version=\"' $T/m.txt"

# A NOTIFY: counted, and the time to its commit observed.
make_zone "$T/z/m1.test.zone" m1.test 2
nsd_reload a
check "NOTIFY answered" eq "$(notify_send 127.0.1.1 127.0.2.21 5353 m1.test 2)" "NOERROR aa notify"
check "NOTIFY: the new serial written" wait_for 30 bash -c "[ \"\$(zone_serial t21 m1.test)\" = 2 ]"
check "notifies_total{result=accepted} 1, notify_to_commit_seconds_count 1" \
    wait_for 10 bash -c "perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(\"http://$ADDR/metrics\")->{content}' > $T/m2.txt; grep -qx 'pdns_refresher_notifies_total{result=\"accepted\"} 1' $T/m2.txt && grep -qx 'pdns_refresher_notify_to_commit_seconds_count 1' $T/m2.txt"
check "NOTIFY for a zone not ours: refused" eq "$(notify_send 127.0.1.1 127.0.2.21 5353 other.example)" "REFUSED notify"
check "NOTIFY for a zone not ours: counted as unknown_zone" eq "$(metric 'pdns_refresher_notifies_total{result="unknown_zone"}')" 1

# Only GET /metrics; small limits; an idle connection does not block.
check "another path: 404" bash -c "get /other | head -n 1 | grep -qx 404"
check "POST: refused" bash -c "[ \"\$(get /metrics POST | head -n 1)\" -ge 400 ]"
big=$(perl -e 'print "a" x 20000')
check "a 20 KB header: refused" bash -c "perl -MHTTP::Tiny -e 'print HTTP::Tiny->new(timeout => 10)->get(\"http://$ADDR/metrics\", { headers => { \"X-Big\" => \"$big\" } })->{status}' | grep -qE '^4[0-9][0-9]$'"
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(PeerAddr => $ARGV[0]) or die; sleep 20' "$ADDR" &
PIDS="$PIDS $!"
check "an idle connection open: scrapes still answered" bash -c "get /metrics | head -n 1 | grep -qx 200"

# The cost does not grow with the zones: 2,000 more, the same lines.
lines=$(scrape | wc -l)
ids=$(seq 1 2000 | sed 's/^/bulk/; s/$/.test/')
add_slaves t21 127.0.1.9:5300 $ids
kill -HUP "$DPID"
check "2,000 zones more are loaded" wait_for 60 bash -c "awk '/^pdns_refresher_zones\\{state=/ { s += \$2 } END { exit s != 2005 }' <(perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(\"http://$ADDR/metrics\")->{content}')"
check "2,005 zones: the page has as many lines as for 5 ($lines)" eq "$(scrape | wc -l)" "$lines"
check "still accepted by promtool" bash -c "scrape() { perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->get(\"http://$ADDR/metrics\")->{content}'; }; scrape | $PROMTOOL check metrics"
daemon_stop
check "a bad metrics.listen: the start fails, with the key" bash -c "! $BIN -c <(sed 's/$ADDR/127.0.0.1/' $T/refresher.conf) -n 2>$T/bad.err && grep -q 'metrics.listen: .127.0.0.1. is not one address with a port' $T/bad.err"
finish
