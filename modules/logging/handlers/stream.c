/* logging.StreamHandler: ext://sys.stdout, ext://sys.stderr (the daemon's), or a
 * path, written with one write() per record. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/refuse.h"
#include "write.h"

struct stream {
	int fd;
	int owned;
};

static const char *const params[] = {"stream", NULL};

static int stream_open(struct log_handler *h, const cJSON *kwargs)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, "stream");
	const char *name = cJSON_IsString(v) ? v->valuestring : "ext://sys.stderr";
	if (v && !cJSON_IsString(v))
		return osfs_refuse(EINVAL, "stream is ext://sys.stdout, ext://sys.stderr or a path");
	struct stream *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	if (strcmp(name, "ext://sys.stdout") == 0) {
		st->fd = STDOUT_FILENO;
	} else if (strcmp(name, "ext://sys.stderr") == 0) {
		st->fd = STDERR_FILENO;
	} else if (strncmp(name, "ext://", 6) == 0 || strncmp(name, "cfg://", 6) == 0) {
		free(st);
		return osfs_refuse(EINVAL, "stream '%s': only ext://sys.stdout and ext://sys.stderr", name);
	} else {
		st->fd = open(name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		st->owned = 1;
		if (st->fd < 0) {
			int e = errno;
			free(st);
			return osfs_refuse(e, "cannot open '%s': %s", name, strerror(e));
		}
	}
	h->state = st;
	return 0;
}

static int stream_emit(struct log_handler *h, const char *text, const struct log_out *rec, size_t n)
{
	struct stream *st = h->state;
	return write_all(st->fd, text, n ? rec[n - 1].end : 0);
}

static void stream_close(struct log_handler *h)
{
	struct stream *st = h->state;
	if (st && st->owned)
		close(st->fd);
	free(st);
}

const struct handler_class stream_handler = {
	.name = "logging.StreamHandler",
	.params = params,
	.open = stream_open,
	.emit = stream_emit,
	.close = stream_close,
};
