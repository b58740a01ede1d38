/* The ffi worker: a process of its own (the daemon's executable, run again with
 * --ffi-worker FD) where the calls happen.  A fault or a call that does not return
 * in time kills only the worker: the caller gets EIO ("worker crashed: SIGSEGV",
 * "worker crashed: timeout") and the next call starts a new one.
 * Frames: 4 bytes of length, then (from the worker) one status byte (0 or an errno)
 * and the answer or the refusal's message. */
#include "osfs/ffi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "osfs/refuse.h"

extern char **environ;

static struct {
	pthread_mutex_t lock;
	char exe[4096];
	char **envp; /* the worker's environment, made before any fork */
	int timeout_ms;
	pid_t pid;
	int fd;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER, .pid = -1, .fd = -1};

static int write_frame(int fd, const char *a, size_t alen, const char *b, size_t blen)
{
	uint32_t len = (uint32_t)(alen + blen);
	unsigned char head[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8), (unsigned char)len};
	const char *parts[3] = {(const char *)head, a, b};
	size_t lens[3] = {4, alen, blen};
	for (int i = 0; i < 3; i++) {
		for (size_t done = 0; done < lens[i];) {
			ssize_t n = write(fd, parts[i] + done, lens[i] - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			done += (size_t)n;
		}
	}
	return 0;
}

/* Reads one frame into out; timeout_ms < 0 waits for ever.  0, -1 (closed or an
 * error), or -2 (timeout). */
static int read_frame(int fd, struct osfs_buf *out, int timeout_ms)
{
	unsigned char head[4];
	size_t want = 4, got = 0;
	char *dst = (char *)head;
	for (int phase = 0; phase < 2; phase++) {
		while (got < want) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int r = poll(&p, 1, timeout_ms);
			if (r == 0)
				return -2;
			if (r < 0 && errno == EINTR)
				continue;
			ssize_t n = r < 0 ? -1 : read(fd, dst + got, want - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			got += (size_t)n;
		}
		if (phase == 0) {
			want = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
			got = 0;
			dst = osfs_buf_extend(out, want);
			if (!dst && want)
				return -1;
		}
	}
	return 0;
}

int osfs_ffi_worker_main(int fd)
{
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct osfs_buf req = {0}, ans = {0};
		if (read_frame(fd, &req, -1) < 0)
			return 0;
		osfs_buf_add(&req, "", 1);
		int err = osfs_ffi_call(req.data, &ans);
		unsigned char status = (unsigned char)(err ? -err : 0);
		const char *text = err ? osfs_refusal() : (ans.data ? ans.data : "");
		int ok = write_frame(fd, (const char *)&status, 1, text, strlen(text)) == 0;
		osfs_buf_free(&req);
		osfs_buf_free(&ans);
		osfs_refusal_clear();
		if (!ok)
			return 0;
	}
}

static void reap(void)
{
	if (w.fd >= 0)
		close(w.fd);
	if (w.pid > 0)
		waitpid(w.pid, NULL, 0);
	w.fd = -1;
	w.pid = -1;
}

static int spawn(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return osfs_refuse(errno, "socketpair: %s", strerror(errno));
	char fdtext[16];
	snprintf(fdtext, sizeof fdtext, "%d", sv[1]);
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return osfs_refuse(errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) { /* only exec-safe calls between fork and exec */
		fcntl(sv[1], F_SETFD, 0);
		char *argv[] = {w.exe, (char *)"--ffi-worker", fdtext, NULL};
		execve(w.exe, argv, w.envp ? w.envp : environ);
		_exit(127);
	}
	close(sv[1]);
	w.pid = pid;
	w.fd = sv[0];
	return 0;
}

/* The daemon's environment, where a sanitizer build is told to let the worker die
 * of the signals its calls raise (that death is the answer), and not to look for
 * leaks in a process that is killed by design. */
static char **worker_env(void)
{
	static const char *const add[] = {
		"ASAN_OPTIONS", "handle_segv=0:handle_sigbus=0:handle_abort=0:handle_sigfpe=0:"
				"handle_sigill=0:detect_leaks=0",
		"UBSAN_OPTIONS", "handle_segv=0:handle_sigbus=0:handle_abort=0:handle_sigfpe=0:"
				 "handle_sigill=0",
	};
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 3, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; env && i < n; i++) {
		int ours = 0;
		for (size_t a = 0; a < 4; a += 2)
			ours |= strncmp(environ[i], add[a], strlen(add[a])) == 0 &&
				environ[i][strlen(add[a])] == '=';
		if (!ours)
			env[k++] = environ[i];
	}
	for (size_t a = 0; env && a < 4; a += 2) {
		const char *old = getenv(add[a]);
		if (asprintf(&env[k], "%s=%s%s%s", add[a], old ? old : "", old ? ":" : "", add[a + 1]) >= 0)
			k++;
	}
	return env;
}

int osfs_ffi_worker_start(const char *exe, int timeout_ms)
{
	pthread_mutex_lock(&w.lock);
	snprintf(w.exe, sizeof w.exe, "%s", exe);
	w.timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	if (!w.envp)
		w.envp = worker_env();
	reap();
	pthread_mutex_unlock(&w.lock);
	return 0; /* started at the first call */
}

void osfs_ffi_worker_stop(void)
{
	pthread_mutex_lock(&w.lock);
	if (w.pid > 0)
		kill(w.pid, SIGKILL);
	reap();
	pthread_mutex_unlock(&w.lock);
}

int osfs_ffi_worker_call(const char *request, struct osfs_buf *out)
{
	pthread_mutex_lock(&w.lock); /* one call at a time: one worker */
	int err = w.fd < 0 ? spawn() : 0;
	struct osfs_buf frame = {0};
	int r = err ? 0 : write_frame(w.fd, request, strlen(request), "", 0) < 0 ? -1
							   : read_frame(w.fd, &frame, w.timeout_ms);
	if (!err && r < 0) {
		int status = 0;
		if (r == -2)
			kill(w.pid, SIGKILL);
		waitpid(w.pid, &status, 0);
		w.pid = -1;
		close(w.fd);
		w.fd = -1;
		if (r == -2)
			err = osfs_refuse(EIO, "worker crashed: timeout (%d ms)", w.timeout_ms);
		else if (WIFSIGNALED(status))
			err = osfs_refuse(EIO, "worker crashed: SIG%s", sigabbrev_np(WTERMSIG(status)));
		else
			err = osfs_refuse(EIO, "worker crashed: exit status %d", WEXITSTATUS(status));
	} else if (!err) {
		unsigned char status = frame.len ? (unsigned char)frame.data[0] : EIO;
		if (status)
			err = osfs_refuse(status, "%.*s", (int)(frame.len - 1), frame.data + 1);
		else
			osfs_buf_add(out, frame.data + 1, frame.len - 1);
	}
	osfs_buf_free(&frame);
	pthread_mutex_unlock(&w.lock);
	return err;
}
