/* logging.handlers.QueueHandler with its QueueListener: the writer's record is
 * prepared (msg becomes the QueueHandler's formatted message, as prepare() does)
 * and queued; a listener thread hands it to the target handlers (`handlers`),
 * off the writer's path.  respect_handler_level as in QueueListener. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../internal.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct log_record **items;
	size_t n;
	char **targets;
	size_t ntargets;
	int respect_level;
	int stop;
	pthread_t listener;
	int running;
};

static const char *const params[] = {"queue", "listener", "handlers", "respect_handler_level", NULL};

/* Hands records to the targets; the configuration lock is held by the caller. */
static void dispatch(struct queue *q, struct log_state *s, struct log_record **items, size_t n,
		     struct log_batch *b)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t t = 0; t < q->ntargets; t++) {
			struct log_handler *h = state_handler(s, q->targets[t]);
			if (h && (!q->respect_level || items[i]->levelno >= h->level))
				handler_handle(s, h, items[i], b);
		}
		log_record_free(items[i]);
	}
}

static struct log_record **take_all(struct queue *q, size_t *n)
{
	struct log_record **items = q->items;
	*n = q->n;
	q->items = NULL;
	q->n = 0;
	return items;
}

static void *listen(void *arg)
{
	struct queue *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->n && !q->stop)
			pthread_cond_wait(&q->ready, &q->lock);
		if (q->stop)
			break;
		size_t n;
		struct log_record **items = take_all(q, &n);
		pthread_mutex_unlock(&q->lock);
		/* A close holds the write lock while it waits for this thread: never wait
		 * for the lock unbounded; what is left then is drained by the closer. */
		int locked = 0;
		while (!locked && !q->stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 50 * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			locked = pthread_rwlock_timedrdlock(&log_lock, &until) == 0;
		}
		if (!locked) { /* stopping: put them back for the closer */
			pthread_mutex_lock(&q->lock);
			struct log_record **p = realloc(items, (n + q->n) * sizeof *p);
			if (p) {
				memcpy(p + n, q->items, q->n * sizeof *p);
				free(q->items);
				q->items = p;
				q->n += n;
			}
			break;
		}
		struct log_batch *b = batch_new();
		if (b) {
			dispatch(q, &log_state, items, n, b);
			batch_emit(b);
		}
		pthread_rwlock_unlock(&log_lock);
		free(items);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static int queue_open(struct log_handler *h, const cJSON *kwargs)
{
	struct queue *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	h->state = q;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, "queue");
	if (v && !(cJSON_IsString(v) && strcmp(v->valuestring, "queue.Queue") == 0))
		return osfs_refuse(EINVAL, "queue: only the default (an unbounded queue.Queue)");
	v = cJSON_GetObjectItemCaseSensitive(kwargs, "listener");
	if (v && !(cJSON_IsString(v) && strcmp(v->valuestring, "logging.handlers.QueueListener") == 0))
		return osfs_refuse(EINVAL, "listener: only logging.handlers.QueueListener");
	v = cJSON_GetObjectItemCaseSensitive(kwargs, "handlers");
	for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
		char **p = cJSON_IsString(c) ? realloc(q->targets, (q->ntargets + 1) * sizeof *p) : NULL;
		if (!p)
			return cJSON_IsString(c) ? -ENOMEM : osfs_refuse(EINVAL, "handlers: a list of names");
		q->targets = p;
		if (!(p[q->ntargets] = strdup(c->valuestring)))
			return -ENOMEM;
		q->ntargets++;
	}
	q->respect_level = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kwargs, "respect_handler_level"));
	if (osfs_thread_start(&q->listener, listen, q) != 0)
		return osfs_refuse(EAGAIN, "cannot start the queue's listener");
	q->running = 1;
	return 0;
}

static int queue_keep(struct log_handler *h, struct log_state *s, const struct log_record *r,
		      struct log_batch *b)
{
	struct queue *q = h->state;
	/* QueueHandler.prepare: msg is the message formatted by this handler. */
	struct log_fmt *fmt = h->formatter ? state_formatter(s, h->formatter) : NULL;
	struct osfs_buf msg = {0};
	struct log_record prepared = *r;
	int err = fmt ? log_format(fmt->f, &prepared, &msg) : 0;
	if (err)
		return err;
	if (fmt)
		prepared.msg = msg.data ? msg.data : "";
	struct log_record *copy = log_record_copy(&prepared);
	osfs_buf_free(&msg);
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&q->lock);
	struct log_record **p = realloc(q->items, (q->n + 1) * sizeof *p);
	if (p) {
		q->items = p;
		p[q->n++] = copy;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->lock);
	if (!p)
		log_record_free(copy);
	return p ? 0 : -ENOMEM;
}

/* At close (the lock held): the listener stops, what is left goes out here. */
static int queue_drain(struct log_handler *h, struct log_state *s, struct log_batch *b, int closing)
{
	struct queue *q = h->state;
	if (!closing)
		return 0; /* the listener hands records on as they come */
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
	if (q->running)
		pthread_join(q->listener, NULL);
	q->running = 0;
	size_t n;
	struct log_record **items = take_all(q, &n);
	dispatch(q, s, items, n, b);
	free(items);
	return 0;
}

static void queue_close(struct log_handler *h)
{
	struct queue *q = h->state;
	if (!q)
		return;
	if (q->running) { /* not drained (a handler that failed to open) */
		pthread_mutex_lock(&q->lock);
		q->stop = 1;
		pthread_cond_signal(&q->ready);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->listener, NULL);
	}
	for (size_t i = 0; i < q->n; i++)
		log_record_free(q->items[i]);
	free(q->items);
	for (size_t i = 0; i < q->ntargets; i++)
		free(q->targets[i]);
	free(q->targets);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->ready);
	free(q);
}

const struct handler_class queue_handler = {
	.name = "logging.handlers.QueueHandler",
	.params = params,
	.open = queue_open,
	.keep = queue_keep,
	.drain = queue_drain,
	.close = queue_close,
};
