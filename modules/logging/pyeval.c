/* eval(text, vars(logging)), as fileConfig evaluates a handler's args and kwargs
 * and a formatter's defaults, for what needs no Python code: literals (str with
 * every prefix but b and f, int, float, True, False, None, tuples, lists,
 * dicts), the names logging's namespace and the builtins hold (ERROR,
 * sys.stdout, handlers.SysLogHandler.LOG_USER ...), attribute access, indexing,
 * arithmetic, and the calls tuple(), list(), dict(), str(), int(), float(),
 * bool().  Errors are Python's (SyntaxError, NameError, AttributeError ...),
 * naming the token; what Python could evaluate but osfs does not is refused
 * as such (-EOPNOTSUPP). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

#define MAX_NEST 100
#define MAX_REPEAT (1 << 20) /* "x" * n: the most osfs makes */

enum tok { T_END, T_NAME, T_NUMBER, T_STRING, T_OP, T_BAD };

struct ev {
	const char *src, *p;
	enum tok tok;
	const char *start; /* the token's text */
	size_t len;
	int depth;
	int err;
	char opened[MAX_NEST]; /* brackets open, for "'(' was never closed" */
	const char *opened_at[MAX_NEST];
	int nopen;
};

static int fail(struct ev *e, int err)
{
	if (!e->err)
		e->err = err;
	return e->err;
}

static int syntax(struct ev *e, const char *msg)
{
	if (e->err)
		return e->err;
	if (e->tok == T_END || !e->len)
		return fail(e, py_error("SyntaxError", "%s (<string>, line 1)", msg));
	return fail(e, py_error("SyntaxError", "%s (<string>, line 1) at '%.*s'", msg,
				(int)(e->len > 60 ? 60 : e->len), e->start));
}

static int unsupported(struct ev *e, const char *what)
{
	return fail(e, osfs_refuse(EOPNOTSUPP, "%s: osfs evaluates literals, names, attributes, "
				   "indexing, arithmetic and tuple(), list(), dict(), str(), int(), "
				   "float(), bool() (it runs no Python)", what));
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

static void skip_blank(struct ev *e)
{
	for (;;) {
		char c = *e->p;
		if (c == ' ' || c == '\t' || c == '\f')
			e->p++;
		else if (c == '\\' && (e->p[1] == '\n' || (e->p[1] == '\r' && e->p[2] == '\n')))
			e->p += e->p[1] == '\n' ? 2 : 3;
		else if (c == '#')
			e->p += strcspn(e->p, "\n");
		else if ((c == '\n' || c == '\r') && e->nopen) /* inside brackets, lines join */
			e->p++;
		else
			return;
	}
}

static int lex_number(struct ev *e)
{
	const char *p = e->p;
	int is_float = 0;
	if (p[0] == '0' && strchr("xXoObB", p[1]) && p[1]) {
		const char *digits = p[1] == 'x' || p[1] == 'X' ? "0123456789abcdefABCDEF"
				     : p[1] == 'o' || p[1] == 'O' ? "01234567" : "01";
		const char *kind = p[1] == 'x' || p[1] == 'X' ? "hexadecimal"
				   : p[1] == 'o' || p[1] == 'O' ? "octal" : "binary";
		p += 2;
		int any = 0;
		while (*p && (strchr(digits, *p) || (*p == '_' && p[1] && strchr(digits, p[1]))))
			any |= *p++ != '_';
		if (!any || is_name_char(*p)) {
			char msg[64];
			snprintf(msg, sizeof msg, "invalid %s literal", kind);
			e->start = e->p, e->len = (size_t)(p - e->p + (is_name_char(*p) ? 1 : 0));
			e->tok = T_BAD;
			return syntax(e, msg);
		}
	} else {
		int leading_zero = p[0] == '0', nonzero = 0;
		while ((*p >= '0' && *p <= '9') || (*p == '_' && p[1] >= '0' && p[1] <= '9'))
			nonzero |= *p >= '1' && *p <= '9', p++;
		if (*p == '.') {
			is_float = 1;
			p++;
			while ((*p >= '0' && *p <= '9') || (*p == '_' && p > e->p + 1 && p[1] >= '0' && p[1] <= '9'))
				p++;
		}
		if ((*p == 'e' || *p == 'E') &&
		    ((p[1] >= '0' && p[1] <= '9') || ((p[1] == '+' || p[1] == '-') && p[2] >= '0' && p[2] <= '9'))) {
			is_float = 1;
			p += 2;
			while ((*p >= '0' && *p <= '9') || (*p == '_' && p[1] >= '0' && p[1] <= '9'))
				p++;
		}
		e->start = e->p;
		e->len = (size_t)(p - e->p);
		if (*p == 'j' || *p == 'J') {
			e->len++;
			return unsupported(e, "a complex number");
		}
		if (is_name_char(*p)) {
			e->len++;
			e->tok = T_BAD;
			return syntax(e, "invalid decimal literal");
		}
		if (!is_float && leading_zero && nonzero) {
			e->tok = T_BAD;
			return syntax(e, "leading zeros in decimal integer literals are not permitted; "
				      "use an 0o prefix for octal integers");
		}
	}
	e->start = e->p;
	e->len = (size_t)(p - e->p);
	e->p = p;
	e->tok = T_NUMBER;
	return 0;
}

static int lex_string(struct ev *e, const char *prefix_end)
{
	const char *p = prefix_end;
	char q = *p;
	int triple = p[1] == q && p[2] == q;
	p += triple ? 3 : 1;
	for (;;) {
		if (!*p || (!triple && (*p == '\n' || *p == '\r'))) {
			e->start = e->p;
			e->len = (size_t)(p - e->p);
			e->tok = T_BAD;
			return fail(e, py_error("SyntaxError", "unterminated %sstring literal (detected at "
						"line 1) (<string>, line 1) at '%.*s'", triple ? "triple-quoted " : "",
						(int)(e->len > 60 ? 60 : e->len), e->start));
		}
		if (*p == '\\' && p[1]) {
			p += 2;
			continue;
		}
		if (*p == q && (!triple || (p[1] == q && p[2] == q))) {
			p += triple ? 3 : 1;
			break;
		}
		p++;
	}
	e->start = e->p;
	e->len = (size_t)(p - e->p);
	e->p = p;
	e->tok = T_STRING;
	return 0;
}

static int next(struct ev *e)
{
	if (e->err)
		return e->err;
	skip_blank(e);
	const char *p = e->p;
	e->start = p;
	e->len = 0;
	if (!*p || ((*p == '\n' || *p == '\r') && !p[strspn(p, " \t\f\r\n")])) {
		e->tok = T_END;
		return 0;
	}
	if (*p == '\n' || *p == '\r') { /* a second line outside brackets */
		e->p += strspn(p, " \t\f\r\n");
		e->start = e->p;
		e->len = strcspn(e->p, " \t\n");
		e->tok = T_BAD;
		return syntax(e, "invalid syntax");
	}
	if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return lex_number(e);
	if (is_name_char(*p)) {
		const char *q = p;
		while (is_name_char(*q))
			q++;
		size_t n = (size_t)(q - p);
		if ((*q == '\'' || *q == '"') && n <= 2) { /* a prefixed string */
			int ok = 1, bytes = 0, fmt = 0;
			for (size_t i = 0; i < n; i++) {
				char c = (char)(p[i] | 32);
				ok &= c == 'r' || c == 'u' || c == 'b' || c == 'f';
				bytes |= c == 'b';
				fmt |= c == 'f';
			}
			if (ok) {
				int err = lex_string(e, q);
				if (!err && (bytes || fmt))
					return unsupported(e, bytes ? "a bytes literal" : "an f-string");
				return err;
			}
		}
		e->p = q;
		e->len = n;
		e->tok = T_NAME;
		return 0;
	}
	if (*p == '\'' || *p == '"')
		return lex_string(e, p);
	static const char *const ops[] = {"**=", "//=", ">>=", "<<=", "...", "**", "//", "==", "!=",
					  "<=", ">=", "->", "<<", ">>", ":=", "+=", "-=", "*=", "/=",
					  "%=", "&=", "|=", "^=", "@="};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strncmp(p, ops[i], strlen(ops[i])) == 0) {
			e->len = strlen(ops[i]);
			e->p += e->len;
			e->tok = T_OP;
			return 0;
		}
	if (strchr("()[]{},:.;@=+-*/%&|^~<>", *p)) {
		e->len = 1;
		e->p++;
		e->tok = T_OP;
		if (strchr("([{", *p) && e->nopen < MAX_NEST) {
			e->opened[e->nopen] = *p;
			e->opened_at[e->nopen++] = p;
		} else if (strchr(")]}", *p)) {
			char want = *p == ')' ? '(' : *p == ']' ? '[' : '{';
			if (!e->nopen)
				return syntax(e, *p == ')' ? "unmatched ')'" : *p == ']' ? "unmatched ']'"
											  : "unmatched '}'");
			if (e->opened[e->nopen - 1] != want) {
				char msg[80];
				snprintf(msg, sizeof msg, "closing parenthesis '%c' does not match opening "
					 "parenthesis '%c'", *p, e->opened[e->nopen - 1]);
				return syntax(e, msg);
			}
			e->nopen--;
		}
		return 0;
	}
	const char *q = p;
	u8_next(&q, p + strlen(p));
	e->len = (size_t)(q - p);
	e->tok = T_BAD;
	return syntax(e, "invalid character");
}

static int is_op(const struct ev *e, const char *op)
{
	return e->tok == T_OP && e->len == strlen(op) && strncmp(e->start, op, e->len) == 0;
}

static int is_word(const struct ev *e, const char *w)
{
	return e->tok == T_NAME && e->len == strlen(w) && strncmp(e->start, w, e->len) == 0;
}

/* At the end, or what was expected is missing: the unclosed bracket says why. */
static int expected(struct ev *e)
{
	if (e->tok == T_END && e->nopen) {
		char msg[64];
		snprintf(msg, sizeof msg, "'%c' was never closed", e->opened[e->nopen - 1]);
		e->start = e->opened_at[e->nopen - 1];
		e->len = 1;
		e->tok = T_BAD;
		return syntax(e, msg);
	}
	return syntax(e, "invalid syntax");
}

/* ---- string literals ------------------------------------------------------ */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
}

static int decode_string(struct ev *e, const char *s, size_t n, struct osfs_buf *out)
{
	int raw = 0;
	while (*s != '\'' && *s != '"') {
		raw |= (*s | 32) == 'r';
		s++, n--;
	}
	char q = *s;
	int triple = n >= 6 && s[1] == q && s[2] == q;
	const char *p = s + (triple ? 3 : 1), *end = s + n - (triple ? 3 : 1);
	while (p < end) {
		if (*p != '\\' || raw) {
			if (*p == '\\' && raw && p + 1 < end) /* r'\'' keeps both */
				osfs_buf_putc(out, *p++);
			if (*p == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			osfs_buf_putc(out, *p++);
			continue;
		}
		char c = *++p;
		p++;
		static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
		const char *k = strchr(from, c);
		uint32_t u;
		int digits;
		if (c && k) {
			osfs_buf_putc(out, to[k - from]);
		} else if (c == '\n') {
			; /* a line continued */
		} else if (c >= '0' && c <= '7') {
			u = (uint32_t)(c - '0');
			for (int i = 0; i < 2 && p < end && *p >= '0' && *p <= '7'; i++)
				u = u * 8 + (uint32_t)(*p++ - '0');
			u8_add(out, u);
		} else if ((digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0)) {
			u = 0;
			for (int i = 0; i < digits; i++) {
				if (p >= end || hexval(*p) < 0) {
					char msg[120];
					snprintf(msg, sizeof msg, "(unicode error) 'unicodeescape' codec can't "
						 "decode bytes: truncated %s escape", c == 'x' ? "\\xXX"
						 : c == 'u' ? "\\uXXXX" : "\\UXXXXXXXX");
					return syntax(e, msg);
				}
				u = u * 16 + (uint32_t)hexval(*p++);
			}
			if (u > 0x10ffff)
				return syntax(e, "(unicode error) 'unicodeescape' codec can't decode bytes: "
					      "illegal Unicode character");
			u8_add(out, u);
		} else if (c == 'N') {
			return unsupported(e, "a \\N{...} escape");
		} else { /* unknown escapes stay as they are */
			osfs_buf_putc(out, '\\');
			if (c)
				osfs_buf_putc(out, c);
		}
	}
	return 0;
}

/* ---- values ------------------------------------------------------------------- */

static cJSON *expression(struct ev *e);
static cJSON *expressions(struct ev *e, int *was_tuple);

static cJSON *number_value(struct ev *e)
{
	char buf[128];
	size_t k = 0;
	for (size_t i = 0; i < e->len && k < sizeof buf - 1; i++)
		if (e->start[i] != '_')
			buf[k++] = e->start[i];
	buf[k] = '\0';
	cJSON *v;
	if (strpbrk(buf, ".eE") && !(buf[0] == '0' && strchr("xX", buf[1]) && buf[1])) {
		v = cJSON_CreateNumber(strtod(buf, NULL));
		if (v)
			v->type |= PY_FLOAT;
	} else {
		int base = buf[0] == '0' && buf[1] ? ((buf[1] | 32) == 'x' ? 16 : (buf[1] | 32) == 'o' ? 8
						      : (buf[1] | 32) == 'b' ? 2 : 10) : 10;
		const char *d = buf + strspn(buf, "0"); /* "000" is 0; others have no leading 0 */
		d = *d ? d : "0";
		v = base == 10 ? py_int_literal(d, strlen(d), 0)
			       : cJSON_CreateNumber((double)strtoull(buf + 2, NULL, base));
	}
	if (!v)
		fail(e, -ENOMEM);
	return v;
}

static cJSON *object_of(struct ev *e, const struct pn_row *r)
{
	cJSON *v = pn_value(r);
	if (!v)
		fail(e, -ENOMEM);
	return v;
}

/* A name in vars(logging), else a builtin. */
static cJSON *name_value(struct ev *e)
{
	if (is_word(e, "None"))
		return cJSON_CreateNull();
	if (is_word(e, "True") || is_word(e, "False"))
		return cJSON_CreateBool(e->start[0] == 'T');
	static const char *const keywords[] = {"lambda", "not", "and", "or", "if", "else", "for", "in",
					       "is", "await", "yield", "import", "def", "class",
					       "return", "del", "pass", "while", "with", "as", "from",
					       "global", "nonlocal", "raise", "try", "except",
					       "finally", "assert", "break", "continue", "elif"};
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (is_word(e, keywords[i])) {
			if (i < 9)
				unsupported(e, keywords[i]);
			else
				syntax(e, "invalid syntax");
			return NULL;
		}
	char path[300];
	snprintf(path, sizeof path, "logging.%.*s", (int)e->len, e->start);
	const struct pn_row *r = pn_find(path, strlen(path));
	if (!r) {
		snprintf(path, sizeof path, "builtins.%.*s", (int)e->len, e->start);
		r = pn_find(path, strlen(path));
	}
	if (!r) {
		fail(e, py_error("NameError", "name '%.*s' is not defined", (int)e->len, e->start));
		return NULL;
	}
	return object_of(e, r);
}

static cJSON *attribute(struct ev *e, cJSON *v, const char *name, size_t n)
{
	int kind = py_kind(v);
	const struct pn_row *r = kind >= 0 ? pn_find(v->valuestring, strlen(v->valuestring)) : NULL, *a;
	int err = r ? pn_attr(r, name, n, &a) : -EOPNOTSUPP;
	if (!err)
		return object_of(e, a);
	if (err == -ENOENT && (kind == PN_PACKAGE || kind == PN_MODULE))
		fail(e, py_error("AttributeError", "module '%s' has no attribute '%.*s'",
				 r->kind == PN_ALIAS ? r->text : r->path, (int)n, name));
	else if (err == -ENOENT)
		fail(e, py_error("AttributeError", "type object '%s' has no attribute '%.*s'",
				 strrchr(r->text, '.') ? strrchr(r->text, '.') + 1 : r->text, (int)n, name));
	else {
		char what[400];
		snprintf(what, sizeof what, "the attribute '%.*s' of a %s", (int)n, name, py_type_name(v));
		unsupported(e, what);
	}
	return NULL;
}

static cJSON *subscript(struct ev *e, const cJSON *v, const cJSON *key)
{
	if (cJSON_IsObject(v)) {
		const cJSON *found = cJSON_IsString(key) ? cJSON_GetObjectItemCaseSensitive(v, key->valuestring)
							  : NULL;
		if (!found) {
			struct osfs_buf r = {0};
			py_repr(key, &r);
			fail(e, py_error("KeyError", "%s", r.data ? r.data : ""));
			osfs_buf_free(&r);
			return NULL;
		}
		return cJSON_Duplicate(found, 1);
	}
	if (cJSON_IsArray(v) || cJSON_IsString(v)) {
		const char *what = cJSON_IsString(v) ? "string" : v->type & PY_TUPLE ? "tuple" : "list";
		if (!py_is_int(key)) {
			if (cJSON_IsString(v))
				fail(e, py_error("TypeError", "string indices must be integers, not '%s'",
						 py_type_name(key)));
			else
				fail(e, py_error("TypeError", "%s indices must be integers or slices, not %s",
						 what, py_type_name(key)));
			return NULL;
		}
		double d = cJSON_IsBool(key) ? cJSON_IsTrue(key) : key->valuedouble;
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) { /* Py_ssize_t */
			fail(e, py_error("IndexError", "cannot fit 'int' into an index-sized integer"));
			return NULL;
		}
		long long i = (long long)d;
		long long n = cJSON_IsString(v) ? (long long)u8_count(v->valuestring, strlen(v->valuestring))
						: cJSON_GetArraySize(v);
		if (i < 0)
			i += n;
		if (i < 0 || i >= n) {
			fail(e, py_error("IndexError", "%s index out of range", what));
			return NULL;
		}
		if (cJSON_IsArray(v))
			return cJSON_Duplicate(cJSON_GetArrayItem(v, (int)i), 1);
		const char *p = v->valuestring, *end = p + strlen(p);
		for (long long k = 0; k < i; k++)
			u8_next(&p, end);
		const char *q = p;
		u8_next(&q, end);
		char ch[8];
		snprintf(ch, sizeof ch, "%.*s", (int)(q - p), p);
		return cJSON_CreateString(ch);
	}
	fail(e, py_error("TypeError", "'%s' object is not subscriptable", py_type_name(v)));
	return NULL;
}

static cJSON *to_string(struct ev *e, const cJSON *x)
{
	struct osfs_buf s = {0};
	py_str(x, &s);
	cJSON *v = osfs_buf_error(&s) ? NULL : cJSON_CreateString(s.data ? s.data : "");
	osfs_buf_free(&s);
	if (!v)
		fail(e, -ENOMEM);
	return v;
}

/* The items of an iterable argument (tuple(x), list(x)). */
static cJSON *items_of(struct ev *e, const cJSON *x)
{
	if (cJSON_IsArray(x)) {
		cJSON *v = cJSON_Duplicate(x, 1);
		if (v)
			v->type &= ~PY_TUPLE;
		return v;
	}
	if (cJSON_IsObject(x) || cJSON_IsString(x)) {
		cJSON *v = cJSON_CreateArray();
		if (cJSON_IsObject(x)) {
			for (const cJSON *c = x->child; v && c; c = c->next)
				cJSON_AddItemToArray(v, cJSON_CreateString(c->string));
		} else {
			const char *p = x->valuestring, *end = p + strlen(p);
			while (v && p < end) {
				const char *q = p;
				u8_next(&q, end);
				char ch[8];
				snprintf(ch, sizeof ch, "%.*s", (int)(q - p), p);
				cJSON_AddItemToArray(v, cJSON_CreateString(ch));
				p = q;
			}
		}
		return v;
	}
	fail(e, py_error("TypeError", "'%s' object is not iterable", py_type_name(x)));
	return NULL;
}

/* Calls of the builtins that make values. */
static cJSON *call(struct ev *e, const cJSON *f, cJSON *args, cJSON *kwargs)
{
	const char *name = py_kind(f) == PN_CLASS ? f->valuestring : "";
	static const char *const makers[] = {"builtins.tuple", "builtins.list", "builtins.dict",
					     "builtins.str", "builtins.int", "builtins.float",
					     "builtins.bool"};
	size_t which = 0;
	while (which < 7 && strcmp(makers[which], name) != 0)
		which++;
	if (which == 7) {
		struct osfs_buf r = {0};
		py_repr(f, &r);
		char what[300];
		snprintf(what, sizeof what, "a call of %s", r.data ? r.data : "?");
		osfs_buf_free(&r);
		unsupported(e, what);
		return NULL;
	}
	int nargs = cJSON_GetArraySize(args);
	const char *short_name = makers[which] + 9;
	if (which != 2 && kwargs->child) {
		fail(e, py_error("TypeError", "%s() takes no keyword arguments", short_name));
		return NULL;
	}
	if (nargs > 1) {
		fail(e, py_error("TypeError", "%s expected at most 1 argument, got %d", short_name, nargs));
		return NULL;
	}
	const cJSON *x = args->child;
	cJSON *v = NULL;
	switch (which) {
	case 0:
	case 1:
		v = x ? items_of(e, x) : cJSON_CreateArray();
		if (v && which == 0)
			v->type |= PY_TUPLE;
		break;
	case 2:
		if (x && !cJSON_IsObject(x)) {
			unsupported(e, "dict() of anything but a dict");
			return NULL;
		}
		v = x ? cJSON_Duplicate(x, 1) : cJSON_CreateObject();
		for (cJSON *k = kwargs->child; v && k; k = k->next) {
			cJSON_DeleteItemFromObjectCaseSensitive(v, k->string);
			cJSON_AddItemToObject(v, k->string, cJSON_Duplicate(k, 1));
		}
		break;
	case 3: v = x ? to_string(e, x) : cJSON_CreateString(""); break;
	case 4:
	case 5:
		if (!x) {
			v = cJSON_CreateNumber(0);
		} else if (cJSON_IsNumber(x) || cJSON_IsBool(x)) {
			double d = cJSON_IsBool(x) ? cJSON_IsTrue(x) : x->valuedouble;
			v = cJSON_CreateNumber(which == 4 ? trunc(d) : d);
		} else if (cJSON_IsString(x)) {
			char *end;
			const char *s = x->valuestring;
			double d = which == 4 ? (double)strtoll(s, &end, 10) : strtod(s, &end);
			while (*end == ' ' || *end == '\t' || *end == '\n')
				end++;
			if (end == s || *end) {
				fail(e, py_error(NULL, "%s %s", which == 4 ? "invalid literal for int() with "
						 "base 10:" : "could not convert string to float:", py_repr_s(s, 0)));
				return NULL;
			}
			v = cJSON_CreateNumber(d);
		} else {
			fail(e, py_error("TypeError", "%s() argument must be a string or a real number, "
					 "not '%s'", short_name, py_type_name(x)));
			return NULL;
		}
		if (v && which == 5)
			v->type |= PY_FLOAT;
		break;
	case 6: v = cJSON_CreateBool(x && py_truth(x)); break;
	}
	if (!v)
		fail(e, -ENOMEM);
	return v;
}

static cJSON *parenthesized(struct ev *e)
{
	next(e); /* ( */
	if (is_op(e, ")")) {
		next(e);
		cJSON *t = cJSON_CreateArray();
		if (t)
			t->type |= PY_TUPLE;
		return t;
	}
	int tuple;
	cJSON *v = expressions(e, &tuple);
	if (v && !is_op(e, ")")) {
		cJSON_Delete(v);
		if (is_word(e, "for"))
			unsupported(e, "a generator expression");
		else
			expected(e);
		return NULL;
	}
	next(e);
	return v;
}

/* After an item of a display or of a call's arguments: a ',' goes on to the
 * next, else the closing bracket must come. */
static void item_end(struct ev *e, const char *close)
{
	if (is_op(e, ","))
		next(e);
	else if (!is_op(e, close))
		expected(e);
}

/* A display's end: its closing bracket taken, or what was built dropped after an
 * error. */
static cJSON *display_end(struct ev *e, cJSON *v)
{
	if (e->err) {
		cJSON_Delete(v);
		return NULL;
	}
	next(e);
	return v;
}

static cJSON *list_display(struct ev *e)
{
	next(e); /* [ */
	cJSON *v = cJSON_CreateArray();
	while (v && !e->err && !is_op(e, "]")) {
		cJSON *x = expression(e);
		if (!x)
			break;
		cJSON_AddItemToArray(v, x);
		if (is_word(e, "for")) {
			unsupported(e, "a list comprehension");
			break;
		}
		item_end(e, "]");
	}
	return display_end(e, v);
}

static cJSON *dict_display(struct ev *e)
{
	next(e); /* { */
	cJSON *v = cJSON_CreateObject();
	while (v && !e->err && !is_op(e, "}")) {
		if (is_op(e, "**")) {
			unsupported(e, "'**' in a dict display");
			break;
		}
		cJSON *k = expression(e);
		if (!k)
			break;
		if (!is_op(e, ":")) {
			cJSON_Delete(k);
			if (is_op(e, ",") || is_op(e, "}"))
				unsupported(e, "a set");
			else
				expected(e);
			break;
		}
		next(e);
		cJSON *x = expression(e);
		if (x && !cJSON_IsString(k)) {
			cJSON_Delete(x);
			x = NULL;
			unsupported(e, "a dict whose keys are not all str");
		}
		if (x) { /* a key again: its last value, in its first place */
			cJSON *had = cJSON_GetObjectItemCaseSensitive(v, k->valuestring);
			if (had) {
				x->string = strdup(k->valuestring);
				cJSON_ReplaceItemViaPointer(v, had, x);
			}
			else
				cJSON_AddItemToObject(v, k->valuestring, x);
		}
		cJSON_Delete(k);
		if (!x)
			break;
		item_end(e, "}");
	}
	return display_end(e, v);
}

static cJSON *atom(struct ev *e)
{
	if (e->err)
		return NULL;
	if (e->tok == T_NUMBER) {
		cJSON *v = number_value(e);
		next(e);
		return v;
	}
	if (e->tok == T_STRING) { /* adjacent literals are one */
		struct osfs_buf s = {0};
		while (e->tok == T_STRING && !e->err) {
			decode_string(e, e->start, e->len, &s);
			next(e);
		}
		osfs_buf_putc(&s, '\0');
		cJSON *v = e->err ? NULL : cJSON_CreateString(s.data);
		if (!e->err && memchr(s.data, '\0', s.len - 1)) {
			cJSON_Delete(v);
			v = NULL;
			unsupported(e, "a str holding NUL");
		}
		osfs_buf_free(&s);
		return v;
	}
	if (e->tok == T_NAME) {
		cJSON *v = name_value(e);
		if (v)
			next(e);
		return v;
	}
	if (is_op(e, "("))
		return parenthesized(e);
	if (is_op(e, "["))
		return list_display(e);
	if (is_op(e, "{"))
		return dict_display(e);
	if (is_op(e, "...")) {
		unsupported(e, "Ellipsis");
		return NULL;
	}
	expected(e);
	return NULL;
}

static cJSON *primary(struct ev *e)
{
	cJSON *v = atom(e);
	while (v && !e->err) {
		if (is_op(e, ".")) {
			next(e);
			if (e->tok != T_NAME) {
				expected(e);
				break;
			}
			cJSON *a = attribute(e, v, e->start, e->len);
			cJSON_Delete(v);
			v = a;
			if (v)
				next(e);
		} else if (is_op(e, "(")) {
			next(e);
			cJSON *args = cJSON_CreateArray(), *kwargs = cJSON_CreateObject();
			while (!e->err && !is_op(e, ")")) {
				if (is_op(e, "*") || is_op(e, "**")) {
					unsupported(e, "argument unpacking");
					break;
				}
				if (e->tok == T_NAME) { /* name=value? */
					const char *save = e->p, *start = e->start;
					size_t len = e->len;
					int nopen = e->nopen;
					next(e);
					if (is_op(e, "=")) {
						char key[256];
						snprintf(key, sizeof key, "%.*s", (int)len, start);
						next(e);
						cJSON *x = expression(e);
						if (x)
							cJSON_AddItemToObject(kwargs, key, x);
						goto separator;
					}
					e->p = save, e->start = start, e->len = len, e->tok = T_NAME, e->nopen = nopen;
				}
				cJSON *x = expression(e);
				if (x)
					cJSON_AddItemToArray(args, x);
separator:
				if (e->err)
					break;
				item_end(e, ")");
			}
			cJSON *r = e->err ? NULL : (next(e), call(e, v, args, kwargs));
			cJSON_Delete(args);
			cJSON_Delete(kwargs);
			cJSON_Delete(v);
			v = r;
		} else if (is_op(e, "[")) {
			next(e);
			int tuple;
			cJSON *k = expressions(e, &tuple);
			if (k && is_op(e, ":"))
				unsupported(e, "a slice");
			else if (k && !is_op(e, "]"))
				expected(e);
			cJSON *r = e->err ? NULL : (next(e), subscript(e, v, k));
			cJSON_Delete(k);
			cJSON_Delete(v);
			v = r;
		} else {
			break;
		}
	}
	if (e->err) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* ---- arithmetic --------------------------------------------------------------- */

static int numeric(const cJSON *v)
{
	return cJSON_IsNumber(v) || cJSON_IsBool(v);
}

static double num(const cJSON *v)
{
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : v->valuedouble;
}

static cJSON *number_result(struct ev *e, double x, int is_float)
{
	cJSON *v = cJSON_CreateNumber(x);
	if (!v)
		fail(e, -ENOMEM);
	else if (is_float)
		v->type |= PY_FLOAT;
	return v;
}

static cJSON *repeat(struct ev *e, const cJSON *seq, const cJSON *times)
{
	double d = num(times);
	size_t unit = cJSON_IsString(seq) ? strlen(seq->valuestring) : (size_t)cJSON_GetArraySize(seq);
	/* an empty one stays empty however often; a count is compared before it is cast */
	long long n = !unit || !(d > 0) ? 0 : d > MAX_REPEAT ? MAX_REPEAT + 1LL : (long long)d;
	if (n > 0 && (unsigned long long)n > MAX_REPEAT / unit) {
		fail(e, osfs_refuse(E2BIG, "a repetition of %.0f: osfs makes values of at most %d", d,
				    MAX_REPEAT));
		return NULL;
	}
	if (cJSON_IsString(seq)) {
		struct osfs_buf s = {0};
		for (long long i = 0; i < n; i++)
			osfs_buf_puts(&s, seq->valuestring);
		osfs_buf_putc(&s, '\0');
		cJSON *v = cJSON_CreateString(s.data);
		osfs_buf_free(&s);
		return v;
	}
	cJSON *v = cJSON_CreateArray();
	if (v)
		v->type |= seq->type & PY_TUPLE;
	for (long long i = 0; v && i < n; i++)
		for (const cJSON *c = seq->child; c; c = c->next)
			cJSON_AddItemToArray(v, cJSON_Duplicate(c, 1));
	return v;
}

static cJSON *binary(struct ev *e, const char *op, const cJSON *a, const cJSON *b)
{
	int fl = (numeric(a) && (a->type & PY_FLOAT)) || (numeric(b) && (b->type & PY_FLOAT));
	if (numeric(a) && numeric(b)) {
		double x = num(a), y = num(b);
		if (!strcmp(op, "+"))
			return number_result(e, x + y, fl);
		if (!strcmp(op, "-"))
			return number_result(e, x - y, fl);
		if (!strcmp(op, "*"))
			return number_result(e, x * y, fl);
		if (!strcmp(op, "**")) {
			if (x == 0 && y < 0) {
				fail(e, py_error("ZeroDivisionError", "0.0 cannot be raised to a negative power"));
				return NULL;
			}
			return number_result(e, pow(x, y), fl || y < 0);
		}
		if (y == 0) {
			fail(e, py_error("ZeroDivisionError", "%s", !strcmp(op, "/") ? (fl ? "float division by zero"
						: "division by zero") : fl ? "float modulo" : "integer division or modulo by zero"));
			return NULL;
		}
		if (!strcmp(op, "/"))
			return number_result(e, x / y, 1);
		double q = floor(x / y);
		if (!strcmp(op, "//"))
			return number_result(e, q, fl);
		if (!strcmp(op, "%"))
			return number_result(e, x - q * y, fl);
	}
	if (!strcmp(op, "+") && cJSON_IsString(a) && cJSON_IsString(b)) {
		struct osfs_buf s = {0};
		osfs_buf_printf(&s, "%s%s", a->valuestring, b->valuestring);
		cJSON *v = cJSON_CreateString(s.data ? s.data : "");
		osfs_buf_free(&s);
		return v;
	}
	if (!strcmp(op, "+") && cJSON_IsArray(a) && cJSON_IsArray(b) &&
	    (a->type & PY_TUPLE) == (b->type & PY_TUPLE)) {
		cJSON *v = cJSON_Duplicate(a, 1);
		for (const cJSON *c = b->child; v && c; c = c->next)
			cJSON_AddItemToArray(v, cJSON_Duplicate(c, 1));
		return v;
	}
	if (!strcmp(op, "*") && (cJSON_IsString(a) || cJSON_IsArray(a)) && py_is_int(b))
		return repeat(e, a, b);
	if (!strcmp(op, "*") && (cJSON_IsString(b) || cJSON_IsArray(b)) && py_is_int(a))
		return repeat(e, b, a);
	if (!strcmp(op, "+") && cJSON_IsString(a))
		fail(e, py_error("TypeError", "can only concatenate str (not \"%s\") to str", py_type_name(b)));
	else
		fail(e, py_error("TypeError", "unsupported operand type(s) for %s: '%s' and '%s'", op,
				 py_type_name(a), py_type_name(b)));
	return NULL;
}

static cJSON *factor(struct ev *e);

static cJSON *power(struct ev *e)
{
	cJSON *a = primary(e);
	if (a && is_op(e, "**")) {
		next(e);
		cJSON *b = factor(e), *r = b ? binary(e, "**", a, b) : NULL;
		cJSON_Delete(a);
		cJSON_Delete(b);
		return r;
	}
	return a;
}

static cJSON *factor(struct ev *e)
{
	if (is_op(e, "-") || is_op(e, "+") || is_op(e, "~")) {
		char op = *e->start;
		next(e);
		if (++e->depth > MAX_NEST) {
			syntax(e, "too many nested parentheses");
			return NULL;
		}
		cJSON *a = factor(e);
		e->depth--;
		if (a && (!numeric(a) || (op == '~' && !py_is_int(a)))) {
			fail(e, py_error("TypeError", "bad operand type for unary %c: '%s'", op, py_type_name(a)));
			cJSON_Delete(a);
			return NULL;
		}
		if (!a)
			return NULL;
		double x = num(a);
		cJSON *r = number_result(e, op == '-' ? -x : op == '~' ? -x - 1 : x, (a->type & PY_FLOAT) != 0);
		cJSON_Delete(a);
		return r;
	}
	return power(e);
}

static cJSON *term(struct ev *e)
{
	cJSON *a = factor(e);
	while (a && (is_op(e, "*") || is_op(e, "/") || is_op(e, "//") || is_op(e, "%") || is_op(e, "@"))) {
		char op[3];
		snprintf(op, sizeof op, "%.*s", (int)e->len, e->start);
		next(e);
		cJSON *b = factor(e), *r = b ? binary(e, op, a, b) : NULL;
		cJSON_Delete(a);
		cJSON_Delete(b);
		a = r;
	}
	return a;
}

static cJSON *expression(struct ev *e)
{
	if (++e->depth > MAX_NEST) {
		syntax(e, "too many nested parentheses");
		return NULL;
	}
	cJSON *a = term(e);
	while (a && (is_op(e, "+") || is_op(e, "-"))) {
		char op[2] = {*e->start, 0};
		next(e);
		cJSON *b = term(e), *r = b ? binary(e, op, a, b) : NULL;
		cJSON_Delete(a);
		cJSON_Delete(b);
		a = r;
	}
	e->depth--;
	if (a && e->tok == T_OP && strchr("<>=!|&^", *e->start) && !is_op(e, "="))
		unsupported(e, "a comparison or bitwise operation");
	else if (a && (is_word(e, "if") || is_word(e, "and") || is_word(e, "or") || is_word(e, "in") ||
		       is_word(e, "is") || is_word(e, "not")))
		unsupported(e, "a conditional, boolean or membership operation");
	if (e->err) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

/* expression (',' expression)* [','] : one value, or a tuple. */
static cJSON *expressions(struct ev *e, int *was_tuple)
{
	cJSON *first = expression(e);
	*was_tuple = 0;
	if (!first || !is_op(e, ","))
		return first;
	cJSON *t = cJSON_CreateArray();
	if (!t) {
		cJSON_Delete(first);
		fail(e, -ENOMEM);
		return NULL;
	}
	t->type |= PY_TUPLE;
	*was_tuple = 1;
	cJSON_AddItemToArray(t, first);
	while (is_op(e, ",") && !e->err) {
		next(e);
		if (e->tok == T_END || is_op(e, ")") || is_op(e, "]") || is_op(e, "}"))
			break;
		cJSON *x = expression(e);
		if (!x)
			break;
		cJSON_AddItemToArray(t, x);
	}
	if (e->err) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

cJSON *py_eval(const char *text, int *err)
{
	struct ev e = {.src = text, .p = text};
	e.p += strspn(e.p, " \t\f\r\n"); /* eval() strips leading blanks; blank lines are none */
	next(&e);
	int tuple;
	cJSON *v = e.err ? NULL : expressions(&e, &tuple);
	if (v && e.tok != T_END) {
		if (e.tok == T_NAME || e.tok == T_NUMBER || e.tok == T_STRING)
			syntax(&e, "invalid syntax");
		else
			expected(&e);
	}
	if (!v && !e.err)
		expected(&e);
	if (e.err) {
		cJSON_Delete(v);
		*err = e.err;
		return NULL;
	}
	*err = 0;
	return v;
}
