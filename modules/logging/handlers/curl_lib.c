/* libcurl through dlopen, started once, when a handler first needs it. */
#include "curl_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../internal.h"
#include "osfs/refuse.h"

struct curl_api curl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure; /* why it could not be loaded */

#define SYM(field, name) {(void **)&curl_api.field, name}

static void load(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		failure = dlerror();
		return;
	}
	const struct {
		void **slot;
		const char *name;
	} syms[] = {
		SYM(global_init, "curl_global_init"),   SYM(easy_init, "curl_easy_init"),
		SYM(easy_setopt, "curl_easy_setopt"),   SYM(easy_perform, "curl_easy_perform"),
		SYM(easy_getinfo, "curl_easy_getinfo"),
		SYM(easy_reset, "curl_easy_reset"),     SYM(easy_cleanup, "curl_easy_cleanup"),
		SYM(easy_strerror, "curl_easy_strerror"), SYM(slist_append, "curl_slist_append"),
		SYM(slist_free_all, "curl_slist_free_all"),
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		if (!(*syms[i].slot = dlsym(lib, syms[i].name))) {
			failure = "libcurl.so.4 lacks a function osfs needs";
			return;
		}
	}
	if (curl_api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		failure = "curl_global_init failed";
}

int curl_load(void)
{
	pthread_once(&once, load);
	return failure ? osfs_refuse(ENOSYS, "cannot use libcurl: %s", failure) : 0;
}

/* The sockets of a transfer, known to stop.c: shut down when osfs stops. */
static curl_socket_t socket_opened(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	log_socket_opened(fd);
	return fd;
}

static int socket_closed(void *user, curl_socket_t fd)
{
	log_socket_closed(fd);
	return close(fd);
}

/* Called during a transfer at least once a second: past the stop's deadline it ends. */
static int progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		    curl_off_t ulnow)
{
	int64_t stop = __atomic_load_n(&log_stopping_at, __ATOMIC_RELAXED);
	return stop && log_clock_ns() >= stop;
}

void curl_stoppable(CURL *c)
{
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, socket_opened);
	curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, socket_closed);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}
