/* osfs: mount Python's generic operating system services as a directory of files.
 * Options, start-up, signals and shutdown; everything else is in fs/ and modules/. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "inode.h"
#include "ops.h"
#include "osfs/ffi.h"
#include "osfs/logging/logging.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"
#include "osfs-config.h"
#include "state.h"
#include "tree/tree.h"

/* What handlers have, once osfs stops, to deliver what they hold: the daemon is
 * gone soon after (what is left undelivered is counted in logging/stats). */
#define STOP_MS 30

/* osfs's own -o options; the rest are FUSE's. */
struct options {
	char *state;
	char *logging_config;
	char *escape;
	char *logging_listen, *logging_listen_key;
	char *tls_cafile, *tls_capath;
	int ffi;
	int ffi_timeout;
	int ffi_memory;
	char *spool_records;
};

static const struct fuse_opt option_spec[] = {
	{"state=%s", offsetof(struct options, state), 0},
	{"logging_config=%s", offsetof(struct options, logging_config), 0},
	{"escape=%s", offsetof(struct options, escape), 0},
	{"logging_listen=%s", offsetof(struct options, logging_listen), 0},
	{"logging_listen_key=%s", offsetof(struct options, logging_listen_key), 0},
	{"tls_cafile=%s", offsetof(struct options, tls_cafile), 0},
	{"tls_capath=%s", offsetof(struct options, tls_capath), 0},
	{"ffi", offsetof(struct options, ffi), 1},
	{"ffi_timeout=%d", offsetof(struct options, ffi_timeout), 0},
	{"ffi_memory=%d", offsetof(struct options, ffi_memory), 0},
	{"spool_records=%s", offsetof(struct options, spool_records), 0},
	FUSE_OPT_END,
};

/* systemd's readiness protocol (Type=notify): one datagram to $NOTIFY_SOCKET, a
 * path or, after '@', an abstract name.  Nothing when not run by systemd. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof sa.sun_path)
		return;
	size_t len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

/* A path given relative to where osfs was started (the daemon moves to /). */
static char *absolute(char *path)
{
	if (!path || path[0] == '/')
		return path;
	char cwd[4096];
	char *full = NULL;
	if (getcwd(cwd, sizeof cwd) && asprintf(&full, "%s/%s", cwd, path) < 0)
		full = NULL;
	free(path);
	return full;
}

/* SIGHUP reloads logging_config: a thread waits for it, so that the work is not
 * done in a signal handler.  Every other thread blocks SIGHUP. */
static volatile int stopping;

static void *hup_thread(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0 || stopping)
			return NULL;
		state_reload();
	}
}

static const char usage[] =
	"Usage: osfs MOUNTPOINT [-f] [-d] [-s] [-o OPTION[,OPTION...]]\n"
	"\n"
	"Puts Python's generic operating system services (errno, platform, ...) into a\n"
	"directory of files: reading a file asks a question, writing a control file acts.\n"
	"\n"
	"  cat MOUNTPOINT/errno/ENOENT            2\n"
	"  cat MOUNTPOINT/errno/strerror/2        No such file or directory\n"
	"  cat MOUNTPOINT/platform/platform       Linux-...-x86_64-with-glibc2.36\n"
	"\n"
	"Stop it with `fusermount3 -u MOUNTPOINT` or SIGTERM; both unmount cleanly, and\n"
	"osfs is gone within about 100 ms: handlers have 30 ms to deliver what they hold\n"
	"(what a receiver has not taken by then is counted lost in logging/stats).\n"
	"\n"
	"osfs always mounts with default_permissions: with -o allow_other, other users\n"
	"get in and the kernel checks each node's mode.\n"
	"\n"
	"Options:\n"
	"  -o state=FILE    keep what is set through the files (logging, os/environ, time/tz)\n"
	"                   in FILE, saved on every change and loaded at start; its directory\n"
	"                   is made (mode 0700) if missing\n"
	"  -o logging_config=FILE\n"
	"                   a dictConfig JSON or fileConfig INI file applied at start and on\n"
	"                   SIGHUP; a reload that fails changes nothing and says why on stderr\n"
	"                   and in MOUNTPOINT/errors\n"
	"  -o logging_listen=[HOST:]PORT\n"
	"                   logging.config.listen: take configurations on PORT (loopback unless\n"
	"                   HOST is given), each verified with logging_listen_key\n"
	"  -o logging_listen_key=FILE|none\n"
	"                   the HMAC-SHA256 key (FILE's bytes, mode 0600) the listener verifies\n"
	"                   with; none: configurations are taken unverified\n"
	"  -o tls_cafile=FILE, -o tls_capath=DIR\n"
	"                   the CAs SMTPHandler (STARTTLS) and HTTPHandler (https) verify\n"
	"                   servers with, unless a handler names its own (default: the system's)\n"
	"  -o spool_records=N\n"
	"                   records each network handler (Socket, Datagram, SysLog, HTTP) keeps\n"
	"                   while its receiver is away, sent again in order when it is back\n"
	"                   (1000; 0: none, as Python); logging/handlers/NAME/spool sets one's\n"
	"  -o escape=others|all\n"
	"                   whose records have their control characters escaped (\\n, \\x1b):\n"
	"                   users other than the owner (the default), or everyone's\n"
	"  -o ffi           the ffi/ directory: ctypes-like calls, run in a worker process\n"
	"  -o ffi_timeout=MS  how long a call may take before its worker is killed (5000)\n"
	"  -o ffi_memory=MB   the worker's address space (RLIMIT_AS; 1024, 0 for no bound)\n"
	"\n"
	"FUSE options:\n";

int main(int argc, char *argv[])
{
	/* The ffi worker is this program run again: it serves calls, then exits. */
	if (argc == 3 && strcmp(argv[1], "--ffi-worker") == 0)
		return osfs_ffi_worker_main(atoi(argv[2]));
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct options mine = {.ffi_memory = -1};
	int status = 1;

	if (fuse_opt_parse(&args, &mine, option_spec, NULL) != 0)
		return 2;
	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 2;
	if (mine.escape && strcmp(mine.escape, "all") != 0 && strcmp(mine.escape, "others") != 0) {
		fprintf(stderr, "osfs: escape=%s: expected 'others' or 'all'\n", mine.escape);
		return 2;
	}
	logging_escape_all = mine.escape && strcmp(mine.escape, "all") == 0;
	if (mine.spool_records) {
		char *end;
		long n = strtol(mine.spool_records, &end, 10);
		if (!*mine.spool_records || *end || n < 0 || n > 100000000) {
			fprintf(stderr, "osfs: spool_records=%s: expected a number of records, 0-100000000\n",
				mine.spool_records);
			return 2;
		}
		log_spool_default_set(n);
	}
	mine.state = absolute(mine.state);
	mine.logging_config = absolute(mine.logging_config);
	if (mine.logging_listen_key && strcmp(mine.logging_listen_key, "none") != 0)
		mine.logging_listen_key = absolute(mine.logging_listen_key);
	char cwd[4096];
	if (getcwd(cwd, sizeof cwd)) /* before daemonizing moves us to / */
		log_set_base_dir(cwd);
	if (log_set_tls_trust(mine.tls_cafile, mine.tls_capath) != 0) { /* relative: to cwd */
		fprintf(stderr, "osfs: %s\n", osfs_refusal());
		status = 2;
		goto out_args;
	}
	if (mine.ffi) {
		char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		exe[n > 0 ? n : 0] = '\0';
		tree_ffi_enabled = 1;
		osfs_ffi_worker_start(exe, mine.ffi_timeout > 0 ? mine.ffi_timeout : 5000,
				      mine.ffi_memory < 0 ? 1024 : mine.ffi_memory);
	}
	if (opts.show_help) {
		fputs(usage, stdout);
		fflush(stdout);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		status = 0;
		goto out_args;
	}
	if (opts.show_version) {
		printf("osfs %s\nFUSE library version %s\n", OSFS_VERSION, fuse_pkgversion());
		fflush(stdout);
		fuse_lowlevel_version();
		status = 0;
		goto out_args;
	}
	if (!opts.mountpoint) {
		fprintf(stderr, "osfs: no mount point given\n%s", usage);
		status = 2;
		goto out_args;
	}

	int err = tree_init();
	if (err) {
		fprintf(stderr, "osfs: cannot start: %s\n", strerror(-err));
		goto out_args;
	}
	inode_init(&osfs_root);
	if (state_start(mine.state, mine.logging_config) != 0)
		goto out_tree;
	/* bound now (a refusal is seen on stderr), its thread started after the fork */
	if ((mine.logging_listen_key && log_listen_key_set(mine.logging_listen_key) != 0) ||
	    (mine.logging_listen && log_listen_open(mine.logging_listen) != 0)) {
		fprintf(stderr, "osfs: logging_listen: %s\n", osfs_refusal());
		goto out_tree;
	}

	/* The kernel checks every node's mode; the mount names itself in /proc/mounts. */
	if (fuse_opt_add_arg(&args, "-odefault_permissions,fsname=osfs,subtype=osfs") != 0)
		goto out_tree;
	struct fuse_session *se = fuse_session_new(&args, &osfs_ops, sizeof osfs_ops, NULL);
	if (!se)
		goto out_tree;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_signals;
	if (osfs_ops_session(se, opts.mountpoint, !opts.singlethread) != 0)
		goto out_unmount;
	if (fuse_daemonize(opts.foreground) != 0)
		goto out_unmount;
	/* After daemonizing (a fork would not keep the thread): SIGHUP reloads. */
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);
	pthread_t hupper;
	int have_hupper = osfs_thread_start(&hupper, hup_thread, &hup) == 0;
	if (state_run() != 0 || log_listen_run() != 0 || log_spool_run() != 0)
		goto out_threads;
	char ready[64];
	snprintf(ready, sizeof ready, "READY=1\nMAINPID=%d", (int)getpid());
	notify(ready); /* mounted: the kernel queues requests until the loop takes them */

	int ret;
	if (opts.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();
		if (!cfg)
			goto out_unmount;
		fuse_loop_cfg_set_clone_fd(cfg, (unsigned)opts.clone_fd);
		/* UINT_MAX means "not given": keep libfuse's defaults. */
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(cfg, opts.max_idle_threads);
		if (opts.max_threads != 0 && opts.max_threads != UINT_MAX)
			fuse_loop_cfg_set_max_threads(cfg, opts.max_threads);
		ret = fuse_session_loop_mt(se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	/* The loop returns 0 after an unmount, the signal's number after SIGTERM or
	 * SIGINT (both clean stops), and -errno when serving failed. */
	status = ret < 0 ? 1 : 0;
	notify("STOPPING=1");
	/* Gone within STOP_MS: handlers deliver what they can by then (log_stop). */
	log_stop(STOP_MS);
out_threads:
	if (have_hupper) {
		stopping = 1;
		pthread_kill(hupper, SIGHUP);
		pthread_join(hupper, NULL);
	}
	osfs_ops_shutdown();

out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_tree:
	state_stop(); /* what is not saved yet, on the way out */
	tree_fini();
	access_fini();
out_args:
	free(mine.state);
	free(mine.logging_config);
	free(mine.escape);
	free(mine.logging_listen);
	free(mine.logging_listen_key);
	free(mine.tls_cafile);
	free(mine.tls_capath);
	free(mine.spool_records);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return status;
}
