/* util: allocation that never returns NULL, time and string helpers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc %zu", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		fatal("calloc %zu*%zu", nmemb, size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*p;

	if ((p = reallocarray(ptr, nmemb == 0 ? 1 : nmemb, size)) == NULL)
		fatal("reallocarray %zu*%zu", nmemb, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

int64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec
util_deadline(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

void
util_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t	 ca;

	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(c, &ca) != 0)
		fatalx("cannot set up a condition variable on the monotonic clock");
	pthread_condattr_destroy(&ca);
}

uint64_t
util_strhash(const char *s)
{
	return s == NULL ? util_keyed_hash("", 0) : util_keyed_hash(s, strlen(s));
}

size_t
util_strlcpy(char *dst, const char *src, size_t dst_size)
{
	size_t	 n = strlen(src);

	if (dst_size > 0) {
		size_t	 c = n < dst_size - 1 ? n : dst_size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/* SipHash-2-4 (Aumasson, Bernstein), the reference algorithm. */
#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static uint64_t
le64(const uint8_t *p)
{
	uint64_t	 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t		 hash_key[2];
static pthread_once_t	 hash_once = PTHREAD_ONCE_INIT;

static void
hash_key_init(void)
{
	arc4random_buf(hash_key, sizeof(hash_key));
}

uint32_t
util_random_uniform(uint32_t n)
{
	static __thread uint32_t buf[64];
	static __thread size_t	 left;
	uint32_t		 r, min = -n % n;	/* 2^32 mod n: the biased tail */

	do {
		if (left == 0) {
			arc4random_buf(buf, sizeof(buf));
			left = NITEMS(buf);
		}
		r = buf[--left];
	} while (r < min);
	return r % n;
}

uint64_t
util_keyed_hash(const void *data, size_t len)
{
	const uint64_t	*k = hash_key;
	const uint8_t	*p = data, *end = p + (len & ~(size_t)7);
	uint64_t	 v0, v1, v2, v3, m, b = (uint64_t)len << 56;

	pthread_once(&hash_once, hash_key_init);	/* any thread may be first */
	v0 = k[0] ^ 0x736f6d6570736575ULL;
	v1 = k[1] ^ 0x646f72616e646f6dULL;
	v2 = k[0] ^ 0x6c7967656e657261ULL;
	v3 = k[1] ^ 0x7465646279746573ULL;
	for (; p != end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The heap. */
static void
heap_put(struct heap *h, size_t i, struct heap_node *n)
{
	h->a[i] = n;
	n->idx = (uint32_t)i;
}

static void
heap_up(struct heap *h, size_t i)
{
	struct heap_node	*n = h->a[i];

	while (i > 1 && h->a[i / 2]->at > n->at) {
		heap_put(h, i, h->a[i / 2]);
		i /= 2;
	}
	heap_put(h, i, n);
}

static void
heap_down(struct heap *h, size_t i)
{
	struct heap_node	*n = h->a[i];

	for (;;) {
		size_t c = i * 2;
		if (c > h->n)
			break;
		if (c + 1 <= h->n && h->a[c + 1]->at < h->a[c]->at)
			c++;
		if (h->a[c]->at >= n->at)
			break;
		heap_put(h, i, h->a[c]);
		i = c;
	}
	heap_put(h, i, n);
}

void
heap_set(struct heap *h, struct heap_node *n, int64_t at)
{
	if (n->idx != 0) {
		n->at = at;
		heap_up(h, n->idx);
		heap_down(h, n->idx);
		return;
	}
	if (h->n + 1 >= h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->a = xreallocarray(h->a, h->cap, sizeof(*h->a));
	}
	n->at = at;
	heap_put(h, ++h->n, n);
	heap_up(h, h->n);
}

void
heap_del(struct heap *h, struct heap_node *n)
{
	size_t			 i = n->idx;
	struct heap_node	*last;

	if (i == 0)
		return;
	n->idx = 0;
	last = h->a[h->n--];
	if (i > h->n)
		return;
	heap_put(h, i, last);
	heap_up(h, i);
	heap_down(h, last->idx);
}

struct heap_node *
heap_top(const struct heap *h)
{
	return h->n > 0 ? h->a[1] : NULL;
}

void
heap_free(struct heap *h)
{
	free(h->a);
	memset(h, 0, sizeof(*h));
}

/* The token bucket. */
static void
bucket_refill(struct bucket *b, int rate, int burst, int64_t now)
{
	if (now > b->at)
		b->tokens += (double)(now - b->at) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at = now;
}

void
bucket_init(struct bucket *b, double tokens, int64_t now)
{
	b->tokens = tokens;
	b->at = now;
}

bool
bucket_take(struct bucket *b, int rate, int burst, int64_t now)
{
	bucket_refill(b, rate, burst, now);
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

int64_t
bucket_next(struct bucket *b, int rate, int burst, int64_t now)
{
	bucket_refill(b, rate, burst, now);
	if (b->tokens >= 1)
		return now;
	return now + (int64_t)((1.0 - b->tokens) * 1000.0 / rate) + 1;
}
