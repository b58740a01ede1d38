/* The number conventions of osfs files. */
#include "osfs/fmt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void osfs_fmt_ns(struct osfs_buf *out, int64_t ns)
{
	const char *sign = ns < 0 ? "-" : "";
	uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	osfs_buf_printf(out, "%s%llu.%09llu", sign, (unsigned long long)(mag / 1000000000u),
			(unsigned long long)(mag % 1000000000u));
}

void osfs_fmt_timespec(struct osfs_buf *out, const struct timespec *ts)
{
	osfs_fmt_ns(out, (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec);
}

/* Python's float repr: the shortest round-tripping digits, written out in fixed
 * notation when the decimal exponent is in [-4, 16), else as d.ddde+XX. */
void osfs_fmt_repr(struct osfs_buf *out, double v)
{
	if (isnan(v)) {
		osfs_buf_puts(out, "nan");
		return;
	}
	if (isinf(v)) {
		osfs_buf_puts(out, v < 0 ? "-inf" : "inf");
		return;
	}
	char sci[40];
	for (int prec = 0; prec <= 16; prec++) {
		snprintf(sci, sizeof sci, "%.*e", prec, v);
		if (strtod(sci, NULL) == v)
			break;
	}
	/* sci is [-]d[.ddd]e[+-]XX: split it into sign, digits and exponent. */
	char *e = strchr(sci, 'e');
	int exp = atoi(e + 1);
	*e = '\0';
	const char *m = sci;
	int neg = *m == '-';
	if (neg)
		m++;
	char digits[24];
	size_t nd = 0;
	for (const char *p = m; *p; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (neg)
		osfs_buf_putc(out, '-');
	if (exp < -4 || exp >= 16) {
		osfs_buf_putc(out, digits[0]);
		if (nd > 1) {
			osfs_buf_putc(out, '.');
			osfs_buf_puts(out, digits + 1);
		}
		osfs_buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		osfs_buf_puts(out, "0.");
		for (int i = -1; i > exp; i--)
			osfs_buf_putc(out, '0');
		osfs_buf_puts(out, digits);
	} else {
		size_t intlen = (size_t)exp + 1;
		for (size_t i = 0; i < intlen; i++)
			osfs_buf_putc(out, i < nd ? digits[i] : '0');
		osfs_buf_putc(out, '.');
		osfs_buf_puts(out, nd > intlen ? digits + intlen : "0");
	}
}

static const struct {
	const char *word;
	int value;
} bool_words[] = {
	{"1", 1},   {"0", 0},     {"y", 1},  {"n", 0},   {"yes", 1}, {"no", 0},
	{"true", 1}, {"false", 0}, {"on", 1}, {"off", 0},
};

int osfs_parse_bool(const char *s, int *v)
{
	for (size_t i = 0; i < sizeof bool_words / sizeof bool_words[0]; i++) {
		if (strcasecmp(s, bool_words[i].word) == 0) {
			*v = bool_words[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

int osfs_parse_ll(const char *s, long long *v)
{
	if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return -EINVAL;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*v = x;
	return 0;
}
