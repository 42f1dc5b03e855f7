/*
 * main: command line, start-up, signals, wiring and shutdown.
 *
 *   pdns-refresher [-c FILE] [-f] [-n] [-v] [--once] [--zone NAME]
 *   pdns-refresher --help | --version
 */
#include <sys/resource.h>
#include <event2/event.h>
#include <getopt.h>
#include <ldns/util.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoprimary.h"
#include "conf.h"
#include "ha.h"
#include "control.h"
#include "db.h"
#include "dbthread.h"
#include "log.h"
#include "notify.h"
#include "main.h"
#include "metrics.h"
#include "domains.h"
#include "keys.h"
#include "lastcheck.h"
#include "sched.h"
#include "sdnotify.h"
#include "soa.h"
#include "stats.h"
#include "util.h"
#include "xfr.h"
#include "zstatus.h"

#define PROGRESS_MS	10000

static struct conf	*conf;
static const char	*conf_path = DEFAULT_CONF;
static bool		 verbose;

/* The event loop's wiring: the scheduler's timer and its I/O. */
static struct {
	struct event_base	*base;
	struct event		*tick, *flush, *stats, *ev_xfr, *ev_db, *wdog;
	int64_t			 tick_at;	/* when tick is armed for; INT64_MAX: not */
	bool			 finishing;
	bool			 ready;		/* READY=1 sent */
} L;

static void	maybe_exit(void);
static void	loop_ready(void);
static void	notify_status(const char *);

static int64_t
loop_now(void)
{
	return util_now_ms();
}

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval	 tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static void
loop_arm(int64_t at)
{
	struct timeval	 tv;

	if (L.tick_at <= at)
		return;		/* armed for sooner already */
	L.tick_at = at;
	tv = ms_tv(at - util_now_ms());
	evtimer_add(L.tick, &tv);
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	L.tick_at = INT64_MAX;
	sched_tick();
	maybe_exit();
}

static void
soa_cb_loop(void *arg, const struct soa_result *res)
{
	sched_soa_done(arg, res);
	maybe_exit();
}

static void *
loop_soa_start(struct zone *z, struct master *m, const struct keys_entry *ke, bool ixfr)
{
	const struct tsig_key	 *key = ke != NULL && ke->has_key ? &ke->key : NULL;
	const struct master_addr *src = ke != NULL && ke->has_src ? &ke->src : NULL;

	if (ixfr)
		return soa_ixfr_query_start(L.base, z->name, z->serial, &m->addr,
		    conf->soa_timeout_ms, conf->soa_tries, key, src, soa_cb_loop, z);
	return soa_query_start(L.base, z->name, &m->addr, conf->soa_timeout_ms,
	    conf->soa_tries, key, src, soa_cb_loop, z);
}

static void
loop_soa_cancel(void *sq)
{
	soa_query_cancel(sq);
}

static const struct sched_ops loop_ops = {
	.now = loop_now,
	.arm = loop_arm,
	.soa_start = loop_soa_start,
	.soa_cancel = loop_soa_cancel,
	.xfr_submit = xfr_submit,
};

static void
xfr_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct xfr_job	*job;
	bool		 fetched;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((job = xfr_done(&fetched)) != NULL) {
		if (fetched) {		/* written later, in a group */
			sched_xfr_fetched(job);
			continue;
		}
		sched_xfr_done(job);
		xfr_job_free(job);
	}
	maybe_exit();
}

static void
db_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dbreq	*r;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((r = dbthread_done()) != NULL) {
		if (r->type == DBREQ_LOAD) {
			bool part = r->part;

			domains_loaded(r);
			loop_ready();
			/*
			 * One part of the list a turn: the scheduler gets to run
			 * between parts.  The db thread reads the next part while
			 * this one is merged and is often ready first; taking
			 * every part at once sent no query before the whole list
			 * was in (0.9 s at 170,000 zones).  What is left keeps the
			 * eventfd set, so the loop comes back here.
			 */
			if (part)
				break;
			continue;	/* it owns r now */
		}
		if (r->type == DBREQ_AUTOPRIMARY || r->type == DBREQ_AP_LOAD)
			autoprimary_done(r);
		else if (r->type == DBREQ_STATUS)
			zstatus_done(r, L.finishing);
		else
			lastcheck_done(r, L.finishing);
		dbreq_free(r);
		if (L.finishing) {		/* what came while that one was out */
			lastcheck_flush();
			zstatus_flush();
		}
	}
	maybe_exit();
}

static void
flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	lastcheck_flush();
	zstatus_flush();
}

static void
stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	stats_tick(util_now_ms());
	if (L.ready && !sched_stopping())
		notify_status("");
}

/* systemd's STATUS= line: what `systemctl status` shows. */
static void
notify_status(const char *first)
{
	char	 buf[512];

	stats_status(buf, sizeof(buf));
	sdnotify("%sSTATUS=%s", first, buf);
}

/* The domain list is loaded: the daemon does its job from now on. */
static void
loop_ready(void)
{
	if (L.ready || !domains_ready())
		return;
	L.ready = true;
	notify_status("READY=1\n");
}

static void
wdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	sdnotify("WATCHDOG=1");
}

/*
 * --once or shutdown: when nothing is left in flight, write the last
 * last_check batch, then end the loop once the database has it.
 */
static void
maybe_exit(void)
{
	if (!sched_stopping() && (!domains_ready() || domains_busy()))
		return;		/* --once: the list is not there yet */
	if (!sched_done())
		return;
	if (!L.finishing) {
		L.finishing = true;
		sched_shutdown();
		autoprimary_shutdown();
		lastcheck_flush();
		zstatus_flush();
	}
	if (!lastcheck_busy() && !zstatus_busy() && !domains_busy() && !autoprimary_busy())
		event_base_loopbreak(L.base);
}

static void
shutdown_now(const char *why)
{
	if (sched_stopping())
		return;
	log_info("shutting down (%s): %zu SOA queries and %zu transfers in flight",
	    why, zone_counts.in[ZONE_QUERYING],
	    zone_counts.in[ZONE_TRANSFERRING] + zone_counts.in[ZONE_WRITING]);
	sdnotify("STOPPING=1\nSTATUS=shutting down (%s): %zu transfers in flight finish "
	    "or roll back", why, zone_counts.in[ZONE_TRANSFERRING] +
	    zone_counts.in[ZONE_WRITING]);
	sched_shutdown();
	xfr_abort();
	maybe_exit();
}

static void
loop_init(struct event_base *base, bool once, const char *zone, int sock_cap)
{
	struct timeval	 tv;

	L.base = base;
	L.tick_at = INT64_MAX;
	stats.started = util_now_ms();
	L.tick = evtimer_new(base, tick_cb, NULL);
	L.flush = event_new(base, -1, EV_PERSIST, flush_cb, NULL);
	L.stats = event_new(base, -1, EV_PERSIST, stats_cb, NULL);
	L.ev_xfr = event_new(base, xfr_fd(), EV_READ | EV_PERSIST, xfr_cb, NULL);
	L.ev_db = event_new(base, dbthread_fd(), EV_READ | EV_PERSIST, db_cb, NULL);
	event_add(L.ev_xfr, NULL);
	event_add(L.ev_db, NULL);
	if (sdnotify_watchdog_ms() > 0) {	/* fed by the loop: a stalled loop starves it */
		L.wdog = event_new(base, -1, EV_PERSIST, wdog_cb, NULL);
		tv = ms_tv(sdnotify_watchdog_ms());
		event_add(L.wdog, &tv);
		sdnotify("WATCHDOG=1");
	}
	tv = ms_tv(conf->last_check_flush_ms);
	event_add(L.flush, &tv);
	tv = ms_tv(PROGRESS_MS);
	event_add(L.stats, &tv);
	sched_init(&loop_ops, conf, once || zone != NULL, sock_cap);
	domains_init(base, conf, once, zone);
}

static void
loop_free(void)
{
	struct event	*evs[] = { L.tick, L.flush, L.stats, L.ev_xfr, L.ev_db, L.wdog };

	for (size_t i = 0; i < NITEMS(evs); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	domains_stop();
}

#define USAGE	"usage: pdns-refresher [-c FILE] [-f] [-n] [-v] [--once] [--zone NAME]\n" \
		"       pdns-refresher --help | --version\n"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, USAGE);
	exit(1);
}

static void __attribute__((noreturn))
help(void)
{
	printf(USAGE "\n"
	    "Keeps PowerDNS's SLAVE domains fresh: checks their masters' SOA serials,\n"
	    "transfers what changed and writes it to the gmysql tables as pdns would.\n\n"
	    "  -c FILE      configuration (default %s)\n"
	    "  -f           stay in the foreground, log to stderr too\n"
	    "  -n           check the configuration, the database and its schema; exit\n"
	    "  -v           debug logging: every state change of every zone\n"
	    "  --once       refresh every zone due now, wait for all of it, exit 0 if\n"
	    "               every zone ended fresh, 1 otherwise\n"
	    "  --zone NAME  check that one zone now, due or not (implies --once)\n"
	    "  --help       this text\n"
	    "  --version    the version and the libraries it runs with\n\n"
	    "Signals: TERM/INT stop, HUP re-reads the configuration and the domains.\n",
	    DEFAULT_CONF);
	exit(0);
}

static void __attribute__((noreturn))
version(void)
{
	printf("pdns-refresher %s\nldns %s, libevent %s, MariaDB client %s\n",
	    PDNS_REFRESHER_VERSION, ldns_version(), event_get_version(), db_client_version());
	exit(0);
}

/*
 * SIGHUP's work (and the control socket's reload): the configuration again,
 * the domain list compared at once.  False with the reason in msg when the
 * file is refused and the old configuration stays.
 */
static bool
reload(const char *who, char *msg, size_t len)
{
	struct conf	*nc;
	char		 err[2048];

	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)sdnotify_monotonic_usec());
	domains_request(true);	/* domains too, whatever the file says */
	if ((nc = conf_load(conf_path, err, sizeof(err))) == NULL) {
		err[strcspn(err, "\n")] = '\0';
		log_err("%s: configuration not reloaded, keeping the old one: %s", who, err);
		snprintf(msg, len, "configuration not reloaded, keeping the old one: %s", err);
		notify_status("READY=1\n");
		return false;
	}
	if (strcmp(nc->db_host, conf->db_host) || strcmp(nc->db_socket, conf->db_socket) ||
	    strcmp(nc->db_user, conf->db_user) || strcmp(nc->db_password, conf->db_password) ||
	    strcmp(nc->db_name, conf->db_name) || nc->db_port != conf->db_port ||
	    nc->workers != conf->workers || strcmp(nc->control_socket, conf->control_socket))
		log_warnx("%s: mysql {}, workers and control.socket changes take effect "
		    "at the next restart", who);
	nc->workers = conf->workers;
	free(nc->control_socket);
	nc->control_socket = xstrdup(conf->control_socket);
	log_setup(nc->log_facility, verbose ? LOG_LVL_DEBUG : (enum log_level)nc->log_level);
	sched_set_conf(nc);
	domains_set_conf(nc);
	notify_set_conf(nc);
	autoprimary_set_conf(nc);
	{
		struct timeval tv = ms_tv(nc->last_check_flush_ms);
		event_add(L.flush, &tv);
	}
	xfr_set_purge(nc->pdns_control);
	conf_free(conf);
	conf = nc;
	log_info("%s: configuration reloaded from %s; the domain list is compared "
	    "with the database now", who, conf_path);
	snprintf(msg, len, "configuration reloaded from %s; the domain list is compared "
	    "with the database now", conf_path);
	notify_status("READY=1\n");
	return true;
}

/* ha: the lease came or went. */
static void
on_role(bool leader)
{
	sched_set_standby(!leader);
	if (leader)
		domains_resync();	/* what the other node did decides what is due */
	else {
		lastcheck_drop();	/* the holder writes its own */
		zstatus_drop();
	}
	sdnotify("STATUS=%s", leader ? "ha: holding the lease, working" :
	    "ha: standby, another node holds the lease");
}

static bool
control_reload(char *msg, size_t len)
{
	return reload("control reload", msg, len);
}

static const struct control_ops control_ops = {
	.reload = control_reload,
};

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	char	 msg[2048];

	(void)ev;
	(void)arg;
	if (sig != SIGHUP) {
		shutdown_now(sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	reload("SIGHUP", msg, sizeof(msg));
}

/*
 * Every in-flight SOA query may hold a socket, and up to SOA_IDLE more may
 * be idle ones kept for their masters' next queries (the scheduler takes
 * masters in turn, so a socket waits for a whole round of them): raise the
 * descriptor limit for that and return how many SOA queries fit, keeping
 * the rest for workers (MySQL and transfer sockets) and the loop.
 */
#define SOA_IDLE	16384
static int
raise_nofile(int inflight, int reserve)
{
	struct rlimit	 rl;
	rlim_t		 want = (rlim_t)inflight + SOA_IDLE + (rlim_t)reserve;
	long		 cap;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return inflight;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want > rl.rlim_max ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want) {
		soa_set_idle_max(SOA_IDLE);
		return inflight;
	}
	cap = (long)rl.rlim_cur - reserve;	/* queries first, idle sockets after */
	if (cap >= inflight) {
		soa_set_idle_max((size_t)(cap - inflight));
		return inflight;
	}
	soa_set_idle_max(cap > 1 ? (size_t)cap / 5 : 0);
	cap -= cap / 5;
	if (cap < 1)
		cap = 1;
	log_warnx("open files limited to %lu; soa.in-flight %d needs about %lu; "
	    "at most %ld SOA queries will be in flight", (unsigned long)rl.rlim_cur,
	    inflight, (unsigned long)want - SOA_IDLE, cap);
	return (int)cap;
}

static int
check_only(void)
{
	struct db_params p;
	struct db	*db;
	char		 err[512];
	int		 rc = 0;

	db_params_from_conf(&p, conf);
	db_library_init();
	db = db_new(&p);
	if (db_check_schema(db, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: configuration ok; database: %s\n", conf_path, err);
		rc = 1;
	} else
		printf("%s: configuration ok; database reachable, schema looks like PowerDNS's\n",
		    conf_path);
	if (rc == 0 && conf->ha_node[0] != '\0') {
		char	 note[256];

		switch (db_topology(db, err, sizeof(err), note, sizeof(note))) {
		case 0:
			printf("%s: ha: this server may hold the lease%s%s\n", conf_path,
			    note[0] ? "; warning: " : "", note);
			break;
		default:
			fprintf(stderr, "%s: ha: %s\n", conf_path, err);
			rc = 1;
		}
	}
	db_free(db);
	db_params_free(&p);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "zone", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct event_base	*base;
	struct event		*sigs[3];
	struct db_params	 dbp;
	bool			 foreground = false, check = false, once = false, managed;
	const char		*zone = NULL;
	char			 err[2048];
	int			 ch, rc, sock_cap;

	while ((ch = getopt_long(argc, argv, "c:fnvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'f': foreground = true; break;
		case 'n': check = true; break;
		case 'v': verbose = true; break;
		case 'o': once = true; break;
		case 'z': zone = optarg; once = true; break;
		case 'h': help();
		case 'V': version();
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (zone != NULL && (strlen(zone) == 0 || strlen(zone) > 255)) {
		fprintf(stderr, "pdns-refresher: --zone: bad zone name\n");
		return 1;
	}

	if ((conf = conf_load(conf_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s", err);
		return 1;
	}
	if (once && conf->ha_node[0] != '\0') {
		fprintf(stderr, "pdns-refresher: --once and --zone write without the lease, "
		    "and ha.node is set: on a node of a pair, ask the running daemon "
		    "(pdns-refresher-control refresh NAME)\n");
		return 1;
	}
	if (check) {
		if (conf_world_readable(conf_path))
			fprintf(stderr, "pdns-refresher: warning: %s is readable by every "
			    "user and holds the database password; chmod o-r it\n", conf_path);
		return check_only();
	}

	/* Interactive runs (--once, -f) also talk to the terminal. */
	log_init("pdns-refresher", conf->log_facility,
	    verbose ? LOG_LVL_DEBUG : (enum log_level)conf->log_level,
	    foreground || once);
	if (conf_world_readable(conf_path))
		log_warnx("%s is readable by every user and holds the database password; "
		    "chmod o-r it", conf_path);
	if (!once && (notify_bind(conf, err, sizeof(err)) == -1 ||
	    control_bind(conf, err, sizeof(err)) == -1 ||
	    metrics_bind(conf, err, sizeof(err)) == -1)) {
		if (!foreground)	/* not detached yet: say it where it was started */
			fprintf(stderr, "pdns-refresher: %s\n", err);
		fatalx("%s", err);
	}
	/* Under systemd (Type=notify) the service is this process: no fork. */
	managed = sdnotify_init();
	if (!foreground && !once && !managed && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	sock_cap = raise_nofile(conf->soa_inflight, 32 + conf->workers * 3);

	stats_init();
	db_library_init();
	db_params_from_conf(&dbp, conf);
	xfr_start(conf->workers, &dbp);
	xfr_set_purge(conf->pdns_control);
	dbthread_start(&dbp, conf->workers);

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	sigs[0] = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigs[1] = evsignal_new(base, SIGINT, on_signal, NULL);
	sigs[2] = evsignal_new(base, SIGHUP, on_signal, NULL);
	for (size_t i = 0; i < NITEMS(sigs); i++)
		event_add(sigs[i], NULL);

	log_info("pdns-refresher %s starting%s: %d workers, SOA %d/s and %d in flight "
	    "(per master %d/s, %d in flight, %d transfers)", PDNS_REFRESHER_VERSION,
	    zone ? " for one zone" : once ? " (once)" : "", conf->workers,
	    conf->soa_qps, conf->soa_inflight, conf->master_qps,
	    conf->master_inflight, conf->master_xfrs);
	loop_init(base, once, zone, sock_cap);
	if (!once && notify_start(base, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (!once) {
		control_start(base, &control_ops);
		metrics_start(base);
		autoprimary_init(base, conf);
		if (conf->ha_node[0] != '\0') {
			sched_set_standby(true);	/* until the lease is ours */
			ha_start(base, conf, &dbp, on_role);
		}
	}
	domains_request(false);
	event_base_dispatch(base);

	metrics_stop();
	control_stop();
	notify_stop();
	xfr_stop();
	dbthread_stop();
	ha_stop();		/* after the last write: the lease goes at once */
	autoprimary_stop();
	stats_log("stopped");
	if (stats.checks > 0) {
		unsigned long	 opened, reused;

		soa_sock_counts(&opened, &reused);
		log_info("SOA queries: %lu UDP sockets opened, %lu tries went out on one "
		    "already open", opened, reused);
	}
	if (stats.transfers > 0) {
		unsigned long	 opened, reused;

		xfr_conn_counts(&opened, &reused);
		log_info("transfers: %" PRIu64 " by IXFR, %" PRIu64 " whole after an IXFR "
		    "did not do; %lu TCP connections opened, %lu kept ones used again",
		    stats.xfr_how[XFR_BY_IXFR], stats.xfr_how[XFR_BY_FALLBACK], opened, reused);
	}
	rc = stats.once_failed > 0 ? 1 : 0;
	loop_free();
	soa_close_idle();
	zone_table_clear();
	keys_clear();
	for (size_t i = 0; i < NITEMS(sigs); i++)
		event_free(sigs[i]);
	event_base_free(base);
	db_params_free(&dbp);
	conf_free(conf);
	return rc;
}
