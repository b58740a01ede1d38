/* logging.config.dictConfig: a JSON document becomes a new set of formatters,
 * filters and handlers, built aside (files opened, names resolved) holding only
 * the config lock, and a plan for each logger it names; both are checked whole,
 * so that a document with any error changes nothing.  Then, under the write lock
 * for a moment, the set is swapped in and the loggers are changed in place, as
 * Python changes them: named ones configured, their existing children reset, the
 * other existing ones disabled (or enabled: disable_existing_loggers). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/refuse.h"

/* What a logger's entry sets: checked before anything changes. */
struct plan {
	const char *name;
	int has_level, level;
	int has_lists; /* handlers and filters replaced (not in incremental mode) */
	struct log_obj **handlers, **filters;
	size_t nhandlers, nfilters;
	int propagate; /* -1: as it is */
	int disabled;  /* osfs's readback says "disabled": true; Python enables what it names */
};

static int plan_logger(struct log_objects *o, const cJSON *obj, int incremental, struct plan *p)
{
	p->propagate = -1;
	if (!cJSON_IsObject(obj))
		return osfs_refuse(EINVAL, "expected an object");
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(obj, "level");
	int err = level ? build_level(level, &p->level) : 0;
	p->has_level = level != NULL;
	if (!err && !incremental) {
		p->has_lists = 1;
		err = build_slots(o, OBJ_HANDLERS, cJSON_GetObjectItemCaseSensitive(obj, "handlers"),
				  &p->handlers, &p->nhandlers);
		if (!err)
			err = build_slots(o, OBJ_FILTERS, cJSON_GetObjectItemCaseSensitive(obj, "filters"),
					  &p->filters, &p->nfilters);
	}
	p->disabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "disabled"));
	const cJSON *prop = cJSON_GetObjectItemCaseSensitive(obj, "propagate");
	if (!err && prop) {
		if (!cJSON_IsBool(prop) && !cJSON_IsNumber(prop))
			err = osfs_refuse(EINVAL, "propagate is true or false");
		else
			p->propagate = cJSON_IsTrue(prop) || (cJSON_IsNumber(prop) && prop->valuedouble != 0);
	}
	return err;
}

/* Under the write lock: cannot fail. */
static void plan_apply(struct plan *p, struct log_logger *l)
{
	if (p->has_level)
		l->level = p->level;
	if (p->has_lists) {
		free(l->handlers);
		free(l->filters);
		l->handlers = p->handlers;
		l->nhandlers = p->nhandlers;
		l->filters = p->filters;
		l->nfilters = p->nfilters;
		p->handlers = p->filters = NULL;
	}
	if (p->propagate >= 0 && l != log_reg.root)
		l->propagate = p->propagate;
}

static void plan_free(struct plan *p)
{
	free(p->handlers);
	free(p->filters);
}

static int is_root_name(const char *name)
{
	return !*name || strcmp(name, "root") == 0; /* getLogger("") and getLogger("root") */
}

static const char *item_key(const void *v)
{
	return ((const cJSON *)v)->string;
}

/* The entries of a section by name, the last one of each name winning (as
 * json.loads keeps the last of duplicate keys). */
static int index_section(const cJSON *section, struct index *ix)
{
	index_free(ix);
	ix->key = item_key;
	const cJSON *c;
	cJSON_ArrayForEach(c, section) {
		index_del(ix, c->string);
		int err = index_put(ix, (void *)c);
		if (err)
			return err;
	}
	return 0;
}

/* Builds every object of one kind of a document section into o. */
static int build_section(struct log_objects *o, int kind, const cJSON *section, struct index *ix)
{
	int err = index_section(section, ix);
	const cJSON *c;
	cJSON_ArrayForEach(c, section) {
		if (err)
			break;
		if (index_get(ix, c->string) != c)
			continue;
		struct log_obj *slot = obj_new(c->string);
		if (!slot)
			return -ENOMEM;
		err = kind == OBJ_FORMATTERS ? build_formatter(c->string, c, &slot->formatter)
		      : kind == OBJ_FILTERS  ? build_filter(c->string, c, &slot->filter)
					     : build_handler(o, c->string, c, &slot->handler);
		if (!err)
			err = objects_add(o, kind, slot);
		if (err)
			obj_free(kind, slot);
	}
	return err;
}

static int refuse_logger(const char *name, int err)
{
	if (err == -ENOMEM)
		return err;
	char why[OSFS_REFUSAL_MAX];
	snprintf(why, sizeof why, "%s", osfs_refusal());
	return name ? osfs_refuse(EINVAL, "Unable to configure logger '%s': %s", name, why)
		    : osfs_refuse(EINVAL, "Unable to configure root logger: %s", why);
}

/* A logger's handlers or filters, by name, as slots of the new set (in place:
 * the names the new set lacks are dropped). */
static void rebind(struct log_obj **slots, size_t *n, const struct log_objects *o, int kind)
{
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++) {
		struct log_obj *s = objects_get(o, kind, slots[i]->id);
		if (s)
			slots[kept++] = s;
	}
	*n = kept;
}

/* An odd name's children are found by their names: Python compares prefixes. */
static int named_above(const char *name, const struct index *named)
{
	char *copy = strdup(name);
	int found = 0;
	for (char *dot = copy ? strrchr(copy, '.') : NULL; dot && !found; dot = strrchr(copy, '.')) {
		*dot = '\0';
		found = index_get(named, copy) && registry_name_exists(copy);
	}
	free(copy);
	return found;
}

/* Under the write lock: the named loggers, the existing ones, the root. */
static void apply_loggers(struct plan *plans, size_t n, struct plan *root, struct log_names *want,
			  const struct index *named, int disable)
{
	static unsigned long marks;
	unsigned long mark = ++marks;
	for (size_t i = 0; i < n; i++) { /* existed before: Python's `existing` */
		struct log_logger *node = is_root_name(plans[i].name) ? NULL : registry_node(plans[i].name);
		if (node)
			node->mark = mark;
	}
	FOR_EACH_LOGGER(l) {
		rebind(l->handlers, &l->nhandlers, log_reg.objects, OBJ_HANDLERS);
		rebind(l->filters, &l->nfilters, log_reg.objects, OBJ_FILTERS);
		if (l == log_reg.root || (l->mark == mark && l->is_logger))
			continue;
		int child = 0;
		if (l->odd)
			child = named_above(l->name, named);
		for (struct log_logger *p = l->up; p && !child; p = p->up)
			child = p->mark == mark;
		if (child) { /* below a named logger: reset, not disabled */
			l->level = LOG_NOTSET;
			l->nhandlers = 0;
			l->propagate = 1;
		} else {
			l->disabled = disable;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct log_logger *l = is_root_name(plans[i].name) ? log_reg.root
								   : names_attach(want, plans[i].name);
		plan_apply(&plans[i], l);
		l->disabled = plans[i].disabled;
	}
	if (root)
		plan_apply(root, log_reg.root);
	registry_changed();
}

/* disable_existing_loggers, as Python takes its truth. */
static int disable_existing(const cJSON *doc)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "disable_existing_loggers");
	return !v || cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0) ||
	       (cJSON_IsString(v) && *v->valuestring) || (cJSON_IsObject(v) && v->child) ||
	       (cJSON_IsArray(v) && v->child);
}

/* A non-incremental dictConfig (the config lock held). */
static int apply_full(const cJSON *doc, const char *json)
{
	struct log_objects *o = objects_new();
	struct index ix = {.key = item_key};
	struct log_names want = {0};
	struct plan *plans = NULL, root = {0};
	size_t n = 0;
	int err = o ? 0 : -ENOMEM;
	config_text_begin(json, 0);
	static const struct {
		const char *section;
		int kind;
	} kinds[] = {{"formatters", OBJ_FORMATTERS}, {"filters", OBJ_FILTERS}, {"handlers", OBJ_HANDLERS}};
	for (size_t k = 0; !err && k < sizeof kinds / sizeof kinds[0]; k++)
		err = build_section(o, kinds[k].kind, cJSON_GetObjectItemCaseSensitive(doc, kinds[k].section),
				    &ix);
	config_text_end();
	const cJSON *loggers = cJSON_GetObjectItemCaseSensitive(doc, "loggers"), *c;
	if (!err)
		err = index_section(loggers, &ix);
	if (!err && ix.n && !(plans = calloc(ix.n, sizeof *plans)))
		err = -ENOMEM;
	cJSON_ArrayForEach(c, loggers) {
		if (err)
			break;
		if (index_get(&ix, c->string) != c)
			continue;
		plans[n].name = c->string;
		if ((err = plan_logger(o, c, 0, &plans[n++])))
			err = refuse_logger(c->string, err);
		else if (!is_root_name(c->string))
			err = names_want(&want, c->string);
	}
	/* `if root:` in Python: an empty entry leaves the root as it is */
	const cJSON *root_entry = cJSON_GetObjectItemCaseSensitive(doc, "root");
	if (root_entry && cJSON_IsObject(root_entry) && !root_entry->child)
		root_entry = NULL;
	if (!err && root_entry && (err = plan_logger(o, root_entry, 0, &root)))
		err = refuse_logger(NULL, err);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		if (!(err = names_reserve(&want))) {
			struct log_objects *old = log_reg.objects;
			log_reg.objects = o;
			apply_loggers(plans, n, root_entry ? &root : NULL, &want, &ix,
				      disable_existing(doc));
			o = old; /* what it held reaches its targets, then it goes, as dictConfig closes them */
		}
		pthread_rwlock_unlock(&log_lock);
		if (!err)
			objects_drain(o);
	}
	objects_free(o);
	for (size_t i = 0; i < n; i++)
		plan_free(&plans[i]);
	free(plans);
	plan_free(&root);
	names_free(&want);
	index_free(&ix);
	return err;
}

/* Under the write lock: an incremental document's checked levels. */
static void apply_levels(const cJSON *handlers, const int *levels, struct plan *plans, size_t n,
			 struct plan *root, struct log_names *want)
{
	size_t i = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, handlers) {
		if (cJSON_GetObjectItemCaseSensitive(c, "level"))
			objects_handler(log_reg.objects, c->string)->level = levels[i];
		i++;
	}
	for (size_t k = 0; k < n; k++) {
		struct log_logger *l = is_root_name(plans[k].name) ? log_reg.root
								    : names_attach(want, plans[k].name);
		plan_apply(&plans[k], l);
		l->disabled = plans[k].disabled;
	}
	if (root)
		plan_apply(root, log_reg.root);
	registry_changed();
}

/* An incremental dictConfig: only handler levels and logger levels/propagate. */
static int apply_incremental(const cJSON *doc)
{
	struct log_objects *o = log_reg.objects;
	const cJSON *handlers = cJSON_GetObjectItemCaseSensitive(doc, "handlers");
	const cJSON *loggers = cJSON_GetObjectItemCaseSensitive(doc, "loggers");
	const cJSON *root_entry = cJSON_GetObjectItemCaseSensitive(doc, "root"), *c;
	int count = cJSON_GetArraySize(handlers), err = 0;
	int *levels = calloc((size_t)count + 1, sizeof *levels);
	struct plan *plans = calloc((size_t)cJSON_GetArraySize(loggers) + 1, sizeof *plans), root = {0};
	struct log_names want = {0};
	size_t n = 0, i = 0;
	if (!levels || !plans)
		err = -ENOMEM;
	cJSON_ArrayForEach(c, handlers) {
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(c, "level");
		levels[i] = -1;
		if (err)
			break;
		if (!objects_handler(o, c->string))
			err = osfs_refuse(EINVAL, "No handler found with name '%s'", c->string);
		else if (level && (err = build_level(level, &levels[i])))
			err = osfs_refuse(EINVAL, "Unable to configure handler '%s': %s", c->string,
					  osfs_refusal());
		i++;
	}
	cJSON_ArrayForEach(c, loggers) {
		if (err)
			break;
		plans[n].name = c->string;
		if ((err = plan_logger(o, c, 1, &plans[n++])))
			err = refuse_logger(c->string, err);
		else if (!is_root_name(c->string))
			err = names_want(&want, c->string);
	}
	if (root_entry && cJSON_IsObject(root_entry) && !root_entry->child)
		root_entry = NULL; /* `if root:` */
	if (!err && root_entry && (err = plan_logger(o, root_entry, 1, &root)))
		err = refuse_logger(NULL, err);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		if (!(err = names_reserve(&want)))
			apply_levels(handlers, levels, plans, n, root_entry ? &root : NULL, &want);
		pthread_rwlock_unlock(&log_lock);
	}
	free(levels);
	free(plans);
	names_free(&want);
	return err;
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
	else if (!cJSON_IsNumber(version) || version->valuedouble != 1)
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
	if (!err) {
		pthread_mutex_lock(&log_config_lock);
		err = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "incremental"))
			      ? apply_incremental(doc)
			      : apply_full(doc, json);
		pthread_mutex_unlock(&log_config_lock);
	}
	cJSON_Delete(doc);
	if (!err)
		changed();
	return err;
}

/* A logger's config file written: its dictConfig entry, checked whole first. */
int log_logger_config_set(const char *name, const char *json)
{
	cJSON *obj = cJSON_Parse(json);
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return osfs_refuse(EINVAL, "config takes one JSON object");
	}
	struct plan p = {0};
	pthread_mutex_lock(&log_config_lock);
	struct log_logger *l = registry_logger(name);
	int err = l ? plan_logger(log_reg.objects, obj, 0, &p)
		    : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		plan_apply(&p, l);
		if (cJSON_GetObjectItemCaseSensitive(obj, "disabled"))
			l->disabled = p.disabled;
		registry_changed();
		pthread_rwlock_unlock(&log_lock);
	}
	pthread_mutex_unlock(&log_config_lock);
	plan_free(&p);
	cJSON_Delete(obj);
	if (!err)
		changed();
	return err;
}

int log_logger_config_get(const char *name, struct osfs_buf *out)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_logger *l = registry_logger(name);
	int err = l ? 0 : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (l) {
		cJSON *o = logger_json(l);
		char *t = cJSON_Print(o);
		osfs_buf_printf(out, "%s\n", t ? t : "");
		cJSON_free(t);
		cJSON_Delete(o);
	}
	pthread_rwlock_unlock(&log_lock);
	return err;
}
