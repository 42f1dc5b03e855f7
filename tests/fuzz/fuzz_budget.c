/*
 * libFuzzer target: what a master's transfer costs.  The input is a short
 * program, not a transfer: a mode byte, then 4-byte operations that each
 * expand into many records (deep owners, distinct deep owners, binary TXT,
 * delegations with glue and names below them, NSEC3PARAM with chosen
 * iterations, NSEC3 records, wide siblings, NSEC), up to 400,000 records
 * and 32 MB of wire.  The transfer is built first, then fed through
 * axfr_feed and rr_set_finish under a budget (64 MiB, 5 s, the default
 * NSEC3 iteration cap), as a worker runs it.  The run fails (abort) when
 * the conversion overran its deadline by more than a second, charged more
 * than its budget, or holds more heap than it charged: work that does not
 * look at the clock, or memory that escapes the budget.
 */
#include <sanitizer/allocator_interface.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axfr.h"
#include "rr.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_RECORDS	400000
#define MAX_WIRE	(32u << 20)
#define BUDGET_MEM	((size_t)64 << 20)
#define BUDGET_MS	5000
#define SLACK_MS	1000
#define ID		0x1234

struct out {
	uint8_t		*buf;		/* 2-byte length, message, ... */
	size_t		 len;
	size_t		 msg;		/* offset of the open message's length */
	unsigned	 count;		/* records in it */
	size_t		 records;
	bool		 full;
};

static void
msg_close(struct out *o)
{
	size_t	 n;

	if (o->count == 0)
		return;
	n = o->len - o->msg - 2;
	o->buf[o->msg] = (uint8_t)(n >> 8);
	o->buf[o->msg + 1] = (uint8_t)n;
	o->buf[o->msg + 2 + 6] = (uint8_t)(o->count >> 8);
	o->buf[o->msg + 2 + 7] = (uint8_t)o->count;
	o->count = 0;
}

/* One record: owner (wire), type, rdata. */
static void
rec(struct out *o, const uint8_t *owner, size_t olen, uint16_t type, const uint8_t *rd,
    size_t rdlen)
{
	if (o->full || o->records >= MAX_RECORDS ||
	    o->len + 2 + 12 + olen + 10 + rdlen + 64 > MAX_WIRE) {
		o->full = true;
		return;
	}
	if (o->count > 0 && o->len - o->msg - 2 + olen + 10 + rdlen > 65000)
		msg_close(o);
	if (o->count == 0) {
		o->msg = o->len;
		memset(o->buf + o->len, 0, 14);
		o->buf[o->len + 2] = ID >> 8;
		o->buf[o->len + 3] = ID & 255;
		o->buf[o->len + 4] = 0x84;
		o->len += 14;
	}
	memcpy(o->buf + o->len, owner, olen);
	o->len += olen;
	uint8_t h[10] = { (uint8_t)(type >> 8), (uint8_t)type, 0, 1, 0, 0, 1, 44,
	    (uint8_t)(rdlen >> 8), (uint8_t)rdlen };
	memcpy(o->buf + o->len, h, 10);
	o->len += 10;
	memcpy(o->buf + o->len, rd, rdlen);
	o->len += rdlen;
	o->count++;
	o->records++;
}

/* A wire name: labels from the list (leaf first), then "example". */
static size_t
name(uint8_t *w, const char *const *labels, size_t n)
{
	size_t	 len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(labels[i]);
		if (l == 0 || l > 63 || len + 1 + l + 9 > 255)
			break;
		w[len++] = (uint8_t)l;
		memcpy(w + len, labels[i], l);
		len += l;
	}
	memcpy(w + len, "\7example", 9);
	return len + 9;
}

/* A name of depth labels of "a" (as deep as fits) with tag next to the apex. */
static size_t
deep(uint8_t *w, unsigned depth, const char *tag)
{
	const char	*l[130];
	size_t		 n = 0;

	while (n < depth && n < 120)
		l[n++] = "a";
	l[n++] = tag;
	return name(w, l, n);
}

static void
soa(struct out *o)
{
	static const uint8_t apex[] = "\7example";
	static const uint8_t rd[] = "\2ns\0\1h\0\0\0\0\1\0\0\16\20\0\0\2\130\0\11\72\200\0\0\1\54";

	rec(o, apex, sizeof(apex), LDNS_RR_TYPE_SOA, rd, sizeof(rd) - 1);
}

static void
program(struct out *o, const uint8_t *p, size_t n)
{
	static const uint8_t apex[] = "\7example";
	uint8_t		 w[256], rd[1024];
	char		 tag[32], tag2[32];

	soa(o);
	for (size_t i = 0; i + 4 <= n && !o->full; i += 4) {
		unsigned op = p[i] % 8, count = (unsigned)(p[i + 1] << 8 | p[i + 2]), c = p[i + 3];
		size_t	 wl;

		switch (op) {
		case 0:		/* many records at one deep owner */
			wl = deep(w, c % 128, "s");
			for (unsigned k = 0; k < count * 16 && !o->full; k++) {
				uint8_t a[4] = { 10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k };
				rec(o, w, wl, LDNS_RR_TYPE_A, a, 4);
			}
			break;
		case 1:		/* distinct deep owners: every ancestor new */
			for (unsigned k = 0; k < count * 4 && !o->full; k++) {
				snprintf(tag, sizeof(tag), "n%u", k);
				wl = deep(w, c % 128, tag);
				uint8_t a[4] = { 192, 0, 2, 1 };
				rec(o, w, wl, LDNS_RR_TYPE_A, a, 4);
			}
			break;
		case 2:		/* binary TXT: four bytes of text per byte */
			for (unsigned k = 0; k < count && !o->full; k++) {
				snprintf(tag, sizeof(tag), "t%u", k);
				const char *l[1] = { tag };
				wl = name(w, l, 1);
				rd[0] = (uint8_t)c;
				for (unsigned b = 0; b < c; b++)
					rd[1 + b] = (uint8_t)(b * 7 + k);
				rec(o, w, wl, LDNS_RR_TYPE_TXT, rd, 1 + (size_t)c);
			}
			break;
		case 3:		/* delegations, glue, names below the cut */
			for (unsigned k = 0; k < count && !o->full; k++) {
				snprintf(tag, sizeof(tag), "d%u", k);
				const char *l[2] = { "ns", tag };
				size_t nl = name(rd, l, 2);
				wl = name(w, l + 1, 1);
				rec(o, w, wl, LDNS_RR_TYPE_NS, rd, nl);
				uint8_t a[4] = { 192, 0, 2, 53 };
				rec(o, rd, nl, LDNS_RR_TYPE_A, a, 4);
				wl = deep(w, c % 64, tag);
				rec(o, w, wl, LDNS_RR_TYPE_A, a, 4);
			}
			break;
		case 4: {	/* NSEC3PARAM with these iterations */
			uint8_t np[5 + 15] = { 1, 0, (uint8_t)(count >> 8), (uint8_t)count,
			    (uint8_t)(c % 16) };
			rec(o, apex, sizeof(apex), LDNS_RR_TYPE_NSEC3PARAM, np, 5 + (size_t)(c % 16));
			break;
		}
		case 5:		/* NSEC3 records with the NS bit (opt-out from c) */
			for (unsigned k = 0; k < count && !o->full; k++) {
				snprintf(tag, sizeof(tag), "%032u", k * 2654435761u);
				for (char *t = tag; *t; t++)
					*t = "0123456789abcdefghijklmnopqrstuv"[(*t - '0') * 3 % 32];
				const char *l[1] = { tag };
				wl = name(w, l, 1);
				uint8_t n3[] = { 1, (uint8_t)(c & 1), 0, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7,
				    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0, 1, 0x20 };
				rec(o, w, wl, LDNS_RR_TYPE_NSEC3, n3, sizeof(n3));
			}
			break;
		case 6:		/* wide: many siblings under a few parents */
			for (unsigned k = 0; k < count * 16 && !o->full; k++) {
				snprintf(tag, sizeof(tag), "w%u", k);
				snprintf(tag2, sizeof(tag2), "x%u", c ? k % c : 0);
				const char *l[2] = { tag, tag2 };
				wl = name(w, l, 2);
				uint8_t a[4] = { 192, 0, 2, 9 };
				rec(o, w, wl, LDNS_RR_TYPE_A, a, 4);
			}
			break;
		case 7: {	/* NSEC at the apex: a presigned zone */
			uint8_t ns[] = { 1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0x62 };
			rec(o, apex, sizeof(apex), LDNS_RR_TYPE_NSEC, ns, sizeof(ns));
			break;
		}
		}
	}
	o->full = false;	/* the closing SOA always fits: room was kept */
	if (o->records >= MAX_RECORDS)
		o->records = MAX_RECORDS - 1;
	soa(o);
	msg_close(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct out o;
	struct axfr	 ax;
	struct rr_set	 set;
	struct rr_meta	 meta;
	struct rr_budget b = { BUDGET_MEM, 0, NULL, 150 };
	char		 err[256] = "";
	size_t		 before, held;
	int64_t		 start, took;
	int		 rc = 0;

	if (size < 1 || size > 256)
		return 0;
	if (o.buf == NULL)
		o.buf = malloc(MAX_WIRE + 65536);
	o.len = o.msg = o.records = 0;
	o.count = 0;
	o.full = false;
	program(&o, data + 1, size - 1);

	before = __sanitizer_get_current_allocated_bytes();
	start = util_now_ms();
	b.deadline = start + BUDGET_MS;
	rr_set_init(&set, "example");
	rr_set_budget(&set, &b);
	if (axfr_init(&ax, "example", ID, MAX_RECORDS + 10, &set) == -1)
		abort();
	for (size_t off = 0; rc == 0 && off + 2 <= o.len;) {
		size_t len = (size_t)(o.buf[off] << 8 | o.buf[off + 1]);
		rc = axfr_feed(&ax, o.buf + off + 2, len, err, sizeof(err));
		off += 2 + len;
	}
	if (rc == 1)
		rc = rr_set_finish(&set, NULL, data[0] & 1, &meta, err, sizeof(err));
	took = util_now_ms() - start;
	held = __sanitizer_get_current_allocated_bytes() - before;
	if (took > BUDGET_MS + SLACK_MS) {
		fprintf(stderr, "fuzz_budget: %" PRId64 " ms for %zu records (budget %d ms): %s\n",
		    took, o.records, BUDGET_MS, err);
		abort();
	}
	if (set.mem > BUDGET_MEM) {
		fprintf(stderr, "fuzz_budget: charged %zu bytes, budget %zu\n", set.mem, BUDGET_MEM);
		abort();
	}
	/* what the set holds was charged (the ldns structures are gone by now) */
	if (held > set.mem + (1 << 20)) {
		fprintf(stderr, "fuzz_budget: %zu bytes held, %zu charged, %zu records\n", held,
		    set.mem, o.records);
		abort();
	}
	axfr_free(&ax);
	rr_set_free(&set);
	return 0;
}
