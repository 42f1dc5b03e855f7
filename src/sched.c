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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "lastcheck.h"
#include "log.h"
#include "sched.h"
#include "stats.h"
#include "util.h"

#define LOCAL_ERR_PAUSE_MS	200	/* out of sockets here: wait before the next */
#define LOCAL_ERRLOG_MS		60000
#define IXFR_OFF_MS		3600000	/* a master that does not do IXFR: AXFR only
					 * for this long */
#define FIRST_LOAD_HEARD_MS	60000	/* a first load skips the SOA query from a
					 * master that answered this recently */
#define XFR_STREAK		16	/* transfers in a row over one kept connection */

static struct {
	const struct sched_ops	*ops;
	const struct conf	*conf;
	bool			 once, stopping;
	bool			 standby;	/* ha: another node holds the lease */
	int			 sock_cap;
	struct bucket		 tokens;	/* soa.queries-per-second */
	int64_t			 soa_pause;	/* out of sockets: no query until then */
	int64_t			 xfr_pause;
	struct log_rl		 local_log;
	/* transfer.ixfr-off-masters and -zones, parsed once a configuration */
	struct master_addr	*ixoff_ma;
	int			 n_ixoff_ma;
	char			**ixoff_zones;
	int			 n_ixoff_zones;
} S;

static void
ixfr_lists_free(void)
{
	for (int i = 0; i < S.n_ixoff_zones; i++)
		free(S.ixoff_zones[i]);
	free(S.ixoff_zones);
	free(S.ixoff_ma);
	S.ixoff_zones = NULL;
	S.ixoff_ma = NULL;
	S.n_ixoff_zones = S.n_ixoff_ma = 0;
}

/* The IXFR-off lists of c, parsed (the file was checked when it was read). */
static void
ixfr_lists(const struct conf *c)
{
	struct master_addr	 ma[2];
	char			 err[8];

	ixfr_lists_free();
	S.ixoff_ma = xreallocarray(NULL, (size_t)c->n_ixfr_off_masters + 1, sizeof(*S.ixoff_ma));
	S.n_ixoff_ma = 0;
	for (int i = 0; i < c->n_ixfr_off_masters; i++)
		if (master_parse(c->ixfr_off_masters[i], ma, 2, err, sizeof(err)) == 1)
			S.ixoff_ma[S.n_ixoff_ma++] = ma[0];
	S.ixoff_zones = xreallocarray(NULL, (size_t)c->n_ixfr_off_zones + 1,
	    sizeof(*S.ixoff_zones));
	S.n_ixoff_zones = c->n_ixfr_off_zones;
	for (int i = 0; i < c->n_ixfr_off_zones; i++) {
		S.ixoff_zones[i] = xstrdup(c->ixfr_off_zones[i]);
		zone_name_canon(S.ixoff_zones[i]);
	}
}


void
sched_init(const struct sched_ops *ops, const struct conf *c, bool once, int sock_cap)
{
	ixfr_lists_free();
	memset(&S, 0, sizeof(S));
	S.ops = ops;
	S.conf = c;
	S.once = once;
	ixfr_lists(c);
	zone_rules(c, once, false);
	S.sock_cap = sock_cap < 1 ? 1 : sock_cap;
	bucket_init(&S.tokens, 1, ops->now());
}

void
sched_set_conf(const struct conf *c)
{
	S.conf = c;
	ixfr_lists(c);
	zone_rules(c, S.once, S.stopping);
	S.ops->arm(S.ops->now());
}

int64_t
sched_now(void)
{
	return S.ops->now();
}

int64_t
sched_wall(int64_t at)
{
	return (int64_t)time(NULL) + (at - S.ops->now()) / 1000;
}

const struct conf *
sched_conf(void)
{
	return S.conf;
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

/* Free a zone that holds nothing in flight. */
static void
zone_drop(struct zone *z)
{
	if (!z->removed)
		zone_table_remove(z);
	zone_free(z);
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
	master_log_pause(m, why, waiting, now);
}

/* A real answer from m: a pause is over. */
static void
master_heard(struct master *m, uint32_t zone_id, int64_t now)
{
	if (master_answered(m, zone_id, now))
		kick();
}

/*
 * Test the master with one query (a first silence, or the end of a pause),
 * with the zone that answered last when it can (a zone the master never
 * answers would prove nothing), else the first one queued.
 */
static void
master_probe(struct master *m)
{
	struct zone	*z = zone_by_id(m->probe_id);

	master_set_health(m, MASTER_PROBING);
	log_debug("master %s: probing%s", m->name, m->down_ms > 0 ? " after a pause" :
	    " after a silence");
	m->probing_id = 0;
	if (z != NULL && z->state == ZONE_QUERYING && z->at == m)
		m->probing_id = z->id;	/* asked right now: its answer decides */
	else if (z != NULL && z->nmasters > 0 && z->masters[z->cur] == m &&
	    (z->state == ZONE_IDLE || (z->state == ZONE_QUEUED && z->at == m))) {
		z->urgent = true;
		zone_set_state(z, ZONE_QUEUED, m);
	}
	master_wants_run(m);
}

static void	admit_transfers(int64_t);
static bool	ixfr_udp_wanted(const struct zone *, const struct master *, int64_t);

/* Errors that are about this host, not about the master. */
static bool
errno_local(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/*
 * Send z's SOA query to m (a first load from a master heard lately: queue
 * its transfer instead).  False when this host is out of sockets or
 * buffers: the zone goes back to the front of m's work and queries pause,
 * since the master is not to blame.
 */
static bool
start_query(struct zone *z, struct master *m, int64_t now)
{
	const struct keys_entry	*ke = keys_find(z->id);
	struct soa_result	 res;
	char			 a[80];
	int			 e;

	z->urgent = false;
	/*
	 * No SOA stored: no serial to compare, the first load is a transfer
	 * whatever the master says.  From a master that answered lately it
	 * goes straight there; one not heard from lately is asked first,
	 * which tests it for the price of a datagram.  Only the first try:
	 * a zone whose transfer failed is asked again by SOA, which costs a
	 * datagram, not a connection, and says why (NXDOMAIN, REFUSED, not
	 * authoritative) for the status table and orphan detection.
	 */
	if (!z->has_soa && z->fails == 0 && z->pend == NULL && m->health == MASTER_UP &&
	    master_heard_since(m, now - FIRST_LOAD_HEARD_MS) && (ke == NULL || !ke->bad)) {
		log_debug("zone %s: no SOA stored: first load straight from %s", z->name,
		    m->name);
		stats.checks++;		/* the check's answer: nothing here, transfer */
		stats.first_direct++;
		zone_set_state(z, ZONE_XFR_QUEUED, m);
		admit_transfers(now);
		return true;
	}
	zone_set_state(z, ZONE_QUERYING, m);
	if (ke != NULL && ke->bad) {		/* the zone's own trouble */
		soa_result_fail(&res, SOA_LOCAL, "%s", ke->err);
		sched_soa_done(z, &res);
		return true;
	}
	if ((z->sq = S.ops->soa_start(z, m, ke, ixfr_udp_wanted(z, m, now))) != NULL)
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
		soa_result_fail(&res, SOA_LOCAL, "cannot use AXFR-SOURCE %s: %s", a,
		    strerror(e));
	} else
		soa_result_fail(&res, SOA_NETERR, "cannot send: %s", strerror(e));
	sched_soa_done(z, &res);
	return true;
}

/* A master under test has its one test query out: nothing else goes. */
static bool
probe_out(struct master *m)
{
	struct zone	*p;

	if (m->health != MASTER_PROBING || m->probing_id == 0)
		return false;
	if ((p = zone_by_id(m->probing_id)) != NULL && p->state == ZONE_QUERYING &&
	    p->at == m)
		return true;
	m->probing_id = 0;	/* it ended another way (cancelled, removed) */
	return false;
}

/*
 * One admission path for every SOA query, NOTIFY or not: the global
 * in-flight limit, the sockets we may open, the global rate, then the
 * master's own in-flight limit and rate.  A master turned away for its own
 * limits comes back when one of its queries ends or its tokens are there.
 * Returns when to look again for want of global tokens (INT64_MAX: when a
 * query ends or a zone comes due).
 */
static int64_t
admit_queries(int64_t now)
{
	const struct conf	*c = S.conf;
	int			 burst = BUCKET_BURST(c->soa_qps);
	int			 mburst = BUCKET_BURST(c->master_qps);
	struct master		*m;
	struct zone		*z;
	int64_t			 t;

	for (;;) {
		if (now < S.soa_pause ||
		    zone_counts.in[ZONE_QUERYING] >= (size_t)c->soa_inflight ||
		    zone_counts.in[ZONE_QUERYING] >= (size_t)S.sock_cap)
			return INT64_MAX;
		if ((t = bucket_next(&S.tokens, c->soa_qps, burst, now)) > now)
			return master_can_run() ? t : INT64_MAX;
		if ((m = master_next_run()) == NULL)
			return INT64_MAX;
		if (m->soa_inflight >= c->master_inflight || probe_out(m))
			continue;
		if (!bucket_take(&m->tokens, c->master_qps, mburst, now)) {
			master_timer_set(m, bucket_next(&m->tokens, c->master_qps, mburst, now));
			continue;
		}
		bucket_take(&S.tokens, c->soa_qps, burst, now);
		if ((z = TAILQ_FIRST(&m->urgent)) == NULL &&
		    (z = TAILQ_FIRST(&m->ready)) == NULL)
			continue;
		if (m->health == MASTER_PROBING)
			m->probing_id = z->id;	/* its answer, or silence, decides */
		if (!start_query(z, m, now))
			return INT64_MAX;	/* S.soa_pause says when */
	}
}

/* Whether to ask m for z's changes (IXFR) before the whole zone. */
static bool
ixfr_wanted(const struct zone *z, const struct master *m, int64_t now)
{
	if (!S.conf->ixfr || !z->has_soa || z->force || now < m->ixfr_off_until)
		return false;
	for (int i = 0; i < S.n_ixoff_ma; i++)
		if (master_addr_eq(&S.ixoff_ma[i], (const struct sockaddr *)&m->addr.ss,
		    m->addr.len))
			return false;
	for (int i = 0; i < S.n_ixoff_zones; i++)
		if (strcmp(S.ixoff_zones[i], z->name) == 0)
			return false;
	return true;
}

/*
 * Whether z's check asks m by IXFR over UDP (transfer.ixfr-udp): where
 * IXFR is asked, for every check or for those a NOTIFY set off (a change
 * is then all but certain; a routine check mostly finds none, and a SOA
 * query costs the master less: NSD 4.6 spends half as much CPU again on
 * an IXFR), unless m refused it lately.
 */
static bool
ixfr_udp_wanted(const struct zone *z, const struct master *m, int64_t now)
{
	if (S.conf->ixfr_udp == IXFR_UDP_OFF || now < m->ixfr_udp_off_until ||
	    (S.conf->ixfr_udp == IXFR_UDP_NOTIFY && z->notify_at == 0))
		return false;
	return ixfr_wanted(z, m, now);
}

static void
start_xfr(struct zone *z, struct master *m)
{
	struct xfr_job	*job = xfr_job_new(S.conf, z->id, z->name, &m->addr,
			    z->has_soa && !z->force, z->serial, keys_find(z->id), z);
	struct dnsmsg	*udp = zone_take_udp(z);

	job->ixfr = ixfr_wanted(z, m, S.ops->now());
	if (job->ixfr)
		job->udp = udp;		/* the check's answer: tried before TCP */
	else
		free(udp);
	job->rediscover = z->ap_new;
	job->rows_hint = z->rows_bits > 0 ? (size_t)1 << z->rows_bits : 0;
	zone_set_state(z, ZONE_TRANSFERRING, m);
	S.ops->xfr_submit(job);
}

/*
 * A master's next transfer: the first zone whose transfers work, and when
 * zones whose last transfer failed wait too, one of them every other time,
 * so neither kind waits for all of the other.
 */
static struct zone *
next_xfr(struct master *m)
{
	struct zone	*h = TAILQ_FIRST(&m->xfrwait), *f = m->xfr_ffirst;

	if (h == f)
		h = NULL;		/* only failing ones wait */
	if (h != NULL && (f == NULL || !m->xfr_turn)) {
		m->xfr_turn = true;
		return h;
	}
	m->xfr_turn = false;
	return f;
}

/*
 * Transfers: twice the workers in the pool at most, so each worker finds
 * its next job queued when a transfer ends and keeps its finished zones for
 * one group commit; each master within master.transfers, or one at a time
 * once one of its transfers broke a limit (time, rate, size, memory) until
 * one succeeds: a master cannot hold the pool with slow or huge zones.
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
		if (m->xfr_inflight >= (m->xfr_one ? 1 : c->master_xfrs))
			continue;	/* back when a transfer of its own ends */
		start_xfr(next_xfr(m), m);
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
	int64_t			 now = S.ops->now(), next;
	struct zone		*z;
	struct master		*m;

	if (S.stopping || S.standby)
		return;		/* standby: nothing runs; a takeover resyncs */
	while ((z = zone_next_due()) != NULL && z->due.at <= now)
		zone_queue(z, now);
	while ((z = zone_next_expiry()) != NULL && z->exp.at <= now)
		zone_expiry_check(z, now);
	while ((m = master_next_timer()) != NULL && m->timer.at <= now) {
		master_timer_del(m);
		if (m->health == MASTER_DOWN)
			master_probe(m);
		master_wants_run(m);
	}
	next = admit_queries(now);
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
	if (next != INT64_MAX)
		S.ops->arm(next > now ? next : now + 1);
}

/*
 * transfer.follow-lower-serial: a master whose serial went below ours (a
 * reinstalled panel) is followed once it has kept that serial so long.
 * True when the zone goes to transfer it.
 */
static bool
follow_lower(struct zone *z, struct master *m, uint32_t serial, int64_t now)
{
	uint32_t	 secs = (uint32_t)(now / 1000);	/* the scheduler's clock */
	int		 after = S.conf->follow_lower_s;

	if (after == 0 || z->pend != NULL)	/* new masters: theirs counts */
		return false;
	if (z->lower_since == 0 || z->lower_serial != serial) {
		z->lower_serial = serial;
		z->lower_since = secs;
		return false;
	}
	if (secs - z->lower_since < (uint32_t)after)
		return false;
	log_warnx("zone %s: master %s has served serial %u, below our %u, for %u s "
	    "(transfer.follow-lower-serial %d): transferring it", z->name, m->name,
	    serial, z->serial, secs - z->lower_since, after);
	z->lower_since = 0;
	z->force = true;
	zone_set_state(z, ZONE_XFR_QUEUED, m);
	admit_transfers(now);
	return true;
}

/* The answer to the zone's SOA query. */
void
sched_soa_done(struct zone *z, const struct soa_result *res)
{
	const struct conf	*c = S.conf;
	struct master		*m = z->at;
	int64_t			 now = S.ops->now();
	int			 cmp;
	bool			 silent, paused;

	z->sq = NULL;
	stats.checks++;
	if ((unsigned)res->status < NITEMS(stats.soa_by))
		stats.soa_by[res->status]++;
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
		/*
		 * Against the master count only the probe's timeout, or a zone's
		 * first one (a zone that failed before is silent on its own
		 * account), and only if nothing came back from the master since
		 * the query left.  The first such timeout tests the master at once
		 * with the zone it answered last; only the test's pauses it.
		 */
		silent = (m->health == MASTER_PROBING ? z->id == m->probing_id :
		    z->fails == 0) && !master_heard_since(m, now - res->rtt_ms);
		if (silent && m->health == MASTER_UP) {
			master_log_error(m, z->name, "SOA check failed", res->err, now);
			zone_fail(z, res->err, true, now);
			master_probe(m);
			return;
		}
		paused = silent && master_silent(m, now, (int64_t)c->master_down_s * 1000,
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
		z->att_lame = res->lame;
		zone_fail(z, res->err, true, now);
		return;
	}
	master_heard(m, z->id, now);
	if (res->ixfr_refused && now >= m->ixfr_udp_off_until) {
		/* a master's way, not a fault (Knot sets no AA): said once */
		char	 line[320];

		m->ixfr_udp_off_until = now + IXFR_OFF_MS;
		snprintf(line, sizeof(line), "master %s: no IXFR over UDP from it (%s, "
		    "zone %s): SOA checks for %d minutes", m->name, res->ixfr_why, z->name,
		    IXFR_OFF_MS / 60000);
		if (m->ixfr_udp_said)
			log_debug("%s", line);
		else
			log_info("%s", line);
		m->ixfr_udp_said = true;
	}
	/* retransfer: whatever the serial */
	cmp = z->has_soa && !z->force ? zone_serial_cmp(z->serial, res->serial) : -1;
	if (cmp == -1 && z->pend == NULL) {
		log_debug("zone %s: master %s has serial %u, ours %u%s", z->name,
		    m->name, res->serial, z->serial, z->has_soa ? "" : " (none)");
		zone_set_state(z, ZONE_XFR_QUEUED, m);
		if (res->xfr != NULL && !zone_hold_udp(z, res->xfr, res->xfrlen))
			stats.udp_not_held++;
		admit_transfers(now);
		return;
	}
	if (cmp == -1) {		/* the master list changed meanwhile */
		zone_schedule(z, now, now);
		return;
	}
	if (cmp != 1 && cmp != 2)
		z->lower_since = 0;
	else if (follow_lower(z, m, res->serial, now))
		return;
	if (cmp == 0) {
		stats.unchanged++;
		z->stale_warned = false;
		log_debug("zone %s: serial %u unchanged at %s (%" PRId64 " ms)",
		    z->name, z->serial, m->name, res->rtt_ms);
	} else if (cmp == 2)
		zone_stale_log(z, "zone %s: master %s serial %u is exactly 2^31 from ours %u: "
		    "RFC 1982 leaves that undefined, keeping ours", z->name, m->name,
		    res->serial, z->serial);
	else
		zone_stale_log(z, "zone %s: master %s serial %u is older than ours %u, keeping "
		    "ours%s", z->name, m->name, res->serial, z->serial, S.conf->follow_lower_s ?
		    " until the master has kept it for transfer.follow-lower-serial" :
		    " (pdns-refresher-control retransfer takes it)");
	lastcheck_add(z, time(NULL));
	zone_ok(z, now, cmp == 0 ? ZR_UNCHANGED : ZR_KEPT);
}

/*
 * Whether m, whose transfer just ended with job, goes on with its next
 * waiting zone ahead of the masters queued for their turn: when the
 * connection went back to xfr.c's pool, up to XFR_STREAK times in a row.
 * A master's zones then come over one TCP connection instead of a
 * handshake each; in a plain round robin over 10,000 masters the turn came
 * back to a master long after its kept connection was closed.  After a
 * streak the master waits for its turn at the end of the queue like every
 * other.  Called while the zone still holds m; when true, the caller puts
 * m first (master_xfr_first) once the zone has left it: m's waiting zones
 * hold it, and the next tick (kick) admits its transfer before the others.
 */
static bool
streak_next(struct master *m, const struct xfr_job *job)
{
	if (job->kept && m->xfr_streak < XFR_STREAK && !TAILQ_EMPTY(&m->xfrwait)) {
		m->xfr_streak++;
		return true;
	}
	m->xfr_streak = 0;
	return false;
}

void
sched_xfr_fetched(struct xfr_job *job)
{
	struct zone	*z = job->arg;
	struct master	*m = z->at;
	bool		 go = streak_next(m, job);

	zone_set_state(z, ZONE_WRITING, NULL);
	if (go)
		master_xfr_first(m);
	kick();
}

static void
xfr_ok(struct zone *z, const struct master *m, const struct xfr_job *job, int64_t now)
{
	stats.transfers++;
	z->stale_warned = false;
	stats.rows_written += job->rows;
	for (z->rows_bits = 0; z->rows_bits < 31 && job->rows >> z->rows_bits != 0; z->rows_bits++)
		;
	stats.xfr_bytes += job->bytes;
	stats.xfr_records += job->records;
	hist_observe(&stats.xfr_seconds, (double)job->ms / 1000.0);
	hist_observe(&stats.commit_seconds, (double)job->commit_ms / 1000.0);
	if (job->how < NITEMS(stats.xfr_how))
		stats.xfr_how[job->how]++;
	stats.xfr_udp += job->by_udp;
	if (z->notify_at != 0)
		hist_observe(&stats.notify_seconds, (double)(now - z->notify_at) / 1000.0);
	if (job->how == XFR_BY_IXFR)
		log_info("zone %s: serial %u -> %u from %s by IXFR%s: %zu records changed "
		    "in %zu version%s, %zu bytes; %zu rows stored (%zu already so, kept) in "
		    "%" PRId64 " ms", z->name, z->serial, job->serial, m->name,
		    job->by_udp ? " over UDP" : "", job->changes, job->deltas,
		    job->deltas == 1 ? "" : "s", job->bytes, job->rows, job->rows_kept,
		    job->ms);
	else if (z->has_soa)
		log_info("zone %s: serial %u -> %u from %s: %zu records, %zu rows stored "
		    "(%zu already so, kept) in %" PRId64 " ms%s", z->name, z->serial,
		    job->serial, m->name, job->records, job->rows, job->rows_kept, job->ms,
		    job->how != XFR_BY_IXFR_FULL ? "" : job->by_udp ?
		    " (IXFR answered with the whole zone, over UDP)" :
		    " (IXFR answered with the whole zone)");
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
	zone_set_loaded(z);
	z->ap_new = false;
	z->serial = job->serial;
	z->refresh = job->refresh;
	z->retry = job->retry;
	z->expire = job->expire;
	z->serial_at = (uint32_t)time(NULL);
	zone_ok(z, now, ZR_TRANSFERRED);
}

void
sched_xfr_done(struct xfr_job *job)
{
	struct zone	*z = job->arg;
	struct master	*m = z->masters[z->cur];
	int64_t		 now = S.ops->now();
	bool		 go = false;

	kick();
	if ((unsigned)job->status < NITEMS(stats.xfr_by))
		stats.xfr_by[job->status]++;
	stats.xfr_limit += job->status == XFR_FAILED && job->limit;
	if (z->removed) {
		log_info("zone %s: removed from domains during its transfer", z->name);
		zone_drop(z);
		return;
	}
	if (z->state == ZONE_TRANSFERRING && z->at == m)	/* not written in a group */
		go = streak_next(m, job);
	if (job->status == XFR_FAILED && job->limit && !m->xfr_one) {
		m->xfr_one = true;
		log_warnx("master %s: a transfer (zone %s) broke a limit: transfers from it "
		    "one at a time until one succeeds", m->name, z->name);
	} else if ((job->status == XFR_OK || job->status == XFR_NOTNEWER) && m->xfr_one) {
		m->xfr_one = false;
		log_info("master %s: a transfer succeeded (zone %s): back to "
		    "master.transfers at once", m->name, z->name);
	}
	if (job->how == XFR_BY_FALLBACK)
		log_info("zone %s: IXFR from %s not used (%s): asking AXFR", z->name,
		    m->name, job->ixfr_why);
	if (job->ixfr_refused && now >= m->ixfr_off_until) {
		m->ixfr_off_until = now + IXFR_OFF_MS;
		log_warnx("master %s: %s (zone %s): AXFR only from it for %d minutes",
		    m->name, job->ixfr_why, z->name, IXFR_OFF_MS / 60000);
	}
	if (job->status == XFR_FAILED)
		z->xfr_failed = true;
	else if (job->status == XFR_OK || job->status == XFR_NOTNEWER)
		z->xfr_failed = false;
	switch (job->status) {
	case XFR_OK:
		stats_db(NULL);
		xfr_ok(z, m, job, now);
		break;
	case XFR_NOTNEWER:
		zone_stale_log(z, "zone %s: master %s: %s; rows kept", z->name, m->name, job->err);
		lastcheck_add(z, time(NULL));
		zone_ok(z, now, ZR_KEPT);
		break;
	case XFR_FAILED:
		stats.xfr_failures++;
		master_log_error(m, z->name, "transfer failed, rows kept", job->err, now);
		zone_fail(z, job->err, true, now);
		break;
	case XFR_DBFAILED:
		stats.xfr_failures++;
		stats_db(job->err);
		log_err("zone %s: database write failed, rolled back, old rows kept: %s",
		    z->name, job->err);
		zone_fail(z, job->err, false, now);
		break;
	case XFR_GONE:
		log_info("zone %s: no longer a SLAVE domain; transfer discarded", z->name);
		zone_drop(z);
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
	if (go)
		master_xfr_first(m);
}

void
sched_zone_added(struct zone *z, int64_t due, bool now_anyway)
{
	int64_t	 now = S.ops->now();

	if (z->has_soa && z->last_ok != ZONE_NEVER) {
		int64_t at = z->last_ok + (int64_t)zone_expire_s(z) * 1000;
		/* expired while we were not running: its first check gets its
		 * chance (a failure says it, zone_fail), so a start or a long
		 * sweep does not call every old zone expired */
		if (at > now)
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
	zone_schedule(z, now, now);
}

/*
 * Check z now, in the urgent lane, at its master idx when that is given
 * (-1: where it stands); a busy zone is checked again right after.  heard:
 * the master just spoke to us (a NOTIFY from it).
 */
static bool
check_now(struct zone *z, int idx, bool heard, const char *who)
{
	int64_t	 now = S.ops->now();

	if (S.stopping || z->state == ZONE_DONE)
		return false;
	if (z->state != ZONE_IDLE && z->state != ZONE_QUEUED) {
		if (!z->notify_again)
			log_debug("zone %s: %s while %s: checked again after", z->name,
			    who, zone_state_name(z->state));
		z->notify_again = true;
		return true;
	}
	if (heard && idx >= 0 && z->pend == NULL)
		master_heard(z->masters[idx], z->id, now);	/* it just spoke to us */
	if (z->state == ZONE_QUEUED && z->in_urgent &&
	    (idx < 0 || z->pend != NULL || z->at == z->masters[idx]))
		return true;	/* in the urgent lane already: it keeps its place */
	if (idx >= 0 && z->pend == NULL)
		z->cur = (uint8_t)idx;	/* ask that master first */
	z->urgent = true;
	zone_queue(z, now);
	kick();
	return true;
}

void
sched_set_standby(bool standby)
{
	S.standby = standby;
	kick();
}

bool
sched_standby(void)
{
	return S.standby;
}

void
sched_zone_resync(struct zone *z, int64_t due)
{
	int64_t	 now = S.ops->now();

	if (z->state != ZONE_IDLE && z->state != ZONE_QUEUED)
		return;			/* busy: its check goes on */
	if (z->state == ZONE_QUEUED && z->in_urgent)
		return;			/* a NOTIFY's check waits its turn: it keeps it */
	z->due.at = due;
	if (due > now)
		zone_set_state(z, ZONE_IDLE, NULL);
	else if (z->state == ZONE_IDLE)
		zone_queue(z, now);
	kick();
}

void
sched_notify(struct zone *z, int idx)
{
	if (z->notify_at == 0 && z->state != ZONE_DONE && !S.stopping)
		z->notify_at = S.ops->now();	/* NOTIFY-to-commit starts */
	check_now(z, idx, true, "NOTIFY");
}

bool
sched_check_now(struct zone *z, int idx)
{
	return check_now(z, idx, false, "check requested");
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
	zone_rules(S.conf, S.once, true);
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
