/* osfs_buf: a growable byte buffer, the one type every node's content is built in.
 * Appends never fail loudly: an allocation failure sets a sticky flag that the
 * caller checks once, when the buffer is complete (osfs_buf_error). */
#ifndef OSFS_BUF_H
#define OSFS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct osfs_buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	int failed;
};

void osfs_buf_add(struct osfs_buf *b, const void *p, size_t n);
void osfs_buf_puts(struct osfs_buf *b, const char *s);
void osfs_buf_putc(struct osfs_buf *b, char c);
void osfs_buf_printf(struct osfs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void osfs_buf_vprintf(struct osfs_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends n bytes for the caller to fill: a pointer to them, or NULL on failure. */
char *osfs_buf_extend(struct osfs_buf *b, size_t n);
void osfs_buf_reset(struct osfs_buf *b);
void osfs_buf_free(struct osfs_buf *b);

/* 0, or -ENOMEM if any append since the last reset failed. */
int osfs_buf_error(const struct osfs_buf *b);

/* One well-formed UTF-8 character at p, a NUL-terminated string (Python's strict
 * decoder: no overlong forms, no surrogates, nothing past U+10FFFF): its length and
 * *cp, or 0 for a byte that does not start one. */
size_t osfs_utf8_char(const unsigned char *p, uint32_t *cp);

#endif
