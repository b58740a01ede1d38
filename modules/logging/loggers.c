/* The logger tree as files: loggers made and removed by name (mkdir, rmdir), and
 * each logger's attributes read and set as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

int log_logger_exists(const char *name)
{
	pthread_rwlock_rdlock(&log_lock);
	int yes = *name && registry_logger(name) != NULL;
	pthread_rwlock_unlock(&log_lock);
	return yes;
}

int log_logger_create(const char *name)
{
	if (!valid_id(name) || name[0] == '.' || name[strlen(name) - 1] == '.' || strstr(name, ".."))
		return osfs_refuse(EINVAL, "'%s' cannot be a logger name", name);
	struct log_names want = {0};
	pthread_mutex_lock(&log_config_lock);
	int err = registry_logger(name) ? osfs_refuse(EEXIST, "logger '%s' exists", name)
					: names_want(&want, name);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		if (!(err = names_reserve(&want))) {
			names_attach(&want, name);
			registry_changed();
		}
		pthread_rwlock_unlock(&log_lock);
	}
	pthread_mutex_unlock(&log_config_lock);
	names_free(&want);
	if (!err)
		changed();
	return err;
}

int log_logger_remove(const char *name)
{
	if (strcmp(name, "root") == 0)
		return osfs_refuse(EPERM, "the root logger cannot be removed");
	pthread_mutex_lock(&log_config_lock);
	struct log_logger *l = *name ? registry_logger(name) : NULL;
	int err = l ? 0 : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (l) {
		pthread_rwlock_wrlock(&log_lock);
		registry_remove(l);
		pthread_rwlock_unlock(&log_lock);
	}
	pthread_mutex_unlock(&log_config_lock);
	if (!err)
		changed();
	return err;
}

void log_logger_names(void (*emit)(void *ctx, const char *name), void *ctx)
{
	pthread_rwlock_rdlock(&log_lock);
	FOR_EACH_LOGGER(l)
		emit(ctx, l->name);
	pthread_rwlock_unlock(&log_lock);
}

static void put_list(struct log_obj *const *slots, size_t n, struct osfs_buf *out)
{
	for (size_t i = 0; i < n; i++)
		osfs_buf_printf(out, "%s\n", slots[i]->id);
}

int log_logger_get(const char *name, const char *attr, struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = *name ? registry_logger(name) : NULL;
	int err = 0;
	if (!l) {
		err = osfs_refuse(ENOENT, "no logger named '%s'", name);
	} else if (strcmp(attr, "level") == 0) {
		log_level_name(l->level, out);
		osfs_buf_putc(out, '\n');
	} else if (strcmp(attr, "effective_level") == 0) {
		log_level_name(effective_level(l), out);
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
		if (l->parent)
			osfs_buf_puts(out, l->parent->name);
		else
			err = osfs_refuse(ENOENT, "the root logger has no parent");
	} else {
		err = osfs_refuse(ENOENT, "loggers have no attribute '%s'", attr);
	}
	pthread_rwlock_unlock(&log_lock);
	return err;
}

/* Names written to a list file, as slots of the current objects. */
static int slots_of(int kind, const char *value, struct log_obj ***slots, size_t *n)
{
	char **ids = NULL;
	size_t count = 0;
	int err = strlist_split(value, &ids, &count);
	*slots = count ? calloc(count, sizeof **slots) : NULL;
	if (!err && count && !*slots)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < count; i++)
		if (!((*slots)[i] = objects_get(log_reg.objects, kind, ids[i])))
			err = osfs_refuse(ENOENT, "no %s named '%s'",
					  kind == OBJ_HANDLERS ? "handler" : "filter", ids[i]);
	*n = err ? 0 : count;
	strlist_free(&ids, &count);
	if (err) {
		free(*slots);
		*slots = NULL;
	}
	return err;
}

int log_logger_set(const char *name, const char *attr, const char *value)
{
	struct log_obj **slots = NULL;
	size_t n = 0;
	int v = 0, err = 0;
	int which = strcmp(attr, "level") == 0       ? 'l'
		    : strcmp(attr, "propagate") == 0 ? 'p'
		    : strcmp(attr, "disabled") == 0  ? 'd'
		    : strcmp(attr, "handlers") == 0  ? 'h'
		    : strcmp(attr, "filters") == 0   ? 'f'
						     : 0;
	if (which == 'l')
		err = log_level_parse(value, &v);
	else if ((which == 'p' || which == 'd') && osfs_parse_bool(value, &v) < 0)
		err = osfs_refuse(EINVAL, "'%s' is not a boolean: 1 0 y n yes no true false on off", value);
	else if (!which)
		err = osfs_refuse(EACCES, "'%s' cannot be set", attr);
	if (err)
		return err;
	pthread_mutex_lock(&log_config_lock);
	struct log_logger *l = *name ? registry_logger(name) : NULL;
	if (!l)
		err = osfs_refuse(ENOENT, "no logger named '%s'", name);
	else if (which == 'h' || which == 'f')
		err = slots_of(which == 'h' ? OBJ_HANDLERS : OBJ_FILTERS, value, &slots, &n);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		if (which == 'l')
			l->level = v;
		else if (which == 'p')
			l->propagate = v;
		else if (which == 'd')
			l->disabled = v;
		else {
			struct log_obj ***list = which == 'h' ? &l->handlers : &l->filters;
			size_t *count = which == 'h' ? &l->nhandlers : &l->nfilters;
			free(*list);
			*list = slots;
			*count = n;
			slots = NULL;
		}
		registry_changed();
		pthread_rwlock_unlock(&log_lock);
	}
	pthread_mutex_unlock(&log_config_lock);
	free(slots);
	if (!err)
		changed();
	return err;
}
