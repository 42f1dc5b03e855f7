/* log: what reaches the log from the database and the network. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"
#include "unit.h"

static atomic_bool	 logging_done;

/* A worker logging below the level while the loop reloads the config. */
static void *
logger(void *arg)
{
	(void)arg;
	while (!atomic_load(&logging_done))
		log_debug("zone %s: a line below the level", "a.test");
	return NULL;
}

/*
 * A SIGHUP sets the level (log_setup, on the loop) while workers and the
 * db thread log: the level is read and written by several threads at
 * once, which ThreadSanitizer reports unless it is atomic.  Nothing below
 * the level may come out meanwhile.
 */
static void
reload_while_logging(void)
{
	FILE		*f = tmpfile(), *err = stderr;
	pthread_t	 t;
	long		 len;

	CHECK(f != NULL, "a file for the log's lines");
	if (f == NULL)
		return;
	/* the log's stream only: a sanitizer's report still reaches fd 2 */
	stderr = f;
	log_init("test_log", LOG_DAEMON, LOG_LVL_ERR, true);
	if (pthread_create(&t, NULL, logger, NULL) != 0) {
		stderr = err;
		fclose(f);
		CHECK(false, "a thread to log from");
		return;
	}
	for (int i = 0; i < 50; i++)
		log_setup(LOG_DAEMON, LOG_LVL_ERR);
	atomic_store(&logging_done, true);
	pthread_join(t, NULL);
	stderr = err;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fclose(f);
	CHECK(len == 0, "reloads while another thread logs: no line below the level");
}

int
main(void)
{
	char	 out[64];

	reload_while_logging();

	log_vis(out, sizeof(out), "zone a.test: master '127.0.0.1\n:53'");
	CHECK_STR(out, "zone a.test: master '127.0.0.1\\x0a:53'",
	    "a newline from domains.master cannot start a log line");
	log_vis(out, sizeof(out), "tab\there\r\x1b[31m\x7f");
	CHECK_STR(out, "tab\\x09here\\x0d\\x1b[31m\\x7f",
	    "tabs, carriage returns, escapes and DEL shown as \\xNN");
	log_vis(out, sizeof(out), "\"quoted\" a.b-c_d:53 [::1]");
	CHECK_STR(out, "\"quoted\" a.b-c_d:53 [::1]", "printable ASCII kept");
	log_vis(out, sizeof(out), "caf\xc3\xa9 \xff");
	CHECK_STR(out, "caf\\xc3\\xa9 \\xff", "bytes above 0x7e shown as \\xNN (a log "
	    "reader or terminal is not fed raw bytes from a master)");
	log_vis(out, sizeof(out), "back\\slash \\x0a");
	CHECK_STR(out, "back\\\\slash \\\\x0a", "a backslash is doubled, so a master's "
	    "literal \\x0a cannot pass for an escaped newline");
	log_vis(out, 8, "\n\n\n\n");
	CHECK(strlen(out) < 8 && strncmp(out, "\\x0a", 4) == 0,
	    "cut to the buffer without splitting an escape");
	UNIT_DONE();
}
