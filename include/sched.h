/*
 * sched: what the event loop decides.  Due zones queue on their master;
 * masters with work take turns within every rate and in-flight limit, the
 * urgent lane (NOTIFY) first; results move zones on.  Every outside effect
 * goes through struct sched_ops, so the unit tests run it on a fake clock.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "keys.h"
#include "master.h"
#include "soa.h"
#include "xfr.h"
#include "zone.h"

struct conf;

struct sched_ops {
	int64_t	 (*now)(void);			/* monotonic ms */
	void	 (*arm)(int64_t at);		/* run sched_tick() at at (or now) */
	/* Start z's SOA query at m; NULL with errno when it could not be sent.
	 * The result comes back through sched_soa_done(). */
	/* ixfr: ask IXFR from the zone's serial (soa_ixfr_query_start) */
	void	*(*soa_start)(struct zone *, struct master *, const struct keys_entry *,
		    bool ixfr);
	void	 (*soa_cancel)(void *);
	void	 (*xfr_submit)(struct xfr_job *);	/* back via sched_xfr_* */
};

void	 sched_init(const struct sched_ops *, const struct conf *, bool once,
	    int sock_cap);
void	 sched_set_conf(const struct conf *);
/* The scheduler's clock (ops->now). */
int64_t	 sched_now(void);
/* A time of the scheduler's clock as Unix seconds. */
int64_t	 sched_wall(int64_t at);
/* The configuration in use. */
const struct conf *sched_conf(void);
/* Start what is due and admitted now; arms the next tick. */
void	 sched_tick(void);

/* Results. */
void	 sched_soa_done(struct zone *, const struct soa_result *);
/* The transfer is over and the zone waits in a group commit. */
void	 sched_xfr_fetched(struct xfr_job *);
/* The job is finished (written or not); the caller frees it after. */
void	 sched_xfr_done(struct xfr_job *);

/* The domain list (domains.c). */
void	 sched_zone_added(struct zone *, int64_t due, bool now_anyway);
void	 sched_zone_removed(struct zone *);
void	 sched_zone_masters(struct zone *, const struct master_addr *, int n);

/* A NOTIFY for z from its master idx (-1: a trusted relay or a key holder). */
void	 sched_notify(struct zone *, int idx);
/*
 * An operator asks (pdns-refresher-control refresh, retransfer): check z now
 * in the urgent lane, at master idx if >= 0; a zone being checked is checked
 * again right after.  False when stopping.
 */
bool	 sched_check_now(struct zone *, int idx);

/*
 * ha: standby (another node holds the lease): no query, transfer or timer
 * runs until it is cleared; a takeover resyncs each zone's next check
 * from the database first (sched_zone_resync: busy zones go on as they are).
 */
void	 sched_set_standby(bool);
bool	 sched_standby(void);
void	 sched_zone_resync(struct zone *, int64_t due);
/* Stop: cancel queries, drop queues; transfers under way finish. */
void	 sched_shutdown(void);
bool	 sched_stopping(void);
/* Nothing left to do: stopping, or --once with no zone pending; and
 * nothing in flight. */
bool	 sched_done(void);

#endif
