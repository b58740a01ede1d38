/* The handler classes osfs knows, by their Python names. */
#include "../internal.h"

extern const struct handler_class stream_handler, file_handler, rotating_handler, watched_handler,
	timed_handler, syslog_handler, socket_handler, datagram_handler, memory_handler,
	queue_handler, http_handler, smtp_handler;

/* logging.NullHandler: takes every record and does nothing. */
static const struct handler_class null_handler = {.name = "logging.NullHandler"};

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
	NULL,
};
