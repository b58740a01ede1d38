/* A minimal test harness: CHECK counts, and main() ends with the plain summary line. */
#ifndef OSFS_CHECK_H
#define OSFS_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks_passed, checks_failed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond) {                                                      \
			checks_passed++;                                         \
		} else {                                                         \
			checks_failed++;                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                \
	} while (0)

#define CHECK_STR(got, want)                                                       \
	do {                                                                       \
		const char *g_ = (got), *w_ = (want);                              \
		if (g_ && strcmp(g_, w_) == 0) {                                   \
			checks_passed++;                                           \
		} else {                                                           \
			checks_failed++;                                           \
			fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
				g_ ? g_ : "(null)", w_);                           \
		}                                                                  \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", checks_passed, checks_failed);
	return checks_failed ? 1 : 0;
}

#endif
