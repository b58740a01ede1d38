/* What FileHandler and its subclasses share: the file's path, how it is opened,
 * and its descriptor (-1 until opened, with delay). */
#ifndef OSFS_LOGGING_FILE_H
#define OSFS_LOGGING_FILE_H

#include <cjson/cJSON.h>

struct file {
	char *path;
	int flags;
	int fd;
	int delay;
};

/* filename, mode, encoding, delay from a handler's keyword arguments; append_only
 * forces mode 'a' (as rotation does). Opens the file unless delay. */
int file_setup(struct file *f, const cJSON *kwargs, int append_only);
int file_open(struct file *f);
void file_close(struct file *f);
void file_release(struct file *f);
/* Opens the file if it is not open yet (delay): 0 or -errno. */
int file_ready(struct file *f);
/* The close of every class whose state begins with a struct file. */
struct log_handler;
void file_handler_close(struct log_handler *h);
/* An integer keyword argument (maxBytes, backupCount, interval): 0 or -EINVAL. */
int kwarg_int(const cJSON *kwargs, const char *key, long long dflt, long long *out);

#endif
