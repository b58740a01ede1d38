/* platform: Python's platform module on Linux.  Everything is computed once, at
 * start-up, the way Python computes it (uname(2), `uname -p`, the executable's ELF
 * header, confstr(_CS_GNU_LIBC_VERSION), os-release), and then only read. */
#ifndef OSFS_PLATFORM_H
#define OSFS_PLATFORM_H

#include "buf.h"
#include "kv.h"
#include "os.h"

struct osfs_platform {
	char system[65], node[65], release[65], version[65], machine[65];
	char processor[256];
	char bits[16], linkage[16];        /* architecture() */
	char libc_lib[32], libc_version[32]; /* libc_ver() */
	char platform[512];                /* platform() */
	struct osfs_kv os_release;         /* freedesktop_os_release(); empty if no file */
	int os_release_errno;              /* why there is none, as Python raises OSError */
};

/* Fills p.  executable is the file architecture() examines (NULL: /proc/self/exe). */
int osfs_platform_load(struct osfs_platform *p, const char *executable);
void osfs_platform_free(struct osfs_platform *p);

/* platform.platform(aliased, terse), as Python composes it from p. */
void osfs_platform_string(const struct osfs_platform *p, int aliased, int terse, char *out,
			  size_t size);

/* platform.architecture(path) and platform.libc_ver(path) of a program the caller
 * names, read with the caller's rights: two lines each (bits and linkage; library
 * and version). */
int osfs_architecture_of(const struct osfs_proc *caller, const char *path, struct osfs_buf *out);
int osfs_libc_ver_of(const struct osfs_proc *caller, const char *path, struct osfs_buf *out);

/* platform.uname() as structured fields. */
void osfs_platform_uname(const struct osfs_platform *p, struct osfs_kv *out);

/* Python's _platform(*args): join the non-empty parts with '-' and tidy the result. */
void osfs_platform_join(const char *const *parts, int n, char *out, size_t size);

/* Python's _parse_os_release over a text: the defaults, then each KEY=value line. */
void osfs_os_release_parse(const char *text, struct osfs_kv *out);

#endif
