/* constants: the integer constants of Python's os module by family (O_*, SEEK_*,
 * SCHED_*, WNOHANG ...), as this machine's C library defines them.  The names are
 * generated at build time from the system headers (gen-consts.sh); the values are
 * the compiler's, so they are what a C program (or ffi/) on this machine uses. */
#include "osfs/os.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/memfd.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sysexits.h>
#include <unistd.h>

#define X(name) {#name, (long long)(name)},
static struct osfs_const O[] = {
#include "consts-O.h"
};
static struct osfs_const SEEK[] = {
#include "consts-SEEK.h"
};
static struct osfs_const SCHED[] = {
#include "consts-SCHED.h"
};
static struct osfs_const PRIO[] = {
#include "consts-PRIO.h"
};
static struct osfs_const RTLD[] = {
#include "consts-RTLD.h"
};
static struct osfs_const CLD[] = {
#include "consts-CLD.h"
};
static struct osfs_const P[] = {
#include "consts-P.h"
	/* os.spawn*'s modes: Lib/os.py defines them, no header does. */
	{"P_NOWAIT", 1}, {"P_NOWAITO", 1}, {"P_WAIT", 0},
};
static struct osfs_const W[] = {
#include "consts-W.h"
};
static struct osfs_const EX[] = {
#include "consts-EX.h"
};
static struct osfs_const OK[] = {
#include "consts-OK.h"
};
static struct osfs_const F[] = {
#include "consts-F.h"
};
static struct osfs_const ST[] = {
#include "consts-ST.h"
};
static struct osfs_const GRND[] = {
#include "consts-GRND.h"
};
static struct osfs_const POSIX_FADV[] = {
#include "consts-POSIX_FADV.h"
};
static struct osfs_const EFD[] = {
#include "consts-EFD.h"
};
static struct osfs_const MFD[] = {
#include "consts-MFD.h"
};
static struct osfs_const SPLICE[] = {
#include "consts-SPLICE.h"
};
static struct osfs_const RWF[] = {
#include "consts-RWF.h"
};
static struct osfs_const XATTR[] = {
#include "consts-XATTR.h"
};
static struct osfs_const NGROUPS[] = {
#include "consts-NGROUPS.h"
};
static struct osfs_const TMP[] = {
#include "consts-TMP.h"
};
#undef X

#define FAMILY(f, doc) {#f, doc, f, sizeof f / sizeof f[0]}
static struct osfs_const_family families[] = {
	FAMILY(CLD, "waitid()'s si_code values"),
	FAMILY(EFD, "eventfd() flags"),
	FAMILY(EX, "exit codes of <sysexits.h>"),
	FAMILY(F, "lockf() commands, and F_OK"),
	FAMILY(GRND, "getrandom() flags"),
	FAMILY(MFD, "memfd_create() flags"),
	FAMILY(NGROUPS, "the most supplementary groups a process may have"),
	FAMILY(O, "open() flags"),
	FAMILY(OK, "access() modes"),
	FAMILY(P, "waitid() id types, and os.spawn*()'s modes"),
	FAMILY(POSIX_FADV, "posix_fadvise() advice"),
	FAMILY(PRIO, "getpriority() and setpriority(): which, and the nice range"),
	FAMILY(RTLD, "dlopen() flags and dlinfo() requests"),
	FAMILY(RWF, "preadv2() and pwritev2() flags"),
	FAMILY(SCHED, "scheduling policies"),
	FAMILY(SEEK, "lseek() whence values"),
	FAMILY(SPLICE, "splice() flags"),
	FAMILY(ST, "statvfs() f_flag bits"),
	FAMILY(TMP, "the least number of unique names tmpnam() makes"),
	FAMILY(W, "waitpid() and waitid() options"),
	FAMILY(XATTR, "setxattr() flags and extended attribute limits"),
};
#define NFAMILIES (sizeof families / sizeof families[0])

/* Every constant once, by name (F_OK is in two families). */
static struct osfs_const *all;
static size_t nall;
static pthread_once_t sorted = PTHREAD_ONCE_INIT;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct osfs_const *)a)->name, ((const struct osfs_const *)b)->name);
}

static void sort_all(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NFAMILIES; i++) {
		qsort(families[i].consts, families[i].count, sizeof *families[i].consts, by_name);
		n += families[i].count;
	}
	all = calloc(n, sizeof *all);
	if (!all)
		return;
	for (size_t i = 0; i < NFAMILIES; i++)
		for (size_t k = 0; k < families[i].count; k++)
			all[nall++] = families[i].consts[k];
	qsort(all, nall, sizeof *all, by_name);
	size_t kept = 0;
	for (size_t i = 0; i < nall; i++)
		if (kept == 0 || strcmp(all[kept - 1].name, all[i].name) != 0)
			all[kept++] = all[i];
	nall = kept;
}

const struct osfs_const_family *osfs_const_families(size_t *count)
{
	pthread_once(&sorted, sort_all);
	*count = NFAMILIES;
	return families;
}

const struct osfs_const_family *osfs_const_family_find(const char *name)
{
	size_t n;
	const struct osfs_const_family *f = osfs_const_families(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

const struct osfs_const *osfs_consts(size_t *count)
{
	pthread_once(&sorted, sort_all);
	*count = nall;
	return all;
}

const struct osfs_const *osfs_const_find(const char *name)
{
	size_t n;
	const struct osfs_const *t = osfs_consts(&n);
	struct osfs_const key = {name, 0};
	return n ? bsearch(&key, t, n, sizeof *t, by_name) : NULL;
}
