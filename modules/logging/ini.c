/* configparser.ConfigParser as logging.config.fileConfig makes it: read_string's
 * rules (sections, options split at the first '=' or ':', full-line comments
 * only -- a ';' after a value is part of it --, continuation lines indented
 * deeper, empty lines kept inside values, keys lowercased, strict: a section or
 * option twice is an error), DEFAULT's options seen from every section, and
 * BasicInterpolation (%(key)s, %%) done when a value is read.  inih reads a
 * different dialect (inline comments, no duplicates check), hence this reader. */
#include "ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

#define MAX_DEPTH 10 /* configparser's MAX_INTERPOLATION_DEPTH */

/* str.isspace() for the characters a configuration holds (ASCII, NEL, NBSP and
 * the Unicode spaces): the byte length of the space at p, or 0. */
static size_t space_at(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
		return 1;
	if (c < 0x80 || p + 1 >= end)
		return 0;
	const char *q = p;
	uint32_t u = u8_next(&q, end);
	int wide = u == 0x85 || u == 0xa0 || u == 0x1680 || (u >= 0x2000 && u <= 0x200a) ||
		   u == 0x2028 || u == 0x2029 || u == 0x202f || u == 0x205f || u == 0x3000;
	return wide ? (size_t)(q - p) : 0;
}

/* str.rstrip() of [s, *e). */
static void rstrip(const char *s, const char **e)
{
	while (*e > s) {
		const char *p = *e - 1;
		while (p > s && ((unsigned char)*p & 0xc0) == 0x80)
			p--;
		if (!space_at(p, *e))
			break;
		*e = p;
	}
}

/* str.strip() of [*s, *e). */
static void strip(const char **s, const char **e)
{
	size_t n;
	while (*s < *e && (n = space_at(*s, *e)))
		*s += n;
	rstrip(*s, e);
}

static int entry_add(struct ini *ini, const char *section, const char *key, const char *value)
{
	struct ini_entry *p = realloc(ini->e, (ini->n + 1) * sizeof *p);
	if (!p)
		return -ENOMEM;
	ini->e = p;
	p[ini->n] = (struct ini_entry){strdup(section), strdup(key), value ? strdup(value) : NULL};
	if (!p[ini->n].section || !p[ini->n].key || (value && !p[ini->n].value))
		return -ENOMEM;
	ini->n++;
	return 0;
}

static int section_add(struct ini *ini, const char *name)
{
	char **p = realloc(ini->sections, (ini->nsections + 1) * sizeof *p);
	if (!p)
		return -ENOMEM;
	ini->sections = p;
	if (!(p[ini->nsections] = strdup(name)))
		return -ENOMEM;
	ini->nsections++;
	return 0;
}

int ini_has_section(const struct ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->nsections; i++)
		if (strcmp(ini->sections[i], name) == 0)
			return 1;
	return 0;
}

static struct ini_entry *find(const struct ini *ini, const char *section, const char *key)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->e[i].section, section) == 0 && strcmp(ini->e[i].key, key) == 0)
			return &ini->e[i];
	return NULL;
}

/* optionxform: str.lower(), as far as ASCII */
static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* A line of the source for a message: Python's repr() of it, newline included. */
static void line_repr(const char *s, const char *e, int newline, struct osfs_buf *out)
{
	struct osfs_buf l = {0};
	osfs_buf_add(&l, s, (size_t)(e - s));
	if (newline)
		osfs_buf_putc(&l, '\n');
	pv_repr_str(l.data ? l.data : "", l.len, out);
	osfs_buf_free(&l);
}

int ini_read(struct ini *ini, const char *text)
{
	const char *src = "'<string>'";
	char *cursect = NULL, *optname = NULL;
	size_t indent_level = 0, lineno = 0;
	struct osfs_buf errors = {0}; /* ParsingError: every bad line, raised at the end */
	int err = 0;
	for (const char *line = text; *line && !err;) {
		const char *nl = line + strcspn(line, "\r\n"), *next = nl;
		next += *nl == '\r' && nl[1] == '\n' ? 2 : *nl ? 1 : 0; /* universal newlines */
		lineno++;
		const char *s = line, *e = nl;
		strip(&s, &e);
		int comment = s < e && (*s == '#' || *s == ';');
		if (s == e || comment) { /* an empty line joins the value, a comment is dropped */
			struct ini_entry *v = cursect && optname && *optname ? find(ini, cursect, optname) : NULL;
			if (!comment && v && v->value) {
				char *grown = realloc(v->value, strlen(v->value) + 2);
				if (!grown) {
					err = -ENOMEM;
					break;
				}
				v->value = strcat(grown, "\n");
			}
			line = next;
			continue;
		}
		size_t indent = (size_t)(s - line);
		struct ini_entry *v = cursect && optname && *optname ? find(ini, cursect, optname) : NULL;
		if (v && v->value && indent > indent_level) { /* a continuation line */
			size_t had = strlen(v->value);
			char *grown = realloc(v->value, had + (size_t)(e - s) + 2);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			grown[had] = '\n';
			memcpy(grown + had + 1, s, (size_t)(e - s));
			grown[had + 1 + (e - s)] = '\0';
			v->value = grown;
			line = next;
			continue;
		}
		indent_level = indent;
		const char *close = NULL;
		for (const char *p = s + 1; *s == '[' && p < e; p++)
			if (*p == ']' && p > s + 1)
				close = p; /* SECTCRE \[(.+)\]: the last ']' */
		if (close) {
			free(cursect);
			cursect = strndup(s + 1, (size_t)(close - s - 1));
			free(optname);
			optname = NULL;
			if (!cursect) {
				err = -ENOMEM;
			} else if (strcmp(cursect, "DEFAULT") != 0 && ini_has_section(ini, cursect)) {
				err = py_error("DuplicateSectionError", "While reading from %s [line %2zu]: "
					       "section %s already exists", src, lineno, py_repr_s(cursect, 0));
			} else if (strcmp(cursect, "DEFAULT") != 0) {
				err = section_add(ini, cursect);
			}
		} else if (!cursect) {
			struct osfs_buf r = {0};
			line_repr(line, nl, *nl != '\0', &r);
			err = py_error("MissingSectionHeaderError", "File contains no section headers.\n"
				       "file: %s, line: %zu\n%s", src, lineno, r.data ? r.data : "");
			osfs_buf_free(&r);
		} else {
			/* OPTCRE: the option ends at the first '=' or ':' (spaces before it trimmed) */
			const char *d = s + strcspn(s, "=:");
			if (d >= e) {
				osfs_buf_printf(&errors, "\n\t[line %2zu]: ", lineno);
				line_repr(line, nl, *nl != '\0', &errors);
				line = next;
				continue;
			}
			const char *ks = s, *ke = d, *vs = d + 1, *ve = e;
			strip(&ks, &ke);
			strip(&vs, &ve);
			if (ks == ke) {
				osfs_buf_printf(&errors, "\n\t[line %2zu]: ", lineno);
				line_repr(line, nl, *nl != '\0', &errors);
			}
			free(optname);
			optname = strndup(ks, (size_t)(ke - ks));
			char *value = strndup(vs, (size_t)(ve - vs));
			if (!optname || !value) {
				free(value);
				err = -ENOMEM;
				break;
			}
			lower(optname);
			if (find(ini, cursect, optname))
				err = py_error("DuplicateOptionError", "While reading from %s [line %2zu]: "
					       "option %s in section %s already exists", src, lineno,
					       py_repr_s(optname, 0), py_repr_s(cursect, 1));
			else
				err = entry_add(ini, cursect, optname, value);
			free(value);
		}
		line = next;
	}
	/* _join_multiline_values: trailing empty lines go (rstrip) */
	for (size_t i = 0; !err && i < ini->n; i++) {
		char *v = ini->e[i].value;
		const char *keep = v + strlen(v);
		rstrip(v, &keep);
		v[keep - v] = '\0';
	}
	if (!err && errors.len)
		err = py_error("ParsingError", "Source contains parsing errors: %s%s", src, errors.data);
	osfs_buf_free(&errors);
	free(cursect);
	free(optname);
	return err;
}

void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->e[i].section);
		free(ini->e[i].key);
		free(ini->e[i].value);
	}
	for (size_t i = 0; i < ini->nsections; i++)
		free(ini->sections[i]);
	free(ini->e);
	free(ini->sections);
	*ini = (struct ini){0};
}

const char *ini_raw(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *e = find(ini, section, key);
	if (!e)
		e = find(ini, "DEFAULT", key);
	return e ? e->value : NULL;
}

/* BasicInterpolation._interpolate_some */
static int interpolate(const struct ini *ini, const char *section, const char *option,
		       const char *rest, struct osfs_buf *out, int depth)
{
	const char *rawval = ini_raw(ini, section, option);
	if (!rawval)
		rawval = rest;
	if (depth > MAX_DEPTH)
		return py_error("InterpolationDepthError", "Recursion limit exceeded in value "
				"substitution: option %s in section %s contains an interpolation key "
				"which cannot be substituted in %d steps. Raw value: %s",
				py_repr_s(option, 0), py_repr_s(section, 1), MAX_DEPTH,
				py_repr_s(rawval, 2));
	while (*rest) {
		const char *p = strchr(rest, '%');
		if (!p) {
			osfs_buf_puts(out, rest);
			return 0;
		}
		osfs_buf_add(out, rest, (size_t)(p - rest));
		rest = p;
		if (rest[1] == '%') {
			osfs_buf_putc(out, '%');
			rest += 2;
		} else if (rest[1] == '(') {
			const char *close = strchr(rest + 2, ')'); /* %\(([^)]+)\)s */
			if (!close || close == rest + 2 || close[1] != 's')
				return py_error("InterpolationSyntaxError", "bad interpolation variable "
						"reference %s", py_repr_s(rest, 0));
			char *var = strndup(rest + 2, (size_t)(close - rest - 2));
			if (!var)
				return -ENOMEM;
			lower(var);
			rest = close + 2;
			const char *v = ini_raw(ini, section, var);
			if (!v) {
				int err = py_error("InterpolationMissingOptionError", "Bad value "
						   "substitution: option %s in section %s contains an "
						   "interpolation key %s which is not a valid option name. "
						   "Raw value: %s", py_repr_s(option, 0),
						   py_repr_s(section, 1), py_repr_s(var, 2),
						   py_repr_s(rawval, 3));
				free(var);
				return err;
			}
			free(var);
			if (strchr(v, '%')) {
				int err = interpolate(ini, section, option, v, out, depth + 1);
				if (err)
					return err;
			} else {
				osfs_buf_puts(out, v);
			}
		} else {
			return py_error("InterpolationSyntaxError", "'%%' must be followed by '%%' or "
					"'(', found: %s", py_repr_s(rest, 0));
		}
	}
	return 0;
}

char *ini_get(const struct ini *ini, const char *section, const char *key, int raw, int *err)
{
	*err = 0;
	const char *v = ini_raw(ini, section, key);
	if (!v)
		return NULL;
	struct osfs_buf b = {0};
	if (raw)
		osfs_buf_puts(&b, v);
	else
		*err = interpolate(ini, section, key, v, &b, 1);
	if (!*err && osfs_buf_error(&b))
		*err = -ENOMEM;
	if (*err) {
		osfs_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}
