/* Live streams (live.c): what the FUSE adapter hands them beyond open and close. */
#ifndef OSFS_LIVE_H
#define OSFS_LIVE_H

#include "node.h"
#include "ops.h"

/* A read of h: answered now, or later by the records that come, an interrupt or
 * the shutdown.  flags: the file's (O_NONBLOCK). */
int live_read(fuse_req_t req, struct handle *h, size_t size, off_t off, int flags);
/* The poll events of h now; ph (if any) is notified when records come. */
unsigned live_poll(struct handle *h, struct fuse_pollhandle *ph);
/* h asked where its end is (lseek SEEK_END: a getattr of the open file). */
void live_asked_end(struct handle *h);

#endif
