/* Handlers, formatters and filters as objects: made by mkdir, read and changed
 * through their files, removed by rmdir unless something still uses them.  Each
 * change holds the config lock from its check to its act; a replaced handler is
 * built (its file opened) before the write lock is taken to swap it in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

int log_object_exists(const char *kind, const char *id)
{
	pthread_rwlock_rdlock(&log_lock);
	int yes = objects_get(log_reg.objects, kind_of(kind), id) != NULL;
	pthread_rwlock_unlock(&log_lock);
	return yes;
}

void log_object_names(const char *kind, void (*emit)(void *ctx, const char *name), void *ctx)
{
	int k = kind_of(kind);
	if (k < 0)
		return;
	pthread_rwlock_rdlock(&log_lock);
	for (struct log_obj *s = log_reg.objects->kind[k].first; s; s = s->next)
		emit(ctx, s->id);
	pthread_rwlock_unlock(&log_lock);
}

static const char *kind_name(int k)
{
	static const char *const names[] = {"handlers", "formatters", "filters"};
	return names[k];
}

static void free_built(int k, void *any)
{
	if (k == OBJ_HANDLERS && any)
		handler_unref(any);
	else if (k == OBJ_FORMATTERS)
		log_formatter_free(any);
	else
		free(any);
}

/* Replaces (or adds) object id of a kind with one built from obj; the config lock
 * held.  A handler opens its target only once it is accepted; what it replaces
 * is let go after the swap, outside the write lock. */
static int put_object(int k, const char *id, cJSON *obj)
{
	struct log_objects *o = log_reg.objects;
	struct log_obj *slot = objects_get(o, k, id);
	struct log_obj *made = slot ? NULL : obj_new(id);
	struct log_obj built = {0};
	struct conv cv;
	conv_init(&cv, obj);
	struct build_ctx b = {.cv = &cv, .o = o, .document = 0};
	int err = !slot && !made ? -ENOMEM
		  : k == OBJ_HANDLERS ? build_handler(&b, id, obj, &built.handler)
		  : k == OBJ_FORMATTERS ? build_formatter(&b, obj, &built.formatter)
					: build_filter(&b, obj, &built.filter);
	conv_free(&cv);
	if (err && err != -ENOMEM)
		osfs_refuse_prefix(EINVAL, "Unable to configure %.*s %s", (int)strlen(kind_name(k)) - 1,
				   kind_name(k), py_repr_s(id, 0));
	if (!err && k == OBJ_HANDLERS)
		err = handlers_commit(&built.handler, 1);
	if (err) {
		free_built(k, built.any);
		obj_free(k, made);
		return err;
	}
	void *old = NULL;
	pthread_rwlock_wrlock(&log_lock); /* the index may grow: readers probe it */
	if (made) {
		made->any = built.any;
		err = objects_add(o, k, made);
		if (err)
			made->any = NULL;
	} else {
		old = slot->any;
		slot->any = built.any;
	}
	pthread_rwlock_unlock(&log_lock);
	if (err) {
		if (k == OBJ_HANDLERS)
			handlers_uncommit(&built.handler, 1);
		free_built(k, built.any);
		obj_free(k, made);
		return err;
	}
	if (old && k == OBJ_HANDLERS) { /* what it holds reaches its targets first */
		handler_drain(old, 1);
		handler_unref(old);
	} else if (old && k == OBJ_FORMATTERS) {
		log_formatter_free(old);
	} else {
		free(old);
	}
	return 0;
}

int log_object_create(const char *kind, const char *id)
{
	int k = kind_of(kind);
	if (k < 0 || !valid_id(id))
		return osfs_refuse(EINVAL, "'%s' cannot be a name", id);
	/* A new handler is a NullHandler, a new formatter the default one, a new
	 * filter lets everything through: each is then changed through its files. */
	static const char *const initial[] = {"{\"class\":\"logging.NullHandler\"}", "{}", "{}"};
	int perr;
	cJSON *obj = py_json_parse(initial[k], strlen(initial[k]), &perr);
	pthread_mutex_lock(&log_config_lock);
	int err = objects_get(log_reg.objects, k, id) ? osfs_refuse(EEXIST, "'%s' exists", id)
		  : obj ? put_object(k, id, obj) : -ENOMEM;
	pthread_mutex_unlock(&log_config_lock);
	cJSON_Delete(obj);
	if (!err)
		changed();
	return err;
}

static int uses(struct log_obj *const *slots, size_t n, const struct log_obj *obj)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i] == obj)
			return 1;
	return 0;
}

/* Who still uses an object: a logger or handler name, or NULL. */
static const char *user_of(int k, const struct log_obj *obj)
{
	FOR_EACH_LOGGER(l)
		if ((k == OBJ_HANDLERS && uses(l->handlers, l->nhandlers, obj)) ||
		    (k == OBJ_FILTERS && uses(l->filters, l->nfilters, obj)))
			return l->name;
	for (struct log_obj *s = log_reg.objects->kind[OBJ_HANDLERS].first; s && k != OBJ_HANDLERS;
	     s = s->next) {
		const struct log_handler *h = s->handler;
		if ((k == OBJ_FORMATTERS && h->formatter == obj) ||
		    (k == OBJ_FILTERS && uses(h->filters, h->nfilters, obj)))
			return h->id;
	}
	return NULL;
}

int log_object_remove(const char *kind, const char *id)
{
	int k = kind_of(kind);
	pthread_mutex_lock(&log_config_lock);
	struct log_obj *slot = objects_get(log_reg.objects, k, id);
	const char *user = slot ? user_of(k, slot) : NULL;
	int err = !slot  ? osfs_refuse(ENOENT, "no %.*s named '%s'", (int)strlen(kind) - 1, kind, id)
		  : user ? osfs_refuse(EBUSY, "'%s' is still used by '%s'", id, user)
			 : 0;
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		objects_unlink(log_reg.objects, k, slot);
		pthread_rwlock_unlock(&log_lock);
		if (k == OBJ_HANDLERS)
			handler_drain(slot->handler, 1);
		obj_free(k, slot);
	}
	pthread_mutex_unlock(&log_config_lock);
	if (!err)
		changed();
	return err;
}

/* The JSON of an object (its config file); log_lock or the config lock held. */
static cJSON *object_json(int k, const char *id, int secrets)
{
	struct log_obj *s = objects_get(log_reg.objects, k, id);
	if (!s)
		return NULL;
	return k == OBJ_HANDLERS     ? handler_json(s->handler, secrets)
	       : k == OBJ_FORMATTERS ? formatter_json(s->formatter)
				     : filter_json(s->filter);
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
	cJSON *o = object_json(kind_of(kind), id, 0);
	pthread_rwlock_unlock(&log_lock);
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
	return err;
}

/* Attributes whose file takes a number as text (a level also takes its name). */
static int numeric(const char *attr, const char *value)
{
	static const char *const numbers[] = {"level", "flushLevel", "maxBytes", "backupCount",
					      "interval", "capacity", "port", "timeout"};
	char *end;
	strtod(value, &end);
	if (!*value || *end || strspn(value, "-+0123456789.eE") != strlen(value))
		return 0;
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
		if (strcmp(numbers[i], attr) == 0)
			return 1;
	return 0;
}

/* The object's config with one key changed (its text as the file takes it). */
static int with_attr(cJSON *o, const char *attr, const char *value)
{
	cJSON *v;
	int err = 0;
	if (strcmp(attr, "filters") == 0) {
		v = cJSON_CreateArray();
		char **ids = NULL;
		size_t n = 0;
		err = strlist_split(value, &ids, &n);
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(v, cJSON_CreateString(ids[i]));
		strlist_free(&ids, &n);
	} else if (numeric(attr, value)) {
		v = cJSON_CreateNumber(strtod(value, NULL));
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
	return err;
}

/* Setting one attribute is setting the object's config with that key changed:
 * the same checks, and all or nothing.  Read, change and write back happen
 * under the config lock, so a change between them cannot be lost. */
int log_object_set(const char *kind, const char *id, const char *attr, const char *value)
{
	int k = kind_of(kind);
	int config = strcmp(attr, "config") == 0, err = 0;
	cJSON *o = config ? py_json_parse(value, strlen(value), &err) : NULL;
	if (k < 0 || (config && !cJSON_IsObject(o))) {
		cJSON_Delete(o);
		return err ? err : osfs_refuse(EINVAL, "config takes one JSON object");
	}
	pthread_mutex_lock(&log_config_lock);
	if (!config && !(o = object_json(k, id, 1)))
		err = osfs_refuse(ENOENT, "no such object '%s'", id);
	else if (!config)
		err = with_attr(o, attr, value);
	if (!err && !config) { /* read again as a document is: its literals' types kept */
		char *text = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		o = text ? py_json_parse(text, strlen(text), &err) : NULL;
		err = err ? err : o ? 0 : -ENOMEM;
		cJSON_free(text);
	}
	if (!err)
		err = put_object(k, id, o);
	pthread_mutex_unlock(&log_config_lock);
	cJSON_Delete(o);
	if (!err)
		changed();
	return err;
}
