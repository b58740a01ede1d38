/* What every harness shares: libFuzzer's entry point, and the input as a
 * NUL-terminated string (the parsers take text, as the nodes hand it to them). */
#ifndef OSFS_FUZZ_H
#define OSFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* The next piece of text split at '\x01' ("" past the end), cut in place; *rest
 * starts at the text. */
static inline const char *fuzz_piece(char **rest)
{
	char *p = *rest;
	if (!p)
		return "";
	char *cut = strchr(p, '\x01');
	if (cut)
		*cut++ = '\0';
	*rest = cut;
	return p;
}

/* A harness whose whole work is one call on the input as text. */
#define FUZZ_TEXT_HARNESS(call)                                            \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)       \
	{                                                                   \
		char *text = fuzz_text(data, size);                         \
		if (text)                                                   \
			call(text);                                         \
		free(text);                                                 \
		return 0;                                                   \
	}

#endif
