/* stats: counters since start, progress lines, and the counters line. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

struct stats {
	uint64_t	 checks, unchanged, transfers, rows_written;
	uint64_t	 failures, xfr_failures;
	uint64_t	 notifies, notify_refused;
	uint64_t	 once_failed;	/* --once: zones that did not end fresh */
	int64_t		 started;	/* monotonic ms */
};
extern struct stats stats;

/* Every 10 s: a progress line while a backlog drains; the counters every 10 min. */
void	stats_tick(int64_t now);
/* A short status for systemd's STATUS= ("170000 zones, 12 in progress, ..."). */
void	stats_status(char *buf, size_t len);
/* One line with the counters. */
void	stats_log(const char *prefix);

#endif
