/* rr: ldns records to the rows PowerDNS writes (content, prio, auth, ENTs). */
#ifndef RR_H
#define RR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rr_row {
	char		*name;		/* lowercase owner, no trailing dot */
	const char	*type;		/* mnemonic; NULL for an empty non-terminal */
	char		*content;	/* NULL for an empty non-terminal */
	uint32_t	 ttl;
	int32_t		 prio;
	int8_t		 auth;
	char		*ordername;	/* NULL unless DNSSEC */
};

struct rr_arena;

/* The rows of one zone; strings live in an arena freed with the set. */
struct rr_set {
	struct rr_row	*rows;
	size_t		 n, cap;
	size_t		 bytes;		/* string bytes held, for limits */
	struct rr_arena	*arena;
	void		*names;		/* owner name set, for ENTs */
	size_t		 names_n, names_cap;
};

void	rr_set_init(struct rr_set *);
void	rr_set_free(struct rr_set *);
/*
 * Convert one record and append it.  Returns 0, or -1 with a reason in err
 * (the record is then not added).
 */
int	rr_set_add(struct rr_set *, const ldns_rr *, char *err, size_t errlen);
/* Append an empty non-terminal row for every name between an owner and apex. */
void	rr_set_add_ents(struct rr_set *, const char *apex);

/* A name as PowerDNS prints it: \. \\ \DDD escapes, no trailing dot ("." for root). */
int	rr_dname_str(const uint8_t *wire, size_t len, bool lower, char *buf, size_t buflen);
/* Row content and prio for one record into buf; -1 if it does not fit. */
int	rr_content(const ldns_rr *, char *buf, size_t buflen, int32_t *prio);
/* The type mnemonic PowerDNS stores ("TYPE65280" for one it does not know). */
const char *rr_type_name(uint16_t type, char *buf, size_t buflen);

#endif
