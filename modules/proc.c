/* The calling process, read from /proc as /proc/self would show it to that process
 * (who acts, the identity of a writing thread, is ident.c's). */
#include "osfs/os.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <unistd.h>

#include "osfs/fmt.h"
#include "osfs/refuse.h"

/* Reads /proc/PID/WHAT whole into out. */
static int slurp(pid_t pid, const char *what, struct osfs_buf *out)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return osfs_refuse(errno == ENOENT ? ESRCH : errno, "cannot read %s: %s", path,
				   strerror(errno));
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		osfs_buf_add(out, chunk, (size_t)n);
	int err = n < 0 ? errno : 0;
	close(fd);
	if (err)
		return osfs_refuse(err, "cannot read %s: %s", path, strerror(err));
	return osfs_buf_error(out);
}

static int ids(const char *line, unsigned id[4])
{
	return sscanf(line, "%u %u %u %u", &id[0], &id[1], &id[2], &id[3]) == 4 ? 0 : -1;
}

int osfs_proc_read(pid_t tid, struct osfs_proc *p)
{
	struct osfs_buf b = {0};
	int err = slurp(tid, "status", &b);
	if (err) {
		osfs_buf_free(&b);
		return err;
	}
	memset(p, 0, sizeof *p);
	p->tid = tid;
	unsigned u[4] = {0}, g[4] = {0};
	for (char *line = b.data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *v = strchr(line, ':');
		if (!v)
			continue;
		*v++ = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(line, "Name") == 0)
			snprintf(p->comm, sizeof p->comm, "%s", v);
		else if (strcmp(line, "Tgid") == 0)
			p->pid = atoi(v);
		else if (strcmp(line, "PPid") == 0)
			p->ppid = atoi(v);
		else if (strcmp(line, "Uid") == 0)
			ids(v, u);
		else if (strcmp(line, "Gid") == 0)
			ids(v, g);
		else if (strcmp(line, "Groups") == 0) {
			char *end;
			for (long x = strtol(v, &end, 10); end != v && p->ngroups < 256;
			     x = strtol(v, &end, 10)) {
				p->groups[p->ngroups++] = (gid_t)x;
				v = end;
			}
		}
	}
	osfs_buf_free(&b);
	p->uid = u[0], p->euid = u[1], p->suid = u[2], p->fsuid = u[3];
	p->gid = g[0], p->egid = g[1], p->sgid = g[2], p->fsgid = g[3];
	return p->pid ? 0 : osfs_refuse(ESRCH, "no process %d", (int)tid);
}

/* os.times(): the process's own and its children's CPU times, and the time since
 * an arbitrary point (boot), all from clock ticks, printed as Python's floats. */
int osfs_proc_times(pid_t pid, struct osfs_kv *out)
{
	struct osfs_buf b = {0};
	int err = slurp(pid, "stat", &b);
	/* Fields after the command name, which sits in parentheses and may hold anything. */
	char *rest = err ? NULL : strrchr(b.data, ')');
	unsigned long long f[15] = {0};
	if (!err && (!rest || sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
				      &f[0], &f[1], &f[2], &f[3]) != 4))
		err = osfs_refuse(EIO, "cannot parse /proc/%d/stat", (int)pid);
	osfs_buf_free(&b);
	if (err)
		return err;
	double hz = (double)sysconf(_SC_CLK_TCK);
	struct tms dummy;
	double values[] = {f[0] / hz, f[1] / hz, f[2] / hz, f[3] / hz, (double)times(&dummy) / hz};
	static const char *const names[] = {"user", "system", "children_user", "children_system",
					    "elapsed"};
	for (int i = 0; i < 5; i++) {
		struct osfs_buf t = {0};
		osfs_fmt_repr(&t, values[i]);
		osfs_kv_set(out, names[i], OSFS_KV_NUM, t.data ? t.data : "0.0");
		osfs_buf_free(&t);
	}
	return 0;
}

int osfs_proc_environ(pid_t pid, struct osfs_kv *out)
{
	struct osfs_buf b = {0};
	int err = slurp(pid, "environ", &b);
	for (size_t i = 0; !err && i < b.len;) {
		char *entry = b.data + i;
		size_t len = strnlen(entry, b.len - i);
		char *eq = memchr(entry, '=', len);
		if (eq && eq != entry) {
			*eq = '\0';
			entry[len] = '\0';
			if (!osfs_kv_get(out, entry)) /* a name twice: its first value, as os.environ */
				osfs_kv_str(out, entry, eq + 1);
		}
		i += len + 1;
	}
	osfs_buf_free(&b);
	return err ? err : osfs_kv_error(out);
}

/* The arguments, one per line (the NULs of /proc/PID/cmdline become newlines). */
int osfs_proc_cmdline(pid_t pid, struct osfs_buf *out)
{
	size_t start = out->len;
	int err = slurp(pid, "cmdline", out);
	if (err)
		return err;
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '\0')
			out->data[i] = '\n';
	if (out->len > start && out->data[out->len - 1] != '\n')
		osfs_buf_putc(out, '\n');
	return 0;
}

int osfs_proc_link(pid_t pid, const char *which, struct osfs_buf *out)
{
	char path[64], target[4096];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, which);
	ssize_t n = readlink(path, target, sizeof target);
	if (n < 0)
		return osfs_refuse(errno == ENOENT ? ESRCH : errno, "cannot read %s: %s", path,
				   strerror(errno));
	/* os.getcwd() of a directory since removed: FileNotFoundError (the link says
	 * "/path (deleted)"; the directory has no link left) */
	struct stat st;
	if (strcmp(which, "cwd") == 0 && stat(path, &st) == 0 && st.st_nlink == 0)
		return osfs_refuse(ENOENT, "[Errno 2] No such file or directory");
	osfs_buf_add(out, target, (size_t)n);
	return 0;
}

/* os.sched_getaffinity(0): the CPUs the caller may run on, one per line. */
int osfs_proc_affinity(pid_t tid, struct osfs_buf *out, int *count)
{
	cpu_set_t *set = CPU_ALLOC(CPU_SETSIZE);
	size_t size = CPU_ALLOC_SIZE(CPU_SETSIZE);
	if (!set)
		return -ENOMEM;
	int err = sched_getaffinity(tid, size, set) < 0 ? errno : 0;
	*count = 0;
	for (int cpu = 0; !err && cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET_S(cpu, size, set)) {
			if (out)
				osfs_buf_printf(out, "%d\n", cpu);
			(*count)++;
		}
	}
	CPU_FREE(set);
	return err ? osfs_refuse(err, "sched_getaffinity(%d): %s", (int)tid, strerror(err)) : 0;
}

/* A field of /proc/PID/limits: "unlimited" or a number. */
static int limit_field(const char **p, rlim_t *v)
{
	*p += strspn(*p, " ");
	if (strncmp(*p, "unlimited", 9) == 0) {
		*p += 9;
		*v = RLIM_INFINITY;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(*p, &end, 10);
	if (end == *p || errno)
		return -EIO;
	*p = end;
	*v = (rlim_t)n;
	return 0;
}

int osfs_getrlimit(pid_t pid, int resource, struct rlimit *lim)
{
	if (prlimit(pid, (enum __rlimit_resource)resource, NULL, lim) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* Another user's process, and no CAP_SYS_RESOURCE (a container's root, an
	 * unprivileged owner): its limits file is readable by all.  A header line,
	 * then one line a resource in the kernel's order, its name in 26 columns. */
	char path[64], text[4096];
	snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, text, sizeof text - 1);
	int err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	text[n] = '\0';
	const char *p = text;
	for (int line = 0; p && line <= resource; line++)
		if ((p = strchr(p, '\n')))
			p++;
	const char *eol = p ? strchr(p, '\n') : NULL;
	if (!eol || eol - p < 26)
		return -EIO;
	p += 26;
	if (limit_field(&p, &lim->rlim_cur) || limit_field(&p, &lim->rlim_max))
		return -EIO;
	return 0;
}

/* resource.getrlimit(): soft and hard, -1 for no limit (RLIM_INFINITY). */
int osfs_proc_rlimit(pid_t pid, const char *name, struct osfs_kv *out)
{
	size_t n;
	const struct osfs_named *t = osfs_rlimit_names(&n);
	int which;
	if (osfs_named_value(t, n, name, &which) < 0)
		return osfs_refuse(ENOENT, "unknown resource limit '%s'", name);
	struct rlimit lim;
	int err = osfs_getrlimit(pid, which, &lim);
	if (err)
		return osfs_refuse(-err, "getrlimit(%d, %s): %s", (int)pid, name, strerror(-err));
	osfs_kv_int(out, "soft", lim.rlim_cur == RLIM_INFINITY ? -1 : (long long)lim.rlim_cur);
	osfs_kv_int(out, "hard", lim.rlim_max == RLIM_INFINITY ? -1 : (long long)lim.rlim_max);
	return 0;
}
