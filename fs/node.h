/* The node tree.  A directory is a static table of rows (name, kind, mode, doc and
 * the module call behind the node), the way a Plan 9 device declares its Dirtab,
 * plus optionally one template row for names that are computed, not listed in
 * advance (errno/ENOENT, errno/strerror/2): `match` says whether a name exists,
 * `list` enumerates them.  A node's behaviour on open/read/write/release comes from
 * its kind (node.c); the FUSE adapter (ops.c) only translates. */
#ifndef OSFS_NODE_H
#define OSFS_NODE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "osfs/buf.h"
#include "osfs/kv.h"

enum node_kind {
	KIND_DIR,
	KIND_VALUE, /* read: the value and one '\n'; write: refused */
	KIND_LINK,  /* a symbolic link; show() gives the target */
	KIND_COUNT,
};

/* Who asks, about what: filled from the FUSE request for every call. */
struct node;
struct req {
	const struct node *node; /* the node asked about */
	const char *arg; /* the name of the nearest computed entry on the path, or NULL */
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* Fills out with the node's content: 0, or -errno after osfs_refuse(). */
typedef int show_fn(struct osfs_buf *out, const struct req *rq);
/* Fills kv with a structured value's fields: 0, or -errno after osfs_refuse(). */
typedef int fields_fn(struct osfs_kv *kv, const struct req *rq);
/* Is NAME an entry (rq->arg is the directory's own arg)?  0, or -ENOENT after osfs_refuse(). */
typedef int match_fn(const char *name, const struct req *rq);
/* Calls emit for every computed name. */
typedef void emit_fn(void *ctx, const char *name);
typedef int list_fn(emit_fn *emit, void *ctx, const struct req *rq);

struct dir;

struct node {
	const char *name;
	enum node_kind kind;
	mode_t mode;
	unsigned flags;
	const char *doc;
	show_fn *show;     /* the content, or else: */
	fields_fn *fields; /* a structured value, as key=value lines or (NODE_JSON) JSON */
	const struct dir *dir;
	const void *data; /* for the row's function: what this row shows */
};

/* The content never changes while mounted: the kernel may cache it, with its size. */
#define NODE_CONST 0x1u
/* A structured value shown as one JSON object rather than key=value lines. */
#define NODE_JSON 0x2u

struct dir {
	const struct node *rows; /* ended by a row whose name is NULL */
	const struct node *each; /* the row every computed entry is made from */
	match_fn *match;
	list_fn *list;
};

#define DIR_ROW(n, d, doc_) {.name = (n), .kind = KIND_DIR, .mode = 0555, .dir = &(d), .doc = (doc_)}
#define VALUE_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .show = (fn), .doc = (doc_)}
#define CONST_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST, .show = (fn), .doc = (doc_)}
#define FIELDS_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST, .fields = (fn), .doc = (doc_)}
#define JSON_ROW(n, fn, doc_)                                                       \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST | NODE_JSON, \
	 .fields = (fn), .doc = (doc_)}
#define LINK_ROW(n, fn, doc_) {.name = (n), .kind = KIND_LINK, .mode = 0777, .show = (fn), .doc = (doc_)}
/* A constant string, shown with one '\n'. */
int show_string(struct osfs_buf *out, const struct req *rq);
#define STRING_ROW(n, str, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST, .show = show_string, \
	 .data = (str), .doc = (doc_)}
#define END_ROW {.name = NULL}

/* An open file: the snapshot made at open, served to every read of this open.
 * refs counts the open itself and each request still using the handle: a release
 * may be processed while another thread is still sending a read's reply. */
struct inode;
struct handle {
	struct inode *ino;
	const struct node *node;
	unsigned refs; /* atomic */
	struct handle *prev, *next; /* every live handle, for shutdown */
	struct osfs_buf content;
};

/* What the FUSE adapter needs to answer about a node. */
const char *node_kind_name(const struct node *n);
mode_t node_type(const struct node *n); /* S_IFDIR, S_IFREG or S_IFLNK */
int node_is_cached(const struct node *n);

/* Finds NAME in directory `dir` (its inode gives rq->arg): the row, and whether it
 * is computed (then the entry's own name becomes the arg of everything below it). */
int node_find(const struct node *dir, const char *name, const struct req *rq,
	      const struct node **row, int *computed);

/* Calls emit for every entry of a directory, with the row it is made from. */
typedef void entry_fn(void *ctx, const char *name, const struct node *row);
int node_list(const struct node *dir, const struct req *rq, entry_fn *emit, void *ctx);

/* A node's content, from show() or rendered from fields(): 0 or -errno. */
int node_show(const struct node *n, const struct req *rq, struct osfs_buf *out);
int node_stat(const struct node *n, const struct req *rq, struct stat *st);
int node_open(struct handle *h, const struct node *n, int flags, const struct req *rq);
int node_read(struct handle *h, off_t off, size_t size, const char **data, size_t *len);
int node_write(struct handle *h, const char *data, size_t size, off_t off, const struct req *rq);
void node_release(struct handle *h);
int node_readlink(const struct node *n, const struct req *rq, struct osfs_buf *out);

#endif
