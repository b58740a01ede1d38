/* io/: Python's io module defaults.  osfs follows the current reference, where
 * UTF-8 mode is the default (PEP 686): encodings do not depend on the locale, and
 * DEFAULT_BUFFER_SIZE is 128 KiB (Python 3.14, gh-117151; 8192 before). */
#include "tree.h"

static int encodings_fields(struct osfs_kv *kv, const struct req *rq)
{
	static const char *const fields[][2] = {
		{"text_encoding", "utf-8"},      /* io.text_encoding(None) */
		{"preferred", "utf-8"},          /* locale.getpreferredencoding(False) */
		{"filesystem", "utf-8"},         /* sys.getfilesystemencoding() */
		{"filesystem_errors", "surrogateescape"},
		{"stdin", "utf-8"},              /* sys.stdin.encoding, .errors */
		{"stdin_errors", "surrogateescape"},
		{"stdout", "utf-8"},
		{"stdout_errors", "surrogateescape"},
		{"stderr", "utf-8"},
		{"stderr_errors", "backslashreplace"},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		osfs_kv_str(kv, fields[i][0], fields[i][1]);
	return 0;
}

static const struct node io_rows[] = {
	STRING_ROW("default_buffer_size", "131072",
		   "io.DEFAULT_BUFFER_SIZE in bytes (128 KiB since Python 3.14)"),
	STRING_ROW("text_encoding", "utf-8", "io.text_encoding(None): what open() uses for text"),
	CONST_FIELDS_ROW("encodings", encodings_fields,
			 "the encodings and error handlers Python's io uses by default"),
	CONST_JSON_ROW("encodings.json", encodings_fields, "the default encodings, as JSON"),
	END_ROW,
};

const struct dir io_dir = {.rows = io_rows};
