/* The owner's choice of mode and group for the nodes that allow one (NODE_OWNED:
 * a logger's directory and its record streams), by path below the mount point.
 * The state file keeps them. */
#ifndef OSFS_ACCESS_H
#define OSFS_ACCESS_H

#include <sys/types.h>

/* 1 with the mode's permission bits and the group if path has a choice, else 0. */
int access_get(const char *path, mode_t *mode, gid_t *gid);
/* 0, or -ENOMEM after osfs_refuse(). */
int access_set(const char *path, mode_t mode, gid_t gid);
void access_unset(const char *path);
/* Forgets path and everything below it (rmdir). */
void access_forget(const char *path);
/* Calls fn for every choice, in no order. */
void access_each(void (*fn)(void *ctx, const char *path, mode_t mode, gid_t gid), void *ctx);
void access_fini(void);

#endif
