/* Refusals: the thread-local message of the last refusal, and the bounded errors log. */
#include "osfs/refuse.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "osfs/errno.h"

static __thread char last[OSFS_REFUSAL_MAX];

int osfs_refuse(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last, sizeof last, fmt, ap);
	va_end(ap);
	return -err;
}

const char *osfs_refusal(void)
{
	return last;
}

void osfs_refusal_clear(void)
{
	last[0] = '\0';
}

/* A ring of malloc'd lines: head is the oldest, count how many are kept. */
static struct {
	pthread_mutex_t lock;
	char *lines[OSFS_ERRLOG_LINES];
	unsigned head, count;
	unsigned long total;
} log_ring = {.lock = PTHREAD_MUTEX_INITIALIZER};

void osfs_errlog_add(pid_t pid, const char *node, int err, const char *msg)
{
	char ebuf[128];
	if (!msg || !*msg)
		msg = last[0] ? last : strerror_r(err, ebuf, sizeof ebuf);
	const char *name = osfs_errno_name(err);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);

	struct osfs_buf line = {0};
	osfs_buf_printf(&line, "%lld.%09ld %d %s %s: ", (long long)ts.tv_sec, ts.tv_nsec,
			(int)pid, node, name ? name : "E?");
	/* One refusal is one line, whatever the message holds. */
	for (const char *p = msg; *p; p++)
		osfs_buf_putc(&line, *p == '\n' ? ' ' : *p);
	osfs_buf_putc(&line, '\n');
	if (osfs_buf_error(&line)) {
		osfs_buf_free(&line);
		return;
	}

	pthread_mutex_lock(&log_ring.lock);
	unsigned slot = (log_ring.head + log_ring.count) % OSFS_ERRLOG_LINES;
	if (log_ring.count == OSFS_ERRLOG_LINES) {
		free(log_ring.lines[log_ring.head]);
		log_ring.head = (log_ring.head + 1) % OSFS_ERRLOG_LINES;
	} else {
		log_ring.count++;
	}
	log_ring.lines[slot] = line.data;
	log_ring.total++;
	pthread_mutex_unlock(&log_ring.lock);
}

void osfs_errlog_dump(struct osfs_buf *out)
{
	pthread_mutex_lock(&log_ring.lock);
	for (unsigned i = 0; i < log_ring.count; i++)
		osfs_buf_puts(out, log_ring.lines[(log_ring.head + i) % OSFS_ERRLOG_LINES]);
	pthread_mutex_unlock(&log_ring.lock);
}

unsigned long osfs_errlog_count(void)
{
	pthread_mutex_lock(&log_ring.lock);
	unsigned long n = log_ring.total;
	pthread_mutex_unlock(&log_ring.lock);
	return n;
}

void osfs_errlog_clear(void)
{
	pthread_mutex_lock(&log_ring.lock);
	for (unsigned i = 0; i < log_ring.count; i++)
		free(log_ring.lines[(log_ring.head + i) % OSFS_ERRLOG_LINES]);
	log_ring.head = log_ring.count = 0;
	pthread_mutex_unlock(&log_ring.lock);
}
