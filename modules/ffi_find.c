/* find_library as Python's ctypes.util finds a library on Linux, without starting
 * a process: first the dynamic linker's cache (/etc/ld.so.cache, read as
 * `ldconfig -p` prints it: the first entry "libNAME.…" of this machine's ABI),
 * then libNAME.so where gcc would find it (LIBRARY_PATH, gcc's and the system's
 * directories), then where ld would (LD_LIBRARY_PATH first), its SONAME read from
 * the ELF file as objdump shows it.  The cache is read once, again when it changes. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ffi_internal.h"

#define CACHE_PATH "/etc/ld.so.cache"
#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"

static struct {
	pthread_mutex_t lock;
	char *data; /* the file */
	size_t size;
	size_t header; /* where the new-format header starts (strings are relative to it) */
	uint32_t nlibs;
	struct stat st;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ldconfig's names of an entry's flags: its type, then the ABI it requires. */
static void flags_text(int32_t flags, char *out, size_t size)
{
	static const char *const type[] = {"unknown", "ELF", "libc5", "libc6"};
	static const struct {
		int32_t flag;
		const char *name;
	} abi[] = {
		{0x0100, ",64bit"}, {0x0200, ",IA-64"}, {0x0300, ",x86-64"}, {0x0400, ",64bit"},
		{0x0500, ",64bit"}, {0x0600, ",N32"}, {0x0700, ",64bit"}, {0x0800, ",x32"},
		{0x0900, ",hard-float"}, {0x0a00, ",AArch64"}, {0x0b00, ",soft-float"},
		{0x0c00, ",nan2008"}, {0x0d00, ",N32,nan2008"}, {0x0e00, ",64bit,nan2008"},
		{0x0f00, ",soft-float"}, {0x1000, ",double-float"}, {0x1100, ",soft-float"},
		{0x1200, ",double-float"},
	};
	int t = flags & 0xff;
	const char *req = "";
	for (size_t i = 0; i < sizeof abi / sizeof abi[0]; i++)
		if ((flags & 0xff00) == abi[i].flag)
			req = abi[i].name;
	snprintf(out, size, "%s%s", t >= 1 && t <= 3 ? type[t] : type[0], req);
}

/* The ABI Python looks for: "libc6,x86-64" on x86_64, "libc6,64bit" on ppc64 and
 * sparc64 and s390x, "libc6,IA-64" on ia64, else "libc6". */
static const char *wanted_abi(void)
{
	static const struct {
		const char *machine, *abi;
	} map[] = {
		{"x86_64-64", "libc6,x86-64"}, {"ppc64-64", "libc6,64bit"}, {"sparc64-64", "libc6,64bit"},
		{"s390x-64", "libc6,64bit"}, {"ia64-64", "libc6,IA-64"},
	};
	struct utsname u;
	char machine[sizeof u.machine + 4];
	uname(&u);
	snprintf(machine, sizeof machine, "%s-%d", u.machine, sizeof(long) == 4 ? 32 : 64);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].machine, machine) == 0)
			return map[i].abi;
	return "libc6";
}

/* (Re)reads the cache if it changed: 0, or -1 if there is none. */
static int cache_load(void)
{
	struct stat st;
	if (stat(CACHE_PATH, &st) != 0)
		return -1;
	if (cache.data && st.st_ino == cache.st.st_ino && st.st_size == cache.st.st_size &&
	    st.st_mtim.tv_sec == cache.st.st_mtim.tv_sec && st.st_mtim.tv_nsec == cache.st.st_mtim.tv_nsec)
		return 0;
	free(cache.data);
	cache.data = NULL;
	int fd = open(CACHE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t size = st.st_size > 0 && st.st_size < (64 << 20) ? (size_t)st.st_size : 0;
	char *data = size ? malloc(size + 1) : NULL;
	size_t got = 0;
	while (data && got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!data || got != size) {
		free(data);
		return -1;
	}
	data[size] = '\0';
	size_t header = 0;
	if (size >= 16 && memcmp(data, OLD_MAGIC, strlen(OLD_MAGIC)) == 0) {
		uint32_t old;
		memcpy(&old, data + 12, 4); /* the old entries (12 bytes each), then the new header */
		header = (16 + (size_t)old * 12 + 7) / 8 * 8;
	}
	if (header + 48 > size || memcmp(data + header, NEW_MAGIC, strlen(NEW_MAGIC)) != 0) {
		free(data);
		return -1;
	}
	memcpy(&cache.nlibs, data + header + 20, 4);
	if (cache.nlibs > (size - header - 48) / 24)
		cache.nlibs = (uint32_t)((size - header - 48) / 24);
	cache.data = data;
	cache.size = size;
	cache.header = header;
	cache.st = st;
	return 0;
}

/* The first "libNAME.…" key of the wanted ABI, in the cache's order. */
static int cache_find(const char *name, struct osfs_buf *out)
{
	const char *abi = wanted_abi();
	size_t nlen = strlen(name);
	int found = -ENOENT;
	pthread_mutex_lock(&cache.lock);
	if (cache_load() == 0) {
		const char *base = cache.data + cache.header;
		size_t room = cache.size - cache.header;
		for (uint32_t i = 0; i < cache.nlibs && found; i++) {
			const char *e = base + 48 + (size_t)i * 24;
			int32_t flags;
			uint32_t key;
			memcpy(&flags, e, 4);
			memcpy(&key, e + 4, 4);
			if (key >= room)
				continue;
			const char *lib = base + key;
			size_t len = strnlen(lib, room - key);
			char ftext[64];
			flags_text(flags, ftext, sizeof ftext);
			if (len > nlen + 4 && memcmp(lib, "lib", 3) == 0 && memcmp(lib + 3, name, nlen) == 0 &&
			    lib[3 + nlen] == '.' && strncmp(ftext, abi, strlen(abi)) == 0 &&
			    !strpbrk(lib, " \t\n")) {
				osfs_buf_add(out, lib, len);
				found = 0;
			}
		}
	}
	pthread_mutex_unlock(&cache.lock);
	return found;
}

/* The DT_SONAME of an ELF shared object of this process's class: 0, or -1 (not
 * ELF, a linker script, no SONAME). */
static int elf_soname(const char *path, struct osfs_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ElfW(Ehdr) eh;
	int ok = -1;
	if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
	    eh.e_phentsize == sizeof(ElfW(Phdr)) && eh.e_phnum < 256) {
		ElfW(Phdr) ph[256];
		size_t n = eh.e_phnum;
		if (pread(fd, ph, n * sizeof ph[0], (off_t)eh.e_phoff) == (ssize_t)(n * sizeof ph[0])) {
			const ElfW(Phdr) *dyn = NULL;
			for (size_t i = 0; i < n; i++)
				if (ph[i].p_type == PT_DYNAMIC)
					dyn = &ph[i];
			ElfW(Dyn) d[512];
			size_t nd = dyn ? dyn->p_filesz / sizeof d[0] : 0;
			if (nd > 512)
				nd = 512;
			if (nd && pread(fd, d, nd * sizeof d[0], (off_t)dyn->p_offset) == (ssize_t)(nd * sizeof d[0])) {
				ElfW(Addr) strtab = 0;
				ElfW(Xword) soname = (ElfW(Xword))-1;
				for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++) {
					if (d[i].d_tag == DT_STRTAB)
						strtab = d[i].d_un.d_ptr;
					else if (d[i].d_tag == DT_SONAME)
						soname = d[i].d_un.d_val;
				}
				for (size_t i = 0; i < n && soname != (ElfW(Xword))-1; i++) {
					if (ph[i].p_type != PT_LOAD || strtab < ph[i].p_vaddr ||
					    strtab - ph[i].p_vaddr >= ph[i].p_filesz)
						continue;
					char name[256];
					off_t at = (off_t)(ph[i].p_offset + (strtab - ph[i].p_vaddr) + soname);
					ssize_t got = pread(fd, name, sizeof name - 1, at);
					if (got > 0) {
						name[got] = '\0';
						if (name[0] && strnlen(name, sizeof name) < sizeof name - 1) {
							osfs_buf_puts(out, name);
							ok = 0;
						}
					}
					break;
				}
			}
		}
	}
	close(fd);
	return ok;
}

#if defined(__x86_64__)
#define TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define TRIPLET "aarch64-linux-gnu"
#elif defined(__i386__)
#define TRIPLET "i386-linux-gnu"
#else
#define TRIPLET ""
#endif

/* The newest /usr/lib/gcc/TRIPLET/VERSION, gcc's own library directory. */
static void gcc_dir(char *out, size_t size)
{
	out[0] = '\0';
	DIR *d = opendir("/usr/lib/gcc/" TRIPLET);
	struct dirent *e;
	long best = -1;
	while (d && (e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (end != e->d_name && v > best) {
			best = v;
			snprintf(out, size, "/usr/lib/gcc/" TRIPLET "/%s", e->d_name);
		}
	}
	if (d)
		closedir(d);
}

/* In dir: libNAME.so, else libNAME.a; 1 if found (out: its SONAME, if it has one). */
static int probe(const char *dir, const char *name, struct osfs_buf *out, int *soname)
{
	char path[4096];
	static const char *const ext[] = {".so", ".a"};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/lib%s%s", dir, name, ext[i]);
		if (access(path, F_OK) == 0) {
			*soname = i == 0 && elf_soname(path, out) == 0;
			return 1;
		}
	}
	return 0;
}

/* The first directory of a search that has the library decides. */
static int search(const char *const *dirs, size_t n, const char *name, struct osfs_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int soname = 0;
		if (dirs[i] && dirs[i][0] && probe(dirs[i], name, out, &soname))
			return soname ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* The directories in a PATH-like variable, into dirs (at most max). */
static size_t path_dirs(const char *var, char *copy, size_t size, const char **dirs, size_t max)
{
	const char *v = getenv(var);
	size_t n = 0;
	if (!v || !*v)
		return 0;
	snprintf(copy, size, "%s", v);
	for (char *save = NULL, *s = strtok_r(copy, ":", &save); s && n < max; s = strtok_r(NULL, ":", &save))
		dirs[n++] = s;
	return n;
}

static int gcc_search(const char *name, struct osfs_buf *out)
{
	char copy[4096], gcc[512], variants[16][600];
	const char *lp[16], *dirs[64];
	size_t nlp = path_dirs("LIBRARY_PATH", copy, sizeof copy, lp, 16), n = 0, v = 0;
	for (size_t i = 0; i < nlp && v + 2 < 16; i++) { /* gcc's multiarch forms of each, first */
		snprintf(variants[v], sizeof variants[v], "%s/" TRIPLET, lp[i]);
		dirs[n++] = variants[v++];
		snprintf(variants[v], sizeof variants[v], "%s/../lib", lp[i]);
		dirs[n++] = variants[v++];
	}
	gcc_dir(gcc, sizeof gcc);
	dirs[n++] = gcc;
	dirs[n++] = "/usr/lib/" TRIPLET;
	dirs[n++] = "/lib";
	dirs[n++] = "/lib/" TRIPLET;
	dirs[n++] = "/usr/lib";
	for (size_t i = 0; i < nlp; i++)
		dirs[n++] = lp[i];
	return search(dirs, n, name, out);
}

static int ld_search(const char *name, struct osfs_buf *out)
{
	char copy[4096];
	const char *dirs[64];
	size_t n = path_dirs("LD_LIBRARY_PATH", copy, sizeof copy, dirs, 32);
	static const char *const fixed[] = {
		"/usr/local/lib/" TRIPLET, "/lib/" TRIPLET, "/usr/lib/" TRIPLET, "/usr/local/lib64",
		"/lib64", "/usr/lib64", "/usr/local/lib", "/lib", "/usr/lib",
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		dirs[n++] = fixed[i];
	return search(dirs, n, name, out);
}

int ffi_find_library(const char *name, struct osfs_buf *out)
{
	if (!*name || strchr(name, '/') || strlen(name) > 255)
		return -ENOENT;
	osfs_buf_reset(out);
	if (cache_find(name, out) == 0)
		return 0;
	osfs_buf_reset(out);
	if (gcc_search(name, out) == 0)
		return 0;
	osfs_buf_reset(out);
	return ld_search(name, out);
}
