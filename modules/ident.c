/* Who acts: the identity of the thread that makes a request, taken while it waits
 * for the answer.  The kernel names the thread (its tid) and the credentials it
 * acts with (fsuid, fsgid); the rest -- its process, its other ids, and, when the
 * caller wants them, its name and its executable -- is read now, from that thread:
 * a pidfd pins it, so what is read is the thread's own even if it exits meanwhile
 * and its number is reused, and the thread is the one that asked if it still acts
 * with the credentials the request carried.
 *
 * A thread that writes again is cheap: a small cache keeps, per thread, its pidfd
 * and its open /proc/TID/comm.  Nothing else is trusted from it: every take reads
 * the ids again (one ioctl, PIDFD_GET_INFO, which also proves the thread lives),
 * and the name and executable again when wanted, so a setuid(), an execve() (the
 * pid stays) or a new name between two writes shows at once.  An identity equal to
 * the one taken before is shared, not copied.  Kernels before 6.13 (no
 * PIDFD_GET_INFO) read /proc/TID/status instead, uncached. */
#include "osfs/os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "osfs/refuse.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for one thread */
#endif

/* Linux 6.13's <linux/pidfd.h> (the first published size; newer kernels accept it). */
struct pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t spare0[1];
};
#define PIDFD_INFO_PID 1u
#define PIDFD_INFO_CREDS 2u
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info)

static int gone(pid_t tid)
{
	return osfs_refuse(ESRCH, "the writing thread %d exited before its write was served", (int)tid);
}

/* A pidfd for the thread tid: >= 0; -1 where the kernel cannot make one (before
 * 6.9 only a process's main thread has one); else -errno after osfs_refuse(). */
static int pin(pid_t tid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (fd >= 0)
		return fd;
	if (errno == EINVAL || errno == ENOSYS)
		return -1;
	if (errno == ESRCH)
		return gone(tid);
	return osfs_refuse(errno, "pidfd_open(%d): %s", (int)tid, strerror(errno));
}

static int wrong_creds(pid_t tid, uid_t now, uid_t asked)
{
	return osfs_refuse(ESRCH, "thread %d is no longer the one that wrote (uid %u, not %u)",
			   (int)tid, (unsigned)now, (unsigned)asked);
}

/* The thread's name as /proc/TID/status shows it: a backslash and a newline
 * escaped, from /proc/TID/comm (raw, and one '\n' after it). */
static void comm_of(const char *raw, size_t n, char out[64])
{
	if (n && raw[n - 1] == '\n')
		n--;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 2 < 64; i++) {
		if (raw[i] == '\n' || raw[i] == '\\') {
			out[o++] = '\\';
			out[o++] = raw[i] == '\n' ? 'n' : '\\';
		} else {
			out[o++] = raw[i];
		}
	}
	out[o] = '\0';
}

/* The executable's path, or NULL (a kernel thread; another user's process when the
 * daemon may not look): malloc'd. */
static char *exe_of(pid_t tid)
{
	char path[64], target[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)tid);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

static struct osfs_ident *ident_new(void)
{
	struct osfs_ident *w = calloc(1, sizeof *w);
	if (w)
		w->refs = 1;
	return w;
}

struct osfs_ident *osfs_ident_hold(struct osfs_ident *who)
{
	__atomic_add_fetch(&who->refs, 1, __ATOMIC_RELAXED);
	return who;
}

void osfs_ident_put(struct osfs_ident *who)
{
	if (!who || __atomic_sub_fetch(&who->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	free(who->exe);
	free(who);
}

int osfs_ident_same(const struct osfs_ident *a, const struct osfs_ident *b)
{
	if (a == b)
		return 1;
	int exe_known = (a->known & b->known & OSFS_IDENT_EXE) != 0;
	return a->pid == b->pid && a->uid == b->uid && a->euid == b->euid && a->suid == b->suid &&
	       a->fsuid == b->fsuid && a->gid == b->gid && a->egid == b->egid &&
	       a->sgid == b->sgid && a->fsgid == b->fsgid &&
	       (!exe_known || strcmp(a->exe ? a->exe : "", b->exe ? b->exe : "") == 0);
}

/* ---- kernels without PIDFD_GET_INFO: /proc/TID/status, read each time ---- */

/* Has the pinned thread exited (its pidfd is readable then)? */
static int exited(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) != 0;
}

static int take_from_status(pid_t tid, uid_t fsuid, gid_t fsgid, unsigned want,
			    struct osfs_ident **out)
{
	int fd = pin(tid);
	if (fd < -1)
		return fd;
	struct osfs_proc p;
	int err = osfs_proc_read(tid, &p);
	char *exe = !err && (want & OSFS_IDENT_EXE) ? exe_of(tid) : NULL;
	/* Read while the thread still lives: what was read is that thread's. */
	if (!err && fd >= 0 && exited(fd))
		err = gone(tid);
	if (!err && (p.fsuid != fsuid || p.fsgid != fsgid))
		err = wrong_creds(tid, p.fsuid, fsuid);
	if (fd >= 0)
		close(fd);
	struct osfs_ident *w = err ? NULL : ident_new();
	if (!w) {
		free(exe);
		return err ? err : osfs_refuse(ENOMEM, "out of memory");
	}
	*w = (struct osfs_ident){.pid = p.pid, .tid = tid, .uid = p.uid, .euid = p.euid,
				 .suid = p.suid, .fsuid = p.fsuid, .gid = p.gid, .egid = p.egid,
				 .sgid = p.sgid, .fsgid = p.fsgid,
				 .known = OSFS_IDENT_COMM | (want & OSFS_IDENT_EXE), .exe = exe,
				 .refs = 1};
	memcpy(w->comm, p.comm, sizeof w->comm);
	*out = w;
	return 0;
}

/* ---- the cache: per thread, its pins and the identity taken last ---- */

#define SLOTS 32

struct slot {
	pid_t tid;        /* 0: free */
	int pidfd;        /* the thread, pinned */
	int commfd;       /* its /proc/TID/comm, opened while pinned; -1 until wanted */
	int busy;         /* a take is using it */
	unsigned long used;
	struct osfs_ident *last; /* held */
};

static struct {
	pthread_mutex_t lock;
	struct slot slot[SLOTS];
	unsigned long clock;
	int no_info; /* the kernel has no PIDFD_GET_INFO */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* What a slot held: closed and put outside the lock. */
struct dropped {
	int pidfd, commfd;
	struct osfs_ident *last;
};

static struct dropped empty(struct slot *s)
{
	struct dropped d = {s->pidfd, s->commfd, s->last};
	s->tid = 0;
	s->pidfd = s->commfd = -1;
	s->last = NULL;
	return d;
}

static void drop(struct dropped d)
{
	if (d.pidfd >= 0)
		close(d.pidfd);
	if (d.commfd >= 0)
		close(d.commfd);
	osfs_ident_put(d.last);
}

/* The slot for tid, marked busy: its own, or the least recently used one (what it
 * held goes to *old).  NULL when every slot is busy. */
static struct slot *claim(pid_t tid, struct dropped *old)
{
	*old = (struct dropped){-1, -1, NULL};
	pthread_mutex_lock(&cache.lock);
	struct slot *s = NULL, *victim = NULL;
	for (struct slot *t = cache.slot; t < cache.slot + SLOTS && !s; t++) {
		if (t->tid == tid && !t->busy)
			s = t;
		else if (!t->busy && (!victim || !t->tid || (victim->tid && t->used < victim->used)))
			victim = t;
	}
	if (!s && victim) {
		if (victim->tid)
			*old = empty(victim);
		else
			victim->pidfd = victim->commfd = -1;
		victim->tid = tid;
		s = victim;
	}
	if (s)
		s->busy = 1;
	pthread_mutex_unlock(&cache.lock);
	return s;
}

static void unclaim(struct slot *s, int keep)
{
	struct dropped d = {-1, -1, NULL};
	pthread_mutex_lock(&cache.lock);
	if (!keep)
		d = empty(s);
	s->used = ++cache.clock;
	s->busy = 0;
	pthread_mutex_unlock(&cache.lock);
	drop(d);
}

/* What the thread is now, read through the slot's pins (opening them if needed):
 * 0, 1 if the pinned thread is gone (the slot held an older one), ENOTTY if the
 * kernel has no PIDFD_GET_INFO, or -errno after osfs_refuse(). */
static int read_slot(struct slot *s, unsigned want, struct osfs_ident *now)
{
	int fresh = s->pidfd < 0;
	if (fresh && (s->pidfd = pin(s->tid)) < 0)
		return s->pidfd == -1 ? ENOTTY : s->pidfd;
	char raw[64];
	ssize_t n = 0;
	if (want & OSFS_IDENT_COMM) {
		if (s->commfd < 0) {
			char path[64];
			snprintf(path, sizeof path, "/proc/%d/comm", (int)s->tid);
			s->commfd = open(path, O_RDONLY | O_CLOEXEC);
		}
		n = s->commfd < 0 ? -1 : pread(s->commfd, raw, sizeof raw, 0);
	}
	now->exe = want & OSFS_IDENT_EXE ? exe_of(s->tid) : NULL;
	/* Asked last: the thread lived while its name and executable were read. */
	struct pidfd_info info = {.mask = PIDFD_INFO_PID | PIDFD_INFO_CREDS};
	if (ioctl(s->pidfd, PIDFD_GET_INFO, &info) < 0) {
		int err = errno;
		free(now->exe);
		now->exe = NULL;
		if (err == ESRCH)
			return fresh ? gone(s->tid) : 1;
		return err == ENOTTY || err == EINVAL ? ENOTTY
						      : osfs_refuse(err, "PIDFD_GET_INFO(%d): %s",
								    (int)s->tid, strerror(err));
	}
	if (!(info.mask & PIDFD_INFO_CREDS) || (pid_t)info.pid != s->tid) {
		free(now->exe);
		now->exe = NULL;
		return ENOTTY;
	}
	if (n < 0) { /* the thread lives: its name must be readable */
		free(now->exe);
		now->exe = NULL;
		return osfs_refuse(EIO, "cannot read /proc/%d/comm", (int)s->tid);
	}
	now->pid = (pid_t)info.tgid;
	now->tid = s->tid;
	now->uid = info.ruid, now->euid = info.euid, now->suid = info.suid, now->fsuid = info.fsuid;
	now->gid = info.rgid, now->egid = info.egid, now->sgid = info.sgid, now->fsgid = info.fsgid;
	now->known = want & (OSFS_IDENT_COMM | OSFS_IDENT_EXE);
	if (want & OSFS_IDENT_COMM)
		comm_of(raw, (size_t)n, now->comm);
	return 0;
}

static int equal(const struct osfs_ident *a, const struct osfs_ident *b)
{
	return a->known == b->known && a->tid == b->tid && osfs_ident_same(a, b) &&
	       strcmp(a->comm, b->comm) == 0 &&
	       strcmp(a->exe ? a->exe : "", b->exe ? b->exe : "") == 0;
}

/* Through the cache: 0, ENOTTY (no PIDFD_GET_INFO, or no slot), or -errno. */
static int take_cached(pid_t tid, uid_t fsuid, gid_t fsgid, unsigned want,
		       struct osfs_ident **out)
{
	struct dropped old;
	struct slot *s = claim(tid, &old);
	drop(old);
	if (!s)
		return ENOTTY;
	struct osfs_ident now = {0};
	int err = read_slot(s, want, &now);
	if (err == 1) { /* the thread pinned before is gone: this tid is another's */
		drop(empty(s));
		s->tid = tid;
		err = read_slot(s, want, &now);
	}
	if (!err && (now.fsuid != fsuid || now.fsgid != fsgid))
		err = wrong_creds(tid, now.fsuid, fsuid);
	if (!err && s->last && equal(s->last, &now)) {
		free(now.exe);
		*out = osfs_ident_hold(s->last);
	} else if (!err) {
		struct osfs_ident *w = ident_new();
		if (!w) {
			free(now.exe);
			err = osfs_refuse(ENOMEM, "out of memory");
		} else {
			now.refs = 1;
			*w = now;
			osfs_ident_put(s->last);
			s->last = osfs_ident_hold(w);
			*out = w;
		}
	}
	if (err == ENOTTY)
		__atomic_store_n(&cache.no_info, 1, __ATOMIC_RELAXED);
	unclaim(s, !err);
	return err;
}

int osfs_ident_take(pid_t tid, uid_t fsuid, gid_t fsgid, unsigned want, struct osfs_ident **who)
{
	*who = NULL;
	if (tid <= 0)
		return osfs_refuse(ESRCH, "the writing process is not visible to osfs (pid %d)", (int)tid);
	int err = ENOTTY;
	if (!__atomic_load_n(&cache.no_info, __ATOMIC_RELAXED))
		err = take_cached(tid, fsuid, fsgid, want, who);
	return err == ENOTTY ? take_from_status(tid, fsuid, fsgid, want, who) : err;
}

void osfs_ident_forget_all(void)
{
	for (struct slot *s = cache.slot; s < cache.slot + SLOTS; s++) {
		pthread_mutex_lock(&cache.lock);
		struct dropped d = s->tid && !s->busy ? empty(s) : (struct dropped){-1, -1, NULL};
		pthread_mutex_unlock(&cache.lock);
		drop(d);
	}
}
