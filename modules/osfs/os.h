/* os: Python's os module as facts about this machine and about a calling process.
 * Calls that describe "the caller" take its thread id (what FUSE reports) and read
 * /proc, as /proc/self would for that process. */
#ifndef OSFS_OS_H
#define OSFS_OS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "kv.h"

struct osfs_named {
	const char *name; /* as Python spells it: "SC_ARG_MAX", "RLIMIT_NOFILE" */
	int value;
};

/* os.sysconf_names, os.confstr_names, the resource limits: ordered by name. */
const struct osfs_named *osfs_sysconf_names(size_t *count);
const struct osfs_named *osfs_confstr_names(size_t *count);
const struct osfs_named *osfs_rlimit_names(size_t *count);
const struct osfs_named *osfs_named_find(const struct osfs_named *t, size_t n, const char *name);

/* os.sysconf(NAME) and os.confstr(NAME): 0, or -errno after osfs_refuse(). */
int osfs_sysconf(const char *name, long *value);
int osfs_confstr(const char *name, struct osfs_buf *out);

/* os.getloadavg(), three floats as Python prints them, one per line. */
int osfs_loadavg(struct osfs_buf *out);

/* A signal by number, name ("SIGTERM", "TERM", any case) or SIGRTMIN+N/SIGRTMAX-N. */
int osfs_signal_parse(const char *text, int *sig);

/* What /proc/TID/status says of a thread's process. */
struct osfs_proc {
	pid_t tid, pid, ppid;
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	gid_t groups[256];
	int ngroups;
	char comm[64];
};
int osfs_proc_read(pid_t tid, struct osfs_proc *p);

/* Who acts: the thread that made a request, taken while it waits for the answer
 * (it is blocked in its write(), so it cannot exit or exec meanwhile), pinned with a
 * pidfd and checked against the credentials the kernel sent with the request
 * (fsuid, fsgid).  An identity is kept with what it wrote and used as it is, later
 * too (at close): nothing is read from /proc again. */
struct osfs_ident {
	pid_t pid, tid;
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	char comm[64]; /* as /proc/TID/status shows it (a newline escaped by the kernel) */
	char *exe;     /* the executable's path, or NULL; owned */
};
/* 0, or -errno after osfs_refuse() (ESRCH: the thread is gone, or is another one). */
int osfs_ident_take(pid_t tid, uid_t fsuid, gid_t fsgid, struct osfs_ident *who);
/* The same process, as the same program, with the same credentials? */
int osfs_ident_same(const struct osfs_ident *a, const struct osfs_ident *b);
void osfs_ident_free(struct osfs_ident *who);

/* os.kill(PID, SIGNAL) asked by `caller`: "PID SIGNAL".  Refused with EPERM unless
 * the caller, as it was when it asked, may signal that process. */
int osfs_kill_request(const char *request, const struct osfs_ident *caller);

/* The caller's own view: os.times(), os.get_terminal_size(), its environment. */
int osfs_proc_times(pid_t pid, struct osfs_kv *out);
int osfs_proc_terminal_size(pid_t pid, struct osfs_kv *out);
int osfs_proc_environ(pid_t pid, struct osfs_kv *out);
int osfs_proc_cmdline(pid_t pid, struct osfs_buf *out);
int osfs_proc_link(pid_t pid, const char *which, struct osfs_buf *out);
int osfs_proc_affinity(pid_t tid, struct osfs_buf *out, int *count);
int osfs_proc_rlimit(pid_t pid, const char *name, struct osfs_kv *out);

/* The daemon's own environment store (os.environ): a copy of the daemon's
 * environment at start, changed only through these calls. */
void osfs_environ_init(char **envp);
void osfs_environ_fini(void);
int osfs_environ_get(const char *name, struct osfs_buf *out);
int osfs_environ_set(const char *name, const char *value);
int osfs_environ_unset(const char *name);
void osfs_environ_all(struct osfs_kv *out);
int osfs_environ_valid_name(const char *name);

#endif
