/* The ffi worker: a process of its own (the daemon's executable, run again with
 * --ffi-worker 3) where the calls happen, so that a fault, a hang or a stray
 * signal in called code costs a worker, never the daemon.  It runs in a session
 * and process group of its own, with nothing of the daemon's but its two sockets
 * (requests on fd 3, answers on fd 4; 0-2 are /dev/null), no new privileges, the
 * daemon's death as its own (PR_SET_PDEATHSIG), no core dumps, no processes of its
 * own (RLIMIT_NPROC 0) and a bounded address space (RLIMIT_AS).  A worker that
 * crashes, does not answer in time or answers out of step is killed with its
 * process group and replaced; nothing waits unbounded while holding the lock.
 * Workers are started by one thread of their own, which lives as long as ffi does,
 * so that the death of whichever thread started one is never mistaken for the
 * daemon's. */
#include "osfs/ffi.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ffi_internal.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1 /* ASan reserves terabytes of address space: no RLIMIT_AS then */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

extern char **environ;

#define MAX_ZOMBIES 16
#define MAX_LIBS 256

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char exe[4096];
	char **envp; /* the worker's environment, made before any fork */
	int timeout_ms;
	int memory_mb;
	pid_t pid;
	int fd;  /* requests go out on it */
	int ans; /* answers come in on it */
	int fresh;      /* no call answered yet: it must load the global libraries */
	uint32_t seq;
	struct ffi_rx rx;
	pthread_t spawner;
	int spawner_on, want, quit, spawn_err;
	unsigned long spawns;
	pid_t zombies[MAX_ZOMBIES]; /* killed, not yet reaped */
	char *libs[MAX_LIBS];       /* loaded so far, "global:" first if RTLD_GLOBAL */
	size_t nlibs;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .pid = -1, .fd = -1,
     .ans = -1};

/* Between fork and exec: only system calls. */
static void child(int in, int out, pid_t daemon)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != daemon)
		_exit(126);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(126);
	/* A batch task does not preempt the one that wakes it: the daemon's thread,
	 * having sent a request, goes on to wait for the answer instead of being
	 * switched out at once and in again only to wait. */
	struct sched_param sp = {0};
	sched_setscheduler(0, SCHED_BATCH, &sp);
	struct rlimit zero = {0, 0};
	setrlimit(RLIMIT_CORE, &zero);
	setrlimit(RLIMIT_NPROC, &zero);
#ifndef UNDER_ASAN
	struct rlimit as;
	if (w.memory_mb > 0 && getrlimit(RLIMIT_AS, &as) == 0) {
		rlim_t want = (rlim_t)w.memory_mb << 20;
		if (as.rlim_max == RLIM_INFINITY || want < as.rlim_max)
			as.rlim_max = want;
		as.rlim_cur = as.rlim_max;
		setrlimit(RLIMIT_AS, &as);
	}
#endif
	int i = fcntl(in, F_DUPFD, 10), o = fcntl(out, F_DUPFD, 10), nul = open("/dev/null", O_RDWR);
	if (i < 0 || o < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 ||
	    dup2(i, 3) < 0 || dup2(o, 4) < 0)
		_exit(126);
	close_range(5, ~0U, 0);
	char *argv[] = {w.exe, (char *)"--ffi-worker", (char *)"3", NULL};
	execve(w.exe, argv, w.envp ? w.envp : environ);
	_exit(127);
}

/* Two socket pairs, one a direction: reading from a unix socket wakes whoever
 * waits on the sending socket ("room to write"), so with one pair the worker,
 * waiting for its next request, would be woken for nothing each time the daemon
 * took an answer, and the daemon's thread each time the worker took a request. */
static int spawn(void)
{
	int req[2], ans[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req) < 0)
		return osfs_refuse(errno, "cannot start the ffi worker: socketpair: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ans) < 0) {
		int e = errno;
		close(req[0]);
		close(req[1]);
		return osfs_refuse(e, "cannot start the ffi worker: socketpair: %s", strerror(e));
	}
	pid_t daemon = getpid(), pid = fork();
	if (pid == 0)
		child(req[1], ans[1], daemon);
	int e = errno;
	close(req[1]);
	close(ans[1]);
	if (pid < 0) {
		close(req[0]);
		close(ans[0]);
		return osfs_refuse(e, "cannot start the ffi worker: fork: %s", strerror(e));
	}
	struct timeval tv = {.tv_sec = w.timeout_ms / 1000, .tv_usec = (w.timeout_ms % 1000) * 1000};
	setsockopt(ans[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* bounds the blocking read */
	setsockopt(req[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	w.pid = pid;
	w.fd = req[0];
	w.ans = ans[0];
	w.fresh = 1;
	return 0;
}

static void *spawner(void *arg)
{
	pthread_mutex_lock(&w.lock);
	while (!w.quit) {
		if (w.want) {
			w.spawn_err = w.fd < 0 ? spawn() : 0;
			w.want = 0;
			w.spawns++;
			pthread_cond_broadcast(&w.cond);
		} else {
			pthread_cond_wait(&w.cond, &w.lock);
		}
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* Reaps pid within ms milliseconds: 1 with *status, or 0 (then it is kept to be
 * reaped later, never waited for under the lock). */
static int reap_within(pid_t pid, int *status, int ms)
{
	for (int i = 0; i <= ms; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return r == pid;
		if (i < ms)
			sleep_ms(1);
	}
	for (int i = 0; i < MAX_ZOMBIES; i++)
		if (w.zombies[i] <= 0) {
			w.zombies[i] = pid;
			break;
		}
	return 0;
}

static void reap_zombies(void)
{
	for (int i = 0; i < MAX_ZOMBIES; i++)
		if (w.zombies[i] > 0 && waitpid(w.zombies[i], NULL, WNOHANG) != 0)
			w.zombies[i] = 0;
}

/* Ends the worker (its whole process group) and says why, as the refusal. */
static int replace(int why)
{
	int status = 0, known = 0;
	if (why == -EPIPE && w.pid > 0) { /* it closed the channel: let it finish dying first */
		siginfo_t si = {0};
		for (int i = 0; i < 200 && si.si_pid == 0; i++) {
			if (waitid(P_PID, (id_t)w.pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
				break;
			if (si.si_pid == 0)
				sleep_ms(1);
		}
	}
	if (w.pid > 0) {
		kill(-w.pid, SIGKILL); /* before reaping: the group id cannot be reused yet */
		known = reap_within(w.pid, &status, 2000);
	}
	close(w.fd);
	close(w.ans);
	w.fd = w.ans = -1;
	w.pid = -1;
	w.want = 1; /* a fresh worker, hot for the next call */
	pthread_cond_broadcast(&w.cond);
	if (why == -ETIMEDOUT)
		return osfs_refuse(EIO, "worker crashed: timeout (%d ms)", w.timeout_ms);
	if (why == -EPROTO)
		return osfs_refuse(EIO, "worker replaced: its answer was out of step with the request");
	if (known && WIFSIGNALED(status))
		return osfs_refuse(EIO, "worker crashed: SIG%s", sigabbrev_np(WTERMSIG(status)));
	if (known && WIFEXITED(status))
		return osfs_refuse(EIO, "worker crashed: exit status %d", WEXITSTATUS(status));
	return osfs_refuse(EIO, "worker crashed: the channel closed");
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

int osfs_ffi_worker_start(const char *exe, int timeout_ms, int memory_mb)
{
	pthread_mutex_lock(&w.lock);
	snprintf(w.exe, sizeof w.exe, "%s", exe);
	w.timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	w.memory_mb = memory_mb;
	if (!w.envp)
		w.envp = worker_env();
	pthread_mutex_unlock(&w.lock);
	return 0; /* started by the first call: the daemon may still fork into the background */
}

void osfs_ffi_worker_stop(void)
{
	pthread_mutex_lock(&w.lock);
	w.quit = 1;
	pthread_cond_broadcast(&w.cond);
	int on = w.spawner_on;
	w.spawner_on = 0;
	if (w.fd >= 0 && w.pid > 0) {
		kill(-w.pid, SIGKILL);
		reap_within(w.pid, NULL, 2000);
		close(w.fd);
		close(w.ans);
		w.fd = w.ans = -1;
		w.pid = -1;
	}
	for (int i = 0; i < MAX_ZOMBIES; i++)
		if (w.zombies[i] > 0 && reap_within(w.zombies[i], NULL, 500))
			w.zombies[i] = 0;
	ffi_rx_free(&w.rx);
	for (size_t i = 0; i < w.nlibs; i++)
		free(w.libs[i]);
	w.nlibs = 0;
	pthread_mutex_unlock(&w.lock);
	if (on)
		pthread_join(w.spawner, NULL);
}

/* A worker ready for a call (the lock held): 0, or -errno after osfs_refuse(). */
static int ready(void)
{
	if (w.fd >= 0)
		return 0;
	if (w.quit)
		return osfs_refuse(ESHUTDOWN, "ffi is shutting down");
	if (!w.spawner_on) {
		int e = osfs_thread_start(&w.spawner, spawner, NULL);
		if (e)
			return osfs_refuse(e, "cannot start the ffi worker's thread: %s", strerror(e));
		w.spawner_on = 1;
	}
	reap_zombies();
	unsigned long before = w.spawns;
	w.want = 1;
	pthread_cond_broadcast(&w.cond);
	while (w.spawns == before && !w.quit)
		pthread_cond_wait(&w.cond, &w.lock);
	if (w.fd >= 0)
		return 0;
	return w.spawn_err ? w.spawn_err : osfs_refuse(EIO, "the ffi worker did not start");
}

static void remember(const char *lib, size_t len)
{
	for (size_t i = 0; i < w.nlibs; i++)
		if (strlen(w.libs[i]) == len && memcmp(w.libs[i], lib, len) == 0)
			return;
	if (w.nlibs < MAX_LIBS && (w.libs[w.nlibs] = strndup(lib, len)))
		w.nlibs++;
}

void osfs_ffi_libraries(struct osfs_buf *out)
{
	pthread_mutex_lock(&w.lock);
	for (size_t i = 0; i < w.nlibs; i++) {
		const char *name = w.libs[i];
		osfs_buf_printf(out, "%s\n", strncmp(name, "global:", 7) == 0 ? name + 7 : name);
	}
	pthread_mutex_unlock(&w.lock);
}

static int answer(const struct ffi_frame *h, const char *body, int *errno_copy, struct osfs_buf *out)
{
	uint32_t liblen;
	memcpy(&liblen, body, 4);
	const char *text = body + 4 + liblen;
	size_t tlen = h->len - 4 - liblen;
	w.fresh = 0;
	if (h->status)
		return osfs_refuse(h->status, "%.*s", (int)tlen, text);
	if (liblen)
		remember(body + 4, liblen);
	*errno_copy = h->err;
	osfs_buf_add(out, text, tlen);
	return 0;
}

/* Sends one request to a ready worker (the libraries it must load first if it is
 * new, the context, the request): 0, -EPIPE, -ETIMEDOUT. */
static int send_request(struct ffi_frame *head, const char *context, const char *request)
{
	struct osfs_buf globals = {0};
	for (size_t i = 0; w.fresh && i < w.nlibs; i++)
		if (strncmp(w.libs[i], "global:", 7) == 0)
			osfs_buf_printf(&globals, "global %s\n", w.libs[i] + 7);
	struct iovec parts[3] = {
		{globals.data, globals.len},
		{(void *)context, context ? strlen(context) : 0},
		{(void *)request, strlen(request)},
	};
	head->seq = ++w.seq;
	int r = globals.failed ? -EPIPE : ffi_frame_send(w.fd, head, parts, 3);
	osfs_buf_free(&globals);
	return r;
}

int osfs_ffi_worker_call(const char *context, const char *request, int *errno_copy,
			 struct osfs_buf *out)
{
	pthread_mutex_lock(&w.lock); /* one call at a time: one worker */
	struct ffi_frame head = {.err = *errno_copy}, ans;
	const char *body;
	int err = ready();
	int r = err ? err : send_request(&head, context, request);
	if (!err && r == -EPIPE) { /* it died before it took the request: a new one takes it */
		replace(r);
		osfs_refusal_clear();
		err = ready();
		r = err ? err : send_request(&head, context, request);
	}
	if (!err && !r)
		r = ffi_frame_recv(w.ans, head.seq, 0, FFI_MAX_ANSWER, w.timeout_ms, &w.rx, &ans, &body);
	if (!err && !r)
		r = ffi_answer_check(&ans, body);
	if (!err)
		err = r ? replace(r) : answer(&ans, body, errno_copy, out);
	pthread_mutex_unlock(&w.lock);
	return err;
}

/* Set in the child of a fork() a call makes: that child has no channel and exits.
 * glibc runs atfork handlers for fork() and whatever forks through it, and this
 * costs no system call per call, where asking getpid() after each would.  A raw
 * clone(2) skips it; then two processes read one channel, and the first answer
 * out of step replaces them both (they share the process group). */
static volatile sig_atomic_t forked;

static void in_child(void)
{
	forked = 1;
}

int osfs_ffi_worker_main(int fd)
{
	int out = fd + 1; /* requests come in on fd, answers go out on the next */
	pthread_atfork(NULL, NULL, in_child);
	signal(SIGPIPE, SIG_IGN);
	fcntl(fd, F_SETFD, FD_CLOEXEC); /* what a call starts does not inherit the channel */
	fcntl(out, F_SETFD, FD_CLOEXEC);
	struct ffi_rx rx = {0};
	for (;;) {
		struct ffi_frame head;
		const char *body;
		if (ffi_frame_recv(fd, 0, 1, FFI_MAX_REQUEST, -1, &rx, &head, &body) != 0)
			break;
		char *request = strndup(body, head.len);
		int errno_copy = head.err;
		struct osfs_buf text = {0}, lib = {0};
		int err = request ? osfs_ffi_call(request, &errno_copy, &text, &lib) : -ENOMEM;
		if (forked)
			_exit(0);
		const char *msg = err ? osfs_refusal() : text.data ? text.data : "";
		uint32_t liblen = err ? 0 : (uint32_t)lib.len;
		struct iovec parts[3] = {{&liblen, 4}, {lib.data, liblen}, {(void *)msg, strlen(msg)}};
		struct ffi_frame head_out = {.seq = head.seq, .status = err ? -err : 0, .err = errno_copy};
		int sent = ffi_frame_send(out, &head_out, parts, 3);
		free(request);
		osfs_buf_free(&text);
		osfs_buf_free(&lib);
		osfs_refusal_clear();
		if (sent)
			break;
	}
	ffi_rx_free(&rx);
	return 0;
}
