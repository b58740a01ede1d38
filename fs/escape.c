/* Escaping the control characters of records from other users (escape.h). */
#include "escape.h"

#include <stdint.h>
#include <string.h>

static const struct {
	uint32_t lo, hi;
} controls[] = {
	{0x00, 0x08}, {0x0a, 0x1f}, {0x7f, 0x9f}, {0x61c, 0x61c},
	{0x200e, 0x200f}, {0x2028, 0x202e}, {0x2066, 0x2069},
};

static int is_control(uint32_t c)
{
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)
		if (c >= controls[i].lo && c <= controls[i].hi)
			return 1;
	return 0;
}

/* repr()'s escape of c; in a JSON string, its backslash is written "\\". */
static void put_escape(struct osfs_buf *out, uint32_t c, int json)
{
	const char *bs = json ? "\\\\" : "\\";
	if (c == '\n')
		osfs_buf_printf(out, "%sn", bs);
	else if (c == '\r')
		osfs_buf_printf(out, "%sr", bs);
	else if (c < 0x100)
		osfs_buf_printf(out, "%sx%02x", bs, (unsigned)c);
	else
		osfs_buf_printf(out, "%su%04x", bs, (unsigned)c);
}

/* One character (or undecodable byte) of raw text at p: its length. */
static size_t put_char(struct osfs_buf *out, const unsigned char *p, int json)
{
	uint32_t c;
	size_t n = osfs_utf8_char(p, &c);
	if (n == 0) { /* not UTF-8: \xNN, as backslashreplace */
		put_escape(out, *p, json);
		n = 1;
	} else if (is_control(c) && c != '\t')
		put_escape(out, c, json);
	else
		osfs_buf_add(out, p, n);
	return n;
}

void escape_text(const char *s, struct osfs_buf *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;)
		p += put_char(out, p, 0);
}

static int hex4(const unsigned char *p, uint32_t *c)
{
	*c = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char h = p[i];
		int v = h >= '0' && h <= '9' ? h - '0'
			: h >= 'a' && h <= 'f' ? h - 'a' + 10
			: h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
		if (v < 0)
			return -1;
		*c = *c << 4 | (uint32_t)v;
	}
	return 0;
}

/* A JSON escape sequence at p (after the backslash): its length, escaped if what
 * it stands for must be. */
static size_t put_json_escape(struct osfs_buf *out, const unsigned char *p)
{
	static const char simple[] = "nrbf", stands[] = "\n\r\b\f";
	const char *s = *p ? strchr(simple, *p) : NULL;
	uint32_t c;
	if (s) {
		put_escape(out, (unsigned char)stands[s - simple], 1);
		return 2;
	}
	if (*p == 'u' && hex4(p + 1, &c) == 0 && is_control(c)) {
		put_escape(out, c, 1);
		return 6;
	}
	osfs_buf_putc(out, '\\'); /* \" \\ \/ \t \uXXXX as they are */
	if (*p)
		osfs_buf_putc(out, (char)*p);
	return *p ? 2 : 1;
}

void escape_json(const char *s, struct osfs_buf *out)
{
	int in_string = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		if (!in_string || *p == '"') {
			in_string ^= *p == '"';
			osfs_buf_putc(out, (char)*p++);
		} else if (*p == '\\') {
			p += put_json_escape(out, p + 1);
		} else {
			p += put_char(out, p, 1);
		}
	}
}
