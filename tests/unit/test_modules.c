/* Unit tests of libosfs: linked alone, without FUSE. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osfs/buf.h"
#include "osfs/errno.h"
#include "osfs/kv.h"
#include "osfs/platform.h"
#include "osfs/refuse.h"

static void test_buf(void)
{
	struct osfs_buf b = {0};
	osfs_buf_puts(&b, "ab");
	osfs_buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.data, "ab42-x");
	char big[1000];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	osfs_buf_printf(&b, "[%s]", big); /* longer than the small stack buffer */
	CHECK(b.len == 6 + 2 + 999);
	CHECK(b.data[b.len - 1] == ']' && b.data[b.len] == '\0');
	char *p = osfs_buf_extend(&b, 3);
	CHECK(p && p == b.data + 6 + 2 + 999);
	osfs_buf_reset(&b);
	CHECK(b.len == 0 && b.data[0] == '\0' && osfs_buf_error(&b) == 0);
	osfs_buf_free(&b);
	CHECK(b.data == NULL);
}

static void test_errno(void)
{
	int code = 0;
	CHECK(osfs_errno_code("ENOENT", &code) == 0 && code == ENOENT);
	CHECK(osfs_errno_code("EWOULDBLOCK", &code) == 0 && code == EAGAIN);
	CHECK(osfs_errno_code("ENOPE", &code) == -ENOENT);
	CHECK_STR(osfs_errno_name(ENOENT), "ENOENT");
	/* errno.errorcode's choice among aliases */
	CHECK_STR(osfs_errno_name(EAGAIN), "EAGAIN");
	CHECK_STR(osfs_errno_name(EDEADLK), "EDEADLOCK");
	CHECK_STR(osfs_errno_name(EOPNOTSUPP), "ENOTSUP");
	CHECK(osfs_errno_name(99999) == NULL);

	size_t n;
	const struct osfs_errno *t = osfs_errno_table(&n);
	CHECK(n > 120);
	int sorted = 1;
	for (size_t i = 1; i < n; i++)
		if (t[i - 1].code > t[i].code)
			sorted = 0;
	CHECK(sorted);

	struct osfs_buf b = {0};
	osfs_strerror(ENOENT, &b);
	CHECK_STR(b.data, "No such file or directory");
	osfs_buf_reset(&b);
	osfs_strerror(99999, &b);
	CHECK_STR(b.data, "Unknown error 99999");
	osfs_buf_free(&b);

	int v;
	CHECK(osfs_parse_int("2", &v) == 0 && v == 2);
	CHECK(osfs_parse_int("-7", &v) == 0 && v == -7);
	CHECK(osfs_parse_int("+3", &v) == 0 && v == 3);
	CHECK(osfs_parse_int("", &v) == -EINVAL);
	CHECK(osfs_parse_int(" 2", &v) == -EINVAL);
	CHECK(osfs_parse_int("2x", &v) == -EINVAL);
	CHECK(osfs_parse_int("0x10", &v) == -EINVAL);
	CHECK(osfs_parse_int("2147483647", &v) == 0 && v == 2147483647);
	CHECK(osfs_parse_int("2147483648", &v) == -ERANGE);
	CHECK(osfs_parse_int("-2147483649", &v) == -ERANGE);
}

static void test_kv(void)
{
	struct osfs_kv kv = {0};
	osfs_kv_str(&kv, "b", "two");
	osfs_kv_int(&kv, "a", 9223372036854775807LL);
	osfs_kv_set(&kv, "t", OSFS_KV_BOOL, "1");
	osfs_kv_str(&kv, "q", "say \"hi\"\n");
	osfs_kv_str(&kv, "b", "again"); /* keeps its place */
	CHECK(osfs_kv_error(&kv) == 0);
	CHECK_STR(osfs_kv_get(&kv, "b"), "again");
	CHECK(osfs_kv_get(&kv, "zz") == NULL);

	struct osfs_buf b = {0};
	osfs_kv_json(&kv, &b);
	CHECK_STR(b.data, "{\"b\":\"again\",\"a\":9223372036854775807,\"t\":true,"
			  "\"q\":\"say \\\"hi\\\"\\n\"}\n");
	osfs_buf_reset(&b);
	osfs_kv_free(&kv);
	osfs_kv_int(&kv, "x", -1);
	osfs_kv_str(&kv, "y", "a=b");
	osfs_kv_plain(&kv, &b);
	CHECK_STR(b.data, "x=-1\ny=a=b\n");
	osfs_kv_free(&kv);
	osfs_buf_free(&b);
}

static void join_case(const char *const *parts, int n, const char *want)
{
	char out[256];
	osfs_platform_join(parts, n, out, sizeof out);
	CHECK_STR(out, want);
}

static void test_platform_join(void)
{
	/* Expected strings follow Python's platform._platform(*parts). */
	const char *linux_parts[] = {"Linux", "6.1.0-13-amd64", "x86_64", "", "with", "glibc2.36"};
	join_case(linux_parts, 6, "Linux-6.1.0-13-amd64-x86_64-with-glibc2.36");
	const char *messy[] = {"A B", "unknown", "x/y"};
	join_case(messy, 3, "A_B-x-y");
	const char *padded[] = {" padded ", "", "(x)"};
	join_case(padded, 3, "padded-x");
	const char *obstacles[] = {"a:b;c\"d\\e"};
	join_case(obstacles, 1, "a-b-c-d-e");
	const char *trailing[] = {"sys", "rel-", "-"};
	join_case(trailing, 3, "sys-rel");
}

static void test_os_release(void)
{
	struct osfs_kv kv = {0};
	osfs_os_release_parse("ID=debian\r\n"
			      "NAME=\"Debian GNU/Linux\"\n"
			      "# a comment\n"
			      "bad line\n"
			      "QUOTED='single'\n"
			      "ESC=\"a\\\"b\\$c\\\\d\\x\"\n"
			      "HALF=\"open\n"
			      "MIXED=\"x'\n"
			      "EMPTY=\n"
			      "lower_1=v\r"
			      "-X=no\n",
			      &kv);
	/* defaults first, overridden in place */
	CHECK_STR(kv.fields[0].key, "NAME");
	CHECK_STR(kv.fields[0].text, "Debian GNU/Linux");
	CHECK_STR(kv.fields[1].key, "ID");
	CHECK_STR(kv.fields[1].text, "debian");
	CHECK_STR(kv.fields[2].key, "PRETTY_NAME");
	CHECK_STR(kv.fields[2].text, "Linux");
	CHECK_STR(osfs_kv_get(&kv, "QUOTED"), "single");
	CHECK_STR(osfs_kv_get(&kv, "ESC"), "a\"b$c\\d\\x");
	CHECK_STR(osfs_kv_get(&kv, "HALF"), "\"open");
	CHECK_STR(osfs_kv_get(&kv, "MIXED"), "\"x'");
	CHECK_STR(osfs_kv_get(&kv, "EMPTY"), "");
	CHECK_STR(osfs_kv_get(&kv, "lower_1"), "v");
	CHECK(osfs_kv_get(&kv, "-X") == NULL);
	CHECK(kv.count == 9);
	osfs_kv_free(&kv);
}

static void test_platform_load(void)
{
	struct osfs_platform p;
	CHECK(osfs_platform_load(&p, NULL) == 0);
	CHECK_STR(p.system, "Linux");
	CHECK(p.machine[0] != '\0');
	CHECK_STR(p.linkage, "ELF");
	CHECK(strcmp(p.bits, "64bit") == 0 || strcmp(p.bits, "32bit") == 0);
	CHECK_STR(p.libc_lib, "glibc");
	CHECK(strncmp(p.platform, "Linux-", 6) == 0);
	osfs_platform_free(&p);

	/* Not an executable: Python's defaults, the pointer size and no linkage. */
	CHECK(osfs_platform_load(&p, "/etc/hostname") == 0);
	CHECK_STR(p.linkage, "");
	osfs_platform_free(&p);
}

static void test_refusals(void)
{
	osfs_refusal_clear();
	CHECK_STR(osfs_refusal(), "");
	CHECK(osfs_refuse(EINVAL, "bad %s", "thing") == -EINVAL);
	CHECK_STR(osfs_refusal(), "bad thing");

	osfs_errlog_clear();
	unsigned long before = osfs_errlog_count();
	osfs_errlog_add(42, "errno/X", ENOENT, "no\nsuch");
	struct osfs_buf b = {0};
	osfs_errlog_dump(&b);
	CHECK(b.data && strstr(b.data, " 42 errno/X ENOENT: no such\n") != NULL);
	CHECK(b.data && strchr(b.data, '\n') == b.data + b.len - 1); /* one line */
	for (int i = 0; i < OSFS_ERRLOG_LINES + 10; i++)
		osfs_errlog_add(1, "n", EIO, NULL); /* the thread's last refusal */
	osfs_buf_reset(&b);
	osfs_errlog_dump(&b);
	int lines = 0;
	for (size_t i = 0; i < b.len; i++)
		lines += b.data[i] == '\n';
	CHECK(lines == OSFS_ERRLOG_LINES);
	CHECK(strstr(b.data, "errno/X") == NULL); /* the oldest were dropped */
	CHECK(strstr(b.data, " 1 n EIO: bad thing\n") != NULL);
	CHECK(osfs_errlog_count() - before == OSFS_ERRLOG_LINES + 11);
	osfs_buf_free(&b);
	osfs_errlog_clear();
}

int main(void)
{
	test_buf();
	test_errno();
	test_kv();
	test_platform_join();
	test_os_release();
	test_platform_load();
	test_refusals();
	return check_summary();
}
