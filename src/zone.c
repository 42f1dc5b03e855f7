/*
 * zone: the zone table (hashed by id and by name), the heap of due times,
 * RFC 1982 serial arithmetic and refresh/retry timer computation.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "zone.h"

int
zone_serial_cmp(uint32_t a, uint32_t b)
{
	uint32_t	 d = b - a;

	if (a == b)
		return 0;
	if (d == 0x80000000u)
		return 2;		/* RFC 1982 3.2: undefined */
	return d < 0x80000000u ? -1 : 1;
}

int
zone_parse_soa(const char *content, uint32_t *serial, uint32_t *refresh,
    uint32_t *retry, uint32_t *expire)
{
	uint64_t	 v[5];
	const char	*p = content;
	int		 field = 0;

	if (content == NULL || strlen(content) > 2048)
		return -1;
	/* Seven fields separated by single spaces; the last five are numbers. */
	for (; field < 7; field++) {
		const char *start = p;
		size_t len = strcspn(p, " ");

		if (len == 0)
			return -1;
		if (field >= 2) {
			uint64_t n = 0;
			for (const char *c = start; c < start + len; c++) {
				if (*c < '0' || *c > '9' || n > UINT32_MAX)
					return -1;
				n = n * 10 + (uint64_t)(*c - '0');
			}
			if (n > UINT32_MAX)
				return -1;
			v[field - 2] = n;
		}
		p += len;
		if (field < 6) {
			if (*p != ' ')
				return -1;
			p++;
		}
	}
	if (*p != '\0')
		return -1;
	*serial = (uint32_t)v[0];
	*refresh = (uint32_t)v[1];
	*retry = (uint32_t)v[2];
	*expire = (uint32_t)v[3];
	return 0;
}

int64_t
zone_jitter_ms(uint32_t seconds, int lo, int hi)
{
	int64_t	 s = seconds;

	if (s < lo)
		s = lo;
	if (s > hi)
		s = hi;
	s *= 1000;
	return s - (int64_t)arc4random_uniform((uint32_t)(s / 10 + 1));
}

int64_t
zone_backoff_ms(uint32_t retry, unsigned fails, int lo, int hi, int cap)
{
	uint64_t	 s = retry;

	if (s < (uint64_t)lo)
		s = (uint64_t)lo;
	if (s > (uint64_t)hi)
		s = (uint64_t)hi;
	for (unsigned i = 1; i < fails && s < (uint64_t)cap; i++)
		s *= 2;
	if (s > (uint64_t)cap)
		s = (uint64_t)cap;
	return zone_jitter_ms((uint32_t)s, 1, INT32_MAX);
}

void
zone_name_canon(char *s)
{
	size_t	 n = strlen(s);

	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (n > 1 && s[n - 1] == '.' && (n < 2 || s[n - 2] != '\\'))
		s[n - 1] = '\0';
}

/* The table. */
static struct zone	**by_id, **by_name;
static size_t		  tsize, tcount;

static uint32_t
id_hash(uint32_t id)
{
	return id * 2654435761u;
}

static void
table_grow(void)
{
	size_t		  nsize = tsize ? tsize * 2 : 1024;
	struct zone	**ni = xcalloc(nsize, sizeof(*ni));
	struct zone	**nn = xcalloc(nsize, sizeof(*nn));

	for (size_t i = 0; i < tsize; i++) {
		struct zone *z, *next;
		for (z = by_id[i]; z != NULL; z = next) {
			next = z->id_next;
			size_t b = id_hash(z->id) & (nsize - 1);
			z->id_next = ni[b];
			ni[b] = z;
		}
		for (z = by_name[i]; z != NULL; z = next) {
			next = z->name_next;
			size_t b = util_strhash(z->name) & (nsize - 1);
			z->name_next = nn[b];
			nn[b] = z;
		}
	}
	free(by_id);
	free(by_name);
	by_id = ni;
	by_name = nn;
	tsize = nsize;
}

struct zone *
zone_new(uint32_t id, const char *name)
{
	size_t		 len = strlen(name);
	struct zone	*z = xcalloc(1, sizeof(*z) + len + 1);

	z->id = id;
	memcpy(z->name, name, len + 1);
	zone_name_canon(z->name);
	z->state = ZONE_WAITING;
	z->last_ok = ZONE_NEVER;
	return z;
}

void
zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	zone_masters_room(z, 0);
	free(z);
}

struct master **
zone_masters_room(struct zone *z, int n)
{
	for (int i = 0; i < z->nmasters; i++)
		master_put(z->masters[i]);
	if (z->masters != &z->master1)
		free(z->masters);
	z->nmasters = 0;
	z->masters = n == 0 ? NULL : n == 1 ? &z->master1 :
	    xcalloc((size_t)n, sizeof(*z->masters));
	return z->masters;
}

void
zone_table_add(struct zone *z)
{
	size_t	 b;

	if (tcount >= tsize)
		table_grow();
	b = id_hash(z->id) & (tsize - 1);
	z->id_next = by_id[b];
	by_id[b] = z;
	b = util_strhash(z->name) & (tsize - 1);
	z->name_next = by_name[b];
	by_name[b] = z;
	tcount++;
}

void
zone_table_remove(struct zone *z)
{
	struct zone	**pp;

	for (pp = &by_id[id_hash(z->id) & (tsize - 1)]; *pp != z; pp = &(*pp)->id_next)
		;
	*pp = z->id_next;
	for (pp = &by_name[util_strhash(z->name) & (tsize - 1)]; *pp != z; pp = &(*pp)->name_next)
		;
	*pp = z->name_next;
	tcount--;
}

struct zone *
zone_by_id(uint32_t id)
{
	struct zone	*z;

	if (tsize == 0)
		return NULL;
	for (z = by_id[id_hash(id) & (tsize - 1)]; z != NULL; z = z->id_next)
		if (z->id == id)
			return z;
	return NULL;
}

struct zone *
zone_by_name(const char *name)
{
	struct zone	*z;

	if (tsize == 0)
		return NULL;
	for (z = by_name[util_strhash(name) & (tsize - 1)]; z != NULL; z = z->name_next)
		if (strcmp(z->name, name) == 0)
			return z;
	return NULL;
}

size_t
zone_count(void)
{
	return tcount;
}

void
zone_foreach(void (*fn)(struct zone *, void *), void *arg)
{
	for (size_t i = 0; i < tsize; i++) {
		struct zone *z, *next;
		for (z = by_id[i]; z != NULL; z = next) {
			next = z->id_next;
			fn(z, arg);
		}
	}
}

/* The heap: 1-based array; heap_idx 0 means "not in the heap". */
static struct zone	**heap;
static size_t		  hcount, hcap;

static void
heap_set(size_t i, struct zone *z)
{
	heap[i] = z;
	z->heap_idx = (uint32_t)i;
}

static void
heap_up(size_t i)
{
	struct zone	*z = heap[i];

	while (i > 1 && heap[i / 2]->due > z->due) {
		heap_set(i, heap[i / 2]);
		i /= 2;
	}
	heap_set(i, z);
}

static void
heap_down(size_t i)
{
	struct zone	*z = heap[i];

	for (;;) {
		size_t c = i * 2;
		if (c > hcount)
			break;
		if (c + 1 <= hcount && heap[c + 1]->due < heap[c]->due)
			c++;
		if (heap[c]->due >= z->due)
			break;
		heap_set(i, heap[c]);
		i = c;
	}
	heap_set(i, z);
}

void
zone_heap_push(struct zone *z)
{
	if (hcount + 1 >= hcap) {
		hcap = hcap ? hcap * 2 : 1024;
		heap = xreallocarray(heap, hcap, sizeof(*heap));
	}
	heap_set(++hcount, z);
	heap_up(hcount);
}

void
zone_heap_remove(struct zone *z)
{
	size_t		 i = z->heap_idx;
	struct zone	*last;

	if (i == 0)
		return;
	z->heap_idx = 0;
	last = heap[hcount--];
	if (i > hcount)
		return;
	heap_set(i, last);
	heap_up(i);
	heap_down(last->heap_idx);
}

struct zone *
zone_heap_top(void)
{
	return hcount > 0 ? heap[1] : NULL;
}

size_t
zone_heap_size(void)
{
	return hcount;
}
