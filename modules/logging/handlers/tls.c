/* TLS for SMTPHandler and HTTPHandler through libcurl: whom to trust, whether
 * to check, the client's certificate, and a failure said with its reason
 * (unknown CA, name mismatch, expired) rather than libcurl's generic words. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/logging/logging.h"
#include "osfs/refuse.h"

/* The mount's trust, -o tls_cafile / tls_capath: set once at start. */
static char *mount_cafile, *mount_capath;

/* A path the handler reads at every connection: absolute (from where osfs was
 * started, as filename is), and readable now, so a typo is refused at once. */
static int readable_path(const char *what, const char *given, char **out)
{
	char *path = log_absolute(given);
	if (!path)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		free(path);
		return osfs_refuse(e, "%s: cannot read '%s': %s", what, given, strerror(e));
	}
	close(fd);
	*out = path;
	return 0;
}

int log_set_tls_trust(const char *cafile, const char *capath)
{
	free(mount_cafile);
	free(mount_capath);
	mount_cafile = mount_capath = NULL;
	int err = 0;
	if (cafile && *cafile)
		err = readable_path("tls_cafile", cafile, &mount_cafile);
	if (!err && capath && *capath)
		err = readable_path("tls_capath", capath, &mount_capath);
	return err;
}

int tls_take(struct tls *t, const cJSON *kwargs)
{
	const cJSON *cafile = cJSON_GetObjectItemCaseSensitive(kwargs, "tls_cafile");
	const cJSON *capath = cJSON_GetObjectItemCaseSensitive(kwargs, "tls_capath");
	const cJSON *verify = cJSON_GetObjectItemCaseSensitive(kwargs, "tls_verify");
	t->verify = !verify || cJSON_IsTrue(verify);
	const cJSON *certfile = cJSON_GetObjectItemCaseSensitive(kwargs, "tls_certfile");
	const cJSON *keyfile = cJSON_GetObjectItemCaseSensitive(kwargs, "tls_keyfile");
	const struct {
		const cJSON *given;
		const char *what;
		char **path;
	} files[] = {
		{cafile, "tls_cafile", &t->cafile},
		{capath, "tls_capath", &t->capath},
		{certfile, "tls_certfile", &t->certfile},
		{keyfile, "tls_keyfile", &t->keyfile},
	};
	if (cJSON_IsString(keyfile) && *keyfile->valuestring &&
	    !(cJSON_IsString(certfile) && *certfile->valuestring))
		return osfs_refuse(EINVAL, "tls_keyfile: ValueError: certfile must be specified "
				   "(load_cert_chain's rule: tls_certfile too)");
	int err = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0] && !err; i++)
		if (cJSON_IsString(files[i].given) && *files[i].given->valuestring)
			err = readable_path(files[i].what, files[i].given->valuestring, files[i].path);
	return err;
}

/* secure[i] as Python indexes it: an item of a list, a character of a str;
 * NULL past the end (IndexError), or for an item that is None or empty. */
static int secure_item(const cJSON *secure, int i, const char **out, char *one)
{
	*out = NULL;
	if (cJSON_IsString(secure)) {
		const unsigned char *p = (const unsigned char *)secure->valuestring;
		for (int k = 0; *p && k < i; k++) /* skip whole UTF-8 characters */
			for (p++; (*p & 0xC0) == 0x80; p++)
				;
		size_t n = 0;
		if (*p)
			for (n = 1; (p[n] & 0xC0) == 0x80; n++)
				;
		memcpy(one, p, n);
		one[n] = '\0';
		*out = n ? one : NULL;
		return 0;
	}
	const cJSON *v = py_deref(cJSON_GetArrayItem(secure, i));
	if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		return 0;
	if (!cJSON_IsString(v))
		return osfs_refuse(EINVAL, "secure[%d]: a file name, not %s (Python fails on it at "
				   "every record)", i, py_type_name(v));
	*out = v->valuestring;
	return 0;
}

int tls_client_cert(struct tls *t, const cJSON *secure)
{
	secure = py_deref(secure);
	if (!cJSON_IsArray(secure) && !cJSON_IsString(secure))
		return osfs_refuse(EINVAL, "secure: TypeError: '%s' object is not subscriptable (a "
				   "list: [], [keyfile] or [keyfile, certfile]; Python fails on it at "
				   "every record)", py_type_name(secure));
	const char *keyfile, *certfile;
	char k1[8], c1[8];
	int err = secure_item(secure, 0, &keyfile, k1);
	if (!err)
		err = secure_item(secure, 1, &certfile, c1);
	if (err)
		return err;
	if (keyfile && !certfile)
		return osfs_refuse(EINVAL, "secure: ValueError: certfile must be specified (ssl's rule "
				   "for [keyfile] alone: Python fails on it at every record)");
	if (certfile && (err = readable_path("secure: certfile", certfile, &t->certfile)))
		return err;
	if (keyfile && (err = readable_path("secure: keyfile", keyfile, &t->keyfile)))
		return err;
	return 0;
}

void tls_setopt(struct tls *t, CURL *c)
{
	t->error[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, (long)t->verify);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
	const char *cafile = t->cafile, *capath = t->capath;
	if (!cafile && !capath) { /* the handler's own trust, else the mount's, else the system's */
		cafile = mount_cafile;
		capath = mount_capath;
	}
	if (cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	if (capath) {
		curl_easy_setopt(c, CURLOPT_CAPATH, capath);
		if (!cafile) /* the path alone, not the system's bundle beside it */
			curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
	}
	if (t->certfile) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, t->certfile);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		/* load_cert_chain(certfile, None): the key in the certificate's file */
		curl_easy_setopt(c, CURLOPT_SSLKEY, t->keyfile ? t->keyfile : t->certfile);
	}
}

/* How a failed transfer reads: its errno (the rest: a refused connection) and,
 * for TLS, words a person knows from Python's ssl and smtplib before libcurl's
 * detail (which names the reason: unknown CA, another name, expired). */
static const struct {
	CURLcode rc;
	int err;
	const char *words;
} failures[] = {
	{CURLE_OPERATION_TIMEDOUT, ETIMEDOUT, NULL},
	{CURLE_PEER_FAILED_VERIFICATION, EPROTO, "certificate verify failed"},
	{CURLE_SSL_CONNECT_ERROR, EPROTO, "TLS handshake failed"},
	{CURLE_USE_SSL_FAILED, EPROTO, "STARTTLS extension not supported by server"},
	{CURLE_SSL_CACERT_BADFILE, EINVAL, "cannot load the CA certificates"},
	{CURLE_SSL_CERTPROBLEM, EINVAL, "cannot load the client certificate or key"},
	{CURLE_LOGIN_DENIED, EACCES, "authentication failed"},
};

int tls_refuse(const struct tls *t, CURLcode rc, const char *what)
{
	int err = ECONNREFUSED;
	const char *words = curl_easy_strerror(rc);
	for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++)
		if (failures[i].rc == rc) {
			err = failures[i].err;
			words = failures[i].words ? failures[i].words : words;
		}
	const char *hint = rc == CURLE_PEER_FAILED_VERIFICATION && !t->cafile && !t->capath &&
		!mount_cafile && !mount_capath
		? "; tls_cafile names a CA to trust" : "";
	if (t->error[0] && strcmp(t->error, words) != 0)
		return osfs_refuse(err, "%s: %s (%s)%s", what, words, t->error, hint);
	return osfs_refuse(err, "%s: %s%s", what, words, hint);
}

void tls_free(struct tls *t)
{
	free(t->cafile);
	free(t->capath);
	free(t->certfile);
	free(t->keyfile);
}
