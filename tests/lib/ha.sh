# Helpers for the ha tests (27-ha, 28-galera, 29-replication): daemons
# with ha {} as nodes NAME, each with its own MySQL user and control
# socket, and what the database itself says about who wrote what.
# Source after env.sh.

# ha_db_setup DB: the lease tables, and triggers that log who wrote what:
# for every row written to records or domains, the MySQL user, the
# connection, the time and the domain; and for every write's fence (the
# last statement of each write transaction of a daemon with ha, rolled
# back with it), a 'commit' row with the epoch.  A transaction is then the
# rows of one connection up to its next 'commit' row (ha_tx), on a single
# server and on Galera alike (triggers fire where the write began).
ha_db_setup() {
	mariadb --no-defaults -S "$SOCK" -uroot "$1" < sql/pdns-refresher.sql
	local trig
	sql "$1" "CREATE TABLE writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(80),
	    conn BIGINT, at DATETIME(6), what VARCHAR(16), dom INT, epoch BIGINT, KEY (who, conn, at))"
	for trig in "w_ins AFTER INSERT ON records:'insert', NEW.domain_id, NULL" \
	    "w_del AFTER DELETE ON records:'delete', OLD.domain_id, NULL" \
	    "w_upd AFTER UPDATE ON domains:'domains', NEW.id, NULL" \
	    "w_fence AFTER UPDATE ON refresher_fence:IF(NEW.writes = OLD.writes, 'move', 'commit'), NULL, NEW.epoch"; do
		sql "$1" "CREATE TRIGGER ${trig%%:*} FOR EACH ROW INSERT INTO writes (who, conn, at, what, dom, epoch)
		    VALUES (USER(), CONNECTION_ID(), NOW(6), ${trig#*:})"
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
	ha_execd $!
}
# ha_execd PID: wait until the background job PID is the daemon, not yet
# the forked shell: a signal that reaches the shell first runs the test's
# EXIT trap there (and cleans up the whole test)
ha_execd() {
	wait_for 10 sh -c '[ "$(readlink -f "/proc/$1/exe")" = "$2" ]' sh "$1" "$(readlink -f "$BIN")"
}
ha_holder() { sql "$1" "SELECT IF(expires > NOW(3), holder, '') FROM refresher_lease"; }
ha_holder_is() { [ "$(ha_holder "$1")" = "$2" ]; }
# ha_ms_since T0: milliseconds since T0 ($(date +%s%N))
ha_ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ha_tx DB: a view of the write transactions: for each domain written,
# who wrote it, and the span from the transaction's first row to its
# commit row (the fence, just before COMMIT).
ha_tx() {
	sql "$1" "CREATE OR REPLACE VIEW tx AS
	    SELECT w.dom, w.who, w.conn, MIN(w.at) f, c.at l FROM writes w
	    JOIN writes c ON c.who = w.who AND c.conn = w.conn AND c.what = 'commit' AND c.at = (
	        SELECT MIN(c2.at) FROM writes c2 WHERE c2.who = w.who AND c2.conn = w.conn
	        AND c2.what = 'commit' AND c2.at >= w.at)
	    WHERE w.dom IS NOT NULL GROUP BY w.dom, w.who, w.conn, c.at"
}
# ha_overlaps DB: how many pairs of transactions by two different users
# wrote rows of one domain in overlapping spans of time (must be 0).
ha_overlaps() {
	ha_tx "$1"
	sql "$1" "SELECT COUNT(*) FROM tx x JOIN tx y ON x.dom = y.dom AND x.who < y.who
	    AND x.f <= y.l AND y.f <= x.l"
}
# ha_uncommitted DB: rows of writes that no commit row follows (0: every
# write a daemon made went through its fence).
ha_uncommitted() {
	sql "$1" "SELECT COUNT(*) FROM writes w WHERE w.dom IS NOT NULL AND NOT EXISTS (
	    SELECT 1 FROM writes c WHERE c.who = w.who AND c.conn = w.conn AND c.what = 'commit'
	    AND c.at >= w.at)"
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
