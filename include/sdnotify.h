/*
 * sdnotify: the systemd notification protocol (sd_notify(3)) without
 * libsystemd: datagrams to $NOTIFY_SOCKET saying READY=1, STATUS=,
 * RELOADING=1, STOPPING=1 and WATCHDOG=1.  Without $NOTIFY_SOCKET every
 * call does nothing.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Read $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID and unset them (no
 * child inherits them).  True when systemd (or a test standing in for it)
 * waits for our notifications: then the daemon stays in the foreground.
 */
bool	 sdnotify_init(void);
/* Send one notification: newline-separated VAR=value lines. */
void	 sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How often to send WATCHDOG=1 (half of WatchdogSec), 0: no watchdog. */
int64_t	 sdnotify_watchdog_ms(void);
/* CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it in MONOTONIC_USEC. */
uint64_t sdnotify_monotonic_usec(void);

#endif
