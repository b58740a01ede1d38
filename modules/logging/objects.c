/* Handlers, formatters and filters as objects: made by mkdir, read and changed
 * through their files, removed by rmdir unless something still uses them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

const struct handler_class *handler_class_find(const char *name)
{
	/* fileConfig names classes in logging's namespace: "FileHandler" too. */
	for (size_t i = 0; handler_classes[i]; i++) {
		const char *full = handler_classes[i]->name, *dot = strrchr(full, '.');
		if (strcmp(full, name) == 0 || strcmp(dot + 1, name) == 0 ||
		    (strncmp(full, "logging.handlers.", 17) == 0 && strncmp(name, "handlers.", 9) == 0 &&
		     strcmp(full + 17, name + 9) == 0))
			return handler_classes[i];
	}
	return NULL;
}

int handler_open(struct log_handler *h, const char *cls, const cJSON *kwargs)
{
	h->cls = handler_class_find(cls);
	if (!h->cls)
		return osfs_refuse(EINVAL, "unknown handler class '%s'", cls);
	const cJSON *c;
	cJSON_ArrayForEach(c, kwargs) {
		int known = 0;
		for (size_t i = 0; h->cls->params && h->cls->params[i] && !known; i++)
			known = strcmp(h->cls->params[i], c->string) == 0;
		if (!known)
			return osfs_refuse(EINVAL, "%s() got an unexpected keyword argument '%s'",
					   h->cls->name, c->string);
	}
	h->kwargs = cJSON_Duplicate(kwargs, 1);
	if (!h->kwargs)
		return -ENOMEM;
	/* A relative filename is kept as the path it means (for the state file too). */
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(h->kwargs, "filename");
	if (cJSON_IsString(name) && name->valuestring[0] != '/') {
		char *full = log_absolute(name->valuestring);
		if (!full)
			return -ENOMEM;
		cJSON_ReplaceItemInObjectCaseSensitive(h->kwargs, "filename", cJSON_CreateString(full));
		free(full);
	}
	return h->cls->open ? h->cls->open(h, kwargs) : 0;
}

void handler_close(struct log_handler *h)
{
	if (!h)
		return;
	if (h->cls && h->cls->close)
		h->cls->close(h);
	free(h->id);
	free(h->formatter);
	strlist_free(&h->filters, &h->nfilters);
	cJSON_Delete(h->kwargs);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static int kind_of(const char *kind)
{
	static const char *const kinds[] = {"handlers", "formatters", "filters"};
	for (int i = 0; i < 3; i++)
		if (strcmp(kinds[i], kind) == 0)
			return i;
	return -1;
}

int log_object_exists(const char *kind, const char *id)
{
	pthread_rwlock_rdlock(&log_lock);
	int k = kind_of(kind), yes = k == 0   ? state_handler(&log_state, id) != NULL
				     : k == 1 ? state_formatter(&log_state, id) != NULL
					      : state_filter(&log_state, id) != NULL;
	pthread_rwlock_unlock(&log_lock);
	return yes;
}

void log_object_names(const char *kind, void (*emit)(void *ctx, const char *name), void *ctx)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_state *s = &log_state;
	int k = kind_of(kind);
	size_t n = k == 0 ? s->nhandlers : k == 1 ? s->nformatters : s->nfilters;
	for (size_t i = 0; i < n; i++)
		emit(ctx, k == 0 ? s->handlers[i]->id : k == 1 ? s->formatters[i].id : s->filters[i].id);
	pthread_rwlock_unlock(&log_lock);
}

/* Replaces (or adds) object `id` of a kind with one built from a JSON object. */
static int put_object(int k, const char *id, const cJSON *obj)
{
	struct log_state *s = &log_state;
	int err;
	if (k == 0) {
		struct log_handler *h, *old = state_handler(s, id);
		if ((err = build_handler(s, id, obj, &h)))
			return err;
		if (old) {
			if (old->cls->drain) { /* what it holds reaches its targets first */
				struct log_batch *b = batch_new();
				if (b) {
					old->cls->drain(old, s, b, 1);
					batch_emit(b);
				}
			}
			for (size_t i = 0; i < s->nhandlers; i++)
				if (s->handlers[i] == old)
					s->handlers[i] = h;
			handler_close(old);
			return 0;
		}
		struct log_handler **p = realloc(s->handlers, (s->nhandlers + 1) * sizeof *p);
		if (!p) {
			handler_close(h);
			return -ENOMEM;
		}
		s->handlers = p;
		p[s->nhandlers++] = h;
	} else if (k == 1) {
		struct log_fmt f = {0}, *old = state_formatter(s, id);
		if ((err = build_formatter(id, obj, &f)))
			return err;
		if (old) {
			free(old->id);
			log_formatter_free(old->f);
			*old = f;
			return 0;
		}
		struct log_fmt *p = realloc(s->formatters, (s->nformatters + 1) * sizeof *p);
		if (!p) {
			free(f.id);
			log_formatter_free(f.f);
			return -ENOMEM;
		}
		s->formatters = p;
		p[s->nformatters++] = f;
	} else {
		struct log_filter f = {0}, *old = state_filter(s, id);
		if ((err = build_filter(id, obj, &f)))
			return err;
		if (old) {
			free(old->id);
			free(old->name);
			*old = f;
			return 0;
		}
		struct log_filter *p = realloc(s->filters, (s->nfilters + 1) * sizeof *p);
		if (!p) {
			free(f.id);
			free(f.name);
			return -ENOMEM;
		}
		s->filters = p;
		p[s->nfilters++] = f;
	}
	return 0;
}

int log_object_create(const char *kind, const char *id)
{
	int k = kind_of(kind);
	if (!valid_id(id))
		return osfs_refuse(EINVAL, "'%s' cannot be a name", id);
	/* A new handler is a NullHandler, a new formatter the default one, a new
	 * filter lets everything through: each is then changed through its files. */
	static const char *const initial[] = {"{\"class\":\"logging.NullHandler\"}", "{}", "{}"};
	cJSON *obj = cJSON_Parse(initial[k]);
	pthread_rwlock_wrlock(&log_lock);
	struct log_state *s = &log_state;
	int exists = k == 0 ? state_handler(s, id) != NULL
		     : k == 1 ? state_formatter(s, id) != NULL : state_filter(s, id) != NULL;
	int err = exists ? osfs_refuse(EEXIST, "'%s' exists", id) : put_object(k, id, obj);
	pthread_rwlock_unlock(&log_lock);
	cJSON_Delete(obj);
	if (!err)
		changed();
	return err;
}

/* Who still uses object id: a logger or handler name, or NULL. */
static const char *user_of(int k, const char *id)
{
	struct log_state *s = &log_state;
	for (size_t i = 0; i < s->nloggers; i++) {
		struct log_logger *l = &s->loggers[i];
		char **list = k == 0 ? l->handlers : l->filters;
		size_t n = k == 0 ? l->nhandlers : l->nfilters;
		for (size_t j = 0; k != 1 && j < n; j++)
			if (strcmp(list[j], id) == 0)
				return l->name;
	}
	for (size_t i = 0; k != 0 && i < s->nhandlers; i++) {
		struct log_handler *h = s->handlers[i];
		if (k == 1 && h->formatter && strcmp(h->formatter, id) == 0)
			return h->id;
		for (size_t j = 0; k == 2 && j < h->nfilters; j++)
			if (strcmp(h->filters[j], id) == 0)
				return h->id;
	}
	return NULL;
}

int log_object_remove(const char *kind, const char *id)
{
	int k = kind_of(kind);
	pthread_rwlock_wrlock(&log_lock);
	struct log_state *s = &log_state;
	const char *user = user_of(k, id);
	int err = 0;
	if (user) {
		err = osfs_refuse(EBUSY, "'%s' is still used by '%s'", id, user);
	} else if (k == 0) {
		struct log_handler *h = state_handler(s, id);
		size_t i = 0;
		while (i < s->nhandlers && s->handlers[i] != h)
			i++;
		handler_close(h);
		memmove(&s->handlers[i], &s->handlers[i + 1], (s->nhandlers - i - 1) * sizeof h);
		s->nhandlers--;
	} else if (k == 1) {
		struct log_fmt *f = state_formatter(s, id);
		free(f->id);
		log_formatter_free(f->f);
		memmove(f, f + 1, (size_t)(s->formatters + s->nformatters - f - 1) * sizeof *f);
		s->nformatters--;
	} else {
		struct log_filter *f = state_filter(s, id);
		free(f->id);
		free(f->name);
		memmove(f, f + 1, (size_t)(s->filters + s->nfilters - f - 1) * sizeof *f);
		s->nfilters--;
	}
	pthread_rwlock_unlock(&log_lock);
	if (!err)
		changed();
	return err;
}

/* The JSON of an object (its config file), under the read lock. */
static cJSON *object_json(int k, const char *id)
{
	struct log_state *s = &log_state;
	if (k == 0) {
		struct log_handler *h = state_handler(s, id);
		return h ? handler_json(h) : NULL;
	}
	if (k == 1) {
		struct log_fmt *f = state_formatter(s, id);
		return f ? formatter_json(f) : NULL;
	}
	struct log_filter *f = state_filter(s, id);
	if (!f)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", f->name);
	return o;
}

/* One attribute as its file shows it: a config key's value, lists one per line. */
static void show_json_value(const cJSON *v, struct osfs_buf *out)
{
	if (cJSON_IsString(v)) {
		osfs_buf_printf(out, "%s\n", v->valuestring);
	} else if (cJSON_IsArray(v)) {
		const cJSON *c;
		cJSON_ArrayForEach(c, v)
			osfs_buf_printf(out, "%s\n", cJSON_IsString(c) ? c->valuestring : "");
	} else if (cJSON_IsBool(v)) {
		osfs_buf_printf(out, "%d\n", cJSON_IsTrue(v));
	} else if (v) {
		char *t = cJSON_PrintUnformatted(v);
		osfs_buf_printf(out, "%s\n", t ? t : "");
		cJSON_free(t);
	}
}

int log_object_get(const char *kind, const char *id, const char *attr, struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	cJSON *o = object_json(kind_of(kind), id);
	int err = 0;
	if (!o) {
		err = osfs_refuse(ENOENT, "no %.*s named '%s'", (int)strlen(kind) - 1, kind, id);
	} else if (strcmp(attr, "config") == 0) {
		char *t = cJSON_Print(o);
		osfs_buf_printf(out, "%s\n", t ? t : "");
		cJSON_free(t);
	} else {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, attr);
		if (!v && (strcmp(attr, "datefmt") == 0 || strcmp(attr, "formatter") == 0 ||
			   strcmp(attr, "filters") == 0))
			; /* unset: an empty file */
		else if (!v)
			err = osfs_refuse(ENOENT, "'%s' has no '%s'", id, attr);
		show_json_value(v, out);
	}
	cJSON_Delete(o);
	pthread_rwlock_unlock(&log_lock);
	return err;
}

/* Setting one attribute is setting the object's config with that key changed:
 * the same checks, and all or nothing. */
int log_object_set(const char *kind, const char *id, const char *attr, const char *value)
{
	int k = kind_of(kind);
	cJSON *o = NULL;
	int err = 0;
	if (strcmp(attr, "config") == 0) {
		o = cJSON_Parse(value);
		if (!cJSON_IsObject(o))
			err = osfs_refuse(EINVAL, "config takes one JSON object");
	} else {
		pthread_rwlock_rdlock(&log_lock);
		o = object_json(k, id);
		pthread_rwlock_unlock(&log_lock);
		if (!o)
			return osfs_refuse(ENOENT, "no such object '%s'", id);
		cJSON *v;
		if (strcmp(attr, "filters") == 0) {
			v = cJSON_CreateArray();
			char **ids = NULL;
			size_t n = 0;
			err = strlist_set(&ids, &n, value);
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(v, cJSON_CreateString(ids[i]));
			strlist_free(&ids, &n);
		} else {
			v = cJSON_CreateString(value);
		}
		if (*value || strcmp(attr, "filters") == 0) {
			if (!cJSON_ReplaceItemInObjectCaseSensitive(o, attr, v))
				cJSON_AddItemToObject(o, attr, v);
		} else {
			cJSON_DeleteItemFromObjectCaseSensitive(o, attr); /* empty: unset */
			cJSON_Delete(v);
		}
	}
	if (!err) {
		/* the object's own JSON, raw: a config write's text, or the readback's */
		char *text = strcmp(attr, "config") == 0 ? NULL : cJSON_PrintUnformatted(o);
		pthread_rwlock_wrlock(&log_lock);
		config_text_begin(text ? text : value);
		err = put_object(k, id, o);
		config_text_end();
		pthread_rwlock_unlock(&log_lock);
		cJSON_free(text);
	}
	cJSON_Delete(o);
	if (!err)
		changed();
	return err;
}

int log_handler_flush(const char *id)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_handler *h = state_handler(&log_state, id);
	int err = h ? 0 : osfs_refuse(ENOENT, "no handler named '%s'", id);
	if (h && h->cls->drain) { /* MemoryHandler.flush: on to the target */
		struct log_batch *b = batch_new();
		err = b ? h->cls->drain(h, &log_state, b, 0) : -ENOMEM;
		int end = b ? batch_emit(b) : 0;
		err = err ? err : end;
	}
	if (h && h->cls->flush) {
		pthread_mutex_lock(&h->lock);
		err = h->cls->flush(h);
		pthread_mutex_unlock(&h->lock);
	}
	pthread_rwlock_unlock(&log_lock);
	return err;
}

/* A logger's config file: its dictConfig entry. */
int log_logger_config_get(const char *name, struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = state_logger(&log_state, name);
	int err = l ? 0 : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (l) {
		cJSON *o = logger_json(l, l == &log_state.loggers[0]);
		char *t = cJSON_Print(o);
		osfs_buf_printf(out, "%s\n", t ? t : "");
		cJSON_free(t);
		cJSON_Delete(o);
	}
	pthread_rwlock_unlock(&log_lock);
	return err;
}
