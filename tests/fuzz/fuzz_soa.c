/*
 * libFuzzer target: a datagram that claims to answer our SOA query, and
 * the text we read from the database (domains.master, a stored SOA).  The
 * checks' verdicts must agree with ldns's reference (tests/unit/soa_ref.h)
 * but for the differences meant; a disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "dnswire.h"
#include "soa.h"
#include "zone.h"
#include "../unit/soa_ref.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 zw[256];
	static size_t		 zlen;
	struct soa_result	 r;
	struct master_addr	 ma[MASTER_MAX];
	char			 text[512], err[160];
	uint32_t		 s, rf, rt, ex;
	uint16_t		 id;
	enum soa_status		 st;

	if (zlen == 0) {
		int n = dnswire_name("example", zw, sizeof(zw));
		if (n <= 0)
			abort();
		zlen = (size_t)n;
	}
	/* As a reply: our ID is its own first two bytes. */
	id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	st = soa_check_reply(data, size, id, zw, zlen, &r);
	if (soa_ref_agree(data, size, id, false, zw, zlen, st, &r) == SOA_REF_DIFFERENT)
		abort();
	/* ... and to the IXFR check (transfer.ixfr-udp) */
	st = soa_check_ixfr_reply(data, size, id, zw, zlen, &r);
	if (soa_ref_agree(data, size, id, true, zw, zlen, st, &r) == SOA_REF_DIFFERENT)
		abort();
	/* As text from the database. */
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		(void)master_parse(text, ma, MASTER_MAX, err, sizeof(err));
		(void)zone_parse_soa(text, &s, &rf, &rt, &ex);
	}
	return 0;
}
