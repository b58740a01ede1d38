/* One record, one write(): the OS has it when the write returns. */
#ifndef OSFS_LOGGING_WRITE_H
#define OSFS_LOGGING_WRITE_H

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "osfs/refuse.h"

static inline int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return osfs_refuse(errno, "write: %s", strerror(errno));
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

#endif
