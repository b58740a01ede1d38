/* The daemon's state file (-o state=FILE) and start-up configuration
 * (-o logging_config=FILE). */
#ifndef OSFS_STATE_H
#define OSFS_STATE_H

/* Remembers the files; loads logging_config, then the state file, if they exist.
 * 0, or -errno with a message on stderr naming the file and the reason. */
int state_start(const char *state_file, const char *logging_config);
/* After daemonizing: starts saving changes (a thread): 0 or -errno. */
int state_run(void);
/* Saves what is not saved yet, and stops saving. */
void state_stop(void);
/* Reloads logging_config (SIGHUP): 0 or -errno. */
int state_reload(void);

#endif
