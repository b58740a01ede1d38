/* Stopping: when the daemon stops (SIGTERM, an unmount) its handlers get a short
 * budget to deliver what they hold, and then every wait ends.  From log_stop() on,
 * log_ms_left() counts down to the stop's deadline whatever a handler's own
 * timeout; at the deadline a waker wakes the waits under way: the descriptor of
 * log_wake_fd() (in each handler's poll set) becomes readable and the sockets
 * libcurl opened are shut down.  What is then undelivered is a handler error, as
 * any record a receiver did not take in time. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "osfs/thread.h"

int64_t log_stopping_at;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t ended;
	int fd;         /* the eventfd, -1 until first asked for */
	int socks[256]; /* libcurl's sockets open now */
	size_t nsocks;
	int running, ending, started;
	pthread_t waker;
} stop = {.lock = PTHREAD_MUTEX_INITIALIZER, .ended = PTHREAD_COND_INITIALIZER, .fd = -1};

int log_wake_fd(void)
{
	pthread_mutex_lock(&stop.lock);
	if (stop.fd < 0)
		stop.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int fd = stop.fd;
	pthread_mutex_unlock(&stop.lock);
	return fd;
}

void log_socket_opened(int fd)
{
	pthread_mutex_lock(&stop.lock);
	if (stop.nsocks < sizeof stop.socks / sizeof stop.socks[0])
		stop.socks[stop.nsocks++] = fd;
	int late = __atomic_load_n(&log_stopping_at, __ATOMIC_RELAXED) && !stop.running;
	pthread_mutex_unlock(&stop.lock);
	if (late) /* opened after the waker woke everyone: no wait for it */
		shutdown(fd, SHUT_RDWR);
}

void log_socket_closed(int fd)
{
	pthread_mutex_lock(&stop.lock);
	for (size_t i = 0; i < stop.nsocks; i++) {
		if (stop.socks[i] == fd) {
			stop.socks[i] = stop.socks[--stop.nsocks];
			break;
		}
	}
	pthread_mutex_unlock(&stop.lock);
}

/* Waits for the deadline (or log_stop_end), then wakes every wait. */
static void *waker(void *arg)
{
	int64_t at = __atomic_load_n(&log_stopping_at, __ATOMIC_RELAXED);
	struct timespec until = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000};
	pthread_mutex_lock(&stop.lock);
	while (!stop.ending &&
	       pthread_cond_clockwait(&stop.ended, &stop.lock, CLOCK_MONOTONIC, &until) == 0)
		;
	uint64_t one = 1;
	if (stop.fd >= 0 && write(stop.fd, &one, sizeof one) < 0)
		(void)0; /* already readable */
	for (size_t i = 0; i < stop.nsocks; i++)
		shutdown(stop.socks[i], SHUT_RDWR);
	stop.running = 0;
	pthread_mutex_unlock(&stop.lock);
	return NULL;
}

void log_stop(int budget_ms)
{
	log_wake_fd();
	__atomic_store_n(&log_stopping_at, log_clock_ns() + (int64_t)budget_ms * 1000000,
	                 __ATOMIC_RELAXED);
	pthread_mutex_lock(&stop.lock);
	stop.running = stop.started = osfs_thread_start(&stop.waker, waker, NULL) == 0;
	int started = stop.started;
	pthread_mutex_unlock(&stop.lock);
	if (!started) /* no thread: wake everything now */
		waker(NULL);
}

void log_stop_end(void)
{
	pthread_mutex_lock(&stop.lock);
	stop.ending = 1;
	pthread_cond_signal(&stop.ended);
	int joinable = stop.started;
	stop.started = 0;
	pthread_mutex_unlock(&stop.lock);
	if (joinable)
		pthread_join(stop.waker, NULL);
	pthread_mutex_lock(&stop.lock);
	if (stop.fd >= 0)
		close(stop.fd);
	stop.fd = -1;
	pthread_mutex_unlock(&stop.lock);
}
