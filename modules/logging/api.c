/* logging's module-level API beyond configuration, as Python's logging package
 * has it: Logger.isEnabledFor, hasHandlers and getChildren; getHandlerNames;
 * getLevelNamesMapping and getLevelName; lastResort; shutdown. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "osfs/errno.h"
#include "osfs/kv.h"
#include "osfs/refuse.h"

/* ---- loggers ---- */

static struct log_logger *logger_of(const char *name)
{
	struct log_logger *l = *name ? registry_logger(name) : NULL;
	if (!l)
		osfs_refuse(ENOENT, "no logger named '%s'", name);
	return l;
}

/* Logger.isEnabledFor(level): disabled, logging.disable, the effective level. */
int log_logger_enabled(const char *name, int level, int *enabled)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = logger_of(name);
	if (l)
		*enabled = !l->disabled && !(log_disable_get() >= level) && level >= effective_level(l);
	pthread_rwlock_unlock(&log_lock);
	return l ? 0 : -ENOENT;
}

/* Logger.hasHandlers(): up the tree until a logger that does not propagate. */
int log_logger_has_handlers(const char *name, int *has)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = logger_of(name);
	*has = 0;
	for (struct log_logger *c = l; c && !*has; c = c->propagate ? c->parent : NULL)
		*has = c->nhandlers > 0;
	pthread_rwlock_unlock(&log_lock);
	return l ? 0 : -ENOENT;
}

/* _hierlevel: 0 for the root, else one more than the dots in the name. */
static size_t hier_level(const struct log_logger *l)
{
	if (l == log_reg.root)
		return 0;
	size_t n = 1;
	for (const char *p = l->name; *p; p++)
		n += *p == '.';
	return n;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Logger.getChildren() (3.12): the loggers whose parent it is, one level below
 * it (a placeholder between them makes a grandchild's parent this one too: not
 * a child).  A set in Python; sorted here, one name a line. */
int log_logger_children(const char *name, struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = logger_of(name);
	size_t n = 0, below = l ? hier_level(l) + 1 : 0;
	const char **names = l ? malloc((log_reg.nloggers + 1) * sizeof *names) : NULL;
	int err = !l ? -ENOENT : names ? 0 : -ENOMEM;
	if (names) {
		FOR_EACH_LOGGER(c)
			if (c->parent == l && hier_level(c) == below)
				names[n++] = c->name;
		qsort(names, n, sizeof *names, by_name);
		for (size_t i = 0; i < n; i++)
			osfs_buf_printf(out, "%s\n", names[i]);
	}
	pthread_rwlock_unlock(&log_lock);
	free(names);
	return err;
}

/* ---- handlers ---- */

/* getHandlerNames(): a frozenset in Python; sorted here, one a line. */
void log_handler_names(struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	const struct log_kind *k = &log_reg.objects->kind[OBJ_HANDLERS];
	const char **names = malloc((k->n + 1) * sizeof *names);
	size_t n = 0;
	for (struct log_obj *s = k->first; names && s; s = s->next)
		names[n++] = s->id;
	if (names) {
		qsort(names, n, sizeof *names, by_name);
		for (size_t i = 0; i < n; i++)
			osfs_buf_printf(out, "%s\n", names[i]);
	} else {
		out->failed = 1;
	}
	pthread_rwlock_unlock(&log_lock);
	free(names);
}

/* ---- level names ---- */

struct mapping {
	struct osfs_kv *kv;
};

static void add_mapping(void *ctx, const char *name)
{
	int level;
	if (log_level_of(name, &level) == 0)
		osfs_kv_int(ctx, name, level);
}

/* getLevelNamesMapping(): _nameToLevel, in its order (the standard names, then
 * those addLevelName added). */
void log_level_mapping(struct osfs_kv *kv)
{
	log_level_names(add_mapping, kv);
}

/* getLevelName(x): a number's name ("Level N" if none); a name's number ("Level
 * NAME" if none), as Python answers each.  A text of digits is a number. */
void log_level_name_of(const char *text, struct osfs_buf *out)
{
	int n, level;
	char canon[16];
	/* a number as str(int) writes one: "+10", "010" and "-0" are texts */
	if (osfs_parse_int(text, &n) == 0 && snprintf(canon, sizeof canon, "%d", n) > 0 &&
	    strcmp(canon, text) == 0)
		log_level_name(n, out);
	else if (log_level_of(text, &level) == 0)
		osfs_buf_printf(out, "%d", level);
	else
		osfs_buf_printf(out, "Level %s", text);
}

/* ---- lastResort ---- */

/* logging.lastResort: a _StderrHandler at WARNING, the default formatter, the
 * daemon's stderr.  LAST_RESORT_NONE: lastResort = None, when Python says once
 * that no handlers could be found. */
#define LAST_RESORT_NONE (-1)
static int last_resort_level = LOG_WARNING;
static int said_no_handlers;
static struct log_formatter *plain; /* the default Formatter: %(message)s */
static pthread_once_t plain_once = PTHREAD_ONCE_INIT;

static void make_plain(void)
{
	plain = log_formatter_new(NULL, NULL, '%', NULL, 1);
}

int log_last_resort_get(void)
{
	return __atomic_load_n(&last_resort_level, __ATOMIC_RELAXED);
}

void log_last_resort_set(int level)
{
	__atomic_store_n(&last_resort_level, level < 0 ? LAST_RESORT_NONE : level, __ATOMIC_RELAXED);
	changed();
}

/* Called for a record no handler took (Logger.callHandlers found none). */
void log_last_resort(struct log_record *r)
{
	int level = log_last_resort_get();
	if (level == LAST_RESORT_NONE) {
		if (!__atomic_exchange_n(&said_no_handlers, 1, __ATOMIC_RELAXED)) {
			struct osfs_buf b = {0};
			osfs_buf_printf(&b, "No handlers could be found for logger \"%s\"\n", r->name);
			if (!osfs_buf_error(&b) && write(STDERR_FILENO, b.data, b.len) < 0)
				b.failed = 1;
			osfs_buf_free(&b);
		}
		return;
	}
	if (r->levelno < level)
		return;
	pthread_once(&plain_once, make_plain);
	struct osfs_buf b = {0};
	struct log_record copy = *r;
	if (plain && log_format(plain, &copy, &b) == 0) {
		osfs_buf_putc(&b, '\n');
		if (!osfs_buf_error(&b) && write(STDERR_FILENO, b.data, b.len) < 0)
			b.failed = 1; /* as handleError with nowhere to report */
	}
	osfs_refusal_clear();
	osfs_buf_free(&b);
}

void log_api_fini(void)
{
	log_formatter_free(plain);
	plain = NULL;
}

/* ---- shutdown ---- */

/* logging.shutdown(): every handler, the most recent first, flushed (what a
 * MemoryHandler holds goes to its target unless flushOnClose is false, what a
 * queue holds is handed on) and closed: its file or connection is given back,
 * and taken again by its next record, as Python's FileHandler reopens after
 * close.  The handlers stay configured: the daemon goes on serving. */
int log_shutdown(void)
{
	pthread_mutex_lock(&log_config_lock); /* no configuration changes meanwhile */
	pthread_rwlock_rdlock(&log_lock);
	const struct log_kind *k = &log_reg.objects->kind[OBJ_HANDLERS];
	struct log_handler **hs = malloc((k->n + 1) * sizeof *hs);
	size_t n = 0;
	for (struct log_obj *s = k->last; hs && s; s = s->prev) {
		handler_ref(s->handler);
		hs[n++] = s->handler;
	}
	pthread_rwlock_unlock(&log_lock);
	int err = hs ? 0 : -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct log_handler *h = hs[i];
		const cJSON *foc = cJSON_GetObjectItemCaseSensitive(h->kwargs, "flushOnClose");
		if (h->cls->drain && !cJSON_IsFalse(foc)) {
			struct log_batch *b = batch_new();
			if (b) {
				pthread_rwlock_rdlock(&log_lock);
				h->cls->drain(h, b, 0);
				pthread_rwlock_unlock(&log_lock);
				batch_emit(b);
			}
		}
		pthread_mutex_lock(&h->lock);
		int e = h->cls->flush ? h->cls->flush(h) : 0;
		if (h->cls->release)
			h->cls->release(h);
		pthread_mutex_unlock(&h->lock);
		if (e) {
			char why[OSFS_REFUSAL_MAX];
			snprintf(why, sizeof why, "%s", osfs_refusal());
			handler_failed(h, 0, 0, e, why);
		}
		handler_unref(h);
	}
	pthread_mutex_unlock(&log_config_lock);
	free(hs);
	return err;
}
