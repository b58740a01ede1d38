/* ffi sessions and named layouts.  A session is one open ffi/call: it keeps the
 * errno ctypes keeps per thread (use_errno's private copy, set_errno/get_errno)
 * and the layouts the session named (struct NAME{...}, union NAME{...}, typedef
 * TYPE NAME), and answers those requests and sizeof/alignment/find_library itself.
 * Global layouts (ffi/struct/NAME) are the owner's, for every session.  A layout
 * is kept as its canonical text with every name inside it expanded, so a call
 * sends the worker only the definitions its line mentions, each on its own. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffi_internal.h"
#include "osfs/ffi.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

#define SESSION_DEFS 256
#define SESSION_BYTES (1u << 20)
#define GLOBAL_DEFS 1024
#define GLOBAL_BYTES (4u << 20)
#define NAME_MAX_LEN 64

struct def {
	char *name, *text;
};
struct defs {
	struct def *v;
	size_t n, cap, bytes;
};

struct osfs_ffi_session {
	int err; /* ctypes' errno copy */
	struct defs defs;
};

static struct {
	pthread_mutex_t lock;
	struct defs defs;
} global = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct def *find(const struct defs *d, const char *name, size_t len)
{
	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->v[i].name) == len && memcmp(d->v[i].name, name, len) == 0)
			return &d->v[i];
	return NULL;
}

/* The scope of a session: its own names, then the global ones (lock held). */
static const char *lookup(void *ctx, const char *name, size_t len)
{
	const struct osfs_ffi_session *s = ctx;
	const struct def *d = s ? find(&s->defs, name, len) : NULL;
	if (!d)
		d = find(&global.defs, name, len);
	return d ? d->text : NULL;
}

static int parse_type(const struct osfs_ffi_session *s, const char *text, const char *what,
		      struct arena *a, const struct ftype **t)
{
	struct fscope scope = {.lookup = lookup, .ctx = (void *)s};
	return ftype_parse_text(text, what, &scope, a, t);
}

static int valid_name(const char *name, size_t len)
{
	if (!len || len > NAME_MAX_LEN || !ftype_is_ident_start((unsigned char)name[0]))
		return osfs_refuse(EINVAL, "'%.*s' is not a name for a layout (letters, digits, _)",
				   (int)(len > 80 ? 80 : len), name);
	for (size_t i = 1; i < len; i++)
		if (!ftype_is_ident((unsigned char)name[i]))
			return osfs_refuse(EINVAL, "'%.*s' is not a name for a layout (letters, digits, _)",
					   (int)len, name);
	if (ftype_fundamental(name, len) || (len == 6 && memcmp(name, "struct", 6) == 0) ||
	    (len == 5 && memcmp(name, "union", 5) == 0))
		return osfs_refuse(EINVAL, "'%.*s' is a type of its own", (int)len, name);
	return 0;
}

/* Defines NAME as TEXT in d (the scope's names expanded): 0, or -errno. */
static int define(struct defs *d, size_t max_defs, size_t max_bytes, const struct osfs_ffi_session *s,
		  const char *name, size_t len, const char *text, struct osfs_buf *layout)
{
	int err = valid_name(name, len);
	if (err)
		return err;
	struct arena a = {0};
	const struct ftype *t;
	struct osfs_buf canon = {0};
	err = parse_type(s, text, "the definition", &a, &t);
	if (!err && t->kind == FK_VOID)
		err = osfs_refuse(EINVAL, "the definition: void has no layout");
	if (!err)
		ftype_print(&canon, t);
	if (!err && (canon.failed || canon.len > FFI_MAX_DEF))
		err = osfs_refuse(EMSGSIZE, "the definition of %.*s is longer than %u bytes written out",
				  (int)len, name, FFI_MAX_DEF);
	struct def *old = err ? NULL : find(d, name, len);
	size_t bytes = d->bytes + canon.len + len - (old ? strlen(old->text) + len : 0);
	if (!err && (bytes > max_bytes || (!old && d->n >= max_defs)))
		err = osfs_refuse(ENOSPC, "too many layouts defined (at most %zu, %zu bytes)", max_defs,
				  max_bytes);
	if (!err && !old && d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct def *v = realloc(d->v, cap * sizeof *v);
		if (!v)
			err = -ENOMEM;
		else
			d->v = v, d->cap = cap;
	}
	if (!err) {
		char *keep = strdup(canon.data);
		char *kname = old ? NULL : strndup(name, len);
		if (!keep || (!old && !kname)) {
			free(keep);
			free(kname);
			err = -ENOMEM;
		} else if (old) {
			free(old->text);
			old->text = keep;
		} else {
			d->v[d->n].name = kname;
			d->v[d->n++].text = keep;
		}
		d->bytes = bytes;
	}
	if (!err && layout)
		ftype_layout(layout, t);
	osfs_buf_free(&canon);
	arena_free(&a);
	return err;
}

static void defs_free(struct defs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].text);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

int osfs_ffi_define(const char *name, const char *text)
{
	pthread_mutex_lock(&global.lock);
	int err = define(&global.defs, GLOBAL_DEFS, GLOBAL_BYTES, NULL, name, strlen(name), text, NULL);
	pthread_mutex_unlock(&global.lock);
	return err;
}

int osfs_ffi_undefine(const char *name)
{
	pthread_mutex_lock(&global.lock);
	struct def *d = find(&global.defs, name, strlen(name));
	int err = d ? 0 : osfs_refuse(ENOENT, "no layout named '%s'", name);
	if (d) {
		global.defs.bytes -= strlen(d->name) + strlen(d->text);
		free(d->name);
		free(d->text);
		*d = global.defs.v[--global.defs.n];
	}
	pthread_mutex_unlock(&global.lock);
	return err;
}

static int show_type(const struct osfs_ffi_session *s, const char *text, int what, struct osfs_buf *out)
{
	struct arena a = {0};
	const struct ftype *t;
	int err = parse_type(s, text, "the type", &a, &t);
	if (!err && t->kind == FK_VOID)
		err = osfs_refuse(EINVAL, "void has no size");
	if (!err && what == 's')
		osfs_buf_printf(out, "ret=%zu\n", t->size);
	else if (!err && what == 'a')
		osfs_buf_printf(out, "ret=%zu\n", t->align);
	else if (!err)
		ftype_layout(out, t);
	arena_free(&a);
	return err;
}

int osfs_ffi_show_definition(const char *name, struct osfs_buf *out)
{
	pthread_mutex_lock(&global.lock);
	struct def *d = find(&global.defs, name, strlen(name));
	int err = d ? show_type(NULL, d->text, 'l', out) : osfs_refuse(ENOENT, "no layout named '%s'", name);
	pthread_mutex_unlock(&global.lock);
	return err;
}

void osfs_ffi_each_definition(void (*fn)(void *ctx, const char *name), void *ctx)
{
	pthread_mutex_lock(&global.lock);
	for (size_t i = 0; i < global.defs.n; i++)
		fn(ctx, global.defs.v[i].name);
	pthread_mutex_unlock(&global.lock);
}

static int measure(const char *type, size_t *v, int what)
{
	struct osfs_buf out = {0};
	pthread_mutex_lock(&global.lock);
	int err = show_type(NULL, type, what, &out);
	pthread_mutex_unlock(&global.lock);
	if (!err)
		*v = strtoul(out.data + 4, NULL, 10);
	osfs_buf_free(&out);
	return err;
}

int osfs_ffi_sizeof(const char *type, size_t *size)
{
	return measure(type, size, 's');
}

int osfs_ffi_alignment(const char *type, size_t *align)
{
	return measure(type, align, 'a');
}

const char *osfs_ffi_type_name(size_t i)
{
	return ftype_fundamental_name(i);
}

int osfs_ffi_find_library(const char *name, struct osfs_buf *out)
{
	return ffi_find_library(name, out);
}

struct osfs_ffi_session *osfs_ffi_session_new(void)
{
	return calloc(1, sizeof(struct osfs_ffi_session));
}

void osfs_ffi_session_free(struct osfs_ffi_session *s)
{
	if (s)
		defs_free(&s->defs);
	free(s);
}

/* Does the request mention NAME as a word? */
static int mentions(const char *request, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = request; (p = strstr(p, name)); p += n)
		if ((p == request || !ftype_is_ident((unsigned char)p[-1])) && !ftype_is_ident((unsigned char)p[n]))
			return 1;
	return 0;
}

/* The definitions a call mentions, as "def NAME TEXT" lines (global lock held). */
static void context_of(const struct osfs_ffi_session *s, const char *request, struct osfs_buf *ctx)
{
	for (size_t i = 0; i < s->defs.n; i++)
		if (mentions(request, s->defs.v[i].name))
			osfs_buf_printf(ctx, "def %s %s\n", s->defs.v[i].name, s->defs.v[i].text);
	for (size_t i = 0; i < global.defs.n; i++) {
		const char *name = global.defs.v[i].name;
		if (mentions(request, name) && !find(&s->defs, name, strlen(name)))
			osfs_buf_printf(ctx, "def %s %s\n", name, global.defs.v[i].text);
	}
}

static int set_errno_verb(struct osfs_ffi_session *s, const char *arg, struct osfs_buf *out)
{
	long long v;
	if (osfs_parse_ll(arg, &v) || v < INT_MIN || v > INT_MAX)
		return osfs_refuse(EINVAL, "set_errno wants an int, not '%s'", arg);
	osfs_buf_printf(out, "ret=%d\n", s->err); /* as ctypes.set_errno: the old value */
	s->err = (int)v;
	return 0;
}

/* The request verbs a session answers itself; -ENOENT (no refusal) for a call. */
static int session_verb(struct osfs_ffi_session *s, const char *request, struct osfs_buf *out)
{
	const char *p = fskip(request);
	size_t n = strcspn(p, " \t");
	const char *arg = fskip(p + n);
#define IS(word) (n == sizeof word - 1 && memcmp(p, word, n) == 0)
	if (IS("get_errno"))
		return *arg ? osfs_refuse(EINVAL, "get_errno takes nothing")
			    : (osfs_buf_printf(out, "ret=%d\n", s->err), 0);
	if (IS("set_errno"))
		return set_errno_verb(s, arg, out);
	if (IS("find_library")) {
		struct osfs_buf lib = {0};
		if (ffi_find_library(arg, &lib) == 0)
			osfs_buf_printf(out, "ret=%s\n", lib.data);
		else
			osfs_buf_puts(out, "ret=None\n");
		osfs_buf_free(&lib);
		return 0;
	}
	int err = -ENOENT;
	pthread_mutex_lock(&global.lock);
	if (IS("sizeof") || IS("alignment")) {
		err = show_type(s, arg, p[0], out);
	} else if (IS("struct") || IS("union")) {
		size_t len = 0;
		while (ftype_is_ident((unsigned char)arg[len]))
			len++;
		char *text = NULL;
		if (asprintf(&text, "%.*s %s", (int)n, p, arg + len) < 0)
			err = -ENOMEM;
		else
			err = define(&s->defs, SESSION_DEFS, SESSION_BYTES, s, arg, len, text, out);
		free(text);
	} else if (IS("typedef")) {
		size_t end = strlen(arg);
		while (end && (arg[end - 1] == ' ' || arg[end - 1] == '\t'))
			end--;
		size_t start = end;
		while (start && ftype_is_ident((unsigned char)arg[start - 1]))
			start--;
		char *text = strndup(arg, start);
		err = text ? define(&s->defs, SESSION_DEFS, SESSION_BYTES, s, arg + start, end - start, text, out)
			   : -ENOMEM;
		free(text);
	}
	pthread_mutex_unlock(&global.lock);
	return err;
#undef IS
}

static int session_request(struct osfs_ffi_session *s, const char *request, struct osfs_buf *out,
			   int check_only)
{
	if (strchr(request, '\n'))
		return osfs_refuse(EINVAL, "one request per line");
	int err = session_verb(s, request, out);
	if (err != -ENOENT)
		return err;
	struct osfs_buf ctx = {0};
	pthread_mutex_lock(&global.lock);
	context_of(s, request, &ctx);
	pthread_mutex_unlock(&global.lock);
	if (check_only) {
		osfs_buf_puts(&ctx, request);
		err = ctx.failed ? -ENOMEM : osfs_ffi_check(ctx.data);
	} else {
		err = ctx.failed ? -ENOMEM : osfs_ffi_worker_call(ctx.data, request, &s->err, out);
	}
	osfs_buf_free(&ctx);
	return err;
}

int osfs_ffi_session_request(struct osfs_ffi_session *s, const char *request, struct osfs_buf *out)
{
	return session_request(s, request, out, 0);
}

int osfs_ffi_session_check(struct osfs_ffi_session *s, const char *request, struct osfs_buf *out)
{
	return session_request(s, request, out, 1);
}
