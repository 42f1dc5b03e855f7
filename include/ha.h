/*
 * ha: two nodes, one writer.  A lease in the database (refresher_lease),
 * taken and renewed by a thread of its own on its own connection; fencing
 * (refresher_fence) proves in every write transaction that its writer still
 * holds the epoch it wrote under.
 */
#ifndef HA_H
#define HA_H

#include <stdbool.h>
#include <stdint.h>

struct conf;
struct db_params;
struct event_base;

/* HA is configured (ha.node): writes are fenced, work waits for the lease. */
bool		 ha_on(void);
/* The epoch this node holds the lease under; 0 while it does not. */
uint64_t	 ha_epoch(void);
/* A writer's fence did not hold: the lease is gone; stop at once. */
void		 ha_lost(uint64_t epoch, const char *why);
/*
 * Start the lease thread (with ha.node set); the loop hears of each change
 * of role through cb, in the loop.
 */
typedef void	 ha_role_cb(bool leader);
void		 ha_start(struct event_base *, const struct conf *, const struct db_params *,
		    ha_role_cb *cb);
/* Stop the thread; a holder releases the lease (after the last write). */
void		 ha_stop(void);
/* For status and metrics. */
struct ha_info {
	bool		 on, leader;
	uint64_t	 epoch;
	int64_t		 since;		/* Unix seconds of the last change of role */
	uint64_t	 takeovers;	/* leases taken since start */
	char		 holder[64];	/* the holder as last seen, "" : none */
	char		 err[160];	/* the lease's last database error, "" none */
};
void		 ha_info(struct ha_info *);

#endif
