/* logging.handlers.DatagramHandler: SocketHandler's pickles, one datagram per
 * record, over UDP (or a Unix datagram socket).  The socket is connected, so that
 * a receiver that is gone is reported (ECONNREFUSED) by the next send. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"
#include "net.h"
#include "osfs/refuse.h"

#define TIMEOUT_MS 1000 /* a full socket buffer holds a write no longer than this */

struct datagram {
	struct net_address a;
	int fd;
};

static const char *const params[] = {"host", "port", NULL};

static int datagram_open(struct log_handler *h, const cJSON *kwargs)
{
	struct datagram *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->fd = -1;
	h->state = d;
	h->timeout_ms = TIMEOUT_MS;
	int err = net_resolve(kwargs, SOCK_DGRAM, &d->a, NET_RESOLVE_MS);
	if (!err && (d->fd = net_connect(&d->a, SOCK_DGRAM, TIMEOUT_MS)) < 0)
		err = osfs_refuse(-d->fd, "socket: %s", strerror(-d->fd));
	return err;
}

static int datagram_emit(struct log_handler *h, struct log_emit *e)
{
	struct datagram *d = h->state;
	for (; e->sent < e->n; e->sent++) {
		size_t start = e->sent ? e->rec[e->sent - 1].end : 0;
		int unix_path = d->a.family == AF_UNIX; /* not connected: it may not exist yet */
		int err = net_send(d->fd, e->text + start, e->rec[e->sent].end - start, 0,
				   unix_path ? (const struct sockaddr *)&d->a.addr : NULL,
				   unix_path ? d->a.len : 0, e->deadline, NULL);
		if (!err && e->probe && e->sent == 0) /* is the receiver back? */
			err = net_probe(d->fd, e->deadline);
		if (err)
			return osfs_refuse(-err, "send to %s: %s", d->a.text, strerror(-err));
	}
	return 0;
}

static void datagram_render(struct log_handler *h, const struct log_record *r, struct osfs_buf *out)
{
	log_pickle_record(r, out);
}

static void datagram_close(struct log_handler *h)
{
	struct datagram *d = h->state;
	if (d && d->fd >= 0)
		close(d->fd);
	free(d);
}

const struct handler_class datagram_handler = {
	.name = "logging.handlers.DatagramHandler",
	.params = params,
	.attrs = socket_attrs,
	.open = datagram_open,
	.emit = datagram_emit,
	.render = datagram_render,
	.close = datagram_close,
	.spool = SPOOL_DATAGRAM,
};
