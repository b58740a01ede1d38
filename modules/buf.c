/* osfs_buf: a growable byte buffer with a sticky allocation-failure flag. */
#include "osfs/buf.h"

#include <errno.h>
#include <stdint.h>
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

/* The strict decoder (osfs/buf.h): one well-formed UTF-8 character, its length and
 * *cp, or 0 for a byte that does not start one. */
size_t osfs_utf8_char(const unsigned char *p, uint32_t *cp)
{
	static const struct {
		unsigned char lead_lo, lead_hi, second_lo, second_hi;
		size_t n;
	} forms[] = {
		{0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
		{0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3},
		{0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
		{0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
	};
	if (*p < 0x80) {
		*cp = *p;
		return 1;
	}
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		if (*p < forms[f].lead_lo || *p > forms[f].lead_hi)
			continue;
		if (p[1] < forms[f].second_lo || p[1] > forms[f].second_hi)
			return 0;
		for (size_t i = 2; i < forms[f].n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		uint32_t c = *p & (0xff >> (forms[f].n + 1));
		for (size_t i = 1; i < forms[f].n; i++)
			c = c << 6 | (p[i] & 0x3f);
		*cp = c;
		return forms[f].n;
	}
	return 0;
}
