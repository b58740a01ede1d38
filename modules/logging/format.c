/* logging.Formatter: a format is compiled once into literal text and fields; each
 * record is then formatted by looking its fields up (record attributes, extras,
 * then the formatter's defaults) and converting them as Python's style would. */
#include "osfs/logging/format.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/refuse.h"
#include "osfs/time.h"

enum tok_kind { TK_LIT, TK_FIELD };

struct fmt_tok {
	enum tok_kind kind;
	char *text;           /* the literal, or the field name */
	struct pct_spec pct;  /* '%' style */
	char conversion;      /* '{' style: 0, r, s, a */
	char *spec;           /* '{' style format spec */
	int attr;             /* the LogRecord attribute, or -1: an extra or a default */
};

struct log_formatter {
	char *fmt, *datefmt, *defaults_json;
	char style;
	int uses_time;
	struct fmt_tok *toks;
	size_t ntoks, cap;
	struct log_extra *defaults;
	size_t ndefaults;
};

static const struct {
	char style;
	const char *default_fmt, *asctime_search, *asctime_search2;
} styles[] = {
	{'%', "%(message)s", "%(asctime)", NULL},
	{'{', "{message}", "{asctime", NULL},
	{'$', "${message}", "${asctime}", "$asctime"},
};

static int add_tok(struct log_formatter *f, struct fmt_tok t)
{
	if (f->ntoks == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct fmt_tok *p = realloc(f->toks, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		f->toks = p;
		f->cap = cap;
	}
	f->toks[f->ntoks++] = t;
	return 0;
}

/* Appends literal text, merging with a literal just before it. */
static int add_lit(struct log_formatter *f, const char *s, size_t len)
{
	if (!len)
		return 0;
	if (f->ntoks && f->toks[f->ntoks - 1].kind == TK_LIT) {
		struct fmt_tok *t = &f->toks[f->ntoks - 1];
		size_t old = strlen(t->text);
		char *p = realloc(t->text, old + len + 1);
		if (!p)
			return -ENOMEM;
		memcpy(p + old, s, len);
		p[old + len] = '\0';
		t->text = p;
		return 0;
	}
	char *text = strndup(s, len);
	return text ? add_tok(f, (struct fmt_tok){.kind = TK_LIT, .text = text}) : -ENOMEM;
}

static int is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* %(name)[flags][width][.precision][length]type, as Python's % reads a mapping. */
static int compile_percent(struct log_formatter *f)
{
	const char *p = f->fmt;
	int fields = 0;
	while (*p) {
		const char *pc = strchr(p, '%');
		if (!pc)
			return add_lit(f, p, strlen(p)) ? -ENOMEM : (fields ? 0 : -1);
		if (add_lit(f, p, (size_t)(pc - p)))
			return -ENOMEM;
		p = pc + 1;
		if (*p == '%') {
			if (add_lit(f, "%", 1))
				return -ENOMEM;
			p++;
			continue;
		}
		if (*p != '(')
			return osfs_refuse(EINVAL, "'%s': every %% conversion needs a field name, "
					   "as %%(message)s", f->fmt);
		int depth = 1;
		const char *key = ++p;
		while (*p && depth) {
			depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
			p++;
		}
		if (depth)
			return osfs_refuse(EINVAL, "'%s': incomplete format key", f->fmt);
		struct fmt_tok t = {.kind = TK_FIELD, .text = strndup(key, (size_t)(p - 1 - key))};
		t.pct.width = t.pct.precision = -1;
		size_t nf = 0;
		while (*p && strchr("-+ #0", *p) && nf < sizeof t.pct.flags - 1)
			t.pct.flags[nf++] = *p++;
		int err = isdigit((unsigned char)*p) ? pv_spec_number(&p, &t.pct.width) : 0;
		if (!err && *p == '.') {
			p++;
			err = pv_spec_number(&p, &t.pct.precision);
		}
		if (err) {
			free(t.text);
			return err;
		}
		while (*p && strchr("hlL", *p))
			p++;
		if (!*p || !strchr("diouxXeEfFgGcrsa", *p)) {
			free(t.text);
			if (!*p)
				return osfs_refuse(EINVAL, "'%s': incomplete format", f->fmt);
			return osfs_refuse(EINVAL, "'%s': unsupported format character '%c'", f->fmt, *p);
		}
		t.pct.type = *p++;
		if (!t.text || add_tok(f, t)) {
			free(t.text);
			return -ENOMEM;
		}
		fields++;
	}
	return fields ? 0 : -1;
}

/* string.Formatter.parse: literal text, {{ }} escapes, {name!conv:spec}. */
static int compile_brace(struct log_formatter *f)
{
	const char *p = f->fmt;
	int fields = 0;
	while (*p) {
		size_t lit = strcspn(p, "{}");
		if (add_lit(f, p, lit))
			return -ENOMEM;
		p += lit;
		if (!*p)
			break;
		if (p[0] == p[1]) { /* {{ or }} */
			if (add_lit(f, p, 1))
				return -ENOMEM;
			p += 2;
			continue;
		}
		if (*p == '}')
			return osfs_refuse(EINVAL, "invalid format: Single '}' encountered in format string");
		const char *start = ++p;
		int depth = 1;
		while (*p && depth) {
			depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
			p++;
		}
		if (depth)
			return osfs_refuse(EINVAL, "invalid format: expected '}' before end of string");
		char *field = strndup(start, (size_t)(p - 1 - start));
		if (!field)
			return -ENOMEM;
		char *spec = strchr(field, ':');
		if (spec)
			*spec++ = '\0';
		char *conv = strchr(field, '!');
		if (conv)
			*conv++ = '\0';
		int err = 0;
		if (!*field || strspn(field, "0123456789") == strlen(field))
			err = osfs_refuse(EINVAL, "invalid format: fields must be named, as {message}");
		for (const char *c = field; !err && *c; c++)
			if (!is_word(*c))
				err = osfs_refuse(EINVAL, "invalid format: field '%s': only plain names "
						  "are supported, not attributes or indexes", field);
		if (!err && conv && (strlen(conv) != 1 || !strchr("rsa", conv[0])))
			err = osfs_refuse(EINVAL, "invalid format: invalid conversion: '%s'", conv);
		if (!err && spec && strchr(spec, '{'))
			err = osfs_refuse(EINVAL, "invalid format: nested fields in '%s' are not supported", spec);
		struct fmt_tok t = {.kind = TK_FIELD, .conversion = conv ? conv[0] : 0};
		if (!err) {
			t.text = strdup(field);
			t.spec = strdup(spec ? spec : "");
			if (!t.text || !t.spec || add_tok(f, t))
				err = -ENOMEM;
		}
		free(field);
		if (err) {
			free(t.text);
			free(t.spec);
			return err;
		}
		fields++;
	}
	return fields ? 0 : osfs_refuse(EINVAL, "invalid format: no fields");
}

/* string.Template: $$, $name, ${name}; anything else after $ is refused. */
static int compile_dollar(struct log_formatter *f)
{
	const char *p = f->fmt;
	int fields = 0;
	while (*p) {
		const char *d = strchr(p, '$');
		if (!d)
			return add_lit(f, p, strlen(p)) ? -ENOMEM : fields ? 0 : osfs_refuse(EINVAL, "invalid format: no fields");
		if (add_lit(f, p, (size_t)(d - p)))
			return -ENOMEM;
		p = d + 1;
		if (*p == '$') {
			if (add_lit(f, "$", 1))
				return -ENOMEM;
			p++;
			continue;
		}
		int braced = *p == '{';
		const char *name = p + braced;
		size_t len = 0;
		if (isalpha((unsigned char)name[0]) || name[0] == '_')
			while (is_word(name[len]) && (unsigned char)name[len] < 0x80)
				len++;
		if (!len || (braced && name[len] != '}'))
			return osfs_refuse(EINVAL, "invalid format: bare '$' not allowed");
		struct fmt_tok t = {.kind = TK_FIELD, .text = strndup(name, len)};
		if (!t.text || add_tok(f, t)) {
			free(t.text);
			return -ENOMEM;
		}
		p = name + len + braced;
		fields++;
	}
	return fields ? 0 : osfs_refuse(EINVAL, "invalid format: no fields");
}

void log_formatter_free(struct log_formatter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ntoks; i++) {
		free(f->toks[i].text);
		free(f->toks[i].spec);
	}
	free(f->toks);
	free(f->fmt);
	free(f->datefmt);
	free(f->defaults_json);
	log_values_free(f->defaults, f->ndefaults);
	free(f);
}

struct log_formatter *log_formatter_new(const char *fmt, const char *datefmt, char style,
					const char *defaults_json, int validate)
{
	size_t s;
	for (s = 0; s < sizeof styles / sizeof styles[0]; s++)
		if (styles[s].style == style)
			break;
	if (s == sizeof styles / sizeof styles[0]) {
		osfs_refuse(EINVAL, "Style must be one of: %%,{,$");
		return NULL;
	}
	struct log_formatter *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->style = style;
	f->fmt = strdup(fmt && *fmt ? fmt : styles[s].default_fmt);
	f->datefmt = datefmt ? strdup(datefmt) : NULL;
	f->defaults_json = defaults_json ? strdup(defaults_json) : NULL;
	int err = !f->fmt || (datefmt && !f->datefmt) ? -ENOMEM : 0;
	if (!err && defaults_json &&
	    (err = log_json_values(defaults_json, &f->defaults, &f->ndefaults)) == 1)
		err = osfs_refuse(EINVAL, "defaults must be a JSON object");
	if (!err) {
		err = style == '%' ? compile_percent(f) : style == '{' ? compile_brace(f) : compile_dollar(f);
		if (err == -1) /* Python's validate(): at least one %(name)s field */
			err = validate ? osfs_refuse(EINVAL, "Invalid format '%s' for '%%' style", f->fmt) : 0;
	}
	f->uses_time = strstr(f->fmt, styles[s].asctime_search) != NULL ||
		       (styles[s].asctime_search2 && strstr(f->fmt, styles[s].asctime_search2));
	for (size_t i = 0; !err && i < f->ntoks; i++)
		f->toks[i].attr = f->toks[i].kind == TK_FIELD ? log_record_attr(f->toks[i].text) : -1;
	if (err) {
		log_formatter_free(f);
		return NULL;
	}
	return f;
}

const char *log_formatter_fmt(const struct log_formatter *f)
{
	return f->fmt;
}

const char *log_formatter_datefmt(const struct log_formatter *f)
{
	return f->datefmt;
}

char log_formatter_style(const struct log_formatter *f)
{
	return f->style;
}

const char *log_formatter_defaults(const struct log_formatter *f)
{
	return f->defaults_json;
}

/* Formatter.formatTime: strftime of the local time, by default with ",mmm". */
static int format_time(const struct log_formatter *f, const struct log_record *r,
		       struct osfs_buf *out)
{
	struct tm tm;
	time_t secs = (time_t)(r->created_ns / 1000000000);
	int err = osfs_localtime(secs, &tm);
	if (err)
		return err;
	if (f->datefmt && *f->datefmt)
		return osfs_strftime(f->datefmt, &tm, out);
	err = osfs_strftime("%Y-%m-%d %H:%M:%S", &tm, out);
	if (!err)
		osfs_buf_printf(out, ",%03d", (int)r->msecs);
	return err;
}

static int lookup(const struct log_formatter *f, const struct log_record *r,
		  const struct fmt_tok *t, struct pyval *v)
{
	const char *key = t->text;
	if (t->attr >= 0 ? log_record_get_attr(r, t->attr, v) == 0 : log_record_get(r, key, v) == 0)
		return 0;
	for (size_t i = 0; i < f->ndefaults; i++) {
		if (strcmp(f->defaults[i].key, key) == 0) {
			*v = f->defaults[i].value;
			return 0;
		}
	}
	return osfs_refuse(EINVAL, "Formatting field not found in record: '%s'", key);
}

int log_format(const struct log_formatter *f, struct log_record *r, struct osfs_buf *out)
{
	struct osfs_buf asctime = {0};
	int err = 0;
	if (f->uses_time) {
		err = format_time(f, r, &asctime);
		r->asctime = asctime.data ? asctime.data : "";
	}
	for (size_t i = 0; !err && i < f->ntoks; i++) {
		const struct fmt_tok *t = &f->toks[i];
		if (t->kind == TK_LIT) {
			osfs_buf_puts(out, t->text);
			continue;
		}
		struct pyval v;
		err = lookup(f, r, t, &v);
		if (err)
			break;
		if (f->style == '%')
			err = pv_percent(&v, &t->pct, out);
		else if (f->style == '{')
			err = pv_format(&v, t->conversion, t->spec, out);
		else
			pv_str(&v, out);
	}
	r->asctime = NULL;
	osfs_buf_free(&asctime);
	return err ? err : osfs_buf_error(out);
}
