/* The logger tree as files: loggers made and removed by name, and each logger's
 * attributes read and set as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

/* Loggers as files. */
int log_logger_exists(const char *name)
{
	pthread_rwlock_rdlock(&log_lock);
	int yes = state_logger(&log_state, name) != NULL;
	pthread_rwlock_unlock(&log_lock);
	return yes;
}

int log_logger_create(const char *name)
{
	if (!valid_id(name) || name[0] == '.' || name[strlen(name) - 1] == '.' || strstr(name, ".."))
		return osfs_refuse(EINVAL, "'%s' cannot be a logger name", name);
	pthread_rwlock_wrlock(&log_lock);
	int err = 0;
	if (state_logger(&log_state, name)) {
		err = osfs_refuse(EEXIST, "logger '%s' exists", name);
	} else {
		struct log_logger *p = realloc(log_state.loggers, (log_state.nloggers + 1) * sizeof *p);
		char *copy = strdup(name);
		if (p)
			log_state.loggers = p;
		if (!p || !copy) {
			free(copy);
			err = -ENOMEM;
		} else {
			p[log_state.nloggers++] = (struct log_logger){.name = copy, .propagate = 1};
		}
	}
	pthread_rwlock_unlock(&log_lock);
	if (!err)
		changed();
	return err;
}

int log_logger_remove(const char *name)
{
	if (strcmp(name, "root") == 0)
		return osfs_refuse(EPERM, "the root logger cannot be removed");
	pthread_rwlock_wrlock(&log_lock);
	struct log_logger *l = state_logger(&log_state, name);
	int err = l ? 0 : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (l) {
		logger_free(l);
		size_t i = (size_t)(l - log_state.loggers);
		memmove(l, l + 1, (log_state.nloggers - i - 1) * sizeof *l);
		log_state.nloggers--;
	}
	pthread_rwlock_unlock(&log_lock);
	if (!err)
		changed();
	return err;
}

void log_logger_names(void (*emit)(void *ctx, const char *name), void *ctx)
{
	pthread_rwlock_rdlock(&log_lock);
	for (size_t i = 0; i < log_state.nloggers; i++)
		emit(ctx, log_state.loggers[i].name);
	pthread_rwlock_unlock(&log_lock);
}

static void put_list(char **items, size_t n, struct osfs_buf *out)
{
	for (size_t i = 0; i < n; i++)
		osfs_buf_printf(out, "%s\n", items[i]);
}

int log_logger_get(const char *name, const char *attr, struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = state_logger(&log_state, name);
	int err = 0;
	if (!l) {
		err = osfs_refuse(ENOENT, "no logger named '%s'", name);
	} else if (strcmp(attr, "level") == 0) {
		log_level_name(l->level, out);
		osfs_buf_putc(out, '\n');
	} else if (strcmp(attr, "effective_level") == 0) {
		log_level_name(effective_level(&log_state, l), out);
		osfs_buf_putc(out, '\n');
	} else if (strcmp(attr, "propagate") == 0) {
		osfs_buf_printf(out, "%d\n", l->propagate);
	} else if (strcmp(attr, "disabled") == 0) {
		osfs_buf_printf(out, "%d\n", l->disabled);
	} else if (strcmp(attr, "handlers") == 0) {
		put_list(l->handlers, l->nhandlers, out);
	} else if (strcmp(attr, "filters") == 0) {
		put_list(l->filters, l->nfilters, out);
	} else if (strcmp(attr, "parent") == 0) {
		struct log_logger *p = parent_of(&log_state, l);
		if (p)
			osfs_buf_puts(out, p->name);
		else
			err = osfs_refuse(ENOENT, "the root logger has no parent");
	} else {
		err = osfs_refuse(ENOENT, "loggers have no attribute '%s'", attr);
	}
	pthread_rwlock_unlock(&log_lock);
	return err;
}

/* Every id of a list must name an object of that kind. */
static int check_ids(struct log_state *s, const char *kind, char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ok = kind[0] == 'h' ? state_handler(s, ids[i]) != NULL : state_filter(s, ids[i]) != NULL;
		if (!ok)
			return osfs_refuse(ENOENT, "no %s named '%s'", kind, ids[i]);
	}
	return 0;
}

static int set_list(struct log_state *s, const char *kind, char ***list, size_t *n, const char *value)
{
	char **ids = NULL;
	size_t count = 0;
	int err = strlist_set(&ids, &count, value);
	if (!err)
		err = check_ids(s, kind, ids, count);
	if (!err) {
		strlist_free(list, n);
		*list = ids;
		*n = count;
	} else {
		strlist_free(&ids, &count);
	}
	return err;
}

int log_logger_set(const char *name, const char *attr, const char *value)
{
	pthread_rwlock_wrlock(&log_lock);
	struct log_logger *l = state_logger(&log_state, name);
	int err = 0, v;
	if (!l)
		err = osfs_refuse(ENOENT, "no logger named '%s'", name);
	else if (strcmp(attr, "level") == 0) {
		if (!(err = log_level_parse(value, &v)))
			l->level = v;
	} else if (strcmp(attr, "propagate") == 0 || strcmp(attr, "disabled") == 0) {
		if (osfs_parse_bool(value, &v) < 0)
			err = osfs_refuse(EINVAL, "'%s' is not a boolean: 1 0 y n yes no true false on off",
					  value);
		else if (attr[0] == 'p')
			l->propagate = v;
		else
			l->disabled = v;
	} else if (strcmp(attr, "handlers") == 0) {
		err = set_list(&log_state, "handler", &l->handlers, &l->nhandlers, value);
	} else if (strcmp(attr, "filters") == 0) {
		err = set_list(&log_state, "filter", &l->filters, &l->nfilters, value);
	} else {
		err = osfs_refuse(EACCES, "'%s' cannot be set", attr);
	}
	pthread_rwlock_unlock(&log_lock);
	if (!err)
		changed();
	return err;
}

