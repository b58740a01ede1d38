/* Level names, as logging's _levelToName and _nameToLevel: the standard ones and
 * those added with addLevelName (logging/levels/NAME). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "osfs/errno.h"
#include "osfs/refuse.h"

static const struct {
	const char *name;
	int level;
} standard[] = {
	{"CRITICAL", LOG_CRITICAL}, {"FATAL", LOG_CRITICAL}, {"ERROR", LOG_ERROR},
	{"WARN", LOG_WARNING},      {"WARNING", LOG_WARNING}, {"INFO", LOG_INFO},
	{"DEBUG", LOG_DEBUG},       {"NOTSET", LOG_NOTSET},
};
#define NSTANDARD (sizeof standard / sizeof standard[0])

struct log_levelname {
	char *name;
	int level;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_levelname *custom;
static size_t ncustom;

int log_level_of(const char *name, int *level)
{
	int found = 0;
	pthread_mutex_lock(&lock);
	for (size_t i = ncustom; i-- > 0 && !found;)
		if (strcmp(custom[i].name, name) == 0)
			*level = custom[i].level, found = 1;
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < NSTANDARD && !found; i++)
		if (strcmp(standard[i].name, name) == 0)
			*level = standard[i].level, found = 1;
	return found ? 0 : -ENOENT;
}

int log_level_parse(const char *text, int *level)
{
	if (log_level_of(text, level) == 0)
		return 0;
	if (osfs_parse_int(text, level) == 0 && *level >= 0)
		return 0;
	return osfs_refuse(EINVAL, "unknown level '%s': expected NOTSET, DEBUG, INFO, WARNING, "
			   "ERROR, CRITICAL or a number", text);
}

void log_level_name(int level, struct osfs_buf *out)
{
	/* The name set last for a level wins, as in _levelToName. */
	pthread_mutex_lock(&lock);
	for (size_t i = ncustom; i-- > 0;) {
		if (custom[i].level == level) {
			osfs_buf_puts(out, custom[i].name);
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	pthread_mutex_unlock(&lock);
	static const char *const canonical[] = {"NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
	if (level >= 0 && level <= 50 && level % 10 == 0)
		osfs_buf_puts(out, canonical[level / 10]);
	else
		osfs_buf_printf(out, "Level %d", level);
}

int log_level_add(const char *name, int level)
{
	if (!*name || strchr(name, '/') || isdigit((unsigned char)*name))
		return osfs_refuse(EINVAL, "'%s' cannot be a level name", name);
	pthread_mutex_lock(&lock);
	size_t i;
	for (i = 0; i < ncustom; i++)
		if (strcmp(custom[i].name, name) == 0)
			break;
	int err = 0;
	if (level < 0) {
		if (i == ncustom) {
			int std = 0;
			for (size_t k = 0; k < NSTANDARD; k++)
				std |= strcmp(standard[k].name, name) == 0;
			err = std ? osfs_refuse(EPERM, "'%s' is a standard level name", name)
				  : osfs_refuse(ENOENT, "no level named '%s'", name);
		} else {
			free(custom[i].name);
			memmove(&custom[i], &custom[i + 1], (ncustom - i - 1) * sizeof *custom);
			ncustom--;
		}
	} else if (i < ncustom) {
		custom[i].level = level;
	} else {
		struct log_levelname *p = realloc(custom, (ncustom + 1) * sizeof *p);
		char *copy = strdup(name);
		if (!p || !copy) {
			free(copy);
			if (p)
				custom = p;
			err = -ENOMEM;
		} else {
			custom = p;
			custom[ncustom++] = (struct log_levelname){copy, level};
		}
	}
	pthread_mutex_unlock(&lock);
	return err;
}

void log_level_names(void (*emit)(void *ctx, const char *name), void *ctx)
{
	for (size_t i = 0; i < NSTANDARD; i++)
		emit(ctx, standard[i].name);
	/* Copied under the lock, emitted after it: emit may ask for a level. */
	struct osfs_buf names = {0};
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ncustom; i++) {
		int shadow = 0;
		for (size_t k = 0; k < NSTANDARD; k++)
			shadow |= strcmp(standard[k].name, custom[i].name) == 0;
		if (!shadow)
			osfs_buf_add(&names, custom[i].name, strlen(custom[i].name) + 1);
	}
	pthread_mutex_unlock(&lock);
	for (size_t at = 0; at < names.len; at += strlen(names.data + at) + 1)
		emit(ctx, names.data + at);
	osfs_buf_free(&names);
}

void log_levels_fini(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ncustom; i++)
		free(custom[i].name);
	free(custom);
	custom = NULL;
	ncustom = 0;
	pthread_mutex_unlock(&lock);
}
