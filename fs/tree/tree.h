/* The tree: one file per module, each a table of that module's nodes. */
#ifndef OSFS_TREE_H
#define OSFS_TREE_H

#include "../node.h"

extern const struct node osfs_root;

extern const struct dir errno_dir;
extern const struct dir platform_dir;

/* Start-up and shutdown of the modules behind the tree: 0 or -errno. */
int tree_init(void);
void tree_fini(void);

int platform_tree_init(void);
void platform_tree_fini(void);

#endif
