/* logging.handlers.SocketHandler: each record's pickled attribute dict over TCP
 * (or a Unix stream socket), as Python's receivers read it.  A receiver that is
 * down is retried with Python's back-off (retryStart, retryFactor, retryMax);
 * meanwhile records wait in the handler's spool (spool.c), or, without one, are
 * counted as handler errors rather than dropped unseen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"
#include "net.h"
#include "osfs/refuse.h"

#define TIMEOUT_MS 1000 /* Python's makeSocket(timeout=1) */

struct sock {
	struct net_address a;
	struct net_stream st;
	struct net_retry retry;
};

static const char *const params[] = {"host", "port", "retryStart", "retryFactor", "retryMax", NULL};
/* Python's attributes (the '.' key); osfs takes them as keyword arguments too */
const struct handler_attr socket_attrs[] = {
	{"retryStart", ATTR_NUMBER, 1}, {"retryFactor", ATTR_NUMBER, 1}, {"retryMax", ATTR_NUMBER, 1},
	{NULL, 0, 0}};

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
	s->st.fd = -1;
	s->retry = (struct net_retry){number(kwargs, "retryStart", 1.0), number(kwargs, "retryFactor", 2.0),
				      number(kwargs, "retryMax", 30.0), -1, 0};
	h->state = s;
	h->timeout_ms = TIMEOUT_MS; /* a write waits for the receiver no longer than this */
	return net_resolve(kwargs, SOCK_STREAM, &s->a, NET_RESOLVE_MS); /* connected at the first record */
}

/* createSocket: try now, or not before the back-off's next time. */
static int ensure_connected(struct sock *s, int timeout_ms)
{
	if (s->st.fd >= 0)
		return 0;
	double wait;
	if (net_retry_due(&s->retry, &wait))
		return osfs_refuse(ECONNREFUSED, "%s is down; next try in %.1f s", s->a.text, wait);
	int fd = timeout_ms ? net_connect(&s->a, SOCK_STREAM, timeout_ms) : -ETIMEDOUT;
	if (fd >= 0) {
		net_stream_opened(&s->st, fd);
		net_retry_ok(&s->retry);
		return 0;
	}
	net_retry_failed(&s->retry);
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
	uint64_t base = s->st.sent;
	err = net_send(s->st.fd, e->text, e->n ? e->rec[e->n - 1].end : 0, 1, NULL, 0, e->deadline, &done);
	s->st.sent += done;
	e->conn = s->st.conn;
	for (; e->sent < e->n && e->rec[e->sent].end <= done; e->sent++)
		if (e->ends)
			e->ends[e->sent] = base + e->rec[e->sent].end;
	if (err) { /* closed, so that the next record tries again */
		net_stream_close(&s->st);
		return osfs_refuse(-err, "send to %s: %s", s->a.text, strerror(-err));
	}
	return 0;
}

static int socket_acked(struct log_handler *h, unsigned long conn, uint64_t *acked)
{
	return net_stream_acked(&((struct sock *)h->state)->st, conn, acked);
}

static void socket_render(struct log_handler *h, const struct log_record *r, struct osfs_buf *out)
{
	log_pickle_record(r, out);
}

/* The connection closed; the next record connects again at once. */
static void socket_release(struct log_handler *h)
{
	net_stream_close(&((struct sock *)h->state)->st);
}

static void socket_close(struct log_handler *h)
{
	struct sock *s = h->state;
	if (s)
		net_stream_close(&s->st);
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
	.spool = SPOOL_STREAM,
	.acked = socket_acked,
};
