/* configparser.ConfigParser, as logging.config.fileConfig reads a file: see ini.c. */
#ifndef OSFS_LOGGING_INI_H
#define OSFS_LOGGING_INI_H

#include <stddef.h>

struct ini_entry {
	char *section, *key, *value; /* key lowercased; value joined, as read (raw) */
};

struct ini {
	struct ini_entry *e;
	size_t n;
	char **sections; /* in the order read; DEFAULT is none of them */
	size_t nsections;
};

/* cp.read_string(text): 0, or -EINVAL with configparser's error (a
 * DuplicateSectionError, a ParsingError ...) as the refusal. */
int ini_read(struct ini *ini, const char *text);
void ini_free(struct ini *ini);
int ini_has_section(const struct ini *ini, const char *name);
/* An option of a section, or of DEFAULT, as written (NULL: none). */
const char *ini_raw(const struct ini *ini, const char *section, const char *key);
/* cp.get(section, key, raw=raw): malloc'd, NULL if the option is absent (*err 0)
 * or on an interpolation error (*err set, with configparser's message). */
char *ini_get(const struct ini *ini, const char *section, const char *key, int raw, int *err);

#endif
