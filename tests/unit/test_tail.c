/* A logger's tail, linked alone: random writes and reads of random sizes against
 * the rule every reader keeps -- each record is read whole and in order, or
 * counted in the one notice that stands where it was, and a reader's bytes are
 * never more than the stream's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osfs/logging/logging.h"
#include "osfs/logging/tail.h"

static int woken;

static void wake(void *ctx)
{
	(void)ctx;
	woken++;
}

/* Checks what a reader read: records "INFO:root:r N" in order, gaps counted. */
static void check_stream(const char *text, unsigned long written)
{
	unsigned long next = 0, pending = 0;
	int ok = 1;
	for (const char *p = text; *p && ok;) {
		const char *nl = strchr(p, '\n');
		if (!nl) {
			ok = 0;
			break;
		}
		unsigned long n;
		if (sscanf(p, "--- osfs: %lu records dropped ---", &n) == 1) {
			ok = n > 0; /* a second may follow a notice read in pieces */
			pending += n;
		} else if (sscanf(p, "INFO:root:r %lu", &n) == 1) {
			ok = n == next + pending;
			next = n + 1;
			pending = 0;
		} else {
			ok = 0;
		}
		if (!ok)
			fprintf(stderr, "at: %.200s\n", p > text + 200 ? p - 200 : text);
		p = nl + 1;
	}
	CHECK(ok);
	CHECK(next + pending == written);
}

int main(void)
{
	CHECK(log_init() == 0);
	CHECK(log_logger_set("root", "level", "INFO") == 0);
	struct log_caller caller = {.pid = 1, .tid = 1, .exe = ""};
	srand(1505);
	for (int round = 0; round < 6; round++) {
		struct log_tail *t;
		CHECK(log_tail_open("root", wake, NULL, &t) == 0);
		size_t cap = 1 << 20, len = 0;
		char *got = malloc(cap);
		unsigned long written = 0;
		uint64_t stream;
		struct timespec when;
		for (int step = 0; step < 200; step++) {
			int burst = rand() % 16 == 0 ? rand() % 12000 : rand() % 50;
			for (int i = 0; i < burst; i++) {
				char line[96];
				snprintf(line, sizeof line, "r %lu%.*s", written, rand() % 40,
				         "                                        ");
				if (log_emit("root", 20, line, 0, &caller, NULL) != 0)
					CHECK(0);
				written++;
			}
			log_tail_lock(t);
			size_t want =
			    (size_t)(rand() % 3 == 0 ? 1 + rand() % 30 : 1 + rand() % 70000);
			if (len + want + 1 > cap)
				got = realloc(got, cap = 2 * (len + want + 1));
			len += log_tail_take(t, got + len, want);
			log_tail_unlock(t);
		}
		log_tail_lock(t);
		size_t n;
		do {
			if (len + 65536 + 1 > cap)
				got = realloc(got, cap = 2 * (len + 65536 + 1));
			len += n = log_tail_take(t, got + len, 65536);
		} while (n > 0);
		CHECK(log_tail_ready(t) == 0);
		log_tail_unlock(t);
		got[len] = '\0';
		log_tail_extent("root", &stream, &when);
		CHECK(len <= stream);
		check_stream(got, written);
		log_tail_close(t);
		free(got);
	}
	CHECK(woken > 0);
	log_fini();
	return check_summary();
}
