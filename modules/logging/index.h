/* An index of named things: a hash map from a name to the thing that carries it
 * (the key is read from the value, so nothing is stored twice).  Open addressing
 * with linear probing and backward-shift deletion: no tombstones, so a map that
 * sees millions of adds and removes stays as fast as on its first day. */
#ifndef OSFS_LOGGING_INDEX_H
#define OSFS_LOGGING_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct index {
	struct index_slot {
		uint64_t hash; /* 0: empty */
		void *value;
	} *slots;
	size_t cap, n;                          /* cap is 0 or a power of two */
	const char *(*key)(const void *value); /* the name a value carries */
};

uint64_t index_hash(const char *key);
void *index_get(const struct index *ix, const char *key);
/* Adds value (its name must not be in the index yet): 0 or -ENOMEM. */
int index_put(struct index *ix, void *value);
/* Room for n more values without allocating (so a later put cannot fail). */
int index_reserve(struct index *ix, size_t more);
void *index_del(struct index *ix, const char *key);
void index_free(struct index *ix);

#endif
