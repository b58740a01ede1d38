/* Racing changes of the logging state: the input is a program of operations
 * (two bytes each: what, and on which name), split among three threads that run
 * it at the same time: dictConfigs that make and drop objects, mkdir and rmdir of
 * loggers and objects, attribute writes, records, readbacks.  Whatever the
 * interleaving, every operation must succeed or refuse, with no sanitizer report.
 * The run's working directory is a scratch one: handlers write files there. */
#include <pthread.h>

#include "fuzz.h"
#include "osfs/logging/logging.h"

static const char *const loggers[] = {"a", "a.b", "a.b.c", "a.b.c.d", "x", "x.a", "a..b", "b.a"};
static const char *const kinds[] = {"handlers", "formatters", "filters"};
static const char *const ids[] = {"h", "m", "q", "f", "x"};
static const char *const docs[] = {
	"{\"version\":1,\"formatters\":{\"f\":{\"format\":\"%(name)s %(message)s\"}},"
	"\"filters\":{\"x\":{\"name\":\"a\"}},"
	"\"handlers\":{\"h\":{\"class\":\"logging.FileHandler\",\"filename\":\"race.log\","
	"\"formatter\":\"f\",\"delay\":true},"
	"\"m\":{\"class\":\"logging.handlers.MemoryHandler\",\"capacity\":2,\"target\":\"h\"},"
	"\"q\":{\"class\":\"logging.handlers.QueueHandler\",\"handlers\":[\"h\",\"m\"],"
	"\"queue\":{\"maxsize\":4}}},"
	"\"loggers\":{\"a\":{\"level\":\"DEBUG\",\"handlers\":[\"h\",\"m\",\"q\"]},"
	"\"a.b.c\":{\"handlers\":[\"m\"],\"filters\":[\"x\"]}},\"disable_existing_loggers\":false}",
	"{\"version\":1,\"handlers\":{\"m\":{\"class\":\"logging.NullHandler\"}},"
	"\"root\":{\"handlers\":[\"m\"]}}",
	"{\"version\":1,\"incremental\":true,\"loggers\":{\"a.b\":{\"level\":\"INFO\"},"
	"\"x.a\":{\"propagate\":false}}}",
	"{\"version\":1,\"formatters\":{\"f\":{\"format\":\"{message}\",\"style\":\"{\"}},"
	"\"loggers\":{\"a.b.c.d\":{}}}",
};

struct program {
	const uint8_t *ops;
	size_t n;
};

static void ignore(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
}

static void run(uint8_t what, uint8_t arg)
{
	const char *logger = loggers[arg % (sizeof loggers / sizeof loggers[0])];
	const char *kind = kinds[arg % 3], *id = ids[(arg / 3) % 5];
	struct osfs_buf out = {0};
	struct log_caller caller = {.pid = 1, .tid = 1, .comm = "fuzz", .exe = "/fuzz"};
	switch (what % 14) {
	case 0: log_dict_config(docs[arg % (sizeof docs / sizeof docs[0])]); break;
	case 1: log_object_create(kind, id); break;
	case 2: log_object_remove(kind, id); break;
	case 3: log_object_set("formatters", id, "format", arg & 1 ? "%(message)s!" : "%(name)s"); break;
	case 4: log_object_set("handlers", id, arg & 1 ? "level" : "formatter", arg & 2 ? "INFO" : "f"); break;
	case 5: log_logger_create(logger); break;
	case 6: log_logger_remove(logger); break;
	case 7: log_logger_set(logger, arg & 1 ? "handlers" : "level", arg & 1 ? "h m" : "ERROR"); break;
	case 8: log_emit(logger, 40, "a record\n", 1, &caller, NULL); break;
	case 9: log_config_json(&out); break;
	case 10: log_logger_get(logger, arg & 1 ? "effective_level" : "parent", &out); break;
	case 11: log_handler_flush(id); break;
	case 12:
		log_config_json_full(&out);
		if (out.data)
			log_dict_config(out.data);
		break;
	default: log_logger_names(ignore, NULL); log_stats(&out); break;
	}
	osfs_buf_free(&out);
}

static void *runner(void *arg)
{
	struct program *p = arg;
	for (size_t i = 0; i + 1 < p->n; i += 2)
		run(p->ops[i], p->ops[i + 1]);
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return log_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size = size > 600 ? 600 : size & ~(size_t)1;
	size_t third = (size / 6) * 2;
	struct program parts[3] = {{data, third}, {data + third, third}, {data + 2 * third, size - 2 * third}};
	pthread_t t[2];
	int started[2];
	for (int i = 0; i < 2; i++)
		started[i] = pthread_create(&t[i], NULL, runner, &parts[i]) == 0;
	runner(&parts[2]);
	for (int i = 0; i < 2; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	return 0;
}
