/* os/kill requests, "PID SIGNAL", asked by a caller whose uid no process has, so
 * that a request that parses is refused by kill(2)'s rule and never sends a
 * signal. */
#include "fuzz.h"
#include "osfs/os.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	const uid_t stranger = 0x7ffffff0;
	struct osfs_ident caller = {.tid = 1, .pid = 1, .uid = stranger, .euid = stranger,
				    .suid = stranger, .fsuid = stranger, .gid = stranger,
				    .egid = stranger, .sgid = stranger, .fsgid = stranger};
	osfs_kill_request(text, &caller);
	free(text);
	return 0;
}
