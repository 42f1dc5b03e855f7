/*
 * axfr-floor: how fast the master alone hands out AXFRs.  Reads "zone addr
 * port" lines on stdin and fetches every zone with T threads over plain
 * blocking TCP, walking each message only far enough to find the closing
 * SOA.  No conversion, no database: the floor any secondary has to live with.
 * Prints "zones records bytes seconds failed".
 * Usage: axfr-floor [-t threads] < list
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct job {
	char		 zone[256];
	char		 addr[64];
	int		 port;
};

static struct job	*jobs;
static size_t		 njobs;
static atomic_size_t	 next, records, bytes, failed;

static int
read_full(int fd, uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Skip a (possibly compressed) name; returns the offset after it or 0. */
static size_t
skip_name(const uint8_t *m, size_t len, size_t o)
{
	while (o < len) {
		if ((m[o] & 0xc0) == 0xc0)
			return o + 2 <= len ? o + 2 : 0;
		if (m[o] == 0)
			return o + 1;
		o += (size_t)m[o] + 1;
	}
	return 0;
}

/* Count the SOA records of one message; -1 if it is not a good answer. */
static int
count_soa(const uint8_t *m, size_t len, size_t *nrr)
{
	size_t	 o = 12;
	int	 soa = 0;
	unsigned qd, an;

	if (len < 12 || (m[3] & 0x0f) != 0)
		return -1;
	qd = (unsigned)(m[4] << 8 | m[5]);
	an = (unsigned)(m[6] << 8 | m[7]);
	for (unsigned i = 0; i < qd; i++) {
		if ((o = skip_name(m, len, o)) == 0 || o + 4 > len)
			return -1;
		o += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, rdlen;
		if ((o = skip_name(m, len, o)) == 0 || o + 10 > len)
			return -1;
		type = (unsigned)(m[o] << 8 | m[o + 1]);
		rdlen = (unsigned)(m[o + 8] << 8 | m[o + 9]);
		o += 10 + rdlen;
		if (o > len)
			return -1;
		if (type == 6)
			soa++;
	}
	*nrr += an;
	return soa;
}

static int
axfr(const struct job *j, size_t *nrr, size_t *nbytes)
{
	struct sockaddr_in	 sa;
	uint8_t			 q[300], *msg = NULL;
	size_t			 o = 0, n;
	int			 fd, soa = 0, one = 1;
	const char		*p = j->zone;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)j->port);
	if (inet_pton(AF_INET, j->addr, &sa.sin_addr) != 1)
		return -1;
	memset(q, 0, sizeof(q));
	q[2] = 0x12; q[3] = 0x34;	/* ID */
	q[7] = 1;			/* QDCOUNT */
	o = 2 + 12;
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || o + n + 6 > sizeof(q))
			return -1;
		q[o++] = (uint8_t)n;
		memcpy(q + o, p, n);
		o += n;
		p += n + (dot ? 1 : 0);
	}
	q[o++] = 0;
	q[o++] = 0; q[o++] = 252;	/* AXFR */
	q[o++] = 0; q[o++] = 1;		/* IN */
	q[0] = (uint8_t)((o - 2) >> 8);	/* TCP length */
	q[1] = (uint8_t)(o - 2);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    write(fd, q, o) != (ssize_t)o)
		goto fail;
	if ((msg = malloc(65536)) == NULL)
		goto fail;
	while (soa < 2) {
		uint8_t	 l[2];
		int	 s;
		if (read_full(fd, l, 2) == -1)
			goto fail;
		n = (size_t)(l[0] << 8 | l[1]);
		if (read_full(fd, msg, n) == -1 || (s = count_soa(msg, n, nrr)) < 0)
			goto fail;
		*nbytes += n + 2;
		soa += s;
	}
	free(msg);
	close(fd);
	return 0;
fail:
	free(msg);
	close(fd);
	return -1;
}

static void *
worker(void *arg)
{
	size_t	 i, nrr, nb;

	(void)arg;
	while ((i = atomic_fetch_add(&next, 1)) < njobs) {
		nrr = nb = 0;
		if (axfr(&jobs[i], &nrr, &nb) == -1) {
			atomic_fetch_add(&failed, 1);
			continue;
		}
		atomic_fetch_add(&records, nrr);
		atomic_fetch_add(&bytes, nb);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	*t;
	struct timespec	 a, b;
	size_t		 cap = 0;
	int		 nt = 8, c;
	char		 line[512];

	while ((c = getopt(argc, argv, "t:")) != -1)
		if (c == 't')
			nt = atoi(optarg);
	if (nt < 1 || nt > 1024) {
		fprintf(stderr, "usage: axfr-floor [-t threads] < list\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (njobs == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((jobs = realloc(jobs, cap * sizeof(*jobs))) == NULL)
				return 1;
		}
		if (sscanf(line, "%255s %63s %d", jobs[njobs].zone, jobs[njobs].addr,
		    &jobs[njobs].port) == 3)
			njobs++;
	}
	if ((t = calloc((size_t)nt, sizeof(*t))) == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < nt; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 1;
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%zu %zu %zu %.3f %zu\n", njobs - failed, (size_t)records, (size_t)bytes,
	    (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	    (size_t)failed);
	free(t);
	free(jobs);
	return failed ? 1 : 0;
}
