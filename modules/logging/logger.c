/* The logger tree and record dispatch, with Python's semantics: effective level
 * by inheritance, logging.disable, logger and handler levels and filters, and
 * propagation to the parent's handlers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

struct log_state log_state;
pthread_rwlock_t log_lock = PTHREAD_RWLOCK_INITIALIZER;

static int disable_level;      /* logging.disable() */
static int raise_exceptions;   /* fail the write with EIO when a handler fails */
static int64_t start_ns;       /* logging's _startTime: the mount */
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

char *log_absolute(const char *filename)
{
	if (filename[0] == '/')
		return strdup(filename);
	char *path;
	size_t n = strlen(base_dir);
	return asprintf(&path, "%s%s%s", base_dir, n && base_dir[n - 1] == '/' ? "" : "/", filename) < 0
		       ? NULL
		       : path;
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
	log_state = (struct log_state){0};
	log_state.loggers = calloc(1, sizeof *log_state.loggers);
	if (!default_formatter || !log_state.loggers)
		return -ENOMEM;
	log_state.loggers[0] = (struct log_logger){.name = strdup("root"), .level = LOG_WARNING,
						   .propagate = 1};
	log_state.nloggers = 1;
	return log_state.loggers[0].name ? 0 : -ENOMEM;
}

void log_fini(void)
{
	pthread_rwlock_wrlock(&log_lock);
	state_drain(&log_state);
	state_free(&log_state);
	log_formatter_free(default_formatter);
	default_formatter = NULL;
	pthread_rwlock_unlock(&log_lock);
	log_levels_fini();
}

int strlist_set(char ***list, size_t *n, const char *text)
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
	strlist_free(list, n);
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

struct log_handler *state_handler(struct log_state *s, const char *id)
{
	for (size_t i = 0; i < s->nhandlers; i++)
		if (strcmp(s->handlers[i]->id, id) == 0)
			return s->handlers[i];
	return NULL;
}

struct log_fmt *state_formatter(struct log_state *s, const char *id)
{
	for (size_t i = 0; i < s->nformatters; i++)
		if (strcmp(s->formatters[i].id, id) == 0)
			return &s->formatters[i];
	return NULL;
}

struct log_filter *state_filter(struct log_state *s, const char *id)
{
	for (size_t i = 0; i < s->nfilters; i++)
		if (strcmp(s->filters[i].id, id) == 0)
			return &s->filters[i];
	return NULL;
}

struct log_logger *state_logger(struct log_state *s, const char *name)
{
	for (size_t i = 0; i < s->nloggers; i++)
		if (strcmp(s->loggers[i].name, name) == 0)
			return &s->loggers[i];
	return NULL;
}

void logger_free(struct log_logger *l)
{
	free(l->name);
	strlist_free(&l->handlers, &l->nhandlers);
	strlist_free(&l->filters, &l->nfilters);
}

void state_free(struct log_state *s)
{
	for (size_t i = 0; i < s->nformatters; i++) {
		free(s->formatters[i].id);
		log_formatter_free(s->formatters[i].f);
	}
	for (size_t i = 0; i < s->nfilters; i++) {
		free(s->filters[i].id);
		free(s->filters[i].name);
	}
	for (size_t i = 0; i < s->nhandlers; i++)
		handler_close(s->handlers[i]);
	for (size_t i = 0; i < s->nloggers; i++)
		logger_free(&s->loggers[i]);
	free(s->formatters);
	free(s->filters);
	free(s->handlers);
	free(s->loggers);
	*s = (struct log_state){0};
}

/* The nearest existing ancestor by dotted name; root for the rest. */
struct log_logger *parent_of(struct log_state *s, const struct log_logger *l)
{
	if (l == &s->loggers[0])
		return NULL;
	char name[512];
	snprintf(name, sizeof name, "%s", l->name);
	for (char *dot = strrchr(name, '.'); dot; dot = strrchr(name, '.')) {
		*dot = '\0';
		struct log_logger *p = state_logger(s, name);
		if (p)
			return p;
	}
	return &s->loggers[0];
}

int effective_level(struct log_state *s, const struct log_logger *l)
{
	for (; l; l = parent_of(s, l))
		if (l->level != LOG_NOTSET)
			return l->level;
	return LOG_NOTSET;
}

/* logging.Filter.filter: the record's logger is the filter's name or below it. */
static int filter_passes(const struct log_filter *f, const char *name)
{
	size_t n = strlen(f->name);
	if (n == 0 || strcmp(f->name, name) == 0)
		return 1;
	return strncmp(f->name, name, n) == 0 && name[n] == '.';
}

static int filters_pass(struct log_state *s, char **ids, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		struct log_filter *f = state_filter(s, ids[i]);
		if (f && !filter_passes(f, name))
			return 0;
	}
	return 1;
}

struct log_batch {
	struct batch_out {
		struct log_handler *h;
		struct osfs_buf text;
		struct log_out *rec; /* where each record ends in text, and its level */
		unsigned long records;
		pid_t pid;
	} *out;
	size_t n;
};

struct log_batch *batch_new(void)
{
	return calloc(1, sizeof(struct log_batch));
}

struct log_batch *log_batch_begin(void)
{
	struct log_batch *b = batch_new();
	if (b)
		pthread_rwlock_rdlock(&log_lock);
	return b;
}

static void handler_failed(struct log_handler *h, unsigned long records, pid_t pid, int err,
			   const char *why)
{
	__atomic_add_fetch(&h->errors, records, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats.errors, records, __ATOMIC_RELAXED);
	char node[320];
	snprintf(node, sizeof node, "logging/handlers/%s", h->id);
	osfs_errlog_add(pid, node, -err, why);
	osfs_refusal_clear();
}

int log_batch_end(struct log_batch *b)
{
	int result = batch_emit(b);
	pthread_rwlock_unlock(&log_lock);
	return result;
}

int batch_emit(struct log_batch *b)
{
	int result = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_out *o = &b->out[i];
		struct log_handler *h = o->h;
		int err = osfs_buf_error(&o->text);
		if (!err && o->text.len) {
			pthread_mutex_lock(&h->lock);
			err = h->cls->emit ? h->cls->emit(h, o->text.data, o->rec, o->records) : 0;
			pthread_mutex_unlock(&h->lock);
		}
		if (err) {
			char why[OSFS_REFUSAL_MAX];
			snprintf(why, sizeof why, "%s", osfs_refusal());
			handler_failed(h, o->records, o->pid, err, why);
			if (raise_exceptions && !result)
				result = osfs_refuse(EIO, "handler '%s' failed: %s", h->id, why);
		} else {
			__atomic_add_fetch(&h->emitted, o->records, __ATOMIC_RELAXED);
			__atomic_add_fetch(&stats.emitted, o->records, __ATOMIC_RELAXED);
		}
		osfs_buf_free(&o->text);
		free(o->rec);
	}
	free(b->out);
	free(b);
	return result;
}

static struct batch_out *batch_slot(struct log_batch *b, struct log_handler *h)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->out[i].h == h)
			return &b->out[i];
	struct batch_out *p = realloc(b->out, (b->n + 1) * sizeof *p);
	if (!p)
		return NULL;
	b->out = p;
	p[b->n] = (struct batch_out){.h = h};
	return &p[b->n++];
}

/* Handler.handle: filters, then the formatted record joins the batch. */
static int handle(struct log_state *s, struct log_handler *h, struct log_record *r,
		  struct log_batch *b)
{
	if (!filters_pass(s, h->filters, h->nfilters, r->name))
		return 0;
	if (h->cls->keep) {
		int err = h->cls->keep(h, s, r, b);
		if (err) {
			char why[OSFS_REFUSAL_MAX];
			snprintf(why, sizeof why, "%s", osfs_refusal());
			handler_failed(h, 1, r->process, err, why);
			return raise_exceptions ? osfs_refuse(EIO, "handler '%s' failed: %s", h->id, why) : 0;
		}
		__atomic_add_fetch(&h->emitted, 1, __ATOMIC_RELAXED);
		return 0;
	}
	struct log_fmt *fmt = h->formatter ? state_formatter(s, h->formatter) : NULL;
	struct batch_out *o = batch_slot(b, h);
	if (!o)
		return -ENOMEM;
	size_t mark = o->text.len;
	if (h->cls->render) {
		h->cls->render(h, r, &o->text);
		goto taken;
	}
	int err = log_format(fmt ? fmt->f : default_formatter, r, &o->text);
	if (err) { /* Python's handleError: this record is not emitted, the rest go on */
		o->text.len = mark;
		if (o->text.data)
			o->text.data[mark] = '\0';
		char why[OSFS_REFUSAL_MAX];
		snprintf(why, sizeof why, "%s", osfs_refusal());
		handler_failed(h, 1, r->process, err, why);
		return raise_exceptions ? osfs_refuse(EIO, "handler '%s' failed: %s", h->id, why) : 0;
	}
	osfs_buf_putc(&o->text, '\n');
taken:
	if ((o->records & (o->records + 1)) == 0 || !o->rec) { /* grow at powers of two */
		struct log_out *e = realloc(o->rec, 2 * (o->records + 1) * sizeof *e);
		if (!e)
			return -ENOMEM;
		o->rec = e;
	}
	static const char *const standard[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
	const char *std = NULL;
	for (size_t i = 0; i < sizeof standard / sizeof standard[0] && !std; i++)
		if (strcmp(standard[i], r->levelname) == 0)
			std = standard[i];
	o->rec[o->records++] = (struct log_out){o->text.len, r->levelno, std};
	o->pid = r->process;
	return 0;
}

int handler_handle(struct log_state *s, struct log_handler *h, const struct log_record *r,
		   struct log_batch *b)
{
	struct log_record copy = *r; /* formatting sets asctime on it for a moment */
	return handle(s, h, &copy, b);
}

void state_drain(struct log_state *s)
{
	struct log_batch *b = batch_new();
	for (size_t i = 0; b && i < s->nhandlers; i++)
		if (s->handlers[i]->cls->drain)
			s->handlers[i]->cls->drain(s->handlers[i], s, b, 1);
	if (b)
		batch_emit(b);
}

/* Logger.callHandlers: up the tree while propagate holds; lastResort if none. */
static int call_handlers(struct log_state *s, struct log_logger *l, struct log_record *r,
			 struct log_batch *b)
{
	int found = 0, err = 0;
	for (struct log_logger *c = l; c; c = c->propagate ? parent_of(s, c) : NULL) {
		for (size_t i = 0; i < c->nhandlers; i++) {
			struct log_handler *h = state_handler(s, c->handlers[i]);
			if (!h)
				continue;
			found++;
			if (r->levelno >= h->level) {
				int e = handle(s, h, r, b);
				err = err ? err : e;
			}
		}
	}
	if (!found && r->levelno >= LOG_WARNING) { /* logging.lastResort: stderr */
		fprintf(stderr, "%s\n", r->msg);
		fflush(stderr);
	}
	return err;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
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
	const char *start = r.msg + strspn(r.msg, " \t");
	if (!err && *start == '{') {
		err = log_record_from_json(&r, start, &levelname_json);
		if (err == 1)
			err = 0; /* a line that only starts with '{' is plain text */
		if (!err && levelname_json)
			err = log_level_parse(levelname_json, &level);
	}
	__atomic_add_fetch(&stats.taken, 1, __ATOMIC_RELAXED);
	if (err) {
		log_record_free_extra(&r);
		free(levelname_json);
		return err;
	}
	struct osfs_buf levelname = {0};
	log_level_name(level, &levelname);
	struct log_batch *own = batch ? NULL : log_batch_begin();
	struct log_batch *b = batch ? batch : own;
	if (!b) {
		osfs_buf_free(&levelname);
		log_record_free_extra(&r);
		free(levelname_json);
		return -ENOMEM;
	}
	struct log_logger *l = state_logger(&log_state, logger);
	if (!l) {
		err = osfs_refuse(ENOENT, "no logger named '%s'", logger);
	} else if (disable_level >= level || level < effective_level(&log_state, l) || l->disabled ||
		   !filters_pass(&log_state, l->filters, l->nfilters, logger)) {
		__atomic_add_fetch(&stats.dropped, 1, __ATOMIC_RELAXED);
	} else {
		r.levelno = level;
		r.levelname = levelname.data ? levelname.data : "";
		r.pathname = caller->exe;
		r.filename = base_name(caller->exe);
		char module[4096];
		snprintf(module, sizeof module, "%.4000s", r.filename);
		char *dot = strrchr(module, '.');
		if (dot && dot != module)
			*dot = '\0';
		r.module = module;
		r.process = caller->pid;
		r.thread = caller->tid;
		r.process_name = r.thread_name = caller->comm;
		r.osfs_uid = caller->uid;
		log_record_set_time(&r, now_ns(), start_ns);
		err = call_handlers(&log_state, l, &r, b);
	}
	if (own) {
		int end = log_batch_end(own);
		err = err ? err : end;
	}
	osfs_buf_free(&levelname);
	log_record_free_extra(&r);
	free(levelname_json);
	return err;
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
	for (size_t i = 0; i < log_state.nhandlers; i++) {
		struct log_handler *h = log_state.handlers[i];
		osfs_buf_printf(out, "handler.%s.emitted=%lu\nhandler.%s.errors=%lu\n", h->id,
				__atomic_load_n(&h->emitted, __ATOMIC_RELAXED), h->id,
				__atomic_load_n(&h->errors, __ATOMIC_RELAXED));
	}
	pthread_rwlock_unlock(&log_lock);
}

void log_flush_all(void)
{
	pthread_rwlock_rdlock(&log_lock);
	state_drain(&log_state);
	for (size_t i = 0; i < log_state.nhandlers; i++) {
		struct log_handler *h = log_state.handlers[i];
		pthread_mutex_lock(&h->lock);
		if (h->cls->flush)
			h->cls->flush(h);
		pthread_mutex_unlock(&h->lock);
	}
	pthread_rwlock_unlock(&log_lock);
}
