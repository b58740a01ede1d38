/* str.format as Python reads a format: MarkupIterator_next and parse_field over
 * the text, field_name_split and FieldNameIterator over each field name, nested
 * fields in a spec compiled as formats of their own (one level, as Python's
 * recursion limit of 2 allows).  With validate, StrFormatStyle.validate's checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtprog.h"
#include "osfs/refuse.h"

struct brace {
	struct fmt_prog *prog;
	int validate, depth;
	int *fields; /* validate's count: top-level fields with a name */
};

/* Python's repr() of a part of the format, for validate's messages. */
static const char *repr_of(const char *s, size_t len, struct osfs_buf *b)
{
	pv_repr_str(s, len, b);
	return b->data ? b->data : "''";
}

static int refuse_invalid(const char *what, const char *s, size_t len)
{
	struct osfs_buf b = {0};
	int err = osfs_refuse(EINVAL, "invalid format: %s: %s", what, repr_of(s, len, &b));
	osfs_buf_free(&b);
	return err;
}

/* A parse error: refused by validate, else raised for every record. */
static int parse_error(struct brace *b, const char *msg)
{
	if (b->validate)
		return osfs_refuse(EINVAL, "invalid format: %s", msg);
	char m[128];
	snprintf(m, sizeof m, "ValueError: %s", msg);
	return fmt_add_fail(b->prog, m);
}

/* FieldNameIterator over what follows the first name: .attr and [key]. */
static int read_chain(struct fmt_op *op, const char *s, const char *end, const char **error)
{
	size_t cap = 0;
	for (const char *p = s; p < end; p++)
		cap += *p == '.' || *p == '[';
	op->chain = calloc(cap ? cap : 1, sizeof *op->chain);
	if (!op->chain)
		return -ENOMEM;
	const char *p = s;
	while (p < end) {
		struct fmt_access *a = &op->chain[op->nchain];
		if (*p == '.') {
			const char *q = ++p;
			while (p < end && *p != '.' && *p != '[')
				p++;
			*a = (struct fmt_access){1, q, (size_t)(p - q)};
		} else if (*p == '[') {
			const char *q = ++p;
			while (p < end && *p != ']')
				p++;
			if (p >= end) {
				*error = "Missing ']' in format string";
				return 0;
			}
			*a = (struct fmt_access){0, q, (size_t)(p - q)};
			p++;
		} else {
			*error = "Only '.' or '[' may follow ']' in format field specifier";
			return 0;
		}
		if (!a->len) {
			*error = "Empty attribute in format string";
			return 0;
		}
		op->nchain++;
	}
	return 0;
}

static int compile_brace_text(struct brace *b, const char *s, const char *end);

/* One replacement field: {name[.attr|[key]]...[!conversion][:spec]} */
static int brace_field(struct brace *b, const char *name, size_t nlen, uint32_t conversion,
                       const char *spec, size_t slen, int expand)
{
	struct fmt_prog *p = b->prog;
	if (b->validate && b->depth == 0) {
		if (nlen) {
			int ok = fmt_field_name_valid(name, nlen);
			if (ok < 0)
				return ok;
			if (!ok)
				return refuse_invalid("invalid field name/expression", name, nlen);
			(*b->fields)++;
		}
		if (conversion && conversion != 'r' && conversion != 's' && conversion != 'a') {
			char cb[4];
			return refuse_invalid("invalid conversion", cb, u8_put(cb, conversion));
		}
		if (slen) {
			int ok = fmt_spec_valid(spec, slen);
			if (ok < 0)
				return ok;
			if (!ok)
				return refuse_invalid("bad specifier", spec, slen);
		}
	}
	/* field_name_split: the first part up to '.' or '['; digits or nothing is a
	 * positional index, and a record is formatted with keywords only */
	const char *first_end = name;
	while (first_end < name + nlen && *first_end != '.' && *first_end != '[')
		first_end++;
	struct cps first;
	if (fmt_decode(name, (size_t)(first_end - name), &first))
		return -ENOMEM;
	int positional = 1;
	for (size_t i = 0; i < first.n; i++)
		if (uc_decimal(first.c[i]) < 0)
			positional = 0;
	fmt_cps_free(&first);
	if (positional)
		return fmt_add_fail(
		    p, "IndexError: Replacement index out of range for positional args tuple");
	struct fmt_op *op = fmt_add_field(p, name, (size_t)(first_end - name));
	if (!op)
		return -ENOMEM;
	const char *error = NULL;
	int err = read_chain(op, first_end, name + nlen, &error);
	if (err)
		return err;
	if (error) {
		char m[128];
		snprintf(m, sizeof m, "ValueError: %s", error);
		return fmt_add_fail(p, m);
	}
	if (conversion && conversion != 'r' && conversion != 's' && conversion != 'a')
		return fmt_add_fail(p, "ValueError: Unknown conversion specifier");
	op->conversion = conversion;
	if (expand) {
		if (b->depth >= 1)
			return fmt_add_fail(p, "ValueError: Max string recursion exceeded");
		op->nested = calloc(1, sizeof *op->nested);
		if (!op->nested)
			return -ENOMEM;
		op->nested->style = '{';
		struct brace inner = {op->nested, 0, b->depth + 1, b->fields};
		return compile_brace_text(&inner, spec, spec + slen);
	}
	err = fspec_parse(spec, slen, &op->spec);
	if (err == -ERANGE)
		return err; /* osfs's own limit: refused when the formatter is made */
	if (err) {
		char m[OSFS_REFUSAL_MAX];
		snprintf(m, sizeof m, "%s", osfs_refusal());
		return fmt_add_fail(p, m);
	}
	return 0;
}

/* MarkupIterator_next and parse_field, over the whole text (or a spec). */
static int compile_brace_text(struct brace *b, const char *s, const char *end)
{
	const char *p = s;
	int err;
	while (p < end) {
		const char *start = p;
		char ch = 0;
		int markup = 0;
		while (p < end) {
			ch = *p++;
			if (ch == '{' || ch == '}') {
				markup = 1;
				break;
			}
		}
		int at_end_ = p >= end;
		size_t len = (size_t)(p - start);
		if (markup && ch == '}' && (at_end_ || *p != '}'))
			return parse_error(b, "Single '}' encountered in format string");
		if (markup && at_end_ && ch == '{')
			return parse_error(b, "Single '{' encountered in format string");
		if (!at_end_) {
			if (*p == ch) { /* {{ or }}: the brace, as literal text */
				p++;
				markup = 0;
			} else {
				len--;
			}
		}
		if ((err = fmt_add_lit(b->prog, start, len)))
			return err;
		if (!markup)
			continue;
		/* parse_field */
		const char *name = p;
		ch = 0;
		while (p < end) {
			ch = *p++;
			if (ch == '{')
				return parse_error(b, "unexpected '{' in field name");
			if (ch == '[') {
				while (p < end && *p != ']')
					p++;
				continue;
			}
			if (ch == '}' || ch == ':' || ch == '!')
				break;
		}
		size_t nlen = (size_t)(p - 1 - name);
		uint32_t conversion = 0;
		const char *spec = p;
		size_t slen = 0;
		int expand = 0;
		if (ch == '!' || ch == ':') {
			int done = 0;
			if (ch == '!') {
				if (p >= end)
					return parse_error(
					    b,
					    "end of string while looking for conversion specifier");
				conversion = u8_next(&p, end);
				if (p < end) {
					char c2 = *p++;
					if (c2 == '}')
						done = 1;
					else if (c2 != ':')
						return parse_error(
						    b, "expected ':' after conversion specifier");
				}
			}
			spec = p;
			if (!done) {
				int count = 1;
				while (p < end) {
					char c3 = *p++;
					if (c3 == '{') {
						expand = 1;
						count++;
					} else if (c3 == '}' && --count == 0) {
						break;
					}
				}
				if (count)
					return parse_error(b, "unmatched '{' in format spec");
				slen = (size_t)(p - 1 - spec);
			}
		} else if (ch != '}') {
			return parse_error(b, "expected '}' before end of string");
		}
		/* an error for every record still lets validate read the rest */
		if ((err = brace_field(b, name, nlen, conversion, spec, slen, expand)) < 0)
			return err;
	}
	return 0;
}

int fmt_compile_brace(struct fmt_prog *p, const char *fmt, int validate)
{
	int fields = 0;
	struct brace b = {p, validate, 0, &fields};
	int err = compile_brace_text(&b, fmt, fmt + strlen(fmt));
	if (!err && validate && !fields)
		err = osfs_refuse(EINVAL, "invalid format: no fields");
	return err;
}
