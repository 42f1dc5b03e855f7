/* zone: the zone table, its timers and the zone state machine. */
#ifndef ZONE_H
#define ZONE_H

#include <sys/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dnswire.h"
#include "master.h"
#include "util.h"

/*
 * A zone's life.  Only zone_set_state() moves a zone between states, and it
 * does every side effect of the move: the timer heap, its master's queues
 * and in-flight counts, the totals in zone_counts, a pending master list.
 */
enum zone_state {
	ZONE_IDLE,		/* in the timer heap until due */
	ZONE_QUEUED,		/* due: in its master's queue for a SOA check */
	ZONE_QUERYING,		/* SOA query out */
	ZONE_XFR_QUEUED,	/* newer serial seen: in its master's transfer queue */
	ZONE_TRANSFERRING,	/* a worker fetches it */
	ZONE_WRITING,		/* fetched; waits in a worker's group commit */
	ZONE_DONE,		/* --once or shutdown: finished, not rescheduled */
	ZONE_NSTATES
};

#define ZONE_NEVER	INT64_MIN

/* How the zone's last check ended (what `pdns-refresher-control zone` says). */
enum zone_result {
	ZR_NONE,		/* not checked since start */
	ZR_UNCHANGED,		/* the master has our serial */
	ZR_TRANSFERRED,		/* a newer serial, transferred and written */
	ZR_KEPT,		/* the master's serial is not newer: ours kept */
	ZR_FAILED,		/* see the zone's last error */
};

/* The last failure of a zone, kept once it has failed (most zones never do). */
struct zone_err {
	int64_t			 time;		/* Unix seconds */
	char			 master[64];	/* its name, "" for none */
	char			 reason[192];
};

/* A domains.master change waiting for the zone's next idle moment. */
struct zone_pend {
	int64_t			 at;		/* ms it was seen: the zone is due then */
	int			 n;
	struct master_addr	 addr[];
};

struct zone {
	uint32_t		 id;		/* domains.id */
	uint32_t		 master_hash;	/* of domains.master, to see changes */
	struct master		**masters;	/* &master1 when there is one */
	struct master		*master1;
	struct master		*at;		/* whose queue or slot it holds */
	union {
		void		*sq;		/* querying: the SOA query */
		struct dnsmsg	*udp;		/* transfer queued: the IXFR answer
						 * the check brought, or NULL */
	};
	struct zone_pend	*pend;		/* a new master list, applied when idle */
	struct zone_err		*err;		/* the last failure, NULL: none yet */
	struct heap_node	 due;		/* next check (monotonic ms) */
	struct heap_node	 exp;		/* when it expires, while it has data */
	int64_t			 last_ok;	/* monotonic ms of the last good check, or ZONE_NEVER */
	struct heap_node	 okh;		/* by last_ok: the oldest good check */
	int64_t			 notify_at;	/* monotonic ms of a NOTIFY not yet acted on, 0 */
	uint32_t		 serial, refresh, retry, expire;
	uint32_t		 gen;		/* domain list generation it was last seen in */
	uint32_t		 lc_time;	/* wall time (s) for lastcheck's batch */
	uint32_t		 checked_at;	/* wall time (s) the last check ended, 0: none */
	uint32_t		 serial_at;	/* wall time (s) we wrote serial, 0: before start */
	uint32_t		 lame_since;	/* since every master says "not mine" (s), 0 */
	uint32_t		 lower_serial;	/* the master's serial below ours ... */
	uint32_t		 lower_since;	/* ... seen since (s), 0: none; both in
						 * seconds of the scheduler's clock */
	uint16_t		 fails;		/* consecutive failed attempts */
	uint8_t			 nmasters;
	uint8_t			 cur;		/* master being tried */
	uint8_t			 state;		/* enum zone_state */
	uint8_t			 result;	/* enum zone_result of the last check */
	uint8_t			 res_master;	/* the master that gave it */
	uint8_t			 st_code;	/* what its refresher_zone_status row says */
	uint8_t			 rows_bits;	/* its rows at the last transfer < 2^this;
						 * 0: none yet (xfr_job.rows_hint) */
	bool			 has_soa:1;	/* a SOA row exists in the DB */
	bool			 removed:1;	/* gone from domains; freed when idle */
	bool			 expired:1;	/* logged as expired */
	bool			 stale_warned:1; /* master's serial not newer: warned */
	bool			 notify_again:1; /* NOTIFY while busy: check again after */
	bool			 urgent:1;	/* NOTIFY: queue it in the urgent lane */
	bool			 in_urgent:1;	/* it is queued there (zone_set_state) */
	bool			 in_lc:1;	/* in lastcheck's batch */
	bool			 force:1;	/* retransfer: AXFR whatever the serial */
	bool			 waited:1;	/* a control client waits for the check's end */
	bool			 in_st:1;	/* in zstatus's batch */
	bool			 att_lame:1;	/* this failure: REFUSED, NOTAUTH, NXDOMAIN */
	bool			 round_lame:1;	/* every failure of this round was */
	bool			 xfr_failed:1;	/* its last transfer failed: it queues
						 * behind zones whose transfers work */
	bool			 ap_new:1;	/* autoprimary made it: pdns learns of it
						 * at its first transfer (rediscover) */
	TAILQ_ENTRY(zone)	 q;		/* a master's queue */
	struct zone		*id_next, *name_next;
	char			 name[];	/* lowercase, no trailing dot */
};

/* Totals kept by zone_set_state() and the setters below: O(1) to read. */
struct zone_counts {
	size_t	 in[ZONE_NSTATES];	/* zones in each state */
	size_t	 pending;		/* queued .. writing */
	size_t	 failing;		/* fails > 0 */
	size_t	 expired;		/* expired */
	size_t	 unloaded;		/* no SOA stored (never loaded) */
};
extern struct zone_counts zone_counts;

/* Name for log lines ("querying"). */
const char	*zone_state_name(enum zone_state);
/*
 * Move z to st.  Entering ZONE_QUEUED or ZONE_XFR_QUEUED puts it at the tail
 * of m's queue (the head of the urgent lane when z->urgent); ZONE_QUERYING
 * and ZONE_TRANSFERRING take one of m's slots; ZONE_IDLE arms z->due.at, or,
 * when a new master list is pending, applies it and makes the zone due by
 * pend_at.  Leaving a state undoes what entering it did.
 */
void		 zone_set_state(struct zone *, enum zone_state, struct master *m);
/* A new master list (copied), seen at now: used from the next idle moment. */
void		 zone_set_pending(struct zone *, const struct master_addr *, int n,
		    int64_t now);
/* Replace the master list now (the zone must hold no master's queue or slot). */
void		 zone_set_masters(struct zone *, const struct master_addr *, int n);
/* The next zone due, and the next to expire (NULL: none). */
struct zone	*zone_next_due(void);
struct zone	*zone_next_expiry(void);
/*
 * Keep a copy of the IXFR answer the check brought (a zone in
 * ZONE_XFR_QUEUED) for its transfer; false when the copies held by all
 * zones would pass ZONE_UDP_HELD_MAX bytes: the transfer asks by TCP.
 * zone_take_udp hands it over (NULL: none); leaving the state frees it.
 */
#define ZONE_UDP_HELD_MAX	(4 << 20)
bool		 zone_hold_udp(struct zone *, const uint8_t *msg, size_t len);
struct dnsmsg	*zone_take_udp(struct zone *);
/* A SOA is stored for the zone now. */
void		 zone_set_loaded(struct zone *);
/* Failures in a row (a restart resuming them). */
void		 zone_set_fails(struct zone *, uint16_t);
/* The last good check was at (monotonic ms). */
void		 zone_set_last_ok(struct zone *, int64_t at);
/* The oldest last good check of all zones that had one; ZONE_NEVER: none. */
int64_t		 zone_oldest_ok(void);
/* Arm (or, with ZONE_NEVER, disarm) the expiry timer. */
void		 zone_set_expiry(struct zone *, int64_t at);

/*
 * The life cycle (the timer rules).  once: a zone that would wait is done,
 * a failed one counts against the exit status; stopping: every zone that
 * comes back is done.
 */
struct conf;
void		 zone_rules(const struct conf *, bool once, bool stopping);
/* Check again at at (a NOTIFY that came meanwhile: now, in the urgent lane). */
void		 zone_schedule(struct zone *, int64_t at, int64_t now);
/* Queue a due zone on its current master, or the next one when it is paused. */
void		 zone_queue(struct zone *, int64_t now);
/* A good check (res says how): next after REFRESH (jittered); EXPIRE counts from now. */
void		 zone_ok(struct zone *, int64_t now, enum zone_result);
/* A failed check: the next master, else RETRY with backoff (--once: done). */
void		 zone_fail(struct zone *, const char *why, bool next_master, int64_t now);
/*
 * Called when a check of a zone marked waited has ended (zone_ok, the last
 * zone_fail of the round) and when such a zone is freed (gone: true).
 */
extern void	(*zone_check_ended)(struct zone *, bool gone);
/* EXPIRE in seconds, at least timers.min-expire. */
uint32_t	 zone_expire_s(const struct zone *);
/* Log the zone expired if EXPIRE has passed since its last good check, else re-arm. */
void		 zone_expiry_check(struct zone *, int64_t now);
/* A master's serial not newer than ours: a warning once, then debug until in step. */
void		 zone_stale_log(struct zone *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* RFC 1982 comparison: -1 a<b, 0 equal, 1 a>b, 2 undefined (distance 2^31). */
int		 zone_serial_cmp(uint32_t a, uint32_t b);

/*
 * Parse SOA content as stored by PowerDNS ("mname rname serial refresh retry
 * expire minimum").  Returns 0, or -1 if it does not parse.
 */
int		 zone_parse_soa(const char *content, uint32_t *serial,
		    uint32_t *refresh, uint32_t *retry, uint32_t *expire);

/* Seconds clamped to [lo, hi], then jittered down to 90-100 % (NSD). */
int64_t		 zone_jitter_ms(uint32_t seconds, int lo, int hi);
/* Retry interval after fails consecutive failures: retry * 2^(fails-1), capped. */
int64_t		 zone_backoff_ms(uint32_t retry, unsigned fails, int lo, int hi, int cap);

/* Lowercase a presentation zone name and drop a trailing dot, in place. */
void		 zone_name_canon(char *);

/* The table: by id and by name.  The table owns its zones. */
struct zone	*zone_new(uint32_t id, const char *name);
/* Free a zone: out of every heap and queue first (state idle or done). */
void		 zone_free(struct zone *);
void		 zone_table_add(struct zone *);
void		 zone_table_remove(struct zone *);
struct zone	*zone_by_id(uint32_t);
struct zone	*zone_by_name(const char *);
size_t		 zone_count(void);
/* Call fn for each zone; fn may remove the zone it is given, nothing else. */
void		 zone_foreach(void (*fn)(struct zone *, void *), void *);
/* Free every zone and the table (at exit, and between unit tests). */
void		 zone_table_clear(void);

#endif
