/*
 * soa_ref: the SOA checks' reference, for test_soa and fuzz_soa.  The
 * checks read replies off the wire; here is what they replaced, ldns's
 * parser with the same rules, and soa_ref_agree() says whether the two
 * agree on a reply: whatever either accepts, the other accepts with the
 * same serial and timers.  Three differences are meant: a name pointer
 * that points forwards (ldns follows it) is malformed; a record ends where
 * its RDLENGTH says (ldns ends it where its fields do); and of the records
 * a SOA check does not read (all but the question and SOA records) only
 * the bounds count, where ldns refuses a whole reply for one record's
 * rdata.
 */
#ifndef SOA_REF_H
#define SOA_REF_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <string.h>

#include "dnswire.h"
#include "soa.h"
#include "tsig.h"

static bool
ref_dname_eq(const ldns_rdf *a, const uint8_t *zw, size_t zlen)
{
	const uint8_t	*d = ldns_rdf_data(a);

	if (ldns_rdf_get_type(a) != LDNS_RDF_TYPE_DNAME || ldns_rdf_size(a) != zlen)
		return false;
	for (size_t i = 0; i < zlen; i++)
		if ((d[i] >= 'A' && d[i] <= 'Z' ? d[i] + 32 : d[i]) != zw[i])
			return false;
	return true;
}

/* SOA_OK with the fields, or SOA_BAD; ixfr: the first record, more than it? */
static enum soa_status
ref_check(const uint8_t *w, size_t n, uint16_t id, bool ixfr, const uint8_t *zw, size_t zlen,
    struct soa_result *r, bool *more)
{
	ldns_pkt	*pkt = NULL;
	ldns_rr		*q, *soa = NULL;
	ldns_rr_list	*an;
	enum soa_status	 st = SOA_BAD;

	memset(r, 0, sizeof(*r));
	if (n < DNS_HDR || (w[0] << 8 | w[1]) != id || !(w[2] & 0x80))
		return SOA_IGNORE;
	if (((w[2] >> 3) & 0x0f) != 0 || (w[3] & 0x0f) != 0)
		return SOA_BAD;
	if (w[2] & 0x02)
		return SOA_TRUNCATED;
	if (!(w[2] & 0x04) || !tsig_wire_ok(w, n) || ldns_wire2pkt(&pkt, w, n) != LDNS_STATUS_OK)
		return SOA_BAD;
	if (ldns_pkt_qdcount(pkt) != 1 || (q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) == NULL ||
	    ldns_rr_get_type(q) != (ixfr ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_SOA) ||
	    ldns_rr_get_class(q) != LDNS_RR_CLASS_IN || !ref_dname_eq(ldns_rr_owner(q), zw, zlen))
		goto out;
	an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		bool is_soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;
		if (ixfr && i == 0 && !is_soa)
			goto out;
		if (!is_soa || (ixfr && i > 0))
			continue;
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || !ref_dname_eq(ldns_rr_owner(rr), zw, zlen) ||
		    soa != NULL)
			goto out;
		soa = rr;
	}
	if (soa == NULL || ldns_rr_rd_count(soa) != 7)
		goto out;
	r->serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	r->refresh = ldns_rdf2native_int32(ldns_rr_rdf(soa, 3));
	r->retry = ldns_rdf2native_int32(ldns_rr_rdf(soa, 4));
	r->expire = ldns_rdf2native_int32(ldns_rr_rdf(soa, 5));
	*more = ldns_rr_list_rr_count(an) > 1;
	st = SOA_OK;
out:
	ldns_pkt_free(pkt);
	return st;
}

/*
 * Does a name in w use a pointer that points forwards (or to itself), or
 * into the header (ldns takes 1 to 11)?
 */
static bool
bad_pointer(const uint8_t *w, size_t n)
{
	for (size_t i = DNS_HDR; i + 1 < n; i++) {
		size_t t = (size_t)(w[i] & 0x3f) << 8 | w[i + 1];

		if ((w[i] & 0xc0) == 0xc0 && (t >= i || t < DNS_HDR))
			return true;
	}
	return false;
}

/*
 * Accepted by the wire check, refused by ldns: ldns reads every SOA of
 * the answer as the check did, and refuses some other record alone.
 */
static bool
lenient_only(const uint8_t *w, size_t n, const struct soa_result *a)
{
	size_t		 pos = DNS_HDR;
	unsigned	 an = (unsigned)(w[6] << 8 | w[7]);
	unsigned	 nrr = an + (unsigned)(w[8] << 8 | w[9]) + (unsigned)(w[10] << 8 | w[11]);
	bool		 other = false;

	if (!dnswire_skip_name(w, n, &pos) || (pos += 4) > n)
		return false;
	for (unsigned i = 0; i < nrr; i++) {
		size_t	 p2 = pos;
		ldns_rr	*rr = NULL;
		bool	 soa, same;

		if (!dnswire_skip_name(w, n, &pos) || pos + 10 > n)
			return false;
		soa = i < an && (w[pos] << 8 | w[pos + 1]) == LDNS_RR_TYPE_SOA;
		pos += 10 + (size_t)(w[pos + 8] << 8 | w[pos + 9]);
		if (ldns_wire2rr(&rr, w, n, &p2, i < an ? LDNS_SECTION_ANSWER :
		    LDNS_SECTION_ADDITIONAL) != LDNS_STATUS_OK || p2 != pos) {
			ldns_rr_free(rr);
			if (soa)
				return false;
			other = true;
			continue;
		}
		same = !soa || (ldns_rr_rd_count(rr) == 7 &&
		    ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)) == a->serial &&
		    ldns_rdf2native_int32(ldns_rr_rdf(rr, 5)) == a->expire);
		ldns_rr_free(rr);
		if (!same)
			return false;
	}
	return other;
}

/*
 * Does ldns end some record elsewhere than its RDLENGTH says (reading its
 * fields past the rdata, or stopping short of it)?  The wire check goes by
 * RDLENGTH, as RFC 1035 4.1.3 has it.
 */
static bool
rdlength_disagrees(const uint8_t *w, size_t n)
{
	size_t		 pos = DNS_HDR;
	unsigned	 nrr = (unsigned)(w[6] << 8 | w[7]) + (unsigned)(w[8] << 8 | w[9]) +
			    (unsigned)(w[10] << 8 | w[11]);

	if (!dnswire_skip_name(w, n, &pos) || (pos += 4) > n)
		return false;
	for (unsigned i = 0; i < nrr; i++) {
		size_t	 p2 = pos;
		ldns_rr	*rr = NULL;

		if (!dnswire_skip_name(w, n, &pos) || pos + 10 > n)
			return false;
		pos += 10 + (size_t)(w[pos + 8] << 8 | w[pos + 9]);
		if (pos > n)
			return false;
		if (ldns_wire2rr(&rr, w, n, &p2, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK &&
		    p2 != pos) {
			ldns_rr_free(rr);
			return true;
		}
		ldns_rr_free(rr);
	}
	return false;
}

enum soa_ref_kind { SOA_REF_SAME, SOA_REF_STRICTER, SOA_REF_LENIENT, SOA_REF_DIFFERENT };

/* Does the check's verdict (st, r) on w agree with the reference's? */
static enum soa_ref_kind
soa_ref_agree(const uint8_t *w, size_t n, uint16_t id, bool ixfr, const uint8_t *zw,
    size_t zlen, enum soa_status st, const struct soa_result *r)
{
	struct soa_result	 b;
	bool			 more = false;
	enum soa_status		 sb = ref_check(w, n, id, ixfr, zw, zlen, &b, &more);

	if (st == sb && (st != SOA_OK || (r->serial == b.serial && r->refresh == b.refresh &&
	    r->retry == b.retry && r->expire == b.expire && (!ixfr || (r->xfr != NULL) == more))))
		return SOA_REF_SAME;
	if (st == SOA_BAD && sb == SOA_OK && (bad_pointer(w, n) || rdlength_disagrees(w, n)))
		return SOA_REF_STRICTER;
	if (st == SOA_OK && sb == SOA_BAD && lenient_only(w, n, r))
		return SOA_REF_LENIENT;
	return SOA_REF_DIFFERENT;
}

#endif
