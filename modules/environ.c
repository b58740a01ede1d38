/* The daemon's environment store, os.environ: set, unset and read under one lock. */
#include "osfs/os.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "osfs/refuse.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct osfs_kv store;

void osfs_environ_init(char **envp)
{
	pthread_mutex_lock(&lock);
	osfs_kv_free(&store);
	for (char **e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			continue;
		char name[256];
		size_t len = (size_t)(eq - *e);
		if (len >= sizeof name)
			continue;
		memcpy(name, *e, len);
		name[len] = '\0';
		if (!osfs_kv_get(&store, name)) /* a name twice: its first value, as os.environ */
			osfs_kv_str(&store, name, eq + 1);
	}
	pthread_mutex_unlock(&lock);
}

void osfs_environ_fini(void)
{
	pthread_mutex_lock(&lock);
	osfs_kv_free(&store);
	pthread_mutex_unlock(&lock);
}

/* A name os.environ can hold: not empty, no '=' and no NUL (a file name has none). */
int osfs_environ_valid_name(const char *name)
{
	return *name && !strchr(name, '=') && strlen(name) < 256;
}

int osfs_environ_get(const char *name, struct osfs_buf *out)
{
	pthread_mutex_lock(&lock);
	const char *v = osfs_kv_get(&store, name);
	if (v)
		osfs_buf_puts(out, v);
	pthread_mutex_unlock(&lock);
	return v ? 0 : osfs_refuse(ENOENT, "'%s' is not in the environment", name);
}

int osfs_environ_set(const char *name, const char *value)
{
	if (!osfs_environ_valid_name(name))
		return osfs_refuse(EINVAL, "'%s' cannot be an environment variable name", name);
	pthread_mutex_lock(&lock);
	osfs_kv_str(&store, name, value);
	int err = osfs_kv_error(&store);
	pthread_mutex_unlock(&lock);
	return err;
}

int osfs_environ_unset(const char *name)
{
	pthread_mutex_lock(&lock);
	int found = osfs_kv_del(&store, name);
	pthread_mutex_unlock(&lock);
	return found ? 0 : osfs_refuse(ENOENT, "'%s' is not in the environment", name);
}

void osfs_environ_all(struct osfs_kv *out)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < store.count; i++)
		osfs_kv_str(out, store.fields[i].key, store.fields[i].text);
	pthread_mutex_unlock(&lock);
}
