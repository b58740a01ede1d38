/* Python's email package, as far as SMTPHandler's mail needs it (mail.h):
 * _header_value_parser's _refold_parse_tree and _fold_as_ew over an
 * unstructured header, _encoded_words.encode, raw_data_manager's
 * _encode_text with quoprimime.body_encode and _encode_base64, the old
 * _parseaddr's address lists, and socket.getfqdn. */
#include "mail.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../pyfmt.h"
#include "osfs/thread.h"

#define MAXLEN 78 /* policy.max_line_length */
#define CHROME 12 /* "=?utf-8?q?" + "?=": len("utf-8") + 7 */

/* ---- RFC 2047 encoded words ----------------------------------------------- */

static int q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-!*+/", c));
}

static size_t len_q(const char *s, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += q_safe((unsigned char)s[i]) || s[i] == ' ' ? 1 : 3;
	return len;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_add(struct osfs_buf *out, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		osfs_buf_putc(out, b64[v >> 18]);
		osfs_buf_putc(out, b64[(v >> 12) & 63]);
		osfs_buf_putc(out, i + 1 < n ? b64[(v >> 6) & 63] : '=');
		osfs_buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
	}
}

/* _ew.encode(string, 'utf-8'): q unless b is shorter by 5 or more. */
static void ew_encode(const char *s, size_t n, struct osfs_buf *out)
{
	size_t q = len_q(s, n), b = (n + 2) / 3 * 4;
	if (q >= b + 5) {
		osfs_buf_puts(out, "=?utf-8?b?");
		base64_add(out, (const unsigned char *)s, n);
	} else {
		osfs_buf_puts(out, "=?utf-8?q?");
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == ' ')
				osfs_buf_putc(out, '_');
			else if (q_safe(c))
				osfs_buf_putc(out, (char)c);
			else
				osfs_buf_printf(out, "=%02X", c);
		}
	}
	osfs_buf_puts(out, "?=");
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* An encoded word of ours at s (q or b): its text into out (if any); the bytes
 * it took, or 0 when s holds none. */
static size_t ew_decode(const char *s, struct osfs_buf *out)
{
	if (strncmp(s, "=?utf-8?", 8) != 0 || (s[8] != 'q' && s[8] != 'b') || s[9] != '?')
		return 0;
	const char *end = strstr(s + 10, "?=");
	if (!end)
		return 0;
	if (!out)
		return (size_t)(end + 2 - s);
	if (s[8] == 'q') {
		for (const char *p = s + 10; p < end; p++) {
			if (*p == '_')
				osfs_buf_putc(out, ' ');
			else if (*p == '=' && p + 2 < end + 1 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0)
				osfs_buf_putc(out, (char)(hexval(p[1]) * 16 + hexval(p[2]))), p += 2;
			else
				osfs_buf_putc(out, *p);
		}
	} else {
		unsigned v = 0;
		int bits = 0;
		for (const char *p = s + 10; p < end; p++) {
			int d = b64val(*p);
			if (d < 0)
				continue;
			v = v << 6 | (unsigned)d;
			if ((bits += 6) >= 8) {
				bits -= 8;
				osfs_buf_putc(out, (char)(v >> bits & 0xff));
			}
		}
	}
	return (size_t)(end + 2 - s);
}

/* ---- folding an unstructured header --------------------------------------- */

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* str.isspace() of the character at p: its length, or 0. */
static size_t space_len(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
		return 1;
	if (c < 0x80)
		return 0;
	const char *q = p;
	uint32_t u = u8_next(&q, end);
	return u == 0x85 || u == 0xa0 || u == 0x1680 || (u >= 0x2000 && u <= 0x200a) || u == 0x2028 ||
			       u == 0x2029 || u == 0x202f || u == 0x205f || u == 0x3000
		       ? (size_t)(q - p) : 0;
}

/* A token of the parse tree: a terminal (vtext, fws) or a list of them. */
enum { K_VTEXT, K_FWS, K_LABEL, K_CFWS, K_UNSTRUCTURED, K_HEADER, K_END_BLOCKED };

struct tok {
	int kind;
	const char *s; /* a terminal's text */
	size_t n;
	struct tok *kids;
	size_t nkids;
};

static int terminal(const struct tok *t)
{
	return t->kind == K_VTEXT || t->kind == K_FWS;
}

static void tok_str(const struct tok *t, struct osfs_buf *out)
{
	if (t->kind == K_LABEL) {
		osfs_buf_add(out, t->s, t->n); /* "Name:" */
		return;
	}
	if (terminal(t)) {
		osfs_buf_add(out, t->s, t->n);
		return;
	}
	for (size_t i = 0; i < t->nkids; i++)
		tok_str(&t->kids[i], out);
}

static int as_ew_allowed(const struct tok *t)
{
	return t->kind != K_LABEL; /* HeaderLabel; every terminal and other list allow it */
}

static int startswith_fws(const struct tok *t)
{
	while (!terminal(t) && t->kind != K_LABEL && t->nkids)
		t = &t->kids[0];
	return t->kind == K_FWS;
}

/* get_unstructured: runs of WSP (with the whitespace lstrip() takes after them)
 * and runs of anything else.  (Encoded words in the value are not decoded.) */
static void unstructured(const char *v, struct tok *list)
{
	const char *end = v + strlen(v);
	size_t cap = 0;
	while (*v) {
		struct tok t = {.s = v};
		if (is_wsp(*v)) {
			size_t k;
			while (v < end && (k = space_len(v, end)))
				v += k;
			t.kind = K_FWS;
		} else {
			while (*v && !is_wsp(*v))
				v++;
			t.kind = K_VTEXT;
		}
		t.n = (size_t)(v - t.s);
		if (list->nkids == cap) {
			cap = cap ? 2 * cap : 16;
			struct tok *p = realloc(list->kids, cap * sizeof *p);
			if (!p)
				return;
			list->kids = p;
		}
		list->kids[list->nkids++] = t;
	}
}

struct lines {
	struct osfs_buf *l;
	size_t n, cap;
};

static struct osfs_buf *last(struct lines *L)
{
	return &L->l[L->n - 1];
}

static size_t last_len(struct lines *L)
{
	struct osfs_buf *b = last(L);
	return b->data ? u8_count(b->data, b->len) : 0;
}

static void line_new(struct lines *L, const char *start)
{
	if (L->n == L->cap) {
		size_t cap = L->cap ? 2 * L->cap : 8;
		struct osfs_buf *p = realloc(L->l, cap * sizeof *p);
		if (!p)
			return;
		L->l = p;
		L->cap = cap;
	}
	L->l[L->n++] = (struct osfs_buf){0};
	osfs_buf_puts(last(L), start);
}

/* _steal_trailing_WSP_if_exists: the last line's trailing WSP, taken off it. */
static char steal_wsp(struct lines *L)
{
	struct osfs_buf *b = last(L);
	if (b->len && is_wsp(b->data[b->len - 1])) {
		char c = b->data[--b->len];
		b->data[b->len] = '\0';
		return c;
	}
	return 0;
}

/* The first `chars` code points of s. */
static size_t prefix_bytes(const char *s, size_t n, size_t chars)
{
	return u8_prefix(s, n, chars);
}

/* str(get_unstructured(s)): the text, its encoded words decoded (and the blank
 * between two of them dropped). */
static void unstructured_text(const char *s, struct osfs_buf *out)
{
	int after_ew = 0;
	size_t ws_at = 0;
	while (*s) {
		if (is_wsp(*s)) {
			ws_at = out->len;
			while (is_wsp(*s))
				osfs_buf_putc(out, *s++);
			continue;
		}
		size_t k = strncmp(s, "=?", 2) == 0 ? ew_decode(s, NULL) : 0;
		if (k && (!s[k] || is_wsp(s[k]))) {
			if (after_ew && ws_at <= out->len) { /* EWWhiteSpaceTerminal: '' */
				out->len = ws_at;
				if (out->data)
					out->data[ws_at] = '\0';
			}
			ew_decode(s, out);
			s += k;
			after_ew = 1;
			ws_at = (size_t)-1;
			continue;
		}
		while (*s && !is_wsp(*s))
			osfs_buf_putc(out, *s++);
		after_ew = 0;
	}
}

/* _fold_as_ew: returns the new last_ew (-1: None). */
static long fold_as_ew(const char *text, size_t n, struct lines *L, long last_ew)
{
	struct osfs_buf enc = {0}, w = {0};
	if (last_ew >= 0) { /* combined with the encoded word the line ends with */
		struct osfs_buf *b = last(L);
		size_t at = u8_prefix(b->data, b->len, (size_t)last_ew);
		struct osfs_buf tail = {0};
		osfs_buf_puts(&tail, b->data + at);
		osfs_buf_add(&tail, text, n);
		unstructured_text(tail.data ? tail.data : "", &enc);
		osfs_buf_free(&tail);
		b->len = at;
		b->data[at] = '\0';
	} else {
		osfs_buf_add(&enc, text, n);
	}
	const char *s = enc.data ? enc.data : "";
	size_t len = enc.len;
	if (len && is_wsp(*s)) { /* a leading blank joins the text before, unencoded */
		char lead = *s++;
		len--;
		if (last_len(L) == MAXLEN) {
			char c = steal_wsp(L);
			char start[2] = {c, 0};
			line_new(L, start);
		}
		osfs_buf_putc(last(L), lead);
	}
	char trailing = 0;
	if (len && is_wsp(s[len - 1]))
		trailing = s[--len];
	long new_last = last_ew < 0 ? (long)last_len(L) : last_ew;
	while (len) {
		long remaining = MAXLEN - (long)last_len(L), text_space = remaining - CHROME;
		if (text_space <= 0) {
			line_new(L, " ");
			continue;
		}
		size_t take = prefix_bytes(s, len, (size_t)text_space);
		for (;;) {
			osfs_buf_reset(&w);
			ew_encode(s, take, &w);
			if ((long)w.len <= remaining || !take)
				break;
			const char *p = s + take; /* one code point less */
			do
				p--;
			while (p > s && ((unsigned char)*p & 0xc0) == 0x80);
			take = (size_t)(p - s);
		}
		osfs_buf_add(last(L), w.data, w.len);
		s += take;
		len -= take;
		if (len) {
			line_new(L, " ");
			new_last = (long)last_len(L);
		}
	}
	if (trailing)
		osfs_buf_putc(last(L), trailing);
	osfs_buf_free(&enc);
	osfs_buf_free(&w);
	return new_last;
}

static int ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* _refold_parse_tree over a header of an unstructured value. */
static void refold(struct tok *header, struct lines *L)
{
	struct stack {
		struct tok **t;
		size_t n, cap;
	} parts = {0};
	static struct tok end_blocked = {.kind = K_END_BLOCKED};
#define PUSH(x)                                                                      \
	do {                                                                         \
		if (parts.n == parts.cap) {                                          \
			parts.cap = parts.cap ? 2 * parts.cap : 32;                  \
			struct tok **p_ = realloc(parts.t, parts.cap * sizeof *p_); \
			if (!p_)                                                     \
				goto out;                                            \
			parts.t = p_;                                                \
		}                                                                    \
		parts.t[parts.n++] = (x);                                            \
	} while (0)
	for (size_t i = header->nkids; i-- > 0;)
		PUSH(&header->kids[i]);
	line_new(L, "");
	long last_ew = -1;
	int blocked = 0, want_encoding = 0;
	struct osfs_buf t = {0};
	while (parts.n) {
		struct tok *part = parts.t[--parts.n];
		if (part == &end_blocked) {
			blocked--;
			continue;
		}
		osfs_buf_reset(&t);
		tok_str(part, &t);
		const char *tstr = t.data ? t.data : "";
		size_t tlen = u8_count(tstr, t.len);
		if (!want_encoding)
			want_encoding = strpbrk(tstr, "\r\n") != NULL; /* NLSET */
		if (!ascii(tstr, t.len))
			want_encoding = 1; /* charset utf-8 */
		if (want_encoding && !blocked) {
			if (!as_ew_allowed(part)) {
				want_encoding = 0;
				last_ew = -1;
				/* (syntactic breaks of headers: the label fits where it is) */
			}
			if (!terminal(part) && part->kind != K_LABEL) {
				for (size_t i = part->nkids; i-- > 0;)
					PUSH(&part->kids[i]);
				want_encoding = 0;
				continue;
			} else if (as_ew_allowed(part)) {
				last_ew = fold_as_ew(tstr, t.len, L, last_ew);
				want_encoding = 0;
				continue;
			} else {
				last_ew = -1;
				want_encoding = 0;
			}
		}
		if ((long)tlen <= MAXLEN - (long)last_len(L)) {
			osfs_buf_add(last(L), tstr, t.len);
			continue;
		}
		if (tlen + 1 <= MAXLEN) { /* a syntactic break: on a line of its own? */
			char wsp = steal_wsp(L);
			if (wsp || startswith_fws(part)) {
				char start[2] = {wsp, 0};
				line_new(L, start);
				osfs_buf_add(last(L), tstr, t.len);
				last_ew = -1;
				continue;
			}
		}
		if (!terminal(part) && part->kind != K_LABEL) {
			if (!as_ew_allowed(part)) {
				blocked++;
				PUSH(&end_blocked);
			}
			for (size_t i = part->nkids; i-- > 0;)
				PUSH(&part->kids[i]);
			continue;
		}
		if (as_ew_allowed(part) && !blocked) {
			PUSH(part);
			want_encoding = 1;
			continue;
		}
		char wsp = steal_wsp(L);
		if (wsp || startswith_fws(part)) {
			char start[2] = {wsp, 0};
			line_new(L, start);
		}
		osfs_buf_add(last(L), tstr, t.len);
	}
out:
	osfs_buf_free(&t);
	free(parts.t);
#undef PUSH
}

void mail_unstructured(const char *name, const char *value, struct osfs_buf *out)
{
	struct osfs_buf label = {0};
	osfs_buf_printf(&label, "%s:", name);
	struct tok kids[3] = {{.kind = K_LABEL, .s = label.data, .n = label.len},
			      {.kind = K_CFWS},
			      {.kind = K_UNSTRUCTURED}};
	static struct tok space = {.kind = K_FWS, .s = " ", .n = 1};
	kids[1].kids = &space;
	kids[1].nkids = 1;
	unstructured(value, &kids[2]);
	/* `if self._parse_tree:` an empty value has no blank after the colon */
	struct tok header = {.kind = K_HEADER, .kids = kids, .nkids = *value ? 3 : 1};
	struct lines L = {0};
	refold(&header, &L);
	for (size_t i = 0; i < L.n; i++) {
		if (L.l[i].data)
			osfs_buf_add(out, L.l[i].data, L.l[i].len);
		osfs_buf_puts(out, "\r\n");
		osfs_buf_free(&L.l[i]);
	}
	free(L.l);
	free(kids[2].kids);
	osfs_buf_free(&label);
}

/* ---- the body ----------------------------------------------------------------- */

/* bytes.splitlines(): \n, \r and \r\n end a line. */
struct span {
	const char *s;
	size_t n;
};

static struct span *split_lines(const char *text, size_t len, size_t *count)
{
	struct span *l = NULL;
	size_t n = 0, cap = 0;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *e = p;
		while (e < end && *e != '\n' && *e != '\r')
			e++;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			struct span *q = realloc(l, cap * sizeof *q);
			if (!q)
				break;
			l = q;
		}
		l[n++] = (struct span){p, (size_t)(e - p)};
		p = e < end && *e == '\r' && e + 1 < end && e[1] == '\n' ? e + 2 : e < end ? e + 1 : e;
	}
	*count = n;
	return l;
}

static int qp_safe(unsigned char c)
{
	return (c >= ' ' && c <= '~' && c != '=') || c == '\t';
}

/* quoprimime.body_encode(body, 78) of lines joined with "\n" (and a last "\n"),
 * each output line ending in CRLF. */
static void quoted_printable(const struct span *lines, size_t n, struct osfs_buf *out)
{
	struct osfs_buf line = {0};
	const int maxlinelen = MAXLEN, maxlinelen1 = MAXLEN - 1;
	for (size_t i = 0; i < n; i++) {
		osfs_buf_reset(&line);
		for (size_t k = 0; k < lines[i].n; k++) { /* body.translate(_QUOPRI_BODY_ENCODE_MAP) */
			unsigned char c = (unsigned char)lines[i].s[k];
			if (qp_safe(c))
				osfs_buf_putc(&line, (char)c);
			else
				osfs_buf_printf(&line, "=%02X", c);
		}
		const char *l = line.data ? line.data : "";
		long len = (long)line.len, start = 0, laststart = len - 1 - maxlinelen;
		while (start <= laststart) {
			long stop = start + maxlinelen1;
			if (l[stop - 2] == '=') {
				osfs_buf_add(out, l + start, (size_t)(stop - 1 - start));
				start = stop - 2;
			} else if (l[stop - 1] == '=') {
				osfs_buf_add(out, l + start, (size_t)(stop - start));
				start = stop - 1;
			} else {
				osfs_buf_add(out, l + start, (size_t)(stop - start));
				osfs_buf_putc(out, '=');
				start = stop;
			}
			osfs_buf_puts(out, "\r\n");
		}
		if (len && (l[len - 1] == ' ' || l[len - 1] == '\t')) {
			long room = start - laststart;
			osfs_buf_add(out, l + start, (size_t)(len - 1 - start));
			if (room >= 3)
				osfs_buf_printf(out, "=%02X", (unsigned char)l[len - 1]);
			else if (room == 2)
				osfs_buf_printf(out, "%c=\r\n", l[len - 1]);
			else
				osfs_buf_printf(out, "=\r\n=%02X", (unsigned char)l[len - 1]);
		} else {
			osfs_buf_add(out, l + start, (size_t)(len - start));
		}
		osfs_buf_puts(out, "\r\n"); /* the join, and the final newline kept */
	}
	osfs_buf_free(&line);
}

/* The length quoprimime.body_encode would give, with "\n" line ends (the sniff). */
static size_t qp_length(const struct span *lines, size_t n)
{
	struct osfs_buf b = {0};
	quoted_printable(lines, n, &b);
	size_t len = b.len;
	for (size_t i = 0; i + 1 < b.len; i++)
		len -= b.data[i] == '\r' && b.data[i + 1] == '\n'; /* "\r\n" counted as "\n" */
	osfs_buf_free(&b);
	return len;
}

void mail_content(const char *text, size_t len, struct osfs_buf *out)
{
	size_t n, longest = 0, bytes = 0;
	struct span *lines = split_lines(text, len, &n);
	int is_ascii = 1;
	for (size_t i = 0; i < n; i++) {
		longest = lines[i].n > longest ? lines[i].n : longest;
		bytes += lines[i].n + 1;
		is_ascii &= ascii(lines[i].s, lines[i].n);
	}
	const char *cte;
	if (longest <= MAXLEN) {
		cte = is_ascii ? "7bit" : "8bit"; /* policy.cte_type is 8bit */
	} else {
		/* the first ten lines decide: quoted-printable unless base64 is shorter */
		size_t sniff = n < 10 ? n : 10, sniff_bytes = 0;
		for (size_t i = 0; i < sniff; i++)
			sniff_bytes += lines[i].n + 1;
		size_t b64_len = (sniff_bytes + 2) / 3 * 4 + 1; /* b2a_base64 adds "\n" */
		cte = qp_length(lines, sniff) > b64_len ? "base64" : "quoted-printable";
	}
	osfs_buf_printf(out, "Content-Type: text/plain; charset=\"utf-8\"\r\n"
			     "Content-Transfer-Encoding: %s\r\nMIME-Version: 1.0\r\n\r\n", cte);
	if (cte[0] == '7' || cte[0] == '8') {
		for (size_t i = 0; i < n; i++) {
			osfs_buf_add(out, lines[i].s, lines[i].n);
			osfs_buf_puts(out, "\r\n");
		}
		if (!n)
			osfs_buf_puts(out, "\r\n");
	} else if (cte[0] == 'q') {
		quoted_printable(lines, n, out);
	} else { /* _encode_base64: 57 bytes a line */
		struct osfs_buf all = {0};
		for (size_t i = 0; i < n; i++) {
			osfs_buf_add(&all, lines[i].s, lines[i].n);
			osfs_buf_putc(&all, '\n');
		}
		for (size_t i = 0; i < all.len; i += MAXLEN / 4 * 3) {
			size_t k = all.len - i < MAXLEN / 4 * 3 ? all.len - i : MAXLEN / 4 * 3;
			base64_add(out, (const unsigned char *)all.data + i, k);
			osfs_buf_puts(out, "\r\n");
		}
		osfs_buf_free(&all);
	}
	(void)bytes;
	free(lines);
}

/* ---- addresses -------------------------------------------------------------- */

size_t mail_addresses(const char *text, struct osfs_buf *out)
{
	size_t count = 0;
	const char *p = text;
	while (*p) {
		/* one address: up to a comma outside quotes, comments and <> */
		struct osfs_buf plain = {0}, angle = {0};
		int in_angle = 0, has_angle = 0, depth = 0;
		for (; *p && !(*p == ',' && !in_angle && !depth); p++) {
			if (*p == '"' && !depth) { /* a quoted string: kept as it is */
				struct osfs_buf *b = in_angle ? &angle : &plain;
				osfs_buf_putc(b, *p++);
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						osfs_buf_putc(b, *p++);
					osfs_buf_putc(b, *p++);
				}
				if (*p)
					osfs_buf_putc(b, '"');
				else
					break;
			} else if (*p == '(') {
				depth++;
			} else if (*p == ')' && depth) {
				depth--;
			} else if (depth) {
				;
			} else if (*p == '<') {
				in_angle = has_angle = 1;
				osfs_buf_reset(&angle);
			} else if (*p == '>') {
				in_angle = 0;
			} else if (!strchr(" \t\r\n", *p)) {
				osfs_buf_putc(in_angle ? &angle : &plain, *p);
			}
		}
		struct osfs_buf *a = has_angle ? &angle : &plain;
		if (a->len) {
			osfs_buf_add(out, a->data, a->len);
			osfs_buf_putc(out, '\0');
			count++;
		}
		osfs_buf_free(&plain);
		osfs_buf_free(&angle);
		if (*p)
			p++;
	}
	return count;
}

/* ---- smtplib's local hostname --------------------------------------------------- */

struct fqdn_job {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int finished, abandoned;
	char name[512];
};

/* socket.getfqdn(): the host name, resolved, and its canonical name or first
 * alias with a dot; else, as smtplib does, "[address]" of gethostname(). */
static void fqdn(char *out, size_t size)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	snprintf(out, size, "%s", host);
	struct addrinfo hints = {.ai_family = AF_UNSPEC}, *res = NULL;
	int dotted = 0;
	if (*host && getaddrinfo(host, NULL, &hints, &res) == 0 && res) {
		struct hostent he, *h = NULL;
		char buf[8192];
		int herr;
		const void *addr = res->ai_family == AF_INET
					   ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
					   : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
		socklen_t alen = res->ai_family == AF_INET ? 4 : 16;
		if (gethostbyaddr_r(addr, alen, res->ai_family, &he, buf, sizeof buf, &h, &herr) == 0 && h) {
			const char *pick = h->h_name;
			for (char **a = h->h_aliases; a && *a && !strchr(pick, '.'); a++)
				if (strchr(*a, '.'))
					pick = *a;
			snprintf(out, size, "%s", pick);
		}
		freeaddrinfo(res);
	}
	dotted = strchr(out, '.') != NULL;
	if (dotted)
		return;
	char addr[INET_ADDRSTRLEN] = "127.0.0.1"; /* socket.gethostbyname(gethostname()) */
	struct addrinfo h4 = {.ai_family = AF_INET};
	if (*host && getaddrinfo(host, NULL, &h4, &res) == 0 && res) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
		freeaddrinfo(res);
	}
	snprintf(out, size, "[%s]", addr);
}

static void *fqdn_thread(void *arg)
{
	struct fqdn_job *j = arg;
	char name[512];
	fqdn(name, sizeof name);
	pthread_mutex_lock(&j->lock);
	memcpy(j->name, name, sizeof name);
	j->finished = 1;
	int abandoned = j->abandoned;
	pthread_cond_signal(&j->done);
	pthread_mutex_unlock(&j->lock);
	if (abandoned) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->done);
		free(j);
	}
	return NULL;
}

void mail_ehlo_name(char *out, size_t size, int timeout_ms)
{
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	snprintf(out, size, "%s", host);
	struct fqdn_job *j = calloc(1, sizeof *j);
	pthread_t t;
	if (!j)
		return;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->done, NULL);
	if (osfs_thread_start(&t, fqdn_thread, j) != 0) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->done);
		free(j);
		return;
	}
	pthread_detach(t);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&j->lock);
	while (!j->finished && pthread_cond_clockwait(&j->done, &j->lock, CLOCK_MONOTONIC, &until) != ETIMEDOUT)
		;
	int finished = j->finished;
	if (finished)
		snprintf(out, size, "%s", j->name);
	else
		j->abandoned = 1; /* the lookup frees it when it ends */
	pthread_mutex_unlock(&j->lock);
	if (finished) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->done);
		free(j);
	}
}
