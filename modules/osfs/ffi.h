/* ffi: ctypes-like dynamic calls.  A request is one line:
 *   LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...] [... TYPE:VALUE ...]
 * and the answer is "ret=...", "errno=...", then "out.K=..." for out-arguments.
 * osfs_ffi_call runs the call in this process: the daemon runs it in a worker
 * process (osfs_ffi_worker_*), so that a fault in the called code is an answer. */
#ifndef OSFS_FFI_H
#define OSFS_FFI_H

#include <stddef.h>

#include "buf.h"

/* The size of a type name ("int", "size_t", ...): 0, or -ENOENT. */
int osfs_ffi_sizeof(const char *type, size_t *size);
/* Every type name, in the table's order. */
const char *osfs_ffi_type_name(size_t i);

/* Parses and performs one request in this process: 0 with the answer in out, or
 * -errno after osfs_refuse() (EINVAL names the argument at fault). */
int osfs_ffi_call(const char *request, struct osfs_buf *out);
/* Parses a request and prepares its call, without loading or calling anything:
 * 0, or -errno as osfs_ffi_call would refuse it. */
int osfs_ffi_check(const char *request);

/* The worker: a process running `argv0 --ffi-worker FD`, restarted after a crash
 * or a timeout.  start may be called again (it restarts). */
int osfs_ffi_worker_start(const char *argv0, int timeout_ms);
void osfs_ffi_worker_stop(void);
int osfs_ffi_worker_call(const char *request, struct osfs_buf *out);
/* The worker's main: serves requests on fd until it closes. */
int osfs_ffi_worker_main(int fd);

#endif
