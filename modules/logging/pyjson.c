/* JSON as Python's json.loads reads it, for structured record lines and formatter
 * defaults.  Values stay in their text: a number keeps its literal (an int of 30
 * digits is still that int), a list or dict its JSON (indexed and printed when a
 * format asks); a string is decoded when it is used. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/refuse.h"
#include "pyfmt.h"

const char *pj_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static int hex4(const char *p, const char *end, unsigned *v)
{
	*v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* 0, 1 if the string is valid and holds a \u0000, or -EINVAL. */
static int check_string(const char **pp, const char *end)
{
	const char *p = *pp + 1;
	int nul = 0;
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return -EINVAL; /* json.loads is strict: "Invalid control character" */
		if (c == '\\') {
			if (++p >= end)
				return -EINVAL;
			unsigned v;
			if (*p == 'u') {
				if (hex4(p + 1, end, &v))
					return -EINVAL;
				nul |= v == 0;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return -EINVAL;
			}
		}
		p++;
	}
	if (p >= end)
		return -EINVAL;
	*pp = p + 1;
	return nul;
}

/* -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?, and an int of at most 4300 digits. */
static int check_number(const char **pp, const char *end)
{
	const char *p = *pp;
	if (*p == '-')
		p++;
	if (!is_digit(p, end))
		return -EINVAL;
	const char *digits = p;
	if (*p == '0')
		p++;
	else
		while (is_digit(p, end))
			p++;
	int is_int = 1;
	if (p + 1 < end && *p == '.' && is_digit(p + 1, end)) {
		is_int = 0;
		p++;
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (is_digit(q, end)) {
			is_int = 0;
			p = q;
			while (is_digit(p, end))
				p++;
		}
	}
	if (is_int && p - digits > 4300)
		return -EINVAL; /* int(): "Exceeds the limit (4300 digits)" */
	*pp = p;
	return 0;
}

static int word(const char **pp, const char *end, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(end - *pp) < n || memcmp(*pp, w, n) != 0)
		return -EINVAL;
	*pp += n;
	return 0;
}

int pj_check(const char **pp, const char *end, int depth)
{
	const char *p = pj_ws(*pp, end);
	int err, nul = 0;
	if (p >= end)
		return -EINVAL;
	switch (*p) {
	case '"':
		err = check_string(&p, end);
		nul = err == 1;
		err = nul ? 0 : err;
		break;
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		int dict = *p == '{';
		if (depth >= PJ_MAX_DEPTH)
			return -EINVAL;
		p = pj_ws(p + 1, end);
		err = 0;
		if (p < end && *p == close) {
			p++;
			break;
		}
		for (;;) {
			if (dict) {
				p = pj_ws(p, end);
				if (p >= end || *p != '"' || (err = check_string(&p, end)) < 0)
					return -EINVAL;
				nul |= err;
				p = pj_ws(p, end);
				if (p >= end || *p++ != ':')
					return -EINVAL;
			}
			if ((err = pj_check(&p, end, depth + 1)) == -EILSEQ)
				nul = 1, err = 0;
			else if (err)
				return err;
			p = pj_ws(p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == close) {
				p++;
				break;
			}
			return -EINVAL;
		}
		break;
	}
	case 'n':
		err = word(&p, end, "null");
		break;
	case 't':
		err = word(&p, end, "true");
		break;
	case 'f':
		err = word(&p, end, "false");
		break;
	case 'N':
		err = word(&p, end, "NaN");
		break;
	case 'I':
		err = word(&p, end, "Infinity");
		break;
	default:
		err = p + 1 < end && p[0] == '-' && p[1] == 'I' ? (p++, word(&p, end, "Infinity"))
		                                                : check_number(&p, end);
	}
	if (!err)
		*pp = p;
	return err ? err : nul ? -EILSEQ : 0;
}

int pj_refuse_nul(void)
{
	return osfs_refuse(EINVAL, "a JSON string holds \\u0000: osfs keeps no NUL character in a "
			   "text, as a line written holds no NUL byte");
}

void pj_string(const char *p, struct osfs_buf *out)
{
	for (p++; *p != '"'; p++) {
		if (*p != '\\') {
			osfs_buf_putc(out, *p);
			continue;
		}
		p++;
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *e = strchr(from, *p);
		if (*p != 'u') {
			osfs_buf_putc(out, to[e - from]);
			continue;
		}
		unsigned c, lo;
		hex4(p + 1, p + 5, &c);
		p += 4;
		/* a surrogate pair is one character; a lone surrogate stays (and cannot be
		 * written out as UTF-8, as in Python) */
		if (c >= 0xd800 && c < 0xdc00 && p[1] == '\\' && p[2] == 'u' &&
		    !hex4(p + 3, p + 7, &lo) && lo >= 0xdc00 && lo < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		u8_add(out, c);
	}
}

static int strings_equal(const char *a, const char *text, size_t n, const char *b)
{
	struct osfs_buf x = {0}, y = {0};
	pj_string(a, &x);
	if (b)
		pj_string(b, &y);
	else
		osfs_buf_add(&y, text, n);
	int eq = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	osfs_buf_free(&x);
	osfs_buf_free(&y);
	return eq;
}

int pj_string_eq(const char *a, const char *b)
{
	return strings_equal(a, NULL, 0, b);
}

int pj_string_is(const char *a, const char *text, size_t n)
{
	return strings_equal(a, text, n, NULL);
}

struct key_span {
	const char *s;
	size_t n;
};

static int span_cmp(const void *a, const void *b)
{
	const struct key_span *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

int pj_has_duplicate_keys(const char *p, const char *end)
{
	struct pj_iter it;
	const char *k, *v;
	size_t n = 0, i = 0;
	pj_open(&it, p, end);
	while (pj_next(&it, &k, &v))
		n++;
	struct key_span *keys = malloc((n ? n : 1) * sizeof *keys);
	if (!keys)
		return 1;
	int dup = 0;
	pj_open(&it, p, end);
	while (!dup && pj_next(&it, &k, &v)) {
		const char *q = k + 1;
		while (*q != '"' && *q != '\\')
			q++;
		dup = *q == '\\'; /* an escape: compare decoded, the slow way */
		keys[i++] = (struct key_span){k + 1, (size_t)(q - k - 1)};
	}
	if (!dup) {
		qsort(keys, n, sizeof *keys, span_cmp);
		for (i = 1; i < n && !dup; i++)
			dup = span_cmp(&keys[i - 1], &keys[i]) == 0;
	}
	free(keys);
	return dup;
}

void pj_open(struct pj_iter *it, const char *p, const char *end)
{
	it->dict = *p == '{';
	it->p = p + 1;
	it->end = end;
}

int pj_next(struct pj_iter *it, const char **key, const char **value)
{
	const char *p = pj_ws(it->p, it->end);
	if (*p == ',')
		p = pj_ws(p + 1, it->end);
	if (*p == ']' || *p == '}')
		return 0;
	*key = NULL;
	if (it->dict) {
		*key = p;
		check_string(&p, it->end);
		p = pj_ws(p, it->end) + 1; /* ':' */
		p = pj_ws(p, it->end);
	}
	*value = p;
	pj_check(&p, it->end, 0);
	it->p = p;
	return 1;
}

int pj_value(const char *p, const char *end, struct pyval *v, struct osfs_buf *scratch)
{
	p = pj_ws(p, end);
	const char *q = p;
	switch (*p) {
	case '"':
		osfs_buf_reset(scratch);
		pj_string(p, scratch);
		osfs_buf_putc(scratch, '\0'); /* so that an empty string has data */
		if (osfs_buf_error(scratch))
			return -ENOMEM;
		scratch->len--;
		*v = (struct pyval){PV_STR, 0, 0, scratch->data, scratch->len};
		return 0;
	case '[':
	case '{':
		pj_check(&q, end, 0);
		*v = (struct pyval){*p == '[' ? PV_LIST : PV_DICT, 0, 0, p, (size_t)(q - p)};
		return 0;
	case 'n':
		*v = PV_NONE_V;
		return 0;
	case 't':
	case 'f':
		*v = (struct pyval){PV_BOOL, *p == 't', 0, NULL, 0};
		return 0;
	}
	pj_check(&q, end, 0);
	size_t n = (size_t)(q - p);
	int is_int = 1;
	for (size_t i = 0; i < n; i++)
		if (strchr(".eENI", p[i]))
			is_int = 0;
	if (is_int) { /* in 64 bits, or kept as its digits */
		char *e;
		errno = 0;
		long long x = strtoll(p, &e, 10);
		if (!errno && e == q)
			*v = PV_INT_V(x);
		else
			*v = (struct pyval){PV_BIG, 0, 0, p, n};
		return 0;
	}
	*v = PV_FLOAT_V(strtod(p, NULL)); /* NaN, Infinity too; 1e400 is inf, as float() */
	return 0;
}
