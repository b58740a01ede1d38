/* Inside the node kinds (node.c, records.c): what each kind does with an open
 * file, and the helpers they share. */
#ifndef OSFS_KIND_H
#define OSFS_KIND_H

#include "node.h"

/* A NULL read serves the snapshot made at open; a NULL write means the kind takes
 * no writes (its open refuses them). */
struct kind_ops {
	const char *name; /* user.osfs.kind */
	mode_t type;
	int (*open)(struct handle *h, int flags, const struct req *rq);
	int (*read)(struct handle *h, off_t off, size_t size, const struct req *rq,
		    reply_fn *reply, void *ctx);
	int (*write)(struct handle *h, const char *data, size_t size, const struct req *rq);
	int (*release)(struct handle *h);
};

extern const struct kind_ops records_kind;

int kind_reading(int flags);
/* Written text arrives as bytes: refuses a NUL, which cannot be part of a value. */
int kind_no_nul(const char *data, size_t size);
/* Counts what h holds against its opener's share: 0, or -ENOBUFS after freeing
 * grown (what the operation grew). */
int kind_settle(struct handle *h, struct osfs_buf *grown);
/* Who makes this write (rq's thread), taken now, with what of it is wanted
 * (OSFS_IDENT_*): 0 with *who (kind_forget_writer lets it go), or -errno. */
int kind_writer(const struct req *rq, unsigned want, struct osfs_ident **who);
void kind_forget_writer(struct osfs_ident *who);
/* The request of whoever wrote h's pending bytes, for what is done with them later
 * (at close, or when another process writes on). */
struct req kind_writer_req(const struct handle *h);

#endif
