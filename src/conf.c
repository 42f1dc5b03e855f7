/*
 * conf: libconfuse to struct conf.  The only file that includes confuse.h.
 * Every integer key carries its bounds here; a value outside them is an
 * error that names file:line.
 */
#include <confuse.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "util.h"

struct intkey {
	const char	*sec;		/* NULL: top level */
	const char	*name;
	long		 def, min, max;
	size_t		 off;		/* offsetof(struct conf, ...) */
	bool		 is_long;
};

#define I(s, n, d, lo, hi, f)	{ s, n, d, lo, hi, offsetof(struct conf, f), false }
#define L(s, n, d, lo, hi, f)	{ s, n, d, lo, hi, offsetof(struct conf, f), true }
static const struct intkey intkeys[] = {
	I("mysql", "port", 3306, 1, 65535, db_port),
	I(NULL, "workers", 4, 1, 256, workers),
	I(NULL, "domains-reload", 60, 5, 86400, domains_reload_s),
	I(NULL, "domains-rescan", 900, 60, 86400, domains_rescan_s),
	I(NULL, "last-check-flush", 1000, 10, 60000, last_check_flush_ms),
	I("soa", "queries-per-second", 100000, 1, 1000000, soa_qps),
	I("soa", "in-flight", 5000, 1, 60000, soa_inflight),
	I("soa", "timeout", 2000, 50, 60000, soa_timeout_ms),
	I("soa", "tries", 2, 1, 10, soa_tries),
	I("master", "queries-per-second", 50, 1, 1000000, master_qps),
	I("master", "in-flight", 20, 1, 60000, master_inflight),
	I("master", "transfers", 2, 1, 256, master_xfrs),
	I("master", "down-backoff", 30, 1, 86400, master_down_s),
	I("master", "max-down-backoff", 3600, 1, 86400 * 7, master_down_max_s),
	I("transfer", "idle-timeout", 30, 1, 3600, xfr_idle_s),
	I("transfer", "timeout", 600, 1, 86400, xfr_total_s),
	L("transfer", "max-records", 1000000, 1, 100000000, xfr_max_records),
	L("transfer", "max-bytes", 256L << 20, 512, 1L << 34, xfr_max_bytes),
	L("transfer", "max-memory", 0, 0, 1L << 40, xfr_max_mem),
	I("transfer", "max-nsec3-iterations", 150, 0, 65535, xfr_max_iterations),
	I("transfer", "min-rate", 1024, 0, 1 << 30, xfr_min_rate),
	I("transfer", "rate-grace", 10, 1, 3600, xfr_rate_grace_s),
	I("transfer", "follow-lower-serial", 0, 0, 86400 * 365, follow_lower_s),
	I("timers", "min-refresh", 60, 1, 86400 * 28, min_refresh),
	I("timers", "max-refresh", 86400, 1, 86400 * 28, max_refresh),
	I("timers", "min-retry", 30, 1, 86400 * 28, min_retry),
	I("timers", "max-retry", 3600, 1, 86400 * 28, max_retry),
	I("timers", "min-expire", 86400, 60, 86400 * 365, min_expire),
	I("timers", "max-backoff", 3600 * 6, 1, 86400 * 28, max_backoff),
	I("timers", "orphaned-after", 86400 * 7, 1, 86400 * 365, orphaned_after),
	I("notify", "per-source-rate", 50, 1, 1000000, notify_rate),
	I("notify", "trusted-rate", 2000, 1, 1000000, notify_trusted_rate),
	I("notify", "autoprimary-in-flight", 64, 1, 10000, ap_inflight),
	I("notify", "autoprimary-per-source", 8, 1, 10000, ap_per_source),
	I("ha", "lease", 15, 3, 3600, ha_lease_s),
	I("ha", "renew", 3, 1, 600, ha_renew_s),
	I("ha", "step-down", 10, 2, 3600, ha_stepdown_s),
};
#undef I
#undef L

static const struct strkey {
	const char	*sec, *name, *def;
	size_t		 off;
} strkeys[] = {
	{ "mysql", "host", "127.0.0.1", offsetof(struct conf, db_host) },
	{ "mysql", "socket", "", offsetof(struct conf, db_socket) },
	{ "mysql", "user", "pdns", offsetof(struct conf, db_user) },
	{ "mysql", "password", "", offsetof(struct conf, db_password) },
	{ "mysql", "database", "pdns", offsetof(struct conf, db_name) },
	{ "pdns", "control-socket", "", offsetof(struct conf, pdns_control) },
	{ "control", "socket", CONTROL_SOCKET, offsetof(struct conf, control_socket) },
	{ "ha", "node", "", offsetof(struct conf, ha_node) },
};

static char	*conf_err;
static size_t	 conf_errlen;
static cfg_t	*conf_root;	/* sections do not carry the file and line */

static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	size_t	 n = strlen(conf_err);
	int	 w;

	if (n >= conf_errlen - 1)
		return;
	if (conf_root != NULL && conf_root->filename != NULL)
		w = snprintf(conf_err + n, conf_errlen - n, "%s:%d: ",
		    conf_root->filename, cfg != NULL ? cfg->line : conf_root->line);
	else if (cfg != NULL && cfg->filename != NULL)
		w = snprintf(conf_err + n, conf_errlen - n, "%s:%d: ",
		    cfg->filename, cfg->line);
	else
		w = snprintf(conf_err + n, conf_errlen - n, "config: ");
	if (w < 0 || (size_t)w >= conf_errlen - n)
		return;
	n += (size_t)w;
	vsnprintf(conf_err + n, conf_errlen - n, fmt, ap);
	n = strlen(conf_err);
	if (n < conf_errlen - 1) {
		conf_err[n] = '\n';
		conf_err[n + 1] = '\0';
	}
}

static const struct intkey *
intkey_find(const cfg_t *cfg, const cfg_opt_t *opt)
{
	const char	*sec = NULL;

	if (cfg->name != NULL && strcmp(cfg->name, "root") != 0)
		sec = cfg->name;
	for (size_t i = 0; i < NITEMS(intkeys); i++) {
		if (strcmp(intkeys[i].name, opt->name) != 0)
			continue;
		if ((sec == NULL) != (intkeys[i].sec == NULL))
			continue;
		if (sec == NULL || strcmp(sec, intkeys[i].sec) == 0)
			return &intkeys[i];
	}
	return NULL;
}

static int
validate_int(cfg_t *cfg, cfg_opt_t *opt)
{
	const struct intkey	*k = intkey_find(cfg, opt);
	long			 v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	if (k != NULL && (v < k->min || v > k->max)) {
		cfg_error(cfg, "%s%s%s = %ld is out of range [%ld, %ld]",
		    k->sec ? k->sec : "", k->sec ? "." : "", k->name, v,
		    k->min, k->max);
		return -1;
	}
	return 0;
}

static int
validate_facility(cfg_t *cfg, cfg_opt_t *opt)
{
	const char	*v = cfg_opt_getnstr(opt, 0);

	if (log_facility_parse(v) < 0) {
		cfg_error(cfg, "log.facility: unknown syslog facility '%s'", v);
		return -1;
	}
	return 0;
}

/* notify.listen and metrics.listen: "ip:port" or "[v6]:port", one each
 * (port 53 when none: NOTIFY's; metrics must name theirs). */
static int
validate_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	struct master_addr	 ma[2];
	char			 err[160];
	const char		*v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	bool			 metrics = cfg->name != NULL && strcmp(cfg->name, "metrics") == 0;

	bool			 has_port = v[0] == '[' ? strstr(v, "]:") != NULL :
				    strchr(v, ':') != NULL && strchr(v, ':') == strrchr(v, ':');

	if (master_parse(v, ma, 2, err, sizeof(err)) != 1 || (metrics && !has_port)) {
		cfg_error(cfg, "%s.listen: '%s' is not one address with %s port",
		    metrics ? "metrics" : "notify", v, metrics ? "a" : "an optional");
		return -1;
	}
	return 0;
}

/* notify.trusted: addresses, no port. */
static int
validate_trusted(cfg_t *cfg, cfg_opt_t *opt)
{
	struct master_addr	 ma[2];
	char			 err[160];
	const char		*v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (strchr(v, '[') != NULL || (strchr(v, '.') != NULL && strchr(v, ':') != NULL) ||
	    master_parse(v, ma, 2, err, sizeof(err)) != 1) {
		cfg_error(cfg, "notify.%s: '%s' is not one address (no port)", opt->name, v);
		return -1;
	}
	return 0;
}

/* notify.allow-notify-from: "address" or "address/bits", as pdns's. */
static int
validate_mask(cfg_t *cfg, cfg_opt_t *opt)
{
	struct master_mask	 m;
	char			 err[160];
	const char		*v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (master_parse_mask(v, &m, err, sizeof(err)) == -1) {
		cfg_error(cfg, "notify.allow-notify-from: '%s': %s", v, err);
		return -1;
	}
	return 0;
}

/* transfer.ixfr-off-masters: master addresses as domains.master spells them. */
static int
validate_ixfr_master(cfg_t *cfg, cfg_opt_t *opt)
{
	struct master_addr	 ma[2];
	char			 err[160];
	const char		*v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (master_parse(v, ma, 2, err, sizeof(err)) != 1) {
		cfg_error(cfg, "transfer.ixfr-off-masters: '%s' is not one address", v);
		return -1;
	}
	return 0;
}

static int
ixfr_udp_parse(const char *v)
{
	return strcmp(v, "off") == 0 ? IXFR_UDP_OFF : strcmp(v, "notify") == 0 ?
	    IXFR_UDP_NOTIFY : strcmp(v, "all") == 0 ? IXFR_UDP_ALL : -1;
}

static int
validate_ixfr_udp(cfg_t *cfg, cfg_opt_t *opt)
{
	const char	*v = cfg_opt_getnstr(opt, 0);

	if (ixfr_udp_parse(v) < 0) {
		cfg_error(cfg, "transfer.ixfr-udp: '%s' is not notify, all or off", v);
		return -1;
	}
	return 0;
}

static int
validate_level(cfg_t *cfg, cfg_opt_t *opt)
{
	const char	*v = cfg_opt_getnstr(opt, 0);

	if (log_level_parse(v) < 0) {
		cfg_error(cfg, "log.level: unknown level '%s' (err, warning, info, debug)", v);
		return -1;
	}
	return 0;
}

/* Build the option array of one section (NULL: top-level keys). */
static cfg_opt_t *
section_opts(const char *sec)
{
	cfg_opt_t	*o = xcalloc(NITEMS(intkeys) + NITEMS(strkeys) + 6, sizeof(*o));
	size_t		 n = 0;

	for (size_t i = 0; i < NITEMS(intkeys); i++) {
		if ((sec == NULL) != (intkeys[i].sec == NULL) ||
		    (sec != NULL && strcmp(sec, intkeys[i].sec) != 0))
			continue;
		cfg_opt_t t = CFG_INT(intkeys[i].name, intkeys[i].def, CFGF_NONE);
		o[n++] = t;
	}
	for (size_t i = 0; i < NITEMS(strkeys); i++) {
		if (sec == NULL || strcmp(sec, strkeys[i].sec) != 0)
			continue;
		cfg_opt_t t = CFG_STR(strkeys[i].name, strkeys[i].def, CFGF_NONE);
		o[n++] = t;
	}
	if (sec != NULL && strcmp(sec, "notify") == 0) {
		cfg_opt_t l = CFG_STR_LIST("listen", "{}", CFGF_NONE);
		cfg_opt_t t = CFG_STR_LIST("trusted", "{}", CFGF_NONE);
		cfg_opt_t a = CFG_BOOL("autosecondary", cfg_false, CFGF_NONE);
		cfg_opt_t u = CFG_BOOL("allow-unsigned-autoprimary", cfg_true, CFGF_NONE);
		cfg_opt_t f = CFG_STR_LIST("allow-notify-from", "{\"0.0.0.0/0\", \"::/0\"}", CFGF_NONE);
		cfg_opt_t p = CFG_STR_LIST("proxy-protocol-from", "{}", CFGF_NONE);
		o[n++] = l;
		o[n++] = t;
		o[n++] = a;
		o[n++] = u;
		o[n++] = f;
		o[n++] = p;
	}
	if (sec != NULL && strcmp(sec, "transfer") == 0) {
		cfg_opt_t x = CFG_BOOL("ixfr", cfg_true, CFGF_NONE);
		cfg_opt_t m = CFG_STR_LIST("ixfr-off-masters", "{}", CFGF_NONE);
		cfg_opt_t z = CFG_STR_LIST("ixfr-off-zones", "{}", CFGF_NONE);
		cfg_opt_t u = CFG_STR("ixfr-udp", "notify", CFGF_NONE);
		o[n++] = x;
		o[n++] = u;
		o[n++] = m;
		o[n++] = z;
	}
	if (sec != NULL && strcmp(sec, "metrics") == 0) {
		cfg_opt_t l = CFG_STR_LIST("listen", "{}", CFGF_NONE);
		o[n++] = l;
	}
	if (sec != NULL && strcmp(sec, "log") == 0) {
		cfg_opt_t f = CFG_STR("facility", "daemon", CFGF_NONE);
		cfg_opt_t l = CFG_STR("level", "info", CFGF_NONE);
		o[n++] = f;
		o[n++] = l;
	}
	cfg_opt_t end = CFG_END();
	o[n] = end;
	return o;
}

static void
set_validators(cfg_t *cfg, const char *path, cfg_opt_t *opts)
{
	char	 name[64];

	for (cfg_opt_t *o = opts; o->name != NULL; o++) {
		snprintf(name, sizeof(name), "%s%s%s", path ? path : "",
		    path ? "|" : "", o->name);
		if (o->type == CFGT_INT)
			cfg_set_validate_func(cfg, name, validate_int);
	}
}

static char *
getstr(cfg_t *cfg, const char *sec, const char *name)
{
	cfg_t		*s = sec ? cfg_getsec(cfg, sec) : cfg;
	const char	*v = cfg_getstr(s, name);

	return xstrdup(v ? v : "");
}

static void
getlist(cfg_t *sec, const char *name, char ***out, int *n)
{
	*n = (int)cfg_size(sec, name);
	*out = xcalloc((size_t)*n + 1, sizeof(**out));
	for (int i = 0; i < *n; i++)
		(*out)[i] = xstrdup(cfg_getnstr(sec, name, (unsigned)i));
}

static void
freelist(char **l, int n)
{
	for (int i = 0; i < n && l != NULL; i++)
		free(l[i]);
	free(l);
}

/* Cross-key checks that one validator alone cannot see. */
static int
conf_check(struct conf *c, const char *path, char *err, size_t errlen)
{
	const char	*why = NULL;

	if (c->min_refresh > c->max_refresh)
		why = "timers.min-refresh is above timers.max-refresh";
	else if (c->min_retry > c->max_retry)
		why = "timers.min-retry is above timers.max-retry";
	else if (c->master_inflight > c->soa_inflight)
		why = "master.in-flight is above soa.in-flight";
	else if (c->master_qps > c->soa_qps)
		why = "master.queries-per-second is above soa.queries-per-second";
	else if (c->master_down_s > c->master_down_max_s)
		why = "master.down-backoff is above master.max-down-backoff";
	else if (c->xfr_idle_s > c->xfr_total_s)
		why = "transfer.idle-timeout is above transfer.timeout";
	else if ((long)c->soa_timeout_ms * c->soa_tries > 120000)
		why = "soa.timeout * soa.tries is over two minutes";
	else if (strlen(c->control_socket) >= 108)	/* sun_path */
		why = "control.socket: the path is longer than 107 bytes";
	else if (c->control_socket[0] != '\0' && c->control_socket[0] != '/')
		why = "control.socket: not an absolute path";
	else if (c->n_notify_from > 64)
		why = "notify.allow-notify-from: more than 64 entries";
	else if (c->n_notify_trusted > 64)
		why = "notify.trusted: more than 64 addresses";
	else if (c->n_notify_proxies > 64)
		why = "notify.proxy-protocol-from: more than 64 addresses";
	else if (strlen(c->ha_node) > 63)
		why = "ha.node: longer than 63 bytes";
	else if (c->ha_node[0] != '\0' && (c->ha_renew_s >= c->ha_stepdown_s ||
	    c->ha_stepdown_s >= c->ha_lease_s))
		why = "ha: renew < step-down < lease is required (a holder must stop "
		    "writing before its lease can pass to the other node)";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s: %s\n", path, why);
	return -1;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	static const char *const secs[] = { "mysql", "soa", "master",
	    "transfer", "timers", "notify", "pdns", "control", "metrics", "ha", "log" };
	cfg_opt_t	*secopts[NITEMS(secs)];
	cfg_opt_t	*top, *root;
	cfg_t		*cfg;
	struct conf	*c = NULL;
	size_t		 n;
	int		 rc;

	err[0] = '\0';
	conf_err = err;
	conf_errlen = errlen;

	top = section_opts(NULL);
	for (n = 0; top[n].name != NULL; n++)
		;
	root = xcalloc(n + NITEMS(secs) + 2, sizeof(*root));
	memcpy(root, top, n * sizeof(*root));
	cfg_opt_t dnssec = CFG_BOOL("dnssec", cfg_false, CFGF_NONE);
	root[n++] = dnssec;
	for (size_t i = 0; i < NITEMS(secs); i++) {
		secopts[i] = section_opts(secs[i]);
		cfg_opt_t s = CFG_SEC(secs[i], secopts[i], CFGF_NONE);
		root[n++] = s;
	}
	cfg_opt_t end = CFG_END();
	root[n] = end;

	cfg = conf_root = cfg_init(root, CFGF_NONE);
	cfg_set_error_function(cfg, conf_errfunc);
	set_validators(cfg, NULL, top);
	for (size_t i = 0; i < NITEMS(secs); i++)
		set_validators(cfg, secs[i], secopts[i]);
	cfg_set_validate_func(cfg, "log|facility", validate_facility);
	cfg_set_validate_func(cfg, "log|level", validate_level);
	cfg_set_validate_func(cfg, "notify|listen", validate_listen);
	cfg_set_validate_func(cfg, "metrics|listen", validate_listen);
	cfg_set_validate_func(cfg, "notify|trusted", validate_trusted);
	cfg_set_validate_func(cfg, "notify|proxy-protocol-from", validate_trusted);
	cfg_set_validate_func(cfg, "notify|allow-notify-from", validate_mask);
	cfg_set_validate_func(cfg, "transfer|ixfr-off-masters", validate_ixfr_master);
	cfg_set_validate_func(cfg, "transfer|ixfr-udp", validate_ixfr_udp);

	rc = cfg_parse(cfg, path);
	if (rc == CFG_FILE_ERROR) {
		snprintf(err, errlen, "%s: cannot read: %m\n", path);
		goto out;
	}
	if (rc != CFG_SUCCESS) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: parse error\n", path);
		goto out;
	}

	c = xcalloc(1, sizeof(*c));
	for (size_t i = 0; i < NITEMS(intkeys); i++) {
		const struct intkey	*k = &intkeys[i];
		cfg_t			*s = k->sec ? cfg_getsec(cfg, k->sec) : cfg;
		long			 v = cfg_getint(s, k->name);

		if (k->is_long)
			*(long *)(void *)((char *)c + k->off) = v;
		else
			*(int *)(void *)((char *)c + k->off) = (int)v;
	}
	for (size_t i = 0; i < NITEMS(strkeys); i++)
		*(char **)(void *)((char *)c + strkeys[i].off) =
		    getstr(cfg, strkeys[i].sec, strkeys[i].name);
	c->dnssec = cfg_getbool(cfg, "dnssec") ? 1 : 0;
	c->log_facility = log_facility_parse(cfg_getstr(cfg_getsec(cfg, "log"), "facility"));
	c->log_level = log_level_parse(cfg_getstr(cfg_getsec(cfg, "log"), "level"));
	getlist(cfg_getsec(cfg, "notify"), "listen", &c->notify_listen, &c->n_notify_listen);
	getlist(cfg_getsec(cfg, "notify"), "trusted", &c->notify_trusted, &c->n_notify_trusted);
	getlist(cfg_getsec(cfg, "notify"), "allow-notify-from", &c->notify_from,
	    &c->n_notify_from);
	getlist(cfg_getsec(cfg, "notify"), "proxy-protocol-from", &c->notify_proxies,
	    &c->n_notify_proxies);
	c->autosecondary = cfg_getbool(cfg_getsec(cfg, "notify"), "autosecondary");
	c->allow_unsigned_ap = cfg_getbool(cfg_getsec(cfg, "notify"),
	    "allow-unsigned-autoprimary");
	getlist(cfg_getsec(cfg, "metrics"), "listen", &c->metrics_listen, &c->n_metrics_listen);
	c->ixfr = cfg_getbool(cfg_getsec(cfg, "transfer"), "ixfr");
	c->ixfr_udp = ixfr_udp_parse(cfg_getstr(cfg_getsec(cfg, "transfer"), "ixfr-udp"));
	getlist(cfg_getsec(cfg, "transfer"), "ixfr-off-masters", &c->ixfr_off_masters,
	    &c->n_ixfr_off_masters);
	getlist(cfg_getsec(cfg, "transfer"), "ixfr-off-zones", &c->ixfr_off_zones,
	    &c->n_ixfr_off_zones);
	if (conf_check(c, path, err, errlen) == -1) {
		conf_free(c);
		c = NULL;
	}
out:
	conf_root = NULL;
	cfg_free(cfg);
	free(top);
	for (size_t i = 0; i < NITEMS(secs); i++)
		free(secopts[i]);
	free(root);
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NITEMS(strkeys); i++)
		free(*(char **)(void *)((char *)c + strkeys[i].off));
	freelist(c->notify_listen, c->n_notify_listen);
	freelist(c->notify_trusted, c->n_notify_trusted);
	freelist(c->notify_from, c->n_notify_from);
	freelist(c->notify_proxies, c->n_notify_proxies);
	freelist(c->metrics_listen, c->n_metrics_listen);
	freelist(c->ixfr_off_masters, c->n_ixfr_off_masters);
	freelist(c->ixfr_off_zones, c->n_ixfr_off_zones);
	free(c);
}

bool
conf_world_readable(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && (st.st_mode & S_IROTH) != 0;
}
