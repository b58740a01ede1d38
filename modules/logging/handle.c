/* logging.makeLogRecord + Logger.handle: a JSON LogRecord dict (what a
 * SocketHandler receiver unpickles) becomes a record, and the logger its name
 * names handles it, made first if it does not exist (getLogger).  As in Python
 * the logger's level and logging.disable are not consulted (Logger.handle does
 * not call isEnabledFor): its disabled flag and filters are, then the handlers'
 * levels.
 *
 * makeLogRecord starts from LogRecord(None, None, "", 0, "", (), None, None) and
 * takes the dict's values over it: so does this, with the receiver's process and
 * thread (here: the writer's) and the time it was made, for what the dict does
 * not say.  A value whose type osfs does not keep an attribute in (thread None,
 * created an int) is kept as it is for what the record shows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "osfs/refuse.h"
#include "pyfmt.h"

/* How each attribute is kept: a str, a str or None, an int, a float; the rest
 * are taken apart below (name, msg, args, levelno, exc_info) or not kept. */
enum keep { K_STR, K_OPT, K_INT, K_LONG, K_LLONG, K_DOUBLE, K_SPECIAL, K_DROP };

static const struct {
	const char *key;
	enum keep keep;
	size_t offset;
} fields[] = {
	{"name", K_SPECIAL, 0},
	{"msg", K_SPECIAL, 0},
	{"args", K_SPECIAL, 0},
	{"levelno", K_SPECIAL, 0},
	{"exc_info", K_SPECIAL, 0},
	{"levelname", K_STR, offsetof(struct log_record, levelname)},
	{"pathname", K_STR, offsetof(struct log_record, pathname)},
	{"filename", K_STR, offsetof(struct log_record, filename)},
	{"module", K_STR, offsetof(struct log_record, module)},
	{"threadName", K_STR, offsetof(struct log_record, thread_name)},
	{"processName", K_STR, offsetof(struct log_record, process_name)},
	{"exc_text", K_OPT, offsetof(struct log_record, exc_text)},
	{"stack_info", K_OPT, offsetof(struct log_record, stack_info)},
	{"funcName", K_OPT, offsetof(struct log_record, func_name)},
	{"taskName", K_OPT, offsetof(struct log_record, task_name)},
	{"lineno", K_LONG, offsetof(struct log_record, lineno)},
	{"thread", K_LLONG, offsetof(struct log_record, thread)},
	{"process", K_LLONG, offsetof(struct log_record, process)},
	{"created", K_DOUBLE, offsetof(struct log_record, created)},
	{"msecs", K_DOUBLE, offsetof(struct log_record, msecs)},
	{"relativeCreated", K_DOUBLE, offsetof(struct log_record, relative_created)},
	/* made again by the formatter that uses them, as Formatter.format makes them */
	{"message", K_DROP, 0},
	{"asctime", K_DROP, 0},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* A record made from a dict, and what it owns. */
struct received {
	struct log_record r;
	struct log_extra *values; /* every key of the dict (log_json_values) */
	size_t nvalues;
	struct log_extra *extra;  /* the keys that are no attribute (shallow) */
	struct log_attr_value odd[NFIELDS];
	struct osfs_buf msg, message;
	const char *route;        /* the logger's name */
	int named;                /* the dict gave a name (a str) */
};

static void *field(struct log_record *r, size_t offset)
{
	return (char *)r + offset;
}

static void odd(struct received *x, const char *key, const struct pyval *v)
{
	x->odd[x->r.nodd++] = (struct log_attr_value){log_record_attr(key), *v};
}

/* One attribute with a plain kind: the field, and the value as given when the
 * field cannot hold it as Python has it. */
static void take_field(struct received *x, size_t f, const struct pyval *v)
{
	void *p = field(&x->r, fields[f].offset);
	long long i = v->type == PV_INT || v->type == PV_BOOL ? v->i
		      : v->type == PV_FLOAT && v->f > -9223372036854775808.0 &&
				  v->f < 9223372036854775808.0 /* else no int field holds it (NaN too) */
			  ? (long long)v->f
			  : 0;
	switch (fields[f].keep) {
	case K_STR:
		*(const char **)p = v->type == PV_STR ? v->s : "";
		break;
	case K_OPT:
		*(const char **)p = v->type == PV_STR ? v->s : NULL;
		break;
	case K_INT:
		*(int *)p = (int)i;
		break;
	case K_LONG:
		*(long *)p = (long)i;
		break;
	case K_LLONG:
		*(long long *)p = i;
		break;
	case K_DOUBLE:
		*(double *)p = v->type == PV_FLOAT ? v->f : (double)i;
		return (void)(v->type != PV_FLOAT ? odd(x, fields[f].key, v) : (void)0);
	default:
		return;
	}
	int as_kept = fields[f].keep == K_STR   ? v->type == PV_STR
		      : fields[f].keep == K_OPT ? v->type == PV_STR || v->type == PV_NONE
						: v->type == PV_INT;
	if (!as_kept)
		odd(x, fields[f].key, v);
}

/* name: the logger; None (or none given) is the root, "" and "root" too. */
static int take_name(struct received *x, const struct pyval *v)
{
	if (v->type == PV_STR) {
		x->r.name = v->s;
		x->route = *v->s ? v->s : "root";
		x->named = 1;
		return 0;
	}
	if (v->type != PV_NONE)
		return osfs_refuse(EINVAL, "name: a logger's name is a str, not %s", pv_type_name(v));
	x->route = "root";
	x->r.name = "";
	return 0;
}

/* levelno: an int (the handlers compare it with their levels). */
static int take_levelno(struct received *x, const struct pyval *v, int *given)
{
	if ((v->type == PV_INT || v->type == PV_BOOL) && v->i >= -2147483647 - 1 && v->i <= 2147483647) {
		x->r.levelno = (int)v->i;
		if (v->type == PV_BOOL)
			odd(x, "levelno", v);
		*given = 1;
		return 0;
	}
	if (v->type == PV_NONE)
		return 0;
	return osfs_refuse(EINVAL, "levelno: an int, not %s (handlers compare it with their levels)",
			   pv_type_name(v));
}

/* args as the record has them: a list is the tuple, a dict the mapping. */
static void take_args(struct received *x, const struct pyval *v)
{
	x->r.args = *v;
	if (v->type == PV_LIST)
		x->r.args.i = 1;
	x->r.has_args = 1;
}

/* exc_info: its text is the traceback (osfs's form: Python's is a tuple, which
 * a dict cannot carry; a pickled record has None), cached in exc_text. */
static void take_exc_info(struct received *x, struct log_extra *e)
{
	if (e->value.type == PV_STR && e->value.n) {
		if (e->text[e->value.n - 1] == '\n')
			e->text[e->value.n - 1] = '\0';
		if (!x->r.exc_text || !*x->r.exc_text) /* `if not record.exc_text` */
			x->r.exc_text = e->text;
	} else if (log_args_truthy(&e->value) && (!x->r.exc_text || !*x->r.exc_text)) {
		x->r.exc_text = "NoneType: None";
	}
}

static int take(struct received *x, const struct log_caller *c, int64_t now, int64_t start)
{
	struct log_record *r = &x->r;
	/* LogRecord(None, None, "", 0, "", (), None, None), then the dict */
	r->name = "";
	r->msg = "";
	r->levelname = "Level None";
	r->pathname = r->filename = r->module = "";
	r->process = c->pid;
	r->thread = c->tid;
	r->thread_name = r->process_name = c->comm;
	r->osfs_uid = c->uid;
	log_record_set_time(r, now, start);
	r->odd = x->odd;
	x->route = "root";
	int err = 0, levelno = 0, exc_info = -1;
	size_t nextra = 0;
	x->extra = calloc(x->nvalues + 1, sizeof *x->extra);
	if (!x->extra)
		return -ENOMEM;
	for (size_t i = 0; i < x->nvalues && !err; i++) {
		struct log_extra *e = &x->values[i];
		size_t f = 0;
		while (f < NFIELDS && strcmp(fields[f].key, e->key) != 0)
			f++;
		if (f == NFIELDS) {
			if (strcmp(e->key, "osfs_uid") == 0)
				err = osfs_refuse(EINVAL, "osfs_uid is osfs's: the uid that wrote the record");
			x->extra[nextra++] = *e;
		} else if (fields[f].keep != K_SPECIAL) {
			take_field(x, f, &e->value);
		} else if (strcmp(e->key, "name") == 0) {
			err = take_name(x, &e->value);
		} else if (strcmp(e->key, "msg") == 0) {
			r->msg_value = e->value;
			r->msg_typed = 1;
		} else if (strcmp(e->key, "args") == 0) {
			take_args(x, &e->value);
		} else if (strcmp(e->key, "levelno") == 0) {
			err = take_levelno(x, &e->value, &levelno);
		} else {
			exc_info = (int)i;
		}
	}
	if (err)
		return err;
	if (!x->named) { /* name None: the root handles it, and the record says None */
		static const struct pyval none = {PV_NONE, 0, 0, NULL, 0};
		odd(x, "name", &none);
	}
	r->extra = x->extra;
	r->nextra = nextra;
	if (exc_info >= 0)
		take_exc_info(x, &x->values[exc_info]);
	if (!levelno) { /* Python's handlers fail on None; a level name says it (osfs) */
		int level;
		if (log_level_of(r->levelname, &level) < 0)
			return osfs_refuse(EINVAL, "the record has no levelno (nor a levelname that names a level)");
		r->levelno = level;
	}
	if (r->msg_typed) { /* str(msg) */
		if ((err = pv_str(&r->msg_value, &x->msg)))
			return err;
		r->msg = x->msg.data ? x->msg.data : "";
	}
	if (r->has_args && log_args_truthy(&r->args)) { /* getMessage */
		err = log_percent_args(r->msg, &r->args, &x->message);
		if (err == -EINVAL) {
			osfs_buf_reset(&x->message);
			osfs_buf_puts(&x->message, osfs_refusal());
			osfs_refusal_clear();
			r->message_error = x->message.data ? x->message.data : "TypeError";
		} else if (!err) {
			r->msg = x->message.data ? x->message.data : "";
		}
		err = err == -EINVAL ? osfs_buf_error(&x->message) : err;
	}
	return err;
}

static void received_free(struct received *x)
{
	log_values_free(x->values, x->nvalues);
	free(x->extra);
	osfs_buf_free(&x->msg);
	osfs_buf_free(&x->message);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int log_handle_json(const char *line, const struct log_caller *caller, struct log_batch **batch)
{
	struct received x = {0};
	int64_t now = now_ns();
	int err = log_json_values(line, &x.values, &x.nvalues);
	if (err == 1)
		err = osfs_refuse(EINVAL, "a line of logging/handle is one JSON object: a LogRecord's dict");
	if (!err)
		err = take(&x, caller, now, log_start_ns());
	if (!err && *batch)
		err = log_handle_record(x.route, &x.r, *batch);
	if (err == -ENOENT) { /* getLogger: made, outside the write's read lock */
		int end = log_batch_end(*batch);
		*batch = NULL;
		err = log_logger_create(x.route);
		if (err == -EEXIST)
			err = 0;
		if (!err && !(*batch = log_batch_begin()))
			err = -ENOMEM;
		if (!err)
			err = log_handle_record(x.route, &x.r, *batch);
		if (err == -ENOENT) /* removed again meanwhile */
			err = osfs_refuse(ENOENT, "no logger named '%s'", x.route);
		err = err ? err : end;
	}
	received_free(&x);
	return err;
}
