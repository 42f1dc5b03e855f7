#!/bin/bash
# make bench: pdns-refresher against pdns_server 4.7's own secondary, same
# zones, same masters, same MariaDB (durable commits), same run:
#   (a) initial load, (b) a pass where nothing changed, (c) a pass where every
#   serial changed, (d) peak RSS, (e) CPU seconds;
# and the floors of this machine: the master handing out every AXFR alone,
# MariaDB taking the same rows alone; for (b), the master answering a SOA
# query a zone alone, MariaDB reading the domain list and writing every
# last_check alone.  For pdns-refresher also: (f) a first
# load with a quarter of the masters silent, (g) what an idle daemon costs.
# Prints one table.  Our passes are --once runs; pdns's are timed until every
# domains.last_check has moved (polled once a second).
#
# Everything runs in a network namespace made here.  M master addresses in
# 127.20.0.0/14, port 53, are all answered by one NSD (on 127.0.0.1-16:5300)
# through a DNAT rule, so a reply comes back from the address asked.  A rule
# in front of the DNAT copies every query and every TCP open/close to nflog,
# where tcpdump records them: the masters' side of our rate limits.
#
# Usage: tests/bench/bench.sh [-n ZONES] [-m MASTERS] [--big] [--no-pdns]
#   default 10,000 zones over 250 masters; --big is 170,000 over 10,000.
#   Ours runs with the shipped configuration's values (only mysql {} and
#   log {} are set here): the defaults are what the bench measures.
#   BENCH_WRAP: a command put in front of ours (perf record ...).
set -u
cd "$(dirname "$0")/../.." || exit 1
N=10000 M=250 PDNS=1 args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	-m) M=$2; shift ;;
	--big) N=170000 M=10000 ;;
	--no-pdns) PDNS=0 ;;
	*) echo "usage: $0 [-n ZONES] [-m MASTERS] [--big] [--no-pdns]" >&2; exit 2 ;;
	esac
	shift
done
[ "$M" -ge 1 ] && [ "$M" -le 62500 ] && [ "$N" -ge "$M" ] || { echo "bench: need 1 <= MASTERS <= min(ZONES, 62500)" >&2; exit 2; }

if [ -z "${BENCH_NS:-}" ]; then
	ns=pdnsr-bench$$
	ip netns add "$ns" || { echo "bench: cannot create a network namespace (run as root)" >&2; exit 1; }
	ip netns exec "$ns" ip link set lo up
	# Every query is a new conntrack entry: with Linux's defaults (30 s UDP,
	# 120 s TIME_WAIT) 170,000 zones run out of entries and of NAT tuples,
	# and packets are dropped (EPERM on send).  Seconds are plenty on lo.
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
	    net.netfilter.nf_conntrack_udp_timeout=2 net.netfilter.nf_conntrack_udp_timeout_stream=2 \
	    net.netfilter.nf_conntrack_tcp_timeout_time_wait=2 net.netfilter.nf_conntrack_tcp_timeout_close=2 \
	    net.netfilter.nf_conntrack_tcp_timeout_fin_wait=2 net.netfilter.nf_conntrack_tcp_timeout_last_ack=2 \
	    net.netfilter.nf_conntrack_tcp_timeout_close_wait=10
	nsd="{ $(for i in $(seq 0 15); do printf '%d : 127.0.0.%d, ' "$i" $((i + 1)); done) }"
	ip netns exec "$ns" nft -f - <<EON || { ip netns del "$ns"; exit 1; }
table ip bench {
	chain watch {
		type filter hook output priority -150; policy accept;
		ip daddr 127.20.0.0/14 udp dport 53 log group 1
		ip daddr 127.20.0.0/14 tcp dport 53 tcp flags & (syn | fin | rst) != 0 log group 1
	}
	chain to_master {
		type nat hook output priority -100; policy accept;
		# to NSD's 16 addresses: replies of different masters to one
		# source port must not need the same conntrack reply tuple
		ip daddr 127.20.0.0/14 udp dport 53 dnat to jhash ip daddr mod 16 map $nsd : 5300
		ip daddr 127.20.0.0/14 tcp dport 53 dnat to jhash ip daddr mod 16 map $nsd : 5300
	}
}
EON
	ip netns exec "$ns" env BENCH_NS="$ns" "$0" "${args[@]}"
	rc=$?
	ip netns del "$ns"
	exit $rc
fi

export DB_FLUSH=1 DB_POOL=4G DB_LOGSIZE=1G
. tests/lib/env.sh
FLOOR=${BIN%/*}/axfr-floor
HZ=$(getconf CLK_TCK)
NETNS=$(readlink /proc/self/ns/net)
db_start >/dev/null || exit 1
say() { printf '# %s  %s\n' "$(date +%T)" "$*"; }

# ---- zones and masters ----
master_of() { awk -v m="$M" '{ i = ($1 - 1) % m
	printf "127.%d.%d.%d\n", 20 + int(i / 62500), int(i / 250) % 250, 1 + i % 250 }'; }
gen_zones() {	# gen_zones SERIAL: N zone files of 16 records in $T/z
	mkdir -p "$T/z"
	awk -v n="$N" -v s="$1" -v d="$T/z" 'BEGIN { for (i = 1; i <= n; i++) {
	z = "b" i ".bench"; f = d "/" z ".zone"
	printf "$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hostmaster %d 3600 600 604800 300\n", z, s > f
	printf "@ IN NS ns1\n@ IN NS ns2.Example.NET.\n@ IN MX 10 mail\n@ IN MX 20 mx2.Example.NET.\n" > f
	printf "@ IN A 192.0.2.1\n@ IN AAAA 2001:db8::1\n@ IN TXT \"v=spf1 mx -all\"\n" > f
	printf "@ IN CAA 0 issue \"letsencrypt.org\"\nns1 IN A 192.0.2.53\nmail IN A 192.0.2.25\n" > f
	printf "www IN CNAME @\n_sip._tcp IN SRV 10 60 5060 sip\nsip IN A 192.0.2.60\n" > f
	printf "deep.a.b IN TXT \"say \\\"hi\\\"\" \"back\\\\\\\\slash\"\n" > f
	close(f) } }'
}
serial_is() {	# serial_is ZONE SERIAL: the master serves that serial
	[ "$(dig +short +time=2 -p 5300 @127.0.0.1 "$1" SOA | awk '{ print $3 }')" = "$2" ]
}
set_serial() {	# set_serial S: every zone at serial S on the master, NSD reloaded
	gen_zones "$1"
	kill -HUP "$NSD_PID_bench"
	wait_for 600 serial_is "b$N.bench" "$1" && wait_for 60 serial_is b1.bench "$1" ||
	    { echo "bench: NSD did not reload serial $1"; exit 1; }
}
load_domains() {	# load_domains DB: every zone as a SLAVE domain, never checked
	db_create "$1"
	seq 1 "$N" | paste - <(seq 1 "$N" | master_of) |
	    awk '{ printf "%d\tb%d.bench\t%s\tSLAVE\n", $1, $1, $2 }' > "$T/domains.tsv"
	mariadb --no-defaults -S "$SOCK" -uroot --local-infile=1 "$1" -e \
	    "LOAD DATA LOCAL INFILE '$T/domains.tsv' INTO TABLE domains (id, name, master, type)"
}

# ---- measuring ----
ticks_of() {	# ticks_of COMM: CPU ticks of every process COMM in this namespace (with reaped children)
	local t=0 p
	for p in /proc/[0-9]*; do
		case "$(cat "$p/comm" 2>/dev/null)" in "$1" | "$1: "*) ;; *) continue ;; esac
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$NETNS" ] || continue
		t=$(( t + $(awk '{ print $14 + $15 + $16 + $17 }' "$p/stat" 2>/dev/null || echo 0) ))
	done
	echo "$t"
}
cap_start() { tcpdump -i nflog:1 -w "$T/cap-$1.pcap" -U -q >/dev/null 2>&1 & CAP_PID=$!; sleep 1; }
cap_stop() { sleep 0.5; kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; }
# rates PHASE: "busiest-master-second busiest-second most-transfers-at-once-at-one-master"
rates() {
	tcpdump -r "$T/cap-$1.pcap" -n -tt 2>/dev/null | awk '
	{ split($5, a, "."); dst = a[1] "." a[2] "." a[3] "." a[4]; sec = int($1) }
	$6 !~ /^Flags/ { q[dst " " sec]++; all[sec]++; next }
	$7 ~ /S/ { open[dst]++; if (open[dst] > most) most = open[dst]; conn[$3 ">" dst] = 1; next }
	$7 ~ /[FR]/ && (($3 ">" dst) in conn) { open[dst]--; delete conn[$3 ">" dst] }
	END { for (k in q) if (q[k] > qm) qm = q[k]; for (s in all) if (all[s] > am) am = all[s]
	      printf "%d %d %d\n", qm, am, most }'
}
# phase_start / phase_end [PID]: elapsed, CPU of PID (a process started
# later counts from 0), of MariaDB and of NSD
ticks_pid() { [ -n "${1:-}" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# db_quiet: wait (at most 300 s) until MariaDB has had a second with under
# 5 % of a core, so that the purge of the rows a pass deleted, or the
# flush of what it wrote, is not charged to the next phase; says how many
# seconds it found MariaDB busier than that.  (The database floor, taken
# after the pass where every serial changed, has ranged from 28.5 to
# 45.7 s on this rig.)
db_quiet() {
	local busy=0 a b
	b=$(ticks_of mariadbd)
	while :; do
		a=$b
		sleep 1
		b=$(ticks_of mariadbd)
		[ $(( (b - a) * 100 )) -lt $(( HZ * 5 )) ] && break
		busy=$((busy + 1))
		[ "$busy" -ge 300 ] && { say "MariaDB still busy after 300 s"; break; }
	done
	[ "$busy" -gt 0 ] && say "MariaDB busy for $busy s before this phase"
	return 0
}
phase_start() {
	db_quiet
	P_DB0=$(ticks_of mariadbd); P_NSD0=$(ticks_of nsd); P_ME0=$(ticks_pid "${1:-}")
	P_T0=$(date +%s%N)
}
phase_end() {	# sets E (s), CPU (s), DBCPU (s), NSDCPU (s)
	E=$(( $(date +%s%N) - P_T0 ))
	E=$(echo "$E / 1000000000" | bc -l)
	CPU=$(echo "($(ticks_pid "${1:-}") - $P_ME0) / $HZ" | bc -l)
	DBCPU=$(echo "($(ticks_of mariadbd) - $P_DB0) / $HZ" | bc -l)
	NSDCPU=$(echo "($(ticks_of nsd) - $P_NSD0) / $HZ" | bc -l)
}
checked() {	# checked DB SINCE: every domain has last_check >= SINCE
	[ "$(sql "$1" "SELECT COUNT(*) FROM domains WHERE last_check >= $2")" = "$N" ]
}
soa_rows() { sql "$1" "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% $2 3600 600 604800 300'"; }
declare -A R

say "$N zones over $M masters, $T"
gen_zones 1
NSD_WAIT=900 NSD_EXTRA="tcp-count: 1000$(for i in $(seq 2 16); do printf '\n\tip-address: 127.0.0.%d@5300' "$i"; done)" \
    nsd_start bench 127.0.0.1 5300 "$T/z" >/dev/null || exit 1
wait_for 600 serial_is "b$N.bench" 1 || { echo "bench: NSD did not load the zones"; exit 1; }
say "NSD serves $N zones"

# ---- floor 1: the master alone, 8 connections as our 8 workers ----
seq 1 "$N" | paste - <(seq 1 "$N" | master_of) | awk '{ printf "b%d.bench %s 53\n", $1, $2 }' > "$T/axfr.list"
phase_start
/usr/bin/time -f '%U %S' -o "$T/time-floor" "$FLOOR" -t 8 < "$T/axfr.list" > "$T/floor.out"
phase_end
read -r fz frr fbytes fsec ffail < "$T/floor.out"
[ "$ffail" = 0 ] || { say "the master floor failed for $ffail zones: the rig is broken"; exit 1; }
R[floor_master]=$fsec R[floor_master_nsd]=$NSDCPU
R[floor_master_cpu]=$(tail -1 "$T/time-floor" | awk '{ print $1 + $2 }')
say "$(printf 'master floor: %d zones, %d records, %d bytes in %.2f s (%d failed); CPU: the client %.2f s, NSD %.2f s' \
    "$fz" "$frr" "$fbytes" "$fsec" "$ffail" "${R[floor_master_cpu]}" "$NSDCPU")"

# ---- pdns-refresher: --once for each pass ----
load_domains ours
cat > "$T/refresher.conf" <<EOC
mysql {
    socket = "$SOCK"
    user = "root"
    database = "ours"
}
control { socket = "$T/control.sock" }
log { level = info }
EOC
# Nothing else: every other key at its default, which is the value the
# shipped conf/pdns-refresher.conf sets (test_conf checks they agree).
chmod 600 "$T/refresher.conf"
ours_pass() {	# ours_pass NAME: one --once run, timed
	cap_start "ours-$1"
	phase_start
	# a pass that stalls is stopped and said, not waited for: 30 minutes
	# is 40 times the slowest pass seen at 170,000 zones
	/usr/bin/time -f '%e %U %S %M %R' -o "$T/time-$1" timeout 1800 ${BENCH_WRAP:-} "$BIN" \
	    -c "$T/refresher.conf" --once > "$T/ours-$1.log" 2>&1 || { local rc=$?
		say "--once exited $rc in pass $1$([ $rc = 124 ] && echo ': stopped after 1800 s') (see $T/ours-$1.log)"; }
	phase_end
	cap_stop
	# elapsed and CPU as time(1) saw them (last line: after "Command exited with ...")
	read -r E u s kb pf < <(tail -1 "$T/time-$1")
	R[ours_$1]=$E R[ours_$1_cpu]=$(echo "$u + $s" | bc -l) R[ours_$1_rss]=$kb
	R[ours_$1_db]=$DBCPU R[ours_$1_nsd]=$NSDCPU R[ours_$1_rates]=$(rates "ours-$1")
	# page faults: memory touched for the first time; on a virtual
	# machine each can cost 10-20 us
	say "$(printf 'ours %s: %.2f s, CPU %.2f s, peak RSS %d KiB, %d page faults, MariaDB %.2f s, NSD %.2f s' \
	    "$1" "$E" "${R[ours_$1_cpu]}" "$kb" "$pf" "$DBCPU" "$NSDCPU"); $(grep -o 'stopped: .*' "$T/ours-$1.log")"
}
ours_pass load
R[ours_load_ok]=$(soa_rows ours 1)
rows_first=$(sql ours "SELECT COUNT(*) FROM records")
since=$(date +%s)
sql ours "UPDATE domains SET last_check = 0"
ours_pass same
R[ours_same_ok]=$(sql ours "SELECT COUNT(*) FROM domains WHERE last_check >= $since")
set_serial 2
sql ours "UPDATE domains SET last_check = 0"
ours_pass changed
R[ours_changed_ok]=$(soa_rows ours 2)
# a pass that changed only serials leaves exactly the rows a first load wrote
[ "$(sql ours "SELECT COUNT(*) FROM records")" = "$rows_first" ] ||
    say "ROWS DIFFER: $rows_first after the load, $(sql ours "SELECT COUNT(*) FROM records") after the serial change"

# ---- floor 2: MariaDB alone takes the same rows (mariadb-dump's inserts, autocommit) ----
mariadb-dump --no-defaults -S "$SOCK" -uroot --no-create-info --skip-triggers --compact ours records > "$T/rows.sql"
db_create floor
phase_start
/usr/bin/time -f '%U %S' -o "$T/time-dbfloor" mariadb --no-defaults -S "$SOCK" -uroot floor < "$T/rows.sql"
phase_end
R[floor_db]=$E R[floor_db_db]=$DBCPU
R[floor_db_cpu]=$(tail -1 "$T/time-dbfloor" | awk '{ print $1 + $2 }')
R[rows]=$(sql floor "SELECT COUNT(*) FROM records")
say "$(printf 'database floor: %d rows in %.2f s; CPU: the client %.2f s, MariaDB %.2f s' \
    "${R[rows]}" "${R[floor_db]}" "${R[floor_db_cpu]}" "$DBCPU")"
sql "" "DROP DATABASE floor"

# ---- floor 3: nothing changed; the master answers one SOA query a zone
# alone, and MariaDB alone reads the domain list and writes last_check ----
phase_start
/usr/bin/time -f '%U %S' -o "$T/time-soafloor" "${BIN%/*}/soa-floor" -w 5000 < "$T/axfr.list" > "$T/soafloor.out"
phase_end
read -r sz sok ssec sfail < "$T/soafloor.out"
R[floor_soa]=$ssec R[floor_soa_nsd]=$NSDCPU
R[floor_soa_cpu]=$(tail -1 "$T/time-soafloor" | awk '{ print $1 + $2 }')
say "$(printf 'SOA floor: %d of %d zones answered in %.2f s (%d failed); CPU: the client %.2f s, NSD %.2f s' \
    "$sok" "$sz" "$ssec" "$sfail" "${R[floor_soa_cpu]}" "$NSDCPU")"
# the list as src/db.c reads it where pdns's two indexes on records are,
# then last_check for every zone, 256 ids a statement, autocommit
{
	echo "SELECT d.id, d.name, d.master, d.last_check, COALESCE((SELECT r.content FROM records r" \
	    "FORCE INDEX (nametype_index) WHERE r.name = d.name AND r.type = 'SOA' AND" \
	    "r.domain_id = d.id AND r.disabled = 0 LIMIT 1), (SELECT r.content FROM records r" \
	    "FORCE INDEX (domain_id) WHERE r.domain_id = d.id AND r.type = 'SOA' AND" \
	    "r.disabled = 0 LIMIT 1)) FROM domains d WHERE d.type = 'SLAVE';"
	seq 1 "$N" | awk -v t="$(date +%s)" '{ printf "%s%d", (NR % 256 == 1 ? (NR > 1 ? ");\n" : "") \
	    "UPDATE domains SET last_check = " t " WHERE id IN (" : ","), $1 } END { print ");" }'
} > "$T/same-floor.sql"
phase_start
/usr/bin/time -f '%U %S' -o "$T/time-samedb" mariadb --no-defaults -S "$SOCK" -uroot ours < "$T/same-floor.sql" > /dev/null
phase_end
R[floor_samedb]=$E R[floor_samedb_db]=$DBCPU
R[floor_samedb_cpu]=$(tail -1 "$T/time-samedb" | awk '{ print $1 + $2 }')
say "$(printf 'database floor, nothing changed: the list and %d last_check in %.2f s; CPU: the client %.2f s, MariaDB %.2f s' \
    "$N" "$E" "${R[floor_samedb_cpu]}" "$DBCPU")"

# ---- idle: every zone fresh, nothing due; what does the daemon cost? ----
questions() { sql "" "SHOW GLOBAL STATUS LIKE 'Questions'" | cut -f2; }
"$BIN" -c "$T/refresher.conf" -f > "$T/idle.log" 2>&1 &
IDLE_PID=$!
PIDS="$PIDS $IDLE_PID"
wait_for 60 grep -q "loaded" "$T/idle.log"
sleep 2
q0=$(questions); c0=$(awk '{ print $14 + $15 }' "/proc/$IDLE_PID/stat")
sleep 60
q1=$(questions); c1=$(awk '{ print $14 + $15 }' "/proc/$IDLE_PID/stat")
kill "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null
R[idle_q]=$(( q1 - q0 - 1 ))
R[idle_cpu]=$(echo "($c1 - $c0) * 1000 / $HZ" | bc)
say "idle for 60 s: ${R[idle_q]} queries to MariaDB, ${R[idle_cpu]} ms CPU"

# ---- a quarter of the masters silent: the live zones should not wait for them ----
secs() { awk '{ split($1, t, ":"); printf "%.3f\n", t[1] * 3600 + t[2] * 60 + t[3] }'; }
live_done() {	# live_done LOG: seconds from start to the last zone written
	local s e
	s=$(grep -m1 ' starting ' "$1" | secs)
	e=$(grep 'first transfer\|rows stored' "$1" | tail -1 | secs)
	echo "$e - $s" | bc -l
}
R[ours_load_live]=$(live_done "$T/ours-load.log")
seq 1 "$M" | master_of | awk 'NR % 4 == 1' > "$T/dead.list"
nft add set ip bench dead '{ type ipv4_addr; }'
nft add rule ip bench watch ip daddr @dead drop
nft add element ip bench dead "{ $(paste -sd, "$T/dead.list") }"
ndead=$(wc -l < "$T/dead.list")
load_domains ours
ours_pass dead
nft flush set ip bench dead
R[ours_dead_live]=$(live_done "$T/ours-dead.log")
R[dead_zones]=$(sql ours "SELECT COUNT(DISTINCT domain_id) FROM records WHERE type = 'SOA'")
R[dead_queries]=$(tcpdump -r "$T/cap-ours-dead.pcap" -n 2>/dev/null | awk '$6 !~ /^Flags/ { split($5, a, "."); print a[1] "." a[2] "." a[3] "." a[4] }' |
    grep -cxFf "$T/dead.list")
R[dead_per]=$(echo "${R[dead_queries]} / $ndead" | bc -l)
say "$(printf 'silent masters: %d of %d; live zones done in %.2f s (%.2f s with all alive), %d zones stored, %.1f queries per silent master' \
    "$ndead" "$M" "${R[ours_dead_live]}" "${R[ours_load_live]}" "${R[dead_zones]}" "${R[dead_per]}")"

# ---- pdns_server 4.7 as the secondary ----
if [ "$PDNS" = 1 ]; then
	load_domains theirs
	pdns_pass() {	# pdns_pass NAME SINCE: wait until every domain is checked
		cap_start "pdns-$1"
		# once a second: the count scans domains, and pdns is using MariaDB
		local end=$(( $(date +%s) + 7200 ))
		until checked theirs "$2"; do
			[ "$(date +%s)" -lt "$end" ] || { say "pdns: pass $1 did not finish"; break; }
			sleep 1
		done
		phase_end "$PDNS_PID_bench"
		cap_stop
		R[pdns_$1]=$E R[pdns_$1_cpu]=$CPU R[pdns_$1_db]=$DBCPU R[pdns_$1_nsd]=$NSDCPU
		R[pdns_$1_rss]=$(awk '/VmHWM/ { print $2 }' "/proc/$PDNS_PID_bench/status")
		R[pdns_$1_rates]=$(rates "pdns-$1")
		say "$(printf 'pdns %s: %.2f s, CPU %.2f s, MariaDB %.2f s, NSD %.2f s' "$1" "$E" "$CPU" "$DBCPU" "$NSDCPU")"
	}
	set_serial 3
	since=$(date +%s)
	phase_start
	pdns_start bench theirs 127.0.0.1:5301 secondary >/dev/null || exit 1
	pdns_pass load "$since"
	R[pdns_load_ok]=$(soa_rows theirs 3)
	sleep 2
	since=$(date +%s); phase_start "$PDNS_PID_bench"
	sql theirs "UPDATE domains SET last_check = 0"
	pdns_pass same "$since"
	R[pdns_same_ok]=$(sql theirs "SELECT COUNT(*) FROM domains WHERE last_check >= $since")
	set_serial 4
	sleep 2
	since=$(date +%s); phase_start "$PDNS_PID_bench"
	sql theirs "UPDATE domains SET last_check = 0"
	pdns_pass changed "$since"
	R[pdns_changed_ok]=$(soa_rows theirs 4)
	pdns_stop bench
fi

# ---- the table ----
floor=$(echo "if (${R[floor_master]} > ${R[floor_db]}) ${R[floor_master]} else ${R[floor_db]}" | bc -l)
floor_same=$(echo "if (${R[floor_soa]} > ${R[floor_samedb]}) ${R[floor_soa]} else ${R[floor_samedb]}" | bc -l)
row() {	# row LABEL KEY
	local o=${R[ours_$2]} p=${R[pdns_$2]:-} pr="" fr="" f=$floor
	[ -n "$p" ] && pr=$(printf '%.1fx' "$(echo "$p / $o" | bc -l)")
	[ "$2" = same ] && f=$floor_same
	fr=$(printf '%.2fx' "$(echo "$o / $f" | bc -l)")
	printf '%-30s %10.2f s %10s %9s %9s   %s of %s\n' "$1" "$o" "${p:+$(printf '%.2f s' "$p")}" \
	    "$pr" "$fr" "${R[ours_$2_ok]}${p:+/${R[pdns_$2_ok]}}" "$N"
}
cpu() {	# cpu LABEL KEY
	local p=${R[pdns_$2_cpu]:-}
	printf '%-30s %10.2f s %10s %9s %9s   MariaDB %.1f s%s, NSD %.1f s%s\n' "$1" "${R[ours_$2_cpu]}" \
	    "${p:+$(printf '%.2f s' "$p")}" "${p:+$(printf '%.1fx' "$(echo "$p / ${R[ours_$2_cpu]}" | bc -l)")}" "" \
	    "${R[ours_$2_db]}" "${p:+/$(printf '%.1f' "${R[pdns_$2_db]}")}" "${R[ours_$2_nsd]}" \
	    "${p:+/$(printf '%.1f' "${R[pdns_$2_nsd]}")}"
}
echo
echo "$N zones over $M masters, ${R[rows]} rows; MariaDB $(mariadbd --version | awk '{ print $3 }'), innodb_flush_log_at_trx_commit=1; $(nproc) cores"
printf '%-30s %12s %12s %9s %9s   %s\n' "" "refresher" "pdns 4.7" "pdns/us" "us/floor" "zones right (us/pdns)"
row "(a) initial load" load
row "(b) nothing changed" same
row "(c) every serial changed" changed
cpu "(e) CPU, initial load" load
cpu "(e) CPU, nothing changed" same
cpu "(e) CPU, every serial changed" changed
rss_o=$(printf '%s\n' "${R[ours_load_rss]}" "${R[ours_same_rss]}" "${R[ours_changed_rss]}" | sort -n | tail -1)
printf '%-30s %8.1f MiB %s\n' "(d) peak RSS" "$(echo "$rss_o / 1024" | bc -l)" \
    "${R[pdns_changed_rss]:+$(printf '%8.1f MiB %8.1fx' "$(echo "${R[pdns_changed_rss]} / 1024" | bc -l)" "$(echo "${R[pdns_changed_rss]} / $rss_o" | bc -l)")}"
printf 'floor: master alone %.2f s (%s zones by 8 connections), MariaDB alone %.2f s (%s rows, mariadb-dump inserts)\n' \
    "${R[floor_master]}" "$N" "${R[floor_db]}" "${R[rows]}"
printf 'floor CPU: master alone %.2f s the client + %.2f s NSD; MariaDB alone %.2f s the client + %.2f s MariaDB\n' \
    "${R[floor_master_cpu]}" "${R[floor_master_nsd]}" "${R[floor_db_cpu]}" "${R[floor_db_db]}"
printf 'floor, nothing changed: master alone %.2f s (one SOA query a zone, 5000 in flight), MariaDB alone %.2f s (the list, then last_check)\n' \
    "${R[floor_soa]}" "${R[floor_samedb]}"
printf 'floor CPU, nothing changed: master alone %.2f s the client + %.2f s NSD; MariaDB alone %.2f s the client + %.2f s MariaDB\n' \
    "${R[floor_soa_cpu]}" "${R[floor_soa_nsd]}" "${R[floor_samedb_cpu]}" "${R[floor_samedb_db]}"
printf '%-30s %10.2f s (%.2f s with every master alive); %.1f SOA queries per silent master\n' \
    "(f) a quarter of masters silent" "${R[ours_dead_live]}" "${R[ours_load_live]}" "${R[dead_per]}"
printf '%-30s %10d queries to MariaDB and %d ms CPU in 60 s\n' "(g) idle, nothing due" "${R[idle_q]}" "${R[idle_cpu]}"
echo "limits seen at the masters (busiest master-second / busiest second / most transfers at once at one master):"
echo "  configured for us: the shipped defaults (see conf/pdns-refresher.conf: soa {}, master {})"
for k in load same changed dead; do
	printf '  %-8s us: %-14s %s\n' "$k" "${R[ours_${k}_rates]}" "${R[pdns_${k}_rates]:+pdns: ${R[pdns_${k}_rates]}}"
done
