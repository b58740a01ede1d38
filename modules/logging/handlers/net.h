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

#endif
