/* time: Python's time module.  Local time follows one zone setting for the whole
 * library (osfs_tz_set), guarded by a lock so that conversions never see a zone
 * half-changed. */
#ifndef OSFS_TIME_H
#define OSFS_TIME_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "kv.h"

/* time.CLOCK_* and what they measure; caller clocks are the asking process's. */
enum osfs_clock_scope { OSFS_CLOCK_SYSTEM, OSFS_CLOCK_CALLER_PROCESS, OSFS_CLOCK_CALLER_THREAD };
struct osfs_clock {
	const char *name; /* "CLOCK_REALTIME" */
	clockid_t id;
	enum osfs_clock_scope scope;
};
const struct osfs_clock *osfs_clocks(size_t *count);
const struct osfs_clock *osfs_clock_find(const char *name);
/* A clock by CLOCK_ name or by number (then name is NULL): 0, or -ENOENT. */
int osfs_clock_lookup(const char *name, struct osfs_clock *out);
/* Reads a clock; caller clocks read the CPU time of process pid / thread tid. */
int osfs_clock_read(const struct osfs_clock *c, pid_t pid, pid_t tid, struct timespec *ts);
int osfs_clock_res(const struct osfs_clock *c, struct timespec *ts);
/* time.clock_settime(): value in seconds (ns 0) or nanoseconds (ns 1). */
int osfs_clock_set(const struct osfs_clock *c, const char *value, int ns);

/* time.get_clock_info(NAME). */
struct osfs_clock_info {
	const char *name; /* "time", "monotonic", ... */
	const char *clock;  /* the clock behind it: "CLOCK_REALTIME" */
	int monotonic, adjustable;
};
const struct osfs_clock_info *osfs_clock_infos(size_t *count);
const struct osfs_clock_info *osfs_clock_info_find(const char *name);

/* The zone local time uses: "" means the system's (/etc/localtime). */
int osfs_tz_set(const char *zone);
void osfs_tz_get(struct osfs_buf *out);
void osfs_tz_init(void);
/* A number that changes whenever the zone does (for caches of local times). */
unsigned osfs_tz_generation(void);

/* Now in whole seconds, as Python's time.time() reads the clock. */
time_t osfs_now(void);

/* time.localtime(t) and time.gmtime(t) as struct tm; time.mktime(tm) (local). */
int osfs_localtime(time_t t, struct tm *tm);
int osfs_gmtime(time_t t, struct tm *tm);
int osfs_mktime(struct tm *tm, time_t *t);

/* Times as Python's time functions take them (timeconv.c): seconds, floored, any a
 * time_t holds; struct_time fields, "Y M D h m s wday yday isdst" or the tm_NAME=N
 * lines, checked as asctime() checks them when check is 1. */
int osfs_time_parse(const char *text, time_t *t);
int osfs_struct_time_parse(const char *text, const char *func, int check, struct tm *tm);
/* gmtime(secs) (utc 1) or localtime(secs); when "now" is the current time. */
int osfs_time_at(const char *when, int utc, struct tm *tm);
/* time.asctime(fields) (empty: now) and time.mktime(fields). */
int osfs_asctime_request(const char *request, struct osfs_buf *out);
int osfs_mktime_request(const char *request, struct osfs_buf *out);
/* struct_time fields: tm_year ... tm_isdst, tm_zone, tm_gmtoff, as Python numbers them. */
void osfs_struct_time(const struct tm *tm, struct osfs_kv *out);
/* time.asctime(t) */
void osfs_asctime(const struct tm *tm, struct osfs_buf *out);
/* time.timezone, altzone, daylight, tzname for the current zone. */
struct osfs_tzinfo {
	long timezone, altzone;
	int daylight;
	char tzname[2][16];
};
void osfs_tzinfo(struct osfs_tzinfo *info);

/* time.strftime(format, tm), Python's result (including its empty answers). */
int osfs_strftime(const char *format, const struct tm *tm, struct osfs_buf *out);
/* A strftime request: "FORMAT[\tSECONDS[\tutc|local]]", default now, local time;
 * SECONDS any time the C library's gmtime() or localtime() takes. */
int osfs_strftime_request(const char *request, struct osfs_buf *out);

/* time.strptime(string, format): struct_time fields.  Request: "STRING[\tFORMAT]". */
int osfs_strptime(const char *string, const char *format, struct osfs_kv *out);
int osfs_strptime_request(const char *request, struct osfs_kv *out);

#endif
