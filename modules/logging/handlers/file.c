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
#include "file.h"
#include "write.h"

static const char *const params[] = {"filename", "mode", "encoding", "delay", "errors", NULL};

int file_open(struct file *f)
{
	f->fd = open(f->path, f->flags | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return osfs_refuse(errno, "cannot open '%s': %s", f->path, strerror(errno));
	f->flags &= ~O_TRUNC; /* mode 'w' truncates once, when the file is first opened */
	return 0;
}

int kwarg_int(const cJSON *kwargs, const char *key, long long dflt, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	/* 2**63 bounds what long long holds; the cast outside them is undefined */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9223372036854775808.0 &&
				    v->valuedouble < 9223372036854775808.0) ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return osfs_refuse(EINVAL, "%s must be an integer within +-2**63", key);
	*out = (long long)v->valuedouble;
	return 0;
}

int file_setup(struct file *f, const cJSON *kwargs, int append_only)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(kwargs, "filename");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(kwargs, "mode");
	const cJSON *enc = cJSON_GetObjectItemCaseSensitive(kwargs, "encoding");
	const cJSON *delay = cJSON_GetObjectItemCaseSensitive(kwargs, "delay");
	if (!cJSON_IsString(name) || !*name->valuestring)
		return osfs_refuse(EINVAL, "the handler needs a filename");
	const char *m = append_only || !cJSON_IsString(mode) ? "a" : mode->valuestring;
	int flags = strcmp(m, "a") == 0 ? O_WRONLY | O_APPEND | O_CREAT
		    : strcmp(m, "w") == 0 ? O_WRONLY | O_TRUNC | O_CREAT
		    : strcmp(m, "x") == 0 ? O_WRONLY | O_CREAT | O_EXCL : -1;
	if (flags < 0)
		return osfs_refuse(EINVAL, "mode '%s': expected a, w or x", m);
	if (enc && !cJSON_IsNull(enc) && (!cJSON_IsString(enc) ||
					  (strcasecmp(enc->valuestring, "utf-8") != 0 &&
					   strcasecmp(enc->valuestring, "utf8") != 0)))
		return osfs_refuse(EINVAL, "encoding: osfs writes UTF-8 only");
	f->path = log_absolute(name->valuestring);
	if (!f->path)
		return -ENOMEM;
	f->flags = flags;
	f->fd = -1;
	f->delay = cJSON_IsTrue(delay);
	return f->delay ? 0 : file_open(f);
}

void file_close(struct file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

void file_release(struct file *f)
{
	file_close(f);
	free(f->path);
}

static int file_handler_open(struct log_handler *h, const cJSON *kwargs)
{
	struct file *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	h->state = f;
	return file_setup(f, kwargs, 0);
}

static int file_emit(struct log_handler *h, const char *text, const struct log_out *rec, size_t n)
{
	struct file *f = h->state;
	int err = file_ready(f);
	return err ? err : write_all(f->fd, text, n ? rec[n - 1].end : 0);
}

int file_ready(struct file *f)
{
	return f->fd < 0 ? file_open(f) : 0;
}

void file_handler_close(struct log_handler *h)
{
	if (h->state)
		file_release(h->state);
	free(h->state);
}

const struct handler_class file_handler = {
	.name = "logging.FileHandler",
	.params = params,
	.open = file_handler_open,
	.emit = file_emit,
	.close = file_handler_close,
};
