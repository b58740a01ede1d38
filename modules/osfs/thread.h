/* Threads of osfs's own (a handler's listener, the daemon's SIGHUP waiter). */
#ifndef OSFS_THREAD_H
#define OSFS_THREAD_H

#include <pthread.h>

/* pthread_create, with every signal blocked in the new thread: a process-directed
 * SIGTERM or SIGINT must reach the thread that serves the loop and so wake it, as
 * libfuse's own workers block them too.  0, or an errno value. */
int osfs_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
