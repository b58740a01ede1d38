/* ffi/: ctypes-like calls (present only with -o ffi, and the owner's alone):
 * call (a transaction; each open file a session with its own errno and layouts),
 * sizeof/TYPE, alignment/TYPE, struct/NAME (global named layouts: create and write
 * to define, rm to forget), find_library/NAME, libraries (those loaded so far). */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/ffi.h"
#include "osfs/refuse.h"

int tree_ffi_enabled;

int ffi_visible(const struct req *rq)
{
	return tree_ffi_enabled;
}

static int call(const char *request, struct osfs_buf *out, const struct req *rq)
{
	if (!rq->state)
		return osfs_refuse(EIO, "ffi/call without an open file's state");
	if (!*rq->state && !(*rq->state = osfs_ffi_session_new()))
		return -ENOMEM;
	return osfs_ffi_session_request(*rq->state, request, out);
}

static void drop_session(void *state)
{
	osfs_ffi_session_free(state);
}

static int show_libraries(struct osfs_buf *out, const struct req *rq)
{
	osfs_ffi_libraries(out);
	return 0;
}

/* sizeof/TYPE and alignment/TYPE: any type that fits in a file name. */
static int match_type(const char *name, const struct req *rq)
{
	size_t size;
	int err = osfs_ffi_sizeof(name, &size);
	if (err != -EINVAL)
		return err;
	char why[OSFS_REFUSAL_MAX + 1]; /* not the refusal's own buffer as its argument */
	snprintf(why, sizeof why, "%s", osfs_refusal());
	return osfs_refuse(ENOENT, "%s", why);
}

struct emit_ctx {
	emit_fn *emit;
	void *ctx;
};

static void emit_name(void *ctx, const char *name)
{
	struct emit_ctx *e = ctx;
	e->emit(e->ctx, name);
}

static int list_types(emit_fn *emit, void *ctx, const struct req *rq)
{
	for (size_t i = 0; osfs_ffi_type_name(i); i++)
		emit(ctx, osfs_ffi_type_name(i));
	struct emit_ctx e = {emit, ctx};
	osfs_ffi_each_definition(emit_name, &e);
	return 0;
}

static int show_size(struct osfs_buf *out, const struct req *rq)
{
	size_t v;
	int err = osfs_ffi_sizeof(rq->arg, &v);
	if (!err)
		osfs_buf_printf(out, "%zu\n", v);
	return err;
}

static int show_alignment(struct osfs_buf *out, const struct req *rq)
{
	size_t v;
	int err = osfs_ffi_alignment(rq->arg, &v);
	if (!err)
		osfs_buf_printf(out, "%zu\n", v);
	return err;
}

/* struct/NAME: a global layout; creating the file defines an empty structure. */
static int match_struct(const char *name, const struct req *rq)
{
	struct osfs_buf out = {0};
	int err = osfs_ffi_show_definition(name, &out);
	osfs_buf_free(&out);
	return err;
}

static int list_structs(emit_fn *emit, void *ctx, const struct req *rq)
{
	struct emit_ctx e = {emit, ctx};
	osfs_ffi_each_definition(emit_name, &e);
	return 0;
}

static int show_struct(struct osfs_buf *out, const struct req *rq)
{
	return osfs_ffi_show_definition(rq->arg, out);
}

static int store_struct(const char *value, const struct req *rq)
{
	return osfs_ffi_define(rq->arg, value);
}

static int create_struct(const char *name, const struct req *rq)
{
	struct osfs_buf out = {0};
	int exists = osfs_ffi_show_definition(name, &out) == 0;
	osfs_buf_free(&out);
	osfs_refusal_clear();
	return exists ? 0 : osfs_ffi_define(name, "struct{}");
}

static int remove_struct(const char *name, const struct req *rq)
{
	return osfs_ffi_undefine(name);
}

/* find_library/NAME: ctypes.util.find_library(NAME); no such name where it finds none. */
static int match_library(const char *name, const struct req *rq)
{
	struct osfs_buf out = {0};
	int err = osfs_ffi_find_library(name, &out);
	osfs_buf_free(&out);
	return err ? osfs_refuse(ENOENT, "find_library('%s') finds no library", name) : 0;
}

static int show_library(struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_ffi_find_library(rq->arg, out);
	if (err)
		return osfs_refuse(ENOENT, "find_library('%s') finds no library", rq->arg);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int list_nothing(emit_fn *emit, void *ctx, const struct req *rq)
{
	return 0;
}

/* Names under sizeof/, alignment/ and find_library/ come and go with the named
 * layouts and the linker's cache: the kernel must not keep them (NODE_CALLER). */
static const struct node size_each = {.kind = KIND_VALUE, .mode = 0400, .flags = NODE_CALLER,
				      .show = show_size,
				      .doc = "ctypes.sizeof(TYPE) in bytes"};
static const struct dir sizeof_dir = {.each = &size_each, .match = match_type, .list = list_types};
static const struct node align_each = {.kind = KIND_VALUE, .mode = 0400, .flags = NODE_CALLER,
				       .show = show_alignment,
				       .doc = "ctypes.alignment(TYPE) in bytes"};
static const struct dir alignment_dir = {.each = &align_each, .match = match_type, .list = list_types};
static const struct node struct_each = {
	.kind = KIND_SETTING, .mode = 0600, .show = show_struct, .store = store_struct,
	.doc = "a named layout: write a type (struct{long tv_sec; long tv_nsec}), read its layout"};
static const struct dir struct_dir = {.each = &struct_each, .match = match_struct, .list = list_structs,
				      .create = create_struct, .remove = remove_struct};
static const struct node library_each = {.kind = KIND_VALUE, .mode = 0400, .flags = NODE_CALLER,
					 .show = show_library,
					 .doc = "ctypes.util.find_library(NAME)"};
static const struct dir library_dir = {.each = &library_each, .match = match_library,
				       .list = list_nothing};

static const struct node ffi_rows[] = {
	{.name = "call", .kind = KIND_TRANSACTION, .mode = 0600, .call = call, .drop = drop_session,
	 .doc = "ctypes-like calls: write [global:]LIBRARY SYMBOL RESTYPE [ARG ...] [... ARG ...]; read ret=, errno=, out.K="},
	{.name = "sizeof", .kind = KIND_DIR, .mode = 0500, .dir = &sizeof_dir,
	 .doc = "ctypes.sizeof: sizeof/TYPE"},
	{.name = "alignment", .kind = KIND_DIR, .mode = 0500, .dir = &alignment_dir,
	 .doc = "ctypes.alignment: alignment/TYPE"},
	{.name = "struct", .kind = KIND_DIR, .mode = 0700, .dir = &struct_dir,
	 .doc = "named layouts for every session: struct/NAME (create and write to define, rm to forget)"},
	{.name = "find_library", .kind = KIND_DIR, .mode = 0500, .dir = &library_dir,
	 .doc = "ctypes.util.find_library: find_library/NAME"},
	{.name = "libraries", .kind = KIND_VALUE, .mode = 0400, .show = show_libraries,
	 .doc = "the libraries loaded by calls so far, one per line"},
	END_ROW,
};

const struct dir ffi_dir = {.rows = ffi_rows};

void ffi_tree_fini(void)
{
	osfs_ffi_worker_stop();
}
