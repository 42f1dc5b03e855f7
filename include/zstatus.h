/*
 * zstatus: the optional table refresher_zone_status (sql/pdns-refresher.sql),
 * kept by the loop and written in batches by the db thread: a zone's row
 * when its state changes or a check of it fails, never for a check that
 * changed nothing.  Read back at start so that failing zones resume their
 * backoff.  Without the table every call does nothing.
 */
#ifndef ZSTATUS_H
#define ZSTATUS_H

#include <stdbool.h>
#include <stdint.h>

struct db_domain;
struct dbreq;
struct zone;

/* What a domain load found: the table is there (1) or not (0). */
void	 zstatus_table(int present);
bool	 zstatus_enabled(void);
/* A check of z ended, or it expired: its row if something changed. */
void	 zstatus_touch(struct zone *);
/* z is no longer a SLAVE domain: its row goes. */
void	 zstatus_removed(uint32_t id);
/* A new zone of the list: take its stored row (failures, backoff, error). */
void	 zstatus_resume(struct zone *, const struct db_domain *, int64_t *due,
	    int64_t now_ms, int64_t now_wall);
/* Send what is waiting (one batch in flight at a time). */
void	 zstatus_flush(void);
/* The db thread's answer. */
void	 zstatus_done(struct dbreq *, bool finishing);
/* ha: this node stepped down; drop what waits, as lastcheck_drop. */
void	 zstatus_drop(void);
bool	 zstatus_busy(void);

#endif
