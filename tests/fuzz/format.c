/* The three format styles: a formatter made from (style, fmt, datefmt, defaults)
 * and, if made, applied to a record whose line is the last piece (a structured
 * JSON line brings extra attributes).  Pieces are split at '\x01'; the first byte
 * picks the style. */
#include "fuzz.h"
#include "osfs/logging/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const char styles[] = {'%', '{', '$'};
	char style = styles[data[0] % 3];
	int validate = data[0] & 0x80;
	char *text = fuzz_text(data + 1, size - 1), *rest = text;
	if (!text)
		return 0;
	const char *fmt = fuzz_piece(&rest);
	const char *datefmt = fuzz_piece(&rest);
	const char *defaults = fuzz_piece(&rest);
	const char *line = fuzz_piece(&rest);
	struct log_formatter *f = log_formatter_new(fmt, *datefmt ? datefmt : NULL, style,
						    *defaults ? defaults : NULL, validate);
	if (f) {
		struct log_record r = {
			.name = "app", .msg = line, .levelname = "WARNING", .levelno = 30,
			.pathname = "/bin/sh", .filename = "sh", .module = "sh", .lineno = 0,
			.thread = 1, .process = 1, .thread_name = "MainThread",
			.process_name = "MainProcess",
		};
		log_record_set_time(&r, 1700000000123456789LL, 1700000000000000000LL);
		char *levelname = NULL;
		if (*line == '{')
			log_record_from_json(&r, line, &levelname);
		struct osfs_buf out = {0};
		log_format(f, &r, &out);
		osfs_buf_free(&out);
		log_record_free_extra(&r);
		free(levelname);
		log_formatter_free(f);
	}
	free(text);
	return 0;
}
