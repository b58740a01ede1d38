/* readloop SECONDS PATH: opens PATH, reads it to EOF and closes it, over and over
 * for SECONDS; prints the operations per second.  The benchmark's client. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: readloop SECONDS PATH\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	static char buf[128 * 1024]; /* what cat asks for */
	unsigned long ops = 0;
	double start = now(), elapsed;
	do {
		for (int i = 0; i < 200; i++) {
			int fd = open(argv[2], O_RDONLY);
			if (fd < 0) {
				perror(argv[2]);
				return 1;
			}
			while (read(fd, buf, sizeof buf) > 0)
				;
			close(fd);
		}
		ops += 200;
		elapsed = now() - start;
	} while (elapsed < seconds);
	printf("%.0f\n", (double)ops / elapsed);
	return 0;
}
