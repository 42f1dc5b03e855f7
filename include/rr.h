/* rr: ldns records to the rows PowerDNS writes (content, prio, auth, ENTs). */
#ifndef RR_H
#define RR_H

#include <ldns/ldns.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rr_row {
	const char	*name;		/* lowercase owner, no trailing dot */
	const char	*type;		/* mnemonic; NULL for an empty non-terminal */
	char		*content;	/* NULL for an empty non-terminal */
	uint32_t	 ttl;
	int32_t		 prio;
	int8_t		 auth;
	uint32_t	 ref;		/* IXFR: 1 + the stored row it is (db_snap), 0 */
	const char	*ordername;	/* NULL unless DNSSEC */
};

struct rr_arena;

#define RR_MAX_ENTS	100000		/* pdns's max-ent-entries default */

/*
 * The names of one zone, each once (pointers into the arena), with what the
 * conversion learnt about it: entries in the order added, found through a
 * table of 8-byte slots (the entry's index and half its hash).  Keyed
 * hashing: a master cannot aim names at one bucket.
 */
struct rr_name {
	const char	*key;
	const char	*order;		/* ordername worked out for it, or NULL */
	uint32_t	 flags;		/* RR_N_* in rr.c */
	uint32_t	 hash;		/* the low half of its keyed hash */
};
struct rr_names {
	struct rr_name	*ent;
	size_t		 n, ecap;
	uint64_t	*slot;		/* 0, or hash's high half << 32 | index + 1 */
	size_t		 cap;
};

/*
 * What one conversion may use: memory (arena, rows, name tables and the
 * copy the write's comparison makes), time (an absolute util_now_ms()
 * deadline) and a stop flag, looked at while converting.  Zero: no limit
 * (rr_set_init sets no limit at all).
 */
struct rr_budget {
	size_t			 max_mem;
	int64_t			 deadline;
	const atomic_bool	*stop;
	int			 max_iterations;	/* NSEC3; -1: no limit */
};

enum rr_over { RR_OVER_NONE, RR_OVER_MEMORY, RR_OVER_TIME, RR_OVER_STOP };

struct rr_nsec3 {
	uint8_t		 alg, flags, saltlen;
	uint16_t	 iterations;
	uint8_t		 salt[255];
};

/* What the transfer says about DNSSEC (pdns's ZoneStatus). */
struct rr_zs {
	bool		 dnssec_zone, presigned, is_nsec3, optout, seen_nsec3;
	struct rr_nsec3	 nsec3;
};

/* What the domain had before (domainmetadata and cryptokeys; dnssec mode). */
struct rr_had {
	bool		 presigned, nsec3, narrow;
	int		 keys, active_keys;
	struct rr_nsec3	 param;
};

/* Metadata to change with the rows: 1 set, -1 remove, 0 leave. */
struct rr_meta {
	int		 presigned;
	int		 nsec3param;
	bool		 narrow;
	char		 nsec3param_text[600];
};

/* The rows of one zone; strings live in an arena freed with the set. */
struct rr_set {
	char		 apex[1100];	/* lowercase presentation */
	struct rr_row	*rows;
	size_t		 n, cap;
	size_t		 ents_dropped;	/* more ENTs than RR_MAX_ENTS: none written */
	struct rr_arena	*arena;
	struct rr_zs	 zs;
	struct rr_names	 names;		/* owners and their ancestors */
	struct rr_names	 secured;	/* NSEC3 owners with NS (hash labels) */
	struct rr_budget budget;
	enum rr_over	 over;		/* which limit stopped the conversion */
	size_t		 mem;		/* bytes charged against budget.max_mem */
	unsigned long	 probes;	/* name table probes, for tests */
	unsigned long	 hashes;	/* NSEC3 hashes computed, for tests */
	unsigned	 ticks;
};

void	rr_set_init(struct rr_set *, const char *apex);
/* Set the budget of a conversion (before the first rr_set_add). */
void	rr_set_budget(struct rr_set *, const struct rr_budget *);
/*
 * Room for about n rows and their names, after the budget is set: a hint
 * (the rows the zone had), taken only well within the budget.
 */
void	rr_set_reserve(struct rr_set *, size_t n);
void	rr_set_free(struct rr_set *);
/*
 * Convert one record and append it (NSEC, NSEC3, NSEC3PARAM only set the
 * zone's DNSSEC status, as in pdns).  Returns 0, or -1 with a reason in err.
 */
int	rr_set_add(struct rr_set *, const ldns_rr *, char *err, size_t errlen);
/*
 * After the last record: drop what pdns drops, set auth and ordername, add
 * the empty non-terminals, and say which metadata changes (dnssec mode).
 * had may be NULL (nothing stored before).  Returns 0, or -1 with err.
 */
int	rr_set_finish(struct rr_set *, const struct rr_had *had, bool dnssec_mode,
	    struct rr_meta *meta, char *err, size_t errlen);
/*
 * IXFR.  A stored row (not an empty non-terminal) into a set, as
 * rr_set_add would have put it: 0, or -1 over budget.
 */
int	rr_set_add_row(struct rr_set *, const char *name, const char *type,
	    const char *content, uint32_t ttl, int32_t prio);
/* Charge n bytes kept beside the set (a snapshot of stored rows); false over. */
bool	rr_set_charge(struct rr_set *, size_t n);
/*
 * The stored rows in s (rr_set_add_row) changed in place by delta's rows in
 * order, an addition where auth is 1, a deletion where it is 0 (s is then
 * as rr_set_add left it: not finished; rows kept keep their ref).  Strict:
 * a deletion of a record s does not have, or an addition of one it has,
 * returns 1 with the reason in err (the zone is then transferred whole; s
 * is left half changed).  0, or -1 over s's budget.
 */
int	rr_set_apply(struct rr_set *s, const struct rr_set *delta, char *err, size_t errlen);
/* NSEC3PARAM as pdns stores it in domainmetadata ("1 0 12 aabbccdd"). */
void	rr_nsec3_text(const struct rr_nsec3 *, char *buf, size_t len);

/* A name as PowerDNS prints it: \. \\ \DDD escapes, no trailing dot ("." for root). */
int	rr_dname_str(const uint8_t *wire, size_t len, bool lower, char *buf, size_t buflen);
/* Row content and prio for one record into buf; -1 if it does not fit. */
int	rr_content(const ldns_rr *, char *buf, size_t buflen, int32_t *prio);
/* The type mnemonic PowerDNS stores ("TYPE65280" for one it does not know). */
const char *rr_type_name(uint16_t type, char *buf, size_t buflen);

#endif
