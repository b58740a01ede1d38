/* logging.handlers.SMTPHandler: one mail per record, built as Python's
 * EmailMessage builds it (From, To, Subject, Date, then the text/plain content),
 * sent through libcurl; STARTTLS and login when credentials and secure are given.
 * The mail host is resolved when the handler is made (within the timeout) and
 * pinned; the timeout bounds a whole write, all its mails together. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "../internal.h"
#include "curl_lib.h"
#include "net.h"
#include "osfs/refuse.h"
#include "osfs/time.h"

struct smtp {
	CURL *curl;
	char *url, *from, *subject, *to_header;
	struct curl_slist *rcpt, *resolve;
	char *user, *password;
	int secure;
	long timeout_ms;
};

static const char *const params[] = {"mailhost", "fromaddr", "toaddrs", "subject", "credentials",
				     "secure", "timeout", NULL};
static const struct handler_attr attrs[] = {
	{"subject", ATTR_STR, 1}, {"fromaddr", ATTR_STR, 1}, {"toaddrs", ATTR_STRLIST, 1},
	{"timeout", ATTR_NUMBER, 1}, {NULL, 0, 0}};

static int smtp_open(struct log_handler *h, const cJSON *kwargs)
{
	struct smtp *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	h->state = m;
	int loaded = curl_load(); /* before any curl_* call */
	if (loaded)
		return loaded;
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(kwargs, "mailhost");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(kwargs, "fromaddr");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(kwargs, "toaddrs");
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(kwargs, "subject");
	const cJSON *cred = cJSON_GetObjectItemCaseSensitive(kwargs, "credentials");
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(kwargs, "timeout");
	if (!from || !cJSON_IsString(from) || !to || !subject || !cJSON_IsString(subject))
		return osfs_refuse(EINVAL, "SMTPHandler needs mailhost, fromaddr, toaddrs and subject");
	const char *name = cJSON_IsString(host) ? host->valuestring : NULL;
	int port = 25;
	if (cJSON_IsArray(host) && cJSON_IsString(cJSON_GetArrayItem(host, 0))) {
		name = cJSON_GetArrayItem(host, 0)->valuestring;
		int err = net_port(cJSON_GetArrayItem(host, 1), &port);
		if (err)
			return err;
		if (!port) /* as SMTPHandler: no port is smtplib.SMTP_PORT */
			port = 25;
	}
	if (!name)
		return osfs_refuse(EINVAL, "mailhost: a host, or [host, port]");
	struct osfs_buf joined = {0};
	if (cJSON_IsString(to)) {
		m->rcpt = curl_slist_append(NULL, to->valuestring);
		osfs_buf_puts(&joined, to->valuestring);
	}
	for (const cJSON *c = cJSON_IsArray(to) ? to->child : NULL; c; c = c->next) {
		if (!cJSON_IsString(c)) {
			osfs_buf_free(&joined);
			return osfs_refuse(EINVAL, "toaddrs: an address or a list of them");
		}
		m->rcpt = curl_slist_append(m->rcpt, c->valuestring);
		osfs_buf_printf(&joined, "%s%s", joined.len ? "," : "", c->valuestring);
	}
	m->to_header = joined.data ? joined.data : strdup("");
	if (cred) {
		const cJSON *u = cJSON_GetArrayItem(cred, 0), *p = cJSON_GetArrayItem(cred, 1);
		if (!cJSON_IsString(u) || !cJSON_IsString(p))
			return osfs_refuse(EINVAL, "credentials: [user, password]");
		m->user = strdup(u->valuestring);
		m->password = strdup(p->valuestring);
	}
	m->secure = cJSON_GetObjectItemCaseSensitive(kwargs, "secure") != NULL && m->user;
	m->timeout_ms = 5000;
	if (cJSON_IsNumber(timeout)) /* in range for the cast: up to about 24 days */
		m->timeout_ms = timeout->valuedouble <= 0 ? 1
			: timeout->valuedouble >= 2147483.0 ? 2147483000L
			: (long)(timeout->valuedouble * 1000);
	m->from = strdup(from->valuestring);
	m->subject = strdup(subject->valuestring);
	h->timeout_ms = (int)m->timeout_ms; /* per write, the lookup included */
	int v6 = strchr(name, ':') != NULL;
	if (asprintf(&m->url, v6 ? "smtp://[%s]:%d" : "smtp://%s:%d", name, port) < 0)
		m->url = NULL;
	/* resolved now, in bounded time, and pinned: no mail waits on DNS */
	struct addrinfo *res;
	char service[16], addr[INET6_ADDRSTRLEN], pin[512];
	snprintf(service, sizeof service, "%d", port);
	int err = net_lookup(name, service, SOCK_STREAM, (int)m->timeout_ms, &res);
	if (err)
		return err;
	getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	snprintf(pin, sizeof pin, "%s:%d:%s%s%s", name, port, strchr(addr, ':') ? "[" : "", addr,
		 strchr(addr, ':') ? "]" : "");
	m->resolve = v6 ? NULL : curl_slist_append(NULL, pin);
	m->curl = curl_easy_init();
	return m->curl && m->url && m->from && m->subject && (v6 || m->resolve) ? 0 : -ENOMEM;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t feed(char *buf, size_t size, size_t n, void *user)
{
	struct upload *u = user;
	size_t len = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

/* email.utils.localtime() as an RFC 2822 date header. */
static void date_header(struct osfs_buf *out)
{
	struct tm tm;
	osfs_localtime(osfs_now(), &tm);
	osfs_strftime("%a, %d %b %Y %H:%M:%S %z", &tm, out);
}

static int smtp_emit(struct log_handler *h, struct log_emit *e)
{
	struct smtp *m = h->state;
	const char *text = e->text;
	int err = 0;
	for (size_t i = 0; i < e->n && !err; i++) {
		size_t start = i ? e->rec[i - 1].end : 0, len = e->rec[i].end - start;
		int left = log_ms_left(e->deadline);
		if (left == 0)
			return osfs_refuse(ETIMEDOUT, "mail to %s: the write's %ld ms are spent", m->url,
					   m->timeout_ms);
		int ascii = 1;
		for (size_t k = start; k < e->rec[i].end; k++)
			ascii &= (unsigned char)text[k] < 0x80;
		struct osfs_buf mail = {0};
		osfs_buf_printf(&mail, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: ", m->from,
				m->to_header, m->subject);
		date_header(&mail);
		osfs_buf_printf(&mail, "\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
				       "Content-Transfer-Encoding: %s\r\nMIME-Version: 1.0\r\n\r\n",
				ascii ? "7bit" : "8bit");
		for (size_t k = start; k < start + len; k++) { /* the body, CRLF line ends */
			if (text[k] == '\n')
				osfs_buf_putc(&mail, '\r');
			osfs_buf_putc(&mail, text[k]);
		}
		if ((err = osfs_buf_error(&mail)))
			break;
		struct upload u = {mail.data, mail.len};
		CURL *c = m->curl;
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, m->url);
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->from);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, m->rcpt);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
		curl_easy_setopt(c, CURLOPT_READDATA, &u);
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
		if (m->resolve)
			curl_easy_setopt(c, CURLOPT_RESOLVE, m->resolve);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		if (m->user) {
			curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
			curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
		}
		if (m->secure)
			curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		CURLcode rc = curl_easy_perform(c);
		if (rc != CURLE_OK)
			err = osfs_refuse(rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : ECONNREFUSED,
					  "mail to %s: %s", m->url, curl_easy_strerror(rc));
		else
			e->sent = i + 1;
		osfs_buf_free(&mail);
	}
	return err;
}

static void smtp_close(struct log_handler *h)
{
	struct smtp *m = h->state;
	if (!m)
		return;
	if (m->curl)
		curl_easy_cleanup(m->curl);
	curl_slist_free_all(m->rcpt);
	curl_slist_free_all(m->resolve);
	free(m->url);
	free(m->from);
	free(m->subject);
	free(m->to_header);
	free(m->user);
	free(m->password);
	free(m);
}

const struct handler_class smtp_handler = {
	.name = "logging.handlers.SMTPHandler",
	.params = params,
	.attrs = attrs,
	.open = smtp_open,
	.emit = smtp_emit,
	.close = smtp_close,
};
