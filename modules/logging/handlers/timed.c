/* logging.handlers.TimedRotatingFileHandler: at the rollover time, base becomes
 * base.SUFFIX (the start of the interval, strftime'd), old ones beyond backupCount
 * are deleted, and the next rollover is computed as Python computes it. */
#include <ctype.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../internal.h"
#include "file.h"
#include "osfs/logging/rollover.h"
#include "osfs/refuse.h"
#include "osfs/time.h"

#define MIDNIGHT (24 * 60 * 60)

static const struct {
	const char *when;
	long long seconds;
	const char *suffix;
} units[] = {
	{"S", 1, "%Y-%m-%d_%H-%M-%S"},
	{"M", 60, "%Y-%m-%d_%H-%M"},
	{"H", 3600, "%Y-%m-%d_%H"},
	{"D", MIDNIGHT, "%Y-%m-%d"},
	{"MIDNIGHT", MIDNIGHT, "%Y-%m-%d"},
};

int log_rollover_setup(struct log_rollover *r, const char *when, long long interval, int utc,
		       const char *at_time)
{
	*r = (struct log_rollover){.utc = utc, .at_time = -1};
	size_t n = strlen(when);
	if (n >= sizeof r->when)
		return osfs_refuse(EINVAL, "Invalid rollover interval specified: %s", when);
	for (size_t i = 0; i <= n; i++)
		r->when[i] = (char)toupper((unsigned char)when[i]);
	long long base = 0;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(units[i].when, r->when) == 0)
			base = units[i].seconds, r->suffix = units[i].suffix;
	if (!base && r->when[0] == 'W') {
		if (n != 2)
			return osfs_refuse(EINVAL, "You must specify a day for weekly rollover from 0 to 6 "
					   "(0 is Monday): %s", r->when);
		if (r->when[1] < '0' || r->when[1] > '6')
			return osfs_refuse(EINVAL, "Invalid day specified for weekly rollover: %s", r->when);
		r->day_of_week = r->when[1] - '0';
		base = 7LL * MIDNIGHT;
		r->suffix = "%Y-%m-%d";
	}
	if (!base)
		return osfs_refuse(EINVAL, "Invalid rollover interval specified: %s", r->when);
	/* Python's doRollover adds the interval until the next time is ahead: below 1
	 * it loops for ever.  Above, the schedule is bounded (no time_t overflow). */
	if (interval < 1)
		return osfs_refuse(EINVAL, "interval must be 1 or more, not %lld", interval);
	if (__builtin_mul_overflow(base, interval, &r->interval) || r->interval > LOG_ROLLOVER_MAX)
		r->interval = LOG_ROLLOVER_MAX;
	if (at_time) {
		int h = 0, m = 0, s = 0;
		if (sscanf(at_time, "%d:%d:%d", &h, &m, &s) < 2 || h < 0 || h > 23 || m < 0 || m > 59 ||
		    s < 0 || s > 59)
			return osfs_refuse(EINVAL, "atTime '%s': expected HH:MM or HH:MM:SS", at_time);
		r->at_time = (h * 60 + m) * 60 + s;
	}
	return 0;
}

static struct tm broken_down(const struct log_rollover *r, time_t t)
{
	struct tm tm;
	if (r->utc)
		osfs_gmtime(t, &tm);
	else
		osfs_localtime(t, &tm);
	return tm;
}

/* a + b, held within what a time_t can hold */
static time_t add_time(time_t a, long long b)
{
	time_t sum;
	return __builtin_add_overflow(a, b, &sum) ? (b > 0 ? INT64_MAX : INT64_MIN) : sum;
}

time_t log_rollover_compute(const struct log_rollover *r, time_t current)
{
	time_t result = add_time(current, r->interval);
	int weekly = r->when[0] == 'W';
	if (strcmp(r->when, "MIDNIGHT") != 0 && !weekly)
		return result;
	struct tm t = broken_down(r, current);
	int day = (t.tm_wday + 6) % 7; /* Monday is 0 */
	long rotate = r->at_time < 0 ? MIDNIGHT : r->at_time;
	long left = rotate - ((t.tm_hour * 60 + t.tm_min) * 60 + t.tm_sec);
	if (left < 0) {
		left += MIDNIGHT;
		day = (day + 1) % 7;
	}
	result = current + left;
	if (weekly && day != r->day_of_week) {
		int wait = day < r->day_of_week ? r->day_of_week - day : 6 - day + r->day_of_week + 1;
		time_t next = result + (time_t)wait * MIDNIGHT;
		if (!r->utc) {
			int dst_now = t.tm_isdst, dst_then = broken_down(r, next).tm_isdst;
			if (dst_now != dst_then)
				next += dst_now ? 3600 : -3600;
		}
		result = next;
	}
	return result;
}

struct timed {
	struct file f;
	struct log_rollover r;
	long long backup_count;
	time_t rollover_at;
};

static const char *const params[] = {"filename", "when", "interval", "backupCount", "encoding",
				     "delay", "utc", "atTime", "errors", NULL};
static const struct handler_attr attrs[] = {
	{"terminator", ATTR_STR, 0}, {"backupCount", ATTR_INT, 1}, {NULL, 0, 0}};

static int timed_open(struct log_handler *h, const cJSON *kwargs)
{
	struct timed *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->f.fd = t->f.dir = -1;
	h->state = t;
	const cJSON *when = cJSON_GetObjectItemCaseSensitive(kwargs, "when");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(kwargs, "atTime");
	long long interval;
	int err = kwarg_int(kwargs, "interval", 1, &interval);
	if (!err)
		err = kwarg_int(kwargs, "backupCount", 0, &t->backup_count);
	if (!err && ((when && !cJSON_IsString(when)) || (at && !cJSON_IsString(at) && !cJSON_IsNull(at))))
		err = osfs_refuse(EINVAL, "when and atTime are strings (atTime as HH:MM:SS)");
	if (!err)
		err = log_rollover_setup(&t->r, when ? when->valuestring : "h", interval,
					 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kwargs, "utc")),
					 cJSON_IsString(at) ? at->valuestring : NULL);
	if (!err)
		err = file_setup(&t->f, kwargs, 1);
	if (!err) {
		struct stat st;
		time_t start = file_stat(&t->f, NULL, &st) == 0 ? st.st_mtime
											: osfs_now();
		osfs_refusal_clear(); /* a missing directory (delay) is found out at the first record */
		t->rollover_at = log_rollover_compute(&t->r, start);
	}
	return err;
}

/* The suffix pattern (extMatch): each %Y four digits, other fields two, then an
 * optional ".word" (as ^...(\.\w+)?$ with re.ASCII). */
static int suffix_matches(const char *suffix, const char *s)
{
	for (const char *p = suffix; *p; p++) {
		if (*p == '%') {
			int digits = *++p == 'Y' ? 4 : 2;
			for (int i = 0; i < digits; i++, s++)
				if (!isdigit((unsigned char)*s))
					return 0;
		} else if (*s++ != *p) {
			return 0;
		}
	}
	if (!*s)
		return 1;
	if (*s++ != '.' || !*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* getFilesToDelete, then deletes them (names in the handler's directory). */
static void delete_old(struct timed *t)
{
	const char *base = t->f.base;
	char prefix[512];
	snprintf(prefix, sizeof prefix, "%s", base);
	char *dot = strrchr(prefix, '.');
	if (dot && dot != prefix)
		dot[1] = '\0'; /* splitext: the name without its extension, then '.' */
	else
		strcat(prefix, ".");
	int fd = file_dir_fd(&t->f);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	char **found = NULL;
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		const char *name = e->d_name;
		if (strncmp(name, base, strlen(base)) != 0 || strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		char *rest = strdup(name + strlen(prefix)), *save;
		int match = 0;
		for (char *part = rest ? strtok_r(rest, ".", &save) : NULL; part && !match;
		     part = strtok_r(NULL, ".", &save))
			match = suffix_matches(t->r.suffix, part);
		free(rest);
		char **p = match ? realloc(found, (n + 1) * sizeof *p) : NULL;
		if (p) {
			found = p;
			if ((found[n] = strdup(name)))
				n++;
		}
	}
	if (d)
		closedir(d);
	if (n >= (size_t)t->backup_count) {
		qsort(found, n, sizeof *found, by_name);
		for (size_t i = 0; i < n - (size_t)t->backup_count; i++)
			file_unlink(&t->f, found[i]);
		osfs_refusal_clear();
	}
	for (size_t i = 0; i < n; i++)
		free(found[i]);
	free(found);
}

static int do_rollover(struct timed *t, time_t now)
{
	file_close(&t->f);
	int dst_now = broken_down(&(struct log_rollover){.utc = 0}, now).tm_isdst;
	time_t start = add_time(t->rollover_at, -t->r.interval);
	struct tm tm = broken_down(&t->r, start);
	if (!t->r.utc && dst_now != tm.tm_isdst)
		tm = broken_down(&t->r, add_time(start, dst_now ? 3600 : -3600));
	struct osfs_buf name = {0};
	osfs_buf_printf(&name, "%s.", t->f.base);
	int err = osfs_strftime(t->r.suffix, &tm, &name);
	struct stat st;
	if (!err && file_stat(&t->f, name.data, &st) == 0)
		err = file_unlink(&t->f, name.data);
	if (!err && file_stat(&t->f, NULL, &st) == 0)
		err = file_rename(&t->f, t->f.base, name.data);
	osfs_buf_free(&name);
	if (err)
		return err;
	if (t->backup_count > 0)
		delete_old(t);
	if (!t->f.delay && (err = file_open(&t->f)))
		return err;
	time_t next = log_rollover_compute(&t->r, now);
	if (next <= now) /* interval >= 1: ahead after this many steps */
		next = add_time(next, ((now - next) / t->r.interval + 1) * t->r.interval);
	int daily = strcmp(t->r.when, "MIDNIGHT") == 0 || t->r.when[0] == 'W';
	if (daily && !t->r.utc) {
		int dst_then = broken_down(&t->r, next).tm_isdst;
		if (dst_now != dst_then)
			next = add_time(next, dst_now ? 3600 : -3600);
	}
	t->rollover_at = next;
	return 0;
}

static int timed_emit(struct log_handler *h, struct log_emit *e)
{
	struct timed *t = h->state;
	time_t now = osfs_now(); /* Python reads the clock at emit, not the record's time */
	int err = 0;
	if (now >= t->rollover_at) {
		struct stat st;
		if (file_stat(&t->f, NULL, &st) == 0 && !S_ISREG(st.st_mode))
			t->rollover_at = log_rollover_compute(&t->r, now);
		else
			err = do_rollover(t, now);
	}
	if (!err)
		err = file_ready(&t->f);
	return err ? err : file_write(&t->f, e, 0, e->n);
}

/* doRollover(), asked for: named by the interval that ends at the next rollover
 * time, as Python names it, and the next one computed from now. */
static int timed_rollover(struct log_handler *h)
{
	return do_rollover(h->state, osfs_now());
}

const struct handler_class timed_handler = {
	.name = "logging.handlers.TimedRotatingFileHandler",
	.params = params,
	.attrs = attrs,
	.commit = file_handler_commit,
	.open = timed_open,
	.emit = timed_emit,
	.release = file_handler_release,
	.rollover = timed_rollover,
	.reopen = file_handler_reopen,
	.close = file_handler_close,
};
