/* logging.handlers.SysLogHandler: "<PRI>message\0" to a Unix socket (datagram,
 * else stream), or to a host and port over UDP or TCP, as Python sends it.  The
 * address is resolved when the handler is made, never while a record waits. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/refuse.h"

#define SEND_TIMEOUT_S 5 /* a stalled receiver holds a writer no longer than this */

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{"kern", 0},    {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
	{"security", 4}, {"syslog", 5}, {"lpr", 6},     {"news", 7},    {"uucp", 8},
	{"cron", 9},    {"authpriv", 10}, {"ftp", 11},  {"local0", 16}, {"local1", 17},
	{"local2", 18}, {"local3", 19}, {"local4", 20}, {"local5", 21}, {"local6", 22},
	{"local7", 23},
};

/* Python's priority_map, through priority_names; any other level is "warning". */
static const struct {
	const char *levelname;
	int priority;
} priorities[] = {{"DEBUG", 7}, {"INFO", 6}, {"WARNING", 4}, {"ERROR", 3}, {"CRITICAL", 2}};

struct syslog {
	int fd;
	int unix_socket, socktype;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int facility;
};

static const char *const params[] = {"address", "facility", "socktype", NULL};

static void timeouts(int fd)
{
	struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int connect_unix(struct syslog *s, int socktype_given)
{
	/* Python tries a datagram socket first, then a stream one, unless told. */
	int types[2] = {s->socktype ? s->socktype : SOCK_DGRAM, socktype_given ? 0 : SOCK_STREAM};
	for (int i = 0; i < 2 && types[i]; i++) {
		s->fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (s->fd >= 0 && connect(s->fd, (struct sockaddr *)&s->addr, s->addrlen) == 0) {
			s->socktype = types[i];
			timeouts(s->fd);
			return 0;
		}
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
	}
	return osfs_refuse(errno, "cannot connect to %s: %s",
			   ((struct sockaddr_un *)&s->addr)->sun_path, strerror(errno));
}

static int socktype_of(const cJSON *v, int *out)
{
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v) && (v->valueint == SOCK_STREAM || v->valueint == SOCK_DGRAM)) {
		*out = v->valueint;
		return 0;
	}
	const char *t = cJSON_IsString(v) ? v->valuestring : "";
	const char *name = strncmp(t, "ext://socket.", 13) == 0 ? t + 13 : t;
	if (strcmp(name, "SOCK_STREAM") == 0)
		*out = SOCK_STREAM;
	else if (strcmp(name, "SOCK_DGRAM") == 0)
		*out = SOCK_DGRAM;
	else
		return osfs_refuse(EINVAL, "socktype: SOCK_DGRAM or SOCK_STREAM (ext://socket.SOCK_STREAM)");
	return 0;
}

static int facility_of(const cJSON *v, int *out)
{
	*out = 1; /* LOG_USER */
	if (!v)
		return 0;
	if (cJSON_IsNumber(v)) {
		*out = v->valueint;
		return 0;
	}
	const char *name = cJSON_IsString(v) ? v->valuestring : "";
	const char *prefix = "ext://logging.handlers.SysLogHandler.LOG_";
	if (strncmp(name, prefix, strlen(prefix)) == 0)
		name += strlen(prefix);
	for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
		if (strcasecmp(facilities[i].name, name) == 0) {
			*out = facilities[i].value;
			return 0;
		}
	}
	return osfs_refuse(EINVAL, "unknown syslog facility '%s'", name);
}

static int syslog_open(struct log_handler *h, const cJSON *kwargs)
{
	struct syslog *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	h->state = s;
	const cJSON *addr = cJSON_GetObjectItemCaseSensitive(kwargs, "address");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(kwargs, "socktype");
	int err = socktype_of(st, &s->socktype);
	if (!err)
		err = facility_of(cJSON_GetObjectItemCaseSensitive(kwargs, "facility"), &s->facility);
	if (err)
		return err;
	if (cJSON_IsString(addr)) { /* a Unix socket, as /dev/log */
		struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
		if (strlen(addr->valuestring) >= sizeof un->sun_path)
			return osfs_refuse(ENAMETOOLONG, "address '%s' is too long", addr->valuestring);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, addr->valuestring);
		s->addrlen = sizeof *un;
		s->unix_socket = 1;
		connect_unix(s, s->socktype != 0); /* the daemon may not run yet: Python goes on */
		osfs_refusal_clear();
		return 0;
	}
	const char *host = "localhost";
	char port[16] = "514";
	if (addr) {
		const cJSON *hv = cJSON_GetArrayItem(addr, 0), *pv = cJSON_GetArrayItem(addr, 1);
		if (!cJSON_IsArray(addr) || cJSON_GetArraySize(addr) != 2 || !cJSON_IsString(hv) ||
		    !cJSON_IsNumber(pv))
			return osfs_refuse(EINVAL, "address: a socket path, or [host, port]");
		host = hv->valuestring;
		snprintf(port, sizeof port, "%d", pv->valueint);
	}
	if (!s->socktype)
		s->socktype = SOCK_DGRAM;
	struct addrinfo hints = {.ai_socktype = s->socktype}, *res;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai)
		return osfs_refuse(EINVAL, "cannot resolve %s: %s", host, gai_strerror(gai));
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	s->fd = socket(res->ai_family, s->socktype | SOCK_CLOEXEC, res->ai_protocol);
	freeaddrinfo(res);
	if (s->fd < 0)
		return osfs_refuse(errno, "socket: %s", strerror(errno));
	timeouts(s->fd);
	if (s->socktype == SOCK_STREAM && connect(s->fd, (struct sockaddr *)&s->addr, s->addrlen) < 0)
		return osfs_refuse(errno, "cannot connect to %s:%s: %s", host, port, strerror(errno));
	return 0;
}

static int send_all(int fd, const char *p, size_t len, int stream)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!stream)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One message per record: <PRI>, the formatted record (without its newline), NUL. */
static int syslog_emit(struct log_handler *h, const char *text, const struct log_out *rec, size_t n)
{
	struct syslog *s = h->state;
	struct osfs_buf msg = {0};
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		size_t start = i ? rec[i - 1].end : 0, len = rec[i].end - start - 1;
		int prio = 4;
		for (size_t k = 0; k < sizeof priorities / sizeof priorities[0]; k++)
			if (rec[i].levelname && strcmp(priorities[k].levelname, rec[i].levelname) == 0)
				prio = priorities[k].priority;
		osfs_buf_reset(&msg);
		osfs_buf_printf(&msg, "<%d>", s->facility << 3 | prio);
		osfs_buf_add(&msg, text + start, len);
		osfs_buf_putc(&msg, '\0');
		if ((err = osfs_buf_error(&msg)))
			break;
		if (s->fd < 0 && s->unix_socket && (err = connect_unix(s, 0)))
			break;
		int sent;
		if (s->unix_socket) {
			sent = send_all(s->fd, msg.data, msg.len, s->socktype == SOCK_STREAM);
			if (sent) { /* as Python: reconnect once and send again */
				close(s->fd);
				s->fd = -1;
				if ((err = connect_unix(s, 0)))
					break;
				sent = send_all(s->fd, msg.data, msg.len, s->socktype == SOCK_STREAM);
			}
		} else if (s->socktype == SOCK_DGRAM) {
			sent = sendto(s->fd, msg.data, msg.len, MSG_NOSIGNAL, (struct sockaddr *)&s->addr,
				      s->addrlen) < 0 ? -errno : 0;
		} else {
			sent = send_all(s->fd, msg.data, msg.len, 1);
		}
		if (sent)
			err = osfs_refuse(-sent, "send to the syslog receiver: %s", strerror(-sent));
	}
	osfs_buf_free(&msg);
	return err;
}

static void syslog_close(struct log_handler *h)
{
	struct syslog *s = h->state;
	if (s && s->fd >= 0)
		close(s->fd);
	free(s);
}

const struct handler_class syslog_handler = {
	.name = "logging.handlers.SysLogHandler",
	.params = params,
	.open = syslog_open,
	.emit = syslog_emit,
	.close = syslog_close,
};
