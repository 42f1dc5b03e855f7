/*
 * db: all SQL.  Each thread owns one struct db (its own MYSQL*).  Values
 * from masters are always bound through prepared statements; the domain
 * name filter of --zone is escaped by the client library.  The only values
 * formatted into SQL text are integers of our own (domain and row ids read
 * from the tables, times), for IN lists of varying length.
 */
#include <arpa/inet.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "ha.h"
#include "log.h"
#include "util.h"

#define INS_LEVELS	9		/* multi-row inserts of 1, 2, 4 ... 256 rows */
#define INS_MAX		(1 << (INS_LEVELS - 1))
#define INS_COLS	8
#define ST_LEVELS	7		/* status upserts of 1, 2, 4 ... 64 rows */
#define ST_COLS		9
#define TX_TRIES	5
/* tsigkeys.name as pdns writes it, with or without the trailing dot */
#define TSIG_JOIN	"(tk.name = dm.content OR CONCAT(tk.name, '.') = dm.content " \
			"OR tk.name = CONCAT(dm.content, '.'))"
#define DB_WAIT_MS	600000		/* a finished group waits this long for the database */
#define DB_WAIT_STEP_MS	5000		/* longest pause between its tries */

/* When the database became unavailable to writers (0: it is not), for one
 * warning per outage across the workers. */
static _Atomic int64_t	 db_down_since;

struct db {
	struct db_params	 p;
	MYSQL			*my;
	MYSQL_STMT		*ins[INS_LEVELS];
	MYSQL_STMT		*mdel, *mins;
	MYSQL_STMT		*ap_acct, *ap_ips, *ap_ins;	/* autoprimary */
	MYSQL_STMT		*fence;				/* ha */
	int			 slot;		/* its refresher_fence row, -1: none */
	uint64_t		 epoch;		/* the lease its writes were started under */
	unsigned		 lease_errno;	/* lease_exec's last error (its statement is closed) */
	MYSQL_STMT		*st[ST_LEVELS];		/* status upserts, 1 .. 64 rows */
	unsigned		 prep_errno;		/* the last failed prepare */
	char			 prep_err[256];
	MYSQL_BIND		 b[INS_MAX * INS_COLS];
	unsigned long		 len[INS_MAX * INS_COLS];
	my_bool			 isnull[INS_MAX * INS_COLS];
	uint32_t		 u32[INS_MAX * 3];	/* domain_id, ttl, prio */
	int8_t			 i8[INS_MAX];		/* auth */
	int			 indexes;	/* record_indexes(): IDX_* bits, -1 not asked */
};

void
db_params_from_conf(struct db_params *p, const struct conf *c)
{
	p->host = xstrdup(c->db_host);
	p->socket = xstrdup(c->db_socket);
	p->user = xstrdup(c->db_user);
	p->password = xstrdup(c->db_password);
	p->name = xstrdup(c->db_name);
	p->port = c->db_port;
}

void
db_params_free(struct db_params *p)
{
	free(p->host);
	free(p->socket);
	free(p->user);
	if (p->password != NULL)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

const char *
db_client_version(void)
{
	return mysql_get_client_info();
}

void
db_library_init(void)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		fatalx("mysql_library_init failed");
}

struct db *
db_new(const struct db_params *p)
{
	struct db	*db = xcalloc(1, sizeof(*db));

	db->p.host = xstrdup(p->host);
	db->p.socket = xstrdup(p->socket);
	db->p.user = xstrdup(p->user);
	db->p.password = xstrdup(p->password);
	db->p.name = xstrdup(p->name);
	db->p.port = p->port;
	db->slot = -1;
	db->indexes = -1;
	return db;
}

static void
db_disconnect(struct db *db)
{
	for (int i = 0; i < INS_LEVELS; i++)
		if (db->ins[i] != NULL) {
			mysql_stmt_close(db->ins[i]);
			db->ins[i] = NULL;
		}
	for (int i = 0; i < ST_LEVELS; i++)
		if (db->st[i] != NULL) {
			mysql_stmt_close(db->st[i]);
			db->st[i] = NULL;
		}
	MYSQL_STMT **stmts[] = { &db->mdel, &db->mins, &db->ap_acct, &db->ap_ips,
	    &db->ap_ins, &db->fence };
	for (size_t i = 0; i < NITEMS(stmts); i++)
		if (*stmts[i] != NULL) {
			mysql_stmt_close(*stmts[i]);
			*stmts[i] = NULL;
		}
	if (db->my != NULL) {
		mysql_close(db->my);
		db->my = NULL;
	}
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	db_params_free(&db->p);
	free(db);
	mysql_thread_end();
}

int
db_connect(struct db *db, char *err, size_t errlen)
{
	unsigned int	 timeout = 10;
	const char	*sock = db->p.socket[0] ? db->p.socket : NULL;

	if (db->my != NULL)
		return 0;
	if ((db->my = mysql_init(NULL)) == NULL)
		fatalx("mysql_init: out of memory");
	mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	timeout = 60;
	mysql_options(db->my, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(db->my, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	/* latin1 like the schema: bytes pass through unchanged */
	mysql_options(db->my, MYSQL_SET_CHARSET_NAME, "latin1");
	if (mysql_real_connect(db->my, sock ? NULL : db->p.host, db->p.user,
	    db->p.password, db->p.name, sock ? 0 : (unsigned)db->p.port, sock,
	    0) == NULL) {
		snprintf(err, errlen, "cannot connect to MySQL %s: %s",
		    sock ? sock : db->p.host, mysql_error(db->my));
		mysql_close(db->my);
		db->my = NULL;
		return -1;
	}
	/* As pdns does: under REPEATABLE READ parallel delete+insert deadlocks. */
	if (mysql_query(db->my, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") != 0 ||
	    mysql_query(db->my, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')") != 0 ||
	    mysql_autocommit(db->my, 1) != 0) {
		snprintf(err, errlen, "MySQL session setup: %s", mysql_error(db->my));
		db_disconnect(db);
		return -1;
	}
	/*
	 * A group's rows are read by "domain_id IN (...)" with up to
	 * GROUP_ZONES ids.  Past eq_range_index_dive_limit (200) ids the
	 * optimizer estimates from the index statistics instead of looking,
	 * and statistics taken while records was nearly empty (a first load:
	 * InnoDB recalculates them at most every 10 s, in the background)
	 * make a scan of the whole table look cheaper: the groups written
	 * meanwhile read all of records, and two first loads of 170,000 zones
	 * took 139 and 242 s instead of 35.  0: always look.  A server without
	 * the variable (ER_UNKNOWN_SYSTEM_VARIABLE) does without.
	 */
	if (mysql_query(db->my, "SET SESSION eq_range_index_dive_limit = 0") != 0 &&
	    mysql_errno(db->my) != ER_UNKNOWN_SYSTEM_VARIABLE) {
		snprintf(err, errlen, "MySQL session setup: %s", mysql_error(db->my));
		db_disconnect(db);
		return -1;
	}
	return 0;
}

/* Connection-level errors: the server is gone, reconnect and try again. */
static bool
err_is_conn(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED ||
	    e == CR_COMMANDS_OUT_OF_SYNC || e == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */;
}

static bool
err_is_retry(unsigned e)
{
	return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT;
}

/* The server refuses every write (read_only, innodb_read_only): wait. */
static bool
err_is_readonly(unsigned e)
{
	return e == ER_OPTION_PREVENTS_STATEMENT || e == ER_READ_ONLY_MODE;
}

enum qres { QRES_NONE, QRES_USE, QRES_STORE };

/*
 * Run one statement, connecting first and once more if the server went
 * away; with a result mode, also fetch the result.  err gets "what: why".
 */
static int
query_retry(struct db *db, const char *sql, enum qres mode, MYSQL_RES **res,
    const char *what, char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (db_connect(db, err, errlen) == -1)
			return -1;
		if (mysql_query(db->my, sql) == 0) {
			if (mode == QRES_NONE)
				return 0;
			*res = mode == QRES_USE ? mysql_use_result(db->my) :
			    mysql_store_result(db->my);
			if (*res != NULL)
				return 0;
		}
		snprintf(err, errlen, "%s: %s", what, mysql_error(db->my));
		if (!err_is_conn(mysql_errno(db->my)))
			return -1;
		db_disconnect(db);
	}
	return -1;
}

int
db_check_schema(struct db *db, char *err, size_t errlen)
{
	static const struct { const char *table, *sql; } checks[] = {
	    { "domains", "SELECT id, name, master, last_check, type, notified_serial FROM domains LIMIT 0" },
	    { "records", "SELECT id, domain_id, name, type, content, ttl, prio, disabled, ordername, auth FROM records LIMIT 0" },
	    { "domainmetadata", "SELECT id, domain_id, kind, content FROM domainmetadata LIMIT 0" },
	    { "tsigkeys", "SELECT id, name, algorithm, secret FROM tsigkeys LIMIT 0" },
	};

	if (db_connect(db, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < NITEMS(checks); i++) {
		MYSQL_RES *res;
		if (mysql_query(db->my, checks[i].sql) != 0) {
			snprintf(err, errlen, "table %s does not look like PowerDNS's: %s",
			    checks[i].table, mysql_error(db->my));
			return -1;
		}
		if ((res = mysql_store_result(db->my)) != NULL)
			mysql_free_result(res);
	}
	return 0;
}

/*
 * The list lives in two blocks, the rows and one string buffer (kept in a
 * sentinel row after the last), so that freeing 170,000 rows returns the
 * memory to the system instead of leaving the loading thread's arena
 * fragmented.  String fields hold offset + 1 (0 = NULL) until the end.
 */
void
db_domains_free(struct db_domain *d, size_t n)
{
	if (d == NULL)
		return;
	free(d[n].name);
	free(d);
}

static uintptr_t
strbuf_add(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t	 l;

	if (s == NULL)
		return 0;
	l = strlen(s) + 1;
	if (*len + l > *cap) {
		while (*len + l > *cap)
			*cap = *cap ? *cap * 2 : 1 << 20;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, s, l);
	*len += l;
	return (uintptr_t)(*len - l + 1);
}

static char *
strbuf_ptr(char *buf, char *off)
{
	uintptr_t	 o = (uintptr_t)off;

	return o == 0 ? NULL : buf + o - 1;
}

/*
 * Each zone's SOA row: by pdns's (name, type) index where the table has it,
 * one row read a zone instead of every row of the zone through domain_id
 * (1.0 s instead of 1.6 s for 170,000 zones of 18 rows); a zone whose SOA
 * is not stored under its own name (domains.name spelled otherwise, or no
 * rows yet) is still found through domain_id.  Both indexes are named
 * where they exist: statistics gone stale (engine-independent ones taken
 * when a few domains held most rows) made MariaDB read all of records for
 * every zone without a SOA row: 24 million rows for 300 new zones beside
 * 80,000 rows.
 */
#define SOA_BY_ID(hint)	"(SELECT r.content FROM records r " hint "WHERE " \
			"r.domain_id = d.id AND r.type = 'SOA' AND r.disabled = 0 LIMIT 1)"
#define SOA_BY_NAME(hint) "COALESCE((SELECT r.content FROM records r FORCE INDEX " \
			"(nametype_index) WHERE r.name = d.name AND r.type = 'SOA' AND " \
			"r.domain_id = d.id AND r.disabled = 0 LIMIT 1), " SOA_BY_ID(hint) ")"
#define BY_DOMAIN_ID	"FORCE INDEX (domain_id) "
#define STATUS_COLS	", s.state, s.failures, s.last_check, s.last_error, " \
			"s.last_error_master, s.last_error_time, s.next_check " \
			"FROM domains d LEFT JOIN refresher_zone_status s ON s.domain_id = d.id "

/* pdns's indexes on records that the domain list names: IDX_* bits */
#define IDX_NAME	1	/* nametype_index on (name, type) */
#define IDX_DOMAIN	2	/* domain_id on (domain_id) */
static int
record_indexes(struct db *db)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 name = 0, idx = 0;

	if (db->indexes != -1)
		return db->indexes;
	if (mysql_query(db->my, "SELECT index_name, seq_in_index, column_name FROM "
	    "information_schema.statistics WHERE table_schema = DATABASE() AND "
	    "table_name = 'records' AND index_name IN ('nametype_index', 'domain_id')") != 0 ||
	    (res = mysql_store_result(db->my)) == NULL)
		return 0;		/* asked again next time */
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL || row[2] == NULL)
			continue;
		if (strcmp(row[0], "nametype_index") == 0 &&
		    ((strcmp(row[1], "1") == 0 && strcmp(row[2], "name") == 0) ||
		    (strcmp(row[1], "2") == 0 && strcmp(row[2], "type") == 0)))
			name++;
		else if (strcmp(row[0], "domain_id") == 0 && strcmp(row[1], "1") == 0 &&
		    strcmp(row[2], "domain_id") == 0)
			idx |= IDX_DOMAIN;
	}
	mysql_free_result(res);
	db->indexes = idx | (name == 2 ? IDX_NAME : 0);
	return db->indexes;
}

/* Rows d[0..n) with their strings in sb: pointers set, the sentinel owns sb. */
static struct db_domain *
domains_close(struct db_domain *d, size_t n, char *sb)
{
	if (d == NULL)
		d = xcalloc(1, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		d[i].name = strbuf_ptr(sb, d[i].name);
		d[i].master = strbuf_ptr(sb, d[i].master);
		d[i].soa = strbuf_ptr(sb, d[i].soa);
		d[i].st_state = strbuf_ptr(sb, d[i].st_state);
		d[i].st_err = strbuf_ptr(sb, d[i].st_err);
		d[i].st_err_master = strbuf_ptr(sb, d[i].st_err_master);
	}
	memset(&d[n], 0, sizeof(d[n]));
	d[n].name = sb;
	return d;
}

static int	domain_id_of(struct db *, const char *, uint32_t *, char *, size_t);

/*
 * One statement of the load: rows above *last (limit: at most that many,
 * in id order; 0: all).  Appends to d, n, cap and the strings to sb.
 */
static int
load_stmt(struct db *db, const char *only_name, uint32_t *last, int limit,
    bool with_status, struct db_domain **dp, size_t *np, size_t *capp, char **sbp,
    size_t *sblenp, size_t *sbcapp, char *err, size_t errlen)
{
#define LIST(soa)	{ "SELECT d.id, d.name, d.master, d.last_check, " soa \
			  " FROM domains d WHERE d.type = 'SLAVE'", \
			  "SELECT d.id, d.name, d.master, d.last_check, " soa STATUS_COLS \
			  "WHERE d.type = 'SLAVE'" }
	static const char *const q[4][2] = {	/* [record_indexes()][with_status] */
	    LIST(SOA_BY_ID("")),
	    LIST(SOA_BY_NAME("")),
	    LIST(SOA_BY_ID(BY_DOMAIN_ID)),
	    LIST(SOA_BY_NAME(BY_DOMAIN_ID)),
	};
#undef LIST
	const char		*base;
	char			*sql;
	MYSQL_RES		*res = NULL;
	MYSQL_ROW		 row;
	struct db_domain	*d = *dp;
	size_t			 n = *np, cap = *capp;
	int			 rc;

again:
	base = q[record_indexes(db)][with_status];
	if (only_name != NULL) {
		uint32_t id;		/* 0: no such domain, and no row has it */

		if (domain_id_of(db, only_name, &id, err, errlen) == -1)
			return -1;
		sql = xmalloc(strlen(base) + 32);
		sprintf(sql, "%s AND d.id = %u", base, id);
	} else if (limit > 0) {
		sql = xmalloc(strlen(base) + 64);
		sprintf(sql, "%s AND d.id > %u ORDER BY d.id LIMIT %d", base, *last, limit);
	} else {
		sql = xmalloc(strlen(base) + 32);
		sprintf(sql, "%s AND d.id > %u", base, *last);
	}
	rc = query_retry(db, sql, QRES_USE, &res, "loading domains", err, errlen);
	free(sql);
	if (rc == -1 && db->indexes > 0 && db->my != NULL &&
	    mysql_errno(db->my) == ER_KEY_DOES_NOT_EXISTS) {
		db->indexes = 0;		/* dropped since we asked */
		goto again;
	}
	if (rc == -1)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL)
			continue;
		*last = (uint32_t)strtoul(row[0], NULL, 10);	/* in id order when limited */
		if (row[1] == NULL)
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			d = xreallocarray(d, cap, sizeof(*d));
		}
		d[n].id = *last;
		d[n].name = (char *)strbuf_add(sbp, sblenp, sbcapp, row[1]);
		d[n].master = (char *)strbuf_add(sbp, sblenp, sbcapp, row[2]);
		d[n].last_check = row[3] ? strtoll(row[3], NULL, 10) : -1;
		d[n].soa = (char *)strbuf_add(sbp, sblenp, sbcapp, row[4]);
		d[n].st_state = NULL;
		d[n].st_err = d[n].st_err_master = NULL;
		d[n].st_failures = 0;
		d[n].st_last_check = d[n].st_err_time = d[n].st_next_check = -1;
		if (with_status && row[5] != NULL) {
			d[n].st_state = (char *)strbuf_add(sbp, sblenp, sbcapp, row[5]);
			d[n].st_failures = row[6] ? (uint32_t)strtoul(row[6], NULL, 10) : 0;
			d[n].st_last_check = row[7] ? strtoll(row[7], NULL, 10) : -1;
			d[n].st_err = (char *)strbuf_add(sbp, sblenp, sbcapp, row[8]);
			d[n].st_err_master = (char *)strbuf_add(sbp, sblenp, sbcapp, row[9]);
			d[n].st_err_time = row[10] ? strtoll(row[10], NULL, 10) : -1;
			d[n].st_next_check = row[11] ? strtoll(row[11], NULL, 10) : -1;
		}
		n++;
	}
	*dp = d;
	*np = n;
	*capp = cap;
	if (mysql_errno(db->my) != 0) {
		snprintf(err, errlen, "loading domains: %s", mysql_error(db->my));
		mysql_free_result(res);
		if (err_is_conn(mysql_errno(db->my)))
			db_disconnect(db);
		return -1;
	}
	rc = (int)mysql_num_rows(res);
	mysql_free_result(res);
	return rc;
}

/*
 * With part, the list is read DB_LOAD_PART domains a statement, in id
 * order: each statement is short and reads the database as of its own
 * start.  One long statement, read while the transfers it starts write
 * millions of rows, slowed down without bound (InnoDB checks every index
 * entry newer than the statement against older versions): a first load of
 * 170,000 zones stalled at 65,536 for minutes.
 */
int
db_load_domains(struct db *db, const char *only_name, uint32_t above_id,
    bool with_status, db_part_cb *part, void *arg, struct db_domain **out, size_t *nout,
    char *err, size_t errlen)
{
	char			*sb = NULL;
	struct db_domain	*d = NULL;
	size_t			 n = 0, cap = 0, sblen = 0, sbcap = 0;
	uint32_t		 last = above_id;
	int			 got;

	*out = NULL;
	*nout = 0;
	if (db_connect(db, err, errlen) == -1)
		return -1;
	for (;;) {
		got = load_stmt(db, only_name, &last, part != NULL && only_name == NULL ?
		    DB_LOAD_PART : 0, with_status, &d, &n, &cap, &sb, &sblen, &sbcap, err,
		    errlen);
		if (got == -1) {
			free(d);
			free(sb);
			return -1;
		}
		if (part == NULL || only_name != NULL || got < DB_LOAD_PART)
			break;
		part(domains_close(d, n, sb), n, arg);	/* more may come */
		d = NULL;
		sb = NULL;
		n = cap = sblen = sbcap = 0;
	}
	*out = domains_close(d, n, sb);
	*nout = n;
	return 0;
}

int
db_max_domain_id(struct db *db, uint32_t *max, char *err, size_t errlen)
{
	MYSQL_RES	*res = NULL;
	MYSQL_ROW	 row;

	if (query_retry(db, "SELECT IFNULL(MAX(id), 0) FROM domains", QRES_STORE, &res,
	    "highest domain id", err, errlen) == -1)
		return -1;
	row = mysql_fetch_row(res);
	*max = row && row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
	mysql_free_result(res);
	return 0;
}

int
db_domains_signature(struct db *db, char *sig, size_t siglen, uint32_t *max_id,
    char *err, size_t errlen)
{
	/* TSIG keys and AXFR-SOURCE are part of it: a change reloads the list. */
	static const char q[] = "SELECT COUNT(*), IFNULL(MAX(id), 0), "
	    "IFNULL(BIT_XOR(CRC32(CONCAT_WS(',', id, name, IFNULL(master, '')))), 0), "
	    "(SELECT IFNULL(MAX(id), 0) FROM domains), "
	    "(SELECT CONCAT(COUNT(*), ':', IFNULL(BIT_XOR(CRC32(CONCAT_WS(',', dm.domain_id, "
	    "dm.kind, dm.content, IFNULL(tk.algorithm, ''), IFNULL(tk.secret, '')))), 0)) "
	    "FROM domainmetadata dm LEFT JOIN tsigkeys tk ON dm.kind = 'AXFR-MASTER-TSIG' AND "
	    TSIG_JOIN " WHERE dm.kind IN ('AXFR-MASTER-TSIG', 'AXFR-SOURCE')) "
	    "FROM domains WHERE type = 'SLAVE'";
	MYSQL_RES	*res = NULL;
	MYSQL_ROW	 row;

	if (query_retry(db, q, QRES_STORE, &res, "domain list signature", err, errlen) == -1)
		return -1;
	if ((row = mysql_fetch_row(res)) == NULL || row[0] == NULL) {
		mysql_free_result(res);
		snprintf(err, errlen, "domain list signature: no row");
		return -1;
	}
	snprintf(sig, siglen, "%s/%s/%s/%s", row[0], row[1] ? row[1] : "", row[2] ? row[2] : "",
	    row[4] ? row[4] : "");
	*max_id = row[3] ? (uint32_t)strtoul(row[3], NULL, 10) : 0;
	mysql_free_result(res);
	return 0;
}

/* Room for one more entry in *out (capacity *cap). */
static struct db_tsig *
tsig_push(struct db_tsig **out, size_t *n, size_t *cap, uint32_t id)
{
	struct db_tsig	*t;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*out = xreallocarray(*out, *cap, sizeof(**out));
	}
	t = &(*out)[(*n)++];
	memset(t, 0, sizeof(*t));
	t->domain_id = id;
	return t;
}

int
db_load_tsig(struct db *db, uint32_t above, struct db_tsig **out, size_t *n, char *err,
    size_t errlen)
{
	static const char qk[] = "SELECT dm.domain_id, dm.content, tk.algorithm, tk.secret "
	    "FROM domainmetadata dm LEFT JOIN tsigkeys tk ON " TSIG_JOIN
	    " WHERE dm.kind = 'AXFR-MASTER-TSIG' AND dm.domain_id > %u "
	    "ORDER BY dm.domain_id, dm.id";
	static const char qs[] = "SELECT domain_id, content FROM domainmetadata "
	    "WHERE kind = 'AXFR-SOURCE' AND domain_id > %u ORDER BY domain_id, id";
	char		 q[sizeof(qk) + 16];
	MYSQL_RES	*res = NULL;
	MYSQL_ROW	 row;
	size_t		 cap = 0, nkeys, k = 0;
	uint32_t	 id, last = 0;
	bool		 any = false;

	*out = NULL;
	*n = 0;
	/* above: our own integer, formatted; nothing from a master or a row */
	snprintf(q, sizeof(q), qk, above);
	if (query_retry(db, q, QRES_STORE, &res, "loading TSIG keys", err, errlen) == -1)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		id = row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
		if (*n > 0 && (*out)[*n - 1].domain_id == id)
			continue;		/* the first one counts, as in pdns */
		struct db_tsig *t = tsig_push(out, n, &cap, id);
		t->keyname = xstrdup(row[1] ? row[1] : "");
		t->algorithm = row[2] ? xstrdup(row[2]) : NULL;
		t->secret = row[3] ? xstrdup(row[3]) : NULL;
	}
	mysql_free_result(res);
	/* AXFR-SOURCE, merged in by domain id (the first row counts): both
	 * lists are in id order, so one pass over each. */
	snprintf(q, sizeof(q), qs, above);
	if (query_retry(db, q, QRES_STORE, &res, "loading AXFR-SOURCE", err, errlen) == -1) {
		db_tsig_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	nkeys = *n;
	while ((row = mysql_fetch_row(res)) != NULL) {
		struct db_tsig *t = NULL;
		id = row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
		if (any && id == last)
			continue;
		any = true;
		last = id;
		while (k < nkeys && (*out)[k].domain_id < id)
			k++;
		if (k < nkeys && (*out)[k].domain_id == id)
			t = &(*out)[k];
		else
			t = tsig_push(out, n, &cap, id);
		t->source = xstrdup(row[1] ? row[1] : "");
	}
	mysql_free_result(res);
	return 0;
}

void
db_tsig_free(struct db_tsig *t, size_t n)
{
	for (size_t i = 0; i < n && t != NULL; i++) {
		free(t[i].keyname);
		free(t[i].algorithm);
		free(t[i].secret);
		free(t[i].source);
	}
	free(t);
}

/* Prepare a statement once per connection. */
static MYSQL_STMT *
stmt(struct db *db, MYSQL_STMT **sp, const char *sql)
{
	if (*sp != NULL)
		return *sp;
	if ((*sp = mysql_stmt_init(db->my)) == NULL)
		return NULL;
	if (mysql_stmt_prepare(*sp, sql, (unsigned long)strlen(sql)) != 0) {
		/* said by the statement, which goes: keep it for last_errno */
		db->prep_errno = mysql_stmt_errno(*sp);
		util_strlcpy(db->prep_err, mysql_stmt_error(*sp), sizeof(db->prep_err));
		mysql_stmt_close(*sp);
		*sp = NULL;
		return NULL;
	}
	return *sp;
}

static MYSQL_STMT *
ins_stmt(struct db *db, int level)
{
	static const char head[] = "INSERT INTO records (domain_id, name, type, "
	    "content, ttl, prio, disabled, ordername, auth) VALUES ";
	static const char tuple[] = "(?,?,?,?,?,?,0,?,?)";
	size_t		 rows = (size_t)1 << level;
	char		*sql, *p;
	MYSQL_STMT	*st;

	if (db->ins[level] != NULL)
		return db->ins[level];
	sql = p = xmalloc(sizeof(head) + rows * sizeof(tuple) + 1);
	p = stpcpy(p, head);
	for (size_t i = 0; i < rows; i++) {
		if (i > 0)
			*p++ = ',';
		p = stpcpy(p, tuple);
	}
	st = stmt(db, &db->ins[level], sql);
	free(sql);
	return st;
}

static void
bind_str(MYSQL_BIND *b, unsigned long *len, my_bool *isnull, const char *s)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	*isnull = s == NULL;
	*len = s ? (unsigned long)strlen(s) : 0;
	b->buffer = (void *)(uintptr_t)s;
	b->buffer_length = *len;
	b->length = len;
	b->is_null = isnull;
}

static void
bind_long(MYSQL_BIND *b, my_bool *isnull, uint32_t *v, bool null, bool is_unsigned)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONG;
	b->buffer = v;
	b->is_unsigned = is_unsigned;
	*isnull = null;
	b->is_null = isnull;
}

static void
bind_u64(MYSQL_BIND *b, my_bool *isnull, uint64_t *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	b->is_unsigned = true;
	*isnull = 0;
	b->is_null = isnull;
}

/* A row to insert: which domain, which converted row. */
struct insrow {
	uint32_t		 domain_id;
	const struct rr_row	*r;
};

/* Insert rows [from, from + 2^level) of ins with one statement. */
static int
insert_chunk(struct db *db, const struct insrow *ins, size_t from, int level)
{
	size_t		 rows = (size_t)1 << level;
	MYSQL_STMT	*st = ins_stmt(db, level);

	if (st == NULL)
		return -1;
	for (size_t i = 0; i < rows; i++) {
		const struct rr_row	*r = ins[from + i].r;
		size_t			 k = i * INS_COLS;
		bool			 ent = r->type == NULL;

		db->u32[i * 3] = ins[from + i].domain_id;
		db->u32[i * 3 + 1] = r->ttl;
		db->u32[i * 3 + 2] = (uint32_t)r->prio;
		db->i8[i] = r->auth;
		bind_long(&db->b[k], &db->isnull[k], &db->u32[i * 3], false, true);
		bind_str(&db->b[k + 1], &db->len[k + 1], &db->isnull[k + 1], r->name);
		bind_str(&db->b[k + 2], &db->len[k + 2], &db->isnull[k + 2], r->type);
		bind_str(&db->b[k + 3], &db->len[k + 3], &db->isnull[k + 3], r->content);
		bind_long(&db->b[k + 4], &db->isnull[k + 4], &db->u32[i * 3 + 1], ent, true);
		bind_long(&db->b[k + 5], &db->isnull[k + 5], &db->u32[i * 3 + 2], ent, false);
		bind_str(&db->b[k + 6], &db->len[k + 6], &db->isnull[k + 6], r->ordername);
		memset(&db->b[k + 7], 0, sizeof(db->b[0]));
		db->b[k + 7].buffer_type = MYSQL_TYPE_TINY;
		db->b[k + 7].buffer = &db->i8[i];
	}
	if (mysql_stmt_bind_param(st, db->b) != 0 || mysql_stmt_execute(st) != 0)
		return -1;
	return 0;
}

/* The statement error if a statement failed, else the connection's. */
static unsigned
last_errno(struct db *db, MYSQL_STMT *st, char *err, size_t errlen)
{
	unsigned e = st ? mysql_stmt_errno(st) : 0;

	if (e != 0) {
		snprintf(err, errlen, "%s", mysql_stmt_error(st));
		return e;
	}
	if (db->my != NULL && (e = mysql_errno(db->my)) != 0) {
		snprintf(err, errlen, "%s", mysql_error(db->my));
		return e;
	}
	if (db->prep_errno != 0) {
		snprintf(err, errlen, "%s", db->prep_err);
		e = db->prep_errno;
		db->prep_errno = 0;
		return e;
	}
	/* never 0: a caller must not take a failure for success */
	snprintf(err, errlen, "statement could not be prepared");
	return CR_UNKNOWN_ERROR;
}

/*
 * A transaction that failed: a lost connection is closed (the server rolled
 * back), otherwise rolled back here.  Returns -1 for the caller to return.
 */
static int
tx_abandon(struct db *db)
{
	if (db->my != NULL) {
		if (err_is_conn(mysql_errno(db->my)))
			db_disconnect(db);
		else
			mysql_rollback(db->my);
	}
	return -1;
}

/* Not a MySQL error: the write's fence did not hold (ha). */
#define ER_FENCED	0xfe01u

void
db_set_slot(struct db *db, int slot)
{
	db->slot = slot;
}

void
db_set_epoch(struct db *db, uint64_t epoch)
{
	db->epoch = epoch;
}

/*
 * With ha on, inside a write transaction before its COMMIT: this
 * connection's fence row, bound to the epoch its work was started under
 * (db_set_epoch), must change, or the lease went to another node (which
 * moved every fence row to its epoch) and nothing may be committed.  Work
 * of an earlier tenure of ours is refused too: another node may have
 * written newer data between the two.  0, or -1 with *eno (ER_FENCED when
 * the fence did not hold) and err.
 */
static int
fence(struct db *db, unsigned *eno, char *err, size_t errlen)
{
	MYSQL_BIND	 b[2];
	my_bool		 nn[2] = { 0, 0 };
	uint32_t	 slot;
	uint64_t	 epoch;
	MYSQL_STMT	*st;

	if (!ha_on())
		return 0;
	if ((epoch = ha_epoch()) == 0 || db->slot < 0) {
		snprintf(err, errlen, "this node does not hold the lease (ha): not written");
		*eno = ER_FENCED;
		return -1;
	}
	if (db->epoch != epoch) {
		snprintf(err, errlen, "begun under the lease's epoch %" PRIu64 ", not this "
		    "node's %" PRIu64 " (ha): not written", db->epoch, epoch);
		*eno = ER_FENCED;
		return -1;
	}
	slot = (uint32_t)db->slot;
	if ((st = stmt(db, &db->fence, "UPDATE refresher_fence SET writes = writes + 1 "
	    "WHERE slot = ? AND epoch = ?")) == NULL) {
		*eno = last_errno(db, NULL, err, errlen);
		return -1;
	}
	bind_long(&b[0], &nn[0], &slot, false, true);
	bind_u64(&b[1], &nn[1], &epoch);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		*eno = last_errno(db, st, err, errlen);
		return -1;
	}
	if (mysql_stmt_affected_rows(st) != 1) {
		snprintf(err, errlen, "the lease went to another node (our epoch %" PRIu64
		    " no longer fences slot %u): rolled back", epoch, slot);
		*eno = ER_FENCED;
		ha_lost(epoch, err);
		return -1;
	}
	return 0;
}

/* Replace (or with value NULL remove) one kind of domainmetadata. */
static MYSQL_STMT *
meta_set(struct db *db, uint32_t domain_id, const char *kind, const char *value)
{
	MYSQL_BIND	 b[3];
	my_bool		 nn[3] = { 0, 0, 0 };
	unsigned long	 len[3];
	uint32_t	 id = domain_id;
	MYSQL_STMT	*st;

	st = stmt(db, &db->mdel, "DELETE FROM domainmetadata WHERE domain_id = ? AND kind = ?");
	bind_long(&b[0], &nn[0], &id, false, true);
	bind_str(&b[1], &len[1], &nn[1], kind);
	if (st == NULL || mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return st ? st : (MYSQL_STMT *)(uintptr_t)1;
	if (value == NULL)
		return NULL;
	st = stmt(db, &db->mins, "INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, ?, ?)");
	bind_str(&b[2], &len[2], &nn[2], value);
	if (st == NULL || mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return st ? st : (MYSQL_STMT *)(uintptr_t)1;
	return NULL;
}

/* pdns's setPresigned/unsetPresigned and setNSEC3PARAM/unsetNSEC3PARAM. */
static MYSQL_STMT *
write_meta(struct db *db, uint32_t domain_id, const struct rr_meta *m)
{
	MYSQL_STMT	*st = NULL;

	if (m == NULL)
		return NULL;
	if (m->presigned != 0 &&
	    (st = meta_set(db, domain_id, "PRESIGNED", m->presigned > 0 ? "1" : NULL)) != NULL)
		return st;
	if (m->nsec3param != 0) {
		bool set = m->nsec3param > 0;
		if ((st = meta_set(db, domain_id, "NSEC3PARAM", set ? m->nsec3param_text : NULL)) != NULL ||
		    (st = meta_set(db, domain_id, "NSEC3NARROW", set && m->narrow ? "1" : NULL)) != NULL)
			return st;
	}
	return NULL;
}

/*
 * "head id,id,...)" over the zones of the group still to be written (with
 * unread, only those whose rows no IXFR read).  The ids are our own
 * integers, never a master's bytes.
 */
static char *
id_list(const char *head, const struct db_write *w, size_t n, const char *tail, bool unread)
{
	char	*sql = xmalloc(strlen(head) + n * 11 + strlen(tail) + 2), *p;
	bool	 first = true;

	p = stpcpy(sql, head);
	for (size_t i = 0; i < n; i++) {
		if (w[i].rc != DB_OK || (unread && w[i].snap != NULL))
			continue;
		p += sprintf(p, "%s%u", first ? "" : ",", w[i].domain_id);
		first = false;
	}
	p = stpcpy(p, ")");
	strcpy(p, tail);
	return sql;
}

static int
run(struct db *db, char *sql)
{
	int rc = mysql_query(db->my, sql);

	free(sql);
	return rc;
}

/*
 * Lock the domain rows (in id order, as the last_check updates take them):
 * each must still be a SLAVE domain when we write, and a concurrent removal
 * of the domain waits for our commit instead of leaving our rows orphaned.
 * Returns how many are; the others are marked DB_GONE.
 */
static int
lock_domains(struct db *db, struct db_write *w, size_t n)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 live = 0;

	if (run(db, id_list("SELECT id FROM domains WHERE type = 'SLAVE' AND id IN (", w, n,
	    " FOR UPDATE", false)) != 0 ||
	    (res = mysql_store_result(db->my)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		w[i].rc = DB_GONE;
	while ((row = mysql_fetch_row(res)) != NULL) {
		uint32_t id = row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
		for (size_t i = 0; i < n; i++)
			if (w[i].domain_id == id && w[i].rc == DB_GONE) {
				w[i].rc = DB_OK;
				live++;
			}
	}
	mysql_free_result(res);
	for (size_t i = 0; i < n; i++)
		if (w[i].rc == DB_GONE)
			snprintf(w[i].err, w[i].errlen, "domain %u is no longer a SLAVE domain",
			    w[i].domain_id);
	return live;
}

/*
 * Rows compared as stored: every column we write, NULL told apart from
 * empty.  A row already stored exactly so is kept, so a transfer in which
 * only the SOA changed rewrites two rows, not the zone.  What pdns serves
 * is the same either way; only row ids differ, and pdns does not use them.
 */
struct keyed {
	uint32_t	 zi;		/* zone index in the group */
	uint32_t	 ref;		/* old: records.id; new: index into ins */
	bool		 old;
	size_t		 off;		/* key in the group's key buffer */
	uint32_t	 len;
};

struct diff {
	struct keyed	*k;
	size_t		 nk, capk;
	char		*buf;
	size_t		 len, cap;
};

static void
key_field(struct diff *d, const char *s, size_t n)
{
	uint32_t	 n32 = (uint32_t)n;

	if (d->len + n + 5 > d->cap) {
		while (d->len + n + 5 > d->cap)
			d->cap = d->cap ? d->cap * 2 : 1 << 16;
		d->buf = xreallocarray(d->buf, d->cap, 1);
	}
	if (s == NULL) {
		d->buf[d->len++] = 0;
		return;
	}
	d->buf[d->len++] = 1;
	memcpy(d->buf + d->len, &n32, 4);
	memcpy(d->buf + d->len + 4, s, n);
	d->len += 4 + n;
}

static void
key_str(struct diff *d, const char *s)
{
	key_field(d, s, s ? strlen(s) : 0);
}

static void
key_int(struct diff *d, long long v, bool null)
{
	char	 t[24];

	key_field(d, null ? NULL : t, null ? 0 : (size_t)snprintf(t, sizeof(t), "%lld", v));
}

static struct keyed *
key_new(struct diff *d, uint32_t zi, uint32_t ref, bool old)
{
	struct keyed	*k;

	if (d->nk == d->capk) {
		d->capk = d->capk ? d->capk * 2 : 1024;
		d->k = xreallocarray(d->k, d->capk, sizeof(*d->k));
	}
	k = &d->k[d->nk++];
	*k = (struct keyed){ zi, ref, old, d->len, 0 };
	return k;
}

static int
keyed_cmp(const void *a, const void *b, void *base)
{
	const struct keyed	*x = a, *y = b;
	const char		*diff_base = base;
	int			 c;

	if (x->zi != y->zi)
		return x->zi < y->zi ? -1 : 1;
	if ((c = memcmp(diff_base + x->off, diff_base + y->off,
	    x->len < y->len ? x->len : y->len)) != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (int)y->old - (int)x->old;	/* stored rows first */
}

/*
 * The group's zones whose stored rows are read, by domain id: a row read
 * finds its zone in log n, not by walking a group of up to 512 zones.
 */
struct zidx {
	uint32_t	 domain_id;
	uint32_t	 zi;
};

static int
zidx_cmp(const void *a, const void *b)
{
	const struct zidx	*x = a, *y = b;

	if (x->domain_id != y->domain_id)
		return x->domain_id < y->domain_id ? -1 : 1;
	return x->zi < y->zi ? -1 : x->zi > y->zi;
}

/* The first zone (lowest index) with domain id did, or SIZE_MAX. */
static size_t
zidx_find(const struct zidx *z, size_t n, uint32_t did)
{
	size_t	 lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z[mid].domain_id < did)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && z[lo].domain_id == did ? z[lo].zi : SIZE_MAX;
}

static bool
same_order(const struct db_snap *sn, const struct db_snap_row *s, const char *o)
{
	if (s->order == UINT32_MAX || o == NULL)
		return s->order == UINT32_MAX && o == NULL;
	return strcmp(sn->text + s->order, o) == 0;
}

/*
 * The write of a zone whose IXFR read its rows: each new row against the
 * stored row it came from (ref), or an empty non-terminal against a stored
 * one of its name; kept when stored exactly so (skip), the stored rows
 * left over deleted.  No second read, no sort.
 */
static void
snap_diff(struct db_snap *sn, const struct rr_set *set, bool *skip, uint32_t *dels,
    size_t *ndels)
{
	size_t		 cap = 16, nent = 0;
	uint32_t	*ent;

	for (size_t i = 0; i < sn->n; i++) {
		sn->rows[i].used = false;	/* a retry alone starts again */
		nent += sn->rows[i].ent;
	}
	while (cap < nent * 2)
		cap *= 2;
	ent = xcalloc(cap, sizeof(*ent));
	for (size_t i = 0; i < sn->n; i++) {
		const char	*nm = sn->text + sn->rows[i].name;
		size_t		 k;

		if (!sn->rows[i].ent || sn->rows[i].odd)
			continue;
		for (k = util_keyed_hash(nm, strlen(nm)) & (cap - 1); ent[k] != 0;
		    k = (k + 1) & (cap - 1))
			;
		ent[k] = (uint32_t)i + 1;
	}
	for (size_t r = 0; r < set->n; r++) {
		const struct rr_row	*x = &set->rows[r];
		struct db_snap_row	*s = NULL;

		if (x->type != NULL && x->ref != 0)
			s = &sn->rows[x->ref - 1];
		else if (x->type == NULL) {
			for (size_t k = util_keyed_hash(x->name, strlen(x->name)) & (cap - 1);
			    ent[k] != 0; k = (k + 1) & (cap - 1)) {
				struct db_snap_row *c = &sn->rows[ent[k] - 1];
				if (!c->used && strcmp(sn->text + c->name, x->name) == 0) {
					s = c;
					break;
				}
			}
		}
		skip[r] = s != NULL && !s->used && !s->odd && s->auth == x->auth &&
		    same_order(sn, s, x->ordername);
		if (skip[r])
			s->used = true;
	}
	for (size_t i = 0; i < sn->n; i++)
		if (!sn->rows[i].used)
			dels[(*ndels)++] = sn->rows[i].id;
	free(ent);
}

/*
 * Whether the stored rows of w's zone are still those its IXFR read (their
 * number and ids): 1 yes, 0 no (the write reads them), -1 error.
 */
static int
snap_current(struct db *db, const struct db_write *w)
{
	char		 sql[128];
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 rc;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*), BIT_XOR(id) FROM records WHERE "
	    "domain_id = %u", w->domain_id);
	if (mysql_query(db->my, sql) != 0 || (res = mysql_store_result(db->my)) == NULL)
		return -1;
	row = mysql_fetch_row(res);
	rc = row != NULL && row[0] != NULL && row[1] != NULL &&
	    strtoull(row[0], NULL, 10) == w->snap->n &&
	    strtoull(row[1], NULL, 10) == w->snap->ids;
	mysql_free_result(res);
	return rc;
}

/*
 * Read the stored rows of the group's zones (those an IXFR read: from its
 * snapshot) and work out which to delete (ids into dels) and which new
 * rows to insert (into ins).
 */
static int
diff_rows(struct db *db, struct db_write *w, size_t n, uint32_t **dels, size_t *ndels,
    struct insrow **ins, size_t *nins, const atomic_bool *stop)
{
	struct diff	 d = { 0 };
	MYSQL_RES	*res = NULL;
	MYSQL_ROW	 row;
	size_t		 total = 0, nold = 0, nsnap = 0, nread = 0, j = 0;
	bool		*has_old = xcalloc(n, sizeof(*has_old)), *skip, stopped = false;
	struct zidx	*zx = xreallocarray(NULL, n ? n : 1, sizeof(*zx));

	for (size_t i = 0; i < n; i++) {
		if (w[i].rc == DB_OK && w[i].snap != NULL)
			nsnap += w[i].snap->n;
		else if (w[i].rc == DB_OK)
			zx[nread++] = (struct zidx){ w[i].domain_id, (uint32_t)i };
	}
	qsort(zx, nread, sizeof(*zx), zidx_cmp);
	if (nread > 0 && (run(db, id_list("SELECT id, domain_id, name, type, content, ttl, "
	    "prio, ordername, auth, disabled FROM records WHERE domain_id IN (", w, n, "",
	    true)) != 0 || (res = mysql_use_result(db->my)) == NULL)) {
		free(has_old);
		free(zx);
		return -1;
	}
	while (res != NULL && (row = mysql_fetch_row(res)) != NULL) {
		unsigned long	*l = mysql_fetch_lengths(res);
		uint32_t	 did = (uint32_t)strtoul(row[1] ? row[1] : "0", NULL, 10);
		size_t		 zi = zidx_find(zx, nread, did);
		struct keyed	*k;

		if (zi == SIZE_MAX || row[0] == NULL)
			continue;
		/* a long comparison gives way to SIGTERM (a short one finishes) */
		if ((nold & 4095) == 4095 && stop != NULL && (stopped = atomic_load(stop)))
			break;		/* the transaction is rolled back */
		has_old[zi] = true;
		k = key_new(&d, (uint32_t)zi, (uint32_t)strtoul(row[0], NULL, 10), true);
		for (int f = 2; f <= 9; f++)
			key_field(&d, row[f], l[f]);
		k->len = (uint32_t)(d.len - k->off);
		nold++;
	}
	free(zx);
	if (res != NULL && (mysql_errno(db->my) != 0 || stopped)) {
		mysql_free_result(res);
		free(has_old);
		free(d.k);
		free(d.buf);
		return stopped ? -2 : -1;
	}
	if (res != NULL)
		mysql_free_result(res);

	for (size_t i = 0; i < n; i++)
		if (w[i].rc == DB_OK)
			total += w[i].set->n;
	*ins = xreallocarray(NULL, total ? total : 1, sizeof(**ins));
	*dels = xreallocarray(NULL, nold + nsnap ? nold + nsnap : 1, sizeof(**dels));
	*ndels = 0;
	skip = xcalloc(total ? total : 1, sizeof(*skip));
	for (size_t i = 0; i < n; i++) {
		if (w[i].rc != DB_OK)
			continue;
		if (w[i].snap != NULL) {
			for (size_t r = 0; r < w[i].set->n; r++)
				(*ins)[j + r] = (struct insrow){ w[i].domain_id, &w[i].set->rows[r] };
			snap_diff(w[i].snap, w[i].set, skip + j, *dels, ndels);
			j += w[i].set->n;
			continue;
		}
		for (size_t r = 0; r < w[i].set->n; r++, j++) {
			const struct rr_row	*x = &w[i].set->rows[r];
			bool			 ent = x->type == NULL;
			struct keyed		*k;

			(*ins)[j] = (struct insrow){ w[i].domain_id, x };
			if (!has_old[i])
				continue;
			k = key_new(&d, (uint32_t)i, (uint32_t)j, false);
			key_str(&d, x->name);
			key_str(&d, x->type);
			key_str(&d, x->content);
			key_int(&d, x->ttl, ent);
			key_int(&d, x->prio, ent);
			key_str(&d, x->ordername);
			key_int(&d, x->auth, false);
			key_int(&d, 0, false);		/* disabled */
			k->len = (uint32_t)(d.len - k->off);
		}
	}
	if (d.nk > 1)		/* d.k is NULL on a first load: qsort wants an array */
		qsort_r(d.k, d.nk, sizeof(*d.k), keyed_cmp, d.buf);
	for (size_t a = 0, b; a < d.nk; a = b) {
		size_t olds = 0, news = 0, keep;
		for (b = a; b < d.nk && d.k[b].zi == d.k[a].zi && d.k[b].len == d.k[a].len &&
		    memcmp(d.buf + d.k[b].off, d.buf + d.k[a].off, d.k[a].len) == 0; b++)
			d.k[b].old ? olds++ : news++;
		keep = olds < news ? olds : news;
		for (size_t i = a + keep; i < a + olds; i++)
			(*dels)[(*ndels)++] = d.k[i].ref;
		for (size_t i = a + olds; i < a + olds + keep; i++)
			skip[d.k[i].ref] = true;
	}
	*nins = 0;
	for (size_t i = 0; i < total; i++)
		if (!skip[i])
			(*ins)[(*nins)++] = (*ins)[i];
	free(skip);
	free(has_old);
	free(d.k);
	free(d.buf);
	return 0;
}

/* DELETE FROM records by id, 1,024 ids a statement (ours, from the table). */
static int
delete_ids(struct db *db, const uint32_t *ids, size_t n)
{
	char	*sql = xmalloc(64 + 1024 * 11);

	for (size_t i = 0; i < n;) {
		char *p = stpcpy(sql, "DELETE FROM records WHERE id IN (");
		for (size_t k = 0; i < n && k < 1024; i++, k++)
			p += sprintf(p, "%s%u", k ? "," : "", ids[i]);
		strcpy(p, ")");
		if (mysql_query(db->my, sql) != 0) {
			free(sql);
			return -1;
		}
	}
	free(sql);
	return 0;
}

/*
 * The write turn.  Writers that run their statements at once make InnoDB
 * contend for the same index pages, and MariaDB burns CPU on it: on a
 * first load of 30,000 zones with 4 workers it spent 7.8 and 8.1 s of CPU
 * when every worker wrote its group when ready, 4.9 and 5.0 s when one
 * group was written at a time (2 at a time: 6.5 and 6.8 s; the same rows
 * from one client alone: 4.5 s), and the load took no longer.  Reads do
 * not contend so: a group that changes fewer than TURN_MIN_ROWS rows (a
 * serial bump: the SOA row out and in) takes no turn, and the turn is
 * taken only once the stored rows are read and compared, from the first
 * delete to COMMIT, not through it: the commit's log flush (an fsync with
 * durable commits) overlaps the next writer's statements.  A write that
 * hangs (a row lock someone else holds: up to innodb_lock_wait_timeout)
 * holds the others TURN_WAIT_MS at most; then they write beside it.  A
 * group of more than TURN_MAX_ROWS rows (a large zone: seconds of writing)
 * writes beside the others too, so that small zones are not held behind it.
 */
#define TURN_WAIT_MS	2000
#define TURN_MIN_ROWS	512
#define TURN_MAX_ROWS	16384

/* A flag under a mutex, not a mutex held: the wait is timed on the
 * monotonic clock, which only a condition variable offers everywhere
 * (ThreadSanitizer does not know pthread_mutex_clocklock). */
static struct {
	pthread_once_t	 once;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;		/* set up by turn_init */
	bool		 busy;
} wturn = { .once = PTHREAD_ONCE_INIT, .mtx = PTHREAD_MUTEX_INITIALIZER };
static atomic_uint_fast64_t	 turn_waited_ms;

static void
turn_init(void)
{
	util_cond_init(&wturn.cond);
}

/*
 * The turn for a group of rows rows that changes nchg of them, if it
 * takes one, waited for TURN_WAIT_MS at most: false if not taken.
 */
static bool
turn_take(size_t rows, size_t nchg)
{
	struct timespec	 ts;
	int64_t		 t0;
	bool		 held;

	if (nchg < TURN_MIN_ROWS || rows > TURN_MAX_ROWS)
		return false;
	ts = util_deadline(TURN_WAIT_MS);
	t0 = util_now_ms();
	pthread_once(&wturn.once, turn_init);
	pthread_mutex_lock(&wturn.mtx);
	while (wturn.busy)
		if (pthread_cond_timedwait(&wturn.cond, &wturn.mtx, &ts) == ETIMEDOUT)
			break;
	if ((held = !wturn.busy))
		wturn.busy = true;
	pthread_mutex_unlock(&wturn.mtx);
	atomic_fetch_add(&turn_waited_ms, (uint_fast64_t)(util_now_ms() - t0));
	return held;
}

static void
turn_give(bool *held)
{
	if (!*held)
		return;
	pthread_mutex_lock(&wturn.mtx);
	wturn.busy = false;
	pthread_cond_signal(&wturn.cond);
	pthread_mutex_unlock(&wturn.mtx);
	*held = false;
}

uint64_t
db_turn_waited_ms(void)
{
	return atomic_load(&turn_waited_ms);
}

/*
 * Replace the rows of n zones in one transaction (one commit; deletes and
 * inserts of up to 256 rows across zones; rows stored exactly as they
 * would be written are left alone).  Zones whose domain row is gone are
 * marked DB_GONE and skipped; the rest are written or, on error, none.
 */
static enum db_rc
write_group(struct db *db, struct db_write *w, size_t n, time_t last_check,
    const atomic_bool *stop, unsigned *eno, char *err, size_t errlen)
{
	MYSQL_STMT	*st = NULL;
	struct insrow	*ins = NULL;
	uint32_t	*dels = NULL;
	size_t		 nins = 0, ndels = 0, done = 0, rows = 0;
	char		 head[80];
	int		 live;
	bool		 held = false;

	*eno = 0;
	if (mysql_query(db->my, "START TRANSACTION") != 0 ||
	    (live = lock_domains(db, w, n)) == -1)
		goto fail;
	if (live == 0) {
		mysql_rollback(db->my);
		return DB_OK;
	}
	for (size_t i = 0; i < n; i++) {
		int	 cur;

		if (w[i].rc != DB_OK || w[i].snap == NULL)
			continue;
		if ((cur = snap_current(db, &w[i])) == -1)
			goto fail;
		if (cur == 0) {		/* changed since: compare with what is there */
			log_info("domain %u: its rows changed since its IXFR read them: "
			    "comparing with what is stored now",
			    w[i].domain_id);
			w[i].snap = NULL;
		}
	}
	switch (diff_rows(db, w, n, &dels, &ndels, &ins, &nins, stop)) {
	case -2:
		mysql_rollback(db->my);
		snprintf(err, errlen, "shutting down");
		return DB_ERR;
	case -1:
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		rows += w[i].rc == DB_OK ? w[i].set->n : 0;
	held = turn_take(rows, nins + ndels);
	if (delete_ids(db, dels, ndels) == -1)
		goto fail;
	while (done < nins) {
		int level = INS_LEVELS - 1;
		while (((size_t)1 << level) > nins - done)
			level--;
		if (insert_chunk(db, ins, done, level) == -1) {
			st = db->ins[level];
			goto fail;
		}
		done += (size_t)1 << level;
	}
	for (size_t i = 0; i < n; i++) {
		if (w[i].rc != DB_OK || (st = write_meta(db, w[i].domain_id, w[i].meta)) == NULL)
			continue;
		if (st == (MYSQL_STMT *)(uintptr_t)1)
			st = NULL;
		goto fail;
	}
	snprintf(head, sizeof(head), "UPDATE domains SET last_check = %lld WHERE id IN (",
	    (long long)last_check);
	if (run(db, id_list(head, w, n, "", false)) != 0)
		goto fail;
	if (fence(db, eno, err, errlen) == -1) {
		mysql_rollback(db->my);
		turn_give(&held);
		free(ins);
		free(dels);
		return DB_ERR;
	}
	turn_give(&held);
	if (mysql_commit(db->my) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		w[i].written = 0;
	for (size_t i = 0, z = 0; i < nins; i++) {	/* ins is in zone order */
		while (w[z].domain_id != ins[i].domain_id)
			z++;
		w[z].written++;
	}
	free(ins);
	free(dels);
	return DB_OK;
fail:
	free(ins);
	free(dels);
	*eno = last_errno(db, st, err, errlen);
	if (db->my != NULL && !err_is_conn(*eno))
		mysql_rollback(db->my);
	turn_give(&held);
	return DB_ERR;
}

static void
db_down(const char *why)
{
	int64_t	 zero = 0;

	if (atomic_compare_exchange_strong(&db_down_since, &zero, util_now_ms()))
		log_warnx("database unavailable for writes (%s): finished transfers wait "
		    "for it, retried every %d s at most, for up to %d s", why,
		    DB_WAIT_STEP_MS / 1000, DB_WAIT_MS / 1000);
}

static void
db_up(void)
{
	int64_t	 since = atomic_exchange(&db_down_since, 0);

	if (since != 0)
		log_info("database takes writes again after %" PRId64 " s",
		    (util_now_ms() - since) / 1000);
}

/* Sleep ms in slices, returning early (true) when stop is set. */
static bool
wait_or_stop(int64_t ms, const atomic_bool *stop)
{
	for (int64_t end = util_now_ms() + ms; util_now_ms() < end;) {
		if (stop != NULL && atomic_load(stop))
			return true;
		usleep(100000);
	}
	return stop != NULL && atomic_load(stop);
}

void
db_write_zones(struct db *db, struct db_write *w, size_t n, time_t last_check,
    const atomic_bool *stop)
{
	char		 err[256] = "";
	unsigned	 eno = 0;
	int64_t		 start = util_now_ms(), pause = 100;
	int		 attempt = 0;
	bool		 reconnected = false;

	for (;;) {
		bool down = false;

		eno = 0;
		if (db_connect(db, err, sizeof(err)) == -1)
			down = true;
		else if (write_group(db, w, n, last_check, stop, &eno, err,
		    sizeof(err)) == DB_OK) {
			db_up();
			return;
		} else if (err_is_conn(eno)) {
			/* the server rolled the transaction back when it lost us;
			 * a connection it closed (wait_timeout, a restart long
			 * ago) is simply opened again */
			db_disconnect(db);
			if (!reconnected) {
				reconnected = true;
				continue;
			}
			down = true;
		} else if (eno == ER_FENCED)
			break;
		else if (err_is_readonly(eno))
			down = true;
		else if (!err_is_retry(eno) || ++attempt >= TX_TRIES)
			break;
		if (!down) {		/* deadlock or lock wait: again soon */
			usleep((useconds_t)(50000u << attempt) + arc4random_uniform(50000));
			continue;
		}
		/*
		 * Down, restarting or read-only: hold the finished transfers
		 * and try again, rather than fail every zone and transfer it
		 * again later.  SIGTERM ends the wait; the rows stay as they are.
		 */
		db_down(err);
		if (util_now_ms() - start >= DB_WAIT_MS)
			break;
		if (wait_or_stop(pause, stop)) {
			snprintf(err + strlen(err), sizeof(err) - strlen(err),
			    " (shutting down while waiting for the database)");
			break;
		}
		pause = pause * 2 > DB_WAIT_STEP_MS ? DB_WAIT_STEP_MS : pause * 2;
	}
	if (n > 1 && eno != 0 && eno != ER_FENCED && !err_is_conn(eno) && !err_is_retry(eno) &&
	    !err_is_readonly(eno)) {
		/* one zone spoiled the group: write each alone, so it fails alone */
		for (size_t i = 0; i < n; i++)
			db_write_zones(db, &w[i], 1, last_check, stop);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		w[i].rc = DB_ERR;
		snprintf(w[i].err, w[i].errlen, "%s", err);
	}
}

/* Parse "alg flags iterations salt" (salt in hex or "-"). */
static bool
parse_nsec3param(const char *s, struct rr_nsec3 *p)
{
	unsigned	 a, f, it;
	char		 salt[520];
	size_t		 n;

	memset(p, 0, sizeof(*p));
	if (sscanf(s, "%u %u %u %519s", &a, &f, &it, salt) != 4 || a > 255 || f > 255 ||
	    it > 65535)
		return false;
	p->alg = (uint8_t)a;
	p->flags = (uint8_t)f;
	p->iterations = (uint16_t)it;
	if (strcmp(salt, "-") == 0)
		return true;
	n = strlen(salt);
	if (n % 2 || n / 2 > sizeof(p->salt))
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(salt + 2 * i, "%2x", &v) != 1)
			return false;
		p->salt[i] = (uint8_t)v;
	}
	p->saltlen = (uint8_t)(n / 2);
	return true;
}

int
db_read_dnssec(struct db *db, uint32_t domain_id, struct rr_had *had, char *err,
    size_t errlen)
{
	char		 sql[256];
	MYSQL_RES	*res;
	MYSQL_ROW	 row;

	memset(had, 0, sizeof(*had));
	/* domain_id is ours, an integer: no master data in this statement */
	snprintf(sql, sizeof(sql), "SELECT kind, content FROM domainmetadata WHERE "
	    "domain_id = %u AND kind IN ('PRESIGNED','NSEC3PARAM','NSEC3NARROW') "
	    "UNION ALL SELECT 'KEY', active FROM cryptokeys WHERE domain_id = %u",
	    domain_id, domain_id);
	if (query_retry(db, sql, QRES_STORE, &res, "reading DNSSEC metadata", err, errlen) == -1)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		const char *k = row[0], *v = row[1] ? row[1] : "";
		if (strcmp(k, "PRESIGNED") == 0)
			had->presigned = strcmp(v, "1") == 0;
		else if (strcmp(k, "NSEC3NARROW") == 0)
			had->narrow = strcmp(v, "1") == 0;
		else if (strcmp(k, "NSEC3PARAM") == 0)
			had->nsec3 = parse_nsec3param(v, &had->param);
		else if (strcmp(k, "KEY") == 0) {
			had->keys++;
			if (strcmp(v, "1") == 0)
				had->active_keys++;
		}
	}
	mysql_free_result(res);
	return 0;
}

void
db_snap_free(struct db_snap *sn)
{
	free(sn->rows);
	free(sn->text);
	memset(sn, 0, sizeof(*sn));
}

static uint32_t
snap_text(struct db_snap *sn, const char *s)
{
	size_t	 n = strlen(s) + 1;
	uint32_t off = (uint32_t)sn->len;

	if (sn->len + n > sn->tcap) {
		while (sn->len + n > sn->tcap)
			sn->tcap = sn->tcap ? sn->tcap * 2 : 4096;
		sn->text = xreallocarray(sn->text, sn->tcap, 1);
	}
	memcpy(sn->text + sn->len, s, n);
	sn->len += n;
	return off;
}

int
db_read_rows(struct db *db, uint32_t domain_id, size_t hint, struct rr_set *set,
    struct db_snap *sn, bool *rrsig, bool *ordered, char *err, size_t errlen)
{
	char		 sql[192];
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 rc = 0;

	*rrsig = *ordered = false;
	/* domain_id is ours, an integer: no master data in this statement */
	snprintf(sql, sizeof(sql), "SELECT id, name, type, content, ttl, prio, ordername, "
	    "auth, disabled FROM records WHERE domain_id = %u", domain_id);
	if (query_retry(db, sql, QRES_USE, &res, "reading the stored rows", err, errlen) == -1)
		return -1;
	rr_set_reserve(set, hint);
	if (hint > 0 && set->cap >= hint && sn->cap == 0) {	/* reserved: in budget */
		sn->cap = hint;
		sn->rows = xreallocarray(NULL, hint, sizeof(*sn->rows));
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		struct db_snap_row *r;

		if (rc != 0 || row[0] == NULL || row[1] == NULL)
			continue;	/* read on: the result must be drained */
		if (sn->n == sn->cap) {
			sn->cap = sn->cap ? sn->cap * 2 : 256;
			sn->rows = xreallocarray(sn->rows, sn->cap, sizeof(*sn->rows));
		}
		r = &sn->rows[sn->n++];
		memset(r, 0, sizeof(*r));
		r->id = (uint32_t)strtoul(row[0], NULL, 10);
		sn->ids ^= r->id;
		r->order = row[6] ? snap_text(sn, row[6]) : UINT32_MAX;
		r->auth = (int8_t)(row[7] ? atoi(row[7]) : -1);
		r->odd = row[7] == NULL || row[8] == NULL || strcmp(row[8], "0") != 0;
		if ((r->ent = row[2] == NULL)) {
			r->name = snap_text(sn, row[1]);
			r->odd = r->odd || row[3] != NULL || row[4] != NULL || row[5] != NULL;
			continue;
		}
		r->odd = r->odd || row[3] == NULL || row[4] == NULL || row[5] == NULL;
		*rrsig = *rrsig || strcmp(row[2], "RRSIG") == 0;
		*ordered = *ordered || row[6] != NULL;
		if (rr_set_add_row(set, row[1], row[2], row[3] ? row[3] : "",
		    row[4] ? (uint32_t)strtoul(row[4], NULL, 10) : 0,
		    row[5] ? (int32_t)strtol(row[5], NULL, 10) : 0) == -1)
			rc = -2;
		else
			set->rows[set->n - 1].ref = (uint32_t)sn->n;
	}
	if (mysql_errno(db->my) != 0) {
		snprintf(err, errlen, "reading the stored rows: %s", mysql_error(db->my));
		rc = -1;
	}
	mysql_free_result(res);
	/* the snapshot is the job's memory too */
	if (rc == 0 && !rr_set_charge(set, sn->cap * sizeof(*sn->rows) + sn->tcap))
		rc = -2;
	return rc;
}

int
db_last_check(struct db *db, const uint32_t *ids, const int64_t *times,
    size_t n, char *err, size_t errlen)
{
	char		*sql = xmalloc(64 + 256 * 12);
	size_t		 i = 0;
	int		 rc = 0;
	unsigned	 eno = 0;

	/* With ha on, one transaction behind the fence; alone, as it was. */
	if (ha_on() && (db_connect(db, err, errlen) == -1 ||
	    query_retry(db, "START TRANSACTION", QRES_NONE, NULL, "last_check update",
	    err, errlen) == -1)) {
		free(sql);
		return -1;
	}
	/* Integers only (ours, not a master's), grouped by time, 256 a statement. */
	while (i < n) {
		int64_t	 t = times[i];
		char	*p = sql + sprintf(sql, "UPDATE domains SET last_check = %lld WHERE id IN (",
		    (long long)t);
		size_t	 k = 0;
		for (; i < n && k < 256 && times[i] == t; i++, k++)
			p += sprintf(p, "%s%u", k ? "," : "", ids[i]);
		strcpy(p, ")");
		rc = ha_on() ? (mysql_query(db->my, sql) == 0 ? 0 :
		    (snprintf(err, errlen, "last_check update: %s", mysql_error(db->my)), -1)) :
		    query_retry(db, sql, QRES_NONE, NULL, "last_check update", err, errlen);
		if (rc == -1)
			break;
	}
	free(sql);
	if (!ha_on())
		return rc;
	if (rc == 0 && fence(db, &eno, err, errlen) == 0 && mysql_commit(db->my) == 0)
		return 0;
	return tx_abandon(db);
}

/* ---- refresher_zone_status (sql/pdns-refresher.sql) ---- */

int
db_status_probe(struct db *db, char *err, size_t errlen)
{
	MYSQL_RES	*res;

	if (query_retry(db, "SELECT domain_id, state, last_check, last_success, last_error, "
	    "last_error_master, last_error_time, failures, next_check FROM "
	    "refresher_zone_status LIMIT 0", QRES_STORE, &res, "refresher_zone_status",
	    err, errlen) == 0) {
		mysql_free_result(res);
		return 1;
	}
	/* not there, or not ours to read: run without it; only a lost
	 * connection fails the load it is part of */
	return db->my == NULL || err_is_conn(mysql_errno(db->my)) ? -1 : 0;
}

static MYSQL_STMT *
st_stmt(struct db *db, int level)
{
	static const char head[] = "INSERT INTO refresher_zone_status (domain_id, state, "
	    "last_check, last_success, last_error, last_error_master, last_error_time, "
	    "failures, next_check) VALUES ";
	static const char tuple[] = "(?,?,?,?,?,?,?,?,?)";
	static const char tail[] = " ON DUPLICATE KEY UPDATE state = VALUES(state), "
	    "last_check = VALUES(last_check), last_success = VALUES(last_success), "
	    "last_error = VALUES(last_error), last_error_master = VALUES(last_error_master), "
	    "last_error_time = VALUES(last_error_time), failures = VALUES(failures), "
	    "next_check = VALUES(next_check)";
	size_t		 rows = (size_t)1 << level;
	char		*sql, *p;
	MYSQL_STMT	*st;

	if (db->st[level] != NULL)
		return db->st[level];
	sql = p = xmalloc(sizeof(head) + rows * sizeof(tuple) + sizeof(tail));
	p = stpcpy(p, head);
	for (size_t i = 0; i < rows; i++) {
		if (i > 0)
			*p++ = ',';
		p = stpcpy(p, tuple);
	}
	strcpy(p, tail);
	st = stmt(db, &db->st[level], sql);
	free(sql);
	return st;
}

static void
bind_time(MYSQL_BIND *b, my_bool *isnull, uint32_t *slot, int64_t t)
{
	*slot = t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
	bind_long(b, isnull, slot, t < 0, true);
}

/* One upsert of 2^level rows; 0, or the error number with err set. */
static unsigned
status_chunk(struct db *db, const struct db_status *r, int level, char *err, size_t errlen)
{
	size_t		 rows = (size_t)1 << level;
	MYSQL_STMT	*st = st_stmt(db, level);

	if (st == NULL)
		return last_errno(db, NULL, err, errlen);
	for (size_t i = 0; i < rows; i++) {
		size_t	 k = i * ST_COLS, u = i * 6;

		db->u32[u] = r[i].id;
		db->u32[u + 1] = r[i].failures;
		bind_long(&db->b[k], &db->isnull[k], &db->u32[u], false, true);
		bind_str(&db->b[k + 1], &db->len[k + 1], &db->isnull[k + 1], r[i].state);
		bind_time(&db->b[k + 2], &db->isnull[k + 2], &db->u32[u + 2], r[i].last_check);
		bind_time(&db->b[k + 3], &db->isnull[k + 3], &db->u32[u + 3], r[i].last_success);
		bind_str(&db->b[k + 4], &db->len[k + 4], &db->isnull[k + 4], r[i].err);
		bind_str(&db->b[k + 5], &db->len[k + 5], &db->isnull[k + 5], r[i].err_master);
		bind_time(&db->b[k + 6], &db->isnull[k + 6], &db->u32[u + 4], r[i].err_time);
		bind_long(&db->b[k + 7], &db->isnull[k + 7], &db->u32[u + 1], false, true);
		bind_time(&db->b[k + 8], &db->isnull[k + 8], &db->u32[u + 5], r[i].next_check);
	}
	if (mysql_stmt_bind_param(st, db->b) != 0 || mysql_stmt_execute(st) != 0)
		return last_errno(db, st, err, errlen);
	return 0;
}

int
db_status_write(struct db *db, const struct db_status *r, size_t n, const uint32_t *del,
    size_t ndel, bool *missing, char *err, size_t errlen)
{
	unsigned	 e = 0;

	*missing = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t	 i = 0;

		if (db_connect(db, err, errlen) == -1)
			return -1;
		e = 0;
		if (mysql_query(db->my, "START TRANSACTION") != 0)
			e = last_errno(db, NULL, err, errlen);
		for (int level = ST_LEVELS - 1; e == 0 && level >= 0; level--)
			while (e == 0 && n - i >= ((size_t)1 << level)) {
				e = status_chunk(db, r + i, level, err, errlen);
				i += (size_t)1 << level;
			}
		for (size_t j = 0; e == 0 && j < ndel; ) {	/* integers, ours */
			char	 sql[64 + 256 * 12], *p;
			size_t	 k = 0;
			p = sql + sprintf(sql, "DELETE FROM refresher_zone_status WHERE "
			    "domain_id IN (");
			for (; j < ndel && k < 256; j++, k++)
				p += sprintf(p, "%s%u", k ? "," : "", del[j]);
			strcpy(p, ")");
			if (mysql_query(db->my, sql) != 0)
				e = last_errno(db, NULL, err, errlen);
		}
		if (e == 0)
			(void)fence(db, &e, err, errlen);
		if (e == 0 && mysql_commit(db->my) == 0)
			return 0;
		if (e == 0)
			e = last_errno(db, NULL, err, errlen);
		(void)mysql_rollback(db->my);
		if (e == ER_FENCED)
			return -1;
		*missing = e == ER_NO_SUCH_TABLE;
		if (!err_is_conn(e))
			return -1;
		db_disconnect(db);
	}
	return -1;
}

/* ---- autoprimary (pdns's superMasterBackend and createSlaveDomain) ---- */

/*
 * Execute st with its parameters bound, then call row() for each row of
 * ncols (1 or 2) string columns of up to 255 bytes (until it returns
 * false); a longer value fails the statement.  The rows seen, or -1.
 */
static int
ap_select(MYSQL_STMT *st, MYSQL_BIND *param, int ncols,
    bool (*row)(void *, char v[][256]), void *arg)
{
	MYSQL_BIND	 r[2];
	char		 v[2][256];
	unsigned long	 len[2];
	my_bool		 nul[2];
	int		 rows = 0, f;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < ncols; i++) {
		r[i].buffer_type = MYSQL_TYPE_STRING;
		r[i].buffer = v[i];
		r[i].buffer_length = sizeof(v[i]) - 1;
		r[i].length = &len[i];
		r[i].is_null = &nul[i];
	}
	if (mysql_stmt_bind_param(st, param) != 0 || mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, r) != 0 || mysql_stmt_store_result(st) != 0)
		return -1;
	while ((f = mysql_stmt_fetch(st)) == 0) {
		for (int i = 0; i < ncols; i++)
			v[i][nul[i] ? 0 : len[i]] = '\0';
		rows++;
		if (!row(arg, v))
			break;
	}
	mysql_stmt_free_result(st);
	return f == MYSQL_DATA_TRUNCATED || f == 1 ? -1 : rows;
}

static bool
first_id(void *arg, char v[][256])
{
	*(uint32_t *)arg = (uint32_t)strtoul(v[0], NULL, 10);
	return false;
}

/* The id of the SLAVE domain called name (--zone: the operator's text, bound), 0: none. */
static int
domain_id_of(struct db *db, const char *name, uint32_t *id, char *err, size_t errlen)
{
	static const char q[] = "SELECT id FROM domains WHERE name = ? AND type = 'SLAVE'";
	MYSQL_STMT	*st;
	MYSQL_BIND	 b[1];
	unsigned long	 len;
	my_bool		 nul = 0;
	int		 rc = -1;

	*id = 0;
	if (db_connect(db, err, errlen) == -1)
		return -1;
	if ((st = mysql_stmt_init(db->my)) == NULL) {
		snprintf(err, errlen, "loading domains: %s", mysql_error(db->my));
		return -1;
	}
	bind_str(&b[0], &len, &nul, name);
	if (mysql_stmt_prepare(st, q, sizeof(q) - 1) == 0 && ap_select(st, b, 1, first_id, id) != -1)
		rc = 0;
	else
		snprintf(err, errlen, "loading domains: %s", mysql_stmt_error(st));
	mysql_stmt_close(st);
	return rc;
}

static bool
ap_first_account(void *arg, char v[][256])
{
	struct db_ap	*ap = arg;

	util_strlcpy(ap->account, v[0], sizeof(ap->account));
	return false;			/* the first row is the answer */
}

/* pdns: ComboAddress(row.ip, 53).toStringWithPortExcept(53), joined ", ". */
static bool
ap_master(void *arg, char v[][256])
{
	struct db_ap	*ap = arg;
	uint8_t		 a[16];
	char		 t[INET6_ADDRSTRLEN];
	int		 fam;
	size_t		 used = strlen(ap->masters);

	if (strcmp(v[1], ap->account) != 0)
		return true;		/* pdns compares the account exactly */
	fam = inet_pton(AF_INET, v[0], a) == 1 ? AF_INET :
	    inet_pton(AF_INET6, v[0], a) == 1 ? AF_INET6 : 0;
	if (fam == 0 || inet_ntop(fam, a, t, sizeof(t)) == NULL) {
		snprintf(ap->masters, sizeof(ap->masters), "!%s", v[0]);
		return false;		/* pdns fails on it too */
	}
	snprintf(ap->masters + used, sizeof(ap->masters) - used, "%s%s",
	    used > 0 ? ", " : "", t);
	return true;
}

int
db_autoprimary(struct db *db, struct db_ap *ap, char *err, size_t errlen)
{
	MYSQL_BIND	 b[4];
	unsigned long	 len[4];
	my_bool		 nul[4] = { 0, 0, 0, 0 };
	MYSQL_STMT	*st = NULL;
	const char	*ns = ap->ns;
	int		 rows;

	ap->account[0] = ap->nameserver[0] = ap->masters[0] = '\0';
	ap->id = 0;
	if (db_connect(db, err, errlen) == -1)
		return -1;
	if (mysql_query(db->my, "START TRANSACTION") != 0)
		goto fail;
	for (int i = 0; i < ap->nns && ap->nameserver[0] == '\0'; i++, ns += strlen(ns) + 1) {
		if ((st = stmt(db, &db->ap_acct, "SELECT account FROM supermasters "
		    "WHERE ip = ? AND nameserver = ?")) == NULL)
			goto fail;
		bind_str(&b[0], &len[0], &nul[0], ap->ip);
		bind_str(&b[1], &len[1], &nul[1], ns);
		if ((rows = ap_select(st, b, 1, ap_first_account, ap)) == -1)
			goto fail;
		if (rows > 0)
			util_strlcpy(ap->nameserver, ns, sizeof(ap->nameserver));
	}
	if (ap->nameserver[0] == '\0') {
		ap->account[0] = '\0';
		mysql_rollback(db->my);
		ap->result = DB_AP_NOMATCH;
		return 0;
	}
	if ((st = stmt(db, &db->ap_ips, "SELECT ip, account FROM supermasters "
	    "WHERE nameserver = ? AND account = ?")) == NULL)
		goto fail;
	bind_str(&b[0], &len[0], &nul[0], ap->nameserver);
	bind_str(&b[1], &len[1], &nul[1], ap->account);
	if (ap_select(st, b, 2, ap_master, ap) == -1)
		goto fail;
	if (ap->masters[0] == '!') {
		snprintf(err, errlen, "supermasters.ip '%s' is not an address", ap->masters + 1);
		mysql_rollback(db->my);
		return -1;
	}
	if (ap->masters[0] == '\0')
		util_strlcpy(ap->masters, ap->ip, sizeof(ap->masters));
	if ((st = stmt(db, &db->ap_ins, "INSERT INTO domains (type, name, master, account, "
	    "last_check, notified_serial) VALUES ('SLAVE', ?, ?, ?, NULL, NULL)")) == NULL)
		goto fail;
	bind_str(&b[0], &len[0], &nul[0], ap->name);
	bind_str(&b[1], &len[1], &nul[1], ap->masters);
	bind_str(&b[2], &len[2], &nul[2], ap->account);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			mysql_rollback(db->my);
			ap->result = DB_AP_EXISTS;
			return 0;
		}
		goto fail;
	}
	ap->id = (uint32_t)mysql_stmt_insert_id(st);
	st = NULL;
	if (ap->keyname[0] != '\0' &&
	    (st = meta_set(db, ap->id, "AXFR-MASTER-TSIG", ap->keyname)) != NULL) {
		if (st == (MYSQL_STMT *)(uintptr_t)1)
			st = NULL;
		goto fail;
	}
	{
		unsigned eno = 0;
		if (fence(db, &eno, err, errlen) == -1) {
			mysql_rollback(db->my);
			return -1;
		}
	}
	if (mysql_commit(db->my) != 0)
		goto fail;
	ap->result = DB_AP_CREATED;
	return 0;
fail:
	(void)last_errno(db, st, err, errlen);
	return tx_abandon(db);
}

int
db_ap_load(struct db *db, char ***ips, size_t *nips, struct db_tsig **keys, size_t *nkeys,
    char *err, size_t errlen)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	size_t		 n = 0;

	*ips = NULL;
	*keys = NULL;
	*nips = *nkeys = 0;
	if (query_retry(db, "SELECT DISTINCT ip FROM supermasters", QRES_STORE, &res,
	    "loading supermasters", err, errlen) == -1)
		return -1;
	*ips = xcalloc(mysql_num_rows(res) + 1, sizeof(**ips));
	while ((row = mysql_fetch_row(res)) != NULL)
		if (row[0] != NULL)
			(*ips)[n++] = xstrdup(row[0]);
	*nips = n;
	mysql_free_result(res);
	if (query_retry(db, "SELECT name, algorithm, secret FROM tsigkeys", QRES_STORE, &res,
	    "loading tsigkeys", err, errlen) == -1)
		return -1;
	*keys = xcalloc(mysql_num_rows(res) + 1, sizeof(**keys));
	n = 0;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL || row[2] == NULL)
			continue;
		(*keys)[n].keyname = xstrdup(row[0]);
		(*keys)[n].algorithm = xstrdup(row[1]);
		(*keys)[n].secret = xstrdup(row[2]);
		n++;
	}
	*nkeys = n;
	mysql_free_result(res);
	return 0;
}

/* ---- ha: the lease ---- */

/*
 * Run a statement with its parameters in order, as types says: 's' a
 * string, 'u' a uint64_t *.  Affected rows, or -1 with err.
 */
static long long
lease_exec(struct db *db, const char *sql, const char *types, char *err, size_t errlen,
    ...)
{
	MYSQL_BIND	 b[4];
	unsigned long	 len[4];
	my_bool		 nn[4] = { 0, 0, 0, 0 };
	MYSQL_STMT	*st = mysql_stmt_init(db->my);
	long long	 rows = -1;
	va_list		 ap;

	memset(b, 0, sizeof(b));
	va_start(ap, errlen);
	for (int k = 0; types[k] != '\0' && k < 4; k++) {
		if (types[k] == 's')
			bind_str(&b[k], &len[k], &nn[k], va_arg(ap, const char *));
		else
			bind_u64(&b[k], &nn[k], va_arg(ap, uint64_t *));
	}
	va_end(ap);
	if (st != NULL && mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) == 0 &&
	    mysql_stmt_bind_param(st, b) == 0 && mysql_stmt_execute(st) == 0)
		rows = (long long)mysql_stmt_affected_rows(st);
	else {
		snprintf(err, errlen, "%s", st ? mysql_stmt_error(st) : mysql_error(db->my));
		db->lease_errno = st ? mysql_stmt_errno(st) : mysql_errno(db->my);
	}
	if (st != NULL)
		mysql_stmt_close(st);
	return rows;
}

/*
 * A failed lease statement: a race lost to another node (a row lock here,
 * certification on Galera: 0, as if the lease were held), or -1 with err
 * saying what the operator can do about it.
 */
static int
lease_failed(struct db *db, char *err, size_t errlen)
{
	unsigned	 e = db->lease_errno;
	char		 why[256];

	db->lease_errno = 0;
	if (e == 0 && db->my != NULL)
		e = mysql_errno(db->my);
	if (db->my != NULL && err_is_conn(e)) {
		db_disconnect(db);
		return -1;
	}
	if (db->my != NULL)
		mysql_rollback(db->my);
	if (err_is_retry(e))
		return 0;
	util_strlcpy(why, err, sizeof(why));
	if (err_is_readonly(e))
		snprintf(err, errlen, "the database refuses writes (read_only: a replica?); "
		    "this node waits until it is writable: %s", why);
	else if (e == ER_NO_SUCH_TABLE)
		snprintf(err, errlen, "%s: load sql/pdns-refresher.sql", why);
	return -1;
}

int
db_lease_acquire(struct db *db, const char *node, const char *address, int lease_s,
    int nslots, uint64_t *epoch, char *err, size_t errlen)
{
	uint64_t	 lease = (uint64_t)lease_s, slot;
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	long long	 r;

	if (db_connect(db, err, errlen) == -1)
		return -1;
	if (mysql_query(db->my, "START TRANSACTION") != 0) {
		snprintf(err, errlen, "%s", mysql_error(db->my));
		return lease_failed(db, err, errlen);
	}
	r = lease_exec(db, "UPDATE refresher_lease SET holder = ?, address = ?, "
	    "epoch = epoch + 1, renewed = NOW(3), expires = NOW(3) + INTERVAL ? SECOND "
	    "WHERE id = 1 AND (holder = '' OR expires IS NULL OR expires < NOW(3))",
	    "ssu", err, errlen, node, address, &lease);
	if (r == -1)
		return lease_failed(db, err, errlen);
	if (r == 0) {
		mysql_rollback(db->my);
		return 0;
	}
	if (mysql_query(db->my, "SELECT epoch FROM refresher_lease WHERE id = 1") != 0 ||
	    (res = mysql_store_result(db->my)) == NULL) {
		snprintf(err, errlen, "%s", mysql_error(db->my));
		return lease_failed(db, err, errlen);
	}
	row = mysql_fetch_row(res);
	*epoch = row != NULL && row[0] != NULL ? strtoull(row[0], NULL, 10) : 0;
	mysql_free_result(res);
	for (slot = 0; slot < (uint64_t)nslots; slot++)
		if (lease_exec(db, "INSERT INTO refresher_fence (slot, epoch) VALUES (?, ?) "
		    "ON DUPLICATE KEY UPDATE epoch = VALUES(epoch)", "uu", err, errlen, &slot,
		    epoch) == -1)
			return lease_failed(db, err, errlen);
	/* slots of a larger pool before: moved too, so none keeps an old epoch */
	if (lease_exec(db, "UPDATE refresher_fence SET epoch = ? WHERE slot >= ?", "uu", err,
	    errlen, epoch, &slot) == -1)
		return lease_failed(db, err, errlen);
	/* on Galera, the COMMIT is where a node racing us loses (or we do) */
	if (mysql_commit(db->my) != 0) {
		snprintf(err, errlen, "%s", mysql_error(db->my));
		return lease_failed(db, err, errlen);
	}
	return 1;
}

/* Whether node holds the lease under epoch, unexpired: 1, 0, or -1. */
static int
lease_ours(struct db *db, const char *node, uint64_t epoch, char *err, size_t errlen)
{
	static const char sql[] = "SELECT COUNT(*) FROM refresher_lease WHERE id = 1 AND "
	    "holder = ? AND epoch = ? AND expires > NOW(3)";
	MYSQL_BIND	 b[2], out;
	unsigned long	 len;
	my_bool		 nn[2] = { 0, 0 };
	long long	 count = 0;
	MYSQL_STMT	*st = mysql_stmt_init(db->my);
	int		 rc = -1;

	bind_str(&b[0], &len, &nn[0], node);
	bind_u64(&b[1], &nn[1], &epoch);
	memset(&out, 0, sizeof(out));
	out.buffer_type = MYSQL_TYPE_LONGLONG;
	out.buffer = &count;
	if (st != NULL && mysql_stmt_prepare(st, sql, sizeof(sql) - 1) == 0 &&
	    mysql_stmt_bind_param(st, b) == 0 && mysql_stmt_execute(st) == 0 &&
	    mysql_stmt_bind_result(st, &out) == 0 && mysql_stmt_fetch(st) == 0)
		rc = count == 1;
	else
		snprintf(err, errlen, "%s", st ? mysql_stmt_error(st) : mysql_error(db->my));
	if (st != NULL)
		mysql_stmt_close(st);
	return rc;
}

int
db_lease_renew(struct db *db, const char *node, uint64_t epoch, int lease_s, char *err,
    size_t errlen)
{
	uint64_t	 lease = (uint64_t)lease_s;
	long long	 r;

	if (db_connect(db, err, errlen) == -1)
		return -1;
	r = lease_exec(db, "UPDATE refresher_lease SET renewed = NOW(3), "
	    "expires = NOW(3) + INTERVAL ? SECOND WHERE id = 1 AND holder = ? AND epoch = ?",
	    "usu", err, errlen, &lease, node, &epoch);
	if (r == 0)	/* changed nothing (the same millisecond): is it still ours? */
		r = lease_ours(db, node, epoch, err, errlen);
	if (r == -1) {		/* a lost race is no proof the lease is gone: -1 */
		lease_failed(db, err, errlen);
		return -1;
	}
	return r == 1;
}

int
db_lease_release(struct db *db, const char *node, uint64_t epoch, char *err, size_t errlen)
{
	long long	 r;

	if (db_connect(db, err, errlen) == -1)
		return -1;
	r = lease_exec(db, "UPDATE refresher_lease SET holder = '', expires = NULL, "
	    "renewed = NOW(3) WHERE id = 1 AND holder = ? AND epoch = ?", "su", err, errlen,
	    node, &epoch);
	if (r == -1) {
		lease_failed(db, err, errlen);
		return -1;
	}
	return r == 1;
}

int
db_lease_read(struct db *db, char *holder, size_t holderlen, char *err, size_t errlen)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	bool		 found;

	if (query_retry(db, "SELECT IF(expires IS NULL OR expires < NOW(3), '', holder) "
	    "FROM refresher_lease WHERE id = 1", QRES_STORE, &res, "reading the lease", err,
	    errlen) == -1)
		return lease_failed(db, err, errlen);
	row = mysql_fetch_row(res);
	util_strlcpy(holder, row != NULL && row[0] != NULL ? row[0] : "", holderlen);
	found = row != NULL;
	mysql_free_result(res);
	/* a table created without its row: add it, free */
	if (!found && mysql_query(db->my, "INSERT IGNORE INTO refresher_lease (id) VALUES (1)") != 0) {
		snprintf(err, errlen, "adding the lease row: %s", mysql_error(db->my));
		return lease_failed(db, err, errlen);
	}
	return 1;
}

/*
 * Whether the server this connection writes to is a safe place for the
 * lease.  A writable server that replicates from another (asynchronous
 * master-master) is not: the lease would be taken on both sides at once and
 * the two writers break replication.  A read-only replica is safe (the
 * lease cannot be taken there); so is a Galera node, where a two-member
 * cluster gets a warning in note (losing either member stops both).
 * 0 safe (note may say more), 1 unsafe (err says why), -1 error.
 */
int
db_topology(struct db *db, char *err, size_t errlen, char *note, size_t notelen)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	MYSQL_FIELD	*f;
	bool		 ro, wsrep;
	long		 members;
	int		 host = -1, port = -1, name = -1, rc = 0;

	note[0] = '\0';
	if (query_retry(db, "SELECT @@global.read_only, @@global.wsrep_on, IFNULL((SELECT "
	    "VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
	    "'WSREP_CLUSTER_SIZE'), 0)", QRES_STORE, &res, "reading the topology", err,
	    errlen) == -1)
		return -1;
	row = mysql_fetch_row(res);
	ro = row != NULL && row[0] != NULL && strcmp(row[0], "0") != 0;
	wsrep = row != NULL && row[1] != NULL && strcmp(row[1], "0") != 0;
	members = row != NULL && row[2] != NULL ? strtol(row[2], NULL, 10) : 0;
	mysql_free_result(res);
	if (wsrep) {
		if (members < 3)
			snprintf(note, notelen, "Galera cluster of %ld member%s: losing one "
			    "stops the cluster; add a third voter (garbd)", members,
			    members == 1 ? "" : "s");
		return 0;
	}
	if (ro) {
		snprintf(note, notelen, "the server is read-only (a replica?): this node "
		    "cannot take the lease until it is writable");
		return 0;
	}
	if (mysql_query(db->my, "SHOW ALL SLAVES STATUS") != 0 ||
	    (res = mysql_store_result(db->my)) == NULL) {
		if (mysql_errno(db->my) != ER_SPECIFIC_ACCESS_DENIED_ERROR &&
		    mysql_errno(db->my) != ER_DBACCESS_DENIED_ERROR &&
		    mysql_errno(db->my) != ER_ACCESS_DENIED_ERROR) {
			snprintf(err, errlen, "reading the replication status: %s",
			    mysql_error(db->my));
			return tx_abandon(db);
		}
		snprintf(note, notelen, "cannot tell whether this server replicates from "
		    "another (%s): grant SLAVE MONITOR to check it", mysql_error(db->my));
		return 0;
	}
	for (unsigned i = 0; i < mysql_num_fields(res); i++) {
		if ((f = mysql_fetch_field_direct(res, i)) == NULL)
			continue;
		if (strcmp(f->name, "Master_Host") == 0)
			host = (int)i;
		else if (strcmp(f->name, "Master_Port") == 0)
			port = (int)i;
		else if (strcmp(f->name, "Connection_name") == 0)
			name = (int)i;
	}
	if ((row = mysql_fetch_row(res)) != NULL) {
		snprintf(err, errlen, "this server is writable and replicates from %s:%s%s%s%s "
		    "(asynchronous replication): two writers on master-master replication "
		    "break it, so the lease is refused here; point mysql at the one "
		    "writable primary, or set read_only on this replica",
		    host >= 0 && row[host] ? row[host] : "?",
		    port >= 0 && row[port] ? row[port] : "?",
		    name >= 0 && row[name] && row[name][0] ? " (connection '" : "",
		    name >= 0 && row[name] ? row[name] : "",
		    name >= 0 && row[name] && row[name][0] ? "')" : "");
		rc = 1;
	}
	mysql_free_result(res);
	return rc;
}
