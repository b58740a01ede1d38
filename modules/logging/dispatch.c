/* Record dispatch, with Python's semantics: effective level by inheritance,
 * logging.disable, logger and handler levels and filters, propagation to the
 * parent's handlers.  The records of one write() form a batch: routed and
 * formatted under the read lock, then emitted to each handler after it, bounded
 * by the handler's timeout, and counted exactly (a record is emitted when it
 * reached the target, else it is a handler error). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/logging/tail.h"
#include "osfs/refuse.h"

static int disable_level;    /* logging.disable() */
static int raise_exceptions; /* fail the write with EIO when a handler fails */
static int64_t start_ns;     /* logging's _startTime: the mount */
static struct log_formatter *default_formatter;
static void (*on_change)(void);
static struct {
	unsigned long taken, emitted, dropped, errors;
} stats;

static char base_dir[4096] = "/";

void log_set_base_dir(const char *dir)
{
	snprintf(base_dir, sizeof base_dir, "%s", dir && *dir ? dir : "/");
}

/* posixpath.normpath of an absolute path, in place: no "." or empty component,
 * ".." takes the one before (none above the root), two leading slashes kept. */
static void normpath(char *path)
{
	int two = path[1] == '/' && path[2] != '/';
	char *out = path + 1 + two, *in = path;
	size_t kept = 0; /* components written */
	while (*in) {
		while (*in == '/')
			in++;
		size_t len = strcspn(in, "/");
		if (!len || (len == 1 && in[0] == '.')) {
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			if (kept) { /* back over the last component and its slash */
				while (out > path + 1 + two && out[-1] != '/')
					out--;
				if (out > path + 1 + two)
					out--;
				kept--;
			}
		} else {
			if (kept)
				*out++ = '/';
			memmove(out, in, len);
			out += len;
			kept++;
		}
		in += len;
	}
	*out = '\0';
	if (two)
		path[1] = '/';
}

char *log_absolute(const char *filename)
{
	char *path;
	if (filename[0] == '/')
		path = strdup(filename);
	else if (asprintf(&path, "%s%s%s", base_dir, strcmp(base_dir, "/") == 0 ? "" : "/",
			  filename) < 0)
		path = NULL;
	if (path) /* os.path.abspath: joined, then normpath */
		normpath(path);
	return path;
}

void log_on_change(void (*fn)(void))
{
	on_change = fn;
}

void changed(void)
{
	if (on_change)
		on_change();
}

int valid_id(const char *id)
{
	return *id && !strchr(id, '/') && strlen(id) < 256;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int log_init(void)
{
	start_ns = now_ns();
	default_formatter = log_formatter_new(NULL, NULL, '%', NULL, 1);
	int err = registry_init();
	log_reg.objects = objects_new();
	return !default_formatter || !log_reg.objects ? -ENOMEM : err;
}

void log_fini(void)
{
	spool_stop_thread(); /* no resend under way while the handlers close */
	pthread_mutex_lock(&log_config_lock);
	pthread_rwlock_wrlock(&log_lock);
	struct log_objects *o = log_reg.objects;
	log_reg.objects = NULL;
	registry_fini();
	pthread_rwlock_unlock(&log_lock);
	objects_drain(o);
	objects_free(o);
	spool_fini(); /* what the handlers left, saved */
	log_formatter_free(default_formatter);
	default_formatter = NULL;
	pthread_mutex_unlock(&log_config_lock);
	log_levels_fini();
	log_tail_fini();
	log_stop_end();
}

int strlist_split(const char *text, char ***list, size_t *n)
{
	char **out = NULL;
	size_t count = 0;
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	char *save;
	for (char *t = strtok_r(copy, " \t\n,", &save); t; t = strtok_r(NULL, " \t\n,", &save)) {
		char **p = realloc(out, (count + 1) * sizeof *p);
		if (!p || !(p[count] = strdup(t))) {
			if (p)
				out = p;
			strlist_free(&out, &count);
			free(copy);
			return -ENOMEM;
		}
		out = p;
		count++;
	}
	free(copy);
	*list = out;
	*n = count;
	return 0;
}

void strlist_free(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

/* logging.Filter.filter: the record's logger is the filter's name or below it. */
static int filter_passes(const char *f, const char *name)
{
	size_t n = strlen(f);
	if (n == 0 || strcmp(f, name) == 0)
		return 1;
	return strncmp(f, name, n) == 0 && name[n] == '.';
}

static int filters_pass(struct log_obj *const *filters, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!filter_passes(filters[i]->filter, name))
			return 0;
	return 1;
}

#define HINT_MAX (1 << 20) /* buffers sized ahead up to this */

struct log_batch {
	struct batch_out {
		struct log_handler *h; /* referenced until emitted */
		struct osfs_buf text;
		struct log_out *rec;   /* where each record ends in text, and its level */
		size_t records, cap;
		pid_t pid;
		struct log_fmt_memo memo; /* the write's shared part, formatted once */
	} *out;
	size_t n, cap;
	size_t hint; /* records meet a logger's handlers in the same order each time */
	/* The record being handed out, and where it was last formatted: handlers that
	 * share a formatter get the same text (formatting is a function of the two),
	 * copied rather than formatted again. */
	unsigned long record;
	struct {
		unsigned long record;
		const struct log_formatter *f;
		size_t out, start, len;
	} same;
	/* What the lines of one write share (log_emit): they were written at one
	 * moment, by one writer, to one logger, so these are found, read and named
	 * once for the write, not per line. */
	struct shared {
		const char *logger;              /* log_emit's, as given (NULL: none yet) */
		const struct log_caller *caller;
		struct log_logger *l;
		int64_t now;
		int level, levelno_set, pass;    /* the level named and judged last */
		struct osfs_buf levelname, module;
		const char *filename, *standard;
		double created, msecs, relative_created;
		unsigned long key;               /* changes with any of the above */
	} shared;
};

struct log_batch *batch_new(void)
{
	struct log_batch *b = calloc(1, sizeof(struct log_batch));
	if (b)
		b->record = 1; /* same.record 0: nothing formatted yet */
	return b;
}

struct log_batch *log_batch_begin(void)
{
	struct log_batch *b = batch_new();
	if (b)
		pthread_rwlock_rdlock(&log_lock);
	return b;
}

void handler_failed(struct log_handler *h, unsigned long records, pid_t pid, int err,
		    const char *why)
{
	__atomic_add_fetch(&h->errors, records, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats.errors, records, __ATOMIC_RELAXED);
	char node[320];
	snprintf(node, sizeof node, "logging/handlers/%s", h->id);
	osfs_errlog_add(pid, node, -err, why);
	osfs_refusal_clear();
}

void handler_emitted(struct log_handler *h, long n)
{
	__atomic_add_fetch(&h->emitted, (unsigned long)n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats.emitted, (unsigned long)n, __ATOMIC_RELAXED);
}

int log_batch_end(struct log_batch *b)
{
	pthread_rwlock_unlock(&log_lock);
	return batch_emit(b);
}

/* The handler's mutex, waited for no longer than the write's deadline. */
static int lock_until(struct log_handler *h, int64_t deadline)
{
	if (!deadline)
		return pthread_mutex_lock(&h->lock) ? -EAGAIN : 0;
	struct timespec until = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
	int e = pthread_mutex_clocklock(&h->lock, CLOCK_MONOTONIC, &until);
	return e ? osfs_refuse(ETIMEDOUT, "the handler was busy for longer than its timeout "
				    "(%d ms)", h->timeout_ms) : 0;
}

static int emit_one(struct batch_out *o)
{
	struct log_handler *h = o->h;
	struct log_emit e = {.text = o->text.data, .rec = o->rec, .n = o->records};
	int err = osfs_buf_error(&o->text);
	unsigned long lost = 0;
	int spooled = 0;
	if (!err && o->records && h->cls->emit) { /* (NullHandler has none) */
		e.deadline = h->timeout_ms ? log_clock_ns() + (int64_t)h->timeout_ms * 1000000 : 0;
		/* A spooled handler's records are never lost to a busy lock: while the
		 * receiver is away (a resend may hold the lock for its timeout) they join
		 * the spool at once, else when the wait for the lock ends. */
		int spool = __atomic_load_n(&h->spool, __ATOMIC_ACQUIRE) != NULL;
		if (spool && pthread_mutex_trylock(&h->lock) == 0)
			err = 0;
		else if (spool && (err = spool_busy_keep(h, &e, &lost, 0)) != -EBUSY)
			spooled = 2; /* kept (or dropped): the lock is not held */
		else if ((err = lock_until(h, e.deadline)) != 0 && spool) {
			err = spool_busy_keep(h, &e, &lost, 1);
			spooled = 2;
		}
		if (!err && spooled != 2) {
			if ((spooled = spool_wanted(h))) /* counts what it emits, keeps or loses */
				err = spool_emit(h, &e, &lost);
			else
				err = h->cls->emit(h, &e);
			pthread_mutex_unlock(&h->lock);
		}
	}
	if (spooled && !err)
		return 0;
	if (spooled) {
		char why[OSFS_REFUSAL_MAX];
		snprintf(why, sizeof why, "%s", osfs_refusal());
		handler_failed(h, lost, o->pid, err, why);
		return raise_exceptions ? osfs_refuse(EIO, "handler '%s' failed: %s", h->id, why) : 0;
	}
	if (!err)
		e.sent = o->records;
	__atomic_add_fetch(&h->emitted, e.sent, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats.emitted, e.sent, __ATOMIC_RELAXED);
	if (!err)
		return 0;
	char why[OSFS_REFUSAL_MAX];
	snprintf(why, sizeof why, "%s", osfs_refusal());
	handler_failed(h, o->records - e.sent, o->pid, err, why);
	return raise_exceptions ? osfs_refuse(EIO, "handler '%s' failed: %s", h->id, why) : 0;
}

int batch_emit(struct log_batch *b)
{
	int result = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_out *o = &b->out[i];
		int err = emit_one(o);
		result = result ? result : err;
		if (o->text.len <= HINT_MAX && o->records <= HINT_MAX / 64) {
			__atomic_store_n(&o->h->text_hint, o->text.len, __ATOMIC_RELAXED);
			__atomic_store_n(&o->h->records_hint, o->records, __ATOMIC_RELAXED);
		}
		handler_unref(o->h);
		osfs_buf_free(&o->text);
		log_fmt_memo_free(&o->memo);
		free(o->rec);
	}
	free(b->out);
	osfs_buf_free(&b->shared.levelname);
	osfs_buf_free(&b->shared.module);
	free(b);
	return result;
}

static struct batch_out *batch_slot(struct log_batch *b, struct log_handler *h)
{
	if (b->hint < b->n && b->out[b->hint].h == h)
		return &b->out[b->hint++];
	for (size_t i = 0; i < b->n; i++)
		if (b->out[i].h == h) {
			b->hint = i + 1;
			return &b->out[i];
		}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4;
		struct batch_out *p = realloc(b->out, cap * sizeof *p);
		if (!p)
			return NULL;
		b->out = p;
		b->cap = cap;
	}
	handler_ref(h);
	struct batch_out *o = &b->out[b->n];
	*o = (struct batch_out){.h = h};
	/* sized as the handler's last write: a 64 KiB write is formatted without
	 * growing its buffers record by record */
	size_t text = __atomic_load_n(&h->text_hint, __ATOMIC_RELAXED);
	size_t records = __atomic_load_n(&h->records_hint, __ATOMIC_RELAXED);
	if (text && osfs_buf_extend(&o->text, text)) {
		o->text.len = 0;
		o->text.data[0] = '\0';
	}
	if (records && (o->rec = malloc(records * sizeof *o->rec)))
		o->cap = records;
	b->hint = b->n + 1;
	b->n++;
	return o;
}

static int handle_failed(struct log_handler *h, const struct log_record *r, int err)
{
	char why[OSFS_REFUSAL_MAX];
	snprintf(why, sizeof why, "%s", osfs_refusal());
	handler_failed(h, 1, (pid_t)r->process, err, why);
	return raise_exceptions ? osfs_refuse(EIO, "handler '%s' failed: %s", h->id, why) : 0;
}

/* A standard level name as a static string (SysLogHandler maps them), or NULL. */
static const char *standard_name(const char *name)
{
	static const char *const standard[] = {"CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"};
	for (size_t i = 0; i < sizeof standard / sizeof standard[0]; i++)
		if (name[0] == standard[i][0])
			return strcmp(name, standard[i]) == 0 ? standard[i] : NULL;
	return NULL;
}

/* Handler.handle: filters, then the formatted record joins the batch.  key: the
 * record is a plain line made from the batch's shared part (0: it is not). */
static int handle(struct log_handler *h, struct log_record *r, struct log_batch *b,
		  unsigned long key)
{
	if (!filters_pass(h->filters, h->nfilters, r->name))
		return 0;
	if (h->cls->keep) {
		int err = h->cls->keep(h, r, b);
		if (err)
			return handle_failed(h, r, err);
		__atomic_add_fetch(&h->emitted, 1, __ATOMIC_RELAXED);
		return 0;
	}
	struct batch_out *o = batch_slot(b, h);
	if (!o)
		return -ENOMEM;
	if (o->records == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 8;
		struct log_out *e = realloc(o->rec, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		o->rec = e;
		o->cap = cap;
	}
	size_t mark = o->text.len;
	if (h->cls->render && r->message_error) /* makePickle's getMessage raised */
		return handle_failed(h, r, osfs_refuse(EINVAL, "%s", r->message_error));
	if (h->cls->render) {
		h->cls->render(h, r, &o->text);
	} else {
		const struct log_formatter *f = h->formatter ? h->formatter->formatter : default_formatter;
		size_t at = (size_t)(o - b->out);
		if (b->same.record == b->record && b->same.f == f && b->same.out != at) {
			const struct batch_out *from = &b->out[b->same.out];
			osfs_buf_add(&o->text, from->text.data + b->same.start, b->same.len);
		} else {
			int err = log_format_shared(f, r, &o->text, &o->memo, key);
			if (err) { /* Python's handleError: this record is not emitted, the rest go on */
				o->text.len = mark;
				if (o->text.data)
					o->text.data[mark] = '\0';
				return handle_failed(h, r, err);
			}
			b->same.record = b->record;
			b->same.f = f;
			b->same.out = at;
			b->same.start = mark;
			b->same.len = o->text.len - mark; /* the text without the terminator */
		}
		if (h->terminator) /* StreamHandler.terminator, set by the '.' key */
			osfs_buf_puts(&o->text, h->terminator);
		else if (o->text.len + 1 < o->text.cap)
			o->text.data[o->text.len++] = '\n', o->text.data[o->text.len] = '\0';
		else
			osfs_buf_putc(&o->text, '\n');
	}
	const char *standard = key ? b->shared.standard : standard_name(r->levelname);
	o->rec[o->records++] = (struct log_out){o->text.len, r->levelno, standard};
	o->pid = (pid_t)r->process;
	return 0;
}

/* Handlers that hand records on to others (MemoryHandler, QueueHandler) could be
 * configured in a circle: Python ends that with a RecursionError, osfs here. */
static __thread int handing_on;

int handler_handle(struct log_handler *h, const struct log_record *r, struct log_batch *b)
{
	if (handing_on > 8)
		return handle_failed(h, r, osfs_refuse(ELOOP, "handlers hand records on in a circle"));
	struct log_record copy = *r; /* formatting sets asctime on it for a moment */
	b->record++;
	handing_on++;
	int err = handle(h, &copy, b, 0);
	handing_on--;
	return err;
}

void handler_drain(struct log_handler *h, int closing)
{
	if (!h->cls->drain)
		return;
	struct log_batch *b = batch_new();
	if (b) {
		h->cls->drain(h, b, closing);
		batch_emit(b);
	}
}

void objects_drain(struct log_objects *o)
{
	for (struct log_obj *s = o ? o->kind[OBJ_HANDLERS].first : NULL; s; s = s->next)
		handler_drain(s->handler, 1);
}

/* Logger.callHandlers: up the tree while propagate holds; lastResort if none.
 * (Inlined in both callers: it is the record path.) */
static inline __attribute__((always_inline)) int call_handlers(struct log_logger *l, struct log_record *r, struct log_batch *b,
							      unsigned long key)
{
	int found = 0, err = 0;
	if (__atomic_load_n(&log_tail_readers, __ATOMIC_RELAXED)) /* someone reads a tail */
		log_tail_offer(l, r);
	for (struct log_logger *c = l; c; c = c->propagate ? c->parent : NULL) {
		for (size_t i = 0; i < c->nhandlers; i++) {
			struct log_handler *h = c->handlers[i]->handler;
			found++;
			if (r->levelno >= h->level) {
				int e = handle(h, r, b, key);
				err = err ? err : e;
			}
		}
	}
	if (!found)
		log_last_resort(r); /* api.c */
	return err;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The batch's shared part for this logger and writer: the logger found, the
 * time read, and what the writer's executable gives (pathname, filename,
 * module), once for the batch. */
static int share(struct shared *sh, const char *logger, const struct log_caller *caller)
{
	if (sh->logger != logger) {
		sh->l = registry_logger(logger);
		if (!sh->l)
			return osfs_refuse(ENOENT, "no logger named '%s'", logger);
		sh->logger = logger;
		sh->levelno_set = 0;
		sh->key++;
	}
	if (sh->caller != caller) {
		struct log_record t = {0};
		log_record_set_time(&t, now_ns(), start_ns);
		sh->created = t.created;
		sh->msecs = t.msecs;
		sh->relative_created = t.relative_created;
		sh->now = t.created_ns;
		sh->key++;
		sh->filename = base_name(caller->exe); /* "" unless a record may show it */
		osfs_buf_reset(&sh->module);
		osfs_buf_puts(&sh->module, sh->filename);
		char *dot = sh->module.data ? strrchr(sh->module.data, '.') : NULL;
		if (dot && dot != sh->module.data)
			*dot = '\0';
		if (osfs_buf_error(&sh->module))
			return -ENOMEM;
		sh->caller = caller;
	}
	return 0;
}

/* The level's name and whether a record of it passes the logger (disable, the
 * effective level, the logger's disabled flag and filters), once per level. */
static int share_level(struct shared *sh, int level)
{
	if (sh->levelno_set && sh->level == level)
		return 0;
	osfs_buf_reset(&sh->levelname);
	log_level_name(level, &sh->levelname);
	sh->standard = standard_name(sh->levelname.data ? sh->levelname.data : "");
	sh->key++;
	struct log_logger *l = sh->l;
	sh->pass = !(__atomic_load_n(&disable_level, __ATOMIC_RELAXED) >= level ||
		     level < effective_level(l) || l->disabled ||
		     !filters_pass(l->filters, l->nfilters, sh->logger));
	sh->level = level;
	sh->levelno_set = 1;
	return osfs_buf_error(&sh->levelname);
}

int log_emit(const char *logger, int level, const char *line, long lineno,
	     const struct log_caller *caller, struct log_batch *batch)
{
	int err = 0;
	char *levelname_json = NULL;
	struct log_record r = {.name = logger, .msg = line, .lineno = lineno};
	if (level < 0) { /* the `log` stream: "LEVEL message" */
		char word[64];
		size_t len = strcspn(line, " \t");
		snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), line);
		err = log_level_parse(word, &level);
		r.msg = line + len + strspn(line + len, " \t");
	}
	const char *start = r.msg;
	while (*start == ' ' || *start == '\t')
		start++;
	if (!err && *start == '{') {
		err = log_record_from_json(&r, start, &levelname_json);
		if (err == 1)
			err = 0; /* a line that only starts with '{' is plain text */
		if (!err && levelname_json)
			err = log_level_parse(levelname_json, &level);
	}
	__atomic_add_fetch(&stats.taken, 1, __ATOMIC_RELAXED);
	struct log_batch *own = err || batch ? NULL : log_batch_begin();
	struct log_batch *b = batch ? batch : own;
	if (!err && !b)
		err = -ENOMEM;
	struct shared *sh = b ? &b->shared : NULL;
	if (!err)
		err = share(sh, logger, caller);
	if (!err)
		err = share_level(sh, level);
	if (err) {
	} else if (!sh->pass) {
		__atomic_add_fetch(&stats.dropped, 1, __ATOMIC_RELAXED);
	} else {
		r.levelno = level;
		r.levelname = sh->levelname.data ? sh->levelname.data : "";
		r.pathname = caller->exe;
		r.filename = sh->filename;
		r.module = sh->module.data ? sh->module.data : "";
		r.process = caller->pid;
		r.thread = caller->tid;
		r.process_name = r.thread_name = caller->comm;
		r.osfs_uid = caller->uid;
		r.created_ns = sh->now;
		r.created = sh->created;
		r.msecs = sh->msecs;
		r.relative_created = sh->relative_created;
		b->record++;
		err = call_handlers(sh->l, &r, b, *start == '{' ? 0 : sh->key);
	}
	if (own) {
		int end = log_batch_end(own);
		err = err ? err : end;
	}
	if (__builtin_expect(levelname_json || r.extra || r.json_msg || r.json_message ||
			     r.json_msg_value, 0)) {
		log_record_free_extra(&r);
		free(levelname_json);
	}
	return err;
}

int64_t log_start_ns(void)
{
	return start_ns;
}

int log_handle_record(const char *logger, struct log_record *r, struct log_batch *b)
{
	struct log_logger *l = registry_logger(logger);
	if (!l)
		return -ENOENT;
	__atomic_add_fetch(&stats.taken, 1, __ATOMIC_RELAXED);
	if (l->disabled || !filters_pass(l->filters, l->nfilters, r->name)) {
		__atomic_add_fetch(&stats.dropped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	b->record++;
	return call_handlers(l, r, b, 0);
}

unsigned log_caller_needs(const char *logger)
{
	/* a tail's formatter may show anything of the writer */
	unsigned needs = __atomic_load_n(&log_tail_readers, __ATOMIC_RELAXED) ? LOG_CALLER_ALL : 0;
	pthread_rwlock_rdlock(&log_lock);
	for (struct log_logger *c = registry_logger(logger); c; c = c->propagate ? c->parent : NULL) {
		for (size_t i = 0; i < c->nhandlers; i++) {
			const struct log_handler *h = c->handlers[i]->handler;
			if (h->cls->render || h->cls->keep)
				needs |= LOG_CALLER_ALL;
			else if (h->formatter)
				needs |= log_formatter_caller(h->formatter->formatter);
		}
	}
	pthread_rwlock_unlock(&log_lock);
	return needs;
}

int log_disable_get(void)
{
	return __atomic_load_n(&disable_level, __ATOMIC_RELAXED);
}

int log_disable_set(int level)
{
	__atomic_store_n(&disable_level, level, __ATOMIC_RELAXED);
	changed();
	return 0;
}

int log_raise_get(void)
{
	return __atomic_load_n(&raise_exceptions, __ATOMIC_RELAXED);
}

void log_raise_set(int on)
{
	__atomic_store_n(&raise_exceptions, on, __ATOMIC_RELAXED);
	changed();
}

void log_stats(struct osfs_buf *out)
{
	osfs_buf_printf(out, "records=%lu\nemitted=%lu\ndropped=%lu\nhandler_errors=%lu\n",
			__atomic_load_n(&stats.taken, __ATOMIC_RELAXED),
			__atomic_load_n(&stats.emitted, __ATOMIC_RELAXED),
			__atomic_load_n(&stats.dropped, __ATOMIC_RELAXED),
			__atomic_load_n(&stats.errors, __ATOMIC_RELAXED));
	pthread_rwlock_rdlock(&log_lock);
	for (struct log_obj *s = log_reg.objects->kind[OBJ_HANDLERS].first; s; s = s->next) {
		struct log_handler *h = s->handler;
		osfs_buf_printf(out, "handler.%s.emitted=%lu\nhandler.%s.errors=%lu\n", h->id,
				__atomic_load_n(&h->emitted, __ATOMIC_RELAXED), h->id,
				__atomic_load_n(&h->errors, __ATOMIC_RELAXED));
		spool_stats(h, out);
	}
	pthread_rwlock_unlock(&log_lock);
}

/* Handler.flush: a MemoryHandler's records on to its target, then the class's. */
static int flush_one(struct log_handler *h)
{
	int err = 0;
	if (h->cls->flush) {
		pthread_mutex_lock(&h->lock);
		err = h->cls->flush(h);
		pthread_mutex_unlock(&h->lock);
	}
	return err;
}

int log_handler_flush(const char *id)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_handler *h = objects_handler(log_reg.objects, id);
	struct log_batch *b = h ? batch_new() : NULL;
	int err = !h ? osfs_refuse(ENOENT, "no handler named '%s'", id) : b ? 0 : -ENOMEM;
	if (b) {
		handler_ref(h);
		if (h->cls->drain) /* MemoryHandler.flush: on to the target */
			err = h->cls->drain(h, b, 0);
	}
	pthread_rwlock_unlock(&log_lock);
	if (b) {
		int end = batch_emit(b);
		int flushed = flush_one(h);
		err = err ? err : end ? end : flushed;
		handler_unref(h);
	}
	return err;
}

/* The class's operation named what ("rollover", "reopen"), or NULL. */
static int (*control_of(const struct log_handler *h, const char *what))(struct log_handler *)
{
	return strcmp(what, "rollover") == 0 ? h->cls->rollover
	       : strcmp(what, "reopen") == 0 ? h->cls->reopen : NULL;
}

int log_handler_has(const char *id, const char *what)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_handler *h = objects_handler(log_reg.objects, id);
	int has = h && control_of(h, what);
	pthread_rwlock_unlock(&log_lock);
	return has;
}

int log_handler_control(const char *id, const char *what)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_handler *h = objects_handler(log_reg.objects, id);
	int (*op)(struct log_handler *) = h ? control_of(h, what) : NULL;
	if (op)
		handler_ref(h);
	pthread_rwlock_unlock(&log_lock);
	if (!h)
		return osfs_refuse(ENOENT, "no handler named '%s'", id);
	if (!op)
		return osfs_refuse(EOPNOTSUPP, "a %s has no %s", h->cls->name, what);
	pthread_mutex_lock(&h->lock);
	int err = op(h);
	pthread_mutex_unlock(&h->lock);
	handler_unref(h);
	return err;
}

/* At shutdown: what handlers hold goes on (flushOnClose, queues), then every
 * handler is flushed. */
void log_flush_all(void)
{
	pthread_mutex_lock(&log_config_lock);
	objects_drain(log_reg.objects);
	for (struct log_obj *s = log_reg.objects->kind[OBJ_HANDLERS].first; s; s = s->next)
		flush_one(s->handler);
	pthread_mutex_unlock(&log_config_lock);
}
