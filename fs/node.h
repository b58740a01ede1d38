/* The node tree.  A directory is a static table of rows (name, kind, mode, doc and
 * the module call behind the node), the way a Plan 9 device declares its Dirtab,
 * plus optionally one template row for names that are computed, not listed in
 * advance (errno/ENOENT, errno/strerror/2): `match` says whether a name exists,
 * `list` enumerates them.  A node's behaviour on open/read/write/release comes from
 * its kind (node.c); the FUSE adapter (ops.c) only translates. */
#ifndef OSFS_NODE_H
#define OSFS_NODE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/types.h>

#include "osfs/buf.h"
#include "osfs/kv.h"

enum node_kind {
	KIND_DIR,
	KIND_VALUE,       /* read: the value and one '\n'; write: refused */
	KIND_SETTING,     /* read: the value; each write() replaces it (one '\n' stripped) */
	KIND_TRANSACTION, /* each write() is a request; reads give its response */
	KIND_RECORDS,     /* every complete line written is taken, in the write that ends it */
	KIND_STREAM,      /* endless fresh bytes */
	KIND_DOCUMENT,    /* writes accumulate into one document, applied all or nothing */
	KIND_LINK,        /* a symbolic link; show() gives the target */
	KIND_LOG,         /* a log that only grows: reads follow what is added (tail -f) */
	KIND_LIVE,        /* records as they come: each reader its own buffer; reads wait */
	KIND_COUNT,
};

/* Who asks, about what: filled from the FUSE request for every call. */
struct node;
struct osfs_ident;
struct req {
	const struct node *node; /* the node asked about */
	const char *arg;         /* the name of the nearest computed entry on the path, or NULL */
	const char *outer;       /* the computed name above that one, or NULL */
	const struct node *module; /* the top directory it is in (logging, time, ...), or NULL */
	pid_t tid;               /* the calling thread, as FUSE reports it */
	uid_t uid;               /* its fsuid and fsgid, as FUSE reports them */
	gid_t gid;
	/* Who wrote what is being taken or applied (record streams, documents): taken
	 * in the write() that wrote it, and used as it is, at close too. */
	const struct osfs_ident *who;
	void **state;            /* a transaction's: its open file's own (the row's drop() frees it) */
};

/* Limits (README, "Limits"): a line of a record stream, a transaction's request
 * and its response, a document. */
#define NODE_LINE_MAX 65536u
#define NODE_REQUEST_MAX 65536u
#define NODE_RESPONSE_MAX (1u << 20)
#define NODE_DOCUMENT_MAX (32u << 20)

/* Fills out with the node's content: 0, or -errno after osfs_refuse(). */
typedef int show_fn(struct osfs_buf *out, const struct req *rq);
/* Fills kv with a structured value's fields: 0, or -errno after osfs_refuse(). */
typedef int fields_fn(struct osfs_kv *kv, const struct req *rq);
/* A setting's new value (one trailing '\n' already stripped). */
typedef int store_fn(const char *value, const struct req *rq);
/* A transaction: the response to one request. */
typedef int call_fn(const char *request, struct osfs_buf *out, const struct req *rq);
/* A record stream: one complete line, without its '\n'.  state is the open file's
 * own (NULL at first), freed with the row's drop() at close. */
typedef int take_fn(const char *line, void **state, const struct req *rq);
/* A document: is it complete (then it is applied in this write)?  Apply it. */
typedef int complete_fn(const char *doc);
typedef int apply_fn(const char *doc, const struct req *rq);
/* A stream: fills buf with size fresh bytes. */
typedef int fill_fn(char *buf, size_t size, const struct req *rq);
/* Is NAME an entry (rq->arg is the directory's own arg)?  0, or -ENOENT after osfs_refuse(). */
typedef int match_fn(const char *name, const struct req *rq);
/* Calls emit for every computed name. */
typedef void emit_fn(void *ctx, const char *name);
typedef int list_fn(emit_fn *emit, void *ctx, const struct req *rq);
/* Makes or removes the computed entry NAME. */
typedef int name_fn(const char *name, const struct req *rq);

struct dir;

/* A log that only grows (KIND_LOG, the row's data): its bytes are numbered from the
 * daemon's start, whatever it has dropped since. */
struct log_source {
	/* The end (every byte ever added) and when the last line came. */
	void (*extent)(uint64_t *end, struct timespec *changed);
	/* Appends at most size bytes from pos, or from the first byte still held after
	 * it, as long as they follow each other: the position after the last one. */
	uint64_t (*read)(uint64_t pos, size_t size, struct osfs_buf *out);
};

/* A live stream (KIND_LIVE, the row's data): each open file is a reader with a
 * buffer of its own, filled by writers, which wake() it (reader locked) when it
 * had nothing and has now.  live.c keeps its waiting reads under its lock. */
struct live_source {
	int (*open)(const char *arg, void (*wake)(void *ctx), void *ctx, void **reader);
	void (*close)(void *reader);
	void (*lock)(void *reader);
	void (*unlock)(void *reader);
	size_t (*ready)(const void *reader);
	size_t (*take)(void *reader, char *out, size_t size);
	/* As a log's: the bytes given since it was first opened, and when it last grew. */
	void (*extent)(const char *arg, uint64_t *end, struct timespec *changed);
	size_t reserve; /* what one reader may hold: counted against its opener's share */
};

/* How a change is undone when the state file cannot be saved: save() shows what
 * restore() takes back.  A setting without one uses its own show and store. */
struct undo {
	show_fn *save;
	store_fn *restore;
};

struct node {
	const char *name;
	enum node_kind kind;
	mode_t mode;
	unsigned flags;
	const char *doc;
	show_fn *show;     /* the content, or else: */
	fields_fn *fields; /* a structured value, as key=value lines or (NODE_JSON) JSON */
	store_fn *store;
	call_fn *call;
	take_fn *take;
	int (*taken)(void **state, const struct req *rq); /* after each write's lines */
	void (*drop)(void *state);
	fill_fn *fill;
	apply_fn *apply;
	complete_fn *complete;
	const struct dir *dir;
	const struct undo *undo;
	const void *data; /* for the row's function: what this row shows */
	/* As sysfs's is_visible: a row that exists only for some entries (the root
	 * logger has no parent).  rq is the directory's. */
	int (*visible)(const struct req *rq);
	/* A record stream: what of its writer the row uses beyond its ids
	 * (OSFS_IDENT_COMM, OSFS_IDENT_EXE), read in each write; NULL: nothing. */
	unsigned (*writer_needs)(const struct req *rq);
};

#define NODE_CONST 0x1u  /* the content never changes: the kernel may cache it, with its size */
#define NODE_JSON 0x2u   /* a structured value shown as one JSON object */
#define NODE_CALLER 0x4u /* depends on who asks: the kernel must not keep its name or size */
#define NODE_OWNED 0x8u  /* the owner may chmod and chgrp it (access.c) */
/* Its answer may be a refusal for some callers or on some machines (a terminal's
 * size, a sysconf name the system lacks, Python's None): listed only to those it
 * answers, so that recursive readers (grep -r, cp -r) meet no refusal they did not
 * cause; named, it answers or refuses as always.  On a row, or a directory's each. */
#define NODE_MAYBE 0x10u
#define NODE_ACTS 0x40u  /* a record stream whose lines act (os/kill): its writer's close()
			  * takes a last partial line and fails with its refusal */
#define NODE_FOLLOWS 0x80u /* a value that shows what is set through other files of its
			    * module (os/environ.json): it changed when the module did */
/* Found by name, never listed: what only waits (a live stream) is not met by a
 * recursive reader (grep -r, cp -r, find -exec cat) that did not ask for it. */
#define NODE_UNLISTED 0x100u
#define NODE_KEPT 0x20u  /* a computed entry that goes only by an rmdir or unlink through
			  * the mount (a logger): the kernel may keep its name */

struct dir {
	const struct node *rows; /* ended by a row whose name is NULL */
	const struct node *each; /* the row every computed entry is made from */
	match_fn *match;
	list_fn *list;
	name_fn *create; /* where a user may create names (os/environ) */
	name_fn *remove;
	name_fn *mkdir; /* configfs-style objects (logging/loggers/) */
	name_fn *rmdir;
};

#define DIR_ROW(n, d, doc_) {.name = (n), .kind = KIND_DIR, .mode = 0555, .dir = &(d), .doc = (doc_)}
#define VALUE_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .show = (fn), .doc = (doc_)}
#define CONST_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST, .show = (fn), .doc = (doc_)}
#define FIELDS_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .fields = (fn), .doc = (doc_)}
#define JSON_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_JSON, .fields = (fn), .doc = (doc_)}
#define SETTING_ROW(n, show_, store_, doc_) \
	{.name = (n), .kind = KIND_SETTING, .mode = 0644, .show = (show_), .store = (store_), .doc = (doc_)}
#define TRANSACTION_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_TRANSACTION, .mode = 0666, .call = (fn), .doc = (doc_)}
#define RECORDS_ROW(n, fn, mode_, doc_) \
	{.name = (n), .kind = KIND_RECORDS, .mode = (mode_), .take = (fn), .doc = (doc_)}
#define ACTION_ROW(n, fn, mode_, doc_)                                                          \
	{.name = (n), .kind = KIND_RECORDS, .mode = (mode_), .flags = NODE_ACTS, .take = (fn),   \
	 .doc = (doc_)}
#define DOCUMENT_ROW(n, show_, apply_, complete_, undo_, doc_)                                 \
	{.name = (n), .kind = KIND_DOCUMENT, .mode = 0644, .show = (show_), .apply = (apply_), \
	 .complete = (complete_), .undo = (undo_), .doc = (doc_)}
#define STREAM_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_STREAM, .mode = 0444, .fill = (fn), .doc = (doc_)}
#define LINK_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_LINK, .mode = 0777, .flags = NODE_CALLER, .show = (fn), .doc = (doc_)}
/* A constant string, shown with one '\n'. */
int show_string(struct osfs_buf *out, const struct req *rq);
#define STRING_ROW(n, str, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST, .show = show_string, \
	 .data = (str), .doc = (doc_)}
/* The constant structured values: FIELDS_ROW / JSON_ROW the kernel may cache. */
#define CONST_FIELDS_ROW(n, fn, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST, .fields = (fn), .doc = (doc_)}
#define CONST_JSON_ROW(n, fn, doc_)                                                     \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .flags = NODE_CONST | NODE_JSON, \
	 .fields = (fn), .doc = (doc_)}
#define LOG_ROW(n, source, doc_) \
	{.name = (n), .kind = KIND_LOG, .mode = 0444, .data = (source), .doc = (doc_)}
#define LIVE_ROW(n, source, mode_, doc_)                                           \
	{.name = (n), .kind = KIND_LIVE, .mode = (mode_), .flags = NODE_OWNED | NODE_UNLISTED, \
	 .data = (source), .doc = (doc_)}
#define END_ROW {.name = NULL}

/* An open file.  refs counts the open itself and each request still using it (a
 * release may be processed while another thread is still sending a read's reply);
 * lock orders the requests of one open file against each other. */
struct inode;
struct handle {
	struct inode *ino;
	const struct node *node;
	unsigned refs; /* atomic */
	struct handle *prev, *next; /* every live handle, for shutdown */
	pthread_mutex_t lock;
	struct req opener;      /* the node and names it was opened at (not who: see `who`) */
	struct osfs_ident *who; /* who wrote the pending bytes, taken in that write() */
	uid_t payer;            /* the opener's uid: what the file holds counts against it */
	size_t held;            /* the bytes counted (quota.h) */
	struct osfs_buf content; /* the snapshot, or a transaction's response */
	struct osfs_buf pending; /* a record stream's unfinished last line; a document */
	void *state;             /* a record stream's own (take_fn) */
	int applied;             /* a document: pending was applied (content is the outcome) */
	int overlong;            /* a record stream discards a line past NODE_LINE_MAX */
	off_t base;              /* a transaction's response starts at this offset */
	int fresh;               /* a response waits for its first read */
	pid_t opened_by;         /* a document: the process that opened it, */
	pid_t written_by;        /* and the one that wrote last */
	int following;           /* a log: the last read ended at offset next_off, at next_pos */
	off_t next_off;
	uint64_t next_pos;
	int primes;              /* the primer's, to mark its inode (killpriv.c): writes dropped */
};

/* What the FUSE adapter needs to answer about a node. */
const char *node_kind_name(const struct node *n);
mode_t node_type(const struct node *n); /* S_IFDIR, S_IFREG or S_IFLNK */
int node_is_cached(const struct node *n);
int node_is_stream(const struct node *n);
int node_ignores_truncate(const struct node *n); /* settings and record streams */
/* Its attributes change while it stays (a setting's, a document's or a log's
 * mtime, a log's size): the kernel must ask again each time. */
int node_attr_varies(const struct node *n);
/* Documents, and record streams whose lines act (NODE_ACTS), take what is pending
 * when their writer closes (FUSE flush), so that the close() of a refused one
 * fails; nothing else asks for a flush. */
int node_wants_flush(const struct node *n);

/* Finds NAME in directory `dir` (its inode gives rq->arg): the row, and whether it
 * is computed (then the entry's own name becomes the arg of everything below it). */
int node_find(const struct node *dir, const char *name, const struct req *rq,
	      const struct node **row, int *computed);

/* Calls emit for every entry of a directory, with the row it is made from. */
typedef void entry_fn(void *ctx, const char *name, const struct node *row);
int node_list(const struct node *dir, const struct req *rq, entry_fn *emit, void *ctx);

/* Lists dir's entries that answer the caller (NODE_MAYBE): 1 if a listing can
 * differ between callers or over time, so the kernel must not keep it. */
int node_list_varies(const struct node *dir);

/* When what a module keeps (logging's configuration, time/tz, os/environ) last
 * changed: its settings and documents carry it as mtime and ctime, so that make,
 * find -newer and tail see the change.  module is the top directory's row. */
void node_changed(const struct node *module);

/* A node's content, from show() or rendered from fields(): 0 or -errno. */
int node_show(const struct node *n, const struct req *rq, struct osfs_buf *out);
int node_stat(const struct node *n, const struct req *rq, struct stat *st);

void node_handle_init(struct handle *h);
int node_open(struct handle *h, const struct node *n, int flags, const struct req *rq);
/* Reads answer through reply, called once, under the handle's lock. */
typedef void reply_fn(void *ctx, const char *data, size_t len);
int node_read(struct handle *h, off_t off, size_t size, const struct req *rq, reply_fn *reply,
	      void *ctx);
int node_write(struct handle *h, const char *data, size_t size, off_t off, const struct req *rq);
/* Set by the adapter: logs a refusal that answers no request (a document applied
 * at its first read reports its outcome there, but the refusal must be logged; an
 * unfinished line taken because another process writes on).  rq->who, if set, is
 * who was refused. */
extern void (*node_unanswered)(const struct req *rq, struct handle *h, int err);
/* Set by the daemon: called after a setting or document changed what the state
 * file keeps; 0 once it is saved, or -errno (then the change is undone). */
extern int (*node_commit)(void);

/* A close() of h by the thread rq->tid (FUSE flush): a document applies what is
 * pending when its opener, which wrote last, closes it; 0 or the refusal. */
int node_flush(struct handle *h, const struct req *rq);
/* The close: what a kind does then (a record stream takes its last partial line,
 * as the one who wrote it).  A refusal then goes to node_unanswered, as who's. */
int node_release(struct handle *h);
/* Counts what h holds (a directory listing made by the adapter): 0 or -ENOBUFS. */
int node_hold(struct handle *h);
int node_readlink(const struct node *n, const struct req *rq, struct osfs_buf *out);

#endif
