/*
 * dbthread: one thread with its own MySQL connection that runs what the
 * event loop needs from the database, so the loop never waits on MySQL.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dbthread.h"
#include "ha.h"
#include "log.h"
#include "util.h"

static int		 dbslot;
static pthread_t	 thread;
static bool		 running;
static struct chan	*reqs, *done;
static struct db_params	 dbp;

/*
 * --zone loads one row.  Otherwise a rescan compares the signature of the
 * whole list (one scan of domains) and loads it only if it changed; the
 * frequent check looks up the highest id and loads only domains above the
 * one we know (added since), so an idle daemon never scans the table.
 *
 * The TSIG keys come first, and the domains go to the loop in parts
 * (DB_LOAD_PART rows a statement, each part a request of its own with
 * r->part set; the first carries the keys): the first zones are checked
 * while the rest is read.  The loop merges a part a turn and checks zones
 * between parts, so it may fall behind: a part waits here while
 * PARTS_AHEAD are with the loop unmerged (with the whole list read ahead,
 * a pass where nothing changed peaked 15 MiB higher).  A list that came
 * in parts reads the keys again for its end, for a domain stored with its
 * key while the list was read.
 */
#define PARTS_AHEAD	2
static struct {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	int		 out;		/* parts put to done, not yet merged */
	bool		 stop;		/* nobody merges any more */
} parts = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };

static void	load_domains(struct db *, struct dbreq *);

/* Whether refresher_zone_status is there, looked at each full load. */
static int	have_status = -1;

/* Parts of a load as they come: each to the loop, the keys with the first. */
static void
load_part(struct db_domain *d, size_t n, void *arg)
{
	struct dbreq	*r = arg, *p = xcalloc(1, sizeof(*p));

	p->type = DBREQ_LOAD;
	p->part = true;
	p->partial = r->partial;
	p->status_table = r->status_table;
	p->domains = d;
	p->ndomains = n;
	p->keys = r->keys;
	p->tsig = r->tsig;
	p->ntsig = r->ntsig;
	r->keys = false;
	r->tsig = NULL;
	r->ntsig = 0;
	p->epoch = r->epoch;
	pthread_mutex_lock(&parts.mtx);
	while (parts.out >= PARTS_AHEAD && !parts.stop)
		pthread_cond_wait(&parts.cond, &parts.mtx);
	parts.out++;
	pthread_mutex_unlock(&parts.mtx);
	chan_put(done, &p->node);
}

/* The keys (above: only those of new domains), then the domains. */
static int
load_rows(struct db *db, struct dbreq *r, const char *only, uint32_t above)
{
	if (db_load_tsig(db, above, &r->tsig, &r->ntsig, r->err, sizeof(r->err)) == -1)
		return -1;
	r->keys = true;
	if (db_load_domains(db, only, above, have_status == 1,
	    only == NULL ? load_part : NULL, r, &r->domains, &r->ndomains, r->err,
	    sizeof(r->err)) == -1)
		return -1;
	if (r->keys)		/* no part took them */
		return 0;
	if (db_load_tsig(db, above, &r->tsig, &r->ntsig, r->err, sizeof(r->err)) == -1)
		return -1;
	r->keys = true;
	return 0;
}

static void
load_domains(struct db *db, struct dbreq *r)
{
	char	 sig[sizeof(r->sig)];
	uint32_t max;

	if (r->only_name != NULL || r->rescan || r->sig[0] == '\0' || have_status == -1) {
		int st = db_status_probe(db, r->err, sizeof(r->err));
		if (st == -1) {
			r->rc = -1;
			return;
		}
		have_status = st;
	}
	r->status_table = have_status;
	if (r->only_name != NULL) {
		r->rc = load_rows(db, r, r->only_name, 0);
		return;
	}
	if (!r->rescan && r->sig[0] != '\0') {
		if ((r->rc = db_max_domain_id(db, &max, r->err, sizeof(r->err))) != 0)
			return;
		if (max <= r->max_id) {
			r->unchanged = true;
			return;
		}
		r->partial = true;
		r->rc = load_rows(db, r, NULL, r->max_id);
		r->max_id = max;
		return;
	}
	if ((r->rc = db_domains_signature(db, sig, sizeof(sig), &max, r->err,
	    sizeof(r->err))) != 0)
		return;
	r->max_id = max;
	if (r->sig[0] != '\0' && strcmp(sig, r->sig) == 0) {
		r->unchanged = true;
		return;
	}
	if ((r->rc = load_rows(db, r, NULL, 0)) == 0)
		memcpy(r->sig, sig, sizeof(r->sig));
}

static void *
dbthread_main(void *arg)
{
	struct db		*db = db_new(&dbp);
	struct chan_node	*n;

	(void)arg;
	db_set_slot(db, dbslot);	/* its fence row (ha), after the workers' */
	while ((n = chan_get(reqs, true)) != NULL) {
		struct dbreq	*r = (struct dbreq *)n;
		int64_t		 start = util_now_ms();

		db_set_epoch(db, r->epoch);
		switch (r->type) {
		case DBREQ_LOAD:
			load_domains(db, r);
			break;
		case DBREQ_LAST_CHECK:
			r->rc = db_last_check(db, r->ids, r->times, r->n, r->err,
			    sizeof(r->err));
			break;
		case DBREQ_STATUS:
			r->rc = db_status_write(db, r->status, r->nstatus, r->ids, r->n,
			    &r->missing, r->err, sizeof(r->err));
			if (r->missing)
				have_status = 0;
			break;
		case DBREQ_AUTOPRIMARY:
			r->rc = db_autoprimary(db, r->ap, r->err, sizeof(r->err));
			break;
		case DBREQ_AP_LOAD:
			r->rc = db_ap_load(db, &r->ips, &r->nips, &r->tsig, &r->ntsig, r->err,
			    sizeof(r->err));
			break;
		case DBREQ_RELEASE:
			/* The list was built in this thread's malloc arena: free it
			 * here and give the pages back, off the event loop. */
			dbreq_free(r);
			malloc_trim(0);
			continue;
		}
		r->ms = util_now_ms() - start;
		chan_put(done, &r->node);
	}
	db_free(db);
	return NULL;
}

void
dbthread_start(const struct db_params *p, int slot)
{
	dbslot = slot;
	reqs = chan_new(false);
	done = chan_new(true);
	dbp = *p;
	if ((errno = pthread_create(&thread, NULL, dbthread_main, NULL)) != 0)
		fatal("pthread_create");
	running = true;
}

int
dbthread_fd(void)
{
	return chan_fd(done);
}

void
dbthread_submit(struct dbreq *r)
{
	r->epoch = ha_epoch();	/* its writes are fenced under the lease of now */
	chan_put(reqs, &r->node);
}

struct dbreq *
dbthread_done(void)
{
	return (struct dbreq *)chan_get(done, false);
}

void
dbthread_part_merged(void)
{
	pthread_mutex_lock(&parts.mtx);
	parts.out--;
	pthread_cond_signal(&parts.cond);
	pthread_mutex_unlock(&parts.mtx);
}

void
dbthread_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&parts.mtx);
	parts.stop = true;		/* a load's parts go unmerged from now on */
	pthread_cond_signal(&parts.cond);
	pthread_mutex_unlock(&parts.mtx);
	chan_close(reqs);
	pthread_join(thread, NULL);
	running = false;
}

void
dbreq_free(struct dbreq *r)
{
	if (r == NULL)
		return;
	free(r->only_name);
	db_domains_free(r->domains, r->ndomains);
	db_tsig_free(r->tsig, r->ntsig);
	free(r->ids);
	free(r->times);
	free(r->status);
	free(r->strs);
	free(r->ap);
	for (size_t i = 0; i < r->nips; i++)
		free(r->ips[i]);
	free(r->ips);
	free(r);
}
