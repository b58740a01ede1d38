/* The mail Python's SMTPHandler sends, built as email.message.EmailMessage
 * (policy default) builds it and smtplib sends it: headers folded at 78
 * columns as _header_value_parser folds them (a Subject that is not ASCII as
 * RFC 2047 encoded words), the body in the transfer encoding set_content
 * chooses (7bit, 8bit, quoted-printable or base64), lines ending in CRLF; the
 * envelope's addresses as smtplib parses them; the EHLO name smtplib chooses. */
#ifndef OSFS_LOGGING_MAIL_H
#define OSFS_LOGGING_MAIL_H

#include <stddef.h>

#include "osfs/buf.h"

/* "Name: value" of an unstructured header (Subject), folded, with CRLF. */
void mail_unstructured(const char *name, const char *value, struct osfs_buf *out);
/* set_content(text): the Content-Type, Content-Transfer-Encoding and MIME-Version
 * headers, the empty line, and the body. */
void mail_content(const char *text, size_t len, struct osfs_buf *out);
/* email.utils.getaddresses([text]): the addr-specs of an address list, each
 * NUL-terminated, one after another in out; their number. */
size_t mail_addresses(const char *text, struct osfs_buf *out);
/* smtplib's local_hostname: socket.getfqdn() if it has a dot, else
 * "[address of gethostname()]"; within timeout_ms (else the host name). */
void mail_ehlo_name(char *out, size_t size, int timeout_ms);

#endif
