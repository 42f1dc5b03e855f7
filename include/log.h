/* log: one line per event, to syslog and (in the foreground) stderr. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Open the log; facility is a syslog facility value, stderr adds a copy there. */
void	log_init(const char *ident, int facility, enum log_level, bool to_stderr);
/* Change facility and level (SIGHUP). */
void	log_setup(int facility, enum log_level);
/* Level by name ("err", "warning", "info", "debug"); -1 if unknown. */
int	log_level_parse(const char *);
/* Syslog facility by name ("daemon", "local0"...); -1 if unknown. */
int	log_facility_parse(const char *);
/*
 * src with every byte outside printable ASCII as \xNN and the backslash
 * doubled (so text from a master cannot pass for an escape), cut to fit
 * dstlen (at least 6) without splitting an escape.
 */
void	log_vis(char *dst, size_t dstlen, const char *src);

/*
 * The one "once a window, then a count": a warning when window_ms passed
 * since the last one, saying how many lines like it were held back since;
 * in between, the line goes to debug and is counted.
 */
struct log_rl {
	int64_t		 last;		/* ms of the last warning; 0: none yet */
	uint64_t	 held;
};
void	log_ratelimited(struct log_rl *, int64_t now, int64_t window_ms,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
