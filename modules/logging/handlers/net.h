/* What the socket handlers share: an address from host and port (port null: a
 * Unix socket path), resolved when the handler is made, never per record. */
#ifndef OSFS_LOGGING_NET_H
#define OSFS_LOGGING_NET_H

#include <sys/socket.h>

#include <cjson/cJSON.h>

struct net_address {
	struct sockaddr_storage addr;
	socklen_t len;
	int family;
	char text[300]; /* for messages */
};

int net_resolve(const cJSON *kwargs, int socktype, struct net_address *a);
/* A socket of that type; stream sockets are connected within timeout_ms. */
int net_connect(const struct net_address *a, int socktype, int timeout_ms);

#endif
