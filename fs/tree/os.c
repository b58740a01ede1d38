/* os/: Python's os module: constants, sysconf, confstr and pathconf, statvfs, the
 * load average, uname, random bytes, the daemon's environment store, the group
 * list of a user, kill and killpg, and sync. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* urandom/N and getrandom/N[,FLAGS]: N fresh bytes at each open, no newline. */
static int match_urandom(const char *name, const struct req *rq)
{
	size_t n;
	return osfs_random_size(name, &n);
}

static int show_urandom(struct osfs_buf *out, const struct req *rq)
{
	size_t n;
	int err = osfs_random_size(rq->arg, &n);
	return err ? err : osfs_urandom(n, out);
}

static int match_getrandom(const char *name, const struct req *rq)
{
	size_t n;
	unsigned flags;
	return osfs_getrandom_parse(name, &n, &flags);
}

static int show_getrandom(struct osfs_buf *out, const struct req *rq)
{
	size_t n;
	unsigned flags;
	int err = osfs_getrandom_parse(rq->arg, &n, &flags);
	return err ? err : osfs_getrandom(n, flags, out);
}

/* constants/: every constant by name, and each family as NAME=value lines and as
 * FAMILY.json. */
static const struct osfs_const_family *family_of(const char *name, int *json)
{
	char base[32];
	size_t len = strlen(name);
	*json = len > 5 && strcmp(name + len - 5, ".json") == 0;
	snprintf(base, sizeof base, "%.*s", (int)(*json ? len - 5 : len), name);
	return osfs_const_family_find(base);
}

static int match_constant(const char *name, const struct req *rq)
{
	int json;
	if (family_of(name, &json) || osfs_const_find(name))
		return 0;
	return osfs_refuse(ENOENT, "os has no constant '%s'", name);
}

static int list_constants(emit_fn *emit, void *ctx, const struct req *rq)
{
	size_t n;
	const struct osfs_const_family *f = osfs_const_families(&n);
	for (size_t i = 0; i < n; i++) {
		char json[40];
		snprintf(json, sizeof json, "%s.json", f[i].name);
		emit(ctx, f[i].name);
		emit(ctx, json);
	}
	const struct osfs_const *c = osfs_consts(&n);
	for (size_t i = 0; i < n; i++)
		emit(ctx, c[i].name);
	return 0;
}

static int show_constant(struct osfs_buf *out, const struct req *rq)
{
	int json;
	const struct osfs_const_family *f = family_of(rq->arg, &json);
	if (!f) {
		const struct osfs_const *c = osfs_const_find(rq->arg);
		if (!c)
			return osfs_refuse(ENOENT, "os has no constant '%s'", rq->arg);
		osfs_buf_printf(out, "%lld\n", c->value);
		return 0;
	}
	struct osfs_kv kv = {0};
	for (size_t i = 0; i < f->count; i++)
		osfs_kv_int(&kv, f->consts[i].name, f->consts[i].value);
	(json ? osfs_kv_json : osfs_kv_plain)(&kv, out);
	int err = osfs_kv_error(&kv);
	osfs_kv_free(&kv);
	return err;
}

static int show_altsep(struct osfs_buf *out, const struct req *rq)
{
	return osfs_refuse(ENODATA, "os.altsep is None here: POSIX paths have one separator");
}

/* A directory of the names of an osfs_named table: the directory row's data says
 * which table (sysconf/, confstr/, os/self/rlimit/). */
int match_named(const char *name, const struct req *rq)
{
	const struct named_dir *d = rq->node->data;
	size_t n;
	const struct osfs_named *t = d->table(&n);
	int value;
	return osfs_named_value(t, n, name, &value) == 0 ? 0
							 : osfs_refuse(ENOENT, "unknown %s '%s'", d->what, name);
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

static int take_killpg(const char *line, void **state, const struct req *rq)
{
	return osfs_killpg_request(line, rq->who);
}

/* sync: whatever one write() holds asks for one os.sync(), after its lines. */
static int take_sync(const char *line, void **state, const struct req *rq)
{
	*state = (void *)rq; /* a mark, never freed: the row has no drop() */
	return 0;
}

static int synced(void **state, const struct req *rq)
{
	if (*state)
		sync();
	*state = NULL;
	return 0;
}

/* statvfs and statvfs.json: PATH in, os.statvfs(PATH) out, for the writer. */
static int call_statvfs(const char *request, struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc caller;
	struct osfs_kv kv = {0};
	int err = tree_caller(rq, &caller);
	if (!err)
		err = osfs_statvfs(&caller, request, &kv);
	if (!err)
		(rq->node->data ? osfs_kv_json : osfs_kv_plain)(&kv, out);
	osfs_kv_free(&kv);
	return err;
}

/* pathconf: "PATH<tab>NAME" in, os.pathconf(PATH, NAME) out, for the writer. */
static int call_pathconf(const char *request, struct osfs_buf *out, const struct req *rq)
{
	const char *tab = strrchr(request, '\t');
	if (!tab)
		return osfs_refuse(EINVAL, "expected 'PATH<tab>NAME', e.g. '/tmp<tab>PC_NAME_MAX'");
	char *path = strndup(request, (size_t)(tab - request));
	struct osfs_proc caller;
	long v;
	int err = path ? tree_caller(rq, &caller) : -ENOMEM;
	if (!err)
		err = osfs_pathconf(&caller, path, tab + 1, &v);
	if (!err)
		osfs_buf_printf(out, "%ld\n", v);
	free(path);
	return err;
}

static int pathconf_names_fields(struct osfs_kv *kv, const struct req *rq)
{
	size_t n;
	const struct osfs_named *t = osfs_pathconf_names(&n);
	for (size_t i = 0; i < n; i++)
		osfs_kv_int(kv, t[i].name, t[i].value);
	return 0;
}

/* grouplist/USER */
static int match_user(const char *name, const struct req *rq)
{
	struct osfs_buf b = {0};
	int err = osfs_grouplist(name, &b);
	osfs_buf_free(&b);
	return err;
}

static int show_grouplist(struct osfs_buf *out, const struct req *rq)
{
	return osfs_grouplist(rq->arg, out);
}

static const struct node urandom_each = {
	.kind = KIND_VALUE, .mode = 0444, .show = show_urandom,
	.doc = "os.urandom(N): N fresh random bytes at each open, no newline"};
static const struct dir urandom_dir = {.each = &urandom_each, .match = match_urandom};

static const struct node getrandom_each = {
	.kind = KIND_VALUE, .mode = 0444, .show = show_getrandom,
	.doc = "os.getrandom(N, FLAGS): getrandom/N or getrandom/N,GRND_NONBLOCK|GRND_RANDOM"};
static const struct dir getrandom_dir = {.each = &getrandom_each, .match = match_getrandom};

static const struct node constant_each =
	CONST_ROW(NULL, show_constant, "an os constant's value here, or a family: NAME=value lines");
static const struct dir constants_dir = {
	.each = &constant_each, .match = match_constant, .list = list_constants};

static const struct node grouplist_each =
	VALUE_ROW(NULL, show_grouplist, "os.getgrouplist(USER, its group): one gid per line");
static const struct dir grouplist_dir = {.each = &grouplist_each, .match = match_user};

static const struct node sysconf_each = {
	.kind = KIND_VALUE, .mode = 0444, .flags = NODE_MAYBE, .show = show_sysconf,
	.doc = "os.sysconf(NAME); -1 means no limit (listed where this system knows NAME)"};
static const struct dir sysconf_dir = {
	.each = &sysconf_each, .match = match_named, .list = list_named};

static const struct node confstr_each = {
	.kind = KIND_VALUE, .mode = 0444, .flags = NODE_MAYBE, .show = show_confstr,
	.doc = "os.confstr(NAME) (listed where this system knows NAME)"};
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
	STRING_ROW("curdir", ".", "os.curdir"),
	STRING_ROW("pardir", "..", "os.pardir"),
	STRING_ROW("extsep", ".", "os.extsep"),
	{.name = "altsep", .kind = KIND_VALUE, .mode = 0444, .flags = NODE_MAYBE, .show = show_altsep,
	 .doc = "os.altsep: None here (ENODATA)"},
	STRING_ROW("defpath", "/bin:/usr/bin", "os.defpath: the PATH when there is none"),
	DIR_ROW("constants", constants_dir,
		"os's integer constants: constants/NAME, and each family: constants/O, O.json ..."),
	VALUE_ROW("cpu_count", show_cpu_count, "os.cpu_count(): CPUs online"),
	VALUE_ROW("process_cpu_count", show_process_cpu_count,
		  "os.process_cpu_count(): CPUs the calling process may use"),
	VALUE_ROW("loadavg", show_loadavg, "os.getloadavg(): 1, 5 and 15 minutes, one per line"),
	FIELDS_ROW("uname", uname_fields, "os.uname(): key=value lines"),
	JSON_ROW("uname.json", uname_fields, "os.uname() as JSON"),
	DIR_ROW("urandom", urandom_dir, "os.urandom(N): urandom/N is N fresh bytes (at most 1 MiB)"),
	DIR_ROW("getrandom", getrandom_dir, "os.getrandom(N, FLAGS): getrandom/N or N,FLAGS"),
	{.name = "sysconf", .kind = KIND_DIR, .mode = 0555, .dir = &sysconf_dir,
	 .data = &(const struct named_dir){osfs_sysconf_names, "sysconf name"},
	 .doc = "os.sysconf: sysconf/NAME, names as os.sysconf_names"},
	{.name = "confstr", .kind = KIND_DIR, .mode = 0555, .dir = &confstr_dir,
	 .data = &(const struct named_dir){osfs_confstr_names, "confstr name"},
	 .doc = "os.confstr: confstr/NAME, names as os.confstr_names"},
	{.name = "pathconf", .kind = KIND_TRANSACTION, .mode = 0666, .call = call_pathconf,
	 .doc = "os.pathconf: write 'PATH<tab>NAME', read the value (for the writer)"},
	CONST_FIELDS_ROW("pathconf_names", pathconf_names_fields, "os.pathconf_names: NAME=number"),
	CONST_JSON_ROW("pathconf_names.json", pathconf_names_fields, "os.pathconf_names as JSON"),
	{.name = "statvfs", .kind = KIND_TRANSACTION, .mode = 0666, .call = call_statvfs,
	 .doc = "os.statvfs: write PATH, read its fields (for the writer)"},
	{.name = "statvfs.json", .kind = KIND_TRANSACTION, .mode = 0666, .call = call_statvfs,
	 .data = "json", .doc = "os.statvfs: write PATH, read its fields as JSON"},
	{.name = "environ", .kind = KIND_DIR, .mode = 0700, .dir = &environ_dir,
	 .doc = "os.environ of the daemon: environ/NAME; create to add, rm to unset"},
	{.name = "environ.json", .kind = KIND_VALUE, .mode = 0400, .flags = NODE_JSON | NODE_FOLLOWS,
	 .fields = environ_fields, .doc = "os.environ of the daemon as JSON"},
	DIR_ROW("self", self_dir, "the calling process, as /proc/self shows it"),
	DIR_ROW("proc", proc_dir, "other processes by id: proc/PID/ pgid sid nice cpu_affinity sched"),
	DIR_ROW("priority", priority_dir, "os.getpriority and setpriority: priority/PRIO_*/WHO"),
	DIR_ROW("sched", sched_dir, "sched/POLICY/priority_min, priority_max"),
	DIR_ROW("grouplist", grouplist_dir, "os.getgrouplist: grouplist/USER"),
	ACTION_ROW("kill", take_kill, 0222,
		    "os.kill: write 'PID SIGNAL'; only what the caller itself may signal"),
	ACTION_ROW("killpg", take_killpg, 0222,
		    "os.killpg: write 'PGID SIGNAL'; only what the caller itself may signal"),
	{.name = "sync", .kind = KIND_RECORDS, .mode = 0200, .take = take_sync, .taken = synced,
	 .doc = "os.sync(): write anything (the owner); one sync per write"},
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
