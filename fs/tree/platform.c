/* platform/: Python's platform module, computed at start-up and again when the
 * owner writes invalidate_caches; architecture_of and libc_ver_of examine a
 * program the writer names. */
#include "tree.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "osfs/platform.h"
#include "osfs/refuse.h"

static struct osfs_platform info;
static pthread_rwlock_t info_lock = PTHREAD_RWLOCK_INITIALIZER;

int platform_tree_init(void)
{
	return osfs_platform_load(&info, NULL);
}

void platform_tree_fini(void)
{
	osfs_platform_free(&info);
}

/* platform.invalidate_caches() (3.14): everything is computed again, once per
 * write(), after its lines. */
static int take_invalidate(const char *line, void **state, const struct req *rq)
{
	*state = (void *)rq; /* a mark, never freed: the row has no drop() */
	return 0;
}

static int invalidated(void **state, const struct req *rq)
{
	if (!*state)
		return 0;
	*state = NULL;
	struct osfs_platform fresh, old;
	int err = osfs_platform_load(&fresh, NULL);
	if (err) {
		osfs_platform_free(&fresh);
		return osfs_refuse(-err, "cannot compute the platform again: %s", strerror(-err));
	}
	pthread_rwlock_wrlock(&info_lock);
	old = info;
	info = fresh;
	pthread_rwlock_unlock(&info_lock);
	osfs_platform_free(&old);
	return 0;
}

/* A text field of info: the row's data is its offset. */
static int show_field(struct osfs_buf *out, const struct req *rq)
{
	pthread_rwlock_rdlock(&info_lock);
	osfs_buf_printf(out, "%s\n", (const char *)&info + *(const size_t *)rq->node->data);
	pthread_rwlock_unlock(&info_lock);
	return 0;
}

#define FIELD_ROW(n, member, doc_)                                                    \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .show = show_field,            \
	 .data = &(const size_t){offsetof(struct osfs_platform, member)}, .doc = (doc_)}

/* Tuples are lists: one item per line. */
static int show_architecture(struct osfs_buf *out, const struct req *rq)
{
	pthread_rwlock_rdlock(&info_lock);
	osfs_buf_printf(out, "%s\n%s\n", info.bits, info.linkage);
	pthread_rwlock_unlock(&info_lock);
	return 0;
}

static int show_libc_ver(struct osfs_buf *out, const struct req *rq)
{
	pthread_rwlock_rdlock(&info_lock);
	osfs_buf_printf(out, "%s\n%s\n", info.libc_lib, info.libc_version);
	pthread_rwlock_unlock(&info_lock);
	return 0;
}

/* platform(aliased, terse): the row's data is "at": a for aliased, t for terse. */
static int show_platform(struct osfs_buf *out, const struct req *rq)
{
	const char *flags = rq->node->data;
	char text[512];
	pthread_rwlock_rdlock(&info_lock);
	osfs_platform_string(&info, strchr(flags, 'a') != NULL, strchr(flags, 't') != NULL, text,
			     sizeof text);
	pthread_rwlock_unlock(&info_lock);
	osfs_buf_printf(out, "%s\n", text);
	return 0;
}

static int uname_fields(struct osfs_kv *kv, const struct req *rq)
{
	pthread_rwlock_rdlock(&info_lock);
	osfs_platform_uname(&info, kv);
	pthread_rwlock_unlock(&info_lock);
	return 0;
}

/* The os-release fields, or why there are none (as Python raises OSError). */
static int os_release(struct osfs_kv *kv, const char *key, struct osfs_buf *value)
{
	pthread_rwlock_rdlock(&info_lock);
	int err = info.os_release_errno
			  ? osfs_refuse(info.os_release_errno,
					"neither /etc/os-release nor /usr/lib/os-release can be read")
			  : 0;
	const char *v = err || !key ? NULL : osfs_kv_get(&info.os_release, key);
	if (!err && key && !v)
		err = osfs_refuse(ENOENT, "os-release has no key '%s'", key);
	for (size_t i = 0; !err && kv && i < info.os_release.count; i++)
		osfs_kv_str(kv, info.os_release.fields[i].key, info.os_release.fields[i].text);
	if (v && value)
		osfs_buf_printf(value, "%s\n", v);
	pthread_rwlock_unlock(&info_lock);
	return err;
}

static int os_release_fields(struct osfs_kv *kv, const struct req *rq)
{
	return os_release(kv, NULL, NULL);
}

static int match_os_release(const char *name, const struct req *rq)
{
	return os_release(NULL, name, NULL);
}

static int list_os_release(emit_fn *emit, void *ctx, const struct req *rq)
{
	struct osfs_kv kv = {0};
	if (os_release(&kv, NULL, NULL) == 0)
		for (size_t i = 0; i < kv.count; i++)
			emit(ctx, kv.fields[i].key);
	osfs_refusal_clear();
	osfs_kv_free(&kv);
	return 0;
}

static int show_os_release(struct osfs_buf *out, const struct req *rq)
{
	return os_release(NULL, rq->arg, out);
}

/* architecture_of and libc_ver_of: PATH in, the program's two lines out. */
static int call_examine(const char *request, struct osfs_buf *out, const struct req *rq)
{
	struct osfs_proc caller;
	int err = tree_caller(rq, &caller);
	if (err)
		return err;
	if (rq->node->data && !*request) /* libc_ver(''): as libc_ver(), confstr's answer */
		return show_libc_ver(out, rq);
	return rq->node->data ? osfs_libc_ver_of(&caller, request, out)
			      : osfs_architecture_of(&caller, request, out);
}

static const struct node os_release_each =
	VALUE_ROW(NULL, show_os_release, "platform.freedesktop_os_release()[KEY]");
static const struct dir os_release_dir = {
	.each = &os_release_each, .match = match_os_release, .list = list_os_release};

#define PLATFORM_ROW(n, flags_, doc_) \
	{.name = (n), .kind = KIND_VALUE, .mode = 0444, .show = show_platform, .data = (flags_), \
	 .doc = (doc_)}

static const struct node platform_rows[] = {
	FIELD_ROW("system", system, "platform.system(): the OS name, e.g. Linux"),
	FIELD_ROW("node", node, "platform.node(): the network name of this machine"),
	FIELD_ROW("release", release, "platform.release(): the kernel release"),
	FIELD_ROW("version", version, "platform.version(): the kernel build version"),
	FIELD_ROW("machine", machine, "platform.machine(): the machine type, e.g. x86_64"),
	FIELD_ROW("processor", processor, "platform.processor(): the processor name, often empty"),
	VALUE_ROW("architecture", show_architecture,
		  "platform.architecture(): bits and linkage of osfs itself, one per line"),
	{.name = "architecture_of", .kind = KIND_TRANSACTION, .mode = 0666, .call = call_examine,
	 .doc = "platform.architecture(PATH): write PATH, read bits and linkage (as the writer)"},
	PLATFORM_ROW("platform", "", "platform.platform(): one string naming the platform"),
	PLATFORM_ROW("platform_aliased", "a", "platform.platform(aliased=True)"),
	PLATFORM_ROW("platform_terse", "t", "platform.platform(terse=True)"),
	PLATFORM_ROW("platform_aliased_terse", "at", "platform.platform(aliased=True, terse=True)"),
	VALUE_ROW("libc_ver", show_libc_ver, "platform.libc_ver(): library and version, one per line"),
	{.name = "libc_ver_of", .kind = KIND_TRANSACTION, .mode = 0666, .call = call_examine,
	 .data = "libc", .doc = "platform.libc_ver(PATH): write PATH, read library and version"},
	FIELDS_ROW("uname", uname_fields, "platform.uname(): key=value lines"),
	JSON_ROW("uname.json", uname_fields, "platform.uname() as JSON"),
	DIR_ROW("freedesktop_os_release", os_release_dir,
		"platform.freedesktop_os_release(): one file per key"),
	JSON_ROW("freedesktop_os_release.json", os_release_fields,
		 "platform.freedesktop_os_release() as JSON"),
	{.name = "invalidate_caches", .kind = KIND_RECORDS, .mode = 0200, .take = take_invalidate,
	 .taken = invalidated,
	 .doc = "platform.invalidate_caches(): write anything (the owner) to compute all again"},
	END_ROW,
};

const struct dir platform_dir = {.rows = platform_rows};
