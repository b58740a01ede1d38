/* logging.handlers.SysLogHandler: "<PRI>message\0" to a Unix socket (datagram,
 * else stream), or to a host and port over UDP or TCP, as Python sends it.  The
 * address is resolved (in bounded time) when the handler is made, never while a
 * record waits, and a write waits for the receiver no longer than the timeout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../internal.h"
#include "net.h"
#include "osfs/refuse.h"

#define TIMEOUT_MS 5000 /* a stalled receiver holds a write no longer than this */
#define FACILITY_MAX (1LL << 59) /* beyond, <PRI> would not fit a long long */

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
	struct net_address a;
	long long facility;
	const char *ident; /* the '.' key's ident and append_nul, as Python's attributes */
	int append_nul;
	struct net_stream st; /* TCP: the connection, connected again with Python's */
	struct net_retry retry; /* back-off after the receiver is lost */
};

static const char *const params[] = {"address", "facility", "socktype", NULL};
static const struct handler_attr attrs[] = {
	{"ident", ATTR_STR, 0}, {"append_nul", ATTR_TRUTH, 0}, {"facility", ATTR_NUMBER, 1}, {NULL, 0, 0}};

static int connect_unix(struct syslog *s, int socktype_given)
{
	/* Python tries a datagram socket first, then a stream one, unless told. */
	int types[2] = {s->socktype ? s->socktype : SOCK_DGRAM, socktype_given ? 0 : SOCK_STREAM};
	for (int i = 0; i < 2 && types[i]; i++) {
		/* non-blocking: a listener with a full backlog is an error now, not a wait */
		s->fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s->fd >= 0 && connect(s->fd, (struct sockaddr *)&s->a.addr, s->a.len) == 0) {
			s->socktype = types[i];
			return 0;
		}
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
	}
	return osfs_refuse(errno, "cannot connect to %s: %s", s->a.text, strerror(errno));
}

static int socktype_of(const cJSON *v, int *out)
{
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v) && (v->valuedouble == SOCK_STREAM || v->valuedouble == SOCK_DGRAM)) {
		*out = (int)v->valuedouble;
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

/* A facility name, or an integer (as Python's encodePriority shifts any int). */
static int facility_of(const cJSON *v, long long *out)
{
	*out = 1; /* LOG_USER */
	if (!v)
		return 0;
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= -FACILITY_MAX && v->valuedouble <= FACILITY_MAX) ||
		    v->valuedouble != (double)(long long)v->valuedouble)
			return osfs_refuse(EINVAL, "facility: a name or an integer within +-2**59");
		*out = (long long)v->valuedouble;
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
	s->fd = s->st.fd = -1;
	s->retry = (struct net_retry){0.25, 2.0, 30.0, -1, 0}; /* as the spool's (spool.c) */
	h->state = s;
	h->timeout_ms = TIMEOUT_MS;
	const cJSON *ident = handler_prop(h, "ident"), *nul = handler_prop(h, "append_nul");
	s->ident = ident ? ident->valuestring : "";
	s->append_nul = !nul || cJSON_IsTrue(nul);
	const cJSON *addr = cJSON_GetObjectItemCaseSensitive(kwargs, "address");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(kwargs, "socktype");
	int err = socktype_of(st, &s->socktype);
	if (!err)
		err = facility_of(cJSON_GetObjectItemCaseSensitive(kwargs, "facility"), &s->facility);
	if (err)
		return err;
	if (cJSON_IsString(addr)) { /* a Unix socket, as /dev/log */
		struct sockaddr_un *un = (struct sockaddr_un *)&s->a.addr;
		if (strlen(addr->valuestring) >= sizeof un->sun_path)
			return osfs_refuse(ENAMETOOLONG, "address '%s' is too long", addr->valuestring);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, addr->valuestring);
		s->a.len = sizeof *un;
		snprintf(s->a.text, sizeof s->a.text, "%s", addr->valuestring);
		s->unix_socket = 1;
		connect_unix(s, s->socktype != 0); /* the daemon may not run yet: Python goes on */
		osfs_refusal_clear();
		return 0;
	}
	const char *host = "localhost";
	int port = 514;
	if (addr) {
		const cJSON *hv = cJSON_GetArrayItem(addr, 0), *pv = cJSON_GetArrayItem(addr, 1);
		if (!cJSON_IsArray(addr) || cJSON_GetArraySize(addr) != 2 || !cJSON_IsString(hv))
			return osfs_refuse(EINVAL, "address: a socket path, or [host, port]");
		if ((err = net_port(pv, &port)))
			return err;
		host = hv->valuestring;
	}
	if (!s->socktype)
		s->socktype = SOCK_DGRAM;
	if ((err = net_address_of(host, port, s->socktype, NET_RESOLVE_MS, &s->a)))
		return err;
	int fd = net_connect(&s->a, s->socktype, TIMEOUT_MS); /* as Python: refused now */
	if (fd < 0)
		return osfs_refuse(-fd, "cannot connect to %s: %s", s->a.text, strerror(-fd));
	if (s->socktype == SOCK_STREAM)
		net_stream_opened(&s->st, fd);
	else
		s->fd = fd;
	return 0;
}

/* TCP: connected again when the receiver was lost (Python's SysLogHandler never
 * does), no sooner than the back-off allows. */
static int tcp_connected(struct syslog *s, int64_t deadline)
{
	if (s->st.fd >= 0)
		return 0;
	double wait;
	if (net_retry_due(&s->retry, &wait))
		return osfs_refuse(ECONNREFUSED, "%s is down; next try in %.1f s", s->a.text, wait);
	int left = log_ms_left(deadline);
	int fd = left ? net_connect(&s->a, SOCK_STREAM, left < 0 ? TIMEOUT_MS : left) : -ETIMEDOUT;
	if (fd < 0) {
		net_retry_failed(&s->retry);
		return osfs_refuse(-fd, "cannot connect to %s: %s", s->a.text, strerror(-fd));
	}
	net_stream_opened(&s->st, fd);
	net_retry_ok(&s->retry);
	return 0;
}

static int send_message(struct syslog *s, const struct osfs_buf *msg, int64_t deadline)
{
	if (s->socktype == SOCK_STREAM && !s->unix_socket) {
		size_t done;
		int err = net_send(s->st.fd, msg->data, msg->len, 1, NULL, 0, deadline, &done);
		s->st.sent += done;
		if (err) /* a message cut short: the connection is not usable any more */
			net_stream_close(&s->st);
		return err;
	}
	return net_send(s->fd, msg->data, msg->len, s->socktype == SOCK_STREAM, NULL, 0, deadline, NULL);
}

static int syslog_acked(struct log_handler *h, unsigned long conn, uint64_t *acked)
{
	struct syslog *s = h->state;
	return net_stream_acked(&s->st, conn, acked);
}

/* One message per record: <PRI>, the formatted record (without its newline), NUL. */
static int syslog_emit(struct log_handler *h, struct log_emit *e)
{
	struct syslog *s = h->state;
	struct osfs_buf msg = {0};
	int err = 0;
	for (size_t i = 0; i < e->n && !err; i++) {
		size_t start = i ? e->rec[i - 1].end : 0, len = e->rec[i].end - start - 1;
		int prio = 4;
		for (size_t k = 0; k < sizeof priorities / sizeof priorities[0]; k++)
			if (e->rec[i].levelname && strcmp(priorities[k].levelname, e->rec[i].levelname) == 0)
				prio = priorities[k].priority;
		osfs_buf_reset(&msg);
		/* facility << 3 | priority, then ident + message, and NUL if append_nul */
		osfs_buf_printf(&msg, "<%lld>%s", s->facility * 8 + prio, s->ident);
		osfs_buf_add(&msg, e->text + start, len);
		if (s->append_nul)
			osfs_buf_putc(&msg, '\0');
		if ((err = osfs_buf_error(&msg)))
			break;
		if (s->fd < 0 && s->unix_socket && (err = connect_unix(s, 0)))
			break;
		int tcp = s->socktype == SOCK_STREAM && !s->unix_socket;
		if (tcp && (err = tcp_connected(s, e->deadline)))
			break;
		int sent = send_message(s, &msg, e->deadline);
		if (!sent && !tcp && !s->unix_socket && e->probe && i == 0) /* is the receiver back? */
			sent = net_probe(s->fd, e->deadline);
		if (sent && sent != -ETIMEDOUT && s->unix_socket) { /* as Python: reconnect once, again */
			close(s->fd);
			s->fd = -1;
			if ((err = connect_unix(s, 0)))
				break;
			sent = send_message(s, &msg, e->deadline);
		}
		if (sent)
			err = osfs_refuse(-sent, "send to the syslog receiver: %s", strerror(-sent));
		else
			e->sent = i + 1;
		if (!sent && tcp) {
			e->conn = s->st.conn;
			if (e->ends)
				e->ends[i] = s->st.sent;
		}
	}
	osfs_buf_free(&msg);
	return err;
}

/* A Unix socket or a TCP connection is connected again by the next record; UDP
 * stays. */
static void syslog_release(struct log_handler *h)
{
	struct syslog *s = h->state;
	net_stream_close(&s->st);
	if (s->unix_socket && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

static void syslog_close(struct log_handler *h)
{
	struct syslog *s = h->state;
	if (s && s->fd >= 0)
		close(s->fd);
	if (s)
		net_stream_close(&s->st);
	free(s);
}

const struct handler_class syslog_handler = {
	.name = "logging.handlers.SysLogHandler",
	.params = params,
	.attrs = attrs,
	.open = syslog_open,
	.emit = syslog_emit,
	.release = syslog_release,
	.close = syslog_close,
	.spool = SPOOL_STREAM, /* a datagram one over UDP: spool.c asks */
	.acked = syslog_acked,
};
