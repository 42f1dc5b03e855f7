/*
 * notify: NOTIFY (RFC 1996) over UDP on the notify.listen addresses.  Each
 * datagram is rate-limited per source address (token buckets in a fixed
 * table under a keyed hash: addresses that share a bucket share its rate,
 * and nobody can choose addresses that do, so a flood from one source
 * cannot starve the others, reset another's bucket, nor grow memory),
 * validated (a query, opcode NOTIFY, one question for a SOA in class IN),
 * checked against the zone's masters, the trusted relays and the zone's
 * TSIG key, handed to the scheduler's urgent lane, and answered with the
 * same ID, QR and AA.  The SOA a NOTIFY may carry is only a hint.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <ldns/ldns.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoprimary.h"
#include "conf.h"
#include "keys.h"
#include "log.h"
#include "master.h"
#include "notify.h"
#include "sched.h"
#include "stats.h"
#include "tsig.h"
#include "util.h"
#include "zone.h"

#define LISTEN_MAX	16
#define TRUSTED_MAX	64
#define RL_SLOTS	4096		/* rate buckets; sources that share one share its rate */
#define READS_PER_EVENT	64		/* then let the loop run other events */
#define DROPLOG_MS	60000
/*
 * A master that restarts, or pdns relaying one (forward-notify), sends a
 * NOTIFY per zone in one burst.  The kernel default (208 KiB, some 150
 * datagrams on loopback) drops most of such a burst; every one dropped is
 * a change found only by the master's retries or the next refresh.  4 MiB
 * holds several thousand; the kernel caps it at net.core.rmem_max.
 */
#define RCVBUF_WANT	(4 * 1024 * 1024)

static struct listener {
	int		 fd;
	struct event	*ev;
	char		 name[80];	/* as configured */
	uint32_t	 overflows;	/* the kernel's count (SO_RXQ_OVFL) */
	struct log_rl	 lost_log;
} lis[LISTEN_MAX];
static int			 nlis;
static struct master_addr	 trusted[TRUSTED_MAX];
static int			 ntrusted;
static struct master_mask	 from_masks[TRUSTED_MAX];
static int			 nfrom;
static int			 rate, trusted_rate;
static struct bucket		*rl;
static uint64_t			 answered, dropped, lost;
static struct log_rl		 drop_log, refused_log, proxy_log;
static struct master_addr	 proxies[TRUSTED_MAX];
static int			 nproxies;

static const uint8_t *
addr_bytes(const struct sockaddr *sa, size_t *n)
{
	if (sa->sa_family == AF_INET6) {
		*n = 16;
		return ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	}
	*n = 4;
	return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
}

bool
notify_rate_ok(const struct sockaddr *sa, int limit, int64_t now)
{
	size_t		 n;
	const uint8_t	*b = addr_bytes(sa, &n);
	struct bucket	*s;

	if (rl == NULL)
		rl = xcalloc(RL_SLOTS, sizeof(*rl));
	s = &rl[util_keyed_hash(b, n) % RL_SLOTS];
	if (s->at == 0)
		bucket_init(s, limit, now);
	return bucket_take(s, limit, limit, now);
}

/* notify.allow-notify-from, as pdns's: who may send an unsigned NOTIFY. */
static bool
allowed_from(const struct sockaddr *sa)
{
	for (int i = 0; i < nfrom; i++)
		if (master_mask_match(&from_masks[i], sa))
			return true;
	return false;
}

/* Whether sa's address (any port) is one of the n in list. */
static bool
in_list(const struct master_addr *list, int n, const struct sockaddr *sa, socklen_t len)
{
	for (int i = 0; i < n; i++)
		if (master_host_eq(&list[i], sa, len))
			return true;
	return false;
}

static bool
is_trusted(const struct sockaddr *sa, socklen_t len)
{
	return in_list(trusted, ntrusted, sa, len);
}

static void
send_reply(int fd, ldns_pkt *p, const struct notify_sig *sig, const struct sockaddr *to,
    socklen_t tolen)
{
	uint8_t	*w = NULL, buf[1024];
	size_t	 n;
	int	 k;

	if (ldns_pkt2wire(&w, p, &n) != LDNS_STATUS_OK) {
		free(w);
		return;
	}
	if (sig->key != NULL && n < sizeof(buf)) {
		memcpy(buf, w, n);
		if ((k = tsig_sign_reply(sig->key, buf, n, sizeof(buf), sig->mac,
		    sig->maclen)) > 0)
			(void)sendto(fd, buf, (size_t)k, 0, to, tolen);
	} else
		(void)sendto(fd, w, n, 0, to, tolen);
	free(w);
}

/*
 * Answer to a message we do not take apart: the header with QR and the
 * opcode asked, and its question when it has exactly one that fits (a
 * proxy's health check wants it back).
 */
static void
reply_header(int fd, const uint8_t *q, size_t n, ldns_pkt_rcode rc,
    const struct sockaddr *to, socklen_t tolen)
{
	uint8_t	 h[12 + 255 + 4];
	size_t	 len = 12, i = 12;

	memcpy(h, q, 2);
	h[2] = (uint8_t)(0x80 | (q[2] & 0x78));	/* QR, the opcode asked */
	h[3] = (uint8_t)rc;
	memset(h + 4, 0, 8);
	if (q[4] == 0 && q[5] == 1) {		/* one question: its name, type, class */
		while (i < n && q[i] != 0 && q[i] < 64 && i - 12 < 255)
			i += (size_t)q[i] + 1;
		if (i < n && q[i] == 0 && i + 5 <= n && i + 5 - 12 <= 255 + 4) {
			memcpy(h + 12, q + 12, i + 5 - 12);
			len = i + 5;
			h[5] = 1;
		}
	}
	(void)sendto(fd, h, len, 0, to, tolen);
}

static void
refused(const char *zone, const char *who, const char *why)
{
	stats.notify_refused++;
	log_ratelimited(&refused_log, util_now_ms(), DROPLOG_MS, "notify for %s from %s "
	    "refused: %s (%" PRIu64 " refused in all)", zone, who, why, stats.notify_refused);
}

/*
 * A signed NOTIFY must verify with the zone's key; then it counts from any
 * address, since only the key's holders can sign, and the answer is signed.
 */
static bool
signed_ok(const struct zone *z, const uint8_t *msg, size_t len, struct notify_sig *sig,
    char *e, size_t elen)
{
	const struct keys_entry	*ke = keys_find(z->id);
	struct tsig_verify	 tv;

	if (ke == NULL || !ke->has_key) {
		snprintf(e, elen, "%s", ke != NULL && ke->bad ? ke->err : "the zone has no TSIG key");
		return false;
	}
	tsig_verify_init(&tv, &ke->key, NULL, 0);
	if (tsig_verify_msg(&tv, msg, len, e, elen) == -1)
		return false;
	sig->key = &ke->key;
	sig->maclen = tv.prevlen;
	memcpy(sig->mac, tv.prev, tv.prevlen);
	return true;
}

/* Who may notify the zone, and what it sets off. */
static enum notify_verdict
policy(int fd, const char *name, const struct sockaddr *from, socklen_t flen,
    const struct sockaddr *to, socklen_t tolen, bool relay, bool has_serial, uint32_t serial,
    const uint8_t *msg, size_t len, const char *keyname, struct notify_sig *sig)
{
	struct zone		*z = zone_by_name(name);
	struct master_addr	 fa;
	char			 who[80], e[200];
	int			 idx = -1;
	bool			 allowed = relay || allowed_from(from);

	memcpy(&fa.ss, from, flen);
	fa.len = flen;
	master_fmt(&fa, who, sizeof(who));
	if (z == NULL) {
		enum notify_verdict v = autoprimary_notify(fd, msg, len, from, flen, to, tolen,
		    name, keyname, allowed, sig);
		if (v == NOTIFY_UNKNOWN)
			refused(name, who, "not a SLAVE zone here");
		return v;
	}
	for (int i = 0; i < z->nmasters && idx == -1; i++)
		if (master_host_eq(&z->masters[i]->addr, from, flen))
			idx = i;
	if (keyname != NULL) {
		if (!signed_ok(z, msg, len, sig, e, sizeof(e))) {
			refused(name, who, e);
			return NOTIFY_BADTSIG;
		}
		relay = true;
	} else if (!allowed) {
		refused(name, who, "unsigned, and not in notify.allow-notify-from");
		return NOTIFY_STRANGER;
	}
	if (idx == -1 && !relay) {
		refused(name, who, "not one of its masters, nor trusted");
		return NOTIFY_STRANGER;
	}
	stats.notifies++;
	if (sched_standby()) {
		log_debug("zone %s: NOTIFY from %s: this node is the standby (ha); the "
		    "leader gets its own", z->name, who);
		return NOTIFY_ACCEPT;
	}
	if (has_serial && z->has_soa && zone_serial_cmp(z->serial, serial) != -1) {
		log_debug("zone %s: NOTIFY from %s with serial %u, ours %u: nothing to do",
		    z->name, who, serial, z->serial);
		return NOTIFY_ACCEPT;
	}
	if (z->state == ZONE_IDLE || (z->state == ZONE_QUEUED && !z->in_urgent))
		log_info("zone %s: NOTIFY from %s%s; checking now", z->name, who,
		    keyname != NULL ? " (signed)" : idx == -1 ? " (trusted)" : "");
	sched_notify(z, idx);
	return NOTIFY_ACCEPT;
}

static ldns_pkt_rcode
verdict_rcode(enum notify_verdict v)
{
	switch (v) {
	case NOTIFY_ACCEPT:
	case NOTIFY_AP_CREATED:
		return LDNS_RCODE_NOERROR;
	case NOTIFY_BADTSIG:
		return LDNS_RCODE_NOTAUTH;
	case NOTIFY_AP_FAILED:
		return LDNS_RCODE_SERVFAIL;
	default:
		return LDNS_RCODE_REFUSED;
	}
}

/* The answer to q: its ID and question, QR, AA when taken, the verdict's rcode. */
static void
answer_pkt(int fd, const ldns_pkt *q, const ldns_rr *qr, enum notify_verdict v,
    const struct notify_sig *sig, const struct sockaddr *to, socklen_t tolen)
{
	ldns_pkt	*r = ldns_pkt_new();

	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_aa(r, v == NOTIFY_ACCEPT || v == NOTIFY_AP_CREATED);
	ldns_pkt_set_opcode(r, LDNS_PACKET_NOTIFY);
	ldns_pkt_set_rcode(r, verdict_rcode(v));
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qr));
	send_reply(fd, r, sig, to, tolen);
	answered++;
	ldns_pkt_free(r);
}

void
notify_answer(int fd, const uint8_t *msg, size_t n, enum notify_verdict v,
    const struct notify_sig *sig, const struct sockaddr *to, socklen_t tolen)
{
	ldns_pkt	*q = NULL;
	ldns_rr		*qr;

	if (ldns_wire2pkt(&q, msg, n) != LDNS_STATUS_OK)
		return;			/* it parsed when it came */
	if ((qr = ldns_rr_list_rr(ldns_pkt_question(q), 0)) != NULL)
		answer_pkt(fd, q, qr, v, sig, to, tolen);
	ldns_pkt_free(q);
}

/*
 * One NOTIFY from from (the sender, or the client a proxy named); answers
 * go to to (the sender itself, the proxy).
 */
static void
handle(int fd, const uint8_t *buf, size_t n, const struct sockaddr *from, socklen_t flen,
    const struct sockaddr *to, socklen_t tolen)
{
	ldns_pkt		*q = NULL;
	ldns_rr			*qr;
	char			*name, *keyname = NULL, who[80];
	struct master_addr	 fa;
	bool			 has_serial = false;
	uint32_t		 serial = 0;
	enum notify_verdict	 v;
	struct notify_sig	 sig;
	bool			 trusted_src;
	int			 limit;

	if (n < 12 || (buf[2] & 0x80))
		return;				/* a runt or a response: no answer */
	trusted_src = is_trusted(from, flen);
	limit = trusted_src ? trusted_rate : rate;
	if (!notify_rate_ok(from, limit, util_now_ms())) {
		dropped++;
		memcpy(&fa.ss, from, flen);
		fa.len = flen;
		master_fmt(&fa, who, sizeof(who));
		log_ratelimited(&drop_log, util_now_ms(), DROPLOG_MS, "notify: over %d a "
		    "second from %s: dropping (%" PRIu64 " dropped in all)", limit, who,
		    dropped);
		return;
	}
	if (((buf[2] >> 3) & 0x0f) != LDNS_PACKET_NOTIFY) {
		reply_header(fd, buf, n, LDNS_RCODE_NOTIMPL, to, tolen);
		return;
	}
	if (!tsig_wire_ok(buf, n) || ldns_wire2pkt(&q, buf, n) != LDNS_STATUS_OK) {
		reply_header(fd, buf, n, LDNS_RCODE_FORMERR, to, tolen);
		return;
	}
	if (ldns_pkt_qdcount(q) != 1 ||
	    (qr = ldns_rr_list_rr(ldns_pkt_question(q), 0)) == NULL ||
	    ldns_rr_get_type(qr) != LDNS_RR_TYPE_SOA ||
	    ldns_rr_get_class(qr) != LDNS_RR_CLASS_IN) {
		reply_header(fd, buf, n, LDNS_RCODE_FORMERR, to, tolen);
		ldns_pkt_free(q);
		return;
	}
	for (size_t i = 0; i < ldns_pkt_ancount(q); i++) {
		ldns_rr *a = ldns_rr_list_rr(ldns_pkt_answer(q), i);
		if (ldns_rr_get_type(a) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(a) == 7 &&
		    ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(qr)) == 0) {
			serial = ldns_rdf2native_int32(ldns_rr_rdf(a, 2));
			has_serial = true;
		}
	}
	if ((name = ldns_rdf2str(ldns_rr_owner(qr))) == NULL ||
	    (ldns_pkt_tsig(q) != NULL &&
	    (keyname = ldns_rdf2str(ldns_rr_owner(ldns_pkt_tsig(q)))) == NULL)) {
		free(name);
		ldns_pkt_free(q);
		return;
	}
	if (keyname != NULL && strlen(keyname) > 1 && keyname[strlen(keyname) - 1] == '.')
		keyname[strlen(keyname) - 1] = '\0';	/* as pdns stores it */
	zone_name_canon(name);
	memset(&sig, 0, sizeof(sig));
	v = policy(fd, name, from, flen, to, tolen, trusted_src, has_serial, serial, buf, n,
	    keyname, &sig);
	free(name);
	free(keyname);
	if (v != NOTIFY_DEFERRED && v != NOTIFY_DROPPED) {
		if ((unsigned)v < NITEMS(stats.notify_by))
			stats.notify_by[v]++;
		answer_pkt(fd, q, qr, v, &sig, to, tolen);
	}
	ldns_pkt_free(q);
}

int
notify_proxy_header(const uint8_t *b, size_t n, const struct sockaddr *proxy, socklen_t plen,
    struct sockaddr_storage *real, socklen_t *rlen)
{
	static const uint8_t	 sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a,
				    0x51, 0x55, 0x49, 0x54, 0x0a };
	size_t			 len;

	if (n < 16 || memcmp(b, sig, sizeof(sig)) != 0 || (b[12] >> 4) != 2)
		return -1;
	len = (size_t)(b[14] << 8 | b[15]);
	if (16 + len > n || (b[12] & 0x0f) > 1)
		return -1;
	memset(real, 0, sizeof(*real));
	if ((b[12] & 0x0f) == 0 || (b[13] >> 4) == 0) {
		/* LOCAL (a health check) or UNSPEC: the proxy speaks for itself */
		memcpy(real, proxy, plen);
		*rlen = plen;
		return (int)(16 + len);
	}
	if ((b[13] & 0x0f) != 1 && (b[13] & 0x0f) != 2)
		return -1;			/* STREAM or DGRAM only */
	if ((b[13] >> 4) == 1 && len >= 12) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)real;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, b + 16, 4);
		memcpy(&s4->sin_port, b + 24, 2);
		*rlen = sizeof(*s4);
	} else if ((b[13] >> 4) == 2 && len >= 36) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)real;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b + 16, 16);
		memcpy(&s6->sin6_port, b + 48, 2);
		*rlen = sizeof(*s6);
	} else
		return -1;
	return (int)(16 + len);		/* TLVs skipped */
}

static bool
is_proxy(const struct sockaddr *sa, socklen_t len)
{
	return in_list(proxies, nproxies, sa, len);
}

/*
 * The kernel counts the datagrams it dropped because the socket's buffer
 * was full, and with SO_RXQ_OVFL hands its count (then) with each datagram
 * read.  What it dropped after the last one shows with the next.
 */
static void
count_lost(struct listener *l, struct msghdr *mh)
{
	struct cmsghdr	*cm;
	uint32_t	 v, n;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_RXQ_OVFL ||
		    cm->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(cm), sizeof(v));
		if (v == l->overflows)
			return;
		n = v - l->overflows;		/* the kernel's counter wraps */
		l->overflows = v;
		lost += n;
		log_ratelimited(&l->lost_log, util_now_ms(), DROPLOG_MS, "notify: %" PRIu32
		    " datagrams lost on %s: its receive buffer was full (%" PRIu64
		    " lost in all; net.core.rmem_max, and a master's or pdns's burst, "
		    "decide it)", n, l->name, lost);
		return;
	}
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct listener		*l = arg;
	uint8_t			 buf[4096];
	union {
		struct cmsghdr	 hdr;
		uint8_t		 b[CMSG_SPACE(sizeof(uint32_t))];
	}			 ctl;
	struct sockaddr_storage	 from, real;
	struct iovec		 iov;
	struct msghdr		 mh;
	socklen_t		 flen, rlen;
	ssize_t			 n;
	int			 h;

	(void)what;
	for (int i = 0; i < READS_PER_EVENT; i++) {
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		n = recvmsg(fd, &mh, 0);
		if (n == -1)
			return;		/* EAGAIN: drained */
		count_lost(l, &mh);
		flen = mh.msg_namelen;
		if (!is_proxy((struct sockaddr *)&from, flen)) {
			handle(fd, buf, (size_t)n, (struct sockaddr *)&from, flen,
			    (struct sockaddr *)&from, flen);
			continue;
		}
		/* A proxy (dnsdist, useProxyProtocol) says whose datagram it is. */
		if ((h = notify_proxy_header(buf, (size_t)n, (struct sockaddr *)&from, flen,
		    &real, &rlen)) == -1) {
			struct master_addr	 fa;
			char			 who[80];

			memcpy(&fa.ss, &from, flen);
			fa.len = flen;
			master_fmt(&fa, who, sizeof(who));
			dropped++;
			log_ratelimited(&proxy_log, util_now_ms(), DROPLOG_MS, "notify: a datagram "
			    "from proxy %s without a valid PROXY v2 header: dropped (%" PRIu64
			    " dropped in all)", who, dropped);
			continue;
		}
		handle(fd, buf + h, (size_t)n - (size_t)h, (struct sockaddr *)&real, rlen,
		    (struct sockaddr *)&from, flen);
	}
}

void
notify_set_conf(const struct conf *c)
{
	char	 err[160];

	rate = c->notify_rate;
	trusted_rate = c->notify_trusted_rate;
	nfrom = 0;
	for (int i = 0; i < c->n_notify_from && nfrom < TRUSTED_MAX; i++)
		if (master_parse_mask(c->notify_from[i], &from_masks[nfrom], err,
		    sizeof(err)) == 0)
			nfrom++;
	nproxies = 0;
	for (int i = 0; i < c->n_notify_proxies && nproxies < TRUSTED_MAX; i++)
		if (master_parse(c->notify_proxies[i], &proxies[nproxies], 1, err,
		    sizeof(err)) == 1)
			nproxies++;
	ntrusted = 0;
	for (int i = 0; i < c->n_notify_trusted && ntrusted < TRUSTED_MAX; i++)
		if (master_parse(c->notify_trusted[i], &trusted[ntrusted], 1, err,
		    sizeof(err)) == 1)
			ntrusted++;
}

int
notify_start(struct event_base *base, char *err, size_t errlen)
{
	for (int i = 0; i < nlis; i++) {
		lis[i].ev = event_new(base, lis[i].fd, EV_READ | EV_PERSIST, on_read, &lis[i]);
		if (lis[i].ev == NULL || event_add(lis[i].ev, NULL) == -1) {
			snprintf(err, errlen, "notify: event_add failed");
			return -1;
		}
	}
	return 0;
}

int
notify_bind(const struct conf *c, char *err, size_t errlen)
{
	notify_set_conf(c);
	if (c->n_notify_listen > LISTEN_MAX) {
		snprintf(err, errlen, "notify.listen: more than %d addresses", LISTEN_MAX);
		return -1;
	}
	for (int i = 0; i < c->n_notify_listen; i++) {
		struct master_addr	 ma;
		char			 e[160];
		int			 fd, one = 1, rcvbuf, got;
		socklen_t		 glen;

		if (master_parse(c->notify_listen[i], &ma, 1, e, sizeof(e)) != 1) {
			snprintf(err, errlen, "notify.listen '%s': %s", c->notify_listen[i], e);
			return -1;
		}
		fd = socket(ma.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			snprintf(err, errlen, "notify.listen '%s': socket: %s",
			    c->notify_listen[i], strerror(errno));
			return -1;
		}
		if (ma.ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		rcvbuf = RCVBUF_WANT;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
		got = 0;
		glen = sizeof(got);
		getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &glen);
		if (bind(fd, (struct sockaddr *)&ma.ss, ma.len) == -1) {
			snprintf(err, errlen, "notify.listen '%s': bind: %s",
			    c->notify_listen[i], strerror(errno));
			close(fd);
			return -1;
		}
		memset(&lis[nlis], 0, sizeof(lis[nlis]));
		lis[nlis].fd = fd;
		snprintf(lis[nlis].name, sizeof(lis[nlis].name), "%s", c->notify_listen[i]);
		nlis++;
		/* Linux reports twice what it grants: its bookkeeping's share. */
		if (got / 2 < RCVBUF_WANT)
			log_info("notify: listening on %s (receive buffer %d KiB of the "
			    "%d KiB wanted: net.core.rmem_max caps it; a burst of NOTIFYs "
			    "beyond it is lost)", c->notify_listen[i], got / 2 / 1024,
			    RCVBUF_WANT / 1024);
		else
			log_info("notify: listening on %s", c->notify_listen[i]);
	}
	return 0;
}

void
notify_stop(void)
{
	for (int i = 0; i < nlis; i++) {
		if (lis[i].ev != NULL)
			event_free(lis[i].ev);
		close(lis[i].fd);
	}
	nlis = 0;
	free(rl);
	rl = NULL;
}

void
notify_counters(uint64_t *a, uint64_t *d, uint64_t *l)
{
	*a = answered;
	*d = dropped;
	*l = lost;
}
