/* logging.FileHandler: filename, mode ('a', 'w' or 'x'), encoding (UTF-8), delay
 * and errors, as Python takes them; the records of a write are one write() to the
 * file.  The walk that opens it safely is here too (see file.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

#define MAX_LINKS 40 /* as the kernel's ELOOP */

static const char *const params[] = {"filename", "mode", "encoding", "delay", "errors", NULL};

/* The OSError open() raises, as a chain shows it: its class (PEP 3151's for the
 * errno), "[Errno N] strerror" and the path. */
static int os_error(int err, const char *path, const char *hint)
{
	static const struct {
		int err;
		const char *name;
	} classes[] = {{ENOENT, "FileNotFoundError"}, {EEXIST, "FileExistsError"},
		       {EISDIR, "IsADirectoryError"}, {ENOTDIR, "NotADirectoryError"},
		       {EACCES, "PermissionError"}, {EPERM, "PermissionError"},
		       {EINTR, "InterruptedError"}, {EAGAIN, "BlockingIOError"},
		       {ETIMEDOUT, "TimeoutError"}};
	const char *name = "OSError";
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].err == err)
			name = classes[i].name;
	return osfs_refuse(err, "%s: [Errno %d] %s: '%s'%s", name, err, strerror(err), path, hint);
}

/* Whether users other than root and the daemon's own can change a directory's
 * entries (its sticky bit does not keep them from making new names). */
static int others_write(const struct stat *st)
{
	return (st->st_mode & S_IWOTH) || ((st->st_mode & S_IWGRP) && st->st_gid != 0) ||
	       (st->st_uid != 0 && st->st_uid != geteuid());
}

static int refuse_link(const char *name, const char *path)
{
	return osfs_refuse(ELOOP, "'%s' is a symbolic link in a directory other users can write "
			   "(in %s): osfs does not follow it", name, path);
}

/* The next component of *rest (cut in place), or NULL at the end. */
static char *next_name(char **rest)
{
	char *p = *rest;
	while (*p == '/')
		p++;
	if (!*p)
		return NULL;
	char *end = strchr(p, '/');
	if (end)
		*end++ = '\0';
	*rest = end ? end : p + strlen(p);
	return p;
}

/* Walks path from dir (or / for an absolute path) to the directory of its last
 * component: *dirfd (O_PATH) and *base.  Links are followed only where no other
 * user can write; *links counts them against MAX_LINKS. */
static int walk(int dir, const char *path, int *links, int *dirfd, char **base)
{
	char *todo = strdup(path), *rest = todo;
	int fd = dir >= 0 && path[0] != '/' ? fcntl(dir, F_DUPFD_CLOEXEC, 0)
					    : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int err = !todo ? -ENOMEM : fd < 0 ? osfs_refuse(errno, "cannot open /: %s", strerror(errno)) : 0;
	char *name = err ? NULL : next_name(&rest);
	if (!err && !name)
		err = osfs_refuse(EISDIR, "'%s' names a directory, not a file", path);
	while (!err) {
		char *after = rest;
		char *next = next_name(&after);
		if (!next) { /* name is the last component */
			*base = strdup(name);
			err = *base ? 0 : -ENOMEM;
			break;
		}
		int sub = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (sub >= 0) {
			close(fd);
			fd = sub;
		} else if ((errno == ENOTDIR || errno == ELOOP) &&
			   fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			struct stat here;
			if (fstat(fd, &here) < 0 || others_write(&here)) {
				err = refuse_link(name, path);
				break;
			}
			char target[4096];
			ssize_t n = readlinkat(fd, name, target, sizeof target - 1);
			if (n < 0 || ++*links > MAX_LINKS) {
				err = osfs_refuse(n < 0 ? errno : ELOOP, "cannot follow '%s' in %s", name, path);
				break;
			}
			target[n] = '\0';
			char *spliced; /* the link's target, then what was left of the path */
			if (asprintf(&spliced, "%s/%s/%s", target, next, after) < 0) {
				err = -ENOMEM;
				break;
			}
			free(todo);
			todo = rest = spliced;
			if (target[0] == '/') {
				close(fd);
				fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
			}
			if (fd < 0 || !(name = next_name(&rest)))
				err = osfs_refuse(EISDIR, "'%s' does not name a file", path);
			continue;
		} else {
			err = os_error(errno, path, ""); /* as open(path) says it */
			break;
		}
		name = next;
		rest = after;
	}
	free(todo);
	if (err && fd >= 0)
		close(fd);
	if (!err)
		*dirfd = fd;
	return err;
}

/* Opens name in dir without blocking (O_NONBLOCK: a FIFO with no reader fails
 * at once), following a link only where no other user can write. */
static int open_in(int dir, const char *name, int flags, const char *path, int links)
{
	struct stat here;
	if (fstat(dir, &here) < 0)
		return os_error(errno, path, "");
	int shared = others_write(&here);
	int fd = openat(dir, name, (flags & ~O_TRUNC) | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
			0644);
	struct stat link;
	/* a link fails as ELOOP, or as EACCES where the kernel protects a sticky directory */
	if (fd < 0 && (errno == ELOOP || errno == EACCES) &&
	    fstatat(dir, name, &link, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link.st_mode)) {
		if (shared)
			return refuse_link(name, path);
		char target[4096];
		ssize_t n = readlinkat(dir, name, target, sizeof target - 1);
		if (n < 0 || ++links > MAX_LINKS)
			return osfs_refuse(n < 0 ? errno : ELOOP, "cannot follow '%s' (%s)", name, path);
		target[n] = '\0';
		int sub;
		char *base;
		int err = walk(dir, target, &links, &sub, &base);
		if (err)
			return err;
		fd = open_in(sub, base, flags, path, links);
		close(sub);
		free(base);
		return fd;
	}
	if (fd < 0)
		return os_error(errno, path, errno == ENXIO ? " (a FIFO or socket with no reader: osfs "
							      "writes to regular files and character "
							      "devices)" : "");
	struct stat st;
	const char *why = fstat(fd, &st) < 0 ? "it cannot be examined"
			  : S_ISFIFO(st.st_mode) ? "it is a FIFO (writing to it could block)"
			  : !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) ? "it is not a regular file"
			  : shared && S_ISREG(st.st_mode) && st.st_nlink > 1
				  ? "it has other names (hard links) in a directory other users can write"
			  : shared && S_ISREG(st.st_mode) && st.st_uid != geteuid() && st.st_uid != here.st_uid
				  ? "it belongs to another user, in a directory other users can write"
				  : NULL;
	if (why) {
		close(fd);
		return osfs_refuse(EACCES, "will not write to '%s': %s", path, why);
	}
	if ((flags & O_TRUNC) && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		int e = errno;
		close(fd);
		return osfs_refuse(e, "cannot truncate '%s': %s", path, strerror(e));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int file_walked(struct file *f)
{
	if (f->dir >= 0)
		return 0;
	int links = 0;
	int err = walk(-1, f->path, &links, &f->dir, &f->base);
	struct stat st;
	if (!err && fstat(f->dir, &st) == 0) {
		f->shared = others_write(&st);
		f->dir_uid = st.st_uid;
	}
	return err;
}

int file_open(struct file *f)
{
	int err = file_walked(f);
	if (err)
		return err;
	int fd = open_in(f->dir, f->base, f->flags, f->path, 0);
	if (fd < 0)
		return fd;
	f->fd = fd;
	f->flags &= ~O_TRUNC; /* mode 'w' truncates once, when the file is first opened */
	return 0;
}

int file_stat(struct file *f, const char *name, struct stat *st)
{
	int err = file_walked(f);
	if (err)
		return err;
	return fstatat(f->dir, name ? name : f->base, st, 0) < 0 ? -errno : 0;
}

int file_rename(struct file *f, const char *from, const char *to)
{
	int err = file_walked(f);
	if (!err && renameat(f->dir, from, f->dir, to) < 0)
		err = osfs_refuse(errno, "cannot rename %s to %s: %s", from, to, strerror(errno));
	return err;
}

int file_unlink(struct file *f, const char *name)
{
	int err = file_walked(f);
	if (!err && unlinkat(f->dir, name, 0) < 0)
		err = osfs_refuse(errno, "cannot remove %s: %s", name, strerror(errno));
	return err;
}

int file_dir_fd(struct file *f)
{
	int err = file_walked(f);
	if (err)
		return err;
	int fd = openat(f->dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

#define KWARG_INT_MAX (1LL << 62)

int kwarg_int(const cJSON *kwargs, const char *key, long long dflt, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (cJSON_IsBool(v)) { /* a bool is an int in Python */
		*out = cJSON_IsTrue(v);
		return 0;
	}
	double d = v->valuedouble;
	if (!cJSON_IsNumber(v) || d != floor(d) || isinf(d))
		return osfs_refuse(EINVAL, "%s must be an integer", key);
	/* Python's integers have no bound, and each of these options is only compared
	 * or counted up to: one past +-2**62 is as good as infinite, and is taken as
	 * that bound (the cast of a double past 2**63 would be undefined, and the bound
	 * leaves room for the arithmetic the handlers do with it). */
	*out = d > KWARG_INT_MAX ? KWARG_INT_MAX : d < -KWARG_INT_MAX ? -KWARG_INT_MAX : (long long)d;
	return 0;
}

/* Whether codecs.lookup(name) is UTF-8: the name normalized as encodings'
 * search function does it (lowercased, each run of characters other than letters,
 * digits and '.' one '_', none at the ends), then utf_8 or one of its aliases. */
static int is_utf8_name(const char *name)
{
	static const char *const names[] = {"utf_8", "u8", "utf", "utf8", "utf8_ucs2", "utf8_ucs4",
					    "cp65001"};
	char norm[32];
	size_t n = 0;
	int gap = 0;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c) || c == '.') {
			if (gap && n)
				norm[n++] = '_';
			gap = 0;
			norm[n++] = (char)tolower(c);
		} else {
			gap = 1;
		}
		if (n >= sizeof norm - 2)
			return 0;
	}
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(norm, names[i]) == 0)
			return 1;
	return 0;
}

/* open()'s check of a mode, with its ValueError: each letter of "xrwabt+" at most
 * once, not both t and b, exactly one of x, r, w and a. */
static int python_mode(const char *m)
{
	int seen[128] = {0}, rwxa = 0;
	for (const unsigned char *c = (const unsigned char *)m; *c; c++) {
		if (*c >= 128 || !strchr("xrwabt+", *c) || seen[*c]++)
			return osfs_refuse(EINVAL, "invalid mode: '%s'", m);
		rwxa += strchr("xrwa", *c) != NULL;
	}
	if (seen['t'] && seen['b'])
		return osfs_refuse(EINVAL, "can't have text and binary mode at once");
	if (rwxa > 1)
		return osfs_refuse(EINVAL, "must have exactly one of create/read/write/append mode");
	if (!rwxa) /* (FileIO's) */
		return osfs_refuse(EINVAL, "Must have exactly one of create/read/write/append mode "
				   "and at most one plus");
	return 0;
}

int file_setup(struct file *f, const cJSON *kwargs, int append_only)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(kwargs, "filename");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(kwargs, "mode");
	const cJSON *enc = cJSON_GetObjectItemCaseSensitive(kwargs, "encoding");
	const cJSON *delay = cJSON_GetObjectItemCaseSensitive(kwargs, "delay");
	f->fd = f->dir = -1;
	if (!cJSON_IsString(name)) /* os.fspath(filename) */
		return osfs_refuse(EINVAL, "TypeError: expected str, bytes or os.PathLike object, not %s",
				   name ? py_type_name(name) : "NoneType");
	if (!append_only && mode && !cJSON_IsString(mode)) /* FileHandler's "b" not in mode */
		return osfs_refuse(EINVAL, "TypeError: argument of type '%s' is not iterable",
				   py_type_name(mode));
	const char *m = append_only || !mode ? "a" : mode->valuestring;
	int err = python_mode(m);
	if (err)
		return err;
	int flags = strcmp(m, "a") == 0 ? O_WRONLY | O_APPEND | O_CREAT
		    : strcmp(m, "w") == 0 ? O_WRONLY | O_TRUNC | O_CREAT
		    : strcmp(m, "x") == 0 ? O_WRONLY | O_CREAT | O_EXCL : -1;
	if (flags < 0)
		return osfs_refuse(EINVAL, "mode '%s': osfs writes text as a, w or x only", m);
	if (enc && !cJSON_IsNull(enc) && (!cJSON_IsString(enc) || !is_utf8_name(enc->valuestring)))
		return osfs_refuse(EINVAL, "encoding: osfs writes UTF-8 only");
	f->path = log_absolute(name->valuestring);
	if (!f->path)
		return -ENOMEM;
	f->flags = flags;
	f->delay = cJSON_IsTrue(delay);
	return f->delay ? 0 : file_check(f);
}

int file_check(struct file *f)
{
	int err = file_walked(f);
	if (err)
		return err;
	struct stat st;
	if (fstatat(f->dir, f->base, &st, 0) == 0) { /* examined as open_in would, not opened */
		if ((f->flags & O_EXCL))
			return os_error(EEXIST, f->path, "");
		if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
			return S_ISFIFO(st.st_mode) ? osfs_refuse(EACCES, "will not write to '%s': it is a "
								  "FIFO (writing to it could block)", f->path) : 0;
	}
	int fd = open_in(f->dir, f->base, f->flags & ~(O_CREAT | O_TRUNC | O_EXCL), f->path, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -ENOENT || !(f->flags & O_CREAT))
		return fd;
	osfs_refusal_clear(); /* missing: it is created if the directory takes it */
	if (faccessat(f->dir, ".", W_OK | X_OK, AT_EACCESS) != 0)
		return os_error(errno, f->path, "");
	return 0;
}

int file_handler_commit(struct log_handler *h, int step)
{
	struct file *f = h->state;
	struct stat st;
	if (!f || !f->path)
		return 0; /* the daemon's stdout or stderr */
	if (step == COMMIT_OPEN) {
		if (f->delay || f->fd >= 0)
			return 0;
		int existed = fstatat(f->dir, f->base, &st, 0) == 0, trunc = f->flags & O_TRUNC;
		f->flags &= ~O_TRUNC; /* mode 'w' truncates when every handler has opened */
		int err = file_open(f);
		f->flags |= trunc;
		if (!err && !existed && fstat(f->fd, &st) == 0) {
			f->created = 1;
			f->dev = st.st_dev;
			f->ino = st.st_ino;
		}
		return err;
	}
	if (step == COMMIT_DONE) {
		if (f->fd >= 0 && (f->flags & O_TRUNC) && fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    ftruncate(f->fd, 0) < 0)
			return osfs_refuse(errno, "cannot truncate '%s': %s", f->path, strerror(errno));
		if (f->fd >= 0)
			f->flags &= ~O_TRUNC;
		f->created = 0;
		return 0;
	}
	if (f->created && fstatat(f->dir, f->base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == f->dev && st.st_ino == f->ino)
		unlinkat(f->dir, f->base, 0);
	f->created = 0;
	file_close(f);
	return 0;
}

void file_close(struct file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

void file_release(struct file *f)
{
	file_close(f);
	if (f->dir >= 0)
		close(f->dir);
	f->dir = -1;
	free(f->path);
	free(f->base);
}

int file_ready(struct file *f)
{
	return f->fd < 0 ? file_open(f) : 0;
}

int file_reopen(struct file *f)
{
	file_close(f);
	return f->delay ? 0 : file_open(f);
}

int file_handler_reopen(struct log_handler *h)
{
	return file_reopen(h->state);
}

/* Bytes of a record the disk took only in part: cut off again, if the file can be. */
static void take_back(struct file *f, size_t partial)
{
	struct stat st;
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)partial &&
	    ftruncate(f->fd, st.st_size - (off_t)partial) == 0)
		return;
	f->torn = 1; /* the next record starts on a fresh line */
}

int file_write(struct file *f, struct log_emit *e, size_t from, size_t to)
{
	size_t start = from ? e->rec[from - 1].end : 0, end = to ? e->rec[to - 1].end : 0;
	size_t len = end - start, done = 0;
	int err = 0;
	e->sent = from;
	while (f->torn && !err) {
		ssize_t n = write(f->fd, "\n", 1);
		if (n == 1)
			f->torn = 0;
		else if (n < 0 && errno != EINTR)
			err = errno;
	}
	while (done < len && !err) {
		ssize_t n = write(f->fd, e->text + start + done, len - done);
		if (n > 0)
			done += (size_t)n;
		else if (n == 0 || errno != EINTR)
			err = n ? errno : EIO;
	}
	while (e->sent < to && e->rec[e->sent].end - start <= done)
		e->sent++;
	if (!err)
		return 0;
	size_t whole = (e->sent > from ? e->rec[e->sent - 1].end : start) - start;
	if (done > whole)
		take_back(f, done - whole);
	return osfs_refuse(err, "write: %s", strerror(err));
}

static int file_handler_open(struct log_handler *h, const cJSON *kwargs)
{
	struct file *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->fd = f->dir = -1;
	h->state = f;
	return file_setup(f, kwargs, 0);
}

static int file_emit(struct log_handler *h, struct log_emit *e)
{
	struct file *f = h->state;
	int err = file_ready(f);
	return err ? err : file_write(f, e, 0, e->n);
}

void file_handler_release(struct log_handler *h)
{
	file_close(h->state);
}

void file_handler_close(struct log_handler *h)
{
	if (h->state)
		file_release(h->state);
	free(h->state);
}

const struct handler_class file_handler = {
	.name = "logging.FileHandler",
	.params = params,
	.attrs = stream_attrs,
	.commit = file_handler_commit,
	.open = file_handler_open,
	.emit = file_emit,
	.release = file_handler_release,
	.reopen = file_handler_reopen,
	.close = file_handler_close,
};
