/* strptime's two halves: matching (strptime.c) and Python's date arithmetic
 * (strptime_dates.c).  Internal to libosfs. */
#ifndef OSFS_STRPTIME_H
#define OSFS_STRPTIME_H

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

/* Python's defaults and arithmetic for the fields not given: 0 or -EINVAL. */
int strptime_settle(struct fields *f);
int strptime_weekday(long y, int m, int d);

#endif
