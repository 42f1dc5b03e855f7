# Helpers for the ha tests (27-ha, 28-galera, 29-replication): daemons
# with ha {} as nodes NAME, each with its own MySQL user and control
# socket, and what the database itself says about who wrote what.
# Source after env.sh.

# ha_db_setup DB: the lease tables, and triggers that log, for every row
# written to records or domains, the MySQL user, the time and the domain,
# into a table versioned by transaction: mysql.transaction_registry then
# says when the transaction that wrote each row began and committed.
ha_db_setup() {
	mariadb --no-defaults -S "$SOCK" -uroot "$1" < sql/pdns-refresher.sql
	local trig
	sql "$1" "CREATE TABLE writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(80),
	        at DATETIME(6), what VARCHAR(16), dom INT,
	        trx BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE,
	        trx_end BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE,
	        PERIOD FOR SYSTEM_TIME(trx, trx_end)) WITH SYSTEM VERSIONING"
	for trig in "w_ins AFTER INSERT ON records:insert:NEW.domain_id" \
	    "w_del AFTER DELETE ON records:delete:OLD.domain_id" "w_upd AFTER UPDATE ON domains:domains:NEW.id"; do
		sql "$1" "CREATE TRIGGER ${trig%%:*} FOR EACH ROW INSERT INTO writes (who, at, what, dom)
		    VALUES (USER(), NOW(6), '$(echo "$trig" | cut -d: -f2)', ${trig##*:})"
	done
}

# ha_user DB NODE: MySQL user ha_NODE with password pwNODE, all on DB.
ha_user() {
	sql "$1" "CREATE USER IF NOT EXISTS 'ha_$2'@'localhost' IDENTIFIED BY 'pw$2';
	    GRANT ALL ON \`$1\`.* TO 'ha_$2'@'localhost'"
}

# ha_conf NODE DB SOCKET [more config]: $T/ha-NODE.conf, node NODE of a
# pair on SOCKET as user ha_NODE, lease 4 s, renew 1 s, step-down 3 s.
ha_conf() {
	local node=$1 db=$2 sock=$3; shift 3
	local keep=$SOCK
	SOCK=$sock write_conf "$db" "ha {
    node = \"$node\"
    lease = 4
    renew = 1
    step-down = 3
}
timers {
    min-refresh = 1
    max-refresh = 2
}
$*"
	SOCK=$keep
	sed -e "s/user = \"root\"/user = \"ha_$node\"\n    password = \"pw$node\"/" \
	    -e "s|$T/control.sock|$T/control-$node.sock|" "$T/refresher.conf" > "$T/ha-$node.conf"
	chmod 600 "$T/ha-$node.conf"
}

ha_start() {	# ha_start NODE: its daemon in the background, log in $T/ha-NODE.log
	"$BIN" -c "$T/ha-$1.conf" -f -v >> "$T/ha-$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}
ha_holder() { sql "$1" "SELECT IF(expires > NOW(3), holder, '') FROM refresher_lease"; }
ha_holder_is() { [ "$(ha_holder "$1")" = "$2" ]; }
# ha_ms_since T0: milliseconds since T0 ($(date +%s%N))
ha_ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ha_overlaps DB: how many pairs of transactions by two different users
# that wrote rows of one domain overlapped in time, from their begin to
# their commit (must be 0).
ha_overlaps() {
	sql "$1" "WITH t AS (SELECT DISTINCT w.dom, w.who, w.trx, r.begin_timestamp f,
	        r.commit_timestamp l FROM writes w
	        JOIN mysql.transaction_registry r ON r.transaction_id = w.trx)
	    SELECT COUNT(*) FROM t x JOIN t y ON x.dom = y.dom AND x.who < y.who
	        AND x.f <= y.l AND y.f <= x.l"
}
# ha_untracked DB: rows of writes whose transaction the registry lacks (0).
ha_untracked() {
	sql "$1" "SELECT COUNT(*) FROM writes w LEFT JOIN mysql.transaction_registry r
	    ON r.transaction_id = w.trx WHERE r.transaction_id IS NULL"
}

# ha_reference DB REFDB MASTER: REFDB gets DB's SLAVE domains and one
# daemon without ha transfers them once from MASTER (as the master serves
# them now): what every zone of DB must end as.
ha_reference() {
	local db=$1 ref=$2 master=$3 keep=$DLOG
	db_create "$ref"
	sql "$ref" "INSERT INTO domains (name, master, type) SELECT name, '$master', 'SLAVE' FROM \`$db\`.domains"
	write_conf "$ref"
	DLOG=$T/reference.log run_once
	DLOG=$keep
}
# ha_same_rows DB REFDB: every records row of every zone, ids aside, equal.
ha_same_rows() {
	local q="SELECT d.name, r.name, IFNULL(r.type,''), IFNULL(r.content,''), IFNULL(r.ttl,''),
	    IFNULL(r.prio,''), r.disabled, IFNULL(r.ordername,''), r.auth
	    FROM records r JOIN domains d ON d.id = r.domain_id ORDER BY 1, 2, 3, 4, 5"
	sql "$1" "$q" > "$T/rows.$1"
	sql "$2" "$q" > "$T/rows.$2"
	[ -s "$T/rows.$2" ] && diff "$T/rows.$2" "$T/rows.$1" > "$T/rows.diff"
}
