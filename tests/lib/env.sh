# Shared helpers for integration tests: a private MariaDB on a Unix socket
# with the stock PowerDNS schema, NSD masters on loopback, the daemon in the
# foreground.  Source this file; every server dies with the test (cleanup).
#
# Variables: T (the test's temp dir), BIN (the daemon), SOCK (MariaDB socket).

: "${BUILD:=build}"
BIN=${BIN:-$PWD/$BUILD/pdns-refresher}
SCHEMA=/usr/share/pdns-backend-mysql/schema/schema.mysql.sql
T=${T:-$(mktemp -d /tmp/pdnsr-test.XXXXXX)}
SOCK=${SOCK:-}
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$p" 2>/dev/null
	done
	# Under a sanitized binary (tests/run.sh, SANITIZED): any report in a
	# log of this test fails it, whatever the test itself checked.
	if [ -n "${SANITIZED_RUN:-}" ]; then
		local rep
		rep=$(grep -sE -m1 "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer" "$T"/*.log | head -n 1)
		if [ -n "$rep" ]; then
			echo "not ok - sanitizer report: ${rep#"$T"/}"
			grep -shE -A20 "ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer" "$T"/*.log | head -n 40 | sed 's/^/  | /'
		else
			echo "ok - no sanitizer report in the logs of $(basename "$0")"
		fi
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# ---- test accounting: one line per case, counted by tests/run.sh ----
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; show_logs; }
# check "name" command...: a case passes when the command succeeds
check() { name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'" >&2; return 1; }; }
show_logs() {
	[ -n "${DLOG:-}" ] && [ -f "$DLOG" ] && { echo "  --- daemon log (tail) ---"; tail -n 30 "$DLOG" | sed 's/^/  | /'; }
	return 0
}
finish() { echo "# $(basename "$0"): $PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; }

wait_for() {	# wait_for SECONDS command...: poll until the command succeeds
	local limit=$1; shift
	local end=$(( $(date +%s) + limit ))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# ---- MariaDB ----
mariadbd_run() {	# the server on $T/mysql, in the background
	local d=$T/mysql
	mariadbd --no-defaults --datadir="$d/data" --socket="$SOCK" --skip-networking \
	    --pid-file="$d/mysqld.pid" --user="$(id -un)" --log-error="$d/error.log" \
	    --innodb-buffer-pool-size="${DB_POOL:-256M}" --innodb-log-file-size="${DB_LOGSIZE:-256M}" \
	    --innodb-flush-log-at-trx-commit="${DB_FLUSH:-2}" --max-connections=500 \
	    --skip-name-resolve >/dev/null 2>&1 &
}
db_start() {	# a private server in $T/mysql unless SOCK is already set
	[ -n "$SOCK" ] && [ -S "$SOCK" ] && return 0
	local d=$T/mysql
	mkdir -p "$d/data"
	mariadb-install-db --no-defaults --datadir="$d/data" --user="$(id -un)" \
	    --auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 ||
	    { cat "$d/install.log"; return 1; }
	SOCK=$d/mysql.sock
	mariadbd_run
	DBPID=$!
	PIDS="$PIDS $DBPID"
	wait_for 60 mariadb --no-defaults -S "$SOCK" -uroot -e 'select 1' >/dev/null ||
	    { echo "MariaDB did not start"; cat "$d/error.log"; return 1; }
	export SOCK
}

db_stop() { kill "$DBPID"; wait "$DBPID" 2>/dev/null; }
db_restart_same() {	# start the server again on the same datadir (after db_stop)
	mariadbd_run
	DBPID=$!
	PIDS="$PIDS $DBPID"
	wait_for 60 mariadb --no-defaults -S "$SOCK" -uroot -e 'select 1' >/dev/null
}

sql() {		# sql DB "statement": tab-separated rows, no header
	mariadb --no-defaults -S "$SOCK" -uroot -N -B ${RAW:+-r} "$1" -e "$2"
}

sql_is() {	# sql_is DB "query" VALUE: true when the query's result is VALUE
	[ "$(sql "$1" "$2")" = "$3" ]
}

db_create() {	# db_create NAME: a fresh database with the PowerDNS schema
	mariadb --no-defaults -S "$SOCK" -uroot -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`"
	mariadb --no-defaults -S "$SOCK" -uroot "$1" < "$SCHEMA"
}

add_slaves() {	# add_slaves DB MASTER zone...: insert SLAVE domains
	local db=$1 master=$2; shift 2
	{
		echo "INSERT INTO domains (name, master, type) VALUES"
		local sep=""
		for z in "$@"; do printf "%s('%s','%s','SLAVE')\n" "$sep" "$z" "$master"; sep=","; done
		echo ";"
	} | mariadb --no-defaults -S "$SOCK" -uroot "$db"
}

# Every records row of a zone in a stable order (what pdns serves from).
zone_rows() {	# zone_rows DB ZONE
	sql "$1" "SELECT r.name, IFNULL(r.type,'NULL'), IFNULL(r.content,'NULL'), IFNULL(r.ttl,'NULL'),
	    IFNULL(r.prio,'NULL'), r.disabled, IFNULL(r.ordername,'NULL'), r.auth
	    FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = '$2'
	    ORDER BY 1, 2, 3, 4, 5"
}
zone_ids() { sql "$1" "SELECT GROUP_CONCAT(r.id ORDER BY r.id) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='$2'"; }
zone_serial() { sql "$1" "SELECT SUBSTRING_INDEX(SUBSTRING_INDEX(r.content,' ',3),' ',-1) FROM records r JOIN domains d ON d.id=r.domain_id WHERE d.name='$2' AND r.type='SOA'"; }
last_check() { sql "$1" "SELECT IFNULL(last_check,0) FROM domains WHERE name='$2'"; }
# All rows of all zones, for "nothing else changed" assertions.
all_rows() { sql "$1" "SELECT domain_id, id, name, IFNULL(type,''), IFNULL(content,''), IFNULL(ttl,''), IFNULL(prio,''), auth FROM records ORDER BY id"; }

# ---- the daemon ----
write_conf() {	# write_conf DB [extra config lines]: $T/refresher.conf
	local db=$1; shift
	cat > "$T/refresher.conf" <<EOC
mysql {
    socket = "$SOCK"
    user = "root"
    database = "$db"
}
workers = 4
domains-reload = 5
domains-rescan = 3600
last-check-flush = 200
soa {
    timeout = 500
    tries = 2
}
master {
    queries-per-second = 1000
    down-backoff = 1
    max-down-backoff = 2
}
timers {
    min-refresh = 1
    min-retry = 1
    max-retry = 2
    max-backoff = 4
}
control {
    socket = "$T/control.sock"
}
$*
EOC
	chmod 600 "$T/refresher.conf"
}

DLOG=$T/daemon.log
CTL=${CTL:-$(dirname "$BIN")/pdns-refresher-control}
ctl() { "$CTL" -c "$T/refresher.conf" "$@"; }	# ctl COMMAND...: the control client
run_once() {	# run_once [args]: --once in the foreground, log in $DLOG; returns its status
	"$BIN" -c "$T/refresher.conf" -v --once "$@" >>"$DLOG" 2>&1
}
daemon_start() {	# daemon_start [args]: foreground daemon in the background
	"$BIN" -c "$T/refresher.conf" -f -v "$@" >>"$DLOG" 2>&1 &
	DPID=$!
	PIDS="$PIDS $DPID"
}
daemon_stop() {		# SIGTERM and wait; returns the daemon's exit status
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
}

# ---- NSD masters ----
# make_zone FILE ZONE SERIAL [EXTRA_RECORDS]: a small zone with common types.
make_zone() {
	local f=$1 z=$2 s=$3
	cat > "$f" <<EOZ
\$ORIGIN $z.
\$TTL 3600
@	IN SOA ns1.$z. hostmaster.$z. $s 3600 600 604800 300
@	IN NS ns1.$z.
@	IN NS ns2.Example.NET.
@	IN MX 10 mail.$z.
@	IN MX 20 mx2.Example.NET.
@	IN A 192.0.2.1
@	IN AAAA 2001:db8::1
@	IN TXT "v=spf1 mx -all"
@	IN CAA 0 issue "letsencrypt.org"
ns1	IN A 192.0.2.53
mail	IN A 192.0.2.25
www	IN CNAME @
_sip._tcp	IN SRV 10 60 5060 sip.$z.
sip	IN A 192.0.2.60
deep.a.b	IN TXT "say \"hi\"" "back\\\\slash"
${4:-}
EOZ
}

# big_zone FILE ZONE SERIAL HOSTS: a version marker ("SERIAL" in TXT) and
# HOSTS address records named after the serial (the storm tests).
big_zone() {
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$2"
		printf '@ IN SOA ns1.%s. h.%s. %s 3600 600 604800 300\n@ IN NS ns1.%s.\n' "$2" "$2" "$3" "$2"
		printf 'ns1 IN A 192.0.2.1\nversion IN TXT "%s"\n' "$3"
		awk -v n="$4" -v s="$3" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d-%s IN A 10.%d.%d.%d\n", i, s, int(i/65536)%256, int(i/256)%256, i%256 }'
	} > "$1"
}

# simple_setup DB N PREFIX [ADDR]: N small zones PREFIX1.test.. served by NSD
# "a" on ADDR:5300 (127.0.1.1), listed as SLAVE domains in a fresh DB;
# sets $zones.
simple_setup() {
	local db=$1 n=$2 prefix=$3 addr=${4:-127.0.1.1}
	mkdir -p "$T/z"
	zones=$(for i in $(seq 1 "$n"); do echo "$prefix$i.test"; done)
	for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
	nsd_start a "$addr" 5300 "$T/z" || return 1
	db_create "$db"
	add_slaves "$db" "$addr:5300" $zones
}

# nsd_start NAME ADDR PORT ZONEDIR: serve every ZONEDIR/*.zone (file name = zone)
nsd_start() {
	local name=$1 addr=$2 port=$3 dir=$4 conf=$T/nsd-$1.conf
	{
		cat <<EON
server:
	ip-address: $addr@$port
	username: ""
	chroot: ""
	zonesdir: "$dir"
	pidfile: "$T/nsd-$name.pid"
	database: ""
	zonelistfile: "$T/nsd-$name.zonelist"
	xfrdfile: "$T/nsd-$name.xfrd"
	xfrdir: "$T"
	logfile: "$T/nsd-$name.log"
	server-count: 1
	verbosity: 1
	tcp-count: 200
	round-robin: no
	minimal-responses: yes
	refuse-any: no
	${NSD_EXTRA:-}
remote-control:
	control-enable: no
pattern:
	name: "p"
	provide-xfr: 0.0.0.0/0 NOKEY
	provide-xfr: ::0/0 NOKEY
	${NSD_PATTERN:-}
EON
		# one awk, not a basename per zone: the bench lists 170,000
		# _root.zone is the root zone
		ls "$dir" | sed -n 's/\.zone$//p' | awk -v d="$dir" '{
		    printf "zone:\n\tname: \"%s\"\n\tzonefile: \"%s/%s.zone\"\n\tinclude-pattern: \"p\"\n", $0 == "_root" ? "." : $0, d, $0 }'
	} > "$conf"
	nsd -c "$conf" -d >"$T/nsd-$name.out" 2>&1 &
	local pid=$! first
	PIDS="$PIDS $pid"
	eval "NSD_PID_$name=$pid NSD_DIR_$name=$dir NSD_ADDR_$name=$addr NSD_PORT_$name=$port"
	first=$(ls "$dir" | sed -n 's/\.zone$//p' | sed 's/^_root$/./' | head -n 1)
	# Ours must be alive and serve its first zone (not some other server on the port).
	wait_for "${NSD_WAIT:-20}" sh -c "kill -0 $pid && dig +time=1 +tries=1 -p $port @$addr '${first:-.}' SOA +norec | grep -q 'flags: qr aa'" ||
	    { echo "NSD $name did not start"; cat "$T/nsd-$name.out" "$T/nsd-$name.log" 2>/dev/null; return 1; }
}
nsd_stop() { eval "local p=\${NSD_PID_$1:-}"; [ -n "$p" ] || return 0; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; true; }
# nsd_reload NAME: re-read zone files (NSD 4 reloads on SIGHUP), and wait
# until NSD serves the newest zone file's serial: a test must not start
# checking while the master still answers with the old data.
nsd_reload() {
	eval "local p=\$NSD_PID_$1 dir=\$NSD_DIR_$1 addr=\$NSD_ADDR_$1 port=\$NSD_PORT_$1"
	local f z s
	kill -HUP "$p"
	f=$dir/$(ls -t "$dir" | grep -m 1 '\.zone$')	# no glob: 100,000 files
	z=$(basename "$f" .zone)
	s=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "SOA") { print $(i + 3); exit } }' "$f")
	wait_for 60 sh -c "[ \"\$(dig +short +time=1 +tries=1 -p $port @$addr $z SOA | awk '{print \$3}')\" = '$s' ]" ||
	    { echo "NSD $1 did not serve $z serial $s after a reload"; return 1; }
}
# knot_start NAME ADDR PORT ZONEDIR: Knot serving every ZONEDIR/*.zone with
# IXFR: it keeps the differences between the versions of a zone file it
# loads (zonefile-load: difference) in its journal.
knot_start() {
	local name=$1 addr=$2 port=$3 dir=$4 d=$T/knot-$1
	mkdir -p "$d/db"
	{
		cat <<EOK
server:
    rundir: "$d"
    user: root:root
    listen: $addr@$port
    tcp-max-clients: 200
log:
  - target: "$d/knot.log"
    any: info
database:
    storage: "$d/db"
acl:
  - id: all
    address: [0.0.0.0/0, ::/0]
    action: transfer
template:
  - id: default
    storage: "$dir"
    file: "%s.zone"
    zonefile-load: difference
    journal-content: changes
    semantic-checks: soft
    acl: all
zone:
EOK
		ls "$dir" | sed -n 's/\.zone$//p' | awk '{ printf "  - domain: \"%s\"\n", $0 == "_root" ? "." : $0 }'
	} > "$d/knot.conf"
	knotd -c "$d/knot.conf" >"$d/out" 2>&1 &
	local pid=$! first
	PIDS="$PIDS $pid"
	eval "KNOT_PID_$name=$pid KNOT_CONF_$name=$d/knot.conf"
	first=$(ls "$dir" | sed -n 's/\.zone$//p' | head -n 1)
	wait_for 20 sh -c "kill -0 $pid && dig +time=1 +tries=1 -p $port @$addr '$first' SOA +norec | grep -q 'flags: qr aa'" ||
	    { echo "Knot $name did not start"; cat "$d/out" "$d/knot.log" 2>/dev/null; return 1; }
}
knot_stop() { eval "local p=\${KNOT_PID_$1:-}"; [ -n "$p" ] || return 0; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; true; }
# knot_reload NAME ADDR PORT ZONE SERIAL: load the changed zone files and wait
# until Knot serves ZONE at SERIAL.
knot_reload() {
	eval "local conf=\$KNOT_CONF_$1"
	knotc -c "$conf" zone-reload >/dev/null 2>&1
	wait_for 60 sh -c "[ \"\$(dig +short +time=1 +tries=1 -p $3 @$2 $4 SOA | awk '{print \$3}')\" = '$5' ]" ||
	    { echo "Knot $1 did not serve $4 serial $5 after a reload"; return 1; }
}
# What the master serves now, for comparisons with dig.
master_serial() { dig +short +time=1 +tries=2 -p "$2" "@$1" "$3" SOA | awk '{print $3}'; }

# blackhole_start ADDR PORT [COUNTFILE]: a UDP and TCP port that takes
# packets and never answers; with COUNTFILE, the datagrams received so far.
blackhole_start() {
	perl -MIO::Socket::INET -e '
	    my $u = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Proto => "udp") or die "udp: $!";
	    my $t = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Proto => "tcp", Listen => 5, ReuseAddr => 1) or die "tcp: $!";
	    my ($n, $buf, $end) = (0, "", time + 600);
	    while (time < $end) {
	        next unless defined $u->recv($buf, 4096);
	        $n++;
	        if ($ARGV[2]) { open(my $f, ">", "$ARGV[2].tmp"); print $f "$n\n"; close $f; rename "$ARGV[2].tmp", $ARGV[2]; }
	    }' "$1" "$2" "${3:-}" &
	local pid=$!
	PIDS="$PIDS $pid"
	BLACKHOLE_PID=$pid
	sleep 0.3
}

# fake_start SCRIPT ADDR...: tests/fake/fakemaster on ADDR:5300 for each
# ADDR, forged replies from 127.0.3.250; queries logged to $FAKELOG.
FAKE=${FAKE:-$PWD/$BUILD/fakemaster}
FAKELOG=$T/fake.queries
fake_start() {
	local script=$1; shift
	"$FAKE" -s 127.0.3.250 -l "$FAKELOG" -p 5300 "$script" "$@" >"$T/fake.out" 2>&1 &
	local pid=$!
	PIDS="$PIDS $pid"
	FAKE_PID=$pid
	wait_for 10 grep -q '^ready' "$T/fake.out" ||
	    { echo "fakemaster did not start"; cat "$T/fake.out"; return 1; }
}
# fake_queries TYPE ZONE: how many TYPE queries for ZONE the fake master saw
fake_queries() { awk -v t="$1" -v z="$2." '$3 == t && $4 == z' "$FAKELOG" 2>/dev/null | wc -l; }

# rich_zone FILE ZONE SERIAL: many record types, odd names, a delegation with glue.
rich_zone() {
	local f=$1 z=$2 s=$3
	cat > "$f" <<EOZ
\$ORIGIN $z.
\$TTL 86400
@	IN SOA ns1.$z. host\\.master.$z. $s 7200 900 1209600 300
@	IN NS ns1.$z.
@	IN NS NS2.Example.NET.
@	3600 IN MX 0 .
@	IN MX 10 Mail.$z.
@	IN A 192.0.2.1
@	IN AAAA 2001:db8:0:0:0:0:0:1
@	IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
@	IN TXT "two" "strings" ""
@	IN SPF "v=spf1 -all"
@	IN CAA 0 issue "letsencrypt.org"
@	IN CAA 128 iodef "mailto:sec@$z"
@	IN HINFO "PC-Intel" "Linux 6"
@	IN RP admin.$z. info.$z.
@	IN SSHFP 1 1 0123456789ABCDEF0123456789ABCDEF01234567
@	IN NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.$z.
@	IN AFSDB 1 afs.$z.
ns1	IN A 192.0.2.53
ns1	IN AAAA 2001:db8::53
Mail	IN A 192.0.2.25
www	IN CNAME @
*.wild	IN A 192.0.2.77
_sip._udp	IN SRV 10 60 5060 sip.$z.
_sip._tcp	IN SRV 20 0 5060 sip.$z.
_443._tcp.www	IN TLSA 3 1 1 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789
sip	IN A 192.0.2.60
ptr	IN PTR host.example.org.
old	IN DNAME new.$z.
txt	IN TXT "quote\"inside" "back\\\\slash" "semi;colon" "tab\\009byte\\200high"
a\\.dot	IN A 192.0.2.5
sp\\032ace	IN A 192.0.2.6
UPPER.Case	IN A 192.0.2.7
deep.e.f.g	IN A 192.0.2.8
long	IN TXT "$(printf 'x%.0s' $(seq 1 255))"
sub	IN NS ns.sub.$z.
sub	IN NS ns.elsewhere.org.
ns.sub	IN A 192.0.2.200
sub	IN DS 12345 8 2 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789
ttl	4294967 IN A 192.0.2.9
EOZ
}

# notify_send SRC DST PORT ZONE [SERIAL] [COUNT]: COUNT NOTIFYs (default 1)
# for ZONE from address SRC, with a SOA carrying SERIAL when given; prints
# the RCODE of the last answer ("none" if none came within 1 s).
notify_send() {
	perl -MIO::Socket::INET -e '
	    my ($src, $dst, $port, $zone, $serial, $count) = @ARGV;
	    my $s = IO::Socket::INET->new(LocalAddr => $src, PeerAddr => $dst, PeerPort => $port,
	        Proto => "udp") or die "socket: $!";
	    my $q = join("", map { chr(length $_) . $_ } split(/\./, $zone)) . "\0";
	    my $rc = "none";
	    for my $i (1 .. $count) {
	        my $id = int(rand(65536));
	        my $m = pack("n n n n n n", $id, 0x2000, 1, $serial eq "" ? 0 : 1, 0, 0) . $q . pack("n n", 6, 1);
	        $m .= pack("n n n N n", 0xc00c, 6, 1, 3600, 22) . "\0\0" . pack("N N N N N", $serial, 1, 1, 1, 1)
	            if $serial ne "";
	        $s->send($m);
	        next if $i < $count;
	        my $r = "";
	        my $rin = ""; vec($rin, fileno($s), 1) = 1;
	        if (select($rin, undef, undef, 1) && $s->recv($r, 512) && length($r) >= 4) {
	            my @n = ("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED");
	            my ($f) = unpack("x2 n", $r);
	            $rc = ($n[$f & 15] // ($f & 15)) . (($f & 0x400) ? " aa" : "") . ((($f >> 11) & 15) == 4 ? " notify" : "");
	        }
	    }
	    print "$rc\n";' "$1" "$2" "$3" "$4" "${5:-}" "${6:-1}"
}

# pdns_start NAME DB ADDR:PORT secondary|serve: pdns_server 4.7 on gmysql.
pdns_start() {
	local name=$1 db=$2 addr=$3 mode=$4 dir=$T/pdns-$1
	mkdir -p "$dir"
	cat > "$dir/pdns.conf" <<EOP
launch=gmysql
gmysql-socket=$SOCK
gmysql-user=root
gmysql-dbname=$db
gmysql-dnssec=${PDNS_DNSSEC:-no}
local-address=$addr
socket-dir=$dir
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
allow-axfr-ips=127.0.0.0/8
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
${PDNS_EXTRA:-}
EOP
	if [ "$mode" = secondary ]; then
		printf 'secondary=yes\nxfr-cycle-interval=1\n' >> "$dir/pdns.conf"
	else
		printf 'secondary=no\n' >> "$dir/pdns.conf"
	fi
	pdns_server --config-dir="$dir" >"$T/pdns-$name.log" 2>&1 &
	local pid=$!
	PIDS="$PIDS $pid"
	eval "PDNS_PID_$name=$pid"
	wait_for 30 sh -c "kill -0 $pid && grep -q 'ready to distribute questions' $T/pdns-$name.log" ||
	    { echo "pdns_server $name did not start"; tail "$T/pdns-$name.log"; return 1; }
}
pdns_stop() { eval "local p=\${PDNS_PID_$1:-}"; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; true; }

# axfr_norm ADDR PORT ZONE: the zone as dig prints it, normalized for comparison.
axfr_norm() {
	dig +noall +answer +nocmd +time=5 -p "$2" "@$1" "$3" AXFR | grep -v '^;' |
	    awk '{ $1 = tolower($1); print }' | tr -s ' \t' ' ' | sort -u
}
