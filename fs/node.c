/* Node kinds: the generic open/read/write/release of each kind, and directory
 * lookup and listing from the tables.  Nothing here knows a particular node. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "osfs/errno.h"
#include "osfs/refuse.h"

/* What each kind does with an open file.  A NULL read serves the snapshot made at
 * open; a NULL write means the kind takes no writes (its open refuses them). */
struct kind_ops {
	const char *name; /* user.osfs.kind */
	mode_t type;
	int (*open)(struct handle *h, int flags, const struct req *rq);
	int (*read)(struct handle *h, off_t off, size_t size, const struct req *rq,
		    reply_fn *reply, void *ctx);
	int (*write)(struct handle *h, const char *data, size_t size, const struct req *rq);
	int (*release)(struct handle *h);
};

static int writing(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static int reading(int flags)
{
	return (flags & O_ACCMODE) != O_WRONLY;
}

/* Written text arrives as bytes: a NUL in it cannot be part of a value. */
static int text_of(const char *data, size_t size, struct osfs_buf *out)
{
	if (memchr(data, '\0', size))
		return osfs_refuse(EINVAL, "the text written holds a NUL byte");
	osfs_buf_add(out, data, size);
	if (!out->data)
		osfs_buf_add(out, "", 0);
	return osfs_buf_error(out);
}

/* A value: the snapshot made at open is the whole answer. */
static int value_open(struct handle *h, int flags, const struct req *rq)
{
	if (writing(flags))
		return osfs_refuse(EACCES, "a value can be read, not written");
	return node_show(h->node, rq, &h->content);
}

/* A setting: read the value as it was at open; each write() sets a new one. */
static int setting_open(struct handle *h, int flags, const struct req *rq)
{
	if (!reading(flags))
		return 0; /* `echo x > setting` needs no snapshot, and must work when unset */
	return node_show(h->node, rq, &h->content);
}

static int setting_write(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	if (size && data[size - 1] == '\n')
		size--;
	struct osfs_buf value = {0};
	int err = text_of(data, size, &value);
	if (!err)
		err = h->node->store(value.data, rq);
	osfs_buf_free(&value);
	return err;
}

/* A transaction: each write() is one request; its response (or "error: ...") is
 * what the next reads give, from wherever the descriptor's offset then is. */
static int transaction_open(struct handle *h, int flags, const struct req *rq)
{
	return 0;
}

static int transaction_write(struct handle *h, const char *data, size_t size,
			     const struct req *rq)
{
	if (size && data[size - 1] == '\n')
		size--;
	struct osfs_buf request = {0};
	osfs_buf_reset(&h->content);
	int err = text_of(data, size, &request);
	struct req own = *rq;
	own.state = &h->state; /* what the row keeps for this open file */
	if (!err)
		err = h->node->call(request.data, &h->content, &own);
	if (!err)
		err = osfs_buf_error(&h->content);
	osfs_buf_free(&request);
	if (err) {
		const char *name = osfs_errno_name(-err);
		osfs_buf_reset(&h->content);
		osfs_buf_printf(&h->content, "error: %s: %s\n", name ? name : "E?", osfs_refusal());
	}
	h->fresh = 1;
	return err;
}

static int transaction_release(struct handle *h)
{
	if (h->state && h->node->drop)
		h->node->drop(h->state);
	return 0;
}

static int transaction_read(struct handle *h, off_t off, size_t size, const struct req *rq,
			    reply_fn *reply, void *ctx)
{
	if (h->fresh) {
		h->base = off;
		h->fresh = 0;
	}
	size_t pos = off > h->base ? (size_t)(off - h->base) : 0;
	size_t len = pos < h->content.len ? h->content.len - pos : 0;
	reply(ctx, len ? h->content.data + pos : NULL, len < size ? len : size);
	return 0;
}

/* A record stream: every complete line is taken in the write() that completes it;
 * the first line refused fails the write (the lines before it were taken). */
static int records_open(struct handle *h, int flags, const struct req *rq)
{
	if (reading(flags))
		return osfs_refuse(EACCES, "a record stream is written, not read");
	return 0;
}

static int take_lines(struct handle *h, const struct req *rq, int final)
{
	struct osfs_buf *p = &h->pending;
	size_t start = 0;
	int err = 0;
	while (!err && start < p->len) {
		char *nl = memchr(p->data + start, '\n', p->len - start);
		if (!nl && !final)
			break;
		size_t end = nl ? (size_t)(nl - p->data) : p->len;
		p->data[end] = '\0';
		err = h->node->take(p->data + start, &h->state, rq);
		start = end + 1;
	}
	if (err || start >= p->len) {
		osfs_buf_reset(p);
	} else if (start) {
		memmove(p->data, p->data + start, p->len - start);
		p->len -= start;
		p->data[p->len] = '\0';
	}
	return err;
}

/* After a write's lines: the row may finish what they began (logging emits the
 * records of one write to each handler at once). */
static int lines_taken(struct handle *h, const struct req *rq, int err)
{
	int end = h->node->taken ? h->node->taken(&h->state, rq) : 0;
	return err ? err : end;
}

static int records_write(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	int err = text_of(data, size, &h->pending);
	return err ? err : lines_taken(h, rq, take_lines(h, rq, 0));
}

static int records_release(struct handle *h)
{
	int err = h->pending.len ? lines_taken(h, &h->opener, take_lines(h, &h->opener, 1)) : 0;
	if (h->state && h->node->drop)
		h->node->drop(h->state);
	return err;
}

/* A document: written text accumulates; it is applied, all or nothing, in the
 * write that completes it (when the row can tell), else at the first read or at
 * close.  Reading gives the outcome, "ok" or "error: ...", or with nothing written,
 * the current document. */
static void outcome(struct handle *h, int err)
{
	osfs_buf_reset(&h->content);
	if (err) {
		const char *name = osfs_errno_name(-err);
		osfs_buf_printf(&h->content, "error: %s: %s\n", name ? name : "E?", osfs_refusal());
	} else {
		osfs_buf_puts(&h->content, "ok\n");
	}
	h->applied = 1;
	h->fresh = 1; /* read from the first read after it, as a transaction's response */
}

void (*node_unanswered)(struct handle *h, int err);

static int apply_document(struct handle *h, const struct req *rq)
{
	int err = h->node->apply(h->pending.data ? h->pending.data : "", rq);
	outcome(h, err);
	osfs_buf_reset(&h->pending);
	return err;
}

static int document_open(struct handle *h, int flags, const struct req *rq)
{
	return 0;
}

static int document_write(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	if (h->applied) { /* a new document after an applied one */
		h->applied = 0;
		osfs_buf_reset(&h->content);
	}
	int err = text_of(data, size, &h->pending);
	if (!err && h->node->complete && h->node->complete(h->pending.data))
		err = apply_document(h, rq);
	return err;
}

static int document_read(struct handle *h, off_t off, size_t size, const struct req *rq,
			 reply_fn *reply, void *ctx)
{
	int err = 0;
	if (h->pending.len) {
		/* its outcome is the answer, not a refusal of the read; but it is logged */
		int refused = apply_document(h, rq);
		if (refused && node_unanswered)
			node_unanswered(h, refused);
	}
	else if (!h->applied && off == 0 && h->node->show)
		err = node_show(h->node, rq, &h->content);
	if (err)
		return err;
	return transaction_read(h, off, size, rq, reply, ctx);
}

static int document_release(struct handle *h)
{
	return h->pending.len ? apply_document(h, &h->opener) : 0;
}

/* A stream: every read is fresh bytes, never a snapshot. */
static int stream_open(struct handle *h, int flags, const struct req *rq)
{
	if (writing(flags))
		return osfs_refuse(EACCES, "a stream can be read, not written");
	return 0;
}

static int stream_read(struct handle *h, off_t off, size_t size, const struct req *rq,
		       reply_fn *reply, void *ctx)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return osfs_refuse(ENOMEM, "out of memory");
	int err = h->node->fill(buf, size, rq);
	if (!err)
		reply(ctx, buf, size);
	free(buf);
	return err;
}

static const struct kind_ops kinds[KIND_COUNT] = {
	[KIND_DIR] = {.name = "directory", .type = S_IFDIR},
	[KIND_VALUE] = {.name = "value", .type = S_IFREG, .open = value_open},
	[KIND_SETTING] = {.name = "setting", .type = S_IFREG, .open = setting_open,
			  .write = setting_write},
	[KIND_TRANSACTION] = {.name = "transaction", .type = S_IFREG, .open = transaction_open,
			      .read = transaction_read, .write = transaction_write,
			      .release = transaction_release},
	[KIND_RECORDS] = {.name = "record stream", .type = S_IFREG, .open = records_open,
			  .write = records_write, .release = records_release},
	[KIND_DOCUMENT] = {.name = "document", .type = S_IFREG, .open = document_open,
			   .read = document_read, .write = document_write,
			   .release = document_release},
	[KIND_STREAM] = {.name = "stream", .type = S_IFREG, .open = stream_open,
			 .read = stream_read},
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
	if (n->flags & NODE_CALLER)
		return 0;
	return n->kind == KIND_DIR || n->kind == KIND_LINK || (n->flags & NODE_CONST);
}

int node_is_stream(const struct node *n)
{
	return n->kind == KIND_STREAM;
}

int node_ignores_truncate(const struct node *n)
{
	return n->kind == KIND_SETTING || n->kind == KIND_RECORDS || n->kind == KIND_DOCUMENT;
}

int node_find(const struct node *dir, const char *name, const struct req *rq,
	      const struct node **row, int *computed)
{
	if (dir->kind != KIND_DIR)
		return osfs_refuse(ENOTDIR, "not a directory");
	for (const struct node *r = dir->dir->rows; r && r->name; r++) {
		if (strcmp(r->name, name) == 0 && (!r->visible || r->visible(rq))) {
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
		if (!r->visible || r->visible(rq))
			emit(ctx, r->name, r);
	if (!dir->dir->list)
		return 0;
	struct list_ctx lc = {emit, ctx, dir->dir->each};
	return dir->dir->list(emit_computed, &lc, rq);
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

static struct timespec mount_time(void)
{
	static struct timespec t;
	if (t.tv_sec == 0)
		clock_gettime(CLOCK_REALTIME, &t);
	return t;
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

void node_handle_init(struct handle *h)
{
	pthread_mutex_init(&h->lock, NULL);
}

int node_open(struct handle *h, const struct node *n, int flags, const struct req *rq)
{
	const struct kind_ops *k = &kinds[n->kind];
	h->node = n;
	h->opener = *rq;
	h->opener.node = n;
	if (!k->open)
		return osfs_refuse(EISDIR, "a directory cannot be opened as a file");
	return k->open(h, flags, rq);
}

int node_read(struct handle *h, off_t off, size_t size, const struct req *rq, reply_fn *reply,
	      void *ctx)
{
	const struct kind_ops *k = &kinds[h->node->kind];
	pthread_mutex_lock(&h->lock);
	int err = 0;
	if (k->read) {
		err = k->read(h, off, size, rq, reply, ctx);
	} else {
		size_t pos = off > 0 ? (size_t)off : 0;
		size_t len = pos < h->content.len ? h->content.len - pos : 0;
		reply(ctx, len ? h->content.data + pos : NULL, len < size ? len : size);
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

int node_write(struct handle *h, const char *data, size_t size, off_t off, const struct req *rq)
{
	const struct kind_ops *k = &kinds[h->node->kind];
	if (!k->write)
		return osfs_refuse(EBADF, "this node takes no writes");
	struct req r = *rq;
	r.node = h->node;
	pthread_mutex_lock(&h->lock);
	int err = k->write(h, data, size, &r);
	pthread_mutex_unlock(&h->lock);
	return err;
}

int node_release(struct handle *h)
{
	const struct kind_ops *k = &kinds[h->node ? h->node->kind : KIND_DIR];
	int err = k->release ? k->release(h) : 0;
	osfs_buf_free(&h->content);
	osfs_buf_free(&h->pending);
	pthread_mutex_destroy(&h->lock);
	return err;
}

int node_readlink(const struct node *n, const struct req *rq, struct osfs_buf *out)
{
	if (n->kind != KIND_LINK)
		return osfs_refuse(EINVAL, "not a symbolic link");
	return node_show(n, rq, out);
}
