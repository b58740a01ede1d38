/* The ffi request line: LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...], parsed and its
 * call prepared, never loaded or called. */
#include "fuzz.h"
#include "osfs/ffi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (text)
		osfs_ffi_check(text);
	free(text);
	return 0;
}
