/* Record streams: every complete line written is taken in the write() that
 * completes it; a last partial line is taken at close.  Each line is taken as the
 * process that wrote it, as that process was when it wrote: its identity is read
 * in its write() (osfs_ident_take) and kept with the bytes it left pending, so
 * that nothing done later (an exec of a setuid program, an exit, a reused pid)
 * changes who acts.  A line is one writer's: when another process writes on a
 * descriptor that holds someone else's unfinished line, that line is taken first,
 * as it stands.  A line is at most NODE_LINE_MAX bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "osfs/os.h"
#include "osfs/refuse.h"

/* Opened for reading, it reads as empty: the mode (write-only) keeps users from
 * opening it so, and root, whom modes do not stop, reads a write-only file as on
 * any file system, so that grep -r and cp -r as root meet no refusal. */
static int records_open(struct handle *h, int flags, const struct req *rq)
{
	return 0;
}

/* After a line is taken: its bytes are not kept (a long line's buffer neither). */
static void forget_line(struct handle *h)
{
	osfs_buf_reset(&h->pending);
	if (h->pending.cap > 4096) {
		osfs_buf_free(&h->pending);
		kind_settle(h, NULL);
	}
}

/* After a write's lines: the row may finish what they began (logging emits the
 * records of one write to each handler at once). */
static int lines_taken(struct handle *h, const struct req *rq, int err)
{
	int end = h->node->taken ? h->node->taken(&h->state, rq) : 0;
	return err ? err : end;
}

/* Takes the pending partial line as its writer's (at close, or before another
 * process's bytes). */
static int take_pending(struct handle *h)
{
	struct req r = kind_writer_req(h);
	int err = h->node->take(h->pending.data, &h->state, &r);
	forget_line(h);
	return lines_taken(h, &r, err);
}

/* Takes the complete lines of data, the first one continuing the pending bytes,
 * and keeps its last partial line pending.  The first line refused fails the
 * write, and the rest of the write is not taken.  A line past NODE_LINE_MAX is
 * refused, and so is every later write that carries bytes of it, up to its
 * newline (one errors line for it). */
#define CHUNK 32768 /* whole lines copied at once, on the stack */
_Static_assert(CHUNK <= NODE_LINE_MAX, "a chunk's lines are never too long");

/* The bytes of data's first whole lines that fit in one chunk (0: the first line
 * is longer, or unfinished). */
static size_t whole_lines(const char *data, size_t size)
{
	if (!data) /* (a write of nothing may come with no buffer) */
		return 0;
	const char *nl = memrchr(data, '\n', size < CHUNK ? size : CHUNK);
	return nl ? (size_t)(nl - data) + 1 : 0;
}

/* Takes the whole lines of data[0, span) (span <= CHUNK, ending in a newline): one
 * copy for them all, each line ended in place (a line per copy would cost more
 * than taking it). */
static int take_lines(struct handle *h, const char *data, size_t span, const struct req *rq)
{
	char chunk[CHUNK];
	memcpy(chunk, data, span);
	int err = 0;
	for (char *line = chunk, *end = chunk + span; !err && line < end;) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		*nl = '\0';
		err = h->node->take(line, &h->state, rq);
		line = nl + 1;
	}
	return err;
}

static int take_data(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	int err = 0;
	for (size_t at = 0; !err && at < size;) {
		size_t span = h->pending.len || h->overlong ? 0 : whole_lines(data + at, size - at);
		if (span) {
			err = take_lines(h, data + at, span, rq);
			at += span;
			continue;
		}
		const char *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - data) - at : size - at;
		if (h->overlong) {
			h->overlong = !nl;
			err = osfs_refuse_quietly(EMSGSIZE);
			break;
		}
		if (h->pending.len + len > NODE_LINE_MAX) {
			h->overlong = !nl;
			err = osfs_refuse(EMSGSIZE, "a line longer than %u bytes is refused (up to its newline)",
					  NODE_LINE_MAX);
			break;
		}
		osfs_buf_add(&h->pending, data + at, len);
		err = osfs_buf_error(&h->pending);
		if (!err && !nl)
			return kind_settle(h, &h->pending); /* the partial line waits */
		if (!err)
			err = h->node->take(h->pending.data, &h->state, rq);
		forget_line(h);
		at += len + 1;
	}
	if (err) /* the rest of a refused line is not kept either */
		forget_line(h);
	return err;
}

static int records_write(struct handle *h, const char *data, size_t size, const struct req *rq)
{
	struct osfs_ident *now = NULL;
	int err = kind_no_nul(data, size);
	if (!err)
		err = kind_writer(rq, h->node->writer_needs ? h->node->writer_needs(rq) : 0, &now);
	if (err)
		return err;
	if (h->who && !osfs_ident_same(h->who, now)) {
		/* A line is one writer's: the unfinished one is taken as its writer's. */
		h->overlong = 0;
		int refused = h->pending.len ? take_pending(h) : 0;
		if (refused && node_unanswered) {
			struct req r = kind_writer_req(h);
			node_unanswered(&r, h, refused);
		}
	}
	kind_forget_writer(h->who);
	h->who = now;
	struct req r = *rq;
	r.who = h->who;
	return lines_taken(h, &r, take_data(h, data, size, &r));
}

/* At a close() of a row whose lines act (os/kill), by the process that wrote the
 * pending partial line, of its last descriptor of the file: the line is taken now,
 * and its refusal fails that close(), as a document's does.  Other closes (a child
 * that inherited the descriptor and exits) leave it for release.  Loggers' streams
 * ask for no flush: a FUSE request fewer per record from the shell. */
static int records_flush(struct handle *h, const struct req *rq)
{
	if (!h->pending.len || !h->who)
		return 0;
	pid_t closer = kind_process_of(rq->tid);
	if (closer != h->who->pid || osfs_proc_holds(closer, (uintptr_t)h->ino) != 0)
		return 0;
	return take_pending(h);
}

static int records_release(struct handle *h)
{
	int err = h->pending.len && h->who ? take_pending(h) : 0;
	if (h->state && h->node->drop)
		h->node->drop(h->state);
	return err;
}

const struct kind_ops records_kind = {
	.name = "record stream",
	.type = S_IFREG,
	.open = records_open,
	.write = records_write,
	.flush = records_flush,
	.release = records_release,
};
