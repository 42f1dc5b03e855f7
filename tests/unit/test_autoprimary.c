/*
 * autoprimary's decisions on a NOTIFY for an unknown zone, before any
 * query or database work: who is refused at once, and the bounds (one
 * check per zone name, autoprimary-per-source, autoprimary-in-flight).
 * The supermasters come in as the db thread would hand them over; the SOA
 * and NS queries a started check sends go to loopback port 53 and are
 * dropped at the end.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "autoprimary.h"
#include "conf.h"
#include "dbthread.h"
#include "log.h"
#include "unit.h"
#include "util.h"

static struct conf	 C;
static uint8_t		 msg[64];
static size_t		 msglen;

static struct sockaddr_in
addr(const char *ip)
{
	struct sockaddr_in	 s = { .sin_family = AF_INET, .sin_port = htons(40000) };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static enum notify_verdict
notify(const char *ip, const char *zone, bool allowed)
{
	struct sockaddr_in	 s = addr(ip);
	struct notify_sig	 sig;

	memset(&sig, 0, sizeof(sig));
	return autoprimary_notify(-1, msg, msglen, (struct sockaddr *)&s, sizeof(s),
	    (struct sockaddr *)&s, sizeof(s), zone, NULL, allowed, &sig);
}

/* The supermasters' addresses, as the db thread hands them over. */
static void
supermasters(const char *const *ips, size_t n)
{
	struct dbreq	*r = xcalloc(1, sizeof(*r));

	r->type = DBREQ_AP_LOAD;
	r->ips = xcalloc(n + 1, sizeof(*r->ips));
	for (size_t i = 0; i < n; i++)
		r->ips[i] = xstrdup(ips[i]);
	r->nips = n;
	autoprimary_done(r);
	dbreq_free(r);
}

int
main(void)
{
	struct event_base	*base = event_base_new();
	static const char *const sm[] = { "127.0.0.1", "127.0.0.2", "not-an-address", "::1" };
	char			 z[64];
	int			 deferred = 0, dropped = 0;
	size_t			 active, nsm;
	uint64_t		 ndropped;

	log_init("test_autoprimary", 0, LOG_LVL_ERR, false);
	memset(&C, 0, sizeof(C));
	C.soa_timeout_ms = 60000;
	C.soa_tries = 1;
	C.domains_reload_s = 60;
	C.allow_unsigned_ap = true;
	C.ap_inflight = 10;
	C.ap_per_source = 4;
	autoprimary_init(base, &C);		/* off: no load asked of a db thread */
	C.autosecondary = true;
	msglen = 12;				/* the header is all autoprimary keeps */

	CHECK(notify("127.0.0.1", "a.test", true) == NOTIFY_AP_REFUSED,
	    "before supermasters are read: refused, nothing asked");
	supermasters(sm, NITEMS(sm));
	autoprimary_counts(&active, &nsm, &ndropped);
	CHECK(nsm == 3, "supermasters: 3 addresses taken, the row that is none skipped (%zu)", nsm);
	CHECK(notify("127.0.0.9", "a.test", true) == NOTIFY_AP_REFUSED,
	    "a sender in no supermasters row: refused at once");
	CHECK(notify("127.0.0.1", "a.test", false) == NOTIFY_AP_REFUSED,
	    "unsigned from outside allow-notify-from: refused");
	C.allow_unsigned_ap = false;
	CHECK(notify("127.0.0.1", "a.test", true) == NOTIFY_AP_REFUSED,
	    "unsigned with allow-unsigned-autoprimary off: refused");
	C.allow_unsigned_ap = true;
	CHECK(notify("127.0.0.1", "", true) == NOTIFY_AP_REFUSED, "the root zone: refused");
	CHECK(notify("127.0.0.1", "a.test", true) == NOTIFY_DEFERRED,
	    "a supermaster's NOTIFY for an unknown zone: checked, answered later");
	CHECK(notify("127.0.0.1", "A.test.", true) == NOTIFY_DROPPED,
	    "the same zone again while it is checked: dropped (one check per name)");
	for (int i = 0; i < 20; i++) {
		snprintf(z, sizeof(z), "flood%d.test", i);
		enum notify_verdict v = notify("127.0.0.1", z, true);
		deferred += v == NOTIFY_DEFERRED;
		dropped += v == NOTIFY_DROPPED;
	}
	CHECK(deferred == 3 && dropped == 17, "one sender: autoprimary-per-source (4) checks at "
	    "once, the rest dropped (%d started, %d dropped)", deferred, dropped);
	deferred = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(z, sizeof(z), "other%d.test", i);
		deferred += notify("127.0.0.2", z, true) == NOTIFY_DEFERRED;
	}
	CHECK(deferred == 4, "another sender is not starved by the first (%d started)", deferred);
	autoprimary_counts(&active, &nsm, &ndropped);
	CHECK(active == 8, "checks under way: 8 (%zu)", active);
	C.ap_per_source = 100;
	deferred = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(z, sizeof(z), "more%d.test", i);
		deferred += notify("127.0.0.2", z, true) == NOTIFY_DEFERRED;
	}
	autoprimary_counts(&active, &nsm, &ndropped);
	CHECK(deferred == 2 && active == 10, "all senders: autoprimary-in-flight (10) at once "
	    "(%d more started, %zu under way)", deferred, active);
	autoprimary_shutdown();
	autoprimary_counts(&active, &nsm, &ndropped);
	CHECK(active == 0, "shutdown: the checks under way dropped (%zu left)", active);
	CHECK(notify("127.0.0.1", "late.test", true) == NOTIFY_UNKNOWN,
	    "shutting down: no new check");
	autoprimary_stop();
	event_base_free(base);
	UNIT_DONE();
}
