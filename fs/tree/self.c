/* os/self/: the calling process, from the FUSE request context and /proc, as
 * /proc/self does: a child reading the same path sees itself. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "osfs/errno.h"
#include "osfs/os.h"
#include "osfs/refuse.h"

int tree_caller(const struct req *rq, struct osfs_proc *p)
{
	return osfs_proc_read(rq->tid, p);
}

/* One row per number of struct osfs_proc: its offset and type there. */
struct proc_field {
	size_t offset;
	int is_pid; /* pid_t, else uid_t/gid_t */
};

static int show_proc_field(struct osfs_buf *out, const struct req *rq)
{
	const struct proc_field *f = rq->node->data;
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	if (err)
		return err;
	const char *at = (const char *)&p + f->offset;
	if (f->is_pid) {
		pid_t v;
		memcpy(&v, at, sizeof v);
		osfs_buf_printf(out, "%d\n", (int)v);
	} else {
		uid_t v;
		memcpy(&v, at, sizeof v);
		osfs_buf_printf(out, "%u\n", (unsigned)v);
	}
	return 0;
}

#define PROC_ROW(n, member, pid_, doc_)                                                   \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,             \
	 .show = show_proc_field,                                                          \
	 .data = &(const struct proc_field){offsetof(struct osfs_proc, member), (pid_)}, \
	 .doc = (doc_)}

/* getpgid() and getsid() of the caller's process: the row's data is the call. */
static int show_pid_of(struct osfs_buf *out, const struct req *rq)
{
	pid_t (*call)(pid_t) = rq->node->data;
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	pid_t v = err ? -1 : call(p.pid);
	if (!err && v < 0)
		err = osfs_refuse(errno, "%s: %s", rq->node->name, strerror(errno));
	if (!err)
		osfs_buf_printf(out, "%d\n", (int)v);
	return err;
}

static int show_groups(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	for (int i = 0; !err && i < p.ngroups; i++)
		osfs_buf_printf(out, "%u\n", (unsigned)p.groups[i]);
	return err;
}

static int show_link(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_proc_link(p.pid, rq->node->data, out);
}

static int show_cmdline(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_proc_cmdline(p.pid, out);
}

/* nice, affinity: per thread, as os.nice(0) and sched_getaffinity(0) see them;
 * writable by the reader for itself, with its own rights. */
static int show_nice(struct osfs_buf *out, const struct req *rq)
{
	errno = 0;
	int v = getpriority(PRIO_PROCESS, (id_t)rq->tid);
	if (v == -1 && errno)
		return osfs_refuse(errno, "getpriority: %s", strerror(errno));
	osfs_buf_printf(out, "%d\n", v);
	return 0;
}

static int store_nice(const char *value, const struct req *rq)
{
	struct osfs_proc p;
	int nice;
	if (osfs_parse_int(value + strspn(value, " \t"), &nice) < 0)
		return osfs_refuse(EINVAL, "'%s' is not a niceness (a number, -20 to 19)", value);
	int err = tree_caller(rq, &p);
	return err ? err : osfs_nice_set(&p, nice);
}

static int show_affinity(struct osfs_buf *out, const struct req *rq)
{
	int count;
	return osfs_proc_affinity(rq->tid, out, &count);
}

static int store_affinity(const char *value, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_affinity_set(0, value, &p);
}

int show_process_cpu_count(struct osfs_buf *out, const struct req *rq)
{
	int count;
	int err = osfs_proc_affinity(rq->tid, NULL, &count);
	if (!err)
		osfs_buf_printf(out, "%d\n", count);
	return err;
}

static int times_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_proc_times(p.pid, kv);
}

/* environ/NAME: the caller's own environment. */
static int caller_environ(const struct req *rq, struct osfs_kv *env)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_proc_environ(p.pid, env);
}

static int terminal_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_proc_terminal_size(p.pid, kv);
}

/* os.getresuid() and getresgid(): one id per line. */
static int show_resids(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	if (!err && rq->node->data)
		osfs_buf_printf(out, "%u\n%u\n%u\n", (unsigned)p.gid, (unsigned)p.egid, (unsigned)p.sgid);
	else if (!err)
		osfs_buf_printf(out, "%u\n%u\n%u\n", (unsigned)p.uid, (unsigned)p.euid, (unsigned)p.suid);
	return err;
}

/* The umask, read without changing it, as the kernel shows it (octal, as umask(1)). */
static int show_umask(struct osfs_buf *out, const struct req *rq)
{
	char v[16];
	int err = osfs_proc_status_field(rq->tid, "Umask", v, sizeof v);
	if (!err)
		osfs_buf_printf(out, "%s\n", v);
	return err;
}

static int show_login(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	if (!err)
		err = osfs_proc_login(p.pid, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

/* os.get_exec_path(): the reader's PATH split at ':', or os.defpath without one. */
static int show_exec_path(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_kv env = {0};
	int err = caller_environ(rq, &env);
	const char *path = osfs_kv_get(&env, "PATH");
	for (const char *p = path ? path : "/bin:/usr/bin"; !err;) {
		size_t len = strcspn(p, ":");
		osfs_buf_printf(out, "%.*s\n", (int)len, p);
		if (!p[len])
			break;
		p += len + 1;
	}
	osfs_kv_free(&env);
	return err;
}

static int show_ctermid(struct osfs_buf *out, const struct req *rq)
{
	char name[L_ctermid];
	osfs_buf_printf(out, "%s\n", ctermid(name));
	return 0;
}

static int show_tcgetpgrp(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	pid_t pgrp;
	int err = tree_caller(rq, &p);
	if (!err)
		err = osfs_proc_tcgetpgrp(p.pid, &pgrp);
	if (!err)
		osfs_buf_printf(out, "%d\n", (int)pgrp);
	return err;
}

/* ttyname/FD */
static int match_fd(const char *name, const struct req *rq)
{
	int fd;
	if (osfs_parse_int(name, &fd) < 0 || fd < 0)
		return osfs_refuse(ENOENT, "'%s' is not a file descriptor", name);
	return 0;
}

static int show_ttyname(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc p;
	int fd = -1;
	osfs_parse_int(rq->arg, &fd);
	int err = tree_caller(rq, &p);
	if (!err)
		err = osfs_proc_ttyname(p.pid, fd, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

static int match_env(const char *name, const struct req *rq)
{
	struct osfs_kv env = {0};
	int err = caller_environ(rq, &env);
	if (!err && !osfs_kv_get(&env, name))
		err = osfs_refuse(ENOENT, "'%s' is not in the caller's environment", name);
	osfs_kv_free(&env);
	return err;
}

static int list_env(emit_fn *emit, void *ctx, const struct req *rq)
{
	struct osfs_kv env = {0};
	int err = caller_environ(rq, &env);
	for (size_t i = 0; !err && i < env.count; i++)
		emit(ctx, env.fields[i].key);
	osfs_kv_free(&env);
	return err;
}

static int show_env(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_kv env = {0};
	int err = caller_environ(rq, &env);
	const char *v = err ? NULL : osfs_kv_get(&env, rq->arg);
	if (!err && !v)
		err = osfs_refuse(ENOENT, "'%s' is not in the caller's environment", rq->arg);
	if (!err)
		osfs_buf_printf(out, "%s\n", v);
	osfs_kv_free(&env);
	return err;
}

static int rlimit_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct osfs_proc p;
	int err = tree_caller(rq, &p);
	return err ? err : osfs_proc_rlimit(p.pid, rq->arg, kv);
}

/* A value of the caller: CALLER(extra flags, name, doc, .show = fn or .fields = fn, ...) */
#define CALLER(flags_, n, doc_, ...) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER | (flags_), .doc = (doc_), \
	 __VA_ARGS__}

static const struct node env_each = {.kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,
				     .show = show_env, .doc = "the caller's environment variable"};
static const struct dir env_dir = {.each = &env_each, .match = match_env, .list = list_env};

static const struct node ttyname_each = {.kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,
					 .show = show_ttyname, .doc = "os.ttyname(FD) of the caller"};
static const struct dir ttyname_dir = {.each = &ttyname_each, .match = match_fd};

static const struct node rlimit_each = {.kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER,
					.fields = rlimit_fields,
					.doc = "resource.getrlimit(): soft and hard, -1 for none"};
static const struct dir rlimit_dir = {.each = &rlimit_each, .match = match_named,
				      .list = list_named};

static const struct node self_rows[] = {
	PROC_ROW("pid", pid, 1, "os.getpid() of the caller"),
	PROC_ROW("ppid", ppid, 1, "os.getppid() of the caller"),
	CALLER(0, "pgid", "os.getpgrp() of the caller", .show = show_pid_of, .data = getpgid),
	CALLER(0, "sid", "os.getsid(0) of the caller", .show = show_pid_of, .data = getsid),
	PROC_ROW("uid", uid, 0, "os.getuid() of the caller"),
	PROC_ROW("euid", euid, 0, "os.geteuid() of the caller"),
	PROC_ROW("gid", gid, 0, "os.getgid() of the caller"),
	PROC_ROW("egid", egid, 0, "os.getegid() of the caller"),
	CALLER(0, "groups", "os.getgroups() of the caller, one per line", .show = show_groups),
	{.name = "cwd", .kind = KIND_LINK, .mode = 0777, .flags = NODE_CALLER, .show = show_link,
	 .data = "cwd", .doc = "os.getcwd() of the caller, as a link"},
	{.name = "exe", .kind = KIND_LINK, .mode = 0777, .flags = NODE_CALLER, .show = show_link,
	 .data = "exe", .doc = "the caller's executable, as a link"},
	CALLER(0, "cmdline", "the caller's arguments, one per line", .show = show_cmdline),
	{.name = "environ", .kind = KIND_DIR, .mode = 0555, .flags = NODE_CALLER, .dir = &env_dir,
	 .doc = "the caller's environment: environ/NAME"},
	CALLER(NODE_MAYBE, "terminal_size",
	       "os.get_terminal_size() of the caller's fd 0, 1 or 2, else its terminal: columns, lines",
	       .fields = terminal_fields),
	CALLER(NODE_JSON | NODE_MAYBE, "terminal_size.json", "os.get_terminal_size() of the caller, as JSON",
	       .fields = terminal_fields),
	{.name = "nice", .kind = KIND_SETTING, .mode = 0666, .flags = NODE_CALLER,
	 .show = show_nice, .store = store_nice,
	 .doc = "os.nice(0) of the reading thread; write N to become N, as os.nice would"},
	{.name = "cpu_affinity", .kind = KIND_SETTING, .mode = 0666, .flags = NODE_CALLER,
	 .show = show_affinity, .store = store_affinity,
	 .doc = "os.sched_getaffinity(0), one CPU per line; write CPUs: sched_setaffinity(0)"},
	CALLER(0, "umask", "the caller's umask, octal, read without changing it", .show = show_umask),
	CALLER(0, "resuid", "os.getresuid(): real, effective, saved uid", .show = show_resids),
	CALLER(0, "resgid", "os.getresgid(): real, effective, saved gid", .show = show_resids,
	       .data = "gid"),
	CALLER(NODE_MAYBE, "login", "os.getlogin() of the caller", .show = show_login),
	CALLER(0, "exec_path", "os.get_exec_path() of the caller's PATH, one per line",
	       .show = show_exec_path),
	CONST_ROW("ctermid", show_ctermid, "os.ctermid(): the name of a process's controlling terminal"),
	{.name = "ttyname", .kind = KIND_DIR, .mode = 0555, .flags = NODE_CALLER, .dir = &ttyname_dir,
	 .doc = "os.ttyname(FD) of the caller: ttyname/0"},
	CALLER(NODE_MAYBE, "tcgetpgrp", "os.tcgetpgrp() of the caller's controlling terminal",
	       .show = show_tcgetpgrp),
	{.name = "rlimit", .kind = KIND_DIR, .mode = 0555, .dir = &rlimit_dir,
	 .data = &(const struct named_dir){osfs_rlimit_names, "resource limit"},
	 .doc = "resource.getrlimit() of the caller: rlimit/RLIMIT_NOFILE"},
	CALLER(0, "times", "os.times() of the caller", .fields = times_fields),
	CALLER(NODE_JSON, "times.json", "os.times() of the caller, as JSON", .fields = times_fields),
	END_ROW,
};

const struct dir self_dir = {.rows = self_rows};
