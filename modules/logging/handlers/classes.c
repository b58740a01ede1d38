/* The handler classes osfs knows, by their Python names. */
#include <string.h>

#include "../internal.h"

extern const struct handler_class stream_handler, file_handler, rotating_handler, watched_handler,
	timed_handler, syslog_handler, socket_handler, datagram_handler, memory_handler,
	queue_handler, http_handler, smtp_handler;

/* logging.NullHandler: takes every record and does nothing. */
static const struct handler_class null_handler = {.name = "logging.NullHandler"};

/* logging.handlers.NTEventLogHandler, as it is wherever there is no Windows event
 * log (Python's without pywin32): made, and every record dropped. */
static const char *const ntevent_params[] = {"appname", "dllname", "logtype", NULL};
static const struct handler_class ntevent_handler = {
	.name = "logging.handlers.NTEventLogHandler",
	.params = ntevent_params,
};

const struct handler_class *const handler_classes[] = {
	&stream_handler,
	&file_handler,
	&watched_handler,
	&rotating_handler,
	&timed_handler,
	&syslog_handler,
	&socket_handler,
	&datagram_handler,
	&memory_handler,
	&queue_handler,
	&http_handler,
	&smtp_handler,
	&null_handler,
	&ntevent_handler,
	NULL,
};

const struct handler_class *handler_class_find(const char *name)
{
	/* fileConfig names classes in logging's namespace: "FileHandler" too. */
	for (size_t i = 0; handler_classes[i]; i++) {
		const char *full = handler_classes[i]->name, *dot = strrchr(full, '.');
		if (strcmp(full, name) == 0 || strcmp(dot + 1, name) == 0 ||
		    (strncmp(full, "logging.handlers.", 17) == 0 && strncmp(name, "handlers.", 9) == 0 &&
		     strcmp(full + 17, name + 9) == 0))
			return handler_classes[i];
	}
	return NULL;
}
