/* logging.handlers.SMTPHandler: one mail per record, the one Python's handler
 * sends (mail.h: EmailMessage's headers and body, smtplib's envelope and EHLO
 * name), sent through libcurl, one connection a mail as smtplib makes it;
 * STARTTLS and login when credentials and secure are given (tls.h: the server
 * verified, a client certificate if secure names one).  The mail host and
 * the EHLO name are found when the handler is made (within the timeout) and
 * kept; the timeout bounds a whole write, all its mails together. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../internal.h"
#include "curl_lib.h"
#include "mail.h"
#include "net.h"
#include "osfs/refuse.h"
#include "osfs/time.h"
#include "tls.h"

struct smtp {
	CURL *curl;
	char *url, *from, *from_header, *subject, *to_header;
	struct curl_slist *rcpt, *resolve;
	char *user, *password;
	int secure;
	struct tls tls;
	long timeout_ms;
};

static const char *const params[] = {"mailhost", "fromaddr", "toaddrs", "subject", "credentials",
				     "secure", "timeout", NULL};
static const struct handler_attr attrs[] = {
	{"subject", ATTR_STR, 1}, {"fromaddr", ATTR_STR, 1}, {"toaddrs", ATTR_STRLIST, 1},
	{"timeout", ATTR_NUMBER, 1}, {"tls_cafile", ATTR_STR, 1}, {"tls_capath", ATTR_STR, 1},
	{"tls_verify", ATTR_TRUTH, 1}, {NULL, 0, 0}};

/* The envelope's addresses, as smtplib.send_message parses them from the From
 * and To headers: "<addr>", one entry each. */
static struct curl_slist *envelope(const char *header, int first_only, char **one)
{
	struct osfs_buf list = {0};
	size_t n = mail_addresses(header, &list);
	struct curl_slist *out = NULL;
	const char *p = list.data;
	for (size_t i = 0; i < n && (!first_only || i == 0); i++, p += strlen(p) + 1) {
		char *quoted;
		if (asprintf(&quoted, "<%s>", p) < 0)
			break;
		if (one)
			*one = quoted;
		else
			out = curl_slist_append(out, quoted), free(quoted);
	}
	if (one && !n)
		*one = strdup("<>");
	osfs_buf_free(&list);
	return out;
}

/* Where a header value has a CR or LF, EmailMessage refuses it at every record. */
static int header_value(const char *what, const char *v)
{
	if (strpbrk(v, "\r\n"))
		return osfs_refuse(EINVAL, "%s: ValueError: Header values may not contain linefeed or "
				   "carriage return characters (Python fails on it at every record)", what);
	return 0;
}

static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* The URL path is the EHLO name libcurl gives: socket.getfqdn() as smtplib finds it. */
static int smtp_url(struct smtp *m, const char *name, int port)
{
	char ehlo[512];
	mail_ehlo_name(ehlo, sizeof ehlo, (int)m->timeout_ms);
	struct osfs_buf path = {0};
	for (const char *p = ehlo; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			osfs_buf_putc(&path, *p);
		else
			osfs_buf_printf(&path, "%%%02X", (unsigned char)*p);
	}
	int v6 = strchr(name, ':') != NULL;
	int err = asprintf(&m->url, v6 ? "smtp://[%s]:%d/%s" : "smtp://%s:%d/%s", name, port,
			   path.data ? path.data : "") < 0 ? -ENOMEM : 0;
	osfs_buf_free(&path);
	return err;
}

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
	const cJSON *secure = cJSON_GetObjectItemCaseSensitive(kwargs, "secure");
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(kwargs, "timeout");
	if (!cJSON_IsString(from))
		return osfs_refuse(EINVAL, "fromaddr: a str, the sender's address");
	if (!cJSON_IsString(subject))
		return osfs_refuse(EINVAL, "subject: a str");
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
	/* toaddrs: a str is one address, else a list of them; the To header joins them */
	struct osfs_buf joined = {0};
	if (cJSON_IsString(to))
		osfs_buf_puts(&joined, to->valuestring);
	else if (!cJSON_IsArray(to))
		return osfs_refuse(EINVAL, "toaddrs: an address or a list of them");
	for (const cJSON *c = cJSON_IsArray(to) ? to->child : NULL; c; c = c->next) {
		if (!cJSON_IsString(c)) {
			osfs_buf_free(&joined);
			return osfs_refuse(EINVAL, "toaddrs: an address or a list of them, not a %s in "
					   "it (Python's ','.join fails on it at every record)",
					   py_type_name(c));
		}
		osfs_buf_printf(&joined, "%s%s", c == to->child ? "" : ",", c->valuestring);
	}
	m->to_header = joined.data ? joined.data : strdup("");
	int err = header_value("subject", subject->valuestring);
	if (!err)
		err = header_value("fromaddr", from->valuestring);
	if (!err)
		err = header_value("toaddrs", m->to_header);
	if (err)
		return err;
	m->rcpt = envelope(m->to_header, 0, NULL);
	envelope(from->valuestring, 1, &m->from);
	if (cred) {
		const cJSON *u = cJSON_GetArrayItem(cred, 0), *p = cJSON_GetArrayItem(cred, 1);
		if (!cJSON_IsString(u) || !cJSON_IsString(p))
			return osfs_refuse(EINVAL, "credentials: [user, password]");
		/* smtplib encodes what AUTH sends as ASCII; the values stay unsaid */
		const char *bad = !ascii(u->valuestring) ? "user name" : !ascii(p->valuestring)
			? "password" : NULL;
		if (bad)
			return osfs_refuse(EINVAL, "credentials: UnicodeEncodeError: smtplib sends the %s "
					   "as ASCII (Python fails on it at every record)", bad);
		m->user = strdup(u->valuestring);
		m->password = strdup(p->valuestring);
	}
	/* `if self.username: if self.secure is not None: starttls` */
	m->secure = secure && !cJSON_IsNull(secure) && m->user && *m->user;
	if (m->secure && (err = tls_client_cert(&m->tls, secure)))
		return err;
	if ((err = tls_take(&m->tls, kwargs)))
		return err;
	m->timeout_ms = 5000;
	if (cJSON_IsNumber(timeout)) /* in range for the cast: up to about 24 days */
		m->timeout_ms = timeout->valuedouble <= 0 ? 1
			: timeout->valuedouble >= 2147483.0 ? 2147483000L
			: (long)(timeout->valuedouble * 1000);
	m->from_header = strdup(from->valuestring);
	m->subject = strdup(subject->valuestring);
	h->timeout_ms = (int)m->timeout_ms; /* per write, the lookup included */
	if ((err = smtp_url(m, name, port)))
		return err;
	/* resolved now, in bounded time, and pinned: no mail waits on DNS */
	struct addrinfo *res;
	char service[16], addr[INET6_ADDRSTRLEN], pin[512];
	snprintf(service, sizeof service, "%d", port);
	err = net_lookup(name, service, SOCK_STREAM, (int)m->timeout_ms, &res);
	if (err)
		return err;
	getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	int v6 = strchr(name, ':') != NULL;
	snprintf(pin, sizeof pin, "%s:%d:%s%s%s", name, port, strchr(addr, ':') ? "[" : "", addr,
		 strchr(addr, ':') ? "]" : "");
	m->resolve = v6 ? NULL : curl_slist_append(NULL, pin);
	m->curl = curl_easy_init();
	return m->curl && m->url && m->from && m->from_header && m->subject && (v6 || m->resolve)
		       ? 0 : -ENOMEM;
}

struct upload {
	const char *p;
	size_t left;
	/* credentials given: smtplib.login fails unless the server offers AUTH,
	 * where libcurl would send the mail unauthenticated; so the answers to
	 * EHLO are watched, and the mail is stopped at DATA if none offered it */
	int need_auth, ehlo_lines, auth_offered, refused;
};

/* The session as libcurl logs it: each EHLO starts afresh (smtplib forgets what
 * it knew), and an answer line past the first naming AUTH (AUTH, AUTH=...: what
 * has_extn("auth") finds) offers it. */
static int watch(CURL *c, curl_infotype type, char *data, size_t size, void *user)
{
	struct upload *u = user;
	if (type == CURLINFO_HEADER_OUT && size >= 5 && strncasecmp(data, "EHLO ", 5) == 0)
		u->ehlo_lines = u->auth_offered = 0;
	else if (type == CURLINFO_HEADER_IN && size >= 4 && memcmp(data, "250", 3) == 0 &&
		 (data[3] == '-' || data[3] == ' ') && u->ehlo_lines++ > 0 && size >= 8 &&
		 strncasecmp(data + 4, "AUTH", 4) == 0 &&
		 (size == 8 || (data[8] && strchr(" =\r\n", data[8]))))
		u->auth_offered = 1;
	return 0;
}

static size_t feed(char *buf, size_t size, size_t n, void *user)
{
	struct upload *u = user;
	if (u->need_auth && !u->auth_offered) {
		u->refused = 1;
		return CURL_READFUNC_ABORT;
	}
	size_t len = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

/* email.utils.localtime() as the Date header's format_datetime writes it. */
static void date_header(struct osfs_buf *out)
{
	struct tm tm;
	osfs_localtime(osfs_now(), &tm);
	osfs_strftime("%a, %d %b %Y %H:%M:%S %z", &tm, out);
}

/* The mail of one record (its text without the terminator). */
static void mail(const struct smtp *m, const char *text, size_t len, struct osfs_buf *out)
{
	osfs_buf_printf(out, "From: %s\r\nTo: %s\r\n", m->from_header, m->to_header);
	mail_unstructured("Subject", m->subject, out);
	osfs_buf_puts(out, "Date: ");
	date_header(out);
	osfs_buf_puts(out, "\r\n");
	mail_content(text, len, out);
}

static int smtp_emit(struct log_handler *h, struct log_emit *e)
{
	struct smtp *m = h->state;
	int err = 0;
	for (size_t i = 0; i < e->n && !err; i++) {
		size_t start = i ? e->rec[i - 1].end : 0, len = e->rec[i].end - start - 1;
		int left = log_ms_left(e->deadline);
		if (left == 0)
			return osfs_refuse(ETIMEDOUT, "mail to %s: the write's %ld ms are spent", m->url,
					   m->timeout_ms);
		struct osfs_buf msg = {0};
		mail(m, e->text + start, len, &msg);
		if ((err = osfs_buf_error(&msg)))
			break;
		struct upload u = {msg.data, msg.len, m->user && *m->user, 0, 0, 0};
		CURL *c = m->curl;
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, m->url);
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->from);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, m->rcpt);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
		curl_easy_setopt(c, CURLOPT_READDATA, &u);
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len); /* SIZE=, as smtplib */
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L); /* a connection a mail, as smtplib */
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
		if (m->resolve)
			curl_easy_setopt(c, CURLOPT_RESOLVE, m->resolve);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_stoppable(c);
		if (m->user) {
			curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
			curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
		}
		/* smtplib.login sends the first response with AUTH, as SASL-IR does */
		curl_easy_setopt(c, CURLOPT_SASL_IR, 1L);
		if (m->secure)
			curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		tls_setopt(&m->tls, c);
		if (u.need_auth) {
			curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, watch);
			curl_easy_setopt(c, CURLOPT_DEBUGDATA, &u);
			curl_easy_setopt(c, CURLOPT_VERBOSE, 1L); /* what calls watch */
		}
		CURLcode rc = curl_easy_perform(c);
		if (u.refused)
			err = osfs_refuse(EPROTO, "mail to %s: SMTP AUTH extension not supported by "
					  "server (smtplib.login's refusal: no mail sent)", m->url);
		else if (rc != CURLE_OK) {
			char what[600];
			snprintf(what, sizeof what, "mail to %s", m->url);
			err = tls_refuse(&m->tls, rc, what);
		} else
			e->sent = i + 1;
		osfs_buf_free(&msg);
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
	free(m->from_header);
	free(m->subject);
	free(m->to_header);
	free(m->user);
	free(m->password);
	tls_free(&m->tls);
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
