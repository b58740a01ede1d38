/* The session's reads and writes of /dev/fuse, which libfuse makes through these
 * (its custom I/O) rather than by itself, for two reasons:
 *
 * - An unmount ends the connection, and a read of the device then fails with
 *   ENODEV, which libfuse takes for the end of the session.  But a read under way
 *   when the unmount aborts the requests still queued (releases of files closed
 *   just before it, say) can fail with ECONNABORTED instead -- seen on Linux 6.18
 *   with thousands of releases pending -- which libfuse reports ("reading device:
 *   Software caused connection abort") and ends the loop with as a failure.  The
 *   kernel says ECONNABORTED for an aborted connection only to a server that asked
 *   for it at INIT (FUSE_ABORT_ERROR); osfs does not, so this is the same end as
 *   ENODEV, and is passed on as ENODEV: the daemon exits 0 after an unmount, and
 *   also after an abort through /sys/fs/fuse/connections, as it always did.
 * - Before libfuse 3.17, the INIT reply is where FUSE_HANDLE_KILLPRIV_V2 is set
 *   (killpriv.c). */
#include "device.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "killpriv.h"

static ssize_t device_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);
	if (n < 0 && errno == ECONNABORTED)
		errno = ENODEV;
	else
		killpriv_read(buf, n);
	return n; /* errno as read() left it, or as said above: libfuse reads it */
}

static ssize_t device_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	killpriv_reply(iov, count);
	return writev(fd, iov, count);
}

static const struct fuse_custom_io io = {.read = device_read, .writev = device_writev};

int device_attach(struct fuse_session *se)
{
	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}
