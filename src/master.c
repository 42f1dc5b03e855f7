/*
 * master: master address lists as PowerDNS parses them, and the registry of
 * master addresses shared by all zones, so limits and health are per master
 * and not per zone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "master.h"
#include "util.h"

static int
parse_port(const char *s, uint16_t *port)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* One token: "ip", "ip:port", "v6", "[v6]", "[v6]:port". */
static int
parse_one(const char *tok, struct master_addr *ma)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*portstr = NULL;
	uint16_t	 port = 53;
	size_t		 hl;

	memset(ma, 0, sizeof(*ma));
	if (tok[0] == '[') {
		const char *rb = strchr(tok, ']');
		if (rb == NULL)
			return -1;
		hl = (size_t)(rb - tok - 1);
		if (rb[1] == ':')
			portstr = rb + 2;
		else if (rb[1] != '\0')
			return -1;
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, tok + 1, hl);
		host[hl] = '\0';
		if (strchr(host, ':') == NULL)	/* [v4] is not a form pdns takes */
			return -1;
	} else {
		const char *colon = strchr(tok, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - tok);	/* exactly one colon: v4:port */
			portstr = colon + 1;
		} else
			hl = strlen(tok);		/* v4, or bare v6 */
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, tok, hl);
		host[hl] = '\0';
	}
	if (portstr != NULL && parse_port(portstr, &port) == -1)
		return -1;

	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ma->ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ma->ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ma->len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ma->len = sizeof(*s6);
	} else
		return -1;
	return 0;
}

int
master_parse(const char *text, struct master_addr *out, int max,
    char *err, size_t errlen)
{
	char		 tok[128];
	const char	*p = text;
	int		 n = 0;

	if (text == NULL || *text == '\0') {
		snprintf(err, errlen, "no master address");
		return -1;
	}
	if (strlen(text) > 4096) {
		snprintf(err, errlen, "master list too long (%zu bytes)", strlen(text));
		return -1;
	}
	while (*p != '\0') {
		size_t	 len = strcspn(p, ", \t");

		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof(tok)) {
			snprintf(err, errlen, "master address too long: '%.40s...'", p);
			return -1;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		p += len;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)tok[i];
			if (c < 0x21 || c > 0x7e) {
				snprintf(err, errlen, "bad byte 0x%02x in master address", c);
				return -1;
			}
		}
		if (n == max)
			break;		/* extra masters are ignored, not an error */
		if (parse_one(tok, &out[n]) == -1) {
			snprintf(err, errlen, "bad master address '%s'", tok);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no master address");
		return -1;
	}
	return n;
}

void
master_fmt(const struct master_addr *ma, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (ma->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ma->ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else if (ma->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ma->ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "(none)");
}

static bool	addr_eq(const struct master_addr *, const struct sockaddr *, socklen_t,
		    bool);

bool
master_addr_eq(const struct master_addr *ma, const struct sockaddr *sa,
    socklen_t len)
{
	return addr_eq(ma, sa, len, true);
}

bool
master_host_eq(const struct master_addr *ma, const struct sockaddr *sa,
    socklen_t len)
{
	return addr_eq(ma, sa, len, false);
}

int
master_parse_mask(const char *text, struct master_mask *m, char *err, size_t errlen)
{
	char		 a[INET6_ADDRSTRLEN + 8], *slash, *end;
	long		 bits;

	memset(m, 0, sizeof(*m));
	if (util_strlcpy(a, text, sizeof(a)) >= sizeof(a)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	if ((slash = strchr(a, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, a, m->addr) == 1) {
		m->family = AF_INET;
		m->bits = 32;
	} else if (inet_pton(AF_INET6, a, m->addr) == 1) {
		m->family = AF_INET6;
		m->bits = 128;
	} else {
		snprintf(err, errlen, "not an address");
		return -1;
	}
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 || bits < 0 || bits > m->bits) {
			snprintf(err, errlen, "not a prefix length of 0 to %d", m->bits);
			return -1;
		}
		m->bits = (int)bits;
	}
	return 0;
}

bool
master_mask_match(const struct master_mask *m, const struct sockaddr *sa)
{
	const uint8_t	*b;
	int		 full = m->bits / 8, rest = m->bits % 8;

	if (sa->sa_family != m->family)
		return false;
	b = sa->sa_family == AF_INET ?
	    (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr :
	    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (memcmp(b, m->addr, (size_t)full) != 0)
		return false;
	return rest == 0 || ((b[full] ^ m->addr[full]) & (0xff00 >> rest)) == 0;
}

static bool
addr_eq(const struct master_addr *ma, const struct sockaddr *sa, socklen_t len,
    bool port)
{
	if (sa->sa_family != ma->ss.ss_family)
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ma->ss;
		const struct sockaddr_in *b = (const struct sockaddr_in *)sa;
		return (!port || a->sin_port == b->sin_port) &&
		    a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ma->ss;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)sa;
		return (!port || a->sin6_port == b->sin6_port) &&
		    memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
	}
	return false;
}

size_t	master_health_count[3];

void
master_set_health(struct master *m, enum master_health h)
{
	master_health_count[m->health]--;
	master_health_count[h]++;
	m->health = (uint8_t)h;
}

/* Registry: open hash of masters by address and port. */
static struct master	**reg;
static size_t		  reg_size, reg_count;
static struct master_list runs[2];	/* [1]: with NOTIFYs waiting */
static struct master_list xruns;
static struct heap	  timers;
static bool		  lists_init;

/* Keyed: customers choose the addresses in domains.master. */
static uint64_t
addr_hash(const struct master_addr *ma)
{
	uint8_t	 b[18];
	size_t	 n;

	if (ma->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ma->ss;
		memcpy(b, &s4->sin_port, 2);
		memcpy(b + 2, &s4->sin_addr, 4);
		n = 6;
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ma->ss;
		memcpy(b, &s6->sin6_port, 2);
		memcpy(b + 2, &s6->sin6_addr, 16);
		n = 18;
	}
	return util_keyed_hash(b, n);
}

static void
reg_grow(void)
{
	size_t		  nsize = reg_size ? reg_size * 2 : 256;
	struct master	**n = xcalloc(nsize, sizeof(*n));

	for (size_t i = 0; i < reg_size; i++) {
		struct master *m = reg[i], *next;
		for (; m != NULL; m = next) {
			next = m->hnext;
			size_t b = addr_hash(&m->addr) & (nsize - 1);
			m->hnext = n[b];
			n[b] = m;
		}
	}
	free(reg);
	reg = n;
	reg_size = nsize;
}

static void
init_lists(void)
{
	if (lists_init)
		return;
	TAILQ_INIT(&runs[0]);
	TAILQ_INIT(&runs[1]);
	TAILQ_INIT(&xruns);
	lists_init = true;
}

struct master *
master_get(const struct master_addr *ma)
{
	struct master	*m;
	size_t		 b;

	init_lists();
	if (reg_count >= reg_size)
		reg_grow();
	b = addr_hash(ma) & (reg_size - 1);
	for (m = reg[b]; m != NULL; m = m->hnext)
		if (master_addr_eq(&m->addr, (const struct sockaddr *)&ma->ss, ma->len)) {
			m->refs++;
			return m;
		}
	m = xcalloc(1, sizeof(*m));
	m->addr = *ma;
	master_fmt(ma, m->name, sizeof(m->name));
	TAILQ_INIT(&m->urgent);
	TAILQ_INIT(&m->ready);
	TAILQ_INIT(&m->xfrwait);
	m->tokens.tokens = 1;
	m->run = -1;
	m->refs = 1;
	m->hnext = reg[b];
	reg[b] = m;
	reg_count++;
	master_health_count[MASTER_UP]++;
	return m;
}

static void
run_del(struct master *m)
{
	if (m->run >= 0)
		TAILQ_REMOVE(&runs[m->run], m, runq);
	m->run = -1;
}

static void
xrun_del(struct master *m)
{
	if (m->in_xrun)
		TAILQ_REMOVE(&xruns, m, xrunq);
	m->in_xrun = false;
}

void
master_put(struct master *m)
{
	struct master	**pp;

	if (--m->refs > 0)
		return;
	/* Zones hold a reference while queued or in flight, so its queues
	 * are empty; only the lists and the timer can still point at it. */
	run_del(m);
	xrun_del(m);
	heap_del(&timers, &m->timer);
	pp = &reg[addr_hash(&m->addr) & (reg_size - 1)];
	while (*pp != m)
		pp = &(*pp)->hnext;
	*pp = m->hnext;
	reg_count--;
	master_health_count[m->health]--;
	free(m);
}

size_t
master_count(void)
{
	return reg_count;
}

void
master_wants_run(struct master *m)
{
	int	 want;

	if (m->health == MASTER_DOWN || m->timer.idx != 0)
		want = -1;		/* paused, or waiting for a token */
	else if (!TAILQ_EMPTY(&m->urgent))
		want = 1;
	else if (!TAILQ_EMPTY(&m->ready))
		want = 0;
	else
		want = -1;
	if (want == m->run)
		return;
	run_del(m);
	if (want >= 0)
		TAILQ_INSERT_TAIL(&runs[want], m, runq);
	m->run = (int8_t)want;
}

struct master *
master_next_run(void)
{
	struct master	*m;

	init_lists();
	if ((m = TAILQ_FIRST(&runs[1])) == NULL)
		m = TAILQ_FIRST(&runs[0]);
	if (m != NULL)
		run_del(m);
	return m;
}

bool
master_can_run(void)
{
	init_lists();
	return !TAILQ_EMPTY(&runs[1]) || !TAILQ_EMPTY(&runs[0]);
}

void
master_wants_xfr(struct master *m)
{
	if (m->in_xrun || TAILQ_EMPTY(&m->xfrwait))
		return;
	TAILQ_INSERT_TAIL(&xruns, m, xrunq);
	m->in_xrun = true;
}

void
master_xfr_first(struct master *m)
{
	if (TAILQ_EMPTY(&m->xfrwait))
		return;
	init_lists();
	xrun_del(m);
	TAILQ_INSERT_HEAD(&xruns, m, xrunq);
	m->in_xrun = true;
}

struct master *
master_next_xfr(void)
{
	struct master	*m;

	init_lists();
	if ((m = TAILQ_FIRST(&xruns)) != NULL)
		xrun_del(m);
	return m;
}

void
master_timer_set(struct master *m, int64_t at)
{
	run_del(m);
	heap_set(&timers, &m->timer, at);
}

void
master_timer_del(struct master *m)
{
	heap_del(&timers, &m->timer);
}

struct master *
master_next_timer(void)
{
	struct heap_node	*n = heap_top(&timers);

	return n == NULL ? NULL : container_of(n, struct master, timer);
}

bool
master_answered(struct master *m, uint32_t zone_id, int64_t now)
{
	bool	 paused = m->down_ms > 0;

	m->last_answer = now;
	m->probe_id = zone_id;
	if (m->health == MASTER_UP)
		return false;
	if (m->health == MASTER_DOWN)
		master_timer_del(m);
	master_set_health(m, MASTER_UP);
	m->down_ms = 0;
	if (paused)
		log_info("master %s answers again after %" PRId64 " s (%u zone checks "
		    "skipped or held meanwhile)", m->name, (now - m->down_since) / 1000,
		    m->skipped);
	master_wants_run(m);
	return true;
}

bool
master_heard_since(const struct master *m, int64_t t)
{
	return m->last_answer != 0 && m->last_answer >= t;
}

void
master_log_pause(struct master *m, const char *why, size_t waiting, int64_t now)
{
	/* A warning when it stops answering, a reminder an hour; each failed
	 * probe in between only at debug. */
	if (m->down_since == now || now - m->down_log >= MASTER_DOWNLOG_MS) {
		m->down_log = now;
		log_warnx("master %s: no answer (%s); no queries to it for %" PRId64 " s, "
		    "%zu zones waiting for it", m->name, why, m->down_ms / 1000, waiting);
	} else
		log_debug("master %s: no answer (%s); no queries to it for %" PRId64 " s, "
		    "%zu zones waiting for it", m->name, why, m->down_ms / 1000, waiting);
}

bool
master_silent(struct master *m, int64_t now, int64_t down_ms, int64_t max_ms)
{
	if (m->health == MASTER_DOWN)
		return false;
	if (m->down_ms > 0)		/* a probe after a pause: twice as long */
		m->down_ms = m->down_ms * 2 > max_ms ? max_ms : m->down_ms * 2;
	else {
		m->down_ms = down_ms > max_ms ? max_ms : down_ms;
		m->down_since = now;
		m->skipped = 0;
	}
	master_set_health(m, MASTER_DOWN);
	master_timer_set(m, now + m->down_ms);
	return true;
}

const char *
master_health_name(enum master_health h)
{
	static const char *const names[] = { "up", "down", "probing" };

	return names[h];
}

void
master_log_error(struct master *m, const char *zone, const char *what, const char *why,
    int64_t now)
{
	log_ratelimited(&m->errlog, now, MASTER_ERRLOG_MS, "zone %s: master %s: %s: %s",
	    zone, m->name, what, why);
	m->err_time = (int64_t)time(NULL);
	snprintf(m->err, sizeof(m->err), "zone %s: %s: %s", zone, what, why);
}

void
master_foreach(void (*fn)(struct master *, void *), void *arg)
{
	for (size_t i = 0; i < reg_size; i++)
		for (struct master *m = reg[i]; m != NULL; m = m->hnext)
			fn(m, arg);
}

struct master *
master_find(const struct master_addr *ma)
{
	struct master	*m;

	if (reg_size == 0)
		return NULL;
	for (m = reg[addr_hash(ma) & (reg_size - 1)]; m != NULL; m = m->hnext)
		if (master_addr_eq(&m->addr, (const struct sockaddr *)&ma->ss, ma->len))
			return m;
	return NULL;
}
