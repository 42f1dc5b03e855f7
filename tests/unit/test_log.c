/* log: what reaches the log from the database and the network. */
#include "log.h"
#include "unit.h"

int
main(void)
{
	char	 out[64];

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
