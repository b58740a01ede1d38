/* logging.handlers.MemoryHandler: records are kept until capacity is reached or
 * one at flushLevel or above arrives, then handed to the target handler (its
 * filters and formatter apply, not its level, as in Python); flushOnClose hands
 * on what is left when the handler goes.  What it keeps is bounded: past
 * MEMORY_MAX records it flushes as if its capacity were reached. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

#define MEMORY_MAX 100000

struct memory {
	long long capacity;
	int flush_level;
	int flush_on_close;
	char *target;
	struct log_record **buffer;
	size_t n, cap;
};

static const char *const params[] = {"capacity", "flushLevel", "target", "flushOnClose", NULL};
static const struct handler_attr attrs[] = {
	{"capacity", ATTR_INT, 1}, {"flushLevel", ATTR_LEVEL, 1}, {"flushOnClose", ATTR_TRUTH, 1},
	{NULL, 0, 0}};

static int memory_open(struct log_handler *h, const cJSON *kwargs)
{
	struct memory *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	h->state = m;
	m->flush_level = LOG_ERROR;
	m->flush_on_close = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(kwargs, "flushOnClose"));
	if (!cJSON_GetObjectItemCaseSensitive(kwargs, "capacity"))
		return osfs_refuse(EINVAL, "MemoryHandler needs a capacity");
	int err = kwarg_int(kwargs, "capacity", 0, &m->capacity);
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(kwargs, "flushLevel");
	if (!err && level)
		err = build_level(level, &m->flush_level);
	const cJSON *target = cJSON_GetObjectItemCaseSensitive(kwargs, "target");
	if (!err && target && !cJSON_IsString(target))
		err = osfs_refuse(EINVAL, "target is the name of a handler");
	if (!err && cJSON_IsString(target) && strcmp(target->valuestring, h->id) == 0)
		err = osfs_refuse(EINVAL, "target: a MemoryHandler cannot flush into itself");
	if (!err && cJSON_IsString(target) && !(m->target = strdup(target->valuestring)))
		err = -ENOMEM;
	return err;
}

/* MemoryHandler.flush: the records go to the target (found by name among the
 * handler's own set), outside the handler's lock. */
static int memory_drain(struct log_handler *h, struct log_batch *b, int closing)
{
	struct memory *m = h->state;
	if (closing && !m->flush_on_close)
		return 0;
	struct log_handler *target = m->target ? objects_handler(h->home, m->target) : NULL;
	if (!target) /* without a target, Python keeps the records */
		return 0;
	pthread_mutex_lock(&h->lock);
	struct log_record **records = m->buffer;
	size_t n = m->n;
	m->buffer = NULL;
	m->n = m->cap = 0;
	pthread_mutex_unlock(&h->lock);
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		int e = handler_handle(target, records[i], b);
		err = err ? err : e;
		log_record_free(records[i]);
	}
	free(records);
	return err;
}

static int memory_keep(struct log_handler *h, const struct log_record *r, struct log_batch *b)
{
	struct memory *m = h->state;
	struct log_record *copy = log_record_copy(r);
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&h->lock);
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct log_record **p = realloc(m->buffer, cap * sizeof *p);
		if (!p) {
			pthread_mutex_unlock(&h->lock);
			log_record_free(copy);
			return -ENOMEM;
		}
		m->buffer = p;
		m->cap = cap;
	}
	m->buffer[m->n++] = copy;
	int full = (long long)m->n >= m->capacity || m->n >= MEMORY_MAX || r->levelno >= m->flush_level;
	pthread_mutex_unlock(&h->lock);
	return full ? memory_drain(h, b, 0) : 0;
}

static void memory_close(struct log_handler *h)
{
	struct memory *m = h->state;
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		log_record_free(m->buffer[i]);
	free(m->buffer);
	free(m->target);
	free(m);
}

const struct handler_class memory_handler = {
	.name = "logging.handlers.MemoryHandler",
	.params = params,
	.attrs = attrs,
	.open = memory_open,
	.keep = memory_keep,
	.drain = memory_drain,
	.close = memory_close,
};
