/* Configuration: defaults, bounds, unknown keys, file:line in errors. */
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

static char	 path[] = "/tmp/pdnsr-conf-XXXXXX";
static char	 err[2048];

static struct conf *
load(const char *text)
{
	FILE	*f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return conf_load(path, err, sizeof(err));
}

int
main(void)
{
	struct conf	*c;
	int		 fd = mkstemp(path);

	close(fd);
	c = load("");
	CHECK(c != NULL && c->db_port == 3306 && strcmp(c->db_user, "pdns") == 0 &&
	    strcmp(c->db_host, "127.0.0.1") == 0 && strcmp(c->db_name, "pdns") == 0,
	    "empty file: contract defaults for mysql {}");
	CHECK(c != NULL && c->workers == 4 && c->soa_tries == 2 && c->master_xfrs == 2,
	    "empty file: documented defaults");
	conf_free(c);
	c = load("mysql {\n host = \"db\"\n port = 3307\n socket = \"/s\"\n user = \"u\"\n"
	    " password = \"p\"\n database = \"d\"\n}\nworkers = 8\nsoa { timeout = 300 }\n"
	    "log { facility = \"local3\"\n level = \"debug\" }\n");
	CHECK(c != NULL && strcmp(c->db_host, "db") == 0 && c->db_port == 3307 &&
	    strcmp(c->db_socket, "/s") == 0 && strcmp(c->db_password, "p") == 0 &&
	    c->workers == 8 && c->soa_timeout_ms == 300, "values read");
	conf_free(c);
	CHECK(load("\n\nbogus = 1\n") == NULL && strstr(err, ":3:") && strstr(err, "bogus"),
	    "unknown key: file:line and the key (%s)", err);
	CHECK(load("soa {\n  timeout = 10\n}\n") == NULL && strstr(err, ":2:") &&
	    strstr(err, "soa.timeout"), "out of range: file:line and the key");
	CHECK(load("workers = \"many\"\n") == NULL && strstr(err, ":1:"), "wrong type refused");
	CHECK(load("workers = 0\n") == NULL, "zero workers refused");
	CHECK(load("master { in-flight = 6000 }\n") == NULL && strstr(err, "master.in-flight"),
	    "per-master limit above the global one refused");
	CHECK(load("timers { min-retry = 100\n max-retry = 10 }\n") == NULL, "min above max refused");
	CHECK(load("log { level = \"loud\" }\n") == NULL && strstr(err, "level"), "unknown log level refused");
	CHECK(load("log { facility = \"kern2\" }\n") == NULL, "unknown facility refused");
	c = load("transfer {\n ixfr = false\n ixfr-off-masters = {\"192.0.2.1\", \"[::1]:5300\"}\n"
	    " ixfr-off-zones = {\"a.example\"}\n}\n");
	CHECK(c != NULL && !c->ixfr && c->n_ixfr_off_masters == 2 && c->n_ixfr_off_zones == 1,
	    "transfer.ixfr and its lists");
	conf_free(c);
	c = load("");
	CHECK(c != NULL && c->ixfr && c->n_ixfr_off_masters == 0, "IXFR on by default");
	CHECK(c != NULL && c->ixfr_udp == IXFR_UDP_NOTIFY,
	    "IXFR over UDP by default for the checks a NOTIFY sets off");
	conf_free(c);
	c = load("transfer { ixfr-udp = all }\n");
	CHECK(c != NULL && c->ixfr_udp == IXFR_UDP_ALL, "transfer.ixfr-udp = all");
	conf_free(c);
	CHECK(load("transfer {\n ixfr-udp = sometimes\n}\n") == NULL && strstr(err, ":2:") &&
	    strstr(err, "transfer.ixfr-udp: 'sometimes' is not notify, all or off"),
	    "transfer.ixfr-udp: an unknown value refused with file:line (%s)", err);
	CHECK(load("transfer {\n ixfr-off-masters = {\"ns1.example\"}\n}\n") == NULL &&
	    strstr(err, ":2:") && strstr(err, "ixfr-off-masters"), "a name as an IXFR-off master refused");
	c = load("notify {\n listen = {\"127.0.0.1:5300\", \"[::1]:5300\"}\n trusted = {\"127.0.0.1\", \"::1\"}\n}\n");
	CHECK(c != NULL && c->n_notify_listen == 2 && strcmp(c->notify_listen[1], "[::1]:5300") == 0 &&
	    c->n_notify_trusted == 2 && c->notify_rate == 50 && c->notify_trusted_rate == 2000,
	    "notify: listen and trusted lists read, rates default");
	conf_free(c);
	c = load("");
	CHECK(c != NULL && c->n_notify_listen == 0 && c->n_notify_trusted == 0,
	    "notify: no listener by default");
	CHECK(c != NULL && !c->autosecondary && c->allow_unsigned_ap && c->n_notify_from == 2 &&
	    strcmp(c->notify_from[0], "0.0.0.0/0") == 0 && strcmp(c->notify_from[1], "::/0") == 0 &&
	    c->ap_inflight == 64 && c->ap_per_source == 8,
	    "notify: autosecondary off, pdns's allow-notify-from and allow-unsigned-autoprimary by default");
	conf_free(c);
	c = load("notify {\n autosecondary = true\n allow-unsigned-autoprimary = false\n"
	    " allow-notify-from = {\"192.0.2.0/24\", \"2001:db8::1\"}\n}\n");
	CHECK(c != NULL && c->autosecondary && !c->allow_unsigned_ap && c->n_notify_from == 2,
	    "notify: autosecondary, allow-unsigned-autoprimary and allow-notify-from read");
	conf_free(c);
	CHECK(load("notify {\n allow-notify-from = {\"192.0.2.0/33\"}\n}\n") == NULL &&
	    strstr(err, "notify.allow-notify-from") && strstr(err, ":2:"),
	    "notify: a prefix length out of range refused with file:line");
	c = load("");
	CHECK(c != NULL && c->ha_node[0] == '\0' && c->ha_lease_s == 15 && c->ha_renew_s == 3 &&
	    c->ha_stepdown_s == 10, "ha: off by default; lease 15 s, renew 3 s, step-down 10 s");
	conf_free(c);
	c = load("ha {\n node = \"ns1\"\n lease = 6\n renew = 1\n step-down = 4\n}\n");
	CHECK(c != NULL && strcmp(c->ha_node, "ns1") == 0 && c->ha_lease_s == 6,
	    "ha: node and timers read");
	conf_free(c);
	CHECK(load("ha {\n node = \"ns1\"\n lease = 10\n step-down = 10\n}\n") == NULL &&
	    strstr(err, "renew < step-down < lease"),
	    "ha: a step-down that does not end before the lease refused with the reason");
	CHECK(load("ha {\n node = \"ns1\"\n renew = 12\n}\n") == NULL &&
	    strstr(err, "renew < step-down < lease"), "ha: a renew slower than step-down refused");
	CHECK(load("notify {\n allow-notify-from = {\"example.com\"}\n}\n") == NULL &&
	    strstr(err, "not an address"), "notify: a name in allow-notify-from refused");
	CHECK(load("notify {\n listen = {\"localhost:53\"}\n}\n") == NULL && strstr(err, ":2:") &&
	    strstr(err, "notify.listen"), "notify: a listen address that does not parse refused with file:line");
	CHECK(load("notify {\n trusted = {\"127.0.0.1:53\"}\n}\n") == NULL &&
	    strstr(err, "notify.trusted"), "notify: a trusted address with a port refused");
	CHECK(load("notify {\n listen = {\"127.0.0.1:5300 127.0.0.2:5300\"}\n}\n") == NULL,
	    "notify: two addresses in one listen entry refused");
	CHECK(load("mysql {\n port = 70000\n}\n") == NULL, "port out of range refused");
	CHECK(load("soa { timeout = 60000\n tries = 10 }\n") == NULL, "ten minutes per master refused");
	CHECK(load("soa { in-flight = 5 }") == NULL, "global in-flight below per-master default refused");
	CHECK(load("mysql { user = \"a\" ") == NULL || 1, "unterminated section does not crash");
	CHECK(load("metrics {\n listen = {\"127.0.0.1\"}\n}\n") == NULL &&
	    strstr(err, "metrics.listen: '127.0.0.1' is not one address with a port") != NULL,
	    "metrics: an address without a port refused");
	c = load("metrics {\n listen = {\"127.0.0.1:9417\", \"[::1]:9417\"}\n}\n");
	CHECK(c != NULL && c->n_metrics_listen == 2, "metrics: two addresses with ports");
	conf_free(c);
	CHECK(load("control {\n socket = \"relative.sock\"\n}\n") == NULL &&
	    strstr(err, "not an absolute path") != NULL, "control: a relative socket refused");

	/* The shipped file sets every key to its default: what make bench
	 * measures with the defaults is what an installation runs. */
	{
		struct conf *d = load(""), *sh = conf_load("conf/pdns-refresher.conf", err,
		    sizeof(err));
#define SAME(f)	(d != NULL && sh != NULL && d->f == sh->f)
		CHECK(SAME(workers) && SAME(soa_qps) && SAME(soa_inflight) &&
		    SAME(soa_timeout_ms) && SAME(soa_tries) && SAME(master_qps) &&
		    SAME(master_inflight) && SAME(master_xfrs) && SAME(master_down_s) &&
		    SAME(master_down_max_s) && SAME(xfr_idle_s) && SAME(xfr_total_s) &&
		    SAME(xfr_max_records) && SAME(xfr_max_bytes) && SAME(xfr_max_mem) &&
		    SAME(xfr_max_iterations) && SAME(xfr_min_rate) && SAME(xfr_rate_grace_s) &&
		    SAME(min_refresh) && SAME(max_refresh) && SAME(min_retry) &&
		    SAME(max_retry) && SAME(min_expire) && SAME(max_backoff) &&
		    SAME(domains_reload_s) && SAME(domains_rescan_s) &&
		    SAME(last_check_flush_ms) && SAME(notify_rate) && SAME(notify_trusted_rate) &&
		    SAME(dnssec) && SAME(n_metrics_listen) && SAME(n_notify_listen) &&
		    SAME(autosecondary) && SAME(allow_unsigned_ap) && SAME(n_notify_from) &&
		    SAME(ap_inflight) && SAME(ap_per_source) && SAME(ha_lease_s) &&
		    SAME(ha_renew_s) && SAME(ha_stepdown_s) &&
		    strcmp(d->ha_node, sh->ha_node) == 0 &&
		    strcmp(d->control_socket, sh->control_socket) == 0,
		    "the shipped conf/pdns-refresher.conf is the defaults (%s)", err);
#undef SAME
		conf_free(d);
		conf_free(sh);
	}
	unlink(path);
	CHECK(conf_load("/nonexistent/x.conf", err, sizeof(err)) == NULL && strstr(err, "cannot read"),
	    "missing file named");
	UNIT_DONE();
}
