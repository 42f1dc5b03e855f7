/*
 * log: OpenBSD-style logging.  Lines go to syslog, and to stderr when the
 * daemon runs in the foreground.  errno is preserved across every call.
 * Safe to call from any thread (syslog and stdio lock internally).
 *
 * In the foreground, while nothing takes datagrams on the syslog socket (a
 * container, a machine without a syslog daemon), syslog(3) is not called:
 * glibc would try to connect again for every line, three failed system
 * calls a line (a first load logs a line a zone).  The lines still go to
 * stderr; the socket is tried again every SYSLOG_RETRY_S seconds.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define SYSLOG_RETRY_S	60

static bool		 log_stderr = true;
static atomic_int	 log_lvl = LOG_LVL_INFO;	/* set on SIGHUP, read by every thread */
static atomic_bool	 syslog_gone;		/* foreground, and no syslog socket */
static atomic_llong	 syslog_tried;		/* when we looked (CLOCK_MONOTONIC_COARSE s) */

/* Whether a datagram or stream socket connects to _PATH_LOG, as glibc tries. */
static bool
syslog_listens(void)
{
	static const int	 types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	bool			 ok = false;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", _PATH_LOG);
	for (size_t i = 0; i < 2 && !ok; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);

		if (fd == -1)
			continue;
		ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(fd);
	}
	return ok;
}

static int64_t
coarse_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static void
syslog_look(void)
{
	atomic_store(&syslog_tried, coarse_s());
	atomic_store(&syslog_gone, log_stderr && !syslog_listens());
}

static const struct { const char *name; int value; } facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};
static const char *const levels[] = { "err", "warning", "info", "debug" };

void
log_init(const char *ident, int facility, enum log_level lvl, bool to_stderr)
{
	log_stderr = to_stderr;
	atomic_store_explicit(&log_lvl, lvl, memory_order_relaxed);
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
	tzset();
	syslog_look();
}

void
log_setup(int facility, enum log_level lvl)
{
	closelog();
	openlog(NULL, LOG_PID | LOG_NDELAY, facility);
	atomic_store_explicit(&log_lvl, lvl, memory_order_relaxed);
	syslog_look();
}

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(s, levels[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "error") == 0)
		return LOG_LVL_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

int
log_facility_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(s, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

/*
 * Control bytes become \xNN: a message carries text from the database and
 * from masters (domains.master, names, server errors), and a newline in it
 * must not start a line of its own in the log.
 */
void
log_vis(char *dst, size_t dstlen, const char *src)
{
	size_t	 o = 0;

	for (; *src != '\0' && o + 5 < dstlen; src++) {
		unsigned char c = (unsigned char)*src;
		if (c < 0x20 || c > 0x7e)
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
		else if (c == '\\') {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

static void
vlog(enum log_level lvl, const char *errstr, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char	 raw[2048], msg[2048];
	int	 saved = errno;

	if ((int)lvl > atomic_load_explicit(&log_lvl, memory_order_relaxed))
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	if (errstr != NULL) {
		size_t	 n = strlen(raw);
		snprintf(raw + n, sizeof(raw) - n, ": %s", errstr);
	}
	log_vis(msg, sizeof(msg), raw);
	if (atomic_load(&syslog_gone) &&
	    coarse_s() - atomic_load(&syslog_tried) >= SYSLOG_RETRY_S)
		syslog_look();
	if (!atomic_load(&syslog_gone))
		syslog(prio[lvl], "%s", msg);
	if (log_stderr) {
		struct timespec	 ts;
		struct tm	 tm;
		char		 stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp, ts.tv_nsec / 1000000,
		    levels[lvl], msg);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	*e = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, e, fmt, ap);
	va_end(ap);
}

#define LOG_FN(fn, lvl)					\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list	 ap;					\
							\
	va_start(ap, fmt);				\
	vlog(lvl, NULL, fmt, ap);			\
	va_end(ap);					\
}
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_err, LOG_LVL_ERR)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*e = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_ratelimited(struct log_rl *rl, int64_t now, int64_t window_ms, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (rl->last != 0 && now - rl->last < window_ms) {
		rl->held++;
		log_debug("%s", buf);
		return;
	}
	if (rl->held > 0)
		log_warnx("%s (%" PRIu64 " more like it since the last warning)", buf, rl->held);
	else
		log_warnx("%s", buf);
	rl->last = now == 0 ? 1 : now;
	rl->held = 0;
}
