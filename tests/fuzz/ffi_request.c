/* The ffi request line: LIBRARY SYMBOL RESTYPE [TYPE:VALUE ...], parsed and its
 * call prepared, never loaded or called. */
#include "fuzz.h"
#include "osfs/ffi.h"

FUZZ_TEXT_HARNESS(osfs_ffi_check)
