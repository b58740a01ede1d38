/* Addresses, lookups and sends for the network handlers. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

int net_port(const cJSON *v, int *port)
{
	if (cJSON_IsBool(v)) { /* a bool is an int in Python */
		*port = cJSON_IsTrue(v);
		return 0;
	}
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 65535) ||
	    v->valuedouble != (double)(int)v->valuedouble)
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
	/* A datagram socket is connected too: a receiver that is gone (ICMP port
	 * unreachable) is then reported, by the next send, as ECONNREFUSED. */
	if (socktype == SOCK_DGRAM && a->family != AF_UNIX && connect(fd, (const struct sockaddr *)&a->addr, a->len) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
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

static unsigned long connections; /* numbers given to connections */

void net_stream_opened(struct net_stream *st, int fd)
{
	st->fd = fd;
	st->conn = __atomic_add_fetch(&connections, 1, __ATOMIC_RELAXED);
	st->sent = 0;
}

/* Bytes sent on fd that its peer's TCP has not acknowledged (for a Unix socket:
 * not read), or -1 if unknown. */
static long long unacked(int fd)
{
	int outq = 0;
	return ioctl(fd, SIOCOUTQ, &outq) == 0 && outq >= 0 ? outq : -1;
}

/* Whether the peer has closed (or reset) the connection. */
static int peer_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

#define ACK_WAIT_MS 20 /* what a close waits for the peer's last acknowledgements */

void net_stream_close(struct net_stream *st)
{
	if (st->fd < 0)
		return;
	long long outq = unacked(st->fd);
	for (int waited = 0; outq > 0 && waited < ACK_WAIT_MS && !peer_gone(st->fd) &&
			     log_ms_left(0) != 0; waited++) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
		outq = unacked(st->fd);
	}
	if (outq != 0) { /* unacknowledged: discarded, not delivered later */
		struct linger l = {1, 0};
		setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	}
	st->last_conn = st->conn;
	st->last_acked = outq < 0 ? 0 : outq > (long long)st->sent ? 0 : st->sent - (uint64_t)outq;
	close(st->fd);
	st->fd = -1;
}

int net_stream_acked(struct net_stream *st, unsigned long conn, uint64_t *acked)
{
	if (st->fd >= 0 && conn == st->conn) {
		long long outq = unacked(st->fd);
		if (outq >= 0 && !peer_gone(st->fd)) {
			*acked = outq > (long long)st->sent ? 0 : st->sent - (uint64_t)outq;
			return 1;
		}
		net_stream_close(st);
	}
	*acked = conn && conn == st->last_conn ? st->last_acked : 0;
	return 0;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int net_retry_due(struct net_retry *r, double *wait)
{
	double t = wall();
	*wait = r->time >= 0 && t < r->time ? r->time - t : 0;
	return *wait > 0 ? -ECONNREFUSED : 0;
}

void net_retry_failed(struct net_retry *r)
{
	r->period = r->time < 0 ? r->start : r->period * r->factor;
	if (r->period > r->max)
		r->period = r->max;
	r->time = wall() + r->period;
}

void net_retry_ok(struct net_retry *r)
{
	r->time = -1;
}

int net_probe(int fd, int64_t deadline)
{
	int left = log_ms_left(deadline);
	struct pollfd p[2] = {{.fd = fd, .events = 0}, {.fd = log_wake_fd(), .events = POLLIN}};
	if (poll(p, 2, left < 0 || left > NET_PROBE_MS ? NET_PROBE_MS : left) <= 0 || !(p[0].revents & POLLERR))
		return 0;
	int soerr = 0;
	socklen_t len = sizeof soerr;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	return soerr ? -soerr : 0;
}
