/* platform/: Python's platform module, computed once at start-up. */
#include "tree.h"

#include <errno.h>
#include <string.h>

#include "osfs/platform.h"
#include "osfs/refuse.h"

static struct osfs_platform info;

int platform_tree_init(void)
{
	return osfs_platform_load(&info, NULL);
}

void platform_tree_fini(void)
{
	osfs_platform_free(&info);
}

static int show_line(struct osfs_buf *out, const char *value)
{
	osfs_buf_printf(out, "%s\n", value);
	return 0;
}

/* Tuples are lists: one item per line. */
static int show_architecture(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_printf(out, "%s\n%s\n", info.bits, info.linkage);
	return 0;
}

static int show_libc_ver(struct osfs_buf *out, const struct req *rq)
{
	osfs_buf_printf(out, "%s\n%s\n", info.libc_lib, info.libc_version);
	return 0;
}

static int uname_fields(struct osfs_kv *kv, const struct req *rq)
{
	osfs_platform_uname(&info, kv);
	return 0;
}

static int no_os_release(void)
{
	return osfs_refuse(info.os_release_errno,
			   "neither /etc/os-release nor /usr/lib/os-release can be read");
}

static int os_release_fields(struct osfs_kv *kv, const struct req *rq)
{
	if (info.os_release_errno)
		return no_os_release();
	for (size_t i = 0; i < info.os_release.count; i++)
		osfs_kv_str(kv, info.os_release.fields[i].key, info.os_release.fields[i].text);
	return 0;
}

static int match_os_release(const char *name, const struct req *rq)
{
	if (info.os_release_errno)
		return no_os_release();
	if (!osfs_kv_get(&info.os_release, name))
		return osfs_refuse(ENOENT, "os-release has no key '%s'", name);
	return 0;
}

static int list_os_release(emit_fn *emit, void *ctx, const struct req *rq)
{
	for (size_t i = 0; i < info.os_release.count; i++)
		emit(ctx, info.os_release.fields[i].key);
	return 0;
}

static int show_os_release(struct osfs_buf *out, const struct req *rq)
{
	const char *v = osfs_kv_get(&info.os_release, rq->arg);
	if (!v)
		return osfs_refuse(ENOENT, "os-release has no key '%s'", rq->arg);
	return show_line(out, v);
}

static const struct node os_release_each =
	CONST_ROW(NULL, show_os_release, "platform.freedesktop_os_release()[KEY]");
static const struct dir os_release_dir = {
	.each = &os_release_each, .match = match_os_release, .list = list_os_release};

static const struct node platform_rows[] = {
	STRING_ROW("system", info.system, "platform.system(): the OS name, e.g. Linux"),
	STRING_ROW("node", info.node, "platform.node(): the network name of this machine"),
	STRING_ROW("release", info.release, "platform.release(): the kernel release"),
	STRING_ROW("version", info.version, "platform.version(): the kernel build version"),
	STRING_ROW("machine", info.machine, "platform.machine(): the machine type, e.g. x86_64"),
	STRING_ROW("processor", info.processor, "platform.processor(): the processor name, often empty"),
	CONST_ROW("architecture", show_architecture,
		  "platform.architecture(): bits and linkage, one per line"),
	STRING_ROW("platform", info.platform, "platform.platform(): one string naming the platform"),
	CONST_ROW("libc_ver", show_libc_ver, "platform.libc_ver(): library and version, one per line"),
	CONST_FIELDS_ROW("uname", uname_fields, "platform.uname(): key=value lines"),
	CONST_JSON_ROW("uname.json", uname_fields, "platform.uname() as JSON"),
	DIR_ROW("freedesktop_os_release", os_release_dir,
		"platform.freedesktop_os_release(): one file per key"),
	CONST_JSON_ROW("freedesktop_os_release.json", os_release_fields,
		 "platform.freedesktop_os_release() as JSON"),
	END_ROW,
};

const struct dir platform_dir = {.rows = platform_rows};
