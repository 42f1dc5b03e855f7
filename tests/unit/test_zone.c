/* Serial arithmetic, stored SOA parsing, timers, the table and the heap;
 * util's deadline and monotonic condition variable. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "unit.h"
#include "util.h"
#include "zone.h"

static void
test_serial(void)
{
	CHECK(zone_serial_cmp(1, 1) == 0, "serial: equal");
	CHECK(zone_serial_cmp(1, 2) == -1, "serial: 1 < 2");
	CHECK(zone_serial_cmp(2, 1) == 1, "serial: 2 > 1");
	CHECK(zone_serial_cmp(0xffffffffu, 0) == -1, "serial: wrap 2^32-1 < 0");
	CHECK(zone_serial_cmp(0, 0xffffffffu) == 1, "serial: 0 > 2^32-1 after wrap");
	CHECK(zone_serial_cmp(0, 0x7fffffffu) == -1, "serial: 0 < 2^31-1");
	CHECK(zone_serial_cmp(0, 0x80000000u) == 2, "serial: distance 2^31 is undefined");
	CHECK(zone_serial_cmp(0x80000000u, 0) == 2, "serial: distance 2^31 undefined both ways");
	CHECK(zone_serial_cmp(0, 0x80000001u) == 1, "serial: 0 > 2^31+1 (RFC 1982)");
	CHECK(zone_serial_cmp(2024010101u, 2024010102u) == -1, "serial: date serial bump");
}

static void
test_parse_soa(void)
{
	uint32_t s = 0, r = 0, rt = 0, e = 0;

	CHECK(zone_parse_soa("ns1.example.com hostmaster.example.com 2024010101 10800 3600 604800 3600",
	    &s, &r, &rt, &e) == 0 && s == 2024010101u && r == 10800 && rt == 3600 && e == 604800,
	    "soa: pdns content parses");
	CHECK(zone_parse_soa("a b 4294967295 1 2 3 4", &s, &r, &rt, &e) == 0 && s == 4294967295u,
	    "soa: serial 2^32-1");
	CHECK(zone_parse_soa("a b 4294967296 1 2 3 4", &s, &r, &rt, &e) == -1, "soa: serial 2^32 refused");
	CHECK(zone_parse_soa("a b -1 1 2 3 4", &s, &r, &rt, &e) == -1, "soa: negative refused");
	CHECK(zone_parse_soa("a b 1 2 3 4", &s, &r, &rt, &e) == -1, "soa: six fields refused");
	CHECK(zone_parse_soa("a b 1 2 3 4 5 6", &s, &r, &rt, &e) == -1, "soa: eight fields refused");
	CHECK(zone_parse_soa("a b 1x 2 3 4 5", &s, &r, &rt, &e) == -1, "soa: junk in number refused");
	CHECK(zone_parse_soa("", &s, &r, &rt, &e) == -1, "soa: empty refused");
	CHECK(zone_parse_soa(NULL, &s, &r, &rt, &e) == -1, "soa: NULL refused");
	CHECK(zone_parse_soa("a  b 1 2 3 4 5", &s, &r, &rt, &e) == -1, "soa: double space refused");
	CHECK(zone_parse_soa("a b 99999999999999999999999 2 3 4 5", &s, &r, &rt, &e) == -1,
	    "soa: huge number refused without overflow");
}

static void
test_timers(void)
{
	int ok = 1;

	for (int i = 0; i < 1000; i++) {
		int64_t j = zone_jitter_ms(3600, 60, 86400);
		if (j < 3240000 || j > 3600000)
			ok = 0;
	}
	CHECK(ok, "jitter: 3600 s lands in 90-100 %%");
	ok = 1;
	for (int i = 0; i < 100; i++) {
		int64_t j = zone_jitter_ms(5, 60, 86400);
		if (j < 54000 || j > 60000)
			ok = 0;
	}
	CHECK(ok, "jitter: refresh below min-refresh is raised to it");
	CHECK(zone_jitter_ms(999999999, 60, 86400) <= 86400000, "jitter: refresh above max is capped");
	CHECK(zone_backoff_ms(60, 1, 30, 3600, 21600) <= 60000 &&
	    zone_backoff_ms(60, 1, 30, 3600, 21600) >= 54000, "backoff: first failure waits RETRY");
	CHECK(zone_backoff_ms(60, 3, 30, 3600, 21600) >= 216000 &&
	    zone_backoff_ms(60, 3, 30, 3600, 21600) <= 240000, "backoff: third failure waits 4*RETRY");
	CHECK(zone_backoff_ms(60, 60, 30, 3600, 21600) <= 21600000, "backoff: capped at max-backoff");
	CHECK(zone_backoff_ms(60, 60, 30, 3600, 21600) >= 19440000, "backoff: reaches the cap");
}

static void
test_table_heap(void)
{
	struct zone	*z[100];
	struct heap	 h = { 0 };
	int		 ok = 1;
	int64_t		 last = -1;

	for (int i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Zone%d.Example.", i);
		z[i] = zone_new((uint32_t)i + 1, name);
		zone_table_add(z[i]);
		heap_set(&h, &z[i]->due, (int64_t)((i * 37) % 100));
	}
	CHECK(zone_count() == 100, "table: 100 zones");
	CHECK(zone_by_name("zone42.example") == z[42], "table: by name, canonical lowercase");
	CHECK(zone_by_id(43) == z[42], "table: by id");
	CHECK(zone_by_name("Zone42.Example.") == NULL, "table: lookups take canonical names");
	heap_del(&h, &z[10]->due);
	heap_del(&h, &z[77]->due);
	heap_set(&h, &z[20]->due, 1000);	/* moved to the end */
	while (heap_top(&h) != NULL) {
		struct heap_node *t = heap_top(&h);
		if (t->at < last)
			ok = 0;
		last = t->at;
		heap_del(&h, t);
	}
	CHECK(ok, "heap: pops in order after removals from the middle and a move");
	CHECK(last == 1000 && h.n == 0, "heap: the moved node last, then empty");
	heap_free(&h);
	for (int i = 0; i < 100; i++) {
		zone_table_remove(z[i]);
		zone_free(z[i]);
	}
	CHECK(zone_count() == 0 && zone_by_id(5) == NULL, "table: empty after removal");
}

static void
test_canon(void)
{
	char a[] = "Example.COM.", b[] = ".", c[] = "x\\.";

	zone_name_canon(a);
	zone_name_canon(b);
	zone_name_canon(c);
	CHECK_STR(a, "example.com", "canon: lowercase, no trailing dot");
	CHECK_STR(b, ".", "canon: root stays");
	CHECK_STR(c, "x\\.", "canon: an escaped dot is part of the label");
}

/* util_deadline: now plus ms on CLOCK_MONOTONIC, nanoseconds carried. */
static void
test_deadline(void)
{
	int	 ok = 1;

	for (int64_t ms = 0; ms < 3000; ms += 7) {
		struct timespec	 now, d;
		int64_t		 a, b;

		clock_gettime(CLOCK_MONOTONIC, &now);
		d = util_deadline(ms);
		a = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + ms * 1000000;
		b = (int64_t)d.tv_sec * 1000000000 + d.tv_nsec;
		/* at or after now + ms, and within the 50 ms a busy machine may take */
		if (d.tv_nsec < 0 || d.tv_nsec >= 1000000000 || b < a || b - a > 50000000)
			ok = 0;
	}
	CHECK(ok, "deadline: now + ms, its nanoseconds below a second, for 0 to 3 s");
}

/*
 * util_cond_init: a timed wait against util_deadline ends when the
 * monotonic clock passes it.  On a condition variable left on the wall
 * clock (the default), a monotonic deadline lies in the past (the wall
 * clock is decades ahead), so the wait would end at once.
 */
static void
test_cond_monotonic(void)
{
	pthread_mutex_t	 m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t	 c;
	struct timespec	 d;
	int64_t		 t0;
	int		 rc;

	util_cond_init(&c);
	pthread_mutex_lock(&m);
	t0 = util_now_ms();
	d = util_deadline(100);
	while ((rc = pthread_cond_timedwait(&c, &m, &d)) == 0)
		;		/* spurious wake-ups */
	pthread_mutex_unlock(&m);
	CHECK(rc == ETIMEDOUT && util_now_ms() - t0 >= 100,
	    "cond: a timed wait ends once the monotonic clock passes the deadline");
	pthread_cond_destroy(&c);
}

int
main(void)
{
	test_serial();
	test_parse_soa();
	test_timers();
	test_table_heap();
	test_canon();
	test_deadline();
	test_cond_monotonic();
	UNIT_DONE();
}
