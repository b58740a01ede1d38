/* procfs: the few facts of another process that only /proc tells (its umask, its
 * capabilities, its terminal and foreground group), read as the kernel prints them. */
#include "osfs/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "osfs/refuse.h"

/* Reads /proc/PID/WHAT (small files only) into buf: its length, or -errno. */
static ssize_t read_small(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return osfs_refuse(errno == ENOENT ? ESRCH : errno, "cannot read %s: %s", path,
				   strerror(errno));
	size_t len = 0;
	ssize_t n;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

int osfs_proc_status_field(pid_t tid, const char *key, char *out, size_t size)
{
	char text[4096];
	ssize_t len = read_small(tid, "status", text, sizeof text);
	if (len < 0)
		return (int)len;
	size_t klen = strlen(key);
	for (const char *line = text; *line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *v = line + klen + 1;
			v += strspn(v, " \t");
			snprintf(out, size, "%.*s", (int)strcspn(v, "\n"), v);
			return 0;
		}
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return osfs_refuse(ENODATA, "/proc/%d/status has no %s", (int)tid, key);
}

int osfs_proc_capable(pid_t tid, int cap)
{
	char hex[32];
	int err = osfs_proc_status_field(tid, "CapEff", hex, sizeof hex);
	if (err)
		return err;
	uint64_t caps = strtoull(hex, NULL, 16);
	return cap >= 0 && cap < 64 && (caps >> cap) & 1;
}

/* /proc/PID/stat: the fields after the command name, which is in parentheses and
 * may hold anything, so the last ')' ends it. */
int osfs_proc_stat(pid_t pid, struct osfs_proc_stat *st)
{
	char text[1024];
	ssize_t len = read_small(pid, "stat", text, sizeof text);
	if (len < 0)
		return (int)len;
	const char *rest = strrchr(text, ')');
	if (!rest || sscanf(rest + 1, " %c %d %d %d %d %d", &st->state, &st->ppid, &st->pgrp,
			    &st->session, &st->tty_nr, &st->tpgid) != 6)
		return osfs_refuse(EIO, "cannot parse /proc/%d/stat", (int)pid);
	return 0;
}

/* Whether pid holds a descriptor of the file whose inode number is ino (on any
 * file system: a number shared with another is taken as held), from
 * /proc/PID/fdinfo/N's "ino:" line: 1, 0, or -errno. */
int osfs_proc_holds(pid_t pid, unsigned long long ino)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	int held = 0;
	for (struct dirent *e; !held && (e = readdir(d)) != NULL;) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char what[sizeof e->d_name + 8], text[512];
		snprintf(what, sizeof what, "fdinfo/%s", e->d_name);
		if (read_small(pid, what, text, sizeof text) < 0)
			continue; /* closed meanwhile */
		const char *line = strstr(text, "\nino:");
		held = line && strtoull(line + 5, NULL, 10) == ino;
	}
	closedir(d);
	osfs_refusal_clear();
	return held;
}
