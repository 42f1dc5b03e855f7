/*
 * lastcheck: domains.last_check for zones whose serial did not change,
 * written in batches by the db thread, one batch in flight at a time.  A
 * zone is in the batch at most once (with its latest time), so what waits
 * while the database is away is bounded by the zone count.
 */
#ifndef LASTCHECK_H
#define LASTCHECK_H

#include <stdbool.h>
#include <time.h>

struct zone;
struct dbreq;

/* z was checked at wall time t. */
void	lastcheck_add(struct zone *, time_t t);
/* Hand the batch to the db thread, unless one is in flight or it is empty. */
void	lastcheck_flush(void);
/* The db thread's answer; a batch the database did not take waits for the
 * next flush.  finishing: the daemon exits, so say what is lost. */
void	lastcheck_done(struct dbreq *, bool finishing);
/*
 * ha: this node stepped down.  What waits is dropped, and so is a batch in
 * flight should it fail: the holder writes its own; ours would be written
 * at our next tenure, over newer times.
 */
void	lastcheck_drop(void);
bool	lastcheck_busy(void);
/* Zones waiting for the next batch. */
size_t	lastcheck_waiting(void);

#endif
