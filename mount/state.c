/* The state file: what a user set through the files (the logging configuration,
 * custom level names, logging.disable and raise_exceptions, the os/environ store
 * and time/tz), as one JSON document, saved atomically on every change and loaded
 * at start.  And the logging_config file, applied at start and on SIGHUP. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "osfs/logging/logging.h"
#include "osfs/os.h"
#include "osfs/refuse.h"
#include "osfs/time.h"
#include "tree/tree.h"

static char *state_path, *config_path;
static int loading; /* applying a file: its changes are not saved back */
/* Changes arrive on any FUSE thread: one save at a time, each of the whole state. */
static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;

static char *slurp(const char *path, int *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		*err = -errno;
		return NULL;
	}
	struct osfs_buf b = {0};
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		osfs_buf_add(&b, chunk, n);
	fclose(f);
	*err = osfs_buf_error(&b);
	return b.data ? b.data : strdup("");
}

/* JSON if it starts with '{', else configparser's INI. */
static int apply_logging_config(const char *path)
{
	int err;
	char *text = slurp(path, &err);
	if (!text) {
		fprintf(stderr, "osfs: cannot read %s: %s\n", path, strerror(-err));
		return err;
	}
	const char *p = text + strspn(text, " \t\r\n");
	err = *p == '{' ? log_dict_config(text) : log_file_config(text);
	if (err)
		fprintf(stderr, "osfs: %s: %s\n", path, osfs_refusal());
	osfs_refusal_clear();
	free(text);
	return err;
}

static void add_level(void *ctx, const char *name)
{
	int level;
	if (log_level_of(name, &level) == 0)
		cJSON_AddNumberToObject(ctx, name, level);
}

static void save_locked(void);

void state_save(void)
{
	if (!state_path || loading)
		return;
	pthread_mutex_lock(&save_lock);
	save_locked();
	pthread_mutex_unlock(&save_lock);
}

static void save_locked(void)
{
	cJSON *doc = cJSON_CreateObject();
	struct osfs_buf b = {0};
	log_config_json_full(&b); /* secrets kept: the state file is the owner's (0600) */
	cJSON_AddItemToObject(doc, "logging", cJSON_Parse(b.data ? b.data : "{}"));
	cJSON_AddItemToObject(doc, "levels", cJSON_CreateObject());
	log_level_names(add_level, cJSON_GetObjectItem(doc, "levels"));
	osfs_buf_reset(&b);
	log_level_name(log_disable_get(), &b);
	cJSON_AddStringToObject(doc, "disable", b.data ? b.data : "NOTSET");
	cJSON_AddBoolToObject(doc, "raise_exceptions", log_raise_get());
	struct osfs_kv env = {0};
	osfs_environ_all(&env);
	cJSON *e = cJSON_AddObjectToObject(doc, "environ");
	for (size_t i = 0; i < env.count; i++)
		cJSON_AddStringToObject(e, env.fields[i].key, env.fields[i].text);
	osfs_kv_free(&env);
	osfs_buf_reset(&b);
	const char *tz = getenv("TZ");
	cJSON_AddStringToObject(doc, "tz", tz ? tz : "");
	osfs_buf_free(&b);

	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
	int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	int ok = fd >= 0;
	for (size_t off = 0, len = ok ? strlen(text) : 0; ok && off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		ok = n > 0;
		off += n > 0 ? (size_t)n : 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, state_path) < 0) {
		osfs_errlog_add(getpid(), "(state)", EIO, "cannot save the state file");
		unlink(tmp);
	}
	cJSON_free(text);
}

static int load_state(void)
{
	int err;
	char *text = slurp(state_path, &err);
	if (!text)
		return err == -ENOENT ? 0 : err; /* no state yet */
	cJSON *doc = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		fprintf(stderr, "osfs: %s is not a JSON object\n", state_path);
		return -EINVAL;
	}
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "levels"))
		if (cJSON_IsNumber(c))
			log_level_add(c->string, c->valueint);
	const cJSON *env = cJSON_GetObjectItem(doc, "environ");
	if (cJSON_IsObject(env)) {
		struct osfs_kv all = {0};
		osfs_environ_all(&all);
		for (size_t i = 0; i < all.count; i++)
			osfs_environ_unset(all.fields[i].key);
		osfs_kv_free(&all);
		cJSON_ArrayForEach(c, env)
			if (cJSON_IsString(c))
				osfs_environ_set(c->string, c->valuestring);
	}
	const cJSON *tz = cJSON_GetObjectItem(doc, "tz");
	if (cJSON_IsString(tz) && osfs_tz_set(tz->valuestring) < 0)
		fprintf(stderr, "osfs: %s: %s\n", state_path, osfs_refusal());
	const cJSON *disable = cJSON_GetObjectItem(doc, "disable");
	int level;
	if (cJSON_IsString(disable) && log_level_parse(disable->valuestring, &level) == 0)
		log_disable_set(level);
	log_raise_set(cJSON_IsTrue(cJSON_GetObjectItem(doc, "raise_exceptions")));
	const cJSON *logging = cJSON_GetObjectItem(doc, "logging");
	err = 0;
	if (cJSON_IsObject(logging)) {
		char *json = cJSON_PrintUnformatted(logging);
		err = json ? log_dict_config(json) : -ENOMEM;
		if (err)
			fprintf(stderr, "osfs: %s: %s\n", state_path, osfs_refusal());
		cJSON_free(json);
	}
	osfs_refusal_clear();
	cJSON_Delete(doc);
	return err;
}

int state_start(const char *state_file, const char *logging_config)
{
	state_path = state_file ? strdup(state_file) : NULL;
	config_path = logging_config ? strdup(logging_config) : NULL;
	loading = 1;
	int err = config_path ? apply_logging_config(config_path) : 0;
	if (!err && state_path)
		err = load_state();
	loading = 0;
	tree_on_change = state_save;
	return err;
}

int state_reload(void)
{
	if (!config_path)
		return 0;
	int err = apply_logging_config(config_path); /* saved through the change hook */
	if (err)
		osfs_errlog_add(getpid(), "(SIGHUP)", -err, "the logging_config file was not applied");
	return err;
}
