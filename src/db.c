/*
 * db: all SQL.  Each thread owns one struct db (its own MYSQL*).  Values
 * from masters are always bound through prepared statements; the domain
 * name filter of --zone is escaped by the client library.
 */
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "util.h"

#define INS_LEVELS	9		/* multi-row inserts of 1, 2, 4 ... 256 rows */
#define INS_MAX		(1 << (INS_LEVELS - 1))
#define INS_COLS	8
#define TX_TRIES	5

struct db {
	struct db_params	 p;
	MYSQL			*my;
	MYSQL_STMT		*ins[INS_LEVELS];
	MYSQL_STMT		*lock, *del, *upd, *mdel, *mins;
	MYSQL_BIND		 b[INS_MAX * INS_COLS];
	unsigned long		 len[INS_MAX * INS_COLS];
	my_bool			 isnull[INS_MAX * INS_COLS];
	uint32_t		 u32[INS_MAX * 3];	/* domain_id, ttl, prio */
	int8_t			 i8[INS_MAX];		/* auth */
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
	MYSQL_STMT **stmts[] = { &db->lock, &db->del, &db->upd, &db->mdel, &db->mins };
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

int
db_load_domains(struct db *db, const char *only_name, struct db_domain **out,
    size_t *nout, char *err, size_t errlen)
{
	static const char base[] =
	    "SELECT d.id, d.name, d.master, d.last_check, "
	    "(SELECT r.content FROM records r WHERE r.domain_id = d.id AND "
	    "r.type = 'SOA' AND r.disabled = 0 LIMIT 1) "
	    "FROM domains d WHERE d.type = 'SLAVE'";
	char			*sql, *sb = NULL;
	MYSQL_RES		*res = NULL;
	MYSQL_ROW		 row;
	struct db_domain	*d = NULL;
	size_t			 n = 0, cap = 0, sblen = 0, sbcap = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if (db_connect(db, err, errlen) == -1)
		return -1;
	if (only_name != NULL) {
		size_t	 len = strlen(only_name);
		char	*esc = xmalloc(len * 2 + 1);
		mysql_real_escape_string(db->my, esc, only_name, (unsigned long)len);
		sql = xmalloc(sizeof(base) + len * 2 + 32);
		sprintf(sql, "%s AND d.name = '%s'", base, esc);
		free(esc);
	} else
		sql = xstrdup(base);
	rc = query_retry(db, sql, QRES_USE, &res, "loading domains", err, errlen);
	free(sql);
	if (rc == -1)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			d = xreallocarray(d, cap, sizeof(*d));
		}
		d[n].id = (uint32_t)strtoul(row[0], NULL, 10);
		d[n].name = (char *)strbuf_add(&sb, &sblen, &sbcap, row[1]);
		d[n].master = (char *)strbuf_add(&sb, &sblen, &sbcap, row[2]);
		d[n].last_check = row[3] ? strtoll(row[3], NULL, 10) : -1;
		d[n].soa = (char *)strbuf_add(&sb, &sblen, &sbcap, row[4]);
		n++;
	}
	if (mysql_errno(db->my) != 0) {
		snprintf(err, errlen, "loading domains: %s", mysql_error(db->my));
		mysql_free_result(res);
		free(d);
		free(sb);
		if (err_is_conn(mysql_errno(db->my)))
			db_disconnect(db);
		return -1;
	}
	mysql_free_result(res);
	if (d == NULL)
		d = xcalloc(1, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		d[i].name = strbuf_ptr(sb, d[i].name);
		d[i].master = strbuf_ptr(sb, d[i].master);
		d[i].soa = strbuf_ptr(sb, d[i].soa);
	}
	memset(&d[n], 0, sizeof(d[n]));
	d[n].name = sb;			/* the sentinel owns the strings */
	*out = d;
	*nout = n;
	return 0;
}

int
db_domains_signature(struct db *db, char *sig, size_t siglen, char *err, size_t errlen)
{
	static const char q[] = "SELECT COUNT(*), IFNULL(MAX(id), 0), "
	    "IFNULL(BIT_XOR(CRC32(CONCAT_WS(',', id, name, IFNULL(master, '')))), 0) "
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
	snprintf(sig, siglen, "%s/%s/%s", row[0], row[1] ? row[1] : "", row[2] ? row[2] : "");
	mysql_free_result(res);
	return 0;
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

/* Insert rows [from, from + 2^level) with one statement. */
static int
insert_chunk(struct db *db, uint32_t domain_id, const struct rr_set *set,
    size_t from, int level)
{
	size_t		 rows = (size_t)1 << level;
	MYSQL_STMT	*st = ins_stmt(db, level);

	if (st == NULL)
		return -1;
	for (size_t i = 0; i < rows; i++) {
		const struct rr_row	*r = &set->rows[from + i];
		size_t			 k = i * INS_COLS;
		bool			 ent = r->type == NULL;

		db->u32[i * 3] = domain_id;
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
	snprintf(err, errlen, "statement could not be prepared");
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

static enum db_rc
write_once(struct db *db, uint32_t domain_id, const struct rr_set *set,
    const struct rr_meta *meta, time_t last_check, unsigned *eno, char *err, size_t errlen)
{
	MYSQL_BIND	 b[2];
	my_bool		 nn[2] = { 0, 0 };
	uint32_t	 id = domain_id, lc = (uint32_t)last_check;
	MYSQL_STMT	*st = NULL;
	size_t		 done = 0;

	*eno = 0;
	if (mysql_query(db->my, "START TRANSACTION") != 0)
		goto fail;
	/* Lock the domain row: it must still be a SLAVE domain when we write. */
	st = stmt(db, &db->lock, "SELECT id FROM domains WHERE id = ? AND type = 'SLAVE' FOR UPDATE");
	bind_long(&b[0], &nn[0], &id, false, true);
	if (st == NULL || mysql_stmt_bind_param(st, b) != 0 ||
	    mysql_stmt_execute(st) != 0 || mysql_stmt_store_result(st) != 0)
		goto fail;
	if (mysql_stmt_num_rows(st) != 1) {
		mysql_stmt_free_result(st);
		mysql_rollback(db->my);
		snprintf(err, errlen, "domain %u is no longer a SLAVE domain", domain_id);
		return DB_GONE;
	}
	mysql_stmt_free_result(st);
	st = stmt(db, &db->del, "DELETE FROM records WHERE domain_id = ?");
	if (st == NULL || mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		goto fail;
	st = NULL;
	while (done < set->n) {
		int level = INS_LEVELS - 1;
		while (((size_t)1 << level) > set->n - done)
			level--;
		if (insert_chunk(db, domain_id, set, done, level) == -1) {
			st = db->ins[level];
			goto fail;
		}
		done += (size_t)1 << level;
	}
	if ((st = write_meta(db, domain_id, meta)) != NULL) {
		if (st == (MYSQL_STMT *)(uintptr_t)1)
			st = NULL;
		goto fail;
	}
	st = stmt(db, &db->upd, "UPDATE domains SET last_check = ? WHERE id = ?");
	bind_long(&b[0], &nn[0], &lc, false, false);
	bind_long(&b[1], &nn[1], &id, false, true);
	if (st == NULL || mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		goto fail;
	st = NULL;
	if (mysql_commit(db->my) != 0)
		goto fail;
	return DB_OK;
fail:
	*eno = last_errno(db, st, err, errlen);
	if (db->my != NULL && !err_is_conn(*eno))
		mysql_rollback(db->my);
	return DB_ERR;
}

enum db_rc
db_write_zone(struct db *db, uint32_t domain_id, const struct rr_set *set,
    const struct rr_meta *meta, time_t last_check, char *err, size_t errlen)
{
	enum db_rc	 rc = DB_ERR;
	unsigned	 eno = 0;

	for (int attempt = 0; attempt < TX_TRIES; attempt++) {
		if (attempt > 0)
			usleep((useconds_t)(50000u << attempt) + arc4random_uniform(50000));
		if (db_connect(db, err, errlen) == -1)
			continue;
		rc = write_once(db, domain_id, set, meta, last_check, &eno, err, errlen);
		if (rc != DB_ERR)
			return rc;
		if (err_is_conn(eno)) {
			/* the server rolled the transaction back when it lost us */
			db_disconnect(db);
			continue;
		}
		if (!err_is_retry(eno))
			return DB_ERR;
	}
	return rc;
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

int
db_last_check(struct db *db, const uint32_t *ids, const int64_t *times,
    size_t n, char *err, size_t errlen)
{
	char	*sql = xmalloc(64 + 256 * 12);
	size_t	 i = 0;
	int	 rc = 0;

	/* Integers only (ours, not a master's), grouped by time, 256 a statement. */
	while (i < n) {
		int64_t	 t = times[i];
		char	*p = sql + sprintf(sql, "UPDATE domains SET last_check = %lld WHERE id IN (",
		    (long long)t);
		size_t	 k = 0;
		for (; i < n && k < 256 && times[i] == t; i++, k++)
			p += sprintf(p, "%s%u", k ? "," : "", ids[i]);
		strcpy(p, ")");
		rc = query_retry(db, sql, QRES_NONE, NULL, "last_check update", err, errlen);
		if (rc == -1)
			break;
	}
	free(sql);
	return rc;
}
