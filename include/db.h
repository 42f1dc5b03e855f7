/* db: every SQL statement, connections, transactions, retries. */
#ifndef DB_H
#define DB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rr.h"

struct conf;

/* Connection settings, copied so a thread never reads the live config. */
struct db_params {
	char	*host, *socket, *user, *password, *name;
	int	 port;
};

/* One row of domains (type SLAVE) with its stored SOA content. */
struct db_domain {
	uint32_t	 id;
	char		*name;
	char		*master;	/* may be NULL */
	int64_t		 last_check;	/* -1 when NULL */
	char		*soa;		/* NULL when the zone has no SOA row */
	/* Its refresher_zone_status row, when that table is there and has one. */
	char		*st_state;	/* NULL: no row */
	char		*st_err, *st_err_master;
	uint32_t	 st_failures;
	int64_t		 st_last_check, st_err_time, st_next_check;	/* -1: NULL */
};

/* A refresher_zone_status row to write (NULL strings, -1 times: NULL). */
struct db_status {
	uint32_t	 id;
	const char	*state;
	int64_t		 last_check, last_success, err_time, next_check;
	const char	*err, *err_master;
	uint32_t	 failures;
};

/*
 * A domain's AXFR-MASTER-TSIG key (keyname NULL: none; algorithm NULL: not
 * in tsigkeys) and AXFR-SOURCE (NULL: none).
 */
struct db_tsig {
	uint32_t	 domain_id;
	char		*keyname;
	char		*algorithm;
	char		*secret;
	char		*source;
};

enum db_rc {
	DB_OK = 0,
	DB_ERR = -1,		/* failed; the transaction was rolled back */
	DB_GONE = -2,		/* the domain is no longer a SLAVE domain */
};

struct db;

void		 db_params_from_conf(struct db_params *, const struct conf *);
void		 db_params_free(struct db_params *);
/* Call once before any thread starts (mysql_library_init). */
void		 db_library_init(void);
/* The MariaDB client library's version, for --version. */
const char	*db_client_version(void);
/* A handle; it connects on first use and again after the server went away. */
struct db	*db_new(const struct db_params *);
void		 db_free(struct db *);
/* Connect now (if not connected); -1 with a message in err. */
int		 db_connect(struct db *, char *err, size_t errlen);
/* Check the tables and columns we use are there, as in the PowerDNS schema. */
int		 db_check_schema(struct db *, char *err, size_t errlen);

/*
 * Load SLAVE domains (only the one named, if only_name is not NULL; only
 * ids above above_id otherwise).  The caller owns the array and frees it
 * with db_domains_free.  With part not NULL, the rows are read
 * DB_LOAD_PART a statement and each full batch goes to part (it owns
 * them) as it comes; *out holds the last, short one.
 */
#define DB_LOAD_PART	8192
typedef void	 db_part_cb(struct db_domain *, size_t, void *);
int		 db_load_domains(struct db *, const char *only_name, uint32_t above_id,
		    bool with_status, db_part_cb *part, void *arg, struct db_domain **out,
		    size_t *n, char *err, size_t errlen);
/* Whether refresher_zone_status is there: 1 yes, 0 no, -1 error. */
int		 db_status_probe(struct db *, char *err, size_t errlen);
/*
 * Write status rows (insert or update) and delete the rows of ids del, in
 * one transaction.  -1 with the error; *missing when the table is gone.
 */
int		 db_status_write(struct db *, const struct db_status *, size_t n,
		    const uint32_t *del, size_t ndel, bool *missing, char *err,
		    size_t errlen);
/* The highest domains.id (0 for none): one lookup at the end of the index. */
int		 db_max_domain_id(struct db *, uint32_t *max, char *err, size_t errlen);
void		 db_domains_free(struct db_domain *, size_t);
/* Every domain's AXFR-MASTER-TSIG key with its tsigkeys row, and AXFR-SOURCE. */
int		 db_load_tsig(struct db *, uint32_t above, struct db_tsig **out, size_t *n,
		    char *err, size_t errlen);
void		 db_tsig_free(struct db_tsig *, size_t);
/*
 * A fingerprint of the SLAVE domain list (count, highest id, XOR of CRC32
 * over id, name and master): a re-read is skipped when it did not change.
 * max_id: the highest id of all domains, for db_max_domain_id checks.
 */
int		 db_domains_signature(struct db *, char *sig, size_t siglen,
		    uint32_t *max_id, char *err, size_t errlen);

/*
 * Autoprimary, as pdns 4.7's gmysql backend does it (superMasterBackend,
 * createSlaveDomain), in one transaction: the first NS name with a
 * supermasters row for ip gives the account; the masters are the ips of
 * the rows with that nameserver and account (else ip); a new SLAVE domain,
 * and AXFR-MASTER-TSIG for a signed NOTIFY.
 */
enum db_ap_result {
	DB_AP_CREATED,
	DB_AP_EXISTS,		/* a domain of that name is there already */
	DB_AP_NOMATCH,		/* no supermasters row for ip and an NS name */
};
struct db_ap {
	/* in */
	char		 name[256];	/* lowercase, no trailing dot */
	char		 ip[64];	/* the notifier, as pdns prints it */
	char		 keyname[256];	/* "" for an unsigned NOTIFY */
	char		 ns[2048];	/* NS names, NUL-separated, in answer order */
	int		 nns;
	/* out */
	enum db_ap_result result;
	uint32_t	 id;		/* the new domain's */
	char		 nameserver[256], account[64], masters[512];
};
int		 db_autoprimary(struct db *, struct db_ap *, char *err, size_t errlen);
/*
 * What the loop checks a NOTIFY for an unknown zone against: the addresses
 * in supermasters (strings, as stored) and every tsigkeys row.
 */
int		 db_ap_load(struct db *, char ***ips, size_t *nips, struct db_tsig **keys,
		    size_t *nkeys, char *err, size_t errlen);

/*
 * ha: the lease (sql/pdns-refresher.sql).  Each returns 1 (done), 0 (not:
 * someone else holds it, or ours is gone) or -1 with err.  acquire takes a
 * free or expired lease with a new epoch and moves the fence rows of
 * slots 0 .. nslots - 1 to it, in one transaction; renew and release are
 * compare-and-set on holder and epoch; read says who holds it ("" when
 * free or expired), adding the row to a table created without it.  A race
 * lost to another node (a lock, or Galera's certification) returns 0.
 */
int		 db_lease_acquire(struct db *, const char *node, const char *address,
		    int lease_s, int nslots, uint64_t *epoch, char *err, size_t errlen);
int		 db_lease_renew(struct db *, const char *node, uint64_t epoch, int lease_s,
		    char *err, size_t errlen);
int		 db_lease_release(struct db *, const char *node, uint64_t epoch, char *err,
		    size_t errlen);
int		 db_lease_read(struct db *, char *holder, size_t holderlen, char *err,
		    size_t errlen);
/*
 * Whether this server may hold the lease: 1 and err when it is a writable
 * asynchronous replica (master-master), 0 when safe (note: a warning, or
 * ""), -1 on error.
 */
int		 db_topology(struct db *, char *err, size_t errlen, char *note,
		    size_t notelen);
/* The fence row of this connection's writes (ha): workers 0 .. n-1, then the db thread. */
void		 db_set_slot(struct db *, int slot);
/* The lease epoch (ha_epoch) the work about to be written was begun under. */
void		 db_set_epoch(struct db *, uint64_t epoch);

/* One zone of a group write. */
struct db_write {
	uint32_t		 domain_id;
	const struct rr_set	*set;
	const struct rr_meta	*meta;		/* may be NULL */
	struct db_snap		*snap;		/* the stored rows as read, or NULL */
	enum db_rc		 rc;		/* out */
	char			*err;		/* out: why, when rc != DB_OK */
	size_t			 errlen;
	size_t			 written;	/* out: rows inserted; the rest were
						 * stored exactly so and kept */
};

/*
 * Replace the rows of n zones and set their last_check in one transaction
 * (one commit for all): lock the domain rows (a domain no longer SLAVE is
 * DB_GONE), delete the rows not stored exactly as they would be written,
 * insert the missing ones (multi-row), the DNSSEC metadata pdns would
 * change, update.  Retries deadlocks and lock waits; while the server is
 * gone, restarting or read-only it waits (up to 10 minutes, or until *stop)
 * and tries again, with one warning per outage.  Each zone stays all or
 * nothing: if the database refuses something, the group is rolled back and
 * every zone written alone, so only that zone fails.  A group that changes
 * many rows (not a big zone's) waits for the write turn (one such writer at
 * a time, waited for 2 s at most) for its deletes, inserts and updates; the
 * reads before them and the commit do not hold it.
 */
void		 db_write_zones(struct db *, struct db_write *, size_t n,
		    time_t last_check, const atomic_bool *stop);
/* Milliseconds writers have waited, in all, for the write turn. */
uint64_t	 db_turn_waited_ms(void);
/* The domain's DNSSEC state as pdns keeps it (domainmetadata, cryptokeys). */
int		 db_read_dnssec(struct db *, uint32_t domain_id, struct rr_had *,
		    char *err, size_t errlen);
/*
 * The stored rows of one zone as an IXFR read them: what the write compares
 * the new rows with instead of reading the zone again.  A row of the set
 * with ref r is stored row r - 1: only its auth, ordername and disabled
 * can differ from what would be written.
 */
struct db_snap_row {
	uint32_t	 id;
	uint32_t	 order;		/* ordername: offset in text, UINT32_MAX NULL */
	uint32_t	 name;		/* an ENT's name: offset in text */
	int8_t		 auth;
	bool		 ent;		/* an empty non-terminal */
	bool		 odd;		/* not as we would write it: never kept */
	bool		 used;		/* kept by the write being worked out */
};
struct db_snap {
	struct db_snap_row *rows;
	size_t		 n, cap;
	char		*text;
	size_t		 len, tcap;
	uint64_t	 ids;		/* XOR of the ids: the write checks the rows
					 * did not change meanwhile */
};
void		 db_snap_free(struct db_snap *);
/*
 * The domain's stored rows: all into snap, all but its empty non-terminals
 * into set (rr_set_add_row, with ref), for an IXFR to change; hint: about
 * how many there are (rr_set_reserve), 0 unknown; *rrsig: there are RRSIG
 * rows, *ordered: rows with an ordername.  0, -1 with err, -2 over the
 * set's budget.
 */
int		 db_read_rows(struct db *, uint32_t domain_id, size_t hint, struct rr_set *,
		    struct db_snap *, bool *rrsig, bool *ordered, char *err, size_t errlen);
/* Set last_check for many domains: ids[i] checked at times[i]. */
int		 db_last_check(struct db *, const uint32_t *ids, const int64_t *times,
		    size_t n, char *err, size_t errlen);

#endif
