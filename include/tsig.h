/*
 * tsig: RFC 8945 transaction signatures for SOA queries and zone transfers,
 * with the keys PowerDNS keeps (tsigkeys, domainmetadata AXFR-MASTER-TSIG).
 * HMAC-MD5, -SHA1, -SHA224, -SHA256, -SHA384, -SHA512.
 */
#ifndef TSIG_H
#define TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSIG_MAC_MAX	64
#define TSIG_FUDGE	300

struct tsig_key {
	char		 name[256];		/* as in tsigkeys.name */
	uint8_t		 namew[256];		/* canonical wire form */
	size_t		 namelen;
	int		 alg;			/* enum in tsig.c */
	uint8_t		 algw[64];		/* algorithm name, wire */
	size_t		 alglen;
	uint8_t		 secret[256];
	size_t		 secretlen;
};

/* A key from tsigkeys (name, algorithm, base64 secret); -1 with err. */
int	tsig_key_init(struct tsig_key *, const char *name, const char *algorithm,
	    const char *secret_b64, char *err, size_t errlen);

/*
 * Sign a complete query in place (msg has room for cap bytes): the TSIG RR
 * is appended and ARCOUNT raised.  The request MAC is kept in mac for the
 * verification of the answer.  Returns the new length, or -1.
 */
int	tsig_sign(const struct tsig_key *, uint8_t *msg, size_t len, size_t cap,
	    uint8_t *mac, size_t *maclen);

/* Sign an answer to a signed request (a NOTIFY) whose MAC was reqmac. */
int	tsig_sign_reply(const struct tsig_key *, uint8_t *msg, size_t len, size_t cap,
	    const uint8_t *reqmac, size_t reqmaclen);

/* Verifying the answer: one message (SOA) or a stream (AXFR). */
struct tsig_verify {
	const struct tsig_key	*key;
	uint8_t			 prev[TSIG_MAC_MAX];	/* request MAC, then the last verified */
	size_t			 prevlen;
	uint8_t			 ctx[512];		/* running HMAC over unsigned messages */
	int			 unsigned_run;		/* messages since the last signed one */
	int			 msgs;
	bool			 last_signed;
};

/* reqmac NULL: verifying a signed request (a NOTIFY) rather than an answer. */
void	tsig_verify_init(struct tsig_verify *, const struct tsig_key *,
	    const uint8_t *reqmac, size_t reqmaclen);
/*
 * The next message of the answer, as received.  The first must be signed,
 * then at most 99 unsigned in a row.  Returns 0, or -1 with the reason.
 */
int	tsig_verify_msg(struct tsig_verify *, const uint8_t *msg, size_t len,
	    char *err, size_t errlen);
/* At the end of a transfer: was the last message signed?  -1 with err if not. */
int	tsig_verify_end(const struct tsig_verify *, char *err, size_t errlen);

/*
 * TSIG records in the additional section, or -1 if the records run past
 * the end.  More than one is malformed (RFC 8945).
 */
int	tsig_count(const uint8_t *msg, size_t len);
/*
 * Records that end where the message ends and at most one TSIG: only such
 * a message goes to ldns_wire2pkt, which leaks memory on some of the others
 * (found by make fuzz: two TSIG records in an incomplete additional section).
 */
bool	tsig_wire_ok(const uint8_t *msg, size_t len);

/* HMAC of data with key (tests): the MAC length, or -1. */
int	tsig_hmac(const struct tsig_key *, const uint8_t *data, size_t len, uint8_t *out);

#endif
