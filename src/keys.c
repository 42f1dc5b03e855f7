/*
 * keys: the TSIG and AXFR-SOURCE table.  A chained hash by domain id that
 * grows by doubling, so 16,000 keyed zones load in one pass (a sorted array
 * re-sorted after each entry took the loop seconds).  A key that cannot be
 * used (not in tsigkeys, an algorithm we do not have, a secret that is not
 * base64) makes the zone's checks fail with that reason: unsigned, the
 * master would refuse anyway.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "util.h"
#include "zone.h"

static struct keys_entry	**tab;
static size_t			  tsize, tcount;

static size_t
bucket(uint32_t id)
{
	return (size_t)(id * 2654435761u) & (tsize - 1);
}

static void
grow(void)
{
	size_t			  nsize = tsize ? tsize * 2 : 64;
	struct keys_entry	**n = xcalloc(nsize, sizeof(*n));
	struct keys_entry	 *e, *next;

	for (size_t i = 0; i < tsize; i++)
		for (e = tab[i]; e != NULL; e = next) {
			next = e->next;
			size_t b = (size_t)(e->id * 2654435761u) & (nsize - 1);
			e->next = n[b];
			n[b] = e;
		}
	free(tab);
	tab = n;
	tsize = nsize;
}

void
keys_clear(void)
{
	struct keys_entry	*e, *next;

	for (size_t i = 0; i < tsize; i++)
		for (e = tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(tab);
	tab = NULL;
	tsize = tcount = 0;
}

const struct keys_entry *
keys_find(uint32_t id)
{
	if (tsize == 0)
		return NULL;
	for (struct keys_entry *e = tab[bucket(id)]; e != NULL; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

size_t
keys_count(void)
{
	return tcount;
}

/* AXFR-SOURCE: an address only (pdns takes no port), any source port. */
static void
set_source(struct keys_entry *e, const char *source)
{
	char	 pe[160];

	if (strchr(source, '[') != NULL ||
	    master_parse(source, &e->src, 1, pe, sizeof(pe)) != 1 ||
	    (strchr(source, '.') != NULL && strchr(source, ':') != NULL)) {
		e->bad = true;
		snprintf(e->err, sizeof(e->err), "AXFR-SOURCE '%.60s' is not an address", source);
		return;
	}
	if (e->src.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&e->src.ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&e->src.ss)->sin6_port = 0;
	e->has_src = true;
}

static void
fill(struct keys_entry *e, const struct db_tsig *t)
{
	struct keys_entry	*next = e->next;

	memset(e, 0, sizeof(*e));
	e->next = next;
	e->id = t->domain_id;
	if (t->keyname == NULL)
		;
	else if (t->algorithm == NULL) {
		e->bad = true;
		snprintf(e->err, sizeof(e->err), "TSIG key '%.60s' (AXFR-MASTER-TSIG) is "
		    "not in tsigkeys", t->keyname);
	} else if (tsig_key_init(&e->key, t->keyname, t->algorithm, t->secret,
	    e->err, sizeof(e->err)) == -1)
		e->bad = true;
	else
		e->has_key = true;
	if (t->source != NULL && !e->bad)
		set_source(e, t->source);
}

void
keys_warn(const struct zone *z)
{
	const struct keys_entry	*e = keys_find(z->id);

	if (e != NULL && e->bad)
		log_warnx("zone %s: %s; its checks fail until that is fixed", z->name,
		    e->err);
}

void
keys_update(const struct db_tsig *t, size_t n, bool full)
{
	struct keys_entry	*e, **pp;

	if (full)		/* what no row marks again goes */
		for (size_t i = 0; i < tsize; i++)
			for (e = tab[i]; e != NULL; e = e->next)
				e->seen = false;
	for (size_t i = 0; i < n; i++) {
		struct zone	*z;
		bool		 was_bad;
		char		 was[sizeof(e->err)];

		e = (struct keys_entry *)(uintptr_t)keys_find(t[i].domain_id);
		if (e == NULL) {
			if (tcount >= tsize)
				grow();
			e = xcalloc(1, sizeof(*e));
			e->next = tab[bucket(t[i].domain_id)];
			tab[bucket(t[i].domain_id)] = e;
			tcount++;
		}
		was_bad = e->bad;
		memcpy(was, e->err, sizeof(was));
		fill(e, &t[i]);
		e->seen = true;
		/* once when it starts or changes, not at every reload */
		if (e->bad && (!was_bad || strcmp(was, e->err) != 0) &&
		    (z = zone_by_id(e->id)) != NULL)
			keys_warn(z);
	}
	if (!full)
		return;
	for (size_t i = 0; i < tsize; i++)
		for (pp = &tab[i]; (e = *pp) != NULL;) {
			if (e->seen) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			tcount--;
		}
}
