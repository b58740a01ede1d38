/* logging.config.fileConfig: configparser's file (ini.c) read as Python's
 * _create_formatters, _install_handlers and _install_loggers read it -- keys
 * lists split at commas, class, args and kwargs evaluated in logging's namespace
 * (pyeval.c), positional arguments matched to the class's parameters, levels,
 * formatters and targets looked up by name -- with Python's errors, then applied
 * as a dictConfig document of those values, all or nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "internal.h"
#include "osfs/refuse.h"

struct fc {
	struct ini ini;
	cJSON *doc, *formatters, *handlers, *loggers;
};

/* cp[section][key] (the option interpolated): KeyError for what is missing. */
static int item(struct fc *f, const char *section, const char *key, char **out)
{
	int err = 0;
	*out = NULL;
	if (!ini_has_section(&f->ini, section))
		return py_error("KeyError", "%s", py_repr_s(section, 0));
	if (!(*out = ini_get(&f->ini, section, key, 0, &err)) && !err)
		err = py_error("KeyError", "%s", py_repr_s(key, 0));
	return err;
}

/* section.get(key, fallback): NULL when absent (the fallback is the caller's). */
static int get(struct fc *f, const char *section, const char *key, int raw, char **out)
{
	int err = 0;
	*out = ini_get(&f->ini, section, key, raw, &err);
	return err;
}

/* "a, b,c".split(",") with each part stripped (empty parts kept, as Python's). */
static cJSON *names_of(const char *text)
{
	cJSON *a = cJSON_CreateArray();
	for (const char *p = text; a;) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
			s++;
		while (e > s && (e[-1] == ' ' || (e[-1] >= '\t' && e[-1] <= '\r')))
			e--;
		char *name = strndup(s, (size_t)(e - s));
		cJSON_AddItemToArray(a, cJSON_CreateString(name ? name : ""));
		free(name);
		if (!p[n])
			break;
		p += n + 1;
	}
	return a;
}

/* cp[section]["keys"] as the list of names (an empty value: none). */
static int keys_of(struct fc *f, const char *section, cJSON **out)
{
	char *v;
	int err = item(f, section, "keys", &v);
	*out = err ? NULL : *v ? names_of(v) : cJSON_CreateArray();
	free(v);
	return err ? err : *out ? 0 : -ENOMEM;
}

/* eval(option, vars(logging)), its error said with where it is. */
static cJSON *evaluate(const char *section, const char *key, const char *text, int *err)
{
	cJSON *v = py_eval(text, err);
	if (*err && *err != -ENOMEM)
		osfs_refuse_prefix(-*err, "[%s] %s", section, key);
	return v;
}

/* c(fs, dfs, stl): the Formatter's own ValueError (a style, a format that does
 * not validate) is fileConfig's, with the section in front, not dictConfig's
 * "Unable to configure formatter" the document is applied with afterwards. */
static int check_formatter(const char *sect, const cJSON *fm)
{
	const cJSON *format = cJSON_GetObjectItemCaseSensitive(fm, "format");
	const cJSON *datefmt = cJSON_GetObjectItemCaseSensitive(fm, "datefmt");
	const cJSON *style = cJSON_GetObjectItemCaseSensitive(fm, "style");
	const char *stl = style ? style->valuestring : "%";
	if (strlen(stl) != 1 || !strchr("%{$", stl[0]))
		return osfs_refuse(EINVAL, "[%s] ValueError: Style must be one of: %%,{,$", sect);
	struct log_formatter *made = log_formatter_new(format ? format->valuestring : NULL,
						       datefmt ? datefmt->valuestring : NULL, stl[0],
						       NULL, 1);
	if (made) {
		log_formatter_free(made);
		return 0;
	}
	return osfs_refusal()[0] ? osfs_refuse(EINVAL, "[%s] ValueError: %s", sect, osfs_refusal())
				 : -ENOMEM;
}

static int create_formatters(struct fc *f)
{
	cJSON *names;
	int err = keys_of(f, "formatters", &names);
	for (const cJSON *c = names ? names->child : NULL; !err && c; c = c->next) {
		char sect[512], *v = NULL, *cls = NULL;
		snprintf(sect, sizeof sect, "formatter_%s", c->valuestring);
		cJSON *fm = cJSON_CreateObject();
		static const char *const keys[] = {"format", "datefmt", "style", "defaults"};
		for (size_t i = 0; fm && !err && i < 4; i++) { /* cp.get(..., raw=True, fallback=None) */
			if (!ini_has_section(&f->ini, sect) || (err = get(f, sect, keys[i], 1, &v)) || !v)
				continue;
			cJSON *x = i < 3 ? cJSON_CreateString(v) : evaluate(sect, "defaults", v, &err);
			if (x)
				cJSON_AddItemToObject(fm, keys[i], x);
			free(v);
		}
		if (!err && !ini_has_section(&f->ini, sect)) /* cp[sectname].get("class") */
			err = py_error("KeyError", "%s", py_repr_s(sect, 0));
		if (!err && fm)
			err = check_formatter(sect, fm);
		if (!err && !(err = get(f, sect, "class", 0, &cls)) && cls && *cls) {
			const struct pn_row *r;
			if (!(err = pn_import(cls, &r, 0)) &&
			    (r->kind != PN_CLASS || strcmp(r->text, "logging.Formatter") != 0))
				err = osfs_refuse(EINVAL, "[%s] class: '%s' is not supported: logging.Formatter "
						  "only (osfs runs no Python)", sect, cls);
		}
		free(cls);
		if (!err && fm) {
			cJSON_DeleteItemFromObjectCaseSensitive(f->formatters, c->valuestring);
			cJSON_AddItemToObject(f->formatters, c->valuestring, fm);
		} else {
			cJSON_Delete(fm);
		}
	}
	cJSON_Delete(names);
	return err;
}

/* klass(*args, **kwargs): the arguments matched to the class's parameters. */
static int match_arguments(const struct handler_class *cls, const cJSON *args, const cJSON *kwargs,
			   cJSON *h)
{
	int required, nparams;
	const char *init = handler_signature(cls, &required, &nparams);
	const char *qual = cls->name;
	int err;
	if (!py_is_list(args) && !py_is_str(args) && !py_is_dict(args))
		return py_error("TypeError", "%s() argument after * must be an iterable, not %s", qual,
				py_type_name(args));
	if (!py_is_dict(kwargs))
		return py_error("TypeError", "%s() argument after ** must be a mapping, not %s", qual,
				py_type_name(kwargs));
	kwargs = py_deref(kwargs); /* a name for a dict (an alias): its items */
	cJSON *items = build_iterate(args, &err);
	if (err)
		return err;
	int n = cJSON_GetArraySize(items);
	if (n > nparams) {
		cJSON_Delete(items);
		if (required == nparams)
			return py_error("TypeError", "%s.__init__() takes %d positional arguments but %d were "
					"given", init, nparams + 1, n + 1);
		return py_error("TypeError", "%s.__init__() takes from %d to %d positional arguments but %d "
				"were given", init, required + 1, nparams + 1, n + 1);
	}
	/* NullHandler's one parameter is Handler's level */
	int null = strcmp(cls->name, "logging.NullHandler") == 0;
	int ours = 0; /* the parameters osfs takes: Python's first ones (not HTTPHandler's context) */
	while (cls->params && cls->params[ours])
		ours++;
	if (!null && n > ours) {
		cJSON_Delete(items);
		return osfs_refuse(ENOTSUP, "%s: osfs takes %d positional arguments, not %d", init,
				   ours, n);
	}
	int i = 0;
	for (const cJSON *c = items->child; c; c = c->next, i++) {
		const char *param = null ? "level" : cls->params[i];
		cJSON_AddItemToObject(h, param, cJSON_Duplicate(c, 1));
	}
	cJSON_Delete(items);
	for (const cJSON *k = kwargs->child; k; k = k->next) {
		int known = 0;
		for (int p = 0; p < nparams && p < ours && !known && !null; p++)
			known = strcmp(cls->params[p], k->string) == 0;
		known |= null && strcmp(k->string, "level") == 0;
		if (!known)
			return py_error("TypeError", "%s.__init__() got an unexpected keyword argument '%s'",
					init, k->string);
		if (cJSON_GetObjectItemCaseSensitive(h, k->string))
			return py_error("TypeError", "%s.__init__() got multiple values for argument '%s'",
					init, k->string);
		cJSON_AddItemToObject(h, k->string, cJSON_Duplicate(k, 1));
	}
	if ((err = handler_missing_arguments(cls, init, required, h)))
		return err;
	if (null && cJSON_GetObjectItemCaseSensitive(h, "level")) { /* Handler(level): _checkLevel */
		int level;
		err = build_level(cJSON_GetObjectItemCaseSensitive(h, "level"), &level);
		if (err)
			return err;
	}
	return 0;
}

/* The class of `class=`: eval in logging's namespace, else an import path. */
static int handler_class(const char *sect, const char *text, const struct handler_class **cls)
{
	int err;
	const struct pn_row *r = NULL;
	cJSON *v = py_eval(text, &err);
	if (err && (strstr(osfs_refusal(), "NameError") == osfs_refusal() ||
		    strstr(osfs_refusal(), "AttributeError") == osfs_refusal())) {
		err = pn_import(text, &r, 0);
	} else if (!err) {
		r = py_kind(v) >= 0 ? pn_find(v->valuestring, strlen(v->valuestring)) : NULL;
		if (!r || r->kind != PN_CLASS)
			err = py_error("TypeError", "issubclass() arg 1 must be a class");
	}
	cJSON_Delete(v);
	if (!err && (!(*cls = handler_class_find(r->text)) || strcmp((*cls)->name, r->text) != 0))
		err = osfs_refuse(EINVAL, "'%s' is not a handler class osfs makes", r->text);
	if (err && err != -ENOMEM)
		osfs_refuse_prefix(-err, "[%s] class", sect);
	return err;
}

static int install_handler(struct fc *f, const char *hand)
{
	char sect[512], *klass = NULL, *fmt = NULL, *text = NULL, *level = NULL, *target = NULL;
	snprintf(sect, sizeof sect, "handler_%s", hand);
	const struct handler_class *cls = NULL;
	cJSON *args = NULL, *kwargs = NULL, *h = cJSON_CreateObject();
	int err = h ? 0 : -ENOMEM;
	if (!err && !ini_has_section(&f->ini, sect))
		err = py_error("KeyError", "%s", py_repr_s(sect, 0));
	if (!err)
		err = item(f, sect, "class", &klass);
	if (!err)
		err = get(f, sect, "formatter", 0, &fmt);
	if (!err)
		err = handler_class(sect, klass, &cls);
	if (!err && !(err = get(f, sect, "args", 0, &text)))
		args = evaluate(sect, "args", text ? text : "()", &err);
	free(text);
	text = NULL;
	if (!err && !(err = get(f, sect, "kwargs", 0, &text)))
		kwargs = evaluate(sect, "kwargs", text ? text : "{}", &err);
	if (!err)
		err = match_arguments(cls, args, kwargs, h);
	if (!err && (err = get(f, sect, "level", 0, &level)) == 0 && level) {
		int lv; /* h.setLevel(level) */
		cJSON *s = cJSON_CreateString(level);
		err = s ? build_level(s, &lv) : -ENOMEM;
		cJSON_Delete(s);
		cJSON_DeleteItemFromObjectCaseSensitive(h, "level");
		cJSON_AddStringToObject(h, "level", level);
	}
	if (!err && fmt && *fmt) { /* formatters[fmt] */
		if (!cJSON_GetObjectItemCaseSensitive(f->formatters, fmt))
			err = py_error("KeyError", "%s", py_repr_s(fmt, 0));
		else
			cJSON_AddStringToObject(h, "formatter", fmt);
	}
	if (!err && strcmp(cls->name, "logging.handlers.MemoryHandler") == 0 &&
	    !(err = get(f, sect, "target", 0, &target)) && target && *target)
		cJSON_AddStringToObject(h, "target", target); /* fixed up when all are made */
	if (!err) {
		cJSON_AddStringToObject(h, "class", cls->name);
		cJSON_DeleteItemFromObjectCaseSensitive(f->handlers, hand);
		cJSON_AddItemToObject(f->handlers, hand, h);
		h = NULL;
	} else if (err != -ENOMEM && !strstr(osfs_refusal(), sect)) {
		osfs_refuse_prefix(-err, "[%s]", sect);
	}
	cJSON_Delete(h);
	cJSON_Delete(args);
	cJSON_Delete(kwargs);
	free(klass);
	free(fmt);
	free(text);
	free(level);
	free(target);
	return err;
}

static int install_handlers(struct fc *f)
{
	cJSON *names;
	int err = keys_of(f, "handlers", &names);
	for (const cJSON *c = names ? names->child : NULL; !err && c; c = c->next)
		err = install_handler(f, c->valuestring);
	/* the fixups: h.setTarget(handlers[t]) */
	for (const cJSON *h = err ? NULL : f->handlers->child; h && !err; h = h->next) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, "target");
		if (t && !cJSON_GetObjectItemCaseSensitive(f->handlers, t->valuestring))
			err = py_error("KeyError", "%s", py_repr_s(t->valuestring, 0));
	}
	cJSON_Delete(names);
	return err;
}

/* A logger section's level and handlers into its entry (merged into what an
 * earlier section for the same logger set, as Python configures it twice). */
static int logger_entry(struct fc *f, const char *sect, cJSON *entry)
{
	char *level = NULL, *hlist = NULL;
	int err = get(f, sect, "level", 0, &level);
	if (!err && level) {
		int lv;
		cJSON *s = cJSON_CreateString(level);
		err = s ? build_level(s, &lv) : -ENOMEM;
		cJSON_Delete(s);
		cJSON_DeleteItemFromObjectCaseSensitive(entry, "level");
		cJSON_AddStringToObject(entry, "level", level);
	}
	if (!err)
		err = item(f, sect, "handlers", &hlist);
	cJSON *names = !err ? (*hlist ? names_of(hlist) : cJSON_CreateArray()) : NULL;
	for (const cJSON *c = names ? names->child : NULL; !err && c; c = c->next)
		if (!cJSON_GetObjectItemCaseSensitive(f->handlers, c->valuestring))
			err = py_error("KeyError", "%s", py_repr_s(c->valuestring, 0));
	if (!err) {
		cJSON_DeleteItemFromObjectCaseSensitive(entry, "handlers");
		cJSON_AddItemToObject(entry, "handlers", names);
		names = NULL;
	}
	cJSON_Delete(names);
	free(level);
	free(hlist);
	return err;
}

static cJSON *entry_for(struct fc *f, const char *qualname)
{
	if (!*qualname || strcmp(qualname, "root") == 0) { /* getLogger("") and ("root") */
		cJSON *root = cJSON_GetObjectItemCaseSensitive(f->doc, "root");
		return root ? root : cJSON_AddObjectToObject(f->doc, "root");
	}
	cJSON *l = cJSON_GetObjectItemCaseSensitive(f->loggers, qualname);
	return l ? l : cJSON_AddObjectToObject(f->loggers, qualname);
}

/* int(text), as section.getint reads it. */
static int python_int(const char *text, long long *out)
{
	const char *p = text + strspn(text, " \t\n\r\f\v");
	char digits[64];
	size_t k = 0;
	if (*p == '+' || *p == '-')
		digits[k++] = *p++;
	int any = 0;
	while (k < sizeof digits - 1 && ((*p >= '0' && *p <= '9') ||
					 (*p == '_' && any && p[1] >= '0' && p[1] <= '9'))) {
		if (*p != '_')
			digits[k++] = *p, any = 1;
		p++;
	}
	digits[k] = '\0';
	p += strspn(p, " \t\n\r\f\v");
	if (!any || *p)
		return py_error(NULL, "invalid literal for int() with base 10: %s", py_repr_s(text, 0));
	*out = strtoll(digits, NULL, 10);
	return 0;
}

static int install_loggers(struct fc *f)
{
	cJSON *names;
	int err = keys_of(f, "loggers", &names), found = 0;
	for (cJSON *c = names ? names->child : NULL; !err && c; c = c->next)
		if (strcmp(c->valuestring, "root") == 0) { /* llist.remove("root"): the first */
			cJSON_Delete(cJSON_DetachItemViaPointer(names, c));
			found = 1;
			break;
		}
	if (!err && !found)
		err = py_error(NULL, "list.remove(x): x not in list");
	if (!err && !ini_has_section(&f->ini, "logger_root"))
		err = py_error("KeyError", "'logger_root'");
	if (!err)
		err = logger_entry(f, "logger_root", entry_for(f, ""));
	for (const cJSON *c = names && !err ? names->child : NULL; !err && c; c = c->next) {
		char sect[512], *qualname = NULL, *prop = NULL;
		snprintf(sect, sizeof sect, "logger_%s", c->valuestring);
		long long propagate = 1;
		err = item(f, sect, "qualname", &qualname);
		if (!err && !(err = get(f, sect, "propagate", 0, &prop)) && prop)
			err = python_int(prop, &propagate);
		cJSON *entry = err ? NULL : entry_for(f, qualname);
		if (entry)
			err = logger_entry(f, sect, entry);
		if (!err) {
			cJSON_DeleteItemFromObjectCaseSensitive(entry, "propagate");
			cJSON_AddBoolToObject(entry, "propagate", propagate != 0);
		}
		if (err && err != -ENOMEM && !strstr(osfs_refusal(), sect))
			osfs_refuse_prefix(-err, "[%s]", sect);
		free(qualname);
		free(prop);
	}
	cJSON_Delete(names);
	return err;
}

int log_file_config(const char *text)
{
	struct fc f = {0};
	int err = ini_read(&f.ini, text);
	f.doc = cJSON_CreateObject();
	if (!err && f.doc) {
		cJSON_AddNumberToObject(f.doc, "version", 1);
		cJSON_AddBoolToObject(f.doc, "disable_existing_loggers", 1);
		f.formatters = cJSON_AddObjectToObject(f.doc, "formatters");
		f.handlers = cJSON_AddObjectToObject(f.doc, "handlers");
		f.loggers = cJSON_AddObjectToObject(f.doc, "loggers");
	}
	if (!err && !f.loggers)
		err = -ENOMEM;
	if (!err)
		err = create_formatters(&f);
	if (!err)
		err = install_handlers(&f);
	if (!err)
		err = install_loggers(&f);
	if (!err)
		err = log_dict_config_doc(f.doc, 1); /* the values are Python's: nothing to convert */
	ini_free(&f.ini);
	cJSON_Delete(f.doc);
	return err;
}
