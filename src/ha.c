/*
 * ha: two name servers, one writer.  With ha.node set, a thread of its own
 * (its own MySQL connection, never the loop) holds or waits for the one
 * lease in refresher_lease:
 *
 *  - waiting, it tries to take the lease every second: a free lease (a
 *    clean stop released it) or an expired one (the holder died or hangs)
 *    is taken with a new epoch, and the fence rows move to that epoch in
 *    the same transaction (db_lease_acquire);
 *  - holding, it renews every ha.renew seconds.  A renew that finds the
 *    lease gone (another node took it) steps down at once; one that cannot
 *    reach the database steps down once no renew succeeded for
 *    ha.step-down seconds on the local monotonic clock, before the lease
 *    (ha.lease, on the database's clock) can pass to the other node;
 *  - a writer whose fence did not hold (ha_lost) steps down at once.
 *
 * Stepping down clears the epoch first, so the next fence fails at once,
 * then tells the loop (role changes go through an eventfd, like every
 * other thread's results).  A paused holder cannot step down, but cannot
 * write either: the new holder moved its fence rows.  Stopping releases
 * the lease, after the last write, so a planned stop fails over at once.
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "ha.h"
#include "log.h"
#include "util.h"

#define WAIT_POLL_MS	1000		/* a waiting node tries this often */

static struct {
	atomic_bool		 on;		/* set before any write can look */
	_Atomic uint64_t	 epoch;		/* ours while we hold the lease, else 0 */
	pthread_t		 thread;
	bool			 running;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	bool			 stop, lost;	/* under mtx */
	char			 lost_why[256];
	struct db_params	 dbp;
	char			 node[64], address[256];
	char			 note[256];	/* the topology warning last logged */
	int			 lease_s, renew_s, stepdown_s, nslots;
	int			 efd;
	struct event		*ev;
	ha_role_cb		*cb;
	bool			 loop_leader;	/* what the loop was told */
	struct ha_info		 info;		/* under mtx */
} H = { .mtx = PTHREAD_MUTEX_INITIALIZER, .efd = -1 };

bool
ha_on(void)
{
	return atomic_load(&H.on);
}

uint64_t
ha_epoch(void)
{
	return atomic_load(&H.epoch);
}

void
ha_lost(uint64_t epoch, const char *why)
{
	uint64_t	 e = epoch;

	/* only the epoch that failed: a newer lease of ours stays */
	if (!atomic_compare_exchange_strong(&H.epoch, &e, 0))
		return;
	pthread_mutex_lock(&H.mtx);
	H.lost = true;
	util_strlcpy(H.lost_why, why, sizeof(H.lost_why));
	pthread_cond_signal(&H.cond);
	pthread_mutex_unlock(&H.mtx);
}

static void
tell_loop(void)
{
	uint64_t	 one = 1;

	while (write(H.efd, &one, sizeof(one)) == -1 && errno == EINTR)
		;		/* EAGAIN: the counter is set already */
}

static void
set_role(bool leader, uint64_t epoch, const char *holder, const char *err)
{
	pthread_mutex_lock(&H.mtx);
	if (H.info.leader != leader) {
		H.info.since = (int64_t)time(NULL);
		H.info.takeovers += leader;
	}
	H.info.leader = leader;
	H.info.epoch = epoch;
	if (holder != NULL)
		util_strlcpy(H.info.holder, holder, sizeof(H.info.holder));
	util_strlcpy(H.info.err, err != NULL ? err : "", sizeof(H.info.err));
	pthread_mutex_unlock(&H.mtx);
	tell_loop();
}

static void
step_down(const char *why)
{
	atomic_store(&H.epoch, 0);	/* first: the next fence fails */
	log_warnx("ha: node %s steps down: %s; no queries, transfers or writes until it "
	    "holds the lease again", H.node, why);
	set_role(false, 0, "", why);
}

/* Wait ms, or less when stopped or a writer lost the lease; true: stop. */
static bool
nap(int64_t ms)
{
	struct timespec	 ts = util_deadline(ms);
	bool		 stop;

	pthread_mutex_lock(&H.mtx);
	while (!H.stop && !H.lost)
		if (pthread_cond_timedwait(&H.cond, &H.mtx, &ts) == ETIMEDOUT)
			break;
	stop = H.stop;
	pthread_mutex_unlock(&H.mtx);
	return stop;
}

/*
 * Take a free or expired lease, from a server where that is safe: 1 with
 * *epoch set, 0 another node was faster, -1 with err (a writable
 * asynchronous replica is refused here, every time, not only at start).
 */
static int
try_acquire(struct db *db, uint64_t *epoch, char *err, size_t errlen)
{
	char	 note[256];
	int	 r;

	*epoch = 0;
	if ((r = db_topology(db, err, errlen, note, sizeof(note))) != 0)
		return -1;
	if (note[0] != '\0' && strcmp(note, H.note) != 0) {
		log_warnx("ha: node %s: %s", H.node, note);
		util_strlcpy(H.note, note, sizeof(H.note));
	}
	r = db_lease_acquire(db, H.node, H.address, H.lease_s, H.nslots, epoch, err, errlen);
	if (r != 1)
		*epoch = 0;
	return r;
}

static void *
ha_main(void *arg)
{
	struct db	*db = db_new(&H.dbp);
	int64_t		 last_ok = 0;
	uint64_t	 epoch = 0;
	char		 err[256], holder[64] = "", seen[64] = "-", why[256];
	int64_t		 warned = 0;

	(void)arg;
	for (;;) {
		int64_t	 now = util_now_ms(), wait;
		bool	 lost;
		int	 r;

		pthread_mutex_lock(&H.mtx);
		lost = H.lost;
		H.lost = false;
		util_strlcpy(why, H.lost_why, sizeof(why));
		pthread_mutex_unlock(&H.mtx);
		if (lost && epoch != 0) {
			epoch = 0;
			step_down(why);
		}
		err[0] = '\0';
		if (epoch != 0) {
			r = db_lease_renew(db, H.node, epoch, H.lease_s, err, sizeof(err));
			if (r == 1)
				last_ok = now;
			else if (r == 0) {
				epoch = 0;
				step_down("the lease is no longer ours (another node took it)");
			} else if (now - last_ok >= (int64_t)H.stepdown_s * 1000) {
				epoch = 0;
				snprintf(why, sizeof(why), "no renew for %d s (%s)",
				    H.stepdown_s, err);
				step_down(why);
			} else
				log_warnx("ha: renewing the lease failed (%s); stepping down in "
				    "%" PRId64 " s unless a renew succeeds", err,
				    ((int64_t)H.stepdown_s * 1000 - (now - last_ok) + 999) / 1000);
		} else {
			/*
			 * Waiting: one read a second.  Only a lease that looks
			 * free or expired is tried, and only from a server
			 * where holding it is safe.
			 */
			r = db_lease_read(db, holder, sizeof(holder), err, sizeof(err));
			if (r == 1 && holder[0] == '\0')
				r = try_acquire(db, &epoch, err, sizeof(err));
			if (r == 1 && epoch != 0) {
				last_ok = now;
				warned = 0;
				util_strlcpy(seen, H.node, sizeof(seen));
				atomic_store(&H.epoch, epoch);
				log_info("ha: node %s holds the lease (epoch %" PRIu64 "): "
				    "working", H.node, epoch);
				set_role(true, epoch, H.node, NULL);
			} else if (r == -1) {
				if (warned == 0 || now - warned >= 60000) {
					log_err("ha: node %s cannot take the lease: %s; nothing "
					    "is refreshed from this node until it can", H.node,
					    err);
					warned = now;
				}
				seen[0] = '\0';
				set_role(false, 0, NULL, err);
			} else if (r == 1 && strcmp(holder, seen) != 0) {
				if (strcmp(holder, H.node) == 0)
					log_info("ha: node %s waits for the lease it held before "
					    "to expire", H.node);
				else
					log_info("ha: node %s waits: the lease is held by %s",
					    H.node, holder);
				util_strlcpy(seen, holder, sizeof(seen));
				warned = 0;
				set_role(false, 0, holder, NULL);
			}
		}
		wait = epoch != 0 ? (int64_t)H.renew_s * 1000 : WAIT_POLL_MS;
		if (nap(wait))
			break;
	}
	if (epoch != 0 && atomic_load(&H.epoch) == epoch) {
		atomic_store(&H.epoch, 0);
		if (db_lease_release(db, H.node, epoch, err, sizeof(err)) == 1)
			log_info("ha: node %s released the lease (epoch %" PRIu64 "): the "
			    "other node takes over now", H.node, epoch);
		else
			log_warnx("ha: releasing the lease failed (%s); the other node takes "
			    "over when it expires", err[0] ? err : "not ours any more");
	}
	db_free(db);
	return NULL;
}

static void
role_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	 n;
	bool		 leader;

	(void)what;
	(void)arg;
	while (read(fd, &n, sizeof(n)) == -1 && errno == EINTR)
		;
	leader = atomic_load(&H.epoch) != 0;
	if (leader == H.loop_leader)
		return;
	H.loop_leader = leader;
	H.cb(leader);
}

void
ha_start(struct event_base *base, const struct conf *c, const struct db_params *p,
    ha_role_cb *cb)
{
	char	 host[128] = "?";

	if (c->ha_node[0] == '\0')
		return;
	atomic_store(&H.on, true);
	H.dbp = *p;		/* shallow: the caller keeps p alive until ha_stop */
	util_strlcpy(H.node, c->ha_node, sizeof(H.node));
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(H.address, sizeof(H.address), "%s pid %ld", host, (long)getpid());
	H.lease_s = c->ha_lease_s;
	H.renew_s = c->ha_renew_s;
	H.stepdown_s = c->ha_stepdown_s;
	H.nslots = c->workers + 1;	/* the workers, then the db thread */
	H.cb = cb;
	H.info.on = true;
	util_cond_init(&H.cond);		/* nap() waits on the monotonic clock */
	if ((H.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	H.ev = event_new(base, H.efd, EV_READ | EV_PERSIST, role_cb, NULL);
	event_add(H.ev, NULL);
	log_info("ha: node %s: lease %d s, renewed every %d s, given up after %d s "
	    "without a renew; waiting for the lease", H.node, H.lease_s, H.renew_s,
	    H.stepdown_s);
	if ((errno = pthread_create(&H.thread, NULL, ha_main, NULL)) != 0)
		fatal("pthread_create");
	H.running = true;
}

void
ha_stop(void)
{
	if (!H.running)
		return;
	pthread_mutex_lock(&H.mtx);
	H.stop = true;
	pthread_cond_signal(&H.cond);
	pthread_mutex_unlock(&H.mtx);
	pthread_join(H.thread, NULL);
	H.running = false;
	if (H.ev != NULL)
		event_free(H.ev);
	H.ev = NULL;
	if (H.efd != -1)
		close(H.efd);
	H.efd = -1;
}

void
ha_info(struct ha_info *i)
{
	pthread_mutex_lock(&H.mtx);
	*i = H.info;
	pthread_mutex_unlock(&H.mtx);
	i->on = atomic_load(&H.on);
	i->leader = atomic_load(&H.epoch) != 0;
}
