/* Addresses, lookups and sends for the network handlers. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

int net_port(const cJSON *v, int *port)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
	    v->valuedouble < 0 || v->valuedouble > 65535)
		return osfs_refuse(EINVAL, "port must be 0-65535");
	*port = (int)v->valuedouble;
	return 0;
}

/* A lookup in its own thread: whoever finishes last (the waiter, gone at its
 * deadline, or the thread) frees it. */
struct lookup {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int finished, abandoned;
	char *host, *service;
	struct addrinfo hints, *res;
	int gai;
};

static void lookup_free(struct lookup *l)
{
	if (l->res)
		freeaddrinfo(l->res);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->done);
	free(l->host);
	free(l->service);
	free(l);
}

static void *resolve(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(l->host, l->service, &l->hints, &res);
	pthread_mutex_lock(&l->lock);
	l->res = res;
	l->gai = gai;
	l->finished = 1;
	int abandoned = l->abandoned;
	pthread_cond_signal(&l->done);
	pthread_mutex_unlock(&l->lock);
	if (abandoned)
		lookup_free(l);
	return NULL;
}

int net_lookup(const char *host, const char *service, int socktype, int timeout_ms,
	       struct addrinfo **res)
{
	struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	if (getaddrinfo(host, service, &hints, res) == 0) /* an address: no lookup */
		return 0;
	struct lookup *l = calloc(1, sizeof *l);
	if (!l || !(l->host = strdup(host)) || !(l->service = strdup(service))) {
		if (l)
			free(l->host);
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done, NULL);
	l->hints = (struct addrinfo){.ai_socktype = socktype};
	pthread_t t;
	if (osfs_thread_start(&t, resolve, l) != 0) {
		lookup_free(l);
		return osfs_refuse(EAGAIN, "cannot resolve %s: no thread to do it", host);
	}
	pthread_detach(t);
	int64_t deadline = log_clock_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec until = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
	pthread_mutex_lock(&l->lock);
	while (!l->finished &&
	       pthread_cond_clockwait(&l->done, &l->lock, CLOCK_MONOTONIC, &until) != ETIMEDOUT)
		;
	if (!l->finished) {
		l->abandoned = 1;
		pthread_mutex_unlock(&l->lock);
		return osfs_refuse(ETIMEDOUT, "cannot resolve %s: no answer within %d ms", host, timeout_ms);
	}
	pthread_mutex_unlock(&l->lock);
	int gai = l->gai;
	*res = l->res;
	l->res = NULL;
	lookup_free(l);
	return gai ? osfs_refuse(EINVAL, "cannot resolve %s: %s", host, gai_strerror(gai)) : 0;
}

int net_resolve(const cJSON *kwargs, int socktype, struct net_address *a, int timeout_ms)
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
	int number;
	int err = net_port(port, &number);
	return err ? err : net_address_of(host->valuestring, number, socktype, timeout_ms, a);
}

int net_address_of(const char *host, int port, int socktype, int timeout_ms, struct net_address *a)
{
	char service[16];
	snprintf(service, sizeof service, "%d", port);
	struct addrinfo *res;
	int err = net_lookup(host, service, socktype, timeout_ms, &res);
	if (err)
		return err;
	memset(a, 0, sizeof *a);
	memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	a->family = res->ai_family;
	freeaddrinfo(res);
	snprintf(a->text, sizeof a->text, "%s:%s", host, service);
	return 0;
}

int net_connect(const struct net_address *a, int socktype, int timeout_ms)
{
	int fd = socket(a->family, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (socktype == SOCK_STREAM && connect(fd, (const struct sockaddr *)&a->addr, a->len) < 0) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = log_wake_fd(), .events = POLLIN}};
		int soerr = errno;
		socklen_t len = sizeof soerr;
		if (errno == EINPROGRESS && poll(p, 2, timeout_ms) > 0 && p[0].revents)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		else if (errno == EINPROGRESS)
			soerr = ETIMEDOUT; /* or osfs stops */
		if (soerr) {
			close(fd);
			return -soerr;
		}
	}
	return fd; /* non-blocking: net_send waits, up to the deadline */
}

int net_send(int fd, const void *p, size_t len, int stream, const struct sockaddr *to,
	     socklen_t tolen, int64_t deadline, size_t *done)
{
	const char *at = p;
	size_t ignored;
	done = done ? done : &ignored;
	*done = 0;
	while (len) {
		ssize_t n = to ? sendto(fd, at, len, MSG_NOSIGNAL | MSG_DONTWAIT, to, tolen)
			       : send(fd, at, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			struct pollfd w[2] = {{.fd = fd, .events = POLLOUT}, {.fd = log_wake_fd(), .events = POLLIN}};
			int left = log_ms_left(deadline);
			if (left == 0 || poll(w, 2, left) == 0 || (w[1].revents && !w[0].revents))
				return -ETIMEDOUT; /* in time, or osfs stops */
			continue;
		}
		if (n < 0)
			return -errno;
		*done += (size_t)n;
		if (!stream)
			return 0;
		at += n;
		len -= (size_t)n;
	}
	return 0;
}
