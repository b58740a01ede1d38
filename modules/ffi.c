/* ffi calls: a parsed request performed in this process (the daemon runs it in a
 * worker, ffi_worker.c) and answered as ctypes would see it: the result, errno as
 * ctypes' use_errno keeps it (the caller's copy swapped in right before the call
 * and out right after), then every out-argument; and the memory verbs that read
 * what a pointer points to. */
#include "osfs/ffi.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ffi_internal.h"
#include "osfs/refuse.h"

/* Libraries stay loaded, as ctypes keeps a CDLL: a hot worker opens each once. */
#define MAX_OPEN 64
static struct {
	pthread_mutex_t lock;
	struct {
		char *name;
		int global;
		void *handle;
	} v[MAX_OPEN];
	size_t n;
} open_libs = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* LIBRARY as ctypes' CDLL takes it: a file name or path for dlopen, None for the
 * program itself, or (an osfs addition) a short name for find_library. */
static int lib_open(const char *name, int global, void **handle, struct osfs_buf *loaded)
{
	struct osfs_buf found = {0};
	const char *file = name;
	int err = 0;
	if (strcmp(name, "None") == 0) {
		file = NULL;
	} else if (ffi_short_name(name)) {
		if (ffi_find_library(name, &found) != 0)
			return osfs_refuse(ENOENT, "no library '%s': find_library('%s') finds none", name, name);
		file = found.data;
	}
	pthread_mutex_lock(&open_libs.lock);
	const char *key = file ? file : "None";
	*handle = NULL;
	for (size_t i = 0; i < open_libs.n && !*handle; i++)
		if (strcmp(open_libs.v[i].name, key) == 0 && open_libs.v[i].global >= global)
			*handle = open_libs.v[i].handle;
	if (!*handle) {
		*handle = dlopen(file, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
		if (!*handle)
			err = osfs_refuse(ENOENT, "cannot load %s: %s", name, dlerror());
		else if (open_libs.n < MAX_OPEN && (open_libs.v[open_libs.n].name = strdup(key)))
			open_libs.v[open_libs.n].global = global, open_libs.v[open_libs.n++].handle = *handle;
	}
	pthread_mutex_unlock(&open_libs.lock);
	if (!err && loaded) {
		osfs_buf_reset(loaded);
		osfs_buf_puts(loaded, global ? "global:" : "");
		osfs_buf_puts(loaded, key);
	}
	osfs_buf_free(&found);
	return err;
}

static int symbol(const char *lib, const char *sym, int global, void **fn, struct osfs_buf *loaded)
{
	void *h;
	int err = lib_open(lib, global, &h, loaded);
	if (err)
		return err;
	dlerror();
	*fn = dlsym(h, sym);
	if (!*fn)
		return osfs_refuse(ENOENT, "%s has no symbol %s", lib, sym);
	return 0;
}

static int is_integral(enum fkind k)
{
	return k == FK_SINT || k == FK_UINT || k == FK_BOOL || k == FK_CHAR || k == FK_WCHAR;
}

static int call(struct frequest *q, int *errno_copy, struct osfs_buf *out, struct osfs_buf *loaded)
{
	void *fn;
	int err = symbol(q->lib, q->sym, q->global, &fn, loaded);
	for (int i = 0; !err && i < q->nargs; i++)
		if (q->args[i].pass == P_FN)
			err = symbol(q->args[i].lib, q->args[i].sym, 0, &q->args[i].ptr, NULL);
	if (err)
		return err;
	size_t size = q->rt->size > sizeof(ffi_arg) ? q->rt->size : sizeof(ffi_arg);
	void *ret = arena_alloc(&q->arena, size + 16, 16);
	if (!ret)
		return osfs_refuse(E2BIG, "the request is too large");
	errno = *errno_copy; /* ctypes' use_errno: the caller's errno, swapped in and out */
	ffi_call(&q->cif, FFI_FN(fn), ret, q->argv);
	*errno_copy = errno;
	if (is_integral(q->rt->kind) && q->rt->size < sizeof(ffi_arg)) {
		ffi_arg wide = *(ffi_arg *)ret; /* libffi widens small results to a register */
		unsigned char narrow[8];
		if (q->rt->size == 1)
			narrow[0] = (unsigned char)wide;
		else if (q->rt->size == 2)
			*(uint16_t *)(void *)narrow = (uint16_t)wide;
		else
			*(uint32_t *)(void *)narrow = (uint32_t)wide;
		memcpy(ret, narrow, q->rt->size);
	}
	if (q->rt->kind == FK_VOID)
		osfs_buf_puts(out, "ret=None\n");
	else
		fvalue_print(out, "ret", q->rt, ret);
	osfs_buf_printf(out, "errno=%d\n", *errno_copy);
	for (int i = 0; i < q->nargs; i++) {
		const struct farg *a = &q->args[i];
		char key[24];
		snprintf(key, sizeof key, "out.%d", i + 1);
		if (a->pass == P_OUT || a->pass == P_INOUT || a->pass == P_BUF) {
			fvalue_print(out, key, a->t, a->mem);
		} else if (a->pass == P_XBUF) {
			osfs_buf_printf(out, "%s=", key);
			for (size_t k = 0; k < a->t->size; k++)
				osfs_buf_printf(out, "%02x", ((const unsigned char *)a->mem)[k]);
			osfs_buf_putc(out, '\n');
		}
	}
	return 0;
}

/* string_at, wstring_at, memory_at, from_address: a bad address is a fault, and
 * a fault is the worker's. */
static int read_memory(const struct frequest *q, struct osfs_buf *out)
{
	const void *at = (const void *)q->addr;
	if (q->verb == V_FROM_ADDRESS) {
		fvalue_print(out, "ret", q->rt, at);
		return 0;
	}
	size_t n = q->n;
	if (!q->has_n && q->verb == V_STRING_AT && (n = strnlen(at, FFI_MAX_SIZE + 1)) > FFI_MAX_SIZE)
		return osfs_refuse(EMSGSIZE, "string_at: the string is longer than %u bytes", FFI_MAX_SIZE);
	if (!q->has_n && q->verb == V_WSTRING_AT &&
	    (n = wcsnlen(at, FFI_MAX_SIZE / sizeof(wchar_t) + 1)) > FFI_MAX_SIZE / sizeof(wchar_t))
		return osfs_refuse(EMSGSIZE, "wstring_at: the string is longer than %zu characters",
				   FFI_MAX_SIZE / sizeof(wchar_t));
	osfs_buf_puts(out, "ret=");
	if (q->verb == V_STRING_AT)
		fquote(out, at, n);
	else if (q->verb == V_WSTRING_AT)
		fquote_wide(out, at, n);
	else
		for (size_t k = 0; k < n; k++)
			osfs_buf_printf(out, "%02x", ((const unsigned char *)at)[k]);
	osfs_buf_putc(out, '\n');
	return 0;
}

int osfs_ffi_call(const char *request, int *errno_copy, struct osfs_buf *out, struct osfs_buf *loaded)
{
	struct frequest q;
	int own = 0, err = frequest_parse(&q, request);
	if (!errno_copy)
		errno_copy = &own;
	for (size_t i = 0; !err && i < q.nglobals; i++) { /* a new worker loads what the last had */
		void *h;
		if (lib_open(q.globals[i], 1, &h, NULL))
			osfs_refusal_clear();
	}
	if (!err)
		err = q.verb == V_CALL ? call(&q, errno_copy, out, loaded) : read_memory(&q, out);
	if (!err && out->len > FFI_MAX_ANSWER)
		err = osfs_refuse(EMSGSIZE, "the answer is longer than %u bytes", FFI_MAX_ANSWER);
	if (!err)
		err = osfs_buf_error(out);
	frequest_free(&q);
	return err;
}

int osfs_ffi_check(const char *request)
{
	struct frequest q;
	int err = frequest_parse(&q, request);
	frequest_free(&q);
	return err;
}
