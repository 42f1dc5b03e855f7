/*
 * pdns-refresher-control: ask the running daemon, make it act now.
 *
 *   pdns-refresher-control [-c FILE | -s SOCKET] [-j] [-t SECONDS] COMMAND [ARGS]
 *
 * It reads the daemon's configuration only to find control.socket, sends
 * the command as one line (words separated by tabs) and prints the answer;
 * the daemon's first line is the exit status.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "main.h"
#include "util.h"

#define EXIT_UNREACHABLE	3

#define USAGE \
"usage: pdns-refresher-control [-c FILE | -s SOCKET] [-j] [-t SECONDS] COMMAND [ARGS]\n"

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr, USAGE "%s", rc != 0 ? "" :
	    "\n"
	    "Asks the running pdns-refresher; every answer comes from its memory.\n\n"
	    "  -c FILE        the daemon's configuration, for control.socket\n"
	    "                 (default " DEFAULT_CONF ")\n"
	    "  -s SOCKET      the control socket itself (default " CONTROL_SOCKET ")\n"
	    "  -j, --json     one JSON object instead of text\n"
	    "  -t SECONDS     how long to wait for the answer (default 660; 0: for ever)\n"
	    "  -h, --help     this text\n"
	    "  --version      the version\n\n"
	    "Commands:\n"
	    "  status                       zones by state, backlog, rates, masters,\n"
	    "                               database and NOTIFY health, uptime\n"
	    "  zone NAME                    why the zone is as it is, and what comes next\n"
	    "  list KIND [--reason TEXT] [--limit N]\n"
	    "                               KIND: stale, failing, expired, never-loaded,\n"
	    "                               orphaned (every master refuses it, for\n"
	    "                               timers.orphaned-after);\n"
	    "                               --reason: the last error contains TEXT;\n"
	    "                               --limit: at most N (default 1000, 0: all)\n"
	    "  masters [--down]             per master: zones, health, last error\n"
	    "  refresh NAME                 check the zone now; waits for the outcome\n"
	    "  retransfer NAME [MASTER]     transfer it now whatever the serial\n"
	    "  reload                       what SIGHUP does\n\n"
	    "Exit status: 0 done, 1 the command failed (the zone is unknown, its check\n"
	    "failed), 2 a bad command, 3 no answer from the daemon.\n");
	exit(rc);
}

static const char *
socket_path(const char *conf_path, bool conf_given, struct conf **keep)
{
	char	 err[2048];

	if (!conf_given && access(conf_path, R_OK) == -1)
		return CONTROL_SOCKET;	/* no file to read: the default */
	if ((*keep = conf_load(conf_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "pdns-refresher-control: %s", err);
		exit(2);
	}
	if ((*keep)->control_socket[0] == '\0') {
		fprintf(stderr, "pdns-refresher-control: control.socket is off (\"\") in %s\n",
		    conf_path);
		conf_free(*keep);
		exit(2);
	}
	return (*keep)->control_socket;
}

/* Read the whole answer; -1 on a timeout. */
static int
read_all(int fd, int timeout_s, char **out, size_t *outlen)
{
	size_t	 cap = 65536, n = 0;
	char	*buf = xmalloc(cap);
	time_t	 end = time(NULL) + timeout_s;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = timeout_s == 0 ? -1 : (int)(end - time(NULL)) * 1000;
		ssize_t r;

		if (timeout_s != 0 && left <= 0) {
			free(buf);
			return -1;
		}
		if (poll(&pfd, 1, left) == 0)
			continue;	/* the deadline is checked above */
		if (n == cap)
			buf = xreallocarray(buf, cap *= 2, 1);
		r = read(fd, buf + n, cap - n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un	 sun;
	struct conf		*conf = NULL;
	const char		*conf_path = DEFAULT_CONF, *path = NULL;
	bool			 conf_given = false, json = false;
	char			*req = NULL, *ans = NULL, *nl, *end;
	size_t			 reqlen = 0, anslen;
	int			 ch, fd = -1, rc = EXIT_UNREACHABLE;
	long			 timeout = 660;

	while ((ch = getopt_long(argc, argv, "+c:s:jt:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; conf_given = true; break;
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 't':
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || timeout < 0 || timeout > 86400 * 7)
				usage(2);
			break;
		case 'h': usage(0);
		case 'V':
			printf("pdns-refresher-control %s\n", PDNS_REFRESHER_VERSION);
			return 0;
		default: usage(2);
		}
	}
	if (optind == argc)
		usage(2);
	if (path == NULL)
		path = socket_path(conf_path, conf_given, &conf);
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "pdns-refresher-control: %s: path too long\n", path);
		rc = 2;
		goto out;
	}

	/* The request: the words, a tab between them, a newline at the end. */
	for (int i = optind; i < argc; i++)
		reqlen += strlen(argv[i]) + 1;
	req = xmalloc(reqlen + 16);
	req[0] = '\0';
	for (int i = optind; i < argc; i++) {
		if (strpbrk(argv[i], "\t\n") != NULL) {
			fprintf(stderr, "pdns-refresher-control: a tab or newline in an argument\n");
			rc = 2;
			goto out;
		}
		strcat(req, argv[i]);
		strcat(req, i + 1 < argc ? "\t" : "");
	}
	if (json)
		strcat(req, "\t--json");
	strcat(req, "\n");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "pdns-refresher-control: cannot reach the daemon on %s: %s "
		    "(is pdns-refresher running? is this its control.socket?)\n", path,
		    strerror(errno));
		goto out;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "pdns-refresher-control: %s: %s\n", path, strerror(errno));
		goto out;
	}
	/* No shutdown(SHUT_WR): the daemon takes an EOF for a client that left. */
	if (read_all(fd, (int)timeout, &ans, &anslen) == -1) {
		fprintf(stderr, "pdns-refresher-control: no answer within %ld s; a check "
		    "under way goes on in the daemon\n", timeout);
		goto out;
	}
	if (anslen == 0 || (nl = memchr(ans, '\n', anslen)) == NULL ||
	    (rc = (int)strtol(ans, &end, 10), end != nl) || rc < 0 || rc > 2) {
		fprintf(stderr, "pdns-refresher-control: %s: no answer, or not one this "
		    "version understands\n", path);
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	nl++;
	fwrite(nl, 1, anslen - (size_t)(nl - ans), rc == 0 || json ? stdout : stderr);
out:
	if (fd != -1)
		close(fd);
	free(ans);
	free(req);
	conf_free(conf);
	return rc;
}
