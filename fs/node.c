/* Node kinds: the generic open/read/write/release of each kind, and directory
 * lookup and listing from the tables.  Nothing here knows a particular node. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "osfs/refuse.h"

/* What each kind does with an open file.  A NULL read serves the snapshot made at
 * open; a NULL write means the kind takes no writes (its open refuses them). */
struct kind_ops {
	const char *name; /* user.osfs.kind */
	mode_t type;
	int (*open)(struct handle *h, int flags, const struct req *rq);
	int (*write)(struct handle *h, const char *data, size_t size, off_t off,
		     const struct req *rq);
	void (*release)(struct handle *h);
};

/* A value: the snapshot made at open is the whole answer. */
static int value_open(struct handle *h, int flags, const struct req *rq)
{
	if ((flags & O_ACCMODE) != O_RDONLY)
		return osfs_refuse(EACCES, "a value can be read, not written");
	return node_show(h->node, rq, &h->content);
}

static const struct kind_ops kinds[KIND_COUNT] = {
	[KIND_DIR] = {.name = "directory", .type = S_IFDIR},
	[KIND_VALUE] = {.name = "value", .type = S_IFREG, .open = value_open},
	[KIND_LINK] = {.name = "link", .type = S_IFLNK},
};

const char *node_kind_name(const struct node *n)
{
	return kinds[n->kind].name;
}

mode_t node_type(const struct node *n)
{
	return kinds[n->kind].type;
}

int node_is_cached(const struct node *n)
{
	return n->kind == KIND_DIR || n->kind == KIND_LINK || (n->flags & NODE_CONST);
}

int node_find(const struct node *dir, const char *name, const struct req *rq,
	      const struct node **row, int *computed)
{
	if (dir->kind != KIND_DIR)
		return osfs_refuse(ENOTDIR, "'%s' is not a directory", dir->name);
	for (const struct node *r = dir->dir->rows; r && r->name; r++) {
		if (strcmp(r->name, name) == 0) {
			*row = r;
			*computed = 0;
			return 0;
		}
	}
	const struct dir *d = dir->dir;
	if (d->each) {
		int err = d->match(name, rq);
		if (err == 0) {
			*row = d->each;
			*computed = 1;
		}
		return err;
	}
	return osfs_refuse(ENOENT, "no node named '%s' here", name);
}

struct list_ctx {
	entry_fn *emit;
	void *ctx;
	const struct node *each;
};

static void emit_computed(void *ctx, const char *name)
{
	struct list_ctx *lc = ctx;
	lc->emit(lc->ctx, name, lc->each);
}

int node_list(const struct node *dir, const struct req *rq, entry_fn *emit, void *ctx)
{
	for (const struct node *r = dir->dir->rows; r && r->name; r++)
		emit(ctx, r->name, r);
	if (!dir->dir->list)
		return 0;
	struct list_ctx lc = {emit, ctx, dir->dir->each};
	return dir->dir->list(emit_computed, &lc, rq);
}

static struct timespec mount_time(void)
{
	static struct timespec t;
	if (t.tv_sec == 0)
		clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

int show_string(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_printf(out, "%s\n", (const char *)rq->node->data);
	return 0;
}

int node_show(const struct node *n, const struct req *outer, struct osfs_buf *out)
{
	struct req r = *outer;
	const struct req *rq = &r;
	r.node = n;
	if (n->show) {
		int err = n->show(out, rq);
		return err ? err : osfs_buf_error(out);
	}
	struct osfs_kv kv = {0};
	int err = n->fields(&kv, rq);
	if (!err)
		err = osfs_kv_error(&kv);
	if (!err && (n->flags & NODE_JSON))
		osfs_kv_json(&kv, out);
	else if (!err)
		osfs_kv_plain(&kv, out);
	osfs_kv_free(&kv);
	return err ? err : osfs_buf_error(out);
}

int node_stat(const struct node *n, const struct req *rq, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = node_type(n) | n->mode;
	st->st_nlink = n->kind == KIND_DIR ? 2 : 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atim = st->st_mtim = st->st_ctim = mount_time();
	st->st_blksize = 4096;
	if (n->kind == KIND_LINK || (n->flags & NODE_CONST)) {
		/* Cached content is served by the kernel up to this size: it must be exact. */
		struct osfs_buf b = {0};
		int err = node_show(n, rq, &b);
		st->st_size = (off_t)b.len;
		osfs_buf_free(&b);
		return err;
	}
	return 0;
}

int node_open(struct handle *h, const struct node *n, int flags, const struct req *rq)
{
	const struct kind_ops *k = &kinds[n->kind];
	h->node = n;
	if (!k->open)
		return osfs_refuse(EISDIR, "a directory cannot be opened as a file");
	return k->open(h, flags, rq);
}

int node_read(struct handle *h, off_t off, size_t size, const char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	if (off < 0 || (size_t)off >= h->content.len)
		return 0;
	*data = h->content.data + off;
	*len = h->content.len - (size_t)off < size ? h->content.len - (size_t)off : size;
	return 0;
}

int node_write(struct handle *h, const char *data, size_t size, off_t off, const struct req *rq)
{
	const struct kind_ops *k = &kinds[h->node->kind];
	if (!k->write)
		return osfs_refuse(EBADF, "this node takes no writes");
	return k->write(h, data, size, off, rq);
}

void node_release(struct handle *h)
{
	const struct kind_ops *k = &kinds[h->node->kind];
	if (k->release)
		k->release(h);
	osfs_buf_free(&h->content);
}

int node_readlink(const struct node *n, const struct req *rq, struct osfs_buf *out)
{
	if (n->kind != KIND_LINK)
		return osfs_refuse(EINVAL, "not a symbolic link");
	return node_show(n, rq, out);
}
