/* tsig: HMAC test vectors (RFC 2202, RFC 4231), and signing and
 * verifying against ldns's own TSIG code, including a stream. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <time.h>

#include "tsig.h"
#include "unit.h"

static const char *
hex(const uint8_t *p, int n)
{
	static char	 b[200];

	for (int i = 0; i < n; i++)
		snprintf(b + 2 * i, 3, "%02x", p[i]);
	return b;
}

static void
test_vectors(void)
{
	static const struct { const char *alg, *mac; } v[] = {
	    { "hmac-md5", "750c783e6ab0b503eaa86e310a5db738" },
	    { "hmac-sha1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	    { "hmac-sha224", "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44" },
	    { "hmac-sha256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	    { "hmac-sha384", "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		"8e2240ca5e69e2c78b3239ecfab21649" },
	    { "hmac-sha512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	};
	const char	*data = "what do ya want for nothing?";
	struct tsig_key	 k;
	uint8_t		 out[64];
	char		 err[200];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = tsig_key_init(&k, "jefe.", v[i].alg, "SmVmZQ==", err, sizeof(err));
		int n = rc == 0 ? tsig_hmac(&k, (const uint8_t *)data, strlen(data), out) : 0;
		CHECK_STR(n > 0 ? hex(out, n) : err, v[i].mac, "%s: RFC test vector", v[i].alg);
	}
	/* A key longer than the block is hashed first (RFC 4231 case 6). */
	uint8_t big[131];
	memset(big, 0xaa, sizeof(big));
	ldns_rdf *br = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, sizeof(big), big);
	char *b64 = ldns_rdf2str(br);
	tsig_key_init(&k, "big.", "hmac-sha256", b64, err, sizeof(err));
	free(b64);
	ldns_rdf_deep_free(br);
	const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	int n = tsig_hmac(&k, (const uint8_t *)d6, strlen(d6), out);
	CHECK_STR(hex(out, n), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    "hmac-sha256 with a 131-byte key (RFC 4231 case 6)");
	CHECK(tsig_key_init(&k, "x.", "hmac-whirlpool", "SmVmZQ==", err, sizeof(err)) == -1 &&
	    strstr(err, "hmac-whirlpool"), "unknown algorithm refused, named");
	CHECK(tsig_key_init(&k, "x.", "hmac-sha256", "!!!", err, sizeof(err)) == -1 &&
	    strstr(err, "base64"), "a secret that is not base64 refused");
	CHECK(tsig_key_init(&k, "x.", "HMAC-MD5.SIG-ALG.REG.INT.", "SmVmZQ==", err, sizeof(err)) == 0,
	    "hmac-md5 by its long name, any case");
}

/* A query signed by us verifies with ldns; answers signed by ldns verify with us. */
static void
test_ldns(const char *alg)
{
	const char	*secret = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3ODkw";
	struct tsig_key	 k;
	struct tsig_verify tv;
	uint8_t		 q[1024], mac[64];
	size_t		 maclen;
	char		 err[200];
	int		 n;
	ldns_pkt	*qp = NULL, *ap;
	ldns_rr		*rr = NULL;
	ldns_rdf	*qmac, *prev;
	uint8_t		*w;
	size_t		 wl;
	const char	*ldns_alg = strcmp(alg, "hmac-md5") == 0 ? "hmac-md5.sig-alg.reg.int." : alg;
	char		 la[64];

	snprintf(la, sizeof(la), "%s%s", ldns_alg, ldns_alg[strlen(ldns_alg) - 1] == '.' ? "" : ".");
	tsig_key_init(&k, "axfr-key.example.", alg, secret, err, sizeof(err));
	qp = ldns_pkt_query_new(ldns_dname_new_frm_str("example."), LDNS_RR_TYPE_AXFR,
	    LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(qp, 4242);
	ldns_pkt2wire(&w, qp, &wl);
	memcpy(q, w, wl);
	free(w);
	n = tsig_sign(&k, q, wl, sizeof(q), mac, &maclen);
	ldns_pkt_free(qp);
	qp = NULL;
	CHECK(n > 0 && ldns_wire2pkt(&qp, q, (size_t)n) == LDNS_STATUS_OK &&
	    ldns_pkt_tsig_verify(qp, q, (size_t)n, "axfr-key.example.", secret, NULL),
	    "%s: our signed query verifies with ldns", alg);
	ldns_pkt_free(qp);
	qmac = ldns_native2rdf_int16_data(maclen, mac);

	/* A three-message answer, each signed (ldns cannot sign around unsigned
	 * messages; NSD does, in tests/integration/14-tsig.sh). */
	tsig_verify_init(&tv, &k, mac, maclen);
	prev = qmac;
	bool all = true;
	uint8_t *keep[3];
	size_t keeplen[3];
	for (int i = 0; i < 3; i++) {
		ap = ldns_pkt_new();
		ldns_pkt_set_id(ap, 4242);
		ldns_pkt_set_qr(ap, true);
		ldns_rr_new_frm_str(&rr, i == 1 ? "www.example. 60 IN A 192.0.2.1" :
		    "example. 60 IN SOA ns. host. 1 2 3 4 5", 0, NULL, NULL);
		ldns_pkt_push_rr(ap, LDNS_SECTION_ANSWER, rr);
		{
			ldns_pkt_tsig_sign_next(ap, "axfr-key.example.", secret, 300, la, prev,
			    i == 0 ? 0 : 1);
			ldns_rr *t = ldns_pkt_tsig(ap);
			prev = ldns_rdf_clone(ldns_rr_rdf(t, 3));
		}
		ldns_pkt2wire(&w, ap, &wl);
		keep[i] = w;
		keeplen[i] = wl;
		if (tsig_verify_msg(&tv, w, wl, err, sizeof(err)) != 0) {
			all = false;
			printf("# %s message %d: %s\n", alg, i + 1, err);
		}
		ldns_pkt_free(ap);
	}
	CHECK(all && tsig_verify_end(&tv, err, sizeof(err)) == 0,
	    "%s: a three-message answer signed by ldns verifies", alg);
	/* The same stream with one byte of the second message changed. */
	tsig_verify_init(&tv, &k, mac, maclen);
	keep[1][13] ^= 1;	/* "www" becomes "vww" */
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = tsig_verify_msg(&tv, keep[i], keeplen[i], err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "BADSIG"), "%s: a changed byte in message 2 fails", alg);
	keep[1][13] ^= 1;	/* "www" becomes "vww" */
	/* Messages whose TSIG is cut off: unsigned. */
	uint8_t cut[512];
	size_t cutlen = keeplen[1];
	memcpy(cut, keep[1], cutlen);
	{	/* drop the TSIG RR: it is the last thing in the message */
		ldns_pkt *p = NULL;
		ldns_wire2pkt(&p, cut, cutlen);
		ldns_pkt_set_tsig(p, NULL);
		uint8_t *w2;
		ldns_pkt2wire(&w2, p, &cutlen);
		memcpy(cut, w2, cutlen);
		free(w2);
		ldns_pkt_free(p);
	}
	tsig_verify_init(&tv, &k, mac, maclen);
	tsig_verify_msg(&tv, keep[0], keeplen[0], err, sizeof(err));
	rc = tsig_verify_msg(&tv, cut, cutlen, err, sizeof(err));
	CHECK(rc == 0 && tsig_verify_end(&tv, err, sizeof(err)) == -1,
	    "%s: an unsigned message is taken in between, but a stream ending unsigned fails", alg);
	tsig_verify_init(&tv, &k, mac, maclen);
	CHECK(tsig_verify_msg(&tv, cut, cutlen, err, sizeof(err)) == -1 &&
	    strstr(err, "not signed"), "%s: an unsigned answer fails", alg);
	/* Another key. */
	struct tsig_key other;
	tsig_key_init(&other, "axfr-key.example.", alg, "b3RoZXItc2VjcmV0", err, sizeof(err));
	tsig_verify_init(&tv, &other, mac, maclen);
	CHECK(tsig_verify_msg(&tv, keep[0], keeplen[0], err, sizeof(err)) == -1 &&
	    strstr(err, "BADSIG"), "%s: the wrong secret fails", alg);
	for (int i = 0; i < 3; i++)
		free(keep[i]);
	ldns_rdf_deep_free(qmac);
	if (prev != qmac)
		ldns_rdf_deep_free(prev);
}

/*
 * Signed, unsigned, signed, built by hand from RFC 8945 4.3.2: the third
 * MAC covers the second MAC, the unsigned message as sent, the third
 * message without its TSIG, and the timers.  (ldns cannot sign around an
 * unsigned message, and NSD 4.6 signs every one.)
 */
static void
test_unsigned_between(void)
{
	const char	*secret = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3ODkw";
	struct tsig_key	 k;
	struct tsig_verify tv;
	uint8_t		 q[512], mac[64], dig[4096], s3[1024], mac3[64];
	size_t		 maclen, dl = 0, l1, l2, l3;
	char		 err[200];
	ldns_pkt	*p;
	ldns_rr		*rr = NULL;
	ldns_rdf	*qmac, *mac1;
	uint8_t		*w1, *w2, *w3;
	uint64_t	 now = (uint64_t)time(NULL);
	int		 n, rc;

	tsig_key_init(&k, "axfr-key.example.", "hmac-sha256", secret, err, sizeof(err));
	p = ldns_pkt_query_new(ldns_dname_new_frm_str("example."), LDNS_RR_TYPE_AXFR,
	    LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(p, 7);
	ldns_pkt2wire(&w1, p, &l1);
	memcpy(q, w1, l1);
	free(w1);
	ldns_pkt_free(p);
	n = tsig_sign(&k, q, l1, sizeof(q), mac, &maclen);
	qmac = ldns_native2rdf_int16_data(maclen, mac);
	/* 1: signed by ldns */
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, 7);
	ldns_pkt_set_qr(p, true);
	ldns_rr_new_frm_str(&rr, "example. 60 IN SOA ns. host. 1 2 3 4 5", 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_pkt_tsig_sign_next(p, "axfr-key.example.", secret, 300, "hmac-sha256.", qmac, 0);
	mac1 = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	ldns_pkt2wire(&w1, p, &l1);
	ldns_pkt_free(p);
	/* 2: unsigned */
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, 7);
	ldns_pkt_set_qr(p, true);
	ldns_rr_new_frm_str(&rr, "www.example. 60 IN A 192.0.2.1", 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_pkt2wire(&w2, p, &l2);
	ldns_pkt_free(p);
	/* 3: the closing SOA, signed by hand */
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, 7);
	ldns_pkt_set_qr(p, true);
	ldns_rr_new_frm_str(&rr, "example. 60 IN SOA ns. host. 1 2 3 4 5", 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_pkt2wire(&w3, p, &l3);
	ldns_pkt_free(p);
	size_t m1len = ldns_rdf_size(mac1) - 2;		/* the rdf holds length + MAC */
	dig[dl++] = (uint8_t)(m1len >> 8);
	dig[dl++] = (uint8_t)m1len;
	memcpy(dig + dl, ldns_rdf_data(mac1) + 2, m1len);
	dl += m1len;
	memcpy(dig + dl, w2, l2);
	dl += l2;
	memcpy(dig + dl, w3, l3);
	dl += l3;
	for (int i = 5; i >= 0; i--)
		dig[dl++] = (uint8_t)(now >> (8 * i));
	dig[dl++] = 300 >> 8;
	dig[dl++] = 300 & 0xff;
	n = tsig_hmac(&k, dig, dl, mac3);
	size_t o = l3;
	memcpy(s3, w3, l3);
	memcpy(s3 + o, k.namew, k.namelen);
	o += k.namelen;
	uint8_t fixed[10] = { 0, 250, 0, 255, 0, 0, 0, 0, 0, 0 };
	size_t rdl = k.alglen + 16 + (size_t)n;
	fixed[8] = (uint8_t)(rdl >> 8);
	fixed[9] = (uint8_t)rdl;
	memcpy(s3 + o, fixed, 10);
	o += 10;
	memcpy(s3 + o, k.algw, k.alglen);
	o += k.alglen;
	for (int i = 5; i >= 0; i--)
		s3[o++] = (uint8_t)(now >> (8 * i));
	s3[o++] = 300 >> 8;
	s3[o++] = 300 & 0xff;
	s3[o++] = 0;
	s3[o++] = (uint8_t)n;
	memcpy(s3 + o, mac3, (size_t)n);
	o += (size_t)n;
	s3[o++] = 0;			/* original ID 7 */
	s3[o++] = 7;
	memset(s3 + o, 0, 4);
	o += 4;
	s3[11] = 1;			/* ARCOUNT */

	tsig_verify_init(&tv, &k, mac, maclen);
	rc = tsig_verify_msg(&tv, w1, l1, err, sizeof(err));
	rc = rc ? rc : tsig_verify_msg(&tv, w2, l2, err, sizeof(err));
	rc = rc ? rc : tsig_verify_msg(&tv, s3, o, err, sizeof(err));
	rc = rc ? rc : tsig_verify_end(&tv, err, sizeof(err));
	if (rc != 0)
		printf("# %s\n", err);
	CHECK(rc == 0, "signed, unsigned, signed: the MAC over the unsigned message verifies");
	w2[l2 - 1] ^= 1;
	tsig_verify_init(&tv, &k, mac, maclen);
	rc = tsig_verify_msg(&tv, w1, l1, err, sizeof(err));
	rc = rc ? rc : tsig_verify_msg(&tv, w2, l2, err, sizeof(err));
	rc = rc ? rc : tsig_verify_msg(&tv, s3, o, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "BADSIG"), "a changed byte in the unsigned message fails the next MAC");
	free(w1);
	free(w2);
	free(w3);
	ldns_rdf_deep_free(qmac);
	ldns_rdf_deep_free(mac1);
}

/* make fuzz found it: two TSIG records in an additional section that runs
 * past the end, on which ldns_wire2pkt leaks; refused before ldns. */
static void
test_wire_ok(void)
{
	static const uint8_t leak[] = {
	    0x12, 0x34, 0x84, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x06,
	    0x00, 0x01, 0x00, 0xb1, 0x7b, 0x2c, 0x00, 0x20, 0x60, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0xfa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0xfa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	uint8_t ok[12] = { 0x12, 0x34, 0x84, 0 };

	CHECK(!tsig_wire_ok(leak, sizeof(leak)) && tsig_count(leak, sizeof(leak)) == -1,
	    "records past the end: refused before ldns reads them");
	CHECK(tsig_wire_ok(ok, sizeof(ok)) && tsig_count(ok, sizeof(ok)) == 0,
	    "a header alone: no records, fine");
}

int
main(void)
{
	test_wire_ok();
	test_unsigned_between();
	test_vectors();
	test_ldns("hmac-md5");
	test_ldns("hmac-sha1");
	test_ldns("hmac-sha256");
	test_ldns("hmac-sha512");
	UNIT_DONE();
}
