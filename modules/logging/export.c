/* The state read back as dictConfig JSON: the whole configuration (logging/config)
 * and each object's entry (its config file, the state file). */
#include <stdlib.h>

#include "internal.h"

static cJSON *names_json(char **items, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
	return a;
}

static cJSON *level_json(int level)
{
	struct osfs_buf b = {0};
	log_level_name(level, &b);
	cJSON *v = cJSON_CreateString(b.data ? b.data : "");
	osfs_buf_free(&b);
	return v;
}

cJSON *formatter_json(const struct log_fmt *f)
{
	cJSON *o = cJSON_CreateObject();
	char style[2] = {log_formatter_style(f->f), 0};
	cJSON_AddStringToObject(o, "format", log_formatter_fmt(f->f));
	if (log_formatter_datefmt(f->f))
		cJSON_AddStringToObject(o, "datefmt", log_formatter_datefmt(f->f));
	cJSON_AddStringToObject(o, "style", style);
	if (log_formatter_defaults(f->f)) /* raw: its literals as they were written */
		cJSON_AddItemToObject(o, "defaults", cJSON_CreateRaw(log_formatter_defaults(f->f)));
	return o;
}

cJSON *handler_json(const struct log_handler *h)
{
	cJSON *o = cJSON_Duplicate(h->kwargs, 1);
	if (!o)
		o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "class", cJSON_CreateString(h->cls->name));
	cJSON_AddItemToObject(o, "level", level_json(h->level));
	if (h->formatter)
		cJSON_AddStringToObject(o, "formatter", h->formatter);
	if (h->nfilters)
		cJSON_AddItemToObject(o, "filters", names_json(h->filters, h->nfilters));
	return o;
}

cJSON *logger_json(const struct log_logger *l, int root)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "level", level_json(l->level));
	cJSON_AddItemToObject(o, "handlers", names_json(l->handlers, l->nhandlers));
	if (l->nfilters)
		cJSON_AddItemToObject(o, "filters", names_json(l->filters, l->nfilters));
	if (!root) {
		cJSON_AddBoolToObject(o, "propagate", l->propagate);
		if (l->disabled)
			cJSON_AddBoolToObject(o, "disabled", 1);
	}
	return o;
}

void log_config_json(struct osfs_buf *out)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "version", 1);
	cJSON_AddBoolToObject(doc, "disable_existing_loggers", 0);
	cJSON *fs = cJSON_AddObjectToObject(doc, "formatters");
	cJSON *fl = cJSON_AddObjectToObject(doc, "filters");
	cJSON *hs = cJSON_AddObjectToObject(doc, "handlers");
	cJSON *ls = cJSON_AddObjectToObject(doc, "loggers");
	pthread_rwlock_rdlock(&log_lock);
	struct log_state *s = &log_state;
	for (size_t i = 0; i < s->nformatters; i++)
		cJSON_AddItemToObject(fs, s->formatters[i].id, formatter_json(&s->formatters[i]));
	for (size_t i = 0; i < s->nfilters; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", s->filters[i].name);
		cJSON_AddItemToObject(fl, s->filters[i].id, f);
	}
	for (size_t i = 0; i < s->nhandlers; i++)
		cJSON_AddItemToObject(hs, s->handlers[i]->id, handler_json(s->handlers[i]));
	for (size_t i = 1; i < s->nloggers; i++)
		cJSON_AddItemToObject(ls, s->loggers[i].name, logger_json(&s->loggers[i], 0));
	cJSON_AddItemToObject(doc, "root", logger_json(&s->loggers[0], 1));
	pthread_rwlock_unlock(&log_lock);
	char *text = cJSON_Print(doc);
	if (text) {
		osfs_buf_puts(out, text);
		osfs_buf_putc(out, '\n');
	}
	cJSON_free(text);
	cJSON_Delete(doc);
}

