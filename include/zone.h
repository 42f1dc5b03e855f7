/* zone: the in-memory zone table, timer heap, serial arithmetic, timers. */
#ifndef ZONE_H
#define ZONE_H

#include <sys/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "master.h"

struct soa_query;

enum zone_state {
	ZONE_WAITING,		/* in the timer heap until due */
	ZONE_READY,		/* due; queued on its current master for a SOA query */
	ZONE_QUERYING,		/* SOA query out */
	ZONE_XFR_WAIT,		/* newer serial seen; waiting for a transfer slot */
	ZONE_TRANSFERRING,	/* a worker has it */
	ZONE_DONE,		/* --once: finished, not rescheduled */
};

#define ZONE_NEVER	INT64_MIN

struct zone {
	uint32_t		 id;		/* domains.id */
	uint32_t		 master_hash;	/* of domains.master, to see changes */
	struct master		**masters;	/* &master1 when there is one */
	struct master		*master1;
	uint8_t			 nmasters;
	uint8_t			 cur;		/* master being tried */
	uint8_t			 state;		/* enum zone_state */
	bool			 has_soa;	/* a SOA row exists in the DB */
	bool			 writing;	/* transferred, in a group commit */
	bool			 removed;	/* gone from domains; free when idle */
	bool			 expired;	/* logged as expired */
	bool			 seen;		/* reload generation mark */
	bool			 stale_warned;	/* master's serial not newer: warned */
	bool			 notify_again;	/* NOTIFY while busy: check again after */
	uint16_t		 fails;		/* consecutive failed attempts */
	uint32_t		 serial, refresh, retry, expire;
	int64_t			 due;		/* monotonic ms */
	int64_t			 last_ok;	/* monotonic ms of the last good check, or ZONE_NEVER */
	uint32_t		 heap_idx;	/* position in the heap; 0 = not in it */
	struct soa_query	*sq;		/* while querying */
	struct zone		*id_next, *name_next;
	TAILQ_ENTRY(zone)	 q;		/* master ready or xfrwait queue */
	char			 name[];	/* lowercase, no trailing dot */
};

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

/* Room for n master references (the zone holds one itself); drops the old ones. */
struct master	**zone_masters_room(struct zone *, int n);

/* The table: by id and by name.  The table owns its zones. */
struct zone	*zone_new(uint32_t id, const char *name);
void		 zone_free(struct zone *);
void		 zone_table_add(struct zone *);
void		 zone_table_remove(struct zone *);
struct zone	*zone_by_id(uint32_t);
struct zone	*zone_by_name(const char *);
size_t		 zone_count(void);
/* Call fn for each zone; fn may not add or remove zones. */
void		 zone_foreach(void (*fn)(struct zone *, void *), void *);

/* Timer heap ordered by due. */
void		 zone_heap_push(struct zone *);
void		 zone_heap_remove(struct zone *);
struct zone	*zone_heap_top(void);
size_t		 zone_heap_size(void);

#endif
