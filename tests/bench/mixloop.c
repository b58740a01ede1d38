/* mixloop N MOUNTPOINT: N requests of every kind, cycling: reads of constant,
 * generated and caller-relative nodes, computed names, a transaction, records.
 * The memory benchmark's client. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[65536];

static int read_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: mixloop N MOUNTPOINT\n");
		return 2;
	}
	long n = atol(argv[1]);
	const char *m = argv[2];
	static const char *const reads[] = {"errno/ENOENT", "time/time", "os/self/pid", "platform/uname.json",
					    "os/loadavg", "time/localtime/now.json", "errors", "logging/stats",
					    "os/self/environ/PATH"};
	char path[4096];
	snprintf(path, sizeof path, "%s/time/strftime/call", m);
	int tx = open(path, O_RDWR);
	snprintf(path, sizeof path, "%s/logging/loggers/root/warning", m);
	int rec = open(path, O_WRONLY);
	if (tx < 0 || rec < 0) {
		perror("open");
		return 1;
	}
	long done = 0;
	for (long i = 0; done < n; i++) {
		switch (i % 4) {
		case 0:
			snprintf(path, sizeof path, "%s/%s", m, reads[(i / 4) % (sizeof reads / sizeof reads[0])]);
			read_path(path); /* open, read, read, release: 3 requests and a lookup at times */
			done += 3;
			break;
		case 1:
			snprintf(path, sizeof path, "%s/errno/strerror/%ld", m, (i / 4) % 1000);
			read_path(path); /* a computed name: lookup, open, reads, release */
			done += 4;
			break;
		case 2:
			if (write(tx, "%Y-%m-%d %H:%M:%S\n", 18) < 0 || read(tx, buf, sizeof buf) < 0)
				return 1;
			done += 2;
			break;
		default:
			if (write(rec, "a record for the memory benchmark\n", 34) < 0)
				return 1;
			done += 1;
		}
	}
	close(tx);
	close(rec);
	printf("%ld\n", done);
	return 0;
}
