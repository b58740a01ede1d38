/* logging.config.dictConfig: a JSON document becomes a new state, built aside and
 * swapped in whole, so that a document with any error changes nothing.  The same
 * builders make single objects (handlers/ID/config), and the state reads back as
 * one dictConfig document. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/refuse.h"

static const char *str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A level as dictConfig takes it: a name or a number. */
static int level_of(const cJSON *v, int *level)
{
	if (cJSON_IsNumber(v)) {
		*level = v->valueint;
		return 0;
	}
	if (cJSON_IsString(v))
		return log_level_parse(v->valuestring, level);
	return osfs_refuse(EINVAL, "a level is a name or a number");
}

/* A list of ids, as a JSON array of strings. */
static int ids_of(const cJSON *v, char ***list, size_t *n)
{
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return osfs_refuse(EINVAL, "expected a list of names");
	struct osfs_buf joined = {0};
	for (const cJSON *c = v->child; c; c = c->next) {
		if (!cJSON_IsString(c))
			return osfs_refuse(EINVAL, "expected a list of names");
		osfs_buf_printf(&joined, "%s\n", c->valuestring);
	}
	int err = strlist_set(list, n, joined.data ? joined.data : "");
	osfs_buf_free(&joined);
	return err;
}

/* Where the document's own text of a value is: cJSON reprints 0.0 as 0, but a
 * formatter's defaults must keep Python's types (json.loads reads 0.0 as a float).
 * A small skipper over the raw text finds the value at a path of keys. */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *skip_value(const char *p)
{
	p = skip_ws(p);
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p ? p + 1 : p;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = skip_ws(p + 1);
		while (*p && *p != close) {
			if (close == '}') {
				p = skip_ws(skip_value(p)); /* the key */
				if (*p == ':')
					p++;
			}
			p = skip_ws(skip_value(p));
			if (*p == ',')
				p = skip_ws(p + 1);
			else if (*p != close)
				return p;
		}
		return *p ? p + 1 : p;
	}
	while (*p && !strchr(",}] \t\n\r", *p))
		p++;
	return p;
}

/* The text of obj[path[0]][path[1]]... in a JSON document, or NULL. */
static const char *raw_member(const char *text, const char *const *path, int depth, size_t *len)
{
	const char *p = skip_ws(text);
	for (int d = 0; d < depth; d++) {
		if (*p != '{')
			return NULL;
		p = skip_ws(p + 1);
		int found = 0;
		while (*p == '"' && !found) {
			const char *key = p + 1, *end = skip_value(p);
			size_t klen = (size_t)(end - 1 - key);
			p = skip_ws(end);
			if (*p++ != ':')
				return NULL;
			p = skip_ws(p);
			if (klen == strlen(path[d]) && strncmp(key, path[d], klen) == 0) {
				found = 1;
				break;
			}
			p = skip_ws(skip_value(p));
			if (*p == ',')
				p = skip_ws(p + 1);
		}
		if (!found)
			return NULL;
	}
	*len = (size_t)(skip_value(p) - p);
	return p;
}

/* The raw text of the document being applied, for raw_member. */
static __thread const char *doc_text;
static __thread int doc_depth; /* 0: a dictConfig document; 1: a formatter's own */

static char *raw_defaults(const char *id)
{
	if (!doc_text)
		return NULL;
	const char *path[] = {"formatters", id, "defaults"};
	size_t len;
	const char *at = doc_depth ? raw_member(doc_text, path + 2, 1, &len)
				   : raw_member(doc_text, path, 3, &len);
	return at ? strndup(at, len) : NULL;
}

static int refuse_factory(const cJSON *obj)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, "()"))
		return osfs_refuse(EINVAL, "custom factories '()' are not supported: osfs runs no Python");
	return 0;
}

int build_formatter(const char *id, const cJSON *obj, struct log_fmt *out)
{
	if (!cJSON_IsObject(obj))
		return osfs_refuse(EINVAL, "Unable to configure formatter '%s': expected an object", id);
	int err = refuse_factory(obj);
	const char *cls = str_of(obj, "class");
	if (!err && cls && strcmp(cls, "logging.Formatter") != 0)
		err = osfs_refuse(EINVAL, "formatter class '%s' is not supported: logging.Formatter only", cls);
	const char *style = str_of(obj, "style");
	const cJSON *validate = cJSON_GetObjectItemCaseSensitive(obj, "validate");
	const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(obj, "defaults");
	char *raw = defaults ? raw_defaults(id) : NULL;
	char *defaults_json = raw ? raw : defaults ? cJSON_PrintUnformatted(defaults) : NULL;
	if (!err && style && strlen(style) != 1)
		err = osfs_refuse(EINVAL, "Style must be one of: %%,{,$");
	if (!err) {
		out->f = log_formatter_new(str_of(obj, "format"), str_of(obj, "datefmt"),
					   style ? style[0] : '%', defaults_json, !cJSON_IsFalse(validate));
		err = out->f ? 0 : -EINVAL;
	}
	if (raw)
		free(raw);
	else
		cJSON_free(defaults_json);
	if (err) {
		char why[OSFS_REFUSAL_MAX];
		snprintf(why, sizeof why, "%s", osfs_refusal());
		return osfs_refuse(EINVAL, "Unable to configure formatter '%s': %s", id, why);
	}
	out->id = strdup(id);
	return out->id ? 0 : -ENOMEM;
}

int build_filter(const char *id, const cJSON *obj, struct log_filter *out)
{
	if (!cJSON_IsObject(obj) || refuse_factory(obj))
		return osfs_refuse(EINVAL, "Unable to configure filter '%s': %s", id,
				   cJSON_IsObject(obj) ? osfs_refusal() : "expected an object");
	const char *name = str_of(obj, "name");
	out->id = strdup(id);
	out->name = strdup(name ? name : "");
	return out->id && out->name ? 0 : -ENOMEM;
}

/* A handler of a state: the class and its keyword arguments, level, formatter and
 * filters, checked against the state's formatters and filters. */
int build_handler(struct log_state *s, const char *id, const cJSON *obj, struct log_handler **out)
{
	char why[OSFS_REFUSAL_MAX] = "";
	int err = 0;
	struct log_handler *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->id = strdup(id);
	if (!cJSON_IsObject(obj)) {
		err = osfs_refuse(EINVAL, "expected an object");
		goto fail;
	}
	if ((err = refuse_factory(obj)))
		goto fail;
	const char *cls = str_of(obj, "class");
	if (!cls) {
		err = osfs_refuse(EINVAL, "no class given");
		goto fail;
	}
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(obj, "level");
	if (level && (err = level_of(level, &h->level)))
		goto fail;
	const char *fmt = str_of(obj, "formatter");
	if (fmt && !state_formatter(s, fmt)) {
		err = osfs_refuse(EINVAL, "no formatter named '%s'", fmt);
		goto fail;
	}
	h->formatter = fmt ? strdup(fmt) : NULL;
	if ((err = ids_of(cJSON_GetObjectItemCaseSensitive(obj, "filters"), &h->filters, &h->nfilters)))
		goto fail;
	for (size_t i = 0; i < h->nfilters; i++)
		if (!state_filter(s, h->filters[i])) {
			err = osfs_refuse(EINVAL, "no filter named '%s'", h->filters[i]);
			goto fail;
		}
	cJSON *kwargs = cJSON_Duplicate(obj, 1);
	static const char *const common[] = {"class", "level", "formatter", "filters"};
	for (size_t i = 0; kwargs && i < sizeof common / sizeof common[0]; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(kwargs, common[i]);
	err = kwargs ? handler_open(h, cls, kwargs) : -ENOMEM;
	cJSON_Delete(kwargs);
	if (!err) {
		*out = h;
		return 0;
	}
fail:
	snprintf(why, sizeof why, "%s", osfs_refusal());
	handler_close(h);
	return osfs_refuse(err == -ENOMEM ? ENOMEM : EINVAL, "Unable to configure handler '%s': %s",
			   id, why);
}

/* Logger.level, handlers, filters, propagate from a logger's dictConfig entry. */
static int configure_logger(struct log_state *s, struct log_logger *l, const cJSON *obj,
			    int incremental)
{
	if (!cJSON_IsObject(obj))
		return osfs_refuse(EINVAL, "expected an object");
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(obj, "level");
	int err = level ? level_of(level, &l->level) : 0;
	if (!err && !incremental) {
		const cJSON *hs = cJSON_GetObjectItemCaseSensitive(obj, "handlers");
		strlist_free(&l->handlers, &l->nhandlers);
		err = ids_of(hs, &l->handlers, &l->nhandlers);
		for (size_t i = 0; !err && i < l->nhandlers; i++)
			if (!state_handler(s, l->handlers[i]))
				err = osfs_refuse(EINVAL, "no handler named '%s'", l->handlers[i]);
		strlist_free(&l->filters, &l->nfilters);
		if (!err)
			err = ids_of(cJSON_GetObjectItemCaseSensitive(obj, "filters"), &l->filters, &l->nfilters);
		for (size_t i = 0; !err && i < l->nfilters; i++)
			if (!state_filter(s, l->filters[i]))
				err = osfs_refuse(EINVAL, "no filter named '%s'", l->filters[i]);
	}
	const cJSON *prop = cJSON_GetObjectItemCaseSensitive(obj, "propagate");
	if (!err && prop) {
		if (!cJSON_IsBool(prop) && !cJSON_IsNumber(prop))
			err = osfs_refuse(EINVAL, "propagate is true or false");
		else
			l->propagate = cJSON_IsTrue(prop) || (cJSON_IsNumber(prop) && prop->valueint);
	}
	return err;
}

static struct log_logger *add_logger(struct log_state *s, const char *name)
{
	struct log_logger *l = state_logger(s, name);
	if (l)
		return l;
	struct log_logger *p = realloc(s->loggers, (s->nloggers + 1) * sizeof *p);
	if (!p)
		return NULL;
	s->loggers = p;
	p[s->nloggers] = (struct log_logger){.name = strdup(name), .propagate = 1};
	return p[s->nloggers].name ? &p[s->nloggers++] : NULL;
}

/* Copies the logger tree (names, levels, lists) of the current state. */
static int copy_loggers(struct log_state *to, const struct log_state *from)
{
	for (size_t i = 0; i < from->nloggers; i++) {
		const struct log_logger *f = &from->loggers[i];
		struct log_logger *l = add_logger(to, f->name);
		if (!l)
			return -ENOMEM;
		l->level = f->level;
		l->propagate = f->propagate;
		l->disabled = f->disabled;
		struct osfs_buf b = {0};
		for (size_t k = 0; k < f->nhandlers; k++)
			osfs_buf_printf(&b, "%s\n", f->handlers[k]);
		int err = strlist_set(&l->handlers, &l->nhandlers, b.data ? b.data : "");
		osfs_buf_reset(&b);
		for (size_t k = 0; !err && k < f->nfilters; k++)
			osfs_buf_printf(&b, "%s\n", f->filters[k]);
		if (!err)
			err = strlist_set(&l->filters, &l->nfilters, b.data ? b.data : "");
		osfs_buf_free(&b);
		if (err)
			return err;
	}
	return 0;
}

static int prefix_of(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);
	return strncmp(prefix, name, n) == 0 && name[n] == '.';
}

/* A non-incremental dictConfig: everything is made anew. */
static int build_state(const cJSON *doc, struct log_state *s)
{
	int err = 0;
	const cJSON *section, *c;
	if ((err = copy_loggers(s, &log_state)))
		return err;
	section = cJSON_GetObjectItemCaseSensitive(doc, "formatters");
	s->formatters = calloc((size_t)cJSON_GetArraySize(section) + 1, sizeof *s->formatters);
	cJSON_ArrayForEach(c, section) {
		if ((err = build_formatter(c->string, c, &s->formatters[s->nformatters])))
			return err;
		s->nformatters++;
	}
	section = cJSON_GetObjectItemCaseSensitive(doc, "filters");
	s->filters = calloc((size_t)cJSON_GetArraySize(section) + 1, sizeof *s->filters);
	cJSON_ArrayForEach(c, section) {
		if ((err = build_filter(c->string, c, &s->filters[s->nfilters])))
			return err;
		s->nfilters++;
	}
	section = cJSON_GetObjectItemCaseSensitive(doc, "handlers");
	s->handlers = calloc((size_t)cJSON_GetArraySize(section) + 1, sizeof *s->handlers);
	cJSON_ArrayForEach(c, section) {
		if ((err = build_handler(s, c->string, c, &s->handlers[s->nhandlers])))
			return err;
		s->nhandlers++;
	}
	/* Existing loggers not named (nor below one named) are disabled, as Python does;
	 * those below a named one are reset; the root loses its handlers. */
	const cJSON *dis = cJSON_GetObjectItemCaseSensitive(doc, "disable_existing_loggers");
	int disable = !dis || cJSON_IsTrue(dis);
	const cJSON *loggers = cJSON_GetObjectItemCaseSensitive(doc, "loggers");
	for (size_t i = 1; i < s->nloggers; i++) {
		struct log_logger *l = &s->loggers[i];
		int named = cJSON_GetObjectItemCaseSensitive(loggers, l->name) != NULL, child = 0;
		cJSON_ArrayForEach(c, loggers)
			child |= prefix_of(c->string, l->name);
		if (named)
			continue;
		if (child) {
			l->level = LOG_NOTSET;
			l->propagate = 1;
			strlist_free(&l->handlers, &l->nhandlers);
		} else if (disable) {
			l->disabled = 1;
		}
	}
	strlist_free(&s->loggers[0].handlers, &s->loggers[0].nhandlers);
	cJSON_ArrayForEach(c, loggers) {
		struct log_logger *l = add_logger(s, c->string);
		if (!l)
			return -ENOMEM;
		if ((err = configure_logger(s, l, c, 0))) {
			char why[OSFS_REFUSAL_MAX];
			snprintf(why, sizeof why, "%s", osfs_refusal());
			return osfs_refuse(EINVAL, "Unable to configure logger '%s': %s", c->string, why);
		}
		l->disabled = 0;
	}
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(doc, "root");
	if (root && (err = configure_logger(s, &s->loggers[0], root, 0))) {
		char why[OSFS_REFUSAL_MAX];
		snprintf(why, sizeof why, "%s", osfs_refusal());
		return osfs_refuse(EINVAL, "Unable to configure root logger: %s", why);
	}
	return 0;
}

/* An incremental dictConfig: only handler levels and logger levels/propagate. */
static int apply_incremental(const cJSON *doc)
{
	const cJSON *c;
	int err = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "handlers")) {
		struct log_handler *h = state_handler(&log_state, c->string);
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(c, "level");
		int v;
		if (!h)
			return osfs_refuse(EINVAL, "No handler found with name '%s'", c->string);
		if (level && (err = level_of(level, &v)))
			return err;
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "loggers")) {
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(c, "level");
		int v;
		if (level && (err = level_of(level, &v)))
			return err;
	}
	/* checked: now apply */
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "handlers")) {
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(c, "level");
		if (level)
			level_of(level, &state_handler(&log_state, c->string)->level);
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "loggers")) {
		struct log_logger *l = add_logger(&log_state, c->string);
		if (!l)
			return -ENOMEM;
		configure_logger(&log_state, l, c, 1);
	}
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(doc, "root");
	if (root)
		configure_logger(&log_state, &log_state.loggers[0], root, 1);
	return 0;
}

int log_dict_config(const char *json)
{
	cJSON *doc = cJSON_Parse(json);
	if (!cJSON_IsObject(doc)) {
		const char *at = cJSON_GetErrorPtr();
		int err = osfs_refuse(EINVAL, "not a JSON object%s%.20s%s", at ? " near '" : "",
				      at ? at : "", at ? "'" : "");
		cJSON_Delete(doc);
		return err;
	}
	int err = 0;
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	if (!version)
		err = osfs_refuse(EINVAL, "dictionary doesn't specify a version");
	else if (!cJSON_IsNumber(version) || version->valueint != 1)
		err = osfs_refuse(EINVAL, "Unsupported version: %s",
				  cJSON_IsNumber(version) ? "not 1" : "not a number");
	static const char *const known[] = {"version", "formatters", "filters", "handlers", "loggers",
					    "root", "incremental", "disable_existing_loggers"};
	const cJSON *c;
	cJSON_ArrayForEach(c, doc) {
		size_t i;
		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strcmp(known[i], c->string) == 0)
				break;
		if (!err && i == sizeof known / sizeof known[0])
			err = osfs_refuse(EINVAL, "unknown key '%s' in the configuration", c->string);
		else if (!err && i >= 1 && i <= 5 && !cJSON_IsObject(c))
			err = osfs_refuse(EINVAL, "'%s' must be an object (a JSON {...})", c->string);
	}
	if (err) {
		cJSON_Delete(doc);
		return err;
	}
	pthread_rwlock_wrlock(&log_lock);
	doc_text = json;
	doc_depth = 0;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "incremental"))) {
		err = apply_incremental(doc);
	} else {
		struct log_state fresh = {0};
		err = build_state(doc, &fresh);
		if (err) {
			state_free(&fresh);
		} else {
			struct log_state old = log_state;
			state_drain(&old); /* buffered records reach their old targets first */
			log_state = fresh;
			state_free(&old); /* closes the old handlers, as dictConfig does */
		}
	}
	doc_text = NULL;
	pthread_rwlock_unlock(&log_lock);
	cJSON_Delete(doc);
	if (!err)
		changed();
	return err;
}

/* A logger's config file written: its dictConfig entry, checked on a copy first. */
int log_logger_config_set(const char *name, const char *json)
{
	cJSON *obj = cJSON_Parse(json);
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return osfs_refuse(EINVAL, "config takes one JSON object");
	}
	pthread_rwlock_wrlock(&log_lock);
	struct log_logger *l = state_logger(&log_state, name);
	int err = l ? 0 : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (!err) {
		struct log_logger copy = {.level = l->level, .propagate = l->propagate};
		err = configure_logger(&log_state, &copy, obj, 0);
		if (!err) {
			strlist_free(&l->handlers, &l->nhandlers);
			strlist_free(&l->filters, &l->nfilters);
			copy.name = l->name;
			copy.disabled = l->disabled;
			*l = copy;
		} else {
			strlist_free(&copy.handlers, &copy.nhandlers);
			strlist_free(&copy.filters, &copy.nfilters);
		}
	}
	pthread_rwlock_unlock(&log_lock);
	cJSON_Delete(obj);
	if (!err)
		changed();
	return err;
}

/* A formatter's own config document (formatters/ID/config) is being applied. */
void config_text_begin(const char *text)
{
	doc_text = text;
	doc_depth = 1;
}

void config_text_end(void)
{
	doc_text = NULL;
}
