/* ffi: one request line parsed into types and values, called through libffi
 * (ffi_prep_cif_var for variadic calls, with C's default promotions), answered
 * as ctypes would see it: errno captured right around the call (use_errno). */
#include "osfs/ffi.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <ffi.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "osfs/fmt.h"
#include "osfs/refuse.h"

enum tkind { TK_VOID, TK_SINT, TK_UINT, TK_FLOAT, TK_PTR, TK_STR };

static const struct ffi_type_row {
	const char *name;
	ffi_type *type;
	enum tkind kind;
	size_t size;
} types[] = {
	{"void", &ffi_type_void, TK_VOID, 0},
	{"int8", &ffi_type_sint8, TK_SINT, 1},       {"int16", &ffi_type_sint16, TK_SINT, 2},
	{"int32", &ffi_type_sint32, TK_SINT, 4},     {"int64", &ffi_type_sint64, TK_SINT, 8},
	{"uint8", &ffi_type_uint8, TK_UINT, 1},      {"uint16", &ffi_type_uint16, TK_UINT, 2},
	{"uint32", &ffi_type_uint32, TK_UINT, 4},    {"uint64", &ffi_type_uint64, TK_UINT, 8},
	{"char", &ffi_type_schar, TK_SINT, sizeof(char)},
	{"uchar", &ffi_type_uchar, TK_UINT, sizeof(unsigned char)},
	{"short", &ffi_type_sshort, TK_SINT, sizeof(short)},
	{"ushort", &ffi_type_ushort, TK_UINT, sizeof(unsigned short)},
	{"int", &ffi_type_sint, TK_SINT, sizeof(int)},
	{"uint", &ffi_type_uint, TK_UINT, sizeof(unsigned)},
	{"long", &ffi_type_slong, TK_SINT, sizeof(long)},
	{"ulong", &ffi_type_ulong, TK_UINT, sizeof(unsigned long)},
	{"llong", &ffi_type_sint64, TK_SINT, sizeof(long long)},
	{"ullong", &ffi_type_uint64, TK_UINT, sizeof(unsigned long long)},
	{"size_t", &ffi_type_uint64, TK_UINT, sizeof(size_t)},
	{"ssize_t", &ffi_type_sint64, TK_SINT, sizeof(ssize_t)},
	{"intptr", &ffi_type_sint64, TK_SINT, sizeof(intptr_t)},
	{"uintptr", &ffi_type_uint64, TK_UINT, sizeof(uintptr_t)},
	{"float", &ffi_type_float, TK_FLOAT, sizeof(float)},
	{"double", &ffi_type_double, TK_FLOAT, sizeof(double)},
	{"ptr", &ffi_type_pointer, TK_PTR, sizeof(void *)},
	{"str", &ffi_type_pointer, TK_STR, sizeof(char *)},
};
#define NTYPES (sizeof types / sizeof types[0])

static const struct ffi_type_row *type_of(const char *name)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

int osfs_ffi_sizeof(const char *type, size_t *size)
{
	const struct ffi_type_row *t = type_of(type);
	if (!t || t->kind == TK_VOID)
		return osfs_refuse(ENOENT, "unknown type '%s'", type);
	*size = t->size;
	return 0;
}

const char *osfs_ffi_type_name(size_t i)
{
	return i + 1 < NTYPES ? types[i + 1].name : NULL; /* void has no size */
}

/* One token: a run of non-blanks, where "..." quotes may hold blanks and C escapes
 * (the quotes stay; values decode them). */
static const char *next_token(const char *p, char **tok)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		*tok = NULL;
		return p;
	}
	const char *start = p;
	int quoted = 0;
	for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++) {
		if (*p == '\\' && quoted && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
	}
	*tok = strndup(start, (size_t)(p - start));
	return p;
}

/* A "..." literal with C's escapes: \n \t \r \0 \\ \" \xHH \ooo. */
static int unquote(const char *s, int index, struct osfs_buf *out)
{
	size_t n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return osfs_refuse(EINVAL, "argument %d: a string is written \"...\"", index);
	for (size_t i = 1; i + 1 < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 2 < n) {
			c = s[++i];
			static const char from[] = "ntr\\\"'abfv", to[] = "\n\t\r\\\"'\a\b\f\v";
			const char *k = strchr(from, c);
			if (k) {
				c = to[k - from];
			} else if (c == 'x') {
				unsigned v = 0;
				int d = 0;
				while (d < 2 && i + 2 < n && isxdigit((unsigned char)s[i + 1]))
					v = v * 16 + (unsigned)(isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0'
						: (tolower((unsigned char)s[i + 1]) - 'a' + 10)), i++, d++;
				c = (char)v;
			} else if (c >= '0' && c <= '7') {
				unsigned v = (unsigned)(c - '0');
				for (int d = 0; d < 2 && i + 2 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; d++)
					v = v * 8 + (unsigned)(s[++i] - '0');
				c = (char)v;
			} else {
				return osfs_refuse(EINVAL, "argument %d: unknown escape \\%c", index, c);
			}
		}
		osfs_buf_putc(out, c);
	}
	osfs_buf_add(out, "", 1); /* the NUL: a C string */
	return 0;
}

/* One argument as the call needs it. */
struct arg {
	const struct ffi_type_row *t;
	ffi_type *pass;     /* the type passed (promoted when variadic) */
	union {
		int64_t i;
		uint64_t u;
		double d;
		float f;
		void *p;
		int8_t i8;
		int16_t i16;
		int32_t i32;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
	} v;
	struct osfs_buf mem; /* a str's bytes, a buf's or out's storage */
	enum { PLAIN, BUF, XBUF, OUT } out;
	size_t len;
};

static int int_value(const char *text, const struct ffi_type_row *t, int index, struct arg *a)
{
	char *end;
	errno = 0;
	int neg = text[0] == '-';
	if (t->kind == TK_SINT) {
		long long v = strtoll(text, &end, 0);
		int bits = (int)t->size * 8;
		long long lo = bits == 64 ? LLONG_MIN : -(1LL << (bits - 1));
		long long hi = bits == 64 ? LLONG_MAX : (1LL << (bits - 1)) - 1;
		if (*end || end == text)
			return osfs_refuse(EINVAL, "argument %d: '%s' is not an integer", index, text);
		if (errno || v < lo || v > hi)
			return osfs_refuse(EINVAL, "argument %d: %s is out of range for %s", index, text, t->name);
		a->v.i = v;
	} else {
		unsigned long long v = strtoull(text, &end, 0);
		int bits = (int)t->size * 8;
		unsigned long long hi = bits == 64 ? ULLONG_MAX : (1ULL << bits) - 1;
		if (*end || end == text)
			return osfs_refuse(EINVAL, "argument %d: '%s' is not an integer", index, text);
		if (errno || neg || v > hi)
			return osfs_refuse(EINVAL, "argument %d: %s is out of range for %s", index, text, t->name);
		a->v.u = v;
	}
	return 0;
}

/* Stores an integer in the width the type has, for libffi to read. */
static void narrow(struct arg *a)
{
	int s = a->t->kind == TK_SINT;
	switch (a->t->size) {
	case 1:
		if (s) a->v.i8 = (int8_t)a->v.i; else a->v.u8 = (uint8_t)a->v.u;
		break;
	case 2:
		if (s) a->v.i16 = (int16_t)a->v.i; else a->v.u16 = (uint16_t)a->v.u;
		break;
	case 4:
		if (s) a->v.i32 = (int32_t)a->v.i; else a->v.u32 = (uint32_t)a->v.u;
		break;
	default:
		break;
	}
}

static int parse_arg(const char *tok, int index, int variadic, struct arg *a)
{
	const char *colon = strchr(tok, ':');
	if (!colon)
		return osfs_refuse(EINVAL, "argument %d: '%s' has no type: write TYPE:VALUE", index, tok);
	char type[32];
	snprintf(type, sizeof type, "%.*s", (int)(colon - tok < 31 ? colon - tok : 31), tok);
	const char *value = colon + 1;
	if (strcmp(type, "buf") == 0 || strcmp(type, "xbuf") == 0) {
		char *end;
		long n = strtol(value, &end, 10);
		if (*end || n <= 0 || n > 1 << 20)
			return osfs_refuse(EINVAL, "argument %d: %s:N wants a size from 1 to 1048576", index, type);
		a->t = type_of("ptr");
		a->out = type[0] == 'x' ? XBUF : BUF;
		a->len = (size_t)n;
		char *p = osfs_buf_extend(&a->mem, (size_t)n);
		if (!p)
			return -ENOMEM;
		memset(p, 0, (size_t)n);
		a->v.p = p;
		a->pass = &ffi_type_pointer;
		return 0;
	}
	if (strcmp(type, "out") == 0) {
		const struct ffi_type_row *t = type_of(value);
		if (!t || t->kind == TK_VOID || t->kind == TK_STR)
			return osfs_refuse(EINVAL, "argument %d: out:TYPE wants a scalar type", index);
		a->t = t;
		a->out = OUT;
		char *p = osfs_buf_extend(&a->mem, 16);
		if (!p)
			return -ENOMEM;
		memset(p, 0, 16);
		a->v.p = p;
		a->pass = &ffi_type_pointer;
		return 0;
	}
	a->t = type_of(type);
	if (!a->t || a->t->kind == TK_VOID)
		return osfs_refuse(EINVAL, "argument %d: unknown type '%s'", index, type);
	a->pass = a->t->type;
	int err = 0;
	switch (a->t->kind) {
	case TK_SINT:
	case TK_UINT:
		err = int_value(value, a->t, index, a);
		if (!err && variadic && a->t->size < sizeof(int)) { /* default promotions */
			a->pass = a->t->kind == TK_SINT ? &ffi_type_sint : &ffi_type_uint;
			a->v.i32 = (int32_t)a->v.i;
		} else if (!err) {
			narrow(a);
		}
		break;
	case TK_FLOAT: {
		char *end;
		double d = strtod(value, &end);
		if (*end || end == value)
			return osfs_refuse(EINVAL, "argument %d: '%s' is not a number", index, value);
		if (a->t->size == sizeof(float) && !variadic)
			a->v.f = (float)d;
		else {
			a->v.d = d;
			a->pass = &ffi_type_double; /* a float passed variadic becomes a double */
		}
		break;
	}
	case TK_PTR: {
		if (strcmp(value, "NULL") == 0 || strcmp(value, "0") == 0) {
			a->v.p = NULL;
			break;
		}
		char *end;
		unsigned long long u = strtoull(value, &end, 0);
		if (*end || end == value)
			return osfs_refuse(EINVAL, "argument %d: '%s' is not an address", index, value);
		a->v.p = (void *)(uintptr_t)u;
		break;
	}
	case TK_STR:
		err = unquote(value, index, &a->mem);
		a->v.p = a->mem.data;
		break;
	case TK_VOID:
		break;
	}
	return err;
}

static void put_quoted(struct osfs_buf *out, const char *s, size_t n)
{
	osfs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			osfs_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			osfs_buf_puts(out, "\\n");
		else if (c == '\t')
			osfs_buf_puts(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			osfs_buf_printf(out, "\\x%02x", c);
		else
			osfs_buf_putc(out, (char)c);
	}
	osfs_buf_putc(out, '"');
}

/* A scalar at p, of type t, as ctypes shows its value. */
static void put_scalar(struct osfs_buf *out, const struct ffi_type_row *t, const void *p)
{
	switch (t->kind) {
	case TK_SINT: {
		long long v = t->size == 1 ? *(const int8_t *)p : t->size == 2 ? *(const int16_t *)p
			      : t->size == 4 ? *(const int32_t *)p : *(const int64_t *)p;
		osfs_buf_printf(out, "%lld", v);
		break;
	}
	case TK_UINT: {
		unsigned long long v = t->size == 1 ? *(const uint8_t *)p : t->size == 2 ? *(const uint16_t *)p
				       : t->size == 4 ? *(const uint32_t *)p : *(const uint64_t *)p;
		osfs_buf_printf(out, "%llu", v);
		break;
	}
	case TK_FLOAT:
		osfs_fmt_repr(out, t->size == sizeof(float) ? (double)*(const float *)p : *(const double *)p);
		break;
	case TK_PTR:
		if (*(void *const *)p)
			osfs_buf_printf(out, "%p", *(void *const *)p);
		else
			osfs_buf_puts(out, "None"); /* ctypes shows a NULL c_void_p as None */
		break;
	case TK_STR: {
		const char *s = *(const char *const *)p;
		if (s)
			put_quoted(out, s, strlen(s));
		else
			osfs_buf_puts(out, "None");
		break;
	}
	case TK_VOID:
		osfs_buf_puts(out, "None");
		break;
	}
}

#define MAX_ARGS 32

/* One request, parsed and with its libffi call interface prepared. */
struct request {
	char *lib, *sym, *ret;
	const struct ffi_type_row *rt;
	struct arg args[MAX_ARGS];
	int nargs, nfixed;
	ffi_cif cif;
	ffi_type *argt[MAX_ARGS];
	void *argv[MAX_ARGS];
};

static int request_parse(const char *request, struct request *q)
{
	memset(q, 0, sizeof *q);
	q->nfixed = -1;
	char *tok = NULL;
	const char *p = next_token(request, &q->lib);
	p = next_token(p, &q->sym);
	p = next_token(p, &q->ret);
	int err = 0;
	q->rt = q->ret ? type_of(q->ret) : NULL;
	if (!q->lib || !q->sym || !q->ret)
		err = osfs_refuse(EINVAL, "expected LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...]");
	else if (!q->rt)
		err = osfs_refuse(EINVAL, "unknown result type '%s'", q->ret);
	while (!err && (p = next_token(p, &tok), tok)) {
		if (strcmp(tok, "...") == 0) {
			if (q->nfixed >= 0)
				err = osfs_refuse(EINVAL, "'...' may appear once");
			q->nfixed = q->nargs;
		} else if (q->nargs == MAX_ARGS) {
			err = osfs_refuse(EINVAL, "at most %d arguments", MAX_ARGS);
		} else {
			err = parse_arg(tok, q->nargs + 1, q->nfixed >= 0, &q->args[q->nargs]);
			q->nargs++;
		}
		free(tok);
	}
	for (int i = 0; i < q->nargs; i++) {
		q->argt[i] = q->args[i].pass;
		q->argv[i] = &q->args[i].v;
	}
	if (!err) {
		ffi_status st = q->nfixed >= 0
			? ffi_prep_cif_var(&q->cif, FFI_DEFAULT_ABI, (unsigned)q->nfixed,
					   (unsigned)q->nargs, q->rt->type, q->argt)
			: ffi_prep_cif(&q->cif, FFI_DEFAULT_ABI, (unsigned)q->nargs, q->rt->type, q->argt);
		if (st != FFI_OK)
			err = osfs_refuse(EINVAL, "libffi cannot prepare this call (%d)", (int)st);
	}
	return err;
}

static void request_free(struct request *q)
{
	for (int i = 0; i < q->nargs; i++)
		osfs_buf_free(&q->args[i].mem);
	free(q->lib);
	free(q->sym);
	free(q->ret);
}

int osfs_ffi_check(const char *request)
{
	struct request q;
	int err = request_parse(request, &q);
	request_free(&q);
	return err;
}

int osfs_ffi_call(const char *request, struct osfs_buf *out)
{
	struct request q;
	int err = request_parse(request, &q);
	const struct ffi_type_row *rt = q.rt;
	struct arg *args = q.args;
	int nargs = q.nargs;
	void *handle = NULL, *fn = NULL;
	if (!err && !(handle = dlopen(q.lib, RTLD_NOW | RTLD_LOCAL)))
		err = osfs_refuse(ENOENT, "cannot load %s: %s", q.lib, dlerror());
	if (!err && !(fn = dlsym(handle, q.sym)))
		err = osfs_refuse(ENOENT, "%s has no symbol %s", q.lib, q.sym);
	if (!err) {
		union {
			ffi_arg i;
			double d;
			float f;
			void *p;
			char pad[16];
		} result;
		memset(&result, 0, sizeof result);
		errno = 0; /* as ctypes' use_errno: errno right around the call */
		ffi_call(&q.cif, FFI_FN(fn), &result, q.argv);
		int saved = errno;
		osfs_buf_puts(out, "ret=");
		if (rt->kind == TK_SINT || rt->kind == TK_UINT) { /* ffi_arg holds small ints widened */
			int64_t wide = rt->kind == TK_SINT ? (int64_t)(ffi_sarg)result.i : (int64_t)result.i;
			if (rt->kind == TK_SINT)
				osfs_buf_printf(out, "%lld", (long long)(rt->size == 1 ? (int8_t)wide : rt->size == 2 ? (int16_t)wide : rt->size == 4 ? (int32_t)wide : wide));
			else
				osfs_buf_printf(out, "%llu", (unsigned long long)(rt->size == 1 ? (uint8_t)result.i : rt->size == 2 ? (uint16_t)result.i : rt->size == 4 ? (uint32_t)result.i : (uint64_t)result.i));
		} else {
			put_scalar(out, rt, &result);
		}
		osfs_buf_printf(out, "\nerrno=%d\n", saved);
		for (int i = 0; i < nargs; i++) {
			if (args[i].out == BUF) {
				osfs_buf_printf(out, "out.%d=", i + 1);
				put_quoted(out, args[i].mem.data, strnlen(args[i].mem.data, args[i].len));
				osfs_buf_putc(out, '\n');
			} else if (args[i].out == XBUF) {
				osfs_buf_printf(out, "out.%d=", i + 1);
				for (size_t k = 0; k < args[i].len; k++)
					osfs_buf_printf(out, "%02x", (unsigned char)args[i].mem.data[k]);
				osfs_buf_putc(out, '\n');
			} else if (args[i].out == OUT) {
				osfs_buf_printf(out, "out.%d=", i + 1);
				put_scalar(out, args[i].t, args[i].mem.data);
				osfs_buf_putc(out, '\n');
			}
		}
	}
	request_free(&q);
	return err;
}
