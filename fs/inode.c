/* Inodes: the entries the kernel knows, found again by (parent, name). */
#include "inode.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct {
	pthread_mutex_t lock;
	struct inode root;
	struct inode **buckets;
	size_t nbuckets, count;
} tab = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t hash(const struct inode *parent, const char *name)
{
	size_t h = (size_t)(uintptr_t)parent * 0x9e3779b97f4a7c15u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	return h;
}

void inode_init(const struct node *root)
{
	tab.root = (struct inode){.node = root, .name = (char *)"", .nlookup = 1};
}

void inode_fini(void)
{
	pthread_mutex_lock(&tab.lock);
	for (size_t i = 0; i < tab.nbuckets; i++) {
		for (struct inode *ino = tab.buckets[i], *next; ino; ino = next) {
			next = ino->next;
			free(ino->name);
			free(ino);
		}
	}
	free(tab.buckets);
	tab.buckets = NULL;
	tab.nbuckets = tab.count = 0;
	pthread_mutex_unlock(&tab.lock);
}

struct inode *inode_root(void)
{
	return &tab.root;
}

static int grow(void)
{
	size_t n = tab.nbuckets ? tab.nbuckets * 2 : 256;
	struct inode **b = calloc(n, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < tab.nbuckets; i++) {
		for (struct inode *ino = tab.buckets[i], *next; ino; ino = next) {
			next = ino->next;
			size_t k = hash(ino->parent, ino->name) & (n - 1);
			ino->next = b[k];
			b[k] = ino;
		}
	}
	free(tab.buckets);
	tab.buckets = b;
	tab.nbuckets = n;
	return 0;
}

struct inode *inode_get(struct inode *parent, const char *name, const struct node *row,
			int computed)
{
	pthread_mutex_lock(&tab.lock);
	struct inode *ino = NULL;
	if (tab.nbuckets) {
		size_t k = hash(parent, name) & (tab.nbuckets - 1);
		for (ino = tab.buckets[k]; ino; ino = ino->next)
			if (ino->parent == parent && !ino->removed && strcmp(ino->name, name) == 0)
				break;
	}
	if (ino && ino->node != row)
		ino = NULL; /* the name now means another node: a fresh inode */
	if (!ino && (tab.count + 1 <= tab.nbuckets * 2 || grow() == 0)) {
		ino = calloc(1, sizeof *ino);
		char *copy = ino ? strdup(name) : NULL;
		if (!copy) {
			free(ino);
			ino = NULL;
		} else {
			*ino = (struct inode){.node = row, .parent = parent, .name = copy};
			ino->arg = computed ? ino->name : parent->arg;
			ino->outer = computed ? parent->arg : parent->outer;
			ino->module = parent == &tab.root ? row : parent->module;
			parent->holds++;
			size_t k = hash(parent, name) & (tab.nbuckets - 1);
			ino->next = tab.buckets[k];
			tab.buckets[k] = ino;
			tab.count++;
		}
	}
	if (ino)
		ino->nlookup++;
	pthread_mutex_unlock(&tab.lock);
	return ino;
}

/* Frees ino, and then any parent it kept alive; called with the lock held. */
static void release_locked(struct inode *ino)
{
	while (ino != &tab.root && ino->nlookup == 0 && ino->holds == 0) {
		struct inode *parent = ino->parent;
		size_t k = hash(parent, ino->name) & (tab.nbuckets - 1);
		struct inode **pp = &tab.buckets[k];
		while (*pp && *pp != ino)
			pp = &(*pp)->next;
		if (*pp)
			*pp = ino->next;
		tab.count--;
		free(ino->name);
		free(ino);
		parent->holds--;
		ino = parent;
	}
}

void inode_forget(struct inode *ino, uint64_t n)
{
	if (ino == &tab.root)
		return;
	pthread_mutex_lock(&tab.lock);
	ino->nlookup = ino->nlookup > n ? ino->nlookup - n : 0;
	release_locked(ino);
	pthread_mutex_unlock(&tab.lock);
}

void inode_unlink(struct inode *parent, const char *name)
{
	pthread_mutex_lock(&tab.lock);
	size_t k = tab.nbuckets ? hash(parent, name) & (tab.nbuckets - 1) : 0;
	for (struct inode *ino = tab.nbuckets ? tab.buckets[k] : NULL; ino; ino = ino->next)
		if (ino->parent == parent && strcmp(ino->name, name) == 0)
			__atomic_store_n(&ino->removed, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&tab.lock);
}

/* Without the lock: a parent outlives its children, and never changes. */
int inode_removed(const struct inode *ino)
{
	for (; ino && ino != &tab.root; ino = ino->parent)
		if (__atomic_load_n(&ino->removed, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

void inode_hold(struct inode *ino)
{
	pthread_mutex_lock(&tab.lock);
	ino->holds++;
	pthread_mutex_unlock(&tab.lock);
}

void inode_drop(struct inode *ino)
{
	pthread_mutex_lock(&tab.lock);
	ino->holds--;
	release_locked(ino);
	pthread_mutex_unlock(&tab.lock);
}

void inode_path(const struct inode *ino, struct osfs_buf *out)
{
	if (!ino || ino == &tab.root)
		return;
	inode_path(ino->parent, out);
	if (ino->parent != &tab.root)
		osfs_buf_putc(out, '/');
	osfs_buf_puts(out, ino->name);
}

unsigned long inode_count(void)
{
	pthread_mutex_lock(&tab.lock);
	unsigned long n = tab.count;
	pthread_mutex_unlock(&tab.lock);
	return n;
}
