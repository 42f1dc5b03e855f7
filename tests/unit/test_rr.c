/* Row conversion: content, prio, names, escapes and empty non-terminals. */
#include <stdlib.h>

#include "rr.h"
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
	rr_set_free(&s);
}

int
main(void)
{
	test_content();
	test_ents();
	UNIT_DONE();
}
