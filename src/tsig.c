/*
 * tsig: RFC 8945.  HMAC over ldns's SHA-1 and SHA-2 (SHA-224 is SHA-256
 * with its own initial values and a shorter digest) and a small MD5 of our
 * own, since ldns does not export one; no other crypto library.
 *
 * A signed answer is checked as the RFC says: the first message signed
 * with the request's MAC, each further signed message with the previous
 * MAC, the unsigned messages in between (at most 99) and the timers; the
 * key name and algorithm must be ours, the time within the fudge, the MAC
 * complete and equal (compared in constant time).
 */
#include <ldns/ldns.h>
#include <ldns/sha1.h>
#include <ldns/sha2.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dnswire.h"
#include "tsig.h"

enum { A_MD5, A_SHA1, A_SHA224, A_SHA256, A_SHA384, A_SHA512 };

static const struct alg {
	const char	*name;		/* as tsigkeys.algorithm has it */
	const char	*wire;		/* the algorithm name on the wire */
	size_t		 block, out;
} algs[] = {
	{ "hmac-md5", "hmac-md5.sig-alg.reg.int.", 64, 16 },
	{ "hmac-sha1", "hmac-sha1.", 64, 20 },
	{ "hmac-sha224", "hmac-sha224.", 64, 28 },
	{ "hmac-sha256", "hmac-sha256.", 64, 32 },
	{ "hmac-sha384", "hmac-sha384.", 128, 48 },
	{ "hmac-sha512", "hmac-sha512.", 128, 64 },
};

/* ---- MD5 (RFC 1321) ---- */
struct md5 {
	uint32_t	 s[4];
	uint64_t	 n;
	uint8_t		 buf[64];
};

/* RFC 1321 3.4: floor(2^32 * abs(sin(i + 1))), as a literal table. */
static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static void
md5_block(uint32_t s[4], const uint8_t *p)
{
	static const uint8_t r[64] = {
	    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21 };
	uint32_t	 w[16], a = s[0], b = s[1], c = s[2], d = s[3];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, t;
		int g;
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = d;
		d = c;
		c = b;
		f += a + md5_k[i] + w[g];
		b += (f << r[i]) | (f >> (32 - r[i]));
		a = t;
	}
	s[0] += a;
	s[1] += b;
	s[2] += c;
	s[3] += d;
}

static void
md5_init(struct md5 *m)
{
	m->s[0] = 0x67452301;
	m->s[1] = 0xefcdab89;
	m->s[2] = 0x98badcfe;
	m->s[3] = 0x10325476;
	m->n = 0;
}

static void
md5_update(struct md5 *m, const uint8_t *p, size_t len)
{
	size_t	 have = (size_t)(m->n % 64);

	m->n += len;
	if (have > 0) {
		size_t take = 64 - have < len ? 64 - have : len;
		memcpy(m->buf + have, p, take);
		p += take;
		len -= take;
		if (have + take < 64)
			return;
		md5_block(m->s, m->buf);
	}
	for (; len >= 64; p += 64, len -= 64)
		md5_block(m->s, p);
	memcpy(m->buf, p, len);
}

static void
md5_final(uint8_t out[16], struct md5 *m)
{
	uint64_t	 bits = m->n * 8;
	uint8_t		 pad[72] = { 0x80 };
	size_t		 padlen = (m->n % 64 < 56 ? 56 : 120) - (size_t)(m->n % 64);

	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (8 * i));
	md5_update(m, pad, padlen + 8);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(m->s[i] >> (8 * j));
}

/* ---- hashes and HMAC ---- */
union hctx {
	struct md5		 md5;
	ldns_sha1_ctx		 sha1;
	ldns_sha256_CTX		 s256;
	ldns_sha512_CTX		 s512;
};

struct hmac {
	int		 alg;
	union hctx	 in, out;
};

_Static_assert(sizeof(struct hmac) <= sizeof(((struct tsig_verify *)0)->ctx),
    "tsig_verify.ctx holds a struct hmac");

static void
h_init(int alg, union hctx *h)
{
	static const uint32_t iv224[8] = { 0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
	    0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4 };

	switch (alg) {
	case A_MD5: md5_init(&h->md5); break;
	case A_SHA1: ldns_sha1_init(&h->sha1); break;
	case A_SHA224:
		ldns_sha256_init(&h->s256);
		memcpy(h->s256.state, iv224, sizeof(iv224));
		break;
	case A_SHA256: ldns_sha256_init(&h->s256); break;
	case A_SHA384: ldns_sha384_init(&h->s512); break;
	default: ldns_sha512_init(&h->s512); break;
	}
}

static void
h_update(int alg, union hctx *h, const uint8_t *p, size_t n)
{
	switch (alg) {
	case A_MD5: md5_update(&h->md5, p, n); break;
	case A_SHA1:
		for (size_t off = 0; off < n; off += 1u << 30) {
			size_t k = n - off < 1u << 30 ? n - off : 1u << 30;
			ldns_sha1_update(&h->sha1, p + off, (unsigned)k);
		}
		break;
	case A_SHA224:
	case A_SHA256: ldns_sha256_update(&h->s256, p, n); break;
	case A_SHA384: ldns_sha384_update(&h->s512, p, n); break;
	default: ldns_sha512_update(&h->s512, p, n); break;
	}
}

static void
h_final(int alg, union hctx *h, uint8_t *out)
{
	uint8_t	 d[64];

	switch (alg) {
	case A_MD5: md5_final(d, &h->md5); break;
	case A_SHA1: ldns_sha1_final(d, &h->sha1); break;
	case A_SHA224:
	case A_SHA256: ldns_sha256_final(d, &h->s256); break;
	case A_SHA384: ldns_sha384_final(d, &h->s512); break;
	default: ldns_sha512_final(d, &h->s512); break;
	}
	memcpy(out, d, algs[alg].out);
}

static void
hmac_init(struct hmac *m, const struct tsig_key *k)
{
	uint8_t		 kb[128], pad[128];
	size_t		 bl = algs[k->alg].block;

	memset(kb, 0, sizeof(kb));
	if (k->secretlen > bl) {		/* keys longer than a block: hashed */
		union hctx h;
		h_init(k->alg, &h);
		h_update(k->alg, &h, k->secret, k->secretlen);
		h_final(k->alg, &h, kb);
	} else
		memcpy(kb, k->secret, k->secretlen);
	m->alg = k->alg;
	for (size_t i = 0; i < bl; i++)
		pad[i] = kb[i] ^ 0x36;
	h_init(k->alg, &m->in);
	h_update(k->alg, &m->in, pad, bl);
	for (size_t i = 0; i < bl; i++)
		pad[i] = kb[i] ^ 0x5c;
	h_init(k->alg, &m->out);
	h_update(k->alg, &m->out, pad, bl);
}

static void
hmac_update(struct hmac *m, const uint8_t *p, size_t n)
{
	h_update(m->alg, &m->in, p, n);
}

static size_t
hmac_final(struct hmac *m, uint8_t *out)
{
	uint8_t	 inner[64];

	h_final(m->alg, &m->in, inner);
	h_update(m->alg, &m->out, inner, algs[m->alg].out);
	h_final(m->alg, &m->out, out);
	return algs[m->alg].out;
}

int
tsig_hmac(const struct tsig_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	struct hmac	 m;

	hmac_init(&m, k);
	hmac_update(&m, data, len);
	return (int)hmac_final(&m, out);
}

/* ---- keys ---- */

int
tsig_key_init(struct tsig_key *k, const char *name, const char *algorithm,
    const char *secret, char *err, size_t errlen)
{
	char	 a[64];
	size_t	 n;
	int	 w;

	memset(k, 0, sizeof(*k));
	k->alg = -1;
	snprintf(a, sizeof(a), "%s", algorithm ? algorithm : "");
	n = strlen(a);
	if (n > 0 && a[n - 1] == '.')
		a[--n] = '\0';
	if (strcasecmp(a, "hmac-md5.sig-alg.reg.int") == 0)
		snprintf(a, sizeof(a), "hmac-md5");
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(a, algs[i].name) == 0)
			k->alg = (int)i;
	if (k->alg == -1) {
		snprintf(err, errlen, "key %s: algorithm '%s' is not one of hmac-md5, "
		    "hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512",
		    name, algorithm ? algorithm : "");
		return -1;
	}
	snprintf(k->name, sizeof(k->name), "%s", name);
	if ((w = dnswire_name(name, k->namew, sizeof(k->namew))) == -1) {
		snprintf(err, errlen, "key name '%s' is not a domain name", name);
		return -1;
	}
	k->namelen = (size_t)w;
	k->alglen = (size_t)dnswire_name(algs[k->alg].wire, k->algw, sizeof(k->algw));
	{
		ldns_rdf *b = NULL;
		if (secret == NULL || ldns_str2rdf_b64(&b, secret) != LDNS_STATUS_OK ||
		    ldns_rdf_size(b) == 0 || ldns_rdf_size(b) > sizeof(k->secret)) {
			ldns_rdf_deep_free(b);
			snprintf(err, errlen, "key %s: the secret is not base64 (or empty, or "
			    "over %zu bytes)", name, sizeof(k->secret));
			return -1;
		}
		k->secretlen = ldns_rdf_size(b);
		memcpy(k->secret, ldns_rdf_data(b), k->secretlen);
		ldns_rdf_deep_free(b);
	}
	return 0;
}

/* ---- signing and verifying ---- */

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (8 * (5 - i)));
}

/* The TSIG variables after the name (RFC 8945 4.3.3): class ANY, TTL 0,
 * algorithm, time, fudge, error, other. */
static size_t
vars_after_name(const struct tsig_key *k, uint64_t t, unsigned fudge, unsigned error,
    const uint8_t *other, size_t otherlen, uint8_t *out)
{
	size_t	 o = 0;

	put16(out, 255);
	memset(out + 2, 0, 4);
	o = 6;
	memcpy(out + o, k->algw, k->alglen);
	o += k->alglen;
	put48(out + o, t);
	put16(out + o + 6, fudge);
	put16(out + o + 8, error);
	put16(out + o + 10, (unsigned)otherlen);
	o += 12;
	if (otherlen > 0)
		memcpy(out + o, other, otherlen);
	return o + otherlen;
}

/* Sign msg, after the request's MAC when answering a signed request. */
static int
sign(const struct tsig_key *k, uint8_t *msg, size_t len, size_t cap, const uint8_t *reqmac,
    size_t reqmaclen, uint8_t *mac, size_t *maclen)
{
	struct hmac	 m;
	uint8_t		 v[512], l[2];
	size_t		 vl, need, o;
	uint64_t	 now = (uint64_t)time(NULL);

	need = len + k->namelen + 10 + k->alglen + 16 + algs[k->alg].out;
	if (len < 12 || need > cap)
		return -1;
	hmac_init(&m, k);
	if (reqmac != NULL) {
		put16(l, (unsigned)reqmaclen);
		hmac_update(&m, l, 2);
		hmac_update(&m, reqmac, reqmaclen);
	}
	hmac_update(&m, msg, len);
	hmac_update(&m, k->namew, k->namelen);
	vl = vars_after_name(k, now, TSIG_FUDGE, 0, NULL, 0, v);
	hmac_update(&m, v, vl);
	*maclen = hmac_final(&m, mac);
	o = len;
	memcpy(msg + o, k->namew, k->namelen);
	o += k->namelen;
	put16(msg + o, 250);			/* TSIG */
	put16(msg + o + 2, 255);		/* ANY */
	memset(msg + o + 4, 0, 4);
	put16(msg + o + 8, (unsigned)(k->alglen + 16 + *maclen));
	o += 10;
	memcpy(msg + o, k->algw, k->alglen);
	o += k->alglen;
	put48(msg + o, now);
	put16(msg + o + 6, TSIG_FUDGE);
	put16(msg + o + 8, (unsigned)*maclen);
	o += 10;
	memcpy(msg + o, mac, *maclen);
	o += *maclen;
	memcpy(msg + o, msg, 2);		/* original ID */
	memset(msg + o + 2, 0, 4);		/* error, other length */
	o += 6;
	put16(msg + 10, (unsigned)((msg[10] << 8 | msg[11]) + 1));
	return (int)o;
}

int
tsig_sign(const struct tsig_key *k, uint8_t *msg, size_t len, size_t cap, uint8_t *mac,
    size_t *maclen)
{
	return sign(k, msg, len, cap, NULL, 0, mac, maclen);
}

int
tsig_sign_reply(const struct tsig_key *k, uint8_t *msg, size_t len, size_t cap,
    const uint8_t *reqmac, size_t reqmaclen)
{
	uint8_t	 mac[TSIG_MAC_MAX];
	size_t	 maclen;

	return sign(k, msg, len, cap, reqmac, reqmaclen, mac, &maclen);
}

void
tsig_verify_init(struct tsig_verify *tv, const struct tsig_key *k, const uint8_t *reqmac,
    size_t reqmaclen)
{
	struct hmac	*m = (struct hmac *)(void *)tv->ctx;
	uint8_t		 l[2];

	memset(tv, 0, sizeof(*tv));
	tv->key = k;
	hmac_init(m, k);
	if (reqmac == NULL)		/* verifying a request (a NOTIFY): no prior MAC */
		return;
	memcpy(tv->prev, reqmac, reqmaclen);
	tv->prevlen = reqmaclen;
	put16(l, (unsigned)reqmaclen);
	hmac_update(m, l, 2);
	hmac_update(m, reqmac, reqmaclen);
}

int
tsig_count(const uint8_t *msg, size_t len)
{
	size_t		 pos;
	unsigned	 an, ns, ar, n = 0;

	if (len < 12)
		return -1;
	an = (unsigned)(msg[6] << 8 | msg[7]);
	ns = (unsigned)(msg[8] << 8 | msg[9]);
	ar = (unsigned)(msg[10] << 8 | msg[11]);
	if (!dnswire_skip_records(msg, len, &pos, an + ns + ar, &n, an + ns))
		return -1;
	return (int)n;
}

bool
tsig_wire_ok(const uint8_t *msg, size_t len)
{
	int	 n = tsig_count(msg, len);

	return n == 0 || n == 1;
}

static const char *
tsig_rcode(unsigned e, char *buf, size_t n)
{
	switch (e) {
	case 16: return "BADSIG";
	case 17: return "BADKEY";
	case 18: return "BADTIME";
	case 22: return "BADTRUNC";
	default: snprintf(buf, n, "%u", e); return buf;
	}
}

int
tsig_verify_msg(struct tsig_verify *tv, const uint8_t *msg, size_t len, char *err,
    size_t errlen)
{
	struct hmac	*m = (struct hmac *)(void *)tv->ctx;
	const struct tsig_key *k = tv->key;
	size_t		 pos, start, rdend, maclen, otherlen;
	unsigned	 an, ns, ar, rdlen, error, fudge, origid;
	uint64_t	 t, now = (uint64_t)time(NULL);
	ldns_rdf	*owner = NULL, *alg = NULL, *kn = NULL, *ka = NULL;
	uint8_t		 hdr[12], v[512], mac[TSIG_MAC_MAX], l[2];
	const uint8_t	*rmac, *other;
	bool		 same;
	char		 rb[16];

	if (len < 12) {
		snprintf(err, errlen, "TSIG: message too short");
		return -1;
	}
	an = (unsigned)(msg[6] << 8 | msg[7]);
	ns = (unsigned)(msg[8] << 8 | msg[9]);
	ar = (unsigned)(msg[10] << 8 | msg[11]);
	/* to the last record, where a TSIG must be */
	if (!dnswire_skip_records(msg, len, &pos, an + ns + ar > 0 ? an + ns + ar - 1 : 0, NULL, 0))
		goto malformed;
	start = pos;
	if (ar == 0 || ldns_wire2dname(&owner, msg, len, &pos) != LDNS_STATUS_OK ||
	    pos + 10 > len || (msg[pos] << 8 | msg[pos + 1]) != 250) {
		ldns_rdf_deep_free(owner);
		/* unsigned */
		if (tv->msgs++ == 0) {
			snprintf(err, errlen, "TSIG: the answer is not signed");
			return -1;
		}
		if (++tv->unsigned_run > 99) {
			snprintf(err, errlen, "TSIG: more than 99 unsigned messages in a row");
			return -1;
		}
		hmac_update(m, msg, len);
		tv->last_signed = false;
		return 0;
	}
	rdlen = (unsigned)(msg[pos + 8] << 8 | msg[pos + 9]);
	pos += 10;
	rdend = pos + rdlen;
	if (rdend != len || ldns_wire2dname(&alg, msg, len, &pos) != LDNS_STATUS_OK ||
	    pos + 10 > rdend)
		goto malformed;
	t = 0;
	for (int i = 0; i < 6; i++)
		t = t << 8 | msg[pos + (size_t)i];
	fudge = (unsigned)(msg[pos + 6] << 8 | msg[pos + 7]);
	maclen = (size_t)(msg[pos + 8] << 8 | msg[pos + 9]);
	pos += 10;
	if (pos + maclen + 6 > rdend)
		goto malformed;
	rmac = msg + pos;
	pos += maclen;
	origid = (unsigned)(msg[pos] << 8 | msg[pos + 1]);
	error = (unsigned)(msg[pos + 2] << 8 | msg[pos + 3]);
	otherlen = (size_t)(msg[pos + 4] << 8 | msg[pos + 5]);
	other = msg + pos + 6;
	if (pos + 6 + otherlen != rdend || otherlen > 64)
		goto malformed;
	kn = ldns_dname_new_frm_data((uint16_t)k->namelen, k->namew);
	ka = ldns_dname_new_frm_data((uint16_t)k->alglen, k->algw);
	same = kn != NULL && ka != NULL && ldns_dname_compare(owner, kn) == 0 &&
	    ldns_dname_compare(alg, ka) == 0;
	ldns_rdf_deep_free(kn);
	ldns_rdf_deep_free(ka);
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(alg);
	owner = alg = NULL;
	if (error != 0) {
		snprintf(err, errlen, "TSIG: the master answered %s", tsig_rcode(error, rb,
		    sizeof(rb)));
		return -1;
	}
	if (!same) {
		snprintf(err, errlen, "TSIG: signed with another key or algorithm than %s",
		    k->name);
		return -1;
	}
	if (maclen != algs[k->alg].out) {
		snprintf(err, errlen, "TSIG: MAC of %zu bytes, expected %zu", maclen,
		    algs[k->alg].out);
		return -1;
	}
	/* The message without its TSIG: original ID, ARCOUNT one less. */
	memcpy(hdr, msg, 12);
	put16(hdr, origid);
	put16(hdr + 10, ar - 1);
	hmac_update(m, hdr, 12);
	hmac_update(m, msg + 12, start - 12);
	if (tv->msgs == 0) {
		hmac_update(m, k->namew, k->namelen);
		hmac_update(m, v, vars_after_name(k, t, fudge, error, other, otherlen, v));
	} else {
		put48(v, t);
		put16(v + 6, fudge);
		hmac_update(m, v, 8);
	}
	hmac_final(m, mac);
	{
		unsigned char diff = 0;
		for (size_t i = 0; i < maclen; i++)
			diff |= (unsigned char)(mac[i] ^ rmac[i]);
		if (diff != 0) {
			snprintf(err, errlen, "TSIG: bad signature (BADSIG) with key %s", k->name);
			return -1;
		}
	}
	if (t + fudge < now || t > now + fudge) {
		snprintf(err, errlen, "TSIG: signed %lld s from our clock, over the fudge of "
		    "%u s (BADTIME)", (long long)t - (long long)now, fudge);
		return -1;
	}
	memcpy(tv->prev, mac, maclen);
	tv->prevlen = maclen;
	hmac_init(m, k);
	put16(l, (unsigned)maclen);
	hmac_update(m, l, 2);
	hmac_update(m, mac, maclen);
	tv->unsigned_run = 0;
	tv->last_signed = true;
	tv->msgs++;
	return 0;
malformed:
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(alg);
	snprintf(err, errlen, "TSIG: malformed message");
	return -1;
}

int
tsig_verify_end(const struct tsig_verify *tv, char *err, size_t errlen)
{
	if (tv->msgs > 0 && tv->last_signed)
		return 0;
	snprintf(err, errlen, "TSIG: the last message of the transfer is not signed");
	return -1;
}
