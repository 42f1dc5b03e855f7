/* xfr: transfer worker pool, AXFR over TCP with limits, transfer validation. */
#ifndef XFR_H
#define XFR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "db.h"
#include "master.h"
#include "tsig.h"
#include "rr.h"

struct xfr_limits {
	int	 idle_ms;		/* no byte from the master for this long */
	int	 total_ms;		/* whole transfer, conversion included */
	long	 max_records;
	long	 max_bytes;		/* wire bytes */
	size_t	 max_mem;		/* conversion's memory (rr_budget) */
	int	 max_iterations;	/* NSEC3PARAM; -1 no limit */
	long	 min_rate;		/* bytes/s on average after grace_ms; 0 off */
	int	 grace_ms;
};

/* transfer.max-memory as configured, or derived from max-bytes (0). */
struct conf;
size_t		 xfr_max_mem(const struct conf *);

enum xfr_status {
	XFR_OK,			/* written */
	XFR_NOTNEWER,		/* the AXFR's serial is not newer than ours: not written */
	XFR_FAILED,		/* the transfer failed: nothing written */
	XFR_DBFAILED,		/* the database refused: rolled back, old rows stay */
	XFR_GONE,		/* the domain disappeared meanwhile: nothing written */
	XFR_ABORTED,		/* shutdown: nothing written */
	XFR_LOCAL,		/* this host is out of sockets or memory: try again soon */
};

/* How the zone came (what the log and the counters say). */
enum xfr_how {
	XFR_BY_AXFR,		/* asked for the whole zone */
	XFR_BY_IXFR,		/* deltas, applied to the stored rows */
	XFR_BY_IXFR_FULL,	/* asked IXFR, got the whole zone (AXFR-style) */
	XFR_BY_FALLBACK,	/* IXFR did not do (ixfr_why): AXFR */
};

/* A job's node in the pool's queues; which one it is never changes. */
struct xfr_node {
	struct chan_node	 node;
	bool			 fetched;
};

struct xfr_job {
	struct xfr_node		 done;		/* first; handed back when finished */
	struct xfr_node		 fetched;	/* handed back before, when the master is
						 * done and only the write is left */
	/* in */
	uint32_t		 domain_id;
	char			*zone;
	struct master_addr	 ma;
	bool			 have_serial;
	uint32_t		 old_serial;
	struct xfr_limits	 lim;
	bool			 dnssec;	/* gmysql-dnssec semantics */
	bool			 tsig;		/* sign with key, verify the answer */
	struct tsig_key		 key;
	bool			 has_src;	/* AXFR-SOURCE: bind to src first */
	struct master_addr	 src;
	void			*arg;		/* the caller's, untouched */
	bool			 rediscover;	/* written: pdns must learn of the zone */
	uint64_t		 epoch;		/* the ha lease it was begun under */
	bool			 ixfr;		/* ask IXFR from old_serial first */
	size_t			 rows_hint;	/* about the rows it had (rounded up), 0 */
	struct dnsmsg		*udp;		/* IXFR: the check's answer over UDP
						 * (TSIG verified), tried before TCP */
	/* out */
	uint8_t			 how;		/* enum xfr_how */
	bool			 by_udp;	/* all of it came with the check */
	bool			 ixfr_refused;	/* NOTIMP, FORMERR, SOA only: no IXFR there */
	char			 ixfr_why[160];	/* why IXFR did not do */
	size_t			 deltas, changes;	/* IXFR: versions, records changed */
	int64_t			 deadline;	/* util_now_ms() the whole job ends */
	enum xfr_status		 status;
	bool			 limit;		/* failed by breaking a limit */
	bool			 kept;		/* its connection went back to the pool */
	char			 err[256];
	uint32_t		 serial, refresh, retry, expire;
	size_t			 records, rows, rows_kept, dropped, bytes, ents_dropped;
	char			 dropped_example[128];
	int64_t			 ms;
	int64_t			 commit_ms;	/* its group's write */
};

/* Start n workers, each with its own DB connection. */
void		 xfr_start(int n, const struct db_params *);
/* pdns's control socket to purge a zone's cache entries after its write ("" off). */
void		 xfr_set_purge(const char *path);
/* Whether pdns's control socket can take the zone's name in a purge line. */
bool		 xfr_purge_name_ok(const char *zone);
/* Descriptor that becomes readable when finished jobs are waiting. */
int		 xfr_fd(void);
/* Hand a job to the pool; the pool owns it until xfr_done returns it. */
void		 xfr_submit(struct xfr_job *);
/*
 * A job handed back, or NULL.  With *fetched false it is finished and the
 * caller owns it; with *fetched true its transfer is over and it waits for a
 * group commit: the pool still owns it and hands it back again when written.
 */
struct xfr_job	*xfr_done(bool *fetched);
/* Transfer connections opened, and kept ones used again, since start. */
void		 xfr_conn_counts(unsigned long *opened, unsigned long *reused);
/* Make transfers still on the network give up (a transaction under way finishes). */
void		 xfr_abort(void);
/* Abort transfers in progress (not transactions), stop and join the workers. */
void		 xfr_stop(void);
/* A job for zone id at ma, with the limits of c and the zone's key and source. */
struct keys_entry;
struct xfr_job	*xfr_job_new(const struct conf *c, uint32_t id, const char *zone,
		    const struct master_addr *ma, bool have_serial, uint32_t serial,
		    const struct keys_entry *, void *arg);
void		 xfr_job_free(struct xfr_job *);

/*
 * Run a job's network part and validation into set (used by workers and
 * tests); with delta an IXFR from job->old_serial, whose deltas go there
 * (an AXFR-style answer to set).  0, 1 (IXFR: the master has our serial),
 * or -1 (failed), -2 (stop requested), -3 (no socket here), -4 (IXFR did
 * not do, why in job->err: try AXFR).
 */
int		 xfr_fetch(struct xfr_job *, struct rr_set *set, struct rr_set *delta,
		    const atomic_bool *stop);

#endif
