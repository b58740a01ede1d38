/* The tree: one file per module, each a table of that module's nodes. */
#ifndef OSFS_TREE_H
#define OSFS_TREE_H

#include "../node.h"

extern const struct node osfs_root;

extern const struct dir errno_dir;
extern const struct dir platform_dir;
extern const struct dir os_dir;
extern const struct dir self_dir;
extern const struct dir proc_dir;
extern const struct dir priority_dir;
extern const struct dir sched_dir;
extern const struct dir io_dir;
extern const struct dir time_dir;
extern const struct dir logging_dir;
extern const struct dir ffi_dir;
extern int tree_ffi_enabled; /* -o ffi */
int ffi_visible(const struct req *rq);
void ffi_tree_fini(void);

/* The calling process, from the thread FUSE names (os/self, time/process_time). */
struct osfs_proc;
int tree_caller(const struct req *rq, struct osfs_proc *p);
int show_process_cpu_count(struct osfs_buf *out, const struct req *rq);

/* A directory listing a table of names (sysconf/, confstr/, rlimit/): the
 * directory row's data is a struct named_dir. */
struct osfs_named;
struct named_dir {
	const struct osfs_named *(*table)(size_t *count);
	const char *what; /* "sysconf name", for the refusal */
};
int match_named(const char *name, const struct req *rq);
int list_named(emit_fn *emit, void *ctx, const struct req *rq);

/* -o escape=all: records from the owner are escaped too (fs/escape.h). */
extern int logging_escape_all;

/* Called after every change of what the state file keeps (set by the daemon). */
extern void (*tree_on_change)(void);
void tree_changed(void);
/* A module's kept state changed without a request (a SIGHUP reload): "logging". */
void tree_module_changed(const char *name);

/* Start-up and shutdown of the modules behind the tree: 0 or -errno. */
int tree_init(void);
void tree_fini(void);

int platform_tree_init(void);
void platform_tree_fini(void);
int os_tree_init(void);
void os_tree_fini(void);
int time_tree_init(void);
void time_tree_fini(void);
int logging_tree_init(void);
void logging_tree_fini(void);

#endif
