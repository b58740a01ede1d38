/* callloop SECONDS PATH REQUEST: on one open transaction file (ffi/call,
 * time/strftime/call), writes REQUEST and reads its answer, over and over; prints
 * the round trips per second.  An answer that is a refusal ("error: ...") stops it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char *argv[])
{
	if (argc != 4) {
		fprintf(stderr, "usage: callloop SECONDS PATH REQUEST\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	char request[4096], answer[4096];
	int len = snprintf(request, sizeof request, "%s\n", argv[3]);
	int fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	unsigned long calls = 0;
	ssize_t got = 0;
	double start = now(), elapsed;
	do {
		for (int i = 0; i < 100; i++) {
			if (write(fd, request, (size_t)len) != len || (got = read(fd, answer, sizeof answer - 1)) <= 0) {
				perror("call");
				return 1;
			}
		}
		calls += 100;
		elapsed = now() - start;
	} while (elapsed < seconds);
	answer[got] = '\0';
	if (strncmp(answer, "error:", 6) == 0) {
		fprintf(stderr, "refused: %s", answer);
		return 1;
	}
	printf("%.0f\n", (double)calls / elapsed);
	return 0;
}
