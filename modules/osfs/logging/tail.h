/* A logger's live view (loggers/NAME/tail): every reader has a bounded buffer of
 * the formatted records that reach that logger's handlers in Logger.callHandlers'
 * walk (its own records past its level, disabled flag and filters, and those
 * propagated up from its children), as a handler of level NOTSET there would get
 * them.  A reader that falls behind loses its oldest records, and is told how many
 * by one line in their place.  With no reader open, the record path pays one
 * relaxed load. */
#ifndef OSFS_LOGGING_TAIL_H
#define OSFS_LOGGING_TAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../buf.h"

/* A reader's buffer holds at most this many bytes of records (README, Limits). */
#define LOG_TAIL_BUFFER (256u << 10)
/* The line that stands for records a reader lost, at least this long. */
#define LOG_TAIL_NOTICE "--- osfs: %lu records dropped ---\n"

struct log_tail;

/* Called, with the reader locked, when its buffer had nothing to read and has now:
 * by the writer, which it must not hold up (no waiting in it). */
typedef void log_tail_wake_fn(void *ctx);

/* A new reader of logger's records, from now on: 0 or -errno after osfs_refuse(). */
int log_tail_open(const char *logger, log_tail_wake_fn *wake, void *ctx, struct log_tail **out);
/* Closes it (not locked). */
void log_tail_close(struct log_tail *t);

/* The reader's lock: what the reading side keeps with it (waiting reads, poll
 * handles) is guarded by it too, and wake runs under it. */
void log_tail_lock(struct log_tail *t);
void log_tail_unlock(struct log_tail *t);
/* Bytes ready to read (locked). */
size_t log_tail_ready(const struct log_tail *t);
/* Moves up to size ready bytes into out (locked): the records in order, a record
 * split only when it is longer than size, and the lost-records line where records
 * were lost.  Returns the bytes moved. */
size_t log_tail_take(struct log_tail *t, char *out, size_t size);

/* The bytes of records logger's tail has given since a reader last opened it with
 * none open, and when the last came (0 when none is open): its size, as a log's. */
void log_tail_extent(const char *logger, uint64_t *end, struct timespec *changed);

/* loggers/NAME/tail_formatter: the formatter the tail shows records with; empty,
 * Python's logging.BASIC_FORMAT ("%(levelname)s:%(name)s:%(message)s"). */
int log_tail_formatter_get(const char *logger, struct osfs_buf *out);
int log_tail_formatter_set(const char *logger, const char *formatter);

/* Calls emit for each logger whose tail_formatter is set (the state file keeps them). */
void log_tail_formatters(void (*emit)(void *ctx, const char *logger, const char *formatter),
                         void *ctx);

/* Readers open: the record path's one check. */
extern unsigned log_tail_readers;

#endif
