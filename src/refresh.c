/*
 * refresh: everything the event loop decides.  Zones wait in the timer heap,
 * become ready and queue on their current master; masters with work and
 * capacity take turns (round robin) within the global and per-master rates
 * and in-flight limits.  A newer serial queues a transfer on that master;
 * transfers go to the pool within the worker count and per-master limit.
 * Only this thread touches zones, masters and timers.
 */
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "dbthread.h"
#include "log.h"
#include "notify.h"
#include "refresh.h"
#include "soa.h"
#include "tsig.h"
#include "util.h"
#include "xfr.h"
#include "zone.h"

#define ERRLOG_WINDOW_MS	60000	/* one warning per master per window */
#define DOWNLOG_MS		3600000	/* a paused master: a reminder an hour */
#define LC_HOLD_MAX		4000000	/* last_check updates held while the DB is away */
#define RELOAD_RETRY_MS		5000
#define PROGRESS_MS		10000	/* progress line while a backlog drains */
#define PROGRESS_MIN_BACKLOG	100	/* ... of at least this many zones */
#define STATS_MS		600000	/* counters line */
#define LOCAL_ERR_PAUSE_MS	200	/* out of sockets: wait before the next query */

static const char *const state_names[] = {
	"waiting", "ready", "querying", "xfr-wait", "transferring", "done",
};

static struct {
	struct event_base	*base;
	const struct conf	*conf;
	bool			 once, stopping, finishing, loaded;
	char			*only_zone;
	struct event		*tick, *reload, *flush, *ev_xfr, *ev_db, *stats;
	struct master_list	 runnable, xrunnable;
	double			 tokens;
	int64_t			 tokens_at, started, local_err_log;
	int64_t			 prog_at, stats_at;
	uint64_t		 prog_checks;
	int			 sock_cap;	/* SOA sockets the fd limit leaves us */
	struct event		*xfr_pause;
	int			 soa_inflight, xfr_inflight, xfr_writing, db_inflight;
	bool			 load_inflight;
	char			 domains_sig[96];	/* of the last list loaded */
	uint32_t		 max_id;		/* highest domains.id seen */
	int64_t			 rescan_at;		/* next whole-list comparison */
	bool			 rescan_now;
	size_t			 pending;	/* zones ready .. transferring */
	uint32_t		*lc_ids;
	int64_t			*lc_times;
	size_t			 lc_n, lc_cap;
	int64_t			 lc_err_log;	/* last warning about failed flushes */
	uint64_t		 lc_failed;	/* updates that failed since */
	/* counters since start */
	uint64_t		 checks, unchanged, transfers, failures, xfr_failures;
	uint64_t		 notifies;	/* NOTIFYs accepted */
	int64_t			 notify_log;	/* last warning about refused NOTIFYs */
	uint64_t		 notify_refused;
	uint64_t		 rows_written, once_failed;
} S;

static void	dispatch_cb(evutil_socket_t, short, void *);
static void	zone_fail(struct zone *, const char *why, bool next_master);
static void	xfr_dispatch(void);
static void	check_finished(void);

static void
kick(void)
{
	if (S.tick != NULL)
		event_active(S.tick, EV_TIMEOUT, 0);
}

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval	 tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static bool
state_pending(int st)
{
	return st >= ZONE_READY && st <= ZONE_TRANSFERRING;
}

/* The one place a zone's state changes. */
static void
set_state(struct zone *z, enum zone_state st)
{
	if (state_pending(z->state) && !state_pending(st))
		S.pending--;
	else if (!state_pending(z->state) && state_pending(st))
		S.pending++;
	log_debug("zone %s: %s -> %s", z->name, state_names[z->state], state_names[st]);
	z->state = st;
}

static struct master *
cur_master(const struct zone *z)
{
	return z->masters[z->cur];
}

static void
runnable_add(struct master *m)
{
	if (m->in_runnable || m->sleeping || m->down || TAILQ_EMPTY(&m->ready))
		return;
	TAILQ_INSERT_TAIL(&S.runnable, m, run);
	m->in_runnable = true;
}

static void
runnable_del(struct master *m)
{
	if (!m->in_runnable)
		return;
	TAILQ_REMOVE(&S.runnable, m, run);
	m->in_runnable = false;
}

static void
xrunnable_add(struct master *m)
{
	if (m->in_xfr_runnable || TAILQ_EMPTY(&m->xfrwait))
		return;
	TAILQ_INSERT_TAIL(&S.xrunnable, m, xrun);
	m->in_xfr_runnable = true;
}

static void
xrunnable_del(struct master *m)
{
	if (!m->in_xfr_runnable)
		return;
	TAILQ_REMOVE(&S.xrunnable, m, xrun);
	m->in_xfr_runnable = false;
}

/* Token bucket: rate per second, burst of a tenth of a second (at least 1). */
static void
refill(double *tokens, int64_t *at, int rate, int64_t now)
{
	double	 burst = rate / 10.0 < 1 ? 1 : rate / 10.0;

	*tokens += (double)(now - *at) * rate / 1000.0;
	if (*tokens > burst)
		*tokens = burst;
	*at = now;
}

static void
wake_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct master	*m = arg;

	(void)fd;
	(void)ev;
	m->sleeping = false;
	if (m->down) {		/* its pause is over: one query will test it */
		m->down = false;
		m->probing = true;
		log_debug("master %s: probing after %" PRId64 " s", m->name, m->down_ms / 1000);
	}
	runnable_add(m);
	kick();
}

/* The master is out of query tokens: sleep until it has one. */
static void
master_sleep(struct master *m, int64_t now)
{
	struct timeval	 tv;
	double		 need = 1.0 - m->tokens;

	(void)now;
	if (m->wake == NULL)
		m->wake = evtimer_new(S.base, wake_cb, m);
	m->sleeping = true;
	tv = ms_tv((int64_t)(need * 1000.0 / S.conf->master_qps) + 1);
	evtimer_add(m->wake, &tv);
}

/* A failure line per master per minute; the rest go to debug and are counted. */
static void
master_error(struct master *m, const struct zone *z, const char *what, const char *why)
{
	int64_t	 now = util_now_ms();

	m->fails++;
	if (m->last_err_log == 0 || now - m->last_err_log >= ERRLOG_WINDOW_MS) {
		if (m->fails > 1 && m->last_err_log != 0)
			log_warnx("zone %s: master %s: %s: %s (%u more failures from "
			    "this master in the last minute)", z->name, m->name, what,
			    why, m->fails - 1);
		else
			log_warnx("zone %s: master %s: %s: %s", z->name, m->name, what, why);
		m->last_err_log = now;
		m->fails = 0;
	} else
		log_debug("zone %s: master %s: %s: %s", z->name, m->name, what, why);
}

/*
 * A master whose serial is not newer than ours says so at every check: a
 * warning the first time, then debug until the zone is in step again.
 */
static void
stale_log(struct zone *z, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
stale_log(struct zone *z, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (z->stale_warned)
		log_debug("%s", buf);
	else
		log_warnx("%s (further checks at debug until it changes)", buf);
	z->stale_warned = true;
}

static void
lastcheck_push(uint32_t id, int64_t t)
{
	if (S.lc_n == S.lc_cap) {
		S.lc_cap = S.lc_cap ? S.lc_cap * 2 : 1024;
		S.lc_ids = xreallocarray(S.lc_ids, S.lc_cap, sizeof(*S.lc_ids));
		S.lc_times = xreallocarray(S.lc_times, S.lc_cap, sizeof(*S.lc_times));
	}
	S.lc_ids[S.lc_n] = id;
	S.lc_times[S.lc_n] = t;
	S.lc_n++;
}

static void
lastcheck_add(const struct zone *z)
{
	lastcheck_push(z->id, (int64_t)time(NULL));
}

/*
 * The database did not take a batch of last_check updates: keep them for
 * the next flush (up to LC_HOLD_MAX; past that a restart only checks those
 * zones again), with one message a minute, and one when it works again.
 */
static void
lastcheck_failed(const struct dbreq *r)
{
	int64_t	 now = util_now_ms();
	size_t	 kept = 0;

	if (S.finishing) {
		log_warnx("last_check not written for %zu zones at exit: %s; they are "
		    "checked again after a restart", r->n, r->err);
		return;
	}
	for (size_t i = 0; i < r->n && S.lc_n < LC_HOLD_MAX; i++, kept++)
		lastcheck_push(r->ids[i], r->times[i]);
	S.lc_failed += r->n;
	if (S.lc_err_log == 0 || now - S.lc_err_log >= ERRLOG_WINDOW_MS) {
		log_warnx("last_check not written for %zu zones (%zu kept for the next "
		    "try, %zu held in all): %s", r->n, kept, S.lc_n, r->err);
		S.lc_err_log = now;
	} else
		log_debug("last_check not written for %zu zones: %s", r->n, r->err);
}

/* Hand the collected last_check updates to the db thread. */
static void
lastcheck_flush(void)
{
	struct dbreq	*r;

	if (S.lc_n == 0)
		return;
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_LAST_CHECK;
	r->ids = S.lc_ids;
	r->times = S.lc_times;
	r->n = S.lc_n;
	S.lc_ids = NULL;
	S.lc_times = NULL;
	S.lc_n = S.lc_cap = 0;
	S.db_inflight++;
	dbthread_submit(r);
}

static void
flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	lastcheck_flush();
}

/* Free a zone that is no longer in any queue, heap or flight. */
static void
zone_drop(struct zone *z)
{
	zone_heap_remove(z);
	if (z->state == ZONE_READY)
		TAILQ_REMOVE(&cur_master(z)->ready, z, q);
	else if (z->state == ZONE_XFR_WAIT)
		TAILQ_REMOVE(&cur_master(z)->xfrwait, z, q);
	set_state(z, ZONE_DONE);
	if (!z->removed)
		zone_table_remove(z);
	zone_free(z);
}

/* Wait delay_ms, then check again (in --once mode: done). */
static void	notify_check(struct zone *);

static void
zone_schedule(struct zone *z, int64_t delay_ms)
{
	if (S.once || S.stopping) {
		set_state(z, ZONE_DONE);
		return;
	}
	set_state(z, ZONE_WAITING);
	if (z->notify_again) {		/* a NOTIFY came while it was busy */
		z->notify_again = false;
		notify_check(z);
		return;
	}
	z->due = util_now_ms() + delay_ms;
	zone_heap_push(z);
}

static void
zone_ready(struct zone *z)
{
	struct master	*m = cur_master(z);

	/* A master paused as a whole: go on to the next one, or wait for it. */
	while (m->down && z->cur + 1 < z->nmasters) {
		m->skipped++;
		z->cur++;
		m = cur_master(z);
	}
	if (m->down && S.once) {
		m->skipped++;
		zone_fail(z, "master does not answer (paused)", false);
		return;
	}
	set_state(z, ZONE_READY);
	TAILQ_INSERT_TAIL(&m->ready, z, q);
	runnable_add(m);
}

/*
 * The master did not answer at all (timeout, refused, unreachable): pause it
 * as a whole so its zones cost one timeout, not one each.  Queued zones move
 * to their next master (or, with --once, end); the rest wait for the probe.
 */
static void
master_down(struct master *m, const char *why)
{
	const struct conf	*c = S.conf;
	struct zone		*z, *next;
	struct timeval		 tv;
	size_t			 waiting = 0;
	bool			 first = !m->probing;

	if (m->down)
		return;
	if (m->probing)
		m->down_ms = m->down_ms * 2 > (int64_t)c->master_down_max_s * 1000 ?
		    (int64_t)c->master_down_max_s * 1000 : m->down_ms * 2;
	else {
		m->down_ms = (int64_t)c->master_down_s * 1000;
		m->down_since = util_now_ms();
		m->skipped = 0;
	}
	m->down = true;
	m->probing = false;
	runnable_del(m);
	if (m->wake == NULL)
		m->wake = evtimer_new(S.base, wake_cb, m);
	m->sleeping = false;
	tv = ms_tv(m->down_ms);
	evtimer_add(m->wake, &tv);
	for (z = TAILQ_FIRST(&m->ready); z != NULL; z = next) {
		next = TAILQ_NEXT(z, q);
		if (z->cur + 1 < z->nmasters || S.once) {
			TAILQ_REMOVE(&m->ready, z, q);
			set_state(z, ZONE_WAITING);
			m->skipped++;
			zone_fail(z, why, true);
		} else
			waiting++;
	}
	/* A warning when it stops answering, a reminder an hour; each failed
	 * probe in between only at debug. */
	if (first || util_now_ms() - m->down_log >= DOWNLOG_MS) {
		m->down_log = util_now_ms();
		log_warnx("master %s: no answer (%s); no queries to it for %" PRId64 " s, "
		    "%zu zones waiting for it", m->name, why, m->down_ms / 1000, waiting);
	} else
		log_debug("master %s: no answer (%s); no queries to it for %" PRId64 " s, "
		    "%zu zones waiting for it", m->name, why, m->down_ms / 1000, waiting);
}

/* Any reply, even a refusal, shows the master is there. */
static void
master_up(struct master *m)
{
	if (!m->down && !m->probing)
		return;
	log_info("master %s answers again after %" PRId64 " s (%u zone checks skipped "
	    "or moved meanwhile)", m->name, (util_now_ms() - m->down_since) / 1000,
	    m->skipped);
	if (m->down && m->wake != NULL)
		evtimer_del(m->wake);
	m->down = m->probing = false;
	m->down_ms = 0;
	runnable_add(m);
}

/* A successful check or transfer: next check after REFRESH. */
static void
zone_ok(struct zone *z)
{
	const struct conf *c = S.conf;

	z->fails = 0;
	z->cur = 0;
	z->last_ok = util_now_ms();
	if (z->expired)
		log_info("zone %s: no longer expired", z->name);
	z->expired = false;
	zone_schedule(z, zone_jitter_ms(z->refresh, c->min_refresh, c->max_refresh));
}

static void
on_soa(void *arg, const struct soa_result *res)
{
	struct zone	*z = arg;
	struct master	*m = cur_master(z);
	int		 cmp;

	z->sq = NULL;
	m->soa_inflight--;
	S.soa_inflight--;
	runnable_add(m);
	kick();
	S.checks++;
	if (z->removed) {
		zone_drop(z);
		return;
	}
	if (S.stopping) {
		set_state(z, ZONE_DONE);
		return;
	}
	if (res->status == SOA_TIMEOUT || res->status == SOA_NETERR)
		master_down(m, res->err);
	else
		master_up(m);
	if (res->status != SOA_OK) {
		master_error(m, z, "SOA check failed", res->err);
		zone_fail(z, res->err, true);
		return;
	}
	cmp = z->has_soa ? zone_serial_cmp(z->serial, res->serial) : -1;
	if (cmp == -1) {
		log_debug("zone %s: master %s has serial %u, ours %u%s", z->name,
		    m->name, res->serial, z->serial, z->has_soa ? "" : " (none)");
		set_state(z, ZONE_XFR_WAIT);
		TAILQ_INSERT_TAIL(&m->xfrwait, z, q);
		xrunnable_add(m);
		xfr_dispatch();
		return;
	}
	if (cmp == 0) {
		S.unchanged++;
		z->stale_warned = false;
		log_debug("zone %s: serial %u unchanged at %s (%" PRId64 " ms)",
		    z->name, z->serial, m->name, res->rtt_ms);
	} else if (cmp == 2)
		stale_log(z, "zone %s: master %s serial %u is exactly 2^31 from ours %u: "
		    "RFC 1982 leaves that undefined, keeping ours", z->name, m->name,
		    res->serial, z->serial);
	else
		stale_log(z, "zone %s: master %s serial %u is older than ours %u, keeping ours",
		    z->name, m->name, res->serial, z->serial);
	lastcheck_add(z);
	zone_ok(z);
}

/*
 * TSIG keys by domain id, for the domains that have AXFR-MASTER-TSIG: few,
 * so a sorted array.  A key that cannot be used (not in tsigkeys, an
 * algorithm we do not have, a secret that is not base64) makes the zone's
 * checks fail with that reason: unsigned, the master would refuse anyway.
 */
struct tsig_entry {
	uint32_t		 id;
	bool			 bad;		/* checks fail with err */
	bool			 has_key, has_src;
	char			 err[160];
	struct tsig_key		 key;
	struct master_addr	 src;		/* AXFR-SOURCE, port 0 */
};
static struct tsig_entry	*tsig_tab;
static size_t			 tsig_n;

static int
tsig_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct tsig_entry *)a)->id, y = ((const struct tsig_entry *)b)->id;

	return x < y ? -1 : x > y;
}

static const struct tsig_entry *
tsig_find(uint32_t id)
{
	struct tsig_entry	 k = { .id = id };

	return tsig_n == 0 ? NULL : bsearch(&k, tsig_tab, tsig_n, sizeof(*tsig_tab), tsig_cmp);
}

static void
tsig_update(const struct db_tsig *t, size_t n, bool full)
{
	if (full)
		tsig_n = 0;
	for (size_t i = 0; i < n; i++) {
		struct tsig_entry	*e = (struct tsig_entry *)(uintptr_t)tsig_find(t[i].domain_id);
		struct zone		*z = zone_by_id(t[i].domain_id);

		if (e == NULL) {
			tsig_tab = xreallocarray(tsig_tab, tsig_n + 1, sizeof(*tsig_tab));
			e = &tsig_tab[tsig_n++];
		}
		memset(e, 0, sizeof(*e));
		e->id = t[i].domain_id;
		if (t[i].keyname == NULL)
			;
		else if (t[i].algorithm == NULL) {
			e->bad = true;
			snprintf(e->err, sizeof(e->err), "TSIG key '%.60s' (AXFR-MASTER-TSIG) is "
			    "not in tsigkeys", t[i].keyname);
		} else if (tsig_key_init(&e->key, t[i].keyname, t[i].algorithm, t[i].secret,
		    e->err, sizeof(e->err)) == -1)
			e->bad = true;
		else
			e->has_key = true;
		if (t[i].source != NULL && !e->bad) {
			char	 pe[160];
			if (strchr(t[i].source, '[') != NULL ||
			    master_parse(t[i].source, &e->src, 1, pe, sizeof(pe)) != 1 ||
			    (strchr(t[i].source, '.') != NULL && strchr(t[i].source, ':') != NULL)) {
				e->bad = true;
				snprintf(e->err, sizeof(e->err), "AXFR-SOURCE '%.60s' is not an "
				    "address", t[i].source);
			} else {
				/* any port */
				if (e->src.ss.ss_family == AF_INET)
					((struct sockaddr_in *)&e->src.ss)->sin_port = 0;
				else
					((struct sockaddr_in6 *)&e->src.ss)->sin6_port = 0;
				e->has_src = true;
			}
		}
		if (e->bad && z != NULL)
			log_warnx("zone %s: %s; its checks fail until that is fixed", z->name,
			    e->err);
		qsort(tsig_tab, tsig_n, sizeof(*tsig_tab), tsig_cmp);
	}
}

/* Errors that are about this host, not about the master. */
static bool
errno_local(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/*
 * Send the zone's SOA query.  Returns false when this host is out of
 * sockets or buffers: the zone goes back to the head of its queue and the
 * caller pauses, since the master is not to blame.
 */
static bool
start_query(struct zone *z, struct master *m)
{
	const struct conf	*c = S.conf;
	struct soa_result	 res;
	int64_t			 now;
	const struct tsig_entry	*te = tsig_find(z->id);

	set_state(z, ZONE_QUERYING);
	m->soa_inflight++;
	S.soa_inflight++;
	if (te != NULL && te->bad) {
		memset(&res, 0, sizeof(res));
		res.status = SOA_BAD;
		util_strlcpy(res.err, te->err, sizeof(res.err));
		on_soa(z, &res);
		return true;
	}
	z->sq = soa_query_start(S.base, z->name, &m->addr, c->soa_timeout_ms,
	    c->soa_tries, te != NULL && te->has_key ? &te->key : NULL,
	    te != NULL && te->has_src ? &te->src : NULL, on_soa, z);
	if (z->sq != NULL)
		return true;
	if (errno_local(errno)) {
		now = util_now_ms();
		if (now - S.local_err_log >= ERRLOG_WINDOW_MS) {
			log_warnx("cannot open a socket for SOA queries: %s (%d in flight); "
			    "pausing", strerror(errno), S.soa_inflight - 1);
			S.local_err_log = now;
		}
		m->soa_inflight--;
		S.soa_inflight--;
		set_state(z, ZONE_READY);
		TAILQ_INSERT_HEAD(&m->ready, z, q);
		runnable_add(m);
		return false;
	}
	memset(&res, 0, sizeof(res));
	if (te != NULL && te->has_src && (errno == EADDRNOTAVAIL || errno == EINVAL ||
	    errno == EAFNOSUPPORT)) {
		/* this zone's source address, not the master */
		char a[80];
		master_fmt(&te->src, a, sizeof(a));
		res.status = SOA_BAD;
		snprintf(res.err, sizeof(res.err), "cannot use AXFR-SOURCE %s: %s", a,
		    strerror(errno));
	} else {
		res.status = SOA_NETERR;
		snprintf(res.err, sizeof(res.err), "cannot send: %s", strerror(errno));
	}
	on_soa(z, &res);
	return true;
}

/* The check or transfer from the current master failed. */
static void
zone_fail(struct zone *z, const char *why, bool next_master)
{
	const struct conf	*c = S.conf;
	int64_t			 now = util_now_ms(), delay;

	if (next_master && z->cur + 1 < z->nmasters) {
		z->cur++;
		zone_ready(z);
		return;
	}
	z->fails++;
	z->cur = 0;
	S.failures++;
	if (z->has_soa && z->last_ok != ZONE_NEVER && !z->expired) {
		uint32_t ex = z->expire < (uint32_t)c->min_expire ? (uint32_t)c->min_expire : z->expire;
		if (now - z->last_ok > (int64_t)ex * 1000) {
			z->expired = true;
			log_err("zone %s: expired: no successful check for over %u s "
			    "(SOA EXPIRE); PowerDNS keeps serving the old data", z->name, ex);
		}
	}
	if (S.once) {
		S.once_failed++;
		log_warnx("zone %s: not refreshed: %s", z->name, why);
		set_state(z, ZONE_DONE);
		return;
	}
	delay = zone_backoff_ms(z->has_soa ? z->retry : (uint32_t)c->min_retry, z->fails,
	    c->min_retry, c->max_retry, c->max_backoff);
	log_debug("zone %s: retry in %" PRId64 " s (failure %u)", z->name, delay / 1000,
	    z->fails);
	zone_schedule(z, delay);
}

/*
 * A NOTIFY: check the zone now, ahead of every scheduled check.  The query
 * goes out at once to the zone's current master (the notifying one when it
 * is a master of the zone), past the queues and the global rate; the
 * master's own bucket is charged, so its rate holds over time, and the
 * per-source NOTIFY limit bounds how often this can happen.
 */
static void
notify_check(struct zone *z)
{
	struct master	*m = cur_master(z);

	if (z->state == ZONE_WAITING)
		zone_heap_remove(z);
	else if (z->state == ZONE_READY)
		TAILQ_REMOVE(&m->ready, z, q);
	if (m->down) {			/* paused: its next master, or the probe */
		zone_ready(z);
		return;
	}
	refill(&m->tokens, &m->tokens_at, S.conf->master_qps, util_now_ms());
	m->tokens -= 1;
	S.tokens -= 1;
	if (!start_query(z, m)) {	/* out of sockets here: first in its queue */
		kick();
		return;
	}
}

enum notify_verdict
refresh_notify(const char *name, const struct sockaddr *from, socklen_t flen,
    bool trusted, bool has_serial, uint32_t serial, const uint8_t *msg, size_t len,
    bool is_signed, struct notify_sig *sig)
{
	struct zone		*z = zone_by_name(name);
	struct master_addr	 fa;
	char			 who[80];
	int			 idx = -1;
	int64_t			 now = util_now_ms();

	memcpy(&fa.ss, from, flen);
	fa.len = flen;
	master_fmt(&fa, who, sizeof(who));
	if (z != NULL)
		for (int i = 0; i < z->nmasters && idx == -1; i++)
			if (master_host_eq(&z->masters[i]->addr, from, flen))
				idx = i;
	if (z != NULL && is_signed) {
		/* Signed: it must verify with the zone's key; then it counts
		 * from any address, since only the key's holders can sign. */
		const struct tsig_entry	*te = tsig_find(z->id);
		struct tsig_verify	 tv;
		char			 e[200] = "the zone has no TSIG key";

		if (te != NULL && !te->bad && te->has_key)
			tsig_verify_init(&tv, &te->key, NULL, 0);
		if (te != NULL && !te->has_key && !te->bad)
			te = NULL;
		if (te == NULL || te->bad || tsig_verify_msg(&tv, msg, len, e, sizeof(e)) == -1) {
			S.notify_refused++;
			if (now - S.notify_log >= ERRLOG_WINDOW_MS) {
				log_warnx("notify for %s from %s refused: %s", name, who, e);
				S.notify_log = now;
			} else
				log_debug("notify for %s from %s refused: %s", name, who, e);
			return NOTIFY_BADTSIG;
		}
		trusted = true;
		sig->key = &te->key;		/* the answer is signed too */
		sig->maclen = tv.prevlen;
		memcpy(sig->mac, tv.prev, tv.prevlen);
	}
	if (z == NULL || (idx == -1 && !trusted)) {
		S.notify_refused++;
		if (now - S.notify_log >= ERRLOG_WINDOW_MS) {
			log_warnx("notify for %s from %s refused: %s (%" PRIu64 " refused "
			    "in all)", name, who, z == NULL ? "not a SLAVE zone here" :
			    "not one of its masters, nor trusted", S.notify_refused);
			S.notify_log = now;
		} else
			log_debug("notify for %s from %s refused: %s", name, who,
			    z == NULL ? "not a SLAVE zone here" : "not a master of it");
		return z == NULL ? NOTIFY_UNKNOWN : NOTIFY_STRANGER;
	}
	S.notifies++;
	if (S.stopping || z->removed || z->state == ZONE_DONE)
		return NOTIFY_ACCEPT;
	if (has_serial && z->has_soa && zone_serial_cmp(z->serial, serial) != -1) {
		log_debug("zone %s: NOTIFY from %s with serial %u, ours %u: nothing to do",
		    z->name, who, serial, z->serial);
		return NOTIFY_ACCEPT;
	}
	if (z->state == ZONE_QUERYING || z->state == ZONE_XFR_WAIT ||
	    z->state == ZONE_TRANSFERRING || z->writing) {
		if (!z->notify_again)
			log_debug("zone %s: NOTIFY from %s while busy: checked again after",
			    z->name, who);
		z->notify_again = true;
		return NOTIFY_ACCEPT;
	}
	if (idx != -1 && z->state == ZONE_WAITING) {
		z->cur = (uint8_t)idx;		/* ask the notifying master first */
		if (z->masters[idx]->down || z->masters[idx]->probing)
			master_up(z->masters[idx]);	/* it just spoke to us */
	}
	log_info("zone %s: NOTIFY from %s%s; checking now", z->name, who,
	    is_signed ? " (signed)" : trusted && idx == -1 ? " (trusted)" : "");
	notify_check(z);
	return NOTIFY_ACCEPT;
}

/* Round robin over masters with ready zones, within every limit. */
static void
dispatch(void)
{
	const struct conf	*c = S.conf;
	int64_t			 now = util_now_ms(), next = INT64_MAX;
	struct zone		*z;
	struct master		*m;

	if (S.stopping)
		return;
	while ((z = zone_heap_top()) != NULL && z->due <= now) {
		zone_heap_remove(z);
		zone_ready(z);
	}
	refill(&S.tokens, &S.tokens_at, c->soa_qps, now);
	while ((m = TAILQ_FIRST(&S.runnable)) != NULL &&
	    S.soa_inflight < c->soa_inflight && S.soa_inflight < S.sock_cap &&
	    S.tokens >= 1) {
		runnable_del(m);
		if (TAILQ_EMPTY(&m->ready) || m->soa_inflight >= c->master_inflight ||
		    (m->probing && m->soa_inflight > 0))
			continue;	/* back in when a query of its own ends */
		refill(&m->tokens, &m->tokens_at, c->master_qps, now);
		if (m->tokens < 1) {
			master_sleep(m, now);
			continue;
		}
		z = TAILQ_FIRST(&m->ready);
		TAILQ_REMOVE(&m->ready, z, q);
		m->tokens -= 1;
		S.tokens -= 1;
		runnable_add(m);
		if (!start_query(z, m)) {
			next = now + LOCAL_ERR_PAUSE_MS;
			break;
		}
	}
	if ((z = zone_heap_top()) != NULL && z->due < next)
		next = z->due;
	if (!TAILQ_EMPTY(&S.runnable) && S.soa_inflight < c->soa_inflight) {
		int64_t t = now + (int64_t)((1.0 - S.tokens) * 1000.0 / c->soa_qps) + 1;
		if (t < next)
			next = t;
	}
	if (next != INT64_MAX) {
		struct timeval tv = ms_tv(next - now);
		evtimer_add(S.tick, &tv);
	}
	check_finished();
}

static void
dispatch_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	dispatch();
}

static void
start_xfr(struct zone *z, struct master *m)
{
	const struct conf	*c = S.conf;
	struct xfr_job		*job = xcalloc(1, sizeof(*job));

	job->domain_id = z->id;
	job->zone = xstrdup(z->name);
	job->ma = m->addr;
	job->have_serial = z->has_soa;
	job->old_serial = z->serial;
	job->lim.idle_ms = c->xfr_idle_s * 1000;
	job->lim.total_ms = c->xfr_total_s * 1000;
	job->lim.max_records = c->xfr_max_records;
	job->lim.max_bytes = c->xfr_max_bytes;
	job->dnssec = c->dnssec != 0;
	{
		const struct tsig_entry *te = tsig_find(z->id);
		if (te != NULL && !te->bad && te->has_key) {
			job->tsig = true;
			job->key = te->key;
		}
		if (te != NULL && !te->bad && te->has_src) {
			job->has_src = true;
			job->src = te->src;
		}
	}
	job->arg = z;
	set_state(z, ZONE_TRANSFERRING);
	m->xfr_inflight++;
	S.xfr_inflight++;
	xfr_submit(job);
}

static void
xfr_dispatch(void)
{
	const struct conf	*c = S.conf;
	struct master		*m;
	struct zone		*z;

	if (evtimer_pending(S.xfr_pause, NULL))
		return;		/* out of sockets a moment ago */
	/* twice the workers: each finds its next job queued when a transfer
	 * ends, and so keeps its finished zones for one group commit */
	while (!S.stopping && S.xfr_inflight < 2 * c->workers &&
	    (m = TAILQ_FIRST(&S.xrunnable)) != NULL) {
		xrunnable_del(m);
		if (TAILQ_EMPTY(&m->xfrwait) || m->xfr_inflight >= c->master_xfrs)
			continue;	/* back in when a transfer of its own ends */
		z = TAILQ_FIRST(&m->xfrwait);
		TAILQ_REMOVE(&m->xfrwait, z, q);
		xrunnable_add(m);
		start_xfr(z, m);
	}
}

/* The master is done with a transfer: its slot is free for the next. */
static void
xfr_release(struct master *m)
{
	m->xfr_inflight--;
	S.xfr_inflight--;
	xrunnable_add(m);
}

static void
on_xfr(struct xfr_job *job)
{
	struct zone	*z = job->arg;
	struct master	*m = cur_master(z);

	if (z->writing) {
		z->writing = false;
		S.xfr_writing--;
	} else
		xfr_release(m);
	if (z->removed) {
		log_info("zone %s: removed from domains during its transfer", z->name);
		zone_drop(z);
		return;
	}
	switch (job->status) {
	case XFR_OK:
		S.transfers++;
		z->stale_warned = false;
		S.rows_written += job->rows;
		if (z->has_soa)
			log_info("zone %s: serial %u -> %u from %s: %zu records, %zu rows "
			    "stored (%zu already so, kept) in %" PRId64 " ms", z->name,
			    z->serial, job->serial, m->name, job->records, job->rows,
			    job->rows_kept, job->ms);
		else
			log_info("zone %s: first transfer, serial %u from %s: %zu records, "
			    "%zu rows stored in %" PRId64 " ms", z->name, job->serial,
			    m->name, job->records, job->rows, job->ms);
		if (job->ents_dropped > 0)
			log_warnx("zone %s: %zu empty non-terminals, more than pdns's "
			    "max-ent-entries (%d): none written, as pdns does", z->name,
			    job->ents_dropped, RR_MAX_ENTS);
		if (job->dropped > 0)
			log_warnx("zone %s: master %s sent %zu records outside the zone "
			    "(first: %s); dropped", z->name, m->name, job->dropped,
			    job->dropped_example);
		z->has_soa = true;
		z->serial = job->serial;
		z->refresh = job->refresh;
		z->retry = job->retry;
		z->expire = job->expire;
		zone_ok(z);
		break;
	case XFR_NOTNEWER:
		stale_log(z, "zone %s: master %s: %s; rows kept", z->name, m->name, job->err);
		lastcheck_add(z);
		zone_ok(z);
		break;
	case XFR_FAILED:
		S.xfr_failures++;
		master_error(m, z, "transfer failed, rows kept", job->err);
		zone_fail(z, job->err, true);
		break;
	case XFR_DBFAILED:
		S.xfr_failures++;
		log_err("zone %s: database write failed, rolled back, old rows kept: %s",
		    z->name, job->err);
		zone_fail(z, job->err, false);
		break;
	case XFR_GONE:
		log_info("zone %s: no longer a SLAVE domain; transfer discarded", z->name);
		zone_drop(z);
		break;
	case XFR_ABORTED:
		log_info("zone %s: transfer from %s aborted by shutdown, rows kept",
		    z->name, m->name);
		set_state(z, ZONE_DONE);
		break;
	case XFR_LOCAL: {
		/* Not the master's fault: queue it again and pause transfers. */
		struct timeval tv = ms_tv(LOCAL_ERR_PAUSE_MS);
		int64_t now = util_now_ms();
		if (now - S.local_err_log >= ERRLOG_WINDOW_MS) {
			log_warnx("zone %s: cannot open a transfer socket: %s; pausing",
			    z->name, job->err);
			S.local_err_log = now;
		}
		set_state(z, ZONE_XFR_WAIT);
		TAILQ_INSERT_HEAD(&m->xfrwait, z, q);
		xrunnable_add(m);
		evtimer_add(S.xfr_pause, &tv);
		break;
	}
	}
}

static void
xfr_pause_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	xfr_dispatch();
	check_finished();
}

static void
xfr_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct xfr_job	*job;
	bool		 fetched;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((job = xfr_done(&fetched)) != NULL) {
		struct zone *z = job->arg;
		if (fetched) {		/* written later, in a group */
			z->writing = true;
			S.xfr_writing++;
			xfr_release(cur_master(z));
			continue;
		}
		on_xfr(job);
		xfr_job_free(job);
	}
	xfr_dispatch();
	kick();
	check_finished();
}

/* Build a zone's master list; -1 (logged) if domains.master does not parse. */
static int
zone_set_masters(struct zone *z, const char *text)
{
	struct master_addr	 ma[MASTER_MAX];
	char			 err[160];
	int			 n;

	if ((n = master_parse(text, ma, MASTER_MAX, err, sizeof(err))) == -1) {
		log_warnx("zone %s: domains.master '%.60s': %s; zone skipped",
		    z->name, text ? text : "", err);
		return -1;
	}
	struct master **list = zone_masters_room(z, n);
	for (int i = 0; i < n; i++)
		list[i] = master_get(&ma[i]);
	z->nmasters = (uint8_t)n;
	z->cur = 0;
	return 0;
}

/* A domain row we cannot use (logged): with --once it is a zone not fresh. */
static void
zone_skipped(struct zone *z)
{
	if (S.once)
		S.once_failed++;
	zone_free(z);
}

static void
zone_add(const struct db_domain *d, int64_t now_ms, time_t now_wall)
{
	const struct conf	*c = S.conf;
	struct zone		*z = zone_new(d->id, d->name);
	uint8_t			 wire[256];

	/* What we cannot put in a question, we cannot refresh. */
	if (z->name[0] == '\0' || soa_name_wire(z->name, wire, sizeof(wire)) == -1) {
		log_warnx("zone %s: domains.name is not a valid domain name; zone skipped",
		    z->name);
		zone_skipped(z);
		return;
	}
	if (zone_set_masters(z, d->master) == -1) {
		zone_skipped(z);
		return;
	}
	z->master_hash = util_strhash(d->master);
	if (d->soa != NULL) {
		if (zone_parse_soa(d->soa, &z->serial, &z->refresh, &z->retry,
		    &z->expire) == 0)
			z->has_soa = true;
		else
			log_warnx("zone %s: stored SOA '%.80s' does not parse; "
			    "treating the zone as never transferred", z->name, d->soa);
	}
	z->seen = true;
	z->due = now_ms;
	if (z->has_soa && d->last_check >= 0) {
		int64_t age = (int64_t)now_wall - d->last_check;
		int64_t refresh = z->refresh;
		if (refresh < c->min_refresh)
			refresh = c->min_refresh;
		if (refresh > c->max_refresh)
			refresh = c->max_refresh;
		z->last_ok = now_ms - age * 1000;	/* may be before boot: negative */
		if (age < refresh)
			z->due = now_ms + (refresh - age) * 1000;
	}
	zone_table_add(z);
	if (S.only_zone != NULL || z->due <= now_ms)
		zone_ready(z);
	else if (!S.once)
		zone_heap_push(z);
}

static void
unseen_cb(struct zone *z, void *arg)
{
	size_t	*removed = arg;

	if (z->seen) {
		z->seen = false;
		return;
	}
	(*removed)++;
	log_info("zone %s: no longer a SLAVE domain; dropped", z->name);
	if (z->state == ZONE_WAITING || z->state == ZONE_READY || z->state == ZONE_XFR_WAIT ||
	    z->state == ZONE_DONE) {
		zone_drop(z);
		return;
	}
	zone_table_remove(z);	/* in flight: freed when it comes back */
	z->removed = true;
}

static void
merge_domains(struct db_domain *d, size_t n, bool partial)
{
	int64_t		 now_ms = util_now_ms();
	time_t		 now_wall = time(NULL);
	size_t		 added = 0, removed = 0, changed = 0;
	bool		 first = !S.loaded;

	for (size_t i = 0; i < n; i++) {
		struct zone *z = zone_by_id(d[i].id);
		char name[256];

		util_strlcpy(name, d[i].name, sizeof(name));
		zone_name_canon(name);
		if (z != NULL && strcmp(z->name, name) != 0)
			z = NULL;	/* renamed: the old one goes as unseen */
		if (z == NULL) {
			zone_add(&d[i], now_ms, now_wall);
			added++;
			continue;
		}
		z->seen = true;
		if (z->master_hash != util_strhash(d[i].master) && z->state == ZONE_WAITING &&
		    zone_set_masters(z, d[i].master) == 0) {
			z->master_hash = util_strhash(d[i].master);
			changed++;
			log_info("zone %s: masters changed to '%s'", z->name, d[i].master);
		}
	}
	if (!partial)		/* only a whole list tells what is gone */
		zone_foreach(unseen_cb, &removed);
	S.loaded = true;
	if (first)
		log_info("loaded %zu SLAVE domains (%zu masters), %zu due now",
		    zone_count(), master_count(), S.pending);
	else if (added + removed + changed > 0)
		log_info("domain list re-read: %zu added, %zu removed, %zu with new masters",
		    added, removed, changed);
}

static void
request_load(void)
{
	struct dbreq	*r;

	if (S.load_inflight || S.stopping)
		return;
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_LOAD;
	if (S.only_zone != NULL)
		r->only_name = xstrdup(S.only_zone);
	memcpy(r->sig, S.domains_sig, sizeof(r->sig));
	r->max_id = S.max_id;
	r->rescan = S.rescan_now || util_now_ms() >= S.rescan_at;
	S.load_inflight = true;
	S.db_inflight++;
	dbthread_submit(r);
}

static void
reload_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	request_load();
}

void
refresh_rescan(void)
{
	S.rescan_now = true;
	if (!S.load_inflight)
		evtimer_del(S.reload);
	request_load();
}

static void
arm_reload(int64_t ms)
{
	struct timeval	 tv = ms_tv(ms);

	if (!S.once && !S.stopping)
		evtimer_add(S.reload, &tv);
}

static void
db_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dbreq	*r;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((r = dbthread_done()) != NULL) {
		S.db_inflight--;
		if (r->type == DBREQ_LOAD) {
			S.load_inflight = false;
			if (r->rc == 0) {
				S.max_id = r->max_id;
				if (r->rescan && r->only_name == NULL) {
					S.rescan_now = false;
					S.rescan_at = util_now_ms() +
					    (int64_t)S.conf->domains_rescan_s * 1000;
				}
			}
			if (r->rc != 0) {
				log_err("cannot load the domain list: %s", r->err);
				if (S.once) {
					S.once_failed++;
					refresh_shutdown("database unavailable");
				} else
					arm_reload(S.loaded ? S.conf->domains_reload_s * 1000 :
					    RELOAD_RETRY_MS);
			} else if (r->unchanged) {
				log_debug("domain list unchanged (%s), %" PRId64 " ms",
				    r->rescan ? r->sig : "no new id", r->ms);
				arm_reload(S.conf->domains_reload_s * 1000);
			} else {
				log_debug("domain list: %zu %srows in %" PRId64 " ms",
				    r->ndomains, r->partial ? "new " : "", r->ms);
				if (!r->partial)
					memcpy(S.domains_sig, r->sig, sizeof(S.domains_sig));
				if (S.only_zone != NULL && r->ndomains == 0) {
					log_err("zone %s is not a SLAVE domain", S.only_zone);
					S.once_failed++;
				}
				if (!S.stopping) {
					merge_domains(r->domains, r->ndomains, r->partial);
					tsig_update(r->tsig, r->ntsig, !r->partial);
				}
				/* the list was built in the db thread's malloc arena:
				 * give those pages back, not keep them for the next load */
				dbreq_free(r);
				r = NULL;
				malloc_trim(0);
				arm_reload(S.conf->domains_reload_s * 1000);
				kick();
			}
		} else if (r->rc != 0)
			lastcheck_failed(r);
		else {
			log_debug("last_check written for %zu zones in %" PRId64 " ms",
			    r->n, r->ms);
			if (S.lc_err_log != 0) {
				log_info("last_check written again (%" PRIu64 " updates "
				    "failed meanwhile)", S.lc_failed);
				S.lc_err_log = 0;
				S.lc_failed = 0;
			}
		}
		dbreq_free(r);
	}
	check_finished();
}

/*
 * Every PROGRESS_MS while a backlog drains (a start with everything due, a
 * master back after a pause): done, left, rate and time left.  Quiet when
 * there is nothing to catch up on; the counters every STATS_MS anyway.
 */
static void
stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t		 now = util_now_ms();
	uint64_t	 done = S.checks - S.prog_checks;
	double		 secs = (double)(now - S.prog_at) / 1000.0;
	double		 rate = secs > 0 ? (double)done / secs : 0;

	(void)fd;
	(void)ev;
	(void)arg;
	if (S.pending >= PROGRESS_MIN_BACKLOG)
		log_info("progress: %" PRIu64 " checks done since start, %zu zones due or "
		    "in progress, %.0f checks/s over the last %.0f s, %s%.0f s left",
		    S.checks, S.pending, rate, secs, rate > 0 ? "about " : "",
		    rate > 0 ? (double)S.pending / rate : -1.0);
	S.prog_checks = S.checks;
	S.prog_at = now;
	if (now - S.stats_at >= STATS_MS) {
		refresh_log_stats("counters");
		S.stats_at = now;
	}
}

void
refresh_log_stats(const char *prefix)
{
	log_info("%s: %zu zones, %" PRIu64 " checks (%" PRIu64 " unchanged), %" PRIu64
	    " transfers (%" PRIu64 " rows), %" PRIu64 " failed attempts, %" PRIu64
	    " NOTIFYs, %zu in progress, "
	    "%d SOA queries and %d transfers in flight, %.0f s", prefix, zone_count(),
	    S.checks, S.unchanged, S.transfers, S.rows_written, S.failures, S.notifies, S.pending,
	    S.soa_inflight, S.xfr_inflight + S.xfr_writing, (double)(util_now_ms() - S.started) / 1000.0);
}

/* --once or shutdown: end the loop when nothing is left in flight. */
static void
check_finished(void)
{
	if (!S.stopping && !(S.once && S.loaded && S.pending == 0 && !S.load_inflight))
		return;
	if (S.soa_inflight > 0 || S.xfr_inflight > 0 || S.xfr_writing > 0)
		return;
	if (!S.finishing) {
		S.finishing = true;
		S.stopping = true;
		lastcheck_flush();
	}
	if (S.db_inflight == 0)
		event_base_loopbreak(S.base);
}

static void
cancel_cb(struct zone *z, void *arg)
{
	(void)arg;
	if (z->state == ZONE_QUERYING) {
		soa_query_cancel(z->sq);
		z->sq = NULL;
		cur_master(z)->soa_inflight--;
		S.soa_inflight--;
		set_state(z, ZONE_DONE);
		return;
	}
	if (z->state == ZONE_READY || z->state == ZONE_XFR_WAIT || z->state == ZONE_WAITING) {
		zone_heap_remove(z);
		if (z->state == ZONE_READY)
			TAILQ_REMOVE(&cur_master(z)->ready, z, q);
		else if (z->state == ZONE_XFR_WAIT)
			TAILQ_REMOVE(&cur_master(z)->xfrwait, z, q);
		set_state(z, ZONE_DONE);
	}
}

void
refresh_shutdown(const char *why)
{
	if (S.stopping)
		return;
	log_info("shutting down (%s): %d SOA queries and %d transfers in flight",
	    why, S.soa_inflight, S.xfr_inflight);
	S.stopping = true;
	zone_foreach(cancel_cb, NULL);
	xfr_abort();
	evtimer_del(S.reload);
	check_finished();
}

void
refresh_init(struct event_base *base, const struct conf *c, bool once, const char *zone,
    int sock_cap)
{
	struct timeval	 tv;

	S.sock_cap = sock_cap < 1 ? 1 : sock_cap;
	S.base = base;
	S.conf = c;
	S.once = once || zone != NULL;
	if (zone != NULL) {
		S.only_zone = xstrdup(zone);
		zone_name_canon(S.only_zone);
	}
	TAILQ_INIT(&S.runnable);
	TAILQ_INIT(&S.xrunnable);
	S.started = S.tokens_at = util_now_ms();
	S.tokens = 1;
	S.tick = evtimer_new(base, dispatch_cb, NULL);
	S.reload = evtimer_new(base, reload_cb, NULL);
	S.flush = event_new(base, -1, EV_PERSIST, flush_cb, NULL);
	S.stats = event_new(base, -1, EV_PERSIST, stats_cb, NULL);
	S.xfr_pause = evtimer_new(base, xfr_pause_cb, NULL);
	S.ev_xfr = event_new(base, xfr_fd(), EV_READ | EV_PERSIST, xfr_cb, NULL);
	S.ev_db = event_new(base, dbthread_fd(), EV_READ | EV_PERSIST, db_cb, NULL);
	event_add(S.ev_xfr, NULL);
	event_add(S.ev_db, NULL);
	tv = ms_tv(c->last_check_flush_ms);
	event_add(S.flush, &tv);
	S.prog_at = S.stats_at = S.started;
	tv = ms_tv(PROGRESS_MS);
	event_add(S.stats, &tv);
}

void
refresh_set_conf(const struct conf *c)
{
	struct timeval	 tv = ms_tv(c->last_check_flush_ms);

	S.conf = c;
	event_add(S.flush, &tv);
	kick();
	xfr_dispatch();
}

void
refresh_start(void)
{
	request_load();
}

int
refresh_exit_code(void)
{
	return S.once_failed > 0 ? 1 : 0;
}
