/*
 * sdnotify: systemd's readiness and watchdog protocol, a datagram per
 * message to the AF_UNIX socket named in $NOTIFY_SOCKET ("@name" for the
 * abstract namespace), as sd_notify(3) describes it.  A few dozen lines do
 * not justify a dependency on libsystemd.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"

static struct {
	int			 fd;
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int64_t			 watchdog_ms;
	bool			 warned;
} N = { .fd = -1 };

bool
sdnotify_init(void)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	const char	*usec = getenv("WATCHDOG_USEC");
	const char	*pid = getenv("WATCHDOG_PID");
	size_t		 n;
	char		*end;
	unsigned long long v;

	if (usec != NULL && (pid == NULL || strtol(pid, NULL, 10) == (long)getpid())) {
		errno = 0;
		v = strtoull(usec, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			N.watchdog_ms = (int64_t)(v / 2000);	/* half, in ms */
		if (N.watchdog_ms < 1 && v > 0)
			N.watchdog_ms = 1;
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(N.sun.sun_path)) {
		unsetenv("NOTIFY_SOCKET");
		N.watchdog_ms = 0;
		return false;
	}
	memset(&N.sun, 0, sizeof(N.sun));
	N.sun.sun_family = AF_UNIX;
	memcpy(N.sun.sun_path, path, n);
	if (path[0] == '@')
		N.sun.sun_path[0] = '\0';
	N.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	unsetenv("NOTIFY_SOCKET");
	N.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	return true;		/* a socket that failed says so at the first send */
}

void
sdnotify(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 n;

	if (N.len == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (N.fd != -1 && sendto(N.fd, buf, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&N.sun, N.len) == n) {
		N.warned = false;
		return;
	}
	if (!N.warned)		/* once until a send works again */
		log_warn("systemd notification to $NOTIFY_SOCKET failed");
	N.warned = true;
}

int64_t
sdnotify_watchdog_ms(void)
{
	return N.watchdog_ms;
}

uint64_t
sdnotify_monotonic_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
