/* logging/: Python's logging as files.  loggers/, handlers/, formatters/ and
 * filters/ hold one directory per object (mkdir makes one, rmdir removes it);
 * each attribute is a file whose row names the attribute; a logger's level files
 * are record streams; config is a dictConfig document. */
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../escape.h"
#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/jsonscan.h"
#include "osfs/logging/logging.h"
#include "osfs/logging/tail.h"
#include "osfs/os.h"
#include "osfs/refuse.h"

/* Loggers: loggers/NAME/ATTR; the row's data is the attribute. */
static int show_logger_attr(struct osfs_buf *out, const struct req *rq)
{
	return log_logger_get(rq->arg, rq->node->data, out);
}

static int store_logger_attr(const char *value, const struct req *rq)
{
	return log_logger_set(rq->arg, rq->node->data, value);
}

static int show_logger_config(struct osfs_buf *out, const struct req *rq)
{
	return log_logger_config_get(rq->arg, out);
}

static int store_logger_config(const char *value, const struct req *rq)
{
	return log_logger_config_set(rq->arg, value);
}

static int not_root(const struct req *rq)
{
	return strcmp(rq->arg, "root") != 0;
}

static int show_parent(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_puts(out, "../");
	return log_logger_get(rq->arg, "parent", out);
}

/* What a record needs to know of its writer: who wrote the line (rq->who, taken in
 * the write() that wrote it), and the line's number in this open file. */
struct writer {
	long lineno;
	struct log_caller caller;
	struct log_batch *batch;  /* the records of the write being taken */
	struct osfs_buf line, exe; /* escaped copies, for records from other users */
};

int logging_escape_all; /* -o escape=all */

static void drop_writer(void *state)
{
	struct writer *w = state;
	if (w->batch)
		log_batch_end(w->batch);
	osfs_buf_free(&w->line);
	osfs_buf_free(&w->exe);
	free(w);
}

/* Records from a user other than the daemon's owner (by real or effective uid),
 * or from anyone with -o escape=all, cannot forge lines: their text, and what
 * the writer names itself (comm, executable), is escaped (fs/escape.h). */
static uid_t owner;

static int escaped(const struct osfs_ident *who)
{
	return logging_escape_all || who->uid != owner || who->fsuid != owner;
}

/* The line as log_emit will read it: "LEVEL message" on the log stream, then
 * the message, a structured record if it is a JSON object. */
static const char *escape_line(const char *line, int level, struct osfs_buf *out)
{
	osfs_buf_reset(out);
	size_t head = level < 0 ? strcspn(line, " \t") : 0;
	head += strspn(line + head, " \t");
	struct osfs_buf word = {0};
	osfs_buf_add(&word, line, head);
	escape_text(word.data ? word.data : "", out);
	osfs_buf_free(&word);
	const char *msg = line + head;
	size_t at = out->len;
	cJSON *o = *msg == '{' ? cJSON_Parse(msg) : NULL;
	int json = cJSON_IsObject(o);
	cJSON_Delete(o);
	if (json) {
		escape_json(msg, out);
		o = cJSON_Parse(out->data + at);
		json = cJSON_IsObject(o);
		cJSON_Delete(o);
	}
	if (!json) {
		out->len = at;
		escape_text(msg, out);
	}
	return out->data ? out->data : "";
}

static int take_record(const char *line, void **state, const struct req *rq)
{
	struct writer *w = *state;
	if (!w && !(w = *state = calloc(1, sizeof *w)))
		return -ENOMEM;
	const struct osfs_ident *who = rq->who;
	int level = (int)(intptr_t)rq->node->data;
	if (!w->batch) { /* a write's records share their writer: told once */
		w->caller = (struct log_caller){.pid = who->pid, .tid = who->tid, .uid = who->fsuid,
						.exe = who->exe ? who->exe : ""};
		memcpy(w->caller.comm, who->comm, sizeof w->caller.comm);
		if (escaped(who)) {
			struct osfs_buf comm = {0};
			escape_text(who->comm, &comm);
			snprintf(w->caller.comm, sizeof w->caller.comm, "%s", comm.data ? comm.data : "");
			osfs_buf_free(&comm);
			osfs_buf_reset(&w->exe);
			escape_text(w->caller.exe, &w->exe);
			w->caller.exe = w->exe.data ? w->exe.data : "";
			if (osfs_buf_error(&w->exe))
				return -ENOMEM;
		}
		if (!(w->batch = log_batch_begin()))
			return -ENOMEM;
	}
	if (escaped(who)) {
		line = escape_line(line, level, &w->line);
		if (osfs_buf_error(&w->line))
			return -ENOMEM;
	}
	w->lineno++;
	return log_emit(rq->arg, level, line, w->lineno, &w->caller, w->batch);
}

/* What a writer's records may show of it now: read only that (issue 13). */
static unsigned writer_needs(const struct req *rq)
{
	unsigned needs = log_caller_needs(rq->arg);
	return ((needs & LOG_CALLER_COMM) ? OSFS_IDENT_COMM : 0) |
	       ((needs & LOG_CALLER_EXE) ? OSFS_IDENT_EXE : 0);
}

/* The write's records go out to each handler at once, before the write returns. */
static int records_taken(void **state, const struct req *rq)
{
	struct writer *w = *state;
	if (!w || !w->batch)
		return 0;
	int err = log_batch_end(w->batch);
	w->batch = NULL;
	return err;
}

/* Logger.isEnabledFor(LEVEL) as loggers/NAME/enabled/LEVEL, hasHandlers(),
 * getChildren(). */
static int match_enabled(const char *name, const struct req *rq)
{
	int level;
	if (log_level_parse(name, &level) == 0)
		return 0;
	osfs_refusal_clear();
	return osfs_refuse(ENOENT, "no level '%s': a level's name or number", name);
}

static int list_enabled(emit_fn *emit, void *ctx, const struct req *rq)
{
	log_level_names(emit, ctx);
	return 0;
}

static int show_enabled(struct osfs_buf *out, const struct req *rq)
{
	int level, on = 0;
	int err = log_level_parse(rq->arg, &level);
	if (!err)
		err = log_logger_enabled(rq->outer, level, &on);
	if (!err)
		osfs_buf_printf(out, "%d\n", on);
	return err;
}

static int show_has_handlers(struct osfs_buf *out, const struct req *rq)
{
	int has = 0;
	int err = log_logger_has_handlers(rq->arg, &has);
	if (!err)
		osfs_buf_printf(out, "%d\n", has);
	return err;
}

static int show_children(struct osfs_buf *out, const struct req *rq)
{
	return log_logger_children(rq->arg, out);
}

static const struct node enabled_each = {.kind = KIND_VALUE, .mode = 0444, .show = show_enabled,
					 .doc = "Logger.isEnabledFor(LEVEL): 1 or 0"};
static const struct dir enabled_dir = {.each = &enabled_each, .match = match_enabled,
				       .list = list_enabled};

/* A logger's tail: its readers, as logging/tail.h keeps them. */
static int tail_open(const char *logger, void (*wake)(void *), void *ctx, void **reader)
{
	struct log_tail *t;
	int err = log_tail_open(logger, wake, ctx, &t);
	if (!err)
		*reader = t;
	return err;
}

static void tail_close(void *t)
{
	log_tail_close(t);
}

static void tail_lock(void *t)
{
	log_tail_lock(t);
}

static void tail_unlock(void *t)
{
	log_tail_unlock(t);
}

static size_t tail_ready(const void *t)
{
	return log_tail_ready(t);
}

static size_t tail_take(void *t, char *out, size_t size)
{
	return log_tail_take(t, out, size);
}

static const struct live_source tail_source = {
	.open = tail_open, .close = tail_close, .lock = tail_lock, .unlock = tail_unlock,
	.ready = tail_ready, .take = tail_take, .extent = log_tail_extent,
	.reserve = LOG_TAIL_BUFFER};

static int show_tail_formatter(struct osfs_buf *out, const struct req *rq)
{
	return log_tail_formatter_get(rq->arg, out);
}

static int store_tail_formatter(const char *value, const struct req *rq)
{
	return log_tail_formatter_set(rq->arg, value);
}

/* A logger's record streams: the owner's alone, unless the owner chmods them. */
#define LEVEL_ROW(n, level, doc_)                                                           \
	{.name = (n), .kind = KIND_RECORDS, .mode = 0200, .flags = NODE_OWNED,              \
	 .take = take_record, .taken = records_taken, .drop = drop_writer,                   \
	 .writer_needs = writer_needs, .data = (const void *)(intptr_t)(level), .doc = (doc_)}
#define ATTR_ROW(n, doc_)                                                             \
	{.name = (n), .kind = KIND_SETTING, .mode = 0644, .show = show_logger_attr,     \
	 .store = store_logger_attr, .data = (n), .doc = (doc_)}

static const struct node logger_rows[] = {
	ATTR_ROW("level", "Logger.level: a level name or number; NOTSET inherits"),
	{.name = "effective_level", .kind = KIND_VALUE, .mode = 0444, .show = show_logger_attr,
	 .data = "effective_level", .doc = "Logger.getEffectiveLevel(), as a name"},
	ATTR_ROW("propagate", "Logger.propagate: 1 passes records to the parent's handlers"),
	ATTR_ROW("disabled", "Logger.disabled: 1 drops every record"),
	ATTR_ROW("handlers", "the logger's handlers, one per line; write names to replace them"),
	ATTR_ROW("filters", "the logger's filters, one per line; write names to replace them"),
	{.name = "parent", .kind = KIND_LINK, .mode = 0777, .show = show_parent, .visible = not_root,
	 .doc = "the logger records propagate to"},
	SETTING_ROW("config", show_logger_config, store_logger_config,
		    "the logger's dictConfig entry as JSON: level, handlers, filters, propagate"),
	DIR_ROW("enabled", enabled_dir, "Logger.isEnabledFor(level): enabled/LEVEL reads 1 or 0"),
	VALUE_ROW("has_handlers", show_has_handlers,
		  "Logger.hasHandlers(): 1 if a handler is on the way up (as propagate goes)"),
	VALUE_ROW("children", show_children, "Logger.getChildren(): the child loggers, one a line"),
	LEVEL_ROW("debug", 10, "write a line: one DEBUG record (a JSON object: a structured record)"),
	LEVEL_ROW("info", 20, "write a line: one INFO record"),
	LEVEL_ROW("warning", 30, "write a line: one WARNING record"),
	LEVEL_ROW("error", 40, "write a line: one ERROR record"),
	LEVEL_ROW("critical", 50, "write a line: one CRITICAL record"),
	LEVEL_ROW("log", -1, "write 'LEVEL message': one record at that level"),
	/* Records can carry secrets: the owner's alone to read, unless the owner chmods it. */
	LIVE_ROW("tail", &tail_source, 0400,
		 "the records that reach this logger's handlers, as they come (cat, tail -f); "
		 "not listed"),
	SETTING_ROW("tail_formatter", show_tail_formatter, store_tail_formatter,
		    "the formatter tail shows records with; empty: logging.BASIC_FORMAT"),
	END_ROW,
};
static const struct dir logger_dir = {.rows = logger_rows};

static int match_logger(const char *name, const struct req *rq)
{
	return log_logger_exists(name) ? 0 : osfs_refuse(ENOENT, "no logger named '%s' (mkdir makes one)", name);
}

static int list_loggers(emit_fn *emit, void *ctx, const struct req *rq)
{
	log_logger_names(emit, ctx);
	return 0;
}

static int mkdir_logger(const char *name, const struct req *rq)
{
	return log_logger_create(name);
}

static int rmdir_logger(const char *name, const struct req *rq)
{
	return log_logger_remove(name);
}

static const struct node logger_each = {
	.kind = KIND_DIR, .mode = 0555, .flags = NODE_OWNED | NODE_KEPT, .dir = &logger_dir,
	.doc = "a logger: its level, handlers and record streams"};
static const struct dir loggers_dir = {.each = &logger_each, .match = match_logger,
				       .list = list_loggers, .mkdir = mkdir_logger,
				       .rmdir = rmdir_logger};

/* Handlers, formatters, filters: KIND/ID/ATTR.  The directory row's data is the
 * kind; an attribute row's data is the attribute. */
static const char *kind_of(const struct req *rq)
{
	return rq->node && rq->node->kind == KIND_DIR ? rq->node->data : NULL;
}

struct object_row {
	const char *kind, *attr;
};

static int show_object_attr(struct osfs_buf *out, const struct req *rq)
{
	const struct object_row *o = rq->node->data;
	return log_object_get(o->kind, rq->arg, o->attr, out);
}

static int store_object_attr(const char *value, const struct req *rq)
{
	const struct object_row *o = rq->node->data;
	return log_object_set(o->kind, rq->arg, o->attr, value);
}

#define OBJECT_ROW(kind_, n, doc_)                                                        \
	{.name = (n), .kind = KIND_SETTING, .mode = 0644, .show = show_object_attr,        \
	 .store = store_object_attr, .data = &(const struct object_row){(kind_), (n)}, \
	 .doc = (doc_)}

static int take_flush(const char *line, void **state, const struct req *rq)
{
	return log_handler_flush(rq->arg);
}

/* rollover and reopen: a true value (1, yes, on) acts, a false one does nothing. */
static int take_control(const char *line, void **state, const struct req *rq)
{
	int on;
	if (osfs_parse_bool(line, &on) < 0)
		return osfs_refuse(EINVAL, "write 1 to %s, not '%s'", rq->node->name, line);
	return on ? log_handler_control(rq->arg, rq->node->name) : 0;
}

static int has_rollover(const struct req *rq)
{
	return log_handler_has(rq->arg, "rollover");
}

static int has_reopen(const struct req *rq)
{
	return log_handler_has(rq->arg, "reopen");
}

/* spool: the records a network handler keeps while its receiver is away. */
static int has_spool(const struct req *rq)
{
	return log_handler_spool_has(rq->arg);
}

static int show_spool(struct osfs_buf *out, const struct req *rq)
{
	return log_handler_spool_get(rq->arg, out);
}

static int store_spool(const char *value, const struct req *rq)
{
	return log_handler_spool_set(rq->arg, value);
}

/* A handler's keyword arguments (filename, mode, stream, ...) as files. */
static int kwargs_of(const char *id, cJSON **out)
{
	struct osfs_buf b = {0};
	int err = log_object_get("handlers", id, "config", &b);
	*out = err ? NULL : cJSON_Parse(b.data);
	osfs_buf_free(&b);
	return err;
}

static int is_common(const char *key)
{
	/* and "." (the attributes set after construction): shown in config, not a file */
	static const char *const common[] = {"class", "level", "formatter", "filters", "."};
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		if (strcmp(common[i], key) == 0)
			return 1;
	return 0;
}

static int match_kwarg(const char *name, const struct req *rq)
{
	cJSON *o;
	int err = kwargs_of(rq->arg, &o);
	if (!err && (is_common(name) || !cJSON_GetObjectItemCaseSensitive(o, name)))
		err = osfs_refuse(ENOENT, "handler '%s' has no '%s'", rq->arg, name);
	cJSON_Delete(o);
	return err;
}

static int list_kwargs(emit_fn *emit, void *ctx, const struct req *rq)
{
	cJSON *o;
	int err = kwargs_of(rq->arg, &o);
	const cJSON *c;
	if (!err)
		cJSON_ArrayForEach(c, o) if (!is_common(c->string)) emit(ctx, c->string);
	cJSON_Delete(o);
	return err;
}

static const struct node handler_rows[] = {
	{.name = "class", .kind = KIND_VALUE, .mode = 0444, .show = show_object_attr,
	 .data = &(const struct object_row){"handlers", "class"},
	 .doc = "the handler's Python class; change it through config"},
	OBJECT_ROW("handlers", "level", "Handler.level: records below it are not emitted"),
	OBJECT_ROW("handlers", "formatter", "the name of the handler's formatter (empty: %(message)s)"),
	OBJECT_ROW("handlers", "filters", "the handler's filters, one per line"),
	OBJECT_ROW("handlers", "config", "the handler's dictConfig entry as JSON (class and arguments)"),
	ACTION_ROW("flush", take_flush, 0200, "write anything: Handler.flush()"),
	{.name = "rollover", .kind = KIND_RECORDS, .mode = 0200, .flags = NODE_ACTS,
	 .take = take_control,
	 .visible = has_rollover,
	 .doc = "write 1: doRollover() now (RotatingFileHandler, TimedRotatingFileHandler)"},
	{.name = "reopen", .kind = KIND_RECORDS, .mode = 0200, .flags = NODE_ACTS,
	 .take = take_control,
	 .visible = has_reopen,
	 .doc = "write 1: close the file and open it again by its name (logrotate's postrotate)"},
	{.name = "spool", .kind = KIND_SETTING, .mode = 0644, .show = show_spool, .store = store_spool,
	 .visible = has_spool,
	 .doc = "records kept while the receiver is away, sent again in order (default: -o spool_records); 0: none, as Python"},
	END_ROW,
};

static const struct node formatter_rows[] = {
	OBJECT_ROW("formatters", "format", "Formatter's fmt, in its style"),
	OBJECT_ROW("formatters", "datefmt", "Formatter's datefmt (strftime); empty: %Y-%m-%d %H:%M:%S,mmm"),
	OBJECT_ROW("formatters", "style", "%, { or $"),
	OBJECT_ROW("formatters", "config", "the formatter's dictConfig entry as JSON"),
	END_ROW,
};

static const struct node filter_rows[] = {
	OBJECT_ROW("filters", "name", "logging.Filter(name): records of this logger and below pass"),
	OBJECT_ROW("filters", "config", "the filter's dictConfig entry as JSON"),
	END_ROW,
};

static int show_kwarg_value(struct osfs_buf *out, const struct req *rq)
{
	cJSON *o;
	int err = kwargs_of(rq->outer, &o);
	const cJSON *v = err ? NULL : cJSON_GetObjectItemCaseSensitive(o, rq->arg);
	if (!err && !v)
		err = osfs_refuse(ENOENT, "handler '%s' has no '%s'", rq->outer, rq->arg);
	if (!err) {
		char *t = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
		osfs_buf_printf(out, "%s\n", t ? t : v->valuestring);
		cJSON_free(t);
	}
	cJSON_Delete(o);
	return err;
}

static const struct node kwarg_each = {.kind = KIND_VALUE, .mode = 0444, .show = show_kwarg_value,
				       .doc = "one of the handler class's arguments; change it through config"};
static const struct dir handler_dir = {.rows = handler_rows, .each = &kwarg_each,
				       .match = match_kwarg, .list = list_kwargs};
static const struct dir formatter_dir = {.rows = formatter_rows};
static const struct dir filter_dir = {.rows = filter_rows};

static int match_object(const char *name, const struct req *rq)
{
	const char *kind = kind_of(rq);
	return log_object_exists(kind, name) ? 0
		: osfs_refuse(ENOENT, "no %.*s named '%s' (mkdir makes one)", (int)strlen(kind) - 1, kind, name);
}

static int list_objects(emit_fn *emit, void *ctx, const struct req *rq)
{
	log_object_names(kind_of(rq), emit, ctx);
	return 0;
}

static int mkdir_object(const char *name, const struct req *rq)
{
	return log_object_create(kind_of(rq), name);
}

static int rmdir_object(const char *name, const struct req *rq)
{
	return log_object_remove(kind_of(rq), name);
}

static const struct node handler_each = DIR_ROW(NULL, handler_dir, "a handler");
static const struct node formatter_each = DIR_ROW(NULL, formatter_dir, "a formatter");
static const struct node filter_each = DIR_ROW(NULL, filter_dir, "a filter");
#define OBJECTS_DIR(each_) \
	{.each = &(each_), .match = match_object, .list = list_objects, .mkdir = mkdir_object, \
	 .rmdir = rmdir_object}
static const struct dir handlers_dir = OBJECTS_DIR(handler_each);
static const struct dir formatters_dir = OBJECTS_DIR(formatter_each);
static const struct dir filters_dir = OBJECTS_DIR(filter_each);

/* levels/NAME: logging.addLevelName, and the level behind a name. */
static int match_level(const char *name, const struct req *rq)
{
	int level;
	return log_level_of(name, &level) == 0 ? 0 : osfs_refuse(ENOENT, "no level named '%s'", name);
}

static int list_levels(emit_fn *emit, void *ctx, const struct req *rq)
{
	log_level_names(emit, ctx);
	return 0;
}

static int show_level(struct osfs_buf *out, const struct req *rq)
{
	int level;
	if (log_level_of(rq->arg, &level) < 0)
		return osfs_refuse(ENOENT, "no level named '%s'", rq->arg);
	osfs_buf_printf(out, "%d\n", level);
	return 0;
}

static int store_level(const char *value, const struct req *rq)
{
	int level;
	if (osfs_parse_int(value, &level) < 0 || level < 0)
		return osfs_refuse(EINVAL, "a level is a number 0 or more, not '%s'", value);
	int err = log_level_add(rq->arg, level);
	if (!err)
		tree_changed();
	return err;
}

static int create_level(const char *name, const struct req *rq)
{
	return 0; /* named when its number is written */
}

static int remove_level(const char *name, const struct req *rq)
{
	int err = log_level_add(name, -1);
	if (!err)
		tree_changed();
	return err;
}

/* Undoing a level name written: its number before, or none (then it goes). */
static int save_level(struct osfs_buf *out, const struct req *rq)
{
	int level;
	if (log_level_of(rq->arg, &level) == 0)
		osfs_buf_printf(out, "%d\n", level);
	return 0;
}

static int restore_level(const char *value, const struct req *rq)
{
	return *value ? store_level(value, rq) : remove_level(rq->arg, rq);
}

static const struct undo level_undo = {save_level, restore_level};
static const struct node level_each = {.kind = KIND_SETTING, .mode = 0644, .show = show_level,
				       .store = store_level, .undo = &level_undo,
				       .doc = "logging.addLevelName: write the level's number"};
static const struct dir levels_dir = {.each = &level_each, .match = match_level, .list = list_levels,
				      .create = create_level, .remove = remove_level};

/* logging/disable, raise_exceptions, stats, config. */
static int show_disable(struct osfs_buf *out, const struct req *rq)
{
	log_level_name(log_disable_get(), out);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int store_disable(const char *value, const struct req *rq)
{
	int level;
	int err = log_level_parse(value, &level);
	return err ? err : log_disable_set(level);
}

static int show_raise(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_printf(out, "%d\n", log_raise_get());
	return 0;
}

static int store_raise(const char *value, const struct req *rq)
{
	int on;
	if (osfs_parse_bool(value, &on) < 0)
		return osfs_refuse(EINVAL, "'%s' is not a boolean: 1 0 y n yes no true false on off", value);
	log_raise_set(on);
	return 0;
}

static int show_stats(struct osfs_buf *out, const struct req *rq)
{
	log_stats(out);
	return 0;
}

static int show_config(struct osfs_buf *out, const struct req *rq)
{
	log_config_json(out);
	return 0;
}

static int apply_config(const char *doc, const struct req *rq)
{
	return log_dict_config(doc);
}

static int apply_fileconfig(const char *doc, const struct req *rq)
{
	return log_file_config(doc);
}

/* A JSON document is decided when its top-level value closes, or as soon as no
 * text that follows could make it valid ('{not json'): it is applied in that
 * write(), which a shell's echo or printf sees fail (osfs/jsonscan.h). */
static int json_complete(const char *doc)
{
	return osfs_json_scan(doc) != OSFS_JSON_PARTIAL;
}

/* A document that cannot be saved is undone by applying the configuration before it,
 * secrets included (the readback redacts them). */
static int save_config(struct osfs_buf *out, const struct req *rq)
{
	log_config_json_full(out);
	return 0;
}

static const struct undo config_undo = {save_config, apply_config};

/* logging.basicConfig: a JSON object is applied when it closes; key=value lines
 * at the first read or at close. */
static int basic_complete(const char *doc)
{
	return *(doc + strspn(doc, " \t\r\n")) == '{' && json_complete(doc);
}

static int apply_basic_config(const char *doc, const struct req *rq)
{
	return log_basic_config(doc);
}

/* logging/handle: makeLogRecord + Logger.handle, one JSON dict a line; the
 * records of one write go out together, as a logger's stream's do. */
struct handled {
	struct log_caller caller;
	struct log_batch *batch;
	struct osfs_buf line;
};

static int take_handled(const char *line, void **state, const struct req *rq)
{
	struct handled *h = *state;
	if (!h && !(h = *state = calloc(1, sizeof *h)))
		return -ENOMEM;
	const struct osfs_ident *who = rq->who;
	h->caller = (struct log_caller){.pid = who->pid, .tid = who->tid, .uid = who->fsuid,
					.exe = who->exe ? who->exe : ""};
	snprintf(h->caller.comm, sizeof h->caller.comm, "%s", who->comm);
	if (escaped(who)) { /* as a logger's stream escapes a structured record */
		osfs_buf_reset(&h->line);
		escape_json(line, &h->line);
		if (osfs_buf_error(&h->line))
			return -ENOMEM;
		line = h->line.data ? h->line.data : "";
	}
	if (!h->batch && !(h->batch = log_batch_begin()))
		return -ENOMEM;
	return log_handle_json(line, &h->caller, &h->batch);
}

static int handled_taken(void **state, const struct req *rq)
{
	struct handled *h = *state;
	if (!h || !h->batch)
		return 0;
	int err = log_batch_end(h->batch);
	h->batch = NULL;
	return err;
}

static void drop_handled(void *state)
{
	struct handled *h = state;
	if (h->batch)
		log_batch_end(h->batch);
	osfs_buf_free(&h->line);
	free(h);
}

static int take_shutdown(const char *line, void **state, const struct req *rq)
{
	return log_shutdown();
}

/* lastResort: its level, or None. */
static int show_last_resort(struct osfs_buf *out, const struct req *rq)
{
	int level = log_last_resort_get();
	if (level < 0)
		osfs_buf_puts(out, "None");
	else
		log_level_name(level, out);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int store_last_resort(const char *value, const struct req *rq)
{
	int level = -1;
	int err = strcmp(value, "None") == 0 ? 0 : log_level_parse(value, &level);
	if (!err)
		log_last_resort_set(level);
	return err;
}

static int level_fields(struct osfs_kv *kv, const struct req *rq)
{
	log_level_mapping(kv);
	return 0;
}

/* level_name/X: getLevelName(X); every name is there (but those a tool probes
 * for, .git and the like: no level is named so), the registered ones listed. */
static int match_any(const char *name, const struct req *rq)
{
	return name[0] != '.' ? 0 : osfs_refuse(ENOENT, "no level name starts with a dot");
}

static int show_level_name(struct osfs_buf *out, const struct req *rq)
{
	log_level_name_of(rq->arg, out);
	osfs_buf_putc(out, '\n');
	return 0;
}

static const struct node level_name_each = {
	.kind = KIND_VALUE, .mode = 0444, .show = show_level_name,
	.doc = "logging.getLevelName(X): a number's name, a name's number, else 'Level X'"};
static const struct dir level_name_dir = {.each = &level_name_each, .match = match_any,
					  .list = list_levels};

static int show_handler_names(struct osfs_buf *out, const struct req *rq)
{
	log_handler_names(out);
	return 0;
}

/* logging.config.listen: the address, the key, what came. */
static int show_listen(struct osfs_buf *out, const struct req *rq)
{
	log_listen_address(out);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int store_listen(const char *value, const struct req *rq)
{
	return log_listen_set(value);
}

static int show_listen_key(struct osfs_buf *out, const struct req *rq)
{
	log_listen_key_get(out);
	osfs_buf_putc(out, '\n');
	return 0;
}

static int store_listen_key(const char *value, const struct req *rq)
{
	return log_listen_key_set(value);
}

static int listen_fields(struct osfs_kv *kv, const struct req *rq)
{
	log_listen_stats(kv);
	return 0;
}

static const struct node logging_rows[] = {
	DOCUMENT_ROW("config", show_config, apply_config, json_complete, &config_undo,
		     "logging.config.dictConfig: write a JSON document; read the outcome or the current one"),
	DOCUMENT_ROW("fileconfig", NULL, apply_fileconfig, NULL, &config_undo,
		     "logging.config.fileConfig: write an INI file; it is applied at the first read or close"),
	SETTING_ROW("disable", show_disable, store_disable,
		    "logging.disable(level): records at or below it are dropped everywhere"),
	SETTING_ROW("raise_exceptions", show_raise, store_raise,
		    "1: a write fails with EIO when a handler fails (else it is counted and logged)"),
	{.name = "levels", .kind = KIND_DIR, .mode = 0755, .dir = &levels_dir,
	 .doc = "level names: levels/NAME holds its number; write one to add a name"},
	VALUE_ROW("stats", show_stats, "records taken, emitted, dropped; handler errors; spools (spooled, resent, dropped)"),
	DOCUMENT_ROW("basic_config", NULL, apply_basic_config, basic_complete, &config_undo,
		     "logging.basicConfig: its keyword arguments as a JSON object or key=value lines"),
	{.name = "handle", .kind = KIND_RECORDS, .mode = 0200, .take = take_handled,
	 .taken = handled_taken, .drop = drop_handled,
	 .doc = "Logger.handle(makeLogRecord(dict)): one JSON LogRecord dict a line, by its name"},
	ACTION_ROW("shutdown", take_shutdown, 0200,
		    "logging.shutdown(): write anything: every handler flushed and closed (reopened by its next record)"),
	SETTING_ROW("last_resort", show_last_resort, store_last_resort,
		    "logging.lastResort: the level of the daemon's stderr for records no handler takes; None: none"),
	FIELDS_ROW("level_names", level_fields, "logging.getLevelNamesMapping(): NAME=number"),
	JSON_ROW("level_names.json", level_fields, "logging.getLevelNamesMapping() as JSON"),
	DIR_ROW("level_name", level_name_dir, "logging.getLevelName(X): level_name/20, level_name/INFO"),
	VALUE_ROW("handler_names", show_handler_names, "logging.getHandlerNames(): one a line, sorted"),
	SETTING_ROW("listen", show_listen, store_listen,
		    "logging.config.listen: [HOST:]PORT takes configurations there (loopback by default); empty stops"),
	{.name = "listen_key", .kind = KIND_SETTING, .mode = 0600, .show = show_listen_key,
	 .store = store_listen_key,
	 .doc = "the listener's HMAC-SHA256 key: a file's path, or none to take configurations unverified"},
	FIELDS_ROW("listen_stats", listen_fields, "the listener: connections, applied, failed, unverified, ..."),
	{.name = "loggers", .kind = KIND_DIR, .mode = 0755, .dir = &loggers_dir,
	 .doc = "the logger tree: mkdir loggers/app.db makes a logger"},
	{.name = "handlers", .kind = KIND_DIR, .mode = 0755, .dir = &handlers_dir, .data = "handlers",
	 .doc = "handlers by name: mkdir makes one (a NullHandler until configured)"},
	{.name = "formatters", .kind = KIND_DIR, .mode = 0755, .dir = &formatters_dir,
	 .data = "formatters", .doc = "formatters by name"},
	{.name = "filters", .kind = KIND_DIR, .mode = 0755, .dir = &filters_dir, .data = "filters",
	 .doc = "filters by name"},
	END_ROW,
};

const struct dir logging_dir = {.rows = logging_rows};

int logging_tree_init(void)
{
	owner = getuid();
	int err = log_init();
	log_on_change(tree_changed);
	return err;
}

void logging_tree_fini(void)
{
	log_listen_fini(); /* no configuration arrives while the handlers close */
	log_flush_all();
	log_fini();
	log_api_fini();
}
