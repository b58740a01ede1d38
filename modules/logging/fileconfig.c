/* logging.config.fileConfig: configparser's INI (read with inih, with its %(key)s
 * interpolation) becomes a dictConfig document and is applied like one, all or
 * nothing.  Handler args and kwargs are Python literals, read here without
 * Python: tuples and dicts of str, int, float, bool, None and sys.stdout/stderr. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "internal.h"
#include "osfs/refuse.h"

struct ini_entry {
	char *section, *key, *value;
};

struct ini {
	struct ini_entry *e;
	size_t n;
	int failed;
};

/* inih calls this per key; a continuation line comes again with the same key. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct ini *ini = user;
	char lower[256];
	snprintf(lower, sizeof lower, "%s", key);
	for (char *p = lower; *p; p++) /* configparser's optionxform */
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = ini->n; i-- > 0;) {
		struct ini_entry *e = &ini->e[i];
		if (strcmp(e->section, section) == 0 && strcmp(e->key, lower) == 0) {
			if (i == ini->n - 1) { /* a continuation: lines joined with \n */
				size_t len = strlen(e->value) + strlen(value) + 2;
				char *v = realloc(e->value, len);
				if (!v)
					return 0;
				strcat(strcat(v, "\n"), value);
				e->value = v;
			} else { /* the same key again: the last one wins */
				free(e->value);
				e->value = strdup(value);
			}
			return 1;
		}
	}
	struct ini_entry *p = realloc(ini->e, (ini->n + 1) * sizeof *p);
	if (!p)
		return 0;
	ini->e = p;
	p[ini->n] = (struct ini_entry){strdup(section), strdup(lower), strdup(value)};
	ini->n++;
	return 1;
}

static void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->e[i].section);
		free(ini->e[i].key);
		free(ini->e[i].value);
	}
	free(ini->e);
}

static const char *raw_get(const struct ini *ini, const char *section, const char *key)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->e[i].section, section) == 0 && strcmp(ini->e[i].key, key) == 0)
			return ini->e[i].value;
	for (size_t i = 0; i < ini->n; i++) /* configparser's DEFAULT section */
		if (strcmp(ini->e[i].section, "DEFAULT") == 0 && strcmp(ini->e[i].key, key) == 0)
			return ini->e[i].value;
	return NULL;
}

/* BasicInterpolation: %(key)s from the section or DEFAULT, %% is %. */
static int interpolate(const struct ini *ini, const char *section, const char *value,
		       struct osfs_buf *out, int depth)
{
	if (depth > 10)
		return osfs_refuse(EINVAL, "interpolation too deep in section [%s]", section);
	for (const char *p = value; *p; p++) {
		if (*p != '%') {
			osfs_buf_putc(out, *p);
		} else if (p[1] == '%') {
			osfs_buf_putc(out, '%');
			p++;
		} else if (p[1] == '(' && strchr(p, ')') && strchr(p, ')')[1] == 's') {
			const char *end = strchr(p, ')');
			char key[256];
			snprintf(key, sizeof key, "%.*s", (int)(end - p - 2), p + 2);
			for (char *k = key; *k; k++)
				*k = (char)tolower((unsigned char)*k);
			const char *v = raw_get(ini, section, key);
			if (!v)
				return osfs_refuse(EINVAL, "Bad value substitution: option '%s' in section "
						   "[%s] refers to '%s', which is not set", value, section, key);
			int err = interpolate(ini, section, v, out, depth + 1);
			if (err)
				return err;
			p = end + 1;
		} else {
			return osfs_refuse(EINVAL, "'%%' must be followed by '%%' or '(' in [%s]: %s",
					   section, value);
		}
	}
	return 0;
}

/* cp.get(section, key): interpolated (raw: as written); NULL if absent. */
static char *get(const struct ini *ini, const char *section, const char *key, int raw, int *err)
{
	const char *v = raw_get(ini, section, key);
	if (!v)
		return NULL;
	struct osfs_buf b = {0};
	*err = raw ? (osfs_buf_puts(&b, v), 0) : interpolate(ini, section, v, &b, 0);
	if (*err) {
		osfs_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}

/* A Python literal: str, int, float, True/False/None, sys.stdout, sys.stderr,
 * tuples and dicts of them.  p advances past it; the value is JSON. */
static cJSON *literal(const char **p, int *err);

static void ws(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

static cJSON *string_literal(const char **p, int *err)
{
	char q = *(*p)++;
	struct osfs_buf b = {0};
	while (**p && **p != q) {
		char c = *(*p)++;
		if (c == '\\' && **p) {
			c = *(*p)++;
			static const char from[] = "ntr0\\'\"", to[] = "\n\t\r\0\\'\"";
			const char *k = strchr(from, c);
			if (k && c)
				c = to[k - from];
			else
				osfs_buf_putc(&b, '\\');
		}
		osfs_buf_putc(&b, c);
	}
	if (**p != q) {
		osfs_buf_free(&b);
		*err = osfs_refuse(EINVAL, "unterminated string in args");
		return NULL;
	}
	(*p)++;
	cJSON *s = cJSON_CreateString(b.data ? b.data : "");
	osfs_buf_free(&b);
	return s;
}

static cJSON *sequence(const char **p, char close, int dict, int *err)
{
	cJSON *out = dict ? cJSON_CreateObject() : cJSON_CreateArray();
	(*p)++;
	for (ws(p); **p && **p != close && !*err; ws(p)) {
		cJSON *key = NULL;
		if (dict) {
			key = literal(p, err);
			ws(p);
			if (*err || !cJSON_IsString(key) || **p != ':') {
				cJSON_Delete(key);
				*err = *err ? *err : osfs_refuse(EINVAL, "kwargs must be a dict with str keys");
				break;
			}
			(*p)++;
		}
		cJSON *v = literal(p, err);
		if (*err)
			cJSON_Delete(v); /* what was read of it, as far as the error */
		else if (dict)
			cJSON_AddItemToObject(out, key->valuestring, v);
		else
			cJSON_AddItemToArray(out, v);
		cJSON_Delete(key);
		ws(p);
		if (**p == ',')
			(*p)++;
		else if (**p != close && !*err)
			*err = osfs_refuse(EINVAL, "expected ',' or '%c' in args", close);
	}
	if (!*err && **p != close)
		*err = osfs_refuse(EINVAL, "unclosed '%c' in args", close == ')' ? '(' : '{');
	else if (!*err)
		(*p)++;
	return out;
}

static cJSON *literal(const char **p, int *err)
{
	ws(p);
	static const struct {
		const char *word;
		int kind;
	} words[] = {{"sys.stdout", 1}, {"sys.stderr", 2}, {"True", 3}, {"False", 4}, {"None", 5}};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t len = strlen(words[i].word);
		if (strncmp(*p, words[i].word, len) == 0 && !isalnum((unsigned char)(*p)[len])) {
			*p += len;
			switch (words[i].kind) {
			case 1: return cJSON_CreateString("ext://sys.stdout");
			case 2: return cJSON_CreateString("ext://sys.stderr");
			case 3: return cJSON_CreateTrue();
			case 4: return cJSON_CreateFalse();
			default: return cJSON_CreateNull();
			}
		}
	}
	if (**p == '\'' || **p == '"')
		return string_literal(p, err);
	if (**p == '(')
		return sequence(p, ')', 0, err);
	if (**p == '{')
		return sequence(p, '}', 1, err);
	if (**p == '-' || **p == '+' || isdigit((unsigned char)**p)) {
		const char *start = *p;
		(*p)++;
		while (isalnum((unsigned char)**p) || **p == '.' || **p == '_')
			(*p)++;
		char num[64];
		snprintf(num, sizeof num, "%.*s", (int)(*p - start), start);
		return cJSON_CreateRaw(num); /* its literal, so that 1.0 stays a float */
	}
	*err = osfs_refuse(EINVAL, "args: '%.20s' is not a literal osfs can read (str, int, float, "
			   "True, False, None, sys.stdout, sys.stderr)", *p);
	return NULL;
}

static cJSON *python_value(const char *text, const char *what, int *err)
{
	const char *p = text;
	cJSON *v = literal(&p, err);
	ws(&p);
	if (!*err && *p)
		*err = osfs_refuse(EINVAL, "%s: unexpected '%.20s'", what, p);
	return v;
}

/* "a, b,c" as configparser lists them, spaces stripped, empties kept out. */
static cJSON *key_list(const char *text)
{
	cJSON *a = cJSON_CreateArray();
	char *copy = strdup(text ? text : ""), *save;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*t))
			t++;
		char *end = t + strlen(t);
		while (end > t && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*t)
			cJSON_AddItemToArray(a, cJSON_CreateString(t));
	}
	free(copy);
	return a;
}

/* The keys= list of [formatters], [handlers] or [loggers]: NULL if it has none. */
static cJSON *section_keys(const struct ini *ini, const char *section)
{
	const char *keys = raw_get(ini, section, "keys");
	return keys ? key_list(keys) : NULL;
}

#define NEED(x, ...) \
	do { \
		if (!(x)) { \
			err = err ? err : osfs_refuse(EINVAL, __VA_ARGS__); \
			goto out; \
		} \
	} while (0)

static int translate(const struct ini *ini, cJSON *doc)
{
	int err = 0;
	char *v = NULL;
	cJSON *fs = cJSON_AddObjectToObject(doc, "formatters");
	cJSON *hs = cJSON_AddObjectToObject(doc, "handlers");
	cJSON *ls = cJSON_AddObjectToObject(doc, "loggers");
	cJSON *c, *list = section_keys(ini, "formatters");
	NEED(list, "no [formatters] keys= in the file");
	cJSON_ArrayForEach(c, list) {
		char sect[300];
		snprintf(sect, sizeof sect, "formatter_%s", c->valuestring);
		cJSON *f = cJSON_AddObjectToObject(fs, c->valuestring);
		static const char *const keys[] = {"format", "datefmt", "style", "class"};
		for (size_t i = 0; i < 4; i++)
			if ((v = get(ini, sect, keys[i], 1, &err)))
				cJSON_AddStringToObject(f, keys[i], v), free(v), v = NULL;
		if ((v = get(ini, sect, "defaults", 1, &err))) {
			cJSON *d = python_value(v, "defaults", &err);
			NEED(!err, "bad defaults");
			cJSON_AddItemToObject(f, "defaults", d);
			free(v), v = NULL;
		}
	}
	cJSON_Delete(list);
	list = section_keys(ini, "handlers");
	NEED(list, "no [handlers] keys= in the file");
	cJSON_ArrayForEach(c, list) {
		char sect[300];
		snprintf(sect, sizeof sect, "handler_%s", c->valuestring);
		cJSON *h = cJSON_AddObjectToObject(hs, c->valuestring);
		v = get(ini, sect, "class", 0, &err);
		NEED(v, "[%s] has no class", sect);
		const struct handler_class *cls = handler_class_find(v);
		NEED(cls, "[%s]: unknown handler class '%s'", sect, v);
		cJSON_AddStringToObject(h, "class", cls->name);
		free(v), v = NULL;
		if ((v = get(ini, sect, "level", 0, &err)))
			cJSON_AddStringToObject(h, "level", v), free(v), v = NULL;
		if ((v = get(ini, sect, "formatter", 0, &err)) && *v)
			cJSON_AddStringToObject(h, "formatter", v);
		free(v), v = NULL;
		v = get(ini, sect, "args", 0, &err);
		cJSON *args = python_value(v ? v : "()", "args", &err);
		size_t i = 0;
		for (cJSON *a = args ? args->child : NULL; a && !err; a = a->next, i++) {
			if (cls->params && cls->params[i])
				cJSON_AddItemToObject(h, cls->params[i], cJSON_Duplicate(a, 1));
			else
				err = osfs_refuse(EINVAL, "[%s]: too many args for %s", sect, cls->name);
		}
		cJSON_Delete(args);
		free(v), v = NULL;
		v = get(ini, sect, "kwargs", 0, &err);
		cJSON *kwargs = python_value(v ? v : "{}", "kwargs", &err);
		for (cJSON *k = kwargs ? kwargs->child : NULL; k && !err; k = k->next)
			cJSON_AddItemToObject(h, k->string, cJSON_Duplicate(k, 1));
		cJSON_Delete(kwargs);
		free(v), v = NULL;
		NEED(!err, "bad args in [%s]", sect);
	}
	cJSON_Delete(list);
	list = section_keys(ini, "loggers");
	NEED(list, "no [loggers] keys= in the file");
	cJSON_ArrayForEach(c, list) {
		char sect[300];
		snprintf(sect, sizeof sect, "logger_%s", c->valuestring);
		int root = strcmp(c->valuestring, "root") == 0;
		cJSON *l = cJSON_CreateObject();
		if (root) {
			cJSON_AddItemToObject(doc, "root", l);
		} else {
			v = get(ini, sect, "qualname", 0, &err);
			if (!v)
				cJSON_Delete(l);
			NEED(v, "[%s] has no qualname", sect);
			cJSON_AddItemToObject(ls, v, l);
			free(v), v = NULL;
			v = get(ini, sect, "propagate", 0, &err);
			cJSON_AddBoolToObject(l, "propagate", v ? atoi(v) != 0 : 1);
			free(v), v = NULL;
		}
		if ((v = get(ini, sect, "level", 0, &err)))
			cJSON_AddStringToObject(l, "level", v), free(v), v = NULL;
		v = get(ini, sect, "handlers", 0, &err);
		NEED(v, "[%s] has no handlers= line", sect);
		cJSON_AddItemToObject(l, "handlers", key_list(v));
		free(v), v = NULL;
	}
	NEED(cJSON_GetObjectItemCaseSensitive(doc, "root"), "[loggers] keys= must list root");
out:
	free(v);
	cJSON_Delete(list);
	return err;
}

int log_file_config(const char *text)
{
	struct ini ini = {0};
	int line = ini_parse_string(text, on_entry, &ini);
	int err = line > 0 ? osfs_refuse(EINVAL, "INI syntax error on line %d", line)
		  : line < 0 ? -ENOMEM : 0;
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "version", 1);
	cJSON_AddBoolToObject(doc, "disable_existing_loggers", 1);
	if (!err)
		err = translate(&ini, doc);
	ini_free(&ini);
	char *json = err ? NULL : cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!err)
		err = json ? log_dict_config(json) : -ENOMEM;
	cJSON_free(json);
	return err;
}
