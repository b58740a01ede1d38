/* A logger's live view: readers of loggers/NAME/tail, each with a bounded buffer
 * of formatted records.  A logger some reader follows has a channel (its format,
 * its readers, the bytes it has given); a record is formatted once per channel it
 * reaches and shared by that channel's readers, each holding a reference. */
#include "osfs/logging/tail.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/logging/format.h"
#include "osfs/refuse.h"

/* logging.BASIC_FORMAT: what basicConfig() shows, with the logger's name. */
#define BASIC_FORMAT "%(levelname)s:%(name)s:%(message)s"

struct tail_rec {
	unsigned refs; /* atomic */
	uint32_t len;
	char text[];
};

struct log_tail {
	pthread_mutex_t lock;
	struct chan *chan;
	struct log_tail *next; /* the channel's readers */
	log_tail_wake_fn *wake;
	void *ctx;
	struct tail_rec **q; /* a ring of records: n from head */
	size_t cap, head, n;
	size_t bytes;          /* of the records held */
	size_t partial;        /* bytes of the first record already read */
	unsigned long dropped; /* records lost since the last notice began */
	size_t lost;           /* their bytes */
	char notice[64];       /* a notice being read */
	size_t notice_len, notice_at;
};

struct chan {
	struct chan *next;
	char *logger;
	char *formatter; /* a formatter's name, or NULL: BASIC_FORMAT */
	struct log_tail *readers;
	uint64_t end;
	struct timespec changed;
};

unsigned log_tail_readers;
static pthread_mutex_t tails = PTHREAD_MUTEX_INITIALIZER;
static struct chan *chans;
static struct log_formatter *basic; /* made at the first reader, kept */

static struct chan *chan_find(const char *logger)
{
	for (struct chan *c = chans; c; c = c->next)
		if (strcmp(c->logger, logger) == 0)
			return c;
	return NULL;
}

static struct chan *chan_get(const char *logger)
{
	struct chan *c = chan_find(logger);
	if (c)
		return c;
	c = calloc(1, sizeof *c);
	if (!c || !(c->logger = strdup(logger))) {
		free(c);
		return NULL;
	}
	c->next = chans;
	chans = c;
	return c;
}

/* A channel no one reads and nothing is set on goes. */
static void chan_tidy(struct chan *c)
{
	if (c->readers || c->formatter)
		return;
	for (struct chan **pp = &chans; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->logger);
	free(c);
}

static size_t least(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void rec_put(struct tail_rec *r)
{
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(r);
}

size_t log_tail_ready(const struct log_tail *t)
{
	size_t notice = t->notice_len ? t->notice_len - t->notice_at
	                : t->dropped  ? (size_t)snprintf(NULL, 0, LOG_TAIL_NOTICE, t->dropped)
	                              : 0;
	return t->bytes - t->partial + notice;
}

static struct tail_rec *pop_front(struct log_tail *t)
{
	struct tail_rec *r = t->q[t->head];
	t->head = (t->head + 1) % t->cap;
	t->n--;
	t->bytes -= r->len;
	return r;
}

/* Loses the oldest record not being read: the one after a partly read first. */
static int drop_oldest(struct log_tail *t)
{
	size_t keep = t->partial ? 1 : 0;
	if (t->n <= keep)
		return 0;
	if (keep) { /* the second goes: the first takes its place */
		size_t second = (t->head + 1) % t->cap;
		struct tail_rec *first = t->q[t->head];
		t->q[t->head] = t->q[second];
		t->q[second] = first;
	}
	struct tail_rec *r = pop_front(t);
	t->dropped++;
	t->lost += r->len;
	rec_put(r);
	return 1;
}

static int grow(struct log_tail *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	struct tail_rec **q = malloc(cap * sizeof *q);
	if (!q)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		q[i] = t->q[(t->head + i) % t->cap];
	free(t->q);
	t->q = q;
	t->cap = cap;
	t->head = 0;
	return 0;
}

/* Adds a record to a reader, losing its oldest ones to make room.  The notice
 * that stands for lost records is never longer than what they took, so that the
 * bytes a reader gets never run ahead of the tail's size (tail -f counts on it). */
static void push(struct log_tail *t, struct tail_rec *r)
{
	pthread_mutex_lock(&t->lock);
	int was_empty = log_tail_ready(t) == 0;
	while (t->bytes + r->len > LOG_TAIL_BUFFER ||
	       (t->dropped && t->lost < (size_t)snprintf(NULL, 0, LOG_TAIL_NOTICE, t->dropped)))
		if (!drop_oldest(t))
			break;
	if (t->bytes + r->len > LOG_TAIL_BUFFER || (t->n == t->cap && grow(t) != 0)) {
		t->dropped++;
		t->lost += r->len;
	} else {
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
		t->q[(t->head + t->n) % t->cap] = r;
		t->n++;
		t->bytes += r->len;
	}
	if (was_empty && log_tail_ready(t) && t->wake)
		t->wake(t->ctx);
	pthread_mutex_unlock(&t->lock);
}

size_t log_tail_take(struct log_tail *t, char *out, size_t size)
{
	size_t got = 0;
	while (got < size) {
		if (t->n && t->partial) { /* the rest of a record begun */
			struct tail_rec *r = t->q[t->head];
			size_t k = least(r->len - t->partial, size - got);
			memcpy(out + got, r->text + t->partial, k);
			got += k;
			t->partial += k;
			if (t->partial == r->len) {
				t->partial = 0;
				rec_put(pop_front(t));
			}
			continue;
		}
		if (t->dropped && !t->notice_len) {
			t->notice_len = (size_t)snprintf(t->notice, sizeof t->notice,
			                                 LOG_TAIL_NOTICE, t->dropped);
			t->notice_at = 0;
			t->dropped = 0;
			t->lost = 0;
		}
		if (t->notice_len) {
			size_t k = least(t->notice_len - t->notice_at, size - got);
			memcpy(out + got, t->notice + t->notice_at, k);
			got += k;
			t->notice_at += k;
			if (t->notice_at == t->notice_len)
				t->notice_len = 0;
			continue;
		}
		if (!t->n || (got && t->q[t->head]->len > size - got))
			break; /* whole records, unless the first is longer than the read */
		struct tail_rec *r = t->q[t->head];
		size_t k = least(r->len, size - got);
		memcpy(out + got, r->text, k);
		got += k;
		if (k == r->len)
			rec_put(pop_front(t));
		else
			t->partial = k;
	}
	return got;
}

void log_tail_lock(struct log_tail *t)
{
	pthread_mutex_lock(&t->lock);
}

void log_tail_unlock(struct log_tail *t)
{
	pthread_mutex_unlock(&t->lock);
}

int log_tail_open(const char *logger, log_tail_wake_fn *wake, void *ctx, struct log_tail **out)
{
	struct log_tail *t = calloc(1, sizeof *t);
	if (!t)
		return osfs_refuse(ENOMEM, "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	t->wake = wake;
	t->ctx = ctx;
	pthread_rwlock_rdlock(&log_lock);
	int err = registry_logger(logger) ? 0 : osfs_refuse(ENOENT, "no logger named '%s'", logger);
	pthread_rwlock_unlock(&log_lock);
	pthread_mutex_lock(&tails);
	if (!err && !basic && !(basic = log_formatter_new(BASIC_FORMAT, NULL, '%', NULL, 1)))
		err = osfs_refuse(ENOMEM, "out of memory");
	struct chan *c = err ? NULL : chan_get(logger);
	if (!err && !c)
		err = osfs_refuse(ENOMEM, "out of memory");
	if (c) {
		if (!c->readers) { /* its size counts from here */
			c->end = 0;
			c->changed = (struct timespec){0};
		}
		t->chan = c;
		t->next = c->readers;
		c->readers = t;
		__atomic_add_fetch(&log_tail_readers, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&tails);
	if (err) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return err;
	}
	*out = t;
	return 0;
}

void log_tail_close(struct log_tail *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&tails);
	struct chan *c = t->chan;
	for (struct log_tail **pp = &c->readers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	__atomic_sub_fetch(&log_tail_readers, 1, __ATOMIC_RELEASE);
	chan_tidy(c);
	pthread_mutex_unlock(&tails);
	while (t->n)
		rec_put(pop_front(t));
	free(t->q);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void log_tail_extent(const char *logger, uint64_t *end, struct timespec *changed)
{
	pthread_mutex_lock(&tails);
	struct chan *c = chan_find(logger);
	*end = c && c->readers ? c->end : 0;
	*changed = c && c->readers ? c->changed : (struct timespec){0};
	pthread_mutex_unlock(&tails);
}

/* One record, formatted as channel c shows it, to each of its readers. */
static void offer_one(struct chan *c, const struct log_record *r)
{
	const struct log_formatter *f = basic;
	if (c->formatter) { /* gone from the configuration: BASIC_FORMAT again */
		struct log_obj *o = objects_get(log_reg.objects, OBJ_FORMATTERS, c->formatter);
		if (o && o->formatter)
			f = o->formatter;
	}
	struct log_record copy = *r; /* formatting sets asctime on it for a moment */
	struct osfs_buf text = {0};
	int err = log_format(f, &copy, &text);
	osfs_refusal_clear();
	osfs_buf_putc(&text, '\n');
	if (err || osfs_buf_error(&text) || text.len > UINT32_MAX) { /* as handleError: not shown */
		osfs_buf_free(&text);
		return;
	}
	struct tail_rec *rec = malloc(sizeof *rec + text.len);
	if (rec) {
		rec->refs = 1;
		rec->len = (uint32_t)text.len;
		memcpy(rec->text, text.data, text.len);
		for (struct log_tail *t = c->readers; t; t = t->next)
			push(t, rec);
		c->end += text.len;
		clock_gettime(CLOCK_REALTIME, &c->changed);
		rec_put(rec);
	}
	osfs_buf_free(&text);
}

void log_tail_offer(struct log_logger *l, const struct log_record *r)
{
	pthread_mutex_lock(&tails);
	for (struct log_logger *c = l; c; c = c->propagate ? c->parent : NULL) {
		struct chan *ch = chan_find(c->name);
		if (ch && ch->readers)
			offer_one(ch, r);
	}
	pthread_mutex_unlock(&tails);
}

int log_tail_formatter_get(const char *logger, struct osfs_buf *out)
{
	pthread_mutex_lock(&tails);
	struct chan *c = chan_find(logger);
	osfs_buf_printf(out, "%s\n", c && c->formatter ? c->formatter : "");
	pthread_mutex_unlock(&tails);
	return osfs_buf_error(out);
}

int log_tail_formatter_set(const char *logger, const char *formatter)
{
	pthread_rwlock_rdlock(&log_lock);
	int err = !registry_logger(logger) ? osfs_refuse(ENOENT, "no logger named '%s'", logger)
	          : *formatter && !objects_get(log_reg.objects, OBJ_FORMATTERS, formatter)
	              ? osfs_refuse(ENOENT,
	                            "no formatter named '%s' (formatters/ lists them; "
	                            "empty: logging.BASIC_FORMAT)",
	                            formatter)
	              : 0;
	pthread_rwlock_unlock(&log_lock);
	char *name = !err && *formatter ? strdup(formatter) : NULL;
	if (!err && *formatter && !name)
		err = osfs_refuse(ENOMEM, "out of memory");
	if (err)
		return err;
	pthread_mutex_lock(&tails);
	struct chan *c = chan_get(logger);
	if (c) {
		free(c->formatter);
		c->formatter = name;
		chan_tidy(c);
	} else {
		free(name);
		err = osfs_refuse(ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&tails);
	if (!err)
		changed(); /* the state file keeps it */
	return err;
}

void log_tail_formatters(void (*emit)(void *ctx, const char *logger, const char *formatter),
                         void *ctx)
{
	pthread_mutex_lock(&tails);
	for (struct chan *c = chans; c; c = c->next)
		if (c->formatter)
			emit(ctx, c->logger, c->formatter);
	pthread_mutex_unlock(&tails);
}

void log_tail_fini(void)
{
	pthread_mutex_lock(&tails);
	while (chans && !chans->readers) {
		free(chans->formatter);
		chans->formatter = NULL;
		chan_tidy(chans);
	}
	log_formatter_free(basic);
	basic = NULL;
	pthread_mutex_unlock(&tails);
}
