/* A log record: LogRecord's attributes, filled from the writing process and the
 * line written.  Extra attributes come from a structured (JSON) record line. */
#ifndef OSFS_LOGGING_RECORD_H
#define OSFS_LOGGING_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "value.h"

struct log_extra {
	char *key;
	struct pyval value;
	char *text; /* owns value.s */
};

struct log_record {
	const char *name; /* the logger */
	const char *msg;
	const char *levelname;
	int levelno;
	const char *pathname, *filename, *module;
	long lineno;
	int64_t created_ns;
	double created, msecs, relative_created;
	long long thread, process;
	const char *thread_name, *process_name;
	long long osfs_uid; /* who wrote it (osfs's own attribute; not in Python's LogRecord) */
	struct log_extra *extra;
	size_t nextra;
	char *json_msg; /* owns msg when it came from a JSON line: str() of msg_value */
	struct pyval msg_value; /* msg as Python has it (an int, a list...) when msg_typed */
	int msg_typed;
	char *json_msg_value; /* owns msg_value's text */
	/* Attributes that are None unless the record carries them (NULL: None):
	 * the traceback text (formatException's output, as exc_text caches it),
	 * the stack text, funcName and taskName of a received record. */
	const char *exc_text, *stack_info, *func_name, *task_name;
	/* args: () unless has_args (a list is the tuple, a dict the mapping). */
	struct pyval args;
	int has_args;
	/* str(msg) % args failed: Python's getMessage raises when each handler
	 * formats the record, so formatting it fails with this text (NULL: none). */
	const char *message_error;
	/* Attributes a received record holds with a type osfs does not keep them in
	 * (thread None, created an int): what record.__dict__ shows for them. */
	const struct log_attr_value *odd;
	size_t nodd;
	/* A JSON line's: the entries after the extras that hold the texts above, and
	 * str(msg) % args (or the error it raised). */
	size_t nspecial;
	char *json_message;
	/* set while formatting */
	const char *asctime;
};

struct log_attr_value {
	int attr; /* log_record_attr() */
	struct pyval value;
};

/* record.__dict__[key] (then extras): 0, or -ENOENT. */
int log_record_get(const struct log_record *r, const char *key, struct pyval *out);
/* The same by the attribute's index (log_record_attr: -1 for a name that is no
 * LogRecord attribute), for formats that resolve their fields once. */
int log_record_attr(const char *key);
/* What of its writer an attribute shows: LOG_CALLER_COMM (threadName, processName),
 * LOG_CALLER_EXE (pathname, filename, module), or 0. */
#define LOG_CALLER_COMM 0x1u
#define LOG_CALLER_EXE 0x2u
#define LOG_CALLER_ALL (LOG_CALLER_COMM | LOG_CALLER_EXE)
unsigned log_record_attr_caller(int attr);
int log_record_get_attr(const struct log_record *r, int attr, struct pyval *out);

/* created, msecs and relativeCreated from a time in ns and the start time. */
void log_record_set_time(struct log_record *r, int64_t now_ns, int64_t start_ns);

/* Parses a JSON object line into msg, levelname and extras (the record owns them),
 * and the logging call's keyword arguments a line may carry: exc_info (true, or
 * the traceback's text), exc_text, stack_info (its text), args (the call's *args:
 * a list, or one value).  0; 1 if the line is not a JSON object; -EINVAL for an
 * extra that would overwrite an attribute. */
int log_record_from_json(struct log_record *r, const char *line, char **levelname);
void log_record_free_extra(struct log_record *r);

/* LogRecord.getMessage(): str(msg) % args into out (args a list: the tuple; a
 * dict: the mapping; any other value: the one argument).  0, or -EINVAL after
 * osfs_refuse() with the error Python raises. */
int log_percent_args(const char *msg, const struct pyval *args, struct osfs_buf *out);
/* Whether args makes getMessage format (Python's `if self.args:`). */
int log_args_truthy(const struct pyval *args);

/* A record that outlives the write that made it (MemoryHandler, QueueHandler):
 * every string copied into one allocation.  NULL if out of memory. */
struct log_record *log_record_copy(const struct log_record *r);
void log_record_free(struct log_record *r);

/* Every key of a JSON object as Python values (formatter defaults): 0, 1 if the
 * text is not a JSON object, -EINVAL if it is one with a string holding \u0000
 * (refused), or -ENOMEM. */
int log_json_values(const char *json, struct log_extra **out, size_t *count);
void log_values_free(struct log_extra *e, size_t n);

#endif
