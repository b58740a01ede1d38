/* A line of logging/handle: a JSON LogRecord dict, made into a record
 * (makeLogRecord) and handled by the logger it names, made if need be.  Every
 * key and type a receiver may be sent: args and msg % args, odd types, names. */
#include "fuzz.h"
#include "osfs/logging/logging.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return log_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct log_caller caller = {.pid = 1, .tid = 1, .uid = 0, .comm = "fuzz", .exe = ""};
	struct log_batch *b = text ? log_batch_begin() : NULL;
	if (b) {
		log_handle_json(text, &caller, &b);
		if (b)
			log_batch_end(b);
	}
	free(text);
	return 0;
}
