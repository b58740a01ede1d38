// spdlogloop SECONDS PATH: spdlog's basic_logger_st writing records to PATH for
// SECONDS, in the logging benchmark's format (Python's
// "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s", level names as
// Python spells them); prints the records per second.  Built by
// tests/bench/logging with g++ against Debian's libspdlog-dev, header-only so
// that the level names can be Python's.  The pid goes into the pattern as text:
// spdlog's %P calls getpid() for every record, a system call, which would make the
// reference slower than spdlog can be.
#define SPDLOG_LEVEL_NAMES {"DEBUG", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF"}
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" {
#include "clock.h"
}

int main(int argc, char *argv[])
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: spdlogloop SECONDS PATH\n");
		return 2;
	}
	double seconds = std::atof(argv[1]);
	auto log = spdlog::basic_logger_st("app", argv[2], true);
	log->set_pattern("%Y-%m-%d %H:%M:%S,%e %l %n " + std::to_string(getpid()) + " %v");
	log->set_level(spdlog::level::info);
	unsigned long records = 0;
	double start = now(), elapsed;
	do {
		for (int i = 0; i < 1000; i++, records++)
			log->info("request {} served in 12 ms", records);
		elapsed = now() - start;
	} while (elapsed < seconds);
	log->flush();
	std::printf("%.0f\n", (double)records / elapsed);
	return 0;
}
