/* logging.handlers.WatchedFileHandler: before writing, if the file was moved or
 * deleted (logrotate), it is reopened, as Python's reopenIfNeeded does. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"
#include "write.h"

struct watched {
	struct file f;
	dev_t dev;
	ino_t ino;
};

static const char *const params[] = {"filename", "mode", "encoding", "delay", "errors", NULL};

static void stat_stream(struct watched *w)
{
	struct stat st;
	if (w->f.fd >= 0 && fstat(w->f.fd, &st) == 0) {
		w->dev = st.st_dev;
		w->ino = st.st_ino;
	}
}

static int watched_open(struct log_handler *h, const cJSON *kwargs)
{
	struct watched *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->f.fd = -1;
	w->dev = (dev_t)-1;
	w->ino = (ino_t)-1;
	h->state = w;
	int err = file_setup(&w->f, kwargs, 0);
	stat_stream(w);
	return err;
}

static int watched_emit(struct log_handler *h, const char *text, const struct log_out *rec, size_t n)
{
	struct watched *w = h->state;
	struct stat st;
	int gone = stat(w->f.path, &st) < 0;
	if (w->f.fd >= 0 && (gone || st.st_dev != w->dev || st.st_ino != w->ino)) {
		file_close(&w->f);
		int err = file_open(&w->f);
		if (err)
			return err;
		stat_stream(w);
	}
	int err = file_ready(&w->f);
	return err ? err : write_all(w->f.fd, text, n ? rec[n - 1].end : 0);
}

const struct handler_class watched_handler = {
	.name = "logging.handlers.WatchedFileHandler",
	.params = params,
	.open = watched_open,
	.emit = watched_emit,
	.close = file_handler_close,
};
