/* A record as Python's SocketHandler.makePickle sends it: the record's attribute
 * dict (msg as getMessage(), args and exc_info None, no 'message'), pickled with
 * protocol 1, after a 4-byte big-endian length.  Python's own receivers
 * (pickle.loads, then logging.makeLogRecord) read it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void put_u32le(struct osfs_buf *out, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	osfs_buf_add(out, b, 4);
}

/* Every new object is memoized (BINPUT n, or LONG_BINPUT past 255), as pickle does. */
static void memoize(struct osfs_buf *out, unsigned *memo)
{
	if (*memo < 256) {
		unsigned char op[2] = {'q', (unsigned char)*memo};
		osfs_buf_add(out, op, 2);
	} else {
		osfs_buf_putc(out, 'r');
		put_u32le(out, *memo);
	}
	(*memo)++;
}

static void put_str(struct osfs_buf *out, const char *s, unsigned *memo)
{
	osfs_buf_putc(out, 'X'); /* BINUNICODE */
	put_u32le(out, (uint32_t)strlen(s));
	osfs_buf_puts(out, s);
	memoize(out, memo);
}

/* save_long for protocol 1. */
static void put_int(struct osfs_buf *out, long long v)
{
	if (v >= 0 && v <= 0xff) {
		unsigned char op[2] = {'K', (unsigned char)v};
		osfs_buf_add(out, op, 2);
	} else if (v >= 0 && v <= 0xffff) {
		unsigned char op[3] = {'M', (unsigned char)v, (unsigned char)(v >> 8)};
		osfs_buf_add(out, op, 3);
	} else if (v >= -0x80000000LL && v <= 0x7fffffffLL) {
		osfs_buf_putc(out, 'J');
		put_u32le(out, (uint32_t)(int32_t)v);
	} else {
		osfs_buf_printf(out, "L%lldL\n", v);
	}
}

static void put_float(struct osfs_buf *out, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	unsigned char b[9] = {'G'};
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(bits >> (56 - 8 * i));
	osfs_buf_add(out, b, 9);
}

static void put_value(struct osfs_buf *out, const struct pyval *v, unsigned *memo)
{
	switch (v->type) {
	case PV_NONE:
		osfs_buf_putc(out, 'N');
		break;
	case PV_BOOL:
		osfs_buf_puts(out, v->i ? "I01\n" : "I00\n");
		break;
	case PV_INT:
		put_int(out, v->i);
		break;
	case PV_FLOAT:
		put_float(out, v->f);
		break;
	case PV_BIG: /* protocol 1's save_long: LONG with the digits */
		osfs_buf_printf(out, "L%.*sL\n", (int)v->n, v->s);
		break;
	case PV_STR:
		put_str(out, v->s, memo);
		break;
	case PV_LIST:
	case PV_DICT:
	case PV_TUPLE: { /* a JSON list or dict goes as its Python text: a str */
		struct osfs_buf text = {0};
		pv_str(v, &text);
		put_str(out, text.data ? text.data : "", memo);
		osfs_buf_free(&text);
		break;
	}
	}
}

void log_pickle_record(const struct log_record *r, struct osfs_buf *out)
{
	size_t at = out->len;
	put_u32le(out, 0); /* the length, set below (big-endian) */
	unsigned memo = 0;
	/* protocol 1 has no PROTO opcode: the dict comes first */
	osfs_buf_putc(out, '}');
	memoize(out, &memo);
	osfs_buf_putc(out, '(');
	static const char *const keys[] = {
		"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
		"exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
		"relativeCreated", "thread", "threadName", "processName", "process", "taskName",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct pyval v;
		if (strcmp(keys[i], "args") == 0)
			v = PV_NONE_V; /* makePickle sets args None: msg is already the message */
		else if (log_record_get(r, strcmp(keys[i], "msg") == 0 ? "message" : keys[i], &v) < 0)
			continue;
		put_str(out, keys[i], &memo);
		put_value(out, &v, &memo);
	}
	for (size_t i = 0; i < r->nextra; i++) {
		put_str(out, r->extra[i].key, &memo);
		put_value(out, &r->extra[i].value, &memo);
	}
	osfs_buf_puts(out, "u."); /* SETITEMS, STOP */
	if (out->failed)
		return;
	uint32_t len = (uint32_t)(out->len - at - 4);
	unsigned char *p = (unsigned char *)out->data + at;
	p[0] = (unsigned char)(len >> 24), p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8), p[3] = (unsigned char)len;
}
