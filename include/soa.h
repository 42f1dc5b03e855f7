/* soa: asynchronous SOA queries over UDP (TCP on truncation), reply validation. */
#ifndef SOA_H
#define SOA_H

#include <event2/event.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "master.h"

enum soa_status {
	SOA_OK,
	SOA_TRUNCATED,		/* TC set: ask again over TCP */
	SOA_IGNORE,		/* not a reply to this query (ID, QR, source) */
	SOA_BAD,		/* a reply to this query that we cannot use */
	SOA_TIMEOUT,		/* nothing usable came back in time */
	SOA_NETERR,		/* could not be sent */
	SOA_LOCAL,		/* the zone's own trouble (key, source): not sent */
};

struct soa_result {
	enum soa_status	 status;
	uint32_t	 serial, refresh, retry, expire;
	int64_t		 rtt_ms;
	bool		 lame;		/* REFUSED, NOTAUTH or NXDOMAIN: not its zone */
	char		 err[160];
	/* An NS query's answer: the names, NUL-separated, valid in the callback. */
	const char	*ns;
	int		 nns;
	/*
	 * An IXFR query's answer of more than the SOA (a delta, or the zone
	 * AXFR-style): the message, valid in the callback, for the transfer
	 * to try before TCP.
	 */
	const uint8_t	*xfr;
	size_t		 xfrlen;
	/* The master refused or botched the IXFR query: asked by SOA instead. */
	bool		 ixfr_refused;
	char		 ixfr_why[96];
};

typedef void soa_cb(void *arg, const struct soa_result *);
struct soa_query;

/*
 * Start a SOA query for zone at a master: tries UDP attempts of timeout_ms,
 * each with a new random ID, every retry from a new random port.  cb runs exactly once,
 * from the event loop, unless the query is cancelled first.  NULL (errno
 * set) if not even the first datagram could be sent; cb does not run then.
 * With a key (copied), every query is signed and an answer must verify;
 * with src (AXFR-SOURCE), every socket is bound to it first.
 */
struct tsig_key;
struct soa_query *soa_query_start(struct event_base *, const char *zone,
		    const struct master_addr *, int timeout_ms, int tries,
		    const struct tsig_key *key, const struct master_addr *src,
		    soa_cb *cb, void *arg);
/*
 * The same, with the question an IXFR from our serial (RFC 1995 4): an
 * answer of the SOA alone is the serial, a longer one comes in xfr.  A
 * retry, and the answer to a reply that refuses or botches it, asks by SOA
 * (ixfr_refused then says why); a truncated reply, by SOA over TCP.
 */
struct soa_query *soa_ixfr_query_start(struct event_base *, const char *zone,
		    uint32_t serial, const struct master_addr *, int timeout_ms, int tries,
		    const struct tsig_key *key, const struct master_addr *src, soa_cb *cb,
		    void *arg);
/* A failed result: status st, the reason formatted into err. */
void		 soa_result_fail(struct soa_result *, enum soa_status st,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The same for the NS RRset of zone (autoprimary, as pdns asks it): a reply
 * to our question, NOERROR; the NS names of every section in message order,
 * without the trailing dot.  Unsigned.
 */
struct soa_query *soa_ns_query_start(struct event_base *, const char *zone,
		    const struct master_addr *, int timeout_ms, int tries, soa_cb *cb,
		    void *arg);
/* Pure check of an NS reply; names (NUL-separated) into buf. */
#define SOA_NS_MAX	32
enum soa_status	 soa_check_ns_reply(const uint8_t *pkt, size_t len, uint16_t id,
		    const uint8_t *zone_wire, size_t zone_len, struct soa_result *res,
		    char *buf, size_t buflen);
/* Stop a query; its callback will not run. */
void		 soa_query_cancel(struct soa_query *);
/*
 * UDP sockets are shared by the queries to one master that start close
 * together (see soa.c).  At most n idle ones are kept open (256 until set);
 * soa_close_idle closes them (and frees the finished queries kept for
 * reuse), and once no query is left the module lets go of its event base.
 * Counts: sockets opened, tries that found one open.
 */
void		 soa_set_idle_max(size_t n);
void		 soa_close_idle(void);
void		 soa_sock_counts(unsigned long *opened, unsigned long *used);

/*
 * Validate a reply to our SOA query for zone (wire name) with ID id: a
 * reply (QR), our ID, opcode QUERY, NOERROR, AA, our question, exactly one
 * SOA of the zone in the answer (RFC 1034 4.3.5, RFC 1035).  Pure; fills res.
 */
enum soa_status	 soa_check_reply(const uint8_t *pkt, size_t len, uint16_t id,
		    const uint8_t *zone_wire, size_t zone_len, struct soa_result *res);
/*
 * The same for our IXFR query: NOERROR, AA, our question, the zone's SOA
 * first in the answer (res->xfr set when more follows; the rest is the
 * transfer's to validate).
 */
enum soa_status	 soa_check_ixfr_reply(const uint8_t *pkt, size_t len, uint16_t id,
		    const uint8_t *zone_wire, size_t zone_len, struct soa_result *res);
#endif
