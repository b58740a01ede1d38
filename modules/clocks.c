/* clocks: every clock of <time.h> by its CLOCK_ name (generated from the header,
 * so the ones Python's time module names and the others Linux has) or by its
 * number, read and set as time.clock_gettime() and clock_settime() do; the CPU
 * clocks are the asking process's and thread's. */
#include "osfs/time.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

#define SCOPE(id) \
	((id) == CLOCK_PROCESS_CPUTIME_ID ? OSFS_CLOCK_CALLER_PROCESS \
	 : (id) == CLOCK_THREAD_CPUTIME_ID ? OSFS_CLOCK_CALLER_THREAD : OSFS_CLOCK_SYSTEM)
#define X(name) {#name, name, SCOPE(name)},
static const struct osfs_clock clocks[] = {
#include "consts-CLOCK.h"
};
#undef X
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

static const struct osfs_clock_info infos[] = {
	{"time", "CLOCK_REALTIME", 0, 1},
	{"monotonic", "CLOCK_MONOTONIC", 1, 0},
	{"perf_counter", "CLOCK_MONOTONIC", 1, 0},
	{"process_time", "CLOCK_PROCESS_CPUTIME_ID", 1, 0},
	{"thread_time", "CLOCK_THREAD_CPUTIME_ID", 1, 0},
};
#define NINFOS (sizeof infos / sizeof infos[0])

const struct osfs_clock *osfs_clocks(size_t *count)
{
	*count = NCLOCKS;
	return clocks;
}

const struct osfs_clock *osfs_clock_find(const char *name)
{
	for (size_t i = 0; i < NCLOCKS; i++)
		if (strcmp(clocks[i].name, name) == 0)
			return &clocks[i];
	return NULL;
}

int osfs_clock_lookup(const char *name, struct osfs_clock *out)
{
	const struct osfs_clock *c = osfs_clock_find(name);
	int id;
	if (c) {
		*out = *c;
		return 0;
	}
	if (osfs_parse_int(name, &id) < 0)
		return osfs_refuse(ENOENT, "unknown clock '%s': a CLOCK_ name or a number", name);
	*out = (struct osfs_clock){NULL, (clockid_t)id, SCOPE(id)};
	return 0;
}

const struct osfs_clock_info *osfs_clock_infos(size_t *count)
{
	*count = NINFOS;
	return infos;
}

const struct osfs_clock_info *osfs_clock_info_find(const char *name)
{
	for (size_t i = 0; i < NINFOS; i++)
		if (strcmp(infos[i].name, name) == 0)
			return &infos[i];
	return NULL;
}

/* Another thread's CPU clock cannot be read with clock_gettime (the kernel allows
 * thread clocks only within one's own process); schedstat holds the same count. */
static int thread_cputime(pid_t pid, pid_t tid, struct timespec *ts)
{
	char path[80], text[128];
	snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return osfs_refuse(ESRCH, "cannot read %s: %s", path, strerror(errno));
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	unsigned long long ns;
	if (n <= 0 || (text[n] = '\0', sscanf(text, "%llu", &ns) != 1))
		return osfs_refuse(EIO, "cannot parse %s", path);
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

static int clock_error(int err, const char *call, const struct osfs_clock *c)
{
	if (c->name)
		return osfs_refuse(err, "%s(%s): [Errno %d] %s", call, c->name, err, strerror(err));
	return osfs_refuse(err, "%s(%d): [Errno %d] %s", call, (int)c->id, err, strerror(err));
}

int osfs_clock_read(const struct osfs_clock *c, pid_t pid, pid_t tid, struct timespec *ts)
{
	clockid_t id = c->id;
	switch (c->scope) {
	case OSFS_CLOCK_CALLER_THREAD:
		return thread_cputime(pid, tid, ts);
	case OSFS_CLOCK_CALLER_PROCESS:
		if (clock_getcpuclockid(pid, &id) != 0)
			return osfs_refuse(ESRCH, "no CPU clock for process %d", (int)pid);
		break;
	case OSFS_CLOCK_SYSTEM:
		break;
	}
	if (clock_gettime(id, ts) < 0)
		return clock_error(errno, "clock_gettime", c);
	return 0;
}

int osfs_clock_res(const struct osfs_clock *c, struct timespec *ts)
{
	if (clock_getres(c->id, ts) < 0)
		return clock_error(errno, "clock_getres", c);
	return 0;
}

/* Seconds as Python's _PyTime_FromSecondsObject() takes them for clock_settime:
 * an int, or a float floored to a nanosecond; nanoseconds for clock_settime_ns. */
static int parse_ns(const char *value, int ns, long long *out)
{
	long long v;
	if (osfs_parse_ll(value, &v) == 0) {
		if (ns) {
			*out = v;
			return 0;
		}
		if (__builtin_mul_overflow(v, 1000000000LL, out))
			return osfs_refuse(ERANGE, "timestamp too large to convert to C _PyTime_t");
		return 0;
	}
	char *end;
	double d = strtod(value, &end);
	if (ns || end == value || *end || strpbrk(value, "xX"))
		return osfs_refuse(EINVAL, "'%s' is not a time in %s", value,
				   ns ? "nanoseconds" : "seconds");
	if (isnan(d))
		return osfs_refuse(EINVAL, "Invalid value NaN (not a number)");
	d = floor(d * 1e9);
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return osfs_refuse(ERANGE, "timestamp too large to convert to C _PyTime_t");
	*out = (long long)d;
	return 0;
}

/* time.clock_settime(clock, seconds) and clock_settime_ns(clock, ns). */
int osfs_clock_set(const struct osfs_clock *c, const char *value, int ns)
{
	long long t = 0;
	int err = parse_ns(value, ns, &t);
	if (err)
		return err;
	struct timespec ts = {(time_t)(t / 1000000000LL), (long)(t % 1000000000LL)};
	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000L;
	}
	if (clock_settime(c->id, &ts) < 0)
		return clock_error(errno, "clock_settime", c);
	return 0;
}
