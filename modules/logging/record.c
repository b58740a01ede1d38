/* Log records: LogRecord's attributes by name, and structured (JSON) lines. */
#include "osfs/logging/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/refuse.h"
#include "pyfmt.h"

/* LogRecord's attributes (Python 3.12+, taskName included), in __dict__ order, then
 * osfs's own: osfs_uid, the uid the record was written with.  Python has no
 * attribute of that prefix, and a structured record cannot set one (as Python
 * refuses extras that overwrite attributes), so a format's %(osfs_uid)s is always
 * the writer's. */
enum attr {
	A_NAME, A_MSG, A_ARGS, A_LEVELNAME, A_LEVELNO, A_PATHNAME, A_FILENAME, A_MODULE,
	A_EXC_INFO, A_EXC_TEXT, A_STACK_INFO, A_LINENO, A_FUNCNAME, A_CREATED, A_MSECS,
	A_RELATIVE, A_THREAD, A_THREADNAME, A_PROCESSNAME, A_PROCESS, A_TASKNAME, A_MESSAGE,
	A_ASCTIME, A_OSFS_UID,
};

static const char *const attrs[] = {
	"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
	"exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
	"relativeCreated", "thread", "threadName", "processName", "process", "taskName",
	"message", "asctime", "osfs_uid",
};

int log_record_attr(const char *key)
{
	for (size_t a = 0; a < sizeof attrs / sizeof attrs[0]; a++)
		if (strcmp(attrs[a], key) == 0)
			return (int)a;
	return -1;
}

unsigned log_record_attr_caller(int attr)
{
	switch (attr) {
	case A_PATHNAME:
	case A_FILENAME:
	case A_MODULE:
		return LOG_CALLER_EXE;
	case A_THREADNAME:
	case A_PROCESSNAME:
		return LOG_CALLER_COMM;
	default:
		return 0;
	}
}

int log_record_get(const struct log_record *r, const char *key, struct pyval *out)
{
	int a = log_record_attr(key);
	if (a >= 0)
		return log_record_get_attr(r, a, out);
	for (size_t i = 0; i < r->nextra; i++) {
		if (strcmp(r->extra[i].key, key) == 0) {
			*out = r->extra[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

static struct pyval none_or_str(const char *s)
{
	return s ? PV_STR_V(s) : PV_NONE_V;
}

int log_record_get_attr(const struct log_record *r, int a, struct pyval *out)
{
	for (size_t i = 0; i < r->nodd; i++) {
		if (r->odd[i].attr == a) {
			*out = r->odd[i].value;
			return 0;
		}
	}
	switch ((enum attr)a) {
	case A_NAME: *out = PV_STR_V(r->name); break;
	case A_MSG: *out = r->msg_typed ? r->msg_value : PV_STR_V(r->msg); break;
	case A_MESSAGE: *out = PV_STR_V(r->msg); break;
	case A_ARGS: *out = r->has_args ? r->args : (struct pyval){PV_TUPLE, 0, 0, "()", 2}; break;
	case A_LEVELNAME: *out = PV_STR_V(r->levelname); break;
	case A_LEVELNO: *out = PV_INT_V(r->levelno); break;
	case A_PATHNAME: *out = PV_STR_V(r->pathname); break;
	case A_FILENAME: *out = PV_STR_V(r->filename); break;
	case A_MODULE: *out = PV_STR_V(r->module); break;
	case A_EXC_INFO: *out = PV_NONE_V; break; /* its text is exc_text (as a pickled record's) */
	case A_EXC_TEXT: *out = none_or_str(r->exc_text); break;
	case A_STACK_INFO: *out = none_or_str(r->stack_info); break;
	case A_FUNCNAME: *out = none_or_str(r->func_name); break;
	case A_TASKNAME: *out = none_or_str(r->task_name); break;
	case A_LINENO: *out = PV_INT_V(r->lineno); break;
	case A_CREATED: *out = PV_FLOAT_V(r->created); break;
	case A_MSECS: *out = PV_FLOAT_V(r->msecs); break;
	case A_RELATIVE: *out = PV_FLOAT_V(r->relative_created); break;
	case A_THREAD: *out = PV_INT_V(r->thread); break;
	case A_THREADNAME: *out = PV_STR_V(r->thread_name); break;
	case A_PROCESSNAME: *out = PV_STR_V(r->process_name); break;
	case A_PROCESS: *out = PV_INT_V(r->process); break;
	case A_OSFS_UID: *out = PV_INT_V(r->osfs_uid); break;
	case A_ASCTIME:
		if (!r->asctime)
			return -ENOENT;
		*out = PV_STR_V(r->asctime);
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* As Python 3.13+ computes them from time.time_ns(). */
void log_record_set_time(struct log_record *r, int64_t now_ns, int64_t start_ns)
{
	r->created_ns = now_ns;
	r->created = (double)now_ns / 1e9;
	r->msecs = (double)((now_ns % 1000000000) / 1000000);
	r->relative_created = (double)(now_ns - start_ns) / 1e6;
}

/* One member's value: its text copied for the record to own (a str decoded; an
 * int past 64 bits, a list or a dict as its JSON text). */
static int take_value(const char *v, const char *end, struct log_extra *e, struct osfs_buf *scratch)
{
	free(e->text);
	e->text = NULL;
	int err = pj_value(v, end, &e->value, scratch);
	if (err || (e->value.type != PV_STR && e->value.type != PV_BIG && e->value.type != PV_LIST &&
		    e->value.type != PV_DICT))
		return err;
	size_t n = e->value.type == PV_STR ? scratch->len : e->value.n;
	e->text = malloc(n + 1);
	if (!e->text)
		return -ENOMEM;
	memcpy(e->text, e->value.s, n);
	e->text[n] = '\0';
	e->value.s = e->text;
	e->value.n = n;
	return 0;
}

/* json.loads of an object: each key once, where it first appears, with the value
 * it was given last (as a dict keeps them). */
int log_json_values(const char *json, struct log_extra **out, size_t *count)
{
	const char *end = json + strlen(json), *p = pj_ws(json, end), *q = p;
	*out = NULL;
	*count = 0;
	int bad = p >= end || *p != '{' ? -EINVAL : pj_check(&q, end, 0);
	if (bad || pj_ws(q, end) != end)
		return bad == -EILSEQ && pj_ws(q, end) == end ? pj_refuse_nul() : 1;
	struct pj_iter it;
	const char *k, *v;
	size_t n = 0, used = 0;
	pj_open(&it, p, end);
	while (pj_next(&it, &k, &v))
		n++;
	struct log_extra *e = calloc(n + 1, sizeof *e);
	if (!e)
		return -ENOMEM;
	struct osfs_buf key = {0}, scratch = {0};
	int err = 0, twice = pj_has_duplicate_keys(p, end);
	pj_open(&it, p, end);
	while (!err && pj_next(&it, &k, &v)) {
		osfs_buf_reset(&key);
		pj_string(k, &key);
		osfs_buf_putc(&key, '\0');
		if ((err = osfs_buf_error(&key)))
			break;
		size_t i = twice ? 0 : used;
		while (i < used && strcmp(e[i].key, key.data) != 0)
			i++;
		if (i == used && !(e[used++].key = strdup(key.data))) {
			err = -ENOMEM;
			break;
		}
		err = take_value(v, end, &e[i], &scratch);
	}
	osfs_buf_free(&key);
	osfs_buf_free(&scratch);
	*out = e;
	*count = used; /* on failure too: every entry is freeable */
	return err;
}

void log_values_free(struct log_extra *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].key);
		free(e[i].text);
	}
	free(e);
}

static char *take_text(struct log_extra *e)
{
	struct osfs_buf b = {0};
	pv_str(&e->value, &b);
	osfs_buf_putc(&b, '\0');
	return b.failed ? (osfs_buf_free(&b), NULL) : b.data;
}

/* The keys of a JSON line that are not extras: the record's msg and levelname,
 * and the logging call's keyword arguments. */
static const char *const specials[] = {"msg", "levelname", "exc_info", "exc_text", "stack_info", "args"};
enum { S_MSG, S_LEVELNAME, S_EXC_INFO, S_EXC_TEXT, S_STACK_INFO, S_ARGS, S_NONE };

static int special_of(const char *key)
{
	int s = 0;
	while (s < S_NONE && strcmp(specials[s], key) != 0)
		s++;
	return s;
}

/* The raw JSON text of the last member named key of a checked object. */
static int raw_member(const char *line, const char *key, const char **v, size_t *n)
{
	const char *end = line + strlen(line), *k, *value;
	struct pj_iter it;
	*v = NULL;
	pj_open(&it, pj_ws(line, end), end);
	while (pj_next(&it, &k, &value))
		if (pj_string_is(k, key, strlen(key)))
			*v = value;
	const char *q = *v;
	if (!q || pj_check(&q, end, 0))
		return -EINVAL;
	*n = (size_t)(q - *v);
	return 0;
}

/* The call's *args: a list is the tuple, anything else its one item; then, as
 * LogRecord.__init__, a tuple holding one non-empty mapping is that mapping. */
static int take_args(struct log_record *r, struct log_extra *e, const char *line)
{
	const char *raw;
	size_t n;
	if (e->value.type != PV_LIST) {
		if (raw_member(line, "args", &raw, &n))
			return -EINVAL;
		char *t = malloc(n + 3);
		if (!t)
			return -ENOMEM;
		t[0] = '[';
		memcpy(t + 1, raw, n);
		memcpy(t + 1 + n, "]", 2);
		free(e->text);
		e->text = t;
		e->value = (struct pyval){PV_LIST, 0, 0, t, n + 2};
	}
	r->args = e->value;
	r->args.i = 1; /* the tuple */
	r->has_args = 1;
	struct pj_iter it;
	const char *key, *item, *first = NULL;
	size_t count = 0;
	pj_open(&it, r->args.s, r->args.s + r->args.n);
	while (pj_next(&it, &key, &item))
		first = count++ ? first : item;
	if (count == 1 && *first == '{') {
		struct pyval d;
		struct osfs_buf scratch = {0};
		int err = pj_value(first, r->args.s + r->args.n, &d, &scratch);
		osfs_buf_free(&scratch);
		if (!err && log_args_truthy(&d))
			r->args = d;
	}
	return 0;
}

/* exc_info, exc_text, stack_info: the traceback's and the stack's texts. */
static int take_text_arg(struct log_record *r, int s, struct log_extra *e)
{
	const struct pyval *v = &e->value;
	if (s == S_EXC_INFO) { /* the call's exc_info: its truth, or (osfs) the text */
		if (v->type == PV_STR && v->n) {
			if (e->text[v->n - 1] == '\n') /* formatException strips it */
				e->text[v->n - 1] = '\0';
			if (!r->exc_text || !*r->exc_text) /* `if not record.exc_text` */
				r->exc_text = e->text;
		} else if (log_args_truthy(v) && (!r->exc_text || !*r->exc_text)) {
			r->exc_text = "NoneType: None"; /* sys.exc_info() outside an except block */
		}
		return 0;
	}
	if (v->type == PV_NONE || (s == S_STACK_INFO && !log_args_truthy(v)))
		return 0;
	if (v->type != PV_STR)
		return osfs_refuse(EINVAL, "%s is the %s's text%s", specials[s],
				   s == S_EXC_TEXT ? "traceback" : "stack",
				   s == S_STACK_INFO ? " (osfs cannot walk the writer's stack)" : "");
	if (s == S_EXC_TEXT)
		r->exc_text = e->text;
	else
		r->stack_info = e->text;
	return 0;
}

/* getMessage: str(msg) % args, when args is true; a failure is the record's
 * formatting error. */
static int make_message(struct log_record *r)
{
	if (!r->has_args || !log_args_truthy(&r->args))
		return 0;
	struct osfs_buf m = {0};
	int err = log_percent_args(r->msg, &r->args, &m);
	if (err == -EINVAL) {
		osfs_buf_free(&m);
		osfs_buf_puts(&m, osfs_refusal());
		osfs_refusal_clear();
		if ((err = osfs_buf_error(&m)))
			return err;
		r->json_message = m.data;
		r->message_error = m.data ? m.data : "TypeError";
		return 0;
	}
	if (!err && !(err = osfs_buf_error(&m))) {
		r->json_message = m.data;
		r->msg = m.data ? m.data : "";
		return 0;
	}
	osfs_buf_free(&m);
	return err;
}

int log_record_from_json(struct log_record *r, const char *line, char **levelname)
{
	struct log_extra *e;
	size_t n;
	*levelname = NULL;
	int err = log_json_values(line, &e, &n);
	if (err == 1)
		return 1; /* not a JSON object: a plain line */
	for (size_t i = 0; i < n && !err; i++)
		for (size_t a = 0; a < sizeof attrs / sizeof attrs[0] && !err; a++)
			if (special_of(e[i].key) == S_NONE && strcmp(attrs[a], e[i].key) == 0)
				err = osfs_refuse(EINVAL, "Attempt to overwrite '%s' in LogRecord", e[i].key);
	if (err) {
		log_values_free(e, n);
		return err;
	}
	/* extras first, in order; then the entries that keep a special's text */
	size_t kept = 0, back = n;
	struct log_extra *sorted = calloc(n + 1, sizeof *sorted);
	for (size_t i = 0; sorted && i < n; i++) {
		int s = special_of(e[i].key);
		if (s == S_NONE) {
			sorted[kept++] = e[i];
			continue;
		}
		if (s != S_MSG && s != S_LEVELNAME) {
			sorted[--back] = e[i];
			continue;
		}
		char *text = take_text(&e[i]);
		if (s == S_LEVELNAME) {
			free(*levelname);
			*levelname = text;
			free(e[i].text);
		} else { /* msg keeps its type (record.msg); message is its str() */
			free(r->json_msg);
			free(r->json_msg_value);
			r->json_msg = text;
			r->msg = text ? text : "";
			r->msg_value = e[i].value;
			r->json_msg_value = e[i].text;
			r->msg_typed = 1;
		}
		free(e[i].key);
	}
	if (!sorted) {
		log_values_free(e, n);
		return -ENOMEM;
	}
	free(e);
	/* the specials, packed after the extras */
	memmove(sorted + kept, sorted + back, (n - back) * sizeof *sorted);
	r->extra = sorted;
	r->nextra = kept;
	r->nspecial = n - back;
	for (int pass = 0; pass < 2; pass++) /* exc_info last: it fills a false exc_text */
		for (size_t i = kept; !err && i < kept + r->nspecial; i++) {
			int s = special_of(sorted[i].key);
			if ((s == S_EXC_INFO) != pass)
				continue;
			err = s == S_ARGS ? take_args(r, &sorted[i], line) : take_text_arg(r, s, &sorted[i]);
		}
	return err ? err : make_message(r);
}

void log_record_free_extra(struct log_record *r)
{
	if (!r->extra && !r->json_msg && !r->json_message && !r->json_msg_value)
		return; /* a plain line's record owns nothing */
	for (size_t i = 0; i < r->nextra + r->nspecial; i++) {
		free(r->extra[i].key);
		free(r->extra[i].text);
	}
	free(r->extra);
	free(r->json_msg);
	free(r->json_msg_value);
	free(r->json_message);
	r->extra = NULL;
	r->json_msg = NULL;
	r->json_msg_value = NULL;
	r->json_message = NULL;
	r->msg_typed = 0;
	r->nextra = 0;
	r->nspecial = 0;
	r->exc_text = r->stack_info = r->message_error = NULL;
	r->has_args = 0;
}

/* The bytes a value's text takes (0: it has none of its own). */
static size_t value_bytes(const struct pyval *v)
{
	if (!v->s || v->type == PV_TUPLE)
		return 0;
	return v->n || v->type != PV_STR ? v->n : strlen(v->s);
}

/* Copying a record's texts into one block: a first pass counts (p NULL), the
 * second copies. */
struct block {
	char *p;
	size_t size;
};

static void copy_text(struct block *b, const char **dst, const char *s, size_t n)
{
	if (!s)
		return; /* None stays None */
	if (b->p) {
		memcpy(b->p, s, n);
		b->p[n] = '\0';
		*dst = b->p;
		b->p += n + 1;
	} else {
		b->size += n + 1;
	}
}

static void copy_str(struct block *b, const char **dst, const char *s)
{
	copy_text(b, dst, s, s ? strlen(s) : 0);
}

static void copy_value(struct block *b, struct pyval *v)
{
	size_t vb = value_bytes(v);
	if (vb || (v->type == PV_STR && v->s))
		copy_text(b, &v->s, v->s, vb);
}

static void copy_texts(struct block *b, struct log_record *c)
{
	const char **strs[] = {&c->name, &c->msg, &c->levelname, &c->pathname, &c->filename,
			       &c->module, &c->thread_name, &c->process_name};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		copy_str(b, strs[i], *strs[i] ? *strs[i] : "");
	const char **optional[] = {&c->exc_text, &c->stack_info, &c->func_name, &c->task_name,
				   &c->message_error};
	for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
		copy_str(b, optional[i], *optional[i]);
	for (size_t i = 0; i < c->nextra; i++) {
		copy_str(b, (const char **)&c->extra[i].key, c->extra[i].key);
		copy_value(b, &c->extra[i].value);
	}
	for (size_t i = 0; i < c->nodd; i++)
		copy_value(b, &((struct log_attr_value *)c->odd)[i].value);
	if (c->msg_typed && c->msg_value.type != PV_TUPLE)
		copy_value(b, &c->msg_value);
	if (c->has_args)
		copy_value(b, &c->args);
}

/* One block: the struct, the extras and odd attributes, then every text. */
struct log_record *log_record_copy(const struct log_record *r)
{
	size_t arrays = sizeof *r + r->nextra * sizeof *r->extra + r->nodd * sizeof *r->odd;
	struct log_record count = *r; /* counting writes nothing */
	struct block b = {NULL, 0};
	copy_texts(&b, &count);
	struct log_record *c = malloc(arrays + b.size);
	if (!c)
		return NULL;
	*c = *r;
	c->extra = (struct log_extra *)(c + 1);
	if (r->nextra)
		memcpy(c->extra, r->extra, r->nextra * sizeof *r->extra);
	for (size_t i = 0; i < r->nextra; i++)
		c->extra[i].text = NULL; /* the block owns every text */
	struct log_attr_value *odd = (struct log_attr_value *)(c->extra + r->nextra);
	if (r->nodd)
		memcpy(odd, r->odd, r->nodd * sizeof *r->odd);
	c->odd = odd;
	c->nspecial = 0;
	b.p = (char *)(odd + r->nodd);
	copy_texts(&b, c);
	c->json_msg = NULL;
	c->json_msg_value = NULL;
	c->json_message = NULL;
	c->asctime = NULL;
	return c;
}

void log_record_free(struct log_record *r)
{
	free(r); /* one block */
}
