/*
 * sched: the event loop's decisions.  Zones wait in the timer heap, become
 * due and queue on their current master; masters with work take turns
 * (round robin, those with NOTIFYs first) within the global and per-master
 * rates and in-flight limits, and within the sockets the descriptor limit
 * leaves.  A newer serial queues a transfer on that master; transfers go to
 * the pool within the worker count and the per-master limit.  Results move
 * the zone on through zone_set_state(), the only place its state changes.
 *
 * Master health comes from real answers: a timeout counts against the
 * master only if nothing came back from it since the query left, so a few
 * zones a master does not answer for cost their own retries, not the
 * master's other zones.  A master that is silent as a whole is paused; its
 * zones with another master move on, the others wait in its queue, and the
 * zone that answered last probes it when the pause is over.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "lastcheck.h"
#include "log.h"
#include "sched.h"
#include "stats.h"
#include "util.h"

#define DOWNLOG_MS		3600000	/* a paused master: a reminder an hour */
#define LOCAL_ERR_PAUSE_MS	200	/* out of sockets here: wait before the next */
#define LOCAL_ERRLOG_MS		60000

static struct {
	const struct sched_ops	*ops;
	const struct conf	*conf;
	bool			 once, stopping;
	int			 sock_cap;
	struct bucket		 tokens;	/* soa.queries-per-second */
	int64_t			 soa_pause;	/* out of sockets: no query until then */
	int64_t			 xfr_pause;
	struct log_rl		 local_log;
} S;

static void	zone_fail(struct zone *, const char *why, bool next_master, int64_t now);
static void	zone_queue(struct zone *, int64_t now);

void
sched_init(const struct sched_ops *ops, const struct conf *c, bool once, int sock_cap)
{
	memset(&S, 0, sizeof(S));
	S.ops = ops;
	S.conf = c;
	S.once = once;
	S.sock_cap = sock_cap < 1 ? 1 : sock_cap;
	bucket_init(&S.tokens, 1, ops->now());
}

void
sched_set_conf(const struct conf *c)
{
	S.conf = c;
	S.ops->arm(S.ops->now());
}

int64_t
sched_now(void)
{
	return S.ops->now();
}

bool
sched_stopping(void)
{
	return S.stopping;
}

static void
kick(void)
{
	S.ops->arm(S.ops->now());
}

/*
 * A master whose serial is not newer than ours says so at every check: a
 * warning the first time, then debug until the zone is in step again.
 */
static void
stale_log(struct zone *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/* Free a zone that holds nothing in flight. */
static void
zone_drop(struct zone *z)
{
	if (!z->removed)
		zone_table_remove(z);
	zone_free(z);
}

/* Wait until at, then check again; with --once or at shutdown: done. */
static void
zone_idle(struct zone *z, int64_t at, int64_t now)
{
	if (S.once || S.stopping) {
		zone_set_state(z, ZONE_DONE, NULL);
		return;
	}
	if (z->notify_again) {		/* a NOTIFY came while it was busy */
		z->notify_again = false;
		z->urgent = true;
		at = now;
	}
	z->due.at = at;
	zone_set_state(z, ZONE_IDLE, NULL);
	if (z->state == ZONE_IDLE && z->due.at <= now)
		kick();
}

/*
 * Queue a due zone on its current master; a master paused as a whole passes
 * it to the next master, or keeps it until the pause is over.
 */
static void
zone_queue(struct zone *z, int64_t now)
{
	struct master	*m = z->masters[z->cur];

	while (m->health == MASTER_DOWN && z->cur + 1 < z->nmasters) {
		m->skipped++;
		m = z->masters[++z->cur];
	}
	if (m->health == MASTER_DOWN && S.once) {
		m->skipped++;
		zone_fail(z, "master does not answer (paused)", false, now);
		return;
	}
	zone_set_state(z, ZONE_QUEUED, m);
}

/* The next check after REFRESH; EXPIRE counts from now. */
static void
zone_ok(struct zone *z, int64_t now)
{
	const struct conf	*c = S.conf;
	uint32_t		 ex = z->expire < (uint32_t)c->min_expire ?
				    (uint32_t)c->min_expire : z->expire;

	z->fails = 0;
	z->cur = 0;
	z->last_ok = now;
	if (z->expired)
		log_info("zone %s: no longer expired", z->name);
	z->expired = false;
	zone_set_expiry(z, now + (int64_t)ex * 1000);
	zone_idle(z, now + zone_jitter_ms(z->refresh, c->min_refresh, c->max_refresh), now);
}

/* The check or transfer from the current master failed. */
static void
zone_fail(struct zone *z, const char *why, bool next_master, int64_t now)
{
	const struct conf	*c = S.conf;
	int64_t			 delay;

	if (z->npend >= 0 && !S.once) {	/* new masters: try them now */
		zone_idle(z, now, now);
		return;
	}
	if (next_master && z->cur + 1 < z->nmasters) {
		z->cur++;
		zone_queue(z, now);
		return;
	}
	z->fails++;
	z->cur = 0;
	stats.failures++;
	if (S.once) {
		stats.once_failed++;
		log_warnx("zone %s: not refreshed: %s", z->name, why);
		zone_set_state(z, ZONE_DONE, NULL);
		return;
	}
	delay = zone_backoff_ms(z->has_soa ? z->retry : (uint32_t)c->min_retry, z->fails,
	    c->min_retry, c->max_retry, c->max_backoff);
	log_debug("zone %s: retry in %" PRId64 " s (failure %u)", z->name, delay / 1000,
	    z->fails);
	zone_idle(z, now + delay, now);
}

/*
 * m stopped answering: its queued zones with another master move on (with
 * --once, every one ends); the rest stay queued until the probe.
 */
static void
master_paused(struct master *m, const char *why, int64_t now)
{
	struct zone_list	*lists[] = { &m->urgent, &m->ready };
	size_t			 waiting = 0;
	bool			 first = m->down_since == now;

	for (size_t i = 0; i < NITEMS(lists); i++) {
		struct zone *z, *next;
		for (z = TAILQ_FIRST(lists[i]); z != NULL; z = next) {
			next = TAILQ_NEXT(z, q);
			if (z->cur + 1 < z->nmasters || S.once) {
				m->skipped++;
				zone_fail(z, why, true, now);
			} else
				waiting++;
		}
	}
	/* A warning when it stops answering, a reminder an hour; each failed
	 * probe in between only at debug. */
	if (first || now - m->down_log >= DOWNLOG_MS) {
		m->down_log = now;
		log_warnx("master %s: no answer (%s); no queries to it for %" PRId64 " s, "
		    "%zu zones waiting for it", m->name, why, m->down_ms / 1000, waiting);
	} else
		log_debug("master %s: no answer (%s); no queries to it for %" PRId64 " s, "
		    "%zu zones waiting for it", m->name, why, m->down_ms / 1000, waiting);
}

/* A real answer from m: a pause is over. */
static void
master_heard(struct master *m, uint32_t zone_id, int64_t now)
{
	if (!master_answered(m, zone_id, now))
		return;
	log_info("master %s answers again after %" PRId64 " s (%u zone checks skipped "
	    "or held meanwhile)", m->name, (now - m->down_since) / 1000, m->skipped);
	master_wants_run(m);
	kick();
}

/*
 * The pause is over: one query tests the master, with the zone that
 * answered last when it can (a zone the master never answers would only
 * prolong the pause), else the first one queued.
 */
static void
master_probe(struct master *m, int64_t now)
{
	struct zone	*z = zone_by_id(m->probe_id);

	m->health = MASTER_PROBING;
	log_debug("master %s: probing after %" PRId64 " s", m->name, m->down_ms / 1000);
	if (z != NULL && z->nmasters > 0 && z->masters[z->cur] == m &&
	    (z->state == ZONE_IDLE || (z->state == ZONE_QUEUED && z->at == m))) {
		z->urgent = true;
		zone_set_state(z, ZONE_QUEUED, m);
	}
	(void)now;
	master_wants_run(m);
}

/* Errors that are about this host, not about the master. */
static bool
errno_local(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/* A failure of the zone's own (its key, its source address). */
static void
local_result(struct zone *z, const char *why)
{
	struct soa_result	 res;

	memset(&res, 0, sizeof(res));
	res.status = SOA_LOCAL;
	util_strlcpy(res.err, why, sizeof(res.err));
	sched_soa_done(z, &res);
}

/*
 * Send z's SOA query to m.  False when this host is out of sockets or
 * buffers: the zone goes back to the front of m's work and queries pause,
 * since the master is not to blame.
 */
static bool
start_query(struct zone *z, struct master *m, int64_t now)
{
	const struct keys_entry	*ke = keys_find(z->id);
	char			 err[160], a[80];
	int			 e;

	z->urgent = false;
	zone_set_state(z, ZONE_QUERYING, m);
	z->sent = now;
	if (ke != NULL && ke->bad) {
		local_result(z, ke->err);
		return true;
	}
	if ((z->sq = S.ops->soa_start(z, m, ke)) != NULL)
		return true;
	e = errno;
	if (errno_local(e)) {
		log_ratelimited(&S.local_log, now, LOCAL_ERRLOG_MS, "cannot open a socket "
		    "for SOA queries: %s (%zu in flight); pausing", strerror(e),
		    zone_counts.in[ZONE_QUERYING] - 1);
		z->urgent = true;
		zone_set_state(z, ZONE_QUEUED, m);
		S.soa_pause = now + LOCAL_ERR_PAUSE_MS;
		return false;
	}
	if (ke != NULL && ke->has_src && (e == EADDRNOTAVAIL || e == EINVAL ||
	    e == EAFNOSUPPORT)) {
		master_fmt(&ke->src, a, sizeof(a));
		snprintf(err, sizeof(err), "cannot use AXFR-SOURCE %s: %s", a, strerror(e));
		local_result(z, err);
		return true;
	}
	struct soa_result res;
	memset(&res, 0, sizeof(res));
	res.status = SOA_NETERR;
	snprintf(res.err, sizeof(res.err), "cannot send: %s", strerror(e));
	sched_soa_done(z, &res);
	return true;
}

/*
 * One admission path for every SOA query, NOTIFY or not: the global
 * in-flight limit, the sockets we may open, the global rate, then the
 * master's own in-flight limit and rate.  A master turned away for its own
 * limits comes back when one of its queries ends or its tokens are there.
 */
static void
admit_queries(int64_t now)
{
	const struct conf	*c = S.conf;
	int			 burst = BUCKET_BURST(c->soa_qps);
	int			 mburst = BUCKET_BURST(c->master_qps);
	struct master		*m;
	struct zone		*z;

	while (now >= S.soa_pause &&
	    zone_counts.in[ZONE_QUERYING] < (size_t)c->soa_inflight &&
	    zone_counts.in[ZONE_QUERYING] < (size_t)S.sock_cap &&
	    bucket_next(&S.tokens, c->soa_qps, burst, now) <= now &&
	    (m = master_next_run()) != NULL) {
		if (m->soa_inflight >= c->master_inflight ||
		    (m->health == MASTER_PROBING && m->soa_inflight > 0))
			continue;
		if (!bucket_take(&m->tokens, c->master_qps, mburst, now)) {
			master_timer_set(m, bucket_next(&m->tokens, c->master_qps, mburst, now));
			continue;
		}
		bucket_take(&S.tokens, c->soa_qps, burst, now);
		if ((z = TAILQ_FIRST(&m->urgent)) == NULL &&
		    (z = TAILQ_FIRST(&m->ready)) == NULL)
			continue;
		if (!start_query(z, m, now))
			break;
	}
}

static void
start_xfr(struct zone *z, struct master *m)
{
	const struct conf	*c = S.conf;
	const struct keys_entry	*ke = keys_find(z->id);
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
	if (ke != NULL && !ke->bad && ke->has_key) {
		job->tsig = true;
		job->key = ke->key;
	}
	if (ke != NULL && !ke->bad && ke->has_src) {
		job->has_src = true;
		job->src = ke->src;
	}
	job->arg = z;
	zone_set_state(z, ZONE_TRANSFERRING, m);
	S.ops->xfr_submit(job);
}

/*
 * Transfers: twice the workers in the pool at most, so each worker finds
 * its next job queued when a transfer ends and keeps its finished zones for
 * one group commit; each master within master.transfers.
 */
static void
admit_transfers(int64_t now)
{
	const struct conf	*c = S.conf;
	struct master		*m;

	if (now < S.xfr_pause)
		return;
	while (zone_counts.in[ZONE_TRANSFERRING] < (size_t)(2 * c->workers) &&
	    (m = master_next_xfr()) != NULL) {
		if (m->xfr_inflight >= c->master_xfrs)
			continue;	/* back when a transfer of its own ends */
		start_xfr(TAILQ_FIRST(&m->xfrwait), m);
		master_wants_xfr(m);
	}
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

void
sched_tick(void)
{
	const struct conf	*c = S.conf;
	int64_t			 now = S.ops->now(), next = INT64_MAX;
	struct zone		*z;
	struct master		*m;

	if (S.stopping)
		return;
	while ((z = zone_next_due()) != NULL && z->due.at <= now)
		zone_queue(z, now);
	while ((z = zone_next_expiry()) != NULL && z->exp.at <= now) {
		zone_set_expiry(z, ZONE_NEVER);
		if (!z->expired)
			log_err("zone %s: expired: no successful check for over %u s (SOA "
			    "EXPIRE); PowerDNS keeps serving the old data", z->name,
			    z->expire < (uint32_t)c->min_expire ? (uint32_t)c->min_expire :
			    z->expire);
		z->expired = true;
	}
	while ((m = master_next_timer()) != NULL && m->timer.at <= now) {
		master_timer_del(m);
		if (m->health == MASTER_DOWN)
			master_probe(m, now);
		master_wants_run(m);
	}
	admit_queries(now);
	admit_transfers(now);

	if ((z = zone_next_due()) != NULL)
		next = min64(next, z->due.at);
	if ((z = zone_next_expiry()) != NULL)
		next = min64(next, z->exp.at);
	if ((m = master_next_timer()) != NULL)
		next = min64(next, m->timer.at);
	if (S.soa_pause > now)
		next = min64(next, S.soa_pause);
	if (S.xfr_pause > now)
		next = min64(next, S.xfr_pause);
	if (zone_counts.in[ZONE_QUEUED] > 0 &&
	    zone_counts.in[ZONE_QUERYING] < (size_t)c->soa_inflight)
		next = min64(next, bucket_next(&S.tokens, c->soa_qps,
		    BUCKET_BURST(c->soa_qps), now));
	if (next != INT64_MAX)
		S.ops->arm(next > now ? next : now + 1);
}

/* The answer to the zone's SOA query. */
void
sched_soa_done(struct zone *z, const struct soa_result *res)
{
	const struct conf	*c = S.conf;
	struct master		*m = z->at;
	int64_t			 now = S.ops->now();
	int			 cmp;
	bool			 paused;

	z->sq = NULL;
	stats.checks++;
	kick();
	if (S.stopping) {
		zone_set_state(z, ZONE_DONE, NULL);
		return;
	}
	switch (res->status) {
	case SOA_LOCAL:		/* the zone's own trouble: the master is not asked */
		if (z->fails == 0)	/* a warning when it starts, then at debug */
			log_warnx("zone %s: master %s: SOA check failed: %s", z->name,
			    m->name, res->err);
		else
			log_debug("zone %s: master %s: SOA check failed: %s", z->name,
			    m->name, res->err);
		zone_fail(z, res->err, false, now);
		return;
	case SOA_TIMEOUT:
	case SOA_NETERR:
		/* A zone that failed before is silent on its own account: its
		 * timeout says nothing about the master, unless it probes. */
		paused = (z->fails == 0 || m->health == MASTER_PROBING) &&
		    master_silent(m, z->sent, now, (int64_t)c->master_down_s * 1000,
		    (int64_t)c->master_down_max_s * 1000);
		if (paused || m->health == MASTER_DOWN) {
			if (z->cur + 1 < z->nmasters || S.once)
				zone_fail(z, res->err, true, now);
			else {		/* waits in the queue for the probe */
				z->urgent = false;
				zone_set_state(z, ZONE_QUEUED, m);
			}
			if (paused) {
				master_log_error(m, z->name, "SOA check failed", res->err, now);
				master_paused(m, res->err, now);
			}
			return;
		}
		master_log_error(m, z->name, "SOA check failed", res->err, now);
		zone_fail(z, res->err, true, now);
		return;
	case SOA_OK:
		break;
	default:		/* an answer, even a refusal, shows the master is there */
		master_heard(m, z->id, now);
		master_log_error(m, z->name, "SOA check failed", res->err, now);
		zone_fail(z, res->err, true, now);
		return;
	}
	master_heard(m, z->id, now);
	cmp = z->has_soa ? zone_serial_cmp(z->serial, res->serial) : -1;
	if (cmp == -1 && z->npend < 0) {
		log_debug("zone %s: master %s has serial %u, ours %u%s", z->name,
		    m->name, res->serial, z->serial, z->has_soa ? "" : " (none)");
		zone_set_state(z, ZONE_XFR_QUEUED, m);
		admit_transfers(now);
		return;
	}
	if (cmp == -1) {		/* the master list changed meanwhile */
		zone_idle(z, now, now);
		return;
	}
	if (cmp == 0) {
		stats.unchanged++;
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
	lastcheck_add(z, time(NULL));
	zone_ok(z, now);
}

void
sched_xfr_fetched(struct xfr_job *job)
{
	zone_set_state(job->arg, ZONE_WRITING, NULL);
	kick();
}

static void
xfr_ok(struct zone *z, const struct master *m, const struct xfr_job *job, int64_t now)
{
	stats.transfers++;
	z->stale_warned = false;
	stats.rows_written += job->rows;
	if (z->has_soa)
		log_info("zone %s: serial %u -> %u from %s: %zu records, %zu rows stored "
		    "(%zu already so, kept) in %" PRId64 " ms", z->name, z->serial,
		    job->serial, m->name, job->records, job->rows, job->rows_kept, job->ms);
	else
		log_info("zone %s: first transfer, serial %u from %s: %zu records, %zu rows "
		    "stored in %" PRId64 " ms", z->name, job->serial, m->name, job->records,
		    job->rows, job->ms);
	if (job->ents_dropped > 0)
		log_warnx("zone %s: %zu empty non-terminals, more than pdns's max-ent-entries "
		    "(%d): none written, as pdns does", z->name, job->ents_dropped,
		    RR_MAX_ENTS);
	if (job->dropped > 0)
		log_warnx("zone %s: master %s sent %zu records outside the zone (first: %s); "
		    "dropped", z->name, m->name, job->dropped, job->dropped_example);
	z->has_soa = true;
	z->serial = job->serial;
	z->refresh = job->refresh;
	z->retry = job->retry;
	z->expire = job->expire;
	zone_ok(z, now);
}

void
sched_xfr_done(struct xfr_job *job)
{
	struct zone	*z = job->arg;
	struct master	*m = z->masters[z->cur];
	int64_t		 now = S.ops->now();

	kick();
	if (z->removed) {
		log_info("zone %s: removed from domains during its transfer", z->name);
		zone_set_state(z, ZONE_DONE, NULL);
		zone_drop(z);
		return;
	}
	switch (job->status) {
	case XFR_OK:
		xfr_ok(z, m, job, now);
		break;
	case XFR_NOTNEWER:
		stale_log(z, "zone %s: master %s: %s; rows kept", z->name, m->name, job->err);
		lastcheck_add(z, time(NULL));
		zone_ok(z, now);
		break;
	case XFR_FAILED:
		stats.xfr_failures++;
		master_log_error(m, z->name, "transfer failed, rows kept", job->err, now);
		zone_fail(z, job->err, true, now);
		break;
	case XFR_DBFAILED:
		stats.xfr_failures++;
		log_err("zone %s: database write failed, rolled back, old rows kept: %s",
		    z->name, job->err);
		zone_fail(z, job->err, false, now);
		break;
	case XFR_GONE:
		log_info("zone %s: no longer a SLAVE domain; transfer discarded", z->name);
		zone_set_state(z, ZONE_DONE, NULL);
		zone_table_remove(z);
		zone_free(z);
		break;
	case XFR_ABORTED:
		log_info("zone %s: transfer from %s aborted by shutdown, rows kept",
		    z->name, m->name);
		zone_set_state(z, ZONE_DONE, NULL);
		break;
	case XFR_LOCAL:		/* not the master's fault: again soon */
		log_ratelimited(&S.local_log, now, LOCAL_ERRLOG_MS, "zone %s: cannot open "
		    "a transfer socket: %s; pausing", z->name, job->err);
		zone_set_state(z, ZONE_XFR_QUEUED, m);
		S.xfr_pause = now + LOCAL_ERR_PAUSE_MS;
		break;
	}
}

void
sched_zone_added(struct zone *z, int64_t due, bool now_anyway)
{
	int64_t	 now = S.ops->now();

	if (z->has_soa && z->last_ok != ZONE_NEVER) {
		uint32_t ex = z->expire < (uint32_t)S.conf->min_expire ?
		    (uint32_t)S.conf->min_expire : z->expire;
		int64_t at = z->last_ok + (int64_t)ex * 1000;
		/* expired while we were not running: a check gets its chance
		 * first, so a start does not call every old zone expired */
		if (at < now + (int64_t)S.conf->min_retry * 1000)
			at = now + (int64_t)S.conf->min_retry * 1000;
		zone_set_expiry(z, at);
	}
	if (now_anyway || due <= now)
		zone_queue(z, now);
	else if (!S.once) {
		z->due.at = due;
		zone_set_state(z, ZONE_IDLE, NULL);
	}
	kick();
}

void
sched_zone_removed(struct zone *z)
{
	zone_table_remove(z);
	z->removed = true;
	if (z->state == ZONE_QUERYING) {
		S.ops->soa_cancel(z->sq);
		z->sq = NULL;
	} else if (z->state == ZONE_TRANSFERRING || z->state == ZONE_WRITING)
		return;			/* freed when the worker hands it back */
	zone_set_state(z, ZONE_DONE, NULL);
	zone_free(z);
}

void
sched_zone_masters(struct zone *z, const struct master_addr *ma, int n)
{
	int64_t	 now = S.ops->now();

	if (z->state == ZONE_DONE) {
		zone_set_masters(z, ma, n);
		return;
	}
	zone_set_pending(z, ma, n, now);
	if (z->state == ZONE_QUERYING) {	/* interrupt it, as NSD's xfrd does */
		S.ops->soa_cancel(z->sq);
		z->sq = NULL;
	} else if (z->state == ZONE_TRANSFERRING || z->state == ZONE_WRITING)
		return;				/* applied when it is idle again */
	zone_idle(z, now, now);
}

void
sched_notify(struct zone *z, int idx)
{
	int64_t	 now = S.ops->now();

	if (S.stopping || z->state == ZONE_DONE)
		return;
	if (z->state != ZONE_IDLE && z->state != ZONE_QUEUED) {
		if (!z->notify_again)
			log_debug("zone %s: NOTIFY while %s: checked again after", z->name,
			    zone_state_name(z->state));
		z->notify_again = true;
		return;
	}
	if (idx >= 0 && z->npend < 0)
		master_heard(z->masters[idx], z->id, now);	/* it just spoke to us */
	if (z->state == ZONE_QUEUED && z->in_urgent &&
	    (idx < 0 || z->npend >= 0 || z->at == z->masters[idx]))
		return;		/* in the urgent lane already: it keeps its place */
	if (idx >= 0 && z->npend < 0)
		z->cur = (uint8_t)idx;	/* ask the notifying master first */
	z->urgent = true;
	zone_queue(z, now);
	kick();
}

static void
stop_cb(struct zone *z, void *arg)
{
	(void)arg;
	if (z->state == ZONE_QUERYING) {
		S.ops->soa_cancel(z->sq);
		z->sq = NULL;
	}
	if (z->state != ZONE_TRANSFERRING && z->state != ZONE_WRITING)
		zone_set_state(z, ZONE_DONE, NULL);
}

void
sched_shutdown(void)
{
	S.stopping = true;
	zone_foreach(stop_cb, NULL);
}

bool
sched_done(void)
{
	if (!S.stopping && !(S.once && zone_counts.pending == 0))
		return false;
	return zone_counts.in[ZONE_QUERYING] == 0 && zone_counts.in[ZONE_TRANSFERRING] == 0 &&
	    zone_counts.in[ZONE_WRITING] == 0;
}
