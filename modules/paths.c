/* paths: a path a caller names, opened as the caller would open it: from its
 * working directory (or its root, for an absolute path), with its file-system
 * identity (uid, gid and groups) on this thread only, so the daemon tells no more
 * about a path than the caller could learn itself.  Then os.statvfs() and
 * os.pathconf() of it. */
#include "osfs/os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "osfs/logging/value.h"
#include "osfs/refuse.h"

/* Python drops the leading underscore of _PC_ names. */
#define X(name) {&#name[1], name},
static const struct osfs_named pathconf_names[] = {
#include "consts-PC.h"
};
#undef X

const struct osfs_named *osfs_pathconf_names(size_t *count)
{
	*count = sizeof pathconf_names / sizeof pathconf_names[0];
	return pathconf_names; /* gen-consts.sh sorts them by name */
}

/* The refusal Python's OSError for a path prints: [Errno 2] No such file or
 * directory: '/nope' */
int osfs_path_error(int err, const char *path)
{
	struct osfs_buf r = {0};
	pv_repr_str(path, strlen(path), &r);
	/* openat2 in the caller's root (RESOLVE_IN_ROOT) follows no /proc magic link */
	int ret = err == EXDEV ? osfs_refuse(err, "%s goes through a /proc magic link (/proc/self/..., "
					     "/dev/fd/N, /dev/stdin), which osfs does not follow: it "
					     "looks at a path as the caller, but from its own process",
					     r.data ? r.data : "''")
		  : osfs_refuse(err, "[Errno %d] %s: %s", err, strerror(err), r.data ? r.data : "''");
	osfs_buf_free(&r);
	return ret;
}

/* This thread's file-system identity, and switching it: raw system calls, since
 * glibc's setgroups() would change every thread of the daemon. */
struct identity {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[256];
};

static int set_identity(const struct identity *id)
{
	if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) < 0)
		return -errno;
	syscall(SYS_setfsgid, id->gid);
	syscall(SYS_setfsuid, id->uid);
	if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != id->uid ||
	    (gid_t)syscall(SYS_setfsgid, (gid_t)-1) != id->gid)
		return -EPERM;
	return 0;
}

static int become(const struct osfs_proc *caller, struct identity *saved)
{
	saved->uid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
	saved->gid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
	saved->ngroups = (int)syscall(SYS_getgroups, 256, saved->groups);
	if (saved->ngroups < 0)
		saved->ngroups = 0;
	struct identity id = {caller->euid, caller->egid, caller->ngroups, {0}};
	memcpy(id.groups, caller->groups, sizeof(gid_t) * (size_t)caller->ngroups);
	if (set_identity(&id) == 0)
		return 0;
	set_identity(saved);
	return osfs_refuse(EACCES, "osfs runs as uid %u and cannot look at a path as uid %u does",
			   (unsigned)geteuid(), (unsigned)caller->euid);
}

/* The directory a path starts from: the caller's root or working directory. */
static int start_of(const struct osfs_proc *caller, const char *path, int *base)
{
	if (!*path)
		return osfs_path_error(ENOENT, path);
	char where[64];
	snprintf(where, sizeof where, "/proc/%d/%s", (int)caller->pid, path[0] == '/' ? "root" : "cwd");
	*base = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*base < 0)
		return osfs_refuse(errno == ENOENT ? ESRCH : errno, "cannot open %s: %s", where,
				   strerror(errno));
	return 0;
}

/* Opens path from base, as whoever this thread now is: an fd, or -errno. */
static int open_from(int base, const char *path, int flags)
{
	int fd;
	if (path[0] == '/') {
		struct open_how how = {.flags = (unsigned)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
		fd = (int)syscall(SYS_openat2, base, path, &how, sizeof how);
	} else {
		fd = openat(base, path, flags | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int osfs_open_as(const struct osfs_proc *caller, const char *path, int flags, int *fd)
{
	int base;
	int err = start_of(caller, path, &base);
	if (err)
		return err;
	struct identity saved;
	if (!(err = become(caller, &saved))) {
		*fd = open_from(base, path, flags);
		set_identity(&saved);
		err = *fd < 0 ? osfs_path_error(-*fd, path) : 0;
	}
	close(base);
	return err;
}

/* os.statvfs(path): the fields of os.statvfs_result, f_fsid as Python gives it. */
int osfs_statvfs(const struct osfs_proc *caller, const char *path, struct osfs_kv *out)
{
	int fd;
	int err = osfs_open_as(caller, path, O_PATH, &fd);
	if (err)
		return err;
	struct statvfs v;
	err = fstatvfs(fd, &v) < 0 ? errno : 0;
	close(fd);
	if (err)
		return osfs_path_error(err, path);
	const struct {
		const char *name;
		unsigned long long value;
	} fields[] = {
		{"f_bsize", v.f_bsize},   {"f_frsize", v.f_frsize}, {"f_blocks", v.f_blocks},
		{"f_bfree", v.f_bfree},   {"f_bavail", v.f_bavail}, {"f_files", v.f_files},
		{"f_ffree", v.f_ffree},   {"f_favail", v.f_favail}, {"f_flag", v.f_flag},
		{"f_namemax", v.f_namemax}, {"f_fsid", v.f_fsid},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char n[32];
		snprintf(n, sizeof n, "%llu", fields[i].value);
		osfs_kv_set(out, fields[i].name, OSFS_KV_NUM, n);
	}
	return 0;
}

/* The names glibc's pathconf() answers from the file itself (statfs, statvfs, stat;
 * sysdeps/unix/sysv/linux/pathconf.c and sysdeps/posix/pathconf.c): a path that
 * cannot be reached is their error.  The others are constants of the C library,
 * given for any path but "" (_PC_PIPE_BUF too: it falls back to PIPE_BUF). */
static const int from_the_file[] = {
	_PC_LINK_MAX, _PC_FILESIZEBITS, _PC_2_SYMLINKS, _PC_CHOWN_RESTRICTED, _PC_NAME_MAX,
	_PC_ASYNC_IO, _PC_REC_MIN_XFER_SIZE, _PC_REC_XFER_ALIGN, _PC_ALLOC_SIZE_MIN,
};

static int needs_the_file(int name)
{
	for (size_t i = 0; i < sizeof from_the_file / sizeof from_the_file[0]; i++)
		if (from_the_file[i] == name)
			return 1;
	return 0;
}

/* os.pathconf(path, name): glibc's pathconf() of the file the caller reaches, as the
 * caller; -1 alone means no limit, as Python returns it. */
int osfs_pathconf(const struct osfs_proc *caller, const char *path, const char *name, long *value)
{
	size_t n;
	const struct osfs_named *t = osfs_pathconf_names(&n);
	int which;
	if (osfs_named_value(t, n, name, &which) < 0)
		return osfs_refuse(EINVAL, "unrecognized configuration name '%s' (os/pathconf_names "
				   "lists them)", name);
	int base;
	int err = start_of(caller, path, &base);
	if (err)
		return err;
	struct identity saved;
	if ((err = become(caller, &saved))) {
		close(base);
		return err;
	}
	int fd = open_from(base, path, O_PATH);
	if (fd >= 0) {
		char self[64];
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		errno = 0;
		*value = pathconf(self, which);
		err = *value == -1 ? errno : 0;
		close(fd);
	} else if (needs_the_file(which)) {
		err = -fd;
	} else {
		errno = 0;
		*value = pathconf("/", which);
		err = *value == -1 ? errno : 0;
	}
	set_identity(&saved);
	close(base);
	return err ? osfs_path_error(err, path) : 0;
}
