/* A format compiled once into a program: literal pieces and fields, each field
 * with its key resolved to a LogRecord attribute where it names one, its
 * accessors, conversion and spec read in advance.  What Python would raise for
 * every record (a bad spec, a positional field, an unknown conversion) is an
 * OP_FAIL where Python meets it.  Internal to format.c and fmt_compile.c. */
#ifndef OSFS_LOGGING_FMTPROG_H
#define OSFS_LOGGING_FMTPROG_H

#include "pyfmt.h"

enum fmt_op_kind {
	OP_LIT,         /* text */
	OP_FIELD,       /* a value from the record, the extras or the defaults */
	OP_FAIL,        /* text: the error Python raises here, for any record */
	OP_RECORD_DICT, /* '%': a conversion without a key, given the whole mapping */
};

struct fmt_access {
	int attr; /* 1: .name, 0: [key] */
	const char *name;
	size_t len;
};

struct fmt_prog;

/* A field whose conversion is the identity for a str (and decimal for an int):
 * formatted without the general machinery when its value is one. */
enum fmt_fast { FAST_NONE, FAST_STR, FAST_INT };

struct fmt_op {
	enum fmt_op_kind kind;
	enum fmt_fast fast;
	char *text; /* LIT, FAIL: the text; FIELD: the key */
	size_t len;
	int attr;                 /* FIELD: the LogRecord attribute, or -1 */
	struct pct_spec pct;      /* '%' */
	unsigned conversion;      /* '{': 0, 'r', 's' or 'a' */
	struct fspec spec;        /* '{' */
	struct fmt_prog *nested;  /* '{': a spec made of replacement fields */
	struct fmt_access *chain; /* '{': accessors after the key */
	size_t nchain;
	/* format.c: a fast field read straight from struct log_record at offset:
	 * 's' a string, 'i' an int, 'l' a long, 'L' a long long; 'a' asctime */
	char direct;
	size_t offset;
};

struct fmt_prog {
	char style;
	struct fmt_op *ops;
	size_t n, cap;
	int fields;
};

void fmt_prog_free(struct fmt_prog *p);

/* A text as code points, with the byte offset of each (off[n] is the length). */
struct cps {
	uint32_t *c;
	size_t *off, n;
};
int fmt_decode(const char *s, size_t len, struct cps *t);
void fmt_cps_free(struct cps *t);

/* Building a program: an op (its text copied), literal text (joined to the literal
 * before it), an error for every record (returns 1: nothing after it can matter),
 * a field by its key.  -ENOMEM (NULL) when out of memory. */
struct fmt_op *fmt_add_op(struct fmt_prog *p, enum fmt_op_kind kind, const char *text, size_t len);
int fmt_add_lit(struct fmt_prog *p, const char *s, size_t len);
int fmt_add_fail(struct fmt_prog *p, const char *msg);
struct fmt_op *fmt_add_field(struct fmt_prog *p, const char *key, size_t len);

/* fmt_brace.c: the '{' style. */
int fmt_compile_brace(struct fmt_prog *p, const char *fmt, int validate);

/* fmt_validate.c: whether logging's validation patterns match (1 or 0; -ENOMEM). */
int fmt_percent_valid(const char *fmt);
int fmt_field_name_valid(const char *s, size_t n);
int fmt_spec_valid(const char *s, size_t n);

/* Compiles fmt in its style.  With validate, refuses (-EINVAL after
 * osfs_refuse) what Formatter(validate=True) refuses; without, a format error
 * becomes an OP_FAIL.  -ENOMEM, or -EINVAL for a width past PV_WIDTH_MAX. */
int fmt_compile(struct fmt_prog *p, char style, const char *fmt, int validate);

#endif
