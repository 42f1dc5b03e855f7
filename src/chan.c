/*
 * chan: memcached's hand-off, a locked queue plus a wake-up descriptor.  The
 * pointer carries ownership: whoever takes a node owns it.
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "util.h"

struct chan {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct chan_node	*head, *tail;
	bool			 closed;
	int			 fd;
};

struct chan *
chan_new(bool with_fd)
{
	struct chan		*c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mtx, NULL);
	util_cond_init(&c->cond);
	c->fd = -1;
	if (with_fd && (c->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	return c;
}

void
chan_free(struct chan *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cond);
	free(c);
}

void
chan_put(struct chan *c, struct chan_node *n)
{
	uint64_t	 one = 1;
	bool		 was_empty;

	n->next = NULL;
	pthread_mutex_lock(&c->mtx);
	was_empty = c->head == NULL;
	if (c->tail != NULL)
		c->tail->next = n;
	else
		c->head = n;
	c->tail = n;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mtx);
	/* the reader drains the queue after each wake-up: one is enough */
	if (c->fd != -1 && was_empty)
		while (write(c->fd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
}

struct chan_node *
chan_get(struct chan *c, bool wait)
{
	return chan_get_timed(c, wait ? -1 : 0);
}

struct chan_node *
chan_get_timed(struct chan *c, int ms)
{
	struct chan_node	*n;
	struct timespec		 until;

	pthread_mutex_lock(&c->mtx);
	if (ms > 0)
		until = util_deadline(ms);
	while (ms != 0 && c->head == NULL && !c->closed)
		if (ms < 0)
			pthread_cond_wait(&c->cond, &c->mtx);
		else if (pthread_cond_timedwait(&c->cond, &c->mtx, &until) == ETIMEDOUT)
			break;
	if ((n = c->head) != NULL) {
		c->head = n->next;
		if (c->head == NULL)
			c->tail = NULL;
	} else if (c->fd != -1) {
		uint64_t	 v;

		/*
		 * Drained: clear the wake-up here, under the lock, once per
		 * drain rather than once per node.  A put after this finds the
		 * queue empty and writes the eventfd again, so none is lost.
		 */
		while (read(c->fd, &v, sizeof(v)) == -1 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&c->mtx);
	return n;
}

void
chan_close(struct chan *c)
{
	pthread_mutex_lock(&c->mtx);
	c->closed = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mtx);
}

int
chan_fd(struct chan *c)
{
	return c->fd;
}
