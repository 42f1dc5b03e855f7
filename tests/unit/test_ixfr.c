/*
 * IXFR: the answer's shapes (deltas, AXFR-style, the SOA alone, refusals,
 * broken chains) through axfr_feed, and the strict application of deltas
 * to stored rows (rr_set_apply).
 */
#include <stdlib.h>

#include "axfr.h"
#include "rr.h"
#include "util.h"
#include "unit.h"

#define ID	0x4242
#define Z	"ex.test"

static char	 err[256];

/* One reply message to our IXFR with the records given as text (NULL-ended). */
static uint8_t *
msg(size_t *len, int rcode, const char **recs)
{
	ldns_pkt	*p = ldns_pkt_new();
	ldns_rr		*q = NULL, *rr;
	uint8_t		*w = NULL;

	ldns_pkt_set_id(p, ID);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_rr_new_question_frm_str(&q, Z ". IN IXFR", NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	for (; recs != NULL && *recs != NULL; recs++) {
		rr = NULL;
		if (ldns_rr_new_frm_str(&rr, *recs, 300, NULL, NULL) != LDNS_STATUS_OK)
			abort();
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (ldns_pkt2wire(&w, p, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(p);
	return w;
}

#define SOA(n)	Z ". 300 IN SOA ns." Z ". h." Z ". " #n " 3600 600 604800 300"

/* Feed one message of recs to a fresh IXFR from serial base; the rc. */
static int
feed(struct axfr *ax, struct rr_set *set, struct rr_set *delta, uint32_t base,
    int rcode, const char **recs)
{
	size_t	 len;
	uint8_t	*w = msg(&len, rcode, recs);
	int	 rc;

	rr_set_init(set, Z);
	rr_set_init(delta, Z);
	axfr_init(ax, Z, ID, 1000, set);
	axfr_want_ixfr(ax, base, delta);
	rc = axfr_feed(ax, w, len, err, sizeof(err));
	free(w);
	return rc;
}

static void
done(struct axfr *ax, struct rr_set *set, struct rr_set *delta)
{
	axfr_free(ax);
	rr_set_free(set);
	rr_set_free(delta);
}

static void
test_shapes(void)
{
	struct axfr	 ax;
	struct rr_set	 set, delta;
	int		 rc;

	const char *incr[] = { SOA(3), SOA(1), "a." Z ". 300 IN A 192.0.2.1", SOA(2),
	    "b." Z ". 300 IN A 192.0.2.2", SOA(2), "b." Z ". 300 IN A 192.0.2.2", SOA(3),
	    "c.d." Z ". 300 IN TXT \"x\"", "other.test. 300 IN A 192.0.2.9", SOA(3), NULL };
	rc = feed(&ax, &set, &delta, 1, 0, incr);
	CHECK(rc == 1 && ax.style == AX_INCR && ax.deltas == 2, "deltas: two versions, done "
	    "(rc %d, style %d, %zu deltas: %s)", rc, ax.style, ax.deltas, err);
	CHECK(delta.n == 8, "deltas: 8 changes, the record outside the zone dropped (%zu)",
	    delta.n);
	CHECK(ax.dropped == 1 && set.n == 0, "deltas: counted dropped, nothing whole");
	if (delta.n == 8) {
		CHECK(delta.rows[0].auth == 0 && strcmp(delta.rows[0].type, "SOA") == 0 &&
		    delta.rows[1].auth == 0 && strcmp(delta.rows[1].name, "a." Z) == 0 &&
		    delta.rows[2].auth == 1 && delta.rows[3].auth == 1 &&
		    delta.rows[4].auth == 0 && delta.rows[5].auth == 0 &&
		    delta.rows[6].auth == 1 && delta.rows[7].auth == 1 &&
		    strcmp(delta.rows[7].name, "c.d." Z) == 0,
		    "deltas: in order, deletions auth 0 and additions auth 1");
	}
	done(&ax, &set, &delta);

	const char *whole[] = { SOA(3), Z ". 300 IN NS ns." Z ".", "ns." Z ". 300 IN A 192.0.2.1",
	    SOA(3), NULL };
	rc = feed(&ax, &set, &delta, 1, 0, whole);
	CHECK(rc == 1 && ax.style == AX_FULL && set.n == 3 && delta.n == 0,
	    "AXFR-style answer: the whole zone into set (rc %d, %zu rows)", rc, set.n);
	done(&ax, &set, &delta);

	const char *only_soa[] = { SOA(2), NULL };
	rc = feed(&ax, &set, &delta, 2, 0, only_soa);
	CHECK(rc == 2 && ax.style == AX_UNDECIDED, "the SOA alone: rc 2 for the caller "
	    "(rc %d)", rc);
	done(&ax, &set, &delta);

	rc = feed(&ax, &set, &delta, 1, LDNS_RCODE_NOTIMPL, NULL);
	CHECK(rc == -1 && ax.fallback && ax.refused, "NOTIMP: fall back, master refuses "
	    "IXFR (%s)", err);
	done(&ax, &set, &delta);
	rc = feed(&ax, &set, &delta, 1, LDNS_RCODE_REFUSED, NULL);
	CHECK(rc == -1 && ax.fallback && !ax.refused, "REFUSED: fall back, not marked");
	done(&ax, &set, &delta);
	rc = feed(&ax, &set, &delta, 1, 0, NULL);
	CHECK(rc == -1 && ax.fallback && ax.refused, "an empty answer: fall back, marked");
	done(&ax, &set, &delta);

	const char *gap[] = { SOA(4), SOA(1), SOA(2), SOA(3), SOA(4), SOA(4), NULL };
	rc = feed(&ax, &set, &delta, 1, 0, gap);
	CHECK(rc == -1 && ax.fallback && strstr(err, "begins at serial 3, not at 2") != NULL,
	    "versions that do not chain: fall back (%s)", err);
	done(&ax, &set, &delta);

	const char *back[] = { SOA(4), SOA(1), SOA(1), SOA(4), NULL };
	rc = feed(&ax, &set, &delta, 1, 0, back);
	CHECK(rc == -1 && ax.fallback && strstr(err, "does not go forward") != NULL,
	    "a version not newer: fall back (%s)", err);
	done(&ax, &set, &delta);

	const char *sig[] = { SOA(2), SOA(1), SOA(2), Z ". 300 IN RRSIG SOA 13 2 300 "
	    "20400101000000 20240101000000 1234 " Z ". AAAA", SOA(2), NULL };
	rc = feed(&ax, &set, &delta, 1, 0, sig);
	CHECK(rc == -1 && ax.fallback && strstr(err, "RRSIG") != NULL,
	    "DNSSEC records in deltas: fall back (%s)", err);
	done(&ax, &set, &delta);

	const char *after[] = { SOA(2), SOA(1), SOA(2), SOA(2), "x." Z ". 300 IN A 192.0.2.1",
	    NULL };
	rc = feed(&ax, &set, &delta, 1, 0, after);
	CHECK(rc == -1 && !ax.fallback && strstr(err, "after the closing SOA") != NULL,
	    "a record after the closing SOA: refused (%s)", err);
	done(&ax, &set, &delta);
}

/* A set of rows as stored: "name type content" lines. */
static void
stored(struct rr_set *s, const char **rows)
{
	rr_set_init(s, Z);
	for (; *rows != NULL; rows++) {
		char n[256], t[32], c[256];
		if (sscanf(*rows, "%255s %31s %255[^\n]", n, t, c) != 3 ||
		    rr_set_add_row(s, n, t, c, 300, 0) == -1)
			abort();
		s->rows[s->n - 1].ref = (uint32_t)s->n;		/* as db_read_rows */
	}
}

static int
op(struct rr_set *d, bool add, const char *text)
{
	ldns_rr	*rr = NULL;
	char	 e[160];

	if (ldns_rr_new_frm_str(&rr, text, 300, NULL, NULL) != LDNS_STATUS_OK ||
	    rr_set_add(d, rr, e, sizeof(e)) == -1)
		abort();
	d->rows[d->n - 1].auth = add;
	ldns_rr_free(rr);
	return 0;
}

static bool
has(const struct rr_set *s, const char *name, const char *type)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].name, name) == 0 && ((type == NULL && s->rows[i].type ==
		    NULL) || (type != NULL && s->rows[i].type != NULL &&
		    strcmp(s->rows[i].type, type) == 0)))
			return true;
	return false;
}

static void
test_apply(void)
{
	const char	*rows[] = { Z " SOA ns.ex.test h.ex.test 1 3600 600 604800 300",
	    Z " NS ns.ex.test", "ns." Z " A 192.0.2.1", "a.b." Z " A 192.0.2.2",
	    "sub." Z " NS ns.sub.ex.test", "ns.sub." Z " A 192.0.2.3", NULL };
	struct rr_set	 s, delta;
	struct rr_meta	 meta;
	int		 rc;

	stored(&s, rows);
	rr_set_init(&delta, Z);
	op(&delta, false, SOA(1));
	op(&delta, false, "a.b." Z ". 300 IN A 192.0.2.2");
	op(&delta, false, "sub." Z ". 300 IN NS ns.sub." Z ".");
	op(&delta, true, SOA(2));
	op(&delta, true, "x.y.z." Z ". 300 IN A 192.0.2.4");
	op(&delta, true, "a.b." Z ". 600 IN A 192.0.2.2");	/* again, another TTL */
	rc = rr_set_apply(&s, &delta, err, sizeof(err));
	CHECK(rc == 0 && s.n == 6, "apply: 6 rows (rc %d, %zu rows)", rc, s.n);
	CHECK(s.n == 6 && s.rows[0].ref == 2 && s.rows[3].ref == 0,
	    "apply: stored rows keep their ref, new ones have none");
	CHECK(rr_set_finish(&s, NULL, true, &meta, err, sizeof(err)) == 0, "apply: finishes");
	CHECK(has(&s, "y.z." Z, NULL) && has(&s, "z." Z, NULL) && has(&s, "b." Z, NULL),
	    "apply: ENTs for the new deep name, and the one kept");
	CHECK(!has(&s, "sub." Z, "NS") && has(&s, "ns.sub." Z, "A"),
	    "apply: the delegation gone, its glue kept");
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(s.rows[i].name, "ns.sub." Z) == 0)
			CHECK(s.rows[i].auth == 1, "apply: the old glue authoritative now");
	for (size_t i = 0; i < s.n; i++)
		if (s.rows[i].type != NULL && strcmp(s.rows[i].type, "SOA") == 0)
			CHECK(strstr(s.rows[i].content, " 2 3600 ") != NULL, "apply: the new SOA");
	rr_set_free(&s);
	rr_set_free(&delta);

	stored(&s, rows);
	rr_set_init(&delta, Z);
	op(&delta, false, SOA(1));
	op(&delta, false, "gone." Z ". 300 IN A 192.0.2.9");
	rc = rr_set_apply(&s, &delta, err, sizeof(err));
	CHECK(rc == 1 && strstr(err, "deletes gone." Z " A 192.0.2.9, which we do not have"),
	    "strict: deleting what we do not have (%s)", err);
	rr_set_free(&s);
	rr_set_free(&delta);

	stored(&s, rows);
	rr_set_init(&delta, Z);
	op(&delta, true, "ns." Z ". 60 IN A 192.0.2.1");
	rc = rr_set_apply(&s, &delta, err, sizeof(err));
	CHECK(rc == 1 && strstr(err, "adds ns." Z " A 192.0.2.1, which we have"),
	    "strict: adding what we have, whatever the TTL (%s)", err);
	rr_set_free(&s);
	rr_set_free(&delta);

	stored(&s, rows);
	rr_set_init(&delta, Z);
	op(&delta, false, "ns." Z ". 300 IN A 192.0.2.1");
	op(&delta, false, "ns." Z ". 300 IN A 192.0.2.1");
	rc = rr_set_apply(&s, &delta, err, sizeof(err));
	CHECK(rc == 1, "strict: one record deleted twice (%s)", err);
	rr_set_free(&s);
	rr_set_free(&delta);

	/* the budget: the table for what the master sent is charged first */
	struct rr_budget tiny = { 512, 0, NULL, -1 };
	stored(&s, rows);
	rr_set_budget(&s, &tiny);
	rr_set_init(&delta, Z);
	op(&delta, true, "new." Z ". 300 IN A 192.0.2.1");
	rc = rr_set_apply(&s, &delta, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "transfer.max-memory") != NULL,
	    "over the memory budget: refused (%s)", err);
	rr_set_free(&s);
	rr_set_free(&delta);
}

int
main(void)
{
	test_shapes();
	test_apply();
	UNIT_DONE();
}
