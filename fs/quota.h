/* What one user may hold in the daemon: open files, and the bytes they keep
 * (snapshots, responses, unfinished lines and documents), counted per uid of the
 * opener, so that no user can exhaust the daemon's memory for the others. */
#ifndef OSFS_QUOTA_H
#define OSFS_QUOTA_H

#include <stddef.h>
#include <sys/types.h>

#define QUOTA_FILES 4096           /* open files per uid */
#define QUOTA_BYTES (64u << 20)    /* bytes held in open files per uid */

/* One more open file for uid: 0, or -EMFILE after osfs_refuse(). */
int quota_open(uid_t uid);
/* Its file closed, with the bytes it held. */
void quota_close(uid_t uid, size_t held);
/* A file of uid now holds now bytes instead of old: 0, or (growing past the
 * uid's share) -ENOBUFS after osfs_refuse(), and nothing is counted. */
int quota_hold(uid_t uid, size_t old, size_t now);
/* May uid hold more bytes besides what it holds? */
int quota_fits(uid_t uid, size_t more);
/* Bytes freed (closed files, forgotten inodes): returned to the system now and then. */
void quota_given_back(size_t bytes);

#endif
