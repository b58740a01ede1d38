/* The frames between the daemon and its ffi worker: a fixed header (magic, the
 * request's sequence number, the body's length, status, errno), then the body.
 * A frame goes out in one sendmsg and usually comes in with one read; everything
 * read is checked before it is believed, and a frame that is not the answer
 * expected (another number, a length past the bound, bytes after it) says the
 * channel is out of step: the caller replaces the worker. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ffi_internal.h"

#define RX_MIN 65536
#define RX_KEEP (1u << 20) /* a buffer grown past this is given back after use */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ffi_frame_send(int fd, struct ffi_frame *head, const struct iovec *parts, int nparts)
{
	struct iovec iov[8];
	size_t total = sizeof *head;
	int n = 1;
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof *head;
	for (int i = 0; i < nparts && n < 8; i++)
		if (parts[i].iov_len) {
			iov[n++] = parts[i];
			total += parts[i].iov_len;
		}
	head->magic = FFI_FRAME_MAGIC;
	head->len = (uint32_t)(total - sizeof *head);
	struct iovec *v = iov;
	while (total) {
		struct msghdr msg = {.msg_iov = v, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL); /* a closed peer is an error, not a signal */
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -EPIPE;
		total -= (size_t)w;
		while (n && (size_t)w >= v->iov_len) { /* a part sent short: on from where it stopped */
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int grow(struct ffi_rx *rx, size_t want)
{
	if (rx->cap >= want)
		return 0;
	size_t cap = rx->cap ? rx->cap : RX_MIN;
	while (cap < want)
		cap *= 2;
	char *p = realloc(rx->data, cap);
	if (!p)
		return -1;
	rx->data = p;
	rx->cap = cap;
	return 0;
}

int ffi_frame_recv(int fd, uint32_t seq, int any_seq, size_t max, int timeout_ms,
		   struct ffi_rx *rx, struct ffi_frame *head, const char **body)
{
	if (rx->cap > RX_KEEP) { /* one large answer does not keep its memory */
		free(rx->data);
		rx->data = NULL;
		rx->cap = 0;
	}
	if (grow(rx, RX_MIN))
		return -EPIPE;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	size_t got = 0, need = sizeof *head;
	int first = 1;
	while (got < need) {
		if (!first) { /* the first read may block (the socket's own timeout bounds it) */
			int left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());
			if (timeout_ms >= 0 && left <= 0)
				return -ETIMEDOUT;
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int r = poll(&p, 1, left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return -ETIMEDOUT;
			if (r < 0)
				return -EPIPE;
		}
		first = 0;
		ssize_t n = read(fd, rx->data + got, rx->cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -ETIMEDOUT;
		if (n <= 0)
			return -EPIPE;
		got += (size_t)n;
		if (need == sizeof *head && got >= sizeof *head) {
			memcpy(head, rx->data, sizeof *head);
			if (head->magic != FFI_FRAME_MAGIC || (!any_seq && head->seq != seq) || head->len > max)
				return -EPROTO;
			need += head->len;
			if (grow(rx, need))
				return -EPIPE;
		}
	}
	if (got > need) /* more than one frame: someone else writes to the channel */
		return -EPROTO;
	*body = rx->data + sizeof *head;
	return 0;
}

void ffi_rx_free(struct ffi_rx *rx)
{
	free(rx->data);
	rx->data = NULL;
	rx->cap = 0;
}

int ffi_answer_check(const struct ffi_frame *h, const char *body)
{
	uint32_t liblen;
	if (h->len < 4 || h->status < 0 || h->status > 4095)
		return -EPROTO;
	memcpy(&liblen, body, 4);
	if (liblen > h->len - 4 || memchr(body + 4, '\0', h->len - 4)) /* text has no NUL */
		return -EPROTO;
	return 0;
}
