/* chan: a locked FIFO between threads, with an eventfd to wake the event loop. */
#ifndef CHAN_H
#define CHAN_H

#include <stdbool.h>

/* Embed as the first member of anything sent through a chan. */
struct chan_node {
	struct chan_node	*next;
};

struct chan;

/* New channel; with_fd adds an eventfd the event loop can watch. */
struct chan		*chan_new(bool with_fd);
void			 chan_free(struct chan *);
/* Append; ownership of the node moves to the receiver. */
void			 chan_put(struct chan *, struct chan_node *);
/* Take the oldest node; wait blocks until one arrives or the chan is closed. */
struct chan_node	*chan_get(struct chan *, bool wait);
/* Take the oldest node, waiting up to ms (-1: without end, 0: not at all). */
struct chan_node	*chan_get_timed(struct chan *, int ms);
/* No more puts; blocked getters return NULL once the queue is empty. */
void			 chan_close(struct chan *);
/* The eventfd (-1 without one) and a call that clears it before draining. */
int			 chan_fd(struct chan *);
void			 chan_clear_fd(struct chan *);

#endif
