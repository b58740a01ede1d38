/* ffi values: text written into C memory of a given type, and memory read back as
 * text.  Scalars as C writes them (42, -1, 0x1f, 2.5, "x", NULL), structures and
 * arrays as C initializers ({1, 2}, {.tv_sec=1} or {tv_sec=1}, "abc" for a char
 * array); answers one line per scalar, keyed by field name or index. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ffi_internal.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

int fparse_u64(const char *text, uint64_t *v, int *negative)
{
	const char *s = text;
	*negative = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long u = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*v = u;
	return 0;
}

/* The text of one scalar: up to ',' '}' or a blank (at the top, to the end). */
static int bare(struct fparser *p, int top, char *buf, size_t size)
{
	const char *s = p->s;
	size_t n = top ? strlen(s) : strcspn(s, ",} \t");
	while (top && n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return osfs_refuse(EINVAL, "%s: a value is missing", p->what);
	if (n >= size)
		return osfs_refuse(EINVAL, "%s: '%.24s...' is not a value", p->what, s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	p->s = s + n;
	return 0;
}

static int is_null(const char *w)
{
	return strcmp(w, "NULL") == 0 || strcmp(w, "None") == 0 || strcmp(w, "0") == 0;
}

/* Memory is read and written with memcpy: a field of a packed structure may sit
 * anywhere. */
#define STORE(mem, T, v)                        \
	do {                                    \
		T store_ = (v);                 \
		memcpy((mem), &store_, sizeof store_); \
	} while (0)

static void store_int(void *mem, size_t size, uint64_t v)
{
	switch (size) {
	case 1: STORE(mem, uint8_t, (uint8_t)v); break;
	case 2: STORE(mem, uint16_t, (uint16_t)v); break;
	case 4: STORE(mem, uint32_t, (uint32_t)v); break;
	default: STORE(mem, uint64_t, v); break;
	}
}

static uint64_t load_uint(const void *mem, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	switch (size) {
	case 1: memcpy(&u8, mem, 1); return u8;
	case 2: memcpy(&u16, mem, 2); return u16;
	case 4: memcpy(&u32, mem, 4); return u32;
	default: memcpy(&u64, mem, 8); return u64;
	}
}

static int64_t load_sint(const void *mem, size_t size)
{
	uint64_t u = load_uint(mem, size);
	return size == 1 ? (int8_t)u : size == 2 ? (int16_t)u : size == 4 ? (int32_t)u : (int64_t)u;
}

static const void *load_ptr(const void *mem)
{
	const void *p;
	memcpy(&p, mem, sizeof p);
	return p;
}

/* A copy of n wide characters at mem, aligned: NULL without memory. */
static wchar_t *wide_copy(const void *mem, size_t n)
{
	wchar_t *w = malloc((n ? n : 1) * sizeof *w);
	if (w)
		memcpy(w, mem, n * sizeof *w);
	return w;
}

/* An integer into size bytes, signed or not, checked against the type's range. */
static int int_into(struct fparser *p, const char *w, const struct ftype *t, int is_signed, void *mem)
{
	uint64_t u;
	int neg, err = fparse_u64(w, &u, &neg);
	if (err == -EINVAL)
		return osfs_refuse(EINVAL, "%s: '%s' is not an integer", p->what, w);
	int bits = (int)t->size * 8;
	uint64_t hi = is_signed ? (bits == 64 ? (uint64_t)INT64_MAX : (1ULL << (bits - 1)) - 1)
				: (bits == 64 ? UINT64_MAX : (1ULL << bits) - 1);
	uint64_t lo = is_signed ? hi + 1 : 0; /* the magnitude of the least value */
	if (err || (neg ? u > lo : u > hi))
		return osfs_refuse(EINVAL, "%s: %s is out of range for %s", p->what, w,
				   t->name ? t->name : "its type");
	store_int(mem, t->size, neg ? (uint64_t)0 - u : u);
	return 0;
}

static int string_value(struct fparser *p, const struct ftype *t, void *mem)
{
	char *bytes;
	size_t len;
	int err = fstring_parse(p, &bytes, &len);
	if (err)
		return err;
	if (t->kind == FK_STR) {
		STORE(mem, char *, bytes);
		return 0;
	}
	long wide = fdecode_utf8(bytes, len, NULL);
	if (t->kind == FK_CHAR) {
		if (len != 1)
			return osfs_refuse(EINVAL, "%s: a char is one byte, not %zu", p->what, len);
		*(char *)mem = bytes[0];
		return 0;
	}
	if (wide < 0)
		return osfs_refuse(EINVAL, "%s: a wide string must be UTF-8", p->what);
	if (t->kind == FK_WCHAR) {
		if (wide != 1)
			return osfs_refuse(EINVAL, "%s: a wchar is one character, not %ld", p->what, wide);
		wchar_t c;
		fdecode_utf8(bytes, len, &c);
		STORE(mem, wchar_t, c);
		return 0;
	}
	if (t->kind != FK_WSTR)
		return osfs_refuse(EINVAL, "%s: a string is no value for %s", p->what, t->name);
	wchar_t *w = arena_alloc(p->a, ((size_t)wide + 1) * sizeof *w, _Alignof(wchar_t));
	if (!w)
		return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
	fdecode_utf8(bytes, len, w);
	STORE(mem, wchar_t *, w);
	return 0;
}

static int scalar_value(struct fparser *p, const struct ftype *t, void *mem, int top)
{
	if (*p->s == '"' && (t->kind == FK_STR || t->kind == FK_WSTR || t->kind == FK_CHAR ||
			     t->kind == FK_WCHAR)) {
		int err = string_value(p, t, mem);
		if (!err && top && *fskip(p->s))
			return osfs_refuse(EINVAL, "%s: text after the closing quote", p->what);
		return err;
	}
	char w[128];
	int err = bare(p, top, w, sizeof w);
	if (err)
		return err;
	switch (t->kind) {
	case FK_SINT:
		return int_into(p, w, t, 1, mem);
	case FK_UINT:
		return int_into(p, w, t, 0, mem);
	case FK_CHAR: { /* as c_char: a byte, or its number (0..255, or -128..-1) */
		static const struct ftype wide = {.kind = FK_SINT, .name = "char", .size = 2};
		int16_t v;
		err = int_into(p, w, &wide, 1, &v);
		if (!err && (v < -128 || v > 255))
			return osfs_refuse(EINVAL, "%s: %s is out of range for char", p->what, w);
		if (!err)
			*(char *)mem = (char)v;
		return err;
	}
	case FK_WCHAR:
		return int_into(p, w, t, 1, mem);
	case FK_BOOL: {
		int b;
		uint64_t u;
		int neg;
		if (osfs_parse_bool(w, &b) == 0)
			*(unsigned char *)mem = (unsigned char)b;
		else if (fparse_u64(w, &u, &neg) == 0)
			*(unsigned char *)mem = u != 0; /* as c_bool(5): True */
		else
			return osfs_refuse(EINVAL, "%s: '%s' is not a boolean", p->what, w);
		return 0;
	}
	case FK_FLOAT: {
		char *end; /* float from the double, as c_float(2.1) rounds Python's double */
		double d = t->size == sizeof(long double) ? 0 : strtod(w, &end);
		long double ld = t->size == sizeof(long double) ? strtold(w, &end) : 0;
		if (*end || end == w)
			return osfs_refuse(EINVAL, "%s: '%s' is not a number", p->what, w);
		if (t->size == sizeof(float))
			STORE(mem, float, (float)d);
		else if (t->size == sizeof(double))
			STORE(mem, double, d);
		else
			STORE(mem, long double, ld);
		return 0;
	}
	case FK_PTR: {
		uint64_t u;
		int neg;
		if (is_null(w)) {
			STORE(mem, void *, NULL);
			return 0;
		}
		if (fparse_u64(w, &u, &neg) || neg || u > UINTPTR_MAX)
			return osfs_refuse(EINVAL, "%s: '%s' is not an address", p->what, w);
		STORE(mem, void *, (void *)(uintptr_t)u);
		return 0;
	}
	case FK_STR:
	case FK_WSTR:
		if (strcmp(w, "NULL") == 0 || strcmp(w, "None") == 0) {
			STORE(mem, void *, NULL);
			return 0;
		}
		return osfs_refuse(EINVAL, "%s: a string is written \"...\"", p->what);
	default:
		return osfs_refuse(EINVAL, "%s: no value can be given to void", p->what);
	}
}

static int close_item(struct fparser *p, int *more)
{
	p->s = fskip(p->s);
	if (*p->s == ',') {
		p->s = fskip(p->s + 1);
		*more = 1;
		return 0;
	}
	*more = 0;
	if (*p->s == '}')
		return 0;
	return osfs_refuse(EINVAL, "%s: ',' or '}' expected at '%.24s'", p->what, p->s);
}

static int aggregate_value(struct fparser *p, const struct ftype *t, void *mem)
{
	if (*p->s != '{')
		return osfs_refuse(EINVAL, "%s: a %s's value is written {...}", p->what,
				   t->kind == FK_STRUCT ? "structure" : "union");
	p->s = fskip(p->s + 1);
	size_t next = 0, given = 0;
	int more = *p->s != '}';
	while (more) {
		const char *s = p->s + (*p->s == '.'); /* C's designator, or without the dot */
		size_t n = 0;
		while (ftype_is_ident((unsigned char)s[n]))
			n++;
		const char *eq = fskip(s + n);
		if (n && ftype_is_ident_start((unsigned char)*s) && *eq == '=') {
			size_t i = 0;
			while (i < t->nfields && !(strlen(t->fields[i].name) == n &&
						   memcmp(t->fields[i].name, s, n) == 0))
				i++;
			if (i == t->nfields)
				return osfs_refuse(EINVAL, "%s: no field '%.*s'", p->what, (int)n, s);
			next = i;
			p->s = fskip(eq + 1);
		}
		if (next >= t->nfields)
			return osfs_refuse(EINVAL, "%s: more values than the %zu fields", p->what, t->nfields);
		if (t->kind == FK_UNION && given++)
			return osfs_refuse(EINVAL, "%s: a union takes one value", p->what);
		const struct ffield *f = &t->fields[next++];
		int err = fvalue_parse(p, f->type, (char *)mem + f->offset, 0);
		if (!err)
			err = close_item(p, &more);
		if (err)
			return err;
	}
	p->s++;
	return 0;
}

static int array_value(struct fparser *p, const struct ftype *t, void *mem, int top)
{
	const struct ftype *e = t->elem;
	if (*p->s == '"' && (e->kind == FK_CHAR || e->kind == FK_WCHAR)) {
		char *bytes;
		size_t len;
		int err = fstring_parse(p, &bytes, &len);
		if (err)
			return err;
		long n = e->kind == FK_CHAR ? (long)len : fdecode_utf8(bytes, len, NULL);
		if (n < 0)
			return osfs_refuse(EINVAL, "%s: a wide string must be UTF-8", p->what);
		if ((size_t)n > t->count) /* as ctypes' .value: the NUL only if it fits */
			return osfs_refuse(EINVAL, "%s: a string of %ld is too long for %zu", p->what, n, t->count);
		if (e->kind == FK_CHAR) {
			memcpy(mem, bytes, len);
		} else {
			wchar_t *w = malloc(((size_t)n + 1) * sizeof *w);
			if (!w)
				return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
			fdecode_utf8(bytes, len, w);
			memcpy(mem, w, (size_t)n * sizeof *w);
			free(w);
		}
		if (top && *fskip(p->s))
			return osfs_refuse(EINVAL, "%s: text after the closing quote", p->what);
		return 0;
	}
	int braced = *p->s == '{';
	if (!braced && !top)
		return osfs_refuse(EINVAL, "%s: an array's value is written {...}", p->what);
	if (braced)
		p->s = fskip(p->s + 1);
	int more = braced ? *p->s != '}' : *p->s != '\0';
	for (size_t i = 0; more; i++) {
		if (i >= t->count)
			return osfs_refuse(EINVAL, "%s: more values than the %zu elements", p->what, t->count);
		int err = fvalue_parse(p, e, (char *)mem + i * e->size, 0);
		if (err)
			return err;
		p->s = fskip(p->s);
		if (!braced && !*p->s)
			break;
		if ((err = close_item(p, &more)))
			return err;
	}
	if (braced)
		p->s++;
	return 0;
}

int fvalue_parse(struct fparser *p, const struct ftype *t, void *mem, int top)
{
	if (++p->depth > FFI_MAX_DEPTH)
		return osfs_refuse(EINVAL, "%s: values nested more than %d deep", p->what, FFI_MAX_DEPTH);
	p->s = fskip(p->s);
	int err;
	if (t->kind == FK_STRUCT || t->kind == FK_UNION)
		err = aggregate_value(p, t, mem);
	else if (t->kind == FK_ARRAY)
		err = array_value(p, t, mem, top);
	else
		err = scalar_value(p, t, mem, top);
	p->depth--;
	if (!err && top && *fskip(p->s))
		err = osfs_refuse(EINVAL, "%s: '%.24s' after the value", p->what, fskip(p->s));
	return err;
}

/* Bytes as a "..." literal the request syntax reads back: \" \\ \n \t \r, other
 * control bytes \xHH; bytes from 0x80 up as they are (UTF-8 text stays readable). */
static void scalar_print(struct osfs_buf *out, const struct ftype *t, const void *mem)
{
	switch (t->kind) {
	case FK_SINT:
		osfs_buf_printf(out, "%lld", (long long)load_sint(mem, t->size));
		break;
	case FK_UINT:
		osfs_buf_printf(out, "%llu", (unsigned long long)load_uint(mem, t->size));
		break;
	case FK_WCHAR: {
		wchar_t c = (wchar_t)load_sint(mem, sizeof c);
		fquote_wide(out, &c, 1);
		break;
	}
	case FK_BOOL:
		osfs_buf_puts(out, load_uint(mem, 1) ? "1" : "0");
		break;
	case FK_CHAR:
		fquote(out, mem, 1);
		break;
	case FK_FLOAT: {
		float f;
		double d;
		long double ld;
		if (t->size == sizeof f)
			memcpy(&f, mem, sizeof f), d = f;
		else if (t->size == sizeof d)
			memcpy(&d, mem, sizeof d);
		else
			memcpy(&ld, mem, sizeof ld), d = (double)ld;
		osfs_fmt_repr(out, d);
		break;
	}
	case FK_PTR: {
		const void *v = load_ptr(mem);
		if (v)
			osfs_buf_printf(out, "%ju", (uintmax_t)(uintptr_t)v); /* c_void_p: an int or None */
		else
			osfs_buf_puts(out, "None");
		break;
	}
	case FK_STR: {
		const char *s = load_ptr(mem);
		if (s)
			fquote(out, s, strlen(s));
		else
			osfs_buf_puts(out, "None");
		break;
	}
	case FK_WSTR: {
		const wchar_t *s = load_ptr(mem);
		if (s)
			fquote_wide(out, s, wcslen(s));
		else
			osfs_buf_puts(out, "None");
		break;
	}
	default:
		osfs_buf_puts(out, "None");
		break;
	}
}

static void print_at(struct osfs_buf *out, struct osfs_buf *key, const struct ftype *t, const void *mem)
{
	const struct ftype *e = t->elem;
	if (t->kind == FK_ARRAY && (e->kind == FK_CHAR || e->kind == FK_WCHAR)) {
		osfs_buf_printf(out, "%s=", key->data); /* as ctypes: the text up to the NUL */
		if (e->kind == FK_CHAR) {
			fquote(out, mem, strnlen(mem, t->count));
		} else {
			wchar_t *w = wide_copy(mem, t->count);
			if (w)
				fquote_wide(out, w, wcsnlen(w, t->count));
			else
				out->failed = 1;
			free(w);
		}
		osfs_buf_putc(out, '\n');
	} else if (t->kind == FK_STRUCT || t->kind == FK_UNION || t->kind == FK_ARRAY) {
		size_t n = t->kind == FK_ARRAY ? t->count : t->nfields;
		for (size_t i = 0; i < n && !out->failed && !key->failed; i++) {
			size_t len = key->len;
			if (t->kind == FK_ARRAY)
				osfs_buf_printf(key, ".%zu", i);
			else
				osfs_buf_printf(key, ".%s", t->fields[i].name);
			print_at(out, key, t->kind == FK_ARRAY ? e : t->fields[i].type,
				 (const char *)mem + (t->kind == FK_ARRAY ? i * e->size : t->fields[i].offset));
			key->len = len;
			key->data[len] = '\0';
		}
	} else {
		osfs_buf_printf(out, "%s=", key->data);
		scalar_print(out, t, mem);
		osfs_buf_putc(out, '\n');
	}
}

void fvalue_print(struct osfs_buf *out, const char *key, const struct ftype *t, const void *mem)
{
	struct osfs_buf k = {0};
	osfs_buf_puts(&k, key);
	if (!k.failed)
		print_at(out, &k, t, mem);
	if (k.failed)
		out->failed = 1;
	osfs_buf_free(&k);
}
