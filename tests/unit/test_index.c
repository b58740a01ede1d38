/* The logging registry's name index (modules/logging/index.c) against a plain
 * array: random adds, removes and lookups with a fixed seed, so that backward-shift
 * deletion is tried on every shape of run the probing makes. */
#include <stdio.h>
#include <stdlib.h>

#include "../../modules/logging/index.h"
#include "check.h"

#define KEYS 4000

static char names[KEYS][16];

static const char *key_of(const void *v)
{
	return v;
}

int main(void)
{
	struct index ix = {.key = key_of};
	int present[KEYS] = {0};
	size_t count = 0;
	unsigned seed = 7;
	for (int i = 0; i < KEYS; i++)
		snprintf(names[i], sizeof names[i], "k%d", i);
	for (int step = 0; step < 400000; step++) {
		seed = seed * 1103515245 + 12345;
		int k = (int)((seed >> 8) % KEYS), op = (int)((seed >> 24) % 3);
		if (op == 0 && !present[k]) {
			CHECK(index_put(&ix, names[k]) == 0);
			present[k] = 1;
			count++;
		} else if (op == 1) {
			void *gone = index_del(&ix, names[k]);
			CHECK(gone == (present[k] ? names[k] : NULL));
			count -= present[k];
			present[k] = 0;
		} else {
			CHECK(index_get(&ix, names[k]) == (present[k] ? names[k] : NULL));
		}
		if (step % 50000 == 0) /* every key, now and then */
			for (int j = 0; j < KEYS; j++)
				CHECK(index_get(&ix, names[j]) == (present[j] ? names[j] : NULL));
	}
	CHECK(ix.n == count);
	CHECK(index_reserve(&ix, 100000) == 0 && ix.cap * 3 >= (ix.n + 100000) * 4);
	for (int j = 0; j < KEYS; j++)
		CHECK(index_get(&ix, names[j]) == (present[j] ? names[j] : NULL));
	index_free(&ix);
	printf("%d checks passed, %d failed\n", checks_passed, checks_failed);
	return checks_failed != 0;
}
