/*
 * soa: SOA queries from the event loop.  Every attempt uses a fresh socket
 * (random source port from the kernel) connected to the master, so the
 * kernel drops datagrams from other addresses; we check the source again
 * anyway, then the reply itself as RFC 1035/secondary.md require.
 */
#include <sys/socket.h>
#include <ldns/ldns.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "dnswire.h"
#include "soa.h"
#include "tsig.h"
#include "util.h"

#define TCP_MAX		65535

struct soa_query {
	struct event_base	*base;
	struct master_addr	 ma;
	uint8_t			 zone[256];
	size_t			 zlen;
	char			*zname;
	int			 fd;
	struct event		*ev;		/* the socket, with what is left of the try */
	int64_t			 deadline;	/* the try's end: absolute, never moved */
	bool			*alive;		/* cleared when freed inside soa_event */
	bool			 rearmed;	/* a handler armed a new socket */
	int			 icmp;		/* an ICMP error seen (errno), 0: none */
	uint16_t		 id;
	int			 attempt, tries, timeout_ms;
	int64_t			 started;
	uint8_t			 q[1024];
	size_t			 qlen, qbase;	/* with and without the TSIG */
	struct tsig_key		*key;		/* NULL: unsigned */
	bool			 has_src;	/* AXFR-SOURCE */
	struct master_addr	 src;
	uint8_t			 mac[TSIG_MAC_MAX];
	size_t			 maclen;
	/* TCP fallback */
	bool			 tcp, connected;
	uint8_t			*tbuf;
	size_t			 tgot, tneed;
	soa_cb			*cb;
	void			*arg;
	uint16_t		 qtype;		/* SOA, or NS (autoprimary) */
	char			 nsbuf[2048];	/* an NS answer's names */
};

static bool
dname_eq(const ldns_rdf *a, const uint8_t *w, size_t wlen)
{
	const uint8_t	*d = ldns_rdf_data(a);

	if (ldns_rdf_get_type(a) != LDNS_RDF_TYPE_DNAME || ldns_rdf_size(a) != wlen)
		return false;
	for (size_t i = 0; i < wlen; i++) {
		uint8_t c = d[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != w[i])		/* w is lowercase; label lengths are < 'A' */
			return false;
	}
	return true;
}

/* The start of a reply to our question, as both checks want it. */
static enum soa_status
reply_head(const uint8_t *p, size_t n, uint16_t id, struct soa_result *r)
{
	char	 rb[16];

	memset(r, 0, sizeof(*r));
	if (n < DNS_HDR) {
		snprintf(r->err, sizeof(r->err), "reply too short (%zu bytes)", n);
		return SOA_IGNORE;
	}
	if ((uint16_t)(p[0] << 8 | p[1]) != id) {
		snprintf(r->err, sizeof(r->err), "reply with wrong ID");
		return SOA_IGNORE;
	}
	if (!(p[2] & 0x80)) {
		snprintf(r->err, sizeof(r->err), "message is not a reply (QR clear)");
		return SOA_IGNORE;
	}
	if (((p[2] >> 3) & 0x0f) != LDNS_PACKET_QUERY) {
		snprintf(r->err, sizeof(r->err), "reply opcode %u", (p[2] >> 3) & 0x0f);
		return SOA_BAD;
	}
	if ((p[3] & 0x0f) != LDNS_RCODE_NOERROR) {
		snprintf(r->err, sizeof(r->err), "master answered %s",
		    dnswire_rcode_name(p[3] & 0x0f, rb, sizeof(rb)));
		r->lame = (p[3] & 0x0f) == LDNS_RCODE_REFUSED ||
		    (p[3] & 0x0f) == LDNS_RCODE_NOTAUTH || (p[3] & 0x0f) == LDNS_RCODE_NXDOMAIN;
		return SOA_BAD;
	}
	if (p[2] & 0x02)
		return SOA_TRUNCATED;
	return SOA_OK;
}

enum soa_status
soa_check_reply(const uint8_t *p, size_t n, uint16_t id, const uint8_t *zw,
    size_t zlen, struct soa_result *r)
{
	ldns_pkt	*pkt = NULL;
	ldns_rr_list	*an;
	ldns_rr		*q, *soa = NULL;
	enum soa_status	 st;

	if ((st = reply_head(p, n, id, r)) != SOA_OK)
		return st;
	st = SOA_BAD;
	if (!(p[2] & 0x04)) {
		snprintf(r->err, sizeof(r->err), "reply not authoritative (AA clear)");
		return SOA_BAD;
	}
	if (!tsig_wire_ok(p, n) || ldns_wire2pkt(&pkt, p, n) != LDNS_STATUS_OK) {
		snprintf(r->err, sizeof(r->err), "malformed reply");
		return SOA_BAD;
	}
	if (ldns_pkt_qdcount(pkt) != 1 ||
	    (q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) == NULL ||
	    ldns_rr_get_type(q) != LDNS_RR_TYPE_SOA ||
	    ldns_rr_get_class(q) != LDNS_RR_CLASS_IN ||
	    !dname_eq(ldns_rr_owner(q), zw, zlen)) {
		snprintf(r->err, sizeof(r->err), "reply question differs from ours");
		goto out;
	}
	an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
			continue;
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !dname_eq(ldns_rr_owner(rr), zw, zlen)) {
			snprintf(r->err, sizeof(r->err), "answer SOA is not the zone's");
			goto out;
		}
		if (soa != NULL) {
			snprintf(r->err, sizeof(r->err), "several SOA records in answer");
			goto out;
		}
		soa = rr;
	}
	if (soa == NULL || ldns_rr_rd_count(soa) != 7) {
		snprintf(r->err, sizeof(r->err), "no SOA for the zone in the answer");
		goto out;
	}
	r->serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	r->refresh = ldns_rdf2native_int32(ldns_rr_rdf(soa, 3));
	r->retry = ldns_rdf2native_int32(ldns_rr_rdf(soa, 4));
	r->expire = ldns_rdf2native_int32(ldns_rr_rdf(soa, 5));
	st = SOA_OK;
out:
	ldns_pkt_free(pkt);
	return st;
}

enum soa_status
soa_check_ns_reply(const uint8_t *p, size_t n, uint16_t id, const uint8_t *zw,
    size_t zlen, struct soa_result *r, char *buf, size_t buflen)
{
	ldns_pkt	*pkt = NULL;
	ldns_rr		*q;
	enum soa_status	 st;
	size_t		 used = 0;
	static const ldns_pkt_section secs[] = { LDNS_SECTION_ANSWER,
	    LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL };

	if ((st = reply_head(p, n, id, r)) != SOA_OK)
		return st;
	if (!tsig_wire_ok(p, n) || ldns_wire2pkt(&pkt, p, n) != LDNS_STATUS_OK) {
		snprintf(r->err, sizeof(r->err), "malformed reply");
		return SOA_BAD;
	}
	st = SOA_BAD;
	if (ldns_pkt_qdcount(pkt) != 1 ||
	    (q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) == NULL ||
	    ldns_rr_get_type(q) != LDNS_RR_TYPE_NS ||
	    ldns_rr_get_class(q) != LDNS_RR_CLASS_IN ||
	    !dname_eq(ldns_rr_owner(q), zw, zlen)) {
		snprintf(r->err, sizeof(r->err), "reply question differs from ours");
		goto out;
	}
	for (size_t s = 0; s < NITEMS(secs); s++) {
		ldns_rr_list *l = ldns_pkt_get_section_clone(pkt, secs[s]);

		for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
			ldns_rr	*rr = ldns_rr_list_rr(l, i);
			char	*t;
			size_t	 len;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
			    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_rr_rd_count(rr) != 1 || r->nns == SOA_NS_MAX ||
			    (t = ldns_rdf2str(ldns_rr_rdf(rr, 0))) == NULL)
				continue;
			len = strlen(t);
			if (len > 1 && t[len - 1] == '.')
				t[--len] = '\0';
			if (used + len + 1 <= buflen) {
				memcpy(buf + used, t, len + 1);
				used += len + 1;
				r->nns++;
			}
			free(t);
		}
		ldns_rr_list_deep_free(l);
	}
	if (r->nns == 0) {
		snprintf(r->err, sizeof(r->err), "no NS records in the reply");
		goto out;
	}
	r->ns = buf;
	st = SOA_OK;
out:
	ldns_pkt_free(pkt);
	return st;
}

static void	soa_event(evutil_socket_t, short, void *);

static void
query_close(struct soa_query *sq)
{
	if (sq->ev != NULL) {
		event_free(sq->ev);
		sq->ev = NULL;
	}
	if (sq->fd != -1) {
		close(sq->fd);
		sq->fd = -1;
	}
}

static void
query_free(struct soa_query *sq)
{
	query_close(sq);
	if (sq->alive != NULL)
		*sq->alive = false;
	free(sq->tbuf);
	free(sq->zname);
	free(sq->key);
	free(sq);
}

static void
query_finish(struct soa_query *sq, struct soa_result *res)
{
	soa_cb	*cb = sq->cb;
	void	*arg = sq->arg;
	char	 ns[sizeof(sq->nsbuf)];

	res->rtt_ms = util_now_ms() - sq->started;
	if (res->ns != NULL) {		/* the names outlive the query */
		memcpy(ns, sq->nsbuf, sizeof(ns));
		res->ns = ns;
	}
	query_free(sq);
	cb(arg, res);
}

void
soa_result_fail(struct soa_result *res, enum soa_status st, const char *fmt, ...)
{
	va_list	 ap;

	memset(res, 0, sizeof(*res));
	res->status = st;
	va_start(ap, fmt);
	vsnprintf(res->err, sizeof(res->err), fmt, ap);
	va_end(ap);
}

#define query_fail(sq, st, ...) do {					\
	struct soa_result r_;						\
	soa_result_fail(&r_, (st), __VA_ARGS__);			\
	query_finish((sq), &r_);					\
} while (0)

/*
 * Open a socket of type to the master and watch it until timeout_ms from
 * now; -1 with errno.  The deadline is absolute: what the socket receives
 * (a stream of wrong-ID datagrams, a byte at a time over TCP) never moves
 * it, so a master cannot hold a query open.  The event is not persistent:
 * soa_event re-adds it with what is left.
 */
static int
query_socket(struct soa_query *sq, int type, short what, int timeout_ms)
{
	struct timeval	 tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	query_close(sq);
	sq->deadline = util_now_ms() + timeout_ms;
	sq->rearmed = true;
	sq->fd = socket(sq->ma.ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sq->fd == -1)
		return -1;
	if (sq->has_src && bind(sq->fd, (struct sockaddr *)&sq->src.ss, sq->src.len) == -1)
		return -1;
	if (connect(sq->fd, (struct sockaddr *)&sq->ma.ss, sq->ma.len) == -1 &&
	    errno != EINPROGRESS)
		return -1;
	sq->ev = event_new(sq->base, sq->fd, what, soa_event, sq);
	if (sq->ev == NULL || event_add(sq->ev, &tv) == -1)
		return -1;
	return 0;
}

/* A fresh random ID, and a fresh signature over it when the zone has a key. */
static int
new_id(struct soa_query *sq)
{
	int	 n;

	sq->id = (uint16_t)arc4random_uniform(65536);
	sq->q[0] = (uint8_t)(sq->id >> 8);
	sq->q[1] = (uint8_t)sq->id;
	sq->qlen = sq->qbase;
	if (sq->key == NULL)
		return 0;
	sq->q[10] = sq->q[11] = 0;
	if ((n = tsig_sign(sq->key, sq->q, sq->qbase, sizeof(sq->q), sq->mac,
	    &sq->maclen)) == -1)
		return -1;
	sq->qlen = (size_t)n;
	return 0;
}

static int
udp_attempt(struct soa_query *sq)
{
	if (new_id(sq) == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	if (query_socket(sq, SOCK_DGRAM, EV_READ, sq->timeout_ms) == -1)
		return -1;
	/*
	 * EPERM: the local packet filter dropped it (a rule, a full conntrack
	 * table); on a retry ENOBUFS/EAGAIN too (a full queue here).  That is
	 * a datagram lost on the way, not a master that refused: this try
	 * times out and the next one goes, and only a master that never
	 * answers is paused.  A first try out of buffers still fails, so the
	 * caller can pause the host's own work.
	 */
	if (send(sq->fd, sq->q, sq->qlen, 0) == -1 && !(errno == EPERM ||
	    (sq->attempt > 0 && (errno == ENOBUFS || errno == EAGAIN))))
		return -1;
	return 0;
}

static void
udp_next(struct soa_query *sq)
{
	if (++sq->attempt >= sq->tries) {
		if (sq->icmp != 0)
			query_fail(sq, SOA_TIMEOUT, "no reply after %d tries of %d ms "
			    "(ICMP: %s)", sq->tries, sq->timeout_ms, strerror(sq->icmp));
		else
			query_fail(sq, SOA_TIMEOUT, "no reply after %d tries of %d ms",
			    sq->tries, sq->timeout_ms);
		return;
	}
	if (udp_attempt(sq) == -1)
		query_fail(sq, SOA_NETERR, "send: %s", strerror(errno));
}

static void
tcp_start(struct soa_query *sq)
{
	sq->tcp = true;
	sq->connected = false;
	sq->tgot = 0;
	sq->tneed = 2;
	sq->tbuf = xmalloc(2 + TCP_MAX);
	if (new_id(sq) == -1) {
		query_fail(sq, SOA_BAD, "TSIG: cannot sign the query");
		return;
	}
	if (query_socket(sq, SOCK_STREAM, EV_WRITE, sq->timeout_ms * 2) == -1)
		query_fail(sq, SOA_NETERR, "tcp connect: %s", strerror(errno));
}

static void
handle_reply(struct soa_query *sq, const uint8_t *buf, size_t n)
{
	struct soa_result	 res;
	enum soa_status		 st;

	if (sq->qtype == LDNS_RR_TYPE_NS)
		st = soa_check_ns_reply(buf, n, sq->id, sq->zone, sq->zlen, &res,
		    sq->nsbuf, sizeof(sq->nsbuf));
	else
		st = soa_check_reply(buf, n, sq->id, sq->zone, sq->zlen, &res);
	if (sq->key != NULL && st != SOA_IGNORE) {
		/* Our ID from the master we asked: it must be signed with our key. */
		struct tsig_verify	 tv;
		char			 e[200];

		tsig_verify_init(&tv, sq->key, sq->mac, sq->maclen);
		if (tsig_verify_msg(&tv, buf, n, e, sizeof(e)) == -1) {
			query_fail(sq, SOA_BAD, "%s", e);
			return;
		}
	}
	switch (st) {
	case SOA_OK:
		res.status = SOA_OK;
		query_finish(sq, &res);
		return;
	case SOA_TRUNCATED:
		if (sq->tcp)
			query_fail(sq, SOA_BAD, "truncated reply over TCP");
		else
			tcp_start(sq);
		return;
	case SOA_IGNORE:
		if (sq->tcp)		/* a stream carries only our reply */
			query_fail(sq, SOA_BAD, "%s", res.err);
		else
			log_debug("zone %s: ignored datagram: %s", sq->zname, res.err);
		return;
	default:
		res.status = SOA_BAD;
		query_finish(sq, &res);
		return;
	}
}

static void
udp_read(struct soa_query *sq)
{
	uint8_t			 buf[4096];
	struct sockaddr_storage	 from;
	socklen_t		 flen;
	ssize_t			 n;

	for (int i = 0; i < 64; i++) {		/* then let the loop run */
		flen = sizeof(from);
		n = recvfrom(sq->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH || errno == EHOSTDOWN) {
				/* ICMP is unauthenticated: anyone can send it.
				 * The try waits for its deadline like a lost
				 * datagram; a real answer may still come. */
				sq->icmp = errno;
				continue;
			}
			query_fail(sq, SOA_NETERR, "%s", strerror(errno));
			return;
		}
		if (!master_addr_eq(&sq->ma, (struct sockaddr *)&from, flen))
			continue;	/* not from the address and port we asked */
		handle_reply(sq, buf, (size_t)n);	/* may free sq */
		return;
	}
}

static void
tcp_io(struct soa_query *sq, short what)
{
	ssize_t	 n;

	if (!sq->connected && (what & EV_WRITE)) {
		int	 err = 0;
		socklen_t len = sizeof(err);
		uint8_t	 msg[2 + sizeof(((struct soa_query *)0)->q)];

		getsockopt(sq->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			query_fail(sq, SOA_NETERR, "tcp connect: %s", strerror(err));
			return;
		}
		msg[0] = (uint8_t)(sq->qlen >> 8);
		msg[1] = (uint8_t)sq->qlen;
		memcpy(msg + 2, sq->q, sq->qlen);
		if (send(sq->fd, msg, sq->qlen + 2, MSG_NOSIGNAL) != (ssize_t)(sq->qlen + 2)) {
			query_fail(sq, SOA_NETERR, "tcp send: %s", strerror(errno));
			return;
		}
		sq->connected = true;
		event_free(sq->ev);	/* soa_event adds it with what is left */
		if ((sq->ev = event_new(sq->base, sq->fd, EV_READ, soa_event, sq)) == NULL)
			query_fail(sq, SOA_NETERR, "event_new failed");
		return;
	}
	n = recv(sq->fd, sq->tbuf + sq->tgot, sq->tneed - sq->tgot, 0);
	if (n == 0) {
		query_fail(sq, SOA_NETERR, "tcp: master closed the connection");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			query_fail(sq, SOA_NETERR, "tcp recv: %s", strerror(errno));
		return;
	}
	sq->tgot += (size_t)n;
	if (sq->tgot < sq->tneed)
		return;
	if (sq->tneed == 2) {
		sq->tneed = 2 + (size_t)(sq->tbuf[0] << 8 | sq->tbuf[1]);
		if (sq->tneed == 2)
			query_fail(sq, SOA_BAD, "tcp: empty message");
		return;
	}
	handle_reply(sq, sq->tbuf + 2, sq->tneed - 2);
}

/* The try's deadline passed: the next try, or the end. */
static void
try_expired(struct soa_query *sq)
{
	if (sq->tcp)
		query_fail(sq, SOA_TIMEOUT, "tcp: no reply in %d ms", sq->timeout_ms * 2);
	else
		udp_next(sq);
}

static void
soa_event(evutil_socket_t fd, short what, void *arg)
{
	struct soa_query	*sq = arg;
	bool			 alive = true;
	int64_t			 left;
	struct timeval		 tv;

	(void)fd;
	if (what & EV_TIMEOUT) {
		try_expired(sq);
		return;
	}
	sq->alive = &alive;
	sq->rearmed = false;
	if (sq->tcp)
		tcp_io(sq, what);
	else
		udp_read(sq);
	if (!alive)
		return;		/* finished and freed */
	sq->alive = NULL;
	if (sq->rearmed)
		return;		/* a new socket: TCP after TC */
	if ((left = sq->deadline - util_now_ms()) <= 0) {
		try_expired(sq);
		return;
	}
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (event_add(sq->ev, &tv) == -1)
		query_fail(sq, SOA_NETERR, "event_add failed");
}

static struct soa_query *
query_start(struct event_base *base, const char *zone, uint16_t qtype,
    const struct master_addr *ma, int timeout_ms, int tries, const struct tsig_key *key,
    const struct master_addr *src, soa_cb *cb, void *arg)
{
	struct soa_query	*sq = xcalloc(1, sizeof(*sq));
	int			 n;

	sq->base = base;
	sq->ma = *ma;
	sq->fd = -1;
	sq->tries = tries;
	sq->timeout_ms = timeout_ms;
	sq->cb = cb;
	sq->arg = arg;
	sq->qtype = qtype;
	sq->zname = xstrdup(zone);
	sq->started = util_now_ms();
	if (key != NULL) {
		sq->key = xmalloc(sizeof(*sq->key));
		*sq->key = *key;
	}
	if (src != NULL) {
		sq->has_src = true;
		sq->src = *src;
	}
	if ((n = dnswire_name(zone, sq->zone, sizeof(sq->zone))) == -1 ||
	    (sq->zlen = (size_t)n,
	    n = dnswire_query(zone, qtype, 0, sq->q, sizeof(sq->q))) == -1) {
		query_free(sq);
		return NULL;
	}
	sq->qlen = sq->qbase = (size_t)n;
	if (udp_attempt(sq) == -1) {
		int e = errno;
		query_free(sq);
		errno = e;
		return NULL;
	}
	return sq;
}

struct soa_query *
soa_query_start(struct event_base *base, const char *zone,
    const struct master_addr *ma, int timeout_ms, int tries, const struct tsig_key *key,
    const struct master_addr *src, soa_cb *cb, void *arg)
{
	return query_start(base, zone, LDNS_RR_TYPE_SOA, ma, timeout_ms, tries, key, src,
	    cb, arg);
}

struct soa_query *
soa_ns_query_start(struct event_base *base, const char *zone,
    const struct master_addr *ma, int timeout_ms, int tries, soa_cb *cb, void *arg)
{
	return query_start(base, zone, LDNS_RR_TYPE_NS, ma, timeout_ms, tries, NULL, NULL,
	    cb, arg);
}

void
soa_query_cancel(struct soa_query *sq)
{
	query_free(sq);
}
