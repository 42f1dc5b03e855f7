/*
 * autoprimary: new SLAVE zones from the NOTIFYs of supermasters, as pdns
 * 4.7's autosecondary makes them (packethandler.cc trySuperMasterSynchronous,
 * gsqlbackend.cc superMasterBackend and createSlaveDomain), with what pdns
 * leaves out: one transaction, bounds, and a log line for each outcome.
 *
 * A NOTIFY for a zone we do not have, with notify.autosecondary on:
 *  1. refused at once (no query sent) when the sender is not in the
 *     supermasters table (its addresses are kept in memory, re-read with
 *     the domain list), unsigned when allow-unsigned-autoprimary is off, or
 *     signed with a key that is not in tsigkeys or does not verify;
 *  2. dropped (no answer: the master sends it again) while the same zone is
 *     already being checked, or over autoprimary-in-flight in all or
 *     autoprimary-per-source from its sender; NOERROR once it is made and
 *     only waits to be loaded;
 *  3. otherwise SOA and NS are asked of the sender on port 53 (as pdns does,
 *     unsigned); no answer or no NS: SERVFAIL;
 *  4. the db thread matches the NS names against supermasters and inserts
 *     the domain (db_autoprimary): no match, REFUSED; created or already
 *     there, NOERROR; a database error, SERVFAIL.
 * The answer goes out when the outcome is known, signed for a signed
 * NOTIFY.  A zone created is loaded with the next domain list read, which
 * is asked for at once, and checked in the NOTIFY lane; its first transfer
 * tells pdns to rediscover its zones (xfr.c), as pdns adds the zones it
 * creates to its zone cache.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoprimary.h"
#include "conf.h"
#include "dbthread.h"
#include "domains.h"
#include "log.h"
#include "master.h"
#include "sched.h"
#include "soa.h"
#include "stats.h"
#include "tsig.h"
#include "util.h"
#include "zone.h"

#define AP_KEEP_MS	60000		/* a created zone waits this long to be loaded */
#define AP_LOG_MS	60000

enum ap_state { AP_QUERYING, AP_DB, AP_LOADING };

struct ap_job {
	TAILQ_ENTRY(ap_job)	 link;
	enum ap_state		 state;
	char			 name[256];	/* lowercase, no trailing dot */
	struct master_addr	 from;		/* the NOTIFY's source, its port */
	struct master_addr	 to;		/* where the answer goes (a proxy) */
	char			 who[80];	/* from, for logs */
	int			 fd;		/* the listener it came on */
	uint8_t			*msg;		/* the NOTIFY, answered at the end */
	size_t			 msglen;
	struct notify_sig	 sig;		/* key points into tkey */
	struct tsig_key		 tkey;
	char			 keyname[256];	/* "" unsigned */
	struct soa_query	*soa, *nsq;
	bool			 soa_done, ns_done;
	struct db_ap		*ap;		/* filled while querying, then the db's */
	char			 err[512];	/* why it fails, "" while it does not */
	char			 ns_err[400];	/* the NS query's, said when SOA's is not */
	bool			 created;
	int64_t			 until;		/* AP_LOADING: given up after */
};
TAILQ_HEAD(ap_jobs, ap_job);

struct ap_addr {
	int		 family;
	uint8_t		 a[16];
};

struct ap_key {
	char		 name[256];	/* lowercase, no trailing dot */
	struct tsig_key	 key;
	bool		 ok;
	char		 err[160];
};

static struct {
	struct event_base	*base;
	const struct conf	*conf;
	struct event		*timer;
	bool			 loaded, loading, stopping;
	struct ap_addr		*sm;		/* supermasters' addresses, sorted */
	size_t			 nsm;
	struct ap_key		*keys;		/* tsigkeys, sorted by name */
	size_t			 nkeys;
	struct ap_jobs		 jobs;
	int			 active;	/* jobs querying or in the db */
	struct log_rl		 rl_refused, rl_busy;
	uint64_t		 dropped;
} A = { .jobs = TAILQ_HEAD_INITIALIZER(A.jobs) };

static int
addr_cmp(const void *a, const void *b)
{
	const struct ap_addr	*x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, sizeof(x->a));
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ap_key *)a)->name, ((const struct ap_key *)b)->name);
}

/* A name as we compare it: lowercase, no trailing dot. */
static void
canon(char *dst, const char *src, size_t len)
{
	util_strlcpy(dst, src, len);
	zone_name_canon(dst);
}

static void
to_addr(const struct sockaddr *sa, struct ap_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = sa->sa_family;
	if (sa->sa_family == AF_INET6)
		memcpy(a->a, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, 16);
	else
		memcpy(a->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
}

static bool
is_supermaster(const struct sockaddr *sa)
{
	struct ap_addr	 k;

	to_addr(sa, &k);
	return A.nsm > 0 && bsearch(&k, A.sm, A.nsm, sizeof(*A.sm), addr_cmp) != NULL;
}

static void
request_load(void)
{
	struct dbreq	*r;

	if (A.loading || A.stopping)
		return;
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_AP_LOAD;
	A.loading = true;
	dbthread_submit(r);
}

static void
arm(void)
{
	struct timeval	 tv = { A.conf->domains_reload_s, 0 };

	if (A.timer != NULL && !A.stopping)
		evtimer_add(A.timer, &tv);
}

static void	job_free(struct ap_job *);

/* Every domains-reload: supermasters and tsigkeys again; created zones that
 * never showed up as SLAVE domains are let go. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_job	*j, *next;
	int64_t		 now = util_now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	for (j = TAILQ_FIRST(&A.jobs); j != NULL; j = next) {
		next = TAILQ_NEXT(j, link);
		if (j->state != AP_LOADING || now < j->until)
			continue;
		log_warnx("autoprimary: zone %s %s in domains but not loaded as a SLAVE "
		    "domain within %d s; left as it is", j->name,
		    j->created ? "created" : "already", AP_KEEP_MS / 1000);
		job_free(j);
	}
	if (!A.conf->autosecondary && TAILQ_EMPTY(&A.jobs))
		return;			/* turned off: nothing more to do */
	if (A.conf->autosecondary)
		request_load();
	arm();
}

void
autoprimary_init(struct event_base *base, const struct conf *c)
{
	A.base = base;
	A.conf = c;
	if (A.timer == NULL)
		A.timer = evtimer_new(base, timer_cb, NULL);
	if (c->autosecondary) {
		request_load();
		arm();
	}
}

void
autoprimary_set_conf(const struct conf *c)
{
	bool	 was = A.conf != NULL && A.conf->autosecondary;

	A.conf = c;
	if (c->autosecondary) {
		request_load();		/* a SIGHUP re-reads the supermasters too */
		arm();
	} else if (was)
		log_info("autoprimary: notify.autosecondary is off now");
}

static void
free_sets(void)
{
	free(A.sm);
	A.sm = NULL;
	A.nsm = 0;
	if (A.keys != NULL)	/* the secrets */
		explicit_bzero(A.keys, A.nkeys * sizeof(*A.keys));
	free(A.keys);
	A.keys = NULL;
	A.nkeys = 0;
}

static void
loaded(struct dbreq *r)
{
	size_t	 bad = 0, n = 0, was_sm, was_keys;

	A.loading = false;
	if (r->rc != 0) {
		log_warnx("autoprimary: cannot read supermasters and tsigkeys (%s); %s", r->err,
		    A.loaded ? "keeping what was read before" : "unknown zones are not taken "
		    "until they are read");
		return;
	}
	was_sm = A.nsm;
	was_keys = A.nkeys;
	free_sets();
	A.sm = xcalloc(r->nips + 1, sizeof(*A.sm));
	for (size_t i = 0; i < r->nips; i++) {
		struct ap_addr *a = &A.sm[n];
		memset(a, 0, sizeof(*a));
		if (inet_pton(AF_INET, r->ips[i], a->a) == 1)
			a->family = AF_INET;
		else if (inet_pton(AF_INET6, r->ips[i], a->a) == 1)
			a->family = AF_INET6;
		else {
			bad++;
			continue;
		}
		n++;
	}
	A.nsm = n;
	qsort(A.sm, A.nsm, sizeof(*A.sm), addr_cmp);
	A.keys = xcalloc(r->ntsig + 1, sizeof(*A.keys));
	for (size_t i = 0; i < r->ntsig; i++) {
		struct ap_key *k = &A.keys[i];
		canon(k->name, r->tsig[i].keyname, sizeof(k->name));
		k->ok = tsig_key_init(&k->key, r->tsig[i].keyname, r->tsig[i].algorithm,
		    r->tsig[i].secret, k->err, sizeof(k->err)) == 0;
	}
	A.nkeys = r->ntsig;
	qsort(A.keys, A.nkeys, sizeof(*A.keys), key_cmp);
	if (!A.loaded || bad > 0 || A.nsm != was_sm || A.nkeys != was_keys)
		log_info("autoprimary: %zu supermaster addresses%s, %zu TSIG keys",
		    A.nsm, bad > 0 ? " (some rows are not addresses: skipped)" : "",
		    A.nkeys);
	else
		log_debug("autoprimary: supermasters and tsigkeys read again (%zu addresses, "
		    "%zu keys)", A.nsm, A.nkeys);
	A.loaded = true;
}

static const struct ap_key *
key_find(const char *name)
{
	struct ap_key	 k;

	canon(k.name, name, sizeof(k.name));
	return A.nkeys == 0 ? NULL : bsearch(&k, A.keys, A.nkeys, sizeof(*A.keys), key_cmp);
}

static void
job_free(struct ap_job *j)
{
	if (j->soa != NULL)
		soa_query_cancel(j->soa);
	if (j->nsq != NULL)
		soa_query_cancel(j->nsq);
	TAILQ_REMOVE(&A.jobs, j, link);
	free(j->msg);
	free(j->ap);
	explicit_bzero(&j->tkey, sizeof(j->tkey));
	free(j);
}

static void
refusal_log(const char *name, const char *who, const char *why)
{
	stats.notify_refused++;
	log_ratelimited(&A.rl_refused, util_now_ms(), AP_LOG_MS, "autoprimary: NOTIFY for %s "
	    "from %s refused: %s (%" PRIu64 " NOTIFYs refused in all)", name, who, why,
	    stats.notify_refused);
}

/* The answer, and the job's end unless the zone is still to be loaded. */
static void
finish(struct ap_job *j, enum notify_verdict v)
{
	if ((unsigned)v < NITEMS(stats.notify_by))
		stats.notify_by[v]++;
	A.active--;
	if (v == NOTIFY_AP_FAILED)	/* logged before the master hears it */
		log_warnx("autoprimary: zone %s from %s not created: %s (answered SERVFAIL)",
		    j->name, j->who, j->err);
	else if (v == NOTIFY_AP_REFUSED)
		refusal_log(j->name, j->who, j->err);
	notify_answer(j->fd, j->msg, j->msglen, v, &j->sig, (struct sockaddr *)&j->to.ss,
	    j->to.len);
	if (A.stopping || v == NOTIFY_AP_FAILED || v == NOTIFY_AP_REFUSED) {
		job_free(j);
		return;
	}
	j->state = AP_LOADING;
	j->until = util_now_ms() + AP_KEEP_MS;
	domains_request_new();
}

static void
queried(struct ap_job *j)
{
	struct dbreq	*r;

	if (!j->soa_done || !j->ns_done)
		return;
	if (j->err[0] == '\0' && j->ns_err[0] != '\0')
		util_strlcpy(j->err, j->ns_err, sizeof(j->err));
	if (j->err[0] != '\0') {
		finish(j, NOTIFY_AP_FAILED);
		return;
	}
	j->state = AP_DB;
	r = xcalloc(1, sizeof(*r));
	r->type = DBREQ_AUTOPRIMARY;
	r->ap = j->ap;
	r->arg = j;
	j->ap = NULL;			/* the request's now; back with the answer */
	dbthread_submit(r);
}

static void
soa_answered(void *arg, const struct soa_result *res)
{
	struct ap_job	*j = arg;

	j->soa = NULL;
	j->soa_done = true;
	if (res->status != SOA_OK)
		snprintf(j->err, sizeof(j->err), "SOA query to %s:53: %s", j->ap->ip, res->err);
	queried(j);
}

static void
ns_answered(void *arg, const struct soa_result *res)
{
	struct ap_job	*j = arg;
	size_t		 used = 0;

	j->nsq = NULL;
	j->ns_done = true;
	if (res->status != SOA_OK)
		snprintf(j->ns_err, sizeof(j->ns_err), "NS query to %s:53: %s", j->ap->ip,
		    res->err);
	else {
		for (int i = 0; i < res->nns; i++) {
			size_t len = strlen(res->ns + used) + 1;
			memcpy(j->ap->ns + used, res->ns + used, len);
			used += len;
		}
		j->ap->nns = res->nns;
	}
	queried(j);
}

/*
 * A signed NOTIFY for an unknown zone: its key must be in tsigkeys and
 * verify.  The job keeps a copy of the key to sign its answer later; an
 * answer given now is signed with the table's, which outlives the call.
 */
static const struct ap_key *
verify(struct ap_job *j, const char *keyname, char *why, size_t whylen)
{
	const struct ap_key	*k = key_find(keyname);
	struct tsig_verify	 tv;

	if (k == NULL || !k->ok) {
		snprintf(why, whylen, "signed with key %s, %s", keyname,
		    k == NULL ? "not in tsigkeys" : k->err);
		return NULL;
	}
	j->tkey = k->key;
	tsig_verify_init(&tv, &j->tkey, NULL, 0);
	if (tsig_verify_msg(&tv, j->msg, j->msglen, why, whylen) == -1)
		return NULL;
	j->sig.key = &j->tkey;
	j->sig.maclen = tv.prevlen;
	memcpy(j->sig.mac, tv.prev, tv.prevlen);
	util_strlcpy(j->keyname, keyname, sizeof(j->keyname));
	return k;
}

enum notify_verdict
autoprimary_notify(int fd, const uint8_t *msg, size_t n, const struct sockaddr *from,
    socklen_t flen, const struct sockaddr *to, socklen_t tolen, const char *name,
    const char *keyname, bool allowed, struct notify_sig *sig)
{
	struct ap_job		*j, *d;
	struct master_addr	 ns53;
	char			 why[200];
	int			 same = 0;

	if (A.stopping || A.conf == NULL || !A.conf->autosecondary)
		return NOTIFY_UNKNOWN;
	if (sched_standby())
		return NOTIFY_ACCEPT;	/* the leader makes it: its own NOTIFY */
	j = xcalloc(1, sizeof(*j));
	canon(j->name, name, sizeof(j->name));
	memcpy(&j->from.ss, from, flen);
	j->from.len = flen;
	memcpy(&j->to.ss, to, tolen);
	j->to.len = tolen;
	master_fmt(&j->from, j->who, sizeof(j->who));
	j->fd = fd;
	j->msg = xmalloc(n);
	memcpy(j->msg, msg, n);
	j->msglen = n;
	why[0] = '\0';
	if (keyname != NULL) {
		const struct ap_key *k = verify(j, keyname, why, sizeof(why));

		if (k == NULL) {
			refusal_log(j->name, j->who, why);
			free(j->msg);
			free(j);
			return NOTIFY_BADTSIG;
		}
		*sig = j->sig;		/* the caller answers a refusal signed ... */
		sig->key = &k->key;	/* ... with a key that outlives j */
	} else if (!A.conf->allow_unsigned_ap)
		snprintf(why, sizeof(why), "unsigned, and notify.allow-unsigned-autoprimary "
		    "is off");
	else if (!allowed)
		snprintf(why, sizeof(why), "unsigned, and not in notify.allow-notify-from");
	if (why[0] == '\0' && j->name[0] == '\0')
		snprintf(why, sizeof(why), "the root zone is not made by autoprimary");
	if (why[0] == '\0' && !A.loaded)
		snprintf(why, sizeof(why), "the supermasters table is not read yet");
	if (why[0] == '\0' && !is_supermaster(from))
		snprintf(why, sizeof(why), "its address is in no supermasters row");
	if (why[0] != '\0') {
		refusal_log(j->name, j->who, why);
		free(j->msg);
		free(j);
		return NOTIFY_AP_REFUSED;
	}
	TAILQ_FOREACH(d, &A.jobs, link) {
		if (strcmp(d->name, j->name) == 0)
			break;
		if (d->state != AP_LOADING && master_host_eq(&d->from, from, flen))
			same++;
	}
	if (d != NULL && d->state == AP_LOADING) {
		free(j->msg);		/* made already, being loaded: checked soon */
		free(j);
		return NOTIFY_ACCEPT;
	}
	if (d != NULL || A.active >= A.conf->ap_inflight || same >= A.conf->ap_per_source) {
		A.dropped++;
		if (d == NULL)
			log_ratelimited(&A.rl_busy, util_now_ms(), AP_LOG_MS, "autoprimary: "
			    "NOTIFY for %s from %s dropped: %s (%" PRIu64 " dropped in all); "
			    "the master sends it again", j->name, j->who,
			    same >= A.conf->ap_per_source ? "notify.autoprimary-per-source "
			    "checks from it under way" : "notify.autoprimary-in-flight checks "
			    "under way", A.dropped);
		free(j->msg);
		free(j);
		return NOTIFY_DROPPED;
	}
	j->ap = xcalloc(1, sizeof(*j->ap));
	util_strlcpy(j->ap->name, j->name, sizeof(j->ap->name));
	util_strlcpy(j->ap->keyname, j->keyname, sizeof(j->ap->keyname));
	{
		/* pdns: ComboAddress::toString(), the address without a port */
		const void *a = from->sa_family == AF_INET6 ?
		    (const void *)&((const struct sockaddr_in6 *)(const void *)from)->sin6_addr :
		    (const void *)&((const struct sockaddr_in *)(const void *)from)->sin_addr;
		inet_ntop(from->sa_family, a, j->ap->ip, sizeof(j->ap->ip));
	}
	ns53 = j->from;
	if (from->sa_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)&ns53.ss)->sin6_port = htons(53);
	else
		((struct sockaddr_in *)(void *)&ns53.ss)->sin_port = htons(53);
	TAILQ_INSERT_TAIL(&A.jobs, j, link);
	A.active++;
	j->state = AP_QUERYING;
	log_info("autoprimary: NOTIFY for unknown zone %s from supermaster %s%s: asking it "
	    "for SOA and NS", j->name, j->who, j->keyname[0] ? " (signed)" : "");
	j->soa = soa_query_start(A.base, j->name, &ns53, A.conf->soa_timeout_ms,
	    A.conf->soa_tries, NULL, NULL, soa_answered, j);
	if (j->soa == NULL) {
		snprintf(j->err, sizeof(j->err), "SOA query to %s:53: cannot send",
		    j->ap->ip);
		j->soa_done = true;
	}
	j->nsq = soa_ns_query_start(A.base, j->name, &ns53, A.conf->soa_timeout_ms,
	    A.conf->soa_tries, ns_answered, j);
	if (j->nsq == NULL) {
		snprintf(j->ns_err, sizeof(j->ns_err), "NS query to %s:53: cannot send",
		    j->ap->ip);
		j->ns_done = true;
	}
	if (j->soa_done && j->ns_done)
		queried(j);		/* both failed at once: answered now */
	return NOTIFY_DEFERRED;
}

static void
created(struct ap_job *j, struct dbreq *r)
{
	struct db_ap	*ap = r->ap;

	if (r->rc != 0) {
		snprintf(j->err, sizeof(j->err), "database: %s", r->err);
		finish(j, NOTIFY_AP_FAILED);
		return;
	}
	switch (ap->result) {
	case DB_AP_NOMATCH: {
		char	 list[300] = "";
		size_t	 used = 0, off = 0;
		for (int i = 0; i < ap->nns && used < sizeof(list) - 2; i++) {
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
			    i ? ", " : "", ap->ns + off);
			off += strlen(ap->ns + off) + 1;
		}
		snprintf(j->err, sizeof(j->err), "no supermasters row for %s with any of its "
		    "NS names (%s)", ap->ip, list);
		finish(j, NOTIFY_AP_REFUSED);
		return;
	}
	case DB_AP_EXISTS:
		log_info("autoprimary: zone %s from %s: a domain of that name is there "
		    "already", j->name, j->who);
		break;
	case DB_AP_CREATED:
		j->created = true;
		log_info("autoprimary: zone %s created (domain id %u) for supermaster %s: "
		    "nameserver %s, account '%s', masters %s%s%s", j->name, ap->id, j->who,
		    ap->nameserver, ap->account, ap->masters,
		    ap->keyname[0] ? ", AXFR-MASTER-TSIG " : "", ap->keyname);
		break;
	}
	finish(j, j->created ? NOTIFY_AP_CREATED : NOTIFY_ACCEPT);
}

void
autoprimary_done(struct dbreq *r)
{
	struct ap_job	*j = r->arg;

	if (r->type == DBREQ_AP_LOAD) {
		loaded(r);
		return;
	}
	created(j, r);
}

void
autoprimary_domains_loaded(void)
{
	struct ap_job	*j, *next;

	for (j = TAILQ_FIRST(&A.jobs); j != NULL; j = next) {
		struct zone	*z;
		int		 idx = -1;

		next = TAILQ_NEXT(j, link);
		if (j->state != AP_LOADING || (z = zone_by_name(j->name)) == NULL)
			continue;
		for (int i = 0; i < z->nmasters && idx == -1; i++)
			if (master_host_eq(&z->masters[i]->addr, (struct sockaddr *)&j->from.ss,
			    j->from.len))
				idx = i;
		if (j->created)
			z->ap_new = true;	/* its first transfer: pdns rediscovers */
		sched_notify(z, idx);
		job_free(j);
	}
}

bool
autoprimary_busy(void)
{
	struct ap_job	*j;

	TAILQ_FOREACH(j, &A.jobs, link)
		if (j->state == AP_DB)
			return true;
	return A.loading;
}

void
autoprimary_shutdown(void)
{
	struct ap_job	*j, *next;

	A.stopping = true;
	if (A.timer != NULL)
		evtimer_del(A.timer);
	for (j = TAILQ_FIRST(&A.jobs); j != NULL; j = next) {
		next = TAILQ_NEXT(j, link);
		if (j->state == AP_QUERYING) {
			A.active--;
			job_free(j);		/* no answer: the master sends it again */
		}
	}
}

void
autoprimary_stop(void)
{
	while (!TAILQ_EMPTY(&A.jobs)) {
		struct ap_job *j = TAILQ_FIRST(&A.jobs);
		job_free(j);
	}
	A.active = 0;
	if (A.timer != NULL)
		event_free(A.timer);
	A.timer = NULL;
	free_sets();
	A.loaded = false;
}

void
autoprimary_counts(size_t *active, size_t *supermasters, uint64_t *dropped)
{
	*active = (size_t)A.active;
	*supermasters = A.nsm;
	*dropped = A.dropped;
}
