/*
 * domains: the SLAVE domain list, kept in step with the database through
 * the db thread: new domains, removed ones, changed masters.
 */
#ifndef DOMAINS_H
#define DOMAINS_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct db_domain;
struct dbreq;
struct event_base;

/* once: a single pass; only_zone: that domain only, due or not. */
void	domains_init(struct event_base *, const struct conf *, bool once,
	    const char *only_zone);
void	domains_set_conf(const struct conf *);
/* Ask the db thread for the list (a whole-list comparison when rescan). */
void	domains_request(bool rescan);
/* ha takeover: the whole list again, each zone's SOA and last_check applied. */
void	domains_resync(void);
/* Look for new domains now, or right after the load under way (autoprimary). */
void	domains_request_new(void);
/* The db thread's answer to a load. */
void	domains_loaded(struct dbreq *);
/* A load is in flight. */
bool	domains_busy(void);
/* The list has been loaded once (or, with --once, failed for good). */
bool	domains_ready(void);
/*
 * Merge rows into the zone table: add new zones, give changed master lists
 * to their zones, and (unless partial) drop zones that are gone once the
 * rows' end has come (a list comes in parts, the last with end set).  The
 * scheduler is told of each.  Public for the unit tests.
 */
void	domains_merge(const struct db_domain *, size_t n, bool partial, bool end);
void	domains_stop(void);

#endif
