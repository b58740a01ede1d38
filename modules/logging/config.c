/* logging.config.dictConfig: a document becomes a new set of formatters, filters
 * and handlers, built aside in DictConfigurator's order (formatters, filters,
 * handlers sorted by name, deferring those that wait for others), and a plan
 * for each logger it names, holding only the config lock.  Values are read as
 * Python's configurator reads them (convert.h: ext://, cfg://, Python's truth).
 * Only when the whole document has been accepted do the handlers open what they
 * write to (handlers_commit: all or none), and then, under the write lock for a
 * moment, the set is swapped in and the loggers are changed in place, as Python
 * changes them: named ones configured, their existing children reset, the other
 * existing ones disabled (or enabled: disable_existing_loggers). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/refuse.h"

/* What a logger's entry sets: checked before anything changes. */
struct plan {
	char *name;
	int has_level, level;
	int has_lists; /* handlers and filters replaced (not in incremental mode) */
	struct log_obj **handlers, **filters;
	size_t nhandlers, nfilters;
	int propagate; /* -1: as it is */
	int disabled;  /* osfs's readback says "disabled": true; Python enables what it names */
	int has_disabled;
};

/* configure_logger / configure_root: common_logger_config, then propagate. */
static int plan_logger(struct build_ctx *b, cJSON *config, int incremental, struct plan *p)
{
	p->propagate = -1;
	if (!py_is_dict(config))
		return py_error("AttributeError", "'%s' object has no attribute 'get'",
				conv_type_name(b->cv, config));
	config = (cJSON *)py_deref(config);
	cJSON *v;
	int err = conv_get(b->cv, config, "level", &v);
	if (!err && v && !cJSON_IsNull(v)) {
		p->has_level = 1;
		err = build_level(v, &p->level);
	}
	if (!err && !incremental) {
		p->has_lists = 1;
		if (!(err = conv_get(b->cv, config, "handlers", &v)))
			err = build_names(b, OBJ_HANDLERS, v, &p->handlers, &p->nhandlers);
		if (!err && !(err = conv_get(b->cv, config, "filters", &v)))
			err = build_names(b, OBJ_FILTERS, v, &p->filters, &p->nfilters);
	}
	if (!err && !(err = conv_get(b->cv, config, "disabled", &v)) && v) {
		p->has_disabled = 1;
		p->disabled = py_truth(v);
	}
	if (!err && !(err = conv_get(b->cv, config, "propagate", &v)) && v && !cJSON_IsNull(v))
		p->propagate = py_truth(v); /* logger.propagate = propagate: taken by its truth */
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
	free(p->name);
	free(p->handlers);
	free(p->filters);
}

static int is_root_name(const char *name)
{
	return !*name || strcmp(name, "root") == 0; /* getLogger("") and getLogger("root") */
}

static const char *const kind_word[] = {"handler", "formatter", "filter"};

/* "Unable to configure handler 'h'", the cause after it. */
static int unable(int err, const char *what, const char *name)
{
	if (err == -ENOMEM)
		return err;
	if (!name)
		return osfs_refuse_prefix(EINVAL, "Unable to configure %s", what);
	return osfs_refuse_prefix(EINVAL, "Unable to configure %s %s", what, py_repr_s(name, 2));
}

/* The names `for name in section` gives, as strings: a dict's keys; a list's or a
 * string's items make Python fail at section[name], and an empty one is no
 * section.  NULL: none; -errno in *err. */
static cJSON *section_names(const cJSON *section, const char *what, int *err)
{
	*err = 0;
	section = py_deref(section);
	if (!section || (cJSON_IsObject(section)))
		return section ? build_iterate(section, err) : NULL;
	cJSON *items = build_iterate(section, err);
	if (*err || !items->child) {
		cJSON_Delete(items);
		return NULL;
	}
	struct osfs_buf r = {0};
	py_repr(items->child, &r);
	if (cJSON_IsString(section))
		py_error("TypeError", "string indices must be integers, not 'str'");
	else
		py_error("TypeError", "%s indices must be integers or slices, not %s",
			 py_type_name(section), py_type_name(items->child));
	*err = osfs_refuse_prefix(EINVAL, "Unable to configure %s %s", what, r.data ? r.data : "");
	osfs_buf_free(&r);
	cJSON_Delete(items);
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One object of a section: built, added to the set, and standing in the section
 * in place of its entry (handlers[name] = handler). */
static int build_one(struct build_ctx *b, int kind, cJSON *section, const char *name)
{
	cJSON *entry;
	struct log_obj *slot = obj_new(name);
	int err = slot ? conv_get(b->cv, section, name, &entry) : -ENOMEM;
	if (!err)
		err = kind == OBJ_FORMATTERS ? build_formatter(b, entry, &slot->formatter)
		      : kind == OBJ_FILTERS  ? build_filter(b, entry, &slot->filter)
					     : build_handler(b, name, entry, &slot->handler);
	if (!err)
		err = objects_add(b->o, kind, slot);
	if (err) {
		obj_free(kind, slot);
		return unable(err, kind_word[kind], name);
	}
	static const int marks[] = {PN_HANDLER, PN_FORMATTER, PN_FILTER};
	/* a handler is id, class and level: Handler.__repr__ says the last two */
	char mark[700];
	struct osfs_buf level = {0};
	if (kind == OBJ_HANDLERS)
		log_level_name(slot->handler->level, &level);
	snprintf(mark, sizeof mark, "%s%s%s%s%s", name, kind == OBJ_HANDLERS ? "\t" : "",
		 kind == OBJ_HANDLERS ? strrchr(slot->handler->cls->name, '.') + 1 : "",
		 kind == OBJ_HANDLERS ? "\t" : "", level.data ? level.data : "");
	osfs_buf_free(&level);
	cJSON *m = py_object(marks[kind], mark);
	if (!m)
		return -ENOMEM;
	conv_set(b->cv, section, name, m);
	return 0;
}

/* formatters, filters, then handlers by sorted name, the deferred ones last. */
static int build_sections(struct build_ctx *b)
{
	static const struct {
		const char *section;
		int kind;
	} kinds[] = {{"formatters", OBJ_FORMATTERS}, {"filters", OBJ_FILTERS}, {"handlers", OBJ_HANDLERS}};
	int err = 0;
	for (size_t k = 0; !err && k < sizeof kinds / sizeof kinds[0]; k++) {
		cJSON *section, *names;
		if ((err = conv_get(b->cv, b->cv->root, kinds[k].section, &section)))
			break;
		if (!section) /* config.get(name, {}): the default dict is kept in the config */
			section = conv_default(b->cv, b->cv->root, kinds[k].section);
		names = section_names(section, kind_word[kinds[k].kind], &err);
		size_t n = (size_t)cJSON_GetArraySize(names), waiting = 0;
		const char **order = calloc(n ? n : 1, sizeof *order), **later = calloc(n ? n : 1, sizeof *later);
		if (!err && (!order || !later))
			err = -ENOMEM;
		size_t i = 0;
		for (const cJSON *c = names ? names->child : NULL; !err && c; c = c->next)
			order[i++] = c->valuestring;
		if (!err && kinds[k].kind == OBJ_HANDLERS)
			qsort(order, n, sizeof *order, by_name);
		for (i = 0; !err && i < n; i++) {
			cJSON *entry;
			if (kinds[k].kind == OBJ_HANDLERS &&
			    !(err = conv_get(b->cv, section, order[i], &entry)) && build_handler_waits(b, entry))
				later[waiting++] = order[i];
			else if (!err)
				err = build_one(b, kinds[k].kind, section, order[i]);
		}
		for (i = 0; !err && i < waiting; i++)
			err = build_one(b, kinds[k].kind, section, later[i]);
		free(order);
		free(later);
		cJSON_Delete(names);
	}
	return err;
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

static const char *item_key(const void *v)
{
	return ((const struct plan *)v)->name;
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

/* The plans of the loggers section (in its order; a name twice: the last entry). */
static int plan_loggers(struct build_ctx *b, int incremental, struct plan **plans, size_t *n,
			struct log_names *want)
{
	cJSON *section, *names = NULL;
	int err = conv_get(b->cv, b->cv->root, "loggers", &section);
	if (!err && !section)
		section = conv_default(b->cv, b->cv->root, "loggers");
	if (!err)
		names = section_names(section, "logger", &err);
	if (err)
		return err;
	*plans = calloc((size_t)cJSON_GetArraySize(names) + 1, sizeof **plans);
	if (!*plans) {
		cJSON_Delete(names);
		return -ENOMEM;
	}
	for (const cJSON *c = names ? names->child : NULL; !err && c; c = c->next) {
		cJSON *entry;
		struct plan *p = &(*plans)[(*n)++];
		if (!(p->name = strdup(c->valuestring)))
			err = -ENOMEM;
		else if (!(err = conv_get(b->cv, section, c->valuestring, &entry)))
			err = plan_logger(b, entry, incremental, p);
		if (err)
			err = unable(err, "logger", c->valuestring);
		else if (!is_root_name(c->valuestring))
			err = names_want(want, c->valuestring);
	}
	cJSON_Delete(names);
	return err;
}

/* `root = config.get('root'); if root: configure_root(root)` */
static int plan_root(struct build_ctx *b, int incremental, struct plan *root, int *has)
{
	cJSON *v;
	int err = conv_get(b->cv, b->cv->root, "root", &v);
	*has = !err && py_truth(v);
	if (*has && (err = plan_logger(b, v, incremental, root)))
		err = unable(err, "root logger", NULL);
	return err;
}

static void handlers_of(const struct log_objects *o, struct log_handler ***hs, size_t *n)
{
	*n = o->kind[OBJ_HANDLERS].n;
	*hs = calloc(*n ? *n : 1, sizeof **hs);
	size_t i = 0;
	for (struct log_obj *s = o->kind[OBJ_HANDLERS].first; *hs && s; s = s->next)
		(*hs)[i++] = s->handler;
}

/* A non-incremental dictConfig (the config lock held). */
static int apply_full(struct conv *cv, int disable)
{
	struct log_objects *o = objects_new();
	struct build_ctx b = {.cv = cv, .o = o, .document = 1};
	struct index named = {.key = item_key};
	struct log_names want = {0};
	struct plan *plans = NULL, root = {0};
	struct log_handler **hs = NULL;
	size_t n = 0, nh = 0;
	int has_root = 0;
	int err = o ? build_sections(&b) : -ENOMEM;
	if (!err)
		err = plan_loggers(&b, 0, &plans, &n, &want);
	for (size_t i = 0; !err && i < n; i++) {
		index_del(&named, plans[i].name);
		err = index_put(&named, &plans[i]);
	}
	if (!err)
		err = plan_root(&b, 0, &root, &has_root);
	if (!err) { /* accepted: now, and only now, files are opened */
		handlers_of(o, &hs, &nh);
		err = hs ? handlers_commit(hs, nh) : -ENOMEM;
	}
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		if (!(err = names_reserve(&want))) {
			struct log_objects *old = log_reg.objects;
			log_reg.objects = o;
			apply_loggers(plans, n, has_root ? &root : NULL, &want, &named, disable);
			o = old; /* what it held reaches its targets, then it goes, as dictConfig closes them */
		}
		pthread_rwlock_unlock(&log_lock);
		if (err)
			handlers_uncommit(hs, nh);
		else
			objects_drain(o);
	}
	free(hs);
	objects_free(o);
	for (size_t i = 0; i < n; i++)
		plan_free(&plans[i]);
	free(plans);
	plan_free(&root);
	names_free(&want);
	index_free(&named);
	return err;
}

/* Under the write lock: an incremental document's checked levels. */
static void apply_levels(struct log_handler **hs, const int *levels, size_t nh, struct plan *plans,
			 size_t n, struct plan *root, struct log_names *want)
{
	for (size_t i = 0; i < nh; i++)
		if (hs[i])
			hs[i]->level = levels[i];
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
static int apply_incremental(struct conv *cv)
{
	struct build_ctx b = {.cv = cv, .o = log_reg.objects, .document = 0};
	struct plan *plans = NULL, root = {0};
	struct log_names want = {0};
	cJSON *section, *names = NULL;
	size_t n = 0, nh = 0;
	int has_root = 0;
	int err = conv_get(cv, cv->root, "handlers", &section);
	if (!err && !section)
		section = conv_default(cv, cv->root, "handlers");
	if (!err)
		names = build_iterate(section, &err);
	nh = (size_t)cJSON_GetArraySize(names);
	struct log_handler **hs = calloc(nh + 1, sizeof *hs);
	int *levels = calloc(nh + 1, sizeof *levels);
	if (!err && (!hs || !levels))
		err = -ENOMEM;
	size_t i = 0;
	for (const cJSON *c = names ? names->child : NULL; !err && c; c = c->next, i++) {
		cJSON *config, *level;
		if (!cJSON_IsString(c) || !(hs[i] = objects_handler(log_reg.objects, c->valuestring))) {
			struct osfs_buf r = {0};
			py_repr(c, &r);
			err = py_error(NULL, "No handler found with name %s", r.data ? r.data : "");
			osfs_buf_free(&r);
			break;
		}
		levels[i] = hs[i]->level;
		if (!cJSON_IsObject(py_deref(section)))
			err = py_error("TypeError", "%s indices must be integers, not 'str'",
				       py_type_name(section));
		else if (!(err = conv_get(cv, section, c->valuestring, &config)) && !py_is_dict(config))
			err = py_error("AttributeError", "'%s' object has no attribute 'get'",
				       conv_type_name(cv, config));
		else if (!err && !(err = conv_get(cv, (cJSON *)py_deref(config), "level", &level)) &&
			 py_truth(level)) /* `if level:` */
			err = build_level(level, &levels[i]);
		if (err)
			err = unable(err, "handler", c->valuestring);
	}
	if (!err)
		err = plan_loggers(&b, 1, &plans, &n, &want);
	if (!err)
		err = plan_root(&b, 1, &root, &has_root);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		if (!(err = names_reserve(&want)))
			apply_levels(hs, levels, nh, plans, n, has_root ? &root : NULL, &want);
		pthread_rwlock_unlock(&log_lock);
	}
	cJSON_Delete(names);
	free(hs);
	free(levels);
	for (size_t k = 0; k < n; k++)
		plan_free(&plans[k]);
	free(plans);
	plan_free(&root);
	names_free(&want);
	return err;
}

int log_dict_config_doc(cJSON *doc, int raw)
{
	if (!cJSON_IsObject(doc))
		return osfs_refuse(EINVAL, "a configuration is a JSON object");
	struct conv cv;
	conv_init(&cv, doc);
	cv.raw = raw;
	cJSON *version, *incremental, *disable;
	int err = cv.grave ? 0 : -ENOMEM;
	if (!err && !conv_has(doc, "version"))
		err = py_error(NULL, "dictionary doesn't specify a version");
	if (!err && !(err = conv_get(&cv, doc, "version", &version))) {
		int one = (cJSON_IsNumber(version) && version->valuedouble == 1) || cJSON_IsTrue(version);
		struct osfs_buf s = {0};
		py_str(version, &s);
		if (!one)
			err = py_error(NULL, "Unsupported version: %s", s.data ? s.data : "");
		osfs_buf_free(&s);
	}
	if (!err)
		err = conv_pop(&cv, doc, "incremental", &incremental);
	if (!err)
		err = conv_pop(&cv, doc, "disable_existing_loggers", &disable);
	if (!err) {
		pthread_mutex_lock(&log_config_lock);
		err = py_truth(incremental) ? apply_incremental(&cv)
					    : apply_full(&cv, !disable || py_truth(disable));
		pthread_mutex_unlock(&log_config_lock);
	}
	conv_free(&cv);
	if (!err)
		changed();
	return err;
}

int log_dict_config(const char *json)
{
	int err;
	cJSON *doc = py_json_parse(json, strlen(json), &err);
	if (doc && !cJSON_IsObject(doc))
		err = osfs_refuse(EINVAL, "a configuration is a JSON object, not a %s", py_type_name(doc));
	if (!err)
		err = log_dict_config_doc(doc, 0);
	cJSON_Delete(doc);
	return err;
}

/* A logger's config file written: its dictConfig entry, checked whole first. */
int log_logger_config_set(const char *name, const char *json)
{
	int err;
	cJSON *obj = py_json_parse(json, strlen(json), &err);
	if (obj && !cJSON_IsObject(obj))
		err = osfs_refuse(EINVAL, "config takes one JSON object");
	if (err) {
		cJSON_Delete(obj);
		return err;
	}
	struct plan p = {0};
	struct conv cv;
	conv_init(&cv, obj);
	pthread_mutex_lock(&log_config_lock);
	struct build_ctx b = {.cv = &cv, .o = log_reg.objects, .document = 0};
	struct log_logger *l = registry_logger(name);
	err = l ? plan_logger(&b, obj, 0, &p) : osfs_refuse(ENOENT, "no logger named '%s'", name);
	if (!err) {
		pthread_rwlock_wrlock(&log_lock);
		plan_apply(&p, l);
		if (p.has_disabled)
			l->disabled = p.disabled;
		registry_changed();
		pthread_rwlock_unlock(&log_lock);
	}
	pthread_mutex_unlock(&log_config_lock);
	plan_free(&p);
	conv_free(&cv);
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
