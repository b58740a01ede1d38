/* logging.handlers.RotatingFileHandler: before a record that would bring the file
 * to maxBytes, base.N becomes base.N+1 (up to backupCount), base becomes base.1,
 * and writing goes on in a new base, as Python's doRollover does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"
#include "write.h"

struct rotating {
	struct file f;
	long long max_bytes, backup_count;
};

static const char *const params[] = {"filename", "mode", "maxBytes", "backupCount", "encoding",
				     "delay", "errors", NULL};

static int rotating_open(struct log_handler *h, const cJSON *kwargs)
{
	struct rotating *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->f.fd = -1;
	h->state = r;
	int err = kwarg_int(kwargs, "maxBytes", 0, &r->max_bytes);
	if (!err)
		err = kwarg_int(kwargs, "backupCount", 0, &r->backup_count);
	/* maxBytes > 0 makes the mode 'a', as in Python */
	return err ? err : file_setup(&r->f, kwargs, r->max_bytes > 0);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int rename_over(const char *from, const char *to)
{
	if (exists(to) && unlink(to) < 0)
		return osfs_refuse(errno, "cannot remove %s: %s", to, strerror(errno));
	if (rename(from, to) < 0)
		return osfs_refuse(errno, "cannot rename %s: %s", from, strerror(errno));
	return 0;
}

static int do_rollover(struct rotating *r)
{
	file_close(&r->f);
	int err = 0;
	if (r->backup_count > 0) {
		char *src = NULL, *dst = NULL;
		for (long long i = r->backup_count - 1; i > 0 && !err; i--) {
			if (asprintf(&src, "%s.%lld", r->f.path, i) < 0 ||
			    asprintf(&dst, "%s.%lld", r->f.path, i + 1) < 0)
				err = -ENOMEM;
			else if (exists(src))
				err = rename_over(src, dst);
			free(src);
			free(dst);
			src = dst = NULL;
		}
		if (!err && asprintf(&dst, "%s.1", r->f.path) < 0)
			err = -ENOMEM;
		if (!err && exists(r->f.path))
			err = rename_over(r->f.path, dst);
		free(dst);
	}
	return err ? err : r->f.delay ? 0 : file_open(&r->f);
}

/* Python's shouldRollover compares the file's size plus the record's length in
 * characters (not bytes) with maxBytes; never for anything but a regular file. */
static size_t chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

static int rotating_emit(struct log_handler *h, const char *text, const struct log_out *rec, size_t n)
{
	struct rotating *r = h->state;
	size_t run = 0; /* the records not yet written start here */
	for (size_t i = 0; i < n; i++) {
		size_t start = i ? rec[i - 1].end : 0;
		struct stat st;
		if (stat(r->f.path, &st) == 0 && !S_ISREG(st.st_mode))
			continue;
		if (r->f.fd < 0) {
			int err = file_open(&r->f);
			if (err)
				return err;
		}
		if (r->max_bytes <= 0)
			continue;
		off_t size = lseek(r->f.fd, 0, SEEK_END);
		if (size >= 0 && (long long)size + (long long)(start - run) +
					 (long long)chars(text + start, rec[i].end - start) >= r->max_bytes) {
			int err = write_all(r->f.fd, text + run, start - run);
			if (!err)
				err = do_rollover(r);
			if (err)
				return err;
			run = start;
			if (r->f.fd < 0 && (err = file_open(&r->f)))
				return err;
		}
	}
	int err = file_ready(&r->f);
	return err ? err : write_all(r->f.fd, text + run, (n ? rec[n - 1].end : 0) - run);
}

const struct handler_class rotating_handler = {
	.name = "logging.handlers.RotatingFileHandler",
	.params = params,
	.open = rotating_open,
	.emit = rotating_emit,
	.close = file_handler_close,
};
