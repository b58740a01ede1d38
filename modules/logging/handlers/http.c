/* logging.handlers.HTTPHandler: urlencode(record.__dict__) by GET (in the URL) or
 * POST (a form body), as Python sends it, through libcurl.  The host is resolved
 * when the handler is made (in bounded time) and pinned, so no record waits on
 * DNS; a write spends at most the timeout on its records, all of them together.
 * https verifies the server as Python's default context does (tls.h). */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "../internal.h"
#include "curl_lib.h"
#include "net.h"
#include "osfs/refuse.h"
#include "tls.h"

#define TIMEOUT_MS 5000

struct http {
	CURL *curl;
	struct curl_slist *resolve;
	char *url;  /* scheme://host/url */
	int post;
	char *userpwd;
	struct tls tls;
};

/* Python's context (an ssl.SSLContext) has no JSON form: only None is taken;
 * the '.' attributes tls_cafile, tls_capath, tls_verify, and tls_certfile and
 * tls_keyfile (a client certificate: load_cert_chain) stand for it. */
static const char *const params[] = {"host", "url", "method", "secure", "credentials", "context",
				     NULL};
static const struct handler_attr attrs[] = {
	{"tls_cafile", ATTR_STR, 1},   {"tls_capath", ATTR_STR, 1}, {"tls_verify", ATTR_TRUTH, 1},
	{"tls_certfile", ATTR_STR, 1}, {"tls_keyfile", ATTR_STR, 1}, {NULL, 0, 0}};

/* urllib.parse.quote_plus */
static void quote_plus(const char *s, struct osfs_buf *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("_.-~", *p))
			osfs_buf_putc(out, (char)*p);
		else if (*p == ' ')
			osfs_buf_putc(out, '+');
		else
			osfs_buf_printf(out, "%%%02X", *p);
	}
}

/* mapLogRecord: record.__dict__ in its order, each value as str(). */
static void http_render(struct log_handler *h, const struct log_record *r, struct osfs_buf *out)
{
	static const char *const keys[] = {
		"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
		"exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
		"relativeCreated", "thread", "threadName", "processName", "process", "taskName",
	};
	struct osfs_buf v = {0};
	int first = 1;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] + r->nextra; i++) {
		const char *key = i < sizeof keys / sizeof keys[0] ? keys[i]
								   : r->extra[i - sizeof keys / sizeof keys[0]].key;
		struct pyval pv;
		if (log_record_get(r, key, &pv) < 0)
			continue;
		osfs_buf_reset(&v);
		pv_str(&pv, &v);
		osfs_buf_printf(out, "%s%s=", first ? "" : "&", key);
		quote_plus(v.data ? v.data : "", out);
		first = 0;
	}
	osfs_buf_free(&v);
}

static int http_open(struct log_handler *h, const cJSON *kwargs)
{
	struct http *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	h->state = t;
	h->timeout_ms = TIMEOUT_MS; /* what one write may spend sending its records */
	int loaded = curl_load(); /* before any curl_* call */
	if (loaded)
		return loaded;
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(kwargs, "host");
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(kwargs, "url");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(kwargs, "method");
	const cJSON *cred = cJSON_GetObjectItemCaseSensitive(kwargs, "credentials");
	if (!cJSON_IsString(host) || !cJSON_IsString(url))
		return osfs_refuse(EINVAL, "HTTPHandler needs host and url");
	const char *m = cJSON_IsString(method) ? method->valuestring : "GET";
	if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		return osfs_refuse(EINVAL, "method must be GET or POST");
	t->post = m[0] == 'P';
	int secure = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kwargs, "secure"));
	const cJSON *context = cJSON_GetObjectItemCaseSensitive(kwargs, "context");
	if (context && !cJSON_IsNull(context))
		return osfs_refuse(EINVAL, !secure ? "ValueError: context parameter only makes sense "
				   "with secure=True" : "context: an ssl.SSLContext has no form in a "
				   "document; the '.' attributes tls_cafile, tls_capath, tls_verify, "
				   "tls_certfile and tls_keyfile stand for it");
	if (asprintf(&t->url, "%s://%s%s", secure ? "https" : "http", host->valuestring,
		     url->valuestring) < 0)
		return -ENOMEM;
	if (cred) {
		const cJSON *u = cJSON_GetArrayItem(cred, 0), *p = cJSON_GetArrayItem(cred, 1);
		if (!cJSON_IsString(u) || !cJSON_IsString(p) ||
		    asprintf(&t->userpwd, "%s:%s", u->valuestring, p->valuestring) < 0)
			return osfs_refuse(EINVAL, "credentials: [user, password]");
	}
	int taken = tls_take(&t->tls, kwargs);
	if (taken)
		return taken;
	/* host[:port] as http.client reads it, resolved now and pinned for libcurl */
	char name[256];
	snprintf(name, sizeof name, "%s", host->valuestring);
	char *colon = strrchr(name, ':'), *bracket = strrchr(name, ']');
	long port = secure ? 443 : 80;
	if (colon && (!bracket || colon > bracket)) {
		char *end;
		if (colon[1]) {
			port = strtol(colon + 1, &end, 10);
			if (*end || colon[1] == '-' || colon[1] == '+')
				return osfs_refuse(EINVAL, "nonnumeric port: '%s'", colon + 1);
			if (port < 0 || port > 65535)
				return osfs_refuse(EINVAL, "port must be 0-65535");
		}
		*colon = '\0';
	}
	char *bare = name;
	if (name[0] == '[' && name[strlen(name) - 1] == ']') {
		name[strlen(name) - 1] = '\0';
		bare = name + 1;
	}
	struct addrinfo *res;
	char service[16];
	snprintf(service, sizeof service, "%ld", port);
	int err = net_lookup(bare, service, SOCK_STREAM, NET_RESOLVE_MS, &res);
	if (err)
		return err;
	char addr[INET6_ADDRSTRLEN], pin[512];
	getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	snprintf(pin, sizeof pin, "%s:%ld:%s%s%s", bare, port, strchr(addr, ':') ? "[" : "", addr,
		 strchr(addr, ':') ? "]" : "");
	t->resolve = curl_slist_append(NULL, pin);
	t->curl = curl_easy_init();
	if (!t->curl || !t->resolve)
		return -ENOMEM;
	return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *user)
{
	return size * n; /* "can't do anything with the result", as Python says */
}

static int http_emit(struct log_handler *h, struct log_emit *e)
{
	struct http *t = h->state;
	int err = 0;
	for (size_t i = 0; i < e->n && !err; i++) {
		size_t start = i ? e->rec[i - 1].end : 0;
		int left = log_ms_left(e->deadline);
		if (left == 0)
			return osfs_refuse(ETIMEDOUT, "HTTP to %s: the write's %d ms are spent", t->url,
					   h->timeout_ms);
		char *data = strndup(e->text + start, e->rec[i].end - start);
		char *url = NULL;
		if (!data || (!t->post && asprintf(&url, "%s%c%s", t->url, strchr(t->url, '?') ? '&' : '?',
						   data) < 0)) {
			free(data);
			return -ENOMEM;
		}
		CURL *c = t->curl;
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, t->post ? t->url : url);
		curl_easy_setopt(c, CURLOPT_RESOLVE, t->resolve);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_stoppable(c);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		tls_setopt(&t->tls, c);
		if (t->post)
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
		if (t->userpwd) {
			curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_USERPWD, t->userpwd);
		}
		CURLcode rc = curl_easy_perform(c);
		long status = 0;
		if (rc == CURLE_OK && e->spooling) /* Python reads no status; a spool retries a 5xx */
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK) {
			char what[600];
			snprintf(what, sizeof what, "HTTP to %s", t->url);
			err = tls_refuse(&t->tls, rc, what);
		} else if (status >= 500) {
			err = osfs_refuse(EAGAIN, "HTTP to %s: the server answered %ld", t->url, status);
		} else {
			e->sent = i + 1;
		}
		free(url);
		free(data);
	}
	return err;
}

static void http_close(struct log_handler *h)
{
	struct http *t = h->state;
	if (!t)
		return;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	curl_slist_free_all(t->resolve);
	free(t->url);
	free(t->userpwd);
	tls_free(&t->tls);
	free(t);
}

const struct handler_class http_handler = {
	.name = "logging.handlers.HTTPHandler",
	.params = params,
	.attrs = attrs,
	.open = http_open,
	.emit = http_emit,
	.render = http_render,
	.close = http_close,
	.spool = SPOOL_REQUEST,
};
