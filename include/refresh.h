/* refresh: the refresh logic of the event loop: due zones, limits, results. */
#ifndef REFRESH_H
#define REFRESH_H

#include "notify.h"

#include <event2/event.h>
#include <stdbool.h>

struct conf;

/*
 * Set up on base.  once: refresh what is due, then stop the loop.  zone: only
 * that domain, due or not (implies once).  The conf must outlive its use;
 * refresh_set_conf swaps it after a reload.  sock_cap: SOA queries the
 * descriptor limit leaves room for (at least 1).
 */
void	refresh_init(struct event_base *, const struct conf *, bool once,
	    const char *zone, int sock_cap);
/* Load the domain list and start working. */
void	refresh_start(void);
void	refresh_set_conf(const struct conf *);
/* Compare the whole domain list with the database now (SIGHUP). */
void	refresh_rescan(void);
/* Stop new work, let transactions finish, flush last_check, end the loop. */
void	refresh_shutdown(const char *why);
/* --once: 0 if every zone ended fresh, 1 otherwise. */
int	refresh_exit_code(void);
/* A NOTIFY for zone (notify.h's notify_cb): check it now when it is ours. */
enum notify_verdict refresh_notify(const char *zone, const struct sockaddr *from,
	    socklen_t fromlen, bool trusted, bool has_serial, uint32_t serial,
	    const uint8_t *msg, size_t len, bool is_signed, struct notify_sig *sig);
/* One log line with the counters. */
void	refresh_log_stats(const char *prefix);

#endif
