/*
 * lastcheck: batched domains.last_check.  The batch is a list of domain
 * ids; each zone carries its time and a flag that it is listed, so a zone
 * checked again before the flush costs nothing and the list never holds a
 * zone twice.  One flush is in flight at a time; a failed one puts its
 * zones back (those not listed again meanwhile) with one warning a minute.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "dbthread.h"
#include "ha.h"
#include "lastcheck.h"
#include "log.h"
#include "stats.h"
#include "util.h"
#include "zone.h"

static uint32_t		*ids;
static size_t		 n, cap;
static bool		 inflight;
static struct log_rl	 errlog;
static uint64_t		 failed;	/* updates that failed since the last warning */

static void
push(struct zone *z)
{
	if (z->in_lc)
		return;
	if (n == cap) {
		cap = cap ? cap * 2 : 1024;
		ids = xreallocarray(ids, cap, sizeof(*ids));
	}
	ids[n++] = z->id;
	z->in_lc = true;
}

void
lastcheck_add(struct zone *z, time_t t)
{
	z->lc_time = (uint32_t)t;
	push(z);
}

void
lastcheck_flush(void)
{
	struct dbreq	*r;
	size_t		 k = 0;

	if (inflight || n == 0)
		return;
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_LAST_CHECK;
	r->ids = xreallocarray(NULL, n, sizeof(*r->ids));
	r->times = xreallocarray(NULL, n, sizeof(*r->times));
	for (size_t i = 0; i < n; i++) {
		struct zone *z = zone_by_id(ids[i]);
		if (z == NULL || !z->in_lc)
			continue;	/* removed meanwhile */
		z->in_lc = false;
		r->ids[k] = z->id;
		r->times[k++] = z->lc_time;
	}
	n = 0;
	if (k == 0) {
		dbreq_free(r);
		return;
	}
	r->n = k;
	inflight = true;
	dbthread_submit(r);
}

void
lastcheck_drop(void)
{
	for (size_t i = 0; i < n; i++) {
		struct zone *z = zone_by_id(ids[i]);
		if (z != NULL)
			z->in_lc = false;
	}
	if (n > 0)
		log_info("ha: last_check of %zu zones dropped: the lease holder writes its "
		    "own", n);
	n = 0;
}

void
lastcheck_done(struct dbreq *r, bool finishing)
{
	size_t	 back = 0;

	inflight = false;
	if (r->rc != 0 && ha_on() && r->epoch != ha_epoch()) {
		log_info("ha: last_check of %zu zones not written and dropped: %s", r->n,
		    r->err);
		return;		/* a batch of an earlier tenure: never again */
	}
	stats_db(r->rc == 0 ? NULL : r->err);
	if (r->rc == 0) {
		log_debug("last_check written for %zu zones in %" PRId64 " ms", r->n, r->ms);
		if (errlog.last != 0) {
			log_info("last_check written again (%" PRIu64 " updates failed "
			    "meanwhile)", failed);
			errlog.last = 0;
			errlog.held = 0;
			failed = 0;
		}
		return;
	}
	if (finishing) {
		log_warnx("last_check not written for %zu zones at exit: %s; they are "
		    "checked again after a restart", r->n, r->err);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct zone *z = zone_by_id(r->ids[i]);
		if (z == NULL || z->in_lc)
			continue;	/* gone, or listed again with a newer time */
		z->lc_time = (uint32_t)r->times[i];
		push(z);
		back++;
	}
	failed += r->n;
	log_ratelimited(&errlog, util_now_ms(), 60000, "last_check not written for %zu "
	    "zones (%zu kept for the next try, %zu held in all): %s", r->n, back, n,
	    r->err);
}

bool
lastcheck_busy(void)
{
	return inflight;
}

size_t
lastcheck_waiting(void)
{
	return n;
}
