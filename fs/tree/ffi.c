/* ffi/: ctypes-like calls (present only with -o ffi, and the owner's alone):
 * call (a transaction), sizeof/TYPE, libraries (those loaded so far). */
#include "tree.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/ffi.h"
#include "osfs/refuse.h"

int tree_ffi_enabled;

static pthread_mutex_t libs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct osfs_buf libs; /* one name per line */

int ffi_visible(const struct req *rq)
{
	return tree_ffi_enabled;
}

/* A library that answered a call is remembered, once. */
static void remember(const char *request)
{
	size_t n = strcspn(request + strspn(request, " \t"), " \t");
	const char *name = request + strspn(request, " \t");
	pthread_mutex_lock(&libs_lock);
	int known = 0;
	for (const char *p = libs.data; p && *p && !known; p = strchr(p, '\n') + 1)
		known = strncmp(p, name, n) == 0 && p[n] == '\n';
	if (!known) {
		osfs_buf_add(&libs, name, n);
		osfs_buf_putc(&libs, '\n');
	}
	pthread_mutex_unlock(&libs_lock);
}

static int call(const char *request, struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_ffi_worker_call(request, out);
	if (!err)
		remember(request);
	return err;
}

static int show_libraries(struct osfs_buf *out, const struct req *rq)
{
	pthread_mutex_lock(&libs_lock);
	if (libs.len)
		osfs_buf_add(out, libs.data, libs.len);
	pthread_mutex_unlock(&libs_lock);
	return 0;
}

static int match_type(const char *name, const struct req *rq)
{
	size_t size;
	return osfs_ffi_sizeof(name, &size);
}

static int list_types(emit_fn *emit, void *ctx, const struct req *rq)
{
	for (size_t i = 0; osfs_ffi_type_name(i); i++)
		emit(ctx, osfs_ffi_type_name(i));
	return 0;
}

static int show_size(struct osfs_buf *out, const struct req *rq)
{
	size_t size;
	int err = osfs_ffi_sizeof(rq->arg, &size);
	if (!err)
		osfs_buf_printf(out, "%zu\n", size);
	return err;
}

static const struct node size_each = CONST_ROW(NULL, show_size, "ctypes.sizeof(TYPE) in bytes");
static const struct dir sizeof_dir = {.each = &size_each, .match = match_type, .list = list_types};

static const struct node ffi_rows[] = {
	{.name = "call", .kind = KIND_TRANSACTION, .mode = 0600, .call = call,
	 .doc = "write LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...] [... TYPE:VALUE ...]; read ret=, errno=, out.K="},
	{.name = "sizeof", .kind = KIND_DIR, .mode = 0500, .dir = &sizeof_dir,
	 .doc = "ctypes.sizeof: sizeof/TYPE"},
	{.name = "libraries", .kind = KIND_VALUE, .mode = 0400, .show = show_libraries,
	 .doc = "the libraries loaded by calls so far, one per line"},
	END_ROW,
};

const struct dir ffi_dir = {.rows = ffi_rows};

void ffi_tree_fini(void)
{
	osfs_ffi_worker_stop();
	osfs_buf_free(&libs);
}
