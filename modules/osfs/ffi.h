/* ffi: ctypes-like dynamic calls.  A request is one line:
 *   [global:]LIBRARY SYMBOL RESTYPE [ARG ...] [... ARG ...]
 * and the answer is "ret=...", "errno=...", then "out.K=..." for out-arguments
 * (structures field by field: "out.1.tv_sec=...").  Types are C's fundamental
 * types by name, structures, unions and arrays (struct{long tv_sec; long tv_nsec},
 * int[4]) and named layouts.  osfs_ffi_call runs a request in this process; the
 * daemon runs it in a worker process (osfs_ffi_worker_*), so that a fault in the
 * called code is an answer.  A session is what one open ffi/call keeps: its errno
 * (ctypes' private copy) and its named layouts. */
#ifndef OSFS_FFI_H
#define OSFS_FFI_H

#include <stddef.h>

#include "buf.h"

/* ctypes.sizeof and ctypes.alignment of a type (a fundamental name, a structure,
 * an array, a global named layout): 0, or -errno after osfs_refuse(). */
int osfs_ffi_sizeof(const char *type, size_t *size);
int osfs_ffi_alignment(const char *type, size_t *align);
/* Every fundamental type name but void, in the table's order; NULL past the end. */
const char *osfs_ffi_type_name(size_t i);

/* ctypes.util.find_library(name): the library's file name, or -ENOENT. */
int osfs_ffi_find_library(const char *name, struct osfs_buf *out);

/* Global named layouts (ffi/struct/NAME).  define checks TEXT (a type) and keeps
 * it under NAME, replacing what was there; show gives its layout (type=, size=,
 * align=, offset.FIELD=); each calls fn for every name. */
int osfs_ffi_define(const char *name, const char *text);
int osfs_ffi_undefine(const char *name);
int osfs_ffi_show_definition(const char *name, struct osfs_buf *out);
void osfs_ffi_each_definition(void (*fn)(void *ctx, const char *name), void *ctx);

/* A session: one open ffi/call.  request answers the request verbs of the session
 * (set_errno N, get_errno, sizeof TYPE, alignment TYPE, find_library NAME,
 * struct NAME{...}, union NAME{...}, typedef TYPE NAME) itself and sends every
 * other request to the worker: 0 with the answer in out, or -errno. */
struct osfs_ffi_session;
struct osfs_ffi_session *osfs_ffi_session_new(void);
void osfs_ffi_session_free(struct osfs_ffi_session *s);
int osfs_ffi_session_request(struct osfs_ffi_session *s, const char *request, struct osfs_buf *out);
/* The same, where calls are only parsed and checked, never sent (for the fuzzer). */
int osfs_ffi_session_check(struct osfs_ffi_session *s, const char *request, struct osfs_buf *out);

/* Parses and performs one request in this process (context lines first, see
 * ffi_parse.c): 0 with the answer in out, or -errno after osfs_refuse() (EINVAL
 * names the argument at fault).  errno_copy (may be NULL) is the caller's errno,
 * set right before the call and updated right after; loaded (may be NULL) gets the
 * library the call used. */
int osfs_ffi_call(const char *request, int *errno_copy, struct osfs_buf *out, struct osfs_buf *loaded);
/* Parses a request and prepares its call, without loading or calling anything:
 * 0, or -errno as osfs_ffi_call would refuse it. */
int osfs_ffi_check(const char *request);

/* The worker: a process running `EXE --ffi-worker 3`, started at the first call,
 * replaced after a crash, a timeout or an answer out of step.  memory_mb bounds
 * its address space (0: no bound). */
int osfs_ffi_worker_start(const char *exe, int timeout_ms, int memory_mb);
void osfs_ffi_worker_stop(void);
/* One request (context lines, then the request line) through the worker. */
int osfs_ffi_worker_call(const char *context, const char *request, int *errno_copy,
			 struct osfs_buf *out);
/* The libraries calls have loaded, one per line, in the order first loaded. */
void osfs_ffi_libraries(struct osfs_buf *out);
/* The worker's main: serves requests on fd until it closes. */
int osfs_ffi_worker_main(int fd);

#endif
