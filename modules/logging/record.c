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

int log_record_get_attr(const struct log_record *r, int a, struct pyval *out)
{
	switch ((enum attr)a) {
	case A_NAME: *out = PV_STR_V(r->name); break;
	case A_MSG: *out = r->msg_typed ? r->msg_value : PV_STR_V(r->msg); break;
	case A_MESSAGE: *out = PV_STR_V(r->msg); break;
	case A_ARGS: *out = (struct pyval){PV_TUPLE, 0, 0, "()", 2}; break;
	case A_LEVELNAME: *out = PV_STR_V(r->levelname); break;
	case A_LEVELNO: *out = PV_INT_V(r->levelno); break;
	case A_PATHNAME: *out = PV_STR_V(r->pathname); break;
	case A_FILENAME: *out = PV_STR_V(r->filename); break;
	case A_MODULE: *out = PV_STR_V(r->module); break;
	case A_EXC_INFO:
	case A_EXC_TEXT:
	case A_STACK_INFO:
	case A_FUNCNAME:
	case A_TASKNAME: *out = PV_NONE_V; break;
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
	if (p >= end || *p != '{' || pj_check(&q, end, 0) || pj_ws(q, end) != end)
		return 1;
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

static int is_special(const char *key)
{
	return strcmp(key, "levelname") == 0 || strcmp(key, "msg") == 0;
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
			if (!is_special(e[i].key) && strcmp(attrs[a], e[i].key) == 0)
				err = osfs_refuse(EINVAL, "Attempt to overwrite '%s' in LogRecord", e[i].key);
	if (err) {
		log_values_free(e, n);
		return err;
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_special(e[i].key)) {
			e[kept++] = e[i];
			continue;
		}
		char *text = take_text(&e[i]);
		if (e[i].key[0] == 'l') {
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
	r->extra = e;
	r->nextra = kept;
	return 0;
}

void log_record_free_extra(struct log_record *r)
{
	for (size_t i = 0; i < r->nextra; i++) {
		free(r->extra[i].key);
		free(r->extra[i].text);
	}
	free(r->extra);
	free(r->json_msg);
	free(r->json_msg_value);
	r->extra = NULL;
	r->json_msg = NULL;
	r->json_msg_value = NULL;
	r->msg_typed = 0;
	r->nextra = 0;
}

/* The bytes a value's text takes (0: it has none of its own). */
static size_t value_bytes(const struct pyval *v)
{
	if (!v->s || v->type == PV_TUPLE)
		return 0;
	return v->n || v->type != PV_STR ? v->n : strlen(v->s);
}

static const char *copy_bytes(char **p, const char *s, size_t n)
{
	char *d = *p;
	memcpy(d, s, n);
	d[n] = '\0';
	*p += n + 1;
	return d;
}

/* One block: the struct, the extras array, then every string. */
struct log_record *log_record_copy(const struct log_record *r)
{
	const char *strs[] = {r->name, r->msg, r->levelname, r->pathname, r->filename, r->module,
			      r->thread_name, r->process_name};
	size_t n = sizeof strs / sizeof strs[0], size = sizeof *r + r->nextra * sizeof *r->extra;
	for (size_t i = 0; i < n; i++)
		size += strlen(strs[i] ? strs[i] : "") + 1;
	for (size_t i = 0; i < r->nextra; i++)
		size += strlen(r->extra[i].key) + 1 + value_bytes(&r->extra[i].value) + 1;
	size += r->msg_typed ? value_bytes(&r->msg_value) + 1 : 0;
	struct log_record *c = malloc(size);
	if (!c)
		return NULL;
	*c = *r;
	c->extra = (struct log_extra *)(c + 1);
	char *p = (char *)(c->extra + r->nextra);
	const char **dst[] = {&c->name, &c->msg, &c->levelname, &c->pathname, &c->filename,
			      &c->module, &c->thread_name, &c->process_name};
	for (size_t i = 0; i < n; i++)
		*dst[i] = copy_bytes(&p, strs[i] ? strs[i] : "", strlen(strs[i] ? strs[i] : ""));
	for (size_t i = 0; i < r->nextra; i++) {
		c->extra[i] = r->extra[i];
		c->extra[i].key = (char *)copy_bytes(&p, r->extra[i].key, strlen(r->extra[i].key));
		size_t vb = value_bytes(&r->extra[i].value);
		if (vb || r->extra[i].value.type == PV_STR)
			c->extra[i].value.s = copy_bytes(&p, r->extra[i].value.s, vb);
		c->extra[i].text = NULL;
	}
	if (r->msg_typed && r->msg_value.s && r->msg_value.type != PV_TUPLE)
		c->msg_value.s = copy_bytes(&p, r->msg_value.s, value_bytes(&r->msg_value));
	c->json_msg = NULL;
	c->json_msg_value = NULL;
	c->asctime = NULL;
	return c;
}

void log_record_free(struct log_record *r)
{
	free(r); /* one block */
}
