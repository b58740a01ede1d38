/* libcurl, loaded by the first handler that needs it (HTTPHandler, SMTPHandler)
 * rather than linked: loading it brings OpenSSL, GnuTLS, Kerberos and their
 * start-up, megabytes of memory a mount without those handlers never needs.
 * Including this header makes the curl_* calls go through the loaded table. */
#ifndef OSFS_LOGGING_CURL_LIB_H
#define OSFS_LOGGING_CURL_LIB_H

#include <curl/curl.h>

struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_reset)(CURL *c);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

extern struct curl_api curl_api;

/* Loads and starts libcurl, once: 0, or -errno after osfs_refuse(). */
int curl_load(void);
/* A transfer that ends when osfs stops (stop.c): set after curl_easy_reset. */
void curl_stoppable(CURL *c);

#undef curl_easy_setopt
#define curl_easy_init curl_api.easy_init
#define curl_easy_setopt curl_api.easy_setopt
#define curl_easy_perform curl_api.easy_perform
#undef curl_easy_getinfo
#define curl_easy_getinfo curl_api.easy_getinfo
#define curl_easy_reset curl_api.easy_reset
#define curl_easy_cleanup curl_api.easy_cleanup
#define curl_easy_strerror curl_api.easy_strerror
#define curl_slist_append curl_api.slist_append
#define curl_slist_free_all curl_api.slist_free_all

#endif
