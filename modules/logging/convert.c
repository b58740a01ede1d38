/* Python's values in a configuration and BaseConfigurator's conversions (see
 * convert.h).  A value read through conv_get/conv_pop/conv_index is converted as
 * ConvertingDict converts it: a string "ext://NAME" becomes what NAME is (a
 * constant, a stream, an object), "cfg://PATH" the value PATH reaches in the
 * configuration, and the result replaces the string where it was (a dict or
 * list found by cfg:// is not copied: the place holds an alias of it, so that
 * what a builder takes out of it -- `class`, `level` -- is gone for every user,
 * as in Python). */
#include "convert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/logging/value.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

#define MAX_DEPTH 200 /* conversions within conversions: Python's RecursionError */

int py_error(const char *type, const char *fmt, ...)
{
	char msg[OSFS_REFUSAL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!type || strcmp(type, "ValueError") == 0)
		return osfs_refuse(EINVAL, "%s", msg);
	return osfs_refuse(EINVAL, "%s: %s", type, msg);
}

/* ---- values ------------------------------------------------------------------ */

cJSON *py_object(int kind, const char *name)
{
	cJSON *o = cJSON_CreateRaw(name);
	if (o) {
		o->type |= PY_OBJECT;
		o->valueint = kind;
	}
	return o;
}

int py_kind(const cJSON *v)
{
	v = py_deref(v);
	return v && (v->type & PY_OBJECT) ? v->valueint : -1;
}

const cJSON *py_deref(const cJSON *v)
{
	for (int n = 0; v && (v->type & PY_ALIAS) && n < MAX_DEPTH; n++)
		v = v->child;
	return v;
}

static int is_float(const cJSON *v)
{
	return cJSON_IsNumber(v) && !(v->type & PY_BIG) &&
	       ((v->type & PY_FLOAT) || v->valuedouble != trunc(v->valuedouble) ||
		fabs(v->valuedouble) >= 9.3e18);
}

int py_is_int(const cJSON *v)
{
	v = py_deref(v);
	return cJSON_IsBool(v) || (cJSON_IsNumber(v) && !is_float(v));
}

int py_is_str(const cJSON *v)
{
	v = py_deref(v);
	return cJSON_IsString(v);
}

int py_is_dict(const cJSON *v)
{
	v = py_deref(v);
	return cJSON_IsObject(v);
}

int py_is_list(const cJSON *v)
{
	v = py_deref(v);
	return cJSON_IsArray(v);
}

int py_truth(const cJSON *v)
{
	v = py_deref(v);
	if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0; /* NaN is true, as in Python */
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	return 1; /* True, and every object */
}

const char *py_type_name(const cJSON *v)
{
	v = py_deref(v);
	if (!v || cJSON_IsNull(v))
		return "NoneType";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsNumber(v))
		return is_float(v) ? "float" : "int";
	if (cJSON_IsString(v))
		return "str";
	if (cJSON_IsArray(v))
		return v->type & PY_TUPLE ? "tuple" : "list";
	if (cJSON_IsObject(v))
		return "dict";
	switch (py_kind(v)) {
	case PN_FORMATTER: return "Formatter";
	case PN_FILTER: return "Filter";
	case PN_HANDLER: { /* "id\tClass\tLEVEL" */
		static __thread char cls[100];
		const char *tab = strchr(v->valuestring, '\t');
		snprintf(cls, sizeof cls, "%.*s", tab ? (int)strcspn(tab + 1, "\t") : 7,
			 tab ? tab + 1 : "Handler");
		return cls;
	}
	default: {
		const struct pn_row *r = pn_find(v->valuestring, strlen(v->valuestring));
		return r ? pn_type_name(r) : "object";
	}
	}
}

const char *conv_type_name(const struct conv *c, const cJSON *v)
{
	v = py_deref(v);
	if (c && !c->raw && cJSON_IsArray(v))
		return v->type & PY_TUPLE ? "ConvertingTuple" : "ConvertingList";
	if (c && !c->raw && cJSON_IsObject(v))
		return "ConvertingDict";
	return py_type_name(v);
}

static void number_repr(const cJSON *v, struct osfs_buf *out)
{
	double x = v->valuedouble;
	if ((v->type & PY_BIG) && v->valuestring) {
		osfs_buf_puts(out, v->valuestring);
		return;
	}
	if (!is_float(v)) {
		osfs_buf_printf(out, "%lld", (long long)x);
		return;
	}
	if (isnan(x))
		osfs_buf_puts(out, "nan");
	else if (isinf(x))
		osfs_buf_puts(out, x < 0 ? "-inf" : "inf");
	else
		py_dtoa(out, x, 'r', 0, DTSF_ADD_DOT_0);
}

/* The containers being written (a value that holds itself is "{...}" there, as
 * Python's repr shows it). */
struct seen {
	const cJSON *v;
	const struct seen *up;
};

static void repr_in(const cJSON *v, struct osfs_buf *out, int depth, const struct seen *up);

static void repr_at(const cJSON *v, struct osfs_buf *out, int depth)
{
	repr_in(v, out, depth, NULL);
}

static void repr_in(const cJSON *v, struct osfs_buf *out, int depth, const struct seen *up)
{
	v = py_deref(v);
	for (const struct seen *s = up; s; s = s->up)
		if (s->v == v) {
			osfs_buf_puts(out, cJSON_IsObject(v) ? "{...}" : cJSON_IsArray(v) ? "[...]" : "...");
			return;
		}
	struct seen here = {v, up};
	if (depth > 50) {
		osfs_buf_puts(out, "...");
		return;
	}
	if (!v || cJSON_IsNull(v)) {
		osfs_buf_puts(out, "None");
	} else if (cJSON_IsBool(v)) {
		osfs_buf_puts(out, cJSON_IsTrue(v) ? "True" : "False");
	} else if (cJSON_IsNumber(v)) {
		number_repr(v, out);
	} else if (cJSON_IsString(v)) {
		pv_repr_str(v->valuestring, strlen(v->valuestring), out);
	} else if (cJSON_IsArray(v)) {
		int tuple = (v->type & PY_TUPLE) != 0;
		osfs_buf_putc(out, tuple ? '(' : '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			repr_in(c, out, depth + 1, &here);
			if (c->next)
				osfs_buf_puts(out, ", ");
			else if (tuple && c == v->child)
				osfs_buf_putc(out, ',');
		}
		osfs_buf_putc(out, tuple ? ')' : ']');
	} else if (cJSON_IsObject(v)) {
		osfs_buf_putc(out, '{');
		for (const cJSON *c = v->child; c; c = c->next) {
			pv_repr_str(c->string, strlen(c->string), out);
			osfs_buf_puts(out, ": ");
			repr_in(c, out, depth + 1, &here);
			if (c->next)
				osfs_buf_puts(out, ", ");
		}
		osfs_buf_putc(out, '}');
	} else {
		int kind = py_kind(v);
		const char *name = v->valuestring;
		if (kind == PN_STREAM)
			osfs_buf_printf(out, "<_io.TextIOWrapper name='<%s>' mode='w' encoding='utf-8'>",
					strchr(name, '.') ? strchr(name, '.') + 1 : name);
		else if (kind == PN_CLASS)
			osfs_buf_printf(out, "<class '%s'>", pn_find(name, strlen(name)) ?
					pn_find(name, strlen(name))->text : name);
		else if (kind == PN_PACKAGE || kind == PN_MODULE || kind == PN_OPAQUE)
			osfs_buf_printf(out, "<module '%s'>", name);
		else if (kind == PN_HANDLER)
			osfs_buf_printf(out, "<%s (%s)>", py_type_name(v),
					strrchr(name, '\t') ? strrchr(name, '\t') + 1 : "NOTSET");
		else
			osfs_buf_printf(out, "<%s %s>", py_type_name(v), name);
	}
}

void py_repr(const cJSON *v, struct osfs_buf *out)
{
	repr_at(v, out, 0);
}

void py_str(const cJSON *v, struct osfs_buf *out)
{
	v = py_deref(v);
	if (cJSON_IsString(v))
		osfs_buf_puts(out, v->valuestring);
	else
		py_repr(v, out);
}

const char *py_repr_s(const char *s, int slot)
{
	/* fixed buffers: nothing for a thread to leave behind (messages are cut at
	 * OSFS_REFUSAL_MAX anyway) */
	static __thread char bufs[4][OSFS_REFUSAL_MAX];
	struct osfs_buf b = {0};
	pv_repr_str(s, strlen(s), &b);
	snprintf(bufs[slot & 3], sizeof bufs[0], "%s", b.data ? b.data : "''");
	osfs_buf_free(&b);
	return bufs[slot & 3];
}

static cJSON *copy_at(const cJSON *v, int depth, int *err)
{
	v = py_deref(v);
	if (depth > 100) {
		*err = osfs_refuse(ELOOP, "a value that contains itself cannot be passed on");
		return NULL;
	}
	if (!v)
		return cJSON_CreateNull();
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) {
		cJSON *c = cJSON_Duplicate(v, 0);
		if (!c)
			*err = -ENOMEM;
		return c;
	}
	cJSON *out = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	out->type |= v->type & PY_TUPLE;
	for (const cJSON *c = v->child; c && !*err; c = c->next) {
		cJSON *x = copy_at(c, depth + 1, err);
		if (!x)
			break;
		if (cJSON_IsArray(out))
			cJSON_AddItemToArray(out, x);
		else
			cJSON_AddItemToObject(out, c->string, x);
	}
	if (*err) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

cJSON *py_copy(const cJSON *v, int *err)
{
	*err = 0;
	return copy_at(v, 0, err);
}

static void json_at(const cJSON *v, struct osfs_buf *out, int depth)
{
	v = py_deref(v);
	if (depth > 100 || !v) {
		osfs_buf_puts(out, "null");
	} else if (cJSON_IsNumber(v) && (v->type & PY_BIG) && v->valuestring) {
		osfs_buf_puts(out, v->valuestring);
	} else if (cJSON_IsNumber(v) && is_float(v)) {
		double x = v->valuedouble;
		if (isnan(x))
			osfs_buf_puts(out, "NaN");
		else if (isinf(x))
			osfs_buf_puts(out, x < 0 ? "-Infinity" : "Infinity");
		else
			py_dtoa(out, x, 'r', 0, DTSF_ADD_DOT_0);
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		osfs_buf_putc(out, cJSON_IsArray(v) ? '[' : '{');
		for (const cJSON *c = v->child; c; c = c->next) {
			if (cJSON_IsObject(v)) {
				cJSON *k = cJSON_CreateString(c->string);
				char *t = k ? cJSON_PrintUnformatted(k) : NULL;
				osfs_buf_printf(out, "%s: ", t ? t : "\"\"");
				cJSON_free(t);
				cJSON_Delete(k);
			}
			json_at(c, out, depth + 1);
			if (c->next)
				osfs_buf_puts(out, ", ");
		}
		osfs_buf_putc(out, cJSON_IsArray(v) ? ']' : '}');
	} else if (v->type & PY_OBJECT) {
		struct osfs_buf r = {0};
		py_repr(v, &r);
		cJSON *s = cJSON_CreateString(r.data ? r.data : "");
		char *t = s ? cJSON_PrintUnformatted(s) : NULL;
		osfs_buf_puts(out, t ? t : "null");
		cJSON_free(t);
		cJSON_Delete(s);
		osfs_buf_free(&r);
	} else {
		char *t = cJSON_PrintUnformatted(v);
		osfs_buf_puts(out, t ? t : "null");
		cJSON_free(t);
	}
}

void py_json(const cJSON *v, struct osfs_buf *out)
{
	json_at(v, out, 0);
}

cJSON *py_int_literal(const char *digits, size_t n, long long small)
{
	char buf[32];
	if (!digits) {
		snprintf(buf, sizeof buf, "%lld", small);
		digits = buf;
		n = strlen(buf);
	}
	double x = strtod(digits, NULL);
	cJSON *v = cJSON_CreateNumber(x);
	char exact[400];
	snprintf(exact, sizeof exact, "%.0f", x);
	if (v && (fabs(x) >= 9007199254740992.0 || n >= sizeof exact || strlen(exact) != n ||
		  strncmp(exact, digits, n) != 0)) {
		v->valuestring = strndup(digits, n); /* printed as written, where a double would not */
		v->type |= PY_BIG;
	}
	return v;
}

/* ---- json.loads ----------------------------------------------------------- */

static cJSON *build(const char *p, const char *end, int *err)
{
	struct pyval v;
	struct osfs_buf scratch = {0};
	cJSON *out = NULL;
	if ((*err = pj_value(p, end, &v, &scratch)))
		return NULL;
	switch (v.type) {
	case PV_NONE: out = cJSON_CreateNull(); break;
	case PV_BOOL: out = cJSON_CreateBool((int)v.i); break;
	case PV_INT:
	case PV_BIG:
		out = py_int_literal(v.type == PV_INT ? NULL : v.s, v.type == PV_INT ? 0 : v.n, v.i);
		break;
	case PV_FLOAT:
		if ((out = cJSON_CreateNumber(v.f)))
			out->type |= PY_FLOAT;
		break;
	case PV_STR: out = cJSON_CreateString(v.s); break;
	case PV_LIST:
	case PV_DICT: {
		int dict = v.type == PV_DICT;
		int dups = dict && pj_has_duplicate_keys(v.s, v.s + v.n);
		out = dict ? cJSON_CreateObject() : cJSON_CreateArray();
		struct pj_iter it;
		const char *key, *value;
		pj_open(&it, v.s, v.s + v.n);
		while (out && !*err && pj_next(&it, &key, &value)) {
			cJSON *item = build(value, v.s + v.n, err);
			if (!item)
				break;
			if (!dict) {
				cJSON_AddItemToArray(out, item);
				continue;
			}
			osfs_buf_reset(&scratch);
			pj_string(key, &scratch);
			osfs_buf_putc(&scratch, '\0');
			cJSON *had = dups ? cJSON_GetObjectItemCaseSensitive(out, scratch.data) : NULL;
			if (had) { /* json.loads: the last value, in the first one's place */
				item->string = strdup(scratch.data);
				cJSON_ReplaceItemViaPointer(out, had, item);
			}
			else
				cJSON_AddItemToObject(out, scratch.data, item);
		}
		break;
	}
	default: break;
	}
	osfs_buf_free(&scratch);
	if (!out && !*err)
		*err = -ENOMEM;
	if (*err) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

cJSON *py_json_parse(const char *text, size_t len, int *err)
{
	const char *p = text, *end = text + len;
	*err = pj_check(&p, end, 0);
	if (*err == -EILSEQ && pj_ws(p, end) == end) {
		*err = pj_refuse_nul();
		return NULL;
	}
	if (*err) {
		cJSON_Delete(cJSON_ParseWithLength(text, len)); /* for where it went wrong */
		const char *at = cJSON_GetErrorPtr();
		int near = at && at >= text && at < end;
		*err = osfs_refuse(EINVAL, "not valid JSON%s%.20s%s", near ? " near '" : "",
				   near ? at : "", near ? "'" : "");
		return NULL;
	}
	if (pj_ws(p, end) != end) {
		*err = osfs_refuse(EINVAL, "Extra data after the JSON value: '%.20s'", pj_ws(p, end));
		return NULL;
	}
	return build(text, end, err);
}

/* ---- conversion ------------------------------------------------------------ */

void conv_init(struct conv *c, cJSON *root)
{
	*c = (struct conv){.root = root, .grave = cJSON_CreateArray()};
}

void conv_free(struct conv *c)
{
	cJSON_Delete(c->grave);
	c->grave = NULL;
}

void conv_bury(struct conv *c, cJSON *v)
{
	if (v && c->grave)
		cJSON_AddItemToArray(c->grave, v);
	else
		cJSON_Delete(v);
}

int conv_has(const cJSON *d, const char *key)
{
	d = py_deref(d);
	return cJSON_IsObject(d) && cJSON_GetObjectItemCaseSensitive(d, key) != NULL;
}

/* Puts v where item is in parent (item is taken out, not freed): cJSON's
 * ReplaceItemViaPointer, but the old item may still be reached through an alias. */
static void swap_in(cJSON *parent, cJSON *item, cJSON *v)
{
	v->next = item->next;
	v->prev = item->prev;
	if (v->next)
		v->next->prev = v;
	if (parent->child == item) {
		if (parent->child->prev == parent->child)
			v->prev = v;
		parent->child = v;
	} else {
		if (v->prev)
			v->prev->next = v;
		if (!v->next)
			parent->child->prev = v;
	}
	item->next = item->prev = NULL;
}

void conv_set(struct conv *c, cJSON *d, const char *key, cJSON *v)
{
	d = (cJSON *)py_deref(d);
	cJSON *had = cJSON_GetObjectItemCaseSensitive(d, key);
	if (!had) {
		cJSON_AddItemToObject(d, key, v);
		return;
	}
	if (v->string)
		cJSON_free(v->string);
	v->string = had->string ? strdup(had->string) : NULL;
	swap_in(d, had, v);
	conv_bury(c, had);
}

static int cfg_convert(struct conv *c, const char *value, cJSON **out);
static int ext_convert(struct conv *c, const char *value, cJSON **out);

/* The prefix of CONVERT_PATTERN ^([a-z]+)://(.*)$: the suffix, or NULL.  `.`
 * stops at a newline, and `$` matches before a newline that ends the string. */
static const char *convert_suffix(const char *s, const char *prefix, char *buf, size_t size)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0 || strncmp(s + n, "://", 3) != 0)
		return NULL;
	const char *rest = s + n + 3, *nl = strchr(rest, '\n');
	if (nl && nl[1])
		return NULL;
	snprintf(buf, size, "%.*s", (int)(nl ? nl - rest : (long)strlen(rest)), rest);
	return buf;
}

/* BaseConfigurator.convert(value): *out is a new node (a constant, an object),
 * or an existing one (cfg:// found it), or value itself when nothing converts. */
static int convert(struct conv *c, cJSON *value, cJSON **out, int *fresh)
{
	*out = value;
	*fresh = 0;
	const cJSON *v = py_deref(value);
	if (c->raw || !cJSON_IsString(v))
		return 0;
	char suffix[OSFS_REFUSAL_MAX];
	const char *s = v->valuestring, *rest;
	int err = 0;
	if (++c->depth > MAX_DEPTH)
		err = py_error("RecursionError", "maximum recursion depth exceeded while calling a "
				"Python object");
	else if ((rest = convert_suffix(s, "ext", suffix, sizeof suffix)))
		err = ext_convert(c, rest, out), *fresh = !err;
	else if ((rest = convert_suffix(s, "cfg", suffix, sizeof suffix)))
		err = cfg_convert(c, rest, out);
	c->depth--;
	return err;
}

/* ConvertingMixin.convert_with_key: the converted value replaces the original
 * (replace), a container found elsewhere by an alias of it. */
static int convert_item(struct conv *c, cJSON *container, cJSON *item, int keep, cJSON **out)
{
	cJSON *v;
	int fresh, err = convert(c, item, &v, &fresh);
	if (err)
		return err;
	if (v == item) {
		*out = (cJSON *)py_deref(item);
		return 0;
	}
	if (!keep && container) {
		cJSON *put = v;
		if (!fresh && (cJSON_IsArray(v) || cJSON_IsObject(v))) {
			put = cJSON_CreateNull();
			if (put) {
				put->type = cJSON_Raw | PY_ALIAS | cJSON_IsReference;
				put->child = v;
			}
		} else if (!fresh) {
			put = cJSON_Duplicate(v, 1);
		}
		if (!put) {
			if (fresh)
				cJSON_Delete(v);
			return -ENOMEM;
		}
		if (put->string)
			cJSON_free(put->string);
		put->string = item->string ? strdup(item->string) : NULL;
		swap_in(container, item, put);
		cJSON_Delete(item); /* a string: nothing refers to it */
		*out = (cJSON *)py_deref(put);
		return 0;
	}
	if (fresh)
		conv_bury(c, v);
	*out = (cJSON *)py_deref(v);
	return 0;
}

int conv_get(struct conv *c, cJSON *d, const char *key, cJSON **out)
{
	*out = NULL;
	d = (cJSON *)py_deref(d);
	cJSON *item = cJSON_IsObject(d) ? cJSON_GetObjectItemCaseSensitive(d, key) : NULL;
	return item ? convert_item(c, d, item, 0, out) : 0;
}

cJSON *conv_default(struct conv *c, cJSON *d, const char *key)
{
	cJSON *v = cJSON_CreateObject();
	if (v)
		conv_set(c, d, key, v);
	return v;
}

int conv_pop(struct conv *c, cJSON *d, const char *key, cJSON **out)
{
	*out = NULL;
	d = (cJSON *)py_deref(d);
	cJSON *item = cJSON_IsObject(d) ? cJSON_GetObjectItemCaseSensitive(d, key) : NULL;
	if (!item)
		return 0;
	cJSON_DetachItemViaPointer(d, item);
	conv_bury(c, item);
	return convert_item(c, NULL, item, 1, out);
}

int conv_index(struct conv *c, cJSON *l, int i, cJSON **out)
{
	*out = NULL;
	l = (cJSON *)py_deref(l);
	cJSON *item = cJSON_GetArrayItem(l, i);
	return item ? convert_item(c, l, item, (l->type & PY_TUPLE) != 0, out) : 0;
}

/* ---- ext:// and cfg:// -------------------------------------------------------- */

cJSON *pn_value(const struct pn_row *r)
{
	cJSON *v;
	int err;
	switch (r->kind) {
	case PN_DATA:
	case PN_FLOAT:
		return py_json_parse(r->text, strlen(r->text), &err);
	case PN_SOCKET: return cJSON_CreateNumber((double)r->sock);
	case PN_ALIAS: return py_object(PN_MODULE, r->text);
	default:
		v = py_object(r->kind, r->path);
		return v;
	}
}

static int ext_convert(struct conv *c, const char *value, cJSON **out)
{
	(void)c;
	const struct pn_row *r;
	int err = pn_resolve(value, &r);
	if (err)
		return err;
	*out = pn_value(r);
	return *out ? 0 : -ENOMEM;
}

/* re's \s and \w, as far as ASCII; any other character counts as a word one. */
static int is_space(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= 0x1c && ch <= 0x1f);
}

static int is_word(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || (unsigned char)ch >= 0x80;
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static size_t word_len(const char *p)
{
	size_t n = 0;
	while (is_word(p[n]))
		n++;
	return n;
}

/* d[key] as Python's __getitem__ answers it on what cfg:// has reached. */
static int subscript(struct conv *c, cJSON *d, const char *key, int digits, cJSON **out)
{
	const cJSON *v = py_deref(d);
	if (cJSON_IsObject(v)) {
		int err = conv_get(c, d, digits ? "\x01" : key, out); /* an int key is never there */
		if (err)
			return err;
		if (*out)
			return 0;
		return digits ? py_error("KeyError", "%lld", strtoll(key, NULL, 10))
			      : py_error("KeyError", "%s", py_repr_s(key, 0));
	}
	if (cJSON_IsArray(v)) {
		const char *what = v->type & PY_TUPLE ? "tuple" : "list";
		if (!digits)
			return py_error("TypeError", "%s indices must be integers or slices, not str", what);
		long long i = strlen(key) > 18 ? -1 : strtoll(key, NULL, 10);
		if (i < 0)
			return py_error("IndexError", "cannot fit 'int' into an index-sized integer");
		if (i >= cJSON_GetArraySize(v))
			return py_error("IndexError", "%s index out of range", what);
		return conv_index(c, d, (int)i, out);
	}
	if (cJSON_IsString(v)) {
		if (!digits)
			return py_error("TypeError", "string indices must be integers, not 'str'");
		long long i = strlen(key) > 18 ? -1 : strtoll(key, NULL, 10);
		if (i < 0)
			return py_error("IndexError", "cannot fit 'int' into an index-sized integer");
		const char *p = v->valuestring, *end = p + strlen(p);
		for (long long k = 0; k < i && p < end; k++)
			u8_next(&p, end);
		if (p >= end)
			return py_error("IndexError", "string index out of range");
		const char *q = p;
		u8_next(&q, end);
		char ch[8];
		snprintf(ch, sizeof ch, "%.*s", (int)(q - p), p);
		*out = cJSON_CreateString(ch);
		conv_bury(c, *out);
		return *out ? 0 : -ENOMEM;
	}
	return py_error("TypeError", "'%s' object is not subscriptable", py_type_name(v));
}

static int cfg_convert(struct conv *c, const char *value, cJSON **out)
{
	const char *p = skip_space(value);
	size_t n = word_len(p);
	if (!n)
		return py_error(NULL, "Unable to convert %s", py_repr_s(value, 0));
	char key[OSFS_REFUSAL_MAX];
	snprintf(key, sizeof key, "%.*s", (int)n, p);
	cJSON *d;
	int err = conv_get(c, c->root, key, &d);
	if (err)
		return err;
	if (!d)
		return py_error("KeyError", "%s", py_repr_s(key, 0));
	for (const char *rest = skip_space(p + n); *rest;) {
		const char *q = rest;
		int digits = 0, ok = 0;
		if (*q == '.') { /* DOT_PATTERN ^\.\s*(\w+)\s* */
			q = skip_space(q + 1);
			n = word_len(q);
			ok = n > 0;
			snprintf(key, sizeof key, "%.*s", (int)n, q);
			q = skip_space(q + n);
		} else if (*q == '[') { /* INDEX_PATTERN ^\[\s*(\w+)\s*\]\s* */
			q = skip_space(q + 1);
			n = word_len(q);
			snprintf(key, sizeof key, "%.*s", (int)n, q);
			q = skip_space(q + n);
			ok = n > 0 && *q == ']';
			if (ok)
				q = skip_space(q + 1);
			digits = ok && strspn(key, "0123456789") == n;
		}
		if (!ok)
			return py_error(NULL, "Unable to convert %s at %s", py_repr_s(value, 0),
					py_repr_s(rest, 1));
		if ((err = subscript(c, d, key, digits, &d)))
			return err;
		rest = q;
	}
	*out = d;
	return 0;
}
