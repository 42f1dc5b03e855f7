/*
 * main: command line, start-up, signals, wiring and shutdown.
 *
 *   pdns-refresher [-c FILE] [-f] [-n] [-v] [--once] [--zone NAME]
 */
#include <sys/resource.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "dbthread.h"
#include "log.h"
#include "notify.h"
#include "main.h"
#include "refresh.h"
#include "util.h"
#include "xfr.h"

static struct conf	*conf;
static const char	*conf_path = DEFAULT_CONF;
static bool		 verbose;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: pdns-refresher [-c FILE] [-f] [-n] [-v] [--once] "
	    "[--zone NAME]\n");
	exit(1);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct conf	*nc;
	char		 err[2048];

	(void)ev;
	(void)arg;
	if (sig != SIGHUP) {
		refresh_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	refresh_rescan();	/* domains too, whatever the file says */
	if ((nc = conf_load(conf_path, err, sizeof(err))) == NULL) {
		err[strcspn(err, "\n")] = '\0';
		log_err("SIGHUP: configuration not reloaded, keeping the old one: %s", err);
		return;
	}
	if (strcmp(nc->db_host, conf->db_host) || strcmp(nc->db_socket, conf->db_socket) ||
	    strcmp(nc->db_user, conf->db_user) || strcmp(nc->db_password, conf->db_password) ||
	    strcmp(nc->db_name, conf->db_name) || nc->db_port != conf->db_port ||
	    nc->workers != conf->workers)
		log_warnx("SIGHUP: mysql {} and workers changes take effect at the next restart");
	nc->workers = conf->workers;
	log_setup(nc->log_facility, verbose ? LOG_LVL_DEBUG : (enum log_level)nc->log_level);
	refresh_set_conf(nc);
	notify_set_conf(nc);
	xfr_set_purge(nc->pdns_control);
	conf_free(conf);
	conf = nc;
	log_info("SIGHUP: configuration reloaded from %s", conf_path);
}

/*
 * Every in-flight SOA query holds a socket: raise the descriptor limit for
 * the configured cap and return how many SOA sockets fit, keeping the rest
 * for workers (MySQL and transfer sockets) and the loop.
 */
static int
raise_nofile(int inflight, int reserve)
{
	struct rlimit	 rl;
	rlim_t		 want = (rlim_t)inflight + (rlim_t)reserve;
	long		 cap;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return inflight;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want > rl.rlim_max ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return inflight;
	cap = (long)rl.rlim_cur - reserve;
	if (cap < 1)
		cap = 1;
	log_warnx("open files limited to %lu; soa.in-flight %d needs about %lu; "
	    "at most %ld SOA queries will be in flight", (unsigned long)rl.rlim_cur,
	    inflight, (unsigned long)want, cap);
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
		{ NULL, 0, NULL, 0 },
	};
	struct event_base	*base;
	struct event		*sigs[3];
	struct db_params	 dbp;
	bool			 foreground = false, check = false, once = false;
	const char		*zone = NULL;
	char			 err[2048];
	int			 ch, rc, sock_cap;

	while ((ch = getopt_long(argc, argv, "c:fnvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'f': foreground = true; break;
		case 'n': check = true; break;
		case 'v': verbose = true; break;
		case 'o': once = true; break;
		case 'z': zone = optarg; once = true; break;
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
	if (!once && notify_bind(conf, err, sizeof(err)) == -1) {
		if (!foreground)	/* not detached yet: say it where it was started */
			fprintf(stderr, "pdns-refresher: %s\n", err);
		fatalx("%s", err);
	}
	if (!foreground && !once && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	sock_cap = raise_nofile(conf->soa_inflight, 32 + conf->workers * 3);

	db_library_init();
	db_params_from_conf(&dbp, conf);
	xfr_start(conf->workers, &dbp);
	xfr_set_purge(conf->pdns_control);
	dbthread_start(&dbp);

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
	refresh_init(base, conf, once, zone, sock_cap);
	if (!once && notify_start(base, refresh_notify, err, sizeof(err)) == -1)
		fatalx("%s", err);
	refresh_start();
	event_base_dispatch(base);

	notify_stop();
	xfr_stop();
	dbthread_stop();
	refresh_log_stats("stopped");
	rc = refresh_exit_code();
	for (size_t i = 0; i < NITEMS(sigs); i++)
		event_free(sigs[i]);
	event_base_free(base);
	db_params_free(&dbp);
	conf_free(conf);
	return rc;
}
