/* notify: the NOTIFY listener (RFC 1996) in the event loop. */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct conf;

/* What the loop makes of a NOTIFY; the listener answers accordingly. */
enum notify_verdict {
	NOTIFY_ACCEPT,		/* NOERROR: the zone is checked now */
	NOTIFY_UNKNOWN,		/* REFUSED: not a SLAVE zone of ours */
	NOTIFY_STRANGER,	/* REFUSED: not from a master of the zone nor trusted */
	NOTIFY_BADTSIG,		/* NOTAUTH: signed, but not with the zone's key */
	NOTIFY_AP_CREATED,	/* NOERROR: autoprimary created the zone */
	NOTIFY_AP_REFUSED,	/* REFUSED: autoprimary: no supermaster for it */
	NOTIFY_AP_FAILED,	/* SERVFAIL: autoprimary: the notifier or the db failed */
	NOTIFY_DEFERRED,	/* answered later (autoprimary); not counted here */
	NOTIFY_DROPPED,		/* no answer (autoprimary busy or duplicate) */
};

/* How to sign the answer to a signed NOTIFY that verified. */
struct tsig_key;
struct notify_sig {
	const struct tsig_key	*key;		/* NULL: answer unsigned */
	uint8_t			 mac[64];	/* the NOTIFY's MAC */
	size_t			 maclen;
};

/*
 * Answer the NOTIFY msg (n bytes, parsed again) on fd with the verdict's
 * rcode (signed with sig->key when set): for answers given later.
 */
void	notify_answer(int fd, const uint8_t *msg, size_t n, enum notify_verdict,
	    const struct notify_sig *sig, const struct sockaddr *to, socklen_t tolen);

/*
 * Bind every notify.listen address (UDP), before the daemon detaches, so a
 * listen address that cannot be bound stops the start with its reason.
 * Returns 0, or -1 with a message in err.
 */
int	notify_bind(const struct conf *, char *err, size_t errlen);
/* Take NOTIFYs on the bound sockets; accepted ones go to sched_notify(). */
int	notify_start(struct event_base *, char *err, size_t errlen);
/*
 * A PROXY protocol v2 header (RFC-less, haproxy's proxy-protocol.txt) at the
 * start of a datagram from proxy: the client it names goes into real (the
 * proxy itself for LOCAL, dnsdist's health checks).  The header's length
 * (the DNS message follows), or -1 when there is none or it is bad.
 */
int	notify_proxy_header(const uint8_t *b, size_t n, const struct sockaddr *proxy,
	    socklen_t plen, struct sockaddr_storage *real, socklen_t *rlen);
/* One more NOTIFY from sa within limit a second (burst: a second's worth)? */
bool	notify_rate_ok(const struct sockaddr *sa, int limit, int64_t now);
/* notify.trusted and the rate from a reloaded configuration. */
void	notify_set_conf(const struct conf *);
void	notify_stop(void);
/*
 * Since start: NOTIFYs answered; dropped (over the per-source rate, or
 * from a proxy without a valid header); lost in a listener's full receive
 * buffer, as the kernel counts them.
 */
void	notify_counters(uint64_t *answered, uint64_t *dropped, uint64_t *lost);

#endif
