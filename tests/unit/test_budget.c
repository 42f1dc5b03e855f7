/*
 * Hostile transfers through axfr_feed and rr_set_finish, as a worker runs
 * them: each bounded in memory (what the conversion charged, and the
 * process's resident size), in work (name table probes, NSEC3 hashes) and
 * in time (CPU seconds, with room for a busy machine and the sanitizers).
 */
#include <sys/resource.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "axfr.h"
#include "rr.h"
#include "util.h"
#include "xfr.h"
#include "unit.h"

/* The sanitizers' cost in time and in resident size (shadow memory). */
#if defined(__SANITIZE_THREAD__)
#define SLOW	4
#define FAT	4
#elif defined(__SANITIZE_ADDRESS__)
#define SLOW	4
#define FAT	2
#else
#define SLOW	1
#define FAT	1
#endif

#define ID	0x4242

/* A transfer being built: records go into messages of up to per records. */
struct gen {
	struct axfr	 ax;
	struct rr_set	 set;
	ldns_pkt	*pkt;
	size_t		 inmsg, per, wire;
	double		 cpu;		/* seconds in axfr_feed and rr_set_finish */
	int		 rc;
	char		 err[300];
};

static long
rss_kib(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 size = 0, res = 0;

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static double
cpu_s(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
flush(struct gen *g)
{
	uint8_t	*wire = NULL;
	size_t	 len = 0;

	if (g->pkt == NULL)
		return;
	if (g->rc == 0 && ldns_pkt2wire(&wire, g->pkt, &len) == LDNS_STATUS_OK) {
		double t = cpu_s();
		g->wire += len + 2;
		g->rc = axfr_feed(&g->ax, wire, len, g->err, sizeof(g->err));
		g->cpu += cpu_s() - t;
	}
	free(wire);
	ldns_pkt_free(g->pkt);
	g->pkt = NULL;
	g->inmsg = 0;
}

static void
put(struct gen *g, const char *text)
{
	ldns_rr	*rr = NULL;

	if (g->rc != 0)
		return;
	if (ldns_rr_new_frm_str(&rr, text, 300, NULL, NULL) != LDNS_STATUS_OK) {
		snprintf(g->err, sizeof(g->err), "test: cannot parse %.100s", text);
		g->rc = -2;
		return;
	}
	if (g->pkt == NULL) {
		g->pkt = ldns_pkt_new();
		ldns_pkt_set_id(g->pkt, ID);
		ldns_pkt_set_qr(g->pkt, true);
		ldns_pkt_set_aa(g->pkt, true);
	}
	ldns_pkt_push_rr(g->pkt, LDNS_SECTION_ANSWER, rr);
	if (++g->inmsg == g->per)
		flush(g);
}

static void
gen_init(struct gen *g, const char *zone, size_t per, const struct rr_budget *b)
{
	char	 soa[600];

	memset(g, 0, sizeof(*g));
	g->per = per;
	rr_set_init(&g->set, zone);
	if (b != NULL)
		rr_set_budget(&g->set, b);
	axfr_init(&g->ax, zone, ID, 100000000, &g->set);
	snprintf(soa, sizeof(soa), "%s. 300 IN SOA ns. h. 1 3600 600 604800 300", zone);
	put(g, soa);
}

/* The closing SOA, then the conversion; 0 when both went through. */
static int
gen_end(struct gen *g)
{
	char		 soa[1200];
	struct rr_meta	 meta;

	snprintf(soa, sizeof(soa), "%s. 300 IN SOA ns. h. 1 3600 600 604800 300", g->set.apex);
	put(g, soa);
	flush(g);
	if (g->rc == 0 && !g->ax.done) {
		snprintf(g->err, sizeof(g->err), "test: transfer not complete");
		g->rc = -2;
	}
	if (g->rc == 1 || g->rc == 0) {
		double t = cpu_s();
		g->rc = rr_set_finish(&g->set, NULL, true, &meta, g->err, sizeof(g->err));
		g->cpu += cpu_s() - t;
	}
	return g->rc;
}

static void
gen_free(struct gen *g)
{
	if (g->pkt != NULL)
		ldns_pkt_free(g->pkt);
	axfr_free(&g->ax);
	rr_set_free(&g->set);
}

/*
 * Messages by hand, for names too deep for ldns's compression (seconds a
 * message): A records of 192.0.2.1, the owners spelled out, or with owner
 * NULL a pointer to the message's first owner.
 */
struct raw {
	uint8_t		 msg[65535];
	uint8_t		*p;
	unsigned	 count;
};

static void
raw_send(struct gen *g, struct raw *r)
{
	double	 t;

	if (r->count == 0 || g->rc != 0)
		return;
	r->msg[6] = (uint8_t)(r->count >> 8), r->msg[7] = (uint8_t)r->count;
	t = cpu_s();
	g->wire += (size_t)(r->p - r->msg) + 2;
	g->rc = axfr_feed(&g->ax, r->msg, (size_t)(r->p - r->msg), g->err, sizeof(g->err));
	g->cpu += cpu_s() - t;
	r->count = 0;
}

static void
raw_put(struct gen *g, struct raw *r, const char *owner, uint32_t addr)
{
	ldns_rdf	*dn = NULL;
	uint8_t		 rr[14] = { 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, (uint8_t)(addr >> 24),
			    (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr };

	flush(g);		/* what went through ldns first */
	if (r->count > 0 && (r->p - r->msg) + 255 + sizeof(rr) > sizeof(r->msg))
		raw_send(g, r);
	if (r->count == 0) {
		memset(r->msg, 0, 12);
		r->msg[0] = ID >> 8, r->msg[1] = ID & 255, r->msg[2] = 0x84;
		r->p = r->msg + 12;
	}
	if (owner != NULL && ldns_str2rdf_dname(&dn, owner) == LDNS_STATUS_OK) {
		memcpy(r->p, ldns_rdf_data(dn), ldns_rdf_size(dn));
		r->p += ldns_rdf_size(dn);
		ldns_rdf_deep_free(dn);
	} else
		*r->p++ = 0xc0, *r->p++ = 12;
	memcpy(r->p, rr, sizeof(rr));
	r->p += sizeof(rr);
	r->count++;
}

/* A name of 127 labels, the longest there is: "a.a.(...).tail.example". */
static void
deep_name(char *buf, size_t len, const char *tail)
{
	size_t	 n = 0, wire = strlen(tail) + 2 + strlen("example") + 2;

	buf[0] = '\0';
	while (wire + 2 <= 255 && n + 3 < len) {
		n += (size_t)snprintf(buf + n, len - n, "a.");
		wire += 2;
	}
	snprintf(buf + n, len - n, "%s.example.", tail);
}

/*
 * Deep names: 60,000 records at one owner of 127 labels, 16 bytes each on
 * the wire (a compression pointer).  Every ancestor was copied once per
 * record: +596 MiB for 935 KB.  Now the owner and its ancestors are kept
 * once and each record finds its owner's answers in the table.
 */
static void
test_deep_names(void)
{
	struct gen	 g;
	static struct raw raw;
	char		 owner[600];
	long		 rss0 = rss_kib();
	size_t		 ents = 0, labels = 0;

	gen_init(&g, "example", 3000, NULL);
	deep_name(owner, sizeof(owner), "x");
	for (const char *p = owner; *p; p++)
		labels += *p == '.';
	for (uint32_t i = 0; i < 60000; i++) {
		/* 3,000 records a message, all pointing at its first owner */
		if (i % 3000 == 0)
			raw_send(&g, &raw);
		raw_put(&g, &raw, i % 3000 == 0 ? owner : NULL, 0x0a000000 | i);
	}
	raw_send(&g, &raw);
	CHECK(gen_end(&g) == 0, "60,000 records at a 127-label owner convert (%s)", g.err);
	for (size_t i = 0; i < g.set.n; i++)
		ents += g.set.rows[i].type == NULL;
	CHECK(g.wire > 900000, "the transfer is %zu bytes of wire", g.wire);
	/* every ancestor between the owner and "example" */
	CHECK(ents == labels - 2, "%zu empty non-terminals, each once (got %zu)", labels - 2, ents);
	/* the rows' text twice for the write's comparison, each row naming the owner */
	CHECK(g.set.mem < (size_t)64 << 20, "conversion charged %zu KiB (bound 64 MiB)",
	    g.set.mem >> 10);
	CHECK(rss_kib() - rss0 < 96 * 1024 * FAT, "resident size grew %ld KiB (bound %d MiB)",
	    rss_kib() - rss0, 96 * FAT);
	CHECK(g.set.probes < 40 * g.set.n, "%lu name table probes for %zu rows",
	    g.set.probes, g.set.n);
	CHECK(g.cpu < 1.0 * SLOW, "%.2f s of CPU", g.cpu);
	gen_free(&g);
}

/*
 * Deep names again, each owner new from the label next to the apex, so
 * every record brings over a hundred names nobody had: past pdns's
 * max-ent-entries no ENT is written, and what the names cost stays within
 * the budget.
 */
static void
test_deep_distinct(void)
{
	static struct raw raw;
	struct rr_budget b = { (size_t)32 << 20, 0, NULL, -1 };
	struct gen	 g;
	char		 owner[600], tail[32];
	long		 rss0 = rss_kib();

	gen_init(&g, "example", 200, &b);
	for (int i = 0; i < 3600; i++) {
		snprintf(tail, sizeof(tail), "n%d", i);
		deep_name(owner, sizeof(owner), tail);
		raw_put(&g, &raw, owner, 0xc0000201);
	}
	raw_send(&g, &raw);
	int rc = gen_end(&g);
	CHECK((rc == 0 && g.set.ents_dropped > RR_MAX_ENTS) ||
	    (rc == -1 && g.set.over == RR_OVER_MEMORY && strstr(g.err, "max-memory")),
	    "3,600 deep owners of %zu bytes: ENTs dropped as pdns does, or the budget "
	    "says no (%s)", g.wire, rc == 0 ? "converted" : g.err);
	CHECK(g.set.mem <= b.max_mem + (64 << 10), "charged %zu KiB of a %zu KiB budget",
	    g.set.mem >> 10, b.max_mem >> 10);
	CHECK(rss_kib() - rss0 < 96 * 1024 * FAT, "resident size grew %ld KiB (bound %d MiB)",
	    rss_kib() - rss0, 96 * FAT);
	gen_free(&g);
}

/*
 * NSEC3PARAM with 65,535 iterations: 8 KB of wire cost 12.7 s of CPU, every
 * row hashed, even without dnssec.  Refused at the record, by the cap.
 */
static void
test_nsec3_iterations(void)
{
	struct rr_budget b = { 0, 0, NULL, 150 };
	struct gen	 g;
	char		 rr[300];

	gen_init(&g, "example", 100, &b);
	put(&g, "example. 300 IN NSEC3PARAM 1 0 65535 aabbccdd");
	for (int i = 0; i < 300; i++) {
		snprintf(rr, sizeof(rr), "h%d.example. 300 IN A 192.0.2.1", i);
		put(&g, rr);
	}
	CHECK(gen_end(&g) == -1 && strstr(g.err, "65535 iterations") &&
	    strstr(g.err, "max-nsec3-iterations"), "65,535 iterations refused: %s", g.err);
	CHECK(g.set.hashes == 0, "no hash computed (%lu)", g.set.hashes);
	CHECK(g.cpu < 2.0 * SLOW, "%.2f s of CPU", g.cpu);
	gen_free(&g);

	/* Within the cap: one hash per name, however many rows it owns. */
	gen_init(&g, "example", 500, &b);
	put(&g, "example. 300 IN NSEC3PARAM 1 0 150 aabbccdd");
	for (int i = 0; i < 2000; i++) {
		snprintf(rr, sizeof(rr), "a.b.example. 300 IN TXT \"%d\"", i);
		put(&g, rr);
	}
	CHECK(gen_end(&g) == 0, "150 iterations, 2,000 rows at one name: converted (%s)", g.err);
	CHECK(g.set.hashes == 3, "3 hashes: the apex, a.b and the ENT b (got %lu)",
	    g.set.hashes);
	gen_free(&g);
}

/*
 * Owner names whose FNV-1a hashes (the old table hash) agree in the low 20
 * bits: 65,536 took 35.9 s, every insert probing every name before.  The
 * low bits of FNV-1a depend only on the low bits of its state, and each
 * step is invertible there, so a 4-character tail that leads any state to
 * the target is found by running the steps backwards.
 */
#define FNV_BITS	20
#define FNV_MASK	((1u << FNV_BITS) - 1)

static uint32_t
fnv_step(uint32_t h, uint8_t c)
{
	return (h ^ c) * 16777619u;
}

static void
test_fnv_collisions(void)
{
	static const char	 al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const char		*suffix = ".example";
	uint32_t		*tail = xcalloc(1u << FNV_BITS, sizeof(*tail));
	uint32_t		 inv = 16777619u, target, want;
	struct gen		 g;
	char			 rr[300], name[64];
	size_t			 made = 0, alen = strlen(al);

	for (int i = 0; i < 5; i++)	/* Newton: the prime's inverse mod 2^32 */
		inv *= 2 - 16777619u * inv;
	/* the state before ".example" that ends on target */
	target = 0x5a5a5 & FNV_MASK;
	want = target;
	for (size_t i = strlen(suffix); i-- > 0;)
		want = ((want * inv) ^ (uint8_t)suffix[i]) & FNV_MASK;
	for (uint32_t t = 0; t < alen * alen * alen * alen; t++) {
		uint32_t s = want;
		uint8_t c[4] = { (uint8_t)al[t % alen], (uint8_t)al[t / alen % alen],
		    (uint8_t)al[t / alen / alen % alen], (uint8_t)al[t / alen / alen / alen] };
		for (int k = 3; k >= 0; k--)
			s = ((s * inv) ^ c[k]) & FNV_MASK;
		if (tail[s] == 0)
			tail[s] = t + 1;
	}
	gen_init(&g, "example", 2000, NULL);
	for (uint32_t i = 0; made < 65536 && i < 1000000; i++) {
		uint32_t h = 2166136261u, t;
		int n = snprintf(name, sizeof(name), "c%u-", i);
		for (int k = 0; k < n; k++)
			h = fnv_step(h, (uint8_t)name[k]);
		if ((t = tail[h & FNV_MASK]) == 0)
			continue;
		t--;
		snprintf(name + n, sizeof(name) - (size_t)n, "%c%c%c%c", al[t % alen],
		    al[t / alen % alen], al[t / alen / alen % alen], al[t / alen / alen / alen]);
		uint32_t check = 2166136261u;
		char full[80];
		snprintf(full, sizeof(full), "%s%s", name, suffix);
		for (char *p = full; *p; p++)
			check = fnv_step(check, (uint8_t)*p);
		if ((check & FNV_MASK) != target)
			break;
		snprintf(rr, sizeof(rr), "%s. 300 IN A 192.0.2.1", full);
		put(&g, rr);
		made++;
	}
	free(tail);
	CHECK(made == 65536, "65,536 names agree in the low %d bits of FNV-1a", FNV_BITS);
	CHECK(gen_end(&g) == 0, "they convert (%s)", g.err);
	CHECK(g.set.probes < 16 * g.set.n, "%lu name table probes for %zu rows (keyed hash)",
	    g.set.probes, g.set.n);
	CHECK(g.cpu < 2.0 * SLOW, "%.2f s of CPU", g.cpu);
	gen_free(&g);
}

/*
 * Binary TXT renders four bytes of text per byte (\DDD): over the budget
 * the conversion stops with the reason, having charged (and so allocated)
 * no more than the budget and one arena block.
 */
static void
test_binary_txt(void)
{
	struct rr_budget b = { (size_t)8 << 20, 0, NULL, -1 };
	struct gen	 g;
	char		 rr[1400], *p;
	long		 rss0 = rss_kib();

	gen_init(&g, "example", 50, &b);
	for (int i = 0; i < 16000 && g.rc == 0; i++) {
		p = rr + snprintf(rr, sizeof(rr), "t%d.example. 300 IN TXT \"", i);
		for (int k = 0; k < 250; k++)
			p += sprintf(p, "\\%03d", 1 + (k + i) % 30);
		strcpy(p, "\"");
		put(&g, rr);
	}
	CHECK(gen_end(&g) == -1 && g.set.over == RR_OVER_MEMORY && strstr(g.err, "max-memory"),
	    "16,000 binary TXT over an 8 MiB budget: %s", g.err);
	CHECK(g.set.mem <= b.max_mem + (64 << 10) + 1100, "charged %zu KiB", g.set.mem >> 10);
	CHECK(rss_kib() - rss0 < 48 * 1024 * FAT, "resident size grew %ld KiB (bound %d MiB)",
	    rss_kib() - rss0, 48 * FAT);
	gen_free(&g);
}

/* The clock and the stop flag, looked at inside the conversion. */
static void
test_deadline_stop(void)
{
	atomic_bool	 stop = true;
	struct rr_budget b = { 0, util_now_ms() + 1, NULL, -1 };
	struct gen	 g;
	char		 rr[300];

	usleep(2000);
	gen_init(&g, "example", 1000, &b);
	for (int i = 0; i < 20000; i++) {
		snprintf(rr, sizeof(rr), "h%d.example. 300 IN A 192.0.2.1", i);
		put(&g, rr);
	}
	CHECK(gen_end(&g) == -1 && g.set.over == RR_OVER_TIME && strstr(g.err, "transfer.timeout"),
	    "past the deadline the conversion stops: %s", g.err);
	gen_free(&g);

	b = (struct rr_budget){ 0, 0, &stop, -1 };
	gen_init(&g, "example", 1000, &b);
	for (int i = 0; i < 20000; i++) {
		snprintf(rr, sizeof(rr), "h%d.example. 300 IN A 192.0.2.1", i);
		put(&g, rr);
	}
	CHECK(gen_end(&g) == -1 && g.set.over == RR_OVER_STOP, "the stop flag stops it: %s",
	    g.err);
	gen_free(&g);
}

/*
 * pdns's control socket splits a purge line at spaces and reads '$' as
 * "everything below": "victim.example com" purged all of com.
 */
static void
test_purge_names(void)
{
	CHECK(xfr_purge_name_ok("example.com"), "a plain name goes to pdns's purge");
	CHECK(xfr_purge_name_ok("sp\\032ace.example"), "an escaped space (as pdns stores it) too");
	CHECK(xfr_purge_name_ok("."), "the root too");
	CHECK(!xfr_purge_name_ok("victim.example com"), "a raw space does not");
	CHECK(!xfr_purge_name_ok("a$.example"), "a '$' does not");
	CHECK(!xfr_purge_name_ok("tab\t.example") && !xfr_purge_name_ok("nl\n.example"),
	    "control characters do not");
	CHECK(!xfr_purge_name_ok("h\xc3\xa9.example"), "bytes outside ASCII do not");
	CHECK(!xfr_purge_name_ok(""), "an empty name does not");
}

#define RUN(f) do {						\
	int64_t t0_ = util_now_ms();					\
	f();								\
	printf("# %s: %" PRId64 " ms\n", #f, util_now_ms() - t0_);	\
} while (0)

int
main(void)
{
	RUN(test_deep_names);
	RUN(test_deep_distinct);
	RUN(test_nsec3_iterations);
	RUN(test_fnv_collisions);
	RUN(test_binary_txt);
	RUN(test_deadline_stop);
	RUN(test_purge_names);
	UNIT_DONE();
}
