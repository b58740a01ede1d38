/* TimedRotatingFileHandler's schedule: when, interval, utc, atTime, and Python's
 * computeRollover, as a pure function (the handler and its tests share it). */
#ifndef OSFS_LOGGING_ROLLOVER_H
#define OSFS_LOGGING_ROLLOVER_H

#include <time.h>

struct log_rollover {
	char when[12];      /* S M H D MIDNIGHT W0..W6, upper case */
	long long interval; /* seconds */
	int utc;
	int at_time;        /* seconds after midnight, or -1 */
	int day_of_week;    /* W0..W6 */
	const char *suffix; /* strftime of the rotated file's suffix */
};

/* As TimedRotatingFileHandler.__init__ checks them: 0, or -EINVAL (Python's message). */
int log_rollover_setup(struct log_rollover *r, const char *when, long long interval, int utc,
		       const char *at_time);
time_t log_rollover_compute(const struct log_rollover *r, time_t current);

#endif
