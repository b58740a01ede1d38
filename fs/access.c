/* The owner's choices of mode and group: a hash table of paths. */
#include "access.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/refuse.h"

struct choice {
	struct choice *next;
	mode_t mode;
	gid_t gid;
	char path[];
};

#define BUCKETS 256
static struct {
	pthread_rwlock_t lock;
	struct choice *bucket[BUCKETS];
} tab = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static struct choice **slot(const char *path)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 16777619u;
	struct choice **pp = &tab.bucket[h % BUCKETS];
	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->next;
	return pp;
}

int access_get(const char *path, mode_t *mode, gid_t *gid)
{
	pthread_rwlock_rdlock(&tab.lock);
	struct choice *c = *slot(path);
	if (c) {
		*mode = c->mode;
		*gid = c->gid;
	}
	pthread_rwlock_unlock(&tab.lock);
	return c != NULL;
}

int access_set(const char *path, mode_t mode, gid_t gid)
{
	pthread_rwlock_wrlock(&tab.lock);
	struct choice **pp = slot(path);
	if (!*pp) {
		size_t len = strlen(path);
		*pp = calloc(1, sizeof **pp + len + 1);
		if (*pp)
			memcpy((*pp)->path, path, len + 1);
	}
	if (*pp) {
		(*pp)->mode = mode & 0777;
		(*pp)->gid = gid;
	}
	int err = *pp ? 0 : osfs_refuse(ENOMEM, "out of memory");
	pthread_rwlock_unlock(&tab.lock);
	return err;
}

void access_unset(const char *path)
{
	pthread_rwlock_wrlock(&tab.lock);
	struct choice **pp = slot(path), *c = *pp;
	if (c) {
		*pp = c->next;
		free(c);
	}
	pthread_rwlock_unlock(&tab.lock);
}

static int below(const char *path, const char *top, size_t len)
{
	return strncmp(path, top, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

void access_forget(const char *path)
{
	size_t len = strlen(path);
	pthread_rwlock_wrlock(&tab.lock);
	for (size_t i = 0; i < BUCKETS; i++) {
		for (struct choice **pp = &tab.bucket[i]; *pp;) {
			struct choice *c = *pp;
			if (below(c->path, path, len)) {
				*pp = c->next;
				free(c);
			} else {
				pp = &c->next;
			}
		}
	}
	pthread_rwlock_unlock(&tab.lock);
}

void access_each(void (*fn)(void *ctx, const char *path, mode_t mode, gid_t gid), void *ctx)
{
	pthread_rwlock_rdlock(&tab.lock);
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct choice *c = tab.bucket[i]; c; c = c->next)
			fn(ctx, c->path, c->mode, c->gid);
	pthread_rwlock_unlock(&tab.lock);
}

void access_fini(void)
{
	pthread_rwlock_wrlock(&tab.lock);
	for (size_t i = 0; i < BUCKETS; i++) {
		for (struct choice *c = tab.bucket[i], *next; c; c = next) {
			next = c->next;
			free(c);
		}
		tab.bucket[i] = NULL;
	}
	pthread_rwlock_unlock(&tab.lock);
}
