/* errno: Python's errno module over the names generated from <errno.h>. */
#include "osfs/errno.h"

#include "osfs/fmt.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct osfs_errno table[] = {
#define X(name) {#name, name},
#include "errno-names.h"
#undef X
};
#define NTABLE (sizeof table / sizeof table[0])

/* Where names share a number, errno.errorcode keeps the one CPython's errnomodule.c
 * registers last.  That order is CPython's, not the headers', so it is data here. */
static const char *const python_prefers[] = {"EAGAIN", "EDEADLOCK", "ENOTSUP"};

static pthread_once_t sorted = PTHREAD_ONCE_INIT;

static int by_code_then_name(const void *a, const void *b)
{
	const struct osfs_errno *x = a, *y = b;
	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void sort_table(void)
{
	qsort(table, NTABLE, sizeof table[0], by_code_then_name);
}

const struct osfs_errno *osfs_errno_table(size_t *count)
{
	pthread_once(&sorted, sort_table);
	*count = NTABLE;
	return table;
}

int osfs_errno_code(const char *name, int *code)
{
	size_t n;
	const struct osfs_errno *t = osfs_errno_table(&n); /* sorted before use, once */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*code = t[i].code;
			return 0;
		}
	}
	return -ENOENT;
}

static int preferred(const char *name)
{
	for (size_t i = 0; i < sizeof python_prefers / sizeof python_prefers[0]; i++)
		if (strcmp(python_prefers[i], name) == 0)
			return 1;
	return 0;
}

const char *osfs_errno_name(int code)
{
	size_t n;
	const struct osfs_errno *t = osfs_errno_table(&n);
	const char *found = NULL;
	for (size_t i = 0; i < n; i++) {
		if (t[i].code != code)
			continue;
		if (!found || preferred(t[i].name))
			found = t[i].name;
	}
	return found;
}

void osfs_strerror(int code, struct osfs_buf *out)
{
	char buf[256];
	/* GNU strerror_r: returns the message, which may or may not be buf. */
	osfs_buf_puts(out, strerror_r(code, buf, sizeof buf));
}

int osfs_parse_int(const char *s, int *out)
{
	long long v;
	int err = osfs_parse_ll(s, &v);
	if (err)
		return err;
	if (v < INT_MIN || v > INT_MAX)
		return -ERANGE;
	*out = (int)v;
	return 0;
}
