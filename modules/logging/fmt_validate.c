/* Formatter(validate=True)'s checks: logging's regular expressions (PercentStyle's
 * validation_pattern, searched; StrFormatStyle's field_spec and fmt_spec, matched)
 * matched here by hand, character class for character class, with \w and \d as
 * Python's re reads them (Unicode's) and re.IGNORECASE's letters.  Each answers
 * whether a match exists, as the regex engine does by backtracking. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtprog.h"

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
		if (w && pos + 1 + w < t->n && t->c[pos + 1 + w] == '}' &&
		    then(t, pos + 2 + w, stage))
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
		if (pos + 1 < n && c[pos] != '\n' && is_align_c(c[pos + 1]) &&
		    spec_from(t, pos + 2, 1))
			return 1;
		if (pos < n && is_align_c(c[pos]) && spec_from(t, pos + 1, 1))
			return 1;
		return spec_from(t, pos, 1);
	case 1:
		if (pos < n && (c[pos] == '+' || c[pos] == ' ' || c[pos] == '-') &&
		    spec_from(t, pos + 1, 2))
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

static int text_valid(const char *s, size_t len, int (*check)(const struct cps *))
{
	struct cps t;
	int ok = fmt_decode(s, len, &t) ? -ENOMEM : check(&t);
	fmt_cps_free(&t);
	return ok;
}

static int spec_valid(const struct cps *t)
{
	return spec_from(t, 0, 0);
}

int fmt_percent_valid(const char *fmt)
{
	return text_valid(fmt, strlen(fmt), percent_valid);
}

int fmt_field_name_valid(const char *s, size_t n)
{
	return text_valid(s, n, field_name_valid);
}

int fmt_spec_valid(const char *s, size_t n)
{
	return text_valid(s, n, spec_valid);
}
