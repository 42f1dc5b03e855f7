/*
 * control: the daemon's end of pdns-refresher-control, a Unix stream
 * socket.  A client sends one request, its words separated by tabs and
 * ended by a newline; the answer runs to EOF: a first line with the exit
 * status the client returns (0 done, 1 failed, 2 bad request), then text
 * for a person or, with --json, one JSON object.  Every answer comes from
 * memory, on the loop: nothing here reads MySQL.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct conf;

/* What the control socket asks of main. */
struct control_ops {
	/* SIGHUP's work; false with the reason in msg when the file was refused. */
	bool	 (*reload)(char *msg, size_t len);
};

/*
 * Bind the socket of c->control_socket (nothing when ""): a stale socket
 * left by a crash is replaced, one a running daemon answers on is an
 * error.  Mode 0660.  -1 with a message in err.
 */
int	control_bind(const struct conf *, char *err, size_t errlen);
/* Take clients on the loop. */
void	control_start(struct event_base *, const struct control_ops *);
/* Answer the clients still waiting (shutting down), close and unlink the socket. */
void	control_stop(void);

#endif
