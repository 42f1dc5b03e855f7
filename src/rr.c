/*
 * rr: ldns records to the exact row text PowerDNS 4.7 writes (the README's
 * "Exactly what PowerDNS writes"; tests/conformance compares with pdns).
 * Pure functions: no I/O, no logging.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr.h"
#include "util.h"

/* Output buffer with overflow tracking; one failure poisons the rest. */
struct out {
	char	*p;
	size_t	 len, cap;
	bool	 over;
};

static void
out_mem(struct out *o, const void *s, size_t n)
{
	if (o->over || o->len + n + 1 > o->cap) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void
out_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_fmt(struct out *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->over = true;
		return;
	}
	o->len += (size_t)n;
}

static void
out_sep(struct out *o)
{
	if (o->len > 0)
		out_mem(o, " ", 1);
}

/* pdns DNSName::appendEscapedLabel: printable except . and \ as is. */
static void
out_dname(struct out *o, const uint8_t *w, size_t len, bool lower)
{
	size_t	 pos = 0;
	bool	 first = true;

	if (len == 0 || w[0] == 0) {
		out_mem(o, ".", 1);
		return;
	}
	while (pos < len && w[pos] != 0) {
		uint8_t	 ll = w[pos++];

		if (ll > 63 || pos + ll > len) {
			o->over = true;
			return;
		}
		if (!first)
			out_mem(o, ".", 1);
		first = false;
		for (uint8_t i = 0; i < ll; i++) {
			uint8_t c = w[pos + i];
			if (lower && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if (c == '.' || c == '\\') {
				char e[2] = { '\\', (char)c };
				out_mem(o, e, 2);
			} else if (c > 0x20 && c < 0x7f)
				out_mem(o, &c, 1);
			else
				out_fmt(o, "\\%03u", c);
		}
		pos += ll;
	}
}

int
rr_dname_str(const uint8_t *wire, size_t len, bool lower, char *buf, size_t buflen)
{
	struct out	 o = { buf, 0, buflen, false };

	if (buflen == 0)
		return -1;
	buf[0] = '\0';
	out_dname(&o, wire, len, lower);
	return o.over ? -1 : 0;
}

/* pdns txtEscape, inside quotes. */
static void
out_text(struct out *o, const uint8_t *s, size_t n)
{
	out_mem(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c >= 127 || c < 32)
			out_fmt(o, "\\%03u", c);
		else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			out_mem(o, e, 2);
		} else
			out_mem(o, &c, 1);
	}
	out_mem(o, "\"", 1);
}

static void
out_hex(struct out *o, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char b[2] = { hex[p[i] >> 4], hex[p[i] & 15] };
		out_mem(o, b, 2);
	}
}

static void
out_b64(struct out *o, const uint8_t *p, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n) v |= p[i + 2];
		char b[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
		    i + 1 < n ? b64[v >> 6 & 63] : '=', i + 2 < n ? b64[v & 63] : '=' };
		out_mem(o, b, 4);
	}
}

/*
 * Reading rdata: a cursor over the record's wire rdata.  Any read past the
 * end marks it bad; the caller checks once at the end, so a malformed
 * record fails the transfer as it does in pdns.
 */
struct rd {
	const uint8_t	*p;
	size_t		 len, off;
	bool		 bad;
};

static const uint8_t *
rd_take(struct rd *r, size_t n)
{
	const uint8_t	*p;

	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static unsigned
rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);
	return p ? p[0] : 0;
}

static unsigned
rd_u16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);
	return p ? (unsigned)(p[0] << 8 | p[1]) : 0;
}

static uint32_t
rd_u32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static size_t
rd_left(const struct rd *r)
{
	return r->bad ? 0 : r->len - r->off;
}

/* An uncompressed name (ldns expanded any compression) in pdns form. */
static void
rd_name(struct rd *r, struct out *o)
{
	size_t	 start = r->off;

	for (;;) {
		unsigned ll = rd_u8(r);
		if (r->bad)
			return;
		if (ll == 0)
			break;
		if (ll > 63 || rd_take(r, ll) == NULL || r->off - start > 255) {
			r->bad = true;
			return;
		}
	}
	out_sep(o);
	out_dname(o, r->p + start, r->off - start, false);
}

/* A <character-string>, quoted and escaped as pdns does. */
static void
rd_text(struct rd *r, struct out *o)
{
	unsigned	 n = rd_u8(r);
	const uint8_t	*p = rd_take(r, n);

	if (p == NULL)
		return;
	out_sep(o);
	out_text(o, p, n);
}

static void
rd_num(struct rd *r, struct out *o, int bytes)
{
	uint32_t v = bytes == 1 ? rd_u8(r) : bytes == 2 ? rd_u16(r) : rd_u32(r);

	out_sep(o);
	out_fmt(o, "%u", v);
}

static void
rd_ip(struct rd *r, struct out *o, int af)
{
	const uint8_t	*p = rd_take(r, af == AF_INET ? 4 : 16);
	char		 b[INET6_ADDRSTRLEN];

	if (p == NULL || inet_ntop(af, p, b, sizeof(b)) == NULL)
		return;
	out_sep(o);
	out_str(o, b);
}

/* The rest of the rdata as lowercase hex or base64 (an empty rest still adds the space). */
static void
rd_rest(struct rd *r, struct out *o, bool b64)
{
	size_t		 n = rd_left(r);
	const uint8_t	*p = rd_take(r, n);

	out_sep(o);	/* even before an empty blob, as pdns does */
	if (p != NULL)
		b64 ? out_b64(o, p, n) : out_hex(o, p, n);
}

static void
rd_time(struct rd *r, struct out *o)
{
	time_t		 t = (time_t)rd_u32(r);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	out_sep(o);
	out_fmt(o, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A type bitmap (RFC 4034 4.1.2) as mnemonics. */
static void
rd_bitmap(struct rd *r, struct out *o)
{
	char	 tb[16];
	int	 last = -1;

	while (rd_left(r) > 0) {
		unsigned win = rd_u8(r), n = rd_u8(r);
		const uint8_t *p = rd_take(r, n);
		if (p == NULL || n == 0 || n > 32 || (int)win <= last) {
			r->bad = true;
			return;
		}
		last = (int)win;
		for (unsigned i = 0; i < n * 8; i++)
			if (p[i / 8] & (0x80 >> (i % 8))) {
				out_sep(o);
				out_str(o, rr_type_name((uint16_t)(win * 256 + i), tb, sizeof(tb)));
			}
	}
}

/* NSEC3 and NSEC3PARAM: algorithm, flags, iterations, salt ("-" if empty). */
static void
rd_nsec3_params(struct rd *r, struct out *o)
{
	rd_num(r, o, 1);
	rd_num(r, o, 1);
	rd_num(r, o, 2);
	unsigned sl = rd_u8(r);
	const uint8_t *salt = rd_take(r, sl);
	out_sep(o);
	if (sl == 0)
		out_mem(o, "-", 1);
	else if (salt != NULL)
		out_hex(o, salt, sl);
}

/* LOC (RFC 1876) exactly as pdns's LOCRecordContent prints it. */
static double
loc_size(unsigned v)
{
	double	 d = 0.01 * ((v >> 4) & 0xf);

	for (unsigned c = v & 0xf; c > 0; c--)
		d *= 10;
	return d;
}

static void
rd_loc(struct rd *r, struct out *o)
{
	unsigned	 version = rd_u8(r), size = rd_u8(r), hp = rd_u8(r), vp = rd_u8(r);
	uint32_t	 la = rd_u32(r), lo = rd_u32(r), al = rd_u32(r);
	double		 lat, lon, alt, remlat, remlon;

	if (r->bad || version != 0 || rd_left(r) != 0) {
		r->bad = true;
		return;
	}
	lat = (int32_t)(la - (1U << 31)) / 3600000.0;
	lon = (int32_t)(lo - (1U << 31)) / 3600000.0;
	alt = (int32_t)al / 100.0 - 100000;
	remlat = 60.0 * (lat - (int)lat);
	remlon = 60.0 * (lon - (int)lon);
	out_fmt(o, "%d %d %2.03f %c %d %d %2.03f %c %.2fm %.2fm %.2fm %.2fm",
	    abs((int)lat), abs((int)((lat - (int)lat) * 60)),
	    fabs(remlat - (int)remlat) * 60, lat > 0 ? 'N' : 'S',
	    abs((int)lon), abs((int)((lon - (int)lon) * 60)),
	    fabs(remlon - (int)remlon) * 60, lon > 0 ? 'E' : 'W',
	    alt, loc_size(size), loc_size(hp), loc_size(vp));
}

/* 64-bit locators (NID, L64): four groups of four uppercase hex digits. */
static void
rd_locator64(struct rd *r, struct out *o)
{
	const uint8_t	*p = rd_take(r, 8);

	if (p == NULL)
		return;
	out_sep(o);
	out_fmt(o, "%02X%02X:%02X%02X:%02X%02X:%02X%02X", p[0], p[1], p[2], p[3],
	    p[4], p[5], p[6], p[7]);
}

static void
rd_eui(struct rd *r, struct out *o, size_t n)
{
	const uint8_t	*p = rd_take(r, n);

	if (p == NULL || rd_left(r) != 0) {
		r->bad = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		out_fmt(o, i ? "-%02x" : "%02x", p[i]);
}

static void
rd_apl(struct rd *r, struct out *o)
{
	while (rd_left(r) > 0) {
		unsigned	 fam = rd_u16(r), prefix = rd_u8(r), nl = rd_u8(r);
		size_t		 alen = nl & 0x7f;
		const uint8_t	*p = rd_take(r, alen);
		uint8_t		 a[16] = { 0 };
		char		 b[INET6_ADDRSTRLEN];

		if (p == NULL || (fam != 1 && fam != 2) || alen > (fam == 1 ? 4u : 16u)) {
			r->bad = true;
			return;
		}
		memcpy(a, p, alen);
		inet_ntop(fam == 1 ? AF_INET : AF_INET6, a, b, sizeof(b));
		out_sep(o);
		out_fmt(o, "%s%u:%s/%u", (nl & 0x80) ? "!" : "", fam, b, prefix);
	}
}

static void
rd_ipseckey(struct rd *r, struct out *o)
{
	unsigned	 prec = rd_u8(r), gwtype = rd_u8(r), alg = rd_u8(r);

	out_fmt(o, "%u %u %u", prec, gwtype, alg);
	switch (gwtype) {
	case 0:
		break;		/* pdns prints no gateway field */
	case 1:
		rd_ip(r, o, AF_INET);
		break;
	case 2:
		rd_ip(r, o, AF_INET6);
		break;
	case 3:
		rd_name(r, o);
		break;
	default:
		r->bad = true;
		return;
	}
	rd_rest(r, o, true);
}

/* SVCB/HTTPS SvcParams (RFC 9460) in key order, as pdns 4.7 prints them. */
static const char *const svc_keys[] = { "mandatory", "alpn", "no-default-alpn",
    "port", "ipv4hint", "ech", "ipv6hint" };

static void
svc_key(struct out *o, unsigned k)
{
	if (k < NITEMS(svc_keys))
		out_str(o, svc_keys[k]);
	else
		out_fmt(o, "key%u", k);
}

/* One value byte inside a comma-separated list (alpn): escape , and \. */
static void
svc_list_text(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == ',' || c == '\\') {
			char e[2] = { '\\', (char)c };
			out_mem(o, e, 2);
		} else if (c < 0x20 || c > 0x7e)
			out_fmt(o, "\\%03u", c);
		else
			out_mem(o, &c, 1);
	}
}

static void
rd_svcparams(struct rd *r, struct out *o)
{
	int	 last = -1;

	while (rd_left(r) > 0) {
		unsigned	 key = rd_u16(r), n = rd_u16(r);
		const uint8_t	*v = rd_take(r, n);
		struct rd	 vr = { v, n, 0, v == NULL };

		if (r->bad || (int)key <= last) {
			r->bad = true;		/* keys must be strictly increasing */
			return;
		}
		last = (int)key;
		out_sep(o);
		svc_key(o, key);
		switch (key) {
		case 0:			/* mandatory */
			if (n == 0 || n % 2) { r->bad = true; return; }
			out_mem(o, "=", 1);
			for (unsigned i = 0; i < n; i += 2) {
				if (i) out_mem(o, ",", 1);
				svc_key(o, (unsigned)(v[i] << 8 | v[i + 1]));
			}
			break;
		case 1:			/* alpn */
			out_mem(o, "=", 1);
			for (bool first = true; rd_left(&vr) > 0; first = false) {
				unsigned l = rd_u8(&vr);
				const uint8_t *a = rd_take(&vr, l);
				if (a == NULL || l == 0) { r->bad = true; return; }
				if (!first) out_mem(o, ",", 1);
				svc_list_text(o, a, l);
			}
			break;
		case 2:			/* no-default-alpn */
			if (n != 0) { r->bad = true; return; }
			break;
		case 3:			/* port */
			if (n != 2) { r->bad = true; return; }
			out_fmt(o, "=%u", rd_u16(&vr));
			break;
		case 4:			/* ipv4hint */
		case 6: {		/* ipv6hint */
			size_t al = key == 4 ? 4 : 16;
			char b[INET6_ADDRSTRLEN];
			if (n == 0 || n % al) { r->bad = true; return; }
			out_mem(o, "=", 1);
			for (size_t i = 0; i < n; i += al) {
				inet_ntop(key == 4 ? AF_INET : AF_INET6, v + i, b, sizeof(b));
				out_fmt(o, "%s%s", i ? "," : "", b);
			}
			break;
		}
		case 5:			/* ech: base64, quoted */
			out_mem(o, "=\"", 2);
			out_b64(o, v, n);
			out_mem(o, "\"", 1);
			break;
		default:		/* keyNNNNN="value" */
			out_mem(o, "=", 1);
			out_text(o, v, n);
			break;
		}
	}
}

/* pdns's type table (qtype.cc): mnemonics it knows by name. */
static const struct { uint16_t type; const char *name; bool parsed; } types[] = {
	{ 1, "A", true }, { 2, "NS", true }, { 5, "CNAME", true }, { 6, "SOA", true },
	{ 7, "MB", true }, { 8, "MG", true }, { 9, "MR", true }, { 12, "PTR", true },
	{ 13, "HINFO", true }, { 14, "MINFO", true }, { 15, "MX", true },
	{ 16, "TXT", true }, { 17, "RP", true }, { 18, "AFSDB", true },
	{ 24, "SIG", false }, { 25, "KEY", true }, { 28, "AAAA", true },
	{ 29, "LOC", true }, { 33, "SRV", true }, { 35, "NAPTR", true },
	{ 36, "KX", true }, { 37, "CERT", true }, { 38, "A6", false },
	{ 39, "DNAME", true }, { 41, "OPT", false }, { 42, "APL", true },
	{ 43, "DS", true }, { 44, "SSHFP", true }, { 45, "IPSECKEY", true },
	{ 46, "RRSIG", true }, { 47, "NSEC", true }, { 48, "DNSKEY", true },
	{ 49, "DHCID", true }, { 50, "NSEC3", true }, { 51, "NSEC3PARAM", true },
	{ 52, "TLSA", true }, { 53, "SMIMEA", true }, { 57, "RKEY", true },
	{ 59, "CDS", true }, { 60, "CDNSKEY", true }, { 61, "OPENPGPKEY", true },
	{ 62, "CSYNC", true }, { 63, "ZONEMD", true }, { 64, "SVCB", true },
	{ 65, "HTTPS", true }, { 99, "SPF", true }, { 104, "NID", true },
	{ 105, "L32", true }, { 106, "L64", true }, { 107, "LP", true },
	{ 108, "EUI48", true }, { 109, "EUI64", true }, { 249, "TKEY", false },
	{ 251, "IXFR", false }, { 252, "AXFR", false }, { 253, "MAILB", false },
	{ 254, "MAILA", false }, { 255, "ANY", false }, { 256, "URI", true },
	{ 257, "CAA", true }, { 32769, "DLV", true }, { 65400, "ADDR", false },
	{ 65401, "ALIAS", true },
};

static int
type_index(uint16_t t)
{
	for (size_t i = 0; i < NITEMS(types); i++)
		if (types[i].type == t)
			return (int)i;
	return -1;
}

/* Render rdata of a type pdns parses; false if pdns has no parser for it. */
static bool
render(uint16_t t, struct rd *r, struct out *o, int32_t *prio)
{
	switch (t) {
	case 1: rd_ip(r, o, AF_INET); break;
	case 28: rd_ip(r, o, AF_INET6); break;
	case 2: case 5: case 7: case 8: case 9: case 12: case 39: case 65401:
		rd_name(r, o);
		break;
	case 14: case 17:			/* MINFO, RP */
		rd_name(r, o);
		rd_name(r, o);
		break;
	case 6:
		rd_name(r, o);
		rd_name(r, o);
		for (int i = 0; i < 5; i++)
			rd_num(r, o, 4);
		break;
	case 15:				/* MX: preference in prio */
		*prio = (int32_t)rd_u16(r);
		rd_name(r, o);
		break;
	case 33:				/* SRV: priority in prio */
		*prio = (int32_t)rd_u16(r);
		rd_num(r, o, 2);
		rd_num(r, o, 2);
		rd_name(r, o);
		break;
	case 18: case 36: case 107:		/* AFSDB, KX, LP */
		rd_num(r, o, 2);
		rd_name(r, o);
		break;
	case 16: case 99:			/* TXT, SPF */
		if (rd_left(r) == 0)
			r->bad = true;
		while (rd_left(r) > 0)
			rd_text(r, o);
		break;
	case 13:				/* HINFO */
		rd_text(r, o);
		rd_text(r, o);
		break;
	case 35:				/* NAPTR */
		rd_num(r, o, 2);
		rd_num(r, o, 2);
		rd_text(r, o);
		rd_text(r, o);
		rd_text(r, o);
		rd_name(r, o);
		break;
	case 37:				/* CERT */
		rd_num(r, o, 2);
		rd_num(r, o, 2);
		rd_num(r, o, 1);
		rd_rest(r, o, true);
		break;
	case 29: rd_loc(r, o); break;
	case 44:				/* SSHFP */
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_rest(r, o, false);
		break;
	case 52: case 53:			/* TLSA, SMIMEA */
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_rest(r, o, false);
		break;
	case 43: case 59: case 32769:		/* DS, CDS, DLV */
		rd_num(r, o, 2);
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_rest(r, o, false);
		break;
	case 25: case 48: case 57: case 60:	/* KEY, DNSKEY, RKEY, CDNSKEY */
		rd_num(r, o, 2);
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_rest(r, o, true);
		break;
	case 46: {				/* RRSIG */
		char tb[16];
		out_str(o, rr_type_name((uint16_t)rd_u16(r), tb, sizeof(tb)));
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_num(r, o, 4);
		rd_time(r, o);
		rd_time(r, o);
		rd_num(r, o, 2);
		rd_name(r, o);
		rd_rest(r, o, true);
		break;
	}
	case 47:				/* NSEC */
		rd_name(r, o);
		rd_bitmap(r, o);
		break;
	case 50: {				/* NSEC3 */
		rd_nsec3_params(r, o);
		unsigned hl = rd_u8(r);
		const uint8_t *h = rd_take(r, hl);
		char b32[64];
		size_t bl = 0;
		if (h != NULL) {		/* base32hex, RFC 4648 */
			static const char a[] = "0123456789abcdefghijklmnopqrstuv";
			uint32_t acc = 0;
			int bits = 0;
			for (unsigned i = 0; i < hl && bl < sizeof(b32) - 2; i++) {
				acc = acc << 8 | h[i];
				for (bits += 8; bits >= 5 && bl < sizeof(b32) - 2; bits -= 5)
					b32[bl++] = a[(acc >> (bits - 5)) & 31];
			}
			if (bits > 0)
				b32[bl++] = a[(acc << (5 - bits)) & 31];
		}
		b32[bl] = '\0';
		out_sep(o);
		out_str(o, b32);
		rd_bitmap(r, o);
		break;
	}
	case 51:				/* NSEC3PARAM */
		rd_nsec3_params(r, o);
		break;
	case 49: case 61:			/* DHCID, OPENPGPKEY */
		rd_rest(r, o, true);
		break;
	case 45: rd_ipseckey(r, o); break;
	case 42: rd_apl(r, o); break;
	case 62:				/* CSYNC */
		rd_num(r, o, 4);
		rd_num(r, o, 2);
		rd_bitmap(r, o);
		break;
	case 63:				/* ZONEMD */
		rd_num(r, o, 4);
		rd_num(r, o, 1);
		rd_num(r, o, 1);
		rd_rest(r, o, false);
		break;
	case 108: rd_eui(r, o, 6); break;
	case 109: rd_eui(r, o, 8); break;
	case 104: case 106:			/* NID, L64 */
		rd_num(r, o, 2);
		rd_locator64(r, o);
		break;
	case 105:				/* L32 */
		rd_num(r, o, 2);
		rd_ip(r, o, AF_INET);
		break;
	case 256: {				/* URI */
		rd_num(r, o, 2);
		rd_num(r, o, 2);
		size_t n = rd_left(r);
		const uint8_t *p = rd_take(r, n);
		out_sep(o);
		if (p != NULL)
			out_text(o, p, n);
		break;
	}
	case 257: {				/* CAA */
		rd_num(r, o, 1);
		unsigned tl = rd_u8(r);
		const uint8_t *tag = rd_take(r, tl);
		if (tag == NULL || tl == 0) {
			r->bad = true;
			break;
		}
		out_sep(o);
		out_mem(o, tag, tl);
		size_t n = rd_left(r);
		const uint8_t *v = rd_take(r, n);
		out_sep(o);
		out_text(o, v ? v : (const uint8_t *)"", n);
		break;
	}
	case 64: case 65:			/* SVCB, HTTPS */
		rd_num(r, o, 2);
		rd_name(r, o);
		rd_svcparams(r, o);
		break;
	default:
		return false;
	}
	return true;
}

/*
 * The record's rdata as on the wire: ldns split it into fields and expanded
 * any name compression; join the fields.  SIZE_MAX if it does not fit.
 */
static size_t
rdata_wire(const ldns_rr *rr, uint8_t *wire, size_t len)
{
	size_t	 n = 0;

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (n + ldns_rdf_size(f) > len)
			return SIZE_MAX;
		memcpy(wire + n, ldns_rdf_data(f), ldns_rdf_size(f));
		n += ldns_rdf_size(f);
	}
	return n;
}

int
rr_content(const ldns_rr *rr, char *buf, size_t buflen, int32_t *prio)
{
	static __thread uint8_t	 wire[65536];
	struct out		 o = { buf, 0, buflen, false };
	uint16_t		 t = ldns_rr_get_type(rr);
	size_t			 n = 0;
	struct rd		 r;

	buf[0] = '\0';
	*prio = 0;
	if ((n = rdata_wire(rr, wire, sizeof(wire))) == SIZE_MAX)
		return -1;
	r = (struct rd){ wire, n, 0, false };
	if (render(t, &r, &o, prio)) {
		if (r.bad || rd_left(&r) != 0)
			return -1;	/* pdns refuses such a record, and so do we */
		return o.over ? -1 : 0;
	}
	/* RFC 3597 form for what pdns does not parse */
	out_fmt(&o, "\\# %zu ", n);
	out_hex(&o, wire, n);
	return o.over ? -1 : 0;
}

const char *
rr_type_name(uint16_t type, char *buf, size_t buflen)
{
	int	 i = type_index(type);

	if (i >= 0)
		return types[i].name;
	snprintf(buf, buflen, "TYPE%u", type);
	return buf;
}

/*
 * The budget of one conversion.  Every allocation that grows with what the
 * master sent is charged before it is made; the clock and the stop flag are
 * looked at every few thousand steps (a step weighs what it costs: an NSEC3
 * hash its iterations).  Past either, the conversion ends with the reason.
 */
static bool
charge(struct rr_set *s, size_t n)
{
	if (s->budget.max_mem != 0 && s->mem + n > s->budget.max_mem) {
		if (s->over == RR_OVER_NONE)
			s->over = RR_OVER_MEMORY;
		return false;
	}
	s->mem += n;
	return s->over == RR_OVER_NONE;
}

static bool
tick(struct rr_set *s, unsigned weight)
{
	if (s->over != RR_OVER_NONE)
		return false;
	if ((s->ticks += weight) < 4096)
		return true;
	s->ticks = 0;
	if (s->budget.stop != NULL && atomic_load(s->budget.stop))
		s->over = RR_OVER_STOP;
	else if (s->budget.deadline != 0 && util_now_ms() >= s->budget.deadline)
		s->over = RR_OVER_TIME;
	return s->over == RR_OVER_NONE;
}

/* The reason the budget gives; -1 for the caller to return. */
static int
over_err(const struct rr_set *s, char *err, size_t errlen)
{
	switch (s->over) {
	case RR_OVER_MEMORY:
		snprintf(err, errlen, "converting the zone needs more than %zu %s of memory "
		    "(transfer.max-memory)", s->budget.max_mem >= 1 << 20 ?
		    s->budget.max_mem >> 20 : s->budget.max_mem,
		    s->budget.max_mem >= 1 << 20 ? "MiB" : "bytes");
		break;
	case RR_OVER_TIME:
		snprintf(err, errlen, "transfer took longer than transfer.timeout "
		    "(converting the zone)");
		break;
	case RR_OVER_STOP:
		snprintf(err, errlen, "shutting down");
		break;
	case RR_OVER_NONE:
		break;
	}
	return -1;
}

/*
 * Once the rows are final, the name tables are done with and the row
 * array is cut to its rows: a finished zone waits in its worker's group
 * (up to GROUP_ROWS rows of small zones) until the group is written.  The
 * charge stays: it is the most the zone held.
 */
static void
compact(struct rr_set *s)
{
	free(s->names.slot);
	free(s->names.ent);
	free(s->secured.slot);
	free(s->secured.ent);
	memset(&s->names, 0, sizeof(s->names));
	memset(&s->secured, 0, sizeof(s->secured));
	if (s->n > 0 && s->n < s->cap) {
		s->rows = xreallocarray(s->rows, s->n, sizeof(*s->rows));
		s->cap = s->n;
	}
}

/* The arena: strings of one zone, freed at once.  NULL over budget. */
struct rr_arena {
	struct rr_arena	*next;
	size_t		 used, cap;
	char		 data[];
};

static char *
arena_strdup(struct rr_set *s, const char *str, size_t n)
{
	struct rr_arena	*a = s->arena;

	if (a == NULL || a->used + n + 1 > a->cap) {
		/* 1 KiB first, doubling to 64 KiB: most zones are small */
		size_t cap = a == NULL ? 1024 : a->cap < 65536 ? a->cap * 2 : 65536;
		if (cap < n + 1)
			cap = n + 1;
		if (!charge(s, sizeof(*a) + cap))
			return NULL;
		a = xmalloc(sizeof(*a) + cap);
		a->used = 0;
		a->cap = cap;
		a->next = s->arena;
		s->arena = a;
	}
	char *p = a->data + a->used;
	memcpy(p, str, n);
	p[n] = '\0';
	a->used += n + 1;
	return p;
}

static void
lower(char *p)
{
	for (; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
}

/*
 * The name table: open addressing, keyed hashes kept in the slot.  A name
 * is a key of len bytes; keys are NUL-terminated copies in the arena.
 */
#define RR_N_OWNER	0x001	/* a row's owner */
#define RR_N_CUT	0x002	/* owner of NS below the apex: a delegation */
#define RR_N_ENT	0x004	/* an empty non-terminal */
#define RR_N_ENT_AUTH	0x008	/* ... authoritative */
#define RR_N_WALK0	0x010	/* its ancestors' ENTs done for a non-auth row */
#define RR_N_WALK1	0x020	/* ... for an auth row */
#define RR_N_KNOWN	0x040	/* RR_N_BELOW worked out */
#define RR_N_BELOW	0x080	/* at or below a delegation */
#define RR_N_ORDER	0x100	/* order worked out (it may be NULL) */

#define TAG(h)		((h) & 0xffffffff00000000ULL)

/*
 * The slot of a name: its own, or the empty one where it would go.  Only a
 * slot whose half hash matches has its key read.
 */
static uint64_t *
names_slot(struct rr_set *s, const struct rr_names *t, const char *k, size_t len,
    uint64_t h)
{
	for (size_t j = h & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
		uint64_t	 v = t->slot[j];
		const char	*key;

		s->probes++;
		if (v == 0)
			return &t->slot[j];
		if (TAG(v) != TAG(h))
			continue;
		key = t->ent[(uint32_t)v - 1].key;
		if (strncmp(key, k, len) == 0 && key[len] == '\0')
			return &t->slot[j];
	}
}

/*
 * Room for more names without moving any entry (a walk holds pointers to
 * them); false over budget.  The slots, at most half full, are 8 bytes a
 * name in the table and 24 in the entries: a big zone's table is a third
 * of what slots holding the entries took, and memory first touched is what
 * a large transfer pays most for (a page fault each 4 KiB).
 */
static bool
names_reserve(struct rr_set *s, struct rr_names *t, size_t more)
{
	size_t		 need = t->n + more, ecap = t->ecap ? t->ecap : 32;
	size_t		 ncap = t->cap ? t->cap : 64;	/* most zones are small */
	uint64_t	*ns;

	while (need > ecap)
		ecap *= 2;
	if (ecap != t->ecap) {
		if (!charge(s, (ecap - t->ecap) * sizeof(*t->ent)))
			return false;
		t->ent = xreallocarray(t->ent, ecap, sizeof(*t->ent));
		t->ecap = ecap;
	}
	while (need * 2 > ncap)
		ncap *= 2;
	if (ncap == t->cap)
		return true;
	if (!charge(s, (ncap - t->cap) * sizeof(*ns)))
		return false;
	ns = xcalloc(ncap, sizeof(*ns));
	for (size_t i = 0; i < t->cap; i++) {
		size_t m;

		if (t->slot[i] == 0)
			continue;
		m = t->ent[(uint32_t)t->slot[i] - 1].hash & (ncap - 1);
		while (ns[m] != 0)
			m = (m + 1) & (ncap - 1);
		ns[m] = t->slot[i];
	}
	free(t->slot);
	t->slot = ns;
	t->cap = ncap;
	return true;
}

/* The entry of a name, added (copied) if new; NULL over budget. */
static struct rr_name *
names_intern(struct rr_set *s, struct rr_names *t, const char *k, size_t len)
{
	uint64_t	 h = util_keyed_hash(k, len), *v;
	const char	*copy;

	if (t->cap > 0 && *(v = names_slot(s, t, k, len, h)) != 0)
		return &t->ent[(uint32_t)*v - 1];
	if (!names_reserve(s, t, 1) || (copy = arena_strdup(s, k, len)) == NULL)
		return NULL;
	v = names_slot(s, t, k, len, h);
	t->ent[t->n] = (struct rr_name){ copy, NULL, 0, (uint32_t)h };
	*v = TAG(h) | (uint64_t)(t->n + 1);
	return &t->ent[t->n++];
}

static struct rr_name *
names_get(struct rr_set *s, const struct rr_names *t, const char *k)
{
	size_t		 len = strlen(k);
	uint64_t	*v;

	if (t->cap == 0 || *(v = names_slot(s, t, k, len, util_keyed_hash(k, len))) == 0)
		return NULL;
	return &t->ent[(uint32_t)*v - 1];
}

void
rr_set_init(struct rr_set *s, const char *apex)
{
	memset(s, 0, sizeof(*s));
	util_strlcpy(s->apex, apex, sizeof(s->apex));
	lower(s->apex);
	s->budget.max_iterations = -1;
}

void
rr_set_budget(struct rr_set *s, const struct rr_budget *b)
{
	s->budget = *b;
}

/*
 * A big zone's arrays grown by doubling are copied at each step, into
 * memory touched for the first time: a page fault each 4 KiB, what a large
 * transfer pays most for.  With the size known they are made once (and
 * what malloc gives beyond what is used is never touched).
 */
void
rr_set_reserve(struct rr_set *s, size_t n)
{
	size_t	 slots = 64, cost;

	if (n == 0 || n > UINT32_MAX / 4 || s->n > 0 || s->names.n > 0)
		return;
	while (slots < n * 2)
		slots *= 2;
	cost = n * (sizeof(*s->rows) + sizeof(*s->names.ent)) + slots * sizeof(*s->names.slot);
	if (s->budget.max_mem != 0 && s->mem + cost > s->budget.max_mem / 2)
		return;
	if (s->cap < n && charge(s, (n - s->cap) * sizeof(*s->rows))) {
		s->rows = xreallocarray(s->rows, n, sizeof(*s->rows));
		s->cap = n;
	}
	names_reserve(s, &s->names, n);
}

void
rr_set_free(struct rr_set *s)
{
	struct rr_arena	*a, *next;

	for (a = s->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(s->rows);
	free(s->names.slot);
	free(s->names.ent);
	free(s->secured.slot);
	free(s->secured.ent);
	memset(s, 0, sizeof(*s));
}

static struct rr_row *
row_append(struct rr_set *s)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		if (!charge(s, (ncap - s->cap) * sizeof(*s->rows)))
			return NULL;
		s->rows = xreallocarray(s->rows, ncap, sizeof(*s->rows));
		s->cap = ncap;
	}
	memset(&s->rows[s->n], 0, sizeof(s->rows[0]));
	return &s->rows[s->n++];
}

/*
 * The name relative to the apex ("" at the apex, the whole name when the
 * apex is the root); NULL when outside it.
 */
static const char *
name_relative(const char *name, const char *apex, size_t *len)
{
	size_t	 n = strlen(name), a = strlen(apex);

	if (strcmp(name, apex) == 0) {
		*len = 0;
		return name;
	}
	if (strcmp(apex, ".") == 0) {
		*len = n;
		return name;
	}
	if (n <= a + 1 || name[n - a - 1] != '.' || strcmp(name + n - a, apex) != 0)
		return NULL;
	*len = n - a - 1;
	return name;
}

/* NSEC3 iterations over the cap (RFC 9276): true with the reason in err. */
static bool
iterations_over(const struct rr_set *s, unsigned iterations, char *err, size_t errlen)
{
	if (s->budget.max_iterations < 0 || iterations <= (unsigned)s->budget.max_iterations)
		return false;
	snprintf(err, errlen, "NSEC3PARAM has %u iterations, more than "
	    "transfer.max-nsec3-iterations (%d; RFC 9276): every name would be hashed "
	    "%u times", iterations, s->budget.max_iterations, iterations + 1);
	return true;
}

/*
 * What pdns's processRecordForZS does with a record: NSEC, NSEC3 and
 * NSEC3PARAM set the zone's DNSSEC status and are not stored; everything
 * else is, and its owner joins the names (and NS owners below the apex the
 * delegations).
 */
static int
zone_status(struct rr_set *s, const ldns_rr *rr, const char *name, char *err,
    size_t errlen)
{
	const uint8_t	*d;
	size_t		 n = 0, rl;
	uint8_t		 wire[2048];

	if ((n = rdata_wire(rr, wire, sizeof(wire))) == SIZE_MAX)
		return 0;
	d = wire;
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_NSEC3PARAM:
		if (n < 5 || (size_t)d[4] + 5 != n) {
			snprintf(err, errlen, "%s: malformed NSEC3PARAM", name);
			return -1;
		}
		s->zs.nsec3.alg = d[0];
		s->zs.nsec3.flags = d[1];
		s->zs.nsec3.iterations = (uint16_t)(d[2] << 8 | d[3]);
		s->zs.nsec3.saltlen = d[4];
		memcpy(s->zs.nsec3.salt, d + 5, d[4]);
		s->zs.dnssec_zone = s->zs.is_nsec3 = true;
		/* at the record: the rest of the transfer is not worth reading */
		return iterations_over(s, s->zs.nsec3.iterations, err, errlen) ? -1 : 1;
	case LDNS_RR_TYPE_NSEC3: {
		bool optout;
		if (n < 6) {
			snprintf(err, errlen, "%s: malformed NSEC3", name);
			return -1;
		}
		optout = d[1] & 1;
		if (!s->zs.seen_nsec3) {
			s->zs.dnssec_zone = s->zs.presigned = true;
			s->zs.seen_nsec3 = true;
		} else if (s->zs.optout != optout) {
			snprintf(err, errlen, "a mixture of opt-out and non-opt-out NSEC3 "
			    "records (pdns refuses such zones)");
			return -1;
		}
		s->zs.optout = optout;
		/* Is the NS bit set in the type bitmap? */
		size_t off = 5 + (size_t)d[4];
		if (off >= n || off + 1 + d[off] > n) {
			snprintf(err, errlen, "%s: malformed NSEC3", name);
			return -1;
		}
		off += 1 + d[off];
		bool ns = false;
		while (off + 2 <= n) {
			unsigned win = d[off], bl = d[off + 1];
			if (off + 2 + bl > n)
				break;
			if (win == 0 && bl >= 1 && (d[off + 2] & 0x20))
				ns = true;
			off += 2 + bl;
		}
		const char *rel = name_relative(name, s->apex, &rl);
		if (ns && rel != NULL && rl > 0 && names_intern(s, &s->secured, rel, rl) == NULL)
			return over_err(s, err, errlen);
		return 1;
	}
	case LDNS_RR_TYPE_NSEC:
		s->zs.dnssec_zone = s->zs.presigned = true;
		return 1;
	default:
		return 0;
	}
}

int
rr_set_add(struct rr_set *s, const ldns_rr *rr, char *err, size_t errlen)
{
	static __thread char	 content[65536];
	char			 name[1100], tbuf[16];
	const ldns_rdf		*owner = ldns_rr_owner(rr);
	struct rr_row		*row;
	struct rr_name		*e;
	int32_t			 prio;
	const char		*type;
	int			 st;

	if (!tick(s, 1))
		return over_err(s, err, errlen);
	if (rr_dname_str(ldns_rdf_data(owner), ldns_rdf_size(owner), true,
	    name, sizeof(name)) == -1) {
		snprintf(err, errlen, "owner name does not convert");
		return -1;
	}
	if (rr_content(rr, content, sizeof(content), &prio) == -1) {
		snprintf(err, errlen, "%s: malformed rdata for type %s", name,
		    rr_type_name(ldns_rr_get_type(rr), tbuf, sizeof(tbuf)));
		return -1;
	}
	if ((st = zone_status(s, rr, name, err, errlen)) != 0)
		return st < 0 ? -1 : 0;
	if (strlen(content) > 64000) {
		snprintf(err, errlen, "%s: content longer than the column", name);
		return -1;
	}
	type = rr_type_name(ldns_rr_get_type(rr), tbuf, sizeof(tbuf));
	/* each name once: a million records at one deep owner cost one copy */
	if ((e = names_intern(s, &s->names, name, strlen(name))) == NULL ||
	    (row = row_append(s)) == NULL)
		return over_err(s, err, errlen);
	row->name = e->key;
	/* pdns's type names are static; only TYPEnnn needs a copy */
	row->type = type == tbuf ? arena_strdup(s, tbuf, strlen(tbuf)) : type;
	row->content = arena_strdup(s, content, strlen(content));
	if (row->type == NULL || row->content == NULL)
		return over_err(s, err, errlen);
	row->ttl = ldns_rr_ttl(rr);
	row->prio = prio;
	row->auth = 1;
	e->flags |= RR_N_OWNER;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && strcmp(row->name, s->apex) != 0)
		e->flags |= RR_N_CUT;
	return 0;
}

/* The parent of a presentation name: past the first unescaped dot. */
static const char *
name_parent(const char *n)
{
	for (const char *p = n; *p != '\0'; p++) {
		if (*p == '\\') {
			if (isdigit((unsigned char)p[1]))
				p += 3;
			else if (p[1] != '\0')
				p++;
			continue;
		}
		if (*p == '.')
			return p + 1;
	}
	return NULL;
}

/* NSEC ordername: labels relative to the apex, reversed, joined by spaces. */
static const char *
ordername_nsec(struct rr_set *s, const char *name)
{
	char		 buf[1100];
	const char	*labels[128];
	size_t		 rl, nl = 0, len = 0;
	const char	*rel = name_relative(name, s->apex, &rl);

	if (rel == NULL)
		return NULL;
	for (const char *p = rel; p < rel + rl && nl < NITEMS(labels);) {
		labels[nl++] = p;
		const char *q = name_parent(p);
		p = (q == NULL || q > rel + rl) ? rel + rl + 1 : q;
	}
	for (size_t i = nl; i-- > 0;) {
		const char *end = i + 1 < nl ? labels[i + 1] - 1 : rel + rl;
		size_t l = (size_t)(end - labels[i]);
		if (len + l + 2 > sizeof(buf))
			return NULL;
		if (len > 0)
			buf[len++] = ' ';
		memcpy(buf + len, labels[i], l);
		len += l;
	}
	return arena_strdup(s, buf, len);
}

/* NSEC3 ordername: the base32hex hash of the owner (RFC 5155). */
static const char *
ordername_nsec3(struct rr_set *s, const struct rr_nsec3 *p, const char *name)
{
	ldns_rdf	*dn = NULL, *h;
	char		*str, *dot;
	const char	*ret = NULL;

	s->hashes++;
	if (ldns_str2rdf_dname(&dn, name) != LDNS_STATUS_OK)
		return NULL;
	h = ldns_nsec3_hash_name(dn, p->alg, p->iterations, p->saltlen, (uint8_t *)p->salt);
	ldns_rdf_deep_free(dn);
	if (h == NULL)
		return NULL;
	if ((str = ldns_rdf2str(h)) != NULL) {
		if ((dot = strchr(str, '.')) != NULL)
			*dot = '\0';
		lower(str);
		ret = arena_strdup(s, str, strlen(str));
		free(str);
	}
	ldns_rdf_deep_free(h);
	return ret;
}

/*
 * The ordername of a name, worked out once per name however many rows it
 * owns (an NSEC3 hash costs its iterations).  NULL with s->over set: over
 * budget; NULL otherwise: none (as pdns).
 */
static const char *
order_of(struct rr_set *s, struct rr_name *e, const struct rr_nsec3 *p, bool nsec3)
{
	if (!(e->flags & RR_N_ORDER)) {
		if (!tick(s, nsec3 ? 1u + p->iterations : 1u))
			return NULL;
		e->order = nsec3 ? ordername_nsec3(s, p, e->key) : ordername_nsec(s, e->key);
		e->flags |= RR_N_ORDER;
	}
	return e->order;
}

static bool
nsec3_eq(const struct rr_nsec3 *a, const struct rr_nsec3 *b)
{
	return a->alg == b->alg && a->flags == b->flags && a->iterations == b->iterations &&
	    a->saltlen == b->saltlen && memcmp(a->salt, b->salt, a->saltlen) == 0;
}

void
rr_nsec3_text(const struct rr_nsec3 *p, char *buf, size_t len)
{
	int	 n = snprintf(buf, len, "%u %u %u ", p->alg, p->flags, p->iterations);

	if (p->saltlen == 0)
		snprintf(buf + n, len - (size_t)n, "-");
	for (unsigned i = 0; i < p->saltlen && (size_t)n + 3 < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%02x", p->salt[i]);
}

/* The DNSSEC metadata pdns changes after this transfer (dnssec mode only). */
static void
decide_meta(const struct rr_had *had, bool dz, bool presigned,
    bool nsec3, const struct rr_nsec3 *p, bool narrow, struct rr_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (dz) {
		if (presigned && !had->presigned)
			m->presigned = 1;
		else if (had->presigned && !presigned)
			m->presigned = -1;
		if (nsec3) {
			if (!had->nsec3 || had->narrow != narrow || !nsec3_eq(p, &had->param)) {
				m->nsec3param = 1;
				m->narrow = narrow;
				rr_nsec3_text(p, m->nsec3param_text, sizeof(m->nsec3param_text));
			}
		} else if (had->nsec3)
			m->nsec3param = -1;
	} else if (had->presigned || had->active_keys > 0) {
		if (had->presigned)
			m->presigned = -1;
		if (had->nsec3)
			m->nsec3param = -1;
	}
}

/* At least the labels of a presentation name (an escaped dot counts too). */
static size_t
labels(const char *n)
{
	size_t	 k = 2;

	for (; *n != '\0'; n++)
		k += *n == '.';
	return k;
}

/*
 * Whether a name in the zone is at or below a delegation (pdns: an NS owner
 * other than the apex among its ancestors or itself).  Each name's answer
 * is kept, so a walk stops at the first ancestor worked out before: the
 * work is linear in the names, not in rows times depth.  The ancestors join
 * the table (the ENT walk needs them too), the name's own entry goes to
 * *self; -1 over budget.
 */
static int
below_cut(struct rr_set *s, const char *name, struct rr_name **self)
{
	struct rr_name	*chain[130], *e;
	size_t		 nc = 0;
	bool		 below = false;

	*self = NULL;
	for (const char *n = name; n != NULL && nc < NITEMS(chain); n = name_parent(n)) {
		if ((e = names_intern(s, &s->names, n, strlen(n))) == NULL)
			return -1;
		if (n == name)
			*self = e;	/* the caller's entry: one lookup a row */
		if (e->flags & RR_N_KNOWN) {
			below = (e->flags & RR_N_BELOW) != 0;
			break;
		}
		chain[nc++] = e;
		if (strcmp(n, s->apex) == 0)
			break;
	}
	while (nc-- > 0) {
		below = below || (chain[nc]->flags & RR_N_CUT);
		chain[nc]->flags |= RR_N_KNOWN | (below ? RR_N_BELOW : 0);
	}
	return below;
}

/*
 * pdns's empty non-terminals for one row (e: its owner's entry): every
 * ancestor between the owner and the apex that owns no row, authoritative if any row below it is.
 * A name marked walked (for this auth, or for auth) has had its ancestors
 * done, so the walk stops there.  Past RR_MAX_ENTS, *doent goes false, as
 * pdns's max-ent-entries.  -1 over budget.
 */
static int
walk_ents(struct rr_set *s, struct rr_name *e, bool auth, size_t *ents, bool *doent)
{
	uint32_t	 walk = auth ? RR_N_WALK1 : RR_N_WALK0;
	const char	*n = e->key, *p;

	for (;;) {
		if (e->flags & (RR_N_WALK1 | walk))
			return 0;
		e->flags |= walk;
		if (strcmp(n, s->apex) == 0 || (p = name_parent(n)) == NULL ||
		    strcmp(p, s->apex) == 0)
			return 0;
		if ((e = names_intern(s, &s->names, p, strlen(p))) == NULL)
			return -1;
		n = p;
		if (e->flags & RR_N_OWNER)
			continue;
		if (!(e->flags & RR_N_ENT)) {
			e->flags |= RR_N_ENT;
			if (++*ents > RR_MAX_ENTS) {
				*doent = false;
				return 0;
			}
		}
		if (auth)
			e->flags |= RR_N_ENT_AUTH;
	}
}

static bool
secured(struct rr_set *s, const char *hash)
{
	return hash != NULL && names_get(s, &s->secured, hash) != NULL;
}

int
rr_set_finish(struct rr_set *s, const struct rr_had *had, bool dnssec_mode,
    struct rr_meta *meta, char *err, size_t errlen)
{
	static const struct rr_had	 none;
	bool				 dz = s->zs.dnssec_zone, presigned = s->zs.presigned;
	bool				 nsec3 = s->zs.is_nsec3, optout = s->zs.optout;
	bool				 narrow = false, doent = true;
	struct rr_nsec3			 p = s->zs.nsec3;
	size_t				 out = 0, ents = 0, text = 0, rl;

	if (!dnssec_mode || had == NULL)
		had = &none;
	if (nsec3)
		p.flags = optout ? 1 : 0;
	if (!presigned && had->keys > 0) {	/* pdns signs it live from its keys */
		dz = true;
		nsec3 = had->nsec3;
		p = had->param;
		optout = had->param.flags & 1;
		narrow = had->narrow;
	}
	if (nsec3 && p.alg != 1 && dnssec_mode) {
		snprintf(err, errlen, "NSEC3PARAM algorithm %u (pdns takes only 1)", p.alg);
		return -1;
	}
	if (nsec3 && iterations_over(s, p.iterations, err, errlen))
		return -1;	/* the NSEC3PARAM pdns signs with, from its metadata */
	decide_meta(had, dz, presigned, nsec3, &p, narrow, meta);
	if (!dnssec_mode)
		memset(meta, 0, sizeof(*meta));

	for (size_t i = 0; i < s->n; i++) {
		struct rr_row	*r = &s->rows[i];
		bool		 is_rrsig = strcmp(r->type, "RRSIG") == 0;
		bool		 is_ns = strcmp(r->type, "NS") == 0;
		bool		 is_ds = strcmp(r->type, "DS") == 0;
		bool		 auth, ent_auth;
		struct rr_name	*e;
		int		 below;

		if (!presigned && (is_rrsig || (dz && strcmp(r->type, "DNSKEY") == 0)))
			continue;	/* pdns drops these */
		/* a walk adds at most one name per label: no slot moves during it */
		if (!tick(s, 1) || !names_reserve(s, &s->names, labels(r->name)) ||
		    (below = below_cut(s, r->name, &e)) == -1 || e == NULL)
			return over_err(s, err, errlen);
		/* Below (or at) a delegation everything but DS is not authoritative. */
		auth = is_ds || !below;
		/* Empty non-terminals between the owner and the apex. */
		ent_auth = auth;
		if (!auth && is_ns)
			ent_auth = !nsec3 || !optout || secured(s, order_of(s, e, &p, true));
		if (doent && name_relative(r->name, s->apex, &rl) != NULL &&
		    walk_ents(s, e, ent_auth, &ents, &doent) == -1)
			return over_err(s, err, errlen);
		if (is_rrsig)
			auth = true;
		r->ordername = NULL;
		if (dz && !is_rrsig) {
			if (nsec3) {
				const char *hash = order_of(s, e, &p, true);
				if (!narrow && (auth || (is_ns && (!optout || secured(s, hash)))))
					r->ordername = hash;
			} else if (auth || is_ns)
				r->ordername = order_of(s, e, &p, false);
		}
		if (s->over != RR_OVER_NONE)
			return over_err(s, err, errlen);
		r->auth = dnssec_mode ? auth : 1;
		s->rows[out++] = *r;
	}
	s->n = out;

	/* pdns's max-ent-entries: past it, no empty non-terminal at all. */
	if (!doent)
		s->ents_dropped = ents;
	/* NSEC3 zones get ENTs only from a DNSSEC-enabled backend (feedEnts3). */
	else if (!nsec3 || dnssec_mode) {
		for (size_t i = 0; i < s->names.n; i++) {
			struct rr_name	*e = &s->names.ent[i];
			struct rr_row	*row;
			bool		 a;

			if (!(e->flags & RR_N_ENT))
				continue;
			if ((row = row_append(s)) == NULL)
				return over_err(s, err, errlen);
			a = (e->flags & RR_N_ENT_AUTH) != 0;
			row->name = e->key;
			if (nsec3) {
				row->auth = a;
				if (!narrow && a && (row->ordername = order_of(s, e, &p, true)) ==
				    NULL && s->over != RR_OVER_NONE)
					return over_err(s, err, errlen);
			} else
				row->auth = a || !dnssec_mode;
		}
	}
	/*
	 * The write compares the rows with those stored through a copy of
	 * their text (db.c's diff_rows): charge it now, while the zone can
	 * still fail alone.  About twice the text, for the buffer's doubling.
	 */
	for (size_t i = 0; i < s->n; i++) {
		const struct rr_row *r = &s->rows[i];
		text += strlen(r->name) + (r->content ? strlen(r->content) : 0) +
		    (r->ordername ? strlen(r->ordername) : 0) + 96;
	}
	if (!charge(s, 2 * text))
		return over_err(s, err, errlen);
	compact(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* IXFR: the stored rows of a zone, changed by the deltas of an IXFR. */

bool
rr_set_charge(struct rr_set *s, size_t n)
{
	return charge(s, n);
}

int
rr_set_add_row(struct rr_set *s, const char *name, const char *type, const char *content,
    uint32_t ttl, int32_t prio)
{
	struct rr_row	*row;
	struct rr_name	*e;
	const char	*t, *c;

	if (!tick(s, 1) || (e = names_intern(s, &s->names, name, strlen(name))) == NULL ||
	    (t = arena_strdup(s, type, strlen(type))) == NULL ||
	    (c = arena_strdup(s, content, strlen(content))) == NULL ||
	    (row = row_append(s)) == NULL)
		return -1;
	*row = (struct rr_row){ e->key, t, (char *)c, ttl, prio, 1, 0, NULL };
	e->flags |= RR_N_OWNER;
	if (strcmp(type, "NS") == 0 && strcmp(e->key, s->apex) != 0)
		e->flags |= RR_N_CUT;
	return 0;
}

/* A record's identity (RFC 1995: owner, type and rdata; not the TTL). */
static uint64_t
row_key(const struct rr_row *r)
{
	uint64_t h = util_keyed_hash(r->content, strlen(r->content));

	h ^= util_keyed_hash(r->name, strlen(r->name)) * 0x9e3779b97f4a7c15ULL;
	return h ^ (util_keyed_hash(r->type, strlen(r->type)) << 17);
}

static bool
row_same(const struct rr_row *a, const struct rr_row *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->type, b->type) == 0 &&
	    strcmp(a->content, b->content) == 0;
}

int
rr_set_apply(struct rr_set *s, const struct rr_set *delta, char *err, size_t errlen)
{
	bool		*live;
	uint32_t	*slot;			/* row index + 1; 0 empty */
	size_t		 n0 = s->n, cap = 64, want = s->n + delta->n, mask, out = 0;
	int		 rc = -1;

	while (cap < want * 2)
		cap *= 2;
	mask = cap - 1;
	if (!charge(s, cap * sizeof(*slot) + want * sizeof(*live)))
		return over_err(s, err, errlen);
	slot = xcalloc(cap, sizeof(*slot));
	live = xcalloc(want ? want : 1, sizeof(*live));
	for (size_t i = 0; i < n0; i++) {
		size_t j = row_key(&s->rows[i]) & mask;
		while (slot[j] != 0)
			j = (j + 1) & mask;
		slot[j] = (uint32_t)i + 1;
		live[i] = true;
	}
	/* the deltas in order, each deletion and addition strict (NSD, Knot) */
	for (size_t d = 0; d < delta->n; d++) {
		const struct rr_row	*op = &delta->rows[d];
		size_t			 j = row_key(op) & mask, hit = SIZE_MAX;

		if (!tick(s, 1)) {
			over_err(s, err, errlen);
			goto out;
		}
		for (; slot[j] != 0; j = (j + 1) & mask)
			if (live[slot[j] - 1] && row_same(&s->rows[slot[j] - 1], op)) {
				hit = slot[j] - 1;
				break;
			}
		if (op->auth == 0 && hit == SIZE_MAX) {
			snprintf(err, errlen, "IXFR deletes %s %s %.60s, which we do not have",
			    op->name, op->type, op->content);
			rc = 1;
			goto out;
		}
		if (op->auth != 0 && hit != SIZE_MAX) {
			snprintf(err, errlen, "IXFR adds %s %s %.60s, which we have",
			    op->name, op->type, op->content);
			rc = 1;
			goto out;
		}
		if (op->auth == 0) {
			live[hit] = false;
			continue;
		}
		for (j = row_key(op) & mask; slot[j] != 0; j = (j + 1) & mask)
			;
		if (rr_set_add_row(s, op->name, op->type, op->content, op->ttl, op->prio) == -1) {
			over_err(s, err, errlen);
			goto out;
		}
		live[s->n - 1] = true;
		slot[j] = (uint32_t)s->n;
	}
	/* the rows left, and what their names own now (the conversion's flags) */
	for (size_t i = 0; i < s->names.n; i++) {
		s->names.ent[i].flags = 0;
		s->names.ent[i].order = NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct rr_name *e;

		if (!live[i])
			continue;
		s->rows[out] = s->rows[i];
		e = names_get(s, &s->names, s->rows[out].name);
		e->flags |= RR_N_OWNER;
		if (strcmp(s->rows[out].type, "NS") == 0 && strcmp(e->key, s->apex) != 0)
			e->flags |= RR_N_CUT;
		out++;
	}
	s->n = out;
	rc = 0;
out:
	free(slot);
	free(live);
	return rc;
}
