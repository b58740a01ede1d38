/* A structured record line: one JSON object whose keys become msg, levelname and
 * extra attributes. */
#include "fuzz.h"
#include "osfs/logging/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct log_record r = {.name = "app", .msg = text, .levelname = "INFO", .levelno = 20};
	char *levelname = NULL;
	log_record_from_json(&r, text, &levelname);
	struct log_record *copy = log_record_copy(&r); /* as a MemoryHandler keeps it */
	log_record_free(copy);
	log_record_free_extra(&r);
	free(levelname);
	free(text);
	return 0;
}
