/*
 * Seed inputs for the fuzz targets from a zone file: the zone as an AXFR
 * stream (fuzz_axfr's format: a mode byte, then 2-byte length and message,
 * ...) and as a SOA reply (fuzz_soa).
 * usage: seeds ZONEFILE ORIGIN AXFR_SEED SOA_SEED
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>

static ldns_pkt *
msg(const ldns_rdf *origin, ldns_rr_type qt)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*q = ldns_rr_new();

	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_rr_set_owner(q, ldns_rdf_clone(origin));
	ldns_rr_set_type(q, qt);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	return p;
}

static void
put(FILE *f, ldns_pkt *p)
{
	uint8_t	*w;
	size_t	 n;

	if (ldns_pkt2wire(&w, p, &n) != LDNS_STATUS_OK)
		exit(1);
	fputc((int)(n >> 8), f);
	fputc((int)(n & 0xff), f);
	fwrite(w, 1, n, f);
	free(w);
	ldns_pkt_free(p);
}

int
main(int argc, char **argv)
{
	ldns_zone	*z = NULL;
	ldns_rdf	*origin = NULL;
	FILE		*in, *out;
	ldns_pkt	*p;
	uint8_t		*w;
	size_t		 n, nrr;

	if (argc != 5 || ldns_str2rdf_dname(&origin, argv[2]) != LDNS_STATUS_OK ||
	    (in = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: seeds ZONEFILE ORIGIN AXFR_SEED SOA_SEED\n");
		return 1;
	}
	/* Record by record: lines ldns cannot read are left out of the seed. */
	z = ldns_zone_new();
	{
		uint32_t	 ttl = 3600;
		ldns_rdf	*org = ldns_rdf_clone(origin), *prev = NULL;
		int		 line = 0;
		while (!feof(in)) {
			ldns_rr *rr = NULL;
			if (ldns_rr_new_frm_fp_l(&rr, in, &ttl, &org, &prev, &line) != LDNS_STATUS_OK)
				continue;
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_zone_soa(z) == NULL)
				ldns_zone_set_soa(z, rr);
			else
				ldns_zone_push_rr(z, rr);
		}
		ldns_rdf_deep_free(org);
		ldns_rdf_deep_free(prev);
	}
	if (ldns_zone_soa(z) == NULL) {
		fprintf(stderr, "seeds: no SOA in %s\n", argv[1]);
		return 1;
	}
	if ((out = fopen(argv[3], "w")) == NULL)
		return 1;
	fputc(5, out);				/* dnssec mode, with stored state */
	p = msg(origin, LDNS_RR_TYPE_AXFR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(ldns_zone_soa(z)));
	nrr = ldns_rr_list_rr_count(ldns_zone_rrs(z));
	for (size_t i = 0; i < nrr; i++) {
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
		    ldns_rr_clone(ldns_rr_list_rr(ldns_zone_rrs(z), i)));
		if (i % 20 == 19) {		/* several messages, each compressed */
			put(out, p);
			p = msg(origin, LDNS_RR_TYPE_AXFR);
		}
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(ldns_zone_soa(z)));
	put(out, p);
	fclose(out);
	p = msg(origin, LDNS_RR_TYPE_SOA);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(ldns_zone_soa(z)));
	if (ldns_pkt2wire(&w, p, &n) != LDNS_STATUS_OK || (out = fopen(argv[4], "w")) == NULL)
		return 1;
	fwrite(w, 1, n, out);
	fclose(out);
	free(w);
	ldns_pkt_free(p);
	ldns_zone_deep_free(z);
	ldns_rdf_deep_free(origin);
	fclose(in);
	return 0;
}
