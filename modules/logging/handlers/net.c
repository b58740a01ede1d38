/* Addresses and connections for the socket handlers. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "osfs/refuse.h"

int net_resolve(const cJSON *kwargs, int socktype, struct net_address *a)
{
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(kwargs, "host");
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(kwargs, "port");
	memset(a, 0, sizeof *a);
	if (!cJSON_IsString(host))
		return osfs_refuse(EINVAL, "the handler needs a host (or a socket path with port null)");
	if (!port || cJSON_IsNull(port)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->addr;
		if (strlen(host->valuestring) >= sizeof un->sun_path)
			return osfs_refuse(ENAMETOOLONG, "socket path too long");
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, host->valuestring);
		a->len = sizeof *un;
		a->family = AF_UNIX;
		snprintf(a->text, sizeof a->text, "%s", host->valuestring);
		return 0;
	}
	if (!cJSON_IsNumber(port))
		return osfs_refuse(EINVAL, "port is a number");
	char service[16];
	snprintf(service, sizeof service, "%d", port->valueint);
	struct addrinfo hints = {.ai_socktype = socktype}, *res;
	int gai = getaddrinfo(host->valuestring, service, &hints, &res);
	if (gai)
		return osfs_refuse(EINVAL, "cannot resolve %s: %s", host->valuestring, gai_strerror(gai));
	memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	a->family = res->ai_family;
	freeaddrinfo(res);
	snprintf(a->text, sizeof a->text, "%s:%s", host->valuestring, service);
	return 0;
}

int net_connect(const struct net_address *a, int socktype, int timeout_ms)
{
	int fd = socket(a->family, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (socktype == SOCK_STREAM && connect(fd, (const struct sockaddr *)&a->addr, a->len) < 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int soerr = errno;
		socklen_t len = sizeof soerr;
		if (errno == EINPROGRESS && poll(&p, 1, timeout_ms) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		else if (errno == EINPROGRESS)
			soerr = ETIMEDOUT;
		if (soerr) {
			close(fd);
			return -soerr;
		}
	}
	/* Blocking again, but a send waits no longer than the timeout. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}
