/* axfr: AXFR stream validation (pure). */
#ifndef AXFR_H
#define AXFR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr.h"

/* What an IXFR answer turned out to be. */
enum axfr_style {
	AX_FULL,		/* an AXFR, or an IXFR answered AXFR-style: set */
	AX_UNDECIDED,		/* IXFR: only the first SOA so far */
	AX_INCR,		/* IXFR deltas: delta */
};

/* Validation state of one AXFR or IXFR stream, fed message by message. */
struct axfr {
	uint8_t		 apex[256];	/* lowercase wire name */
	size_t		 apexlen;
	const char	*zone;
	uint16_t	 id;
	ldns_rr		*soa;		/* first SOA */
	size_t		 msgs;
	bool		 done;
	long		 max_records;
	size_t		 records, dropped;
	bool		 limit;		/* failed on max_records */
	char		 dropped_example[128];
	struct rr_set	*set;
	/* IXFR (RFC 1995) */
	bool		 ixfr;
	uint8_t		 style;		/* enum axfr_style */
	bool		 in_add;	/* in a delta's additions */
	bool		 fallback;	/* an IXFR failure an AXFR may not have */
	bool		 refused;	/* ... the master does not do IXFR */
	uint32_t	 base;		/* our serial */
	uint32_t	 from, to;	/* the delta being read */
	size_t		 deltas;
	struct rr_set	*delta;		/* deltas in order: auth 1 added, 0 deleted */
};

/* Set up validation of an AXFR of zone into set. */
int		 axfr_init(struct axfr *, const char *zone, uint16_t id,
		    long max_records, struct rr_set *set);
/*
 * Make it an IXFR from our serial base: an AXFR-style answer goes to set
 * as an AXFR would, deltas to delta.
 */
void		 axfr_want_ixfr(struct axfr *, uint32_t base, struct rr_set *delta);
/*
 * Feed one message.  Returns 0 for more, 1 when the closing SOA arrived,
 * 2 when an IXFR's message held only the master's SOA (ax->soa: up to
 * date when not newer), -1 with the reason in err (fallback: try AXFR).
 * Pure: no I/O, no logging.
 */
int		 axfr_feed(struct axfr *, const uint8_t *msg, size_t len,
		    char *err, size_t errlen);
void		 axfr_free(struct axfr *);

#endif
