/* ffi text: the "..." literals of the request syntax (C's escapes, and \u for a
 * character in UTF-8), UTF-8 to wide characters and back, and bytes quoted the way
 * the syntax reads them back. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "ffi_internal.h"
#include "osfs/refuse.h"

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void put_utf8(char *out, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		out[(*n)++] = (char)c;
	} else if (c < 0x800) {
		out[(*n)++] = (char)(0xc0 | c >> 6);
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*n)++] = (char)(0xe0 | c >> 12);
		out[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | c >> 18);
		out[(*n)++] = (char)(0x80 | (c >> 12 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	}
}

/* "..." with C's escapes: \n \t \r \a \b \f \v \\ \" \' \xHH \ooo, and \uXXXX
 * \UXXXXXXXX for a code point (written in UTF-8). */
int fstring_parse(struct fparser *p, char **bytes, size_t *len)
{
	const char *s = p->s;
	if (*s != '"')
		return osfs_refuse(EINVAL, "%s: a string is written \"...\"", p->what);
	size_t end = 1;
	while (s[end] && s[end] != '"')
		end += s[end] == '\\' && s[end + 1] ? 2 : 1;
	if (s[end] != '"')
		return osfs_refuse(EINVAL, "%s: a string is written \"...\" (no closing quote)", p->what);
	char *out = arena_alloc(p->a, end + 4, 1); /* escapes only shrink, but for \u's UTF-8 */
	if (!out)
		return osfs_refuse(E2BIG, "%s: the request is too large", p->what);
	size_t n = 0;
	for (size_t i = 1; i < end; i++) {
		char c = s[i];
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = s[++i];
		static const char from[] = "ntr\\\"'abfv", to[] = "\n\t\r\\\"'\a\b\f\v";
		const char *k = strchr(from, c);
		if (c && k) {
			out[n++] = to[k - from];
		} else if (c == 'x' && hexval((unsigned char)s[i + 1]) >= 0) {
			unsigned v = 0;
			for (int d = 0; d < 2 && i + 1 < end && hexval((unsigned char)s[i + 1]) >= 0; d++)
				v = v * 16 + (unsigned)hexval((unsigned char)s[++i]);
			out[n++] = (char)v;
		} else if (c >= '0' && c <= '7') {
			unsigned v = (unsigned)(c - '0');
			for (int d = 0; d < 2 && s[i + 1] >= '0' && s[i + 1] <= '7'; d++)
				v = v * 8 + (unsigned)(s[++i] - '0');
			if (v > 0xff)
				return osfs_refuse(EINVAL, "%s: octal escape \\%o is past \\377", p->what, v);
			out[n++] = (char)v;
		} else if (c == 'u' || c == 'U') {
			int digits = c == 'u' ? 4 : 8;
			uint32_t v = 0;
			for (int d = 0; d < digits; d++) {
				int h = i + 1 < end ? hexval((unsigned char)s[i + 1]) : -1;
				if (h < 0)
					return osfs_refuse(EINVAL, "%s: \\%c wants %d hex digits", p->what, c, digits);
				v = v * 16 + (uint32_t)h;
				i++;
			}
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				return osfs_refuse(EINVAL, "%s: \\%c%0*x is not a character", p->what, c, digits, v);
			put_utf8(out, &n, v);
		} else {
			return osfs_refuse(EINVAL, "%s: unknown escape \\%c", p->what, c ? c : '0');
		}
	}
	out[n] = '\0';
	p->s = s + end + 1;
	*bytes = out;
	*len = n;
	return 0;
}

/* UTF-8 to code points (wchar_t is UCS-4 here): the count, or -1 if not UTF-8. */
long fdecode_utf8(const char *s, size_t n, wchar_t *out)
{
	long k = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		int more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
		if (more < 0 || i + (size_t)more >= n)
			return -1;
		uint32_t v = more ? c & (0x3f >> more) : c;
		for (int j = 1; j <= more; j++) {
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return -1;
			v = v << 6 | ((unsigned char)s[i + j] & 0x3f);
		}
		static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
		if (v < least[more] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return -1;
		if (out)
			out[k] = (wchar_t)v;
		k++;
		i += (size_t)more + 1;
	}
	return k;
}

void fquote(struct osfs_buf *out, const char *s, size_t n)
{
	osfs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			osfs_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			osfs_buf_puts(out, "\\n");
		else if (c == '\t')
			osfs_buf_puts(out, "\\t");
		else if (c == '\r')
			osfs_buf_puts(out, "\\r");
		else if (c < 0x20 || c == 0x7f)
			osfs_buf_printf(out, "\\x%02x", c);
		else
			osfs_buf_putc(out, (char)c);
	}
	osfs_buf_putc(out, '"');
}

void fquote_wide(struct osfs_buf *out, const wchar_t *s, size_t n)
{
	osfs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		uint32_t c = (uint32_t)s[i];
		if (c < 0x80) {
			char b = (char)c;
			struct osfs_buf one = {0};
			fquote(&one, &b, 1);
			if (one.data)
				osfs_buf_add(out, one.data + 1, one.len - 2);
			osfs_buf_free(&one);
		} else if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
			osfs_buf_printf(out, c > 0xffff ? "\\U%08x" : "\\u%04x", c);
		} else {
			char u[4];
			size_t k = 0;
			put_utf8(u, &k, c);
			osfs_buf_add(out, u, k);
		}
	}
	osfs_buf_putc(out, '"');
}
