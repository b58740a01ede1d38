/* logging.config.fileConfig INI, as written to logging/fileconfig. */
#include "fuzz.h"
#include "osfs/logging/logging.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return log_init(); /* as the daemon starts: a root logger, the default formatter */
}

FUZZ_TEXT_HARNESS(log_file_config)
