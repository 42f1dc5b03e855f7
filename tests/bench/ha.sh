#!/bin/bash
# What two name servers with one writer cost, with the shipped ha
# defaults (lease 15 s, renew 3 s, step-down 10 s): the database commands
# a second of the lease (every command of the connection that reads or
# writes refresher_lease, from the server's general log) on the holder and
# on a waiting node, beside those of a daemon alone, idle (no zone due);
# and the time to fail over after kill -9 of the holder and after a clean
# stop.  On one MariaDB and on a three-node Galera cluster (the holder's
# database node killed too).  Figures, not a test.
# Usage: tests/bench/ha.sh [ZONES] [SECONDS]
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-1000}
W=${2:-30}
. tests/lib/env.sh
. tests/lib/ha.sh
. tests/lib/galera.sh
export -f sql sql_is ha_holder ha_holder_is

mkdir -p "$T/z"
for i in $(seq 1 "$N"); do make_zone "$T/z/b$i.test.zone" "b$i.test" 1; done
nsd_start m 127.0.1.1 5300 "$T/z" >/dev/null || exit 1

# conf NAME SOCKET [ha block]: the shipped defaults but for the database
conf() {
	cat > "$T/$1.conf" <<EOC
mysql {
    socket = "$2"
    user = "ha_$1"
    password = "pw$1"
    database = "hb"
}
control {
    socket = "$T/control-$1.sock"
}
${3:-}
EOC
	chmod 600 "$T/$1.conf"
}
run() {		# run NAME: the daemon in the background
	"$BIN" -c "$T/$1.conf" -f >> "$T/$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
	ha_execd $!
}
idle() {	# idle: every zone loaded, nothing due
	wait_for 300 sql_is hb "SELECT COUNT(*) FROM records WHERE type = 'SOA'" "$N"
}
# commands SOCK FROM TO: per connection user, the commands in the general
# log between byte offsets FROM and TO, of the lease's connection
# ("lease") and of all the user's connections ("all")
commands() {
	local log
	log=$(mariadb --no-defaults -S "$1" -uroot -N -B -e "SELECT @@general_log_file")
	awk -v from="$2" -v to="$3" '
	    { pos += length($0) + 1 }
	    { line = $0; sub(/^[0-9]{6} +[0-9:]+/, "", line); n = split(line, f, /[ \t]+/)
	      i = (f[1] == "") ? 2 : 1; id = f[i]; cmd = f[i + 1] }
	    id !~ /^[0-9]+$/ { next }
	    cmd == "Connect" { split(f[i + 2], at, "@"); user[id] = at[1] }
	    /refresher_lease/ { lease[id] = 1 }
	    pos > from && pos <= to { count[id]++ }
	    END { for (id in count) if (user[id] ~ /^ha_/) {
	            all[user[id]] += count[id]; if (id in lease) ls[user[id]] += count[id] }
	          for (k in all) printf "%s %d %d\n", k, ls[k], all[k] }' "$log"
}
size() { stat -c %s "$(mariadb --no-defaults -S "$1" -uroot -N -B -e "SELECT @@general_log_file")"; }
window() {	# window SOCK...: commands per second of each ha_ user over W seconds
	local s from=() i=0
	for s in "$@"; do from[i]=$(size "$s"); i=$((i + 1)); done
	sleep "$W"
	i=0
	for s in "$@"; do commands "$s" "${from[i]}" "$(size "$s")"; i=$((i + 1)); done |
	    awk -v w="$W" '{ printf "  %-6s lease connection %.2f commands/s; all connections %.2f commands/s\n", $1, $2 / w, $3 / w }'
}
# takeover LABEL SOCK SIGNAL HOW: the holder's daemon gets SIGNAL; the time
# until another holds the lease, then the daemon is started again
takeover() {
	local h t0
	h=$(SOCK=$2 ha_holder hb)
	t0=$(date +%s%N)
	eval "kill -$3 \$PID_$h; wait \$PID_$h 2>/dev/null"
	SOCK=$2 wait_for 60 bash -c "h=\$(ha_holder hb); [ -n \"\$h\" ] && [ \"\$h\" != $h ]"
	echo "  $1: takeover after $4 of the holder: $(ha_ms_since "$t0") ms"
	run "$h"
}
failover() {	# failover LABEL SOCK: kill -9 of the holder, then a clean stop
	takeover "$1" "$2" KILL "kill -9"
	takeover "$1" "$2" TERM "a clean stop"
}
HA='ha {
    node = "NODE"
}'

echo "# ha: $N zones, idle, the shipped ha defaults; commands counted over $W s"
echo "## one MariaDB"
db_start >/dev/null || exit 1
db_create hb
add_slaves hb 127.0.1.1:5300 $(seq 1 "$N" | sed 's/^/b/; s/$/.test/')
ha_db_setup hb
for n in solo a b; do ha_user hb "$n"; done
sql hb "SET GLOBAL general_log_file = '$T/general.log'; SET GLOBAL general_log = 1"
conf solo "$SOCK"
run solo
idle
window "$SOCK"
kill -TERM "$PID_solo"; wait "$PID_solo"
conf a "$SOCK" "${HA/NODE/a}"
conf b "$SOCK" "${HA/NODE/b}"
run a
run b
wait_for 30 bash -c "[ -n \"\$(ha_holder hb)\" ]"
window "$SOCK"
echo "  (holder: $(ha_holder hb))"
failover "one MariaDB" "$SOCK"
kill -TERM "$PID_a" "$PID_b"; wait "$PID_a" "$PID_b"
db_stop

echo "## Galera, three nodes (one daemon on each of two; the third node votes)"
SOCK=""
galera_start >/dev/null || exit 1
db_create hb
add_slaves hb 127.0.1.1:5300 $(seq 1 "$N" | sed 's/^/b/; s/$/.test/')
ha_db_setup hb
for n in a b; do ha_user hb "$n"; done
for s in 1 2; do
	mariadb --no-defaults -S "$(galera_sock "$s")" -uroot -e \
	    "SET GLOBAL general_log_file = '$T/g$s/general.log'; SET GLOBAL general_log = 1"
done
conf a "$(galera_sock 1)" "${HA/NODE/a}"
conf b "$(galera_sock 2)" "${HA/NODE/b}"
run a
run b
idle
window "$(galera_sock 1)" "$(galera_sock 2)"
echo "  (holder: $(ha_holder hb))"
failover "Galera" "$(galera_sock 3)"
h=$(SOCK=$(galera_sock 3) ha_holder hb)
hn=$([ "$h" = a ] && echo 1 || echo 2)
t0=$(date +%s%N)
galera_kill "$hn"
SOCK=$(galera_sock 3) wait_for 90 bash -c "h=\$(ha_holder hb); [ -n \"\$h\" ] && [ \"\$h\" != $h ]"
echo "  Galera: takeover after the holder's database node was killed: $(ha_ms_since "$t0") ms"
