/* Refusals: the thread-local message of the last refusal, and the bounded errors
 * log, shared out by uid. */
#include "osfs/refuse.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "osfs/buf.h"
#include "osfs/errno.h"

static __thread char last[OSFS_REFUSAL_MAX];
static __thread bool quiet; /* the last refusal was reported before */

/* A message cut where the buffer ends is cut before a character, never inside
 * one: what is shown stays UTF-8. */
static void cut_clean(char *s)
{
	size_t n = strlen(s);
	if (n + 1 < OSFS_REFUSAL_MAX)
		return;
	size_t lead = n, back = 0;
	while (lead > 0 && back < 4 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--, back++;
	if (lead == 0)
		return;
	unsigned char c = (unsigned char)s[lead - 1];
	size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (back + 1 < len) /* the last character lacks its continuation bytes */
		s[lead - 1] = '\0';
}

int osfs_refuse(int err, const char *fmt, ...)
{
	/* formatted aside first: an argument may be osfs_refusal() itself */
	char msg[OSFS_REFUSAL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cut_clean(msg);
	memcpy(last, msg, sizeof last);
	quiet = false;
	return -err;
}

int osfs_refuse_prefix(int err, const char *fmt, ...)
{
	char prefix[OSFS_REFUSAL_MAX], cause[OSFS_REFUSAL_MAX];
	memcpy(cause, last, sizeof cause);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* cut where the buffer ends */
	snprintf(last, sizeof last, cause[0] ? "%s: %s" : "%s", prefix, cause);
	cut_clean(last);
	quiet = false;
	return -err;
}

const char *osfs_refusal(void)
{
	return last;
}

void osfs_refusal_clear(void)
{
	last[0] = '\0';
	quiet = false;
}

/* The errors log: lines in time order, each charged to the uid of whoever was
 * refused.  When it is full, the oldest line of the uid holding the most lines
 * goes: a user who floods the log drops only its own lines, never another's. */
struct line {
	struct line *prev, *next; /* time order */
	struct line *newer;       /* the next line of the same uid */
	uid_t uid;
	uint64_t at;              /* where it begins in the log as a file */
	size_t len;
	char text[];
};

struct share {
	uid_t uid;
	unsigned count;
	struct line *oldest, *newest;
};

static struct {
	pthread_mutex_t lock;
	struct line head; /* head.next is the oldest line */
	unsigned count;
	unsigned long total;
	uint64_t bytes;           /* ever logged: the end of the log as a file */
	struct timespec changed;  /* when the last line was logged */
	struct share shares[OSFS_ERRLOG_LINES];
	unsigned nshares;
} log_ring = {.lock = PTHREAD_MUTEX_INITIALIZER,
	      .head = {.prev = &log_ring.head, .next = &log_ring.head}};

int osfs_refuse_quietly(int err)
{
	last[0] = '\0';
	quiet = true;
	return -err;
}

bool osfs_refusal_quiet(void)
{
	return quiet;
}

/* The length of the valid UTF-8 character at p, or 0 for a control byte or one
 * that does not start a well-formed sequence. */
static size_t utf8_length(const unsigned char *p)
{
	uint32_t c;
	return *p < 0x20 || *p == 0x7f ? 0 : osfs_utf8_char(p, &c);
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

static struct share *share_of(uid_t uid)
{
	for (unsigned i = 0; i < log_ring.nshares; i++)
		if (log_ring.shares[i].uid == uid)
			return &log_ring.shares[i];
	struct share *s = &log_ring.shares[log_ring.nshares++];
	*s = (struct share){.uid = uid};
	return s;
}

/* Drops the oldest line of the uid that holds the most; called with the lock held
 * and the log full. */
static void drop_one(void)
{
	struct share *most = &log_ring.shares[0];
	for (unsigned i = 1; i < log_ring.nshares; i++)
		if (log_ring.shares[i].count > most->count)
			most = &log_ring.shares[i];
	struct line *l = most->oldest;
	l->prev->next = l->next;
	l->next->prev = l->prev;
	most->oldest = l->newer;
	log_ring.count--;
	if (--most->count == 0)
		*most = log_ring.shares[--log_ring.nshares];
	free(l);
}

void osfs_errlog_add_as(uid_t uid, pid_t pid, const char *node, int err, const char *msg)
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
	struct line *l = osfs_buf_error(&line) ? NULL : malloc(sizeof *l + line.len + 1);
	if (l) {
		*l = (struct line){.uid = uid, .len = line.len};
		memcpy(l->text, line.data, line.len + 1);
	}
	osfs_buf_free(&line);
	if (!l)
		return;

	pthread_mutex_lock(&log_ring.lock);
	if (log_ring.count == OSFS_ERRLOG_LINES)
		drop_one();
	struct share *s = share_of(uid);
	if (s->newest)
		s->newest->newer = l;
	else
		s->oldest = l;
	s->newest = l;
	s->count++;
	l->next = &log_ring.head;
	l->prev = log_ring.head.prev;
	l->prev->next = l;
	log_ring.head.prev = l;
	log_ring.count++;
	log_ring.total++;
	l->at = log_ring.bytes;
	log_ring.bytes += l->len;
	log_ring.changed = ts;
	pthread_mutex_unlock(&log_ring.lock);
}

void osfs_errlog_add(pid_t pid, const char *node, int err, const char *msg)
{
	osfs_errlog_add_as(getuid(), pid, node, err, msg);
}

void osfs_errlog_dump(struct osfs_buf *out)
{
	pthread_mutex_lock(&log_ring.lock);
	for (struct line *l = log_ring.head.next; l != &log_ring.head; l = l->next)
		osfs_buf_puts(out, l->text);
	pthread_mutex_unlock(&log_ring.lock);
}

void osfs_errlog_extent(uint64_t *end, struct timespec *changed)
{
	pthread_mutex_lock(&log_ring.lock);
	*end = log_ring.bytes;
	*changed = log_ring.changed;
	pthread_mutex_unlock(&log_ring.lock);
}

/* Lines are in the order of their positions; a line dropped leaves a gap, and a
 * read stops at one (the next read goes on after it). */
uint64_t osfs_errlog_read(uint64_t pos, size_t size, struct osfs_buf *out)
{
	pthread_mutex_lock(&log_ring.lock);
	struct line *l = log_ring.head.next;
	while (l != &log_ring.head && l->at + l->len <= pos)
		l = l->next;
	if (l == &log_ring.head)
		pos = pos > log_ring.bytes ? pos : log_ring.bytes;
	else if (l->at > pos)
		pos = l->at; /* no longer held: from the next line that is */
	for (; l != &log_ring.head && size > 0 && l->at <= pos; l = l->next) {
		size_t skip = (size_t)(pos - l->at), n = l->len - skip;
		n = n < size ? n : size;
		osfs_buf_add(out, l->text + skip, n);
		pos += n;
		size -= n;
	}
	pthread_mutex_unlock(&log_ring.lock);
	return pos;
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
	for (struct line *l = log_ring.head.next, *next; l != &log_ring.head; l = next) {
		next = l->next;
		free(l);
	}
	log_ring.head.next = log_ring.head.prev = &log_ring.head;
	log_ring.count = log_ring.nshares = 0; /* the log's end stays where it was */
	pthread_mutex_unlock(&log_ring.lock);
}
