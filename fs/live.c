/* Live streams (loggers/NAME/tail): records as they come, each open file a reader
 * with a buffer of its own (live_source).
 *
 * A read with nothing to give does not keep a worker thread: its request is kept
 * (parked) and answered by the writer that brings the next records, by an
 * interrupt (EINTR: Ctrl-C on cat), or at shutdown (end of file).  O_NONBLOCK
 * reads give EAGAIN instead, and poll/select/epoll wait through FUSE's poll.
 *
 * It is a regular file whose size, as a log's, is the bytes the stream has given
 * since a reader first opened it.  cat, grep, head and an event loop read it as a
 * pipe: each read the next bytes, waiting for them.  tail -f, tail -F and less ask
 * where its end is (lseek SEEK_END, which reaches the daemon as a getattr of this
 * open file) and then poll its size: to such a follower a read with nothing to
 * give is the end of the file, as a regular file's is, and tail goes on polling.
 * A read just behind the last one (bash's read and head seek back to the end of
 * the line they took) is given the same bytes again. */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "osfs/refuse.h"
#include "quota.h"

#define READ_MAX (128u << 10) /* one reply: what one reader keeps to give again */

struct live {
	void *reader;
	const struct live_source *src;
	struct fuse_pollhandle *ph; /* a poll waiting for records */
	int follower;               /* it asked where its end is */
	struct osfs_buf last;       /* the last reply, given at last_off */
	off_t last_off;
};

/* The parked reads of every reader: few, and an interrupt finds its own by its
 * request (the data an interrupt function gets may be gone by then). */
struct waiter {
	struct waiter *prev, *next;
	fuse_req_t req;
	struct live *lv;
	size_t size;
	off_t off;
};
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waiter parked = {.prev = &parked, .next = &parked};

static void unpark(struct waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	free(w);
}

/* Answers a read from the reader's buffer (reader locked): 1 if there was
 * something to give, else 0 and nothing is answered. */
static int give(struct live *lv, fuse_req_t req, size_t size, off_t off)
{
	if (size > READ_MAX)
		size = READ_MAX;
	off_t end = lv->last_off + (off_t)lv->last.len;
	if (lv->last.len && off >= lv->last_off && off < end) { /* again, from within the last */
		size_t at = (size_t)(off - lv->last_off);
		size_t n = lv->last.len - at < size ? lv->last.len - at : size;
		fuse_reply_buf(req, lv->last.data + at, n);
		return 1;
	}
	if (!lv->src->ready(lv->reader))
		return 0;
	osfs_buf_reset(&lv->last);
	char *out = osfs_buf_extend(&lv->last, size);
	if (!out) {
		fuse_reply_err(req, ENOMEM);
		return 1;
	}
	lv->last.len = lv->src->take(lv->reader, out, size);
	lv->last_off = off;
	fuse_reply_buf(req, lv->last.data, lv->last.len);
	return 1;
}

/* Records came to a reader that had none (reader locked, by the writer). */
static void wake(void *ctx)
{
	struct live *lv = ctx;
	pthread_mutex_lock(&parked_lock);
	for (struct waiter *w = parked.next, *next; w != &parked; w = next) {
		next = w->next;
		if (w->lv == lv && give(lv, w->req, w->size, w->off))
			unpark(w);
	}
	if (lv->ph) {
		fuse_lowlevel_notify_poll(lv->ph);
		fuse_pollhandle_destroy(lv->ph);
		lv->ph = NULL;
	}
	pthread_mutex_unlock(&parked_lock);
}

static void interrupted(fuse_req_t req, void *data)
{
	pthread_mutex_lock(&parked_lock);
	for (struct waiter *w = parked.next; w != &parked; w = w->next)
		if (w->req == req) {
			fuse_reply_err(req, EINTR);
			unpark(w);
			break;
		}
	pthread_mutex_unlock(&parked_lock);
}

int live_read(fuse_req_t req, struct handle *h, size_t size, off_t off, int flags)
{
	struct live *lv = h->state;
	int nonblock = (flags & O_NONBLOCK) != 0;
	/* Before any lock: an interrupt that came already calls it now. */
	if (!nonblock && !lv->follower)
		fuse_req_interrupt_func(req, interrupted, NULL);
	lv->src->lock(lv->reader);
	pthread_mutex_lock(&parked_lock);
	int err = 0;
	if (give(lv, req, size, off))
		;
	else if (nonblock)
		err = EAGAIN;
	else if (lv->follower)
		fuse_reply_buf(req, NULL, 0); /* the end, for now: a follower polls the size */
	else if (fuse_req_interrupted(req))
		err = EINTR;
	else {
		struct waiter *w = calloc(1, sizeof *w);
		if (!w) {
			err = ENOMEM;
		} else {
			*w = (struct waiter){.prev = parked.prev,
			                     .next = &parked,
			                     .req = req,
			                     .lv = lv,
			                     .size = size,
			                     .off = off};
			parked.prev->next = w;
			parked.prev = w;
		}
	}
	if (err)
		fuse_reply_err(req, err);
	pthread_mutex_unlock(&parked_lock);
	lv->src->unlock(lv->reader);
	return 0;
}

unsigned live_poll(struct handle *h, struct fuse_pollhandle *ph)
{
	struct live *lv = h->state;
	lv->src->lock(lv->reader);
	pthread_mutex_lock(&parked_lock);
	int ready = lv->src->ready(lv->reader) != 0;
	if (ph && !ready) { /* the next records notify it */
		if (lv->ph)
			fuse_pollhandle_destroy(lv->ph);
		lv->ph = ph;
	} else if (ph) {
		fuse_pollhandle_destroy(ph);
	}
	pthread_mutex_unlock(&parked_lock);
	lv->src->unlock(lv->reader);
	return ready ? POLLIN | POLLRDNORM : 0;
}

void live_asked_end(struct handle *h)
{
	struct live *lv = h->state;
	lv->src->lock(lv->reader);
	lv->follower = 1;
	lv->src->unlock(lv->reader);
}

static int live_open(struct handle *h, int flags, const struct req *rq)
{
	const struct live_source *src = h->node->data;
	if ((flags & O_ACCMODE) != O_RDONLY)
		return osfs_refuse(EACCES, "a live stream can be read, not written");
	size_t hold = src->reserve + READ_MAX;
	int err = quota_hold(h->payer, h->held, h->held + hold);
	if (err)
		return err;
	h->held += hold;
	struct live *lv = calloc(1, sizeof *lv);
	if (!lv)
		return osfs_refuse(ENOMEM, "out of memory");
	lv->src = src;
	err = src->open(rq->arg, wake, lv, &lv->reader);
	if (err) {
		free(lv);
		return err;
	}
	h->state = lv;
	return 0;
}

/* The close; at shutdown, reads still waiting get the end of the file. */
static int live_release(struct handle *h)
{
	struct live *lv = h->state;
	if (!lv)
		return 0;
	lv->src->lock(lv->reader);
	pthread_mutex_lock(&parked_lock);
	for (struct waiter *w = parked.next, *next; w != &parked; w = next) {
		next = w->next;
		if (w->lv == lv) {
			fuse_reply_buf(w->req, NULL, 0);
			unpark(w);
		}
	}
	if (lv->ph)
		fuse_pollhandle_destroy(lv->ph);
	lv->ph = NULL;
	pthread_mutex_unlock(&parked_lock);
	lv->src->unlock(lv->reader);
	lv->src->close(lv->reader);
	osfs_buf_free(&lv->last);
	free(lv);
	h->state = NULL;
	return 0;
}

const struct kind_ops live_kind = {
    .name = "live stream", .type = S_IFREG, .open = live_open, .release = live_release};
