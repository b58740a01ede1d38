/* No security.capability question before each record: before it truncates a file
 * (`echo x > f`) or writes through the page cache, the kernel asks whether the
 * file carries a capability to clear (GETXATTR security.capability), unless the
 * inode is marked S_NOSEC.  FUSE allows that mark only on a mount whose server
 * clears set-id bits and capabilities itself (FUSE_HANDLE_KILLPRIV_V2), and sets it
 * on an inode when a buffered write (not direct_io) finds nothing to clear.
 *
 * osfs takes that duty, vacuously: no node has a set-id bit (chmod refuses 07000)
 * or an extended attribute that can be set (setxattr is refused), so there is
 * never anything to clear.  When a record stream is opened to be truncated (the
 * shell's `>`) and its inode is not marked yet, a thread of the daemon, the
 * primer, first opens that file through the mount itself, without direct_io, and
 * writes one byte, which marks the inode and which osfs drops (it is the primer's,
 * and no record); then the open is answered, and the truncation asks nothing.
 * Users' opens stay direct_io: a write is one request, all of it or an error.  The
 * primer works while the open that needs it waits, so nothing of it is left open
 * on the mount when that open returns (an unmount right after is not busy).  It
 * writes only if its open reached osfs (a mount point covered by another file
 * system gets nothing).
 *
 * The mark does not last: a fresh fetch of the inode's attributes drops it (a
 * GETATTR: since Linux 6.x; and a stat needs one after every write, which leaves
 * the size unknown), and so does an attempt to set a security.* attribute or a new
 * kernel inode.  osfs sees a GETATTR, or the question asked again, and marks the
 * inode again at the next `>`.  Where that does not pay -- every writer is a new
 * process whose stdio stats the file at its first write -- the mark is lost before
 * any open gained from it, and the next marks wait for 1, 2, 4 ... 64 truncating
 * opens, so such writers pay the question, not the primer.  Where the primer cannot
 * work (a stream chmodded to 0, a single-threaded daemon, no mount path), the
 * question is asked per open, as before.
 *
 * libfuse 3.17 offers FUSE_CAP_HANDLE_KILLPRIV_V2; before, the flag is set in the
 * INIT reply as the session's device I/O (device.c) passes it, when the kernel
 * offered it. */
#include "killpriv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "osfs/thread.h"

static int granted; /* the kernel runs this mount SB_NOSEC */

#ifdef FUSE_CAP_HANDLE_KILLPRIV_V2

void killpriv_init(struct fuse_conn_info *conn)
{
	if (conn->capable & FUSE_CAP_HANDLE_KILLPRIV_V2) {
		conn->want |= FUSE_CAP_HANDLE_KILLPRIV_V2;
		__atomic_store_n(&granted, 1, __ATOMIC_RELAXED);
	}
}

void killpriv_read(const void *buf, ssize_t n)
{
}

void killpriv_reply(struct iovec *iov, int count)
{
}

#else

/* The INIT request's id, while its reply is to be sent; 0 otherwise. */
static uint64_t init_unique;

void killpriv_init(struct fuse_conn_info *conn)
{
}

void killpriv_read(const void *buf, ssize_t n)
{
	const struct fuse_in_header *in = buf;
	if (n >= (ssize_t)(sizeof *in + offsetof(struct fuse_init_in, flags2)) &&
	    in->opcode == FUSE_INIT) {
		const struct fuse_init_in *arg = (const void *)(in + 1);
		if (arg->flags & FUSE_HANDLE_KILLPRIV_V2)
			__atomic_store_n(&init_unique, in->unique, __ATOMIC_RELAXED);
	}
}

void killpriv_reply(struct iovec *iov, int count)
{
	uint64_t init = __atomic_load_n(&init_unique, __ATOMIC_RELAXED);
	if (init && count > 1 && iov[0].iov_len >= sizeof(struct fuse_out_header) &&
	    iov[1].iov_len >= offsetof(struct fuse_init_out, max_background)) {
		const struct fuse_out_header *out = iov[0].iov_base;
		if (out->unique == init && out->error == 0) {
			struct fuse_init_out *arg = iov[1].iov_base;
			arg->flags |= FUSE_HANDLE_KILLPRIV_V2;
			__atomic_store_n(&init_unique, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&granted, 1, __ATOMIC_RELAXED);
		}
	}
}

#endif

/* ---- the primer ---- */

/* What osfs knows of an inode's mark (inode.nosec). */
enum { UNMARKED, PRIMING, MARKED, UNMARKABLE };

/* The longest an open waits for the primer: three round trips, which only a
 * daemon with every thread held (handlers waiting for their receivers) delays. */
#define WAIT_NS 2000000000L

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	char *mount;          /* the mount point (absolute), or NULL: no priming */
	int running, stop;
	pid_t tid;            /* the primer thread */
	int opened;           /* the primer's open reached osfs */
	int released;         /* and its file was released (the kernel let go of it) */
	char *path;           /* the job: a path below the mount, or NULL */
	unsigned long given, finished;
	int result;           /* of the job finished last: 0 if the byte reached osfs */
} pr = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER};

/* Opens path below the mount and writes one byte, if the open reached osfs: 0 if
 * it did, else -1.  Nothing stays open on the mount.  (A file system mounted over
 * the mount point gets an open that does not block, and no byte.) */
static int prime(const char *path)
{
	int root = open(pr.mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	__atomic_store_n(&pr.opened, 0, __ATOMIC_RELAXED);
	int fd = openat(root, path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	close(root);
	if (fd < 0)
		return -1;
	int ok = __atomic_load_n(&pr.opened, __ATOMIC_ACQUIRE) && write(fd, "\n", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static struct timespec in_a_while(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += WAIT_NS % 1000000000L;
	t.tv_sec += WAIT_NS / 1000000000L + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

static void *primer(void *arg)
{
	__atomic_store_n(&pr.tid, gettid(), __ATOMIC_RELEASE);
	pthread_mutex_lock(&pr.lock);
	for (;;) {
		while (!pr.path && !pr.stop)
			pthread_cond_wait(&pr.wake, &pr.lock);
		if (pr.stop)
			break;
		const char *path = pr.path;
		pthread_mutex_unlock(&pr.lock);
		int result = prime(path);
		pthread_mutex_lock(&pr.lock);
		/* The kernel releases a closed file in the background, holding the mount
		 * until osfs answers: the job is done when osfs has (an unmount right
		 * after the open that waits for it is not busy). */
		struct timespec until = in_a_while();
		while (__atomic_load_n(&pr.opened, __ATOMIC_ACQUIRE) && !pr.released && !pr.stop &&
		       pthread_cond_timedwait(&pr.done, &pr.lock, &until) == 0)
			;
		free(pr.path);
		pr.path = NULL;
		pr.result = result;
		pr.finished++;
		pthread_cond_broadcast(&pr.done);
	}
	pthread_mutex_unlock(&pr.lock);
	return NULL;
}

void killpriv_attach(const char *mountpoint, int threaded)
{
	/* Single-threaded, an open waiting for the primer would wait for itself. */
	pr.mount = threaded && mountpoint && *mountpoint == '/' ? strdup(mountpoint) : NULL;
}

void killpriv_stop(void)
{
	pthread_mutex_lock(&pr.lock);
	pr.stop = 1;
	pthread_cond_broadcast(&pr.wake);
	pthread_mutex_unlock(&pr.lock);
	/* The primer may wait in a request no one serves any more: it is not joined;
	 * it ends when the mount goes, or with the process. */
}

int killpriv_granted(void)
{
	return __atomic_load_n(&granted, __ATOMIC_RELAXED);
}

static int by_primer(pid_t tid)
{
	return tid > 0 && tid == __atomic_load_n(&pr.tid, __ATOMIC_ACQUIRE);
}

/* Has the primer open in's path and write a byte, and waits (a while) for it:
 * 0 once the byte reached osfs, 1 if the primer is busy, -1 if it failed. */
static int prime_now(const struct inode *in)
{
	struct osfs_buf path = {0};
	inode_path(in, &path);
	if (osfs_buf_error(&path) || !path.data) {
		osfs_buf_free(&path);
		return -1;
	}
	struct timespec until = in_a_while();
	pthread_mutex_lock(&pr.lock);
	if (!pr.running && !pr.stop) {
		pthread_t t;
		pr.running = osfs_thread_start(&t, primer, NULL) == 0;
		if (pr.running)
			pthread_detach(t);
	}
	int result = !pr.running || pr.stop ? -1 : pr.path ? 1 : 0;
	if (result == 0) {
		pr.path = path.data;
		path.data = NULL;
		unsigned long mine = ++pr.given;
		pthread_cond_signal(&pr.wake);
		while (pr.finished < mine && !pr.stop &&
		       pthread_cond_timedwait(&pr.done, &pr.lock, &until) == 0)
			;
		result = pr.finished >= mine ? pr.result : 1;
	}
	pthread_mutex_unlock(&pr.lock);
	osfs_buf_free(&path);
	return result;
}

/* The inode's fields other than nosec are hints: a race costs a question or a
 * mark, never a wrong answer. */
int killpriv_open(struct inode *in, pid_t tid, int flags)
{
	if (by_primer(tid)) {
		pthread_mutex_lock(&pr.lock);
		pr.released = 0;
		__atomic_store_n(&pr.opened, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&pr.lock);
		return 1;
	}
	if (!(flags & O_TRUNC) || in->node->kind != KIND_RECORDS || !killpriv_granted() ||
	    !pr.mount)
		return 0;
	int state = __atomic_load_n(&in->nosec, __ATOMIC_RELAXED);
	if (state == MARKED)
		in->gained = 1; /* this open asks nothing */
	if (state != UNMARKED)
		return 0;
	if (in->skip) { /* marking did not pay lately: not yet */
		in->skip--;
		return 0;
	}
	int expected = UNMARKED;
	if (__atomic_compare_exchange_n(&in->nosec, &expected, PRIMING, 0, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED)) {
		in->gained = 0;
		int result = prime_now(in);
		if (result != 0) /* busy: another time; failed: not again for this inode */
			__atomic_store_n(&in->nosec, result > 0 ? UNMARKED : UNMARKABLE,
					 __ATOMIC_RELAXED);
	}
	return 0;
}

void killpriv_primed(struct inode *in)
{
	__atomic_store_n(&in->nosec, MARKED, __ATOMIC_RELAXED);
}

void killpriv_released(void)
{
	pthread_mutex_lock(&pr.lock);
	pr.released = 1;
	pthread_cond_broadcast(&pr.done);
	pthread_mutex_unlock(&pr.lock);
}

/* The kernel dropped in's mark (for thread tid's request). */
static void lost(struct inode *in, pid_t tid)
{
	int expected = MARKED;
	if (by_primer(tid) || !__atomic_compare_exchange_n(&in->nosec, &expected, UNMARKED, 0,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	in->backoff = in->gained ? 0 : !in->backoff ? 1 : in->backoff < 64 ? 2 * in->backoff : 64;
	in->skip = in->backoff;
	in->gained = 0;
}

void killpriv_asked(struct inode *in, const char *xattr, pid_t tid)
{
	if (strcmp(xattr, "security.capability") == 0)
		lost(in, tid);
}

void killpriv_fetched(struct inode *in, pid_t tid)
{
	lost(in, tid);
}
