/* Structured values: ordered typed fields, as key=value lines or one JSON object. */
#include "osfs/kv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static struct osfs_kv_field *find(const struct osfs_kv *kv, const char *key)
{
	for (size_t i = 0; i < kv->count; i++)
		if (strcmp(kv->fields[i].key, key) == 0)
			return &kv->fields[i];
	return NULL;
}

void osfs_kv_set(struct osfs_kv *kv, const char *key, enum osfs_kv_type type, const char *text)
{
	char *t = strdup(text);
	if (!t) {
		kv->failed = 1;
		return;
	}
	struct osfs_kv_field *f = find(kv, key);
	if (f) {
		free(f->text);
		f->text = t;
		f->type = type;
		return;
	}
	if (kv->count == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 8;
		struct osfs_kv_field *p = realloc(kv->fields, cap * sizeof *p);
		if (!p) {
			free(t);
			kv->failed = 1;
			return;
		}
		kv->fields = p;
		kv->cap = cap;
	}
	char *k = strdup(key);
	if (!k) {
		free(t);
		kv->failed = 1;
		return;
	}
	kv->fields[kv->count++] = (struct osfs_kv_field){k, t, type};
}

void osfs_kv_str(struct osfs_kv *kv, const char *key, const char *value)
{
	osfs_kv_set(kv, key, OSFS_KV_STR, value);
}

void osfs_kv_int(struct osfs_kv *kv, const char *key, long long value)
{
	char text[32];
	snprintf(text, sizeof text, "%lld", value);
	osfs_kv_set(kv, key, OSFS_KV_NUM, text);
}

const char *osfs_kv_get(const struct osfs_kv *kv, const char *key)
{
	const struct osfs_kv_field *f = find(kv, key);
	return f ? f->text : NULL;
}

int osfs_kv_del(struct osfs_kv *kv, const char *key)
{
	struct osfs_kv_field *f = find(kv, key);
	if (!f)
		return 0;
	free(f->key);
	free(f->text);
	size_t i = (size_t)(f - kv->fields);
	memmove(f, f + 1, (kv->count - i - 1) * sizeof *f);
	kv->count--;
	return 1;
}

void osfs_kv_free(struct osfs_kv *kv)
{
	for (size_t i = 0; i < kv->count; i++) {
		free(kv->fields[i].key);
		free(kv->fields[i].text);
	}
	free(kv->fields);
	*kv = (struct osfs_kv){0};
}

int osfs_kv_error(const struct osfs_kv *kv)
{
	return kv->failed ? -ENOMEM : 0;
}

void osfs_kv_plain(const struct osfs_kv *kv, struct osfs_buf *out)
{
	for (size_t i = 0; i < kv->count; i++)
		osfs_buf_printf(out, "%s=%s\n", kv->fields[i].key, kv->fields[i].text);
}

/* A JSON string as json.dumps writes a str that came from the system: an escape
 * for '"', '\\' and each control character, and each byte that is not UTF-8 as
 * the lone surrogate Python's surrogateescape decoding made of it (\udcff). */
static void json_string(const char *s, struct osfs_buf *out)
{
	static const char plain[] = "\"\\\b\f\n\r\t", escaped[] = "\"\\bfnrt";
	osfs_buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t c;
		size_t n = osfs_utf8_char(p, &c);
		const char *e = *p < 0x80 ? strchr(plain, *p) : NULL;
		if (n == 0) {
			osfs_buf_printf(out, "\\udc%02x", *p);
			n = 1;
		} else if (e) {
			osfs_buf_putc(out, '\\');
			osfs_buf_putc(out, escaped[e - plain]);
		} else if (c < 0x20) {
			osfs_buf_printf(out, "\\u%04x", (unsigned)c);
		} else {
			osfs_buf_add(out, p, n);
		}
		p += n;
	}
	osfs_buf_putc(out, '"');
}

void osfs_kv_json(const struct osfs_kv *kv, struct osfs_buf *out)
{
	osfs_buf_putc(out, '{');
	for (size_t i = 0; i < kv->count; i++) {
		const struct osfs_kv_field *f = &kv->fields[i];
		if (i)
			osfs_buf_putc(out, ',');
		json_string(f->key, out);
		osfs_buf_putc(out, ':');
		switch (f->type) {
		case OSFS_KV_NUM: /* as it is: every digit of a 64-bit integer */
			osfs_buf_puts(out, f->text);
			break;
		case OSFS_KV_BOOL:
			osfs_buf_puts(out, strcmp(f->text, "0") != 0 ? "true" : "false");
			break;
		case OSFS_KV_NULL:
			osfs_buf_puts(out, "null");
			break;
		case OSFS_KV_STR:
			json_string(f->text, out);
			break;
		}
	}
	osfs_buf_puts(out, "}\n");
}
