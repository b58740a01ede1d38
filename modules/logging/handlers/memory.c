/* logging.handlers.MemoryHandler: records are kept until capacity is reached or
 * one at flushLevel or above arrives, then handed to the target handler (its
 * filters and formatter apply, not its level, as in Python); flushOnClose hands
 * on what is left when the handler goes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "file.h"
#include "osfs/refuse.h"

struct memory {
	long long capacity;
	int flush_level;
	int flush_on_close;
	char *target;
	struct log_record **buffer;
	size_t n;
};

static const char *const params[] = {"capacity", "flushLevel", "target", "flushOnClose", NULL};

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
	if (!err && cJSON_IsString(level))
		err = log_level_parse(level->valuestring, &m->flush_level);
	else if (!err && cJSON_IsNumber(level))
		m->flush_level = level->valueint;
	const cJSON *target = cJSON_GetObjectItemCaseSensitive(kwargs, "target");
	if (!err && target && !cJSON_IsString(target))
		err = osfs_refuse(EINVAL, "target is the name of a handler");
	if (!err && cJSON_IsString(target) && !(m->target = strdup(target->valuestring)))
		err = -ENOMEM;
	return err;
}

static int memory_drain(struct log_handler *h, struct log_state *s, struct log_batch *b, int closing)
{
	struct memory *m = h->state;
	if (closing && !m->flush_on_close)
		return 0;
	pthread_mutex_lock(&h->lock);
	struct log_handler *target = m->target ? state_handler(s, m->target) : NULL;
	int err = 0;
	if (target) { /* without a target, Python keeps the records */
		for (size_t i = 0; i < m->n; i++) {
			int e = handler_handle(s, target, m->buffer[i], b);
			err = err ? err : e;
			log_record_free(m->buffer[i]);
		}
		m->n = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

static int memory_keep(struct log_handler *h, struct log_state *s, const struct log_record *r,
		       struct log_batch *b)
{
	struct memory *m = h->state;
	struct log_record *copy = log_record_copy(r);
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&h->lock);
	struct log_record **p = realloc(m->buffer, (m->n + 1) * sizeof *p);
	if (p) {
		m->buffer = p;
		p[m->n++] = copy;
	}
	int full = p && ((long long)m->n >= m->capacity || r->levelno >= m->flush_level);
	pthread_mutex_unlock(&h->lock);
	if (!p) {
		log_record_free(copy);
		return -ENOMEM;
	}
	return full ? memory_drain(h, s, b, 0) : 0;
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
	.open = memory_open,
	.keep = memory_keep,
	.drain = memory_drain,
	.close = memory_close,
};
