/* dnswire: names to wire, query building, rcode names, record skipping. */
#ifndef DNSWIRE_H
#define DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR		12

/* One DNS message, kept (an IXFR answer that came over UDP). */
struct dnsmsg {
	size_t		 len;
	uint8_t		 b[];
};

/* Zone name to lowercase wire form; returns length or -1. */
int		 dnswire_name(const char *zone, uint8_t *buf, size_t buflen);
/* A query message (RD clear) for zone/qtype into buf; returns its length or -1. */
int		 dnswire_query(const char *zone, uint16_t qtype, uint16_t id,
		    uint8_t *buf, size_t buflen);
/* An IXFR query for zone with our serial (RFC 1995); its length or -1. */
int		 dnswire_ixfr_query(const char *zone, uint16_t id, uint32_t serial,
		    uint8_t *buf, size_t buflen);
/* RCODE mnemonic ("REFUSED"), or "RCODEn" written into buf. */
const char	*dnswire_rcode_name(unsigned rcode, char *buf, size_t len);
/*
 * The name at *pos, uncompressed and in lowercase, into out (255 bytes);
 * *pos moves past the name's own bytes.  The length, or -1 for a name
 * that runs past len, is longer than 255, has a pointer that does not
 * point before itself or points into the header, or a label type other
 * than length and pointer.
 */
int		 dnswire_read_name(const uint8_t *msg, size_t len, size_t *pos,
		    uint8_t *out);
/* Skip a (possibly compressed) name at *pos; false if it runs past len. */
bool		 dnswire_skip_name(const uint8_t *msg, size_t len, size_t *pos);
/*
 * Skip the questions (at 12) and the first nrr records; false if they run
 * past len.  With ntsig, count the TSIG records among those from tsig_from.
 */
bool		 dnswire_skip_records(const uint8_t *msg, size_t len, size_t *pos,
		    unsigned nrr, unsigned *ntsig, unsigned tsig_from);

#endif
