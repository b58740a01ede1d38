/* Refusals: how osfs says no.  A module function that refuses a request returns
 * osfs_refuse(ERR, "message for a person", ...), which is -ERR; the message waits in
 * thread-local storage until the caller (the FUSE adapter, a test) collects it with
 * osfs_refusal().  The errors log keeps the most recent refusals as the lines
 * `TIME PID NODE ERRNAME: message`, bounded in memory and shared out by uid. */
#ifndef OSFS_REFUSE_H
#define OSFS_REFUSE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "buf.h"

#define OSFS_ERRLOG_LINES 512  /* lines kept in all; see osfs_errlog_add_as */
#define OSFS_REFUSAL_MAX  2048 /* bytes of message kept per refusal */

int osfs_refuse(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A refusal that explains the last one: "prefix: <the last refusal's message>"
 * (as Python chains "Unable to configure handler 'h'" to its cause).  -err. */
int osfs_refuse_prefix(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of this thread's last refusal ("" if none), and forgetting it. */
const char *osfs_refusal(void);
void osfs_refusal_clear(void);
/* A refusal already reported (the rest of a line refused earlier): answered, not
 * logged again.  -err. */
int osfs_refuse_quietly(int err);
bool osfs_refusal_quiet(void);

/* Appends one line to the errors log, charged to uid (the one refused): when the
 * log is full, the oldest line of the uid with the most lines is dropped, so that
 * nobody can flush another's lines.  msg NULL means this thread's last refusal,
 * or strerror(err) when there is none.  osfs_errlog_add charges the daemon's uid. */
void osfs_errlog_add_as(uid_t uid, pid_t pid, const char *node, int err, const char *msg);
void osfs_errlog_add(pid_t pid, const char *node, int err, const char *msg);
/* The log as text, oldest line first. */
void osfs_errlog_dump(struct osfs_buf *out);
/* The log as a file that only grows: its bytes are numbered from the daemon's
 * start, so that a reader that follows it (tail -f) sees what is new.  The end of
 * that file (every byte ever logged) and when the last line came. */
void osfs_errlog_extent(uint64_t *end, struct timespec *changed);
/* Appends to out at most size bytes of the log from position pos (whole or part
 * lines, as long as they follow each other), or from the first line still held
 * after pos when pos is no longer held; returns the position after the last byte
 * appended (the end, when nothing is). */
uint64_t osfs_errlog_read(uint64_t pos, size_t size, struct osfs_buf *out);
/* Lines logged since start, including dropped ones. */
unsigned long osfs_errlog_count(void);
void osfs_errlog_clear(void);

#endif
