/* logging.basicConfig(**kwargs): its keyword arguments as a JSON object (or
 * key=value lines), with Python's rules in Python's order: nothing happens while
 * the root logger has handlers unless force; incompatible arguments are the
 * ValueErrors Python raises; the handler made is a FileHandler (filename) or a
 * StreamHandler (stream, default the daemon's stderr) with a Formatter of
 * BASIC_FORMAT in the style given.  Unlike Python the call is all or nothing:
 * every check is made before anything changes.
 *
 * osfs names every object, so the handler and formatter made are named
 * basic_config (basic_config.2, ... when the name is taken by an object that
 * stays).  force detaches the root's handlers; those nothing else uses go (are
 * closed), as Python closes them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/errno.h"
#include "osfs/fmt.h"
#include "osfs/refuse.h"

#define BASIC_NAME "basic_config"

static const char *const known[] = {"filename", "filemode", "format", "datefmt", "style", "level",
				    "stream", "handlers", "force", "encoding", "errors"};

/* kwargs[key]: the last one given (json.loads keeps the last of a key). */
static const cJSON *arg(const cJSON *kw, const char *key)
{
	const cJSON *c, *found = NULL;
	cJSON_ArrayForEach(c, kw)
		if (strcmp(c->string, key) == 0)
			found = c;
	return found;
}

/* Python's truth of a JSON value. */
static int truthy(const cJSON *v)
{
	if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return *v->valuestring != '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	return 1;
}

/* key=value lines as the JSON object they stand for: force a boolean, handlers
 * names, level a number when it is one, the rest text. */
static int parse_lines(const char *doc, cJSON **out)
{
	cJSON *kw = cJSON_CreateObject();
	char *copy = strdup(doc), *save = NULL;
	int err = kw && copy ? 0 : -ENOMEM;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; !err && line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			err = osfs_refuse(EINVAL, "expected key=value, got '%s'", line);
			break;
		}
		*eq = '\0';
		const char *key = line, *value = eq + 1;
		cJSON *v = NULL;
		int b, n;
		if (strcmp(key, "force") == 0) {
			if (osfs_parse_bool(value, &b) < 0)
				err = osfs_refuse(EINVAL, "force: '%s' is not a boolean", value);
			else
				v = cJSON_CreateBool(b);
		} else if (strcmp(key, "handlers") == 0) {
			char **ids = NULL;
			size_t count = 0;
			err = strlist_split(value, &ids, &count);
			v = err ? NULL : cJSON_CreateArray();
			for (size_t i = 0; v && i < count; i++)
				cJSON_AddItemToArray(v, cJSON_CreateString(ids[i]));
			strlist_free(&ids, &count);
		} else if (strcmp(key, "level") == 0 && osfs_parse_int(value, &n) == 0) {
			v = cJSON_CreateNumber(n);
		} else {
			v = cJSON_CreateString(value);
		}
		if (!err && !v)
			err = -ENOMEM;
		if (!err)
			cJSON_AddItemToObject(kw, key, v);
	}
	free(copy);
	if (err)
		cJSON_Delete(kw);
	else
		*out = kw;
	return err;
}

/* What the call is to do, checked whole before anything changes. */
struct basic {
	const cJSON *kw;
	int force;
	struct log_obj **drop; /* the root's handlers force detaches */
	size_t ndrop;
	struct log_obj **add;  /* handlers for the root: named ones, or the one made */
	size_t nadd;
	struct log_obj *made, *fmt;       /* new slots (not yet in the set) */
	struct log_obj *replaced[2];      /* what made and fmt replace: handler, formatter */
	int has_level, level;
};

/* _checkLevel: an int, or a registered name. */
static int check_level(const cJSON *v, int *level)
{
	if (cJSON_IsBool(v)) {
		*level = cJSON_IsTrue(v);
		return 0;
	}
	if (cJSON_IsNumber(v) && v->valuedouble >= INT_MIN && v->valuedouble <= INT_MAX &&
	    v->valuedouble == (double)(int)v->valuedouble) {
		*level = (int)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v)) {
		if (log_level_of(v->valuestring, level) == 0)
			return 0;
		struct osfs_buf r = {0};
		pv_repr_str(v->valuestring, strlen(v->valuestring), &r);
		int err = osfs_refuse(EINVAL, "Unknown level: %s", r.data ? r.data : "");
		osfs_buf_free(&r);
		return err;
	}
	char *t = cJSON_PrintUnformatted(v);
	int err = osfs_refuse(EINVAL, "Level not an integer or a valid string: %s", t ? t : "?");
	cJSON_free(t);
	return err;
}

static int in_list(struct log_obj *const *slots, size_t n, const struct log_obj *s)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i] == s)
			return 1;
	return 0;
}

/* Whether a handler stays in use once force has detached the root's: another
 * logger has it, a MemoryHandler or QueueHandler names it, or the call re-adds it. */
static int handler_stays(const struct basic *c, const struct log_obj *s)
{
	if (in_list(c->add, c->nadd, s))
		return 1;
	FOR_EACH_LOGGER(l)
		if (l != log_reg.root && in_list(l->handlers, l->nhandlers, s))
			return 1;
	for (struct log_obj *o = log_reg.objects->kind[OBJ_HANDLERS].first; o; o = o->next) {
		const cJSON *kw = o->handler->kwargs, *t = cJSON_GetObjectItemCaseSensitive(kw, "target");
		const cJSON *hs = cJSON_GetObjectItemCaseSensitive(kw, "handlers"), *h;
		if (o == s || in_list(c->drop, c->ndrop, o))
			continue;
		if (cJSON_IsString(t) && strcmp(t->valuestring, s->id) == 0)
			return 1;
		cJSON_ArrayForEach(h, hs)
			if (cJSON_IsString(h) && strcmp(h->valuestring, s->id) == 0)
				return 1;
	}
	return 0;
}

static int formatter_stays(const struct basic *c, const struct log_obj *f)
{
	for (struct log_obj *o = log_reg.objects->kind[OBJ_HANDLERS].first; o; o = o->next)
		if (o->handler->formatter == f &&
		    !(in_list(c->drop, c->ndrop, o) && !handler_stays(c, o)))
			return 1;
	return 0;
}

/* A name for what the call makes: basic_config, or the first basic_config.N that
 * is free or held by an object that goes.  *old is that object, if any. */
static void pick_name(const struct basic *c, int kind, char *name, size_t size, struct log_obj **old)
{
	for (unsigned n = 1;; n++) {
		if (n == 1)
			snprintf(name, size, "%s", BASIC_NAME);
		else
			snprintf(name, size, "%s.%u", BASIC_NAME, n);
		struct log_obj *s = objects_get(log_reg.objects, kind, name);
		int goes = s && (kind == OBJ_HANDLERS ? in_list(c->drop, c->ndrop, s) && !handler_stays(c, s)
						       : !formatter_stays(c, s));
		if (!s || goes) {
			*old = s;
			return;
		}
	}
}

/* The handler basicConfig makes: FileHandler(filename, filemode, encoding,
 * errors) or StreamHandler(stream). */
static int make_handler(struct basic *c)
{
	const cJSON *filename = arg(c->kw, "filename"), *mode = arg(c->kw, "filemode");
	const cJSON *stream = arg(c->kw, "stream");
	cJSON *spec = cJSON_CreateObject();
	if (!spec)
		return -ENOMEM;
	if (truthy(filename)) {
		cJSON_AddStringToObject(spec, "class", "logging.FileHandler");
		cJSON_AddItemToObject(spec, "filename", cJSON_Duplicate(filename, 1));
		if (mode)
			cJSON_AddItemToObject(spec, "mode", cJSON_Duplicate(mode, 1));
		static const char *const passed[] = {"encoding", "errors"};
		for (size_t i = 0; i < 2; i++) {
			const cJSON *v = arg(c->kw, passed[i]);
			if (v && !cJSON_IsNull(v))
				cJSON_AddItemToObject(spec, passed[i], cJSON_Duplicate(v, 1));
		}
	} else {
		cJSON_AddStringToObject(spec, "class", "logging.StreamHandler");
		if (stream && !cJSON_IsNull(stream))
			cJSON_AddItemToObject(spec, "stream", cJSON_Duplicate(stream, 1));
	}
	char name[64];
	pick_name(c, OBJ_HANDLERS, name, sizeof name, &c->replaced[0]);
	c->made = obj_new(name);
	struct conv cv;
	conv_init(&cv, spec);
	struct build_ctx b = {.cv = &cv, .o = log_reg.objects, .document = 0};
	int err = c->made ? build_handler(&b, name, spec, &c->made->handler) : -ENOMEM;
	conv_free(&cv);
	cJSON_Delete(spec);
	/* basicConfig raises the handler's exception itself, not dictConfig's chain:
	 * its message without the "TypeError: " a chain shows */
	const char *why = osfs_refusal(), *type_end = strstr(why, "Error: ");
	if (err && type_end && strspn(why, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
				       (size_t)(type_end + 5 - why))
		osfs_refuse(-err, "%s", type_end + 7);
	if (!err && !(c->add = calloc(1, sizeof *c->add)))
		err = -ENOMEM;
	if (!err)
		c->add[c->nadd++] = c->made;
	return err;
}

/* The handlers named by `handlers`, in order, each once. */
static int named_handlers(struct basic *c, const cJSON *handlers)
{
	if (!cJSON_IsArray(handlers))
		return osfs_refuse(EINVAL, "handlers: a list of handler names");
	c->add = calloc((size_t)cJSON_GetArraySize(handlers) + 1, sizeof *c->add);
	if (!c->add)
		return -ENOMEM;
	const cJSON *h;
	cJSON_ArrayForEach(h, handlers) {
		struct log_obj *s = cJSON_IsString(h) ? objects_get(log_reg.objects, OBJ_HANDLERS, h->valuestring)
						      : NULL;
		if (!cJSON_IsString(h))
			return osfs_refuse(EINVAL, "handlers: a list of handler names");
		if (!s)
			return osfs_refuse(EINVAL, "handlers: no handler named '%s'", h->valuestring);
		if (!in_list(c->add, c->nadd, s))
			c->add[c->nadd++] = s;
	}
	return 0;
}

/* The Formatter(format, datefmt, style), made only when a handler lacks one. */
static int make_formatter(struct basic *c)
{
	const cJSON *style = arg(c->kw, "style"), *format = arg(c->kw, "format");
	const cJSON *datefmt = arg(c->kw, "datefmt");
	char s = '%';
	if (style && !(cJSON_IsString(style) && strlen(style->valuestring) == 1 &&
		       strchr("%{$", style->valuestring[0])))
		return osfs_refuse(EINVAL, "Style must be one of: %%,{,$");
	if (style)
		s = style->valuestring[0];
	static const struct {
		char style;
		const char *basic;
	} basic_formats[] = {{'%', "%(levelname)s:%(name)s:%(message)s"},
			     {'{', "{levelname}:{name}:{message}"},
			     {'$', "${levelname}:${name}:${message}"}};
	const char *fmt = basic_formats[0].basic;
	for (size_t i = 0; i < sizeof basic_formats / sizeof basic_formats[0]; i++)
		if (basic_formats[i].style == s)
			fmt = basic_formats[i].basic;
	if (format && !cJSON_IsNull(format) && !cJSON_IsString(format))
		return osfs_refuse(EINVAL, "format: a string");
	if (format && cJSON_IsString(format))
		fmt = format->valuestring;
	else if (format) /* format=None: Formatter(None), the style's "%(message)s" */
		fmt = NULL;
	if (datefmt && !cJSON_IsNull(datefmt) && !cJSON_IsString(datefmt))
		return osfs_refuse(EINVAL, "datefmt: a string");
	const char *dfs = datefmt && cJSON_IsString(datefmt) ? datefmt->valuestring : NULL;
	struct log_formatter *f = log_formatter_new(fmt, dfs, s, NULL, 1);
	if (!f)
		return osfs_refusal()[0] ? -EINVAL : -ENOMEM;
	int needed = 0;
	for (size_t i = 0; i < c->nadd; i++)
		needed |= c->add[i]->handler->formatter == NULL;
	if (!needed) { /* Python makes it and no one keeps it */
		log_formatter_free(f);
		return 0;
	}
	char name[64];
	pick_name(c, OBJ_FORMATTERS, name, sizeof name, &c->replaced[1]);
	if (!(c->fmt = obj_new(name))) {
		log_formatter_free(f);
		return -ENOMEM;
	}
	c->fmt->formatter = f;
	return 0;
}

/* Python's order of pops and checks; what is left is unrecognised. */
static int plan(struct basic *c)
{
	const cJSON *handlers = arg(c->kw, "handlers");
	int err = 0;
	if (handlers && cJSON_IsNull(handlers))
		handlers = NULL;
	if (!handlers && arg(c->kw, "stream") && arg(c->kw, "filename"))
		return osfs_refuse(EINVAL, "'stream' and 'filename' should not be specified together");
	if (handlers && (arg(c->kw, "stream") || arg(c->kw, "filename")))
		return osfs_refuse(EINVAL,
				   "'stream' or 'filename' should not be specified together with 'handlers'");
	if ((err = handlers ? named_handlers(c, handlers) : make_handler(c)))
		return err;
	if ((err = make_formatter(c)))
		return err;
	const cJSON *level = arg(c->kw, "level");
	if (level && !cJSON_IsNull(level)) {
		if ((err = check_level(level, &c->level)))
			return err;
		c->has_level = 1;
	}
	/* popped: these always; filename, filemode and stream only without handlers */
	struct osfs_buf left = {0};
	const cJSON *k;
	cJSON_ArrayForEach(k, c->kw) {
		size_t i = 0;
		while (i < sizeof known / sizeof known[0] && strcmp(known[i], k->string) != 0)
			i++;
		int popped = i < sizeof known / sizeof known[0] &&
			     !(handlers && (strcmp(k->string, "filemode") == 0));
		if (popped || arg(c->kw, k->string) != k)
			continue;
		osfs_buf_printf(&left, "%s%s", left.len ? ", " : "", k->string);
	}
	if (left.len)
		err = osfs_refuse(EINVAL, "Unrecognised argument(s): %s", left.data);
	osfs_buf_free(&left);
	return err ? err : osfs_buf_error(&left);
}

/* Under the write lock: the new slots in, force's out, the root's handlers and
 * level set.  0, or -ENOMEM with nothing changed. */
static int swap_in(struct basic *c)
{
	struct log_objects *o = log_reg.objects;
	struct log_logger *root = log_reg.root;
	size_t keep = 0;
	struct log_obj **list = calloc(root->nhandlers + c->nadd + 1, sizeof *list);
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < root->nhandlers; i++)
		if (!in_list(c->drop, c->ndrop, root->handlers[i]))
			list[keep++] = root->handlers[i];
	for (size_t i = 0; i < c->nadd; i++)
		if (!in_list(list, keep, c->add[i]))
			list[keep++] = c->add[i];
	for (int k = 0; k < 2; k++)
		if (c->replaced[k])
			objects_unlink(o, k == 0 ? OBJ_HANDLERS : OBJ_FORMATTERS, c->replaced[k]);
	int err = c->fmt ? objects_add(o, OBJ_FORMATTERS, c->fmt) : 0;
	if (!err && c->made && (err = objects_add(o, OBJ_HANDLERS, c->made)) && c->fmt)
		objects_unlink(o, OBJ_FORMATTERS, c->fmt);
	if (err) { /* back as it was */
		for (int k = 0; k < 2; k++)
			if (c->replaced[k])
				objects_add(o, k == 0 ? OBJ_HANDLERS : OBJ_FORMATTERS, c->replaced[k]);
		free(list);
		return err;
	}
	for (size_t i = 0; i < c->nadd; i++)
		if (!c->add[i]->handler->formatter)
			c->add[i]->handler->formatter = c->fmt;
	free(root->handlers);
	root->handlers = list;
	root->nhandlers = keep;
	if (c->has_level)
		root->level = c->level;
	registry_changed();
	return 0;
}

/* The detached handlers nothing uses any more, after the swap: drained, closed. */
static void let_go(struct basic *c)
{
	for (size_t i = 0; i < c->ndrop; i++) {
		struct log_obj *s = c->drop[i];
		if (s == c->replaced[0] || in_list(c->add, c->nadd, s) || !objects_get(log_reg.objects,
			OBJ_HANDLERS, s->id) || handler_stays(c, s))
			continue;
		pthread_rwlock_wrlock(&log_lock);
		objects_unlink(log_reg.objects, OBJ_HANDLERS, s);
		pthread_rwlock_unlock(&log_lock);
		handler_drain(s->handler, 1);
		obj_free(OBJ_HANDLERS, s);
	}
	if (c->replaced[0]) {
		handler_drain(c->replaced[0]->handler, 1);
		obj_free(OBJ_HANDLERS, c->replaced[0]);
	}
	if (c->replaced[1])
		obj_free(OBJ_FORMATTERS, c->replaced[1]);
}

int log_basic_config(const char *doc)
{
	const char *p = doc + strspn(doc, " \t\r\n");
	cJSON *kw = NULL;
	int err = 0;
	if (*p == '{') {
		kw = py_json_parse(p, strlen(p), &err); /* as json.loads reads it */
		if (!err && !cJSON_IsObject(kw))
			err = osfs_refuse(EINVAL, "basic_config takes one JSON object of keyword arguments");
	} else {
		err = parse_lines(p, &kw);
	}
	struct basic c = {.kw = kw};
	pthread_mutex_lock(&log_config_lock);
	int acted = 0;
	if (!err) {
		c.force = truthy(arg(kw, "force"));
		struct log_logger *root = log_reg.root;
		if (c.force && root->nhandlers) {
			c.drop = malloc(root->nhandlers * sizeof *c.drop);
			if (!c.drop)
				err = -ENOMEM;
			else
				memcpy(c.drop, root->handlers, root->nhandlers * sizeof *c.drop);
			c.ndrop = c.drop ? root->nhandlers : 0;
		}
		acted = !err && (c.force || root->nhandlers == 0);
	}
	/* the handler made opens its file only once everything is accepted */
	if (acted && !(err = plan(&c)) && !(err = c.made ? handlers_commit(&c.made->handler, 1) : 0)) {
		pthread_rwlock_wrlock(&log_lock);
		err = swap_in(&c);
		pthread_rwlock_unlock(&log_lock);
		if (!err) {
			c.made = c.fmt = NULL; /* the set has them now */
			let_go(&c);
		} else if (c.made) {
			handlers_uncommit(&c.made->handler, 1);
		}
	}
	pthread_mutex_unlock(&log_config_lock);
	if (c.made)
		obj_free(OBJ_HANDLERS, c.made);
	if (c.fmt)
		obj_free(OBJ_FORMATTERS, c.fmt);
	free(c.drop);
	free(c.add);
	cJSON_Delete(kw);
	if (!err && acted)
		changed();
	return err;
}
