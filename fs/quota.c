/* Per-uid limits on open files and the bytes they hold: a small table of the uids
 * that hold anything, under one lock. */
#include "quota.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "osfs/refuse.h"

struct usage {
	uid_t uid;
	unsigned long files;
	size_t bytes;
	struct usage *next;
};

#define BUCKETS 64
static struct {
	pthread_mutex_t lock;
	struct usage *bucket[BUCKETS];
} tab = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The uid's entry (made if make), with the lock held. */
static struct usage *usage_of(uid_t uid, int make)
{
	struct usage **pp = &tab.bucket[uid % BUCKETS];
	for (struct usage *u = *pp; u; u = u->next)
		if (u->uid == uid)
			return u;
	struct usage *u = make ? calloc(1, sizeof *u) : NULL;
	if (u) {
		u->uid = uid;
		u->next = *pp;
		*pp = u;
	}
	return u;
}

static void forget_if_idle(struct usage *gone)
{
	if (gone->files || gone->bytes)
		return;
	for (struct usage **pp = &tab.bucket[gone->uid % BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == gone) {
			*pp = gone->next;
			free(gone);
			return;
		}
	}
}

/* glibc keeps freed blocks in its arenas (one per thread), large ones too once
 * its threshold for mapping them has grown: after every MiB that open files and
 * inodes give back, the arenas give their free pages back to the system. */
void quota_given_back(size_t bytes)
{
	static size_t since;
	if (__atomic_add_fetch(&since, bytes, __ATOMIC_RELAXED) < (1u << 20))
		return;
	__atomic_store_n(&since, 0, __ATOMIC_RELAXED);
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
	/* (under AddressSanitizer glibc's heap is not the one in use: trimming it reads
	 * an arena never set up, a SEGV in mtrim) */
	malloc_trim(0);
#endif
}

int quota_open(uid_t uid)
{
	pthread_mutex_lock(&tab.lock);
	struct usage *u = usage_of(uid, 1);
	int err = !u ? osfs_refuse(ENOMEM, "out of memory")
		: u->files >= QUOTA_FILES
			? osfs_refuse(EMFILE, "uid %u has %d files of osfs open, the most one user may",
				      (unsigned)uid, QUOTA_FILES)
			: 0;
	if (!err)
		u->files++;
	pthread_mutex_unlock(&tab.lock);
	return err;
}

void quota_close(uid_t uid, size_t held)
{
	pthread_mutex_lock(&tab.lock);
	struct usage *u = usage_of(uid, 0);
	if (u) {
		u->files -= u->files > 0;
		u->bytes -= held < u->bytes ? held : u->bytes;
		forget_if_idle(u);
	}
	pthread_mutex_unlock(&tab.lock);
	quota_given_back(held);
}

int quota_hold(uid_t uid, size_t old, size_t now)
{
	pthread_mutex_lock(&tab.lock);
	struct usage *u = usage_of(uid, 1);
	int err = 0;
	if (!u)
		err = osfs_refuse(ENOMEM, "out of memory");
	else if (now > old && u->bytes + (now - old) > QUOTA_BYTES)
		err = osfs_refuse(ENOBUFS, "uid %u holds %zu bytes in open osfs files; at most %u",
				  (unsigned)uid, u->bytes, QUOTA_BYTES);
	else
		u->bytes = u->bytes + now - old;
	pthread_mutex_unlock(&tab.lock);
	if (!err && now < old)
		quota_given_back(old - now);
	return err;
}

int quota_fits(uid_t uid, size_t more)
{
	pthread_mutex_lock(&tab.lock);
	struct usage *u = usage_of(uid, 0);
	int fits = (u ? u->bytes : 0) + more <= QUOTA_BYTES;
	pthread_mutex_unlock(&tab.lock);
	return fits;
}
