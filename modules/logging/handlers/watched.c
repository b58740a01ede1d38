/* logging.handlers.WatchedFileHandler: before writing, if the file was moved or
 * deleted (logrotate), it is reopened, as Python's reopenIfNeeded does; the name
 * is looked at in the handler's directory, and reopened as safely as it was
 * opened first (file.h).
 *
 * One difference, for logrotate's default `create`: it renames the file, then
 * makes the new one with O_EXCL, and if a name is already there (a handler that
 * saw the file gone and made it first) it moves that one aside as
 * NAME-YYYYMMDDHH.backup, and the next such race within the hour replaces that
 * backup: records lost.  So a file that was moved (it still has a name) is written
 * on, where it now is, until the name comes back, for at most CREATE_GRACE_MS; only
 * then does the handler make the file itself.  A file that was deleted is made
 * again at once, as Python does (its records would go nowhere). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

#define CREATE_GRACE_MS 1000

struct watched {
	struct file f;
	dev_t dev;
	ino_t ino;
	int64_t moved_at; /* when the name was first found gone from a file still named: 0, none */
};

static const char *const params[] = {"filename", "mode", "encoding", "delay", "errors", NULL};

static void stat_stream(struct watched *w)
{
	struct stat st;
	if (w->f.fd >= 0 && fstat(w->f.fd, &st) == 0) {
		w->dev = st.st_dev;
		w->ino = st.st_ino;
	}
	w->moved_at = 0;
}

static int watched_open(struct log_handler *h, const cJSON *kwargs)
{
	struct watched *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->f.fd = w->f.dir = -1;
	w->dev = (dev_t)-1;
	w->ino = (ino_t)-1;
	h->state = w;
	int err = file_setup(&w->f, kwargs, 0);
	stat_stream(w);
	return err;
}

/* Whether the open file must be left for the name's file now. */
static int reopen_needed(struct watched *w)
{
	struct stat st;
	if (file_stat(&w->f, NULL, &st) == 0)
		return st.st_dev != w->dev || st.st_ino != w->ino;
	osfs_refusal_clear();
	if (fstat(w->f.fd, &st) < 0 || st.st_nlink == 0)
		return 1; /* deleted: nothing will make it again */
	int64_t now = log_clock_ns();
	if (!w->moved_at)
		w->moved_at = now;
	return now - w->moved_at >=
	       (int64_t)CREATE_GRACE_MS * 1000000; /* moved: the mover's turn first */
}

static int watched_emit(struct log_handler *h, struct log_emit *e)
{
	struct watched *w = h->state;
	if (w->f.fd >= 0 && reopen_needed(w))
		file_close(&w->f);
	if (w->f.fd < 0) {
		int err = file_open(&w->f);
		if (err)
			return err;
		stat_stream(w);
	}
	return file_write(&w->f, e, 0, e->n);
}

/* The file opened when the configuration is committed is the one watched. */
static int watched_commit(struct log_handler *h, int step)
{
	int err = file_handler_commit(h, step);
	if (!err && step == COMMIT_OPEN)
		stat_stream(h->state);
	return err;
}

static int watched_reopen(struct log_handler *h)
{
	struct watched *w = h->state;
	file_close(&w->f);
	int err = w->f.delay ? 0 : file_open(&w->f);
	stat_stream(w);
	return err;
}

const struct handler_class watched_handler = {
	.name = "logging.handlers.WatchedFileHandler",
	.params = params,
	.attrs = stream_attrs,
	.commit = watched_commit,
	.open = watched_open,
	.emit = watched_emit,
	.release = file_handler_release,
	.reopen = watched_reopen,
	.close = file_handler_close,
};
