/* ffi types: the fundamental C types as data, and the grammar of the others —
 *   TYPE := NAME | struct[(pack=N)]{TYPE FIELD; ...} | union[(pack=N)]{...} | TYPE[N]
 * laid out as ctypes lays out a Structure or Union (each field aligned to
 * min(pack, its alignment), the whole to the largest of those), and the libffi
 * type that passes a structure by value.  Also the request arena. */
#include <errno.h>
#include <ffi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <wchar.h>

#include "ffi_internal.h"
#include "osfs/refuse.h"

/* The arena: blocks of at least 16 KiB, bump-allocated. */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t size, size_t align)
{
	if (size > FFI_MAX_ARENA || a->total + size > FFI_MAX_ARENA)
		return NULL;
	struct arena_block *b = a->blocks;
	size_t at = b ? (b->used + align - 1) / align * align : 0;
	if (!b || at + size > b->cap) {
		size_t cap = size + align > 16384 ? size + align : 16384;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->blocks;
		b->used = 0;
		b->cap = cap;
		a->blocks = b;
		a->total += cap;
		at = 0;
	}
	char *p = (char *)b->data + at;
	b->used = at + size;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1, 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

void arena_free(struct arena *a)
{
	while (a->blocks) {
		struct arena_block *next = a->blocks->next;
		free(a->blocks);
		a->blocks = next;
	}
	a->total = 0;
}

#define SIGNED(T) ((T)-1 < (T)1)
#define FFI_INT(T)                                                                          \
	(sizeof(T) == 1   ? (SIGNED(T) ? &ffi_type_sint8 : &ffi_type_uint8)                 \
	 : sizeof(T) == 2 ? (SIGNED(T) ? &ffi_type_sint16 : &ffi_type_uint16)               \
	 : sizeof(T) == 4 ? (SIGNED(T) ? &ffi_type_sint32 : &ffi_type_uint32)               \
			  : (SIGNED(T) ? &ffi_type_sint64 : &ffi_type_uint64))
#define ROW(n, k, T, f) {.kind = (k), .name = (n), .size = sizeof(T), .align = _Alignof(T), .ffi = (f)}
#define INT_ROW(n, T) ROW(n, SIGNED(T) ? FK_SINT : FK_UINT, T, FFI_INT(T))

/* The fundamental types: ctypes' c_bool, c_char, c_wchar, c_byte … c_void_p,
 * c_char_p, c_wchar_p, and the POSIX types ctypes leaves to the user. */
static const struct ftype fundamental[] = {
	{.kind = FK_VOID, .name = "void", .size = 0, .align = 1, .ffi = &ffi_type_void},
	ROW("bool", FK_BOOL, _Bool, &ffi_type_uint8),
	ROW("char", FK_CHAR, char, &ffi_type_schar),
	ROW("wchar", FK_WCHAR, wchar_t, FFI_INT(wchar_t)),
	INT_ROW("int8", int8_t), INT_ROW("int16", int16_t), INT_ROW("int32", int32_t),
	INT_ROW("int64", int64_t), INT_ROW("uint8", uint8_t), INT_ROW("uint16", uint16_t),
	INT_ROW("uint32", uint32_t), INT_ROW("uint64", uint64_t),
	INT_ROW("uchar", unsigned char), INT_ROW("short", short), INT_ROW("ushort", unsigned short),
	INT_ROW("int", int), INT_ROW("uint", unsigned), INT_ROW("long", long),
	INT_ROW("ulong", unsigned long), INT_ROW("llong", long long),
	INT_ROW("ullong", unsigned long long), INT_ROW("size_t", size_t), INT_ROW("ssize_t", ssize_t),
	INT_ROW("intptr", intptr_t), INT_ROW("uintptr", uintptr_t),
	INT_ROW("time_t", time_t), INT_ROW("off_t", off_t), INT_ROW("pid_t", pid_t),
	INT_ROW("uid_t", uid_t), INT_ROW("gid_t", gid_t), INT_ROW("mode_t", mode_t),
	INT_ROW("socklen_t", socklen_t),
	ROW("float", FK_FLOAT, float, &ffi_type_float),
	ROW("double", FK_FLOAT, double, &ffi_type_double),
	ROW("longdouble", FK_FLOAT, long double, &ffi_type_longdouble),
	ROW("ptr", FK_PTR, void *, &ffi_type_pointer),
	ROW("str", FK_STR, char *, &ffi_type_pointer),
	ROW("wstr", FK_WSTR, wchar_t *, &ffi_type_pointer),
};
#define NFUNDAMENTAL (sizeof fundamental / sizeof fundamental[0])

/* C's own spellings of them, where one word says it (<stdint.h>, <stddef.h>,
 * <wchar.h>, _Bool, unsigned and signed alone); C's several-word names (unsigned
 * long) are spelled as one here (ulong), since a blank ends an argument. */
static const struct {
	const char *c, *ours;
} c_spellings[] = {
	{"int8_t", "int8"},     {"int16_t", "int16"},     {"int32_t", "int32"},
	{"int64_t", "int64"},   {"uint8_t", "uint8"},     {"uint16_t", "uint16"},
	{"uint32_t", "uint32"}, {"uint64_t", "uint64"},   {"intptr_t", "intptr"},
	{"uintptr_t", "uintptr"}, {"wchar_t", "wchar"},   {"_Bool", "bool"},
	{"unsigned", "uint"},   {"signed", "int"},
};

static const struct ftype *fundamental_named(const char *name, size_t len)
{
	for (size_t i = 0; i < NFUNDAMENTAL; i++)
		if (strlen(fundamental[i].name) == len && memcmp(fundamental[i].name, name, len) == 0)
			return &fundamental[i];
	return NULL;
}

const struct ftype *ftype_fundamental(const char *name, size_t len)
{
	const struct ftype *t = fundamental_named(name, len);
	for (size_t i = 0; !t && i < sizeof c_spellings / sizeof c_spellings[0]; i++)
		if (strlen(c_spellings[i].c) == len && memcmp(c_spellings[i].c, name, len) == 0)
			t = fundamental_named(c_spellings[i].ours, strlen(c_spellings[i].ours));
	return t;
}

const char *ftype_fundamental_name(size_t i)
{
	return i + 1 < NFUNDAMENTAL ? fundamental[i + 1].name : NULL; /* void has no size */
}

int ftype_is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

int ftype_is_ident(int c)
{
	return ftype_is_ident_start(c) || (c >= '0' && c <= '9');
}

const char *fskip(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t ident_len(const char *s)
{
	size_t n = 0;
	if (ftype_is_ident_start((unsigned char)s[0]))
		while (ftype_is_ident((unsigned char)s[n]))
			n++;
	return n;
}

static int expected(struct fparser *p, const char *what)
{
	const char *at = p->s;
	size_t n = strcspn(at, "\n");
	return osfs_refuse(EINVAL, "%s: %s expected at '%.*s'", p->what, what, (int)(n > 24 ? 24 : n), at);
}

/* A decimal count at p->s (an array's length, a pack). */
static int count_at(struct fparser *p, size_t max, size_t *v)
{
	const char *s = p->s;
	size_t n = 0;
	if (*s < '0' || *s > '9')
		return expected(p, "a number");
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (size_t)(*s - '0');
		if (n > max)
			return osfs_refuse(EINVAL, "%s: %.*s is more than %zu", p->what, (int)(s - p->s + 1),
					   p->s, max);
	}
	p->s = s;
	*v = n;
	return 0;
}

static int named(struct fparser *p, const char *name, size_t len, const struct ftype **out)
{
	const char *text = p->scope ? p->scope->lookup(p->scope->ctx, name, len) : NULL;
	if (!text)
		return osfs_refuse(EINVAL, "%s: unknown type '%.*s'", p->what, (int)len, name);
	struct fparser sub = *p;
	sub.s = text;
	int err = ftype_parse(&sub, out);
	if (!err && *fskip(sub.s))
		err = expected(&sub, "the end of the definition");
	return err;
}

static int layout(struct ftype *t, const char *what)
{
	size_t offset = 0, size = 0, total_align = 1;
	for (size_t i = 0; i < t->nfields; i++) {
		struct ffield *f = &t->fields[i];
		size_t align = f->type->align;
		if (t->pack && t->pack < align)
			align = t->pack;
		if (t->kind == FK_STRUCT) {
			if (offset % align)
				offset += align - offset % align;
			f->offset = offset;
			offset += f->type->size;
			size = offset;
		} else if (f->type->size > size) {
			size = f->type->size;
		}
		if (align > total_align)
			total_align = align;
	}
	t->size = (size + total_align - 1) / total_align * total_align;
	t->align = total_align;
	if (t->size > FFI_MAX_SIZE)
		return osfs_refuse(EINVAL, "%s: a type of %zu bytes is too large (at most %u)", what, t->size,
				   FFI_MAX_SIZE);
	return 0;
}

#define MAX_FIELDS 4096

static int aggregate(struct fparser *p, enum fkind kind, const struct ftype **out)
{
	struct ftype *t = arena_alloc(p->a, sizeof *t, _Alignof(struct ftype));
	struct ffield *fields = arena_alloc(p->a, 8 * sizeof *fields, _Alignof(struct ffield));
	size_t cap = 8;
	if (!t || !fields)
		return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
	t->kind = kind;
	if (*p->s == '(') {
		size_t pack;
		p->s = fskip(p->s + 1);
		if (strncmp(p->s, "pack", 4) != 0)
			return expected(p, "'pack='");
		p->s = fskip(p->s + 4);
		if (*p->s != '=')
			return expected(p, "'='");
		p->s = fskip(p->s + 1);
		int err = count_at(p, 1u << 20, &pack);
		if (err)
			return err;
		p->s = fskip(p->s);
		if (*p->s != ')')
			return expected(p, "')'");
		p->s = fskip(p->s + 1);
		t->pack = (unsigned)pack;
	}
	if (*p->s != '{')
		return expected(p, "'{'");
	p->s = fskip(p->s + 1);
	while (*p->s != '}') {
		const struct ftype *ft;
		int err = ftype_parse(p, &ft);
		if (err)
			return err;
		if (ft->kind == FK_VOID)
			return osfs_refuse(EINVAL, "%s: a field cannot be void", p->what);
		p->s = fskip(p->s);
		size_t n = ident_len(p->s);
		if (!n)
			return expected(p, "a field name");
		for (size_t i = 0; i < t->nfields; i++)
			if (strlen(fields[i].name) == n && memcmp(fields[i].name, p->s, n) == 0)
				return osfs_refuse(EINVAL, "%s: field '%.*s' appears twice", p->what, (int)n, p->s);
		if (t->nfields == MAX_FIELDS)
			return osfs_refuse(EINVAL, "%s: at most %d fields", p->what, MAX_FIELDS);
		if (t->nfields == cap) {
			struct ffield *more = arena_alloc(p->a, 2 * cap * sizeof *more, _Alignof(struct ffield));
			if (!more)
				return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
			memcpy(more, fields, cap * sizeof *more);
			fields = more;
			cap *= 2;
		}
		fields[t->nfields].name = arena_strndup(p->a, p->s, n);
		fields[t->nfields++].type = ft;
		if (!fields[t->nfields - 1].name)
			return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
		p->s = fskip(p->s + n);
		if (*p->s == ';')
			p->s = fskip(p->s + 1);
		else if (*p->s != '}')
			return expected(p, "';' or '}'");
	}
	p->s++;
	t->fields = fields;
	int err = layout(t, p->what);
	*out = t;
	return err;
}

static int array_of(struct fparser *p, const struct ftype *elem, const struct ftype **out)
{
	size_t count;
	p->s = fskip(p->s + 1);
	int err = count_at(p, FFI_MAX_SIZE, &count);
	if (err)
		return err;
	p->s = fskip(p->s);
	if (*p->s != ']')
		return expected(p, "']'");
	p->s++;
	if (elem->kind == FK_VOID)
		return osfs_refuse(EINVAL, "%s: an array of void", p->what);
	if (elem->size && count > FFI_MAX_SIZE / elem->size)
		return osfs_refuse(EINVAL, "%s: a type of more than %u bytes is too large", p->what,
				   FFI_MAX_SIZE);
	struct ftype *t = arena_alloc(p->a, sizeof *t, _Alignof(struct ftype));
	if (!t)
		return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
	t->kind = FK_ARRAY;
	t->elem = elem;
	t->count = count;
	t->size = count * elem->size;
	t->align = elem->align;
	*out = t;
	return 0;
}

int ftype_parse(struct fparser *p, const struct ftype **out)
{
	if (++p->depth > FFI_MAX_DEPTH)
		return osfs_refuse(EINVAL, "%s: types nested more than %d deep", p->what, FFI_MAX_DEPTH);
	p->s = fskip(p->s);
	size_t n = ident_len(p->s);
	int err = 0;
	if (!n)
		err = expected(p, "a type");
	else if ((n == 6 && memcmp(p->s, "struct", 6) == 0) || (n == 5 && memcmp(p->s, "union", 5) == 0)) {
		enum fkind kind = n == 6 ? FK_STRUCT : FK_UNION;
		const char *after = fskip(p->s + n);
		if (*after == '{' || *after == '(') {
			p->s = after;
			err = aggregate(p, kind, out);
		} else {
			size_t m = ident_len(after); /* "struct timespec": the name alone */
			p->s = after + m;
			err = m ? named(p, after, m, out) : expected(p, "'{' or a name");
		}
	} else if ((*out = ftype_fundamental(p->s, n))) {
		p->s += n;
	} else {
		const char *name = p->s;
		p->s += n;
		err = named(p, name, n, out);
	}
	/* C's pointer spelling: char* is a string (c_char_p), wchar_t* a wide one
	 * (c_wchar_p), any other T* (and char**) a pointer (c_void_p) */
	for (int stars = 0; !err && *fskip(p->s) == '*'; stars++) {
		p->s = fskip(p->s) + 1;
		enum fkind k = stars ? FK_PTR : (*out)->kind;
		*out = ftype_fundamental(k == FK_CHAR ? "str" : k == FK_WCHAR ? "wstr" : "ptr",
					 k == FK_CHAR ? 3 : k == FK_WCHAR ? 4 : 3);
	}
	while (!err && *fskip(p->s) == '[') {
		p->s = fskip(p->s);
		err = array_of(p, *out, out);
	}
	p->depth--;
	return err;
}

int ftype_parse_text(const char *text, const char *what, const struct fscope *scope,
		     struct arena *a, const struct ftype **out)
{
	struct fparser p = {.s = text, .what = what, .scope = scope, .a = a};
	int err = ftype_parse(&p, out);
	if (!err && *fskip(p.s))
		err = expected(&p, "the end of the type");
	return err;
}

void ftype_print(struct osfs_buf *out, const struct ftype *t)
{
	if (t->name) {
		osfs_buf_puts(out, t->name);
	} else if (t->kind == FK_ARRAY) {
		ftype_print(out, t->elem);
		osfs_buf_printf(out, "[%zu]", t->count);
	} else {
		osfs_buf_puts(out, t->kind == FK_STRUCT ? "struct" : "union");
		if (t->pack)
			osfs_buf_printf(out, "(pack=%u)", t->pack);
		osfs_buf_putc(out, '{');
		for (size_t i = 0; i < t->nfields; i++) {
			ftype_print(out, t->fields[i].type);
			osfs_buf_printf(out, " %s%s", t->fields[i].name, i + 1 < t->nfields ? "; " : "");
		}
		osfs_buf_putc(out, '}');
	}
}

static void offsets(struct osfs_buf *out, struct osfs_buf *key, const struct ftype *t, size_t base)
{
	for (size_t i = 0; t->fields && i < t->nfields; i++) {
		size_t len = key->len;
		osfs_buf_printf(key, ".%s", t->fields[i].name);
		osfs_buf_printf(out, "offset%s=%zu\n", key->data, base + t->fields[i].offset);
		if (t->fields[i].type->kind == FK_STRUCT || t->fields[i].type->kind == FK_UNION)
			offsets(out, key, t->fields[i].type, base + t->fields[i].offset);
		key->len = len;
		key->data[len] = '\0';
	}
}

void ftype_layout(struct osfs_buf *out, const struct ftype *t)
{
	osfs_buf_puts(out, "type=");
	ftype_print(out, t);
	osfs_buf_printf(out, "\nsize=%zu\nalign=%zu\n", t->size, t->align);
	struct osfs_buf key = {0};
	osfs_buf_puts(&key, "");
	offsets(out, &key, t, 0);
	osfs_buf_free(&key);
}

/* The elements libffi is given for t: arrays unrolled (as ctypes does since
 * bpo-22273), so a small structure holding one is classified right. */
static int elements(const struct ftype *t, struct arena *a, const char *what, ffi_type **list,
		    size_t *n);

static ffi_type *aggregate_ffi(const struct ftype *t, struct arena *a, const char *what)
{
	if (t->kind == FK_UNION) {
		osfs_refuse(EINVAL, "%s: a union is passed by pointer (in:, out:, inout:), not by value", what);
		return NULL;
	}
	if (t->nfields == 0) {
		osfs_refuse(EINVAL, "%s: an empty structure cannot be passed by value", what);
		return NULL;
	}
	size_t n = 0;
	if (elements(t, a, what, NULL, &n))
		return NULL;
	ffi_type *ft = arena_alloc(a, sizeof *ft, _Alignof(ffi_type));
	ffi_type **list = arena_alloc(a, (n + 1) * sizeof *list, _Alignof(ffi_type *));
	if (!ft || !list) {
		osfs_refuse(E2BIG, "%s: the request is too large", what);
		return NULL;
	}
	n = 0;
	if (elements(t, a, what, list, &n))
		return NULL;
	ft->type = FFI_TYPE_STRUCT;
	ft->size = t->size;
	ft->alignment = (unsigned short)t->align;
	ft->elements = list;
	return ft;
}

static int elements(const struct ftype *t, struct arena *a, const char *what, ffi_type **list,
		    size_t *n)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct ftype *f = t->fields[i].type;
		if (t->fields[i].offset % f->align) /* only a pack can do that */
			return osfs_refuse(EINVAL, "%s: a packed structure with a field out of its "
					   "alignment is passed by pointer (in:, out:, inout:)", what);
		size_t copies = 1;
		while (f->kind == FK_ARRAY) {
			copies *= f->count;
			f = f->elem;
		}
		if (copies == 0)
			continue;
		if (copies > FFI_MAX_BYVALUE || *n + copies > FFI_MAX_BYVALUE)
			return osfs_refuse(EINVAL, "%s: a structure of more than %d elements is passed "
					   "by pointer", what, FFI_MAX_BYVALUE);
		ffi_type *e = f->name ? f->ffi : NULL;
		if (list && !e && !(e = aggregate_ffi(f, a, what)))
			return -EINVAL;
		if (!list && !f->name) {
			if (f->kind == FK_UNION)
				return osfs_refuse(EINVAL, "%s: a structure holding a union is passed by "
						   "pointer (in:, out:, inout:)", what);
			size_t inner = 0;
			int err = elements(f, a, what, NULL, &inner);
			if (err)
				return err;
			if (f->nfields == 0)
				return osfs_refuse(EINVAL, "%s: a structure holding an empty one is passed "
						   "by pointer", what);
		}
		for (size_t k = 0; k < copies; k++) {
			if (list)
				list[*n] = e;
			(*n)++;
		}
	}
	return 0;
}

ffi_type *ftype_ffi(const struct ftype *t, struct arena *a, const char *what)
{
	if (t->name)
		return t->ffi;
	if (t->kind == FK_ARRAY) {
		osfs_refuse(EINVAL, "%s: an array is passed by pointer", what);
		return NULL;
	}
	return aggregate_ffi(t, a, what);
}
