/* errno: the names of the C library's error numbers, as Python's errno module has
 * them.  The names are generated at build time from the system headers; the values
 * are the compiler's.  Where two names share a number, osfs_errno_name() answers with
 * the one Python's errno.errorcode holds. */
#ifndef OSFS_ERRNO_H
#define OSFS_ERRNO_H

#include <stddef.h>

#include "buf.h"

struct osfs_errno {
	const char *name;
	int code;
};

/* Every name, ordered by number, then by name. */
const struct osfs_errno *osfs_errno_table(size_t *count);

/* The number of NAME: 0 with *code set, or -ENOENT. */
int osfs_errno_code(const char *name, int *code);

/* errno.errorcode[code]: the name, or NULL for a number with no name. */
const char *osfs_errno_name(int code);

/* os.strerror(code) into out ("Unknown error N" for a number with no message). */
void osfs_strerror(int code, struct osfs_buf *out);

/* Parses a C int written in decimal, the whole string: 0, -EINVAL or -ERANGE. */
int osfs_parse_int(const char *s, int *out);

#endif
