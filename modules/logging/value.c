/* Python values for log records: str(), repr(), % conversions and format() specs,
 * each giving the text Python gives for the same value. */
#include "osfs/logging/value.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/fmt.h"
#include "osfs/refuse.h"

static const char *type_name(const struct pyval *v)
{
	static const char *const names[] = {"NoneType", "bool", "int", "float", "str", "object"};
	return names[v->type];
}

void pv_repr_str(const char *s, struct osfs_buf *out)
{
	/* Python prefers single quotes, and uses double ones when only ' occurs. */
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	osfs_buf_putc(out, q);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == q || *p == '\\')
			osfs_buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			osfs_buf_puts(out, "\\n");
		else if (*p == '\r')
			osfs_buf_puts(out, "\\r");
		else if (*p == '\t')
			osfs_buf_puts(out, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			osfs_buf_printf(out, "\\x%02x", *p);
		else
			osfs_buf_putc(out, (char)*p); /* UTF-8 passes: printable text in Python */
	}
	osfs_buf_putc(out, q);
}

void pv_str(const struct pyval *v, struct osfs_buf *out)
{
	switch (v->type) {
	case PV_NONE:
		osfs_buf_puts(out, "None");
		break;
	case PV_BOOL:
		osfs_buf_puts(out, v->i ? "True" : "False");
		break;
	case PV_INT:
		osfs_buf_printf(out, "%lld", v->i);
		break;
	case PV_FLOAT:
		osfs_fmt_repr(out, v->f);
		break;
	case PV_STR:
	case PV_OBJ:
		osfs_buf_puts(out, v->s);
		break;
	}
}

void pv_repr(const struct pyval *v, struct osfs_buf *out)
{
	if (v->type == PV_STR)
		pv_repr_str(v->s, out);
	else
		pv_str(v, out);
}

/* ascii(): repr() with every non-ASCII character escaped. */
static void pv_ascii(const struct pyval *v, struct osfs_buf *out)
{
	struct osfs_buf r = {0};
	pv_repr(v, &r);
	for (size_t i = 0; i < r.len;) {
		unsigned char c = (unsigned char)r.data[i];
		if (c < 0x80) {
			osfs_buf_putc(out, (char)c);
			i++;
			continue;
		}
		int n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		unsigned cp = c & (n == 4 ? 0x07 : n == 3 ? 0x0f : 0x1f);
		for (int k = 1; k < n && i + (size_t)k < r.len; k++)
			cp = cp << 6 | ((unsigned char)r.data[i + (size_t)k] & 0x3f);
		if (cp <= 0xff)
			osfs_buf_printf(out, "\\x%02x", cp);
		else if (cp <= 0xffff)
			osfs_buf_printf(out, "\\u%04x", cp);
		else
			osfs_buf_printf(out, "\\U%08x", cp);
		i += (size_t)n;
	}
	osfs_buf_free(&r);
}

/* Digits of m in base 8, 10 or 16 (upper: A-F), into buf. */
static int digits_of(unsigned long long m, int base, int upper, char *buf)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[70];
	int n = 0;
	do
		rev[n++] = set[m % (unsigned)base];
	while (m /= (unsigned)base);
	for (int i = 0; i < n; i++)
		buf[i] = rev[n - 1 - i];
	buf[n] = '\0';
	return n;
}

static int base_of(char type)
{
	return type == 'o' ? 8 : type == 'x' || type == 'X' ? 16 : type == 'b' ? 2 : 10;
}

/* C's printf for one double: the format is made of checked pieces only (flags from
 * "-+ #0", a number, a conversion from "eEfFgG"), so it cannot be hostile. */
static int print_double(char *buf, size_t size, const char *flags, int width, int precision,
			char type, double d)
{
	char fmt[32];
	snprintf(fmt, sizeof fmt, "%%%s*.*%c", flags, type);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	int n = snprintf(buf, size, fmt, width > 0 ? width : 0, precision, d);
#pragma GCC diagnostic pop
	return n < 0 ? 0 : n >= (int)size ? (int)size - 1 : n;
}

static int is_number(const struct pyval *v)
{
	return v->type == PV_INT || v->type == PV_BOOL || v->type == PV_FLOAT;
}

/* Python counts characters, not bytes: widths and precisions are code points. */
static size_t u8_chars(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* The bytes of the first `chars` characters of s. */
static size_t u8_prefix(const char *s, size_t bytes, size_t chars)
{
	size_t i = 0;
	for (size_t n = 0; i < bytes; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == chars)
			break;
	}
	return i;
}

static void pad(struct osfs_buf *out, const char *text, size_t len, int width, int left, char fill)
{
	size_t w = width > 0 ? (size_t)width : 0, chars = u8_chars(text, len);
	if (!left)
		for (size_t i = chars; i < w; i++)
			osfs_buf_putc(out, fill);
	osfs_buf_add(out, text, len);
	if (left)
		for (size_t i = chars; i < w; i++)
			osfs_buf_putc(out, fill);
}

/* Python's % for an integer in base 8, 10 or 16: C's, but with Python's 0o prefix
 * and the prefix also for zero. */
static void percent_int(long long x, const struct pct_spec *s, struct osfs_buf *out)
{
	int alt = strchr(s->flags, '#') != NULL, zero = strchr(s->flags, '0') != NULL;
	int left = strchr(s->flags, '-') != NULL;
	char digits[80];
	unsigned long long mag = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
	int n = digits_of(mag, base_of(s->type), s->type == 'X', digits);
	char body[128];
	size_t len = 0;
	const char *sign = x < 0 ? "-" : strchr(s->flags, '+') ? "+" : strchr(s->flags, ' ') ? " " : "";
	const char *prefix = !alt ? "" : s->type == 'o' ? "0o" : s->type == 'x' ? "0x" : s->type == 'X' ? "0X" : "";
	len += (size_t)snprintf(body, sizeof body, "%s%s", sign, prefix);
	for (int i = n; i < s->precision && len < 100; i++)
		body[len++] = '0';
	if (zero && !left && s->precision < 0)
		for (int i = (int)len + n; i < s->width && len < 100; i++)
			body[len++] = '0';
	memcpy(body + len, digits, (size_t)n);
	len += (size_t)n;
	pad(out, body, len, s->width, left, ' ');
}

int pv_percent(const struct pyval *v, const struct pct_spec *s, struct osfs_buf *out)
{
	int left = strchr(s->flags, '-') != NULL;
	struct osfs_buf text = {0};
	int err = 0;
	switch (s->type) {
	case 's':
	case 'r':
	case 'a':
		if (s->type == 's')
			pv_str(v, &text);
		else if (s->type == 'r')
			pv_repr(v, &text);
		else
			pv_ascii(v, &text);
		if (s->precision >= 0 && text.data)
			text.len = u8_prefix(text.data, text.len, (size_t)s->precision);
		pad(out, text.data ? text.data : "", text.len, s->width, left, ' ');
		break;
	case 'd':
	case 'i':
	case 'u':
		if (!is_number(v)) {
			err = osfs_refuse(EINVAL, "%%%c format: a real number is required, not %s", s->type,
					  type_name(v));
			break;
		}
		percent_int(v->type == PV_FLOAT ? (long long)v->f : v->i, s, out);
		break;
	case 'o':
	case 'x':
	case 'X':
		if (v->type != PV_INT && v->type != PV_BOOL) {
			err = osfs_refuse(EINVAL, "%%%c format: an integer is required, not %s", s->type,
					  type_name(v));
			break;
		}
		percent_int(v->i, s, out);
		break;
	case 'e':
	case 'E':
	case 'f':
	case 'F':
	case 'g':
	case 'G': {
		if (!is_number(v)) {
			err = osfs_refuse(EINVAL, "must be real number, not %s", type_name(v));
			break;
		}
		double d = v->type == PV_FLOAT ? v->f : (double)v->i;
		char buf[512];
		int n = print_double(buf, sizeof buf, s->flags, s->width,
				     s->precision >= 0 ? s->precision : 6, s->type, d);
		osfs_buf_add(out, buf, (size_t)n);
		break;
	}
	case 'c':
		if (v->type == PV_STR && strlen(v->s) >= 1) {
			pad(out, v->s, strlen(v->s), s->width, left, ' ');
		} else if (v->type == PV_INT && v->i >= 0 && v->i < 128) {
			char c = (char)v->i;
			pad(out, &c, 1, s->width, left, ' ');
		} else {
			err = osfs_refuse(EINVAL, "%%c requires an int or a unicode character, not %s",
					  type_name(v));
		}
		break;
	default:
		err = osfs_refuse(EINVAL, "unsupported format character '%c'", s->type);
	}
	osfs_buf_free(&text);
	return err;
}

int pv_spec_number(const char **p, int *out)
{
	long n = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		if ((n = n * 10 + (**p - '0')) > PV_WIDTH_MAX)
			return osfs_refuse(EINVAL, "width or precision too big (osfs allows up to %d)",
					   PV_WIDTH_MAX);
	*out = (int)n;
	return 0;
}

/* The format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type] */
struct fmt_spec {
	char fill, align, sign, grouping, type;
	int alt, zero, width, precision;
};

static int parse_spec(const char *p, struct fmt_spec *f)
{
	*f = (struct fmt_spec){.fill = ' ', .width = -1, .precision = -1};
	const char *aligns = "<>=^";
	if (p[0] && p[1] && strchr(aligns, p[1])) {
		f->fill = p[0];
		f->align = p[1];
		p += 2;
	} else if (p[0] && strchr(aligns, p[0])) {
		f->align = *p++;
	}
	if (*p == '+' || *p == '-' || *p == ' ')
		f->sign = *p++;
	if (*p == 'z')
		p++;
	if (*p == '#')
		f->alt = 1, p++;
	if (*p == '0') {
		f->zero = 1, p++;
	}
	int err;
	if (*p >= '0' && *p <= '9' && (err = pv_spec_number(&p, &f->width)))
		return err;
	if (*p == ',' || *p == '_')
		f->grouping = *p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return osfs_refuse(EINVAL, "Format specifier missing precision");
		if ((err = pv_spec_number(&p, &f->precision)))
			return err;
	}
	if (*p)
		f->type = *p++;
	if (*p)
		return osfs_refuse(EINVAL, "Invalid format specifier");
	if (f->zero && !f->align) {
		f->fill = '0';
		f->align = '=';
	}
	return 0;
}

/* Inserts grouping separators every three digits of the integer part of num. */
static void group_digits(const char *num, char sep, struct osfs_buf *out)
{
	size_t lead = strspn(num, "0123456789");
	for (size_t i = 0; i < lead; i++) {
		osfs_buf_putc(out, num[i]);
		if ((lead - i - 1) % 3 == 0 && i + 1 < lead)
			osfs_buf_putc(out, sep);
	}
	osfs_buf_puts(out, num + lead);
}

static void align(const struct fmt_spec *f, const char *sign, const char *body, int numeric,
		  struct osfs_buf *out)
{
	size_t len = u8_chars(sign, strlen(sign)) + u8_chars(body, strlen(body));
	size_t w = f->width > 0 ? (size_t)f->width : 0;
	size_t padn = len < w ? w - len : 0;
	char a = f->align ? f->align : numeric ? '>' : '<';
	size_t before = a == '>' || a == '=' ? padn : a == '^' ? padn / 2 : 0;
	if (a != '=')
		for (size_t i = 0; i < before; i++)
			osfs_buf_putc(out, f->fill);
	osfs_buf_puts(out, sign);
	if (a == '=')
		for (size_t i = 0; i < before; i++)
			osfs_buf_putc(out, f->fill);
	osfs_buf_puts(out, body);
	for (size_t i = before; i < padn; i++)
		osfs_buf_putc(out, f->fill);
}

static int format_number(const struct pyval *v, const struct fmt_spec *f, struct osfs_buf *out)
{
	int is_float = v->type == PV_FLOAT;
	char t = f->type;
	if (!t)
		t = is_float ? 0 : 'd';
	if (t == 'n')
		t = is_float ? 'g' : 'd';
	int negative;
	char body[512];
	if (strchr("bcdoxX", t)) {
		if (is_float)
			return osfs_refuse(EINVAL, "Unknown format code '%c' for object of type 'float'", t);
		if (f->precision >= 0)
			return osfs_refuse(EINVAL, "Precision not allowed in integer format specifier");
		long long x = v->i;
		negative = x < 0;
		unsigned long long m = negative ? 0ULL - (unsigned long long)x : (unsigned long long)x;
		if (t == 'c') {
			body[0] = (char)m;
			body[1] = '\0';
		} else {
			static const char *const prefixes[] = {"0b", "0o", "0x", "0X"};
			int p = t == 'b' ? 0 : t == 'o' ? 1 : t == 'x' ? 2 : t == 'X' ? 3 : -1;
			size_t plen = 0;
			if (f->alt && p >= 0) {
				memcpy(body, prefixes[p], 2);
				plen = 2;
			}
			digits_of(m, base_of(t), t == 'X', body + plen);
		}
	} else if (strchr("eEfFgG%", t) || (!t && is_float)) {
		double d = is_float ? v->f : (double)v->i;
		negative = signbit(d) && !isnan(d);
		double m = fabs(d);
		if (isinf(m) || isnan(m)) {
			snprintf(body, sizeof body, "%s", isnan(m) ? "nan" : "inf");
			if (t && strchr("EFG", t))
				for (char *p = body; *p; p++)
					*p = (char)(*p - 32);
		} else if (!t) {
			if (f->precision < 0) {
				struct osfs_buf r = {0};
				osfs_fmt_repr(&r, m);
				snprintf(body, sizeof body, "%s", r.data);
				osfs_buf_free(&r);
			} else {
				snprintf(body, sizeof body, "%.*g", f->precision ? f->precision : 1, m);
				if (!strpbrk(body, ".e"))
					strcat(body, ".0");
			}
		} else if (t == '%') {
			snprintf(body, sizeof body, "%.*f%%", f->precision >= 0 ? f->precision : 6, m * 100);
		} else {
			print_double(body, sizeof body, f->alt ? "#" : "", 0,
				     f->precision >= 0 ? f->precision : 6, t, m);
		}
	} else {
		return osfs_refuse(EINVAL, "Unknown format code '%c' for object of type '%s'", t,
				   type_name(v));
	}
	const char *sign = negative ? "-" : f->sign == '+' ? "+" : f->sign == ' ' ? " " : "";
	if (f->grouping) {
		struct osfs_buf g = {0};
		group_digits(body, f->grouping, &g);
		align(f, sign, g.data, 1, out);
		osfs_buf_free(&g);
	} else {
		align(f, sign, body, 1, out);
	}
	return 0;
}

int pv_format(const struct pyval *v, char conversion, const char *spec, struct osfs_buf *out)
{
	struct pyval conv;
	struct osfs_buf converted = {0};
	if (conversion) {
		if (conversion == 'r')
			pv_repr(v, &converted);
		else if (conversion == 'a')
			pv_ascii(v, &converted);
		else
			pv_str(v, &converted);
		conv = PV_STR_V(converted.data ? converted.data : "");
		v = &conv;
	}
	struct fmt_spec f;
	int err = parse_spec(spec, &f);
	if (!err) {
		if (!*spec) {
			pv_str(v, out);
		} else if (v->type == PV_STR || v->type == PV_OBJ) {
			if (f.type && f.type != 's')
				err = osfs_refuse(EINVAL, "Unknown format code '%c' for object of type 'str'",
						  f.type);
			else if (f.sign || f.align == '=')
				err = osfs_refuse(EINVAL, "Sign not allowed in string format specifier");
			else {
				size_t len = strlen(v->s);
				if (f.precision >= 0)
					len = u8_prefix(v->s, len, (size_t)f.precision);
				char *t = strndup(v->s, len);
				align(&f, "", t ? t : "", 0, out);
				free(t);
			}
		} else if (v->type == PV_NONE) {
			err = osfs_refuse(EINVAL, "unsupported format string passed to NoneType.__format__");
		} else {
			err = format_number(v, &f, out);
		}
	}
	osfs_buf_free(&converted);
	return err;
}
