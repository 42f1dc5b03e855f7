/* dbthread: the main loop's MySQL work (domain loads, last_check batches). */
#ifndef DBTHREAD_H
#define DBTHREAD_H

#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "db.h"

enum dbreq_type {
	DBREQ_LOAD,
	DBREQ_LAST_CHECK,
	DBREQ_RELEASE,		/* free a finished load in the db thread; no answer */
	DBREQ_STATUS,		/* refresher_zone_status rows and deletions */
	DBREQ_AUTOPRIMARY,	/* create a zone for a supermaster's NOTIFY */
	DBREQ_AP_LOAD,		/* supermasters' addresses and tsigkeys */
};

struct dbreq {
	struct chan_node	 node;
	enum dbreq_type		 type;
	/* DBREQ_LOAD */
	char			*only_name;	/* NULL: every SLAVE domain */
	bool			 rescan;	/* compare the whole list, not only new ids */
	uint32_t		 max_id;	/* in: highest id known; out: now */
	char			 sig[96];	/* in: last signature; out: this one */
	bool			 unchanged;	/* out: same signature, nothing loaded */
	bool			 partial;	/* out: only domains above max_id loaded */
	bool			 part;		/* out: rows of a load under way; more follow */
	bool			 keys;		/* out: tsig, ntsig are the keys (full unless
						 * partial); the first part has them */
	int			 status_table;	/* out: refresher_zone_status there: 1, 0 */
	struct db_domain	*domains;	/* result, owned by the request */
	size_t			 ndomains;
	struct db_tsig		*tsig;		/* the TSIG keys, loaded with domains */
	size_t			 ntsig;
	/* DBREQ_LAST_CHECK; DBREQ_STATUS: ids to delete */
	uint32_t		*ids;
	int64_t			*times;
	size_t			 n;
	/* DBREQ_STATUS */
	struct db_status	*status;
	char			*strs;		/* the rows' strings */
	size_t			 nstatus;
	bool			 missing;	/* out: the table is gone */
	/* DBREQ_AUTOPRIMARY */
	struct db_ap		*ap;
	void			*arg;		/* the caller's */
	/* DBREQ_AP_LOAD: ips; the keys in tsig, ntsig */
	char			**ips;
	size_t			 nips;
	uint64_t		 epoch;		/* the ha lease at submit (dbthread_submit) */
	/* result */
	int			 rc;
	char			 err[256];
	int64_t			 ms;
};

/* Start the thread with its own connection, writing through fence row slot. */
void		 dbthread_start(const struct db_params *, int slot);
/* Descriptor that becomes readable when finished requests are waiting. */
int		 dbthread_fd(void);
/* Queue a request; the thread owns it until dbthread_done returns it. */
void		 dbthread_submit(struct dbreq *);
struct dbreq	*dbthread_done(void);
/* A part of a load (r->part) came back merged: the next may be sent. */
void		 dbthread_part_merged(void);
/* Finish every queued request, then stop and join. */
void		 dbthread_stop(void);
void		 dbreq_free(struct dbreq *);

#endif
