/* stats: counters since start, progress lines, and the counters line. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

/* A Prometheus histogram: counts per upper bound (seconds), sum, count. */
#define HIST_MAX	16
struct hist {
	const double	*le;		/* upper bounds, ascending */
	int		 n;
	uint64_t	 bucket[HIST_MAX];	/* not cumulative: by first bound >= v */
	uint64_t	 count;
	double		 sum;
};
void	hist_observe(struct hist *, double seconds);

struct stats {
	uint64_t	 checks, unchanged, transfers, rows_written;
	uint64_t	 first_direct;	/* first loads sent without a SOA query */
	uint64_t	 xfr_udp;	/* written transfers that came whole with the
					 * check's IXFR over UDP */
	uint64_t	 udp_not_held;	/* ... answers not kept: over ZONE_UDP_HELD_MAX */
	uint64_t	 failures, xfr_failures;
	uint64_t	 notifies, notify_refused;
	uint64_t	 once_failed;	/* --once: zones that did not end fresh */
	int64_t		 started;	/* monotonic ms */
	double		 check_rate, xfr_rate;	/* a second, over the last 10 s */
	/* The database as the loop sees it (domain list, last_check, writes). */
	uint64_t	 db_errors;
	int64_t		 db_ok_time, db_err_time;	/* Unix seconds, 0: never */
	char		 db_err[224];
	/* For the metrics: by outcome, sizes, durations. */
	uint64_t	 soa_by[8];		/* enum soa_status */
	uint64_t	 xfr_by[8];		/* enum xfr_status */
	uint64_t	 xfr_limit;		/* XFR_FAILED by breaking a limit */
	uint64_t	 xfr_bytes, xfr_records;
	uint64_t	 xfr_how[4];		/* written transfers by enum xfr_how */
	uint64_t	 notify_by[7];		/* enum notify_verdict, up to AP_FAILED */
	struct hist	 xfr_seconds, commit_seconds, notify_seconds;
};
extern struct stats stats;

/* Set the histograms' bounds (at start). */
void	stats_init(void);
/* Every 10 s: a progress line while a backlog drains; the counters every 10 min. */
void	stats_tick(int64_t now);
/* A database round trip went well, or failed with err. */
void	stats_db(const char *err);
/* A short status for systemd's STATUS= ("170000 zones, 12 in progress, ..."). */
void	stats_status(char *buf, size_t len);
/* One line with the counters. */
void	stats_log(const char *prefix);

#endif
