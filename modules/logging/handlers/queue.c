/* logging.handlers.QueueHandler with its QueueListener: the writer's record is
 * prepared (msg becomes the QueueHandler's formatted message, as prepare() does)
 * and queued; a listener thread hands it to the target handlers (`handlers`),
 * off the writer's path.  respect_handler_level as in QueueListener.
 *
 * The queue is bounded, as queue.Queue(maxsize): a record that finds it full is
 * a handler error (Python's put_nowait raises queue.Full, and handleError counts
 * it).  maxsize is taken from the 3.12 form {"()": "queue.Queue", "maxsize": N}
 * or {"maxsize": N}; an unbounded queue (none given, or maxsize <= 0) is bounded
 * at QUEUE_DEFAULT all the same.  At close what is queued is handed on in
 * batches of QUEUE_BATCH, for at most QUEUE_CLOSE_MS (when osfs stops, its stop's
 * budget); the rest is counted lost. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../internal.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

#define QUEUE_DEFAULT 10000
#define QUEUE_MAX 1000000
#define QUEUE_BATCH 1024
#define QUEUE_CLOSE_MS 5000

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	pthread_cond_t idle;      /* nothing queued, nothing being handed on */
	int busy;                 /* the listener is handing records on */
	struct log_record **ring; /* cap slots, n records from head */
	size_t cap, head, n;
	char **targets;
	size_t ntargets;
	int respect_level;
	int stop, running;
	pthread_t listener;
	struct log_handler *h;
};

static const char *const params[] = {"queue", "listener", "handlers", "respect_handler_level", NULL};

/* Up to max records off the front of the ring (q->lock held). */
static size_t take(struct queue *q, struct log_record **out, size_t max)
{
	size_t k = 0;
	for (; k < max && q->n; k++, q->n--) {
		out[k] = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
	}
	return k;
}

/* Hands records to the targets, found once per batch (log_lock held for reading). */
static void dispatch(struct queue *q, struct log_record **items, size_t n, struct log_batch *b)
{
	struct log_handler *targets[64];
	size_t nt = 0;
	for (size_t t = 0; t < q->ntargets && nt < 64; t++) {
		struct log_handler *h = objects_handler(q->h->home, q->targets[t]);
		if (h)
			targets[nt++] = h;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t t = 0; t < nt; t++)
			if (!q->respect_level || items[i]->levelno >= targets[t]->level)
				handler_handle(targets[t], items[i], b);
		log_record_free(items[i]);
	}
}

/* One batch: routed under the read lock, emitted after it. */
static void hand_on(struct queue *q, struct log_record **items, size_t n)
{
	struct log_batch *b = batch_new();
	pthread_rwlock_rdlock(&log_lock);
	if (b) {
		dispatch(q, items, n, b);
	} else {
		for (size_t i = 0; i < n; i++)
			log_record_free(items[i]);
	}
	pthread_rwlock_unlock(&log_lock);
	if (b)
		batch_emit(b);
}

static void *listen(void *arg)
{
	struct queue *q = arg;
	struct log_record *items[QUEUE_BATCH];
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->n && !q->stop)
			pthread_cond_wait(&q->ready, &q->lock);
		if (q->stop)
			break;
		size_t n = take(q, items, QUEUE_BATCH);
		q->busy = 1;
		pthread_mutex_unlock(&q->lock);
		hand_on(q, items, n);
		pthread_mutex_lock(&q->lock);
		q->busy = 0;
		if (!q->n)
			pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* queue: the default, "queue.Queue", or {"()": "queue.Queue", "maxsize": N}, or
 * {"maxsize": N}. */
static int maxsize_of(const cJSON *v, size_t *out)
{
	*out = QUEUE_DEFAULT;
	if (!v || (cJSON_IsString(v) && strcmp(v->valuestring, "queue.Queue") == 0))
		return 0;
	const cJSON *factory = cJSON_GetObjectItemCaseSensitive(v, "()");
	const cJSON *maxsize = cJSON_GetObjectItemCaseSensitive(v, "maxsize");
	const cJSON *c;
	int other = !cJSON_IsObject(v); /* (an array's items have no names) */
	if (!other)
		cJSON_ArrayForEach(c, v)
			other |= strcmp(c->string, "()") != 0 && strcmp(c->string, "maxsize") != 0;
	if (other ||
	    (factory && !(cJSON_IsString(factory) && strcmp(factory->valuestring, "queue.Queue") == 0)))
		return osfs_refuse(EINVAL, "queue: queue.Queue, or {\"()\": \"queue.Queue\", "
				   "\"maxsize\": N}: osfs runs no Python");
	if (maxsize && (!cJSON_IsNumber(maxsize) || maxsize->valuedouble != floor(maxsize->valuedouble) ||
			isinf(maxsize->valuedouble)))
		return osfs_refuse(EINVAL, "queue: maxsize is an integer");
	if (maxsize && maxsize->valuedouble > QUEUE_MAX)
		return osfs_refuse(EINVAL, "queue: maxsize %.0f is more than osfs keeps (%d)",
				   maxsize->valuedouble, QUEUE_MAX);
	if (maxsize && maxsize->valuedouble > 0)
		*out = (size_t)maxsize->valuedouble;
	return 0;
}

static int queue_open(struct log_handler *h, const cJSON *kwargs)
{
	struct queue *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	pthread_cond_init(&q->idle, NULL);
	q->h = h;
	h->state = q;
	int err = maxsize_of(cJSON_GetObjectItemCaseSensitive(kwargs, "queue"), &q->cap);
	if (err)
		return err;
	if (!(q->ring = calloc(q->cap, sizeof *q->ring)))
		return -ENOMEM;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, "listener");
	if (v && !(cJSON_IsString(v) && strcmp(v->valuestring, "logging.handlers.QueueListener") == 0))
		return osfs_refuse(EINVAL, "listener: only logging.handlers.QueueListener");
	v = cJSON_GetObjectItemCaseSensitive(kwargs, "handlers");
	if (v && !cJSON_IsArray(v))
		return osfs_refuse(EINVAL, "handlers: a list of names");
	for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
		if (!cJSON_IsString(c))
			return osfs_refuse(EINVAL, "handlers: a list of names");
		if (strcmp(c->valuestring, h->id) == 0)
			return osfs_refuse(EINVAL, "handlers: a QueueHandler cannot listen to itself");
		if (q->ntargets == 64)
			return osfs_refuse(EINVAL, "handlers: at most 64");
		char **p = realloc(q->targets, (q->ntargets + 1) * sizeof *p);
		if (!p)
			return -ENOMEM;
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

static int queue_keep(struct log_handler *h, const struct log_record *r, struct log_batch *b)
{
	struct queue *q = h->state;
	/* QueueHandler.prepare: msg is the message formatted by this handler (the
	 * default formatter's is the message and its traceback), and args, exc_info,
	 * exc_text and stack_info are None. */
	const struct log_formatter *f = h->formatter ? h->formatter->formatter : NULL;
	struct osfs_buf msg = {0};
	struct log_record prepared = *r;
	int err = r->message_error ? osfs_refuse(EINVAL, "%s", r->message_error) : 0;
	if (!err && f) {
		err = log_format(f, &prepared, &msg);
	} else if (!err && (r->exc_text || r->stack_info)) {
		osfs_buf_puts(&msg, r->msg);
		err = log_format_tail(r, &msg, 0);
	}
	if (err) {
		osfs_buf_free(&msg);
		return err;
	}
	if (msg.data)
		prepared.msg = msg.data;
	prepared.msg_typed = 0;
	prepared.exc_text = prepared.stack_info = NULL;
	prepared.args = PV_NONE_V;
	prepared.has_args = 1;
	struct log_record *copy = log_record_copy(&prepared);
	osfs_buf_free(&msg);
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&q->lock);
	int full = q->n == q->cap;
	if (!full) {
		q->ring[(q->head + q->n++) % q->cap] = copy;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->lock);
	if (!full)
		return 0;
	log_record_free(copy);
	return osfs_refuse(ENOBUFS, "queue.Full: %zu records wait for the listener", q->cap);
}

/* The listener stops and joins; what is queued goes out here, in batches, for a
 * bounded time. */
static void stop_listener(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
	if (q->running)
		pthread_join(q->listener, NULL);
	q->running = 0;
}

static int queue_drain(struct log_handler *h, struct log_batch *b, int closing)
{
	struct queue *q = h->state;
	if (!closing)
		return 0; /* the listener hands records on as they come */
	stop_listener(q);
	int64_t deadline = log_clock_ns() + (int64_t)QUEUE_CLOSE_MS * 1000000;
	struct log_record *items[QUEUE_BATCH];
	for (;;) {
		pthread_mutex_lock(&q->lock);
		size_t n = log_ms_left(deadline) != 0 ? take(q, items, QUEUE_BATCH) : 0;
		size_t left = q->n;
		pthread_mutex_unlock(&q->lock);
		if (!n) {
			if (left)
				handler_failed(h, left, 0, ETIMEDOUT, "the queue's targets took too long at close: "
					       "its last records are lost");
			break;
		}
		hand_on(q, items, n);
	}
	return 0;
}

/* QueueHandler.flush (and logging.shutdown): what is queued now has been handed
 * on when it returns, or QUEUE_CLOSE_MS have passed. */
static int queue_flush(struct log_handler *h)
{
	struct queue *q = h->state;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += QUEUE_CLOSE_MS / 1000;
	int err = 0;
	pthread_mutex_lock(&q->lock);
	while ((q->n || q->busy) && q->running && !q->stop && !err)
		err = pthread_cond_clockwait(&q->idle, &q->lock, CLOCK_MONOTONIC, &until);
	size_t left = q->n;
	pthread_mutex_unlock(&q->lock);
	return err ? osfs_refuse(ETIMEDOUT, "%zu records still queued after %d ms", left,
				 QUEUE_CLOSE_MS) : 0;
}

static void queue_close(struct log_handler *h)
{
	struct queue *q = h->state;
	if (!q)
		return;
	stop_listener(q); /* not drained (a handler that failed to open) */
	for (; q->n; q->n--, q->head = (q->head + 1) % q->cap)
		log_record_free(q->ring[q->head]);
	free(q->ring);
	for (size_t i = 0; i < q->ntargets; i++)
		free(q->targets[i]);
	free(q->targets);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->ready);
	pthread_cond_destroy(&q->idle);
	free(q);
}

const struct handler_class queue_handler = {
	.name = "logging.handlers.QueueHandler",
	.params = params,
	.open = queue_open,
	.keep = queue_keep,
	.drain = queue_drain,
	.flush = queue_flush,
	.close = queue_close,
};
