/*
 * control: pdns-refresher-control's requests, answered on the event loop
 * from the zone table, the master registry and the counters.
 *
 *   status                           zones by state, backlog, rates, masters,
 *                                    database and NOTIFY health, uptime
 *   zone NAME                        one zone: why it is as it is, what next
 *   list KIND [--reason T] [--limit N]
 *                                    KIND: stale failing expired never-loaded
 *   masters [--down]                 per master: zones, health, last error
 *   refresh NAME                     check now; answers when the check ends
 *   retransfer NAME [MASTER]         AXFR now whatever the serial; the same
 *   reload                           SIGHUP's work
 *
 * Every request may carry --json.  One writer (struct out) renders both
 * forms: "key: value" lines for a person, one JSON object for a script.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "autoprimary.h"
#include "conf.h"
#include "ha.h"
#include "control.h"
#include "domains.h"
#include "keys.h"
#include "lastcheck.h"
#include "log.h"
#include "main.h"
#include "master.h"
#include "notify.h"
#include "sched.h"
#include "soa.h"
#include "stats.h"
#include "util.h"
#include "zone.h"

#define CTL_MAX_CLIENTS	32
#define CTL_MAX_LINE	4096		/* a request longer than this is refused */
#define CTL_MAX_ARGS	8
#define CTL_READ_S	10		/* to send the request */
#define CTL_WRITE_S	60		/* to read a written answer */
#define CTL_LIST_LIMIT	1000		/* list's default --limit */

struct client {
	struct bufferevent	*bev;
	struct zone		*z;		/* refresh/retransfer: waits for its check */
	unsigned		 skip;		/* check ends to let pass first */
	bool			 json;
	bool			 closing;	/* answered: freed once written */
	TAILQ_ENTRY(client)	 entry;
};
TAILQ_HEAD(client_list, client);

static struct {
	int				 fd;
	char				 path[108];
	ino_t				 ino;
	struct evconnlistener		*lev;
	struct event_base		*base;
	const struct control_ops	*ops;
	struct client_list		 clients;
	size_t				 nclients;
} C = { .fd = -1 };

/* ---- the writer: text for people, JSON for scripts ---- */

#define OUT_DEPTH	6
struct out {
	struct evbuffer	*b;
	bool		 json;
	int		 depth;
	bool		 more[OUT_DEPTH];	/* JSON: a member came before at this depth */
	bool		 row[OUT_DEPTH];	/* text: this object is one line */
	bool		 arr[OUT_DEPTH];	/* JSON: in an array (no keys) */
	int		 ind[OUT_DEPTH];	/* text: spaces before a member */
};

static void
jstr(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)	/* Latin-1 to \u: always UTF-8 */
			evbuffer_add_printf(b, "\\u%04x", *p);
		else
			evbuffer_add(b, p, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* Text: printable only, whatever a master put into a reason. */
static void
tstr(struct evbuffer *b, const char *s, bool quote)
{
	char	 buf[1024];

	log_vis(buf, sizeof(buf), s);
	if (quote && (buf[0] == '\0' || strpbrk(buf, " \t\"=") != NULL))
		evbuffer_add_printf(b, "\"%s\"", buf);
	else
		evbuffer_add_printf(b, "%s", buf);
}

/* Start a member: the comma and key in JSON, the indent and key in text. */
static void
o_key(struct out *o, const char *key)
{
	if (o->json) {
		if (o->more[o->depth])
			evbuffer_add(o->b, ",", 1);
		o->more[o->depth] = true;
		if (!o->arr[o->depth]) {
			jstr(o->b, key);
			evbuffer_add(o->b, ":", 1);
		}
		return;
	}
	if (o->row[o->depth]) {
		if (o->more[o->depth])
			evbuffer_add(o->b, " ", 1);
		if (o->more[o->depth])		/* the first field says what the row is */
			evbuffer_add_printf(o->b, "%s=", key);
		o->more[o->depth] = true;
		return;
	}
	evbuffer_add_printf(o->b, "%*s%s: ", o->ind[o->depth], "", key);
}

static void
o_endval(struct out *o)
{
	if (!o->json && !o->row[o->depth])
		evbuffer_add(o->b, "\n", 1);
}

static void
o_open(struct out *o, const char *key, bool array, bool row)
{
	if (o->json) {
		if (o->depth > 0)
			o_key(o, key);
		evbuffer_add(o->b, array ? "[" : "{", 1);
	} else if (o->depth > 0 && key != NULL)	/* text: a heading */
		evbuffer_add_printf(o->b, "%*s%s:\n", o->ind[o->depth], "", key);
	if (o->depth + 1 >= OUT_DEPTH)
		fatalx("control: output nested too deep");
	o->depth++;
	o->ind[o->depth] = o->depth <= 1 ? 0 : o->ind[o->depth - 1] + 2;
	o->more[o->depth] = false;
	o->arr[o->depth] = array;
	o->row[o->depth] = row && !o->json;
}

static void
o_begin(struct out *o, const char *key)
{
	o_open(o, key, false, false);
}

/* An object of an array: one line in text. */
static void
o_row(struct out *o)
{
	if (!o->json) {		/* the row is the line */
		evbuffer_add_printf(o->b, "%*s", o->ind[o->depth], "");
		o->depth++;
		o->more[o->depth] = false;
		o->arr[o->depth] = false;
		o->row[o->depth] = true;
		return;
	}
	o_open(o, NULL, false, true);
}

/* An array; in text its rows follow one a line, under a heading if asked. */
static void
o_array(struct out *o, const char *key, bool heading)
{
	if (!o->json) {
		int ind = o->ind[o->depth];
		if (heading) {
			evbuffer_add_printf(o->b, "%*s%s:\n", ind, "", key);
			ind += 2;
		}
		o->depth++;
		o->ind[o->depth] = ind;
		o->more[o->depth] = false;
		o->arr[o->depth] = true;
		o->row[o->depth] = false;
		return;
	}
	o_open(o, key, true, false);
}

static void
o_end(struct out *o)
{
	bool	 row = o->row[o->depth], arr = o->arr[o->depth];

	o->depth--;
	if (o->json)
		evbuffer_add(o->b, arr ? "]" : "}", 1);
	else if (row)
		evbuffer_add(o->b, "\n", 1);
}

static void
o_str(struct out *o, const char *key, const char *v)
{
	o_key(o, key);
	if (o->json)
		jstr(o->b, v);
	else
		tstr(o->b, v, o->row[o->depth]);
	o_endval(o);
}

static void
o_null(struct out *o, const char *key, const char *text)
{
	o_key(o, key);
	if (o->json)
		evbuffer_add(o->b, "null", 4);
	else
		tstr(o->b, text, o->row[o->depth]);
	o_endval(o);
}

static void
o_int(struct out *o, const char *key, int64_t v)
{
	o_key(o, key);
	evbuffer_add_printf(o->b, "%" PRId64, v);
	o_endval(o);
}

static void
o_num(struct out *o, const char *key, double v)
{
	o_key(o, key);
	evbuffer_add_printf(o->b, o->json ? "%.3f" : "%.1f", v);
	o_endval(o);
}

static void
o_bool(struct out *o, const char *key, bool v)
{
	o_key(o, key);
	evbuffer_add_printf(o->b, "%s", o->json ? (v ? "true" : "false") : (v ? "yes" : "no"));
	o_endval(o);
}

/* A time: Unix seconds in JSON (null for never); UTC and how long ago in text. */
static void
o_time(struct out *o, const char *key, int64_t t)
{
	char		 when[64], ago[48];
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	int64_t		 d = t - (int64_t)time(NULL);

	if (t <= 0) {
		o_null(o, key, "never");
		return;
	}
	if (o->json) {
		o_int(o, key, t);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (d > 0)
		snprintf(ago, sizeof(ago), "in %" PRId64 " s", d);
	else if (d == 0)
		snprintf(ago, sizeof(ago), "now");
	else
		snprintf(ago, sizeof(ago), "%" PRId64 " s ago", -d);
	o_key(o, key);
	if (o->row[o->depth])
		evbuffer_add_printf(o->b, "%s", when);
	else
		evbuffer_add_printf(o->b, "%s (%s)", when, ago);
	o_endval(o);
}


/* ---- the zone table, looked at ---- */

/* Every master has said "not mine" (REFUSED, NOTAUTH, NXDOMAIN) for long. */
static bool
zone_orphaned(const struct zone *z)
{
	return z->lame_since != 0 &&
	    sched_now() / 1000 - z->lame_since >= sched_conf()->orphaned_after;
}


static bool
zone_stale(const struct zone *z, int64_t now)
{
	const struct conf *c = sched_conf();
	uint32_t refresh = z->refresh;

	if (!z->has_soa || z->last_ok == ZONE_NEVER)
		return false;		/* never-loaded says it */
	if (refresh < (uint32_t)c->min_refresh)
		refresh = (uint32_t)c->min_refresh;
	if (refresh > (uint32_t)c->max_refresh)
		refresh = (uint32_t)c->max_refresh;
	return now - z->last_ok > (int64_t)refresh * 1000 + (int64_t)c->soa_timeout_ms *
	    c->soa_tries;
}

/* Stale depends on the clock: the one count status makes by walking the table. */
static void
stale_cb(struct zone *z, void *arg)
{
	*(size_t *)arg += zone_stale(z, sched_now());
}

static const char *const result_names[] = {
	"none", "unchanged", "transferred", "kept", "failed",
};

static int64_t
next_check(const struct zone *z)
{
	if (z->state == ZONE_IDLE)
		return sched_wall(z->due.at);
	if (z->state == ZONE_DONE)
		return 0;
	return (int64_t)time(NULL);	/* due or under way */
}

static void
out_error(struct out *o, const struct zone *z)
{
	if (z->err == NULL) {
		o_null(o, "last_error", "none");
		return;
	}
	o_begin(o, "last_error");
	o_time(o, "time", z->err->time);
	o_str(o, "master", z->err->master);
	o_str(o, "reason", z->err->reason);
	o_end(o);
}

static void
out_zone(struct out *o, const struct zone *z)
{
	const struct keys_entry	*ke = keys_find(z->id);
	int64_t			 now = sched_now();

	o_str(o, "name", z->name);
	o_int(o, "id", z->id);
	o_str(o, "state", zone_state_name(z->state));
	o_bool(o, "stale", zone_stale(z, now));
	o_bool(o, "expired", z->expired);
	if (z->has_soa)
		o_int(o, "serial", z->serial);
	else
		o_null(o, "serial", "none (never loaded)");
	o_time(o, "serial_since", z->serial_at);
	o_time(o, "last_check", z->checked_at);
	o_str(o, "last_result", result_names[z->result]);
	o_time(o, "last_success", z->last_ok == ZONE_NEVER ? 0 : sched_wall(z->last_ok));
	o_int(o, "failures", z->fails);
	out_error(o, z);
	o_time(o, "next_check", next_check(z));
	o_time(o, "refused_by_all_since", z->lame_since ?
	    sched_wall((int64_t)z->lame_since * 1000) : 0);
	o_bool(o, "orphaned", zone_orphaned(z));
	if (z->lower_since != 0) {
		o_int(o, "lower_serial", z->lower_serial);
		o_time(o, "lower_serial_since", sched_wall((int64_t)z->lower_since * 1000));
	}
	if (z->has_soa) {
		o_int(o, "refresh", z->refresh);
		o_int(o, "retry", z->retry);
		o_int(o, "expire", zone_expire_s(z));
	}
	if (ke != NULL && ke->has_key)
		o_str(o, "tsig_key", ke->key.name);
	else
		o_null(o, "tsig_key", "none");
	o_array(o, "masters", true);
	for (int i = 0; i < z->nmasters; i++) {
		const struct master *m = z->masters[i];
		o_row(o);
		o_str(o, "address", m->name);
		o_str(o, "health", master_health_name(m->health));
		o_bool(o, "current", i == z->cur);
		o_time(o, "last_answer", m->last_answer ? sched_wall(m->last_answer) : 0);
		o_end(o);
	}
	o_end(o);
}

/* ---- verbs ---- */

struct req {
	int		 argc;
	char		*argv[CTL_MAX_ARGS];
	bool		 json, down;
	long		 limit;
	const char	*reason;
};

static int
v_status(struct client *c, struct out *o, struct req *r)
{
	size_t		 stale = 0, ap_active, ap_sm;
	uint64_t	 answered = 0, dropped = 0, lost = 0, ap_dropped;
	unsigned long	 opened, reused;

	(void)c;
	(void)r;
	zone_foreach(stale_cb, &stale);
	notify_counters(&answered, &dropped, &lost);
	o_str(o, "version", PDNS_REFRESHER_VERSION);
	o_int(o, "uptime", (sched_now() - stats.started) / 1000);
	o_begin(o, "zones");
	o_int(o, "total", (int64_t)zone_count());
	for (int st = 0; st < ZONE_NSTATES; st++)
		o_int(o, zone_state_name(st), (int64_t)zone_counts.in[st]);
	o_int(o, "stale", (int64_t)stale);
	o_int(o, "failing", (int64_t)zone_counts.failing);
	o_int(o, "expired", (int64_t)zone_counts.expired);
	o_int(o, "never_loaded", (int64_t)zone_counts.unloaded);
	o_end(o);
	o_int(o, "backlog", (int64_t)zone_counts.pending);
	o_begin(o, "rates");
	o_num(o, "checks_per_second", stats.check_rate);
	o_num(o, "transfers_per_second", stats.xfr_rate);
	o_end(o);
	o_begin(o, "since_start");
	o_int(o, "checks", (int64_t)stats.checks);
	o_int(o, "unchanged", (int64_t)stats.unchanged);
	o_int(o, "first_loads_direct", (int64_t)stats.first_direct);
	o_int(o, "transfers", (int64_t)stats.transfers);
	o_int(o, "transfers_ixfr", (int64_t)stats.xfr_how[XFR_BY_IXFR]);
	o_int(o, "transfers_ixfr_fallback", (int64_t)stats.xfr_how[XFR_BY_FALLBACK]);
	o_int(o, "transfers_udp", (int64_t)stats.xfr_udp);
	o_int(o, "udp_answers_not_kept", (int64_t)stats.udp_not_held);
	xfr_conn_counts(&opened, &reused);
	o_int(o, "transfer_connections", (int64_t)opened);
	o_int(o, "transfer_connections_reused", (int64_t)reused);
	soa_sock_counts(&opened, &reused);
	o_int(o, "soa_sockets", (int64_t)opened);
	o_int(o, "soa_sockets_reused", (int64_t)reused);
	o_int(o, "rows_written", (int64_t)stats.rows_written);
	o_num(o, "write_turn_wait_seconds", (double)db_turn_waited_ms() / 1000.0);
	o_int(o, "failed_attempts", (int64_t)stats.failures);
	o_int(o, "notifies", (int64_t)stats.notifies);
	o_end(o);
	o_begin(o, "masters");
	o_int(o, "total", (int64_t)master_count());
	o_int(o, "up", (int64_t)master_health_count[MASTER_UP]);
	o_int(o, "paused", (int64_t)master_health_count[MASTER_DOWN]);
	o_int(o, "probing", (int64_t)master_health_count[MASTER_PROBING]);
	o_end(o);
	o_begin(o, "database");
	o_bool(o, "ok", stats.db_ok_time >= stats.db_err_time && stats.db_ok_time > 0);
	o_time(o, "last_ok", stats.db_ok_time);
	o_int(o, "errors", (int64_t)stats.db_errors);
	o_time(o, "last_error_time", stats.db_err_time);
	if (stats.db_errors > 0)
		o_str(o, "last_error", stats.db_err);
	else
		o_null(o, "last_error", "none");
	o_int(o, "last_check_waiting", (int64_t)lastcheck_waiting());
	o_end(o);
	o_begin(o, "notify");
	o_int(o, "listeners", (int64_t)sched_conf()->n_notify_listen);
	o_int(o, "answered", (int64_t)answered);
	o_int(o, "dropped", (int64_t)dropped);
	o_int(o, "lost", (int64_t)lost);
	o_int(o, "refused", (int64_t)stats.notify_refused);
	o_end(o);
	{
		struct ha_info	 hi;

		ha_info(&hi);
		o_begin(o, "ha");
		o_bool(o, "on", hi.on);
		o_str(o, "role", !hi.on ? "alone" : hi.leader ? "leader" : "standby");
		o_int(o, "epoch", (int64_t)hi.epoch);
		if (hi.holder[0] != '\0')
			o_str(o, "holder", hi.holder);
		else
			o_null(o, "holder", "none");
		o_time(o, "since", hi.since);
		o_int(o, "takeovers", (int64_t)hi.takeovers);
		if (hi.err[0] != '\0')
			o_str(o, "last_error", hi.err);
		else
			o_null(o, "last_error", "none");
		o_end(o);
	}
	o_begin(o, "autoprimary");
	o_bool(o, "on", sched_conf()->autosecondary);
	autoprimary_counts(&ap_active, &ap_sm, &ap_dropped);
	o_int(o, "supermaster_addresses", (int64_t)ap_sm);
	o_int(o, "checking", (int64_t)ap_active);
	o_int(o, "created", (int64_t)stats.notify_by[NOTIFY_AP_CREATED]);
	o_int(o, "refused", (int64_t)stats.notify_by[NOTIFY_AP_REFUSED]);
	o_int(o, "failed", (int64_t)stats.notify_by[NOTIFY_AP_FAILED]);
	o_int(o, "dropped", (int64_t)ap_dropped);
	o_end(o);
	return 0;
}

static struct zone *
find_zone(const char *arg, char *msg, size_t len)
{
	char		 name[256];
	struct zone	*z;

	util_strlcpy(name, arg, sizeof(name));
	zone_name_canon(name);
	if ((z = zone_by_name(name)) == NULL)
		snprintf(msg, len, "zone %s: not a SLAVE domain of this daemon", name);
	return z;
}

static int
v_zone(struct client *c, struct out *o, struct req *r)
{
	struct zone	*z;
	char		 msg[320];

	(void)c;
	if (r->argc != 2) {
		o_str(o, "error", "usage: zone NAME");
		return 2;
	}
	if ((z = find_zone(r->argv[1], msg, sizeof(msg))) == NULL) {
		o_str(o, "error", msg);
		return 1;
	}
	out_zone(o, z);
	return 0;
}

enum list_kind { L_STALE, L_FAILING, L_EXPIRED, L_UNLOADED, L_ORPHANED };
static const char *const list_names[] = { "stale", "failing", "expired", "never-loaded",
    "orphaned" };


struct list_ctx {
	enum list_kind	 kind;
	const char	*reason;
	struct zone	**v;
	size_t		 n, cap;
	int64_t		 now;
};

static void
list_cb(struct zone *z, void *arg)
{
	struct list_ctx	*l = arg;
	bool		 in;

	switch (l->kind) {
	case L_STALE:	 in = zone_stale(z, l->now); break;
	case L_FAILING:	 in = z->fails > 0; break;
	case L_EXPIRED:	 in = z->expired; break;
	case L_ORPHANED: in = zone_orphaned(z); break;
	default:	 in = !z->has_soa; break;
	}
	if (!in)
		return;
	if (l->reason != NULL && (z->err == NULL || strcasestr(z->err->reason, l->reason) == NULL))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = z;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct zone *const *)a)->name, (*(struct zone *const *)b)->name);
}

static int
v_list(struct client *c, struct out *o, struct req *r)
{
	struct list_ctx	 l = { .now = sched_now() };
	size_t		 i, k;

	(void)c;
	for (k = 0; k < NITEMS(list_names); k++)
		if (r->argc == 2 && strcmp(r->argv[1], list_names[k]) == 0)
			break;
	if (k == NITEMS(list_names)) {
		o_str(o, "error", "usage: list stale|failing|expired|never-loaded|orphaned "
		    "[--reason TEXT] [--limit N]");
		return 2;
	}
	l.kind = (enum list_kind)k;
	l.reason = r->reason;
	zone_foreach(list_cb, &l);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), by_name);
	if (o->json) {
		o_str(o, "list", list_names[k]);
		o_int(o, "total", (int64_t)l.n);
	}
	o_array(o, "zones", false);
	for (i = 0; i < l.n && (r->limit == 0 || (long)i < r->limit); i++) {
		struct zone *z = l.v[i];
		o_row(o);
		o_str(o, "name", z->name);
		o_str(o, "state", zone_state_name(z->state));
		if (z->has_soa)
			o_int(o, "serial", z->serial);
		else
			o_null(o, "serial", "none");
		o_time(o, "last_success", z->last_ok == ZONE_NEVER ? 0 : sched_wall(z->last_ok));
		o_int(o, "failures", z->fails);
		o_time(o, "next_check", next_check(z));
		if (l.kind == L_ORPHANED)
			o_time(o, "orphaned_since", sched_wall((int64_t)z->lame_since * 1000));
		if (z->err != NULL) {
			o_str(o, "master", z->err->master);
			o_str(o, "reason", z->err->reason);
		}
		o_end(o);
	}
	o_end(o);
	if (!o->json)
		evbuffer_add_printf(o->b, "# %zu %s zone%s%s\n", l.n, list_names[k],
		    l.n == 1 ? "" : "s", i < l.n ? ", the first shown (--limit)" : "");
	free(l.v);
	return 0;
}

struct mlist {
	struct master	**v;
	size_t		 n, cap;
	bool		 down;
};

static void
mlist_cb(struct master *m, void *arg)
{
	struct mlist	*l = arg;

	if (l->down && m->health == MASTER_UP)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = m;
}

static int
by_mname(const void *a, const void *b)
{
	return strcmp((*(struct master *const *)a)->name, (*(struct master *const *)b)->name);
}

static int
v_masters(struct client *c, struct out *o, struct req *r)
{
	struct mlist	 l = { .down = r->down };

	(void)c;
	if (r->argc != 1) {
		o_str(o, "error", "usage: masters [--down]");
		return 2;
	}
	master_foreach(mlist_cb, &l);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), by_mname);
	o_array(o, "masters", false);
	for (size_t i = 0; i < l.n; i++) {
		struct master *m = l.v[i];
		o_row(o);
		o_str(o, "address", m->name);
		o_int(o, "zones", m->refs);
		o_str(o, "health", master_health_name(m->health));
		if (m->health == MASTER_DOWN && m->timer.idx != 0)
			o_time(o, "paused_until", sched_wall(m->timer.at));
		else
			o_null(o, "paused_until", "-");
		o_int(o, "soa_in_flight", m->soa_inflight);
		o_int(o, "transfers", m->xfr_inflight);
		o_time(o, "last_answer", m->last_answer ? sched_wall(m->last_answer) : 0);
		o_time(o, "last_error_time", m->err_time);
		if (m->err_time > 0)
			o_str(o, "last_error", m->err);
		o_end(o);
	}
	o_end(o);
	if (!o->json)
		evbuffer_add_printf(o->b, "# %zu master%s%s\n", l.n, l.n == 1 ? "" : "s",
		    r->down ? " paused or under test" : "");
	free(l.v);
	return 0;
}

/* refresh and retransfer: start the check; the answer comes when it ends. */
static int
v_check(struct client *c, struct out *o, struct req *r)
{
	bool		 force = strcmp(r->argv[0], "retransfer") == 0;
	struct zone	*z;
	char		 msg[320];
	int		 idx = -1;
	bool		 busy;

	if (r->argc != 2 && !(force && r->argc == 3)) {
		o_str(o, "error", force ? "usage: retransfer NAME [MASTER]" : "usage: refresh NAME");
		return 2;
	}
	if ((z = find_zone(r->argv[1], msg, sizeof(msg))) == NULL) {
		o_str(o, "error", msg);
		return 1;
	}
	if (sched_standby()) {
		struct ha_info	 hi;

		ha_info(&hi);
		snprintf(msg, sizeof(msg), "this node is the standby (ha): %s holds the lease; "
		    "ask it", hi.holder[0] ? hi.holder : "no node");
		o_str(o, "error", msg);
		return 1;
	}
	if (r->argc == 3) {
		struct master_addr ma;
		char err[160];

		if (master_parse(r->argv[2], &ma, 1, err, sizeof(err)) != 1) {
			snprintf(msg, sizeof(msg), "%s: %s", r->argv[2], err);
			o_str(o, "error", msg);
			return 2;
		}
		for (int i = 0; i < z->nmasters; i++)
			if (master_addr_eq(&z->masters[i]->addr,
			    (const struct sockaddr *)&ma.ss, ma.len))
				idx = i;
		if (idx < 0 || z->pend != NULL) {
			snprintf(msg, sizeof(msg), "zone %s: %s is not one of its masters",
			    z->name, r->argv[2]);
			o_str(o, "error", msg);
			return 1;
		}
	}
	busy = z->state != ZONE_IDLE && z->state != ZONE_QUEUED;
	if (busy && idx >= 0) {
		snprintf(msg, sizeof(msg), "zone %s is %s right now; ask again without a "
		    "master, or when it is done", z->name, zone_state_name(z->state));
		o_str(o, "error", msg);
		return 1;
	}
	if (force)
		z->force = true;
	if (!sched_check_now(z, idx)) {
		o_str(o, "error", "the daemon is shutting down");
		return 1;
	}
	log_info("zone %s: %s requested on the control socket%s%s", z->name, r->argv[0],
	    idx >= 0 ? " from " : "", idx >= 0 ? z->masters[idx]->name : "");
	c->z = z;
	c->skip = busy ? 1 : 0;		/* the check under way, then ours */
	z->waited = true;
	return -1;			/* answered later: check_ended */
}

static int
v_reload(struct client *c, struct out *o, struct req *r)
{
	char	 msg[2048];

	(void)c;
	if (r->argc != 1) {
		o_str(o, "error", "usage: reload");
		return 2;
	}
	if (!C.ops->reload(msg, sizeof(msg))) {
		o_str(o, "error", msg);
		return 1;
	}
	o_str(o, "result", msg);
	return 0;
}

static const struct verb {
	const char	*name;
	int		(*fn)(struct client *, struct out *, struct req *);
} verbs[] = {
	{ "status", v_status },
	{ "zone", v_zone },
	{ "list", v_list },
	{ "masters", v_masters },
	{ "refresh", v_check },
	{ "retransfer", v_check },
	{ "reload", v_reload },
};

/* ---- clients ---- */

static void
client_free(struct client *c)
{
	struct client	*o;
	bool		 other = false;

	if (c->z != NULL) {
		TAILQ_FOREACH(o, &C.clients, entry)
			if (o != c && o->z == c->z)
				other = true;
		if (!other)
			c->z->waited = false;
	}
	if (c->closing) {	/* unread input would reset the connection: drop it */
		char	 junk[4096];
		int	 fd = bufferevent_getfd(c->bev);
		for (int i = 0; i < 64 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
			;
	}
	TAILQ_REMOVE(&C.clients, c, entry);
	C.nclients--;
	bufferevent_free(c->bev);
	free(c);
}

/* Send the exit status and the body, then close once written. */
static void
client_answer(struct client *c, int rc, struct evbuffer *body)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out, "%d\n", rc);
	evbuffer_add_buffer(out, body);
	c->closing = true;
	/* Reading goes on, into the void: a socket closed with unread input
	 * resets the connection, and the client would lose the answer. */
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_set_timeouts(c->bev, NULL, &(struct timeval){ CTL_WRITE_S, 0 });
	if (evbuffer_get_length(out) == 0)
		client_free(c);
}

static int
parse_req(char *line, struct req *r, struct out *o)
{
	char	*p, *arg;
	int	 n = 0;
	char	*words[CTL_MAX_ARGS * 2];

	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return -1;
	memset(r, 0, sizeof(*r));
	r->limit = CTL_LIST_LIMIT;
	while ((arg = strsep(&line, "\t")) != NULL) {
		if (*arg == '\0')
			continue;
		if (n == (int)NITEMS(words))
			return -1;
		words[n++] = arg;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(words[i], "--json") == 0)
			r->json = o->json = true;
		else if (strcmp(words[i], "--down") == 0)
			r->down = true;
		else if (strcmp(words[i], "--limit") == 0 && i + 1 < n) {
			char *end;
			errno = 0;
			r->limit = strtol(words[++i], &end, 10);
			if (errno != 0 || *end != '\0' || r->limit < 0)
				return -1;
		} else if (strcmp(words[i], "--reason") == 0 && i + 1 < n)
			r->reason = words[++i];
		else if (words[i][0] == '-' && words[i][1] == '-')
			return -1;
		else if (r->argc == CTL_MAX_ARGS)
			return -1;
		else
			r->argv[r->argc++] = words[i];
	}
	return r->argc > 0 ? 0 : -1;
}

static void
client_request(struct client *c, char *line)
{
	struct out	 o = { 0 };
	struct req	 r;
	int		 rc = 2;

	o.b = evbuffer_new();
	if (parse_req(line, &r, &o) == -1) {
		o_begin(&o, NULL);
		o_str(&o, "error", "bad request: see pdns-refresher-control -h");
	} else {
		const struct verb *v = NULL;
		for (size_t i = 0; i < NITEMS(verbs); i++)
			if (strcmp(verbs[i].name, r.argv[0]) == 0)
				v = &verbs[i];
		o_begin(&o, NULL);
		if (v == NULL) {
			o_str(&o, "error", "unknown command: see pdns-refresher-control -h");
		} else if ((rc = v->fn(c, &o, &r)) == -1) {
			c->json = o.json;
			evbuffer_free(o.b);
			/* reading on: an EOF says the client left */
			bufferevent_set_timeouts(c->bev, NULL, NULL);
			return;		/* waits for the check */
		}
	}
	o_end(&o);
	if (o.json)
		evbuffer_add(o.b, "\n", 1);
	client_answer(c, rc, o.b);
	evbuffer_free(o.b);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 n;

	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->z != NULL)
		return;
	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > CTL_MAX_LINE) {
			struct evbuffer *b = evbuffer_new();
			evbuffer_add_printf(b, "error: request longer than %d bytes\n",
			    CTL_MAX_LINE);
			client_answer(c, 2, b);
			evbuffer_free(b);
		}
		return;
	}
	if (n > CTL_MAX_LINE) {
		struct evbuffer *b = evbuffer_new();
		evbuffer_add_printf(b, "error: request longer than %d bytes\n", CTL_MAX_LINE);
		client_answer(c, 2, b);
		evbuffer_free(b);
	} else
		client_request(c, line);
	free(line);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;

	if ((what & BEV_EVENT_EOF) && c->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		bufferevent_disable(bev, EV_READ);	/* half-closed: the answer still goes */
		return;
	}
	client_free(c);		/* error, timeout, or it left */
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct client	*c;

	(void)lev;
	(void)sa;
	(void)salen;
	(void)arg;
	if (C.nclients >= CTL_MAX_CLIENTS) {
		static const char busy[] = "1\nerror: too many control clients at once\n";
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->bev = bufferevent_socket_new(C.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&C.clients, c, entry);
	C.nclients++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_MAX_LINE + 2);
	bufferevent_set_timeouts(c->bev, &(struct timeval){ CTL_READ_S, 0 },
	    &(struct timeval){ CTL_WRITE_S, 0 });
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- a check the clients wait for ended ---- */

static void
answer_check(struct client *c, struct zone *z, bool gone)
{
	struct out	 o = { .json = c->json };
	const char	*mname;
	int		 rc = 0;

	o.b = evbuffer_new();
	o_begin(&o, NULL);
	if (gone) {
		o_str(&o, "error", "the zone was removed from the SLAVE domains meanwhile");
		rc = 1;
	} else {
		char msg[512];

		mname = z->res_master < z->nmasters ? z->masters[z->res_master]->name : "?";
		switch (z->result) {
		case ZR_UNCHANGED:
			snprintf(msg, sizeof(msg), "serial %u unchanged at %s", z->serial, mname);
			break;
		case ZR_TRANSFERRED:
			snprintf(msg, sizeof(msg), "transferred serial %u from %s", z->serial,
			    mname);
			break;
		case ZR_KEPT:
			snprintf(msg, sizeof(msg), "%s does not have a newer serial than our %u: "
			    "ours kept (retransfer takes it whatever the serial)", mname,
			    z->serial);
			break;
		default:
			snprintf(msg, sizeof(msg), "failed: %s (master %s); failure %u in a row",
			    z->err != NULL ? z->err->reason : "?",
			    z->err != NULL ? z->err->master : "?", z->fails);
			rc = 1;
			break;
		}
		o_str(&o, "result", msg);
		o_begin(&o, "zone");
		out_zone(&o, z);
		o_end(&o);
	}
	o_end(&o);
	if (o.json)
		evbuffer_add(o.b, "\n", 1);
	c->z = NULL;
	client_answer(c, rc, o.b);
	evbuffer_free(o.b);
}

static void
check_ended(struct zone *z, bool gone)
{
	struct client	*c, *next;
	bool		 waiting = false;

	for (c = TAILQ_FIRST(&C.clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->z != z || c->closing)
			continue;
		if (!gone && c->skip > 0) {
			c->skip--;
			waiting = true;
			continue;
		}
		answer_check(c, z, gone);
	}
	z->waited = waiting;
}

/* ---- the socket ---- */

int
control_bind(const struct conf *conf, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	const char		*path = conf->control_socket;
	int			 fd;

	if (path[0] == '\0')
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	{
		/* systemd makes /run/pdns-refresher (RuntimeDirectory); a run by
		 * hand makes the directory itself when it may */
		char dir[sizeof(sun.sun_path)], *slash;
		util_strlcpy(dir, path, sizeof(dir));
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
				snprintf(err, errlen, "control.socket %s: cannot make %s: %s",
				    path, dir, strerror(errno));
				return -1;
			}
		}
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control.socket %s exists and is not a socket",
			    path);
			return -1;
		}
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
			int r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
			close(fd);
			if (r == 0) {
				snprintf(err, errlen, "control.socket %s: another pdns-refresher "
				    "answers on it; two daemons would write the same zones", path);
				return -1;
			}
		}
		unlink(path);		/* left by a daemon that died */
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 16) == -1 || fstat(fd, &st) == -1 ||
	    stat(path, &st) == -1) {
		snprintf(err, errlen, "control.socket %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	C.fd = fd;
	C.ino = st.st_ino;
	util_strlcpy(C.path, path, sizeof(C.path));
	return 0;
}

void
control_start(struct event_base *base, const struct control_ops *ops)
{
	TAILQ_INIT(&C.clients);
	C.base = base;
	C.ops = ops;
	zone_check_ended = check_ended;
	if (C.fd == -1)
		return;
	C.lev = evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, -1, C.fd);
	if (C.lev == NULL)
		fatalx("control socket %s: cannot listen on the loop", C.path);
	log_info("control socket %s: pdns-refresher-control status", C.path);
}

void
control_stop(void)
{
	struct client	*c;
	struct stat	 st;

	zone_check_ended = NULL;
	if (C.base == NULL)
		return;
	while ((c = TAILQ_FIRST(&C.clients)) != NULL) {
		if (c->z != NULL && !c->closing) {
			/* the loop is over: straight to the socket, or lost with the exit */
			const char *msg = c->json ?
			    "1\n{\"error\":\"the daemon is shutting down\"}\n" :
			    "1\nerror: the daemon is shutting down\n";
			(void)!write(bufferevent_getfd(c->bev), msg, strlen(msg));
			c->z = NULL;
		}
		client_free(c);
	}
	if (C.lev != NULL)
		evconnlistener_free(C.lev);
	else if (C.fd != -1)
		close(C.fd);
	C.lev = NULL;
	C.fd = -1;
	/* Only ours: a daemon started since may have put its own there. */
	if (C.path[0] != '\0' && stat(C.path, &st) == 0 && st.st_ino == C.ino)
		unlink(C.path);
	C.base = NULL;
}
