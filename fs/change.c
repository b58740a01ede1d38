/* Changes: what the daemon keeps (the state file) changed through a setting or a
 * document, saved before the write() returns or undone; and when each module's
 * kept state last changed, which its settings and documents show as mtime. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "kind.h"
#include "osfs/refuse.h"

int (*node_commit)(void);

struct timespec kind_mount_time(void)
{
	static struct timespec t;
	if (t.tv_sec == 0)
		clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

/* When each module's kept state last changed, by the module's top row: a few. */
static struct {
	pthread_mutex_t lock;
	struct {
		const struct node *module;
		struct timespec at;
	} slot[16];
	unsigned n;
} clocks = {.lock = PTHREAD_MUTEX_INITIALIZER};

void node_changed(const struct node *module)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&clocks.lock);
	unsigned i = 0;
	while (i < clocks.n && clocks.slot[i].module != module)
		i++;
	if (i == clocks.n && i < sizeof clocks.slot / sizeof clocks.slot[0])
		clocks.slot[clocks.n++].module = module;
	if (i < clocks.n)
		clocks.slot[i].at = now;
	pthread_mutex_unlock(&clocks.lock);
}

struct timespec kind_changed_at(const struct node *module)
{
	struct timespec at = kind_mount_time();
	pthread_mutex_lock(&clocks.lock);
	for (unsigned i = 0; i < clocks.n; i++)
		if (clocks.slot[i].module == module)
			at = clocks.slot[i].at;
	pthread_mutex_unlock(&clocks.lock);
	return at;
}

void kind_change_begin(struct kind_change *c, const struct node *n, const struct req *rq)
{
	*c = (struct kind_change){.undo = n->undo ? *n->undo : (struct undo){n->show, n->store}};
	if (!node_commit || !c->undo.save || !c->undo.restore)
		return;
	struct req r = *rq;
	r.node = n;
	c->known = c->undo.save(&c->before, &r) == 0 && !osfs_buf_error(&c->before);
	osfs_refusal_clear();
}

int kind_change_end(struct kind_change *c, const struct node *n, const struct req *rq, int err)
{
	if (!err && node_commit && (err = node_commit()) != 0 && c->known) {
		char why[OSFS_REFUSAL_MAX];
		memcpy(why, osfs_refusal(), sizeof why);
		struct osfs_buf *b = &c->before;
		if (b->len && b->data[b->len - 1] == '\n')
			b->data[--b->len] = '\0';
		struct req r = *rq;
		r.node = n;
		c->undo.restore(b->data ? b->data : "", &r);
		osfs_refuse(-err, "%s; the change was undone", why);
	}
	osfs_buf_free(&c->before);
	return err;
}
