/* Objects built from their dictConfig JSON: formatters, filters and handlers, as
 * dictConfig and the objects' own config files make them.  Building a handler
 * opens its target, so it runs holding the config lock only, never log_lock. */
#include <errno.h>
#include <limits.h>
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

int build_level(const cJSON *v, int *level)
{
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= INT_MIN && v->valuedouble <= INT_MAX) ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return osfs_refuse(EINVAL, "Level not an integer or a valid string: %g",
					   v->valuedouble);
		*level = (int)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v))
		return log_level_parse(v->valuestring, level);
	return osfs_refuse(EINVAL, "a level is a name or a number");
}

int build_slots(struct log_objects *o, int kind, const cJSON *names, struct log_obj ***slots,
		size_t *n)
{
	*slots = NULL;
	*n = 0;
	if (!names || cJSON_IsNull(names))
		return 0;
	if (!cJSON_IsArray(names))
		return osfs_refuse(EINVAL, "expected a list of names");
	size_t count = (size_t)cJSON_GetArraySize(names);
	struct log_obj **out = count ? calloc(count, sizeof *out) : NULL;
	if (count && !out)
		return -ENOMEM;
	size_t i = 0;
	for (const cJSON *c = names->child; c; c = c->next, i++) {
		if (!cJSON_IsString(c)) {
			free(out);
			return osfs_refuse(EINVAL, "expected a list of names");
		}
		if (!(out[i] = objects_get(o, kind, c->valuestring))) {
			int err = osfs_refuse(EINVAL, "no %s named '%s'",
					      kind == OBJ_HANDLERS ? "handler" : "filter", c->valuestring);
			free(out);
			return err;
		}
	}
	*slots = out;
	*n = count;
	return 0;
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

void config_text_begin(const char *text, int depth)
{
	doc_text = text;
	doc_depth = depth;
}

void config_text_end(void)
{
	doc_text = NULL;
}

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

int build_formatter(const char *id, const cJSON *obj, struct log_formatter **out)
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
		*out = log_formatter_new(str_of(obj, "format"), str_of(obj, "datefmt"),
					 style ? style[0] : '%', defaults_json, !cJSON_IsFalse(validate));
		err = *out ? 0 : -EINVAL;
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
	return 0;
}

int build_filter(const char *id, const cJSON *obj, char **out)
{
	if (!cJSON_IsObject(obj) || refuse_factory(obj))
		return osfs_refuse(EINVAL, "Unable to configure filter '%s': %s", id,
				   cJSON_IsObject(obj) ? osfs_refusal() : "expected an object");
	const char *name = str_of(obj, "name");
	*out = strdup(name ? name : "");
	return *out ? 0 : -ENOMEM;
}

/* A document read back shows credentials redacted; written back, the redacted
 * password stands for the one the handler of that name has now. */
static int unredact(const char *id, cJSON *kwargs)
{
	cJSON *cred = cJSON_GetObjectItemCaseSensitive(kwargs, "credentials");
	cJSON *pw = cJSON_IsArray(cred) ? cJSON_GetArrayItem(cred, 1) : cred;
	if (!cJSON_IsString(pw) || strcmp(pw->valuestring, LOG_REDACTED) != 0)
		return 0;
	struct log_handler *now = objects_handler(log_reg.objects, id);
	const cJSON *had = now ? cJSON_GetObjectItemCaseSensitive(now->kwargs, "credentials") : NULL;
	if (!had)
		return osfs_refuse(EINVAL, "credentials: '%s' stands for the password handler '%s' has, "
				   "and it has none", LOG_REDACTED, id);
	cJSON *keep = cJSON_Duplicate(cred == pw ? had : cJSON_GetArrayItem(had, 1), 1);
	if (!keep)
		return -ENOMEM;
	if (cred == pw)
		cJSON_ReplaceItemInObjectCaseSensitive(kwargs, "credentials", keep);
	else
		cJSON_ReplaceItemInArray(cred, 1, keep);
	return 0;
}

/* The class and its keyword arguments: unknown ones are refused as Python's
 * TypeError, a relative filename is kept as the path it means. */
static int handler_open(struct log_handler *h, const char *cls, const cJSON *kwargs)
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
	int err = unredact(h->id, h->kwargs);
	if (err)
		return err;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(h->kwargs, "filename");
	if (cJSON_IsString(name) && name->valuestring[0] != '/') {
		char *full = log_absolute(name->valuestring);
		if (!full)
			return -ENOMEM;
		cJSON_ReplaceItemInObjectCaseSensitive(h->kwargs, "filename", cJSON_CreateString(full));
		free(full);
	}
	return h->cls->open ? h->cls->open(h, h->kwargs) : 0;
}

int build_handler(struct log_objects *o, const char *id, const cJSON *obj, struct log_handler **out)
{
	char why[OSFS_REFUSAL_MAX] = "";
	int err = 0;
	struct log_handler *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->refs = 1;
	h->home = o;
	if (!(h->id = strdup(id))) {
		err = -ENOMEM;
		goto fail;
	}
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
	if (level && (err = build_level(level, &h->level)))
		goto fail;
	const char *fmt = str_of(obj, "formatter");
	if (fmt && !(h->formatter = objects_get(o, OBJ_FORMATTERS, fmt))) {
		err = osfs_refuse(EINVAL, "no formatter named '%s'", fmt);
		goto fail;
	}
	err = build_slots(o, OBJ_FILTERS, cJSON_GetObjectItemCaseSensitive(obj, "filters"), &h->filters,
			  &h->nfilters);
	if (err)
		goto fail;
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
	handler_unref(h);
	return osfs_refuse(err == -ENOMEM ? ENOMEM : EINVAL, "Unable to configure handler '%s': %s",
			   id, why);
}
