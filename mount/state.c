/* The state file: what a user set through the files (the logging configuration,
 * custom level names, logging.disable and raise_exceptions, the os/environ store,
 * time/tz, and the owner's chmod/chgrp of loggers), as one JSON document, loaded at
 * start and saved atomically (a fresh file made O_EXCL|O_NOFOLLOW in the state
 * file's directory, written, fsync'ed, renamed over it) by one saver thread.
 *
 * When a change is saved: a setting, a document or a chmod waits for a save that
 * covers it, so that its write() fails with the save's errno, and the change is
 * undone, when the save fails (node_commit).  Objects made and removed (mkdir,
 * rmdir, a new os/environ name) do not wait: the saver takes every change of the
 * last SAVE_DELAY_MS in one save, so that 4,000 mkdirs cost a few saves, not 4,000;
 * a background save that fails is logged in errors and tried again with the next
 * change and at exit.  And the logging_config file, applied at start and on SIGHUP. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "node.h"
#include "osfs/logging/logging.h"
#include "osfs/logging/tail.h"
#include "osfs/os.h"
#include "osfs/refuse.h"
#include "osfs/thread.h"
#include "osfs/time.h"
#include "tree/tree.h"

#define SAVE_DELAY_MS 50

static char *state_path, *config_path;
static char *state_base; /* the file's name in its directory */
static int state_dir = -1; /* the directory, opened once at start */
static int loading;       /* applying a file: its changes are not saved back */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed, saved;
	unsigned long made;     /* changes made */
	unsigned long covered;  /* changes the last save took */
	int result;             /* its outcome: 0 or -errno, with why */
	char why[OSFS_REFUSAL_MAX];
	unsigned waiting;       /* threads waiting for a save */
	int stop, running;
	pthread_t thread;
} saver = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER,
	   .saved = PTHREAD_COND_INITIALIZER};

static __thread unsigned long mine; /* the last change this thread made */

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

/* JSON if it starts with '{', else configparser's INI: 0, or -errno with why it
 * failed in why ("FILE: the refusal", as a write of it to logging/config says). */
static int apply_logging_config(const char *path, char *why, size_t size)
{
	int err;
	char *text = slurp(path, &err);
	if (!text) {
		snprintf(why, size, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	const char *p = text + strspn(text, " \t\r\n");
	err = *p == '{' ? log_dict_config(text) : log_file_config(text);
	if (err)
		snprintf(why, size, "%s: %s", path, osfs_refusal());
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

static void add_access(void *ctx, const char *path, mode_t mode, gid_t gid)
{
	char octal[8];
	snprintf(octal, sizeof octal, "%04o", (unsigned)mode);
	cJSON *c = cJSON_AddObjectToObject(ctx, path);
	cJSON_AddStringToObject(c, "mode", octal);
	cJSON_AddNumberToObject(c, "gid", gid);
}

static void add_tail(void *ctx, const char *logger, const char *formatter)
{
	cJSON_AddStringToObject(ctx, logger, formatter);
}

static void add_spool(void *ctx, const char *id, long n)
{
	cJSON_AddNumberToObject(ctx, id, (double)n);
}

/* The state as one JSON document (NULL if out of memory). */
static char *state_text(void)
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
	int last = log_last_resort_get();
	osfs_buf_reset(&b);
	if (last < 0)
		osfs_buf_puts(&b, "None");
	else
		log_level_name(last, &b);
	cJSON_AddStringToObject(doc, "last_resort", b.data ? b.data : "WARNING");
	struct osfs_kv env = {0};
	osfs_environ_all(&env);
	cJSON *e = cJSON_AddObjectToObject(doc, "environ");
	for (size_t i = 0; i < env.count; i++)
		cJSON_AddStringToObject(e, env.fields[i].key, env.fields[i].text);
	osfs_kv_free(&env);
	osfs_buf_free(&b);
	const char *tz = getenv("TZ");
	cJSON_AddStringToObject(doc, "tz", tz ? tz : "");
	access_each(add_access, cJSON_AddObjectToObject(doc, "access"));
	log_tail_formatters(add_tail, cJSON_AddObjectToObject(doc, "tail_formatters"));
	log_spool_settings(add_spool, cJSON_AddObjectToObject(doc, "spool"));
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

/* Writes len bytes of text to fd: 0 or -errno. */
static int write_all(int fd, const char *text, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno != EINTR)
			return -errno;
		off += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* A fresh temporary file in the state file's directory, made there and nowhere
 * else (O_EXCL: never an existing file, nor a planted link): its fd, with its name
 * in tmp; or -errno. */
static int fresh_file(char *tmp, size_t size)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned long long r = 0;
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			r = (unsigned long long)clock() ^ ((unsigned long long)getpid() << 32) ^ (unsigned)tries;
		snprintf(tmp, size, ".%s.%012llx", state_base, r & 0xffffffffffffULL);
		int fd = openat(state_dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* Writes text to a fresh file and renames it over the state file: 0, or -errno
 * with *step saying what failed. */
static int replace_with(const char *text, const char **step)
{
	char tmp[300];
	*step = "create a file in its directory";
	int fd = fresh_file(tmp, sizeof tmp);
	if (fd < 0)
		return fd;
	*step = "write it";
	int err = write_all(fd, text, strlen(text));
	if (!err && fsync(fd) < 0) {
		*step = "fsync it";
		err = -errno;
	}
	if (close(fd) < 0 && !err) {
		*step = "close it";
		err = -errno;
	}
	if (!err && renameat(state_dir, tmp, state_dir, state_base) < 0) {
		*step = "rename it over the old one";
		err = -errno;
	}
	if (err) {
		unlinkat(state_dir, tmp, 0);
		return err;
	}
	if (fsync(state_dir) < 0 && errno != EINVAL) {
		*step = "fsync its directory";
		return -errno;
	}
	return 0;
}

/* Saves the state now: 0, or -errno with the reason in why (the path named). */
static int save_now(char *why, size_t size)
{
	char *text = state_text();
	const char *step = "out of memory";
	int err = text ? replace_with(text, &step) : -ENOMEM;
	if (err == -ENOMEM && !text)
		snprintf(why, size, "cannot save %s: out of memory", state_path);
	else if (err)
		snprintf(why, size, "cannot save %s: %s: %s", state_path, step, strerror(-err));
	cJSON_free(text);
	return err;
}

/* The saver: one save for every change made while the last one ran, or within
 * SAVE_DELAY_MS of the first one when nobody waits for it. */
static void *saver_main(void *arg)
{
	pthread_mutex_lock(&saver.lock);
	for (;;) {
		while (saver.made == saver.covered && !saver.stop)
			pthread_cond_wait(&saver.changed, &saver.lock);
		if (saver.made == saver.covered && saver.result == 0)
			break; /* stopping, and everything is saved */
		if (!saver.waiting && !saver.stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += SAVE_DELAY_MS * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (!saver.waiting && !saver.stop &&
			       pthread_cond_timedwait(&saver.changed, &saver.lock, &until) == 0)
				;
		}
		unsigned long taking = saver.made;
		int waited = saver.waiting > 0, last = saver.stop;
		pthread_mutex_unlock(&saver.lock);
		char why[OSFS_REFUSAL_MAX];
		int err = save_now(why, sizeof why);
		if (err && !waited) /* nobody's write() will say it */
			osfs_errlog_add(getpid(), "(state)", -err, why);
		pthread_mutex_lock(&saver.lock);
		saver.covered = taking;
		saver.result = err;
		memcpy(saver.why, why, sizeof why);
		pthread_cond_broadcast(&saver.saved);
		if (last)
			break;
	}
	saver.running = 0;
	pthread_cond_broadcast(&saver.saved);
	pthread_mutex_unlock(&saver.lock);
	return NULL;
}

/* Every change of what the state keeps (tree_on_change). */
static void state_changed(void)
{
	if (loading)
		return;
	pthread_mutex_lock(&saver.lock);
	mine = ++saver.made;
	pthread_cond_signal(&saver.changed);
	pthread_mutex_unlock(&saver.lock);
}

/* node_commit: waits until this thread's last change is saved. */
static int state_commit(void)
{
	unsigned long want = mine;
	if (!want)
		return 0;
	mine = 0;
	pthread_mutex_lock(&saver.lock);
	saver.waiting++;
	pthread_cond_signal(&saver.changed);
	while (saver.running && saver.covered < want)
		pthread_cond_wait(&saver.saved, &saver.lock);
	saver.waiting--;
	int err = saver.running || saver.covered >= want ? saver.result : 0;
	char why[OSFS_REFUSAL_MAX];
	memcpy(why, saver.why, sizeof why);
	pthread_mutex_unlock(&saver.lock);
	return err ? osfs_refuse(-err, "%s", why) : 0;
}

/* Makes the directories of path that do not exist, each 0700 (as mkdir -p -m 0700
 * would): 0, or -errno with why on stderr. */
static int make_dirs(const char *dir)
{
	char *p = strdup(dir);
	int err = p ? 0 : -ENOMEM;
	for (char *at = p ? p + 1 : NULL; !err; at++) {
		if (*at != '/' && *at != '\0')
			continue;
		char c = *at;
		*at = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			err = -errno;
		*at = c;
		if (!c)
			break;
	}
	if (err)
		fprintf(stderr, "osfs: cannot make the directory %s of %s: %s\n", dir, state_path,
			strerror(-err));
	free(p);
	return err;
}

/* Opens the state file's directory (made if missing), and refuses one that others
 * may write to (they could replace the file) unless it is sticky, as /tmp is. */
static int open_dir(void)
{
	char *copy = strdup(state_path), *copy2 = strdup(state_path);
	int err = copy && copy2 ? 0 : -ENOMEM;
	const char *dir = copy ? dirname(copy) : "";
	if (!err) {
		state_base = strdup(basename(copy2));
		state_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int made = 0; /* make_dirs said why it could not */
		if (state_dir < 0 && errno == ENOENT && (made = make_dirs(dir)) == 0)
			state_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = !state_base ? -ENOMEM : made ? made : state_dir < 0 ? -errno : 0;
		if (err == -ENOMEM)
			fprintf(stderr, "osfs: out of memory\n");
		else if (err && !made)
			fprintf(stderr, "osfs: cannot open the directory of %s, %s: %s\n", state_path,
				dir, strerror(-err));
	}
	struct stat st;
	if (!err && fstat(state_dir, &st) == 0) {
		if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
			fprintf(stderr, "osfs: the directory of %s, %s, is writable by others (mode %04o): "
				"they could replace the state file\n", state_path, dir,
				(unsigned)(st.st_mode & 07777));
			err = -EPERM;
		} else if (st.st_uid != geteuid() && st.st_uid != 0) {
			fprintf(stderr, "osfs: the directory of %s, %s, belongs to uid %u, not to osfs's "
				"user: it could replace the state file\n", state_path, dir,
				(unsigned)st.st_uid);
			err = -EPERM;
		}
	}
	free(copy);
	free(copy2);
	return err;
}

/* The state file's text: NULL with *err 0 if there is none yet.  Not a link, a
 * regular file of osfs's user (or root's) that others cannot write. */
static char *read_state(int *err)
{
	*err = 0;
	int fd = openat(state_dir, state_base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		*err = -errno;
		fprintf(stderr, "osfs: cannot read %s: %s\n", state_path,
			errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return NULL;
	}
	struct stat st;
	const char *bad = fstat(fd, &st) < 0 ? strerror(errno)
		: !S_ISREG(st.st_mode) ? "not a regular file"
		: st.st_uid != geteuid() && st.st_uid != 0 ? "it belongs to another user"
		: (st.st_mode & 022) ? "others may write to it"
		: NULL;
	if (bad) {
		fprintf(stderr, "osfs: refusing %s: %s\n", state_path, bad);
		close(fd);
		*err = -EPERM;
		return NULL;
	}
	struct osfs_buf b = {0};
	char chunk[8192];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		osfs_buf_add(&b, chunk, (size_t)n);
	if (n < 0) {
		*err = -errno;
		fprintf(stderr, "osfs: cannot read %s: %s\n", state_path, strerror(errno));
	}
	close(fd);
	if (!*err && osfs_buf_error(&b)) {
		*err = -ENOMEM;
		fprintf(stderr, "osfs: cannot read %s: out of memory\n", state_path);
	}
	if (*err) {
		osfs_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}

/* The spools' file, beside the state file (FILE.spool): records kept for the
 * network handlers, taken back by the handlers the state makes. */
static int open_spool(void)
{
	char name[300];
	snprintf(name, sizeof name, "%s.spool", state_base);
	if (strlen(state_base) + 6 >= sizeof name || log_spool_open(state_dir, name) != 0) {
		fprintf(stderr, "osfs: %s: %s\n", state_path,
			strlen(state_base) + 6 >= sizeof name ? "name too long" : osfs_refusal());
		osfs_refusal_clear();
		return -EINVAL;
	}
	return 0;
}

/* The first member of the object doc[key], or NULL if there is none or doc[key] is
 * no object: a state file edited by hand may hold anything, and the items of an
 * array have no names. */
static const cJSON *first_member(const cJSON *doc, const char *key)
{
	const cJSON *o = cJSON_GetObjectItem(doc, key);
	return cJSON_IsObject(o) ? o->child : NULL;
}

static int load_state(void)
{
	int err;
	char *text = read_state(&err);
	if (!text)
		return err;
	cJSON *doc = cJSON_Parse(text);
	if (!cJSON_IsObject(doc)) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = doc || !at || at < text ? 0 : (size_t)(at - text);
		cJSON_Delete(doc);
		fprintf(stderr, "osfs: %s is not a JSON object (at byte %zu); nothing is overwritten\n",
			state_path, off);
		free(text);
		return -EINVAL;
	}
	free(text);
	const cJSON *c;
	for (c = first_member(doc, "levels"); c; c = c->next)
		if (cJSON_IsNumber(c))
			log_level_add(c->string, c->valueint);
	/* the zone before the environment: setting it sets os.environ's TZ, which the
	 * environment saved then says as it was */
	const cJSON *tz = cJSON_GetObjectItem(doc, "tz");
	if (cJSON_IsString(tz) && osfs_tz_set(tz->valuestring) < 0)
		fprintf(stderr, "osfs: %s: %s\n", state_path, osfs_refusal());
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
	const cJSON *disable = cJSON_GetObjectItem(doc, "disable");
	int level;
	if (cJSON_IsString(disable) && log_level_parse(disable->valuestring, &level) == 0)
		log_disable_set(level);
	log_raise_set(cJSON_IsTrue(cJSON_GetObjectItem(doc, "raise_exceptions")));
	const cJSON *last = cJSON_GetObjectItem(doc, "last_resort");
	if (cJSON_IsString(last) && strcmp(last->valuestring, "None") == 0)
		log_last_resort_set(-1);
	else if (cJSON_IsString(last) && log_level_parse(last->valuestring, &level) == 0)
		log_last_resort_set(level);
	for (c = first_member(doc, "access"); c; c = c->next) {
		const cJSON *mode = cJSON_GetObjectItem(c, "mode"), *gid = cJSON_GetObjectItem(c, "gid");
		if (cJSON_IsString(mode) && cJSON_IsNumber(gid) && gid->valuedouble >= 0 &&
		    gid->valuedouble < 4294967295.0) /* (gid_t)-1 is no group */
			access_set(c->string, (mode_t)strtoul(mode->valuestring, NULL, 8) & 0777,
				   (gid_t)gid->valuedouble);
	}
	for (c = first_member(doc, "spool"); c; c = c->next)
		if (cJSON_IsNumber(c) && c->valuedouble >= 0 && c->valuedouble < 9223372036854775808.0)
			log_spool_setting(c->string, (long)c->valuedouble);
	const cJSON *logging = cJSON_GetObjectItem(doc, "logging");
	err = 0;
	if (cJSON_IsObject(logging)) {
		char *json = cJSON_PrintUnformatted(logging);
		err = json ? log_dict_config(json) : -ENOMEM;
		if (err)
			fprintf(stderr, "osfs: %s: %s\n", state_path, osfs_refusal());
		cJSON_free(json);
	}
	for (c = first_member(doc, "tail_formatters"); c; c = c->next) /* after the formatters */
		if (cJSON_IsString(c) && log_tail_formatter_set(c->string, c->valuestring) < 0)
			fprintf(stderr, "osfs: %s: %s\n", state_path, osfs_refusal());
	osfs_refusal_clear();
	cJSON_Delete(doc);
	return err;
}

int state_start(const char *state_file, const char *logging_config)
{
	state_path = state_file ? strdup(state_file) : NULL;
	config_path = logging_config ? strdup(logging_config) : NULL;
	loading = 1;
	char why[OSFS_REFUSAL_MAX + 256];
	int err = config_path ? apply_logging_config(config_path, why, sizeof why) : 0;
	if (err)
		fprintf(stderr, "osfs: %s\n", why);
	if (!err && state_path)
		err = open_dir();
	if (!err && state_path)
		err = open_spool();
	if (!err && state_path)
		err = load_state();
	loading = 0;
	return err;
}

int state_run(void)
{
	if (!state_path)
		return 0;
	saver.running = 1;
	int err = osfs_thread_start(&saver.thread, saver_main, NULL);
	if (err) {
		saver.running = 0;
		fprintf(stderr, "osfs: cannot start the state saver: %s\n", strerror(err > 0 ? err : -err));
		return -EAGAIN;
	}
	tree_on_change = state_changed;
	node_commit = state_commit;
	return 0;
}

void state_stop(void)
{
	tree_on_change = NULL;
	node_commit = NULL;
	pthread_mutex_lock(&saver.lock);
	int running = saver.running;
	saver.stop = 1;
	pthread_cond_signal(&saver.changed);
	pthread_mutex_unlock(&saver.lock);
	if (running)
		pthread_join(saver.thread, NULL);
	if (state_dir >= 0)
		close(state_dir);
	state_dir = -1;
	free(state_path);
	free(config_path);
	free(state_base);
	state_path = config_path = state_base = NULL;
}

/* A reload that fails says why, as a bad logging/config write would: in errors,
 * and on stderr.  Nothing changes then (dictConfig applies all or nothing). */
int state_reload(void)
{
	if (!config_path)
		return 0;
	char why[OSFS_REFUSAL_MAX + 256];
	int err = apply_logging_config(config_path, why, sizeof why); /* saved through the change hook */
	if (err) {
		fprintf(stderr, "osfs: SIGHUP: %s; the configuration is unchanged\n", why);
		osfs_errlog_add(getpid(), "(SIGHUP)", -err, why);
	} else {
		tree_module_changed("logging");
	}
	return err;
}
