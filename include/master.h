/*
 * master: master address lists, the registry of masters shared by all
 * zones, their queues and run lists, their timers, and their health.
 */
#ifndef MASTER_H
#define MASTER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "util.h"

#define MASTER_MAX	16	/* masters kept per domain; more are ignored */

struct zone;
TAILQ_HEAD(zone_list, zone);

struct master_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

/* Health comes from real answers only. */
enum master_health {
	MASTER_UP,
	MASTER_DOWN,		/* nothing came back: no query until the timer */
	MASTER_PROBING,		/* pause over: one query tests it */
};

struct master {
	struct master_addr	 addr;
	char			 name[64];	/* for logs: 192.0.2.1:53, [::1]:5300 */
	unsigned		 refs;		/* zones listing it */
	struct master		*hnext;

	/* Queues (zone_set_state keeps them) and admission state. */
	struct zone_list	 urgent;	/* NOTIFYs: checked before ready */
	struct zone_list	 ready;		/* due for a SOA check */
	struct zone_list	 xfrwait;	/* newer serial: waiting for a transfer;
						 * zones whose last transfer failed last */
	struct zone		*xfr_ffirst;	/* the first of those, NULL: none */
	bool			 xfr_turn;	/* a working one went last: a failing
						 * one may go next */
	int			 soa_inflight;
	int			 xfr_inflight;
	int			 xfr_streak;	/* transfers in a row ahead of its turn */
	bool			 xfr_one;	/* broke a transfer limit: one at a time */
	int64_t			 ixfr_off_until;	/* it refused IXFR: AXFR until then */
	int64_t			 ixfr_udp_off_until;	/* ... over UDP: SOA queries */
	bool			 ixfr_udp_said;		/* that was logged at info once */
	struct bucket		 tokens;	/* query rate */
	int8_t			 run;		/* which run list: -1 none, 0, 1 urgent */
	bool			 in_xrun;
	TAILQ_ENTRY(master)	 runq;
	TAILQ_ENTRY(master)	 xrunq;
	struct heap_node	 timer;		/* out of tokens, or paused, until then */

	/* Health. */
	uint8_t			 health;	/* enum master_health */
	int64_t			 last_answer;	/* ms of the last real answer, 0: never */
	uint32_t		 probe_id;	/* the zone that answered last */
	uint32_t		 probing_id;	/* the zone whose query tests it */
	int64_t			 down_since, down_ms, down_log;
	unsigned		 skipped;	/* zone checks moved on or held while down */
	struct log_rl		 errlog;	/* one failure warning a minute */
	int64_t			 err_time;	/* Unix seconds of the last error, 0: none */
	char			 err[224];	/* the last error: "zone z: what: why" */
};
TAILQ_HEAD(master_list, master);

/*
 * Parse a domains.master value as PowerDNS accepts it: addresses separated by
 * commas, spaces or tabs; "ip", "ip:port", "v6", "[v6]" and "[v6]:port";
 * port 53 when none is given.  Fills up to max entries; returns the count,
 * or -1 with a message in err.  Pure: no logging, no allocation.
 */
int		 master_parse(const char *text, struct master_addr *out, int max,
		    char *err, size_t errlen);
/* Format an address as "ip:port" / "[v6]:port" into buf. */
void		 master_fmt(const struct master_addr *, char *buf, size_t len);
/* Same address and port. */
bool		 master_addr_eq(const struct master_addr *, const struct sockaddr *,
		    socklen_t);
/* Same address, any port (the source of a NOTIFY). */
bool		 master_host_eq(const struct master_addr *, const struct sockaddr *,
		    socklen_t);

/* An address block, "192.0.2.0/24", "2001:db8::/32" or one address. */
struct master_mask {
	int		 family;	/* AF_INET, AF_INET6 */
	uint8_t		 addr[16];
	int		 bits;
};
/* Parse a block as pdns's allow-notify-from takes it; -1 with err. */
int		 master_parse_mask(const char *, struct master_mask *, char *err,
		    size_t errlen);
/* Whether sa's address is inside the block. */
bool		 master_mask_match(const struct master_mask *, const struct sockaddr *);

/* The registry entry for an address, created on first use; takes a reference. */
struct master	*master_get(const struct master_addr *);
/* Drop a reference; the last one takes it off every list and frees it. */
void		 master_put(struct master *);
/* Number of masters in the registry. */
size_t		 master_count(void);
/* The registry entry for an address, without a reference; NULL: none. */
struct master	*master_find(const struct master_addr *);
/* Call fn for every master in the registry (fn must not add or drop one). */
void		 master_foreach(void (*fn)(struct master *, void *), void *);

/*
 * Run lists: masters with zones to check (those with NOTIFYs first), and
 * masters with zones to transfer.  master_wants_run puts m on the right
 * list if it has work and may send (not paused, not waiting for tokens).
 */
void		 master_wants_run(struct master *);
struct master	*master_next_run(void);		/* takes it off its list */
bool		 master_can_run(void);		/* some master is on a run list */
void		 master_wants_xfr(struct master *);
/* The same, at the head of the queue: its next transfer goes first. */
void		 master_xfr_first(struct master *);
struct master	*master_next_xfr(void);

/* The master timers: out of tokens, or the end of a pause. */
void		 master_timer_set(struct master *, int64_t at);
void		 master_timer_del(struct master *);
struct master	*master_next_timer(void);

/*
 * Health.  master_answered: a real answer (any rcode) came from m about
 * zone id; true if m was paused or under test (a resumption after a pause
 * is logged; m back on its run list).  master_heard_since: an answer came
 * at or after t.  master_silent: pause m (first down_ms, doubling after each
 * failed probe that ends a pause, up to max_ms); true if it was not paused.
 */
bool		 master_answered(struct master *, uint32_t zone_id, int64_t now);
bool		 master_heard_since(const struct master *, int64_t t);
bool		 master_silent(struct master *, int64_t now, int64_t down_ms,
		    int64_t max_ms);
const char	*master_health_name(enum master_health);
/* Change m's health; master_health_count keeps the masters in each. */
void		 master_set_health(struct master *, enum master_health);
extern size_t	 master_health_count[3];
/* Log a pause (a warning when it starts, a reminder an hour, else debug). */
#define MASTER_DOWNLOG_MS	3600000
void		 master_log_pause(struct master *, const char *why, size_t waiting,
		    int64_t now);
/* A failure from m about zone: a warning a minute per master, the rest at debug. */
#define MASTER_ERRLOG_MS	60000
void		 master_log_error(struct master *, const char *zone, const char *what,
		    const char *why, int64_t now);

#endif
