/* logging.FileHandler: filename, mode ('a' or 'w'), encoding (UTF-8), delay and
 * errors, as Python takes them; each record is one write() to the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/refuse.h"
#include "write.h"

struct file {
	char *path;
	int flags;
	int fd; /* -1 until opened (delay) */
};

static const char *const params[] = {"filename", "mode", "encoding", "delay", "errors", NULL};

static int open_file(struct file *f)
{
	f->fd = open(f->path, f->flags | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return osfs_refuse(errno, "cannot open '%s': %s", f->path, strerror(errno));
	f->flags &= ~O_TRUNC; /* mode 'w' truncates once, when the file is first opened */
	return 0;
}

static int file_open(struct log_handler *h, const cJSON *kwargs)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(kwargs, "filename");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(kwargs, "mode");
	const cJSON *enc = cJSON_GetObjectItemCaseSensitive(kwargs, "encoding");
	const cJSON *delay = cJSON_GetObjectItemCaseSensitive(kwargs, "delay");
	if (!cJSON_IsString(name) || !*name->valuestring)
		return osfs_refuse(EINVAL, "FileHandler needs a filename");
	if (name->valuestring[0] != '/')
		return osfs_refuse(EINVAL, "filename '%s' must be an absolute path (the daemon's "
				   "directory is not yours)", name->valuestring);
	const char *m = cJSON_IsString(mode) ? mode->valuestring : "a";
	int flags = strcmp(m, "a") == 0 ? O_WRONLY | O_APPEND | O_CREAT
		    : strcmp(m, "w") == 0 ? O_WRONLY | O_TRUNC | O_CREAT
		    : strcmp(m, "x") == 0 ? O_WRONLY | O_CREAT | O_EXCL : -1;
	if (flags < 0)
		return osfs_refuse(EINVAL, "mode '%s': expected a, w or x", m);
	if (enc && !cJSON_IsNull(enc) && (!cJSON_IsString(enc) ||
					  (strcasecmp(enc->valuestring, "utf-8") != 0 &&
					   strcasecmp(enc->valuestring, "utf8") != 0)))
		return osfs_refuse(EINVAL, "encoding: osfs writes UTF-8 only");
	struct file *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(name->valuestring))) {
		free(f);
		return -ENOMEM;
	}
	f->flags = flags;
	f->fd = -1;
	h->state = f;
	return cJSON_IsTrue(delay) ? 0 : open_file(f);
}

static int file_emit(struct log_handler *h, const char *text, size_t len)
{
	struct file *f = h->state;
	int err = f->fd < 0 ? open_file(f) : 0;
	return err ? err : write_all(f->fd, text, len);
}

static void file_close(struct log_handler *h)
{
	struct file *f = h->state;
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

const struct handler_class file_handler = {
	.name = "logging.FileHandler",
	.params = params,
	.open = file_open,
	.emit = file_emit,
	.close = file_close,
};
