/*
 * domains: the SLAVE domain list.  Every domains-reload seconds the db
 * thread looks for new domains (above the highest id known); every
 * domains-rescan seconds, or on SIGHUP, it compares the whole list's
 * signature and loads it when it changed.  The merge adds zones, hands
 * changed master lists to the scheduler (a busy zone gets them when it is
 * idle again, so a change is never lost), and drops zones that are gone.
 */
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoprimary.h"
#include "conf.h"
#include "dbthread.h"
#include "domains.h"
#include "keys.h"
#include "log.h"
#include "sched.h"
#include "dnswire.h"
#include "stats.h"
#include "zstatus.h"
#include "util.h"
#include "zone.h"

#define RELOAD_RETRY_MS		5000

static struct {
	const struct conf	*conf;
	bool			 once, loaded, inflight, rescan_now;
	bool			 again;		/* new domains to look for after this load */
	bool			 resync;	/* ha takeover: every zone's SOA and
						 * last_check from the next whole load */
	char			*only_zone;
	struct event		*reload;
	char			 sig[96];	/* of the last whole list loaded */
	uint32_t		 max_id;	/* highest domains.id seen */
	uint32_t		 gen;		/* of the whole list: zones not in it go */
	bool			 merging;	/* parts of a load came, its end not yet */
	size_t			 added, changed;	/* by the load under way */
	int64_t			 rescan_at;	/* next whole-list comparison */
} D;

static void
reload_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	domains_request(false);
}

void
domains_init(struct event_base *base, const struct conf *c, bool once,
    const char *only_zone)
{
	D.conf = c;
	D.once = once || only_zone != NULL;
	if (only_zone != NULL) {
		D.only_zone = xstrdup(only_zone);
		zone_name_canon(D.only_zone);
	}
	D.reload = evtimer_new(base, reload_cb, NULL);
}

void
domains_set_conf(const struct conf *c)
{
	D.conf = c;
}

void
domains_stop(void)
{
	if (D.reload != NULL) {
		event_free(D.reload);
		D.reload = NULL;
	}
	free(D.only_zone);
	D.only_zone = NULL;
}

bool
domains_busy(void)
{
	return D.inflight;
}

bool
domains_ready(void)
{
	return D.loaded;
}

void
domains_request(bool rescan)
{
	struct dbreq	*r;

	if (rescan)
		D.rescan_now = true;
	if (D.inflight || sched_stopping())
		return;
	evtimer_del(D.reload);
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_LOAD;
	if (D.only_zone != NULL)
		r->only_name = xstrdup(D.only_zone);
	memcpy(r->sig, D.sig, sizeof(r->sig));
	if (D.resync)
		r->sig[0] = '\0';	/* the whole list, whatever its signature */
	r->max_id = D.max_id;
	r->rescan = D.rescan_now || util_now_ms() >= D.rescan_at;
	D.rescan_now = false;		/* a SIGHUP from now on asks again */
	D.inflight = true;
	dbthread_submit(r);
}

void
domains_resync(void)
{
	D.resync = true;
	if (D.inflight)
		D.again = true;		/* the load under way may predate the takeover */
	else
		domains_request(true);
}

void
domains_request_new(void)
{
	if (D.inflight)
		D.again = true;
	else
		domains_request(false);
}

static void
arm_reload(int64_t ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!D.once && !sched_stopping())
		evtimer_add(D.reload, &tv);
}

/* A master list; -1 (logged) if domains.master does not parse. */
static int
parse_masters(const char *zone, const char *text, struct master_addr *ma)
{
	char	 err[160];
	int	 n;

	if ((n = master_parse(text, ma, MASTER_MAX, err, sizeof(err))) == -1)
		log_warnx("zone %s: domains.master '%.60s': %s; zone skipped", zone,
		    text ? text : "", err);
	return n;
}

/* A domain row we cannot use (logged): with --once it is a zone not fresh. */
static void
zone_skipped(struct zone *z)
{
	if (D.once)
		stats.once_failed++;
	zone_free(z);
}

/*
 * When it is due: REFRESH after last_check, jittered to 90-100 % as every
 * later cycle is, so a mass start does not stay bunched; never checked or
 * without a SOA: now.
 */
static int64_t
first_due(struct zone *z, int64_t last_check, int64_t now_ms, time_t now_wall)
{
	const struct conf	*c = D.conf;
	int64_t			 age_ms, refresh_ms;

	if (!z->has_soa || last_check < 0)
		return now_ms;
	age_ms = ((int64_t)now_wall - last_check) * 1000;
	zone_set_last_ok(z, now_ms - age_ms);	/* may be before boot: negative */
	refresh_ms = zone_jitter_ms(z->refresh, c->min_refresh, c->max_refresh);
	return age_ms < refresh_ms ? now_ms + refresh_ms - age_ms : now_ms;
}

static void
zone_add(const struct db_domain *d, int64_t now_ms, time_t now_wall)
{
	struct zone		*z = zone_new(d->id, d->name);
	struct master_addr	 ma[MASTER_MAX];
	uint8_t			 wire[256];
	int			 n;

	/* What we cannot put in a question, we cannot refresh. */
	if (z->name[0] == '\0' || dnswire_name(z->name, wire, sizeof(wire)) == -1) {
		log_warnx("zone %s: domains.name is not a valid domain name; zone skipped",
		    z->name);
		zone_skipped(z);
		return;
	}
	if ((n = parse_masters(z->name, d->master, ma)) == -1) {
		zone_skipped(z);
		return;
	}
	zone_set_masters(z, ma, n);
	z->master_hash = util_strhash(d->master);
	if (d->soa != NULL) {
		if (zone_parse_soa(d->soa, &z->serial, &z->refresh, &z->retry,
		    &z->expire) == 0)
			zone_set_loaded(z);
		else
			log_warnx("zone %s: stored SOA '%.80s' does not parse; "
			    "treating the zone as never transferred", z->name, d->soa);
	}
	z->gen = D.gen;
	zone_table_add(z);
	keys_warn(z);		/* keys_update told of the zones it knew */
	{
		int64_t due = first_due(z, d->last_check, now_ms, now_wall);
		zstatus_resume(z, d, &due, now_ms, (int64_t)now_wall);
		sched_zone_added(z, due, D.only_zone != NULL);
	}
}

/*
 * ha takeover: what the other node wrote while this one waited (the stored
 * SOA, last_check) decides the zone's next check, as at a start.
 */
static void
zone_resync(struct zone *z, const struct db_domain *d, int64_t now_ms, time_t now_wall)
{
	if (d->soa != NULL && zone_parse_soa(d->soa, &z->serial, &z->refresh, &z->retry,
	    &z->expire) == 0 && !z->has_soa)
		zone_set_loaded(z);
	sched_zone_resync(z, first_due(z, d->last_check, now_ms, now_wall));
}

/* A known domain: the same zone, with new masters perhaps. */
static bool
zone_update(struct zone *z, const struct db_domain *d)
{
	struct master_addr	 ma[MASTER_MAX];
	uint32_t		 h = util_strhash(d->master);
	int			 n;

	z->gen = D.gen;
	if (z->master_hash == h)
		return false;
	z->master_hash = h;	/* the zone keeps it until it is applied */
	if ((n = parse_masters(z->name, d->master, ma)) == -1)
		return false;	/* the old list stays; logged */
	log_info("zone %s: masters changed to '%s'%s", z->name, d->master,
	    z->state == ZONE_TRANSFERRING || z->state == ZONE_WRITING ?
	    " (used after its transfer)" : "");
	sched_zone_masters(z, ma, n);
	return true;
}

static void
unseen_cb(struct zone *z, void *arg)
{
	size_t	*removed = arg;

	if (z->gen == D.gen)
		return;
	(*removed)++;
	log_info("zone %s: no longer a SLAVE domain; dropped", z->name);
	zstatus_removed(z->id);
	sched_zone_removed(z);
}

/*
 * Rows of a load: a part (more follow) or its end.  A whole list's zones
 * are marked with a new generation from its first part on; at its end the
 * zones left unmarked are gone.  A load that fails midway keeps the zones
 * its parts added and drops none.
 */
void
domains_merge(const struct db_domain *d, size_t n, bool partial, bool end)
{
	int64_t		 now_ms = sched_now();
	time_t		 now_wall = time(NULL);
	size_t		 removed = 0;
	bool		 first = !D.loaded;

	if (!partial && !D.merging)
		D.gen++;
	D.merging = !end;
	for (size_t i = 0; i < n; i++) {
		struct zone *z = zone_by_id(d[i].id);
		char name[256];

		util_strlcpy(name, d[i].name, sizeof(name));
		zone_name_canon(name);
		if (z != NULL && strcmp(z->name, name) != 0)
			z = NULL;	/* renamed: the old one goes as unseen */
		if (z == NULL) {
			zone_add(&d[i], now_ms, now_wall);
			D.added++;
			continue;
		}
		if (D.resync && !partial)
			zone_resync(z, &d[i], now_ms, now_wall);
		if (zone_update(z, &d[i]))
			D.changed++;
	}
	if (!end)
		return;
	if (!partial) {		/* only a whole list tells what is gone */
		zone_foreach(unseen_cb, &removed);
		if (D.resync)
			log_info("ha: every zone's next check taken from the database (%zu "
			    "zones)", zone_count());
		D.resync = false;
	}
	D.loaded = true;
	if (first)
		log_info("loaded %zu SLAVE domains (%zu masters), %zu due now",
		    zone_count(), master_count(), zone_counts.pending);
	else if (D.added + removed + D.changed > 0)
		log_info("domain list re-read: %zu added, %zu removed, %zu with new masters",
		    D.added, removed, D.changed);
	D.added = D.changed = 0;
}

/*
 * Rows and keys from r, a part of a load or its end.  A part is freed
 * here and now (the db thread is still reading: its pages are used again
 * for the next part); the end goes back to the db thread, which gives the
 * pages back off the event loop.
 */
static void
domains_take(struct dbreq *r)
{
	if (!sched_stopping()) {
		if (r->keys)	/* before the zones: their first checks use them */
			keys_update(r->tsig, r->ntsig, !r->partial);
		domains_merge(r->domains, r->ndomains, r->partial, !r->part);
	}
	if (r->part) {
		dbreq_free(r);
		dbthread_part_merged();
		return;
	}
	r->type = DBREQ_RELEASE;
	dbthread_submit(r);
}

static void
load_failed(const struct dbreq *r)
{
	log_err("cannot load the domain list: %s", r->err);
	stats_db(r->err);
	if (D.once) {
		stats.once_failed++;
		D.loaded = true;	/* nothing more will come */
		sched_shutdown();
	} else
		arm_reload(D.loaded ? D.conf->domains_reload_s * 1000 : RELOAD_RETRY_MS);
}

void
domains_loaded(struct dbreq *r)
{
	if (r->part) {
		zstatus_table(r->status_table);
		domains_take(r);
		return;
	}
	D.inflight = false;
	if (r->rc != 0) {
		D.merging = false;
		D.added = D.changed = 0;
		if (r->rescan)
			D.rescan_now = true;	/* still owed, with the next try */
		load_failed(r);
		dbreq_free(r);
		return;
	}
	stats_db(NULL);
	zstatus_table(r->status_table);
	D.max_id = r->max_id;
	if (r->rescan && r->only_name == NULL)
		D.rescan_at = util_now_ms() + (int64_t)D.conf->domains_rescan_s * 1000;
	if (r->unchanged) {
		log_debug("domain list unchanged (%s), %" PRId64 " ms",
		    r->rescan ? r->sig : "no new id", r->ms);
		dbreq_free(r);
	} else {
		log_debug("domain list: %zu %srows in %" PRId64 " ms", r->ndomains,
		    r->partial ? "new " : "", r->ms);
		if (!r->partial)
			memcpy(D.sig, r->sig, sizeof(D.sig));
		if (D.only_zone != NULL && r->ndomains == 0) {
			log_err("zone %s is not a SLAVE domain", D.only_zone);
			stats.once_failed++;
		}
		domains_take(r);
	}
	autoprimary_domains_loaded();
	if (D.rescan_now || D.again) {
		D.again = false;
		domains_request(false);	/* a SIGHUP or a new zone came during the load */
	}
	else
		arm_reload(D.conf->domains_reload_s * 1000);
}
