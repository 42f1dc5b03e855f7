/*
 * fakemaster: a scriptable DNS master for fault tests.  It serves zone files
 * over UDP and TCP like a master, except where the script tells it to
 * misbehave for a zone.
 *
 * usage: fakemaster -s SPOOF_ADDR -l QUERY_LOG -p PORT SCRIPT ADDR...
 *
 * It listens on every ADDR at PORT (UDP and TCP) and, for the "otherport"
 * fault, on UDP PORT+1 of each; SPOOF_ADDR:PORT (UDP) is the "otheraddr"
 * source.  Every query is appended to QUERY_LOG as "MS PROTO TYPE ZONE ADDR
 * PORT ID" (milliseconds since the epoch; the sender's address and port).  SCRIPT is read again whenever its mtime
 * changes, zone files with it.  Lines:
 *
 *	zone NAME FILE		serve FILE (an RFC 1035 zone file) as NAME
 *	soa NAME MODE [ARG]	how SOA queries for NAME are answered
 *	axfr NAME MODE [ARG]	how AXFR queries for NAME are answered
 *	ixfr NAME MODE [ARG]	how IXFR queries for NAME are answered
 *
 * SOA modes: ok, silent, rcode NAME, nxdomain (with the parent's SOA), noaa,
 * otheraddr, otherport, wrongid, wrongq, tc (TC over UDP, fine over TCP),
 * tcalways, spoof (three forged replies with serial+1000, then the genuine).
 * AXFR modes: ok, rcode NAME, stop N (close after N records), nolast (close
 * before the closing SOA), hang (never send the closing SOA), lastdiffers,
 * afterlast (a record after the closing SOA), foreign ZONE (records of ZONE
 * in the middle), big N (N extra TXT records of 1000 bytes), many N (N extra
 * A records), drip MS (one
 * record per message, MS apart), bytedrip MS (the whole transfer a byte at
 * a time, MS apart), deep N (N extra A records at one owner of 127 labels,
 * names compressed), bintxt N (N extra TXT records of 1,020 bytes of
 * binary), wrongid (from the second message on), nosoa (begins without the
 * SOA), garbage (a message of random bytes), file FILE (the records of
 * another zone file), keepsilent (the zone, then the connection stays open
 * for 10 s and further queries on it get nothing).
 * IXFR modes: empty (NOERROR with no records: the default), rcode NAME,
 * soaonly (the zone's SOA alone), stream FILE (the records of FILE, one a
 * line with absolute names, in order: deltas as the test wrote them), late
 * FILE (as stream, 3 s after the query).  Over UDP, rcode answers so too,
 * stream the whole of it when it fits in 512 bytes; every other case, as
 * a SOA query (with its mode's faults).
 *
 * Each TCP connection is served by a child process, so a dripping or hanging
 * transfer does not hold up anything else.  Test code only: it trusts its
 * script and is strict about nothing but what the tests need.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXADDR		16
#define MAXRULES	1024

struct rule {
	ldns_rdf	*name;
	char		*file;
	ldns_zone	*zone;		/* loaded from file */
	char		 soa[16], soaarg[256];
	char		 axfr[16], axfrarg[256];
	char		 ixfr[16], ixfrarg[256];
};

static struct rule	 rules[MAXRULES];
static int		 nrules;
static const char	*script, *qlogpath;
static time_t		 script_mtime;
static long		 script_mtime_ns;
static int		 port;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "fakemaster: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ldns_zone *
load_zone(const char *file, const ldns_rdf *origin)
{
	FILE		*fp = fopen(file, "r");
	ldns_zone	*z = NULL;
	int		 line = 0;
	ldns_status	 st;

	if (fp == NULL)
		die("cannot open %s", file);
	st = ldns_zone_new_frm_fp_l(&z, fp, origin, 3600, LDNS_RR_CLASS_IN, &line);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "fakemaster: %s:%d: %s\n", file, line, ldns_get_errorstr_by_id(st));
		exit(1);
	}
	return z;
}

static void
clear_rules(void)
{
	for (int i = 0; i < nrules; i++) {
		ldns_rdf_deep_free(rules[i].name);
		free(rules[i].file);
		if (rules[i].zone != NULL)
			ldns_zone_deep_free(rules[i].zone);
	}
	memset(rules, 0, sizeof(rules));
	nrules = 0;
}

static struct rule *
rule_for(const ldns_rdf *name, bool create)
{
	for (int i = 0; i < nrules; i++)
		if (ldns_dname_compare(rules[i].name, name) == 0)
			return &rules[i];
	if (!create)
		return NULL;
	if (nrules == MAXRULES)
		die("more than %s zones", "1024");
	rules[nrules].name = ldns_rdf_clone(name);
	strcpy(rules[nrules].soa, "ok");
	strcpy(rules[nrules].axfr, "ok");
	strcpy(rules[nrules].ixfr, "empty");
	return &rules[nrules++];
}

/* Read the script again when it changed. */
static void
load_script(void)
{
	struct stat	 sb;
	FILE		*fp;
	char		 line[1024];

	if (stat(script, &sb) == -1)
		die("cannot stat %s", script);
	if (nrules > 0 && sb.st_mtim.tv_sec == script_mtime &&
	    sb.st_mtim.tv_nsec == script_mtime_ns)
		return;
	script_mtime = sb.st_mtim.tv_sec;
	script_mtime_ns = sb.st_mtim.tv_nsec;
	clear_rules();
	if ((fp = fopen(script, "r")) == NULL)
		die("cannot open %s", script);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char	 verb[16] = "", name[256] = "", a1[256] = "", a2[256] = "";
		ldns_rdf *dn = NULL;
		struct rule *r;

		if (sscanf(line, "%15s %255s %255s %255s", verb, name, a1, a2) < 3 ||
		    verb[0] == '#')
			continue;
		if (ldns_str2rdf_dname(&dn, name) != LDNS_STATUS_OK)
			die("bad zone name %s", name);
		r = rule_for(dn, true);
		ldns_rdf_deep_free(dn);
		if (strcmp(verb, "zone") == 0) {
			free(r->file);
			r->file = strdup(a1);
		} else if (strcmp(verb, "soa") == 0) {
			snprintf(r->soa, sizeof(r->soa), "%s", a1);
			snprintf(r->soaarg, sizeof(r->soaarg), "%s", a2);
		} else if (strcmp(verb, "axfr") == 0) {
			snprintf(r->axfr, sizeof(r->axfr), "%s", a1);
			snprintf(r->axfrarg, sizeof(r->axfrarg), "%s", a2);
		} else if (strcmp(verb, "ixfr") == 0) {
			snprintf(r->ixfr, sizeof(r->ixfr), "%s", a1);
			snprintf(r->ixfrarg, sizeof(r->ixfrarg), "%s", a2);
		} else
			die("unknown verb %s", verb);
	}
	fclose(fp);
	for (int i = 0; i < nrules; i++)
		if (rules[i].file != NULL)
			rules[i].zone = load_zone(rules[i].file, rules[i].name);
}

static void
qlog(const char *proto, const ldns_pkt *pkt, const struct sockaddr_storage *from, int fd)
{
	struct sockaddr_storage	 to;
	socklen_t		 tlen = sizeof(to);
	char			 toa[INET6_ADDRSTRLEN] = "?";

	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	char	*name = ldns_rdf2str(ldns_rr_owner(q));
	char	*type = ldns_rr_type2str(ldns_rr_get_type(q));
	char	 addr[INET6_ADDRSTRLEN] = "?";
	unsigned sport = 0;
	FILE	*fp;

	if (from->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, addr, sizeof(addr));
		sport = ntohs(((const struct sockaddr_in *)from)->sin_port);
	}
	/* the address asked (the master), for "which master was this port used for" */
	if (getsockname(fd, (struct sockaddr *)&to, &tlen) == 0 && to.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&to)->sin_addr, toa, sizeof(toa));
	if ((fp = fopen(qlogpath, "a")) != NULL) {
		fprintf(fp, "%lld %s %s %s %s %u %u %s\n", (long long)now_ms(), proto, type, name,
		    addr, sport, ldns_pkt_id(pkt), toa);
		fclose(fp);
	}
	free(name);
	free(type);
}

static ldns_pkt *
reply_to(const ldns_pkt *q, ldns_pkt_rcode rc)
{
	ldns_pkt	*r = ldns_pkt_new();

	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_aa(r, true);
	ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
	ldns_pkt_set_rcode(r, rc);
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	return r;
}

static uint8_t *
wire(ldns_pkt *p, size_t *len)
{
	uint8_t	*w = NULL;

	if (ldns_pkt2wire(&w, p, len) != LDNS_STATUS_OK)
		die("%s", "cannot render a packet");
	return w;
}

static ldns_pkt_rcode
rcode_by_name(const char *s)
{
	ldns_lookup_table *lt = ldns_lookup_by_name(ldns_rcodes, s);

	return lt != NULL ? (ldns_pkt_rcode)lt->id : LDNS_RCODE_SERVFAIL;
}

static ldns_rr *
zone_soa(const struct rule *r)
{
	return r->zone != NULL ? ldns_zone_soa(r->zone) : NULL;
}

/* The SOA answer for rule r (NULL: no zone, REFUSED). */
static ldns_pkt *
soa_answer(const ldns_pkt *q, const struct rule *r, bool tcp)
{
	const char	*m = r->soa;
	ldns_pkt	*p;
	ldns_rr		*soa = zone_soa(r);

	if (soa == NULL)
		return reply_to(q, LDNS_RCODE_REFUSED);
	if (strcmp(m, "rcode") == 0)
		return reply_to(q, rcode_by_name(r->soaarg));
	if (strcmp(m, "nxdomain") == 0) {
		ldns_rr		*ps = ldns_rr_clone(soa);
		ldns_rdf	*parent = ldns_dname_left_chop(ldns_rr_owner(soa));

		p = reply_to(q, LDNS_RCODE_NXDOMAIN);
		ldns_rr_set_owner(ps, parent);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ps);
		return p;
	}
	p = reply_to(q, LDNS_RCODE_NOERROR);
	if ((strcmp(m, "tc") == 0 && !tcp) || strcmp(m, "tcalways") == 0) {
		ldns_pkt_set_tc(p, true);
		return p;
	}
	if (strcmp(m, "noaa") == 0)
		ldns_pkt_set_aa(p, false);
	if (strcmp(m, "wrongq") == 0) {
		ldns_rr *qq = ldns_rr_list_rr(ldns_pkt_question(p), 0);
		ldns_rdf *other = NULL;
		ldns_str2rdf_dname(&other, "other.invalid.");
		ldns_rdf_deep_free(ldns_rr_owner(qq));
		ldns_rr_set_owner(qq, other);
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(soa));
	return p;
}

static void
set_serial(ldns_rr *soa, uint32_t serial)
{
	ldns_rdf *old = ldns_rr_set_rdf(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial), 2);

	ldns_rdf_deep_free(old);
}

static ldns_pkt	*udp_ixfr(const ldns_pkt *, const struct rule *);

static void
serve_udp(int fd, int altport_fd, int spoof_fd)
{
	uint8_t			 buf[4096], *w;
	struct sockaddr_storage	 from;
	socklen_t		 flen = sizeof(from);
	ssize_t			 n;
	ldns_pkt		*q = NULL, *p;
	ldns_rr			*qr;
	struct rule		*r;
	size_t			 len;

	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
		return;
	if (ldns_pkt_qr(q) || ldns_pkt_qdcount(q) != 1) {
		ldns_pkt_free(q);
		return;
	}
	load_script();
	qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	qlog("udp", q, &from, fd);
	r = rule_for(ldns_rr_owner(qr), false);
	if (r != NULL && ldns_rr_get_type(qr) == LDNS_RR_TYPE_IXFR &&
	    (strcmp(r->ixfr, "rcode") == 0 || strcmp(r->ixfr, "stream") == 0) &&
	    (p = udp_ixfr(q, r)) != NULL)
		;
	else if (r == NULL || (ldns_rr_get_type(qr) != LDNS_RR_TYPE_SOA &&
	    ldns_rr_get_type(qr) != LDNS_RR_TYPE_IXFR)) {
		p = reply_to(q, LDNS_RCODE_REFUSED);
		if (r != NULL && zone_soa(r) != NULL)	/* other types: empty NOERROR */
			ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
	} else if (strcmp(r->soa, "silent") == 0) {
		ldns_pkt_free(q);
		return;
	} else
		p = soa_answer(q, r, false);
	if (r != NULL && (ldns_rr_get_type(qr) == LDNS_RR_TYPE_SOA ||
	    ldns_rr_get_type(qr) == LDNS_RR_TYPE_IXFR) &&
	    strcmp(r->soa, "spoof") == 0 && ldns_pkt_ancount(p) == 1) {
		/* Forged first: other address, other port, wrong ID, all with a
		 * far newer serial; then the genuine reply. */
		ldns_pkt *f = ldns_pkt_clone(p);
		ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_answer(f), 0);
		set_serial(soa, ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)) + 1000);
		w = wire(f, &len);
		sendto(spoof_fd, w, len, 0, (struct sockaddr *)&from, flen);
		sendto(altport_fd, w, len, 0, (struct sockaddr *)&from, flen);
		free(w);
		ldns_pkt_set_id(f, (uint16_t)(ldns_pkt_id(q) + 1));
		w = wire(f, &len);
		sendto(fd, w, len, 0, (struct sockaddr *)&from, flen);
		free(w);
		ldns_pkt_free(f);
		usleep(20000);
	}
	if (r != NULL && strcmp(r->soa, "wrongid") == 0)
		ldns_pkt_set_id(p, (uint16_t)(ldns_pkt_id(q) + 1));
	w = wire(p, &len);
	if (r != NULL && strcmp(r->soa, "otheraddr") == 0)
		fd = spoof_fd;
	else if (r != NULL && strcmp(r->soa, "otherport") == 0)
		fd = altport_fd;
	sendto(fd, w, len, 0, (struct sockaddr *)&from, flen);
	free(w);
	ldns_pkt_free(p);
	ldns_pkt_free(q);
}

static int	 drip_ms;	/* bytedrip: a byte at a time, this far apart */

static int
write_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		if (drip_ms > 0)
			usleep((useconds_t)drip_ms * 1000);
		ssize_t k = write(fd, b, drip_ms > 0 ? 1 : n);
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
send_msg(int fd, ldns_pkt *p)
{
	size_t	 len;
	uint8_t	*w = wire(p, &len), lb[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	int	 rc = write_all(fd, lb, 2) == 0 && write_all(fd, w, len) == 0 ? 0 : -1;

	free(w);
	return rc;
}

static int
read_all(int fd, uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, b, n);
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static ldns_rr *
rr_from(const char *s)
{
	ldns_rr	*rr = NULL;

	if (ldns_rr_new_frm_str(&rr, s, 3600, NULL, NULL) != LDNS_STATUS_OK)
		die("bad record %s", s);
	return rr;
}

/* The record sequence of an AXFR of r, with the faults that change it. */
static ldns_rr_list *
axfr_records(const struct rule *r)
{
	const char	*m = r->axfr;
	ldns_rr_list	*l = ldns_rr_list_new();
	ldns_zone	*z = r->zone, *other = NULL;
	ldns_rr		*last;
	size_t		 n;

	if (strcmp(m, "file") == 0)
		z = other = load_zone(r->axfrarg, r->name);
	if (strcmp(m, "nosoa") != 0)
		ldns_rr_list_push_rr(l, ldns_rr_clone(ldns_zone_soa(z)));
	n = ldns_rr_list_rr_count(ldns_zone_rrs(z));
	for (size_t i = 0; i < n; i++) {
		ldns_rr_list_push_rr(l, ldns_rr_clone(ldns_rr_list_rr(ldns_zone_rrs(z), i)));
		if (i == n / 2 && strcmp(m, "foreign") == 0) {
			char s[600];
			snprintf(s, sizeof(s), "%s 300 IN SOA evil. evil. 4000000000 1 1 1 1", r->axfrarg);
			ldns_rr_list_push_rr(l, rr_from(s));
			snprintf(s, sizeof(s), "www.%s 300 IN A 203.0.113.66", r->axfrarg);
			ldns_rr_list_push_rr(l, rr_from(s));
			snprintf(s, sizeof(s), "%s 300 IN TXT \"planted by another zone's master\"", r->axfrarg);
			ldns_rr_list_push_rr(l, rr_from(s));
		}
	}
	if (strcmp(m, "many") == 0) {
		char	 a[600], *name = ldns_rdf2str(r->name);
		for (int i = 0; i < atoi(r->axfrarg); i++) {
			snprintf(a, sizeof(a), "h%d.%s 300 IN A 192.0.2.%d", i, name, i % 256);
			ldns_rr_list_push_rr(l, rr_from(a));
		}
		free(name);
	}
	if (strcmp(m, "deep") == 0) {
		char	 a[1200], *name = ldns_rdf2str(r->name);
		size_t	 k = 0, wire = strlen(name) + 1;
		while (wire + 2 <= 255) {
			k += (size_t)snprintf(a + k, sizeof(a) - k, "a.");
			wire += 2;
		}
		for (int i = 0; i < atoi(r->axfrarg); i++) {
			snprintf(a + k, sizeof(a) - k, "%s 300 IN A 10.%d.%d.%d", name,
			    i >> 16 & 255, i >> 8 & 255, i & 255);
			ldns_rr_list_push_rr(l, rr_from(a));
		}
		free(name);
	}
	if (strcmp(m, "bintxt") == 0) {
		char	 txt[4400], *name = ldns_rdf2str(r->name), *p;
		for (int i = 0; i < atoi(r->axfrarg); i++) {
			p = txt + snprintf(txt, sizeof(txt), "bin%d.%s 300 IN TXT", i, name);
			for (int s4 = 0; s4 < 4; s4++) {
				p = stpcpy(p, " \"");
				for (int b = 0; b < 255; b++)
					p += sprintf(p, "\\%03d", (b + i + s4) % 31 + 1);
				p = stpcpy(p, "\"");
			}
			ldns_rr_list_push_rr(l, rr_from(txt));
		}
		free(name);
	}
	if (strcmp(m, "big") == 0) {
		char	 txt[1200], *name = ldns_rdf2str(r->name);
		char	 pad[251];
		memset(pad, 'x', 250);
		pad[250] = '\0';
		for (int i = 0; i < atoi(r->axfrarg); i++) {
			snprintf(txt, sizeof(txt), "pad%d.%s 300 IN TXT \"%s\" \"%s\" \"%s\" \"%s\"",
			    i, name, pad, pad, pad, pad);
			ldns_rr_list_push_rr(l, rr_from(txt));
		}
		free(name);
	}
	last = ldns_rr_clone(ldns_zone_soa(z));
	if (strcmp(m, "lastdiffers") == 0)
		set_serial(last, ldns_rdf2native_int32(ldns_rr_rdf(last, 2)) + 1);
	if (strcmp(m, "nolast") != 0 && strcmp(m, "hang") != 0)
		ldns_rr_list_push_rr(l, last);
	else
		ldns_rr_free(last);
	if (strcmp(m, "afterlast") == 0) {
		char s[600], *name = ldns_rdf2str(r->name);
		snprintf(s, sizeof(s), "after.%s 300 IN A 192.0.2.99", name);
		ldns_rr_list_push_rr(l, rr_from(s));
		free(name);
	}
	if (other != NULL)
		ldns_zone_deep_free(other);
	return l;
}

static void
serve_axfr(int fd, const ldns_pkt *q, const struct rule *r)
{
	const char	*m = r->axfr;
	ldns_rr_list	*l;
	ldns_pkt	*p;
	size_t		 n, i = 0, per;
	int		 msgs = 0, stop = -1;

	if (r->zone == NULL) {
		p = reply_to(q, LDNS_RCODE_NOTAUTH);
		send_msg(fd, p);
		ldns_pkt_free(p);
		return;
	}
	if (strcmp(m, "rcode") == 0) {
		p = reply_to(q, rcode_by_name(r->axfrarg));
		send_msg(fd, p);
		ldns_pkt_free(p);
		return;
	}
	if (strcmp(m, "garbage") == 0) {
		uint8_t	 g[300], lb[2] = { 1, 44 };
		for (size_t k = 0; k < sizeof(g); k++)
			g[k] = (uint8_t)random();
		g[0] = (uint8_t)(ldns_pkt_id(q) >> 8);	/* our ID and QR, then noise */
		g[1] = (uint8_t)ldns_pkt_id(q);
		g[2] = 0x84;
		g[3] = 0;
		write_all(fd, lb, 2);
		write_all(fd, g, sizeof(g));
		return;
	}
	l = axfr_records(r);
	n = ldns_rr_list_rr_count(l);
	per = strcmp(m, "ok") == 0 || strcmp(m, "big") == 0 || strcmp(m, "many") == 0 || strcmp(m, "foreign") == 0 ||
	    strcmp(m, "file") == 0 || strcmp(m, "afterlast") == 0 || strcmp(m, "bytedrip") == 0 ||
	    strcmp(m, "bintxt") == 0 ? 50 : strcmp(m, "deep") == 0 ? 200 : 1;
	if (strcmp(m, "bintxt") == 0)
		per = 12;		/* 12 KB a message */
	if (strcmp(m, "bytedrip") == 0)
		drip_ms = atoi(r->axfrarg);
	if (strcmp(m, "afterlast") == 0)
		per = n;		/* the extra record shares the closing SOA's message */
	if (strcmp(m, "stop") == 0)
		stop = atoi(r->axfrarg);
	while (i < n) {
		p = reply_to(q, LDNS_RCODE_NOERROR);
		if (msgs > 0 && strcmp(m, "wrongid") == 0)
			ldns_pkt_set_id(p, (uint16_t)(ldns_pkt_id(q) + 1));
		for (size_t k = 0; k < per && i < n; k++, i++) {
			if (stop >= 0 && (int)i >= stop)
				break;
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(ldns_rr_list_rr(l, i)));
		}
		if (ldns_pkt_ancount(p) > 0 && send_msg(fd, p) == -1)
			i = n;
		ldns_pkt_free(p);
		msgs++;
		if (stop >= 0 && (int)i >= stop)
			break;
		if (strcmp(m, "drip") == 0 && i < n)
			usleep((useconds_t)atoi(r->axfrarg) * 1000);
	}
	ldns_rr_list_deep_free(l);
	if (strcmp(m, "hang") == 0)
		sleep(600);
}

static ldns_rr *rr_from(const char *);

/*
 * IXFR over UDP (RFC 1995 4): "rcode NAME" answers NAME, "stream FILE" the
 * whole stream when it fits in 512 bytes, else the SOA alone; NULL for the
 * rest, which are answered as a SOA query would be (faults included).
 */
static ldns_pkt *
udp_ixfr(const ldns_pkt *q, const struct rule *r)
{
	ldns_pkt	*p;
	FILE		*fp;
	char		 line[4096];
	uint8_t		*w;
	size_t		 len;

	if (strcmp(r->ixfr, "rcode") == 0)
		return reply_to(q, rcode_by_name(r->ixfrarg));
	if ((fp = fopen(r->ixfrarg, "r")) == NULL)
		return NULL;
	p = reply_to(q, LDNS_RCODE_NOERROR);
	ldns_pkt_set_aa(p, true);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0' && line[0] != ';')
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr_from(line));
	}
	fclose(fp);
	w = wire(p, &len);
	free(w);
	if (len <= 512 && ldns_pkt_ancount(p) > 0)
		return p;
	ldns_pkt_free(p);
	return NULL;
}

static void
serve_ixfr(int fd, const ldns_pkt *q, const struct rule *r)
{
	ldns_pkt	*p = reply_to(q, strcmp(r->ixfr, "rcode") == 0 ?
			    rcode_by_name(r->ixfrarg) : LDNS_RCODE_NOERROR);
	FILE		*fp;
	char		 line[4096];

	if (strcmp(r->ixfr, "soaonly") == 0 && r->zone != NULL)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(zone_soa(r)));
	if (strcmp(r->ixfr, "late") == 0)
		usleep(3000 * 1000);
	if ((strcmp(r->ixfr, "stream") == 0 || strcmp(r->ixfr, "late") == 0) &&
	    (fp = fopen(r->ixfrarg, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '\0' || line[0] == ';')
				continue;
			if (ldns_pkt_ancount(p) == 50) {
				send_msg(fd, p);
				ldns_pkt_free(p);
				p = reply_to(q, LDNS_RCODE_NOERROR);
			}
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr_from(line));
		}
		fclose(fp);
	}
	send_msg(fd, p);
	ldns_pkt_free(p);
}

static void
serve_tcp(int fd, const struct sockaddr_storage *from)
{
	uint8_t		 lb[2], buf[65536];
	size_t		 len;
	ldns_pkt	*q = NULL, *p;
	ldns_rr		*qr;
	struct rule	*r;

	while (read_all(fd, lb, 2) == 0) {
		len = (size_t)(lb[0] << 8 | lb[1]);
		if (read_all(fd, buf, len) == -1 ||
		    ldns_wire2pkt(&q, buf, len) != LDNS_STATUS_OK || ldns_pkt_qdcount(q) != 1)
			return;
		load_script();
		qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
		qlog("tcp", q, from, fd);
		r = rule_for(ldns_rr_owner(qr), false);
		if (r == NULL) {
			p = reply_to(q, LDNS_RCODE_REFUSED);
			send_msg(fd, p);
			ldns_pkt_free(p);
		} else if (ldns_rr_get_type(qr) == LDNS_RR_TYPE_AXFR) {
			serve_axfr(fd, q, r);
			ldns_pkt_free(q);
			if (strcmp(r->axfr, "keepsilent") == 0)
				sleep(10);
			return;
		} else if (ldns_rr_get_type(qr) == LDNS_RR_TYPE_IXFR) {
			serve_ixfr(fd, q, r);
		} else if (ldns_rr_get_type(qr) == LDNS_RR_TYPE_SOA) {
			p = soa_answer(q, r, true);
			send_msg(fd, p);
			ldns_pkt_free(p);
		} else {
			p = reply_to(q, LDNS_RCODE_NOERROR);
			send_msg(fd, p);
			ldns_pkt_free(p);
		}
		ldns_pkt_free(q);
		q = NULL;
	}
}

static int
bind_sock(const char *addr, int p, int type)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		die("bad address %s", addr);
	if ((fd = socket(AF_INET, type, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("cannot bind %s", addr);
	if (type == SOCK_STREAM && listen(fd, 64) == -1)
		die("listen: %s", strerror(errno));
	return fd;
}

int
main(int argc, char **argv)
{
	struct pollfd	 pfd[2 * MAXADDR];
	int		 altport[MAXADDR], spoof = -1, naddr = 0, ch;
	const char	*spoof_addr = NULL;
	struct sigaction sa;

	while ((ch = getopt(argc, argv, "l:p:s:")) != -1) {
		switch (ch) {
		case 'l': qlogpath = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 's': spoof_addr = optarg; break;
		default: die("%s", "usage: fakemaster -s SPOOF -l LOG -p PORT SCRIPT ADDR...");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || port == 0 || qlogpath == NULL || spoof_addr == NULL || argc - 1 > MAXADDR)
		die("%s", "usage: fakemaster -s SPOOF -l LOG -p PORT SCRIPT ADDR...");
	script = argv[0];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
	load_script();
	spoof = bind_sock(spoof_addr, port, SOCK_DGRAM);
	for (int i = 1; i < argc; i++, naddr++) {
		pfd[2 * naddr].fd = bind_sock(argv[i], port, SOCK_DGRAM);
		pfd[2 * naddr + 1].fd = bind_sock(argv[i], port, SOCK_STREAM);
		pfd[2 * naddr].events = pfd[2 * naddr + 1].events = POLLIN;
		altport[naddr] = bind_sock(argv[i], port + 1, SOCK_DGRAM);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, (nfds_t)(2 * naddr), -1) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < naddr; i++) {
			if (pfd[2 * i].revents & POLLIN)
				serve_udp(pfd[2 * i].fd, altport[i], spoof);
			if (pfd[2 * i + 1].revents & POLLIN) {
				struct sockaddr_storage from;
				socklen_t flen = sizeof(from);
				int c = accept(pfd[2 * i + 1].fd, (struct sockaddr *)&from, &flen);
				if (c == -1)
					continue;
				if (fork() == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					serve_tcp(c, &from);
					_exit(0);
				}
				close(c);
			}
		}
	}
}
