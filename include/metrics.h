/*
 * metrics: Prometheus's text format on GET /metrics (evhttp on the loop),
 * O(metrics) a scrape: every value is kept as things happen.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct conf;
struct event_base;
struct evbuffer;

/* Bind metrics.listen (before the daemon detaches); -1 with a message. */
int	metrics_bind(const struct conf *, char *err, size_t errlen);
/* Serve the bound addresses on the loop. */
void	metrics_start(struct event_base *);
void	metrics_stop(void);
/* The page itself (for the tests too). */
void	metrics_write(struct evbuffer *);

#endif
