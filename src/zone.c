/*
 * zone: the zone table (hashed by id and by name), the zone state machine
 * with its two timer heaps (next check, expiry), RFC 1982 serial arithmetic
 * and refresh/retry timer computation.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "stats.h"
#include "zstatus.h"
#include "util.h"
#include "zone.h"

int
zone_serial_cmp(uint32_t a, uint32_t b)
{
	uint32_t	 d = b - a;

	if (a == b)
		return 0;
	if (d == 0x80000000u)
		return 2;		/* RFC 1982 3.2: undefined */
	return d < 0x80000000u ? -1 : 1;
}

int
zone_parse_soa(const char *content, uint32_t *serial, uint32_t *refresh,
    uint32_t *retry, uint32_t *expire)
{
	uint64_t	 v[5];
	const char	*p = content;
	int		 field = 0;

	if (content == NULL || strlen(content) > 2048)
		return -1;
	/* Seven fields separated by single spaces; the last five are numbers. */
	for (; field < 7; field++) {
		const char *start = p;
		size_t len = strcspn(p, " ");

		if (len == 0)
			return -1;
		if (field >= 2) {
			uint64_t n = 0;
			for (const char *c = start; c < start + len; c++) {
				if (*c < '0' || *c > '9' || n > UINT32_MAX)
					return -1;
				n = n * 10 + (uint64_t)(*c - '0');
			}
			if (n > UINT32_MAX)
				return -1;
			v[field - 2] = n;
		}
		p += len;
		if (field < 6) {
			if (*p != ' ')
				return -1;
			p++;
		}
	}
	if (*p != '\0')
		return -1;
	*serial = (uint32_t)v[0];
	*refresh = (uint32_t)v[1];
	*retry = (uint32_t)v[2];
	*expire = (uint32_t)v[3];
	return 0;
}

int64_t
zone_jitter_ms(uint32_t seconds, int lo, int hi)
{
	int64_t	 s = seconds;

	if (s < lo)
		s = lo;
	if (s > hi)
		s = hi;
	s *= 1000;
	return s - (int64_t)util_random_uniform((uint32_t)(s / 10 + 1));
}

int64_t
zone_backoff_ms(uint32_t retry, unsigned fails, int lo, int hi, int cap)
{
	uint64_t	 s = retry;

	if (s < (uint64_t)lo)
		s = (uint64_t)lo;
	if (s > (uint64_t)hi)
		s = (uint64_t)hi;
	for (unsigned i = 1; i < fails && s < (uint64_t)cap; i++)
		s *= 2;
	if (s > (uint64_t)cap)
		s = (uint64_t)cap;
	return zone_jitter_ms((uint32_t)s, 1, INT32_MAX);
}

void
zone_name_canon(char *s)
{
	size_t	 n = strlen(s);

	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (n > 1 && s[n - 1] == '.' && (n < 2 || s[n - 2] != '\\'))
		s[n - 1] = '\0';
}

/* The table. */
static struct zone	**by_id, **by_name;
static size_t		  tsize, tcount;

static uint32_t
id_hash(uint32_t id)
{
	return id * 2654435761u;
}

static void
table_grow(void)
{
	size_t		  nsize = tsize ? tsize * 2 : 1024;
	struct zone	**ni = xcalloc(nsize, sizeof(*ni));
	struct zone	**nn = xcalloc(nsize, sizeof(*nn));

	for (size_t i = 0; i < tsize; i++) {
		struct zone *z, *next;
		for (z = by_id[i]; z != NULL; z = next) {
			next = z->id_next;
			size_t b = id_hash(z->id) & (nsize - 1);
			z->id_next = ni[b];
			ni[b] = z;
		}
		for (z = by_name[i]; z != NULL; z = next) {
			next = z->name_next;
			size_t b = util_strhash(z->name) & (nsize - 1);
			z->name_next = nn[b];
			nn[b] = z;
		}
	}
	free(by_id);
	free(by_name);
	by_id = ni;
	by_name = nn;
	tsize = nsize;
}

struct zone *
zone_new(uint32_t id, const char *name)
{
	size_t		 len = strlen(name);
	struct zone	*z = xcalloc(1, sizeof(*z) + len + 1);

	z->id = id;
	memcpy(z->name, name, len + 1);
	zone_name_canon(z->name);
	z->state = ZONE_DONE;		/* holds nothing until it is scheduled */
	zone_counts.in[ZONE_DONE]++;
	zone_counts.unloaded++;
	z->last_ok = ZONE_NEVER;
	z->round_lame = true;
	return z;
}

static struct heap	 ok_heap;

void
zone_set_loaded(struct zone *z)
{
	if (!z->has_soa)
		zone_counts.unloaded--;
	z->has_soa = true;
}

void
zone_set_fails(struct zone *z, uint16_t n)
{
	zone_counts.failing += (n > 0) - (z->fails > 0);
	z->fails = n;
}

void
zone_set_last_ok(struct zone *z, int64_t at)
{
	z->last_ok = at;
	heap_set(&ok_heap, &z->okh, at);
}

int64_t
zone_oldest_ok(void)
{
	struct heap_node	*n = heap_top(&ok_heap);

	return n == NULL ? ZONE_NEVER : n->at;
}

void
zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	if (z->waited && zone_check_ended != NULL)
		zone_check_ended(z, true);
	zone_set_state(z, ZONE_DONE, NULL);
	zone_counts.in[ZONE_DONE]--;
	zone_counts.unloaded -= !z->has_soa;
	zone_counts.failing -= z->fails > 0;
	zone_counts.expired -= z->expired;
	if (z->okh.idx != 0)
		heap_del(&ok_heap, &z->okh);
	zone_set_expiry(z, ZONE_NEVER);
	zone_set_masters(z, NULL, 0);
	free(z->pend);
	free(z->err);
	free(z);
}

void
zone_set_masters(struct zone *z, const struct master_addr *ma, int n)
{
	for (int i = 0; i < z->nmasters; i++)
		master_put(z->masters[i]);
	if (z->masters != &z->master1)
		free(z->masters);
	z->nmasters = (uint8_t)n;
	z->cur = 0;
	z->masters = n == 0 ? NULL : n == 1 ? &z->master1 :
	    xcalloc((size_t)n, sizeof(*z->masters));
	for (int i = 0; i < n; i++)
		z->masters[i] = master_get(&ma[i]);
}

void
zone_set_pending(struct zone *z, const struct master_addr *ma, int n, int64_t now)
{
	free(z->pend);
	z->pend = xmalloc(sizeof(*z->pend) + (size_t)n * sizeof(*ma));
	z->pend->at = now;
	z->pend->n = n;
	memcpy(z->pend->addr, ma, (size_t)n * sizeof(*ma));
}

/* The state machine. */
struct zone_counts	 zone_counts;
static struct heap	 due_heap, exp_heap;

static const char *const state_names[ZONE_NSTATES] = {
	"idle", "queued", "querying", "xfr-queued", "transferring", "writing", "done",
};

const char *
zone_state_name(enum zone_state st)
{
	return st < ZONE_NSTATES ? state_names[st] : "?";
}

static bool
state_pending(int st)
{
	return st >= ZONE_QUEUED && st <= ZONE_WRITING;
}

/* Undo what entering the zone's current state did. */
static void
state_leave(struct zone *z)
{
	struct master	*m = z->at;

	switch (z->state) {
	case ZONE_IDLE:
		heap_del(&due_heap, &z->due);
		break;
	case ZONE_QUEUED:
		if (z->in_urgent)
			TAILQ_REMOVE(&m->urgent, z, q);
		else
			TAILQ_REMOVE(&m->ready, z, q);
		master_wants_run(m);
		break;
	case ZONE_QUERYING:
		m->soa_inflight--;
		master_wants_run(m);
		break;
	case ZONE_XFR_QUEUED:
		if (m->xfr_ffirst == z)
			m->xfr_ffirst = TAILQ_NEXT(z, q);
		TAILQ_REMOVE(&m->xfrwait, z, q);
		free(zone_take_udp(z));
		break;
	case ZONE_TRANSFERRING:
		m->xfr_inflight--;
		master_wants_xfr(m);
		break;
	default:
		break;
	}
	if (m != NULL) {
		z->at = NULL;
		master_put(m);
	}
}

static void
state_enter(struct zone *z, enum zone_state st, struct master *m)
{
	if (st >= ZONE_QUEUED && st <= ZONE_TRANSFERRING) {
		z->at = m;
		m->refs++;		/* held while it holds m's queue or slot */
	}
	switch (st) {
	case ZONE_IDLE:
		if (z->pend != NULL) {	/* a master change waited for this moment */
			zone_set_masters(z, z->pend->addr, z->pend->n);
			if (z->pend->at < z->due.at)
				z->due.at = z->pend->at;
			free(z->pend);
			z->pend = NULL;
		}
		heap_set(&due_heap, &z->due, z->due.at);
		break;
	case ZONE_QUEUED:
		z->in_urgent = z->urgent;
		if (z->urgent)
			TAILQ_INSERT_TAIL(&m->urgent, z, q);
		else
			TAILQ_INSERT_TAIL(&m->ready, z, q);
		master_wants_run(m);
		break;
	case ZONE_QUERYING:
		m->soa_inflight++;
		break;
	case ZONE_XFR_QUEUED:
		z->udp = NULL;
		/* zones whose transfers work queue ahead of those whose last
		 * one failed (a hung or oversized one may come again) */
		if (!z->xfr_failed && m->xfr_ffirst != NULL)
			TAILQ_INSERT_BEFORE(m->xfr_ffirst, z, q);
		else {
			TAILQ_INSERT_TAIL(&m->xfrwait, z, q);
			if (z->xfr_failed && m->xfr_ffirst == NULL)
				m->xfr_ffirst = z;
		}
		master_wants_xfr(m);
		break;
	case ZONE_TRANSFERRING:
		m->xfr_inflight++;
		break;
	default:
		break;
	}
}

void
zone_set_state(struct zone *z, enum zone_state st, struct master *m)
{
	enum zone_state	 old = z->state;

	state_leave(z);
	if (state_pending(old))
		zone_counts.pending--;
	zone_counts.in[old]--;
	z->state = (uint8_t)st;
	zone_counts.in[st]++;
	if (state_pending(st))
		zone_counts.pending++;
	state_enter(z, st, m);
	if (old != st)
		log_debug("zone %s: %s -> %s", z->name, state_names[old], state_names[st]);
}

static size_t	 udp_held;		/* bytes of all zones' z->udp */

bool
zone_hold_udp(struct zone *z, const uint8_t *msg, size_t len)
{
	if (z->state != ZONE_XFR_QUEUED || z->udp != NULL ||
	    udp_held + len > ZONE_UDP_HELD_MAX)
		return false;
	z->udp = xmalloc(sizeof(*z->udp) + len);
	z->udp->len = len;
	memcpy(z->udp->b, msg, len);
	udp_held += len;
	return true;
}

struct dnsmsg *
zone_take_udp(struct zone *z)
{
	struct dnsmsg	*d = z->state == ZONE_XFR_QUEUED ? z->udp : NULL;

	if (d != NULL) {
		udp_held -= d->len;
		z->udp = NULL;
	}
	return d;
}

void
zone_set_expiry(struct zone *z, int64_t at)
{
	if (at == ZONE_NEVER)
		heap_del(&exp_heap, &z->exp);
	else
		heap_set(&exp_heap, &z->exp, at);
}

struct zone *
zone_next_due(void)
{
	struct heap_node	*n = heap_top(&due_heap);

	return n == NULL ? NULL : container_of(n, struct zone, due);
}

struct zone *
zone_next_expiry(void)
{
	struct heap_node	*n = heap_top(&exp_heap);

	return n == NULL ? NULL : container_of(n, struct zone, exp);
}

void
zone_table_add(struct zone *z)
{
	size_t	 b;

	if (tcount >= tsize)
		table_grow();
	b = id_hash(z->id) & (tsize - 1);
	z->id_next = by_id[b];
	by_id[b] = z;
	b = util_strhash(z->name) & (tsize - 1);
	z->name_next = by_name[b];
	by_name[b] = z;
	tcount++;
}

void
zone_table_remove(struct zone *z)
{
	struct zone	**pp;

	for (pp = &by_id[id_hash(z->id) & (tsize - 1)]; *pp != z; pp = &(*pp)->id_next)
		;
	*pp = z->id_next;
	for (pp = &by_name[util_strhash(z->name) & (tsize - 1)]; *pp != z; pp = &(*pp)->name_next)
		;
	*pp = z->name_next;
	tcount--;
}

struct zone *
zone_by_id(uint32_t id)
{
	struct zone	*z;

	if (tsize == 0)
		return NULL;
	for (z = by_id[id_hash(id) & (tsize - 1)]; z != NULL; z = z->id_next)
		if (z->id == id)
			return z;
	return NULL;
}

struct zone *
zone_by_name(const char *name)
{
	struct zone	*z;

	if (tsize == 0)
		return NULL;
	for (z = by_name[util_strhash(name) & (tsize - 1)]; z != NULL; z = z->name_next)
		if (strcmp(z->name, name) == 0)
			return z;
	return NULL;
}

size_t
zone_count(void)
{
	return tcount;
}

void
zone_foreach(void (*fn)(struct zone *, void *), void *arg)
{
	for (size_t i = 0; i < tsize; i++) {
		struct zone *z, *next;
		for (z = by_id[i]; z != NULL; z = next) {
			next = z->id_next;
			fn(z, arg);
		}
	}
}

static void
clear_cb(struct zone *z, void *arg)
{
	(void)arg;
	zone_table_remove(z);
	zone_free(z);
}

void
zone_table_clear(void)
{
	zone_foreach(clear_cb, NULL);
	free(by_id);
	free(by_name);
	by_id = by_name = NULL;
	tsize = tcount = 0;
}

/*
 * The life cycle: when a zone is checked next.  With --once a zone that
 * would wait is done instead, and one that fails counts against the exit
 * status; at shutdown it is done, whatever happened.
 */
static struct {
	const struct conf	*conf;
	bool			 once, stopping;
} R;

void
zone_rules(const struct conf *c, bool once, bool stopping)
{
	R.conf = c;
	R.once = once;
	R.stopping = stopping;
}

uint32_t
zone_expire_s(const struct zone *z)
{
	return z->expire < (uint32_t)R.conf->min_expire ? (uint32_t)R.conf->min_expire :
	    z->expire;
}

void
zone_expiry_check(struct zone *z, int64_t now)
{
	int64_t	 at = z->last_ok + (int64_t)zone_expire_s(z) * 1000;

	if (!z->has_soa || z->last_ok == ZONE_NEVER) {
		zone_set_expiry(z, ZONE_NEVER);
		return;
	}
	if (at > now) {
		zone_set_expiry(z, at);		/* checked meanwhile: later */
		return;
	}
	zone_set_expiry(z, ZONE_NEVER);
	if (!z->expired) {
		log_err("zone %s: expired: no successful check for over %u s (SOA EXPIRE); "
		    "PowerDNS keeps serving the old data", z->name, zone_expire_s(z));
		zone_counts.expired++;
		z->expired = true;
		zstatus_touch(z);
	}
}

/* Wait until at, then check again; with --once or at shutdown: done. */
void
zone_schedule(struct zone *z, int64_t at, int64_t now)
{
	if (R.once || R.stopping) {
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
}

/*
 * Queue a due zone on its current master; a master paused as a whole passes
 * it to the next master, or keeps it until the pause is over.
 */
void
zone_queue(struct zone *z, int64_t now)
{
	struct master	*m = z->masters[z->cur];

	while (m->health == MASTER_DOWN && z->cur + 1 < z->nmasters) {
		m->skipped++;
		m = z->masters[++z->cur];
	}
	if (m->health == MASTER_DOWN && R.once) {
		m->skipped++;
		zone_fail(z, "master does not answer (paused)", false, now);
		return;
	}
	zone_set_state(z, ZONE_QUEUED, m);
}

void		(*zone_check_ended)(struct zone *, bool);

/* A check has ended: how, when, from which master. */
static void
check_ended(struct zone *z, enum zone_result res)
{
	z->result = (uint8_t)res;
	z->res_master = z->cur;
	z->checked_at = (uint32_t)time(NULL);
	if (!z->notify_again) {		/* a retransfer asked meanwhile is still owed */
		z->force = false;
		z->notify_at = 0;	/* acted on: written, or nothing to write */
	}
}

/* Tell a control client waiting for the check, once the zone has moved on. */
static void
check_told(struct zone *z)
{
	zstatus_touch(z);
	if (z->waited && zone_check_ended != NULL)
		zone_check_ended(z, false);
}

/* The next check after REFRESH; EXPIRE counts from now. */
void
zone_ok(struct zone *z, int64_t now, enum zone_result res)
{
	const struct conf	*c = R.conf;
	uint32_t		 ex = zone_expire_s(z);

	check_ended(z, res);
	z->lame_since = 0;
	z->round_lame = true;
	z->att_lame = false;
	zone_counts.failing -= z->fails > 0;
	z->fails = 0;
	z->cur = 0;
	zone_set_last_ok(z, now);
	if (z->expired) {
		log_info("zone %s: no longer expired", z->name);
		zone_counts.expired--;
	}
	z->expired = false;
	/* Armed already: it fires at the old time and moves on from last_ok
	 * then (zone_expiry_check), one heap operation an EXPIRE, not a check. */
	if (z->exp.idx == 0)
		zone_set_expiry(z, now + (int64_t)ex * 1000);
	zone_schedule(z, now + zone_jitter_ms(z->refresh, c->min_refresh, c->max_refresh), now);
	check_told(z);
}

/* The check or transfer from the current master failed. */
void
zone_fail(struct zone *z, const char *why, bool next_master, int64_t now)
{
	const struct conf	*c = R.conf;
	int64_t			 delay;

	if (R.stopping) {
		zone_set_state(z, ZONE_DONE, NULL);
		return;
	}
	if (z->err == NULL)
		z->err = xcalloc(1, sizeof(*z->err));
	z->err->time = (int64_t)time(NULL);
	util_strlcpy(z->err->master, z->nmasters > 0 ? z->masters[z->cur]->name : "",
	    sizeof(z->err->master));
	util_strlcpy(z->err->reason, why, sizeof(z->err->reason));
	/* Orphaned: every master of a whole round said the zone is not its. */
	if (!z->att_lame)
		z->round_lame = false;
	z->att_lame = false;
	if (z->pend != NULL && !R.once) {	/* new masters: try them now */
		z->round_lame = true;
		zone_schedule(z, now, now);
		return;
	}
	if (next_master && z->cur + 1 < z->nmasters) {
		z->cur++;
		zone_queue(z, now);
		return;
	}
	zone_counts.failing += z->fails == 0;
	if (z->fails < UINT16_MAX)
		z->fails++;
	if (!z->round_lame)
		z->lame_since = 0;
	else if (z->lame_since == 0)
		z->lame_since = (uint32_t)(now / 1000);	/* the scheduler's clock, in s */
	z->round_lame = true;
	check_ended(z, ZR_FAILED);
	z->cur = 0;
	stats.failures++;
	zone_expiry_check(z, now);	/* its chance is used: expired now? */
	if (R.once) {
		stats.once_failed++;
		log_warnx("zone %s: not refreshed: %s", z->name, why);
		zone_set_state(z, ZONE_DONE, NULL);
		zstatus_touch(z);
		return;
	}
	delay = zone_backoff_ms(z->has_soa ? z->retry : (uint32_t)c->min_retry, z->fails,
	    c->min_retry, c->max_retry, c->max_backoff);
	log_debug("zone %s: retry in %" PRId64 " s (failure %u)", z->name, delay / 1000,
	    z->fails);
	zone_schedule(z, now + delay, now);
	check_told(z);
}

/*
 * A master whose serial is not newer than ours says so at every check: a
 * warning the first time, then debug until the zone is in step again.
 */
void
zone_stale_log(struct zone *z, const char *fmt, ...)
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

