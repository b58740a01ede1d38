/* Inodes: one for each entry the kernel has looked up and not yet forgotten.  The
 * inode number given to the kernel is the inode's address; an entry looked up again
 * under the same parent and name gets the same inode. */
#ifndef OSFS_INODE_H
#define OSFS_INODE_H

#include <stdint.h>

#include "node.h"

struct inode {
	const struct node *node;
	struct inode *parent;
	const char *arg;   /* own name if computed, else the parent's arg */
	const char *outer; /* the arg above arg (handlers/ID/KEY: ID) */
	const struct node *module; /* the top directory's row (logging, time, ...) */
	char *name;
	uint64_t nlookup;    /* the kernel's references */
	unsigned long holds; /* open handles and remembered children */
	struct inode *next;  /* hash chain */
	int removed;         /* its entry was removed (rmdir, unlink): found no more */
	int nosec;           /* what the kernel knows of it (killpriv.c); atomic */
	unsigned char backoff, skip, gained; /* killpriv.c: when marking it pays */
};

void inode_init(const struct node *root);
void inode_fini(void); /* frees every inode; no handle may be left */
struct inode *inode_root(void);
/* The inode of parent/name, counting one kernel reference; NULL if out of memory. */
struct inode *inode_get(struct inode *parent, const char *name, const struct node *row,
			int computed);
void inode_forget(struct inode *ino, uint64_t n);
/* parent/name was removed: the inode stays for the kernel's references, but a
 * name made again gets a new inode (a new number, fresh attributes for the kernel). */
void inode_unlink(struct inode *parent, const char *name);
/* Was ino, or a directory above it, removed? */
int inode_removed(const struct inode *ino);
void inode_hold(struct inode *ino);
void inode_drop(struct inode *ino);
/* "errno/strerror/2": the path below the mount point ("" for the root). */
void inode_path(const struct inode *ino, struct osfs_buf *out);
unsigned long inode_count(void);

#endif
