/* TLS for the handlers that speak through libcurl: SMTPHandler's STARTTLS and
 * HTTPHandler's https.  The server's certificate and name are verified by
 * default, against the system's CAs, the mount's (-o tls_cafile, tls_capath)
 * or the handler's own: the attributes tls_cafile, tls_capath and tls_verify,
 * set by dictConfig's '.' key, where a Python config keeps them harmlessly
 * (Python's `context` is an object no document can hold).  A client
 * certificate where SMTPHandler's secure tuple names one, or HTTPHandler's
 * tls_certfile and tls_keyfile (the context's load_cert_chain). */
#ifndef OSFS_LOGGING_TLS_H
#define OSFS_LOGGING_TLS_H

#include "curl_lib.h"
#include <cjson/cJSON.h>

struct tls {
	char *cafile, *capath;       /* whom to trust; NULL: the mount's, else the system's */
	char *certfile, *keyfile;    /* the client's certificate and key; NULL: none */
	int verify;                  /* check the server's certificate and name (1 unless told) */
	char error[CURL_ERROR_SIZE]; /* libcurl's words for the last failure */
};

/* The '.' attributes tls_cafile, tls_capath, tls_verify (and, where the class
 * takes them, tls_certfile, tls_keyfile): 0, or -errno after osfs_refuse(). */
int tls_take(struct tls *t, const cJSON *kwargs);
/* SMTPHandler's secure, as Python 3.12 reads it: secure[0] the keyfile,
 * secure[1] the certfile (IndexError: None), ssl._create_stdlib_context's rule. */
int tls_client_cert(struct tls *t, const cJSON *secure);
/* Sets the transfer's TLS options (after curl_easy_reset). */
void tls_setopt(struct tls *t, CURL *c);
/* A failed transfer's refusal: "WHAT: libcurl's reason (its detail)", with an
 * errno that tells a TLS failure from a refused connection or a timeout. */
int tls_refuse(const struct tls *t, CURLcode rc, const char *what);
void tls_free(struct tls *t);

#endif
