/* LogRecord.getMessage(): str(msg) % args, as Python 3.11's PyUnicode_Format
 * reads the format against a tuple (a JSON list), a mapping (a JSON object) or
 * one value, each conversion made by pv_percent (percent.c).  The rules of
 * arguments are CPython's: a keyed conversion needs a mapping and then takes its
 * value as the only argument of what follows, '*' takes an int argument, and
 * what a tuple leaves unused is an error. */
#include <errno.h>
#include <string.h>

#include "osfs/logging/record.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

struct args {
	struct pyval all;   /* what % was given */
	struct pyval one;   /* a keyed conversion's value: the argument after it */
	long len, idx;      /* a tuple's length and next index; -1 and -2: one value */
	int mapping;        /* all is a dict: %(key) looks it up */
	struct osfs_buf scratch[2];
};

static int is_tuple(const struct pyval *v)
{
	return v->type == PV_LIST && v->i;
}

/* unicode_format_getnextarg (3.11). */
static int next_arg(struct args *a, struct pyval *out)
{
	if (a->idx >= a->len)
		return osfs_refuse(EINVAL, "TypeError: not enough arguments for format string");
	long at = a->idx++;
	if (a->len < 0) {
		*out = a->one;
		return 0;
	}
	struct pj_iter it;
	const char *key, *value;
	pj_open(&it, a->all.s, a->all.s + a->all.n);
	for (long i = 0; pj_next(&it, &key, &value); i++)
		if (i == at)
			return pj_value(value, a->all.s + a->all.n, out, &a->scratch[at % 2]);
	return osfs_refuse(EINVAL, "TypeError: not enough arguments for format string");
}

/* A '*' width or precision: an int argument. */
static int star(struct args *a, long *out)
{
	struct pyval v;
	int err = next_arg(a, &v);
	if (err)
		return err;
	if (v.type == PV_BIG)
		return osfs_refuse(EINVAL, "OverflowError: Python int too large to convert to C ssize_t");
	if (v.type != PV_INT && v.type != PV_BOOL)
		return osfs_refuse(EINVAL, "TypeError: * wants int");
	if (v.i > PV_WIDTH_MAX || v.i < -PV_WIDTH_MAX)
		return osfs_refuse(ERANGE, "width or precision too big (osfs allows up to %d)",
		                   PV_WIDTH_MAX);
	*out = (long)v.i;
	return 0;
}

/* Decimal digits: the number, or -ERANGE past osfs's bound. */
static int digits(const char **p, const char *end, long first, long *out)
{
	long w = first;
	while (*p < end && **p >= '0' && **p <= '9') {
		w = w * 10 + (**p - '0');
		(*p)++;
		if (w > PV_WIDTH_MAX)
			return osfs_refuse(ERANGE, "width or precision too big (osfs allows up to %d)",
			                   PV_WIDTH_MAX);
	}
	*out = w;
	return 0;
}

/* mapping[key]: the value the key was given last (a JSON object's keys are str). */
static int dict_get(const struct pyval *d, const char *key, size_t n, struct pyval *out,
                    struct osfs_buf *scratch)
{
	struct pj_iter it;
	const char *k, *value, *found = NULL;
	pj_open(&it, d->s, d->s + d->n);
	while (pj_next(&it, &k, &value))
		if (pj_string_is(k, key, n))
			found = value;
	if (found)
		return pj_value(found, d->s + d->n, out, scratch);
	struct osfs_buf r = {0};
	pv_repr_str(key, n, &r);
	int err = osfs_refuse(EINVAL, "KeyError: %s", r.data ? r.data : "");
	osfs_buf_free(&r);
	return err;
}

static int unsupported(uint32_t c, const char *fmt, const char *at)
{
	size_t index = u8_count(fmt, (size_t)(at - fmt));
	if (c > 31 && c < 127)
		return osfs_refuse(EINVAL,
		                   "ValueError: unsupported format character '%c' (0x%x) at index %zu",
		                   (int)c, c, index);
	return osfs_refuse(EINVAL,
	                   "ValueError: unsupported format character '?' (0x%x) at index %zu", c,
	                   index);
}

/* One conversion, after its '%' (at p); p is left after it. */
static int conversion(struct args *a, const char *fmt, const char **pp, const char *end,
                      struct osfs_buf *out)
{
	const char *p = *pp;
	if (*p == '(') {
		if (!a->mapping)
			return osfs_refuse(EINVAL, "TypeError: format requires a mapping");
		const char *key = ++p;
		int depth = 1;
		while (p < end && depth > 0) {
			depth += *p == ')' ? -1 : *p == '(' ? 1 : 0;
			p++;
		}
		if (depth > 0)
			return osfs_refuse(EINVAL, "ValueError: incomplete format key");
		int err = dict_get(&a->all, key, (size_t)(p - 1 - key), &a->one, &a->scratch[0]);
		if (err)
			return err;
		a->len = -1;
		a->idx = -2;
	}
	struct pct_spec s = {.width = -1, .precision = -1};
	static const char flag_chars[] = "-+ #0";
	static const int flag_bits[] = {PCT_LJUST, PCT_SIGN, PCT_BLANK, PCT_ALT, PCT_ZERO};
	const char *f;
	while (p < end && *p && (f = strchr(flag_chars, *p)) != NULL) {
		s.flags |= flag_bits[f - flag_chars];
		p++;
	}
	long n = 0;
	int err = 0;
	if (p < end && *p == '*') {
		p++;
		if ((err = star(a, &n)))
			return err;
		if (n < 0) {
			s.flags |= PCT_LJUST;
			n = -n;
		}
		s.width = (int)n;
	} else if (p < end && *p >= '0' && *p <= '9') {
		p++;
		if ((err = digits(&p, end, p[-1] - '0', &n)))
			return err;
		s.width = (int)n;
	}
	if (p < end && *p == '.') {
		s.precision = 0;
		p++;
		if (p < end && *p == '*') {
			p++;
			if ((err = star(a, &n)))
				return err;
			s.precision = n < 0 ? 0 : (int)n;
		} else if (p < end && *p >= '0' && *p <= '9') {
			p++;
			if ((err = digits(&p, end, p[-1] - '0', &n)))
				return err;
			s.precision = (int)n;
		}
	}
	if (p < end && (*p == 'h' || *p == 'l' || *p == 'L'))
		p++;
	if (p >= end)
		return osfs_refuse(EINVAL, "ValueError: incomplete format");
	const char *at = p;
	uint32_t c = u8_next(&p, end);
	struct pyval v;
	if ((err = next_arg(a, &v)))
		return err;
	*pp = p;
	if (!c || !strchr("sraiduoxXeEfFgGc", (int)(c < 128 ? c : 1)))
		return unsupported(c, fmt, at);
	s.type = c;
	return pv_percent(&v, &s, out);
}

int log_percent_args(const char *msg, const struct pyval *args, struct osfs_buf *out)
{
	struct args a = {.all = *args, .one = *args, .len = -1, .idx = -2};
	a.mapping = args->type == PV_DICT;
	if (is_tuple(args)) {
		struct pj_iter it;
		const char *key, *value;
		a.len = a.idx = 0;
		pj_open(&it, args->s, args->s + args->n);
		while (pj_next(&it, &key, &value))
			a.len++;
	}
	const char *p = msg, *end = msg + strlen(msg);
	int err = 0;
	while (!err && p < end) {
		const char *pct = memchr(p, '%', (size_t)(end - p));
		if (!pct) {
			osfs_buf_add(out, p, (size_t)(end - p));
			break;
		}
		osfs_buf_add(out, p, (size_t)(pct - p));
		p = pct + 1;
		if (p >= end) {
			err = osfs_refuse(EINVAL, "ValueError: incomplete format");
		} else if (*p == '%') {
			osfs_buf_putc(out, '%');
			p++;
		} else {
			err = conversion(&a, msg, &p, end, out);
		}
	}
	if (!err && a.idx < a.len && !a.mapping)
		err = osfs_refuse(EINVAL,
		                  "TypeError: not all arguments converted during string formatting");
	osfs_buf_free(&a.scratch[0]);
	osfs_buf_free(&a.scratch[1]);
	return err ? err : osfs_buf_error(out);
}

/* `if self.args:`: a value's truth, as bool() has it. */
int log_args_truthy(const struct pyval *v)
{
	switch (v->type) {
	case PV_NONE:
		return 0;
	case PV_BOOL:
	case PV_INT:
		return v->i != 0;
	case PV_FLOAT:
		return v->f != 0;
	case PV_BIG:
		return 1;
	case PV_STR:
		return v->n ? 1 : v->s[0] != '\0';
	case PV_LIST:
	case PV_DICT:
		return *pj_ws(v->s + 1, v->s + v->n) != v->s[v->n - 1];
	case PV_TUPLE:
		return strcmp(v->s, "()") != 0;
	}
	return 0;
}
