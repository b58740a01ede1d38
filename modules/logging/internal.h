/* The logging state, in three layers, each knowing only what is below it:
 *
 *   builders   dictConfig (config.c), fileConfig (fileconfig.c), objects and
 *              loggers as files (objects.c, loggers.c), made by build.c, read back
 *              by export.c
 *   dispatch   records through loggers to handlers (dispatch.c, handlers/)
 *   registry   names to objects, with their index, and the logger tree
 *              (registry.c, index.c, levels.c)
 *
 * Locking.  Every change holds log_config_lock for its whole length (so what it
 * checked still holds when it acts), does its slow work (opening files, resolving
 * names, connecting) holding nothing else, and takes log_lock for writing only to
 * swap what it built into place.  Records and readers hold log_lock for reading
 * while they route and format, never while a handler writes: a batch keeps a
 * reference on each handler it will emit to and emits after the lock is released,
 * under the handler's own mutex, bounded by the handler's timeout. */
#ifndef OSFS_LOGGING_INTERNAL_H
#define OSFS_LOGGING_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "convert.h"
#include "index.h"
#include "osfs/logging/format.h"
#include "osfs/logging/logging.h"

extern pthread_rwlock_t log_lock;
extern pthread_mutex_t log_config_lock;

/* ---- registry: objects -------------------------------------------------- */

enum { OBJ_HANDLERS, OBJ_FORMATTERS, OBJ_FILTERS, OBJ_KINDS };

/* A named formatter, filter or handler: its slot.  Loggers and handlers refer to
 * objects through slots, so an object replaced through its config file is what
 * every user of the name sees next. */
struct log_obj {
	char *id;
	struct log_obj *prev, *next; /* in creation order */
	union {
		void *any;
		struct log_formatter *formatter;
		char *filter; /* logging.Filter(name): a logger-name prefix */
		struct log_handler *handler;
	};
};

struct log_kind {
	struct index by_id;
	struct log_obj *first, *last;
	size_t n;
};

/* The objects of one configuration: dictConfig builds a new set and swaps it in. */
struct log_objects {
	struct log_kind kind[OBJ_KINDS];
};

struct log_objects *objects_new(void);
/* Frees a set no one reaches any more: handlers are retired (drained, then closed
 * when the last batch that holds them is done). */
void objects_free(struct log_objects *o);
struct log_obj *objects_get(const struct log_objects *o, int kind, const char *id);
struct log_handler *objects_handler(const struct log_objects *o, const char *id);
struct log_obj *obj_new(const char *id);
/* Appends a slot to its kind: 0 or -ENOMEM (the index may grow: for the current
 * set, only under the write lock). */
int objects_add(struct log_objects *o, int kind, struct log_obj *obj);
void objects_unlink(struct log_objects *o, int kind, struct log_obj *obj);
/* Frees a slot's object (a handler is retired) and the slot. */
void obj_free(int kind, struct log_obj *obj);
int kind_of(const char *kind); /* "handlers" ... or -1 */

/* ---- registry: loggers --------------------------------------------------- */

/* A node of the logger tree: a logger, or a placeholder (Python's PlaceHolder: a
 * dotted name on the way to loggers below it, kept so that a logger made there
 * later finds its children).  Names with an empty component ("a..b") follow
 * Python's own walk up the name and are kept apart (odd). */
struct log_logger {
	char *name;
	int is_logger;
	int level, propagate, disabled;
	struct log_obj **handlers;
	size_t nhandlers;
	struct log_obj **filters;
	size_t nfilters;
	struct log_logger *parent;                    /* the nearest logger above; NULL: root */
	struct log_logger *up, *kids, *older, *younger; /* the tree of dotted names */
	size_t below;                                 /* loggers at or under this node */
	struct log_logger *prev, *next;               /* loggers in creation order */
	int odd;
	unsigned long cache_gen;                      /* effective level, valid for gen */
	int cache_level;
	unsigned long mark;                           /* a change's scratch */
};

struct log_registry {
	struct log_objects *objects;
	struct index names; /* loggers and placeholders by name */
	struct log_logger *root;
	struct log_logger *first, *last; /* loggers in creation order, root first */
	struct log_logger *odd; /* odd loggers, linked through older/younger */
	size_t nloggers;
	unsigned long gen; /* bumped by every change of levels or of the tree */
	int odd_stale;     /* loggers were made: odd names' parents to find again */
};

extern struct log_registry log_reg;

int registry_init(void);
void registry_fini(void); /* loggers only; the objects are the caller's */
/* A logger by name ("root" and "" are the root): NULL if none (placeholders are not loggers). */
struct log_logger *registry_logger(const char *name);
/* A node by name, logger or placeholder, or NULL. */
struct log_logger *registry_node(const char *name);
/* Whether a name is in Python's loggerDict: a logger or a placeholder. */
int registry_name_exists(const char *name);
int effective_level(struct log_logger *l);
/* Loggers to make in one change, allocated before it (so that making them, under
 * the write lock, cannot fail): want each name (holding the config lock), then,
 * under the write lock, reserve (the index grows there: readers probe it) and, if
 * that worked, attach each; then free what is left. */
struct log_names {
	struct index pending; /* nodes not attached yet, by name */
};
int names_want(struct log_names *w, const char *name);
int names_reserve(struct log_names *w); /* 0 or -ENOMEM, before any change */
struct log_logger *names_attach(struct log_names *w, const char *name);
void names_free(struct log_names *w);
/* rmdir: the logger becomes a placeholder, or goes; its children move up. */
void registry_remove(struct log_logger *l);
/* Levels or tree changed (the write lock held): caches are stale.  Every change
 * that attached loggers ends with it. */
void registry_changed(void);
/* A walk over every logger (root first), for changes that visit them all. */
#define FOR_EACH_LOGGER(l) for (struct log_logger *l = log_reg.first; l; l = l->next)

/* ---- dispatch ------------------------------------------------------------ */

struct log_out {
	size_t end;            /* record i is text[rec[i-1].end .. rec[i].end) */
	int levelno;
	const char *levelname; /* a standard name (static), or NULL for any other */
};

/* One handler's share of a write: its formatted records, the time it may take. */
struct log_emit {
	const char *text;
	const struct log_out *rec;
	size_t n;
	int64_t deadline; /* CLOCK_MONOTONIC ns: this write's time with the handler ends */
	size_t sent;      /* set by emit: how many records reached the target, in order */
	/* With a spool (spool.c): a stream class says, for each record sent, where it
	 * ended in the connection's bytes (ends[i], ends given) and which connection
	 * it went on (conn); a datagram class told to probe makes sure, after the
	 * first record, that the receiver did not refuse it; spooling: a failure the
	 * class would ignore as Python does (an HTTP 5xx) is one. */
	uint64_t *ends;
	unsigned long conn;
	int probe, spooling;
};

/* An attribute the '.' key of a dictConfig entry may set after the handler is
 * made (Python's setattr), as osfs models it: its type, and whether it is taken
 * as the keyword argument of the same name (else the class reads handler_prop). */
enum { ATTR_STR, ATTR_INT, ATTR_NUMBER, ATTR_TRUTH, ATTR_LEVEL, ATTR_STRLIST, ATTR_IGNORED };
struct handler_attr {
	const char *name;
	int type;
	int kwarg;
};
extern const struct handler_attr stream_attrs[]; /* terminator: the StreamHandler family */
extern const struct handler_attr socket_attrs[]; /* retryStart ...: SocketHandler, DatagramHandler */

/* A handler's commit steps (see handler_class.commit). */
enum { COMMIT_OPEN, COMMIT_DONE, COMMIT_UNDO };

/* A handler class: its Python name, how its parameters are taken (the dictConfig
 * keys beyond class, level, formatter, filters), how it emits records, flushes
 * and closes.  Adding a class is one row in handler_classes. */
struct handler_class {
	const char *name;
	const char *const *params; /* the keyword arguments it takes, in Python's order */
	const struct handler_attr *attrs; /* what the '.' key may set beyond level and name */
	/* Builds the class's state: runs with no lock held, may take a while
	 * (resolving a name) but never blocks without bound.  It prepares only:
	 * nothing outside the daemon changes (no file created or truncated). */
	int (*open)(struct log_handler *h, const cJSON *kwargs);
	/* What changes things outside, once the whole configuration is accepted:
	 * COMMIT_OPEN opens (creates) the target, COMMIT_DONE finishes (truncates,
	 * mode 'w') when every handler has opened, COMMIT_UNDO takes back an open
	 * (removes a file it created).  NULL: nothing to do. */
	int (*commit)(struct log_handler *h, int step);
	/* The formatted records of a write, each ending with '\n'.  Sets e->sent;
	 * returns 0 when all were sent. */
	int (*emit)(struct log_handler *h, struct log_emit *e);
	/* A class that sends records rather than text (SocketHandler) renders each
	 * record itself instead of the formatter; NULL: formatted text and '\n'. */
	void (*render)(struct log_handler *h, const struct log_record *r, struct osfs_buf *out);
	int (*flush)(struct log_handler *h);
	/* A class that keeps records (MemoryHandler, QueueHandler) takes each one
	 * here instead of formatting it (log_lock held for reading), and hands what
	 * it holds on with drain: records go on through handler_handle, into b. */
	int (*keep)(struct log_handler *h, const struct log_record *r, struct log_batch *b);
	int (*drain)(struct log_handler *h, struct log_batch *b, int closing);
	/* Handler.close() of a handler that stays configured (logging.shutdown): its
	 * file or connection given back, to be taken again by its next record; the
	 * handler's lock held.  NULL: it keeps what it holds. */
	void (*release)(struct log_handler *h);
	/* What an operator asks of a file handler (logging/handlers/NAME/rollover and
	 * reopen), under the handler's lock; NULL where the class has none.  rollover
	 * is Python's doRollover(); reopen closes the file and opens it again by its
	 * name (what logrotate's postrotate signals daemons for). */
	int (*rollover)(struct log_handler *h);
	int (*reopen)(struct log_handler *h);
	void (*close)(struct log_handler *h);
	/* A network class whose records a spool keeps while the receiver is away
	 * (spool.c): SPOOL_STREAM, SPOOL_DATAGRAM or SPOOL_REQUEST; 0: none.  A
	 * stream class answers acked: how many bytes of connection conn the peer's
	 * TCP acknowledged, and 1 if conn is the live connection (after checking that
	 * the peer has not closed it: then it is closed, and 0). */
	int spool;
	int (*acked)(struct log_handler *h, unsigned long conn, uint64_t *acked);
};
enum { SPOOL_NONE, SPOOL_STREAM, SPOOL_DATAGRAM, SPOOL_REQUEST };

extern const struct handler_class *const handler_classes[];
const struct handler_class *handler_class_find(const char *name);

struct log_handler {
	char *id;
	const struct handler_class *cls;
	int level;
	struct log_obj *formatter; /* a slot in home, or NULL: the default Formatter */
	struct log_obj **filters;
	size_t nfilters;
	cJSON *kwargs;             /* as configured, secrets included (export redacts) */
	cJSON *props;              /* the '.' key's attributes, as set (NULL: none) */
	char *terminator;          /* StreamHandler.terminator; NULL: "\n" */
	struct log_objects *home;  /* the set it belongs to: where its targets are named */
	pthread_mutex_t lock;      /* one emit at a time */
	int timeout_ms;            /* what one write may spend waiting for it and in it; 0: no bound */
	void *state;               /* the class's own */
	unsigned long emitted, errors;
	size_t text_hint, records_hint; /* the last write's size: the next one's buffers */
	unsigned refs;             /* its slot's, and each batch's that will emit to it */
	struct spool *spool;       /* records kept while the receiver is away (spool.c) */
};

/* ---- spool (spool.c) --------------------------------------------------------- */

/* Whether records of this handler go through a spool now (its class has one and
 * its bound is not 0). */
int spool_wanted(struct log_handler *h);
/* emit_one for a spooled handler, the handler's lock held: what is spooled goes
 * first, then these records, and what cannot be sent is kept (up to the bound).
 * Counts the handler's emitted/errors itself; returns 0, or -errno for records
 * lost (dropped past the bound), with *lost how many. */
int spool_emit(struct log_handler *h, struct log_emit *e, unsigned long *lost);
/* A write that finds the handler's lock held while its receiver is away (or,
 * force, that waited for it in vain): its records join the spool at once
 * (-EBUSY: not away, wait for the lock). */
int spool_busy_keep(struct log_handler *h, const struct log_emit *e, unsigned long *lost, int force);
/* The handler goes: what it holds is kept for the next handler of its name (and
 * the spool file). */
void spool_retire(struct log_handler *h);
void spool_stats(struct log_handler *h, struct osfs_buf *out);
void spool_fini(void); /* at log_fini, after the handlers closed: the spool file saved */
void spool_stop_thread(void); /* at log_fini, before they close */

void handler_ref(struct log_handler *h);
void handler_unref(struct log_handler *h); /* the last one closes it */
/* A handler leaves the configuration (closing), or is flushed: what it holds
 * goes on (flushOnClose, the queue).  Holding no log_lock. */
void handler_drain(struct log_handler *h, int closing);
void objects_drain(struct log_objects *o);

/* Handler.handle(record) into batch b (no level check, as in Python: levels are
 * checked by the logger); log_lock held for reading, or the config lock. */
int handler_handle(struct log_handler *h, const struct log_record *r, struct log_batch *b);
/* Records a handler could not take: counted as its errors, with an errors line. */
void handler_failed(struct log_handler *h, unsigned long records, pid_t pid, int err,
		    const char *why);
/* n records of the handler reached the target (n < 0: taken back: a spool found
 * them unacknowledged), in its count and the daemon's. */
void handler_emitted(struct log_handler *h, long n);
struct log_batch *batch_new(void);
int batch_emit(struct log_batch *b); /* emits and frees b; call it holding no log_lock */

/* The tails (tail.c): a record at each logger of callHandlers' walk from l, to
 * that logger's readers (log_lock held for reading); called only while
 * log_tail_readers is not 0.  log_tail_fini at log_fini. */
void log_tail_offer(struct log_logger *l, const struct log_record *r);
void log_tail_fini(void);

/* logging.lastResort: a record no handler took (log_lock held for reading). */
void log_last_resort(struct log_record *r);
/* Logger.handle(record) of a record made elsewhere (makeLogRecord): the logger's
 * disabled flag and filters, then callHandlers; no level check.  Into batch b;
 * -ENOENT if there is no logger of that name. */
int log_handle_record(const char *logger, struct log_record *r, struct log_batch *b);
/* logging's _startTime: when the library started (relativeCreated counts from it). */
int64_t log_start_ns(void);

/* SocketHandler.makePickle: length, then the attribute dict pickled (protocol 1). */
void log_pickle_record(const struct log_record *r, struct osfs_buf *out);

static inline int64_t log_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Stopping (stop.c): 0, or when every handler's wait ends, whatever its timeout. */
extern int64_t log_stopping_at;
/* A descriptor that becomes readable when the waits must end: every handler's
 * poll() watches it too.  libcurl's sockets are shut down then instead: its
 * transfers say when they open and close one. */
int log_wake_fd(void);
void log_socket_opened(int fd);
void log_socket_closed(int fd);
void log_stop_end(void); /* at log_fini */

/* Milliseconds left before a deadline (at least 1 while any is left; 0 after;
 * -1 for no deadline), for poll() and libcurl; stopping shortens every one. */
static inline int log_ms_left(int64_t deadline)
{
	int64_t stop = __atomic_load_n(&log_stopping_at, __ATOMIC_RELAXED);
	if (stop && (!deadline || stop < deadline))
		deadline = stop;
	if (!deadline)
		return -1;
	int64_t left = deadline - log_clock_ns();
	return left <= 0 ? 0 : left >= 2000000000LL * 1000000 ? 2000000000 : (int)((left + 999999) / 1000000);
}

/* ---- builders --------------------------------------------------------------- */

void changed(void);
int valid_id(const char *id);
void log_levels_fini(void);
/* filename made absolute against the base directory (log_set_base_dir): malloc'd. */
char *log_absolute(const char *filename);
int strlist_split(const char *text, char ***list, size_t *n); /* names split on blanks/commas */
void strlist_free(char ***list, size_t *n);

/* Builders: objects built from a configuration as DictConfigurator builds them,
 * reading values through convert.h (ext://, cfg://).  Names of objects are looked
 * up in the document (dictConfig: self.config['formatters'][name], built objects
 * standing in their sections) or, for an object's own config file, in the set. */
struct build_ctx {
	struct conv *cv;
	struct log_objects *o; /* the set being built */
	int document;          /* names are the document's */
};
int build_formatter(struct build_ctx *b, cJSON *config, struct log_formatter **out);
int build_filter(struct build_ctx *b, cJSON *config, char **out);
/* Prepares a handler (nothing is created or truncated: handlers_commit does it). */
int build_handler(struct build_ctx *b, const char *id, cJSON *config, struct log_handler **out);
/* Whether a handler waits for handlers of the document not built yet (Python
 * defers a MemoryHandler whose target, or a QueueHandler whose handlers, are not). */
int build_handler_waits(struct build_ctx *b, cJSON *config);
/* Opens what prepared handlers will write to, all or none: on failure what was
 * created is removed again and nothing was truncated. */
int handlers_commit(struct log_handler *const *hs, size_t n);
void handlers_uncommit(struct log_handler *const *hs, size_t n);
/* Python's __init__ of a class: its name in TypeErrors, how many parameters have
 * no default, how many it takes (osfs's params list them first, in order). */
const char *handler_signature(const struct handler_class *cls, int *required, int *nparams);
/* Python's TypeError for the required parameters (the first `required` of the
 * class's) that given lacks: "X.__init__() missing 2 required positional
 * arguments: 'a' and 'b'"; 0 when none is missing. */
int handler_missing_arguments(const struct handler_class *cls, const char *init, int required,
			      const cJSON *given);
/* A '.' attribute of a handler, or NULL. */
const cJSON *handler_prop(const struct log_handler *h, const char *name);
/* logging._checkLevel: an int, or a registered name. */
int build_level(const cJSON *v, int *level);
/* self.config[section][name]: the slot of a built object; -EAGAIN for an entry
 * that is not built (yet). */
int build_named(struct build_ctx *b, int kind, const cJSON *name, struct log_obj **slot);
/* add_handlers / add_filters: the names of a truthy value, as slots. */
int build_names(struct build_ctx *b, int kind, const cJSON *names, struct log_obj ***slots,
		size_t *n);
/* `for x in v`: a list's items (as they are), a str's characters, a dict's keys,
 * as a new array; NULL with -errno in *err (Python's TypeError). */
cJSON *build_iterate(const cJSON *v, int *err);
/* valid_ident: 0, or Python's ValueError. */
int valid_ident(const char *s);

/* The JSON of objects and loggers.  secrets: the handler's credentials as they
 * are (the state file), else redacted (every file anyone reads). */
cJSON *formatter_json(const struct log_formatter *f);
cJSON *filter_json(const char *name);
cJSON *handler_json(const struct log_handler *h, int secrets);
cJSON *logger_json(const struct log_logger *l);
#define LOG_REDACTED "<redacted>"

/* dictConfig over a parsed document (values as convert.h reads them); raw: values
 * are Python's already (fileConfig's), nothing is converted. */
int log_dict_config_doc(cJSON *doc, int raw);

#endif
