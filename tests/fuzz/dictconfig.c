/* logging.config.dictConfig JSON, as written to logging/config.  The run's working
 * directory is a scratch one: a configuration may name files to open. */
#include "fuzz.h"
#include "osfs/logging/logging.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return log_init(); /* as the daemon starts: a root logger, the default formatter */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (text)
		log_dict_config(text);
	free(text);
	return 0;
}
