/* One conversion of str % mapping, as Objects/unicodeobject.c makes it: the value
 * converted to text (unicode_format_arg_format), then signed, prefixed and padded
 * (unicode_format_arg_output).  The text is made in place at the end of the output
 * and rearranged there: no allocation for the common conversions. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "osfs/refuse.h"
#include "pyfmt.h"

static int is_number(const struct pyval *v)
{
	return v->type == PV_INT || v->type == PV_BOOL || v->type == PV_FLOAT || v->type == PV_BIG;
}

/* _PyUnicode_FormatLong: [-][0x|0o]digits, at least precision digits. */
static int format_long(const struct pyval *v, const struct pct_spec *s, struct osfs_buf *out)
{
	unsigned t = s->type;
	int base = t == 'o' ? 8 : t == 'x' || t == 'X' ? 16 : 10;
	size_t at = out->len;
	int neg;
	osfs_buf_puts(out, "-0x"); /* room for the sign and prefix, set below */
	size_t digits_at = out->len;
	int err = int_digits(v, base, t == 'X', out, &neg);
	if (err)
		return err;
	long ndigits = (long)(out->len - digits_at);
	char head[3];
	size_t nhead = 0;
	if (neg)
		head[nhead++] = '-';
	if ((s->flags & PCT_ALT) && base != 10) {
		head[nhead++] = '0';
		head[nhead++] = t == 'o' ? 'o' : t == 'x' ? 'x' : 'X';
	}
	long zeros = s->precision > ndigits ? s->precision - ndigits : 0;
	if (zeros && !osfs_buf_extend(out, (size_t)zeros))
		return -ENOMEM;
	char *d = out->data;
	memmove(d + at + nhead + zeros, d + digits_at, (size_t)ndigits);
	memset(d + at + nhead, '0', (size_t)zeros);
	memcpy(d + at, head, nhead);
	out->len = at + nhead + (size_t)zeros + (size_t)ndigits;
	d[out->len] = '\0';
	return 0;
}

/* mainformatlong: d i u of any real number, o x X of an int. */
static int format_int(const struct pyval *v, const struct pct_spec *s, struct osfs_buf *out)
{
	unsigned t = s->type;
	int index_only = t == 'o' || t == 'x' || t == 'X';
	if (!is_number(v) || (index_only && v->type == PV_FLOAT))
		return osfs_refuse(EINVAL, "TypeError: %%%c format: %s is required, not %s", t,
		                   index_only ? "an integer" : "a real number", pv_type_name(v));
	if (v->type != PV_FLOAT)
		return format_long(v, s, out);
	if (isnan(v->f))
		return osfs_refuse(EINVAL, "ValueError: cannot convert float NaN to integer");
	if (isinf(v->f))
		return osfs_refuse(EINVAL,
		                   "OverflowError: cannot convert float infinity to integer");
	struct osfs_buf big = {0};
	struct pyval i = PV_INT_V(0);
	int r = float_to_int(v->f, &i.i, &big);
	if (r == 1)
		i = (struct pyval){PV_BIG, 0, 0, big.data, big.len};
	int err = r < 0 ? r : format_long(&i, s, out);
	osfs_buf_free(&big);
	return err;
}

/* formatchar */
static int format_char(const struct pyval *v, struct osfs_buf *out)
{
	if (v->type == PV_STR) {
		const char *p = v->s, *end = p + (v->n ? v->n : strlen(v->s));
		if (p < end) {
			u8_next(&p, end);
			if (p == end) {
				osfs_buf_add(out, v->s, (size_t)(end - v->s));
				return 0;
			}
		}
	} else if (v->type == PV_INT || v->type == PV_BOOL || v->type == PV_BIG) {
		if (v->type == PV_BIG || v->i < 0 || v->i > 0x10ffff)
			return osfs_refuse(EINVAL, "OverflowError: %%c arg not in range(0x110000)");
		u8_add(out, (uint32_t)v->i);
		return 0;
	}
	return osfs_refuse(EINVAL, "TypeError: %%c requires int or char");
}

/* unicode_format_arg_output: the text at out[at..] gets its sign, prefix and
 * padding (numeric is arg->sign: d i u o x X and the floats). */
static int output(struct osfs_buf *out, size_t at, const struct pct_spec *s, int numeric)
{
	int flags = s->flags;
	char fill = numeric && (flags & PCT_ZERO) ? '0' : ' ';
	char *text = out->data + at;
	size_t bytes = out->len - at;
	long width = s->width;
	int truncating = s->type == 's' || s->type == 'r' || s->type == 'a';
	if (width <= 0 && !(truncating && s->precision >= 0) && !(flags & (PCT_SIGN | PCT_BLANK)))
		return 0;
	long len = (long)u8_count(text, bytes);
	if ((width == -1 || width <= len) && (s->precision == -1 || s->precision >= len) &&
	    !(flags & (PCT_SIGN | PCT_BLANK)))
		return 0;
	if (truncating && s->precision >= 0 && len > s->precision) {
		bytes = u8_prefix(text, bytes, (size_t)s->precision);
		len = s->precision;
	}
	size_t pindex = 0;
	char signchar = 0;
	if (numeric) {
		if (bytes && (text[0] == '-' || text[0] == '+')) {
			signchar = text[0];
			len--;
			pindex++;
		} else if (flags & PCT_SIGN) {
			signchar = '+';
		} else if (flags & PCT_BLANK) {
			signchar = ' ';
		} else {
			numeric = 0;
		}
	}
	if (width < len)
		width = len;
	int prefix = (flags & PCT_ALT) && (s->type == 'x' || s->type == 'X' || s->type == 'o');
	/* assemble: [sign][prefix](fill '0') or (spaces)[sign][prefix]; body; spaces */
	long lpad, rpad;
	long w = width;
	if (numeric && w > len)
		w--;
	if (prefix) {
		w -= 2;
		if (w < 0)
			w = 0;
		len -= 2;
	}
	lpad = w > len && !(flags & PCT_LJUST) ? w - len : 0;
	if (lpad)
		w = len;
	rpad = w > len ? w - len : 0;
	size_t body = pindex + (prefix ? 2 : 0), nbody = bytes - body;
	char head[3];
	size_t nhead = 0;
	if (numeric)
		head[nhead++] = signchar;
	if (prefix) {
		head[nhead++] = text[pindex];
		head[nhead++] = text[pindex + 1];
	}
	size_t total = nhead + (size_t)lpad + nbody + (size_t)rpad;
	if (total > out->len - at && !osfs_buf_extend(out, total - (out->len - at)))
		return -ENOMEM;
	char *d = out->data + at;
	memmove(d + nhead + (size_t)lpad, d + body, nbody);
	if (fill == '0') {
		memcpy(d, head, nhead);
		memset(d + nhead, '0', (size_t)lpad);
	} else {
		memset(d, ' ', (size_t)lpad);
		memcpy(d + lpad, head, nhead);
	}
	memset(d + nhead + (size_t)lpad + nbody, ' ', (size_t)rpad);
	out->len = at + total;
	out->data[out->len] = '\0';
	return 0;
}

int pv_percent(const struct pyval *v, const struct pct_spec *s, struct osfs_buf *out)
{
	size_t at = out->len;
	int err, numeric = 0;
	switch (s->type) {
	case 's':
		err = pv_str(v, out);
		break;
	case 'r':
		err = pv_repr(v, out);
		break;
	case 'a':
		err = pv_ascii(v, out);
		break;
	case 'i':
	case 'd':
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		err = format_int(v, s, out);
		numeric = 1;
		break;
	case 'e':
	case 'E':
	case 'f':
	case 'F':
	case 'g':
	case 'G': {
		double d;
		if (!is_number(v)) {
			err = osfs_refuse(EINVAL, "TypeError: must be real number, not %s",
			                  pv_type_name(v));
			break;
		}
		err = pv_to_double(v, &d);
		if (!err)
			err = py_dtoa(out, d, (char)s->type, s->precision < 0 ? 6 : s->precision,
			              s->flags & PCT_ALT ? DTSF_ALT : 0);
		numeric = 1;
		break;
	}
	case 'c':
		err = format_char(v, out);
		break;
	default:
		if (s->type > 31 && s->type < 127)
			return osfs_refuse(EINVAL,
			                   "ValueError: unsupported format character '%c' (0x%x)",
			                   (int)s->type, s->type);
		return osfs_refuse(EINVAL, "ValueError: unsupported format character '?' (0x%x)",
		                   s->type);
	}
	if (!err)
		err = osfs_buf_error(out);
	return err ? err : output(out, at, s, numeric);
}
