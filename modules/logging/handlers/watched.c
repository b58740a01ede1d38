/* logging.handlers.WatchedFileHandler: before writing, if the file was moved or
 * deleted (logrotate), it is reopened, as Python's reopenIfNeeded does; the name
 * is looked at in the handler's directory, and reopened as safely as it was
 * opened first (file.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

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
	w->f.fd = w->f.dir = -1;
	w->dev = (dev_t)-1;
	w->ino = (ino_t)-1;
	h->state = w;
	int err = file_setup(&w->f, kwargs, 0);
	stat_stream(w);
	return err;
}

static int watched_emit(struct log_handler *h, struct log_emit *e)
{
	struct watched *w = h->state;
	if (w->f.fd >= 0) {
		struct stat st;
		int gone = file_stat(&w->f, NULL, &st) < 0;
		if (gone || st.st_dev != w->dev || st.st_ino != w->ino) {
			file_close(&w->f);
			int err = file_open(&w->f);
			if (err)
				return err;
			stat_stream(w);
		}
	}
	if (w->f.fd < 0) {
		int err = file_open(&w->f);
		if (err)
			return err;
		stat_stream(w);
	}
	return file_write(&w->f, e, 0, e->n);
}

const struct handler_class watched_handler = {
	.name = "logging.handlers.WatchedFileHandler",
	.params = params,
	.attrs = stream_attrs,
	.commit = file_handler_commit,
	.open = watched_open,
	.emit = watched_emit,
	.close = file_handler_close,
};
