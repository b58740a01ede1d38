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
	int (*flush)(struct handle *h, const struct req *rq); /* a close(); NULL: noflush */
	int (*release)(struct handle *h);
};

extern const struct kind_ops records_kind; /* records.c */
extern const struct kind_ops document_kind; /* document.c */
extern const struct kind_ops log_kind;      /* log.c */
extern const struct kind_ops live_kind;     /* live.c */

int kind_reading(int flags);
/* Written text arrives as bytes: refuses a NUL, which cannot be part of a value. */
int kind_no_nul(const char *data, size_t size);
/* Appends the text written to out (NUL refused): 0 or -errno. */
int kind_text_of(const char *data, size_t size, struct osfs_buf *out);
/* A response in h->content, read from the first read after it was made (h->fresh),
 * whatever the descriptor's offset (transactions, documents' outcomes). */
int kind_response_read(struct handle *h, off_t off, size_t size, const struct req *rq,
		       reply_fn *reply, void *ctx);

/* A change the state file keeps (change.c): what it was, to undo it if it cannot
 * be saved.  begin before it is made; end after it (err: how it went) gives 0 once
 * saved, or -errno after undoing it. */
struct kind_change {
	struct undo undo;
	struct osfs_buf before;
	int known;
};
void kind_change_begin(struct kind_change *c, const struct node *n, const struct req *rq);
int kind_change_end(struct kind_change *c, const struct node *n, const struct req *rq, int err);
/* The mount's time; and when module's kept state last changed (node_changed). */
struct timespec kind_mount_time(void);
struct timespec kind_changed_at(const struct node *module);
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
/* The process (thread group) of a thread, or the thread's id if it is gone. */
pid_t kind_process_of(pid_t tid);

#endif
