/* util: allocation that never returns NULL, clock, hashes, heap, token bucket. */
#ifndef UTIL_H
#define UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Allocate or abort through fatal(): callers never see NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);

/* Monotonic clock in milliseconds; for deadlines and rates, never for the DB. */
int64_t	 util_now_ms(void);
/* The CLOCK_MONOTONIC time ms from now: a deadline for the timed waits. */
struct timespec util_deadline(int64_t ms);
/* Initialise a condition variable whose timed waits count on CLOCK_MONOTONIC,
 * so that a wall clock step neither stretches nor cuts them. */
void	 util_cond_init(pthread_cond_t *);

/*
 * SipHash-2-4 of len bytes under a key drawn at the first call (from any
 * thread): for every table whose keys come from masters, the network or
 * customers' domain names, so nobody can aim many keys at one bucket.
 */
uint64_t util_keyed_hash(const void *, size_t len);
/* The same of a NUL-terminated string (NULL hashes like ""). */
uint64_t util_strhash(const char *);

/*
 * Uniform in [0, n) (n > 0) from arc4random output drawn 256 bytes at a
 * time per thread: glibc's arc4random is a getrandom(2) call each, and the
 * event loop wants one for every query ID and every timer's jitter.
 */
uint32_t util_random_uniform(uint32_t n);

/* Copy src to dst (size dst_size), always NUL-terminated; returns strlen(src). */
size_t	 util_strlcpy(char *dst, const char *src, size_t dst_size);

/*
 * A binary min-heap of nodes embedded in their owners (container_of):
 * at is the key, idx the position (0: in no heap).  O(log n) set and del.
 */
struct heap_node {
	int64_t		 at;
	uint32_t	 idx;
};
struct heap {
	struct heap_node	**a;	/* 1-based */
	size_t			  n, cap;
};
/* Insert node with key at, or move it there if it is in the heap already. */
void	 heap_set(struct heap *, struct heap_node *, int64_t at);
void	 heap_del(struct heap *, struct heap_node *);
struct heap_node *heap_top(const struct heap *);
void	 heap_free(struct heap *);

/* A token bucket: rate a second, holding at most burst tokens. */
struct bucket {
	double		 tokens;
	int64_t		 at;		/* ms of the last refill */
};
/* The burst of the query limits: a tenth of a second's worth, at least one. */
#define BUCKET_BURST(rate)	((rate) / 10 < 1 ? 1 : (rate) / 10)
void	 bucket_init(struct bucket *, double tokens, int64_t now);
/* Take a token if there is one. */
bool	 bucket_take(struct bucket *, int rate, int burst, int64_t now);
/* When the next token will be there (now if there is one). */
int64_t	 bucket_next(struct bucket *, int rate, int burst, int64_t now);

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

#endif
