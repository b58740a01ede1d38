/* os: sysconf and confstr by Python's names, load average, random bytes, signals
 * and kill. */
#include "osfs/os.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
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

int osfs_named_value(const struct osfs_named *t, size_t n, const char *name, int *value)
{
	const struct osfs_named *e = osfs_named_find(t, n, name);
	char canon[16];
	if (e)
		*value = e->value;
	/* or the number itself, as Python takes an int for the name (written as
	 * str(int) writes it) */
	else if (osfs_parse_int(name, value) < 0 || snprintf(canon, sizeof canon, "%d", *value) < 0 ||
		 strcmp(canon, name) != 0)
		return -ENOENT;
	return 0;
}

int osfs_sysconf(const char *name, long *value)
{
	size_t n;
	const struct osfs_named *t = osfs_sysconf_names(&n);
	int which;
	if (osfs_named_value(t, n, name, &which) < 0)
		return osfs_refuse(ENOENT, "unknown sysconf name '%s'", name);
	errno = 0;
	long v = sysconf(which);
	if (v == -1 && errno) /* -1 alone means "no limit", as Python returns it */
		return osfs_refuse(errno, "sysconf(%s) failed: %s", name, strerror(errno));
	*value = v;
	return 0;
}

int osfs_confstr(const char *name, struct osfs_buf *out)
{
	size_t n;
	const struct osfs_named *t = osfs_confstr_names(&n);
	int which;
	if (osfs_named_value(t, n, name, &which) < 0)
		return osfs_refuse(ENOENT, "unknown confstr name '%s'", name);
	errno = 0;
	size_t len = confstr(which, NULL, 0);
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
	confstr(which, tmp, len);
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

/* kill(2)'s rule, with its one exception: SIGCONT within the caller's session. */
static int permitted(const struct osfs_ident *caller, const struct osfs_proc *target, int sig)
{
	if (may_signal(caller, target))
		return 1;
	pid_t sid = getsid(caller->pid);
	return sig == SIGCONT && sid > 0 && getsid(target->pid) == sid;
}

/* Signals process pid as the caller could: 0, or an errno value. */
static int signal_one(pid_t pid, int sig, const struct osfs_ident *caller)
{
	/* A pidfd pins the process: the one checked is the one signalled, even if
	 * its pid is reused in between. */
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return ESRCH;
	struct osfs_proc target;
	int err = 0;
	if (osfs_proc_read(pid, &target) < 0 || target.pid != pid)
		err = ESRCH;
	else if (sig < 0 || sig > SIGRTMAX) /* the kernel's check_kill_permission() order */
		err = EINVAL;
	else if (!permitted(caller, &target, sig))
		err = EPERM;
	else if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		err = errno;
	osfs_refusal_clear();
	close(fd);
	return err;
}

/* kill(-PGID) and kill(-1) as the kernel does them for the caller: a group is
 * signalled if any member was (else the last error), every process (but init and
 * the caller) unless none could be found; a missing permission is no error there. */
static int signal_many(pid_t pgid, int sig, const struct osfs_ident *caller)
{
	DIR *d = opendir("/proc");
	if (!d)
		return errno;
	int count = 0, success = 0, group_err = ESRCH, all_err = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pgid > 0 ? getpgid(pid) != pgid : pid <= 1 || pid == caller->pid)
			continue;
		int err = signal_one(pid, sig, caller);
		if (err == ESRCH)
			continue; /* gone meanwhile */
		count++;
		success |= !err;
		group_err = err;
		if (err != EPERM)
			all_err = err;
	}
	closedir(d);
	if (pgid > 0)
		return success ? 0 : group_err;
	return count ? all_err : ESRCH;
}

/* kill(pid, sig) for the caller: pid > 0 one process, 0 the caller's process
 * group, -1 every process it may signal, < -1 the process group -pid. */
static int kill_as(pid_t pid, int sig, const struct osfs_ident *caller)
{
	int err;
	if (pid > 0) {
		err = signal_one(pid, sig, caller);
	} else if (pid == -1) {
		err = signal_many(-1, sig, caller);
	} else if (pid == INT_MIN) {
		err = ESRCH;
	} else {
		pid_t pgid = pid ? -pid : getpgid(caller->pid);
		err = pgid > 0 ? signal_many(pgid, sig, caller) : ESRCH;
	}
	if (err == EPERM)
		return osfs_refuse(EPERM, "process %d (uid %u) may not signal %s %lld",
				   (int)caller->pid, (unsigned)caller->euid,
				   pid > 0 ? "process" : "process group",
				   pid > 0 ? (long long)pid : -(long long)pid);
	if (err == ESRCH && pid > 0)
		return osfs_refuse(ESRCH, "no process %d", (int)pid);
	if (err == ESRCH && pid < -1)
		return osfs_refuse(ESRCH, "no process in group %lld", -(long long)pid);
	if (err == ESRCH)
		return osfs_refuse(ESRCH, "no process to signal");
	if (err == EINVAL)
		return osfs_refuse(EINVAL, "signal number %d is out of range 0..%d", sig, SIGRTMAX);
	if (err)
		return osfs_refuse(err, "kill(%d, %d): %s", (int)pid, sig, strerror(err));
	return 0;
}

/* "ID SIGNAL": the id a C int, the signal valid. */
static int parse_kill(const char *request, const char *what, int *id, int *sig)
{
	char idtext[32], sigtext[32], extra[2];
	int fields = sscanf(request, " %31s %31s %1s", idtext, sigtext, extra);
	if (fields != 2)
		return osfs_refuse(EINVAL, "expected '%s SIGNAL', got '%.60s'", what, request);
	if (osfs_parse_int(idtext, id) < 0)
		return osfs_refuse(EINVAL, "'%s' is not a %s (a number)", idtext,
				   strcmp(what, "PID") == 0 ? "process id" : "process group id");
	/* a number is kill(2)'s to judge, after the target: ESRCH comes before EINVAL */
	return osfs_parse_int(sigtext, sig) == 0 ? 0 : osfs_signal_parse(sigtext, sig);
}

int osfs_kill_request(const char *request, const struct osfs_ident *caller)
{
	int pid, sig;
	int err = parse_kill(request, "PID", &pid, &sig);
	return err ? err : kill_as(pid, sig, caller);
}

/* glibc's killpg(): a negative group is EINVAL, else kill(-pgid, sig), so that
 * killpg(0) is the caller's own group and killpg(1) every process. */
int osfs_killpg_request(const char *request, const struct osfs_ident *caller)
{
	int pgid, sig;
	int err = parse_kill(request, "PGID", &pgid, &sig);
	if (err)
		return err;
	if (pgid < 0)
		return osfs_refuse(EINVAL, "killpg(%d, %d): %s", pgid, sig, strerror(EINVAL));
	return kill_as(-pgid, sig, caller);
}

/* Random bytes as Python's os.urandom(n) and os.getrandom(n, flags) ask for them:
 * a size first (a number, not negative, at most OSFS_RANDOM_MAX). */
int osfs_random_size(const char *text, size_t *n)
{
	long long v;
	if (osfs_parse_ll(text, &v) == -EINVAL)
		return osfs_refuse(ENOENT, "'%s' is not a number of bytes", text);
	if (text[0] == '-')
		return osfs_refuse(EINVAL, "negative argument not allowed");
	if (v > OSFS_RANDOM_MAX || v < 0)
		return osfs_refuse(ERANGE, "%s bytes is more than the %d osfs gives at once",
				   text, OSFS_RANDOM_MAX);
	*n = (size_t)v;
	return 0;
}

/* os.urandom(n): getrandom() until n bytes, as Python loops. */
int osfs_urandom(size_t n, struct osfs_buf *out)
{
	char *p = osfs_buf_extend(out, n);
	if (!p && n)
		return -ENOMEM;
	for (size_t done = 0; done < n;) {
		ssize_t got = getrandom(p + done, n - done, 0);
		if (got < 0 && errno != EINTR)
			return osfs_refuse(errno, "getrandom: %s", strerror(errno));
		done += got > 0 ? (size_t)got : 0;
	}
	return 0;
}

/* os.getrandom(n, flags): "N" or "N,FLAGS", FLAGS a number or GRND_ names joined by
 * '|'. */
int osfs_getrandom_parse(const char *spec, size_t *n, unsigned *flags)
{
	char size[32];
	const char *comma = strchr(spec, ',');
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);
	if (len >= sizeof size)
		return osfs_refuse(ENOENT, "'%s' is not a number of bytes", spec);
	snprintf(size, sizeof size, "%.*s", (int)len, spec);
	int err = osfs_random_size(size, n);
	*flags = 0;
	for (const char *f = comma ? comma + 1 : ""; !err && *f;) {
		size_t flen = strcspn(f, "|");
		char word[32];
		snprintf(word, sizeof word, "%.*s", (int)(flen < 31 ? flen : 31), f);
		const struct osfs_const *c = osfs_const_find(word);
		int v;
		if (c && strncmp(word, "GRND_", 5) == 0)
			*flags |= (unsigned)c->value;
		else if (flen < 31 && osfs_parse_int(word, &v) == 0)
			*flags |= (unsigned)v;
		else
			err = osfs_refuse(ENOENT, "'%.*s' is not a getrandom flag (GRND_NONBLOCK, "
					  "GRND_RANDOM or a number)", (int)flen, f);
		f += flen + (f[flen] == '|');
	}
	return err;
}

/* One call, as Python makes it: it may give fewer bytes than asked. */
int osfs_getrandom(size_t n, unsigned flags, struct osfs_buf *out)
{
	char *p = osfs_buf_extend(out, n);
	if (!p && n)
		return -ENOMEM;
	ssize_t got;
	while ((got = getrandom(p, n, flags)) < 0 && errno == EINTR)
		;
	if (got < 0)
		return osfs_refuse(errno, "[Errno %d] %s", errno, strerror(errno));
	out->len -= n - (size_t)got;
	if (out->data)
		out->data[out->len] = '\0';
	return 0;
}

/* os.getgrouplist(user, group) with the user's own group, as id -G lists it. */
int osfs_grouplist(const char *user, struct osfs_buf *out)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwnam_r(user, &pw, buf, sizeof buf, &found) != 0 || !found)
		return osfs_refuse(ENOENT, "no user named '%s'", user);
	int n = 64;
	gid_t *groups = NULL;
	for (;;) {
		gid_t *more = realloc(groups, sizeof *groups * (size_t)n);
		if (!more) {
			free(groups);
			return -ENOMEM;
		}
		groups = more;
		int want = n;
		if (getgrouplist(user, pw.pw_gid, groups, &want) >= 0) {
			n = want;
			break;
		}
		n = want > n ? want : n * 2;
		if (n > 65536) {
			free(groups);
			return osfs_refuse(E2BIG, "'%s' is in too many groups", user);
		}
	}
	for (int i = 0; i < n; i++)
		osfs_buf_printf(out, "%u\n", (unsigned)groups[i]);
	free(groups);
	return 0;
}
