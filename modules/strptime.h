/* strptime's two halves: matching (strptime.c) and Python's date arithmetic
 * (strptime_dates.c).  Internal to libosfs. */
#ifndef OSFS_STRPTIME_H
#define OSFS_STRPTIME_H

#include <stddef.h>

/* The fields the matched text gives, then Python's defaults and arithmetic. */
struct fields {
	long year, iso_year;
	int have_year, have_iso_year;
	int month, day, hour, minute, second;
	int weekday, have_weekday;
	long julian;
	int have_julian;
	int week_of_year, have_week, week_starts_mon;
	int iso_week, have_iso_week;
	int tz;
	long gmtoff;
	int have_gmtoff;
	char zone[64];
	int have_zone;
};

/* The C locale's directives (strptime_locale.c).  Numeric alternatives: '#' is a
 * digit, [..] a class; word lists longest first, as Python sorts them. */
#define STRPTIME_NNUMERIC 15
#define STRPTIME_NWORDLISTS 5
#define STRPTIME_NCOMPOSITE 3
struct strptime_numeric {
	char d;
	const char *alts[9]; /* NULL-ended */
};
struct strptime_words {
	char d;
	const char *words[13]; /* NULL-ended */
};
struct strptime_composite {
	char d;
	const char *format;
};
extern const struct strptime_numeric strptime_numeric[STRPTIME_NNUMERIC];
extern const struct strptime_words strptime_wordlists[STRPTIME_NWORDLISTS];
extern const struct strptime_composite strptime_composite[STRPTIME_NCOMPOSITE];
extern const char *const strptime_month_names[12];
extern const char *const strptime_day_names[7];

/* The length (in code points) of the regex _strptime's TimeRE has for directive d
 * (not %Z, made of the zone's names), and the groups it opens. */
size_t strptime_re_len(char d, int *groups);
/* re.escape()'s length of a word. */
size_t strptime_escaped_len(const char *w);

/* Python's defaults and arithmetic for the fields not given: 0 or -EINVAL. */
int strptime_settle(struct fields *f);
int strptime_weekday(long y, int m, int d);

#endif
