/* logging.config.dictConfig JSON, as written to logging/config.  The run's working
 * directory is a scratch one: a configuration may name files to open. */
#include "fuzz.h"
#include "osfs/logging/logging.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return log_init(); /* as the daemon starts: a root logger, the default formatter */
}

FUZZ_TEXT_HARNESS(log_dict_config)
