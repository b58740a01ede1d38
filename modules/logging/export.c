/* The state read back as dictConfig JSON: the whole configuration (logging/config,
 * the state file) and each object's entry (its config file).  Secrets (a
 * handler's credentials) are shown redacted in every file anyone reads, and kept
 * whole only for the state file, which only the owner reads. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static cJSON *names_json(struct log_obj *const *slots, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(slots[i]->id));
	return a;
}

/* A level by its name, or as its number where it has none (getLevelName's
 * "Level 16" is no name _checkLevel takes back). */
static cJSON *level_json(int level)
{
	struct osfs_buf b = {0};
	log_level_name(level, &b);
	int named;
	cJSON *v = b.data && log_level_of(b.data, &named) == 0 ? cJSON_CreateString(b.data)
								 : cJSON_CreateNumber(level);
	osfs_buf_free(&b);
	return v;
}

cJSON *formatter_json(const struct log_formatter *f)
{
	cJSON *o = cJSON_CreateObject();
	char style[2] = {log_formatter_style(f), 0};
	cJSON_AddStringToObject(o, "format", log_formatter_fmt(f));
	if (log_formatter_datefmt(f))
		cJSON_AddStringToObject(o, "datefmt", log_formatter_datefmt(f));
	cJSON_AddStringToObject(o, "style", style);
	if (log_formatter_defaults(f)) /* raw: its literals as they were written */
		cJSON_AddItemToObject(o, "defaults", cJSON_CreateRaw(log_formatter_defaults(f)));
	return o;
}

cJSON *filter_json(const char *name)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	return o;
}

/* The keyword arguments that hold a secret: (user, password) pairs. */
static const char *const secrets[] = {"credentials"};

static void redact(cJSON *o)
{
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(o, secrets[i]);
		if (!v)
			continue;
		if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && cJSON_IsString(v->child))
			cJSON_ReplaceItemInArray(v, 1, cJSON_CreateString(LOG_REDACTED));
		else
			cJSON_ReplaceItemInObjectCaseSensitive(o, secrets[i], cJSON_CreateString(LOG_REDACTED));
	}
}

cJSON *handler_json(const struct log_handler *h, int with_secrets)
{
	cJSON *o = cJSON_Duplicate(h->kwargs, 1);
	if (!o)
		o = cJSON_CreateObject();
	if (!with_secrets)
		redact(o);
	cJSON_AddItemToObject(o, "class", cJSON_CreateString(h->cls->name));
	cJSON_AddItemToObject(o, "level", level_json(h->level));
	if (h->formatter)
		cJSON_AddStringToObject(o, "formatter", h->formatter->id);
	if (h->nfilters)
		cJSON_AddItemToObject(o, "filters", names_json(h->filters, h->nfilters));
	if (h->props) /* the '.' key: the attributes set after it was made */
		cJSON_AddItemToObject(o, ".", cJSON_Duplicate(h->props, 1));
	return o;
}

cJSON *logger_json(const struct log_logger *l)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "level", level_json(l->level));
	cJSON_AddItemToObject(o, "handlers", names_json(l->handlers, l->nhandlers));
	if (l->nfilters)
		cJSON_AddItemToObject(o, "filters", names_json(l->filters, l->nfilters));
	if (l != log_reg.root) {
		cJSON_AddBoolToObject(o, "propagate", l->propagate);
		if (l->disabled)
			cJSON_AddBoolToObject(o, "disabled", 1);
	}
	return o;
}

static void config_json(struct osfs_buf *out, int with_secrets)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "version", 1);
	cJSON_AddBoolToObject(doc, "disable_existing_loggers", 0);
	cJSON *fs = cJSON_AddObjectToObject(doc, "formatters");
	cJSON *fl = cJSON_AddObjectToObject(doc, "filters");
	cJSON *hs = cJSON_AddObjectToObject(doc, "handlers");
	cJSON *ls = cJSON_AddObjectToObject(doc, "loggers");
	pthread_rwlock_rdlock(&log_lock);
	const struct log_objects *o = log_reg.objects;
	for (struct log_obj *s = o->kind[OBJ_FORMATTERS].first; s; s = s->next)
		cJSON_AddItemToObject(fs, s->id, formatter_json(s->formatter));
	for (struct log_obj *s = o->kind[OBJ_FILTERS].first; s; s = s->next)
		cJSON_AddItemToObject(fl, s->id, filter_json(s->filter));
	for (struct log_obj *s = o->kind[OBJ_HANDLERS].first; s; s = s->next)
		cJSON_AddItemToObject(hs, s->id, handler_json(s->handler, with_secrets));
	FOR_EACH_LOGGER(l)
		if (l != log_reg.root)
			cJSON_AddItemToObject(ls, l->name, logger_json(l));
	cJSON_AddItemToObject(doc, "root", logger_json(log_reg.root));
	pthread_rwlock_unlock(&log_lock);
	char *text = cJSON_Print(doc);
	if (text) {
		osfs_buf_puts(out, text);
		osfs_buf_putc(out, '\n');
	} else {
		out->failed = 1;
	}
	cJSON_free(text);
	cJSON_Delete(doc);
}

void log_config_json(struct osfs_buf *out)
{
	config_json(out, 0);
}

void log_config_json_full(struct osfs_buf *out)
{
	config_json(out, 1);
}
