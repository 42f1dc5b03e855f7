/*
 * axfr: validation of an AXFR stream (RFC 5936), fed message by message:
 * replies to our query only, the zone's SOA first and last, records of the
 * zone only (others dropped and counted), limits on the record count.
 * Pure: no I/O, no logging; the records go to an rr_set.
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axfr.h"
#include "dnswire.h"
#include "tsig.h"

int
axfr_init(struct axfr *ax, const char *zone, uint16_t id, long max_records,
    struct rr_set *set)
{
	int	 n;

	memset(ax, 0, sizeof(*ax));
	if ((n = dnswire_name(zone, ax->apex, sizeof(ax->apex))) == -1)
		return -1;
	ax->apexlen = (size_t)n;
	ax->zone = zone;
	ax->id = id;
	ax->max_records = max_records;
	ax->set = set;
	ax->style = AX_FULL;
	return 0;
}

void
axfr_want_ixfr(struct axfr *ax, uint32_t base, struct rr_set *delta)
{
	ax->ixfr = true;
	ax->style = AX_UNDECIDED;
	ax->base = base;
	ax->delta = delta;
}

static uint32_t
soa_serial(const ldns_rr *soa)
{
	return ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
}

void
axfr_free(struct axfr *ax)
{
	if (ax->soa != NULL)
		ldns_rr_free(ax->soa);
	ax->soa = NULL;
}

/* Is the (wire) name rdf at or below the apex?  Case-insensitive. */
static bool
in_zone(const struct axfr *ax, const ldns_rdf *name, bool *at_apex)
{
	const uint8_t	*d = ldns_rdf_data(name);
	size_t		 n = ldns_rdf_size(name), off = 0;

	*at_apex = false;
	if (n < ax->apexlen)
		return false;
	/* Walk labels to the suffix of the apex's length, on a label boundary. */
	while (n - off > ax->apexlen) {
		off += (size_t)d[off] + 1;
		if (off >= n)
			return false;
	}
	if (n - off != ax->apexlen)
		return false;
	for (size_t i = 0; i < ax->apexlen; i++) {
		uint8_t c = d[off + i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != ax->apex[i])
			return false;
	}
	*at_apex = off == 0;
	return true;
}

static bool
is_soa(const struct axfr *ax, const ldns_rr *rr)
{
	bool	 apex;

	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7 &&
	    in_zone(ax, ldns_rr_owner(rr), &apex) && apex;
}

/* A record kept out of the zone: another class, or outside the apex. */
static bool
dropped(struct axfr *ax, const ldns_rr *rr)
{
	bool	 apex;

	if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN && in_zone(ax, ldns_rr_owner(rr), &apex))
		return false;
	if (ax->dropped++ == 0) {
		char *s = ldns_rdf2str(ldns_rr_owner(rr));
		snprintf(ax->dropped_example, sizeof(ax->dropped_example), "%s", s ? s : "?");
		free(s);
	}
	return true;
}

static int
delta_add(struct axfr *ax, const ldns_rr *rr, char *err, size_t errlen)
{
	char	 e[160];
	size_t	 n = ax->delta->n;

	if (rr_set_add(ax->delta, rr, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	if (ax->delta->n == n + 1)
		ax->delta->rows[n].auth = ax->in_add;
	return 0;
}

/*
 * One record of IXFR deltas (RFC 1995 4): the old SOA, what it deletes, the
 * new SOA, what it adds, again for each version, and the first SOA to
 * close.  The versions must chain from ours to the master's.  Records pdns
 * does not store as they come (DNSSEC's chains and signatures, which it
 * drops or derives zone-wide) make the deltas unusable: the zone is then
 * transferred whole.
 */
static int
ixfr_rr(struct axfr *ax, ldns_rr *rr, bool last_in_msg, char *err, size_t errlen)
{
	uint16_t	 t = ldns_rr_get_type(rr);

	if (++ax->records > (size_t)ax->max_records) {
		ax->limit = true;
		snprintf(err, errlen, "more than %ld records (transfer.max-records)",
		    ax->max_records);
		return -1;
	}
	if (is_soa(ax, rr)) {
		uint32_t serial = soa_serial(rr);
		if (!ax->in_add) {		/* the version these deletions make */
			if ((int32_t)(serial - ax->from) <= 0) {	/* RFC 1982 */
				snprintf(err, errlen, "IXFR delta from serial %u to %u does "
				    "not go forward", ax->from, serial);
				ax->fallback = true;
				return -1;
			}
			ax->to = serial;
			ax->in_add = true;
			return delta_add(ax, rr, err, errlen);
		}
		if (ldns_rr_compare(rr, ax->soa) == 0 && serial == ax->to) {
			if (!last_in_msg) {
				snprintf(err, errlen, "records after the closing SOA");
				return -1;
			}
			ax->done = true;
			return 1;
		}
		if (serial != ax->to) {
			snprintf(err, errlen, "IXFR delta begins at serial %u, not at %u",
			    serial, ax->to);
			ax->fallback = true;
			return -1;
		}
		ax->from = serial;
		ax->in_add = false;
		ax->deltas++;
		return delta_add(ax, rr, err, errlen);
	}
	if (dropped(ax, rr))
		return 0;
	switch (t) {
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAM:
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_DNSKEY: {
		char *ts = ldns_rr_type2str(t);
		snprintf(err, errlen, "IXFR changes %s records, which pdns derives "
		    "zone-wide", ts ? ts : "DNSSEC");
		free(ts);
		ax->fallback = true;
		return -1;
	}
	default:
		return delta_add(ax, rr, err, errlen);
	}
}

static int
axfr_rr(struct axfr *ax, ldns_rr *rr, bool last_in_msg, char *err, size_t errlen)
{
	bool		 apex;
	uint16_t	 t = ldns_rr_get_type(rr);

	/*
	 * RFC 2181 8: a TTL is 0 to 2^31-1.  records.ttl is a signed INT, so
	 * PowerDNS cannot store more either (its own AXFR fails in the
	 * database on such a record).  Refuse the transfer here, naming the
	 * record, instead of in the middle of the write.
	 */
	if (ldns_rr_ttl(rr) > INT32_MAX) {
		char	*o = ldns_rdf2str(ldns_rr_owner(rr));
		char	*ts = ldns_rr_type2str(t);
		snprintf(err, errlen, "record %s %s has TTL %u, over 2^31-1 (RFC 2181 8)",
		    o ? o : "?", ts ? ts : "?", ldns_rr_ttl(rr));
		free(o);
		free(ts);
		return -1;
	}
	if (ax->soa == NULL) {
		if (t != LDNS_RR_TYPE_SOA || !in_zone(ax, ldns_rr_owner(rr), &apex) || !apex ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) != 7) {
			snprintf(err, errlen, "transfer does not begin with the zone's SOA");
			return -1;
		}
		ax->soa = ldns_rr_clone(rr);
		ax->records++;
		if (ax->style == AX_UNDECIDED)
			return 0;
		char e[160];
		if (rr_set_add(ax->set, rr, e, sizeof(e)) == -1) {
			snprintf(err, errlen, "SOA: %s", e);
			return -1;
		}
		return 0;
	}
	if (ax->style == AX_UNDECIDED) {
		/* RFC 1995 4: our SOA second means deltas, else the whole zone */
		if (is_soa(ax, rr) && soa_serial(rr) == ax->base &&
		    soa_serial(ax->soa) != ax->base) {
			ax->style = AX_INCR;
			ax->from = ax->base;
			ax->deltas = 1;
			ax->records++;
			return delta_add(ax, rr, err, errlen);	/* our SOA goes */
		}
		ax->style = AX_FULL;
		char e[160];
		if (rr_set_add(ax->set, ax->soa, e, sizeof(e)) == -1) {
			snprintf(err, errlen, "SOA: %s", e);
			return -1;
		}
	}
	if (ax->style == AX_INCR)
		return ixfr_rr(ax, rr, last_in_msg, err, errlen);
	if (t == LDNS_RR_TYPE_SOA && in_zone(ax, ldns_rr_owner(rr), &apex) && apex) {
		/* RFC 5936 2.2: the closing SOA is the first one again. */
		if (ldns_rr_compare(rr, ax->soa) != 0) {
			snprintf(err, errlen, "closing SOA differs from the opening SOA");
			return -1;
		}
		if (!last_in_msg) {
			snprintf(err, errlen, "records after the closing SOA");
			return -1;
		}
		ax->done = true;
		return 1;
	}
	if (++ax->records > (size_t)ax->max_records) {
		ax->limit = true;
		snprintf(err, errlen, "more than %ld records (transfer.max-records)",
		    ax->max_records);
		return -1;
	}
	if (dropped(ax, rr))
		return 0;
	char e[160];
	if (rr_set_add(ax->set, rr, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	return 0;
}

int
axfr_feed(struct axfr *ax, const uint8_t *msg, size_t len, char *err, size_t errlen)
{
	ldns_pkt	*pkt = NULL;
	ldns_rr_list	*an;
	size_t		 n;
	int		 rc = 0;

	if (ax->done) {
		snprintf(err, errlen, "message after the closing SOA");
		return -1;
	}
	if (len < 12 || (uint16_t)(msg[0] << 8 | msg[1]) != ax->id || !(msg[2] & 0x80)) {
		snprintf(err, errlen, "message %zu is not a reply to our AXFR", ax->msgs + 1);
		return -1;
	}
	if ((msg[3] & 0x0f) != LDNS_RCODE_NOERROR) {
		char rb[16];
		unsigned rcode = msg[3] & 0x0f;
		snprintf(err, errlen, "master answered %s%s", dnswire_rcode_name(rcode, rb,
		    sizeof(rb)), ax->ixfr ? " to IXFR" : "");
		/* a master without IXFR may still give the zone by AXFR */
		ax->fallback = ax->ixfr && ax->msgs == 0;
		ax->refused = ax->fallback && (rcode == LDNS_RCODE_NOTIMPL ||
		    rcode == LDNS_RCODE_FORMERR);
		return -1;
	}
	if (!tsig_wire_ok(msg, len) || ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "malformed message %zu", ax->msgs + 1);
		return -1;
	}
	ax->msgs++;
	if (ldns_pkt_qdcount(pkt) > 1) {
		snprintf(err, errlen, "message with %u questions", ldns_pkt_qdcount(pkt));
		rc = -1;
		goto out;
	}
	if (ldns_pkt_qdcount(pkt) == 1) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
		bool apex;
		if (ldns_rr_get_type(q) != (ax->ixfr ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_AXFR) ||
		    !in_zone(ax, ldns_rr_owner(q), &apex) || !apex) {
			snprintf(err, errlen, "reply question differs from ours");
			rc = -1;
			goto out;
		}
	}
	an = ldns_pkt_answer(pkt);
	n = ldns_rr_list_rr_count(an);
	if (n == 0) {
		snprintf(err, errlen, "empty message %zu in transfer", ax->msgs);
		ax->fallback = ax->refused = ax->ixfr && ax->msgs == 1;
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = axfr_rr(ax, ldns_rr_list_rr(an, i), i == n - 1, err, errlen);
	if (rc == 0 && ax->style == AX_UNDECIDED)
		rc = 2;		/* the SOA alone: up to date, or no IXFR here */
out:
	ldns_pkt_free(pkt);
	return rc;
}

