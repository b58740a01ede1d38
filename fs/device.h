/* The session's reads and writes of /dev/fuse (device.c). */
#ifndef OSFS_DEVICE_H
#define OSFS_DEVICE_H

#include "ops.h"

/* After the mount, before the session loop: 0 or -errno. */
int device_attach(struct fuse_session *se);

#endif
