/* Structured values: ordered typed fields, as key=value lines or one JSON object. */
#include "osfs/kv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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

static cJSON *json_value(const struct osfs_kv_field *f)
{
	switch (f->type) {
	case OSFS_KV_NUM:
		/* Raw keeps every digit: cJSON's doubles would round 64-bit integers. */
		return cJSON_CreateRaw(f->text);
	case OSFS_KV_BOOL:
		return cJSON_CreateBool(strcmp(f->text, "0") != 0);
	case OSFS_KV_NULL:
		return cJSON_CreateNull();
	case OSFS_KV_STR:
		break;
	}
	return cJSON_CreateString(f->text);
}

void osfs_kv_json(const struct osfs_kv *kv, struct osfs_buf *out)
{
	cJSON *obj = cJSON_CreateObject();
	for (size_t i = 0; obj && i < kv->count; i++) {
		cJSON *v = json_value(&kv->fields[i]);
		if (!v || !cJSON_AddItemToObject(obj, kv->fields[i].key, v)) {
			cJSON_Delete(v);
			cJSON_Delete(obj);
			obj = NULL;
		}
	}
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	if (text) {
		osfs_buf_puts(out, text);
		osfs_buf_putc(out, '\n');
	} else {
		out->failed = 1;
	}
	cJSON_free(text);
	cJSON_Delete(obj);
}
