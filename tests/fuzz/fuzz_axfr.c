/*
 * libFuzzer target: a zone transfer from an untrusted master.  The input is
 * a TCP stream (2-byte length, message, ...) fed through validation
 * (axfr_feed) and, when it completes, conversion to PowerDNS rows
 * (rr_set_finish), in both dnssec modes.  Message IDs are set to ours, so
 * the fuzzer spends its time past the ID check.  Each message also goes
 * through TSIG verification (its own parse of the records), as for a zone
 * with a key.  With bit 3 of the first byte it is an IXFR from serial 1:
 * deltas completed are applied to a small stored zone (rr_set_apply).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rr.h"
#include "tsig.h"
#include "axfr.h"
#include "xfr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct axfr	 ax;
	struct rr_set	 set, delta, base;
	struct rr_meta	 meta;
	struct rr_had	 had;
	static struct tsig_key key;
	static bool	 have_key;
	struct tsig_verify tv;
	uint8_t		 reqmac[32] = { 1 };
	uint8_t		 msg[65535];
	char		 err[256];
	size_t		 off = 1;
	int		 rc = 0;
	bool		 dnssec;

	if (size < 1)
		return 0;
	if (!have_key && tsig_key_init(&key, "k.example.", "hmac-sha256",
	    "c2VjcmV0LWtleS1mb3ItZnV6emluZw==", (char[200]){0}, 200) == 0)
		have_key = true;
	tsig_verify_init(&tv, &key, reqmac, sizeof(reqmac));
	dnssec = data[0] & 1;
	memset(&had, 0, sizeof(had));
	had.presigned = (data[0] & 2) != 0;
	rr_set_init(&set, "example");
	rr_set_init(&delta, "example");
	if (axfr_init(&ax, "example", 0x1234, 1000, &set) == -1)
		abort();
	if (data[0] & 8)
		axfr_want_ixfr(&ax, 1, &delta);
	while (rc == 0 && off + 2 <= size) {
		size_t len = (size_t)(data[off] << 8 | data[off + 1]);
		off += 2;
		if (len > size - off)
			len = size - off;
		memcpy(msg, data + off, len);
		off += len;
		if (len >= 2) {
			msg[0] = 0x12;
			msg[1] = 0x34;
		}
		(void)tsig_verify_msg(&tv, msg, len, err, sizeof(err));
		rc = axfr_feed(&ax, msg, len, err, sizeof(err));
	}
	(void)tsig_verify_end(&tv, err, sizeof(err));
	if (rc == 1 && ax.style == AX_INCR) {
		rr_set_init(&base, "example");
		if (rr_set_add_row(&base, "example", "SOA", "ns.example h.example 1 3600 600 "
		    "604800 300", 300, 0) == -1 || rr_set_add_row(&base, "a.example", "A",
		    "192.0.2.1", 300, 0) == -1)
			abort();
		if (rr_set_apply(&base, &delta, err, sizeof(err)) == 0)
			(void)rr_set_finish(&base, (data[0] & 4) ? &had : NULL, dnssec, &meta,
			    err, sizeof(err));
		rr_set_free(&base);
	} else if (rc == 1)
		(void)rr_set_finish(&set, (data[0] & 4) ? &had : NULL, dnssec, &meta,
		    err, sizeof(err));
	axfr_free(&ax);
	rr_set_free(&set);
	rr_set_free(&delta);
	return 0;
}
