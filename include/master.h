/* master: master address lists and the per-master registry (limits, queues). */
#ifndef MASTER_H
#define MASTER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MASTER_MAX	16	/* masters kept per domain; more are ignored */

struct zone;
TAILQ_HEAD(zone_list, zone);

struct master_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

struct master {
	struct master_addr	 addr;
	char			 name[64];	/* for logs: 192.0.2.1:53, [::1]:5300 */
	unsigned		 refs;		/* zones listing it */
	struct master		*hnext;

	/* Owned by sched: zones waiting for an SOA query or a transfer. */
	struct zone_list	 ready;
	struct zone_list	 xfrwait;
	int			 soa_inflight;
	int			 xfr_inflight;
	double			 tokens;	/* query rate bucket */
	int64_t			 tokens_at;	/* ms when tokens was computed */
	bool			 in_runnable, in_xfr_runnable, sleeping;
	TAILQ_ENTRY(master)	 run;
	TAILQ_ENTRY(master)	 xrun;
	struct event		*wake;		/* token refill timer */

	/* Health: failures for logging once, and down-ness as a whole. */
	unsigned		 fails;
	int64_t			 last_err_log;
	bool			 down;		/* no answer: no query until the probe */
	bool			 probing;	/* down time over: one query tests it */
	int64_t			 down_since, down_ms;	/* current pause, doubling */
	int64_t			 down_log;	/* last warning about the pause */
	unsigned		 skipped;	/* zones moved on or failed while down */
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

/* The registry entry for an address, created on first use; takes a reference. */
struct master	*master_get(const struct master_addr *);
/* Drop a reference; the entry is freed when none is left. */
void		 master_put(struct master *);
/* Number of masters in the registry. */
size_t		 master_count(void);

#endif
