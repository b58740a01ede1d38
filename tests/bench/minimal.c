/* The benchmark's reference: the smallest useful libfuse3 file system.  `value`
 * serves a constant string with direct_io, through the same low-level API, loop,
 * threading and timeouts as osfs, so a read loop over it measures FUSE's own cost;
 * `sink` (the owner's, write-only) takes every write whole and forgets it, the
 * floor for a record written from a shell (tests/bench/shell-record).
 * usage: minimal MOUNTPOINT [-f] [-s] [--size=N] */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMEOUT 3600.0
#define VALUE_INO 2
#define SINK_INO 3

static char value[4096];
static size_t value_len = 21;

static int stat_of(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (ino == VALUE_INO) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	} else if (ino == SINK_INO) {
		st->st_mode = S_IFREG | 0200;
		st->st_nlink = 1;
	} else {
		return -1;
	}
	return 0;
}

static void mini_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {.attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT};
	if (parent == FUSE_ROOT_ID && strcmp(name, "value") == 0)
		e.ino = VALUE_INO;
	else if (parent == FUSE_ROOT_ID && strcmp(name, "sink") == 0)
		e.ino = SINK_INO;
	else
		return (void)fuse_reply_err(req, ENOENT);
	stat_of(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void mini_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	if (stat_of(ino, &st) < 0)
		return (void)fuse_reply_err(req, ENOENT);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void mini_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != (ino == SINK_INO ? O_WRONLY : O_RDONLY))
		return (void)fuse_reply_err(req, EACCES);
	fi->direct_io = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

static void mini_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	if ((size_t)off >= value_len)
		return (void)fuse_reply_buf(req, NULL, 0);
	size_t n = value_len - (size_t)off < size ? value_len - (size_t)off : size;
	fuse_reply_buf(req, value + off, n);
}

static void mini_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	fuse_reply_write(req, size);
}

/* `echo x > sink` truncates: with atomic O_TRUNC that needs no setattr, but
 * `truncate` and `touch` do, as on osfs. */
static void mini_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			 struct fuse_file_info *fi)
{
	struct stat st;
	if (stat_of(ino, &st) < 0)
		return (void)fuse_reply_err(req, ENOENT);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void mini_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = mini_lookup,
	.getattr = mini_getattr,
	.open = mini_open,
	.read = mini_read,
	.write = mini_write,
	.setattr = mini_setattr,
	.release = mini_release,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_cmdline_opts opts;
	fuse_opt_add_arg(&args, argv[0]);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--size=", 7) == 0)
			value_len = (size_t)atoi(argv[i] + 7);
		else
			fuse_opt_add_arg(&args, argv[i]);
	}
	if (value_len > sizeof value)
		value_len = sizeof value;
	memset(value, 'x', value_len);
	if (value_len)
		value[value_len - 1] = '\n';
	if (fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint) {
		fprintf(stderr, "usage: minimal MOUNTPOINT [-f] [-s] [--size=N]\n");
		return 2;
	}
	fuse_opt_add_arg(&args, "-odefault_permissions,fsname=minimal");
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
	if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, opts.mountpoint) != 0)
		return 1;
	fuse_daemonize(opts.foreground);
	int ret;
	if (opts.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();
		ret = fuse_session_loop_mt(se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret < 0 ? 1 : 0;
}
