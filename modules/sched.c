/* sched: priorities and scheduling, read as Python's os functions read them and
 * changed with the rights of the process that asks.  The daemon may hold rights
 * its callers do not (it often runs as root), so the checks the kernel makes of
 * the calling process -- set_one_prio(), sched_setaffinity(), and
 * user_check_sched_setscheduler() in kernel/sched/ -- are made here of the caller,
 * in the kernel's order, before the daemon acts. */
#include "osfs/os.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

#define CAP_SYS_NICE 23

static int nice_capable(const struct osfs_proc *caller)
{
	return osfs_proc_capable(caller->tid, CAP_SYS_NICE) == 1;
}

/* check_same_owner(): the caller's euid is the target's uid or euid. */
static int same_owner(const struct osfs_proc *caller, const struct osfs_proc *target)
{
	return caller->euid == target->uid || caller->euid == target->euid;
}

static rlim_t rlimit_of(pid_t pid, int resource)
{
	struct rlimit lim;
	return osfs_getrlimit(pid, resource, &lim) ? 0 : lim.rlim_cur;
}

/* is_nice_reduction(): may the target's nice go down to `nice` by RLIMIT_NICE? */
static int nice_allowed(pid_t pid, int nice)
{
	return (rlim_t)(20 - nice) <= rlimit_of(pid, RLIMIT_NICE);
}

static int current_nice(pid_t tid, int *nice)
{
	errno = 0;
	*nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (*nice == -1 && errno)
		return osfs_refuse(errno, "getpriority(PRIO_PROCESS, %d): %s", (int)tid, strerror(errno));
	return 0;
}

/* set_one_prio() for one thread: the error carried over from the threads before
 * it, or this one's (as the kernel's loop keeps its last error). */
static int set_one(pid_t tid, int nice, const struct osfs_proc *caller, int capable, int error)
{
	struct osfs_proc t;
	int cur;
	if (osfs_proc_read(tid, &t) < 0 || current_nice(tid, &cur) < 0) {
		osfs_refusal_clear(); /* gone meanwhile: the kernel would not have seen it */
		return error;
	}
	if (!same_owner(caller, &t) && !capable)
		return -EPERM;
	if (nice < cur && !capable && !nice_allowed(t.pid, nice))
		return -EACCES;
	if (setpriority(PRIO_PROCESS, (id_t)tid, nice) < 0)
		return -errno;
	return error == -ESRCH ? 0 : error;
}

/* Calls fn for each thread of process pid. */
static void each_thread(pid_t pid, void (*fn)(pid_t tid, void *ctx), void *ctx)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (isdigit((unsigned char)e->d_name[0]))
			fn((pid_t)atoi(e->d_name), ctx);
	closedir(d);
}

static void each_process(void (*fn)(pid_t pid, void *ctx), void *ctx)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (isdigit((unsigned char)e->d_name[0]))
			fn((pid_t)atoi(e->d_name), ctx);
	closedir(d);
}

struct renice {
	int which;
	id_t who;
	int nice, capable, error;
	const struct osfs_proc *caller;
};

static void renice_thread(pid_t tid, void *ctx)
{
	struct renice *r = ctx;
	if (r->which == PRIO_USER) {
		struct osfs_proc t;
		int gone = osfs_proc_read(tid, &t) < 0;
		osfs_refusal_clear();
		if (gone || t.uid != (uid_t)r->who)
			return;
	}
	r->error = set_one(tid, r->nice, r->caller, r->capable, r->error);
}

static void renice_process(pid_t pid, void *ctx)
{
	struct renice *r = ctx;
	if (r->which == PRIO_PGRP && getpgid(pid) != (pid_t)r->who)
		return;
	each_thread(pid, renice_thread, r);
}

static const char *which_name(int which)
{
	return which == PRIO_PROCESS ? "PRIO_PROCESS" : which == PRIO_PGRP ? "PRIO_PGRP" : "PRIO_USER";
}

/* who 0 means the caller's own: its thread, its process group, its real uid. */
static int resolve_who(int which, id_t who, const struct osfs_proc *caller, id_t *out)
{
	*out = who;
	if (who != 0)
		return 0;
	if (which == PRIO_PROCESS)
		*out = (id_t)caller->tid;
	else if (which == PRIO_USER)
		*out = caller->uid;
	else {
		pid_t g = getpgid(caller->pid);
		if (g < 0)
			return osfs_refuse(ESRCH, "the caller's process group is gone");
		*out = (id_t)g;
	}
	return 0;
}

int osfs_getpriority(int which, id_t who, const struct osfs_proc *caller, int *nice)
{
	id_t id;
	int err = resolve_who(which, who, caller, &id);
	if (err)
		return err;
	errno = 0;
	*nice = getpriority((__priority_which_t)which, id);
	if (*nice == -1 && errno)
		return osfs_refuse(errno, "getpriority(%s, %u): %s", which_name(which), (unsigned)id,
				   strerror(errno));
	return 0;
}

int osfs_setpriority(int which, id_t who, int nice, const struct osfs_proc *caller)
{
	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return osfs_refuse(EINVAL, "unknown priority class %d", which);
	struct renice r = {which, 0, nice < -20 ? -20 : nice > 19 ? 19 : nice,
			   nice_capable(caller), -ESRCH, caller};
	int err = resolve_who(which, who, caller, &r.who);
	if (err)
		return err;
	if (which == PRIO_PROCESS)
		r.error = set_one((pid_t)r.who, r.nice, caller, r.capable, r.error);
	else
		each_process(renice_process, &r);
	if (r.error)
		return osfs_refuse(-r.error, "setpriority(%s, %u, %d) by process %d (uid %u): %s",
				   which_name(which), (unsigned)r.who, nice, (int)caller->pid,
				   (unsigned)caller->euid, strerror(-r.error));
	return 0;
}

/* os.nice(): glibc's nice() reports setpriority's EACCES as EPERM. */
int osfs_nice_set(const struct osfs_proc *caller, int nice)
{
	int err = osfs_setpriority(PRIO_PROCESS, (id_t)caller->tid, nice, caller);
	if (err == -EACCES) {
		osfs_refusal_clear();
		err = osfs_refuse(EPERM, "nice(%d) by process %d (uid %u): only a privileged process "
				  "or RLIMIT_NICE may lower its niceness",
				  nice, (int)caller->pid, (unsigned)caller->euid);
	}
	return err;
}

/* A target of sched_*(): the thread, as the caller's own when pid is 0. */
static int target(pid_t pid, const struct osfs_proc *caller, struct osfs_proc *t)
{
	if (pid < 0)
		return osfs_refuse(EINVAL, "a process id is not negative");
	return osfs_proc_read(pid ? pid : caller->tid, t);
}

/* os.sched_setaffinity(pid, cpus): CPUs as numbers, separated by blanks, commas or
 * newlines.  CPUs past any kernel's mask are ignored, as the kernel ignores them. */
int osfs_affinity_set(pid_t pid, const char *cpus, const struct osfs_proc *caller)
{
	enum { MAX_CPUS = 8192 }; /* the kernel's largest NR_CPUS */
	cpu_set_t *set = CPU_ALLOC(MAX_CPUS);
	size_t size = CPU_ALLOC_SIZE(MAX_CPUS);
	if (!set)
		return -ENOMEM;
	CPU_ZERO_S(size, set);
	int err = 0;
	for (const char *p = cpus; !err && *p;) {
		p += strspn(p, " \t\n,");
		if (!*p)
			break;
		size_t len = strcspn(p, " \t\n,");
		char word[32];
		long long cpu;
		snprintf(word, sizeof word, "%.*s", (int)(len < 31 ? len : 31), p);
		if (len > 30 || osfs_parse_ll(word, &cpu) < 0)
			err = osfs_refuse(EINVAL, "'%.*s' is not a CPU number", (int)len, p);
		else if (cpu < 0)
			err = osfs_refuse(EINVAL, "negative CPU number");
		else if (cpu > INT_MAX - 1)
			err = osfs_refuse(ERANGE, "invalid CPU number");
		else if (cpu < MAX_CPUS)
			CPU_SET_S((size_t)cpu, size, set);
		p += len;
	}
	struct osfs_proc t;
	if (!err)
		err = target(pid, caller, &t);
	if (!err && !same_owner(caller, &t) && !nice_capable(caller))
		err = osfs_refuse(EPERM, "process %d (uid %u) may not set the CPUs of process %d (uid %u)",
				  (int)caller->pid, (unsigned)caller->euid, (int)t.pid, (unsigned)t.uid);
	if (!err && sched_setaffinity(pid ? pid : caller->tid, size, set) < 0)
		err = osfs_refuse(errno, "sched_setaffinity(%d): %s", (int)pid, strerror(errno));
	CPU_FREE(set);
	return err;
}

int osfs_sched_get(pid_t pid, const struct osfs_proc *caller, struct osfs_kv *out)
{
	pid_t tid = pid ? pid : caller->tid;
	int policy = sched_getscheduler(tid);
	struct sched_param param;
	if (policy < 0 || sched_getparam(tid, &param) < 0)
		return osfs_refuse(errno, "sched_getscheduler(%d): %s", (int)pid, strerror(errno));
	osfs_kv_int(out, "policy", policy);
	osfs_kv_int(out, "priority", param.sched_priority);
	return 0;
}

/* A policy: a number or a SCHED_ name, with |SCHED_RESET_ON_FORK if wanted. */
static int parse_policy(const char *text, int *policy)
{
	*policy = 0;
	char copy[128];
	snprintf(copy, sizeof copy, "%s", text);
	char *save = NULL;
	for (char *part = strtok_r(copy, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		int v;
		const struct osfs_const *c = osfs_const_find(part);
		if (c && strncmp(part, "SCHED_", 6) == 0)
			v = (int)c->value;
		else if (osfs_parse_int(part, &v) < 0)
			return osfs_refuse(EINVAL, "'%s' is not a scheduling policy (SCHED_OTHER, "
					   "SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE or a number)",
					   part);
		*policy |= v;
	}
	return 0;
}

/* "POLICY PRIORITY", or the policy=N and priority=N lines sched shows. */
static int parse_sched(const char *request, int *policy, int *priority)
{
	char a[128], b[32], c[2];
	int err;
	const char *pol = strstr(request, "policy="), *pri = strstr(request, "priority=");
	if (pol && pri) {
		if (sscanf(pol + 7, "%127s", a) != 1 || sscanf(pri + 9, "%31s", b) != 1)
			return osfs_refuse(EINVAL, "expected policy=N and priority=N lines");
	} else if (sscanf(request, " %127s %31s %1s", a, b, c) != 2) {
		return osfs_refuse(EINVAL, "expected 'POLICY PRIORITY', got '%.60s'", request);
	}
	if ((err = parse_policy(a, policy)))
		return err;
	if (osfs_parse_int(b, priority) < 0)
		return osfs_refuse(EINVAL, "'%s' is not a priority", b);
	return 0;
}

static int rt_policy(int p)
{
	return p == SCHED_FIFO || p == SCHED_RR;
}

/* user_check_sched_setscheduler(): 0 if the caller may, else -EPERM. */
static int may_schedule(const struct osfs_proc *caller, const struct osfs_proc *t, pid_t tid,
			int policy, int priority, int reset_on_fork)
{
	if (nice_capable(caller))
		return 0;
	int cur_policy = sched_getscheduler(tid), nice;
	struct sched_param cur;
	if (cur_policy < 0 || sched_getparam(tid, &cur) < 0 || current_nice(tid, &nice) < 0)
		return osfs_refuse(ESRCH, "process %d is gone", (int)tid);
	int cur_reset = !!(cur_policy & SCHED_RESET_ON_FORK);
	cur_policy &= ~SCHED_RESET_ON_FORK;
	if (rt_policy(policy)) {
		rlim_t rtprio = rlimit_of(t->pid, RLIMIT_RTPRIO);
		if (policy != cur_policy && !rtprio)
			return -EPERM;
		if (priority > cur.sched_priority && (rlim_t)priority > rtprio)
			return -EPERM;
	}
	if (policy == SCHED_DEADLINE)
		return -EPERM;
	if (cur_policy == SCHED_IDLE && policy != SCHED_IDLE && !nice_allowed(t->pid, nice))
		return -EPERM;
	if (!same_owner(caller, t))
		return -EPERM;
	if (cur_reset && !reset_on_fork)
		return -EPERM;
	return 0;
}

int osfs_sched_set(pid_t pid, const char *request, const struct osfs_proc *caller)
{
	int policy, priority;
	int err = parse_sched(request, &policy, &priority);
	if (err)
		return err;
	if (policy < 0 || pid < 0)
		return osfs_refuse(EINVAL, "sched_setscheduler(%d, %d): %s", (int)pid, policy,
				   strerror(EINVAL));
	struct osfs_proc t;
	pid_t tid = pid ? pid : caller->tid;
	if ((err = target(pid, caller, &t)))
		return err;
	int reset = !!(policy & SCHED_RESET_ON_FORK), base = policy & ~SCHED_RESET_ON_FORK;
	int valid = base == SCHED_OTHER || rt_policy(base) || base == SCHED_BATCH ||
		    base == SCHED_IDLE || base == SCHED_DEADLINE;
	/* sched_priority is unsigned there: a negative one is past the largest, 99 */
	if (!valid || priority < 0 || priority > 99 || base == SCHED_DEADLINE ||
	    rt_policy(base) != (priority != 0))
		return osfs_refuse(EINVAL, "sched_setscheduler(%d, %d, %d): %s", (int)pid, policy,
				   priority, strerror(EINVAL));
	err = may_schedule(caller, &t, tid, base, priority, reset);
	if (err == -EPERM)
		return osfs_refuse(EPERM, "process %d (uid %u) may not set the scheduling of "
				   "process %d (uid %u) so",
				   (int)caller->pid, (unsigned)caller->euid, (int)t.pid, (unsigned)t.uid);
	if (err)
		return err;
	struct sched_param param = {.sched_priority = priority};
	if (sched_setscheduler(tid, policy, &param) < 0)
		return osfs_refuse(errno, "sched_setscheduler(%d, %d, %d): %s", (int)pid, policy,
				   priority, strerror(errno));
	return 0;
}

int osfs_sched_priority_limit(const char *policy, int max, int *value)
{
	int p;
	int err = parse_policy(policy, &p);
	if (err)
		return err;
	*value = max ? sched_get_priority_max(p) : sched_get_priority_min(p);
	if (*value < 0)
		return osfs_refuse(errno, "sched_get_priority_%s(%s): %s", max ? "max" : "min",
				   policy, strerror(errno));
	return 0;
}

int osfs_rr_interval(pid_t pid, const struct osfs_proc *caller, struct osfs_buf *out)
{
	struct timespec ts;
	if (sched_rr_get_interval(pid ? pid : caller->tid, &ts) < 0)
		return osfs_refuse(errno, "sched_rr_get_interval(%d): %s", (int)pid, strerror(errno));
	osfs_fmt_timespec(out, &ts);
	osfs_buf_putc(out, '\n');
	return 0;
}
