/* Node kinds: the generic open/read/write/release of each kind, and directory
 * lookup and listing from the tables.  Nothing here knows a particular node. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kind.h"
#include "osfs/errno.h"
#include "osfs/os.h"
#include "osfs/refuse.h"
#include "quota.h"

int kind_reading(int flags)
{
	return (flags & O_ACCMODE) != O_WRONLY;
}

static int writing(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

int kind_no_nul(const char *data, size_t size)
{
	return memchr(data, '\0', size) ? osfs_refuse(EINVAL, "the text written holds a NUL byte") : 0;
}

int kind_text_of(const char *data, size_t size, struct osfs_buf *out)
{
	int err = kind_no_nul(data, size);
	if (err)
		return err;
	osfs_buf_add(out, data, size);
	if (!out->data)
		osfs_buf_add(out, "", 0);
	return osfs_buf_error(out);
}

int kind_settle(struct handle *h, struct osfs_buf *grown)
{
	size_t now = h->content.cap + h->pending.cap;
	int err = quota_hold(h->payer, h->held, now);
	if (err && grown) { /* given back: the rest is no more than was held */
		osfs_buf_free(grown);
		now = h->content.cap + h->pending.cap;
		if (quota_hold(h->payer, h->held, now) != 0)
			return err;
	}
	if (!err || grown)
		h->held = now;
	return err;
}

int kind_writer(const struct req *rq, unsigned want, struct osfs_ident **who)
{
	return osfs_ident_take(rq->tid, rq->uid, rq->gid, want, who);
}

void kind_forget_writer(struct osfs_ident *who)
{
	osfs_ident_put(who);
}

pid_t kind_process_of(pid_t tid)
{
	struct osfs_proc p;
	return osfs_proc_read(tid, &p) == 0 ? p.pid : tid;
}

struct req kind_writer_req(const struct handle *h)
{
	struct req r = h->opener;
	r.who = h->who;
	r.tid = h->who->tid;
	r.uid = h->who->fsuid;
	r.gid = h->who->fsgid;
	return r;
}

void (*node_unanswered)(const struct req *rq, struct handle *h, int err);

/* A value: the snapshot made at open is the whole answer. */
static int value_open(struct handle *h, int flags, const struct req *rq)
{
	if (writing(flags))
		return osfs_refuse(EACCES, "a value can be read, not written");
	int err = node_show(h->node, rq, &h->content);
	return err ? err : kind_settle(h, &h->content);
}

/* A setting: read the value as it was at open; each write() sets a new one. */
static int setting_open(struct handle *h, int flags, const struct req *rq)
{
	if (!kind_reading(flags))
		return 0; /* `echo x > setting` needs no snapshot, and must work when unset */
	int err = node_show(h->node, rq, &h->content);
	return err ? err : kind_settle(h, &h->content);
}

static int setting_write(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	if (size && data[size - 1] == '\n')
		size--;
	struct osfs_buf value = {0};
	int err = kind_text_of(data, size, &value);
	struct kind_change c;
	if (!err)
		kind_change_begin(&c, h->node, rq);
	if (!err)
		err = kind_change_end(&c, h->node, rq, h->node->store(value.data, rq));
	if (!err && !(h->node->flags & NODE_CALLER))
		node_changed(rq->module);
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
	int err = size > NODE_REQUEST_MAX
		? osfs_refuse(EMSGSIZE, "a request of %zu bytes; at most %u", size, NODE_REQUEST_MAX)
		: kind_text_of(data, size, &request);
	struct req own = *rq;
	own.state = &h->state; /* what the row keeps for this open file */
	if (!err)
		err = h->node->call(request.data, &h->content, &own);
	if (!err)
		err = osfs_buf_error(&h->content);
	if (!err && h->content.len > NODE_RESPONSE_MAX)
		err = osfs_refuse(EMSGSIZE, "the response would be %zu bytes; at most %u",
				  h->content.len, NODE_RESPONSE_MAX);
	osfs_buf_free(&request);
	if (err) {
		const char *name = osfs_errno_name(-err);
		osfs_buf_free(&h->content);
		osfs_buf_printf(&h->content, "error: %s: %s\n", name ? name : "E?", osfs_refusal());
	}
	int over = kind_settle(h, &h->content);
	h->fresh = 1;
	return err ? err : over;
}

static int transaction_release(struct handle *h)
{
	if (h->state && h->node->drop)
		h->node->drop(h->state);
	return 0;
}

int kind_response_read(struct handle *h, off_t off, size_t size, const struct req *rq,
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

static const struct kind_ops dir_kind = {.name = "directory", .type = S_IFDIR};
static const struct kind_ops value_kind = {.name = "value", .type = S_IFREG, .open = value_open};
static const struct kind_ops setting_kind = {.name = "setting", .type = S_IFREG,
					     .open = setting_open, .write = setting_write};
static const struct kind_ops transaction_kind = {.name = "transaction", .type = S_IFREG,
						 .open = transaction_open, .read = kind_response_read,
						 .write = transaction_write,
						 .release = transaction_release};
static const struct kind_ops stream_kind = {.name = "stream", .type = S_IFREG,
					    .open = stream_open, .read = stream_read};
static const struct kind_ops link_kind = {.name = "link", .type = S_IFLNK};

static const struct kind_ops *const kinds[KIND_COUNT] = {
	[KIND_DIR] = &dir_kind,
	[KIND_VALUE] = &value_kind,
	[KIND_SETTING] = &setting_kind,
	[KIND_TRANSACTION] = &transaction_kind,
	[KIND_RECORDS] = &records_kind, /* records.c */
	[KIND_DOCUMENT] = &document_kind, /* document.c */
	[KIND_STREAM] = &stream_kind,
	[KIND_LINK] = &link_kind,
	[KIND_LOG] = &log_kind, /* log.c */
	[KIND_LIVE] = &live_kind, /* live.c */
};

const char *node_kind_name(const struct node *n)
{
	return kinds[n->kind]->name;
}

mode_t node_type(const struct node *n)
{
	return kinds[n->kind]->type;
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

int node_attr_varies(const struct node *n)
{
	return n->kind == KIND_SETTING || n->kind == KIND_DOCUMENT || n->kind == KIND_LOG ||
	       (n->flags & NODE_FOLLOWS) ||
	       (n->kind == KIND_DIR && n->dir && (n->dir->create || n->dir->remove)) ||
	       n->kind == KIND_LIVE;
}

int node_wants_flush(const struct node *n)
{
	return kinds[n->kind]->flush != NULL && (n->kind != KIND_RECORDS || (n->flags & NODE_ACTS));
}

int node_list_varies(const struct node *dir)
{
	if (dir->dir->list)
		return 1;
	for (const struct node *r = dir->dir->rows; r && r->name; r++)
		if (r->flags & NODE_MAYBE)
			return 1;
	return 0;
}

/* Whether a NODE_MAYBE entry answers the one listing (rq: the directory's). */
static int answers(const struct node *row, const char *name, int computed, const struct req *rq)
{
	struct req r = *rq;
	if (computed) {
		r.outer = rq->arg;
		r.arg = name;
	}
	struct osfs_buf b = {0};
	int err = node_show(row, &r, &b);
	osfs_buf_free(&b);
	osfs_refusal_clear();
	return err == 0;
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
	const struct req *rq;
};

static void emit_computed(void *ctx, const char *name)
{
	struct list_ctx *lc = ctx;
	if (!(lc->each->flags & NODE_MAYBE) || answers(lc->each, name, 1, lc->rq))
		lc->emit(lc->ctx, name, lc->each);
}

int node_list(const struct node *dir, const struct req *rq, entry_fn *emit, void *ctx)
{
	for (const struct node *r = dir->dir->rows; r && r->name; r++)
		if (!(r->flags & NODE_UNLISTED) && (!r->visible || r->visible(rq)) &&
		    (!(r->flags & NODE_MAYBE) || answers(r, NULL, 0, rq)))
			emit(ctx, r->name, r);
	if (!dir->dir->list)
		return 0;
	struct list_ctx lc = {emit, ctx, dir->dir->each, rq};
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

int node_stat(const struct node *n, const struct req *rq, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = node_type(n) | n->mode;
	st->st_nlink = n->kind == KIND_DIR ? 2 : 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atim = st->st_mtim = st->st_ctim = kind_mount_time();
	st->st_blksize = 4096;
	if (node_attr_varies(n) && !(n->flags & NODE_CALLER))
		st->st_mtim = st->st_ctim = kind_changed_at(rq->module);
	if (n->kind == KIND_LOG) {
		/* As a file that only grows: tail -f polls its size and mtime.  Its blocks
		 * cover it, or cp would take it for a sparse file. */
		const struct log_source *src = n->data;
		uint64_t end;
		struct timespec last;
		src->extent(&end, &last);
		st->st_size = (off_t)end;
		st->st_blocks = (blkcnt_t)((end + 511) / 512);
		if (last.tv_sec)
			st->st_mtim = st->st_ctim = last;
	}
	if (n->kind == KIND_LIVE) { /* the bytes given so far: see live.c */
		const struct live_source *src = n->data;
		uint64_t end;
		struct timespec last;
		src->extent(rq->arg, &end, &last);
		st->st_size = (off_t)end;
		st->st_blocks = (blkcnt_t)((end + 511) / 512);
		if (last.tv_sec)
			st->st_mtim = st->st_ctim = last;
	}
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
	const struct kind_ops *k = kinds[n->kind];
	h->node = n;
	h->opener = *rq;
	h->opener.node = n;
	h->payer = rq->uid;
	if (!k->open)
		return osfs_refuse(EISDIR, "a directory cannot be opened as a file");
	return k->open(h, flags, rq);
}

int node_read(struct handle *h, off_t off, size_t size, const struct req *rq, reply_fn *reply,
	      void *ctx)
{
	const struct kind_ops *k = kinds[h->node->kind];
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
	const struct kind_ops *k = kinds[h->node->kind];
	if (!k->write)
		return osfs_refuse(EBADF, "this node takes no writes");
	struct req r = *rq;
	r.node = h->node;
	pthread_mutex_lock(&h->lock);
	int err = k->write(h, data, size, &r);
	pthread_mutex_unlock(&h->lock);
	return err;
}

int node_flush(struct handle *h, const struct req *rq)
{
	const struct kind_ops *k = kinds[h->node->kind];
	if (!k->flush)
		return 0;
	pthread_mutex_lock(&h->lock);
	int err = k->flush(h, rq);
	pthread_mutex_unlock(&h->lock);
	return err;
}

int node_hold(struct handle *h)
{
	return kind_settle(h, &h->content);
}

int node_release(struct handle *h)
{
	const struct kind_ops *k = kinds[h->node ? h->node->kind : KIND_DIR];
	int err = k->release ? k->release(h) : 0;
	if (err && node_unanswered) { /* nobody to answer: the log must say it */
		struct req r = h->who ? kind_writer_req(h) : h->opener;
		node_unanswered(&r, h, err);
	}
	kind_forget_writer(h->who);
	h->who = NULL;
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
