/* os/: Python's os module: constants, sysconf and confstr, the load average,
 * uname, urandom, the daemon's environment store, and kill. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "osfs/os.h"
#include "osfs/refuse.h"

static int show_cpu_count(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_printf(out, "%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}

static int show_loadavg(struct osfs_buf *out, const struct req *rq)
{
	return osfs_loadavg(out);
}

/* os.uname(), read afresh each time (the host name may change). */
static int uname_fields(struct osfs_kv *kv, const struct req *rq)
{
	struct utsname u;
	if (uname(&u) < 0)
		return osfs_refuse(errno, "uname: %s", strerror(errno));
	osfs_kv_str(kv, "sysname", u.sysname);
	osfs_kv_str(kv, "nodename", u.nodename);
	osfs_kv_str(kv, "release", u.release);
	osfs_kv_str(kv, "version", u.version);
	osfs_kv_str(kv, "machine", u.machine);
	return 0;
}

static int fill_urandom(char *buf, size_t size, const struct req *rq)
{
	for (size_t done = 0; done < size;) {
		ssize_t n = getrandom(buf + done, size - done, 0);
		if (n < 0 && errno != EINTR)
			return osfs_refuse(errno, "getrandom: %s", strerror(errno));
		done += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* A directory of the names of an osfs_named table: the directory row's data says
 * which table (sysconf/, confstr/, os/self/rlimit/). */
int match_named(const char *name, const struct req *rq)
{
	const struct named_dir *d = rq->node->data;
	size_t n;
	const struct osfs_named *t = d->table(&n);
	return osfs_named_find(t, n, name) ? 0 : osfs_refuse(ENOENT, "unknown %s '%s'", d->what, name);
}

int list_named(emit_fn *emit, void *ctx, const struct req *rq)
{
	const struct named_dir *d = rq->node->data;
	size_t n;
	const struct osfs_named *t = d->table(&n);
	for (size_t i = 0; i < n; i++)
		emit(ctx, t[i].name);
	return 0;
}

static int show_sysconf(struct osfs_buf *out, const struct req *rq)
{
	long v;
	int err = osfs_sysconf(rq->arg, &v);
	if (!err)
		osfs_buf_printf(out, "%ld\n", v);
	return err;
}

static int show_confstr(struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_confstr(rq->arg, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

/* environ/NAME: the daemon's store.  Writing sets, creating adds, rm unsets. */
static int match_environ(const char *name, const struct req *rq)
{
	struct osfs_buf v = {0};
	int err = osfs_environ_get(name, &v);
	osfs_buf_free(&v);
	return err;
}

static int list_environ(emit_fn *emit, void *ctx, const struct req *rq)
{
	struct osfs_kv all = {0};
	osfs_environ_all(&all);
	for (size_t i = 0; i < all.count; i++)
		emit(ctx, all.fields[i].key);
	osfs_kv_free(&all);
	return 0;
}

static int show_environ(struct osfs_buf *out, const struct req *rq)
{
	int err = osfs_environ_get(rq->arg, out);
	if (!err)
		osfs_buf_putc(out, '\n');
	return err;
}

static int store_environ(const char *value, const struct req *rq)
{
	int err = osfs_environ_set(rq->arg, value);
	if (!err)
		tree_changed();
	return err;
}

static int create_environ(const char *name, const struct req *rq)
{
	struct osfs_buf v = {0};
	int exists = osfs_environ_get(name, &v) == 0;
	osfs_refusal_clear();
	osfs_buf_free(&v);
	int err = exists ? 0 : osfs_environ_set(name, "");
	if (!err && !exists)
		tree_changed();
	return err;
}

static int remove_environ(const char *name, const struct req *rq)
{
	int err = osfs_environ_unset(name);
	if (!err)
		tree_changed();
	return err;
}

static int environ_fields(struct osfs_kv *kv, const struct req *rq)
{
	osfs_environ_all(kv);
	return 0;
}

/* kill: "PID SIGNAL" per line, done as its writer could do it when it wrote it
 * (rq->who: a line finished at close is still its writer's). */
static int take_kill(const char *line, void **state, const struct req *rq)
{
	return osfs_kill_request(line, rq->who);
}

static const struct node sysconf_each =
	VALUE_ROW(NULL, show_sysconf, "os.sysconf(NAME); -1 means no limit");
static const struct dir sysconf_dir = {
	.each = &sysconf_each, .match = match_named, .list = list_named};

static const struct node confstr_each = VALUE_ROW(NULL, show_confstr, "os.confstr(NAME)");
static const struct dir confstr_dir = {
	.each = &confstr_each, .match = match_named, .list = list_named};

static const struct node environ_each = {
	.kind = KIND_SETTING, .mode = 0600, .show = show_environ, .store = store_environ,
	.doc = "os.environ[NAME] of the daemon: write to set, rm to unset"};
static const struct dir environ_dir = {.each = &environ_each,
				       .match = match_environ,
				       .list = list_environ,
				       .create = create_environ,
				       .remove = remove_environ};

static const struct node os_rows[] = {
	STRING_ROW("name", "posix", "os.name"),
	STRING_ROW("sep", "/", "os.sep: the path separator"),
	STRING_ROW("linesep", "\n", "os.linesep: the line separator (then the value's own newline)"),
	STRING_ROW("pathsep", ":", "os.pathsep: the separator of PATH entries"),
	STRING_ROW("devnull", "/dev/null", "os.devnull"),
	VALUE_ROW("cpu_count", show_cpu_count, "os.cpu_count(): CPUs online"),
	VALUE_ROW("process_cpu_count", show_process_cpu_count,
		  "os.process_cpu_count(): CPUs the calling process may use"),
	VALUE_ROW("loadavg", show_loadavg, "os.getloadavg(): 1, 5 and 15 minutes, one per line"),
	FIELDS_ROW("uname", uname_fields, "os.uname(): key=value lines"),
	JSON_ROW("uname.json", uname_fields, "os.uname() as JSON"),
	STREAM_ROW("urandom", fill_urandom, "os.urandom(): endless random bytes"),
	{.name = "sysconf", .kind = KIND_DIR, .mode = 0555, .dir = &sysconf_dir,
	 .data = &(const struct named_dir){osfs_sysconf_names, "sysconf name"},
	 .doc = "os.sysconf: sysconf/NAME, names as os.sysconf_names"},
	{.name = "confstr", .kind = KIND_DIR, .mode = 0555, .dir = &confstr_dir,
	 .data = &(const struct named_dir){osfs_confstr_names, "confstr name"},
	 .doc = "os.confstr: confstr/NAME, names as os.confstr_names"},
	{.name = "environ", .kind = KIND_DIR, .mode = 0700, .dir = &environ_dir,
	 .doc = "os.environ of the daemon: environ/NAME; create to add, rm to unset"},
	{.name = "environ.json", .kind = KIND_VALUE, .mode = 0400, .flags = NODE_JSON,
	 .fields = environ_fields, .doc = "os.environ of the daemon as JSON"},
	DIR_ROW("self", self_dir, "the calling process, as /proc/self shows it"),
	RECORDS_ROW("kill", take_kill, 0222,
		    "os.kill: write 'PID SIGNAL'; only what the caller itself may signal"),
	END_ROW,
};

const struct dir os_dir = {.rows = os_rows};

int os_tree_init(void)
{
	extern char **environ;
	osfs_environ_init(environ);
	return 0;
}

void os_tree_fini(void)
{
	osfs_environ_fini();
}
