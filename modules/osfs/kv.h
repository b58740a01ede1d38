/* Structured values: an ordered list of typed key/value fields, rendered either as
 * the plain `key=value` lines of a file or as the one JSON object of its `.json`
 * sibling.  A node that shows a structure fills an osfs_kv once; both files agree. */
#ifndef OSFS_KV_H
#define OSFS_KV_H

#include <stddef.h>

#include "buf.h"

enum osfs_kv_type {
	OSFS_KV_STR,  /* a string */
	OSFS_KV_NUM,  /* a number, kept as its exact decimal text */
	OSFS_KV_BOOL, /* "1" or "0" */
	OSFS_KV_NULL, /* no value: empty in key=value form, null in JSON */
};

struct osfs_kv_field {
	char *key;
	char *text;
	enum osfs_kv_type type;
};

struct osfs_kv {
	struct osfs_kv_field *fields;
	size_t count, cap;
	int failed;
};

/* Sets KEY, keeping its place if it is already there (as a Python dict does). */
void osfs_kv_set(struct osfs_kv *kv, const char *key, enum osfs_kv_type type, const char *text);
void osfs_kv_str(struct osfs_kv *kv, const char *key, const char *value);
void osfs_kv_int(struct osfs_kv *kv, const char *key, long long value);
/* Removes KEY: 1 if it was there, else 0. */
int osfs_kv_del(struct osfs_kv *kv, const char *key);
const char *osfs_kv_get(const struct osfs_kv *kv, const char *key);
void osfs_kv_free(struct osfs_kv *kv);
int osfs_kv_error(const struct osfs_kv *kv);

void osfs_kv_plain(const struct osfs_kv *kv, struct osfs_buf *out);
void osfs_kv_json(const struct osfs_kv *kv, struct osfs_buf *out);

#endif
