/* A configuration as Python's configurators see it: values with Python's types
 * (cJSON nodes, flagged where JSON cannot say: a float, a tuple, an object that
 * is not data), their truth, repr() and type names, and the conversions of
 * logging.config's BaseConfigurator: ext:// and cfg:// strings, converted when
 * a value is read, and the converted value kept in its place (ConvertingDict). */
#ifndef OSFS_LOGGING_CONVERT_H
#define OSFS_LOGGING_CONVERT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "osfs/buf.h"

/* Flags in cJSON's type, above the bits cJSON uses. */
#define PY_BIG (1 << 11)    /* an int a double does not hold exactly: valuestring, its digits */
#define PY_FLOAT (1 << 12)  /* a number Python holds as a float (1.0, 1e3, NaN) */
#define PY_TUPLE (1 << 13)  /* an array that is a tuple */
#define PY_OBJECT (1 << 14) /* cJSON_Raw: an object, not data (valueint: its kind) */
#define PY_ALIAS (1 << 15)  /* the value of another node (child), as cfg:// found it */

/* ---- names (pynames.c) ---------------------------------------------------- */

enum pn_kind {
	PN_PACKAGE, PN_MODULE, PN_OPAQUE, PN_ALIAS, PN_DATA, PN_FLOAT, PN_SOCKET,
	PN_STREAM, PN_CLASS, PN_FUNCTION, PN_OTHER,
	/* objects a configuration builds (not rows) */
	PN_FORMATTER, PN_FILTER, PN_HANDLER,
};

struct pn_row {
	const char *path;
	int kind;
	long long sock; /* PN_SOCKET */
	const char *text; /* data's JSON, a class's qualified name, a type's name */
};

const struct pn_row *pn_find(const char *path, size_t len);
/* BaseConfigurator.resolve(s): 0 with the row, or -errno with Python's error
 * (-EOPNOTSUPP: Python may know the name, osfs does not). */
int pn_resolve(const char *s, const struct pn_row **out);
/* The same, as fileConfig's _resolve: its errors are the import's own (wrap 0). */
int pn_import(const char *s, const struct pn_row **out, int wrap);
/* eval(text, vars(logging)) for what needs no Python code (pyeval.c): a value
 * (data or an object node), or NULL with -errno and Python's error. */
cJSON *py_eval(const char *text, int *err);
/* getattr(row's object, attr): 0, -ENOENT (AttributeError) or -EOPNOTSUPP. */
int pn_attr(const struct pn_row *r, const char *attr, size_t len, const struct pn_row **out);
const char *pn_type_name(const struct pn_row *r);
/* The value of a row: data, or an object node. */
cJSON *pn_value(const struct pn_row *r);

/* ---- values ------------------------------------------------------------------ */

/* An object node: kind (enum pn_kind) and its name (a path, a handler's id). */
cJSON *py_object(int kind, const char *name);
int py_kind(const cJSON *v); /* an object's kind, or -1 for data */
/* Follows aliases: the value a node stands for. */
const cJSON *py_deref(const cJSON *v);
int py_truth(const cJSON *v);
int py_is_int(const cJSON *v); /* an int or a bool */
int py_is_str(const cJSON *v);
int py_is_dict(const cJSON *v);
int py_is_list(const cJSON *v); /* a list or a tuple */
const char *py_type_name(const cJSON *v);
void py_repr(const cJSON *v, struct osfs_buf *out);
void py_str(const cJSON *v, struct osfs_buf *out);
/* repr() of a str, for messages: in a buffer that lives until the next call on
 * this thread with the same slot (0..3). */
const char *py_repr_s(const char *s, int slot);
/* The value as plain data, aliases followed (objects kept as they are): a copy
 * that cannot loop (a value that contains itself is refused).  NULL: -errno in *err. */
cJSON *py_copy(const cJSON *v, int *err);
/* JSON text of a value as json.dumps writes it (floats keep their point). */
void py_json(const cJSON *v, struct osfs_buf *out);

/* An int as Python holds it: its digits kept where a double would round it
 * (digits NULL: small). */
cJSON *py_int_literal(const char *digits, size_t n, long long small);
/* json.loads: a dict's later duplicate key replaces the value of the first, floats
 * and NaN as Python reads them.  NULL and -EINVAL after osfs_refuse on bad JSON. */
cJSON *py_json_parse(const char *text, size_t len, int *err);

/* ---- conversion ------------------------------------------------------------ */

struct conv {
	cJSON *root;  /* self.config */
	cJSON *grave; /* nodes taken out of the tree (popped, replaced): alive till the end */
	int raw;      /* fileConfig: values are Python's already, nothing is converted */
	int depth;
};

void conv_init(struct conv *c, cJSON *root);
void conv_free(struct conv *c); /* the grave; root is the caller's */
/* The type's name in Python's messages: a container read from the configuration
 * is a ConvertingDict, ConvertingList or ConvertingTuple. */
const char *conv_type_name(const struct conv *c, const cJSON *v);
/* d[key] / d.get(key) on a converting dict: 0 with *out (NULL: absent), or
 * -errno with the refusal set.  The converted value replaces the original. */
int conv_get(struct conv *c, cJSON *d, const char *key, cJSON **out);
/* d.get(key, {}) when key is absent: the default dict, put in d (ConvertingDict
 * keeps a converted default), or NULL. */
cJSON *conv_default(struct conv *c, cJSON *d, const char *key);
/* d.pop(key): taken out, then converted (not put back). */
int conv_pop(struct conv *c, cJSON *d, const char *key, cJSON **out);
/* l[i] on a converting list (a tuple keeps its item). */
int conv_index(struct conv *c, cJSON *l, int i, cJSON **out);
/* `key in d` */
int conv_has(const cJSON *d, const char *key);
/* d[key] = v (v is taken; the old value goes to the grave). */
void conv_set(struct conv *c, cJSON *d, const char *key, cJSON *v);
/* Keeps a node alive until conv_free. */
void conv_bury(struct conv *c, cJSON *v);

/* The refusal of a Python exception: "Type: message", or the message alone for
 * a ValueError. */
int py_error(const char *type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
