/* ini_dump < FILE: reads FILE as logging.config.fileConfig's ConfigParser does and
 * prints, one line each, "error: MESSAGE" or every section, then for each of its
 * options (its own in order, then DEFAULT's) "  KEY = VALUE" or "  KEY ! MESSAGE"
 * (an interpolation error).  tests/test_config_diff.py prints the same from
 * configparser and compares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logging/ini.h"
#include "osfs/refuse.h"

static int listed(const struct ini *ini, const char *section, const char *key)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->e[i].section, section) == 0 && strcmp(ini->e[i].key, key) == 0)
			return 1;
	return 0;
}

static void option(const struct ini *ini, const char *section, const char *key)
{
	int err = 0;
	char *v = ini_get(ini, section, key, 0, &err);
	if (err)
		printf("  %s ! %s\n", key, osfs_refusal());
	else
		printf("  %s = %s\n", key, v ? v : "(none)");
	free(v);
}

int main(void)
{
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof text - 1, stdin);
	text[n] = '\0';
	struct ini ini = {0};
	if (ini_read(&ini, text)) {
		printf("error: %s\n", osfs_refusal());
		ini_free(&ini);
		return 0;
	}
	for (size_t s = 0; s < ini.nsections; s++) {
		const char *sect = ini.sections[s];
		printf("[%s]\n", sect);
		for (size_t i = 0; i < ini.n; i++)
			if (strcmp(ini.e[i].section, sect) == 0)
				option(&ini, sect, ini.e[i].key);
		for (size_t i = 0; i < ini.n; i++)
			if (strcmp(ini.e[i].section, "DEFAULT") == 0 && !listed(&ini, sect, ini.e[i].key))
				option(&ini, sect, ini.e[i].key);
	}
	ini_free(&ini);
	return 0;
}
