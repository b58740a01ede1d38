/* DictConfigurator.configure_handler: a handler from its entry, in Python's
 * order -- formatter, level and filters taken out, the class resolved (with its
 * special cases: MemoryHandler's target and flushLevel, QueueHandler's handlers,
 * SMTPHandler's mailhost and SysLogHandler's address as tuples), every other key
 * a keyword argument, then the '.' key's attributes.  Building prepares: names
 * are resolved and paths checked, but nothing is created or truncated until the
 * whole configuration has been accepted and handler_commit runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

/* How Python names a class's __init__ in its TypeErrors, how many of its
 * parameters (the first ones) have no default, and how many it has. */
static const struct {
	const char *cls, *init;
	int required, nparams;
} signatures[] = {
	{"logging.StreamHandler", "StreamHandler", 0, 1},
	{"logging.FileHandler", "FileHandler", 1, 5},
	{"logging.NullHandler", "Handler", 0, 1},
	{"logging.handlers.WatchedFileHandler", "WatchedFileHandler", 1, 5},
	{"logging.handlers.RotatingFileHandler", "RotatingFileHandler", 1, 7},
	{"logging.handlers.TimedRotatingFileHandler", "TimedRotatingFileHandler", 1, 9},
	{"logging.handlers.SocketHandler", "SocketHandler", 2, 2},
	{"logging.handlers.DatagramHandler", "DatagramHandler", 2, 2},
	{"logging.handlers.SysLogHandler", "SysLogHandler", 0, 3},
	{"logging.handlers.SMTPHandler", "SMTPHandler", 4, 7},
	{"logging.handlers.MemoryHandler", "MemoryHandler", 1, 4},
	{"logging.handlers.HTTPHandler", "HTTPHandler", 2, 6},
	{"logging.handlers.QueueHandler", "QueueHandler", 1, 1},
	{"logging.handlers.NTEventLogHandler", "NTEventLogHandler", 1, 3},
};

const char *handler_signature(const struct handler_class *cls, int *required, int *nparams)
{
	for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++)
		if (strcmp(signatures[i].cls, cls->name) == 0) {
			*required = signatures[i].required;
			*nparams = signatures[i].nparams;
			return signatures[i].init;
		}
	*required = *nparams = 0;
	return strrchr(cls->name, '.') + 1;
}

int handler_missing_arguments(const struct handler_class *cls, const char *init, int required,
			      const cJSON *given)
{
	char missing[400] = "";
	int n = 0;
	for (int i = 0; i < required; i++)
		if (!cJSON_GetObjectItemCaseSensitive(given, cls->params[i]))
			n++;
	for (int i = 0, k = 0; i < required; i++) {
		if (cJSON_GetObjectItemCaseSensitive(given, cls->params[i]))
			continue;
		k++;
		size_t at = strlen(missing);
		snprintf(missing + at, sizeof missing - at, "%s'%s'",
			 k == 1 ? "" : k == n ? (n == 2 ? " and " : ", and ") : ", ", cls->params[i]);
	}
	if (n)
		return py_error("TypeError", "%s.__init__() missing %d required positional argument%s: %s",
				init, n, n == 1 ? "" : "s", missing);
	return 0;
}

static const char *init_name(const struct handler_class *cls, int *required)
{
	int nparams;
	const char *init = handler_signature(cls, required, &nparams);
	if (strcmp(cls->name, "logging.handlers.QueueHandler") == 0)
		*required = 0; /* dictConfig makes the queue */
	return init;
}

/* Parameters Python takes by their truth (`if delay:`): passed on as booleans. */
static const struct {
	const char *cls, *param;
} truthy[] = {
	{NULL, "delay"},
	{NULL, "utc"},
	{NULL, "flushOnClose"},
	{NULL, "respect_handler_level"},
	{"logging.handlers.HTTPHandler", "secure"},
};

/* The attributes every handler has that the '.' key may set. */
static const struct handler_attr common_attrs[] = {
	{"level", ATTR_LEVEL, 0},
	{"name", ATTR_IGNORED, 0}, /* dictConfig names the handler after setting them */
	{NULL, 0, 0},
};

const struct handler_attr stream_attrs[] = {
	{"terminator", ATTR_STR, 0},
	{NULL, 0, 0},
};

/* The class a '()' or class value names: 0 with it, or a refusal. */
static int handler_class_of(const cJSON *cname, const struct handler_class **cls)
{
	const struct pn_row *r = NULL;
	int err = 0;
	cname = py_deref(cname);
	if (py_kind(cname) == PN_CLASS)
		r = pn_find(cname->valuestring, strlen(cname->valuestring));
	else if (cJSON_IsString(cname))
		err = pn_resolve(cname->valuestring, &r);
	else if (py_kind(cname) >= 0)
		err = py_error("TypeError", "issubclass() arg 1 must be a class");
	else
		err = py_error("AttributeError", "'%s' object has no attribute 'split'",
			       py_type_name(cname));
	if (err)
		return err;
	if (r->kind != PN_CLASS)
		return py_error("TypeError", "issubclass() arg 1 must be a class");
	*cls = handler_class_find(r->text);
	if (!*cls || strcmp((*cls)->name, r->text) != 0)
		return osfs_refuse(EINVAL, "'%s' is not a handler class osfs makes", r->text);
	return 0;
}

/* A handler the document names, as self.config['handlers'][name] finds it, built
 * already: 0 with its id, or a refusal (why: the TypeError of one not built yet). */
static int required_handler(struct build_ctx *b, const cJSON *name, const char *why, char **id)
{
	struct log_obj *slot;
	int err = build_named(b, OBJ_HANDLERS, name, &slot);
	if (err == -EAGAIN)
		return py_error("TypeError", "%s", why);
	if (err)
		return err;
	*id = slot->id;
	return 0;
}

static int is_class(const struct handler_class *cls, const char *name)
{
	return strcmp(cls->name, name) == 0;
}

/* MemoryHandler's and QueueHandler's handlers by name, checked as Python checks
 * them (not configured yet: the handler is deferred). */
static int special_cases(struct build_ctx *b, const struct handler_class *cls, cJSON *config)
{
	cJSON *v;
	int err = 0;
	if (is_class(cls, "logging.handlers.MemoryHandler")) {
		if (conv_has(config, "flushLevel")) {
			int level;
			if ((err = conv_get(b->cv, config, "flushLevel", &v)) || (err = build_level(v, &level)))
				return err;
			conv_set(b->cv, config, "flushLevel", cJSON_CreateNumber(level));
		}
		if (conv_has(config, "target")) {
			char *id = NULL;
			if (!(err = conv_get(b->cv, config, "target", &v)))
				err = required_handler(b, v, "target not configured yet", &id);
			if (err) {
				struct osfs_buf r = {0};
				py_repr(v, &r);
				err = osfs_refuse_prefix(EINVAL, "Unable to set target handler %s",
							 r.data ? r.data : "");
				osfs_buf_free(&r);
				return err;
			}
			conv_set(b->cv, config, "target", cJSON_CreateString(id));
		}
	} else if (is_class(cls, "logging.handlers.QueueHandler") && conv_has(config, "handlers")) {
		cJSON *names = cJSON_CreateArray(), *items;
		if (!names || (err = conv_get(b->cv, config, "handlers", &v))) {
			cJSON_Delete(names);
			return err ? err : -ENOMEM;
		}
		items = py_copy(v, &err);
		if (!cJSON_IsArray(items)) {
			cJSON_Delete(items);
			cJSON_Delete(names);
			return osfs_refuse(EINVAL, "handlers: a list of names");
		}
		for (const cJSON *c = items->child; c && !err; c = c->next) {
			char *id = NULL, why[600];
			snprintf(why, sizeof why, "Required handler %s is not configured yet",
				 cJSON_IsString(c) ? py_repr_s(c->valuestring, 0) : "?");
			err = required_handler(b, c, why, &id);
			if (!err) {
				cJSON_AddItemToArray(names, cJSON_CreateString(id));
			} else {
				struct osfs_buf r = {0};
				py_repr(c, &r);
				err = osfs_refuse_prefix(EINVAL, "Unable to set required handler %s",
							 r.data ? r.data : "");
				osfs_buf_free(&r);
			}
		}
		cJSON_Delete(items);
		if (err) {
			cJSON_Delete(names);
			return err;
		}
		conv_set(b->cv, config, "handlers", names);
	} else if ((is_class(cls, "logging.handlers.SMTPHandler") && conv_has(config, "mailhost")) ||
		   (is_class(cls, "logging.handlers.SysLogHandler") && conv_has(config, "address"))) {
		/* as_tuple: a list becomes a tuple */
		const char *key = conv_has(config, "mailhost") ? "mailhost" : "address";
		if ((err = conv_get(b->cv, config, key, &v)))
			return err;
		if (cJSON_IsArray(v) && !(v->type & PY_TUPLE)) {
			int e;
			cJSON *t = py_copy(v, &e);
			if (!t)
				return e;
			t->type |= PY_TUPLE;
			conv_set(b->cv, config, key, t);
		}
	}
	return 0;
}

/* Whether a handler waits for others of the document: MemoryHandler's target and
 * QueueHandler's handlers are built first (Python defers the handler when they
 * are "not configured yet"). */
int build_handler_waits(struct build_ctx *b, cJSON *config)
{
	config = (cJSON *)py_deref(config);
	cJSON *cname, *v;
	const struct handler_class *cls;
	if (!b->document || !cJSON_IsObject(config) || conv_has(config, "()") ||
	    conv_get(b->cv, config, "class", &cname) || !cname || handler_class_of(cname, &cls)) {
		osfs_refusal_clear();
		return 0; /* its error, if any, comes when it is built */
	}
	int memory = is_class(cls, "logging.handlers.MemoryHandler");
	if (!memory && !is_class(cls, "logging.handlers.QueueHandler"))
		return 0;
	if (conv_get(b->cv, config, memory ? "target" : "handlers", &v) || !v) {
		osfs_refusal_clear();
		return 0;
	}
	int waits = 0;
	if (memory || !cJSON_IsArray(v)) {
		struct log_obj *slot;
		waits = build_named(b, OBJ_HANDLERS, v, &slot) == -EAGAIN;
	}
	for (const cJSON *c = !memory && cJSON_IsArray(v) ? v->child : NULL; c && !waits; c = c->next) {
		struct log_obj *slot;
		waits = build_named(b, OBJ_HANDLERS, c, &slot) == -EAGAIN;
	}
	osfs_refusal_clear();
	return waits;
}

/* A value of the keyword arguments as the class takes it: data, or a stream. */
static int kwarg_value(const struct handler_class *cls, const char *key, const cJSON *v, cJSON **out)
{
	int err;
	*out = py_copy(v, &err);
	if (!*out)
		return err;
	for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++)
		if (strcmp(truthy[i].param, key) == 0 && (!truthy[i].cls || is_class(cls, truthy[i].cls))) {
			int t = py_truth(*out);
			cJSON_Delete(*out);
			*out = cJSON_CreateBool(t);
			return *out ? 0 : -ENOMEM;
		}
	int kind = py_kind(*out);
	if (kind == PN_STREAM && is_class(cls, "logging.StreamHandler") && strcmp(key, "stream") == 0) {
		char text[64];
		snprintf(text, sizeof text, "ext://%s", (*out)->valuestring);
		cJSON_Delete(*out);
		*out = cJSON_CreateString(text);
		return *out ? 0 : -ENOMEM;
	}
	if (kind >= 0) {
		struct osfs_buf r = {0};
		py_repr(*out, &r);
		err = osfs_refuse(EINVAL, "%s: %s is no value osfs can give %s (osfs runs no Python)",
				  key, r.data ? r.data : "", cls->name);
		osfs_buf_free(&r);
		cJSON_Delete(*out);
		*out = NULL;
		return err;
	}
	return 0;
}

static int keyword_arguments(struct build_ctx *b, const struct handler_class *cls, cJSON *config,
			     cJSON *kwargs)
{
	int required;
	const char *init = init_name(cls, &required);
	int err;
	cJSON *keys = build_iterate(config, &err); /* values are replaced as they are read */
	for (const cJSON *k = keys ? keys->child : NULL; k && !err; k = k->next) {
		const char *key = k->valuestring;
		cJSON *v, *value;
		if (strcmp(key, ".") == 0)
			continue;
		if (!(err = valid_ident(key)))
			err = conv_get(b->cv, config, key, &v);
		size_t i = 0;
		while (!err && cls->params && cls->params[i] && strcmp(cls->params[i], key) != 0)
			i++;
		if (!err && (!cls->params || !cls->params[i]))
			err = py_error("TypeError", "%s.__init__() got an unexpected keyword argument '%s'",
				       init, key);
		if (!err && !(err = kwarg_value(cls, key, v, &value)))
			cJSON_AddItemToObject(kwargs, key, value);
	}
	cJSON_Delete(keys);
	if (err)
		return err;
	return handler_missing_arguments(cls, init, required, kwargs);
}

static const struct handler_attr *find_attr(const struct handler_attr *t, const char *name)
{
	for (; t && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* setattr(handler, name, value) for the attributes osfs models: the value checked
 * as the handler will use it, kept in h->props. */
static int set_attr(struct log_handler *h, const char *name, const cJSON *value)
{
	const struct handler_attr *a = find_attr(common_attrs, name);
	if (!a)
		a = find_attr(h->cls->attrs, name);
	if (!a)
		return osfs_refuse(EOPNOTSUPP, "'.': %s has no attribute '%s' that osfs models",
				   strrchr(h->cls->name, '.') + 1, name);
	value = py_deref(value);
	cJSON *v = NULL;
	const char *want = NULL;
	switch (a->type) {
	case ATTR_IGNORED: return 0;
	case ATTR_STR:
		if (cJSON_IsString(value))
			v = cJSON_CreateString(value->valuestring);
		want = "a str";
		break;
	case ATTR_LEVEL:
	case ATTR_INT:
		if (py_is_int(value))
			v = cJSON_CreateNumber(cJSON_IsBool(value) ? cJSON_IsTrue(value) : value->valuedouble);
		want = "an int";
		break;
	case ATTR_NUMBER:
		if (py_is_int(value) || cJSON_IsNumber(value))
			v = cJSON_CreateNumber(cJSON_IsBool(value) ? cJSON_IsTrue(value) : value->valuedouble);
		want = "a number";
		break;
	case ATTR_TRUTH: v = cJSON_CreateBool(py_truth(value)); break;
	case ATTR_STRLIST: {
		int ok = cJSON_IsArray(value), e;
		for (const cJSON *c = ok ? value->child : NULL; c; c = c->next)
			ok &= py_is_str(c);
		v = ok ? py_copy(value, &e) : NULL;
		want = "a list of str";
		break;
	}
	}
	if (!v)
		return osfs_refuse(EINVAL, "'.': %s must be %s, not %s (Python would fail on it at every "
				   "record)", name, want, py_type_name(value));
	if (strcmp(name, "level") == 0) { /* Handler.level itself: compared with each record's */
		cJSON_Delete(v);
		return build_level(value, &h->level);
	}
	if (strcmp(name, "terminator") == 0) {
		free(h->terminator);
		h->terminator = strdup(v->valuestring);
		if (!h->terminator) {
			cJSON_Delete(v);
			return -ENOMEM;
		}
	}
	if (!h->props && !(h->props = cJSON_CreateObject())) {
		cJSON_Delete(v);
		return -ENOMEM;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(h->props, name);
	cJSON_AddItemToObject(h->props, name, v);
	return 0;
}

static int set_props(struct build_ctx *b, struct log_handler *h, cJSON *config)
{
	cJSON *props;
	int err = conv_pop(b->cv, config, ".", &props);
	if (err || !py_truth(props))
		return err;
	if (!cJSON_IsObject(props))
		return py_error("AttributeError", "'%s' object has no attribute 'items'",
				conv_type_name(b->cv, props));
	for (const cJSON *c = props->child; c && !err; c = c->next) /* items(): as they are */
		err = set_attr(h, c->string, c);
	return err;
}

/* The arguments open() takes: the keyword arguments, and the attributes that
 * are taken as the keyword argument of the same name. */
static cJSON *open_arguments(const struct log_handler *h)
{
	cJSON *args = cJSON_Duplicate(h->kwargs, 1);
	for (const cJSON *c = h->props ? h->props->child : NULL; args && c; c = c->next) {
		const struct handler_attr *a = find_attr(h->cls->attrs, c->string);
		if (!a || !a->kwarg)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(args, c->string);
		cJSON_AddItemToObject(args, c->string, cJSON_Duplicate(c, 1));
	}
	return args;
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

static int configure(struct build_ctx *b, struct log_handler *h, cJSON *config)
{
	cJSON *formatter, *level, *filters, *cname;
	int err = conv_pop(b->cv, config, "formatter", &formatter);
	if (!err && py_truth(formatter) &&
	    (err = build_named(b, OBJ_FORMATTERS, formatter, &h->formatter))) {
		struct osfs_buf r = {0};
		py_repr(formatter, &r);
		err = osfs_refuse_prefix(EINVAL, "Unable to set formatter %s", r.data ? r.data : "");
		osfs_buf_free(&r);
	}
	if (!err)
		err = conv_pop(b->cv, config, "level", &level);
	if (!err)
		err = conv_pop(b->cv, config, "filters", &filters);
	if (err)
		return err;
	int custom = conv_has(config, "()");
	if ((err = conv_pop(b->cv, config, custom ? "()" : "class", &cname)))
		return err;
	if (!cname) /* config.pop('class') is None: resolve(None) */
		return py_error("AttributeError", "'NoneType' object has no attribute 'split'");
	if ((err = handler_class_of(cname, &h->cls)))
		return err;
	if (!custom && (err = special_cases(b, h->cls, config)))
		return err;
	if (!(h->kwargs = cJSON_CreateObject()))
		return -ENOMEM;
	if ((err = keyword_arguments(b, h->cls, config, h->kwargs)))
		return err;
	if (level && !cJSON_IsNull(level) && (err = build_level(level, &h->level)))
		return err;
	if ((err = build_names(b, OBJ_FILTERS, filters, &h->filters, &h->nfilters)))
		return err;
	return set_props(b, h, config);
}

/* What configure_handler says of an entry that is no dict: dict(config) first. */
static int not_a_handler_dict(struct build_ctx *b, const cJSON *config)
{
	config = py_deref(config);
	if (!cJSON_IsString(config) && !cJSON_IsArray(config))
		return py_error("TypeError", "'%s' object is not iterable", py_type_name(config));
	int err, i = 0;
	cJSON *items = build_iterate(config, &err);
	for (const cJSON *c = items ? items->child : NULL; c && !err; c = c->next, i++) {
		const cJSON *v = py_deref(c);
		int n = cJSON_IsString(v) ? (int)u8_count(v->valuestring, strlen(v->valuestring))
			: cJSON_IsArray(v) || cJSON_IsObject(v) ? cJSON_GetArraySize(v) : -1;
		if (n < 0)
			err = py_error("TypeError", "cannot convert dictionary update sequence element #%d "
				       "to a sequence", i);
		else if (n != 2)
			err = py_error(NULL, "dictionary update sequence element #%d has length %d; 2 is "
				       "required", i, n);
	}
	cJSON_Delete(items);
	if (err)
		return err;
	if (cJSON_IsString(config))
		return py_error("AttributeError", "'str' object has no attribute 'pop'");
	return py_error("TypeError", "%s.pop() takes from 1 to 2 positional arguments but 3 were "
			"given", conv_type_name(b->cv, config));
}

int build_handler(struct build_ctx *b, const char *id, cJSON *config, struct log_handler **out)
{
	struct log_handler *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->refs = 1;
	h->home = b->o;
	int err = (h->id = strdup(id)) ? 0 : -ENOMEM;
	if (!err && !py_is_dict(config))
		err = not_a_handler_dict(b, config);
	if (!err)
		err = configure(b, h, (cJSON *)py_deref(config));
	if (!err)
		err = unredact(h->id, h->kwargs);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(h->kwargs, "filename");
	if (!err && cJSON_IsString(name) && name->valuestring[0] != '/') {
		char *full = log_absolute(name->valuestring);
		if (!full)
			err = -ENOMEM;
		else
			cJSON_ReplaceItemInObjectCaseSensitive(h->kwargs, "filename", cJSON_CreateString(full));
		free(full);
	}
	if (!err && h->cls->open) {
		cJSON *args = open_arguments(h);
		err = args ? h->cls->open(h, args) : -ENOMEM;
		cJSON_Delete(args);
	}
	if (err) {
		handler_unref(h);
		return err;
	}
	*out = h;
	return 0;
}

const cJSON *handler_prop(const struct log_handler *h, const char *name)
{
	return h->props ? cJSON_GetObjectItemCaseSensitive(h->props, name) : NULL;
}

/* ---- commit: what has effects outside the daemon, once all is accepted ---- */

void handlers_uncommit(struct log_handler *const *hs, size_t n);

int handlers_commit(struct log_handler *const *hs, size_t n)
{
	size_t done = 0;
	int err = 0;
	for (; done < n && !err; done++)
		if (hs[done]->cls->commit && (err = hs[done]->cls->commit(hs[done], COMMIT_OPEN)))
			break;
	if (!err) {
		for (size_t i = 0; i < n; i++)
			if (hs[i]->cls->commit)
				hs[i]->cls->commit(hs[i], COMMIT_DONE);
		return 0;
	}
	char why[OSFS_REFUSAL_MAX];
	snprintf(why, sizeof why, "%s", osfs_refusal());
	handlers_uncommit(hs, done + 1); /* the failed one undoes what it made too */
	return osfs_refuse(-err, "Unable to configure handler %s: %s", py_repr_s(hs[done]->id, 0), why);
}

void handlers_uncommit(struct log_handler *const *hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hs[i]->cls->commit)
			hs[i]->cls->commit(hs[i], COMMIT_UNDO);
}
