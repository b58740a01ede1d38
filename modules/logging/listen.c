/* logging.config.listen: a thread that takes new logging configurations over
 * TCP, on Python's wire protocol (ConfigStreamHandler): a 4-byte big-endian
 * length, then that many bytes; a JSON object is applied as dictConfig, anything
 * else as fileConfig, each all or nothing.  Python's `verify` callable becomes an
 * HMAC-SHA256 key: the bytes are the 32-byte tag of the configuration, then the
 * configuration, and a tag that does not verify is refused.  Without a key the
 * listener does not start, unless the owner said "none".
 *
 * It is bounded against slow and hostile peers: LISTEN_CONNS connections are read
 * at once (one more is closed at once), each must deliver within
 * LISTEN_TIMEOUT_MS, and a configuration is at most LISTEN_MAX_BYTES (a larger
 * length is refused before its bytes are read).  Nothing here holds a lock a
 * record needs: a configuration is applied as any other is.  Stopping wakes the
 * thread through an eventfd: it returns at once, unless it is applying a
 * configuration (then when that is done). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "osfs/kv.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"

#define LISTEN_MAX_BYTES (1u << 20)
#define LISTEN_TIMEOUT_MS 5000
#define LISTEN_CONNS 8
#define KEY_MIN 16
#define KEY_MAX 4096
#define TAG_LEN 32 /* HMAC-SHA256 */
#define NODE "logging/listen"

struct conn {
	int fd;
	int64_t deadline;
	unsigned char head[4];
	size_t got; /* bytes of head, then of the configuration */
	uint32_t len;
	struct osfs_buf body;
	char peer[72];
};

static struct {
	pthread_mutex_t lock; /* starting and stopping; the address */
	int fd, wake;         /* the listening socket, the eventfd that stops the thread */
	pthread_t thread;
	int running;
	char address[80];
	pthread_mutex_t key_lock;
	char *key_spec; /* a path, "none", or NULL: none set */
	unsigned char *key;
	size_t key_len;
	struct {
		unsigned long connections, applied, failed, unverified, oversize, timeouts, incomplete, busy;
	} st;
} L = {PTHREAD_MUTEX_INITIALIZER, -1, -1, 0, 0, "", PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, {0}};

#define COUNT(field) __atomic_add_fetch(&L.st.field, 1, __ATOMIC_RELAXED)

static int64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- HMAC-SHA256, from libcrypto (loaded when a key is first set) ---- */

static struct {
	unsigned char *(*hmac)(const void *md, const void *key, int key_len, const unsigned char *d,
			       size_t n, unsigned char *out, unsigned int *out_len);
	const void *(*sha256)(void);
	int (*memcmp)(const void *a, const void *b, size_t n);
	const char *failure;
} crypto;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void crypto_load(void)
{
	void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		crypto.failure = "libcrypto.so.3 (OpenSSL 3) cannot be loaded";
		return;
	}
	*(void **)&crypto.hmac = dlsym(lib, "HMAC");
	*(void **)&crypto.sha256 = dlsym(lib, "EVP_sha256");
	*(void **)&crypto.memcmp = dlsym(lib, "CRYPTO_memcmp");
	if (!crypto.hmac || !crypto.sha256 || !crypto.memcmp)
		crypto.failure = "libcrypto.so.3 lacks HMAC, EVP_sha256 or CRYPTO_memcmp";
}

/* Whether tag is HMAC-SHA256(key, data), compared in constant time. */
static int tag_verifies(const unsigned char *key, size_t key_len, const unsigned char *tag,
			const unsigned char *data, size_t n)
{
	unsigned char mac[64];
	unsigned int len = 0;
	if (!crypto.hmac(crypto.sha256(), key, (int)key_len, data, n, mac, &len) || len != TAG_LEN)
		return 0;
	return crypto.memcmp(mac, tag, TAG_LEN) == 0;
}

/* ---- the key ---- */

/* A key file: a regular file of the daemon's user (or root) that no one else may
 * read or write, not a link; its bytes as they are are the key. */
static int read_key(const char *path, unsigned char **key, size_t *len)
{
	char *full = log_absolute(path);
	if (!full)
		return -ENOMEM;
	int fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int err = fd < 0 ? osfs_refuse(errno, "cannot open the key file %s: %s", full, strerror(errno))
		  : fstat(fd, &st) < 0 ? osfs_refuse(errno, "cannot stat %s", full)
		  : !S_ISREG(st.st_mode) ? osfs_refuse(EINVAL, "the key file %s is not a regular file", full)
		  : st.st_uid != geteuid() && st.st_uid != 0
		      ? osfs_refuse(EPERM, "the key file %s belongs to another user", full)
		  : st.st_mode & 077
		      ? osfs_refuse(EPERM, "the key file %s may be read or written by others "
				    "(chmod 600 it)", full)
		  : st.st_size < KEY_MIN || st.st_size > KEY_MAX
		      ? osfs_refuse(EINVAL, "the key in %s must be %d to %d bytes", full, KEY_MIN, KEY_MAX)
		      : 0;
	unsigned char *k = err ? NULL : malloc((size_t)st.st_size);
	if (!err && !k)
		err = -ENOMEM;
	if (!err && read(fd, k, (size_t)st.st_size) != st.st_size)
		err = osfs_refuse(EIO, "cannot read the key file %s", full);
	if (fd >= 0)
		close(fd);
	free(full);
	if (err) {
		free(k);
		return err;
	}
	*key = k;
	*len = (size_t)st.st_size;
	return 0;
}

int log_listen_key_set(const char *spec)
{
	unsigned char *key = NULL;
	size_t len = 0;
	int err = 0;
	if (*spec && strcmp(spec, "none") != 0) {
		pthread_once(&crypto_once, crypto_load);
		err = crypto.failure ? osfs_refuse(ENOSYS, "cannot verify with a key: %s", crypto.failure)
				     : read_key(spec, &key, &len);
	}
	char *copy = !err && *spec ? strdup(spec) : NULL;
	if (!err && *spec && !copy)
		err = -ENOMEM;
	pthread_mutex_lock(&L.lock);
	if (!err && !*spec && L.fd >= 0)
		err = osfs_refuse(EBUSY, "the listener is running: stop it first (an empty logging/listen)");
	if (!err) {
		pthread_mutex_lock(&L.key_lock);
		if (L.key)
			memset(L.key, 0, L.key_len);
		free(L.key);
		free(L.key_spec);
		L.key = key;
		L.key_len = len;
		L.key_spec = copy;
		key = NULL;
		copy = NULL;
		pthread_mutex_unlock(&L.key_lock);
	}
	pthread_mutex_unlock(&L.lock);
	free(copy);
	if (key)
		memset(key, 0, len);
	free(key);
	return err;
}

void log_listen_key_get(struct osfs_buf *out)
{
	pthread_mutex_lock(&L.key_lock);
	osfs_buf_puts(out, L.key_spec ? L.key_spec : "");
	pthread_mutex_unlock(&L.key_lock);
}

/* ---- one configuration ---- */

/* Strict UTF-8, as bytes.decode("utf-8"); no NUL (a configuration is text).  s[n]
 * ends the buffer it is in (an osfs_buf's terminator), where a character cut short
 * stops. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	uint32_t cp;
	for (size_t i = 0, k; i < n; i += k)
		if (!s[i] || !(k = osfs_utf8_char(s + i, &cp)) || i + k > n)
			return 0;
	return 1;
}

static void refused(const struct conn *c, int err)
{
	char why[OSFS_REFUSAL_MAX + 96];
	snprintf(why, sizeof why, "from %s: %s", c->peer, osfs_refusal());
	osfs_errlog_add(0, NODE, -err, why);
	osfs_refusal_clear();
}

/* ConfigStreamHandler.handle, after the bytes are in: verify, then dictConfig or
 * fileConfig. */
static void apply(struct conn *c)
{
	const unsigned char *data = (const unsigned char *)c->body.data;
	size_t n = c->body.len;
	int err = 0;
	pthread_mutex_lock(&L.key_lock);
	if (L.key) {
		if (n < TAG_LEN || !tag_verifies(L.key, L.key_len, data, data + TAG_LEN, n - TAG_LEN))
			err = osfs_refuse(EACCES, "a configuration whose HMAC-SHA256 does not verify "
					  "with the key (%s): ignored", L.key_spec);
		data += TAG_LEN;
		n = n >= TAG_LEN ? n - TAG_LEN : 0;
	}
	pthread_mutex_unlock(&L.key_lock);
	if (err) {
		COUNT(unverified);
		refused(c, err);
		return;
	}
	if (!utf8_valid(data, n)) {
		COUNT(failed);
		refused(c, osfs_refuse(EINVAL, "a configuration that is not UTF-8 text"));
		return;
	}
	char *text = malloc(n + 1);
	if (!text) {
		COUNT(failed);
		return;
	}
	memcpy(text, data, n);
	text[n] = '\0';
	const char *p = text + strspn(text, " \t\r\n");
	err = *p == '{' ? log_dict_config(text) : log_file_config(text);
	free(text);
	if (err) {
		COUNT(failed);
		refused(c, err);
	} else {
		COUNT(applied);
	}
}

/* Reads what the peer sent: 1 when the connection is done with, else 0. */
static int read_conn(struct conn *c)
{
	for (;;) {
		unsigned char buf[65536];
		size_t want = c->got < 4 ? 4 - c->got : c->len - (c->got - 4);
		if (want > sizeof buf)
			want = sizeof buf;
		ssize_t r = want ? recv(c->fd, buf, want, 0) : 0;
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (r <= 0 && want) {
			if (c->got) {
				COUNT(incomplete);
				refused(c, osfs_refuse(EPIPE, "the sender closed after %zu of %s bytes", c->got,
						       c->got < 4 ? "4" : "the announced"));
			}
			return 1;
		}
		if (c->got < 4) {
			memcpy(c->head + c->got, buf, (size_t)r);
			c->got += (size_t)r;
			if (c->got < 4)
				continue;
			c->len = (uint32_t)c->head[0] << 24 | (uint32_t)c->head[1] << 16 |
				 (uint32_t)c->head[2] << 8 | c->head[3];
			if (c->len > LISTEN_MAX_BYTES) {
				COUNT(oversize);
				refused(c, osfs_refuse(EMSGSIZE, "a configuration of %u bytes; at most %u",
						       c->len, LISTEN_MAX_BYTES));
				return 1;
			}
		} else {
			osfs_buf_add(&c->body, buf, (size_t)r);
			c->got += (size_t)r;
			if (osfs_buf_error(&c->body))
				return 1;
		}
		if (c->got == 4 + (size_t)c->len) {
			apply(c);
			return 1;
		}
	}
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	osfs_buf_free(&c->body);
	c->fd = -1;
}

static void peer_text(int fd, char *out, size_t size)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0) {
		if (sa.ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sa;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
			port = ntohs(s6->sin6_port);
		} else {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sa;
			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
			port = ntohs(s4->sin_port);
		}
	}
	snprintf(out, size, sa.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

static void accept_all(int lfd, struct conn *conns, size_t *n)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		COUNT(connections);
		if (*n == LISTEN_CONNS) { /* enough are being read: this one is closed at once */
			COUNT(busy);
			close(fd);
			continue;
		}
		struct conn *c = &conns[(*n)++];
		*c = (struct conn){.fd = fd, .deadline = clock_ms() + LISTEN_TIMEOUT_MS};
		peer_text(fd, c->peer, sizeof c->peer);
	}
}

static void *serve(void *arg)
{
	int lfd = L.fd, wake = L.wake;
	struct conn conns[LISTEN_CONNS];
	size_t n = 0;
	for (;;) {
		struct pollfd p[2 + LISTEN_CONNS] = {{.fd = wake, .events = POLLIN},
						     {.fd = lfd, .events = POLLIN}};
		int64_t now = clock_ms(), soonest = -1;
		for (size_t i = 0; i < n; i++) {
			p[2 + i] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
			if (soonest < 0 || conns[i].deadline < soonest)
				soonest = conns[i].deadline;
		}
		int timeout = soonest < 0 ? -1 : soonest <= now ? 0 : (int)(soonest - now);
		if (poll(p, 2 + n, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		now = clock_ms();
		for (size_t i = 0; i < n;) {
			struct conn *c = &conns[i];
			int done = p[2 + i].revents ? read_conn(c) : 0;
			if (!done && now >= c->deadline) {
				COUNT(timeouts);
				refused(c, osfs_refuse(ETIMEDOUT, "the sender took more than %d ms "
						       "(%zu bytes came)", LISTEN_TIMEOUT_MS, c->got));
				done = 1;
			}
			if (done) {
				conn_close(c);
				conns[i] = conns[--n]; /* its pollfd entry is not looked at again */
				p[2 + i] = p[2 + n];
			} else {
				i++;
			}
		}
		if (p[1].revents & POLLIN)
			accept_all(lfd, conns, &n);
	}
	for (size_t i = 0; i < n; i++)
		conn_close(&conns[i]);
	return arg;
}

/* ---- starting and stopping ---- */

/* "PORT", "HOST:PORT", "[V6]:PORT": HOST a numeric address or localhost. */
static int parse_address(const char *text, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[64] = "127.0.0.1";
	const char *port = text, *colon = strrchr(text, ':');
	if (colon) {
		size_t hl = (size_t)(colon - text);
		const char *h = text;
		if (hl >= 2 && text[0] == '[' && text[hl - 1] == ']')
			h++, hl -= 2;
		if (hl == 0 || hl >= sizeof host)
			return osfs_refuse(EINVAL, "'%s': expected PORT, HOST:PORT or [V6]:PORT", text);
		memcpy(host, h, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535)
		return osfs_refuse(EINVAL, "'%s': the port is a number from 0 to 65535", text);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	memset(sa, 0, sizeof *sa);
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof *s6;
	} else {
		return osfs_refuse(EINVAL, "'%s': the host is a numeric address or localhost", host);
	}
	return 0;
}

static int bind_to(const char *text, int *out, char *bound, size_t size)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int err = parse_address(text, &sa, &len);
	if (err)
		return err;
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return osfs_refuse(errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* allow_reuse_address */
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, LISTEN_CONNS) < 0) {
		err = osfs_refuse(errno, "cannot listen on %s: %s", text, strerror(errno));
		close(fd);
		return err;
	}
	len = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &len);
	char host[INET6_ADDRSTRLEN];
	if (sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		snprintf(bound, size, "[%s]:%d", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		snprintf(bound, size, "%s:%d", host, ntohs(s4->sin_port));
	}
	*out = fd;
	return 0;
}

/* The thread stopped and joined; the socket closed (L.lock held). */
static void stop_locked(void)
{
	if (L.running) {
		uint64_t one = 1;
		ssize_t w = write(L.wake, &one, sizeof one); /* an eventfd always takes it */
		(void)w;
		pthread_join(L.thread, NULL);
		L.running = 0;
	}
	if (L.wake >= 0)
		close(L.wake);
	if (L.fd >= 0)
		close(L.fd);
	L.wake = L.fd = -1;
	L.address[0] = '\0';
}

static int run_locked(void)
{
	if (L.fd < 0 || L.running)
		return 0;
	L.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e = L.wake < 0 ? errno : osfs_thread_start(&L.thread, serve, NULL);
	if (e) {
		int err = osfs_refuse(e, "cannot start the listener: %s", strerror(e));
		stop_locked();
		return err;
	}
	L.running = 1;
	return 0;
}

int log_listen_open(const char *address)
{
	pthread_mutex_lock(&L.lock);
	int err = 0, fd = -1;
	char bound[sizeof L.address];
	if (!*address) {
		stop_locked();
	} else {
		pthread_mutex_lock(&L.key_lock);
		int keyed = L.key_spec != NULL;
		pthread_mutex_unlock(&L.key_lock);
		err = !keyed ? osfs_refuse(EACCES, "the listener needs a key to verify configurations "
					   "with: logging/listen_key (-o logging_listen_key=FILE), "
					   "or 'none' to take them unverified")
			     : bind_to(address, &fd, bound, sizeof bound);
		if (!err) { /* bound: the old one goes */
			stop_locked();
			L.fd = fd;
			memcpy(L.address, bound, sizeof bound);
		}
	}
	pthread_mutex_unlock(&L.lock);
	return err;
}

int log_listen_run(void)
{
	pthread_mutex_lock(&L.lock);
	int err = run_locked();
	pthread_mutex_unlock(&L.lock);
	return err;
}

int log_listen_set(const char *address)
{
	int err = log_listen_open(address);
	return err ? err : log_listen_run();
}

void log_listen_stop(void)
{
	pthread_mutex_lock(&L.lock);
	stop_locked();
	pthread_mutex_unlock(&L.lock);
}

void log_listen_fini(void)
{
	log_listen_stop();
	pthread_mutex_lock(&L.key_lock);
	if (L.key)
		memset(L.key, 0, L.key_len);
	free(L.key);
	free(L.key_spec);
	L.key = NULL;
	L.key_spec = NULL;
	pthread_mutex_unlock(&L.key_lock);
}

void log_listen_address(struct osfs_buf *out)
{
	pthread_mutex_lock(&L.lock);
	osfs_buf_puts(out, L.address);
	pthread_mutex_unlock(&L.lock);
}

void log_listen_stats(struct osfs_kv *kv)
{
	static const struct {
		const char *name;
		size_t offset;
	} counters[] = {
		{"connections", offsetof(__typeof__(L.st), connections)},
		{"applied", offsetof(__typeof__(L.st), applied)},
		{"failed", offsetof(__typeof__(L.st), failed)},
		{"unverified", offsetof(__typeof__(L.st), unverified)},
		{"oversize", offsetof(__typeof__(L.st), oversize)},
		{"timeouts", offsetof(__typeof__(L.st), timeouts)},
		{"incomplete", offsetof(__typeof__(L.st), incomplete)},
		{"busy", offsetof(__typeof__(L.st), busy)},
	};
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		unsigned long *v = (unsigned long *)((char *)&L.st + counters[i].offset);
		osfs_kv_int(kv, counters[i].name, (long long)__atomic_load_n(v, __ATOMIC_RELAXED));
	}
}
