/* fprintfloop SECONDS PATH: the plainest C logger, for scale: fprintf of the
 * logging benchmark's format to a stdio file (the date rendered once a second),
 * for SECONDS; prints the records per second. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: fprintfloop SECONDS PATH\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	FILE *f = fopen(argv[2], "w");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	int pid = (int)getpid();
	unsigned long records = 0;
	time_t shown = 0;
	char date[32] = "";
	double start = now(), elapsed;
	do {
		for (int i = 0; i < 1000; i++, records++) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			if (ts.tv_sec != shown) {
				struct tm tm;
				localtime_r(&ts.tv_sec, &tm);
				strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
				shown = ts.tv_sec;
			}
			fprintf(f, "%s,%03ld INFO app %d request %lu served in 12 ms\n", date,
				ts.tv_nsec / 1000000, pid, records);
		}
		elapsed = now() - start;
	} while (elapsed < seconds);
	fclose(f);
	printf("%.0f\n", (double)records / elapsed);
	return 0;
}
