/* The FUSE low-level operations of osfs. */
#ifndef OSFS_OPS_H
#define OSFS_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops osfs_ops;

/* After the mount, before the session loop (threaded: a multi-threaded loop): 0 or
 * -errno. */
int osfs_ops_session(struct fuse_session *se, const char *mountpoint, int threaded);

/* After the session loop: releases the files still open and forgets every inode. */
void osfs_ops_shutdown(void);

#endif
