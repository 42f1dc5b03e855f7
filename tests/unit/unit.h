/* unit: minimal test macros; every CHECK prints one "ok" or "not ok" line. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

#define CHECK(cond, ...) do {						\
	int ok_ = (cond) ? 1 : 0;	/* evaluated once */		\
	printf(ok_ ? "ok - " : "not ok - ");				\
	unit_failed += !ok_;						\
	printf(__VA_ARGS__);						\
	if (!ok_)							\
		printf(" (%s:%d: %s)", __FILE__, __LINE__, #cond);	\
	printf("\n");							\
} while (0)

#define CHECK_STR(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL && w_ == NULL) ||			\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	CHECK(same_, __VA_ARGS__);					\
	if (!same_)							\
		printf("#   got  '%s'\n#   want '%s'\n", g_ ? g_ : "(null)", \
		    w_ ? w_ : "(null)");				\
} while (0)

#define UNIT_DONE() return unit_failed ? 1 : 0

#endif
