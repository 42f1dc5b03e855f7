/* autoprimary: new SLAVE zones from supermasters' NOTIFYs (notify.autosecondary). */
#ifndef AUTOPRIMARY_H
#define AUTOPRIMARY_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify.h"

struct conf;
struct dbreq;
struct event_base;

/* Read supermasters and tsigkeys now and every domains-reload, when on. */
void	autoprimary_init(struct event_base *, const struct conf *);
void	autoprimary_set_conf(const struct conf *);
/*
 * A NOTIFY for a zone we do not have (msg: n bytes from from, on listener
 * fd, answered to to: from, or the proxy that passed it on; keyname: its TSIG key, NULL unsigned; allowed: unsigned, inside
 * notify.allow-notify-from).  NOTIFY_DEFERRED: it answers later itself;
 * NOTIFY_DROPPED: no answer; NOTIFY_UNKNOWN: autosecondary is off; else the
 * answer to give now (sig filled for a signed one that verified).
 */
enum notify_verdict autoprimary_notify(int fd, const uint8_t *msg, size_t n,
	    const struct sockaddr *from, socklen_t flen, const struct sockaddr *to,
	    socklen_t tolen, const char *name, const char *keyname, bool allowed,
	    struct notify_sig *sig);
/* A DBREQ_AUTOPRIMARY or DBREQ_AP_LOAD back from the db thread. */
void	autoprimary_done(struct dbreq *);
/* After each domain list load: created zones found are checked at once. */
void	autoprimary_domains_loaded(void);
/* A creation is in the db thread (shutdown waits for it). */
bool	autoprimary_busy(void);
/* Shutting down: no new work; checks under way are dropped unanswered. */
void	autoprimary_shutdown(void);
void	autoprimary_stop(void);
void	autoprimary_counts(size_t *active, size_t *supermasters, uint64_t *dropped);

#endif
