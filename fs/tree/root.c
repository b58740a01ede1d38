/* The root of the tree: README, version, errors, and one directory per module. */
#include "tree.h"

#include <string.h>

#include "osfs-config.h"
#include "osfs/refuse.h"

static const char readme[] =
	"osfs: Python's generic operating system services as files.\n"
	"\n"
	"Read a file to ask a question; write a control file to act.\n"
	"\n"
	"  errno/      ENOENT -> 2, errorcode/2 -> ENOENT, strerror/2, table, table.json\n"
	"  platform/   system node release version machine processor architecture\n"
	"              platform libc_ver uname uname.json freedesktop_os_release/KEY\n"
	"  os/         cpu_count constants/ sysconf/ confstr/ environ/ urandom/N statvfs\n"
	"              kill killpg priority/ sched/ proc/PID/ (other processes, by id)\n"
	"              self/ (the reading process: pid cwd environ/ rlimit/ times ...)\n"
	"  io/         default_buffer_size text_encoding encodings\n"
	"  time/       time monotonic clocks/ localtime/ gmtime/ ctime/ asctime mktime\n"
	"              tz strftime/ strptime\n"
	"  logging/    config fileconfig basic_config handle listen shutdown\n"
	"              loggers/NAME/{level,info,error,enabled/,...} handlers/\n"
	"              (handlers/NAME/{flush,rollover,reopen})\n"
	"              formatters/ filters/ levels/ disable stats\n"
	"  ffi/        call sizeof/ alignment/ struct/ find_library/ libraries (with -o ffi)\n"
	"  version     osfs's version\n"
	"  errors      every refused request: TIME PID NODE ERRNAME: message (tail -f)\n"
	"\n"
	"Every node explains itself: getfattr -d FILE (user.osfs.doc, user.osfs.kind).\n";

static int show_readme(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_puts(out, readme);
	return 0;
}

static const struct log_source errors_log = {osfs_errlog_extent, osfs_errlog_read};

static const struct node root_rows[] = {
	CONST_ROW("README", show_readme, "a short tour of the tree"),
	STRING_ROW("version", OSFS_VERSION, "the version of osfs"),
	LOG_ROW("errors", &errors_log,
		"refused requests, oldest first: TIME PID NODE ERRNAME: message (tail -f follows it)"),
	DIR_ROW("errno", errno_dir, "Python's errno: error numbers by name, and back"),
	DIR_ROW("platform", platform_dir, "Python's platform: what this machine is"),
	DIR_ROW("os", os_dir, "Python's os: this machine, the daemon's environment, the caller"),
	DIR_ROW("io", io_dir, "Python's io: default buffer size and encodings"),
	DIR_ROW("time", time_dir, "Python's time: clocks, zones, strftime and strptime"),
	DIR_ROW("logging", logging_dir, "Python's logging: loggers, handlers, formatters, dictConfig"),
	{.name = "ffi", .kind = KIND_DIR, .mode = 0700, .dir = &ffi_dir, .visible = ffi_visible,
	 .doc = "ctypes-like calls into shared libraries (with -o ffi, the owner's alone)"},
	END_ROW,
};

static const struct dir root_dir = {.rows = root_rows};

const struct node osfs_root = {
	.name = "",
	.kind = KIND_DIR,
	.mode = 0555,
	.doc = "osfs: Python's generic operating system services as files",
	.dir = &root_dir,
};

void (*tree_on_change)(void);

void tree_changed(void)
{
	if (tree_on_change)
		tree_on_change();
}

void tree_module_changed(const char *name)
{
	for (const struct node *r = root_rows; r->name; r++)
		if (strcmp(r->name, name) == 0)
			node_changed(r);
}

/* Each module's start-up, in order; shutdown runs in reverse. */
static const struct {
	int (*init)(void);
	void (*fini)(void);
} modules[] = {
	{platform_tree_init, platform_tree_fini},
	{os_tree_init, os_tree_fini},
	{time_tree_init, time_tree_fini},
	{logging_tree_init, logging_tree_fini},
};
#define NMODULES (sizeof modules / sizeof modules[0])

int tree_init(void)
{
	for (size_t i = 0; i < NMODULES; i++) {
		int err = modules[i].init();
		if (err) {
			while (i-- > 0)
				modules[i].fini();
			return err;
		}
	}
	return 0;
}

void tree_fini(void)
{
	ffi_tree_fini();
	for (size_t i = NMODULES; i-- > 0;)
		modules[i].fini();
}
