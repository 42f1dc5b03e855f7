# A three-node Galera cluster on loopback for the ha tests (Debian's
# galera-4 and mariadb-server): node N listens on 127.0.5.N (MySQL 3306,
# group communication 4567, IST 4568, rsync state transfer 4444) and on
# the socket $T/gN/mysql.sock.  As root the nodes run as the mysql user:
# the rsync state transfer started by root falls back to nobody and fails.
# Source after env.sh.

GALERA_LIB=${GALERA_LIB:-/usr/lib/galera/libgalera_smm.so}
galera_user() { [ "$(id -u)" -eq 0 ] && echo mysql || id -un; }
galera_sock() { echo "$T/g$1/mysql.sock"; }

galera_run() {	# galera_run N [options]: start node N on its datadir
	local n=$1 d=$T/g$1; shift
	mariadbd --no-defaults --datadir="$d/data" --socket="$d/mysql.sock" \
	    --bind-address="127.0.5.$n" --port=3306 --pid-file="$d/mysqld.pid" \
	    --user="$(galera_user)" --log-error="$d/error.log" --skip-name-resolve \
	    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M \
	    --innodb-flush-log-at-trx-commit=2 --max-connections=200 \
	    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
	    --wsrep-on=ON --wsrep-provider="$GALERA_LIB" --wsrep-cluster-name=pdnsr \
	    --wsrep-cluster-address="gcomm://127.0.5.1:4567,127.0.5.2:4567,127.0.5.3:4567" \
	    --wsrep-node-address="127.0.5.$n" --wsrep-node-name="g$n" \
	    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.5.$n:4567;ist.recv_addr=127.0.5.$n:4568;gcache.size=64M" \
	    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.5.$n:4444" \
	    "$@" >/dev/null 2>&1 &
	eval "GPID_$n=$!"
	PIDS="$PIDS $!"
}

# galera_synced N: node N is a synced member of a primary component
galera_synced() {
	[ "$(mariadb --no-defaults -S "$(galera_sock "$1")" -uroot -N -B -e \
	    "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME) FROM information_schema.GLOBAL_STATUS
	     WHERE VARIABLE_NAME IN ('WSREP_CLUSTER_STATUS', 'WSREP_LOCAL_STATE_COMMENT')" 2>/dev/null)" = "Primary,Synced" ]
}
galera_size() { mariadb --no-defaults -S "$(galera_sock "$1")" -uroot -N -B -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f2; }

galera_start() {	# the cluster: node 1 bootstraps it, 2 and 3 join by state transfer
	chmod o+x "$T"
	mkdir -p "$T/g1/data" "$T/g2/data" "$T/g3/data"
	mariadb-install-db --no-defaults --datadir="$T/g1/data" --user="$(galera_user)" \
	    --auth-root-authentication-method=socket --skip-test-db >"$T/g1/install.log" 2>&1 ||
	    { cat "$T/g1/install.log"; return 1; }
	[ "$(id -u)" -eq 0 ] && chown -R mysql:mysql "$T/g1" "$T/g2" "$T/g3"
	galera_run 1 --wsrep-new-cluster
	wait_for 60 galera_synced 1 || { echo "Galera node 1 did not start"; tail -20 "$T/g1/error.log"; return 1; }
	galera_run 2
	wait_for 120 galera_synced 2 || { echo "Galera node 2 did not join"; tail -20 "$T/g2/error.log"; return 1; }
	galera_run 3
	wait_for 120 galera_synced 3 || { echo "Galera node 3 did not join"; tail -20 "$T/g3/error.log"; return 1; }
	SOCK=$(galera_sock 1)
	export SOCK
}
galera_kill() { eval "kill -9 \$GPID_$1; wait \$GPID_$1 2>/dev/null"; true; }
