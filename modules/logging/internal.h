/* The logging state, shared by logger.c, config.c and the handler classes. */
#ifndef OSFS_LOGGING_INTERNAL_H
#define OSFS_LOGGING_INTERNAL_H

#include <pthread.h>

#include <cjson/cJSON.h>

#include "osfs/logging/format.h"
#include "osfs/logging/logging.h"

struct log_filter {
	char *id;
	char *name; /* logging.Filter(name): a logger-name prefix */
};

struct log_fmt {
	char *id;
	struct log_formatter *f;
};

struct log_handler;
struct log_state;

struct log_out {
	size_t end;            /* record i is text[rec[i-1].end .. rec[i].end) */
	int levelno;
	const char *levelname; /* a standard name (static), or NULL for any other */
};

/* A handler class: its Python name, how its parameters are taken (the dictConfig
 * keys beyond class, level, formatter, filters), how it emits one formatted record,
 * and how it flushes and closes.  Adding a class is one row in handler_classes. */
struct handler_class {
	const char *name;
	const char *const *params; /* the keyword arguments it takes */
	int (*open)(struct log_handler *h, const cJSON *kwargs);
	/* The formatted records of a batch, one after another, each ending with '\n':
	 * rec[i] says where record i ends and its level (a rotating handler decides
	 * per record; syslog needs each level; others write it all at once). */
	int (*emit)(struct log_handler *h, const char *text, const struct log_out *rec, size_t n);
	/* A class that sends records rather than text (SocketHandler) renders each
	 * record itself instead of the formatter; NULL: formatted text and '\n'. */
	void (*render)(struct log_handler *h, const struct log_record *r, struct osfs_buf *out);
	int (*flush)(struct log_handler *h);
	/* A class that keeps records (MemoryHandler, QueueHandler) takes each one
	 * here instead of formatting it, and hands what it holds on with drain
	 * (flush, close): records go on through handler_handle, into the batch. */
	int (*keep)(struct log_handler *h, struct log_state *s, const struct log_record *r,
		    struct log_batch *b);
	int (*drain)(struct log_handler *h, struct log_state *s, struct log_batch *b, int closing);
	void (*close)(struct log_handler *h);
};

extern const struct handler_class *const handler_classes[];

struct log_handler {
	char *id;
	const struct handler_class *cls;
	int level;
	char *formatter; /* an id in formatters, or NULL: the default Formatter */
	char **filters;
	size_t nfilters;
	cJSON *kwargs; /* as configured, for reading back */
	pthread_mutex_t lock;
	void *state; /* the class's own */
	unsigned long emitted, errors;
};

struct log_logger {
	char *name;
	int level;
	int propagate, disabled;
	char **handlers;
	size_t nhandlers;
	char **filters;
	size_t nfilters;
};

struct log_levelname {
	char *name;
	int level;
};

struct log_state {
	struct log_fmt *formatters;
	size_t nformatters;
	struct log_filter *filters;
	size_t nfilters;
	struct log_handler **handlers;
	size_t nhandlers;
	struct log_logger *loggers; /* loggers[0] is root */
	size_t nloggers;
};

/* The global state and its lock. */
extern struct log_state log_state;
extern pthread_rwlock_t log_lock;

/* Helpers over a state (the lock held by the caller). */
struct log_handler *state_handler(struct log_state *s, const char *id);
struct log_fmt *state_formatter(struct log_state *s, const char *id);
struct log_filter *state_filter(struct log_state *s, const char *id);
struct log_logger *state_logger(struct log_state *s, const char *name);
void state_free(struct log_state *s);
int handler_open(struct log_handler *h, const char *cls, const cJSON *kwargs);
void handler_close(struct log_handler *h);
const struct handler_class *handler_class_find(const char *name);
int strlist_set(char ***list, size_t *n, const char *text); /* names split on blanks/commas */
void strlist_free(char ***list, size_t *n);
void changed(void);
struct log_logger *parent_of(struct log_state *s, const struct log_logger *l);
int effective_level(struct log_state *s, const struct log_logger *l);
void logger_free(struct log_logger *l);
int valid_id(const char *id);
void log_levels_fini(void);
/* filename made absolute against the base directory (log_set_base_dir): malloc'd. */
char *log_absolute(const char *filename);

/* Builders shared by dictConfig (config.c) and single objects (objects.c). */
int build_formatter(const char *id, const cJSON *obj, struct log_fmt *out);
int build_filter(const char *id, const cJSON *obj, struct log_filter *out);
int build_handler(struct log_state *s, const char *id, const cJSON *obj, struct log_handler **out);
cJSON *formatter_json(const struct log_fmt *f);
cJSON *handler_json(const struct log_handler *h);
cJSON *logger_json(const struct log_logger *l, int root);
/* Handler.handle(record) for a handler of state s, into batch b (no level check,
 * as in Python: levels are checked by the logger).  Batches whose caller already
 * holds the lock: */
int handler_handle(struct log_state *s, struct log_handler *h, const struct log_record *r,
		   struct log_batch *b);
struct log_batch *batch_new(void);
int batch_emit(struct log_batch *b); /* emits and frees b; the lock stays held */
/* Hands on what buffering handlers hold (their flushOnClose), before they close. */
void state_drain(struct log_state *s);

/* SocketHandler.makePickle: length, then the attribute dict pickled (protocol 1). */
void log_pickle_record(const struct log_record *r, struct osfs_buf *out);
/* The raw text of the document a formatter is built from (its defaults' literals). */
void config_text_begin(const char *text);
void config_text_end(void);

#endif
