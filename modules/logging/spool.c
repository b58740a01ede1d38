/* Spools: records of a network handler (SocketHandler, DatagramHandler,
 * SysLogHandler, HTTPHandler) that its receiver did not take are kept, up to a
 * bound, and sent again, in order, when it is back; Python drops them.
 *
 * A handler's spool holds two lists, oldest first.  waiting: records not sent
 * (the receiver refused them, or older ones wait); they go before any newer
 * record, so order holds.  unacked: records a stream class (TCP) sent whose bytes
 * the peer's TCP has not acknowledged yet (SIOCOUTQ, net.c): when the connection
 * ends they go back to the front of waiting, so a send() that "succeeded" into the
 * kernel buffer of a dead connection is not a lost record.  The bound counts the
 * waiting records: past it, a new record is dropped (the oldest are kept: they
 * were acknowledged to the writer first), and counted.  While records wait, no
 * write waits for the receiver: its records join the spool, and the spool thread
 * tries again with a back-off: Python's (retryStart 1 s, retryFactor 2, retryMax
 * 30 s, or the handler's own retry arguments), 0.25 s at first for the classes
 * that have none (SysLogHandler, HTTPHandler).
 *
 * With -o state=FILE the spools are kept in FILE.spool too (0600, written to a
 * fresh file and renamed over it, never through a link), saved while they change
 * and when osfs stops, and taken back at start by the handlers of the same name
 * and class.  A handler that goes (a new configuration) leaves its records to the
 * next handler of its name. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

#define SPOOL_DEFAULT 1000 /* -o spool_records */
#define TICK_MS 100        /* how often the spool thread looks */
#define SAVE_MS 500        /* at most one save of the spool file this often */
#define SPOOL_RETRY_START 0.25 /* s: the first retry of a class without retry arguments */

struct srec {
	struct srec *next;
	int levelno;
	const char *levelname; /* a standard name (static) or NULL */
	unsigned long conn;    /* unacked: the connection it went on, and where it ended */
	uint64_t end;
	size_t len;
	char text[];
};

struct list {
	struct srec *head, *tail;
	size_t n;
};

struct spool {
	struct list waiting, unacked;
	unsigned long spooled, resent, dropped;
	/* While the receiver is away, the handler's lock may be held by a resend
	 * that waits for it (a connect to a host that does not answer): a write that
	 * finds it so leaves its records here, at once, and whoever holds the lock
	 * next moves them to waiting. */
	pthread_mutex_t inbox_lock;
	struct list inbox;
	unsigned long inbox_dropped;
	int64_t next_try; /* CLOCK_MONOTONIC ns; 0: at once */
	double period;
	int away;         /* the receiver is away (said once in errors) */
};

/* Records of a handler that went, for the next one of its name and class. */
struct pending {
	struct pending *next;
	char *id, *cls;
	struct list recs;
};

static struct {
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake;
	long dflt;
	cJSON *bounds;        /* per handler name: {"NAME": N} */
	struct pending *pending;
	int dirfd;            /* the spool file's directory, and its name */
	char *name;
	int dirty;            /* something changed since the last save */
	int64_t saved_at;
	pthread_t thread;
	int running, stop;
} sp = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .dflt = SPOOL_DEFAULT,
	.dirfd = -1};

static void list_push(struct list *l, struct srec *r)
{
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

static struct srec *list_pop(struct list *l)
{
	struct srec *r = l->head;
	if (r && !(l->head = r->next))
		l->tail = NULL;
	if (r)
		l->n--;
	return r;
}

/* from goes before to, whole. */
static void list_prepend(struct list *to, struct list *from)
{
	if (!from->head)
		return;
	from->tail->next = to->head;
	if (!to->tail)
		to->tail = from->tail;
	to->head = from->head;
	to->n += from->n;
	*from = (struct list){0};
}

static void list_free(struct list *l)
{
	for (struct srec *r = l->head, *next; r; r = next) {
		next = r->next;
		free(r);
	}
	*l = (struct list){0};
}

static struct srec *srec_new(const char *text, size_t len, int levelno, const char *levelname)
{
	struct srec *r = malloc(sizeof *r + len);
	if (!r)
		return NULL;
	*r = (struct srec){.levelno = levelno, .levelname = levelname, .len = len};
	memcpy(r->text, text, len);
	return r;
}

static void mark_dirty(void)
{
	__atomic_store_n(&sp.dirty, 1, __ATOMIC_RELAXED);
}

/* ---- settings ------------------------------------------------------------- */

static long bound_of(const char *id)
{
	pthread_mutex_lock(&sp.lock);
	const cJSON *b = sp.bounds ? cJSON_GetObjectItemCaseSensitive(sp.bounds, id) : NULL;
	long n = cJSON_IsNumber(b) ? (long)b->valuedouble : sp.dflt;
	pthread_mutex_unlock(&sp.lock);
	return n;
}

void log_spool_default_set(long n)
{
	pthread_mutex_lock(&sp.lock);
	sp.dflt = n < 0 ? 0 : n;
	pthread_mutex_unlock(&sp.lock);
}

long log_spool_default_get(void)
{
	pthread_mutex_lock(&sp.lock);
	long n = sp.dflt;
	pthread_mutex_unlock(&sp.lock);
	return n;
}

static int spool_handler(const char *id, struct log_handler **out)
{
	struct log_handler *h = objects_handler(log_reg.objects, id);
	if (!h)
		return osfs_refuse(ENOENT, "no handler named '%s'", id);
	if (!h->cls->spool)
		return osfs_refuse(EOPNOTSUPP, "a %s sends no records over a network: it has no spool",
				   h->cls->name);
	*out = h;
	return 0;
}

int log_handler_spool_has(const char *id)
{
	pthread_rwlock_rdlock(&log_lock);
	struct log_handler *h = objects_handler(log_reg.objects, id);
	int has = h && h->cls->spool;
	pthread_rwlock_unlock(&log_lock);
	return has;
}

int log_handler_spool_get(const char *id, struct osfs_buf *out)
{
	struct log_handler *h;
	pthread_rwlock_rdlock(&log_lock);
	int err = spool_handler(id, &h);
	pthread_rwlock_unlock(&log_lock);
	if (!err)
		osfs_buf_printf(out, "%ld\n", bound_of(id));
	return err;
}

int log_spool_setting(const char *id, long n)
{
	pthread_mutex_lock(&sp.lock);
	if (!sp.bounds)
		sp.bounds = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(sp.bounds, id);
	int err = !sp.bounds ? -ENOMEM
		  : n < 0 || cJSON_AddNumberToObject(sp.bounds, id, (double)n) ? 0 : -ENOMEM;
	pthread_mutex_unlock(&sp.lock);
	return err;
}

int log_handler_spool_set(const char *id, const char *value)
{
	struct log_handler *h;
	pthread_rwlock_rdlock(&log_lock);
	int err = spool_handler(id, &h);
	pthread_rwlock_unlock(&log_lock);
	if (err)
		return err;
	char *end;
	long n = strcmp(value, "default") == 0 ? -1 : strtol(value, &end, 10);
	if (strcmp(value, "default") != 0 && (!*value || *end || n < 0 || n > 100000000))
		return osfs_refuse(EINVAL, "spool: a number of records 0-100000000 (0: none, as "
				   "Python), or 'default' (-o spool_records), not '%s'", value);
	err = log_spool_setting(id, n);
	if (!err)
		changed();
	return err;
}

void log_spool_settings(void (*emit)(void *ctx, const char *id, long n), void *ctx)
{
	pthread_mutex_lock(&sp.lock);
	const cJSON *c;
	cJSON_ArrayForEach(c, sp.bounds) emit(ctx, c->string, (long)c->valuedouble);
	pthread_mutex_unlock(&sp.lock);
}

/* ---- the spool of a handler ------------------------------------------------ */

int spool_wanted(struct log_handler *h)
{
	if (!h->cls->spool)
		return 0;
	struct spool *s = h->spool;
	return (s && (s->waiting.n || s->unacked.n)) || bound_of(h->id) > 0 ||
	       __atomic_load_n(&sp.pending, __ATOMIC_RELAXED);
}

/* Records a handler that went left for this one, before its own. */
static void adopt(struct log_handler *h, struct spool *s)
{
	if (!__atomic_load_n(&sp.pending, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&sp.lock);
	for (struct pending **p = &sp.pending; *p; p = &(*p)->next) {
		if (strcmp((*p)->id, h->id) == 0 && strcmp((*p)->cls, h->cls->name) == 0) {
			struct pending *got = *p;
			*p = got->next;
			s->spooled += got->recs.n;
			list_prepend(&s->waiting, &got->recs);
			free(got->id);
			free(got->cls);
			free(got);
			mark_dirty();
			break;
		}
	}
	pthread_mutex_unlock(&sp.lock);
}

/* Records written while the lock was held, after those waiting (up to the bound). */
static void take_inbox(struct log_handler *h, struct spool *s, long bound)
{
	if (!__atomic_load_n(&s->inbox.n, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&s->inbox_lock);
	struct list in = s->inbox;
	s->inbox = (struct list){0};
	pthread_mutex_unlock(&s->inbox_lock);
	unsigned long dropped = 0;
	for (struct srec *r; (r = list_pop(&in));) {
		if ((long)s->waiting.n >= bound) {
			dropped++;
			free(r);
		} else {
			list_push(&s->waiting, r);
		}
	}
	if (dropped) {
		s->dropped += dropped;
		s->spooled -= dropped; /* counted when they entered the inbox */
		handler_failed(h, dropped, getpid(), ENOBUFS, "the spool is full: records dropped");
	}
	mark_dirty();
}

int spool_busy_keep(struct log_handler *h, const struct log_emit *e, unsigned long *lost, int force)
{
	struct spool *s = __atomic_load_n(&h->spool, __ATOMIC_ACQUIRE);
	*lost = 0;
	if (!s || (!force && !__atomic_load_n(&s->away, __ATOMIC_RELAXED)))
		return -EBUSY; /* the receiver is not known away: wait for the lock */
	long bound = bound_of(h->id);
	pthread_mutex_lock(&s->inbox_lock);
	for (size_t i = 0; i < e->n; i++) {
		size_t start = i ? e->rec[i - 1].end : 0;
		struct srec *r = (long)s->inbox.n < bound
			? srec_new(e->text + start, e->rec[i].end - start, e->rec[i].levelno, e->rec[i].levelname)
			: NULL;
		if (r) {
			list_push(&s->inbox, r);
			__atomic_add_fetch(&s->spooled, 1, __ATOMIC_RELAXED);
		} else {
			s->inbox_dropped++;
			(*lost)++;
		}
	}
	pthread_mutex_unlock(&s->inbox_lock);
	return *lost ? osfs_refuse(ENOBUFS, "the spool is full (%ld records): %lu dropped", bound, *lost)
		     : 0;
}

static struct spool *spool_of(struct log_handler *h)
{
	if (!h->spool) {
		struct spool *s = calloc(1, sizeof *s);
		if (!s)
			return NULL;
		pthread_mutex_init(&s->inbox_lock, NULL);
		__atomic_store_n(&h->spool, s, __ATOMIC_RELEASE);
	}
	adopt(h, h->spool);
	take_inbox(h, h->spool, bound_of(h->id));
	return h->spool;
}

/* What the peer acknowledged is done; what a connection that ended did not
 * acknowledge goes back to waiting, first. */
static void reconcile(struct log_handler *h, struct spool *s)
{
	while (s->unacked.head) {
		unsigned long conn = s->unacked.head->conn;
		uint64_t acked = 0;
		int live = h->cls->acked ? h->cls->acked(h, conn, &acked) : 0;
		while (s->unacked.head && s->unacked.head->conn == conn && s->unacked.head->end <= acked)
			free(list_pop(&s->unacked));
		if (live)
			return;
		struct list back = {0};
		while (s->unacked.head && s->unacked.head->conn == conn)
			list_push(&back, list_pop(&s->unacked));
		if (back.n) { /* sent, never acknowledged: not emitted after all */
			handler_emitted(h, -(long)back.n);
			s->spooled += back.n;
			list_prepend(&s->waiting, &back);
			mark_dirty();
		}
	}
}

/* The back-off: a SocketHandler's or DatagramHandler's retry arguments (Python's
 * 1 s, x2, 30 s by default); the classes that have none in Python (SysLogHandler,
 * HTTPHandler) start sooner: 0.25 s, x2, up to 30 s. */
static double retry_arg(const struct log_handler *h, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h->kwargs, key);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? v->valuedouble : dflt;
}

static void backoff(struct log_handler *h, struct spool *s)
{
	int python = h->cls->attrs == socket_attrs;
	s->period = s->next_try == 0 ? retry_arg(h, "retryStart", python ? 1.0 : SPOOL_RETRY_START)
				     : s->period * retry_arg(h, "retryFactor", 2.0);
	double max = retry_arg(h, "retryMax", 30.0);
	if (s->period > max)
		s->period = max;
	s->next_try = log_clock_ns() + (int64_t)(s->period * 1e9);
}

/* Record i of e, kept: to waiting (up to the bound), else dropped. */
static int keep(struct spool *s, long bound, const struct log_emit *e, size_t i)
{
	size_t start = i ? e->rec[i - 1].end : 0;
	if ((long)s->waiting.n >= bound) {
		s->dropped++;
		return 1;
	}
	struct srec *r = srec_new(e->text + start, e->rec[i].end - start, e->rec[i].levelno,
				  e->rec[i].levelname);
	if (!r) {
		s->dropped++;
		return 1;
	}
	list_push(&s->waiting, r);
	s->spooled++;
	return 0;
}

/* Sends e through the class: what went on a connection is kept as unacked.
 * Returns the class's answer; e->sent says how many went. */
static int send_some(struct log_handler *h, struct spool *s, struct log_emit *e)
{
	uint64_t *ends = h->cls->acked && e->n ? calloc(e->n, sizeof *ends) : NULL;
	if (h->cls->acked && e->n && !ends)
		return -ENOMEM;
	e->ends = ends;
	e->conn = 0;
	e->spooling = 1;
	e->sent = 0;
	int err = h->cls->emit(h, e);
	if (!err)
		e->sent = e->n;
	/* what the peer acknowledged already (often most of it, on a fast link) is
	 * not copied; the rest is kept until it is */
	uint64_t acked = 0;
	size_t i = 0;
	if (ends && e->conn && e->sent && !s->unacked.head) {
		h->cls->acked(h, e->conn, &acked);
		while (i < e->sent && ends[i] <= acked)
			i++;
	}
	for (; ends && e->conn && i < e->sent; i++) {
		size_t start = i ? e->rec[i - 1].end : 0;
		struct srec *r = srec_new(e->text + start, e->rec[i].end - start, e->rec[i].levelno,
					  e->rec[i].levelname);
		if (!r)
			continue; /* out of memory: taken as acknowledged */
		r->conn = e->conn;
		r->end = ends[i];
		list_push(&s->unacked, r);
	}
	free(ends);
	e->ends = NULL;
	return err;
}

/* The waiting records, sent again (until one fails): 0 when all went. */
static int resend(struct log_handler *h, struct spool *s, int64_t deadline)
{
	struct osfs_buf text = {0};
	size_t n = s->waiting.n;
	struct log_out *rec = n ? malloc(n * sizeof *rec) : NULL;
	if (n && !rec)
		return -ENOMEM;
	size_t i = 0;
	for (struct srec *r = s->waiting.head; r; r = r->next, i++) {
		osfs_buf_add(&text, r->text, r->len);
		rec[i] = (struct log_out){text.len, r->levelno, r->levelname};
	}
	int err = osfs_buf_error(&text);
	struct log_emit e = {.text = text.data, .rec = rec, .n = n, .deadline = deadline, .probe = 1};
	if (!err && n)
		err = send_some(h, s, &e);
	for (size_t k = 0; k < e.sent; k++)
		free(list_pop(&s->waiting));
	if (e.sent) {
		s->resent += e.sent;
		handler_emitted(h, (long)e.sent);
		mark_dirty();
	}
	osfs_buf_free(&text);
	free(rec);
	return err;
}

/* The receiver is away: said once in errors (not a lost record: none is). */
static void away(struct log_handler *h, struct spool *s, int err)
{
	if (s->away)
		return;
	__atomic_store_n(&s->away, 1, __ATOMIC_RELAXED);
	char node[320], why[OSFS_REFUSAL_MAX + 64];
	snprintf(node, sizeof node, "logging/handlers/%s", h->id);
	snprintf(why, sizeof why, "%s; records are spooled", osfs_refusal());
	osfs_errlog_add(getpid(), node, -err, why);
}

/* Waiting records go if their time has come: 0 if none is left waiting. */
static int flush_waiting(struct log_handler *h, struct spool *s, int64_t deadline)
{
	reconcile(h, s);
	if (!s->waiting.n)
		return 0;
	if (s->next_try && log_clock_ns() < s->next_try)
		return -EAGAIN;
	int err = resend(h, s, deadline);
	if (!err && !s->waiting.n) {
		s->next_try = 0;
		__atomic_store_n(&s->away, 0, __ATOMIC_RELAXED);
		return 0;
	}
	away(h, s, err ? err : -EAGAIN);
	osfs_refusal_clear();
	backoff(h, s);
	return -EAGAIN;
}

/* Whether a send's error says the receiver is away and may come back: a refused,
 * reset or broken connection, no route, a timeout, a server's 5xx (EAGAIN), a
 * Unix socket whose name is gone while its daemon restarts (ENOENT: /dev/log).
 * Anything else (a certificate not trusted, a login refused, TLS refused) is the
 * handler's error, as in Python: a receiver that will answer the same is not
 * waited for, and the records are counted as the handler's errors. */
static int receiver_away(int err)
{
	static const int away_errs[] = {ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ETIMEDOUT,
					EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN, ENOTCONN,
					EAGAIN, ENOENT};
	for (size_t i = 0; i < sizeof away_errs / sizeof away_errs[0]; i++)
		if (-err == away_errs[i])
			return 1;
	return 0;
}

int spool_emit(struct log_handler *h, struct log_emit *e, unsigned long *lost)
{
	*lost = 0;
	struct spool *s = spool_of(h);
	if (!s)
		return h->cls->emit(h, e);
	long bound = bound_of(h->id);
	size_t first = 0;
	if (flush_waiting(h, s, e->deadline) == 0) {
		int err = send_some(h, s, e);
		handler_emitted(h, (long)e->sent);
		if (err && !receiver_away(err)) {
			*lost = e->n - e->sent; /* the handler's errors, not kept */
			return err;
		}
		if (err) {
			away(h, s, err);
			osfs_refusal_clear();
			backoff(h, s);
		}
		first = e->sent;
	}
	for (size_t i = first; i < e->n; i++)
		*lost += (unsigned long)keep(s, bound, e, i);
	if (first < e->n)
		mark_dirty();
	e->sent = e->n; /* counted here: emitted, spooled or lost */
	return *lost ? osfs_refuse(ENOBUFS, "the spool is full (%ld records): %lu dropped", bound, *lost)
		     : 0;
}

void spool_retire(struct log_handler *h)
{
	struct spool *s = h->spool;
	if (!s)
		return;
	if (h->cls->release && h->cls->acked) /* closed first: what it acknowledged is final */
		h->cls->release(h);
	reconcile(h, s);
	take_inbox(h, s, bound_of(h->id));
	list_prepend(&s->waiting, &s->unacked);
	struct pending *p = s->waiting.n ? calloc(1, sizeof *p) : NULL;
	if (p && (p->id = strdup(h->id)) && (p->cls = strdup(h->cls->name))) {
		p->recs = s->waiting;
		s->waiting = (struct list){0};
		pthread_mutex_lock(&sp.lock);
		struct pending **end = &sp.pending;
		while (*end)
			end = &(*end)->next;
		*end = p;
		pthread_mutex_unlock(&sp.lock);
		mark_dirty();
	} else if (p) {
		free(p->id);
		free(p);
	}
	list_free(&s->waiting);
	list_free(&s->unacked);
	list_free(&s->inbox);
	pthread_mutex_destroy(&s->inbox_lock);
	free(s);
	h->spool = NULL;
}

void spool_stats(struct log_handler *h, struct osfs_buf *out)
{
	if (!h->cls->spool)
		return;
	/* read without the handler's lock (a send may hold it for its timeout): exact
	 * whenever no write is under way */
	const struct spool *s = __atomic_load_n(&h->spool, __ATOMIC_ACQUIRE);
	struct spool none = {0};
	if (!s)
		s = &none;
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
	osfs_buf_printf(out,
			"handler.%s.spool=%ld\nhandler.%s.spooled=%lu\nhandler.%s.resent=%lu\n"
			"handler.%s.dropped=%lu\nhandler.%s.waiting=%zu\nhandler.%s.unacked=%zu\n",
			h->id, bound_of(h->id), h->id, LOAD(s->spooled), h->id, LOAD(s->resent), h->id,
			LOAD(s->dropped) + LOAD(s->inbox_dropped), h->id, LOAD(s->waiting.n) + LOAD(s->inbox.n),
			h->id, LOAD(s->unacked.n));
#undef LOAD
}

/* ---- the spool file --------------------------------------------------------- */

static void put_list(struct osfs_buf *b, const struct list *l)
{
	for (const struct srec *r = l->head; r; r = r->next) {
		osfs_buf_printf(b, "record %d %s %zu\n", r->levelno, r->levelname ? r->levelname : "-", r->len);
		osfs_buf_add(b, r->text, r->len);
		osfs_buf_putc(b, '\n');
	}
}

static void put_handler(struct osfs_buf *b, const char *id, const char *cls, size_t n)
{
	osfs_buf_printf(b, "handler %zu %zu %zu\n%s%s\n", strlen(id), strlen(cls), n, id, cls);
}

/* The file's text: every live spool (unacked first), then what handlers that
 * went left.  -EAGAIN if a handler was busy (saved at the next tick). */
static int spool_text(struct osfs_buf *b)
{
	osfs_buf_puts(b, "osfs-spool 1\n");
	int err = 0;
	pthread_rwlock_rdlock(&log_lock);
	for (struct log_obj *o = log_reg.objects ? log_reg.objects->kind[OBJ_HANDLERS].first : NULL; o;
	     o = o->next) {
		struct log_handler *h = o->handler;
		if (!__atomic_load_n(&h->spool, __ATOMIC_ACQUIRE))
			continue;
		if (pthread_mutex_trylock(&h->lock) != 0) {
			err = -EAGAIN;
			continue;
		}
		struct spool *s = h->spool;
		if (s && s->waiting.n + s->unacked.n) {
			put_handler(b, h->id, h->cls->name, s->waiting.n + s->unacked.n);
			put_list(b, &s->unacked);
			put_list(b, &s->waiting);
		}
		pthread_mutex_unlock(&h->lock);
	}
	pthread_rwlock_unlock(&log_lock);
	pthread_mutex_lock(&sp.lock);
	for (const struct pending *p = sp.pending; p; p = p->next) {
		put_handler(b, p->id, p->cls, p->recs.n);
		put_list(b, &p->recs);
	}
	pthread_mutex_unlock(&sp.lock);
	return err ? err : osfs_buf_error(b);
}

/* Written to a fresh file (O_EXCL|O_NOFOLLOW, 0600) in the directory, fsync'ed,
 * renamed over the spool file; an empty spool removes it. */
static int save(void)
{
	if (sp.dirfd < 0)
		return 0;
	__atomic_store_n(&sp.dirty, 0, __ATOMIC_RELAXED);
	struct osfs_buf b = {0};
	int err = spool_text(&b);
	if (err) {
		mark_dirty();
		osfs_buf_free(&b);
		return err;
	}
	if (b.len == strlen("osfs-spool 1\n")) {
		osfs_buf_free(&b);
		return unlinkat(sp.dirfd, sp.name, 0) < 0 && errno != ENOENT ? -errno : 0;
	}
	char tmp[300];
	int fd = -EEXIST;
	for (int tries = 0; tries < 16 && fd == -EEXIST; tries++) {
		unsigned long long r = 0;
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			r = (unsigned long long)log_clock_ns() + (unsigned)tries;
		snprintf(tmp, sizeof tmp, ".%s.%012llx", sp.name, r & 0xffffffffffffULL);
		fd = openat(sp.dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			fd = -errno;
	}
	err = fd < 0 ? fd : 0;
	for (size_t off = 0; !err && off < b.len;) {
		ssize_t n = write(fd, b.data + off, b.len - off);
		if (n < 0 && errno != EINTR)
			err = -errno;
		off += n > 0 ? (size_t)n : 0;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (fd >= 0 && close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(sp.dirfd, tmp, sp.dirfd, sp.name) < 0)
		err = -errno;
	if (err && fd >= 0)
		unlinkat(sp.dirfd, tmp, 0);
	if (err) {
		char why[400];
		snprintf(why, sizeof why, "cannot save the spool file %s: %s", sp.name, strerror(-err));
		osfs_errlog_add(getpid(), "(spool)", -err, why);
		mark_dirty();
	} else {
		fsync(sp.dirfd);
	}
	osfs_buf_free(&b);
	return err;
}

/* Reads one "handler" or "record" header line and its bytes. */
static int parse(const char *p, const char *end)
{
	if ((size_t)(end - p) < 13 || memcmp(p, "osfs-spool 1\n", 13) != 0)
		return -EINVAL;
	p += 13;
	struct pending *last = NULL;
	while (p < end) {
		size_t idlen, clslen, n;
		int used = 0;
		char head[128];
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl - p >= (long)sizeof head)
			return -EINVAL;
		memcpy(head, p, (size_t)(nl - p));
		head[nl - p] = '\0';
		if (sscanf(head, "handler %zu %zu %zu%n", &idlen, &clslen, &n, &used) != 3 || head[used] ||
		    idlen == 0 || idlen > 255 || clslen > 255 || (size_t)(end - nl - 1) < idlen + clslen + 1 ||
		    nl[1 + idlen + clslen] != '\n')
			return -EINVAL;
		struct pending *pd = calloc(1, sizeof *pd);
		if (!pd || !(pd->id = strndup(nl + 1, idlen)) || !(pd->cls = strndup(nl + 1 + idlen, clslen))) {
			if (pd)
				free(pd->id);
			free(pd);
			return -ENOMEM;
		}
		if (last)
			last->next = pd;
		else
			sp.pending = pd;
		last = pd;
		p = nl + 1 + idlen + clslen + 1;
		for (size_t i = 0; i < n; i++) {
			int levelno;
			char name[64];
			size_t len;
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl || nl - p >= (long)sizeof head)
				return -EINVAL;
			memcpy(head, p, (size_t)(nl - p));
			head[nl - p] = '\0';
			used = 0;
			if (sscanf(head, "record %d %63s %zu%n", &levelno, name, &len, &used) != 3 || head[used] ||
			    (size_t)(end - nl - 1) < len + 1 || nl[1 + len] != '\n')
				return -EINVAL;
			static const char *const standard[] = {"CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"};
			const char *levelname = NULL;
			for (size_t k = 0; k < sizeof standard / sizeof standard[0]; k++)
				if (strcmp(standard[k], name) == 0)
					levelname = standard[k];
			struct srec *r = srec_new(nl + 1, len, levelno, levelname);
			if (!r)
				return -ENOMEM;
			list_push(&pd->recs, r);
			p = nl + 1 + len + 1;
		}
	}
	return 0;
}

static void pending_free(void)
{
	for (struct pending *p = sp.pending, *next; p; p = next) {
		next = p->next;
		list_free(&p->recs);
		free(p->id);
		free(p->cls);
		free(p);
	}
	sp.pending = NULL;
}

int log_spool_open(int dirfd, const char *name)
{
	sp.dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	sp.name = strdup(name);
	if (sp.dirfd < 0 || !sp.name)
		return osfs_refuse(ENOMEM, "cannot keep the spool file's directory");
	int fd = openat(sp.dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0
		       : osfs_refuse(errno, "cannot read the spool file %s: %s", name,
				     errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	struct stat st;
	const char *bad = fstat(fd, &st) < 0 ? strerror(errno)
		: !S_ISREG(st.st_mode) ? "not a regular file"
		: st.st_uid != geteuid() && st.st_uid != 0 ? "it belongs to another user"
		: (st.st_mode & 077) ? "others may read or write it"
		: NULL;
	if (bad) {
		close(fd);
		return osfs_refuse(EPERM, "refusing the spool file %s: %s", name, bad);
	}
	struct osfs_buf b = {0};
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		osfs_buf_add(&b, chunk, (size_t)n);
	int err = n < 0 ? -errno : osfs_buf_error(&b);
	close(fd);
	if (!err && b.len)
		err = parse(b.data, b.data + b.len);
	osfs_buf_free(&b);
	if (err) {
		pending_free();
		return osfs_refuse(-err, "the spool file %s is damaged (%s): it is not used",
				   name, strerror(-err));
	}
	return 0;
}

/* ---- the spool thread -------------------------------------------------------- */

/* Every handler with a spool: what waits is tried again when its time has come,
 * what was sent is checked for acknowledgement, records left by a handler of the
 * same name are taken; and the file saved. */
static void tick(void)
{
	struct log_handler **hs = NULL;
	size_t n = 0, cap = 0;
	pthread_rwlock_rdlock(&log_lock);
	for (struct log_obj *o = log_reg.objects ? log_reg.objects->kind[OBJ_HANDLERS].first : NULL; o;
	     o = o->next) {
		struct log_handler *h = o->handler;
		struct spool *s = __atomic_load_n(&h->spool, __ATOMIC_ACQUIRE);
		if (!h->cls->spool || (!s && !__atomic_load_n(&sp.pending, __ATOMIC_RELAXED)))
			continue;
		if (n == cap) {
			size_t c = cap ? 2 * cap : 8;
			struct log_handler **p = realloc(hs, c * sizeof *p);
			if (!p)
				break;
			hs = p;
			cap = c;
		}
		handler_ref(h);
		hs[n++] = h;
	}
	pthread_rwlock_unlock(&log_lock);
	for (size_t i = 0; i < n; i++) {
		struct log_handler *h = hs[i];
		pthread_mutex_lock(&h->lock);
		struct spool *s = spool_of(h);
		if (s && (s->waiting.n || s->unacked.n)) {
			int64_t deadline = h->timeout_ms ? log_clock_ns() + (int64_t)h->timeout_ms * 1000000 : 0;
			flush_waiting(h, s, deadline);
			osfs_refusal_clear();
		}
		pthread_mutex_unlock(&h->lock);
		handler_unref(h);
	}
	free(hs);
	if (__atomic_load_n(&sp.dirty, __ATOMIC_RELAXED) && log_clock_ns() - sp.saved_at >= SAVE_MS * 1000000LL) {
		save();
		sp.saved_at = log_clock_ns();
	}
}

static void *spool_main(void *arg)
{
	pthread_mutex_lock(&sp.lock);
	while (!sp.stop) {
		int64_t at = log_clock_ns() + TICK_MS * 1000000LL;
		struct timespec until = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000};
		pthread_cond_clockwait(&sp.wake, &sp.lock, CLOCK_MONOTONIC, &until);
		if (sp.stop || __atomic_load_n(&log_stopping_at, __ATOMIC_RELAXED))
			break;
		pthread_mutex_unlock(&sp.lock);
		tick();
		pthread_mutex_lock(&sp.lock);
	}
	pthread_mutex_unlock(&sp.lock);
	return NULL;
}

int log_spool_run(void)
{
	pthread_mutex_lock(&sp.lock);
	int err = sp.running ? 0 : osfs_thread_start(&sp.thread, spool_main, NULL);
	if (!err)
		sp.running = 1;
	pthread_mutex_unlock(&sp.lock);
	return err ? -err : 0;
}

void spool_stop_thread(void)
{
	pthread_mutex_lock(&sp.lock);
	int running = sp.running;
	sp.stop = 1;
	sp.running = 0;
	pthread_cond_signal(&sp.wake);
	pthread_mutex_unlock(&sp.lock);
	if (running)
		pthread_join(sp.thread, NULL);
}

void spool_fini(void)
{
	if (sp.dirfd >= 0 && __atomic_load_n(&sp.dirty, __ATOMIC_RELAXED))
		save();
	pthread_mutex_lock(&sp.lock);
	pending_free();
	cJSON_Delete(sp.bounds);
	sp.bounds = NULL;
	if (sp.dirfd >= 0)
		close(sp.dirfd);
	sp.dirfd = -1;
	free(sp.name);
	sp.name = NULL;
	sp.stop = 0;
	pthread_mutex_unlock(&sp.lock);
}
