/* The name index: open addressing, linear probing, at most 3/4 full. */
#include "index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t index_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a final mix */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static size_t find(const struct index *ix, const char *key, uint64_t h)
{
	size_t mask = ix->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct index_slot *s = &ix->slots[i];
		if (!s->hash || (s->hash == h && strcmp(ix->key(s->value), key) == 0))
			return i;
	}
}

void *index_get(const struct index *ix, const char *key)
{
	if (!ix->n)
		return NULL;
	size_t i = find(ix, key, index_hash(key));
	return ix->slots[i].hash ? ix->slots[i].value : NULL;
}

static int grow(struct index *ix, size_t want)
{
	size_t cap = ix->cap ? ix->cap : 16;
	while (want * 4 > cap * 3)
		cap *= 2;
	if (cap == ix->cap)
		return 0;
	struct index_slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	struct index bigger = {.slots = slots, .cap = cap, .n = ix->n, .key = ix->key};
	for (size_t i = 0; i < ix->cap; i++) {
		if (!ix->slots[i].hash)
			continue;
		size_t j = ix->slots[i].hash & (cap - 1);
		while (slots[j].hash)
			j = (j + 1) & (cap - 1);
		slots[j] = ix->slots[i];
	}
	free(ix->slots);
	*ix = bigger;
	return 0;
}

int index_reserve(struct index *ix, size_t more)
{
	return grow(ix, ix->n + more);
}

int index_put(struct index *ix, void *value)
{
	int err = grow(ix, ix->n + 1);
	if (err)
		return err;
	const char *key = ix->key(value);
	uint64_t h = index_hash(key);
	size_t i = find(ix, key, h);
	ix->slots[i] = (struct index_slot){h, value};
	ix->n++;
	return 0;
}

void *index_del(struct index *ix, const char *key)
{
	if (!ix->n)
		return NULL;
	size_t mask = ix->cap - 1, i = find(ix, key, index_hash(key));
	if (!ix->slots[i].hash)
		return NULL;
	void *value = ix->slots[i].value;
	/* Backward shift: pull later entries of the run into the hole when their home
	 * slot is not between the hole and them. */
	for (size_t j = (i + 1) & mask; ix->slots[j].hash; j = (j + 1) & mask) {
		size_t home = ix->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ix->slots[i] = ix->slots[j];
			i = j;
		}
	}
	ix->slots[i] = (struct index_slot){0};
	ix->n--;
	return value;
}

void index_free(struct index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->n = 0;
}
