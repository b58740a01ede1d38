/* Floats as Python writes them: PyOS_double_to_string, the layout CPython's
 * format_float_short gives to the digits of a correctly rounded conversion.  The
 * digits come from the C library (glibc's printf rounds exactly, as Python's dtoa
 * does); where the two differ is only in layout, which is CPython's here. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyfmt.h"

/* _Py_dg_dtoa's answer: the significant digits (no trailing zeros; "0" for zero)
 * and the position of the decimal point.  mode 0: the shortest that reads back;
 * 2: ndigits significant digits; 3: ndigits after the point. */
struct dtoa {
	char *digits;
	int n, decpt;
	char local[48];
};

static int printf_digits(struct dtoa *d, const char *fmt, int prec, double x, size_t need)
{
	d->digits = need <= sizeof d->local ? d->local : malloc(need);
	if (!d->digits)
		return -ENOMEM;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(d->digits, need, fmt, prec, x);
#pragma GCC diagnostic pop
	return 0;
}

static int dtoa(double x, int mode, int ndigits, struct dtoa *d)
{
	x = fabs(x);
	if (x == 0) {
		d->digits = d->local;
		strcpy(d->local, "0");
		d->n = d->decpt = 1;
		return 0;
	}
	if (mode == 0) {
		for (ndigits = 1; ndigits < 17; ndigits++) {
			char t[32];
			snprintf(t, sizeof t, "%.*e", ndigits - 1, x);
			if (strtod(t, NULL) == x)
				break;
		}
		mode = 2;
	}
	if (mode == 2) {
		/* d.ddde[+-]XX */
		if (printf_digits(d, "%.*e", ndigits - 1, x, (size_t)ndigits + 16))
			return -ENOMEM;
		char *e = strchr(d->digits, 'e');
		d->decpt = atoi(e + 1) + 1;
		int n = 0;
		for (char *p = d->digits; p < e; p++)
			if (*p != '.')
				d->digits[n++] = *p;
		d->n = n;
	} else {
		/* III.FFF: at most 309 digits before the point */
		if (printf_digits(d, "%.*f", ndigits, x, (size_t)ndigits + 330))
			return -ENOMEM;
		char *dot = strchr(d->digits, '.');
		int ni = dot ? (int)(dot - d->digits) : (int)strlen(d->digits), n = 0;
		for (char *p = d->digits; *p; p++)
			if (*p != '.')
				d->digits[n++] = *p;
		int lead = 0;
		while (lead < n && d->digits[lead] == '0')
			lead++;
		if (lead == n) { /* rounds to zero: no digits, the point after them */
			d->n = 0;
			d->decpt = -ndigits;
			return 0;
		}
		memmove(d->digits, d->digits + lead, (size_t)(n - lead));
		d->n = n - lead;
		d->decpt = ni - lead;
	}
	while (d->n > 1 && d->digits[d->n - 1] == '0')
		d->n--;
	return 0;
}

static void zeros(struct osfs_buf *out, long n)
{
	char *p = n > 0 ? osfs_buf_extend(out, (size_t)n) : NULL;
	if (p)
		memset(p, '0', (size_t)n);
}

/* format_float_short: digits, zero padding, point and exponent, as CPython lays
 * them out. */
static int layout(struct osfs_buf *out, double x, char code, int mode, int precision, int add_dot_0,
                  int alt, int no_neg_0, int upper)
{
	struct dtoa d;
	if (dtoa(x, mode, precision, &d))
		return -ENOMEM;
	long decpt = d.decpt, ndig = d.n, vstart, vend = ndig, exp = 0;
	int use_exp = 0, neg = signbit(x) != 0;
	if (no_neg_0 && neg && (ndig == 0 || (ndig == 1 && d.digits[0] == '0')))
		neg = 0;
	switch (code) {
	case 'e':
		use_exp = 1;
		vend = precision;
		break;
	case 'f':
		vend = decpt + precision;
		break;
	case 'g':
		if (decpt <= -4 || decpt > (add_dot_0 ? precision - 1 : precision))
			use_exp = 1;
		if (alt)
			vend = precision;
		break;
	default: /* 'r' */
		if (decpt <= -4 || decpt > 16)
			use_exp = 1;
	}
	if (use_exp) {
		exp = decpt - 1;
		decpt = 1;
	}
	vstart = decpt <= 0 ? decpt - 1 : 0;
	if (!use_exp && add_dot_0)
		vend = vend > decpt ? vend : decpt + 1;
	else
		vend = vend > decpt ? vend : decpt;
	size_t at = out->len;
	if (neg)
		osfs_buf_putc(out, '-');
	if (decpt <= 0) {
		zeros(out, decpt - vstart);
		osfs_buf_putc(out, '.');
		zeros(out, -decpt);
	} else {
		zeros(out, -vstart);
	}
	if (0 < decpt && decpt <= ndig) {
		osfs_buf_add(out, d.digits, (size_t)decpt);
		osfs_buf_putc(out, '.');
		osfs_buf_add(out, d.digits + decpt, (size_t)(ndig - decpt));
	} else {
		osfs_buf_add(out, d.digits, (size_t)ndig);
	}
	if (ndig < decpt) {
		zeros(out, decpt - ndig);
		osfs_buf_putc(out, '.');
		zeros(out, vend - decpt);
	} else {
		zeros(out, vend - ndig);
	}
	if (out->len > at && out->data[out->len - 1] == '.' && !alt)
		out->data[--out->len] = '\0';
	if (use_exp)
		osfs_buf_printf(out, "%c%+.02ld", upper ? 'E' : 'e', exp);
	if (d.digits != d.local)
		free(d.digits);
	return osfs_buf_error(out);
}

/* %.Nf of a float whose exact value is m / 2^k with small m and k: the common
 * case of created and relativeCreated, done in integers (round half to even, as
 * the exact conversion rounds). */
static int fixed_fast(struct osfs_buf *out, double x, int precision)
{
	static const unsigned long long pow10[] = {
	    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
	if (precision > 9 || !(fabs(x) < 9007199254740992.0))
		return 1;
	int e;
	double m = frexp(fabs(x), &e);
	unsigned long long mant = (unsigned long long)ldexp(m, 53); /* |x| = mant * 2^(e-53) */
	int k = 53 - e;
	if (k < 0 || k > 63)
		return 1;
	unsigned __int128 v = (unsigned __int128)mant * pow10[precision];
	unsigned __int128 q = v >> k, r = v - (q << k),
	                  half = k ? (unsigned __int128)1 << (k - 1) : 0;
	if (k && (r > half || (r == half && (q & 1))))
		q++;
	unsigned long long ip = (unsigned long long)(q / pow10[precision]);
	unsigned long long fp = (unsigned long long)(q % pow10[precision]);
	char buf[48], *p = buf + sizeof buf;
	for (int i = 0; i < precision; i++, fp /= 10)
		*--p = (char)('0' + fp % 10);
	if (precision)
		*--p = '.';
	do
		*--p = (char)('0' + ip % 10);
	while (ip /= 10);
	if (signbit(x))
		*--p = '-';
	osfs_buf_add(out, p, (size_t)(buf + sizeof buf - p));
	return 0;
}

int py_dtoa(struct osfs_buf *out, double x, char code, int precision, int flags)
{
	int upper = code == 'E' || code == 'F' || code == 'G';
	char c = upper ? (char)(code + 32) : code;
	if (isnan(x) || isinf(x)) {
		if (isinf(x) && x < 0)
			osfs_buf_putc(out, '-');
		osfs_buf_puts(out, isnan(x) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"));
		return osfs_buf_error(out);
	}
	int mode = c == 'e' || c == 'g' ? 2 : c == 'f' ? 3 : 0;
	if (c == 'e')
		precision++;
	if (c == 'g' && precision == 0)
		precision = 1;
	if (c == 'f' && !(flags & (DTSF_ALT | DTSF_NO_NEG_0)) && !fixed_fast(out, x, precision))
		return osfs_buf_error(out);
	return layout(out, x, c, mode, precision, flags & DTSF_ADD_DOT_0, flags & DTSF_ALT,
	              flags & DTSF_NO_NEG_0, upper);
}
