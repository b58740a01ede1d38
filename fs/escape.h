/* Records written by users other than the owner may not forge lines in the
 * owner's logs: their control characters are escaped as Python's repr() writes
 * them (\n, \r, \x1b, \x85, \u2028), and bytes that are not UTF-8 as \xNN (Python's
 * backslashreplace).  Tab stays.  The escaped characters: C0 controls but tab,
 * DEL, C1 controls, and the line separators and bidirectional controls of Unicode
 * (U+061C, U+200E, U+200F, U+2028-U+202E, U+2066-U+2069). */
#ifndef OSFS_ESCAPE_H
#define OSFS_ESCAPE_H

#include "osfs/buf.h"

/* Plain text. */
void escape_text(const char *s, struct osfs_buf *out);
/* A JSON text: the characters of its strings (keys too), once decoded, come out
 * as escape_text would write them; the rest is kept. */
void escape_json(const char *s, struct osfs_buf *out);

#endif
