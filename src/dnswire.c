/*
 * dnswire: DNS wire format helpers shared by the SOA prober, transfers,
 * TSIG and the NOTIFY listener: names to wire, query building, rcode names
 * and record skipping without a parser.
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <string.h>

#include "dnswire.h"

int
dnswire_name(const char *zone, uint8_t *buf, size_t buflen)
{
	ldns_rdf	*rdf = NULL;
	size_t		 n;

	if (ldns_str2rdf_dname(&rdf, zone) != LDNS_STATUS_OK)
		return -1;
	n = ldns_rdf_size(rdf);
	if (n > buflen) {
		ldns_rdf_deep_free(rdf);
		return -1;
	}
	memcpy(buf, ldns_rdf_data(rdf), n);
	ldns_rdf_deep_free(rdf);
	for (size_t i = 0; i < n;) {		/* lowercase the labels */
		uint8_t ll = buf[i++];
		for (uint8_t j = 0; j < ll && i < n; j++, i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (uint8_t)(buf[i] + 32);
	}
	return (int)n;
}

int
dnswire_query(const char *zone, uint16_t qtype, uint16_t id, uint8_t *buf,
    size_t buflen)
{
	int	 n;

	if (buflen < DNS_HDR + 4)
		return -1;
	memset(buf, 0, DNS_HDR);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[5] = 1;				/* QDCOUNT */
	if ((n = dnswire_name(zone, buf + DNS_HDR, buflen - DNS_HDR - 4)) == -1)
		return -1;
	uint8_t *p = buf + DNS_HDR + n;
	p[0] = (uint8_t)(qtype >> 8);
	p[1] = (uint8_t)qtype;
	p[2] = 0;
	p[3] = LDNS_RR_CLASS_IN;
	return DNS_HDR + n + 4;
}

int
dnswire_ixfr_query(const char *zone, uint16_t id, uint32_t serial, uint8_t *buf,
    size_t buflen)
{
	/* RFC 1995 3: our SOA in the authority section; only its serial counts */
	static const uint8_t soa[] = { 0xc0, DNS_HDR, 0, LDNS_RR_TYPE_SOA, 0, LDNS_RR_CLASS_IN,
	    0, 0, 0, 0, 0, 22, 0, 0 };
	int	 n;

	if ((n = dnswire_query(zone, LDNS_RR_TYPE_IXFR, id, buf, buflen)) == -1 ||
	    (size_t)n + sizeof(soa) + 20 > buflen)
		return -1;
	buf[9] = 1;				/* NSCOUNT */
	memcpy(buf + n, soa, sizeof(soa));
	n += (int)sizeof(soa);
	buf[n++] = (uint8_t)(serial >> 24);
	buf[n++] = (uint8_t)(serial >> 16);
	buf[n++] = (uint8_t)(serial >> 8);
	buf[n++] = (uint8_t)serial;
	memset(buf + n, 0, 16);			/* refresh, retry, expire, minimum */
	return n + 16;
}

const char *
dnswire_rcode_name(unsigned rc, char *buf, size_t len)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);

	if (lt != NULL)
		return lt->name;
	snprintf(buf, len, "RCODE%u", rc);
	return buf;
}

int
dnswire_read_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out)
{
	size_t	 p = *pos, end = 0, o = 0;

	for (;;) {
		uint8_t	 c;

		if (p >= len)
			return -1;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (p + 1 >= len)
				return -1;
			t = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			/*
			 * Backwards only: a chain of pointers then ends, and a
			 * loop through labels ends at 255 bytes of name.  Never
			 * into the header: no name starts there.
			 */
			if (t >= p || t < DNS_HDR)
				return -1;
			if (end == 0)
				end = p + 2;
			p = t;
			continue;
		}
		if (c & 0xc0)			/* 0x40, 0x80: no such labels here */
			return -1;
		if (o + 1 + c > 255 || p + 1 + c > len)
			return -1;
		out[o++] = c;
		if (c == 0)
			break;
		for (size_t i = p + 1; i <= p + c; i++)
			out[o++] = msg[i] >= 'A' && msg[i] <= 'Z' ? (uint8_t)(msg[i] + 32) : msg[i];
		p += 1 + (size_t)c;
	}
	*pos = end != 0 ? end : p + 1;
	return (int)o;
}

bool
dnswire_skip_name(const uint8_t *p, size_t len, size_t *pos)
{
	while (*pos < len) {
		uint8_t c = p[*pos];
		if ((c & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= len;
		}
		*pos += 1 + (size_t)c;
		if (c == 0)
			return *pos <= len;
	}
	return false;
}

bool
dnswire_skip_records(const uint8_t *msg, size_t len, size_t *pos, unsigned nrr, unsigned *ntsig,
    unsigned tsig_from)
{
	unsigned	 qd = (unsigned)(msg[4] << 8 | msg[5]);

	*pos = 12;
	for (unsigned i = 0; i < qd; i++)
		if (!dnswire_skip_name(msg, len, pos) || (*pos += 4) > len)
			return false;
	for (unsigned i = 0; i < nrr; i++) {
		if (!dnswire_skip_name(msg, len, pos) || *pos + 10 > len)
			return false;
		if (ntsig != NULL && i >= tsig_from && (msg[*pos] << 8 | msg[*pos + 1]) == 250)
			(*ntsig)++;
		*pos += 10 + (size_t)(msg[*pos + 8] << 8 | msg[*pos + 9]);
		if (*pos > len)
			return false;
	}
	return true;
}

