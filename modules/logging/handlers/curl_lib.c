/* libcurl through dlopen, started once, when a handler first needs it. */
#include "curl_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

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
