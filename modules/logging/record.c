/* Log records: LogRecord's attributes by name, and structured (JSON) lines. */
#include "osfs/logging/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "osfs/fmt.h"
#include "osfs/refuse.h"

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
	case A_MSG:
	case A_MESSAGE: *out = PV_STR_V(r->msg); break;
	case A_ARGS: *out = (struct pyval){PV_OBJ, 0, 0, "()"}; break;
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

/* cJSON keeps numbers as doubles, but json.loads makes "1" an int and "1.0" a
 * float: the number literals of the line, in document order (which cJSON keeps),
 * say which each one is. */
struct numbers {
	const char *line;
	size_t pos;
};

static void next_number(struct numbers *n, const char **start, size_t *len)
{
	const char *p = n->line + n->pos;
	int in_string = 0;
	for (; *p; p++) {
		if (in_string) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"') {
			in_string = 1;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			break;
		}
	}
	*start = p;
	*len = strspn(p, "-+0123456789.eE");
	n->pos = (size_t)(p + *len - n->line);
}

/* A number literal as Python's int or float. */
static struct pyval number_value(const char *lit, size_t len, struct osfs_buf *text)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.*s", (int)(len < 63 ? len : 63), lit);
	if (!strpbrk(tmp, ".eE")) {
		char *end;
		errno = 0;
		long long v = strtoll(tmp, &end, 10);
		if (!errno)
			return PV_INT_V(v);
		/* beyond 64 bits: Python's int prints every digit */
		osfs_buf_add(text, lit[0] == '-' ? lit : lit, len);
		return (struct pyval){PV_OBJ, 0, 0, NULL};
	}
	return PV_FLOAT_V(strtod(tmp, NULL));
}

/* str() of a JSON value the way Python prints the object json.loads gives. */
static void py_text(const cJSON *v, struct numbers *nums, struct osfs_buf *out, int nested)
{
	if (cJSON_IsNull(v)) {
		osfs_buf_puts(out, "None");
	} else if (cJSON_IsBool(v)) {
		osfs_buf_puts(out, cJSON_IsTrue(v) ? "True" : "False");
	} else if (cJSON_IsString(v)) {
		if (nested)
			pv_repr_str(v->valuestring, out);
		else
			osfs_buf_puts(out, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		const char *lit;
		size_t len;
		next_number(nums, &lit, &len);
		struct osfs_buf big = {0};
		struct pyval pv = number_value(lit, len, &big);
		if (pv.type == PV_OBJ)
			osfs_buf_add(out, big.data, big.len);
		else
			pv_str(&pv, out);
		osfs_buf_free(&big);
	} else {
		int is_obj = cJSON_IsObject(v);
		osfs_buf_putc(out, is_obj ? '{' : '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			if (is_obj) {
				pv_repr_str(c->string, out);
				osfs_buf_puts(out, ": ");
			}
			py_text(c, nums, out, 1);
			if (c->next)
				osfs_buf_puts(out, ", ");
		}
		osfs_buf_putc(out, is_obj ? '}' : ']');
	}
}

static int to_pyval(const cJSON *v, struct numbers *nums, struct log_extra *e)
{
	if (cJSON_IsNull(v)) {
		e->value = PV_NONE_V;
		return 0;
	}
	if (cJSON_IsBool(v)) {
		e->value = (struct pyval){PV_BOOL, cJSON_IsTrue(v), 0, NULL};
		return 0;
	}
	struct osfs_buf b = {0};
	if (cJSON_IsNumber(v)) {
		const char *lit;
		size_t len;
		next_number(nums, &lit, &len);
		e->value = number_value(lit, len, &b);
		if (e->value.type != PV_OBJ) {
			osfs_buf_free(&b);
			return 0;
		}
	} else {
		py_text(v, nums, &b, 0);
	}
	if (osfs_buf_error(&b))
		return -ENOMEM;
	e->text = b.data ? b.data : strdup("");
	e->value = (struct pyval){cJSON_IsString(v) ? PV_STR : PV_OBJ, 0, 0, e->text};
	return 0;
}

int log_json_values(const char *json, struct log_extra **out, size_t *count)
{
	cJSON *obj = cJSON_Parse(json);
	*out = NULL;
	*count = 0;
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return 1;
	}
	struct numbers nums = {json, 0};
	size_t n = (size_t)cJSON_GetArraySize(obj);
	struct log_extra *e = calloc(n + 1, sizeof *e);
	int err = e ? 0 : -ENOMEM;
	size_t i = 0;
	for (cJSON *c = obj->child; c && !err; c = c->next, i++) {
		e[i].key = strdup(c->string);
		err = e[i].key ? to_pyval(c, &nums, &e[i]) : -ENOMEM;
	}
	cJSON_Delete(obj);
	*out = e;
	*count = e ? n : 0; /* on failure too: every entry is freeable */
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
	return b.data ? b.data : strdup("");
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
		} else {
			free(r->json_msg);
			r->json_msg = text;
			r->msg = text ? text : "";
		}
		free(e[i].key);
		free(e[i].text);
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
	r->extra = NULL;
	r->json_msg = NULL;
	r->nextra = 0;
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
		size += strlen(r->extra[i].key) + 1 +
			(r->extra[i].value.s ? strlen(r->extra[i].value.s) + 1 : 0);
	struct log_record *c = malloc(size);
	if (!c)
		return NULL;
	*c = *r;
	c->extra = (struct log_extra *)(c + 1);
	char *p = (char *)(c->extra + r->nextra);
	const char **dst[] = {&c->name, &c->msg, &c->levelname, &c->pathname, &c->filename,
			      &c->module, &c->thread_name, &c->process_name};
	for (size_t i = 0; i < n; i++) {
		*dst[i] = strcpy(p, strs[i] ? strs[i] : "");
		p += strlen(p) + 1;
	}
	for (size_t i = 0; i < r->nextra; i++) {
		c->extra[i] = r->extra[i];
		c->extra[i].key = strcpy(p, r->extra[i].key);
		p += strlen(p) + 1;
		if (r->extra[i].value.s) {
			c->extra[i].value.s = strcpy(p, r->extra[i].value.s);
			p += strlen(p) + 1;
		}
		c->extra[i].text = NULL;
	}
	c->json_msg = NULL;
	c->asctime = NULL;
	return c;
}

void log_record_free(struct log_record *r)
{
	free(r); /* one block */
}
