/* Setting values: a level (logging/loggers/X/level, handler levels), a signal
 * name or number, an environment variable name, and a logger's own dictConfig
 * entry (logging/loggers/X/config).  The first byte picks which. */
#include "fuzz.h"
#include "osfs/logging/logging.h"
#include "osfs/os.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return log_init(); /* as the daemon starts: a root logger, the default formatter */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *text = fuzz_text(data + 1, size - 1);
	if (!text)
		return 0;
	int n;
	switch (data[0] % 4) {
	case 0:
		log_level_parse(text, &n);
		break;
	case 1:
		osfs_signal_parse(text, &n);
		break;
	case 2:
		osfs_environ_valid_name(text);
		break;
	default:
		log_logger_config_set("fuzz", text);
		break;
	}
	free(text);
	return 0;
}
