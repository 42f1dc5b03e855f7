/* chan: the FIFO between threads and the event loop's wake-up on its eventfd. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>

#include "chan.h"
#include "unit.h"
#include "util.h"

struct item {
	struct chan_node	 node;
	int			 n;
};

static bool
readable(struct chan *c)
{
	struct pollfd	 p = { chan_fd(c), POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/*
 * The loop drains after each wake-up: the eventfd stays set while nodes
 * wait and is cleared by the get that finds the queue empty, once a drain
 * (not once a node: a read(2) each for every finished transfer before).
 */
static void
test_drain(void)
{
	struct chan	*c = chan_new(true);
	struct item	 it[3];
	struct item	*got;
	bool		 order = true;

	CHECK(!readable(c), "chan: a new chan does not wake the loop");
	for (int i = 0; i < 3; i++) {
		it[i].n = i;
		chan_put(c, &it[i].node);
	}
	CHECK(readable(c), "chan: a put wakes the loop");
	for (int i = 0; i < 2; i++)
		order &= (got = (struct item *)chan_get(c, false)) != NULL && got->n == i;
	CHECK(order && readable(c), "chan: nodes come in order; the wake-up stays while "
	    "one waits");
	got = (struct item *)chan_get(c, false);
	CHECK(got != NULL && got->n == 2 && chan_get(c, false) == NULL && !readable(c),
	    "chan: the get that finds it empty clears the wake-up");
	chan_put(c, &it[0].node);
	CHECK(readable(c), "chan: a put after the drain wakes the loop again");
	chan_get(c, false);
	chan_get(c, false);
	chan_free(c);
}

#define MANY	200000

static void *
producer(void *arg)
{
	struct chan	*c = arg;

	for (int i = 0; i < MANY; i++) {
		struct item *it = xmalloc(sizeof(*it));
		it->n = i;
		chan_put(c, &it->node);
	}
	return NULL;
}

/* No wake-up lost: a consumer that waits on the eventfd alone gets all. */
static void
test_no_lost_wakeup(void)
{
	struct chan	*c = chan_new(true);
	pthread_t	 t;
	int		 got = 0, next = 0;
	bool		 order = true, stuck = false;

	pthread_create(&t, NULL, producer, c);
	while (got < MANY && !stuck) {
		struct pollfd	 p = { chan_fd(c), POLLIN, 0 };
		struct item	*it;

		if (poll(&p, 1, 10000) != 1) {
			stuck = true;		/* items wait, nothing wakes us */
			break;
		}
		while ((it = (struct item *)chan_get(c, false)) != NULL) {
			order &= it->n == next++;
			free(it);
			got++;
		}
	}
	pthread_join(t, NULL);
	CHECK(!stuck && got == MANY && order, "chan: %d nodes from another thread, all "
	    "woken for, in order (%d got)", MANY, got);
	chan_free(c);
}

int
main(void)
{
	test_drain();
	test_no_lost_wakeup();
	UNIT_DONE();
}
