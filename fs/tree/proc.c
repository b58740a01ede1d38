/* os/proc/PID/, os/priority/, os/sched/: other processes, as Python's os
 * functions ask about them by pid (getpgid, getsid, getpriority, sched_*), and
 * changed only as the writing process itself could change them. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/os.h"
#include "osfs/refuse.h"

/* A pid is a number in the caller's own pid namespace, which must be the daemon's:
 * another namespace numbers processes differently. */
static int same_pid_namespace(const struct req *rq)
{
	char path[64];
	struct stat mine, theirs;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)rq->tid);
	if (stat("/proc/self/ns/pid", &mine) < 0 || stat(path, &theirs) < 0)
		return osfs_refuse(ESRCH, "the caller is gone");
	if (mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev)
		return osfs_refuse(EPERM, "the caller is in another pid namespace than osfs");
	return 0;
}

/* proc/PID: PID a process or thread id, or 0 for the caller itself.  A pid no
 * process has is answered as Python answers for it, in each file: ESRCH. */
static int match_pid(const char *name, const struct req *rq)
{
	int pid;
	long long wide;
	const char *digits = name + (*name == '-');
	if (osfs_parse_int(name, &pid) == 0)
		return same_pid_namespace(rq); /* a negative one: each call's ESRCH or EINVAL */
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return osfs_refuse(ENOENT, "'%s' is not a process id", name);
	/* Python's int, past pid_t: its OverflowError */
	if (osfs_parse_ll(name, &wide) < 0)
		return osfs_refuse(ERANGE, "Python int too large to convert to C long");
	return osfs_refuse(ERANGE, "signed integer is %s",
			   wide > 0 ? "greater than maximum" : "less than minimum");
}

/* The pid of this entry (0: the caller's thread, as Python's calls take 0). */
static pid_t pid_of(const struct req *rq)
{
	int pid = 0;
	osfs_parse_int(rq->arg, &pid);
	return pid ? pid : rq->tid;
}

static int show_id(struct osfs_buf *out, const struct req *rq)
{
	pid_t (*call)(pid_t) = rq->node->data; /* getpgid or getsid */
	pid_t v = call(pid_of(rq));
	if (v < 0)
		return osfs_refuse(errno, "%s(%s): %s", rq->node->name, rq->arg, strerror(errno));
	osfs_buf_printf(out, "%d\n", (int)v);
	return 0;
}

static int show_nice(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc caller;
	int nice, err = tree_caller(rq, &caller);
	if (!err)
		err = osfs_getpriority(PRIO_PROCESS, (id_t)pid_of(rq), &caller, &nice);
	if (!err)
		osfs_buf_printf(out, "%d\n", nice);
	return err;
}

static int parse_nice(const char *value, int *nice)
{
	if (osfs_parse_int(value + strspn(value, " \t"), nice) < 0)
		return osfs_refuse(EINVAL, "'%s' is not a niceness (a number, -20 to 19)", value);
	return 0;
}

static int store_nice(const char *value, const struct req *rq)
{
	struct osfs_proc caller;
	int nice, err = parse_nice(value, &nice);
	if (!err)
		err = tree_caller(rq, &caller);
	return err ? err : osfs_setpriority(PRIO_PROCESS, (id_t)pid_of(rq), nice, &caller);
}

static int show_affinity(struct osfs_buf *out, const struct req *rq)
{
	int count;
	return osfs_proc_affinity(pid_of(rq), out, &count);
}

static int store_affinity(const char *value, const struct req *rq)
{
	struct osfs_proc caller;
	int err = tree_caller(rq, &caller);
	return err ? err : osfs_affinity_set(pid_of(rq), value, &caller);
}

static int sched_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct osfs_proc caller;
	int err = tree_caller(rq, &caller);
	return err ? err : osfs_sched_get(pid_of(rq), &caller, kv);
}

static int store_sched(const char *value, const struct req *rq)
{
	struct osfs_proc caller;
	int err = tree_caller(rq, &caller);
	return err ? err : osfs_sched_set(pid_of(rq), value, &caller);
}

static int show_rr_interval(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc caller;
	int err = tree_caller(rq, &caller);
	return err ? err : osfs_rr_interval(pid_of(rq), &caller, out);
}

/* Settings anyone may write: the module applies the writer's own rights. */
#define ACT_ROW(n, show_, fields_, store_, doc_)                                         \
	{.name = (n), .kind = KIND_SETTING, .mode = 0666, .flags = NODE_CALLER,            \
	 .show = (show_), .fields = (fields_), .store = (store_), .doc = (doc_)}
#define PID_ROW(n, flags_, doc_, ...) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CALLER | (flags_), .doc = (doc_), \
	 __VA_ARGS__}

static const struct node pid_rows[] = {
	PID_ROW("pgid", 0, "os.getpgid(PID)", .show = show_id, .data = getpgid),
	PID_ROW("sid", 0, "os.getsid(PID)", .show = show_id, .data = getsid),
	ACT_ROW("nice", show_nice, NULL, store_nice,
		"os.getpriority(PRIO_PROCESS, PID); write N: os.setpriority, with the writer's rights"),
	ACT_ROW("cpu_affinity", show_affinity, NULL, store_affinity,
		"os.sched_getaffinity(PID), one CPU per line; write CPUs: os.sched_setaffinity"),
	ACT_ROW("sched", NULL, sched_fields, store_sched,
		"os.sched_getscheduler and sched_getparam(PID): policy, priority; "
		"write 'POLICY PRIORITY': os.sched_setscheduler"),
	PID_ROW("sched.json", NODE_JSON, "the policy and priority of PID, as JSON",
		.fields = sched_fields),
	PID_ROW("rr_interval", 0, "os.sched_rr_get_interval(PID) in seconds",
		.show = show_rr_interval),
	END_ROW,
};
static const struct dir pid_dir = {.rows = pid_rows};
static const struct node pid_each = {.kind = KIND_DIR, .mode = 0555, .flags = NODE_CALLER,
				     .dir = &pid_dir,
				     .doc = "a process, by its id (0: the reader's own thread)"};
const struct dir proc_dir = {.each = &pid_each, .match = match_pid};

/* priority/PRIO_X/WHO: the row's data is the PRIO_ class. */
static int match_who(const char *name, const struct req *rq)
{
	int who;
	if (osfs_parse_int(name, &who) < 0)
		return osfs_refuse(ENOENT, "'%s' is not a process, group or user id", name);
	return 0;
}

static int show_priority(struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc caller;
	int who = 0, nice, err = tree_caller(rq, &caller);
	osfs_parse_int(rq->arg, &who);
	if (!err)
		err = osfs_getpriority(*(const int *)rq->node->data, (id_t)who, &caller, &nice);
	if (!err)
		osfs_buf_printf(out, "%d\n", nice);
	return err;
}

static int store_priority(const char *value, const struct req *rq)
{
	struct osfs_proc caller;
	int who = 0, nice, err = parse_nice(value, &nice);
	osfs_parse_int(rq->arg, &who);
	if (!err)
		err = tree_caller(rq, &caller);
	return err ? err : osfs_setpriority(*(const int *)rq->node->data, (id_t)who, nice, &caller);
}

#define PRIORITY_DIR(var, which, doc_)                                                          \
	static const int var##_which = (which);                                                 \
	static const struct node var##_each = {                                                 \
		.kind = KIND_SETTING, .mode = 0666, .flags = NODE_CALLER, .show = show_priority, \
		.store = store_priority, .data = &var##_which, .doc = (doc_)};                   \
	static const struct dir var##_dir = {.each = &var##_each, .match = match_who}

PRIORITY_DIR(process, PRIO_PROCESS, "os.getpriority(PRIO_PROCESS, WHO); write N: os.setpriority");
PRIORITY_DIR(pgrp, PRIO_PGRP, "os.getpriority(PRIO_PGRP, WHO); write N: os.setpriority");
PRIORITY_DIR(user, PRIO_USER, "os.getpriority(PRIO_USER, WHO); write N: os.setpriority");

static const struct node priority_rows[] = {
	DIR_ROW("PRIO_PROCESS", process_dir, "a process (or thread) by id; 0: the reader's thread"),
	DIR_ROW("PRIO_PGRP", pgrp_dir, "a process group by id; 0: the reader's group"),
	DIR_ROW("PRIO_USER", user_dir, "a user's processes by uid; 0: the reader's real uid"),
	END_ROW,
};
const struct dir priority_dir = {.rows = priority_rows};

/* sched/POLICY/priority_min, priority_max */
static int match_policy(const char *name, const struct req *rq)
{
	int v;
	const struct osfs_const *c = osfs_const_find(name);
	if ((c && strncmp(name, "SCHED_", 6) == 0) || osfs_parse_int(name, &v) == 0)
		return 0; /* a number the kernel does not know is its EINVAL, from the files */
	return osfs_refuse(ENOENT, "unknown scheduling policy '%s'", name);
}

static int list_policies(emit_fn *emit, void *ctx, const struct req *rq)
{
	const struct osfs_const_family *f = osfs_const_family_find("SCHED");
	for (size_t i = 0; f && i < f->count; i++) {
		int v;
		if (osfs_sched_priority_limit(f->consts[i].name, 0, &v) == 0)
			emit(ctx, f->consts[i].name);
		osfs_refusal_clear();
	}
	return 0;
}

static int show_limit(struct osfs_buf *out, const struct req *rq)
{
	int v;
	int err = osfs_sched_priority_limit(rq->arg, rq->node->data != NULL, &v);
	if (!err)
		osfs_buf_printf(out, "%d\n", v);
	return err;
}

static const struct node policy_rows[] = {
	CONST_ROW("priority_min", show_limit, "os.sched_get_priority_min(POLICY)"),
	{.name = "priority_max", .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST,
	 .show = show_limit, .data = "max", .doc = "os.sched_get_priority_max(POLICY)"},
	END_ROW,
};
static const struct dir policy_dir = {.rows = policy_rows};
static const struct node policy_each =
	DIR_ROW(NULL, policy_dir, "a scheduling policy, by name or number");
const struct dir sched_dir = {.each = &policy_each, .match = match_policy, .list = list_policies};
