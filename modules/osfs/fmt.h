/* The number conventions of osfs files: seconds carry 9 decimals
 * ("1764051234.123456789"), floats print as Python's repr() prints them, booleans
 * print 1/0 and accept 1 0 y n yes no true false on off. */
#ifndef OSFS_FMT_H
#define OSFS_FMT_H

#include <stdint.h>
#include <time.h>

#include "buf.h"

/* SECONDS.NNNNNNNNN for a time in nanoseconds (negative values keep their sign). */
void osfs_fmt_ns(struct osfs_buf *out, int64_t ns);
void osfs_fmt_timespec(struct osfs_buf *out, const struct timespec *ts);

/* repr(float(v)): the shortest text that reads back as v ("0.1", "1e-09", "2.0"). */
void osfs_fmt_repr(struct osfs_buf *out, double v);

/* A boolean word: 0 with *v set, or -EINVAL. */
int osfs_parse_bool(const char *s, int *v);

/* A decimal long long, the whole string: 0, -EINVAL or -ERANGE. */
int osfs_parse_ll(const char *s, long long *v);

#endif
