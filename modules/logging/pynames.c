/* Python's names, as far as a logging configuration reaches them without Python
 * code of its own: the table pynames.h (generated from the reference Python) and
 * the two ways of walking it -- BaseConfigurator.resolve (ext://, dictConfig's
 * classes: import, then getattr, importing again when an attribute is missing)
 * and attribute access in an expression (fileConfig's eval). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "convert.h"
#include "osfs/refuse.h"

#define PN(path, kind, sock, text) {path, kind, sock, text},
static const struct pn_row rows[] = {
#include "pynames.h"
};
#undef PN

#define NROWS (sizeof rows / sizeof rows[0])

const struct pn_row *pn_find(const char *path, size_t len)
{
	size_t lo = 0, hi = NROWS;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(rows[mid].path, path, len);
		if (c == 0 && rows[mid].path[len])
			c = 1;
		if (c == 0)
			return &rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}


static int is_module(const struct pn_row *r)
{
	return r && (r->kind == PN_PACKAGE || r->kind == PN_MODULE);
}

/* Whether a class's attributes are rows: the generator lists those of the classes
 * defined in a modelled module, under the module's own path. */
static int class_listed(const struct pn_row *c)
{
	size_t n = strlen(c->text);
	const char *dot = strrchr(c->text, '.');
	const struct pn_row *m = dot ? pn_find(c->text, (size_t)(dot - c->text)) : NULL;
	return n && is_module(m) && strcmp(c->path, c->text) == 0 && strncmp(c->text, "logging", 7) == 0;
}

/* The row of attr of the object at row r: 0, -ENOENT (Python has none), or
 * -EOPNOTSUPP (osfs does not know the attributes of that object). */
int pn_attr(const struct pn_row *r, const char *attr, size_t len, const struct pn_row **out)
{
	char path[512];
	const char *base = r->kind == PN_ALIAS ? r->text : r->path;
	if (r->kind == PN_ALIAS)
		r = pn_find(base, strlen(base));
	if (!r || (!is_module(r) && !(r->kind == PN_CLASS && class_listed(r))))
		return -EOPNOTSUPP;
	int n = snprintf(path, sizeof path, "%s.%.*s", base, (int)len, attr);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENOENT;
	const struct pn_row *found = pn_find(path, (size_t)n);
	if (!found)
		return -ENOENT; /* a modelled module's or class's every attribute is a row */
	if (found->kind == PN_ALIAS)
		found = pn_find(found->text, strlen(found->text));
	*out = found;
	return found ? 0 : -ENOENT;
}

/* What `import used` says when it fails: the first prefix of the dotted name that
 * is no module, and whether its parent is a module but not a package (wrap:
 * as the configurator's ValueError "Cannot resolve ..."). */
static int import_error(const char *whole, const char *used, size_t len, int wrap)
{
	size_t start = 0;
	const struct pn_row *parent = NULL;
	for (;;) {
		const char *dot = memchr(used + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - used) : len;
		const struct pn_row *m = pn_find(used, end);
		if (!is_module(m) || strlen(m->path) != end) {
			/* ValueError from ModuleNotFoundError, both saying it */
			char msg[600];
			if (parent && parent->kind == PN_MODULE)
				snprintf(msg, sizeof msg, "No module named '%.*s'; '%s' is not a package",
					 (int)end, used, parent->path);
			else
				snprintf(msg, sizeof msg, "No module named '%.*s'", (int)end, used);
			if (!wrap)
				return osfs_refuse(EINVAL, "ModuleNotFoundError: %s", msg);
			return osfs_refuse(EINVAL, "Cannot resolve '%s': %s: ModuleNotFoundError: %s", whole,
					   msg, msg);
		}
		parent = m;
		if (!dot)
			return osfs_refuse(EINVAL, "Cannot resolve '%s'", whole);
		start = end + 1;
	}
}

int pn_resolve(const char *s, const struct pn_row **out)
{
	return pn_import(s, out, 1);
}

int pn_import(const char *s, const struct pn_row **out, int wrap)
{
	size_t len = strlen(s), first = strcspn(s, ".");
	const struct pn_row *r = pn_find(s, first);
	if (!is_module(r) || strcmp(r->path, "builtins") == 0) {
		if (first == len && !first)
			return osfs_refuse(EINVAL, "Cannot resolve '': Empty module name");
		return osfs_refuse(EOPNOTSUPP, "%s%s%sno module named '%.*s' that osfs knows (it runs no "
				   "Python: logging, logging.handlers, logging.config, sys and socket only)",
				   wrap ? "Cannot resolve '" : "", wrap ? s : "", wrap ? "': " : "",
				   (int)first, s);
	}
	for (size_t at = first; at < len;) {
		size_t from = at + 1, end = from + strcspn(s + from, ".");
		const struct pn_row *next;
		int err = pn_attr(r, s + from, end - from, &next);
		if (err == -ENOENT)
			return import_error(s, s, end, wrap);
		if (err)
			return osfs_refuse(EOPNOTSUPP, "Cannot resolve '%s': osfs does not model the "
					   "attributes of %s", s, r->path);
		r = next;
		at = end;
	}
	if (r->kind == PN_OPAQUE)
		return osfs_refuse(EOPNOTSUPP, "Cannot resolve '%s': osfs does not model the module "
				   "'%s'", s, r->text);
	*out = r;
	return 0;
}

const char *pn_type_name(const struct pn_row *r)
{
	switch (r->kind) {
	case PN_PACKAGE:
	case PN_MODULE:
	case PN_OPAQUE: return "module";
	case PN_CLASS: return "type";
	case PN_STREAM: return "_io.TextIOWrapper";
	case PN_FUNCTION:
	case PN_OTHER: return r->text;
	case PN_FLOAT: return "float";
	case PN_SOCKET: return "int";
	default: return "object";
	}
}
