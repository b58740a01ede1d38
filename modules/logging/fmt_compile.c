/* The three format styles read once, as Python reads them: str % mapping
 * (PyUnicode_Format's parser), str.format (MarkupIterator, parse_field,
 * field_name_split) and string.Template; and Formatter(validate=True)'s checks,
 * whose regular expressions are matched here by hand, character class for
 * character class (\w and \d are Unicode's, as in Python's re). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtprog.h"
#include "osfs/logging/record.h"
#include "osfs/refuse.h"

/* A text as code points, with the byte offset of each (off[n] is the length). */
struct cps {
	uint32_t *c;
	size_t *off, n;
};

static int decode(const char *s, size_t len, struct cps *t)
{
	t->c = malloc((len + 1) * sizeof *t->c);
	t->off = malloc((len + 1) * sizeof *t->off);
	t->n = 0;
	if (!t->c || !t->off)
		return -ENOMEM;
	const char *p = s, *end = s + len;
	while (p < end) {
		t->off[t->n] = (size_t)(p - s);
		t->c[t->n++] = u8_next(&p, end);
	}
	t->off[t->n] = len;
	return 0;
}

static void cps_free(struct cps *t)
{
	free(t->c);
	free(t->off);
}

void fmt_prog_free(struct fmt_prog *p)
{
	for (size_t i = 0; p && i < p->n; i++) {
		struct fmt_op *op = &p->ops[i];
		free(op->text);
		free(op->chain);
		if (op->nested) {
			fmt_prog_free(op->nested);
			free(op->nested);
		}
	}
	if (p)
		free(p->ops);
}

static struct fmt_op *add_op(struct fmt_prog *p, enum fmt_op_kind kind, const char *text, size_t len)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct fmt_op *ops = realloc(p->ops, cap * sizeof *ops);
		if (!ops)
			return NULL;
		p->ops = ops;
		p->cap = cap;
	}
	char *t = malloc(len + 1);
	if (!t)
		return NULL;
	memcpy(t, text, len);
	t[len] = '\0';
	struct fmt_op *op = &p->ops[p->n++];
	*op = (struct fmt_op){.kind = kind, .text = t, .len = len, .attr = -1};
	return op;
}

/* Literal text, joined to a literal just before it. */
static int add_lit(struct fmt_prog *p, const char *s, size_t len)
{
	if (!len)
		return 0;
	if (p->n && p->ops[p->n - 1].kind == OP_LIT) {
		struct fmt_op *op = &p->ops[p->n - 1];
		char *t = realloc(op->text, op->len + len + 1);
		if (!t)
			return -ENOMEM;
		memcpy(t + op->len, s, len);
		op->len += len;
		t[op->len] = '\0';
		op->text = t;
		return 0;
	}
	return add_op(p, OP_LIT, s, len) ? 0 : -ENOMEM;
}

/* An error Python raises for every record, where it meets it; what follows it
 * cannot matter, so compiling stops there (returns 1). */
static int add_fail(struct fmt_prog *p, const char *msg)
{
	return add_op(p, OP_FAIL, msg, strlen(msg)) ? 1 : -ENOMEM;
}

static struct fmt_op *add_field(struct fmt_prog *p, const char *key, size_t len)
{
	struct fmt_op *op = add_op(p, OP_FIELD, key, len);
	if (op) {
		op->attr = log_record_attr(op->text);
		p->fields++;
	}
	return op;
}

static int too_big(void)
{
	return osfs_refuse(ERANGE, "width or precision too big (osfs allows up to %d)", PV_WIDTH_MAX);
}

/* ---- '%': PyUnicode_Format over a mapping ---- */

static int is_ascii_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int compile_percent(struct fmt_prog *p, const char *fmt, const struct cps *t)
{
	size_t pos = 0, n = t->n;
	int keyed_seen = 0, positional_used = 0, err;
	const uint32_t *c = t->c;
#define NEXT(ch) (pos < n ? ((ch) = c[pos++], 1) : 0)
	while (pos < n) {
		if (c[pos] != '%') {
			size_t start = pos;
			while (pos < n && c[pos] != '%')
				pos++;
			if ((err = add_lit(p, fmt + t->off[start], t->off[pos] - t->off[start])))
				return err;
			continue;
		}
		pos++;
		if (pos >= n)
			return add_fail(p, "ValueError: incomplete format");
		uint32_t ch = c[pos];
		if (ch == '%') {
			if ((err = add_lit(p, "%", 1)))
				return err;
			pos++;
			continue;
		}
		struct pct_spec s = {.width = -1, .precision = -1};
		size_t keystart = 0, keyend = 0;
		int keyed = ch == '(';
		if (keyed) {
			int depth = 1;
			keystart = ++pos;
			while (depth > 0 && pos < n) {
				depth += c[pos] == ')' ? -1 : c[pos] == '(' ? 1 : 0;
				pos++;
			}
			if (depth > 0)
				return add_fail(p, "ValueError: incomplete format key");
			keyend = pos - 1;
		}
		int more;
		while ((more = NEXT(ch))) {
			int flag = ch == '-' ? PCT_LJUST : ch == '+' ? PCT_SIGN : ch == ' ' ? PCT_BLANK
				 : ch == '#' ? PCT_ALT : ch == '0' ? PCT_ZERO : 0;
			if (!flag)
				break;
			s.flags |= flag;
		}
		if (more && ch == '*')
			return add_fail(p, "TypeError: * wants int");
		if (more && is_ascii_digit(ch)) {
			long w = (long)(ch - '0');
			while ((more = NEXT(ch)) && is_ascii_digit(ch))
				if ((w = w * 10 + (long)(ch - '0')) > PV_WIDTH_MAX)
					return too_big();
			s.width = (int)w;
		}
		if (more && ch == '.') {
			s.precision = 0;
			if ((more = NEXT(ch)) && ch == '*')
				return add_fail(p, "TypeError: * wants int");
			if (more && is_ascii_digit(ch)) {
				long w = (long)(ch - '0');
				while ((more = NEXT(ch)) && is_ascii_digit(ch))
					if ((w = w * 10 + (long)(ch - '0')) > PV_WIDTH_MAX)
						return too_big();
				s.precision = (int)w;
			}
		}
		if (more && (ch == 'h' || ch == 'l' || ch == 'L'))
			more = NEXT(ch);
		if (!more)
			return add_fail(p, "ValueError: incomplete format");
		s.type = ch;
		if (!strchr("sraiduoxXeEfFgGc", (int)(ch < 128 ? ch : 1)) || ch == 0) {
			if (keyed_seen && !keyed)
				return add_fail(p, "TypeError: not enough arguments for format string");
			return add_fail(p, "ValueError: unsupported format character");
		}
		struct fmt_op *op;
		if (keyed) {
			op = add_field(p, fmt + t->off[keystart], t->off[keyend] - t->off[keystart]);
			keyed_seen = 1;
		} else if (!keyed_seen && !positional_used) {
			op = add_op(p, OP_RECORD_DICT, "", 0); /* the mapping itself */
			positional_used = 1;
		} else {
			return add_fail(p, "TypeError: not enough arguments for format string");
		}
		if (!op)
			return -ENOMEM;
		op->pct = s;
	}
#undef NEXT
	return 0;
}

/* PercentStyle.validation_pattern, searched:
 * %\(\w+\)[#0+ -]*(\*|\d+)?(\.(\*|\d+))?[diouxefgcrsa%]  (re.I) */
static size_t run_of(const struct cps *t, size_t pos, int (*is)(uint32_t))
{
	size_t k = pos;
	while (k < t->n && is(t->c[k]))
		k++;
	return k - pos;
}

static int is_digit_u(uint32_t c)
{
	return uc_decimal(c) >= 0;
}

static int is_pct_flag(uint32_t c)
{
	return c == '#' || c == '0' || c == '+' || c == ' ' || c == '-';
}

/* (\*|\d+)? at pos: each end it can have, tried by then(). */
static int star_or_digits(const struct cps *t, size_t pos, int (*then)(const struct cps *, size_t))
{
	if (then(t, pos))
		return 1;
	if (pos < t->n && t->c[pos] == '*' && then(t, pos + 1))
		return 1;
	for (size_t k = 1; k <= run_of(t, pos, is_digit_u); k++)
		if (then(t, pos + k))
			return 1;
	return 0;
}

static int pct_type_at(const struct cps *t, size_t pos)
{
	return pos < t->n && uc_percent_type(t->c[pos]);
}

/* (\.(\*|\d+))? and then the type */
static int pct_after_width(const struct cps *t, size_t pos)
{
	if (pct_type_at(t, pos))
		return 1;
	if (pos >= t->n || t->c[pos] != '.')
		return 0;
	size_t q = pos + 1;
	if (q < t->n && t->c[q] == '*' && pct_type_at(t, q + 1))
		return 1;
	for (size_t k = 1; k <= run_of(t, q, is_digit_u); k++)
		if (pct_type_at(t, q + k))
			return 1;
	return 0;
}

static int percent_valid(const struct cps *t)
{
	for (size_t i = 0; i + 1 < t->n; i++) {
		if (t->c[i] != '%' || t->c[i + 1] != '(')
			continue;
		size_t w = run_of(t, i + 2, uc_is_word), k = i + 2 + w;
		if (!w || k >= t->n || t->c[k] != ')')
			continue;
		k++;
		size_t flags = run_of(t, k, is_pct_flag);
		for (size_t f = 0; f <= flags; f++)
			if (star_or_digits(t, k + f, pct_after_width))
				return 1;
	}
	return 0;
}

/* ---- '{': str.format ---- */

/* $ in Python's re: the end, or just before a newline that ends the text. */
static int at_end(const struct cps *t, size_t pos)
{
	return pos == t->n || (pos + 1 == t->n && t->c[pos] == '\n');
}

/* StrFormatStyle.field_spec: ^(\d+|\w+)(\.\w+|\[[^]]+\])*$ */
static int field_name_valid(const struct cps *t)
{
	size_t pos = run_of(t, 0, uc_is_word);
	if (!pos)
		return 0;
	for (;;) {
		if (at_end(t, pos))
			return 1;
		if (t->c[pos] == '.') {
			size_t w = run_of(t, pos + 1, uc_is_word);
			if (!w)
				return 0;
			pos += 1 + w;
		} else if (t->c[pos] == '[') {
			size_t k = pos + 1;
			while (k < t->n && t->c[k] != ']')
				k++;
			if (k == pos + 1 || k >= t->n)
				return 0;
			pos = k + 1;
		} else {
			return 0;
		}
	}
}

/* (\d+|{\w+}) at pos: its possible ends, each tried by then(). */
static int number_or_field(const struct cps *t, size_t pos, int stage,
			   int (*then)(const struct cps *, size_t, int))
{
	for (size_t k = 1; k <= run_of(t, pos, is_digit_u); k++)
		if (then(t, pos + k, stage))
			return 1;
	if (pos < t->n && t->c[pos] == '{') {
		size_t w = run_of(t, pos + 1, uc_is_word);
		if (w && pos + 1 + w < t->n && t->c[pos + 1 + w] == '}' && then(t, pos + 2 + w, stage))
			return 1;
	}
	return 0;
}

static int is_align_c(uint32_t c)
{
	return c == '<' || c == '>' || c == '=' || c == '^';
}

/* StrFormatStyle.fmt_spec, stage by stage:
 * ^(.?[<>=^])?[+ -]?#?0?(\d+|{\w+})?[,_]?(\.(\d+|{\w+}))?[bcdefgnosx%]?$  (re.I) */
static int spec_from(const struct cps *t, size_t pos, int stage)
{
	const uint32_t *c = t->c;
	size_t n = t->n;
	switch (stage) {
	case 0:
		if (pos + 1 < n && c[pos] != '\n' && is_align_c(c[pos + 1]) && spec_from(t, pos + 2, 1))
			return 1;
		if (pos < n && is_align_c(c[pos]) && spec_from(t, pos + 1, 1))
			return 1;
		return spec_from(t, pos, 1);
	case 1:
		if (pos < n && (c[pos] == '+' || c[pos] == ' ' || c[pos] == '-') && spec_from(t, pos + 1, 2))
			return 1;
		return spec_from(t, pos, 2);
	case 2:
		if (pos < n && c[pos] == '#' && spec_from(t, pos + 1, 3))
			return 1;
		return spec_from(t, pos, 3);
	case 3:
		if (pos < n && c[pos] == '0' && spec_from(t, pos + 1, 4))
			return 1;
		return spec_from(t, pos, 4);
	case 4:
		return number_or_field(t, pos, 5, spec_from) || spec_from(t, pos, 5);
	case 5:
		if (pos < n && (c[pos] == ',' || c[pos] == '_') && spec_from(t, pos + 1, 6))
			return 1;
		return spec_from(t, pos, 6);
	case 6:
		if (pos < n && c[pos] == '.' && number_or_field(t, pos + 1, 7, spec_from))
			return 1;
		return spec_from(t, pos, 7);
	case 7:
		if (pos < n && uc_brace_type(c[pos]) && at_end(t, pos + 1))
			return 1;
		return at_end(t, pos);
	}
	return 0;
}

struct brace {
	struct fmt_prog *prog;
	int validate, depth;
	int *fields; /* validate's count: top-level fields with a name */
};

static int text_valid(const char *s, size_t len, int (*check)(const struct cps *))
{
	struct cps t;
	int ok = decode(s, len, &t) ? -ENOMEM : check(&t);
	cps_free(&t);
	return ok;
}

static int spec_valid(const struct cps *t)
{
	return spec_from(t, 0, 0);
}

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
	return add_fail(b->prog, m);
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
			int ok = text_valid(name, nlen, field_name_valid);
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
			int ok = text_valid(spec, slen, spec_valid);
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
	if (decode(name, (size_t)(first_end - name), &first))
		return -ENOMEM;
	int positional = 1;
	for (size_t i = 0; i < first.n; i++)
		if (uc_decimal(first.c[i]) < 0)
			positional = 0;
	cps_free(&first);
	if (positional)
		return add_fail(p, "IndexError: Replacement index out of range for positional args tuple");
	struct fmt_op *op = add_field(p, name, (size_t)(first_end - name));
	if (!op)
		return -ENOMEM;
	const char *error = NULL;
	int err = read_chain(op, first_end, name + nlen, &error);
	if (err)
		return err;
	if (error) {
		char m[128];
		snprintf(m, sizeof m, "ValueError: %s", error);
		return add_fail(p, m);
	}
	if (conversion && conversion != 'r' && conversion != 's' && conversion != 'a')
		return add_fail(p, "ValueError: Unknown conversion specifier");
	op->conversion = conversion;
	if (expand) {
		if (b->depth >= 1)
			return add_fail(p, "ValueError: Max string recursion exceeded");
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
		return add_fail(p, m);
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
		if ((err = add_lit(b->prog, start, len)))
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
					return parse_error(b, "end of string while looking for conversion specifier");
				conversion = u8_next(&p, end);
				if (p < end) {
					char c2 = *p++;
					if (c2 == '}')
						done = 1;
					else if (c2 != ':')
						return parse_error(b, "expected ':' after conversion specifier");
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

/* ---- '$': string.Template ---- */

static int id_start(uint32_t c)
{
	return c == '_' || (c < 128 && ((c | 32) >= 'a' && (c | 32) <= 'z'));
}

static int id_char(uint32_t c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

static int compile_dollar(struct fmt_prog *p, const char *fmt, const struct cps *t, int validate)
{
	size_t pos = 0, n = t->n;
	int err, line = 1;
	size_t line_start = 0;
	while (pos < n) {
		if (t->c[pos] != '$') {
			size_t start = pos;
			while (pos < n && t->c[pos] != '$') {
				if (t->c[pos] == '\n')
					line++, line_start = pos + 1;
				pos++;
			}
			if ((err = add_lit(p, fmt + t->off[start], t->off[pos] - t->off[start])))
				return err;
			continue;
		}
		size_t at = pos++;
		int braced = pos < n && t->c[pos] == '{';
		size_t name = pos + (size_t)braced, k = name;
		if (pos < n && t->c[pos] == '$') {
			if ((err = add_lit(p, "$", 1)))
				return err;
			pos++;
			continue;
		}
		if (k < n && id_start(t->c[k]))
			while (k < n && id_char(t->c[k]))
				k++;
		if (k > name && (!braced || (k < n && t->c[k] == '}'))) {
			if (!add_field(p, fmt + t->off[name], t->off[k] - t->off[name]))
				return -ENOMEM;
			pos = k + (size_t)braced;
			continue;
		}
		if (validate)
			return osfs_refuse(EINVAL, "invalid format: bare '$' not allowed");
		char m[96];
		snprintf(m, sizeof m, "ValueError: Invalid placeholder in string: line %d, col %zu", line,
			 at - line_start + 1);
		return add_fail(p, m);
	}
	return 0;
}

/* %(x)s, %(x)d, {x}, $x: a str as it is, an int in decimal. */
static void mark_fast(struct fmt_prog *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct fmt_op *op = &p->ops[i];
		if (op->kind != OP_FIELD)
			continue;
		if (p->style == '%') {
			const struct pct_spec *s = &op->pct;
			if (s->flags || s->width != -1 || s->precision != -1)
				continue;
			op->fast = s->type == 's' ? FAST_STR
				 : s->type == 'd' || s->type == 'i' || s->type == 'u' ? FAST_INT : FAST_NONE;
		} else if (p->style == '$' || (!op->nchain && !op->nested && op->spec.empty &&
					       (!op->conversion || op->conversion == 's'))) {
			op->fast = FAST_STR;
		}
	}
}

int fmt_compile(struct fmt_prog *p, char style, const char *fmt, int validate)
{
	struct cps t = {0};
	size_t len = strlen(fmt);
	int err = 0;
	p->style = style;
	if (style != '{' && decode(fmt, len, &t)) {
		cps_free(&t);
		return -ENOMEM;
	}
	if (style == '%') {
		if (validate && !percent_valid(&t))
			err = osfs_refuse(EINVAL, "Invalid format '%s' for '%%' style", fmt);
		else
			err = compile_percent(p, fmt, &t);
	} else if (style == '{') {
		int fields = 0;
		struct brace b = {p, validate, 0, &fields};
		err = compile_brace_text(&b, fmt, fmt + len);
		if (!err && validate && !fields)
			err = osfs_refuse(EINVAL, "invalid format: no fields");
	} else {
		err = compile_dollar(p, fmt, &t, validate);
		if (!err && validate && !p->fields)
			err = osfs_refuse(EINVAL, "invalid format: no fields");
	}
	cps_free(&t);
	if (err >= 0)
		mark_fast(p);
	return err < 0 ? err : 0;
}
