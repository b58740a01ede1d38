/* What FileHandler and its subclasses (and StreamHandler with a path) share: the
 * file's path, the directory it is in, how it is opened, and how records are
 * appended to it.
 *
 * Opening never blocks and never follows a link another user could have planted:
 * the path is walked one directory at a time (openat, O_NOFOLLOW); a symbolic
 * link is followed only in a directory no other user can write; in a directory
 * others can write (world- or group-writable, or another user's) the file itself
 * must be no link, have one name only, and be the daemon's or the directory
 * owner's.  The target must be a regular file or a character device (a FIFO
 * would block: refused).  Renames and reopens of rotation happen in the directory
 * found when the handler was made (its descriptor), never through the path again. */
#ifndef OSFS_LOGGING_FILE_H
#define OSFS_LOGGING_FILE_H

#include <sys/stat.h>

#include <cjson/cJSON.h>

struct log_emit;

struct file {
	char *path;  /* absolute, as configured (for messages) */
	int flags;   /* O_WRONLY|O_APPEND|O_CREAT, O_TRUNC until first opened, ... */
	int fd;      /* -1 until opened (delay) */
	int delay;
	int dir;     /* the directory's O_PATH descriptor, -1 until walked */
	char *base;  /* the name in it */
	int shared;  /* other users can change the directory's entries */
	uid_t dir_uid;
	int torn;    /* the last write left part of a record that could not be taken back */
	int created; /* made by the configuration being committed (dev, ino): undone on failure */
	dev_t dev;
	ino_t ino;
};

/* filename, mode, encoding, delay from a handler's keyword arguments; append_only
 * forces mode 'a' (as rotation does).  Checks, unless delay, that the file can be
 * opened (file_check); the class's commit (file_handler_commit) opens it. */
int file_setup(struct file *f, const cJSON *kwargs, int append_only);
/* Whether the file can be opened as it will be, with no effect on disk: the path
 * walked, an existing target examined, a missing one creatable. */
int file_check(struct file *f);
/* The commit of every class whose state begins with a struct file: opens (and
 * creates) the file, truncates it for mode 'w' once every handler has opened,
 * removes it again if this commit created it and the configuration fails. */
struct log_handler;
int file_handler_commit(struct log_handler *h, int step);
int file_open(struct file *f);
void file_close(struct file *f);
void file_release(struct file *f);
/* Opens the file if it is not open yet (delay): 0 or -errno. */
int file_ready(struct file *f);
/* Closes the file and opens it again by its name (unless delay: then at the next
 * record): 0 or -errno.  The reopen of every class whose state begins with a
 * struct file. */
int file_reopen(struct file *f);
struct log_handler;
int file_handler_reopen(struct log_handler *h);
/* stat of a name in the directory (NULL: the file's own), following a link as
 * os.stat(baseFilename) does (a stat writes nothing): 0 or -errno. */
int file_stat(struct file *f, const char *name, struct stat *st);
/* Rotation, inside the file's directory: names are base + suffix. */
int file_rename(struct file *f, const char *from, const char *to);
int file_unlink(struct file *f, const char *name);
/* A descriptor of the directory to read (fdopendir): -errno on failure. */
int file_dir_fd(struct file *f);
/* Records [from, to) of e appended, each whole or not at all: a record the disk
 * took only in part is cut off again (the file truncated where it began), else
 * the next write starts on a fresh line.  e->sent becomes to, or the number of
 * records that reached the file. */
int file_write(struct file *f, struct log_emit *e, size_t from, size_t to);
/* The close of every class whose state begins with a struct file. */
struct log_handler;
void file_handler_close(struct log_handler *h);
/* Their Handler.close() at logging.shutdown: the file closed, opened again by the
 * next record. */
void file_handler_release(struct log_handler *h);
/* An integer keyword argument (maxBytes, backupCount, interval): 0 or -EINVAL. */
int kwarg_int(const cJSON *kwargs, const char *key, long long dflt, long long *out);

#endif
