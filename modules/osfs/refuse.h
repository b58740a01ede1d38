/* Refusals: how osfs says no.  A module function that refuses a request returns
 * osfs_refuse(ERR, "message for a person", ...), which is -ERR; the message waits in
 * thread-local storage until the caller (the FUSE adapter, a test) collects it with
 * osfs_refusal().  The errors log keeps the most recent refusals as the lines
 * `TIME PID NODE ERRNAME: message`, bounded in memory. */
#ifndef OSFS_REFUSE_H
#define OSFS_REFUSE_H

#include <sys/types.h>

#include "buf.h"

#define OSFS_ERRLOG_LINES 512  /* lines kept; older ones are dropped */
#define OSFS_REFUSAL_MAX  400  /* bytes of message kept per refusal */

int osfs_refuse(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of this thread's last refusal ("" if none), and forgetting it. */
const char *osfs_refusal(void);
void osfs_refusal_clear(void);

/* Appends one line to the errors log; msg NULL means this thread's last refusal,
 * or strerror(err) when there is none. */
void osfs_errlog_add(pid_t pid, const char *node, int err, const char *msg);
/* The log as text, oldest line first. */
void osfs_errlog_dump(struct osfs_buf *out);
/* Lines logged since start, including dropped ones. */
unsigned long osfs_errlog_count(void);
void osfs_errlog_clear(void);

#endif
