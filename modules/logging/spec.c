/* format(value, spec): Python's format-spec mini-language
 * ([[fill]align][sign][z][#][0][width][grouping][.precision][type]) as
 * Python/formatter_unicode.c reads and applies it, for the values a record holds. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/refuse.h"
#include "pyfmt.h"

static int is_align(uint32_t c)
{
	return c == '<' || c == '>' || c == '=' || c == '^';
}

/* get_integer: decimal digits of any script; the count read, or -1 past Py_ssize_t. */
static int get_integer(const char **p, const char *end, long *out)
{
	long long acc = 0;
	int count = 0;
	while (*p < end) {
		const char *q = *p;
		int d = uc_decimal(u8_next(&q, end));
		if (d < 0)
			break;
		if (acc > (0x7fffffffffffffffLL - d) / 10)
			return osfs_refuse(EINVAL,
			                   "ValueError: Too many decimal digits in format string");
		acc = acc * 10 + d;
		count++;
		*p = q;
	}
	if (count && acc > PV_WIDTH_MAX)
		return osfs_refuse(ERANGE, "width or precision too big (osfs allows up to %d)",
		                   PV_WIDTH_MAX);
	*out = count ? (long)acc : -1;
	return count;
}

static uint32_t peek(const char *p, const char *end)
{
	return p < end ? u8_next(&p, end) : 0x110000;
}

static uint32_t take(const char **p, const char *end)
{
	return u8_next(p, end);
}

int fspec_parse(const char *spec, size_t n, struct fspec *f)
{
	const char *p = spec, *end = spec + n;
	*f = (struct fspec){.fill = " ", .filllen = 1, .width = -1, .precision = -1, .empty = !n};
	const char *second = p;
	if (p < end)
		u8_next(&second, end);
	if (second < end && is_align(peek(second, end))) {
		f->filllen = (uint8_t)(second - p);
		memcpy(f->fill, p, f->filllen);
		f->fill_given = f->align_given = 1;
		p = second;
		f->align = take(&p, end);
	} else if (p < end && is_align(peek(p, end))) {
		f->align_given = 1;
		f->align = take(&p, end);
	}
	uint32_t c = peek(p, end);
	if (c == ' ' || c == '+' || c == '-') {
		f->sign = c;
		p++;
	}
	if (peek(p, end) == 'z') {
		f->no_neg_0 = 1;
		p++;
	}
	if (peek(p, end) == '#') {
		f->alt = 1;
		p++;
	}
	if (!f->fill_given && peek(p, end) == '0') {
		f->zero = 1;
		f->fill[0] = '0';
		p++;
	}
	int err = get_integer(&p, end, &f->width);
	if (err < 0)
		return err;
	if (peek(p, end) == ',') {
		f->sep = ',';
		p++;
	}
	if (peek(p, end) == '_') {
		if (f->sep)
			return osfs_refuse(EINVAL, "ValueError: Cannot specify both ',' and '_'.");
		f->sep = '_';
		p++;
	}
	if (peek(p, end) == ',' && f->sep == '_')
		return osfs_refuse(EINVAL, "ValueError: Cannot specify both ',' and '_'.");
	if (peek(p, end) == '.') {
		p++;
		if ((err = get_integer(&p, end, &f->precision)) < 0)
			return err;
		if (err == 0)
			return osfs_refuse(EINVAL,
			                   "ValueError: Format specifier missing precision");
	}
	if (p < end) {
		const char *q = p;
		f->type = take(&q, end);
		if (q < end)
			return osfs_refuse(EINVAL, "ValueError: Invalid format specifier '%.*s'",
			                   (int)n, spec);
	}
	return 0;
}

/* The settled spec for one value: its type's default type and alignment applied,
 * and the grouping checked against the type. */
struct settled {
	const struct fspec *f;
	uint32_t type, align;
	int group; /* digits per group; 0: none */
};

static int settle(const struct fspec *f, uint32_t default_type, uint32_t default_align,
                  struct settled *s)
{
	s->f = f;
	s->type = f->type ? f->type : default_type;
	s->align = f->align_given ? f->align : default_align;
	if (f->zero && !f->align_given && default_align == '>')
		s->align = '=';
	s->group = 0;
	if (!f->sep)
		return 0;
	switch (s->type) {
	case 'd':
	case 'e':
	case 'f':
	case 'g':
	case 'E':
	case 'G':
	case '%':
	case 'F':
	case 0:
		s->group = 3;
		return 0;
	case 'b':
	case 'o':
	case 'x':
	case 'X':
		if (f->sep == '_') {
			s->group = 4;
			return 0;
		}
	}
	if (s->type > 32 && s->type < 128)
		return osfs_refuse(EINVAL, "ValueError: Cannot specify '%c' with '%c'.", f->sep,
		                   (int)s->type);
	return osfs_refuse(EINVAL, "ValueError: Cannot specify '%c' with '\\x%x'.", f->sep,
	                   s->type);
}

static int unknown_type(uint32_t type, const struct pyval *v)
{
	if (type > 32 && type < 128)
		return osfs_refuse(EINVAL,
		                   "ValueError: Unknown format code '%c' for object of type '%s'",
		                   (int)type, pv_type_name(v));
	return osfs_refuse(EINVAL,
	                   "ValueError: Unknown format code '\\x%x' for object of type '%s'", type,
	                   pv_type_name(v));
}

static void pad(struct osfs_buf *out, const struct fspec *f, long n)
{
	if (n > 0)
		fill_add(out, f->fill, f->filllen, (size_t)n);
}

/* format_string_internal */
static int format_str(const char *s, size_t n, const struct settled *st, struct osfs_buf *out)
{
	const struct fspec *f = st->f;
	if (f->sign)
		return osfs_refuse(EINVAL,
		                   "ValueError: Sign not allowed in string format specifier");
	if (f->no_neg_0)
		return osfs_refuse(
		    EINVAL,
		    "ValueError: Negative zero coercion (z) not allowed in format specifier");
	if (f->alt)
		return osfs_refuse(
		    EINVAL,
		    "ValueError: Alternate form (#) not allowed in string format specifier");
	if (st->align == '=')
		return osfs_refuse(
		    EINVAL, "ValueError: '=' alignment not allowed in string format specifier");
	if (f->precision >= 0)
		n = u8_prefix(s, n, (size_t)f->precision);
	long len = f->width > 0 ? (long)u8_count(s, n) : 0, total = f->width > len ? f->width : len;
	long left = st->align == '>' ? total - len : st->align == '^' ? (total - len) / 2 : 0;
	pad(out, f, left);
	osfs_buf_add(out, s, n);
	pad(out, f, total - len - left);
	return 0;
}

/* _PyUnicode_InsertThousandsGrouping: the digits with a separator every `group`
 * of them from the right, zero-padded on the left to at least min_width
 * characters.  Pieces are made from the right; dst NULL only counts. */
static long grouping(char *dst, const char *digits, long n, long min_width, int group, char sep)
{
	long count = 0, remaining = n, len, zeros, chars;
	int use_sep = 0, broken = 0;
	char *w = dst ? dst : NULL;
	const char *d = digits + n;
	if (min_width < 0)
		min_width = 0;
#define PIECE()                                                                                    \
	do {                                                                                       \
		zeros = len - remaining > 0 ? len - remaining : 0;                                 \
		chars = remaining < len ? remaining : len;                                         \
		if (chars < 0)                                                                     \
			chars = 0;                                                                 \
		count += use_sep + zeros + chars;                                                  \
		if (w) {                                                                           \
			if (use_sep)                                                               \
				*--w = sep;                                                        \
			for (long i_ = 0; i_ < chars; i_++)                                        \
				*--w = *--d;                                                       \
			for (long i_ = 0; i_ < zeros; i_++)                                        \
				*--w = '0';                                                        \
		}                                                                                  \
	} while (0)
	while (group > 0) {
		long most = remaining > min_width ? remaining : min_width;
		len = group < (most > 1 ? most : 1) ? group : (most > 1 ? most : 1);
		PIECE();
		use_sep = 1;
		remaining -= chars;
		min_width -= len;
		if (remaining <= 0 && min_width <= 0) {
			broken = 1;
			break;
		}
		min_width -= 1;
	}
	if (!broken) {
		long most = remaining > min_width ? remaining : min_width;
		len = most > 1 ? most : 1;
		PIECE();
	}
#undef PIECE
	return count;
}

/* calc_number_widths + fill_number: [lpad][sign][prefix][spad][digits][.rest][rpad].
 * rest is what follows the integer digits (point, fraction, exponent, '%', or the
 * character of 'c'), rest_chars its length in characters. */
static int number(struct osfs_buf *out, const struct settled *st, int negative, const char *prefix,
                  const char *digits, long ndigits, int has_decimal, const char *rest, size_t nrest,
                  long rest_chars)
{
	const struct fspec *f = st->f;
	char sign = 0;
	if (f->sign == '+')
		sign = negative ? '-' : '+';
	else if (f->sign == ' ')
		sign = negative ? '-' : ' ';
	else if (negative)
		sign = '-';
	long nprefix = (long)strlen(prefix);
	long non_digit = (sign != 0) + nprefix + (has_decimal != 0) + rest_chars;
	int zero_fill = f->filllen == 1 && f->fill[0] == '0' && st->align == '=';
	long min_width = zero_fill ? f->width - non_digit : 0;
	long grouped = ndigits ? grouping(NULL, digits, ndigits, min_width, st->group,
	                                  f->sep == '_' ? '_' : ',')
	                       : 0;
	long padding = f->width - (non_digit + grouped), lpad = 0, spad = 0, rpad = 0;
	if (padding > 0) {
		if (st->align == '<')
			rpad = padding;
		else if (st->align == '^')
			lpad = padding / 2, rpad = padding - lpad;
		else if (st->align == '=')
			spad = padding;
		else
			lpad = padding;
	}
	pad(out, f, lpad);
	if (sign)
		osfs_buf_putc(out, sign);
	osfs_buf_puts(out, prefix);
	pad(out, f, spad);
	char *g = grouped ? osfs_buf_extend(out, (size_t)grouped) : NULL;
	if (g)
		grouping(g + grouped, digits, ndigits, min_width, st->group,
		         f->sep == '_' ? '_' : ',');
	if (has_decimal)
		osfs_buf_putc(out, '.');
	osfs_buf_add(out, rest, nrest);
	pad(out, f, rpad);
	return osfs_buf_error(out);
}

void u64_digits(struct osfs_buf *out, unsigned long long x, int base, int upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[64], *p = buf + sizeof buf;
	do
		*--p = set[x % (unsigned)base];
	while (x /= (unsigned)base);
	osfs_buf_add(out, p, (size_t)(buf + sizeof buf - p));
}

int int_digits(const struct pyval *v, int base, int upper, struct osfs_buf *out, int *neg)
{
	if (v->type != PV_BIG) {
		*neg = v->i < 0;
		u64_digits(out, *neg ? 0ULL - (unsigned long long)v->i : (unsigned long long)v->i,
		           base, upper);
		return osfs_buf_error(out);
	}
	size_t n = v->n ? v->n : strlen(v->s);
	const char *d = v->s;
	*neg = *d == '-';
	if (*neg)
		d++, n--;
	if (base == 10) {
		osfs_buf_add(out, d, n);
		return osfs_buf_error(out);
	}
	return big_to_base(d, n, base, upper, out);
}

int pv_to_double(const struct pyval *v, double *d)
{
	if (v->type == PV_FLOAT) {
		*d = v->f;
		return 0;
	}
	if (v->type != PV_BIG) {
		*d = (double)v->i;
		return 0;
	}
	size_t n = v->n ? v->n : strlen(v->s);
	char *t = strndup(v->s, n);
	if (!t)
		return -ENOMEM;
	*d = strtod(t, NULL); /* correctly rounded, as int.__float__ */
	free(t);
	if (isinf(*d))
		return osfs_refuse(EINVAL, "OverflowError: int too large to convert to float");
	return 0;
}

/* format_float_internal */
static int format_float(double x, const struct settled *st, struct osfs_buf *out)
{
	const struct fspec *f = st->f;
	uint32_t type = st->type;
	int flags = (f->alt ? DTSF_ALT : 0) | (f->no_neg_0 ? DTSF_NO_NEG_0 : 0);
	long precision = f->precision, default_precision = 6;
	int pct = 0;
	if (type == 0) {
		flags |= DTSF_ADD_DOT_0;
		type = 'r';
		default_precision = 0;
	}
	if (type == 'n')
		type = 'g';
	if (type == '%') {
		type = 'f';
		x *= 100;
		pct = 1;
	}
	if (precision < 0)
		precision = default_precision;
	else if (type == 'r')
		type = 'g';
	struct osfs_buf num = {0};
	int err = py_dtoa(&num, x, (char)type, (int)precision, flags);
	if (pct)
		osfs_buf_putc(&num, '%');
	if (!err && !(err = osfs_buf_error(&num))) {
		const char *s = num.data, *e = num.data + num.len;
		int negative = *s == '-';
		s += negative;
		const char *d = s;
		while (d < e && *d >= '0' && *d <= '9')
			d++;
		int has_decimal = d < e && *d == '.';
		const char *rest = d + has_decimal;
		err = number(out, st, negative, "", s, (long)(d - s), has_decimal, rest,
		             (size_t)(e - rest), (long)(e - rest));
	}
	osfs_buf_free(&num);
	return err;
}

/* format_long_internal */
static int format_int(const struct pyval *v, const struct settled *st, struct osfs_buf *out)
{
	const struct fspec *f = st->f;
	if (f->precision != -1)
		return osfs_refuse(EINVAL,
		                   "ValueError: Precision not allowed in integer format specifier");
	if (f->no_neg_0)
		return osfs_refuse(EINVAL, "ValueError: Negative zero coercion (z) not allowed in "
		                           "integer format specifier");
	if (st->type == 'c') {
		if (f->sign)
			return osfs_refuse(
			    EINVAL,
			    "ValueError: Sign not allowed with integer format specifier 'c'");
		if (f->alt)
			return osfs_refuse(EINVAL, "ValueError: Alternate form (#) not allowed "
			                           "with integer format specifier 'c'");
		if (v->type == PV_BIG)
			return osfs_refuse(
			    EINVAL, "OverflowError: Python int too large to convert to C long");
		if (v->i < 0 || v->i > 0x10ffff)
			return osfs_refuse(EINVAL, "OverflowError: %%c arg not in range(0x110000)");
		char ch[4];
		size_t n = u8_put(ch, (uint32_t)v->i);
		return number(out, st, 0, "", "", 0, 0, ch, n, 1);
	}
	int base = st->type == 'b'                      ? 2
	           : st->type == 'o'                    ? 8
	           : st->type == 'x' || st->type == 'X' ? 16
	                                                : 10;
	static const char *const prefixes[] = {"0b", "0o", "0x", "0X"};
	const char *prefix = !f->alt || base == 10 ? ""
	                                           : prefixes[base == 2         ? 0
	                                                      : base == 8       ? 1
	                                                      : st->type == 'x' ? 2
	                                                                        : 3];
	struct osfs_buf digits = {0};
	int neg, err = int_digits(v, base, st->type == 'X', &digits, &neg);
	struct settled nst = *st;
	if (st->type == 'n')
		nst.group = 0; /* the C locale's: no grouping */
	if (!err)
		err = number(out, &nst, neg, prefix, digits.data, (long)digits.len, 0, "", 0, 0);
	osfs_buf_free(&digits);
	return err;
}

int pv_format_fspec(const struct pyval *v, const struct fspec *f, struct osfs_buf *out)
{
	struct settled st;
	int err;
	if (f->empty)
		return pv_str(v, out);
	switch (v->type) {
	case PV_STR:
		if ((err = settle(f, 's', '<', &st)))
			return err;
		if (st.type != 's')
			return unknown_type(st.type, v);
		return format_str(v->s, v->n ? v->n : strlen(v->s), &st, out);
	case PV_INT:
	case PV_BOOL:
	case PV_BIG:
		if ((err = settle(f, 'd', '>', &st)))
			return err;
		switch (st.type) {
		case 'b':
		case 'c':
		case 'd':
		case 'o':
		case 'x':
		case 'X':
		case 'n':
			return format_int(v, &st, out);
		case 'e':
		case 'E':
		case 'f':
		case 'F':
		case 'g':
		case 'G':
		case '%': {
			double d;
			if ((err = pv_to_double(v, &d)))
				return err;
			return format_float(d, &st, out);
		}
		}
		return unknown_type(st.type, v);
	case PV_FLOAT:
		if ((err = settle(f, 0, '>', &st)))
			return err;
		switch (st.type) {
		case 0:
		case 'e':
		case 'E':
		case 'f':
		case 'F':
		case 'g':
		case 'G':
		case 'n':
		case '%':
			return format_float(v->f, &st, out);
		}
		return unknown_type(st.type, v);
	default: /* object.__format__ */
		return osfs_refuse(EINVAL,
		                   "TypeError: unsupported format string passed to %s.__format__",
		                   pv_type_name(v));
	}
}

int pv_format(const struct pyval *v, unsigned conversion, const char *spec, size_t n,
              struct osfs_buf *out)
{
	struct osfs_buf conv = {0};
	struct pyval c;
	int err = 0;
	if (conversion) {
		if (conversion == 'r')
			err = pv_repr(v, &conv);
		else if (conversion == 's')
			err = pv_str(v, &conv);
		else if (conversion == 'a')
			err = pv_ascii(v, &conv);
		else if (conversion > 32 && conversion < 128)
			err = osfs_refuse(EINVAL, "ValueError: Unknown conversion specifier %c",
			                  (int)conversion);
		else
			err = osfs_refuse(EINVAL, "ValueError: Unknown conversion specifier \\x%x",
			                  conversion);
		c = (struct pyval){PV_STR, 0, 0, conv.data ? conv.data : "", conv.len};
		v = &c;
	}
	struct fspec f;
	if (!err)
		err = fspec_parse(spec, n, &f);
	if (!err)
		err = pv_format_fspec(v, &f, out);
	osfs_buf_free(&conv);
	return err;
}
