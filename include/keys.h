/*
 * keys: per domain, the TSIG key (AXFR-MASTER-TSIG) and the source address
 * (AXFR-SOURCE) its SOA queries and transfers use, hashed by domain id.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "master.h"
#include "tsig.h"

struct keys_entry {
	uint32_t		 id;		/* domains.id */
	bool			 bad;		/* unusable: checks fail with err */
	bool			 has_key, has_src;
	bool			 seen;		/* by the update under way */
	char			 err[160];
	struct tsig_key		 key;
	struct master_addr	 src;		/* AXFR-SOURCE, port 0 */
	struct keys_entry	*next;
};

/*
 * Take the rows db_load_tsig read: full replaces the table, otherwise the
 * rows are added or replace their domain's entry (a load of new domains).
 * O(n) in the rows (and the table, when full).  A key or source that
 * cannot be used is logged for zones in the table when it becomes so or
 * its reason changes (domains logs it for a zone added later).
 */
void			 keys_update(const struct db_tsig *, size_t n, bool full);
/* Warn that z's checks fail, if its key or source cannot be used. */
struct zone;
void			 keys_warn(const struct zone *);
/* The entry of a domain, NULL if it has neither key nor source. */
const struct keys_entry	*keys_find(uint32_t id);
size_t			 keys_count(void);
void			 keys_clear(void);

#endif
