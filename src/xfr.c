/*
 * xfr: the worker pool.  A worker takes a job, fetches the zone over TCP
 * (RFC 5936) with limits on bytes, records, idle and total time, validates
 * it, converts it to PowerDNS rows and writes them in one transaction.  The
 * finished job goes back through a chan whose descriptor wakes the loop.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "axfr.h"
#include "conf.h"
#include "ha.h"
#include "keys.h"
#include "log.h"
#include "dnswire.h"
#include "soa.h"
#include "util.h"
#include "xfr.h"
#include "zone.h"

#define POLL_SLICE_MS	250	/* how often a waiting worker looks at the stop flag */
#define RBUF_LEN	4096	/* read ahead: a small zone's length and message in one recv */

static pthread_t	*workers;
static int		 nworkers;
static struct chan	*jobs, *done;
static struct db_params	 dbp;
static atomic_bool	 stopping;

/* ------------------------------------------------------------------ */
/* Network */

/*
 * One transfer's connection and its clocks: the whole transfer's deadline,
 * the idle deadline (moved by every byte), and the rate floor: after the
 * grace period the master must have sent min_rate bytes a second on
 * average, so a master that drips a byte just inside the idle timeout
 * cannot hold a worker for the whole transfer.timeout.
 *
 * Once the answer has begun, the socket is read before it is polled, and
 * into a buffer ahead of the message lengths: a small zone's whole answer
 * then costs one poll and one recv, not two of each.
 */
struct conn {
	int			 fd;
	int64_t			 start, deadline, idle;
	const struct xfr_limits	*lim;
	size_t			 rx;		/* bytes received */
	const atomic_bool	*stop;
	bool			 limit;		/* the error was a broken limit */
	bool			 asked;		/* query sent, nothing read since */
	size_t			 rpos, rlen;	/* what rbuf holds that is not read */
	uint8_t			 rbuf[RBUF_LEN];
};

/* When the average rate falls under the floor at the bytes received so far. */
static int64_t
floor_deadline(const struct conn *c)
{
	int64_t	 t;

	if (c->lim->min_rate <= 0)
		return INT64_MAX;
	t = (int64_t)(c->rx / (size_t)c->lim->min_rate) * 1000 +
	    (int64_t)(c->rx % (size_t)c->lim->min_rate) * 1000 / c->lim->min_rate;
	return c->start + (t > c->lim->grace_ms ? t : c->lim->grace_ms);
}

/*
 * The stop flag and every deadline: 0 while the transfer may go on, else
 * -2 (stop) or -1 with err; until: the nearest deadline.
 */
static int
conn_check(struct conn *c, int64_t now, int64_t *until, char *err, size_t errlen)
{
	int64_t	 fl = floor_deadline(c);

	*until = c->idle < c->deadline ? c->idle : c->deadline;
	if (fl < *until)
		*until = fl;
	if (c->stop != NULL && atomic_load(c->stop)) {
		snprintf(err, errlen, "shutting down");
		return -2;
	}
	if (now < *until)
		return 0;
	c->limit = true;
	if (now >= c->deadline)
		snprintf(err, errlen, "transfer took longer than transfer.timeout");
	else if (now >= fl)
		snprintf(err, errlen, "master sent %zu bytes in %" PRId64 " s, "
		    "slower than transfer.min-rate (%ld bytes/s)", c->rx,
		    (now - c->start) / 1000, c->lim->min_rate);
	else
		snprintf(err, errlen, "master sent nothing for transfer.idle-timeout");
	return -1;
}

/* Wait for the socket to become ready, within every deadline and the stop flag. */
static int
wait_fd(struct conn *c, short ev, char *err, size_t errlen)
{
	for (;;) {
		int64_t	 now = util_now_ms(), until;
		struct pollfd pfd = { c->fd, ev, 0 };
		int	 r;

		if ((r = conn_check(c, now, &until, err, errlen)) != 0)
			return r;
		r = poll(&pfd, 1, (int)(until - now < POLL_SLICE_MS ? until - now : POLL_SLICE_MS));
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * Read exactly n bytes: first what rbuf holds, then from the socket (into
 * rbuf while less than it is wanted, so what comes after lands there too),
 * polling only when the socket has nothing.  The deadlines are looked at
 * before every recv, so a master that sends without pause is held to them
 * as well.
 */
static int
read_full(struct conn *c, uint8_t *buf, size_t n, char *err, size_t errlen)
{
	size_t	 got = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;

	memcpy(buf, c->rbuf + c->rpos, got);
	c->rpos += got;
	while (got < n) {
		bool	 ahead = n - got < sizeof(c->rbuf);
		int64_t	 until;
		ssize_t	 k;
		int	 r;

		if ((r = conn_check(c, util_now_ms(), &until, err, errlen)) != 0)
			return r;
		if (c->asked && (r = wait_fd(c, POLLIN, err, errlen)) != 0)
			return r;	/* the answer is a round trip away */
		c->asked = false;
		k = ahead ? recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT) :
		    recv(c->fd, buf + got, n - got, MSG_DONTWAIT);
		if (k == 0) {
			snprintf(err, errlen, "master closed the connection mid-transfer");
			return -1;
		}
		if (k == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				snprintf(err, errlen, "recv: %s", strerror(errno));
				return -1;
			}
			if ((r = wait_fd(c, POLLIN, err, errlen)) != 0)
				return r;
			continue;
		}
		c->rx += (size_t)k;
		c->idle = util_now_ms() + c->lim->idle_ms;
		if (ahead) {
			size_t	 take = (size_t)k < n - got ? (size_t)k : n - got;

			memcpy(buf + got, c->rbuf, take);
			c->rpos = take;
			c->rlen = (size_t)k;
			got += take;
		} else
			got += (size_t)k;
	}
	return 0;
}

/*
 * Transfer connections kept for the next transfer from the same master
 * (NSD's xfrd does the same): a run of one master's zones costs one TCP
 * handshake per transfer at once, not one per zone (the scheduler lets a
 * master whose connection was kept go on with its next zone).  A
 * connection goes back to the pool only after a transfer that ended
 * cleanly, with nothing of the master's left unread, and unless the master
 * is known to close them; it is taken again only by a job for the same
 * master (and AXFR-SOURCE) within KEEP_MS of its last use, with nothing to
 * read on it (not closed by the master, no stray bytes: looked at then,
 * once, not also when it is put back).  If the master closed it
 * meanwhile, or nothing of the answer came on it within KEEP_FIRST_MS, the
 * job opens a new one once.
 * Older ones are closed whenever the pool is used, and by a worker that
 * waited KEEP_MS for work.  A master found to close them is remembered
 * for KEEP_CLOSER_MS (a lossy table under a keyed hash) and its
 * connections are not kept.  Each is in use by one job at a time, so a
 * master never has more than its master.transfers.
 */
#define KEEP_MS		1000
#define KEEP_MAX	64
#define KEEP_FIRST_MS	2000	/* a kept connection's answer must begin by then */
#define KEEP_CLOSER_MS	3600000
#define KEEP_CLOSERS	1024

static struct {
	pthread_mutex_t	 mtx;
	size_t		 n;
	struct keep {
		int			 fd;
		bool			 has_src;
		struct master_addr	 ma, src;
		int64_t			 at;
	}		 k[KEEP_MAX];
	struct {
		uint64_t		 h;
		int64_t			 until;
	}		 closer[KEEP_CLOSERS];	/* masters that close them */
	atomic_ulong	 opened, reused;	/* for tests and the bench */
} kp = { .mtx = PTHREAD_MUTEX_INITIALIZER };

static uint64_t
keep_hash(const struct xfr_job *job)
{
	return util_keyed_hash(&job->ma.ss, job->ma.len);
}

/* Whether job's master closes kept connections (set: it just did); kp.mtx held. */
static bool
keep_closer(const struct xfr_job *job, bool set)
{
	uint64_t h = keep_hash(job);
	size_t	 i = h & (KEEP_CLOSERS - 1);

	if (set) {
		kp.closer[i].h = h;
		kp.closer[i].until = util_now_ms() + KEEP_CLOSER_MS;
	}
	return kp.closer[i].h == h && kp.closer[i].until > util_now_ms();
}

/* Close the entries unused for KEEP_MS (all: every one); kp.mtx held. */
static void
keep_expire(int64_t now, bool all)
{
	for (size_t i = 0; i < kp.n;)
		if (all || now - kp.k[i].at > KEEP_MS) {
			close(kp.k[i].fd);
			kp.k[i] = kp.k[--kp.n];
		} else
			i++;
}

/* Whether fd has nothing to read and is still open at the other end. */
static bool
keep_clean(int fd)
{
	uint8_t	 b;

	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK);
}

static bool
keep_match(const struct keep *k, const struct xfr_job *job)
{
	return master_addr_eq(&k->ma, (const struct sockaddr *)&job->ma.ss, job->ma.len) &&
	    k->has_src == job->has_src && (!job->has_src ||
	    master_addr_eq(&k->src, (const struct sockaddr *)&job->src.ss, job->src.len));
}

/* A kept connection to job's master, clean and recent; -1: none. */
static int
keep_take(const struct xfr_job *job)
{
	int	 fd = -1;

	pthread_mutex_lock(&kp.mtx);
	keep_expire(util_now_ms(), false);
	for (size_t i = 0; i < kp.n; i++)
		if (keep_match(&kp.k[i], job)) {
			fd = kp.k[i].fd;
			kp.k[i] = kp.k[--kp.n];
			break;
		}
	pthread_mutex_unlock(&kp.mtx);
	if (fd != -1 && !keep_clean(fd)) {
		close(fd);		/* closed by the master, or bytes we did not ask for */
		fd = -1;
		pthread_mutex_lock(&kp.mtx);
		keep_closer(job, true);
		pthread_mutex_unlock(&kp.mtx);
	}
	return fd;
}

/* Keep fd for job's master's next transfer: false if it was closed instead. */
static bool
keep_put(int fd, const struct xfr_job *job)
{
	size_t	 old = 0;
	int	 evict = -1;

	pthread_mutex_lock(&kp.mtx);
	if (keep_closer(job, false)) {	/* it closes after each transfer */
		pthread_mutex_unlock(&kp.mtx);
		close(fd);
		return false;
	}
	keep_expire(util_now_ms(), false);
	if (kp.n == KEEP_MAX) {
		for (size_t i = 1; i < kp.n; i++)
			if (kp.k[i].at < kp.k[old].at)
				old = i;
		evict = kp.k[old].fd;
		kp.k[old] = kp.k[--kp.n];
	}
	kp.k[kp.n++] = (struct keep){ fd, job->has_src, job->ma, job->src, util_now_ms() };
	pthread_mutex_unlock(&kp.mtx);
	if (evict != -1)
		close(evict);
	return true;
}

/* Close the kept connections idle for KEEP_MS (all: every one); how many are left. */
static size_t
keep_sweep(bool all)
{
	size_t	 left;

	pthread_mutex_lock(&kp.mtx);
	keep_expire(util_now_ms(), all);
	left = kp.n;
	pthread_mutex_unlock(&kp.mtx);
	return left;
}

void
xfr_conn_counts(unsigned long *opened, unsigned long *reused)
{
	*opened = atomic_load(&kp.opened);
	*reused = atomic_load(&kp.reused);
}

/*
 * A new connection to job's master, the query q sent: 0, -1, -2 (stop), -3
 * (local).  The query is sent as soon as the connection is up: tried at
 * once (a near master's handshake is often done when connect returns), and
 * after a wait for the connection when the kernel says it is not yet.
 */
static int
conn_open(const struct xfr_job *job, struct conn *c, const uint8_t *q, size_t qlen,
    char *err, size_t errlen)
{
	ssize_t	 k;

	c->rpos = c->rlen = 0;
	c->fd = socket(job->ma.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM ? -3 : -1;
	}
	atomic_fetch_add(&kp.opened, 1);
	if (job->has_src && bind(c->fd, (const struct sockaddr *)&job->src.ss,
	    job->src.len) == -1) {
		char a[80];
		master_fmt(&job->src, a, sizeof(a));
		snprintf(err, errlen, "cannot use AXFR-SOURCE %s: %s", a, strerror(errno));
		return -1;
	}
	if (connect(c->fd, (const struct sockaddr *)&job->ma.ss, job->ma.len) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		return -1;
	}
	while ((k = send(c->fd, q, qlen, MSG_NOSIGNAL)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		int	 e = 0, r;
		socklen_t el = sizeof(e);

		if (errno == EINTR)
			continue;
		if ((r = wait_fd(c, POLLOUT, err, errlen)) != 0)
			return r;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e != 0) {
			snprintf(err, errlen, "connect: %s", strerror(e));
			return -1;
		}
	}
	c->asked = k == (ssize_t)qlen;
	if (k != (ssize_t)qlen) {
		/* a refused or failed handshake shows here first */
		snprintf(err, errlen, "%s: %s", k == -1 &&
		    (errno == ECONNREFUSED || errno == ETIMEDOUT || errno == EHOSTUNREACH ||
		    errno == ENETUNREACH) ? "connect" : "send",
		    k == -1 ? strerror(errno) : "the query did not fit the socket");
		return -1;
	}
	return 0;
}

/*
 * Validation of a transfer with ID id into set (an IXFR's deltas into
 * delta, when not NULL), both empty, under budget.
 */
static int
fetch_begin(const struct xfr_job *job, struct axfr *ax, uint16_t id, struct rr_set *set,
    struct rr_set *delta, struct rr_budget *budget)
{
	rr_set_budget(set, budget);
	if (delta != NULL)
		rr_set_budget(delta, budget);
	else
		rr_set_reserve(set, job->rows_hint);	/* the whole zone, again */
	if (axfr_init(ax, job->zone, id, job->lim.max_records, set) == -1)
		return -1;
	if (delta != NULL)
		axfr_want_ixfr(ax, job->old_serial, delta);
	return 0;
}

/*
 * The check's IXFR answer, when it came over UDP: true when that one
 * message holds all the changes, or all the zone, as a TCP answer would
 * (RFC 1995 4); its signature was verified with the check.  False (a
 * message that ends early, as NSD 4.6 cuts a zone that does not fit
 * without TC, or one the transfer's rules refuse) leaves the job to TCP,
 * after a debug line.  The message is freed either way.
 */
static bool
udp_answer(struct xfr_job *job, struct axfr *ax, char *err, size_t errlen)
{
	struct dnsmsg	*d = job->udp;
	int		 r;

	job->udp = NULL;
	job->bytes = d->len;
	ax->id = (uint16_t)(d->b[0] << 8 | d->b[1]);
	if ((r = axfr_feed(ax, d->b, d->len, err, errlen)) != 1)
		log_debug("zone %s: the IXFR answer over UDP %s: asking by TCP", job->zone,
		    r == -1 ? err : "does not hold all of it");
	err[0] = '\0';
	free(d);
	return r == 1;
}

int
xfr_fetch(struct xfr_job *job, struct rr_set *set, struct rr_set *delta,
    const atomic_bool *stop)
{
	uint8_t		 q[2 + 1024], *msg = NULL;
	uint8_t		 mac[TSIG_MAC_MAX];
	size_t		 maclen = 0;
	struct tsig_verify tv;
	struct axfr	 ax;
	int64_t		 start = util_now_ms();
	int64_t		 end = job->deadline ? job->deadline : start + job->lim.total_ms;
	struct conn	 c = { .fd = -1, .start = start, .deadline = end,
			    .idle = start + job->lim.idle_ms, .lim = &job->lim, .stop = stop };
	struct rr_budget budget = { job->lim.max_mem, c.deadline, stop,
			    job->lim.max_iterations };
	uint16_t	 id = (uint16_t)util_random_uniform(65536);
	int		 n, rc = -1, r0;
	bool		 current = false, reused = false;
	char		*err = job->err;
	size_t		 errlen = sizeof(job->err);

	n = delta != NULL ? dnswire_ixfr_query(job->zone, id, job->old_serial, q + 2,
	    sizeof(q) - 2) : dnswire_query(job->zone, LDNS_RR_TYPE_AXFR, id, q + 2, sizeof(q) - 2);
	if (n == -1 || fetch_begin(job, &ax, id, set, delta, &budget) == -1) {
		snprintf(err, errlen, "zone name does not convert");
		return -1;
	}
	if (job->tsig) {
		if ((n = tsig_sign(&job->key, q + 2, (size_t)n, sizeof(q) - 2, mac,
		    &maclen)) == -1) {
			snprintf(err, errlen, "TSIG: cannot sign the query");
			return -1;
		}
		tsig_verify_init(&tv, &job->key, mac, maclen);
	}
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	if (delta != NULL && job->udp != NULL) {
		if (udp_answer(job, &ax, err, errlen)) {
			job->by_udp = true;
			goto complete;
		}
		/* not all of it: by TCP, from nothing */
		job->bytes = 0;
		axfr_free(&ax);
		rr_set_free(set);
		rr_set_init(set, job->zone);
		rr_set_free(delta);
		rr_set_init(delta, job->zone);
		if (fetch_begin(job, &ax, id, set, delta, &budget) == -1) {
			snprintf(err, errlen, "zone name does not convert");
			return -1;
		}
	}
	if ((c.fd = keep_take(job)) != -1) {
		reused = c.asked = send(c.fd, q, (size_t)n + 2, MSG_NOSIGNAL) == n + 2;
		if (!reused) {
			close(c.fd);
			c.fd = -1;
		} else {
			atomic_fetch_add(&kp.reused, 1);
			/* silence on it (a middlebox forgot it) is not the master's */
			if (c.idle > util_now_ms() + KEEP_FIRST_MS)
				c.idle = util_now_ms() + KEEP_FIRST_MS;
		}
	}
	if (!reused && (r0 = conn_open(job, &c, q, (size_t)n + 2, err, errlen)) != 0) {
		rc = r0;
		goto out;
	}
	msg = xmalloc(65536);
	while (!ax.done) {
		uint8_t	 lb[2];
		size_t	 mlen;
		int	 r;

		if ((r = read_full(&c, lb, 2, err, errlen)) != 0) {
			/*
			 * A kept connection closed meanwhile, or silent: a new one,
			 * once (within the job's deadline).
			 */
			if (reused && r == -1 && c.rx == 0 && util_now_ms() < c.deadline) {
				reused = false;
				close(c.fd);
				c.fd = -1;
				c.limit = false;
				c.idle = util_now_ms() + job->lim.idle_ms;
				if ((r = conn_open(job, &c, q, (size_t)n + 2, err, errlen)) == 0)
					continue;
			}
			rc = r;
			goto out;
		}
		mlen = (size_t)(lb[0] << 8 | lb[1]);
		job->bytes += mlen + 2;
		if ((long)job->bytes > job->lim.max_bytes) {
			c.limit = true;
			snprintf(err, errlen, "more than %ld bytes (transfer.max-bytes)",
			    job->lim.max_bytes);
			goto out;
		}
		if ((r = read_full(&c, msg, mlen, err, errlen)) != 0) {
			rc = r;
			goto out;
		}
		/* the signature first: a refusal of our key reads BADKEY, not NOTAUTH */
		if (job->tsig && tsig_verify_msg(&tv, msg, mlen, err, errlen) == -1)
			goto out;
		if ((r = axfr_feed(&ax, msg, mlen, err, errlen)) == -1) {
			if (set->over == RR_OVER_STOP ||
			    (delta != NULL && delta->over == RR_OVER_STOP))
				rc = -2;
			else if (ax.fallback)
				rc = -4;
			c.limit = ax.limit || set->over != RR_OVER_NONE ||
			    (delta != NULL && delta->over != RR_OVER_NONE);
			goto out;
		}
		if (r == 2) {		/* IXFR answered with the master's SOA alone */
			if (zone_serial_cmp(job->old_serial,
			    ldns_rdf2native_int32(ldns_rr_rdf(ax.soa, 2))) != -1) {
				current = true;
				break;
			}
			snprintf(err, errlen, "master answered IXFR with its SOA only");
			ax.refused = true;
			rc = -4;
			goto out;
		}
	}
	if (job->tsig && tsig_verify_end(&tv, err, errlen) == -1)
		goto out;
complete:
	if (delta != NULL && ax.style == AX_INCR) {
		job->how = XFR_BY_IXFR;
		job->deltas = ax.deltas;
		job->changes = delta->n;
	} else if (delta != NULL && !current)
		job->how = XFR_BY_IXFR_FULL;
	job->records = ax.records;
	job->dropped = ax.dropped;
	util_strlcpy(job->dropped_example, ax.dropped_example, sizeof(job->dropped_example));
	job->serial = ldns_rdf2native_int32(ldns_rr_rdf(ax.soa, 2));
	job->refresh = ldns_rdf2native_int32(ldns_rr_rdf(ax.soa, 3));
	job->retry = ldns_rdf2native_int32(ldns_rr_rdf(ax.soa, 4));
	job->expire = ldns_rdf2native_int32(ldns_rr_rdf(ax.soa, 5));
	rc = current ? 1 : 0;
out:
	if (delta != NULL)
		job->ixfr_refused = ax.refused;
	job->limit = c.limit;
	axfr_free(&ax);
	free(msg);
	if (c.fd != -1 && (rc == 0 || rc == 1) && c.rpos == c.rlen)
		job->kept = keep_put(c.fd, job);	/* the answer ended where it should */
	else if (c.fd != -1)
		close(c.fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Workers */

/*
 * Group commit: a worker keeps finished transfers and writes them in one
 * transaction when it has GROUP_ZONES zones, GROUP_ROWS rows or GROUP_MEM
 * bytes charged to their conversions, when the oldest has waited GROUP_MS,
 * or when no further job came within GROUP_LINGER_MS (the loop hands out
 * the next job as soon as a transfer ends).  A storm of small zones then
 * costs one commit per group, not per zone; a lone change waits
 * GROUP_LINGER_MS.  Each group costs MariaDB a transaction and four
 * statements besides its inserts: in alternating first loads of 170,000
 * zones, groups of 64 zones took 37.3 and 36.4 s of MariaDB's CPU (the
 * loads 48.7 and 46.4 s), groups of 512 took 27.8 and 26.8 s (34.2 and
 * 33.1 s).  A worker holds GROUP_MEM plus one zone at most.  A zone
 * with stored rows counts GROUP_STORED times its rows: the write reads
 * and compares them, the keys of the group's old and new rows all at once
 * (a pass where every serial changed peaked at 98 MiB with groups of 455
 * such zones, against 83 MiB with groups of 64).
 */
#define GROUP_ZONES	512
#define GROUP_ROWS	8192
#define GROUP_MEM	(32u << 20)
#define GROUP_STORED	8
#define GROUP_MS	500
#define GROUP_LINGER_MS	5		/* how long a next job may take to come */

struct pending {
	struct xfr_job	*job;
	struct rr_set	 set;
	struct db_snap	 snap;		/* IXFR: the stored rows it read */
	struct rr_meta	 meta;
	int64_t		 start;
};

struct group {
	struct pending	 p[GROUP_ZONES];
	size_t		 n, rows, mem;
	int64_t		 since;
};

/* What a failed xfr_fetch (r < 0, not -4) means for the job. */
static enum xfr_status
fetch_status(int r)
{
	return r == -2 ? XFR_ABORTED : r == -3 ? XFR_LOCAL : XFR_FAILED;
}

/*
 * IXFR first (job->ixfr): 0 when set holds the new zone (deltas applied to
 * the stored rows, or an AXFR-style answer), 1 to transfer it by AXFR
 * (why in job->ixfr_why), -1 failed (job->status says how).  When the
 * master has our serial, 0 too: the caller's serial check ends the job.
 * Deltas are used only where the stored rows and the domain's metadata
 * are all pdns needs to derive auth, ordername and empty non-terminals:
 * the rows then come out of rr_set_finish exactly as an AXFR of the same
 * version would have left them.  A presigned zone's NSEC3 chain, which pdns
 * does not store, decides those too: such zones go by AXFR.
 */
static int
ixfr_job(struct db *db, struct xfr_job *job, struct rr_set *set, struct db_snap *snap,
    struct rr_had *had, bool *had_read)
{
	struct rr_set	 delta;
	bool		 rrsig, ordered;
	int		 r;

	rr_set_init(&delta, job->zone);
	r = xfr_fetch(job, set, &delta, &stopping);
	if (r == -4) {
		util_strlcpy(job->ixfr_why, job->err, sizeof(job->ixfr_why));
		goto axfr;
	}
	if (r != 0 || job->how != XFR_BY_IXFR) {
		rr_set_free(&delta);
		if (r >= 0)
			return 0;	/* the whole zone, or our serial (r 1) */
		job->status = fetch_status(r);
		return -1;
	}
	if (job->dnssec) {
		if (db_read_dnssec(db, job->domain_id, had, job->err, sizeof(job->err)) == -1)
			goto dbfail;
		*had_read = true;
	}
	/* the deltas' set is empty so far: the stored rows go there */
	if ((r = db_read_rows(db, job->domain_id, job->rows_hint, set, snap, &rrsig,
	    &ordered, job->err, sizeof(job->err))) == -1)
		goto dbfail;
	if (r == -2) {
		if (set->over == RR_OVER_STOP)
			goto stop;
		snprintf(job->ixfr_why, sizeof(job->ixfr_why), "the stored rows are over "
		    "transfer.max-memory");
		goto axfr;
	}
	if (rrsig || (job->dnssec && had->presigned) ||
	    (ordered && !(job->dnssec && had->keys > 0))) {
		snprintf(job->ixfr_why, sizeof(job->ixfr_why), "the zone is signed");
		goto axfr;
	}
	if ((r = rr_set_apply(set, &delta, job->ixfr_why, sizeof(job->ixfr_why))) != 0) {
		if (r == -1 && set->over == RR_OVER_STOP)
			goto stop;
		goto axfr;
	}
	rr_set_free(&delta);
	return 0;
stop:
	job->status = XFR_ABORTED;
	snprintf(job->err, sizeof(job->err), "shutting down");
	rr_set_free(&delta);
	db_snap_free(snap);
	return -1;
axfr:
	job->how = XFR_BY_FALLBACK;
	job->err[0] = '\0';
	rr_set_free(&delta);
	db_snap_free(snap);
	return 1;
dbfail:
	job->status = XFR_DBFAILED;
	rr_set_free(&delta);
	db_snap_free(snap);
	return -1;
}

/* Fetch and convert; true when the zone waits in g to be written. */
static bool
run_job(struct db *db, struct xfr_job *job, struct group *g)
{
	struct pending	*p = &g->p[g->n];
	struct rr_had	 had;
	bool		 had_read = false;
	int		 r = 1;

	p->start = util_now_ms();
	job->deadline = p->start + job->lim.total_ms;
	rr_set_init(&p->set, job->zone);
	memset(&p->snap, 0, sizeof(p->snap));
	if (job->ixfr && (r = ixfr_job(db, job, &p->set, &p->snap, &had, &had_read)) == -1)
		goto out;
	if (r == 1) {			/* the whole zone */
		rr_set_free(&p->set);
		rr_set_init(&p->set, job->zone);
		r = xfr_fetch(job, &p->set, NULL, &stopping);
		if (r != 0) {
			job->status = fetch_status(r);
			goto out;
		}
	}
	if (job->have_serial && zone_serial_cmp(job->old_serial, job->serial) != -1) {
		job->status = XFR_NOTNEWER;
		snprintf(job->err, sizeof(job->err),
		    "transfer has serial %u, not newer than our %u", job->serial,
		    job->old_serial);
		goto out;
	}
	if (job->dnssec && !had_read && db_read_dnssec(db, job->domain_id, &had, job->err,
	    sizeof(job->err)) == -1) {
		job->status = XFR_DBFAILED;
		goto out;
	}
	if (rr_set_finish(&p->set, job->dnssec ? &had : NULL, job->dnssec, &p->meta,
	    job->err, sizeof(job->err)) == -1) {
		job->status = p->set.over == RR_OVER_STOP ? XFR_ABORTED : XFR_FAILED;
		job->limit = p->set.over != RR_OVER_NONE;
		goto out;
	}
	job->rows = p->set.n;
	job->ents_dropped = p->set.ents_dropped;
	p->job = job;
	if (g->n++ == 0)
		g->since = util_now_ms();
	g->rows += p->set.n * (job->have_serial ? GROUP_STORED : 1);
	g->mem += p->set.mem;
	chan_put(done, &job->fetched.node);
	return true;
out:
	job->ms = util_now_ms() - p->start;
	rr_set_free(&p->set);
	db_snap_free(&p->snap);
	return false;
}

/*
 * pdns's caches: after a group is written, one "purge a$ b$ ...\n" on
 * pdns's control socket for its zones (what pdns_control purge does: a
 * line on a Unix stream socket, the answer until EOF; pdns takes many
 * names a line), when pdns.control-socket is set.  The connection is
 * non-blocking and the whole exchange has PURGE_MS.  pdns splits the line
 * at spaces and reads a trailing '$' as "and everything below": a name
 * with a space, a '$' or a byte outside printable ASCII is not sent (a
 * domain "victim.example com" would purge all of com); it is logged and
 * pdns serves its new rows when its cache entries expire.  After
 * PURGE_BREAK failures in a row purges pause, PURGE_PAUSE_MS doubling to
 * PURGE_PAUSE_MAX_MS, so a pdns that hangs costs a worker a second now
 * and then, not at every write.
 */
#define PURGE_MS		1000
#define PURGE_BREAK		3
#define PURGE_PAUSE_MS		30000
#define PURGE_PAUSE_MAX_MS	600000
#define PURGE_ZONES		64		/* zones a line */
#define PURGE_LINE		(PURGE_ZONES * 1100 + 16)

static struct {
	pthread_mutex_t	 mtx;
	char		 path[108];
	int		 fails;		/* in a row */
	int64_t		 pause_until, pause_ms;
	unsigned long	 skipped;	/* purges not tried during the pause */
	int64_t		 errlog;	/* ms of the last warning */
} pg = { .mtx = PTHREAD_MUTEX_INITIALIZER };

void
xfr_set_purge(const char *path)
{
	pthread_mutex_lock(&pg.mtx);
	util_strlcpy(pg.path, path != NULL ? path : "", sizeof(pg.path));
	pg.fails = 0;
	pg.pause_until = 0;
	pthread_mutex_unlock(&pg.mtx);
}

bool
xfr_purge_name_ok(const char *zone)
{
	if (*zone == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)zone; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '$')
			return false;
	return true;
}

/* One exchange on the control socket within ms; NULL or what failed. */
static const char *
purge_send(const char *path, const char *line, size_t n, char *reply, size_t rlen,
    int *eno, int64_t ms)
{
	struct sockaddr_un	 sun;
	int64_t			 deadline = util_now_ms() + ms;
	size_t			 sent = 0, got = 0;
	const char		*why = NULL;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	*eno = 0;
	reply[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		*eno = errno;
		return "socket";
	}
	/* a Unix socket connects at once or not at all (EAGAIN: backlog full) */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		*eno = errno;
		close(fd);
		return "connect";
	}
	while (why == NULL) {
		int64_t		 left = deadline - util_now_ms();
		struct pollfd	 pfd = { fd, sent < n ? POLLOUT : POLLIN, 0 };
		ssize_t		 k;

		if (left <= 0) {
			why = sent < n ? "send" : "no answer";
			*eno = ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (sent < n) {
			if ((k = send(fd, line + sent, n - sent, MSG_NOSIGNAL)) > 0)
				sent += (size_t)k;
			else if (k == -1 && errno != EAGAIN && errno != EINTR) {
				*eno = errno;
				why = "send";
			}
			continue;
		}
		k = recv(fd, reply + got, rlen - 1 - got, 0);
		if (k == 0)
			break;		/* the answer is complete */
		if (k > 0) {
			got += (size_t)k;
			reply[got] = '\0';
			if (got == rlen - 1)
				break;	/* enough to log */
		} else if (errno != EAGAIN && errno != EINTR) {
			*eno = errno;
			why = "no answer";
		}
	}
	close(fd);
	reply[strcspn(reply, "\n")] = '\0';
	return why;
}

/*
 * pdns's zone cache (zone-cache-refresh-interval) learns of a zone
 * autoprimary made only at its next refresh: "rediscover" refreshes it at
 * once, as pdns's own autosecondary adds the zone.  It lists every zone, so
 * one runs at a time, and one more after it for zones written meanwhile.
 */
#define REDISCOVER_MS	10000

static void
rediscover(const char *path, const char *zone)
{
	static bool	 running, again;
	char		 reply[128];
	const char	*why;
	int		 eno;

	pthread_mutex_lock(&pg.mtx);
	if (running) {
		again = true;
		pthread_mutex_unlock(&pg.mtx);
		return;
	}
	running = true;
	do {
		again = false;
		pthread_mutex_unlock(&pg.mtx);
		why = purge_send(path, "rediscover\n", 11, reply, sizeof(reply), &eno,
		    REDISCOVER_MS);
		if (why != NULL)
			log_warnx("zone %s: telling pdns to rediscover its zones through %s "
			    "failed (%s: %s); pdns serves the zone after its next zone cache "
			    "refresh", zone, path, why, strerror(eno));
		else
			log_info("zone %s: pdns rediscovered its zones (%s)", zone, reply);
		pthread_mutex_lock(&pg.mtx);
	} while (again);
	running = false;
	pthread_mutex_unlock(&pg.mtx);
}

/* Purge the zones from..to-1 of a group that were written (XFR_OK). */
static void
purge_line(const char *path, struct group *g, size_t from, size_t to)
{
	char		 reply[64], *line = NULL, first[300] = "";
	size_t		 n = 0, count = 0;
	const char	*why;
	int64_t		 now = util_now_ms();
	int		 eno;

	for (size_t i = from; i < to; i++) {
		struct xfr_job *job = g->p[i].job;
		if (job->status != XFR_OK)
			continue;
		if (!xfr_purge_name_ok(job->zone)) {
			char vis[300];
			log_vis(vis, sizeof(vis), job->zone);
			log_warnx("zone %s: not purged from pdns's cache: its name has a space, "
			    "a '$' or a byte pdns's control socket cannot take; pdns serves the "
			    "new rows when its cache expires", vis);
			continue;
		}
		if (line == NULL) {
			line = xmalloc(PURGE_LINE);
			n = (size_t)snprintf(line, PURGE_LINE, "purge");
			util_strlcpy(first, job->zone, sizeof(first));
		}
		n += (size_t)snprintf(line + n, PURGE_LINE - n, " %s$", job->zone);
		count++;
	}
	if (line == NULL)
		return;
	line[n++] = '\n';
	pthread_mutex_lock(&pg.mtx);
	if (now < pg.pause_until) {
		pg.skipped += count;
		pthread_mutex_unlock(&pg.mtx);
		free(line);
		return;
	}
	pthread_mutex_unlock(&pg.mtx);

	why = purge_send(path, line, n, reply, sizeof(reply), &eno, PURGE_MS);
	free(line);
	pthread_mutex_lock(&pg.mtx);
	if (why == NULL) {
		if (pg.fails >= PURGE_BREAK)
			log_info("purging pdns's cache through %s works again (%lu purges "
			    "skipped meanwhile)", path, pg.skipped);
		pg.fails = 0;
		pg.pause_ms = 0;
		pg.skipped = 0;
		pthread_mutex_unlock(&pg.mtx);
		log_debug("zone %s%s: pdns cache purged (%s entries)", first,
		    count > 1 ? " and the rest of its group" : "", reply);
		return;
	}
	if (++pg.fails >= PURGE_BREAK) {
		pg.pause_ms = pg.pause_ms == 0 ? PURGE_PAUSE_MS :
		    pg.pause_ms * 2 > PURGE_PAUSE_MAX_MS ? PURGE_PAUSE_MAX_MS : pg.pause_ms * 2;
		pg.pause_until = now + pg.pause_ms;
		log_warnx("zone %s: purging pdns's cache through %s failed (%s: %s), %d times "
		    "in a row: no purges for %" PRId64 " s; pdns serves new rows when its cache "
		    "expires", first, path, why, strerror(eno), pg.fails, pg.pause_ms / 1000);
	} else if (now - pg.errlog >= 60000 || pg.errlog == 0) {
		pg.errlog = now;
		log_warnx("zone %s: purging pdns's cache through %s failed (%s: %s); pdns "
		    "serves the new rows when its cache expires", first, path, why,
		    strerror(eno));
	}
	pthread_mutex_unlock(&pg.mtx);
}

/*
 * Purge the zones of a group that were written, PURGE_ZONES a line: a
 * line stays under PURGE_LINE bytes whatever the group's size (pdns drops
 * a line that fills its 1,024,000-byte buffer).
 */
static void
purge_group(struct group *g)
{
	char	 path[108];

	pthread_mutex_lock(&pg.mtx);
	util_strlcpy(path, pg.path, sizeof(path));
	pthread_mutex_unlock(&pg.mtx);
	if (path[0] == '\0')
		return;
	for (size_t i = 0; i < g->n; i++)
		if (g->p[i].job->status == XFR_OK && g->p[i].job->rediscover) {
			rediscover(path, g->p[i].job->zone);
			break;
		}
	for (size_t i = 0; i < g->n; i += PURGE_ZONES)
		purge_line(path, g, i, i + PURGE_ZONES < g->n ? i + PURGE_ZONES : g->n);
}

static void
group_write(struct db *db, struct group *g)
{
	struct db_write	 w[GROUP_ZONES];
	size_t		 k = 0, at[GROUP_ZONES];
	uint64_t	 epoch = ha_epoch();
	int64_t		 start = util_now_ms(), commit_ms;

	/*
	 * With ha, a transfer begun under another lease (an earlier tenure of
	 * ours: another node may have written newer data since) is not
	 * written; the group is fenced under the lease of now.
	 */
	for (size_t i = 0; i < g->n; i++) {
		struct xfr_job *job = g->p[i].job;

		if (ha_on() && job->epoch != epoch) {
			job->status = XFR_DBFAILED;
			snprintf(job->err, sizeof(job->err), "not written: begun under the "
			    "lease's epoch %" PRIu64 ", which this node no longer holds (ha)",
			    job->epoch);
			continue;
		}
		at[k] = i;
		w[k++] = (struct db_write){ job->domain_id, &g->p[i].set, &g->p[i].meta,
		    job->how == XFR_BY_IXFR ? &g->p[i].snap : NULL, DB_OK, job->err,
		    sizeof(job->err), 0 };
	}
	db_set_epoch(db, epoch);
	if (k > 0)
		db_write_zones(db, w, k, time(NULL), &stopping);
	commit_ms = util_now_ms() - start;
	for (size_t j = 0; j < k; j++) {
		struct xfr_job *job = g->p[at[j]].job;
		job->commit_ms = commit_ms;
		job->status = w[j].rc == DB_OK ? XFR_OK : w[j].rc == DB_GONE ? XFR_GONE :
		    atomic_load(&stopping) ? XFR_ABORTED : XFR_DBFAILED;
		job->rows_kept = w[j].rc == DB_OK ? job->rows - w[j].written : 0;
	}
	for (size_t i = 0; i < g->n; i++) {
		g->p[i].job->ms = util_now_ms() - g->p[i].start;
		rr_set_free(&g->p[i].set);
		db_snap_free(&g->p[i].snap);
	}
	purge_group(g);		/* before the jobs go back: the loop frees them */
	for (size_t i = 0; i < g->n; i++)
		chan_put(done, &g->p[i].job->done.node);
	g->n = g->rows = g->mem = 0;
}

static void *
worker_main(void *arg)
{
	struct db	*db = db_new(&dbp);
	struct group	*g = xcalloc(1, sizeof(*g));
	struct chan_node *n;

	db_set_slot(db, (int)(intptr_t)arg);	/* its fence row (ha) */
	for (;;) {
		struct xfr_job	*job;
		int		 wait = -1;

		if (g->n > 0) {		/* the group waits GROUP_MS at most, in all */
			int64_t left = g->since + GROUP_MS - util_now_ms();
			wait = left <= 0 ? 0 : left < GROUP_LINGER_MS ? (int)left : GROUP_LINGER_MS;
		} else if (keep_sweep(false) > 0)
			wait = KEEP_MS;	/* then close the kept connections */
		if ((n = chan_get_timed(jobs, wait)) == NULL) {
			if (g->n == 0 && wait == KEEP_MS) {
				keep_sweep(true);	/* idle: or the chan is closed */
				continue;
			}
			if (g->n == 0)
				break;		/* closed and drained */
			group_write(db, g);	/* nothing more came, or time is up */
			continue;
		}
		job = (struct xfr_job *)n;
		if (stopping) {
			job->status = XFR_ABORTED;
			snprintf(job->err, sizeof(job->err), "shutting down");
			chan_put(done, &job->done.node);
		} else if (!run_job(db, job, g))
			chan_put(done, &job->done.node);
		/* failed jobs count too: a stream of them must not hold the group */
		if (g->n > 0 && (g->n == GROUP_ZONES || g->rows >= GROUP_ROWS ||
		    g->mem >= GROUP_MEM || util_now_ms() - g->since >= GROUP_MS))
			group_write(db, g);
	}
	free(g);
	db_free(db);
	return NULL;
}

void
xfr_start(int n, const struct db_params *p)
{
	jobs = chan_new(false);
	done = chan_new(true);
	dbp = *p;	/* shallow: the caller keeps p alive until xfr_stop */
	nworkers = n;
	workers = xcalloc((size_t)n, sizeof(*workers));
	for (int i = 0; i < n; i++)
		if ((errno = pthread_create(&workers[i], NULL, worker_main,
		    (void *)(intptr_t)i)) != 0)
			fatal("pthread_create");
}

int
xfr_fd(void)
{
	return chan_fd(done);
}

void
xfr_submit(struct xfr_job *job)
{
	job->fetched.fetched = true;
	chan_put(jobs, &job->done.node);
}

struct xfr_job *
xfr_done(bool *fetched)
{
	struct chan_node	*n;

	if ((n = chan_get(done, false)) == NULL)
		return NULL;
	*fetched = ((struct xfr_node *)n)->fetched;
	if (*fetched)
		return (struct xfr_job *)((char *)n - offsetof(struct xfr_job, fetched));
	return (struct xfr_job *)n;
}

void
xfr_abort(void)
{
	atomic_store(&stopping, true);
}

void
xfr_stop(void)
{
	if (workers == NULL)
		return;
	stopping = true;
	chan_close(jobs);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	free(workers);
	workers = NULL;
	keep_sweep(true);
}

/*
 * The memory one conversion may use: transfer.max-memory, or twice
 * max-bytes (and 64 MiB at least) when it is 0.  The rows of a zone take
 * about twice its wire size (binary TXT four times, deep names interned
 * once), the write's comparison as much again for a zone already stored.
 */
size_t
xfr_max_mem(const struct conf *c)
{
	size_t	 m = (size_t)c->xfr_max_bytes * 2;

	if (c->xfr_max_mem > 0)
		return (size_t)c->xfr_max_mem;
	return m < (size_t)64 << 20 ? (size_t)64 << 20 : m;
}

struct xfr_job *
xfr_job_new(const struct conf *c, uint32_t id, const char *zone,
    const struct master_addr *ma, bool have_serial, uint32_t serial,
    const struct keys_entry *ke, void *arg)
{
	struct xfr_job	*job = xcalloc(1, sizeof(*job));

	job->domain_id = id;
	job->epoch = ha_epoch();
	job->zone = xstrdup(zone);
	job->ma = *ma;
	job->have_serial = have_serial;
	job->old_serial = serial;
	job->lim.idle_ms = c->xfr_idle_s * 1000;
	job->lim.total_ms = c->xfr_total_s * 1000;
	job->lim.max_records = c->xfr_max_records;
	job->lim.max_bytes = c->xfr_max_bytes;
	job->lim.max_mem = xfr_max_mem(c);
	job->lim.max_iterations = c->xfr_max_iterations;
	job->lim.min_rate = c->xfr_min_rate;
	job->lim.grace_ms = c->xfr_rate_grace_s * 1000;
	job->dnssec = c->dnssec != 0;
	if (ke != NULL && !ke->bad && ke->has_key) {
		job->tsig = true;
		job->key = ke->key;
	}
	if (ke != NULL && !ke->bad && ke->has_src) {
		job->has_src = true;
		job->src = ke->src;
	}
	job->arg = arg;
	return job;
}

void
xfr_job_free(struct xfr_job *job)
{
	if (job == NULL)
		return;
	free(job->zone);
	free(job->udp);
	free(job);
}
