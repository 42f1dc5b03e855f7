/*
 * stats: what the daemon has done since start.  A progress line every
 * PROGRESS_MS while a backlog drains (a start with everything due, a master
 * back after a pause): done, left, rate and time left.  Quiet when there is
 * nothing to catch up on; the counters every STATS_MS anyway.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "master.h"
#include "stats.h"
#include "util.h"
#include "zone.h"

#define PROGRESS_MIN_BACKLOG	100
#define STATS_MS		600000

struct stats	 stats;

static const double xfr_le[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
    300, 600 };
static const double commit_le[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1, 2.5, 5, 10 };
static const double notify_le[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    60, 300 };

void
stats_init(void)
{
	stats.xfr_seconds = (struct hist){ .le = xfr_le, .n = (int)NITEMS(xfr_le) };
	stats.commit_seconds = (struct hist){ .le = commit_le, .n = (int)NITEMS(commit_le) };
	stats.notify_seconds = (struct hist){ .le = notify_le, .n = (int)NITEMS(notify_le) };
}

void
hist_observe(struct hist *h, double v)
{
	int	 i;

	for (i = 0; i < h->n && v > h->le[i]; i++)
		;
	h->bucket[i]++;		/* i == n: only +Inf */
	h->count++;
	h->sum += v;
}
static int64_t	 prog_at, stats_at;
static uint64_t	 prog_checks, prog_xfrs;

void
stats_tick(int64_t now)
{
	uint64_t	 done = stats.checks - prog_checks;
	double		 secs = (double)(now - (prog_at ? prog_at : stats.started)) / 1000.0;
	double		 rate = secs > 0 ? (double)done / secs : 0;
	size_t		 left = zone_counts.pending;

	if (left >= PROGRESS_MIN_BACKLOG)
		log_info("progress: %" PRIu64 " checks done since start, %zu zones due or "
		    "in progress, %.0f checks/s over the last %.0f s, %s%.0f s left",
		    stats.checks, left, rate, secs, rate > 0 ? "about " : "",
		    rate > 0 ? (double)left / rate : -1.0);
	stats.check_rate = rate;
	stats.xfr_rate = secs > 0 ? (double)(stats.transfers - prog_xfrs) / secs : 0;
	prog_checks = stats.checks;
	prog_xfrs = stats.transfers;
	prog_at = now;
	if (stats_at == 0)
		stats_at = stats.started;
	if (now - stats_at >= STATS_MS) {
		stats_log("counters");
		stats_at = now;
	}
}

void
stats_log(const char *prefix)
{
	log_info("%s: %zu zones, %" PRIu64 " checks (%" PRIu64 " unchanged), %" PRIu64
	    " transfers (%" PRIu64 " rows), %" PRIu64 " failed attempts, %" PRIu64
	    " NOTIFYs, %zu in progress, %zu SOA queries and %zu transfers in flight, "
	    "%zu masters, %.0f s", prefix, zone_count(), stats.checks, stats.unchanged,
	    stats.transfers, stats.rows_written, stats.failures, stats.notifies,
	    zone_counts.pending, zone_counts.in[ZONE_QUERYING],
	    zone_counts.in[ZONE_TRANSFERRING] + zone_counts.in[ZONE_WRITING],
	    master_count(), (double)(util_now_ms() - stats.started) / 1000.0);
}

void
stats_status(char *buf, size_t len)
{
	snprintf(buf, len, "%zu zones, %zu due or in progress, %zu transfers in flight; "
	    "since start %" PRIu64 " checks, %" PRIu64 " transfers, %" PRIu64
	    " failed attempts", zone_count(), zone_counts.pending,
	    zone_counts.in[ZONE_TRANSFERRING] + zone_counts.in[ZONE_WRITING],
	    stats.checks, stats.transfers, stats.failures);
}

void
stats_db(const char *err)
{
	if (err == NULL) {
		stats.db_ok_time = (int64_t)time(NULL);
		return;
	}
	stats.db_errors++;
	stats.db_err_time = (int64_t)time(NULL);
	util_strlcpy(stats.db_err, err, sizeof(stats.db_err));
}
