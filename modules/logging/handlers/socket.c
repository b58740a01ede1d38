/* logging.handlers.SocketHandler: each record's pickled attribute dict over TCP
 * (or a Unix stream socket), as Python's receivers read it.  A receiver that is
 * down is retried with Python's back-off (retryStart, retryFactor, retryMax);
 * meanwhile records are counted as handler errors rather than dropped unseen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../internal.h"
#include "net.h"
#include "osfs/refuse.h"

#define TIMEOUT_MS 1000 /* Python's makeSocket(timeout=1) */

struct sock {
	struct net_address a;
	int fd;
	double retry_time, retry_period; /* retry_time < 0: try at once */
	double retry_start, retry_factor, retry_max;
};

static const char *const params[] = {"host", "port", "retryStart", "retryFactor", "retryMax", NULL};
/* Python's attributes (the '.' key); osfs takes them as keyword arguments too */
const struct handler_attr socket_attrs[] = {
	{"retryStart", ATTR_NUMBER, 1}, {"retryFactor", ATTR_NUMBER, 1}, {"retryMax", ATTR_NUMBER, 1},
	{NULL, 0, 0}};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double number(const cJSON *kwargs, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kwargs, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int socket_open(struct log_handler *h, const cJSON *kwargs)
{
	struct sock *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->retry_time = -1;
	s->retry_start = number(kwargs, "retryStart", 1.0);
	s->retry_factor = number(kwargs, "retryFactor", 2.0);
	s->retry_max = number(kwargs, "retryMax", 30.0);
	h->state = s;
	h->timeout_ms = TIMEOUT_MS; /* a write waits for the receiver no longer than this */
	return net_resolve(kwargs, SOCK_STREAM, &s->a, NET_RESOLVE_MS); /* connected at the first record */
}

/* createSocket: try now, or not before retry_time; the period grows to retry_max. */
static int ensure_connected(struct sock *s, int timeout_ms)
{
	if (s->fd >= 0)
		return 0;
	double t = now();
	if (s->retry_time >= 0 && t < s->retry_time)
		return osfs_refuse(ECONNREFUSED, "%s is down; next try in %.1f s", s->a.text,
				   s->retry_time - t);
	int fd = timeout_ms ? net_connect(&s->a, SOCK_STREAM, timeout_ms) : -ETIMEDOUT;
	if (fd >= 0) {
		s->fd = fd;
		s->retry_time = -1;
		return 0;
	}
	s->retry_period = s->retry_time < 0 ? s->retry_start : s->retry_period * s->retry_factor;
	if (s->retry_period > s->retry_max)
		s->retry_period = s->retry_max;
	s->retry_time = t + s->retry_period;
	return osfs_refuse(-fd, "cannot connect to %s: %s", s->a.text, strerror(-fd));
}

static int socket_emit(struct log_handler *h, struct log_emit *e)
{
	struct sock *s = h->state;
	int err = ensure_connected(s, log_ms_left(e->deadline));
	if (err)
		return err;
	/* The records of the write in one send, done by the deadline; a record is
	 * sent when all its bytes are (a record cut short is lost with the link). */
	size_t done;
	err = net_send(s->fd, e->text, e->n ? e->rec[e->n - 1].end : 0, 1, NULL, 0, e->deadline, &done);
	while (e->sent < e->n && e->rec[e->sent].end <= done)
		e->sent++;
	if (err) { /* closed, so that the next record tries again */
		close(s->fd);
		s->fd = -1;
		return osfs_refuse(-err, "send to %s: %s", s->a.text, strerror(-err));
	}
	return 0;
}

static void socket_render(struct log_handler *h, const struct log_record *r, struct osfs_buf *out)
{
	log_pickle_record(r, out);
}

/* The connection closed; the next record connects again at once. */
static void socket_release(struct log_handler *h)
{
	struct sock *s = h->state;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void socket_close(struct log_handler *h)
{
	struct sock *s = h->state;
	if (s && s->fd >= 0)
		close(s->fd);
	free(s);
}

const struct handler_class socket_handler = {
	.name = "logging.handlers.SocketHandler",
	.params = params,
	.attrs = socket_attrs,
	.open = socket_open,
	.emit = socket_emit,
	.render = socket_render,
	.release = socket_release,
	.close = socket_close,
};
