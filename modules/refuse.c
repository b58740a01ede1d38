/* Refusals: the thread-local message of the last refusal, and the bounded errors log. */
#include "osfs/refuse.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* The length of the valid UTF-8 character at p, or 0 for a control byte or one
 * that does not start a well-formed sequence (Python's strict decoder rules:
 * no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_length(const unsigned char *p)
{
	static const struct {
		unsigned char lead_lo, lead_hi, second_lo, second_hi;
		size_t n;
	} forms[] = {
		{0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
		{0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3},
		{0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
		{0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
	};
	if (*p < 0x20 || *p == 0x7f)
		return 0;
	if (*p < 0x80)
		return 1;
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		if (*p < forms[f].lead_lo || *p > forms[f].lead_hi)
			continue;
		if (p[1] < forms[f].second_lo || p[1] > forms[f].second_hi)
			return 0;
		for (size_t i = 2; i < forms[f].n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		return forms[f].n;
	}
	return 0;
}

/* Append s as one line of UTF-8: newlines become spaces, other control bytes
 * and bytes that are not UTF-8 (echoed from a hostile request) become \xNN, and
 * so does a space when the text is a field that must stay one word. */
static void put_clean(struct osfs_buf *line, const char *s, bool word)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_length(p);
		if (*p == '\n' && !word) {
			osfs_buf_putc(line, ' ');
			p++;
		} else if (n == 0 || (word && *p == ' ')) {
			osfs_buf_printf(line, "\\x%02x", *p++);
		} else {
			osfs_buf_add(line, p, n);
			p += n;
		}
	}
}

void osfs_errlog_add(pid_t pid, const char *node, int err, const char *msg)
{
	char ebuf[128];
	if (!msg || !*msg)
		msg = last[0] ? last : strerror_r(err, ebuf, sizeof ebuf);
	const char *name = osfs_errno_name(err);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);

	struct osfs_buf line = {0};
	osfs_buf_printf(&line, "%lld.%09ld %d ", (long long)ts.tv_sec, ts.tv_nsec, (int)pid);
	put_clean(&line, node, true); /* a name may be hostile too */
	osfs_buf_printf(&line, " %s: ", name ? name : "E?");
	put_clean(&line, msg, false);
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
