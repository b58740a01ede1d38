/* writeloop SECONDS PATH LINES: writes numbered record lines to PATH, LINES per
 * write(), for SECONDS; prints the records per second.  The logging benchmark's
 * client. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char *argv[])
{
	if (argc != 4) {
		fprintf(stderr, "usage: writeloop SECONDS PATH LINES-PER-WRITE\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	int per = atoi(argv[3]);
	int fd = open(argv[2], O_WRONLY);
	if (fd < 0 || per < 1) {
		perror(argv[2]);
		return 1;
	}
	size_t cap = (size_t)per * 64 + 64;
	char *buf = malloc(cap);
	unsigned long records = 0;
	double start = now(), elapsed;
	do {
		size_t len = 0;
		for (int i = 0; i < per; i++)
			len += (size_t)snprintf(buf + len, cap - len, "request %lu served in 12 ms\n",
						records + (unsigned long)i);
		if (write(fd, buf, len) != (ssize_t)len) {
			perror("write");
			return 1;
		}
		records += (unsigned long)per;
		elapsed = now() - start;
	} while (elapsed < seconds);
	close(fd);
	printf("%.0f\n", (double)records / elapsed);
	return 0;
}
