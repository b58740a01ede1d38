/* Python values for log records: str(), repr() and ascii() as Python prints them,
 * the [key] and .attribute access of a format's field names, and text as code
 * points (UTF-8), the unit Python counts in. */
#include "osfs/logging/value.h"

#include <errno.h>
#include <string.h>

#include "osfs/refuse.h"
#include "pyfmt.h"

uint32_t u8_next(const char **pp, const char *end)
{
	const unsigned char *p = (const unsigned char *)*pp;
	unsigned c = p[0];
	size_t n = c < 0x80                 ? 1
	           : c >= 0xc2 && c <= 0xdf ? 2
	           : c >= 0xe0 && c <= 0xef ? 3
	           : c >= 0xf0 && c <= 0xf4 ? 4
	                                    : 0;
	if (n == 1 || n == 0 || (size_t)(end - *pp) < n) {
		*pp += 1;
		return n == 1 ? c
		              : 0xdc00 + c; /* a stray byte: one character, as surrogateescape */
	}
	uint32_t cp = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*pp += 1;
			return 0xdc00 + c;
		}
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < least[n] || cp > 0x10ffff) {
		*pp += 1;
		return 0xdc00 + c;
	}
	*pp += n;
	return cp;
}

size_t u8_put(char out[4], uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

void u8_add(struct osfs_buf *out, uint32_t c)
{
	char b[4];
	osfs_buf_add(out, b, u8_put(b, c));
}

size_t u8_count(const char *s, size_t n)
{
	size_t count = 0;
	const char *end = s + n;
	for (const char *p = s; p < end; count++) {
		if ((unsigned char)*p < 0x80)
			p++;
		else
			u8_next(&p, end);
	}
	return count;
}

size_t u8_prefix(const char *s, size_t n, size_t chars)
{
	const char *p = s, *end = s + n;
	for (size_t i = 0; i < chars && p < end; i++)
		u8_next(&p, end);
	return (size_t)(p - s);
}

void fill_add(struct osfs_buf *out, const char *c, size_t clen, size_t n)
{
	char *p = n ? osfs_buf_extend(out, n * clen) : NULL;
	if (!p)
		return;
	if (clen == 1)
		memset(p, c[0], n);
	else
		for (size_t i = 0; i < n; i++)
			memcpy(p + i * clen, c, clen);
}

const char *pv_type_name(const struct pyval *v)
{
	static const char *const names[] = {"NoneType", "bool", "int",  "float", "str",
	                                    "int",      "list", "dict", "tuple"};
	return v->type == PV_LIST && v->i ? "tuple" : names[v->type];
}

static size_t str_len(const struct pyval *v)
{
	return v->n ? v->n : strlen(v->s);
}

/* unicode_repr: single quotes unless the text has ' and no "; escapes for the
 * quote, backslash, \t \n \r, and every character str.isprintable() refuses. */
void pv_repr_str(const char *s, size_t n, struct osfs_buf *out)
{
	const char *end = s + n;
	int squote = memchr(s, '\'', n) != NULL, dquote = memchr(s, '"', n) != NULL;
	char q = squote && !dquote ? '"' : '\'';
	osfs_buf_putc(out, q);
	for (const char *p = s; p < end;) {
		const char *at = p;
		uint32_t c = u8_next(&p, end);
		if (c == (uint32_t)q || c == '\\') {
			osfs_buf_putc(out, '\\');
			osfs_buf_putc(out, (char)c);
		} else if (c == '\t') {
			osfs_buf_puts(out, "\\t");
		} else if (c == '\n') {
			osfs_buf_puts(out, "\\n");
		} else if (c == '\r') {
			osfs_buf_puts(out, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			osfs_buf_printf(out, "\\x%02x", c);
		} else if (c < 0x7f) {
			osfs_buf_putc(out, (char)c);
		} else if (uc_is_printable(c)) {
			osfs_buf_add(out, at, (size_t)(p - at));
		} else if (c <= 0xff) {
			osfs_buf_printf(out, "\\x%02x", c);
		} else if (c <= 0xffff) {
			osfs_buf_printf(out, "\\u%04x", c);
		} else {
			osfs_buf_printf(out, "\\U%08x", c);
		}
	}
	osfs_buf_putc(out, q);
}

static void json_repr(const char *p, const char *end, struct osfs_buf *out);

/* A JSON value (checked) as repr() shows the object json.loads makes of it. */
static void json_item_repr(const char *p, const char *end, struct osfs_buf *out)
{
	struct osfs_buf tmp = {0};
	struct pyval v;
	if (*p == '[' || *p == '{') {
		json_repr(p, end, out);
	} else if (pj_value(p, end, &v, &tmp) == 0) {
		pv_repr(&v, out);
	}
	osfs_buf_free(&tmp);
}

/* str() of a list or dict: repr() of each item; a key given twice is where it
 * first appeared, with the value it was given last (as a dict keeps it). */
static void json_repr(const char *p, const char *end, struct osfs_buf *out)
{
	struct pj_iter it, later;
	const char *key, *value, *k2, *v2;
	pj_open(&it, p, end);
	osfs_buf_putc(out, it.dict ? '{' : '[');
	int first = 1, twice = it.dict && pj_has_duplicate_keys(p, end);
	while (pj_next(&it, &key, &value)) {
		if (twice) {
			int seen = 0;
			struct pj_iter before;
			pj_open(&before, p, end);
			while (pj_next(&before, &k2, &v2) && k2 != key)
				if (pj_string_eq(k2, key))
					seen = 1;
			if (seen)
				continue;
			later = it;
			while (pj_next(&later, &k2, &v2))
				if (pj_string_eq(k2, key))
					value = v2;
		}
		if (!first)
			osfs_buf_puts(out, ", ");
		first = 0;
		if (it.dict) {
			struct osfs_buf k = {0};
			pj_string(key, &k);
			pv_repr_str(k.data ? k.data : "", k.len, out);
			osfs_buf_free(&k);
			osfs_buf_puts(out, ": ");
		}
		json_item_repr(value, end, out);
	}
	osfs_buf_putc(out, it.dict ? '}' : ']');
}

/* A JSON list that stands for a tuple (a record's args): (a, b), (a,), (). */
static void tuple_repr(const char *p, const char *end, struct osfs_buf *out)
{
	struct pj_iter it;
	const char *key, *value;
	size_t n = 0, at = out->len;
	pj_open(&it, p, end);
	while (pj_next(&it, &key, &value))
		n++;
	json_repr(p, end, out);
	if (out->failed || out->len < at + 2)
		return;
	out->data[at] = '(';
	out->data[out->len - 1] = n == 1 ? ',' : ')';
	if (n == 1)
		osfs_buf_putc(out, ')');
}

int pv_str(const struct pyval *v, struct osfs_buf *out)
{
	switch (v->type) {
	case PV_NONE:
		osfs_buf_puts(out, "None");
		break;
	case PV_BOOL:
		osfs_buf_puts(out, v->i ? "True" : "False");
		break;
	case PV_INT: {
		char buf[24], *p = buf + sizeof buf;
		unsigned long long m =
		    v->i < 0 ? 0ULL - (unsigned long long)v->i : (unsigned long long)v->i;
		do
			*--p = (char)('0' + m % 10);
		while (m /= 10);
		if (v->i < 0)
			*--p = '-';
		osfs_buf_add(out, p, (size_t)(buf + sizeof buf - p));
		break;
	}
	case PV_FLOAT:
		return py_dtoa(out, v->f, 'r', 0, DTSF_ADD_DOT_0);
	case PV_STR:
	case PV_BIG:
	case PV_TUPLE:
		osfs_buf_add(out, v->s, str_len(v));
		break;
	case PV_LIST:
		if (v->i) /* a tuple */
			tuple_repr(v->s, v->s + v->n, out);
		else
			json_repr(v->s, v->s + v->n, out);
		break;
	case PV_DICT:
		json_repr(v->s, v->s + v->n, out);
		break;
	}
	return osfs_buf_error(out);
}

int pv_repr(const struct pyval *v, struct osfs_buf *out)
{
	if (v->type != PV_STR)
		return pv_str(v, out);
	pv_repr_str(v->s, str_len(v), out);
	return osfs_buf_error(out);
}

/* ascii(): repr() with every non-ASCII character escaped (backslashreplace). */
int pv_ascii(const struct pyval *v, struct osfs_buf *out)
{
	struct osfs_buf r = {0};
	int err = pv_repr(v, &r);
	const char *end = r.data + r.len;
	for (const char *p = r.data; !err && p < end;) {
		uint32_t c = u8_next(&p, end);
		if (c < 0x80)
			osfs_buf_putc(out, (char)c);
		else if (c <= 0xff)
			osfs_buf_printf(out, "\\x%02x", c);
		else if (c <= 0xffff)
			osfs_buf_printf(out, "\\u%04x", c);
		else
			osfs_buf_printf(out, "\\U%08x", c);
	}
	osfs_buf_free(&r);
	return err ? err : osfs_buf_error(out);
}

/* string.Formatter's get_integer: a key of decimal digits (of any script) is an
 * index.  The index, -1 if not all digits, or -2 past Py_ssize_t. */
static long long key_index(const char *key, size_t n)
{
	const char *p = key, *end = key + n;
	long long acc = 0;
	if (!n)
		return -1;
	while (p < end) {
		int d = uc_decimal(u8_next(&p, end));
		if (d < 0)
			return -1;
		if (acc > (0x7fffffffffffffffLL - d) / 10)
			return -2;
		acc = acc * 10 + d;
	}
	return acc;
}

static int not_subscriptable(const struct pyval *v)
{
	return osfs_refuse(EINVAL, "TypeError: '%s' object is not subscriptable", pv_type_name(v));
}

/* seq[index] of a str, list or tuple. */
static int get_index(const struct pyval *v, long long idx, struct pyval *out,
                     struct osfs_buf *scratch)
{
	if (v->type == PV_STR) {
		const char *s = v->s, *end = s + str_len(v), *p = s;
		for (long long i = 0; i < idx && p < end; i++)
			u8_next(&p, end);
		if (p >= end)
			return osfs_refuse(EINVAL, "IndexError: string index out of range");
		const char *at = p;
		u8_next(&p, end);
		osfs_buf_reset(scratch);
		osfs_buf_add(scratch, at, (size_t)(p - at));
		if (osfs_buf_error(scratch))
			return -ENOMEM;
		*out = (struct pyval){PV_STR, 0, 0, scratch->data, scratch->len};
		return 0;
	}
	if (v->type == PV_LIST) {
		struct pj_iter it;
		const char *key, *value;
		pj_open(&it, v->s, v->s + v->n);
		for (long long i = 0; pj_next(&it, &key, &value); i++)
			if (i == idx)
				return pj_value(value, v->s + v->n, out, scratch);
		return osfs_refuse(EINVAL, "IndexError: %s index out of range", pv_type_name(v));
	}
	return osfs_refuse(EINVAL, "IndexError: tuple index out of range"); /* args: () */
}

/* dict[key]: the value the key was given last. */
static int get_key(const struct pyval *v, const char *key, size_t n, struct pyval *out,
                   struct osfs_buf *scratch)
{
	struct pj_iter it;
	const char *k, *value, *found = NULL;
	pj_open(&it, v->s, v->s + v->n);
	while (pj_next(&it, &k, &value))
		if (pj_string_is(k, key, n))
			found = value;
	if (!found)
		return osfs_refuse(EINVAL, "KeyError: '%.*s'", (int)n, key);
	return pj_value(found, v->s + v->n, out, scratch);
}

int pv_getitem(const struct pyval *v, const char *key, size_t n, struct pyval *out,
               struct osfs_buf *scratch)
{
	long long idx = key_index(key, n);
	if (idx == -2)
		return osfs_refuse(EINVAL, "ValueError: Too many decimal digits in format string");
	int sequence = v->type == PV_STR || v->type == PV_LIST || v->type == PV_TUPLE;
	if (idx >= 0) {
		if (sequence)
			return get_index(v, idx, out, scratch);
		if (v->type == PV_DICT) /* a JSON object's keys are all str */
			return osfs_refuse(EINVAL, "KeyError: %lld", idx);
		return not_subscriptable(v);
	}
	if (v->type == PV_DICT)
		return get_key(v, key, n, out, scratch);
	if (v->type == PV_STR)
		return osfs_refuse(EINVAL, "TypeError: string indices must be integers, not 'str'");
	if (sequence)
		return osfs_refuse(EINVAL,
		                   "TypeError: %s indices must be integers or slices, not str",
		                   pv_type_name(v));
	return not_subscriptable(v);
}

/* The data attributes of the numbers: real, imag, numerator, denominator. */
int pv_getattr(const struct pyval *v, const char *name, size_t n, struct pyval *out,
               struct osfs_buf *scratch)
{
	static const char *const attrs[] = {"real", "imag", "numerator", "denominator"};
	int a = -1;
	for (int i = 0; i < 4; i++)
		if (strlen(attrs[i]) == n && memcmp(attrs[i], name, n) == 0)
			a = i;
	int integral = v->type == PV_INT || v->type == PV_BOOL || v->type == PV_BIG;
	if (a >= 0 && (integral || (v->type == PV_FLOAT && a < 2))) {
		*out = *v;
		if (v->type == PV_BOOL) /* True.real is the int 1 */
			out->type = PV_INT;
		if (a == 1 || a == 3) /* imag, denominator */
			*out =
			    v->type == PV_FLOAT ? PV_FLOAT_V(a == 1 ? 0.0 : 1.0) : PV_INT_V(a == 3);
		return 0;
	}
	(void)scratch;
	return osfs_refuse(EINVAL,
	                   "AttributeError: '%s' object has no attribute '%.*s' "
	                   "(osfs models real, imag, numerator and denominator of numbers only)",
	                   pv_type_name(v), (int)n, name);
}
