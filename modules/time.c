/* time: clocks, the local zone, struct_time, asctime, timezone facts and strftime,
 * each as Python's time module gives them on Linux. */
#include "osfs/time.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osfs/fmt.h"
#include "osfs/os.h"
#include "osfs/refuse.h"

/* The zone: TZ in the environment, changed under the write lock; conversions that
 * depend on it hold the read lock. */
static pthread_rwlock_t zone_lock = PTHREAD_RWLOCK_INITIALIZER;
static unsigned zone_generation; /* changes with the zone: what caches local times keys on */

void osfs_tz_init(void)
{
	pthread_rwlock_wrlock(&zone_lock);
	tzset();
	__atomic_add_fetch(&zone_generation, 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&zone_lock);
}

unsigned osfs_tz_generation(void)
{
	return __atomic_load_n(&zone_generation, __ATOMIC_ACQUIRE);
}

static int is_tzif(const char *path)
{
	char head[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, head, 4) == 4 &&
		 memcmp(head, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* A zone name: a TZif file, by absolute path or below the zoneinfo directory. */
static int zone_file(const char *zone)
{
	if (zone[0] == '/')
		return is_tzif(zone);
	if (strstr(zone, "..") || strlen(zone) > 200)
		return 0;
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	return is_tzif(path);
}

/* POSIX TZ rule strings, e.g. "EST5EDT,M3.2.0,M11.1.0" or "<+03>-3". */
static const char *tz_name(const char *p)
{
	const char *start = p;
	if (*p == '<') {
		for (p++; *p && *p != '>'; p++)
			if (!(isalnum((unsigned char)*p) || *p == '+' || *p == '-'))
				return NULL;
		return *p == '>' && p - start >= 4 ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - start >= 3 ? p : NULL;
}

static const char *tz_offset(const char *p, int max_hours)
{
	if (*p == '+' || *p == '-')
		p++;
	for (int part = 0; part < 3; part++) {
		if (part && *p != ':')
			break;
		if (part)
			p++;
		int digits = 0, v = 0;
		while (isdigit((unsigned char)*p) && digits < 3) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits || v > (part ? 59 : max_hours))
			return NULL;
	}
	return p;
}

static const char *tz_date(const char *p)
{
	int a, b, c, n = 0;
	if (*p == 'M') {
		if (sscanf(p + 1, "%d.%d.%d%n", &a, &b, &c, &n) != 3 || a < 1 || a > 12 || b < 1 ||
		    b > 5 || c < 0 || c > 6)
			return NULL;
		p += 1 + n;
	} else {
		if (*p == 'J')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		a = (int)strtol(p, (char **)&p, 10);
		if (a > 365)
			return NULL;
	}
	return *p == '/' ? tz_offset(p + 1, 167) : p;
}

static int tz_rule(const char *p)
{
	if (!(p = tz_name(p)) || !(p = tz_offset(p, 24)))
		return 0;
	if (!*p)
		return 1;
	if (!(p = tz_name(p)))
		return 0;
	if (*p && *p != ',' && !(p = tz_offset(p, 24)))
		return 0;
	if (!*p)
		return 1;
	if (*p++ != ',' || !(p = tz_date(p)) || *p++ != ',' || !(p = tz_date(p)))
		return 0;
	return *p == '\0';
}

int osfs_tz_set(const char *zone)
{
	const char *z = zone[0] == ':' ? zone + 1 : zone;
	if (*zone && !zone_file(z) && !tz_rule(z))
		return osfs_refuse(EINVAL,
				   "unknown zone '%s': expected a name from /usr/share/zoneinfo "
				   "(Europe/Paris, UTC) or a POSIX rule (EST5EDT,M3.2.0,M11.1.0)",
				   zone);
	pthread_rwlock_wrlock(&zone_lock);
	int err = *zone ? setenv("TZ", zone, 1) : unsetenv("TZ");
	tzset();
	__atomic_add_fetch(&zone_generation, 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&zone_lock);
	if (err)
		return -ENOMEM;
	/* os.environ['TZ'] = zone; time.tzset(): os.environ says so too */
	err = *zone ? osfs_environ_set("TZ", zone) : osfs_environ_unset("TZ");
	if (err == -ENOENT) /* (it was not set) */
		osfs_refusal_clear();
	return err == -ENOENT ? 0 : err;
}

/* The zone's name: TZ if set, else the system's from /etc/timezone or the link
 * /etc/localtime, else UTC. */
void osfs_tz_get(struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&zone_lock);
	const char *tz = getenv("TZ");
	if (tz) {
		osfs_buf_puts(out, tz);
		pthread_rwlock_unlock(&zone_lock);
		return;
	}
	pthread_rwlock_unlock(&zone_lock);
	char name[256] = "";
	FILE *f = fopen("/etc/timezone", "re");
	if (f) {
		if (!fgets(name, sizeof name, f))
			name[0] = '\0';
		fclose(f);
		name[strcspn(name, "\n")] = '\0';
	}
	if (!name[0]) {
		char link[256];
		ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
		const char *mark = n > 0 ? (link[n] = '\0', strstr(link, "zoneinfo/")) : NULL;
		snprintf(name, sizeof name, "%s", mark ? mark + strlen("zoneinfo/") : "UTC");
	}
	osfs_buf_puts(out, name);
}

/* Now, in whole seconds, from the clock Python's time.time() reads (time(NULL)
 * may read a coarser clock that lags a tick behind). */
time_t osfs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* Python's _PyTime_localtime() and _PyTime_gmtime(): the C library's errno (EOVERFLOW
 * past a year it can hold) as an OSError. */
static int time_error(void)
{
	int err = errno ? errno : EINVAL;
	return osfs_refuse(err, "[Errno %d] %s", err, strerror(err));
}

int osfs_localtime(time_t t, struct tm *tm)
{
	pthread_rwlock_rdlock(&zone_lock);
	errno = 0;
	struct tm *ok = localtime_r(&t, tm);
	int err = ok ? 0 : time_error();
	pthread_rwlock_unlock(&zone_lock);
	return err;
}

int osfs_gmtime(time_t t, struct tm *tm)
{
	errno = 0;
	if (!gmtime_r(&t, tm))
		return time_error();
	return 0; /* tm_zone is glibc's "GMT", as Python on glibc shows it */
}

/* time.mktime(): tm_wday is the sentinel that tells -1 the time from -1 the error. */
int osfs_mktime(struct tm *tm, time_t *t)
{
	tm->tm_wday = -1;
	pthread_rwlock_rdlock(&zone_lock);
	*t = mktime(tm);
	pthread_rwlock_unlock(&zone_lock);
	if (*t == (time_t)-1 && tm->tm_wday == -1)
		return osfs_refuse(ERANGE, "mktime argument out of range");
	return 0;
}

void osfs_struct_time(const struct tm *tm, struct osfs_kv *out)
{
	osfs_kv_int(out, "tm_year", tm->tm_year + 1900LL);
	osfs_kv_int(out, "tm_mon", tm->tm_mon + 1);
	osfs_kv_int(out, "tm_mday", tm->tm_mday);
	osfs_kv_int(out, "tm_hour", tm->tm_hour);
	osfs_kv_int(out, "tm_min", tm->tm_min);
	osfs_kv_int(out, "tm_sec", tm->tm_sec);
	osfs_kv_int(out, "tm_wday", (tm->tm_wday + 6) % 7); /* Monday is 0 */
	osfs_kv_int(out, "tm_yday", tm->tm_yday + 1);
	osfs_kv_int(out, "tm_isdst", tm->tm_isdst);
	osfs_kv_str(out, "tm_zone", tm->tm_zone ? tm->tm_zone : "");
	osfs_kv_int(out, "tm_gmtoff", tm->tm_gmtoff);
}

void osfs_asctime(const struct tm *tm, struct osfs_buf *out)
{
	static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	/* Python's _asctime() adds 1900 in a C int: a year past INT_MAX wraps there too */
	osfs_buf_printf(out, "%s %s%3d %.2d:%.2d:%.2d %d", wday[tm->tm_wday % 7],
			mon[tm->tm_mon % 12], tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
			(int)((unsigned)tm->tm_year + 1900u));
}

/* Python's init_timezone on glibc: the offsets of January and July of this year;
 * where January's is east of July's (the southern hemisphere), they swap. */
void osfs_tzinfo(struct osfs_tzinfo *info)
{
	static const time_t year = (365 * 24 + 6) * 3600;
	time_t t = (time(NULL) / year) * year;
	struct tm jan, jul;
	pthread_rwlock_rdlock(&zone_lock);
	localtime_r(&t, &jan);
	t += year / 2;
	localtime_r(&t, &jul);
	pthread_rwlock_unlock(&zone_lock);
	long janzone = -jan.tm_gmtoff, julzone = -jul.tm_gmtoff;
	const struct tm *std = janzone < julzone ? &jul : &jan, *dst = std == &jul ? &jan : &jul;
	info->timezone = -std->tm_gmtoff;
	info->altzone = -dst->tm_gmtoff;
	info->daylight = janzone != julzone;
	snprintf(info->tzname[0], sizeof info->tzname[0], "%.9s", std->tm_zone ? std->tm_zone : "");
	snprintf(info->tzname[1], sizeof info->tzname[1], "%.9s", dst->tm_zone ? dst->tm_zone : "");
}

int osfs_strftime(const char *format, const struct tm *tm, struct osfs_buf *out)
{
	/* Python grows its buffer from 1024 bytes until the result fits or the buffer is
	 * 256 times the format: then an empty answer is taken as the real one. */
	size_t fmtlen = strlen(format);
	char *buf = NULL;
	size_t n = 0;
	for (size_t size = 1024;; size += size) {
		char *p = realloc(buf, size);
		if (!p) {
			free(buf);
			return -ENOMEM;
		}
		buf = p;
		pthread_rwlock_rdlock(&zone_lock);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* the format is the request */
		n = strftime(buf, size, format, tm);
#pragma GCC diagnostic pop
		pthread_rwlock_unlock(&zone_lock);
		if (n > 0 || size >= 256 * fmtlen)
			break;
	}
	osfs_buf_add(out, buf, n);
	free(buf);
	return 0;
}

int osfs_strftime_request(const char *request, struct osfs_buf *out)
{
	char *copy = strdup(request);
	if (!copy)
		return -ENOMEM;
	char *format = copy, *when = NULL, *zone = NULL;
	if ((when = strchr(format, '\t'))) {
		*when++ = '\0';
		if ((zone = strchr(when, '\t')))
			*zone++ = '\0';
	}
	time_t t = osfs_now();
	struct tm tm;
	int err = when ? osfs_time_parse(when, &t) : 0;
	if (!err && zone && strcmp(zone, "utc") != 0 && strcmp(zone, "local") != 0)
		err = osfs_refuse(EINVAL, "'%s': expected utc or local", zone);
	if (!err)
		err = zone && strcmp(zone, "utc") == 0 ? osfs_gmtime(t, &tm) : osfs_localtime(t, &tm);
	/* strftime(format, gmtime(t)): the struct_time's year (tm_year + 1900) is a C int
	 * again in strftime's gettmarg */
	if (!err && tm.tm_year > INT_MAX - 1900)
		err = osfs_refuse(ERANGE, "signed integer is greater than maximum");
	if (!err)
		err = osfs_strftime(format, &tm, out);
	free(copy);
	return err;
}
