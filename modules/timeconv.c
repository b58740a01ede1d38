/* timeconv: times as Python's time functions take them -- seconds as
 * _PyTime_ObjectToTime_t() floors them, struct_time fields as gettmarg() and
 * checktm() check them -- and the functions that take them: gmtime(secs),
 * localtime(secs), ctime(secs), asctime(fields), mktime(fields), each with
 * Python's messages for what it refuses (ValueError: EINVAL, OverflowError:
 * ERANGE, OSError: its errno). */
#include "osfs/time.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

static int is_integer(const char *s)
{
	s += *s == '-' || *s == '+';
	return *s && strspn(s, "0123456789") == strlen(s);
}

int osfs_time_parse(const char *text, time_t *t)
{
	static const char overflow[] = "timestamp out of range for platform time_t";
	if (is_integer(text)) {
		long long v;
		if (osfs_parse_ll(text, &v) < 0)
			return osfs_refuse(ERANGE, overflow);
		*t = (time_t)v;
		return 0;
	}
	char *end;
	double d = strtod(text, &end);
	if (end == text || *end || strpbrk(text, "xXpP") || isspace((unsigned char)*text))
		return osfs_refuse(EINVAL, "'%s' is not a time in seconds since the epoch", text);
	if (isnan(d))
		return osfs_refuse(EINVAL, "Invalid value NaN (not a number)");
	d = floor(d);
	/* Python's range check takes the float 2**63 (time_t's maximum, rounded to a
	 * double, compared with <=), and its cast then gives what x86-64 gives for it,
	 * INT64_MIN: gmtime() of that is EOVERFLOW there, and so it is here */
	if (d == 9223372036854775808.0) {
		*t = (time_t)INT64_MIN;
		return 0;
	}
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return osfs_refuse(ERANGE, overflow);
	*t = (time_t)d;
	return 0;
}

/* One field, as PyArg_ParseTuple's "i" takes a Python int (a float or a word is
 * its TypeError). */
static int field_int(const char *s, size_t len, int *v)
{
	char word[64], *end;
	snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), s);
	long long ll;
	if (!is_integer(word)) {
		strtod(word, &end);
		return osfs_refuse(EINVAL, "'%s' object cannot be interpreted as an integer",
				   *end || !*word ? "str" : "float");
	}
	if (len >= sizeof word || osfs_parse_ll(word, &ll) < 0)
		return osfs_refuse(ERANGE, "Python int too large to convert to C long");
	if (ll > INT_MAX)
		return osfs_refuse(ERANGE, "signed integer is greater than maximum");
	if (ll < INT_MIN)
		return osfs_refuse(ERANGE, "signed integer is less than minimum");
	*v = (int)ll;
	return 0;
}

static const char *const field_names[9] = {"tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min",
					   "tm_sec", "tm_wday", "tm_yday", "tm_isdst"};

/* The nine numbers: "Y M D h m s wday yday isdst" (blanks or commas between), or
 * the tm_NAME=N lines gmtime and localtime show (tm_zone and tm_gmtoff ignored). */
static int fields_of(const char *text, const char *func, int v[9])
{
	int n = 0, err = 0;
	if (strstr(text, "tm_")) {
		int seen = 0;
		for (const char *line = text; *line && !err;) {
			size_t len = strcspn(line, "\n");
			const char *eq = memchr(line, '=', len);
			for (int k = 0; eq && k < 9; k++)
				if ((size_t)(eq - line) == strlen(field_names[k]) &&
				    strncmp(line, field_names[k], (size_t)(eq - line)) == 0) {
					err = field_int(eq + 1, len - (size_t)(eq + 1 - line), &v[k]);
					seen |= 1 << k;
				}
			line += len + (line[len] == '\n');
		}
		if (!err && seen != 0x1ff)
			err = osfs_refuse(EINVAL, "%s(): illegal time tuple argument", func);
		return err;
	}
	for (const char *p = text; !err;) {
		p += strspn(p, " \t\n,()");
		if (!*p)
			break;
		size_t len = strcspn(p, " \t\n,()");
		if (n == 9)
			return osfs_refuse(EINVAL, "%s(): illegal time tuple argument", func);
		err = field_int(p, len, &v[n++]);
		p += len;
	}
	if (!err && n != 9)
		err = osfs_refuse(EINVAL, "%s(): illegal time tuple argument", func);
	return err;
}

/* gettmarg(), then for asctime and strftime checktm(). */
int osfs_struct_time_parse(const char *text, const char *func, int check, struct tm *tm)
{
	int v[9];
	int err = fields_of(text, func, v);
	if (err)
		return err;
	if (v[0] < INT_MIN + 1900)
		return osfs_refuse(ERANGE, "year out of range");
	memset(tm, 0, sizeof *tm);
	tm->tm_year = v[0] - 1900;
	tm->tm_mon = v[1] - 1;
	tm->tm_mday = v[2];
	tm->tm_hour = v[3];
	tm->tm_min = v[4];
	tm->tm_sec = v[5];
	tm->tm_wday = (v[6] + 1) % 7;
	tm->tm_yday = v[7] - 1;
	tm->tm_isdst = v[8];
	if (!check)
		return 0;
	/* checktm(): Python takes 0 for the lowest month, day and day of year */
	if (tm->tm_mon == -1)
		tm->tm_mon = 0;
	else if (tm->tm_mon < 0 || tm->tm_mon > 11)
		return osfs_refuse(EINVAL, "month out of range");
	if (tm->tm_mday == 0)
		tm->tm_mday = 1;
	else if (tm->tm_mday < 0 || tm->tm_mday > 31)
		return osfs_refuse(EINVAL, "day of month out of range");
	if (tm->tm_hour < 0 || tm->tm_hour > 23)
		return osfs_refuse(EINVAL, "hour out of range");
	if (tm->tm_min < 0 || tm->tm_min > 59)
		return osfs_refuse(EINVAL, "minute out of range");
	if (tm->tm_sec < 0 || tm->tm_sec > 61)
		return osfs_refuse(EINVAL, "seconds out of range");
	if (tm->tm_wday < 0)
		return osfs_refuse(EINVAL, "day of week out of range");
	if (tm->tm_yday == -1)
		tm->tm_yday = 0;
	else if (tm->tm_yday < 0 || tm->tm_yday > 365)
		return osfs_refuse(EINVAL, "day of year out of range");
	return 0;
}

/* gmtime(secs) or localtime(secs): "now" is the current time. */
int osfs_time_at(const char *when, int utc, struct tm *tm)
{
	time_t t = osfs_now();
	int err = strcmp(when, "now") == 0 ? 0 : osfs_time_parse(when, &t);
	if (err)
		return err;
	return utc ? osfs_gmtime(t, tm) : osfs_localtime(t, tm);
}

/* time.asctime(fields): an empty request is now, in local time. */
int osfs_asctime_request(const char *request, struct osfs_buf *out)
{
	struct tm tm;
	int err = request[strspn(request, " \t\n")] ? osfs_struct_time_parse(request, "asctime", 1, &tm)
						    : osfs_time_at("now", 0, &tm);
	if (!err)
		osfs_asctime(&tm, out);
	return err;
}

/* time.mktime(fields): seconds, as osfs prints them (9 decimals). */
int osfs_mktime_request(const char *request, struct osfs_buf *out)
{
	struct tm tm;
	time_t t;
	int err = osfs_struct_time_parse(request, "mktime", 0, &tm);
	if (!err)
		err = osfs_mktime(&tm, &t);
	if (!err) /* whole seconds, any a time_t holds (nanoseconds would overflow) */
		osfs_buf_printf(out, "%lld.000000000", (long long)t);
	return err;
}
