/* os: sysconf and confstr by Python's names, load average, signals and kill. */
#include "osfs/os.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

/* Python drops the leading underscore of _SC_ and _CS_ names. */
#define X(name) {&#name[1], name},
static struct osfs_named sysconf_names[] = {
#include "sysconf-names.h"
};
static struct osfs_named confstr_names[] = {
#include "confstr-names.h"
};
#undef X
#define X(name) {#name, name},
static struct osfs_named rlimit_names[] = {
#include "rlimit-names.h"
};
#undef X
#define COUNT(t) (sizeof t / sizeof t[0])

static size_t n_rlimits = COUNT(rlimit_names);
static pthread_once_t tidy_once = PTHREAD_ONCE_INIT;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct osfs_named *)a)->name, ((const struct osfs_named *)b)->name);
}

/* Sorts the tables, and drops RLIMIT_NLIMITS, which counts the limits (aliases
 * such as RLIMIT_OFILE stay: Python's resource module has them too). */
static void tidy(void)
{
	qsort(sysconf_names, COUNT(sysconf_names), sizeof sysconf_names[0], by_name);
	qsort(confstr_names, COUNT(confstr_names), sizeof confstr_names[0], by_name);
	qsort(rlimit_names, COUNT(rlimit_names), sizeof rlimit_names[0], by_name);
	size_t kept = 0;
	for (size_t i = 0; i < COUNT(rlimit_names); i++)
		if (rlimit_names[i].value < RLIMIT_NLIMITS)
			rlimit_names[kept++] = rlimit_names[i];
	n_rlimits = kept;
}

const struct osfs_named *osfs_sysconf_names(size_t *count)
{
	pthread_once(&tidy_once, tidy);
	*count = COUNT(sysconf_names);
	return sysconf_names;
}

const struct osfs_named *osfs_confstr_names(size_t *count)
{
	pthread_once(&tidy_once, tidy);
	*count = COUNT(confstr_names);
	return confstr_names;
}

const struct osfs_named *osfs_rlimit_names(size_t *count)
{
	pthread_once(&tidy_once, tidy);
	*count = n_rlimits;
	return rlimit_names;
}

const struct osfs_named *osfs_named_find(const struct osfs_named *t, size_t n, const char *name)
{
	struct osfs_named key = {name, 0};
	return bsearch(&key, t, n, sizeof *t, by_name);
}

int osfs_sysconf(const char *name, long *value)
{
	size_t n;
	const struct osfs_named *t = osfs_sysconf_names(&n);
	const struct osfs_named *e = osfs_named_find(t, n, name);
	if (!e)
		return osfs_refuse(ENOENT, "unknown sysconf name '%s'", name);
	errno = 0;
	long v = sysconf(e->value);
	if (v == -1 && errno) /* -1 alone means "no limit", as Python returns it */
		return osfs_refuse(errno, "sysconf(%s) failed: %s", name, strerror(errno));
	*value = v;
	return 0;
}

int osfs_confstr(const char *name, struct osfs_buf *out)
{
	size_t n;
	const struct osfs_named *t = osfs_confstr_names(&n);
	const struct osfs_named *e = osfs_named_find(t, n, name);
	if (!e)
		return osfs_refuse(ENOENT, "unknown confstr name '%s'", name);
	errno = 0;
	size_t len = confstr(e->value, NULL, 0);
	if (len == 0) {
		if (errno)
			return osfs_refuse(errno, "confstr(%s) failed: %s", name, strerror(errno));
		return osfs_refuse(ENODATA, "confstr(%s) has no value here (Python: None)", name);
	}
	char *p = osfs_buf_extend(out, len - 1);
	if (!p)
		return -ENOMEM;
	char *tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	confstr(e->value, tmp, len);
	memcpy(p, tmp, len - 1);
	free(tmp);
	return 0;
}

int osfs_loadavg(struct osfs_buf *out)
{
	double v[3];
	if (getloadavg(v, 3) != 3)
		return osfs_refuse(EIO, "the load average is not available");
	for (int i = 0; i < 3; i++) {
		osfs_fmt_repr(out, v[i]);
		osfs_buf_putc(out, '\n');
	}
	return 0;
}

/* SIGRTMIN+N and SIGRTMAX-N, as kill(1) and Python's signal module name them. */
static int realtime_signal(const char *name, int *sig)
{
	static const struct {
		const char *base;
		int sign;
	} rt[] = {{"RTMIN", +1}, {"RTMAX", -1}};
	for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++) {
		size_t len = strlen(rt[i].base);
		if (strncasecmp(name, rt[i].base, len) != 0)
			continue;
		int base = rt[i].sign > 0 ? SIGRTMIN : SIGRTMAX;
		const char *rest = name + len;
		int off = 0;
		if (*rest) {
			if (*rest != (rt[i].sign > 0 ? '+' : '-') || osfs_parse_int(rest + 1, &off) < 0)
				return -EINVAL;
		}
		*sig = base + rt[i].sign * off;
		return *sig >= SIGRTMIN && *sig <= SIGRTMAX ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int osfs_signal_parse(const char *text, int *sig)
{
	if (osfs_parse_int(text, sig) == 0) {
		if (*sig < 0 || *sig > SIGRTMAX)
			return osfs_refuse(EINVAL, "signal number %d is out of range 0..%d", *sig, SIGRTMAX);
		return 0;
	}
	const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
	for (int s = 1; s < SIGRTMIN; s++) {
		const char *abbrev = sigabbrev_np(s);
		if (abbrev && strcasecmp(abbrev, name) == 0) {
			*sig = s;
			return 0;
		}
	}
	if (realtime_signal(name, sig) == 0)
		return 0;
	return osfs_refuse(EINVAL, "unknown signal '%s': expected a number or a name like TERM", text);
}

/* kill(2)'s rule: root, or a real or effective uid equal to the target's real or
 * saved uid.  The caller as it was when it wrote the request. */
static int may_signal(const struct osfs_ident *caller, const struct osfs_proc *target)
{
	if (caller->euid == 0)
		return 1;
	uid_t mine[] = {caller->uid, caller->euid};
	uid_t theirs[] = {target->uid, target->suid};
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++)
			if (mine[i] == theirs[k])
				return 1;
	return 0;
}

int osfs_kill_request(const char *request, const struct osfs_ident *caller)
{
	char pidtext[32], sigtext[32], extra[2];
	int fields = sscanf(request, " %31s %31s %1s", pidtext, sigtext, extra);
	if (fields != 2)
		return osfs_refuse(EINVAL, "expected 'PID SIGNAL', got '%.60s'", request);
	int pid, sig;
	int err = osfs_parse_int(pidtext, &pid);
	if (err || pid <= 0)
		return osfs_refuse(EINVAL, "'%s' is not a process id (a positive number)", pidtext);
	err = osfs_signal_parse(sigtext, &sig);
	if (err)
		return err;
	/* A pidfd pins the process: the one checked is the one signalled, even if
	 * its pid is reused in between. */
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return osfs_refuse(ESRCH, "no process %d", pid);
	struct osfs_proc target;
	if (osfs_proc_read(pid, &target) < 0 || target.pid != pid) {
		close(fd);
		return osfs_refuse(ESRCH, "no process %d", pid);
	}
	/* target was read from /proc/PID after the pidfd pinned PID: if the pinned
	 * process has exited meanwhile, the signal below fails with ESRCH. */
	if (!may_signal(caller, &target)) {
		close(fd);
		return osfs_refuse(EPERM, "process %d may not signal process %d (uid %u)",
				   (int)caller->pid, pid, (unsigned)target.uid);
	}
	err = syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0 ? errno : 0;
	close(fd);
	if (err)
		return osfs_refuse(err, "kill(%d, %d): %s", pid, sig, strerror(err));
	return 0;
}
