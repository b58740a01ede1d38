/* Documents (logging/config, logging/fileconfig): written text accumulates and is
 * applied all or nothing, in the write() that decides it (the row's complete()),
 * else at the first read, or when the process that opened it and wrote it last
 * closes its last descriptor of it (flush: that close() fails with the refusal),
 * else at the last close (release: the refusal only in errors). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "kind.h"
#include "osfs/errno.h"
#include "osfs/os.h"
#include "osfs/refuse.h"

/* Reading gives the outcome, "ok" or "error: ...", or with nothing written, the
 * current document. */
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

static int apply_document(struct handle *h, const struct req *rq)
{
	struct kind_change c;
	kind_change_begin(&c, h->node, rq);
	int err = kind_change_end(&c, h->node, rq,
	                          h->node->apply(h->pending.data ? h->pending.data : "", rq));
	if (!err)
		node_changed(rq->module);
	outcome(h, err);
	osfs_buf_free(&h->pending);
	kind_settle(h, NULL);
	return err;
}

static int document_open(struct handle *h, int flags, const struct req *rq)
{
	h->opened_by = kind_process_of(rq->tid);
	return 0;
}

static int document_write(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	if (h->applied) { /* a new document after an applied one */
		h->applied = 0;
		osfs_buf_reset(&h->content);
	}
	if (h->pending.len + size > NODE_DOCUMENT_MAX) { /* refused whole, and forgotten */
		int err =
		    osfs_refuse(EMSGSIZE, "a document of more than %u bytes", NODE_DOCUMENT_MAX);
		outcome(h, err);
		osfs_buf_free(&h->pending);
		kind_settle(h, NULL);
		return err;
	}
	struct osfs_ident *now;
	int err = kind_writer(rq, 0, &now);
	if (err)
		return err;
	kind_forget_writer(h->who); /* applied at close as the last one who wrote */
	h->who = now;
	h->written_by = now->pid;
	err = kind_text_of(data, size, &h->pending);
	if (!err)
		err = kind_settle(h, &h->pending);
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
			node_unanswered(rq, h, refused);
	} else if (!h->applied && off == 0 && h->node->show)
		err = node_show(h->node, rq, &h->content);
	if (!err)
		err = kind_settle(h, &h->content);
	if (err)
		return err;
	return kind_response_read(h, off, size, rq, reply, ctx);
}

/* At a close() (flush) by the process that opened the document and wrote it last,
 * of its last descriptor of it: what is pending is applied, and a refusal fails
 * that close().  Other closes leave it for the last one (release): a child that
 * inherited the descriptor and exits, a shell builtin's `>&3` put back with dup2
 * while the shell still holds descriptor 3. */
static int document_flush(struct handle *h, const struct req *rq)
{
	if (!h->pending.len || !h->who)
		return 0;
	pid_t closer = kind_process_of(rq->tid);
	if (closer != h->opened_by || closer != h->written_by ||
	    osfs_proc_holds(closer, (uintptr_t)h->ino) != 0)
		return 0;
	struct req r = kind_writer_req(h);
	return apply_document(h, &r);
}

static int document_release(struct handle *h)
{
	if (!h->pending.len || !h->who)
		return 0;
	struct req r = kind_writer_req(h);
	return apply_document(h, &r);
}

const struct kind_ops document_kind = {.name = "document",
                                       .type = S_IFREG,
                                       .open = document_open,
                                       .read = document_read,
                                       .write = document_write,
                                       .flush = document_flush,
                                       .release = document_release};
