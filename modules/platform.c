/* platform: Python's platform module on Linux, computed once at start-up. */
#include "osfs/platform.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* _Processor.from_subprocess: `uname -p`, stripped; 'unknown' reads as blank. */
static void processor(char *out, size_t size)
{
	out[0] = '\0';
	FILE *f = popen("uname -p 2>/dev/null", "r");
	if (!f)
		return;
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	if (pclose(f) != 0)
		out[0] = '\0';
	size_t n = strlen(out);
	while (n && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	size_t lead = strspn(out, " \t\r\n\v\f");
	memmove(out, out + lead, strlen(out + lead) + 1);
	if (strcmp(out, "unknown") == 0)
		out[0] = '\0';
}

/* architecture(): what `file` says of the executable: its ELF class and 'ELF'.
 * The defaults, as Python's, are the pointer size and no linkage. */
static void architecture(const char *exe, char *bits, size_t bsize, char *linkage, size_t lsize)
{
	snprintf(bits, bsize, "%zubit", sizeof(void *) * 8);
	linkage[0] = '\0';
	unsigned char id[EI_NIDENT + 2 + 2];
	int fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, id, sizeof id);
	close(fd);
	if (n < (ssize_t)sizeof id || memcmp(id, ELFMAG, SELFMAG) != 0)
		return;
	/* Python reads bits only from an executable or a shared object. */
	unsigned type = id[EI_DATA] == ELFDATA2MSB ? (unsigned)(id[16] << 8 | id[17])
						   : (unsigned)(id[17] << 8 | id[16]);
	if (type != ET_EXEC && type != ET_DYN)
		return;
	if (id[EI_CLASS] == ELFCLASS32)
		copy(bits, bsize, "32bit");
	else if (id[EI_CLASS] == ELFCLASS64)
		copy(bits, bsize, "64bit");
	copy(linkage, lsize, "ELF");
}

/* libc_ver(): confstr('CS_GNU_LIBC_VERSION') split at the first blank run. */
static void libc_ver(char *lib, size_t lsize, char *ver, size_t vsize)
{
	char text[128] = "";
	lib[0] = ver[0] = '\0';
	if (confstr(_CS_GNU_LIBC_VERSION, text, sizeof text) == 0)
		return;
	char *sp = strpbrk(text, " \t");
	if (!sp)
		return;
	*sp++ = '\0';
	sp += strspn(sp, " \t");
	copy(lib, lsize, text);
	copy(ver, vsize, sp);
}

static void replace_all(char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	for (char *p = strstr(s, from); p; p = strstr(p + tl, from)) {
		memmove(p + tl, p + fl, strlen(p + fl) + 1);
		memcpy(p, to, tl);
	}
}

void osfs_platform_join(const char *const *parts, int n, char *out, size_t size)
{
	struct osfs_buf b = {0};
	for (int i = 0; i < n; i++) {
		const char *s = parts[i];
		if (!*s)
			continue; /* filter(len, args) sees the unstripped part */
		while (isspace((unsigned char)*s))
			s++;
		size_t len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (b.len)
			osfs_buf_putc(&b, '-');
		osfs_buf_add(&b, s, len);
	}
	if (osfs_buf_error(&b) || !b.data) {
		out[0] = '\0';
		osfs_buf_free(&b);
		return;
	}
	static const char obstacles[] = "/\\:;\"()";
	for (char *p = b.data; *p; p++) {
		if (*p == ' ')
			*p = '_';
		else if (strchr(obstacles, *p))
			*p = '-';
	}
	replace_all(b.data, "unknown", "");
	while (strstr(b.data, "--"))
		replace_all(b.data, "--", "-");
	size_t len = strlen(b.data);
	while (len && b.data[len - 1] == '-')
		b.data[--len] = '\0';
	copy(out, size, b.data);
	osfs_buf_free(&b);
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* One line of os-release, as _os_release_line matches it:
 *   ^(?P<name>[a-zA-Z0-9_]+)=(?P<quote>["']?)(?P<value>.*)(?P=quote)$
 * then the five escapes \\ \$ \" \' \` lose their backslash. */
static void os_release_line(const char *line, size_t len, struct osfs_kv *out)
{
	size_t i = 0;
	while (i < len && is_name_char(line[i]))
		i++;
	if (i == 0 || i >= len || line[i] != '=')
		return;
	char name[128];
	if (i >= sizeof name)
		return;
	memcpy(name, line, i);
	name[i] = '\0';
	const char *v = line + i + 1;
	size_t vlen = len - i - 1;
	/* A quote is taken only when the value also ends with it. */
	if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
		v++;
		vlen -= 2;
	}
	struct osfs_buf b = {0};
	for (size_t k = 0; k < vlen; k++) {
		if (v[k] == '\\' && k + 1 < vlen && strchr("\\$\"'`", v[k + 1]))
			k++;
		osfs_buf_putc(&b, v[k]);
	}
	osfs_kv_str(out, name, b.data ? b.data : "");
	osfs_buf_free(&b);
}

void osfs_os_release_parse(const char *text, struct osfs_kv *out)
{
	osfs_kv_str(out, "NAME", "Linux");
	osfs_kv_str(out, "ID", "linux");
	osfs_kv_str(out, "PRETTY_NAME", "Linux");
	/* Python reads the file with universal newlines: \n, \r\n and \r end a line. */
	while (*text) {
		size_t len = strcspn(text, "\r\n");
		os_release_line(text, len, out);
		text += len;
		if (text[0] == '\r' && text[1] == '\n')
			text++;
		if (*text)
			text++;
	}
}

static int load_os_release(struct osfs_kv *out)
{
	static const char *const candidates[] = {"/etc/os-release", "/usr/lib/os-release"};
	int err = ENOENT;
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		FILE *f = fopen(candidates[i], "re");
		if (!f) {
			err = errno;
			continue;
		}
		struct osfs_buf text = {0};
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			osfs_buf_add(&text, chunk, n);
		fclose(f);
		osfs_os_release_parse(text.data ? text.data : "", out);
		osfs_buf_free(&text);
		return 0;
	}
	return err;
}

int osfs_platform_load(struct osfs_platform *p, const char *executable)
{
	memset(p, 0, sizeof *p);
	struct utsname u;
	if (uname(&u) < 0)
		return -errno;
	copy(p->system, sizeof p->system, u.sysname);
	copy(p->node, sizeof p->node, u.nodename);
	copy(p->release, sizeof p->release, u.release);
	copy(p->version, sizeof p->version, u.version);
	copy(p->machine, sizeof p->machine, u.machine);
	processor(p->processor, sizeof p->processor);
	architecture(executable ? executable : "/proc/self/exe", p->bits, sizeof p->bits,
		     p->linkage, sizeof p->linkage);
	libc_ver(p->libc_lib, sizeof p->libc_lib, p->libc_version, sizeof p->libc_version);

	osfs_platform_string(p, 0, 0, p->platform, sizeof p->platform);

	p->os_release_errno = load_os_release(&p->os_release);
	return osfs_kv_error(&p->os_release);
}

/* Python's platform(): system_alias() renames only SunOS, IRIX and Windows, and on
 * Linux terse changes nothing: system-release-machine-processor-with-libc; other
 * systems' generic form is system-release, or with machine, processor, bits and
 * linkage. */
void osfs_platform_string(const struct osfs_platform *p, int aliased, int terse, char *out,
			  size_t size)
{
	const char *proc = strcmp(p->machine, p->processor) == 0 ? "" : p->processor;
	if (strcmp(p->system, "Linux") == 0) {
		char libc[64];
		snprintf(libc, sizeof libc, "%s%s", p->libc_lib, p->libc_version);
		const char *parts[] = {p->system, p->release, p->machine, proc, "with", libc};
		osfs_platform_join(parts, 6, out, size);
	} else if (terse) {
		const char *parts[] = {p->system, p->release};
		osfs_platform_join(parts, 2, out, size);
	} else {
		const char *parts[] = {p->system, p->release, p->machine, proc, p->bits, p->linkage};
		osfs_platform_join(parts, 6, out, size);
	}
	(void)aliased; /* system_alias(): no alias for the systems osfs runs on */
}

void osfs_platform_free(struct osfs_platform *p)
{
	osfs_kv_free(&p->os_release);
}

void osfs_platform_uname(const struct osfs_platform *p, struct osfs_kv *out)
{
	osfs_kv_str(out, "system", p->system);
	osfs_kv_str(out, "node", p->node);
	osfs_kv_str(out, "release", p->release);
	osfs_kv_str(out, "version", p->version);
	osfs_kv_str(out, "machine", p->machine);
	osfs_kv_str(out, "processor", p->processor);
}
