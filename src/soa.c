/*
 * soa: SOA queries from the event loop.  UDP goes over sockets connected to
 * the master (random source port from the kernel), so the kernel drops
 * datagrams from other addresses; we check the source again anyway, then
 * the reply itself as RFC 1035 and RFC 1996 require of a secondary.
 *
 * A socket serves one master (address and source) and is shared by the
 * queries to it that start close together: a try takes the socket the
 * master's last query used while that one has fewer than SOCK_SHARE
 * queries waiting, has sent fewer than SOCK_USES and is younger than
 * SOCK_LIFE_MS; an idle socket stays open SOCK_IDLE_MS, and every retry
 * starts on a new one.  A master's zones checked together (17 a master at
 * hoster scale) then cost one socket, one connect and one entry in the
 * host's connection tracking instead of one each.  Replies are matched by
 * ID among the socket's waiting queries (IDs unique on the socket), then by
 * question.  A port is only ever used towards one master, so what a master
 * sees tells it nothing about the ports other masters are asked from; a
 * forger off the path still has to hit a random port and one of at most
 * SOCK_SHARE random IDs within the socket's few seconds, and a forged SOA
 * answer can only cause or delay a transfer, never write data: the data
 * comes by TCP (TSIG'd where a key is set).
 *
 * The check of a zone we have may be an IXFR over UDP instead
 * (transfer.ixfr-udp, RFC 1995 4), as NSD's xfrd asks: the master's SOA
 * alone is the answer to a SOA query, and an answer that carries the
 * changes (or the whole zone) goes to the transfer, which applies it when
 * the one message holds all of it and otherwise asks by TCP.  Such data
 * is guarded as every datagram here is (port, ID, source, question, TSIG
 * where a key is set), which is what NSD, BIND and Knot accept it on.  A
 * retry asks by SOA (a filter may drop what is not a SOA query); a
 * truncated answer goes on by SOA over TCP; a refusal or an answer we
 * cannot use is asked again by SOA at once, and the caller stops asking
 * that master by IXFR for a while.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
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
#define SOCK_SHARE	16		/* queries waiting on one socket */
#define SOCK_USES	256		/* queries one socket sends in all */
#define SOCK_LIFE_MS	10000		/* then a new port */
#define SOCK_IDLE_MS	2000		/* an idle socket is kept this long */
#define SOCK_KEY	(2 * (1 + 2 + 16 + 4) + 1)
#define NSBUF_LEN	2048		/* an NS answer's names */
#define POOL_MAX	512		/* finished queries kept for the next */
#define IXFR_EDNS	1232		/* our UDP size for an IXFR check: the
					 * DNS flag day's, no fragments */

struct soa_sock {
	struct event_base	*base;
	uint8_t			 key[SOCK_KEY];	/* master, source */
	size_t			 klen;
	uint64_t		 hash;
	struct soa_sock		*hnext;
	bool			 hashed;	/* its master's current one */
	TAILQ_ENTRY(soa_sock)	 idle;		/* on SK.idle while nq == 0 */
	int			 fd;
	struct event		*ev;
	struct soa_query	*q[SOCK_SHARE];
	int			 nq, uses;
	int64_t			 born, idle_since;
	bool			 reading;	/* in sock_read: closing waits */
	bool			 doomed;	/* close when the read ends */
};

static struct {
	struct soa_sock		**tab;		/* keyed hash: masters name it */
	size_t			  nb, n;	/* buckets (a power of two), sockets */
	TAILQ_HEAD(, soa_sock)	  idle;		/* oldest first */
	size_t			  nidle, idle_max;
	struct event		 *sweep;
	struct event_base	 *base;		/* the sweep's */
	unsigned long		  opened, used;
} SK = { .idle = TAILQ_HEAD_INITIALIZER(SK.idle), .idle_max = 256 };

/*
 * Finished queries, with their timer event, for the next ones: a no-change
 * pass starts 170,000 queries, and each took three allocations and as
 * many frees (the struct is too big for malloc's per-thread cache).  The
 * events belong to SK.base's loop; soa_close_idle frees them with it.
 */
static struct {
	struct soa_query	*head;
	size_t			 n;
} P;

struct soa_query {
	struct event_base	*base;
	struct master_addr	 ma;
	size_t			 zlen;		/* the zone's wire name: q + DNS_HDR */
	char			 zname[256];
	struct soa_query	*pnext;		/* in the pool of finished ones */
	bool			 pooled;	/* there: a second free is a bug */
	struct soa_sock		*sock;		/* UDP: the socket of this try */
	struct event		*tev;		/* UDP: the try's deadline */
	int			 fd;		/* TCP */
	struct event		*ev;		/* TCP: the socket, with what is left of the try */
	int64_t			 deadline;	/* TCP: the try's end, never moved */
	bool			*alive;		/* cleared when freed inside soa_event */
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
	uint16_t		 qtype;		/* SOA, IXFR (until refused), NS (autoprimary) */
	char			*nsbuf;		/* NS: the answer's names (NSBUF_LEN) */
	uint32_t		 serial;	/* IXFR: ours */
	bool			 ixfr_refused;
	char			 ixfr_why[96];
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

/* Exactly our question: one, of type qtype, class IN, for the zone. */
static bool
question_ok(const ldns_pkt *pkt, ldns_rr_type qtype, const uint8_t *zw, size_t zlen)
{
	ldns_rr	*q;

	return ldns_pkt_qdcount(pkt) == 1 &&
	    (q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) != NULL &&
	    ldns_rr_get_type(q) == qtype && ldns_rr_get_class(q) == LDNS_RR_CLASS_IN &&
	    dname_eq(ldns_rr_owner(q), zw, zlen);
}

/* The start of a reply to our question, as every check wants it. */
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

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One record as it lies in a message. */
struct wire_rr {
	uint8_t		 owner[255];	/* lowercase, uncompressed */
	size_t		 olen;
	uint16_t	 type, class;
	size_t		 rd, rdlen;	/* the rdata's offset and length */
};

/* The record at *pos, within the n bytes; *pos moves past it. */
static bool
wire_rr(const uint8_t *p, size_t n, size_t *pos, struct wire_rr *rr)
{
	int	 len;

	if ((len = dnswire_read_name(p, n, pos, rr->owner)) == -1 || *pos + 10 > n)
		return false;
	rr->olen = (size_t)len;
	rr->type = get16(p + *pos);
	rr->class = get16(p + *pos + 2);
	rr->rdlen = get16(p + *pos + 8);
	rr->rd = *pos + 10;
	if (rr->rd + rr->rdlen > n)
		return false;
	*pos = rr->rd + rr->rdlen;
	return true;
}

/* A SOA of the zone: class IN, at the apex. */
static bool
apex_soa(const struct wire_rr *rr, const uint8_t *zw, size_t zlen)
{
	return rr->type == LDNS_RR_TYPE_SOA && rr->class == LDNS_RR_CLASS_IN &&
	    rr->olen == zlen && memcmp(rr->owner, zw, zlen) == 0;
}

/* A SOA's rdata: exactly two names and five numbers. */
static bool
soa_fields(const uint8_t *p, size_t n, const struct wire_rr *rr, struct soa_result *r)
{
	uint8_t	 name[255];
	size_t	 pos = rr->rd, end = rr->rd + rr->rdlen;

	/* a name's own bytes lie in the rdata; a pointer may lead anywhere before */
	if (dnswire_read_name(p, n, &pos, name) == -1 || pos > end ||
	    dnswire_read_name(p, n, &pos, name) == -1 || pos > end || end - pos != 20)
		return false;
	r->serial = get32(p + pos);
	r->refresh = get32(p + pos + 4);
	r->retry = get32(p + pos + 8);
	r->expire = get32(p + pos + 12);
	return true;
}

/*
 * An authoritative answer to our question of qtype, with every record
 * within the message (SOA_OK, *an: where the answer section starts), or
 * why not.  Read off the wire, not parsed into ldns's records: this runs
 * for every zone in every pass, and a parser's allocations for each name
 * and field cost more than the rest of the check.  The records the check
 * reads (question, SOA) are read in full; of the others only their bounds
 * count, as NSD's xfrd skips them.
 */
static enum soa_status
answer_open(const uint8_t *p, size_t n, uint16_t id, uint16_t qtype,
    const uint8_t *zw, size_t zlen, struct soa_result *r, size_t *an)
{
	struct wire_rr	 rr;
	enum soa_status	 st;
	size_t		 pos = DNS_HDR;
	unsigned	 qd, nrr;
	bool		 ours = false;
	int		 len;

	if ((st = reply_head(p, n, id, r)) != SOA_OK)
		return st;
	if (!(p[2] & 0x04)) {
		snprintf(r->err, sizeof(r->err), "reply not authoritative (AA clear)");
		return SOA_BAD;
	}
	qd = get16(p + 4);
	nrr = (unsigned)get16(p + 6) + get16(p + 8) + get16(p + 10);
	for (unsigned i = 0; i < qd; i++) {
		if ((len = dnswire_read_name(p, n, &pos, rr.owner)) == -1 || pos + 4 > n)
			goto malformed;
		if (i == 0)
			ours = (size_t)len == zlen && memcmp(rr.owner, zw, zlen) == 0 &&
			    get16(p + pos) == qtype && get16(p + pos + 2) == LDNS_RR_CLASS_IN;
		pos += 4;
	}
	*an = pos;
	for (unsigned i = 0; i < nrr; i++)
		if (!wire_rr(p, n, &pos, &rr))
			goto malformed;
	if (!tsig_wire_ok(p, n))
		goto malformed;
	if (qd != 1 || !ours) {
		snprintf(r->err, sizeof(r->err), "reply question differs from ours");
		return SOA_BAD;
	}
	return SOA_OK;
malformed:
	snprintf(r->err, sizeof(r->err), "malformed reply");
	return SOA_BAD;
}

enum soa_status
soa_check_reply(const uint8_t *p, size_t n, uint16_t id, const uint8_t *zw,
    size_t zlen, struct soa_result *r)
{
	struct wire_rr	 rr;
	enum soa_status	 st;
	size_t		 pos;
	unsigned	 an;
	bool		 found = false, bad = false;

	if ((st = answer_open(p, n, id, LDNS_RR_TYPE_SOA, zw, zlen, r, &pos)) != SOA_OK)
		return st;
	an = get16(p + 6);
	for (unsigned i = 0; i < an; i++) {
		(void)wire_rr(p, n, &pos, &rr);		/* answer_open walked them */
		if (rr.type != LDNS_RR_TYPE_SOA)
			continue;
		if (!apex_soa(&rr, zw, zlen)) {
			snprintf(r->err, sizeof(r->err), "answer SOA is not the zone's");
			return SOA_BAD;
		}
		if (found) {
			snprintf(r->err, sizeof(r->err), "several SOA records in answer");
			return SOA_BAD;
		}
		found = true;
		bad = !soa_fields(p, n, &rr, r);
	}
	if (!found || bad) {
		snprintf(r->err, sizeof(r->err), found ? "malformed SOA record in answer" :
		    "no SOA for the zone in the answer");
		return SOA_BAD;
	}
	return SOA_OK;
}

enum soa_status
soa_check_ixfr_reply(const uint8_t *p, size_t n, uint16_t id, const uint8_t *zw,
    size_t zlen, struct soa_result *r)
{
	struct wire_rr	 rr;
	enum soa_status	 st;
	size_t		 pos;

	/*
	 * AA, as of a SOA answer: a forwarder may pass on someone's SOA.
	 * Knot 3.2 answers IXFR over UDP with its SOA alone and AA clear:
	 * its zones are checked by SOA (it sends no changes over UDP anyway).
	 */
	if ((st = answer_open(p, n, id, LDNS_RR_TYPE_IXFR, zw, zlen, r, &pos)) != SOA_OK)
		return st;
	/* RFC 1995 4: the master's SOA first, alone or opening the changes */
	if (get16(p + 6) == 0 || !wire_rr(p, n, &pos, &rr) || !apex_soa(&rr, zw, zlen) ||
	    !soa_fields(p, n, &rr, r)) {
		snprintf(r->err, sizeof(r->err), "answer does not start with the zone's SOA");
		return SOA_BAD;
	}
	if (get16(p + 6) > 1) {
		/*
		 * Changes, for the transfer: a message that ldns cannot read
		 * is refused here, so that the caller stops asking this master
		 * by IXFR (the SOA alone needs none of this).
		 */
		ldns_pkt *pkt = NULL;

		if (ldns_wire2pkt(&pkt, p, n) != LDNS_STATUS_OK) {
			snprintf(r->err, sizeof(r->err), "malformed reply");
			return SOA_BAD;
		}
		ldns_pkt_free(pkt);
		r->xfr = p;
		r->xfrlen = n;
	}
	return SOA_OK;
}

enum soa_status
soa_check_ns_reply(const uint8_t *p, size_t n, uint16_t id, const uint8_t *zw,
    size_t zlen, struct soa_result *r, char *buf, size_t buflen)
{
	ldns_pkt	*pkt = NULL;
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
	if (!question_ok(pkt, LDNS_RR_TYPE_NS, zw, zlen)) {
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
static void	udp_expired(evutil_socket_t, short, void *);
static void	sock_read(evutil_socket_t, short, void *);
static void	handle_reply(struct soa_query *, const uint8_t *, size_t);

/* What names a socket: the master's address and port, and the source. */
static size_t
addr_key(uint8_t *k, const struct master_addr *a)
{
	const struct sockaddr_in	*s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6	*s6 = (const struct sockaddr_in6 *)&a->ss;

	k[0] = (uint8_t)a->ss.ss_family;
	if (a->ss.ss_family == AF_INET) {
		memcpy(k + 1, &s4->sin_port, 2);
		memcpy(k + 3, &s4->sin_addr, 4);
		return 7;
	}
	memcpy(k + 1, &s6->sin6_port, 2);
	memcpy(k + 3, &s6->sin6_addr, 16);
	memcpy(k + 19, &s6->sin6_scope_id, 4);
	return 23;
}

static void
sock_unhash(struct soa_sock *s)
{
	struct soa_sock	**pp;

	if (!s->hashed)
		return;
	for (pp = &SK.tab[s->hash & (SK.nb - 1)]; *pp != s; pp = &(*pp)->hnext)
		;
	*pp = s->hnext;
	s->hashed = false;
	SK.n--;
}

static void
sock_hash(struct soa_sock *s)
{
	size_t	 i;

	if (SK.n >= SK.nb) {		/* grow: at most one socket a bucket on average */
		size_t		  nb = SK.nb == 0 ? 256 : SK.nb * 2;
		struct soa_sock	**t = xcalloc(nb, sizeof(*t));

		for (i = 0; i < SK.nb; i++)
			while (SK.tab[i] != NULL) {
				struct soa_sock *o = SK.tab[i];
				SK.tab[i] = o->hnext;
				o->hnext = t[o->hash & (nb - 1)];
				t[o->hash & (nb - 1)] = o;
			}
		free(SK.tab);
		SK.tab = t;
		SK.nb = nb;
	}
	i = s->hash & (SK.nb - 1);
	s->hnext = SK.tab[i];
	SK.tab[i] = s;
	s->hashed = true;
	SK.n++;
}

/* Close s now, or when the read it is in ends.  It is in no list. */
static void
sock_close(struct soa_sock *s)
{
	if (s->reading) {
		s->doomed = true;
		return;
	}
	event_free(s->ev);
	close(s->fd);
	free(s);
}

static void
idle_remove(struct soa_sock *s)
{
	TAILQ_REMOVE(&SK.idle, s, idle);
	SK.nidle--;
}

/* Retire s: no new query takes it; closed once nothing waits on it. */
static void
sock_retire(struct soa_sock *s)
{
	sock_unhash(s);
	if (s->nq == 0) {
		idle_remove(s);
		sock_close(s);
	}
}

static bool
sock_fresh(const struct soa_sock *s, int64_t now)
{
	return s->uses < SOCK_USES && now - s->born < SOCK_LIFE_MS && !s->doomed;
}

static void
sweep_idle(evutil_socket_t fd, short what, void *arg)
{
	struct soa_sock	*s;
	int64_t		 now = util_now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	while ((s = TAILQ_FIRST(&SK.idle)) != NULL && now - s->idle_since >= SOCK_IDLE_MS)
		sock_retire(s);
	if (s != NULL) {
		int64_t		 left = s->idle_since + SOCK_IDLE_MS - now;
		struct timeval	 tv = { left / 1000, (left % 1000) * 1000 };

		event_add(SK.sweep, &tv);
	}
}

/* The last query left s: keep it a while for the master's next ones. */
static void
sock_idle(struct soa_sock *s)
{
	int64_t		 now = util_now_ms();
	struct timeval	 tv = { SOCK_IDLE_MS / 1000, (SOCK_IDLE_MS % 1000) * 1000 };

	if (!s->hashed || !sock_fresh(s, now) || SK.idle_max == 0 || s->base != SK.base) {
		sock_unhash(s);
		sock_close(s);
		return;
	}
	while (SK.nidle >= SK.idle_max)
		sock_retire(TAILQ_FIRST(&SK.idle));
	s->idle_since = now;
	TAILQ_INSERT_TAIL(&SK.idle, s, idle);
	SK.nidle++;
	if (!event_pending(SK.sweep, EV_TIMEOUT, NULL))
		event_add(SK.sweep, &tv);
}

static void
sock_detach(struct soa_query *sq)
{
	struct soa_sock	*s = sq->sock;

	for (int i = 0; i < s->nq; i++)
		if (s->q[i] == sq) {
			s->q[i] = s->q[--s->nq];
			break;
		}
	sq->sock = NULL;
	if (s->nq == 0)
		sock_idle(s);
}

/*
 * The socket for a try of sq: its master's current one if it has room and
 * fresh is false, else a new one; NULL with errno.
 */
static struct soa_sock *
sock_take(struct soa_query *sq, bool fresh)
{
	uint8_t		 key[SOCK_KEY];
	size_t		 klen;
	uint64_t	 h;
	int64_t		 now = util_now_ms();
	struct soa_sock	*s = NULL;

	klen = addr_key(key, &sq->ma);
	key[klen++] = sq->has_src;
	if (sq->has_src)
		klen += addr_key(key + klen, &sq->src);
	h = util_keyed_hash(key, klen);
	if (SK.nb > 0)
		for (s = SK.tab[h & (SK.nb - 1)]; s != NULL; s = s->hnext)
			if (s->hash == h && s->klen == klen && s->base == sq->base &&
			    memcmp(s->key, key, klen) == 0)
				break;
	if (s != NULL) {
		if (!fresh && s->nq < SOCK_SHARE && sock_fresh(s, now)) {
			if (s->nq == 0)
				idle_remove(s);
			SK.used++;
			return s;
		}
		sock_retire(s);
	}
	if (SK.base == NULL) {
		if ((SK.sweep = evtimer_new(sq->base, sweep_idle, NULL)) == NULL)
			return NULL;
		SK.base = sq->base;
	}
	s = xcalloc(1, sizeof(*s));
	s->base = sq->base;
	s->born = now;
	s->fd = socket(sq->ma.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1 || (sq->has_src &&
	    bind(s->fd, (struct sockaddr *)&sq->src.ss, sq->src.len) == -1) ||
	    connect(s->fd, (struct sockaddr *)&sq->ma.ss, sq->ma.len) == -1 ||
	    (s->ev = event_new(s->base, s->fd, EV_READ | EV_PERSIST, sock_read, s)) == NULL ||
	    event_add(s->ev, NULL) == -1) {
		int e = errno;

		if (s->ev != NULL)
			event_free(s->ev);
		if (s->fd != -1)
			close(s->fd);
		free(s);
		errno = e;
		return NULL;
	}
	memcpy(s->key, key, klen);
	s->klen = klen;
	s->hash = h;
	sock_hash(s);
	SK.opened++;
	return s;
}

void
soa_set_idle_max(size_t n)
{
	SK.idle_max = n;
	while (SK.nidle > n)
		sock_retire(TAILQ_FIRST(&SK.idle));
}

void
soa_close_idle(void)
{
	struct soa_query	*sq;

	while (SK.nidle > 0)
		sock_retire(TAILQ_FIRST(&SK.idle));
	while ((sq = P.head) != NULL) {
		P.head = sq->pnext;
		event_free(sq->tev);
		free(sq);
	}
	P.n = 0;
	if (SK.n == 0) {	/* nothing waits on a socket: a new base may come */
		if (SK.sweep != NULL)
			event_free(SK.sweep);
		SK.sweep = NULL;
		SK.base = NULL;
		free(SK.tab);
		SK.tab = NULL;
		SK.nb = 0;
	}
}

void
soa_sock_counts(unsigned long *opened, unsigned long *used)
{
	*opened = SK.opened;
	*used = SK.used;
}

static void
query_close(struct soa_query *sq)
{
	if (sq->sock != NULL)
		sock_detach(sq);
	event_del(sq->tev);
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
	if (sq->pooled)		/* the pool would hand it out twice */
		fatalx("soa: query for %s freed twice", sq->zname);
	query_close(sq);
	if (sq->alive != NULL)
		*sq->alive = false;
	free(sq->tbuf);
	free(sq->nsbuf);
	free(sq->key);
	if (P.n < POOL_MAX) {
		sq->pnext = P.head;
		sq->pooled = true;
		P.head = sq;
		P.n++;
		return;
	}
	event_free(sq->tev);
	free(sq);
}

/* A query as new, with its timer event on base. */
static struct soa_query *
query_new(struct event_base *base)
{
	struct soa_query	*sq;
	struct event		*tev;

	if ((sq = P.head) != NULL) {
		P.head = sq->pnext;
		P.n--;
		tev = sq->tev;
		memset(sq, 0, sizeof(*sq));
		sq->tev = tev;
		sq->base = base;
		return sq;
	}
	sq = xcalloc(1, sizeof(*sq));
	sq->base = base;
	if ((sq->tev = evtimer_new(base, udp_expired, sq)) == NULL) {
		free(sq);
		return NULL;
	}
	return sq;
}

static void
query_finish(struct soa_query *sq, struct soa_result *res)
{
	soa_cb	*cb = sq->cb;
	void	*arg = sq->arg;
	char	 ns[NSBUF_LEN];

	res->rtt_ms = util_now_ms() - sq->started;
	if (sq->ixfr_refused) {
		res->ixfr_refused = true;
		memcpy(res->ixfr_why, sq->ixfr_why, sizeof(res->ixfr_why));
	}
	if (res->ns != NULL) {		/* the names outlive the query */
		memcpy(ns, sq->nsbuf, NSBUF_LEN);
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
 * Open a TCP connection to the master and watch it until timeout_ms from
 * now; -1 with errno.  The deadline is absolute: what the socket receives
 * (a byte at a time) never moves it, so a master cannot hold a query open.
 * The event is not persistent: soa_event re-adds it with what is left.
 */
static int
tcp_socket(struct soa_query *sq, int timeout_ms)
{
	struct timeval	 tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	query_close(sq);
	sq->deadline = util_now_ms() + timeout_ms;
	sq->fd = socket(sq->ma.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sq->fd == -1)
		return -1;
	if (sq->has_src && bind(sq->fd, (struct sockaddr *)&sq->src.ss, sq->src.len) == -1)
		return -1;
	if (connect(sq->fd, (struct sockaddr *)&sq->ma.ss, sq->ma.len) == -1 &&
	    errno != EINPROGRESS)
		return -1;
	sq->ev = event_new(sq->base, sq->fd, EV_WRITE, soa_event, sq);
	if (sq->ev == NULL || event_add(sq->ev, &tv) == -1)
		return -1;
	return 0;
}

/* The question: qtype for the zone (IXFR: from our serial), ID still 0. */
static int
query_build(struct soa_query *sq, uint16_t qtype)
{
	int	 n;

	/* IXFR: an OPT record (RFC 6891), so a change of up to IXFR_EDNS fits */
	static const uint8_t opt[] = { 0, 0, LDNS_RR_TYPE_OPT, IXFR_EDNS >> 8,
	    IXFR_EDNS & 0xff, 0, 0, 0, 0, 0, 0 };

	n = qtype == LDNS_RR_TYPE_IXFR ?
	    dnswire_ixfr_query(sq->zname, 0, sq->serial, sq->q, sizeof(sq->q)) :
	    dnswire_query(sq->zname, qtype, 0, sq->q, sizeof(sq->q));
	if (n == -1 || (size_t)n + sizeof(opt) > sizeof(sq->q))
		return -1;
	if (qtype == LDNS_RR_TYPE_IXFR) {
		memcpy(sq->q + n, opt, sizeof(opt));
		n += (int)sizeof(opt);
		sq->q[11] = 1;			/* ARCOUNT */
	}
	sq->qtype = qtype;
	sq->qlen = sq->qbase = (size_t)n;
	return 0;
}

/* A fresh random ID, and a fresh signature over it when the zone has a key. */
static int
new_id(struct soa_query *sq)
{
	int	 n;

	sq->id = (uint16_t)util_random_uniform(65536);
	sq->q[0] = (uint8_t)(sq->id >> 8);
	sq->q[1] = (uint8_t)sq->id;
	sq->qlen = sq->qbase;
	if (sq->key == NULL)
		return 0;
	sq->q[10] = 0;			/* ARCOUNT of the query as built */
	sq->q[11] = sq->qtype == LDNS_RR_TYPE_IXFR;
	if ((n = tsig_sign(sq->key, sq->q, sq->qbase, sizeof(sq->q), sq->mac,
	    &sq->maclen)) == -1)
		return -1;
	sq->qlen = (size_t)n;
	return 0;
}

/* A try over UDP: on its master's socket, or a new one for a retry. */
static int
udp_attempt(struct soa_query *sq)
{
	struct soa_sock	*s;
	struct timeval	 tv = { sq->timeout_ms / 1000, (sq->timeout_ms % 1000) * 1000 };
	bool		 taken;

	query_close(sq);
	if ((s = sock_take(sq, sq->attempt > 0)) == NULL)
		return -1;
	do {			/* an ID no other query waiting on s has */
		if (new_id(sq) == -1) {
			if (s->nq == 0)
				sock_idle(s);
			errno = EMSGSIZE;
			return -1;
		}
		taken = false;
		for (int i = 0; i < s->nq; i++)
			taken |= s->q[i]->id == sq->id;
	} while (taken);
	s->q[s->nq++] = sq;
	s->uses++;
	sq->sock = s;
	if (event_add(sq->tev, &tv) == -1)
		return -1;
	/*
	 * EPERM: the local packet filter dropped it (a rule, a full conntrack
	 * table); on a retry ENOBUFS/EAGAIN too (a full queue here).  That is
	 * a datagram lost on the way, not a master that refused: this try
	 * times out and the next one goes, and only a master that never
	 * answers is paused.  A first try out of buffers still fails, so the
	 * caller can pause the host's own work.
	 */
	if (send(s->fd, sq->q, sq->qlen, 0) == -1 && !(errno == EPERM ||
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
	/* silence to IXFR may be a filter's: a retry asks what every master answers */
	if (sq->qtype == LDNS_RR_TYPE_IXFR && query_build(sq, LDNS_RR_TYPE_SOA) == -1) {
		query_fail(sq, SOA_BAD, "query does not convert");
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
	if (tcp_socket(sq, sq->timeout_ms * 2) == -1)
		query_fail(sq, SOA_NETERR, "tcp connect: %s", strerror(errno));
}

static void
handle_reply(struct soa_query *sq, const uint8_t *buf, size_t n)
{
	struct soa_result	 res;
	enum soa_status		 st;

	if (sq->qtype == LDNS_RR_TYPE_NS)
		st = soa_check_ns_reply(buf, n, sq->id, sq->q + DNS_HDR, sq->zlen, &res,
		    sq->nsbuf, NSBUF_LEN);
	else if (sq->qtype == LDNS_RR_TYPE_IXFR)
		st = soa_check_ixfr_reply(buf, n, sq->id, sq->q + DNS_HDR, sq->zlen, &res);
	else
		st = soa_check_reply(buf, n, sq->id, sq->q + DNS_HDR, sq->zlen, &res);
	if (sq->qtype == LDNS_RR_TYPE_IXFR && (st == SOA_TRUNCATED || st == SOA_BAD)) {
		/*
		 * Too long for a datagram: by SOA over TCP, as a truncated SOA
		 * answer goes.  Refused (NOTIMP, FORMERR, REFUSED, ...) or an
		 * answer we cannot use: by SOA at once, which every master
		 * answers, and the caller stops asking this master by IXFR.
		 */
		if (query_build(sq, LDNS_RR_TYPE_SOA) == -1) {
			query_fail(sq, SOA_BAD, "query does not convert");
			return;
		}
		if (st == SOA_TRUNCATED) {
			tcp_start(sq);
			return;
		}
		sq->ixfr_refused = true;
		util_strlcpy(sq->ixfr_why, res.err, sizeof(sq->ixfr_why));
		if (udp_attempt(sq) == -1)
			query_fail(sq, SOA_NETERR, "send: %s", strerror(errno));
		return;
	}
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

/*
 * Datagrams for the queries waiting on s.  The kernel passes only the
 * master's (connected socket); the source is checked again.  A datagram
 * whose ID no waiting query has is dropped and the queries keep waiting.
 */
static void
sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct soa_sock		*s = arg;
	uint8_t			 buf[4096];
	struct sockaddr_storage	 from;
	socklen_t		 flen;
	ssize_t			 n;
	uint16_t		 id;
	struct soa_query	*sq;

	(void)what;
	s->reading = true;
	for (int i = 0; i < 64 && !s->doomed; i++) {	/* then let the loop run */
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n == -1) {
			int e = errno;

			if (e == EAGAIN || e == EINTR)
				break;
			if (e == ECONNREFUSED || e == EHOSTUNREACH ||
			    e == ENETUNREACH || e == EHOSTDOWN) {
				/* ICMP is unauthenticated: anyone can send it.
				 * The tries wait for their deadlines like lost
				 * datagrams; a real answer may still come. */
				for (int j = 0; j < s->nq; j++)
					s->q[j]->icmp = e;
				continue;
			}
			sock_unhash(s);
			while (s->nq > 0)
				query_fail(s->q[0], SOA_NETERR, "%s", strerror(e));
			break;
		}
		/* every query on s asks the same master (address and port) */
		if (s->nq == 0 || n < 2 ||
		    !master_addr_eq(&s->q[0]->ma, (struct sockaddr *)&from, flen))
			continue;	/* nobody waits, or not from whom we asked */
		id = (uint16_t)(buf[0] << 8 | buf[1]);
		sq = NULL;
		for (int j = 0; j < s->nq && sq == NULL; j++)
			if (s->q[j]->id == id)
				sq = s->q[j];
		if (sq == NULL) {
			log_debug("SOA query to the master of %s: ignored datagram: reply "
			    "with wrong ID", s->q[0]->zname);
			continue;
		}
		handle_reply(sq, buf, (size_t)n);	/* may free sq */
	}
	s->reading = false;
	if (s->doomed)
		sock_close(s);
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

/* A UDP try's deadline passed: the next try, or the end. */
static void
udp_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	udp_next(arg);
}

/* The TCP connection: its deadline, or what came on it. */
static void
soa_event(evutil_socket_t fd, short what, void *arg)
{
	struct soa_query	*sq = arg;
	bool			 alive = true;
	int64_t			 left;
	struct timeval		 tv;

	(void)fd;
	if (what & EV_TIMEOUT) {
		query_fail(sq, SOA_TIMEOUT, "tcp: no reply in %d ms", sq->timeout_ms * 2);
		return;
	}
	sq->alive = &alive;
	tcp_io(sq, what);
	if (!alive)
		return;		/* finished and freed */
	sq->alive = NULL;
	if ((left = sq->deadline - util_now_ms()) <= 0) {
		query_fail(sq, SOA_TIMEOUT, "tcp: no reply in %d ms", sq->timeout_ms * 2);
		return;
	}
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (event_add(sq->ev, &tv) == -1)
		query_fail(sq, SOA_NETERR, "event_add failed");
}

static struct soa_query *
query_start(struct event_base *base, const char *zone, uint16_t qtype, uint32_t serial,
    const struct master_addr *ma, int timeout_ms, int tries, const struct tsig_key *key,
    const struct master_addr *src, soa_cb *cb, void *arg)
{
	struct soa_query	*sq;
	size_t			 pos = DNS_HDR;

	if ((sq = query_new(base)) == NULL)
		return NULL;
	sq->ma = *ma;
	sq->fd = -1;
	sq->tries = tries;
	sq->timeout_ms = timeout_ms;
	sq->cb = cb;
	sq->arg = arg;
	sq->serial = serial;
	util_strlcpy(sq->zname, zone, sizeof(sq->zname));
	sq->started = util_now_ms();
	if (key != NULL) {
		sq->key = xmalloc(sizeof(*sq->key));
		*sq->key = *key;
	}
	if (src != NULL) {
		sq->has_src = true;
		sq->src = *src;
	}
	if (query_build(sq, qtype) == -1 || !dnswire_skip_name(sq->q, sq->qbase, &pos)) {
		query_free(sq);
		return NULL;
	}
	sq->zlen = pos - DNS_HDR;		/* the question's name, as asked */
	if (qtype == LDNS_RR_TYPE_NS)
		sq->nsbuf = xmalloc(NSBUF_LEN);
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
	return query_start(base, zone, LDNS_RR_TYPE_SOA, 0, ma, timeout_ms, tries, key, src,
	    cb, arg);
}

struct soa_query *
soa_ixfr_query_start(struct event_base *base, const char *zone, uint32_t serial,
    const struct master_addr *ma, int timeout_ms, int tries, const struct tsig_key *key,
    const struct master_addr *src, soa_cb *cb, void *arg)
{
	return query_start(base, zone, LDNS_RR_TYPE_IXFR, serial, ma, timeout_ms, tries,
	    key, src, cb, arg);
}

struct soa_query *
soa_ns_query_start(struct event_base *base, const char *zone,
    const struct master_addr *ma, int timeout_ms, int tries, soa_cb *cb, void *arg)
{
	return query_start(base, zone, LDNS_RR_TYPE_NS, 0, ma, timeout_ms, tries, NULL, NULL,
	    cb, arg);
}

void
soa_query_cancel(struct soa_query *sq)
{
	query_free(sq);
}
