/* Python values, as far as a log record needs them: None, bool, int (unbounded),
 * float, str, and the list, dict and tuple a JSON record line or the record itself
 * holds.  Formatting them follows Python: str(), repr(), ascii(), the % operator
 * and format() with its spec mini-language. */
#ifndef OSFS_LOGGING_VALUE_H
#define OSFS_LOGGING_VALUE_H

#include <stddef.h>

#include "../buf.h"

enum pv_type {
	PV_NONE,
	PV_BOOL,
	PV_INT,   /* i */
	PV_FLOAT, /* f */
	PV_STR,   /* s: UTF-8, NUL-terminated */
	PV_BIG,   /* s: the decimal digits of an int past 64 bits, '-' first if negative */
	PV_LIST,  /* s, n: the JSON text of the list; i 1: it stands for a tuple (args) */
	PV_DICT,  /* s, n: the JSON text of the object */
	PV_TUPLE, /* s: the Python text of the tuple (the record's args: "()") */
};

struct pyval {
	enum pv_type type;
	long long i; /* bool and int */
	double f;    /* float */
	const char *s;
	size_t n; /* bytes of s for PV_BIG, PV_LIST, PV_DICT (0: strlen) */
};

#define PV_NONE_V ((struct pyval){PV_NONE, 0, 0, NULL, 0})
#define PV_STR_V(x) ((struct pyval){PV_STR, 0, 0, (x), 0})
#define PV_INT_V(x) ((struct pyval){PV_INT, (x), 0, NULL, 0})
#define PV_FLOAT_V(x) ((struct pyval){PV_FLOAT, 0, (x), NULL, 0})

/* str(v), repr(v), ascii(v).  0, or -ENOMEM. */
int pv_str(const struct pyval *v, struct osfs_buf *out);
int pv_repr(const struct pyval *v, struct osfs_buf *out);
int pv_ascii(const struct pyval *v, struct osfs_buf *out);
/* repr() of a str: Python's quoting and escapes. */
void pv_repr_str(const char *s, size_t n, struct osfs_buf *out);

/* One %-conversion, as str % mapping reads it: flags (PCT_*), width (-1: none),
 * precision (-1: none), the conversion character. */
#define PCT_LJUST 1
#define PCT_SIGN 2
#define PCT_BLANK 4
#define PCT_ALT 8
#define PCT_ZERO 16
struct pct_spec {
	int flags;
	int width, precision;
	unsigned type;
};
/* 0, or -EINVAL after osfs_refuse() with the error Python raises. */
int pv_percent(const struct pyval *v, const struct pct_spec *spec, struct osfs_buf *out);

/* format(value, spec) after conversion (0, 'r', 's' or 'a').  0, or -EINVAL after
 * osfs_refuse() with the error Python raises. */
int pv_format(const struct pyval *v, unsigned conversion, const char *spec, size_t n,
	      struct osfs_buf *out);

/* Python pads to any width memory allows; osfs refuses a width or precision over
 * PV_WIDTH_MAX, so that one format cannot make every record a gigabyte. */
#define PV_WIDTH_MAX 1000000

#endif
