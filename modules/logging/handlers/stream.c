/* logging.StreamHandler: ext://sys.stdout, ext://sys.stderr (the daemon's), or a
 * path (opened as FileHandler opens one, in append mode), written with one
 * write() per batch of records. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

static const char *const params[] = {"stream", NULL};

static int stream_open(struct log_handler *h, const cJSON *kwargs)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, "stream");
	const char *name = cJSON_IsString(v) ? v->valuestring : "ext://sys.stderr";
	if (v && !cJSON_IsString(v))
		return osfs_refuse(EINVAL, "stream is ext://sys.stdout, ext://sys.stderr or a path");
	struct file *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->fd = f->dir = -1;
	h->state = f;
	if (strcmp(name, "ext://sys.stdout") == 0 || strcmp(name, "ext://sys.stderr") == 0) {
		f->fd = name[10] == 'o' ? STDOUT_FILENO : STDERR_FILENO;
		return 0;
	}
	if (strncmp(name, "ext://", 6) == 0 || strncmp(name, "cfg://", 6) == 0)
		return osfs_refuse(EINVAL, "stream '%s': only ext://sys.stdout and ext://sys.stderr", name);
	f->path = log_absolute(name);
	f->flags = O_WRONLY | O_APPEND | O_CREAT;
	return f->path ? file_check(f) : -ENOMEM; /* opened at commit */
}

static int stream_emit(struct log_handler *h, struct log_emit *e)
{
	struct file *f = h->state;
	int err = f->path ? file_ready(f) : 0; /* a path closed by logging/shutdown */
	return err ? err : file_write(f, e, 0, e->n);
}

static void stream_release(struct log_handler *h)
{
	struct file *f = h->state;
	if (f->path) /* the daemon's stdout and stderr stay */
		file_close(f);
}

static void stream_close(struct log_handler *h)
{
	struct file *f = h->state;
	if (f && !f->path)
		f->fd = -1; /* the daemon's own stdout or stderr: kept open */
	file_handler_close(h);
}

const struct handler_class stream_handler = {
	.name = "logging.StreamHandler",
	.params = params,
	.attrs = stream_attrs,
	.commit = file_handler_commit,
	.open = stream_open,
	.emit = stream_emit,
	.release = stream_release,
	.close = stream_close,
};
