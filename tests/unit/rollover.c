/* rollover WHEN INTERVAL UTC ATTIME TIME...: prints the next rollover after each
 * TIME as TimedRotatingFileHandler computes it (ATTIME "-" for none).  The tests
 * compare it with Python's computeRollover. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osfs/logging/rollover.h"
#include "osfs/refuse.h"
#include "osfs/time.h"

int main(int argc, char *argv[])
{
	if (argc < 5) {
		fprintf(stderr, "usage: rollover WHEN INTERVAL UTC ATTIME TIME...\n");
		return 2;
	}
	osfs_tz_init();
	struct log_rollover r;
	if (log_rollover_setup(&r, argv[1], atoll(argv[2]), atoi(argv[3]),
			       strcmp(argv[4], "-") ? argv[4] : NULL) < 0) {
		printf("error: %s\n", osfs_refusal());
		return 0;
	}
	for (int i = 5; i < argc; i++)
		printf("%lld\n", (long long)log_rollover_compute(&r, (time_t)atoll(argv[i])));
	return 0;
}
