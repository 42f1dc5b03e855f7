/* util: allocation that never returns NULL, time and string helpers. */
#ifndef UTIL_H
#define UTIL_H

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

/* FNV-1a of a NUL-terminated string (NULL hashes like ""); for hash tables. */
uint32_t util_strhash(const char *);

/* Copy src to dst (size dst_size), always NUL-terminated; returns strlen(src). */
size_t	 util_strlcpy(char *dst, const char *src, size_t dst_size);

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

#endif
