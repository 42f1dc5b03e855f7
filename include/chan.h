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
/*
 * Take the oldest node; wait blocks until one arrives or the chan is closed.
 * On a chan with an eventfd, the call that finds the queue empty clears it:
 * the loop drains until NULL after each wake-up.
 */
struct chan_node	*chan_get(struct chan *, bool wait);
/* Take the oldest node, waiting up to ms (-1: without end, 0: not at all). */
struct chan_node	*chan_get_timed(struct chan *, int ms);
/* No more puts; blocked getters return NULL once the queue is empty. */
void			 chan_close(struct chan *);
/* The eventfd (-1 without one): readable when nodes wait. */
int			 chan_fd(struct chan *);

#endif
