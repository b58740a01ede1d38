/* strptime's date arithmetic, as Python's _strptime does it with datetime.date:
 * defaults, week numbers (%U %W), ISO weeks (%G %V %u), day of the year. */
#include <errno.h>

#include "osfs/refuse.h"
#include "strptime.h"

/* Dates, as Python's datetime.date computes them (proleptic Gregorian). */
static int is_leap(long y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(long y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static long toordinal(long y, int m, int d)
{
	long yy = y - 1, days = yy * 365 + yy / 4 - yy / 100 + yy / 400;
	for (int k = 1; k < m; k++)
		days += days_in_month(y, k);
	return days + d;
}

static int check_date(long y, int m, int d)
{
	if (y < 1 || y > 9999)
		return osfs_refuse(EINVAL, "year %ld is out of range", y);
	if (m < 1 || m > 12)
		return osfs_refuse(EINVAL, "month must be in 1..12");
	if (d < 1 || d > days_in_month(y, m))
		return osfs_refuse(EINVAL, "day is out of range for month");
	return 0;
}

static int fromordinal(long n, long *y, int *m, int *d)
{
	if (n < 1)
		return osfs_refuse(EINVAL, "ordinal must be >= 1");
	long year = n / 366 + 1;
	while (toordinal(year + 1, 1, 1) <= n)
		year++;
	if (year > 9999)
		return osfs_refuse(EINVAL, "year %ld is out of range", year);
	long left = n - toordinal(year, 1, 1);
	int month = 1;
	while (left >= days_in_month(year, month))
		left -= days_in_month(year, month++);
	*y = year, *m = month, *d = (int)left + 1;
	return 0;
}

int strptime_weekday(long y, int m, int d)
{
	return (int)((toordinal(y, m, d) + 6) % 7);
}

int strptime_settle(struct fields *f)
{
	if (!f->have_year && f->have_iso_year) {
		if (!f->have_iso_week || !f->have_weekday)
			return osfs_refuse(EINVAL, "ISO year directive '%%G' must be used with the ISO "
					   "week directive '%%V' and a weekday directive ('%%A', "
					   "'%%a', '%%w', or '%%u').");
		if (f->have_julian)
			return osfs_refuse(EINVAL, "Day of the year directive '%%j' is not compatible "
					   "with ISO year directive '%%G'. Use '%%Y' instead.");
	} else if (!f->have_week && f->have_iso_week) {
		if (!f->have_weekday)
			return osfs_refuse(EINVAL, "ISO week directive '%%V' must be used with the ISO "
					   "year directive '%%G' and a weekday directive ('%%A', "
					   "'%%a', '%%w', or '%%u').");
		return osfs_refuse(EINVAL, "ISO week directive '%%V' is incompatible with the year "
				   "directive '%%Y'. Use the ISO year '%%G' instead.");
	}
	int leap_year_fix = 0;
	if (!f->have_year && f->month == 2 && f->day == 29) {
		f->year = 1904, leap_year_fix = 1;
	} else if (!f->have_year) {
		f->year = 1900;
	}
	int err;
	if (!f->have_julian && f->have_weekday) {
		if (f->have_week) {
			if ((err = check_date(f->year, 1, 1)))
				return err;
			int first = strptime_weekday(f->year, 1, 1), dow = f->weekday;
			if (!f->week_starts_mon) {
				first = (first + 1) % 7;
				dow = (dow + 1) % 7;
			}
			int week0 = (7 - first) % 7;
			f->julian = f->week_of_year == 0 ? 1 + dow - first
							 : 1 + week0 + 7 * (f->week_of_year - 1) + dow;
			f->have_julian = 1;
		} else if (f->have_iso_year && f->have_iso_week) {
			if ((err = check_date(f->iso_year, 1, 4)))
				return err;
			long correction = strptime_weekday(f->iso_year, 1, 4) + 1 + 3;
			long ordinal = f->iso_week * 7L + f->weekday + 1 - correction;
			long iso_year = f->iso_year;
			if (ordinal < 1) {
				ordinal += toordinal(iso_year, 1, 1);
				iso_year -= 1;
				if ((err = check_date(iso_year, 1, 1)))
					return err;
				ordinal -= toordinal(iso_year, 1, 1);
			}
			f->year = iso_year, f->julian = ordinal, f->have_julian = 1;
		}
		if (f->have_julian && f->julian <= 0) {
			f->year -= 1;
			f->julian += is_leap(f->year) ? 366 : 365;
		}
	}
	if (!f->have_julian) {
		if ((err = check_date(f->year, f->month, f->day)))
			return err;
		f->julian = toordinal(f->year, f->month, f->day) - toordinal(f->year, 1, 1) + 1;
	} else {
		if ((err = check_date(f->year, 1, 1)))
			return err;
		long y = 0;
		if ((err = fromordinal(f->julian - 1 + toordinal(f->year, 1, 1), &y, &f->month,
				       &f->day)))
			return err;
		f->year = y;
	}
	if (!f->have_weekday)
		f->weekday = strptime_weekday(f->year, f->month, f->day);
	if (leap_year_fix)
		f->year = 1900;
	return 0;
}

