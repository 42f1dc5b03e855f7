/*
 * soa-floor: how fast the master alone answers one SOA query a zone over
 * UDP, the work of a pass in which nothing changed.  Reads "zone addr port"
 * lines on stdin (axfr-floor's list) and asks for every zone's SOA from one
 * thread: S sockets, W queries in flight, a query asked again after 1 s
 * (three tries), a reply taken by socket, ID and source, then checked for
 * NOERROR and an answer.  No scheduler, no database.
 * Prints "zones answered seconds failed".
 * Usage: soa-floor [-w in-flight] [-s sockets] < list
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TRIES		3
#define TIMEOUT_NS	1000000000LL
#define MAXSOCK		256

struct job {
	struct sockaddr_in	 sa;
	uint8_t			 q[272];
	size_t			 qlen;
	int64_t			 sent;
	int			 tries, sock;
	uint16_t		 id;
	int			 done;		/* 1 answered, -1 failed */
};

static struct job	*jobs;
static size_t		 njobs;
static int32_t		*waiting[MAXSOCK];	/* [socket][ID]: job + 1, 0: none */
static uint16_t		 next_id[MAXSOCK];

static int64_t
now_ns(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int
build(struct job *j, const char *zone)
{
	const char	*p = zone;
	size_t		 o = 12, n;

	memset(j->q, 0, 12);
	j->q[5] = 1;			/* QDCOUNT */
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || o + n + 6 > sizeof(j->q))
			return -1;
		j->q[o++] = (uint8_t)n;
		memcpy(j->q + o, p, n);
		o += n;
		p += n + (dot ? 1 : 0);
	}
	j->q[o++] = 0;
	j->q[o++] = 0; j->q[o++] = 6;	/* SOA */
	j->q[o++] = 0; j->q[o++] = 1;	/* IN */
	j->qlen = o;
	return 0;
}

/* Send (again) on the job's socket with a new ID. */
static void
ask(int *fd, size_t i, int64_t now)
{
	struct job	*j = &jobs[i];

	if (j->tries > 0)
		waiting[j->sock][j->id] = 0;
	j->id = next_id[j->sock]++;
	if (waiting[j->sock][j->id] != 0)	/* 65,536 in flight on one socket */
		jobs[waiting[j->sock][j->id] - 1].done = -1;
	waiting[j->sock][j->id] = (int32_t)(i + 1);
	j->q[0] = (uint8_t)(j->id >> 8);
	j->q[1] = (uint8_t)j->id;
	j->sent = now;
	j->tries++;
	(void)sendto(fd[j->sock], j->q, j->qlen, 0, (struct sockaddr *)&j->sa, sizeof(j->sa));
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd[MAXSOCK];
	int		 fd[MAXSOCK], w = 5000, ns = 64, c;
	size_t		 cap = 0, sent = 0, inflight = 0, answered = 0, failed = 0;
	size_t		*order, head = 0, tail = 0;	/* jobs in flight, oldest try first */
	char		 line[512], zone[256], addr[64];
	int		 port;
	int64_t		 start;

	while ((c = getopt(argc, argv, "w:s:")) != -1)
		if (c == 'w')
			w = atoi(optarg);
		else if (c == 's')
			ns = atoi(optarg);
	if (w < 1 || ns < 1 || ns > MAXSOCK) {
		fprintf(stderr, "usage: soa-floor [-w in-flight] [-s sockets] < list\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (njobs == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((jobs = realloc(jobs, cap * sizeof(*jobs))) == NULL)
				return 1;
		}
		struct job *j = &jobs[njobs];
		memset(j, 0, sizeof(*j));
		if (sscanf(line, "%255s %63s %d", zone, addr, &port) != 3 || build(j, zone) == -1)
			continue;
		j->sa.sin_family = AF_INET;
		j->sa.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &j->sa.sin_addr) != 1)
			continue;
		j->sock = (int)(njobs % (size_t)ns);
		njobs++;
	}
	/* every try in flight is in order[] once: TRIES a job at most */
	if ((order = malloc((njobs * TRIES + 1) * sizeof(*order))) == NULL)
		return 1;
	for (int s = 0; s < ns; s++) {
		if ((fd[s] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
		    (waiting[s] = calloc(65536, sizeof(int32_t))) == NULL)
			return 1;
		pfd[s].fd = fd[s];
		pfd[s].events = POLLIN;
	}
	start = now_ns();
	while (answered + failed < njobs) {
		int64_t now = now_ns();

		while (sent < njobs && inflight < (size_t)w) {
			ask(fd, sent, now);
			order[tail++] = sent++;
			inflight++;
		}
		/* the oldest tries: done, or timed out (again, or failed) */
		while (head < tail) {
			struct job *j = &jobs[order[head]];
			if (j->done == 0 && now - j->sent < TIMEOUT_NS)
				break;
			if (j->done == 0 && j->tries < TRIES) {
				ask(fd, order[head], now);
				order[tail++] = order[head];
			} else if (j->done == 0) {
				j->done = -1;
				waiting[j->sock][j->id] = 0;
				failed++;
				inflight--;
			}
			head++;
		}
		if (poll(pfd, (nfds_t)ns, 10) <= 0)
			continue;
		for (int s = 0; s < ns; s++) {
			if (!(pfd[s].revents & POLLIN))
				continue;
			for (;;) {
				uint8_t			 b[4096];
				struct sockaddr_in	 from;
				socklen_t		 flen = sizeof(from);
				ssize_t			 n;
				int32_t			 k;
				struct job		*j;

				n = recvfrom(fd[s], b, sizeof(b), 0, (struct sockaddr *)&from, &flen);
				if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				if (n < 12 || (k = waiting[s][b[0] << 8 | b[1]]) == 0)
					continue;
				j = &jobs[k - 1];
				if (from.sin_addr.s_addr != j->sa.sin_addr.s_addr ||
				    from.sin_port != j->sa.sin_port || j->done != 0)
					continue;
				waiting[s][j->id] = 0;
				inflight--;
				/* QR, NOERROR, one answer at least */
				if ((b[2] & 0x80) && (b[3] & 0x0f) == 0 && (b[6] | b[7]) != 0) {
					j->done = 1;
					answered++;
				} else {
					j->done = -1;
					failed++;
				}
			}
		}
	}
	printf("%zu %zu %.3f %zu\n", njobs, answered, (double)(now_ns() - start) / 1e9, failed);
	return failed ? 1 : 0;
}
