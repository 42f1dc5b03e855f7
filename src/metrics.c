/*
 * metrics: Prometheus's text format on GET /metrics, served by libevent's
 * evhttp on the daemon's own loop.  Every value is a counter or a total
 * kept as things happen (zone_counts, master_health_count, stats), so a
 * scrape costs O(metrics), never O(zones); no label names a zone or a
 * master.  Off unless metrics.listen names an address.
 */
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <errno.h>
#include <inttypes.h>
#include <ldns/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "lastcheck.h"
#include "log.h"
#include "main.h"
#include "master.h"
#include "metrics.h"
#include "ha.h"
#include "notify.h"
#include "sched.h"
#include "stats.h"
#include "util.h"
#include "zone.h"

#define METRICS_MAX		4
#define METRICS_TIMEOUT_S	10
#define METRICS_MAX_HEADERS	8192

static struct {
	int		 fd[METRICS_MAX];
	int		 n;
	struct evhttp	*http;
	int64_t		 start_wall;
} M;

int
metrics_bind(const struct conf *c, char *err, size_t errlen)
{
	for (int i = 0; i < c->n_metrics_listen && i < METRICS_MAX; i++) {
		struct master_addr	 ma;
		char			 e[160];
		int			 fd, on = 1;

		if (master_parse(c->metrics_listen[i], &ma, 1, e, sizeof(e)) != 1) {
			snprintf(err, errlen, "metrics.listen %s: %s", c->metrics_listen[i], e);
			return -1;
		}
		if ((fd = socket(ma.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0)) == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
		    bind(fd, (struct sockaddr *)&ma.ss, ma.len) == -1 || listen(fd, 64) == -1) {
			snprintf(err, errlen, "metrics.listen %s: %s", c->metrics_listen[i],
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		M.fd[M.n++] = fd;
	}
	if (c->n_metrics_listen > METRICS_MAX) {
		snprintf(err, errlen, "metrics.listen: at most %d addresses", METRICS_MAX);
		return -1;
	}
	return 0;
}

/* ---- the text format ---- */

static void
head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP pdns_refresher_%s %s\n# TYPE pdns_refresher_%s %s\n",
	    name, help, name, type);
}

static void
val(struct evbuffer *b, const char *name, const char *labels, double v)
{
	evbuffer_add_printf(b, "pdns_refresher_%s%s%s%s %.17g\n", name,
	    labels ? "{" : "", labels ? labels : "", labels ? "}" : "", v);
}

static void
one(struct evbuffer *b, const char *name, const char *type, const char *help, double v)
{
	head(b, name, type, help);
	val(b, name, NULL, v);
}

static void
histogram(struct evbuffer *b, const char *name, const char *help, const struct hist *h)
{
	uint64_t	 cum = 0;

	head(b, name, "histogram", help);
	for (int i = 0; i < h->n; i++) {
		cum += h->bucket[i];
		evbuffer_add_printf(b, "pdns_refresher_%s_bucket{le=\"%g\"} %" PRIu64 "\n",
		    name, h->le[i], cum);
	}
	evbuffer_add_printf(b, "pdns_refresher_%s_bucket{le=\"+Inf\"} %" PRIu64 "\n"
	    "pdns_refresher_%s_sum %.6f\npdns_refresher_%s_count %" PRIu64 "\n",
	    name, h->count, name, h->sum, name, h->count);
}

/* Label values we print are our own words or version strings: escape anyway. */
static void
label(char *dst, size_t len, const char *v)
{
	size_t	 n = 0;

	for (; *v != '\0' && n + 3 < len; v++) {
		if (*v == '"' || *v == '\\')
			dst[n++] = '\\';
		if (*v == '\n') {
			dst[n++] = '\\';
			dst[n++] = 'n';
			continue;
		}
		dst[n++] = *v;
	}
	dst[n] = '\0';
}

void
metrics_write(struct evbuffer *b)
{
	static const char *const soa_names[] = { "ok", "truncated", "ignored", "bad",
	    "timeout", "neterr", "local" };
	static const char *const xfr_names[] = { "written", "not_newer", "failed",
	    "db_failed", "gone", "aborted", "local" };
	static const char *const notify_names[] = { "accepted", "unknown_zone",
	    "not_a_master", "bad_tsig", "autoprimary_created", "autoprimary_refused",
	    "autoprimary_failed" };
	static const char *const health_names[] = { "up", "paused", "probing" };
	char		 l[512], v1[64], v2[64], v3[64], v4[64];
	uint64_t	 answered, dropped, lost;
	int64_t		 oldest = zone_oldest_ok(), now = sched_now();

	label(v1, sizeof(v1), PDNS_REFRESHER_VERSION);
	label(v2, sizeof(v2), ldns_version());
	label(v3, sizeof(v3), event_get_version());
	label(v4, sizeof(v4), db_client_version());
	head(b, "build_info", "gauge", "Version of the daemon and of the libraries it runs "
	    "with; always 1.");
	snprintf(l, sizeof(l), "version=\"%s\",ldns=\"%s\",libevent=\"%s\",mariadb=\"%s\"",
	    v1, v2, v3, v4);
	val(b, "build_info", l, 1);
	one(b, "start_time_seconds", "gauge", "Start of the daemon, Unix seconds.",
	    (double)M.start_wall);

	head(b, "zones", "gauge", "SLAVE zones by state of the refresh cycle.");
	for (int st = 0; st < ZONE_NSTATES; st++) {
		snprintf(l, sizeof(l), "state=\"%s\"", zone_state_name(st));
		val(b, "zones", l, (double)zone_counts.in[st]);
	}
	one(b, "zones_failing", "gauge", "Zones whose last check failed.",
	    (double)zone_counts.failing);
	one(b, "zones_expired", "gauge", "Zones without a good check for longer than their "
	    "SOA EXPIRE.", (double)zone_counts.expired);
	one(b, "zones_never_loaded", "gauge", "Zones with no SOA stored yet.",
	    (double)zone_counts.unloaded);
	one(b, "zones_overdue", "gauge", "Zones due for a check that has not started.",
	    (double)zone_counts.in[ZONE_QUEUED]);
	one(b, "oldest_success_age_seconds", "gauge", "Age of the oldest last good check "
	    "among zones that had one.", oldest == ZONE_NEVER ? 0 :
	    (double)(now - oldest) / 1000.0);

	head(b, "soa_queries_total", "counter", "SOA checks by how they ended.");
	for (size_t i = 0; i < NITEMS(soa_names); i++) {
		snprintf(l, sizeof(l), "result=\"%s\"", soa_names[i]);
		val(b, "soa_queries_total", l, (double)stats.soa_by[i]);
	}
	one(b, "failed_attempts_total", "counter", "Failed checks and transfers, each "
	    "master tried counted.", (double)stats.failures);

	head(b, "transfers_total", "counter", "Zone transfers by how they ended.");
	for (size_t i = 0; i < NITEMS(xfr_names); i++) {
		snprintf(l, sizeof(l), "result=\"%s\"", xfr_names[i]);
		val(b, "transfers_total", l, (double)stats.xfr_by[i]);
	}
	head(b, "transfer_failures_total", "counter", "Failed transfers by reason: a limit "
	    "broken (size, time, rate, memory), another fault of the master, the database.");
	val(b, "transfer_failures_total", "reason=\"limit\"", (double)stats.xfr_limit);
	val(b, "transfer_failures_total", "reason=\"master\"",
	    (double)(stats.xfr_by[XFR_FAILED] - stats.xfr_limit));
	val(b, "transfer_failures_total", "reason=\"database\"",
	    (double)stats.xfr_by[XFR_DBFAILED]);
	head(b, "transfers_written_total", "counter", "Transfers written, by how the zone "
	    "came: axfr asked, ixfr deltas, ixfr answered whole, ixfr that fell back to axfr.");
	for (size_t i = 0; i < NITEMS(stats.xfr_how); i++) {
		static const char *how[] = { "axfr", "ixfr", "ixfr_whole", "ixfr_fallback" };
		snprintf(l, sizeof(l), "how=\"%s\"", how[i]);
		val(b, "transfers_written_total", l, (double)stats.xfr_how[i]);
	}
	one(b, "transfers_udp_total", "counter", "Transfers written that came whole in "
	    "the check's IXFR answer over UDP, without a TCP connection.",
	    (double)stats.xfr_udp);
	one(b, "transfer_bytes_total", "counter", "Bytes of transfers written.",
	    (double)stats.xfr_bytes);
	one(b, "transfer_records_total", "counter", "Records of transfers written.",
	    (double)stats.xfr_records);
	one(b, "rows_written_total", "counter", "Rows written to the records table.",
	    (double)stats.rows_written);
	one(b, "write_turn_wait_seconds_total", "counter", "Time transfer workers waited, "
	    "in all, for their turn to insert a group's rows (one group at a time); "
	    "rising as fast as time, the database is the bottleneck.",
	    (double)db_turn_waited_ms() / 1000.0);
	histogram(b, "transfer_duration_seconds", "From a transfer's start to its commit, "
	    "for transfers written.", &stats.xfr_seconds);
	histogram(b, "commit_duration_seconds", "The database write of the group a written "
	    "transfer was in.", &stats.commit_seconds);

	notify_counters(&answered, &dropped, &lost);
	head(b, "notifies_total", "counter", "NOTIFY messages by what became of them.");
	for (size_t i = 0; i < NITEMS(notify_names); i++) {
		snprintf(l, sizeof(l), "result=\"%s\"", notify_names[i]);
		val(b, "notifies_total", l, (double)stats.notify_by[i]);
	}
	val(b, "notifies_total", "result=\"dropped\"", (double)dropped);
	val(b, "notifies_total", "result=\"lost\"", (double)lost);
	histogram(b, "notify_to_commit_seconds", "From a NOTIFY to the commit of the "
	    "transfer it set off.", &stats.notify_seconds);

	{
		struct ha_info	 hi;

		ha_info(&hi);
		one(b, "ha_writer", "gauge", "1 while this node does the work (it holds the "
		    "lease, or ha is off), 0 while it waits as the standby.",
		    !hi.on || hi.leader ? 1 : 0);
		one(b, "ha_takeovers_total", "counter", "Times this node took the lease.",
		    (double)hi.takeovers);
	}

	head(b, "queue_length", "gauge", "Work waiting: zones for a SOA check, zones for a "
	    "transfer, last_check updates for the database.");
	val(b, "queue_length", "queue=\"soa\"", (double)zone_counts.in[ZONE_QUEUED]);
	val(b, "queue_length", "queue=\"transfer\"", (double)zone_counts.in[ZONE_XFR_QUEUED]);
	val(b, "queue_length", "queue=\"last_check\"", (double)lastcheck_waiting());
	head(b, "in_flight", "gauge", "Work under way: SOA queries, transfers on the "
	    "network, transfers waiting for their group's write.");
	val(b, "in_flight", "kind=\"soa\"", (double)zone_counts.in[ZONE_QUERYING]);
	val(b, "in_flight", "kind=\"transfer\"", (double)zone_counts.in[ZONE_TRANSFERRING]);
	val(b, "in_flight", "kind=\"write\"", (double)zone_counts.in[ZONE_WRITING]);

	head(b, "masters", "gauge", "Master addresses by health.");
	for (size_t i = 0; i < NITEMS(health_names); i++) {
		snprintf(l, sizeof(l), "state=\"%s\"", health_names[i]);
		val(b, "masters", l, (double)master_health_count[i]);
	}
	one(b, "database_errors_total", "counter", "Failed database round trips (domain "
	    "list, last_check, zone writes).", (double)stats.db_errors);
	one(b, "database_up", "gauge", "1 when the last database round trip worked.",
	    stats.db_ok_time > 0 && stats.db_ok_time >= stats.db_err_time ? 1 : 0);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer		*b;

	(void)arg;
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics here");
		return;
	}
	b = evbuffer_new();
	metrics_write(b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", evhttp_request_get_command(req) ==
	    EVHTTP_REQ_HEAD ? NULL : b);
	evbuffer_free(b);
}

void
metrics_start(struct event_base *base)
{
	M.start_wall = (int64_t)time(NULL);
	if (M.n == 0)
		return;
	if ((M.http = evhttp_new(base)) == NULL)
		fatalx("metrics: evhttp_new failed");
	evhttp_set_allowed_methods(M.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(M.http, METRICS_TIMEOUT_S);
	evhttp_set_max_headers_size(M.http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(M.http, 0);
	evhttp_set_gencb(M.http, request_cb, NULL);
	for (int i = 0; i < M.n; i++) {
		if (evhttp_accept_socket(M.http, M.fd[i]) == -1)
			fatalx("metrics: cannot serve on a bound socket");
	}
	log_info("metrics: Prometheus scrapes http://%s/metrics%s", sched_conf()->
	    metrics_listen[0], M.n > 1 ? " (and more addresses)" : "");
}

void
metrics_stop(void)
{
	if (M.http != NULL)
		evhttp_free(M.http);	/* closes the bound sockets too */
	else
		for (int i = 0; i < M.n; i++)
			close(M.fd[i]);
	M.http = NULL;
	M.n = 0;
}
