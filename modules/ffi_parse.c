/* ffi requests: one line parsed into what the call needs, without loading
 * anything, so the daemon can check a request and a fuzzer can reach every rule.
 *   [global:]LIBRARY SYMBOL RESTYPE [ARG ...] [... ARG ...]
 *   string_at ADDR [N]   wstring_at ADDR [N]   memory_at ADDR N   from_address TYPE ADDR
 * where ARG is TYPE:VALUE (by value; an array is passed as a pointer to it),
 * in:TYPE:VALUE, out:TYPE, inout:TYPE:VALUE (pointers to memory made for the call,
 * out/inout answered), buf:N[:"init"], xbuf:N[:"init"] (char buffers answered as
 * text or hex), or fn:LIBRARY:SYMBOL (a function pointer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffi_internal.h"
#include "osfs/refuse.h"

/* A token: a run of non-blanks, where "..." and brackets may hold blanks. */
static const char *next_token(struct arena *a, const char *p, const char **tok)
{
	p = fskip(p);
	*tok = NULL;
	if (!*p)
		return p;
	const char *start = p;
	int quoted = 0, depth = 0;
	for (; *p && (quoted || depth > 0 || (*p != ' ' && *p != '\t')); p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == '{' || *p == '[' || *p == '('))
			depth++;
		else if (!quoted && (*p == '}' || *p == ']' || *p == ')') && depth > 0)
			depth--;
	}
	*tok = arena_strndup(a, start, (size_t)(p - start));
	return p;
}

/* The first ':' outside quotes and brackets, or NULL. */
static char *colon(char *s)
{
	int quoted = 0, depth = 0;
	for (; *s; s++) {
		if (quoted && *s == '\\' && s[1])
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && (*s == '{' || *s == '[' || *s == '('))
			depth++;
		else if (!quoted && (*s == '}' || *s == ']' || *s == ')'))
			depth--;
		else if (!quoted && depth == 0 && *s == ':')
			return s;
	}
	return NULL;
}

static const char *lookup(void *ctx, const char *name, size_t len)
{
	const struct frequest *q = ctx;
	for (size_t i = 0; i < q->ndefs; i++)
		if (q->defs[i].len == len && memcmp(q->defs[i].name, name, len) == 0)
			return q->defs[i].text;
	return NULL;
}

int ffi_short_name(const char *name)
{
	return !strchr(name, '/') && !strstr(name, ".so") && strcmp(name, "None") != 0;
}

static int too_large(const char *what)
{
	return osfs_refuse(E2BIG, "%s: the request is too large", what);
}

static int type_of(struct frequest *q, const char *text, const char *what, const struct ftype **t)
{
	int err = ftype_parse_text(text, what, &q->scope, &q->arena, t);
	if (!err && (*t)->kind == FK_VOID)
		err = osfs_refuse(EINVAL, "%s: void is no argument's type", what);
	return err;
}

/* Memory for a value of t, aligned for anything (libffi reads scalars from it). */
static void *storage(struct frequest *q, const struct ftype *t)
{
	size_t size = t->size > 16 ? t->size : 16;
	return arena_alloc(&q->arena, size, t->align > 16 ? t->align : 16);
}

static int value_into(struct frequest *q, const char *what, const struct ftype *t, const char *text,
		      void **mem)
{
	if (!(*mem = storage(q, t)))
		return too_large(what);
	struct fparser p = {.s = text, .what = what, .scope = &q->scope, .a = &q->arena};
	return fvalue_parse(&p, t, *mem, 1);
}

/* buf:N, buf:N:"init", buf:"init" (as create_string_buffer(init, N)). */
static int buffer(struct frequest *q, struct farg *a, char *spec, const char *what)
{
	char *init = NULL;
	size_t len = 0, n = 0;
	struct fparser p = {.s = spec, .what = what, .scope = &q->scope, .a = &q->arena};
	if (*spec != '"') {
		char *end;
		unsigned long v = strtoul(spec, &end, 10);
		if (end == spec || (*end && *end != ':') || spec[0] == '-' || v == 0 || v > FFI_MAX_SIZE)
			return osfs_refuse(EINVAL, "%s: buf:N wants a size from 1 to %u", what, FFI_MAX_SIZE);
		n = v;
		p.s = *end ? end + 1 : end;
	}
	if (*p.s) {
		int err = fstring_parse(&p, &init, &len);
		if (err)
			return err;
		if (*fskip(p.s))
			return osfs_refuse(EINVAL, "%s: text after the closing quote", what);
		if (!n)
			n = len + 1;
		if (len > n)
			return osfs_refuse(EINVAL, "%s: an initial value of %zu bytes is too long for %zu",
					   what, len, n);
	}
	if (n > FFI_MAX_SIZE)
		return osfs_refuse(EINVAL, "%s: buf:N wants a size from 1 to %u", what, FFI_MAX_SIZE);
	struct ftype *t = arena_alloc(&q->arena, sizeof *t, _Alignof(struct ftype));
	if (!t || !(a->mem = arena_alloc(&q->arena, n, 16)))
		return too_large(what);
	t->kind = FK_ARRAY;
	t->elem = ftype_fundamental("char", 4);
	t->count = t->size = n;
	t->align = 1;
	a->t = t;
	if (init)
		memcpy(a->mem, init, len);
	a->ptr = a->mem;
	return 0;
}

/* What C's default argument promotions make of a value passed after "...". */
static void promote(struct farg *a, ffi_type **ft)
{
	const struct ftype *t = a->t;
	if (t->kind == FK_FLOAT && t->size == sizeof(float)) {
		double *d = a->ptr;
		*d = (double)*(float *)a->mem;
		a->mem = d;
		*ft = &ffi_type_double;
	} else if ((t->kind == FK_SINT || t->kind == FK_UINT || t->kind == FK_BOOL ||
		    t->kind == FK_CHAR) && t->size < sizeof(int)) {
		int *i = a->ptr;
		const void *m = a->mem;
		*i = t->size == 1 ? (t->kind == FK_SINT || t->kind == FK_CHAR ? *(const signed char *)m
							 : *(const unsigned char *)m)
		     : t->kind == FK_SINT ? *(const short *)m : *(const unsigned short *)m;
		a->mem = i;
		*ft = &ffi_type_sint;
	}
}

static int argument(struct frequest *q, char *tok, int index, int variadic)
{
	struct farg *a = &q->args[q->nargs];
	char what[32];
	snprintf(what, sizeof what, "argument %d", index);
	char *c = colon(tok);
	if (!c)
		return osfs_refuse(EINVAL, "%s: '%s' has no type: write TYPE:VALUE", what, tok);
	*c = '\0';
	char *rest = c + 1;
	ffi_type *ft = &ffi_type_pointer;
	int err = 0;
	if (strcmp(tok, "out") == 0) {
		a->pass = P_OUT;
		if (!(err = type_of(q, rest, what, &a->t)) && !(a->mem = storage(q, a->t)))
			err = too_large(what);
	} else if (strcmp(tok, "in") == 0 || strcmp(tok, "inout") == 0) {
		a->pass = tok[2] ? P_INOUT : P_IN;
		char *v = colon(rest);
		if (!v)
			return osfs_refuse(EINVAL, "%s: write %s:TYPE:VALUE", what, tok);
		*v = '\0';
		err = type_of(q, rest, what, &a->t);
		if (!err)
			err = value_into(q, what, a->t, v + 1, &a->mem);
	} else if (strcmp(tok, "buf") == 0 || strcmp(tok, "xbuf") == 0) {
		a->pass = tok[0] == 'x' ? P_XBUF : P_BUF;
		err = buffer(q, a, rest, what);
	} else if (strcmp(tok, "fn") == 0) {
		char *s = strrchr(rest, ':');
		if (!s || s == rest || !s[1])
			return osfs_refuse(EINVAL, "%s: write fn:LIBRARY:SYMBOL", what);
		*s = '\0';
		a->pass = P_FN;
		a->lib = rest;
		a->sym = s + 1;
		a->t = ftype_fundamental("ptr", 3);
	} else {
		err = type_of(q, tok, what, &a->t);
		if (!err)
			err = value_into(q, what, a->t, rest, &a->mem);
		if (!err && a->t->kind == FK_ARRAY) {
			a->pass = P_IN; /* an array is passed as a pointer to it, as in C */
		} else if (!err) {
			a->pass = P_VALUE;
			if (!(ft = ftype_ffi(a->t, &q->arena, what)))
				err = -EINVAL;
		}
	}
	if (err)
		return err;
	if (a->pass == P_VALUE) {
		a->ptr = arena_alloc(&q->arena, 16, 16); /* room for a promoted copy */
		if (!a->ptr)
			return too_large(what);
		if (variadic)
			promote(a, &ft);
		q->argv[q->nargs] = a->mem;
	} else {
		if (a->pass != P_FN && a->pass != P_BUF && a->pass != P_XBUF)
			a->ptr = a->mem;
		q->argv[q->nargs] = &a->ptr;
	}
	q->argt[q->nargs] = ft;
	q->nargs++;
	return 0;
}

static int address(const char *text, const char *what, uintptr_t *addr)
{
	uint64_t v;
	int neg;
	if (!text || fparse_u64(text, &v, &neg) || neg || v > UINTPTR_MAX)
		return osfs_refuse(EINVAL, "%s: '%s' is not an address", what, text ? text : "");
	if (v == 0)
		return osfs_refuse(EINVAL, "%s: the address is NULL", what);
	*addr = (uintptr_t)v;
	return 0;
}

static const struct {
	const char *name;
	enum fverb verb;
} verbs[] = {
	{"string_at", V_STRING_AT},
	{"wstring_at", V_WSTRING_AT},
	{"memory_at", V_MEMORY_AT},
	{"from_address", V_FROM_ADDRESS},
};

/* string_at ADDR [N], wstring_at ADDR [N], memory_at ADDR N, from_address TYPE ADDR */
static int memory_verb(struct frequest *q, const char *p)
{
	const char *what = verbs[q->verb - 1].name, *first, *second, *extra;
	p = next_token(&q->arena, p, &first);
	p = next_token(&q->arena, p, &second);
	next_token(&q->arena, p, &extra);
	if (extra)
		return osfs_refuse(EINVAL, "%s: '%s' is one word too many", what, extra);
	if (q->verb == V_FROM_ADDRESS) {
		if (!first || !second)
			return osfs_refuse(EINVAL, "write from_address TYPE ADDRESS");
		int err = type_of(q, first, what, &q->rt);
		return err ? err : address(second, what, &q->addr);
	}
	int err = address(first, what, &q->addr);
	if (err)
		return err;
	if (!second && q->verb == V_MEMORY_AT)
		return osfs_refuse(EINVAL, "write memory_at ADDRESS SIZE");
	if (second) {
		uint64_t n;
		int neg;
		size_t max = q->verb == V_WSTRING_AT ? FFI_MAX_SIZE / sizeof(wchar_t) : FFI_MAX_SIZE;
		if (fparse_u64(second, &n, &neg) || neg || n > max)
			return osfs_refuse(EINVAL, "%s: the size '%s' is not from 0 to %zu", what, second, max);
		q->n = (size_t)n;
		q->has_n = 1;
	}
	return 0;
}

/* "def NAME TYPE" and "global LIBRARY" lines before the request. */
static int context(struct frequest *q, const char *body, const char **request)
{
	size_t lines = 0;
	for (const char *s = body; (s = strchr(s, '\n')); s++)
		lines++;
	q->defs = arena_alloc(&q->arena, (lines + 1) * sizeof *q->defs, _Alignof(struct fdef));
	q->globals = arena_alloc(&q->arena, (lines + 1) * sizeof *q->globals, _Alignof(char *));
	if (!q->defs || !q->globals)
		return too_large("the request");
	const char *s = body, *nl;
	while ((nl = strchr(s, '\n'))) {
		char *line = arena_strndup(&q->arena, s, (size_t)(nl - s));
		if (!line)
			return too_large("the request");
		if (strncmp(line, "def ", 4) == 0) {
			struct fdef *d = &q->defs[q->ndefs];
			d->name = line + 4;
			d->len = strcspn(d->name, " ");
			if (!d->len || !d->name[d->len])
				return osfs_refuse(EINVAL, "a definition line is 'def NAME TYPE'");
			d->text = d->name + d->len + 1;
			q->ndefs++;
		} else if (strncmp(line, "global ", 7) == 0) {
			q->globals[q->nglobals++] = line + 7;
		} else {
			return osfs_refuse(EINVAL, "one request per line");
		}
		s = nl + 1;
	}
	*request = s;
	return 0;
}

int frequest_parse(struct frequest *q, const char *body)
{
	memset(q, 0, sizeof *q);
	q->nfixed = -1;
	q->scope.lookup = lookup;
	q->scope.ctx = q;
	const char *p = body, *first = NULL, *restype = NULL, *tok;
	int err = context(q, body, &p);
	if (!err)
		p = next_token(&q->arena, p, &first);
	for (size_t i = 0; !err && first && i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(first, verbs[i].name) == 0) {
			q->verb = verbs[i].verb;
			return memory_verb(q, p);
		}
	if (!err && first && strncmp(first, "global:", 7) == 0) {
		q->global = 1;
		first += 7;
	}
	q->lib = first;
	if (!err) {
		p = next_token(&q->arena, p, &q->sym);
		p = next_token(&q->arena, p, &restype);
		if (!first || !*first || !q->sym || !restype)
			return osfs_refuse(EINVAL, "expected LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...]");
		err = ftype_parse_text(restype, "the result type", &q->scope, &q->arena, &q->rt);
		if (!err && q->rt->kind == FK_ARRAY)
			err = osfs_refuse(EINVAL, "the result type: a function cannot return an array");
	}
	ffi_type *rffi = NULL;
	if (!err && !(rffi = ftype_ffi(q->rt, &q->arena, "the result type")))
		err = -EINVAL;
	while (!err && (p = next_token(&q->arena, p, &tok), tok)) {
		if (strcmp(tok, "...") == 0) {
			if (q->nfixed >= 0)
				err = osfs_refuse(EINVAL, "'...' may appear once");
			q->nfixed = q->nargs;
		} else if (q->nargs == FFI_MAX_ARGS) {
			err = osfs_refuse(EINVAL, "at most %d arguments", FFI_MAX_ARGS);
		} else {
			err = argument(q, (char *)tok, q->nargs + 1, q->nfixed >= 0);
		}
	}
	if (!err && q->arena.total >= FFI_MAX_ARENA)
		err = too_large("the request");
	if (!err && !first)
		err = osfs_refuse(EINVAL, "expected LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...]");
	if (!err) {
		ffi_status st = q->nfixed >= 0
			? ffi_prep_cif_var(&q->cif, FFI_DEFAULT_ABI, (unsigned)q->nfixed, (unsigned)q->nargs,
					   rffi, q->argt)
			: ffi_prep_cif(&q->cif, FFI_DEFAULT_ABI, (unsigned)q->nargs, rffi, q->argt);
		if (st != FFI_OK)
			err = osfs_refuse(EINVAL, "libffi cannot prepare this call (status %d)", (int)st);
	}
	return err;
}

void frequest_free(struct frequest *q)
{
	arena_free(&q->arena);
}
