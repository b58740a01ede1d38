/* Logs that only grow (`errors`): a file whose bytes are numbered from the daemon's
 * start, whose size is every byte ever added and whose mtime is the last line's, so
 * that `tail -f` and `tail -F` (which poll fstat and read from where they stopped:
 * FUSE has no inotify) print each new line once.  What the log no longer holds is
 * skipped: a read from before its first line starts at that line, and a reader
 * that goes on from where its last read ended (cat, grep, less) goes on from there
 * however the log moved meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "kind.h"
#include "osfs/refuse.h"

static int log_open(struct handle *h, int flags, const struct req *rq)
{
	if ((flags & O_ACCMODE) != O_RDONLY)
		return osfs_refuse(EACCES, "a log can be read, not written");
	return 0;
}

static int log_read(struct handle *h, off_t off, size_t size, const struct req *rq, reply_fn *reply,
                    void *ctx)
{
	const struct log_source *src = h->node->data;
	uint64_t pos =
	    h->following && off == h->next_off ? h->next_pos : (uint64_t)(off > 0 ? off : 0);
	struct osfs_buf b = {0};
	uint64_t next = src->read(pos, size, &b);
	int err = osfs_buf_error(&b);
	if (!err) {
		reply(ctx, b.data, b.len);
		h->following = 1;
		h->next_off = off + (off_t)b.len;
		h->next_pos = next;
	}
	osfs_buf_free(&b);
	return err ? osfs_refuse(ENOMEM, "out of memory") : 0;
}

const struct kind_ops log_kind = {
    .name = "log", .type = S_IFREG, .open = log_open, .read = log_read};
