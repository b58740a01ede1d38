/* tty: a calling process's terminals, as it would see them itself: ttyname(fd),
 * its terminal size, the foreground group of its controlling terminal, and
 * getlogin().  A descriptor of the caller is reached by reopening
 * /proc/PID/fd/N, and only when it is a character device, with O_NOCTTY and
 * O_NONBLOCK: never a pipe or file, never becoming the daemon's terminal. */
#include "osfs/os.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include "osfs/refuse.h"

/* The caller's descriptor fd, reopened if it is a terminal: an fd, or -errno as
 * tcgetattr() on it would fail (EBADF, ENOTTY). */
static int open_fd(pid_t pid, int fd)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -EBADF : -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	int t = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (t < 0)
		return -errno;
	if (!isatty(t)) {
		close(t);
		return -ENOTTY;
	}
	return t;
}

/* The device of the caller's controlling terminal, opened: an fd, or -ENXIO. */
static int open_ctty(pid_t pid)
{
	struct osfs_proc_stat s;
	int err = osfs_proc_stat(pid, &s);
	if (err)
		return err;
	if (s.tty_nr == 0)
		return -ENXIO;
	dev_t dev = (dev_t)(unsigned)s.tty_nr;
	unsigned maj = major(dev), min = minor(dev);
	char path[128];
	if (maj >= 136 && maj < 144) { /* Unix98 pty slaves: /dev/pts/N */
		snprintf(path, sizeof path, "/dev/pts/%u", (maj - 136) * 256 + min);
	} else {
		char uevent[64], text[512] = "";
		snprintf(uevent, sizeof uevent, "/sys/dev/char/%u:%u/uevent", maj, min);
		FILE *f = fopen(uevent, "re");
		if (f) {
			size_t n = fread(text, 1, sizeof text - 1, f);
			text[n] = '\0';
			fclose(f);
		}
		const char *name = strstr(text, "DEVNAME=");
		if (!name)
			return -ENXIO;
		snprintf(path, sizeof path, "/dev/%.*s", (int)strcspn(name + 8, "\n"), name + 8);
	}
	int t = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (t < 0)
		return -ENXIO;
	struct stat st;
	if (fstat(t, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != dev || !isatty(t)) {
		close(t);
		return -ENXIO;
	}
	return t;
}

static int window_size(int fd, struct osfs_kv *out)
{
	struct winsize w;
	if (ioctl(fd, TIOCGWINSZ, &w) < 0)
		return -errno;
	osfs_kv_int(out, "columns", w.ws_col);
	osfs_kv_int(out, "lines", w.ws_row);
	return 0;
}

/* os.get_terminal_size() of the first of the caller's descriptors 0, 1 and 2 that
 * is a terminal, else of its controlling terminal: what a program asking "how
 * wide am I" means, also from inside $(...) where its output is a pipe. */
int osfs_proc_terminal_size(pid_t pid, struct osfs_kv *out)
{
	for (int fd = 0; fd <= 3; fd++) {
		int t = fd < 3 ? open_fd(pid, fd) : open_ctty(pid);
		if (t < 0)
			continue;
		int err = window_size(t, out);
		close(t);
		if (!err)
			return 0;
	}
	return osfs_refuse(ENOTTY, "none of the caller's descriptors 0, 1, 2 is a terminal, and "
			   "it has no controlling terminal");
}

/* os.ttyname(fd) of the caller: glibc's answer, the path /proc/self/fd/N links to
 * when that path is the same terminal. */
int osfs_proc_ttyname(pid_t pid, int fd, struct osfs_buf *out)
{
	int t = fd < 0 ? -EBADF : open_fd(pid, fd);
	if (t < 0)
		return osfs_refuse(-t, "[Errno %d] %s", -t, strerror(-t));
	char link[64], target[4096];
	snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	struct stat a, b;
	int same = n > 0 && (target[n] = '\0', target[0] == '/') && stat(target, &a) == 0 &&
		   fstat(t, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
		   S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
	close(t);
	if (!same)
		return osfs_refuse(ENODEV, "[Errno %d] %s", ENODEV, strerror(ENODEV));
	osfs_buf_puts(out, target);
	return 0;
}

/* os.tcgetpgrp() of the caller's controlling terminal: its foreground process
 * group, as /proc/PID/stat's tpgid tells it. */
int osfs_proc_tcgetpgrp(pid_t pid, pid_t *pgrp)
{
	struct osfs_proc_stat s;
	int err = osfs_proc_stat(pid, &s);
	if (err)
		return err;
	if (s.tty_nr == 0)
		return osfs_refuse(ENXIO, "the caller has no controlling terminal");
	*pgrp = s.tpgid;
	return 0;
}

/* os.getlogin() of the caller, as glibc's getlogin() answers for it: the user of
 * its audit login uid; when the kernel keeps none, the utmp entry of the terminal
 * on its descriptor 0. */
int osfs_proc_login(pid_t pid, struct osfs_buf *out)
{
	char path[64], text[16];
	snprintf(path, sizeof path, "/proc/%d/loginuid", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	if (fd >= 0)
		close(fd);
	char *end = NULL;
	unsigned long uid = 0;
	if (n > 0 && n < (ssize_t)sizeof text - 1) {
		text[n] = '\0';
		uid = strtoul(text, &end, 10);
	}
	if (end && end != text && *end == '\0') {
		if (uid == (uid_t)-1)
			return osfs_refuse(ENXIO, "[Errno %d] %s", ENXIO, strerror(ENXIO));
		struct passwd pw, *found = NULL;
		char buf[4096];
		if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &found) == 0 && found) {
			osfs_buf_puts(out, pw.pw_name);
			return 0;
		}
	}
	/* getlogin_fd0(): the terminal on descriptor 0, looked up in utmp */
	struct osfs_buf tty = {0};
	int err = osfs_proc_ttyname(pid, 0, &tty);
	if (err) {
		osfs_buf_free(&tty);
		return err;
	}
	struct utmp line = {0}, buffer, *found = NULL;
	snprintf(line.ut_line, sizeof line.ut_line, "%s",
		 strncmp(tty.data, "/dev/", 5) == 0 ? tty.data + 5 : tty.data);
	osfs_buf_free(&tty);
	static pthread_mutex_t utmp_lock = PTHREAD_MUTEX_INITIALIZER; /* one utmp cursor */
	pthread_mutex_lock(&utmp_lock);
	setutent();
	int missing = getutline_r(&line, &buffer, &found) < 0;
	endutent();
	pthread_mutex_unlock(&utmp_lock);
	if (missing || !found)
		return osfs_refuse(ENOENT, "[Errno %d] %s", ENOENT, strerror(ENOENT));
	osfs_buf_printf(out, "%.*s", (int)sizeof found->ut_user, found->ut_user);
	return 0;
}
