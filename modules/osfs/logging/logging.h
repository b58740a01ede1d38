/* logging: Python's logging package as a library.  One state per process (one
 * logger tree per mount): levels, formatters, filters, handlers and loggers, with
 * Python's semantics for level inheritance, propagation, filters and disable.
 * Configuration changes are serialised and build what they need (opening files,
 * resolving names) before they take the write lock for a moment to swap it in;
 * records take a read lock to route and format, and each handler serialises its
 * own output, bounded by its timeout. */
#ifndef OSFS_LOGGING_H
#define OSFS_LOGGING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../buf.h"
#include "record.h"

#define LOG_NOTSET 0
#define LOG_DEBUG 10
#define LOG_INFO 20
#define LOG_WARNING 30
#define LOG_ERROR 40
#define LOG_CRITICAL 50

/* Who wrote a record: the writing process, as the record attributes need it, taken
 * when it wrote.  uid is the uid it wrote with (its fsuid): the attribute osfs_uid. */
struct log_caller {
	pid_t pid, tid;
	uid_t uid;
	char comm[64];
	const char *exe; /* "" if unknown */
};

int log_init(void);
/* Where relative filenames in a configuration start: the directory the program
 * was started in (a daemon moves to /), as Python resolves them against its own. */
void log_set_base_dir(const char *dir);
/* The CAs SMTPHandler and HTTPHandler trust unless a handler names its own
 * (-o tls_cafile=FILE, -o tls_capath=DIR; NULL: the system's). */
int log_set_tls_trust(const char *cafile, const char *capath); /* 0, or -errno: refused */
void log_fini(void);
/* The daemon stops: from now on handlers have budget_ms to deliver what they hold
 * (queues, a MemoryHandler's buffer, a receiver that is slow), then every wait ends
 * and what is left is counted as handler errors. */
void log_stop(int budget_ms);

/* A level by name (registered names, custom ones included) or number:
 * 0 with *level, or -EINVAL with Python's and osfs's explanation. */
int log_level_parse(const char *text, int *level);
/* logging.getLevelName(level) into out. */
void log_level_name(int level, struct osfs_buf *out);
/* logging.addLevelName(level, name); level < 0 removes a custom name. */
int log_level_add(const char *name, int level);
int log_level_of(const char *name, int *level); /* registered names only */
void log_level_names(void (*emit)(void *ctx, const char *name), void *ctx);

/* Loggers */
int log_logger_create(const char *name);
int log_logger_remove(const char *name);
int log_logger_exists(const char *name);
void log_logger_names(void (*emit)(void *ctx, const char *name), void *ctx);
/* One attribute of a logger, shown or set as its file shows it. */
int log_logger_get(const char *name, const char *attr, struct osfs_buf *out);
int log_logger_set(const char *name, const char *attr, const char *value);

/* A logger's dictConfig entry, as its config file reads and takes it. */
int log_logger_config_get(const char *name, struct osfs_buf *out);
int log_logger_config_set(const char *name, const char *json);

/* The records of one write(): between begin and end the configuration holds
 * still, and each handler receives the batch's records in one emit (one write()
 * to a file), when the batch ends.  Opaque. */
struct log_batch;
struct log_batch *log_batch_begin(void);
int log_batch_end(struct log_batch *b); /* emits, then frees b */

/* Records: a line written to loggers/NAME/LEVEL.  level < 0: the line is
 * "LEVEL message" (the log file).  A line that is a JSON object is a structured
 * record.  Returns 0 when every handler that was due took it (errors are counted
 * and logged; with raise_exceptions they fail the write with -EIO).  The lines of
 * one batch are one write's: they share their moment (one clock read), and a
 * logger or caller given again by the same pointer is taken as unchanged. */
int log_emit(const char *logger, int level, const char *line, long lineno,
	     const struct log_caller *caller, struct log_batch *batch);
/* What of its writer a record of this logger may show now (LOG_CALLER_* of
 * record.h): the formats of the handlers it reaches, and everything where a
 * handler sends or keeps whole records (SocketHandler, HTTPHandler, QueueHandler,
 * MemoryHandler...).  The writer's name and executable are read only if asked. */
unsigned log_caller_needs(const char *logger);

/* Objects by kind: "handlers", "formatters", "filters". */
int log_object_create(const char *kind, const char *id);
int log_object_remove(const char *kind, const char *id);
int log_object_exists(const char *kind, const char *id);
void log_object_names(const char *kind, void (*emit)(void *ctx, const char *name), void *ctx);
int log_object_get(const char *kind, const char *id, const char *attr, struct osfs_buf *out);
int log_object_set(const char *kind, const char *id, const char *attr, const char *value);
int log_handler_flush(const char *id);
/* What an operator asks of a file handler: "rollover" (Python's doRollover()) or
 * "reopen" (the file closed and opened again by its name).  log_handler_has: 1 if
 * the handler's class does it. */
int log_handler_control(const char *id, const char *what);
int log_handler_has(const char *id, const char *what);

/* logging.disable, raiseExceptions, stats */
int log_disable_get(void);
int log_disable_set(int level);
int log_raise_get(void);
void log_raise_set(int on);
void log_stats(struct osfs_buf *out);
void log_flush_all(void);

/* Spools of the network handlers (spool.c): records a receiver did not take are
 * kept, up to a bound, and sent again in order.  The daemon-wide bound (-o
 * spool_records; 0: none, Python's behaviour), a handler's own (kept by its name,
 * outside the dictConfig document; "default" or a number), and the spool file
 * (the state file's directory, opened; loaded now, saved while spools change and
 * at log_fini).  log_spool_run starts the thread that sends spooled records again. */
void log_spool_default_set(long n);
long log_spool_default_get(void);
int log_handler_spool_has(const char *id);
int log_handler_spool_get(const char *id, struct osfs_buf *out);
int log_handler_spool_set(const char *id, const char *value);
int log_spool_setting(const char *id, long n); /* n < 0: the default (state file) */
void log_spool_settings(void (*emit)(void *ctx, const char *id, long n), void *ctx);
int log_spool_open(int dirfd, const char *name);
int log_spool_run(void);

/* logging.config.dictConfig(JSON): all or nothing.  The current configuration
 * as one dictConfig JSON document. */
int log_dict_config(const char *json);
/* logging.config.fileConfig(INI): the same, from configparser's format. */
int log_file_config(const char *ini);
/* The configuration as one dictConfig document, as logging/config shows it to
 * anyone: credentials redacted.  _full keeps them, for the owner's state file
 * (0600) only: a document read back whole and applied again reproduces the state. */
void log_config_json(struct osfs_buf *out);
void log_config_json_full(struct osfs_buf *out);

/* logging.basicConfig(**kwargs): a JSON object of its keyword arguments, or
 * key=value lines; all or nothing. */
int log_basic_config(const char *doc);

/* Logger.isEnabledFor(level), hasHandlers(), getChildren() (names sorted, one a
 * line): 0 or -ENOENT. */
int log_logger_enabled(const char *name, int level, int *enabled);
int log_logger_has_handlers(const char *name, int *has);
int log_logger_children(const char *name, struct osfs_buf *out);
/* getHandlerNames(), sorted, one a line. */
void log_handler_names(struct osfs_buf *out);
/* getLevelNamesMapping() into kv; getLevelName(x) of a number or a name. */
struct osfs_kv;
void log_level_mapping(struct osfs_kv *kv);
void log_level_name_of(const char *text, struct osfs_buf *out);
/* logging.lastResort's level, or -1 for None. */
int log_last_resort_get(void);
void log_last_resort_set(int level);
/* logging.shutdown(): every handler flushed and closed (reopened by its next record). */
int log_shutdown(void);
void log_api_fini(void);

/* logging/handle: one JSON LogRecord dict (what a SocketHandler receiver gets),
 * made into a record (makeLogRecord) and handled by the logger its name names
 * (Logger.handle), which is made if it does not exist (getLogger).  *batch is
 * the write's batch (log_batch_begin), ended and begun anew around making a
 * logger. */
int log_handle_json(const char *line, const struct log_caller *caller, struct log_batch **batch);

/* logging.config.listen: a listener thread that takes configurations over TCP
 * (a 4-byte big-endian length, then the bytes: JSON for dictConfig, else INI for
 * fileConfig), each verified first with an HMAC-SHA256 key unless none is set.
 * address: "PORT", "HOST:PORT" or "[V6]:PORT" (HOST numeric, or localhost);
 * "" stops it.  log_listen_open binds without starting the thread (before a
 * daemon forks); log_listen_run starts it. */
int log_listen_open(const char *address);
int log_listen_run(void);
int log_listen_set(const char *address); /* open and run; all or nothing */
void log_listen_stop(void);
void log_listen_fini(void); /* stopped, and the key forgotten */
void log_listen_address(struct osfs_buf *out);
/* The key: a file's path (read when set), "none" (configurations are taken
 * unverified), or "" (unset: the listener refuses to start). */
int log_listen_key_set(const char *spec);
void log_listen_key_get(struct osfs_buf *out);
void log_listen_stats(struct osfs_kv *kv);

/* Called after every configuration change (the state file is saved then). */
void log_on_change(void (*fn)(void));

#endif
