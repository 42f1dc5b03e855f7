/*
 * rr: ldns records to the exact row text PowerDNS 4.7 writes (see
 * shared/reference/pdns-records.md).  Pure functions: no I/O, no logging.
 */
#include <arpa/inet.h>
#include <ctype.h>
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

/* One rdata field in pdns presentation. */
static void
out_rdf(struct out *o, const ldns_rdf *rdf)
{
	const uint8_t	*d = ldns_rdf_data(rdf);
	size_t		 n = ldns_rdf_size(rdf);

	out_sep(o);
	switch (ldns_rdf_get_type(rdf)) {
	case LDNS_RDF_TYPE_DNAME:
		out_dname(o, d, n, false);
		return;
	case LDNS_RDF_TYPE_INT8:
	case LDNS_RDF_TYPE_ALG:
	case LDNS_RDF_TYPE_CERT_ALG:
		if (n != 1)
			break;
		out_fmt(o, "%u", d[0]);
		return;
	case LDNS_RDF_TYPE_INT16:
		if (n != 2)
			break;
		out_fmt(o, "%u", (unsigned)(d[0] << 8 | d[1]));
		return;
	case LDNS_RDF_TYPE_INT32:
	case LDNS_RDF_TYPE_PERIOD:
		if (n != 4)
			break;
		out_fmt(o, "%u", (unsigned)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		    (uint32_t)d[2] << 8 | d[3]));
		return;
	case LDNS_RDF_TYPE_A: {
		char b[INET_ADDRSTRLEN];
		if (n != 4 || inet_ntop(AF_INET, d, b, sizeof(b)) == NULL)
			break;
		out_str(o, b);
		return;
	}
	case LDNS_RDF_TYPE_AAAA: {
		char b[INET6_ADDRSTRLEN];
		if (n != 16 || inet_ntop(AF_INET6, d, b, sizeof(b)) == NULL)
			break;
		out_str(o, b);
		return;
	}
	case LDNS_RDF_TYPE_STR:
		if (n < 1 || (size_t)d[0] + 1 != n)
			break;
		out_text(o, d + 1, d[0]);
		return;
	case LDNS_RDF_TYPE_HEX:
		out_hex(o, d, n);
		return;
	default: {
		char *s = ldns_rdf2str(rdf);
		if (s == NULL)
			break;
		out_str(o, s);
		free(s);
		return;
	}
	}
	o->over = true;		/* malformed field */
}

/* Types whose fields ldns and pdns print the same way, field by field. */
static bool
type_fieldwise(uint16_t t)
{
	switch (t) {
	case LDNS_RR_TYPE_A: case LDNS_RR_TYPE_AAAA: case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME: case LDNS_RR_TYPE_DNAME: case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_SOA: case LDNS_RR_TYPE_MX: case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_TXT: case LDNS_RR_TYPE_SPF: case LDNS_RR_TYPE_HINFO:
	case LDNS_RR_TYPE_NAPTR: case LDNS_RR_TYPE_SSHFP: case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_DS: case LDNS_RR_TYPE_RP: case LDNS_RR_TYPE_AFSDB:
	case LDNS_RR_TYPE_KX: case LDNS_RR_TYPE_MINFO: case LDNS_RR_TYPE_MR:
	case LDNS_RR_TYPE_MB: case LDNS_RR_TYPE_MG:
		return true;
	default:
		return false;
	}
}

int
rr_content(const ldns_rr *rr, char *buf, size_t buflen, int32_t *prio)
{
	struct out	 o = { buf, 0, buflen, false };
	uint16_t	 t = ldns_rr_get_type(rr);
	size_t		 nf = ldns_rr_rd_count(rr);
	size_t		 first = 0;

	buf[0] = '\0';
	*prio = 0;
	if (t == LDNS_RR_TYPE_CAA) {
		/* pdns: flags, the tag bare, the value quoted like TXT */
		const ldns_rdf *f = ldns_rr_rdf(rr, 0), *tag = ldns_rr_rdf(rr, 1),
		    *val = ldns_rr_rdf(rr, 2);
		if (nf != 3 || ldns_rdf_size(f) != 1 || ldns_rdf_size(tag) < 1 ||
		    (size_t)ldns_rdf_data(tag)[0] + 1 != ldns_rdf_size(tag))
			return -1;
		out_fmt(&o, "%u ", ldns_rdf_data(f)[0]);
		out_mem(&o, ldns_rdf_data(tag) + 1, ldns_rdf_size(tag) - 1);
		out_mem(&o, " ", 1);
		out_text(&o, ldns_rdf_data(val), ldns_rdf_size(val));
		return o.over ? -1 : 0;
	}
	if (type_fieldwise(t)) {
		if ((t == LDNS_RR_TYPE_MX || t == LDNS_RR_TYPE_SRV) && nf > 0) {
			/* pdns cuts the leading number into prio */
			const ldns_rdf *p = ldns_rr_rdf(rr, 0);
			if (ldns_rdf_size(p) != 2)
				return -1;
			*prio = ldns_rdf2native_int16(p);
			first = 1;
		}
		for (size_t i = first; i < nf; i++)
			out_rdf(&o, ldns_rr_rdf(rr, i));
		return o.over ? -1 : 0;
	}
	/* RFC 3597 form for what we do not render natively (yet). */
	size_t	 total = 0;
	for (size_t i = 0; i < nf; i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	out_fmt(&o, "\\# %zu ", total);
	for (size_t i = 0; i < nf; i++)
		out_hex(&o, ldns_rdf_data(ldns_rr_rdf(rr, i)), ldns_rdf_size(ldns_rr_rdf(rr, i)));
	return o.over ? -1 : 0;
}

const char *
rr_type_name(uint16_t type, char *buf, size_t buflen)
{
	const ldns_rr_descriptor *d;

	if ((type_fieldwise(type) || type == LDNS_RR_TYPE_CAA) &&
	    (d = ldns_rr_descript(type)) != NULL &&
	    d->_name != NULL)
		return d->_name;
	snprintf(buf, buflen, "TYPE%u", type);
	return buf;
}

/* The arena: strings of one zone, freed at once. */
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
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
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
	s->bytes += n + 1;
	return p;
}

void
rr_set_init(struct rr_set *s)
{
	memset(s, 0, sizeof(*s));
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
	free(s->names);
	memset(s, 0, sizeof(*s));
}

static struct rr_row *
row_append(struct rr_set *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->rows = xreallocarray(s->rows, s->cap, sizeof(*s->rows));
	}
	memset(&s->rows[s->n], 0, sizeof(s->rows[0]));
	return &s->rows[s->n++];
}

int
rr_set_add(struct rr_set *s, const ldns_rr *rr, char *err, size_t errlen)
{
	static __thread char	 content[65536];
	char			 name[1100], tbuf[16];
	const ldns_rdf		*owner = ldns_rr_owner(rr);
	struct rr_row		*row;
	int32_t			 prio;
	const char		*type;

	if (rr_dname_str(ldns_rdf_data(owner), ldns_rdf_size(owner), true,
	    name, sizeof(name)) == -1) {
		snprintf(err, errlen, "owner name does not convert");
		return -1;
	}
	if (rr_content(rr, content, sizeof(content), &prio) == -1) {
		snprintf(err, errlen, "%s: rdata of type %u does not convert", name,
		    ldns_rr_get_type(rr));
		return -1;
	}
	if (strlen(content) > 64000) {
		snprintf(err, errlen, "%s: content longer than the column", name);
		return -1;
	}
	type = rr_type_name(ldns_rr_get_type(rr), tbuf, sizeof(tbuf));
	row = row_append(s);
	row->name = arena_strdup(s, name, strlen(name));
	/* ldns's descriptor names are static; only TYPEnnn needs a copy */
	row->type = type == tbuf ? arena_strdup(s, tbuf, strlen(tbuf)) : type;
	row->content = arena_strdup(s, content, strlen(content));
	row->ttl = ldns_rr_ttl(rr);
	row->prio = prio;
	row->auth = 1;
	return 0;
}

/* Names set (open addressing over row name pointers) for ENT computation. */
static bool
names_insert(struct rr_set *s, char *name)
{
	char	**tab;

	if ((s->names_n + 1) * 2 > s->names_cap) {
		size_t	 ncap = s->names_cap ? s->names_cap * 2 : 256;
		char	**old = s->names;
		char	**n = xcalloc(ncap, sizeof(*n));
		for (size_t i = 0; i < s->names_cap; i++) {
			if (old[i] == NULL)
				continue;
			size_t j = util_strhash(old[i]) & (ncap - 1);
			while (n[j] != NULL)
				j = (j + 1) & (ncap - 1);
			n[j] = old[i];
		}
		free(old);
		s->names = n;
		s->names_cap = ncap;
	}
	tab = s->names;
	size_t j = util_strhash(name) & (s->names_cap - 1);
	while (tab[j] != NULL) {
		if (strcmp(tab[j], name) == 0)
			return false;
		j = (j + 1) & (s->names_cap - 1);
	}
	tab[j] = name;
	s->names_n++;
	return true;
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

void
rr_set_add_ents(struct rr_set *s, const char *apex)
{
	size_t	 nreal = s->n;
	size_t	 alen = strlen(apex);

	for (size_t i = 0; i < nreal; i++)
		names_insert(s, s->rows[i].name);
	for (size_t i = 0; i < nreal; i++) {
		const char *n = s->rows[i].name;
		const char *p;

		/* Walk up while strictly below the apex. */
		for (p = name_parent(n); p != NULL && strlen(p) > alen;
		    p = name_parent(p)) {
			char *cand = arena_strdup(s, p, strlen(p));
			if (!names_insert(s, cand))
				continue;
			struct rr_row *row = row_append(s);
			row->name = cand;
			row->auth = 1;
		}
	}
}
