/* The registry: formatters, filters and handlers by name (one set per
 * configuration), and the logger tree as Python's Manager keeps it: loggers and
 * placeholders by dotted name, each logger linked to its nearest existing ancestor
 * (its parent), children re-linked when a logger in the middle comes or goes, as
 * _fixupParents and _fixupChildren do.  Every lookup is one index probe; nothing
 * walks the tree or a list on a record's path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Writers first: a change waiting for the lock is not starved by a stream of
 * records (readers never take it twice on one thread). */
pthread_rwlock_t log_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
pthread_mutex_t log_config_lock = PTHREAD_MUTEX_INITIALIZER;
struct log_registry log_reg;

/* ---- objects ---- */

static const char *obj_key(const void *v)
{
	return ((const struct log_obj *)v)->id;
}

int kind_of(const char *kind)
{
	static const char *const kinds[OBJ_KINDS] = {"handlers", "formatters", "filters"};
	for (int i = 0; kind && i < OBJ_KINDS; i++)
		if (strcmp(kinds[i], kind) == 0)
			return i;
	return -1;
}

struct log_objects *objects_new(void)
{
	struct log_objects *o = calloc(1, sizeof *o);
	for (int k = 0; o && k < OBJ_KINDS; k++)
		o->kind[k].by_id.key = obj_key;
	return o;
}

struct log_obj *objects_get(const struct log_objects *o, int kind, const char *id)
{
	return o && kind >= 0 ? index_get(&o->kind[kind].by_id, id) : NULL;
}

struct log_handler *objects_handler(const struct log_objects *o, const char *id)
{
	struct log_obj *slot = objects_get(o, OBJ_HANDLERS, id);
	return slot ? slot->handler : NULL;
}

struct log_obj *obj_new(const char *id)
{
	struct log_obj *obj = calloc(1, sizeof *obj);
	if (obj && !(obj->id = strdup(id))) {
		free(obj);
		obj = NULL;
	}
	return obj;
}

int objects_add(struct log_objects *o, int kind, struct log_obj *obj)
{
	struct log_kind *k = &o->kind[kind];
	int err = index_put(&k->by_id, obj);
	if (err)
		return err;
	obj->prev = k->last;
	obj->next = NULL;
	if (k->last)
		k->last->next = obj;
	else
		k->first = obj;
	k->last = obj;
	k->n++;
	return 0;
}

void objects_unlink(struct log_objects *o, int kind, struct log_obj *obj)
{
	struct log_kind *k = &o->kind[kind];
	index_del(&k->by_id, obj->id);
	if (obj->prev)
		obj->prev->next = obj->next;
	else
		k->first = obj->next;
	if (obj->next)
		obj->next->prev = obj->prev;
	else
		k->last = obj->prev;
	k->n--;
}

void obj_free(int kind, struct log_obj *obj)
{
	if (!obj)
		return;
	if (kind == OBJ_HANDLERS && obj->handler)
		handler_unref(obj->handler);
	else if (kind == OBJ_FORMATTERS)
		log_formatter_free(obj->formatter);
	else if (kind == OBJ_FILTERS)
		free(obj->filter);
	free(obj->id);
	free(obj);
}

void objects_free(struct log_objects *o)
{
	if (!o)
		return;
	for (int k = 0; k < OBJ_KINDS; k++) {
		for (struct log_obj *obj = o->kind[k].first, *next; obj; obj = next) {
			next = obj->next;
			obj_free(k, obj);
		}
		index_free(&o->kind[k].by_id);
	}
	free(o);
}

/* ---- handlers' lifetime ---- */

void handler_ref(struct log_handler *h)
{
	__atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
}

static void handler_close(struct log_handler *h)
{
	if (h->spool) /* what it holds, left to the next handler of its name */
		spool_retire(h);
	if (h->cls && h->cls->close)
		h->cls->close(h);
	free(h->id);
	free(h->filters);
	cJSON_Delete(h->kwargs);
	cJSON_Delete(h->props);
	free(h->terminator);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void handler_unref(struct log_handler *h)
{
	if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0)
		handler_close(h);
}

/* ---- the logger tree ---- */

static const char *node_key(const void *v)
{
	return ((const struct log_logger *)v)->name;
}

static struct log_logger *node_new(const char *name, size_t len)
{
	struct log_logger *n = calloc(1, sizeof *n + len + 1);
	if (!n)
		return NULL;
	n->name = (char *)(n + 1);
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->odd = strstr(n->name, "..") != NULL;
	n->propagate = 1;
	return n;
}

static void append_logger(struct log_logger *l)
{
	l->prev = log_reg.last;
	l->next = NULL;
	if (log_reg.last)
		log_reg.last->next = l;
	else
		log_reg.first = l;
	log_reg.last = l;
	log_reg.nloggers++;
}

int registry_init(void)
{
	log_reg = (struct log_registry){.names.key = node_key, .gen = 1};
	struct log_logger *root = node_new("root", 4);
	if (!root || index_put(&log_reg.names, root)) {
		free(root);
		return -ENOMEM;
	}
	root->is_logger = 1;
	root->level = LOG_WARNING;
	log_reg.root = root;
	append_logger(root);
	return 0;
}

static void logger_clear(struct log_logger *l)
{
	free(l->handlers);
	free(l->filters);
	l->handlers = l->filters = NULL;
	l->nhandlers = l->nfilters = 0;
}

void registry_fini(void)
{
	for (size_t i = 0; i < log_reg.names.cap; i++) {
		struct log_logger *n = log_reg.names.slots[i].hash ? log_reg.names.slots[i].value : NULL;
		if (n) {
			logger_clear(n);
			free(n);
		}
	}
	index_free(&log_reg.names);
	log_reg = (struct log_registry){.names.key = node_key, .gen = 1};
}

static void refit_odd(void);

void registry_changed(void)
{
	log_reg.gen++;
	if (log_reg.odd_stale) /* once per change, however many loggers it made */
		refit_odd();
	log_reg.odd_stale = 0;
}

struct log_logger *registry_node(const char *name)
{
	return index_get(&log_reg.names, name);
}

struct log_logger *registry_logger(const char *name)
{
	if (!*name) /* getLogger("") is the root */
		return log_reg.root;
	struct log_logger *n = registry_node(name);
	return n && n->is_logger ? n : NULL;
}

/* The length of a normal name's parent prefix (up to its last dot); 0: the root. */
static size_t prefix_len(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && dot != name ? (size_t)(dot - name) : 0;
}

/* Python's walk up a name (_fixupParents): name[:i] for i at the last dot, then
 * at the last dot before i - 1.  For names without an empty component this is
 * the chain of prefixes; for "a..b" it is not, so such names walk it each time. */
static struct log_logger *walk_parent(const char *name)
{
	char *copy = strdup(name);
	const char *dot = strrchr(name, '.');
	struct log_logger *found = NULL;
	long i = dot ? dot - name : -1;
	while (copy && i > 0 && !found) {
		copy[i] = '\0';
		struct log_logger *n = registry_node(copy);
		if (n && n->is_logger)
			found = n;
		long j = -1;
		for (long k = i - 2; k >= 0 && j < 0; k--)
			if (name[k] == '.')
				j = k;
		i = j;
	}
	free(copy);
	return found ? found : log_reg.root;
}

static void refit_odd(void)
{
	for (struct log_logger *n = log_reg.odd; n; n = n->younger)
		if (n->is_logger)
			n->parent = walk_parent(n->name);
}

int registry_name_exists(const char *name)
{
	if (registry_node(name))
		return 1;
	size_t len = strlen(name);
	for (struct log_logger *n = log_reg.odd; n; n = n->younger)
		if (strncmp(n->name, name, len) == 0 && n->name[len] == '.')
			return 1; /* a placeholder of an odd name's walk */
	return 0;
}

/* Every logger under top whose nearest logger above was above top gets parent. */
static void refit_children(struct log_logger *top, struct log_logger *parent)
{
	for (struct log_logger *n = top->kids; n;) {
		if (n->is_logger) {
			n->parent = parent;
		} else if (n->kids) {
			n = n->kids;
			continue;
		}
		while (!n->younger) {
			n = n->up;
			if (n == top)
				return;
		}
		n = n->younger;
	}
}

static void link_kid(struct log_logger *up, struct log_logger *n)
{
	n->up = up;
	n->older = NULL;
	n->younger = up->kids;
	if (up->kids)
		up->kids->older = n;
	up->kids = n;
}

static void unlink_kid(struct log_logger *n)
{
	if (n->older)
		n->older->younger = n->younger;
	else if (n->up)
		n->up->kids = n->younger;
	if (n->younger)
		n->younger->older = n->older;
	n->up = n->older = n->younger = NULL;
}

static const char *pending_key(const void *v)
{
	return ((const struct log_logger *)v)->name;
}

int names_want(struct log_names *w, const char *name)
{
	w->pending.key = pending_key;
	if (!*name || registry_node(name) || index_get(&w->pending, name))
		return 0;
	size_t len = strlen(name);
	struct log_logger *n = node_new(name, len);
	if (!n || index_put(&w->pending, n)) {
		free(n);
		return -ENOMEM;
	}
	/* the placeholders on its way up that do not exist yet */
	for (size_t plen = n->odd ? 0 : prefix_len(name); plen; plen = prefix_len(n->name)) {
		n = node_new(name, plen);
		if (!n)
			return -ENOMEM;
		if (registry_node(n->name) || index_get(&w->pending, n->name)) {
			free(n);
			break;
		}
		if (index_put(&w->pending, n)) {
			free(n);
			return -ENOMEM;
		}
	}
	return 0;
}

int names_reserve(struct log_names *w)
{
	return index_reserve(&log_reg.names, w->pending.n);
}

/* A wanted node goes into the index and the name tree, with its missing
 * placeholders above it. */
static struct log_logger *attach_node(struct log_names *w, const char *name)
{
	struct log_logger *n = index_del(&w->pending, name);
	if (n->odd) {
		index_put(&log_reg.names, n); /* room reserved (names_reserve) */
		n->older = NULL;
		n->younger = log_reg.odd;
		if (log_reg.odd)
			log_reg.odd->older = n;
		log_reg.odd = n;
		return n;
	}
	for (struct log_logger *child = n;;) {
		/* child is in no index yet: its name is cut in place for the lookup */
		size_t plen = prefix_len(child->name);
		struct log_logger *up = log_reg.root, *made = NULL;
		if (plen) {
			char saved = child->name[plen];
			child->name[plen] = '\0';
			up = registry_node(child->name);
			if (!up)
				up = made = index_del(&w->pending, child->name);
			child->name[plen] = saved;
		}
		index_put(&log_reg.names, child);
		link_kid(up, child);
		if (!made)
			break;
		child = made;
	}
	return n;
}

struct log_logger *names_attach(struct log_names *w, const char *name)
{
	struct log_logger *n = registry_logger(name);
	if (n)
		return n;
	n = registry_node(name);
	if (!n)
		n = attach_node(w, name);
	n->is_logger = 1;
	n->level = LOG_NOTSET;
	n->propagate = 1;
	n->disabled = 0;
	append_logger(n);
	if (n->odd) {
		n->parent = walk_parent(n->name);
	} else {
		for (struct log_logger *p = n; p; p = p->up)
			p->below++;
		n->parent = n->up;
		while (!n->parent->is_logger)
			n->parent = n->parent->up;
		refit_children(n, n);
	}
	log_reg.odd_stale = log_reg.odd != NULL;
	log_reg.gen++;
	return n;
}

void names_free(struct log_names *w)
{
	for (size_t i = 0; i < w->pending.cap; i++)
		if (w->pending.slots[i].hash)
			free(w->pending.slots[i].value);
	index_free(&w->pending);
}

void registry_remove(struct log_logger *l)
{
	logger_clear(l);
	l->is_logger = 0;
	if (l->prev)
		l->prev->next = l->next;
	else
		log_reg.first = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		log_reg.last = l->prev;
	log_reg.nloggers--;
	if (l->odd) {
		if (l->older)
			l->older->younger = l->younger;
		else
			log_reg.odd = l->younger;
		if (l->younger)
			l->younger->older = l->older;
		index_del(&log_reg.names, l->name);
		free(l);
	} else {
		refit_children(l, l->parent);
		for (struct log_logger *p = l; p; p = p->up)
			p->below--;
		/* placeholders with nothing under them go */
		while (l != log_reg.root && !l->is_logger && !l->below) {
			struct log_logger *up = l->up;
			unlink_kid(l);
			index_del(&log_reg.names, l->name);
			free(l);
			l = up;
		}
	}
	refit_odd();
	registry_changed();
}

/* Logger.getEffectiveLevel, cached until the next change of levels or tree.  The
 * cache is written by readers side by side: each writes the same value for the
 * same generation, and the generation moves only under the write lock. */
int effective_level(struct log_logger *l)
{
	unsigned long gen = log_reg.gen;
	if (__atomic_load_n(&l->cache_gen, __ATOMIC_ACQUIRE) == gen)
		return __atomic_load_n(&l->cache_level, __ATOMIC_RELAXED);
	int level = LOG_NOTSET;
	for (const struct log_logger *p = l; p; p = p->parent)
		if (p->level != LOG_NOTSET) {
			level = p->level;
			break;
		}
	__atomic_store_n(&l->cache_level, level, __ATOMIC_RELAXED);
	__atomic_store_n(&l->cache_gen, gen, __ATOMIC_RELEASE);
	return level;
}
