/* TimedRotatingFileHandler's schedule: when, interval, utc, atTime, and Python's
 * computeRollover, as a pure function (the handler and its tests share it). */
#ifndef OSFS_LOGGING_ROLLOVER_H
#define OSFS_LOGGING_ROLLOVER_H

#include <time.h>

/* The longest interval kept, in seconds (some 31,700 years): a longer one never comes. */
#define LOG_ROLLOVER_MAX 1000000000000LL

struct log_rollover {
	char when[12];      /* S M H D MIDNIGHT W0..W6, upper case */
	long long interval; /* seconds */
	int utc;
	int at_time;        /* seconds after midnight, or -1 */
	int day_of_week;    /* W0..W6 */
	const char *suffix; /* strftime of the rotated file's suffix */
};

/* As TimedRotatingFileHandler.__init__ checks them: 0, or -EINVAL (Python's message;
 * and an interval below 1, on which Python's doRollover never returns). */
int log_rollover_setup(struct log_rollover *r, const char *when, long long interval, int utc,
		       const char *at_time);
time_t log_rollover_compute(const struct log_rollover *r, time_t current);

#endif
