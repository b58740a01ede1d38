/* ffi requests as the daemon and the worker read them, never loaded or called:
 * the whole input as one worker body (context lines "def NAME TYPE" and
 * "global LIB", then the request line), then each line as a request of one
 * session (named layouts, set_errno, sizeof, alignment; calls parsed and checked
 * with the layouts the session defined). */
#include "fuzz.h"
#include "osfs/ffi.h"
#include "osfs/refuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	osfs_ffi_check(text);
	struct osfs_ffi_session *s = osfs_ffi_session_new();
	char *rest = text;
	while (s && rest) {
		char *nl = strchr(rest, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(rest, "find_library", 12) != 0) { /* reads the disk: not fuzzed here */
			struct osfs_buf out = {0};
			osfs_ffi_session_check(s, rest, &out);
			osfs_buf_free(&out);
		}
		rest = nl ? nl + 1 : NULL;
	}
	osfs_ffi_session_free(s);
	osfs_refusal_clear();
	free(text);
	return 0;
}
