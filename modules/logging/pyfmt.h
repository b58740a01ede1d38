/* Inside Python's formatting, as the logging module's formatters need it: text as
 * code points, big integers, floats as PyOS_double_to_string writes them, the
 * format-spec mini-language and JSON values as json.loads makes them.  Internal to
 * libosfs: value.h is the public face. */
#ifndef OSFS_LOGGING_PYFMT_H
#define OSFS_LOGGING_PYFMT_H

#include <stddef.h>
#include <stdint.h>

#include "osfs/buf.h"
#include "osfs/logging/value.h"

/* unicode.c (generated from the reference Python by gen-unicode.py) */
int uc_is_word(uint32_t c);      /* re's \w */
int uc_is_printable(uint32_t c); /* str.isprintable() */
int uc_decimal(uint32_t c);      /* 0..9 for a decimal digit of any script (re's \d), else -1 */
int uc_percent_type(uint32_t c); /* [diouxefgcrsa%] under re.IGNORECASE */
int uc_brace_type(uint32_t c);   /* [bcdefgnosx%] under re.IGNORECASE */

/* UTF-8.  Python counts code points: widths, precisions and indexes are in them.
 * A byte that starts no valid sequence is one character of its own; a surrogate
 * (ED A0..BF xx, how osfs keeps a JSON "\ud800") decodes as that code point. */
uint32_t u8_next(const char **p, const char *end);
size_t u8_put(char out[4], uint32_t c);
void u8_add(struct osfs_buf *out, uint32_t c);
size_t u8_count(const char *s, size_t n);
/* The bytes of the first `chars` characters of s. */
size_t u8_prefix(const char *s, size_t n, size_t chars);
/* Appends c n times (c's UTF-8 given by its bytes). */
void fill_add(struct osfs_buf *out, const char *c, size_t clen, size_t n);

/* bigint.c: integers past 64 bits, kept as their decimal digits. */
/* The digits of a magnitude (decimal digits in) in base 2, 8 or 16, no prefix. */
int big_to_base(const char *dec, size_t n, int base, int upper, struct osfs_buf *out);
/* trunc(x) in decimal, '-' first when negative; x finite. */
int big_from_double(double x, struct osfs_buf *out);

/* pyfloat.c: PyOS_double_to_string.  code is one of e E f F g G r; flags: */
#define DTSF_ALT       1 /* '#' */
#define DTSF_ADD_DOT_0 2 /* repr-like: "2.0", not "2" */
#define DTSF_NO_NEG_0  4 /* 'z': "-0.0" becomes "0.0" */
int py_dtoa(struct osfs_buf *out, double x, char code, int precision, int flags);
/* int(x) for a finite float: in *small if it fits 64 bits (returns 0), else the
 * decimal digits in big (returns 1). */
int float_to_int(double x, long long *small, struct osfs_buf *big);

/* spec.c: format(value, spec) for str, int, bool, float and the rest.  A spec is
 * read once (fspec_parse), as parse_internal_render_format_spec reads it, but
 * what depends on the value's type (the default type and alignment) is settled
 * when a value is formatted. */
struct fspec {
	char fill[4];
	uint8_t filllen, fill_given, align_given, zero, alt, no_neg_0;
	char sep;              /* 0, ',' or '_' */
	uint32_t align;        /* 0 (the type's default), '<', '>', '=', '^' */
	uint32_t sign;         /* 0, '+', '-', ' ' */
	uint32_t type;         /* 0: the type's default */
	long width, precision; /* -1: none */
	int empty;
};
/* 0, or -EINVAL after osfs_refuse() with the ValueError Python raises. */
int fspec_parse(const char *spec, size_t n, struct fspec *f);
int pv_format_fspec(const struct pyval *v, const struct fspec *f, struct osfs_buf *out);
/* Appends the digits of |x| in base 2, 8, 10 or 16. */
void u64_digits(struct osfs_buf *out, unsigned long long x, int base, int upper);
/* A number's magnitude digits in base (sign in *neg): int, bool, big int. */
int int_digits(const struct pyval *v, int base, int upper, struct osfs_buf *out, int *neg);
/* float(v) of an int, bool, big int or float: 0, or -EINVAL (an OverflowError). */
int pv_to_double(const struct pyval *v, double *d);

/* pyjson.c: JSON as json.loads reads it (strict: control characters in strings
 * refused; NaN, Infinity and -Infinity accepted; an integer of more than 4300
 * digits refused, as int() refuses it). */
#define PJ_MAX_DEPTH 1000
/* Checks one value at *p (after whitespace); *p is left past it.  0, -EINVAL, or
 * -EILSEQ for a valid value with a string that holds \u0000 (which osfs, keeping
 * texts as C strings, refuses rather than cut short: pj_refuse_nul says so). */
int pj_check(const char **p, const char *end, int depth);
int pj_refuse_nul(void);
const char *pj_ws(const char *p, const char *end);
/* The Python value of the JSON value at p (checked): strings are decoded into
 * scratch (so v->s points into scratch until it is next written); containers
 * keep their JSON text (v->s, v->n). */
int pj_value(const char *p, const char *end, struct pyval *v, struct osfs_buf *scratch);
/* Iterating a checked container: pj_first at its '[' or '{', then pj_next for
 * each element; for a dict, *key gets the key's JSON string. 1 while there is an
 * element, 0 at the end. */
struct pj_iter {
	const char *p, *end;
	int dict;
};
void pj_open(struct pj_iter *it, const char *p, const char *end);
int pj_next(struct pj_iter *it, const char **key, const char **value);
/* Whether a checked object may name a key twice (1 also when a key has escapes). */
int pj_has_duplicate_keys(const char *p, const char *end);
/* A checked JSON string (at its quote) decoded into out. */
void pj_string(const char *p, struct osfs_buf *out);
/* Whether two checked JSON strings decode to the same text. */
int pj_string_eq(const char *a, const char *b);
int pj_string_is(const char *a, const char *text, size_t n);

/* value.c */
const char *pv_type_name(const struct pyval *v);
int pv_getitem(const struct pyval *v, const char *key, size_t n, struct pyval *out,
               struct osfs_buf *scratch);
int pv_getattr(const struct pyval *v, const char *name, size_t n, struct pyval *out,
               struct osfs_buf *scratch);

#endif
