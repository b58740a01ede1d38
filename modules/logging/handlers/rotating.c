/* logging.handlers.RotatingFileHandler: before a record that would bring the file
 * to maxBytes, base.N becomes base.N+1 (up to backupCount), base becomes base.1,
 * and writing goes on in a new base, as Python's doRollover does: by name, in the
 * handler's directory (file.h), never following a link planted there. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

#define SHIFT_BY_LOOP 4096 /* backupCount up to this: Python's loop; beyond, the names found */

struct rotating {
	struct file f;
	long long max_bytes, backup_count;
};

static const char *const params[] = {"filename", "mode", "maxBytes", "backupCount", "encoding",
				     "delay", "errors", NULL};
static const struct handler_attr attrs[] = {
	{"terminator", ATTR_STR, 0}, {"maxBytes", ATTR_INT, 0}, {"backupCount", ATTR_INT, 1}, {NULL, 0, 0}};

static int rotating_open(struct log_handler *h, const cJSON *kwargs)
{
	struct rotating *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->f.fd = r->f.dir = -1;
	h->state = r;
	int err = kwarg_int(kwargs, "maxBytes", 0, &r->max_bytes);
	if (!err)
		err = kwarg_int(kwargs, "backupCount", 0, &r->backup_count);
	/* maxBytes > 0 makes the mode 'a', as in Python; the '.' key's comes after */
	if (!err)
		err = file_setup(&r->f, kwargs, r->max_bytes > 0);
	return err ? err : kwarg_int(h->props, "maxBytes", r->max_bytes, &r->max_bytes);
}

static int exists(struct rotating *r, const char *name) /* NULL: the base */
{
	struct stat st;
	return file_stat(&r->f, name, &st) == 0;
}

/* base.i, in a buffer of the caller's. */
static const char *backup(struct rotating *r, long long i, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%lld", r->f.base, i);
	return buf;
}

static int by_number_down(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The backups that exist, highest first: Python tries every i from backupCount-1
 * down to 1; past SHIFT_BY_LOOP only those the directory holds are tried. */
static long long *existing_backups(struct rotating *r, size_t *n)
{
	long long *found = NULL;
	*n = 0;
	if (r->backup_count - 1 <= SHIFT_BY_LOOP) {
		char name[4200];
		for (long long i = r->backup_count - 1; i > 0; i--) {
			if (!exists(r, backup(r, i, name, sizeof name)))
				continue;
			long long *p = realloc(found, (*n + 1) * sizeof *p);
			if (!p)
				break;
			found = p;
			found[(*n)++] = i;
		}
		return found;
	}
	int fd = file_dir_fd(&r->f);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	size_t blen = strlen(r->f.base);
	for (struct dirent *e; d && (e = readdir(d));) {
		const char *s = e->d_name + blen + 1;
		if (strncmp(e->d_name, r->f.base, blen) != 0 || e->d_name[blen] != '.' || *s < '1' || *s > '9')
			continue;
		char *end;
		long long i = strtoll(s, &end, 10);
		if (*end || i < 1 || i > r->backup_count - 1)
			continue;
		long long *p = realloc(found, (*n + 1) * sizeof *p);
		if (!p)
			break;
		found = p;
		found[(*n)++] = i;
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(found, *n, sizeof *found, by_number_down);
	return found;
}

static int rename_over(struct rotating *r, const char *from, const char *to)
{
	int err = exists(r, to) ? file_unlink(&r->f, to) : 0;
	return err ? err : file_rename(&r->f, from, to);
}

static int do_rollover(struct rotating *r)
{
	file_close(&r->f);
	int err = 0;
	if (r->backup_count > 0) {
		size_t n;
		long long *have = existing_backups(r, &n);
		char src[4200], dst[4200];
		for (size_t k = 0; k < n && !err; k++)
			err = rename_over(r, backup(r, have[k], src, sizeof src),
					  backup(r, have[k] + 1, dst, sizeof dst));
		free(have);
		backup(r, 1, dst, sizeof dst);
		if (!err && exists(r, dst))
			err = file_unlink(&r->f, dst);
		if (!err && exists(r, NULL))
			err = file_rename(&r->f, r->f.base, dst);
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

static int rotating_emit(struct log_handler *h, struct log_emit *e)
{
	struct rotating *r = h->state;
	struct stat st;
	int regular = file_stat(&r->f, NULL, &st) != 0 || S_ISREG(st.st_mode);
	int err = file_ready(&r->f);
	if (err)
		return err;
	size_t run = 0; /* the records not yet written start here */
	off_t size = regular && r->max_bytes > 0 ? lseek(r->f.fd, 0, SEEK_END) : -1;
	for (size_t i = 0; size >= 0 && i < e->n; i++) {
		size_t start = i ? e->rec[i - 1].end : 0, written = run ? e->rec[run - 1].end : 0;
		if ((long long)size + (long long)(start - written) +
			    (long long)chars(e->text + start, e->rec[i].end - start) < r->max_bytes)
			continue;
		if ((err = file_write(&r->f, e, run, i)) || (err = do_rollover(r)))
			return err;
		run = i;
		if (r->f.fd < 0 && (err = file_open(&r->f)))
			return err;
		size = lseek(r->f.fd, 0, SEEK_END);
	}
	return file_write(&r->f, e, run, e->n);
}

/* doRollover(), asked for: whatever the size (Python's rotates even when empty). */
static int rotating_rollover(struct log_handler *h)
{
	return do_rollover(h->state);
}

const struct handler_class rotating_handler = {
	.name = "logging.handlers.RotatingFileHandler",
	.params = params,
	.attrs = attrs,
	.commit = file_handler_commit,
	.open = rotating_open,
	.emit = rotating_emit,
	.release = file_handler_release,
	.rollover = rotating_rollover,
	.reopen = file_handler_reopen,
	.close = file_handler_close,
};
