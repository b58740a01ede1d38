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
/* The value of a name of the table, or of a number given instead (as Python takes
 * an int): 0, or -ENOENT. */
int osfs_named_value(const struct osfs_named *t, size_t n, const char *name, int *value);

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
 * too (at close): nothing is read from /proc again.  Identities are shared and
 * never change: osfs_ident_put() when done (ident.c). */
#define OSFS_IDENT_COMM 0x1u /* the thread's name: processName, threadName */
#define OSFS_IDENT_EXE 0x2u  /* the executable's path: pathname, filename, module */
struct osfs_ident {
	pid_t pid, tid;
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	unsigned known; /* OSFS_IDENT_*: what was read of the name and the executable */
	char comm[64];  /* as /proc/TID/status shows it (a newline escaped by the kernel) */
	char *exe;      /* the executable's path, or NULL (unknown, or not asked for) */
	unsigned refs;
};
/* want: OSFS_IDENT_* beyond the ids, which are always read.  0 with *who, or
 * -errno after osfs_refuse() (ESRCH: the thread is gone, or is another one). */
int osfs_ident_take(pid_t tid, uid_t fsuid, gid_t fsgid, unsigned want, struct osfs_ident **who);
struct osfs_ident *osfs_ident_hold(struct osfs_ident *who);
void osfs_ident_put(struct osfs_ident *who); /* NULL is fine */
/* The same process, with the same credentials (and the same program, where both
 * know it)? */
int osfs_ident_same(const struct osfs_ident *a, const struct osfs_ident *b);
/* Closes what the cache keeps of the threads that wrote (at shutdown). */
void osfs_ident_forget_all(void);

/* os.kill(PID, SIGNAL) asked by the process `caller`: "PID SIGNAL", PID > 0 a
 * process, 0 the caller's group, -1 every process, < -1 the group -PID.  Each
 * process is signalled only if the caller itself may (kill(2)'s rule), with
 * kill(2)'s answer for a group.  os.killpg(PGID, SIGNAL) the same: "PGID SIGNAL".
 * The caller as it was when it wrote the request (a line finished at close too). */
int osfs_kill_request(const char *request, const struct osfs_ident *caller);
int osfs_killpg_request(const char *request, const struct osfs_ident *caller);

/* The integer constants of Python's os module by family (O, SEEK, SCHED ...), with
 * this machine's values; each family and the whole list ordered by name. */
struct osfs_const {
	const char *name;
	long long value;
};
struct osfs_const_family {
	const char *name; /* the prefix: "O", "SEEK", "OK" (F_OK R_OK W_OK X_OK) */
	const char *doc;
	struct osfs_const *consts;
	size_t count;
};
const struct osfs_const_family *osfs_const_families(size_t *count);
const struct osfs_const_family *osfs_const_family_find(const char *name);
const struct osfs_const *osfs_consts(size_t *count);
const struct osfs_const *osfs_const_find(const char *name);

/* Random bytes: os.urandom(n) and os.getrandom(n, flags) ("N" or "N,FLAGS"). */
#define OSFS_RANDOM_MAX (1 << 20) /* bytes at once; more is ERANGE */
int osfs_random_size(const char *text, size_t *n);
int osfs_urandom(size_t n, struct osfs_buf *out);
int osfs_getrandom_parse(const char *spec, size_t *n, unsigned *flags);
int osfs_getrandom(size_t n, unsigned flags, struct osfs_buf *out);

/* os.getgrouplist(user, its own group), one gid per line. */
int osfs_grouplist(const char *user, struct osfs_buf *out);

/* A path named by `caller`, opened as the caller would open it (its directory, its
 * root, its uid, gid and groups): 0 with *fd set, or -errno with Python's message. */
int osfs_open_as(const struct osfs_proc *caller, const char *path, int flags, int *fd);
/* The refusal Python's OSError for a path prints: [Errno 2] No such file...: 'p' */
int osfs_path_error(int err, const char *path);
/* os.statvfs(path) and os.pathconf(path, name) for the caller; os.pathconf_names. */
int osfs_statvfs(const struct osfs_proc *caller, const char *path, struct osfs_kv *out);
int osfs_pathconf(const struct osfs_proc *caller, const char *path, const char *name,
		  long *value);
const struct osfs_named *osfs_pathconf_names(size_t *count);

/* Priorities and scheduling (sched.c).  Reading is anyone's, as in Python; a
 * change is made only if `caller` itself could make it (the kernel's checks of the
 * calling process, made of the caller).  A pid or who of 0 means the caller's own
 * (its thread, process group or real uid). */
int osfs_getpriority(int which, id_t who, const struct osfs_proc *caller, int *nice);
int osfs_setpriority(int which, id_t who, int nice, const struct osfs_proc *caller);
int osfs_nice_set(const struct osfs_proc *caller, int nice); /* os.nice(): EPERM */
int osfs_affinity_set(pid_t pid, const char *cpus, const struct osfs_proc *caller);
int osfs_sched_get(pid_t pid, const struct osfs_proc *caller, struct osfs_kv *out);
/* "POLICY PRIORITY" (POLICY a number or SCHED_ name, |SCHED_RESET_ON_FORK), or the
 * policy= and priority= lines osfs_sched_get() gives. */
int osfs_sched_set(pid_t pid, const char *request, const struct osfs_proc *caller);
int osfs_sched_priority_limit(const char *policy, int max, int *value);
int osfs_rr_interval(pid_t pid, const struct osfs_proc *caller, struct osfs_buf *out);

/* What only /proc tells of a process (procfs.c). */
struct osfs_proc_stat {
	char state;
	int ppid, pgrp, session, tty_nr, tpgid;
};
int osfs_proc_stat(pid_t pid, struct osfs_proc_stat *st);
int osfs_proc_status_field(pid_t tid, const char *key, char *out, size_t size);
int osfs_proc_capable(pid_t tid, int cap); /* 1, 0, or -errno */
/* Whether pid has a descriptor open on inode number ino: 1, 0, or -errno. */
int osfs_proc_holds(pid_t pid, unsigned long long ino);

/* The caller's terminals (tty.c): os.get_terminal_size() of its descriptors 0, 1,
 * 2 or else its controlling terminal; os.ttyname(fd); os.tcgetpgrp() of its
 * controlling terminal; os.getlogin(). */
int osfs_proc_terminal_size(pid_t pid, struct osfs_kv *out);
int osfs_proc_ttyname(pid_t pid, int fd, struct osfs_buf *out);
int osfs_proc_tcgetpgrp(pid_t pid, pid_t *pgrp);
int osfs_proc_login(pid_t pid, struct osfs_buf *out);

/* The caller's own view: os.times(), its environment. */
int osfs_proc_times(pid_t pid, struct osfs_kv *out);
int osfs_proc_environ(pid_t pid, struct osfs_kv *out);
int osfs_proc_cmdline(pid_t pid, struct osfs_buf *out);
int osfs_proc_link(pid_t pid, const char *which, struct osfs_buf *out);
int osfs_proc_affinity(pid_t tid, struct osfs_buf *out, int *count);
int osfs_proc_rlimit(pid_t pid, const char *name, struct osfs_kv *out);
/* prlimit(pid, resource) to read, or where that is not permitted (another user's
 * process without CAP_SYS_RESOURCE), /proc/PID/limits: 0 or -errno. */
struct rlimit;
int osfs_getrlimit(pid_t pid, int resource, struct rlimit *lim);

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
