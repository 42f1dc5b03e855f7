#!/bin/bash
# Two name servers, one writer, on asynchronous MariaDB replication: two
# servers started by the test on 127.0.6.1 and 127.0.6.2 (binary log,
# GTID).  Master-master (each replicates from the other, both writable)
# is refused: the lease is never taken there, with an error that says
# why, and -n says it too.  One writable primary and a read-only replica:
# the daemon on the primary works, the one on the replica waits (the
# replica refuses writes) while replication brings it every row; the
# primary dies, the operator promotes the replica, and its daemon takes
# over once the lease expired and finishes the work.
. tests/lib/env.sh
. tests/lib/ha.sh
set -u
repl_sock() { echo "$T/r$1/mysql.sock"; }
repl_start() {	# repl_start N: server N on 127.0.6.N:3306 and its socket
	local n=$1 d=$T/r$1
	if [ ! -d "$d/data" ]; then
		mkdir -p "$d/data"
		mariadb-install-db --no-defaults --datadir="$d/data" --user="$(id -un)" \
		    --auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 ||
		    { cat "$d/install.log"; return 1; }
	fi
	mariadbd --no-defaults --datadir="$d/data" --socket="$d/mysql.sock" \
	    --bind-address="127.0.6.$n" --port=3306 --pid-file="$d/mysqld.pid" \
	    --user="$(id -un)" --log-error="$d/error.log" --skip-name-resolve \
	    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 \
	    --server-id="$n" --log-bin="$d/data/bin" --log-slave-updates --binlog-format=ROW \
	    --auto-increment-increment=2 --auto-increment-offset="$n" >/dev/null 2>&1 &
	eval "RPID_$n=$!"
	PIDS="$PIDS $!"
	wait_for 60 mariadb --no-defaults -S "$d/mysql.sock" -uroot -e 'select 1' >/dev/null ||
	    { echo "MariaDB $n did not start"; tail "$d/error.log"; return 1; }
}
on() { local n=$1; shift; mariadb --no-defaults -S "$(repl_sock "$n")" -uroot -N -B "$@"; }
replicate() {	# replicate FROM TO: TO replicates from FROM
	on "$2" -e "CHANGE MASTER TO MASTER_HOST = '127.0.6.$1', MASTER_PORT = 3306,
	    MASTER_USER = 'repl', MASTER_PASSWORD = 'repl', MASTER_USE_GTID = slave_pos,
	    MASTER_CONNECT_RETRY = 1; START SLAVE"
}
applied() {	# applied N: server N's replica threads run and have caught up
	[ "$(on "$1" -e "SHOW STATUS LIKE 'Slave_running'" | cut -f2)" = ON ] &&
	    [ "$(on "$1" -e 'SELECT @@gtid_slave_pos')" = "$(on "$2" -e 'SELECT @@gtid_binlog_pos')" ]
}
export -f on applied repl_sock
export T

repl_start 1 || exit 1
repl_start 2 || exit 1
for n in 1 2; do
	on "$n" -e "CREATE USER 'repl'@'127.0.0.0/255.0.0.0' IDENTIFIED BY 'repl';
	    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.0/255.0.0.0'; RESET MASTER"
done
SOCK=$(repl_sock 1)
export SOCK
mkdir -p "$T/z"
zones=$(for i in $(seq 1 10); do echo "r$i.test"; done)
for z in $zones; do make_zone "$T/z/$z.zone" "$z" 1; done
nsd_start m 127.0.1.1 5300 "$T/z" || exit 1
# master-master: 2 replicates from 1 and 1 from 2, both writable
replicate 1 2
db_create t29
add_slaves t29 127.0.1.1:5300 $zones
ha_db_setup t29
for n in a b; do
	ha_user t29 "$n"
	sql t29 "GRANT SLAVE MONITOR ON *.* TO 'ha_$n'@'localhost'"
done
check "server 2 has what server 1 wrote" wait_for 20 bash -c "applied 2 1"
replicate 2 1
check "master-master: both servers replicate from each other" wait_for 20 bash -c "applied 1 2"

ha_conf a t29 "$(repl_sock 1)"
ha_conf b t29 "$(repl_sock 2)"
out=$("$BIN" -c "$T/ha-a.conf" -n 2>&1); rc=$?
check "master-master: -n fails and says why" \
    sh -c "[ $rc -eq 1 ] && echo \"\$1\" | grep -q 'writable and replicates from 127.0.6.2:3306 (asynchronous replication)'" sh "$out"
ha_start a
check "master-master: the daemon refuses the lease, saying why" \
    wait_for 10 grep -q "ha: node a cannot take the lease: this server is writable and replicates from 127.0.6.2:3306 (asynchronous replication): two writers on master-master replication break it" "$T/ha-a.log"
check "master-master: the lease is not taken, nothing is written" \
    bash -c "[ \"\$(on 1 t29 -e 'SELECT CONCAT(holder, \":\", epoch) FROM refresher_lease')\" = ':0' ] &&
        [ \"\$(on 1 t29 -e 'SELECT COUNT(*) FROM writes')\" = 0 ]"
check "master-master: status says why this node does not work" \
    sh -c "'$CTL' -c '$T/ha-a.conf' -j status | grep -q 'master-master replication break it'"
kill -TERM "$PID_a"; wait "$PID_a"
ha_user t29 c
ha_conf c t29 "$(repl_sock 1)"
out=$("$BIN" -c "$T/ha-c.conf" -n 2>&1); rc=$?
check "without SLAVE MONITOR, -n warns that it cannot tell" \
    sh -c "[ $rc -eq 0 ] && echo \"\$1\" | grep -q 'cannot tell whether this server replicates from another.*grant SLAVE MONITOR'" sh "$out"

# one writable primary (1) and a read-only replica (2)
on 1 -e "STOP SLAVE; RESET SLAVE ALL"
on 2 -e "SET GLOBAL read_only = 1"
mv "$T/ha-a.log" "$T/ha-a.1.log"
ha_start a
ha_start b
check "primary and replica: the daemon on the primary takes the lease" \
    wait_for 10 ha_holder_is t29 a
check "the daemon on the read-only replica waits, saying the replica refuses writes" \
    wait_for 10 grep -q "ha: node b waits: the lease is held by a" "$T/ha-b.log"
check "the primary's daemon transfers every zone" \
    wait_for 20 sql_is t29 "SELECT COUNT(*) FROM records WHERE type = 'SOA'" 10
check "replication brings every row to the replica" wait_for 20 bash -c "applied 2 1"
ha_reference t29 ref29 127.0.1.1:5300
SOCK=$(repl_sock 2) check "the replica has every zone as the master serves it" ha_same_rows t29 ref29

# the primary dies (its daemon with it); the operator promotes the replica
ro="ha: node b cannot take the lease: the database refuses writes (read_only: a replica?); this node waits until it is writable"
said=$(grep -c "$ro" "$T/ha-b.log")	# perhaps at its start, before a held the lease
kill -9 "$PID_a" "$RPID_1"
on 2 -e "STOP SLAVE; RESET SLAVE ALL"
SOCK=$(repl_sock 2)
DLOG=$T/ha-b.log	# on a failure, show the promoted side's log
check "the lease expired on the read-only replica: its daemon says the server refuses writes" \
    wait_for 15 sh -c "[ \$(grep -c \"\$1\" '$T/ha-b.log') -gt $said ]" sh "$ro"
t0=$(date +%s%N)
on 2 -e "SET GLOBAL read_only = 0"
check "the replica made writable: its daemon takes the lease at its next read" \
    wait_for 5 ha_holder_is t29 b
echo "# takeover after the replica was made writable (the old lease expired): $(ha_ms_since "$t0") ms"
for z in r1.test r2.test; do make_zone "$T/z/$z.zone" "$z" 2; done
nsd_reload m
check "the new primary's daemon stores the changes" \
    wait_for 20 sql_is t29 "SELECT COUNT(*) FROM records WHERE type = 'SOA' AND content LIKE '% 2 3600 %'" 2
kill -TERM "$PID_b"; wait "$PID_b"
ha_reference t29 ref29b 127.0.1.1:5300
check "every zone ends identical to the master (as a daemon alone writes it)" ha_same_rows t29 ref29b
check "every row written went through a fence" eq "$(ha_uncommitted t29)" 0
check "no domain was written by two daemons in overlapping transactions" eq "$(ha_overlaps t29)" 0
finish
