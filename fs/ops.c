/* The FUSE adapter: struct fuse_lowlevel_ops onto nodes and inodes.  Every refusal
 * goes through refused(), which logs it in `errors` and answers the kernel.
 *
 * The low-level API: the inode number is the inode's address, so no request walks a
 * path; the kernel caches entries and attributes of the static tree and of the
 * loggers, and constant files' pages (keep_cache) with their exact size, while
 * generated files use direct_io and report size 0, as procfs does. */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "access.h"
#include "device.h"
#include "inode.h"
#include "killpriv.h"
#include "live.h"
#include "node.h"
#include "osfs/os.h"
#include "osfs/refuse.h"
#include "quota.h"
#include "tree/tree.h"

#define TIMEOUT 3600.0 /* seconds the kernel may trust a name or attribute */

static const char *const xattr_names[] = {"user.osfs.doc", "user.osfs.kind"};

static struct inode *I(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? inode_root() : (struct inode *)(uintptr_t)ino;
}

static struct req make_req(fuse_req_t r, const struct inode *ino)
{
	const struct fuse_ctx *c = fuse_req_ctx(r);
	return (struct req){.node = ino ? ino->node : NULL,
			    .arg = ino ? ino->arg : NULL,
			    .outer = ino ? ino->outer : NULL,
			    .module = ino ? ino->module : NULL,
			    .tid = c->pid,
			    .uid = c->uid,
			    .gid = c->gid};
}

/* Logs a refusal as `TIME PID NODE ERRNAME: message`, charged to the uid refused.
 * FUSE reports the calling thread, which waits for the answer: the log names its
 * process.  What is refused later (at close) is logged as who wrote it (rq->who). */
static void log_refusal(const struct req *rq, const struct inode *at, const char *name, int err)
{
	if (osfs_refusal_quiet()) { /* reported once already */
		osfs_refusal_clear();
		return;
	}
	struct osfs_buf path = {0};
	inode_path(at, &path);
	if (name) {
		if (path.len)
			osfs_buf_putc(&path, '/');
		osfs_buf_puts(&path, name);
	}
	char message[OSFS_REFUSAL_MAX];
	snprintf(message, sizeof message, "%s", osfs_refusal());
	pid_t pid = rq->tid;
	uid_t uid = rq->uid;
	struct osfs_proc caller;
	if (rq->who) {
		pid = rq->who->pid;
		uid = rq->who->fsuid;
	} else if (osfs_proc_read(rq->tid, &caller) == 0) {
		pid = caller.pid;
	}
	osfs_errlog_add_as(uid, pid, path.data ? path.data : "/", -err, message);
	osfs_refusal_clear();
	osfs_buf_free(&path);
}

static void log_unanswered(const struct req *rq, struct handle *h, int err)
{
	log_refusal(rq, h->ino, NULL, err);
}

/* Answers a refusal (err < 0), and logs it. */
static void refused(fuse_req_t r, const struct inode *at, const char *name, int err)
{
	struct req rq = make_req(r, NULL);
	log_refusal(&rq, at, name, err);
	fuse_reply_err(r, -err);
}

/* The attributes of a node the owner may chmod and chgrp: the owner's choice. */
static void owned_attr(const struct inode *in, struct stat *st)
{
	if (!(in->node->flags & NODE_OWNED))
		return;
	struct osfs_buf path = {0};
	inode_path(in, &path);
	mode_t mode;
	gid_t gid;
	if (!osfs_buf_error(&path) && access_get(path.data ? path.data : "", &mode, &gid)) {
		st->st_mode = (st->st_mode & ~(mode_t)07777) | mode;
		st->st_gid = gid;
	}
	osfs_buf_free(&path);
}

/* How long the kernel may keep a name: not at all for what depends on the caller,
 * nor where a name may go without the kernel seeing it go (a dictConfig drops
 * handlers).  A name that goes only by an rmdir or unlink through this mount (a
 * logger: NODE_KEPT) is kept; the kernel drops it itself then. */
static double entry_timeout(const struct inode *dir, const struct node *row, int computed)
{
	if (row->flags & NODE_CALLER)
		return 0;
	if (computed && dir && (dir->node->dir->remove || dir->node->dir->rmdir) &&
	    !(row->flags & NODE_KEPT))
		return 0;
	return TIMEOUT;
}

/* How long the kernel may keep attributes: not for what depends on the caller,
 * nor for a link whose target (and so its size) may change (a logger's parent),
 * nor for what changes while it stays (a setting's mtime, a log's size).
 * The owner's chmod and chgrp (NODE_OWNED) reach the kernel in setattr's answer;
 * a removed object's choices go with its name (rmdir), and a name made again is a
 * new inode (inode_unlink). */
static double attr_timeout(const struct node *row)
{
	if ((row->flags & NODE_CALLER) || node_attr_varies(row))
		return 0;
	if (row->kind == KIND_LINK && !(row->flags & NODE_CONST))
		return 0;
	return TIMEOUT;
}

static void osfs_init(void *userdata, struct fuse_conn_info *conn)
{
	node_unanswered = log_unanswered;
	/* O_TRUNC arrives with open, not as a separate setattr round trip. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	killpriv_init(conn);
}

int osfs_ops_session(struct fuse_session *se, const char *mountpoint, int threaded)
{
	killpriv_attach(mountpoint, threaded);
	return device_attach(se);
}

/* Answers with the entry dir/name (with fi: as created and opened): 0 or -errno. */
static int open_handle(fuse_req_t r, struct inode *in, struct fuse_file_info *fi);

static int reply_entry(fuse_req_t r, struct inode *dir, const char *name, const struct node *row,
		       int computed, struct fuse_file_info *fi)
{
	struct inode *ino = inode_get(dir, name, row, computed);
	if (!ino)
		return osfs_refuse(ENOMEM, "out of memory");
	struct req rq = make_req(r, ino);
	struct fuse_entry_param e = {.ino = (uintptr_t)ino, .generation = 1};
	int err = node_stat(row, &rq, &e.attr);
	owned_attr(ino, &e.attr);
	if (!err && fi)
		err = open_handle(r, ino, fi);
	if (err) {
		inode_forget(ino, 1);
		return err;
	}
	e.attr.st_ino = e.ino;
	e.entry_timeout = entry_timeout(dir, row, computed);
	e.attr_timeout = attr_timeout(row);
	if (fi)
		fuse_reply_create(r, &e, fi);
	else
		fuse_reply_entry(r, &e);
	return 0;
}

/* Which failed lookups `errors` keeps.  A name that does not exist is answered
 * ENOENT and nothing more: tools guess names all day (git's .git, HEAD and refs, a
 * pyenv shim's .python-version, a shell's completion, `echo x > os/environ/NEW` and
 * `mkdir loggers/app` asking first), and the answer says it all.  A computed name
 * that is malformed as a request (os/urandom/-1: EINVAL, os/urandom/99999999999:
 * ERANGE) was typed by someone, and the line says what is wrong with it, unless it
 * is a dot-file, which no osfs name is. */
static int worth_a_line(const char *name, int err)
{
	return err != -ENOENT && name[0] != '.';
}

static void osfs_lookup(fuse_req_t r, fuse_ino_t parent, const char *name)
{
	struct inode *dir = I(parent);
	struct req rq = make_req(r, dir);
	const struct node *row;
	int computed;
	if (inode_removed(dir)) /* a removed logger's directory, held open */
		return (void)fuse_reply_err(r, ENOENT);
	int err = node_find(dir->node, name, &rq, &row, &computed);
	if (err && !worth_a_line(name, err)) {
		osfs_refusal_clear();
		return (void)fuse_reply_err(r, -err);
	}
	if (err)
		return refused(r, dir, name, err);
	err = reply_entry(r, dir, name, row, computed, NULL);
	if (err)
		refused(r, dir, name, err);
}

/* An inode lives until the kernel forgets it: memory for distinct lookups is
 * bounded by the kernel's own cache of names, and returns when it shrinks. */
static void osfs_forget(fuse_req_t r, fuse_ino_t ino, uint64_t nlookup)
{
	inode_forget(I(ino), nlookup);
	fuse_reply_none(r);
	quota_given_back(sizeof(struct inode) + 64); /* and its name */
}

static void osfs_forget_multi(fuse_req_t r, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		inode_forget(I(forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(r);
	quota_given_back(count * (sizeof(struct inode) + 64));
}

static struct handle *get_handle(struct fuse_file_info *fi);
static void put_handle(struct handle *h);

static void reply_attr(fuse_req_t r, fuse_ino_t ino)
{
	struct inode *in = I(ino);
	struct req rq = make_req(r, in);
	struct stat st;
	int err = node_stat(in->node, &rq, &st);
	if (err)
		return refused(r, in, NULL, err);
	owned_attr(in, &st);
	st.st_ino = ino;
	fuse_reply_attr(r, &st, attr_timeout(in->node));
}

static void osfs_getattr(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	killpriv_fetched(I(ino), fuse_req_ctx(r)->pid);
	if (fi && I(ino)->node->kind == KIND_LIVE) { /* lseek SEEK_END of an open live stream */
		struct handle *h = get_handle(fi);
		live_asked_end(h);
		put_handle(h);
	}
	reply_attr(r, ino);
}

/* chmod and chgrp of a node that allows them (NODE_OWNED), by the owner (the kernel
 * checks that too, with default_permissions): kept, and saved in the state file. */
static int change_owned(fuse_req_t r, struct inode *in, const struct stat *attr, int to_set)
{
	const struct fuse_ctx *c = fuse_req_ctx(r);
	if (!(in->node->flags & NODE_OWNED))
		return osfs_refuse(EPERM, "the owner and mode of this node are fixed");
	if (c->uid != getuid() && c->uid != 0)
		return osfs_refuse(EPERM, "only the owner changes the mode or group");
	if (inode_removed(in)) /* its path may name a new object now */
		return osfs_refuse(ENOENT, "the object this file belonged to was removed");
	if ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != getuid())
		return osfs_refuse(EPERM, "the owner of osfs nodes is the daemon's user (uid %u)",
				   (unsigned)getuid());
	if ((to_set & FUSE_SET_ATTR_MODE) && (attr->st_mode & 07000))
		return osfs_refuse(EPERM, "only permission bits: no setuid, setgid or sticky bit");
	struct req rq = make_req(r, in);
	struct stat now;
	int err = node_stat(in->node, &rq, &now);
	if (err)
		return err;
	owned_attr(in, &now);
	struct osfs_buf path = {0};
	inode_path(in, &path);
	if (osfs_buf_error(&path))
		return osfs_refuse(ENOMEM, "out of memory");
	const char *p = path.data ? path.data : "";
	mode_t mode = now.st_mode & 0777;
	gid_t gid = now.st_gid;
	int had = access_get(p, &mode, &gid);
	err = access_set(p, (to_set & FUSE_SET_ATTR_MODE) ? attr->st_mode : now.st_mode,
			 (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : now.st_gid);
	if (!err) {
		tree_changed();
		node_changed(rq.module);
		err = node_commit ? node_commit() : 0;
		if (err && had) /* not saved: as it was */
			access_set(p, mode, gid);
		else if (err)
			access_unset(p);
	}
	osfs_buf_free(&path);
	return err;
}

static void osfs_setattr(fuse_req_t r, fuse_ino_t ino, struct stat *attr, int to_set,
			 struct fuse_file_info *fi)
{
	struct inode *in = I(ino);
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		int err = change_owned(r, in, attr, to_set);
		if (err)
			return refused(r, in, NULL, err);
		if (!(to_set & FUSE_SET_ATTR_SIZE))
			return reply_attr(r, ino);
	}
	if (!node_ignores_truncate(in->node))
		return refused(r, in, NULL,
			       osfs_refuse(EACCES, "the size and times of a %s cannot be set",
					   node_kind_name(in->node)));
	/* Settings and record streams ignore truncation (and times), so that
	 * `echo x > f`, `truncate` and `touch` all work on them. */
	reply_attr(r, ino);
}

static void osfs_readlink(fuse_req_t r, fuse_ino_t ino)
{
	struct inode *in = I(ino);
	struct req rq = make_req(r, in);
	struct osfs_buf target = {0};
	int err = node_readlink(in->node, &rq, &target);
	if (err)
		refused(r, in, NULL, err);
	else
		fuse_reply_readlink(r, target.data ? target.data : "");
	osfs_buf_free(&target);
}

/* Creating and removing: only in a directory that allows it (os/environ). */
static void refuse_create(fuse_req_t r, fuse_ino_t parent, const char *name)
{
	if (name[0] == '.') /* an editor's swap file, a lock: a tool's, not the user's (no line) */
		return (void)fuse_reply_err(r, EACCES);
	refused(r, I(parent), name,
		osfs_refuse(EACCES, "cannot create '%s': osfs makes its own nodes here", name));
}

static void create_entry(fuse_req_t r, fuse_ino_t parent, const char *name,
			 struct fuse_file_info *fi)
{
	struct inode *dir = I(parent);
	const struct dir *d = dir->node->kind == KIND_DIR ? dir->node->dir : NULL;
	if (!d || !d->create)
		return refuse_create(r, parent, name);
	struct req rq = make_req(r, dir);
	int err = d->create(name, &rq);
	if (!err)
		node_changed(rq.module);
	if (!err)
		err = reply_entry(r, dir, name, d->each, 1, fi);
	if (err)
		refused(r, dir, name, err);
}

static void osfs_create(fuse_req_t r, fuse_ino_t parent, const char *name, mode_t mode,
			struct fuse_file_info *fi)
{
	create_entry(r, parent, name, fi);
}

static void osfs_mknod(fuse_req_t r, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	if (!S_ISREG(mode))
		return refuse_create(r, parent, name);
	create_entry(r, parent, name, NULL);
}

static void osfs_mkdir(fuse_req_t r, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct inode *dir = I(parent);
	const struct dir *d = dir->node->kind == KIND_DIR ? dir->node->dir : NULL;
	if (!d || !d->mkdir)
		return refuse_create(r, parent, name);
	struct req rq = make_req(r, dir);
	int err = d->mkdir(name, &rq);
	if (!err)
		node_changed(rq.module);
	if (!err)
		err = reply_entry(r, dir, name, d->each, 1, NULL);
	if (err)
		refused(r, dir, name, err);
}

static void osfs_symlink(fuse_req_t r, const char *link, fuse_ino_t parent, const char *name)
{
	refuse_create(r, parent, name);
}

static void osfs_link(fuse_req_t r, fuse_ino_t ino, fuse_ino_t parent, const char *name)
{
	refuse_create(r, parent, name);
}

/* unlink and rmdir: only computed names, where the directory has a way to remove. */
static void remove_entry(fuse_req_t r, fuse_ino_t parent, const char *name, int is_dir)
{
	struct inode *dir = I(parent);
	const struct dir *d = dir->node->kind == KIND_DIR ? dir->node->dir : NULL;
	const struct node *row;
	int computed;
	struct req rq = make_req(r, dir);
	int err = node_find(dir->node, name, &rq, &row, &computed);
	name_fn *remove = d ? (is_dir ? d->rmdir : d->remove) : NULL;
	if (!err && (!computed || !remove))
		err = osfs_refuse(EACCES, "cannot remove '%s': osfs nodes stay while mounted", name);
	if (!err)
		err = remove(name, &rq);
	if (err)
		return refused(r, dir, name, err);
	node_changed(rq.module);
	struct osfs_buf path = {0};
	inode_path(dir, &path);
	osfs_buf_printf(&path, "%s%s", path.len ? "/" : "", name);
	if (!osfs_buf_error(&path))
		access_forget(path.data); /* the owner's choices go with the object */
	osfs_buf_free(&path);
	inode_unlink(dir, name);
	fuse_reply_err(r, 0);
}

static void osfs_unlink(fuse_req_t r, fuse_ino_t parent, const char *name)
{
	remove_entry(r, parent, name, 0);
}

static void osfs_rmdir(fuse_req_t r, fuse_ino_t parent, const char *name)
{
	remove_entry(r, parent, name, 1);
}

static void osfs_rename(fuse_req_t r, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
			const char *newname, unsigned int flags)
{
	refused(r, I(parent), name,
		osfs_refuse(EACCES, "cannot rename '%s': osfs names are fixed", name));
}

/* Every live handle: at shutdown, files still open are released like a close. */
static struct {
	pthread_mutex_t lock;
	struct handle head;
} live = {.lock = PTHREAD_MUTEX_INITIALIZER, .head = {.prev = &live.head, .next = &live.head}};

/* A new open file of uid's: 0, or -errno (out of memory, or uid has its share of
 * open files). */
static int new_handle(struct inode *in, uid_t uid, struct handle **out)
{
	int err = quota_open(uid);
	if (err)
		return err;
	struct handle *h = calloc(1, sizeof *h);
	if (!h) {
		quota_close(uid, 0);
		return osfs_refuse(ENOMEM, "out of memory");
	}
	h->ino = in;
	h->payer = uid;
	h->refs = 1;
	node_handle_init(h);
	inode_hold(in);
	pthread_mutex_lock(&live.lock);
	h->next = &live.head;
	h->prev = live.head.prev;
	h->prev->next = h;
	live.head.prev = h;
	pthread_mutex_unlock(&live.lock);
	*out = h;
	return 0;
}

/* The handle of a request, held until put_handle(). */
static struct handle *get_handle(struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	__atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
	return h;
}

static void put_handle(struct handle *h)
{
	if (__atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&live.lock);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	pthread_mutex_unlock(&live.lock);
	node_release(h); /* a refusal at close is logged through node_unanswered */
	quota_close(h->payer, h->held);
	inode_drop(h->ino);
	if (h->primes)
		killpriv_released();
	free(h);
}

static int open_handle(fuse_req_t r, struct inode *in, struct fuse_file_info *fi)
{
	struct req rq = make_req(r, in);
	struct handle *h;
	/* The kernel may still know the name of a removed object's file (it keeps
	 * loggers' names): its path may name a new object, with other modes. */
	if (inode_removed(in))
		return osfs_refuse(ENOENT, "the object this file belonged to was removed");
	int err = new_handle(in, rq.uid, &h);
	if (err)
		return err;
	err = node_open(h, in->node, fi->flags, &rq);
	if (err) {
		put_handle(h);
		return err;
	}
	fi->fh = (uintptr_t)h;
	if (node_is_cached(in->node))
		fi->keep_cache = 1;
	else if ((h->primes = killpriv_open(in, rq.tid, fi->flags)) == 0)
		fi->direct_io = 1;
	if (node_is_stream(in->node))
		fi->nonseekable = 1;
	fi->noflush = !node_wants_flush(in->node);
	return 0;
}

static void osfs_open(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *in = I(ino);
	int err = open_handle(r, in, fi);
	if (err)
		return refused(r, in, NULL, err);
	if (fuse_reply_open(r, fi) != 0)
		put_handle((struct handle *)(uintptr_t)fi->fh); /* interrupted: no release comes */
}

static void reply_buf(void *ctx, const char *data, size_t len)
{
	fuse_reply_buf(ctx, data, len);
}

static void osfs_read(fuse_req_t r, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct handle *h = get_handle(fi);
	if (h->node->kind == KIND_LIVE) { /* answered now or later: live.c */
		live_read(r, h, size, off, fi->flags);
		return put_handle(h);
	}
	struct req rq = make_req(r, h->ino);
	int err = node_read(h, off, size, &rq, reply_buf, r);
	if (err)
		refused(r, I(ino), NULL, err);
	put_handle(h);
}

static void osfs_write(fuse_req_t r, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct inode *in = I(ino);
	struct handle *h = get_handle(fi);
	struct req rq = make_req(r, in);
	if (h->primes) { /* the kernel checked the inode before this write: no record */
		killpriv_primed(in);
		fuse_reply_write(r, size);
		return put_handle(h);
	}
	int err = node_write(h, buf, size, off, &rq);
	if (err < 0)
		refused(r, in, NULL, err);
	else
		fuse_reply_write(r, size); /* never a short count: all of it, or an error */
	put_handle(h);
}

/* A close() of a document or of a record stream whose lines act (the only ones
 * opened without noflush): a refusal now fails that close(), which release
 * could not. */
static void osfs_flush(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *in = I(ino);
	struct handle *h = get_handle(fi);
	struct req rq = make_req(r, in);
	int err = node_flush(h, &rq);
	if (err)
		refused(r, in, NULL, err);
	else
		fuse_reply_err(r, 0);
	put_handle(h);
}

/* poll, select and epoll: a live stream is ready when it has records; every
 * other file always is, as without a poll operation. */
static void osfs_poll(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi,
		      struct fuse_pollhandle *ph)
{
	struct handle *h = get_handle(fi);
	unsigned events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	if (h->node && h->node->kind == KIND_LIVE)
		events = live_poll(h, ph);
	else if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(r, events);
	put_handle(h);
}

static void osfs_release(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(r, 0);
	put_handle((struct handle *)(uintptr_t)fi->fh);
}

struct dirfill {
	fuse_req_t r;
	struct osfs_buf *buf;
};

static void put_entry(struct dirfill *f, const char *name, const struct node *row)
{
	struct stat st = {.st_mode = row ? node_type(row) : S_IFDIR};
	/* d_ino: any stable nonzero number; some programs skip entries with 0. */
	size_t h = 5381;
	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	st.st_ino = (ino_t)(h | 1);
	size_t need = fuse_add_direntry(f->r, NULL, 0, name, NULL, 0);
	size_t at = f->buf->len;
	char *slot = osfs_buf_extend(f->buf, need);
	if (slot)
		fuse_add_direntry(f->r, slot, need, name, &st, (off_t)(at + need));
}

/* A listed name that is no file name (a logger "a/b", "", "..", one of more than
 * NAME_MAX bytes: dictConfig takes any string) is left out; the kernel would fail
 * the whole listing (EIO) for a '/' or an overlong one. */
static void add_entry(void *ctx, const char *name, const struct node *row)
{
	size_t n = strlen(name);
	if (n && n <= NAME_MAX && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	    strcmp(name, "..") != 0)
		put_entry(ctx, name, row);
}

static void osfs_opendir(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *in = I(ino);
	struct req rq = make_req(r, in);
	struct handle *h;
	int err = new_handle(in, rq.uid, &h);
	if (err)
		return refused(r, in, NULL, err);
	h->node = in->node;
	struct dirfill f = {r, &h->content};
	put_entry(&f, ".", NULL);
	put_entry(&f, "..", NULL);
	err = node_list(in->node, &rq, add_entry, &f);
	if (!err)
		err = osfs_buf_error(&h->content);
	if (!err)
		err = node_hold(h);
	if (err) {
		put_handle(h);
		return refused(r, in, NULL, err);
	}
	fi->fh = (uintptr_t)h;
	fi->cache_readdir = node_is_cached(in->node) && !node_list_varies(in->node);
	if (fuse_reply_open(r, fi) != 0)
		put_handle(h);
}

static void osfs_readdir(fuse_req_t r, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	osfs_read(r, ino, size, off, fi);
}

static void osfs_releasedir(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	osfs_release(r, ino, fi);
}

static int xattr_value(const struct inode *in, const char *name, const char **value)
{
	if (strcmp(name, xattr_names[0]) == 0)
		*value = in->node->doc ? in->node->doc : "";
	else if (strcmp(name, xattr_names[1]) == 0)
		*value = node_kind_name(in->node);
	else
		return -ENODATA;
	return 0;
}

static void reply_xattr(fuse_req_t r, const char *data, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(r, len);
	else if (size < len)
		fuse_reply_err(r, ERANGE);
	else
		fuse_reply_buf(r, data, len);
}

static void osfs_getxattr(fuse_req_t r, fuse_ino_t ino, const char *name, size_t size)
{
	const char *value;
	killpriv_asked(I(ino), name, fuse_req_ctx(r)->pid);
	/* An absent attribute is an answer, not a refusal: ls asks for several. */
	if (xattr_value(I(ino), name, &value) < 0)
		return (void)fuse_reply_err(r, ENODATA);
	reply_xattr(r, value, strlen(value), size);
}

static void osfs_listxattr(fuse_req_t r, fuse_ino_t ino, size_t size)
{
	static const char list[] = "user.osfs.doc\0user.osfs.kind";
	/* Linux keeps user.* attributes off symbolic links (getxattr answers ENODATA
	 * without asking): a link lists none, so that listing and reading agree. */
	if (I(ino)->node->kind == KIND_LINK)
		return reply_xattr(r, "", 0, size);
	reply_xattr(r, list, sizeof list, size);
}

static void osfs_setxattr(fuse_req_t r, fuse_ino_t ino, const char *name, const char *value,
			  size_t size, int flags)
{
	refused(r, I(ino), NULL, osfs_refuse(EACCES, "extended attributes of osfs nodes are fixed"));
}

static void osfs_removexattr(fuse_req_t r, fuse_ino_t ino, const char *name)
{
	refused(r, I(ino), NULL, osfs_refuse(EACCES, "extended attributes of osfs nodes are fixed"));
}

void osfs_ops_shutdown(void)
{
	killpriv_stop();
	/* No request runs any more: what the kernel still holds open is closed here. */
	while (live.head.next != &live.head)
		put_handle(live.head.next);
	osfs_ident_forget_all(); /* the writers' pins */
	inode_fini();
}

const struct fuse_lowlevel_ops osfs_ops = {
	.init = osfs_init,
	.lookup = osfs_lookup,
	.forget = osfs_forget,
	.forget_multi = osfs_forget_multi,
	.getattr = osfs_getattr,
	.setattr = osfs_setattr,
	.readlink = osfs_readlink,
	.mknod = osfs_mknod,
	.mkdir = osfs_mkdir,
	.unlink = osfs_unlink,
	.rmdir = osfs_rmdir,
	.symlink = osfs_symlink,
	.rename = osfs_rename,
	.link = osfs_link,
	.open = osfs_open,
	.read = osfs_read,
	.write = osfs_write,
	.flush = osfs_flush,
	.release = osfs_release,
	.opendir = osfs_opendir,
	.readdir = osfs_readdir,
	.releasedir = osfs_releasedir,
	.setxattr = osfs_setxattr,
	.getxattr = osfs_getxattr,
	.listxattr = osfs_listxattr,
	.removexattr = osfs_removexattr,
	.create = osfs_create,
	.poll = osfs_poll,
};
