/*
 * zstatus: refresher_zone_status, the panel's view of each zone.  Like
 * lastcheck: a list of domain ids with a flag on the zone, so a zone that
 * changes twice before the flush is written once, with what it is at the
 * flush; one batch in flight; a failed batch puts its zones back.  What a
 * zone's row last said is kept on the zone (st_code), so a check that
 * changed nothing writes nothing.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "dbthread.h"
#include "ha.h"
#include "log.h"
#include "sched.h"
#include "stats.h"
#include "util.h"
#include "zone.h"
#include "zstatus.h"

#define ZSTATUS_BATCH	4096		/* rows a request */

enum { ZS_NONE, ZS_OK, ZS_FAILING, ZS_EXPIRED, ZS_UNLOADED };
static const char *const zs_names[] = { "", "ok", "failing", "expired", "never-loaded" };

static struct {
	int		 present;	/* -1: not known yet */
	uint32_t	*ids, *del;
	size_t		 n, cap, ndel, delcap;
	bool		 inflight;
	struct log_rl	 errlog;
	bool		 said;
} Z = { .present = -1 };

static int
code_of(const struct zone *z)
{
	if (!z->has_soa)
		return ZS_UNLOADED;
	if (z->expired)
		return ZS_EXPIRED;
	return z->fails > 0 ? ZS_FAILING : ZS_OK;
}

void
zstatus_table(int present)
{
	if (present == Z.present)
		return;
	if (present == 1)
		log_info("table refresher_zone_status found: zone status is kept there for "
		    "panels, failing zones resume their backoff after a restart");
	else
		log_info("no table refresher_zone_status: zone status is kept in memory "
		    "only (pdns-refresher-control); sql/pdns-refresher.sql creates it");
	Z.present = present;
	if (present != 1) {		/* nothing to write any more */
		for (size_t i = 0; i < Z.n; i++) {
			struct zone *z = zone_by_id(Z.ids[i]);
			if (z != NULL)
				z->in_st = false;
		}
		Z.n = Z.ndel = 0;
	}
}

bool
zstatus_enabled(void)
{
	return Z.present == 1;
}

static void
push(struct zone *z)
{
	if (z->in_st)
		return;
	if (Z.n == Z.cap) {
		Z.cap = Z.cap ? Z.cap * 2 : 1024;
		Z.ids = xreallocarray(Z.ids, Z.cap, sizeof(*Z.ids));
	}
	Z.ids[Z.n++] = z->id;
	z->in_st = true;
}

void
zstatus_touch(struct zone *z)
{
	if (Z.present != 1)
		return;
	if (code_of(z) != z->st_code || z->fails > 0)
		push(z);
}

void
zstatus_removed(uint32_t id)
{
	if (Z.present != 1)
		return;
	if (Z.ndel == Z.delcap) {
		Z.delcap = Z.delcap ? Z.delcap * 2 : 256;
		Z.del = xreallocarray(Z.del, Z.delcap, sizeof(*Z.del));
	}
	Z.del[Z.ndel++] = id;
}

void
zstatus_resume(struct zone *z, const struct db_domain *d, int64_t *due, int64_t now_ms,
    int64_t now_wall)
{
	if (d->st_state == NULL)
		return;
	for (int c = ZS_OK; c <= ZS_UNLOADED; c++)
		if (strcmp(d->st_state, zs_names[c]) == 0)
			z->st_code = (uint8_t)c;
	if (d->st_last_check > 0)
		z->checked_at = (uint32_t)d->st_last_check;
	if (d->st_failures == 0)
		return;
	/* It was failing: the same count, the same error, the same next check. */
	zone_set_fails(z, d->st_failures > UINT16_MAX ? UINT16_MAX : (uint16_t)d->st_failures);
	z->result = ZR_FAILED;
	if (d->st_err != NULL) {
		if (z->err == NULL)
			z->err = xcalloc(1, sizeof(*z->err));
		z->err->time = d->st_err_time > 0 ? d->st_err_time : 0;
		util_strlcpy(z->err->master, d->st_err_master ? d->st_err_master : "",
		    sizeof(z->err->master));
		util_strlcpy(z->err->reason, d->st_err, sizeof(z->err->reason));
	}
	if (d->st_next_check > now_wall) {
		int64_t at = now_ms + (d->st_next_check - now_wall) * 1000;
		if (at > *due)
			*due = at;
	}
}

void
zstatus_flush(void)
{
	struct dbreq	*r;
	size_t		 k = 0, take, slen = 0;
	int64_t		 now_wall = (int64_t)time(NULL);
	char		*sp;

	if (Z.present != 1 || Z.inflight || (Z.n == 0 && Z.ndel == 0))
		return;
	take = Z.n < ZSTATUS_BATCH ? Z.n : ZSTATUS_BATCH;
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_STATUS;
	r->status = xcalloc(take + 1, sizeof(*r->status));
	for (size_t i = Z.n - take; i < Z.n; i++) {
		struct zone *z = zone_by_id(Z.ids[i]);
		if (z != NULL && z->err != NULL)
			slen += strlen(z->err->reason) + strlen(z->err->master) + 2;
	}
	r->strs = sp = xmalloc(slen + 1);
	for (size_t i = Z.n - take; i < Z.n; i++) {
		struct zone		*z = zone_by_id(Z.ids[i]);
		struct db_status	*s = &r->status[k];
		int			 code;

		if (z == NULL || !z->in_st)
			continue;
		z->in_st = false;
		code = code_of(z);
		s->id = z->id;
		s->state = zs_names[code];
		s->last_check = z->checked_at ? (int64_t)z->checked_at : -1;
		s->last_success = z->last_ok == ZONE_NEVER ? -1 : sched_wall(z->last_ok);
		s->failures = z->fails;
		s->next_check = z->state == ZONE_IDLE ? sched_wall(z->due.at) :
		    z->state == ZONE_DONE ? -1 : now_wall;
		s->err_time = -1;
		if (z->err != NULL) {	/* copied: the zone may change or go meanwhile */
			s->err = sp;
			sp = stpcpy(sp, z->err->reason) + 1;
			s->err_master = sp;
			sp = stpcpy(sp, z->err->master) + 1;
			s->err_time = z->err->time;
		}
		z->st_code = (uint8_t)code;
		k++;
	}
	Z.n -= take;
	r->nstatus = k;
	r->ids = Z.del;
	r->n = Z.ndel;
	Z.del = NULL;
	Z.ndel = Z.delcap = 0;
	if (k == 0 && r->n == 0) {
		dbreq_free(r);
		return;
	}
	Z.inflight = true;
	dbthread_submit(r);
}

void
zstatus_drop(void)
{
	for (size_t i = 0; i < Z.n; i++) {
		struct zone *z = zone_by_id(Z.ids[i]);
		if (z != NULL) {
			z->in_st = false;
			z->st_code = ZS_NONE;	/* written again at our next tenure */
		}
	}
	Z.n = Z.ndel = 0;
}

void
zstatus_done(struct dbreq *r, bool finishing)
{
	Z.inflight = false;
	if (r->rc != 0 && !r->missing && ha_on() && r->epoch != ha_epoch())
		return;		/* of an earlier tenure: the holder writes its own */
	stats_db(r->rc == 0 ? NULL : r->err);
	if (r->rc == 0) {
		log_debug("refresher_zone_status: %zu rows written, %zu deleted in %" PRId64
		    " ms", r->nstatus, r->n, r->ms);
		if (Z.said) {
			log_info("refresher_zone_status written again");
			Z.said = false;
		}
		if (Z.n > 0 && !finishing)
			zstatus_flush();	/* the rest of a big change, at once */
		return;
	}
	if (r->missing) {
		log_warnx("refresher_zone_status is gone: %s; zone status in memory only", r->err);
		zstatus_table(0);
		return;
	}
	if (finishing) {
		log_warnx("refresher_zone_status not written for %zu zones at exit: %s",
		    r->nstatus, r->err);
		return;
	}
	for (size_t i = 0; i < r->nstatus; i++) {	/* again with the next flush */
		struct zone *z = zone_by_id(r->status[i].id);
		if (z != NULL) {
			z->st_code = ZS_NONE;
			push(z);
		}
	}
	for (size_t i = 0; i < r->n; i++)
		zstatus_removed(r->ids[i]);
	Z.said = true;
	log_ratelimited(&Z.errlog, util_now_ms(), 60000, "refresher_zone_status not written "
	    "for %zu zones (kept for the next try): %s", r->nstatus, r->err);
}

bool
zstatus_busy(void)
{
	return Z.inflight;
}
