/* Objects built from a configuration, as DictConfigurator builds them: levels as
 * _checkLevel takes them, formatters (configure_formatter), filters
 * (configure_filter), and the names a handler or logger gives of them
 * (add_handlers, add_filters).  Values are read through convert.h, so that
 * ext:// and cfg:// work wherever Python reads a value.  Handlers: build_handler.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

int build_level(const cJSON *v, int *level)
{
	v = py_deref(v);
	if (py_is_int(v)) {
		double x = cJSON_IsBool(v) ? cJSON_IsTrue(v) : v->valuedouble;
		if (!(x >= INT_MIN && x <= INT_MAX))
			return osfs_refuse(ERANGE, "level %.0f is out of the range osfs keeps", x);
		*level = (int)x;
		return 0;
	}
	if (cJSON_IsString(v)) {
		if (log_level_of(v->valuestring, level) == 0)
			return 0;
		return py_error(NULL, "Unknown level: %s", py_repr_s(v->valuestring, 0));
	}
	struct osfs_buf r = {0};
	py_repr(v, &r);
	int err = py_error("TypeError", "Level not an integer or a valid string: %s",
			   r.data ? r.data : "");
	osfs_buf_free(&r);
	return err;
}

/* What `'()' in config; config.get(...)` says of a value that is no dict. */
static int not_a_dict(const struct conv *c, const cJSON *config, const char *method)
{
	config = py_deref(config);
	if (cJSON_IsString(config) || cJSON_IsArray(config) || cJSON_IsObject(config))
		return py_error("AttributeError", "'%s' object has no attribute '%s'",
				conv_type_name(c, config), method);
	return py_error("TypeError", "argument of type '%s' is not iterable", py_type_name(config));
}

/* The slot of an object a configuration names: in the document, as
 * self.config[section][name] finds it (built objects stand in their sections),
 * else among the objects of the set by name. */
int build_named(struct build_ctx *b, int kind, const cJSON *name, struct log_obj **slot)
{
	static const char *const sections[] = {"handlers", "formatters", "filters"};
	static const int marks[] = {PN_HANDLER, PN_FORMATTER, PN_FILTER};
	name = py_deref(name);
	if (!b->document) {
		if (!cJSON_IsString(name) || !(*slot = objects_get(b->o, kind, name->valuestring))) {
			struct osfs_buf r = {0};
			py_repr(name, &r);
			int err = osfs_refuse(EINVAL, "no %.*s named %s", (int)strlen(sections[kind]) - 1,
					      sections[kind], r.data ? r.data : "");
			osfs_buf_free(&r);
			return err;
		}
		return 0;
	}
	cJSON *section, *found;
	int err = conv_get(b->cv, b->cv->root, sections[kind], &section);
	if (!err && !section)
		err = py_error("KeyError", "%s", py_repr_s(sections[kind], 0));
	if (err)
		return err;
	if (cJSON_IsObject(section) && !cJSON_IsString(name)) {
		if (cJSON_IsArray(name) || cJSON_IsObject(name))
			return py_error("TypeError", "unhashable type: '%s'", conv_type_name(b->cv, name));
		struct osfs_buf r = {0};
		py_repr(name, &r);
		err = py_error("KeyError", "%s", r.data ? r.data : "");
		osfs_buf_free(&r);
		return err;
	}
	if (!cJSON_IsObject(section)) {
		if (cJSON_IsArray(section))
			return py_error("TypeError", "%s indices must be integers or slices, not %s",
					py_type_name(section), py_type_name(name));
		return py_error("TypeError", "'%s' object is not subscriptable", py_type_name(section));
	}
	if ((err = conv_get(b->cv, section, name->valuestring, &found)))
		return err;
	if (!found)
		return py_error("KeyError", "%s", py_repr_s(name->valuestring, 0));
	if (py_kind(found) != marks[kind]) {
		/* a built object is what a logger or handler adds; anything else fails
		 * there (addHandler of a dict: AttributeError at the first record) */
		return osfs_refuse(EAGAIN, "%s is not a %.*s that this configuration built",
				   py_repr_s(name->valuestring, 0), (int)strlen(sections[kind]) - 1,
				   sections[kind]);
	}
	const char *id = found->valuestring;
	size_t len = strcspn(id, "\t");
	char key[512];
	snprintf(key, sizeof key, "%.*s", (int)len, id);
	*slot = objects_get(b->o, kind, key);
	return *slot ? 0 : osfs_refuse(EINVAL, "no %.*s named '%s'", (int)strlen(sections[kind]) - 1,
				       sections[kind], key);
}

/* The items `for x in value` gives: a list's (as they are: iteration converts
 * nothing), a string's characters, a dict's keys.  NULL: -errno in *err. */
cJSON *build_iterate(const cJSON *v, int *err)
{
	v = py_deref(v);
	*err = 0;
	if (cJSON_IsArray(v)) {
		cJSON *out = cJSON_CreateArray();
		for (const cJSON *c = v->child; out && c; c = c->next) {
			int e;
			cJSON *copy = (c->type & PY_ALIAS) ? cJSON_CreateArray() /* a container: no name */
							   : py_copy(c, &e);
			cJSON_AddItemToArray(out, copy ? copy : cJSON_CreateNull());
		}
		if (!out)
			*err = -ENOMEM;
		return out;
	}
	if (cJSON_IsObject(v) || cJSON_IsString(v)) {
		cJSON *out = cJSON_CreateArray();
		if (cJSON_IsObject(v)) {
			for (const cJSON *c = v->child; out && c; c = c->next)
				cJSON_AddItemToArray(out, cJSON_CreateString(c->string));
		} else {
			const char *p = v->valuestring, *end = p + strlen(p);
			while (out && p < end) {
				const char *q = p;
				u8_next(&q, end);
				char ch[8];
				snprintf(ch, sizeof ch, "%.*s", (int)(q - p), p);
				cJSON_AddItemToArray(out, cJSON_CreateString(ch));
				p = q;
			}
		}
		if (!out)
			*err = -ENOMEM;
		return out;
	}
	*err = py_error("TypeError", "'%s' object is not iterable", py_type_name(v));
	return NULL;
}

int build_names(struct build_ctx *b, int kind, const cJSON *names, struct log_obj ***slots,
		size_t *n)
{
	*slots = NULL;
	*n = 0;
	if (!py_truth(names)) /* `if handlers:` */
		return 0;
	int err;
	cJSON *items = build_iterate(names, &err);
	if (err)
		return err;
	size_t count = (size_t)cJSON_GetArraySize(items);
	struct log_obj **out = calloc(count ? count : 1, sizeof *out);
	if (!out) {
		cJSON_Delete(items);
		return -ENOMEM;
	}
	size_t i = 0;
	for (const cJSON *c = items->child; c && !err; c = c->next) {
		err = build_named(b, kind, c, &out[i]);
		if (err) {
			struct osfs_buf r = {0};
			py_repr(c, &r);
			err = osfs_refuse_prefix(EINVAL, "Unable to add %s %s",
						 kind == OBJ_HANDLERS ? "handler" : "filter",
						 r.data ? r.data : "");
			osfs_buf_free(&r);
			break;
		}
		/* a name given twice is added once (addHandler, addFilter) */
		size_t k = 0;
		while (k < i && out[k] != out[i])
			k++;
		if (k == i)
			i++;
	}
	cJSON_Delete(items);
	if (err) {
		free(out);
		return err;
	}
	*slots = out;
	*n = i;
	return 0;
}

/* A factory '()' that names what osfs makes without Python code: 0 with the
 * class's name, or a refusal. */
static int factory_class(struct build_ctx *b, cJSON *config, const char *want, const char **out)
{
	cJSON *c;
	int err = conv_pop(b->cv, config, "()", &c);
	if (err)
		return err;
	const struct pn_row *r = NULL;
	if (cJSON_IsString(c) && (err = pn_resolve(c->valuestring, &r)) == -EOPNOTSUPP)
		err = osfs_refuse(EINVAL, "custom factories '()' are not supported: osfs runs no Python "
				  "(%s)", py_repr_s(c->valuestring, 0));
	else if (cJSON_IsString(c))
		;
	else if (py_kind(c) == PN_CLASS)
		r = pn_find(c->valuestring, strlen(c->valuestring));
	else
		err = osfs_refuse(EINVAL, "custom factories '()' are not supported: osfs runs no Python");
	if (err)
		return err;
	if (!r || r->kind != PN_CLASS || strcmp(r->text, want) != 0)
		return osfs_refuse(EINVAL, "custom factories '()' are not supported: osfs runs no "
				   "Python (only %s itself)", want);
	*out = r->text;
	return 0;
}

/* The keyword arguments of configure_custom: {k: config[k] for k in config if
 * k != '.' and valid_ident(k)}, checked against the names a class takes. */
static int custom_kwargs(struct build_ctx *b, cJSON *config, const char *cls,
			 const char *const *params, cJSON *kwargs)
{
	int err;
	cJSON *keys = build_iterate(config, &err); /* values are replaced as they are read */
	for (const cJSON *k = keys ? keys->child : NULL; k && !err; k = k->next) {
		const char *key = k->valuestring;
		cJSON *v, *copy;
		if (strcmp(key, ".") == 0)
			continue;
		if (!(err = valid_ident(key)))
			err = conv_get(b->cv, config, key, &v);
		size_t i = 0;
		while (!err && params[i] && strcmp(params[i], key) != 0)
			i++;
		if (!err && !params[i])
			err = py_error("TypeError", "%s.__init__() got an unexpected keyword argument '%s'",
				       cls, key);
		if (!err && (copy = py_copy(v, &err)))
			cJSON_AddItemToObject(kwargs, key, copy);
	}
	cJSON_Delete(keys);
	return err;
}

static int refuse_props(struct build_ctx *b, cJSON *config, const char *what)
{
	cJSON *props;
	int err = conv_pop(b->cv, config, ".", &props);
	if (!err && py_truth(props))
		err = osfs_refuse(EOPNOTSUPP, "'.': osfs sets no attributes of a %s", what);
	return err;
}

/* A formatter from the values Python passes Formatter(fmt, datefmt, style,
 * validate, defaults=...). */
static int make_formatter(const cJSON *fmt, const cJSON *datefmt, const cJSON *style,
			  const cJSON *validate, int has_validate, const cJSON *defaults,
			  struct log_formatter **out)
{
	fmt = py_deref(fmt);
	datefmt = py_deref(datefmt);
	style = py_deref(style);
	const char *st = style ? (cJSON_IsString(style) ? style->valuestring : "") : "%";
	if (!cJSON_IsString(style) && style && (cJSON_IsArray(style) || cJSON_IsObject(style)))
		return py_error("TypeError", "unhashable type: '%s'", py_type_name(style));
	if (strlen(st) != 1 || !strchr("%{$", st[0]))
		return py_error(NULL, "Style must be one of: %%,{,$");
	if (py_truth(fmt) && !cJSON_IsString(fmt))
		return py_error("TypeError", "expected string or bytes-like object, got '%s'",
				py_type_name(fmt));
	if (py_truth(datefmt) && !cJSON_IsString(datefmt))
		return osfs_refuse(EINVAL, "datefmt: a str (Python's time.strftime fails on a %s at "
				   "every record)", py_type_name(datefmt));
	struct osfs_buf d = {0};
	if (defaults && !cJSON_IsNull(py_deref(defaults)))
		py_json(defaults, &d);
	if (osfs_buf_error(&d))
		return -ENOMEM;
	*out = log_formatter_new(py_truth(fmt) ? fmt->valuestring : NULL,
				 py_truth(datefmt) ? datefmt->valuestring : NULL, st[0], d.data,
				 has_validate ? py_truth(validate) : 1);
	osfs_buf_free(&d);
	return *out ? 0 : -EINVAL;
}

int build_formatter(struct build_ctx *b, cJSON *config, struct log_formatter **out)
{
	if (!py_is_dict(config))
		return not_a_dict(b->cv, config, "get");
	config = (cJSON *)py_deref(config);
	int err;
	if (conv_has(config, "()")) { /* configure_custom, and its retry of format as fmt */
		static const char *const params[] = {"fmt", "datefmt", "style", "validate",
						     "defaults", NULL};
		const char *cls;
		cJSON *kwargs = cJSON_CreateObject();
		if (!kwargs)
			return -ENOMEM;
		err = factory_class(b, config, "logging.Formatter", &cls);
		if (!err && conv_has(config, "format") && !conv_has(config, "fmt")) {
			cJSON *f = cJSON_DetachItemFromObjectCaseSensitive(config, "format");
			cJSON_AddItemToObject(config, "fmt", f);
		}
		if (!err)
			err = custom_kwargs(b, config, "Formatter", params, kwargs);
		const cJSON *validate = cJSON_GetObjectItemCaseSensitive(kwargs, "validate");
		if (!err)
			err = make_formatter(cJSON_GetObjectItemCaseSensitive(kwargs, "fmt"),
					     cJSON_GetObjectItemCaseSensitive(kwargs, "datefmt"),
					     cJSON_GetObjectItemCaseSensitive(kwargs, "style"), validate,
					     validate != NULL,
					     cJSON_GetObjectItemCaseSensitive(kwargs, "defaults"), out);
		cJSON_Delete(kwargs);
		if (!err && (err = refuse_props(b, config, "Formatter"))) {
			log_formatter_free(*out);
			*out = NULL;
		}
		return err;
	}
	cJSON *fmt, *datefmt, *style, *cls, *defaults, *validate = NULL;
	if ((err = conv_get(b->cv, config, "format", &fmt)) ||
	    (err = conv_get(b->cv, config, "datefmt", &datefmt)) ||
	    (err = conv_get(b->cv, config, "style", &style)) ||
	    (err = conv_get(b->cv, config, "class", &cls)) ||
	    (err = conv_get(b->cv, config, "defaults", &defaults)))
		return err;
	if (py_truth(cls)) { /* _resolve(cname): an import, then attributes */
		const struct pn_row *r = NULL;
		if (py_kind(cls) == PN_CLASS)
			r = pn_find(cls->valuestring, strlen(cls->valuestring));
		else if (!cJSON_IsString(cls))
			return py_error("AttributeError", "'%s' object has no attribute 'split'",
					py_type_name(cls));
		else if ((err = pn_import(cls->valuestring, &r, 0))) /* no "Cannot resolve" */
			return err;
		if (!r || r->kind != PN_CLASS || strcmp(r->text, "logging.Formatter") != 0)
			return osfs_refuse(EINVAL, "formatter class '%s' is not supported: "
					   "logging.Formatter only", r ? r->path : "?");
	}
	int has_validate = conv_has(config, "validate");
	if (has_validate && (err = conv_get(b->cv, config, "validate", &validate)))
		return err;
	return make_formatter(fmt, datefmt, style, validate, has_validate, defaults, out);
}

int build_filter(struct build_ctx *b, cJSON *config, char **out)
{
	if (!py_is_dict(config))
		return not_a_dict(b->cv, config, "get");
	config = (cJSON *)py_deref(config);
	cJSON *name;
	int err;
	if (conv_has(config, "()")) {
		static const char *const params[] = {"name", NULL};
		const char *cls;
		cJSON *kwargs = cJSON_CreateObject();
		if (!kwargs)
			return -ENOMEM;
		err = factory_class(b, config, "logging.Filter", &cls);
		if (!err)
			err = custom_kwargs(b, config, "Filter", params, kwargs);
		if (!err)
			err = refuse_props(b, config, "Filter");
		name = cJSON_GetObjectItemCaseSensitive(kwargs, "name");
		if (!err && name && !cJSON_IsString(name))
			err = py_error("TypeError", "object of type '%s' has no len()", py_type_name(name));
		if (!err && !(*out = strdup(name ? name->valuestring : "")))
			err = -ENOMEM;
		cJSON_Delete(kwargs);
		return err;
	}
	if ((err = conv_get(b->cv, config, "name", &name)))
		return err;
	if (name && !cJSON_IsString(name)) /* Filter(name): len(name) */
		return py_error("TypeError", "object of type '%s' has no len()", py_type_name(name));
	*out = strdup(name ? name->valuestring : "");
	return *out ? 0 : -ENOMEM;
}

int valid_ident(const char *s)
{
	/* IDENTIFIER ^[a-z_][a-z0-9_]*$ with re.I: `$` also matches before a last "\n" */
	size_t n = strlen(s), len = n && s[n - 1] == '\n' ? n - 1 : n;
	int ok = len > 0 && (s[0] == '_' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'));
	for (size_t i = 1; ok && i < len; i++)
		ok = s[i] == '_' || ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') ||
		     (s[i] >= '0' && s[i] <= '9');
	return ok ? 0 : py_error(NULL, "Not a valid Python identifier: %s", py_repr_s(s, 0));
}
