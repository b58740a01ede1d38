/* osfs_buf: a growable byte buffer with a sticky allocation-failure flag. */
#include "osfs/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct osfs_buf *b, size_t extra)
{
	if (b->failed)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void osfs_buf_add(struct osfs_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) < 0)
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

char *osfs_buf_extend(struct osfs_buf *b, size_t n)
{
	if (reserve(b, n) < 0)
		return NULL;
	char *p = b->data + b->len;
	b->len += n;
	b->data[b->len] = '\0';
	return p;
}

void osfs_buf_puts(struct osfs_buf *b, const char *s)
{
	osfs_buf_add(b, s, strlen(s));
}

void osfs_buf_putc(struct osfs_buf *b, char c)
{
	osfs_buf_add(b, &c, 1);
}

void osfs_buf_vprintf(struct osfs_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0) {
		b->failed = 1;
	} else if ((size_t)n < sizeof small) {
		osfs_buf_add(b, small, (size_t)n);
	} else if (reserve(b, (size_t)n) == 0) {
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

void osfs_buf_printf(struct osfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	osfs_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void osfs_buf_reset(struct osfs_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

void osfs_buf_free(struct osfs_buf *b)
{
	free(b->data);
	*b = (struct osfs_buf){0};
}

int osfs_buf_error(const struct osfs_buf *b)
{
	return b->failed ? -ENOMEM : 0;
}
