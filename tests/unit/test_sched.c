/*
 * The scheduler on a fake clock: sched.c, zone.c, master.c and domains.c
 * linked as they are, with SOA queries, transfers and time behind the ops
 * table.  The first cases are the defects found on the running daemon
 * (issue 11); then the timer rules.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "dbthread.h"
#include "domains.h"
#include "keys.h"
#include "lastcheck.h"
#include "notify.h"
#include "sched.h"
#include "stats.h"
#include "unit.h"

/* ---- the fake world ---- */

struct fq {				/* one SOA query */
	struct zone	*z;
	struct master	*m;
	int64_t		 sent;
	bool		 live, cancelled;
	bool		 keyed;		/* asked with a TSIG key */
	bool		 ixfr;		/* asked IXFR (over UDP) */
};

#define MAXQ	20000
static struct fq	 q[MAXQ];
static int		 nq;
static struct xfr_job	*jobs[MAXQ];
static int		 njobs;
static int64_t		 fake_now = 1000000, armed = INT64_MAX;
static int		 fail_errno;	/* soa_start fails with this */
static struct conf	 C;

static int64_t
f_now(void)
{
	return fake_now;
}

static void
f_arm(int64_t at)
{
	if (at < armed)
		armed = at;
}

static void *
f_soa_start(struct zone *z, struct master *m, const struct keys_entry *ke, bool ixfr)
{
	if (fail_errno != 0) {
		errno = fail_errno;
		return NULL;
	}
	if (nq == MAXQ)
		abort();
	q[nq] = (struct fq){ z, m, fake_now, true, false, ke != NULL && ke->has_key, ixfr };
	return &q[nq++];
}

static void
f_soa_cancel(void *h)
{
	struct fq	*f = h;

	f->live = false;
	f->cancelled = true;
}

static void
f_xfr_submit(struct xfr_job *job)
{
	jobs[njobs++] = job;
}

static const struct sched_ops fake_ops = {
	f_now, f_arm, f_soa_start, f_soa_cancel, f_xfr_submit,
};

/* Run the loop until t: every armed tick on time. */
static void
run_until(int64_t t)
{
	for (;;) {
		int64_t next = armed;
		if (next > t)
			break;
		if (next > fake_now)
			fake_now = next;
		armed = INT64_MAX;
		sched_tick();
	}
	fake_now = t;
	armed = INT64_MAX;
	sched_tick();
}

static void
reset(void)
{
	zone_table_clear();
	keys_clear();
	for (int i = 0; i < njobs; i++)
		xfr_job_free(jobs[i]);
	nq = njobs = 0;
	fail_errno = 0;
	armed = INT64_MAX;
	fake_now += 100000000;
	memset(&C, 0, sizeof(C));
	C.workers = 4;
	C.soa_qps = 1000;
	C.soa_inflight = 1000;
	C.soa_timeout_ms = 500;
	C.soa_tries = 2;
	C.master_qps = 1000;
	C.master_inflight = 20;
	C.master_xfrs = 2;
	C.master_down_s = 30;
	C.master_down_max_s = 3600;
	C.xfr_idle_s = 30;
	C.xfr_total_s = 600;
	C.xfr_max_records = 1000;
	C.xfr_max_bytes = 1 << 20;
	C.min_refresh = 1;
	C.max_refresh = 86400;
	C.min_retry = 1;
	C.max_retry = 3600;
	C.min_expire = 60;
	C.max_backoff = 3600;
	C.domains_reload_s = 60;
	C.domains_rescan_s = 900;
	sched_init(&fake_ops, &C, false, 100000);
}

/* n domains from id first: name PREFIXi.test, master text, SOA serial 1
 * with REFRESH refresh, last checked age seconds ago (-1: never). */
static void
load(int first, int n, const char *prefix, const char *master, int refresh, int age,
    bool partial_ok)
{
	struct db_domain	*d = xcalloc((size_t)n, sizeof(*d));
	char			 soa[128];

	snprintf(soa, sizeof(soa), "ns h 1 %d 5 600 300", refresh);
	for (int i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s%d.test", prefix, first + i);
		d[i].id = (uint32_t)(first + i);
		d[i].name = xstrdup(name);
		d[i].master = xstrdup(master);
		d[i].last_check = age < 0 ? -1 : (int64_t)time(NULL) - age;
		d[i].soa = refresh > 0 ? xstrdup(soa) : NULL;
	}
	domains_merge(d, (size_t)n, partial_ok, true);
	for (int i = 0; i < n; i++) {
		free(d[i].name);
		free(d[i].master);
		free(d[i].soa);
	}
	free(d);
}

static struct fq *
live_query(const char *zone)
{
	for (int i = nq - 1; i >= 0; i--)
		if (q[i].live && strcmp(q[i].z->name, zone) == 0)
			return &q[i];
	return NULL;
}

static int
live_count(const struct master *m)
{
	int	 n = 0;

	for (int i = 0; i < nq; i++)
		if (q[i].live && (m == NULL || q[i].m == m))
			n++;
	return n;
}

/* Answer a query: OK with serial, or another status. */
static void
answer(struct fq *f, enum soa_status st, uint32_t serial)
{
	struct soa_result	 r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.serial = serial;
	r.refresh = 5;
	r.retry = 5;
	r.expire = 600;
	r.rtt_ms = fake_now - f->sent;
	if (st != SOA_OK)
		snprintf(r.err, sizeof(r.err), "status %d", st);
	f->live = false;
	sched_soa_done(f->z, &r);
}

/* Answer every live query for zones matching prefix (NULL: all). */
static int
answer_all(const char *prefix, enum soa_status st, uint32_t serial)
{
	int	 n = 0;

	for (int i = 0; i < nq; i++)
		if (q[i].live && (prefix == NULL ||
		    strncmp(q[i].z->name, prefix, strlen(prefix)) == 0)) {
			answer(&q[i], st, serial);
			n++;
		}
	return n;
}

/*
 * m stops answering: every query out times out, and so does the test query
 * the first silence sets off (with the zone m answered last, or the next
 * zone to come due); m is paused then.
 */
static void
silence(struct master *m)
{
	for (int i = 0; i < 30 && m->health != MASTER_DOWN; i++) {
		answer_all(NULL, SOA_TIMEOUT, 0);
		if (m->health != MASTER_DOWN)
			run_until(fake_now + 1000);
	}
}

/* A transfer job for zone, finished as status. */
static bool
finish_xfr(const char *zone, enum xfr_status st, uint32_t serial)
{
	for (int i = 0; i < njobs; i++) {
		struct xfr_job *j = jobs[i];
		if (j == NULL || strcmp(j->zone, zone) != 0)
			continue;
		j->status = st;
		j->serial = serial;
		j->refresh = 5;
		j->retry = 5;
		j->expire = 600;
		sched_xfr_done(j);
		xfr_job_free(j);
		jobs[i] = NULL;
		return true;
	}
	return false;
}

static struct master *
master_of(const char *zone)
{
	struct zone	*z = zone_by_name(zone);

	return z == NULL ? NULL : z->masters[z->cur];
}

/* ---- the defects of issue 11 ---- */

/* 1: zones dropped while queued must not leave their masters on run lists. */
static void
test_drop_while_queued(void)
{
	reset();
	C.soa_qps = 1;
	C.master_qps = 1;
	for (int i = 1; i <= 60; i++) {
		char m[32];
		snprintf(m, sizeof(m), "127.0.4.%d:5300", i);
		load(i, 1, "u", m, 5, -1, true);
	}
	run_until(fake_now + 10);
	CHECK(zone_counts.in[ZONE_QUEUED] >= 58, "drop: 60 zones at 1 query/s are queued "
	    "(%zu)", zone_counts.in[ZONE_QUEUED]);
	size_t masters = master_count();
	/* the whole list now has only ids 1..20: 40 zones and masters go */
	struct db_domain d[20];
	char names[20][32], ms[20][32];
	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "u%d.test", i + 1);
		snprintf(ms[i], sizeof(ms[i]), "127.0.4.%d:5300", i + 1);
		d[i] = (struct db_domain){ .id = (uint32_t)i + 1, .name = names[i], .master = ms[i], .last_check = -1 };
	}
	domains_merge(d, 20, false, true);
	CHECK(zone_count() == 20 && master_count() == 20, "drop: 40 zones and their masters "
	    "freed (%zu zones, %zu of %zu masters left)", zone_count(), master_count(), masters);
	int before = nq;
	run_until(fake_now + 30000);
	bool ok = nq > before;
	for (int i = before; i < nq; i++)
		if (zone_by_id(q[i].z->id) != q[i].z || q[i].z->id > 20)
			ok = false;
	CHECK(ok, "drop: the loop goes on with the 20 zones left (%d queries)", nq - before);
}

/* 1b: NOTIFY for a queued zone, then its master changes. */
static void
test_notify_then_master_change(void)
{
	reset();
	C.soa_qps = 1;
	C.master_qps = 1;
	load(1, 3, "n", "127.0.5.1:5300", 5, -1, true);
	run_until(fake_now + 1);
	struct zone *z = zone_by_name("n3.test");
	if (z->state != ZONE_QUEUED)
		z = zone_by_name("n2.test");
	sched_notify(z, 0);
	load(z->id, 1, "n", "127.0.5.2:5300", 5, -1, true);
	run_until(fake_now + 5000);
	struct fq *f = live_query(z->name);
	CHECK(f != NULL && strcmp(f->m->name, "127.0.5.2:5300") == 0,
	    "notify then master change: the zone is asked at its new master");
}

/* 3: a few silent zones do not stall every other zone of their master. */
static void
test_silent_zones(void)
{
	int	 transferred = 0;

	reset();
	load(1, 50, "q", "127.0.3.1:5300", 5, 0, true);
	struct master *m = master_of("q1.test");
	int64_t start = fake_now;
	/* 60 s: answer every query after 10 ms; q1..q5 never */
	for (int64_t t = start; t < start + 60000; t += 10) {
		run_until(t);
		for (int i = 0; i < nq; i++) {
			if (!q[i].live || t - q[i].sent < 10)
				continue;
			int k = atoi(q[i].z->name + 1);
			if (k <= 5) {
				if (t - q[i].sent >= C.soa_timeout_ms * C.soa_tries)
					answer(&q[i], SOA_TIMEOUT, 0);
			} else
				answer(&q[i], SOA_OK, 2);
		}
		for (int i = 0; i < njobs; i++)
			if (jobs[i] != NULL && finish_xfr(jobs[i]->zone, XFR_OK, 2))
				transferred++;
		if (transferred == 45 && t > start + 20000)
			break;
	}
	CHECK(transferred == 45, "silent zones: the other 45 of the master transferred "
	    "(%d)", transferred);
	CHECK(m->health == MASTER_UP, "silent zones: the master is never paused (%s)",
	    master_health_name(m->health));
	CHECK(zone_by_name("q1.test")->fails >= 2, "silent zones: a silent zone backs off "
	    "on its own (%u failures)", zone_by_name("q1.test")->fails);
}

/* 4: a master change reaches a zone that is busy at the reload. */
static void
test_master_change_busy(void)
{
	reset();
	load(1, 2, "b", "127.0.6.1:5300", 5, -1, true);
	run_until(fake_now + 1);
	/* b1 querying: interrupted and asked at the new master */
	load(1, 1, "b", "127.0.6.2:5300", 5, -1, true);
	run_until(fake_now + 1);
	struct fq *f = live_query("b1.test");
	CHECK(f != NULL && strcmp(f->m->name, "127.0.6.2:5300") == 0,
	    "master change while querying: asked again at the new master at once");
	/* b2 transferring: the new list waits for the end of the transfer */
	answer(live_query("b2.test"), SOA_OK, 2);
	run_until(fake_now + 1);
	CHECK(zone_by_name("b2.test")->state == ZONE_TRANSFERRING, "b2 transferring");
	load(2, 1, "b", "127.0.6.3:5300", 5, -1, true);
	finish_xfr("b2.test", XFR_FAILED, 0);
	run_until(fake_now + 1);
	f = live_query("b2.test");
	CHECK(f != NULL && strcmp(f->m->name, "127.0.6.3:5300") == 0,
	    "master change while transferring: used as soon as the transfer ends");
	/* the same list again: nothing lost, nothing repeated */
	load(2, 1, "b", "127.0.6.3:5300", 5, -1, true);
	CHECK(zone_by_name("b2.test")->pend == NULL, "the same list again: no pending change");
}

/* 5: NOTIFYs go through every in-flight limit. */
static void
test_notify_caps(void)
{
	reset();
	C.soa_inflight = 10;
	C.master_inflight = 5;
	load(1, 200, "n", "127.0.7.1:5300", 3600, 0, true);
	load(1000, 1, "o", "127.0.7.2:5300", 3600, 0, true);
	struct master *m = master_of("n1.test");
	run_until(fake_now + 10);
	CHECK(nq == 0, "notify caps: nothing due");
	for (int i = 1; i <= 200; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%d.test", i);
		sched_notify(zone_by_name(name), 0);
	}
	sched_notify(zone_by_name("o1000.test"), 0);
	run_until(fake_now + 10);
	CHECK(live_count(m) == 5, "notify caps: 200 NOTIFYs for one master: %d queries out "
	    "(master.in-flight 5)", live_count(m));
	CHECK(live_query("o1000.test") != NULL, "notify caps: another master's zone is "
	    "asked at once");
	CHECK(live_count(NULL) <= 10, "notify caps: within soa.in-flight (%d)", live_count(NULL));
	answer_all("n", SOA_OK, 1);
	run_until(fake_now + 10);
	CHECK(live_count(m) == 5, "notify caps: the next 5 when those end");
}

/* 7: expiry is a timer of its own, also behind a paused master. */
static void
test_expiry_timer(void)
{
	reset();
	load(1, 1, "e", "127.0.8.1:5300", 5, 0, true);
	run_until(fake_now + 10000);
	struct zone *z = zone_by_name("e1.test");
	silence(master_of("e1.test"));		/* the master pauses; the zone waits */
	CHECK(master_of("e1.test")->health == MASTER_DOWN, "expiry: master paused");
	run_until(fake_now + 601000);		/* min-expire 60, EXPIRE 600 */
	CHECK(z->expired, "expiry: logged expired while its master is paused");
}

/* 7: a zone-local failure does not touch master health. */
static void
test_local_failure(void)
{
	reset();
	load(1, 2, "l", "127.0.9.1:5300", 5, 0, true);
	struct master *m = master_of("l1.test");
	run_until(fake_now + 6000);
	silence(m);
	CHECK(m->health == MASTER_DOWN, "local: master paused after silence");
	struct soa_result r = { .status = SOA_LOCAL };
	snprintf(r.err, sizeof(r.err), "TSIG key 'k' is not in tsigkeys");
	struct zone *z = zone_by_name("l2.test");
	if (z->state == ZONE_QUEUED) {
		zone_set_state(z, ZONE_QUERYING, m);
		sched_soa_done(z, &r);
	}
	CHECK(m->health == MASTER_DOWN, "local: a zone's own failure does not resume its master");
}

/* 7: timeouts count against a master only when nothing came back since. */
static void
test_timeout_rule(void)
{
	reset();
	load(1, 2, "t", "127.0.10.1:5300", 5, 0, true);
	struct master *m = master_of("t1.test");
	run_until(fake_now + 6000);
	struct fq *a = live_query("t1.test"), *b = live_query("t2.test");
	fake_now += 5;
	answer(b, SOA_OK, 1);			/* t2 answers after t1 left */
	fake_now += 1000;
	answer(a, SOA_TIMEOUT, 0);
	CHECK(m->health == MASTER_UP, "timeout after another answer: master stays up");
	CHECK(zone_by_name("t1.test")->fails == 1, "timeout after another answer: the zone "
	    "alone fails");

	/* A first silence with nothing in between: a test, not a pause. */
	run_until(fake_now + 6000);
	answer(live_query("t2.test"), SOA_OK, 1);	/* answered, then ... */
	fake_now += 5;
	load(3, 1, "t", "127.0.10.1:5300", 5, -1, true);
	run_until(fake_now + 1);
	fake_now += 1000;
	answer(live_query("t3.test"), SOA_TIMEOUT, 0);	/* ... a new zone is silent */
	run_until(fake_now + 1);
	struct fq *probe = live_query("t2.test");
	CHECK(m->health == MASTER_PROBING && probe != NULL, "first silence: the master is "
	    "tested at once with the zone it answered last");
	answer(probe, SOA_OK, 1);
	CHECK(m->health == MASTER_UP && m->down_ms == 0, "first silence: the test answered, "
	    "the master was never paused");
}

/* 7: the probe is the zone that answered last; resumed, the queue drains. */
static void
test_probe(void)
{
	reset();
	load(1, 10, "p", "127.0.11.1:5300", 5, 0, true);
	struct master *m = master_of("p1.test");
	run_until(fake_now + 6000);
	for (int i = 0; i < nq; i++)
		if (q[i].live && strcmp(q[i].z->name, "p7.test") != 0)
			answer(&q[i], SOA_OK, 1);
	fake_now += 10;
	answer(live_query("p7.test"), SOA_OK, 1);	/* p7 answers last */
	run_until(fake_now + 5000);		/* REFRESH: all asked again */
	fake_now += 1000;
	silence(m);				/* p7's silence is the test */
	CHECK(m->health == MASTER_DOWN, "probe: paused when the zone it answered last "
	    "is silent too");
	armed = INT64_MAX;
	sched_tick();
	CHECK(armed >= fake_now + 1000, "paused: zones waiting for it do not make the loop "
	    "spin (next tick in %lld ms)", (long long)(armed - fake_now));
	run_until(fake_now + 30000);
	CHECK(m->health == MASTER_PROBING && live_count(m) == 1 &&
	    live_query("p7.test") != NULL, "probe: after the pause one query, with the zone "
	    "that answered last");
	answer(live_query("p7.test"), SOA_OK, 1);
	run_until(fake_now + 10);
	CHECK(m->health == MASTER_UP && live_count(m) == 9, "probe: answered; the 9 waiting "
	    "zones are asked at once (%d)", live_count(m));
}

/* 7: start-up spreads due times with the jitter later cycles get. */
static void
test_startup_jitter(void)
{
	int64_t	 lo = INT64_MAX, hi = INT64_MIN;

	reset();
	load(1, 200, "j", "127.0.12.1:5300", 3600, 0, true);
	for (int i = 1; i <= 200; i++) {
		char name[32];
		snprintf(name, sizeof(name), "j%d.test", i);
		struct zone *z = zone_by_name(name);
		lo = z->due.at < lo ? z->due.at : lo;
		hi = z->due.at > hi ? z->due.at : hi;
	}
	CHECK(hi - lo > 60000 && hi - fake_now <= 3600000 && lo - fake_now >= 3240000 - 2000,
	    "start-up: due times spread over the last tenth of REFRESH (%lld s)",
	    (long long)(hi - lo) / 1000);
}

/* ---- timer rules ---- */

static void
test_refresh_retry(void)
{
	reset();
	load(1, 1, "r", "127.0.13.1:5300", 100, -1, true);
	run_until(fake_now + 1);
	struct zone *z = zone_by_name("r1.test");
	answer(live_query("r1.test"), SOA_OK, 1);	/* same serial */
	CHECK(z->state == ZONE_IDLE && z->due.at - fake_now <= 100000 &&
	    z->due.at - fake_now >= 90000, "refresh: next check in 90-100 %% of REFRESH");
	CHECK(z->in_lc && lastcheck_waiting() >= 1, "refresh: last_check batched");
	run_until(z->due.at);
	answer(live_query("r1.test"), SOA_BAD, 0);
	int64_t d1 = z->due.at - fake_now;
	run_until(z->due.at);
	answer(live_query("r1.test"), SOA_BAD, 0);
	int64_t d2 = z->due.at - fake_now;
	CHECK(d1 >= 4500 && d1 <= 5000 && d2 >= 9000 && d2 <= 10000,
	    "retry: RETRY, then twice RETRY (%lld, %lld ms)", (long long)d1, (long long)d2);
	size_t before = lastcheck_waiting();
	lastcheck_add(z, 1);
	lastcheck_add(z, 2);
	CHECK(lastcheck_waiting() == before && z->lc_time == 2, "last_check: one entry a "
	    "zone, the latest time");
}

static void
test_notify_coalesce(void)
{
	reset();
	load(1, 1, "c", "127.0.14.1:5300", 3600, -1, true);
	run_until(fake_now + 1);
	struct zone *z = zone_by_name("c1.test");
	sched_notify(z, 0);
	sched_notify(z, 0);
	CHECK(nq == 1 && z->notify_again, "notify while querying: remembered, no second query");
	answer(live_query("c1.test"), SOA_OK, 1);
	run_until(fake_now + 1);
	CHECK(nq == 2 && live_query("c1.test") != NULL, "notify while querying: checked "
	    "again right after");
}

/*
 * ha: a takeover reads every zone's next check from the database (resync).
 * A zone that a NOTIFY queued and that waits for a token keeps its place;
 * the resync must not put it back to sleep until its refresh.
 */
static void
test_resync_keeps_notify(void)
{
	struct zone	*a, *b, *waiting;

	reset();
	C.soa_qps = 1;
	C.master_qps = 1;
	load(1, 2, "rs", "127.0.15.1:5300", 3600, 10, true);
	run_until(fake_now + 1);
	a = zone_by_name("rs1.test");
	b = zone_by_name("rs2.test");
	sched_notify(a, 0);
	sched_notify(b, 0);
	run_until(fake_now + 1);
	waiting = a->state == ZONE_QUEUED ? a : b;
	CHECK(nq == 1 && waiting->state == ZONE_QUEUED, "resync: of two NOTIFYed zones one "
	    "is asked, the other waits for a token (%d queries)", nq);
	sched_zone_resync(waiting, fake_now + 3600 * 1000);
	run_until(fake_now + 3000);
	CHECK(live_query(waiting->name) != NULL, "resync: the zone a NOTIFY queued keeps its "
	    "place and is asked (%s)", zone_state_name(waiting->state));
}

/* ---- issue 13: pdns-refresher-control's refresh and retransfer ---- */

static int		 ended;
static enum zone_result	 ended_res;

static void
ended_hook(struct zone *z, bool gone)
{
	ended++;
	ended_res = gone ? ZR_NONE : (enum zone_result)z->result;
	z->waited = false;
}

static void
test_check_now(void)
{
	reset();
	load(1, 1, "k", "127.0.16.1:5300 127.0.16.2:5300", 3600, 0, true);
	run_until(fake_now + 1);
	struct zone *z = zone_by_name("k1.test");
	CHECK(nq == 0 && z->state == ZONE_IDLE, "check now: the zone is not due");
	zone_check_ended = ended_hook;
	ended = 0;
	z->waited = true;
	CHECK(sched_check_now(z, -1), "check now: taken");
	run_until(fake_now + 1);
	CHECK(nq == 1 && live_query("k1.test") != NULL && q[0].m == z->masters[0],
	    "check now: asked at once, at its first master");
	answer(live_query("k1.test"), SOA_OK, 1);
	CHECK(ended == 1 && ended_res == ZR_UNCHANGED && z->state == ZONE_IDLE,
	    "check now: the end is told once, unchanged, the zone idle again (%d, %d)",
	    ended, (int)ended_res);
	CHECK(z->due.at > fake_now + 3000000, "check now: next check after REFRESH again");

	/* retransfer from the second master: the same serial is transferred */
	z->waited = true;
	z->force = true;
	CHECK(sched_check_now(z, 1), "retransfer: taken");
	run_until(fake_now + 1);
	struct fq *f = live_query("k1.test");
	CHECK(f != NULL && f->m == z->masters[1], "retransfer: asked at the master named");
	answer(f, SOA_OK, 1);
	CHECK(njobs == 1 && !jobs[0]->have_serial, "retransfer: a transfer for the same "
	    "serial, with no serial to be newer than");
	CHECK(ended == 1, "retransfer: not ended before the transfer");
	finish_xfr("k1.test", XFR_OK, 1);
	CHECK(ended == 2 && ended_res == ZR_TRANSFERRED && !z->force,
	    "retransfer: ended transferred, the flag cleared");

	/* asked while busy: checked again after, the flag kept for that check */
	z->waited = true;
	z->force = true;
	sched_check_now(z, -1);
	run_until(fake_now + 1);
	sched_check_now(z, -1);
	CHECK(z->notify_again, "busy: remembered");
	answer(live_query("k1.test"), SOA_BAD, 0);	/* master 1, then master 2 */
	run_until(fake_now + 1);
	answer(live_query("k1.test"), SOA_BAD, 0);
	CHECK(ended == 3 && ended_res == ZR_FAILED && z->force,
	    "busy: the first check's end told; the retransfer still owed");
	run_until(fake_now + 1);
	CHECK(live_query("k1.test") != NULL, "busy: checked again right after");
	zone_check_ended = NULL;
}

/* transfer.follow-lower-serial, on the scheduler's clock. */
static void
test_lower_serial(void)
{
	reset();
	C.follow_lower_s = 600;
	load(1, 1, "l", "127.0.18.1:5300", 5, 100, true);	/* our serial 1, due */
	struct zone *z = zone_by_name("l1.test");
	z->serial = 50;					/* ours: 50 */
	run_until(fake_now + 1);
	answer(live_query("l1.test"), SOA_OK, 7);
	CHECK(njobs == 0 && z->lower_since != 0 && z->lower_serial == 7,
	    "lower serial: kept, the clock starts");
	run_until(fake_now + 300000);			/* REFRESH 5 s: checked meanwhile */
	answer_all("l1", SOA_OK, 7);
	CHECK(njobs == 0, "lower serial: not before follow-lower-serial (300 s)");
	run_until(fake_now + 300000);
	answer_all("l1", SOA_OK, 8);			/* it moved: again from now */
	CHECK(njobs == 0 && z->lower_serial == 8, "lower serial: a change starts again");
	run_until(fake_now + 599000);
	answer_all("l1", SOA_OK, 8);
	CHECK(njobs == 0, "lower serial: 599 s of the same: not yet");
	run_until(fake_now + 10000);			/* due again after REFRESH */
	answer_all("l1", SOA_OK, 8);
	CHECK(njobs == 1 && !jobs[0]->have_serial, "lower serial: 609 s: transferred, "
	    "whatever the serial");
	finish_xfr("l1.test", XFR_OK, 8);
	CHECK(z->serial == 8 && z->lower_since == 0 && !z->force,
	    "lower serial: followed, the policy's state cleared");

	reset();					/* off (the default) */
	load(1, 1, "l", "127.0.18.1:5300", 5, 100, true);
	z = zone_by_name("l1.test");
	z->serial = 50;
	for (int i = 0; i < 5; i++) {
		run_until(fake_now + 86400000);
		answer_all("l1", SOA_OK, 7);
	}
	CHECK(njobs == 0 && z->serial == 50, "lower serial off: ours kept for days");
}

/* Orphaned: every master of a whole round answered REFUSED/NOTAUTH/NXDOMAIN. */
static void
answer_lame(const char *prefix, bool lame)
{
	for (int i = 0; i < nq; i++)
		if (q[i].live && strncmp(q[i].z->name, prefix, strlen(prefix)) == 0) {
			struct soa_result r;
			memset(&r, 0, sizeof(r));
			r.status = SOA_BAD;
			r.lame = lame;
			snprintf(r.err, sizeof(r.err), lame ? "master answered REFUSED" :
			    "reply not authoritative (AA clear)");
			q[i].live = false;
			sched_soa_done(q[i].z, &r);
		}
}

static void
test_orphaned(void)
{
	reset();
	load(1, 1, "o", "127.0.19.1:5300 127.0.19.2:5300", 5, 100, true);
	struct zone *z = zone_by_name("o1.test");
	run_until(fake_now + 1);
	answer_lame("o1", true);			/* master 1 refuses */
	CHECK(z->lame_since == 0, "orphaned: not after one master of two");
	run_until(fake_now + 1);
	answer_lame("o1", true);			/* master 2 too */
	CHECK(z->lame_since == (uint32_t)(fake_now / 1000), "orphaned: both refused: since now");
	uint32_t since = z->lame_since;
	run_until(fake_now + 60000);
	answer_lame("o1", true);
	run_until(fake_now + 1);
	answer_lame("o1", true);
	CHECK(z->lame_since == since, "orphaned: another such round keeps the start");
	run_until(fake_now + 60000);
	answer_lame("o1", true);
	run_until(fake_now + 1);
	answer_lame("o1", false);			/* master 2: another fault */
	CHECK(z->lame_since == 0, "orphaned: a round with another fault clears it");
	run_until(fake_now + 60000);
	answer_lame("o1", true);
	run_until(fake_now + 1);
	answer_lame("o1", true);
	CHECK(z->lame_since != 0, "orphaned: refused again");
	run_until(fake_now + 60000);
	answer_all("o1", SOA_OK, 1);
	CHECK(z->lame_since == 0, "orphaned: an answer clears it");
}

/* The totals the metrics read in O(1) agree with a count of the table. */
struct recount {
	size_t	 failing, expired, unloaded;
	int64_t	 oldest;
};

static void
recount_cb(struct zone *z, void *arg)
{
	struct recount	*r = arg;

	r->failing += z->fails > 0;
	r->expired += z->expired;
	r->unloaded += !z->has_soa;
	if (z->last_ok != ZONE_NEVER && (r->oldest == ZONE_NEVER || z->last_ok < r->oldest))
		r->oldest = z->last_ok;
}

static void
test_counts(void)
{
	struct recount	 r = { 0, 0, 0, ZONE_NEVER };

	reset();
	load(1, 5, "n", "127.0.17.1:5300", 5, 100, true);	/* loaded, checked 100 s ago */
	load(6, 5, "f", "127.0.17.2:5300", 0, -1, true);	/* never loaded */
	run_until(fake_now + 1);
	answer_all("f", SOA_BAD, 0);
	answer_all("n1", SOA_BAD, 0);
	answer_all("n2", SOA_OK, 1);
	zone_foreach(recount_cb, &r);
	CHECK(zone_counts.failing == r.failing && r.failing >= 2, "counts: failing %zu, "
	    "counted %zu", zone_counts.failing, r.failing);
	CHECK(zone_counts.unloaded == r.unloaded && r.unloaded == 5, "counts: never loaded "
	    "%zu, counted %zu (5)", zone_counts.unloaded, r.unloaded);
	CHECK(zone_oldest_ok() == r.oldest && r.oldest < fake_now - 99000, "counts: the "
	    "oldest good check is the table's, 100 s ago");
	run_until(fake_now + 700000);		/* past EXPIRE (600 s) with no answer */
	answer_all(NULL, SOA_BAD, 0);
	memset(&r, 0, sizeof(r));
	r.oldest = ZONE_NEVER;
	zone_foreach(recount_cb, &r);
	CHECK(zone_counts.expired == r.expired && r.expired >= 4, "counts: expired %zu, "
	    "counted %zu", zone_counts.expired, r.expired);
	zone_table_clear();
	CHECK(zone_counts.failing == 0 && zone_counts.unloaded == 0 &&
	    zone_counts.expired == 0 && zone_oldest_ok() == ZONE_NEVER,
	    "counts: all back to zero with the table");
}

static void
test_local_sockets(void)
{
	reset();
	load(1, 3, "s", "127.0.15.1:5300", 3600, -1, true);
	fail_errno = EMFILE;
	run_until(fake_now + 1);
	CHECK(nq == 0 && zone_counts.in[ZONE_QUEUED] == 3, "out of sockets: zones stay queued");
	fail_errno = 0;
	run_until(fake_now + 300);
	CHECK(nq == 3 && master_of("s1.test")->health == MASTER_UP, "out of sockets: sent "
	    "after the pause; the master was not blamed");
}

static void
test_keys_table(void)
{
	enum { N = 16000 };
	struct db_tsig	*t = xcalloc(N, sizeof(*t));
	bool		 ok = true;

	reset();
	for (int i = 0; i < N; i++) {
		t[i].domain_id = (uint32_t)(i * 7 + 1);
		t[i].keyname = xstrdup("k");
		t[i].algorithm = xstrdup("hmac-sha256");
		t[i].secret = xstrdup("c2VjcmV0");
	}
	keys_update(t, N, true);
	for (int i = 0; i < N && ok; i++) {
		const struct keys_entry *e = keys_find((uint32_t)(i * 7 + 1));
		ok = e != NULL && e->has_key && !e->bad;
	}
	CHECK(ok && keys_count() == N, "keys: 16,000 keys, each found");
	free(t[5].algorithm);
	t[5].algorithm = NULL;
	keys_update(&t[5], 1, false);
	CHECK(keys_count() == N && keys_find(36)->bad, "keys: a partial load replaces one entry");
	CHECK(keys_find(2) == NULL, "keys: a domain without a key has none");
	keys_update(t, N / 2, true);
	CHECK(keys_count() == N / 2 && keys_find((uint32_t)((N - 1) * 7 + 1)) == NULL &&
	    keys_find(1) != NULL && keys_find(36)->bad, "keys: a full update keeps its rows "
	    "and drops the rest (%zu)", keys_count());
	db_tsig_free(t, N);
}

/* 5: addresses that land in one rate bucket share it; none resets another. */
static void
test_notify_rate(void)
{
	struct sockaddr_in	 a = { .sin_family = AF_INET }, b = a;
	int			 okA = 0;
	uint32_t		 ha = 2166136261u, hb;

	/* b collides with a under the old unkeyed FNV-1a modulo 4096 */
	a.sin_addr.s_addr = htonl(0x7f000105);
	for (int i = 0; i < 4; i++)
		ha = (ha ^ ((uint8_t *)&a.sin_addr)[i]) * 16777619u;
	for (uint32_t x = 1; ; x++) {
		b.sin_addr.s_addr = htonl(0x0a000000 + x);
		hb = 2166136261u;
		for (int i = 0; i < 4; i++)
			hb = (hb ^ ((uint8_t *)&b.sin_addr)[i]) * 16777619u;
		if (hb % 4096 == ha % 4096)
			break;
	}
	for (int i = 0; i < 20; i++) {
		okA += notify_rate_ok((struct sockaddr *)&a, 5, 1000);
		(void)notify_rate_ok((struct sockaddr *)&b, 5, 1000);
	}
	CHECK(okA <= 5, "notify rate: alternating with a colliding address, %d of 20 "
	    "accepted from one source (limit 5)", okA);
}

/*
 * Issue 13's CI run: on a master held to one transfer at a time, a zone
 * whose transfers work waited behind every queued zone whose transfer had
 * failed (hung, oversized), each up to transfer.timeout.  It goes first
 * now, and the failing ones still get every other turn.
 */
static const char *
last_job(void)
{
	for (int i = njobs - 1; i >= 0; i--)
		if (jobs[i] != NULL)
			return jobs[i]->zone;
	return "";
}

static void
test_xfr_failing_last(void)
{
	reset();
	C.master_xfrs = 1;
	load(1, 3, "f", "127.0.7.1:5300", 5, -1, true);
	load(10, 2, "h", "127.0.7.1:5300", 5, -1, true);
	run_until(fake_now + 1);
	answer_all("h", SOA_OK, 1);
	answer_all("f", SOA_OK, 2);
	for (int i = 0; i < 6; i++) {			/* each f fails once */
		run_until(fake_now + 1);
		answer_all("f", SOA_OK, 2);
		for (int k = 1; k <= 3; k++) {
			char z[16];
			snprintf(z, sizeof(z), "f%d.test", k);
			finish_xfr(z, XFR_FAILED, 0);
		}
	}
	CHECK(zone_by_name("f1.test")->fails > 0 && zone_by_name("f3.test")->fails > 0,
	    "failing transfers: the three f zones failed once");
	run_until(fake_now + 6000);		/* all due again */
	answer_all("f", SOA_OK, 2);		/* f first: one transfers, two queue */
	answer_all("h", SOA_OK, 2);		/* then the working ones */
	run_until(fake_now + 1);
	const char *first = last_job();
	CHECK(first[0] == 'f', "failing transfers: one f holds the master's slot (%s)", first);
	finish_xfr(first, XFR_FAILED, 0);
	run_until(fake_now + 1);
	CHECK(strcmp(last_job(), "h10.test") == 0, "failing transfers: the next is a zone "
	    "whose transfers work, not a failing one queued before it (%s)", last_job());
	finish_xfr("h10.test", XFR_OK, 2);
	run_until(fake_now + 1);
	CHECK(last_job()[0] == 'f', "failing transfers: then a failing one has its turn, "
	    "though h11 waits too (%s)", last_job());
	finish_xfr(last_job(), XFR_OK, 2);
	run_until(fake_now + 1);
	CHECK(strcmp(last_job(), "h11.test") == 0, "failing transfers: and h11 after it (%s)",
	    last_job());
}

/* jobs for zone prefix submitted so far, finished or not */
static int
jobs_for(const char *prefix)
{
	int	 n = 0;

	for (int i = 0; i < njobs; i++)
		if (jobs[i] != NULL && strncmp(jobs[i]->zone, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* queries for zone prefix sent so far, answered or not */
static int
queries_for(const char *prefix)
{
	int	 n = 0;

	for (int i = 0; i < nq; i++)
		if (strncmp(q[i].z->name, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* The job for zone, handed back as fetched (to be written in a group), its
 * connection kept or not; the transfer slot frees, the job stays listed. */
static bool
fetch_xfr(const char *zone, bool kept)
{
	for (int i = 0; i < njobs; i++) {
		struct xfr_job *j = jobs[i];
		if (j == NULL || strcmp(j->zone, zone) != 0 ||
		    ((struct zone *)j->arg)->state != ZONE_TRANSFERRING)
			continue;
		j->kept = kept;
		sched_xfr_fetched(j);
		return true;
	}
	return false;
}

/* Of the jobs submitted, which master's letter (the zone's first) the last
 * one is for. */
static char
last_letter(void)
{
	return last_job()[0];
}

/*
 * Issue 16: a transfer whose connection went back to the pool lets its
 * master go on with its next zone ahead of the masters waiting for their
 * turn, up to 16 in a row, so that the zones of a master come over one
 * connection.  In a plain round robin over 10,000 masters the turn came
 * back to a master long after its kept connection was closed: every zone
 * of the first load cost a TCP handshake.
 */
static void
test_xfr_streak(void)
{
	reset();
	C.workers = 1;			/* two transfers at once in all */
	C.master_xfrs = 1;
	load(1, 20, "a", "127.0.8.1:5300", 5, -1, true);
	load(100, 3, "b", "127.0.8.2:5300", 5, -1, true);
	load(200, 3, "c", "127.0.8.3:5300", 5, -1, true);
	for (int i = 0; i < 100 && zone_counts.in[ZONE_XFR_QUEUED] < 24; i++) {
		run_until(fake_now + 100);	/* the start is spread over a few s */
		answer_all(NULL, SOA_OK, 2);	/* every zone newer */
	}
	run_until(fake_now + 1);
	CHECK(zone_counts.in[ZONE_XFR_QUEUED] == 24 && jobs_for("a") == 1 &&
	    jobs_for("b") == 1 && jobs_for("c") == 0,
	    "streak: a and b transfer first, one each (a %d, b %d, c %d)",
	    jobs_for("a"), jobs_for("b"), jobs_for("c"));
	fetch_xfr("a1.test", true);
	run_until(fake_now + 1);
	CHECK(last_letter() == 'a' && jobs_for("c") == 0, "streak: a's connection kept: "
	    "a's next zone goes before c, whose turn it was (%s)", last_job());
	fetch_xfr(last_job(), false);
	run_until(fake_now + 1);
	CHECK(last_letter() == 'c', "streak: a's connection not kept: c has its turn (%s)",
	    last_job());
	/* a goes on 16 times in a row at most, then waits for its turn */
	fetch_xfr("b100.test", true);	/* b on, then a's streak: b stays at 1 slot */
	run_until(fake_now + 1);
	int	 run = 0;
	for (int i = 0; i < 40 && last_letter() != 'a'; i++) {
		fetch_xfr(last_job(), false);
		run_until(fake_now + 1);
	}
	for (; run < 30 && last_letter() == 'a'; run++) {
		fetch_xfr(last_job(), true);
		run_until(fake_now + 1);
	}
	CHECK(run == 17, "streak: a's turn and then 16 in a row, no more (%d)", run);
}

/*
 * Issue 16: a zone with no SOA stored has nothing to compare a serial
 * with: its first load goes straight to the transfer, from a master that
 * answered lately.  A master not heard from (never, or not lately) gets
 * the SOA query first, which tests it cheaply before a transfer does.
 */
static void
test_first_load(void)
{
	reset();
	C.master_xfrs = 10;
	load(1, 1, "p", "127.0.7.2:5300", 5, -1, true);
	run_until(fake_now + 1);
	answer_all("p", SOA_OK, 1);			/* 127.0.7.2 answers */
	load(10, 3, "n", "127.0.7.2:5300", 0, -1, true);
	load(20, 2, "d", "127.0.7.3:5300", 0, -1, true);
	run_until(fake_now + 10);
	CHECK(queries_for("n") == 0 && jobs_for("n") == 3, "first load: no SOA query, "
	    "straight to the transfer, from a master heard lately (%d queries, %d jobs)",
	    queries_for("n"), jobs_for("n"));
	CHECK(queries_for("d") == 2 && jobs_for("d") == 0, "first load: a master never "
	    "heard from is asked for the SOA first (%d queries, %d jobs)", queries_for("d"),
	    jobs_for("d"));
	answer_all("d", SOA_OK, 7);
	run_until(fake_now + 1);
	CHECK(jobs_for("d") == 2, "first load: its answer sends the transfers (%d jobs)",
	    jobs_for("d"));
	finish_xfr("n10.test", XFR_OK, 3);
	CHECK(zone_by_name("n10.test")->has_soa && zone_by_name("n10.test")->serial == 3,
	    "first load: the transfer stores the serial");
	run_until(fake_now + 3600 * 1000);		/* 127.0.7.2 silent for an hour */
	load(40, 1, "q", "127.0.7.2:5300", 0, -1, true);
	run_until(fake_now + 1);
	CHECK(queries_for("q") == 1 && jobs_for("q") == 0, "first load: a master whose "
	    "last answer is old is asked for the SOA first (%d queries, %d jobs)",
	    queries_for("q"), jobs_for("q"));
}

/* A part of a load as the db thread sends it: ids, named wID.test, each
 * with a master of its own. */
static struct dbreq *
load_part(const uint32_t *ids, size_t n, bool part, char (*names)[32])
{
	static char	 ms[64][32];
	struct dbreq	*r = xcalloc(1, sizeof(*r));

	r->type = DBREQ_LOAD;
	r->part = part;
	r->domains = xcalloc(n + 1, sizeof(*r->domains));	/* and the sentinel */
	r->ndomains = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "w%u.test", ids[i]);
		snprintf(ms[ids[i] % 64], sizeof(ms[0]), "127.0.9.%u:5300", ids[i] % 64);
		r->domains[i] = (struct db_domain){ .id = ids[i], .name = names[i],
		    .master = ms[ids[i] % 64], .last_check = -1 };
	}
	return r;
}

/*
 * Issue 16: a whole list comes from the db thread in parts, the keys with
 * the first.  Zones of a part are checked at once, with their keys; a zone
 * is dropped only when the list's end shows it is gone; a load that fails
 * after some parts keeps what they added and drops nothing.
 */
static void
test_load_parts(void)
{
	uint32_t	 ids[40];
	char		 names[40][32];
	struct dbreq	*r;

	reset();
	for (int i = 0; i < 30; i++)
		ids[i] = (uint32_t)i + 1;
	r = load_part(ids, 30, false, names);
	domains_merge(r->domains, r->ndomains, false, true);
	dbreq_free(r);
	CHECK(zone_count() == 30, "parts: a whole list of 30 zones (%zu)", zone_count());

	/* The list again in parts: 1..10 and a new zone 31 with a key, 11..15, 16..20. */
	ids[10] = 31;
	r = load_part(ids, 11, true, names);
	r->keys = true;
	r->tsig = xcalloc(1, sizeof(*r->tsig));
	r->ntsig = 1;
	*r->tsig = (struct db_tsig){ 31, xstrdup("k"), xstrdup("hmac-sha256"),
	    xstrdup("c2VjcmV0"), NULL };
	domains_loaded(r);
	run_until(fake_now + 100);		/* 1,000 queries a second */
	bool keyed = false;
	for (int i = 0; i < nq; i++)
		if (q[i].z->id == 31)
			keyed = q[i].keyed;
	CHECK(zone_count() == 31 && queries_for("w31.") == 1 && keyed, "parts: the first "
	    "part's new zone is checked before the list's end, with its key (%zu zones, "
	    "%d queries, %s)", zone_count(), queries_for("w31."), keyed ? "signed" : "unsigned");
	for (int i = 0; i < 5; i++)
		ids[i] = (uint32_t)i + 11;
	domains_loaded(load_part(ids, 5, true, names));
	CHECK(zone_count() == 31 && zone_by_id(30) != NULL, "parts: no zone dropped before "
	    "the list's end (%zu zones)", zone_count());
	for (int i = 0; i < 5; i++)
		ids[i] = (uint32_t)i + 16;
	r = load_part(ids, 5, false, names);
	domains_merge(r->domains, r->ndomains, false, true);	/* the end, as domains_loaded */
	dbreq_free(r);
	CHECK(zone_count() == 21 && zone_by_id(21) == NULL && zone_by_id(20) != NULL &&
	    zone_by_id(31) != NULL, "parts: at the end the zones not in any part are dropped "
	    "(%zu zones)", zone_count());

	/* A whole load that fails after a part: a new zone stays, none goes. */
	ids[0] = 1;
	ids[1] = 40;
	domains_loaded(load_part(ids, 2, true, names));
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_LOAD;
	r->rc = -1;
	snprintf(r->err, sizeof(r->err), "loading domains: Lost connection");
	domains_loaded(r);
	CHECK(zone_count() == 22 && zone_by_id(40) != NULL && zone_by_id(20) != NULL,
	    "parts: a load that fails midway keeps the zones its parts added and drops "
	    "none (%zu zones)", zone_count());
	/* the next whole list is whole again: its end drops what it lacks */
	for (int i = 0; i < 3; i++)
		ids[i] = (uint32_t)i + 1;
	r = load_part(ids, 3, false, names);
	domains_merge(r->domains, r->ndomains, false, true);
	dbreq_free(r);
	CHECK(zone_count() == 3, "parts: the next whole list drops the rest (%zu zones)",
	    zone_count());
}

/* The job for zone, still out, or NULL. */
static struct xfr_job *
job_of(const char *zone)
{
	for (int i = 0; i < njobs; i++)
		if (jobs[i] != NULL && strcmp(jobs[i]->zone, zone) == 0)
			return jobs[i];
	return NULL;
}

/*
 * IXFR is asked for zones we have, not first loads; a master that refused
 * it gets AXFR only for an hour, then IXFR again; transfer.ixfr and the
 * lists turn it off.
 */
static void
test_ixfr_choice(void)
{
	struct xfr_job	*j;
	char		*offz[] = { "I3.test." };

	reset();
	C.master_xfrs = 10;
	C.ixfr = true;
	C.ixfr_off_zones = offz;
	C.n_ixfr_off_zones = 1;
	sched_set_conf(&C);		/* the lists are read with a configuration */
	load(1, 3, "i", "127.0.7.4:5300", 5, 3600, true);
	load(10, 1, "f", "127.0.7.4:5300", 0, -1, true);
	run_until(fake_now + 10);
	answer_all("i", SOA_OK, 2);
	answer_all("f", SOA_OK, 2);
	run_until(fake_now + 1);
	CHECK((j = job_of("i1.test")) != NULL && j->ixfr && j->old_serial == 1,
	    "ixfr: a zone we have is asked by IXFR from our serial");
	CHECK(job_of("i3.test") != NULL && !job_of("i3.test")->ixfr,
	    "ixfr: not for a zone in transfer.ixfr-off-zones (any case, trailing dot)");
	CHECK(job_of("f10.test") != NULL && !job_of("f10.test")->ixfr,
	    "ixfr: not for a first load");
	j = job_of("i1.test");
	j->how = XFR_BY_FALLBACK;
	j->ixfr_refused = true;
	snprintf(j->ixfr_why, sizeof(j->ixfr_why), "master answered NOTIMPL to IXFR");
	finish_xfr("i1.test", XFR_OK, 2);
	finish_xfr("i2.test", XFR_OK, 2);
	finish_xfr("i3.test", XFR_OK, 2);
	finish_xfr("f10.test", XFR_OK, 2);
	run_until(fake_now + 6000);			/* REFRESH 5 s: due again */
	answer_all("i", SOA_OK, 3);
	run_until(fake_now + 1);
	CHECK(job_of("i2.test") != NULL && !job_of("i2.test")->ixfr,
	    "ixfr: a master that refused it is asked by AXFR");
	finish_xfr("i1.test", XFR_OK, 3);
	finish_xfr("i2.test", XFR_OK, 3);
	finish_xfr("i3.test", XFR_OK, 3);
	run_until(fake_now + 3600 * 1000);		/* the hour is over */
	answer_all("i", SOA_OK, 4);
	run_until(fake_now + 1);
	CHECK(job_of("i2.test") != NULL && job_of("i2.test")->ixfr,
	    "ixfr: an hour later, IXFR again");
	finish_xfr("i1.test", XFR_OK, 4);
	finish_xfr("i2.test", XFR_OK, 4);
	finish_xfr("i3.test", XFR_OK, 4);
	C.ixfr = false;
	run_until(fake_now + 6000);
	answer_all("i", SOA_OK, 5);
	run_until(fake_now + 1);
	CHECK(job_of("i1.test") != NULL && !job_of("i1.test")->ixfr,
	    "ixfr: transfer.ixfr = false asks AXFR");
	C.ixfr_off_zones = NULL;
	C.n_ixfr_off_zones = 0;
}

/* Answer a query OK with serial, the IXFR answer msg (NULL: SOA alone), refused. */
static void
answer_ixfr(struct fq *f, uint32_t serial, const uint8_t *msg, size_t len, bool refused)
{
	struct soa_result	 r;

	memset(&r, 0, sizeof(r));
	r.status = SOA_OK;
	r.serial = serial;
	r.refresh = r.retry = 5;
	r.expire = 600;
	r.xfr = msg;
	r.xfrlen = msg != NULL ? len : 0;
	r.ixfr_refused = refused;
	if (refused)
		snprintf(r.ixfr_why, sizeof(r.ixfr_why), "master answered NOTIMPL");
	f->live = false;
	sched_soa_done(f->z, &r);
}

/*
 * transfer.ixfr-udp: a zone we have is checked by IXFR over UDP; the
 * changes the answer brought go to the zone's transfer, also when it had
 * to wait for the master's transfer slot; a master that refused the IXFR
 * query is checked by SOA for an hour (its zones still transfer by IXFR);
 * the answers kept for waiting transfers stay under ZONE_UDP_HELD_MAX.
 */
static void
test_ixfr_udp(void)
{
	static uint8_t	 msg[3000];
	struct xfr_job	*j;
	struct fq	*f;
	int		 n;

	reset();
	C.ixfr = true;
	C.ixfr_udp = IXFR_UDP_ALL;
	C.master_xfrs = 1;
	C.master_inflight = 2000;
	sched_set_conf(&C);
	memset(msg, 0xab, sizeof(msg));
	load(1, 3, "u", "127.0.7.5:5300", 5, 3600, true);
	load(10, 1, "n", "127.0.7.6:5300", 0, -1, true);
	run_until(fake_now + 10);
	CHECK((f = live_query("u1.test")) != NULL && f->ixfr,
	    "ixfr-udp: a zone we have is checked by IXFR");
	CHECK((f = live_query("n10.test")) != NULL && !f->ixfr,
	    "ixfr-udp: a first load's check asks SOA");
	answer_ixfr(live_query("u1.test"), 2, msg, 100, false);
	answer_ixfr(live_query("u2.test"), 2, msg + 1, 200, false);
	answer_ixfr(live_query("u3.test"), 2, NULL, 0, false);
	run_until(fake_now + 1);
	CHECK((j = job_of("u1.test")) != NULL && j->ixfr && j->udp != NULL &&
	    j->udp->len == 100 && memcmp(j->udp->b, msg, 100) == 0,
	    "ixfr-udp: the answer's changes go to the transfer");
	CHECK(job_of("u2.test") == NULL && zone_by_name("u2.test")->state == ZONE_XFR_QUEUED,
	    "ixfr-udp: a second transfer waits for the master's slot");
	finish_xfr("u1.test", XFR_OK, 2);
	run_until(fake_now + 1);
	CHECK((j = job_of("u2.test")) != NULL && j->udp != NULL && j->udp->len == 200 &&
	    memcmp(j->udp->b, msg + 1, 200) == 0,
	    "ixfr-udp: ... and gets its own answer when it starts");
	finish_xfr("u2.test", XFR_OK, 2);
	run_until(fake_now + 1);
	CHECK((j = job_of("u3.test")) != NULL && j->ixfr && j->udp == NULL,
	    "ixfr-udp: a SOA alone: the transfer asks by TCP");
	finish_xfr("u3.test", XFR_OK, 2);

	/* a refusal: SOA checks for an hour; transfers still by IXFR */
	run_until(fake_now + 6000);
	answer_ixfr(live_query("u1.test"), 2, NULL, 0, true);
	answer_all("u", SOA_OK, 2);
	run_until(fake_now + 6000);
	CHECK((f = live_query("u1.test")) != NULL && !f->ixfr && live_query("u2.test") != NULL &&
	    !live_query("u2.test")->ixfr, "ixfr-udp: a master that refused it is asked by SOA");
	answer_all("u", SOA_OK, 3);
	run_until(fake_now + 1);
	CHECK((j = job_of(last_job())) != NULL && j->ixfr && j->udp == NULL,
	    "ixfr-udp: ... and its zones still transfer by IXFR");
	for (int done = 0, round = 0; done < 3 && round < 10; round++) {
		done += finish_xfr("u1.test", XFR_OK, 3) + finish_xfr("u2.test", XFR_OK, 3) +
		    finish_xfr("u3.test", XFR_OK, 3);
		run_until(fake_now + 1);
	}
	run_until(fake_now + 3600 * 1000);
	answer_all("u", SOA_OK, 3);
	run_until(fake_now + 6000);
	CHECK((f = live_query("u1.test")) != NULL && f->ixfr,
	    "ixfr-udp: an hour later, IXFR again");
	answer_all("u", SOA_OK, 3);
	C.ixfr_udp = IXFR_UDP_OFF;
	run_until(fake_now + 6000);
	CHECK((f = live_query("u1.test")) != NULL && !f->ixfr,
	    "ixfr-udp: transfer.ixfr-udp = off checks by SOA");
	answer_all("u", SOA_OK, 3);
	C.ixfr_udp = IXFR_UDP_NOTIFY;
	run_until(fake_now + 6000);
	CHECK((f = live_query("u1.test")) != NULL && !f->ixfr,
	    "ixfr-udp: notify (the default): a routine check asks SOA");
	answer_all("u", SOA_OK, 3);
	run_until(fake_now + 1);
	sched_notify(zone_by_name("u2.test"), 0);
	run_until(fake_now + 1);
	CHECK((f = live_query("u2.test")) != NULL && f->ixfr,
	    "ixfr-udp: notify: the check a NOTIFY set off asks IXFR");
	answer_all("u", SOA_OK, 3);
	C.ixfr_udp = IXFR_UDP_ALL;

	/* many changed zones waiting for one master's slot: the copies stay bounded */
	C.ixfr_udp = true;
	load(100, 2000, "c", "127.0.7.7:5300", 5, 3600, true);
	stats.udp_not_held = 0;
	n = 0;
	for (int round = 0; round < 300 && n < 2000; round++) {
		run_until(fake_now + 100);
		for (int i = 0; i < nq; i++)
			if (q[i].live && strncmp(q[i].z->name, "c", 1) == 0) {
				answer_ixfr(&q[i], 2, msg, sizeof(msg), false);
				n++;
			}
	}
	/* the first went to its transfer at once, the next ones fill the cap */
	CHECK(n == 2000 && stats.udp_not_held == 2000 - 1 - ZONE_UDP_HELD_MAX / sizeof(msg) &&
	    zone_counts.in[ZONE_XFR_QUEUED] == 1999,
	    "ixfr-udp: %llu of 2000 answers waiting for a slot not kept: at most %d bytes "
	    "(%d answers)", (unsigned long long)stats.udp_not_held, ZONE_UDP_HELD_MAX,
	    n);
}

int
main(void)
{
	struct event_base *base = event_base_new();

	log_init("test_sched", 0, LOG_LVL_ERR, false);
	stats.started = fake_now;
	domains_init(base, &C, false, NULL);
	test_drop_while_queued();
	test_notify_then_master_change();
	test_silent_zones();
	test_master_change_busy();
	test_notify_caps();
	test_expiry_timer();
	test_local_failure();
	test_timeout_rule();
	test_probe();
	test_startup_jitter();
	test_refresh_retry();
	test_notify_coalesce();
	test_resync_keeps_notify();
	test_check_now();
	test_counts();
	test_lower_serial();
	test_orphaned();
	test_local_sockets();
	test_keys_table();
	test_notify_rate();
	test_xfr_failing_last();
	test_first_load();
	test_ixfr_choice();
	test_ixfr_udp();
	test_load_parts();
	test_xfr_streak();
	reset();
	domains_stop();
	event_base_free(base);
	UNIT_DONE();
}
