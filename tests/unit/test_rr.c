/* Row conversion: content, prio, names, escapes and empty non-terminals. */
#include <stdlib.h>
#include <string.h>

#include "rr.h"
#include "util.h"
#include "unit.h"

static char content[70000];

/* Convert one record in zone-file text; returns content (or "ERR"). */
static const char *
conv(const char *text, int32_t *prio, const char **type, char *owner, size_t olen)
{
	ldns_rr		*rr = NULL;
	struct rr_set	 s;
	char		 err[200];
	int32_t		 p = -1;

	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK)
		return "PARSE";
	rr_set_init(&s, "example");
	if (rr_set_add(&s, rr, err, sizeof(err)) == -1) {
		ldns_rr_free(rr);
		rr_set_free(&s);
		return "ERR";
	}
	snprintf(content, sizeof(content), "%s", s.rows[0].content);
	p = s.rows[0].prio;
	if (type != NULL) {
		static char tb[32];
		snprintf(tb, sizeof(tb), "%s", s.rows[0].type);
		*type = tb;
	}
	if (owner != NULL)
		snprintf(owner, olen, "%s", s.rows[0].name);
	if (prio != NULL)
		*prio = p;
	ldns_rr_free(rr);
	rr_set_free(&s);
	return content;
}

#define C(text) conv(text, NULL, NULL, NULL, 0)

static void
test_content(void)
{
	int32_t		 prio;
	const char	*type;
	char		 owner[300];

	CHECK_STR(C("a.example. 60 IN A 192.0.2.1"), "192.0.2.1", "A");
	CHECK_STR(C("a.example. 60 IN AAAA 2001:DB8:0:0::1"), "2001:db8::1", "AAAA in inet_ntop form");
	CHECK_STR(C("a.example. 60 IN NS NS1.Example.COM."), "NS1.Example.COM", "NS keeps case, no dot");
	CHECK_STR(C("a.example. 60 IN CNAME b.example."), "b.example", "CNAME");
	CHECK_STR(C("a.example. 60 IN PTR b.example."), "b.example", "PTR");
	CHECK_STR(C("a.example. 60 IN DNAME b.example."), "b.example", "DNAME");
	CHECK_STR(C("a.example. 60 IN MX 0 ."), ".", "null MX target is the root");
	CHECK_STR(conv("a.example. 60 IN MX 10 mail.example.", &prio, NULL, NULL, 0),
	    "mail.example", "MX content without prio");
	CHECK(prio == 10, "MX prio in its column");
	CHECK_STR(conv("_sip._tcp.example. 60 IN SRV 10 60 5060 sip.example.", &prio, NULL, NULL, 0),
	    "60 5060 sip.example", "SRV weight port target");
	CHECK(prio == 10, "SRV priority in prio");
	CHECK_STR(conv("a.example. 60 IN A 192.0.2.1", &prio, NULL, NULL, 0), "192.0.2.1", "A again");
	CHECK(prio == 0, "prio 0 for other types");
	CHECK_STR(C("example. 60 IN SOA ns1.example. host\\.master.example. 1 2 3 4 5"),
	    "ns1.example host\\.master.example 1 2 3 4 5", "SOA with escaped dot in rname");
	CHECK_STR(C("a.example. 60 IN TXT \"v=spf1 -all\""), "\"v=spf1 -all\"", "TXT");
	CHECK_STR(C("a.example. 60 IN TXT \"a\" \"b\""), "\"a\" \"b\"", "TXT two strings");
	CHECK_STR(C("a.example. 60 IN TXT \"\""), "\"\"", "TXT empty string");
	CHECK_STR(C("a.example. 60 IN TXT \"say \\\"hi\\\"\""), "\"say \\\"hi\\\"\"", "TXT quotes escaped");
	CHECK_STR(C("a.example. 60 IN TXT \"back\\\\slash\""), "\"back\\\\slash\"", "TXT backslash escaped");
	CHECK_STR(C("a.example. 60 IN TXT \"semi;colon\""), "\"semi;colon\"", "TXT semicolon as is");
	CHECK_STR(C("a.example. 60 IN TXT \"nul\\000byte\\255\""), "\"nul\\000byte\\255\"",
	    "TXT NUL and high bytes as \\DDD");
	CHECK_STR(C("a.example. 60 IN TXT \"tab\\009x\""), "\"tab\\009x\"", "TXT tab as \\009");
	CHECK_STR(C("a.example. 60 IN SPF \"v=spf1 -all\""), "\"v=spf1 -all\"", "SPF");
	CHECK_STR(C("a.example. 60 IN HINFO \"PC\" \"Linux\""), "\"PC\" \"Linux\"", "HINFO");
	CHECK_STR(C("a.example. 60 IN CAA 0 issue \"letsencrypt.org\""), "0 issue \"letsencrypt.org\"", "CAA");
	CHECK_STR(C("a.example. 60 IN CAA 128 iodef \"mailto:a@b\""), "128 iodef \"mailto:a@b\"", "CAA critical");
	CHECK_STR(C("a.example. 60 IN NAPTR 100 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example."),
	    "100 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example", "NAPTR");
	CHECK_STR(C("a.example. 60 IN SSHFP 1 1 ABCDEF0123"), "1 1 abcdef0123", "SSHFP lowercase hex");
	CHECK_STR(C("_443._tcp.a.example. 60 IN TLSA 3 1 1 ABCDEF"), "3 1 1 abcdef", "TLSA");
	CHECK_STR(C("a.example. 60 IN DS 12345 8 2 ABCDEF"), "12345 8 2 abcdef", "DS algorithm as number");
	CHECK_STR(C("a.example. 60 IN RP mbox.example. txt.example."), "mbox.example txt.example", "RP");
	CHECK_STR(C("a.example. 60 IN AFSDB 1 afs.example."), "1 afs.example", "AFSDB");
	CHECK_STR(conv("a.example. 60 IN TYPE65280 \\# 4 0a000001", NULL, &type, NULL, 0),
	    "\\# 4 0a000001", "unknown type in RFC 3597 form");
	CHECK_STR(type, "TYPE65280", "unknown type name TYPEnnn");
	CHECK_STR(conv("a.example. 60 IN TYPE65281 \\# 0", NULL, &type, NULL, 0),
	    "\\# 0 ", "empty unknown rdata keeps the trailing space");
	CHECK_STR(conv("WWW.Example. 60 IN A 192.0.2.1", NULL, &type, owner, sizeof(owner)),
	    "192.0.2.1", "uppercase owner record");
	CHECK_STR(owner, "www.example", "owner lowercased without dot");
	CHECK_STR(type, "A", "type mnemonic");
	conv("a\\.b.example. 60 IN A 192.0.2.1", NULL, NULL, owner, sizeof(owner));
	CHECK_STR(owner, "a\\.b.example", "dot inside a label escaped");
	conv("a\\032b.example. 60 IN A 192.0.2.1", NULL, NULL, owner, sizeof(owner));
	CHECK_STR(owner, "a\\032b.example", "space inside a label as \\032");
	conv("a\\\\b.example. 60 IN A 192.0.2.1", NULL, NULL, owner, sizeof(owner));
	CHECK_STR(owner, "a\\\\b.example", "backslash inside a label escaped");
	conv("\\200\\255.example. 60 IN A 192.0.2.1", NULL, NULL, owner, sizeof(owner));
	CHECK_STR(owner, "\\200\\255.example", "bytes above 127 as \\DDD");
	conv("*.example. 60 IN A 192.0.2.1", NULL, NULL, owner, sizeof(owner));
	CHECK_STR(owner, "*.example", "wildcard owner");
	CHECK_STR(C("a.example. 60 IN CNAME Mixed\\.Case.Example."), "Mixed\\.Case.Example",
	    "rdata names keep case and escapes");
	CHECK_STR(C("a.example. 60 IN LOC 51 59 0.000 N 5 55 0.000 E 4.00m 1.00m 10000.00m 10.00m"),
	    "51 59 0.000 N 5 55 0.000 E 4.00m 1.00m 10000.00m 10.00m", "LOC as pdns prints it");
	CHECK_STR(C("a.example. 60 IN LOC 0 0 0 S 0 0 0 W 0m"),
	    "0 0 0.000 S 0 0 0.000 W 0.00m 1.00m 10000.00m 10.00m", "LOC on the equator: S, default sizes");
	CHECK_STR(C("a.example. 60 IN SVCB 1 . mandatory=alpn,port alpn=h2,h3 port=8443 ipv4hint=192.0.2.1"),
	    "1 . mandatory=alpn,port alpn=h2,h3 port=8443 ipv4hint=192.0.2.1", "SVCB params in key order");
	CHECK_STR(C("a.example. 60 IN HTTPS 0 cdn.example.net."), "0 cdn.example.net", "HTTPS alias form");
	CHECK_STR(C("a.example. 60 IN EUI48 00-00-5e-00-53-2a"), "00-00-5e-00-53-2a", "EUI48");
	CHECK_STR(C("a.example. 60 IN NID 10 0014:4fff:ff20:ee64"), "10 0014:4FFF:FF20:EE64", "NID uppercase groups");
	CHECK_STR(C("a.example. 60 IN APL 1:192.168.32.0/21 !1:192.168.38.0/28"),
	    "1:192.168.32.0/21 !1:192.168.38.0/28", "APL");
	CHECK_STR(C("a.example. 60 IN IPSECKEY 10 0 2 . AQNRU3mG"), "10 0 2 AQNRU3mG",
	    "IPSECKEY without gateway prints no gateway field");
	CHECK_STR(C("a.example. 60 IN RRSIG A 8 3 3600 20240101000000 20231201000000 12345 Example. c2ln"),
	    "A 8 3 3600 20240101000000 20231201000000 12345 Example c2ln", "RRSIG");
	CHECK_STR(C("a.example. 60 IN DNSKEY 256 3 8 AwEAAQ=="), "256 3 8 AwEAAQ==", "DNSKEY");
	CHECK_STR(C("a.example. 60 IN URI 10 1 \"ftp://x/\""), "10 1 \"ftp://x/\"", "URI");
	CHECK_STR(conv("a.example. 60 IN TYPE38 \\# 1 00", NULL, &type, NULL, 0), "\\# 1 00",
	    "A6: pdns knows the name, not the rdata");
	CHECK_STR(type, "A6", "A6 keeps its mnemonic");
	/* A malformed record as a master could send it: rdata of the wrong length. */
	static const uint8_t three[] = { 1, 2, 3 }, mx[] = { 0, 10, 4, 'm', 'a', 'i' };
	const struct { uint16_t t; const uint8_t *d; size_t n; const char *what; } bad[] = {
		{ LDNS_RR_TYPE_A, three, sizeof(three), "A of 3 bytes" },
		{ LDNS_RR_TYPE_MX, mx, sizeof(mx), "MX with a truncated name" },
		{ LDNS_RR_TYPE_TXT, mx + 2, 4, "TXT string longer than the rdata" },
		{ LDNS_RR_TYPE_LOC, three, sizeof(three), "LOC of 3 bytes" },
	};
	for (size_t i = 0; i < NITEMS(bad); i++) {
		ldns_rr *rr = ldns_rr_new();
		int32_t p;
		ldns_rr_set_type(rr, bad[i].t);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, bad[i].n, bad[i].d));
		CHECK(rr_content(rr, content, sizeof(content), &p) == -1, "malformed %s refused", bad[i].what);
		ldns_rr_free(rr);
	}
}

static int
has_row(const struct rr_set *s, const char *name, const char *type)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].name, name) == 0 &&
		    ((type == NULL && s->rows[i].type == NULL) ||
		    (type != NULL && s->rows[i].type != NULL && strcmp(s->rows[i].type, type) == 0)))
			return 1;
	return 0;
}

static void
add(struct rr_set *s, const char *text)
{
	ldns_rr	*rr = NULL;
	char	 err[100];

	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) == LDNS_STATUS_OK) {
		rr_set_add(s, rr, err, sizeof(err));
		ldns_rr_free(rr);
	}
}

static void
test_ents(void)
{
	struct rr_set	 s;
	size_t		 ents = 0;

	struct rr_meta	 meta;
	char		 err[100];

	rr_set_init(&s, "example");
	add(&s, "example. 60 IN SOA ns. h. 1 2 3 4 5");
	add(&s, "_sip._tcp.example. 60 IN SRV 1 1 1 x.");
	add(&s, "_xmpp._tcp.example. 60 IN SRV 1 1 1 x.");
	add(&s, "a.b.c.d.example. 60 IN A 192.0.2.1");
	add(&s, "c.d.example. 60 IN TXT \"x\"");
	add(&s, "x\\.y.z.example. 60 IN A 192.0.2.1");
	CHECK(rr_set_finish(&s, NULL, false, &meta, err, sizeof(err)) == 0, "finish");
	for (size_t i = 0; i < s.n; i++)
		if (s.rows[i].type == NULL) {
			ents++;
			CHECK(s.rows[i].content == NULL && s.rows[i].auth == 1,
			    "ENT %s: no content, auth 1", s.rows[i].name);
		}
	CHECK(has_row(&s, "_tcp.example", NULL), "ENT for _tcp once for two SRV owners");
	CHECK(has_row(&s, "b.c.d.example", NULL), "ENT b.c.d");
	CHECK(has_row(&s, "d.example", NULL), "ENT d");
	CHECK(!has_row(&s, "c.d.example", NULL), "no ENT where a record exists");
	CHECK(has_row(&s, "z.example", NULL), "ENT above a label with an escaped dot");
	CHECK(!has_row(&s, "y.z.example", NULL), "an escaped dot does not split a label");
	CHECK(!has_row(&s, "example", NULL), "no ENT at the apex");
	CHECK(ents == 4, "exactly four ENTs (got %zu)", ents);
	/* a finished zone waits in its worker's group with its rows only */
	CHECK(s.names.slot == NULL && s.names.cap == 0 && s.names.ent == NULL &&
	    s.secured.slot == NULL && s.secured.ent == NULL,
	    "finished: the name tables are freed");
	CHECK(s.cap == s.n, "finished: the row array cut to its %zu rows (room for %zu)",
	    s.n, s.cap);
	rr_set_free(&s);
}

static const struct rr_row *
find(const struct rr_set *s, const char *name, const char *type)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].name, name) == 0 &&
		    ((type == NULL && s->rows[i].type == NULL) ||
		    (type && s->rows[i].type && strcmp(s->rows[i].type, type) == 0)))
			return &s->rows[i];
	return NULL;
}

static void
test_dnssec(void)
{
	struct rr_set		 s;
	struct rr_meta		 meta;
	const struct rr_row	*r;
	char			 err[100];

	rr_set_init(&s, "example");
	add(&s, "example. 60 IN SOA ns. h. 1 2 3 4 5");
	add(&s, "example. 60 IN NS ns.example.");
	add(&s, "www.uk.example. 60 IN A 192.0.2.1");
	add(&s, "child.example. 60 IN NS ns.child.example.");
	add(&s, "child.example. 60 IN DS 1 8 2 abcd");
	add(&s, "ns.child.example. 60 IN A 192.0.2.2");
	add(&s, "deep.x.child.example. 60 IN A 192.0.2.3");
	add(&s, "child.example. 60 IN RRSIG DS 8 2 60 20240101000000 20231201000000 1 example. c2ln");
	add(&s, "example. 60 IN NSEC child.example. SOA NS RRSIG NSEC");
	CHECK(s.zs.presigned && s.zs.dnssec_zone && !s.zs.is_nsec3, "NSEC makes the zone presigned");
	CHECK(find(&s, "example", "NSEC") == NULL, "NSEC is not stored");
	CHECK(rr_set_finish(&s, NULL, true, &meta, err, sizeof(err)) == 0, "finish (dnssec)");
	CHECK((r = find(&s, "example", "SOA")) && r->auth == 1 && r->ordername && !strcmp(r->ordername, ""),
	    "apex: auth 1, ordername empty string");
	CHECK((r = find(&s, "www.uk.example", "A")) && r->ordername && !strcmp(r->ordername, "uk www"),
	    "NSEC ordername: relative labels reversed");
	CHECK((r = find(&s, "child.example", "NS")) && r->auth == 0 && r->ordername,
	    "delegation NS: auth 0, ordername kept");
	CHECK((r = find(&s, "child.example", "DS")) && r->auth == 1, "DS at the cut: auth 1");
	CHECK((r = find(&s, "ns.child.example", "A")) && r->auth == 0 && r->ordername == NULL,
	    "glue: auth 0, ordername NULL");
	CHECK((r = find(&s, "child.example", "RRSIG")) && r->auth == 1 && r->ordername == NULL,
	    "RRSIG: auth 1, no ordername");
	CHECK((r = find(&s, "x.child.example", NULL)) && r->auth == 0 && r->ordername == NULL,
	    "ENT below a cut: auth 0");
	CHECK((r = find(&s, "uk.example", NULL)) && r->auth == 1 && r->ordername == NULL,
	    "ENT in an NSEC zone: auth 1, ordername NULL");
	CHECK(meta.presigned == 1 && meta.nsec3param == 0, "metadata: PRESIGNED set, NSEC3PARAM untouched");
	rr_set_free(&s);

	struct rr_had had = { .presigned = true };
	rr_set_init(&s, "example");
	add(&s, "example. 60 IN SOA ns. h. 1 2 3 4 5");
	add(&s, "example. 60 IN DNSKEY 256 3 8 AwEAAQ==");
	add(&s, "example. 60 IN RRSIG SOA 8 1 60 20240101000000 20231201000000 1 example. c2ln");
	CHECK(rr_set_finish(&s, &had, true, &meta, err, sizeof(err)) == 0, "finish (unsigned now)");
	CHECK(meta.presigned == -1, "metadata: PRESIGNED removed when the zone is no longer signed");
	CHECK(find(&s, "example", "RRSIG") == NULL, "RRSIG dropped from a zone that is not presigned");
	CHECK(find(&s, "example", "DNSKEY") != NULL, "DNSKEY kept in a zone that is not DNSSEC");
	rr_set_free(&s);

	rr_set_init(&s, "example");
	add(&s, "example. 60 IN SOA ns. h. 1 2 3 4 5");
	add(&s, "a.b.example. 60 IN A 192.0.2.1");
	add(&s, "example. 60 IN NSEC3PARAM 1 0 1 ab");
	CHECK(rr_set_finish(&s, NULL, false, &meta, err, sizeof(err)) == 0, "finish (NSEC3, no dnssec)");
	CHECK((r = find(&s, "a.b.example", "A")) && r->ordername && strlen(r->ordername) == 32,
	    "NSEC3 ordername is a 32-character hash even without dnssec mode");
	CHECK(find(&s, "b.example", NULL) == NULL, "NSEC3 zone without dnssec mode: no ENT rows (as pdns)");
	CHECK(meta.presigned == 0 && meta.nsec3param == 0, "no metadata without dnssec mode");
	rr_set_free(&s);
}

/*
 * A zone at the root: every name is below the apex, so NSEC ordernames
 * are the whole name reversed and NSEC3 owners count for opt-out (pdns
 * makes them relative to "." as to any apex).  Before, both were NULL.
 */
static void
test_root(void)
{
	struct rr_set		 s;
	struct rr_meta		 meta;
	const struct rr_row	*r;
	char			 err[100];

	rr_set_init(&s, ".");
	add(&s, ". 60 IN SOA ns.zz. h.zz. 1 2 3 4 5");
	add(&s, ". 60 IN NS ns.zz.");
	add(&s, "www.example. 60 IN A 192.0.2.1");
	add(&s, "zz. 60 IN NS ns.zz.");
	add(&s, "ns.zz. 60 IN A 192.0.2.2");
	add(&s, ". 60 IN NSEC example. NS SOA RRSIG NSEC DNSKEY");
	CHECK(rr_set_finish(&s, NULL, true, &meta, err, sizeof(err)) == 0, "root, NSEC: finish");
	CHECK((r = find(&s, ".", "SOA")) && r->ordername && !strcmp(r->ordername, "") && r->auth,
	    "root apex: ordername empty, auth 1");
	CHECK((r = find(&s, "www.example", "A")) && r->ordername &&
	    !strcmp(r->ordername, "example www"), "root, NSEC: ordername of www.example is "
	    "'example www' (got %s)", r && r->ordername ? r->ordername : "NULL");
	CHECK((r = find(&s, "example", NULL)) && r->auth == 1,
	    "root: ENT example, authoritative");
	CHECK((r = find(&s, "zz", "NS")) && r->auth == 0 && r->ordername &&
	    !strcmp(r->ordername, "zz"), "root: delegation zz, auth 0, ordername 'zz'");
	CHECK((r = find(&s, "ns.zz", "A")) && r->auth == 0 && r->ordername == NULL,
	    "root: glue ns.zz, auth 0, no ordername");
	rr_set_free(&s);

	/* NSEC3 opt-out: the delegation with an NSEC3 of its own is secured */
	rr_set_init(&s, ".");
	add(&s, ". 60 IN SOA ns.zz. h.zz. 1 2 3 4 5");
	add(&s, ". 60 IN NSEC3PARAM 1 0 0 -");
	add(&s, "zz. 60 IN NS ns.zz.");
	add(&s, "yy. 60 IN NS ns.zz.");
	/* H(zz) with 0 iterations, no salt (ldns-nsec3-hash -t 0 zz.): NS in its bitmap */
	add(&s, "pv0krfo4os2fqo0d9bq7e6oae3d30hhm. 60 IN NSEC3 1 1 0 - pv0krfo4os2fqo0d9bq7e6oae3d30hhn NS");
	CHECK(rr_set_finish(&s, NULL, true, &meta, err, sizeof(err)) == 0, "root, NSEC3 opt-out: finish");
	const struct rr_row *zz = find(&s, "zz", "NS"), *yy = find(&s, "yy", "NS");
	CHECK(zz && yy && zz->auth == 0 && yy->auth == 0, "root: both delegations auth 0");
	CHECK(zz && yy && ((zz->ordername != NULL) != (yy->ordername != NULL)),
	    "root, opt-out: the secured delegation has an ordername, the other none "
	    "(zz %s, yy %s)", zz && zz->ordername ? zz->ordername : "NULL",
	    yy && yy->ordername ? yy->ordername : "NULL");
	rr_set_free(&s);
}

/*
 * rr_set_reserve: with room made for the rows the zone had, no array moves
 * while they come, and the rows come out as without it; a hint over the
 * budget is not taken (and not charged).
 */
static void
fill(struct rr_set *s, int n)
{
	char	 name[64], addr[32];

	rr_set_add_row(s, "example", "SOA", "ns.example. h.example. 1 2 3 4 5", 60, 0);
	for (int i = 1; i < n; i++) {
		snprintf(name, sizeof(name), "h%d.s%d.example", i, i % 7);
		snprintf(addr, sizeof(addr), "192.0.2.%d", i % 250);
		rr_set_add_row(s, name, "A", addr, 60, 0);
	}
}

static void
test_reserve(void)
{
	struct rr_set	 a, b;
	struct rr_meta	 meta;
	struct rr_row	*rows;
	struct rr_name	*ent;
	struct rr_budget bud = { .max_mem = 100000 };
	char		 err[100];
	bool		 same;

	rr_set_init(&a, "example");
	rr_set_reserve(&a, 4000);
	rows = a.rows;
	ent = a.names.ent;
	CHECK(a.cap == 4000 && a.names.ecap >= 4000 && a.names.cap >= 8000,
	    "reserve: room for 4000 rows and names (rows %zu, names %zu, slots %zu)",
	    a.cap, a.names.ecap, a.names.cap);
	fill(&a, 4000);
	CHECK(a.n == 4000 && a.rows == rows && a.names.ent == ent && a.cap == 4000,
	    "reserve: 4000 rows came without the arrays moving");
	rr_set_init(&b, "example");
	fill(&b, 4000);
	CHECK(rr_set_finish(&a, NULL, true, &meta, err, sizeof(err)) == 0 &&
	    rr_set_finish(&b, NULL, true, &meta, err, sizeof(err)) == 0, "reserve: finished");
	same = a.n == b.n && a.n == 4007;		/* and the ENTs s0..s6 */
	for (size_t i = 0; same && i < a.n; i++)
		same = strcmp(a.rows[i].name, b.rows[i].name) == 0 &&
		    (a.rows[i].type == NULL) == (b.rows[i].type == NULL) &&
		    a.rows[i].auth == b.rows[i].auth;
	CHECK(same, "reserve: the same rows, ENTs included, in the same order (%zu, %zu)",
	    a.n, b.n);
	rr_set_free(&a);
	rr_set_free(&b);

	rr_set_init(&a, "example");
	rr_set_budget(&a, &bud);
	rr_set_reserve(&a, 100000);
	CHECK(a.cap == 0 && a.names.cap == 0 && a.mem == 0 && a.over == RR_OVER_NONE,
	    "reserve: a hint over the budget is not taken (rows %zu, charged %zu)", a.cap,
	    a.mem);
	fill(&a, 100);
	CHECK(a.n == 100 && a.over == RR_OVER_NONE, "reserve: ... and the zone converts");
	rr_set_free(&a);
}

int
main(void)
{
	test_root();
	test_content();
	test_dnssec();
	test_ents();
	test_reserve();
	UNIT_DONE();
}
