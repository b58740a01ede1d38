/* logging.Formatter: a format is compiled once (fmt_compile.c) into literal pieces
 * and fields; each record is then formatted by running that program: a field's
 * value is the record's attribute, an extra, or a default (Python's
 * `defaults | record.__dict__`), formatted as its style formats it.  asctime is
 * rendered once per second per formatter and thread. */
#include "osfs/logging/format.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fmtprog.h"
#include "osfs/refuse.h"
#include "osfs/time.h"

struct log_formatter {
	char *fmt, *datefmt, *defaults_json;
	char style;
	int uses_time;
	int simple;           /* every field is direct: run_direct formats it */
	char *defaults_error; /* defaults that fail every record (not a dict) */
	int asctime_attr;
	unsigned long serial; /* names it in the asctime cache */
	unsigned caller;      /* LOG_CALLER_*: what of the writer the format shows */
	struct fmt_prog prog;
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

/* The attributes a record holds as plain fields, for the fast path (the same
 * values log_record_get_attr gives; tests/unit checks they agree). */
static const struct {
	const char *name;
	char kind;
	size_t offset;
} direct_fields[] = {
    {"name", 's', offsetof(struct log_record, name)},
    {"message", 's', offsetof(struct log_record, msg)},
    {"levelname", 's', offsetof(struct log_record, levelname)},
    {"pathname", 's', offsetof(struct log_record, pathname)},
    {"filename", 's', offsetof(struct log_record, filename)},
    {"module", 's', offsetof(struct log_record, module)},
    {"threadName", 's', offsetof(struct log_record, thread_name)},
    {"processName", 's', offsetof(struct log_record, process_name)},
    {"levelno", 'i', offsetof(struct log_record, levelno)},
    {"lineno", 'l', offsetof(struct log_record, lineno)},
    {"thread", 'L', offsetof(struct log_record, thread)},
    {"process", 'L', offsetof(struct log_record, process)},
};

/* Marks the fields formatted by reading the record directly; 1 if all are. */
static int mark_direct(struct log_formatter *f)
{
	int simple = 1;
	for (size_t i = 0; i < f->prog.n; i++) {
		struct fmt_op *op = &f->prog.ops[i];
		if (op->kind == OP_LIT)
			continue;
		if (op->kind == OP_FIELD && op->fast == FAST_STR && op->attr == f->asctime_attr &&
		    f->uses_time) {
			op->direct = 'a';
			continue;
		}
		for (size_t d = 0; op->kind == OP_FIELD && op->fast && !op->direct &&
		                   d < sizeof direct_fields / sizeof direct_fields[0];
		     d++) {
			if (strcmp(direct_fields[d].name, op->text) != 0)
				continue;
			if (op->fast == FAST_INT && direct_fields[d].kind == 's')
				break; /* %d of a str: the general path's TypeError */
			op->direct = direct_fields[d].kind;
			op->offset = direct_fields[d].offset;
		}
		simple &= op->direct != 0;
	}
	return simple;
}

/* What of the writer a program shows: its fields' attributes, and every one
 * where the whole record is formatted ('%s' of the mapping). */
static unsigned caller_of(const struct fmt_prog *p)
{
	unsigned caller = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct fmt_op *op = &p->ops[i];
		if (op->kind == OP_RECORD_DICT)
			caller |= LOG_CALLER_ALL;
		else if (op->kind == OP_FIELD)
			caller |= log_record_attr_caller(op->attr);
		if (op->nested)
			caller |= caller_of(op->nested);
	}
	return caller;
}

void log_formatter_free(struct log_formatter *f)
{
	if (!f)
		return;
	fmt_prog_free(&f->prog);
	free(f->fmt);
	free(f->datefmt);
	free(f->defaults_json);
	free(f->defaults_error);
	log_values_free(f->defaults, f->ndefaults);
	free(f);
}

/* defaults that are no dict: Python's `defaults | record.__dict__` is a TypeError
 * for each record, unless the value is false (None, 0, "", []), when there are no
 * defaults.  Not JSON at all is refused. */
static int defaults_not_dict(struct log_formatter *f, const char *json)
{
	const char *end = json + strlen(json), *p = pj_ws(json, end), *q = p;
	if (pj_check(&q, end, 0) || pj_ws(q, end) != end)
		return osfs_refuse(EINVAL, "defaults must be a JSON object");
	struct osfs_buf scratch = {0}, why = {0};
	struct pyval v;
	int err = pj_value(p, end, &v, &scratch);
	int empty = (v.type == PV_LIST || v.type == PV_DICT) && *pj_ws(v.s + 1, end) == v.s[v.n - 1];
	int falsy = v.type == PV_NONE || ((v.type == PV_BOOL || v.type == PV_INT) && !v.i) ||
	            (v.type == PV_FLOAT && v.f == 0) || (v.type == PV_STR && !v.n) || empty;
	if (!err && !falsy) {
		osfs_buf_printf(&why, "TypeError: unsupported operand type(s) for |: '%s' and 'dict'",
		                pv_type_name(&v));
		if (!(err = osfs_buf_error(&why))) {
			f->defaults_error = why.data;
			why.data = NULL;
		}
	}
	osfs_buf_free(&scratch);
	osfs_buf_free(&why);
	return err;
}

struct log_formatter *log_formatter_new(const char *fmt, const char *datefmt, char style,
                                        const char *defaults_json, int validate)
{
	static unsigned long serials;
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
	f->asctime_attr = log_record_attr("asctime");
	f->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	f->style = style;
	f->fmt = strdup(fmt && *fmt ? fmt : styles[s].default_fmt);
	f->datefmt = datefmt ? strdup(datefmt) : NULL;
	f->defaults_json = defaults_json ? strdup(defaults_json) : NULL;
	int err = !f->fmt || (datefmt && !f->datefmt) || (defaults_json && !f->defaults_json)
	              ? -ENOMEM
	              : 0;
	if (!err && defaults_json &&
	    (err = log_json_values(defaults_json, &f->defaults, &f->ndefaults)) == 1)
		err = defaults_not_dict(f, defaults_json);
	if (!err)
		err = fmt_compile(&f->prog, style, f->fmt, validate);
	if (err) {
		log_formatter_free(f);
		return NULL;
	}
	f->uses_time = strstr(f->fmt, styles[s].asctime_search) != NULL ||
	               (styles[s].asctime_search2 && strstr(f->fmt, styles[s].asctime_search2));
	f->simple = mark_direct(f);
	f->caller = caller_of(&f->prog);
	return f;
}

unsigned log_formatter_caller(const struct log_formatter *f)
{
	return f->caller;
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

/* ---- asctime: Formatter.formatTime, cached per second ---- */

struct asctime_cache {
	unsigned long serial;
	unsigned tzgen;
	long long sec;
	size_t len;
	char text[120];
};
static __thread struct asctime_cache asc_cache[4];
static __thread unsigned asc_next;

/* strftime(datefmt or "%Y-%m-%d %H:%M:%S", localtime(created)): from this
 * thread's cache when this formatter rendered the same second already, else
 * rendered into big (and cached). */
static int asctime_base(const struct log_formatter *f, const struct log_record *r,
                        struct osfs_buf *big, const char **base, size_t *nbase)
{
	long long sec = (long long)r->created; /* time.localtime(created) floors */
	if ((double)sec > r->created)
		sec--;
	unsigned gen = osfs_tz_generation();
	for (size_t i = 0; i < 4; i++) {
		const struct asctime_cache *c = &asc_cache[i];
		if (c->serial == f->serial && c->sec == sec && c->tzgen == gen) {
			*base = c->text;
			*nbase = c->len;
			return 0;
		}
	}
	struct tm tm;
	int err = osfs_localtime((time_t)sec, &tm);
	if (!err)
		err = osfs_strftime(f->datefmt && *f->datefmt ? f->datefmt : "%Y-%m-%d %H:%M:%S",
		                    &tm, big);
	if (err)
		return err;
	*base = big->data ? big->data : "";
	*nbase = big->len;
	if (*nbase < sizeof asc_cache[0].text) {
		struct asctime_cache *c = &asc_cache[asc_next++ % 4];
		*c = (struct asctime_cache){f->serial, gen, sec, *nbase, ""};
		memcpy(c->text, *base, *nbase);
	}
	return 0;
}

/* ",%03d" % record.msecs, the default format's milliseconds (msecs < 1000). */
static void put_msecs(char *p, const struct log_record *r)
{
	int ms = (int)r->msecs;
	p[0] = ',';
	p[1] = (char)('0' + ms / 100 % 10);
	p[2] = (char)('0' + ms / 10 % 10);
	p[3] = (char)('0' + ms % 10);
}

/* Formatter.formatTime: the base, then ",%03d" % msecs when there is no datefmt;
 * into buf, or into big when it does not fit. */
static int format_time(const struct log_formatter *f, const struct log_record *r, char *buf,
                       size_t cap, struct osfs_buf *big, const char **text, size_t *len)
{
	const char *base;
	size_t nbase;
	int msec = !(f->datefmt && *f->datefmt);
	int err = asctime_base(f, r, big, &base, &nbase);
	if (err)
		return err;
	if (nbase + 5 > cap) { /* too long for the stack: big has it */
		if (base != big->data)
			osfs_buf_add(big, base, nbase);
		if (msec)
			put_msecs(osfs_buf_extend(big, 4) ? big->data + big->len - 4 : buf, r);
		*text = big->data;
		*len = big->len;
		return osfs_buf_error(big);
	}
	memcpy(buf, base, nbase);
	if (msec)
		put_msecs(buf + nbase, r);
	*text = buf;
	*len = nbase + (msec ? 4 : 0);
	return 0;
}

/* ---- running a program over one record ---- */

struct run {
	const struct log_formatter *f;
	const struct log_record *r;
	const char *asctime;
	size_t asctime_len;
	struct osfs_buf tmp[3]; /* accessors' values (two, in turn) and a conversion */
	struct osfs_buf asc;    /* an asctime too long for the stack */
};

static int lookup(struct run *x, const struct fmt_op *op, struct pyval *v)
{
	const struct log_record *r = x->r;
	if (op->attr >= 0) {
		if (op->attr == x->f->asctime_attr) {
			if (x->asctime) {
				*v = (struct pyval){PV_STR, 0, 0, x->asctime, x->asctime_len};
				return 0;
			}
		} else if (log_record_get_attr(r, op->attr, v) == 0) {
			return 0;
		}
	} else {
		for (size_t i = 0; i < r->nextra; i++) {
			if (strcmp(r->extra[i].key, op->text) == 0) {
				*v = r->extra[i].value;
				return 0;
			}
		}
	}
	for (size_t i = 0; i < x->f->ndefaults; i++) {
		if (strcmp(x->f->defaults[i].key, op->text) == 0) {
			*v = x->f->defaults[i].value;
			return 0;
		}
	}
	struct osfs_buf k = {0};
	pv_repr_str(op->text, op->len, &k);
	int err = osfs_refuse(EINVAL, "KeyError: %s (Formatting field not found in record)",
	                      k.data ? k.data : "");
	osfs_buf_free(&k);
	return err;
}

/* LogRecord.__dict__'s keys, in its order (Python 3.12+). */
static const char *const dict_keys[] = {
    "name",        "msg",     "args",     "levelname",       "levelno",    "pathname",
    "filename",    "module",  "exc_info", "exc_text",        "stack_info", "lineno",
    "funcName",    "created", "msecs",    "relativeCreated", "thread",     "threadName",
    "processName", "process", "taskName",
};

static int record_value(struct run *x, const char *key, struct pyval *v)
{
	struct fmt_op op = {.kind = OP_FIELD,
	                    .text = (char *)key,
	                    .len = strlen(key),
	                    .attr = log_record_attr(key)};
	return lookup(x, &op, v);
}

static void dict_item(const char *key, const struct pyval *v, struct osfs_buf *out)
{
	if (out->len > 1)
		osfs_buf_puts(out, ", ");
	pv_repr_str(key, strlen(key), out);
	osfs_buf_puts(out, ": ");
	pv_repr(v, out);
}

/* repr() of the mapping % is given: defaults | record.__dict__. */
static int record_dict(struct run *x, struct osfs_buf *out)
{
	const struct log_record *r = x->r;
	size_t nkeys = sizeof dict_keys / sizeof dict_keys[0];
	const char **keys = malloc((nkeys + r->nextra + 2) * sizeof *keys);
	if (!keys)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < nkeys; i++)
		keys[n++] = dict_keys[i];
	for (size_t i = 0; i < r->nextra; i++)
		keys[n++] = r->extra[i].key;
	keys[n++] = "message";
	if (x->asctime)
		keys[n++] = "asctime";
	struct pyval v;
	osfs_buf_putc(out, '{');
	for (size_t d = 0; d < x->f->ndefaults; d++) /* defaults first, with the record's values */
		if (record_value(x, x->f->defaults[d].key, &v) == 0)
			dict_item(x->f->defaults[d].key, &v, out);
	for (size_t i = 0; i < n; i++) {
		int in_defaults = 0;
		for (size_t d = 0; d < x->f->ndefaults; d++)
			in_defaults |= strcmp(x->f->defaults[d].key, keys[i]) == 0;
		if (!in_defaults && record_value(x, keys[i], &v) == 0)
			dict_item(keys[i], &v, out);
	}
	osfs_buf_putc(out, '}');
	free(keys);
	return osfs_buf_error(out);
}

static int run_prog(struct run *x, const struct fmt_prog *p, struct osfs_buf *out);

/* A '{' field: lookup, accessors, conversion, spec (expanded first if nested). */
static int brace_field(struct run *x, const struct fmt_op *op, struct pyval v, struct osfs_buf *out)
{
	int err = 0;
	for (size_t i = 0; !err && i < op->nchain; i++) {
		const struct fmt_access *a = &op->chain[i];
		struct pyval next;
		err = a->attr ? pv_getattr(&v, a->name, a->len, &next, &x->tmp[i % 2])
		              : pv_getitem(&v, a->name, a->len, &next, &x->tmp[i % 2]);
		v = next;
	}
	if (!err && op->conversion) {
		struct osfs_buf *c = &x->tmp[2];
		osfs_buf_reset(c);
		err = op->conversion == 'r'   ? pv_repr(&v, c)
		      : op->conversion == 's' ? pv_str(&v, c)
		                              : pv_ascii(&v, c);
		v = (struct pyval){PV_STR, 0, 0, c->data ? c->data : "", c->len};
	}
	if (err)
		return err;
	if (!op->nested)
		return pv_format_fspec(&v, &op->spec, out);
	struct run inner = {x->f, x->r, x->asctime, x->asctime_len, {{0}}, {0}};
	struct osfs_buf spec = {0};
	struct fspec f;
	err = run_prog(&inner, op->nested, &spec);
	if (!err)
		err = fspec_parse(spec.data ? spec.data : "", spec.len, &f);
	if (!err)
		err = pv_format_fspec(&v, &f, out);
	for (int i = 0; i < 3; i++)
		osfs_buf_free(&inner.tmp[i]);
	osfs_buf_free(&spec);
	return err;
}

/* osfs_buf_add, inline for the pieces of a record. */
static inline void put(struct osfs_buf *out, const char *s, size_t n)
{
	if (out->len + n < out->cap) {
		memcpy(out->data + out->len, s, n);
		out->len += n;
		out->data[out->len] = 0;
	} else {
		osfs_buf_add(out, s, n);
	}
}

static inline void put_int(struct osfs_buf *out, long long x)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long m = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
	do
		*--p = (char)('0' + m % 10);
	while (m /= 10);
	if (x < 0)
		*--p = '-';
	put(out, p, (size_t)(buf + sizeof buf - p));
}

static int run_prog(struct run *x, const struct fmt_prog *p, struct osfs_buf *out)
{
	int err = 0;
	for (size_t i = 0; !err && i < p->n; i++) {
		const struct fmt_op *op = &p->ops[i];
		struct pyval v;
		switch (op->kind) {
		case OP_LIT:
			put(out, op->text, op->len);
			break;
		case OP_FAIL:
			err = osfs_refuse(EINVAL, "%s", op->text);
			break;
		case OP_RECORD_DICT: {
			struct osfs_buf *d = &x->tmp[2];
			osfs_buf_reset(d);
			if (!(err = record_dict(x, d))) {
				v = (struct pyval){PV_TUPLE, 0, 0, d->data, d->len};
				err = pv_percent(&v, &op->pct, out);
			}
			break;
		}
		case OP_FIELD:
			if ((err = lookup(x, op, &v)))
				break;
			if (op->fast == FAST_STR && v.type == PV_STR) {
				put(out, v.s, v.n ? v.n : strlen(v.s));
				break;
			}
			if (op->fast && v.type == PV_INT) {
				put_int(out, v.i);
				break;
			}
			if (p->style == '%')
				err = pv_percent(&v, &op->pct, out);
			else if (p->style == '{')
				err = brace_field(x, op, v, out);
			else
				err = pv_str(&v, out);
			break;
		}
	}
	return err ? err : osfs_buf_error(out);
}

/* A str holding a lone surrogate (a JSON "\ud800", %c of 0xd800) cannot be
 * written as UTF-8: Python's handler fails on it (UnicodeEncodeError). */
static int surrogate_at(const char *s, size_t n)
{
	for (const char *p = s; (p = memchr(p, 0xed, (size_t)(s + n - p))) && p + 1 < s + n; p++)
		if ((unsigned char)p[1] >= 0xa0 && (unsigned char)p[1] <= 0xbf)
			return 1;
	return 0;
}

static int put_direct(const struct fmt_op *op, const struct log_record *r, struct osfs_buf *out)
{
	const char *field = (const char *)r + op->offset;
	switch (op->direct) {
	case 's': {
		const char *s = *(const char *const *)(const void *)field;
		if (s)
			put(out, s, strlen(s));
		break;
	}
	case 'i':
		put_int(out, *(const int *)(const void *)field);
		break;
	case 'l':
		put_int(out, *(const long *)(const void *)field);
		break;
	case 'L':
		put_int(out, *(const long long *)(const void *)field);
		break;
	}
	return 0;
}

/* A format whose fields are all direct: the record's fields and asctime, copied. */
static int run_direct(const struct log_formatter *f, const struct log_record *r,
                      struct osfs_buf *out)
{
	const char *asctime = NULL;
	size_t asctime_len = 0, mark = out->len;
	struct osfs_buf big = {0};
	int err = 0, msec = !(f->datefmt && *f->datefmt);
	char ms[4];
	if (f->uses_time) {
		err = asctime_base(f, r, &big, &asctime, &asctime_len);
		put_msecs(ms, r);
	}
	for (size_t i = 0; !err && i < f->prog.n; i++) {
		const struct fmt_op *op = &f->prog.ops[i];
		if (op->kind == OP_LIT) {
			if (op->len == 1 && out->len + 1 < out->cap) {
				out->data[out->len++] = op->text[0];
				out->data[out->len] = 0;
			} else {
				put(out, op->text, op->len);
			}
		} else if (op->direct == 'a') {
			put(out, asctime, asctime_len);
			if (msec)
				put(out, ms, 4);
		} else {
			put_direct(op, r, out);
		}
	}
	if (big.data)
		osfs_buf_free(&big);
	/* a JSON line's message may hold a lone surrogate (see surrogate_at) */
	if (!err && r->json_msg && out->data && surrogate_at(out->data + mark, out->len - mark))
		err = osfs_refuse(EINVAL,
		                  "UnicodeEncodeError: 'utf-8' codec can't encode a surrogate: "
		                  "surrogates not allowed");
	return err ? err : osfs_buf_error(out);
}

/* ---- a memo: the program run once over what a write's records share ---- */

/* Piece i is the memo's text from the end of piece i-1 to end, then the field
 * vary (NULL after the last). */
struct log_fmt_piece {
	size_t end;
	const struct fmt_op *vary;
};

/* What differs between the lines of one write: the message and its number. */
static int varies(const struct fmt_op *op)
{
	return (op->direct == 's' && op->offset == offsetof(struct log_record, msg)) ||
	       (op->direct == 'l' && op->offset == offsetof(struct log_record, lineno));
}

static int memo_piece(struct log_fmt_memo *m, const struct fmt_op *vary)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4;
		struct log_fmt_piece *p = realloc(m->pieces, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		m->pieces = p;
		m->cap = cap;
	}
	m->pieces[m->n++] = (struct log_fmt_piece){m->text.len, vary};
	return 0;
}

static int memo_build(struct log_fmt_memo *m, const struct log_formatter *f,
		      const struct log_record *r, unsigned long key)
{
	m->f = NULL;
	m->n = 0;
	osfs_buf_reset(&m->text);
	const char *asctime = NULL;
	size_t asctime_len = 0;
	struct osfs_buf big = {0};
	char ms[4];
	int err = 0;
	if (f->uses_time) {
		err = asctime_base(f, r, &big, &asctime, &asctime_len);
		put_msecs(ms, r);
	}
	for (size_t i = 0; !err && i < f->prog.n; i++) {
		const struct fmt_op *op = &f->prog.ops[i];
		if (op->kind == OP_LIT) {
			put(&m->text, op->text, op->len);
		} else if (op->direct == 'a') {
			put(&m->text, asctime, asctime_len);
			if (!(f->datefmt && *f->datefmt))
				put(&m->text, ms, 4);
		} else if (varies(op)) {
			err = memo_piece(m, op);
		} else {
			put_direct(op, r, &m->text);
		}
	}
	osfs_buf_free(&big);
	if (!err)
		err = memo_piece(m, NULL);
	if (!err)
		err = osfs_buf_error(&m->text);
	if (!err) {
		m->f = f;
		m->key = key;
	}
	return err;
}

int log_format_shared(const struct log_formatter *f, struct log_record *r, struct osfs_buf *out,
		      struct log_fmt_memo *m, unsigned long key)
{
	if (!key || !f->simple || f->defaults_error || r->nodd || r->json_msg || r->message_error ||
	    r->exc_text || r->stack_info)
		return log_format(f, r, out);
	if (m->key != key || m->f != f) {
		int err = memo_build(m, f, r, key);
		if (err)
			return err;
	}
	size_t from = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct log_fmt_piece *p = &m->pieces[i];
		if (p->end > from)
			put(out, m->text.data + from, p->end - from);
		from = p->end;
		if (p->vary)
			put_direct(p->vary, r, out);
	}
	return osfs_buf_error(out);
}

void log_fmt_memo_free(struct log_fmt_memo *m)
{
	osfs_buf_free(&m->text);
	free(m->pieces);
	*m = (struct log_fmt_memo){0};
}

/* Formatter.format's tail: the traceback's text (exc_text, formatException's
 * output cached), then the stack's, each on a line of its own. */
int log_format_tail(const struct log_record *r, struct osfs_buf *out, size_t mark)
{
	const char *tails[] = {r->exc_text, r->stack_info};
	for (size_t i = 0; i < 2; i++) {
		if (!tails[i] || !*tails[i])
			continue;
		if (out->len == mark || out->data[out->len - 1] != '\n')
			osfs_buf_putc(out, '\n');
		osfs_buf_puts(out, tails[i]);
	}
	return osfs_buf_error(out);
}

static inline int format_message(const struct log_formatter *f, struct log_record *r,
                                 struct osfs_buf *out);

/* A record that carries more than a message: getMessage's error, a traceback or
 * a stack (kept off the common path). */
static __attribute__((noinline)) int format_more(const struct log_formatter *f,
                                                 struct log_record *r, struct osfs_buf *out)
{
	if (r->message_error) /* getMessage raised */
		return osfs_refuse(EINVAL, "%s", r->message_error);
	size_t mark = out->len;
	int err = format_message(f, r, out);
	return err ? err : log_format_tail(r, out, mark);
}

int log_format(const struct log_formatter *f, struct log_record *r, struct osfs_buf *out)
{
	if (__builtin_expect(r->message_error || r->exc_text || r->stack_info, 0))
		return format_more(f, r, out);
	return format_message(f, r, out);
}

/* Formatter.formatMessage. */
static inline int format_message(const struct log_formatter *f, struct log_record *r,
                          struct osfs_buf *out)
{
	if (f->defaults_error)
		return osfs_refuse(EINVAL, "%s", f->defaults_error);
	if (f->simple && !r->nodd) /* a received record's odd types: the general path */
		return run_direct(f, r, out);
	char buf[160];
	struct run x = {f, r, NULL, 0, {{0}}, {0}};
	size_t mark = out->len;
	int err = 0;
	if (f->uses_time)
		err = format_time(f, r, buf, sizeof buf, &x.asc, &x.asctime, &x.asctime_len);
	if (!err)
		err = run_prog(&x, &f->prog, out);
	if (!err && out->data && surrogate_at(out->data + mark, out->len - mark))
		err = osfs_refuse(EINVAL,
		                  "UnicodeEncodeError: 'utf-8' codec can't encode a surrogate: "
		                  "surrogates not allowed");
	for (int i = 0; i < 3; i++)
		if (x.tmp[i].data)
			osfs_buf_free(&x.tmp[i]);
	if (x.asc.data)
		osfs_buf_free(&x.asc);
	return err;
}
