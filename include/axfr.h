/* axfr: AXFR stream validation (pure). */
#ifndef AXFR_H
#define AXFR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr.h"

/* Validation state of one AXFR stream, fed message by message. */
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
};

/* Set up validation of an AXFR of zone into set. */
int		 axfr_init(struct axfr *, const char *zone, uint16_t id,
		    long max_records, struct rr_set *set);
/*
 * Feed one message.  Returns 0 for more, 1 when the closing SOA arrived,
 * -1 with the reason in err.  Pure: no I/O, no logging.
 */
int		 axfr_feed(struct axfr *, const uint8_t *msg, size_t len,
		    char *err, size_t errlen);
void		 axfr_free(struct axfr *);

#endif
