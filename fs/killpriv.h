/* FUSE_HANDLE_KILLPRIV_V2, so that a record written from a shell costs no
 * GETXATTR security.capability (killpriv.c says how, and why it is safe). */
#ifndef OSFS_KILLPRIV_H
#define OSFS_KILLPRIV_H

#include <sys/types.h>
#include <sys/uio.h>

#include "inode.h"
#include "ops.h"

/* Before the session loop.  mountpoint: where the primer opens files (an absolute
 * path; anything else: no primer); threaded: the session loop is multi-threaded
 * (else: no primer). */
void killpriv_attach(const char *mountpoint, int threaded);
void killpriv_init(struct fuse_conn_info *conn); /* from the init operation */
/* What the session read from the device (n bytes, or n < 0), and a reply it is
 * about to write (device.c): where the INIT exchange is seen, before libfuse 3.17. */
void killpriv_read(const void *buf, ssize_t n);
void killpriv_reply(struct iovec *iov, int count);
void killpriv_stop(void);                        /* after the session loop */
int killpriv_granted(void);

/* The kernel asked, for thread tid, for the extended attribute xattr of in, or
 * fetched in's attributes. */
void killpriv_asked(struct inode *in, const char *xattr, pid_t tid);
void killpriv_fetched(struct inode *in, pid_t tid);
/* An open of in by thread tid with flags, before it is answered (a truncating open
 * of a record stream may wait for the primer here): is it the primer's own open
 * (to serve without direct_io, its write dropped)? */
int killpriv_open(struct inode *in, pid_t tid, int flags);
/* The primer's write reached osfs: the kernel found nothing to clear. */
void killpriv_primed(struct inode *in);
/* The primer's open file is released (its last reference is gone). */
void killpriv_released(void);

#endif
