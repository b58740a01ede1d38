/* The formats of the '%' and '$' styles read once, as Python reads them (str %
 * mapping: PyUnicode_Format's parser; string.Template's pattern), into programs;
 * the '{' style is fmt_brace.c's, the validation fmt_validate.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtprog.h"
#include "osfs/logging/record.h"
#include "osfs/refuse.h"

int fmt_decode(const char *s, size_t len, struct cps *t)
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

void fmt_cps_free(struct cps *t)
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

struct fmt_op *fmt_add_op(struct fmt_prog *p, enum fmt_op_kind kind, const char *text, size_t len)
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
int fmt_add_lit(struct fmt_prog *p, const char *s, size_t len)
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
	return fmt_add_op(p, OP_LIT, s, len) ? 0 : -ENOMEM;
}

/* An error Python raises for every record, where it meets it; what follows it
 * cannot matter, so compiling stops there (returns 1). */
int fmt_add_fail(struct fmt_prog *p, const char *msg)
{
	return fmt_add_op(p, OP_FAIL, msg, strlen(msg)) ? 1 : -ENOMEM;
}

struct fmt_op *fmt_add_field(struct fmt_prog *p, const char *key, size_t len)
{
	struct fmt_op *op = fmt_add_op(p, OP_FIELD, key, len);
	if (op) {
		op->attr = log_record_attr(op->text);
		p->fields++;
	}
	return op;
}

static int too_big(void)
{
	return osfs_refuse(ERANGE, "width or precision too big (osfs allows up to %d)",
	                   PV_WIDTH_MAX);
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
			if ((err =
			         fmt_add_lit(p, fmt + t->off[start], t->off[pos] - t->off[start])))
				return err;
			continue;
		}
		pos++;
		if (pos >= n)
			return fmt_add_fail(p, "ValueError: incomplete format");
		uint32_t ch = c[pos];
		if (ch == '%') {
			if ((err = fmt_add_lit(p, "%", 1)))
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
				return fmt_add_fail(p, "ValueError: incomplete format key");
			keyend = pos - 1;
		}
		int more;
		while ((more = NEXT(ch))) {
			int flag = ch == '-'   ? PCT_LJUST
			           : ch == '+' ? PCT_SIGN
			           : ch == ' ' ? PCT_BLANK
			           : ch == '#' ? PCT_ALT
			           : ch == '0' ? PCT_ZERO
			                       : 0;
			if (!flag)
				break;
			s.flags |= flag;
		}
		if (more && ch == '*')
			return fmt_add_fail(p, "TypeError: * wants int");
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
				return fmt_add_fail(p, "TypeError: * wants int");
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
			return fmt_add_fail(p, "ValueError: incomplete format");
		s.type = ch;
		if (!strchr("sraiduoxXeEfFgGc", (int)(ch < 128 ? ch : 1)) || ch == 0) {
			if (keyed_seen && !keyed)
				return fmt_add_fail(
				    p, "TypeError: not enough arguments for format string");
			return fmt_add_fail(p, "ValueError: unsupported format character");
		}
		struct fmt_op *op;
		if (keyed) {
			op = fmt_add_field(p, fmt + t->off[keystart],
			                   t->off[keyend] - t->off[keystart]);
			keyed_seen = 1;
		} else if (!keyed_seen && !positional_used) {
			op = fmt_add_op(p, OP_RECORD_DICT, "", 0); /* the mapping itself */
			positional_used = 1;
		} else {
			return fmt_add_fail(p, "TypeError: not enough arguments for format string");
		}
		if (!op)
			return -ENOMEM;
		op->pct = s;
	}
#undef NEXT
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
			if ((err =
			         fmt_add_lit(p, fmt + t->off[start], t->off[pos] - t->off[start])))
				return err;
			continue;
		}
		size_t at = pos++;
		int braced = pos < n && t->c[pos] == '{';
		size_t name = pos + (size_t)braced, k = name;
		if (pos < n && t->c[pos] == '$') {
			if ((err = fmt_add_lit(p, "$", 1)))
				return err;
			pos++;
			continue;
		}
		if (k < n && id_start(t->c[k]))
			while (k < n && id_char(t->c[k]))
				k++;
		if (k > name && (!braced || (k < n && t->c[k] == '}'))) {
			if (!fmt_add_field(p, fmt + t->off[name], t->off[k] - t->off[name]))
				return -ENOMEM;
			pos = k + (size_t)braced;
			continue;
		}
		if (validate)
			return osfs_refuse(EINVAL, "invalid format: bare '$' not allowed");
		char m[96];
		snprintf(m, sizeof m, "ValueError: Invalid placeholder in string: line %d, col %zu",
		         line, at - line_start + 1);
		return fmt_add_fail(p, m);
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
			op->fast = s->type == 's'                                       ? FAST_STR
			           : s->type == 'd' || s->type == 'i' || s->type == 'u' ? FAST_INT
			                                                                : FAST_NONE;
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
	if (style != '{' && fmt_decode(fmt, len, &t)) {
		fmt_cps_free(&t);
		return -ENOMEM;
	}
	if (style == '%') {
		int valid = validate ? fmt_percent_valid(fmt) : 1;
		if (valid < 0)
			err = valid;
		else if (!valid)
			err = osfs_refuse(EINVAL, "Invalid format '%s' for '%%' style", fmt);
		else
			err = compile_percent(p, fmt, &t);
	} else if (style == '{') {
		err = fmt_compile_brace(p, fmt, validate);
	} else {
		err = compile_dollar(p, fmt, &t, validate);
		if (!err && validate && !p->fields)
			err = osfs_refuse(EINVAL, "invalid format: no fields");
	}
	fmt_cps_free(&t);
	if (err >= 0)
		mark_fast(p);
	return err < 0 ? err : 0;
}
