/* Python values, as far as a log record needs them: None, bool, int, float, str,
 * and JSON containers (kept as the text Python's str() would give).  Formatting
 * them follows Python: str(), repr(), the % operator and format() specs. */
#ifndef OSFS_LOGGING_VALUE_H
#define OSFS_LOGGING_VALUE_H

#include "../buf.h"

enum pv_type { PV_NONE, PV_BOOL, PV_INT, PV_FLOAT, PV_STR, PV_OBJ };

struct pyval {
	enum pv_type type;
	long long i;     /* bool and int */
	double f;        /* float */
	const char *s;   /* str; for PV_OBJ the text of str()/repr() (they agree for lists, dicts) */
};

#define PV_NONE_V ((struct pyval){PV_NONE, 0, 0, NULL})
#define PV_STR_V(x) ((struct pyval){PV_STR, 0, 0, (x)})
#define PV_INT_V(x) ((struct pyval){PV_INT, (x), 0, NULL})
#define PV_FLOAT_V(x) ((struct pyval){PV_FLOAT, 0, (x), NULL})

void pv_str(const struct pyval *v, struct osfs_buf *out);
void pv_repr(const struct pyval *v, struct osfs_buf *out);
/* repr() of a str: Python's quoting and escapes. */
void pv_repr_str(const char *s, struct osfs_buf *out);

/* One %-conversion: flags, width (-1: none), precision (-1: none), type letter.
 * 0, or -EINVAL after osfs_refuse() with Python's TypeError text. */
struct pct_spec {
	char flags[6];
	int width, precision;
	char type;
};
int pv_percent(const struct pyval *v, const struct pct_spec *spec, struct osfs_buf *out);

/* A width or precision: the digits at *p, read past.  Python pads to any width
 * memory allows; osfs refuses one over PV_WIDTH_MAX (EINVAL), so that one format
 * cannot make every record a gigabyte. */
#define PV_WIDTH_MAX 1000000
int pv_spec_number(const char **p, int *out);

/* format(value, spec) with conversion (0, 'r', 's' or 'a') applied first. */
int pv_format(const struct pyval *v, char conversion, const char *spec, struct osfs_buf *out);

#endif
