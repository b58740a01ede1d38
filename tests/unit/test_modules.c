/* Unit tests of libosfs: linked alone, without FUSE. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osfs/buf.h"
#include "osfs/errno.h"
#include "osfs/ffi.h"
#include "osfs/fmt.h"
#include "osfs/os.h"
#include "osfs/time.h"
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
	osfs_errlog_clear();
	osfs_errlog_add(7, "a b\x01", EINVAL, "\xff\xc3\x28\xed\xa0\x80\xe2\x82\xac\x1b");
	osfs_buf_reset(&b);
	osfs_errlog_dump(&b);
	/* hostile bytes come out escaped, valid UTF-8 (the euro sign) as it was */
	CHECK(b.data && strstr(b.data, " 7 a\\x20b\\x01 EINVAL: \\xff\\xc3(\\xed\\xa0\\x80\xe2\x82\xac\\x1b\n"));
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
	CHECK(osfs_errlog_count() - before == OSFS_ERRLOG_LINES + 12);
	osfs_buf_free(&b);
	osfs_errlog_clear();
}

static void repr_case(double v, const char *want)
{
	struct osfs_buf b = {0};
	osfs_fmt_repr(&b, v);
	CHECK_STR(b.data, want);
	osfs_buf_free(&b);
}

static void test_fmt(void)
{
	/* Python's repr() of the same doubles */
	repr_case(0.1, "0.1");
	repr_case(1e-09, "1e-09");
	repr_case(2.0, "2.0");
	repr_case(1e16, "1e+16");
	repr_case(123456789012345680.0, "1.2345678901234568e+17");
	repr_case(0.0001, "0.0001");
	repr_case(0.00001, "1e-05");
	repr_case(-0.5, "-0.5");
	repr_case(1234.5, "1234.5");
	repr_case(100.0, "100.0");
	repr_case(5e-324, "5e-324");
	repr_case(1.7976931348623157e+308, "1.7976931348623157e+308");
	repr_case(0.0, "0.0");
	repr_case(17181289.87, "17181289.87");
	repr_case(9999999999999998.0, "9999999999999998.0");
	repr_case(1e15, "1000000000000000.0");

	struct osfs_buf b = {0};
	osfs_fmt_ns(&b, 1764051234123456789LL);
	CHECK_STR(b.data, "1764051234.123456789");
	osfs_buf_reset(&b);
	osfs_fmt_ns(&b, -1500000000LL);
	CHECK_STR(b.data, "-1.500000000");
	osfs_buf_free(&b);

	int v;
	static const char *const yes[] = {"1", "y", "YES", "true", "On"};
	static const char *const no[] = {"0", "n", "no", "FALSE", "off"};
	for (int i = 0; i < 5; i++) {
		CHECK(osfs_parse_bool(yes[i], &v) == 0 && v == 1);
		CHECK(osfs_parse_bool(no[i], &v) == 0 && v == 0);
	}
	CHECK(osfs_parse_bool("maybe", &v) == -EINVAL);
	CHECK(osfs_parse_bool("", &v) == -EINVAL);
}

static void test_os(void)
{
	int sig;
	CHECK(osfs_signal_parse("TERM", &sig) == 0 && sig == 15);
	CHECK(osfs_signal_parse("sigkill", &sig) == 0 && sig == 9);
	CHECK(osfs_signal_parse("0", &sig) == 0 && sig == 0);
	CHECK(osfs_signal_parse("RTMIN+1", &sig) == 0 && sig == SIGRTMIN + 1);
	CHECK(osfs_signal_parse("SIGRTMAX-1", &sig) == 0 && sig == SIGRTMAX - 1);
	CHECK(osfs_signal_parse("RTMIN-1", &sig) == -EINVAL);
	CHECK(osfs_signal_parse("NOPE", &sig) == -EINVAL);
	CHECK(osfs_signal_parse("65", &sig) == -EINVAL);

	long v;
	CHECK(osfs_sysconf("SC_PAGESIZE", &v) == 0 && v == sysconf(_SC_PAGESIZE));
	CHECK(osfs_sysconf("SC_NOPE", &v) == -ENOENT);
	size_t n;
	const struct osfs_named *t = osfs_sysconf_names(&n);
	CHECK(n > 100 && osfs_named_find(t, n, "SC_ARG_MAX") != NULL);
	for (size_t i = 1; i < n; i++)
		CHECK(strcmp(t[i - 1].name, t[i].name) < 0);
	t = osfs_rlimit_names(&n);
	CHECK(osfs_named_find(t, n, "RLIMIT_NLIMITS") == NULL);
	CHECK(osfs_named_find(t, n, "RLIMIT_NOFILE") != NULL);

	struct osfs_proc self;
	CHECK(osfs_proc_read(getpid(), &self) == 0 && self.pid == getpid());
	CHECK(self.ppid == getppid() && self.uid == getuid());
	struct osfs_ident *me, *again, *ids;
	CHECK(osfs_ident_take(gettid(), getuid(), getgid(), OSFS_IDENT_COMM | OSFS_IDENT_EXE, &me) == 0);
	CHECK(me->pid == getpid() && me->tid == gettid() && me->fsuid == getuid());
	CHECK(me->exe && me->exe[0] == '/' && me->comm[0]);
	CHECK(osfs_ident_take(gettid(), getuid(), getgid(), OSFS_IDENT_COMM | OSFS_IDENT_EXE, &again) == 0);
	CHECK(again == me); /* unchanged: shared */
	osfs_ident_put(again);
	CHECK(osfs_ident_take(gettid(), getuid(), getgid(), 0, &ids) == 0);
	CHECK(ids != me && !ids->exe && !ids->comm[0] && osfs_ident_same(ids, me));
	osfs_ident_put(ids);
	struct osfs_ident *other;
	CHECK(osfs_ident_take(gettid(), getuid() + 1, getgid(), 0, &other) == -ESRCH);
	char request[64];
	snprintf(request, sizeof request, "%d 0", (int)getpid());
	CHECK(osfs_kill_request(request, me) == 0);
	CHECK(osfs_kill_request("1", me) == -EINVAL);
	osfs_ident_put(me);

	char a[] = "A=1", b2[] = "B=two=2", bad[] = "=bad", none[] = "noequals";
	char *env[] = {a, b2, bad, none, NULL};
	osfs_environ_init(env);
	struct osfs_buf b = {0};
	CHECK(osfs_environ_get("B", &b) == 0);
	CHECK_STR(b.data, "two=2");
	CHECK(osfs_environ_set("C", "3") == 0);
	CHECK(osfs_environ_set("D=E", "3") == -EINVAL);
	CHECK(osfs_environ_unset("A") == 0);
	CHECK(osfs_environ_unset("A") == -ENOENT);
	struct osfs_kv all = {0};
	osfs_environ_all(&all);
	CHECK(all.count == 2);
	CHECK_STR(all.fields[0].key, "B");
	CHECK_STR(all.fields[1].key, "C");
	osfs_kv_free(&all);
	osfs_buf_free(&b);
	osfs_environ_fini();
}

static void strptime_case(const char *s, const char *f, const char *want)
{
	struct osfs_kv kv = {0};
	int err = osfs_strptime(s, f, &kv);
	struct osfs_buf b = {0};
	if (err)
		osfs_buf_printf(&b, "error: %s", osfs_refusal());
	else
		for (size_t i = 0; i < 9; i++)
			osfs_buf_printf(&b, "%s%s", i ? " " : "", kv.fields[i].text);
	CHECK_STR(b.data, want);
	osfs_buf_free(&b);
	osfs_kv_free(&kv);
}

static void test_time(void)
{
	CHECK(osfs_tz_set("UTC") == 0);
	CHECK(osfs_tz_set("Europe/Paris") == 0);
	CHECK(osfs_tz_set("EST5EDT,M3.2.0,M11.1.0") == 0);
	CHECK(osfs_tz_set("<+0330>-3:30") == 0);
	CHECK(osfs_tz_set("Mars/Olympus") == -EINVAL);
	CHECK(osfs_tz_set("EST5EDT,M3.2.0") == -EINVAL);
	CHECK(osfs_tz_set("../../etc/passwd") == -EINVAL);
	CHECK(osfs_tz_set("UTC") == 0);

	struct osfs_tzinfo z;
	osfs_tzinfo(&z);
	CHECK(z.timezone == 0 && z.daylight == 0);
	CHECK_STR(z.tzname[0], "UTC");

	struct tm tm;
	struct osfs_buf b = {0};
	CHECK(osfs_gmtime(86400 * 365, &tm) == 0);
	osfs_asctime(&tm, &b);
	CHECK_STR(b.data, "Fri Jan  1 00:00:00 1971");
	osfs_buf_reset(&b);
	CHECK(osfs_strftime_request("%Y-%m-%d %H:%M\t1700000000\tutc", &b) == 0);
	osfs_buf_reset(&b);
	CHECK(osfs_strftime_request("%Y-%m-%d %H:%M\t1700000000.9\tutc", &b) == 0);
	CHECK_STR(b.data, "2023-11-14 22:13");
	osfs_buf_reset(&b);
	CHECK(osfs_strftime_request("%Y\tsoon", &b) == -EINVAL);
	osfs_buf_free(&b);

	/* Python: time.strptime(...)[:9] */
	strptime_case("2024-02-29 13:45", "%Y-%m-%d %H:%M", "2024 2 29 13 45 0 3 60 -1");
	strptime_case("Feb 29", "%b %d", "1900 2 29 0 0 0 0 60 -1"); /* 1904's weekday */
	strptime_case("12 am", "%I %p", "1900 1 1 0 0 0 0 1 -1");
	strptime_case("2021 52 7", "%G %V %u", "2022 1 2 0 0 0 6 367 -1"); /* sic */
	strptime_case("123", "%d", "error: unconverted data remains: 3");
	strptime_case("5", "%Q", "error: 'Q' is a bad directive in format '%Q'");
	strptime_case("5", "%", "error: stray % in format '%'");
	strptime_case("30 2", "%d %m", "error: day is out of range for month");
	strptime_case("x", "%d", "error: time data 'x' does not match format '%d'");
}

/* The parse-only entry the fuzz harness uses: what osfs_ffi_call would refuse,
 * without loading or calling anything. */
static void test_ffi_check(void)
{
	CHECK(osfs_ffi_check("libc.so.6 getpid int") == 0);
	CHECK(osfs_ffi_check("nosuchlib.so nosuchsymbol int") == 0); /* not loaded */
	CHECK(osfs_ffi_check("libc.so.6 snprintf int buf:8 size_t:8 str:\"%d\" ... int:1") == 0);
	CHECK(osfs_ffi_check("libc.so.6 getpid") == -EINVAL);
	CHECK(osfs_ffi_check("libc.so.6 getpid nosuchtype") == -EINVAL);
	CHECK(osfs_ffi_check("libc.so.6 abs int int:12x") == -EINVAL);
	CHECK(osfs_ffi_check("libc.so.6 f int ... int:1 ... int:2") == -EINVAL);
}

/* Who acts, from threads that are not their process's first, more of them than
 * the cache keeps, each taken twice while all live: always the thread itself. */
#define IDENT_THREADS 48
static pthread_barrier_t ident_barrier;

static void *take_twice(void *arg)
{
	int *ok = arg;
	struct osfs_ident *a = NULL, *b = NULL;
	pthread_barrier_wait(&ident_barrier);
	int err = osfs_ident_take(gettid(), getuid(), getgid(), OSFS_IDENT_COMM, &a);
	pthread_barrier_wait(&ident_barrier);
	if (!err)
		err = osfs_ident_take(gettid(), getuid(), getgid(), OSFS_IDENT_COMM, &b);
	*ok = !err && a->tid == gettid() && b->tid == gettid() && a->pid == getpid() &&
	      b->pid == getpid() && osfs_ident_same(a, b) && strcmp(a->comm, b->comm) == 0;
	osfs_ident_put(a);
	osfs_ident_put(b);
	return NULL;
}

static void *own_tid(void *arg)
{
	return (void *)(intptr_t)gettid();
}

static void test_ident_threads(void)
{
	pthread_t t[IDENT_THREADS];
	int ok[IDENT_THREADS];
	pthread_barrier_init(&ident_barrier, NULL, IDENT_THREADS);
	for (int i = 0; i < IDENT_THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, take_twice, &ok[i]) == 0);
	for (int i = 0; i < IDENT_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK(ok[i]);
	}
	pthread_barrier_destroy(&ident_barrier);
	/* a thread that is gone: its number is no one's, or another's */
	pthread_t gone;
	void *ret = NULL;
	CHECK(pthread_create(&gone, NULL, own_tid, NULL) == 0);
	pthread_join(gone, &ret);
	pid_t tid = (pid_t)(intptr_t)ret;
	struct osfs_ident *w = NULL;
	CHECK(osfs_ident_take(tid, getuid(), getgid(), 0, &w) == -ESRCH && !w);
	osfs_refusal_clear();
	osfs_ident_forget_all();
}

int main(void)
{
	test_ffi_check();
	test_fmt();
	test_os();
	test_ident_threads();
	test_time();
	test_buf();
	test_errno();
	test_kv();
	test_platform_join();
	test_os_release();
	test_platform_load();
	test_refusals();
	return check_summary();
}
