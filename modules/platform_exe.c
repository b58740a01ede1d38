/* platform_exe: platform.architecture(executable) and platform.libc_ver(executable)
 * for a program a caller names, opened with the caller's rights.
 *
 * architecture() asks `file -b` and looks for words in its answer; osfs asks
 * libmagic, the library file(1) is (loaded with dlopen at the first request;
 * without it the answer is Python's when file(1) is missing: the defaults).
 * libc_ver() scans the file for its libc's marks in 16 KiB chunks, as the current
 * reference's Lib/platform.py does (3.11's scan, plus musl's names). */
#include "osfs/platform.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "osfs/refuse.h"

/* libmagic: one cookie, used by one request at a time. */
static struct {
	magic_t (*open)(int);
	int (*load)(magic_t, const char *);
	const char *(*descriptor)(magic_t, int);
	magic_t cookie;
} magic;
static pthread_once_t magic_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t magic_lock = PTHREAD_MUTEX_INITIALIZER;

static void magic_start(void)
{
	void *lib = dlopen("libmagic.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return;
	*(void **)&magic.open = dlsym(lib, "magic_open");
	*(void **)&magic.load = dlsym(lib, "magic_load");
	*(void **)&magic.descriptor = dlsym(lib, "magic_descriptor");
	if (!magic.open || !magic.load || !magic.descriptor)
		return;
	magic.cookie = magic.open(MAGIC_NONE);
	if (magic.cookie && magic.load(magic.cookie, NULL) != 0)
		magic.cookie = NULL;
}

/* What `file -b` says of the open file fd, or "" if it cannot say. */
static void file_b(int fd, char *out, size_t size)
{
	out[0] = '\0';
	pthread_once(&magic_once, magic_start);
	if (!magic.cookie)
		return;
	pthread_mutex_lock(&magic_lock);
	const char *d = magic.descriptor(magic.cookie, fd);
	snprintf(out, size, "%s", d ? d : "");
	pthread_mutex_unlock(&magic_lock);
}

/* Python's architecture(): bits from the pointer size, no linkage, unless file(1)
 * calls it an executable or a shared object; then its words decide. */
static void architecture_of_text(const char *fileout, char *bits, size_t bsize, char *linkage,
				 size_t lsize)
{
	snprintf(bits, bsize, "%zubit", sizeof(void *) * 8);
	linkage[0] = '\0';
	if (!strstr(fileout, "executable") && !strstr(fileout, "shared object"))
		return;
	if (strstr(fileout, "32-bit"))
		snprintf(bits, bsize, "32bit");
	else if (strstr(fileout, "64-bit"))
		snprintf(bits, bsize, "64bit");
	const char *l = strstr(fileout, "ELF")       ? "ELF"
			: strstr(fileout, "PE")      ? (strstr(fileout, "Windows") ? "WindowsPE" : "PE")
			: strstr(fileout, "COFF")    ? "COFF"
			: strstr(fileout, "MS-DOS")  ? "MSDOS"
						     : "";
	snprintf(linkage, lsize, "%s", l);
}

int osfs_architecture_of(const struct osfs_proc *caller, const char *path, struct osfs_buf *out)
{
	char fileout[1024] = "", bits[16], linkage[16];
	int fd;
	if (osfs_open_as(caller, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd) == 0) {
		file_b(fd, fileout, sizeof fileout);
		close(fd);
	}
	osfs_refusal_clear(); /* file(1) answers for any path; Python never raises here */
	architecture_of_text(fileout, bits, sizeof bits, linkage, sizeof linkage);
	osfs_buf_printf(out, "%s\n%s\n", bits, linkage);
	return 0;
}

/* _comparable_version() for versions of digits and dots: the numbers, compared in
 * turn (a missing one is smaller). */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		a += strspn(a, ".");
		b += strspn(b, ".");
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		unsigned long long x = strtoull(a, (char **)&a, 10), y = strtoull(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

static int is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static size_t span(const char *s, size_t len, const char *set)
{
	size_t n = 0;
	while (n < len && s[n] && strchr(set, s[n]))
		n++;
	return n;
}

/* One match of Python's libc_search at s[0..len): which alternative (1..5), its
 * length, and the groups that matter as offsets into s. */
struct libc_match {
	int alt;
	size_t end;
	size_t v0, vlen;   /* the version group */
	size_t t0, tlen;   /* the threads group of libc_*.so */
};

static int at(const char *s, size_t len, size_t i, const char *lit)
{
	size_t n = strlen(lit);
	return i + n <= len && memcmp(s + i, lit, n) == 0;
}

/* (?:\.(\d[0-9.]*))? after i: the version's start and length. */
static size_t so_version(const char *s, size_t len, size_t i, size_t *v0, size_t *vlen)
{
	*v0 = *vlen = 0;
	if (i + 1 < len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
		*v0 = i + 1;
		*vlen = 1 + span(s + i + 2, len - i - 2, "0123456789.");
		return i + 1 + *vlen;
	}
	return i;
}

static int match_at(const char *s, size_t len, size_t i, struct libc_match *m)
{
	memset(m, 0, sizeof *m);
	if (at(s, len, i, "__libc_init")) {
		m->alt = 1, m->end = i + 11;
		return 1;
	}
	if (at(s, len, i, "GLIBC_")) {
		size_t n = span(s + i + 6, len - i - 6, "0123456789.");
		if (n) {
			m->alt = 2, m->v0 = i + 6, m->vlen = n, m->end = i + 6 + n;
			return 1;
		}
	}
	if (at(s, len, i, "libc")) {
		size_t j = i + 4;
		if (j < len && s[j] == '_') { /* (_\w+)? then \.so, else without it */
			size_t k = j + 1;
			while (k < len && is_word(s[k]))
				k++;
			if (k > j + 1 && at(s, len, k, ".so")) {
				m->t0 = j, m->tlen = k - j;
				j = k;
			}
		}
		if (at(s, len, j, ".so")) {
			m->alt = 3;
			m->end = so_version(s, len, j + 3, &m->v0, &m->vlen);
			return 1;
		}
	}
	if (at(s, len, i, "musl-")) {
		size_t n = span(s + i + 5, len - i - 5, "0123456789.");
		if (n) {
			m->alt = 4, m->v0 = i + 5, m->vlen = n, m->end = i + 5 + n;
			return 1;
		}
	}
	size_t j = at(s, len, i, "libc.musl") ? i + 9 : at(s, len, i, "ld-musl") ? i + 7 : 0;
	if (j) { /* (?:-\w+)? (greedy, backing off), then .so: any character, then "so" */
		size_t w = j + 1;
		while (j < len && s[j] == '-' && w < len && is_word(s[w]))
			w++;
		for (size_t k = w; k >= j; k--) {
			if ((k == j || k > j + 1) && k + 2 < len && s[k] != '\n' && s[k + 1] == 's' &&
			    s[k + 2] == 'o') {
				m->alt = 5;
				m->end = so_version(s, len, k + 3, &m->v0, &m->vlen);
				return 1;
			}
			if (k == j)
				break;
		}
	}
	return 0;
}

static int search(const char *s, size_t len, size_t pos, struct libc_match *m)
{
	for (size_t i = pos; i < len; i++)
		if (match_at(s, len, i, m))
			return 1;
	return 0;
}

static void take(char *dst, size_t size, const char *s, size_t off, size_t len)
{
	snprintf(dst, size, "%.*s", (int)len, s + off);
}

int osfs_libc_ver_of(const struct osfs_proc *caller, const char *path, struct osfs_buf *out)
{
	enum { CHUNK = 16384 };
	int fd;
	int err = osfs_open_as(caller, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
	if (err)
		return err;
	char lib[16] = "", ver[256] = "", *binary = malloc(CHUNK + 1000), *chunk = malloc(CHUNK);
	int have_ver = 0;
	size_t len = 0, pos = 0;
	ssize_t n = binary && chunk ? read(fd, binary, CHUNK) : -1;
	if (n < 0) {
		err = binary && chunk ? osfs_path_error(errno, path) : -ENOMEM;
		goto done;
	}
	len = (size_t)n;
	while (pos < len) {
		struct libc_match m;
		int found = search(binary, len, pos, &m);
		if (!found || m.end == len) {
			ssize_t c = read(fd, chunk, CHUNK);
			if (c < 0) {
				err = osfs_path_error(errno, path);
				goto done;
			}
			if (c > 0) { /* keep the last 1000 bytes (or from pos), then the chunk */
				size_t start = len > 1000 && len - 1000 > pos ? len - 1000 : pos;
				size_t keep = len - start;
				memmove(binary, binary + start, keep);
				memcpy(binary + keep, chunk, (size_t)c);
				len = keep + (size_t)c;
				pos = 0;
				continue;
			}
			if (!found)
				break;
		}
		char v[256];
		take(v, sizeof v, binary, m.v0, m.vlen);
		if (m.alt == 1 && !lib[0]) {
			snprintf(lib, sizeof lib, "libc");
		} else if (m.alt == 2) {
			if (strcmp(lib, "glibc") != 0 || version_cmp(v, ver) > 0)
				snprintf(ver, sizeof ver, "%s", v), have_ver = 1;
			snprintf(lib, sizeof lib, "glibc");
		} else if (m.alt == 3 && strcmp(lib, "glibc") != 0 && strcmp(lib, "musl") != 0) {
			snprintf(lib, sizeof lib, "libc");
			if (m.vlen && (!have_ver || !ver[0] || version_cmp(v, ver) > 0))
				snprintf(ver, sizeof ver, "%s", v), have_ver = 1;
			char t[128];
			take(t, sizeof t, binary, m.t0, m.tlen);
			size_t vl = strlen(ver), tl = strlen(t);
			if (tl && (vl < tl || strcmp(ver + vl - tl, t) != 0) && vl + tl < sizeof ver)
				strcat(ver, t), have_ver = 1;
		} else if (m.alt == 4 || (m.alt == 5 && m.vlen)) {
			snprintf(lib, sizeof lib, "musl");
			if (!have_ver || !ver[0] || version_cmp(v, ver) > 0)
				snprintf(ver, sizeof ver, "%s", v), have_ver = 1;
		} else if (m.alt == 5) {
			snprintf(lib, sizeof lib, "musl");
		}
		pos = m.end;
	}
	osfs_buf_printf(out, "%s\n%s\n", lib, ver);
done:
	free(binary);
	free(chunk);
	close(fd);
	return err;
}
