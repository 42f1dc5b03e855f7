/*
 * SOA reply validation, AXFR validation, and SOA queries on loopback
 * against masters that try to hold them open.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "dnswire.h"
#include "soa.h"
#include "unit.h"
#include "soa_ref.h"
#include "axfr.h"
#include "xfr.h"

static uint8_t	 zw[256];
static size_t	 zlen;

/* A reply to "example. SOA" with id 0x1234; tweak with the flags below. */
enum { F_NOAA = 1, F_TC = 2, F_NOQR = 4, F_BADQ = 8, F_PARENT = 16, F_TWO = 32,
    F_NOSOA = 64, F_UPPER = 128, F_OPCODE = 256 };

static size_t
reply(uint8_t **wire, int flags, ldns_pkt_rcode rcode, uint16_t id)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*q = NULL, *a = NULL;
	size_t		 n;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, !(flags & F_NOQR));
	ldns_pkt_set_aa(p, !(flags & F_NOAA));
	ldns_pkt_set_tc(p, (flags & F_TC) != 0);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (flags & F_OPCODE)
		ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
	ldns_rr_new_question_frm_str(&q, (flags & F_BADQ) ? "other. IN SOA" :
	    (flags & F_UPPER) ? "EXAMPLE. IN SOA" : "example. IN SOA", NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	if (!(flags & F_NOSOA)) {
		ldns_rr_new_frm_str(&a, (flags & F_PARENT) ?
		    ". 60 IN SOA a. b. 7 1 2 3 4" :
		    "Example. 60 IN SOA ns. host. 42 3600 600 86400 300", 0, NULL, NULL);
		ldns_pkt_push_rr(p, (flags & F_PARENT) ? LDNS_SECTION_AUTHORITY :
		    LDNS_SECTION_ANSWER, a);
		if (flags & F_TWO) {
			ldns_rr_new_frm_str(&a, "example. 60 IN SOA ns. host. 43 1 2 3 4", 0, NULL, NULL);
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, a);
		}
	}
	ldns_pkt2wire(wire, p, &n);
	ldns_pkt_free(p);
	return n;
}

static enum soa_status
chk(int flags, ldns_pkt_rcode rcode, uint16_t id, struct soa_result *r)
{
	uint8_t		*w = NULL;
	size_t		 n = reply(&w, flags, rcode, id);
	enum soa_status	 st = soa_check_reply(w, n, 0x1234, zw, zlen, r);

	free(w);
	return st;
}

static void
test_reply(void)
{
	struct soa_result r;

	CHECK(chk(0, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_OK && r.serial == 42 &&
	    r.refresh == 3600 && r.retry == 600 && r.expire == 86400, "good reply: serial and timers");
	CHECK(chk(F_UPPER, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_OK, "case differences in names accepted");
	CHECK(chk(0, LDNS_RCODE_NOERROR, 0x1235, &r) == SOA_IGNORE, "wrong ID ignored");
	CHECK(chk(F_NOQR, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_IGNORE, "QR clear ignored");
	CHECK(chk(F_OPCODE, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_BAD, "opcode NOTIFY refused");
	CHECK(chk(F_NOAA, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_BAD, "AA clear refused");
	CHECK(chk(0, LDNS_RCODE_REFUSED, 0x1234, &r) == SOA_BAD && strstr(r.err, "REFUSED"),
	    "REFUSED refused and named");
	CHECK(chk(0, LDNS_RCODE_SERVFAIL, 0x1234, &r) == SOA_BAD, "SERVFAIL refused");
	CHECK(chk(0, LDNS_RCODE_NOTAUTH, 0x1234, &r) == SOA_BAD, "NOTAUTH refused");
	CHECK(chk(F_PARENT | F_NOAA, LDNS_RCODE_NXDOMAIN, 0x1234, &r) == SOA_BAD,
	    "NXDOMAIN with the parent's SOA refused");
	CHECK(chk(F_PARENT, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_BAD,
	    "NOERROR with only a parent SOA in authority refused");
	CHECK(chk(F_TC, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_TRUNCATED, "TC asks for TCP");
	CHECK(chk(F_BADQ, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_BAD, "other question refused");
	CHECK(chk(F_TWO, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_BAD, "two SOA records refused");
	CHECK(chk(F_NOSOA, LDNS_RCODE_NOERROR, 0x1234, &r) == SOA_BAD, "no SOA refused");
	uint8_t junk[40] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, 0xff };
	CHECK(soa_check_reply(junk, sizeof(junk), 0x1234, zw, zlen, &r) == SOA_BAD, "malformed refused");
	CHECK(soa_check_reply(junk, 5, 0x1234, zw, zlen, &r) == SOA_IGNORE, "short datagram ignored");
}

/* An answer to "example. IXFR": the records given, one a string; flags as reply(). */
static enum soa_status
chk_ixfr(const char *const *rrs, int flags, ldns_pkt_rcode rcode, struct soa_result *r)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*q = NULL, *a;
	uint8_t		*w = NULL;
	size_t		 n;
	enum soa_status	 st;

	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, !(flags & F_NOAA));
	ldns_pkt_set_tc(p, (flags & F_TC) != 0);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_rr_new_question_frm_str(&q, (flags & F_BADQ) ? "example. IN SOA" :
	    "example. IN IXFR", NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	for (; *rrs != NULL; rrs++) {
		a = NULL;
		ldns_rr_new_frm_str(&a, *rrs, 0, NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, a);
	}
	ldns_pkt2wire(&w, p, &n);
	ldns_pkt_free(p);
	st = soa_check_ixfr_reply(w, n, 0x1234, zw, zlen, r);
	free(w);
	return st;
}

static void
test_ixfr_reply(void)
{
	static const char *const none[] = { NULL };
	static const char *const soa[] = { "example. 60 IN SOA ns. host. 44 3600 600 86400 300",
	    NULL };
	static const char *const delta[] = { "example. 60 IN SOA ns. host. 44 1 2 3 4",
	    "example. 60 IN SOA ns. host. 43 1 2 3 4", "a.example. 60 IN A 192.0.2.1",
	    "example. 60 IN SOA ns. host. 44 1 2 3 4", "a.example. 60 IN A 192.0.2.2",
	    "example. 60 IN SOA ns. host. 44 1 2 3 4", NULL };
	static const char *const afirst[] = { "a.example. 60 IN A 192.0.2.1",
	    "example. 60 IN SOA ns. host. 44 1 2 3 4", NULL };
	static const char *const other[] = { "other. 60 IN SOA ns. host. 44 1 2 3 4", NULL };
	struct soa_result r;

	CHECK(chk_ixfr(soa, 0, LDNS_RCODE_NOERROR, &r) == SOA_OK && r.serial == 44 &&
	    r.refresh == 3600 && r.xfr == NULL, "ixfr reply: the SOA alone is the serial");
	CHECK(chk_ixfr(delta, 0, LDNS_RCODE_NOERROR, &r) == SOA_OK && r.serial == 44 &&
	    r.xfr != NULL && r.xfrlen > 100, "ixfr reply: changes come with the serial");
	CHECK(chk_ixfr(none, 0, LDNS_RCODE_NOERROR, &r) == SOA_BAD,
	    "ixfr reply: an empty answer is refused");
	CHECK(chk_ixfr(afirst, 0, LDNS_RCODE_NOERROR, &r) == SOA_BAD,
	    "ixfr reply: an answer that does not start with the SOA is refused");
	CHECK(chk_ixfr(other, 0, LDNS_RCODE_NOERROR, &r) == SOA_BAD,
	    "ixfr reply: another zone's SOA is refused");
	CHECK(chk_ixfr(soa, F_BADQ, LDNS_RCODE_NOERROR, &r) == SOA_BAD,
	    "ixfr reply: an answer to another question is refused");
	CHECK(chk_ixfr(soa, F_NOAA, LDNS_RCODE_NOERROR, &r) == SOA_BAD,
	    "ixfr reply: AA clear is refused (a forwarder may pass on a SOA)");
	CHECK(chk_ixfr(none, 0, LDNS_RCODE_NOTIMPL, &r) == SOA_BAD && strstr(r.err, "NOTIMP"),
	    "ixfr reply: NOTIMP is refused and named");
	CHECK(chk_ixfr(none, F_TC, LDNS_RCODE_NOERROR, &r) == SOA_TRUNCATED,
	    "ixfr reply: TC asks for TCP");
}

static uint64_t	 rnd_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t below)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % below);
}

static size_t
wire_of(const char *const *rrs, bool ixfr, bool upper, uint8_t *out)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*q = NULL, *a;
	uint8_t		*w = NULL;
	size_t		 n;

	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_rr_new_question_frm_str(&q, ixfr ? (upper ? "EXAMPLE. IN IXFR" : "example. IN IXFR") :
	    (upper ? "EXAMPLE. IN SOA" : "example. IN SOA"), NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	for (int sec = 0; *rrs != NULL; rrs++) {
		if (strcmp(*rrs, "|") == 0) {	/* the next section */
			sec++;
			continue;
		}
		a = NULL;
		if (ldns_rr_new_frm_str(&a, *rrs, 0, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "# cannot parse %s\n", *rrs);
			abort();
		}
		ldns_pkt_push_rr(p, sec == 0 ? LDNS_SECTION_ANSWER : sec == 1 ?
		    LDNS_SECTION_AUTHORITY : LDNS_SECTION_ADDITIONAL, a);
	}
	ldns_pkt2wire(&w, p, &n);
	ldns_pkt_free(p);
	memcpy(out, w, n);
	free(w);
	return n;
}

/* The wire checks against soa_ref.h's reference, on replies mutated from real ones. */
static void
test_reply_vs_ldns(void)
{
	static const char *const seeds[][8] = {
	    { "example. 60 IN SOA ns.example. host.example. 42 3600 600 86400 300",
	      "|", "example. 60 IN NS ns.example.", "|", "ns.example. 60 IN A 192.0.2.1", NULL },
	    { "example. 60 IN SOA ns. host. 43 1 2 3 4", "www.example. 60 IN A 192.0.2.2", NULL },
	    { "Example. 60 IN SOA example. example. 44 5 6 7 8", "example. 60 IN SOA a. b. 1 2 3 4 5",
	      NULL },
	    { "example. 60 IN SOA ns.example. h.example. 45 1 2 3 4",
	      "example. 60 IN SOA ns.example. h.example. 44 1 2 3 4", "a.example. 60 IN A 192.0.2.1",
	      "example. 60 IN SOA ns.example. h.example. 45 1 2 3 4", NULL },
	};
	uint8_t			 seed[2][NITEMS(seeds)][2][512], w[700];
	size_t			 slen[2][NITEMS(seeds)][2];
	struct soa_result	 a;
	int			 diff = 0, ok = 0, fwd = 0, other = 0, tries = 0;

	for (int x = 0; x < 2; x++)
		for (size_t i = 0; i < NITEMS(seeds); i++)
			for (int u = 0; u < 2; u++)
				slen[x][i][u] = wire_of(seeds[i], x, u, seed[x][i][u]);
	for (int k = 0; k < 300000; k++) {
		int	 x = (int)rnd(2), i = (int)rnd(NITEMS(seeds)), u = (int)rnd(2);
		size_t	 n = slen[x][i][u];

		memcpy(w, seed[x][i][u], n);
		for (int m = (int)rnd(3); m >= 0; m--) {
			switch (rnd(6)) {
			case 0:	w[rnd((uint32_t)n)] = (uint8_t)rnd(256); break;
			case 1:	w[rnd((uint32_t)n)] ^= (uint8_t)(1 << rnd(8)); break;
			case 2:	n = rnd((uint32_t)n + 1); break;
			case 3:	while (n < sizeof(w) - 1 && rnd(4) != 0) w[n++] = (uint8_t)rnd(256); break;
			case 4:	if (n > 12) w[4 + 2 * rnd(4) + 1] += (uint8_t)(rnd(3) - 1); break;
			default:	if (n > 14) { size_t j = DNS_HDR + rnd((uint32_t)n - 13);
					w[j] = 0xc0; w[j + 1] = (uint8_t)rnd(256); } break;
			}
			if (n < 3)
				n = 3;
		}
		enum soa_status sa = x ? soa_check_ixfr_reply(w, n, 0x1234, zw, zlen, &a) :
		    soa_check_reply(w, n, 0x1234, zw, zlen, &a);
		enum soa_ref_kind v = soa_ref_agree(w, n, 0x1234, x, zw, zlen, sa, &a);
		tries++;
		if (sa == SOA_OK)
			ok++;
		fwd += v == SOA_REF_STRICTER;
		other += v == SOA_REF_LENIENT;
		if (v == SOA_REF_DIFFERENT && diff++ < 5) {
			printf("# %s: wire %d:", x ? "ixfr" : "soa", sa);
			for (size_t j = 0; j < n; j++)
				printf(" %02x", w[j]);
			printf("\n");
		}
	}
	printf("# %d replies, %d accepted; refused for a forward or header pointer or by RDLENGTH: %d; "
	    "accepted where ldns refused another record: %d\n", tries, ok, fwd, other);
	CHECK(diff == 0 && ok > 1000, "wire checks agree with ldns's parser on %d mutated replies "
	    "(%d accepted)", tries, ok);

	/*
	 * Found by fuzz_soa: the SOA's RNAME ends in a pointer into the
	 * header (offset 0), which reads as a label of header bytes.  ldns
	 * refuses a pointer to 0; no name starts in the header.
	 */
	static const uint8_t hdrptr[] = {
	    0x09, 0x00, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x00, 0x00, 0x06, 0x00,
	    0x01, 0xc0, 0x0c, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00,
	    0x27, 0x03, 0x6e, 0x73, 0x30, 0xc0, 0x0c, 0x0a, 0x68, 0x6f, 0x73, 0x74,
	    0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0xc0, 0x00, 0x00, 0x00, 0x0c, 0x78,
	    0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x03, 0x84, 0x00,
	    0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2c
	};
	for (int x = 0; x < 2; x++) {
		enum soa_status sa = x ? soa_check_ixfr_reply(hdrptr, sizeof(hdrptr), 0x0900, zw,
		    zlen, &a) : soa_check_reply(hdrptr, sizeof(hdrptr), 0x0900, zw, zlen, &a);
		CHECK(sa == SOA_BAD && soa_ref_agree(hdrptr, sizeof(hdrptr), 0x0900, x, zw, zlen,
		    sa, &a) != SOA_REF_DIFFERENT, "%s: a name that points into the header "
		    "is refused (%d)", x ? "ixfr" : "soa", sa);
	}
}

static void
test_query(void)
{
	uint8_t	 q[512];
	int	 n = dnswire_query("Example.COM", LDNS_RR_TYPE_SOA, 0xbeef, q, sizeof(q));

	CHECK(n == 12 + 13 + 4, "query length");
	CHECK(q[0] == 0xbe && q[1] == 0xef && q[2] == 0 && q[5] == 1, "query header: id, RD clear, one question");
	CHECK(memcmp(q + 12, "\7example\3com\0", 13) == 0, "query name lowercase wire");
	CHECK(q[25] == 0 && q[26] == 6 && q[28] == 1, "qtype SOA, class IN");
	CHECK(dnswire_query("a..b", LDNS_RR_TYPE_SOA, 1, q, sizeof(q)) == -1, "empty label refused");
}

/* ---- AXFR ---- */

static size_t
axfr_msg(uint8_t **w, uint16_t id, const char *const *rrs, int with_q)
{
	ldns_pkt	*p = ldns_pkt_new();
	size_t		 n;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	if (with_q) {
		ldns_rr *q = NULL;
		ldns_rr_new_question_frm_str(&q, "example. IN AXFR", NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	}
	for (; *rrs != NULL; rrs++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, *rrs, 60, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	ldns_pkt2wire(w, p, &n);
	ldns_pkt_free(p);
	return n;
}

#define SOA1 "example. 60 IN SOA ns. host. 5 1 2 3 4"
#define SOA2 "example. 60 IN SOA ns. host. 6 1 2 3 4"

/* Feed messages (NULL-separated lists) and return the last rc. */
static int
feed(struct rr_set *s, long maxrec, const char *const *const *msgs, char *err, size_t *records)
{
	struct axfr	 ax;
	int		 rc = 0;

	rr_set_init(s, "example");
	axfr_init(&ax, "example", 7, maxrec, s);
	for (int i = 0; msgs[i] != NULL && rc == 0; i++) {
		uint8_t *w = NULL;
		size_t n = axfr_msg(&w, 7, msgs[i], i == 0);
		rc = axfr_feed(&ax, w, n, err, 200);
		free(w);
	}
	if (records != NULL)
		*records = ax.dropped;
	axfr_free(&ax);
	return rc;
}

static void
test_axfr(void)
{
	struct rr_set	 s;
	char		 err[200];
	size_t		 dropped;
	static const char *const good1[] = { SOA1, "example. 60 IN NS ns.example.", NULL };
	static const char *const good2[] = { "www.example. 60 IN A 192.0.2.1", SOA1, NULL };
	static const char *const *const good[] = { good1, good2, NULL };
	static const char *const nosoa[] = { "www.example. 60 IN A 192.0.2.1", SOA1, NULL };
	static const char *const *const bad1[] = { nosoa, NULL };
	static const char *const diff2[] = { "www.example. 60 IN A 192.0.2.1", SOA2, NULL };
	static const char *const *const bad2[] = { good1, diff2, NULL };
	static const char *const *const open[] = { good1, NULL };
	static const char *const out2[] = { "www.other. 60 IN A 192.0.2.1",
	    "notexample. 60 IN A 192.0.2.2", "x.example. 60 IN A 192.0.2.3", SOA1, NULL };
	static const char *const *const outside[] = { good1, out2, NULL };
	static const char *const after[] = { SOA1, "z.example. 60 IN A 192.0.2.1", NULL };
	static const char *const *const trailing[] = { good1, after, NULL };
	static const char *const parent[] = { "com. 60 IN SOA ns. host. 5 1 2 3 4", SOA1, NULL };
	static const char *const *const wrongsoa[] = { parent, NULL };
	static const char *const bigttl[] = { "big.example. 2147483648 IN A 192.0.2.1", SOA1, NULL };
	static const char *const *const ttl[] = { good1, bigttl, NULL };
	static const char *const maxttl[] = { "max.example. 2147483647 IN A 192.0.2.1", SOA1, NULL };
	static const char *const *const ttlok[] = { good1, maxttl, NULL };

	CHECK(feed(&s, 100, good, err, NULL) == 1 && s.n == 3, "AXFR in two messages complete, 3 rows");
	rr_set_free(&s);
	CHECK(feed(&s, 100, bad1, err, NULL) == -1 && strstr(err, "begin"), "AXFR not starting with SOA refused");
	rr_set_free(&s);
	CHECK(feed(&s, 100, bad2, err, NULL) == -1 && strstr(err, "differs"), "closing SOA differing refused");
	rr_set_free(&s);
	CHECK(feed(&s, 100, open, err, NULL) == 0, "AXFR without closing SOA is not complete");
	rr_set_free(&s);
	CHECK(feed(&s, 100, outside, err, &dropped) == 1 && dropped == 2 && s.n == 3,
	    "records outside the zone dropped (also a name that only ends like it)");
	rr_set_free(&s);
	CHECK(feed(&s, 100, trailing, err, NULL) == -1, "records after the closing SOA refused");
	rr_set_free(&s);
	CHECK(feed(&s, 1, good, err, NULL) == -1 && strstr(err, "max-records"), "record limit enforced");
	rr_set_free(&s);
	CHECK(feed(&s, 100, wrongsoa, err, NULL) == -1, "AXFR starting with the parent's SOA refused");
	rr_set_free(&s);
	CHECK(feed(&s, 100, ttl, err, NULL) == -1 &&
	    strstr(err, "big.example. A has TTL 2147483648") != NULL,
	    "a TTL over 2^31-1 refuses the transfer, naming the record");
	rr_set_free(&s);
	CHECK(feed(&s, 100, ttlok, err, NULL) == 1, "a TTL of 2^31-1 is accepted");
	rr_set_free(&s);

	/* A wrong ID and an error rcode. */
	struct axfr ax;
	uint8_t *w = NULL;
	size_t n = axfr_msg(&w, 8, good1, 1);
	rr_set_init(&s, "example");
	axfr_init(&ax, "example", 7, 100, &s);
	CHECK(axfr_feed(&ax, w, n, err, sizeof(err)) == -1, "AXFR message with another ID refused");
	w[1] = 7;
	w[3] = (w[3] & 0xf0) | LDNS_RCODE_NOTAUTH;
	CHECK(axfr_feed(&ax, w, n, err, sizeof(err)) == -1 && strstr(err, "NOTAUTH"),
	    "AXFR NOTAUTH ends the transfer");
	free(w);
	axfr_free(&ax);
	rr_set_free(&s);
}

/*
 * A master that holds a query open: it answers each UDP query with a
 * stream of wrong-ID datagrams (every 50 ms), or with TC and then a TCP
 * answer one byte every 50 ms.  The query must end at its deadline.
 */
struct holder {
	struct event_base	*base;
	int			 udp, lis, tcp;
	int			 sent;		/* TCP bytes dripped */
	bool			 tc;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	uint8_t			 qid[2];
	bool			 have_peer;
	bool			 done;
	struct soa_result	 res;
	int64_t			 ended;
};

static void
holder_udp(evutil_socket_t fd, short ev, void *arg)
{
	struct holder	*h = arg;
	uint8_t		 b[512];
	ssize_t		 n;

	(void)ev;
	h->peerlen = sizeof(h->peer);
	n = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&h->peer, &h->peerlen);
	if (n < 12)
		return;
	h->have_peer = true;
	memcpy(h->qid, b, 2);
	if (h->tc) {		/* our ID, QR, TC: go to TCP */
		b[2] = 0x82;
		b[3] = 0;
		sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&h->peer, h->peerlen);
	}
}

static void
holder_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct holder	*h = arg;
	uint8_t		 junk[12] = { 0 };

	(void)fd;
	(void)ev;
	if (h->tcp != -1) {	/* a 256-byte message, a byte at a time */
		(void)write(h->tcp, h->sent++ == 0 ? "\1" : "\0", 1);
		return;
	}
	if (!h->have_peer || h->tc)
		return;
	junk[0] = (uint8_t)(h->qid[0] ^ 0x55);	/* wrong ID */
	junk[1] = h->qid[1];
	junk[2] = 0x84;
	sendto(h->udp, junk, sizeof(junk), 0, (struct sockaddr *)&h->peer, h->peerlen);
}

static void
holder_accept(evutil_socket_t fd, short ev, void *arg)
{
	struct holder	*h = arg;

	(void)ev;
	if (h->tcp == -1)
		h->tcp = accept(fd, NULL, NULL);
}

static void
holder_cb(void *arg, const struct soa_result *res)
{
	struct holder	*h = arg;

	h->done = true;
	h->res = *res;
	h->ended = util_now_ms();
	event_base_loopbreak(h->base);
}

static void
watchdog(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	event_base_loopbreak(arg);
}

static void
run_holder(bool tc)
{
	struct holder		 h = { .tcp = -1, .tc = tc };
	struct sockaddr_in	 a = { .sin_family = AF_INET };
	socklen_t		 alen = sizeof(a);
	struct master_addr	 ma;
	struct timeval		 tick = { 0, 50000 }, dog = { 10, 0 };
	struct event		*e1, *e2, *e3, *e4;
	int			 one = 1;

	h.base = event_base_new();
	/*
	 * A UDP port the kernel picks, and TCP on the same number: that may
	 * be some other program's (a connection's local port); pick again.
	 */
	for (int tries = 0;; tries++) {
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = 0;
		alen = sizeof(a);
		h.udp = socket(AF_INET, SOCK_DGRAM, 0);
		h.lis = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(h.lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(h.udp, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    getsockname(h.udp, (struct sockaddr *)&a, &alen) == 0 &&
		    bind(h.lis, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(h.lis, 4) == 0)
			break;
		close(h.udp);
		close(h.lis);
		if (tries == 100) {
			CHECK(0, "%s: a UDP and TCP port pair on 127.0.0.1 (%s)",
			    tc ? "tcp drip" : "udp junk", strerror(errno));
			event_base_free(h.base);
			return;
		}
	}
	memset(&ma, 0, sizeof(ma));
	memcpy(&ma.ss, &a, sizeof(a));
	ma.len = sizeof(a);
	e1 = event_new(h.base, h.udp, EV_READ | EV_PERSIST, holder_udp, &h);
	e2 = event_new(h.base, -1, EV_PERSIST, holder_tick, &h);
	e3 = event_new(h.base, h.lis, EV_READ | EV_PERSIST, holder_accept, &h);
	e4 = evtimer_new(h.base, watchdog, h.base);
	event_add(e1, NULL);
	event_add(e2, &tick);
	event_add(e3, NULL);
	event_add(e4, &dog);
	int64_t start = util_now_ms();
	struct soa_query *sq = soa_query_start(h.base, "example", &ma, 200, 2, NULL, NULL,
	    holder_cb, &h);
	CHECK(sq != NULL, "%s: query sent", tc ? "tcp drip" : "udp junk");
	event_base_dispatch(h.base);
	if (!h.done && sq != NULL)
		soa_query_cancel(sq);
	CHECK(h.done && h.res.status == SOA_TIMEOUT, "%s: the query ends at its deadline "
	    "whatever the master keeps sending (%s after %lld ms)", tc ? "tcp drip: a byte "
	    "every 50 ms" : "udp: a wrong-ID datagram every 50 ms", h.done ? h.res.err :
	    "still open", (long long)(h.done ? h.ended - start : util_now_ms() - start));
	event_free(e1);
	event_free(e2);
	event_free(e3);
	event_free(e4);
	close(h.udp);
	close(h.lis);
	if (h.tcp != -1)
		close(h.tcp);
	soa_close_idle();
	event_base_free(h.base);
}

/*
 * Queries to one master share sockets: a responder collects NQ queries for
 * zones z0..z39 (serial = the number) and answers them in reverse order,
 * after a datagram with an ID nobody asked with to each port, and with a
 * reply to the wrong question for z7.  Every query must get its own answer,
 * the queries must come from ceil(NQ / 16) ports, a second master must get
 * a port of its own, the retry of a query a new port, and nothing may stay
 * open after soa_close_idle.
 */
#define NQ	40
struct shared {
	struct event_base	*base;
	int			 fd, fd2;
	struct sockaddr_storage	 from[NQ + 8];
	socklen_t		 flen[NQ + 8];
	uint8_t			 q[NQ + 8][512];
	ssize_t			 qn[NQ + 8];
	int			 nq, done, ok, wrong;
	unsigned		 ports[NQ + 8];
	unsigned		 retry_ports[2], other_port;
	int			 nretry;
	struct soa_result	 res[NQ + 2];
};

static void
shared_answer(struct shared *sh, int i)
{
	ldns_pkt	*q = NULL, *p;
	ldns_rr		*qr, *a = NULL;
	uint8_t		*w = NULL;
	size_t		 n;
	char		*name, rr[256];

	if (ldns_wire2pkt(&q, sh->q[i], (size_t)sh->qn[i]) != LDNS_STATUS_OK)
		return;
	qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	name = ldns_rdf2str(ldns_rr_owner(qr));
	p = ldns_pkt_new();
	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	if (strcmp(name, "z7.") == 0)	/* the answer to another question */
		snprintf(rr, sizeof(rr), "z8. 60 IN SOA ns. host. 8 1 2 3 4");
	else
		snprintf(rr, sizeof(rr), "%s 60 IN SOA ns. host. %ld 1 2 3 4", name,
		    strtol(name + 1, NULL, 10));
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, ldns_rr_clone(qr));
	if (strcmp(name, "z7.") == 0) {
		ldns_rr_free(ldns_rr_list_rr(ldns_pkt_question(p), 0));
		ldns_rr_list_set_rr_count(ldns_pkt_question(p), 0);
		ldns_pkt_set_qdcount(p, 0);
		ldns_rr_new_question_frm_str(&a, "z8. IN SOA", NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, a);
		a = NULL;
	}
	ldns_rr_new_frm_str(&a, rr, 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, a);
	ldns_pkt2wire(&w, p, &n);
	sendto(sh->fd, w, n, 0, (struct sockaddr *)&sh->from[i], sh->flen[i]);
	free(w);
	free(name);
	ldns_pkt_free(p);
	ldns_pkt_free(q);
}

static unsigned
port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
shared_read(evutil_socket_t fd, short ev, void *arg)
{
	struct shared	*sh = arg;
	int		 i = sh->nq;
	uint8_t		 junk[12] = { 0x12, 0x34, 0x84 };

	(void)ev;
	if (i >= (int)NITEMS(sh->q))
		return;
	sh->flen[i] = sizeof(sh->from[i]);
	sh->qn[i] = recvfrom(fd, sh->q[i], sizeof(sh->q[i]), 0,
	    (struct sockaddr *)&sh->from[i], &sh->flen[i]);
	if (sh->qn[i] < 12)
		return;
	if (sh->qn[i] > 16 && memcmp(sh->q[i] + 13, "retry", 5) == 0) {
		if (sh->nretry < 2)	/* the first try goes unanswered */
			sh->retry_ports[sh->nretry++] = port_of(&sh->from[i]);
		return;
	}
	if (i >= NQ) {			/* later queries: answered at once */
		shared_answer(sh, i);
		return;
	}
	sh->ports[i] = port_of(&sh->from[i]);
	if (++sh->nq < NQ)
		return;
	for (int k = 0; k < NQ; k++) {	/* an ID nobody asked with, to each port */
		junk[0] = (uint8_t)(sh->q[k][0] ^ 0xa5);
		sendto(fd, junk, sizeof(junk), 0, (struct sockaddr *)&sh->from[k], sh->flen[k]);
	}
	for (int k = NQ - 1; k >= 0; k--)
		shared_answer(sh, k);
}

static void
shared_other(evutil_socket_t fd, short ev, void *arg)
{
	struct shared		*sh = arg;
	struct sockaddr_storage	 from;
	socklen_t		 flen = sizeof(from);
	uint8_t			 b[512];

	(void)ev;
	if (recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &flen) >= 12)
		sh->other_port = port_of(&from);
}

static void
shared_cb(void *arg, const struct soa_result *res)
{
	struct soa_result	*r = arg;

	*r = *res;
	r->err[sizeof(r->err) - 1] = '\0';
	r->rtt_ms = -1;			/* done */
}

static int
open_fds(void)
{
	int	 n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

static void
run_shared(void)
{
	struct shared		 sh = { 0 };
	struct sockaddr_in	 a = { .sin_family = AF_INET };
	socklen_t		 alen = sizeof(a);
	struct master_addr	 ma, ma2;
	struct event		*e1, *e2;
	struct soa_query	*sq[NQ + 2];
	char			 zone[16];
	int			 fds0 = open_fds(), ok = 0, mine = 0, distinct = 0;
	int64_t			 end;

	sh.base = event_base_new();
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sh.fd = socket(AF_INET, SOCK_DGRAM, 0);
	bind(sh.fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(sh.fd, (struct sockaddr *)&a, &alen);
	memset(&ma, 0, sizeof(ma));
	memcpy(&ma.ss, &a, sizeof(a));
	ma.len = sizeof(a);
	a.sin_port = 0;
	sh.fd2 = socket(AF_INET, SOCK_DGRAM, 0);
	bind(sh.fd2, (struct sockaddr *)&a, sizeof(a));
	alen = sizeof(a);
	getsockname(sh.fd2, (struct sockaddr *)&a, &alen);
	ma2 = ma;
	memcpy(&ma2.ss, &a, sizeof(a));
	e1 = event_new(sh.base, sh.fd, EV_READ | EV_PERSIST, shared_read, &sh);
	e2 = event_new(sh.base, sh.fd2, EV_READ | EV_PERSIST, shared_other, &sh);
	event_add(e1, NULL);
	event_add(e2, NULL);
	for (int i = 0; i < NQ; i++) {
		snprintf(zone, sizeof(zone), "z%d", i);
		sq[i] = soa_query_start(sh.base, zone, &ma, 3000, 1, NULL, NULL, shared_cb,
		    &sh.res[i]);
	}
	sq[NQ] = soa_query_start(sh.base, "retry", &ma, 300, 2, NULL, NULL, shared_cb,
	    &sh.res[NQ]);
	sq[NQ + 1] = soa_query_start(sh.base, "other", &ma2, 300, 1, NULL, NULL, shared_cb,
	    &sh.res[NQ + 1]);
	end = util_now_ms() + 10000;
	for (;;) {
		int left = 0;

		for (int i = 0; i < NQ + 2; i++)
			left += sq[i] != NULL && sh.res[i].rtt_ms != -1;
		if (left == 0 || util_now_ms() > end)
			break;
		event_base_loop(sh.base, EVLOOP_ONCE);
	}
	for (int i = 0; i < NQ; i++) {
		if (sq[i] == NULL || sh.res[i].rtt_ms != -1)
			continue;
		if (i == 7)
			mine += sh.res[i].status == SOA_BAD &&
			    strstr(sh.res[i].err, "question") != NULL;
		else
			ok += sh.res[i].status == SOA_OK && sh.res[i].serial == (uint32_t)i;
	}
	for (int i = 0; i < sh.nq; i++) {
		int seen = 0;

		for (int k = 0; k < i; k++)
			seen |= sh.ports[k] == sh.ports[i];
		distinct += !seen;
	}
	CHECK(ok == NQ - 1, "shared sockets: %d of %d queries got their own answer "
	    "(answered in reverse order after a wrong-ID datagram to each port)", ok, NQ - 1);
	CHECK(mine == 1, "shared sockets: the answer to another question fails only its own query");
	CHECK(sh.nq == NQ && distinct == (NQ + 15) / 16, "shared sockets: %d queries "
	    "started together came from %d ports (16 a socket)", sh.nq, distinct);
	CHECK(sh.nretry == 2 && sh.retry_ports[0] != sh.retry_ports[1] &&
	    sh.res[NQ].status == SOA_TIMEOUT, "shared sockets: a retry goes from a new port "
	    "(%u, then %u)", sh.retry_ports[0], sh.retry_ports[1]);
	for (int i = 0; i < sh.nq; i++)
		mine += sh.ports[i] == sh.other_port;
	CHECK(sh.other_port != 0 && mine == 1, "shared sockets: another master is asked "
	    "from a port of its own (%u)", sh.other_port);
	/* one after another: each finds the socket the one before left idle */
	{
		unsigned long	 o0, u0, o1, u1;

		soa_sock_counts(&o0, &u0);
		sh.nq = NQ;		/* answered at once from now on */
		for (int i = 0; i < 3; i++) {
			struct soa_result r = { .rtt_ms = 0 };

			snprintf(zone, sizeof(zone), "z%d", i);
			if (soa_query_start(sh.base, zone, &ma, 3000, 1, NULL, NULL, shared_cb,
			    &r) == NULL)
				break;
			while (r.rtt_ms != -1 && util_now_ms() < end)
				event_base_loop(sh.base, EVLOOP_ONCE);
		}
		soa_sock_counts(&o1, &u1);
		CHECK(o1 == o0 && u1 == u0 + 3, "shared sockets: three queries one after "
		    "another went out on the idle socket of the master (%lu opened, %lu reused)",
		    o1 - o0, u1 - u0);
	}
	soa_close_idle();
	event_free(e1);
	event_free(e2);
	close(sh.fd);
	close(sh.fd2);
	event_base_free(sh.base);
	CHECK(open_fds() == fds0, "shared sockets: none left open after soa_close_idle "
	    "(%d descriptors, %d before)", open_fds(), fds0);
}

/* An NS reply to "example. NS" with id 0x1234 from its sections, "" for none. */
static enum soa_status
ns_chk(const char *q, const char *an, const char *au, ldns_pkt_rcode rcode, bool tc,
    struct soa_result *r, char *buf, size_t len)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*rr = NULL;
	uint8_t		*w = NULL;
	size_t		 n;
	enum soa_status	 st;
	const char	*secs[] = { an, au };
	char		 one[256];

	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_rr_new_question_frm_str(&rr, q, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	for (int s = 0; s < 2; s++)
		for (const char *t = secs[s]; *t != '\0'; ) {
			size_t k = strcspn(t, ";");
			snprintf(one, sizeof(one), "%.*s", (int)k, t);
			rr = NULL;
			ldns_rr_new_frm_str(&rr, one, 0, NULL, NULL);
			ldns_pkt_push_rr(p, s == 0 ? LDNS_SECTION_ANSWER : LDNS_SECTION_AUTHORITY, rr);
			t += k + (t[k] == ';');
		}
	ldns_pkt2wire(&w, p, &n);
	ldns_pkt_free(p);
	st = soa_check_ns_reply(w, n, 0x1234, zw, zlen, r, buf, len);
	free(w);
	return st;
}

/* The NS answer autoprimary asks for: every NS name in message order, as pdns reads them. */
static void
test_ns_reply(void)
{
	struct soa_result	 r;
	char			 b[256];

	CHECK(ns_chk("example. IN NS", "example. 60 IN NS ns2.Other.test.;example. 60 IN NS ns1.example.",
	    "example. 60 IN NS ns3.example.", LDNS_RCODE_NOERROR, false, &r, b, sizeof(b)) == SOA_OK &&
	    r.nns == 3 && strcmp(r.ns, "ns2.Other.test") == 0 &&
	    strcmp(r.ns + strlen(r.ns) + 1, "ns1.example") == 0 &&
	    strcmp(r.ns + 27, "ns3.example") == 0,
	    "NS reply: the names in message order, answer then authority, no trailing dot, case kept");
	CHECK(ns_chk("example. IN NS", "example. 60 IN A 192.0.2.1", "", LDNS_RCODE_NOERROR,
	    false, &r, b, sizeof(b)) == SOA_BAD && strstr(r.err, "no NS records") != NULL,
	    "NS reply without NS records: refused with the reason");
	CHECK(ns_chk("other. IN NS", "other. 60 IN NS ns.other.", "", LDNS_RCODE_NOERROR, false,
	    &r, b, sizeof(b)) == SOA_BAD, "NS reply to another question: refused");
	CHECK(ns_chk("example. IN NS", "", "", LDNS_RCODE_REFUSED, false, &r, b, sizeof(b)) ==
	    SOA_BAD && strstr(r.err, "REFUSED") != NULL, "NS reply REFUSED: the rcode said");
	CHECK(ns_chk("example. IN NS", "", "", LDNS_RCODE_NOERROR, true, &r, b, sizeof(b)) ==
	    SOA_TRUNCATED, "NS reply truncated: asked again over TCP");
	CHECK(ns_chk("example. IN NS", "example. 60 IN NS a.example.;example. 60 IN NS "
	    "b.example.;example. 60 IN NS c.example.", "", LDNS_RCODE_NOERROR, false, &r, b,
	    12) == SOA_OK && r.nns == 1, "NS names beyond the buffer are left out, not overrun");
}

/*
 * The IXFR check on the wire: an IXFR question with our serial in the
 * authority section and an OPT record of 1232 bytes; a retry asks SOA; a
 * NOTIMP answer is asked again by SOA at once and said so; an answer with
 * the changes hands them over.
 */
struct ixq {
	struct event_base	*base;
	bool			 done;
	struct soa_result	 res;
	uint8_t			 xfr[512];
	size_t			 xfrlen;
};

static void
ixq_cb(void *arg, const struct soa_result *res)
{
	struct ixq	*x = arg;

	x->done = true;
	x->res = *res;
	if (res->xfr != NULL && res->xfrlen <= sizeof(x->xfr)) {
		memcpy(x->xfr, res->xfr, res->xfrlen);
		x->xfrlen = res->xfrlen;
	}
}

/* The next datagram at fd (the loop runs meanwhile), parsed; NULL after 3 s. */
static ldns_pkt *
ixq_recv(struct ixq *x, int fd, struct sockaddr_in *from)
{
	uint8_t		 b[2048];
	socklen_t	 fl = sizeof(*from);
	ldns_pkt	*p = NULL;
	int64_t		 end = util_now_ms() + 3000;
	ssize_t		 n;

	while (util_now_ms() < end) {
		event_base_loop(x->base, EVLOOP_NONBLOCK);
		if ((n = recvfrom(fd, b, sizeof(b), MSG_DONTWAIT, (struct sockaddr *)from,
		    &fl)) > 0)
			return ldns_wire2pkt(&p, b, (size_t)n) == LDNS_STATUS_OK ? p : NULL;
		usleep(1000);
	}
	return NULL;
}

/* An IXFR check of "example" from serial 43 at ma, x's result cleared. */
static struct soa_query *
ixq_start(struct ixq *x, const struct master_addr *ma, int timeout_ms, int tries)
{
	memset(&x->res, 0, sizeof(x->res));
	x->done = false;
	x->xfrlen = 0;
	return soa_ixfr_query_start(x->base, "example", 43, ma, timeout_ms, tries, NULL, NULL,
	    ixq_cb, x);
}

/* Run the loop until the query's callback ran, for 3 s at most. */
static void
ixq_wait(struct ixq *x)
{
	for (int64_t end = util_now_ms() + 3000; !x->done && util_now_ms() < end; usleep(1000))
		event_base_loop(x->base, EVLOOP_NONBLOCK);
}

/* Answer q at fd: rcode, then the records given (strings). */
static void
ixq_answer(int fd, const struct sockaddr_in *to, const ldns_pkt *q, ldns_pkt_rcode rc,
    const char *const *rrs)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*a;
	uint8_t		*w = NULL;
	size_t		 n;

	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rc);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	for (; rrs != NULL && *rrs != NULL; rrs++) {
		a = NULL;
		ldns_rr_new_frm_str(&a, *rrs, 0, NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, a);
	}
	ldns_pkt2wire(&w, p, &n);
	sendto(fd, w, n, 0, (const struct sockaddr *)to, sizeof(*to));
	free(w);
	ldns_pkt_free(p);
}

static ldns_rr_type
qtype_of(const ldns_pkt *q)
{
	return q == NULL ? 0 : ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(q), 0));
}

static void
test_ixfr_query(void)
{
	static const char *const soa[] = { "example. 60 IN SOA ns. host. 43 1 2 3 4", NULL };
	static const char *const delta[] = { "example. 60 IN SOA ns. host. 44 1 2 3 4",
	    "example. 60 IN SOA ns. host. 43 1 2 3 4", "example. 60 IN SOA ns. host. 44 1 2 3 4",
	    "a.example. 60 IN A 192.0.2.1", "example. 60 IN SOA ns. host. 44 1 2 3 4", NULL };
	struct ixq		 x = { .base = event_base_new() };
	struct sockaddr_in	 a = { .sin_family = AF_INET }, from;
	socklen_t		 alen = sizeof(a);
	struct master_addr	 ma;
	struct soa_query	*sq;
	ldns_pkt		*q, *q2;
	ldns_rr			*auth;
	int			 fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	memset(&ma, 0, sizeof(ma));
	memcpy(&ma.ss, &a, sizeof(a));
	ma.len = sizeof(a);

	/* silence, then the retry */
	sq = ixq_start(&x, &ma, 200, 2);
	q = ixq_recv(&x, fd, &from);
	auth = q != NULL ? ldns_rr_list_rr(ldns_pkt_authority(q), 0) : NULL;
	CHECK(sq != NULL && qtype_of(q) == LDNS_RR_TYPE_IXFR && auth != NULL &&
	    ldns_rr_get_type(auth) == LDNS_RR_TYPE_SOA &&
	    ldns_rdf2native_int32(ldns_rr_rdf(auth, 2)) == 43 && ldns_pkt_edns(q) &&
	    ldns_pkt_edns_udp_size(q) == 1232,
	    "ixfr query: IXFR from our serial, with EDNS 1232");
	q2 = ixq_recv(&x, fd, &from);
	CHECK(qtype_of(q2) == LDNS_RR_TYPE_SOA && !ldns_pkt_edns(q2),
	    "ixfr query: the retry asks SOA");
	if (q2 != NULL)
		ixq_answer(fd, &from, q2, LDNS_RCODE_NOERROR, soa);
	ixq_wait(&x);
	CHECK(x.done && x.res.status == SOA_OK && x.res.serial == 43 && !x.res.ixfr_refused,
	    "ixfr query: the SOA answer to the retry is the serial");
	ldns_pkt_free(q);
	ldns_pkt_free(q2);

	/* NOTIMP: SOA at once, and said so */
	sq = ixq_start(&x, &ma, 2000, 1);
	q = ixq_recv(&x, fd, &from);
	if (q != NULL)
		ixq_answer(fd, &from, q, LDNS_RCODE_NOTIMPL, NULL);
	q2 = ixq_recv(&x, fd, &from);
	if (q2 != NULL)
		ixq_answer(fd, &from, q2, LDNS_RCODE_NOERROR, soa);
	ixq_wait(&x);
	CHECK(sq != NULL && qtype_of(q) == LDNS_RR_TYPE_IXFR && qtype_of(q2) == LDNS_RR_TYPE_SOA &&
	    x.done && x.res.status == SOA_OK && x.res.serial == 43 && x.res.ixfr_refused &&
	    strstr(x.res.ixfr_why, "NOTIMP") != NULL,
	    "ixfr query: NOTIMP is asked again by SOA at once, and said so (%s)",
	    x.res.ixfr_why);
	ldns_pkt_free(q);
	ldns_pkt_free(q2);

	/* the changes come with the answer */
	sq = ixq_start(&x, &ma, 2000, 1);
	q = ixq_recv(&x, fd, &from);
	if (q != NULL)
		ixq_answer(fd, &from, q, LDNS_RCODE_NOERROR, delta);
	ixq_wait(&x);
	CHECK(sq != NULL && x.done && x.res.status == SOA_OK && x.res.serial == 44 &&
	    x.xfrlen > 100 && x.xfr[0] == (uint8_t)(ldns_pkt_id(q) >> 8),
	    "ixfr query: an answer with the changes hands them over");
	ldns_pkt_free(q);
	soa_close_idle();
	close(fd);
	event_base_free(x.base);
}

int
main(void)
{
	int n = dnswire_name("example", zw, sizeof(zw));

	zlen = (size_t)n;
	test_reply();
	test_ns_reply();
	test_ixfr_reply();
	test_reply_vs_ldns();
	test_ixfr_query();
	test_query();
	test_axfr();
	run_holder(false);
	run_holder(true);
	run_shared();
	UNIT_DONE();
}
