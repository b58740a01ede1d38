/* What the network handlers share: ports as Python takes them, names resolved
 * in bounded time (in a helper thread: a resolver that never answers costs the
 * timeout, not a hung daemon), when the handler is made and never per record, and
 * sends that give up at the write's deadline. */
#ifndef OSFS_LOGGING_NET_H
#define OSFS_LOGGING_NET_H

#include <netdb.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#define NET_RESOLVE_MS 5000 /* a handler without a timeout of its own waits this long */

struct net_address {
	struct sockaddr_storage addr;
	socklen_t len;
	int family;
	char text[300]; /* for messages */
};

/* An integer 0..65535, as socket's getsockaddrarg checks it: 0 or -EINVAL. */
int net_port(const cJSON *v, int *port);
/* getaddrinfo, answered within timeout_ms (else -ETIMEDOUT, the lookup left to
 * finish on its own); *res to freeaddrinfo. */
int net_lookup(const char *host, const char *service, int socktype, int timeout_ms,
	       struct addrinfo **res);
/* host and port, resolved into a. */
int net_address_of(const char *host, int port, int socktype, int timeout_ms, struct net_address *a);
/* host and port (port null: a Unix socket path) from kwargs, resolved. */
int net_resolve(const cJSON *kwargs, int socktype, struct net_address *a, int timeout_ms);
/* A socket of that type; stream sockets are connected within timeout_ms. */
int net_connect(const struct net_address *a, int socktype, int timeout_ms);
/* Sends len bytes (a datagram whole) before the deadline (CLOCK_MONOTONIC ns;
 * 0: none): 0, or -errno (-ETIMEDOUT when the peer did not take them in time).
 * *done (if not NULL): the bytes the kernel took. */
int net_send(int fd, const void *p, size_t len, int stream, const struct sockaddr *to,
	     socklen_t tolen, int64_t deadline, size_t *done);

/* A connection whose bytes are counted, so that what the peer's TCP has not
 * acknowledged is known (SIOCOUTQ) when it ends: a spool sends those records
 * again.  Each connection has a number of its own (never 0). */
struct net_stream {
	int fd;
	unsigned long conn;      /* the connection's number; 0: none yet */
	uint64_t sent;           /* bytes sent on it */
	unsigned long last_conn; /* the last one closed, and what its peer acknowledged */
	uint64_t last_acked;
};
void net_stream_opened(struct net_stream *st, int fd);
/* Closed, after waiting a little for the peer to acknowledge what it was sent;
 * what it has not acknowledged then is discarded (an abortive close), so that it
 * cannot arrive after a spool sent it again. */
void net_stream_close(struct net_stream *st);
/* Bytes of connection conn acknowledged; 1 if conn is open and its peer has not
 * closed it (a peer's close is seen here, before anything more is sent: the
 * connection is closed then), else 0. */
int net_stream_acked(struct net_stream *st, unsigned long conn, uint64_t *acked);

/* Python's SocketHandler back-off: the first retry after start seconds, each
 * next one factor times later, up to max. */
struct net_retry {
	double start, factor, max;
	double time, period; /* time < 0: try at once */
};
/* 0 if a try is due now, else -ECONNREFUSED with the seconds to wait in *wait. */
int net_retry_due(struct net_retry *r, double *wait);
void net_retry_failed(struct net_retry *r);
void net_retry_ok(struct net_retry *r);

/* After a datagram sent on a connected socket: whether the receiver refused it
 * (ICMP port unreachable) within PROBE_MS: 0, or -ECONNREFUSED (-errno). */
#define NET_PROBE_MS 50
int net_probe(int fd, int64_t deadline);

#endif
